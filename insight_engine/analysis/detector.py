"""Signal detectors: the moments when a customer would benefit from an interpretation.

Each detector is a small class registered in :data:`DETECTORS` (like datasette's facets). It
looks at the whole book at once — arrays of accounts × weeks × metrics, and vectorized table
operations — and returns one row per signal with its evidence in plain English. Detectors are
driven by the metric catalog (category, target, complements, goal, how_to, upgrade), so they
work for any product.

Every signal carries: account, motion, a one-line headline, evidence (metric, window,
before/after, peer value, target, date), strength 0–1, the customer goal it connects to, the
recommended action, suggested audiences and why now.

Coverage: each detector declares ``weeks_needed``, the weeks of usage data its window reads.
When the book's usage covers fewer weeks, the detector stays quiet and :func:`coverage_notes`
says so; an account with fewer weeks of data than that (its usage starts mid-window) is left out
by the detector itself (:meth:`Detector.has_weeks`). A headline claims only what the data holds.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from insight_engine import fmt
from insight_engine.analysis.framing import CHART_KINDS, Framing, template_fields
from insight_engine.analysis.health import HealthScore, trailing_mean
from insight_engine.book.book import Book
from insight_engine.book.rollup import aggregations
from insight_engine.fmt import plural, weeks
from insight_engine.settings import DetectorSettings

__all__ = [
    "DETECTORS",
    "MOTIONS",
    "SIGNAL_COLUMNS",
    "DetectionContext",
    "Detector",
    "coverage_notes",
    "detect",
    "register",
    "registry_problems",
    "signal_records",
]

MOTIONS = ("win", "feature", "better_practice", "stall", "risk", "expansion")
MOTION_LABELS = {
    "win": "Win",
    "feature": "Feature",
    "better_practice": "Better practice",
    "stall": "Stall",
    "risk": "Risk",
    "expansion": "Expansion",
}
AUDIENCE = {
    "win": ("champion", "executive"),
    "feature": ("admin", "champion"),
    "better_practice": ("admin", "champion"),
    "stall": ("champion", "admin"),
    "risk": ("champion", "executive"),
    "expansion": ("executive", "champion"),
}
GENERIC_ACTION = {
    "win": "Keep doing what produced this result, and share it with the people who sponsor the work.",
    "feature": "Take ten minutes with the admin to switch the capability on for the team's main workflow.",
    "better_practice": "Update the set-up to the recommended level; results improve from the next refresh.",
    "stall": "Agree the one next step and a date in a short working session this week.",
    "risk": "Book a 20-minute call to agree a recovery plan with a named owner.",
    "expansion": "Explore whether more seats or the next tier would remove the ceiling the team is hitting.",
}
EVIDENCE_COLUMNS = [
    "metric",
    "metric_label",
    "window",
    "before",
    "after",
    "peer",
    "target",
    "event_date",
    "milestone",
    "partner",
    "partner_label",
    "upgrade",
    "comment",
    "days",
]
SIGNAL_COLUMNS = [
    "account_id",
    "motion",
    "detector",
    "headline",
    "strength",
    *EVIDENCE_COLUMNS,
    "goal",
    "action",
    "audience",
    "why_now",
]
_LOGIN = (
    r"log[\s_-]?ins?(?![a-z])|sign[\s_-]?ins?(?![a-z])|logged"  # log-ins, sign_ins, users_logged
)
_STOP = {
    "about",
    "their",
    "there",
    "which",
    "would",
    "should",
    "what",
    "with",
    "from",
    "that",
    "this",
    "they",
    "every",
    "before",
    "using",
    "time",
    "team",
    "teams",
    "more",
    "less",
    "same",
    "know",
    "clear",
    "without",
    "through",
    "across",
    "where",
}


@dataclass
class DetectionContext:
    """Everything detectors need, computed once per book."""

    book: Book
    health: HealthScore
    settings: DetectorSettings
    values: np.ndarray  # (A, W, M)
    catalog: pd.DataFrame  # indexed by metric, in weekly order
    account_ids: np.ndarray
    tiers: np.ndarray
    seats: np.ndarray
    age_days: np.ndarray
    days_to_renewal: np.ndarray
    goals: np.ndarray  # stated goal or ""
    aggregation: dict[str, str]  # metric -> "sum" | "mean"
    weeks_with_data: np.ndarray  # per account (WeeklyUsage.weeks_with_data)
    weeks_covered: int  # the book's coverage (WeeklyUsage.weeks_covered)

    @classmethod
    def build(
        cls, book: Book, health: HealthScore, settings: DetectorSettings | None = None
    ) -> DetectionContext:
        acc = book.accounts
        catalog = book.metrics.set_index("metric").reindex(book.weekly.metrics)
        return cls(
            book=book,
            health=health,
            settings=settings or DetectorSettings(),
            # Artefact weeks (a one-week spike or gap against the account's own history) are no
            # data here: every window comparison reads the clean cube (insight_engine.analysis.artefacts).
            values=book.weekly.clean_values(),
            catalog=catalog,
            account_ids=acc["account_id"].to_numpy(dtype=object),
            tiers=acc["tier"].to_numpy(dtype=object),
            seats=acc["licensed_seats"].to_numpy(dtype=float),
            age_days=_days(book.as_of - acc["contract_start"])
            if "contract_start" in acc
            else np.full(len(acc), np.nan),
            days_to_renewal=_days(acc["renewal_date"] - book.as_of),
            goals=acc["stated_goal"].fillna("").to_numpy(dtype=object)
            if "stated_goal" in acc
            else np.full(len(acc), ""),
            aggregation=dict(
                zip(book.weekly.metrics, aggregations(catalog.reset_index()), strict=True)
            ),
            weeks_with_data=np.asarray(book.weekly.weeks_with_data),
            weeks_covered=book.weekly.weeks_covered,
        )

    @property
    def n_accounts(self) -> int:
        return len(self.account_ids)

    @property
    def tracks_logins(self) -> bool:
        """True when the catalog counts people (a seats metric, or one named for log-ins): only
        then may a headline say that no one logged in."""
        names = self.catalog.index.astype(str) + " " + self.catalog["label"].astype(str)
        login = names.str.contains(_LOGIN, case=False, regex=True).to_numpy(dtype=bool)
        return bool(((self.catalog["category"] == "seats").to_numpy() | login).any())

    def metrics_where(self, category: str) -> list[str]:
        return [m for m in self.catalog.index if self.catalog.at[m, "category"] == category]

    def column(self, metric: str) -> np.ndarray:
        return self.values[:, :, self.catalog.index.get_loc(metric)]

    def label(self, metric: str) -> str:
        value = self.catalog.at[metric, "label"] if metric in self.catalog.index else None
        return (
            str(value)
            if isinstance(value, str) and value
            else metric.replace("_", " ").capitalize()
        )

    def catalog_value(self, metric: str, column: str) -> object:
        if column not in self.catalog.columns or metric not in self.catalog.index:
            return None
        value = self.catalog.at[metric, column]
        return (
            None
            if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA
            else value
        )

    def tier_median(self, per_account: np.ndarray) -> np.ndarray:
        """Each account's tier median of a per-account value (NaN ignored)."""
        out = np.full(len(per_account), np.nan)
        for tier in pd.unique(self.tiers):  # a handful of cohorts, not a loop over accounts
            rows = self.tiers == tier
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out[rows] = np.nanmedian(per_account[rows])
        return out

    def higher_is_better(self, metric: str) -> bool:
        value = self.catalog_value(metric, "higher_is_better")
        return True if value is None else bool(value)

    def action_for(self, metric: str | None, motion: str) -> str:
        how = self.catalog_value(metric, "how_to") if metric else None
        return str(how) if how else GENERIC_ACTION[motion]

    def goal_for(self, metric: str | None) -> np.ndarray:
        metric_goal = str(self.catalog_value(metric, "goal") or "") if metric else ""
        return np.where(self.goals != "", self.goals, metric_goal)

    def renewal_note(self) -> np.ndarray:
        d = self.days_to_renewal
        return np.where(
            (d >= 0) & (d <= 120),
            np.char.add(
                np.char.add("; renewal in ", np.nan_to_num(d).astype(int).astype(str)), " days"
            ),
            "",
        )


