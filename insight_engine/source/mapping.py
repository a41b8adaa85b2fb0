"""Column mapping: suggest which of the user's columns is which contract column.

The upload flow shows the suggestions and lets the user confirm or change them; the folder
loader applies only exact matches (ignoring case, spaces and punctuation). It also says, before
anything is loaded, which required column a file lacks (:func:`missing_required`) and which of
the user's values in a choice column Rudder would not recognise (:func:`unrecognised_values`).
"""

from __future__ import annotations

import difflib
import re

import pandas as pd

from insight_engine.source import contract
from insight_engine.source.contract import SECOND_KEYS, TABLES, Column

__all__ = [
    "SYNONYMS",
    "TOOL_HEADERS",
    "missing_required",
    "normalize",
    "recognised_choice",
    "suggest_mapping",
    "unrecognised_values",
    "values_fit",
]

# Names teams commonly use for the contract's columns (CRM and CS-platform exports).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "account_id": (
        "id",
        "account",
        "accountid",
        "customer_id",
        "company_id",
        "acct_id",
        "sfdc_id",
        "account_number",
    ),
    "account_name": (
        "name",
        "account",
        "customer",
        "customer_name",
        "company",
        "company_name",
        "client",
    ),
    "csm": (
        "owner",
        "account_owner",
        "csm_owner",
        "csm_name",
        "customer_success_manager",
        "success_manager",
        "cs_owner",
    ),
    "arr": ("annual_recurring_revenue", "revenue", "contract_value", "acv", "arr_usd"),
    "licensed_seats": (
        "seats",
        "licenses",
        "licences",
        "seat_count",
        "purchased_seats",
        "licensed_users",
    ),
    "contract_start": ("start_date", "contract_start_date", "start", "signed_date", "close_date"),
    "renewal_date": ("renewal", "contract_end", "end_date", "renews_on", "next_renewal"),
    "tier": ("segment", "plan", "customer_tier", "account_tier", "package", "edition"),
    "stated_goal": ("goal", "objective", "desired_outcome", "success_criteria"),
    "lifecycle_stage": ("stage", "journey_stage", "phase"),
    "manager": ("team", "csm_manager", "team_lead"),
    "date": (
        "day",
        "week",
        "event_date",
        "usage_date",
        "created_at",
        "timestamp",
        "response_date",
        "meeting_date",
        "call_date",
        "submitted_at",
        "date_received",
        "received_at",
        "sent_at",
        "sent_date",
    ),
    "metric": ("metric_name", "event", "feature", "feature_name", "event_name", "kpi"),
    "value": ("count", "amount", "total", "metric_value", "usage_count", "event_count"),
    "opened_at": (
        "created",
        "created_at",
        "opened",
        "open_date",
        "submitted_at",
        "date_received",
        "received_at",
    ),
    "closed_at": ("closed", "resolved_at", "solved_at", "close_date"),
    "priority": ("severity", "urgency", "sev", "ticket_priority"),
    "csat": ("satisfaction_score", "satisfaction", "csat_score", "rating"),
    "score": ("rating", "nps", "response", "satisfaction_score", "nps_score", "csat_score"),
    "kind": ("type", "survey_type", "milestone_type"),
    "text": ("note", "notes", "body", "summary"),
    "email": ("email_address", "mail"),
    "role": ("persona", "contact_role", "title"),
}

# The headers tools write in their exports (normalised), per contract column: Salesforce API names
# (Data Loader) and report labels, HubSpot companies, Zendesk, Salesforce Cases, Intercom and
# Freshdesk tickets, NPS survey tools (Delighted, Qualtrics) and Stripe. Matched like SYNONYMS,
# after exact names, and only when the column's values are of the right kind.
TOOL_HEADERS: dict[str, tuple[str, ...]] = {
    "account_id": (
        "record_id",  # HubSpot
        "company_record_id",
        "associated_company_id",
        "salesforce_account_id",
        "sfdc_account_id",
        "organization",  # Zendesk, Freshdesk: the organisation the ticket belongs to
        "organization_id",
        "org_id",
        "company_domain_name",
    ),
    "account_name": ("organization_name", "org_name", "account"),
    "csm": ("owner_id", "company_owner", "owner_name", "account_manager", "hubspot_owner"),
    "arr": ("annual_revenue",),
    "licensed_seats": ("quantity",),  # Stripe subscriptions
    "contract_start": (
        "start_date_utc",  # Stripe
        "became_a_customer_date",  # HubSpot
        "customer_since",
    ),
    "renewal_date": (
        "current_period_end_utc",  # Stripe
        "current_period_end",
        "next_renewal_date",
        "contract_end_date",
    ),
    "ticket_id": (
        "case_number",  # Salesforce Cases
        "case_id",
        "id",  # Zendesk
        "ticket_number",
        "conversation_id",  # Intercom
    ),
    "opened_at": (
        "created_date",  # Salesforce CreatedDate, "Created Date"
        "date_time_opened",  # Salesforce case reports
        "opened_date",
        "created_time",  # Freshdesk
        "create_date",
    ),
    "closed_at": (
        "closed_date",  # Salesforce ClosedDate
        "date_time_closed",
        "closed_time",  # Freshdesk
        "resolved_time",
        "resolved_date",
        "solved_date",
    ),
    "topic": ("type", "subject", "reason", "case_reason", "ticket_type", "category"),
    "csat": ("conversation_rating", "customer_satisfaction", "satisfaction_rating"),
    "date": ("recorded_date", "responded_at", "survey_date", "response_date_utc"),
    "score": ("likelihood_to_recommend", "nps_rating"),
    "comment": ("comments", "feedback", "verbatim", "reason"),
}
SYNONYMS = {
    k: SYNONYMS.get(k, ())
    + tuple(n for n in TOOL_HEADERS.get(k, ()) if n not in SYNONYMS.get(k, ()))
    for k in {**SYNONYMS, **TOOL_HEADERS}
}


