"""Column-mapping suggestions."""

import pandas as pd
import pytest

from insight_engine.source.mapping import (
    missing_required,
    normalize,
    suggest_mapping,
    unrecognised_values,
)


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


# What CS-ops exports call the contract's columns (Salesforce, HubSpot, Gainsight, Zendesk,
# survey tools): each row is one export's header for one table and what Rudder should offer.
@pytest.mark.parametrize(
    ("columns", "table", "expected"),
    [
        (["csm_owner"], "accounts", {"csm_owner": "csm"}),
        (["Account Owner"], "accounts", {"Account Owner": "csm"}),
        (["Owner"], "accounts", {"Owner": "csm"}),
        (["Company"], "accounts", {"Company": "account_name"}),
        (["Company Name"], "accounts", {"Company Name": "account_name"}),
        (["Segment"], "accounts", {"Segment": "tier"}),
        (["Plan"], "accounts", {"Plan": "tier"}),
        (
            ["submitted_at", "satisfaction_score"],
            "surveys",
            {
                "submitted_at": "date",
                "satisfaction_score": "score",
            },
        ),
        (["Date Received"], "surveys", {"Date Received": "date"}),
        (
            ["Submitted At", "Severity", "Satisfaction Score"],
            "tickets",
            {
                "Submitted At": "opened_at",
                "Severity": "priority",
                "Satisfaction Score": "csat",
            },
        ),
        (
            ["feature_name", "usage_count"],
            "usage",
            {"feature_name": "metric", "usage_count": "value"},
        ),
        (["Call Date"], "notes", {"Call Date": "date"}),
        # a close spelling of the same kind is still offered; a day count is not a date
        (
            ["due_dates", "completed_dte"],
            "milestones",
            {"due_dates": "due_date", "completed_dte": "completed_date"},
        ),
        (
            ["id", "name", "owner", "renewal_days", "renews_on"],
            "accounts",
            {
                "id": "account_id",
                "name": "account_name",
                "owner": "csm",
                "renews_on": "renewal_date",
            },
        ),
        # a name that could be two columns takes what the unambiguous names leave
        (
            ["Account", "Account Number", "Owner"],
            "accounts",
            {"Account": "account_name", "Account Number": "account_id", "Owner": "csm"},
        ),
    ],
)
def test_cs_ops_export_names(columns, table, expected):
    assert suggest_mapping(columns, table) == expected


# A column of another kind is never offered for a contract column, however close its name:
# how many days until the renewal is not the renewal date.
@pytest.mark.parametrize(
    ("columns", "table", "never"),
    [
        (["renewal_days"], "accounts", "renewal_date"),
        (["Renewal Days"], "accounts", "renewal_date"),
        (["contract_start_months"], "accounts", "contract_start"),
        (["completed_days"], "milestones", "completed_date"),
        (["licensed_seats_at"], "accounts", "licensed_seats"),
        (["signal_strength_date"], "insights", "signal_strength"),
    ],
)
def test_no_wrong_kind_offered(columns, table, never):
    assert never not in suggest_mapping(columns, table).values()


def test_a_missing_required_column_names_the_file_the_column_and_every_column():
    cols = ["customer", "day_count", "feature_name", "usage_count"]
    messages = missing_required("usage.csv", "usage", cols, suggest_mapping(cols, "usage"))
    assert len(messages) == 2  # account_id and date; metric and value are mapped
    date = next(m for m in messages if "column for date" in m)
    assert date.startswith("usage.csv ")
    assert all(f"'{c}'" in date for c in cols)


def test_a_wide_usage_file_needs_only_the_account_and_the_date():
    cols = ["account_id", "date", "tickets_solved", "macros_used"]
    assert (
        missing_required("usage.csv", "usage", cols, {"account_id": "account_id", "date": "date"})
        == []
    )


