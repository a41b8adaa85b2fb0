"""Billing subscriptions → each account's ARR, seats, contract start and renewal date.

A subscriptions table (a Stripe API list ``{"data": [...]}``, Stripe's fixtures, or a CSV with
the contract's columns) fills what ``accounts`` leaves empty:

- **Which subscriptions count.** ``active`` and ``past_due`` (a customer still under contract
  while a payment is retried) give ARR, seats and dates; ``trialing`` gives seats and dates but
  no ARR (nothing is billed yet). ``canceled``, ``unpaid``, ``incomplete``,
  ``incomplete_expired`` and ``paused`` do not count, nor does any subscription with a
  ``canceled_at`` on or before the as-of date. An empty status reads ``active``.
- **Several subscriptions per account add up**: ARR and seats are summed; the contract start
  is the earliest start, the renewal the latest current period end (an annual contract's end,
  not a monthly add-on's next invoice).
- **ARR** per subscription: amount per unit × quantity × intervals per year
  (``day`` 365, ``week`` 52, ``month`` 12, ``year`` 1) ÷ ``interval_count``.
- **accounts.csv wins** where it gives a value; the report says, per field, which accounts'
  values came from billing.

Both Stripe shapes are read: the billing period on the subscription (``current_period_start``
and ``current_period_end``, older API versions) or on each of ``items.data[]`` (current ones),
and amounts in cents (``plan.amount``, ``price.unit_amount``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from insight_engine.source.problems import Problem, ValidationReport

__all__ = [
    "ARR_STATUSES",
    "COUNTED_STATUSES",
    "INTERVALS_PER_YEAR",
    "account_terms",
    "fill_accounts",
    "from_stripe",
    "is_stripe",
    "uncounted",
]

COUNTED_STATUSES = frozenset({"active", "past_due", "trialing"})
ARR_STATUSES = frozenset({"active", "past_due"})
INTERVALS_PER_YEAR = {"day": 365.0, "week": 52.0, "month": 12.0, "year": 1.0}
_INTERVAL_WORDS = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
    "days": "day",
    "weeks": "week",
    "months": "month",
    "years": "year",
}

# Contract column -> the flattened Stripe fields that hold it, first non-empty wins.
STRIPE_FIELDS: dict[str, tuple[str, ...]] = {
    "subscription_id": ("id",),
    "account_id": (
        "metadata.account_id",
        "customer.metadata.account_id",
        "customer.id",
        "customer",
    ),
    "status": ("status",),
    "plan": ("plan.nickname", "plan.id"),
    "quantity": ("quantity",),
    "interval": ("plan.interval",),
    "interval_count": ("plan.interval_count",),  # folded into amount by from_stripe
    "current_period_start": ("current_period_start",),
    "current_period_end": ("current_period_end",),
    "start_date": ("start_date", "created"),
    "canceled_at": ("ended_at", "canceled_at"),
}
# Other names tools give the contract's columns (a Stripe Dashboard CSV, a billing warehouse).
ALIASES: dict[str, tuple[str, ...]] = {
    "subscription_id": ("id", "subscription", "sub_id"),
    "account_id": ("customer_id", "customer", "account", "customer_account_id"),
    "plan": ("plan_name", "price", "price_id", "product", "plan_id"),
    "quantity": ("seats", "qty", "units"),
    "amount": ("amount_dollars", "unit_amount", "price_amount", "plan_amount"),
    "interval": ("billing_interval", "plan_interval", "billing_period"),
    "current_period_start": ("current_period_start_utc", "period_start"),
    "current_period_end": ("current_period_end_utc", "period_end", "renewal_date", "renews_on"),
    "start_date": ("start_date_utc", "start", "created", "created_utc", "started_at"),
    "canceled_at": ("canceled_at_utc", "cancelled_at", "ended_at", "ended_at_utc", "cancel_date"),
}


def is_stripe(frame: pd.DataFrame) -> bool:
    """True for Stripe API objects (flattened): an ``object`` column or ``items.data``."""
    return (
        "object" in frame.columns or "items.data" in frame.columns or "plan.amount" in frame.columns
    )


def _first(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.Series:
    """The first non-empty value among ``names``, row by row ("" where none)."""
    out = pd.Series("", index=frame.index, dtype=object)
    for name in reversed(names):
        if name in frame.columns:
            v = frame[name].astype(str)
            out = v.where(v.str.strip().ne("") & v.ne("null"), out)
    return out


def _items(cell: str) -> list[dict]:
    try:
        items = json.loads(cell) if cell else []
    except ValueError:
        return []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _item_terms(cell: str) -> dict[str, float | str]:
    """One subscription's ``items.data[]``: seats summed, yearly amount summed, the period."""
    seats = yearly = 0.0
    starts: list[float] = []
    ends: list[float] = []
    plans: list[str] = []
    intervals: list[str] = []
    for item in _items(cell):
        price = item.get("price") or item.get("plan") or {}
        recurring = price.get("recurring") or price
        interval = str(recurring.get("interval") or "month")
        count = float(recurring.get("interval_count") or 1) or 1.0
        qty = float(item.get("quantity") or 1)
        amount = price.get("unit_amount", price.get("amount"))
        seats += qty
        if amount is not None and interval in INTERVALS_PER_YEAR:
            yearly += float(amount) / 100 * qty * INTERVALS_PER_YEAR[interval] / count
        for key, bucket in (("current_period_start", starts), ("current_period_end", ends)):
            if isinstance(item.get(key), int | float):
                bucket.append(float(item[key]))
        plans.append(str(price.get("nickname") or price.get("id") or ""))
        intervals.append(interval)
    return {
        "quantity": seats if seats else np.nan,
        "arr": yearly if yearly else np.nan,
        "current_period_start": min(starts) if starts else np.nan,
        "current_period_end": min(ends) if ends else np.nan,
        "plan": " + ".join(p for p in plans if p),
        "interval": intervals[0] if intervals else "",
    }


