"""CSM — Account: share this week's insight on one screen (signal -> chart -> three readers'
drafts -> log), then what was shared, and the account's health, usage, milestones and notes."""

import pandas as pd
import streamlit as st

from insight_engine import RudderError
from insight_engine.analysis.detector import MOTION_LABELS, signal_records
from insight_engine.analysis.scorecard import adoption_scorecard
from insight_engine.fmt import DAY_FORMAT, account_line, clip, day, days, plural
from insight_engine.log.store import OUTCOMES
from insight_engine.outputs.chart import health_trend, metric_trend
from insight_engine.outputs.library import OUTCOME_HELP, outcome_words
from insight_engine.outputs.pack import flagged_insights, pack_pptx
from insight_engine.outputs.prep import (
    FOLLOW_UPS,
    prep_checklist,
    question_bank,
    suggest_follow_ups,
)
from insight_engine.outputs.sharing import (
    READER_LABELS,
    READER_NAMES,
    box_state,
    draft_parts,
    evidence_table,
    guidance,
    health_figure,
    how_to_read_open,
    log_defaults,
    motion_order,
    new_insight,
    readers_shown,
    signal_options,
)
from insight_engine.outputs.views import place_in_csm_book
from pages.shared import ui
from pages.shared.copy import copy_button

who = ui.require("account")
book = ui.book()
health = ui.health(book)
table = ui.visible(ui.book_table(book), book)  # only the accounts this person may open

ids = table.sort_values("account_name")["account_id"].tolist()
names = dict(zip(table["account_id"], table["account_name"], strict=True))
requested = st.query_params.get("account")
if requested and requested not in names:
    # One answer whether the id is another CSM's account or no account at all, so the page
    # never tells anyone which ids exist; nothing of the account is shown, not even its name.
    st.error(
        f"Rudder cannot open account {ui.md(requested)}: it is not an account in your book. "
        "Open one of yours from This week, or ask your Rudder admin if it should be yours."
    )
    st.page_link("pages/csm/this_week.py", label="Go to This week", icon=":material/today:")
    st.stop()
if not ids:
    st.info("There are no accounts in your view of this book.")
    st.stop()
if not requested and st.session_state.get("last_account") in names:
    requested = st.session_state["last_account"]  # back on the page: the account left open
default = ids.index(requested) if requested else 0
top = st.columns([5, 2, 2, 2], vertical_alignment="bottom")
account_id = top[0].selectbox(
    "Account",
    ids,
    index=default,
    format_func=lambda a: f"{clip(names[a], 60)} ({a})",
    key="account_pick",
)
st.query_params["account"] = account_id
st.session_state["last_account"] = account_id

acct = book.account(account_id)
row = table.loc[table["account_id"] == account_id].iloc[0]
result = ui.analysis(book)
mine = result.signals.loc[result.signals["account_id"] == account_id]
rank_row = result.ranked.loc[result.ranked["account_id"] == account_id].iloc[0]
value, delta = health_figure(health.history(account_id))  # the health chart's numbers
top[1].metric(
    "Health", value, delta, help=f"Out of 100. Band: {row['band']}. The Health tab below says why."
)
place = place_in_csm_book(ui.book_table(book), account_id)  # "the top account" is #1 here
top[2].metric(  # short labels and values: three figures share 800 px with the picker
    "Rank",
    "—" if place is None else f"#{place[0]:,}",
    help="—"
    if place is None
    else f"#{place[0]:,} of {place[1]:,} in {ui.md(row['csm'])}'s book, as This week lists it; "
    f"#{int(row['rank']):,} of {len(book.accounts):,} in the whole book (score "
    f"{rank_row['score']:.0f}/100). Why it ranks here: "
    + ui.md(" · ".join(rank_row["reasons"]) or "—"),
)
top[3].metric("Signals", f"{len(mine):,}", help="Signals this week for this account.")

full_name = str(acct["account_name"])
st.title(  # no anchor made from customer text; a very long name is cut, in full on hover
    ui.md(clip(full_name, 160)),
    anchor=False,
    help=ui.md(full_name) if len(full_name) > 160 else None,
)
st.caption(ui.md(account_line(acct, book.as_of)))
if pd.notna(acct.get("stated_goal")):  # one quiet line: the share step starts a screen higher
    st.caption(f"**Their goal, in their words:** {ui.md(acct['stated_goal'])}")
for note in ui.data_notes(book).query("account_id == @account_id")["note"]:
    st.caption(f"Data note: {ui.md(note)}")


