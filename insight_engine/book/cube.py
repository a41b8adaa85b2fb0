"""A loaded book kept on disk, so a restart or a new session on unchanged files skips the daily read.

After a folder is loaded, its book — the weekly usage cube (accounts × weeks × metrics), the
validated tables and the validation report — is written under ``data/cache/<key>/``. The key
is a fingerprint of everything the book depends on: each file's name, size, modification time
and a hash of its first and last 64 KB; the as-of date, weeks, date order and "today" (the
future-date checks); and Rudder's own code (a new version reads the files again). Unchanged
data reads the cube (a few MB) instead of millions of daily rows; a changed file, or a cube
that cannot be read, is read from the files again and the cube rewritten.

Writes go to a temporary folder renamed into place, so a reader never sees half a cube and two
processes writing the same cube both end with a whole one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import uuid
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from insight_engine.book.book import Book
from insight_engine.book.rollup import WeeklyUsage
from insight_engine.source.problems import PROBLEM_COLUMNS, ValidationReport

__all__ = ["CUBE_VERSION", "book_key", "read_book", "write_book"]

CUBE_VERSION = 1
_EDGE = 64 * 1024  # bytes hashed at each end of a file
_KEEP = 8  # cubes kept per cache folder (oldest removed first)
logger = logging.getLogger("rudder")


@lru_cache(maxsize=1)
def _code_hash() -> str:
    """Rudder's own code: a change to how files are read or rolled up makes old cubes stale."""
    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _file_print(path: Path) -> list:
    stat = path.stat()
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as f:
        digest.update(f.read(_EDGE))
        if stat.st_size > 2 * _EDGE:
            f.seek(-_EDGE, os.SEEK_END)
        digest.update(f.read(_EDGE))
    return [path.name, stat.st_size, stat.st_mtime_ns, digest.hexdigest()]


def book_key(files: list[Path], **options: object) -> str:
    """The cube's key: the files' fingerprints, the load options and the code.

    Parameters
    ----------
    files : list of Path
        Every file the book is read from.
    **options
        What else changes the book (as-of date, weeks, date order, today); values are written
        with ``str``.

    Returns
    -------
    str
        32 hex characters.
    """
    payload = [
        CUBE_VERSION,
        _code_hash(),
        [_file_print(f) for f in sorted(files)],
        {k: str(v) for k, v in sorted(options.items())},
    ]
    return hashlib.blake2b(json.dumps(payload).encode(), digest_size=16).hexdigest()


# ---------------------------------------------------------------------------------------------
# Writing


def _stamp(value: object) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def _unstamp(value: str | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    frame.to_parquet(path, index=False)


def write_book(book: Book, directory: Path, key: str) -> Path | None:
    """Write ``book`` as the cube ``key`` under ``directory``; None (and a log line) on failure.

    A cube is a convenience: a disk that is full or read-only never stops the book loading.
    """
    target = Path(directory) / key
    if target.exists():
        return target
    scratch = Path(directory) / f".{key}.{uuid.uuid4().hex[:8]}"
    try:
        (scratch / "tables").mkdir(parents=True)
        meta: dict[str, object] = {"version": CUBE_VERSION, "tables": []}
        for f in dataclasses.fields(book):
            value = getattr(book, f.name)
            if isinstance(value, pd.DataFrame):
                _parquet(value, scratch / "tables" / f"{f.name}.parquet")
                meta["tables"].append(f.name)
        w = book.weekly
        np.save(scratch / "values.npy", w.values, allow_pickle=False)
        np.save(scratch / "first_week.npy", np.asarray(w.first_week), allow_pickle=False)
        _parquet(
            pd.DataFrame(
                {"account_id": w.account_ids, "last_active": w.last_active.reindex(w.account_ids)}
            ),
            scratch / "accounts_index.parquet",
        )
        meta["weekly"] = {
            "metrics": [str(m) for m in w.metrics],
            "week_ends": [_stamp(d) for d in w.week_ends],
            "last_week": int(w.last_week),
            "partial_day": _stamp(w.partial_day),
            "usage_end": _stamp(w.usage_end),
            "last_active_name": w.last_active.name,
        }
        report = book.report
        _parquet(report.to_frame(), scratch / "report.parquet")
        rejected = {}
        for i, (name, frame) in enumerate(report.rejected.items()):
            _parquet(frame.astype("string"), scratch / f"rejected-{i}.parquet")
            rejected[name] = i
        meta["report"] = {"counts": report.counts, "rejected": rejected}
        meta["book"] = {
            "as_of": _stamp(book.as_of),
            "source": book.source,
            "key": book.key,
            "provided": sorted(book.provided),
            "later": {t: _stamp(d) for t, d in book.later.items()},
            "date_range": [_stamp(d) for d in book.date_range],
        }
        (scratch / "meta.json").write_text(json.dumps(meta))
        try:
            scratch.rename(target)
        except OSError:  # another process wrote the same cube first: theirs is as good
            shutil.rmtree(scratch, ignore_errors=True)
        _prune(Path(directory))
        return target
    except Exception:
        logger.warning("could not write the book cube %s", target, exc_info=True)
        shutil.rmtree(scratch, ignore_errors=True)
        return None


def _prune(directory: Path) -> None:
    cubes = sorted(
        (p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    for old in cubes[:-_KEEP]:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Reading


def read_book(directory: Path, key: str) -> Book | None:
    """The cube ``key`` as a Book, or None when there is none or it cannot be read."""
    folder = Path(directory) / key
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("version") != CUBE_VERSION:
            return None
        tables = {
            name: pd.read_parquet(folder / "tables" / f"{name}.parquet") for name in meta["tables"]
        }
        wm = meta["weekly"]
        index = pd.read_parquet(folder / "accounts_index.parquet")
        account_ids = pd.Index(index["account_id"], name=None)
        weekly = WeeklyUsage(
            values=np.load(folder / "values.npy", allow_pickle=False),
            account_ids=account_ids,
            metrics=pd.Index(wm["metrics"], dtype=object),
            week_ends=pd.DatetimeIndex([pd.Timestamp(d) for d in wm["week_ends"]]),
            last_active=pd.Series(
                index["last_active"].to_numpy(), index=account_ids, name=wm["last_active_name"]
            ),
            first_week=np.load(folder / "first_week.npy", allow_pickle=False),
            last_week=wm["last_week"],
            partial_day=_unstamp(wm["partial_day"]),
            usage_end=_unstamp(wm["usage_end"]),
        )
        rm = meta["report"]
        frame = pd.read_parquet(folder / "report.parquet")
        for column in frame.columns.drop("row", errors="ignore"):  # text as the report holds it
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
        report = ValidationReport(
            frames=[frame[PROBLEM_COLUMNS]] if len(frame) else [],
            rejected={
                name: pd.read_parquet(folder / f"rejected-{i}.parquet")
                for name, i in rm["rejected"].items()
            },
            counts=rm["counts"],
        )
        bm = meta["book"]
        book = Book(
            weekly=weekly,
            as_of=pd.Timestamp(bm["as_of"]),
            report=report,
            provided=frozenset(bm["provided"]),
            later={t: pd.Timestamp(d) for t, d in bm["later"].items()},
            date_range=tuple(_unstamp(d) for d in bm["date_range"]),
            source=bm["source"],
            key=bm["key"],
            **tables,
        )
        os.utime(folder)  # recently used: pruned last
        return book
    except Exception:
        logger.warning("could not read the book cube %s; reading the files", folder, exc_info=True)
        shutil.rmtree(folder, ignore_errors=True)
        return None
