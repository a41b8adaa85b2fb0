"""Coverage told honestly (issue 13, points 13 and 14), on hand-made books.

Weeks before an account's first usage row are no data, not zero; health, detectors and charts use
only the weeks with data; a detector that needs more weeks than the book holds stays quiet and
says so; a headline claims only what the data holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight_engine.analysis.detector import DETECTORS, coverage_notes
from insight_engine.analysis.engine import analyze
from insight_engine.book.loader import load_folder
from insight_engine.outputs.chart import health_distribution, health_trend, metric_trend, risk_chart
from tests.fixtures import TODAY, book_dir

# Claims of a change or a span of weeks: none of these may come from one week of data.
SPAN_WORDS = (
    r"\bin \d+ weeks\b|\bfor \d+ weeks\b|\bweeks? in\b|\bdown \d+|\bup \d+|every week|this year"
)


def _load(name: str):
    book = load_folder(book_dir(name), today=TODAY)
    return book, analyze(book, model_dir=None)


@pytest.fixture(scope="module")
def snapshot():
    return _load("snapshot")


@pytest.fixture(scope="module")
def late_start():
    return _load("late_start")


@pytest.fixture(scope="module")
def no_seats():
    return _load("no_seats")


# --- a one-day snapshot -----------------------------------------------------------------------


def test_snapshot_is_one_week_of_data_not_a_year_of_zeros(snapshot):
    book, _ = snapshot
    weekly = book.weekly
    assert weekly.weeks_covered == 1
    assert list(weekly.weeks_with_data) == [1] * len(book.accounts)
    assert np.isnan(weekly.values[:, :-1, :]).all(), "weeks before the snapshot are no data"
    assert not np.isnan(weekly.metric("tickets_solved")[:, -1]).any()


def test_snapshot_health_has_one_week_and_no_change(snapshot):
    _, result = snapshot
    latest = result.health.latest()
    assert latest["health"].notna().all()
    assert latest["change_4w"].isna().all(), "no '+43 in 4 weeks' from one day of data"
    assert np.isnan(result.health.score[:, :-1]).all()
    chart = health_trend(
        result.health.history("HD-01"), red_below=50, green_above=70, account_name="Alder"
    )
    assert len(chart.data) == 1, "the chart draws the one week, not 51 weeks of zero"
    assert chart.title.endswith("(1 week of data)")


def test_snapshot_gives_no_signal_that_needs_weeks(snapshot):
    _, result = snapshot
    signals = result.signals
    needs_weeks = [n for n, d in DETECTORS.items() if d().weeks_needed > 1]
    assert not signals["detector"].isin(needs_weeks).any(), signals[["detector", "headline"]]
    assert not signals["headline"].str.contains(SPAN_WORDS, regex=True).any(), list(
        signals["headline"]
    )
    assert "no_login" not in set(signals["detector"]), (
        "one day of zeros is not 'no activity for N days'"
    )


def test_snapshot_says_which_detectors_are_off(snapshot):
    book, _ = snapshot
    notes = coverage_notes(book)
    off = next(n for n in notes if n.startswith("Usage covers 1 week, so"))
    assert "'Outcome rise' needs 12 weeks" in off and "'No login' needs 2 weeks" in off
    assert off.endswith("Load more weeks of usage to turn them on.")
    assert not any("'Detractor'" in n or "'Below target'" in n for n in notes)


def test_snapshot_metric_chart_claims_no_change(snapshot):
    book, _ = snapshot
    frame = (
        book.weekly.account_frame("HD-01")["tickets_solved"]
        .rename("value")
        .rename_axis("week_end")
        .reset_index()
    )
    chart = metric_trend(frame, label="Tickets solved", unit="tickets", account_name="Alder")
    assert chart.title == "Tickets solved: 13 this week"
    assert len(chart.data) == 1


def test_distribution_without_a_score_a_quarter_ago_compares_nothing(snapshot):
    _, result = snapshot
    h = result.health
    chart = health_distribution(pd.Series(h.score[:, -1]), pd.Series(h.score[:, -14]))
    title = chart.title
    assert "no score a quarter ago" in title and "0 a quarter ago" not in title
    assert set(chart.data["when"]) == {"now"}


# --- an account whose usage starts mid-window -------------------------------------------------


def test_late_start_weeks_before_the_first_row_are_no_data(late_start):
    book, _ = late_start
    weekly = book.weekly
    i = weekly.account_ids.get_loc("HD-06")
    assert weekly.weeks_with_data[i] == 2
    tickets = weekly.metric("tickets_solved")[i]
    assert np.isnan(tickets[:-2]).all() and list(tickets[-2:]) == [120.0, 120.0]
    # HD-02's contract starts inside the window, on its first usage day: 12 weeks of data.
    assert weekly.weeks_with_data[weekly.account_ids.get_loc("HD-02")] == 12
    assert weekly.weeks_covered == 12
    assert coverage_notes(book) == []


def test_late_start_health_starts_with_its_data(late_start):
    book, result = late_start
    history = result.health.history("HD-06")
    assert history["health"].notna().sum() == 2
    latest = result.health.latest().set_index("account_id")
    assert pd.isna(latest.loc["HD-06", "change_4w"])
    assert "no score from 4 weeks ago" in result.health.explain_change("HD-06")[0]
    chart = health_trend(history, red_below=50, green_above=70, account_name="Fir & Co Legal")
    assert "4 weeks" not in chart.title
    assert len(chart.data) == 2
    risk = risk_chart(book, result.health, "HD-06")
    assert len(risk.data) == 2 and "4 weeks" not in risk.title


def test_late_start_is_not_a_4_week_gap_nor_a_low_peer(late_start):
    _, result = late_start
    signals = result.signals
    # Two weeks of data cannot say "no help-center articles viewed in 4 weeks".
    late = signals.loc[signals["account_id"] == "HD-06"]
    assert late.empty, list(late["headline"])
    # And its missing weeks are not zeros that halve the tier median: HD-01 is not "2× typical".
    assert "heavy_upgrade_use" not in set(signals["detector"])


# --- a catalog that does not count people -----------------------------------------------------


def test_a_quiet_account_is_inactive_and_no_one_is_said_to_log_in(no_seats):
    book, result = no_seats
    # Weeks inside the covered span with no rows are real inactivity: 0, not no data.
    i = book.weekly.account_ids.get_loc("HD-03")
    assert list(book.weekly.metric("tickets_solved")[i, -4:]) == [20.0, 0.0, 0.0, 0.0]
    # The catalog has no seats or log-in metric: activity is all the data can speak of.
    signals = result.signals.loc[result.signals["account_id"] == "HD-03"].set_index("detector")
    assert signals.loc["no_login", "headline"] == (
        "No activity recorded for 21 days (last activity 10 Oct)"
    )
    assert not result.signals["headline"].str.contains("logged in").any()
    # Alone in its tier, it is scored against the book and its own history: no activity for 3
    # weeks is a health risk too (it held usage at 100 against itself before).
    assert "health_risk" in signals.index


def test_an_account_missing_from_usage_claims_only_the_weeks_on_record(no_seats):
    book, result = no_seats
    signals = result.signals.set_index("account_id")
    # HD-05's contract started 364 days ago, but the usage on record covers 12 weeks.
    assert signals.loc["HD-05", "headline"] == (
        "No activity recorded in the 12 weeks of usage on record"
    )
    assert book.weekly.weeks_with_data[book.weekly.account_ids.get_loc("HD-05")] == 0
    assert "health_risk" not in set(
        result.signals.loc[result.signals["account_id"] == "HD-05", "detector"]
    )
    assert pd.isna(result.health.latest().set_index("account_id").loc["HD-05", "health"])
