"""A seeded, realistic demo book for a fictional product (an SEO platform or a project tool).

``python -m insight_engine demo --accounts N --seed S --out DIR`` writes every contract file
plus ``ground_truth.csv``: the situations deliberately planted (wins, stalls, feature gaps,
better-practice gaps, risks, expansion paths and quiet healthy accounts) so tests can measure
the detectors. Same seed and as-of date → the same book, byte for byte.

Everything is generated with numpy over whole arrays (accounts × days), so 600 accounts take
well under a second and 10,000 accounts (36.5 million usage rows) a few seconds.

:func:`make_plan` draws the accounts (scenario, contract, age, owner) into a :class:`Plan`; then
one builder per table (:data:`BUILDERS`) reads the plan and draws the rest, in turn.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from insight_engine.source.contract import derive_tier
from insight_engine.source.products import METRICS, PRODUCTS, SEO, Product

__all__ = [
    "BUILDERS",
    "DEMO_AS_OF",
    "GENERATOR_VERSION",
    "METRICS",
    "PRODUCTS",
    "SCENARIOS",
    "DemoBook",
    "Plan",
    "generate_demo",
    "make_plan",
    "write_demo",
]

DEMO_AS_OF = pd.Timestamp("2026-11-20")
# Bump when the generator changes, so cached demo books (data/demo) are regenerated.
GENERATOR_VERSION = 3
SCENARIOS = ("win", "feature", "better_practice", "stall", "risk", "expansion", "quiet")
SCENARIO_SHARE = (0.12, 0.10, 0.10, 0.08, 0.10, 0.08, 0.42)

FIRST = [
    "Priya",
    "Marcus",
    "Elena",
    "Tom",
    "Aisha",
    "Diego",
    "Hannah",
    "Kenji",
    "Sofia",
    "Liam",
    "Nora",
    "Omar",
    "Grace",
    "Rafael",
    "Yuki",
    "Chloe",
    "Daniel",
    "Amara",
    "Felix",
    "Leah",
    "Ibrahim",
    "Maya",
    "Jonas",
    "Zoe",
    "Victor",
    "Ana",
    "Samuel",
    "Ines",
    "Theo",
    "Ruth",
]
LAST = [
    "Shah",
    "Bennett",
    "Rossi",
    "Okafor",
    "Lindqvist",
    "Moreno",
    "Kaplan",
    "Tanaka",
    "Novak",
    "Walsh",
    "Haddad",
    "Fischer",
    "Adeyemi",
    "Costa",
    "Murphy",
    "Ivanova",
    "Brooks",
    "Nakamura",
    "Silva",
    "Dubois",
]
PREFIX = [
    "Northwind",
    "Bluepeak",
    "Cedar",
    "Harbor",
    "Lumen",
    "Summit",
    "Oakridge",
    "Brightline",
    "Kestrel",
    "Marlow",
    "Pinecrest",
    "Quarry",
    "Redwood",
    "Saltmarsh",
    "Tidewater",
    "Upland",
    "Vantage",
    "Willow",
    "Alder",
    "Beacon",
    "Copper",
    "Driftwood",
    "Ember",
    "Foxglove",
    "Granite",
    "Heron",
    "Ironbark",
    "Juniper",
    "Larkspur",
    "Meridian",
    "Nimbus",
    "Orchard",
    "Polaris",
    "Riverbend",
    "Sable",
    "Thistle",
]
SUFFIX = [
    "Foods",
    "Analytics",
    "Health",
    "Outdoor",
    "Legal",
    "Travel",
    "Logistics",
    "Home",
    "Learning",
    "Financial",
    "Pet Supply",
    "Software",
    "Apparel",
    "Energy",
    "Media",
    "Dental",
    "Realty",
    "Fitness",
    "Insurance",
    "Robotics",
    "Coffee",
    "Bikes",
    "Studios",
    "Labs",
    "Partners",
    "Marine",
]
INDUSTRY = [
    "Retail",
    "Healthcare",
    "Financial services",
    "Travel",
    "Software",
    "Education",
    "Manufacturing",
    "Legal",
    "Real estate",
    "Consumer goods",
]


@dataclass
class DemoBook:
    """All tables of a generated book (usage as an Arrow table: it can be 36.5 million rows)."""

    tables: dict[str, pd.DataFrame]
    usage: pa.Table
    ground_truth: pd.DataFrame
    as_of: pd.Timestamp
    seed: int
    product: str = "seo"


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    combos = np.array([f"{p} {s}" for p in PREFIX for s in SUFFIX])
    idx = rng.permutation(len(combos))
    names = combos[idx[np.arange(n) % len(combos)]]
    rounds = np.arange(n) // len(combos)
    return np.where(
        rounds > 0, np.char.add(names, np.char.add(" ", (rounds + 1).astype(str))), names
    )


def _people(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.char.add(np.char.add(rng.choice(FIRST, n), " "), rng.choice(LAST, n))


def _team(n_accounts: int) -> tuple[list[str], list[str], dict[str, str]]:
    n_csm = max(8, round(n_accounts / 75))
    n_mgr = max(2, n_csm // 5)
    csms = [f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}" for i in range(n_csm)]
    csms = [c if i < len(FIRST) else f"{c} {i // len(FIRST) + 1}" for i, c in enumerate(csms)]
    managers = [
        f"{FIRST[-1 - i % len(FIRST)]} {LAST[-1 - i % len(LAST)]}"
        + (f" {i // len(LAST) + 1}" if i >= len(LAST) else "")
        for i in range(n_mgr)
    ]
    return csms, managers, {c: managers[i % n_mgr] for i, c in enumerate(csms)}


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """``A-00001``, ``A-00002``, … as Python strings (object dtype, as a list would give)."""
    digits = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)
    return (prefix + digits).to_numpy(dtype=object)


# The variants planted inside each scenario: (scenario, lowest sub, highest sub), where ``sub``
# is each account's uniform draw (so the same seed plants the same accounts in every product).
VARIANTS = {
    "kw_win": ("win", 0.0, 0.60),  # the outcome metric rising over the last weeks
    "fv_win": ("win", 0.60, 0.85),  # First Value completed this week
    "promoter": ("win", 0.85, 1.0),  # a passive last time, a promoter now
    "filters_gap": ("feature", 0.0, 0.6),
    "briefs_gap": ("feature", 0.6, 1.0),
    "comp_gap": ("better_practice", 0.0, 0.5),
    "integ_gap": ("better_practice", 0.5, 0.75),
    "alert_gap": ("better_practice", 0.75, 1.0),
    "stall_onboarding": ("stall", 0.0, 0.65),  # the others: a value block overdue
    "no_login": ("stall", 0.0, 0.35),
    "spike": ("risk", 0.0, 0.6),  # a support-ticket spike with low CSAT
    "detractor": ("risk", 0.4, 1.0),  # a detractor NPS
}


def _variant(scenario: np.ndarray, sub: np.ndarray, name: str) -> np.ndarray:
    kind, lo, hi = VARIANTS[name]
    return (scenario == kind) & (sub >= lo) & (sub < hi)


@dataclass(frozen=True)
class Plan:
    """What every table's builder reads: the book's span, its accounts and what was planted.

    Builders draw from the one ``rng`` in the order of :data:`BUILDERS`, so the same seed gives
    the same book; a new table's builder goes last, so the other tables stay as they were.
    """

    rng: np.random.Generator
    product: Product
    as_of: pd.Timestamp
    days: int
    dates: pd.DatetimeIndex
    scenario: np.ndarray  # per account, one of SCENARIOS
    sub: np.ndarray  # per account, uniform in [0, 1): picks the variant inside its scenario
    high: np.ndarray  # planted high-opportunity accounts
    account_id: np.ndarray
    arr: np.ndarray
    tier: np.ndarray
    seats: np.ndarray
    age_days: np.ndarray
    start: pd.DatetimeIndex
    renewal: pd.DatetimeIndex
    csm: np.ndarray
    manager: np.ndarray
    name: np.ndarray
    industry: np.ndarray
    goal: np.ndarray

    @property
    def n(self) -> int:
        return len(self.scenario)

    def planted(self, variant: str) -> np.ndarray:
        """The accounts planted with ``variant`` (a key of :data:`VARIANTS`)."""
        return _variant(self.scenario, self.sub, variant)


def _contract_terms(rng: np.random.Generator, A: int) -> tuple[np.ndarray, ...]:
    """ARR (by a drawn size band), the tier it gives, and licensed seats."""
    tier_draw = rng.choice(["Enterprise", "Growth", "Starter"], size=A, p=[0.15, 0.45, 0.40])
    arr = np.select(
        [tier_draw == "Enterprise", tier_draw == "Growth"],
        [
            rng.lognormal(np.log(110_000), 0.45, A).clip(55_000, 600_000),
            rng.uniform(10_500, 49_000, A),
        ],
        rng.uniform(2_400, 9_800, A),
    ).round(-2)
    tier = derive_tier(pd.Series(arr)).to_numpy()
    seats = np.select(
        [tier == "Enterprise", tier == "Growth"],
        [rng.integers(60, 320, A), rng.integers(12, 60, A)],
        rng.integers(3, 12, A),
    )
    return arr, tier, seats


def _ages(
    rng: np.random.Generator, scenario: np.ndarray, sub: np.ndarray, tier: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Days since each contract started, and the planted high-opportunity accounts."""
    A = len(scenario)
    age_days = rng.integers(140, 1100, A)
    # Some accounts are new (still onboarding); an expansion path needs a settled account.
    new = (rng.random(A) < 0.10) & np.isin(scenario, ["quiet", "feature", "better_practice"])
    age_days = np.where(new, rng.integers(40, 130, A), age_days)
    stall_onboarding = _variant(scenario, sub, "stall_onboarding")
    age_days = np.where(stall_onboarding, rng.integers(50, 115, A), age_days)
    age_days = np.where(_variant(scenario, sub, "fv_win"), rng.integers(80, 110, A), age_days)
    # Planted high-opportunity accounts: a strong situation, nobody has sent an insight in four
    # months, and the renewal is 20–60 days away. The ranking must put them in the top decile.
    high = (
        np.isin(scenario, ["win", "feature", "better_practice", "risk", "expansion"])
        & (sub < 0.5)
        & (tier != "Starter")
        & (rng.random(A) < 0.15)
    )
    age_days = np.where(high, 730 - rng.integers(20, 60, A), age_days)
    return age_days, high


