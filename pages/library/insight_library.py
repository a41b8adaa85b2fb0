"""Library — every insight as it was sent, searchable; and the examples new team members learn from."""

import pandas as pd
import streamlit as st

from insight_engine import RudderError
from insight_engine.analysis.detector import MOTION_LABELS
from insight_engine.fmt import DAY_FORMAT, day
from insight_engine.log.store import OUTCOMES
from insight_engine.outputs.library import (
    HISTORY_NOTE,
    OUTCOME_HELP,
    READER_NAMES,
    examples,
    five_parts,
    insight_line,
    library_scope,
    library_table,
    quality,
    reader_texts,
    reason,
)
from insight_engine.outputs.sharing import PART_LABELS
from pages.shared import ui

who = ui.require("library")
book = ui.book()
st.title("Insight library")
names = book.accounts.set_index("account_id")["account_name"]
goals = book.accounts.set_index("account_id").get("stated_goal", pd.Series(dtype=object))
log = ui.log_frame(book)
if who.role != "admin":  # the team's shared library: insights on the team's accounts
    team_accounts = book.accounts.loc[library_scope(who, book.accounts), "account_id"]
    log = log.loc[log["account_id"].isin(set(team_accounts))]
st.caption(
    "Every insight your team has shared, as it was sent, and the examples new team members "
    "learn from."
)
examples_tab, all_tab = st.tabs(["Examples", "All insights"])


def show_texts(texts: dict[str, str]) -> None:
    """Each reader's full text, its five parts labelled when it has them."""
    if not texts:
        st.caption(HISTORY_NOTE)
        return
    for reader, tab in zip(
        texts, st.tabs([READER_NAMES.get(r, "Sent text") for r in texts]), strict=True
    ):
        with tab:
            parts = five_parts(texts[reader])
            if parts:
                for part, label in PART_LABELS.items():
                    st.markdown(f"**{label}**")
                    st.text(parts[part])
            else:
                st.text(texts[reader])


with examples_tab:
    shown_examples = examples(log, book.accounts)
    if shown_examples.empty:
        st.caption(
            "No examples yet: they appear here once an insight has landed (the customer acted "
            "on it), and when someone marks a strong insight in 'All insights'."
        )
    else:
        marked = int(shown_examples["marked"].sum())
        st.caption(
            (f"{marked:,} marked by your team, then others" if marked else "Insights")
            + " that landed, chosen for what a new CSM should copy: the five parts, a number "
            "the reader can check, the customer's own goal."
            + ("" if shown_examples["full_text"].all() else f" {HISTORY_NOTE}")
        )
    for label, group in shown_examples.groupby("motion_label", sort=False):
        st.subheader(label)
        for ex in group.itertuples():
            with st.container(border=True):
                st.markdown(f"**{ui.md(ex.one_liner or 'An insight with no one-liner')}**")
                meta = [ex.account, day(ex.sent_on)]
                if ex.marked:
                    meta.append(f"marked by {ex.by}" if ex.by else "marked by the team")
                else:
                    meta.append("suggested because it landed")
                st.caption(ui.md(" · ".join(meta)))
                st.markdown(f"*Why it is good:* {ui.md(ex.why)}")
                if ex.texts:
                    with st.expander("Read it as sent"):
                        show_texts(ex.texts)

