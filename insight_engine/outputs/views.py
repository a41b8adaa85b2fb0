"""What the This-week and Account pages show, computed here so pages only read widgets and render.

Pure functions over a book, its analysis and the follow-up log: the ranked book table, the
filters a CSM applies to it, why each account ranks where it does, which CSM's book a viewer
starts on, and the follow-ups overdue or due this week. No streamlit; every rule is tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from insight_engine import fmt
from insight_engine.analysis.cadence import last_insight
from insight_engine.analysis.engine import Analysis
from insight_engine.book.book import Book
from insight_engine.outputs.prep import FOLLOW_UPS

__all__ = [
    "RENEWAL_WINDOWS",
    "book_table",
    "default_csm",
    "filter_book",
    "follow_up_buckets",
    "place_in_csm_book",
    "tier_choices",
    "why_it_ranks",
]

# The renewal filter's choices and the days each allows (None: any time).
RENEWAL_WINDOWS: dict[str, int | None] = {
    "Any time": None,
    "Within 30 days": 30,
    "Within 90 days": 90,
    "Within 120 days": 120,
}

_RANKED = ["account_id", "rank", "score", "motion", "motion_label", "headline", "reasons"]


def book_table(book: Book, analysis: Analysis) -> pd.DataFrame:
    """Every account with its latest health, renewal, last insight and place in the ranked book.

    Parameters
    ----------
    book : Book
        The loaded book (accounts, insight log, as-of date).
    analysis : Analysis
        Its analysis (``health`` and the ``ranked`` book, best first).

    Returns
    -------
    pandas.DataFrame
        One row per account, best-ranked first: the account's columns, its latest health,
        ``days_to_renewal`` (<NA> when the renewal date is unknown), ``last_insight``,
        ``days_since_insight``, ``since_last_insight`` ("never", "1 day ago"), and ``rank``,
        ``score``, ``motion``, ``motion_label``, ``headline``, ``reasons``, ``n_signals`` from
        the ranking (an account the ranking leaves out has no rank and comes last).
    """
    acc = book.accounts.merge(analysis.health.latest(), on="account_id", how="left")
    acc["days_to_renewal"] = (
        (pd.to_datetime(acc["renewal_date"]) - book.as_of).dt.days.astype("Int64")
        if "renewal_date" in acc
        else pd.array([pd.NA] * len(acc), dtype="Int64")
    )
    since = last_insight(book.insights, acc["account_id"], as_of=book.as_of)
    for column in ("last_insight", "days_since_insight", "since_last_insight"):
        acc[column] = since[column].array
    ranked = analysis.ranked.assign(rank=np.arange(1, len(analysis.ranked) + 1))
    acc = acc.merge(ranked[[*_RANKED, "n_signals"]], on="account_id", how="left")
    acc["n_signals"] = acc["n_signals"].fillna(0).astype(int)
    return acc.sort_values("rank", kind="stable", na_position="last").reset_index(drop=True)


def why_it_ranks(reasons: pd.Series, headline: pd.Series) -> pd.Series:
    """What else lifts each account, beside its headline: ``renewal in 9 days · never sent one``.

    The headline has its own column, so it is left out of the reasons; an account with nothing
    else gets an em dash.
    """
    parts = [
        [str(x) for x in (r if isinstance(r, list | tuple | np.ndarray) else []) if x != h]
        for r, h in zip(reasons, headline, strict=True)
    ]
    return pd.Series([" · ".join(p) or "—" for p in parts], index=reasons.index, dtype=object)


def place_in_csm_book(table: pd.DataFrame, account_id: str) -> tuple[int, int] | None:
    """Where an account stands in its CSM's own book by insight opportunity: ``(place, of)``.

    This week lists a CSM's accounts and "the top account" is first there, while ``rank`` is
    the place in the whole book ("#3"): the Account page says both. None when the account is
    unranked or unknown. ``table`` is :func:`book_table` (every account, with ``csm``).
    """
    row = table.loc[table["account_id"] == account_id]
    if row.empty or pd.isna(row["rank"].iloc[0]):
        return None
    theirs = table.loc[(table["csm"] == row["csm"].iloc[0]) & table["rank"].notna(), "rank"]
    return int((theirs < row["rank"].iloc[0]).sum()) + 1, len(theirs)


def tier_choices(tiers: pd.Series) -> list[str]:
    """The tiers a book uses, for the Tier filter: Enterprise, Growth, Starter first (those the
    book has), then any other tier the data names, alphabetically; blanks left out."""
    present = set(tiers.dropna().astype(str).str.strip()) - {""}
    usual = [t for t in ("Enterprise", "Growth", "Starter") if t in present]
    return usual + sorted(present - set(usual))


def filter_book(
    table: pd.DataFrame,
    *,
    motions: Iterable[str] = (),
    tiers: Iterable[str] = (),
    renewal: str = "Any time",
    quiet_days: int = 0,
) -> pd.DataFrame:
    """The rows of a book table the This-week filters keep.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of :func:`book_table`.
    motions, tiers : iterable of str
        Keep these motions / tiers (empty: all).
    renewal : str
        A key of :data:`RENEWAL_WINDOWS`: renewing within that many days from today (an account
        whose renewal date passed or is unknown is left out of a window).
    quiet_days : int
        Keep accounts not sent an insight for at least this many days (never: always kept).
    """
    keep = pd.Series(True, index=table.index)
    motions, tiers = list(motions), list(tiers)
    if motions:
        keep &= table["motion"].isin(motions)
    if tiers:
        keep &= table["tier"].isin(tiers)
    window = RENEWAL_WINDOWS.get(renewal)
    if window is not None:
        days = pd.to_numeric(table["days_to_renewal"], errors="coerce")
        keep &= days.between(0, window).fillna(False).astype(bool)
    if quiet_days:
        since = pd.to_numeric(table["days_since_insight"], errors="coerce")
        keep &= (since.isna() | (since >= quiet_days)).astype(bool)
    return table.loc[keep]


def default_csm(
    csms: Sequence[str],
    *,
    wanted: str | None = None,
    current: str | None = None,
    own: str | None = None,
) -> str | None:
    """Whose book the CSM box shows: the first of these that is one of ``csms``.

    ``wanted`` (the page's ``?csm=`` link: a manager's drill-down, kept in step with the box),
    ``current`` (the box's value in this session), ``own`` (the viewer's own name: a CSM, or
    "View as" a CSM), else the first CSM. A value from another viewer (after "View as" changed
    person or role) is not one of ``csms`` and so is never kept.
    """
    for name in (wanted, current, own):
        if name is not None and name in csms:
            return name
    return csms[0] if len(csms) else None


def follow_up_buckets(
    follow_ups: pd.DataFrame,
    as_of: pd.Timestamp,
    *,
    names: Mapping[str, str] | None = None,
    days: int = 7,
) -> pd.DataFrame:
    """The follow-ups overdue or due within ``days`` of ``as_of``, most overdue first.

    Parameters
    ----------
    follow_ups : pandas.DataFrame
        Open follow-ups (``id``, ``kind``, ``due_on``, ``account_id``, ``one_liner``), as
        ``InsightStore.follow_ups`` returns them; may be empty.
    as_of : pandas.Timestamp
        "Today".
    names : mapping, optional
        Account id to name (an id the mapping lacks is shown as the id).
    days : int
        How far ahead "due this week" looks.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``due_on``, ``account_id``, ``account``, ``what`` (the follow-up in words),
        ``one_liner``, ``overdue`` (bool) and ``when`` ("3 days overdue", "due today",
        "due in 1 day"). A follow-up without a due date is in neither bucket.
    """
    columns = ["id", "due_on", "account_id", "account", "what", "one_liner", "overdue", "when"]
    if follow_ups is None or follow_ups.empty:
        return pd.DataFrame(columns=columns)
    due = pd.to_datetime(follow_ups["due_on"], errors="coerce").dt.normalize()
    left = (due - as_of.normalize()).dt.days
    keep = due.notna() & (left <= days)
    todo = follow_ups.loc[keep].assign(due_on=due[keep], _left=left[keep].astype("float64"))
    todo = todo.sort_values(["_left", "id"], kind="stable").drop_duplicates("id")
    ids = todo["account_id"].astype(str)
    lookup = pd.Series(dict(names or {}), dtype=object)
    left_days = todo["_left"].astype(int)
    out = pd.DataFrame(
        {
            "id": todo["id"].to_numpy(),
            "due_on": todo["due_on"].to_numpy(),
            "account_id": ids.to_numpy(),
            "account": ids.map(lookup).fillna(ids).to_numpy(),
            "what": todo["kind"].map(FOLLOW_UPS).fillna(_plain(todo["kind"])).to_numpy(),
            "one_liner": todo.get("one_liner", pd.Series("", index=todo.index)).to_numpy(),
            "overdue": (left_days < 0).to_numpy(),
            "when": [_when(n) for n in left_days],
        },
        columns=columns,
    )
    return out


def _plain(keys: pd.Series) -> pd.Series:
    """A kind Rudder has no words for, readable: ``check_in`` -> ``Check in``."""
    return keys.astype(str).str.replace("_", " ").str.strip().str.capitalize()


def _when(left: int) -> str:
    if left < 0:
        return f"{fmt.plural(-left, 'day')} overdue"
    if left == 0:
        return "due today"
    return f"due in {fmt.plural(left, 'day')}"
