"""Benchmarks: ``make bench`` (or ``python -m bench.run --sizes L``).

Books are generated once with the demo generator into ``bench/books/`` (git-ignored) and reused.
Each stage is timed warm (median of ``--repeat`` runs after one warm-up) on this machine, and the
figures are printed and written to ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from insight_engine.demo import generate_demo, write_demo
from insight_engine.detector import detect
from insight_engine.health import compute_health
from insight_engine.loader import load_folder
from insight_engine.opportunity import fit_or_load, rank_book

HERE = Path(__file__).resolve().parent
SIZES = {"S": 100, "M": 2_000, "L": 10_000}


def _book_dir(size: str) -> Path:
    folder = HERE / "books" / size
    if not (folder / "book.json").exists():
        write_demo(generate_demo(SIZES[size], seed=99), folder)
    return folder


def _timed(fn, repeat: int) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(size: str, repeat: int) -> dict:
    folder = _book_dir(size)
    start = time.perf_counter()
    book = load_folder(folder)
    load_s = time.perf_counter() - start
    health_s, health = _timed(lambda: compute_health(book), repeat)
    detect_s, signals = _timed(lambda: detect(book, health), repeat)
    model = fit_or_load(book, health)
    score_s, _ranked = _timed(lambda: rank_book(book, health, signals, model), repeat)
    A, W, M = book.weekly.shape
    return {
        "size": size,
        "accounts": A,
        "weeks": W,
        "metrics": M,
        "load_s": round(load_s, 3),
        "health_s": round(health_s, 3),
        "detectors_s": round(detect_s, 3),
        "scoring_s": round(score_s, 3),
        "detectors_plus_scoring_s": round(detect_s + score_s, 3),
        "signals": len(signals),
        "ranked_by": model.kind,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="S,M,L")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = [run(size.strip(), args.repeat) for size in args.sizes.split(",")]
    header = f"{'size':>4} {'accounts':>8} {'load s':>7} {'health s':>8} {'detect s':>8} {'score s':>8} {'det+score s':>11}"
    print(header)
    for r in results:
        print(
            f"{r['size']:>4} {r['accounts']:>8,} {r['load_s']:>7.2f} {r['health_s']:>8.3f} {r['detectors_s']:>8.3f} "
            f"{r['scoring_s']:>8.3f} {r['detectors_plus_scoring_s']:>11.3f}"
        )
    out = {
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "results": results,
    }
    (HERE / "results.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
