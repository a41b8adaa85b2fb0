"""Manager — Team cadence: who shares insights, how much of each book they reach, what lands,
who needs guidance, and what goes to the next Alignment Meeting."""

import pandas as pd
import streamlit as st

from insight_engine import RudderError
from insight_engine.cadence import (
    coverage,
    landed_rate,
    mix,
    team_weekly,
    untouched,
    untouched_opportunities,
    weekly_counts,
)
from insight_engine.chart import cadence_heatmap, cadence_vs_target
from insight_engine.detector import MOTION_LABELS
from insight_engine.pack import flagged_insights, pack_markdown, pack_pptx
from insight_engine.prep import FOLLOW_UPS
from pages.shared import ui

who = ui.require("team_cadence")
book = ui.book()
result = ui.analysis(book)
st.title("Team cadence")
c1, c2, c3, c4 = st.columns(4)
# A manager sees their own team; an admin any team or all of them.
teams = ["All teams", *book.teams] if who.role == "admin" else [who.team]
team = c1.selectbox("Team (manager)", teams, key="team")
weeks = c2.slider("Weeks", 4, 52, 12, key="cadence_weeks")
motions = c3.multiselect(
    "Motions", list(MOTION_LABELS), format_func=MOTION_LABELS.get, key="cadence_motions"
)
target = c4.number_input(
    "Cadence target (insights per account per month)", 0.1, 8.0, 1.0, step=0.1, key="cadence_target"
)

accounts = ui.visible(book.accounts, book)
if team != "All teams" and who.role == "admin":
    accounts = accounts.loc[accounts["manager"] == team]
ids = set(accounts["account_id"])
log = ui.log_frame(book)
log = log.loc[log["account_id"].isin(ids)]
history = book.insights.loc[book.insights["account_id"].isin(ids)]
if motions:
    history = history.loc[history["motion"].isin(motions)]
recent = history.loc[history["date"] > book.as_of - pd.Timedelta(weeks=weeks)]

cov = coverage(book.insights.loc[book.insights["account_id"].isin(ids)], accounts, as_of=book.as_of)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Insights shared", f"{len(recent):,}", help=f"In the last {weeks} weeks.")
decided = recent["outcome"].isin(["landed", "no_response", "pushed_back"])
m2.metric(
    "Landed",
    "—" if not decided.any() else f"{(recent.loc[decided, 'outcome'] == 'landed').mean():.0%}",
    help="Share of decided insights the customer acted on.",
)
m3.metric("Accounts reached in 30 days", f"{cov['covered'].sum() / max(len(accounts), 1):.0%}")
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
m4.metric("Overdue follow-ups", f"{len(overdue):,}")

counts = weekly_counts(history, as_of=book.as_of, weeks=weeks)
per_week = counts.groupby(["csm", "week_end"], as_index=False)["insights"].sum()
heat = cadence_heatmap(per_week)
st.altair_chart(heat.chart, width="stretch")
st.caption(f"How to read this: {ui.md(heat.caption)}")
ui.png_button(heat, "the cadence heatmap", key="cadence-heatmap")
weekly = team_weekly(
    history, as_of=book.as_of, weeks=weeks, n_accounts=len(accounts), per_account_per_month=target
)
vs = cadence_vs_target(weekly)
st.altair_chart(vs.chart, width="stretch")
st.caption(f"How to read this: {ui.md(vs.caption)}")
ui.png_button(vs, "the cadence chart", key="cadence-target")

left, right = st.columns(2)
with left:
    st.subheader("Coverage")
    st.caption("Share of each CSM's book that received an insight in the last 30 days.")
    ui.table(
        cov,
        "coverage",
        key="coverage",
        column_config={
            "csm": "CSM",
            "accounts": "Accounts",
            "covered": "Reached in 30 days",
            "coverage": st.column_config.ProgressColumn(
                "Coverage", min_value=0, max_value=1, format="percent"
            ),
        },
    )
    drill = st.selectbox("Open a CSM's book", cov["csm"].tolist(), key="drill_csm")
    st.page_link(
        "pages/csm/this_week.py",
        label=f"Open {ui.md(drill)}'s week",
        query_params={"csm": drill},
        icon=":material/open_in_new:",
    )
with right:
    st.subheader("Mix by motion")
    ui.table(mix(recent), "the mix", key="mix")

st.subheader("Accounts with no insight in 45+ days")
ui.table(
    untouched(book.insights.loc[book.insights["account_id"].isin(ids)], accounts, as_of=book.as_of),
    "untouched accounts",
    key="untouched",
    column_config={
        "arr": st.column_config.NumberColumn("ARR", format="dollar"),
        "days_since_insight": None,  # in the CSV; people read the words beside it
        "since_last_insight": st.column_config.TextColumn("Last insight"),
    },
)

