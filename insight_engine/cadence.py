"""Team cadence: how often insights are shared, how much of each book they reach, and what lands.

Pure functions over the insight log (the contract's ``insights`` shape, as the store returns it)
and the accounts table, for the Manager and Executive views. Every function is vectorized
(groupby / merge on small tables) and tested table-driven on hand-built logs.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "DECIDED",
    "coverage",
    "landed_rate",
    "mix",
    "team_weekly",
    "untouched",
    "week_end_of",
    "weekly_counts",
]

DECIDED = ("landed", "no_response", "pushed_back")
WEEKS_PER_MONTH = 52 / 12


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
    """Accounts with no insight in ``days`` days or more (or never), longest first."""
    last = log.loc[log["date"] <= as_of].groupby("account_id")["date"].max()
    since = (as_of - accounts["account_id"].map(last)).dt.days
    out = accounts.assign(days_since_insight=since)
    out = out.loc[out["days_since_insight"].isna() | (out["days_since_insight"] >= days)]
    cols = [
        c
        for c in ["account_id", "account_name", "csm", "tier", "arr", "days_since_insight"]
        if c in out
    ]
    return (
        out[cols]
        .sort_values("days_since_insight", ascending=False, na_position="first")
        .reset_index(drop=True)
    )


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