def make_plan(
    n_accounts: int, seed: int, *, as_of: pd.Timestamp, days: int, product: Product
) -> Plan:
    """Draw the accounts: scenario, contract, age, owner, name, industry and stated goal."""
    rng = np.random.default_rng(seed)
    A = n_accounts
    as_of = pd.Timestamp(as_of).normalize()
    dates = pd.date_range(as_of - pd.Timedelta(days=days - 1), as_of, freq="D")
    scenario = rng.choice(np.array(SCENARIOS), size=A, p=SCENARIO_SHARE)
    sub = rng.random(A)
    arr, tier, seats = _contract_terms(rng, A)
    age_days, high = _ages(rng, scenario, sub, tier)
    start = as_of - pd.to_timedelta(age_days, unit="D")
    # next anniversary after as-of: renewals spread over the year
    years_in = np.ceil((age_days + 1) / 365.25).astype(int)
    renewal = start + pd.to_timedelta(np.round(years_in * 365.25).astype(int), unit="D")
    csms, _managers, manager_of = _team(A)
    csm = np.array(csms)[rng.permutation(A) % len(csms)]
    name = _names(rng, A)
    industry = rng.choice(INDUSTRY, A)
    goal = rng.choice(product.goals, A)
    return Plan(
        rng=rng,
        product=product,
        as_of=as_of,
        days=days,
        dates=dates,
        scenario=scenario,
        sub=sub,
        high=high,
        account_id=_ids("A-", A, 5),
        arr=arr,
        tier=tier,
        seats=seats,
        age_days=age_days,
        start=start,
        renewal=renewal,
        csm=csm,
        manager=pd.Series(csm).map(manager_of).to_numpy(),
        name=name,
        industry=industry,
        goal=goal,
    )


