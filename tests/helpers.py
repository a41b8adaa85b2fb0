"""Tiny hand-built books for table-driven detector tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from insight_engine.book.book import Book
from insight_engine.book.rollup import WeeklyUsage
from insight_engine.source.contract import TABLES
from insight_engine.source.demo import METRICS as DEMO_METRICS

AS_OF = pd.Timestamp("2026-11-20")
# Every page of the app, for the tests that open each one.
PAGES = [
    "pages/csm/this_week.py",
    "pages/csm/account.py",
    "pages/manager/team_cadence.py",
    "pages/executive/customer_wins.py",
    "pages/library/insight_library.py",
    "pages/admin/data_settings.py",
]

TINY_METRICS = [
    "report_views",
    "filters_applied",
    "keywords_top10",
    "competitors_tracked",
    "active_users",
    "content_briefs_created",
]


def tiny_book(
    usage: dict[tuple[str, str], list[float]],
    *,
    weeks: int = 16,
    accounts: list[dict] | None = None,
    metrics: list[str] | None = None,
    **tables: pd.DataFrame,
) -> Book:
    """A book whose weekly usage is given per (account, metric) as the last N weekly values.

    Every account defaults to a Growth account of 20 seats that started two years ago, renewing
    in 200 days. Peers matter to some detectors, so give a few accounts.
    """
    ids = sorted({a for a, _ in usage} | {a["account_id"] for a in accounts or []})
    base = {
        a: {
            "account_id": a,
            "account_name": f"Account {a}",
            "csm": "Priya",
            "arr": 24000.0,
            "licensed_seats": 20.0,
            "contract_start": AS_OF - pd.Timedelta(days=730),
            "renewal_date": AS_OF + pd.Timedelta(days=200),
            "tier": "Growth",
            "industry": pd.NA,
            "stated_goal": pd.NA,
            "lifecycle_stage": pd.NA,
            "manager": "Ruth",
        }
        for a in ids
    }
    for extra in accounts or []:
        base[extra["account_id"]].update(extra)
    acc = pd.DataFrame(list(base.values()))
    catalog = DEMO_METRICS.set_index("metric").loc[metrics or TINY_METRICS].reset_index()
    catalog["higher_is_better"] = True
    values = np.full((len(ids), weeks, len(catalog)), np.nan)
    for (a, m), series in usage.items():
        values[ids.index(a), weeks - len(series) :, list(catalog["metric"]).index(m)] = series
    activity = np.isin(catalog["category"], ["adoption", "seats"])
    active_any = (np.nan_to_num(values[:, :, activity]) > 0).any(axis=2)
    week_ends = pd.DatetimeIndex(
        [AS_OF - pd.Timedelta(days=7 * (weeks - 1 - k)) for k in range(weeks)]
    )
    last_week = np.where(
        active_any.any(axis=1), weeks - 1 - np.argmax(active_any[:, ::-1], axis=1), -1
    )
    last_active = pd.Series(
        [week_ends[w] if w >= 0 else pd.NaT for w in last_week],
        index=pd.Index(ids),
        dtype="datetime64[ns]",
    )
    weekly = WeeklyUsage(values, pd.Index(ids), pd.Index(catalog["metric"]), week_ends, last_active)
    optional = {
        name: tables.get(name, TABLES[name].empty())
        for name in ("contacts", "tickets", "surveys", "milestones", "notes", "insights")
    }
    return Book(
        accounts=acc,
        metrics=catalog,
        weekly=weekly,
        as_of=AS_OF,
        usage=None,
        provided=frozenset({"accounts", "metrics", "usage", *tables}),
        **optional,
    )


def open_app(
    page: str | None = None,
    *,
    secrets: dict | None = None,
    user: dict | None = None,
    session: dict | None = None,
    timeout: float = 180,
    **query: str,
):
    """Run app.py in AppTest (optionally signed in, with session state and URL parameters),
    then switch to ``page``; fails on any exception."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    if user is not None:
        at.user = user
    for k, v in (session or {}).items():
        at.session_state[k] = v
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def top_account(at) -> str:
    """The first account of an AppTest run's This-week table (its "Open" link)."""
    return at.dataframe[0].value["open"].iloc[0].split("account=")[1]


