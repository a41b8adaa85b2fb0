"""One benchmark size in a fresh process (so cold times and peak memory are honest).

Prints one JSON object. Used by bench/run.py; not meant to be run by hand.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def main(folder: str) -> None:
    book_dir = Path(folder)
    out: dict = {}
    t = time.perf_counter()
    pq.read_table(book_dir / "usage.parquet")
    out["read_floor_s"] = time.perf_counter() - t

    # Cold time-to-ranked-book: files on disk -> the ranked list, nothing cached. The interpreter's
    # one-off imports (pandas, scikit-learn…) are paid once when the server starts; reported apart.
    t = time.perf_counter()
    from insight_engine.analysis.engine import analyze
    from insight_engine.book.loader import load_folder

    out["imports_s"] = time.perf_counter() - t
    t = time.perf_counter()
    book = load_folder(book_dir)
    analysis = analyze(book, model_dir=None)
    out["cold_to_ranked_s"] = time.perf_counter() - t
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["accounts"], out["weeks"], out["metrics"] = book.weekly.shape
    out["usage_rows"] = pq.ParquetFile(book_dir / "usage.parquet").metadata.num_rows

    # Stages, each timed on its own (warm imports).
    import pandas as pd

    from insight_engine.analysis.detector import detect
    from insight_engine.analysis.health import compute_health
    from insight_engine.analysis.opportunity import fit_or_load, rank_book
    from insight_engine.outputs.draft import build_context, template_drafts
    from insight_engine.source.problems import ValidationReport

    def timed(fn):
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result

    from insight_engine.book import loader

    loader._SHARED.clear()  # a load from the files, not a cut of the cold load's daily sums
    out["load_s"], _ = timed(lambda: load_folder(book_dir))
    # A second as-of date on the same files: the daily sums are shared, the weeks cut again.
    out["second_date_s"], _ = timed(
        lambda: analyze(
            load_folder(book_dir, as_of=book.as_of - pd.Timedelta(days=9)), model_dir=None
        )
    )
    loader._SHARED.clear()

    def read_and_rollup():
        """The loader's own path: the Parquet file streamed into daily sums, weeks cut."""
        grid, metrics = loader._stream_usage(
            pa.OSFile(str(book_dir / "usage.parquet")),
            "usage.parquet",
            book.accounts,
            book.metrics,
            ValidationReport(),
            today=None,
        )
        return grid, grid.weekly(accounts=book.accounts, metrics=metrics, as_of=book.as_of)

    out["read_plus_rollup_s"], streamed = timed(read_and_rollup)
    # The weeks cut from the daily sums alone (what each further as-of date costs).
    out["rollup_s"], _ = timed(
        lambda grid=streamed[0]: grid.weekly(
            accounts=book.accounts, metrics=book.metrics, as_of=book.as_of
        )
    )
    del streamed
    out["health_s"], health = timed(lambda: compute_health(book))
    out["detectors_s"], signals = timed(lambda: detect(book, health))
    out["fit_s"], model = timed(lambda: fit_or_load(book, health))
    with tempfile.TemporaryDirectory() as saved:  # the app reuses a model saved for this history
        fit_or_load(book, health, directory=saved)
        out["load_saved_model_s"], _ = timed(lambda: fit_or_load(book, health, directory=saved))
    # Cold with the saved model (as the app restarts): the fit replaced by reading the model.
    out["cold_saved_model_s"] = out["cold_to_ranked_s"] - out["fit_s"] + out["load_saved_model_s"]
    out["scoring_s"], ranked = timed(lambda: rank_book(book, health, signals, model))
    top = [a for a in ranked["account_id"] if a in set(signals["account_id"])][:20]
    out["drafts_top20_s"], _ = timed(
        lambda: [template_drafts(build_context(book, analysis, a)) for a in top]
    )

    # The peer: DuckDB doing the same weekly rollup on the same file.
    import duckdb

    as_of = f"{book.as_of:%Y-%m-%d}"
    query = f"""
        select account_id, metric, (date '{as_of}' - "date") // 7 as week_back, sum(value), count(value)
        from read_parquet('{book_dir / "usage.parquet"}')
        where "date" <= date '{as_of}' and (date '{as_of}' - "date") < 364 and value >= 0
        group by all
    """
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    # Columnar results (Arrow), as ours are numpy: fetching 4 million Python tuples would time
    # the tuple building, not DuckDB, and flatter us (our first benchmark did that).
    con.sql(query).to_arrow_table()  # warm the file cache for both, as for ours
    t = time.perf_counter()
    rows = con.sql(query).to_arrow_table()
    out["duckdb_rollup_s"] = time.perf_counter() - t
    out["duckdb_rows"] = rows.num_rows
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