st.subheader("Who got a win, who got a better-practice insight")
w1, w2 = st.columns(2)
names = book.accounts.set_index("account_id")["account_name"]
for col, motion in ((w1, "win"), (w2, "better_practice")):
    got = recent.loc[recent["motion"] == motion].assign(
        account=lambda f: f["account_id"].map(names)
    )
    with col:
        ui.table(
            got[["date", "account", "csm", "one_liner"]].sort_values("date", ascending=False),
            f"{MOTION_LABELS[motion].lower()} insights",
            key=f"got-{motion}",
            column_config={"date": st.column_config.DateColumn("Sent")},
        )

st.subheader("Who needs guidance")
signals = result.signals.loc[result.signals["account_id"].isin(ids)]
ranked = result.ranked.loc[result.ranked["account_id"].isin(ids)].reset_index(drop=True)
stalled = signals.loc[signals["motion"] == "stall"].drop_duplicates("account_id")
not_touched = untouched_opportunities(ranked, book.insights, as_of=book.as_of, days=30)
mitigated = set(
    log.loc[
        (log["date"] > book.as_of - pd.Timedelta(days=30))
        & ((log["follow_up"] == "mitigation") | (log["motion"] == "risk")),
        "account_id",
    ]
)
risks = signals.loc[
    (signals["motion"] == "risk") & ~signals["account_id"].isin(mitigated)
].drop_duplicates("account_id")
g1, g2, g3 = st.columns(3)
with g1:
    st.markdown(f"**Stalled accounts** ({len(stalled)})")
    ui.table(
        stalled.assign(account=stalled["account_id"].map(names))[["account", "headline"]],
        "stalled accounts",
        key="stalled",
    )
with g2:
    st.markdown(f"**Top-decile opportunities not touched in 30 days** ({len(not_touched)})")
    ui.table(
        not_touched.assign(account=not_touched["account_id"].map(names))[
            ["account", "score", "headline", "since_last_insight"]
        ],
        "untouched opportunities",
        key="opportunities",
        column_config={"since_last_insight": "Last insight"},
    )
with g3:
    st.markdown(f"**Risks without a logged mitigation** ({len(risks)})")
    ui.table(
        risks.assign(account=risks["account_id"].map(names))[["account", "headline"]],
        "unmitigated risks",
        key="risks",
    )

st.subheader("Outcomes")
o1, o2 = st.columns(2)
with o1:
    ui.table(
        landed_rate(recent, "csm"),
        "landed rate by CSM",
        key="landed-csm",
        column_config={"landed_rate": st.column_config.NumberColumn("Landed", format="percent")},
    )
with o2:
    ui.table(
        landed_rate(recent, "motion"),
        "landed rate by motion",
        key="landed-motion",
        column_config={"landed_rate": st.column_config.NumberColumn("Landed", format="percent")},
    )
st.markdown(f"**Overdue follow-ups** ({len(overdue)})")
ui.table(
    overdue.assign(account=overdue["account_id"].map(names), what=overdue["kind"].map(FOLLOW_UPS))[
        ["due_on", "account", "csm", "what", "one_liner"]
    ],
    "overdue follow-ups",
    key="overdue",
    column_config={"due_on": st.column_config.DateColumn("Due")},
)

st.subheader("Alignment Meeting queue")
queue = flagged_insights(log, sorted(ids))
if queue.empty:
    st.caption(
        "No insights are flagged for the next Alignment Meeting. Flag them when you log an insight."
    )
else:
    queue = queue.assign(account=queue["account_id"].map(names))
    ui.table(
        queue[["account", "sent_on", "motion", "one_liner", "csm"]],
        "the Alignment Meeting queue",
        key="queue",
        column_config={"sent_on": st.column_config.DateColumn("Sent")},
    )
    chosen = st.multiselect(
        "Build the pack for",
        sorted(queue["account_id"].unique()),
        format_func=names.get,
        default=sorted(queue["account_id"].unique())[:3],
        key="pack_accounts",
    )
    if chosen:
        st.download_button(
            "Alignment Meeting pack (PowerPoint)",
            pack_pptx(book, result, log, chosen, open_follow),
            file_name="alignment-meeting.pptx",
            key="pack-pptx",
            mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        )
        st.download_button(
            "Alignment Meeting pack (Markdown)",
            pack_markdown(book, log, chosen),
            file_name="alignment-meeting.md",
            mime="text/markdown",
            key="pack-md",
        )
