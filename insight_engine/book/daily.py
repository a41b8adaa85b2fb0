"""Daily usage summed per account × day × metric: the grid every as-of date's weekly cube is cut from.

The loader streams usage into a :class:`DailyGrid` one Arrow record batch at a time (the daily
rows are never held whole: a 30-million-row file is a grid of about 400 MB, not 1.2 GB of
columns and their copies), and :meth:`DailyGrid.weekly` cuts weeks ending on any as-of date from
it. A second as-of date on unchanged files is therefore a cut of the same grid, not a second read.

The cut gives what :func:`insight_engine.book.rollup.rollup_arrays` gives on the same rows (same
coverage, partial last day, last active day; tests/test_rollup.py checks the two agree).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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

__all__ = ["DailyGrid"]

MAX_CELLS = 120_000_000  # about 1.4 GB of grid: beyond it the rows are rolled up as they are
_HORIZON = 3660  # days: the last active day is looked for in ten years at most (as rollup_arrays)


class DailyGrid:
    """Sums and row counts per (account, day, metric) over the usage's days.

    Parameters
    ----------
    accounts : int
        Accounts (the grid's first axis, in the validated accounts' order).
    metrics : int
        Metrics (the last axis, in catalog order); :meth:`grow` adds more.
    first_day, last_day : int
        Days since 1970-01-01 the grid covers (inclusive).
    """

    def __init__(self, accounts: int, metrics: int, first_day: int, last_day: int) -> None:
        self.first_day = int(first_day)
        days = max(int(last_day) - self.first_day + 1, 0)
        self.sums = np.zeros((accounts, days, metrics))
        self.counts = np.zeros((accounts, days, metrics), dtype=np.int32)
        self._days: tuple[int | None, int | None] = (None, None)  # first and last day with rows

    @staticmethod
    def fits(accounts: int, metrics: int, first_day: int, last_day: int, rows: int) -> bool:
        """True when a grid is worth it: no bigger than ``MAX_CELLS`` nor than a few cells a row
        (a sparse book with years of history is rolled up from its rows instead)."""
        cells = accounts * max(last_day - first_day + 1, 1) * max(metrics, 1)
        return cells <= MAX_CELLS and cells <= max(4 * rows, 1_000_000)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.sums.shape  # type: ignore[return-value]

    def grow(self, metrics: int) -> None:
        """Room for metrics first seen in a later batch (new ones go last, as in the catalog)."""
        extra = metrics - self.sums.shape[2]
        if extra > 0:
            pad = ((0, 0), (0, 0), (0, extra))
            self.sums = np.pad(self.sums, pad)
            self.counts = np.pad(self.counts, pad)

    def add(
        self,
        account_codes: np.ndarray,
        metric_codes: np.ndarray,
        days: np.ndarray,
        values: np.ndarray,
    ) -> None:
        """Add rows (account and metric positions, days since 1970-01-01, values); every row must
        be a kept one (known account and metric, a day inside the grid, a value ≥ 0)."""
        if not len(values):
            return
        lo_day, hi_day = int(days.min()), int(days.max())  # a small array each: no grid pass
        seen = self._days
        self._days = (
            lo_day if seen[0] is None else min(seen[0], lo_day),
            hi_day if seen[1] is None else max(seen[1], hi_day),
        )
        _A, D, M = self.sums.shape
        flat = np.multiply(account_codes, D, dtype=np.intp)
        flat += days
        flat -= self.first_day
        flat *= M
        flat += metric_codes
        lo, hi = int(flat.min()), int(flat.max())
        sums, counts = self.sums.reshape(-1), self.counts.reshape(-1)
        if hi - lo <= 8 * len(flat):  # rows in account order (the usual export): a narrow span
            flat -= lo
            span = hi - lo + 1
            sums[lo : hi + 1] += np.bincount(flat, weights=values, minlength=span)
            part = counts[lo : hi + 1]
            np.add(part, np.bincount(flat, minlength=span), out=part, casting="unsafe")
        else:  # rows in any order: scatter in index order (cache-friendly)
            order = np.argsort(flat, kind="stable")
            flat = flat[order]
            np.add.at(sums, flat, values[order])
            np.add.at(counts, flat, 1)

    @property
    def last_day(self) -> int | None:
        """The last day with a row (days since 1970-01-01)."""
        return self._days[1]

    @property
    def first_day_with_rows(self) -> int | None:
        return self._days[0]

    def weekly(
        self,
        *,
        accounts: pd.DataFrame,
        metrics: pd.DataFrame,
        as_of: pd.Timestamp,
        weeks: int = 52,
        usage_end: pd.Timestamp | None = None,
    ) -> WeeklyUsage:
        """Weeks ending on ``as_of`` cut from the grid: as :func:`rollup_arrays` on the same rows.

        Parameters
        ----------
        accounts, metrics : pandas.DataFrame
            The validated accounts and catalog (the grid's axes, in their order).
        as_of : pandas.Timestamp
            Last day of the last week; any day (rows after it are left out).
        weeks : int
            Weeks kept (older days only tell that an account's data starts before them).
        usage_end : pandas.Timestamp, optional
            The last day with a usage row (see :func:`rollup_arrays`).
        """
        A, D, M = self.sums.shape
        W = weeks
        as_of = pd.Timestamp(as_of)
        c0 = int((as_of - pd.Timestamp(0)).days) - self.first_day  # the as-of day's column
        upto = max(min(c0 + 1, D), 0)  # columns on or before as-of
        # The partial last day test of rollup_arrays: the last day against a week before.
        totals = np.zeros((2, M))
        day_counts = np.zeros((2, M))
        for row, col in enumerate((c0, c0 - 7)):
            if 0 <= col < D:
                totals[row] = self.sums[:, col, :].sum(axis=0)
                day_counts[row] = self.counts[:, col, :].sum(axis=0)
        partial_share = _partial_share(totals, day_counts, metrics) if M else None
        end = upto - 1 if partial_share is not None and c0 < D else upto  # leave the day out
        sums = np.zeros((A, W + 1, M))
        counts = np.zeros((A, W + 1, M), dtype=np.int64)
        if end > 0:
            back = c0 - np.arange(end)  # days before as-of of each column, decreasing
            slot = W - np.minimum(back // 7, W)  # slot 0: older than the window
            starts = np.concatenate([[0], np.nonzero(np.diff(slot))[0] + 1])
            # Each slot is a run of adjacent days: one reduceat per array, no per-row work.
            sums[:, slot[starts]] = np.add.reduceat(self.sums[:, :end], starts, axis=1)
            counts[:, slot[starts]] = np.add.reduceat(
                self.counts[:, :end],
                starts,
                axis=1,
                dtype=np.int32,  # no int64 copy of the grid
            )
        has_rows = (counts > 0).any(axis=2)
        first_week = _first_weeks(has_rows, _start_weeks(accounts, as_of, W))
        last_week = _complete_weeks(_last_week(has_rows[:, 1:].any(axis=0)), as_of, usage_end, W)
        cube = _finish(
            sums[:, 1:], counts[:, 1:], metrics=metrics, first_week=first_week, last_week=last_week
        )
        # Last active day: the latest day on or before as-of with an activity metric above zero.
        none = np.iinfo(np.int64).max
        best = np.full(A, none, dtype=np.int64)
        lo = max(upto - _HORIZON, 0)
        is_activity = np.nonzero(np.isin(metrics["category"].to_numpy(), ACTIVITY_CATEGORIES))[0]
        if upto > lo and len(is_activity):
            # One pass over the grid (a strided slice per metric would read all of it each time)
            active = (self.sums[:, lo:upto, :] > 0)[:, :, is_activity].any(axis=2)
            any_active = active.any(axis=1)
            last_col = upto - 1 - active[:, ::-1].argmax(axis=1)
            best[any_active] = c0 - last_col[any_active]
        index = pd.Index(accounts["account_id"])
        return WeeklyUsage(
            cube,
            index,
            pd.Index(metrics["metric"]),
            _week_ends(as_of, W),
            _last_active(best, none, as_of, index),
            first_week,
            last_week,
            partial_day=as_of if partial_share is not None else None,
            usage_end=usage_end,
        )
