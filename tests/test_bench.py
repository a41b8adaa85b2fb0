"""The benchmark keeps working: one small book through bench.stage in its own process."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_bench_stage_measures_every_stage_and_the_peers(tmp_path):
    from insight_engine.demo import generate_demo, write_demo

    folder = write_demo(generate_demo(30, 5, days=120), tmp_path / "tiny")
    done = subprocess.run(
        [sys.executable, "-m", "bench.stage", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    stages = ("load_s", "rollup_s", "health_s", "detectors_s", "scoring_s", "drafts_top20_s")
    for key in ("read_floor_s", "cold_to_ranked_s", "duckdb_rollup_s", *stages):
        assert out[key] > 0, key
    assert out["accounts"] == 30 and out["metrics"] == 10
    assert 0 < out["duckdb_rows"] <= out["accounts"] * out["weeks"] * out["metrics"]
    assert out["peak_rss_mb"] > 50
