"""Health score: 0–100 per account per week, with a component breakdown that explains itself.

Four components (default weights from the play: usage 40%, support 30%, NPS/CSAT 20%,
engagement with the CSM 10%), each scored 0–100:

- **usage** — each adoption metric per licensed seat, averaged over the trailing 4 weeks (those
  with data),
  against the median of the same-tier accounts (capped at 100% of the median; the whole book's
  when the tier has fewer than ``min_tier_peers`` with data), a core metric also against the
  account's own last 8 weeks (the lower counts), and seats in use against licensed seats
  (70%+ in use scores full marks); averaged over the metrics the account has.
- **support** — mean ticket CSAT over the last ``support_window_weeks`` (1 → 0, 5 → 100),
  minus 15 points per high or urgent ticket still open at the end of the week. Tickets but no
  CSAT score 75 before the penalty; no tickets in the window score 85 (no friction reported).
  Only when no tickets table is provided is the component missing.
- **survey** — the latest NPS (×10) or CSAT ((score − 1) / 4 × 100) response, valid for
  ``survey_valid_weeks``.
- **engagement** — days since the last meeting note or insight: full marks within
  ``engagement_full_days``, zero at ``engagement_zero_days``.

A missing component gives its weight to the others in proportion, and the breakdown says so.
An account has a score only in the weeks its usage covers (:attr:`WeeklyUsage.covered
<insight_engine.book.rollup.WeeklyUsage.covered>`): before its first usage row there is no score, not a
low one, so a one-day snapshot has one week of health and no "change in 4 weeks".
Everything is computed on (accounts × weeks) arrays; there is no loop over accounts.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight_engine.book.book import Book
from insight_engine.settings import HealthSettings

__all__ = [
    "COMPONENTS",
    "HealthScore",
    "band_of",
    "compute_health",
    "core_metrics",
    "trailing_mean",
]

COMPONENTS = ("usage", "support", "survey", "engagement")
COMPONENT_LABELS = {
    "usage": "Product usage",
    "support": "Support sentiment",
    "survey": "NPS / CSAT",
    "engagement": "Engagement with the CSM",
}
SEATS_FULL_MARKS = 0.70
USAGE_WINDOW_WEEKS = 4  # adoption is compared over a trailing 4 weeks: one quiet week is noise
NO_FRICTION_SCORE = 85.0  # tickets are tracked but none in the window: no friction reported
OPEN_TICKET_PENALTY = 15.0


def band_of(score: np.ndarray | float, settings: HealthSettings) -> np.ndarray:
    """``red`` / ``yellow`` / ``green`` (``unknown`` for NaN)."""
    s = np.asarray(score, dtype=float)
    return np.where(
        np.isnan(s),
        "unknown",
        np.where(
            s < settings.red_below, "red", np.where(s > settings.green_above, "green", "yellow")
        ),
    )


@dataclass
class HealthScore:
    """Health per account per week, with components, effective weights and contributions."""

    score: np.ndarray  # (A, W)
    components: dict[str, np.ndarray]  # each (A, W), NaN = missing
    weights: dict[str, np.ndarray]  # effective weight 0–1 per (A, W)
    account_ids: pd.Index
    week_ends: pd.DatetimeIndex
    settings: HealthSettings
    # (A, W, k) float32: each metric's points of the usage component (they add up to it), and
    # the metrics' labels — what "why did the score move" names.
    usage_points: np.ndarray | None = None
    usage_metrics: list[str] | None = None

    def contribution(self, name: str) -> np.ndarray:
        """Points of the score that come from one component (weight used × component score)."""
        return np.nan_to_num(self.weights[name] * self.components[name])

    def latest(self, *, weeks_back: int = 4) -> pd.DataFrame:
        """Per account: health now, band, change over ``weeks_back`` weeks, and each component."""
        now = self.score[:, -1]
        before = (
            self.score[:, -1 - weeks_back]
            if self.score.shape[1] > weeks_back
            else np.full_like(now, np.nan)
        )
        frame = pd.DataFrame(
            {
                "account_id": self.account_ids,
                "health": np.round(now, 1),
                "band": band_of(now, self.settings),
                f"change_{weeks_back}w": np.round(now - before, 1),
            }
        )
        for name in COMPONENTS:
            frame[name] = np.round(self.components[name][:, -1], 1)
        missing = np.stack([np.isnan(self.components[n][:, -1]) for n in COMPONENTS], axis=1)
        names = np.array([COMPONENT_LABELS[n] for n in COMPONENTS])
        frame["missing"] = [", ".join(names[row]) for row in missing]
        return frame

    def _index(self, account_id: str) -> int:
        try:
            return int(self.account_ids.get_loc(account_id))
        except KeyError:
            raise KeyError(f"No account {account_id!r} in this book.") from None

    def history(self, account_id: str) -> pd.DataFrame:
        """Week-by-week score and components for one account."""
        i = self._index(account_id)
        frame = pd.DataFrame({"week_end": self.week_ends, "health": self.score[i]})
        for name in COMPONENTS:
            frame[name] = self.components[name][i]
            frame[f"{name}_points"] = self.contribution(name)[i]
        return frame

    def breakdown(self, account_id: str, week: int = -1) -> pd.DataFrame:
        """One row per component: its score, nominal and used weight, points, and a note."""
        i = self._index(account_id)
        nominal = self.settings.weights()
        total = sum(nominal.values())
        rows = []
        for name in COMPONENTS:
            value = self.components[name][i, week]
            used = self.weights[name][i, week]
            note = ""
            if np.isnan(value):
                note = f"No data — its {nominal[name] / total:.0%} weight was shared among the other components."
            rows.append(
                {
                    "component": COMPONENT_LABELS[name],
                    "score": None if np.isnan(value) else round(float(value), 1),
                    "weight": round(nominal[name] / total * 100, 1),
                    "weight_used": round(float(used) * 100, 1),
                    "points": round(float(np.nan_to_num(used * value)), 1),
                    "note": note,
                }
            )
        return pd.DataFrame(rows)

    def usage_drivers(self, account_id: str, *, weeks: int = 4, k: int = 3) -> pd.DataFrame:
        """The metrics that moved the usage component most over ``weeks``: metric label, its
        points of the usage component then and now, and the change in points of the score."""
        i = self._index(account_id)
        cols = ["metric", "before", "now", "score_points"]
        if self.usage_points is None or not self.usage_metrics or weeks >= self.score.shape[1]:
            return pd.DataFrame(columns=cols)
        now = self.usage_points[i, -1].astype(float)
        before = self.usage_points[i, -1 - weeks].astype(float)
        share_now = self.weights["usage"][i, -1]
        share_before = self.weights["usage"][i, -1 - weeks]
        delta = np.nan_to_num(now * share_now) - np.nan_to_num(before * share_before)
        order = np.argsort(-np.abs(delta))[:k]
        frame = pd.DataFrame(
            {
                "metric": np.asarray(self.usage_metrics, dtype=object)[order],
                "before": before[order],
                "now": now[order],
                "score_points": delta[order],
            }
        )
        return frame.loc[frame["score_points"].abs() >= 0.05].reset_index(drop=True)

    def _usage_drivers(self, i: int, weeks: int) -> str:
        drivers = self.usage_drivers(self.account_ids[i], weeks=weeks)
        if drivers.empty:
            return ""
        parts = [f"{r.metric} {r.score_points:+.1f}" for r in drivers.itertuples()]
        return " Driven by: " + ", ".join(parts) + " points."

    def explain_change(self, account_id: str, *, weeks: int = 4) -> list[str]:
        """Why did the score move? Plain-English sentences, biggest mover first."""
        i = self._index(account_id)
        W = self.score.shape[1]
        if weeks >= W:
            return ["Not enough weeks of history to compare yet."]
        now, before = self.score[i, -1], self.score[i, -1 - weeks]
        if np.isnan(now):
            return [
                "No health score yet: the account has no usage, tickets, surveys or meetings on record."
            ]
        if np.isnan(before):
            return [
                f"Health is {now:.0f}; there is no score from {weeks} weeks ago to compare with."
            ]
        delta = now - before
        direction = "rose" if delta > 0.5 else "fell" if delta < -0.5 else "held steady"
        head = (
            f"Health {direction} from {before:.0f} to {now:.0f} over {weeks} weeks"
            if direction != "held steady"
            else f"Health held steady at {now:.0f} over {weeks} weeks"
        )
        sentences = [head + "."]
        moves = []
        for name in COMPONENTS:
            c_now, c_before = self.components[name][i, -1], self.components[name][i, -1 - weeks]
            p_delta = self.contribution(name)[i, -1] - self.contribution(name)[i, -1 - weeks]
            label = COMPONENT_LABELS[name]
            if np.isnan(c_now) and np.isnan(c_before):
                continue
            if np.isnan(c_before):
                text = f"{label} now counts ({c_now:.0f}/100), adding {p_delta:+.1f} points."
            elif np.isnan(c_now):
                text = f"{label} has no recent data, so its weight moved to the other components ({p_delta:+.1f} points)."
            else:
                if round(c_now) == round(c_before):
                    text = f"{label} held at {c_now:.0f} ({p_delta:+.1f} points of the score)."
                else:
                    verb = "rose" if c_now > c_before else "fell"
                    text = f"{label} {verb} from {c_before:.0f} to {c_now:.0f} ({p_delta:+.1f} points of the score)."
            if name == "usage":
                text += self._usage_drivers(i, weeks)
            moves.append((abs(p_delta), text))
        moves.sort(key=lambda t: -t[0])
        sentences += [t for _, t in moves if _ > 0.05] or [
            "No component moved by more than a tenth of a point."
        ]
        return sentences


def _week_index(dates: pd.Series, week_ends: pd.DatetimeIndex, pad: int) -> np.ndarray:
    """Week position (with ``pad`` extra weeks before the first) of each date; −1 if after the last week."""
    as_of = week_ends[-1]
    days_before = (as_of - pd.to_datetime(dates)).dt.days.to_numpy()
    W = len(week_ends) + pad
    idx = (W - 1) - np.floor_divide(days_before, 7)
    idx = np.where(days_before < 0, -1, idx)
    return np.clip(idx, -1, W - 1).astype(
        np.int64
    )  # earlier than the padded grid → 0 via clip below


def trailing_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean over the trailing ``window`` weeks along axis 1, ignoring NaN (cumulative sums, no loop)."""
    filled = np.nan_to_num(values)
    present = (~np.isnan(values)).astype(float)
    csum, ccount = np.cumsum(filled, axis=1), np.cumsum(present, axis=1)
    csum[:, window:] = csum[:, window:] - csum[:, :-window]
    ccount[:, window:] = ccount[:, window:] - ccount[:, :-window]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ccount > 0, csum / ccount, np.nan)