def _days(delta: pd.Series) -> np.ndarray:
    """Whole days of a timedelta column as floats; NaN where a date is unknown."""
    return delta.dt.days.to_numpy(dtype=float, na_value=np.nan)


_weeks = weeks  # one owner for "1 week" / "N weeks": insight_engine.fmt


def _nanmean(x: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=axis)


def _nanmedian(x: np.ndarray, axis: int) -> np.ndarray:
    """Median ignoring NaN: a window's robust level (one odd week cannot move it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(x, axis=axis)


def _window_total(x: np.ndarray) -> np.ndarray:
    """A count over a window of weeks (axis 1), robust to a week left out as an artefact: the
    mean of the weeks with data times the window's length."""
    return _nanmean(x, 1) * x.shape[1]


HALF_YEAR_WEEKS = 26
YEAR_WEEKS = 52


def _best_span(weeks: int) -> str:
    """'this year' only when a year of weeks was compared, else how many weeks were."""
    return "this year" if weeks >= YEAR_WEEKS else f"in {weeks} weeks of data"


def _fmt(x: float) -> str:
    if x is None or np.isnan(x):
        return "—"
    return f"{x:,.0f}" if abs(x) >= 10 or float(x).is_integer() else f"{x:,.1f}"


class Detector:
    """Base class: subclasses set ``name``, ``motion``, ``description`` and ``weeks_needed`` and
    implement ``detect``.

    Parameters
    ----------
    settings : DetectorSettings, optional
        Thresholds (a detector whose window is a setting derives ``weeks_needed`` from them).

    Attributes
    ----------
    weeks_needed : int
        Weeks of usage data the detector reads (0: it reads none, e.g. milestones or surveys).
        When the book's usage covers fewer weeks, :meth:`run` keeps the detector quiet; the
        detector also leaves out accounts with fewer weeks (:meth:`has_weeks`).
    """

    name: ClassVar[str]
    motion: ClassVar[str]
    description: ClassVar[str]
    weeks_needed: int = 0
    # Everything else about the detector lives here too (checked by :func:`registry_problems`):
    chart: ClassVar[str]  # the chart kind drawn for its signals (framing.CHART_KINDS)
    evidence: ClassVar[tuple[str, ...]]  # structured evidence fields every signal of it fills
    framing: ClassVar[Framing]  # its words for each reader (insight_engine.analysis.framing)
    # Its own names for evidence fields where the general ones (Before, Now, Similar customer)
    # would mislead; ``{metric_label}`` and the like are filled from the signal's evidence.
    evidence_labels: ClassVar[dict[str, str]] = {}

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()

    @property
    def label(self) -> str:
        """The detector's name in plain words (``outcome_rise`` → "Outcome rise")."""
        return self.name.replace("_", " ").capitalize()

    def has_weeks(self, ctx: DetectionContext) -> np.ndarray:
        """Per account: does its usage cover the weeks this detector reads?"""
        return ctx.weeks_with_data >= self.weeks_needed

    def run(self, ctx: DetectionContext) -> pd.DataFrame:
        """The detector's signals, or none when the book's usage covers too few weeks."""
        if ctx.weeks_covered < self.weeks_needed:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)
        return self.detect(ctx)

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def signals(
        self,
        ctx: DetectionContext,
        fired: np.ndarray,
        *,
        headline: list[str] | np.ndarray,
        strength: np.ndarray,
        why_now: list[str] | np.ndarray,
        metric: str | None = None,
        window: str = "",
        before: np.ndarray | None = None,
        after: np.ndarray | None = None,
        peer: np.ndarray | None = None,
        target: float | None = None,
        event_date: np.ndarray | None = None,
        action: str | np.ndarray | None = None,
        **structured: object,
    ) -> pd.DataFrame:
        """Build the signal rows for the accounts where ``fired`` is True (arrays are per account,
        except ``headline`` and ``why_now``, which are per fired row).

        ``structured`` holds the evidence drafts and charts read instead of the headline:
        ``milestone``, ``partner`` (a metric key; its label is added), ``upgrade``, ``comment``
        (text, a scalar or an array per account) and ``days`` (a number per account)."""
        idx = np.nonzero(fired)[0]
        n = len(idx)
        if n == 0:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)

        def pick(arr: np.ndarray | None) -> np.ndarray:
            return np.full(n, np.nan) if arr is None else np.asarray(arr, dtype=float)[idx]

        act = action if action is not None else ctx.action_for(metric, self.motion)
        frame = pd.DataFrame(
            {
                "account_id": ctx.account_ids[idx],
                "motion": self.motion,
                "detector": self.name,
                "headline": list(headline),
                "strength": np.round(np.clip(np.asarray(strength, dtype=float)[idx], 0, 1), 3),
                "metric": metric,
                "metric_label": ctx.label(metric) if metric else None,
                "window": window,
                "before": pick(before),
                "after": pick(after),
                "peer": pick(peer),
                "target": np.nan if target is None else float(target),
                "event_date": pd.NaT
                if event_date is None
                else pd.to_datetime(np.asarray(event_date)[idx]),
                **_structured(ctx, idx, structured),
                "goal": ctx.goal_for(metric)[idx],
                "action": act[idx] if isinstance(act, np.ndarray) else act,
                "audience": [list(AUDIENCE[self.motion])] * n,
                "why_now": list(why_now),
            }
        )
        return frame


STRUCTURED = ("milestone", "partner", "partner_label", "upgrade", "comment", "days")
# Facts a framing template may read (insight_engine.outputs.draft builds them from the evidence).
FRAMING_FACTS = frozenset(
    {
        "account",
        "label",
        "label_l",
        "unit",
        "goal_l",
        "tier",
        "before",
        "after",
        "peer",
        "target",
        "change",
        "seats",
        "score",
        "date",
        "days",
        "use_trend",
        "milestone",
        "partner_l",
        "partner_unit",
        "upgrade",
        "comment",
    }
)


def _structured(ctx: DetectionContext, idx: np.ndarray, given: dict) -> dict[str, object]:
    """The structured evidence columns for the fired rows (None where a detector has none)."""
    unknown = set(given) - set(STRUCTURED)
    if unknown:
        raise TypeError(f"unknown evidence fields: {sorted(unknown)}")
    n = len(idx)

    def text(value: object) -> object:
        if value is None:
            return None
        if isinstance(value, np.ndarray):
            return value[idx]
        return [value] * n

    partner = given.get("partner")
    days = given.get("days")
    return {
        "milestone": text(given.get("milestone")),
        "partner": text(partner),
        "partner_label": text(ctx.label(partner) if isinstance(partner, str) else None),
        "upgrade": text(given.get("upgrade")),
        "comment": text(given.get("comment")),
        "days": np.full(n, np.nan) if days is None else np.asarray(days, dtype=float)[idx],
    }


DETECTORS: dict[str, type[Detector]] = {}