# --- one builder per table ------------------------------------------------------------------


def _accounts(plan: Plan) -> pd.DataFrame:
    days_to_renewal = (plan.renewal - plan.as_of).days.to_numpy()
    stage = np.select(
        [plan.age_days < 90, days_to_renewal <= 120, plan.age_days < 365],
        ["Onboarding", "Renewal", "Adoption"],
        "Value realization",
    )
    return pd.DataFrame(
        {
            "account_id": plan.account_id,
            "account_name": plan.name,
            "csm": plan.csm,
            "arr": plan.arr,
            "licensed_seats": plan.seats,
            "contract_start": plan.start.strftime("%Y-%m-%d"),
            "renewal_date": plan.renewal.strftime("%Y-%m-%d"),
            "tier": plan.tier,
            "industry": plan.industry,
            "stated_goal": plan.goal,
            "lifecycle_stage": stage,
            "manager": plan.manager,
        }
    )


@dataclass(frozen=True)
class _Timeline:
    """Accounts × days arrays every usage metric is shaped by."""

    d: np.ndarray  # day positions, 0 … days-1
    live: np.ndarray  # (A, D): on or after the contract start
    since: np.ndarray  # (A, D): days since the contract start
    ramp: np.ndarray  # (A, D): onboarding ramp to full use over 60 days
    week_factor: np.ndarray  # (1, D): weekdays busy, weekends quiet
    season: np.ndarray  # (1, D): the holiday dip
    last: np.ndarray  # (1, D): days before as-of
    decline: np.ndarray  # (1, D): 1 until six weeks ago, then falling to 0


def _timeline(plan: Plan) -> _Timeline:
    D = plan.days
    d = np.arange(D)
    start_day = np.clip(D - 1 - plan.age_days, 0, None)[:, None]  # index of contract start
    live = d[None, :] >= start_day
    since = np.clip(d[None, :] - start_day, 0, None)
    dow = plan.dates.day_of_week.to_numpy()
    doy = plan.dates.day_of_year.to_numpy()
    last = (D - 1 - d)[None, :]
    return _Timeline(
        d=d,
        live=live,
        since=since,
        ramp=np.where(live, np.clip(0.35 + 0.65 * since / 60.0, 0, 1), 0.0),
        week_factor=np.where(dow < 5, 1.0, np.where(dow == 5, 0.25, 0.15))[None, :],
        season=(1 - 0.12 * np.exp(-(((doy - 358) / 8.0) ** 2)))[None, :],
        last=last,
        decline=np.clip(1 - (42 - last) / 42, 0, 1),
    )


def _levels(plan: Plan, tl: _Timeline) -> tuple[np.ndarray, np.ndarray]:
    """Seat utilisation and activity per account and day (risk falls, stalls go quiet)."""
    rng, A, D = plan.rng, plan.n, plan.days
    util = rng.uniform(0.55, 0.80, A)
    exp = plan.scenario == "expansion"
    util = np.where(exp, np.where(plan.high, 0.99, rng.uniform(0.93, 0.99, A)), util)
    util_series = np.repeat(util[:, None], D, axis=1)
    # expansion accounts grew into their seats over the last quarter
    util_series[exp] = np.minimum(
        util[exp, None],
        0.70 + (util[exp, None] - 0.70) * np.clip((D - 1 - tl.last[0] - (D - 120)) / 60, 0, 1),
    )
    activity = np.ones((A, D))
    risk = plan.scenario == "risk"
    drop_to = np.where(plan.high, 0.25, rng.uniform(0.25, 0.45, A))[:, None]
    activity[risk] = (drop_to + (1 - drop_to) * tl.decline)[risk]
    util_series[risk] = util_series[risk] * (0.45 + 0.55 * tl.decline[0])[None, :]
    activity[plan.planted("stall_onboarding")] = 0.30
    activity[plan.planted("no_login")] = np.where(tl.last[0] < 10, 0.0, 0.30)[None, :]
    return util_series, activity


