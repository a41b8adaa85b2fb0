"""Customer wins as value the customers realised, not as emails sent.

What improved for whom, against the goal they stated: an outcome metric that moved the right
way over the period (before -> after, when), a First Value or Value Block milestone completed,
a customer who became a promoter. Read from the book's own data (usage, milestones, surveys),
so a win counts whether or not a CSM wrote about it; the win emails sent are a separate,
secondary figure (:func:`win_emails`).

Pure functions (no streamlit), vectorised over accounts x weeks x metrics, tested table-driven on
the demo book and the hand-made fixture books (``tests/test_wins.py``).

An executive sees these wins **by customer name** (what the customer achieved is the story they
forward), never the CSM behind it nor any account's risks or health (README, *Deploying for a
team*).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insight_engine.book.book import Book
from insight_engine.fmt import day, money
from insight_engine.outputs.draft import fmt, pct

__all__ = [
    "KINDS",
    "TIERS",
    "best_wins",
    "by_kind_and_tier",
    "complete_months",
    "monthly_wins",
    "value_realised",
    "win_emails",
    "win_emails_chart",
]

# kind key -> how an executive reads it (one label per kind, used by the page, the summary, tests)
KINDS = {
    "outcome": "A result they measure improved",
    "milestone": "A milestone reached",
    "promoter": "Became a promoter",
}
TIERS = ("Enterprise", "Growth", "Starter")
COLUMNS = [
    "account_id",
    "account_name",
    "tier",
    "industry",
    "arr",
    "goal",
    "kind",
    "what",
    "before",
    "after",
    "change",
    "before_on",
    "after_on",
    "when",
    "improvement",
]
WINDOW_WEEKS = (
    4  # the median of 4 weekly readings at each end of the period: one odd week is no win
)
MIN_READINGS = 2


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def _goal(book: Book, account_ids: pd.Series, metric_goal: pd.Series | None = None) -> pd.Series:
    """The account's stated goal, else the catalog's goal of the metric, else empty text."""
    stated = (
        book.accounts.set_index("account_id")["stated_goal"]
        if "stated_goal" in book.accounts
        else None
    )
    out = pd.Series("", index=account_ids.index, dtype=object)
    if metric_goal is not None:
        out = metric_goal.fillna("").astype(str).where(metric_goal.notna(), "")
    if stated is not None:
        s = account_ids.map(stated)
        out = s.where(s.notna() & (s.astype(str).str.strip() != ""), out).astype(object)
    return out.fillna("").astype(str)


def _outcomes(book: Book, start: pd.Timestamp, end: pd.Timestamp, min_rise: float) -> pd.DataFrame:
    """Outcome metrics (catalog category ``outcome``) that moved the right way by ``min_rise``:
    the median of the period's first 4 weeks against the median of its last 4 weeks."""
    wk = book.weekly
    cat = book.metrics.set_index("metric")
    outcome = [m for m in wk.metrics if m in cat.index and cat.loc[m, "category"] == "outcome"]
    in_period = (wk.week_ends > start) & (wk.week_ends <= end)
    pos = np.flatnonzero(in_period)
    if not outcome or len(pos) < 2 * WINDOW_WEEKS:
        return _empty()
    first, last = pos[:WINDOW_WEEKS], pos[-WINDOW_WEEKS:]
    cols = [wk.metrics.get_loc(m) for m in outcome]
    values = wk.clean_values()[:, :, cols]  # accounts x weeks x outcome metrics
    enough = lambda block: (~np.isnan(block)).sum(axis=1) >= MIN_READINGS  # noqa: E731
    a, b = values[:, first, :], values[:, last, :]
    with np.errstate(all="ignore"), _quiet():
        before = np.where(enough(a), np.nanmedian(a, axis=1), np.nan)
        after = np.where(enough(b), np.nanmedian(b, axis=1), np.nan)
    higher = cat.loc[outcome, "higher_is_better"].map(
        lambda v: str(v).strip().lower() not in ("false", "0", "no")
    )
    sign = np.where(higher.to_numpy(dtype=bool), 1.0, -1.0)[None, :]
    with np.errstate(all="ignore"):
        change = (after - before) / np.abs(before)
    better = (before > 0) & (sign * change >= min_rise)
    rows, mets = np.nonzero(better)
    if not len(rows):
        return _empty()
    metric = pd.Series(np.asarray(outcome)[mets])
    out = pd.DataFrame(
        {
            "account_id": np.asarray(wk.account_ids)[rows],
            "kind": "outcome",
            "metric": metric,
            "what": metric.map(book.metric_label),
            "before": before[rows, mets],
            "after": after[rows, mets],
            "change": change[rows, mets],
            "before_on": wk.week_ends[first[-1]],
            "after_on": wk.week_ends[last[-1]],
        }
    )
    out["goal_of_metric"] = metric.map(cat["goal"]) if "goal" in cat else None
    unit = metric.map(cat["unit"]).fillna("") if "unit" in cat else pd.Series("", index=out.index)
    direction = np.where(out["change"] > 0, "up", "down")
    out["improvement"] = [
        f"{w} {d} {pct(c)} ({fmt(b)} → {fmt(a)}{' ' + u if u else ''})"
        for w, d, c, b, a, u in zip(
            out["what"], direction, out["change"], out["before"], out["after"], unit, strict=True
        )
    ]
    out["when"] = [
        f"{b:%b} → {a:%b %Y}" if b.year == a.year else f"{b:%b %Y} → {a:%b %Y}"
        for b, a in zip(out["before_on"], out["after_on"], strict=True)
    ]
    return out


