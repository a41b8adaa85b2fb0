"""Robust to data artefacts (issue 15.2): a one-day spike or gap, or a partial last day, never
becomes a win, a risk or a stall; an odd reading is a data note on the account instead."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from insight_engine.analysis.artefacts import data_notes
from insight_engine.analysis.detector import coverage_notes
from insight_engine.analysis.engine import analyze
from insight_engine.book.loader import load_folder
from insight_engine.book.rollup import find_artefacts
from tests.fixtures import TODAY, book_dir


def _load(name):
    return load_folder(book_dir(name), today=TODAY)


@pytest.fixture(scope="module", params=["spike", "gap", "partial_last_day"])
def result(request):
    book = _load(request.param)
    return request.param, book, analyze(book, model_dir=None)


def test_an_artefact_makes_no_insight(result):
    """Every account of these books is steady: no signal at all, every band green."""
    name, _book, analysis = result
    assert analysis.signals[["account_id", "detector", "headline"]].to_dict("records") == []
    assert set(analysis.health.latest()["band"]) == {"green"}, name


@pytest.mark.parametrize(
    ("name", "account", "kind", "says"),
    [
        (
            "spike",
            "SP-01",
            "spike",
            "Searches answered by the help center averaged 481 in the week to 24 Oct, 8× its "
            "usual 61: a day of an import or a glitch looks like this; left out of the comparisons.",
        ),
        (
            "gap",
            "SP-02",
            "gap",
            "Tickets solved read 0 in the week to 17 Oct against a usual 350: looks like a gap in "
            "the data; left out of the comparisons.",
        ),
    ],
)
def test_the_odd_reading_is_a_data_note_on_the_account(name, account, kind, says):
    notes = data_notes(_load(name))
    assert notes[["account_id", "kind", "note"]].to_dict("records") == [
        {"account_id": account, "kind": kind, "note": says}
    ]


@pytest.mark.parametrize("name", ["per_feature", "single_metric", "full", "late_start"])
def test_books_without_artefacts_have_no_data_notes(name):
    assert data_notes(_load(name)).empty


def test_a_partial_last_day_changes_nothing(tmp_path):
    """The same book with the last day complete gives the same signals, health and bands; the
    partial day is said once for the book."""
    partial = _load("partial_last_day")
    folder = tmp_path / "complete"
    shutil.copytree(book_dir("partial_last_day"), folder)
    usage = pd.read_csv(folder / "usage.csv")
    last = usage["date"] == usage["date"].max()
    week_before = usage.loc[usage["date"] == "2026-10-24"].set_index(["account_id", "metric"])
    keys = pd.MultiIndex.from_frame(usage.loc[last, ["account_id", "metric"]])
    usage.loc[last, "value"] = week_before["value"].reindex(keys).to_numpy()
    usage.to_csv(folder / "usage.csv", index=False)
    complete = load_folder(folder, today=TODAY)

    a, b = analyze(partial, model_dir=None), analyze(complete, model_dir=None)
    assert a.signals[["account_id", "detector"]].equals(b.signals[["account_id", "detector"]])
    assert a.health.latest()["band"].tolist() == b.health.latest()["band"].tolist()
    np.testing.assert_allclose(a.health.score[:, -1], b.health.score[:, -1], atol=3)
    assert partial.weekly.partial_day == partial.as_of and complete.weekly.partial_day is None
    assert any("looks partial" in n for n in coverage_notes(partial))
    assert not any("looks partial" in n for n in coverage_notes(complete))
    assert partial.weekly.last_active.eq(partial.as_of).all()  # its activity still counts


def _series(*weeks):
    return np.asarray(weeks, dtype=float)[None, :, None]


@pytest.mark.parametrize(
    ("weeks", "flagged"),
    [
        # a one-week spike between normal weeks
        ((60, 61, 60, 62, 60, 61, 480, 60, 61), [6]),
        # a spike in the last week (nothing after it to confirm)
        ((60, 61, 60, 62, 60, 61, 60, 61, 480), [8]),
        # a gap between normal weeks
        ((350, 351, 349, 350, 348, 350, 0, 351, 349), [6]),
        # a stop that lasts, or one in the last week: behaviour, not a gap
        ((350, 351, 349, 350, 348, 350, 0, 0, 0), []),
        ((350, 351, 349, 350, 348, 350, 352, 351, 0), []),
        # a step up that holds: real growth
        ((60, 61, 60, 62, 60, 200, 210, 205, 200), []),
        # a small count's ordinary ups and downs
        ((1, 0, 2, 1, 3, 0, 1, 4, 1), []),
        # too little history to tell
        ((60, 480, 60, 61), []),
        # a week before the account's data begins is no data
        ((np.nan, np.nan, 60, 61, 60, 62, 60, 61, 60), []),
    ],
)
def test_find_artefacts(weeks, flagged):
    values = _series(*weeks)
    covered = ~np.isnan(values[:, :, 0])
    mask = find_artefacts(values, covered)
    assert np.nonzero(mask[0, :, 0])[0].tolist() == flagged


def test_find_artefacts_is_per_account_and_metric():
    steady = [60, 61, 60, 62, 60, 61, 60, 61, 60]
    spiky = [60, 61, 60, 62, 60, 61, 480, 60, 61]
    values = np.stack([np.column_stack([steady, spiky]), np.column_stack([spiky, steady])]).astype(
        float
    )  # (2 accounts, 9 weeks, 2 metrics)
    mask = find_artefacts(values, np.ones((2, 9), dtype=bool))
    assert [tuple(x) for x in np.argwhere(mask)] == [(0, 6, 1), (1, 6, 0)]


def _one_series(x: np.ndarray) -> list[int]:
    """The rule in the docstring, week by week for one series (slow and plain, for comparison)."""
    from insight_engine.book.rollup import ARTEFACT_FACTOR as f
    from insight_engine.book.rollup import ARTEFACT_MADS, ARTEFACT_MIN_WEEKS

    known = x[~np.isnan(x)]
    if len(known) < ARTEFACT_MIN_WEEKS:
        return []
    med = float(np.median(known))
    if med <= 0:
        return []
    scale = max(1.4826 * float(np.median(np.abs(known - med))), 0.1 * med, med**0.5)
    out = []
    for w, here in enumerate(x):
        prev = x[w - 1] if w > 0 else np.nan
        nxt = x[w + 1] if w < len(x) - 1 else np.nan
        last = w == len(x) - 1
        high = f * prev if last else f * np.fmax(prev, nxt)
        spike = here >= high and here >= f * med and here > med + ARTEFACT_MADS * scale
        spike = spike and not np.isnan(prev)
        gap = (
            not last
            and here <= med / f
            and here < med - ARTEFACT_MADS * scale
            and here <= np.fmin(prev, nxt) / f
            and prev >= med * (1 - 1 / f)
            and nxt >= med * (1 - 1 / f)
        )
        if spike or gap:
            out.append(w)
    return out


def test_find_artefacts_matches_the_rule_week_by_week():
    """The vectorised check (only weeks far from the median are tested against their
    neighbours) flags exactly what the rule, applied week by week, flags: 300 random books of
    small and large counts, imports of ×10 and ×100, empty weeks and uncovered weeks."""
    rng = np.random.default_rng(20)
    flagged = 0
    for _ in range(300):
        a, w, m = rng.integers(1, 5), rng.integers(3, 16), rng.integers(1, 3)
        values = rng.poisson(rng.choice([0.5, 3.0, 50.0]), size=(a, w, m)).astype(float)
        odd = rng.random(values.shape) < 0.06
        values[odd] *= rng.choice([0.0, 10.0, 100.0])
        covered = rng.random((a, w)) < 0.9
        mask = find_artefacts(values, covered)
        x = np.where(covered[:, :, None], values, np.nan)
        for i in range(a):
            for j in range(m):
                assert np.nonzero(mask[i, :, j])[0].tolist() == _one_series(x[i, :, j])
        flagged += int(mask.sum())
    assert flagged > 50  # the books do have spikes and gaps to find