@pytest.mark.parametrize(
    ("table", "mapping", "stops"),
    [
        # a second key (subscription id, user id, email) is joined to the account: no stop
        ("tickets", {"T": "ticket_id", "E": "email", "O": "opened_at"}, []),
        ("surveys", {"S": "subscription_id", "D": "date", "K": "kind", "V": "score"}, []),
        ("usage", {"U": "user_id", "D": "date", "M": "metric", "V": "value"}, []),
        # no key at all: account_id stops it, and the message offers the second keys
        ("tickets", {"T": "ticket_id", "O": "opened_at"}, ["account_id"]),
        # accounts have no second key: their id is theirs
        ("accounts", {"N": "account_name", "E": "email"}, ["account_id"]),
    ],
)
def test_a_second_key_stands_in_for_the_account_id(table, mapping, stops):
    messages = missing_required(f"{table}.csv", table, list(mapping), mapping)
    assert [m.split("has no column for ")[1].split(",")[0] for m in messages] == stops
    offered = "subscription id or user id or email, which Rudder joins to its account"
    assert all((offered in m) == (table != "accounts") for m in messages)


@pytest.mark.parametrize(
    ("table", "column", "values", "left"),
    [
        (
            "accounts",
            "tier",
            ["Professional", "growth", " ENTERPRISE ", "SMB", "Professional"],
            ["Professional"],
        ),
        (
            "tickets",
            "priority",
            ["Medium", "P1", "Urgent", "sev 2", "critical", "Blocker!"],
            ["Blocker!"],
        ),
        ("contacts", "role", ["Champion", "Exec Sponsor", "Administrator", "Intern"], ["Intern"]),
        ("surveys", "kind", ["NPS", "Net Promoter", "CSAT", "ces", "ces"], ["ces"]),
        ("insights", "outcome", ["Landed", "n/a", "", None], []),
    ],
)
def test_only_values_rudder_does_not_know_are_offered_for_mapping(table, column, values, left):
    assert unrecognised_values(table, column, values) == left


COUNTS = pd.Series({"Signed In": 50, "Report Viewed": 30, "Invite Sent": 5, "Macro Used": 5})


@pytest.mark.parametrize(
    ("chosen", "top", "expected"),
    [
        # the suggestion: the top events their own metric, the rest other_activity (ties by name)
        (
            None,
            2,
            {
                "Signed In": "signed_in",
                "Report Viewed": "report_viewed",
                "Invite Sent": "other_activity",
                "Macro Used": "other_activity",
            },
        ),
        # the user's choices win for the events the file has; an empty one leaves it uncounted
        (
            {"Invite Sent": " invites ", "Signed In": "", "Gone Event": "gone"},
            2,
            {
                "Signed In": "",
                "Report Viewed": "report_viewed",
                "Invite Sent": "invites",
                "Macro Used": "other_activity",
            },
        ),
        # no top events: everything is other activity
        ({}, 0, dict.fromkeys(COUNTS.index, "other_activity")),
    ],
)
def test_event_metric_table(chosen, top, expected):
    from insight_engine.source.events import event_metric_table

    table = event_metric_table(COUNTS, chosen, top=top)
    assert dict(zip(table["event"], table["metric"], strict=True)) == expected
    assert list(table["events"]) == [50, 30, 5, 5]  # most frequent first


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["a", " a ", "b", "", None, "a"], {"a": 3, "b": 1}),
        ([None, "  "], {}),
        ([1, 2, 2], {"2": 2, "1": 1}),  # numbers as names
    ],
)
def test_event_counts_trims_and_leaves_out_empty_names(values, expected):
    import pyarrow as pa

    from insight_engine.source.events import event_counts

    series = pd.Series(values, dtype=object)
    assert event_counts(series).to_dict() == expected
    assert event_counts(pa.array(series.astype("string"))).to_dict() == expected


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        # Segment track: the group in context, the user id, the timestamp, the event
        (
            ["userId", "event", "timestamp", "context.groupId", "groupId"],
            {
                "userId": "user_id",
                "event": "event",
                "timestamp": "timestamp",
                "context.groupId": "account_id",
            },
        ),
        # Mixpanel raw export, flattened
        (
            ["event", "properties.time", "properties.distinct_id", "properties.account_id"],
            {
                "event": "event",
                "properties.time": "timestamp",
                "properties.distinct_id": "user_id",
                "properties.account_id": "account_id",
            },
        ),
        # no event column: the columns found, no events
        (["user_id", "ts"], {"user_id": "user_id", "ts": "timestamp"}),
    ],
)
def test_guess_events_columns(columns, expected):
    import pyarrow as pa

    from insight_engine.source.events import guess_events

    table = pa.table({c: ["x", "y"] for c in columns})
    found, metric_of = guess_events(table)
    assert found == expected
    assert bool(metric_of) == ("event" in expected.values())