def registry_problems(cls: type[Detector]) -> list[str]:
    """What a detector class is missing from its registry entry (empty = complete): a motion,
    a description, a chart kind, the structured evidence it fills, and a framing for every
    reader whose templates read only facts a draft has."""
    problems = []
    for attr in ("name", "motion", "description", "chart", "evidence", "framing"):
        if not getattr(cls, attr, None):
            problems.append(f"no {attr}")
    if getattr(cls, "motion", None) not in MOTIONS:
        problems.append(f"unknown motion {getattr(cls, 'motion', None)!r}")
    if getattr(cls, "chart", None) and cls.chart not in CHART_KINDS:
        problems.append(f"unknown chart kind {cls.chart!r}")
    known = set(EVIDENCE_COLUMNS)
    for field in getattr(cls, "evidence", None) or ():
        if field not in known:
            problems.append(f"unknown evidence field {field!r}")
    for field, label in (getattr(cls, "evidence_labels", None) or {}).items():
        if field not in known:
            problems.append(f"a label for an unknown evidence field {field!r}")
        stray = template_fields(label) - known
        if stray:
            problems.append(f"an evidence label reads unknown fields {sorted(stray)}")
    framing = getattr(cls, "framing", None)
    if framing is not None and not isinstance(framing, Framing):
        problems.append("framing is not a Framing")
    elif framing is not None:
        for part in ("one", "result", "reinforce", "why", "exec_result", "exec_action"):
            if not getattr(framing, part):
                problems.append(f"framing has no {part}")
        for template in framing.templates():
            stray = template_fields(template) - FRAMING_FACTS
            if stray:
                problems.append(f"framing reads unknown facts {sorted(stray)}")
    return problems


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator: add a detector to the registry (refused when its entry is incomplete)."""
    problems = registry_problems(cls)
    if problems:
        raise ValueError(f"{cls.__name__}: {'; '.join(problems)}")
    DETECTORS[cls.name] = cls
    return cls


# ---------------------------------------------------------------------------------------------
# Win


@register
class OutcomeRise(Detector):
    name = "outcome_rise"
    motion = "win"
    chart = "trend"
    evidence = ("metric", "before", "after")
    framing = Framing(
        one=(
            "Your {label_l} are up {change} in four weeks.",
            "{after} {label_l} now, up from {before}: a win worth sharing.",
            "A leading indicator just moved: {label_l} up {change}.",
            "Good news to start the week: {label_l} are climbing.",
        ),
        result=(
            "In a typical week of the last four, {account} had {after} {label_l}, against "
            "{before} in the eight weeks before: up {change}, a sign the work is paying off."
            "[[ The aim: {goal_l}.]][[ Similar {tier} customers typically have {peer}.]]"
        ),
        reinforce=(
            "The habits your team built are working. Keep going: the next gains usually follow within weeks.",
            "This is what steady work looks like from the outside. Keep the rhythm and the trend will keep building.",
        ),
        why="the habits that produced it keep paying off",
        exec_result="{label} rose {change} in four weeks, from {before} to {after}: an early sign of the outcome you asked for.",
        exec_action="No decision needed; the team should keep its current rhythm, and we will bring the trend to the next Alignment Meeting.",
    )
    description = (
        "An outcome metric up meaningfully over the last 4 weeks against the 8 before "
        "(e.g. keywords ranked in the top 10: a leading indicator), or at its best in the weeks "
        "on record (half a year at least; 'this year' only with 52 weeks) and 10%+ above a "
        "quarter ago."
    )

    @property
    def weeks_needed(self) -> int:
        """The recent window and the baseline before it (12 weeks by default)."""
        return self.settings.win_recent_weeks + self.settings.win_baseline_weeks

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        s = ctx.settings
        R, B = s.win_recent_weeks, s.win_baseline_weeks
        weeks = np.minimum(ctx.weeks_with_data, ctx.values.shape[1])
        out = []
        for metric in ctx.metrics_where("outcome"):  # a few catalog metrics, not accounts
            if not ctx.higher_is_better(metric):
                continue
            x = ctx.column(metric)
            if x.shape[1] < R + B:
                continue
            # Medians of each window: a one-day spike or gap cannot make "up 175% in 4 weeks".
            recent = _nanmedian(x[:, -R:], 1)
            base = _nanmedian(x[:, -(R + B) : -R], 1)
            recent_mean = _nanmean(x[:, -R:], 1)
            # A reading in every week, but for at most one week left out as an artefact.
            artefact = ctx.book.weekly.artefacts()[:, -(R + B) :, ctx.catalog.index.get_loc(metric)]
            missing = np.isnan(x[:, -(R + B) :])
            full = (
                self.has_weeks(ctx)
                & ~(missing & ~artefact).any(axis=1)
                & (artefact.sum(axis=1) <= 1)
                & ~(ctx.age_days < 7 * (R + B) + 14)  # an unknown contract start does not bar it
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                uplift = np.where(base > 0, recent / base - 1, np.nan)
            rolling = trailing_mean(x, R)
            rolling[:, : R - 1] = np.nan  # only full windows count
            best_before = (
                np.nanmax(rolling[:, :-1], axis=1, initial=-np.inf)
                if x.shape[1] > R
                else np.full(len(x), np.inf)
            )
            quarter = rolling[:, -14] if x.shape[1] >= 14 + R else np.full(len(x), np.nan)
            with np.errstate(invalid="ignore", divide="ignore"):
                # "best" needs half a year of data and of contract, or onboarding ramps would count
                at_best = (
                    (recent_mean >= best_before)
                    & (recent >= 1.10 * quarter)
                    & (weeks >= HALF_YEAR_WEEKS)
                    & ~(ctx.age_days < 182)
                )
            fired = full & ((uplift >= s.win_uplift) | at_best)
            strength = 0.5 + 0.5 * np.clip((np.nan_to_num(uplift) - s.win_uplift) / 0.3, 0, 1)
            label = ctx.label(metric)
            peer = ctx.tier_median(recent)
            idx = np.nonzero(fired)[0]
            headline = [
                f"{label} up {uplift[i]:.0%} in the last {R} weeks ({_fmt(base[i])} → {_fmt(recent[i])})"
                if uplift[i] >= s.win_uplift
                else f"{label} at its best level {_best_span(weeks[i])} ({_fmt(recent[i])})"
                for i in idx
            ]
            renew = ctx.renewal_note()
            why = [
                f"A leading indicator is moving; recognise it before it fades into the background{renew[i]}"
                for i in idx
            ]
            out.append(
                self.signals(
                    ctx,
                    fired,
                    headline=headline,
                    strength=strength,
                    why_now=why,
                    metric=metric,
                    window=f"last {R} weeks vs the {B} before",
                    before=base,
                    after=recent,
                    peer=peer,
                    action=GENERIC_ACTION["win"],
                )
            )
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=SIGNAL_COLUMNS)


@register
class MilestoneDone(Detector):
    name = "milestone_done"
    motion = "win"
    chart = "timeline"
    evidence = ("milestone", "event_date")
    framing = Framing(
        one=("Milestone reached: {milestone}.", "You did it: {milestone} is complete."),
        result=(
            "Your team completed {milestone} on {date}. It is the point where the work so far "
            "starts paying back the effort of setting it up."
        ),
        reinforce=(
            "Milestones like this are easy to forget once the next task arrives. This one is worth remembering.",
        ),
        why="it marks real value from the work so far",
        exec_result="Your team completed {milestone} on {date}: a concrete return on the project.",
        exec_action="No decision needed; we will build the next step on it and review progress at the next Alignment Meeting.",
        unseen="That finishing {milestone} is a result worth telling their sponsors about.",
    )
    description = "A First Value or Value Block milestone completed in the last 14 days."

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        ms = ctx.book.milestones
        if ms.empty:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)
        as_of = ctx.book.as_of
        recent = (
            ms["kind"].isin(["first_value", "value_block"])
            & ms["completed_date"].notna()
            & (ms["completed_date"] <= as_of)
            & (ms["completed_date"] > as_of - pd.Timedelta(days=ctx.settings.milestone_recent_days))
        )
        ms = ms.loc[recent].sort_values("completed_date").drop_duplicates("account_id", keep="last")
        pos = pd.Index(ctx.account_ids).get_indexer(ms["account_id"])
        ms, pos = ms.loc[pos >= 0], pos[pos >= 0]
        fired = np.zeros(ctx.n_accounts, bool)
        fired[pos] = True
        strength = np.zeros(ctx.n_accounts)
        strength[pos] = np.where(ms["kind"] == "first_value", 0.85, 0.7)
        dates = np.full(ctx.n_accounts, np.datetime64("NaT"), dtype="datetime64[ns]")
        dates[pos] = ms["completed_date"].to_numpy()
        order = np.argsort(pos)
        ms_sorted = ms.iloc[order]
        headline = [
            f"{m} completed on {fmt.day(d)}"
            for m, d in zip(ms_sorted["milestone"], ms_sorted["completed_date"], strict=True)
        ]
        renew = ctx.renewal_note()[np.sort(pos)]
        why = [f"A milestone they worked for deserves recognition this week{r}" for r in renew]
        names = np.full(ctx.n_accounts, None, dtype=object)
        names[pos] = ms["milestone"].astype(str).to_numpy()
        return self.signals(
            ctx,
            fired,
            headline=headline,
            strength=strength,
            why_now=why,
            event_date=dates,
            milestone=names,
            window=f"last {ctx.settings.milestone_recent_days} days",
            action=GENERIC_ACTION["win"],
        )


@register
class NewPromoter(Detector):
    name = "new_promoter"
    motion = "win"
    chart = "survey"
    evidence = ("after", "event_date")
    framing = Framing(
        one=("Thank you for the {score} out of 10.", "A {score} out of 10: thank you."),
        result=(
            "Your latest feedback gave us {score} out of 10.[[ You wrote: \u201c{comment}\u201d]] "
            "We would love to know what made the difference, so we can keep doing more of it."
        ),
        reinforce=("Feedback like this tells us we are on the right track together.",),
        why="it is the moment to learn what is working",
        exec_result="Your team rated us {score} out of 10 in the latest survey.",
        exec_action="A two-line reply on what made the difference would help us keep it that way.",
        admin_action="If you have two minutes, tell me what made the difference; we will make sure it keeps happening.",
        unseen="That their score is worth a thank-you and a question: what made the difference?",
    )
    description = (
        "A new promoter NPS (9–10) in the last 14 days, where the previous response was lower."
    )

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        nps = ctx.book.surveys.loc[lambda s: (s["kind"] == "nps") & (s["date"] <= ctx.book.as_of)]
        if nps.empty:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)
        nps = nps.sort_values(["account_id", "date"])
        nps = nps.assign(previous=nps.groupby("account_id")["score"].shift())
        latest = nps.drop_duplicates("account_id", keep="last")
        ok = (
            (latest["score"] >= 9)
            & (
                latest["date"]
                > ctx.book.as_of - pd.Timedelta(days=ctx.settings.promoter_recent_days)
            )
            & (latest["previous"].isna() | (latest["previous"] < 9))
        )
        return _from_rows(
            self,
            ctx,
            latest.loc[ok],
            strength=0.7,
            headline=lambda r: (
                f"New promoter: NPS {r.score:.0f} on {fmt.day_month(r.date)}"
                + ("" if pd.isna(r.previous) else f" (was {r.previous:.0f})")
            ),
            why=lambda r: "A fresh promoter score is the moment to ask what made the difference",
            before="previous",
            after="score",
            date="date",
            structured={"comment": "comment"},
        )


def _from_rows(
    det: Detector,
    ctx: DetectionContext,
    rows: pd.DataFrame,
    *,
    strength,
    headline,
    why,
    before: str | None = None,
    after: str | None = None,
    date: str | None = None,
    metric: str | None = None,
    structured: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Signals from a small per-account table (one row per fired account); ``structured`` maps
    evidence fields (``milestone``, ``comment``, ``days``…) to the table's columns."""
    pos = pd.Index(ctx.account_ids).get_indexer(rows["account_id"])
    rows, pos = rows.loc[pos >= 0], pos[pos >= 0]
    order = np.argsort(pos)
    rows, pos = rows.iloc[order], pos[order]
    fired = np.zeros(ctx.n_accounts, bool)
    fired[pos] = True

    def spread(values) -> np.ndarray:
        out = np.full(ctx.n_accounts, np.nan)
        out[pos] = values
        return out

    strength_arr = spread(
        rows[strength].to_numpy(dtype=float) if isinstance(strength, str) else strength
    )
    dates = None
    if date:
        dates = np.full(ctx.n_accounts, np.datetime64("NaT"), dtype="datetime64[ns]")
        dates[pos] = rows[date].to_numpy()
    items = list(rows.itertuples(index=False))
    extra = {}
    for field, column in (structured or {}).items():
        if field == "days":
            extra[field] = spread(rows[column].to_numpy(dtype=float))
        else:
            values = np.full(ctx.n_accounts, None, dtype=object)
            values[pos] = [
                str(v) if isinstance(v, str) and v.strip() else None for v in rows[column]
            ]
            extra[field] = values
    return det.signals(
        ctx,
        fired,
        headline=[headline(r) for r in items],
        strength=strength_arr,
        why_now=[why(r) for r in items],
        metric=metric,
        before=spread(rows[before].to_numpy(dtype=float)) if before else None,
        after=spread(rows[after].to_numpy(dtype=float)) if after else None,
        event_date=dates,
        action=GENERIC_ACTION[det.motion] if metric is None else None,
        **extra,
    )


