"""One call from a book to the ranked book: health → signals → model → ranking.

The app (through its caches) and the command line both use :func:`analyze`, so what a CSM sees
and what ``python -m insight_engine rank`` prints are the same numbers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from insight_engine.analysis.detector import detect
from insight_engine.analysis.health import HealthScore, compute_health
from insight_engine.analysis.opportunity import (
    PRIOR_IN_WORDS,
    OpportunityModel,
    PriorModel,
    fit_or_load,
    plain_fit_error,
    prior_because,
    rank_book,
    too_few_outcomes,
)
from insight_engine.book.book import Book
from insight_engine.paths import MODEL_DIR
from insight_engine.settings import Settings

__all__ = ["MODEL_DIR", "Analysis", "analyze"]


@dataclass
class Analysis:
    """Everything Rudder derives from a book."""

    health: HealthScore
    signals: pd.DataFrame
    model: OpportunityModel | PriorModel
    ranked: pd.DataFrame

    def only_signal(self, account_id: str, detector: str, metric: str | None = None) -> Analysis:
        """This analysis with the account's signals narrowed to one: the ``detector``'s (on
        ``metric`` when given), so the CSM can draft a signal other than the strongest of its
        motion (``draft.build_context`` drafts the strongest it is given).

        Raises
        ------
        KeyError
            If the account has no such signal.
        """
        s = self.signals
        mine = (s["account_id"] == account_id).to_numpy()
        pick = mine & (s["detector"] == detector).to_numpy()
        if metric is not None:
            pick &= (s["metric"] == metric).to_numpy()
        if not pick.any():
            raise KeyError(f"No {detector!r} signal for {account_id!r} this week.")
        first = np.nonzero(pick)[0][0]
        keep = ~mine
        keep[first] = True
        return replace(self, signals=s.loc[keep])

    @property
    def ranked_by(self) -> str:
        """A sentence for the UI: which one ranks the book, and on how much history."""
        if isinstance(self.model, OpportunityModel):
            return (
                f"Ranked by the opportunity model, trained on {self.model.n_train_:,} insights your team logged "
                f"(landed rate {self.model.base_rate_:.0%})."
            )
        reason = self.model.reason or too_few_outcomes(self.model.n_labeled)
        return f"{PRIOR_IN_WORDS}: {reason}."


def analyze(
    book: Book,
    settings: Settings | None = None,
    *,
    model_dir: str | Path | None = MODEL_DIR,
    retrain: bool = False,
) -> Analysis:
    """Health, signals, the model that ranks the book, and the ranked book.

    Parameters
    ----------
    book : Book
    settings : Settings, optional
    model_dir : str or Path, optional
        Where fitted models are saved and reused (None: never saved).
    retrain : bool
        Fit again even if a model trained on the same history is saved.

    Returns
    -------
    Analysis
    """
    settings = settings or Settings()
    health = compute_health(book, settings.health)
    signals = detect(book, health, settings.detector)
    model = fit_or_load(book, health, settings.model, directory=model_dir, retrain=retrain)
    try:
        ranked = rank_book(book, health, signals, model, settings.model)
    except ValueError as exc:  # a fitted model that cannot score this week's features
        if isinstance(model, PriorModel):
            raise
        logging.getLogger("rudder").warning("the model could not rank the book", exc_info=True)
        model = prior_because(
            model.n_train_,
            f"the opportunity model could not rank this book because {plain_fit_error(exc)}",
        )
        ranked = rank_book(book, health, signals, model, settings.model)
    return Analysis(health=health, signals=signals, model=model, ranked=ranked)
