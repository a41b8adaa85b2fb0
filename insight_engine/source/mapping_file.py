"""A saved mapping: how each file of a team's raw exports becomes Rudder's tables.

The upload step in the app and ``--guess`` on the command line decide, per file, the table (or
tables) it holds, which of its columns is which contract column, the team's own values for
choice columns, fixed values for columns the export lacks (an NPS tool's responses are all
``nps``), the date order and whether the file has a header row. That decision is a small JSON
file (schema below, ``"rudder_mapping": 1``) that the app downloads and uploads and the command
line takes as ``--mapping FILE``, so the same folder and the same mapping give the same book
everywhere.

Schema (version 1)::

    {
      "rudder_mapping": 1,
      "files": {
        "salesforce-accounts.csv": {
          "tables": {
            "accounts": {
              "columns": {"Id": "account_id", "Name": "account_name", "OwnerId": "csm"},
              "values": {"tier": {"Professional": "Enterprise"}},
              "set": {}
            }
          },
          "date_order": "auto",
          "header": true
        },
        "nps.csv": {"tables": {"surveys": {"columns": {...}, "set": {"kind": "nps"}}}},
        "usage-with-accounts.csv": {"tables": {"accounts": {...}, "usage": {...}}},
        "old-report.csv": {"skip": true}
      }
    }

- ``tables``: one entry per table the file holds; two tables split the file (account fields
  on every usage row: the accounts table takes the first row per account).
- ``columns``: ``{your column: contract column}``; in a wide usage file each metric column
  maps to its metric key.
- ``values``: for choice columns, ``{your value: Rudder's choice}`` (``""``: blank).
- ``set``: a contract column the file lacks, filled with one value for every row.
- ``date_order``: ``auto`` (refuse to guess 03/04/2025), ``day_first`` or ``month_first``.
- ``header``: ``false`` for a file with no header row; its columns are ``column 1``,
  ``column 2``, …
- ``skip``: ``true`` leaves the file out.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import pandas as pd

from insight_engine.errors import RudderError
from insight_engine.source.contract import SOURCES, TABLES
from insight_engine.source.mapping import missing_required, normalize, suggest_mapping
from insight_engine.source.problems import Problem

__all__ = [
    "MAPPING_VERSION",
    "FilePlan",
    "MappingFileError",
    "SavedMapping",
    "TablePlan",
    "guess_file",
    "looks_headerless",
    "numbered_header",
]

MAPPING_VERSION = 1
DATE_ORDERS = ("auto", "day_first", "month_first")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")


class MappingFileError(RudderError):
    """A mapping file that cannot be used (not JSON, a newer version, an unknown table...)."""


@dataclass
class TablePlan:
    """One table a file holds: its columns, its values and its fixed values."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    set: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out: dict = {"columns": dict(self.columns)}
        if self.values:
            out["values"] = {k: dict(v) for k, v in self.values.items()}
        if self.set:
            out["set"] = dict(self.set)
        return out


@dataclass
class FilePlan:
    """What one file holds: its tables (none: skipped), date order and header row."""

    tables: dict[str, TablePlan] = field(default_factory=dict)
    date_order: str = "auto"
    header: bool = True

    @property
    def skip(self) -> bool:
        return not self.tables

    def to_dict(self) -> dict:
        if self.skip:
            return {"skip": True}
        out: dict = {"tables": {t: p.to_dict() for t, p in self.tables.items()}}
        out["date_order"] = self.date_order
        out["header"] = self.header
        return out