def _seats_or_typical(book: Book) -> np.ndarray:
    """Licensed seats per account; where unknown, the median of the same tier's known seats
    (1 when no account of the tier says), so activity is still compared with peers."""
    seats = book.accounts["licensed_seats"].to_numpy(dtype=float)
    known = np.where(seats > 0, seats, np.nan)
    typical = (
        pd.Series(known).groupby(book.accounts["tier"].to_numpy()).transform("median").to_numpy()
    )
    return np.where(np.isnan(known), np.nan_to_num(typical, nan=1.0), known)


CORE_WINDOW_WEEKS = 12  # "most accounts use it": use in the last 12 weeks


def core_metrics(book: Book, settings: HealthSettings | None = None) -> np.ndarray:
    """Per metric of the weekly cube: is it a core capability (True) or a long-tail feature?

    The catalog's ``core`` column decides where it says; otherwise a metric is core when at
    least ``core_share`` of the accounts with usage used it (a value above zero) in the last
    ``CORE_WINDOW_WEEKS`` weeks. A catalog of one metric per feature (each account uses a few)
    has no core adoption metric; a catalog of a few metrics everyone uses is all core.
    """
    settings = settings or HealthSettings()
    weekly = book.weekly
    values = weekly.values[:, -CORE_WINDOW_WEEKS:, :]
    used = (np.nan_to_num(values) > 0).any(axis=1)  # (A, M)
    with_usage = np.asarray(weekly.first_week) < weekly.values.shape[1]
    share = used[with_usage].mean(axis=0) if with_usage.any() else np.zeros(used.shape[1])
    derived = share >= settings.core_share
    catalog = book.metrics.set_index("metric").reindex(weekly.metrics)
    if "core" not in catalog:
        return derived
    given = catalog["core"].astype("string").str.strip().str.lower()
    said = given.isin(["true", "false"]).fillna(False).to_numpy(dtype=bool)
    return np.where(said, given.eq("true").fillna(False).to_numpy(dtype=bool), derived)