# Words that make a name a count or a length of time, never a date ("renewal_days" is how many
# days until the renewal, not the renewal date), and words that make a name a date or a time,
# never an amount. Close spellings and synonyms are only offered when the kinds agree.
_AMOUNT_WORDS = frozenset(
    [
        "days",
        "months",
        "weeks",
        "years",
        "hours",
        "minutes",
        "count",
        "counts",
        "number",
        "num",
        "qty",
        "pct",
        "percent",
        "ratio",
        "rate",
        "total",
        "age",
        "length",
        "duration",
        "term",
        "n",
    ]
)
_DATE_WORDS = frozenset(["date", "dt", "at", "on", "time", "timestamp", "when", "day"])


def _kind_fits(norm: str, col: Column) -> bool:
    """Whether a (normalised) column name can hold a value of ``col``'s kind."""
    words = set(norm.split("_"))
    if col.kind == "date":
        return not words & _AMOUNT_WORDS
    if col.kind == "number":
        return not words & _DATE_WORDS
    return True


def normalize(name: str) -> str:
    """``"Account ID "`` → ``account_id``."""
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", str(name).strip())
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


_GENERIC = frozenset(["id", "name", "owner", "account", "created", "company"])
_SMALL_INTEGER = r"^-?\d{1,4}(?:\.0+)?$"  # a count of days, a year: never a date


def values_fit(values: pd.Series, col: Column, *, sample: int = 200) -> bool:
    """Whether a column's values can be read as ``col``'s kind (a look at the values, not the name).

    A date column must hold dates as tools write them (ISO, zones, epoch, Excel day numbers,
    month names, day/month in either order), not counts such as 30 or 365; a number column
    must hold numbers (``$12,000`` and ``1,234.5`` count). At least 80% of the first
    ``sample`` non-empty values must fit; an empty column fits (it says nothing).
    """
    from insight_engine.source.validation import DateOrderError, parse_dates, parse_numbers

    if col.kind not in ("date", "number"):
        return True
    text = pd.Series(values, dtype="object").astype("string").str.strip()
    text = text[text.notna() & (text != "")].head(sample)
    if text.empty:
        return True
    if col.kind == "number":
        _, bad = parse_numbers(text.reset_index(drop=True))
        return float(bad.mean()) <= 0.2
    if text.str.fullmatch(_SMALL_INTEGER).fillna(False).mean() > 0.5:
        return False
    try:
        _, bad, _ = parse_dates(text.reset_index(drop=True), column=col.name)
    except DateOrderError:
        return True  # dates, in an order the user chooses
    except (ValueError, OverflowError):  # e.g. phone numbers read as epoch seconds past 2262
        return False
    return float(bad.mean()) <= 0.2


def _has_values(values: pd.Series) -> bool:
    text = values.astype("string").str.strip()
    return bool((text.notna() & (text != "")).any())