# ---------------------------------------------------------------------------------------------
# Feature


@register
class ComplementGap(Detector):
    name = "complement_gap"
    motion = "feature"
    chart = "comparison"
    evidence = ("metric", "partner", "before", "after", "peer")
    # "Before 1,928 · Now 25" read as one measure falling; they are two capabilities side by side
    evidence_labels: ClassVar[dict[str, str]] = {
        "before": "{partner_label}",
        "after": "{metric_label}",
        "peer": "{metric_label}, a similar customer at that use",
    }
    framing = Framing(
        one=(
            "{label} would get more from your {partner_unit}.",
            "One small habit would get more from your {partner_unit}: {label_l}.",
            "Your team is doing the hard part already; {label_l} would finish the job.",
        ),
        result=(
            "In the last four weeks your team logged {before} {partner_l}, but only {after} "
            "{label_l}. Similar {tier} customers would log about {peer} {unit} at that level of use."
            "[[ The aim: {goal_l}.]]"
        ),
        reinforce=("A few minutes of set-up makes the work your team already does more useful.",),
        why="the work your team already does becomes more useful",
        exec_result="Your team is very active ({before} {partner_l} in four weeks), but one step that gets more from that work is rarely taken: {label_l} ({after} in four weeks).",
        exec_action="Nothing to decide: your admin can set this up in a short working session this week.",
    )
    description = (
        "A capability the account barely uses next to the one it complements, which it uses "
        "heavily — well below the same-tier ratio (e.g. many report views, almost no filters: "
        "irrelevant results are creating noise). Only in otherwise active accounts (usage 50+)."
    )
    weeks_needed = 4

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        out = []
        # Accounts without 4 weeks of data neither fire nor count as peers.
        enough = self.has_weeks(ctx)
        for metric in ctx.catalog.index:
            partner = ctx.catalog_value(metric, "complements")
            if (
                not partner
                or partner not in ctx.catalog.index
                or ctx.catalog.at[metric, "category"] != "adoption"
            ):
                continue
            if ctx.aggregation[metric] != "sum":
                continue  # a level (e.g. campaigns running) cannot be "under-used" against a count
            x = np.where(enough, _window_total(ctx.column(metric)[:, -4:]), np.nan)
            # a count partner adds up over the 4 weeks; a level partner is its average level
            partner_values = ctx.column(partner)[:, -4:]
            y = np.where(
                enough,
                _window_total(partner_values)
                if ctx.aggregation[partner] == "sum"
                else _nanmean(partner_values, 1),
                np.nan,
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = np.where(y > 0, x / y, np.nan)
                y_per_seat = np.where(ctx.seats > 0, y / ctx.seats, np.nan)
            peer_ratio = ctx.tier_median(ratio)
            heavy = y_per_seat >= 0.5 * ctx.tier_median(y_per_seat)
            share = ctx.settings.feature_ratio_share
            # Only a gap when peers' habits would predict real use (10+), so a zero is not noise,
            # and only in otherwise active accounts: in inactive ones the story is a stall or risk.
            expected = peer_ratio * y
            active = np.nan_to_num(ctx.health.components["usage"][:, -1]) >= 50
            fired = (
                enough
                & heavy
                & active
                & (ratio < share * peer_ratio)
                & (expected >= 10)
                & ~(ctx.age_days < 28)
            )
            strength = 0.5 + 0.5 * np.clip(
                1 - np.nan_to_num(ratio / (share * peer_ratio), nan=1.0), 0, 1
            )
            label, plabel = ctx.label(metric), ctx.label(partner)
            idx = np.nonzero(fired)[0]
            unit = str(ctx.catalog_value(partner, "unit") or plabel.lower())
            per = unit[:-1] if unit.endswith("s") and not unit.endswith("ss") else unit
            if ctx.aggregation[partner] == "sum":
                headline = [
                    f"{_fmt(y[i])} {plabel.lower()} in 4 weeks but only {_fmt(x[i])} {label.lower()}"
                    f" (peers: {peer_ratio[i]:.2f} per {per})"
                    for i in idx
                ]
            else:
                headline = [
                    f"{_fmt(y[i])} {plabel.lower()} but only {_fmt(x[i])} {label.lower()} in 4 weeks"
                    f" (peers: {peer_ratio[i]:.1f} per {per})"
                    for i in idx
                ]
            renew = ctx.renewal_note()
            why = [
                f"The team already uses {plabel.lower()}; one habit would make it more useful{renew[i]}"
                for i in idx
            ]
            out.append(
                self.signals(
                    ctx,
                    fired,
                    headline=headline,
                    strength=strength,
                    why_now=why,
                    metric=metric,
                    window="last 4 weeks",
                    before=y,
                    after=x,
                    peer=peer_ratio * y,
                    partner=partner,
                )
            )
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=SIGNAL_COLUMNS)


