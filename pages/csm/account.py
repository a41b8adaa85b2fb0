"""CSM — Account: health and why it moved, usage, milestones, contacts, notes, guidance so far."""

import pandas as pd
import streamlit as st

from insight_engine import RudderError
from insight_engine.chart import health_trend, metric_trend
from insight_engine.detector import AUDIENCE, MOTION_LABELS, signal_records
from insight_engine.fmt import account_line
from insight_engine.pack import flagged_insights, pack_pptx
from insight_engine.prep import (
    FOLLOW_UPS,
    explain_chart,
    prep_checklist,
    question_bank,
    suggest_follow_ups,
    weekly_insight,
)
from insight_engine.scorecard import adoption_scorecard
from insight_engine.store import OUTCOMES, NewInsight, idempotency_key
from pages.shared import ui

who = ui.require("account")
book = ui.book()
health = ui.health(book)
table = ui.visible(ui.book_table(book), book)  # only the accounts this person may open


READER_LABELS = {
    "admin": "Admin (day-to-day user)",
    "champion": "Champion (will forward it)",
    "executive": "Executive sponsor",
}

ids = table.sort_values("account_name")["account_id"].tolist()
names = dict(zip(table["account_id"], table["account_name"], strict=True))
requested = st.query_params.get("account")
if requested and requested not in names:
    if (book.accounts["account_id"] == requested).any():
        # In the book but not in this person's view (e.g. another CSM's account by URL):
        # say so without showing anything of it, not even its name.
        st.error(
            f"Account {ui.md(requested)} is not in your book, so Rudder will not open it. "
            "Ask your Rudder admin if it should be."
        )
        st.stop()
    st.warning(
        f"There is no account {ui.md(requested)} in this book; showing the first account instead."
    )
    requested = None
if not ids:
    st.info("There are no accounts in your view of this book.")
    st.stop()
default = ids.index(requested) if requested else 0
account_id = st.selectbox(
    "Account", ids, index=default, format_func=lambda a: f"{names[a]} ({a})", key="account_pick"
)
st.query_params["account"] = account_id

acct = book.account(account_id)
row = table.loc[table["account_id"] == account_id].iloc[0]
st.title(ui.md(acct["account_name"]), anchor=False)  # no anchor made from customer text
st.caption(ui.md(account_line(acct, book.as_of)))
if pd.notna(acct.get("stated_goal")):
    st.info(f"**Their goal, in their words:** {ui.md(acct['stated_goal'])}")

c1, c2 = st.columns([1, 2])
with c1:
    score = row["health"]
    st.metric(
        "Health",
        "—" if pd.isna(score) else f"{score:.0f} / 100",
        None if pd.isna(row["change_4w"]) else f"{round(row['change_4w']):+d} in 4 weeks",
    )
    st.caption(f"Band: **{row['band']}**")
    st.markdown("**Why did the score move?**")
    for sentence in health.explain_change(account_id):
        st.markdown(f"- {ui.md(sentence)}")
with c2:
    s = ui.settings().health
    chart = health_trend(
        health.history(account_id),
        red_below=s.red_below,
        green_above=s.green_above,
        account_name=str(acct["account_name"]),
    )
    st.altair_chart(chart.chart, width="stretch")
    st.caption(ui.md(chart.caption))
st.dataframe(
    health.breakdown(account_id),
    hide_index=True,
    width="stretch",
    column_config={
        "component": "Component",
        "score": st.column_config.NumberColumn("Score (0–100)", format="%.0f"),
        "weight": st.column_config.NumberColumn("Weight %", format="%.0f"),
        "weight_used": st.column_config.NumberColumn("Weight used %", format="%.0f"),
        "points": st.column_config.NumberColumn("Points of the score", format="%.1f"),
        "note": st.column_config.TextColumn("Note", width="large"),
    },
)

st.subheader("Signals this week")
result = ui.analysis(book)
mine = result.signals.loc[result.signals["account_id"] == account_id]
rank_row = result.ranked.loc[result.ranked["account_id"] == account_id].iloc[0]
st.caption(
    f"Opportunity {rank_row['score']:.0f}/100 · why: {ui.md(' · '.join(rank_row['reasons']) or '—')}"
)
if mine.empty:
    st.info("No signal this week: nothing here needs interpreting right now.")
