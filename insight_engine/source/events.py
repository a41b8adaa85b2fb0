"""Product-analytics events → the contract's daily usage per account.

An event log (one row per event, as Segment, PostHog, Amplitude or Mixpanel export it) becomes
usage rows Rudder already understands:

- a **count per event** per account per day, under a metric per event: the most frequent
  events keep their own metric, the rest add up to ``other_activity``
  (:func:`suggest_event_metrics`; the user confirms or edits the suggestion);
- ``daily_active_users``: distinct users of the account that day (a level: its week is the
  mean of its days);
- ``weekly_active_users``: **distinct users in the week**, never a sum or mean of daily counts
  (a person active on five days is one weekly user, not five). Weeks are the rollup's own weeks
  (seven days ending on the as-of date), so the value is computed once the as-of date is known
  (:func:`weekly_active_rows`) and emitted as one row per account and week, dated on the week's
  last day, with ``aggregation = sum`` in the catalog: the rollup adds up that single row, and a
  week inside the account's coverage with no event reads 0 active users.

Everything is vectorised on integer codes (Arrow dictionary encoding, ``pandas.factorize``,
``numpy.bincount``): there is no Python loop over events. Ten million events roll up in about
a second on a 2-core machine (``make bench``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from insight_engine.source.problems import MAX_LISTED_PER_KIND, Problem, ValidationReport
from insight_engine.source.validation import visible_text

__all__ = [
    "DAILY_ACTIVE",
    "OTHER_ACTIVITY",
    "ROLES",
    "WEEKLY_ACTIVE",
    "EventLog",
    "event_catalog",
    "event_counts",
    "event_metric_key",
    "event_metric_table",
    "find_columns",
    "guess_events",
    "parse_events",
    "read_events_parquet",
    "suggest_event_metrics",
    "usage_rows",
    "weekly_active_rows",
]

OTHER_ACTIVITY = "other_activity"
DAILY_ACTIVE = "daily_active_users"
WEEKLY_ACTIVE = "weekly_active_users"
DEFAULT_TOP_EVENTS = 8


def _key(name: str) -> str:
    """How a column name is compared with the candidates: lower case, letters, digits, ``.``
    and ``$`` only (``context.groupId`` → ``context.groupid``, ``$group_0`` → ``$group0``)."""
    return re.sub(r"[^a-z0-9.$]", "", str(name).lower())


# Per role, the columns the tools write, most specific first. Several present: the first
# non-empty value of a row wins (a Segment ``group`` call has ``groupId``, a ``track`` call
# ``context.groupId``).
ROLES: dict[str, tuple[str, ...]] = {
    "account_id": (
        "accountid",
        "context.groupid",  # Segment track
        "groupid",  # Segment group
        "$group0",  # PostHog
        "properties.$group0",
        "context.traits.accountid",
        "properties.accountid",
        "properties.groupid",
        "groups.account",  # Amplitude groups, flattened
        "groups.company",
        "groups.organization",
        "companyid",
        "organizationid",
        "orgid",
        "properties.companyid",  # Mixpanel group analytics keys its groups by a property
        "properties.organizationid",
        "properties.orgid",
        "groups",  # Amplitude: a JSON object in a CSV cell, {"company": "acme"}
    ),
    "user_id": (
        "userid",  # Segment, Amplitude
        "distinctid",  # Mixpanel, PostHog
        "properties.distinctid",
        "personid",
        "user",
        "useremail",
        "email",
        "anonymousid",
    ),
    "timestamp": (
        "timestamp",  # Segment, PostHog
        "originaltimestamp",
        "time",  # Mixpanel (epoch seconds in its raw export)
        "properties.time",
        "eventtime",  # Amplitude
        "clienteventtime",
        "receivedat",
        "sentat",
        "createdat",
        "datetime",
        "date",
        "ts",
    ),
    "event": ("event", "eventtype", "eventname", "name", "action"),
}
REQUIRED_ROLES = ("timestamp", "event")
_GROUPS_JSON = r'"[^"]*"\s*:\s*\[?\s*"(?P<g>[^"]+)"'  # the first value of a JSON object


@dataclass
class EventLog:
    """Events as integer codes, one array per field, row for row.

    Attributes
    ----------
    account_codes : numpy.ndarray of int32
        Position of the event's account in ``accounts``; −1 when it could not be joined.
    user_codes : numpy.ndarray of int64
        Code of the user (position in ``users``); −1 when the event names nobody.
    days : numpy.ndarray of int32
        Day of the event, days since 1970-01-01.
    event_codes : numpy.ndarray of int32
        Position of the event's name in ``event_names``.
    event_names : numpy.ndarray of object
        The distinct event names.
    users : numpy.ndarray of object
        The distinct user ids.
    kept : int
        Events kept (the others were set aside and are in the report).
    """

    account_codes: np.ndarray
    user_codes: np.ndarray
    days: np.ndarray
    event_codes: np.ndarray
    event_names: np.ndarray
    users: np.ndarray
    kept: int = 0
    counts: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))

    @property
    def last_day(self) -> int | None:
        """The last day with a kept event (days since 1970-01-01)."""
        ok = self.account_codes >= 0
        return int(self.days[ok].max()) if ok.any() else None


def read_events_parquet(source) -> pa.Table:
    """An event log in Parquet with its text columns kept dictionary-encoded, as Parquet stores
    them: ids and event names are coded without building and hashing ten million strings."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(source)
    if hasattr(source, "seek"):
        source.seek(0)
    text = [
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    return pq.read_table(source, read_dictionary=text)


def find_columns(
    columns: list[str], mapping: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Which of a file's columns hold each role, best first.

    Parameters
    ----------
    columns : list of str
        The file's columns (flattened with dots for JSON).
    mapping : mapping, optional
        The user's choice, file column → role (``timestamp``, ``event``, ``user_id``,
        ``account_id``); a chosen column comes first.

    Returns
    -------
    dict
        role → columns present, in the order they are tried.
    """
    by_key: dict[str, str] = {}
    for c in columns:
        by_key.setdefault(_key(c), c)
    found: dict[str, list[str]] = {}
    for role, candidates in ROLES.items():
        chosen = [c for c, r in (mapping or {}).items() if r == role and c in columns]
        found[role] = chosen + [
            by_key[k] for k in candidates if k in by_key and by_key[k] not in chosen
        ]
    return found


def event_metric_key(event: str) -> str:
    """The metric key an event is counted under: ``Signed In`` → ``signed_in``."""
    key = re.sub(r"[^0-9a-z]+", "_", str(event).lower()).strip("_")[:60]
    return key or "event"


def suggest_event_metrics(counts: pd.Series, *, top: int = DEFAULT_TOP_EVENTS) -> pd.DataFrame:
    """Suggest which events become metrics: the ``top`` most frequent keep their own, the rest
    add up to ``other_activity``.

    Parameters
    ----------
    counts : pandas.Series
        Events per event name (index: name).
    top : int
        How many events keep a metric of their own.

    Returns
    -------
    pandas.DataFrame
        ``event``, ``events`` (count), ``metric`` (the key it is counted under) and ``label``,
        most frequent first. Pass ``dict(zip(event, metric))`` as the upload's
        ``values["event"]`` (an empty metric leaves the event uncounted, though its users
        still count as active).
    """
    ranked = (
        counts.rename_axis("event")
        .reset_index(name="events")
        .sort_values(["events", "event"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    own = ranked.index < top
    keys = ranked["event"].map(event_metric_key)
    ranked["metric"] = np.where(own, keys, OTHER_ACTIVITY)
    ranked["label"] = np.where(own, ranked["event"].astype(str), "Other activity")
    return ranked


def event_metric_table(
    counts: pd.Series, chosen: Mapping[str, str] | None = None, *, top: int = DEFAULT_TOP_EVENTS
) -> pd.DataFrame:
    """The event → metric table the upload step shows: the suggestion
    (:func:`suggest_event_metrics`), with the user's own choices (a saved mapping's
    ``values["event"]``, or edits) over it for the events the file has.

    An event the user chose no metric for (``""``) stays uncounted; an event of the choices the
    file does not have is ignored; an event of the file the choices do not name keeps the
    suggestion (a new event this week counts under its own metric or ``other_activity``).
    """
    table = suggest_event_metrics(counts, top=max(int(top), 0))
    if chosen:
        theirs = pd.Series({str(k): str(v).strip() for k, v in chosen.items()}, dtype=object)
        picked = table["event"].astype(str).map(theirs)
        table["metric"] = picked.where(picked.notna(), table["metric"])
    return table


def event_counts(column: pa.Array | pa.ChunkedArray | pd.Series) -> pd.Series:
    """Events per name in one column (names trimmed, empty cells left out), most frequent
    first: what the event → metric suggestion ranks. Vectorised: names are cleaned on the
    distinct values (a Parquet column's dictionary as stored) and counted with ``bincount``."""
    if isinstance(column, pd.Series):
        column = pa.array(column.astype("string").to_numpy(dtype=object, na_value=None))
    codes, distinct = _clean_codes(column)
    codes = np.asarray(codes)
    counts = np.bincount(codes[codes >= 0], minlength=len(distinct)).astype("int64")
    out = pd.Series(counts, index=pd.Index(distinct, dtype=object), name="events")
    return out[out > 0].sort_values(ascending=False, kind="stable")


def guess_events(
    table: pa.Table, *, names: list[str] | None = None, top: int = DEFAULT_TOP_EVENTS
) -> tuple[dict[str, str], dict[str, str]]:
    """An event table's suggested plan: ``{their column: role}``, the first column found for
    each role (:func:`find_columns`), and ``{event: metric}`` for the events of the event
    column (:func:`suggest_event_metrics`); no event column, no events.

    ``names``: the file's columns when ``table`` holds only some of them (the event column
    is enough to count the events; a big log need not be read whole for a guess).
    """
    found = find_columns(names if names is not None else table.column_names)
    columns = {cols[0]: role for role, cols in found.items() if cols}
    if not found["event"] or found["event"][0] not in table.column_names:
        return columns, {}
    table = event_metric_table(event_counts(table[found["event"][0]]), top=top)
    return columns, dict(zip(table["event"].astype(str), table["metric"], strict=True))


def event_catalog(metric_of: Mapping[str, str], labels: Mapping[str, str]) -> pd.DataFrame:
    """Catalog rows for the metrics events roll up to (added where the catalog lacks them).

    Event counts are activity (adoption, summed); ``weekly_active_users`` comes first among
    the people counts (seat signals read the first seats metric) and is summed (one row per
    week), ``daily_active_users`` is a level (the week's mean).
    """
    metrics = list(dict.fromkeys(m for m in metric_of.values() if m))
    rows = [
        (WEEKLY_ACTIVE, "Weekly active users", "seats", "users", "sum"),
        (DAILY_ACTIVE, "Daily active users", "seats", "users", "mean"),
        *((m, labels.get(m, m), "adoption", "events", "sum") for m in metrics),
    ]
    return pd.DataFrame(rows, columns=["metric", "label", "category", "unit", "aggregation"])


def _text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as trimmed strings with empty cells null (one Arrow array)."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def _clean_codes(column: pa.ChunkedArray, *, groups: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary codes of a column (−1 for null or blank) and its distinct cleaned values.

    Cleaning (trimming, blanks, the first value of an Amplitude ``groups`` JSON object) runs on
    the dictionary, the distinct values, never on every row.
    """
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_dictionary(arr.type):
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            arr = arr.cast(pa.string())
        arr = pc.dictionary_encode(arr)
    indices = arr.indices if not arr.indices.null_count else pc.fill_null(arr.indices, -1)
    codes = indices.to_numpy(zero_copy_only=False)  # int32: one pass fewer than int64
    values = visible_text(pd.Series(arr.dictionary.to_pylist(), dtype=object))
    if groups:  # {"company": "acme"} in one cell
        values = values.str.extract(_GROUPS_JSON, expand=False).str.strip()
    values = values.mask(values == "")
    vcodes, distinct = pd.factorize(values)  # blank -> -1; repeats after trimming merge
    lut = np.append(vcodes, -1).astype(np.int32)
    if (lut[:-1] == np.arange(len(lut) - 1)).all():  # nothing merged or blanked: codes as they are
        return codes, np.asarray(distinct, dtype=object)
    return lut[codes], np.asarray(distinct, dtype=object)


def _role_codes(
    table: pa.Table, columns: list[str], role: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per row, the first non-empty value among the role's columns, as codes into one set of
    distinct values (a loop over the few columns, vectorised over rows)."""
    parts = [
        _clean_codes(table[c], groups=role == "account_id" and _key(c) == "groups") for c in columns
    ]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    merged, distinct = pd.factorize(np.concatenate([values for _, values in parts]))
    out = np.full(table.num_rows, -1, dtype=np.int64)
    offset = 0
    for codes, values in parts:
        lut = np.append(merged[offset : offset + len(values)], -1)
        out = np.where(out >= 0, out, lut[codes])
        offset += len(values)
    return out, np.asarray(distinct, dtype=object)


def _encode(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary codes (−1 for null) and the distinct values."""
    enc = pc.dictionary_encode(arr)
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, np.asarray(enc.dictionary.to_pylist(), dtype=object)


def _days(table: pa.Table, columns: list[str], date_order: str) -> np.ndarray:
    """Per event, its calendar day (days since 1970-01-01), or INT32_MIN when unreadable.

    Typed timestamps are cast; text is cut to its date where it starts like an ISO date (the
    local calendar day is kept, as for every date Rudder reads) and the distinct values parsed
    with the contract's date reader (epoch seconds or milliseconds, zones, month names).
    """
    from insight_engine.source.validation import _by_unique, parse_dates

    out = np.full(table.num_rows, np.iinfo(np.int32).min, dtype=np.int64)
    todo = np.ones(table.num_rows, dtype=bool)
    for c in columns:
        col = table[c].combine_chunks()
        if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
            if pa.types.is_timestamp(col.type) and col.type.tz is not None:
                col = pc.local_timestamp(col)
            d = pc.fill_null(col.cast(pa.date32()).cast(pa.int32()), np.iinfo(np.int32).min)
            d = d.to_numpy(zero_copy_only=False).astype(np.int64)
        elif pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            n = pc.fill_null(col.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False)
            seconds = np.where(n < 1e11, n, n / 1000)  # 12+ digits: milliseconds
            ok = np.isfinite(seconds) & (seconds > 0)
            d = np.where(
                ok, np.floor_divide(np.where(ok, seconds, 0), 86400), np.iinfo(np.int32).min
            )
            d = d.astype(np.int64)
        else:
            text = _text(col)
            iso = pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}")
            text = pc.if_else(pc.fill_null(iso, False), pc.utf8_slice_codeunits(text, 0, 10), text)
            codes, distinct = _encode(text)
            if len(distinct):
                parsed, _bad, _ = _by_unique(
                    pd.Series(distinct, dtype="object"),
                    lambda v: parse_dates(v, order=date_order, column=c),  # noqa: B023
                )
                dd = parsed.to_numpy(dtype="datetime64[D]")
                lut = np.where(np.isnat(dd), np.iinfo(np.int32).min, dd.astype(np.int64))
            else:
                lut = np.empty(0, dtype=np.int64)
            lut = np.append(lut, np.iinfo(np.int32).min)
            d = lut[codes]  # code -1 reads the trailing "unreadable"
        fill = todo & (d != np.iinfo(np.int32).min)
        out[fill] = d[fill]
        todo &= ~fill
    return out


def parse_events(
    table: pa.Table,
    file: str,
    accounts: pd.DataFrame,
    report: ValidationReport,
    *,
    mapping: Mapping[str, str] | None = None,
    user_accounts: Mapping[str, str] | None = None,
    today: pd.Timestamp | None = None,
    date_order: str = "auto",
    row_offset: int = 2,
    row_numbers: np.ndarray | None = None,
) -> EventLog | None:
    """Read an event table into codes; every event set aside is counted and listed.

    Parameters
    ----------
    table : pyarrow.Table
        The events as read (Parquet columns typed; text formats as strings).
    file : str
        The file's name, for the report.
    accounts : pandas.DataFrame
        The validated accounts (their order is the code order).
    report : ValidationReport
        Problems go here, and the file's read/kept/rejected counts.
    mapping : mapping, optional
        The user's column choice (file column → role).
    user_accounts : mapping, optional
        User id or email (lower case) → account id, from the users table: events without a
        group column (or with an empty one) are joined through it.
    today : Timestamp, optional
        Events after it are set aside (default: the machine's date).
    date_order : {"auto", "day_first", "month_first"}
        How to read dates such as 03/04/2025.
    row_offset : int
        Spreadsheet row of the table's first row (2 for CSV, 1 for JSON lines and Parquet).
    row_numbers : numpy.ndarray, optional
        Each event's own row (line) number, when rows were skipped while reading.

    Returns
    -------
    EventLog or None
        None when the file lacks a timestamp or event column (the report says which).
    """
    n = table.num_rows
    cols = find_columns(table.column_names, mapping)
    if _lacks_required_role(table, file, cols, report):
        return None
    event_codes, event_names = _role_codes(table, cols["event"], "event")
    user = _role_codes(table, cols["user_id"], "user_id")
    group = _role_codes(table, cols["account_id"], "account_id")
    days = _days(table, cols["timestamp"], date_order)
    no_time = _no_time(table, cols["timestamp"])
    joined = _join_accounts(n, user, group, accounts, user_accounts)
    limit = int(((today or pd.Timestamp.today()).normalize() - pd.Timestamp(0)).days)
    checks = _checks(event_codes, no_time, days, limit, joined)
    blame = _blame(checks, n)
    _report_set_aside(
        file,
        report,
        checks,
        blame,
        _reasons(cols, limit),
        _values_of(table, cols, joined),
        row_offset=row_offset,
        row_numbers=row_numbers,
    )
    no_account = blame == [name for name, _ in checks].index("no_account")
    if not user_accounts and n and (no_account | (event_codes < 0)).all():
        report.add(
            Problem.about_file(
                file,
                "has no account id: no event names a group (context.groupId, groupId, "
                "$group_0, groups) and there is no users file",
                "Map a group column to account_id in the upload step, or join through users: "
                "add users.csv (user_id, account_id).",
            )
        )
    return _event_log(file, report, blame >= 0, event_codes, event_names, days, joined)


def _lacks_required_role(
    table: pa.Table, file: str, cols: dict[str, list[str]], report: ValidationReport
) -> bool:
    """Whether the table lacks a timestamp or event column; the first missing is reported and
    every row counted as rejected."""
    n = table.num_rows
    for role in REQUIRED_ROLES:
        if not cols[role]:
            report.add(
                Problem(
                    file,
                    1,
                    None,
                    None,
                    f"has no {role} column (looked for {', '.join(ROLES[role][:6])}…); "
                    f"its columns are: {', '.join(table.column_names[:20])}"
                    f"{', …' if len(table.column_names) > 20 else ''}",
                    f"Choose the column that holds the event's {role} in the upload step, "
                    f"or name it {role}.",
                )
            )
            report.counts[file] = {"read": n, "kept": 0, "rejected": n}
            return True
    return False


def _no_time(table: pa.Table, columns: list[str]) -> np.ndarray:
    """Per event, whether no timestamp column has a value (typed columns: no cast)."""
    no_time = np.ones(table.num_rows, dtype=bool)
    for c in columns:
        col = table[c]
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = _text(col)
        no_time &= pc.is_null(col).to_numpy(zero_copy_only=False)
    return no_time


@dataclass
class _Joined:
    """Per event, its user, its group and the account it joins (−1: none), and whether the
    account came through the users table."""

    user_codes: np.ndarray
    users: np.ndarray
    group_codes: np.ndarray
    groups: np.ndarray
    acct: np.ndarray
    via_users: np.ndarray


def _join_accounts(
    n: int,
    user: tuple[np.ndarray, np.ndarray] | None,
    group: tuple[np.ndarray, np.ndarray] | None,
    accounts: pd.DataFrame,
    user_accounts: Mapping[str, str] | None,
) -> _Joined:
    """Join each event to an account: its group id, or else its user through ``users``."""
    if user is not None:
        user_codes, users = user
    else:
        user_codes, users = np.full(n, -1, dtype=np.int64), np.empty(0, dtype=object)
    ids = pd.Index(accounts["account_id"].astype(str))
    if group is not None:
        group_codes, groups = group
        lut = np.append(ids.get_indexer(pd.Index(groups.astype(str))), -1)
        acct = lut[group_codes]
    else:
        group_codes, groups = np.full(n, -1, dtype=np.int64), np.empty(0, dtype=object)
        acct = np.full(n, -1, dtype=np.int64)
    via_users = np.zeros(n, dtype=bool)
    if user_accounts and len(users):
        lookup = pd.Series(user_accounts)
        owner = lookup.reindex(pd.Index(users.astype(str)).str.lower()).to_numpy(dtype=object)
        owner_codes = np.append(ids.get_indexer(pd.Index(owner.astype(str))), -1)
        owner_codes = np.where(pd.isna(np.append(owner, None)), -1, owner_codes)
        via_users = (group_codes < 0) & (user_codes >= 0)
        acct = np.where(via_users, owner_codes[user_codes], acct)
    return _Joined(user_codes, users, group_codes, groups, acct, via_users)


def _reasons(cols: dict[str, list[str]], limit: int) -> dict[str, tuple[str, str, str]]:
    """Per check, the column blamed, the problem and its fix."""
    return {
        "no_event": (
            cols["event"][0],
            "has no event name (an identify or group call, not an event)",
            "Nothing to do: only events count as usage.",
        ),
        "no_time": (
            cols["timestamp"][0],
            "is empty: the event has no timestamp",
            "Export events with their time (Segment timestamp, Mixpanel properties.time, "
            "Amplitude event_time); spec examples and test events often have none.",
        ),
        "no_date": (
            cols["timestamp"][0],
            "is not a date",
            "Export the events with their timestamps (ISO or epoch seconds).",
        ),
        "future": (
            cols["timestamp"][0],
            f"is in the future (after {pd.Timestamp(limit, unit='D'):%Y-%m-%d})",
            "Check the clock of the tool that wrote it; Rudder leaves the event out.",
        ),
        "no_account": (
            (cols["account_id"] or cols["user_id"] or ["account_id"])[0],
            "names no account: no group id, and no user joined through users",
            "Map the column that holds the account (group) id, or add a users file "
            "(user_id, account_id) to join users to accounts.",
        ),
        "unknown_account": (
            (cols["account_id"] or ["account_id"])[0],
            "is not an account in accounts",
            "Add the account to accounts, or check the group id the tool sends.",
        ),
        "unknown_user": (
            (cols["user_id"] or ["user_id"])[0],
            "is not a user in users (or their account is not in accounts)",
            "Add the user to users with their account id.",
        ),
    }


def _checks(
    event_codes: np.ndarray, no_time: np.ndarray, days: np.ndarray, limit: int, j: _Joined
) -> list[tuple[str, np.ndarray]]:
    """The checks every event passes, in the order a row is blamed: name and failing rows."""
    return [
        ("no_event", event_codes < 0),
        ("no_time", no_time),
        ("no_date", days == np.iinfo(np.int32).min),
        ("future", days > limit),
        ("no_account", (j.group_codes < 0) & ~j.via_users),
        ("unknown_user", j.via_users & (j.acct < 0)),
        ("unknown_account", (j.group_codes >= 0) & (j.acct < 0)),
    ]


def _blame(checks: list[tuple[str, np.ndarray]], n: int) -> np.ndarray:
    """Which check each row failed first (−1: none)."""
    blame = np.full(n, -1, dtype=np.int8)
    for k, (_name, mask) in enumerate(checks):  # a handful of checks, each over all rows
        blame[(blame < 0) & mask] = k
    return blame


def _values_of(table: pa.Table, cols: dict[str, list[str]], j: _Joined) -> dict:
    """Per check, a getter of the offending values at given rows (None: nothing to show)."""
    return {
        "no_event": None,
        "no_time": None,
        "no_date": _values_at(table, cols["timestamp"][0]),
        "future": _values_at(table, cols["timestamp"][0]),
        "no_account": None,
        "unknown_account": lambda idx: j.groups[j.group_codes[idx]],
        "unknown_user": lambda idx: j.users[j.user_codes[idx]],
    }


def _report_set_aside(
    file: str,
    report: ValidationReport,
    checks: list[tuple[str, np.ndarray]],
    blame: np.ndarray,
    reasons: dict[str, tuple[str, str, str]],
    values_of: dict,
    *,
    row_offset: int,
    row_numbers: np.ndarray | None,
) -> None:
    """List the events set aside, the first ``MAX_LISTED_PER_KIND`` of each kind and a count of
    the rest, in the report and its rejected rows."""
    rejected = []
    for k, (name, _mask) in enumerate(checks):  # a handful of kinds, not rows
        idx = np.nonzero(blame == k)[0]
        if not len(idx):
            continue
        column, problem, fix = reasons[name]
        severity = "info" if name == "no_event" else "error"
        getter = values_of[name]
        shown = idx[:MAX_LISTED_PER_KIND]
        vals = getter(shown) if getter else np.full(len(shown), None, dtype=object)
        frame = pd.DataFrame(
            {
                "file": file,
                "row": row_numbers[shown] if row_numbers is not None else shown + row_offset,
                "column": column,
                "value": [None if v is None else str(v) for v in vals],
                "problem": problem,
                "fix": fix,
                "severity": severity,
            }
        )
        report.add_frame(frame)
        if len(idx) > len(shown):
            report.add(
                Problem(
                    file,
                    None,
                    column,
                    None,
                    f"{len(idx) - len(shown):,} more event(s) {problem} ({len(idx):,} in all)",
                    fix,
                    severity,
                )
            )
        rejected.append(frame)
    if rejected:
        report.rejected[file] = pd.concat(rejected, ignore_index=True)


def _event_log(
    file: str,
    report: ValidationReport,
    bad: np.ndarray,
    event_codes: np.ndarray,
    event_names: np.ndarray,
    days: np.ndarray,
    j: _Joined,
) -> EventLog:
    """The kept events as an :class:`EventLog` (rows set aside: account −1), and the file's
    read/kept/rejected counts."""
    n = len(bad)
    kept = int((~bad).sum())
    report.counts[file] = {"read": n, "kept": kept, "rejected": int(n - kept)}
    acct = np.where(bad, -1, j.acct).astype(np.int32)
    ok = acct >= 0
    counts = (
        pd.Series(np.bincount(event_codes[ok], minlength=len(event_names)), index=event_names)
        if len(event_names)
        else pd.Series(dtype="int64")
    )
    return EventLog(
        account_codes=acct,
        user_codes=j.user_codes,
        days=np.where(bad, 0, days).astype(np.int32),
        event_codes=np.where(event_codes < 0, 0, event_codes).astype(np.int32),
        event_names=event_names,
        users=j.users,
        kept=kept,
        counts=counts[counts > 0],
    )


def _values_at(table: pa.Table, column: str):
    """A getter of the cells of ``column`` at given rows, as the file wrote them."""

    def get(idx: np.ndarray) -> np.ndarray:
        return np.asarray(table[column].take(pa.array(idx)).to_pylist(), dtype=object)

    return get


def _keeper(mask: np.ndarray):
    """A function selecting ``mask``'s rows of an array: the array itself when all are kept."""
    if mask.all():
        return lambda a: a
    return lambda a: a[mask]


DENSE_CELLS = 1 << 25  # a dense count or bitmap up to this many cells; hashing beyond


def _count(keys: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys and how often each occurs: a dense bincount when the key space is small
    enough, else a hash (``pandas.factorize``)."""
    if space <= max(DENSE_CELLS, 4 * len(keys)):
        counts = np.bincount(keys, minlength=space)
        present = np.flatnonzero(counts)
        return present, counts[present].astype(np.float64)
    codes, uniq = pd.factorize(keys)
    return np.asarray(uniq), np.bincount(codes, minlength=len(uniq)).astype(np.float64)


def _distinct_per(
    acct: np.ndarray, users: np.ndarray, slot: np.ndarray, slots: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct users per account and time slot (a day, a week).

    A user id belongs to one account almost always: then ``user × slot`` marks a dense bitmap
    (no hashing of events). A user id seen in two accounts makes (user, account) the member.

    Returns
    -------
    keys : numpy.ndarray
        ``account * slots + slot`` of each account × slot with a user.
    counts : numpy.ndarray of float
        The distinct users there.
    """
    if not len(acct):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    n_users = int(users.max()) + 1
    owner = np.full(n_users, -1, dtype=np.int64)
    owner[users] = acct
    if np.array_equal(owner[users], acct):
        member, member_acct = users, owner
    else:  # the same user id in several accounts: one member per (user, account)
        member, pairs = pd.factorize(users.astype(np.int64) * (int(acct.max()) + 1) + acct)
        member_acct = np.asarray(pairs) % (int(acct.max()) + 1)
    n_members = len(member_acct)
    if n_members * slots <= max(DENSE_CELLS, 4 * len(member)):
        seen = np.zeros(n_members * slots, dtype=bool)
        cell = np.multiply(member, slots, dtype=np.int64)
        cell += slot
        seen[cell] = True
        del cell
        cells = np.flatnonzero(seen)
    else:
        cells = pd.unique(np.multiply(member, slots, dtype=np.int64) + slot)
    m, s = np.divmod(cells, slots)
    return _count(member_acct[m] * slots + s, int(member_acct.max() + 1) * slots)


def usage_rows(
    log: EventLog, metric_codes_of_event: np.ndarray, *, daily_active: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Daily usage rows from events: a count per account, day and metric, and distinct users
    per account and day.

    Parameters
    ----------
    log : EventLog
        The parsed events.
    metric_codes_of_event : numpy.ndarray of int
        Per event name (``log.event_names``), its metric's position in the catalog; −1 leaves
        the event uncounted (its users still count as active).
    daily_active : int
        The catalog position of ``daily_active_users``.

    Returns
    -------
    account_codes, metric_codes, days, values : numpy.ndarray
        Parallel arrays, one row per account × day × metric with events.
    """
    ok = log.account_codes >= 0
    keep = _keeper(ok)  # no copy when every event is kept (the usual case)
    acct = keep(log.account_codes).astype(np.int64)
    days = keep(log.days).astype(np.int64)
    metric = (
        np.asarray(metric_codes_of_event, dtype=np.int64)[keep(log.event_codes)]
        if len(log.event_names)
        else np.empty(0, dtype=np.int64)
    )
    d0 = int(days.min()) if len(days) else 0
    span = int(days.max()) - d0 + 1 if len(days) else 1
    # account × day as one int64 key, built in place
    ad = np.multiply(acct, span)
    ad += days
    ad -= d0
    counted = _keeper(metric >= 0)
    M = int(max(metric.max(initial=-1) + 1, 1))
    key = np.multiply(counted(ad), M)
    key += counted(metric)
    uniq, n_per = _count(key, int(acct.max(initial=0) + 1) * span * M)
    del key
    c_ad, c_m = np.divmod(uniq, M)
    # distinct users per account × day
    has_user = _keeper(keep(log.user_codes) >= 0)
    days -= d0
    dau_ad, dau = _distinct_per(
        has_user(acct), has_user(keep(log.user_codes)), has_user(days), span
    )
    all_ad = np.concatenate([c_ad, dau_ad])
    a, d = np.divmod(all_ad, span)
    return (
        a.astype(np.int32),
        np.concatenate([c_m, np.full(len(dau_ad), daily_active)]).astype(np.int32),
        (d + d0).astype(np.int32),
        np.concatenate([n_per, dau]),
    )


def weekly_active_rows(
    log: EventLog, *, as_of_day: int, weeks: int, weekly_active: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct users per account in each of the rollup's weeks, as usage rows.

    Weeks are the rollup's: week ``k`` back is the seven days ending ``as_of - 7k``. Each
    account × week with any user gives one row dated on the week's last day, so the rollup
    (``aggregation = sum`` for this metric) reads exactly the distinct count.

    Parameters
    ----------
    log : EventLog
        The parsed events.
    as_of_day : int
        The as-of date, days since 1970-01-01.
    weeks : int
        Weeks rolled up (older events only mark coverage, through the daily rows).
    weekly_active : int
        The catalog position of ``weekly_active_users``.

    Returns
    -------
    account_codes, metric_codes, days, values : numpy.ndarray
    """
    before = as_of_day - log.days.astype(np.int64)
    ok = (log.account_codes >= 0) & (log.user_codes >= 0) & (before >= 0) & (before < 7 * weeks)
    acct = log.account_codes[ok].astype(np.int64)
    aw, wau = _distinct_per(acct, log.user_codes[ok], before[ok] // 7, weeks)
    a, w = np.divmod(aw, weeks)
    return (
        a.astype(np.int32),
        np.full(len(aw), weekly_active, dtype=np.int32),
        (as_of_day - 7 * w).astype(np.int32),
        wau,
    )