def from_stripe(frame: pd.DataFrame, file: str, report: ValidationReport) -> pd.DataFrame:
    """Stripe subscription objects (flattened with dots) as the contract's subscriptions columns.

    Objects of other types in the same document (customer, invoice, price…) are left out with
    a note. ``items.data[]`` is read per subscription (a few per account: not a loop over
    usage rows); its period and amounts win over the subscription's own. Amounts in cents
    become dollars; ``amount`` is then per unit per interval and ``arr`` is precomputed.
    """
    if "object" in frame.columns:
        kinds = frame["object"].astype(str)
        others = kinds[kinds.ne("subscription")]
        if len(others):
            report.add(
                Problem(
                    file,
                    None,
                    "object",
                    ", ".join(sorted(set(others))),
                    f"{len(others):,} object(s) are not subscriptions and were left out",
                    "Nothing to do; export only subscriptions to skip this note.",
                    "info",
                )
            )
        frame = frame.loc[kinds.eq("subscription")]
    out = pd.DataFrame({c: _first(frame, names) for c, names in STRIPE_FIELDS.items()})
    # Amounts become dollars per unit per year (interval "year"), so interval_count is folded in.
    cents = pd.to_numeric(_first(frame, ("plan.amount",)), errors="coerce")
    count = pd.to_numeric(out.pop("interval_count"), errors="coerce")
    yearly = cents / 100 * _per_year(out["interval"], count)
    qty = pd.to_numeric(out["quantity"], errors="coerce")
    if "items.data" in frame.columns:
        items = pd.DataFrame(
            [_item_terms(c) for c in frame["items.data"].astype(str)], index=frame.index
        )
        for c in ("current_period_start", "current_period_end", "quantity"):
            given = items[c].map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
            out[c] = given.where(given.ne(""), out[c])
        out["plan"] = items["plan"].where(items["plan"].ne(""), out["plan"])
        qty = pd.to_numeric(out["quantity"], errors="coerce")
        yearly = (items["arr"] / qty.where(qty > 0, 1.0)).fillna(yearly)
    out["amount"] = yearly.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    out["interval"] = np.where(yearly.notna(), "year", out["interval"])
    return out


def _per_year(interval: pd.Series, count: pd.Series) -> pd.Series:
    words = interval.astype("string").str.strip().str.lower().replace(_INTERVAL_WORDS)
    per = words.map(INTERVALS_PER_YEAR).astype(float).fillna(12.0)  # default: monthly
    return per / count.where(count > 0, 1.0).fillna(1.0)


