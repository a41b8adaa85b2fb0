"""Data & settings: where the data comes from, what was wrong with it, and the health-score settings."""

import pandas as pd
import streamlit as st

from insight_engine import ConfigError, HealthSettings, RudderError, Settings, fmt
from insight_engine.analysis.opportunity import evaluate_time_split
from insight_engine.book.book_key import generic_name, upload_name
from insight_engine.book.loader import UploadedFile
from insight_engine.settings import describe_settings, with_changes
from insight_engine.source.contract import SOURCES, TABLES
from insight_engine.source.mapping import missing_required, suggest_mapping, unrecognised_values
from insight_engine.source.mapping_file import (
    MappingFileError,
    SavedMapping,
    add_split,
    guess_file,
    numbered_header,
)
from insight_engine.source.reader import check_upload
from insight_engine.source.uploads import merge_uploads
from pages.shared import ui

SKIP = "— skip this file —"
NOT_IN_FILE = "— not in file —"
EVERY = "every row: "  # a fixed value for a column the file lacks (an NPS export: kind nps)
DATE_ORDERS = {
    "auto": "Refuse to guess",
    "day_first": "Day first (3 April)",
    "month_first": "Month first (March 4)",
}


def _flow() -> dict:
    """The upload flow's memory: the files and every choice made about them.

    Kept in session state, not only in widget keys: Streamlit drops the widget keys of a page
    the user leaves, and the file uploader forgets its files, so without it a failed load or a
    look at another page would lose everything.
    """
    return st.session_state.setdefault("upload_flow", {"files": {}, "choices": {}, "gen": 0})


def _seed(key: str, options: list | None, default) -> str:
    """Give the widget ``key`` its remembered value (or ``default``) before it is drawn."""
    memory = _flow()["choices"]
    value = st.session_state[key] if key in st.session_state else memory.get(key, default)
    st.session_state[key] = value if options is None or value in options else default
    return key


def _remember(key: str) -> None:
    _flow()["choices"][key] = st.session_state[key]


def _forget(name: str) -> None:
    """Drop every choice made about the file ``name`` (it was removed or replaced)."""
    _flow()["loaded"] = None  # the files are no longer the ones last loaded from here
    _flow().get("digests", {}).pop(name, None)  # and its digest (ui.raw_table), with the bytes
    for memory in (_flow()["choices"], st.session_state):
        for key in [k for k in list(memory.keys()) if isinstance(k, str) and "|" in k]:
            if key.split("|", 2)[1] == name:
                del memory[key]


def _keep_catalog_in_flow(data: bytes) -> None:
    """The edited catalog replaces the metrics file of the upload flow too, so loading the
    files again from the flow keeps it."""
    flow = _flow()
    if not flow["files"]:
        return
    for name in [n for n in flow["files"] if flow["choices"].get(f"tbl|{n}") == "metrics"]:
        del flow["files"][name]
        _forget(name)
    _forget("metrics.csv")
    flow["files"]["metrics.csv"] = data
    flow["choices"]["tbl|metrics.csv"] = "metrics"


# ---------------------------------------------------------------------------------------------
# Exports as the tools write them (issue 14, points 1-3): an event log, users, subscriptions.
# Their columns are found by the names the tools use; an event log's events -> metrics are
# suggested (the top events, the rest as other activity) for the user to confirm.


def _source_step(name: str, data: bytes, table: str) -> tuple[UploadedFile | None, list[str]]:
    """One export of a source table (events, users, subscriptions): what Rudder reads in it,
    and for an event log the event -> metric mapping to confirm (a data editor)."""
    from insight_engine.source.billing import is_stripe
    from insight_engine.source.events import event_counts
    from insight_engine.source.sources import event_log_columns, event_name_counts, map_source

    if table == "events":  # a big log: its header, then only the chosen event column
        names = event_log_columns(name, data)
        if names is not None:
            return _event_step(
                name, data, names, lambda column: event_name_counts(name, data, column)
            )
    raw = ui.raw_table(name, data)
    if raw.fatal:
        st.error(ui.md(raw.fatal) + "  \nUpload a fixed file with the same name, or skip it.")
        return None, ["cannot be read"]
    for note in raw.notes:
        st.caption(f"ℹ️ {ui.md(note.problem)}")
    if table != "events":
        if table == "subscriptions" and is_stripe(raw.frame):
            st.caption("Stripe API objects: read as Stripe writes them (both shapes).")
        else:
            found = map_source(raw.frame, table).columns
            st.caption(ui.md(f"Rudder reads: {', '.join(found) or 'nothing it knows'}."))
        return UploadedFile(name, data, table=table), []
    return _event_step(
        name,
        data,
        [str(c) for c in raw.frame.columns],
        lambda column: event_counts(raw.frame[column]),
    )


EVENT_ROLES = {  # role -> what the upload step calls it, and where the tools write it
    "timestamp": ("Timestamp", "When the event happened: Segment timestamp, Mixpanel time."),
    "event": ("Event name", "What the user did: Segment event, Amplitude event_type."),
    "user_id": (
        "User id",
        "Who did it (distinct users per day and week are the active users): Segment userId, "
        "Mixpanel distinct_id.",
    ),
    "account_id": (
        "Account or group id",
        "The account the event belongs to: Segment context.groupId, PostHog $group_0. "
        "Without it, events are joined to accounts through a users file.",
    ),
}


