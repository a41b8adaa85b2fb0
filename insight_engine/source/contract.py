"""The data contract: which tables Rudder reads, their columns, and what each means.

Everything that reads a team's data (files, uploads, SQL) validates against the specs here,
and the README's data-contract tables are checked against them by a test, so the contract is
written down once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "COLUMN_LABELS",
    "SECOND_KEYS",
    "SOURCES",
    "TABLES",
    "TIER_THRESHOLDS",
    "UNASSIGNED",
    "Column",
    "TableSpec",
    "derive_tier",
]

ColumnKind = Literal["id", "text", "number", "date", "choice"]

# Plain labels where the contract's name does not read as words by itself (acronyms, ids,
# terse names); every other column reads as its name with spaces ("renewal_date": "Renewal date").
COLUMN_LABELS: dict[str, str] = {
    "account_id": "Account ID",
    "csm": "CSM (who owns the account)",
    "arr": "ARR (annual recurring revenue)",
    "stated_goal": "Customer's stated goal",
    "manager": "Manager (the CSM's team)",
    "domain": "Website domain",
    "subscription_id": "Subscription ID",
    "user_id": "User ID",
    "ticket_id": "Ticket ID",
    "insight_id": "Insight ID",
    "opened_at": "Opened on",
    "closed_at": "Closed on",
    "csat": "CSAT (1–5)",
    "completed_date": "Completed on",
    "due_date": "Due on",
    "how_to": "How to improve",
    "aggregation": "Days → week",
    "core": "Core metric",
    "one_liner": "One-liner",
    "health_at_send": "Health when sent",
    "follow_up": "Follow-up",
}


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
    # The value a row keeps, with a warning, when the cell is empty or (for a choice) not
    # recognised, instead of the row being set aside. Choices' other spellings: ``SYNONYMS``.
    fallback: str | None = None
    # Or: the value of another column of the same row (an account's name: its id).
    fallback_column: str | None = None

    @property
    def label(self) -> str:
        """The column's name in plain words, for a form ("Renewal date" for ``renewal_date``);
        the contract's name stays in tooltips, files and the README."""
        return COLUMN_LABELS.get(self.name) or label_from_key(self.name)

    @property
    def dtype(self) -> str:
        """The pandas dtype of the column once validated."""
        return {"number": "float64", "date": "datetime64[ns]"}.get(self.kind, "string")

    @property
    def missing(self) -> object:
        """The missing value of that dtype (``pd.NA`` cannot fill a float64 column)."""
        import numpy as np
        import pandas as pd

        return {"number": np.nan, "date": pd.NaT}.get(self.kind, pd.NA)


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

    def empty(self):
        """The table with its columns and dtypes and no rows (an optional table not given)."""
        import pandas as pd

        return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in self.columns})

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# ARR thresholds for the derived tier (seed 001): Enterprise > $50k, Growth $10k–$50k, Starter < $10k.
TIER_THRESHOLDS = {"Enterprise": 50_000.0, "Growth": 10_000.0}
TIERS = ("Enterprise", "Growth", "Starter")
UNASSIGNED = "Unassigned"  # the CSM of an account whose owner is not given


def choice_key(value: str) -> str:
    """How a typed choice is compared: trimmed, lower case, runs of spaces/hyphens as ``_``."""
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def _syn(**groups: tuple[str, ...]) -> dict[str, str]:
    """``choice=(spelling, ...)`` -> {normalised spelling: choice}."""
    return {choice_key(s): choice for choice, spellings in groups.items() for s in spellings}


