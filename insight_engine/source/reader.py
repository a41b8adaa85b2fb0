"""Reading one file into a raw table of strings, whatever the spreadsheet tool wrote.

Handles UTF-8 (with or without BOM), UTF-16 and Windows-1252 text; ``,`` ``;`` tab and ``|``
delimiters; CSV, TSV, Excel and Parquet. Refuses, with a message, empty files and files whose
header repeats a column name. Never modifies the file.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

import numpy as np
import pandas as pd

from insight_engine.fmt import plural
from insight_engine.source.problems import Problem

__all__ = [
    "MAX_UNPACKED_BYTES",
    "SUPPORTED_SUFFIXES",
    "RawTable",
    "check_upload",
    "guess_table",
    "max_upload_bytes",
    "read_raw",
]

SUPPORTED_SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".xlsx",
    ".xlsm",
    ".parquet",
    ".pq",
    ".json",
    ".jsonl",
    ".ndjson",
)
_DELIMITERS = [",", ";", "\t", "|"]
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass
class RawTable:
    """A file as read: strings for text formats, typed columns for Parquet."""

    file: str
    frame: pd.DataFrame
    row_offset: int = 2
    encoding: str = "utf-8"
    delimiter: str | None = None
    notes: list[Problem] = field(default_factory=list)
    fatal: Problem | None = None

    @property
    def decimal_comma(self) -> bool:
        return self.delimiter == ";"


def guess_table(filename: str) -> str | None:
    """Which contract table a file name points to (``Accounts export.csv`` → ``accounts``,
    ``Segment events.jsonl`` → ``events``)."""
    from insight_engine.source.contract import SOURCES, TABLES

    stem = PurePath(filename).stem.lower().replace("-", "_").replace(" ", "_")
    if stem in TABLES or stem in SOURCES:
        return stem
    for name in sorted(TABLES, key=len, reverse=True):
        if name in stem or name.rstrip("s") in stem:
            return name
    # exports read into the tables (an event log, users, subscriptions): after every table
    for name in sorted(SOURCES, key=len, reverse=True):
        if name in stem or name.rstrip("s") in stem:
            return name
    return None


MAX_UNPACKED_BYTES = 256 * 2**20  # a workbook that unpacks to more is refused (a zip bomb)
_MAX_PACK_RATIO = 100  # ... as is one that unpacks more than 100x past 64 MB
MAX_CELLS = 10_000_000  # a sheet whose used range (rows x columns) is larger is refused
MAX_WORKBOOK_CELLS = 3_000_000  # openpyxl reads ~100k cells a second: CSV for more than this
MAX_COLUMNS = 2_000  # a wide usage file has one column per metric; tables have a dozen
_BLANK_LINES = re.compile(r"(?:[ \t]*\n)*")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
MAX_PARQUET_ROWS = 50_000_000
MAX_PARQUET_BYTES = 1024 * 2**20  # uncompressed
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson")


def max_upload_bytes() -> int:
    """The upload limit from the environment (:class:`insight_engine.config.Config`; the app
    passes its own, which also reads secrets)."""
    from insight_engine.config import Config

    return Config.from_env().max_upload_bytes


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 1024:,.0f} KB"


def check_upload(data: bytes, filename: str, *, max_bytes: int | None = None) -> Problem | None:
    """Refuse, on the server, an upload that is too large or is not what its name says.

    Parameters
    ----------
    data : bytes
        The file as uploaded.
    filename : str
        Its name; the suffix says what it should be.
    max_bytes : int, optional
        The size limit (default :func:`max_upload_bytes`).

    Returns
    -------
    Problem or None
        What is wrong and what to do, or None when the file may be read.
    """
    file = PurePath(filename).name
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if len(data) > limit:
        return Problem(
            file,
            None,
            None,
            _mb(len(data)),
            f"is larger than the {_mb(limit)} upload limit",
            "Load a book this large from a folder or a database (see the README), "
            "or upload a shorter date range.",
        )
    return _check_content(data, file)


def _check_content(data: bytes, file: str) -> Problem | None:
    """The bytes match the suffix, and a workbook does not unpack to something enormous."""
    suffix = PurePath(file).suffix.lower()
    if not data:
        return None
    if suffix in (".xlsx", ".xlsm"):
        fix = "Open it in Excel and save it again as .xlsx, or export CSV."
        if not data.startswith(b"PK\x03\x04"):
            return Problem.about_file(file, "is not an Excel workbook inside", fix)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                # Declared sizes bound what unpacking can produce (zipfile stops there).
                unpacked = sum(info.file_size for info in archive.infolist())
                parts = len(archive.infolist())
                if (
                    unpacked > MAX_UNPACKED_BYTES
                    or (unpacked > 64 * 2**20 and unpacked > _MAX_PACK_RATIO * len(data))
                    or parts > 10_000
                ):
                    return Problem(
                        file,
                        None,
                        None,
                        f"{_mb(len(data))} unpacking to {_mb(unpacked)}",
                        "unpacks to far more than a spreadsheet holds, so Rudder will not open it",
                        "Export the table as CSV from the system it came from.",
                    )
                cells, present = _used_cells(archive)
        except (zipfile.BadZipFile, ValueError, OSError, RuntimeError, EOFError):
            return Problem.about_file(file, "is a damaged workbook", fix)
        if present > MAX_WORKBOOK_CELLS:
            return Problem(
                file,
                None,
                None,
                f"{present:,} cells",
                f"has more than {MAX_WORKBOOK_CELLS:,} cells, too many to read from a workbook",
                "Export the table as CSV: it reads in seconds at any size up to the upload limit.",
            )
        if cells > MAX_CELLS:
            # Reading pads every row to the widest one: one cell at XFD1048576 in a 5 KB file
            # would make 17 billion.
            return Problem(
                file,
                None,
                None,
                f"{cells:,} cells",
                "has a used range (rows x columns) far larger than a table",
                "Delete the stray cells far below or right of the table, or export CSV.",
            )
    elif suffix in (".parquet", ".pq"):
        return _check_parquet(data, file)
    elif suffix in _TEXT_SUFFIXES:
        head = data[:65536]
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return Problem.about_file(
                file,
                "is not a text file (it holds binary data; a workbook renamed to .csv?)",
                "Save it from your spreadsheet tool as 'CSV UTF-8', or upload the workbook as .xlsx.",
            )
    return None


def _used_cells(archive: zipfile.ZipFile) -> tuple[int, int]:
    """(largest used range rows x columns, cells present) over the worksheets."""
    largest = present = 0
    for info in archive.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        xml = archive.read(info)  # bounded by the unpacked-size check above
        rows = cols = 0
        for col, row in _CELL_REF.findall(xml):
            number = 0
            for ch in col:
                number = number * 26 + ch - 64
            cols, rows = max(cols, number), max(rows, int(row))
        largest = max(largest, rows * cols)
        present += len(_CELL_TAG.findall(xml))
    return largest, present


def _check_parquet(data: bytes, file: str) -> Problem | None:
    """A complete Parquet file of flat columns, whose declared size a server can hold."""
    fix = "Export it again, or export CSV instead."
    if not (data.startswith(b"PAR1") and data.endswith(b"PAR1")):
        return Problem.about_file(file, "is not a complete Parquet file", fix)
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
        schema = meta.schema.to_arrow_schema()
        # What reading would hold in memory: at least 8 bytes a value once decoded.
        unpacked = max(
            sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)),
            meta.num_rows * meta.num_columns * 8,
        )
    except Exception:  # pyarrow raises many types for a damaged footer
        return Problem.about_file(file, "is not a complete Parquet file", fix)
    if meta.num_rows > MAX_PARQUET_ROWS or unpacked > MAX_PARQUET_BYTES:
        return Problem(
            file,
            None,
            None,
            f"{meta.num_rows:,} rows, {_mb(unpacked)} unpacked",
            "is larger than Rudder reads from an upload",
            "Load a book this large from a database (see the README), or export a shorter range.",
        )
    for column in schema:
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            return Problem(
                file,
                1,
                column.name,
                str(column.type),
                "holds lists, records or raw bytes, not plain values",
                "Export a flat table: one plain value (text, number or date) per cell.",
            )
    return None


def _decode(data: bytes, file: str, notes: list[Problem]) -> tuple[str, str]:
    def cp1252(body: bytes, problem: str, fix: str) -> tuple[str, str]:
        notes.append(Problem.about_file(file, problem, fix, "info"))
        return body.decode("cp1252", errors="replace"), "cp1252"

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        if bom:  # a UTF-8 BOM, then Windows-1252 bytes: read what is there
            return cp1252(
                body,
                "starts like UTF-8 but has other characters; read as Windows-1252",
                "Check accented names; save the file as 'CSV UTF-8' to be sure.",
            )
        return cp1252(
            body,
            "is not UTF-8; it was read as Windows-1252 (Excel's default on Windows)",
            "Nothing to do if names look right; otherwise save the file as 'CSV UTF-8'.",
        )


def _sniff_delimiter(header: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    counts = {d: _count_outside_quotes(header, d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _count_outside_quotes(line: str, ch: str) -> int:
    n, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            n += 1
    return n


def _header_problem(file: str, header: list[str]) -> Problem | None:
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lower()
        if key in seen:
            return Problem(
                file,
                1,
                name.strip(),
                None,
                f"the header repeats the column name '{name.strip()}' (columns {seen[key] + 1} and {i + 1})",
                "Rename or remove one of them; Rudder will not guess which one holds the real data.",
            )
        seen[key] = i
    blank = [i + 1 for i, name in enumerate(header) if not name.strip()]
    if blank and len(blank) < len(header):
        return Problem(
            file,
            1,
            None,
            None,
            f"column(s) {blank} have no name in the header row",
            "Give every column a name, or delete the empty columns.",
        )
    return None


def _unusable(
    file: str, problem: str, fix: str, *, row: int | None = None, **raw: object
) -> RawTable:
    """A file that cannot be used at all: an empty table and the one problem that says why."""
    return RawTable(file, pd.DataFrame(), fatal=Problem(file, row, None, None, problem, fix), **raw)


def _empty_file(file: str) -> RawTable:
    return _unusable(file, "is empty", "Export the table again; the file has no content.")


def read_raw(data: bytes, filename: str) -> RawTable:
    """Read a file's bytes into a :class:`RawTable`.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        Its name; the suffix decides the format.

    Returns
    -------
    RawTable
        ``fatal`` is set (and ``frame`` empty) when the file cannot be used at all.
    """
    file = PurePath(filename).name
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return RawTable(
            file,
            pd.DataFrame(),
            fatal=Problem(
                file,
                None,
                None,
                suffix,
                "is not a file type Rudder reads",
                "Save it as CSV (UTF-8), TSV, Excel (.xlsx) or Parquet.",
            ),
        )
    if not data or not data.strip():
        return _empty_file(file)
    problem = _check_content(data, file)
    if problem is not None:
        return RawTable(file, pd.DataFrame(), fatal=problem)
    return _READERS.get(suffix, _read_text)(data, file)


def _read_parquet(data: bytes, file: str) -> RawTable:
    """Parquet: typed columns as written; a saved pandas index is an ordinary column."""
    try:
        import pyarrow.parquet as pq

        # ignore_metadata: a saved pandas index becomes an ordinary column; rows count from 1
        frame = pq.read_table(io.BytesIO(data)).to_pandas(ignore_metadata=True)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        return _unusable(
            file,
            f"could not be read as Parquet ({type(exc).__name__})",
            "Check that the file is a complete Parquet file, or export CSV instead.",
        )
    problem = _header_problem(file, [str(c) for c in frame.columns])
    return RawTable(file, frame, row_offset=1, encoding="parquet", fatal=problem)


def _read_excel(data: bytes, file: str) -> RawTable:
    """A workbook's first sheet, its first non-empty row as the header, as text."""
    notes: list[Problem] = []
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
        names = book.sheet_names
        first = pd.read_excel(book, sheet_name=names[0], dtype=str, header=None)
        sheets = {names[0]: first}  # the first sheet only
    except Exception as exc:
        return _unusable(
            file,
            f"could not be read as an Excel workbook ({type(exc).__name__})",
            "Open it in Excel and save it again as .xlsx, or export CSV.",
        )
    name, sheet = next(iter(sheets.items()))
    if len(names) > 1:
        notes.append(
            Problem.about_file(
                file,
                f"has {len(names)} sheets; Rudder read the first one ('{name}')",
                "Put the table on the first sheet if that is not it.",
                "info",
            )
        )
    sheet = sheet.dropna(axis=1, how="all")
    filled = sheet.notna().any(axis=1)
    if not filled.any():
        return _unusable(file, "is empty", "The first sheet has no content.")
    header_at = int(filled.idxmax())  # the first non-empty row is the header
    header = [("" if pd.isna(h) else str(h)) for h in sheet.loc[header_at].tolist()]
    problem = _header_problem(file, header)
    frame = sheet.loc[header_at + 1 :].copy()
    frame = frame.loc[frame.notna().any(axis=1)]  # blank rows skipped, positions kept
    frame.columns = [h.strip() for h in header]
    # header=None keeps every row, so index i is spreadsheet row i + 1
    return RawTable(file, frame, row_offset=1, encoding="xlsx", notes=notes, fatal=problem)