def _activity_metrics(
    plan: Plan, tl: _Timeline, util_series: np.ndarray, activity: np.ndarray
) -> dict[str, np.ndarray]:
    """Active users and the adoption counts (the feature gaps are planted here)."""
    rng, A, D, tier = plan.rng, plan.n, plan.days, plan.tier
    engagement = rng.lognormal(0, 0.18, A)[:, None]
    seats = plan.seats[:, None]
    au_level = (
        seats * util_series * tl.ramp * np.where(activity == 0, 0, np.minimum(1, activity + 0.25))
    )
    active_users = np.round(au_level * rng.normal(1, 0.03, (A, D)).clip(0.9, 1.1))
    rate = seats * util_series * tl.ramp * activity * tl.week_factor * tl.season * engagement
    filters_gap, briefs_gap = plan.planted("filters_gap"), plan.planted("briefs_gap")
    view_boost = np.where(filters_gap, 1.7, 1.0)[:, None]
    report_views = rng.poisson(rate * 1.6 * view_boost)
    filter_ratio = np.where(filters_gap, rng.uniform(0.0, 0.015, A), rng.uniform(0.25, 0.45, A))
    filters_applied = rng.poisson(rate * 1.6 * view_boost * filter_ratio[:, None])
    campaigns_level = np.select(
        [tier == "Enterprise", tier == "Growth"],
        [rng.integers(5, 12, A), rng.integers(3, 7, A)],
        rng.integers(2, 4, A),
    )
    campaigns_level = np.where(briefs_gap, campaigns_level + 3, campaigns_level)
    campaigns = np.where(
        tl.live,
        np.round(
            campaigns_level[:, None]
            * np.minimum(1, tl.ramp + 0.2)
            * np.where(activity == 0, 1, np.minimum(1, activity + 0.4))
        ),
        0,
    )
    brief_rate = np.where(briefs_gap, 0.002, rng.uniform(0.10, 0.16, A))[:, None]
    content_briefs = rng.poisson(rate * brief_rate)
    return {
        "active_users": active_users,
        "report_views": report_views,
        "filters_applied": filters_applied,
        "campaigns_active": campaigns,
        "content_briefs_created": content_briefs,
        "reports_shared": rng.poisson(rate * 0.06),
    }


def _outcome(plan: Plan, tl: _Timeline) -> dict[str, np.ndarray]:
    """The outcome level: rising for planted wins, sagging for risks."""
    rng, A, D, tier = plan.rng, plan.n, plan.days, plan.tier
    k0 = np.select(
        [tier == "Enterprise", tier == "Growth"],
        [rng.uniform(220, 800, A), rng.uniform(70, 220, A)],
        rng.uniform(20, 70, A),
    )
    drift = rng.uniform(-0.04, 0.06, A)[:, None] * (tl.d[None, :] / D)
    keywords = k0[:, None] * (1 + drift) * np.minimum(1, 0.55 + 0.45 * tl.since / 30)
    gain = np.where(plan.high, 0.75, rng.uniform(0.40, 0.75, A))[:, None]
    keywords = np.where(
        plan.planted("kw_win")[:, None],
        keywords * (1 + gain * np.clip((35 - tl.last) / 35, 0, 1)),
        keywords,
    )
    risk = plan.scenario == "risk"
    keywords = np.where(risk[:, None], keywords * (0.85 + 0.15 * tl.decline), keywords)
    keywords = np.where(tl.live, np.round(keywords * rng.normal(1, 0.015, (A, D))), 0)
    return {"keywords_top10": keywords}


def _configuration(plan: Plan, tl: _Timeline) -> dict[str, np.ndarray]:
    """The three configurations with targets (the better-practice gaps are planted here)."""
    rng, A = plan.rng, plan.n
    setup = np.clip(tl.since / 21.0, 0, 1)  # configuration reaches its level three weeks in
    competitors = np.where(plan.planted("comp_gap"), rng.integers(1, 4, A), rng.integers(8, 15, A))[
        :, None
    ]
    integrations = np.where(plan.planted("integ_gap"), 0, rng.integers(2, 5, A))[:, None]
    alerts = np.where(plan.planted("alert_gap"), rng.integers(0, 2, A), rng.integers(3, 9, A))[
        :, None
    ]
    live = tl.live
    return {
        "competitors_tracked": np.where(
            live, np.maximum(1, np.round(competitors * np.maximum(setup, 0.2))), 0
        ),
        "integrations_connected": np.where(live, np.round(integrations * setup), 0),
        "alerts_configured": np.where(live, np.round(alerts * setup), 0),
    }


# The ten roles of a product's catalog, in order (see :mod:`insight_engine.source.products`),
# named by the SEO catalog's keys.
ROLES = tuple(SEO.metrics["metric"])


def _usage(plan: Plan) -> pa.Table:
    """Daily usage, accounts × days × metrics, from each account's contract start."""
    tl = _timeline(plan)
    util_series, activity = _levels(plan, tl)
    values = {
        **_activity_metrics(plan, tl, util_series, activity),
        **_outcome(plan, tl),
        **_configuration(plan, tl),
    }
    stack = np.stack([values[r] for r in ROLES], axis=2).astype(np.float64)  # (A, D, M)
    mask = np.broadcast_to(tl.live[:, :, None], stack.shape)
    acct_idx, day_idx, metric_idx = np.nonzero(mask)
    return pa.table(
        {
            "account_id": pa.DictionaryArray.from_arrays(
                pa.array(acct_idx.astype(np.int32)),
                pa.array(pd.Series(plan.account_id)),  # large_string, as before
            ),
            "date": pa.array((plan.dates.values.astype("datetime64[D]"))[day_idx]),
            "metric": pa.DictionaryArray.from_arrays(
                pa.array(metric_idx.astype(np.int32)), pa.array(plan.product.metrics["metric"])
            ),
            "value": pa.array(stack[acct_idx, day_idx, metric_idx]),
        }
    )


MILESTONE_DAYS = {"30-day onboarding": 30, "60-day onboarding": 60, "90-day onboarding": 90}


