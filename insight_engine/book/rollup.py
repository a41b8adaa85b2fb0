"""Daily usage → weekly usage per account and metric: an accounts × weeks × metrics array.

Weeks end on the as-of date: week ``W-1`` is the seven days ending on as-of, week ``W-2`` the
seven before, and so on. Each metric's catalog ``aggregation`` says how days add up: ``sum`` for
counts (the default for adoption metrics), ``mean`` for levels (outcome, configuration, seats).

**Coverage.** An account has data from its *first covered week*: the later of the week of its
first usage row (any metric, any value, in or before the window) and the week its contract
started (when known). Weeks before it are *no data* (NaN), never zero: a one-day snapshot is one
week of data, not a year of zeros. Inside the covered span a summed metric with no rows is 0
(real inactivity); a level metric with no reading stays NaN.

Two implementations give identical results:

- :func:`rollup_arrays` — in memory, with integer indexing (``np.bincount`` on a flat
  account × week × metric index) rather than a multi-key ``groupby``;
- :func:`insight_engine.book.warehouse.rollup_sql` — pushed down to the database through
  SQLAlchemy Core, so only accounts × weeks × metrics rows come back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "SUM_CATEGORIES",
    "WeeklyUsage",
    "aggregations",
    "find_artefacts",
    "rollup_arrays",
]

SUM_CATEGORIES = ("adoption",)
ACTIVITY_CATEGORIES = ("adoption", "seats")


@dataclass
class WeeklyUsage:
    """Weekly usage of a book.

    Attributes
    ----------
    values : numpy.ndarray
        Shape (accounts, weeks, metrics); NaN where the account has no data for the week
        (before its first covered week, or a level metric with no reading).
    account_ids : pandas.Index
        Row order of ``values`` (the order of ``accounts``).
    metrics : pandas.Index
        Metric keys, in catalog order.
    week_ends : pandas.DatetimeIndex
        The last day of each week; the last one is the as-of date.
    last_active : pandas.Series
        Per account, the last day with any activity (adoption or seat metric above zero); NaT if none.
    first_week : numpy.ndarray of int, optional
        Per account, the position of its first covered week (see the module docstring); the
        number of weeks when the account has no usage at all. Derived from ``values`` (the
        first week with any value) when not given, for cubes built by hand.
    last_week : int, optional
        The position of the book's last week with any usage row: the last week when usage runs
        to the as-of date. Later weeks (an as-of date set after the usage export ends, to bring
        later tickets into view) are no data for every account, never a week of zeros.
    """

    values: np.ndarray
    account_ids: pd.Index
    metrics: pd.Index
    week_ends: pd.DatetimeIndex
    last_active: pd.Series
    first_week: np.ndarray | None = None
    last_week: int | None = None
    partial_day: pd.Timestamp | None = None
    usage_end: pd.Timestamp | None = None
    _artefacts: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        has = ~np.isnan(self.values).all(axis=2)
        W = self.values.shape[1]
        if self.first_week is None:
            self.first_week = np.where(has.any(axis=1), has.argmax(axis=1), W).astype(np.int64)
        if self.last_week is None:
            self.last_week = _last_week(has.any(axis=0))

    def artefacts(self) -> np.ndarray:
        """(accounts, weeks, metrics) mask of weeks that look like data artefacts against the
        account's own history (:func:`find_artefacts`): a one-week spike or gap. Computed once."""
        if self._artefacts is None:
            self._artefacts = find_artefacts(self.values, self.covered)
        return self._artefacts

    def clean_values(self) -> np.ndarray:
        """``values`` with artefact weeks as no data (NaN): what window comparisons read."""
        mask = self.artefacts()
        return np.where(mask, np.nan, self.values) if mask.any() else self.values

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.values.shape  # type: ignore[return-value]

    @property
    def weeks_with_data(self) -> np.ndarray:
        """Per account, how many weeks (up to this one) it has usage data for: 0 if none.

        A first week that is only partly covered (a one-day snapshot) counts as a week.
        """
        return np.maximum(self.last_week + 1 - self.first_week, 0)

    @property
    def covered(self) -> np.ndarray:
        """(accounts, weeks) mask: True from each account's first covered week to the book's last."""
        weeks = np.arange(self.values.shape[1])[None, :]
        return (weeks >= self.first_week[:, None]) & (weeks <= self.last_week)

    @property
    def data_end(self) -> pd.Timestamp:
        """The last day of usage on record: "now", for how long an account has been quiet (the
        as-of date itself when usage runs to it); the end of the last covered week when the
        rollup was not told the exact day."""
        if self.usage_end is not None and not pd.isna(self.usage_end):
            return min(pd.Timestamp(self.usage_end), self.week_ends[-1])
        return self.week_ends[max(self.last_week, 0)]

    @property
    def weeks_covered(self) -> int:
        """The book's coverage: the most weeks of usage data any account has (0 if none)."""
        return int(self.weeks_with_data.max(initial=0))

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


