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