def _event_step(
    name: str, data: bytes, columns: list[str], count
) -> tuple[UploadedFile | None, list]:
    """An event log: which column is which (suggested from the tools' own names, for the user
    to confirm or change) and which events become metrics (the top events, the rest grouped).

    ``columns`` are the file's; ``count(column)`` gives the events per name in one of them.
    """
    from insight_engine.source.events import REQUIRED_ROLES, event_metric_table, find_columns

    found = find_columns(columns)
    st.caption(
        "Check which of your columns Rudder reads for each part of an event (required ones "
        "are marked *)."
    )
    grid = st.columns(2)
    picks: list[tuple[str, str]] = []  # (their column, role)
    for i, (role, (label, help_text)) in enumerate(EVENT_ROLES.items()):
        options = columns if found[role] else [NOT_IN_FILE, *columns]
        key = _seed(f"map|{name}|events|{role}", options, (found[role] or [NOT_IN_FILE])[0])
        pick = grid[i % 2].selectbox(
            f"{label}{' *' if role in REQUIRED_ROLES else ''}",
            options,
            key=key,
            help=help_text,
        )
        _remember(key)
        if pick != NOT_IN_FILE:
            picks.append((pick, role))
            rest = [c for c in found[role] if c != pick]
            if rest:
                grid[i % 2].caption(
                    ui.md(f"Where {pick} is empty on a row, Rudder reads {', '.join(rest)}.")
                )
    chosen = [c for c, _ in picks]
    twice = sorted({c for c in chosen if chosen.count(c) > 1})
    if twice:
        st.error(
            f"{ui.md(name)}: your column {ui.md(twice[0])} is chosen for two parts of the "
            "event. A column holds one of them; choose another column for the other."
        )
        return None, [f"{twice[0]} is chosen twice"]
    mapping = dict(picks)
    missing = [EVENT_ROLES[r][0].lower() for r in REQUIRED_ROLES if r not in mapping.values()]
    if missing:
        st.error(ui.md(f"{name} has no {' or '.join(missing)} column; export the events with it."))
        return None, [f"no {' or '.join(missing)} column"]
    if "account_id" not in mapping.values() and not any(
        _flow()["choices"].get(f"tbl|{n}") == "users" for n in _flow()["files"]
    ):
        st.warning(
            f"{ui.md(name)} has no account column and no file holds users: no event can be "
            "joined to an account. Choose the account column, or add the users export."
        )
    event_column = next(c for c, r in mapping.items() if r == "event")
    memo = _flow().setdefault("event_counts", {})  # counted once per file and column
    digest = (ui.file_digest(name, data), event_column)
    if memo.get(name, (None,))[0] != digest:
        counts = count(event_column)
        memo[name] = (digest, counts if counts is not None else pd.Series(dtype="int64"))
    counts = memo[name][1]
    top_key = _seed(f"top|{name}", None, 8)
    top = st.number_input(
        "Events that keep a metric of their own (the most frequent; the rest add up to "
        "other_activity)",
        min_value=0,
        max_value=max(len(counts), 8),
        step=1,
        key=top_key,
    )
    _remember(top_key)
    memory = _flow()["choices"]
    if memory.get(f"evtop|{name}", top) != top:  # a new top: the suggestion starts over
        memory.pop(f"evm|{name}", None)
        memory[f"evgen|{name}"] = memory.get(f"evgen|{name}", 0) + 1
    memory[f"evtop|{name}"] = top
    table = event_metric_table(counts, memory.get(f"evm|{name}"), top=int(top))
    st.caption(
        "Which events become metrics. Rename a metric, give two events one metric, or clear "
        "it to leave an event uncounted (its people still count as active)."
    )
    edited = ui.editor(
        table[["event", "events", "metric"]],
        disabled=["event", "events"],
        hide_index=True,
        key=f"events|{name}|{event_column}|{memory.get(f'evgen|{name}', 0)}",
        column_config={
            "event": st.column_config.TextColumn("Event"),
            "events": st.column_config.NumberColumn("Events in the file", format="%d"),
            "metric": st.column_config.TextColumn(
                "Counted as metric", help="Empty: the event is not counted."
            ),
        },
    )
    metric_of = dict(
        zip(
            edited["event"].astype(str),
            edited["metric"].fillna("").astype(str).str.strip(),
            strict=True,
        )
    )
    memory[f"evm|{name}"] = metric_of
    order = st.radio(
        "Dates such as 03/04/2025 are",
        list(DATE_ORDERS),
        horizontal=True,
        key=_seed(f"order|{name}", list(DATE_ORDERS), "auto"),
        format_func=DATE_ORDERS.get,
        help="Only for text dates; ISO timestamps and epoch seconds read one way.",
    )
    _remember(f"order|{name}")
    upload = UploadedFile(
        name,
        data,
        table="events",
        mapping=mapping,
        date_order=order,
        values={"event": metric_of},
    )
    return upload, []


# --- end of the exports block ----------------------------------------------------------------


def _column_help(col) -> str:
    """A mapping choice's tooltip: what the column means, then its name in the data contract."""
    return f"{col.description}  \nColumn `{col.name}` in the data contract (README)."