def _keywords(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{5,}", text.lower()) if w not in _STOP}


@register
class GoalCapabilityIgnored(Detector):
    name = "goal_capability_ignored"
    motion = "feature"
    chart = "comparison"
    evidence = ("metric", "after", "peer")
    framing = Framing(
        one=(
            "A capability made for your goal: {label_l}.",
            "One capability would move your goal forward: {label_l}.",
        ),
        result=(
            "Your team has not used {label_l} in the last four weeks, while similar {tier} "
            "customers log about {peer} {unit} in the same time.[[ The aim: {goal_l}.]]"
        ),
        reinforce=("Small steps toward the goal you named are the ones that add up.",),
        why="it connects directly to the goal you named",
        exec_result="One capability designed for your stated goal is not in use yet: {label_l}.",
        exec_action="Nothing to decide: we will walk your admin through it this week.",
    )
    description = "A capability tied to the account's stated goal that it has not used in 4 weeks, while same-tier peers do."
    weeks_needed = 4

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        out = []
        enough = self.has_weeks(ctx)  # "not used in 4 weeks" needs 4 weeks of data
        goals = pd.Series(ctx.goals, dtype="string").str.lower()
        for metric in ctx.metrics_where("adoption"):
            words = _keywords(str(ctx.catalog_value(metric, "goal") or ""))
            if not words:
                continue
            tied = goals.str.contains("|".join(sorted(words)), regex=True).fillna(False).to_numpy()
            use = np.where(enough, _window_total(ctx.column(metric)[:, -4:]), np.nan)
            peer = ctx.tier_median(use)
            fired = (
                tied
                & (use == 0)
                & (peer >= ctx.settings.feature_goal_min_peer_use)
                & ~(ctx.age_days < 28)
            )
            label = ctx.label(metric)
            idx = np.nonzero(fired)[0]
            headline = [
                f"No {label.lower()} in 4 weeks, though it serves their goal (peers: {_fmt(peer[i])})"
                for i in idx
            ]
            why = ["It connects directly to what they said they wanted"] * len(idx)
            out.append(
                self.signals(
                    ctx,
                    fired,
                    headline=headline,
                    strength=np.full(ctx.n_accounts, 0.6),
                    why_now=why,
                    metric=metric,
                    window="last 4 weeks",
                    after=use,
                    peer=peer,
                )
            )
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=SIGNAL_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Better practice


@register
class BelowTarget(Detector):
    name = "below_target"
    motion = "better_practice"
    chart = "target"
    evidence = ("metric", "after", "target")
    framing = Framing(
        one=(
            "Adding a few more {unit} would sharpen every result you get.",
            "A quick set-up change for better results: {target} {unit} instead of {after}.",
            "Your results will get more precise with {target} {unit}.",
        ),
        result=(
            "Right now {after} {unit} are set up, where {target} or more are recommended: "
            "results are more reliable from a fuller picture.[[ The aim: {goal_l}.]]"
        ),
        reinforce=("Better input means better answers, across everything that depends on it.",),
        why="better input improves every result that depends on it",
        exec_result="A set-up detail is holding back the quality of your results: {after} {unit} set up where {target} are recommended.",
        exec_action="Nothing to decide: your admin can complete it in about ten minutes.",
    )
    description = "A configuration metric below its recommended target (e.g. too few competitors tracked for robust market insights)."
    weeks_needed = 1

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        out = []
        for metric in ctx.metrics_where("configuration"):
            target = ctx.catalog_value(metric, "target")
            if target is None:
                continue
            target = float(target)
            value = ctx.column(metric)[:, -1]
            higher = ctx.higher_is_better(metric)
            share = ctx.settings.practice_target_share
            fired = (value < share * target) if higher else (value > target / share)
            fired &= ~np.isnan(value) & ~(ctx.age_days < 28)
            gap = np.clip(1 - value / target, 0, 1) if higher else np.clip(value / target - 1, 0, 1)
            label = ctx.label(metric)
            peer = ctx.tier_median(value)
            idx = np.nonzero(fired)[0]
            headline = [f"{label}: {_fmt(value[i])} set up, {target:g} recommended" for i in idx]
            why = [
                "Better input improves every insight the platform produces from the next refresh"
            ] * len(idx)
            out.append(
                self.signals(
                    ctx,
                    fired,
                    headline=headline,
                    strength=0.5 + 0.5 * gap,
                    why_now=why,
                    metric=metric,
                    window="this week",
                    after=value,
                    peer=peer,
                    target=target,
                )
            )
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=SIGNAL_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Stall


@register
class MilestoneOverdue(Detector):
    name = "milestone_overdue"
    motion = "stall"
    chart = "timeline"
    evidence = ("milestone", "event_date", "days")
    framing = Framing(
        one=(
            "Let's finish {milestone} together.",
            "One step stands between your team and the next result: {milestone}.",
        ),
        result=(
            "{milestone} was planned for {date} and is still open, {days} days later. It is "
            "usually one or two tasks, and the next steps depend on it."
        ),
        reinforce=("Finishing this step keeps the momentum your team built at kickoff.",),
        why="open steps get harder to close the longer they wait",
        exec_result="One planned step, {milestone}, is behind schedule; closing it keeps the project on its timeline.",
        exec_action="It would help if your team set aside 20 minutes this week to close it with us.",
        admin_action="Could we take 20 minutes this week? I will bring a short checklist and we can finish the open step together.",
        champion_action="Could you help us find 20 minutes with the team this week to close the open step?",
    )
    description = "A milestone (30/60/90-day onboarding, First Value, Value Block) past due and not completed."

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        ms = ctx.book.milestones
        if ms.empty:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)
        as_of = ctx.book.as_of
        late = ms["completed_date"].isna() & (
            ms["due_date"] < as_of - pd.Timedelta(days=ctx.settings.stall_grace_days)
        )
        ms = ms.loc[late].assign(overdue=lambda f: (as_of - f["due_date"]).dt.days)
        ms = ms.sort_values("overdue").drop_duplicates("account_id", keep="last")
        ms = ms.assign(
            strength=0.5
            + 0.5
            * np.clip(ms["overdue"] / 30, 0, 1)
            * np.where(ms["kind"] == "value_block", 0.8, 1.0)
        )
        return _from_rows(
            self,
            ctx,
            ms,
            strength="strength",
            headline=lambda r: (
                f"{r.milestone} is {r.overdue} days overdue (due {fmt.day_month(r.due_date)})"
            ),
            why=lambda r: "Every week a step stays open, the habit it was meant to build fades",
            date="due_date",
            structured={"milestone": "milestone", "days": "overdue"},
        )