def _read_text(data: bytes, file: str) -> RawTable:
    """CSV, TSV or text: encoding and delimiter found, blank lines skipped, rows numbered."""
    suffix = PurePath(file).suffix.lower()
    notes: list[Problem] = []
    text, encoding = _decode(data, file, notes)
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # old Mac exports end lines with CR only
    # Blank lines before the header are skipped (and counted, so row numbers stay right)
    # without splitting the whole file into a list of lines.
    lead = _BLANK_LINES.match(text)
    skipped = lead.group(0).count("\n")
    text = text[lead.end() :]
    if not text.strip():
        return _empty_file(file)
    first_line = text.split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line, suffix)
    if delimiter != ",":
        notes.append(
            Problem.about_file(
                file,
                f"uses {_DELIMITER_NAMES[delimiter]} as the delimiter",
                "Nothing to do.",
                "info",
            )
        )
    try:
        header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    except csv.Error as exc:
        return _unusable(
            file,
            f"has a header row that cannot be read ({exc})",
            "Save the file again as CSV from your spreadsheet tool.",
            row=1,
        )
    problem = _header_problem(file, header)
    if len(header) > MAX_COLUMNS:
        problem = Problem(
            file,
            1,
            None,
            f"{len(header):,} columns",
            f"has more than {MAX_COLUMNS:,} columns, far more than any Rudder table",
            "Check the delimiter, or export the table again with one column per field.",
        )
    if problem:
        return RawTable(
            file, pd.DataFrame(), encoding=encoding, delimiter=delimiter, notes=notes, fatal=problem
        )
    try:
        with warnings.catch_warnings():
            # pandas only *warns* when the first data row has one field more than the header
            # (and would then drop it); here that is the same error as on any other row.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_values=[],
                skip_blank_lines=False,
                engine="c",
                on_bad_lines="error",
                index_col=False,  # a first row with one extra field must not become the index
            )
    except pd.errors.ParserWarning:
        return _unusable(
            file,
            "has more values on its first data row than there are column names in the header",
            "Check for an unquoted delimiter inside a value on that line, or a missing header name.",
            row=2 + skipped,
            encoding=encoding,
            delimiter=delimiter,
            notes=notes,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, UnicodeError) as exc:
        return _unusable(
            file,
            f"has a row with a different number of columns than the header ({exc})".replace(
                "\n", " "
            ),
            "Check for an unquoted delimiter inside a value on that line.",
            encoding=encoding,
            delimiter=delimiter,
            notes=notes,
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    # Blank lines are skipped but the index keeps each row's place, so row numbers stay
    # the ones a spreadsheet shows.
    blank = _blank_rows(frame)
    if blank.any():
        frame = frame.loc[~blank]
    return RawTable(
        file, frame, row_offset=2 + skipped, encoding=encoding, delimiter=delimiter, notes=notes
    )


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or spaces. Checked a column at a time over the rows still
    blank so far: almost every row leaves at the first column, so a 10,000-row table costs one
    column's ``strip`` rather than every cell's."""
    blank = np.ones(len(frame), dtype=bool) if len(frame.columns) else np.zeros(len(frame), bool)
    for col in range(frame.shape[1]):  # columns, not rows
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        cells = frame.iloc[rows, col].str.strip()
        blank[rows] = cells.eq("").fillna(False).to_numpy(dtype=bool)
    return blank


# ---------------------------------------------------------------------------------------------
# JSON: API exports ({"data": [...]} list objects, arrays) and JSON lines (one event a line)

MAX_JSON_DEPTH = 4  # wrappers unwrapped to find the records: {"resources": {"customer": {...}}}


def _json_cell(value: object) -> str:
    """One flattened JSON value as the text a CSV export would hold: lists and leftover objects
    as JSON, booleans as true/false, null as empty."""
    import json

    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # NaN: a key absent from this record
        return ""
    return json.dumps(value, ensure_ascii=False)


def _flatten(record: dict, prefix: str = "", out: dict | None = None) -> dict[str, str]:
    """One record's nested objects flattened with dots, each value as text (:func:`_json_cell`)."""
    out = {} if out is None else out
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            _flatten(value, name + ".", out)
        else:
            out[name] = _json_cell(value)
    return out


def _records_frame(records: list[dict], positions: list[int]) -> pd.DataFrame:
    """Records flattened with dots (``context.groupId``), every cell text ("" where a record has
    no such field), index = row - 1."""
    flat = [_flatten(r) for r in records]
    frame = pd.DataFrame.from_records(flat, index=pd.Index(positions, dtype="int64"))
    frame = frame.fillna("").astype(str) if len(frame.columns) else frame
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _find_records(value: object, depth: int = 0) -> tuple[list | None, str | None]:
    """The list of records inside a JSON document, and a note on how they were found."""
    if isinstance(value, list):
        return value, None
    if not isinstance(value, dict) or depth > MAX_JSON_DEPTH:
        return None, None
    if isinstance(value.get("data"), list):  # a Stripe-style API list object
        return value["data"], "has_more" if value.get("has_more") is True else None
    if "object" in value or "id" in value:  # one API object
        return [value], None
    if len(value) == 1:  # a wrapper: {"resources": {...}} or {"subscriptions": [...]}
        return _find_records(next(iter(value.values())), depth + 1)
    if value and all(isinstance(v, dict) for v in value.values()):  # objects by name
        return list(value.values()), " (one record per object of the document)"
    return None, None


def _read_json(data: bytes, file: str) -> RawTable:
    """A JSON document: an array of records, an API list object ``{"data": [...]}``, one object,
    or objects by name; nested fields flattened with dots, lists kept as JSON text."""
    import json

    notes: list[Problem] = []
    text, encoding = _decode(data, file, notes)
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        where = getattr(exc, "lineno", None)
        return _unusable(
            file,
            f"is not valid JSON ({str(exc).split(':')[0]})",
            "Export it again as JSON, or as JSON lines (one record a line) or CSV.",
            row=where,
            encoding=encoding,
            notes=notes,
        )
    records, how = _find_records(doc)
    if records is None:
        return _unusable(
            file,
            "is JSON but holds no list of records (an array, or an API list with 'data')",
            'Export the records as an array, an API list {"data": [...]} or JSON lines.',
            encoding=encoding,
            notes=notes,
        )
    if how and "has_more" in how:
        notes.append(
            Problem.about_file(
                file,
                "is the first page of an API list (has_more is true); later pages are not in it",
                "Export every page (the API's auto-pagination, or a CSV export) and load again.",
                "warning",
            )
        )
    elif how:
        notes.append(Problem.about_file(file, f"records read{how}", "Nothing to do.", "info"))
    return _records_table(file, records, list(range(len(records))), encoding, notes, row_offset=1)


class _ArrowRefused(Exception):
    """The Arrow reader cannot give exactly what the line-by-line reader gives."""


# Breaks str.splitlines() honours inside a line but newline-delimited JSON does not.
_ODD_BREAK_CHARS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# Where the two readers could differ: an explicit null (a null object is a column of its own
# for the line reader, and a null key takes its place in the column order before any value).
_AMBIGUOUS_JSON = re.compile(r":\s*null\b")


def _arrow_json_cells(column, name: str) -> pd.Series:
    """One flattened Arrow column as the line reader's text (:func:`_json_cell`)."""
    import json

    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_null(kind):
        return pa.chunked_array([pa.array([""] * len(column), pa.string())]).to_pandas()
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = column
    elif pa.types.is_integer(kind):
        text = pc.cast(column, pa.string())
    elif pa.types.is_boolean(kind):
        text = pc.if_else(column, "true", "false")
    elif pa.types.is_floating(kind):
        values = column.to_pylist()
        # 5 and 5.0 are one double to Arrow but two texts to the line reader
        finite = (v for v in values if v is not None and v == v and abs(v) != float("inf"))
        if any(v == int(v) for v in finite):
            raise _ArrowRefused(name)
        return pa.array(
            ["" if v is None else json.dumps(v) for v in values], pa.string()
        ).to_pandas()
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        item = kind.value_type
        if not (
            pa.types.is_string(item)
            or pa.types.is_integer(item)
            or pa.types.is_boolean(item)
            or pa.types.is_null(item)  # []
        ):
            raise _ArrowRefused(name)  # lists of objects: key order and absent keys are lost
        values = column.to_pylist()
        cells = ["" if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        return pa.array(cells, pa.string()).to_pandas()
    else:  # timestamps Arrow recognised in strings, and anything else it typed itself
        raise _ArrowRefused(name)
    return pc.fill_null(text, "").to_pandas()  # pandas' str dtype, as the line reader gives


def _arrow_text_type(kind):
    """``kind`` with every timestamp Arrow inferred from a string put back to a string."""
    import pyarrow as pa

    if pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_time(kind):
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([f.with_type(_arrow_text_type(f.type)) for f in kind])
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_arrow_text_type(kind.value_type)))
    return kind