@st.cache_data(ttl=ui.TTL, max_entries=64, show_spinner="Asking Claude…")
def _guidance(cache_key: str, use_claude: bool, _ctx):
    """This week's insight, the chart explained and what should follow (Claude with a key)."""
    return guidance(
        _ctx,
        api_key=ui.claude_key() if use_claude else None,
        model=ui.secret("RUDDER_CLAUDE_MODEL"),
        timeout=ui.claude_timeout(),
    )


ctx = drafted = motion = None
flash = st.session_state.pop("share_flash", None)
CHART_PX = 440  # the chart's column: beside the drafts from ~800 px of content, above them below
BOX_PX = 160  # a draft box: two readers' boxes, the chart and Log on one screen at 1280x800


def _draft_box(audience: str) -> str:
    """One reader's draft: the box (edited in place), a copy of what is in it now, its five
    parts on demand, and whether it is the text logged this session. Returns the box's text."""
    d = drafted[audience]
    label = f"{READER_LABELS[audience]}: draft"
    key = f"draft-{account_id}-{motion}-{signal_key}-{audience}"
    text = st.text_area(label, d.text, height=BOX_PX, key=key)
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        copy_button(label, label="Copy this draft", key=f"copy-{audience}")
        with st.popover("Its five parts", width="content"):
            st.caption(
                f"One paragraph each after the greeting ({plural(len(text.split()), 'word')}):"
            )
            st.markdown(
                "\n".join(
                    f"{i}. **{part}**: {ui.md(clip(' '.join(part_text.split()), 90))}"
                    for i, (part, part_text) in enumerate(draft_parts(d), start=1)
                )
            )
        state = box_state(text, st.session_state.get("share_logged", {}).get(key))
        if state == "logged":
            st.caption(":material/check_circle: Logged as it is", width="content")
        elif state == "edited":
            st.caption(":material/edit: Edited since it was logged", width="content")
    if d.flags:
        st.warning(f"Check: {ui.md(', '.join(d.flags))} is not in the evidence.")
    return text


if mine.empty:
    st.info("No signal this week: nothing here needs interpreting right now.")
    if flash:
        getattr(st, flash[0])(flash[1])
