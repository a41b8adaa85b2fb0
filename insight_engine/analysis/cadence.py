"""Team cadence: how often insights are shared, how much of each book they reach, and what lands.

Pure functions over the insight log (the contract's ``insights`` shape, as the store returns it)
and the accounts table, for the Manager and Executive views. Every function is vectorized
(groupby / merge on small tables), tested table-driven on hand-built logs, and works on an empty
log (a team with no insight history yet).

:func:`last_insight` is the one place that says how long ago an account last received an insight
(the ranking, This week, Account and Team cadence all use it); an account that never received
one reads "never".
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "BEHIND",
    "COUNT_HELP",
    "COVERAGE_HELP",
    "DECIDED",
    "NEVER",
    "coverage",
    "landed_rate",
    "last_insight",
    "mix",
    "needs_help",
    "per_csm_week",
    "quietest",
    "reach_and_count",
    "since_label",
    "team_weekly",
    "untouched",
    "untouched_opportunities",
    "week_end_of",
    "weekly_counts",
]

DECIDED = ("landed", "no_response", "pushed_back")
WEEKS_PER_MONTH = 52 / 12
NEVER = "never"


def last_insight(
    log: pd.DataFrame, account_ids: Iterable[str], *, as_of: pd.Timestamp
) -> pd.DataFrame:
    """When each account last received an insight (on or before ``as_of``), and how long ago.

    Parameters
    ----------
    log : pandas.DataFrame
        The insight log (``account_id`` and ``date``); may be empty or header-only.
    account_ids : iterable of str
        The accounts to report on, in the order wanted (duplicates kept).
    as_of : pandas.Timestamp
        "Today"; insights after it do not count.

    Returns
    -------
    pandas.DataFrame
        One row per given account (index ``account_id``): ``last_insight`` (datetime, NaT when
        never), ``days_since_insight`` (nullable integer, <NA> when never) and
        ``since_last_insight`` (text: "never", "today", "1 day ago", "12 days ago").
    """
    ids = pd.Index(list(account_ids), dtype=object, name="account_id").astype(str)
    if len(log):
        dates = pd.to_datetime(log["date"])
        kept = dates.notna() & (dates <= as_of) & log["account_id"].notna()
        last = dates[kept].groupby(log.loc[kept, "account_id"].astype(str)).max()
    else:
        last = pd.Series(dtype="datetime64[ns]")
    when = pd.to_datetime(last.astype("datetime64[ns]").reindex(ids))
    days = (as_of - when).dt.days.astype("Int64")
    return pd.DataFrame(
        {"last_insight": when, "days_since_insight": days, "since_last_insight": since_label(days)},
        index=ids,
    )


def since_label(days: pd.Series) -> pd.Series:
    """Days since the last insight as people read them: "never", "today", "1 day ago", "N days ago".

    Parameters
    ----------
    days : pandas.Series
        Whole days (missing: never received one).

    Returns
    -------
    pandas.Series of str
    """
    values = pd.to_numeric(pd.Series(days), errors="coerce").astype("float64")
    whole = values.fillna(-1).round().astype(int).astype(str)
    text = np.select(
        [values.isna().to_numpy(), (values == 0).to_numpy(), (values == 1).to_numpy()],
        [NEVER, "today", "1 day ago"],
        default=(whole + " days ago").to_numpy(),
    )
    return pd.Series(text, index=pd.Series(days).index, dtype=object)


def week_end_of(dates: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """The end of the week (weeks end on the as-of date) each date falls in."""
    days = (as_of - pd.to_datetime(dates)).dt.days
    return as_of - pd.to_timedelta((days // 7) * 7, unit="D")


def _window(log: pd.DataFrame, as_of: pd.Timestamp, weeks: int) -> pd.DataFrame:
    start = as_of - pd.Timedelta(weeks=weeks)
    return log.loc[(log["date"] > start) & (log["date"] <= as_of)]


def weekly_counts(log: pd.DataFrame, *, as_of: pd.Timestamp, weeks: int = 12) -> pd.DataFrame:
    """Insights per CSM per week per motion (columns: csm, week_end, motion, insights)."""
    recent = _window(log, as_of, weeks)
    if recent.empty:
        return pd.DataFrame(columns=["csm", "week_end", "motion", "insights"])
    out = recent.assign(week_end=week_end_of(recent["date"], as_of))
    return (
        out.groupby(["csm", "week_end", "motion"], observed=True)
        .size()
        .rename("insights")
        .reset_index()
    )


def team_weekly(
    log: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    weeks: int,
    n_accounts: int,
    per_account_per_month: float,
) -> pd.DataFrame:
    """The team's weekly total against the cadence target (e.g. one insight per account per month)."""
    ends = pd.DatetimeIndex([as_of - pd.Timedelta(days=7 * k) for k in range(weeks)][::-1])
    recent = _window(log, as_of, weeks)
    counts = week_end_of(recent["date"], as_of).value_counts().reindex(ends, fill_value=0)
    target = n_accounts * per_account_per_month / WEEKS_PER_MONTH
    return pd.DataFrame(
        {"week_end": ends, "insights": counts.to_numpy(), "target": round(target, 1)}
    )


