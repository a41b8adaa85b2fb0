"""The opportunity model: a real Pipeline, a prior until there is history, persistence, reasons."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from insight_engine.analysis.engine import analyze
from insight_engine.analysis.opportunity import (
    FEATURES,
    PRIOR_IN_WORDS,
    OpportunityModel,
    PriorModel,
    account_features,
    fit_or_load,
    rank_book,
    recommend,
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
    assert result.ranked_by.startswith("Ranked by Rudder's starting rule (signal strength, ")
    assert "prior" not in result.ranked_by and "labeled" not in result.ranked_by  # jargon


def test_model_is_saved_with_skops_and_reused(demo_book, analysis, tmp_path):
    first = fit_or_load(demo_book, analysis.health, directory=tmp_path)
    files = list(tmp_path.glob("opportunity-*.skops"))
    assert len(files) == 1
    second = fit_or_load(demo_book, analysis.health, directory=tmp_path)
    X = account_features(demo_book, analysis.health, analysis.signals)
    np.testing.assert_allclose(first.predict_proba(X), second.predict_proba(X))
    assert second is not first and second.n_train_ == first.n_train_  # read back, as fitted
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
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), model.landed_probability(X), rtol=1e-6)


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
    book = replace(demo_book, insights=pd.concat([demo_book.insights, extra], ignore_index=True))
    again = rank_book(book, analysis.health, analysis.signals, analysis.model).set_index(
        "account_id"
    )
    factor = ModelSettings().recent_insight_factor
    # damped by the factor, and lower still: the model's recency feature drops too
    assert again.loc[target.account_id, "probability"] <= target.probability * factor + 0.5
    # a risk is not damped by the factor (the model's own recency feature may still lower it)
    assert again.loc[risky.account_id, "probability"] >= risky.probability * factor * 1.5
    assert again.loc[target.account_id, "score"] < target.score  # and it ranks lower


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
    from insight_engine.book.loader import load_folder
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
            "the insight log of this book has 0 insights with an outcome recorded, fewer than the model needs (200)",
        ),
        (
            lambda log: log,
            200,
            "the insight log of this book has 30 insights with an outcome recorded, fewer than the model needs (200)",
        ),
        (
            _all_landed,
            20,
            "could not be fitted because all 36 insights with an outcome recorded in the insight log of this book landed",
        ),
        (
            _about_other_accounts,
            20,
            "none of the 30 insights with an outcome recorded in the insight log is about an account in this book",
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
    assert result.ranked_by.startswith(f"{PRIOR_IN_WORDS}: ")
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

    from insight_engine.analysis.opportunity import evaluate_time_split
    from insight_engine.errors import RudderError

    book = replace(full_book, insights=history(full_book.insights))
    health = analyze(book, model_dir=None).health
    if message is None:
        assert 0 <= evaluate_time_split(book, health).auc_model <= 1
    else:
        with pytest.raises(RudderError, match=message):
            evaluate_time_split(book, health)


# ---------------------------------------------------------------------------------------------
# A ranking that chooses (issue 15.6)


def test_scores_spread_across_the_book(analysis):
    """A percentile of the book: the first account 100, the signals spread over the range, ties
    broken by the strength of the evidence (then ARR), never bunched near one value."""
    ranked = analysis.ranked
    assert ranked["score"].iloc[0] == 100.0
    assert ranked["score"].is_monotonic_decreasing
    with_signal = ranked.loc[ranked["n_signals"] > 0, "score"]
    assert with_signal.nunique() == len(with_signal)  # no two accounts share a place
    # the accounts with a signal fill the top of the range evenly: their middle half spans about
    # half of their share of the book
    share = len(with_signal) / len(ranked)
    q1, q3 = with_signal.quantile([0.25, 0.75])
    assert q3 - q1 >= 0.45 * 100 * share, (q1, q3, share)


class _Flat:
    """A model that cannot tell accounts apart: every probability the same."""

    kind = "prior"

    def landed_probability(self, X):
        return np.full(len(X), 0.5)

    def contributions(self, X):
        return pd.DataFrame(0.0, index=X.index, columns=FEATURES)


def test_ties_are_broken_by_the_strength_of_the_evidence(demo_book, analysis):
    ranked = rank_book(demo_book, analysis.health, analysis.signals, _Flat())
    with_signal = ranked.loc[ranked["n_signals"] > 0]
    assert with_signal["strength"].is_monotonic_decreasing
    assert (ranked["n_signals"] > 0).is_monotonic_decreasing  # signals first
    assert ranked["score"].iloc[0] == 100.0 and ranked["score"].is_monotonic_decreasing
    quiet = ranked.loc[ranked["n_signals"] == 0]
    assert (quiet["score"] <= 50.0).all()  # never more than its probability


def _ranked(*rows):
    cols = ["account_id", "account_name", "csm", "score", "probability", "strength", "motion"]
    cols += ["headline", "reasons", "n_signals", "recently_contacted"]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows])


ALDER_WIN = ("A1", "Alder", "Mara", 100.0, 80.0, 0.9, "win", "Keywords up 40% (60 → 84)")
BIRCH_STALL = ("B1", "Birch", "Mara", 90.0, 70.0, 0.6, "stall", "30-day onboarding 12 days overdue")
CEDAR_RISK = ("C1", "Cedar", "Mara", 100.0, 75.0, 0.7, "risk", "Health 41/100")


@pytest.mark.parametrize(
    ("rows", "csm", "account", "says"),
    [
        # the only account with a signal
        (
            [(*ALDER_WIN, ["Keywords up 40% (60 → 84)"], 1, False)],
            "Mara",
            "A1",
            "only account in your book",
        ),
        # stronger evidence, and a reason the next one does not have
        (
            [
                (*ALDER_WIN, ["Keywords up 40% (60 → 84)", "renewal in 40 days"], 1, False),
                (*BIRCH_STALL, ["30-day onboarding 12 days overdue"], 1, False),
            ],
            "Mara",
            "A1",
            "comes before Birch (stall: 30-day onboarding 12 days overdue) because: its evidence "
            "is stronger (0.90 against 0.60); renewal in 40 days.",
        ),
        # a risk comes before a win
        (
            [
                (*CEDAR_RISK, ["Health 41/100"], 1, False),
                (*ALDER_WIN, ["Keywords up 40% (60 → 84)"], 1, False),
            ],
            "Mara",
            "C1",
            "a risk comes before a win signal",
        ),
        # the next one was contacted last week
        (
            [
                (*BIRCH_STALL, ["x"], 1, False),
                ("D1", "Dogwood", "Mara", 80.0, 69.0, 0.6, "stall", "y", ["x"], 1, True),
            ],
            "Mara",
            "B1",
            "because: Dogwood heard from you recently.",
        ),
        # nothing separates them
        (
            [
                (*BIRCH_STALL, ["x"], 1, False),
                ("D1", "Dogwood", "Mara", 80.0, 69.0, 0.6, "stall", "y", ["x"], 1, False),
            ],
            "Mara",
            "B1",
            "because: the two are close (opportunity 90 against 80)",
        ),
        # another CSM's accounts and accounts without a signal never count
        (
            [
                ("Z1", "Zinnia", "Jon", 100.0, 99.0, 1.0, "risk", "z", ["z"], 1, False),
                ("Q1", "Quince", "Mara", 95.0, 60.0, 0.0, None, "No signal", [], 0, False),
                (*ALDER_WIN, ["Keywords up 40% (60 → 84)"], 1, False),
            ],
            "Mara",
            "A1",
            "Send Alder this week — win: Keywords up 40% (60 → 84). It is the only account",
        ),
    ],
)
def test_recommend_names_one_insight_and_why_it_beats_the_next(rows, csm, account, says):
    pick = recommend(_ranked(*rows), csm)
    assert pick.account_id == account
    assert says in pick.sentence, pick.sentence


def test_recommend_is_none_without_a_signal():
    rows = [("Q1", "Quince", "Mara", 95.0, 60.0, 0.0, None, "No signal", [], 0, False)]
    assert recommend(_ranked(*rows), "Mara") is None
    assert recommend(_ranked(*rows), "Nobody") is None


def test_recommend_on_the_demo_book_is_each_csms_top_account_with_a_signal(demo_book, analysis):
    ranked = analysis.ranked
    for csm in demo_book.accounts["csm"].unique()[:3]:
        pick = recommend(ranked, csm)
        first = ranked.loc[(ranked["csm"] == csm) & (ranked["n_signals"] > 0)].iloc[0]
        assert pick.account_id == first.account_id
        assert pick.runner_up and pick.sentence.startswith(f"Send {first.account_name} this week")


def test_a_csm_can_draft_any_signal_of_a_motion(demo_book, analysis):
    """Several signals of one motion: the strongest is drafted by default, another on request."""
    from insight_engine.outputs.draft import build_context

    s = analysis.signals
    counts = s.groupby(["account_id", "motion"]).size()
    account, motion = counts[counts > 1].index[0]
    mine = s.loc[(s["account_id"] == account) & (s["motion"] == motion)]
    strongest, other = mine.iloc[0], mine.iloc[-1]
    assert build_context(demo_book, analysis, account, motion).detector == strongest.detector
    chosen = analysis.only_signal(
        account, other.detector, None if pd.isna(other.metric) else other.metric
    )
    ctx = build_context(demo_book, chosen, account, motion)
    assert (ctx.detector, ctx.headline) == (
        other.detector,
        other.headline,
    )
    with pytest.raises(KeyError):
        analysis.only_signal(account, "no_such_detector")


def test_the_estimators_follow_scikit_learn_conventions(demo_book, analysis):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    X, y, _ = training_frame(demo_book, analysis.health)
    model = OpportunityModel(C=0.5)
    assert model.get_params() == {"C": 0.5}
    twin = clone(model)
    assert twin is not model and twin.get_params() == {"C": 0.5}
    assert not any(k.endswith("_") for k in vars(twin))  # no fitted state before fit
    with pytest.raises(NotFittedError):
        twin.predict_proba(X)
    with pytest.raises(TypeError):
        OpportunityModel(0.5)  # keyword-only parameters
    twin.set_params(C=2.0).fit(X, y)
    proba = twin.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert list(twin.classes_) == [0, 1]
    assert set(twin.predict(X)) <= {0, 1}
    np.testing.assert_allclose(twin.landed_probability(X), proba[:, 1])
    assert 0 <= twin.score(X, y) <= 1  # ClassifierMixin: accuracy
    prior = clone(PriorModel(n_labeled=12, reason="too few outcomes"))
    assert prior.get_params() == {"n_labeled": 12, "reason": "too few outcomes"}
    p = prior.fit().predict_proba(X)
    assert p.shape == (len(X), 2) and np.allclose(p.sum(axis=1), 1)
