"""The opportunity model: rank the book by insight opportunity, and say why in plain English.

A scikit-learn ``Pipeline`` (``ColumnTransformer`` + ``LogisticRegression``) learns from the
team's own insight log whether an insight **landed** (the customer acted), using per-account
features: the strongest signal per motion, days since the last insight, health and its 4-week
change, days to renewal, log ARR, tier and engagement. Until the log holds enough labeled
outcomes (``ModelSettings.min_labeled``) a transparent prior ranks the book instead:

    prior = 0.50 × strongest signal + 0.20 × min(days since last insight, 60) / 60
          + 0.15 × renewal urgency (1 − days to renewal / 365) + 0.15 × (1 − health / 100)

Both give per-feature contributions, which become the "top three reasons" shown beside each
account. The fitted pipeline is persisted with ``skops`` (not pickle), keyed to the history it
was trained on.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from insight_engine.analysis.cadence import last_insight
from insight_engine.analysis.detector import MOTION_LABELS, MOTIONS
from insight_engine.analysis.health import HealthScore
from insight_engine.book.book import Book
from insight_engine.errors import RudderError
from insight_engine.settings import ModelSettings

__all__ = [
    "FEATURES",
    "Evaluation",
    "OpportunityModel",
    "PriorModel",
    "Recommendation",
    "account_features",
    "evaluate_time_split",
    "fit_or_load",
    "plain_fit_error",
    "prior_because",
    "rank_book",
    "recommend",
    "training_frame",
]

STRENGTH_FEATURES = [f"s_{m}" for m in MOTIONS]
NUMERIC = [
    *STRENGTH_FEATURES,
    "days_since_insight",
    "health",
    "health_change_4w",
    "days_to_renewal",
    "log_arr",
    "engagement",
]
# Urgency enters the model as saturating transforms: what matters is "renewal within 120 days"
# and "not contacted for a month", not each extra day.
RENEWAL_HORIZON = 120.0
RECENCY_HORIZON = 30.0
CATEGORICAL = ["tier"]
FEATURES = NUMERIC + CATEGORICAL
NEVER = 180.0
# Types a saved model may contain; anything else in a .skops file is refused.
logger = logging.getLogger("rudder")
LABELS = ("landed", "no_response", "pushed_back")  # a decided outcome: what the model learns from
TRUSTED_PREFIXES = (
    "sklearn.",
    "numpy.",
    "insight_engine.analysis.opportunity.",
)  # "days since last insight" for an account that never received one (capped)
# Motion priority when two signals are equally strong: the most time-critical first.
PRIORITY = {"risk": 0, "stall": 1, "win": 2, "expansion": 3, "feature": 4, "better_practice": 5}


# ---------------------------------------------------------------------------------------------
# Features


def account_features(book: Book, health: HealthScore, signals: pd.DataFrame) -> pd.DataFrame:
    """Current features per account (index: account_id, in book order).

    Parameters
    ----------
    book : Book
    health : HealthScore
    signals : pandas.DataFrame
        Output of :func:`insight_engine.analysis.detector.detect`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FEATURES`.
    """
    acc = book.accounts
    ids = pd.Index(acc["account_id"], name="account_id")
    frame = pd.DataFrame(index=ids)
    strongest = (
        signals.groupby(["account_id", "motion"])["strength"].max().unstack()
        if len(signals)
        else pd.DataFrame()
    )
    for motion in MOTIONS:
        col = strongest[motion] if motion in strongest else pd.Series(dtype=float)
        frame[f"s_{motion}"] = col.reindex(ids).fillna(0.0).to_numpy()
    since = last_insight(book.insights, ids, as_of=book.as_of)["days_since_insight"]
    frame["days_since_insight"] = (
        since.astype("float64").clip(lower=0, upper=NEVER).fillna(NEVER).to_numpy(dtype=float)
    )
    frame["health"] = health.score[:, -1]
    frame["health_change_4w"] = (
        health.score[:, -1] - health.score[:, -5] if health.score.shape[1] > 4 else np.nan
    )
    frame["days_to_renewal"] = (
        (acc["renewal_date"] - book.as_of).dt.days.clip(lower=0, upper=365).to_numpy(dtype=float)
    )
    frame["log_arr"] = np.log1p(acc["arr"].to_numpy(dtype=float))
    frame["engagement"] = health.components["engagement"][:, -1]
    frame["tier"] = acc["tier"].astype(str).to_numpy()
    return frame


def training_frame(book: Book, health: HealthScore) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Features at send time, label (landed) and send date for every insight with an outcome.

    The strength of the signal, the health then and the account's context come from the log's
    evidence snapshot (``signal_strength``, ``health_at_send``) where recorded, and otherwise
    from the weekly health history.
    """
    log = book.insights
    labeled = log.loc[log["outcome"].isin(LABELS)].copy()
    if labeled.empty:
        return (
            pd.DataFrame(columns=FEATURES),
            np.array([], dtype=int),
            pd.Series(dtype="datetime64[ns]"),
        )
    everything = log.sort_values(["account_id", "date"], kind="stable")
    gap = everything.groupby("account_id")["date"].diff().dt.days
    labeled["gap"] = gap.reindex(labeled.index)
    acc = book.accounts.set_index("account_id")
    pos = health.account_ids.get_indexer(labeled["account_id"])
    weeks = len(health.week_ends)
    week = (weeks - 1) - ((book.as_of - labeled["date"]).dt.days.to_numpy() // 7)
    in_range = (pos >= 0) & (week >= 4) & (week < weeks)
    safe_pos, safe_week = np.where(in_range, pos, 0), np.where(in_range, week, 4)
    h_then = np.where(in_range, health.score[safe_pos, safe_week], np.nan)
    h_before = np.where(in_range, health.score[safe_pos, safe_week - 4], np.nan)
    eng_then = np.where(in_range, health.components["engagement"][safe_pos, safe_week], np.nan)
    X = pd.DataFrame(index=labeled.index)
    strength = (
        labeled["signal_strength"].fillna(0.5).to_numpy(dtype=float)
        if "signal_strength" in labeled
        else np.full(len(labeled), 0.5)
    )
    for motion in MOTIONS:
        X[f"s_{motion}"] = np.where(labeled["motion"].to_numpy() == motion, strength, 0.0)
    X["days_since_insight"] = labeled["gap"].clip(upper=NEVER).fillna(NEVER).to_numpy(dtype=float)
    recorded = (
        labeled["health_at_send"].to_numpy(dtype=float)
        if "health_at_send" in labeled
        else np.full(len(labeled), np.nan)
    )
    X["health"] = np.where(np.isnan(recorded), h_then, recorded)
    X["health_change_4w"] = h_then - h_before
    renewal = acc["renewal_date"].reindex(labeled["account_id"]).to_numpy()
    X["days_to_renewal"] = ((renewal - labeled["date"].to_numpy()) / np.timedelta64(1, "D")) % 365
    X["log_arr"] = np.log1p(acc["arr"].reindex(labeled["account_id"]).to_numpy(dtype=float))
    X["engagement"] = eng_then
    X["tier"] = acc["tier"].reindex(labeled["account_id"]).astype(str).to_numpy()
    y = (labeled["outcome"] == "landed").to_numpy(dtype=int)
    return X.reset_index(drop=True), y, labeled["date"].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Models


def renewal_urgency(days_to_renewal: np.ndarray) -> np.ndarray:
    """1 at renewal, falling to 0 at 120 days out."""
    return np.clip(1 - np.asarray(days_to_renewal, dtype=float) / RENEWAL_HORIZON, 0, 1)


def recency(days_since_insight: np.ndarray) -> np.ndarray:
    """0 for an insight sent today, 1 once a month has passed."""
    return np.clip(np.asarray(days_since_insight, dtype=float) / RECENCY_HORIZON, 0, 1)


class OpportunityModel(ClassifierMixin, BaseEstimator):
    """Logistic regression on standardized features, one-hot tier; explains itself per feature.

    A scikit-learn estimator: ``clone``, ``get_params`` and ``set_params`` work, and every
    fitted attribute (trailing ``_``) is set by :meth:`fit` only. A saved model is this whole
    estimator, as fitted (see :func:`fit_or_load`).

    Parameters
    ----------
    C : float
        Inverse regularization strength.

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
        Imputation, transforms and scaling per feature, then the logistic regression.
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: 1 = the insight landed.
    n_train_ : int
        Labeled insights it was fitted on.
    base_rate_ : float
        Share of them that landed.
    """

    kind = "model"

    def __init__(self, *, C: float = 1.0) -> None:
        self.C = C

    def _pipeline(self) -> Pipeline:
        def numeric(*steps: tuple) -> Pipeline:
            return Pipeline(
                [
                    # keep a feature no insight has a value for (it contributes nothing) rather
                    # than drop it: the contributions need every feature
                    ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                    *steps,
                    ("scale", StandardScaler()),
                ]
            )

        plain = [f for f in NUMERIC if f not in ("days_to_renewal", "days_since_insight")]
        columns = ColumnTransformer(
            [
                ("num", numeric(), plain),
                (
                    "urgency",
                    numeric(
                        (
                            "transform",
                            FunctionTransformer(renewal_urgency, feature_names_out="one-to-one"),
                        )
                    ),
                    ["days_to_renewal"],
                ),
                (
                    "recency",
                    numeric(
                        ("transform", FunctionTransformer(recency, feature_names_out="one-to-one"))
                    ),
                    ["days_since_insight"],
                ),
                ("tier", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ]
        )
        return Pipeline(
            [("features", columns), ("classifier", LogisticRegression(C=self.C, max_iter=2000))]
        )

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> OpportunityModel:
        """Fit on features ``X`` (columns :data:`FEATURES`) and labels ``y`` (1 = landed)."""
        if len(np.unique(y)) < 2:
            raise RudderError(
                "The insight history has only one kind of outcome; the model needs both landed and not."
            )
        self.pipeline_ = self._pipeline().fit(X[FEATURES], y)
        self.classes_ = self.pipeline_.classes_
        self.n_train_ = len(y)
        self.base_rate_ = float(np.mean(y))
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities of ``classes_`` (shape ``(n, 2)``): column 1 is "the insight lands"."""
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.predict_proba(X[FEATURES])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where an insight sent now is more likely to land than not."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def landed_probability(self, X: pd.DataFrame) -> np.ndarray:
        """Probability that an insight sent now lands (1-D), what the ranking uses."""
        return self.predict_proba(X)[:, 1]

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-feature contributions to the log-odds (coefficient × standardized value)."""
        check_is_fitted(self, "pipeline_")
        transformer = self.pipeline_.named_steps["features"]
        Z = transformer.transform(X[FEATURES])
        Z = Z.toarray() if hasattr(Z, "toarray") else Z
        coef = self.pipeline_.named_steps["classifier"].coef_[0]
        parts = Z * coef
        names = transformer.get_feature_names_out()
        out = pd.DataFrame(index=X.index)
        by_feature = {
            n.split("__", 1)[1]: i for i, n in enumerate(names) if not n.startswith("tier__")
        }
        for feature in NUMERIC:
            out[feature] = parts[:, by_feature[feature]]
        tier_cols = [i for i, n in enumerate(names) if n.startswith("tier__")]
        out["tier"] = parts[:, tier_cols].sum(axis=1) if tier_cols else 0.0
        return out


# How the prior is named on screen ("transparent prior" meant nothing to a CSM).
PRIOR_IN_WORDS = (
    "Ranked by Rudder's starting rule (signal strength, time since the last insight, renewal "
    "and health) until your team's recorded outcomes can train the model"
)


class PriorModel(BaseEstimator):
    """The transparent prior used until the log holds enough labeled outcomes (see module doc),
    and whenever the model cannot be fitted. It learns nothing: :meth:`fit` only marks it ready.

    Parameters
    ----------
    n_labeled : int
        Labeled outcomes in the book's insight log.
    reason : str
        Why the prior ranks the book, as the end of a sentence ("the insight log of this book
        has 12 labeled outcomes, fewer than …"); see :func:`prior_because`.
    """

    kind = "prior"
    weights: ClassVar[dict[str, float]] = {
        "strongest": 0.50,
        "days_since_insight": 0.20,
        "days_to_renewal": 0.15,
        "health": 0.15,
    }

    def __init__(self, *, n_labeled: int = 0, reason: str = "") -> None:
        self.n_labeled = n_labeled
        self.reason = reason

    def fit(self, X: pd.DataFrame | None = None, y: np.ndarray | None = None) -> PriorModel:
        self.fitted_ = True
        return self

    def _terms(self, X: pd.DataFrame) -> pd.DataFrame:
        strongest = X[STRENGTH_FEATURES].max(axis=1)
        return pd.DataFrame(
            {
                "strongest": self.weights["strongest"] * strongest,
                "days_since_insight": self.weights["days_since_insight"]
                * np.clip(X["days_since_insight"], 0, 60)
                / 60,
                "days_to_renewal": self.weights["days_to_renewal"]
                * (1 - np.clip(X["days_to_renewal"], 0, 365) / 365),
                "health": self.weights["health"]
                * (1 - np.clip(X["health"].fillna(70), 0, 100) / 100),
            },
            index=X.index,
        )

    def landed_probability(self, X: pd.DataFrame) -> np.ndarray:
        """The prior's score in [0, 1] (1-D): higher means share an insight sooner."""
        return self._terms(X).sum(axis=1).to_numpy()

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``[1 - score, score]`` per account, the shape scikit-learn's classifiers return."""
        p = self.landed_probability(X)
        return np.column_stack([1 - p, p])

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        terms = self._terms(X)
        out = pd.DataFrame(0.0, index=X.index, columns=FEATURES)
        which = X[STRENGTH_FEATURES].to_numpy().argmax(axis=1)
        for i, feature in enumerate(STRENGTH_FEATURES):
            out.loc[which == i, feature] = terms.loc[which == i, "strongest"]
        for feature in ("days_since_insight", "days_to_renewal", "health"):
            out[feature] = terms[feature]
        return out


# ---------------------------------------------------------------------------------------------
# Evaluation and persistence


@dataclass
class Evaluation:
    """Time-split evaluation: train on older insights, test on newer ones."""

    auc_model: float
    auc_prior: float
    n_train: int
    n_test: int
    split_date: str
    calibration: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict:
        return {
            "auc_model": round(self.auc_model, 4),
            "auc_prior": round(self.auc_prior, 4),
            "n_train": self.n_train,
            "n_test": self.n_test,
            "split_date": self.split_date,
            "calibration": json.loads(self.calibration.to_json(orient="records")),
        }


def evaluate_time_split(
    book: Book, health: HealthScore, settings: ModelSettings | None = None
) -> Evaluation:
    """ROC AUC of the model and of the prior on the newest ``test_share`` of labeled insights,
    and a calibration table (predicted vs observed landed rate, by decile of prediction)."""
    settings = settings or ModelSettings()
    X, y, dates = training_frame(book, health)
    if len(y) < 20:
        raise RudderError(f"Only {len(y)} labeled insights: too few to evaluate.")
    order = np.argsort(dates.to_numpy(), kind="stable")
    cut = int(len(order) * (1 - settings.test_share))
    train, test = order[:cut], order[cut:]
    if len(np.unique(y[test])) < 2:
        raise RudderError(
            f"The newest {len(test):,} labeled insights all have the same outcome: an evaluation "
            "needs both landed and not landed among them."
        )
    try:
        model = OpportunityModel(C=settings.regularization).fit(X.iloc[train], y[train])
    except ValueError as exc:
        raise RudderError(
            f"The model could not be trained for the evaluation: {plain_fit_error(exc)}."
        ) from None
    p_model = model.landed_probability(X.iloc[test])
    p_prior = PriorModel().fit().landed_probability(X.iloc[test])
    bins = pd.qcut(p_model, q=min(10, max(2, len(test) // 30)), duplicates="drop")
    calibration = (
        pd.DataFrame({"bin": bins, "predicted": p_model, "observed": y[test]})
        .groupby("bin", observed=True)
        .agg(
            predicted=("predicted", "mean"),
            observed=("observed", "mean"),
            insights=("observed", "size"),
        )
        .reset_index(drop=True)
        .round(3)
    )
    return Evaluation(
        auc_model=float(roc_auc_score(y[test], p_model)),
        auc_prior=float(roc_auc_score(y[test], p_prior)),
        n_train=len(train),
        n_test=len(test),
        split_date=f"{dates.iloc[order[cut]]:%Y-%m-%d}",
        calibration=calibration,
    )


def _history_key(X: pd.DataFrame, y: np.ndarray, settings: ModelSettings) -> str:
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(np.asarray(y).tobytes())
    digest.update(json.dumps([settings.regularization, FEATURES]).encode())
    return digest.hexdigest()[:16]


def fit_or_load(
    book: Book,
    health: HealthScore,
    settings: ModelSettings | None = None,
    *,
    directory: str | Path | None = None,
    retrain: bool = False,
) -> OpportunityModel | PriorModel:
    """The model that ranks this book: the fitted model when the book's insight log has enough
    labeled outcomes (loaded from ``directory`` if already trained on the same history), else the
    prior, which says why (``PriorModel.reason``). Never raises for the history's sake: too
    little of it, a single kind of outcome, no usable features or any fitting error give the prior.

    Returns
    -------
    OpportunityModel or PriorModel
    """
    settings = settings or ModelSettings()
    try:
        X, y, _ = training_frame(book, health)
    except (ValueError, KeyError, TypeError) as exc:  # a history the features cannot be built on
        logger.warning("training frame failed; ranking by the prior", exc_info=True)
        return prior_because(
            0, f"the opportunity model could not be fitted because {plain_fit_error(exc)}"
        )
    n = len(y)
    about = book.insights.loc[book.insights["outcome"].isin(LABELS), "account_id"].astype(str)
    if n and not about.isin(set(book.accounts["account_id"].astype(str))).any():
        return prior_because(
            n,
            f"the opportunity model could not be fitted because none of the {n:,} insights "
            "with an outcome recorded in the insight log is about an account in this book, so "
            "none of its features can be computed",
        )
    if n < settings.min_labeled:
        return prior_because(n, too_few_outcomes(n, settings.min_labeled))
    if len(np.unique(y)) < 2:
        kind = "landed" if y[0] == 1 else "did not land"
        return prior_because(
            n,
            f"the opportunity model could not be fitted because all {n:,} insights with an "
            f"outcome recorded in the insight log of this book {kind}; it needs both kinds",
        )
    try:
        return _fit_or_load(X, y, settings, directory=directory, retrain=retrain)
    except (ValueError, RudderError) as exc:
        logger.warning("the opportunity model could not be fitted", exc_info=True)
        return prior_because(
            n, f"the opportunity model could not be fitted because {plain_fit_error(exc)}"
        )


def too_few_outcomes(n: int, needed: int | None = None) -> str:
    """Why the prior ranks a book whose log has too few insights with an outcome recorded."""
    count = f" ({needed:,})" if needed is not None else ""
    return (
        f"the insight log of this book has {n:,} insight{'s' if n != 1 else ''} with an outcome "
        f"recorded, fewer than the model needs{count}. Record outcomes and the model takes over"
    )


def prior_because(n_labeled: int, reason: str) -> PriorModel:
    """The prior, with the number of labeled outcomes and why it ranks the book."""
    prior = PriorModel(n_labeled=n_labeled, reason=reason).fit()
    return prior


def plain_fit_error(exc: Exception) -> str:
    """A fitting error in words a CSM can act on (the technical text stays in the server log)."""
    text = str(exc).strip()
    if isinstance(exc, RudderError):
        return (text[:1].lower() + text[1:]).rstrip(".")
    if isinstance(exc, (KeyError, TypeError)):
        return f"the insight history could not be turned into features ({type(exc).__name__})"
    if "0 feature(s)" in text or "0 sample(s)" in text:
        return (
            "none of its features could be computed from the labeled insights (are they about "
            "accounts in this book?)"
        )
    first = text.split("\n")[0].strip().rstrip(".")
    return (
        f"scikit-learn refused the training data ({first[:160]})" if first else type(exc).__name__
    )


def _fit_or_load(
    X: pd.DataFrame,
    y: np.ndarray,
    settings: ModelSettings,
    *,
    directory: str | Path | None,
    retrain: bool,
) -> OpportunityModel:
    key = _history_key(X, y, settings)
    path = Path(directory) / f"opportunity-{key}.skops" if directory else None
    if path is not None and path.exists() and not retrain:
        try:
            untrusted = sio.get_untrusted_types(file=path)
            model = sio.load(path, trusted=[t for t in untrusted if t.startswith(TRUSTED_PREFIXES)])
            if isinstance(model, OpportunityModel):  # the estimator as it was fitted
                return model
            path.unlink(missing_ok=True)  # an older file (a bare pipeline): retrain below
        except Exception:  # a corrupt or incompatible file: retrain below
            path.unlink(missing_ok=True)
    model = OpportunityModel(C=settings.regularization).fit(X, y)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        sio.dump(model, path)
    return model


# ---------------------------------------------------------------------------------------------
# Ranking


def _reason_texts(X: pd.DataFrame, headlines: pd.DataFrame) -> np.ndarray:
    """(accounts × features) matrix of plain-English reasons ("" where a feature says nothing)."""
    A = len(X)
    out = np.full((A, len(FEATURES)), "", dtype=object)
    col = {f: i for i, f in enumerate(FEATURES)}
    for motion in MOTIONS:  # six motions, not accounts
        out[:, col[f"s_{motion}"]] = (
            headlines[motion].reindex(X.index).fillna("").to_numpy(dtype=object)
            if motion in headlines
            else ""
        )
    since = X["days_since_insight"].to_numpy()
    out[:, col["days_since_insight"]] = np.where(
        since >= NEVER,
        "never received an insight",
        "no insight in " + pd.Series(since).round().astype(int).astype(str) + " days",
    )
    renewal = X["days_to_renewal"]  # unknown renewal date: the reason says nothing
    out[:, col["days_to_renewal"]] = np.where(
        renewal.isna(), "", "renewal in " + renewal.round().astype("Int64").astype(str) + " days"
    )
    health = X["health"]
    out[:, col["health"]] = np.where(
        health.isna(), "", "health " + health.round().astype("Int64").astype(str) + "/100"
    )
    change = X["health_change_4w"]
    words = np.where(change > 0, "up ", "down ")
    text = (
        "health " + words + change.abs().round().astype("Int64").astype(str) + " points in 4 weeks"
    )
    out[:, col["health_change_4w"]] = np.where(change.isna() | (change.abs() < 1), "", text)
    arr = np.expm1(X["log_arr"]).fillna(0)  # unknown ARR: the reason says nothing
    out[:, col["log_arr"]] = np.where(
        X["log_arr"].isna(),
        "",
        np.where(
            arr >= 1000,
            "$" + (arr / 1000).round().astype(int).map("{:,}".format) + "k ARR",
            "$" + arr.round().astype(int).astype(str) + " ARR",
        ),
    )
    eng = X["engagement"]
    out[:, col["engagement"]] = np.where(
        eng.isna(),
        "",
        np.where(eng >= 50, "engaged with the CSM recently", "little recent contact with the CSM"),
    )
    out[:, col["tier"]] = X["tier"].astype(str).to_numpy() + " tier"
    return out


def _top_reasons(contrib: pd.DataFrame, texts: np.ndarray, k: int = 3) -> list[list[str]]:
    """The ``k`` largest positive contributions per account, as text (the largest one if none is positive)."""
    values = contrib[FEATURES].to_numpy()
    order = np.argsort(-values, axis=1)[:, : k + 3]
    rows = np.arange(len(values))[:, None]
    picked_text = texts[rows, order]
    positive = values[rows, order] > 0
    positive[:, 0] = True  # always give at least the biggest factor
    keep = positive & (picked_text != "")
    out = []
    for texts_row, mask in zip(
        picked_text, keep, strict=True
    ):  # a few strings per account: formatting only
        chosen: list[str] = []
        for text in texts_row[mask]:
            # skip a reason another one already says ("health down 41 points" inside a headline)
            if not any(text.lower() in c.lower() or c.lower() in text.lower() for c in chosen):
                chosen.append(text)
            if len(chosen) == k:
                break
        out.append(chosen)
    return out


def rank_book(
    book: Book,
    health: HealthScore,
    signals: pd.DataFrame,
    model: OpportunityModel | PriorModel,
    settings: ModelSettings | None = None,
) -> pd.DataFrame:
    """The ranked book: score 0–100 (a percentile of the book), top motion, headline and three reasons.

    Accounts with a signal come first, by the model's (or the prior's) probability that an
    insight lands, ties broken by the strength of the evidence, then ARR. Accounts sent an
    insight within ``recent_insight_days`` drop down (probability × ``recent_insight_factor``)
    unless their top signal is a risk. ``score`` is the account's percentile in that order (100
    first, 0 last; an account without a signal shows at most its probability), so scores spread
    across the book and choose; ``probability`` keeps the model's own number (0–100).

    Returns
    -------
    pandas.DataFrame
        One row per account, best first: ``account_id``, ``account_name``, ``csm``, ``score``,
        ``probability``, ``strength`` (the strongest signal's, 0–1), ``motion``, ``headline``,
        ``reasons`` (list of str), ``n_signals``, ``ranked_by``, ``recently_contacted``.
    """
    settings = settings or ModelSettings()
    X = account_features(book, health, signals)
    prob = model.landed_probability(X)
    contrib = model.contributions(X)
    ordered = (
        signals.assign(priority=signals["motion"].map(PRIORITY)).sort_values(
            ["account_id", "strength", "priority"], ascending=[True, False, True], kind="stable"
        )
        if len(signals)
        else signals
    )
    ids = X.index.to_numpy()
    if len(ordered):
        top = ordered.drop_duplicates("account_id").set_index("account_id").reindex(ids)
        headlines = ordered.drop_duplicates(["account_id", "motion"]).pivot(
            index="account_id", columns="motion", values="headline"
        )
        n_signals = (
            ordered["account_id"].value_counts().reindex(ids).fillna(0).astype(int).to_numpy()
        )
        motion = top["motion"].to_numpy(dtype=object)
        headline = top["headline"].fillna("No signal this week").to_numpy(dtype=object)
    else:
        headlines = pd.DataFrame(index=ids)
        n_signals = np.zeros(len(ids), dtype=int)
        motion = np.full(len(ids), None, dtype=object)
        headline = np.full(len(ids), "No signal this week", dtype=object)
    recent = X["days_since_insight"].to_numpy() <= settings.recent_insight_days
    damp = recent & (motion != "risk")
    exact = 100 * np.clip(prob, 0, 1) * np.where(damp, settings.recent_insight_factor, 1.0)
    probability = np.round(exact, 1)
    strength = X[STRENGTH_FEATURES].to_numpy(dtype=float).max(axis=1)
    has_signal = n_signals > 0
    arr = book.accounts["arr"].to_numpy(dtype=float)
    # The order: accounts with a signal first, then the model's (or prior's) probability, ties
    # broken by the strength of the evidence, then ARR. The score is the percentile of that
    # order within the book (100 = first, 0 = last), so scores spread across the book; an
    # account with no signal never shows more than its probability (a quiet book stays low).
    order = np.lexsort((-np.nan_to_num(arr), -strength, -exact, ~has_signal))
    n = len(ids)
    percentile = np.empty(n)
    percentile[order] = 100.0 * (n - 1 - np.arange(n)) / max(n - 1, 1)
    score = np.round(np.where(has_signal, percentile, np.minimum(percentile, probability)), 1)
    reasons = _top_reasons(contrib, _reason_texts(X, headlines))
    ranked = pd.DataFrame(
        {
            "account_id": ids,
            "account_name": book.accounts["account_name"].to_numpy(dtype=object),
            "csm": book.accounts["csm"].to_numpy(dtype=object)
            if "csm" in book.accounts
            else np.full(n, None, dtype=object),
            "score": score,
            "probability": probability,
            "strength": np.round(strength, 3),
            "motion": motion,
            "motion_label": [
                MOTION_LABELS.get(m, "—") if isinstance(m, str) else "—" for m in motion
            ],
            "headline": headline,
            "reasons": reasons,
            "n_signals": n_signals,
            "ranked_by": model.kind,
            "recently_contacted": recent,
        }
    )
    return ranked.iloc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# This week's one recommendation


@dataclass
class Recommendation:
    """The one insight a CSM should send this week, and why it beats the next one.

    Attributes
    ----------
    account_id, account_name : str
        The account.
    motion, headline : str
        The signal to draft (the account's top signal).
    score : float
        Its opportunity score (percentile of the book).
    runner_up : str or None
        The next account's name (None when it is the only account with a signal).
    sentence : str
        One or two sentences: what to send and why it comes before the runner-up.
    """

    account_id: str
    account_name: str
    motion: str
    headline: str
    score: float
    runner_up: str | None
    sentence: str


def recommend(ranked: pd.DataFrame, csm: str | None = None) -> Recommendation | None:
    """The one insight to send this week for a CSM (or the whole ranked table when ``csm`` is
    None): their best-ranked account with a signal, with why it beats their next one.

    Parameters
    ----------
    ranked : pandas.DataFrame
        Output of :func:`rank_book` (best first), or a subset of it (one CSM's view).
    csm : str, optional
        Only this CSM's accounts.

    Returns
    -------
    Recommendation or None
        None when none of the accounts has a signal this week.
    """
    rows = ranked if csm is None else ranked.loc[ranked["csm"] == csm]
    rows = rows.loc[rows["n_signals"] > 0]
    if rows.empty:
        return None
    best = rows.iloc[0]
    name = str(best.get("account_name") or best["account_id"])
    what = f"{MOTION_LABELS.get(best['motion'], best['motion']).lower()}: {best['headline']}"
    if len(rows) == 1:
        return Recommendation(
            str(best["account_id"]),
            name,
            str(best["motion"]),
            str(best["headline"]),
            float(best["score"]),
            None,
            f"Send {name} this week — {what}. It is the only account in "
            f"{'your' if csm else 'the'} book with a signal this week.",
        )
    nxt = rows.iloc[1]
    other = str(nxt.get("account_name") or nxt["account_id"])
    because: list[str] = []
    if best["motion"] == "risk" and nxt["motion"] != "risk":
        label = MOTION_LABELS.get(nxt["motion"], str(nxt["motion"])).lower()
        because.append(
            f"a risk comes before a {label} signal: caught early, a slide is a conversation"
        )
    if float(best["strength"]) >= float(nxt["strength"]) + 0.05:
        because.append(
            f"its evidence is stronger ({float(best['strength']):.2f} against "
            f"{float(nxt['strength']):.2f})"
        )
    if nxt["recently_contacted"] and not best["recently_contacted"]:
        because.append(f"{other} heard from you recently")
    theirs = {r.lower() for r in nxt["reasons"]}
    own = [r for r in best["reasons"] if r.lower() not in theirs and r != best["headline"]]
    if own and len(because) < 2:
        because.append(own[0])
    if not because:
        because.append(
            f"the two are close (opportunity {best['score']:.0f} against {nxt['score']:.0f}); "
            "either is a good choice, this one lands a little more often"
        )
    next_what = f"{MOTION_LABELS.get(nxt['motion'], nxt['motion']).lower()}: {nxt['headline']}"
    sentence = (
        f"Send {name} this week — {what}. It comes before {other} ({next_what}) because: "
        + "; ".join(because)
        + "."
    )
    return Recommendation(
        str(best["account_id"]),
        name,
        str(best["motion"]),
        str(best["headline"]),
        float(best["score"]),
        other,
        sentence,
    )
