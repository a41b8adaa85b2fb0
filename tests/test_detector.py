"""Each detector, table-driven on tiny hand-built books, with the edge cases."""

from __future__ import annotations

import pandas as pd
import pytest

from insight_engine.analysis.detector import DETECTORS, SIGNAL_COLUMNS, detect, signal_records
from insight_engine.analysis.health import compute_health
from tests.helpers import AS_OF, tiny_book

FLAT = [100.0] * 12
PEERS = {("B", "keywords_top10"): FLAT, ("C", "keywords_top10"): FLAT}


def fired(book, name: str) -> set[str]:
    signals = detect(book, compute_health(book), only=[name])
    assert list(signals.columns) == SIGNAL_COLUMNS
    return set(signals["account_id"])


def days(n: int) -> pd.Timestamp:
    return AS_OF - pd.Timedelta(days=n)


def active(accounts: str, weeks: int = 12, users: float = 14.0) -> dict:
    """Ordinary activity for the given accounts: views, filters and active users."""
    out = {}
    for a in accounts:
        out[(a, "report_views")] = [100.0] * weeks
        out[(a, "filters_applied")] = [30.0] * weeks
        out[(a, "active_users")] = [users] * weeks
    return out


@pytest.mark.parametrize(
    ("case", "usage", "accounts", "expected"),
    [
        ("rise of 30%", {("A", "keywords_top10"): [100.0] * 8 + [130.0] * 4, **PEERS}, None, {"A"}),
        ("flat", {("A", "keywords_top10"): FLAT, **PEERS}, None, set()),
        ("single week of data", {("A", "keywords_top10"): [130.0], **PEERS}, None, set()),
        ("all zero", {("A", "keywords_top10"): [0.0] * 12, **PEERS}, None, set()),
        (
            "rise while onboarding",
            {("A", "keywords_top10"): [100.0] * 8 + [130.0] * 4, **PEERS},
            [{"account_id": "A", "contract_start": days(60)}],
            set(),
        ),
        ("account with no usage", {("A", "report_views"): [], **PEERS}, None, set()),
    ],
)
def test_outcome_rise(case, usage, accounts, expected):
    assert fired(tiny_book(usage, accounts=accounts), "outcome_rise") == expected, case


@pytest.mark.parametrize(
    ("case", "completed_days_ago", "kind", "expected"),
    [
        ("First Value this week", 3, "first_value", {"A"}),
        ("Value Block last month", 30, "value_block", set()),
        ("onboarding step is not a win", 3, "onboarding", set()),
        ("not done", None, "first_value", set()),
    ],
)
def test_milestone_done(case, completed_days_ago, kind, expected):
    ms = pd.DataFrame(
        {
            "account_id": ["A"],
            "milestone": ["First Value"],
            "kind": [kind],
            "due_date": [days(5)],
            "completed_date": [
                days(completed_days_ago) if completed_days_ago is not None else pd.NaT
            ],
        }
    )
    book = tiny_book(active("AB"), milestones=ms)
    assert fired(book, "milestone_done") == expected, case


@pytest.mark.parametrize(
    ("case", "scores", "expected"),
    [
        ("passive became promoter", [(7, 100), (10, 5)], {"A"}),
        ("promoter again", [(9, 100), (10, 5)], set()),
        ("first response is a promoter", [(9, 5)], {"A"}),
        ("promoter too long ago", [(6, 200), (10, 40)], set()),
    ],
)
def test_new_promoter(case, scores, expected):
    surveys = pd.DataFrame(
        {
            "account_id": "A",
            "date": [days(d) for _, d in scores],
            "kind": "nps",
            "score": [float(s) for s, _ in scores],
            "comment": "",
        }
    )
    assert fired(tiny_book(active("AB"), surveys=surveys), "new_promoter") == expected, case


@pytest.mark.parametrize(
    ("case", "a_views", "a_filters", "peer_filters", "expected"),
    [
        ("many views, no filters", 100.0, 0.0, 30.0, {"A"}),
        ("normal ratio", 100.0, 28.0, 30.0, set()),
        ("peers do not filter either", 100.0, 0.0, 0.0, set()),
        ("too little use to tell", 4.0, 0.0, 30.0, set()),
    ],
)
def test_complement_gap(case, a_views, a_filters, peer_filters, expected):
    usage = active("ABC")
    usage[("A", "report_views")] = [a_views] * 12
    usage[("A", "filters_applied")] = [a_filters] * 12
    usage[("B", "filters_applied")] = usage[("C", "filters_applied")] = [peer_filters] * 12
    assert fired(tiny_book(usage), "complement_gap") == expected, case


