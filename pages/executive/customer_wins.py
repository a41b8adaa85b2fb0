"""Executive — Customer wins: wins shared across the base, and the ARR behind them."""

import pandas as pd
import streamlit as st

from insight_engine.chart import wins_by_tier
from pages.shared import ui

book = ui.book()
st.title("Customer wins")
wins = book.insights.loc[book.insights["motion"] == "win"].merge(
    book.accounts[["account_id", "account_name", "tier", "arr"]], on="account_id", how="left"
)
last90 = wins.loc[wins["date"] > book.as_of - pd.Timedelta(days=90)]
c1, c2, c3 = st.columns(3)
c1.metric("Wins shared, last 90 days", f"{len(last90):,}")
c2.metric(
    "ARR of accounts with a win (90 days)",
    ui.money(last90.drop_duplicates("account_id")["arr"].sum()),
)
c3.metric("Accounts in the book", f"{len(book.accounts):,}")

monthly = (
    wins.assign(month=wins["date"].dt.to_period("M").dt.to_timestamp())
    .groupby(["month", "tier"])
    .size()
)
chart = wins_by_tier(monthly.rename("wins").reset_index())
st.altair_chart(chart.chart, width="stretch")
st.caption(chart.caption)

st.subheader("Recent win stories")
top = last90.loc[last90["outcome"] == "landed"].sort_values("date", ascending=False).head(10)
for w in top.itertuples():
    st.markdown(f"- **{ui.md(w.account_name)}** ({w.tier}) — {ui.md(w.one_liner)}")
