"""Bad input gets a clear report and loses nothing: every case the contract promises."""

from __future__ import annotations

import hashlib
import io

import pandas as pd
import pytest

from insight_engine.book.loader import UploadedFile, load_folder, load_uploads
from insight_engine.errors import DataLoadError
from tests.conftest import TODAY
from tests.helpers import ACCOUNTS, METRICS, USAGE, write


def problems(book_or_exc):
    report = book_or_exc.report
    return report.to_frame()


def test_clean_folder_loads_everything(tmp_path):
    book = load_folder(write(tmp_path), today=TODAY)
    assert len(book.accounts) == 3
    assert book.report.rejected_rows == 0
    assert book.as_of == pd.Timestamp("2026-11-18")
    assert list(book.accounts["tier"]) == ["Growth", "Starter", "Enterprise"]  # derived from ARR
    assert book.weekly.metric("report_views")[0, -1] == 22  # summed over the week


@pytest.mark.parametrize(
    ("usage_text", "row", "column", "value", "problem_part", "fix_part"),
    [
        (
            "account_id,date,metric,value\nA1,2026-11-16,report_views,-4\n",
            2,
            "value",
            "-4",
            "negative",
            "at least 0",
        ),
        (
            "account_id,date,metric,value\nA1,2026-11-16,report_views,lots\n",
            2,
            "value",
            "lots",
            "not a number",
            "plain number",
        ),
        (
            "account_id,date,metric,value\nA1,2026-11-16,report_views,5\nZ9,2026-11-16,report_views,5\n",
            3,
            "account_id",
            "Z9",
            "not an account",
            "Add the account",
        ),
        (
            "account_id,date,metric,value\nA1,2026-11-16,report_views,5\nA1,2027-02-01,report_views,5\n",
            3,
            "date",
            "2027-02-01",
            "in the future",
            "Check the date",
        ),
        (
            "account_id,date,metric,value\nA1,2026-11-16,report_views,5\nA1,someday,report_views,5\n",
            3,
            "date",
            "someday",
            "not a date",
            "YYYY-MM-DD",
        ),
        (
            "account_id,date,metric,value\nA1,2026-11-16,report_views,5\n,2026-11-16,report_views,5\n",
            3,
            "account_id",
            None,
            "is empty",
            "Fill in",
        ),
    ],
    ids=["negative", "non-numeric", "unknown-account", "future-date", "bad-date", "empty-id"],
)
def test_bad_usage_rows_are_set_aside_with_file_row_column_value_and_fix(
    tmp_path, usage_text, row, column, value, problem_part, fix_part
):
    usage_text += "A3,2026-11-16,report_views,1\n"  # one good row, so the book still has a week
    book = load_folder(write(tmp_path, usage__csv=usage_text), today=TODAY)
    frame = problems(book)
    hit = frame[
        (frame["file"] == "usage.csv") & (frame["row"] == row) & (frame["column"] == column)
    ]
    assert len(hit) == 1, frame.to_string()
    p = hit.iloc[0]
    if value is not None:
        assert p["value"] == value
    assert problem_part in p["problem"]
    assert fix_part in p["fix"]
    # nothing is lost: the bad row is kept, with its row number and reason
    rejected = book.report.rejected["usage.csv"]
    assert list(rejected["row"]) == [row]
    total = usage_text.strip().count("\n")
    counts = book.report.counts["usage.csv"]
    assert counts == {"read": total, "kept": total - 1, "rejected": 1}


def test_many_bad_rows_are_all_counted_and_kept(tmp_path):
    lines = (
        ["account_id,date,metric,value"]
        + [f"A1,2026-11-16,report_views,{-i - 1}" for i in range(450)]
        + ["A2,2026-11-16,report_views,4"]
    )
    book = load_folder(write(tmp_path, usage__csv="\n".join(lines) + "\n"), today=TODAY)
    assert book.report.counts["usage.csv"] == {"read": 451, "kept": 1, "rejected": 450}
    assert len(book.report.rejected["usage.csv"]) == 450
    assert any("more rows have the same problem" in p.problem for p in book.report.problems)