def test_complement_naming_a_metric_missing_from_the_catalog_is_skipped():
    book = tiny_book(active("ABC"))
    book.metrics.loc[book.metrics["metric"] == "filters_applied", "complements"] = "not_a_metric"
    assert fired(book, "complement_gap") == set()


@pytest.mark.parametrize(
    ("case", "goal", "briefs", "expected"),
    [
        ("goal-tied capability unused", "Grow organic traffic from search", 0.0, {"A"}),
        ("used", "Grow organic traffic from search", 5.0, set()),
        ("not their goal", "Cut reporting time in half", 0.0, set()),
    ],
)
def test_goal_capability_ignored(case, goal, briefs, expected):
    usage = active("ABC")
    for a in "ABC":
        usage[(a, "content_briefs_created")] = [briefs if a == "A" else 12.0] * 12
    book = tiny_book(usage, accounts=[{"account_id": "A", "stated_goal": goal}])
    assert fired(book, "goal_capability_ignored") == expected, case


@pytest.mark.parametrize(
    ("case", "value", "higher_is_better", "expected"),
    [
        ("below target", 2.0, True, {"A"}),
        ("at target", 8.0, True, set()),
        ("above a ceiling", 12.0, False, {"A"}),
        ("no reading", None, True, set()),
    ],
)
def test_below_target(case, value, higher_is_better, expected):
    usage = active("AB")
    if value is not None:
        usage[("A", "competitors_tracked")] = [value] * 4
    book = tiny_book(usage)
    book.metrics["higher_is_better"] = higher_is_better
    assert fired(book, "below_target") == expected, case


@pytest.mark.parametrize(
    ("case", "due_days_ago", "done", "expected"),
    [
        ("10 days overdue", 10, False, {"A"}),
        ("within the grace period", 1, False, set()),
        ("done", 10, True, set()),
        ("not due yet", -10, False, set()),
    ],
)
def test_milestone_overdue(case, due_days_ago, done, expected):
    ms = pd.DataFrame(
        {
            "account_id": ["A"],
            "milestone": ["60-day onboarding"],
            "kind": ["onboarding"],
            "due_date": [days(due_days_ago)],
            "completed_date": [days(due_days_ago) if done else pd.NaT],
        }
    )
    assert fired(tiny_book(active("AB"), milestones=ms), "milestone_overdue") == expected, case


@pytest.mark.parametrize(
    ("case", "age", "a_views", "expected"),
    [
        ("onboarding and flat", 60, 10.0, {"A"}),
        ("onboarding and active", 60, 100.0, set()),
        ("settled account", 400, 10.0, set()),
    ],
)
def test_flat_onboarding(case, age, a_views, expected):
    usage = active("ABC")
    usage[("A", "report_views")] = [a_views] * 12
    usage[("A", "filters_applied")] = [a_views * 0.3] * 12
    usage[("A", "active_users")] = [3.0] * 12 if a_views < 50 else [14.0] * 12
    book = tiny_book(usage, accounts=[{"account_id": "A", "contract_start": days(age)}])
    assert fired(book, "flat_onboarding") == expected, case


def test_no_login_including_never_active():
    usage = active("AB")
    usage[("A", "report_views")] = [100.0] * 10 + [0.0, 0.0]
    usage[("A", "filters_applied")] = [30.0] * 10 + [0.0, 0.0]
    usage[("A", "active_users")] = [14.0] * 10 + [0.0, 0.0]
    book = tiny_book(usage, accounts=[{"account_id": "C"}])  # C: no usage at all
    signals = detect(book, compute_health(book), only=["no_login"]).set_index("account_id")
    assert set(signals.index) == {"A", "C"}
    assert signals.loc["A", "headline"].startswith("No one has logged in for 14 days")
    # C's contract started 730 days ago, but the usage on record covers 12 weeks: it says so.
    assert signals.loc["C", "headline"] == "No activity recorded in the 12 weeks of usage on record"