def _values_step(name: str, table: str, frame: pd.DataFrame, mapping: dict[str, str]) -> dict:
    """For each mapped choice column, the user's values Rudder would not recognise, each with
    a choice of Rudder's values; returns ``{contract column: {their value: choice}}``."""
    theirs = {contract: user for user, contract in mapping.items()}
    out: dict[str, dict[str, str]] = {}
    for col in TABLES[table].columns:
        if col.kind != "choice" or col.name not in theirs:
            continue
        left = unrecognised_values(table, col.name, frame[theirs[col.name]])
        if not left:
            continue
        fallback = getattr(col, "fallback", None)
        if fallback:
            blank, then = f"— read as {fallback} —", f"the row reads {fallback}"
        elif col.required:
            blank, then = "— set the row aside —", "the row is set aside"
        else:
            blank, then = "— leave blank —", f"{col.label} is left empty"
        st.markdown(f"**Your values in {ui.md(theirs[col.name])} → Rudder's {col.label}**")
        st.caption(
            f"Rudder does not recognise these values (it allows {', '.join(col.choices)}). "
            f"Choose what each one means; otherwise {then}, with a line in the report."
        )
        options = ["", *col.choices]
        grid = st.columns(2)
        picks: dict[str, str] = {}
        for i, value in enumerate(left):
            key = _seed(f"val|{name}|{table}|{col.name}|{value}", options, "")
            pick = grid[i % 2].selectbox(
                ui.md(value),
                options,
                key=key,
                format_func=lambda c, blank=blank: c or blank,
            )
            _remember(key)
            if pick:
                picks[value] = pick
        if picks:
            out[col.name] = picks
    return out


def _file_step(
    flow: dict, name: str, data: bytes, *, expanded: bool
) -> tuple[UploadedFile | None, list[str]]:
    """One file: the table it holds (or skip), its columns, its values and its date order.

    Returns the file as the loader takes it (None when skipped or unreadable) and what stops
    the load, in a few words each (empty when nothing does).
    """
    with st.expander(ui.md(name), expanded=expanded):
        plan, said = _guess(flow, name, data)
        guess = _main_table(plan)
        tables = [*TABLES, *SOURCES, SKIP]
        head = st.columns([4, 1], vertical_alignment="bottom")
        table = head[0].selectbox(
            "Holds the table",
            tables,
            key=_seed(f"tbl|{name}", tables, guess if guess in (*TABLES, *SOURCES) else SKIP),
        )
        _remember(f"tbl|{name}")
        if head[1].button("Remove", key=f"rm|{name}", help="Take this file out of the upload."):
            del flow["files"][name]
            _forget(name)
            st.rerun()
        if table in SOURCES:  # an export read into the tables (events, users, subscriptions)
            return _source_step(name, data, table)
        if table == SKIP:
            st.caption(
                "Skipped: this file will not be loaded."
                if guess in (*TABLES, *SOURCES)
                else "Skipped: Rudder cannot tell the table from the file's name. Choose the "
                "table it holds to load it."
            )
            return None, []
        # on the server: size (RUDDER_MAX_UPLOAD_MB, from the environment or secrets), type, zip bombs
        refused = check_upload(data, name, max_bytes=ui.config().max_upload_bytes)
        header = True
        if refused is None:
            header = st.checkbox(
                "The first row holds the column names",
                key=_seed(f"hdr|{name}", None, plan.header),
                help="Untick for a file with no header row: its columns are then named "
                "column 1, column 2, … for you to map.",
            )
            _remember(f"hdr|{name}")
        raw = (
            ui.raw_table(name, data if header else numbered_header(data, name))
            if refused is None
            else None
        )
        if refused is not None or raw.fatal:
            st.error(
                ui.md(refused or raw.fatal)
                + "  \nUpload a fixed file with the same name to replace it, or skip this file."
            )
            return None, ["cannot be read"]
        for note in raw.notes:
            st.caption(f"ℹ️ {ui.md(note.problem)}")
        columns = [str(c) for c in raw.frame.columns]
        guessed = plan.tables.get(table) if header == plan.header else None
        # The header box flipped gives other columns: their picks are kept apart, so ticking
        # it back finds the picks made (or guessed) for the file's own columns again.
        flip = "" if header == plan.header else "|flipped"
        for note in said if guessed else []:
            if note.severity == "warning":
                said_first = note.problem[:1].upper() + note.problem[1:]
                st.warning(f"{ui.md(said_first)}. {ui.md(note.fix)}")
        proposal = guessed.columns if guessed else suggest_mapping(columns, table, frame=raw.frame)
        suggested = {v: k for k, v in proposal.items()}
        suggested.update({c: EVERY + v for c, v in (guessed.set if guessed else {}).items()})
        constants: dict[str, str] = {}
        st.caption("Check how your columns map to Rudder's (required ones are marked *).")
        mapping: dict[str, str] = {}
        picked: dict[str, list[str]] = {}
        options = [NOT_IN_FILE, *columns]
        cols = st.columns(2)  # two, not three: a long column name stays readable at 800 px
        for i, col in enumerate(TABLES[table].columns):
            # a required choice the file lacks can be one value for every row
            fixed = [EVERY + c for c in col.choices] if col.required and col.choices else []
            key = _seed(
                f"map|{name}|{table}|{col.name}{flip}",
                options + fixed,
                suggested.get(col.name, NOT_IN_FILE),
            )
            pick = cols[i % 2].selectbox(
                f"{col.label}{' *' if col.required else ''}",
                options + fixed,
                key=key,
                help=_column_help(col),
            )
            _remember(key)
            if pick.startswith(EVERY):
                constants[col.name] = pick.removeprefix(EVERY)
            elif pick != NOT_IN_FILE:
                mapping[pick] = col.name
                picked.setdefault(pick, []).append(col.label)
        twice = {c: targets for c, targets in picked.items() if len(targets) > 1}
        for column, targets in twice.items():
            st.error(
                f"{ui.md(name)}: your column {ui.md(column)} is chosen for "
                f"{' and '.join(targets)}. A column can hold one of them; choose another "
                "column for the rest."
            )
        if table == "usage" and not {"metric", "value"} & set(mapping.values()):
            # wide usage: keep the metric columns as they are
            mapping.update({c: c for c in columns if c not in mapping})
        missing = missing_required(name, table, columns, {**mapping, **{c: c for c in constants}})
        for message in missing:
            st.error(ui.md(message))
        left_out = [
            c.label
            for c in TABLES[table].columns
            if not c.required and c.name not in set(mapping.values()) | set(constants)
        ]
        if left_out and not missing:
            st.caption(
                f"Not in your file, so left empty: {', '.join(left_out)} (optional; hover a "
                "column above for what that means)."
            )
        values = _values_step(name, table, raw.frame, mapping)
        order = "auto"
        if any(c.kind == "date" for c in TABLES[table].columns):
            order = st.radio(
                "Dates such as 03/04/2025 are",
                list(DATE_ORDERS),
                horizontal=True,
                key=_seed(f"order|{name}", list(DATE_ORDERS), "auto"),
                format_func=DATE_ORDERS.get,
            )
            _remember(f"order|{name}")
        upload = UploadedFile(
            name,
            data,
            table=table,
            mapping=mapping,
            date_order=order,
            values=values,
            constants=constants,
            header=header,
        )
        stops = [m.split(", which")[0].removeprefix(f"{name} has ") for m in missing]
        stops += [f"{c} is chosen for {' and '.join(t)}" for c, t in twice.items()]
        if table == "usage":
            accounts = _accounts_part(flow, name, raw.frame, plan, mapping, flip=flip)
            if accounts is not None:  # one export, two tables: accounts on every usage row
                upload.mapping = {
                    c: t for c, t in mapping.items() if c not in accounts or t == "account_id"
                }
                part = UploadedFile(
                    name, data, table="accounts", mapping=accounts, date_order=order, header=header
                )
                return [part, upload], stops
        return upload, stops


