"""What identifies a book, so its insight log follows it and never another book.

The insight log holds every book's insights side by side; each row carries the **book key** of the
book it was logged against, and every read is scoped to the loaded book's key. A key must be
*stable* (a team that loads next week's export keeps its log) and *safe to show* (never a
password). The rule, one per source:

=========  ======================================================  ===============================
source     key                                                     stable because
=========  ======================================================  ===============================
demo       ``demo``                                                there is one demo book
folder     ``folder:`` + the resolved path                         the team refreshes the folder
database   ``sql:`` + dialect, host, port and database             the team refreshes the tables
uploads    ``upload:`` + the book name the team sees and can       the name, not the file contents
           change (default: the accounts file's name without
           dates, copy numbers or the extension)
=========  ======================================================  ===============================

Upload names are compared without case and with runs of spaces collapsed, so "Acme  book" and
"acme book" are one log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePath

import numpy as np
import pandas as pd
import sqlalchemy as sa

from insight_engine.errors import RudderError

__all__ = [
    "DEMO_KEY",
    "folder_key",
    "sql_key",
    "sql_place",
    "upload_key",
    "upload_name",
]

DEMO_KEY = "demo"
MAX_KEY = 200  # the column's width in the insight log

# What changes from one week's export to the next and must not change the book: dates
# (2026-11-01, 20261101, 01.11.2026, 11/1/26), times, browser copy numbers "(2)", "copy", versions.
_TIME = r"(?:[tT_ -]?\d{1,2}[-_.:h]?\d{2}(?:[-_.:]?\d{2})?)?"
_NOISE = re.compile(
    rf"""
    (?:\d{{4}}[-_.]?\d{{1,2}}[-_.]?\d{{1,2}} | \d{{1,2}}[-_.]\d{{1,2}}[-_.]\d{{2,4}}){_TIME}  # a date, maybe a time
    | \(\d+\)                                                  # "(2)"
    | (?<![a-z])(?:copy|final|export|v\d+)(?![a-z])            # copy, final, export, v3
    """,
    re.VERBOSE | re.IGNORECASE,
)


def folder_key(path: str | Path) -> str:
    """The key of a book read from a folder: ``folder:`` and the folder's resolved path.

    Parameters
    ----------
    path : str or Path
        The folder (relative paths and ``~`` are resolved, so two spellings are one book).

    Returns
    -------
    str
    """
    return _fit("folder:" + str(Path(path).expanduser().resolve()))


def sql_place(url: str | sa.URL) -> str:
    """Where a database is, for people: dialect, host, port and database, or a SQLite file.

    Never the user name, the password or the query string (``?password=…`` is a password too).

    Parameters
    ----------
    url : str or sqlalchemy.URL

    Returns
    -------
    str
        e.g. ``postgresql://db.internal:5432/cs`` or ``sqlite:/srv/book.db``.
    """
    u = sa.make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        db = (u.database or "").removeprefix("file:")
        where = str(Path(db).expanduser().resolve()) if db and db != ":memory:" else ":memory:"
        return f"sqlite:{where}"
    port = f":{u.port}" if u.port else ""
    return f"{backend}://{u.host or 'localhost'}{port}/{u.database or ''}"


def sql_key(url: str | sa.URL) -> str:
    """The key of a book read from a database: :func:`sql_place` (dialect, host, port and
    database, never a password nor the user name, which may change while the data stays).

    Returns
    -------
    str
        e.g. ``sql:postgresql://db.internal:5432/cs`` or ``sql:sqlite:/srv/book.db``.
    """
    return _fit("sql:" + sql_place(url))


def upload_name(file_names: Iterable[str] | str, tables: Iterable[str | None] | None = None) -> str:
    """The default book name for uploaded files: the accounts file's name without its extension,
    dates, times, copy numbers or "copy"/"final"/"export"/"v2", in lower case.

    Parameters
    ----------
    file_names : iterable of str, or str
        The uploaded files' names (or one name).
    tables : iterable of str or None, optional
        The table each file holds, in the same order; the accounts file names the book (else
        the first file whose name says "account", else the first file).

    Returns
    -------
    str
        e.g. ``"Acme accounts 2026-11-01.csv"`` → ``"acme accounts"``; never empty.
    """
    names = [file_names] if isinstance(file_names, str) else list(file_names)
    if not names:
        return "uploaded book"
    held = list(tables) if tables is not None else [None] * len(names)
    chosen = next(
        (n for n, t in zip(names, held, strict=False) if t == "accounts"),
        next((n for n in names if "account" in n.lower()), names[0]),
    )
    stem = PurePath(PurePath(chosen).name).stem
    cleaned = _NOISE.sub(" ", stem)
    words = re.sub(r"[\s_.\-]+", " ", cleaned).strip(" -_.").casefold()
    return words or "uploaded book"


def upload_key(name: str) -> str:
    """The key of an uploaded book from the name the team gave it (case and spacing ignored).

    Raises
    ------
    RudderError
        When the name is empty.
    """
    words = " ".join(str(name or "").split()).casefold()
    if not words:
        raise RudderError(
            "Give the uploaded book a name: Rudder keeps its insight log under that name, "
            "so next week's upload under the same name carries the log on."
        )
    return _fit("upload:" + words)


def _fit(key: str) -> str:
    """Keys longer than the column keep their start and a digest of the whole, so they stay unique."""
    if len(key) <= MAX_KEY:
        return key
    import hashlib

    return key[: MAX_KEY - 17] + "~" + hashlib.sha256(key.encode()).hexdigest()[:16]


# File stems that say nothing about whose book it is: every team's export may carry them.
_GENERIC = frozenset(
    [
        "accounts",
        "account",
        "companies",
        "company",
        "customers",
        "customer",
        "clients",
        "export",
        "data",
        "book",
        "crm",
        "salesforce",
        "hubspot",
        "report",
        "uploaded book",
        "usage",
    ]
)


def generic_name(name: str) -> bool:
    """True when a book name would be shared by every team that uploads an ``accounts.csv``."""
    return " ".join(str(name).split()).casefold() in _GENERIC


def foreign_history(history, account_ids) -> str | None:
    """A warning when most of a book's insight log is about accounts the book does not hold
    (two teams' uploads under one name share a log), else None.

    Parameters
    ----------
    history : pandas.DataFrame
        The log under the book's key, in the contract's ``insights`` shape.
    account_ids : iterable of str
        The loaded book's accounts.

    Returns
    -------
    str or None
    """
    if history is None or not len(history):
        return None
    known = _among(history["account_id"], account_ids)
    if known.mean() >= 0.5:
        return None
    others = history.loc[~known, "account_id"].astype(str).drop_duplicates()
    return (
        f"{int((~known).sum()):,} of the {len(history):,} insights logged under this book's name "
        f"are about accounts that are not in it (e.g. {', '.join(others.head(3))}): another "
        "book was loaded under the same name. Give this book its own name in Data & settings "
        "(Book name) so the two logs stay apart."
    )


def _among(values: pd.Series, ids) -> pd.Series:
    """Which ``values`` are in ``ids``, compared as text, by one hash lookup. This runs on every
    page of every session; ``isin`` of Arrow strings against a set built a scalar per id each
    time (10 ms on a 2,000-account book and its 9,000 insights; this takes 1 ms)."""
    if not isinstance(ids, pd.Series | pd.Index | np.ndarray):
        ids = list(ids)
    known = pd.Index(pd.Series(ids, dtype="string").unique())
    text = values.astype("string")
    return pd.Series(known.get_indexer(text) >= 0, index=values.index) & text.notna()
