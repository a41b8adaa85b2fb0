"""Exports as the tools write them (issue 14, points 4-6): tools' headers recognised from names
and values, one export holding several tables, headerless files, skipped files, and the saved
mapping that gives the same book in the app and on the command line.

The fixtures in ``tests/fixtures/exports/`` are real tools' sample exports (Salesforce accounts
and cases) and hand-made ones written from each tool's documented columns (HubSpot companies,
Zendesk tickets, a Delighted NPS export, a weekly product-usage file).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from insight_engine.analysis.engine import analyze
from insight_engine.book.loader import folder_plan, load_folder, load_sql, load_uploads
from insight_engine.cli import main
from insight_engine.source.mapping import suggest_mapping
from insight_engine.source.mapping_file import MappingFileError, SavedMapping, looks_headerless
from insight_engine.source.reader import read_raw

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
TODAY = pd.Timestamp("2026-11-23")
# A team's raw exports: Salesforce accounts, Salesforce cases as tickets, NPS responses, usage.
SALESFORCE_FOLDER = (
    "salesforce-accounts-data-export.csv",
    "salesforce-cases-data-export.csv",
    "delighted-nps-responses.csv",
    "product-usage-weekly.csv",
)


def _folder(tmp_path: Path, names=SALESFORCE_FOLDER) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in names:
        shutil.copy(EXPORTS / name, folder / name)
    return folder


def _suggest(name: str, table: str) -> dict[str, str]:
    raw = read_raw((EXPORTS / name).read_bytes(), name)
    return suggest_mapping([str(c) for c in raw.frame.columns], table, frame=raw.frame)


# --- point 4: tools' headers -----------------------------------------------------------------

# Each row: a tool's export header (as the tool writes it), the table, and what Rudder offers.
TOOLS = [
    (
        "Salesforce API names (Data Loader)",
        ["Id", "Name", "OwnerId", "AnnualRevenue", "Industry", "CreatedDate"],
        "accounts",
        {
            "Id": "account_id",
            "Name": "account_name",
            "OwnerId": "csm",
            "AnnualRevenue": "arr",
            "Industry": "industry",
        },
    ),
    (
        "Salesforce report labels",
        ["Account ID", "Account Name", "Account Owner", "Annual Revenue", "Industry", "Type"],
        "accounts",
        {
            "Account ID": "account_id",
            "Account Name": "account_name",
            "Account Owner": "csm",
            "Annual Revenue": "arr",
            "Industry": "industry",
        },
    ),
    (
        "HubSpot companies",
        [
            "Record ID",
            "Company name",
            "Company owner",
            "Annual Revenue",
            "Create Date",
            "Lifecycle Stage",
            "Industry",
        ],
        "accounts",
        {
            "Record ID": "account_id",
            "Company name": "account_name",
            "Company owner": "csm",
            "Annual Revenue": "arr",
            "Lifecycle Stage": "lifecycle_stage",
            "Industry": "industry",
        },
    ),
    (
        "Stripe subscriptions",
        [
            "id",
            "Customer ID",
            "Customer Name",
            "Plan",
            "Quantity",
            "Start Date (UTC)",
            "Current Period End (UTC)",
        ],
        "accounts",
        {
            "Customer ID": "account_id",
            "Customer Name": "account_name",
            "Plan": "tier",
            "Quantity": "licensed_seats",
            "Start Date (UTC)": "contract_start",
            "Current Period End (UTC)": "renewal_date",
        },
    ),
    (
        "Salesforce Cases (API names)",
        ["Id", "CaseNumber", "AccountId", "Type", "Priority", "ClosedDate", "CreatedDate"],
        "tickets",
        {
            "CaseNumber": "ticket_id",
            "AccountId": "account_id",
            "Type": "topic",
            "Priority": "priority",
            "ClosedDate": "closed_at",
            "CreatedDate": "opened_at",
        },
    ),
    (
        "Salesforce case report labels",
        [
            "Case Number",
            "Account ID",
            "Subject",
            "Priority",
            "Date/Time Opened",
            "Date/Time Closed",
        ],
        "tickets",
        {
            "Case Number": "ticket_id",
            "Account ID": "account_id",
            "Subject": "topic",
            "Priority": "priority",
            "Date/Time Opened": "opened_at",
            "Date/Time Closed": "closed_at",
        },
    ),
    (
        "Zendesk tickets",
        ["Id", "Organization", "Subject", "Priority", "Created at", "Solved at"],
        "tickets",
        {
            "Id": "ticket_id",
            "Organization": "account_id",
            "Subject": "topic",
            "Priority": "priority",
            "Created at": "opened_at",
            "Solved at": "closed_at",
        },
    ),
    (
        "Intercom conversations",
        ["Conversation ID", "Company ID", "Created at", "Closed at", "Conversation rating"],
        "tickets",
        {
            "Conversation ID": "ticket_id",
            "Company ID": "account_id",
            "Created at": "opened_at",
            "Closed at": "closed_at",
            "Conversation rating": "csat",
        },
    ),
    (
        "Freshdesk tickets",
        [
            "Ticket ID",
            "Company ID",
            "Subject",
            "Priority",
            "Created time",
            "Closed time",
            "Due by Time",
        ],
        "tickets",
        {
            "Ticket ID": "ticket_id",
            "Company ID": "account_id",
            "Subject": "topic",
            "Priority": "priority",
            "Created time": "opened_at",
            "Closed time": "closed_at",
        },
    ),
    (
        "Delighted NPS",
        ["Response ID", "Score", "Comment", "Response date", "Account ID"],
        "surveys",
        {
            "Score": "score",
            "Comment": "comment",
            "Response date": "date",
            "Account ID": "account_id",
        },
    ),
    (
        "Qualtrics",
        ["ResponseId", "RecordedDate", "Account ID", "Score", "Feedback"],
        "surveys",
        {
            "RecordedDate": "date",
            "Account ID": "account_id",
            "Score": "score",
            "Feedback": "comment",
        },
    ),
]


@pytest.mark.parametrize(("tool", "columns", "table", "expected"), TOOLS, ids=[t[0] for t in TOOLS])
def test_tools_export_headers(tool, columns, table, expected):
    assert suggest_mapping(columns, table) == expected, tool


FIXTURES = [
    (
        "salesforce-accounts-data-export.csv",
        "accounts",
        {
            "Id": "account_id",
            "Name": "account_name",
            "OwnerId": "csm",
            "AnnualRevenue": "arr",
            "Industry": "industry",
        },
    ),
    (
        # 'Reason' is empty in every row: Type is the topic
        "salesforce-cases-data-export.csv",
        "tickets",
        {
            "CaseNumber": "ticket_id",
            "AccountId": "account_id",
            "Type": "topic",
            "Priority": "priority",
            "ClosedDate": "closed_at",
            "CreatedDate": "opened_at",
        },
    ),
    (
        # 'Create Date' is when the CRM record was made, not the contract's start
        "hubspot-companies-export.csv",
        "accounts",
        {
            "Record ID": "account_id",
            "Company name": "account_name",
            "Company owner": "csm",
            "Annual Revenue": "arr",
            "Lifecycle Stage": "lifecycle_stage",
            "Industry": "industry",
        },
    ),
    (
        # 'Satisfaction Score' holds Good/Bad/Offered, not a 1-5 number: never csat;
        # 'Resolution time' is hours, 'Due date' is not when it closed
        "zendesk-tickets-export.csv",
        "tickets",
        {
            "Id": "ticket_id",
            "Organization": "account_id",
            "Subject": "topic",
            "Priority": "priority",
            "Created at": "opened_at",
            "Solved at": "closed_at",
        },
    ),
    (
        "delighted-nps-responses.csv",
        "surveys",
        {
            "Score": "score",
            "Comment": "comment",
            "Response date": "date",
            "Account ID": "account_id",
        },
    ),
    (
        "product-usage-weekly.csv",
        "usage",
        {"Account ID": "account_id", "Week": "date", "Feature": "metric", "Count": "value"},
    ),
]


@pytest.mark.parametrize(("name", "table", "expected"), FIXTURES, ids=[f[0] for f in FIXTURES])
def test_each_fixture_export_is_mapped_from_its_names_and_values(name, table, expected):
    got = _suggest(name, table)
    got.pop("Email", None)  # surveys may key a response by email (second-key joins)
    assert got == expected


@pytest.mark.parametrize(
    ("column", "values", "table", "never"),
    [
        ("Renewal", ["30", "365", "90"], "accounts", "renewal_date"),  # days until, not a date
        ("Created", ["12", "40", "7"], "tickets", "opened_at"),
        ("Satisfaction Score", ["Good", "Bad", "Offered"], "tickets", "csat"),
        ("Seats", ["many", "a few", "lots"], "accounts", "licensed_seats"),
        ("Start", ["+1 415 555 0101", "3456588094", "8153015090"], "accounts", "contract_start"),
        ("Close Date", ["2004", "1998", "2011"], "accounts", "contract_start"),  # years
    ],
)
def test_a_column_whose_values_are_of_another_kind_is_never_offered(column, values, table, never):
    frame = pd.DataFrame({column: values})
    assert never not in suggest_mapping([column], table, frame=frame).values()


@pytest.mark.parametrize(
    ("column", "table", "target"),
    [("Renewal", "accounts", "renewal_date"), ("Created", "tickets", "opened_at")],
)
def test_dates_as_tools_write_them_are_offered(column, table, target):
    dates = pd.DataFrame({column: ["2024-01-22T14:49:34.000+0000", "Dec 1, 2024", "45000"]})
    assert suggest_mapping([column], table, frame=dates) == {column: target}


def test_guess_reads_each_raw_export_as_its_table(tmp_path):
    plan, report = folder_plan(_folder(tmp_path), guess=True)
    tables = {n: list(p.tables) for n, p in plan.files.items()}
    assert tables == {
        "salesforce-accounts-data-export.csv": ["accounts"],
        "salesforce-cases-data-export.csv": ["tickets"],
        "delighted-nps-responses.csv": ["surveys"],
        "product-usage-weekly.csv": ["usage"],
    }
    # an NPS tool's export has no kind column: every response is NPS
    assert plan.files["delighted-nps-responses.csv"].tables["surveys"].set == {"kind": "nps"}
    assert "read as the tickets table" in " ".join(p.problem for p in report.problems)


def test_a_file_named_for_no_table_is_read_by_its_columns(tmp_path):
    folder = _folder(tmp_path, ())
    shutil.copy(EXPORTS / "salesforce-cases-data-export.csv", folder / "export-2024-01.csv")
    plan, report = folder_plan(folder, guess=True)
    assert list(plan.files["export-2024-01.csv"].tables) == ["tickets"]
    assert "from its columns" in " ".join(p.problem for p in report.problems)


# --- point 6 on the command line: --guess, --mapping -------------------------------------


def test_guess_on_the_command_line_reaches_a_ranked_book(tmp_path, capsys):
    folder = _folder(tmp_path)
    saved = tmp_path / "mapping.json"
    code = main(
        [
            "rank",
            "--data",
            str(folder),
            "--guess",
            "--save-mapping",
            str(saved),
            "--no-save",
            "--format",
            "json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    ranked = json.loads(out)
    assert len(ranked["accounts"]) == 22
    # the mapping it used is printed, and saved, so the next run can use it
    assert '"rudder_mapping": 1' in err and "--mapping" in err
    assert set(SavedMapping.load(saved).files) == set(SALESFORCE_FOLDER)
    # the same folder read with the saved mapping gives the same ranking
    code = main(
        ["rank", "--data", str(folder), "--mapping", str(saved), "--no-save", "--format", "json"]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out) == ranked


def test_guess_loads_tickets_and_surveys_and_ranks(tmp_path):
    book = load_folder(_folder(tmp_path), guess=True, today=TODAY)
    assert len(book.accounts) == 22
    assert len(book.tickets) == 14  # 26 cases link to a contact only: set aside, and said
    assert len(book.surveys) == 5 and set(book.surveys["kind"]) == {"nps"}
    assert book.weekly.shape[2] == 2
    assert len(analyze(book, model_dir=None).ranked) == 22


def test_to_sql_takes_the_mapping_and_gives_the_same_book(tmp_path, capsys):
    folder = _folder(tmp_path)
    plan, _ = folder_plan(folder, guess=True)
    saved = tmp_path / "mapping.json"
    saved.write_text(plan.to_json())
    url = f"sqlite:///{tmp_path / 'cs.db'}"
    assert main(["to-sql", "--data", str(folder), "--url", url, "--mapping", str(saved)]) == 0
    assert "--mapping" in capsys.readouterr().err  # the rows set aside, and how to see them
    from_folder = load_folder(folder, mapping=SavedMapping.load(saved), today=TODAY)
    from_sql = load_sql(url, today=TODAY)
    assert list(from_sql.accounts["account_id"]) == list(from_folder.accounts["account_id"])
    assert len(from_sql.tickets) == len(from_folder.tickets) == 14
    assert len(from_sql.surveys) == len(from_folder.surveys) == 5
    assert from_sql.as_of == from_folder.as_of


# --- the same folder and mapping give the same book in the app's loader and the folder's ---


def test_the_same_mapping_gives_the_same_book_from_uploads_and_from_the_folder(tmp_path):
    folder = _folder(tmp_path)
    plan, _ = folder_plan(folder, guess=True)
    mapping = SavedMapping.from_json(plan.to_json())
    files = {n: (folder / n).read_bytes() for n in SALESFORCE_FOLDER}
    uploaded = load_uploads(mapping.uploads(files), today=TODAY)
    from_folder = load_folder(folder, mapping=mapping, today=TODAY)
    for table in ("accounts", "metrics", "tickets", "surveys"):
        pd.testing.assert_frame_equal(
            getattr(uploaded, table).reset_index(drop=True),
            getattr(from_folder, table).reset_index(drop=True),
        )
    assert uploaded.as_of == from_folder.as_of
    assert np.array_equal(uploaded.weekly.values, from_folder.weekly.values, equal_nan=True)
    # the mapping of the uploads is the mapping that was applied
    again = SavedMapping.from_uploads(mapping.uploads(files))
    assert json.loads(again.to_json()) == json.loads(mapping.to_json())


# --- point 5: one export, several tables; headerless files; skipping a file ---------------

USAGE_WITH_ACCOUNTS = """account_id,account_name,csm,arr,date,metric,value
A-1,Acme,Priya Shah,48000,2024-01-01,logins,12
A-1,Acme,Priya Shah,48000,2024-01-08,logins,15
A-1,Acme,Sam Lee,48000,2024-01-15,logins,9
B-2,Bolt,Sam Lee,12000,2024-01-01,logins,3
B-2,Bolt,Sam Lee,12000,2024-01-08,logins,4
B-2,Bolt,Sam Lee,12000,2024-01-15,logins,2
"""


def test_one_export_with_account_fields_on_every_usage_row_is_split(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "usage-export.csv").write_text(USAGE_WITH_ACCOUNTS)
    plan, _ = folder_plan(folder, guess=True)
    assert list(plan.files["usage-export.csv"].tables) == ["accounts", "usage"]
    book = load_folder(folder, guess=True, today=TODAY)
    accounts = book.accounts.set_index("account_id")
    assert list(accounts.index) == ["A-1", "B-2"]
    assert accounts.loc["A-1", "csm"] == "Priya Shah"  # the first row
    assert accounts.loc["A-1", "arr"] == 48000
    report = book.report.to_frame()
    disagree = report.loc[report["column"] == "csm", "problem"].str.cat(sep=" ")
    assert "differs between rows of 1 account(s)" in disagree and "Sam Lee" in disagree
    assert set(book.metrics["metric"]) == {"logins"}  # account fields are not metrics
    assert len(analyze(book, model_dir=None).ranked) == 2


HEADERLESS_USAGE = """A-1,2024-01-01,logins,12
A-1,2024-01-08,logins,15
B-2,2024-01-01,logins,3
B-2,2024-01-08,logins,-4
"""


@pytest.mark.parametrize(
    ("first_row", "headerless"),
    [
        (["A-1", "2024-01-01", "logins", "12"], True),  # a date
        (["alice@acme.io", "Acme", "admin"], True),  # an email
        (["7", "12.5", "name", "plan"], True),  # numbers in half the cells
        (["Dec 1, 2024", "Acme", "Pro", "Jane"], True),  # a date written out
        (["account_id", "date", "metric", "value"], False),
        (["Id", "Name", "AnnualRevenue", "CreatedDate"], False),
        (["Q3 2024 ARR", "Seats (2025)", "Tier 1 name", "CSM"], False),  # digits in names
        (["N/A", "none", "-", "nan"], False),  # placeholders are not data
        (["", "  ", ""], False),
    ],
)
def test_a_first_row_of_data_is_told_from_column_names(first_row, headerless):
    assert looks_headerless(first_row) is headerless


def test_a_file_with_no_header_row_is_detected_and_named(tmp_path):
    assert looks_headerless(["A-1", "2024-01-01", "logins", "12"])
    assert not looks_headerless(["account_id", "date", "metric", "value"])
    assert not looks_headerless(["Id", "Name", "AnnualRevenue", "CreatedDate"])
    folder = tmp_path / "nohead"
    folder.mkdir()
    (folder / "accounts.csv").write_text("account_id,account_name\nA-1,Acme\nB-2,Bolt\n")
    (folder / "usage.csv").write_text(HEADERLESS_USAGE)
    plan, report = folder_plan(folder, guess=True)
    usage = plan.files["usage.csv"]
    assert usage.header is False
    assert usage.tables["usage"].columns == {
        "column 1": "account_id",
        "column 2": "date",
        "column 3": "metric",
        "column 4": "value",
    }
    assert "has no header row" in " ".join(p.problem for p in report.problems)
    book = load_folder(folder, guess=True, today=TODAY)
    assert book.report.counts["usage.csv"]["kept"] == 3
    bad = book.report.to_frame().query("severity == 'error'")
    assert list(bad["row"]) == [4]  # the file's own 4th line: there is no header row to count


def test_a_file_is_skipped_through_the_mapping_file(tmp_path):
    folder = _folder(tmp_path)
    plan, _ = folder_plan(folder, guess=True)
    doc = json.loads(plan.to_json())
    doc["files"]["salesforce-cases-data-export.csv"] = {"skip": True}
    saved = tmp_path / "mapping.json"
    saved.write_text(json.dumps(doc))
    book = load_folder(folder, mapping=SavedMapping.load(saved), today=TODAY)
    assert book.tickets.empty and "tickets" not in book.provided
    assert len(book.surveys) == 5


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ("not json", "is not JSON"),
        ({"files": {}}, "not a Rudder mapping"),
        ({"rudder_mapping": 2, "files": {}}, "version 2"),
        (
            {"rudder_mapping": 1, "files": {"a.csv": {"tables": {"deals": {}}}}},
            "not a Rudder table",
        ),
        (
            {
                "rudder_mapping": 1,
                "files": {"a.csv": {"tables": {"accounts": {"columns": {"X": "revenue"}}}}},
            },
            "'revenue' is not a column of accounts",
        ),
        (
            {
                "rudder_mapping": 1,
                "files": {"a.csv": {"tables": {"usage": {}}, "date_order": "ymd"}},
            },
            "date_order",
        ),
    ],
)
def test_a_mapping_file_that_cannot_be_used_says_why(doc, says):
    text = doc if isinstance(doc, str) else json.dumps(doc)
    with pytest.raises(MappingFileError, match=says):
        SavedMapping.from_json(text)


def test_a_bad_mapping_file_on_the_command_line_is_an_error_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "m.json"
    bad.write_text('{"rudder_mapping": 9, "files": {}}')
    assert main(["load", "--data", str(_folder(tmp_path)), "--mapping", str(bad)]) == 2
    assert "version 9" in capsys.readouterr().err


def test_draft_takes_the_mapping(tmp_path, capsys):
    folder = _folder(tmp_path)
    plan, _ = folder_plan(folder, guess=True)
    saved = tmp_path / "mapping.json"
    saved.write_text(plan.to_json())
    code = main(
        [
            "draft",
            "--data",
            str(folder),
            "--mapping",
            str(saved),
            "--account",
            "001Ec00000GGw3iIAD",
            "--audience",
            "admin",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "===== admin =====" in out and "--mapping" in err
