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
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from insight_engine.book.loader import load_folder
from insight_engine.errors import DataLoadError

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


@pytest.mark.parametrize("name", sorted(p.name for p in BOOKS.iterdir() if p.is_dir()))
def test_every_fixture_book_loads_as_before(name):
    assert _load(BOOKS / name) == BOOK_FINGERPRINTS[name]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in EXPORTS.iterdir() if p.suffix in {".csv", ".json", ".jsonl"})
)
def test_every_tool_export_loads_as_before(tmp_path, name):
    shutil.copy(EXPORTS / name, tmp_path / name)
    shutil.copy(BOOKS / "full" / "usage.csv", tmp_path / "usage.csv")
    if name not in ACCOUNT_EXPORTS:
        shutil.copy(BOOKS / "full" / "accounts.csv", tmp_path / "accounts.csv")
    assert _load(tmp_path, guess=True) == EXPORT_FINGERPRINTS[name]
