"""The team's warehouse as the engine: daily usage rolled up to weeks inside the database.

:func:`rollup_sql` builds the push-down with SQLAlchemy Core, so only accounts × weeks × metrics
rows come back; it gives the same :class:`~insight_engine.book.rollup.WeeklyUsage` as the
in-memory :func:`~insight_engine.book.rollup.rollup_arrays`. The SQL is the same for every
warehouse but for the day arithmetic (:func:`days_before_expr`); it compiles for PostgreSQL,
SQLite, Snowflake, BigQuery, Databricks, Redshift and Trino (golden files in tests/golden/).

**The weekly table.** :func:`build_weekly` (``python -m insight_engine to-sql --weekly``) runs the
rollup once, in the database, into ``usage_weekly``: one row per account × metric × week with
integer keys (``usage_account_keys``, ``usage_metric_keys`` say which id each key stands for),
the last day and the same weekday a week before in ``usage_weekly_days`` (the partial-day test),
and what it was built from in ``usage_weekly_meta``. :func:`prepared_weekly` finds it when it is
fresh (the daily table's row count and last date, and every account, as when it was built) and
covers the as-of date and weeks asked for; the load then reads accounts × weeks × metrics rows
and never touches the daily ones. Rebuild it after new usage lands (or schedule the command).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from insight_engine.book.rollup import (
    ACTIVITY_CATEGORIES,
    WeeklyUsage,
    _complete_weeks,
    _finish,
    _first_weeks,
    _last_active,
    _last_week,
    _partial_share,
    _start_weeks,
    _week_ends,
)

__all__ = [
    "DIALECTS",
    "WEEKLY_TABLES",
    "PreparedWeekly",
    "build_weekly",
    "compile_sql",
    "days_before_expr",
    "dialect",
    "prepared_weekly",
    "pushdown_queries",
    "rollup_sql",
    "usage_table",
    "weekly_build_queries",
]

_IN_LIST = 5_000  # ids per IN (...) list in a follow-up query (SQLite allows 32,766 parameters)

# The warehouses the push-down is compiled for (golden files), and the SQLAlchemy dialect each
# one's package registers. PostgreSQL and SQLite also run in the tests.
DIALECTS = ("postgresql", "sqlite", "snowflake", "bigquery", "databricks", "redshift", "trino")

WEEKLY = "usage_weekly"
WEEKLY_DAYS = "usage_weekly_days"
ACCOUNT_KEYS = "usage_account_keys"
METRIC_KEYS = "usage_metric_keys"
WEEKLY_META = "usage_weekly_meta"
WEEKLY_TABLES = (WEEKLY, WEEKLY_DAYS, ACCOUNT_KEYS, METRIC_KEYS, WEEKLY_META)


def dialect(name: str) -> sa.engine.Dialect:
    """A dialect object by name, without a driver or a server (for compiling only).

    Raises
    ------
    ValueError
        When the warehouse's SQLAlchemy package is not installed (its name is in the message).
    """
    packages = {
        "snowflake": "snowflake-sqlalchemy",
        "bigquery": "sqlalchemy-bigquery",
        "databricks": "databricks-sqlalchemy",
        "redshift": "sqlalchemy-redshift",
        "trino": "trino",
    }
    try:
        return sa.dialects.registry.load(name)()
    except (ImportError, sa.exc.NoSuchModuleError):
        raise ValueError(
            f"No SQLAlchemy dialect for {name!r}: install {packages.get(name, name)}."
        ) from None


def usage_table(name: str = "usage", metadata: sa.MetaData | None = None) -> sa.Table:
    """The contract's daily usage table, as :func:`~insight_engine.book.loader.write_sql` writes it."""
    return sa.Table(
        name,
        metadata if metadata is not None else sa.MetaData(),
        sa.Column("account_id", sa.String),
        sa.Column("date", sa.Date),
        sa.Column("metric", sa.String),
        sa.Column("value", sa.Float),
    )


def days_before_expr(
    dialect_name: str, as_of: pd.Timestamp, date_col: sa.ColumnElement
) -> sa.ColumnElement:
    """Whole days from ``date_col`` to the as-of date (0 on the as-of date), as an integer.

    The only per-warehouse part of the push-down: each spells the difference of two dates its
    own way.
    """
    literal = f"{as_of:%Y-%m-%d}"
    if dialect_name == "sqlite":  # no date type: CAST('2026-10-31' AS DATE) is the number 2026
        return sa.cast(sa.func.julianday(literal) - sa.func.julianday(date_col), sa.Integer)
    day = sa.cast(sa.literal(literal), sa.Date)
    if dialect_name == "postgresql":
        return day - sa.cast(date_col, sa.Date)  # date - date is an integer
    if dialect_name in ("snowflake", "redshift"):  # DATEDIFF(part, start, end)
        return sa.func.datediff(sa.literal_column("day"), date_col, day, type_=sa.Integer)
    if dialect_name == "bigquery":  # DATE_DIFF(end, start, part)
        return sa.func.date_diff(day, date_col, sa.literal_column("DAY"), type_=sa.Integer)
    if dialect_name == "trino":  # date_diff('day', start, end)
        return sa.func.date_diff(
            sa.literal_column("'day'"), sa.cast(date_col, sa.Date), day, type_=sa.Integer
        )
    # Databricks (Spark SQL), MySQL and others: DATEDIFF(end, start)
    return sa.func.datediff(day, date_col, type_=sa.Integer)


