"""Library — every insight shared, searchable; and the examples new team members learn from."""

import pandas as pd
import streamlit as st

from insight_engine import RudderError
from insight_engine.detector import MOTION_LABELS
from insight_engine.store import OUTCOMES
from pages.shared import ui

who = ui.require("library")
book = ui.book()
st.title("Insight library")
names = book.accounts.set_index("account_id")["account_name"]
log = ui.log_frame(book).assign(account=lambda f: f["account_id"].map(names))
if who.role != "admin":  # the team's shared library: insights on the team's accounts
    team_accounts = book.accounts.loc[who.library_accounts(book.accounts), "account_id"]
    log = log.loc[log["account_id"].isin(set(team_accounts))]
all_tab, examples_tab = st.tabs(["All insights", "Examples"])

with all_tab:
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    query = c1.text_input(
        "Search", key="lib_query", placeholder="a word from the insight, an account or a CSM"
    )
    motions = c2.multiselect(
        "Motion", list(MOTION_LABELS), format_func=MOTION_LABELS.get, key="lib_motion"
    )
    outcomes = c3.multiselect(
        "Outcome",
        ["pending", *OUTCOMES],
        key="lib_outcome",
        format_func=lambda o: "Pending" if o == "pending" else OUTCOMES[o],
    )
    readers = c4.multiselect("Reader", ["admin", "champion", "executive"], key="lib_reader")
    d1, d2, d3, d4 = st.columns([1, 1, 1, 1])
    tags = sorted(
        {t.strip() for ts in log["tags"].dropna() for t in str(ts).split("|") if t.strip()}
    )
    tag = d1.multiselect("Tag", tags, key="lib_tag")
    csms = d2.multiselect("CSM", sorted(log["csm"].dropna().unique()), key="lib_csm")
    accounts = d3.multiselect(
        "Account",
        sorted(log["account_id"].unique()),
        format_func=lambda a: names.get(a, a),
        key="lib_account",
    )
    since = d4.date_input("Since", value=None, key="lib_since")
    shown = log
    if query:
        text = (
            shown["one_liner"].fillna("")
            + " "
            + shown["text"].fillna("")
            + " "
            + shown["account"].fillna("")
            + " "
            + shown["csm"].fillna("")
        )
        shown = shown.loc[text.str.contains(query, case=False, regex=False)]
    if motions:
        shown = shown.loc[shown["motion"].isin(motions)]
    if outcomes:
        state = shown["outcome"].fillna("pending")
        shown = shown.loc[state.isin(outcomes)]
    if readers:
        shown = shown.loc[shown["audience"].fillna("").str.contains("|".join(readers))]
    if tag:
        shown = shown.loc[shown["tags"].fillna("").apply(lambda t: any(x in t for x in tag))]
    if csms:
        shown = shown.loc[shown["csm"].isin(csms)]
    if accounts:
        shown = shown.loc[shown["account_id"].isin(accounts)]
    if since:
        shown = shown.loc[shown["date"] >= pd.Timestamp(since)]
    st.caption(f"{len(shown):,} of {len(log):,} insights")
    ui.table(
        shown[
            [
                "sent_on",
                "account",
                "csm",
                "motion",
                "audience",
                "one_liner",
                "outcome",
                "tags",
                "library_example",
            ]
        ],
        "these insights",
        key="library",
        column_config={
            "sent_on": st.column_config.DateColumn("Sent"),
            "account": "Account",
            "csm": "CSM",
            "one_liner": st.column_config.TextColumn("Insight", width="large"),
            "library_example": st.column_config.CheckboxColumn("Example"),
        },
    )
    if len(shown):
        with st.form("mark_example"):
            st.markdown("**Mark a strong insight as a library example**")
            choices = shown.head(200)
            labels = {
                int(i): f"{a} · {o or m}"
                for i, a, o, m in zip(
                    choices["id"],
                    choices["account"],
                    choices["one_liner"],
                    choices["motion"],
                    strict=True,
                )
            }
            pick = st.selectbox("Insight", list(labels), format_func=labels.get, key="example_pick")
            why = st.text_input(
                "Why it is a good example",
                key="example_why",
                placeholder="e.g. one clear number, the customer's own goal, a single ask",
            )
            if st.form_submit_button("Add to the examples"):
                try:
                    ui.store().mark_example(pick, note=why, by=ui.user_name())
                except RudderError as exc:
                    st.error(ui.md(exc))
                else:
                    st.success("Added to the examples.")

with examples_tab:
    examples = log.loc[log["library_example"].astype(bool)]
    if examples.empty:
        st.caption(
            "No examples yet. Mark strong insights in the 'All insights' tab: new team members learn from them."
        )
    for motion, group in examples.groupby("motion", sort=False):
        st.subheader(MOTION_LABELS.get(motion, motion))
        for ex in group.itertuples():
            with st.container(border=True):
                st.markdown(f"**{ui.md(ex.one_liner or ex.subject or '')}**")
                st.caption(
                    f"{ui.md(ex.account)} · {ex.sent_on:%d %b %Y} · marked by {ui.md(ex.library_by or '')}"
                )
                st.markdown(f"*Why it is good:* {ui.md(ex.library_note or '')}")
                if ex.text:
                    st.text(ex.text)
    ui.table(
        examples[["motion", "account", "one_liner", "library_note", "library_by"]],
        "the examples",
        key="examples",
    )
