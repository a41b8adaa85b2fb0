"""The data contract: which tables Rudder reads, their columns, and what each means.

Everything that reads a team's data (files, uploads, SQL) validates against the specs here,
and the README's data-contract tables are checked against them by a test, so the contract is
written down once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "TABLES",
    "TIER_THRESHOLDS",
    "Column",
    "TableSpec",
    "derive_tier",
]

ColumnKind = Literal["id", "text", "number", "date", "choice"]


@dataclass(frozen=True)
class Column:
    """One column of a contract table."""

    name: str
    kind: ColumnKind
    required: bool
    description: str
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    example: str = ""


@dataclass(frozen=True)
class TableSpec:
    """One table (file) of the contract."""

    name: str
    required: bool
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    # Columns that must name an account present in `accounts`.
    account_column: str | None = "account_id"
    date_columns_not_future: tuple[str, ...] = field(default=())

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# ARR thresholds for the derived tier (seed 001): Enterprise > $50k, Growth $10k–$50k, Starter < $10k.
TIER_THRESHOLDS = {"Enterprise": 50_000.0, "Growth": 10_000.0}
TIERS = ("Enterprise", "Growth", "Starter")


def derive_tier(arr):
    """Tier from ARR: Enterprise above $50k, Growth $10k to $50k, Starter below $10k.

    Parameters
    ----------
    arr : pandas.Series or float
        Annual recurring revenue in dollars.

    Returns
    -------
    pandas.Series or str
        The tier name(s).
    """
    import numpy as np
    import pandas as pd

    if isinstance(arr, pd.Series):
        values = arr.to_numpy(dtype=float)
        out = np.where(
            values > TIER_THRESHOLDS["Enterprise"],
            "Enterprise",
            np.where(values >= TIER_THRESHOLDS["Growth"], "Growth", "Starter"),
        )
        return pd.Series(out, index=arr.index, dtype="string")
    if arr > TIER_THRESHOLDS["Enterprise"]:
        return "Enterprise"
    return "Growth" if arr >= TIER_THRESHOLDS["Growth"] else "Starter"


C = Column

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "accounts",
            True,
            "One row per customer account.",
            (
                C("account_id", "id", True, "Your unique id for the account.", example="A-0001"),
                C("account_name", "text", True, "The customer's name.", example="Northwind Foods"),
                C("csm", "text", True, "The CSM who owns the account.", example="Priya Shah"),
                C(
                    "arr",
                    "number",
                    True,
                    "Annual recurring revenue in dollars.",
                    min_value=0,
                    example="24000",
                ),
                C(
                    "licensed_seats",
                    "number",
                    True,
                    "Seats the customer pays for.",
                    min_value=0,
                    example="25",
                ),
                C(
                    "contract_start",
                    "date",
                    True,
                    "When the contract started.",
                    example="2025-03-01",
                ),
                C("renewal_date", "date", True, "Next renewal date.", example="2026-03-01"),
                C(
                    "tier",
                    "choice",
                    False,
                    "Enterprise, Growth or Starter; derived from ARR when absent.",
                    choices=TIERS,
                ),
                C("industry", "text", False, "The customer's industry."),
                C(
                    "stated_goal",
                    "text",
                    False,
                    "The outcome the customer said they wanted, in their words.",
                ),
                C(
                    "lifecycle_stage",
                    "text",
                    False,
                    "Onboarding, adoption, value realization, renewal...",
                ),
                C("manager", "text", False, "The CSM's manager (the team)."),
            ),
            key=("account_id",),
            account_column=None,
        ),
        TableSpec(
            "contacts",
            False,
            "People at the customer who read insights.",
            (
                C("account_id", "id", True, "The account the contact belongs to."),
                C("name", "text", True, "The contact's name."),
                C("email", "text", True, "The contact's email (never sent to a model)."),
                C(
                    "role",
                    "choice",
                    True,
                    "admin, champion or executive.",
                    choices=("admin", "champion", "executive"),
                ),
            ),
        ),
        TableSpec(
            "metrics",
            True,
            "The metric catalog that makes Rudder product-agnostic: one row per usage metric.",
            (
                C(
                    "metric",
                    "id",
                    True,
                    "The metric's key as it appears in usage.",
                    example="filters_applied",
                ),
                C(
                    "label",
                    "text",
                    True,
                    "Plain-English name shown to people.",
                    example="Filters applied",
                ),
                C(
                    "category",
                    "choice",
                    True,
                    "adoption (activity counts), outcome (results), configuration (set-up levels) or seats (active users).",
                    choices=("adoption", "outcome", "configuration", "seats"),
                ),
                C("unit", "text", True, "Unit of the value, e.g. views, keywords, users."),
                C(
                    "higher_is_better",
                    "choice",
                    False,
                    "true or false; default true.",
                    choices=("true", "false"),
                ),
                C("target", "number", False, "Recommended level (better-practice threshold)."),
                C("complements", "text", False, "Metric of a capability that pairs with this one."),
                C("goal", "text", False, "Which customer outcome the metric serves."),
                C(
                    "how_to",
                    "text",
                    False,
                    "Steps a user takes to improve it; separate steps with ' | '.",
                ),
                C(
                    "upgrade",
                    "text",
                    False,
                    "The higher tier or add-on this capability maps to (for expansion signals).",
                ),
                C(
                    "aggregation",
                    "choice",
                    False,
                    "How days add up to a week: sum (counts) or mean (levels). Default: sum for adoption, mean otherwise.",
                    choices=("sum", "mean"),
                ),
            ),
            key=("metric",),
            account_column=None,
        ),
        TableSpec(
            "usage",
            True,
            "Product usage in long format, daily or weekly grain. A wide file (one column per metric) is melted.",
            (
                C("account_id", "id", True, "The account."),
                C("date", "date", True, "Day (or week start) the value belongs to."),
                C("metric", "id", True, "A metric key from the catalog."),
                C("value", "number", True, "The value; never negative.", min_value=0),
            ),
            date_columns_not_future=("date",),
        ),
        TableSpec(
            "tickets",
            False,
            "Support tickets.",
            (
                C("ticket_id", "id", True, "The ticket's id."),
                C("account_id", "id", True, "The account."),
                C("opened_at", "date", True, "When the ticket was opened."),
                C("closed_at", "date", False, "When it was closed; empty while open."),
                C(
                    "priority",
                    "choice",
                    False,
                    "low, normal, high or urgent.",
                    choices=("low", "normal", "high", "urgent"),
                ),
                C("topic", "text", False, "What the ticket was about."),
                C("csat", "number", False, "Support satisfaction 1–5.", min_value=1, max_value=5),
            ),
            key=("ticket_id",),
            date_columns_not_future=("opened_at",),
        ),
        TableSpec(
            "surveys",
            False,
            "NPS and CSAT survey responses.",
            (
                C("account_id", "id", True, "The account."),
                C("date", "date", True, "When the response came in."),
                C("kind", "choice", True, "nps (0–10) or csat (1–5).", choices=("nps", "csat")),
                C("score", "number", True, "The score.", min_value=0, max_value=10),
                C("comment", "text", False, "What the customer wrote."),
            ),
            date_columns_not_future=("date",),
        ),
        TableSpec(
            "milestones",
            False,
            "Journey milestones: 30/60/90-day onboarding, First Value, Value Blocks.",
            (
                C("account_id", "id", True, "The account."),
                C("milestone", "text", True, "The milestone's name."),
                C(
                    "kind",
                    "choice",
                    True,
                    "onboarding, first_value or value_block.",
                    choices=("onboarding", "first_value", "value_block"),
                ),
                C("due_date", "date", True, "When it is due."),
                C("completed_date", "date", False, "When it was completed; empty if not yet."),
            ),
        ),
        TableSpec(
            "notes",
            False,
            "Meeting notes in the customer's own words.",
            (
                C("account_id", "id", True, "The account."),
                C("date", "date", True, "Meeting date."),
                C("author", "text", True, "Who wrote the note."),
                C("text", "text", True, "The note."),
            ),
            date_columns_not_future=("date",),
        ),
        TableSpec(
            "insights",
            False,
            "Insights already sent (history); the opportunity model learns from their outcomes.",
            (
                C("insight_id", "id", True, "The insight's id."),
                C("account_id", "id", True, "The account."),
                C("date", "date", True, "When it was sent."),
                C("csm", "text", True, "Who sent it."),
                C(
                    "motion",
                    "choice",
                    True,
                    "win, feature, better_practice, stall, risk or expansion.",
                    choices=("win", "feature", "better_practice", "stall", "risk", "expansion"),
                ),
                C(
                    "audience",
                    "text",
                    True,
                    "admin, champion and/or executive (separate several with ' | ').",
                ),
                C("one_liner", "text", False, "The insight's one-liner."),
                C(
                    "outcome",
                    "choice",
                    False,
                    "landed, no_response or pushed_back; empty while pending.",
                    choices=("landed", "no_response", "pushed_back"),
                ),
                C(
                    "signal_strength",
                    "number",
                    False,
                    "Strength 0–1 of the signal it was based on.",
                    min_value=0,
                    max_value=1,
                ),
                C(
                    "health_at_send",
                    "number",
                    False,
                    "Health score 0–100 when it was sent.",
                    min_value=0,
                    max_value=100,
                ),
                C("tags", "text", False, "Tags, separated by ' | '."),
                C(
                    "follow_up",
                    "text",
                    False,
                    "The follow-up chosen (e.g. alignment_meeting, renewal_evidence).",
                ),
            ),
            key=("insight_id",),
            date_columns_not_future=("date",),
        ),
    )
}