def _main_table(plan) -> str | None:
    """The table a file's box shows: usage when the file also holds accounts."""
    tables = [t for t in plan.tables if t != "accounts"] or list(plan.tables)
    return tables[0] if tables else None


def _accounts_part(
    flow: dict, name: str, frame: pd.DataFrame, plan, usage: dict[str, str], *, flip: str = ""
) -> dict[str, str] | None:
    """A usage file that repeats account fields on every row (name, CSM, ARR...) can hold the
    accounts table too: the first row of each account. Offered when its columns say so;
    ticked unless another file holds accounts. Returns the accounts mapping, or None."""
    own = {c for c, t in usage.items() if t in ("date", "metric", "value")}
    rest = [str(c) for c in frame.columns if c not in own]
    proposal = (
        plan.tables["accounts"].columns
        if "accounts" in plan.tables
        else suggest_mapping(rest, "accounts", frame=frame[rest])
    )
    if "account_id" not in proposal.values() or len(proposal) < 2:
        return None
    elsewhere = any(
        flow["choices"].get(f"tbl|{n}") == "accounts" for n in flow["files"] if n != name
    )
    also = st.checkbox(
        "This file also holds the accounts table (the first row of each account)",
        key=_seed(f"also|{name}", None, not elsewhere),
        help="Account fields on every usage row (name, CSM, ARR...): Rudder takes each "
        "account's first row and says so when its rows disagree.",
    )
    _remember(f"also|{name}")
    if not also:
        return None
    suggested = {t: c for c, t in proposal.items()}
    options = [NOT_IN_FILE, *rest]
    accounts: dict[str, str] = {}
    cols = st.columns(2)
    for i, col in enumerate(TABLES["accounts"].columns):
        key = _seed(
            f"map|{name}|accounts|{col.name}{flip}", options, suggested.get(col.name, NOT_IN_FILE)
        )
        pick = cols[i % 2].selectbox(
            f"Accounts: {col.label}{' *' if col.required else ''}",
            options,
            key=key,
            help=_column_help(col),
        )
        _remember(key)
        if pick != NOT_IN_FILE:
            accounts[pick] = col.name
    for message in missing_required(name, "accounts", rest, accounts):
        st.error(ui.md(message))
    return accounts


def _guess(flow: dict, name: str, data: bytes):
    """What Rudder makes of a raw export (its table from its name or columns, its columns
    from tools' headers and values, a header row or not), worked out once per file."""
    digest = ui.file_digest(name, data)
    memo = flow.setdefault("guesses", {})
    if memo.get(name, (None,))[0] != digest:
        plan, notes, frame = guess_file(name, data)
        if "usage" in plan.tables:  # account fields on every usage row: accounts too
            notes += add_split({name: plan}, {name: frame})
        memo[name] = (digest, plan, notes)
    return memo[name][1], memo[name][2]


