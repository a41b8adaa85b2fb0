"""The team's warehouse as the engine (issue 20, points 3 and 4).

- The push-down compiles for every warehouse we name; golden files in tests/golden/ hold the SQL
  each one gets, so a change to any of them shows in review. Regenerate them after a deliberate
  change with ``RUDDER_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_warehouse_sql.py``
  (the test then rewrites the files and fails once, so a regeneration is never silent).
- The weekly table (``to-sql --weekly``) gives the book the files give, on SQLite and PostgreSQL,
  without a query over the daily rows; stale or not covering, it is left aside.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from insight_engine.book import warehouse
from insight_engine.book.loader import load_folder, load_sql
from insight_engine.cli import main
from insight_engine.errors import DataLoadError
from tests.fixtures import TODAY, book_dir
from tests.helpers import assert_same_book

GOLDEN = Path(__file__).parent / "golden"
AS_OF = pd.Timestamp("2026-10-31")


def _golden_sql(dialect_name: str) -> str:
    """Every statement the warehouse path runs, compiled for one dialect, values inlined."""
    usage = warehouse.usage_table()
    q = warehouse.pushdown_queries(
        usage,
        dialect_name,
        as_of=AS_OF,
        weeks=52,
        metric_names=["logins", "seats_used"],
        activity_metrics=["logins"],
    )
    parts = {
        "push-down: weekly rows": q.weekly,
        "push-down: the as-of day and a week before (partial-day test)": q.days,
        "push-down: last active day of accounts quiet all window": q.last(["A-1", "A-2"]),
        "push-down: accounts with rows before the window": q.older(["A-1", "A-2"]),
        **{
            f"weekly table: {name}": query
            for name, query in warehouse.weekly_build_queries(
                usage, dialect_name, as_of=AS_OF, weeks=52
            ).items()
        },
    }
    return "".join(
        f"-- {title}\n{warehouse.compile_sql(query, dialect_name).strip()};\n\n"
        for title, query in parts.items()
    )


@pytest.mark.parametrize("dialect_name", warehouse.DIALECTS)
def test_the_push_down_compiles_to_the_golden_sql(dialect_name):
    """Fails when a warehouse's SQL changes (our query, or its dialect package's rendering)."""
    got = _golden_sql(dialect_name)
    path = GOLDEN / f"warehouse_{dialect_name}.sql"
    if os.environ.get("RUDDER_REGEN_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(got)
        pytest.fail(f"regenerated {path.name}: review the diff, then run again without the flag")
    assert path.exists(), f"no {path.name}: run with RUDDER_REGEN_GOLDEN=1 once"
    assert got == path.read_text(), f"{dialect_name} SQL changed; see the module docstring"


@pytest.mark.parametrize(
    ("dialect_name", "days_before"),
    [
        ("postgresql", "CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE)"),
        ("snowflake", "datediff(day, usage.date, CAST('2026-10-31' AS DATE))"),
        ("redshift", "datediff(day, usage.date, CAST('2026-10-31' AS DATE))"),
        ("bigquery", "date_diff(CAST('2026-10-31' AS DATE), `usage`.`date`, DAY)"),
        ("databricks", "datediff(CAST('2026-10-31' AS DATE), usage.date)"),
        ("trino", "date_diff('day', CAST(usage.date AS DATE), CAST('2026-10-31' AS DATE))"),
    ],
)
def test_each_warehouse_spells_days_and_whole_weeks_its_own_way(dialect_name, days_before):
    """The day difference each warehouse knows, and integer weeks (BigQuery's / is a float)."""
    sql = _golden_sql(dialect_name)
    assert days_before in sql
    assert "FILTER (WHERE" not in sql  # not every warehouse has aggregate FILTER
    if dialect_name == "bigquery":
        assert f"div({days_before}, 7)" in sql


def test_an_unknown_dialect_is_named_with_its_package(capsys):
    with pytest.raises(ValueError, match="install"):
        warehouse.dialect("nosuchwarehouse")
    assert main(["to-sql", "--print-sql", "nosuchwarehouse"]) == 2
    assert "nosuchwarehouse" in capsys.readouterr().err


def test_print_sql_gives_the_weekly_table_for_a_warehouse(capsys):
    assert main(["to-sql", "--print-sql", "snowflake", "--as-of", "2026-10-31"]) == 0
    out = capsys.readouterr().out
    assert "-- usage_weekly (as of 2026-10-31, 52 weeks)" in out
    assert "datediff(day, usage.date, CAST('2026-10-31' AS DATE))" in out
    assert "usage_account_keys.account_key" in out


def test_to_sql_without_data_or_weekly_says_what_to_give(capsys):
    assert main(["to-sql", "--url", "sqlite://"]) == 2
    assert "--weekly" in capsys.readouterr().err


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request, tmp_path) -> tuple[str, sa.Engine]:
    """A URL for the command line and an engine on the same database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'book.db'}"
        return url, sa.create_engine(url)
    engine = request.getfixturevalue("postgres_engine")
    with engine.connect() as conn:
        schema = conn.execute(sa.text("select current_schema()")).scalar()
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), engine


def _daily_reads(engine: sa.Engine, monkeypatch):
    """Statements that aggregate the daily usage table (the freshness probe's count is not one):
    through the engine, and through the COPY that PostgreSQL's rows come back by."""
    seen: list[str] = []

    def note(statement: str) -> None:
        flat = " ".join(statement.split()).lower()
        if "from usage " in flat + " " and "group by" in flat:
            seen.append(flat)

    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, st, *a: note(st))
    fetch = warehouse._fetch

    def fetch_noted(conn, query, columns):
        note(str(query.compile(dialect=conn.dialect)))
        return fetch(conn, query, columns)

    monkeypatch.setattr(warehouse, "_fetch", fetch_noted)
    return seen