@dataclass
class SavedMapping:
    """Every file's plan, by file name."""

    files: dict[str, FilePlan] = field(default_factory=dict)

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "rudder_mapping": MAPPING_VERSION,
                    "files": {n: p.to_dict() for n, p in self.files.items()},
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "the mapping file") -> SavedMapping:
        """Read a mapping file, refusing what cannot be used with a message that says why."""
        try:
            doc = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MappingFileError(
                f"{source} is not JSON ({exc}). Download it again from Data & settings, or "
                "write it as the README's 'The saved mapping' shows."
            ) from None
        if not isinstance(doc, dict) or "rudder_mapping" not in doc:
            raise MappingFileError(
                f'{source} is not a Rudder mapping: it has no "rudder_mapping" version.'
            )
        version = doc["rudder_mapping"]
        if version != MAPPING_VERSION:
            raise MappingFileError(
                f"{source} is a version {version} mapping; this Rudder reads version "
                f"{MAPPING_VERSION}. Save the mapping again from this Rudder."
            )
        files = doc.get("files")
        if not isinstance(files, dict):
            raise MappingFileError(f'{source} has no "files" object.')
        out = cls()
        for name, entry in files.items():
            out.files[str(name)] = _file_plan(str(name), entry, source)
        return out

    @classmethod
    def load(cls, path: str | Path) -> SavedMapping:
        path = Path(path)
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise MappingFileError(
                f"Cannot read the mapping file {path}: {exc.strerror}."
            ) from None
        return cls.from_json(text, source=str(path))

    @classmethod
    def from_uploads(cls, uploads, skipped: list[str] = ()) -> SavedMapping:
        """The mapping the loader would apply to these files (:class:`~insight_engine.book.loader.UploadedFile`)."""
        out = cls()
        for f in uploads:
            plan = out.files.setdefault(
                f.name,
                FilePlan(date_order=f.date_order, header=getattr(f, "header", None) is not False),
            )
            plan.tables[f.table] = TablePlan(
                columns=dict(f.mapping or {}),
                values={k: dict(v) for k, v in (f.values or {}).items() if v},
                set=dict(getattr(f, "constants", None) or {}),
            )
        for name in skipped:
            out.files.setdefault(name, FilePlan())
        return out

    def uploads(self, files: dict[str, bytes], *, date_order: str = "auto") -> list:
        """The files as the loader takes them: one :class:`UploadedFile` per table a file
        holds; skipped files and files the mapping does not name are left out."""
        from insight_engine.source.uploads import UploadedFile

        out = []
        for name, data in files.items():
            plan = self.files.get(name)
            if plan is None or plan.skip:
                continue
            for table, tp in plan.tables.items():
                out.append(
                    UploadedFile(
                        name,
                        data,
                        table=table,
                        mapping=dict(tp.columns),
                        date_order=plan.date_order if plan.date_order != "auto" else date_order,
                        values={k: dict(v) for k, v in tp.values.items()},
                        constants=dict(tp.set),
                        header=plan.header,
                    )
                )
        return out


def _file_plan(name: str, entry: object, source: str) -> FilePlan:
    where = f"{source}, file {name!r}"
    if not isinstance(entry, dict):
        raise MappingFileError(f'{where}: expected an object with "tables" or "skip".')
    if entry.get("skip"):
        return FilePlan()
    tables = entry.get("tables")
    if not isinstance(tables, dict) or not tables:
        raise MappingFileError(
            f'{where}: no "tables"; give the table(s) the file holds, or "skip": true.'
        )
    order = entry.get("date_order", "auto")
    if order not in DATE_ORDERS:
        raise MappingFileError(
            f"{where}: date_order {order!r} is not one of {', '.join(DATE_ORDERS)}."
        )
    plan = FilePlan(date_order=order, header=bool(entry.get("header", True)))
    for table, t in tables.items():
        spec = TABLES.get(table) or SOURCES.get(table)  # a source: an event log, users, billing
        if spec is None:
            raise MappingFileError(
                f"{where}: {table!r} is not a Rudder table ({', '.join([*TABLES, *SOURCES])})."
            )
        if not isinstance(t, dict) or not isinstance(t.get("columns", {}), dict):
            raise MappingFileError(f'{where}, table {table}: "columns" must be an object.')
        names = spec.column_names
        columns = {str(k): str(v) for k, v in t.get("columns", {}).items()}
        wide = table == "usage" and not {"metric", "value"} & set(columns.values())
        unknown = [v for v in columns.values() if v not in names and not wide]
        if unknown:
            raise MappingFileError(
                f"{where}, table {table}: {', '.join(map(repr, unknown))} is not a column of "
                f"{table} ({', '.join(names)})."
            )
        fixed = {str(k): str(v) for k, v in (t.get("set") or {}).items()}
        for column in [*fixed, *(t.get("values") or {})]:
            if column not in names:
                raise MappingFileError(
                    f"{where}, table {table}: {column!r} is not a column of {table}."
                )
        plan.tables[table] = TablePlan(
            columns=columns,
            values={
                str(k): {str(a): str(b) for a, b in (v or {}).items()}
                for k, v in (t.get("values") or {}).items()
            },
            set=fixed,
        )
    return plan