class _quiet:
    """Silence numpy's all-NaN slice warning (an account without readings has no win)."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


def _milestones(book: Book, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    ms = book.milestones
    if ms is None or ms.empty or "completed_date" not in ms:
        return _empty()
    done = pd.to_datetime(ms["completed_date"], errors="coerce")
    kind = ms["kind"].astype(str)
    got = ms.loc[kind.isin(["first_value", "value_block"]) & (done > start) & (done <= end)]
    if got.empty:
        return _empty()
    done = pd.to_datetime(got["completed_date"])
    due = pd.to_datetime(got["due_date"], errors="coerce")
    early = (due - done).dt.days
    note = np.where(early > 1, " (" + early.fillna(0).astype(int).astype(str) + " days early)", "")
    return pd.DataFrame(
        {
            "account_id": got["account_id"].astype(str).to_numpy(),
            "kind": "milestone",
            "what": got["milestone"].astype(str).to_numpy(),
            "before": np.nan,
            "after": np.nan,
            "change": np.nan,
            "before_on": due.to_numpy(),
            "after_on": done.to_numpy(),
            "improvement": (got["milestone"].astype(str) + " reached" + note).to_numpy(),
            "when": done.map(day).to_numpy(),
            "goal_of_metric": None,
        }
    )


def _promoters(book: Book, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    sv = book.surveys
    if sv is None or sv.empty:
        return _empty()
    nps = sv.loc[sv["kind"].astype(str).str.lower() == "nps", ["account_id", "date", "score"]]
    nps = nps.assign(date=pd.to_datetime(nps["date"], errors="coerce")).dropna(
        subset=["date", "score"]
    )
    nps = nps.loc[nps["date"] <= end].sort_values(["account_id", "date"], kind="stable")
    nps = nps.assign(previous=nps.groupby("account_id")["score"].shift())
    got = nps.loc[(nps["date"] > start) & (nps["score"] >= 9) & (nps["previous"] < 9)]
    got = got.drop_duplicates("account_id", keep="last")
    if got.empty:
        return _empty()
    return pd.DataFrame(
        {
            "account_id": got["account_id"].astype(str).to_numpy(),
            "kind": "promoter",
            "what": "Likelihood to recommend (NPS)",
            "before": got["previous"].to_numpy(float),
            "after": got["score"].to_numpy(float),
            "change": (got["score"] - got["previous"]).to_numpy(float),
            "before_on": pd.NaT,
            "after_on": got["date"].to_numpy(),
            "improvement": [
                f"Scored us {fmt(a)} out of 10 (was {fmt(b)})"
                for a, b in zip(got["score"], got["previous"], strict=True)
            ],
            "when": got["date"].map(day).to_numpy(),
            "goal_of_metric": None,
        }
    )


def value_realised(book: Book, *, days: int = 90, min_rise: float = 0.10) -> pd.DataFrame:
    """What each customer achieved in the last ``days`` days, one row per achievement.

    Parameters
    ----------
    book : Book
        Any book; tables it lacks (milestones, surveys, outcome metrics) give no rows of that kind.
    days : int
        The period, ending on the book's as-of date.
    min_rise : float
        The smallest change of an outcome metric, in its better direction, that counts (0.10: 10%).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: the account (name, tier, industry, ARR), the goal it serves (the
        account's stated goal, else the metric's goal in the catalog), ``kind`` (a key of
        :data:`KINDS`), ``what`` improved, ``before`` and ``after`` (numbers; empty for a
        milestone), ``change`` (relative for a metric, points for NPS), ``before_on``/``after_on``
        (dates), ``when`` (text: "Aug → Nov 2026", "12 Nov 2026") and ``improvement`` (text:
        "Keywords ranked in the top 10 up 45% (391 → 566 keywords)"). Largest ARR first.
    """
    end = book.as_of
    start = end - pd.Timedelta(days=days)
    parts = [
        p
        for p in (
            _outcomes(book, start, end, min_rise),
            _milestones(book, start, end),
            _promoters(book, start, end),
        )
        if len(p)
    ]
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    acc = book.accounts.set_index("account_id")
    ids = out["account_id"].astype(str)
    out = out.loc[ids.isin(acc.index)].reset_index(drop=True)
    ids = out["account_id"].astype(str)
    for col in ("account_name", "tier", "industry", "arr"):
        out[col] = ids.map(acc[col]) if col in acc else None
    out["goal"] = _goal(book, ids, out.get("goal_of_metric"))
    order = out["kind"].map({k: i for i, k in enumerate(KINDS)})
    out = out.assign(_order=order).sort_values(
        ["arr", "account_name", "_order"], ascending=[False, True, True], na_position="last"
    )
    return out[COLUMNS].reset_index(drop=True)


def by_kind_and_tier(realised: pd.DataFrame) -> pd.DataFrame:
    """Achievements per kind and tier, with the accounts and the ARR behind them (each account's
    ARR once per row, however many achievements it has there). Columns: kind (its label), tier,
    achievements, accounts, arr; every kind, biggest ARR first; a "All kinds" total per tier is
    not added (an account may have several kinds)."""
    if realised.empty:
        return pd.DataFrame(columns=["kind", "tier", "achievements", "accounts", "arr"])
    per = realised.groupby(["kind", "tier"], observed=True).agg(
        achievements=("account_id", "size"), accounts=("account_id", "nunique")
    )
    arr = (
        realised.drop_duplicates(["kind", "tier", "account_id"])
        .groupby(["kind", "tier"], observed=True)["arr"]
        .sum(min_count=1)
    )
    out = per.join(arr).reset_index()
    out["kind"] = out["kind"].map(KINDS)
    return out.sort_values(["arr", "accounts"], ascending=False, kind="stable").reset_index(
        drop=True
    )


def best_wins(realised: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """One achievement per customer (a result they measure first, then a milestone, then a
    promoter; within a kind the largest change), the customers with the largest ARR first."""
    if realised.empty:
        return realised.copy()
    order = realised["kind"].map({k: i for i, k in enumerate(KINDS)})
    size = realised["change"].abs().fillna(0)
    ranked = realised.assign(_o=order, _s=size).sort_values(
        ["account_id", "_o", "_s"], ascending=[True, True, False], kind="stable"
    )
    one = ranked.drop_duplicates("account_id").drop(columns=["_o", "_s"])
    return (
        one.sort_values(["arr", "account_name"], ascending=[False, True], na_position="last")
        .head(n)
        .reset_index(drop=True)
    )


def story(row: pd.Series | dict) -> str:
    """One achievement in an executive's words: who, what improved, when, toward which goal."""
    r = dict(row)
    arr = "" if pd.isna(r.get("arr")) else f", {money(r['arr'])} ARR"
    goal = str(r.get("goal") or "").strip()
    toward = f", toward their goal \u201c{goal}\u201d" if goal else ""
    return f"{r['account_name']} ({r['tier']}{arr}): {r['improvement']}, {r['when']}{toward}."


