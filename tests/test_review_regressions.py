"""Regressions from the code review: inputs that once crashed, misnumbered rows or misread values."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from insight_engine.book.loader import UploadedFile, load_uploads
from insight_engine.source.reader import read_raw
from insight_engine.source.validation import parse_dates, parse_numbers
from tests.conftest import TODAY
from tests.test_loader_bad_input import ACCOUNTS, METRICS, USAGE


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbfa,b\n\xe9,1\n",
        b"\xff\xfea\x00,\x00b\x00\n",
        b"account_id,name\rA1,X\r",
        b"\xef\xbb\xbf",
        b"\n\n",
        b"a,b\n1,2,3,4\n",
        b'"a,b\n1,2\n',
    ],
    ids=[
        "bom-then-cp1252",
        "odd-utf16",
        "cr-only",
        "bom-only",
        "blank-lines-only",
        "ragged",
        "open-quote",
    ],
)
def test_reader_never_raises(data):
    raw = read_raw(data, "accounts.csv")
    assert raw.fatal is not None or isinstance(raw.frame, pd.DataFrame)


def test_cr_only_and_leading_blank_lines_keep_spreadsheet_rows():
    raw = read_raw(b"\n\na,b\n1,2\n\n3,4\n", "x.csv")
    assert raw.fatal is None
    assert list(raw.frame.index + raw.row_offset) == [4, 6]


def test_excel_row_numbers_survive_blank_rows():
    frame = pd.read_csv(io.StringIO(ACCOUNTS))
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as writer:
        frame.iloc[:1].to_excel(writer, index=False, startrow=1)  # a blank row above the header
        frame.iloc[1:].to_excel(
            writer, index=False, header=False, startrow=4
        )  # and one between rows
    raw = read_raw(buf.getvalue(), "accounts.xlsx")
    assert list(raw.frame.index + raw.row_offset) == [3, 5, 6]


def test_parquet_with_a_saved_index_counts_rows_from_one():
    buf = io.BytesIO()
    pd.read_csv(io.StringIO(ACCOUNTS)).set_index("industry" if False else "csm").to_parquet(buf)
    raw = read_raw(buf.getvalue(), "accounts.parquet")
    assert list(raw.frame.index) == [0, 1, 2] and "csm" in raw.frame.columns


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
