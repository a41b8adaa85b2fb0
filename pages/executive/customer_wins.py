"""Executive — Customer wins: the value customers realised (what improved for whom, against the
goal they stated), by outcome kind and tier with the ARR behind them, the quarter's best wins as
a forwardable one-page summary, and how the book's health moved. Win emails sent are a
secondary figure. Customers are named next to their wins; CSMs never are (no league tables)."""

import pandas as pd
import streamlit as st

from insight_engine.fmt import DAY_FORMAT, day, money
from insight_engine.outputs.chart import health_distribution
from insight_engine.outputs.wins import (
    KINDS,
    by_kind_and_tier,
    monthly_wins,
    story,
    value_realised,
    win_emails,
    win_emails_chart,
)
from insight_engine.outputs.wins_summary import summary, summary_pptx, summary_text
from pages.shared import ui

DAYS = 90

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
scope = ", ".join([*tiers, *segments])

realised = value_realised(book, days=DAYS)
realised = realised.loc[realised["account_id"].isin(ids)].reset_index(drop=True)
emails = book.insights.loc[book.insights["account_id"].isin(ids)]
sent = win_emails(emails, as_of=book.as_of, days=DAYS)
sent_before = win_emails(emails, as_of=book.as_of - pd.Timedelta(days=DAYS), days=DAYS)

start = book.as_of - pd.Timedelta(days=DAYS - 1)
st.caption(
    f"What customers achieved in the last {DAYS} days ({day(start)} – {day(book.as_of)}), read "
    "from their own usage, milestones and survey answers — whether or not anyone emailed them "
    "about it."
)
customers = realised["account_id"].nunique()
arr = realised.drop_duplicates("account_id")["arr"].sum()
# A row that wraps (fixed widths): four across at 1280 and 800 px, two by two when the sidebar
# is open at 800 px, where four fixed columns cut the labels and values ("Customers …", "$11.…").
figures = st.container(horizontal=True, gap="small")
figures.metric(
    "Customers with a win",
    f"{customers:,}",
    help="Accounts with a result they measure improved by 10% or more, a First Value or Value "
    "Block milestone reached, or a new promoter score.",
    width=175,
)
figures.metric(
    "ARR behind them",
    money(arr),
    help="The yearly revenue of the customers with a win, each counted once.",
    width=175,
)
figures.metric(
    "Share of accounts",
    f"{customers / max(len(accounts), 1):.0%}",
    help="Of the accounts shown.",
    width=175,
)
figures.metric(
    "Win emails sent",
    f"{sent:,}",
    f"{sent - sent_before:+,} vs the {DAYS} days before",
    delta_color="off",
    width=175,
    help="A secondary figure: win insights Customer Success sent in the period (effort, not "
    "results; a customer's win counts above whether or not it was emailed).",
)

st.subheader("This quarter's best wins")
page = summary(realised, as_of=book.as_of, days=DAYS, win_emails=sent, scope=scope)
if page.wins:
    for line in page.wins:
        st.markdown(f"- {ui.md(line)}")
else:
    st.caption("No customer achievement is on record for this period yet.")
downloads = st.container(horizontal=True)  # two buttons side by side, one under the other at 800
downloads.download_button(
    "Download one-page summary (PowerPoint)",
    summary_pptx(page),
    file_name="customer-wins.pptx",
    mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
    key="wins-summary-pptx",
)
downloads.download_button(
    "Download one-page summary (text)",
    summary_text(page),
    file_name="customer-wins.txt",
    mime="text/plain",
    key="wins-summary-txt",
)

st.subheader("By outcome kind and tier")
st.caption("Each customer's ARR counted once per row; a customer may appear under several kinds.")
grid = by_kind_and_tier(realised)
# At most nine rows: a static table, whose cells wrap at 800 px instead of scrolling out of view
st.table(
    grid.assign(arr=grid["arr"].map(money)).rename(
        columns={
            "kind": "What the customer achieved",
            "tier": "Tier",
            "achievements": "Achievements",
            "accounts": "Customers",
            "arr": "ARR behind them",
        }
    ),
    hide_index=True,
)
ui.csv_button(grid, "wins by kind and tier", key="wins-kind-tier")

