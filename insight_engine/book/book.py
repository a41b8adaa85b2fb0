"""The Book: a team's validated data, rolled up to weeks, as of a date."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from insight_engine.book.rollup import WeeklyUsage
from insight_engine.source.contract import label_from_key
from insight_engine.source.problems import ValidationReport

__all__ = ["Book"]


@dataclass(frozen=True)
class Book:
    """A team's validated data, frozen: one book is shared by every session that shows it
    (``st.cache_resource``), so a changed book is a new one (``dataclasses.replace``), never
    an attribute set on the shared one.

    Attributes
    ----------
    accounts : pandas.DataFrame
        One row per account; ``tier`` always filled (derived from ARR where absent).
    metrics : pandas.DataFrame
        The metric catalog, in the order of ``weekly.metrics``.
    weekly : WeeklyUsage
        Usage per account, week and metric.
    as_of : pandas.Timestamp
        "Today" for every view: by default the last date in usage.
    usage : pandas.DataFrame or None
        Daily usage (account_id and metric categorical). None when the rollup ran in a database.
    contacts, tickets, surveys, milestones, notes, insights : pandas.DataFrame
        Optional tables; empty (with the contract's columns) when not provided.
    source : str
        Where the data came from, for the UI.
    key : str
        What identifies this book in the insight log (see :mod:`insight_engine.book.book_key`): the
        log's reads and writes are scoped to it. Set by the loader; empty for a hand-built book.
    report : ValidationReport
        Every problem found while loading, and every row set aside.
    date_range : tuple of (Timestamp or None, Timestamp or None)
        The first usage date and the last date in any table (tickets, notes... may run past
        usage): the range an as-of date may take. None where unknown.
    """

    accounts: pd.DataFrame
    metrics: pd.DataFrame
    weekly: WeeklyUsage
    as_of: pd.Timestamp
    usage: pd.DataFrame | None = None
    contacts: pd.DataFrame = field(default_factory=pd.DataFrame)
    tickets: pd.DataFrame = field(default_factory=pd.DataFrame)
    surveys: pd.DataFrame = field(default_factory=pd.DataFrame)
    milestones: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: pd.DataFrame = field(default_factory=pd.DataFrame)
    insights: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: str = ""
    key: str = ""
    report: ValidationReport = field(default_factory=ValidationReport)
    provided: frozenset[str] = frozenset()
    # Tables with rows dated after ``as_of`` -> their latest date (out of this week's view).
    later: dict[str, pd.Timestamp] = field(default_factory=dict)
    # The first usage date and the last date of any table: the range an as-of date may take.
    date_range: tuple[pd.Timestamp | None, pd.Timestamp | None] = (None, None)
    # Cache identity set by the app: the data (source and as-of date), and the data plus the
    # insight log's version (views that depend on the log).
    data_key: str = ""
    cache_key: str = ""

    def account(self, account_id: str) -> pd.Series:
        """The accounts row for one id (raises KeyError with the id if unknown)."""
        rows = self.accounts.loc[self.accounts["account_id"] == account_id]
        if rows.empty:
            raise KeyError(account_id)
        return rows.iloc[0]

    def metric_label(self, metric: str) -> str:
        """Plain-English label of a metric key (never the raw key if the catalog has a label)."""
        row = self.metrics.loc[self.metrics["metric"] == metric]
        return str(row["label"].iloc[0]) if len(row) else label_from_key(metric)

    @property
    def csms(self) -> list[str]:
        return sorted(self.accounts["csm"].dropna().unique().tolist())

    @property
    def teams(self) -> list[str]:
        if "manager" not in self.accounts:
            return []
        return sorted(self.accounts["manager"].dropna().unique().tolist())

    def has(self, table: str) -> bool:
        """True when the optional table was provided (even if it had no rows)."""
        return table in self.provided
