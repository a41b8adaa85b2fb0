"""Health score: components, weights, redistribution, bands, and 'why did it move'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight_engine.analysis.health import band_of, compute_health
from insight_engine.book.loader import load_folder
from insight_engine.errors import ConfigError
from insight_engine.settings import HealthSettings, Settings
from tests.conftest import TODAY
from tests.helpers import write

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


# ---------------------------------------------------------------------------------------------
# Health that fits any catalog (issue 15.1): per metric against the tier's peers, core metrics
# above long-tail features, and the metrics that moved the score named


def _fixture(name):
    from tests.fixtures import TODAY as FIXTURE_TODAY
    from tests.fixtures import book_dir

    return load_folder(book_dir(name), today=FIXTURE_TODAY)


@pytest.mark.parametrize(
    ("name", "bands"),
    [
        # 24 per-feature metrics, each account uses four, all steady or growing: all green
        ("per_feature", {f"HD-0{i}": "green" for i in range(1, 7)}),
        # one metric: seven steady accounts green, the one that stopped 3 weeks ago red
        (
            "single_metric",
            {**{f"SM-0{i}": "green" for i in range(1, 9) if i != 7}, "SM-07": "red"},
        ),
    ],
)
def test_health_bands_look_like_the_accounts_real_situation(name, bands):
    health = compute_health(_fixture(name))
    latest = health.latest().set_index("account_id")
    assert latest["band"].to_dict() == bands


@pytest.mark.parametrize(
    ("name", "core"),
    [
        # no feature is used by half the accounts; everyone has weekly users
        ("per_feature", {"feature_00": False, "feature_12": False, "weekly_users": True}),
        ("single_metric", {"conversations": True}),
        ("minimal", {"tickets_solved": True, "macros_used": True}),
    ],
)
def test_core_metrics_are_derived_from_who_uses_them(name, core):
    from insight_engine.analysis.health import core_metrics

    book = _fixture(name)
    derived = dict(zip(book.weekly.metrics, core_metrics(book), strict=True))
    assert {m: derived[m] for m in core} == core


def test_the_catalog_core_column_decides_where_it_says(tmp_path):
    metrics = (
        "metric,label,category,unit,core\n"
        "report_views,Report views,adoption,views,false\n"
        "filters_applied,Filters applied,adoption,filters,\n"
    )
    usage = USAGE + "".join(
        f"A1,{d:%Y-%m-%d},filters_applied,3\n" for d in pd.date_range("2026-09-01", "2026-11-18")
    )
    book = load_folder(write(tmp_path, usage__csv=usage, metrics__csv=metrics), today=TODAY)
    from insight_engine.analysis.health import core_metrics

    core = dict(zip(book.weekly.metrics, core_metrics(book), strict=True))
    # said false: long tail, though everyone uses it; not said: derived (one account of three)
    assert core == {"report_views": False, "filters_applied": False}


def test_a_long_tail_feature_counts_only_for_accounts_that_use_it(tmp_path):
    """A2 and A3 never used filters: they are not marked down for it; A1 uses both."""
    metrics = (
        "metric,label,category,unit\n"
        "report_views,Report views,adoption,views\n"
        "filters_applied,Filters applied,adoption,filters\n"
    )
    usage = USAGE + "".join(
        f"A1,{d:%Y-%m-%d},filters_applied,3\n" for d in pd.date_range("2026-09-01", "2026-11-18")
    )
    book = load_folder(write(tmp_path, usage__csv=usage, metrics__csv=metrics), today=TODAY)
    # Each account is alone in its tier: compared with itself (not the book's 3 accounts, whose
    # seats differ 5 to 120), so only the long-tail feature can mark it down.
    health = compute_health(book, HealthSettings(min_tier_peers=1))
    usage_now = health.latest().set_index("account_id")["usage"]
    assert usage_now.to_dict() == {"A1": 100.0, "A2": 100.0, "A3": 100.0}


def test_why_did_the_score_move_names_the_metrics_that_drove_it():
    health = compute_health(_fixture("single_metric"))
    sentences = health.explain_change("SM-07")
    usage = next(s for s in sentences if s.startswith("Product usage fell"))
    assert "Driven by: Conversations handled -" in usage, usage
    drivers = health.usage_drivers("SM-07")
    assert drivers["metric"].tolist() == ["Conversations handled"]
    assert drivers["score_points"].iloc[0] < -50
    # a steady account: nothing moved, so no metric is named
    assert health.usage_drivers("SM-01").empty


def test_drivers_name_the_long_tail_feature_an_account_stopped_using(tmp_path):
    metrics = (
        "metric,label,category,unit\n"
        "report_views,Report views,adoption,views\n"
        "filters_applied,Filters applied,adoption,filters\n"
    )
    usage = USAGE + "".join(
        f"A1,{d:%Y-%m-%d},filters_applied,{3 if d < pd.Timestamp('2026-10-20') else 0}\n"
        for d in pd.date_range("2026-09-01", "2026-11-18")
    )
    book = load_folder(write(tmp_path, usage__csv=usage, metrics__csv=metrics), today=TODAY)
    health = compute_health(book)
    assert health.usage_drivers("A1")["metric"].tolist()[:1] == ["Filters applied"]
    assert "Driven by: Filters applied" in " ".join(health.explain_change("A1"))


def test_a_tier_with_too_few_peers_is_scored_against_the_book_and_its_own_history():
    """missing_fields: the Starter tier has 2 accounts. HD-03's core metric (tickets solved) fell
    to 0 for the last 2 weeks while a minor one continues: usage no longer holds at 100."""
    book = _fixture("missing_fields")
    health = compute_health(book)
    latest = health.latest().set_index("account_id")
    assert latest.loc["HD-03", "usage"] < 60
    # 4 weeks earlier, before the drop, it was fine
    i = health._index("HD-03")
    assert health.components["usage"][i, -5] >= 70
    assert "Tickets solved" in " ".join(health.explain_change("HD-03"))
    # steady accounts with their seats known stay green
    assert (latest.loc[["HD-01", "HD-04", "HD-06"], "band"] == "green").all()
    # with the book fallback off (each tier its own peers), its own history alone marks it down
    tier_only = compute_health(book, HealthSettings(min_tier_peers=1))
    assert tier_only.components["usage"][i, -1] < 60
