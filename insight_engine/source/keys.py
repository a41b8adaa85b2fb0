"""A second key: rows keyed by a subscription id, a user id or an email, joined to their account.

Usage, tickets and surveys exported from billing, product or support tools often name the
subscription, the user or the person's email instead of the CRM's account id. Before such a
table is validated, :func:`join_accounts` fills its ``account_id`` from

- ``subscription_id`` through the subscriptions table (every subscription, canceled ones too:
  the usage still belongs to the account),
- ``user_id`` through the users table,
- ``email`` through the users table, else its domain through the accounts' ``domain`` column.

A row's own ``account_id`` wins. Rows that name a second key that joins to no account are set
aside and each one listed (file, row, column, value, what to do), like every other problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insight_engine.source.contract import SECOND_KEYS
from insight_engine.source.problems import MAX_LISTED_PER_KIND, Problem, ValidationReport
from insight_engine.source.validation import ROW_COLUMN, visible_text

__all__ = ["KEY_COLUMNS", "Joins", "join_accounts"]

KEY_COLUMNS = tuple(c.name for c in SECOND_KEYS)


def _clean(values: pd.Series) -> pd.Series:
    text = visible_text(values)
    return text.mask(text == "", pd.NA)


def _domain(values: pd.Series) -> pd.Series:
    """``Ana@Northwind.com`` → ``northwind.com``; ``www.northwind.com`` → ``northwind.com``."""
    text = _clean(values).str.lower()
    text = text.str.replace(r"^.*@", "", regex=True).str.replace(
        r"^(https?://)?(www\.)?", "", regex=True
    )
    return text.str.rstrip("/")


@dataclass
class Joins:
    """Lookups from a second key to an account id, and the file each comes from.

    Attributes
    ----------
    subscriptions, users, emails, domains : pandas.Series
        key → account id (keys as written; emails and domains in lower case).
    """

    subscriptions: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))
    users: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))
    emails: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))
    domains: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        accounts: pd.DataFrame,
        users: pd.DataFrame | None = None,
        subscriptions: pd.DataFrame | None = None,
        files: dict[str, str] | None = None,
    ) -> Joins:
        """Lookups from the validated users, subscriptions and accounts (``domain``)."""

        def lookup(frame: pd.DataFrame | None, column: str, key=_clean) -> pd.Series:
            if frame is None or column not in frame or frame.empty:
                return pd.Series(dtype="string")
            keys = key(frame[column])
            ok = keys.notna() & frame["account_id"].notna()
            out = pd.Series(
                frame.loc[ok, "account_id"].astype(str).to_numpy(), index=keys[ok].to_numpy()
            )
            return out[~out.index.duplicated()]

        return cls(
            subscriptions=lookup(subscriptions, "subscription_id"),
            users=lookup(users, "user_id"),
            emails=lookup(users, "email", lambda v: _clean(v).str.lower()),
            domains=lookup(accounts, "domain", _domain),
            sources=dict(files or {}),
        )

    def lookup_of(self, name: str) -> tuple[pd.Series, Callable[[pd.Series], pd.Series]]:
        """The lookup a key column joins through and how its values are keyed."""
        return _LOOKUPS[name](self)

    def where(self, name: str) -> str:
        """In words, where a key column is looked up (for the report)."""
        return _WHERE[name](self)


# Key column -> (the lookup, how a value is keyed); tried in this order, the first that joins wins.
_LOOKUPS: dict[str, Callable[[Joins], tuple[pd.Series, Callable[[pd.Series], pd.Series]]]] = {
    "subscription_id": lambda j: (j.subscriptions, _clean),
    "user_id": lambda j: (j.users, _clean),
    "email": lambda j: (j.emails, lambda v: _clean(v).str.lower()),
    "email_domain": lambda j: (j.domains, _domain),
}
_COLUMN_OF = {
    "subscription_id": "subscription_id",
    "user_id": "user_id",
    "email": "email",
    "email_domain": "email",
}
_WHERE: dict[str, Callable[[Joins], str]] = {
    "subscription_id": lambda j: (
        f"a subscription in {j.sources.get('subscriptions', 'subscriptions (none loaded)')}"
    ),
    "user_id": lambda j: f"a user in {j.sources.get('users', 'users (none loaded)')}",
    "email": lambda j: (
        f"a user's email in {j.sources.get('users', 'users (none loaded)')}, and its domain is no "
        "account's domain in accounts"
    ),
}
_FIX = {
    "subscription_id": "Add the subscription (with its account) to subscriptions, or give the row an account_id.",
    "user_id": "Add the user (user_id, account_id) to users, or give the row an account_id.",
    "email": "Add the person (email, account_id) to users, or the account's email domain to "
    "accounts' domain column, or give the row an account_id.",
}


def join_accounts(
    frame: pd.DataFrame,
    joins: Joins,
    report: ValidationReport,
    *,
    file: str,
    row_offset: int,
) -> tuple[pd.DataFrame, int]:
    """Fill ``account_id`` from the frame's second keys; set aside rows that join nowhere.

    Parameters
    ----------
    frame : pandas.DataFrame
        A mapped usage, tickets or surveys table (contract column names; text values).
    joins : Joins
        The lookups.
    report : ValidationReport
        Each row set aside is listed here (capped per kind, all counted) and kept in
        ``rejected``.
    file : str
        The file's name, for the report.
    row_offset : int
        Spreadsheet row of the frame's index 0 (rows keep their own number).

    Returns
    -------
    frame : pandas.DataFrame
        The rows with an account id (own or joined); untouched when it has no key column.
    set_aside : int
        Rows that named a key that joined to no account.
    """
    keys = [c for c in KEY_COLUMNS if c in frame.columns]
    if not keys:
        return frame, 0
    frame = frame.copy()
    own = (
        _clean(frame["account_id"])
        if "account_id" in frame
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    account = own.copy()
    blamed = pd.Series(pd.NA, index=frame.index, dtype="string")  # the key column a row failed on
    for name in _LOOKUPS:
        column = _COLUMN_OF[name]
        if column not in keys:
            continue
        lookup, key = joins.lookup_of(name)
        values = key(frame[column])
        todo = account.isna() & values.notna()
        if not todo.any():
            continue
        found = (
            values[todo].map(lookup) if len(lookup) else pd.Series(pd.NA, index=values[todo].index)
        )
        hit = found.notna()
        account.loc[found.index[hit]] = found[hit].astype(str)
        missed = found.index[~hit]
        blamed.loc[missed] = blamed.loc[missed].fillna(column)
    blamed = blamed.where(account.isna())
    frame["account_id"] = account
    lost = blamed.notna()
    if lost.any():
        rows = (
            frame.loc[lost, ROW_COLUMN].to_numpy()
            if ROW_COLUMN in frame
            else np.asarray(frame.index[lost], dtype=np.int64) + row_offset
        )
        columns = blamed[lost].astype(str).to_numpy()
        values = [frame.at[i, c] for i, c in zip(frame.index[lost], columns, strict=True)]
        problems = pd.DataFrame(
            {
                "file": file,
                "row": rows,
                "column": columns,
                "value": [str(v) for v in values],
                "problem": [f"is not {joins.where(c)}, so the row has no account" for c in columns],
                "fix": [_FIX[c] for c in columns],
                "severity": "error",
            }
        )
        for _column, group in problems.groupby("column", sort=False):
            report.add_frame(group.head(MAX_LISTED_PER_KIND))
            if len(group) > MAX_LISTED_PER_KIND:
                first = group.iloc[0]
                report.add(
                    Problem(
                        file,
                        None,
                        first["column"],
                        None,
                        f"{len(group) - MAX_LISTED_PER_KIND:,} more rows are not joined ({len(group):,} in all)",
                        first["fix"],
                    )
                )
        report.rejected[f"{file} (not joined)"] = problems
    return frame.loc[~lost], int(lost.sum())
