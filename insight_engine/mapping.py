"""Column mapping: suggest which of the user's columns is which contract column.

The upload flow shows the suggestions and lets the user confirm or change them; the folder
loader applies only exact matches (ignoring case, spaces and punctuation).
"""

from __future__ import annotations

import difflib
import re

from insight_engine.contract import TABLES

__all__ = ["SYNONYMS", "normalize", "suggest_mapping"]

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
    ),
    "metric": ("metric_name", "event", "feature", "kpi"),
    "value": ("count", "amount", "total", "metric_value"),
    "opened_at": ("created", "created_at", "opened", "open_date"),
    "closed_at": ("closed", "resolved_at", "solved_at", "close_date"),
    "score": ("rating", "nps", "response"),
    "text": ("note", "notes", "body", "summary"),
    "email": ("email_address", "mail"),
    "role": ("persona", "contact_role", "title"),
}


def normalize(name: str) -> str:
    """``"Account ID "`` → ``account_id``."""
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", str(name).strip())
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def suggest_mapping(columns: list[str], table: str, *, exact_only: bool = False) -> dict[str, str]:
    """Suggest a mapping from the user's column names to the contract's.

    Parameters
    ----------
    columns : list of str
        Column names as they appear in the user's file.
    table : str
        The contract table the file holds.
    exact_only : bool
        Only match names that are equal after normalising case, spaces and punctuation.

    Returns
    -------
    dict
        ``{user column: contract column}``; each contract column is used at most once and
        unmatched user columns are left out.
    """
    spec = TABLES[table]
    wanted = list(spec.column_names)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    normalized = {c: normalize(c) for c in columns}
    # 1. exact (normalised) names
    for col, norm in normalized.items():
        if norm in wanted and norm not in taken:
            mapping[col] = norm
            taken.add(norm)
    if exact_only:
        return mapping
    # 2. known synonyms
    for col, norm in normalized.items():
        if col in mapping:
            continue
        for target in wanted:
            if target not in taken and norm in SYNONYMS.get(target, ()):
                mapping[col] = target
                taken.add(target)
                break
    # 3. close spellings
    for col, norm in normalized.items():
        if col in mapping:
            continue
        remaining = [w for w in wanted if w not in taken]
        close = difflib.get_close_matches(norm, remaining, n=1, cutoff=0.8)
        if close:
            mapping[col] = close[0]
            taken.add(close[0])
    return mapping
