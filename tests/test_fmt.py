"""How Rudder writes facts for people (insight_engine.fmt): one rule each, table-driven."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight_engine import fmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (np.nan, "—"),
        (0, "$0"),
        (950, "$950"),
        (999.4, "$999"),
        (1000, "$1k"),
        (24_000, "$24k"),
        (24_499.99, "$24k"),  # no cents, ever
        (999_499, "$999k"),
        (999_500, "$1.0M"),  # not "$1,000k"
        (11_254_000, "$11.3M"),
        (1_250_000_000, "$1,250.0M"),
    ],
)
def test_money(value, text):
    assert fmt.money(value) == text


@pytest.mark.parametrize(
    ("n", "word", "many", "text"),
    [
        (1, "day", None, "1 day"),
        (0, "day", None, "0 days"),
        (2, "day", None, "2 days"),
        (1200, "day", None, "1,200 days"),
        (1, "reply", "replies", "1 reply"),
        (3, "reply", "replies", "3 replies"),
        (-1, "day", None, "-1 day"),
    ],
)
def test_plural(n, word, many, text):
    assert fmt.plural(n, word, many) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (pd.Timestamp("2026-10-31"), "31 Oct 2026"),
        ("2026-01-02", "2 Jan 2026"),
        (None, "unknown"),
        (pd.NaT, "unknown"),
    ],
)
def test_day(value, text):
    assert fmt.day(value) == text


def test_account_line_says_unknown_for_what_is_missing():
    acct = pd.Series(
        {
            "tier": "Growth",
            "arr": np.nan,
            "licensed_seats": np.nan,
            "csm": "Mara Quinn",
            "renewal_date": pd.NaT,
        }
    )
    line = fmt.account_line(acct, pd.Timestamp("2026-10-31"))
    assert line == "Growth · ARR unknown · seats unknown · CSM Mara Quinn · renewal date unknown"
    acct = pd.Series(
        {
            **acct,
            "arr": 1_500_000.0,
            "licensed_seats": 35.0,
            "renewal_date": pd.Timestamp("2026-11-30"),
        }
    )
    line = fmt.account_line(acct, pd.Timestamp("2026-10-31"))
    assert (
        line == "Growth · $1.5M ARR · 35 seats · CSM Mara Quinn · renews 30 Nov 2026 (in 30 days)"
    )


@pytest.mark.parametrize(
    ("text", "limit", "out"),
    [
        ("Alder Logistics", 80, "Alder Logistics"),
        (None, 80, ""),
        (np.nan, 80, ""),
        ("a  b\nc", 80, "a b c"),  # one line: whitespace folded
        ("Elm Street Bakeries " + "and more " * 700, 40, "Elm Street Bakeries and more and more…"),
        ("x" * 100, 10, "xxxxxxxxx…"),  # no space to cut at: cut in the word
    ],
)
def test_clip(text, limit, out):
    assert fmt.clip(text, limit) == out
    assert len(fmt.clip(text, limit)) <= limit


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (pd.Timestamp("2026-09-04"), "4 Sep"),
        (pd.Timestamp("2026-12-25 13:00"), "25 Dec"),
        ("2026-01-02", "2 Jan"),
        (None, "unknown"),
        (pd.NaT, "unknown"),
    ],
)
def test_day_month(value, text):
    assert fmt.day_month(value) == text


def test_days_writes_a_column_as_day_does_one_date():
    values = pd.Series(pd.to_datetime(["2026-09-04", None, "2026-12-25"]))
    assert fmt.days(values).tolist() == [fmt.day(v) for v in values]
    assert fmt.days(values, year=False).tolist() == [fmt.day_month(v) for v in values]
    assert fmt.days(values.to_numpy()).tolist() == fmt.days(values).tolist()


def test_dates_for_people_are_written_by_fmt_only():
    """One owner for how a date reads ('3 Oct 2026', '3 Oct'): a strftime of day and month
    elsewhere in the engine wrote '03 Oct' beside the pages' '3 Oct 2026', and pages wrote
    '09 Nov 2026' and '2026-11-23' in sentences of their own."""
    import re

    from tests.conftest import ROOT

    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("insight_engine", "pages")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "fmt.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"%-?d %b", line) or re.search(r"\*\*[^*]*\{[^}]*:%Y-%m-%d\}", line)
    ]
    assert not offenders, f"use fmt.day / fmt.day_month / fmt.days: {offenders}"