# How teams' tools write the contract's choices (CRMs, help desks, survey tools). Each choice
# also matches itself; anything else in an optional column is kept blank with a warning.
SYNONYMS: dict[tuple[str, str], dict[str, str]] = {
    ("accounts", "tier"): _syn(
        Enterprise=("enterprise", "ent", "strategic", "large enterprise", "key account", "tier 1"),
        Growth=("growth", "mid market", "midmarket", "mid", "commercial", "tier 2"),
        Starter=("starter", "smb", "small business", "small", "basic", "self serve", "tier 3"),
    ),
    ("contacts", "role"): _syn(
        admin=("admin", "administrator", "user", "end user", "day to day", "power user"),
        champion=("champion", "sponsor", "main contact", "primary contact", "project lead"),
        executive=(
            "executive",
            "exec",
            "economic buyer",
            "exec sponsor",
            "executive sponsor",
            "decision maker",
            "vp",
            "c level",
            "leadership",
        ),
    ),
    ("metrics", "category"): _syn(
        adoption=("adoption", "usage", "activity", "engagement", "feature", "feature usage"),
        outcome=("outcome", "outcomes", "result", "results", "value", "kpi"),
        configuration=("configuration", "config", "setup", "set up", "settings"),
        seats=("seats", "seat", "users", "active users", "licenses", "licences", "logins"),
    ),
    ("metrics", "higher_is_better"): _syn(
        true=("true", "yes", "y", "1", "higher", "up", "t"),
        false=("false", "no", "n", "0", "lower", "down", "f"),
    ),
    ("metrics", "core"): _syn(
        true=("true", "yes", "y", "1", "core", "t"),
        false=("false", "no", "n", "0", "long tail", "long-tail", "optional", "f"),
    ),
    ("metrics", "aggregation"): _syn(
        sum=("sum", "total", "count", "add"),
        mean=("mean", "average", "avg", "level", "last"),
    ),
    ("tickets", "priority"): _syn(
        low=("low", "p4", "p5", "sev4", "sev 4", "minor", "trivial", "lowest"),
        normal=("normal", "medium", "med", "moderate", "p3", "sev3", "sev 3", "standard"),
        high=("high", "p2", "sev2", "sev 2", "major", "important", "highest"),
        urgent=("urgent", "p1", "p0", "sev1", "sev 1", "sev0", "critical", "blocker", "emergency"),
    ),
    ("surveys", "kind"): _syn(
        nps=("nps", "net promoter", "net promoter score", "promoter score", "relationship nps"),
        csat=("csat", "satisfaction", "customer satisfaction", "csat score"),
    ),
    ("milestones", "kind"): _syn(
        onboarding=("onboarding", "kickoff", "kick off", "go live", "golive", "launch", "30 day"),
        first_value=("first value", "first_value", "time to value", "ttv", "first win"),
        value_block=("value block", "value_block", "value blocks", "block"),
    ),
    ("insights", "motion"): _syn(
        win=("win", "wins", "success", "celebration"),
        feature=("feature", "feature insight", "product", "adoption", "feature adoption"),
        better_practice=("better practice", "best practice", "better_practice", "practice"),
        stall=("stall", "stalled", "stuck"),
        risk=("risk", "at risk", "mitigation"),
        expansion=("expansion", "upsell", "cross sell", "upgrade", "growth"),
    ),
    ("insights", "outcome"): _syn(
        landed=("landed", "acted", "success", "successful", "adopted", "done", "yes"),
        no_response=("no response", "no_response", "no reply", "ignored", "unanswered"),
        pushed_back=("pushed back", "pushed_back", "declined", "rejected", "disagreed"),
    ),
}
# Values that mean "nothing here" in a choice column, whatever the tool: read as empty.
BLANK_WORDS = frozenset(
    choice_key(w) for w in ("n/a", "na", "none", "-", "null", "pending", "tbd", "unknown", "?")
)


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