for note in ui.data_notes(book).query("account_id == @account_id")["note"]:
    st.caption(f"Data note: {ui.md(note)}")
for sig in signal_records(mine):
    with st.container(border=True):
        st.markdown(f"**{MOTION_LABELS[sig['motion']]}** · strength {sig['strength']:.2f}")
        st.text(sig["headline"])
        st.caption(
            f"Why now: {ui.md(sig['why_now'])}. Goal: {ui.md(sig['goal'] or '—')}. For: {', '.join(sig['audience'])}."
        )
        evidence = {k: v for k, v in sig["evidence"].items() if v is not None}
        if evidence:
            st.json(evidence, expanded=False)

if not mine.empty:
    st.subheader("Draft the insight")
    # The motion This week ranked the account by comes first (what the CSM clicked through for),
    # then the others, strongest first.
    motions = list(
        dict.fromkeys(
            [m for m in [row.get("motion")] if m in set(mine["motion"])]
            + list(mine.sort_values("strength", ascending=False)["motion"])
        )
    )
    motion = st.radio(
        "Signal to share",
        motions,
        format_func=MOTION_LABELS.get,
        horizontal=True,
        key="draft_motion",
    )
    # Several signals of this motion: the CSM chooses which one to draft (strongest first).
    same = mine.loc[mine["motion"] == motion]
    signal = None
    if len(same) > 1:
        options = list(range(len(same)))
        pick = st.selectbox(
            "Which one",
            options,
            format_func=lambda k: (
                f"{same['headline'].iloc[k]} (strength {same['strength'].iloc[k]:.2f})"
            ),
            key=f"draft_signal-{motion}",
            help="The strongest is chosen first; pick another to draft it instead.",
        )
        metric = same["metric"].iloc[pick]
        signal = (str(same["detector"].iloc[pick]), None if pd.isna(metric) else str(metric))
    ctx, drafted = ui.drafts(book, account_id, motion, signal)
    chart = ui.insight_chart_for(book, ctx)
    st.altair_chart(chart.chart, width="content")
    st.caption(f"How to read this: {ui.md(chart.caption)}")
    st.download_button(
        "Download the chart for your email (PNG)",
        ui.chart_png(book.data_key, ui.settings().to_json(), account_id, motion, chart),
        file_name=f"{account_id}-{motion}.png",
        mime="image/png",
        key=f"png-{account_id}-{motion}",
    )
    if drafted.notice:
        st.info(drafted.notice, icon=":material/info:")
        if ui.claude_key() and drafted.drafter == "template" and st.button("Try Claude again"):
            st.session_state["claude_attempt"] = st.session_state.get("claude_attempt", 0) + 1
            st.rerun()
    st.caption(
        f"Drafted by {'Claude (' + drafted.drafter + ')' if drafted.drafter != 'template' else 'Rudder templates'}."
        " Review every word; Rudder never sends anything."
    )
    columns = st.columns(3)
    edited_texts: dict[str, str] = {}
    for column, audience in zip(columns, ("admin", "champion", "executive"), strict=True):
        d = drafted[audience]
        with column:
            st.markdown(f"**{READER_LABELS[audience]}**")
            edited = st.text_area(
                f"{audience} draft",
                d.text,
                height=420,
                label_visibility="collapsed",
                key=f"draft-{account_id}-{motion}-{audience}",
            )
            edited_texts[audience] = edited
            st.caption(f"{len(edited.split())} words")
            if d.flags:
                st.warning(f"Check: {ui.md(', '.join(d.flags))} is not in the evidence.")
            st.code(edited, language=None, wrap_lines=True)  # the copy button is on the code block
    with st.expander("Prep checklist and question bank", expanded=False):
        left, right = st.columns(2)
        left.dataframe(
            pd.DataFrame(prep_checklist(ctx), columns=["Prep checklist", "For this insight"]),
            hide_index=True,
            width="stretch",
        )
        right.dataframe(
            pd.DataFrame(question_bank(ctx), columns=["Question bank", "Prompt"]),
            hide_index=True,
            width="stretch",
        )
    with st.expander("This week's insight, the chart explained, and what should follow"):
        weekly = weekly_insight(ctx)
        st.markdown("**This week's insight**")
        st.text(
            f"{weekly.insight}\nWhy it matters: {weekly.why_it_matters}\nFor: {', '.join(weekly.audience)}"
            f"\nEvidence: {weekly.evidence}\nAction: {weekly.action}"
        )
        explained = explain_chart(ctx)
        st.markdown("**Explain this chart to someone who has never logged in**")
        st.text(
            f"Where to look: {explained.where_to_look}\nWhat it means: {explained.what_it_means}"
            f"\nConclusion: {explained.conclusion}\nAction: {explained.action}"
        )
        st.markdown("**What should follow**")
        for key in suggest_follow_ups(ctx):
            st.markdown(f"- {FOLLOW_UPS[key]}")