def coverage(
    log: pd.DataFrame, accounts: pd.DataFrame, *, as_of: pd.Timestamp, days: int = 30
) -> pd.DataFrame:
    """Per CSM: accounts in the book, how many received an insight in the last ``days`` days, the share."""
    recent = log.loc[
        (log["date"] > as_of - pd.Timedelta(days=days)) & (log["date"] <= as_of), "account_id"
    ]
    touched = accounts["account_id"].isin(set(recent))
    out = (
        accounts.assign(covered=touched)
        .groupby("csm")
        .agg(accounts=("account_id", "size"), covered=("covered", "sum"))
        .reset_index()
    )
    out["coverage"] = (out["covered"] / out["accounts"]).round(3)
    return out.sort_values("coverage", kind="stable").reset_index(drop=True)


def untouched(
    log: pd.DataFrame, accounts: pd.DataFrame, *, as_of: pd.Timestamp, days: int = 45
) -> pd.DataFrame:
    """Accounts with no insight in ``days`` days or more (or never), longest first.

    ``days_since_insight`` is <NA> for an account that never received one, and
    ``since_last_insight`` says so in words ("never", "52 days ago") for tables people read.
    """
    since = last_insight(log, accounts["account_id"], as_of=as_of)
    out = accounts.assign(
        days_since_insight=since["days_since_insight"].array,
        since_last_insight=since["since_last_insight"].to_numpy(),
    )
    out = out.loc[out["days_since_insight"].isna() | (out["days_since_insight"] >= days)]
    cols = [
        c
        for c in [
            "account_id",
            "account_name",
            "csm",
            "tier",
            "arr",
            "days_since_insight",
            "since_last_insight",
        ]
        if c in out
    ]
    return (
        out[cols]
        .sort_values("days_since_insight", ascending=False, na_position="first")
        .reset_index(drop=True)
    )


def untouched_opportunities(
    ranked: pd.DataFrame,
    log: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    days: int = 30,
    share: float = 0.1,
) -> pd.DataFrame:
    """The top ``share`` of the ranked book (at least one account) not sent an insight in more
    than ``days`` days (or never), in rank order.

    Parameters
    ----------
    ranked : pandas.DataFrame
        The ranked book, best first (``account_id``, ``score``, ``headline``, …).
    log : pandas.DataFrame
        The insight log; may be empty.

    Returns
    -------
    pandas.DataFrame
        Those rows of ``ranked``, with ``days_since_insight`` and ``since_last_insight``.
    """
    top = ranked.head(max(1, int(len(ranked) * share + 1e-9)))
    since = last_insight(log, top["account_id"], as_of=as_of)
    out = top.assign(
        days_since_insight=since["days_since_insight"].array,
        since_last_insight=since["since_last_insight"].to_numpy(),
    )
    return out.loc[out["days_since_insight"].isna() | (out["days_since_insight"] > days)]


def mix(log: pd.DataFrame) -> pd.DataFrame:
    """Insights per CSM by motion (one column per motion, plus the total)."""
    if log.empty:
        return pd.DataFrame(columns=["csm", "total"])
    table = log.pivot_table(
        index="csm", columns="motion", values="account_id", aggfunc="size", fill_value=0
    )
    table.columns = [str(c) for c in table.columns]
    table["total"] = table.sum(axis=1)
    return table.reset_index()


def landed_rate(log: pd.DataFrame, by: str) -> pd.DataFrame:
    """Share of decided insights that landed, per ``by`` (e.g. csm or motion); pending ones are left out."""
    decided = log.loc[log["outcome"].isin(DECIDED)]
    if decided.empty:
        return pd.DataFrame(columns=[by, "decided", "landed", "landed_rate"])
    out = (
        decided.assign(landed=decided["outcome"] == "landed")
        .groupby(by)
        .agg(decided=("outcome", "size"), landed=("landed", "sum"))
        .reset_index()
    )
    out["landed_rate"] = (out["landed"] / out["decided"]).round(3)
    return out.sort_values("landed_rate", ascending=False, kind="stable").reset_index(drop=True)


