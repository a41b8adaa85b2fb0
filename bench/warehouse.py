"""The warehouse path on PostgreSQL (issue 20, points 3 and 4): ``python -m bench.warehouse``.

``m``: the M book (2,000 accounts x 365 days x 10 metrics) copied into PostgreSQL; the daily
push-down (``rollup_sql`` and the whole ``load_sql``) against the weekly table that
``to-sql --weekly`` builds (the build timed too).

``xl``: a 50,000-account book in PostgreSQL as a weekly table only (50k x 53 x 10 rows): the M
book's weekly table repeated 25 times under new account ids (so the usage is the demo
generator's, not noise), then, in a fresh process, the database to a ranked book: seconds and
peak RSS. ``--accounts`` sets the size (a multiple of 2,000), to show RSS following accounts x
weeks x metrics.

Prints one JSON line per measurement; nothing is kept (the scratch schemas are dropped).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import sqlalchemy as sa

from bench.run import ROOT, book_dir, scratch_engine

M_SCHEMA = "rudder_bench_wh_m"
XL_SCHEMA = "rudder_bench_wh_xl"


def _m_engine() -> sa.Engine | None:
    """The M book in PostgreSQL (copied once, kept until ``--drop``)."""
    from insight_engine.book.loader import write_sql

    engine = scratch_engine(M_SCHEMA)
    if engine is None:
        return None
    if "usage" not in sa.inspect(engine).get_table_names():
        write_sql(book_dir("M"), engine)
    return engine


def _drop(engine: sa.Engine, schema: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"drop schema if exists {schema} cascade"))
    engine.dispose()


def bench_m() -> dict | None:
    from insight_engine.book import warehouse
    from insight_engine.book.loader import load_sql

    engine = _m_engine()
    if engine is None:
        return None
    with engine.begin() as conn:
        for name in reversed(warehouse.WEEKLY_TABLES):
            conn.execute(sa.text(f'drop table if exists "{name}"'))
    out: dict = {}
    book = load_sql("", engine=engine)  # warm the server's cache: the daily path
    start = time.perf_counter()
    _, out["rows_returned"] = warehouse.rollup_sql(
        engine, accounts=book.accounts, metrics=book.metrics, as_of=book.as_of
    )
    out["pushdown_daily_s"] = time.perf_counter() - start
    start = time.perf_counter()
    load_sql("", engine=engine)
    out["load_sql_daily_s"] = time.perf_counter() - start
    start = time.perf_counter()
    built = warehouse.build_weekly(engine)
    out["build_weekly_s"] = time.perf_counter() - start
    out["daily_rows"], out["weekly_rows"] = built["usage_rows"], built["weekly_rows"]
    load_sql("", engine=engine)  # warm
    start = time.perf_counter()
    weekly = load_sql("", engine=engine)
    out["load_sql_weekly_s"] = time.perf_counter() - start
    present = set(sa.inspect(engine).get_table_names())
    prepared = warehouse.prepared_weekly(engine, present, weekly.accounts)
    start = time.perf_counter()
    warehouse.rollup_sql(
        engine,
        accounts=weekly.accounts,
        metrics=weekly.metrics,
        as_of=weekly.as_of,
        prepared=prepared,
    )
    out["pushdown_weekly_s"] = time.perf_counter() - start
    engine.dispose()
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}


def make_xl(accounts: int) -> sa.Engine | None:
    """The XL schema: M's accounts, catalog and weekly table, repeated under new ids."""
    from insight_engine.book import warehouse

    m = _m_engine()
    if m is None:
        return None
    if warehouse.WEEKLY not in sa.inspect(m).get_table_names():
        warehouse.build_weekly(m)
    m.dispose()
    xl = scratch_engine(XL_SCHEMA)
    with xl.begin() as conn:
        a_m = conn.execute(sa.text(f"select count(*) from {M_SCHEMA}.usage_account_keys")).scalar()
        copies = -(-accounts // a_m)
        cols = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "select column_name from information_schema.columns where table_schema = "
                    f"'{M_SCHEMA}' and table_name = 'accounts' order by ordinal_position"
                )
            )
        ]
        renamed = {
            "account_id": "a.account_id || '-' || k",
            "account_name": "a.account_name || ' ' || k",
        }
        select = ", ".join(f"{renamed.get(c, 'a.' + c)} as {c}" for c in cols)
        for name in (*reversed(warehouse.WEEKLY_TABLES), "accounts", "metrics"):
            conn.execute(sa.text(f'drop table if exists "{name}"'))
        series = f"generate_series(0, {copies - 1}) k"
        conn.execute(
            sa.text(
                f"create table accounts as select {select} from {M_SCHEMA}.accounts a, {series}"
            )
        )
        conn.execute(sa.text(f"create table metrics as select * from {M_SCHEMA}.metrics"))
        conn.execute(
            sa.text(
                "create table usage_account_keys as select account_key + k * :a as account_key, "
                f"account_id || '-' || k as account_id from {M_SCHEMA}.usage_account_keys, {series}"
            ),
            {"a": a_m},
        )
        conn.execute(
            sa.text(f"create table usage_metric_keys as select * from {M_SCHEMA}.usage_metric_keys")
        )
        for name in ("usage_weekly", "usage_weekly_days"):
            rest = "week_back, total, n, active" if name == "usage_weekly" else "day_back, total, n"
            conn.execute(
                sa.text(
                    f"create table {name} as select account_key + k * :a as account_key, "
                    f"metric_key, {rest} from {M_SCHEMA}.{name}, {series}"
                ),
                {"a": a_m},
            )
        conn.execute(
            sa.text(
                "create table usage_weekly_meta as select as_of, weeks, min_date, max_date, "
                f"last_date, usage_rows * {copies} as usage_rows, accounts * {copies} as accounts, "
                f"rejected * {copies} as rejected, built_at from {M_SCHEMA}.usage_weekly_meta"
            )
        )
        conn.execute(sa.text("analyze"))
    return xl