def _arrow_flatten(names: list[str], columns: list) -> tuple[list[str], list]:
    """Struct columns flattened with dots, again and again (``context.groupId``), as
    ``Table.flatten()`` does; an empty object (``"integrations": {}``) keeps a column of its own
    holding ``{}``, as the line reader gives it. Only sound without null literals in the file:
    then a child that is null in a row is a key that row's object does not have."""
    import pyarrow as pa
    import pyarrow.compute as pc

    while any(pa.types.is_struct(c.type) for c in columns):
        out_names: list[str] = []
        out_columns: list = []
        for name, column in zip(names, columns, strict=True):
            if not pa.types.is_struct(column.type):
                out_names.append(name)
                out_columns.append(column)
                continue
            children = column.flatten()
            empty = column.is_valid()
            for child in children:
                empty = pc.and_(empty, child.is_null())
            if pc.any(empty).as_py():
                out_names.append(name)
                out_columns.append(pc.if_else(empty, "{}", pa.scalar(None, pa.string())))
            for member, child in zip(column.type, children, strict=True):
                out_names.append(f"{name}.{member.name}")
                out_columns.append(child)
        names, columns = out_names, out_columns
    return names, columns


def _arrow_json_lines_frame(text: str) -> pd.DataFrame:
    """JSON lines read with Arrow (vectorised), giving exactly :func:`_records_frame`'s frame:
    nested objects flattened with dots, every cell text, columns in order of first appearance,
    index = line - 1. Raises (:class:`_ArrowRefused` or Arrow's own error) when it cannot."""
    import json

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    # plain substring tests first: a regular expression over the whole text is slow
    if any(ch in text for ch in _ODD_BREAK_CHARS) or (
        "null" in text and _AMBIGUOUS_JSON.search(text)
    ):
        raise _ArrowRefused("line breaks or nulls")
    lines = text.split("\n")
    positions = [i for i, line in enumerate(lines) if line.strip()]
    if not positions:
        raise _ArrowRefused("no lines")
    body = text.encode("utf-8")
    read_options = pj.ReadOptions(block_size=max(1 << 20, min(len(body) + 1, 1 << 26)))
    table = pj.read_json(io.BytesIO(body), read_options=read_options)
    schema = pa.schema([f.with_type(_arrow_text_type(f.type)) for f in table.schema])
    if schema != table.schema:  # strings Arrow took for timestamps: read again, kept as text
        table = pj.read_json(
            io.BytesIO(body),
            read_options=read_options,
            parse_options=pj.ParseOptions(explicit_schema=schema),
        )
    if table.num_rows != len(positions):
        raise _ArrowRefused("row count")
    names, columns = _arrow_flatten(table.column_names, table.columns)
    table = pa.table(columns, names=[f"c{j}" for j in range(len(columns))])
    if len(set(names)) != len(names):
        raise _ArrowRefused("duplicate column names")
    # The line reader's column order: first appearance, a record's own keys in its order.
    # Arrow gives the first row holding each column; those few lines are read again in
    # Python for the order of their keys.
    firsts = set()
    for column in table.columns:
        if column.null_count == len(column):
            raise _ArrowRefused("a column that is always null")
        firsts.add(pc.index(column.is_valid(), True).as_py())
    order: dict[str, None] = {}
    for row in sorted(firsts):
        order.update(dict.fromkeys(_flatten(json.loads(lines[positions[row]]))))
    where = {name: j for j, name in enumerate(names)}
    if set(order) != set(where):
        raise _ArrowRefused("columns")
    cells = {name: _arrow_json_cells(table.column(where[name]), name) for name in order}
    frame = pd.DataFrame(cells)
    frame.index = pd.Index(positions, dtype="int64")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_json_lines(data: bytes, file: str, *, arrow: bool = True) -> RawTable:
    """JSON lines (Segment, Mixpanel and PostHog exports): one record a line; the report's row
    is the line number. A line that is not a JSON object is listed and skipped.

    Read with Arrow (vectorised) when it gives exactly the line reader's frame; the line
    reader below is the fallback (a bad line, mixed types, an empty object or a null)."""
    import json

    notes: list[Problem] = []
    text, encoding = _decode(data, file, notes)
    if arrow:
        try:
            frame = _arrow_json_lines_frame(text)
        except Exception:  # Arrow refused the file: read it line by line
            frame = None
        if frame is not None and len(frame.columns):
            problem = _header_problem(file, list(frame.columns))
            return RawTable(
                file, frame, row_offset=1, encoding=encoding, notes=notes, fatal=problem
            )
    records: list[dict] = []
    positions: list[int] = []
    bad: list[int] = []
    for i, line in enumerate(text.splitlines()):  # lines, not rows of a table: parsing is per line
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        if isinstance(record, dict):
            records.append(record)
            positions.append(i)
        else:
            bad.append(i + 1)
    if bad:
        notes.append(
            Problem(
                file,
                bad[0],
                None,
                None,
                f"{plural(len(bad), 'line')} {'is' if len(bad) == 1 else 'are'} not a JSON "
                f"object and {'was' if len(bad) == 1 else 'were'} skipped "
                f"({'line' if len(bad) == 1 else 'lines'} {', '.join(map(str, bad[:5]))}"
                f"{', …' if len(bad) > 5 else ''})",
                "Export JSON lines: one complete JSON object on each line.",
            )
        )
    if not records:
        return _unusable(
            file,
            "has no JSON object on any line",
            "Export JSON lines (one object a line), a JSON array, or CSV.",
            encoding=encoding,
            notes=notes,
        )
    return _records_table(file, records, positions, encoding, notes, row_offset=1)