def per_csm_week(
    log: pd.DataFrame, csms: Iterable[str], *, as_of: pd.Timestamp, weeks: int
) -> pd.DataFrame:
    """Insights per CSM per week (csm, week_end, insights) with a row for every CSM of the team
    and every week, 0 where they sent none, so a CSM who sent nothing is still a named row."""
    ends = pd.DatetimeIndex([as_of - pd.Timedelta(days=7 * k) for k in range(weeks)][::-1])
    names = sorted({str(c) for c in csms if pd.notna(c)})
    grid = pd.MultiIndex.from_product([names, ends], names=["csm", "week_end"])
    recent = _window(log, as_of, weeks) if len(log) else log
    if len(recent):
        got = recent.assign(
            week_end=week_end_of(recent["date"], as_of), csm=recent["csm"].astype(str)
        )
        counts = got.groupby(["csm", "week_end"]).size()
        counts = counts.loc[counts.index.get_level_values("csm").isin(names)]
    else:
        counts = pd.Series(dtype="int64")
    out = counts.reindex(grid, fill_value=0).rename("insights").reset_index()
    out["insights"] = out["insights"].astype(int)
    return out


def quietest(per_week: pd.DataFrame) -> dict | None:
    """The CSM who sent the fewest insights in ``per_week`` (ties: the first by name, the same
    rule as the heatmap's orange row), with their total and the team's median per CSM."""
    if per_week.empty:
        return None
    per_csm = per_week.groupby("csm")["insights"].sum().sort_index()
    csm = per_csm.idxmin()
    return {
        "csm": csm,
        "insights": int(per_csm[csm]),
        "median": float(per_csm.median()),
        "csms": len(per_csm),
    }


COUNT_HELP = (
    "Insights sent: how many insights a CSM logged in the weeks shown, whatever accounts they "
    "went to. A count of effort, not of reach."
)
COVERAGE_HELP = (
    "Coverage: the share of a book's accounts that received at least one insight in the last 30 "
    "days. A CSM who sends many insights to a few accounts has a high count and low coverage."
)


def reach_and_count(quiet: dict | None, cov: pd.DataFrame, *, weeks: int) -> list[tuple[str, str]]:
    """Who sent the fewest insights and, apart from it, whose book is least reached: two numbers
    a manager read as one ("the quietest CSM" beside "coverage"). Each is a (lead, rest) pair of
    plain text for the page to set in bold and roman; empty when no CSM is in view.

    Parameters
    ----------
    quiet : dict or None
        :func:`quietest` of the weeks shown.
    cov : pandas.DataFrame
        :func:`coverage` (lowest share first).
    weeks : int
        The weeks the count covers.
    """
    if quiet is None:
        return []
    n = quiet["insights"]
    lines = [
        (
            f"Fewest insights sent: {quiet['csm']}",
            f"{n:,} {'insight' if n == 1 else 'insights'} in {weeks} "
            f"{'week' if weeks == 1 else 'weeks'} (the team's median is {quiet['median']:,.4g} "
            "per CSM; outlined in orange below).",
        )
    ]
    if len(cov):
        low = cov.iloc[0]
        also = "Also the least" if low["csm"] == quiet["csm"] else "Least"
        lines.append(
            (
                f"{also} of their book reached: {low['csm']}",
                f"{low['coverage']:.0%} ({int(low['covered']):,} of {int(low['accounts']):,} "
                "accounts got an insight in the last 30 days; see Coverage below).",
            )
        )
    return lines


# what is behind -> (its words in the table, the next step)
BEHIND = {
    "quiet": ("No insight sent in 14+ days", "Send this week's top insight to {first}"),
    "overdue": ("Overdue follow-ups", "Close or reschedule them on This week"),
    "risks": ("Risks without a logged mitigation", "Agree and log a mitigation with {first}"),
    "stalled": ("Stalled accounts", "Offer {first} a 20-minute restart call"),
    "opportunities": (
        "Top-decile opportunities untouched for 30+ days",
        "Send {first} the drafted insight",
    ),
}


def _names(ids: pd.Series, names: pd.Series, limit: int) -> str:
    shown = [str(names.get(i, i)) for i in ids]
    more = len(shown) - limit
    return ", ".join(shown[:limit]) + (f" and {more} more" if more > 0 else "")