def suggest_mapping(
    columns: list[str],
    table: str,
    *,
    exact_only: bool = False,
    frame: pd.DataFrame | None = None,
    fit_cache: dict | None = None,
) -> dict[str, str]:
    """Suggest a mapping from the user's column names to the contract's.

    Parameters
    ----------
    columns : list of str
        Column names as they appear in the user's file.
    table : str
        The contract table the file holds.
    exact_only : bool
        Only match names that are equal after normalising case, spaces and punctuation.
    frame : DataFrame, optional
        The file's values: a column is only suggested for a date or number column of the
        contract when its values are dates or numbers (:func:`values_fit`), whatever its name.
    fit_cache : dict, optional
        Reused across calls on the same ``frame`` (one look at a column's values per kind).

    Returns
    -------
    dict
        ``{user column: contract column}``; each contract column is used at most once and
        unmatched user columns are left out.
    """
    spec = TABLES[table]
    wanted = list(spec.column_names)
    fits = {c.name: c for c in spec.columns}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    normalized = {c: normalize(c) for c in columns}
    checked: dict[tuple[str, str], bool] = {} if fit_cache is None else fit_cache

    def values_ok(col: str, target: str) -> bool:
        if frame is None or col not in frame.columns:
            return True
        if normalize(col) != target and not _has_values(frame[col]):
            return False  # an empty column is only ever offered under its own name
        kind = fits[target].kind
        if kind not in ("date", "number"):
            return True
        if (col, kind) not in checked:
            checked[(col, kind)] = values_fit(frame[col], fits[target])
        return checked[(col, kind)]

    # 1. exact (normalised) names
    for col, norm in normalized.items():
        if norm in wanted and norm not in taken and values_ok(col, norm):
            mapping[col] = norm
            taken.add(norm)
    if exact_only:
        return mapping

    # 2. known synonyms; a name that can mean only one column first ("Account Number" is the
    #    id), so a name that could mean two ("Account") takes what is left (the name).
    def targets_of(col: str, norm: str) -> list[str]:
        return [
            t
            for t in wanted
            if norm in SYNONYMS.get(t, ()) and _kind_fits(norm, fits[t]) and values_ok(col, t)
        ]

    # A bare "id" or "name" is the account's only when nothing more specific is ("Customer ID"
    # beside Stripe's subscription "id").
    specific_first = sorted(normalized.items(), key=lambda item: item[1] in _GENERIC)
    for unambiguous_only in (True, False):
        for col, norm in specific_first:
            options = targets_of(col, norm)
            if col in mapping or (unambiguous_only and len(options) != 1):
                continue
            free = [t for t in options if t not in taken]
            if free:
                mapping[col] = free[0]
                taken.add(free[0])
    # 3. close spellings
    for col, norm in normalized.items():
        if col in mapping:
            continue
        remaining = [w for w in wanted if w not in taken and _kind_fits(norm, fits[w])]
        close = [
            w
            for w in difflib.get_close_matches(norm, remaining, n=3, cutoff=0.8)
            if values_ok(col, w)
        ]
        if close:
            mapping[col] = close[0]
            taken.add(close[0])
    return mapping


def missing_required(
    file: str, table: str, columns: list[str], mapping: dict[str, str]
) -> list[str]:
    """What stops a file before loading: each required contract column no column maps to.

    Parameters
    ----------
    file : str
        The file's name, as the user knows it.
    table : str
        The contract table the file holds.
    columns : list of str
        Every column of the user's file.
    mapping : dict
        ``{user column: contract column}`` as confirmed in the upload step.

    Returns
    -------
    list of str
        One message per missing column, naming the file, the contract column and what it
        holds, and listing all of the file's columns; empty when nothing is missing. Columns
        the contract can fill in (a fallback) are not listed. A wide usage file (one column
        per metric) needs only ``account_id`` and ``date``.
    """
    spec = TABLES[table]
    mapped = set(mapping.values())
    # A required column with a stand-in (an account's name: its id) is not a reason to stop.
    required = [
        c.name
        for c in spec.columns
        if c.required
        and getattr(c, "fallback", None) is None
        and getattr(c, "fallback_column", None) is None
    ]
    if table == "usage" and not {"metric", "value"} & mapped:
        required = [c for c in required if c not in ("metric", "value")]  # wide: melted
    second = [c.name for c in SECOND_KEYS if c.name in spec.column_names]
    if second and set(second) & mapped:  # a subscription id, user id or email: joined to it
        required = [c for c in required if c != "account_id"]
    theirs = ", ".join(f"'{c}'" for c in columns) or "none"
    return [
        f"{file} has no column for {name}, which the {table} table needs "
        f"({_lower_first(spec.column(name).description.rstrip('.'))}). The file's columns are: "
        f"{theirs}. "
        f"Choose the one that holds {name}, or add a column named {name} to the file"
        + (
            f"; or choose the column that holds a {' or '.join(second).replace('_', ' ')}, "
            "which Rudder joins to its account."
            if name == "account_id" and second
            else "."
        )
        for name in required
        if name not in mapped
    ]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _choice_key(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def recognised_choice(table: str, column: str, value: str) -> str | None:
    """The contract choice a typed value already reads as, or None if Rudder would not know it.

    Case, spacing and the contract's synonyms (``P1`` -> urgent) are forgiven, as the
    validator forgives them; words such as "n/a" read as empty (returned as ``""``).
    """
    col = TABLES[table].column(column)
    key = _choice_key(value)
    if not key:
        return ""
    known = {_choice_key(c): c for c in col.choices}
    known.update(getattr(contract, "SYNONYMS", {}).get((table, column), {}))
    if key in known:
        return known[key]
    return "" if key in getattr(contract, "BLANK_WORDS", ()) else None


def unrecognised_values(table: str, column: str, values, *, limit: int = 40) -> list[str]:
    """The distinct values of a choice column that are not one of Rudder's choices.

    Parameters
    ----------
    table, column : str
        The contract table and its choice column.
    values : iterable
        The user's column as typed (a pandas Series or any iterable of cells).
    limit : int
        At most this many values, most frequent first.

    Returns
    -------
    list of str
        Trimmed values, most frequent first, that the user may map to a choice.
    """
    typed = pd.Series(values, dtype="object").astype("string").str.strip()
    counts = typed[typed.notna() & (typed != "")].value_counts()
    left = [str(v) for v in counts.index if recognised_choice(table, column, str(v)) is None]
    return sorted(left, key=lambda v: (-int(counts[v]), v))[:limit]