else:
    # The motion This week ranked the account by first (what the CSM clicked through for).
    motions = motion_order(row.get("motion"), mine)
    pick_cols = st.columns([2, 4], vertical_alignment="center")
    pick_cols[0].subheader("Share this insight", anchor=False)
    motion = pick_cols[1].radio(  # its label is the heading beside it (one row, not two)
        "Signal to share",
        motions,
        format_func=MOTION_LABELS.get,
        horizontal=True,
        key="draft_motion",
        label_visibility="collapsed",
    )
    options = signal_options(mine, motion)
    signal = None
    if len(options) > 1:  # several signals of this motion: the CSM chooses (strongest first)
        kind = MOTION_LABELS.get(motion, motion).lower()
        k = st.selectbox(  # full width: a signal's headline is long; the options say what it is
            f"Which {kind} signal",
            range(len(options)),
            format_func=lambda i: (
                f"{kind.capitalize()} signal {i + 1} of {len(options)}: " + options["label"].iloc[i]
            ),
            key=f"draft_signal-{account_id}-{motion}",
            label_visibility="collapsed",
        )
        metric = options["metric"].iloc[k]
        signal = (str(options["detector"].iloc[k]), None if pd.isna(metric) else str(metric))
    ctx, drafted = ui.drafts(book, account_id, motion, signal)
    chart = ui.insight_chart_for(book, ctx)
    signal_key = "-".join(str(s) for s in signal) if signal else "top"
    defaults = log_defaults(motion, suggest_follow_ups(ctx), book.as_of.date())
    shown, others = readers_shown(motion)
    how = (
        "Edit a box; Copy takes exactly what is in it, and Log stores each reader's box. "
        "Rudder never sends anything."
    )
    if drafted.drafter != "template":
        how = f"Drafted by Claude ({drafted.drafter}). {how}"
    edited_texts: dict[str, str] = {}
    # The chart and how to read it beside the two usual readers' drafts (a row that wraps: on a
    # narrow screen the drafts go below the chart, which keeps its readable width).
    with st.container(horizontal=True, gap="medium"):
        with st.container(width=CHART_PX):
            ui.chart(chart)
            # why now is in the signal's evidence below and in every draft's background
            if how_to_read_open(chart.spec, choosing=signal is not None):
                st.caption(f"How to read this: {ui.md(chart.caption)}")
            else:  # a tall chart: one click away, so Log stays on the same screen
                with st.expander("How to read this chart"):
                    st.caption(f"How to read this: {ui.md(chart.caption)}")
        with st.container():
            if drafted.notice and ui.claude_key():  # Claude was asked and failed: say so
                st.info(drafted.notice, icon=":material/info:")
                if drafted.drafter == "template" and st.button("Try Claude again"):
                    st.session_state["claude_attempt"] = (
                        st.session_state.get("claude_attempt", 0) + 1
                    )
                    st.rerun()
            for audience in shown:
                edited_texts[audience] = _draft_box(audience)
            if others:
                with st.expander(
                    "Also a draft for the "
                    + " and the ".join(READER_LABELS[a].split(" (")[0].lower() for a in others)
                ):
                    for audience in others:
                        edited_texts[audience] = _draft_box(audience)
            st.download_button(  # with the drafts: the chart goes into the email
                "Download the chart (PNG)",
                ui.chart_png(book.data_key, ui.settings().to_json(), account_id, motion, chart),
                file_name=f"{account_id}-{motion}.png",
                mime="image/png",
                key=f"png-{account_id}-{motion}",
                on_click="ignore",
                icon=":material/download:",
            )

    with st.form(f"log-{account_id}-{motion}-{signal_key}", border=True):
        # One row from who it went to, to Log; the flag and tags (set from the signal) under it.
        c1, c2, c3, c4 = st.columns([5, 2.8, 2.5, 1.9], vertical_alignment="bottom")
        readers = c1.multiselect(
            "Sent to",
            list(READER_LABELS),
            default=defaults.readers,
            format_func=READER_NAMES.get,  # short: both chips whole on one line
            help="Each reader's text is stored exactly as it is in their box above.",
        )
        follow = c2.selectbox(
            "Follow-up",
            defaults.follow_up_options,
            index=defaults.follow_up_options.index(defaults.follow_up),
            format_func=lambda k: "No follow-up" if k == "none" else FOLLOW_UPS[k],
        )
        due = c3.date_input("Follow-up due", value=defaults.due)
        submitted = c4.form_submit_button("Log insight", type="primary", width="stretch")
        c5, c6 = st.columns([5, 7], vertical_alignment="center")
        flag = c5.checkbox(
            "Bring to the next Alignment Meeting",
            value=defaults.alignment_meeting,
            help="Flagged insights go into the Alignment Meeting pack (PowerPoint).",
        )
        with c6.popover("Tags", icon=":material/sell:"):
            tags = st.multiselect(
                "Tags",
                defaults.tag_options,
                default=defaults.tags,
                format_func=lambda t: FOLLOW_UPS.get(t, t.replace("_", " ")),
            )
    if drafted.notice and not ui.claude_key():  # offline by choice: one quiet line
        st.caption(f":material/info: {drafted.notice} {how}")
    else:
        st.caption(how)
    if submitted:
        new = new_insight(
            book_key=book.key,
            account=acct,
            ctx=ctx,
            drafted=drafted,
            readers=readers,
            texts=edited_texts,
            author=ui.user_name(),
            sent_on=book.as_of.date(),
            tags=tags,
            follow_up=follow,
            follow_up_due=due,
            alignment_meeting=flag,
            signal_strength=float(mine.loc[mine["motion"] == motion, "strength"].max()),
            health_at_send=row["health"],
        )
        try:
            _, created = ui.store().log(new)
        except RudderError as exc:
            st.error(ui.md(exc))  # the edited drafts stay on screen: nothing is lost
        else:
            sent = ", ".join(READER_LABELS[r] for r in new.audience)
            st.session_state.setdefault("share_logged", {}).update(
                {f"draft-{account_id}-{motion}-{signal_key}-{r}": t for r, t in new.texts.items()}
            )
            st.session_state["share_flash"] = (
                (
                    "success",
                    f"Logged for {sent}, as {new.author}: each box above is the text stored. "
                    "It is in the timeline below.",
                )
                if created
                else ("info", "Already logged: this exact insight is in the log once.")
            )
            st.rerun()  # the timeline, outcomes and pack show it at once
    if flash:
        getattr(st, flash[0])(flash[1])


def _save_outcome(ids_by_insight: dict) -> None:
    """Save the chosen outcome (a callback: it runs before the fragment redraws, so the timeline
    and the waiting list below already show it)."""
    pick, outcome = st.session_state.get("outcome_pick"), st.session_state.get("outcome_value")
    if pick not in ids_by_insight or outcome not in OUTCOMES:
        return
    try:
        ui.store().record_outcome(
            int(ids_by_insight[pick]), outcome, by=ui.user_name(), on=book.as_of.date()
        )
    except RudderError as exc:
        st.session_state["outcome_said"] = ("error", ui.md(exc))
    else:
        st.session_state["outcome_said"] = (
            "success",
            f"Outcome saved: {OUTCOMES[outcome]}. The opportunity model learns from it the "
            "next time the book is analysed.",
        )