def needs_help(
    accounts: pd.DataFrame,
    log: pd.DataFrame,
    signals: pd.DataFrame,
    ranked: pd.DataFrame,
    overdue: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    quiet_days: int = 14,
    untouched_days: int = 30,
    mitigation_days: int = 30,
    share: float = 0.1,
    limit: int = 5,
) -> pd.DataFrame:
    """Who needs help this week: one row per CSM and thing behind, worst first.

    Parameters
    ----------
    accounts : pandas.DataFrame
        The team's accounts (``account_id``, ``account_name``, ``csm``): whose book each is.
    log : pandas.DataFrame
        The insight log (``account_id``, ``date``, ``motion``, ``follow_up`` optional).
    signals : pandas.DataFrame
        This week's signals (``account_id``, ``motion``).
    ranked : pandas.DataFrame
        The ranked book, best first (``account_id``); its top ``share`` are the top opportunities.
    overdue : pandas.DataFrame
        Open follow-ups past their due date (``account_id``).

    Returns
    -------
    pandas.DataFrame
        Columns ``csm``, ``behind`` (plain words, :data:`BEHIND`), ``count``, ``what`` (``behind``
        with the count: "Stalled accounts (6)"), ``accounts`` (their names, the first ``limit``
        then "and N more") and ``next_step``; the CSM with the most
        accounts behind first, then by what is behind in :data:`BEHIND` order. A CSM who never
        sent an insight is "quiet". Empty when no one is behind.
    """
    ids = set(accounts["account_id"])
    owner = accounts.set_index("account_id")["csm"]
    names = accounts.set_index("account_id")["account_name"]
    rank = {a: i for i, a in enumerate(ranked["account_id"])} if len(ranked) else {}
    by_rank = lambda frame: frame.assign(  # noqa: E731
        _r=frame["account_id"].map(rank).fillna(len(rank))
    ).sort_values(["_r", "account_id"], kind="stable")
    found: list[pd.DataFrame] = []

    since = last_insight(log, accounts["account_id"], as_of=as_of)
    latest = pd.Series(since["last_insight"].to_numpy(), index=accounts["csm"].to_numpy())
    latest = latest.groupby(level=0).max()
    quiet_csms = latest.loc[latest.isna() | (latest < as_of - pd.Timedelta(days=quiet_days))]
    quiet = accounts.loc[accounts["csm"].isin(quiet_csms.index), ["account_id"]]
    found.append(by_rank(quiet).assign(why="quiet"))

    mine = log.loc[log["account_id"].isin(ids)]
    follow = mine["follow_up"] if "follow_up" in mine else pd.Series(None, index=mine.index)
    recent = pd.to_datetime(mine["date"]) > as_of - pd.Timedelta(days=mitigation_days)
    acted = recent & ((follow == "mitigation") | (mine["motion"] == "risk"))
    mitigated = set(mine.loc[acted.fillna(False).astype(bool), "account_id"])
    sig = signals.loc[signals["account_id"].isin(ids)]
    risks = sig.loc[(sig["motion"] == "risk") & ~sig["account_id"].isin(mitigated), ["account_id"]]
    found.append(by_rank(risks.drop_duplicates()).assign(why="risks"))
    stalled = sig.loc[sig["motion"] == "stall", ["account_id"]].drop_duplicates()
    found.append(by_rank(stalled).assign(why="stalled"))
    team_ranked = ranked.loc[ranked["account_id"].isin(ids)]
    cold = untouched_opportunities(team_ranked, log, as_of=as_of, days=untouched_days, share=share)
    found.append(cold[["account_id"]].assign(_r=0).assign(why="opportunities"))
    late = overdue.loc[overdue["account_id"].isin(ids), ["account_id"]].drop_duplicates()
    found.append(by_rank(late).assign(why="overdue"))

    rows = pd.concat([f[["account_id", "why"]] for f in found], ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=["csm", "behind", "count", "what", "accounts", "next_step"])
    rows["csm"] = rows["account_id"].map(owner)
    grouped = rows.groupby(["csm", "why"], sort=False)["account_id"]
    out = grouped.agg(count="nunique", ids=lambda s: list(dict.fromkeys(s))).reset_index()
    out["accounts"] = [_names(pd.Series(i), names, limit) for i in out["ids"]]
    out["behind"] = out["why"].map(lambda w: BEHIND[w][0])
    out["next_step"] = [
        BEHIND[w][1].format(first=names.get(i[0], i[0]))
        for w, i in zip(out["why"], out["ids"], strict=True)
    ]
    # a quiet CSM's whole book waits; the row names where to start (their top-ranked accounts)
    quiet_rows = out["why"] == "quiet"
    out.loc[quiet_rows, "accounts"] = [
        "Start with " + _names(pd.Series(i[:3]), names, 3) for i in out.loc[quiet_rows, "ids"]
    ]
    last = latest.reindex(out.loc[quiet_rows, "csm"])
    out.loc[quiet_rows, "behind"] = [
        "No insight sent yet" if pd.isna(d) else f"No insight sent in {(as_of - d).days} days"
        for d in last
    ]
    out = out.assign(
        _w=out.groupby("csm")["count"].transform("sum"),
        _o=out["why"].map({w: i for i, w in enumerate(BEHIND)}),
    ).sort_values(["_w", "csm", "_o"], ascending=[False, True, True], kind="stable")
    out["what"] = out["behind"].where(
        quiet_rows, out["behind"] + " (" + out["count"].astype(str) + ")"
    )
    return out[["csm", "behind", "count", "what", "accounts", "next_step"]].reset_index(drop=True)
