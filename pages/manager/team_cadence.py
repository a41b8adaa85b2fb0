"""Manager — Team cadence: insights shared per CSM per week, and coverage of each book."""

import pandas as pd
import streamlit as st

from insight_engine.chart import cadence_heatmap
from pages.shared import ui

book = ui.book()
st.title("Team cadence")
teams = ["All teams", *book.teams]
team = st.selectbox("Team (manager)", teams, key="team")
weeks = st.slider("Weeks shown", 4, 52, 12, key="cadence_weeks")

accounts = (
    book.accounts if team == "All teams" else book.accounts.loc[book.accounts["manager"] == team]
)
log = book.insights.loc[book.insights["account_id"].isin(accounts["account_id"])]
start = book.as_of - pd.Timedelta(weeks=weeks)
recent = log.loc[log["date"] > start].copy()
recent["week_end"] = book.as_of - pd.to_timedelta(
    ((book.as_of - recent["date"]).dt.days // 7) * 7, unit="D"
)
counts = recent.groupby(["csm", "week_end"]).size().rename("insights").reset_index()

c1, c2, c3 = st.columns(3)
c1.metric("Insights shared", f"{len(recent):,}", help=f"In the last {weeks} weeks.")
landed = recent["outcome"].eq("landed").sum()
decided = recent["outcome"].isin(["landed", "no_response", "pushed_back"]).sum()
c2.metric(
    "Landed",
    "—" if not decided else f"{landed / decided:.0%}",
    help="Share of insights the customer acted on.",
)
covered = accounts["account_id"].isin(
    log.loc[log["date"] > book.as_of - pd.Timedelta(days=30), "account_id"]
)
c3.metric("Accounts with an insight in 30 days", f"{covered.mean():.0%}")

chart = cadence_heatmap(counts)
st.altair_chart(chart.chart, width="stretch")
st.caption(chart.caption)

per_csm = recent.groupby("csm").agg(insights=("insight_id", "count")).reset_index()
books = accounts.groupby("csm").size().rename("accounts").reset_index()
per_csm = books.merge(per_csm, on="csm", how="left").fillna({"insights": 0})
per_csm["per_account"] = per_csm["insights"] / per_csm["accounts"]
st.dataframe(
    per_csm,
    hide_index=True,
    width="stretch",
    column_config={
        "csm": "CSM",
        "accounts": "Accounts",
        "insights": "Insights shared",
        "per_account": st.column_config.NumberColumn("Per account", format="%.2f"),
    },
)
