"""Daily usage → weekly usage per account and metric: an accounts × weeks × metrics array.

Weeks end on the as-of date: week ``W-1`` is the seven days ending on as-of, week ``W-2`` the
seven before, and so on. Each metric's catalog ``aggregation`` says how days add up: ``sum`` for
counts (the default for adoption metrics), ``mean`` for levels (outcome, configuration, seats).

Two implementations give identical results:

- :func:`rollup_arrays` — in memory, with integer indexing (``np.bincount`` on a flat
  account × week × metric index) rather than a multi-key ``groupby``;
- :func:`rollup_sql` — pushed down to the database through SQLAlchemy Core, so only
  accounts × weeks × metrics rows come back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

__all__ = ["SUM_CATEGORIES", "WeeklyUsage", "aggregations", "rollup_arrays", "rollup_sql"]

SUM_CATEGORIES = ("adoption",)
ACTIVITY_CATEGORIES = ("adoption", "seats")


@dataclass
class WeeklyUsage:
    """Weekly usage of a book.

    Attributes
    ----------
    values : numpy.ndarray
        Shape (accounts, weeks, metrics); NaN where the account has no data for the week
        (before its contract started, or a level metric with no reading).
    account_ids : pandas.Index
        Row order of ``values`` (the order of ``accounts``).
    metrics : pandas.Index
        Metric keys, in catalog order.
    week_ends : pandas.DatetimeIndex
        The last day of each week; the last one is the as-of date.
    last_active : pandas.Series
        Per account, the last day with any activity (adoption or seat metric above zero); NaT if none.
    """

    values: np.ndarray
    account_ids: pd.Index
    metrics: pd.Index
    week_ends: pd.DatetimeIndex
    last_active: pd.Series

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.values.shape  # type: ignore[return-value]

    def metric(self, metric: str) -> np.ndarray:
        """(accounts, weeks) array for one metric."""
        return self.values[:, :, self.metrics.get_loc(metric)]

    def account_frame(self, account_id: str) -> pd.DataFrame:
        """Weeks × metrics table for one account (index: week end)."""
        i = self.account_ids.get_loc(account_id)
        return pd.DataFrame(self.values[i], index=self.week_ends, columns=self.metrics)

    def to_frame(self) -> pd.DataFrame:
        """Long table: account_id, week_end, metric, value (NaN rows left out)."""
        _A, W, M = self.values.shape
        flat = self.values.reshape(-1)
        keep = ~np.isnan(flat)
        idx = np.nonzero(keep)[0]
        a, rem = np.divmod(idx, W * M)
        w, m = np.divmod(rem, M)
        return pd.DataFrame(
            {
                "account_id": pd.Categorical.from_codes(a, categories=self.account_ids),
                "week_end": self.week_ends[w],
                "metric": pd.Categorical.from_codes(m, categories=self.metrics),
                "value": flat[idx],
            }
        )


def _week_ends(as_of: pd.Timestamp, weeks: int) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([as_of - pd.Timedelta(days=7 * (weeks - 1 - k)) for k in range(weeks)])


def aggregations(metrics: pd.DataFrame) -> np.ndarray:
    """Per metric, ``sum`` or ``mean`` (the catalog's ``aggregation``, else by category)."""
    default = np.where(metrics["category"].isin(SUM_CATEGORIES), "sum", "mean")
    if "aggregation" not in metrics:
        return default
    given = metrics["aggregation"].astype("string").str.strip().str.lower()
    valid = given.isin(["sum", "mean"]).fillna(False).to_numpy(dtype=bool)
    return np.where(valid, given.fillna("").to_numpy(dtype=object), default).astype(str)


def _finish(
    sums: np.ndarray,
    counts: np.ndarray,
    *,
    metrics: pd.DataFrame,
    start_week: np.ndarray,
) -> np.ndarray:
    """Sum or mean per metric; summed weeks with no rows after the contract started are 0."""
    is_sum = (aggregations(metrics) == "sum")[None, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / counts
    values = np.where(is_sum, sums, mean)
    values = np.where(counts > 0, values, np.nan)
    W = values.shape[1]
    after_start = (np.arange(W)[None, :] >= start_week[:, None])[:, :, None]
    return np.where(is_sum & after_start & np.isnan(values), 0.0, values)


def _start_weeks(contract_start: pd.Series, as_of: pd.Timestamp, weeks: int) -> np.ndarray:
    offset = (as_of - pd.to_datetime(contract_start)).dt.days.to_numpy()
    return np.clip(weeks - 1 - offset // 7, 0, weeks).astype(np.int64)


def rollup_arrays(
    account_codes: np.ndarray,
    metric_codes: np.ndarray,
    days_before: np.ndarray,
    values: np.ndarray,
    *,
    accounts: pd.DataFrame,
    metrics: pd.DataFrame,
    as_of: pd.Timestamp,
    weeks: int = 52,
) -> WeeklyUsage:
    """Roll daily usage up to weeks with integer indexing.

    Parameters
    ----------
    account_codes : numpy.ndarray of int
        Position of each row's account in ``accounts`` (−1 = unknown, ignored).
    metric_codes : numpy.ndarray of int
        Position of each row's metric in ``metrics``.
    days_before : numpy.ndarray of int
        ``as_of - date`` in days for each row.
    values : numpy.ndarray of float
        The usage values.
    accounts, metrics : pandas.DataFrame
        The validated accounts and metric catalog (their row order is the array order).
    as_of : pandas.Timestamp
        Last day of the last week.
    weeks : int
        Number of weeks kept (older rows are ignored).

    Returns
    -------
    WeeklyUsage
    """
    A, M, W = len(accounts), len(metrics), weeks
    size = A * W * M
    itype = np.int32 if size < 2**31 - 1 else np.int64
    days_before = np.asarray(days_before, dtype=itype)
    account_codes = np.asarray(account_codes, dtype=itype)
    metric_codes = np.asarray(metric_codes, dtype=itype)
    week = (W - 1) - days_before // 7
    valid = (days_before >= 0) & (week >= 0) & (account_codes >= 0) & (metric_codes >= 0)
    # Rows outside the window go to one extra "sentinel" bucket instead of being copied out.
    flat = np.where(valid, (account_codes * W + week) * M + metric_codes, size)
    sums = np.bincount(flat, weights=values, minlength=size + 1)[:size].reshape(A, W, M)
    counts = np.bincount(flat, minlength=size + 1)[:size].reshape(A, W, M)
    del flat, week, valid
    cube = _finish(
        sums, counts, metrics=metrics, start_week=_start_weeks(accounts["contract_start"], as_of, W)
    )
    # Last active day per account, from a small accounts x days grid (no per-row ufunc.at).
    categories = metrics["category"].to_numpy()
    is_activity = np.isin(categories, ACTIVITY_CATEGORIES)
    active_rows = (values > 0) & (account_codes >= 0) & (days_before >= 0) & (metric_codes >= 0)
    active_rows &= is_activity[np.clip(metric_codes, 0, M - 1)]
    horizon = int(min(days_before[active_rows].max(initial=0) + 1, 3660))
    grid = np.zeros((A, horizon), dtype=bool)
    keep = active_rows & (days_before < horizon)
    grid[account_codes[keep], days_before[keep]] = True
    none = np.iinfo(np.int64).max
    best = np.where(grid.any(axis=1), grid.argmax(axis=1), none).astype(np.int64)
    last_active = _last_active(best, none, as_of, pd.Index(accounts["account_id"]))
    return WeeklyUsage(
        cube,
        pd.Index(accounts["account_id"]),
        pd.Index(metrics["metric"]),
        _week_ends(as_of, W),
        last_active,
    )


def _last_active(best: np.ndarray, none: int, as_of: pd.Timestamp, index: pd.Index) -> pd.Series:
    out = np.full(len(best), np.datetime64("NaT"), dtype="datetime64[ns]")
    has = best != none
    out[has] = as_of.to_datetime64() - best[has].astype("timedelta64[D]")
    return pd.Series(out, index=index)


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

    Returns
    -------
    weekly : WeeklyUsage
    rows_returned : int
        How many rows the database sent back (≤ accounts × weeks × metrics).
    """
    usage = sa.Table(table, sa.MetaData(), autoload_with=engine)
    days_before = _days_before_expr(engine.dialect.name, as_of, usage.c.date).label("days_before")
    inner = (
        sa.select(usage.c.account_id, usage.c.metric, days_before, usage.c.value)
        .where(
            usage.c.value.is_not(None), usage.c.value >= 0
        )  # negative rows are reported, not summed
        .subquery()
    )
    week_back = sa.cast(sa.func.floor(inner.c.days_before / 7.0), sa.Integer).label("week_back")
    in_window = sa.and_(inner.c.days_before >= 0, inner.c.days_before < weeks * 7)
    query = (
        sa.select(
            inner.c.account_id,
            inner.c.metric,
            week_back,
            sa.func.sum(inner.c.value).label("total"),
            sa.func.count(inner.c.value).label("n"),
        )
        .where(in_window)
        .group_by(inner.c.account_id, inner.c.metric, week_back)
    )
    activity_metrics = metrics.loc[metrics["category"].isin(ACTIVITY_CATEGORIES), "metric"].tolist()
    last_query = (
        sa.select(inner.c.account_id, sa.func.min(inner.c.days_before).label("days_before"))
        .where(inner.c.days_before >= 0, inner.c.value > 0, inner.c.metric.in_(activity_metrics))
        .group_by(inner.c.account_id)
    )
    with engine.connect() as conn:
        rows = pd.DataFrame(
            conn.execute(query).all(), columns=["account_id", "metric", "week_back", "total", "n"]
        )
        last = pd.DataFrame(conn.execute(last_query).all(), columns=["account_id", "days_before"])
    A, M, W = len(accounts), len(metrics), weeks
    acct_index = pd.Index(accounts["account_id"])
    metric_index = pd.Index(metrics["metric"])
    a = acct_index.get_indexer(rows["account_id"].astype(str))
    m = metric_index.get_indexer(rows["metric"].astype(str))
    ok = (a >= 0) & (m >= 0)
    week = (W - 1) - rows["week_back"].to_numpy(dtype=np.int64)
    flat = (a[ok] * W + week[ok]) * M + m[ok]
    sums = np.bincount(
        flat, weights=rows["total"].to_numpy(dtype=float)[ok], minlength=A * W * M
    ).reshape(A, W, M)
    counts = np.bincount(
        flat, weights=rows["n"].to_numpy(dtype=float)[ok], minlength=A * W * M
    ).reshape(A, W, M)
    cube = _finish(
        sums, counts, metrics=metrics, start_week=_start_weeks(accounts["contract_start"], as_of, W)
    )
    none = np.iinfo(np.int64).max
    best = np.full(A, none)
    pos = acct_index.get_indexer(last["account_id"].astype(str))
    best[pos[pos >= 0]] = last["days_before"].to_numpy(dtype=np.int64)[pos >= 0]
    last_active = _last_active(best, none, as_of, acct_index)
    return WeeklyUsage(cube, acct_index, metric_index, _week_ends(as_of, W), last_active), len(rows)