# ---------------------------------------------------------------------------------------------
# A three-account book as text, and a folder of it with some files changed (the bad-input,
# reader, CLI and health tests)


ACCOUNTS = """account_id,account_name,csm,arr,licensed_seats,contract_start,renewal_date
A1,Acme Foods,Priya Shah,24000,20,2025-01-15,2027-01-15
A2,Bluepeak Legal,Priya Shah,8000,5,2025-06-01,2027-06-01
A3,Cedar Health,Tom Okafor,90000,120,2024-03-01,2027-03-01
"""


METRICS = """metric,label,category,unit,target
report_views,Report views,adoption,views,
competitors_tracked,Competitors tracked,configuration,competitors,8
"""


USAGE = """account_id,date,metric,value
A1,2026-11-16,report_views,10
A1,2026-11-17,report_views,12
A2,2026-11-16,report_views,3
A3,2026-11-16,competitors_tracked,9
A3,2026-11-18,report_views,40
"""


def write(tmp_path, **files: str | bytes):
    base = {"accounts.csv": ACCOUNTS, "metrics.csv": METRICS, "usage.csv": USAGE}
    base.update({k.replace("__", "."): v for k, v in files.items()})
    for name, content in base.items():
        if content is None:
            continue
        data = content.encode("utf-8") if isinstance(content, str) else content
        (tmp_path / name).write_bytes(data)
    return tmp_path


# ---------------------------------------------------------------------------------------------
# A hand-made book per registered detector (tests/test_registry.py, tests/test_claude.py)


MILESTONE = "Decide what success is for Q3"


EXEC_SAID = "Show me this is moving traffic, not just producing dashboards."


def days(n: int) -> pd.Timestamp:
    return AS_OF - pd.Timedelta(days=n)


def active(accounts: str = "ABC", weeks: int = 12, users: float = 14.0) -> dict:
    out = {}
    for a in accounts:
        out[(a, "report_views")] = [100.0] * weeks
        out[(a, "filters_applied")] = [30.0] * weeks
        out[(a, "active_users")] = [users] * weeks
    return out


def contacts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": "A",
            "name": ["Ada Admin", "Cleo Champion", "Evan Exec"],
            "email": ["ada@a.example", "cleo@a.example", "evan@a.example"],
            "role": ["admin", "champion", "executive"],
        }
    )


def notes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": "A",
            "date": [days(40), days(20)],
            "author": "Priya",
            "text": [
                'Weekly sync with the admin. "Honestly we mostly open the overview report and skim it."',
                f'Executive sponsor joined briefly: "{EXEC_SAID}"',
            ],
        }
    )


def milestones(kind: str, done: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A"],
            "milestone": [MILESTONE],
            "kind": [kind],
            "due_date": [days(12)],
            "completed_date": [days(3) if done else pd.NaT],
        }
    )


def surveys(score: float, comment: str, previous: float | None = None) -> pd.DataFrame:
    rows = [(days(5), score, comment)] + ([(days(120), previous, "")] if previous else [])
    return pd.DataFrame(
        {
            "account_id": "A",
            "date": [d for d, _, _ in rows],
            "kind": "nps",
            "score": [s for _, s, _ in rows],
            "comment": [c for _, _, c in rows],
        }
    )


def _book(usage: dict, accounts: list[dict] | None = None, **tables) -> object:
    return tiny_book(
        usage,
        accounts=[
            {"account_id": "A", "stated_goal": "Grow organic traffic from search"},
            *(accounts or []),
        ],
        contacts=contacts(),
        notes=notes(),
        **tables,
    )


def _quiet_a(weeks_quiet: int) -> dict:
    usage = active("ABCD")
    for m in ("report_views", "filters_applied", "active_users"):
        usage[("A", m)] = [*usage[("A", m)][: 12 - weeks_quiet], *[0.0] * weeks_quiet]
    return usage


