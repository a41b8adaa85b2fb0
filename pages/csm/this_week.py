"""CSM — This week: the CSM's book ranked by insight opportunity, with the reasons."""

from urllib.parse import quote

import pandas as pd
import streamlit as st

from insight_engine import RudderError
from insight_engine.detector import MOTION_LABELS
from insight_engine.opportunity import recommend
from insight_engine.prep import FOLLOW_UPS
from pages.shared import ui

who = ui.require("this_week")
book = ui.book()
table = ui.book_table(book)
result = ui.analysis(book)

st.title("This week")
recommendation = st.container()  # filled once the CSM is chosen: this week's one insight, on top
ui.out_of_view(book)
csms = who.visible_csms(book.accounts)  # a CSM: their own book; a manager: their team's
if not csms:
    st.info(
        f"No accounts in this book name {ui.md(who.csm or who.team or 'you')} as their CSM or "
        "team. Ask your Rudder admin to check that your name in the roles map matches the data."
    )
    st.stop()
top = st.columns([2, 2, 2, 2])
wanted = st.query_params.get("csm")
if wanted in csms and "csm" not in st.session_state:
    st.session_state["csm"] = wanted  # a manager's drill-down link opens this CSM's book
if st.session_state.get("csm") not in csms:
    st.session_state.pop("csm", None)  # switched role or person: start from their own book
csm = top[0].selectbox("CSM", csms, key="csm", help="Whose book to show.")
motions = top[1].multiselect(
    "Motion", list(MOTION_LABELS), format_func=MOTION_LABELS.get, key="f_motion"
)
tiers = top[2].multiselect("Tier", ["Enterprise", "Growth", "Starter"], key="f_tier")
renewal = top[3].selectbox(
    "Renewal", ["Any time", "Within 30 days", "Within 90 days", "Within 120 days"], key="f_renewal"
)
quiet_days = st.slider(
    "Only accounts not contacted for at least (days)",
    0,
    90,
    0,
    step=5,
    key="f_quiet",
    help="0 shows everyone.",
)

# The CSM's accounts that are in this person's view (a manager: only those in their team).
mine = ui.visible(table.loc[table["csm"] == csm], book)
ready = mine.loc[mine["n_signals"] > 0]
# One recommended insight for the week, and why it beats the next one (insight_engine decides).
pick = recommend(result.ranked.loc[result.ranked["account_id"].isin(mine["account_id"])], csm)
with recommendation.container(border=True):
    if pick is None:
        st.markdown("**This week's insight:** none of your accounts has a signal this week.")
    else:
        st.markdown(f"**This week's insight:** {ui.md(pick.sentence)}")
        st.page_link(
            "pages/csm/account.py",
            label=f"Start with the top account: {ui.md(pick.account_name)}",
            icon=":material/arrow_forward:",
            query_params={"account": pick.account_id},
        )
try:
    # by account, not by the name saved on the insight: an account that moved moves its follow-ups
    follow = ui.store().follow_ups(book_key=book.key, account_ids=mine["account_id"])
except RudderError as exc:
    st.warning(ui.md(exc))
    follow = pd.DataFrame(columns=["id", "kind", "due_on", "account_id", "motion", "one_liner"])
week_end = book.as_of + pd.Timedelta(days=7)
overdue = follow.loc[follow["due_on"].notna() & (follow["due_on"] < book.as_of)]
due_soon = follow.loc[
    follow["due_on"].notna() & (follow["due_on"] >= book.as_of) & (follow["due_on"] <= week_end)
]
c1, c2, c3, c4 = st.columns(4)
c1.metric("Insights ready", f"{len(ready):,}", help="Accounts with at least one signal this week.")
c2.metric(
    "Risks",
    f"{int((mine['motion'] == 'risk').sum()):,}",
    help="Accounts whose top signal is a risk.",
)
c3.metric("Wins waiting to be shared", f"{int((mine['motion'] == 'win').sum()):,}")
c4.metric("Overdue follow-ups", f"{len(overdue):,}", help=f"{len(due_soon):,} more due this week.")
st.caption(f"As of {book.as_of:%A %d %B %Y}. {result.ranked_by}")

shown = mine
if motions:
    shown = shown.loc[shown["motion"].isin(motions)]
if tiers:
    shown = shown.loc[shown["tier"].isin(tiers)]
if renewal != "Any time":
    limit = int(renewal.split()[1])
    shown = shown.loc[shown["days_to_renewal"].between(0, limit)]
if quiet_days:
    shown = shown.loc[
        shown["days_since_insight"].isna() | (shown["days_since_insight"] >= quiet_days)
    ]

view = shown.assign(
    # the headline has its own column; the reasons say what else lifts the account
    why=[
        " · ".join(x for x in r if x != h) or "—"
        for r, h in zip(shown["reasons"], shown["headline"], strict=True)
    ],
    open=["/account?account=" + quote(str(a), safe="") for a in shown["account_id"]],
)
st.dataframe(
    view[
        [
            "account_name",
            "score",
            "motion_label",
            "headline",
            "why",
            "arr",
            "tier",
            "days_to_renewal",
            "since_last_insight",
            "open",
        ]
    ],
    hide_index=True,
    width="stretch",
    column_config={
        "account_name": st.column_config.TextColumn("Account"),
        "score": st.column_config.ProgressColumn(
            "Opportunity",
            min_value=0,
            max_value=100,
            format="%.0f",
            help="Where the account ranks in the whole book (100 = first): signals first, then "
            "how likely an insight is to land, ties broken by the strength of the evidence.",
        ),
        "motion_label": "Motion",
        "headline": st.column_config.TextColumn("This week's insight", width="large"),
        "why": st.column_config.TextColumn("Why it ranks here", width="large"),
        "arr": st.column_config.NumberColumn("ARR", format="dollar"),
        "tier": "Tier",
        "days_to_renewal": st.column_config.NumberColumn("Days to renewal"),
        "since_last_insight": st.column_config.TextColumn("Last insight"),
        "open": st.column_config.LinkColumn("Open", display_text="Open account"),
    },
)
st.caption(
    f"{len(shown):,} of {len(mine):,} accounts. Accounts sent an insight in the last "
    f"{ui.settings().model.recent_insight_days} days sit lower unless the signal is a risk."
)

st.subheader("Follow-ups due this week and overdue")
todo = pd.concat([overdue, due_soon]).drop_duplicates("id")
if todo.empty:
    st.caption("Nothing due. Follow-ups you log with an insight appear here.")
else:
    names = dict(zip(table["account_id"], table["account_name"], strict=True))
    todo = todo.assign(
        account=todo["account_id"].map(names),
        what=todo["kind"].map(FOLLOW_UPS),
        overdue=todo["due_on"] < book.as_of,
    )
    st.dataframe(
        todo[["due_on", "account", "what", "one_liner", "overdue"]],
        hide_index=True,
        width="stretch",
        column_config={
            "due_on": st.column_config.DateColumn("Due"),
            "account": "Account",
            "what": "Follow-up",
            "one_liner": "Insight",
            "overdue": "Overdue",
        },
    )
    labels = {
        int(i): f"{a}: {w}"
        for i, a, w in zip(todo["id"], todo["account"], todo["what"], strict=True)
    }
    done = st.multiselect("Mark done", list(labels), key="done_pick", format_func=labels.get)
    if st.button("Mark as done", disabled=not done):
        try:
            ui.store().complete_follow_ups([int(i) for i in done], on=book.as_of.date())
        except RudderError as exc:
            st.error(ui.md(exc))
        else:
            st.rerun()
