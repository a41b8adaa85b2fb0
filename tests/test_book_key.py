"""What identifies a book in the insight log: stable across next week's export, never a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from insight_engine.book.book_key import DEMO_KEY, folder_key, sql_key, upload_key, upload_name
from insight_engine.errors import RudderError
from tests.fixtures import TODAY, book_dir


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("accounts.csv", "accounts"),
        ("Acme accounts 2026-11-01.csv", "acme accounts"),
        ("acme_accounts_20261108.xlsx", "acme accounts"),
        ("Acme accounts (1).csv", "acme accounts"),
        ("Acme accounts - Copy.csv", "acme accounts"),
        ("export_acme_accounts_01.11.2026_0930.csv", "acme accounts"),
        ("acme-accounts-2026-11-01T09-30-00.parquet", "acme accounts"),
        ("Harbor Desk accounts v2 final.xlsx", "harbor desk accounts"),
        ("copywriters.csv", "copywriters"),  # "copy" only as a word of its own
        ("2026-11-01.csv", "uploaded book"),  # nothing left: still a name
    ],
)
def test_the_default_upload_name_survives_next_weeks_export(file_name, expected):
    assert upload_name(file_name) == expected


@pytest.mark.parametrize(
    ("names", "tables", "expected"),
    [
        (["usage.csv", "Acme CRM.csv"], ["usage", "accounts"], "acme crm"),  # the accounts file
        (["usage.csv", "our accounts.csv"], None, "our accounts"),  # a name that says so
        (["usage.csv", "metrics.csv"], None, "usage"),  # else the first
        ([], None, "uploaded book"),
    ],
)
def test_the_accounts_file_names_an_upload(names, tables, expected):
    assert upload_name(names, tables) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Acme book", "acme  BOOK ", True),
        ("Acme book", "Acme books", False),
    ],
)
def test_upload_keys_ignore_case_and_spacing(a, b, same):
    assert (upload_key(a) == upload_key(b)) is same
    assert upload_key(a).startswith("upload:")


def test_an_upload_needs_a_name():
    with pytest.raises(RudderError, match="name"):
        upload_key("   ")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://ana:s3cret@db.internal:5432/cs",
            "sql:postgresql://db.internal:5432/cs",
        ),
        ("postgresql://bo:other@db.internal:5432/cs", "sql:postgresql://db.internal:5432/cs"),
        ("mysql+pymysql://u:p@h/book", "sql:mysql://h/book"),
        ("sqlite:///:memory:", "sql:sqlite::memory:"),
    ],
)
def test_a_database_key_names_the_database_never_the_password(url, expected):
    assert sql_key(url) == expected
    assert "s3cret" not in sql_key(url) and "ana" not in sql_key(url)


def test_folder_and_sqlite_keys_resolve_the_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "book").mkdir()
    assert folder_key("book") == folder_key(tmp_path / "book" / ".." / "book")
    assert folder_key("book") == f"folder:{(tmp_path / 'book').resolve()}"
    assert sql_key("sqlite:///book.db") == f"sql:sqlite:{(tmp_path / 'book.db').resolve()}"


def test_a_very_long_key_stays_unique_within_the_column():
    a, b = folder_key("/x/" + "a" * 300), folder_key("/x/" + "a" * 299 + "b")
    assert len(a) <= 200 and len(b) <= 200 and a != b


def test_every_loader_entry_point_sets_the_key(tmp_path):
    from insight_engine.book.loader import (
        UploadedFile,
        load_folder,
        load_sql,
        load_uploads,
        write_sql,
    )

    folder = book_dir("full")
    assert load_folder(folder, today=TODAY).key == folder_key(folder)
    files = [
        UploadedFile(
            f"Harbor {f.name}" if f.stem == "accounts" else f.name, f.read_bytes(), table=f.stem
        )
        for f in sorted(Path(folder).glob("*.csv"))
    ]
    assert load_uploads(files, today=TODAY).key == "upload:harbor accounts"
    assert load_uploads(files, name="Harbor Desk CS", today=TODAY).key == "upload:harbor desk cs"
    url = f"sqlite:///{tmp_path / 'book.db'}"
    write_sql(folder, url)
    assert load_sql(url, today=TODAY).key == sql_key(url)
    assert DEMO_KEY == "demo"


@pytest.mark.parametrize(
    ("name", "generic"),
    [("accounts", True), ("Accounts ", True), ("customers", True), ("acme accounts", False)],
)
def test_generic_names_are_flagged(name, generic):
    from insight_engine.book.book_key import generic_name

    assert generic_name(name) is generic


def test_a_log_mostly_about_other_accounts_is_said():
    import pandas as pd

    from insight_engine.book.book_key import foreign_history

    log = pd.DataFrame({"account_id": ["X-1", "X-2", "X-2", "A-1"]})
    warning = foreign_history(log, ["A-1", "A-2"])
    assert warning.startswith("3 of the 4 insights") and "X-1, X-2" in warning
    assert foreign_history(log, ["X-1", "X-2"]) is None
    assert foreign_history(log.iloc[0:0], ["A-1"]) is None


@pytest.mark.parametrize(
    ("values", "ids", "expected"),
    [
        (["A-1", "X-1", "A-2"], ["A-1", "A-2"], [True, False, True]),
        (["A-1", "X-1"], {"A-1"}, [True, False]),  # any iterable of ids
        (["A-1", None], ["A-1", None], [True, False]),  # a missing id is never "in the book"
        ([1, 2], ["1"], [True, False]),  # compared as text, as the loader keeps ids
        (["A-1"], [], [False]),
    ],
)
def test_ids_among_the_book_are_found_by_text(values, ids, expected):
    import pandas as pd

    from insight_engine.book.book_key import _among

    for dtype in (object, "string"):
        if dtype == "string" and any(isinstance(v, int) for v in values):
            continue
        got = _among(pd.Series(values, dtype=dtype), ids)
        assert got.tolist() == expected
