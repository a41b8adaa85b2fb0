"""The adoption scorecard: each capability's use against the same-tier average, red/yellow/green."""

from __future__ import annotations

import numpy as np
import pandas as pd

from insight_engine.book.book import Book

__all__ = ["GREEN_AT", "YELLOW_AT", "adoption_scorecard"]

GREEN_AT = 0.8  # at least 80% of the tier average
YELLOW_AT = 0.4


def adoption_scorecard(book: Book, account_id: str, *, weeks: int = 4) -> pd.DataFrame:
    """Per adoption capability: the account's use per licensed seat over ``weeks`` weeks, the
    same-tier average, their ratio, and a status (green ≥ 80% of the average, yellow ≥ 40%, red below).
    """
    metrics = book.metrics.set_index("metric").reindex(book.weekly.metrics)
    adoption = np.nonzero((metrics["category"] == "adoption").to_numpy())[0]
    seats = book.accounts["licensed_seats"].to_numpy(dtype=float)
    per_seat = (
        np.nansum(book.weekly.values[:, -weeks:, adoption], axis=1)
        / np.where(seats > 0, seats, np.nan)[:, None]
    )
    tier = book.accounts["tier"].to_numpy()
    i = book.weekly.account_ids.get_loc(account_id)
    with np.errstate(all="ignore"):
        average = np.nanmean(per_seat[tier == tier[i]], axis=0)
        ratio = np.where(average > 0, per_seat[i] / average, np.nan)
    status = np.where(
        np.isnan(ratio),
        "no peers",
        np.where(
            ratio >= GREEN_AT, "🟢 green", np.where(ratio >= YELLOW_AT, "🟡 yellow", "🔴 red")
        ),
    )
    return (
        pd.DataFrame(
            {
                "capability": metrics["label"].to_numpy()[adoption],
                "account": np.round(per_seat[i], 2),
                "tier_average": np.round(average, 2),
                "ratio": np.round(ratio, 2),
                "status": status,
            }
        )
        .sort_values("ratio", na_position="last")
        .reset_index(drop=True)
    )