# ---------------------------------------------------------------------------------------------
# Header rows


def _first_line(data: bytes, name: str) -> tuple[list[str], str] | None:
    """The first non-blank line of a text file, split into cells, and its delimiter."""
    from insight_engine.source.reader import _decode, _sniff_delimiter

    if PurePath(name).suffix.lower() not in TEXT_SUFFIXES or not data.strip():
        return None
    text, _ = _decode(data[: 1 << 16], name, [])
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\n \t")
    first = text.split("\n", 1)[0]
    delimiter = _sniff_delimiter(first, PurePath(name).suffix.lower())
    try:
        cells = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    except csv.Error:
        return None
    return cells, delimiter


def _data_like(cell: str) -> bool:
    from insight_engine.source.validation import parse_dates, parse_numbers

    cell = cell.strip()
    if not cell:
        return False
    if "@" in cell and "." in cell.split("@")[-1]:
        return True  # an email address
    if not any(ch.isdigit() for ch in cell):
        return False  # a word: neither a number nor a date (and the parsers cost ~5 ms a cell)
    _, bad = parse_numbers(pd.Series([cell]))
    if not bad.iloc[0]:
        return True
    if len(cell) < 8:
        return False
    try:
        _, bad, _ = parse_dates(pd.Series([cell]))
    except (ValueError, OverflowError):
        return True  # a day/month date in an order to choose: still a date
    return not bad.iloc[0]


def looks_headerless(cells: list[str]) -> bool:
    """Whether a first row is data rather than column names: a date or an email in it, or
    numbers in half of its cells. Column names are words; ``2024-01-05`` never is one."""
    filled = [c for c in cells if c.strip()]
    if not filled:
        return False
    like = [c for c in filled if _data_like(c)]
    dated_or_mail = [c for c in like if len(c.strip()) >= 8 or "@" in c]
    return bool(dated_or_mail) or len(like) * 2 >= len(filled)


def has_header(data: bytes, name: str) -> bool:
    """False when a text file's first row looks like data (see :func:`looks_headerless`)."""
    first = _first_line(data, name)
    return first is None or not looks_headerless(first[0])


def numbered_header(data: bytes, name: str) -> bytes:
    """The file with a header row ``column 1, column 2, …`` added (UTF-8), so a file with no
    header reads like any other; its rows then count from 2, so the loader takes one off."""
    from insight_engine.source.reader import _decode

    first = _first_line(data, name)
    if first is None:
        return data
    cells, delimiter = first
    text, _ = _decode(data, name, [])
    n = len(cells)
    header = delimiter.join(f"column {i}" for i in range(1, n + 1))
    return (header + "\n" + text.lstrip("\ufeff")).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Guessing a raw export's table