def _apply_saved_mapping(flow: dict, mapping: SavedMapping) -> list[str]:
    """Set every choice of the upload step from a saved mapping; returns what it could not
    apply, in a few words each."""
    left: list[str] = []
    for name in flow["files"]:
        plan = mapping.files.get(name)
        if plan is None:
            left.append(f"{name} is not in the mapping (its choices are kept)")
            continue
        _forget(name)
        choices = {f"tbl|{name}": SKIP if plan.skip else _main_table(plan)}
        split = set(plan.tables) == {"accounts", "usage"}
        choices[f"also|{name}"] = split
        if len(plan.tables) > 1 and not split:
            left.append(
                f"{name} holds {' and '.join(plan.tables)} in the mapping; the upload step reads "
                f"one table per file (or accounts with usage), so it reads {_main_table(plan)}"
            )
        for table, tp in plan.tables.items() if split else list(plan.tables.items())[:1]:
            if table == "events":  # an event log: its columns and its events -> metrics
                theirs = {t: c for c, t in tp.columns.items()}
                for role in EVENT_ROLES:
                    if role in theirs:
                        choices[f"map|{name}|events|{role}"] = theirs[role]
                if tp.values.get("event"):
                    choices[f"evm|{name}"] = dict(tp.values["event"])
                    # a fresh editor that shows the mapping's metrics, not the last edits
                    choices[f"evgen|{name}"] = flow["choices"].get(f"evgen|{name}", 0) + 1
                continue
            if table not in TABLES:  # users, subscriptions: read by the tools' own names
                continue
            theirs = {t: c for c, t in tp.columns.items()}
            for col in TABLES[table].columns:
                pick = theirs.get(col.name, NOT_IN_FILE)
                if col.name in tp.set:
                    pick = EVERY + tp.set[col.name]
                choices[f"map|{name}|{table}|{col.name}"] = pick
            for column, lookup in tp.values.items():
                for value, choice in lookup.items():
                    choices[f"val|{name}|{table}|{column}|{value}"] = choice
        choices[f"order|{name}"] = plan.date_order
        choices[f"hdr|{name}"] = plan.header
        flow["choices"].update(choices)
        for key, value in choices.items():
            st.session_state[key] = value
    return left


def _saved_mapping_upload(flow: dict) -> None:
    """Upload a saved mapping: every file it names takes its choices from it."""
    saved = st.file_uploader(
        "Use a saved mapping (JSON)",
        type=["json"],
        key=f"mapping-upload-{flow.get('mapping_gen', 0)}",
        help="The file *Download the mapping* gave you (or one written by `--guess "
        "--save-mapping` on the command line): which table each file holds and which column "
        "is which.",
    )
    if saved is None:
        return
    _use_saved_mapping(flow, saved.name, saved.getvalue())
    flow["mapping_gen"] = flow.get("mapping_gen", 0) + 1  # a fresh, empty uploader
    st.rerun()


def _use_saved_mapping(flow: dict, name: str, data: bytes) -> None:
    try:
        mapping = SavedMapping.from_json(data, source=name)
    except MappingFileError as exc:
        flow["mapping_note"] = ("error", str(exc))
    else:
        left = _apply_saved_mapping(flow, mapping)
        flow["mapping_note"] = (
            "warning" if left else "success",
            f"Applied {name}." + (" " + "; ".join(left) + "." if left else ""),
        )


def _mapping_download(where, flow: dict, prepared: list[UploadedFile]) -> None:
    skipped = [n for n in flow["files"] if flow["choices"].get(f"tbl|{n}") == SKIP]
    mapping = SavedMapping.from_uploads(prepared, skipped)
    where.download_button(
        "Download the mapping (JSON)",
        mapping.to_json().encode("utf-8"),
        file_name="rudder-mapping.json",
        mime="application/json",
        key="mapping-download",
        help="Every choice above, as a small file: upload it with next week's exports, or "
        "read the same folder on the command line with --mapping rudder-mapping.json.",
        disabled=not flow["files"],
    )


