"""The event-rollup stage: an event log (one row per event) → daily usage and weekly active users.

Writes a seeded synthetic event log (Parquet, as a product-analytics export lands: string ids,
string event names, millisecond timestamps) and an accounts file into ``bench/books/events_<N>/``
unless present, then times, in this process:

- ``read_floor_s``: reading the Parquet file with pyarrow and nothing else (the floor);
- ``read_s``: reading it as the loader does (text columns kept dictionary-encoded);
- ``parse_s``: :func:`insight_engine.source.events.parse_events` (columns found, codes, days, checks);
- ``daily_s``: counts per event and distinct users per day (:func:`~insight_engine.source.events.usage_rows`);
- ``weekly_active_s``: distinct users per week (:func:`~insight_engine.source.events.weekly_active_rows`);
- ``rollup_s``: parse + daily + weekly active, the whole event rollup;
- ``load_folder_s``: files on disk → a Book (accounts validated, events rolled up, the weekly cube).

Prints one JSON object. ``python -m bench.events --events 10000000`` (``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent


def write_events(
    folder: Path,
    n: int,
    *,
    accounts: int = 2000,
    users_per: int = 20,
    days: int = 120,
    seed: int = 14,
) -> Path:
    """A synthetic event log of ``n`` events and its accounts file (skipped when present)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "events.parquet"
    if path.exists() and (folder / "accounts.csv").exists():
        return folder
    rng = np.random.default_rng(seed)
    acct = rng.integers(0, accounts, n)
    user = acct * users_per + rng.integers(0, users_per, n)
    names = np.array([f"Event {i:02d}" for i in range(40)], dtype=object)
    event = np.minimum(rng.geometric(0.18, n) - 1, len(names) - 1)
    end = np.datetime64("2026-10-31T23:59:59", "ms")
    stamp = end - rng.integers(0, days * 86_400_000, n).astype("timedelta64[ms]")
    table = pa.table(
        {
            "timestamp": pa.array(stamp),
            "userId": pa.DictionaryArray.from_arrays(
                pa.array(user.astype(np.int32)),
                pa.array([f"user-{i:06d}" for i in range(accounts * users_per)]),
            ).cast(pa.string()),
            "context.groupId": pa.DictionaryArray.from_arrays(
                pa.array(acct.astype(np.int32)), pa.array([f"ACC-{i:05d}" for i in range(accounts)])
            ).cast(pa.string()),
            "event": pa.DictionaryArray.from_arrays(
                pa.array(event.astype(np.int32)), pa.array(names.tolist())
            ).cast(pa.string()),
        }
    )
    pq.write_table(table, path)
    pd.DataFrame(
        {
            "account_id": [f"ACC-{i:05d}" for i in range(accounts)],
            "account_name": [f"Customer {i}" for i in range(accounts)],
        }
    ).to_csv(folder / "accounts.csv", index=False)
    return folder


def measure(folder: Path) -> dict:
    """Time each part of the event rollup on the folder's events.parquet."""
    from insight_engine.book.loader import load_folder
    from insight_engine.source.events import (
        parse_events,
        suggest_event_metrics,
        usage_rows,
        weekly_active_rows,
    )
    from insight_engine.source.problems import ValidationReport

    out: dict = {}
    from insight_engine.source.events import read_events_parquet

    t = time.perf_counter()
    pq.read_table(folder / "events.parquet")
    out["read_floor_s"] = time.perf_counter() - t  # plain pyarrow, strings decoded
    t = time.perf_counter()
    table = read_events_parquet(str(folder / "events.parquet"))  # as the loader reads it
    out["read_s"] = time.perf_counter() - t
    out["events"] = table.num_rows
    accounts = pd.read_csv(folder / "accounts.csv", dtype=str)
    today = pd.Timestamp("2026-11-30")
    t0 = time.perf_counter()
    log = parse_events(
        table, "events.parquet", accounts, ValidationReport(), today=today, row_offset=1
    )
    out["parse_s"] = time.perf_counter() - t0
    suggestion = suggest_event_metrics(log.counts)
    codes = pd.Index(suggestion["metric"].unique()).get_indexer(
        pd.Series(log.event_names).map(
            dict(zip(suggestion["event"], suggestion["metric"], strict=True))
        )
    )
    t = time.perf_counter()
    daily = usage_rows(log, codes, daily_active=len(codes))
    out["daily_s"] = time.perf_counter() - t
    t = time.perf_counter()
    weekly = weekly_active_rows(
        log, as_of_day=int(log.last_day), weeks=52, weekly_active=len(codes) + 1
    )
    out["weekly_active_s"] = time.perf_counter() - t
    out["rollup_s"] = time.perf_counter() - t0
    out["daily_rows"] = len(daily[0])
    out["weekly_active_rows"] = len(weekly[0])
    del table, log
    t = time.perf_counter()
    book = load_folder(folder, today=today)
    out["load_folder_s"] = time.perf_counter() - t
    out["accounts"], out["weeks"], out["metrics"] = book.weekly.shape
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument(
        "--out", type=Path, default=None, help="Folder (default bench/books/events_<N>)."
    )
    args = parser.parse_args()
    folder = args.out or HERE / "books" / f"events_{args.events}"
    write_events(folder, args.events, accounts=args.accounts)
    print(
        json.dumps(
            {k: round(v, 3) if isinstance(v, float) else v for k, v in measure(folder).items()}
        )
    )


if __name__ == "__main__":
    main()