OWN_RECENT_WEEKS = 2  # "dropped to zero": two weeks, so one quiet week is noise
OWN_BASELINE_WEEKS = 8  # the account's own level before them
OWN_FULL_MARKS = 0.5  # at half its own level or more, full marks: a collapse, not noise


def _own_history_ratio(raw: np.ndarray) -> np.ndarray:
    """(A, W, k): each metric's last ``OWN_RECENT_WEEKS`` weeks against the account's own
    ``OWN_BASELINE_WEEKS`` weeks before them, scored 0–1 (1 from ``OWN_FULL_MARKS`` of its own
    level); NaN where the account has no level of its own yet (no history, or zero)."""
    recent = trailing_mean(raw, OWN_RECENT_WEEKS)
    base = np.full(raw.shape, np.nan)
    if raw.shape[1] > OWN_RECENT_WEEKS:
        base[:, OWN_RECENT_WEEKS:] = trailing_mean(raw, OWN_BASELINE_WEEKS)[:, :-OWN_RECENT_WEEKS]
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(base > 0, recent / base / OWN_FULL_MARKS, np.nan)
    return np.clip(own, 0, 1)


def _usage_component(
    book: Book, settings: HealthSettings
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The usage component (A, W), each metric's points of it (A, W, k) and the metrics' labels.

    Each adoption metric per licensed seat (trailing 4 weeks, artefact weeks left out) is scored
    against the same tier's peers *for that metric* (full marks at their median; the whole
    book's peers where the tier has fewer than ``min_tier_peers`` with data that week), a core
    one also against the account's own recent history (the lower of the two counts), each seats
    metric against licensed seats. Core metrics count ``core_weight`` times; a long-tail feature
    counts only from the week the account first used it, so a product with one metric per
    feature does not mark every account down for the 30 features it never needed.
    """
    weekly = book.weekly
    values_all = weekly.clean_values()
    cats = book.metrics.set_index("metric").reindex(weekly.metrics)["category"].to_numpy()
    core = core_metrics(book, settings)
    tiers = book.accounts["tier"].to_numpy()
    A, W, _M = weekly.values.shape
    ratios, weights, keys = [], [], []
    adoption = np.nonzero(cats == "adoption")[0]
    if len(adoption):
        # Per licensed seat, so a 5-seat account is not "low usage" beside a 50-seat one.
        per_seat = _seats_or_typical(book)[:, None, None]
        raw = values_all[:, :, adoption]
        values = trailing_mean(raw, USAGE_WINDOW_WEEKS) / per_seat  # (A, W, k)
        ratio = np.full(values.shape, np.nan)
        active = np.where(values > 0, values, np.nan)
        with warnings.catch_warnings():  # an all-empty cohort week is fine: it stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            book_median = np.nanmedian(active, axis=0)  # (W, k): the whole book's peers
        for tier in pd.unique(tiers):  # a handful of cohorts, not a loop over accounts
            rows = tiers == tier
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                median = np.nanmedian(active[rows], axis=0)  # (W, k): the tier's peers, per metric
            # Too few peers with data in the tier that week (2 Starter accounts): their median
            # says little, so the metric is scored against the whole book's peers instead.
            peers = (~np.isnan(active[rows])).sum(axis=0)
            median = np.where(peers >= settings.min_tier_peers, median, book_median)
            with np.errstate(invalid="ignore", divide="ignore"):
                # No active peer that week: any activity counts as full marks, none as zero.
                fallback = np.where(
                    np.isnan(values[rows]), np.nan, (values[rows] > 0).astype(float)
                )
                ratio[rows] = np.where(median > 0, values[rows] / median, fallback)
        is_core = core[adoption][None, None, :]
        ratio = np.clip(ratio, 0, 1)
        # Each core metric also against the account's own recent history: the last
        # OWN_RECENT_WEEKS against the OWN_BASELINE_WEEKS before them (full marks from
        # OWN_FULL_MARKS of it), so a core metric that drops to zero lowers the component even
        # when the peers' median drops too or the account is far above them.
        own = _own_history_ratio(raw)
        ratio = np.where(is_core & ~np.isnan(own) & ~np.isnan(ratio), np.fmin(ratio, own), ratio)
        used_yet = np.maximum.accumulate(np.nan_to_num(raw) > 0, axis=1)
        weight = np.where(is_core, settings.core_weight, np.where(used_yet, 1.0, 0.0))
        ratios.append(ratio)
        weights.append(weight)
        keys += list(weekly.metrics[adoption])
    seats = np.nonzero(cats == "seats")[0]
    if len(seats):
        licensed = book.accounts["licensed_seats"].to_numpy(dtype=float)[:, None, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            use = np.where(licensed > 0, values_all[:, :, seats] / licensed, np.nan)
        ratios.append(np.clip(use / SEATS_FULL_MARKS, 0, 1))
        weights.append(np.full(use.shape, settings.core_weight))  # seats in use: always core
        keys += list(weekly.metrics[seats])
    if not ratios:
        return np.full((A, W), np.nan), np.zeros((A, W, 0), dtype=np.float32), []
    ratio = np.concatenate(ratios, axis=2)
    weight = np.where(np.isnan(ratio), 0.0, np.concatenate(weights, axis=2))
    total = weight.sum(axis=2)
    any_value = (~np.isnan(ratio)).any(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        points = 100 * np.where(
            total[:, :, None] > 0, weight * np.nan_to_num(ratio) / total[:, :, None], 0.0
        )
    # Weeks with readings but no metric that counts yet (nothing core, no feature used): 0.
    score = np.where(any_value, points.sum(axis=2), np.nan)
    labels = (
        book.metrics.set_index("metric")["label"].reindex(keys).fillna(pd.Series(keys, index=keys))
    )
    return score, points.astype(np.float32), [str(x) for x in labels]


def _support_component(book: Book, settings: HealthSettings) -> np.ndarray:
    A, W = len(book.accounts), len(book.weekly.week_ends)
    if not book.has("tickets"):
        return np.full((A, W), np.nan)
    t = book.tickets
    acct = book.weekly.account_ids.get_indexer(t["account_id"])
    ok = acct >= 0
    t, acct = t.loc[ok], acct[ok]
    win = settings.support_window_weeks
    Wp = W + win
    opened = _week_index(t["opened_at"], book.weekly.week_ends, win).clip(0)
    closed_known = t["closed_at"].notna().to_numpy()
    closed = np.where(
        closed_known, _week_index(t["closed_at"].fillna(book.as_of), book.weekly.week_ends, win), -1
    )
    future_open = _week_index(t["opened_at"], book.weekly.week_ends, win) < 0
    # tickets per week (window counts) and CSAT sums
    valid = ~future_open
    flat = acct[valid] * Wp + opened[valid]
    n = np.bincount(flat, minlength=A * Wp).reshape(A, Wp)
    csat = t["csat"].to_numpy(dtype=float)
    has_csat = valid & ~np.isnan(csat)
    csat_week = np.where(closed >= 0, closed, opened).clip(0)
    cflat = acct[has_csat] * Wp + csat_week[has_csat]
    cs = np.bincount(cflat, weights=csat[has_csat], minlength=A * Wp).reshape(A, Wp)
    cn = np.bincount(cflat, minlength=A * Wp).reshape(A, Wp)

    def rolling(x: np.ndarray) -> np.ndarray:
        c = np.cumsum(x, axis=1)
        out = c.copy()
        out[:, win:] = c[:, win:] - c[:, :-win]
        return out[:, win:]

    n_w, cs_w, cn_w = rolling(n), rolling(cs), rolling(cn)
    high = t["priority"].isin(["high", "urgent"]).to_numpy() & valid
    delta = np.zeros(A * (Wp + 1))
    np.add.at(delta, acct[high] * (Wp + 1) + opened[high], 1)
    closes = high & (closed >= 0)
    np.add.at(delta, acct[closes] * (Wp + 1) + closed[closes], -1)
    open_high = np.cumsum(delta.reshape(A, Wp + 1), axis=1)[:, win:Wp]
    with np.errstate(invalid="ignore", divide="ignore"):
        base = np.where(cn_w > 0, (cs_w / np.maximum(cn_w, 1) - 1) / 4 * 100, 75.0)
    base = np.where((n_w > 0) | (cn_w > 0), base, NO_FRICTION_SCORE)
    return np.clip(base - OPEN_TICKET_PENALTY * open_high, 0, 100)


def _survey_component(book: Book, settings: HealthSettings) -> np.ndarray:
    A, W = len(book.accounts), len(book.weekly.week_ends)
    if not book.has("surveys") or book.surveys.empty:
        return np.full((A, W), np.nan)
    s = book.surveys
    acct = book.weekly.account_ids.get_indexer(s["account_id"])
    pad = settings.survey_valid_weeks
    Wp = W + pad
    week = _week_index(s["date"], book.weekly.week_ends, pad)
    score = s["score"].to_numpy(dtype=float)
    norm = np.where(s["kind"].to_numpy() == "nps", score * 10, (score - 1) / 4 * 100)
    ok = (acct >= 0) & (week >= 0) & ~np.isnan(norm)
    flat = acct[ok] * Wp + week[ok]
    sums = np.bincount(flat, weights=norm[ok], minlength=A * Wp).reshape(A, Wp)
    cnt = np.bincount(flat, minlength=A * Wp).reshape(A, Wp)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_week = np.where(cnt > 0, sums / cnt, np.nan)
    filled = pd.DataFrame(per_week).ffill(axis=1, limit=pad).to_numpy()
    return filled[:, pad:]


def _engagement_component(book: Book, settings: HealthSettings) -> np.ndarray:
    A, W = len(book.accounts), len(book.weekly.week_ends)
    sources = [
        f for name, f in (("notes", book.notes), ("insights", book.insights)) if book.has(name)
    ]
    if not sources:
        return np.full((A, W), np.nan)
    touches = pd.concat([f[["account_id", "date"]] for f in sources], ignore_index=True)
    acct = book.weekly.account_ids.get_indexer(touches["account_id"])
    week = _week_index(touches["date"], book.weekly.week_ends, 0)
    days_before_as_of = (book.as_of - pd.to_datetime(touches["date"])).dt.days.to_numpy()
    ok = (acct >= 0) & (days_before_as_of >= 0)
    day_num = -days_before_as_of.astype(float)  # larger = more recent
    best = np.full(A * W, -np.inf)
    np.maximum.at(best, acct[ok] * W + week[ok].clip(0), day_num[ok])
    last = np.maximum.accumulate(best.reshape(A, W), axis=1)
    week_end_num = -((book.as_of - book.weekly.week_ends).days.to_numpy(dtype=float))[None, :]
    days_since = week_end_num - last
    full, zero = settings.engagement_full_days, settings.engagement_zero_days
    score = 100 * np.clip((zero - days_since) / (zero - full), 0, 1)
    return np.where(np.isinf(last), 0.0, score)


def compute_health(book: Book, settings: HealthSettings | None = None) -> HealthScore:
    """Compute the health score for every account and week of a book.

    Parameters
    ----------
    book : Book
        A loaded book.
    settings : HealthSettings, optional
        Weights and bands; defaults from the play.

    Returns
    -------
    HealthScore
    """
    settings = settings or HealthSettings()
    settings.validate()
    usage, usage_points, usage_metrics = _usage_component(book, settings)
    comps = {
        "usage": usage,
        "support": _support_component(book, settings),
        "survey": _survey_component(book, settings),
        "engagement": _engagement_component(book, settings),
    }
    # An account has a score only in the weeks its usage covers (not before its first usage
    # row or its contract start): a score made of tickets alone would "drop" when usage joins.
    weekly = book.weekly
    covered = np.arange(weekly.shape[1])[None, :] >= weekly.first_week[:, None]
    for name in COMPONENTS:
        comps[name] = np.where(covered, comps[name], np.nan)
    # After the book's usage ends (an as-of date set later, to see later tickets), usage keeps
    # its last value on record: the score moves with tickets and surveys, not with a gap.
    last = weekly.last_week
    if 0 <= last < weekly.shape[1] - 1:
        comps["usage"][:, last + 1 :] = comps["usage"][:, [last]]
        usage_points[:, last + 1 :] = usage_points[:, [last]]
    nominal = settings.weights()
    avail = {n: (~np.isnan(comps[n])).astype(float) * nominal[n] for n in COMPONENTS}
    total = sum(avail.values())
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = {n: np.where(total > 0, avail[n] / total, 0.0) for n in COMPONENTS}
    score = sum(np.nan_to_num(weights[n] * comps[n]) for n in COMPONENTS)
    score = np.where(total > 0, score, np.nan)
    return HealthScore(
        score=score,
        components=comps,
        weights=weights,
        account_ids=book.weekly.account_ids,
        week_ends=book.weekly.week_ends,
        settings=settings,
        usage_points=np.where(covered[:, :, None], usage_points, np.float32(np.nan)),
        usage_metrics=usage_metrics,
    )