# Words in a file's name that say which table an export holds, when it is not named after one.
_NAME_WORDS: dict[str, tuple[str, ...]] = {
    "accounts": (
        "account",
        "companies",
        "company",
        "customers",
        "crm",
        "organisations",
        "organizations",
    ),
    "tickets": ("ticket", "case", "cases", "conversation", "conversations", "support"),
    "surveys": ("survey", "nps", "csat", "responses", "delighted", "qualtrics"),
    "usage": ("usage", "activity", "product"),
    "contacts": ("contact", "people"),
    "notes": ("note", "meetings", "calls"),
}


def _table_from_name(name: str) -> str | None:
    """The table a tool's file name hints at (``hubspot-companies`` → accounts)."""
    words = set(normalize(PurePath(name).stem).split("_"))
    for table, hints in _NAME_WORDS.items():
        if words & set(hints):
            return table
    return None


def _survey_kind(name: str, frame: pd.DataFrame, score_column: str | None) -> str | None:
    """The kind of every response in a survey export that has no kind column: said by the
    file's name (NPS, CSAT), else NPS when a score is above 5 (CSAT stops at 5)."""
    words = set(normalize(PurePath(name).stem).split("_")) | {normalize(c) for c in frame.columns}
    if words & {"nps", "net_promoter", "nps_score", "delighted"}:
        return "nps"
    if words & {"csat", "csat_score"}:
        return "csat"
    if score_column is None or score_column not in frame:
        return None
    scores = pd.to_numeric(frame[score_column], errors="coerce").dropna()
    return "nps" if len(scores) and scores.max() > 5 and scores.max() <= 10 else None


def _plan_table(
    name: str, table: str, frame: pd.DataFrame, cache: dict | None = None
) -> tuple[TablePlan, list[str]]:
    """The suggested plan for one table of a file, and what it still lacks."""
    columns = [str(c) for c in frame.columns]
    mapping = suggest_mapping(columns, table, frame=frame, fit_cache=cache)
    if columns and all(c.startswith("column ") for c in columns):
        mapping = _by_values(frame, table)  # no header: the values are all there is
    plan = TablePlan(columns=mapping)
    if table == "surveys" and "kind" not in mapping.values():
        score = next((c for c, t in mapping.items() if t == "score"), None)
        kind = _survey_kind(name, frame, score)
        if kind:
            plan.set["kind"] = kind
    if table == "usage" and not {"metric", "value"} & set(mapping.values()):
        # wide: every other column with numbers in it is a metric
        for c in columns:
            if c not in mapping and _numeric(frame[c]):
                mapping[c] = normalize(c)
    lacking = missing_required(name, table, columns, {**mapping, **{k: k for k in plan.set}})
    return plan, lacking


def _by_values(frame: pd.DataFrame, table: str) -> dict[str, str]:
    """A file with no header: each required column of the table takes the first column, left
    to right, whose values are of its kind (dates for a date, numbers for a number, words for
    an id, a name or a choice)."""
    from insight_engine.source.mapping import values_fit

    def kind(c: str) -> str:
        if _numeric(frame[c]):
            return "number"
        date = next(col for col in TABLES["usage"].columns if col.name == "date")
        return "date" if values_fit(frame[c], date) else "text"

    kinds = {str(c): kind(str(c)) for c in frame.columns}
    mapping: dict[str, str] = {}
    for col in TABLES[table].columns:
        if not col.required:
            continue
        want = col.kind if col.kind in ("date", "number") else "text"
        pick = next((c for c, k in kinds.items() if k == want and c not in mapping), None)
        if pick is not None:
            mapping[pick] = col.name
    return mapping


def _looks_like_ids(values: pd.Series) -> bool:
    """CRM record ids (Salesforce 005…, HubSpot numbers): no spaces, letters and digits mixed
    or digits only, all of one length."""
    text = values.astype("string").str.strip()
    text = text[text.notna() & (text != "")].head(200)
    if text.empty:
        return False
    shaped = text.str.fullmatch(r"[0-9A-Za-z]{8,18}") & text.str.contains(r"\d")
    return bool(shaped.all()) and text.str.len().nunique() == 1