def _upload_flow(flow: dict) -> None:
    """Upload files, say what each holds, and load them; everything is kept if the load fails."""
    added = st.file_uploader(
        "Add your files (CSV, TSV, Excel, Parquet, JSON or JSON lines), one per table",
        accept_multiple_files=True,
        type=["csv", "tsv", "txt", "xlsx", "parquet", "json", "jsonl", "ndjson"],
        key=f"uploads-{flow['gen']}",
        help="They stay here while you use Rudder, even on other pages. A file with the same "
        "name replaces the one here.",
    )
    if added:
        saved = []
        batch = [(up.name, up.getvalue()) for up in added]
        for name, data in batch:
            if name.lower().endswith(".json") and b'"rudder_mapping"' in data[:4096]:
                saved.append((name, data))  # a saved mapping dropped with the files
        files_in = [(n, d) for n, d in batch if n not in dict(saved)]
        files, notes = merge_uploads(flow["files"], files_in)
        for name, _ in files_in:
            _forget(name)  # a new file of that name: its earlier choices no longer apply
        flow["files"] = files
        if notes:
            flow["upload_note"] = " ".join(notes)
        for name, data in saved:
            _use_saved_mapping(flow, name, data)
        flow["gen"] += 1  # a fresh, empty uploader: the files now live in the flow
        st.rerun()
    _saved_mapping_upload(flow)
    if upload_note := flow.pop("upload_note", None):
        st.warning(ui.md(upload_note))
    note = flow.pop("mapping_note", None)
    if note:
        getattr(st, note[0])(ui.md(note[1]))
    if not flow["files"]:
        return
    live = ui.source()
    # Just loaded from here: the files are done with, so they fold away (open one to change it).
    done = live["kind"] == "upload" and flow.get("loaded") == ui.source_key(live)
    prepared: list[UploadedFile] = []
    stops: dict[str, list[str]] = {}
    for name, data in list(flow["files"].items()):
        upload, problems = _file_step(flow, name, data, expanded=not done)
        if problems:
            stops[name] = problems
        if upload is not None:
            prepared.extend(upload if isinstance(upload, list) else [upload])
    ready = not stops
    holders: dict[str, list[str]] = {}
    for f in prepared:
        holders.setdefault(f.table, []).append(f.name)
    for table, names in holders.items():
        if len(names) > 1:
            st.error(
                f"{ui.md(' and '.join(names))} are all marked as holding the {table} table; "
                "Rudder reads one file per table. Choose another table for the others, or skip "
                "them."
            )
            ready = False
    # The catalog may be left out: the loader makes one from the metric names in usage.
    needed = [t for t, s in TABLES.items() if s.required and t != "metrics" and t not in holders]
    needed = [t for t in needed if not (t == "usage" and "events" in holders)]  # events: usage
    if needed:
        st.warning(
            f"No file holds the {' or '.join(needed)} table yet: add one, or choose it under "
            "*Holds the table*."
        )
        ready = False
    elif "metrics" not in holders:
        st.caption(
            "No metric catalog: Rudder makes one from the metric names in usage. Edit it under "
            "*Metric catalog* once the book is loaded."
        )
    default_name = upload_name([f.name for f in prepared], [f.table for f in prepared])
    book_name = st.text_input(
        "Book name",
        key=_seed(f"book-name-{default_name}", None, default_name),  # a new accounts file
        help="Rudder keeps this book's insight log under its name. Upload next week's export "
        "under the same name and the history, outcomes and follow-ups carry on.",
    )
    _remember(f"book-name-{default_name}")
    if generic_name(book_name):
        st.caption(
            f"⚠️ “{ui.md(book_name)}” is the name any team's {ui.md(book_name)} export would get: "
            "every upload under it shares one insight log. Give this book your team's or "
            "product's name."
        )
    if stops:
        st.warning(
            "Not ready to load: "
            + "; ".join(f"{ui.md(n)}: {ui.md(', '.join(p))}" for n, p in stops.items())
            + ". The file's box above says what to do."
        )
    candidate = {"kind": "upload", "files": prepared, "name": book_name}
    if prepared and live["kind"] == "upload" and ui.source_key(candidate) == ui.source_key(live):
        st.success("Loaded: these files, as set out above, are the book Rudder shows now.")
    buttons = st.container(horizontal=True)
    if buttons.button(
        "Load these files",
        type="primary",
        disabled=not (ready and prepared and book_name.strip()),
    ):
        st.session_state.pop("load_failure", None)
        st.session_state["source"] = candidate
        flow["loaded"] = ui.source_key(candidate)
        st.rerun()
    if buttons.button("Remove all files"):
        for name in list(flow["files"]):
            _forget(name)
        flow["files"].clear()
        st.rerun()
    _mapping_download(buttons, flow, prepared)


# ---------------------------------------------------------------------------------------------
# The settings forms (issue 16, point 8). Their widgets have keys, seeded from the settings in
# use: a keyless widget's identity includes its default value, so after one Apply the next run
# drew new widgets and threw the second change away. The keys are seeded again only when the
# settings changed some other way (reset, another session's file) or Streamlit dropped them.

# The health form's fields, labelled as the settings label them (insight_engine.settings).
HEALTH_FORM = {
    n: HealthSettings.label(n)
    for n in (
        "weight_usage",
        "weight_support",
        "weight_survey",
        "weight_engagement",
        "red_below",
        "green_above",
    )
}
_FORMS_SHOW = "settings_forms_show"  # the settings (JSON) the form widgets were seeded with


def _setting_key(section: str, name: str) -> str:
    return f"set-{section}-{name}"


def _setting_help(doc: object, name: object) -> str:
    """A setting's tooltip: what it does, then its technical name (as the README lists it)."""
    return f"{doc}  \nSetting `{name}` in the README's settings table."


def _form_fields(settings: Settings) -> dict[str, float | int]:
    """Every settings form widget's key and the value it shows for ``settings``."""
    out: dict[str, float | int] = {
        _setting_key("health", n): float(getattr(settings.health, n)) for n in HEALTH_FORM
    }
    for row in describe_settings(settings):
        if row["section"] in ("detector", "model"):
            out[_setting_key(str(row["section"]), str(row["name"]))] = row["value"]
    return out


def _seed_settings_forms(settings: Settings) -> None:
    """Give the form widgets the values of the settings in use, unless they already show them
    (or the user's edits to them, which must survive until Apply)."""
    fields = _form_fields(settings)
    fresh = st.session_state.get(_FORMS_SHOW) != settings.to_json()
    for key, value in fields.items():
        if fresh or key not in st.session_state:
            st.session_state[key] = value
    st.session_state[_FORMS_SHOW] = settings.to_json()


def _use_settings(updated: Settings) -> None:
    """Put ``updated`` in use: every page's health, signals and ranking read it (their caches
    key on its JSON), and the forms already show it."""
    st.session_state["settings"] = updated
    st.session_state[_FORMS_SHOW] = updated.to_json()


st.title("Data & settings")
ui.require("data_settings")
book = ui.book()

