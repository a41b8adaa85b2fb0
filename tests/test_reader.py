"""The reader (insight_engine/source/reader.py): any bytes become a raw table or one clear
problem, before any table is validated. Formats (CSV and its dialects, Excel, Parquet, JSON,
JSON lines), spreadsheet row numbers, the checks made before reading, and the tables guessed
from file names."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insight_engine.source.reader import SUPPORTED_SUFFIXES, check_upload, read_raw
from tests.conftest import ROOT
from tests.fixtures import book_dir
from tests.helpers import ACCOUNTS
from tests.hostile import nested_parquet, parquet_rows_bomb, workbook

EXPORTS = ROOT / "tests" / "fixtures" / "exports"


@pytest.mark.parametrize(
    ("data", "expected"),  # the frame read (column -> cells), or how the problem starts
    [
        (b"\xef\xbb\xbfa,b\n\xe9,1\n", {"a": ["\xe9"], "b": ["1"]}),  # read as Windows-1252
        (b"\xff\xfea\x00,\x00b\x00\n", {"a": [], "b\ufffd": []}),  # the odd byte is replaced
        (b"account_id,name\rA1,X\r", {"account_id": ["A1"], "name": ["X"]}),
        (b"\xef\xbb\xbf", "is empty"),
        (b"\n\n", "is empty"),
        (b"a,b\n1,2,3,4\n", "has more values on its first data row than there are column names"),
        (b'"a,b\n1,2\n', "has a row with a different number of columns than the header"),
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
def test_reader_never_raises(data, expected):
    raw = read_raw(data, "accounts.csv")
    if isinstance(expected, str):
        assert raw.fatal is not None and raw.fatal.problem.startswith(expected) and raw.fatal.fix
    else:
        assert raw.fatal is None and raw.frame.to_dict("list") == expected


def test_cr_only_and_leading_blank_lines_keep_spreadsheet_rows():
    raw = read_raw(b"\n\na,b\n1,2\n\n3,4\n", "x.csv")
    assert raw.fatal is None
    assert list(raw.frame.index + raw.row_offset) == [4, 6]


@pytest.mark.parametrize(
    ("text", "kept_rows"),  # spreadsheet rows of the rows kept
    [
        ("a,b,c\n1,2,3\n,,\n4,5,6\n", [2, 4]),  # a row of commas is blank
        ("a,b,c\n  , ,\t\n1,2,3\n", [3]),  # spaces and tabs only
        ("a,b,c\n,,x\n,y,\n", [2, 3]),  # one cell filled, in any column: kept
        ("a,b,c\n1\n,\n", [2]),  # a short row with a value kept; a short blank one not
        ("a\n\n \nz\n", [4]),  # one column
    ],
)
def test_blank_rows_are_left_out_and_the_others_keep_their_row(text, kept_rows):
    raw = read_raw(text.encode(), "x.csv")
    assert raw.fatal is None
    assert list(raw.frame.index + raw.row_offset) == kept_rows


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


def test_json_lines_are_flattened_with_dots_and_a_bad_line_is_listed():
    data = (
        b'{"userId":"u1","event":"Signed In","context":{"groupId":"A-1"},"properties":{"time":1}}\n'
        b"not json\n"
        b'{"userId":"u2","event":"Signed In","context":{"groupId":"A-2","ip":"1.2.3.4"}}\n'
    )
    raw = read_raw(data, "events.jsonl")
    assert raw.fatal is None
    assert {"userId", "event", "context.groupId", "properties.time", "context.ip"} <= set(
        raw.frame.columns
    )
    assert raw.frame["context.groupId"].tolist() == ["A-1", "A-2"]
    assert raw.frame["properties.time"].tolist() == ["1", ""]  # text, "" where absent
    assert [n.row for n in raw.notes] == [2]  # line 2, as an editor shows it
    assert "not a JSON object" in raw.notes[0].problem


def _good_lines_of_the_book() -> bytes:
    raw = (book_dir("segment_events") / "events.jsonl").read_bytes()
    return b"\n".join(line for line in raw.split(b"\n") if not line.startswith(b"not json"))


@pytest.mark.parametrize(
    ("source", "arrow_reads_it"),
    [
        (lambda: (EXPORTS / "segment-spec-example-events.jsonl").read_bytes(), True),
        (lambda: (book_dir("segment_events") / "events.jsonl").read_bytes(), False),  # bad line
        (_good_lines_of_the_book, True),
        (lambda: b'{"a":1,"b":{"c":[1,2]}}\n\n{"b":{"d":{}},"a":25,"t":true}\n', True),
        (lambda: b'{"a":1.5,"b":{"c":[]},"e":"2026-01-02T03:04:05Z"}\n{"b":{"c":["x"]}}\n', True),
        (lambda: b'{"groups":{"c":[1,"x"]}}\n', False),  # a list Arrow cannot type: JSON text
        (lambda: b'{"a":1}\n{"a":2.0}\n', False),  # 2.0 and 2 are one double to Arrow
        (lambda: b'{"a":1,"b":null}\n{"b":{"c":"x"}}\n', False),  # a null object
    ],
)
def test_json_lines_read_by_arrow_give_the_line_readers_frame(source, arrow_reads_it):
    from insight_engine.source import reader

    data = source()
    text = data.decode("utf-8")
    try:
        reader._arrow_json_lines_frame(text)
        read = True
    except Exception:  # refused: the line reader takes the file
        read = False
    assert read is arrow_reads_it
    fast = reader._read_json_lines(data, "events.jsonl")
    slow = reader._read_json_lines(data, "events.jsonl", arrow=False)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert [(n.row, n.problem) for n in fast.notes] == [(n.row, n.problem) for n in slow.notes]
    assert fast.row_offset == slow.row_offset and fast.fatal == slow.fatal


@pytest.mark.parametrize(
    ("doc", "rows", "note"),
    [
        ({"object": "list", "data": [{"id": "s1"}, {"id": "s2"}], "has_more": False}, 2, None),
        ({"object": "list", "data": [{"id": "s1"}], "has_more": True}, 1, "first page"),
        ([{"id": "s1", "items": {"data": [{"quantity": 3}]}}], 1, None),
        (
            {
                "resources": {
                    "customer": {"object": "customer"},
                    "subscription": {"object": "subscription"},
                }
            },
            2,
            None,
        ),
    ],
)
def test_json_documents_as_api_exports_write_them(doc, rows, note):
    raw = read_raw(json.dumps(doc).encode(), "subscriptions.json")
    assert raw.fatal is None and len(raw.frame) == rows
    if note:
        assert any(note in n.problem for n in raw.notes)
    if "items" in json.dumps(doc):
        assert json.loads(raw.frame.loc[0, "items.data"]) == [{"quantity": 3}]  # lists stay JSON


def test_json_that_holds_no_records_says_so():
    assert "not valid JSON" in read_raw(b"[1, 2", "x.json").fatal.problem
    assert "no list of records" in read_raw(b'{"a": 1, "b": 2}', "x.json").fatal.problem


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("events.jsonl", "events"),
        ("Segment events export.jsonl", "events"),
        ("stripe-subscriptions.json", "subscriptions"),
        ("users.csv", "users"),
        ("usage_by_user.csv", "usage"),  # a contract table's name wins over a source's
    ],
)
def test_uploads_know_the_exports_by_name(name, table):
    from insight_engine.source.reader import guess_table

    assert guess_table(name) == table


def test_an_oversized_upload_is_refused_with_the_limit(monkeypatch):
    monkeypatch.setenv("RUDDER_MAX_UPLOAD_MB", "1")
    big = b"account_id,date,metric,value\n" + b"A-1,2025-01-01,logins,1\n" * 60_000
    problem = check_upload(big, "usage.csv")
    assert problem is not None and "1 MB upload limit" in problem.problem
    assert "folder or a database" in problem.fix


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("accounts.xlsx", b"account_id,account_name\nA-1,x\n", "not an Excel workbook"),
        ("usage.parquet", b"account_id,date\n", "not a complete Parquet file"),
        ("accounts.csv", b"PK\x03\x04\x00\x00binary\x00\x00", "not a text file"),
        ("accounts.xlsx", b"PK\x03\x04 truncated", "damaged workbook"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused(name, data, says):
    problem = check_upload(data, name)
    assert problem is not None and says in problem.problem and problem.fix


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_any_bytes_read_into_a_table_or_a_clear_problem(data, suffix):
    raw = read_raw(data, f"accounts{suffix}")
    assert raw.fatal is None or (raw.fatal.problem and raw.fatal.fix)


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("accounts.xlsx", lambda: workbook({"A1": "account_id", "XFD1048576": "x"}), "used range"),
        ("usage.parquet", parquet_rows_bomb, "larger than Rudder reads"),
        ("accounts.parquet", nested_parquet, "lists, records or raw bytes"),
        ("accounts.csv", lambda: b",".join(b"c%d" % i for i in range(5000)) + b"\n", "columns"),
        ("accounts.csv", lambda: b"account_id,account_name\nA-1,x,extra\n", "first data row"),
    ],
)
def test_small_files_that_would_explode_on_reading_are_refused_first(name, make, says):
    """Found in review: a 5 KB workbook with one far cell, a 1 MB Parquet of 60M rows, nested
    Parquet columns, a 5,000-column header, an extra field on the first row."""
    import resource

    data = make()
    assert len(data) < 2 * 2**20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    raw = read_raw(data, name)
    assert raw.fatal is not None and says in raw.fatal.problem, raw.fatal
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # < 200 MB