@register
class FlatOnboarding(Detector):
    name = "flat_onboarding"
    motion = "stall"
    chart = "activity"
    evidence = ("after", "days")
    framing = Framing(
        one=(
            "A quick restart would get your team back on track.",
            "Let's pick up where your team left off.",
        ),
        result=(
            "Your team's use has stayed low since kickoff, {days} days ago. That is normal in a "
            "busy stretch, and easy to turn around with one short session."
        ),
        reinforce=("A small restart now keeps the early progress from fading.",),
        why="early habits set the pace for everything after",
        exec_result="Your team's start has been slower than planned; a short working session will get it going.",
        exec_action="It would help if you encouraged the team to join a 20-minute session this week.",
    )
    description = (
        "An onboarding account (first 120 days) whose usage is low and not rising after kickoff."
    )
    weeks_needed = 4

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        s = ctx.settings
        usage = ctx.health.components["usage"]
        if usage.shape[1] < 4:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)
        now = _nanmean(usage[:, -2:], 1)
        before = _nanmean(usage[:, -4:-2], 1)
        onboarding = (ctx.age_days <= s.stall_onboarding_days) & (ctx.age_days >= 28)
        fired = self.has_weeks(ctx) & onboarding & (now < s.stall_flat_usage) & ~(now > before + 5)
        idx = np.nonzero(fired)[0]
        headline = [
            f"Usage flat at {_fmt(now[i])}/100 of typical, {int(ctx.age_days[i])} days after kickoff"
            for i in idx
        ]
        why = ["Early habits set the pace for the whole relationship"] * len(idx)
        return self.signals(
            ctx,
            fired,
            headline=headline,
            strength=0.55 + 0.45 * np.clip((s.stall_flat_usage - now) / 50, 0, 1),
            why_now=why,
            window="last 4 weeks",
            before=before,
            after=now,
            days=ctx.age_days,
        )


@register
class NoLogin(Detector):
    name = "no_login"
    motion = "stall"
    chart = "activity"
    evidence = ("after",)
    framing = Framing(
        one=(
            "A quick restart would get your team back on track.",
            "Let's pick up where your team left off.",
        ),
        result=(
            "There has been no activity for {days} days[[, since {date}]]. That is normal in a "
            "busy stretch, and easy to turn around with one short session."
        ),
        reinforce=("A small restart now keeps the early progress from fading.",),
        why="a quiet week is easy to turn around",
        exec_result="Your team has not used the platform for {days} days; a short working session will restart it.",
        exec_action="It would help if you encouraged the team to join a 20-minute session this week.",
    )
    description = (
        "No activity (adoption or active users) for 7 days or more, or none at all in the usage "
        "on record. 'No one has logged in' only when the catalog counts people (a seats or "
        "log-in metric); otherwise 'no activity recorded'."
    )

    @property
    def weeks_needed(self) -> int:
        """Enough weeks that the data can hold ``no_login_days`` quiet days (2 by default): the
        first covered week may hold a single day."""
        return 1 + math.ceil(self.settings.no_login_days / 7)

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        last = ctx.book.weekly.last_active.reindex(ctx.account_ids).to_numpy()
        # Quiet days count to the end of the usage on record, not to an as-of date set later
        # (to see later tickets): the days after the export are unknown, not quiet.
        days = (ctx.book.weekly.data_end.to_datetime64() - last) / np.timedelta64(1, "D")
        never = np.isnan(days)
        # Never active: the quiet days the data can vouch for. The account's own weeks of data
        # (the book's, when usage never names it), counted from the last day of the first week,
        # and never from before the contract started.
        weeks = np.where(ctx.weeks_with_data > 0, ctx.weeks_with_data, ctx.weeks_covered)
        span = 7.0 * (weeks - 1)
        since_start = ctx.age_days <= span  # the data reaches back to the contract start
        days = np.where(never, np.where(since_start, ctx.age_days, span), days)
        fired = ~(ctx.age_days < 0) & (days >= ctx.settings.no_login_days)
        idx = np.nonzero(fired)[0]
        quiet = "No one has logged in" if ctx.tracks_logins else "No activity recorded"
        headline = [
            (
                f"No activity on record since the contract started {int(days[i])} days ago"
                if since_start[i]
                else f"No activity recorded in the {_weeks(int(weeks[i]))} of usage on record"
            )
            if never[i]
            else f"{quiet} for {int(days[i])} days (last activity {fmt.day_month(last[i])})"
            for i in idx
        ]
        why = ["A quiet week is easy to turn around; a quiet month is not"] * len(idx)
        return self.signals(
            ctx,
            fired,
            headline=headline,
            strength=0.55 + 0.45 * np.clip((days - 7) / 21, 0, 1),
            why_now=why,
            window="days since last activity",
            after=days,
            event_date=last,
            days=days,
        )


# ---------------------------------------------------------------------------------------------
# Risk (during onboarding, low usage is reported as a stall, not a risk)


@register
class HealthRisk(Detector):
    name = "health_risk"
    motion = "risk"
    chart = "health"  # the score's own trend, with its red band: what the headline says
    evidence = ("after",)
    framing = Framing(
        one=(
            "A short plan to get more from the platform this month.",
            "Let's make sure the next month delivers what your team needs.",
            "Twenty minutes this week could make the next month much easier.",
        ),
        result="Your team's use of the platform is {use_trend}. We would like to understand what is getting in the way and agree a simple plan with you.",
        reinforce=(
            "Our job is to make sure the platform earns its place in your team's week, and we are here to help.",
        ),
        why="a short conversation now is easier than a long one later",
        exec_result=(
            "Your team's use of the platform is {use_trend}, which puts the results you expected "
            "at risk. We have a simple plan to address it with your team."
        ),
        exec_action="It would help to have 20 minutes with your champion this week to agree the plan and an owner.",
    )
    description = (
        "Health below 50, or down 15+ points in 4 weeks (after onboarding); a drop only where "
        "there was a score 4 weeks ago (usage data then)."
    )
    weeks_needed = 1

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        s = ctx.settings
        score = ctx.health.score
        now = score[:, -1]
        # No score 4 weeks ago (no usage data then) means no drop: NaN compares False below.
        before = score[:, -5] if score.shape[1] > 4 else np.full(len(now), np.nan)
        drop = before - now
        settled = ~(ctx.age_days <= s.stall_onboarding_days)  # unknown start: not onboarding
        fired = settled & ((now < s.risk_health_below) | (drop >= s.risk_health_drop))
        strength = 0.5 + 0.5 * np.maximum(
            np.clip((s.risk_health_below - now) / 40, 0, 1), np.clip(np.nan_to_num(drop) / 40, 0, 1)
        )
        idx = np.nonzero(fired)[0]
        renew = ctx.renewal_note()
        headline = [
            f"Health {now[i]:.0f}/100"
            + (f", down {drop[i]:.0f} points in 4 weeks" if drop[i] >= 1 else "")
            for i in idx
        ]
        why = [
            f"Caught early, a slide is a conversation; caught late, it is a rescue{renew[i]}"
            for i in idx
        ]
        return self.signals(
            ctx,
            fired,
            headline=headline,
            strength=strength,
            why_now=why,
            window="last 4 weeks",
            before=before,
            after=now,
        )


