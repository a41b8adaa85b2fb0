"""CSM — This week: the CSM's book ranked by insight opportunity, with the reasons."""

from urllib.parse import quote

import pandas as pd
import streamlit as st

from insight_engine import RudderError, fmt
from insight_engine.analysis.detector import MOTION_LABELS
from insight_engine.analysis.opportunity import recommend
from insight_engine.outputs.views import (
    RENEWAL_WINDOWS,
    default_csm,
    filter_book,
    follow_up_buckets,
    tier_choices,
    why_it_ranks,
)
from pages.shared import ui

ACCOUNT_PAGE = "pages/csm/account.py"
OPEN = "Open account ›"

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

# Whose book: a ?csm= link (a manager's drill-down; kept in step with the box), the box's value,
# the viewer's own name (View as a CSM, or a signed-in CSM), else the first. Set before the box
# is drawn so the browser shows it too (dropping the key left the old person's name in the box).
start = default_csm(
    csms,
    wanted=st.query_params.get("csm"),
    current=st.session_state.get("csm"),
    own=who.csm,
)
if st.session_state.get("csm") != start:
    st.session_state["csm"] = start


def _csm_changed() -> None:
    st.query_params["csm"] = st.session_state["csm"]  # the link now names the CSM picked


csm = st.selectbox(
    "CSM",
    csms,
    key="csm",
    disabled=len(csms) == 1,
    help="Whose book to show."
    if len(csms) > 1
    else "Your book. To see another person's, change View as in the sidebar (local mode) or "
    "ask your admin to put you in a team.",
    on_change=_csm_changed,
    persist_state="session",  # a manager's pick is still there after opening an account
    width=320,
)
st.query_params["csm"] = csm

# Filters in a row that wraps (fixed widths): three or four across at 1280 px, two at 800 px,
# where four in fixed columns were cut.
with st.expander("Filter the list", icon=":material/filter_list:"):
    row = st.container(horizontal=True, gap="medium")
motions = row.multiselect(
    "Motion",
    list(MOTION_LABELS),
    format_func=MOTION_LABELS.get,
    key="f_motion",
    width=200,
    persist_state="session",  # filters still set after opening an account and coming back
)
tier_options = tier_choices(table["tier"])
if any(t not in tier_options for t in st.session_state.get("f_tier", [])):  # another book's tier
    st.session_state["f_tier"] = [t for t in st.session_state["f_tier"] if t in tier_options]
tiers = row.multiselect("Tier", tier_options, key="f_tier", width=200, persist_state="session")
renewal = row.selectbox(
    "Renewal", list(RENEWAL_WINDOWS), key="f_renewal", width=200, persist_state="session"
)
quiet_days = row.slider(
    "No insight for (days)",
    0,
    90,
    0,
    step=5,
    key="f_quiet",
    width=200,
    persist_state="session",
    help="Only accounts not sent an insight for at least this many days. 0 shows everyone.",
)