with all_tab:
    c1, c2 = st.columns([3, 1])
    query = c1.text_input(
        "Search", key="lib_query", placeholder="a word from the insight, an account or a CSM"
    )
    since = c2.date_input("Since", value=None, key="lib_since")
    # Chosen chips wrap onto a new line (in columns they would scroll sideways, cut: "Bett…")
    m1, m2 = st.columns(2)
    motions = m1.multiselect(
        "Motion",
        list(MOTION_LABELS),
        format_func=MOTION_LABELS.get,
        key="lib_motion",
        placeholder="All motions",
        wrap=True,
    )
    outcomes = m2.multiselect(
        "Outcome",
        ["pending", *OUTCOMES],
        key="lib_outcome",
        format_func=lambda o: "Pending" if o == "pending" else OUTCOMES[o],
        placeholder="All outcomes",
        wrap=True,
    )
    # a row that wraps (fixed widths): four across at 1280 and 800 px, fewer with the sidebar open
    more = st.container(horizontal=True, gap="small")
    readers = more.multiselect(
        "Reader",
        list(READER_NAMES),
        format_func=READER_NAMES.get,
        key="lib_reader",
        placeholder="All",
        wrap=True,
        width=175,
    )
    tags = sorted(
        {t.strip() for ts in log["tags"].dropna() for t in str(ts).split("|") if t.strip()}
    )
    tag = more.multiselect("Tag", tags, key="lib_tag", placeholder="All", wrap=True, width=175)
    csms = more.multiselect(
        "CSM",
        sorted(log["csm"].dropna().unique()),
        key="lib_csm",
        placeholder="All",
        wrap=True,
        width=175,
    )
    accounts = more.multiselect(
        "Account",
        sorted(log["account_id"].unique()),
        format_func=lambda a: names.get(a, a),
        key="lib_account",
        placeholder="All",
        wrap=True,
        width=175,
    )
    shown = log
    if query:
        text = (
            shown["one_liner"].fillna("")
            + " "
            + shown["text"].fillna("")
            + " "
            + shown["account_id"].map(names).fillna("")
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
    if len(shown):
        st.markdown("Click a row to read that insight as it was sent, below the table.")
    table = library_table(shown, book.accounts)
    # The insight second, in cells that wrap; the rest after it. At 800 px the last columns run
    # off the right edge: a clicked row reads in full below.
    picked = ui.grid(
        table,
        key="library",
        on_select="rerun",
        selection_mode="single-cell",
        hide_index=True,
        width="stretch",
        row_height=66,  # over 4rem, so Streamlit wraps the text instead of cutting it
        column_order=[
            "sent_on",
            "one_liner",
            "account",
            "motion",
            "outcome",
            "readers",
            "csm",
            "tags",
            "full_text",
            "library_example",
        ],
        column_config={
            "sent_on": st.column_config.DateColumn("Sent", format=DAY_FORMAT, width=100),
            "account": st.column_config.TextColumn("Account", width=140),
            "csm": st.column_config.TextColumn("CSM", width=120),
            "motion": st.column_config.TextColumn("Motion", width=110),
            "readers": st.column_config.TextColumn("Sent to", width=130),
            "one_liner": st.column_config.TextColumn("Insight", width=300),
            "outcome": st.column_config.TextColumn("Outcome", width=110, help=OUTCOME_HELP),
            "tags": st.column_config.TextColumn("Tags", width=140),
            "full_text": st.column_config.CheckboxColumn("Full text kept", width=110),
            "library_example": st.column_config.CheckboxColumn("Example", width=80),
        },
    )
    ui.csv_button(table, "these insights", key="library")
    cells = picked.selection.get("cells", []) if picked else []
    row_at = int(cells[0][0]) if cells else len(shown)
    clicked = int(shown["id"].iloc[row_at]) if row_at < len(shown) else None
    if clicked is not None and st.session_state.get("lib_clicked") != clicked:
        st.session_state["lib_clicked"] = (
            clicked  # a new click picks the row; the box may change it
        )
        st.session_state["example_pick"] = clicked
    if len(shown):
        choices = shown.head(200)
        if clicked is not None and clicked not in set(choices["id"]):
            choices = pd.concat([shown.loc[shown["id"] == clicked], choices])
        labels = {
            int(i): f"{names.get(a, a)} · {o or MOTION_LABELS.get(m, m)}"
            for i, a, o, m in zip(
                choices["id"],
                choices["account_id"],
                choices["one_liner"].fillna(""),
                choices["motion"],
                strict=True,
            )
        }
        pick = st.selectbox(
            "Read an insight as it was sent",
            list(labels),
            format_func=labels.get,
            key="example_pick",
        )
        row = choices.loc[choices["id"] == pick].iloc[0]
        texts = reader_texts(row.get("texts"), row.get("text"), row.get("audience"))
        with st.container(border=True, key="insight-as-sent"):
            # what it was, always (a history file keeps no full text, and the box said only that)
            st.markdown(f"**{ui.md(row.get('one_liner') or 'An insight with no one-liner')}**")
            st.caption(ui.md(insight_line(row, names)))
            show_texts(texts)
        suggestion = reason(
            quality(
                texts.get("champion") or next(iter(texts.values()), ""),
                row.get("one_liner"),
                goals.get(row["account_id"]),
                row.get("outcome"),
            )
        )
        with st.form("mark_example"):
            st.markdown("**Mark it as a library example**")
            why = st.text_input(
                "Why it is a good example",
                key="example_why",
                placeholder=f"e.g. {suggestion}",
            )
            if st.form_submit_button("Add to the examples"):
                try:
                    ui.store().mark_example(pick, note=why, by=ui.user_name())
                except RudderError as exc:
                    st.error(ui.md(exc))
                else:
                    st.success("Added to the examples.")
