"""The book cube (insight_engine.book.cube): a restart on unchanged files reads the cube, the same book."""

from __future__ import annotations

import dataclasses
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from insight_engine.analysis.engine import analyze
from insight_engine.book import cube
from insight_engine.book.loader import load_folder
from tests.fixtures import BOOKS, TODAY, book_dir


def _same_book(a, b) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True))
        elif f.name == "weekly":
            np.testing.assert_array_equal(x.values, y.values)
            assert list(x.account_ids) == list(y.account_ids)
            assert list(x.metrics) == list(y.metrics) and x.week_ends.equals(y.week_ends)
            np.testing.assert_array_equal(x.first_week, y.first_week)
            assert (x.last_week, x.partial_day, x.usage_end) == (
                y.last_week,
                y.partial_day,
                y.usage_end,
            )
            pd.testing.assert_series_equal(x.last_active, y.last_active, check_names=False)
        elif f.name == "report":
            pd.testing.assert_frame_equal(x.to_frame(), y.to_frame(), check_dtype=False)
            assert x.counts == y.counts and set(x.rejected) == set(y.rejected)
        else:
            assert x == y, f.name


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_a_restart_on_unchanged_files_reads_the_same_book_from_the_cube(name, tmp_path):
    first = load_folder(book_dir(name), today=TODAY, cache_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    again = load_folder(book_dir(name), today=TODAY, cache_dir=tmp_path)
    assert again is not first
    _same_book(first, again)
    # the same ranked book
    a, b = analyze(first, model_dir=None), analyze(again, model_dir=None)
    pd.testing.assert_frame_equal(
        a.ranked.drop(columns="reasons"), b.ranked.drop(columns="reasons")
    )


def test_a_changed_file_is_read_again(tmp_path):
    folder = tmp_path / "book"
    shutil.copytree(book_dir("minimal"), folder)
    cache = tmp_path / "cache"
    first = load_folder(folder, today=TODAY, cache_dir=cache)
    accounts = folder / "accounts.csv"
    text = accounts.read_text().replace("Alder Logistics", "Alder Freight")
    stat = accounts.stat()
    accounts.write_text(text)
    os.utime(accounts, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same time: the hash sees it
    second = load_folder(folder, today=TODAY, cache_dir=cache)
    assert "Alder Freight" in set(second.accounts["account_name"])
    assert "Alder Freight" not in set(first.accounts["account_name"])
    assert len(list(cache.iterdir())) == 2
    # another as-of date is another cube; the first is still read back
    third = load_folder(folder, today=TODAY, cache_dir=cache, as_of="2026-10-01")
    assert third.as_of == pd.Timestamp("2026-10-01")


def test_a_broken_cube_is_read_from_the_files_and_replaced(tmp_path):
    load_folder(book_dir("full"), today=TODAY, cache_dir=tmp_path)
    (only,) = list(tmp_path.iterdir())
    (only / "values.npy").write_bytes(b"not an array")
    book = load_folder(book_dir("full"), today=TODAY, cache_dir=tmp_path)
    assert len(book.accounts) > 0
    assert not only.exists() or (only / "meta.json").exists()
    again = load_folder(book_dir("full"), today=TODAY, cache_dir=tmp_path)
    _same_book(book, again)


def test_a_cache_folder_that_cannot_be_written_never_stops_a_load(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    book = load_folder(book_dir("minimal"), today=TODAY, cache_dir=blocked)
    assert len(book.accounts) == 6
    assert cube.write_book(book, blocked, "k") is None


# A second as-of date on unchanged files (#18): (book, days before its last usage day).
SECOND_DATES = [
    ("full", 10),
    ("partial_last_day", 7),
    ("late_start", 3),
    ("events_after_usage", -5),  # after usage ends, to bring later tickets into view
    ("no_catalog", 30),
    ("spike", 1),
]


@pytest.mark.parametrize(("name", "days_before"), SECOND_DATES)
def test_a_second_as_of_date_reads_the_files_once_and_gives_the_book_a_fresh_load_gives(
    name, days_before, monkeypatch
):
    from insight_engine.book import loader

    loader._SHARED.clear()
    reads: list[str] = []
    real = loader._read_file
    monkeypatch.setattr(loader, "_read_file", lambda path: reads.append(path.name) or real(path))
    first = load_folder(book_dir(name), today=TODAY)
    d2 = first.as_of - pd.Timedelta(days=days_before)
    second = load_folder(book_dir(name), today=TODAY, as_of=d2)
    assert second.as_of == d2 and first.as_of != d2
    assert len(reads) == len(set(reads)) and "accounts.csv" in reads, reads  # each file once
    assert first.report.to_frame().equals(
        load_folder(book_dir(name), today=TODAY).report.to_frame()
    )
    loader._SHARED.clear()
    fresh = load_folder(book_dir(name), today=TODAY, as_of=d2)
    _same_book(second, fresh)
    a, b = analyze(second, model_dir=None), analyze(fresh, model_dir=None)
    pd.testing.assert_frame_equal(
        a.ranked.drop(columns="reasons"), b.ranked.drop(columns="reasons")
    )
    # the first date's book is untouched by the second (its own report, its own frames)
    second.accounts["arr"] = 0
    assert not (first.accounts["arr"].fillna(1) == 0).all()


def test_a_file_changed_between_two_dates_is_read_again(tmp_path, monkeypatch):
    from insight_engine.book import loader

    folder = tmp_path / "book"
    shutil.copytree(book_dir("minimal"), folder)
    reads: list[str] = []
    real = loader._read_file
    monkeypatch.setattr(loader, "_read_file", lambda path: reads.append(path.name) or real(path))
    first = load_folder(folder, today=TODAY)
    usage = folder / "usage.csv"
    usage.write_text(usage.read_text().replace(",5\n", ",6\n", 1))
    load_folder(folder, today=TODAY, as_of=first.as_of - pd.Timedelta(days=7))
    assert reads.count("usage.csv") == 2


# A usage Parquet file is streamed into daily sums one record batch at a time; tiny batches and
# row groups here (each row group its own dictionaries). Cases: (book, what is planted).
PARQUET_CASES = [
    ("full", ""),
    ("no_catalog", ""),  # the catalog comes from the metric names, batch by batch
    ("partial_last_day", ""),
    ("full", "bad rows"),  # unknown account, negative value, no date, a date after today
    ("per_feature", "shuffled"),  # rows in any order, a metric first seen in the last batch
]


@pytest.mark.parametrize(("name", "trap"), PARQUET_CASES)
def test_a_parquet_usage_file_streamed_in_batches_gives_the_book_the_whole_file_gives(
    name, trap, tmp_path, monkeypatch
):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from insight_engine.book import loader

    folder = tmp_path / name
    shutil.copytree(book_dir(name), folder)
    usage = pd.read_csv(folder / "usage.csv", dtype={"account_id": str, "metric": str})
    usage["date"] = pd.to_datetime(usage["date"])
    if trap == "bad rows":
        bad = pd.DataFrame(
            {
                "account_id": ["ZZ-404", "HD-01", "HD-02", "HD-03"],
                "date": pd.to_datetime(["2026-10-01", "2026-10-02", None, "2027-06-01"]),
                "metric": ["tickets_solved"] * 4,
                "value": [3.0, -3.0, 4.0, 5.0],
            }
        )
        usage = pd.concat([usage.iloc[:100], bad, usage.iloc[100:]], ignore_index=True)
    if trap == "shuffled":
        usage = usage.sample(frac=1.0, random_state=3).reset_index(drop=True)
        late = usage.iloc[[-1]].assign(metric="feature_new")
        usage = pd.concat([usage, late], ignore_index=True)
    usage["date"] = usage["date"].dt.date
    pq.write_table(
        pa.Table.from_pandas(usage, preserve_index=False),
        folder / "usage.parquet",
        row_group_size=90,
    )
    (folder / "usage.csv").unlink()
    monkeypatch.setattr(loader, "_BATCH_ROWS", 40)
    streamed_calls = []
    real = loader._stream_usage
    monkeypatch.setattr(
        loader, "_stream_usage", lambda *a, **k: streamed_calls.append(1) or real(*a, **k)
    )
    loader._SHARED.clear()
    streamed = load_folder(folder, today=TODAY)
    assert streamed_calls
    monkeypatch.setattr(loader, "_stream_usage", lambda *a, **k: None)  # the whole-file path
    loader._SHARED.clear()
    whole = load_folder(folder, today=TODAY)
    _same_book(streamed, whole)
    if trap == "bad rows":
        assert streamed.report.counts["usage.parquet"]["rejected"] == 4
        problems = streamed.report.to_frame()
        assert set(problems.loc[problems["file"] == "usage.parquet", "row"].dropna()) >= {
            101,
            102,
            103,
            104,
        }, problems
