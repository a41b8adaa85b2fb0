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
    "DECIDED",
    "NEVER",
    "coverage",
    "landed_rate",
    "last_insight",
    "mix",
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