def _numeric(values: pd.Series) -> bool:
    from insight_engine.source.validation import parse_numbers

    text = values.astype("string").str.strip()
    text = text[text.notna() & (text != "")].head(200)
    return bool(len(text)) and float(parse_numbers(text.reset_index(drop=True))[1].mean()) <= 0.2


# Names of exports that are not tables but sources read into them (event logs, users,
# subscriptions): left to their own step.
_SOURCE_WORDS = frozenset(
    ["event", "events", "users", "subscription", "subscriptions", "invoices", "billing"]
)
_GUESSABLE = ("accounts", "usage", "tickets", "surveys", "contacts", "milestones", "notes")


def guess_file(name: str, data: bytes) -> tuple[FilePlan, list[Problem], pd.DataFrame]:
    """What a raw export holds, as far as its name, its header and its values say.

    Returns the file's plan (no tables: skipped), info lines for the report saying what
    was guessed and why, and the file as read.
    """
    from insight_engine.source.reader import read_raw

    notes: list[Problem] = []
    words = set(normalize(PurePath(name).stem).split("_"))
    readable = (*TEXT_SUFFIXES, ".xlsx", ".xlsm", ".parquet", ".pq")
    if words & _SOURCE_WORDS:
        # an event log, users or subscriptions: read by their own step (insight_engine.source.sources),
        # which finds the tools' own columns (context.groupId, $group_0, properties.time…)
        from insight_engine.source.reader import guess_table

        source = guess_table(name)
        source = source if source in SOURCES else ("events" if words & {"event"} else None)
        if source is None:
            return FilePlan(), notes, pd.DataFrame()
        notes.append(
            Problem.about_file(
                name,
                f"read as {source} by its name; its columns are found by the tools' own names",
                "Nothing to do; choose another table for it in the upload step if that is wrong.",
                "info",
            )
        )
        tp = TablePlan()
        if source == "events":  # its columns and events -> metrics, as the upload step shows
            from insight_engine.source.sources import guess_event_log

            guessed = guess_event_log(name, data)
            if guessed is not None:
                tp = TablePlan(
                    columns=guessed[0], values={"event": guessed[1]} if guessed[1] else {}
                )
        return FilePlan(tables={source: tp}), notes, pd.DataFrame()
    if PurePath(name).suffix.lower() not in readable:
        return FilePlan(), notes, pd.DataFrame()
    header = has_header(data, name)
    raw = read_raw(data if header else numbered_header(data, name), name)
    if raw.fatal is not None:
        notes.append(
            Problem.about_file(
                name,
                f"was not read: {raw.fatal.problem}",
                raw.fatal.fix,
                "warning",
            )
        )
        return FilePlan(), notes, pd.DataFrame()
    if not header:
        notes.append(
            Problem.about_file(
                name,
                "has no header row (its first row is data); its columns are named column 1, "
                "column 2, …",
                "Check the mapping Rudder used, or add a header row to the file.",
                "info",
            )
        )
    frame = raw.frame
    from insight_engine.source.reader import guess_table

    # A table's own name in the file's name wins (what the file lacks is then said where it is
    # read); a tool's word (companies, cases, nps) only leads when the columns agree.
    named = guess_table(name)
    by_name = named or _table_from_name(name)
    candidates = [named] if named else [t for t in [by_name, *_GUESSABLE] if t]
    candidates = list(dict.fromkeys(candidates))
    cache: dict = {}  # one look at each column's values, whatever the table
    plans: dict[str, tuple[TablePlan, list[str]]] = {
        t: _plan_table(name, t, frame, cache) for t in candidates
    }
    # the name wins when it says a table (what the file lacks is then said where it is read);
    # otherwise the table whose required columns are all there, with the most columns mapped
    complete = [t for t in candidates if not plans[t][1] and len(plans[t][0].columns) >= 2]
    if named:
        table, why = named, "its name"
    elif by_name in complete:
        table, why = by_name, "its name and columns"
    elif complete:
        table = max(complete, key=lambda t: (len(plans[t][0].columns), -candidates.index(t)))
        why = "its columns"
    else:
        notes.append(
            Problem.about_file(
                name,
                "was not read: Rudder cannot tell which table it holds"
                + (f" (as {by_name}: {'; '.join(plans[by_name][1])})" if by_name in plans else ""),
                'Give it in the mapping file ("tables"), or upload it and choose its table.',
                "warning",
            )
        )
        return FilePlan(header=header), notes, frame
    plan = FilePlan(tables={table: plans[table][0]}, header=header)
    owner = next((c for c, t in plan.tables[table].columns.items() if t == "csm"), None)
    if owner is not None and _looks_like_ids(frame[owner]):
        notes.append(
            Problem(
                name,
                None,
                "csm",
                str(frame[owner].dropna().iloc[0]),
                f"column '{owner}' holds user ids, not names, so the CSM filter and the drafts "
                "show ids",
                "Export the owner's name (in Salesforce: Owner.Name, 'Account Owner' in a "
                "report) and map that column to csm.",
                "warning",
            )
        )
    mapped = ", ".join(f"{c} → {t}" for c, t in plans[table][0].columns.items())
    notes.append(
        Problem.about_file(
            name,
            f"read as the {table} table (from {why}): {mapped}",
            "Check it; save the mapping (--guess prints it) to change it.",
            "info",
        )
    )
    return plan, notes, frame