st.subheader("Every achievement")
every = realised.assign(arr=realised["arr"].map(money), kind=realised["kind"].map(KINDS))[
    ["account_name", "improvement", "goal", "when", "kind", "tier", "arr"]
]
if realised.empty:
    st.caption("No customer achievement is on record for this period yet.")
else:
    st.markdown("Click a row to read it in full.")
# What a reader needs first (who, what improved, toward which goal), in cells that wrap; the
# rest after. At 800 px the goal may run off the right edge: the row, clicked, reads in full.
picked = ui.grid(
    every,
    key="achievements",
    on_select="rerun",
    selection_mode="single-cell",
    hide_index=True,
    width="stretch",
    row_height=66,  # over 4rem, so Streamlit wraps the text instead of cutting it
    column_config={
        "account_name": st.column_config.TextColumn("Customer", width=130),
        "improvement": st.column_config.TextColumn("What improved", width=250),
        "goal": st.column_config.TextColumn("Their stated goal", width=250),
        "when": st.column_config.TextColumn("When", width=110),
        "kind": st.column_config.TextColumn("Kind", width=190),
        "tier": st.column_config.TextColumn("Tier", width=90),
        "arr": st.column_config.TextColumn("ARR", width=70),
    },
)
cells = picked.selection.get("cells", []) if picked else []
if cells:
    chosen = realised.iloc[int(cells[0][0])]
    with st.container(border=True, key="achievement-in-full"):
        st.markdown(f"**{ui.md(KINDS.get(chosen['kind'], chosen['kind']))}**")
        st.markdown(ui.md(story(chosen)))
ui.csv_button(every, "customer achievements", key="achievements")

st.subheader("Win emails sent per month (secondary)")
first = book.insights["date"].min() if len(book.insights) else book.as_of
wins_sent = emails.loc[emails["motion"] == "win"].merge(
    accounts[["account_id", "tier"]], on="account_id", how="left"
)
monthly, note = monthly_wins(wins_sent, as_of=book.as_of, first=first)
chart = win_emails_chart(monthly, note)
ui.chart(chart)
st.caption(f"How to read this: {ui.md(chart.caption)}")
ui.png_button(chart, "the win emails chart", key="wins-by-tier")

st.subheader("Renewal evidence and case-study candidates")
log = ui.log_frame(book)
log = log.loc[
    log["account_id"].isin(ids)
    & (log["motion"] == "win")
    & (pd.to_datetime(log["sent_on"]) > book.as_of - pd.Timedelta(days=DAYS))
]
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
st.caption(
    f"Wins shared in the last {DAYS} days that were marked as renewal evidence or as a "
    "case-study candidate, latest first."
)
if tagged.empty:
    st.caption(
        "None yet: a win is marked as renewal evidence or a case-study candidate when it is "
        "logged on an Account page (its follow-up)."
    )
else:
    ui.table(
        tagged[["sent_on", "account", "one_liner", "kind"]].sort_values("sent_on", ascending=False),
        "renewal evidence and case studies",
        key="evidence",
        row_height=66,  # over 4rem: the win as shared wraps instead of running off at 800 px
        column_config={
            "sent_on": st.column_config.DateColumn("Shared", format=DAY_FORMAT, width=100),
            "account": st.column_config.TextColumn("Customer", width=130),
            "one_liner": st.column_config.TextColumn("The win as shared", width=330),
            "kind": st.column_config.TextColumn("Marked as", width=160),
        },
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
ui.chart(dist)
st.caption(f"How to read this: {ui.md(dist.caption)}")
ui.png_button(dist, "the health chart", key="health-dist")
ui.table(
    dist.data.pivot(index="band", columns="when", values="accounts").reset_index(),
    "the health distribution",
    key="health-table",
    column_config={
        "band": "Health score band",
        "a quarter ago": st.column_config.NumberColumn("Accounts a quarter ago"),
        "now": st.column_config.NumberColumn("Accounts now"),
    },
)