if not mine.empty:
    st.subheader("Log what you shared")
    suggested = suggest_follow_ups(ctx)
    with st.form(f"log-{account_id}-{motion}"):
        c1, c2, c3 = st.columns(3)
        readers = c1.multiselect(
            "Sent to",
            list(READER_LABELS),
            default=list(AUDIENCE[motion]),
            format_func=READER_LABELS.get,
        )
        follow = c2.selectbox(
            "Follow-up",
            ["none", *FOLLOW_UPS],
            index=1 + list(FOLLOW_UPS).index(suggested[0]),
            format_func=lambda k: "No follow-up" if k == "none" else FOLLOW_UPS[k],
        )
        due = c3.date_input("Follow-up due", value=(book.as_of + pd.Timedelta(days=7)).date())
        tags = st.multiselect(
            "Tags",
            sorted({*FOLLOW_UPS, motion, "renewal evidence", "enablement"}),
            default=[motion],
            format_func=lambda t: FOLLOW_UPS.get(t, t.replace("_", " ")),
        )
        flag = st.checkbox(
            "Bring to the next Alignment Meeting", value=motion in ("win", "risk", "expansion")
        )
        submitted = st.form_submit_button("Log insight", type="primary")
    if submitted:
        primary = readers[0] if readers else "champion"
        final = edited_texts.get(primary, drafted[primary].text)
        new = NewInsight(
            account_id=account_id,
            csm=str(acct["csm"]),
            author=ui.user_name(),
            motion=motion,
            audience=readers or [primary],
            text=final,
            sent_on=book.as_of.date(),
            book_key=book.key,
            subject=drafted[primary].subject,
            one_liner=drafted[primary].one_liner,
            tags=tags,
            follow_up=None if follow == "none" else follow,
            follow_up_due=due if follow != "none" else None,
            alignment_meeting=flag,
            drafter=drafted.drafter,
            evidence={
                **{k: v for k, v in ctx.payload().items() if k != "customer_text"},
                "headline": ctx.headline,
            },
            signal_strength=float(mine.loc[mine["motion"] == motion, "strength"].max()),
            health_at_send=None if pd.isna(row["health"]) else float(row["health"]),
            key=idempotency_key(account_id, motion, book.as_of.date(), ui.user_name(), final),
        )
        try:
            _, created = ui.store().log(new)
        except RudderError as exc:
            st.error(ui.md(exc))  # the edited drafts stay on screen: nothing is lost
        else:
            if created:
                st.success("Logged. It is in this account's timeline and in your follow-ups.")
            else:
                st.info("Already logged: this exact insight is in the log once.")

    pending = book.insights.loc[
        (book.insights["account_id"] == account_id) & book.insights["outcome"].isna()
    ]
    if len(pending):
        with st.expander(f"Record an outcome ({len(pending)} insight(s) waiting)"):
            options = pending.sort_values("date", ascending=False)
            pick = st.selectbox(
                "Insight",
                options["insight_id"].tolist(),
                key="outcome_pick",
                format_func=lambda i: (
                    f"{options.set_index('insight_id').at[i, 'date']:%d %b} · "
                    f"{options.set_index('insight_id').at[i, 'one_liner'] or options.set_index('insight_id').at[i, 'motion']}"
                ),
            )
            outcome = st.radio(
                "What happened?",
                list(OUTCOMES),
                format_func=OUTCOMES.get,
                horizontal=True,
                key="outcome_value",
            )
            if st.button("Save outcome"):
                log = ui.store().insights([account_id], book_key=book.key)
                match = log.loc[log["insight_id"] == pick, "id"]
                try:
                    ui.store().record_outcome(
                        int(match.iloc[0]), outcome, by=ui.user_name(), on=book.as_of.date()
                    )
                except RudderError as exc:
                    st.error(ui.md(exc))
                else:
                    st.success("Outcome saved; the opportunity model learns from it.")
                    st.rerun()