def add_split(plans: dict[str, FilePlan], frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """With no accounts file, a usage file that carries account fields on every row (account
    name, CSM, ARR...) also holds the accounts table: first row per account."""
    if any("accounts" in p.tables for p in plans.values()):
        return []
    for name, plan in plans.items():
        usage = plan.tables.get("usage")
        if usage is None or name not in frames:
            continue
        frame = frames[name]
        account_id = next((c for c, t in usage.columns.items() if t == "account_id"), None)
        usage_own = {c for c, t in usage.columns.items() if t in ("date", "metric", "value")}
        rest = [str(c) for c in frame.columns if c not in usage_own]
        suggested = suggest_mapping(rest, "accounts", frame=frame[rest])
        if account_id is None or suggested.get(account_id) != "account_id" or len(suggested) < 2:
            continue
        # in a wide file, the account fields are not metrics
        usage.columns = {
            c: t for c, t in usage.columns.items() if c == account_id or c not in suggested
        }
        plan.tables = {"accounts": TablePlan(columns=suggested), **plan.tables}
        fields = ", ".join(t for t in suggested.values() if t != "account_id")
        return [
            Problem.about_file(
                name,
                f"holds account fields ({fields}) on every usage row: read as the accounts "
                "table too (the first row of each account)",
                "Nothing to do; Rudder says so when an account's rows disagree.",
                "info",
            )
        ]
    return []


def plan_folder(
    folder: Path, files: list[Path], mapping: SavedMapping | None, *, guess: bool
) -> tuple[SavedMapping, list[Problem]]:
    """The plan for a folder's files: the mapping file's entries, then (with ``guess``) a
    guess for every other file. Files neither names are left to the folder's own rule (a
    file named after its table, exact column names)."""
    out = SavedMapping()
    notes: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    for f in files:
        if mapping is not None and f.name in mapping.files:
            out.files[f.name] = mapping.files[f.name]
        elif guess:
            plan, said, frame = guess_file(f.name, f.read_bytes())
            out.files[f.name] = plan
            frames[f.name] = frame
            notes += said
    if guess:
        notes += add_split(out.files, frames)
    names = {f.name for f in files}
    for name in mapping.files if mapping is not None else {}:
        if name not in names:
            notes.append(
                Problem.about_file(
                    name,
                    f"is named in the mapping but is not in {folder}",
                    "Check the file's name, or remove it from the mapping.",
                    "warning",
                )
            )
    return out, notes
