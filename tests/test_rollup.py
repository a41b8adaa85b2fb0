"""Weekly rollup: integer indexing in memory, and the same numbers from SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from insight_engine.book.loader import load_sql, write_sql
from insight_engine.book.rollup import rollup_arrays

AS_OF = pd.Timestamp("2026-11-20")


def _tiny(aggregation=None):
    accounts = pd.DataFrame(
        {"account_id": ["A", "B"], "contract_start": pd.to_datetime(["2026-01-01", "2026-11-10"])}
    )
    metrics = pd.DataFrame({"metric": ["views", "seats"], "category": ["adoption", "seats"]})
    if aggregation:
        metrics["aggregation"] = aggregation
    return accounts, metrics


@pytest.mark.parametrize(
    ("days_before", "values", "week", "expected_views"),
    [
        ([0, 6], [1.0, 2.0], 3, 3.0),  # both in the week ending on as-of
        ([6, 7], [1.0, 2.0], 3, 1.0),  # day 7 belongs to the previous week
        ([7, 13], [4.0, 5.0], 2, 9.0),
        ([28], [5.0], 3, 0.0),  # no rows this week, contract running → 0, not missing
    ],
)
def test_adoption_metrics_sum_per_week(days_before, values, week, expected_views):
    accounts, metrics = _tiny()
    n = len(values)
    weekly = rollup_arrays(
        np.zeros(n, int),
        np.zeros(n, int),
        np.array(days_before),
        np.array(values),
        accounts=accounts,
        metrics=metrics,
        as_of=AS_OF,
        weeks=4,
    )
    assert weekly.metric("views")[0, week] == expected_views


def test_levels_average_and_missing_before_contract_start():
    accounts, metrics = _tiny()
    weekly = rollup_arrays(
        np.array([1, 1, 1]),
        np.array([1, 1, 0]),
        np.array([0, 1, 2]),
        np.array([4.0, 6.0, 3.0]),
        accounts=accounts,
        metrics=metrics,
        as_of=AS_OF,
        weeks=4,
    )
    assert weekly.metric("seats")[1, 3] == 5.0
    assert np.isnan(weekly.metric("views")[1, 0]), "before B's contract started: missing, not zero"
    assert weekly.last_active.loc["B"] == AS_OF
    assert pd.isna(weekly.last_active.loc["A"])


def test_catalog_aggregation_overrides_category():
    accounts, metrics = _tiny(aggregation=["mean", ""])
    weekly = rollup_arrays(
        np.array([0, 0]),
        np.array([0, 0]),
        np.array([0, 1]),
        np.array([4.0, 6.0]),
        accounts=accounts,
        metrics=metrics,
        as_of=AS_OF,
        weeks=2,
    )
    assert weekly.metric("views")[0, 1] == 5.0


def test_rows_outside_window_or_unknown_are_ignored():
    accounts, metrics = _tiny()
    weekly = rollup_arrays(
        np.array([0, -1, 0]),
        np.array([0, 0, 0]),
        np.array([-1, 0, 400]),
        np.array([9.0, 9.0, 9.0]),
        accounts=accounts,
        metrics=metrics,
        as_of=AS_OF,
        weeks=4,
    )
    assert np.nansum(weekly.values) == 0


# Coverage: (account, contract start, rows as (days before as-of, value)) on a 4-week window.
# Weeks are indexed 0..3; days 0-6 are week 3, 7-13 week 2, 14-20 week 1, 21-27 week 0.
COVERAGE = [
    ("OLD", "2025-01-01", [(40, 5.0), (3, 7.0)], [0.0, 0.0, 0.0, 7.0]),  # data before the window
    ("LATE", "2025-01-01", [(10, 4.0)], [np.nan, np.nan, 4.0, 0.0]),  # first row mid-window
    ("NAT", None, [(20, 2.0)], [np.nan, 2.0, 0.0, 0.0]),  # contract start unknown
    ("PRE", "2026-11-06", [(25, 9.0), (1, 3.0)], [np.nan, 0.0, 0.0, 3.0]),  # a row before the start
    ("NONE", "2025-01-01", [], [np.nan] * 4),  # no usage at all
]


def _coverage_book():
    accounts = pd.DataFrame(
        {
            "account_id": [a for a, *_ in COVERAGE],
            "contract_start": pd.to_datetime([c for _, c, *_ in COVERAGE]),
        }
    )
    metrics = pd.DataFrame({"metric": ["views"], "category": ["adoption"]})
    rows = pd.DataFrame(
        [(i, d, v) for i, (_, _, days, _) in enumerate(COVERAGE) for d, v in days],
        columns=["account", "days_before", "value"],
    )
    return accounts, metrics, rows


def test_weeks_before_the_first_row_or_the_contract_are_no_data_not_zero():
    accounts, metrics, rows = _coverage_book()
    weekly = rollup_arrays(
        rows["account"].to_numpy(),
        np.zeros(len(rows), int),
        rows["days_before"].to_numpy(),
        rows["value"].to_numpy(),
        accounts=accounts,
        metrics=metrics,
        as_of=AS_OF,
        weeks=4,
    )
    expected = np.array([e for *_, e in COVERAGE])
    np.testing.assert_array_equal(weekly.metric("views"), expected)
    assert list(weekly.weeks_with_data) == [4, 2, 3, 3, 0]
    assert weekly.weeks_covered == 4
    np.testing.assert_array_equal(weekly.covered, ~np.isnan(expected))


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_sql_coverage_matches_pandas(dialect, tmp_path, request):
    """Rows before the window, a late first row, an unknown contract start: the same in SQL."""
    from insight_engine.book.rollup import rollup_sql

    accounts, metrics, rows = _coverage_book()
    if dialect == "postgresql":
        engine = request.getfixturevalue("postgres_engine")
    else:
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'coverage.db'}")
    table = pd.DataFrame(
        {
            "account_id": accounts["account_id"].to_numpy()[rows["account"]],
            "date": (AS_OF - pd.to_timedelta(rows["days_before"], unit="D")).dt.date,
            "metric": "views",
            "value": rows["value"],
        }
    )
    table.to_sql(
        "usage_coverage", engine, if_exists="replace", index=False, dtype={"date": sa.Date}
    )
    sql, _ = rollup_sql(
        engine, accounts=accounts, metrics=metrics, as_of=AS_OF, weeks=4, table="usage_coverage"
    )
    np.testing.assert_array_equal(sql.metric("views"), np.array([e for *_, e in COVERAGE]))
    assert list(sql.first_week) == [0, 2, 1, 1, 4]


def _assert_same(a, b):
    assert list(a.accounts["account_id"]) == list(b.accounts["account_id"])
    np.testing.assert_allclose(a.weekly.values, b.weekly.values, rtol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(a.weekly.first_week, b.weekly.first_week)
    pd.testing.assert_series_equal(a.weekly.last_active, b.weekly.last_active, check_names=False)
    assert a.as_of == b.as_of


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory):
    from insight_engine.source.demo import generate_demo, write_demo

    return write_demo(generate_demo(40, 5, days=120), tmp_path_factory.mktemp("small"))


def test_sqlite_rollup_matches_pandas(small_dir, tmp_path):
    from insight_engine.book.loader import load_folder
    from tests.conftest import TODAY

    url = f"sqlite:///{tmp_path / 'book.db'}"
    write_sql(small_dir, url)
    _assert_same(
        load_folder(small_dir, today=TODAY, weeks=17), load_sql(url, today=TODAY, weeks=17)
    )


@pytest.mark.postgres
def test_postgres_rollup_matches_pandas_and_returns_only_weekly_rows(small_dir, postgres_engine):
    from insight_engine.book.loader import load_folder
    from insight_engine.book.rollup import rollup_sql
    from tests.conftest import TODAY

    write_sql(small_dir, postgres_engine)
    pandas_book = load_folder(small_dir, today=TODAY, weeks=17)
    sql_book = load_sql("", engine=postgres_engine, today=TODAY, weeks=17)
    _assert_same(pandas_book, sql_book)
    with postgres_engine.connect() as conn:
        daily_rows = conn.execute(sa.text("select count(*) from usage")).scalar()
    _, returned = rollup_sql(
        postgres_engine,
        accounts=sql_book.accounts,
        metrics=sql_book.metrics,
        as_of=sql_book.as_of,
        weeks=17,
    )
    A, W, M = sql_book.weekly.shape
    assert returned <= A * W * M < daily_rows


def test_sql_source_reports_bad_usage_rows(small_dir, tmp_path):
    from tests.conftest import TODAY

    url = f"sqlite:///{tmp_path / 'bad.db'}"
    write_sql(small_dir, url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("insert into usage values ('NOPE', '2026-11-01', 'report_views', 3)"))
        conn.execute(
            sa.text("insert into usage values ('A-00001', '2026-11-01', 'report_views', -3)")
        )
    book = load_sql(url, today=TODAY)
    assert book.report.rejected_rows == 2
    problems = book.report.to_frame()
    assert set(problems["value"]) >= {"NOPE", "-3.0"}


def test_unreachable_database_is_a_clear_error():
    from insight_engine.errors import SourceUnavailableError

    with pytest.raises(SourceUnavailableError, match="Could not reach the database"):
        load_sql("postgresql+psycopg://nobody@127.0.0.1:1/none")


@pytest.fixture(scope="module")
def quiet_dir(small_dir, tmp_path_factory):
    """The small book, with its first account silent for its last 60 days."""
    import shutil

    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("quiet")
    for f in small_dir.iterdir():
        shutil.copy(f, folder / f.name)
    usage = pq.read_table(small_dir / "usage.parquet").to_pandas()
    first = usage["account_id"].iloc[0]
    cut = usage["date"].max() - pd.Timedelta(days=60)
    keep = (usage["account_id"] != first) | (usage["date"] <= cut)
    usage.loc[keep].to_parquet(folder / "usage.parquet", index=False)
    return folder, first


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_sql_last_active_day_comes_from_before_the_window(quiet_dir, tmp_path, dialect, request):
    """An account with no activity in the window still gets its last active day (second pass)."""
    from insight_engine.book.loader import load_folder
    from tests.conftest import TODAY

    folder, quiet = quiet_dir
    if dialect == "postgresql":
        engine = request.getfixturevalue("postgres_engine")
        write_sql(folder, engine)
        sql_book = load_sql("", engine=engine, today=TODAY, weeks=4)
    else:
        url = f"sqlite:///{tmp_path / 'quiet.db'}"
        write_sql(folder, url)
        sql_book = load_sql(url, today=TODAY, weeks=4)
    files_book = load_folder(folder, today=TODAY, weeks=4)
    _assert_same(files_book, sql_book)
    last = sql_book.weekly.last_active.loc[quiet]
    assert pd.notna(last) and last < sql_book.as_of - pd.Timedelta(days=28)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_sql_leaves_out_a_partial_last_day_like_the_files(dialect, tmp_path, request):
    """An export pulled in the morning: the SQL push-down finds the partial last day and leaves
    it out of the weekly figures, so PostgreSQL/SQLite and the files give the same numbers."""
    from insight_engine.book.loader import load_folder
    from tests.fixtures import TODAY, book_dir

    folder = book_dir("partial_last_day")
    files = load_folder(folder, today=TODAY)
    assert files.weekly.partial_day is not None
    if dialect == "postgresql":
        engine = request.getfixturevalue("postgres_engine")
        write_sql(folder, engine)
        sql = load_sql("", engine=engine, today=TODAY)
    else:
        url = f"sqlite:///{tmp_path / 'partial.db'}"
        write_sql(folder, url)
        sql = load_sql(url, today=TODAY)
    assert sql.weekly.partial_day == files.weekly.partial_day
    _assert_same(files, sql)


# The daily grid (insight_engine.book.daily): weeks cut at any as-of date from daily sums give
# what rollup_arrays gives on the rows. Cases: (as-of offset from the last day, rows in account
# order or shuffled, a partial last day planted).
GRID_CASES = [
    (0, False, False),  # the last usage day, rows in account order (the bincount span)
    (0, True, False),  # rows in any order (the sorted scatter)
    (0, False, True),  # a last day at a fifth of the week before: left out of the weeks
    (-3, False, False),  # mid-week: rows after as-of are left out, weeks end on another weekday
    (-100, True, False),  # months earlier: older rows only tell coverage
    (5, False, False),  # after usage ends (to see later tickets): no week of zeros
]


@pytest.mark.parametrize(("offset", "shuffle", "partial"), GRID_CASES)
def test_the_daily_grid_cuts_what_rollup_arrays_rolls_up(offset, shuffle, partial):
    from insight_engine.book.daily import DailyGrid

    rng = np.random.default_rng(7)
    A, M, days = 40, 3, 200
    last = int((AS_OF - pd.Timestamp(0)).days)
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i:02d}" for i in range(A)],
            "contract_start": pd.to_datetime("2026-03-01")
            + pd.to_timedelta(rng.integers(-200, 200, A), unit="D"),
        }
    )
    metrics = pd.DataFrame(
        {"metric": ["views", "seats", "score"], "category": ["adoption", "seats", "outcome"]}
    )
    n = 20_000
    a = np.sort(rng.integers(0, A, n))
    a[rng.random(n) < 0.01] = -1  # rejected rows
    m = rng.integers(0, M, n)
    day = last - rng.integers(0, days, n)
    day[a % 7 == 3] -= 120  # accounts whose data stops months before
    value = rng.integers(0, 50, n).astype(float)
    value[rng.random(n) < 0.05] = 0.0
    if partial:
        value[day == last] = 1.0
        value[day == last - 7] = 50.0
    if shuffle:
        order = rng.permutation(n)
        a, m, day, value = a[order], m[order], day[order], value[order]
    as_of = AS_OF + pd.Timedelta(days=offset)
    usage_end = pd.Timestamp(int(day[a >= 0].max()), unit="D")
    expected = rollup_arrays(
        a,
        m,
        int((as_of - pd.Timestamp(0)).days) - day,
        value,
        accounts=accounts,
        metrics=metrics,
        as_of=as_of,
        weeks=8,
        usage_end=usage_end,
    )
    keep = a >= 0
    grid = DailyGrid(A, M, int(day[keep].min()), int(day[keep].max()))
    grid.add(a[keep], m[keep], day[keep], value[keep])
    got = grid.weekly(accounts=accounts, metrics=metrics, as_of=as_of, weeks=8, usage_end=usage_end)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.first_week, expected.first_week)
    assert (got.last_week, got.partial_day) == (expected.last_week, expected.partial_day)
    assert (got.partial_day is not None) == (partial and offset == 0)
    pd.testing.assert_series_equal(got.last_active, expected.last_active)
