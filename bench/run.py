"""Benchmarks at three book sizes: ``make bench`` (or ``python -m bench.run --sizes S,M``).

Books (365 days of daily usage, 10 metrics) are generated once with the demo generator into
``bench/books/`` (git-ignored). Each size runs in a fresh process (honest cold times and peak
memory); the warm "This week" rerun runs through Streamlit's AppTest with caches filled; the
PostgreSQL push-down runs on the M book when a server answers. Results are printed and written
to ``bench/results.json``, with the ratios cold/floor and rollup/DuckDB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = {"S": 100, "M": 2_000, "L": 10_000}


def book_dir(size: str) -> Path:
    from insight_engine.source.demo import generate_demo, write_demo

    folder = HERE / "books" / size
    if not (folder / "book.json").exists():
        write_demo(generate_demo(SIZES[size], seed=99), folder)
    return folder


def warm_rerun(folder: Path, runs: int = 5) -> float:
    """Median time of a "This week" rerun through AppTest once every cache is filled."""
    from streamlit.testing.v1 import AppTest

    os.environ["RUDDER_DB_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench-log.db"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["source"] = {"kind": "folder", "path": str(folder)}
    at.run()  # cold: loads, imports the history, analyses
    at.run()  # caches filled
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    assert not at.exception, [e.value for e in at.exception]
    return sorted(times)[len(times) // 2]


def scratch_engine(schema: str):
    """An engine on a scratch schema of the test PostgreSQL server, or None when none answers."""
    import sqlalchemy as sa

    url = os.environ.get("RUDDER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"create schema if not exists {schema}"))
    except sa.exc.OperationalError:
        return None
    return engine


def postgres_pushdown(folder: Path) -> dict | None:
    import sqlalchemy as sa

    from insight_engine.book.loader import load_folder, write_sql
    from insight_engine.book.rollup import rollup_sql

    engine = scratch_engine("rudder_bench")
    if engine is None:
        return None
    start = time.perf_counter()
    write_sql(folder, engine)
    copy_s = time.perf_counter() - start
    book = load_folder(folder)
    rollup_sql(engine, accounts=book.accounts, metrics=book.metrics, as_of=book.as_of)  # warm
    start = time.perf_counter()
    _, rows = rollup_sql(engine, accounts=book.accounts, metrics=book.metrics, as_of=book.as_of)
    pushdown = time.perf_counter() - start
    with engine.connect() as conn:  # closed at once: an open transaction would block the DROP below
        daily = int(conn.execute(sa.text("select count(*) from usage")).scalar())
    result = {
        "pushdown_s": round(pushdown, 3),
        "rows_returned": rows,
        "daily_rows": daily,
        "load_into_postgres_s": round(copy_s, 1),
    }
    with engine.begin() as conn:
        conn.execute(sa.text("drop schema rudder_bench cascade"))
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="S,M,L")
    parser.add_argument(
        "--no-warm", action="store_true", help="Skip the AppTest warm-rerun measurement."
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--events", type=int, default=10_000_000, help="Events in the event-rollup stage (0: skip)."
    )
    args = parser.parse_args()
    results = []
    for size in [s.strip() for s in args.sizes.split(",")]:
        folder = book_dir(size)
        done = subprocess.run(
            [sys.executable, "-m", "bench.stage", str(folder)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        r = {"size": size} | json.loads(done.stdout.strip().splitlines()[-1])
        if not args.no_warm:
            warm = subprocess.run(
                [sys.executable, "-m", "bench.warm", str(folder)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                timeout=900,
            )
            r["warm_rerun_s"] = float(warm.stdout.strip().splitlines()[-1])
        with tempfile.TemporaryDirectory() as cache:  # restart on unchanged files: the cube
            for extra in (["--write"], []):
                done = subprocess.run(
                    [sys.executable, "-m", "bench.restart", str(folder), cache, *extra],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
            r |= json.loads(done.stdout.strip().splitlines()[-1])
        r["restart_load_over_floor"] = r["restart_load_s"] / r["restart_read_floor_s"]
        r["cold_over_floor"] = r["cold_to_ranked_s"] / r["read_floor_s"]
        r["cold_saved_model_over_floor"] = r["cold_saved_model_s"] / r["read_floor_s"]
        r["rollup_over_duckdb"] = r["rollup_s"] / r["duckdb_rollup_s"]
        r["read_plus_rollup_over_duckdb"] = r["read_plus_rollup_s"] / r["duckdb_rollup_s"]
        results.append({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()})
        print(f"{size}: {json.dumps(results[-1])}", flush=True)
    pg = None if args.no_postgres or "M" not in args.sizes else postgres_pushdown(book_dir("M"))
    # The warehouse path (bench/warehouse.py): M through the weekly table, XL (50,000 accounts)
    # from PostgreSQL to a ranked book; each says "skipped" with the reason without a server.
    warehouse = {}
    for what in () if args.no_postgres else ("m", "xl"):
        done = subprocess.run(
            [sys.executable, "-m", "bench.warehouse", what],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        warehouse[what] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"warehouse {what}: {json.dumps(warehouse[what])}", flush=True)
    events = None
    if args.events:  # an event log (one row per event) rolled up to usage: bench/events.py
        done = subprocess.run(
            [sys.executable, "-m", "bench.events", "--events", str(args.events)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        events = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"events: {json.dumps(events)}", flush=True)
    cols = [
        ("size", "{}"),
        ("accounts", "{:,}"),
        ("usage_rows", "{:,}"),
        ("read_floor_s", "{:.2f}"),
        ("load_s", "{:.2f}"),
        ("read_plus_rollup_s", "{:.2f}"),
        ("duckdb_rollup_s", "{:.2f}"),
        ("rollup_s", "{:.2f}"),
        ("health_s", "{:.2f}"),
        ("detectors_s", "{:.2f}"),
        ("scoring_s", "{:.2f}"),
        ("drafts_top20_s", "{:.2f}"),
        ("cold_to_ranked_s", "{:.2f}"),
        ("cold_over_floor", "{:.1f}"),
        ("cold_saved_model_s", "{:.2f}"),
        ("cold_saved_model_over_floor", "{:.1f}"),
        ("second_date_s", "{:.2f}"),
        ("restart_load_s", "{:.2f}"),
        ("restart_load_over_floor", "{:.2f}"),
        ("restart_to_ranked_s", "{:.2f}"),
        ("warm_rerun_s", "{:.3f}"),
        ("peak_rss_mb", "{:,.0f}"),
    ]
    print(" | ".join(c for c, _ in cols))
    for r in results:
        print(" | ".join(fmt.format(r[c]) if c in r else "—" for c, fmt in cols))
    if pg:
        print(f"PostgreSQL push-down (M): {pg}")
    (HERE / "results.json").write_text(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "results": results,
                "postgres_m": pg,
                "warehouse": warehouse,
                "events": events,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
