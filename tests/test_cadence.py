"""Cadence, coverage, mix and landed rate on small hand-built logs."""

from __future__ import annotations

import pandas as pd
import pytest

from insight_engine.cadence import (
    coverage,
    landed_rate,
    mix,
    team_weekly,
    untouched,
    week_end_of,
    weekly_counts,
)

AS_OF = pd.Timestamp("2026-11-20")


def log(rows):
    return pd.DataFrame(rows, columns=["account_id", "csm", "date", "motion", "outcome"]).assign(
        date=lambda f: pd.to_datetime(f["date"])
    )


ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["A", "B", "C", "D"],
        "account_name": ["a", "b", "c", "d"],
        "csm": ["Ana", "Ana", "Bo", "Bo"],
        "tier": "Growth",
        "arr": [1.0, 2.0, 3.0, 4.0],
    }
)
LOG = log(
    [
        ("A", "Ana", "2026-11-20", "win", "landed"),
        ("A", "Ana", "2026-11-14", "feature", "no_response"),
        ("B", "Ana", "2026-11-13", "win", None),
        ("C", "Bo", "2026-09-01", "risk", "pushed_back"),
        ("C", "Bo", "2026-11-19", "risk", "landed"),
    ]
)


@pytest.mark.parametrize(
    ("date", "week_end"),
    [
        ("2026-11-20", "2026-11-20"),
        ("2026-11-14", "2026-11-20"),
        ("2026-11-13", "2026-11-13"),
        ("2026-11-07", "2026-11-13"),
    ],
)
def test_weeks_end_on_the_as_of_date(date, week_end):
    assert week_end_of(pd.Series([pd.Timestamp(date)]), AS_OF).iloc[0] == pd.Timestamp(week_end)


def test_weekly_counts_by_csm_week_and_motion():
    counts = weekly_counts(LOG, as_of=AS_OF, weeks=2)
    got = {(r.csm, f"{r.week_end:%m-%d}", r.motion): r.insights for r in counts.itertuples()}
    assert got == {
        ("Ana", "11-20", "win"): 1,
        ("Ana", "11-20", "feature"): 1,
        ("Ana", "11-13", "win"): 1,
        ("Bo", "11-20", "risk"): 1,
    }


@pytest.mark.parametrize(("per_month", "target"), [(1.0, 0.9), (2.0, 1.8), (0.5, 0.5)])
def test_team_weekly_against_the_target(per_month, target):
    weekly = team_weekly(LOG, as_of=AS_OF, weeks=3, n_accounts=4, per_account_per_month=per_month)
    assert list(weekly["insights"]) == [0, 1, 3]
    assert weekly["target"].iloc[0] == pytest.approx(target, abs=0.05)


@pytest.mark.parametrize(
    ("days", "expected"),
    [(30, {"Ana": 1.0, "Bo": 0.5}), (3, {"Ana": 0.5, "Bo": 0.5}), (100, {"Ana": 1.0, "Bo": 0.5})],
)
def test_coverage(days, expected):
    cov = coverage(LOG, ACCOUNTS, as_of=AS_OF, days=days).set_index("csm")["coverage"].to_dict()
    assert cov == expected


def test_untouched_lists_never_and_long_ago_longest_first():
    out = untouched(LOG, ACCOUNTS, as_of=AS_OF, days=5)
    assert list(out["account_id"]) == ["D", "B"]  # D never, B 7 days ago
    assert out["days_since_insight"].isna().iloc[0] and out["days_since_insight"].iloc[1] == 7


def test_mix_per_csm():
    m = mix(LOG).set_index("csm")
    assert m.loc["Ana", "win"] == 2 and m.loc["Ana", "feature"] == 1 and m.loc["Bo", "risk"] == 2
    assert m.loc["Ana", "total"] == 3


@pytest.mark.parametrize(
    ("by", "expected"),
    [("csm", {"Ana": 0.5, "Bo": 0.5}), ("motion", {"win": 1.0, "feature": 0.0, "risk": 0.5})],
)
def test_landed_rate_ignores_pending(by, expected):
    rates = landed_rate(LOG, by).set_index(by)["landed_rate"].to_dict()
    assert rates == expected


def test_empty_log():
    empty = LOG.iloc[0:0]
    assert weekly_counts(empty, as_of=AS_OF).empty and landed_rate(empty, "csm").empty
    assert (
        team_weekly(empty, as_of=AS_OF, weeks=2, n_accounts=4, per_account_per_month=1)[
            "insights"
        ].sum()
        == 0
    )