@pytest.mark.parametrize("name", ["full", "partial_last_day", "late_start", "gap"])
def test_the_weekly_table_gives_the_book_the_files_give(db, name, capsys, monkeypatch):
    """Weekly numbers, last active days and coverage equal the file path's, from
    accounts x weeks x metrics rows: no statement aggregates the daily table."""
    url, engine = db
    folder = book_dir(name)
    assert main(["to-sql", "--data", str(folder), "--url", url, "--weekly"]) == 0
    assert "Built usage_weekly" in capsys.readouterr().out
    files = load_folder(folder, today=TODAY)
    reads = _daily_reads(engine, monkeypatch)
    database = load_sql(url, today=TODAY, engine=engine)
    assert reads == []
    assert_same_book(files, database)
    assert database.weekly.partial_day == files.weekly.partial_day


def test_the_weekly_table_read_in_small_batches_gives_the_same_book(db, monkeypatch, capsys):
    """Batches cut anywhere (a few hundred bytes or rows) add up to the same cube."""
    url, engine = db
    folder = book_dir("full")
    assert main(["to-sql", "--data", str(folder), "--url", url, "--weekly"]) == 0
    monkeypatch.setattr(warehouse, "_BATCH_BYTES", 300)
    monkeypatch.setattr(warehouse, "_BATCH_ROWS", 7)
    assert_same_book(load_folder(folder, today=TODAY), load_sql(url, today=TODAY, engine=engine))


def test_fewer_weeks_or_another_as_of_than_the_table_holds(db, capsys, monkeypatch):
    """26 weeks come from the 52-week table; another as-of date rolls the daily rows up."""
    url, engine = db
    folder = book_dir("full")
    assert main(["to-sql", "--data", str(folder), "--url", url, "--weekly"]) == 0
    assert_same_book(
        load_folder(folder, today=TODAY, weeks=26), load_sql(url, today=TODAY, weeks=26)
    )
    as_of = load_folder(folder, today=TODAY).as_of - pd.Timedelta(days=10)
    reads = _daily_reads(engine, monkeypatch)
    database = load_sql(url, today=TODAY, as_of=as_of, engine=engine)
    assert reads  # the daily push-down ran
    assert_same_book(load_folder(folder, today=TODAY, as_of=as_of), database)