ARTEFACT_MIN_WEEKS = 6  # weeks of an account's own history before a week can look odd
ARTEFACT_FACTOR = 3.0  # a spike is 3x its neighbours and its usual level; a gap a third
ARTEFACT_MADS = 6.0  # ...and this many robust deviations from the usual level


def _median_axis1(x: np.ndarray) -> np.ndarray:
    """Median along axis 1 ignoring NaN, by one sort (np.nanmedian is slow on many short series)."""
    s = np.sort(x, axis=1)  # NaN last
    n = (~np.isnan(x)).sum(axis=1, keepdims=True)
    lo = np.take_along_axis(s, np.maximum((n - 1) // 2, 0), axis=1)
    hi = np.take_along_axis(s, np.maximum(n // 2, 0), axis=1)
    return np.where(n > 0, (lo + hi) / 2, np.nan)


def find_artefacts(values: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Weeks that look like data artefacts rather than behaviour, per account and metric.

    A week is a **spike** when it is at least 3× both neighbouring weeks (the previous one only,
    for the last week) and 3× the account's own median of the metric, and more than 6 robust
    deviations (1.4826 × MAD; at least a tenth of the median and its square root, the noise of
    a count) above it — e.g. one day of a bulk
    import inside a week of normal readings. It is a **gap** when it is at most a third of both
    neighbours (which are themselves usual) and of the median, and as many deviations below it —
    one week with no readings
    between normal ones. The last week is never a gap (it cannot be told from a stop), and an
    account needs ``ARTEFACT_MIN_WEEKS`` weeks of its own before anything looks odd. A real
    change (a step up that holds, a stop that lasts) is never isolated, so it is never flagged.

    Parameters
    ----------
    values : numpy.ndarray
        (accounts, weeks, metrics) weekly usage.
    covered : numpy.ndarray of bool
        (accounts, weeks): the weeks each account's usage covers.

    Returns
    -------
    numpy.ndarray of bool
        (accounts, weeks, metrics), True for an artefact week.
    """
    W = values.shape[1]
    out = np.zeros(values.shape, dtype=bool)
    if W < 3 or values.size == 0:
        return out
    x = np.where(covered[:, :, None], values, np.nan)
    med = _median_axis1(x)  # (A, 1, M)
    mad = _median_axis1(np.abs(x - med))
    # Robust deviation, at least a tenth of the level and the count noise of the level (its
    # square root), so a small count's ordinary ups and downs (1 brief, then 3) are never odd.
    with np.errstate(invalid="ignore"):
        scale = np.fmax(np.fmax(1.4826 * mad, 0.1 * med), np.sqrt(np.abs(med)))
    enough = (~np.isnan(x)).sum(axis=1, keepdims=True) >= ARTEFACT_MIN_WEEKS
    f = ARTEFACT_FACTOR
    # A spike is at least f x the median and a gap at most a third of it: only those weeks (a
    # few per cent of the cells) are checked against their neighbours and the deviation, one
    # flat array each, instead of every test on every cell of accounts x weeks x metrics.
    with np.errstate(invalid="ignore"):
        odd = (enough & (med > 0)) & ((x >= f * med) | (x <= med / f))
    a, w, m = np.nonzero(odd)
    if not len(a):
        return out
    level, spread, here = med[a, 0, m], scale[a, 0, m], x[a, w, m]
    last = w == W - 1
    prev = np.where(w > 0, x[a, np.maximum(w - 1, 0), m], np.nan)
    nxt = np.where(last, np.nan, x[a, np.minimum(w + 1, W - 1), m])
    with np.errstate(invalid="ignore"):
        neighbours_high = np.where(last, f * prev, f * np.fmax(prev, nxt))
        spike = (
            (here >= neighbours_high)
            & (here >= f * level)
            & (here > level + ARTEFACT_MADS * spread)
            & ~np.isnan(prev)
        )
        usual_prev = prev >= level * (1 - 1 / f)
        usual_next = nxt >= level * (1 - 1 / f)
        gap = (
            (here <= level / f)
            & (here < level - ARTEFACT_MADS * spread)
            & (here <= np.fmin(prev, nxt) / f)
            & usual_prev
            & usual_next
            & ~last
        )
    out[a, w, m] = spike | gap
    return out


def _complete_weeks(last_week: int, as_of: pd.Timestamp, usage_end, weeks: int) -> int:
    """The last week to keep: not after the last week with rows, and, when usage ends before
    the as-of date, not a week that runs past its last day (two days of a week are no week)."""
    if usage_end is None or pd.isna(usage_end) or pd.Timestamp(usage_end) >= as_of:
        return last_week
    gap = (as_of - pd.Timestamp(usage_end)).days
    return min(last_week, weeks - 1 - -(-gap // 7))


def _last_week(any_rows: np.ndarray) -> int:
    """Position of the last True week (the last week when there is none: nothing to cut)."""
    W = len(any_rows)
    return int(W - 1 - any_rows[::-1].argmax()) if any_rows.any() else W - 1


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
    first_week: np.ndarray,
    last_week: int,
) -> np.ndarray:
    """Sum or mean per metric; NaN before each account's first covered week; within the covered
    span a summed metric with no rows is 0 (real inactivity), a level with no reading NaN."""
    is_sum = (aggregations(metrics) == "sum")[None, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / counts
    values = np.where(is_sum, sums, mean)
    values = np.where(counts > 0, values, np.nan)
    W = values.shape[1]
    weeks = np.arange(W)[None, :]
    covered = ((weeks >= first_week[:, None]) & (weeks <= last_week))[:, :, None]
    values = np.where(is_sum & covered & np.isnan(values), 0.0, values)
    return np.where(covered, values, np.nan)


def _start_weeks(accounts: pd.DataFrame, as_of: pd.Timestamp, weeks: int) -> np.ndarray:
    """Per account, the week its contract started (0 when before the window or unknown, ``weeks``
    when after as-of)."""
    if "contract_start" not in accounts:
        return np.zeros(len(accounts), dtype=np.int64)
    offset = (as_of - pd.to_datetime(accounts["contract_start"])).dt.days.to_numpy(
        dtype=float, na_value=np.nan
    )
    known = ~np.isnan(offset)
    week = weeks - 1 - np.floor_divide(np.where(known, offset, 0), 7)
    return np.where(known, np.clip(week, 0, weeks), 0).astype(np.int64)


def _first_weeks(has_rows: np.ndarray, start_week: np.ndarray) -> np.ndarray:
    """Per account, the first covered week: the later of its first row's week and its start week.

    Parameters
    ----------
    has_rows : numpy.ndarray of bool
        (accounts, weeks + 1): column 0 is "any row before the window", column k + 1 week k.
    start_week : numpy.ndarray of int
        From :func:`_start_weeks`.

    Returns
    -------
    numpy.ndarray of int
        ``weeks`` for an account with no rows at all.
    """
    W = has_rows.shape[1] - 1
    first_row = np.where(has_rows.any(axis=1), np.maximum(has_rows.argmax(axis=1) - 1, 0), W)
    return np.where(first_row < W, np.maximum(first_row, start_week), W).astype(np.int64)


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
    usage_end: pd.Timestamp | None = None,
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
        Number of weeks kept (older rows only tell that an account's data starts before them).
    usage_end : pandas.Timestamp, optional
        The last day with a usage row. When it is before ``as_of`` (an as-of date set later to
        see later tickets), weeks that run past it are no data, not a partial week of zeros.

    Returns
    -------
    WeeklyUsage
    """
    A, M, W = len(accounts), len(metrics), weeks
    # One slot per week, plus slot 0 for every row older than the window (it tells whether an
    # account's data starts before the window: its coverage).
    size = A * (W + 1) * M
    account_codes = np.asarray(account_codes)
    metric_codes = np.asarray(metric_codes)
    days_before = np.asarray(days_before)
    # Rows that count at all: known account and metric, not after as_of.
    counted = account_codes >= 0
    counted &= metric_codes >= 0
    counted &= days_before >= 0
    # A partial last day (an export pulled in the morning) is left out of the weekly figures; its
    # activity still counts for the last active day.
    partial_share = _partial_last_day(metric_codes, days_before, values, counted, metrics)
    in_cube = counted & (days_before != 0) if partial_share is not None else counted
    # The flat account x slot x metric index, built in place in the integer type bincount uses
    # (no hidden casts); rows that do not count go to one extra "sentinel" bucket.
    weeks_back = days_before // 7
    np.minimum(weeks_back, W, out=weeks_back)  # older than the window -> slot 0
    flat = np.multiply(account_codes, W + 1, dtype=np.intp)
    flat += W
    flat -= weeks_back
    del weeks_back
    flat *= M
    flat += metric_codes
    flat[~in_cube] = size
    sums = np.bincount(flat, weights=values, minlength=size + 1)[:size].reshape(A, W + 1, M)
    counts = np.bincount(flat, minlength=size + 1)[:size].reshape(A, W + 1, M)
    del flat
    has_rows = (counts > 0).any(axis=2)
    first_week = _first_weeks(has_rows, _start_weeks(accounts, as_of, W))
    last_week = _complete_weeks(_last_week(has_rows[:, 1:].any(axis=0)), as_of, usage_end, W)
    cube = _finish(
        sums[:, 1:], counts[:, 1:], metrics=metrics, first_week=first_week, last_week=last_week
    )
    del sums, counts
    # Last active day per account, from a small accounts x days grid (no per-row ufunc.at).
    is_activity = np.isin(metrics["category"].to_numpy(), ACTIVITY_CATEGORIES)
    active_rows = counted
    active_rows &= values > 0
    active_rows &= np.append(is_activity, False)[metric_codes]  # code -1 reads the False slot
    horizon = int(min(max(int(days_before.max(initial=0)), 0) + 1, 3660))  # ten years at most
    active_rows &= days_before < horizon
    # One flat scatter (inactive rows go to a sentinel cell) instead of two masked copies and a
    # 2-D fancy assignment: a third of the time on 30 million rows.
    cell = np.multiply(account_codes, horizon, dtype=np.intp)
    cell += days_before
    cell[~active_rows] = A * horizon
    grid = np.zeros(A * horizon + 1, dtype=bool)
    grid[cell] = True
    grid = grid[:-1].reshape(A, horizon)
    none = np.iinfo(np.int64).max
    best = np.where(grid.any(axis=1), grid.argmax(axis=1), none).astype(np.int64)
    last_active = _last_active(best, none, as_of, pd.Index(accounts["account_id"]))
    return WeeklyUsage(
        cube,
        pd.Index(accounts["account_id"]),
        pd.Index(metrics["metric"]),
        _week_ends(as_of, W),
        last_active,
        first_week,
        last_week,
        partial_day=as_of if partial_share is not None else None,
        usage_end=usage_end,
    )


PARTIAL_DAY_SHARE = 0.6  # the last day below this share of the same weekday a week before


def _partial_last_day(
    metric_codes: np.ndarray,
    days_before: np.ndarray,
    values: np.ndarray,
    counted: np.ndarray,
    metrics: pd.DataFrame,
) -> float | None:
    """The last day's usage as a share of the same weekday a week before, when it looks partial
    (below ``PARTIAL_DAY_SHARE`` across the book: the median over metrics of the day's total, or
    mean level, against a week before); None when the last day looks whole or cannot be told.

    Reads only the rows of the last 8 days (a small subset), book-wide: a single account's quiet
    day is behaviour, every account's is an export pulled before the day ended.
    """
    M = len(metrics)
    recent = np.nonzero(counted & (days_before < 8))[0]
    if len(recent) == 0 or M == 0:
        return None
    slot = days_before[recent] * M + metric_codes[recent]
    totals = np.bincount(slot, weights=values[recent], minlength=8 * M).reshape(8, M)
    counts = np.bincount(slot, minlength=8 * M).reshape(8, M)
    return _partial_share(totals[[0, 7]], counts[[0, 7]], metrics)


def _partial_share(totals: np.ndarray, counts: np.ndarray, metrics: pd.DataFrame) -> float | None:
    """The partial-day test on (2, M) totals and row counts: row 0 the last day, row 1 the same
    weekday a week before (shared by the in-memory and the SQL rollups, so both decide alike)."""
    is_sum = aggregations(metrics) == "sum"
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.where(is_sum[None, :], totals, totals / counts)
    ok = (counts[0] > 0) & (counts[1] > 0) & (level[1] > 0)
    if not ok.any():
        return None
    share = float(np.median(level[0, ok] / level[1, ok]))
    return share if share < PARTIAL_DAY_SHARE else None


def _last_active(best: np.ndarray, none: int, as_of: pd.Timestamp, index: pd.Index) -> pd.Series:
    out = np.full(len(best), np.datetime64("NaT"), dtype="datetime64[ns]")
    has = best != none
    out[has] = as_of.to_datetime64() - best[has].astype("timedelta64[D]")
    return pd.Series(out, index=index)


def __getattr__(name: str):
    # rollup_sql lives in book/warehouse.py (the SQL push-down); the old import path still works.
    if name == "rollup_sql":
        from insight_engine.book.warehouse import rollup_sql

        return rollup_sql
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
