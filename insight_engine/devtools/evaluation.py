"""Measuring Rudder against a demo book's planted ground truth (``python -m insight_engine evaluate``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from insight_engine.analysis.detector import MOTIONS
from insight_engine.analysis.engine import analyze
from insight_engine.analysis.opportunity import evaluate_time_split
from insight_engine.book.loader import load_folder
from insight_engine.source.demo import generate_demo, write_demo

__all__ = ["detector_scores", "evaluate_demo", "top_decile_share"]


def detector_scores(signals: pd.DataFrame, truth: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per motion: precision and recall of "the account has a signal of this motion" against the
    planted motion (``truth``: account_id, motion; ``quiet`` = nothing planted)."""
    out = {}
    for motion in MOTIONS:
        predicted = set(signals.loc[signals["motion"] == motion, "account_id"])
        planted = set(truth.loc[truth["motion"] == motion, "account_id"])
        hit = len(predicted & planted)
        out[motion] = {
            "precision": round(hit / len(predicted), 4) if predicted else float("nan"),
            "recall": round(hit / len(planted), 4) if planted else float("nan"),
            "predicted": len(predicted),
            "planted": len(planted),
        }
    return out


def top_decile_share(ranked: pd.DataFrame, accounts: set[str]) -> tuple[float, int]:
    """Share of ``accounts`` in the top decile of the ranking, and the worst rank (1-based)."""
    if not accounts:
        return float("nan"), 0
    positions = pd.Series(np.arange(1, len(ranked) + 1), index=ranked["account_id"])
    ranks = positions.reindex(list(accounts))
    return float((ranks <= len(ranked) / 10).mean()), int(ranks.max())


def evaluate_demo(n_accounts: int, seed: int, directory: Path, *, product: str = "seo") -> dict:
    """Generate a fresh demo book (of ``product``), run the engine, and score it against the
    planted truth."""
    folder = write_demo(generate_demo(n_accounts, seed, product=product), directory / "book")
    book = load_folder(folder)
    analysis = analyze(book, model_dir=None)
    truth = pd.read_csv(folder / "ground_truth.csv")
    evaluation = evaluate_time_split(book, analysis.health)
    quiet = set(truth.loc[truth["motion"] == "quiet", "account_id"])
    quiet_hits = analysis.signals.loc[
        analysis.signals["account_id"].isin(quiet)
        & analysis.signals["motion"].isin(["win", "risk"])
    ]
    share, worst = top_decile_share(
        analysis.ranked, set(truth.loc[truth["high_opportunity"], "account_id"])
    )
    return {
        "accounts": n_accounts,
        "seed": seed,
        "product": product,
        "as_of": f"{book.as_of:%Y-%m-%d}",
        "detectors": detector_scores(analysis.signals, truth),
        "quiet_accounts_with_win_or_risk": int(quiet_hits["account_id"].nunique()),
        "model": evaluation.to_dict() | {"auc": round(evaluation.auc_model, 4)},
        "prior_auc": round(evaluation.auc_prior, 4),
        "high_opportunity": {
            "accounts": int(truth["high_opportunity"].sum()),
            "share_in_top_decile": round(share, 4),
            "worst_rank": worst,
        },
        "ranked_by": analysis.model.kind,
    }
