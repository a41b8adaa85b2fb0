"""The benchmark keeps working: one small book through bench.stage in its own process."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_bench_stage_measures_every_stage_and_the_peers(tmp_path):
    from insight_engine.source.demo import generate_demo, write_demo

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
    measured = ("read_floor_s", "cold_to_ranked_s", "duckdb_rollup_s", "second_date_s", "fit_s")
    for key in (*measured, "cold_saved_model_s", *stages):
        assert out[key] > 0, key
    assert out["accounts"] == 30 and out["metrics"] == 10
    assert 0 < out["duckdb_rows"] <= out["accounts"] * out["weeks"] * out["metrics"]
    assert out["peak_rss_mb"] > 50


def test_bench_restart_reads_the_cube_in_a_fresh_process(tmp_path):
    from insight_engine.source.demo import generate_demo, write_demo

    folder = write_demo(generate_demo(30, 5, days=120), tmp_path / "tiny")
    cache = tmp_path / "cube"
    outs = []
    for extra in (["--write"], []):
        done = subprocess.run(
            [sys.executable, "-m", "bench.restart", str(folder), str(cache), *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        outs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert outs[0]["write_s"] > 0 and len(list(cache.iterdir())) == 1
    for key in ("restart_read_floor_s", "restart_load_s", "restart_to_ranked_s"):
        assert outs[1][key] > 0, key
    assert outs[1]["restart_to_ranked_s"] >= outs[1]["restart_load_s"]