@pytest.mark.parametrize(
    ("encoding_name", "data"),
    [
        ("utf-8-bom", b"\xef\xbb\xbf" + ACCOUNTS.replace("Acme Foods", "Café Zoë").encode("utf-8")),
        ("cp1252", ACCOUNTS.replace("Acme Foods", "Café Zoë").encode("cp1252")),
    ],
)
def test_encodings_are_read_and_names_survive(tmp_path, encoding_name, data):
    book = load_folder(write(tmp_path, accounts__csv=data), today=TODAY)
    assert "Café Zoë" in set(book.accounts["account_name"])
    assert book.report.rejected_rows == 0


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(tmp_path, delimiter):
    text = ACCOUNTS.replace(",", delimiter)
    book = load_folder(write(tmp_path, accounts__csv=text), today=TODAY)
    assert len(book.accounts) == 3
    assert book.accounts["arr"].tolist() == [24000, 8000, 90000]


@pytest.mark.parametrize(
    ("arr_cell", "delimiter", "expected"),
    [
        ('"24,000"', ",", 24000.0),
        ('"$24,000.50"', ",", 24000.5),
        ("24.000,50", ";", 24000.5),
        ("1.234.567", ";", 1234567.0),
    ],
)
def test_thousands_separators(tmp_path, arr_cell, delimiter, expected):
    header = "account_id,account_name,csm,arr,licensed_seats,contract_start,renewal_date".replace(
        ",", delimiter
    )
    row = delimiter.join(["A1", "Acme", "Priya", arr_cell, "20", "2025-01-15", "2027-01-15"])
    rest = [line.replace(",", delimiter) for line in ACCOUNTS.splitlines()[2:]]
    book = load_folder(
        write(tmp_path, accounts__csv="\n".join([header, row, *rest]) + "\n"), today=TODAY
    )
    assert book.accounts.loc[book.accounts["account_id"] == "A1", "arr"].item() == expected


AMBIGUOUS = (
    ACCOUNTS.replace("2025-01-15", "03/04/2025")
    .replace("2027-01-15", "03/04/2027")
    .replace("2025-06-01", "05/06/2025")
    .replace("2027-06-01", "05/06/2027")
    .replace("2024-03-01", "01/02/2024")
    .replace("2027-03-01", "01/02/2027")
)


def test_ambiguous_dates_are_never_swapped_silently(tmp_path):
    with pytest.raises(DataLoadError) as err:
        load_folder(write(tmp_path, accounts__csv=AMBIGUOUS), today=TODAY)
    frame = err.value.report.to_frame()
    hit = frame[frame["file"] == "accounts.csv"].iloc[0]
    assert hit["column"] == "contract_start"
    assert "03/04/2025" in hit["value"]
    assert "day first or month first" in hit["fix"]


@pytest.mark.parametrize(("order", "month"), [("day_first", 4), ("month_first", 3)])
def test_ambiguous_dates_load_once_the_user_chooses(tmp_path, order, month):
    book = load_folder(write(tmp_path, accounts__csv=AMBIGUOUS), today=TODAY, date_order=order)
    assert book.accounts.loc[0, "contract_start"].month == month


def test_unambiguous_day_first_dates_are_read(tmp_path):
    text = ACCOUNTS.replace("2025-01-15", "15/01/2025").replace("2027-01-15", "15/01/2027")
    book = load_folder(write(tmp_path, accounts__csv=text), today=TODAY)
    assert book.accounts.loc[0, "contract_start"] == pd.Timestamp("2025-01-15")


def test_mixed_date_orders_are_refused(tmp_path):
    text = ACCOUNTS.replace("2025-01-15", "15/01/2025").replace("2025-06-01", "06/15/2025")
    with pytest.raises(DataLoadError) as err:
        load_folder(write(tmp_path, accounts__csv=text), today=TODAY)
    assert any("mixes day-first and month-first" in p.problem for p in err.value.report.problems)


