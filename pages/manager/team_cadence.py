"""Manager — Team cadence for a manager's Monday: who shares insights, who is behind and what
to do about it this week, how much of each book they reach, what lands, and what goes to the
next Alignment Meeting."""

import pandas as pd
import streamlit as st

from insight_engine import RudderError
from insight_engine.analysis.cadence import (
    COUNT_HELP,
    COVERAGE_HELP,
    coverage,
    landed_rate,
    mix,
    needs_help,
    per_csm_week,
    quietest,
    reach_and_count,
    team_weekly,
    untouched,
)
from insight_engine.analysis.detector import MOTION_LABELS
from insight_engine.fmt import DAY_FORMAT, money
from insight_engine.log.store import OUTCOMES
from insight_engine.outputs.chart import cadence_heatmap, cadence_vs_target
from insight_engine.outputs.pack import (
    flagged_insights,
    pack_choices,
    pack_file_name,
    pack_markdown,
    pack_pptx,
)
from insight_engine.outputs.prep import FOLLOW_UPS
from pages.shared import ui

who = ui.require("team_cadence")
book = ui.book()
result = ui.analysis(book)
st.title("Team cadence")
# Controls and figures in rows that wrap (fixed widths): four across at 1280 and 800 px, two by
# two when the sidebar is open at 800 px, where four fixed columns cut or squeezed the labels.
controls = st.container(horizontal=True, gap="small")
# A manager sees their own team; an admin any team or all of them.
teams = ["All teams", *book.teams] if who.role == "admin" else [who.team]
team = controls.selectbox("Team (manager)", teams, key="team", width=175)
weeks = controls.slider("Weeks", 4, 52, 12, key="cadence_weeks", width=175)
motions = controls.multiselect(
    "Motions",
    list(MOTION_LABELS),
    format_func=MOTION_LABELS.get,
    key="cadence_motions",
    placeholder="All motions",
    width=175,
)
target = controls.number_input(
    "Monthly target",
    0.1,
    8.0,
    1.0,
    step=0.1,
    key="cadence_target",
    help="The cadence target: insights each account should receive in a month. The team's "
    "weekly target in the chart below is this times the accounts in view, divided by 52/12.",
    width=175,
)

accounts = ui.visible(book.accounts, book)
if team != "All teams" and who.role == "admin":
    accounts = accounts.loc[accounts["manager"] == team]
ids = set(accounts["account_id"])
log = ui.log_frame(book)
log = log.loc[log["account_id"].isin(ids)]
team_log = book.insights.loc[book.insights["account_id"].isin(ids)]
history = team_log
if motions:
    history = history.loc[history["motion"].isin(motions)]
recent = history.loc[history["date"] > book.as_of - pd.Timedelta(weeks=weeks)]
names = book.accounts.set_index("account_id")["account_name"]
LANDED = OUTCOMES["landed"].split(":")[0]  # "Landed": one word for the outcome everywhere here


def percent(share: pd.Series) -> pd.Series:
    """Shares 0–1 as whole percents 0–100, shown with ``PERCENT`` ("42%") in every table."""
    return (pd.to_numeric(share, errors="coerce") * 100).round().astype("Int64")


PERCENT = "%d%%"

cov = coverage(team_log, accounts, as_of=book.as_of)
figures = st.container(horizontal=True, gap="small")
figures.metric(
    "Insights shared",
    f"{len(recent):,}",
    help=f"In the last {weeks} weeks. {COUNT_HELP}",
    width=175,
)
decided = recent["outcome"].isin(["landed", "no_response", "pushed_back"])
figures.metric(
    LANDED,
    "—" if not decided.any() else f"{(recent.loc[decided, 'outcome'] == 'landed').mean():.0%}",
    help="Share of decided insights the customer acted on.",
    width=175,
)
figures.metric(
    "Coverage (30 days)",
    f"{cov['covered'].sum() / max(len(accounts), 1):.0%}",
    help=f"{COVERAGE_HELP} Here: all the accounts in view.",
    width=175,
)
try:
    open_follow = ui.store().follow_ups(
        book_key=book.key, account_ids=None if len(ids) == len(book.accounts) else ids
    )
except RudderError as exc:
    st.warning(ui.md(exc))
    open_follow = pd.DataFrame(
        columns=["id", "kind", "due_on", "account_id", "csm", "motion", "one_liner"]
    )
overdue = open_follow.loc[open_follow["due_on"].notna() & (open_follow["due_on"] < book.as_of)]
figures.metric(
    "Overdue follow-ups",
    f"{len(overdue):,}",
    help="Follow-ups logged with an insight and past their due date.",
    width=175,
)