# The CSM's accounts that are in this person's view (a manager: only those in their team).
mine = ui.visible(table.loc[table["csm"] == csm], book)
ready = mine.loc[mine["n_signals"] > 0]
# One recommended insight for the week, and why it beats the next one (insight_engine decides).
pick = recommend(result.ranked.loc[result.ranked["account_id"].isin(mine["account_id"])], csm)
with recommendation.container(border=True):
    if pick is None:
        st.markdown(
            "**This week's insight:** none of these accounts has a signal this week, so there "
            "is nothing to recommend yet. Check again after the next data load."
        )
    else:
        st.markdown(f"**This week's insight:** {ui.md(pick.sentence)}")
        st.page_link(
            ACCOUNT_PAGE,
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
names = dict(zip(table["account_id"], table["account_name"], strict=True))
todo = follow_up_buckets(follow, book.as_of, names=names)
n_overdue = int(todo["overdue"].sum())

# A row that wraps (fixed widths, small gaps): four across at 1280 and 800 px (768 px wide once
# the sidebar is closed), two by two when it is open (fixed columns cut the labels).
figures = st.container(horizontal=True, gap="small")
figures.metric(
    "Insights ready",
    f"{len(ready):,}",
    help="Accounts with at least one signal this week.",
    width=175,
)
figures.metric(
    "Risks",
    f"{int((mine['motion'] == 'risk').sum()):,}",
    help="Accounts whose top signal is a risk.",
    width=175,
)
figures.metric(
    "Wins to share",
    f"{int((mine['motion'] == 'win').sum()):,}",
    help="Accounts whose top signal is a win waiting to be shared.",
    width=175,
)
figures.metric(
    "Overdue follow-ups",
    f"{n_overdue:,}",
    help=f"Follow-ups past their due date; {len(todo) - n_overdue:,} more due this week.",
    width=175,
)
st.caption(f"As of {fmt.day(book.as_of)}. {result.ranked_by}")

shown = filter_book(mine, motions=motions, tiers=tiers, renewal=renewal, quiet_days=quiet_days)
view = shown.assign(
    go=OPEN,
    why=why_it_ranks(shown["reasons"], shown["headline"]),
    # the account page this row opens (kept in the data, not shown: the first column opens it)
    open="/account?account=" + shown["account_id"].astype(str).map(lambda a: quote(a, safe="")),
).reset_index(drop=True)
st.markdown(
    "Click **Open account ›** to open an account, or any other cell to read its row in full."
)
event = ui.grid(
    view,
    key="book_pick",
    on_select="rerun",
    selection_mode="single-cell",
    hide_index=True,
    width="stretch",
    row_height=66,  # over 4rem, so Streamlit wraps text: the insight and reasons are not cut
    placeholder="—",
    column_order=[
        "go",
        "account_name",
        "score",
        "motion_label",
        "headline",
        "why",
        "days_to_renewal",
        "since_last_insight",
        "arr",
        "tier",
    ],
    column_config={
        "go": st.column_config.TextColumn("Open", width=105),
        "account_name": st.column_config.TextColumn("Account", width=130),
        "score": st.column_config.ProgressColumn(
            "Opportunity",
            min_value=0,
            max_value=100,
            format="%.0f",
            width=90,
            help="Where the account ranks in the whole book (100 = first): signals first, then "
            "how likely an insight is to land, ties broken by the strength of the evidence.",
        ),
        "motion_label": st.column_config.TextColumn("Motion", width=105),
        "headline": st.column_config.TextColumn("This week's insight", width=230),
        "why": st.column_config.TextColumn(
            "Why it ranks here",
            width=160,
            help="What else lifts the account, beside its insight: renewal, time since the last "
            "insight.",
        ),
        "days_to_renewal": st.column_config.NumberColumn("Days to renewal", format="%d", width=110),
        "since_last_insight": st.column_config.TextColumn("Last insight", width=110),
        "arr": st.column_config.NumberColumn("ARR", format="dollar", width=90),
        "tier": st.column_config.TextColumn("Tier", width=90),
    },
)
cells = event.selection.get("cells", []) if event else []
if cells:
    row, column = cells[0]
    chosen = view.iloc[int(row)]
    if column == "go":  # same tab, same session: the role "View as" set is kept
        st.switch_page(ACCOUNT_PAGE, query_params={"account": chosen["account_id"]})
    with st.container(border=True):
        st.markdown(f"**{ui.md(chosen['account_name'])}** · {ui.md(chosen['motion_label'])}")
        st.markdown(f"**This week's insight:** {ui.md(chosen['headline'])}")
        st.markdown(f"**Why it ranks here:** {ui.md(chosen['why'])}")
        st.caption(ui.md(fmt.account_line(chosen, book.as_of)))
        st.page_link(
            ACCOUNT_PAGE,
            label=f"Open {ui.md(chosen['account_name'])}",
            icon=":material/arrow_forward:",
            query_params={"account": chosen["account_id"]},
        )
if view.empty:
    st.info(
        "No account matches these filters. Open **Filter the list** and clear one to see more."
        if len(mine)
        else "This CSM has no accounts in your view."
    )
st.caption(
    f"{len(shown):,} of {fmt.plural(len(mine), 'account')}. Accounts sent an insight in the last "
    f"{fmt.plural(ui.settings().model.recent_insight_days, 'day')} sit lower unless the signal is "
    "a risk."
)

st.subheader("Follow-ups due this week and overdue")
if todo.empty:
    st.caption(
        "Nothing overdue or due in the next 7 days. When you log an insight with a follow-up on "
        "an Account page, it appears here from a week before its due date."
    )
else:
    ui.grid(
        todo,
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_order=["when", "due_on", "account", "what", "one_liner"],
        column_config={
            "when": st.column_config.TextColumn("When", width=130),
            "due_on": st.column_config.DateColumn("Due", format=fmt.DAY_FORMAT, width=100),
            "account": st.column_config.TextColumn("Account", width=150),
            "what": st.column_config.TextColumn("Follow-up", width=220),
            "one_liner": st.column_config.TextColumn("Insight", width=300),
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