st.subheader("Current data")
st.markdown(
    f"**Source:** {ui.md(book.source)}  \n**As of:** {fmt.day(book.as_of)} · {len(book.accounts):,} accounts · "
    f"{fmt.weeks(book.weekly.weeks_covered)} of usage · {book.weekly.shape[2]} metrics  \n"
    f"**Insight log:** this book's own ({ui.md(book.key)}); other books' insights are not shown."
)
st.markdown(book.report.summary())
counts = pd.DataFrame([{"file": f, **c} for f, c in book.report.counts.items()])
ui.grid(
    counts,
    hide_index=True,
    width="content",
    column_config={"file": "File", "read": "Rows read", "kept": "Loaded", "rejected": "Set aside"},
)
with st.expander("Validation report", expanded=bool(book.report.rejected_rows)):
    ui.show_problems(book.report.to_frame(), key="current")
    for name, rows in book.report.rejected.items():
        st.download_button(
            f"Download the {len(rows):,} rows set aside from {ui.md(name)}",
            ui.safe_csv(rows),
            file_name=f"rejected-{name}.csv",
            mime="text/csv",
            key=f"rej-{name}",
        )

st.subheader("Metric catalog")
st.caption(
    "What each usage metric is called, what kind of measure it is, and how a customer improves "
    "it: the signals, charts and drafts read it. Edit it here, download it as metrics.csv, or "
    "use it now."
)
catalog_columns = [c for c in TABLES["metrics"].column_names if c in book.metrics.columns]
catalog = book.metrics[catalog_columns].copy()
if "higher_is_better" in catalog:
    catalog["higher_is_better"] = catalog["higher_is_better"].fillna(True).astype(bool)
choices = {c.name: list(c.choices) for c in TABLES["metrics"].columns if c.choices}
edited = ui.editor(
    catalog,
    key="catalog_editor",
    hide_index=True,
    num_rows="fixed",
    width="stretch",
    column_config={
        "metric": st.column_config.TextColumn(
            "Metric", disabled=True, pinned=True, help="The metric's key as it appears in usage."
        ),
        "label": st.column_config.TextColumn("Label", help="Plain-English name shown to people."),
        "category": st.column_config.SelectboxColumn(
            "Category",
            options=choices.get("category", []),
            required=True,
            help=TABLES["metrics"].column("category").description,
        ),
        "unit": st.column_config.TextColumn("Unit", help="e.g. views, keywords, users."),
        "higher_is_better": st.column_config.CheckboxColumn("Higher is better"),
        "target": st.column_config.NumberColumn("Target", min_value=0.0),
        "complements": st.column_config.SelectboxColumn(
            "Complements", options=list(catalog["metric"].astype(str))
        ),
        "goal": st.column_config.TextColumn("Goal"),
        "how_to": st.column_config.TextColumn(
            "How to improve", help="Steps a user takes; separate steps with ' | '."
        ),
        "upgrade": st.column_config.TextColumn("Upgrade"),
        "aggregation": st.column_config.SelectboxColumn(
            "Days → week", options=choices.get("aggregation", [])
        ),
    },
)
catalog_file = edited.copy()
if "higher_is_better" in catalog_file:
    catalog_file["higher_is_better"] = catalog_file["higher_is_better"].map(
        {True: "true", False: "false"}
    )
buttons = st.container(horizontal=True)
buttons.download_button(
    "Download metrics.csv",
    ui.safe_csv(catalog_file),
    file_name="metrics.csv",
    mime="text/csv",
    key="catalog_download",
)
live = ui.source()
catalog_used = st.session_state.pop("catalog_used", False)
if catalog_used and "load_failure" not in st.session_state:  # else the failure says why
    st.success("The book was reloaded with this catalog (as metrics.csv among your files).")
if live["kind"] == "upload":
    if buttons.button("Use this catalog", help="Reload the uploaded files with this catalog."):
        catalog_bytes = catalog_file.to_csv(index=False).encode("utf-8")
        replacement = UploadedFile(
            "metrics.csv",
            catalog_bytes,
            table="metrics",
            mapping={c: c for c in catalog_file.columns},
        )
        files = [f for f in live["files"] if f.table != "metrics"] + [replacement]
        _keep_catalog_in_flow(catalog_bytes)
        st.session_state.pop("catalog_editor", None)
        st.session_state.pop("load_failure", None)
        st.session_state["source"] = {**live, "files": files}
        st.session_state["catalog_used"] = True
        st.rerun()
else:
    buttons.button("Use this catalog", disabled=True, key="catalog_use_disabled")
    st.caption(
        "Rudder never changes your files or your database, so an edited catalog is used by "
        + (
            "uploading it: download metrics.csv, then load it with your files under "
            "*Upload files* below."
            if live["kind"] == "demo"
            else "saving it where the book comes from: download metrics.csv and put it in the "
            "folder (or load it into the database's metrics table); Rudder reads it on the next "
            "load. To try it now, upload your files with it under *Upload files* below."
        )
    )

st.subheader("Use other data")
failure = st.session_state.get("load_failure")
if failure:
    with st.container(border=True):
        st.error(
            f"Your last load did not work, so Rudder still shows {failure['kept']}. "
            f"{ui.md(failure['message'])}"
        )
        if failure.get("report") is not None:
            ui.show_problems(failure["report"], key="load-failure")
        st.caption(
            "Fix what the report says, in the files or in the choices below, and load again; "
            "your files and choices are kept."
        )
        if st.button("Dismiss", key="dismiss_failure"):
            st.session_state.pop("load_failure", None)
            st.rerun()