def _records_table(
    file: str,
    records: list,
    positions: list[int],
    encoding: str,
    notes: list[Problem],
    *,
    row_offset: int,
) -> RawTable:
    keep = [i for i, r in enumerate(records) if isinstance(r, dict)]
    if len(keep) < len(records):
        notes.append(
            Problem.about_file(
                file,
                f"{len(records) - len(keep):,} record(s) are not JSON objects and were skipped",
                'Export records as objects ({"column": value, ...}).',
            )
        )
    try:
        frame = _records_frame([records[i] for i in keep], [positions[i] for i in keep])
    except (ValueError, TypeError, RecursionError) as exc:
        return _unusable(
            file,
            f"could not be flattened into a table ({type(exc).__name__})",
            "Export a flat table (CSV) or JSON records of plain values.",
            encoding=encoding,
            notes=notes,
        )
    if frame.empty or not len(frame.columns):
        return _unusable(
            file,
            "has no records with fields",
            "Export the records again.",
            encoding=encoding,
            notes=notes,
        )
    problem = _header_problem(file, list(frame.columns))
    return RawTable(
        file, frame, row_offset=row_offset, encoding=encoding, notes=notes, fatal=problem
    )


# How each JSON suffix is read (the other formats: read_raw's own branches).
_JSON_READERS = {".json": _read_json, ".jsonl": _read_json_lines, ".ndjson": _read_json_lines}
# suffix -> reader (sqlite-utils' way: a table, not an if/elif); CSV, TSV and .txt: _read_text.
_READERS = {
    ".parquet": _read_parquet,
    ".pq": _read_parquet,
    ".xlsx": _read_excel,
    ".xlsm": _read_excel,
    **_JSON_READERS,
}