def _weeks_back(days_before: sa.ColumnElement, dialect_name: str) -> sa.ColumnElement:
    """Whole weeks in an integer count of days: integer division (no float per row), except on
    BigQuery, where ``/`` gives a FLOAT64 and DIV divides integers."""
    if dialect_name == "bigquery":
        return sa.func.div(days_before, 7, type_=sa.Integer)
    return days_before // 7


def _window(usage: sa.Table, dialect_name: str, as_of: pd.Timestamp, weeks: int):
    """(days_before, counted, in_window, before_window, on_test_days) for the daily table; the
    test days are the as-of date and the same weekday a week before."""
    days_before = days_before_expr(dialect_name, as_of, usage.c.date)
    counted = [usage.c.value.is_not(None), usage.c.value >= 0]  # negatives are reported, not summed
    # Typed date literals: Trino compares a date with a string only after a CAST.
    start = sa.cast(sa.literal(f"{as_of - pd.Timedelta(days=weeks * 7):%Y-%m-%d}"), sa.Date)
    end = sa.cast(sa.literal(f"{as_of:%Y-%m-%d}"), sa.Date)
    if dialect_name != "sqlite" and isinstance(usage.c.date.type, sa.Date):
        # A typed date column is filtered on itself, so an index (or a warehouse's partition or
        # cluster pruning) can be used and the day arithmetic runs only on rows that count.
        # (SQLite keeps dates as text, where '2025-03-04 00:00' sorts after '2025-03-04'.)
        counted.append(usage.c.date <= end)
        week_before = sa.cast(sa.literal(f"{as_of - pd.Timedelta(days=7):%Y-%m-%d}"), sa.Date)
        return (
            days_before,
            counted,
            [usage.c.date > start],
            [usage.c.date <= start],
            [usage.c.date.in_([end, week_before])],
        )
    counted.append(days_before >= 0)
    return (
        days_before,
        counted,
        [days_before < weeks * 7],
        [days_before >= weeks * 7],
        [days_before.in_([0, 7])],
    )


@dataclass
class PushdownQueries:
    """The push-down over the daily table: ``weekly`` and ``days`` always, the other two for
    the few accounts that need them."""

    weekly: sa.Select
    days: sa.Select
    last: object  # (account_ids) -> Select
    older: object  # (account_ids) -> Select


def pushdown_queries(
    usage: sa.Table,
    dialect_name: str,
    *,
    as_of: pd.Timestamp,
    weeks: int,
    metric_names: list[str],
    activity_metrics: list[str],
) -> PushdownQueries:
    """The push-down's queries over the daily ``usage`` table.

    ``weekly``: per account, metric and week back, the sum, the row count and the fewest days
    before as-of with a reading above zero (the last active day, in the same pass); ``days``:
    the as-of date and the same weekday a week before (the partial-day test); ``last(ids)``:
    the last active day over all history for accounts quiet all window; ``older(ids)``: which
    accounts have rows before the window.
    """
    days_before, counted, window, older, test_days = _window(usage, dialect_name, as_of, weeks)
    # Integer division (days are never negative here): no float or numeric arithmetic per row.
    week_back = _weeks_back(days_before, dialect_name).label("week_back")
    positive = usage.c.value > 0
    weekly = (
        sa.select(
            usage.c.account_id,
            usage.c.metric,
            week_back,
            sa.func.sum(usage.c.value).label("total"),
            sa.func.count(usage.c.value).label("n"),
            # CASE rather than FILTER (WHERE ...): Snowflake, BigQuery and Redshift have no FILTER.
            sa.func.min(sa.case((positive, days_before))).label("active"),
        )
        .where(*counted, *window)
        .group_by(usage.c.account_id, usage.c.metric, week_back)
    )
    day_back = days_before.label("day_back")
    days = (
        sa.select(
            usage.c.account_id,
            usage.c.metric,
            day_back,
            sa.func.sum(usage.c.value).label("total"),
            sa.func.count(usage.c.value).label("n"),
        )
        .where(*counted, *test_days)
        .group_by(usage.c.account_id, usage.c.metric, day_back)
    )

    def last(account_ids: list[str]) -> sa.Select:
        return (
            sa.select(usage.c.account_id, sa.func.min(days_before).label("days_before"))
            .where(
                *counted,
                positive,
                usage.c.metric.in_(activity_metrics),
                usage.c.account_id.in_(account_ids),
            )
            .group_by(usage.c.account_id)
        )

    def before(account_ids: list[str]) -> sa.Select:
        return (
            sa.select(usage.c.account_id)
            .where(
                *counted,
                *older,
                usage.c.metric.in_(metric_names),
                usage.c.account_id.in_(account_ids),
            )
            .distinct()
        )

    return PushdownQueries(weekly, days, last, before)