@st.fragment
def shared_so_far() -> None:
    """The account's timeline and the outcome recorder: saving an outcome reruns only this part
    (no reload of the book, no new analysis), so it answers at once."""
    st.subheader("Guidance already shared")
    try:
        log = ui.store().insights([account_id], book_key=book.key)
    except RudderError as exc:
        st.warning(ui.md(exc))
        log = book.insights.loc[book.insights["account_id"] == account_id]
        log = log.assign(id=-1, author=log["csm"])
    if log.empty:
        st.caption("Nothing shared with this account yet.")
        return
    shown = log.assign(
        outcome=outcome_words(log["outcome"]),
        motion=log["motion"].map(MOTION_LABELS).fillna(log["motion"]),
        audience=log["audience"]
        .fillna("")
        .str.split(r"\s*\|\s*")
        .map(lambda rs: ", ".join(READER_LABELS.get(r, r).split(" (")[0] for r in rs if r)),
    )
    ui.grid(
        # the outcome beside the date: at 800 px the columns after the one-liner scroll
        shown[["date", "outcome", "one_liner", "motion", "audience", "author"]].head(12),
        hide_index=True,
        width="stretch",
        column_config={
            "date": st.column_config.DateColumn("Sent", format=DAY_FORMAT),
            "outcome": st.column_config.TextColumn("Outcome", help=OUTCOME_HELP),
            "one_liner": st.column_config.TextColumn("One-liner", width="large"),
            "motion": "Motion",
            "audience": "Sent to",
            "author": "By",
        },
    )
    if said := st.session_state.pop("outcome_said", None):
        getattr(st, said[0])(said[1])
    pending = log.loc[log["outcome"].isna() & (log["id"] >= 0)]
    if pending.empty:
        return
    with st.expander(f"Record an outcome ({plural(len(pending), 'insight')} waiting)"):
        one_liner = pending["one_liner"].fillna("")
        labels = dict(
            zip(
                pending["insight_id"],
                days(pending["date"]) + " · " + one_liner.where(one_liner != "", pending["motion"]),
                strict=True,
            )
        )
        ids_by_insight = dict(zip(pending["insight_id"], pending["id"], strict=True))
        st.selectbox("Insight", list(labels), key="outcome_pick", format_func=labels.get)
        st.radio(
            "What happened?",
            list(OUTCOMES),
            format_func=OUTCOMES.get,
            horizontal=True,
            key="outcome_value",
        )
        st.button("Save outcome", on_click=_save_outcome, args=(ids_by_insight,))


shared_so_far()

flagged_here = flagged_insights(ui.log_frame(book), [account_id])
if len(flagged_here):
    st.download_button(
        f"Alignment Meeting pack: {plural(len(flagged_here), 'flagged insight')} (PowerPoint)",
        lambda: pack_pptx(  # built when clicked, not on every run
            book,
            ui.analysis(book),
            ui.log_frame(book),
            [account_id],
            ui.store().follow_ups(book_key=book.key, account_ids=[account_id]),
        ),
        file_name=f"alignment-meeting-{account_id}.pptx",
        key="account-pack",
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        on_click="ignore",
    )

st.divider()
sections = st.tabs(
    [
        "Signal evidence",
        "Prep and questions",
        "Insight notes",
        "Health",
        "Usage",
        "Adoption scorecard",
        "Milestones and contacts",
        "Meeting notes",
    ]
)
with sections[0]:
    st.caption(f"Why it ranks here: {ui.md(' · '.join(rank_row['reasons']) or '—')}")
    if mine.empty:
        st.caption("No signal this week.")
    for sig in signal_records(mine):
        st.markdown(f"**{MOTION_LABELS[sig['motion']]}**: {ui.md(sig['headline'])}")
        st.caption(
            f"Why now: {ui.md(sig['why_now'])}. Goal: {ui.md(sig['goal'] or '—')}. "
            f"For: {', '.join(READER_LABELS[a].split(' (')[0].lower() for a in sig['audience'])}."
        )
        evidence = evidence_table(sig["evidence"], sig["detector"])
        if len(evidence):
            st.table(evidence.set_index("What"))