@register
class SupportRisk(Detector):
    name = "support_risk"
    motion = "risk"
    chart = "activity"
    evidence = ("after",)
    framing = Framing(
        one=(
            "A short plan to get more from the platform this month.",
            "Let's make sure the next month delivers what your team needs.",
            "Twenty minutes this week could make the next month much easier.",
        ),
        result=(
            "Your team has raised {after} support requests in the last four weeks[[ (usually "
            "about {before})]], and not every answer has been good enough. We would like to understand what is getting in the way and agree a simple plan with you."
        ),
        reinforce=(
            "Our job is to make sure the platform earns its place in your team's week, and we are here to help.",
        ),
        why="friction felt today colours how the whole product is judged",
        exec_result="Your team has needed more support than usual this month, and not every answer has been good enough. We have a simple plan to address it.",
        exec_action="It would help to have 20 minutes with your champion this week to agree the plan and an owner.",
        unseen="That the support they needed is visible to us, and we want to fix the cause.",
    )
    description = "A support-ticket spike (3+ in 4 weeks and twice the usual rate) or a run of low CSAT (2+ tickets rated 1–2 in 8 weeks)."

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        t = ctx.book.tickets
        if t.empty:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)
        s = ctx.settings
        as_of = ctx.book.as_of
        pos = pd.Index(ctx.account_ids).get_indexer(t["account_id"])
        age = (as_of - t["opened_at"]).dt.days.to_numpy()
        ok = (pos >= 0) & (age >= 0)
        A = ctx.n_accounts
        recent = np.bincount(pos[ok & (age < 28)], minlength=A)
        prior = np.bincount(pos[ok & (age >= 28) & (age < 364)], minlength=A)
        # Tickets per 4 weeks over the rest of the year, or over the ticket history there is;
        # unknown (NaN) when the tickets start within the last 4 weeks.
        history = min(float(np.nanmax(age[ok], initial=0)) + 1, 364.0) - 28
        usual = np.full(A, np.nan) if history < 28 else prior / (history / 28)
        low = ok & (t["csat"].to_numpy(dtype=float) <= 2) & (age < 56)
        low_n = np.bincount(pos[low], minlength=A)
        spike = (recent >= s.risk_ticket_spike) & (recent >= 2 * np.fmax(usual, 1))
        run = low_n >= s.risk_low_csat_run
        fired = spike | run
        idx = np.nonzero(fired)[0]
        headline = [
            (
                f"{recent[i]} support tickets in 4 weeks"
                + ("" if np.isnan(usual[i]) else f" (usually {usual[i]:.1f})")
                if spike[i]
                else ""
            )
            + ("; " if spike[i] and run[i] else "")
            + (f"{low_n[i]} tickets rated 1–2 for satisfaction in 8 weeks" if run[i] else "")
            for i in idx
        ]
        headline = [h[0].upper() + h[1:] for h in headline]
        why = ["Friction the customer feels today colours how they judge the whole product"] * len(
            idx
        )
        strength = 0.55 + 0.45 * np.clip((recent - s.risk_ticket_spike) / 5 + low_n / 6, 0, 1)
        return self.signals(
            ctx,
            fired,
            headline=headline,
            strength=strength,
            why_now=why,
            window="last 4 weeks",
            before=usual,
            after=recent,
        )


@register
class Detractor(Detector):
    name = "detractor"
    motion = "risk"
    chart = "survey"
    evidence = ("after", "event_date")
    framing = Framing(
        one=(
            "A short plan to get more from the platform this month.",
            "Let's make sure the next month delivers what your team needs.",
            "Twenty minutes this week could make the next month much easier.",
        ),
        result=(
            "Your latest feedback was {score} out of 10[[: \u201c{comment}\u201d]]. We take that "
            "seriously. We would like to understand what is getting in the way and agree a simple plan with you."
        ),
        reinforce=(
            "Our job is to make sure the platform earns its place in your team's week, and we are here to help.",
        ),
        why="a quick answer to feedback is how trust comes back",
        exec_result="Your latest feedback tells us we are not yet delivering what you expected. We have a simple plan to address it with your team.",
        exec_action="It would help to have 20 minutes with your champion this week to agree the plan and an owner.",
        unseen="That their feedback was heard, and will change something.",
    )
    description = "A detractor NPS (0–6) in the last 30 days."

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        nps = ctx.book.surveys.loc[lambda s: (s["kind"] == "nps") & (s["date"] <= ctx.book.as_of)]
        if nps.empty:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)
        latest = nps.sort_values(["account_id", "date"]).drop_duplicates("account_id", keep="last")
        ok = (latest["score"] <= 6) & (
            latest["date"] > ctx.book.as_of - pd.Timedelta(days=ctx.settings.risk_detractor_days)
        )
        rows = latest.loc[ok].assign(strength=lambda f: 0.6 + 0.4 * (6 - f["score"]) / 6)
        return _from_rows(
            self,
            ctx,
            rows,
            strength="strength",
            headline=lambda r: (
                f"Detractor NPS {r.score:.0f} on {fmt.day_month(r.date)}"
                + (f": \u201c{r.comment}\u201d" if isinstance(r.comment, str) and r.comment else "")
            ),
            why=lambda r: "A detractor who hears back within days often becomes a promoter",
            after="score",
            date="date",
            structured={"comment": "comment"},
        )


@register
class LowSeatUse(Detector):
    name = "low_seat_use"
    motion = "risk"
    chart = "seats"
    evidence = ("metric", "after")
    framing = Framing(
        one=(
            "A short plan to get more from the platform this month.",
            "Let's make sure the next month delivers what your team needs.",
            "Twenty minutes this week could make the next month much easier.",
        ),
        result="{after} of your {seats} seats were in use this week. We would like to understand what is getting in the way and agree a simple plan with you.",
        reinforce=(
            "Our job is to make sure the platform earns its place in your team's week, and we are here to help.",
        ),
        why="more of the team gets the value you are paying for",
        exec_result="{after} of {seats} seats are in use: much of what you pay for is idle. We have a simple plan to change that with your team.",
        exec_action="It would help to have 20 minutes with your champion this week to agree the plan and an owner.",
        unseen="That many of the seats they pay for are idle, and why that matters at budget time.",
    )
    description = "Active users under 40% of licensed seats (after onboarding)."
    weeks_needed = 1

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        seats_metrics = ctx.metrics_where("seats")
        if not seats_metrics:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)
        metric = seats_metrics[0]
        active = ctx.column(metric)[:, -1]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(ctx.seats > 0, active / ctx.seats, np.nan)
        fired = ~(ctx.age_days <= ctx.settings.stall_onboarding_days) & (
            share < ctx.settings.risk_seat_use_below
        )
        idx = np.nonzero(fired)[0]
        headline = [
            # people are whole: "7 of 35 seats", never "7.3 of 35" (a weekly average of days)
            f"{round(active[i]):,} of {int(ctx.seats[i])} seats in use ({share[i]:.0%})"
            for i in idx
        ]
        renew = ctx.renewal_note()
        why = [f"Unused seats are the first line a budget review cuts{renew[i]}" for i in idx]
        return self.signals(
            ctx,
            fired,
            headline=headline,
            strength=0.5 + 0.5 * np.clip((0.4 - share) / 0.3, 0, 1),
            why_now=why,
            metric=metric,
            window="this week",
            after=active,
            target=None,
        )


@register
class RenewalAtRisk(Detector):
    name = "renewal_at_risk"
    motion = "risk"
    chart = "activity"
    evidence = ("after", "days")
    framing = Framing(
        one=(
            "A short plan to get more from the platform this month.",
            "Let's make sure the next month delivers what your team needs.",
            "Twenty minutes this week could make the next month much easier.",
        ),
        result="Your team's use of the platform is {use_trend}, and the renewal is {days} days away. We would like to understand what is getting in the way and agree a simple plan with you.",
        reinforce=(
            "Our job is to make sure the platform earns its place in your team's week, and we are here to help.",
        ),
        why="there is still time to make the value clear",
        exec_result="Your renewal is {days} days away, and your team's use of the platform is {use_trend}. We want the value to be clear well before then.",
        exec_action="It would help to have 20 minutes with your champion this week to agree the plan and an owner.",
    )
    description = "Renewal within 120 days while health is below 60."
    weeks_needed = 1

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        s = ctx.settings
        now = ctx.health.score[:, -1]
        d = ctx.days_to_renewal
        fired = (d >= 0) & (d <= s.risk_renewal_days) & (now < s.risk_renewal_health)
        idx = np.nonzero(fired)[0]
        headline = [f"Renewal in {int(d[i])} days with health at {now[i]:.0f}/100" for i in idx]
        why = ["There is still time to show value before the renewal conversation"] * len(idx)
        return self.signals(
            ctx,
            fired,
            headline=headline,
            strength=0.6 + 0.4 * np.clip((s.risk_renewal_days - d) / s.risk_renewal_days, 0, 1),
            why_now=why,
            window="until renewal",
            after=now,
            days=d,
        )


# ---------------------------------------------------------------------------------------------
# Expansion