def xl_load() -> dict:
    """In a fresh process: the XL database to a ranked book."""
    start = time.perf_counter()
    from insight_engine.analysis.engine import analyze
    from insight_engine.book.loader import load_sql

    imports = time.perf_counter() - start
    engine = scratch_engine(XL_SCHEMA)
    start = time.perf_counter()
    book = load_sql("", engine=engine)
    loaded = time.perf_counter() - start
    load_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    analysis = analyze(book, model_dir=None)
    out = {
        "accounts": len(book.accounts),
        "weeks": book.weekly.shape[1],
        "metrics": book.weekly.shape[2],
        "cube_mb": book.weekly.values.nbytes / 2**20,
        "imports_s": imports,
        "load_s": loaded,
        "to_ranked_s": time.perf_counter() - start,
        "ranked": len(analysis.ranked),
        "load_peak_rss_mb": load_rss,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}


def bench_xl(accounts: int) -> dict | None:
    start = time.perf_counter()
    engine = make_xl(accounts)
    if engine is None:
        return None
    made = time.perf_counter() - start
    with engine.connect() as conn:
        weekly_rows = conn.execute(sa.text("select count(*) from usage_weekly")).scalar()
    engine.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "bench.warehouse", "xl-load"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out | {"weekly_rows": int(weekly_rows), "make_xl_s": round(made, 1)}


def drop_all() -> None:
    for schema in (XL_SCHEMA, M_SCHEMA):
        engine = scratch_engine(schema)
        if engine is not None:
            _drop(engine, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["m", "xl", "xl-load", "drop"])
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch schemas.")
    args = parser.parse_args()
    if args.what == "xl-load":
        print(json.dumps(xl_load()))
        return
    if args.what == "drop":
        drop_all()
        return
    result = bench_m() if args.what == "m" else bench_xl(args.accounts)
    if result is None:
        result = {"skipped": "PostgreSQL is not reachable (set RUDDER_TEST_POSTGRES_URL)"}
    print(json.dumps(result), flush=True)
    if not args.keep:
        drop_all()


if __name__ == "__main__":
    main()
