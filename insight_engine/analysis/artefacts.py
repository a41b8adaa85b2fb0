"""Data notes: readings that look like artefacts of the data, not the customer's behaviour.

A one-week spike (one day of a bulk import: keywords in the top 10 reading 3,000 instead of
about 60) or a one-week gap between normal weeks is found against the account's own history
(:func:`insight_engine.book.rollup.find_artefacts`) and left out of every window comparison (health
and the detectors read :meth:`WeeklyUsage.clean_values
<insight_engine.book.rollup.WeeklyUsage.clean_values>`), so it cannot become a win, a risk or a stall.
Instead it is reported here, on the account, in plain words. A partial last day (an export
pulled in the morning) is left out of the weekly figures by the rollup and said once for the
book (:func:`partial_day_note`).

Everything is vectorised over the book: no loop over accounts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insight_engine import fmt
from insight_engine.book.book import Book
from insight_engine.book.rollup import _median_axis1, aggregations

__all__ = ["NOTE_COLUMNS", "data_notes", "partial_day_note"]

NOTE_COLUMNS = [
    "account_id",
    "metric",
    "metric_label",
    "week_end",
    "value",
    "usual",
    "kind",
    "note",
]


def _fmt(values: np.ndarray) -> pd.Series:
    """Numbers as people read them: 3,000 / 60 / 2.5."""
    v = pd.Series(np.asarray(values, dtype=float))
    whole = (v.abs() >= 10) | (v == v.round())
    return pd.Series(
        np.where(whole, v.round().map("{:,.0f}".format), v.map("{:,.1f}".format)), dtype=object
    )


def data_notes(book: Book) -> pd.DataFrame:
    """One row per account, metric and week that looks like a data artefact.

    Parameters
    ----------
    book : Book
        A loaded book.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NOTE_COLUMNS`, newest week first within each account: ``kind`` is
        ``spike`` or ``gap``; ``usual`` the account's own median of the metric; ``note`` a
        sentence such as "Keywords in the top 10 read 480 in the week to 20 Oct, 8× its usual
        60: looks like an import or a glitch; left out of the comparisons."
    """
    weekly = book.weekly
    mask = weekly.artefacts()
    if not mask.any():
        return pd.DataFrame(columns=NOTE_COLUMNS)
    x = np.where(weekly.covered[:, :, None], weekly.values, np.nan)
    usual = _median_axis1(x)[:, 0, :]  # (A, M)
    a, w, m = np.nonzero(mask)
    value = weekly.values[a, w, m]
    med = usual[a, m]
    spike = value > med
    labels = (
        book.metrics.set_index("metric")["label"]
        .reindex(weekly.metrics)
        .fillna(pd.Series(weekly.metrics, index=weekly.metrics))
        .to_numpy(dtype=object)[m]
    )
    week_end = weekly.week_ends[w]
    when = fmt.days(week_end, year=False).to_numpy(dtype=object)
    v_txt, u_txt = _fmt(value).to_numpy(dtype=object), _fmt(med).to_numpy(dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        times = pd.Series(np.where(med > 0, value / med, np.nan)).round().map("{:,.0f}".format)
    is_level = (
        aggregations(book.metrics.set_index("metric").reindex(weekly.metrics).reset_index())
        == "mean"
    )[m]
    verb = pd.Series(np.where(is_level, " averaged ", " read "))
    head = pd.Series(labels) + verb + pd.Series(v_txt) + " in the week to " + pd.Series(when)
    note = np.where(
        spike,
        head
        + ", "
        + times
        + "× its usual "
        + pd.Series(u_txt)
        + ": a day of an import or a glitch looks like this; left out of the comparisons.",
        head
        + " against a usual "
        + pd.Series(u_txt)
        + ": looks like a gap in the data; left out of the comparisons.",
    )
    frame = pd.DataFrame(
        {
            "account_id": weekly.account_ids.to_numpy(dtype=object)[a],
            "metric": weekly.metrics.to_numpy(dtype=object)[m],
            "metric_label": labels,
            "week_end": week_end,
            "value": value,
            "usual": med,
            "kind": np.where(spike, "spike", "gap"),
            "note": note,
        }
    )
    return frame.sort_values(
        ["account_id", "week_end"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)


def partial_day_note(book: Book) -> str | None:
    """A sentence when the rollup left a partial last day out of the weekly figures, else None."""
    day = getattr(book.weekly, "partial_day", None)
    if day is None:
        return None
    return (
        f"The last day of usage, {fmt.day(day)}, looks partial (far below the same weekday a week "
        "before, as in an export pulled in the morning): it is left out of the weekly figures, "
        "and its activity still counts as activity."
    )