st.subheader("Who needs help this week")
signals = result.signals.loc[result.signals["account_id"].isin(ids)]
ranked = result.ranked.loc[result.ranked["account_id"].isin(ids)].reset_index(drop=True)
help_table = needs_help(accounts, team_log, signals, ranked, overdue, as_of=book.as_of)
if help_table.empty:
    st.success("No one is behind this week: every CSM sent an insight in the last 14 days.")
else:
    st.caption(
        "Per CSM, what is behind, the next step and the accounts it concerns (every one in the "
        "CSV), the CSM with most accounts behind first: no insight in 14+ days, overdue "
        "follow-ups, risks without a mitigation logged in 30 days, stalled accounts, and "
        "top-decile opportunities untouched for 30+ days."
    )
    # a static table: the names and next steps wrap instead of being cut (all cells made inert)
    st.table(
        help_table[["csm", "what", "next_step", "accounts"]]
        .map(ui.md)
        .rename(
            columns={
                "csm": "CSM",
                "what": "What is behind (accounts)",
                "next_step": "Next step",
                "accounts": "Which accounts",
            }
        ),
        hide_index=True,
    )
    ui.csv_button(help_table, "who needs help this week", key="needs-help")

st.subheader("Who shares insights")
per_week = per_csm_week(history, accounts["csm"], as_of=book.as_of, weeks=weeks)
quiet = quietest(per_week)
if quiet is None:
    st.caption("No CSM owns an account in this view.")
elif per_week["insights"].sum() == 0:
    st.markdown(f"No one in the team has logged an insight in the last {weeks} weeks.")
else:
    # the count sent and the share of a book reached are two numbers: named apart
    st.markdown(
        "  \n".join(
            f"**{ui.md(lead)}** · {ui.md(rest)}"
            for lead, rest in reach_and_count(quiet, cov, weeks=weeks)
        ),
        help=f"{COUNT_HELP}\n\n{COVERAGE_HELP}",
    )
heat = cadence_heatmap(per_week if per_week["insights"].sum() else per_week.iloc[0:0])
ui.chart(heat)
st.caption(f"How to read this: {ui.md(heat.caption)}")
ui.png_button(heat, "the cadence heatmap", key="cadence-heatmap")
weekly = team_weekly(
    history, as_of=book.as_of, weeks=weeks, n_accounts=len(accounts), per_account_per_month=target
)
vs = cadence_vs_target(weekly)
ui.chart(vs)
st.caption(f"How to read this: {ui.md(vs.caption)}")
ui.png_button(vs, "the cadence chart", key="cadence-target")

st.subheader("Coverage")
st.caption(
    "How much of each CSM's book received at least one insight in the last 30 days, lowest "
    "first: a share of accounts, not a count of insights (that is in the chart above)."
)
ui.table(
    cov.assign(coverage=percent(cov["coverage"])),
    "coverage",
    key="coverage",
    column_config={
        "csm": "CSM",
        "accounts": st.column_config.NumberColumn("Accounts in book"),
        "covered": st.column_config.NumberColumn(
            "Reached in 30 days", help="Accounts that received at least one insight."
        ),
        "coverage": st.column_config.NumberColumn(
            "Coverage (share reached)", format=PERCENT, help=COVERAGE_HELP
        ),
    },
)
if len(cov):
    drill = st.selectbox("Open a CSM's book", cov["csm"].tolist(), key="drill_csm")
    st.page_link(
        "pages/csm/this_week.py",
        label=f"Open {ui.md(drill)}'s week",
        query_params={"csm": drill},
        icon=":material/open_in_new:",
    )
st.subheader("Mix by motion")
st.caption(f"Insights each CSM sent in the last {weeks} weeks, by motion; most first.")
mixed = mix(recent)
mixed = mixed.rename(columns={k: v for k, v in MOTION_LABELS.items() if k in mixed})
ui.table(
    mixed.sort_values("total", ascending=False, kind="stable") if len(mixed) else mixed,
    "the mix",
    key="mix",
    column_config={"csm": "CSM", "total": "Total"},
)

st.subheader("Accounts with no insight in 45+ days")
quiet_accounts = untouched(team_log, accounts, as_of=book.as_of)
if quiet_accounts.empty:
    st.caption("Every account in view received an insight in the last 45 days.")
else:
    ui.table(
        quiet_accounts.assign(arr=quiet_accounts["arr"].map(money))
        if "arr" in quiet_accounts
        else quiet_accounts,
        "untouched accounts",
        key="untouched",
        column_config={
            "account_id": None,
            "account_name": "Account",
            "csm": "CSM",
            "tier": "Tier",
            "arr": "ARR",
            "days_since_insight": None,  # in the CSV; people read the words beside it
            "since_last_insight": st.column_config.TextColumn("Last insight"),
        },
    )

