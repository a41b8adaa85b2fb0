"""Library — every insight shared, searchable."""

import streamlit as st

from pages.shared import ui

book = ui.book()
st.title("Insight library")
log = book.insights.merge(
    book.accounts[["account_id", "account_name"]], on="account_id", how="left"
)
c1, c2, c3 = st.columns([2, 1, 1])
query = c1.text_input("Search", key="lib_query", placeholder="keyword, account or CSM")
motions = c2.multiselect("Motion", sorted(log["motion"].dropna().unique()), key="lib_motion")
outcomes = c3.multiselect("Outcome", sorted(log["outcome"].dropna().unique()), key="lib_outcome")
shown = log
if query:
    text = (
        shown["one_liner"].fillna("")
        + " "
        + shown["account_name"].fillna("")
        + " "
        + shown["csm"].fillna("")
    )
    shown = shown.loc[text.str.contains(query, case=False, regex=False)]
if motions:
    shown = shown.loc[shown["motion"].isin(motions)]
if outcomes:
    shown = shown.loc[shown["outcome"].isin(outcomes)]
st.caption(f"{len(shown):,} of {len(log):,} insights")
st.dataframe(
    shown.sort_values("date", ascending=False)[
        ["date", "account_name", "csm", "motion", "audience", "one_liner", "outcome", "tags"]
    ],
    hide_index=True,
    width="stretch",
    column_config={"date": st.column_config.DateColumn("Sent")},
)
st.download_button(
    "Download (CSV)", ui.safe_csv(shown), file_name="rudder-insights.csv", mime="text/csv"
)