flagged_here = flagged_insights(ui.log_frame(book), [account_id])
if len(flagged_here):
    st.download_button(
        f"Alignment Meeting pack: {len(flagged_here)} flagged insight(s) (PowerPoint)",
        pack_pptx(
            book,
            ui.analysis(book),
            ui.log_frame(book),
            [account_id],
            ui.store().follow_ups(book_key=book.key, account_ids=[account_id]),
        ),
        file_name=f"alignment-meeting-{account_id}.pptx",
        key="account-pack",
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
    )

st.subheader("Adoption scorecard")
st.caption(
    "Each capability's use per licensed seat over the last 4 weeks, against the same-tier average."
)
st.dataframe(
    adoption_scorecard(book, account_id).assign(ratio=lambda f: f["ratio"] * 100),
    hide_index=True,
    width="stretch",
    column_config={
        "capability": "Capability",
        "account": st.column_config.NumberColumn("This account", format="%.1f"),
        "tier_average": st.column_config.NumberColumn("Tier average", format="%.1f"),
        "ratio": st.column_config.ProgressColumn(
            "Of the average", min_value=0, max_value=150, format="%.0f%%"
        ),
        "status": "Status",
    },
)

st.subheader("Usage")
labels = dict(zip(book.metrics["metric"], book.metrics["label"], strict=True))
metric = st.selectbox("Metric", list(labels), format_func=labels.get, key="metric_pick")
frame = (
    book.weekly.account_frame(account_id)[metric]
    .rename("value")
    .rename_axis("week_end")
    .reset_index()
)
meta = book.metrics.set_index("metric").loc[metric]
chart = metric_trend(
    frame,
    label=labels[metric],
    unit=str(meta.get("unit") or ""),
    account_name=str(acct["account_name"]),
    target=meta.get("target"),
)
st.altair_chart(chart.chart, width="stretch")
st.caption(ui.md(chart.caption))

left, right = st.columns(2)
with left:
    st.subheader("Milestones")
    ms = book.milestones.loc[
        book.milestones["account_id"] == account_id,
        ["milestone", "kind", "due_date", "completed_date"],
    ]
    st.dataframe(
        ms,
        hide_index=True,
        width="stretch",
        column_config={
            "due_date": st.column_config.DateColumn("Due"),
            "completed_date": st.column_config.DateColumn("Done"),
        },
    )
    st.subheader("Contacts")
    st.dataframe(
        book.contacts.loc[book.contacts["account_id"] == account_id, ["name", "role", "email"]],
        hide_index=True,
        width="stretch",
    )
with right:
    st.subheader("Guidance already shared")
    hist = book.insights.loc[book.insights["account_id"] == account_id].sort_values(
        "date", ascending=False
    )
    st.dataframe(
        hist[["date", "motion", "audience", "one_liner", "outcome"]],
        hide_index=True,
        width="stretch",
        column_config={"date": st.column_config.DateColumn("Sent")},
    )
    st.subheader("Meeting notes")
    notes = (
        book.notes.loc[book.notes["account_id"] == account_id]
        .sort_values("date", ascending=False)
        .head(8)
    )
    for n in notes.itertuples():
        st.markdown(f"**{n.date:%d %b %Y}** · {ui.md(n.author)}")
        st.text(n.text)
