"""The opportunity model: a real Pipeline, a prior until there is history, persistence, reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from insight_engine.engine import analyze
from insight_engine.opportunity import (
    FEATURES,
    OpportunityModel,
    PriorModel,
    account_features,
    fit_or_load,
    rank_book,
    training_frame,
)
from insight_engine.settings import ModelSettings, Settings


@pytest.fixture(scope="module")
def analysis(demo_book):
    return analyze(demo_book, model_dir=None)


def test_model_is_a_fitted_sklearn_pipeline(analysis):
    model = analysis.model
    assert isinstance(model, OpportunityModel)
    assert isinstance(model.pipeline_, Pipeline)
    assert isinstance(model.pipeline_.named_steps["features"], ColumnTransformer)
    assert isinstance(model.pipeline_.named_steps["classifier"], LogisticRegression)
    assert model.n_train_ >= 200 and 0 < model.base_rate_ < 1


def test_training_frame_uses_the_log(demo_book, analysis):
    X, y, dates = training_frame(demo_book, analysis.health)
    labeled = demo_book.insights["outcome"].isin(["landed", "no_response", "pushed_back"]).sum()
    assert len(X) == len(y) == len(dates) == labeled
    assert list(X.columns) == FEATURES
    assert set(np.unique(y)) == {0, 1}


def test_prior_ranks_until_enough_history(demo_book, analysis):
    prior = fit_or_load(demo_book, analysis.health, ModelSettings(min_labeled=10**6))
    assert isinstance(prior, PriorModel)
    result = analyze(demo_book, Settings(model=ModelSettings(min_labeled=10**6)), model_dir=None)
    assert set(result.ranked["ranked_by"]) == {"prior"}
    assert "transparent prior" in result.ranked_by


def test_model_is_saved_with_skops_and_reused(demo_book, analysis, tmp_path):
    first = fit_or_load(demo_book, analysis.health, directory=tmp_path)
    files = list(tmp_path.glob("opportunity-*.skops"))
    assert len(files) == 1 and first.key_ in files[0].name
    second = fit_or_load(demo_book, analysis.health, directory=tmp_path)
    X = account_features(demo_book, analysis.health, analysis.signals)
    np.testing.assert_allclose(first.predict_proba(X), second.predict_proba(X))
    files[0].write_bytes(b"not a model")  # corrupt: retrained, not crashed
    third = fit_or_load(demo_book, analysis.health, directory=tmp_path)
    np.testing.assert_allclose(first.predict_proba(X), third.predict_proba(X))


def test_ranked_book_shape_and_plain_english_reasons(analysis):
    ranked = analysis.ranked
    assert ranked["score"].between(0, 100).all()
    assert ranked["score"].is_monotonic_decreasing
    assert ranked["account_id"].is_unique
    for reasons in ranked["reasons"]:
        assert 1 <= len(reasons) <= 3
        for text in reasons:
            assert text and not any(
                key in text for key in ("s_", "log_arr", "days_since", "nan", "None")
            )
    with_signal = ranked.loc[ranked["n_signals"] > 0].iloc[0]
    assert with_signal["headline"] != "No signal this week"
    # the top account is ranked on its signal, so the signal is among its reasons
    assert with_signal["headline"] in with_signal["reasons"]


def test_contributions_explain_the_model_score(demo_book, analysis):
    model = analysis.model
    X = account_features(demo_book, analysis.health, analysis.signals)
    logit = (
        model.contributions(X).sum(axis=1).to_numpy()
        + model.pipeline_.named_steps["classifier"].intercept_[0]
    )
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), model.predict_proba(X), rtol=1e-6)


def test_recently_contacted_accounts_drop_unless_risk(demo_book, analysis):
    ranked = analysis.ranked
    target = ranked.loc[(ranked["motion"] != "risk") & ~ranked["recently_contacted"]].iloc[0]
    risky = ranked.loc[(ranked["motion"] == "risk") & ~ranked["recently_contacted"]].iloc[0]
    extra = pd.DataFrame(
        {
            "insight_id": ["X1", "X2"],
            "account_id": [target.account_id, risky.account_id],
            "date": [demo_book.as_of] * 2,
            "csm": "Priya",
            "motion": "win",
            "audience": "champion",
            "outcome": pd.NA,
            "signal_strength": 0.5,
            "health_at_send": 70.0,
        }
    )
    book = demo_book
    original = book.insights
    try:
        book.insights = pd.concat([original, extra], ignore_index=True)
        again = rank_book(book, analysis.health, analysis.signals, analysis.model).set_index(
            "account_id"
        )
    finally:
        book.insights = original
    factor = ModelSettings().recent_insight_factor
    # damped by the factor, and lower still: the model's recency feature drops too
    assert again.loc[target.account_id, "score"] <= target.score * factor + 0.5
    assert again.loc[risky.account_id, "score"] >= risky.score * 0.9


def test_accounts_without_signals_are_ranked_not_dropped(analysis, demo_book):
    ranked = analysis.ranked
    assert len(ranked) == len(demo_book.accounts)
    quiet = ranked.loc[ranked["n_signals"] == 0]
    assert len(quiet) and (quiet["headline"] == "No signal this week").all()
    assert quiet["score"].max() < ranked["score"].iloc[0]


# ---------------------------------------------------------------------------------------------
# A model that cannot be fitted falls back to the prior and says why (issue 13)


@pytest.fixture(scope="module")
def full_book():
    from insight_engine.loader import load_folder
    from tests.fixtures import TODAY, book_dir

    return load_folder(book_dir("full"), today=TODAY)


def _all_landed(log):
    return log.assign(outcome="landed")


def _about_other_accounts(log):  # another book's history: account ids this book does not have
    return log.assign(account_id="A-" + log["account_id"].astype(str))


def _no_history(log):
    return log.iloc[0:0]


@pytest.mark.parametrize(
    ("history", "min_labeled", "sentence"),
    [
        (
            _no_history,
            200,
            "the insight log of this book has 0 labeled outcomes, fewer than the model needs (200)",
        ),
        (
            lambda log: log,
            200,
            "the insight log of this book has 30 labeled outcomes, fewer than the model needs (200)",
        ),
        (
            _all_landed,
            20,
            "could not be fitted because all 36 labeled outcomes in the insight log of this book landed",
        ),
        (
            _about_other_accounts,
            20,
            "none of the 30 labeled outcomes in the insight log is about an account in this book",
        ),
    ],
    ids=["no history", "too little history", "a single class", "zero usable features"],
)
def test_a_model_that_cannot_be_fitted_falls_back_to_the_prior_with_a_sentence(
    full_book, history, min_labeled, sentence
):
    from dataclasses import replace

    book = replace(full_book, insights=history(full_book.insights))
    result = analyze(book, Settings(model=ModelSettings(min_labeled=min_labeled)), model_dir=None)
    assert isinstance(result.model, PriorModel)
    assert set(result.ranked["ranked_by"]) == {"prior"}
    assert result.ranked_by.startswith("Ranked by the transparent prior: ")
    assert sentence in result.ranked_by
    assert result.ranked_by.endswith(".") and "ValueError" not in result.ranked_by


def test_any_sklearn_value_error_while_fitting_gives_the_prior(full_book, monkeypatch):
    def refuse(self, X, y):
        raise ValueError("Input X contains infinity or a value too large for dtype('float64').")

    monkeypatch.setattr(OpportunityModel, "fit", refuse)
    result = analyze(full_book, Settings(model=ModelSettings(min_labeled=20)), model_dir=None)
    assert isinstance(result.model, PriorModel)
    assert "could not be fitted because scikit-learn refused the training data" in result.ranked_by


def test_a_model_that_cannot_rank_this_book_gives_the_prior(full_book, monkeypatch):
    fitted = analyze(full_book, Settings(model=ModelSettings(min_labeled=20)), model_dir=None)
    assert isinstance(fitted.model, OpportunityModel), "36 insights with both outcomes fit"

    def refuse(self, X):
        raise ValueError("X has 3 features, but ColumnTransformer is expecting 13 features")

    monkeypatch.setattr(OpportunityModel, "predict_proba", refuse)
    result = analyze(full_book, Settings(model=ModelSettings(min_labeled=20)), model_dir=None)
    assert isinstance(result.model, PriorModel)
    assert "could not rank this book because" in result.ranked_by
    assert len(result.ranked) == len(full_book.accounts)


def _newest_all_landed(log):
    newest = log["date"] >= log["date"].sort_values().iloc[len(log) // 2]
    return log.assign(outcome=log["outcome"].mask(newest & log["outcome"].notna(), "landed"))


def _oldest_all_landed(log):
    oldest = log["date"] < log["date"].sort_values().iloc[len(log) * 3 // 4]  # the training part
    return log.assign(outcome=log["outcome"].mask(oldest & log["outcome"].notna(), "landed"))


@pytest.mark.parametrize(
    ("history", "message"),
    [
        (lambda log: log, None),
        (lambda log: log.head(12), "too few to evaluate"),
        (_newest_all_landed, "all have the same outcome"),
        (_oldest_all_landed, "only one kind of outcome"),
    ],
    ids=["enough", "too few", "newest one class", "oldest one class"],
)
def test_evaluating_a_small_history_is_a_message_not_a_crash(full_book, history, message):
    from dataclasses import replace

    from insight_engine.errors import RudderError
    from insight_engine.opportunity import evaluate_time_split

    book = replace(full_book, insights=history(full_book.insights))
    health = analyze(book, model_dir=None).health
    if message is None:
        assert 0 <= evaluate_time_split(book, health).auc_model <= 1
    else:
        with pytest.raises(RudderError, match=message):
            evaluate_time_split(book, health)