def compile_sql(query: sa.ClauseElement, dialect_name: str) -> str:
    """The statement as the warehouse would run it, values inlined (golden files, EXPLAIN)."""
    return str(query.compile(dialect=dialect(dialect_name), compile_kwargs={"literal_binds": True}))


def _fetch(conn: sa.Connection, query: sa.Select, columns: list[str]) -> pd.DataFrame:
    """A query's rows as one DataFrame (see :func:`_fetch_batches`)."""
    parts = list(_fetch_batches(conn, query, columns))
    if not parts:
        return pd.DataFrame(columns=columns)
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _tune(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        # For this transaction only: just-in-time compilation costs about a second and saves
        # nothing on one aggregate pass; at the default 4 MB the hash aggregate spills about
        # 100 MB to disk (M book), 128 MB keeps it in memory (4.3-5.5 s -> 3.5 s measured).
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql("SET LOCAL work_mem = '128MB'")
        # Floats as text that reads back the same double (a server set lower would round them).
        conn.exec_driver_sql("SET LOCAL extra_float_digits = 3")


# --- the weekly table -------------------------------------------------------------------------


@dataclass
class PreparedWeekly:
    """A fresh weekly table: what it was built for and from (one row of ``usage_weekly_meta``)."""

    as_of: pd.Timestamp
    weeks: int
    min_date: pd.Timestamp | None
    max_date: pd.Timestamp | None
    usage_rows: int
    rejected: int
    metric_names: list[str]

    def covers(self, as_of: pd.Timestamp, weeks: int) -> bool:
        return pd.Timestamp(as_of) == self.as_of and weeks <= self.weeks


def _weekly_metadata(metadata: sa.MetaData | None = None) -> dict[str, sa.Table]:
    meta = metadata if metadata is not None else sa.MetaData()
    return {
        ACCOUNT_KEYS: sa.Table(
            ACCOUNT_KEYS,
            meta,
            sa.Column("account_key", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("account_id", sa.String, nullable=False, unique=True),
        ),
        METRIC_KEYS: sa.Table(
            METRIC_KEYS,
            meta,
            sa.Column("metric_key", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("metric", sa.String, nullable=False, unique=True),
        ),
        WEEKLY: sa.Table(
            WEEKLY,
            meta,
            sa.Column("account_key", sa.Integer, nullable=False),
            sa.Column("metric_key", sa.Integer, nullable=False),
            # 0 = the week ending on as-of, 1 the one before...; `weeks` = all days before them.
            sa.Column("week_back", sa.Integer, nullable=False),
            sa.Column("total", sa.Float),
            sa.Column("n", sa.BigInteger),
            sa.Column("active", sa.Integer),  # fewest days before as-of with a reading > 0
        ),
        WEEKLY_DAYS: sa.Table(
            WEEKLY_DAYS,
            meta,
            sa.Column("account_key", sa.Integer, nullable=False),
            sa.Column("metric_key", sa.Integer, nullable=False),
            sa.Column("day_back", sa.Integer, nullable=False),  # 0 or 7
            sa.Column("total", sa.Float),
            sa.Column("n", sa.BigInteger),
        ),
        WEEKLY_META: sa.Table(
            WEEKLY_META,
            meta,
            sa.Column("as_of", sa.Date, nullable=False),
            sa.Column("weeks", sa.Integer, nullable=False),
            sa.Column("min_date", sa.Date),
            sa.Column("max_date", sa.Date),  # the last usage date, up to the day it was built
            sa.Column("last_date", sa.Date),  # the last usage date at all (the freshness probe)
            sa.Column("usage_rows", sa.BigInteger, nullable=False),
            sa.Column("accounts", sa.Integer, nullable=False),
            sa.Column("rejected", sa.BigInteger, nullable=False),
            sa.Column("built_at", sa.DateTime),
        ),
    }


def weekly_build_queries(
    usage: sa.Table, dialect_name: str, *, as_of: pd.Timestamp, weeks: int
) -> dict[str, sa.Select]:
    """The two SELECTs that fill ``usage_weekly`` and ``usage_weekly_days`` from the daily table
    (joined to the key tables, so only integers are grouped and stored)."""
    tables = _weekly_metadata()
    ak, mk = tables[ACCOUNT_KEYS], tables[METRIC_KEYS]
    days_before, counted, _, _, test_days = _window(usage, dialect_name, as_of, weeks)
    joined = usage.join(ak, usage.c.account_id == ak.c.account_id).join(
        mk, usage.c.metric == mk.c.metric
    )
    week_back = sa.case(
        (days_before >= weeks * 7, weeks), else_=_weeks_back(days_before, dialect_name)
    ).label("week_back")
    weekly = (
        sa.select(
            ak.c.account_key,
            mk.c.metric_key,
            week_back,
            sa.func.sum(usage.c.value).label("total"),
            sa.func.count(usage.c.value).label("n"),
            sa.func.min(sa.case((usage.c.value > 0, days_before))).label("active"),
        )
        .select_from(joined)
        .where(*counted)
        .group_by(ak.c.account_key, mk.c.metric_key, week_back)
    )
    day_back = days_before.label("day_back")
    days = (
        sa.select(
            ak.c.account_key,
            mk.c.metric_key,
            day_back,
            sa.func.sum(usage.c.value).label("total"),
            sa.func.count(usage.c.value).label("n"),
        )
        .select_from(joined)
        .where(*counted, *test_days)
        .group_by(ak.c.account_key, mk.c.metric_key, day_back)
    )
    return {WEEKLY: weekly, WEEKLY_DAYS: days}


def build_weekly(
    engine: sa.Engine,
    *,
    as_of: str | pd.Timestamp | None = None,
    weeks: int = 52,
    today: pd.Timestamp | None = None,
) -> dict:
    """Build (or rebuild) the weekly table and its key tables from the daily ``usage`` table.

    Everything runs in the database (``INSERT ... SELECT``); nothing but the distinct account
    and metric ids comes back. ``as_of`` defaults to the last usage date (up to ``today``), the
    date a load without one uses.

    Returns
    -------
    dict
        ``as_of``, ``weeks``, ``usage_rows``, ``weekly_rows``.
    """
    from insight_engine.book.loader import _as_of, _sql_usage_problems

    present = set(sa.inspect(engine).get_table_names())
    for need in ("accounts", "usage"):
        if need not in present:
            from insight_engine.errors import DataLoadError

            raise DataLoadError(
                f"The database has no {need} table: copy a folder in first "
                "(python -m insight_engine to-sql --data FOLDER --url URL)."
            )
    usage = sa.Table("usage", sa.MetaData(), autoload_with=engine)
    accounts_tbl = sa.Table("accounts", sa.MetaData(), autoload_with=engine)
    limit = (today or pd.Timestamp.today()).normalize().date()
    with engine.connect() as conn:
        _tune(conn)
        ids = pd.Series(
            conn.execute(sa.select(accounts_tbl.c.account_id)).scalars().all(), dtype=object
        )
        ids = ids.dropna().astype(str).str.strip()
        ids = ids[ids != ""].drop_duplicates().sort_values().reset_index(drop=True)
        names = conn.execute(sa.select(usage.c.metric).distinct()).scalars().all()
        names = sorted({str(n) for n in names if n is not None})
        probe = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.min(sa.case((usage.c.date <= limit, usage.c.date))),
                sa.func.max(sa.case((usage.c.date <= limit, usage.c.date))),
                sa.func.max(usage.c.date),
            )
        ).one()
        accounts_frame = pd.DataFrame({"account_id": ids})
        rejected, _ = _sql_usage_problems(conn, usage, accounts_frame, today)
    usage_rows, min_date, max_date, last_date = probe
    as_of_ts = _as_of(
        as_of,
        pd.Timestamp(max_date) if max_date is not None else None,
        first_date=pd.Timestamp(min_date) if min_date is not None else None,
    )
    tables = _weekly_metadata()
    queries = weekly_build_queries(usage, engine.dialect.name, as_of=as_of_ts, weeks=weeks)
    with engine.begin() as conn:
        _tune(conn)
        for name in reversed(WEEKLY_TABLES):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        tables[ACCOUNT_KEYS].metadata.create_all(conn)
        if len(ids):
            conn.execute(
                tables[ACCOUNT_KEYS].insert(),
                [{"account_key": i, "account_id": a} for i, a in enumerate(ids.tolist())],
            )
        if names:
            conn.execute(
                tables[METRIC_KEYS].insert(),
                [{"metric_key": i, "metric": m} for i, m in enumerate(names)],
            )
        for name, query in queries.items():
            conn.execute(
                tables[name].insert().from_select(list(query.selected_columns.keys()), query)
            )
        conn.execute(
            tables[WEEKLY_META].insert(),
            {
                "as_of": as_of_ts.date(),
                "weeks": weeks,
                "min_date": min_date,
                "max_date": max_date,
                "last_date": last_date,
                "usage_rows": int(usage_rows),
                "accounts": len(ids),
                "rejected": int(rejected),
                "built_at": pd.Timestamp.now().to_pydatetime(),
            },
        )
        weekly_rows = conn.execute(sa.select(sa.func.count()).select_from(tables[WEEKLY])).scalar()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {WEEKLY}")
    return {
        "as_of": f"{as_of_ts:%Y-%m-%d}",
        "weeks": weeks,
        "usage_rows": int(usage_rows),
        "weekly_rows": int(weekly_rows or 0),
    }


def prepared_weekly(
    engine: sa.Engine, present: set[str], accounts: pd.DataFrame
) -> PreparedWeekly | None:
    """The weekly table when it is there and fresh, else None (the daily rows are rolled up).

    Fresh: every account has a key, and the daily table (when the database still has one) has
    the row count and the last date it had when the weekly table was built.
    """
    if not set(WEEKLY_TABLES) <= present:
        return None
    tables = _weekly_metadata()
    with engine.connect() as conn:
        meta = conn.execute(sa.select(tables[WEEKLY_META])).mappings().all()
        if len(meta) != 1:
            return None
        meta = meta[0]
        keyed = conn.execute(sa.select(tables[ACCOUNT_KEYS].c.account_id)).scalars().all()
        if not set(accounts["account_id"].astype(str)) <= set(keyed):
            return None
        if "usage" in present:
            usage = usage_table()
            rows, last = conn.execute(
                sa.select(sa.func.count(), sa.func.max(usage.c.date)).select_from(usage)
            ).one()
            if int(rows) != int(meta["usage_rows"]) or (
                pd.Timestamp(last) if last is not None else None
            ) != (pd.Timestamp(meta["last_date"]) if meta["last_date"] is not None else None):
                return None
        names = conn.execute(sa.select(tables[METRIC_KEYS].c.metric)).scalars().all()

    def day(value) -> pd.Timestamp | None:
        return pd.Timestamp(value) if value is not None else None

    return PreparedWeekly(
        as_of=pd.Timestamp(meta["as_of"]),
        weeks=int(meta["weeks"]),
        min_date=day(meta["min_date"]),
        max_date=day(meta["max_date"]),
        usage_rows=int(meta["usage_rows"]),
        rejected=int(meta["rejected"]),
        metric_names=sorted(str(n) for n in names),
    )


# --- the rollup -------------------------------------------------------------------------------


def _positions(index: pd.Index, keys: pd.DataFrame, key: str, name: str) -> np.ndarray:
    """A lookup from integer key to position in ``index`` (-1 where the key's id is not there)."""
    size = int(keys[key].max()) + 1 if len(keys) else 0
    lookup = np.full(size, -1, dtype=np.intp)
    lookup[keys[key].to_numpy(dtype=np.int64)] = index.get_indexer(keys[name].astype(str))
    return lookup


_BATCH_BYTES = 32 << 20  # CSV bytes parsed at a time (PostgreSQL)
_BATCH_ROWS = 200_000  # rows fetched at a time (other databases)
_LINES = 20_000  # rows PostgreSQL joins into one text value


def _pg_lines(query: sa.Select) -> sa.Select:
    """The query's rows as CSV text, ``_LINES`` rows to a result row.

    Any row-per-message transfer (COPY included: one message per row) costs a Python step per
    row in the driver, which took longer than the query; here the driver sees one value per
    20,000 rows, and Arrow parses the text. Text columns are quoted as CSV quotes them; a float's
    text is exact (PostgreSQL 12+ prints the shortest form that reads back the same double).
    """
    inner = query.subquery("q")
    fields = []
    for c in inner.c:
        if isinstance(c.type, (sa.Integer, sa.Float, sa.Numeric)):
            fields.append(sa.func.coalesce(sa.cast(c, sa.Text), ""))
        else:
            text = sa.func.replace(sa.cast(c, sa.Text), '"', '""')
            fields.append(sa.func.coalesce(sa.literal('"') + text + sa.literal('"'), ""))
    line = sa.func.concat_ws(",", *fields).label("line")
    bucket = ((sa.func.row_number().over() - 1) // _LINES).label("bucket")
    lines = sa.select(bucket, line).subquery("lines")
    return sa.select(sa.func.string_agg(lines.c.line, sa.literal("\n"))).group_by(lines.c.bucket)


def _fetch_batches(conn: sa.Connection, query: sa.Select, columns: list[str]):
    """A query's rows as DataFrames of about 32 MB each: never all rows in memory at once.

    PostgreSQL sends CSV text a block of rows at a time (:func:`_pg_lines`), parsed by Arrow;
    other databases go through the driver in partitions.
    """
    if conn.dialect.name != "postgresql":
        result = conn.execution_options(yield_per=_BATCH_ROWS).execute(query)
        for part in result.partitions():
            yield pd.DataFrame(part, columns=columns)
        return
    import pyarrow as pa
    import pyarrow.csv as pacsv

    types = {"account_id": pa.string(), "metric": pa.string(), "active": pa.float64()}

    def parse(texts: list[str]) -> pd.DataFrame:
        return pacsv.read_csv(
            pa.BufferReader("\n".join(texts).encode()),
            read_options=pacsv.ReadOptions(column_names=columns),
            convert_options=pacsv.ConvertOptions(
                column_types={k: v for k, v in types.items() if k in columns}
            ),
        ).to_pandas()

    sql = str(
        _pg_lines(query).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    )
    pending: list[str] = []
    size = 0
    # A server-side cursor: the client holds one batch, not the whole answer.
    with conn.connection.driver_connection.cursor(name="rudder_fetch") as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(16):
            for (text,) in rows:
                pending.append(text)
                size += len(text)
            if size >= _BATCH_BYTES:
                yield parse(pending)
                pending, size = [], 0
    if pending:
        yield parse(pending)


def _from_weekly_table(
    conn: sa.Connection,
    acct_index: pd.Index,
    metrics: pd.DataFrame,
    weeks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple, int]:
    """sums and counts (accounts, weeks + 1, metrics; slot 0 all days before the window), the
    fewest days before as-of with activity per account, and the test days' rows, from the
    weekly table: filled batch by batch, so memory follows accounts x weeks x metrics."""
    t = _weekly_metadata()
    A, M, W = len(acct_index), len(metrics), weeks
    metric_index = pd.Index(metrics["metric"])
    ak = _fetch(conn, sa.select(t[ACCOUNT_KEYS]), ["account_key", "account_id"])
    mk = _fetch(conn, sa.select(t[METRIC_KEYS]), ["metric_key", "metric"])
    to_a = _positions(acct_index, ak, "account_key", "account_id")
    to_m = _positions(metric_index, mk, "metric_key", "metric")
    sums = np.zeros(A * (W + 1) * M)
    counts = np.zeros(A * (W + 1) * M)
    w = t[WEEKLY]
    cols = ["account_key", "metric_key", "week_back", "total", "n"]
    n_rows = 0
    for batch in _fetch_batches(conn, sa.select(*(w.c[c] for c in cols)), cols):
        a = to_a[batch["account_key"].to_numpy(dtype=np.int64)]
        m = to_m[batch["metric_key"].to_numpy(dtype=np.int64)]
        back = batch["week_back"].to_numpy(dtype=np.int64)
        ok = (a >= 0) & (m >= 0)
        n_rows += int((ok & (back < W)).sum())
        # Weeks kept: slot 1..W, one row per cell (set); all older days in slot 0 (added up).
        week = np.where(back >= W, 0, W - back)
        flat = (a * (W + 1) + week) * M + m
        one = ok & (week > 0)
        sums[flat[one]] = batch["total"].to_numpy(dtype=float)[one]
        counts[flat[one]] = batch["n"].to_numpy(dtype=float)[one]
        older = ok & (week == 0)
        np.add.at(sums, flat[older], batch["total"].to_numpy(dtype=float)[older])
        np.add.at(counts, flat[older], batch["n"].to_numpy(dtype=float)[older])
    # The last active day, per account, in the database: one row per account comes back.
    activity = metrics.loc[metrics["category"].isin(ACTIVITY_CATEGORIES), "metric"]
    keys = mk.loc[mk["metric"].astype(str).isin(activity.astype(str)), "metric_key"].tolist()
    last = _fetch(
        conn,
        sa.select(w.c.account_key, sa.func.min(w.c.active).label("days_before"))
        .where(w.c.metric_key.in_(keys), w.c.active.is_not(None))
        .group_by(w.c.account_key),
        ["account_key", "days_before"],
    )
    best = np.full(A, np.iinfo(np.int64).max, dtype=np.int64)
    pos = to_a[last["account_key"].to_numpy(dtype=np.int64)] if len(last) else np.empty(0, int)
    best[pos[pos >= 0]] = last["days_before"].to_numpy(dtype=np.int64)[pos >= 0]
    d = t[WEEKLY_DAYS]
    dcols = ["account_key", "metric_key", "day_back", "total", "n"]
    days = _fetch(conn, sa.select(*(d.c[c] for c in dcols)), dcols)
    day_rows = (
        to_a[days["account_key"].to_numpy(dtype=np.int64)],
        to_m[days["metric_key"].to_numpy(dtype=np.int64)],
        days["day_back"].to_numpy(dtype=np.int64),
        days["total"].to_numpy(dtype=float),
        days["n"].to_numpy(dtype=float),
    )
    shape = (A, W + 1, M)
    return sums.reshape(shape), counts.reshape(shape), best, day_rows, n_rows


def rollup_sql(
    engine: sa.Engine,
    *,
    accounts: pd.DataFrame,
    metrics: pd.DataFrame,
    as_of: pd.Timestamp,
    weeks: int = 52,
    table: str = "usage",
    usage_end: pd.Timestamp | None = None,
    prepared: PreparedWeekly | None = None,
) -> tuple[WeeklyUsage, int]:
    """Roll usage up in the database; only accounts × weeks × metrics rows come back.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Where the ``usage`` table lives (SQLite and PostgreSQL are tested; the SQL compiles for
        Snowflake, BigQuery, Databricks, Redshift and Trino).
    accounts, metrics : pandas.DataFrame
        Validated accounts and metric catalog.
    as_of : pandas.Timestamp
        Last day of the last week.
    weeks : int
        Weeks kept.
    table : str
        Name of the usage table.
    usage_end : pandas.Timestamp, optional
        As for :func:`~insight_engine.book.rollup.rollup_arrays`.
    prepared : PreparedWeekly, optional
        From :func:`prepared_weekly`: read the weekly table instead of the daily rows (it must
        cover ``as_of`` and ``weeks``).

    Returns
    -------
    weekly : WeeklyUsage
    rows_returned : int
        How many weekly rows the database sent back (≤ accounts × weeks × metrics).
    """
    W = weeks
    acct_index = pd.Index(accounts["account_id"])
    metric_index = pd.Index(metrics["metric"])
    start_week = _start_weeks(accounts, as_of, W)
    if prepared is not None and not prepared.covers(as_of, weeks):
        raise ValueError(
            f"The weekly table is for {prepared.as_of:%Y-%m-%d}, {prepared.weeks} weeks."
        )
    none = np.iinfo(np.int64).max
    with engine.connect() as conn:
        _tune(conn)
        queries = None
        if prepared is not None:
            sums, counts, best, day_rows, n_rows = _from_weekly_table(conn, acct_index, metrics, W)
        else:
            queries = _pushdown_for(engine, table, metrics, as_of=as_of, weeks=W)
            sums, counts, best, day_rows, n_rows = _from_usage_table(
                conn, queries, acct_index, metrics, W, none
            )
        partial_share = _leave_out_partial_day(sums, counts, day_rows, metrics, W)
        has_rows = (counts > 0).any(axis=2)
        if queries is not None:
            _mark_rows_before_window(conn, queries, has_rows, start_week, acct_index, W)
    first_week = _first_weeks(has_rows, start_week)
    last_week = _complete_weeks(_last_week(has_rows[:, 1:].any(axis=0)), as_of, usage_end, W)
    cube = _finish(
        sums[:, 1:], counts[:, 1:], metrics=metrics, first_week=first_week, last_week=last_week
    )
    weekly = WeeklyUsage(
        cube,
        acct_index,
        metric_index,
        _week_ends(as_of, W),
        _last_active(best, none, as_of, acct_index),
        first_week,
        last_week,
        partial_day=as_of if partial_share is not None else None,
        usage_end=usage_end,
    )
    return weekly, n_rows


def _pushdown_for(
    engine: sa.Engine, table: str, metrics: pd.DataFrame, *, as_of: pd.Timestamp, weeks: int
) -> PushdownQueries:
    """The rollup queries over the usage table ``table``, in the engine's dialect."""
    usage = sa.Table(table, sa.MetaData(), autoload_with=engine)
    return pushdown_queries(
        usage,
        engine.dialect.name,
        as_of=as_of,
        weeks=weeks,
        metric_names=metrics["metric"].astype(str).tolist(),
        activity_metrics=metrics.loc[
            metrics["category"].isin(ACTIVITY_CATEGORIES).to_numpy(), "metric"
        ].tolist(),
    )


def _from_usage_table(
    conn: sa.Connection,
    queries: PushdownQueries,
    acct_index: pd.Index,
    metrics: pd.DataFrame,
    weeks: int,
    none: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple, int]:
    """As :func:`_from_weekly_table`, from the daily usage rows rolled up by the database
    (``queries``: :func:`pushdown_queries`); ``none`` marks an account never active."""
    A, M, W = len(acct_index), len(metrics), weeks
    metric_index = pd.Index(metrics["metric"])
    activity = metrics["category"].isin(ACTIVITY_CATEGORIES).to_numpy()
    rows = _fetch(
        conn, queries.weekly, ["account_id", "metric", "week_back", "total", "n", "active"]
    )
    n_rows = len(rows)
    a = acct_index.get_indexer(rows["account_id"].astype(str))
    m = metric_index.get_indexer(rows["metric"].astype(str))
    ok = (a >= 0) & (m >= 0)
    a, m = a[ok], m[ok]
    # Slot 0 of each account: rows before the window (filled below), then one per week.
    week = W - rows["week_back"].to_numpy(dtype=np.int64)[ok]
    flat = (a * (W + 1) + week) * M + m
    size = A * (W + 1) * M
    sums = np.bincount(
        flat, weights=rows["total"].to_numpy(dtype=float)[ok], minlength=size
    ).reshape(A, W + 1, M)
    counts = np.bincount(flat, weights=rows["n"].to_numpy(dtype=float)[ok], minlength=size).reshape(
        A, W + 1, M
    )
    # Last active day: the fewest days before as-of with an activity reading above zero.
    act = rows["active"].to_numpy(dtype=float)[ok]
    is_act = activity[m] & ~np.isnan(act)
    best = np.full(A, none, dtype=np.int64)
    np.minimum.at(best, a[is_act], act[is_act].astype(np.int64))
    quiet = np.nonzero(best == none)[0]
    # A second pass, over all history, for accounts inactive all window (usually few).
    for chunk in range(0, len(quiet), _IN_LIST):
        ids = acct_index[quiet[chunk : chunk + _IN_LIST]].astype(str).tolist()
        before = _fetch(conn, queries.last(ids), ["account_id", "days_before"])
        pos = acct_index.get_indexer(before["account_id"].astype(str))
        best[pos[pos >= 0]] = before["days_before"].to_numpy(dtype=np.int64)[pos >= 0]
    days = _fetch(conn, queries.days, ["account_id", "metric", "day_back", "total", "n"])
    day_rows = (
        acct_index.get_indexer(days["account_id"].astype(str)),
        metric_index.get_indexer(days["metric"].astype(str)),
        days["day_back"].to_numpy(dtype=np.int64),
        days["total"].to_numpy(dtype=float),
        days["n"].to_numpy(dtype=float),
    )
    return sums, counts, best, day_rows, n_rows


def _leave_out_partial_day(
    sums: np.ndarray, counts: np.ndarray, day_rows: tuple, metrics: pd.DataFrame, weeks: int
):
    """The as-of day's share of its metrics' rows (:func:`_partial_share`, from the test days'
    rows); when it is partial the day is subtracted from the last week, in place, as in
    rollup_arrays (its activity still counts for the last active day)."""
    M, W = len(metrics), weeks
    day_a, day_m, day_back, day_total, day_n = day_rows
    dok = (day_a >= 0) & (day_m >= 0)
    da, dm = day_a[dok], day_m[dok]
    row = (day_back[dok] == 7).astype(np.intp)
    day_slot = row * M + dm
    day_totals, day_counts = day_total[dok], day_n[dok]
    partial_share = _partial_share(
        np.bincount(day_slot, weights=day_totals, minlength=2 * M).reshape(2, M),
        np.bincount(day_slot, weights=day_counts, minlength=2 * M).reshape(2, M),
        metrics,
    )
    if partial_share is not None and W > 0:
        # Left out of the weekly figures, as in rollup_arrays (its activity still counts
        # for the last active day): subtract the last day from the last week.
        on_last = row == 0
        cell = (da[on_last] * (W + 1) + W) * M + dm[on_last]
        np.subtract.at(sums.reshape(-1), cell, day_totals[on_last])
        np.subtract.at(counts.reshape(-1), cell, day_counts[on_last])
    return partial_share


def _mark_rows_before_window(
    conn: sa.Connection,
    queries: PushdownQueries,
    has_rows: np.ndarray,
    start_week: np.ndarray,
    acct_index: pd.Index,
    weeks: int,
) -> None:
    """Mark slot 0 of ``has_rows`` (in place) for the accounts with rows before the window.

    Rows before the window matter only where the window's first row comes after both the
    window's start and the contract's: a third pass for those accounts (few)."""
    W = weeks
    in_window = has_rows[:, 1:]
    first_in_window = np.where(in_window.any(axis=1), in_window.argmax(axis=1), W)
    late = np.nonzero((first_in_window > start_week) & (start_week < W))[0]
    for chunk in range(0, len(late), _IN_LIST):
        ids = acct_index[late[chunk : chunk + _IN_LIST]].astype(str).tolist()
        earlier = _fetch(conn, queries.older(ids), ["account_id"])
        has_rows[acct_index.get_indexer(earlier["account_id"].astype(str)), 0] = True