def test_duplicate_headers_are_rejected(tmp_path):
    text = ACCOUNTS.replace("licensed_seats,contract_start", "arr,contract_start")
    with pytest.raises(DataLoadError) as err:
        load_folder(write(tmp_path, accounts__csv=text), today=TODAY)
    p = err.value.report.errors[0]
    assert p.file == "accounts.csv" and p.row == 1 and "repeats the column name 'arr'" in p.problem


def test_duplicate_ids_keep_the_first_and_name_both_rows(tmp_path):
    text = ACCOUNTS + "A2,Bluepeak Again,Priya Shah,9000,5,2025-06-01,2027-06-01\n"
    book = load_folder(write(tmp_path, accounts__csv=text), today=TODAY)
    assert len(book.accounts) == 3
    assert (
        book.accounts.loc[book.accounts["account_id"] == "A2", "account_name"].item()
        == "Bluepeak Legal"
    )
    frame = problems(book)
    assert ((frame["row"] == 5) & (frame["problem"] == "is a duplicate id")).any()
    assert frame["problem"].str.contains("first seen on row 3").any()
    assert list(book.report.rejected["accounts.csv"]["row"]) == [5]


@pytest.mark.parametrize(("content", "message"), [("", "is empty"), ("   \n\n", "is empty")])
def test_empty_required_file_is_a_clear_error(tmp_path, content, message):
    with pytest.raises(DataLoadError) as err:
        load_folder(write(tmp_path, accounts__csv=content), today=TODAY)
    assert any(p.file == "accounts.csv" and message in p.problem for p in err.value.report.problems)


def test_header_only_file(tmp_path):
    with pytest.raises(DataLoadError) as err:
        load_folder(write(tmp_path, accounts__csv=ACCOUNTS.splitlines()[0] + "\n"), today=TODAY)
    assert any("no data rows" in p.problem for p in err.value.report.problems)


def test_missing_required_column_names_it(tmp_path):
    text = (
        "\n".join(
            ",".join(line.split(",")[:1] + line.split(",")[2:]) for line in ACCOUNTS.splitlines()
        )
        + "\n"
    )
    with pytest.raises(DataLoadError) as err:
        load_folder(write(tmp_path, accounts__csv=text), today=TODAY)
    p = err.value.report.errors[0]
    assert (
        p.column == "account_name" and "missing" in p.problem and "map your column names" in p.fix
    )
    # every column the file has is listed, not only the ones that matched Rudder's names
    assert "columns found: account_id, csm, arr, licensed_seats" in p.problem


def test_missing_required_table(tmp_path):
    (tmp_path / "x").mkdir()
    write(tmp_path / "x", usage__csv=None)
    (tmp_path / "x" / "usage.csv").unlink(missing_ok=True)
    with pytest.raises(DataLoadError, match="usage"):
        load_folder(tmp_path / "x", today=TODAY)


def test_optional_table_with_unknown_accounts_and_bad_choice(tmp_path):
    contacts = "account_id,name,email,role\nA1,Ana,ana@x.com,champion\nZZ,Bo,bo@x.com,admin\nA2,Cy,cy@x.com,boss\n"
    book = load_folder(write(tmp_path, contacts__csv=contacts), today=TODAY)
    assert list(book.contacts["name"]) == ["Ana"]
    frame = problems(book)
    assert ((frame["row"] == 3) & (frame["column"] == "account_id")).any()
    boss = frame[(frame["row"] == 4) & (frame["column"] == "role")].iloc[0]
    assert boss["value"] == "boss" and "admin, champion, executive" in boss["fix"]


def test_wide_usage_is_melted_with_spreadsheet_row_numbers(tmp_path):
    wide = "account_id,date,report_views,competitors_tracked\nA1,2026-11-16,10,7\nA2,2026-11-16,oops,3\n"
    book = load_folder(write(tmp_path, usage__csv=wide), today=TODAY)
    frame = problems(book)
    hit = frame[(frame["column"] == "report_views") & (frame["value"] == "oops")].iloc[0]
    assert hit["row"] == 3
    assert book.weekly.metric("competitors_tracked")[0, -1] == 7