def win_emails(log: pd.DataFrame, *, as_of: pd.Timestamp, days: int = 90) -> int:
    """Win insights sent to customers in the last ``days`` days (a secondary figure)."""
    if log.empty:
        return 0
    dates = pd.to_datetime(log["date"])
    return int(
        (
            (log["motion"] == "win") & (dates > as_of - pd.Timedelta(days=days)) & (dates <= as_of)
        ).sum()
    )


def complete_months(
    first: pd.Timestamp, as_of: pd.Timestamp, months: int = 12
) -> tuple[pd.PeriodIndex, str]:
    """The last ``months`` whole calendar months between ``first`` (the first day with data) and
    ``as_of``, and a sentence saying which partial months were left out ("" when none).

    A month counts only when the data covers it from its first day to its last: the month of
    the as-of date is left out unless the as-of date is its last day, and so is the month of the
    first day with data unless that day is the 1st.
    """
    as_of, first = pd.Timestamp(as_of).normalize(), pd.Timestamp(first).normalize()
    last_full = as_of.to_period("M") if as_of.is_month_end else as_of.to_period("M") - 1
    first_full = first.to_period("M") if first.day == 1 else first.to_period("M") + 1
    first_full = max(first_full, last_full - (months - 1))
    span = (
        pd.period_range(first_full, last_full, freq="M")
        if first_full <= last_full
        else pd.PeriodIndex([], freq="M")
    )
    left_out = []
    if not as_of.is_month_end:
        left_out.append(f"{as_of:%B %Y} (to {as_of.day} {as_of:%b} only)")
    if first.day != 1 and first.to_period("M") >= last_full - (months - 1):
        left_out.append(f"{first:%B %Y} (from {first.day} {first:%b} only)")
    note = (
        f"Complete months only; left out as partial: {' and '.join(left_out)}." if left_out else ""
    )
    return span, note


