"""Validation by column kind (issue 19, point 4): one pure validator per kind, and the loads of
every fixture book and tool export giving exactly what they gave before the split.

The fingerprints below were recorded with the single long ``validate_table`` (before the
``{kind: validator}`` map); any change to a validated table, a problem, a rejected row or a
count shows up here. If a change of behaviour is intended, say so in the commit and record the
new fingerprint (``_fingerprint`` says what it hashes).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd
import pytest

from insight_engine.book.loader import load_folder
from insight_engine.errors import DataLoadError
from insight_engine.source.contract import Column, ColumnKind, TableSpec
from insight_engine.source.problems import MAX_LISTED_PER_KIND
from insight_engine.source.validation import (
    VALIDATORS,
    Context,
    DateOrderError,
    validate_table,
)
from tests.fixtures import DERIVED, book_dir

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BOOKS = FIXTURES / "books"
EXPORTS = FIXTURES / "exports"
TODAY = pd.Timestamp("2026-11-23")


def _fingerprint(book=None, report=None) -> str:
    """A digest of everything loading produced: the validated tables, the weekly cube, every
    problem, every rejected row and the counts per file."""
    report = report if report is not None else book.report
    parts = [report.to_frame().to_csv(index=False), json.dumps(report.counts, sort_keys=True)]
    parts += [f"{k}\n{v.to_csv(index=False)}" for k, v in sorted(report.rejected.items())]
    if book is not None:
        for name in ("accounts", "metrics", "contacts", "tickets", "surveys", "milestones"):
            parts.append(getattr(book, name).to_csv(index=False))
        for name in ("notes", "insights"):
            parts.append(getattr(book, name).to_csv(index=False))
        parts.append(hashlib.sha256(np.ascontiguousarray(book.weekly.values).tobytes()).hexdigest())
        parts.append(str(book.as_of))
    return hashlib.sha256("\n\x00".join(parts).encode()).hexdigest()[:16]


# Every fixture book as load_folder reads it.
BOOK_FINGERPRINTS: dict[str, str] = {
    "billing": "7921ffe44ef06d47",
    "deceptive_names": "fc3e33574569881c",
    "events_after_usage": "1d0cda7eda5abbb6",
    "events_users": "ca6728c047e36b20",
    "full": "c81fac2ede1c6438",
    "gap": "fafeb741de20dfe1",
    "late_start": "4ccd26cc7235c075",
    "minimal": "2f6acf60fdce46ca",
    "missing_fields": "e127bd6bbf49f129",
    "mixpanel_events": "97ad9fb48ad16a4e",
    "no_catalog": "0346edb46c34b71c",
    "no_history": "e23e5ea71979be0a",
    "no_outcomes": "4a2fe90b90aec524",
    "no_seats": "69332baa8db85b2c",
    "odd_choices": "6cee2b4dd8b4d467",
    "partial_last_day": "fa5357bdc05cd819",
    "per_feature": "4f667be985bc4318",
    "second_key": "afd1e1967215023f",
    "segment_events": "f86cd9106d4cf185",
    "single_metric": "57a411afdafecdf6",
    "snapshot": "49da226ff581712a",
    "spike": "82b09bb8444d9fdb",
    "tool_dates": "2b4a4d0d99b9290e",
    "wide_usage": "c6041576cd8fe362",
}

# Every tool export, guessed into a folder with the full book's usage (and its accounts, unless
# the export is itself an accounts export, which would otherwise not be read).
EXPORT_FINGERPRINTS: dict[str, str] = {
    "amplitude-events-fivetran-seed.csv": "71375f45d331636e",
    "delighted-nps-responses.csv": "b7a681000c25f9cc",
    "hubspot-companies-export.csv": "refused:e638594cf7379cc0",
    "mixpanel-events-fivetran-seed.csv": "4b7a16a5f5b11a50",
    "product-usage-weekly.csv": "refused:aab81c0b4938d297",
    "salesforce-accounts-data-export.csv": "refused:92d5a8665e358d5c",
    "salesforce-cases-data-export.csv": "8faa06f02a8dc55b",
    "segment-spec-example-events.jsonl": "a55124b05b436058",
    "stripe-api-fixtures-subscription-invoice.json": "afde4d1c94466965",
    "zendesk-tickets-export.csv": "92a84dd1ae616ed9",
}
ACCOUNT_EXPORTS = {"hubspot-companies-export.csv", "salesforce-accounts-data-export.csv"}


def _load(folder: Path, *, guess: bool = False) -> str:
    try:
        return _fingerprint(load_folder(folder, today=TODAY, guess=guess))
    except DataLoadError as exc:
        return "refused:" + _fingerprint(report=exc.report)


# every folder of books/ and every book made from one (tests.fixtures.DERIVED)
@pytest.mark.parametrize(
    "name", sorted({p.name for p in BOOKS.iterdir() if p.is_dir()} | set(DERIVED))
)
def test_every_fixture_book_loads_as_before(name):
    assert _load(book_dir(name)) == BOOK_FINGERPRINTS[name]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in EXPORTS.iterdir() if p.suffix in {".csv", ".json", ".jsonl"})
)
def test_every_tool_export_loads_as_before(tmp_path, name):
    shutil.copy(EXPORTS / name, tmp_path / name)
    shutil.copy(BOOKS / "full" / "usage.csv", tmp_path / "usage.csv")
    if name not in ACCOUNT_EXPORTS:
        shutil.copy(BOOKS / "full" / "accounts.csv", tmp_path / "accounts.csv")
    assert _load(tmp_path, guess=True) == EXPORT_FINGERPRINTS[name]


# --- each validator, on its own --------------------------------------------------------------

CTX = Context(table="t", file="t.csv", today=TODAY, not_future=("when",))
NA = pd.NA
# kind, the column, values as read, context, typed values out, problems found (problem,
# severity, rows): one row per rule a validator owns.
CASES = [
    (
        "id",
        Column("id", "id", True, ""),
        [" Acme ", "Diego\u200b Ivanova", "", None],
        CTX,
        ["Acme", "Diego Ivanova", NA, NA],
        [
            (
                "held invisible or look-alike characters (zero-width, direction override or "
                "full-width); Rudder removed them",
                "warning",
                [1],
            ),
            ("is empty", "error", [2, 3]),
        ],
    ),
    (
        "text",
        Column("name", "text", True, "", fallback_column="id"),
        ["Acme", " "],
        replace(CTX, typed={"id": pd.Series(["A-1", "A-2"])}),
        ["Acme", "A-2"],
        [("is empty; the row was kept showing its id", "warning", [1])],
    ),
    (
        "text",
        Column("note", "text", False, ""),
        ["", "kept"],
        CTX,
        [NA, "kept"],
        [],
    ),
    (
        "number",
        Column("n", "number", True, "", min_value=0),
        ["1,234.5", "$12,000", "-3", "abc", ""],
        CTX,
        [1234.5, 12000.0, np.nan, np.nan, np.nan],
        [
            ("is not a number", "error", [3]),
            ("is empty", "error", [4]),
            ("is negative", "error", [2]),
        ],
    ),
    (
        "number",
        Column("csat", "number", False, "", min_value=1, max_value=5),
        ["3", "9", "0", ""],
        CTX,
        [3.0, np.nan, np.nan, np.nan],
        [
            ("is below 1; the row was kept with csat blank", "warning", [2]),
            ("is above 5; the row was kept with csat blank", "warning", [1]),
        ],
    ),
    (
        "number",
        Column("n", "number", True, ""),
        ["1.234,5", "0,125"],
        replace(CTX, decimal_comma=True),
        [1234.5, 0.125],
        [],
    ),
    (
        "date",
        Column("when", "date", True, ""),
        ["2025-03-31", "31/03/2025", "2030-01-01", "soon", ""],
        CTX,
        [
            pd.Timestamp("2025-03-31"),
            pd.Timestamp("2025-03-31"),
            pd.Timestamp("2030-01-01"),
            pd.NaT,
            pd.NaT,
        ],
        [
            ("is not a date", "error", [3]),
            ("is empty", "error", [4]),
            ("is in the future (after 2026-11-23)", "error", [2]),
        ],
    ),
    (
        "date",
        Column("closed", "date", False, ""),
        ["03/04/2025", "oops"],
        replace(CTX, date_order="month_first"),
        [pd.Timestamp("2025-03-04"), pd.NaT],
        [("is not a date; the row was kept with closed blank", "warning", [1])],
    ),
    (
        "choice",
        Column("role", "choice", True, "", choices=("admin", "champion")),
        ["Admin", " champion ", "boss", "n/a"],
        CTX,
        ["admin", "champion", NA, NA],
        [
            ("is not one of the allowed values", "error", [2]),
            ("is empty", "error", [3]),
        ],
    ),
    (
        "choice",
        Column(
            "category", "choice", False, "", choices=("adoption", "outcome"), fallback="adoption"
        ),
        ["Outcome", "weird", ""],
        CTX,
        ["outcome", "adoption", NA],
        [
            (
                "is not one of the allowed values; the row was kept as 'adoption'",
                "warning",
                [1],
            )
        ],
    ),
]


def test_every_column_kind_has_a_validator():
    assert set(VALIDATORS) == set(get_args(ColumnKind))


@pytest.mark.parametrize(
    ("kind", "col", "values", "ctx", "typed", "problems"),
    CASES,
    ids=[f"{c[0]}-{c[1].name}-{i}" for i, c in enumerate(CASES)],
)
def test_validator(kind, col, values, ctx, typed, problems):
    raw = pd.Series(values, dtype=object)
    before = raw.copy()
    checked = VALIDATORS[kind](raw, col, ctx)
    pd.testing.assert_series_equal(raw, before)  # pure: the values as read are untouched
    got = checked.values.astype(object).where(checked.values.notna(), None).tolist()
    want = [None if v is NA or (not isinstance(v, str) and pd.isna(v)) else v for v in typed]
    assert got == want
    found = [
        (f.problem, f.severity, list(np.flatnonzero(f.mask.to_numpy())))
        for f in checked.flags
        if f.mask.any()
    ]
    assert found == problems
    errors = [r for _, severity, rows in problems if severity == "error" for r in rows]
    rejected = checked.rejected
    rows = [] if rejected is None else list(np.flatnonzero(rejected.to_numpy()))
    assert rows == sorted(set(errors))


def test_an_ambiguous_date_is_refused_not_guessed():
    col = Column("when", "date", True, "")
    with pytest.raises(DateOrderError):
        VALIDATORS["date"](pd.Series(["03/04/2025", "05/06/2025"]), col, CTX)


def test_the_report_lists_200_per_problem_counts_the_rest_and_keeps_every_reason():
    spec = TableSpec(
        "t",
        True,
        "",
        (Column("id", "id", True, ""), Column("n", "number", True, "", min_value=0)),
        key=("id",),
        account_column=None,
    )
    ids = [f"r{i}" for i in range(250)]
    ids[1] = "r0"
    raw = pd.DataFrame({"id": ids, "n": ["-1"] * 250})
    result = validate_table(spec, raw, file="t.csv", today=TODAY)
    problems = result.report.to_frame()
    negative = problems[problems["problem"] == "is negative"]
    assert len(negative) == MAX_LISTED_PER_KIND
    assert "50 more rows have the same problem (is negative)" in set(problems["problem"])
    assert "repeats the id first seen on row 2" in set(problems["problem"])
    rejected = result.report.rejected["t.csv"]
    assert len(rejected) == 250 and result.frame.empty
    assert rejected.loc[rejected["row"] == 3, "reason"].item() == (
        "n: is negative; id: is a duplicate id"
    )
    assert result.report.counts["t.csv"] == {"read": 250, "kept": 0, "rejected": 250}


def test_a_word_among_day_first_dates_is_flagged_not_a_crash(tmp_path):
    """'soon' in a column of 31/01/2027-style dates stopped the load with 'cannot convert NA to
    integer'; now that row's date is unread (a warning: renewal_date is optional) and the other
    rows are read day first."""
    for f in (BOOKS / "minimal").iterdir():
        shutil.copy(f, tmp_path / f.name)
    accounts = pd.read_csv(tmp_path / "accounts.csv", dtype=str)
    renewal = pd.to_datetime(accounts["renewal_date"])
    accounts["renewal_date"] = renewal.dt.strftime("%d/%m/%Y")
    accounts.loc[0, "renewal_date"] = "31/01/2027"
    accounts.loc[1, "renewal_date"] = "soon"
    accounts.to_csv(tmp_path / "accounts.csv", index=False)
    book = load_folder(tmp_path, today=TODAY)
    problems = book.report.to_frame()
    flagged = problems[problems["value"] == "soon"]
    assert flagged[["row", "column"]].values.tolist() == [[3, "renewal_date"]]
    assert flagged["problem"].str.startswith("is not a date").all()
    got = book.accounts["renewal_date"]
    assert got.iloc[0] == pd.Timestamp("2027-01-31") and pd.isna(got.iloc[1])
    assert (got.iloc[2:] == renewal.iloc[2:]).all()