def test_new_usage_makes_the_weekly_table_stale(tmp_path, capsys):
    """A row added after the build: the load rolls the daily rows up (and counts the new row)."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    folder = tmp_path / "book"
    shutil.copytree(book_dir("full"), folder)
    assert main(["to-sql", "--data", str(folder), "--url", url, "--weekly"]) == 0
    engine = sa.create_engine(url)
    present = set(sa.inspect(engine).get_table_names())
    accounts = pd.read_sql_table("accounts", engine)
    assert warehouse.prepared_weekly(engine, present, accounts) is not None
    row = {
        "account_id": accounts["account_id"].iloc[0],
        "metric": "tickets_solved",
        "value": 1234.0,
    }
    row["date"] = pd.Timestamp("2026-10-30").date()
    with engine.begin() as conn:
        conn.execute(warehouse.usage_table().insert(), row)
    assert warehouse.prepared_weekly(engine, present, accounts) is None
    with (folder / "usage.csv").open("a") as f:
        f.write(f"{row['account_id']},2026-10-30,tickets_solved,1234\n")
    assert_same_book(load_folder(folder, today=TODAY), load_sql(url, today=TODAY))


def test_a_weekly_table_alone_is_a_book_and_a_date_it_cannot_give_is_said(tmp_path, capsys):
    """The daily table dropped (kept elsewhere): the weekly table alone loads; another as-of
    date cannot be rolled up, and the message says how to rebuild."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    folder = book_dir("full")
    assert main(["to-sql", "--data", str(folder), "--url", url, "--weekly"]) == 0
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE usage"))
    files = load_folder(folder, today=TODAY)
    assert_same_book(files, load_sql(url, today=TODAY))
    with pytest.raises(DataLoadError, match="to-sql --weekly"):
        load_sql(url, today=TODAY, as_of=files.as_of - pd.Timedelta(days=3))


def test_weekly_from_the_usage_already_in_the_database(tmp_path, capsys):
    """--weekly without --data: the team's own usage table, built in place."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    folder = book_dir("full")
    assert main(["to-sql", "--data", str(folder), "--url", url]) == 0
    engine = sa.create_engine(url)
    assert warehouse.WEEKLY not in sa.inspect(engine).get_table_names()
    assert main(["to-sql", "--url", url, "--weekly", "--weeks", "60"]) == 0
    out = capsys.readouterr().out
    assert "60 weeks" in out
    assert set(warehouse.WEEKLY_TABLES) <= set(sa.inspect(engine).get_table_names())
    assert_same_book(load_folder(folder, today=TODAY), load_sql(url, today=TODAY))


@pytest.mark.postgres
def test_rows_come_back_from_postgresql_exactly(postgres_engine, monkeypatch):
    """Rows travel as CSV text, many to a value: ids with commas, quotes, line ends and accents,
    floats to the last bit, empty values, and batches cut between values."""
    frame = pd.DataFrame(
        {
            "account_id": ["a,b", 'say "hi"', "two\nlines", "Zürich ✓", "plain", " pad "],
            "total": [0.1 + 0.2, 1e-300, -0.0, 123456789.123456789, None, 2.5],
            "n": [1, 2, 3, 4, 5, 6],
        }
    )
    frame.to_sql("odd", postgres_engine, index=False)
    table = sa.Table("odd", sa.MetaData(), autoload_with=postgres_engine)
    monkeypatch.setattr(warehouse, "_LINES", 2)
    monkeypatch.setattr(warehouse, "_BATCH_BYTES", 10)
    with postgres_engine.connect() as conn:
        got = warehouse._fetch(conn, sa.select(table), list(frame.columns))
    got = got.sort_values("n", ignore_index=True)  # no order is promised (none is needed)
    pd.testing.assert_frame_equal(got, frame, check_dtype=False)


def test_the_bench_rows_say_why_they_are_skipped_without_postgresql():
    """make bench's warehouse rows, with no server answering: a reason, not a crash."""
    import json
    import subprocess
    import sys

    env = os.environ | {"RUDDER_TEST_POSTGRES_URL": "postgresql://postgres@127.0.0.1:1/none"}
    root = Path(__file__).resolve().parent.parent
    for what in ("m", "xl"):
        done = subprocess.run(
            [sys.executable, "-m", "bench.warehouse", what],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert "PostgreSQL is not reachable" in json.loads(done.stdout.splitlines()[-1])["skipped"]
