"""One entry point for a team's data: the demo book, a folder, uploaded files, or a SQL database.

Every path validates against :mod:`insight_engine.source.contract` and returns a :class:`Book` whose
``report`` lists every problem and every row set aside. A required table that cannot be used
raises :class:`DataLoadError` carrying the same report.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy as sa

from insight_engine import fmt
from insight_engine.book import cube
from insight_engine.book.book import Book
from insight_engine.book.book_key import (
    DEMO_KEY,
    folder_key,
    sql_key,
    sql_place,
    upload_key,
    upload_name,
)
from insight_engine.book.daily import DailyGrid
from insight_engine.book.rollup import rollup_arrays
from insight_engine.book.warehouse import WEEKLY, prepared_weekly, rollup_sql
from insight_engine.errors import DataLoadError, SourceUnavailableError
from insight_engine.paths import DEMO_DIR
from insight_engine.source.contract import (
    SOURCES,
    TABLES,
    derive_tier,
    guess_category,
    label_from_key,
)
from insight_engine.source.mapping import normalize, suggest_mapping
from insight_engine.source.mapping_file import (
    SavedMapping,
    has_header,
    numbered_header,
    plan_folder,
)
from insight_engine.source.problems import Problem, ValidationReport
from insight_engine.source.reader import (
    SUPPORTED_SUFFIXES,
    RawTable,
    check_upload,
    guess_table,
    read_raw,
)
from insight_engine.source.sources import Sources
from insight_engine.source.uploads import UploadedFile
from insight_engine.source.validation import (
    ROW_COLUMN,
    SOURCE_COLUMN,
    DateOrder,
    DateOrderError,
    validate_table,
    visible_text,
)

__all__ = [
    "DEFAULT_DEMO_DIR",
    "UploadedFile",
    "ensure_demo",
    "load_demo",
    "load_folder",
    "load_sql",
    "load_uploads",
    "write_sql",
]

DEFAULT_DEMO_DIR = DEMO_DIR
DEFAULT_WEEKS = 52
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")  # UTF-8, UTF-16 LE and BE byte-order marks


@dataclass
class _Usage:
    """Usage as parallel arrays; rows with account code -1 were rejected and are not counted."""

    account_codes: np.ndarray
    metric_codes: np.ndarray
    days: np.ndarray  # days since 1970-01-01
    values: np.ndarray
    metric_names: list[str] = field(default_factory=list)

    @property
    def last_day(self) -> int | None:
        """The last day with a kept row (days since 1970-01-01)."""
        kept = self.days[self.account_codes >= 0] if (self.account_codes < 0).any() else self.days
        return int(kept.max()) if len(kept) else None

    @property
    def first_day(self) -> int | None:
        """The first day with a kept row (days since 1970-01-01)."""
        kept = self.days[self.account_codes >= 0] if (self.account_codes < 0).any() else self.days
        return int(kept.min()) if len(kept) else None


# ---------------------------------------------------------------------------------------------
# Public entry points


def ensure_demo(
    directory: str | Path = DEFAULT_DEMO_DIR, *, accounts: int = 600, seed: int = 7
) -> Path:
    """Generate the bundled demo book into ``directory`` unless it is already there."""
    from insight_engine.source.demo import GENERATOR_VERSION, generate_demo, write_demo

    directory = Path(directory)
    manifest = directory / "book.json"
    if manifest.exists() and (directory / "usage.parquet").exists():
        try:
            if json.loads(manifest.read_text()).get("version") == GENERATOR_VERSION:
                return directory
        except ValueError:
            pass  # unreadable manifest: regenerate

    tmp = directory.with_name(directory.name + ".tmp")
    write_demo(generate_demo(accounts, seed), tmp)
    if directory.exists():
        import shutil

        shutil.rmtree(directory)
    tmp.rename(directory)
    return directory


def load_demo(
    *,
    as_of: str | pd.Timestamp | None = None,
    directory: str | Path = DEFAULT_DEMO_DIR,
    cache_dir: str | Path | None = None,
) -> Book:
    """The bundled demo book (generated on first use in about two seconds)."""
    book = load_folder(ensure_demo(directory), as_of=as_of, cache_dir=cache_dir)
    return replace(
        book, source="Demo book (a fictional market-intelligence platform)", key=DEMO_KEY
    )


def load_folder(
    path: str | Path,
    *,
    as_of: str | pd.Timestamp | None = None,
    date_order: DateOrder = "auto",
    weeks: int = DEFAULT_WEEKS,
    today: pd.Timestamp | None = None,
    mapping: SavedMapping | None = None,
    guess: bool = False,
    cache_dir: str | Path | None = None,
) -> Book:
    """Load a folder of contract files (CSV, TSV, Excel or Parquet named after the tables).

    Parameters
    ----------
    path : str or Path
        The folder.
    as_of : str or Timestamp, optional
        "Today" for every view; default: the last date in usage.
    date_order : {"auto", "day_first", "month_first"}
        How to read dates such as 03/04/2025 (``auto`` refuses to guess).
    weeks : int
        Weeks of history rolled up.
    today : Timestamp, optional
        Dates after it are set aside as "in the future" (default: the machine's date).
    mapping : SavedMapping, optional
        A saved mapping (:mod:`insight_engine.source.mapping_file`): the files it names are read as
        it says (tables, columns, values, date order, header), whatever their names.
    guess : bool
        Read every other file as the upload step suggests (its table from its name or its
        columns, columns from tools' export headers and their values).
    cache_dir : str or Path, optional
        Keep the loaded book here (:mod:`insight_engine.book.cube`) and read it back while the
        files are unchanged, instead of the daily rows. Not used with a mapping or ``guess``.

    Returns
    -------
    Book
    """
    folder = Path(path)
    if mapping is not None or guess:
        uploads, report = _planned_uploads(folder, mapping, guess=guess, date_order=date_order)
        book = _assemble(
            uploads, as_of=as_of, weeks=weeks, today=today, exact_only=True, report=report
        )
        return replace(book, source=f"Folder {folder}", key=folder_key(folder))
    if not folder.is_dir():
        raise SourceUnavailableError(
            f"The folder {folder} does not exist. Check the path, or use the demo book."
        )
    files: dict[str, Path] = {}
    report = ValidationReport()
    candidates = [
        f
        for f in sorted(folder.iterdir())
        if f.suffix.lower() in SUPPORTED_SUFFIXES and not f.name.startswith((".", "~$"))
    ]
    key = None
    if cache_dir is not None:
        key = cube.book_key(
            candidates,
            as_of=as_of,
            weeks=weeks,
            date_order=date_order,
            today=(today if today is not None else pd.Timestamp.today()).normalize(),
            folder=folder.resolve(),
        )
        cached = cube.read_book(Path(cache_dir), key)
        if cached is not None:
            return cached
    for f in candidates:
        stem = f.stem.lower()
        table = stem if stem in TABLES or stem in SOURCES else None  # events.jsonl, users.csv…
        if table is None:
            continue
        if table in files:
            report.add(
                Problem.about_file(
                    f.name,
                    f"is a second file for the {table} table (also {files[table].name})",
                    "Keep one file per table; Rudder read the first one.",
                )
            )
            continue
        files[table] = f
    # Every as-of date of unchanged files shares one read (#18): the files' fingerprints, without
    # the date, find the loaded data, and the book at this date is a cut of it.
    shared_key = cube.book_key(
        candidates,
        weeks=weeks,
        date_order=date_order,
        today=(today if today is not None else pd.Timestamp.today()).normalize(),
        folder=folder.resolve(),
    )
    loaded = _SHARED.get(shared_key)
    if loaded is None:
        uploads = [
            UploadedFile(f.name, _read_file(f), table=t, date_order=date_order)
            for t, f in files.items()
        ]
        loaded = _LoadRun(uploads, weeks=weeks, today=today, exact_only=True, report=report)
        loaded = loaded.run(as_of)
        _SHARED.put(shared_key, loaded)
    book = loaded.at(as_of)
    book = replace(book, source=f"Folder {folder}", key=folder_key(folder))
    if key is not None:
        cube.write_book(book, Path(cache_dir), key)
    return book


def _read_file(path: Path) -> bytes:
    """A folder's file, whole: the loader's one read of it (tests count the calls)."""
    return path.read_bytes()


class _Shared:
    """Loaded data kept for other as-of dates: the last few sources, bounded by grid cells."""

    def __init__(self, entries: int = 2, cells: int = 200_000_000) -> None:
        self.entries, self.cells = entries, cells
        self._items: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> _Loaded | None:
        with self._lock:
            loaded = self._items.pop(key, None)
            if loaded is not None:
                self._items[key] = loaded  # most recently used last
            return loaded

    def put(self, key: str, loaded: _Loaded) -> None:
        if not loaded.shareable:
            return
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = loaded
            while len(self._items) > self.entries or (
                len(self._items) > 1 and sum(v.cells for v in self._items.values()) > self.cells
            ):
                self._items.pop(next(iter(self._items)))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_SHARED = _Shared()


def folder_plan(
    path: str | Path, mapping: SavedMapping | None = None, *, guess: bool = False
) -> tuple[SavedMapping, ValidationReport]:
    """The mapping a folder is read with (the mapping file's entries, then the guesses), and
    the report lines that say what was guessed; what ``--guess`` prints."""
    folder = Path(path)
    if not folder.is_dir():
        raise SourceUnavailableError(
            f"The folder {folder} does not exist. Check the path, or use the demo book."
        )
    plan, notes = plan_folder(folder, _folder_files(folder), mapping, guess=guess)
    report = ValidationReport()
    for note in notes:
        report.add(note)
    return plan, report


def _folder_files(folder: Path) -> list[Path]:
    return [
        f
        for f in sorted(folder.iterdir())
        if f.is_file()
        and f.suffix.lower() in SUPPORTED_SUFFIXES
        and not f.name.startswith((".", "~$"))
    ]


def _planned_uploads(
    folder: Path, mapping: SavedMapping | None, *, guess: bool, date_order: DateOrder
) -> tuple[list[UploadedFile], ValidationReport]:
    """A folder's files as the loader takes them: as the plan says, and the files it does not
    name by the folder's own rule (named after the table, exact column names)."""
    plan, report = folder_plan(folder, mapping, guess=guess)
    files = _folder_files(folder)
    data = {f.name: _read_file(f) for f in files if f.name in plan.files}
    uploads = plan.uploads(data, date_order=date_order)
    for f in files:
        if f.name in plan.files:
            continue
        table = f.stem.lower() if f.stem.lower() in TABLES else None
        if table is None:
            report.add(
                Problem.about_file(
                    f.name,
                    "was not read: the mapping does not name it",
                    "Add it to the mapping file, or use --guess.",
                    "info",
                )
            )
            continue
        uploads.append(UploadedFile(f.name, _read_file(f), table=table, date_order=date_order))
    return uploads, report


def load_uploads(
    files: list[UploadedFile],
    *,
    name: str | None = None,
    as_of: str | pd.Timestamp | None = None,
    weeks: int = DEFAULT_WEEKS,
    today: pd.Timestamp | None = None,
    max_bytes: int | None = None,
) -> Book:
    """Load uploaded files; each names its table and (optionally) a confirmed column mapping.

    Each file is checked on the server first (size, content matching its name, no zip bomb);
    a refused file stops the load with a report that names it and says what to do.
    ``max_bytes`` is the size limit (the app passes its :class:`~insight_engine.config.Config`'s,
    read from the environment and secrets; default: the environment's).

    ``name`` is the book's name, which keys its insight log (:func:`~insight_engine.book.book_key.upload_key`):
    next week's upload under the same name keeps the log. Default: derived from the accounts
    file's name (:func:`~insight_engine.book.book_key.upload_name`).
    """
    report = ValidationReport()
    for f in files:
        f.table = f.table or guess_table(f.name)
        problem = check_upload(f.data, f.name, max_bytes=max_bytes)
        if problem is not None:
            report.add(problem)
    if report.errors:
        raise DataLoadError(
            "Rudder refused an uploaded file before reading it; see the report for what to do.",
            report,
        )
    book = _assemble(files, as_of=as_of, weeks=weeks, today=today, exact_only=False, report=report)
    return replace(
        book,
        source="Uploaded files: " + ", ".join(dict.fromkeys(f.name for f in files)),
        key=upload_key(name or upload_name([f.name for f in files], [f.table for f in files])),
    )


def load_sql(
    url: str,
    *,
    as_of: str | pd.Timestamp | None = None,
    weeks: int = DEFAULT_WEEKS,
    today: pd.Timestamp | None = None,
    engine: sa.Engine | None = None,
) -> Book:
    """Load from a SQL database whose tables follow the contract; usage is rolled up in the database.

    Parameters
    ----------
    url : str
        SQLAlchemy URL (``sqlite:///...``, ``postgresql+psycopg://...``).
    as_of : str or Timestamp, optional
        Default: the last date in the usage table.
    weeks : int
        Weeks rolled up.
    today : Timestamp, optional
        For the future-date check.
    engine : sqlalchemy.Engine, optional
        Reuse an engine instead of creating one from ``url``.

    Returns
    -------
    Book
        ``usage`` is None: the daily rows stay in the database.
    """
    engine = engine or source_engine(url)
    report = ValidationReport()
    present = _sql_tables(engine)
    frames = _read_sql_frames(engine, present)
    accounts, metrics = _core_tables(
        frames, report, today=today, file_of={k: f"table {k}" for k in frames}
    )
    prepared = _fresh_weekly(engine, present, accounts, as_of, weeks)
    if prepared is not None:
        metrics, bad_count, bad_rows, min_date, max_date = _sql_usage_from_weekly(
            engine, present, prepared, accounts, metrics, report, today
        )
    else:
        metrics, bad_count, bad_rows, min_date, max_date = _sql_usage_from_daily(
            engine, accounts, metrics, report, today
        )
    _report_sql_usage_problems(report, bad_count, bad_rows)
    first = pd.Timestamp(min_date) if min_date is not None else None
    last = pd.Timestamp(max_date) if max_date is not None else None
    as_of_ts = _as_of(as_of, last, first_date=first)
    weekly, n_rows = rollup_sql(
        engine,
        accounts=accounts,
        metrics=metrics,
        as_of=as_of_ts,
        weeks=weeks,
        usage_end=last,
        prepared=prepared,
    )
    report.counts["table usage"] = {"read": n_rows, "kept": n_rows - 0, "rejected": bad_count}
    book = _finish_book(
        frames,
        accounts,
        metrics,
        weekly,
        None,
        as_of_ts,
        report,
        today=today,
        file_of={k: f"table {k}" for k in frames},
        usage_dates=(first, last),
    )
    where = url if url else engine.url  # as given: the read-only engine's URL is SQLite's URI form
    return replace(book, source=f"Database {sql_place(where)}", key=sql_key(where))


def _sql_tables(engine: sa.Engine) -> set[str]:
    """The database's tables, once it is reachable and has the contract's required ones (the
    weekly table may stand in for the daily usage rows, checked later)."""
    try:
        present = set(sa.inspect(engine).get_table_names())
    except sa.exc.SQLAlchemyError as exc:
        raise SourceUnavailableError(
            f"Could not reach the database ({type(exc).__name__}). Check RUDDER_DATA_URL and that the server is running."
        ) from None
    missing = [t for t, spec in TABLES.items() if spec.required and t not in present]
    if missing == ["usage"] and WEEKLY in present:
        missing = []  # the weekly table stands in for the daily rows (checked below)
    if missing:
        raise DataLoadError(
            f"The database has no table(s) {', '.join(missing)}; Rudder needs accounts, metrics and usage."
        )
    return present


def _read_sql_frames(engine: sa.Engine, present: set[str]) -> dict[str, pd.DataFrame]:
    """Every contract table present but usage, whole, with normalised column names."""
    frames: dict[str, pd.DataFrame] = {}
    with engine.connect() as conn:
        for name in TABLES:  # the contract's few tables
            if name == "usage" or name not in present:
                continue
            raw = pd.read_sql_table(name, conn)
            raw.columns = [normalize(c) for c in raw.columns]
            frames[name] = raw
    return frames


def _fresh_weekly(
    engine: sa.Engine,
    present: set[str],
    accounts: pd.DataFrame,
    as_of: str | pd.Timestamp | None,
    weeks: int,
):
    """The weekly table (to-sql --weekly) when it is fresh and covers the as-of date and weeks:
    then no query reads the daily rows, but to list rejected rows the build counted. None
    otherwise; an error when there are no daily rows either."""
    prepared = prepared_weekly(engine, present, accounts)
    if prepared is not None and not prepared.covers(
        _as_of(as_of, prepared.max_date, first_date=prepared.min_date), weeks
    ):
        prepared = None
    if prepared is None and "usage" not in present:
        raise DataLoadError(
            "The database has a weekly usage table but no daily usage table, and the weekly one "
            "is stale or built for another as-of date or fewer weeks: rebuild it "
            "(python -m insight_engine to-sql --weekly --url URL) or add the usage table."
        )
    return prepared


def _sql_usage_from_weekly(
    engine: sa.Engine,
    present: set[str],
    prepared,
    accounts: pd.DataFrame,
    metrics: pd.DataFrame,
    report: ValidationReport,
    today: pd.Timestamp | None,
) -> tuple[pd.DataFrame, int, pd.DataFrame, object, object]:
    """The catalog extended with the weekly table's metrics, the usage rows with problems
    (count, listed rows) and the usage dates, from the weekly table's record."""
    names, min_date, max_date = prepared.metric_names, prepared.min_date, prepared.max_date
    metrics = _extend_catalog(metrics, names, report, "table usage")
    bad_count, bad_rows = prepared.rejected, pd.DataFrame()
    if bad_count and "usage" in present:
        usage_tbl = sa.Table("usage", sa.MetaData(), autoload_with=engine)
        with engine.connect() as conn:
            bad_count, bad_rows = _sql_usage_problems(conn, usage_tbl, accounts, today)
    return metrics, bad_count, bad_rows, min_date, max_date


def _sql_usage_from_daily(
    engine: sa.Engine,
    accounts: pd.DataFrame,
    metrics: pd.DataFrame,
    report: ValidationReport,
    today: pd.Timestamp | None,
) -> tuple[pd.DataFrame, int, pd.DataFrame, object, object]:
    """As :func:`_sql_usage_from_weekly`, queried from the daily usage table."""
    usage_tbl = sa.Table("usage", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        # The catalog covers every metric usage names (derived whole when there is none).
        names = conn.execute(sa.select(usage_tbl.c.metric).distinct()).scalars().all()
        metrics = _extend_catalog(
            metrics,
            sorted(str(n).strip() for n in names if n is not None),
            report,
            "table usage",
        )
        bad_count, bad_rows = _sql_usage_problems(conn, usage_tbl, accounts, today)
        limit = (today or pd.Timestamp.today()).normalize().date()
        min_date, max_date = conn.execute(
            sa.select(sa.func.min(usage_tbl.c.date), sa.func.max(usage_tbl.c.date)).where(
                usage_tbl.c.date <= limit
            )
        ).one()
    return metrics, bad_count, bad_rows, min_date, max_date


def _report_sql_usage_problems(
    report: ValidationReport, bad_count: int, bad_rows: pd.DataFrame
) -> None:
    """The usage rows with problems in the report: those listed, and how many more."""
    if bad_count:
        report.add_frame(bad_rows)
        report.rejected["table usage"] = bad_rows
        if bad_count > len(bad_rows):
            report.add(
                Problem.about_file(
                    "table usage",
                    f"{bad_count - len(bad_rows):,} more rows have problems",
                    "Query the usage table for negative values or unknown accounts to see them all.",
                )
            )


# How each contract kind is typed in a database written by write_sql; everything else is text.
_SQL_TYPES: dict[str, type[sa.types.TypeEngine]] = {"date": sa.Date, "number": sa.Float}


def write_sql(
    folder: str | Path,
    url_or_engine: str | sa.Engine,
    *,
    date_order: DateOrder = "auto",
    today: pd.Timestamp | None = None,
    chunk_rows: int = 200_000,
    mapping: SavedMapping | None = None,
    guess: bool = False,
) -> ValidationReport:
    """Copy a folder into a SQL database, read exactly as :func:`load_folder` reads it.

    Parameters
    ----------
    folder : str or Path
        A folder of contract files: CSV, TSV, Excel or Parquet, any encoding or delimiter,
        long or wide usage (whatever :func:`load_folder` accepts).
    url_or_engine : str or sqlalchemy.Engine
        The database; the contract's tables there are replaced.
    date_order : {"auto", "day_first", "month_first"}
        How to read dates such as 03/04/2025, as for :func:`load_folder`.
    today : Timestamp, optional
        Dates after it are set aside as "in the future" (default: the machine's date).
    chunk_rows : int
        Usage rows per ``COPY`` chunk or insert batch.
    mapping, guess
        As for :func:`load_folder`: a saved mapping, and guesses for the files it does not name.

    Returns
    -------
    ValidationReport
        The folder's report: every problem, and every row set aside (and so not copied).

    Raises
    ------
    DataLoadError, SourceUnavailableError
        When :func:`load_folder` would: the folder cannot be loaded.

    Notes
    -----
    The folder goes through :func:`load_folder` (one owner of how a folder's files are read,
    mapped, melted and validated), and the tables are written as the book holds them: the
    contract's column names, dates as dates, numbers as numbers, and the catalog Rudder used
    (with any metric it added because usage names it). Rows set aside are not copied. So
    :func:`load_sql` on the result gives the book :func:`load_folder` gives on the folder.
    The book keeps usage only by week, so the daily rows are read a second time, through the
    same usage reader. PostgreSQL gets ``COPY``; other databases batched inserts.
    """
    folder = Path(folder)
    book = load_folder(folder, date_order=date_order, today=today, mapping=mapping, guess=guess)
    if mapping is not None or guess:
        uploads, _ = _planned_uploads(folder, mapping, guess=guess, date_order=date_order)
        upload = next(u for u in uploads if u.table == "usage")
    else:
        path = _usage_file(folder)
        upload = UploadedFile(path.name, path.read_bytes(), table="usage", date_order=date_order)
    usage = _daily_usage(upload, book, today=today)
    engine = (
        url_or_engine if isinstance(url_or_engine, sa.Engine) else sa.create_engine(url_or_engine)
    )
    # accounts, the catalog (the book always has one, if need be derived from usage), and the
    # optional tables the folder provided (an empty one too: "provided, no rows" is kept).
    written = [t for t in TABLES if t in ("accounts", "metrics") or (t != "usage" and book.has(t))]
    with engine.begin() as conn:
        for name in TABLES:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        for name in written:
            frame, types = _contract_frame(name, getattr(book, name))
            frame.to_sql(name, conn, index=False, dtype=types, chunksize=chunk_rows)
    _write_usage(engine, usage, chunk_rows=chunk_rows)
    return book.report


def _usage_file(folder: Path) -> Path:
    """The file :func:`load_folder` reads as usage: the first, by name, named after the table."""
    found = [
        f
        for f in folder.iterdir()
        if f.stem.lower() == "usage" and f.suffix.lower() in SUPPORTED_SUFFIXES
    ]
    if not found:  # usage rolled up from an event log: no daily rows to copy (yet)
        raise DataLoadError(
            f"{folder} has no usage file (its usage comes from an event log), and to-sql copies "
            "daily usage rows. Load the folder with load/rank --data, or export usage as a file."
        )
    return min(found)


def _daily_usage(upload: UploadedFile, book: Book, *, today: pd.Timestamp | None) -> pa.Table:
    """The usage rows a folder's book kept, by day, as an Arrow table with the contract's
    columns (ids and metric names dictionary-encoded on the book's accounts and catalog)."""
    # The book's own catalog already names every metric usage uses: nothing is added twice.
    usage, metrics = _load_usage(
        upload, book.accounts, book.metrics, ValidationReport(), today=today, exact_only=True
    )
    keep = (usage.account_codes >= 0) & (usage.metric_codes >= 0)

    def names(codes: np.ndarray, values: pd.Series) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(
            pa.array(codes[keep].astype(np.int32)), pa.array(values.astype(str).to_numpy())
        )

    return pa.table(
        {
            "account_id": names(usage.account_codes, book.accounts["account_id"]),
            "date": pa.array(usage.days[keep].astype(np.int32)).cast(pa.date32()),
            "metric": names(usage.metric_codes, metrics["metric"]),
            "value": pa.array(usage.values[keep], type=pa.float64()),
        }
    )


def _contract_frame(table: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """A validated table as a database holds it: the contract's columns, each with its SQL
    type; choices the book holds as booleans (``higher_is_better``) in the contract's words."""
    spec = TABLES[table]
    out = frame.reindex(columns=list(spec.column_names))
    for c in spec.columns:
        if c.kind == "choice" and pd.api.types.is_bool_dtype(out[c.name]):
            out[c.name] = out[c.name].astype("string").str.lower()
    return out, {c.name: _SQL_TYPES.get(c.kind, sa.Text)() for c in spec.columns}


# ---------------------------------------------------------------------------------------------
# Assembly


def source_engine(url: str) -> sa.Engine:
    """An engine that only reads the team's data: a SQLite file must exist and is opened read-only.

    A SQLite URL naming a file that is not there would otherwise create an empty database
    wherever the server may write; Rudder refuses it and says which file it looked for.
    """
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise SourceUnavailableError(
            "That database URL could not be read; write it as dialect://user@host/database "
            "(for example postgresql+psycopg://rudder@db.example.com/cs or sqlite:////data/book.db)."
        ) from None
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise SourceUnavailableError(
            "A SQLite source must name a database file, e.g. sqlite:////data/book.db."
        )
    path = Path(database).expanduser()
    if not path.is_file():
        raise SourceUnavailableError(
            f"There is no SQLite file at {path}. Check the path in the URL; Rudder opens an "
            "existing file read-only and never creates one."
        )
    # SQLite's URI form (see SQLAlchemy's pysqlite docs): mode=ro fails on a write.
    uri = f"sqlite:///file:{quote(path.resolve().as_posix())}?mode=ro&uri=true"
    return sa.create_engine(uri, pool_pre_ping=True)


def _as_of(
    as_of: str | pd.Timestamp | None,
    last_date: pd.Timestamp | None,
    report: ValidationReport | None = None,
    usage_file: str = "usage",
    first_date: pd.Timestamp | None = None,
) -> pd.Timestamp:
    """The book's "today": the date asked for, else the last usage date.

    A date before the first usage row is refused here (there is nothing to see); one after the
    last date of any table is refused by :func:`_finish_book`, once those dates are known.
    Either way the message gives the range, and no date outside it costs a full recompute.
    """
    if as_of is not None and str(as_of) != "":
        try:
            asked = pd.Timestamp(as_of).normalize()
        except (ValueError, TypeError):
            raise DataLoadError(
                f"The as-of date {as_of!r} is not a date; use YYYY-MM-DD."
            ) from None
        if pd.isna(asked):
            raise DataLoadError(f"The as-of date {as_of!r} is not a date; use YYYY-MM-DD.")
        if first_date is not None and not pd.isna(first_date) and asked < first_date.normalize():
            raise _outside_range(asked, first_date, last_date)
        return asked
    if last_date is None or pd.isna(last_date):
        raise DataLoadError(_no_usage_reason(report, usage_file), report)
    return pd.Timestamp(last_date).normalize()


def _outside_range(
    asked: pd.Timestamp, first: pd.Timestamp | None, last: pd.Timestamp | None
) -> DataLoadError:
    known = [d for d in (first, last) if d is not None and not pd.isna(d)]
    span = " to ".join(fmt.day(d) for d in known) if known else "no dates"
    return DataLoadError(
        f"The as-of date {fmt.day(asked)} is outside this book's data ({span}). Choose a "
        "date in that range, or leave it blank for the last date with usage."
    )


def _no_usage_reason(report: ValidationReport | None, file: str) -> str:
    """Why no usage row is left, in the words of the report: the commonest reason rows were set
    aside (e.g. column 'date' is not a date), never just "no dated rows"."""
    counts = (report.counts.get(file) if report else None) or {}
    frame = report.to_frame() if report else pd.DataFrame()
    errors = (
        frame.loc[(frame["file"] == file) & (frame["severity"] == "error")] if len(frame) else frame
    )
    if not counts.get("read"):
        return f"{file} has no data rows, so there is no 'this week'. Export usage again with its rows."
    if errors.empty:
        return (
            f"None of the {counts['read']:,} rows of {file} has a usable date, so there is no "
            "'this week'. Check the date column, or set an as-of date."
        )
    top = errors.groupby(["column", "problem"], dropna=False).size().sort_values().index[-1]
    same_column = (
        errors["column"].isna() if pd.isna(top[0]) else errors["column"].eq(top[0]).fillna(False)
    )
    first = errors.loc[same_column & (errors["problem"] == top[1])].iloc[0]
    if pd.isna(top[0]):  # a problem of the whole file (no account column at all): its fix
        return (
            f"No usage row could be used: all {counts['read']:,} rows of {file} were set aside, "
            f"most because the file {top[1]}. {first['fix']}"
        )
    return (
        f"No usage row could be used: all {counts['read']:,} rows of {file} were set aside, "
        f"most because column '{top[0]}' {top[1]} (e.g. row {first['row']}: {first['value']!r}). "
        "Fix that column (or map another one to it in the upload step) and load again; "
        "the report lists every row."
    )


def _apply_mapping(
    raw: RawTable,
    table: str,
    mapping: Mapping[str, str] | None,
    exact_only: bool,
    values: Mapping[str, Mapping[str, str]] | None = None,
    constants: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    frame = raw.frame
    chosen = mapping is not None
    if mapping is None:
        mapping = suggest_mapping([str(c) for c in frame.columns], table, exact_only=exact_only)
    # A column the user mapped onto an existing name wins; the unmapped original is left out,
    # so the table never ends up with two columns of one name.
    targets = set(mapping.values())
    frame = frame[[c for c in frame.columns if c in mapping or c not in targets]]
    renamed = frame.rename(columns=dict(mapping))
    keep = [
        c
        for c in renamed.columns
        if c in TABLES[table].column_names or c in (ROW_COLUMN, SOURCE_COLUMN)
    ]
    if table == "usage" and chosen:
        # a mapping names every column usage takes (a wide file's metric columns too): the
        # rest of the file (account fields in a file that also holds accounts) is left out
        keep = [
            c for c in renamed.columns if c in set(mapping.values()) | {ROW_COLUMN, SOURCE_COLUMN}
        ]
    renamed = renamed[keep] if table != "usage" or chosen else renamed
    for column, value in (constants or {}).items():
        if column not in renamed.columns:
            renamed = renamed.assign(**{column: value})
    # The user's own values for choice columns (matched as typed, outer spaces ignored), before
    # validation, so the validator sees Rudder's choice; "" means blank.
    for column, lookup in (values or {}).items():
        if column not in renamed.columns or not lookup:
            continue
        wanted = {str(k).strip(): v for k, v in lookup.items()}
        typed = renamed[column].astype("string").str.strip()
        hit = typed.isin(list(wanted)).fillna(False).astype(bool)
        if hit.any():
            renamed = renamed.copy()
            mapped = typed[hit].map(wanted).replace("", pd.NA)
            renamed[column] = renamed[column].astype("string").mask(hit, mapped)
    return renamed


def _read(upload: UploadedFile, report: ValidationReport) -> RawTable | None:
    header = upload.header if upload.header is not None else has_header(upload.data, upload.name)
    if header:
        raw = read_raw(upload.data, upload.name)
    else:
        # no header row: the columns are "column 1", "column 2", ... and rows count from 1
        raw = read_raw(numbered_header(upload.data, upload.name), upload.name)
        raw.row_offset -= 1
        if upload.header is None:
            report.add(
                Problem.about_file(
                    upload.name,
                    "has no header row (its first row is data); its columns are named "
                    "column 1, column 2, …",
                    "Map them in the upload step or the mapping file, or add a header row.",
                    "info",
                )
            )
    for note in raw.notes:
        report.add(note)
    if raw.fatal:
        report.add(raw.fatal)
        return None
    return raw


def _validate(
    raw: RawTable,
    table: str,
    frame: pd.DataFrame,
    report: ValidationReport,
    *,
    date_order: DateOrder,
    known: pd.Index | None,
    today: pd.Timestamp | None,
) -> pd.DataFrame | None:
    try:
        result = validate_table(
            TABLES[table],
            frame,
            found=[str(c) for c in raw.frame.columns if c not in (ROW_COLUMN, SOURCE_COLUMN)],
            file=raw.file,
            row_offset=raw.row_offset,
            date_order=date_order,
            decimal_comma=raw.decimal_comma,
            known_accounts=known,
            today=today,
        )
    except DateOrderError as exc:
        hint = (
            "Dates in one column must all use one order; fix the rows that differ."
            if exc.mixed
            else "Choose the date order for this file (day first or month first) in the upload step, "
            "or write dates as YYYY-MM-DD."
        )
        report.add(
            Problem(
                raw.file,
                None,
                exc.column,
                ", ".join(exc.examples[:3]),
                str(exc).split(", e.g.")[0].replace(f"column '{exc.column}' ", ""),
                hint,
            )
        )
        return None
    report.extend(result.report)
    return None if result.fatal else result.frame


def _validate_table(
    table: str,
    frames: dict[str, pd.DataFrame],
    report: ValidationReport,
    *,
    raws: dict[str, RawTable] | None,
    file_of: dict[str, str],
    date_orders: dict[str, DateOrder] | None,
    known: pd.Index | None,
    today: pd.Timestamp | None,
) -> pd.DataFrame | None:
    """Validate one mapped table, whether it came from a file (``raws``) or a database table."""
    raw = raws[table] if raws else RawTable(file_of[table], frames[table], row_offset=1)
    return _validate(
        raw,
        table,
        frames[table],
        report,
        date_order=(date_orders or {}).get(table, "auto"),
        known=known,
        today=today,
    )


def _core_tables(
    frames: dict[str, pd.DataFrame],
    report: ValidationReport,
    *,
    today: pd.Timestamp | None,
    file_of: dict[str, str],
    raws: dict[str, RawTable] | None = None,
    date_orders: dict[str, DateOrder] | None = None,
    complete=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = {}
    for table in ("accounts", "metrics"):
        if table not in frames:
            if table == "metrics":  # optional: derived from usage's metric names later
                out[table] = TABLES["metrics"].empty()
                continue
            report.add(
                Problem.about_file(
                    f"{table} file",
                    f"the required {table} table is missing",
                    f"Add a file named {table}.csv (see the data contract in the README).",
                )
            )
            raise DataLoadError(f"Rudder needs an {table} table; none was found.", report)
        validated = _validate_table(
            table,
            frames,
            report,
            raws=raws,
            file_of=file_of,
            date_orders=date_orders,
            known=None,
            today=today,
        )
        if validated is None or validated.empty:
            raise DataLoadError(
                f"The {table} table could not be used; see the report for what to fix.", report
            )
        out[table] = validated
    # ``complete``: what other sources add to the validated accounts (billing's ARR, seats, dates)
    given = complete(out["accounts"]) if complete is not None else out["accounts"]
    accounts = _complete_accounts(given, report, file_of.get("accounts", "accounts"))
    metrics = out["metrics"]
    metrics["label"] = metrics["label"].fillna(metrics["metric"].map(label_from_key))
    metrics["unit"] = metrics["unit"].fillna("")
    metrics["higher_is_better"] = metrics["higher_is_better"].fillna("true").eq("true")
    return accounts.reset_index(drop=True), metrics.reset_index(drop=True)


# An account field left empty, what Rudder does without it, and how to have it.
_BLANK_ACCOUNT_FIELDS = {
    "arr": ("ARR is unknown there (no ARR in reasons or wins)", "Fill in ARR to see it."),
    "licensed_seats": (
        "seats are unknown, so seat-based signals are off there",
        "Fill in the seats the customer pays for.",
    ),
    "contract_start": (
        "the start is unknown, so history starts at the first usage row",
        "Fill in the contract start to measure onboarding.",
    ),
    "renewal_date": (
        "the renewal date is unknown, so renewal-based signals are off there",
        "Fill in the renewal date to see renewals coming.",
    ),
}


def _complete_accounts(accounts: pd.DataFrame, report: ValidationReport, file: str) -> pd.DataFrame:
    """Fill what a team's accounts may not say: tier from ARR; seats 0 read as unknown."""
    zero_seats = accounts["licensed_seats"].eq(0).fillna(False)
    if zero_seats.any():
        report.add(
            Problem(
                file,
                None,
                "licensed_seats",
                "0",
                f"is 0 for {int(zero_seats.sum()):,} account(s) "
                f"(e.g. {', '.join(accounts.loc[zero_seats, 'account_id'].head(3))}); "
                "read as unknown, so seat-based signals are off for them",
                "Fill in the seats the customer pays for to compare active users with them.",
                "warning",
            )
        )
        accounts["licensed_seats"] = accounts["licensed_seats"].mask(zero_seats)
    for column, (unknown, fix) in _BLANK_ACCOUNT_FIELDS.items():
        blank = accounts[column].isna() & ~zero_seats if column == "licensed_seats" else None
        blank = accounts[column].isna() if blank is None else blank
        if blank.any():
            report.add(
                Problem(
                    file,
                    None,
                    column,
                    None,
                    f"is empty for {int(blank.sum()):,} of {len(accounts):,} account(s) "
                    f"(e.g. {', '.join(accounts.loc[blank, 'account_id'].head(3))}): {unknown}",
                    fix,
                    "info",
                )
            )
    tier_missing = accounts["tier"].isna()
    if tier_missing.any():
        accounts.loc[tier_missing, "tier"] = derive_tier(accounts.loc[tier_missing, "arr"])
        from_arr = tier_missing & accounts["arr"].notna()
        if from_arr.any():
            report.add(
                Problem(
                    file,
                    None,
                    "tier",
                    None,
                    f"is empty for {int(from_arr.sum()):,} account(s) "
                    f"(e.g. {', '.join(accounts.loc[from_arr, 'account_id'].head(3))}); their "
                    "tier comes from ARR (Enterprise above $50k, Growth from $10k, else Starter)",
                    "Fill in the tier where yours differs.",
                    "info",
                )
            )
        guessed = tier_missing & accounts["arr"].isna()
        if guessed.any():
            report.add(
                Problem(
                    file,
                    None,
                    "tier",
                    None,
                    f"{int(guessed.sum()):,} account(s) have neither a tier nor ARR "
                    f"(e.g. {', '.join(accounts.loc[guessed, 'account_id'].head(3))}); "
                    "they are compared with Starter accounts",
                    "Fill in ARR or the tier (Enterprise, Growth or Starter).",
                    "warning",
                )
            )
    return accounts


def _assemble(
    files: list[UploadedFile],
    *,
    as_of,
    weeks: int,
    today: pd.Timestamp | None,
    exact_only: bool,
    report: ValidationReport,
) -> Book:
    run = _LoadRun(files, weeks=weeks, today=today, exact_only=exact_only, report=report)
    return run.run(as_of).at(as_of)


@dataclass
class _Loaded:
    """A set of files read, validated and summed per day: everything but the as-of date.

    :meth:`at` cuts the book at a date from it; with no tool exports (events, users,
    subscriptions, which read the date themselves) it serves every date of unchanged files.
    """

    accounts: pd.DataFrame
    metrics: pd.DataFrame
    optional: dict[str, pd.DataFrame]
    provided: frozenset[str]
    file_of: dict[str, str]
    report: ValidationReport
    usage: DailyGrid | _Usage
    usage_name: str
    usage_dates: tuple[pd.Timestamp | None, pd.Timestamp | None]
    weeks: int
    sources: Sources | None = None  # tool exports: the book is for one date only

    @property
    def shareable(self) -> bool:
        return self.sources is None

    @property
    def cells(self) -> int:
        if isinstance(self.usage, DailyGrid):
            return int(np.prod(self.usage.shape))
        return len(self.usage.values)

    def at(self, as_of) -> Book:
        """The book as of ``as_of`` (None: the last usage date): the weeks cut from the daily
        sums, the date checks, and a report of its own."""
        report = _copy_report(self.report) if self.shareable else self.report
        first_date, last_date = self.usage_dates
        as_of_ts = _as_of(as_of, last_date, report, self.usage_name, first_date)
        as_of_days = int((as_of_ts - pd.Timestamp(0)).days)
        usage = self.usage
        if self.sources is not None:  # weekly active users: distinct users in these weeks
            usage = _with_rows(usage, self.sources.weekly_active(as_of_days, self.weeks))
        if isinstance(usage, DailyGrid):
            weekly = usage.weekly(
                accounts=self.accounts,
                metrics=self.metrics,
                as_of=as_of_ts,
                weeks=self.weeks,
                usage_end=last_date,
            )
        else:
            weekly = rollup_arrays(
                usage.account_codes,
                usage.metric_codes,
                # in place when the rows serve this date only: 30 million rows are 120 MB a copy
                np.subtract(as_of_days, usage.days, out=None if self.shareable else usage.days),
                usage.values,
                accounts=self.accounts,
                metrics=self.metrics,
                as_of=as_of_ts,
                weeks=self.weeks,
                usage_end=last_date,
            )
        # Frames of their own (pandas copies on write: nothing is copied until one changes)
        own = (lambda f: f.copy(deep=False)) if self.shareable else (lambda f: f)
        book = _book_at(
            own(self.accounts),
            own(self.metrics),
            {t: own(f) for t, f in self.optional.items()},
            self.provided,
            weekly,
            as_of_ts,
            report,
            file_of=self.file_of,
            usage_dates=self.usage_dates,
        )
        if self.sources is not None:
            self.sources.finish(book.report)
        return book


def _copy_report(report: ValidationReport) -> ValidationReport:
    """A report of its own for each date (the dated warnings differ), sharing the frames."""
    return ValidationReport(
        frames=list(report.frames),
        rejected=dict(report.rejected),
        counts={k: dict(v) for k, v in report.counts.items()},
    )


class _LoadRun:
    """One load of a set of files: it owns the report and the tool exports (sources) while the
    tables are read and validated and usage is summed per day; :meth:`run` gives the result."""

    def __init__(
        self,
        files: list[UploadedFile],
        *,
        weeks: int,
        today: pd.Timestamp | None,
        exact_only: bool,
        report: ValidationReport,
    ) -> None:
        self.files, self.weeks, self.today = files, weeks, today
        self.exact_only, self.report = exact_only, report

    def _by_table(self) -> dict[str, UploadedFile]:
        by_table: dict[str, UploadedFile] = {}
        for f in self.files:
            if not f.table or (f.table not in TABLES and f.table not in SOURCES):
                self.report.add(
                    Problem.about_file(
                        f.name,
                        "does not match any Rudder table",
                        f"Name it after a table ({', '.join(TABLES)}) or choose its table in the upload step.",
                    )
                )
                continue
            if f.table in by_table:
                self.report.add(
                    Problem.about_file(
                        f.name,
                        f"is a second file for the {f.table} table (also {by_table[f.table].name})",
                        "Combine them into one file, or choose another table for this one; Rudder read the first.",
                    )
                )
                continue
            by_table[f.table] = f
        return by_table

    def run(self, as_of) -> _Loaded:
        """Read, validate and sum usage per day. ``as_of`` matters only to tool exports (a
        subscription canceled by then does not count); without them the result serves any date."""
        report, today = self.report, self.today
        by_table = self._by_table()
        raws: dict[str, RawTable] = {}
        frames: dict[str, pd.DataFrame] = {}
        shared: dict[str, int] = {}  # one export holding several tables (accounts on usage rows)
        for f in by_table.values():
            shared[f.name] = shared.get(f.name, 0) + 1
        usage_upload = by_table.pop("usage", None)
        # Exports as the tools write them (events, users, subscriptions): insight_engine.source.sources.
        sources = Sources(
            {t: by_table.pop(t) for t in list(by_table) if t in SOURCES},
            report,
            today=today,
            as_of=pd.Timestamp(as_of) if as_of is not None and str(as_of) != "" else None,
        )
        for table, f in by_table.items():
            raw = _read(f, report)
            if raw is None:
                if TABLES[table].required:
                    raise DataLoadError(
                        f"{f.name} could not be read; see the report for what to fix.", report
                    )
                continue
            raws[table] = raw
            frames[table] = _apply_mapping(
                raw, table, f.mapping, self.exact_only, f.values, f.constants
            )
            if table == "accounts" and shared.get(f.name, 0) > 1:
                frames[table] = _first_row_per_account(frames[table], f.name, report)
        file_of = {t: by_table[t].name for t in frames}
        date_orders = {t: f.date_order for t, f in by_table.items()}
        accounts, metrics = _core_tables(
            frames,
            report,
            today=today,
            file_of=file_of,
            raws=raws,
            date_orders=date_orders,
            complete=sources.complete_accounts,
        )
        if usage_upload is None and "events" not in sources.uploads:
            report.add(
                Problem.about_file(
                    "usage file",
                    "the required usage table is missing",
                    "Add usage.csv or usage.parquet (account_id, date, metric, value), "
                    "or an event log (events.jsonl, events.csv or events.parquet).",
                )
            )
            raise DataLoadError("Rudder needs a usage table; none was found.", report)
        events = "events" in sources.uploads
        usage: DailyGrid | _Usage
        if usage_upload is not None:
            usage, metrics = _load_usage(
                usage_upload,
                accounts,
                metrics,
                report,
                today=today,
                exact_only=self.exact_only,
                sources=sources,
                by_day=not events,  # event rows are added to the rows below
            )
        else:
            usage = _Usage(*(np.empty(0, dtype=t) for t in (np.int32, np.int32, np.int64, float)))
        if events:
            event_rows, metrics = sources.event_usage(accounts, metrics)
            usage = _with_rows(usage, event_rows)
        if isinstance(usage, DailyGrid):
            last_day, first_day = usage.last_day, usage.first_day_with_rows
        else:
            last_day, first_day = usage.last_day, usage.first_day
        last_date = pd.Timestamp(last_day, unit="D") if last_day is not None else None
        first_date = pd.Timestamp(first_day, unit="D") if first_day is not None else None
        usage_name = (
            usage_upload.name if usage_upload is not None else sources.uploads["events"].name
        )
        sources.join_frames(frames, raws)  # tickets and surveys keyed by a second key
        optional = _optional_tables(
            frames,
            accounts,
            report,
            today=today,
            file_of=file_of,
            raws=raws,
            date_orders=date_orders,
        )
        return _Loaded(
            accounts=accounts,
            metrics=metrics,
            optional=optional,
            provided=_provided(frames, optional),
            file_of=file_of,
            report=report,
            usage=usage,
            usage_name=usage_name,
            usage_dates=(first_date, last_date),
            weeks=self.weeks,
            sources=sources if sources.uploads else None,
        )


def _with_rows(usage: _Usage, rows: tuple[np.ndarray, ...] | None) -> _Usage:
    """Usage with more rows (account codes, metric codes, days, values) appended."""
    if rows is None or not len(rows[0]):
        return usage
    parts = zip(
        (usage.account_codes, usage.metric_codes, usage.days, usage.values), rows, strict=True
    )
    a, m, d, v = (np.concatenate([old, new.astype(old.dtype)]) for old, new in parts)
    return _Usage(a, m, d, v)


def _optional_tables(
    frames, accounts, report, *, today, file_of, raws=None, date_orders=None
) -> dict[str, pd.DataFrame]:
    """The optional tables validated (empty, with the contract's columns, when not given)."""
    known = pd.Index(accounts["account_id"])
    optional: dict[str, pd.DataFrame] = {}
    for table, spec in TABLES.items():
        if spec.required or table == "metrics":
            continue
        if table in frames:
            validated = _validate_table(
                table,
                frames,
                report,
                raws=raws,
                file_of=file_of,
                date_orders=date_orders,
                known=known,
                today=today,
            )
            if validated is not None:
                optional[table] = validated
        if table not in optional:
            optional[table] = TABLES[table].empty()
    return optional


def _provided(frames, optional) -> frozenset[str]:
    return frozenset(t for t in frames if t in optional or TABLES[t].required or t == "metrics")


def _book_at(
    accounts,
    metrics,
    optional,
    provided,
    weekly,
    as_of_ts,
    report,
    *,
    file_of,
    usage_dates=(None, None),
) -> Book:
    """The book at a date: refused after every date in the data; rows after it said."""
    first, last = usage_dates
    ends = [last] + [
        frame[column].max()
        for table, frame in optional.items()
        for column in TABLES[table].date_columns_not_future
        if len(frame)
    ]
    ends = [pd.Timestamp(d).normalize() for d in ends if d is not None and not pd.isna(d)]
    data_end = max(ends) if ends else None
    if data_end is not None and as_of_ts > data_end:
        # after every date in the data every week would read as a collapse to zero
        raise _outside_range(as_of_ts, first, data_end)
    later = _after_as_of(optional, as_of_ts, report, file_of)
    return Book(
        accounts=accounts,
        metrics=metrics,
        weekly=weekly,
        as_of=as_of_ts,
        usage=None,  # the weekly cube carries everything the views need: daily rows not kept
        report=report,
        provided=provided,
        later=later,
        date_range=(first, data_end),
        **optional,
    )


def _finish_book(
    frames,
    accounts,
    metrics,
    weekly,
    daily,
    as_of_ts,
    report,
    *,
    today,
    file_of,
    raws=None,
    date_orders=None,
    usage_dates=(None, None),
) -> Book:
    optional = _optional_tables(
        frames,
        accounts,
        report,
        today=today,
        file_of=file_of,
        raws=raws,
        date_orders=date_orders,
    )
    book = _book_at(
        accounts,
        metrics,
        optional,
        _provided(frames, optional),
        weekly,
        as_of_ts,
        report,
        file_of=file_of,
        usage_dates=usage_dates,
    )
    return replace(book, usage=daily)


def _after_as_of(
    tables: Mapping[str, pd.DataFrame],
    as_of: pd.Timestamp,
    report: ValidationReport,
    file_of: Mapping[str, str],
) -> dict[str, pd.Timestamp]:
    """Rows dated after the as-of date are out of this week's view: never silently.

    Each table with such rows gets a warning that counts them and names the date that would
    bring them into view; the same is returned (table -> latest date) for the app's sidebar
    and the command line.
    """
    later: dict[str, pd.Timestamp] = {}
    for table, frame in tables.items():
        for column in TABLES[table].date_columns_not_future:
            after = frame[column] > as_of
            if not after.any():
                continue
            latest = frame.loc[after, column].max()
            later[table] = latest
            report.add(
                Problem(
                    file_of.get(table, table),
                    None,
                    column,
                    None,
                    f"{fmt.plural(int(after.sum()), 'row')} "
                    f"{'is' if int(after.sum()) == 1 else 'are'} dated after the as-of date "
                    f"{as_of:%Y-%m-%d}, up to {latest:%Y-%m-%d}, so this week's view leaves "
                    "them out",
                    f"Set the as-of date to {latest:%Y-%m-%d} (sidebar, or --as-of) to include "
                    "them; by default the as-of date is the last day of usage.",
                    "warning",
                )
            )
    return later


# ---------------------------------------------------------------------------------------------
# Usage: a typed fast path (Parquet, clean CSV) and the string path for everything else


def _load_usage(
    upload: UploadedFile,
    accounts: pd.DataFrame,
    metrics: pd.DataFrame,
    report: ValidationReport,
    *,
    today: pd.Timestamp | None,
    exact_only: bool,
    sources: Sources | None = None,
    by_day: bool = False,
) -> tuple[_Usage | DailyGrid, pd.DataFrame]:
    """Usage as rows, or (``by_day``) summed per account, day and metric when that is smaller.

    A Parquet file is then streamed one record batch at a time into the daily sums: its rows
    are never all in memory (:func:`_stream_usage`).
    """
    suffix = Path(upload.name).suffix.lower()
    table: pa.Table | None = None
    if upload.mapping is None:
        if by_day and suffix in (".parquet", ".pq"):
            try:
                streamed = _stream_usage(
                    pa.BufferReader(upload.data),
                    upload.name,
                    accounts,
                    metrics,
                    report,
                    today=today,
                )
            except (pa.ArrowException, OSError, ValueError):
                streamed = None  # read again below: the problem is reported there
            if streamed is not None:
                return streamed
        if suffix in (".parquet", ".pq"):
            try:
                table = read_usage_parquet(pa.BufferReader(upload.data))
            except Exception:
                table = None  # read_raw below turns it into a clear problem
        elif suffix == ".csv" and not upload.data.startswith(_BOMS):
            # Plain UTF-8 only: any other encoding goes through read_raw, which detects it.
            try:
                table = pacsv.read_csv(
                    pa.BufferReader(upload.data),
                    convert_options=pacsv.ConvertOptions(
                        column_types={"value": pa.float64(), "date": pa.date32()},
                        strings_can_be_null=True,
                    ),
                )
                table.column_names  # noqa: B018 - names are decoded lazily: fail here, not later
            except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
                table = None
        if table is not None:
            names = [normalize(n) for n in table.column_names]
            if (
                {"account_id", "date", "metric", "value"} <= set(names)
                and len(set(names)) == len(names)
                and not set(names) & _SECOND_KEYS  # joined on the string path
            ):
                table = table.rename_columns(names)
                # CSV rows with problems are re-read as text so the report quotes the cell as typed.
                fast = _usage_from_arrow(
                    table,
                    upload.name,
                    accounts,
                    metrics,
                    report,
                    today=today,
                    row_offset=1 if suffix != ".csv" else 2,
                    clean_only=suffix == ".csv",
                )
                if fast is not None:
                    # The Arrow table is gone; hand its memory back rather than keep it pooled
                    # through the rollup (about 600 MB for a 30-million-row file).
                    del table
                    pa.default_memory_pool().release_unused()
                    return (_by_day(*fast, len(accounts)) if by_day else fast[0]), fast[1]
    raw = _read(upload, report)
    if raw is None:
        raise DataLoadError(
            f"{upload.name} could not be read; see the report for what to fix.", report
        )
    frame = _apply_mapping(raw, "usage", upload.mapping, exact_only, constants=upload.constants)
    frame = _melt_wide(frame, raw, report)
    if sources is not None:  # rows keyed by a subscription, a user or an email
        frame = sources.join(frame, raw.file, raw.row_offset)
    metrics = _extend_catalog(
        metrics,
        frame["metric"].astype("string").str.strip().dropna().unique() if "metric" in frame else [],
        report,
        upload.name,
    )
    validated = _validate(
        raw,
        "usage",
        frame,
        report,
        date_order=upload.date_order,
        known=pd.Index(accounts["account_id"]),
        today=today,
    )
    if validated is None:
        raise DataLoadError(
            f"{upload.name} could not be used; see the report for what to fix.", report
        )
    a = pd.Index(accounts["account_id"]).get_indexer(validated["account_id"])
    m = pd.Index(metrics["metric"]).get_indexer(validated["metric"])
    days = validated["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    rows = _Usage(a, m, days, validated["value"].to_numpy(dtype=float))
    return (_by_day(rows, metrics, len(accounts)) if by_day else rows), metrics


def _by_day(usage: _Usage, metrics: pd.DataFrame, accounts: int) -> _Usage | DailyGrid:
    """Rows summed per account, day and metric, when the grid is no bigger than the rows."""
    keep = (usage.account_codes >= 0) & (usage.metric_codes >= 0)
    if not keep.any():
        return usage
    days = usage.days[keep]
    first, last = int(days.min()), int(days.max())
    if not DailyGrid.fits(accounts, len(metrics), first, last, int(keep.sum())):
        return usage
    grid = DailyGrid(accounts, len(metrics), first, last)
    grid.add(usage.account_codes[keep], usage.metric_codes[keep], days, usage.values[keep])
    return grid


def _first_row_per_account(
    frame: pd.DataFrame, file: str, report: ValidationReport
) -> pd.DataFrame:
    """Accounts from an export that repeats them on every usage row: the first row of each
    account, and a warning per field whose rows disagree (e.g. two CSMs for one account)."""
    if "account_id" not in frame.columns:
        return frame
    ids = frame["account_id"].astype("string").str.strip()
    if not ids.duplicated().any():
        return frame
    fields = [c for c in frame.columns if c not in ("account_id", ROW_COLUMN, SOURCE_COLUMN)]
    for column in fields:
        values = frame[column].astype("string").str.strip().replace("", pd.NA)
        per = values.groupby(ids, dropna=True).nunique()
        differ = per[per > 1]
        if len(differ):
            first = differ.index[0]
            seen = values[ids == first].dropna().unique()[:3]
            report.add(
                Problem(
                    file,
                    None,
                    column,
                    None,
                    f"differs between rows of {len(differ):,} account(s) (e.g. {first}: "
                    f"{', '.join(map(repr, seen))}); Rudder kept each account's first row",
                    "Check the export; put the value you mean on the account's first row.",
                    "warning",
                )
            )
    keep = ~ids.duplicated() | ids.isna()
    report.add(
        Problem.about_file(
            file,
            f"holds {int(keep.sum()):,} account(s) on {len(frame):,} rows: the accounts table "
            "is the first row of each",
            "Nothing to do.",
            "info",
        )
    )
    return frame.loc[keep]


_SECOND_KEYS = frozenset(c.name for c in TABLES["usage"].columns if not c.required)


def _melt_wide(frame: pd.DataFrame, raw: RawTable, report: ValidationReport) -> pd.DataFrame:
    """A wide usage file (account_id, date, one column per metric) becomes long."""
    if "metric" in frame.columns or "value" in frame.columns:
        return frame
    keys = [c for c in ("account_id", *sorted(_SECOND_KEYS)) if c in frame.columns]
    if not keys or "date" not in frame.columns:
        return frame
    ids = [*keys, "date"]
    metric_cols = [c for c in frame.columns if c not in ids and c != ROW_COLUMN]
    # Problems with a value name the file's own column ("tickets_solved"), not "value".
    own_name = {c: str(c) for c in metric_cols}
    if not metric_cols:
        return frame
    report.add(
        Problem.about_file(
            raw.file,
            f"is a wide usage file; its {len(metric_cols)} metric columns were read as metrics",
            "Nothing to do.",
            "info",
        )
    )
    frame = frame.copy()
    frame[ROW_COLUMN] = np.asarray(frame.index, dtype=np.int64) + raw.row_offset
    long = frame.melt(
        id_vars=[*ids, ROW_COLUMN], value_vars=metric_cols, var_name="metric", value_name="value"
    )
    long[SOURCE_COLUMN] = long["metric"].map(own_name)
    long["metric"] = [normalize(m) for m in long["metric"]]
    # Empty cells in a wide file mean "no reading", not a bad value.
    blank = long["value"].isna() | (long["value"].astype("string").str.strip() == "")
    return long.loc[~blank].reset_index(drop=True)


def _extend_catalog(
    metrics: pd.DataFrame, seen: np.ndarray | list, report: ValidationReport, file: str
) -> pd.DataFrame:
    """Metrics used in usage but absent from the catalog are added, and said so.

    With no catalog at all, the whole catalog is derived from the metric names (one note, not
    a warning per metric): label from the key, people counts as seats, the rest as adoption.
    """
    known = set(metrics["metric"])
    unknown = [m for m in seen if m not in known]
    if not unknown:
        return metrics
    extra = pd.DataFrame(
        {
            "metric": pd.Series(unknown, dtype="string"),
            "label": pd.Series([label_from_key(m) for m in unknown], dtype="string"),
            "category": pd.Series([guess_category(m) for m in unknown], dtype="string"),
            "unit": pd.Series("", index=range(len(unknown)), dtype="string"),
            "higher_is_better": True,
        }
    )
    if metrics.empty:
        report.add(
            Problem.about_file(
                "metrics file",
                f"there is no metric catalog; Rudder made one from the {len(unknown)} metric names "
                f"in {file} ({', '.join(unknown[:5])}{', …' if len(unknown) > 5 else ''}): "
                "people counts as seats, everything else as activity (adoption)",
                "Check it in Data & settings → Metric catalog, correct labels and categories, "
                "and download it as metrics.csv to keep.",
                "warning",
            )
        )
        return extra.reindex(columns=metrics.columns).astype(
            metrics.dtypes.to_dict() | {"higher_is_better": bool}
        )
    for m, category in zip(extra["metric"], extra["category"], strict=True):
        report.add(
            Problem(
                file,
                None,
                "metric",
                m,
                f"is not in the metric catalog; Rudder added it as {'a seats' if category == 'seats' else 'an adoption'} metric",
                "Add a row for it to metrics with a plain-English label, its category and unit.",
                "warning",
            )
        )
    return pd.concat([metrics, extra], ignore_index=True)


def read_usage_parquet(source: pa.NativeFile | str | Path) -> pa.Table:
    """A usage Parquet file with ids and metric names kept dictionary-encoded, as Parquet stores
    them: no 30-million-string column to build and then encode again."""
    names = pq.read_schema(source).names
    if isinstance(source, pa.NativeFile):
        source.seek(0)
    wanted = [n for n in names if normalize(n) in ("account_id", "metric")]
    return pq.read_table(source, read_dictionary=wanted)


def _dictionary(column: pa.ChunkedArray) -> tuple[list[pa.DictionaryArray], np.ndarray]:
    """The chunks of a string-like column on one shared dictionary, and that dictionary's values."""
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column.cast(pa.string()))
    column = column.unify_dictionaries() if isinstance(column, pa.ChunkedArray) else column
    chunks = list(column.chunks) if isinstance(column, pa.ChunkedArray) else [column]
    values = pd.Series(chunks[0].dictionary.to_pylist() if chunks else [], dtype="string")
    return chunks, visible_text(values).fillna("").to_numpy(dtype=object)


def _recode(chunks: list[pa.DictionaryArray], lookup: np.ndarray) -> np.ndarray:
    """Dictionary codes translated through ``lookup`` (nulls -> -1), one chunk at a time.

    Writing each chunk's gather straight into one int32 array avoids concatenating the codes
    first: one pass over 30 million rows instead of three.
    """
    lut = np.append(lookup, -1).astype(np.int32)  # code -1 (null) reads the trailing -1
    out = np.empty(sum(len(c) for c in chunks), dtype=np.int32)
    at = 0
    for c in chunks:  # Arrow chunks (a few hundred), not rows
        idx = c.indices if not c.null_count else pc.fill_null(c.indices, -1)
        np.take(lut, idx.to_numpy(zero_copy_only=False), out=out[at : at + len(c)])
        at += len(c)
    return out


def _column_numpy(column: pa.ChunkedArray, dtype: type) -> np.ndarray:
    """A numeric Arrow column as one numpy array, filled chunk by chunk (no intermediate list)."""
    out = np.empty(len(column), dtype=dtype)
    at = 0
    for c in column.chunks:
        out[at : at + len(c)] = c.to_numpy(zero_copy_only=False)
        at += len(c)
    return out


def _usage_from_arrow(
    table: pa.Table,
    file: str,
    accounts: pd.DataFrame,
    metrics: pd.DataFrame,
    report: ValidationReport,
    *,
    today: pd.Timestamp | None,
    row_offset: int,
    clean_only: bool = False,
) -> tuple[_Usage, pd.DataFrame] | None:
    """Typed usage: vectorized checks; only rows with problems go through the string validator."""
    try:
        date_col = table["date"]
        if not pa.types.is_date32(date_col.type):
            date_col = date_col.cast(pa.date32())
        value_col = table["value"].cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    a_chunks, a_dict = _dictionary(table["account_id"])
    m_chunks, m_dict = _dictionary(table["metric"])
    scratch = ValidationReport()  # merged into the report only if this path is used
    metrics = _extend_catalog(metrics, [m for m in pd.unique(m_dict) if m], scratch, file)
    acct = _recode(a_chunks, pd.Index(accounts["account_id"]).get_indexer(a_dict))
    metric = _recode(m_chunks, pd.Index(metrics["metric"]).get_indexer(m_dict))
    days_col = date_col.cast(pa.int32())
    if days_col.null_count:
        days_col = pc.fill_null(days_col, -(2**31))
    days = _column_numpy(days_col, np.int32)
    if value_col.null_count:
        value_col = pc.fill_null(value_col, np.nan)
    values = _column_numpy(value_col, np.float64)
    limit = int(((today or pd.Timestamp.today()).normalize() - pd.Timestamp(0)).days)
    # One boolean array, OR-ed in place: 30 million rows make every temporary count.
    bad = acct < 0
    bad |= metric < 0
    bad |= ~(values >= 0)  # NaN and negatives
    bad |= days > limit
    bad |= days == -(2**31)
    n = table.num_rows
    if clean_only and bad.any():
        return None
    report.extend(scratch)
    if bad.any():
        idx = np.nonzero(bad)[0]
        subset = table.take(pa.array(idx)).to_pandas()
        subset[ROW_COLUMN] = idx + row_offset
        result = validate_table(
            TABLES["usage"],
            subset,
            file=file,
            row_offset=row_offset,
            known_accounts=pd.Index(accounts["account_id"]),
            today=today,
        )
        report.extend(result.report)
    report.counts[file] = {"read": n, "kept": int(n - bad.sum()), "rejected": int(bad.sum())}
    # Rejected rows stay in place with account code -1 (the rollup skips them): no copies.
    acct[bad] = -1
    return _Usage(acct, metric, days, values), metrics


_BATCH_ROWS = 1 << 20  # rows per record batch streamed into the daily sums


def _day_range(pf: pq.ParquetFile, column: int) -> tuple[int, int] | None:
    """First and last day of a Parquet date column from its row groups' statistics (no read);
    None when a row group has none or the column is not a date."""
    field = pf.schema_arrow.field(column)
    if not (pa.types.is_date(field.type) or pa.types.is_timestamp(field.type)):
        return None
    lo = hi = None
    meta = pf.metadata
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(column).statistics
        if stats is None or not stats.has_min_max:
            if meta.row_group(g).num_rows == 0:
                continue
            return None
        a, b = pd.Timestamp(stats.min), pd.Timestamp(stats.max)
        lo = a if lo is None else min(lo, a)
        hi = b if hi is None else max(hi, b)
    if lo is None or pd.isna(lo) or pd.isna(hi):
        return None
    epoch = pd.Timestamp(0)
    return int((lo.normalize() - epoch).days), int((hi.normalize() - epoch).days)


class _Lookup:
    """Dictionary codes → positions, computed once per distinct dictionary (batches of one row
    group share theirs)."""

    def __init__(self) -> None:
        self.dictionary: pa.Array | None = None
        self.names: np.ndarray = np.empty(0, dtype=object)
        self.lut: np.ndarray = np.empty(0, dtype=np.int32)

    def same(self, dictionary: pa.Array) -> bool:
        return self.dictionary is not None and dictionary.equals(self.dictionary)

    def set(self, dictionary: pa.Array, positions: np.ndarray) -> None:
        self.dictionary = dictionary
        self.lut = np.append(positions, -1).astype(np.int32)  # code -1 (null) reads the -1

    def codes(self, column: pa.DictionaryArray) -> np.ndarray:
        idx = column.indices if not column.null_count else pc.fill_null(column.indices, -1)
        return self.lut[idx.to_numpy(zero_copy_only=False)]


def _dictionary_of(column: pa.Array) -> pa.DictionaryArray:
    if pa.types.is_dictionary(column.type):
        return column
    return pc.dictionary_encode(column.cast(pa.string()))


def _text(dictionary: pa.Array) -> np.ndarray:
    values = pd.Series(dictionary.to_pylist(), dtype="string")
    return visible_text(values).fillna("").to_numpy(dtype=object)


def _prefetched(batches, depth: int = 2):
    """Record batches decoded one or two ahead on a thread (Parquet decoding releases the GIL),
    so reading the next batch overlaps summing this one; errors are raised where they are read."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():  # the reader may have stopped (an error): never block on it
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(done)
        except BaseException as exc:  # handed to the reader
            put(exc)

    worker = threading.Thread(target=produce, name="rudder-usage-read", daemon=True)
    worker.start()
    try:
        while (item := box.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _stream_usage(
    source: pa.NativeFile,
    file: str,
    accounts: pd.DataFrame,
    metrics: pd.DataFrame,
    report: ValidationReport,
    *,
    today: pd.Timestamp | None,
) -> tuple[DailyGrid, pd.DataFrame] | None:
    """A usage Parquet file summed per account, day and metric, one record batch at a time.

    The same checks as :func:`_usage_from_arrow` (unknown account or metric, a value that is
    not a number ≥ 0, a date after today or missing), batch by batch: rows with a problem go
    through the string validator together at the end, the rest straight into the sums. None
    when the file does not suit (columns, types, no date statistics, a grid bigger than the
    rows): the caller reads it whole.
    """
    names = [normalize(n) for n in pq.read_schema(source).names]
    source.seek(0)
    if not (
        {"account_id", "date", "metric", "value"} <= set(names)
        and len(set(names)) == len(names)
        and not set(names) & _SECOND_KEYS
    ):
        return None
    raw_names = pq.read_schema(source).names
    source.seek(0)
    wanted = [raw_names[names.index(c)] for c in ("account_id", "date", "metric", "value")]
    pf = pq.ParquetFile(source, read_dictionary=[wanted[0], wanted[2]])
    value_type = pf.schema_arrow.field(wanted[3]).type
    if not (pa.types.is_integer(value_type) or pa.types.is_floating(value_type)):
        return None
    days = _day_range(pf, names.index("date"))
    if days is None:
        return None
    limit = int(((today or pd.Timestamp.today()).normalize() - pd.Timestamp(0)).days)
    first, last = days[0], min(days[1], limit)
    n = pf.metadata.num_rows
    A = len(accounts)
    if last < first or not DailyGrid.fits(A, len(metrics), first, last, n):
        return None
    grid = DailyGrid(A, len(metrics), first, last)
    known = pd.Index(accounts["account_id"])
    scratch = ValidationReport()  # catalog additions, merged once the file is read
    acct_lookup, metric_lookup = _Lookup(), _Lookup()
    bad_parts: list[pd.DataFrame] = []
    rejected = 0
    at = 0
    batches = pf.iter_batches(batch_size=_BATCH_ROWS, columns=wanted, use_threads=True)
    for batch in _prefetched(batches):
        a_col, m_col = _dictionary_of(batch.column(0)), _dictionary_of(batch.column(2))
        if not acct_lookup.same(a_col.dictionary):
            acct_lookup.set(a_col.dictionary, known.get_indexer(_text(a_col.dictionary)))
        if not metric_lookup.same(m_col.dictionary):
            text = _text(m_col.dictionary)
            catalog = set(metrics["metric"])
            new = [m for m in pd.unique(text) if m and m not in catalog]
            if new:
                metrics = _extend_catalog(metrics, new, scratch, file)
                grid.grow(len(metrics))
            metric_lookup.set(m_col.dictionary, pd.Index(metrics["metric"]).get_indexer(text))
        acct = acct_lookup.codes(a_col)
        metric = metric_lookup.codes(m_col)
        date_col = batch.column(1)
        if not pa.types.is_date32(date_col.type):
            date_col = date_col.cast(pa.date32())
        day = date_col.cast(pa.int32())
        day = (pc.fill_null(day, -(2**31)) if day.null_count else day).to_numpy(
            zero_copy_only=False
        )
        value = batch.column(3).cast(pa.float64())
        value = (pc.fill_null(value, np.nan) if value.null_count else value).to_numpy(
            zero_copy_only=False
        )
        bad = acct < 0
        bad |= metric < 0
        bad |= ~(value >= 0)  # NaN and negatives
        bad |= day > limit
        bad |= day < first  # also the null date's sentinel
        if bad.any():
            idx = np.nonzero(bad)[0]
            part = batch.take(pa.array(idx)).to_pandas()
            part.columns = ["account_id", "date", "metric", "value"]
            part[ROW_COLUMN] = idx + at + 1
            bad_parts.append(part)
            rejected += len(idx)
            keep = ~bad
            grid.add(acct[keep], metric[keep], day[keep], value[keep])
        else:
            grid.add(acct, metric, day, value)
        at += batch.num_rows
    report.extend(scratch)
    if bad_parts:
        subset = pd.concat(bad_parts, ignore_index=True)
        for column in ("account_id", "metric"):
            subset[column] = subset[column].astype(object)
        result = validate_table(
            TABLES["usage"],
            subset,
            file=file,
            row_offset=1,
            known_accounts=known,
            today=today,
        )
        report.extend(result.report)
    report.counts[file] = {"read": n, "kept": n - rejected, "rejected": rejected}
    return grid, metrics


def _sql_usage_problems(
    conn: sa.Connection, usage: sa.Table, accounts: pd.DataFrame, today: pd.Timestamp | None = None
) -> tuple[int, pd.DataFrame]:
    """Rows the database rollup leaves out, counted in SQL; the first 200 listed with the reason."""
    ids = accounts["account_id"].tolist()
    limit = (today or pd.Timestamp.today()).normalize().date()
    cond = sa.or_(
        usage.c.value.is_(None),
        usage.c.value < 0,
        usage.c.account_id.is_(None),
        usage.c.date.is_(None),
        usage.c.account_id.not_in(ids),
        usage.c.date > limit,
    )
    count = conn.execute(sa.select(sa.func.count()).select_from(usage).where(cond)).scalar() or 0
    if not count:
        return 0, pd.DataFrame()
    rows = pd.DataFrame(
        conn.execute(
            sa.select(usage.c.account_id, usage.c.date, usage.c.metric, usage.c.value)
            .where(cond)
            .limit(200)
        ).all(),
        columns=["account_id", "date", "metric", "value"],
    )
    known = rows["account_id"].isin(ids)
    future = pd.to_datetime(rows["date"], errors="coerce") > pd.Timestamp(limit)
    column = np.select([~known, rows["date"].isna() | future], ["account_id", "date"], "value")
    problem = np.select(
        [~known, rows["date"].isna(), future],
        ["is not an account in accounts", "is empty", f"is in the future (after {limit:%Y-%m-%d})"],
        "is negative or empty",
    )
    value = np.select(
        [column == "account_id", column == "date"],
        [rows["account_id"].astype(str), rows["date"].astype(str)],
        rows["value"].astype(str),
    )
    frame = pd.DataFrame(
        {
            "file": "table usage",
            "row": pd.NA,
            "column": column,
            "value": value,
            "problem": problem,
            "fix": "Correct the row in the database; Rudder leaves it out of the rollup.",
            "severity": "error",
        }
    )
    return int(count), frame


def _write_usage(engine: sa.Engine, usage: pa.Table, *, chunk_rows: int) -> None:
    meta = sa.MetaData()
    table = sa.Table(
        "usage",
        meta,
        sa.Column("account_id", sa.String),
        sa.Column("date", sa.Date),
        sa.Column("metric", sa.String),
        sa.Column("value", sa.Float),
    )
    meta.create_all(engine)
    frame_iter = (usage.slice(i, chunk_rows) for i in range(0, usage.num_rows, chunk_rows))
    if engine.dialect.name == "postgresql":
        # COPY streams CSV that Arrow writes chunk by chunk: no Python loop over rows.
        raw = engine.raw_connection()
        try:
            with (
                raw.cursor() as cur,
                cur.copy(
                    "COPY usage (account_id, date, metric, value) FROM STDIN (FORMAT csv)"
                ) as copy,
            ):
                for chunk in frame_iter:
                    plain = pa.table(
                        {
                            "account_id": chunk["account_id"].cast(pa.string()),
                            "date": chunk["date"].cast(pa.date32()),
                            "metric": chunk["metric"].cast(pa.string()),
                            "value": chunk["value"].cast(pa.float64()),
                        }
                    )
                    buf = pa.BufferOutputStream()
                    pacsv.write_csv(plain, buf, pacsv.WriteOptions(include_header=False))
                    copy.write(buf.getvalue().to_pybytes())
            raw.commit()
            with raw.cursor() as cur:  # fresh statistics, or the first rollups plan blind
                cur.execute("ANALYZE usage")
            raw.commit()
        finally:
            raw.close()
        return
    with engine.begin() as conn:
        for chunk in frame_iter:
            df = chunk.to_pandas()
            df["account_id"] = df["account_id"].astype(str)
            df["metric"] = df["metric"].astype(str)
            conn.execute(table.insert(), df.to_dict("records"))