with sections[1]:
    if ctx is None:
        st.caption("No signal this week, so nothing to prepare.")
    else:
        st.markdown("**Prep checklist**")
        for item, detail in prep_checklist(ctx):
            st.markdown(f"- **{ui.md(item)}:** {ui.md(detail)}")
        st.markdown("**Question bank**")
        for topic, prompt in question_bank(ctx):
            st.markdown(f"- **{ui.md(topic)}** {ui.md(prompt)}")  # topics end with "?"
with sections[2]:
    if ctx is None:
        st.caption("No signal this week.")
    else:
        attempt = st.session_state.get("claude_attempt", 0)
        notes = _guidance(
            f"{book.data_key}|{attempt}|{account_id}|{motion}|{signal}", bool(ui.claude_key()), ctx
        )
        if notes.notice:
            st.info(notes.notice, icon=":material/info:")
        else:
            st.caption(f"Written by {notes.by}. Check every word before you use it.")
        weekly = notes.weekly
        st.markdown("**This week's insight**")
        st.markdown(
            f"{ui.md(weekly.insight)}  \n**Why it matters:** {ui.md(weekly.why_it_matters)}  \n"
            f"**For:** {ui.md(', '.join(READER_LABELS.get(a, a) for a in weekly.audience))}  \n"
            f"**Evidence:** {ui.md(weekly.evidence)}  \n**Action:** {ui.md(weekly.action)}"
        )
        explained = notes.chart
        st.markdown("**Explain this chart to someone who has never logged in**")
        st.markdown(
            f"**Where to look:** {ui.md(explained.where_to_look)}  \n"
            f"**What it means:** {ui.md(explained.what_it_means)}  \n"
            f"**Conclusion:** {ui.md(explained.conclusion)}  \n"
            f"**Action:** {ui.md(explained.action)}"
        )
        st.markdown("**What should follow**")
        for key in notes.follow.follow_ups:
            st.markdown(f"- {FOLLOW_UPS[key]}")
        st.caption(ui.md(notes.follow.why))
with sections[3]:
    st.markdown(f"**Health {value}** · band **{row['band']}**")
    for sentence in health.explain_change(account_id):
        st.markdown(f"- {ui.md(sentence)}")
    s = ui.settings().health
    trend = ui.cached_chart(
        (book.cache_key, ui.settings().to_json(), "health", account_id),
        lambda: health_trend(
            health.history(account_id),
            red_below=s.red_below,
            green_above=s.green_above,
            account_name=str(acct["account_name"]),
        ),
    )
    ui.chart(trend)
    st.caption(ui.md(trend.caption))
    ui.grid(
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
with sections[4]:
    labels = dict(zip(book.metrics["metric"], book.metrics["label"], strict=True))
    metric = st.selectbox("Metric", list(labels), format_func=labels.get, key="metric_pick")
    frame = (
        book.weekly.account_frame(account_id)[metric]
        .rename("value")
        .rename_axis("week_end")
        .reset_index()
    )
    meta = book.metrics.set_index("metric").loc[metric]
    usage = ui.cached_chart(
        (book.cache_key, ui.settings().to_json(), "metric", account_id, metric),
        lambda: metric_trend(
            frame,
            label=labels[metric],
            unit=str(meta.get("unit") or ""),
            account_name=str(acct["account_name"]),
            target=meta.get("target"),
        ),
    )
    ui.chart(usage)
    st.caption(ui.md(usage.caption))
with sections[5]:
    st.caption(
        "Each capability's use per licensed seat over the last 4 weeks, against the same-tier average."
    )
    ui.grid(
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
with sections[6]:
    st.markdown("**Milestones**")
    ms = book.milestones.loc[
        book.milestones["account_id"] == account_id,
        ["milestone", "kind", "due_date", "completed_date"],
    ]
    ui.grid(
        ms,
        hide_index=True,
        width="stretch",
        column_config={
            "milestone": "Milestone",
            "kind": "Kind",
            "due_date": st.column_config.DateColumn("Due", format=DAY_FORMAT),
            "completed_date": st.column_config.DateColumn("Done", format=DAY_FORMAT),
        },
    )
    st.markdown("**Contacts**")
    ui.grid(
        book.contacts.loc[book.contacts["account_id"] == account_id, ["name", "role", "email"]],
        hide_index=True,
        width="stretch",
        column_config={"name": "Name", "role": "Role", "email": "Email"},
    )
with sections[7]:
    notes_here = (
        book.notes.loc[book.notes["account_id"] == account_id]
        .sort_values("date", ascending=False)
        .head(8)
    )
    if notes_here.empty:
        st.caption("No meeting notes on record.")
    for n in notes_here.itertuples():
        st.markdown(f"**{day(n.date)}** · {ui.md(n.author)}")
        st.text(n.text)
