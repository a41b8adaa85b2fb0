"""A seeded, realistic demo book for a fictional market-intelligence / SEO platform.

``python -m insight_engine demo --accounts N --seed S --out DIR`` writes every contract file
plus ``ground_truth.csv``: the situations deliberately planted (wins, stalls, feature gaps,
better-practice gaps, risks, expansion paths and quiet healthy accounts) so tests can measure
the detectors. Same seed and as-of date → the same book, byte for byte.

Everything is generated with numpy over whole arrays (accounts × days), so 600 accounts take
well under a second and 10,000 accounts (36.5 million usage rows) a few seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from insight_engine.source.contract import derive_tier
from insight_engine.source.products import PROJECTS, Product

__all__ = [
    "DEMO_AS_OF",
    "GENERATOR_VERSION",
    "PRODUCTS",
    "SCENARIOS",
    "DemoBook",
    "generate_demo",
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
GOALS = [
    "Show up on page one when buyers search for what we sell",
    "Stop guessing which topics matter and focus the content team on what ranks",
    "Grow organic traffic so we rely less on paid search",
    "Know what our competitors are doing before our sales team hears it from customers",
    "Give leadership a monthly view of our search visibility they can trust",
    "Cut the time our team spends building reports by half",
    "Win back the keywords we lost to newer competitors",
    "Get every regional team using the same market data",
    "Prove to the board that content is driving pipeline",
    "Launch in two new markets with a clear picture of who we are up against",
]
TOPICS = [
    "Report export",
    "Login / SSO",
    "Filter setup",
    "Keyword tracking",
    "Billing",
    "Integrations",
    "Competitor data",
    "Alerts",
    "User management",
    "Data accuracy",
]

METRICS = pd.DataFrame(
    [
        (
            "report_views",
            "Report views",
            "adoption",
            "views",
            "true",
            None,
            "filters_applied",
            "Understand the market at a glance",
            "Open Reports from the left-hand menu | Pick the report for your main market | Bookmark it for the weekly review",
        ),
        (
            "filters_applied",
            "Filters applied to reports",
            "adoption",
            "filters",
            "true",
            None,
            "report_views",
            "Focus reports on the topics that matter",
            "Open any report | Click Filters above the results table | Choose the topics, regions or competitors that matter to you | Click Save filter so it applies every time you open the report",
        ),
        (
            "keywords_top10",
            "Keywords ranked in the top 10",
            "outcome",
            "keywords",
            "true",
            None,
            None,
            "Search visibility",
            None,
        ),
        (
            "competitors_tracked",
            "Competitors tracked",
            "configuration",
            "competitors",
            "true",
            8,
            None,
            "Robust market insights",
            "Go to Settings, then Competitors | Add at least 5 direct competitors (they sell what you sell) | Add 3 indirect competitors (they win the same searches) | Click Save; market insights refresh overnight",
        ),
        (
            "campaigns_active",
            "Active campaigns",
            "adoption",
            "campaigns",
            "true",
            None,
            "content_briefs_created",
            "Grow organic traffic",
            "Open Campaigns | Click New campaign | Pick the keyword group you want to win | Assign an owner and a target date",
        ),
        (
            "content_briefs_created",
            "Content briefs created",
            "adoption",
            "briefs",
            "true",
            None,
            "campaigns_active",
            "Grow organic traffic",
            "Open a campaign | Click Create brief next to a target keyword | Share the brief with your writer",
        ),
        (
            "integrations_connected",
            "Integrations connected",
            "configuration",
            "integrations",
            "true",
            2,
            None,
            "See results in the tools the team already uses",
            "Go to Settings, then Integrations | Connect your analytics tool | Connect your team chat so alerts reach people where they work",
        ),
        (
            "alerts_configured",
            "Alerts configured",
            "configuration",
            "alerts",
            "true",
            3,
            None,
            "Hear about ranking changes before they cost traffic",
            "Go to Alerts | Click New alert | Choose 'Ranking drop' for your top keyword group | Add the people who should hear about it",
        ),
        (
            "active_users",
            "Active users",
            "seats",
            "users",
            "true",
            None,
            None,
            "Get every team using the same market data",
            "Go to Settings, then Users | Invite the people named in your rollout plan | Send them the two-minute welcome tour",
        ),
        (
            "reports_shared",
            "Reports shared with stakeholders",
            "adoption",
            "shares",
            "true",
            None,
            None,
            "Keep leadership informed",
            "Open a report | Click Share | Add the stakeholders who should see it each month",
        ),
    ],
    columns=[
        "metric",
        "label",
        "category",
        "unit",
        "higher_is_better",
        "target",
        "complements",
        "goal",
        "how_to",
    ],
)
METRICS["upgrade"] = np.where(
    METRICS["metric"] == "content_briefs_created", "the Content Pro add-on", None
)
# Active campaigns is a level (how many are running), not a daily count.
METRICS["aggregation"] = np.where(METRICS["metric"] == "campaigns_active", "mean", None)
METRIC_INDEX = {m: i for i, m in enumerate(METRICS["metric"])}


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
    product = PRODUCTS[product]
    rng = np.random.default_rng(seed)
    A = n_accounts
    as_of = pd.Timestamp(as_of).normalize()
    day0 = as_of - pd.Timedelta(days=days - 1)
    dates = pd.date_range(day0, as_of, freq="D")

    scenario = rng.choice(np.array(SCENARIOS), size=A, p=SCENARIO_SHARE)
    sub = rng.random(A)  # picks a variant inside each scenario

    # --- accounts -------------------------------------------------------------------------
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
    age_days = rng.integers(140, 1100, A)
    # Some accounts are new (still onboarding); an expansion path needs a settled account.
    new = (rng.random(A) < 0.10) & np.isin(scenario, ["quiet", "feature", "better_practice"])
    age_days = np.where(new, rng.integers(40, 130, A), age_days)
    stall_onboarding = (scenario == "stall") & (sub < 0.65)
    age_days = np.where(stall_onboarding, rng.integers(50, 115, A), age_days)
    fv_win = (scenario == "win") & (sub >= 0.60) & (sub < 0.85)
    age_days = np.where(fv_win, rng.integers(80, 110, A), age_days)
    # Planted high-opportunity accounts: a strong situation, nobody has sent an insight in four
    # months, and the renewal is 20–60 days away. The ranking must put them in the top decile.
    high = (
        np.isin(scenario, ["win", "feature", "better_practice", "risk", "expansion"])
        & (sub < 0.5)
        & (tier != "Starter")
        & (rng.random(A) < 0.15)
    )
    age_days = np.where(high, 730 - rng.integers(20, 60, A), age_days)
    start = as_of - pd.to_timedelta(age_days, unit="D")
    # next anniversary after as-of: renewals spread over the year
    years_in = np.ceil((age_days + 1) / 365.25).astype(int)
    renewal = start + pd.to_timedelta(np.round(years_in * 365.25).astype(int), unit="D")
    csms, _managers, manager_of = _team(A)
    csm = np.array(csms)[rng.permutation(A) % len(csms)]
    days_to_renewal = (renewal - as_of).days.to_numpy()
    stage = np.select(
        [age_days < 90, days_to_renewal <= 120, age_days < 365],
        ["Onboarding", "Renewal", "Adoption"],
        "Value realization",
    )
    accounts = pd.DataFrame(
        {
            "account_id": [f"A-{i + 1:05d}" for i in range(A)],
            "account_name": _names(rng, A),
            "csm": csm,
            "arr": arr,
            "licensed_seats": seats,
            "contract_start": start.strftime("%Y-%m-%d"),
            "renewal_date": renewal.strftime("%Y-%m-%d"),
            "tier": tier,
            "industry": rng.choice(INDUSTRY, A),
            "stated_goal": rng.choice(product.goals, A),
            "lifecycle_stage": stage,
            "manager": [manager_of[c] for c in csm],
        }
    )

    # --- daily usage (accounts × days per metric) -------------------------------------------
    D = days
    d = np.arange(D)
    start_day = np.clip(D - 1 - age_days, 0, None)[:, None]  # index of contract start
    live = d[None, :] >= start_day
    since = np.clip(d[None, :] - start_day, 0, None)
    ramp = np.where(live, np.clip(0.35 + 0.65 * since / 60.0, 0, 1), 0.0)
    dow = dates.day_of_week.to_numpy()
    week_factor = np.where(dow < 5, 1.0, np.where(dow == 5, 0.25, 0.15))[None, :]
    season = (1 - 0.12 * np.exp(-(((dates.day_of_year.to_numpy() - 358) / 8.0) ** 2)))[
        None, :
    ]  # holiday dip
    last = (D - 1 - d)[None, :]  # days before as-of

    util = rng.uniform(0.55, 0.80, A)
    util = np.where(scenario == "expansion", np.where(high, 0.99, rng.uniform(0.93, 0.99, A)), util)
    util_series = np.repeat(util[:, None], D, axis=1)
    # expansion accounts grew into their seats over the last quarter
    exp = scenario == "expansion"
    util_series[exp] = np.minimum(
        util[exp, None],
        0.70 + (util[exp, None] - 0.70) * np.clip((D - 1 - last[0] - (D - 120)) / 60, 0, 1),
    )
    activity = np.ones((A, D))
    risk = scenario == "risk"
    decline = np.clip(1 - (42 - last) / 42, 0, 1)  # 1 until six weeks ago, then falling to 0
    drop_to = np.where(high, 0.25, rng.uniform(0.25, 0.45, A))[:, None]
    activity[risk] = (drop_to + (1 - drop_to) * decline)[risk]
    util_series[risk] = util_series[risk] * (0.45 + 0.55 * decline[0])[None, :]
    stall_low = stall_onboarding
    activity[stall_low] = 0.30
    no_login = stall_onboarding & (sub < 0.35)
    activity[no_login] = np.where(last[0] < 10, 0.0, 0.30)[None, :]

    engagement = rng.lognormal(0, 0.18, A)[:, None]
    au_level = (
        seats[:, None]
        * util_series
        * ramp
        * np.where(activity == 0, 0, np.minimum(1, activity + 0.25))
    )
    active_users = np.round(au_level * rng.normal(1, 0.03, (A, D)).clip(0.9, 1.1))
    rate = seats[:, None] * util_series * ramp * activity * week_factor * season * engagement
    feature = scenario == "feature"
    filters_gap = feature & (sub < 0.6)
    briefs_gap = feature & (sub >= 0.6)
    view_boost = np.where(filters_gap, 1.7, 1.0)[:, None]
    report_views = rng.poisson(rate * 1.6 * view_boost)
    filter_ratio = np.where(filters_gap, rng.uniform(0.0, 0.015, A), rng.uniform(0.25, 0.45, A))[
        :, None
    ]
    filters_applied = rng.poisson(rate * 1.6 * view_boost * filter_ratio)
    campaigns_level = np.select(
        [tier == "Enterprise", tier == "Growth"],
        [rng.integers(5, 12, A), rng.integers(3, 7, A)],
        rng.integers(2, 4, A),
    )
    campaigns_level = np.where(briefs_gap, campaigns_level + 3, campaigns_level)
    campaigns = np.where(
        live,
        np.round(
            campaigns_level[:, None]
            * np.minimum(1, ramp + 0.2)
            * np.where(activity == 0, 1, np.minimum(1, activity + 0.4))
        ),
        0,
    )
    brief_rate = np.where(briefs_gap, 0.002, rng.uniform(0.10, 0.16, A))[:, None]
    content_briefs = rng.poisson(rate * brief_rate)
    reports_shared = rng.poisson(rate * 0.06)

    k0 = np.select(
        [tier == "Enterprise", tier == "Growth"],
        [rng.uniform(220, 800, A), rng.uniform(70, 220, A)],
        rng.uniform(20, 70, A),
    )
    drift = rng.uniform(-0.04, 0.06, A)[:, None] * (d[None, :] / D)
    keywords = k0[:, None] * (1 + drift) * np.minimum(1, 0.55 + 0.45 * since / 30)
    kw_win = (scenario == "win") & (sub < 0.60)
    gain = np.where(high, 0.75, rng.uniform(0.40, 0.75, A))[:, None]
    keywords = np.where(
        kw_win[:, None], keywords * (1 + gain * np.clip((35 - last) / 35, 0, 1)), keywords
    )
    keywords = np.where(risk[:, None], keywords * (0.85 + 0.15 * decline), keywords)
    keywords = np.where(live, np.round(keywords * rng.normal(1, 0.015, (A, D))), 0)

    bp = scenario == "better_practice"
    comp_gap, integ_gap, alert_gap = (
        bp & (sub < 0.5),
        bp & (sub >= 0.5) & (sub < 0.75),
        bp & (sub >= 0.75),
    )
    setup = np.clip(since / 21.0, 0, 1)  # configuration reaches its level three weeks in
    competitors = np.where(comp_gap, rng.integers(1, 4, A), rng.integers(8, 15, A))[:, None]
    integrations = np.where(integ_gap, 0, rng.integers(2, 5, A))[:, None]
    alerts = np.where(alert_gap, rng.integers(0, 2, A), rng.integers(3, 9, A))[:, None]
    competitors = np.where(live, np.maximum(1, np.round(competitors * np.maximum(setup, 0.2))), 0)
    integrations = np.where(live, np.round(integrations * setup), 0)
    alerts = np.where(live, np.round(alerts * setup), 0)

    stack = np.stack(
        [
            report_views,
            filters_applied,
            keywords,
            competitors,
            campaigns,
            content_briefs,
            integrations,
            alerts,
            active_users,
            reports_shared,
        ],
        axis=2,
    ).astype(np.float64)  # (A, D, M) in METRICS order
    mask = np.broadcast_to(live[:, :, None], stack.shape)
    acct_idx, day_idx, metric_idx = np.nonzero(mask)
    values = stack[acct_idx, day_idx, metric_idx]
    usage = pa.table(
        {
            "account_id": pa.DictionaryArray.from_arrays(
                pa.array(acct_idx.astype(np.int32)), pa.array(accounts["account_id"])
            ),
            "date": pa.array((dates.values.astype("datetime64[D]"))[day_idx]),
            "metric": pa.DictionaryArray.from_arrays(
                pa.array(metric_idx.astype(np.int32)), pa.array(product.metrics["metric"])
            ),
            "value": pa.array(values),
        }
    )

    # --- milestones ------------------------------------------------------------------------
    ms_rows = []
    offsets = {
        "30-day onboarding": 30,
        "60-day onboarding": 60,
        "90-day onboarding": 90,
        "First Value": 75,
    }
    for name, off in offsets.items():
        due = start + pd.Timedelta(days=off)
        kind = "first_value" if name == "First Value" else "onboarding"
        early = rng.integers(-6, 4, A)
        done = due + pd.to_timedelta(early, unit="D")
        ms_rows.append(
            pd.DataFrame(
                {
                    "account_id": accounts["account_id"],
                    "milestone": name,
                    "kind": kind,
                    "due_date": due,
                    "completed_date": done,
                }
            )
        )
    # value blocks every ~90 days after First Value
    n_blocks = np.clip((age_days - 75) // 90, 0, 6)
    block_acct = np.repeat(np.arange(A), n_blocks)
    block_no = (
        np.concatenate([np.arange(1, k + 1) for k in n_blocks])
        if n_blocks.sum()
        else np.array([], int)
    )
    block_due = start[block_acct] + pd.to_timedelta(75 + 90 * block_no, unit="D")
    block_names = np.array(product.block_names)
    ms_rows.append(
        pd.DataFrame(
            {
                "account_id": accounts["account_id"].to_numpy()[block_acct],
                "milestone": [
                    f"Value Block {n}: {block_names[(n - 1) % len(block_names)]}" for n in block_no
                ],
                "kind": "value_block",
                "due_date": block_due,
                "completed_date": block_due
                + pd.to_timedelta(rng.integers(-10, 6, len(block_acct)), unit="D"),
            }
        )
    )
    milestones = pd.concat(ms_rows, ignore_index=True)
    acct_pos = pd.Index(accounts["account_id"]).get_indexer(milestones["account_id"])
    m_scen = scenario[acct_pos]
    due = milestones["due_date"]
    comp = milestones["completed_date"]
    # Nothing quietly "just completed" or "just due" unless planted: keep the last 3 weeks clear.
    recent_due = (due > as_of - pd.Timedelta(days=21)) & (due <= as_of)
    milestones.loc[recent_due, "due_date"] = as_of + pd.to_timedelta(
        rng.integers(7, 30, recent_due.sum()), unit="D"
    )
    due = milestones["due_date"]
    comp = comp.where(comp <= as_of - pd.Timedelta(days=15), as_of - pd.Timedelta(days=15))
    comp = comp.where(due <= as_of)  # future milestones are not done yet
    # planted: onboarding stall — the 30/60-day milestones past due and not done
    stall_ms = (
        (m_scen == "stall")
        & np.isin(acct_pos, np.nonzero(stall_onboarding)[0])
        & (milestones["kind"] == "onboarding")
        & (due < as_of)
    )
    comp = comp.mask(stall_ms)
    # planted: value-block stall on an older account — the latest block overdue 10–40 days
    vb_stall_acct = np.nonzero((scenario == "stall") & ~stall_onboarding)[0]
    vb_rows = []
    if len(vb_stall_acct):
        extra = pd.DataFrame(
            {
                "account_id": accounts["account_id"].to_numpy()[vb_stall_acct],
                "milestone": product.stalled_block,
                "kind": "value_block",
                "due_date": as_of
                - pd.to_timedelta(rng.integers(10, 40, len(vb_stall_acct)), unit="D"),
                "completed_date": pd.NaT,
            }
        )
        vb_rows.append(extra)
    # planted: First Value just completed (win)
    fv = (milestones["kind"] == "first_value") & np.isin(acct_pos, np.nonzero(fv_win)[0])
    milestones.loc[fv, "due_date"] = as_of - pd.to_timedelta(rng.integers(0, 6, fv.sum()), unit="D")
    comp = comp.copy()
    comp.loc[fv] = as_of - pd.to_timedelta(rng.integers(0, 6, fv.sum()), unit="D")
    milestones["completed_date"] = comp
    milestones = pd.concat([milestones, *vb_rows], ignore_index=True)
    milestones = milestones.sort_values(["account_id", "due_date"], kind="stable").reset_index(
        drop=True
    )

    # --- tickets ---------------------------------------------------------------------------
    t_rate = np.select([tier == "Enterprise", tier == "Growth"], [7, 4], 2)
    n_t = rng.poisson(t_rate)
    t_acct = np.repeat(np.arange(A), n_t)
    t_open = as_of - pd.to_timedelta(rng.integers(30, days, len(t_acct)), unit="D")
    t_open = t_open.where(t_open >= start[t_acct], start[t_acct] + pd.Timedelta(days=5))
    t_csat = rng.choice([3, 4, 5], len(t_acct), p=[0.1, 0.4, 0.5]).astype(float)
    t_pri = rng.choice(["low", "normal", "high"], len(t_acct), p=[0.3, 0.6, 0.1])
    spike = risk & (sub < 0.6)
    n_spike = np.where(spike, rng.integers(4, 8, A), 0)
    s_acct = np.repeat(np.arange(A), n_spike)
    s_open = as_of - pd.to_timedelta(rng.integers(1, 26, len(s_acct)), unit="D")
    s_csat = rng.choice([1, 2], len(s_acct)).astype(float)
    s_pri = rng.choice(["high", "urgent"], len(s_acct))
    t_all_acct = np.concatenate([t_acct, s_acct])
    opened = pd.DatetimeIndex(np.concatenate([t_open.values, s_open.values]))
    close_after = np.concatenate(
        [rng.integers(1, 8, len(t_acct)), rng.integers(1, 12, len(s_acct))]
    )
    closed = opened + pd.to_timedelta(close_after, unit="D")
    still_open = closed > as_of
    tickets = (
        pd.DataFrame(
            {
                "ticket_id": [f"T-{i + 1:06d}" for i in range(len(t_all_acct))],
                "account_id": accounts["account_id"].to_numpy()[t_all_acct],
                "opened_at": opened.strftime("%Y-%m-%d"),
                "closed_at": pd.Series(closed.strftime("%Y-%m-%d")).where(~still_open, ""),
                "priority": np.concatenate([t_pri, s_pri]),
                "topic": rng.choice(product.topics, len(t_all_acct)),
                "csat": pd.Series(np.concatenate([t_csat, s_csat])).where(~still_open),
            }
        )
        .sort_values("opened_at", kind="stable")
        .reset_index(drop=True)
    )

    # --- surveys (NPS twice a year, CSAT now and then) -------------------------------------
    s_rows = []
    for k, (lo, hi) in enumerate([(200, 330), (60, 180)]):
        when = as_of - pd.to_timedelta(rng.integers(lo, hi, A), unit="D")
        ok = when >= start
        s_rows.append(
            pd.DataFrame(
                {
                    "account_id": accounts["account_id"],
                    "date": when,
                    "kind": "nps",
                    "score": rng.choice([6, 7, 8, 9, 10], A, p=[0.05, 0.25, 0.35, 0.2, 0.15])
                    if k == 0
                    # a planted new promoter was a passive last time
                    else np.where(
                        (scenario == "win") & (sub >= 0.85),
                        rng.choice([7, 8], A),
                        rng.choice([7, 8, 9], A, p=[0.35, 0.45, 0.2]),
                    ),
                    "ok": ok,
                }
            )
        )
    csat_n = rng.poisson(1.0, A)
    c_acct = np.repeat(np.arange(A), csat_n)
    s_rows.append(
        pd.DataFrame(
            {
                "account_id": accounts["account_id"].to_numpy()[c_acct],
                "date": as_of - pd.to_timedelta(rng.integers(35, days, len(c_acct)), unit="D"),
                "kind": "csat",
                "score": rng.choice([4, 5], len(c_acct), p=[0.5, 0.5]),
                "ok": True,
            }
        )
    )
    promoter = (scenario == "win") & (sub >= 0.85)
    s_rows.append(
        pd.DataFrame(
            {
                "account_id": accounts["account_id"][promoter],
                "date": as_of - pd.to_timedelta(rng.integers(1, 8, promoter.sum()), unit="D"),
                "kind": "nps",
                "score": rng.choice([9, 10], promoter.sum()),
                "ok": True,
            }
        )
    )
    detractor = risk & (sub >= 0.4)
    s_rows.append(
        pd.DataFrame(
            {
                "account_id": accounts["account_id"][detractor],
                "date": as_of - pd.to_timedelta(rng.integers(1, 20, detractor.sum()), unit="D"),
                "kind": "nps",
                "score": rng.choice([2, 3, 4, 5], detractor.sum()),
                "ok": True,
            }
        )
    )
    surveys = pd.concat(s_rows, ignore_index=True)
    s_start = start[pd.Index(accounts["account_id"]).get_indexer(surveys["account_id"])]
    surveys = surveys[
        surveys.pop("ok").astype(bool) & (surveys["date"].to_numpy() >= s_start.to_numpy())
    ]
    comments = product.comments
    score = surveys["score"].to_numpy()
    nps_band = np.where(
        surveys["kind"] == "csat",
        "passive",
        np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor")),
    )
    pick = rng.integers(0, 3, len(surveys))
    surveys["comment"] = [comments[b][p] for b, p in zip(nps_band, pick, strict=True)]
    surveys["date"] = surveys["date"].dt.strftime("%Y-%m-%d")
    surveys = surveys.sort_values(["date", "account_id"], kind="stable").reset_index(drop=True)

    # --- meeting notes ---------------------------------------------------------------------
    n_notes = np.clip(
        rng.poisson(np.select([tier == "Enterprise", tier == "Growth"], [9, 5], 3)), 1, None
    )
    n_acct = np.repeat(np.arange(A), n_notes)
    n_date = as_of - pd.to_timedelta(rng.integers(3, days, len(n_acct)), unit="D")
    n_date = n_date.where(n_date >= start[n_acct], start[n_acct] + pd.Timedelta(days=2))
    note_templates = np.array(product.notes)
    t_idx = rng.integers(0, len(note_templates), len(n_acct))
    goal_of = accounts["stated_goal"].to_numpy()[n_acct]
    text = pd.Series(note_templates[t_idx]).str.replace("{goal}", "", regex=False)
    has_goal = np.char.find(note_templates[t_idx].astype(str), "{goal}") >= 0
    text = np.where(
        has_goal,
        [tpl.replace("{goal}", g) for tpl, g in zip(note_templates[t_idx], goal_of, strict=True)],
        text,
    )
    notes = (
        pd.DataFrame(
            {
                "account_id": accounts["account_id"].to_numpy()[n_acct],
                "date": n_date.strftime("%Y-%m-%d"),
                "author": csm[n_acct],
                "text": text,
            }
        )
        .sort_values(["date", "account_id"], kind="stable")
        .reset_index(drop=True)
    )

    # --- contacts: an admin, a champion and an executive per account -----------------------
    c_names = _people(rng, 3 * A).reshape(A, 3)
    domain = (
        pd.Series(accounts["account_name"]).str.lower().str.replace(r"[^a-z0-9]+", "", regex=True)
        + ".example.com"
    )
    contacts = pd.DataFrame(
        {
            "account_id": np.repeat(accounts["account_id"].to_numpy(), 3),
            "name": c_names.ravel(),
            "role": np.tile(["admin", "champion", "executive"], A),
        }
    )
    contacts["email"] = (
        contacts["name"].str.lower().str.replace(" ", ".", regex=False)
        + "@"
        + np.repeat(domain.to_numpy(), 3)
    )
    contacts = contacts[["account_id", "name", "email", "role"]]

    insights = _insight_history(
        rng,
        accounts,
        scenario,
        age_days,
        as_of,
        days,
        quiet_for=np.where(high, 120, 0),
        lines=product.lines,
    )

    truth_detail = {
        "win": np.where(
            kw_win,
            product.truth["win_outcome"],
            np.where(fv_win, "First Value completed this week", "new promoter NPS"),
        ),
        "feature": np.where(
            filters_gap,
            product.truth["feature_first"],
            product.truth["feature_second"],
        ),
        "better_practice": np.where(
            comp_gap,
            product.truth["practice_first"],
            np.where(
                integ_gap, product.truth["practice_integrations"], product.truth["practice_third"]
            ),
        ),
        "stall": np.where(
            stall_onboarding,
            np.where(
                no_login,
                "onboarding milestones overdue; no login for 10 days",
                "onboarding milestones overdue; usage flat",
            ),
            "Value Block overdue",
        ),
        "risk": np.where(
            spike,
            "usage falling; support ticket spike with low CSAT",
            "usage falling; detractor NPS",
        ),
        "expansion": np.full(A, "active users above 90% of licensed seats"),
        "quiet": np.full(A, "quiet and healthy"),
    }
    detail = np.select([scenario == s for s in SCENARIOS], [truth_detail[s] for s in SCENARIOS], "")
    ground_truth = pd.DataFrame(
        {
            "account_id": accounts["account_id"],
            "motion": scenario,
            "detail": detail,
            "high_opportunity": high,
        }
    )
    tables = {
        "accounts": accounts,
        "contacts": contacts,
        "metrics": product.metrics.copy(),
        "tickets": tickets,
        "surveys": surveys,
        "milestones": _fmt_dates(milestones, ["due_date", "completed_date"]),
        "notes": notes,
        "insights": insights,
    }
    return DemoBook(
        tables=tables,
        usage=usage,
        ground_truth=ground_truth,
        as_of=as_of,
        seed=seed,
        product=product.name,
    )


def _fmt_dates(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for c in columns:
        frame[c] = pd.to_datetime(frame[c]).dt.strftime("%Y-%m-%d").fillna("")
    return frame


MOTION_LINES = {
    "win": [
        "Your keywords in the top 10 are up {p}% since {m}",
        "First Value reached: {n} reports in use across the team",
        "{n} more keywords on page one this quarter",
    ],
    "feature": [
        "Filters would cut the noise in your {n} weekly report views",
        "Content briefs would turn your {n} campaigns into published pages",
    ],
    "better_practice": [
        "Tracking {n} more competitors would sharpen your market insights",
        "Connecting your analytics tool would put results where your team already works",
    ],
    "stall": [
        "Your 60-day onboarding step is waiting on one setup task",
        "The next Value Block is {n} days behind plan",
    ],
    "risk": [
        "Usage fell {p}% this month; here is a 20-minute way back on track",
        "Three open tickets are slowing your team down",
    ],
    "expansion": [
        "{p}% of your seats are in use every week",
        "Your content team is ready for the next campaign tier",
    ],
}
SEO_BLOCKS = [
    "Competitor benchmark",
    "Content plan for top keywords",
    "Leadership visibility report",
    "Regional rollout",
    "Alerting for ranking drops",
    "Quarterly campaign review",
]
SEO_NOTES = [
    'Kickoff recap. They said: "{goal}." Agreed first report to review together in two weeks.',
    'Weekly sync with the admin. "Honestly we mostly open the overview report and skim it." Asked how others use filters.',
    'Champion update: "Leadership asked me where we stand against competitors and I didn\'t have a clean answer."',
    'Call with marketing lead. "We want to spend less time building reports and more time acting on them."',
    'Quarterly check-in. "{goal}" is still the priority; budget review is coming up next quarter.',
    'Admin mentioned new hires on the content team: "We\'ll need a few more people in the tool."',
    '"The ranking alerts caught a drop last month before our agency did." Wants the same for the new region.',
    'Executive sponsor joined briefly: "Show me this is moving traffic, not just producing dashboards."',
]
SEO_COMMENTS = {
    "promoter": [
        "The competitor view changed how we plan content.",
        "Finally one place for our search data.",
        "Our team actually looks forward to the Monday report now.",
    ],
    "passive": [
        "Useful, but setting up reports takes longer than we'd like.",
        "Good data; we need more people using it.",
        "Solid. Would like better exports.",
    ],
    "detractor": [
        "We're not seeing the value we expected for the price.",
        "Support has been slow on our export problem.",
        "Half the team stopped logging in; it's hard to know what to look at.",
    ],
}
SEO = Product(
    name="seo",
    description="a market-intelligence / SEO platform",
    metrics=METRICS,
    goals=GOALS,
    topics=TOPICS,
    block_names=SEO_BLOCKS,
    stalled_block="Value Block: Competitor benchmark for the board",
    notes=SEO_NOTES,
    comments=SEO_COMMENTS,
    truth={
        "win_outcome": "keywords_top10 rising over the last 4 weeks",
        "feature_first": "many report views, almost no filters applied",
        "feature_second": "campaigns running with almost no content briefs",
        "practice_first": "too few competitors tracked",
        "practice_integrations": "no integrations connected",
        "practice_third": "too few alerts configured",
    },
    lines=MOTION_LINES,
)
# Demo products: the same planted situations, each in its own product's words.
PRODUCTS: dict[str, Product] = {p.name: p for p in (SEO, PROJECTS)}
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


def _insight_history(
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    scenario: np.ndarray,
    age_days: np.ndarray,
    as_of: pd.Timestamp,
    days: int,
    quiet_for: np.ndarray,
    lines: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """Twelve months of insights already sent, with outcomes that depend on learnable features.

    ``quiet_for`` holds, per account, how many recent days received no insight."""
    A = len(accounts)
    tier = accounts["tier"].to_numpy()
    per_month = np.select([tier == "Enterprise", tier == "Growth"], [0.9, 0.5], 0.25)
    n = rng.poisson(per_month * 12 * np.clip(age_days / 365, 0, 1))
    acct = np.repeat(np.arange(A), n)
    max_back = np.minimum(age_days[acct] - 7, days - 1)
    back = (rng.random(len(acct)) * (max_back - 15)).astype(int) + 15
    recent_quiet = (scenario[acct] == "quiet") & (rng.random(len(acct)) < 0.04)
    back = np.where(recent_quiet, rng.integers(2, 14, len(acct)), back)
    back = np.maximum(back, 1)
    back = np.maximum(back, quiet_for[acct])
    when = as_of - pd.to_timedelta(back, unit="D")
    motions = np.array(["win", "feature", "better_practice", "stall", "risk", "expansion"])
    motion = rng.choice(motions, len(acct), p=[0.26, 0.2, 0.2, 0.1, 0.12, 0.12])
    strength = rng.beta(2.2, 2.0, len(acct)).round(2)
    health = np.clip(rng.normal(np.where(motion == "risk", 52, 72), 11), 5, 99).round(0)
    frame = pd.DataFrame(
        {"acct": acct, "date": when, "motion": motion, "strength": strength, "health": health}
    )
    frame = frame.sort_values(["acct", "date"], kind="stable").reset_index(drop=True)
    gap = frame.groupby("acct")["date"].diff().dt.days.fillna(60).to_numpy()
    renewal = pd.to_datetime(accounts["renewal_date"]).to_numpy()[frame["acct"]]
    to_renewal = ((renewal - frame["date"].to_numpy()) / np.timedelta64(1, "D")) % 365
    engaged = np.log1p(accounts["arr"].to_numpy()[frame["acct"]]) - 10
    # Whether an insight landed depends on what the log records: the strength of the signal it
    # was based on, the account's health then, how long since the previous insight, the size of
    # the account and how close the renewal was. The opportunity model has to learn this.
    logit = (
        -0.9
        + 4.5 * (frame["strength"] - 0.5)
        + 0.015 * (frame["health"] - 68)
        + 1.2 * (gap > 21)
        + 0.6 * (gap > 60)
        - 1.2 * (gap < 7)
        + 0.3 * engaged
        + 1.5 * (to_renewal < 120)
    )
    landed = rng.random(len(frame)) < 1 / (1 + np.exp(-logit))
    outcome = np.where(
        landed, "landed", rng.choice(["no_response", "pushed_back"], len(frame), p=[0.75, 0.25])
    )
    pending = frame["date"] > as_of - pd.Timedelta(days=14)
    outcome = np.where(pending, "", outcome)
    audience = rng.choice(
        ["admin", "champion", "executive", "champion | executive", "admin | champion"],
        len(frame),
        p=[0.3, 0.3, 0.15, 0.15, 0.1],
    )
    pct = rng.integers(12, 60, len(frame))
    num = rng.integers(3, 240, len(frame))
    month = frame["date"] - pd.to_timedelta(rng.integers(30, 90, len(frame)), unit="D")
    tmpl_idx = rng.integers(0, 10, len(frame))
    texts = lines or MOTION_LINES
    lines = [
        texts[m][i % len(texts[m])].format(p=p, n=k, m=mo.strftime("%B"))
        for m, i, p, k, mo in zip(frame["motion"], tmpl_idx, pct, num, month, strict=True)
    ]
    follow = [
        FOLLOW_UPS[m][i % len(FOLLOW_UPS[m])]
        for m, i in zip(frame["motion"], tmpl_idx, strict=True)
    ]
    return pd.DataFrame(
        {
            "insight_id": [f"I-{i + 1:06d}" for i in range(len(frame))],
            "account_id": accounts["account_id"].to_numpy()[frame["acct"]],
            "date": frame["date"].dt.strftime("%Y-%m-%d"),
            "csm": accounts["csm"].to_numpy()[frame["acct"]],
            "motion": frame["motion"],
            "audience": audience,
            "one_liner": lines,
            "outcome": outcome,
            "signal_strength": frame["strength"],
            "health_at_send": frame["health"],
            "tags": [MOTION_TAGS[m] for m in frame["motion"]],
            "follow_up": follow,
        }
    )


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