def _upgrade() -> dict:
    usage = active("ABC")
    usage[("A", "content_briefs_created")] = [100.0] * 10
    usage[("B", "content_briefs_created")] = usage[("C", "content_briefs_created")] = [10.0] * 10
    return usage


def _gap() -> dict:
    usage = active("ABC")
    usage[("A", "filters_applied")] = [0.0] * 12
    return usage


def _goal() -> dict:
    usage = active("ABC")
    for a in "ABC":
        usage[(a, "content_briefs_created")] = [0.0 if a == "A" else 12.0] * 12
    return usage


def _rise() -> dict:
    flat = [100.0] * 12
    return {
        **active("ABC"),
        ("A", "keywords_top10"): [100.0] * 8 + [130.0] * 4,
        ("B", "keywords_top10"): flat,
        ("C", "keywords_top10"): flat,
    }


def _flat_start() -> dict:
    usage = active("ABC")
    usage[("A", "report_views")] = [10.0] * 12
    usage[("A", "filters_applied")] = [3.0] * 12
    usage[("A", "active_users")] = [3.0] * 12
    return usage


def _seats(users: float) -> dict:
    usage = active("ABC")
    usage[("A", "active_users")] = [users] * 12
    return usage


def _tickets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(4)],
            "account_id": "A",
            "opened_at": [days(d) for d in (3, 5, 9, 12)],
            "closed_at": [days(d - 1) for d in (3, 5, 9, 12)],
            "priority": "normal",
            "topic": "Export",
            "csat": [1.0, 2.0, None, None],
        }
    )


# A hand-made book per detector, where it fires for account A.
DETECTOR_BOOKS = {
    "outcome_rise": lambda: _book(_rise()),
    "milestone_done": lambda: _book(active(), milestones=milestones("first_value", True)),
    "new_promoter": lambda: _book(
        active(), surveys=surveys(10.0, "Finally one place for our data.", previous=7.0)
    ),
    "complement_gap": lambda: _book(_gap()),
    "goal_capability_ignored": lambda: _book(_goal()),
    "below_target": lambda: _book({**active(), ("A", "competitors_tracked"): [2.0] * 4}),
    "milestone_overdue": lambda: _book(active(), milestones=milestones("value_block", False)),
    "flat_onboarding": lambda: _book(
        _flat_start(), accounts=[{"account_id": "A", "contract_start": days(60)}]
    ),
    "no_login": lambda: _book(_quiet_a(2)),
    "health_risk": lambda: _book(_quiet_a(4)),
    "support_risk": lambda: _book(active(), tickets=_tickets()),
    "detractor": lambda: _book(active(), surveys=surveys(3.0, "We're not seeing the value")),
    "low_seat_use": lambda: _book(_seats(5.0)),
    "renewal_at_risk": lambda: _book(
        _quiet_a(4), accounts=[{"account_id": "A", "renewal_date": AS_OF + pd.Timedelta(days=45)}]
    ),
    "seat_ceiling": lambda: _book(_seats(19.5)),
    "heavy_upgrade_use": lambda: _book(_upgrade()),
}


# ---------------------------------------------------------------------------------------------
# One book read two ways (files, a database) gives the same book (tests/test_to_sql.py,
# tests/test_warehouse_sql.py)


FRAMES = (
    "accounts",
    "metrics",
    "contacts",
    "tickets",
    "surveys",
    "milestones",
    "notes",
    "insights",
)


def assert_same_book(files, database) -> None:
    """Everything a view reads: the tables, the weekly cube, the last active days, the as-of."""
    assert database.as_of == files.as_of
    assert database.provided == files.provided
    for name in FRAMES:
        pd.testing.assert_frame_equal(
            getattr(database, name).reset_index(drop=True),
            getattr(files, name).reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )
    assert list(database.weekly.metrics) == list(files.weekly.metrics)
    np.testing.assert_allclose(database.weekly.values, files.weekly.values, equal_nan=True)
    pd.testing.assert_series_equal(
        database.weekly.last_active, files.weekly.last_active, check_names=False
    )