def account_terms(subs: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """ARR, seats, contract start and renewal per account from its counted subscriptions.

    Parameters
    ----------
    subs : pandas.DataFrame
        Validated subscriptions (contract columns; dates as datetimes, numbers as floats;
        ``arr`` when the Stripe reader computed it from items).
    as_of : Timestamp, optional
        A subscription canceled on or before it does not count (default: the machine's date).
        The renewal is the latest current period end of the counted subscriptions: an annual
        contract's end, not a monthly add-on's next invoice.

    Returns
    -------
    pandas.DataFrame
        Index ``account_id``; columns ``arr``, ``licensed_seats``, ``contract_start``,
        ``renewal_date`` (NaN/NaT where billing does not say).
    """
    as_of = (as_of or pd.Timestamp.today()).normalize()
    status = subs["status"].astype("string").str.strip().str.lower().fillna("active")
    status = status.mask(status.eq(""), "active")
    canceled = subs["canceled_at"].le(as_of).fillna(False)
    counted = status.isin(COUNTED_STATUSES) & ~canceled
    subs = subs.loc[counted]
    status = status[counted]
    qty = subs["quantity"].astype(float)
    per_year = _per_year(subs["interval"], pd.Series(1.0, index=subs.index))
    arr = subs["amount"].astype(float) * qty.fillna(1.0) * per_year
    arr = arr.where(status.isin(ARR_STATUSES))
    ahead = subs["current_period_end"]
    start = subs["start_date"].fillna(subs["current_period_start"])
    frame = pd.DataFrame(
        {
            "account_id": subs["account_id"].astype(str),
            "arr": arr,
            "licensed_seats": qty,
            "contract_start": start,
            "renewal_date": ahead,
        }
    )
    grouped = frame.groupby("account_id", sort=False)
    return pd.DataFrame(
        {
            "arr": grouped["arr"].sum(min_count=1),
            "licensed_seats": grouped["licensed_seats"].sum(min_count=1),
            "contract_start": grouped["contract_start"].min(),
            "renewal_date": grouped["renewal_date"].max(),
        }
    )


def uncounted(
    subs: pd.DataFrame, as_of: pd.Timestamp | None, report: ValidationReport, file: str
) -> None:
    """Say which subscriptions do not count, and why (status, or canceled by the as-of date)."""
    as_of = (as_of or pd.Timestamp.today()).normalize()
    status = subs["status"].astype("string").str.strip().str.lower().fillna("active")
    status = status.mask(status.eq(""), "active")
    canceled = subs["canceled_at"].le(as_of).fillna(False)
    reasons = {
        "canceled or ended": canceled,
        "its status is not active, past_due or trialing": ~canceled
        & ~status.isin(COUNTED_STATUSES),
    }
    for why, mask in reasons.items():
        if mask.any():
            ids = subs.loc[mask, "subscription_id"].astype(str).tolist()
            report.add(
                Problem(
                    file,
                    None,
                    "status" if "status" in why else "canceled_at",
                    None,
                    f"{len(ids):,} subscription(s) do not count toward ARR, seats or dates: {why} "
                    f"({', '.join(ids[:5])}{', …' if len(ids) > 5 else ''})",
                    "Nothing to do if they are over; otherwise export current subscriptions.",
                    "info",
                )
            )


def fill_accounts(
    accounts: pd.DataFrame, terms: pd.DataFrame, report: ValidationReport, file: str
) -> pd.DataFrame:
    """Fill accounts' empty ARR, seats, contract start and renewal from billing; say which.

    Values the accounts file gives win. One note per field lists the accounts it filled.
    """
    accounts = accounts.copy()
    aligned = terms.reindex(accounts["account_id"].astype(str))
    aligned.index = accounts.index
    for column in ("arr", "licensed_seats", "contract_start", "renewal_date"):
        if column not in accounts:
            accounts[column] = np.nan
        empty = accounts[column].isna()
        given = aligned[column].notna()
        fill = empty & given
        differs = ~empty & given & accounts[column].ne(aligned[column])
        if fill.any():
            accounts.loc[fill, column] = aligned.loc[fill, column]
            ids = accounts.loc[fill, "account_id"].astype(str).tolist()
            report.add(
                Problem(
                    file,
                    None,
                    column,
                    None,
                    f"came from billing for {len(ids):,} account(s) "
                    f"({', '.join(ids[:5])}{', …' if len(ids) > 5 else ''}): "
                    "active, past-due and trialing subscriptions added up",
                    "Nothing to do; a value in accounts wins where both give one.",
                    "info",
                )
            )
        if differs.any():
            ids = accounts.loc[differs, "account_id"].astype(str).tolist()
            report.add(
                Problem(
                    file,
                    None,
                    column,
                    None,
                    f"differs from accounts for {len(ids):,} account(s) "
                    f"({', '.join(ids[:5])}{', …' if len(ids) > 5 else ''}); the accounts value was kept",
                    "Check which is right; clear the accounts cell to use billing's.",
                    "info",
                )
            )
    return accounts
