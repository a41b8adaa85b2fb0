"""Tiny hand-built books for table-driven detector tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from insight_engine.book.book import Book
from insight_engine.book.rollup import WeeklyUsage
from insight_engine.source.contract import TABLES
from insight_engine.source.demo import METRICS

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
    catalog = METRICS.set_index("metric").loc[metrics or TINY_METRICS].reset_index()
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
