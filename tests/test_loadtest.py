"""`make loadtest` runs end to end: two new sessions on a small hand-made book, every figure there.

The figures themselves (page times, CPU per session) depend on the machine and its load, so this
test checks that the load test measures, not what it measures; the README's Performance section
has the M book's results. It also checks the pure parts: percentiles and the profile summary.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from bench.loadtest import percentile, summarise_collapsed
from tests.browser import chromium
from tests.conftest import ROOT
from tests.fixtures import book_dir

FIGURES = [
    "server_start_s",
    "cold_first_session_s",
    "cold_first_session_cpu_s",
    "this_week_p50_s",
    "this_week_p95_s",
    "account_p50_s",
    "account_p95_s",
    "wall_s",
    "server_cpu_s_per_session",
    "browser_cpu_s_per_session",
    "server_rss_idle_mb",
    "server_rss_warm_mb",
    "server_rss_after_mb",
    "server_rss_peak_mb",
]


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, None),
        ([3.0], 95, 3.0),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.0),  # nearest rank: the 2nd of 4
        ([4.0, 1.0, 3.0, 2.0], 95, 4.0),
        (list(range(1, 21)), 95, 19),  # 20 sessions: p95 is the 19th, not the slowest
        (list(range(1, 21)), 50, 10),
    ],
)
def test_percentile_is_nearest_rank(values, q, expected):
    assert percentile(values, q) == expected


def test_profile_summary_counts_a_function_once_per_sample():
    raw = "\n".join(
        [
            "run (a.py:1);work (b.py:2);work (b.py:2);inner (c.py:3) 6",  # recursion: once
            "run (a.py:1);idle (d.py:4) 4",
        ]
    )
    text = summarise_collapsed(raw)
    assert text.startswith("10 samples")
    cumulative, own = text.split("Self (on top of the stack):")
    assert "100.0%       10  run (a.py)" in cumulative
    assert "60.0%        6  work (b.py)" in cumulative
    assert "60.0%        6  inner (c.py)" in own and "run (a.py)" not in own
    assert summarise_collapsed("") == "No samples were recorded.\n"


@pytest.mark.browser
def test_loadtest_reports_every_figure_on_a_small_book(tmp_path):
    chromium()  # skips with the reason when there is no browser
    # its own process, as `make loadtest` runs: the shared browser fixture's event loop would
    # refuse the load test's asyncio.run in this one
    out = tmp_path / "report.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.loadtest",
            "--folder",
            str(book_dir("full")),
            "--sessions",
            "2",
            "--timeout",
            "120",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    report = json.loads(out.read_text())
    assert report["sessions"] == 2
    assert report["errors"] == 0, report["error_messages"]
    for name in FIGURES:
        value = report[name]
        assert isinstance(value, int | float) and math.isfinite(value) and value >= 0, (name, value)
    assert report["this_week_p50_s"] <= report["this_week_p95_s"]
    assert report["account_p50_s"] <= report["account_p95_s"]
    assert report["server_cpu_s_per_session"] > 0  # the server did work for the new sessions
    assert report["server_rss_peak_mb"] >= report["server_rss_after_mb"] > 0
    assert len(report["load_average_before"].split()) == 3