def test_metric_missing_from_catalog_is_added_and_said(tmp_path):
    usage = USAGE + "A1,2026-11-16,alerts_configured,2\n"
    book = load_folder(write(tmp_path, usage__csv=usage), today=TODAY)
    assert "alerts_configured" in set(book.metrics["metric"])
    assert book.metric_label("alerts_configured") == "Alerts configured"
    assert any(
        p.severity == "warning" and p.value == "alerts_configured" for p in book.report.problems
    )


def test_parquet_usage_fast_path_reports_bad_rows_like_csv(tmp_path):
    frame = pd.read_csv(
        io.StringIO(USAGE + "A1,2026-11-16,report_views,-3\nZZ,2026-11-16,report_views,1\n")
    )
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    write(tmp_path, usage__csv=None)
    frame.to_parquet(tmp_path / "usage.parquet")
    book = load_folder(tmp_path, today=TODAY)
    counts = book.report.counts["usage.parquet"]
    assert counts == {"read": 7, "kept": 5, "rejected": 2}
    found = problems(book)
    assert set(found.loc[found["file"] == "usage.parquet", "row"]) == {6, 7}


def test_excel_upload_with_mapping(tmp_path):
    frame = pd.read_csv(io.StringIO(ACCOUNTS)).rename(
        columns={"account_id": "Account ID", "arr": "Annual Recurring Revenue", "csm": "Owner"}
    )
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    files = [
        UploadedFile("Accounts export.xlsx", buf.getvalue()),
        UploadedFile("metrics.csv", METRICS.encode()),
        UploadedFile("usage.csv", USAGE.encode()),
    ]
    book = load_uploads(files, today=TODAY)
    assert book.accounts["arr"].tolist() == [24000, 8000, 90000]
    assert book.accounts["csm"].iloc[0] == "Priya Shah"


def test_users_files_are_never_modified(tmp_path):
    write(tmp_path, usage__csv=USAGE + "A1,2026-11-16,report_views,-1\n")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    load_folder(tmp_path, today=TODAY)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    assert before == after


def test_blank_lines_do_not_shift_row_numbers(tmp_path):
    usage = "account_id,date,metric,value\nA1,2026-11-16,report_views,4\n\nA1,2026-11-16,report_views,x\n"
    book = load_folder(write(tmp_path, usage__csv=usage), today=TODAY)
    assert list(book.report.rejected["usage.csv"]["row"]) == [4]


def test_two_uploads_for_one_table_are_reported_not_silently_replaced():
    more = ACCOUNTS.replace("A1,", "A9,").replace("A2,", "A8,").replace("A3,", "A7,")
    files = [
        UploadedFile("accounts.csv", ACCOUNTS.encode(), table="accounts"),
        UploadedFile("accounts_more.csv", more.encode(), table="accounts"),
        UploadedFile("metrics.csv", METRICS.encode()),
        UploadedFile("usage.csv", USAGE.encode()),
    ]
    book = load_uploads(files, today=TODAY)
    assert set(book.accounts["account_id"]) == {"A1", "A2", "A3"}
    assert any("second file for the accounts table" in p.problem for p in book.report.problems)


def test_mapping_onto_an_existing_column_name_does_not_crash():
    text = ACCOUNTS.replace("csm,", "csm,Owner,", 1)
    lines = text.splitlines()
    text = (
        "\n".join(
            [lines[0]]
            + [
                line.replace("Priya Shah,", "Priya Shah,Priya Shah,").replace(
                    "Tom Okafor,", "Tom Okafor,Tom Okafor,"
                )
                for line in lines[1:]
            ]
        )
        + "\n"
    )
    mapping = {c: c for c in lines[0].split(",")} | {"Owner": "csm"}
    mapping.pop("csm")
    files = [
        UploadedFile("accounts.csv", text.encode(), table="accounts", mapping=mapping),
        UploadedFile("metrics.csv", METRICS.encode()),
        UploadedFile("usage.csv", USAGE.encode()),
    ]
    book = load_uploads(files, today=TODAY)
    assert len(book.accounts) == 3
