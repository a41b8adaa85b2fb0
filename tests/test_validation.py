"""Validation (insight_engine/source/validation.py): cells as people and tools type them,
parsed or set aside with a reason. Numbers (thousands, decimal commas, infinities), dates (time
zones, epochs, Excel day numbers, words) and choices (their synonyms)."""

from __future__ import annotations

import pandas as pd
import pytest

from insight_engine.source.contract import TABLES
from insight_engine.source.validation import parse_dates, parse_numbers
from tests.conftest import TODAY


@pytest.mark.parametrize(
    ("text", "decimal_comma", "value"),
    [("0,125", True, 0.125), ("1,250", True, 1.25), ("1,250", False, 1250.0)],
)
def test_european_decimals(text, decimal_comma, value):
    parsed, bad = parse_numbers(pd.Series([text]), decimal_comma=decimal_comma)
    assert parsed.iloc[0] == value and not bad.iloc[0]


@pytest.mark.parametrize("text", ["inf", "-inf", "1e400"])
def test_infinities_are_not_numbers(text):
    _, bad = parse_numbers(pd.Series([text]))
    assert bad.iloc[0]


def test_time_zone_offsets_keep_the_local_day_and_may_be_mixed():
    parsed, bad, _ = parse_dates(
        pd.Series(["2025-03-01T00:30:00+02:00", "2025-03-02T10:00:00Z", "2025-03-03"])
    )
    assert list(parsed.dt.day) == [1, 2, 3] and not bad.any()


@pytest.mark.parametrize(
    ("typed", "column", "expected"),
    [
        ("Medium", "priority", "normal"),
        ("MED", "priority", "normal"),
        ("P1", "priority", "urgent"),
        ("Sev-2", "priority", "high"),
        ("blocker", "priority", "urgent"),
        ("whenever", "priority", None),
        ("Mid-Market", "tier", "Growth"),
        ("Key account", "tier", "Enterprise"),
        ("self serve", "tier", "Starter"),
        ("Professional", "tier", None),
    ],
)
def test_choice_synonyms(typed, column, expected):
    from insight_engine.source.validation import validate_table

    table = "tickets" if column == "priority" else "accounts"
    spec = TABLES[table]
    row = {
        "tickets": {"ticket_id": "T1", "account_id": "A1", "opened_at": "2026-01-02"},
        "accounts": {"account_id": "A1", "account_name": "Acme"},
    }[table]
    raw = pd.DataFrame([{**row, column: typed}])
    result = validate_table(spec, raw, file=f"{table}.csv", today=TODAY)
    assert len(result.frame) == 1, "the row is kept"
    value = result.frame[column].iloc[0]
    assert (None if pd.isna(value) else value) == expected
    warnings = [p for p in result.report.by_severity("warning") if p.column == column]
    assert bool(warnings) == (expected is None)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2024-12-01T09:30:00Z", "2024-12-01"),
        ("2024-12-01T23:30:00-05:00", "2024-12-01"),  # the local calendar day, not UTC's
        ("2024-12-01T14:49:34.000+0000", "2024-12-01"),  # Salesforce
        ("2024-12-01 09:30:00 UTC", "2024-12-01"),
        ("2024-12-01 09:30:00 GMT", "2024-12-01"),
        ("1733045400", "2024-12-01"),  # epoch seconds
        ("1733045400000", "2024-12-01"),  # epoch milliseconds
        ("Dec 1, 2024", "2024-12-01"),
        ("December 1st, 2024", "2024-12-01"),
        ("1 Dec 2024", "2024-12-01"),
        ("45627", "2024-12-01"),  # an Excel day number
        ("next Tuesday", None),
        ("5551234567", None),  # a phone number is no epoch: it would be the year 2146
        ("9999999999999", None),  # nor a 13-digit id: the year 2286 is out of range
    ],
)
def test_dates_as_tools_write_them(typed, expected):
    parsed, bad, _ = parse_dates(pd.Series([typed]))
    if expected is None:
        assert bad.iloc[0] and pd.isna(parsed.iloc[0])
    else:
        assert not bad.iloc[0] and parsed.iloc[0] == pd.Timestamp(expected)