@register
class SeatCeiling(Detector):
    name = "seat_ceiling"
    motion = "expansion"
    chart = "seats"
    evidence = ("metric", "after")
    framing = Framing(
        one=(
            "{after} of your {seats} seats are in use every week.",
            "Your team is close to its seat limit.",
        ),
        result=(
            "Week after week {after} of your {seats} seats are in use. New colleagues will soon "
            "have to wait for a seat, which slows the rollout you planned."
        ),
        reinforce=("Full seats are a sign the platform has become part of how your team works.",),
        why="the team is close to its ceiling",
        exec_result="Your team uses {after} of its {seats} seats every week: the platform is now part of how they work.",
        exec_action="Worth a short conversation about whether more seats would support the next phase.",
        champion_action="It may be worth a conversation about seats before the next group of people needs access.",
    )
    description = (
        "Active users above 90% of licensed seats over the last 2 weeks (a reading in each)."
    )
    weeks_needed = 2

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        seats_metrics = ctx.metrics_where("seats")
        if not seats_metrics:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)
        metric = seats_metrics[0]
        last_two = ctx.column(metric)[:, -2:]
        active = np.where(np.isnan(last_two).any(axis=1), np.nan, _nanmean(last_two, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(ctx.seats > 0, active / ctx.seats, np.nan)
        fired = self.has_weeks(ctx) & (share > ctx.settings.expansion_seat_use)
        idx = np.nonzero(fired)[0]
        headline = [
            f"{active[i]:,.0f} of {int(ctx.seats[i])} seats in use on average over the last "
            f"2 weeks ({share[i]:.0%})"
            for i in idx
        ]
        renew = ctx.renewal_note()
        why = [
            f"The team is close to its ceiling; new people will have to wait for a seat{renew[i]}"
            for i in idx
        ]
        return self.signals(
            ctx,
            fired,
            headline=headline,
            strength=0.5 + 0.5 * np.clip((share - 0.9) / 0.1, 0, 1),
            why_now=why,
            metric=metric,
            window="last 2 weeks",
            after=active,
            target=None,
        )


@register
class HeavyUpgradeUse(Detector):
    name = "heavy_upgrade_use"
    motion = "expansion"
    chart = "comparison"
    evidence = ("metric", "after", "upgrade")
    framing = Framing(
        one=(
            "Your team uses {label_l} far more than most: {upgrade} is built for that.",
            "{label} at {after} times the typical level per seat.",
        ),
        result=(
            "For eight weeks your team's {label_l} per seat has run at {after} times the typical "
            "{tier} customer's. That is the kind of use {upgrade} is built for."
        ),
        reinforce=("Use like this is a sign the work has found its place in your team's week.",),
        why="the team can keep its pace without working around limits",
        exec_result="Your team relies on {label_l} far more than similar {tier} customers, at {after} times the typical level: {upgrade} is built for teams working this way.",
        exec_action="Worth a short conversation about whether {upgrade} would support the next phase.",
        champion_action="It may be worth a short look at what {upgrade} adds, before the team's pace runs into limits.",
        unseen="That their use has outgrown what they bought: {upgrade} is built for it.",
    )
    description = (
        "Sustained heavy use (per seat, at least twice the tier median every one of the last 8 weeks) "
        "of a capability the catalog maps to a higher tier or add-on (metrics.upgrade)."
    )
    weeks_needed = 8

    def detect(self, ctx: DetectionContext) -> pd.DataFrame:
        out = []
        enough = self.has_weeks(ctx)
        for metric in ctx.catalog.index:
            upgrade = ctx.catalog_value(metric, "upgrade")
            if not upgrade:
                continue
            x = ctx.column(metric)[:, -8:] / np.where(ctx.seats > 0, ctx.seats, np.nan)[:, None]
            med = np.column_stack(
                [ctx.tier_median(x[:, k]) for k in range(x.shape[1])]
            )  # 8 weeks, not accounts
            multiple = x / np.where(med > 0, med, np.nan)
            fired = enough & (np.nan_to_num(multiple) >= ctx.settings.expansion_heavy_use).all(
                axis=1
            )
            mean_multiple = _nanmean(multiple, 1)
            idx = np.nonzero(fired)[0]
            label = ctx.label(metric)
            headline = [
                f"{label} at {mean_multiple[i]:.1f}× the typical level per seat for 8 weeks"
                for i in idx
            ]
            why = [f"Usage like this is what {upgrade} is built for"] * len(idx)
            out.append(
                self.signals(
                    ctx,
                    fired,
                    headline=headline,
                    strength=0.5 + 0.25 * np.clip(mean_multiple - 2, 0, 2),
                    why_now=why,
                    metric=metric,
                    window="last 8 weeks",
                    after=mean_multiple,
                    action=f"Show the champion what {upgrade} adds for a team working at this level.",
                    upgrade=upgrade,
                )
            )
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=SIGNAL_COLUMNS)


# ---------------------------------------------------------------------------------------------


def _plain(value: object) -> object:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, (float, np.floating)):
        return round(float(value), 3)
    return value


def signal_records(signals: pd.DataFrame, account_id: str | None = None) -> list[dict]:
    """Signals as plain dicts with an ``evidence`` dict (for one account, or all), built on demand:
    the table itself stays columnar, so ranking a 10,000-account book builds no dicts."""
    rows = signals if account_id is None else signals.loc[signals["account_id"] == account_id]
    out = []
    for rec in rows.to_dict("records"):
        evidence = {k: _plain(rec.pop(k)) for k in EVIDENCE_COLUMNS}
        out.append(
            {
                **{k: _plain(v) if not isinstance(v, list) else v for k, v in rec.items()},
                "evidence": evidence,
            }
        )
    return out


def detect(
    book: Book,
    health: HealthScore,
    settings: DetectorSettings | None = None,
    *,
    only: list[str] | None = None,
) -> pd.DataFrame:
    """Run every registered detector (or ``only`` those named) over the whole book.

    Parameters
    ----------
    book : Book
        A loaded book.
    health : HealthScore
        Its health score.
    settings : DetectorSettings, optional
        Thresholds; defaults documented in the README.
    only : list of str, optional
        Detector names to run.

    Returns
    -------
    pandas.DataFrame
        One row per signal, columns :data:`SIGNAL_COLUMNS`, strongest first within each account.
    """
    ctx = DetectionContext.build(book, health, settings)
    frames = [DETECTORS[name](ctx.settings).run(ctx) for name in (only or DETECTORS)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    signals = pd.concat(frames, ignore_index=True)
    signals["strength"] = signals["strength"].astype(float)
    return signals.sort_values(
        ["account_id", "strength"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)


def coverage_notes(book: Book, settings: DetectorSettings | None = None) -> list[str]:
    """What is out of view, in plain words: rows dated after the as-of date, usage that ends
    before it, and detectors that are off because the usage covers too few weeks.

    Parameters
    ----------
    book : Book
        A loaded book.
    settings : DetectorSettings, optional
        Thresholds (some detectors' windows are settings).

    Returns
    -------
    list of str
        One sentence per detector that stays quiet, e.g. "Usage covers 1 week; 'Outcome rise'
        needs 12 weeks and is off."; empty when every detector can run.
    """
    covered = book.weekly.weeks_covered
    notes = []
    if book.later:
        parts = [f"{table} (to {fmt.day_month(date)})" for table, date in book.later.items()]
        latest = max(book.later.values())
        notes.append(
            f"{', '.join(parts)[:1].upper()}{', '.join(parts)[1:]} have rows after the as-of date "
            f"{fmt.day(book.as_of)}, so they are not in this week's view: set the as-of date to "
            f"{latest:%Y-%m-%d} to include them."
        )
    weekly = book.weekly
    if weekly.last_week < weekly.shape[1] - 1:
        notes.append(
            f"Usage ends on {fmt.day(weekly.data_end)}, before the as-of date "
            f"{fmt.day(book.as_of)}: the weeks after it are no data, so signals that read this "
            "week's usage are quiet, health keeps the last usage on record, and quiet days are "
            "counted to the end of the usage."
        )
    from insight_engine.analysis.artefacts import (
        partial_day_note,  # artefacts imports the book only
    )

    partial = partial_day_note(book)
    if partial:
        notes.append(partial)
    off = [
        f"'{det.label}' needs {_weeks(det.weeks_needed)}"
        for det in (cls(settings) for cls in DETECTORS.values())  # a few detectors, not accounts
        if covered < det.weeks_needed
    ]
    if off:
        notes.append(
            f"Usage covers {_weeks(covered)}, so {plural(len(off), 'kind')} of signal "
            f"{'is' if len(off) == 1 else 'are'} off: "
            f"{'; '.join(off)}. Load more weeks of usage to turn them on."
        )
    return notes