# A row of usage, tickets or surveys may name its account through a second key instead of
# account_id: Rudder fills account_id from the subscriptions or users table (or, for an email,
# the accounts' domain) before validating, and lists every row it could not join
# (insight_engine.source.keys).
SECOND_KEYS = (
    C(
        "subscription_id",
        "text",
        False,
        "Instead of account_id: a subscription id, joined to its account through subscriptions.",
        example="sub_1Pgc6r",
    ),
    C(
        "user_id",
        "text",
        False,
        "Instead of account_id: a user id, joined to its account through users.",
        example="u_1042",
    ),
    C(
        "email",
        "text",
        False,
        "Instead of account_id: a person's email, joined through users, else its domain through accounts.",
        example="ana@northwind.com",
    ),
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "accounts",
            True,
            "One row per customer account.",
            (
                C("account_id", "id", True, "Your unique id for the account.", example="A-0001"),
                C(
                    "account_name",
                    "text",
                    True,
                    "The customer's name; an empty cell shows the account id (with a warning).",
                    example="Northwind Foods",
                    fallback_column="account_id",
                ),
                C(
                    "csm",
                    "text",
                    False,
                    "The CSM who owns the account; empty or absent: Unassigned (with a warning).",
                    example="Priya Shah",
                    fallback=UNASSIGNED,
                ),
                C(
                    "arr",
                    "number",
                    False,
                    "Annual recurring revenue in dollars; empty: unknown (tier then from the tier column, else Starter).",
                    min_value=0,
                    example="24000",
                ),
                C(
                    "licensed_seats",
                    "number",
                    False,
                    "Seats the customer pays for; empty or 0: unknown, and seat-based signals are off for the account.",
                    min_value=0,
                    example="25",
                ),
                C(
                    "contract_start",
                    "date",
                    False,
                    "When the contract started; empty: unknown (usage history is read from the first usage row).",
                    example="2025-03-01",
                ),
                C(
                    "renewal_date",
                    "date",
                    False,
                    "Next renewal date; empty: unknown, and renewal-based signals are off for the account.",
                    example="2026-03-01",
                ),
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
                C(
                    "domain",
                    "text",
                    False,
                    "The customer's email domain (northwind.com): rows keyed by an email join here.",
                    example="northwind.com",
                ),
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
            False,
            "The metric catalog that makes Rudder product-agnostic: one row per usage metric. "
            "Absent: derived from the metric names in usage (editable in Data & settings).",
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
                    False,
                    "Plain-English name shown to people; empty: made from the metric key.",
                    example="Filters applied",
                ),
                C(
                    "category",
                    "choice",
                    True,
                    "adoption (activity counts), outcome (results), configuration (set-up levels) or seats (active users); empty or unknown: adoption.",
                    choices=("adoption", "outcome", "configuration", "seats"),
                    fallback="adoption",
                ),
                C("unit", "text", False, "Unit of the value, e.g. views, keywords, users."),
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
                C(
                    "core",
                    "choice",
                    False,
                    "true for a core capability most accounts use, false for a long-tail feature "
                    "(it counts toward health only for accounts that use it); derived when absent: "
                    "core when at least half the accounts with usage used it in the last 12 weeks.",
                    choices=("true", "false"),
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
                *SECOND_KEYS,
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
                *SECOND_KEYS,
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
                *SECOND_KEYS,
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
                    "onboarding, first_value or value_block; unknown: onboarding.",
                    choices=("onboarding", "first_value", "value_block"),
                    fallback="onboarding",
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


# Source tables: exports as the tools write them, turned into the contract's tables while
# loading (never a table of the book themselves). ``events`` becomes usage
# (insight_engine.source.events), ``subscriptions`` fills accounts' ARR, seats and contract dates
# (insight_engine.source.billing), ``users`` and ``subscriptions`` join rows keyed by a second key
# (insight_engine.source.keys). The folder loader knows them by file name (events.jsonl, users.csv,
# subscriptions.json…).
SOURCES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "events",
            False,
            "Product-analytics events, one row per event, as Segment, PostHog, Amplitude or "
            "Mixpanel export them (CSV, JSON lines or Parquet; nested fields read with dots: "
            "`context.groupId`, `properties.time`). Rolled up to daily usage per account: a count "
            "per event (the top events, the rest as other activity), daily active users and "
            "weekly active users (distinct users in the week). Usage may then be left out.",
            (
                C(
                    "timestamp",
                    "date",
                    True,
                    "When it happened: ISO datetime or epoch seconds/milliseconds "
                    "(`timestamp`, `time`, `event_time`, `properties.time`).",
                ),
                C(
                    "event",
                    "text",
                    True,
                    "The event's name (`event`, `event_type`, `name`).",
                    example="Signed In",
                ),
                C(
                    "user_id",
                    "text",
                    False,
                    "Who did it (`userId`, `distinct_id`, `anonymousId`); needed for active users "
                    "and to join through users.",
                ),
                C(
                    "account_id",
                    "text",
                    False,
                    "The account (group) it belongs to (`context.groupId`, `groupId`, `$group_0`, "
                    "`groups`); empty: joined through users by user_id.",
                ),
            ),
            account_column=None,
        ),
        TableSpec(
            "users",
            False,
            "Which account each user belongs to: joins events, usage, tickets and surveys keyed "
            "by a user id or an email.",
            (
                C("user_id", "text", False, "The user's id as the other files write it."),
                C("email", "text", False, "The user's email (never sent to a model)."),
                C("account_id", "id", True, "The account the user belongs to."),
            ),
        ),
        TableSpec(
            "subscriptions",
            False,
            'Billing subscriptions (a Stripe API list `{"data": [...]}`, Stripe objects, or CSV): '
            "each account's ARR, seats, contract start and renewal (several subscriptions add "
            "up); values given in accounts win. Also joins rows keyed by a subscription id.",
            (
                C("subscription_id", "text", True, "The subscription's id (`id`)."),
                C(
                    "account_id",
                    "text",
                    True,
                    "The account it bills (`customer`, or `metadata.account_id`).",
                ),
                C(
                    "status",
                    "text",
                    False,
                    "active and past_due count (ARR, seats, dates); trialing gives seats and "
                    "dates, no ARR; canceled, unpaid, incomplete and paused do not count. Empty: active.",
                ),
                C("plan", "text", False, "The plan or price name (`plan.nickname`, `price.id`)."),
                C(
                    "quantity",
                    "number",
                    False,
                    "Seats billed (`quantity`, summed over items).",
                    min_value=0,
                ),
                C(
                    "amount",
                    "number",
                    False,
                    "Price per unit (seat) per interval in dollars; Stripe API amounts in cents "
                    "(`plan.amount`, `items.data[].price.unit_amount`) are converted.",
                    min_value=0,
                ),
                C(
                    "interval",
                    "text",
                    False,
                    "day, week, month or year (`plan.interval`); default month.",
                ),
                C("current_period_start", "date", False, "Start of the current billing period."),
                C(
                    "current_period_end",
                    "date",
                    False,
                    "End of the current period: the renewal date.",
                ),
                C(
                    "start_date",
                    "date",
                    False,
                    "When the subscription started: the contract start.",
                ),
                C(
                    "canceled_at",
                    "date",
                    False,
                    "When it was canceled or ended; from then on it does not count.",
                ),
            ),
        ),
    )
}


def label_from_key(metric: str) -> str:
    """A readable label for a metric key that has none: ``tickets_solved`` -> "Tickets solved"."""
    words = re.sub(r"[_\-.$]+", " ", str(metric)).strip()
    return words[:1].upper() + words[1:] if words else str(metric)


# Metric keys that count people (active users, logins) read as the seats category when a catalog
# is derived from usage; everything else is an activity count (adoption).
_PEOPLE = re.compile(r"(^|_)(users?|seats?|active|wau|dau|mau|people|members)(_|$)")


def guess_category(metric: str) -> str:
    """The category a derived catalog gives a metric key: seats for people counts, else adoption."""
    return (
        "seats" if _PEOPLE.search(re.sub(r"[^a-z0-9]+", "_", str(metric).lower())) else "adoption"
    )
