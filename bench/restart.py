"""A restart on unchanged files: the book read back from its cube (insight_engine.book.cube).

``python -m bench.restart FOLDER CACHE_DIR`` loads the folder once in this process (writing the
cube, if absent) only when ``--write`` is given; otherwise it measures a fresh process reading
the book from the cube and ranking it. Prints one JSON object. Used by bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import pyarrow.parquet as pq


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder")
    parser.add_argument("cache_dir")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    folder = Path(args.folder)
    from insight_engine.analysis.engine import analyze
    from insight_engine.book.loader import load_folder

    if args.write:
        t = time.perf_counter()
        load_folder(folder, cache_dir=args.cache_dir)
        print(json.dumps({"write_s": time.perf_counter() - t}))
        return
    t = time.perf_counter()
    pq.read_table(folder / "usage.parquet")
    floor = time.perf_counter() - t
    t = time.perf_counter()
    book = load_folder(folder, cache_dir=args.cache_dir)
    loaded = time.perf_counter() - t
    analyze(book, model_dir=None)
    ranked = time.perf_counter() - t
    print(
        json.dumps(
            {
                "restart_read_floor_s": floor,
                "restart_load_s": loaded,
                "restart_to_ranked_s": ranked,
                "restart_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