KINDS = {"demo": "Demo book", "upload": "Upload files", "sql": "Database"}
flow = _flow()
_seed("source_kind", list(KINDS.values()), KINDS.get(live["kind"], "Demo book"))
kind = st.radio(
    "Source", ["Demo book", "Upload files", "Database"], horizontal=True, key="source_kind"
)
_remember("source_kind")
if kind == "Demo book":
    if st.button("Use the demo book", disabled=ui.source()["kind"] == "demo"):
        st.session_state.pop("load_failure", None)
        st.session_state["source"] = {"kind": "demo"}
        st.rerun()
elif kind == "Database":
    configured = ui.secret("RUDDER_DATA_URL")
    st.caption(
        "Tables named as in the data contract. Usage is rolled up to weeks inside the database."
    )
    url = st.text_input(
        "SQLAlchemy URL",
        type="password",
        key="db_url",
        placeholder="postgresql+psycopg://user@host:5432/db"
        if not configured
        else "(configured in secrets)",
    )
    if st.button("Connect", disabled=not (url or configured)):
        st.session_state.pop("load_failure", None)
        st.session_state["source"] = {"kind": "sql", "url": url or configured}
        st.rerun()
else:
    _upload_flow(flow)

st.subheader("Health score")
current = ui.settings()
_seed_settings_forms(current)
st.caption(
    "Weights are shares of the score; a component with no data passes its weight to the others."
)
with st.form("health_settings"):
    weights = list(HEALTH_FORM.items())[:4]
    for row in (weights[:2], weights[2:]):  # two a row: each label on one line at 800 px
        for column, (name, label) in zip(st.columns(2), row, strict=True):
            column.number_input(
                label,
                0.0,
                100.0,
                step=5.0,
                key=_setting_key("health", name),
                help=_setting_help(HealthSettings.model_fields[name].description, name),
            )
    b1, b2 = st.columns(2)
    for column, (name, label) in zip((b1, b2), list(HEALTH_FORM.items())[4:], strict=True):
        column.number_input(
            label,
            0.0,
            100.0,
            step=1.0,
            key=_setting_key("health", name),
            help=_setting_help(HealthSettings.model_fields[name].description, name),
        )
    persist = st.checkbox("Save as the team default on this machine", value=False)
    if st.form_submit_button("Apply"):
        changes = {n: st.session_state[_setting_key("health", n)] for n in HEALTH_FORM}
        try:
            updated = with_changes(current, "health", changes)
        except ConfigError as exc:
            st.error(ui.md(exc))
        else:
            _use_settings(updated)
            if persist:
                updated.save(ui.SETTINGS_PATH)
            st.success("Health settings applied: the health scores and the ranking use them now.")
if st.button("Reset to the play's defaults"):
    st.session_state["settings"] = Settings()
    st.rerun()

st.subheader("Signal thresholds and ranking")
st.caption("Every number the detectors and the ranking use. Hover for what each one does.")
with st.form("engine_settings"):
    for section, heading in (("detector", "Signals"), ("model", "Ranking")):
        st.markdown(f"**{heading}**")
        rows = [r for r in describe_settings(current) if r["section"] == section]
        for i, row in enumerate(rows):
            if i % 3 == 0:  # a row of three, boxes level however many lines a label takes
                cols = st.columns(3, vertical_alignment="bottom")
            whole = bool(row["whole"])
            cols[i % 3].number_input(
                str(row["label"]),
                help=_setting_help(row["doc"], row["name"]),
                step=1 if whole else 0.05,
                key=_setting_key(section, row["name"]),
                format="%d" if whole else "%.2f",
            )
    if st.form_submit_button("Apply thresholds"):
        try:
            updated = current
            for section in ("detector", "model"):
                names = [r["name"] for r in describe_settings(current) if r["section"] == section]
                changes = {n: st.session_state[_setting_key(section, n)] for n in names}
                updated = with_changes(updated, section, changes)
        except ConfigError as exc:
            st.error(ui.md(exc))
        else:
            _use_settings(updated)
            st.success("Thresholds applied; the book is re-ranked.")

st.subheader("Opportunity model")
result = ui.analysis(book)
st.markdown(result.ranked_by)
c1, c2 = st.columns(2)
if c1.button(
    "Evaluate on a time split", help="Train on older insights, test on the newest quarter."
):
    try:
        evaluation = evaluate_time_split(book, result.health, current.model)
    except RudderError as exc:
        st.error(ui.md(exc))
    else:
        st.metric(
            "Model ROC AUC (newest insights)",
            f"{evaluation.auc_model:.3f}",
            f"{evaluation.auc_model - evaluation.auc_prior:+.3f} vs the prior",
        )
        st.caption(
            f"Trained on {evaluation.n_train:,} insights before {evaluation.split_date}; "
            f"tested on {evaluation.n_test:,} after."
        )
        ui.grid(
            evaluation.calibration,
            hide_index=True,
            column_config={
                "predicted": st.column_config.NumberColumn("Predicted landed rate", format="%.2f"),
                "observed": st.column_config.NumberColumn("Observed landed rate", format="%.2f"),
                "insights": "Insights",
            },
        )
if c2.button("Retrain now"):
    ui.retrain()
    st.rerun()
