"""Quality bars on fresh seeds (not the seeds anything was tuned on)."""

from __future__ import annotations

import pytest

from insight_engine.analysis.detector import MOTIONS
from insight_engine.devtools.evaluation import evaluate_demo


@pytest.fixture(
    scope="module",
    params=[("seo", 4242), ("seo", 31337), ("projects", 4242), ("projects", 31337)],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def result(request, tmp_path_factory):
    """Each demo product (its own catalog and words, the same planted situations) on fresh seeds."""
    product, seed = request.param
    return evaluate_demo(600, seed, tmp_path_factory.mktemp(f"q{product}{seed}"), product=product)


@pytest.mark.parametrize("motion", MOTIONS)
def test_detectors_find_what_was_planted(result, motion):
    scores = result["detectors"][motion]
    assert scores["recall"] >= 0.9, scores
    assert scores["precision"] >= 0.8, scores


def test_quiet_healthy_accounts_get_no_win_or_risk(result):
    assert result["quiet_accounts_with_win_or_risk"] == 0


def test_model_beats_the_bar_and_the_prior(result):
    assert result["ranked_by"] == "model"
    assert result["model"]["auc"] >= 0.75
    assert result["model"]["auc"] > result["prior_auc"]


def test_high_opportunity_accounts_rank_at_the_top(result):
    high = result["high_opportunity"]
    assert high["accounts"] >= 5
    assert high["share_in_top_decile"] >= 0.85, high
    assert high["worst_rank"] <= 0.15 * result["accounts"], high
