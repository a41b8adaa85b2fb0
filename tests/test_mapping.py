"""Column-mapping suggestions."""

import pytest

from insight_engine.mapping import normalize, suggest_mapping


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Account ID", "account_id"),
        ("accountId", "account_id"),
        (" ARR ($) ", "arr"),
        ("Renewal-Date", "renewal_date"),
    ],
)
def test_normalize(name, expected):
    assert normalize(name) == expected


@pytest.mark.parametrize(
    ("columns", "table", "expected"),
    [
        (
            ["Account ID", "Name", "Owner", "ARR", "Seats", "Start Date", "Renewal"],
            "accounts",
            {
                "Account ID": "account_id",
                "Name": "account_name",
                "Owner": "csm",
                "ARR": "arr",
                "Seats": "licensed_seats",
                "Start Date": "contract_start",
                "Renewal": "renewal_date",
            },
        ),
        (
            ["customer_id", "day", "event", "count"],
            "usage",
            {"customer_id": "account_id", "day": "date", "event": "metric", "count": "value"},
        ),
        (
            ["acount_id", "date", "metric", "valu"],
            "usage",
            {"acount_id": "account_id", "date": "date", "metric": "metric", "valu": "value"},
        ),
        (["Something else"], "usage", {}),
    ],
)
def test_suggestions(columns, table, expected):
    assert suggest_mapping(columns, table) == expected


def test_exact_only_ignores_synonyms():
    assert suggest_mapping(["Account ID", "Owner"], "accounts", exact_only=True) == {
        "Account ID": "account_id"
    }
