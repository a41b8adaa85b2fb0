"""Executive — Customer wins: wins shared across the base, the ARR behind them, stories worth
forwarding, and how the book's health moved. Aggregates only: no per-CSM league tables."""

import pandas as pd
import streamlit as st

from insight_engine.chart import health_distribution, wins_by_tier
from pages.shared import ui

ui.require("customer_wins")
book = ui.book()
result = ui.analysis(book)
st.title("Customer wins")
c1, c2 = st.columns(2)
tiers = c1.multiselect("Tier", ["Enterprise", "Growth", "Starter"], key="exec_tier")
segments = c2.multiselect(
    "Segment (industry)", sorted(book.accounts["industry"].dropna().unique()), key="exec_segment"
)
accounts = book.accounts
if tiers:
    accounts = accounts.loc[accounts["tier"].isin(tiers)]
if segments:
    accounts = accounts.loc[accounts["industry"].isin(segments)]
ids = set(accounts["account_id"])
log = ui.log_frame(book)
log = log.loc[log["account_id"].isin(ids)]
wins = book.insights.loc[
    (book.insights["motion"] == "win") & book.insights["account_id"].isin(ids)
].merge(
    accounts[["account_id", "account_name", "tier", "industry", "arr"]], on="account_id", how="left"
)

last90 = wins.loc[wins["date"] > book.as_of - pd.Timedelta(days=90)]
prev90 = wins.loc[
    (wins["date"] <= book.as_of - pd.Timedelta(days=90))
    & (wins["date"] > book.as_of - pd.Timedelta(days=180))
]
arr_now = last90.drop_duplicates("account_id")["arr"].sum()
arr_before = prev90.drop_duplicates("account_id")["arr"].sum()
m1, m2, m3 = st.columns(3)
m1.metric(
    "Wins shared, last 90 days",
    f"{len(last90):,}",
    f"{len(last90) - len(prev90):+,} vs the 90 days before",
)
m2.metric(
    "ARR of accounts with a win (90 days)",
    ui.money(arr_now),
    None if not arr_before else f"{arr_now / arr_before - 1:+.0%} vs the 90 days before",
)
m3.metric("Accounts", f"{len(accounts):,}")

monthly = (
    wins.assign(month=wins["date"].dt.to_period("M").dt.to_timestamp())
    .groupby(["month", "tier"])
    .size()
)
chart = wins_by_tier(monthly.rename("wins").reset_index())
st.altair_chart(chart.chart, width="stretch")
st.caption(f"How to read this: {ui.md(chart.caption)}")
ui.png_button(chart, "the wins chart", key="wins-by-tier")

trend = (
    wins.assign(month=wins["date"].dt.to_period("M").dt.to_timestamp())
    .drop_duplicates(["month", "account_id"])
    .groupby("month")
    .agg(accounts_with_a_win=("account_id", "size"), arr=("arr", "sum"))
    .reset_index()
)
st.subheader("ARR of accounts with a win, by month")
ui.table(
    trend,
    "the ARR trend",
    key="arr-trend",
    column_config={
        "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
        "accounts_with_a_win": "Accounts with a win",
        "arr": st.column_config.NumberColumn("ARR", format="dollar"),
    },
)

st.subheader("Win stories to forward")
st.caption("The latest win insights that landed, as one-liners for Product, Sales and Marketing.")
stories = last90.loc[last90["outcome"] == "landed"].sort_values("date", ascending=False).head(10)
for w in stories.itertuples():
    st.markdown(
        f"- **{ui.md(w.account_name)}** ({w.tier}, {ui.md(w.industry)}) — {ui.md(w.one_liner)}"
    )
ui.table(
    stories[["date", "account_name", "tier", "industry", "one_liner"]],
    "win stories",
    key="stories",
    column_config={"date": st.column_config.DateColumn("Shared")},
)

st.subheader("Renewal evidence and case-study candidates")
tagged = log.loc[
    log["follow_up"].isin(["renewal_evidence", "case_study"])
    | log["tags"].fillna("").str.contains("renewal evidence|case study|case_study", regex=True)
]
tagged = tagged.assign(
    account=tagged["account_id"].map(book.accounts.set_index("account_id")["account_name"]),
    kind=tagged["follow_up"]
    .map({"renewal_evidence": "Renewal evidence", "case_study": "Case-study candidate"})
    .fillna("Renewal evidence"),
)
ui.table(
    tagged[["sent_on", "account", "kind", "one_liner"]].sort_values("sent_on", ascending=False),
    "renewal evidence and case studies",
    key="evidence",
    column_config={"sent_on": st.column_config.DateColumn("Shared")},
)

st.subheader("The book's health, now and a quarter ago")
h = result.health
rows = h.account_ids.isin(ids)
dist = health_distribution(
    pd.Series(h.score[rows, -1]),
    pd.Series(h.score[rows, -14]),
    red_below=ui.settings().health.red_below,
    green_above=ui.settings().health.green_above,
)
st.altair_chart(dist.chart, width="stretch")
st.caption(f"How to read this: {ui.md(dist.caption)}")
ui.png_button(dist, "the health chart", key="health-dist")
ui.table(
    dist.data.pivot(index="band", columns="when", values="accounts").reset_index(),
    "the health distribution",
    key="health-table",
)