st.subheader("Who got a win, who got a better-practice insight")
for motion in ("win", "better_practice"):
    got = recent.loc[recent["motion"] == motion].assign(
        account=lambda f: f["account_id"].map(names)
    )
    st.markdown(f"**{MOTION_LABELS[motion]}** ({len(got):,})")
    if got.empty:
        st.caption(f"None sent in the last {weeks} weeks.")
        continue
    ui.table(
        got[["date", "csm", "account", "one_liner"]].sort_values("date", ascending=False),
        f"{MOTION_LABELS[motion].lower()} insights",
        key=f"got-{motion}",
        row_height=66,  # over 4rem: the one-liner wraps instead of running off at 800 px
        column_config={
            "date": st.column_config.DateColumn("Sent", format=DAY_FORMAT, width=100),
            "csm": st.column_config.TextColumn("CSM", width=120),
            "account": st.column_config.TextColumn("Account", width=140),
            "one_liner": st.column_config.TextColumn("One-liner", width=340),
        },
    )

st.subheader("Outcomes")
st.caption(
    f"Of the insights with an outcome recorded in the last {weeks} weeks, the share that "
    f"{LANDED.lower()} (the customer acted); pending ones are left out. Lowest first."
)
for by, label in (("csm", "CSM"), ("motion", "Motion")):
    rates = landed_rate(recent, by).sort_values("landed_rate", kind="stable")
    if by == "motion":
        rates = rates.assign(motion=rates["motion"].map(MOTION_LABELS).fillna(rates["motion"]))
    ui.table(
        rates.assign(landed_rate=percent(rates["landed_rate"])),
        f"landed rate by {label if by == 'csm' else label.lower()}",
        key=f"landed-{by}",
        column_config={
            by: label,
            "decided": "With an outcome",
            "landed": f"{LANDED} (count)",
            "landed_rate": st.column_config.NumberColumn(f"{LANDED} (share)", format=PERCENT),
        },
    )
st.markdown(f"**Overdue follow-ups** ({len(overdue)})")
if overdue.empty:  # the empty table stays: its CSV columns are what a report expects
    st.caption(
        "No follow-up is overdue. Follow-ups are set when an insight is logged on an Account page."
    )
ui.table(
    overdue.assign(account=overdue["account_id"].map(names), what=overdue["kind"].map(FOLLOW_UPS))[
        ["due_on", "csm", "account", "what", "one_liner"]
    ].sort_values("due_on", kind="stable"),
    "overdue follow-ups",
    key="overdue",
    row_height=66,
    column_config={
        "due_on": st.column_config.DateColumn("Due", format=DAY_FORMAT, width=100),
        "csm": st.column_config.TextColumn("CSM", width=120),
        "account": st.column_config.TextColumn("Account", width=140),
        "what": st.column_config.TextColumn("Follow-up", width=180),
        "one_liner": st.column_config.TextColumn("Insight", width=300),
    },
)

st.subheader("Alignment Meeting queue")
queue = flagged_insights(log, sorted(ids))
if queue.empty:
    st.caption(
        "No insights are flagged for the next Alignment Meeting. Flag them when you log an insight."
    )
else:
    queue = queue.assign(account=queue["account_id"].map(names))
    st.caption(
        "Insights flagged for the next Alignment Meeting, latest first. A pack is built for one "
        "customer at a time, below the table."
    )
    ui.table(
        queue.assign(motion=queue["motion"].map(MOTION_LABELS).fillna(queue["motion"]))[
            ["sent_on", "csm", "account", "motion", "one_liner"]
        ].sort_values("sent_on", ascending=False, kind="stable"),
        "the Alignment Meeting queue",
        key="queue",
        row_height=66,
        column_config={
            "sent_on": st.column_config.DateColumn("Sent", format=DAY_FORMAT, width=100),
            "csm": st.column_config.TextColumn("CSM", width=120),
            "account": st.column_config.TextColumn("Account", width=140),
            "motion": st.column_config.TextColumn("Motion", width=110),
            "one_liner": st.column_config.TextColumn("Insight", width=300),
        },
    )
    # one customer per deck (a pack is shown to that customer): pick whose meeting it is for
    choices = pack_choices(queue, names)
    chosen = st.selectbox(
        "Build the Alignment Meeting pack for",
        list(choices),
        format_func=choices.get,
        key="pack_account",
        help="The customers with flagged insights, the most recently flagged first.",
    )
    st.download_button(
        "Alignment Meeting pack (PowerPoint)",
        pack_pptx(book, result, log, chosen, open_follow),
        file_name=pack_file_name(book, chosen),
        key="pack-pptx",
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
    )
    st.download_button(
        "Alignment Meeting pack (Markdown)",
        pack_markdown(book, log, chosen),
        file_name=pack_file_name(book, chosen, "md"),
        mime="text/markdown",
        key="pack-md",
    )
