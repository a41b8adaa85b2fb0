"""Health score: components, weights, redistribution, bands, and 'why did it move'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight_engine.errors import ConfigError
from insight_engine.health import band_of, compute_health
from insight_engine.loader import load_folder
from insight_engine.settings import HealthSettings, Settings
from tests.conftest import TODAY
from tests.test_loader_bad_input import write

USAGE = "account_id,date,metric,value\n" + "".join(
    f"{a},{d:%Y-%m-%d},report_views,{v}\n"
    for a, v in (("A1", 10), ("A2", 10), ("A3", 10))
    for d in pd.date_range("2026-09-01", "2026-11-18")
)


def _book(tmp_path, **files):
    return load_folder(write(tmp_path, usage__csv=USAGE, **files), today=TODAY)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (10, "red"),
        (49.9, "red"),
        (50, "yellow"),
        (70, "yellow"),
        (70.1, "green"),
        (np.nan, "unknown"),
    ],
)
def test_bands(score, band):
    assert band_of(score, HealthSettings()) == band


def test_missing_components_redistribute_their_weight_and_say_so(tmp_path):
    book = _book(tmp_path)  # usage only: no tickets, surveys, notes or insights
    health = compute_health(book)
    breakdown = health.breakdown("A1")
    used = breakdown.set_index("component")["weight_used"]
    assert used["Product usage"] == 100.0
    assert used["Support sentiment"] == 0.0
    assert breakdown.set_index("component").loc["NPS / CSAT", "note"].startswith("No data")
    assert (
        health.latest().loc[0, "missing"]
        == "Support sentiment, NPS / CSAT, Engagement with the CSM"
    )


def test_survey_and_support_feed_the_score(tmp_path):
    surveys = (
        "account_id,date,kind,score,comment\nA1,2026-11-10,nps,2,slow\nA2,2026-11-10,nps,10,great\n"
    )
    tickets = (
        "ticket_id,account_id,opened_at,closed_at,priority,topic,csat\n"
        "T1,A1,2026-11-01,,urgent,Export,\nT2,A2,2026-10-01,2026-10-02,normal,Billing,5\n"
    )
    book = _book(tmp_path, surveys__csv=surveys, tickets__csv=tickets)
    latest = compute_health(book).latest().set_index("account_id")
    assert latest.loc["A1", "survey"] == 20 and latest.loc["A2", "survey"] == 100
    assert latest.loc["A1", "support"] == 60  # no CSAT: 75, minus 15 for one open urgent ticket
    assert latest.loc["A2", "support"] == 100
    assert latest.loc["A1", "health"] < latest.loc["A2", "health"]
    # weights: usage 40, support 30, survey 20; engagement missing → shares of 90
    a2 = latest.loc["A2"]
    expected = (40 * a2["usage"] + 30 * a2["support"] + 20 * a2["survey"]) / 90
    assert a2["health"] == pytest.approx(expected, abs=0.1)


def test_custom_weights_change_the_score(tmp_path):
    surveys = "account_id,date,kind,score,comment\nA1,2026-11-10,nps,2,slow\n"
    book = _book(tmp_path, surveys__csv=surveys)
    default = compute_health(book).latest().set_index("account_id").loc["A1", "health"]
    survey_heavy = compute_health(book, HealthSettings(weight_survey=90, weight_usage=10)).latest()
    assert survey_heavy.set_index("account_id").loc["A1", "health"] < default


def test_explain_change_names_the_component_that_moved(tmp_path):
    # A1 stops using the product on 20 October: its trailing 4-week usage is zero by as-of.
    rows = [
        line
        for line in USAGE.splitlines()
        if not (line.startswith("A1,") and line[3:13] >= "2026-10-20")
    ]
    book = load_folder(write(tmp_path, usage__csv="\n".join(rows) + "\n"), today=TODAY)
    sentences = compute_health(book).explain_change("A1")
    assert sentences[0].startswith("Health fell from 100 to 0")
    assert "Product usage fell from 100 to 0" in sentences[1]


def test_unknown_account_is_a_clear_key_error(tmp_path):
    with pytest.raises(KeyError, match="No account 'nope'"):
        compute_health(_book(tmp_path)).breakdown("nope")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weight_usage": -1},
        {"weight_usage": 0, "weight_support": 0, "weight_survey": 0, "weight_engagement": 0},
        {"red_below": 80, "green_above": 60},
        {"engagement_full_days": 90, "engagement_zero_days": 30},
    ],
)
def test_invalid_settings_are_refused(kwargs):
    with pytest.raises(ConfigError):
        HealthSettings(**kwargs).validate()


def test_settings_round_trip(tmp_path):
    s = Settings(health=HealthSettings(weight_usage=55))
    s.save(tmp_path / "s.json")
    assert Settings.load(tmp_path / "s.json").health.weight_usage == 55
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(ConfigError, match="delete it to use the defaults"):
        Settings.load(tmp_path / "bad.json")


def test_health_on_demo_is_vectorized_and_complete(demo_book):
    health = compute_health(demo_book)
    assert health.score.shape == demo_book.weekly.values.shape[:2]
    latest = health.latest()
    assert latest["health"].between(0, 100).all()
    assert set(latest["band"]) <= {"red", "yellow", "green"}
