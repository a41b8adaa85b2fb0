"""The team's warehouse as the engine: daily usage rolled up to weeks inside the database.

:func:`rollup_sql` builds the push-down with SQLAlchemy Core, so only accounts × weeks × metrics
rows come back; it gives the same :class:`~insight_engine.book.rollup.WeeklyUsage` as the
in-memory :func:`~insight_engine.book.rollup.rollup_arrays`.
"""

from __future__ import annotations

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

__all__ = ["rollup_sql"]

_IN_LIST = 5_000  # ids per IN (...) list in a follow-up query (SQLite allows 32,766 parameters)


def _fetch(conn: sa.Connection, query: sa.Select, columns: list[str]) -> pd.DataFrame:
    """A query's rows as a DataFrame; on PostgreSQL streamed with COPY as CSV and parsed by Arrow.

    Building 900k Python tuples through the driver took longer than the query itself.
    """
    if conn.dialect.name != "postgresql":
        return pd.DataFrame(conn.execute(query).all(), columns=columns)
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
        data = b"".join(bytes(block) for block in copy)
    if not data:
        return pd.DataFrame(columns=columns)
    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=columns),
        convert_options=pacsv.ConvertOptions(
            column_types={"account_id": pa.string(), "metric": pa.string(), "active": pa.float64()}
        ),
    ).to_pandas()


def _days_before_expr(
    dialect: str, as_of: pd.Timestamp, date_col: sa.ColumnElement
) -> sa.ColumnElement:
    literal = f"{as_of:%Y-%m-%d}"
    if dialect == "sqlite":
        return sa.cast(sa.func.julianday(literal) - sa.func.julianday(date_col), sa.Integer)
    if dialect == "postgresql":
        return sa.cast(sa.literal(literal), sa.Date) - sa.cast(date_col, sa.Date)
    # Other dialects: DATEDIFF-style where available.
    return sa.func.datediff(sa.literal(literal), date_col)