def monthly_wins(
    frame: pd.DataFrame, *, as_of: pd.Timestamp, first: pd.Timestamp, months: int = 12
) -> tuple[pd.DataFrame, str]:
    """Rows of ``frame`` (``date``, ``tier``) counted per complete month and tier (columns: month,
    tier, wins), and the sentence naming the partial months left out."""
    span, note = complete_months(first, as_of, months)
    if frame.empty or not len(span):
        return pd.DataFrame(columns=["month", "tier", "wins"]), note
    month = pd.to_datetime(frame["date"]).dt.to_period("M")
    kept = frame.loc[month.isin(span)].assign(month=month[month.isin(span)].dt.to_timestamp())
    out = kept.groupby(["month", "tier"], observed=True).size().rename("wins").reset_index()
    return out, note


def win_emails_chart(monthly: pd.DataFrame, note: str = ""):
    """Win emails sent per complete month, stacked by tier (``monthly``: month, tier, wins, from
    :func:`monthly_wins`), each bar labelled with its own month (an ordinal axis: no tick at a
    month's edge to misread as a partial month). A secondary figure: the title says "win emails
    sent", never "customer wins". Built and checked like every chart (chart.py's standard)."""
    import altair as alt

    from insight_engine.outputs import chart as ch

    if monthly.empty:
        return ch._simple("Win emails sent", "no win emails were sent in a complete month.")
    data = monthly.assign(
        label=pd.to_datetime(monthly["month"]).dt.strftime("%b %Y"),
        wins=monthly["wins"].astype(int),
    )
    order = list(dict.fromkeys(data.sort_values("month")["label"]))
    per_month = data.groupby("label")["wins"].sum().reindex(order)
    best, total = per_month.idxmax(), int(per_month.sum())
    x = alt.X(
        "label:O", title="Month (complete months only)", sort=order, axis=alt.Axis(labelAngle=-45)
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y(
                "wins:Q",
                title="Win emails sent",
                axis=alt.Axis(**ch.COUNT_AXIS),
                scale=ch._value_scale([per_month.max() * 1.15]),
            ),
            color=alt.Color(
                "tier:N",
                title="Tier",
                scale=alt.Scale(
                    domain=list(TIERS),
                    range=[ch.PALETTE["base"], ch.PALETTE["good"], ch.PALETTE["muted"]],
                ),
            ),
            tooltip=[
                alt.Tooltip("label:O", title="Month"),
                alt.Tooltip("tier:N", title="Tier"),
                alt.Tooltip("wins:Q", title="Win emails"),
            ],
        )
    )
    peak = pd.DataFrame(
        {"label": [best], "wins": [int(per_month[best])], "t": [f"most: {int(per_month[best])}"]}
    )
    outline = (
        alt.Chart(peak)
        .mark_bar(fillOpacity=0, stroke=ch.PALETTE["highlight"], strokeWidth=2.5)
        .encode(x=alt.X("label:O", sort=order), y="wins:Q")
    )
    text = ch._text(
        alt.Chart(peak).encode(x=alt.X("label:O", sort=order), y="wins:Q", text="t:N"),
        dy=-8,
        color=ch.PALETTE["highlight"],
        fontWeight="bold",
    )
    months = len(order)
    chart = alt.layer(bars, outline, text).properties(
        width=ch.WIDTH,
        height=240,
        title=ch._title(
            f"{total:,} win emails sent in {months} complete months; most in {best}",
            "Each bar is one month's win emails, split by tier. Orange marks the month with most.",
        ),
    )
    caption = (
        "Each bar counts the win emails CSMs sent to customers in one complete month, split by "
        f"customer tier; the orange outline marks {best}, the month with most. "
        "These are emails, not results: the customers' own achievements are above."
        + (f" {note}" if note else "")
    )
    return ch._standard(chart, caption, data[["month", "label", "tier", "wins"]], raw_keys=set())