def test_health_risk_and_renewal_at_risk():
    usage = active("ABCD")
    for m in ("report_views", "filters_applied", "active_users"):
        usage[("A", m)] = usage[("A", m)][:8] + [0.0] * 4
    book = tiny_book(
        usage, accounts=[{"account_id": "A", "renewal_date": AS_OF + pd.Timedelta(days=45)}]
    )
    assert fired(book, "health_risk") == {"A"}
    assert fired(book, "renewal_at_risk") == {"A"}


@pytest.mark.parametrize(
    ("case", "tickets", "expected"),
    [
        ("spike", [(3, None), (5, None), (9, None), (12, None)], {"A"}),
        ("run of low CSAT", [(20, 1.0), (40, 2.0)], {"A"}),
        ("usual level", [(10, 5.0), (100, 4.0), (200, 5.0), (300, 4.0)], set()),
    ],
)
def test_support_risk(case, tickets, expected):
    frame = pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(len(tickets))],
            "account_id": "A",
            "opened_at": [days(d) for d, _ in tickets],
            "closed_at": [days(d - 1) for d, _ in tickets],
            "priority": "normal",
            "topic": "Export",
            "csat": [c for _, c in tickets],
        }
    )
    assert fired(tiny_book(active("AB"), tickets=frame), "support_risk") == expected, case


@pytest.mark.parametrize(
    ("case", "score", "days_ago", "expected"),
    [
        ("recent detractor", 3, 10, {"A"}),
        ("old detractor", 3, 60, set()),
        ("passive", 7, 10, set()),
    ],
)
def test_detractor(case, score, days_ago, expected):
    surveys = pd.DataFrame(
        {
            "account_id": ["A"],
            "date": [days(days_ago)],
            "kind": ["nps"],
            "score": [float(score)],
            "comment": ["We're not seeing the value"],
        }
    )
    assert fired(tiny_book(active("AB"), surveys=surveys), "detractor") == expected, case


@pytest.mark.parametrize(
    ("case", "users", "age", "low_expected", "ceiling_expected"),
    [
        ("a quarter of seats", 5.0, 700, {"A"}, set()),
        ("onboarding", 5.0, 60, set(), set()),
        ("at the ceiling", 19.5, 700, set(), {"A"}),
        ("healthy use", 14.0, 700, set(), set()),
    ],
)
def test_seat_use(case, users, age, low_expected, ceiling_expected):
    usage = active("AB")
    usage[("A", "active_users")] = [users] * 12
    book = tiny_book(usage, accounts=[{"account_id": "A", "contract_start": days(age)}])
    assert fired(book, "low_seat_use") == low_expected, case
    assert fired(book, "seat_ceiling") == ceiling_expected, case


def test_heavy_upgrade_use():
    usage = active("ABC")
    usage[("A", "content_briefs_created")] = [100.0] * 10
    usage[("B", "content_briefs_created")] = usage[("C", "content_briefs_created")] = [10.0] * 10
    assert fired(tiny_book(usage), "heavy_upgrade_use") == {"A"}


def test_every_signal_carries_evidence_and_plain_english():
    usage = {
        ("A", "keywords_top10"): [100.0] * 8 + [150.0] * 4,
        **PEERS,
        ("A", "competitors_tracked"): [1.0] * 4,
    }
    book = tiny_book(usage)
    signals = detect(book, compute_health(book))
    assert set(signals["motion"]) >= {"win", "better_practice"}
    for row in signal_records(signals):
        assert row["headline"] and "_" not in row["headline"], row["headline"]
        assert 0 <= row["strength"] <= 1
        assert row["audience"] and row["action"] and row["why_now"]
        filled = {k for k, v in row["evidence"].items() if v is not None}
        assert set(DETECTORS[row["detector"]].evidence) <= filled, row["evidence"]
    win = next(r for r in signal_records(signals, "A") if r["detector"] == "outcome_rise")
    assert win["evidence"]["before"] == 100 and win["evidence"]["after"] == 150
    assert "up 50%" in win["headline"]


def test_empty_book_has_no_signals_and_no_crash():
    book = tiny_book({("A", "report_views"): []})
    assert set(detect(book, compute_health(book))["motion"]) <= {"stall"}


@pytest.mark.parametrize("name", list(DETECTORS))
def test_every_detector_is_documented(name):
    from tests.conftest import ROOT

    assert f"`{name}`" in (ROOT / "README.md").read_text(), (
        f"README does not document the detector {name}"
    )
    assert DETECTORS[name].description