def rollup_sql(
    engine: sa.Engine,
    *,
    accounts: pd.DataFrame,
    metrics: pd.DataFrame,
    as_of: pd.Timestamp,
    weeks: int = 52,
    table: str = "usage",
    usage_end: pd.Timestamp | None = None,
) -> tuple[WeeklyUsage, int]:
    """Roll usage up in the database; only accounts × weeks × metrics rows come back.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Where the ``usage`` table lives (SQLite and PostgreSQL are tested).
    accounts, metrics : pandas.DataFrame
        Validated accounts and metric catalog.
    as_of : pandas.Timestamp
        Last day of the last week.
    weeks : int
        Weeks kept.
    table : str
        Name of the usage table.
    usage_end : pandas.Timestamp, optional
        As for :func:`rollup_arrays`.

    Returns
    -------
    weekly : WeeklyUsage
    rows_returned : int
        How many rows the database sent back (≤ accounts × weeks × metrics).
    """
    usage = sa.Table(table, sa.MetaData(), autoload_with=engine)
    dialect = engine.dialect.name
    days_before = _days_before_expr(dialect, as_of, usage.c.date)
    counted = [usage.c.value.is_not(None), usage.c.value >= 0]  # negatives are reported, not summed
    if dialect == "postgresql" and isinstance(usage.c.date.type, sa.Date):
        # A typed date column is filtered on itself, so an index on it can be used and the
        # day arithmetic runs only on rows that count. (SQLite keeps dates as text, where
        # '2025-03-04 00:00' sorts after '2025-03-04': there the arithmetic decides.)
        counted.append(usage.c.date <= as_of.date())
        window = [usage.c.date > (as_of - pd.Timedelta(days=weeks * 7)).date()]
    else:
        counted.append(days_before >= 0)
        window = [days_before < weeks * 7]
    # Integer division (days are never negative here): no float or numeric arithmetic per row.
    week_back = (days_before // 7).label("week_back")
    query = (
        sa.select(
            usage.c.account_id,
            usage.c.metric,
            week_back,
            sa.func.sum(usage.c.value).label("total"),
            sa.func.count(usage.c.value).label("n"),
            # Last active day, in the same pass: the earliest "days before" with a reading > 0
            sa.func.min(days_before).filter(usage.c.value > 0).label("active"),
        )
        .where(*counted, *window)
        .group_by(usage.c.account_id, usage.c.metric, week_back)
    )
    activity_metrics = metrics.loc[metrics["category"].isin(ACTIVITY_CATEGORIES), "metric"].tolist()

    def last_query(account_ids: list[str]) -> sa.Select:
        """Last active day, over all history, for accounts with no activity in the window."""
        return (
            sa.select(usage.c.account_id, sa.func.min(days_before).label("days_before"))
            .where(
                *counted,
                usage.c.value > 0,
                usage.c.metric.in_(activity_metrics),
                usage.c.account_id.in_(account_ids),
            )
            .group_by(usage.c.account_id)
        )

    if dialect == "postgresql" and isinstance(usage.c.date.type, sa.Date):
        older = [usage.c.date <= (as_of - pd.Timedelta(days=weeks * 7)).date()]
    else:
        older = [days_before >= weeks * 7]

    def older_query(account_ids: list[str]) -> sa.Select:
        """Which of these accounts have a usage row before the window (their data starts earlier)."""
        return (
            sa.select(usage.c.account_id)
            .where(
                *counted,
                *older,
                usage.c.metric.in_(metrics["metric"].astype(str).tolist()),
                usage.c.account_id.in_(account_ids),
            )
            .distinct()
        )

    # The last day and the same weekday a week before, per account and metric: the partial
    # last day test of rollup_arrays, on at most accounts x metrics x 2 rows.
    day_back = days_before.label("day_back")
    days_query = (
        sa.select(
            usage.c.account_id,
            usage.c.metric,
            day_back,
            sa.func.sum(usage.c.value).label("total"),
            sa.func.count(usage.c.value).label("n"),
        )
        .where(*counted, days_before.in_([0, 7]))
        .group_by(usage.c.account_id, usage.c.metric, day_back)
    )

    A, M, W = len(accounts), len(metrics), weeks
    acct_index = pd.Index(accounts["account_id"])
    metric_index = pd.Index(metrics["metric"])
    start_week = _start_weeks(accounts, as_of, W)
    with engine.connect() as conn:
        if dialect == "postgresql":
            # For this transaction only: just-in-time compilation costs about a second and saves
            # nothing on one aggregate pass; at the default 4 MB the hash aggregate spills about
            # 100 MB to disk (M book), 128 MB keeps it in memory (4.3-5.5 s -> 3.5 s measured).
            conn.exec_driver_sql("SET LOCAL jit = off")
            conn.exec_driver_sql("SET LOCAL work_mem = '128MB'")
        rows = _fetch(conn, query, ["account_id", "metric", "week_back", "total", "n", "active"])
        is_activity = rows["metric"].isin(activity_metrics) & rows["active"].notna()
        last = (
            rows.loc[is_activity]
            .groupby("account_id", as_index=False)["active"]
            .min()
            .rename(columns={"active": "days_before"})
        )
        quiet = sorted(set(accounts["account_id"].astype(str)) - set(last["account_id"]))
        if quiet:  # a second pass only for accounts inactive all window (usually few or none)
            before = _fetch(conn, last_query(quiet), ["account_id", "days_before"])
            last = pd.concat([last, before], ignore_index=True)
        a = acct_index.get_indexer(rows["account_id"].astype(str))
        m = metric_index.get_indexer(rows["metric"].astype(str))
        ok = (a >= 0) & (m >= 0)
        # Slot 0 of each account: rows before the window (filled below), then one per week.
        week = W - rows["week_back"].to_numpy(dtype=np.int64)
        flat = (a[ok] * (W + 1) + week[ok]) * M + m[ok]
        size = A * (W + 1) * M
        sums = np.bincount(
            flat, weights=rows["total"].to_numpy(dtype=float)[ok], minlength=size
        ).reshape(A, W + 1, M)
        counts = np.bincount(
            flat, weights=rows["n"].to_numpy(dtype=float)[ok], minlength=size
        ).reshape(A, W + 1, M)
        days = _fetch(conn, days_query, ["account_id", "metric", "day_back", "total", "n"])
        da = acct_index.get_indexer(days["account_id"].astype(str))
        dm = metric_index.get_indexer(days["metric"].astype(str))
        dok = (da >= 0) & (dm >= 0)
        row = (days["day_back"].to_numpy(dtype=np.int64) == 7).astype(np.intp)
        day_slot = row[dok] * M + dm[dok]
        day_totals = days["total"].to_numpy(dtype=float)[dok]
        day_counts = days["n"].to_numpy(dtype=float)[dok]
        partial_share = _partial_share(
            np.bincount(day_slot, weights=day_totals, minlength=2 * M).reshape(2, M),
            np.bincount(day_slot, weights=day_counts, minlength=2 * M).reshape(2, M),
            metrics,
        )
        if partial_share is not None and W > 0:
            # Left out of the weekly figures, as in rollup_arrays (its activity still counts
            # for the last active day): subtract the last day from the last week.
            on_last = row[dok] == 0
            cell = (da[dok][on_last] * (W + 1) + W) * M + dm[dok][on_last]
            np.subtract.at(sums.reshape(-1), cell, day_totals[on_last])
            np.subtract.at(counts.reshape(-1), cell, day_counts[on_last])
        has_rows = (counts > 0).any(axis=2)
        # Rows before the window matter only where the window's first row comes after both the
        # window's start and the contract's: a third pass for those accounts (usually few).
        in_window = has_rows[:, 1:]
        first_in_window = np.where(in_window.any(axis=1), in_window.argmax(axis=1), W)
        late = np.nonzero((first_in_window > start_week) & (start_week < W))[0]
        for chunk in range(0, len(late), _IN_LIST):
            ids = acct_index[late[chunk : chunk + _IN_LIST]].astype(str).tolist()
            earlier = _fetch(conn, older_query(ids), ["account_id"])
            has_rows[acct_index.get_indexer(earlier["account_id"].astype(str)), 0] = True
    first_week = _first_weeks(has_rows, start_week)
    last_week = _complete_weeks(_last_week(has_rows[:, 1:].any(axis=0)), as_of, usage_end, W)
    cube = _finish(
        sums[:, 1:], counts[:, 1:], metrics=metrics, first_week=first_week, last_week=last_week
    )
    none = np.iinfo(np.int64).max
    best = np.full(A, none)
    pos = acct_index.get_indexer(last["account_id"].astype(str))
    best[pos[pos >= 0]] = last["days_before"].to_numpy(dtype=np.int64)[pos >= 0]
    last_active = _last_active(best, none, as_of, acct_index)
    weekly = WeeklyUsage(
        cube,
        acct_index,
        metric_index,
        _week_ends(as_of, W),
        last_active,
        first_week,
        last_week,
        partial_day=as_of if partial_share is not None else None,
        usage_end=usage_end,
    )
    return weekly, len(rows)