def _scheduled_milestones(plan: Plan) -> pd.DataFrame:
    """Onboarding, First Value (day 75) and a value block every ~90 days after it, most done
    around their due dates."""
    rng, A, start = plan.rng, plan.n, plan.start
    rows = []
    for name, off in {**MILESTONE_DAYS, "First Value": 75}.items():
        due = start + pd.Timedelta(days=off)
        done = due + pd.to_timedelta(rng.integers(-6, 4, A), unit="D")
        kind = "first_value" if name == "First Value" else "onboarding"
        rows.append(
            pd.DataFrame(
                {
                    "account_id": plan.account_id,
                    "milestone": name,
                    "kind": kind,
                    "due_date": due,
                    "completed_date": done,
                }
            )
        )
    n_blocks = np.clip((plan.age_days - 75) // 90, 0, 6)
    block_acct = np.repeat(np.arange(A), n_blocks)
    block_no = np.arange(len(block_acct)) - np.repeat(np.cumsum(n_blocks) - n_blocks, n_blocks) + 1
    block_due = start[block_acct] + pd.to_timedelta(75 + 90 * block_no, unit="D")
    names = np.array(plan.product.block_names)[(block_no - 1) % len(plan.product.block_names)]
    label = np.char.add(np.char.add("Value Block ", block_no.astype(str)), ": ")
    rows.append(
        pd.DataFrame(
            {
                "account_id": plan.account_id[block_acct],
                "milestone": np.char.add(label, names).astype(object),
                "kind": "value_block",
                "due_date": block_due,
                "completed_date": block_due
                + pd.to_timedelta(rng.integers(-10, 6, len(block_acct)), unit="D"),
            }
        )
    )
    return pd.concat(rows, ignore_index=True)


def _milestones(plan: Plan) -> pd.DataFrame:
    """Milestones with the planted stalls (onboarding overdue, a value block overdue) and wins
    (First Value just completed); nothing else just due or just done."""
    rng, as_of = plan.rng, plan.as_of
    milestones = _scheduled_milestones(plan)
    acct_pos = pd.Index(plan.account_id).get_indexer(milestones["account_id"])
    comp = milestones["completed_date"]
    # Nothing quietly "just completed" or "just due" unless planted: keep the last 3 weeks clear.
    due = milestones["due_date"]
    recent_due = (due > as_of - pd.Timedelta(days=21)) & (due <= as_of)
    milestones.loc[recent_due, "due_date"] = as_of + pd.to_timedelta(
        rng.integers(7, 30, recent_due.sum()), unit="D"
    )
    due = milestones["due_date"]
    comp = comp.where(comp <= as_of - pd.Timedelta(days=15), as_of - pd.Timedelta(days=15))
    comp = comp.where(due <= as_of)  # future milestones are not done yet
    # planted: onboarding stall — the 30/60-day milestones past due and not done
    stall_onboarding = plan.planted("stall_onboarding")
    stall_ms = (
        (plan.scenario[acct_pos] == "stall")
        & np.isin(acct_pos, np.nonzero(stall_onboarding)[0])
        & (milestones["kind"] == "onboarding")
        & (due < as_of)
    )
    comp = comp.mask(stall_ms)
    # planted: value-block stall on an older account — the latest block overdue 10–40 days
    vb_stall = np.nonzero((plan.scenario == "stall") & ~stall_onboarding)[0]
    overdue = (
        pd.DataFrame(
            {
                "account_id": plan.account_id[vb_stall],
                "milestone": plan.product.stalled_block,
                "kind": "value_block",
                "due_date": as_of - pd.to_timedelta(rng.integers(10, 40, len(vb_stall)), unit="D"),
                "completed_date": pd.NaT,
            }
        )
        if len(vb_stall)
        else None
    )
    # planted: First Value just completed (win)
    fv = (milestones["kind"] == "first_value") & np.isin(
        acct_pos, np.nonzero(plan.planted("fv_win"))[0]
    )
    milestones.loc[fv, "due_date"] = as_of - pd.to_timedelta(rng.integers(0, 6, fv.sum()), unit="D")
    comp = comp.copy()
    comp.loc[fv] = as_of - pd.to_timedelta(rng.integers(0, 6, fv.sum()), unit="D")
    milestones["completed_date"] = comp
    milestones = pd.concat([milestones, overdue], ignore_index=True)
    milestones = milestones.sort_values(["account_id", "due_date"], kind="stable")
    return _fmt_dates(milestones.reset_index(drop=True), ["due_date", "completed_date"])


def _tickets(plan: Plan) -> pd.DataFrame:
    """Support tickets through the year, and the planted spike of urgent, unhappy ones."""
    rng, A, as_of, tier = plan.rng, plan.n, plan.as_of, plan.tier
    n_t = rng.poisson(np.select([tier == "Enterprise", tier == "Growth"], [7, 4], 2))
    t_acct = np.repeat(np.arange(A), n_t)
    t_open = as_of - pd.to_timedelta(rng.integers(30, plan.days, len(t_acct)), unit="D")
    t_open = t_open.where(t_open >= plan.start[t_acct], plan.start[t_acct] + pd.Timedelta(days=5))
    t_csat = rng.choice([3, 4, 5], len(t_acct), p=[0.1, 0.4, 0.5]).astype(float)
    t_pri = rng.choice(["low", "normal", "high"], len(t_acct), p=[0.3, 0.6, 0.1])
    n_spike = np.where(plan.planted("spike"), rng.integers(4, 8, A), 0)
    s_acct = np.repeat(np.arange(A), n_spike)
    s_open = as_of - pd.to_timedelta(rng.integers(1, 26, len(s_acct)), unit="D")
    s_csat = rng.choice([1, 2], len(s_acct)).astype(float)
    s_pri = rng.choice(["high", "urgent"], len(s_acct))
    acct = np.concatenate([t_acct, s_acct])
    opened = pd.DatetimeIndex(np.concatenate([t_open.values, s_open.values]))
    close_after = np.concatenate(
        [rng.integers(1, 8, len(t_acct)), rng.integers(1, 12, len(s_acct))]
    )
    closed = opened + pd.to_timedelta(close_after, unit="D")
    still_open = closed > as_of
    tickets = pd.DataFrame(
        {
            "ticket_id": _ids("T-", len(acct), 6),
            "account_id": plan.account_id[acct],
            "opened_at": opened.strftime("%Y-%m-%d"),
            "closed_at": pd.Series(closed.strftime("%Y-%m-%d")).where(~still_open, ""),
            "priority": np.concatenate([t_pri, s_pri]),
            "topic": rng.choice(plan.product.topics, len(acct)),
            "csat": pd.Series(np.concatenate([t_csat, s_csat])).where(~still_open),
        }
    )
    return tickets.sort_values("opened_at", kind="stable").reset_index(drop=True)


def _survey_rows(plan: Plan) -> list[pd.DataFrame]:
    """NPS twice a year, CSAT now and then, and the planted promoters and detractors."""
    rng, A, as_of, scenario, sub = plan.rng, plan.n, plan.as_of, plan.scenario, plan.sub
    rows = []
    for k, (lo, hi) in enumerate([(200, 330), (60, 180)]):
        when = as_of - pd.to_timedelta(rng.integers(lo, hi, A), unit="D")
        score = (
            rng.choice([6, 7, 8, 9, 10], A, p=[0.05, 0.25, 0.35, 0.2, 0.15])
            if k == 0
            # a planted new promoter was a passive last time
            else np.where(
                (scenario == "win") & (sub >= 0.85),
                rng.choice([7, 8], A),
                rng.choice([7, 8, 9], A, p=[0.35, 0.45, 0.2]),
            )
        )
        rows.append(_survey_frame(plan.account_id, when, "nps", score, when >= plan.start))
    c_acct = np.repeat(np.arange(A), rng.poisson(1.0, A))
    when = as_of - pd.to_timedelta(rng.integers(35, plan.days, len(c_acct)), unit="D")
    score = rng.choice([4, 5], len(c_acct), p=[0.5, 0.5])
    rows.append(_survey_frame(plan.account_id[c_acct], when, "csat", score, True))
    for variant, days, scores in [("promoter", 8, [9, 10]), ("detractor", 20, [2, 3, 4, 5])]:
        planted = plan.planted(variant)
        when = as_of - pd.to_timedelta(rng.integers(1, days, planted.sum()), unit="D")
        score = rng.choice(scores, planted.sum())
        rows.append(_survey_frame(plan.account_id[planted], when, "nps", score, True))
    return rows


def _survey_frame(account_id, when, kind: str, score, ok) -> pd.DataFrame:
    return pd.DataFrame(
        {"account_id": account_id, "date": when, "kind": kind, "score": score, "ok": ok}
    )


def _surveys(plan: Plan) -> pd.DataFrame:
    """Survey answers after each contract start, each with a comment in the product's words."""
    surveys = pd.concat(_survey_rows(plan), ignore_index=True)
    s_start = plan.start[pd.Index(plan.account_id).get_indexer(surveys["account_id"])]
    surveys = surveys[
        surveys.pop("ok").astype(bool) & (surveys["date"].to_numpy() >= s_start.to_numpy())
    ]
    score = surveys["score"].to_numpy()
    band = np.where(
        surveys["kind"] == "csat", 1, np.where(score >= 9, 0, np.where(score >= 7, 1, 2))
    )
    comments = plan.product.comments
    said = np.array([comments[b][:3] for b in ("promoter", "passive", "detractor")], dtype=object)
    surveys["comment"] = said[band, plan.rng.integers(0, 3, len(surveys))]
    surveys["date"] = surveys["date"].dt.strftime("%Y-%m-%d")
    return surveys.sort_values(["date", "account_id"], kind="stable").reset_index(drop=True)


def _notes(plan: Plan) -> pd.DataFrame:
    """Meeting notes by the account's CSM, quoting the customer (and their stated goal)."""
    rng, A, tier = plan.rng, plan.n, plan.tier
    n_notes = np.clip(
        rng.poisson(np.select([tier == "Enterprise", tier == "Growth"], [9, 5], 3)), 1, None
    )
    acct = np.repeat(np.arange(A), n_notes)
    when = plan.as_of - pd.to_timedelta(rng.integers(3, plan.days, len(acct)), unit="D")
    when = when.where(when >= plan.start[acct], plan.start[acct] + pd.Timedelta(days=2))
    templates = pd.Series(plan.product.notes, dtype=object)
    t_idx = rng.integers(0, len(templates), len(acct))
    before, has_goal, after = (templates.str.partition("{goal}")[i].to_numpy() for i in range(3))
    quoted = np.char.add(
        np.char.add(before[t_idx].astype(str), plan.goal[acct].astype(str)),
        after[t_idx].astype(str),
    )
    text = np.where(has_goal[t_idx] != "", quoted, templates.to_numpy()[t_idx])
    notes = pd.DataFrame(
        {
            "account_id": plan.account_id[acct],
            "date": when.strftime("%Y-%m-%d"),
            "author": plan.csm[acct],
            "text": text,
        }
    )
    return notes.sort_values(["date", "account_id"], kind="stable").reset_index(drop=True)


def _contacts(plan: Plan) -> pd.DataFrame:
    """An admin, a champion and an executive per account, at the account's own domain."""
    A = plan.n
    names = _people(plan.rng, 3 * A)
    domain = (
        pd.Series(plan.name).str.lower().str.replace(r"[^a-z0-9]+", "", regex=True) + ".example.com"
    )
    contacts = pd.DataFrame(
        {
            "account_id": np.repeat(plan.account_id, 3),
            "name": names,
            "role": np.tile(["admin", "champion", "executive"], A),
        }
    )
    contacts["email"] = (
        contacts["name"].str.lower().str.replace(" ", ".", regex=False)
        + "@"
        + np.repeat(domain.to_numpy(), 3)
    )
    return contacts[["account_id", "name", "email", "role"]]


def _metrics(plan: Plan) -> pd.DataFrame:
    return plan.product.metrics.copy()


MOTION_TAGS = {
    "win": "renewal evidence",
    "feature": "enablement",
    "better_practice": "enablement",
    "stall": "mitigation",
    "risk": "mitigation",
    "expansion": "expansion hypothesis",
}
FOLLOW_UPS = {
    "win": ["alignment_meeting", "internal_win", "renewal_evidence", "case_study"],
    "feature": ["enablement", "task"],
    "better_practice": ["task", "enablement"],
    "stall": ["task", "mitigation"],
    "risk": ["mitigation", "alignment_meeting"],
    "expansion": ["expansion_hypothesis", "alignment_meeting"],
}


def _sends(plan: Plan) -> pd.DataFrame:
    """When each insight already in the log was sent, its motion, strength and health then.

    The planted high-opportunity accounts received none in the last 120 days."""
    rng, A, tier, age_days = plan.rng, plan.n, plan.tier, plan.age_days
    per_month = np.select([tier == "Enterprise", tier == "Growth"], [0.9, 0.5], 0.25)
    n = rng.poisson(per_month * 12 * np.clip(age_days / 365, 0, 1))
    acct = np.repeat(np.arange(A), n)
    max_back = np.minimum(age_days[acct] - 7, plan.days - 1)
    back = (rng.random(len(acct)) * (max_back - 15)).astype(int) + 15
    recent_quiet = (plan.scenario[acct] == "quiet") & (rng.random(len(acct)) < 0.04)
    back = np.where(recent_quiet, rng.integers(2, 14, len(acct)), back)
    back = np.maximum(back, 1)
    back = np.maximum(back, np.where(plan.high, 120, 0)[acct])
    motions = np.array(["win", "feature", "better_practice", "stall", "risk", "expansion"])
    motion = rng.choice(motions, len(acct), p=[0.26, 0.2, 0.2, 0.1, 0.12, 0.12])
    strength = rng.beta(2.2, 2.0, len(acct)).round(2)
    health = np.clip(rng.normal(np.where(motion == "risk", 52, 72), 11), 5, 99).round(0)
    frame = pd.DataFrame(
        {
            "acct": acct,
            "date": plan.as_of - pd.to_timedelta(back, unit="D"),
            "motion": motion,
            "strength": strength,
            "health": health,
        }
    )
    return frame.sort_values(["acct", "date"], kind="stable").reset_index(drop=True)


def _outcomes(plan: Plan, sends: pd.DataFrame) -> np.ndarray:
    """Whether each insight landed, from what the log records: the strength of the signal it
    was based on, the account's health then, how long since the previous insight, the size of
    the account and how close the renewal was. The opportunity model has to learn this."""
    rng, acct = plan.rng, sends["acct"].to_numpy()
    gap = sends.groupby("acct")["date"].diff().dt.days.fillna(60).to_numpy()
    renewal = plan.renewal.to_numpy()[acct]
    to_renewal = ((renewal - sends["date"].to_numpy()) / np.timedelta64(1, "D")) % 365
    engaged = np.log1p(plan.arr[acct]) - 10
    logit = (
        -0.9
        + 4.5 * (sends["strength"] - 0.5)
        + 0.015 * (sends["health"] - 68)
        + 1.2 * (gap > 21)
        + 0.6 * (gap > 60)
        - 1.2 * (gap < 7)
        + 0.3 * engaged
        + 1.5 * (to_renewal < 120)
    )
    landed = rng.random(len(sends)) < 1 / (1 + np.exp(-logit))
    outcome = np.where(
        landed, "landed", rng.choice(["no_response", "pushed_back"], len(sends), p=[0.75, 0.25])
    )
    pending = sends["date"] > plan.as_of - pd.Timedelta(days=14)
    return np.where(pending, "", outcome)


def _pick(motion: pd.Series, idx: np.ndarray, options: dict[str, list[str]]) -> pd.Series:
    """Per row, option ``idx`` (wrapping) of the row's motion's list."""
    lengths = motion.map({m: len(v) for m, v in options.items()}).to_numpy(dtype="int64")
    key = motion + ":" + pd.Series(idx % lengths, index=motion.index).astype(str)
    return key.map({f"{m}:{i}": v for m, vs in options.items() for i, v in enumerate(vs)})


def _formatted(templates: pd.Series, fields: dict[str, pd.Series]) -> pd.Series:
    """Each row's template with its ``{field}`` places filled from ``fields``: one pass per
    distinct template, string operations over its rows."""
    out = pd.Series("", index=templates.index, dtype=object)
    for template in templates.unique():
        rows = (templates == template).to_numpy()
        text = pd.Series("", index=templates.index[rows], dtype=object)
        for literal, field, spec, _conversion in string.Formatter().parse(template):
            text = text + literal
            if field is not None:
                if spec:
                    raise ValueError(f"no format spec in demo one-liners: {template!r}")
                text = text + fields[field][rows].astype(str).to_numpy()
        out[rows] = text
    return out


def _insights(plan: Plan) -> pd.DataFrame:
    """Twelve months of insights already sent, with outcomes that depend on learnable features."""
    rng = plan.rng
    sends = _sends(plan)
    outcome = _outcomes(plan, sends)
    n = len(sends)
    audience = rng.choice(
        ["admin", "champion", "executive", "champion | executive", "admin | champion"],
        n,
        p=[0.3, 0.3, 0.15, 0.15, 0.1],
    )
    pct = rng.integers(12, 60, n)
    num = rng.integers(3, 240, n)
    month = sends["date"] - pd.to_timedelta(rng.integers(30, 90, n), unit="D")
    tmpl_idx = rng.integers(0, 10, n)
    motion = sends["motion"]
    fields = {"p": pd.Series(pct), "n": pd.Series(num), "m": month.dt.strftime("%B")}
    acct = sends["acct"].to_numpy()
    return pd.DataFrame(
        {
            "insight_id": _ids("I-", n, 6),
            "account_id": plan.account_id[acct],
            "date": sends["date"].dt.strftime("%Y-%m-%d"),
            "csm": plan.csm[acct],
            "motion": motion,
            "audience": audience,
            "one_liner": _formatted(_pick(motion, tmpl_idx, plan.product.lines), fields),
            "outcome": outcome,
            "signal_strength": sends["strength"],
            "health_at_send": sends["health"],
            "tags": motion.map(MOTION_TAGS),
            "follow_up": _pick(motion, tmpl_idx, FOLLOW_UPS),
        }
    )


def _ground_truth(plan: Plan) -> pd.DataFrame:
    """What was planted where, in words: what the detectors are measured against."""
    truth = plan.product.truth
    is_ = plan.planted
    detail = {
        "win": np.where(
            is_("kw_win"),
            truth["win_outcome"],
            np.where(is_("fv_win"), "First Value completed this week", "new promoter NPS"),
        ),
        "feature": np.where(is_("filters_gap"), truth["feature_first"], truth["feature_second"]),
        "better_practice": np.where(
            is_("comp_gap"),
            truth["practice_first"],
            np.where(is_("integ_gap"), truth["practice_integrations"], truth["practice_third"]),
        ),
        "stall": np.where(
            is_("stall_onboarding"),
            np.where(
                is_("no_login"),
                "onboarding milestones overdue; no login for 10 days",
                "onboarding milestones overdue; usage flat",
            ),
            "Value Block overdue",
        ),
        "risk": np.where(
            is_("spike"),
            "usage falling; support ticket spike with low CSAT",
            "usage falling; detractor NPS",
        ),
        "expansion": np.full(plan.n, "active users above 90% of licensed seats"),
        "quiet": np.full(plan.n, "quiet and healthy"),
    }
    return pd.DataFrame(
        {
            "account_id": plan.account_id,
            "motion": plan.scenario,
            "detail": np.select(
                [plan.scenario == s for s in SCENARIOS], [detail[s] for s in SCENARIOS], ""
            ),
            "high_opportunity": plan.high,
        }
    )


# Table -> builder, in the order they draw from the plan's random generator: adding a table is
# adding a builder (at the end, so the other tables of a seed stay the same). ``usage`` (an
# Arrow table) and ``ground_truth`` (not a contract table) are set apart in the DemoBook.
BUILDERS: dict[str, Callable[[Plan], pd.DataFrame | pa.Table]] = {
    "accounts": _accounts,
    "usage": _usage,
    "milestones": _milestones,
    "tickets": _tickets,
    "surveys": _surveys,
    "notes": _notes,
    "contacts": _contacts,
    "insights": _insights,
    "metrics": _metrics,
    "ground_truth": _ground_truth,
}


def generate_demo(
    n_accounts: int = 600,
    seed: int = 7,
    *,
    as_of: pd.Timestamp = DEMO_AS_OF,
    days: int = 365,
    product: str = "seo",
) -> DemoBook:
    """Generate a demo book.

    Parameters
    ----------
    n_accounts : int
        Accounts in the book.
    seed : int
        Random seed; the same seed gives the same book.
    as_of : pandas.Timestamp
        The last day of usage ("today" in the demo).
    days : int
        Days of daily usage history.
    product : str
        Which product's catalog and words (:data:`PRODUCTS`): ``seo`` (a market-intelligence /
        SEO platform, the default) or ``projects`` (a project-management tool). The planted
        situations are the same for the same seed.

    Returns
    -------
    DemoBook
    """
    if product not in PRODUCTS:
        raise ValueError(f"unknown demo product {product!r}; choose one of {sorted(PRODUCTS)}")
    plan = make_plan(n_accounts, seed, as_of=as_of, days=days, product=PRODUCTS[product])
    tables = {name: build(plan) for name, build in BUILDERS.items()}
    return DemoBook(
        usage=tables.pop("usage"),
        ground_truth=tables.pop("ground_truth"),
        tables=tables,
        as_of=plan.as_of,
        seed=seed,
        product=plan.product.name,
    )


def _fmt_dates(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for c in columns:
        frame[c] = pd.to_datetime(frame[c]).dt.strftime("%Y-%m-%d").fillna("")
    return frame


def write_demo(book: DemoBook, out: str | Path) -> Path:
    """Write a demo book as a folder of contract files (usage as Parquet, the rest as CSV)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in book.tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    pq.write_table(book.usage, out / "usage.parquet", compression="zstd")
    book.ground_truth.to_csv(out / "ground_truth.csv", index=False)
    (out / "book.json").write_text(
        json.dumps(
            {
                "generator": "insight_engine.source.demo",
                "version": GENERATOR_VERSION,
                "seed": book.seed,
                "product": book.product,
                "as_of": f"{book.as_of:%Y-%m-%d}",
                "accounts": len(book.tables["accounts"]),
                "usage_rows": book.usage.num_rows,
            },
            indent=2,
        )
    )
    return out
