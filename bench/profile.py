"""Where the time goes: ``python -m bench.profile`` (after ``make bench`` has made the books).

Writes two profiles next to the results, so a target that is out of reach is explained by a
profile rather than a guess:

- ``bench/profile_L.txt``: pyinstrument's call tree of the L book's cold path (files on disk →
  ranked book), in a fresh process;
- ``bench/profile_postgres_M.txt``: PostgreSQL's ``EXPLAIN (ANALYZE, BUFFERS)`` of the pushed-down
  rollup on the M book, with the settings Rudder uses for that transaction.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def profile_cold(folder: Path) -> str:
    """pyinstrument's text call tree of load_folder + analyze (run in this process)."""
    from pyinstrument import Profiler

    from insight_engine.analysis.engine import analyze
    from insight_engine.book.loader import load_folder

    profiler = Profiler(interval=0.002)
    profiler.start()
    analyze(load_folder(folder), model_dir=None)
    profiler.stop()
    return profiler.output_text(unicode=False, color=False)


def explain_postgres(folder: Path) -> str | None:
    """EXPLAIN ANALYZE of the push-down query on a freshly loaded copy of the book."""
    import sqlalchemy as sa

    import insight_engine.book.warehouse as rollup
    from bench.run import scratch_engine
    from insight_engine.book.loader import load_folder, write_sql

    engine = scratch_engine("rudder_profile")
    if engine is None:
        return None
    captured: list[str] = []
    fetch = rollup._fetch

    def capture(conn, query, columns):
        captured.append(
            str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        )
        return fetch(conn, query, columns)

    try:
        write_sql(folder, engine)
        book = load_folder(folder)
        rollup._fetch = capture
        rollup.rollup_sql(engine, accounts=book.accounts, metrics=book.metrics, as_of=book.as_of)
        rollup._fetch = fetch
        lines: list[str] = []
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL jit = off")
            conn.exec_driver_sql("SET LOCAL work_mem = '128MB'")
            for sql in captured:
                lines += ["-- " + sql.replace("\n", " "), ""]
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql).scalars().all()
                lines += [*plan, ""]
        return "\n".join(lines)
    finally:
        rollup._fetch = fetch
        with engine.begin() as conn:
            conn.execute(sa.text("drop schema rudder_profile cascade"))
        engine.dispose()


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--cold":  # the child process
        print(profile_cold(Path(sys.argv[2])))
        return
    from bench.run import book_dir

    cold = subprocess.run(
        [sys.executable, "-m", "bench.profile", "--cold", str(book_dir("L"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (HERE / "profile_L.txt").write_text(cold.stdout)
    print(cold.stdout)
    plan = explain_postgres(book_dir("M"))
    if plan:
        (HERE / "profile_postgres_M.txt").write_text(plan)
        print(plan)


if __name__ == "__main__":
    main()
