"""Products the demo generator can play: each is a metric catalog and the words around it.

The generator (:mod:`insight_engine.source.demo`) plants the same situations in every product: the
catalog's ten metrics play fixed **roles** in this order —

1. a heavily used capability (adoption, a count), 2. the capability that complements it
(adoption, a count; the feature gap), 3. the outcome (a level that wins rise on),
4. a configuration with a target of 8, 5. a level of running work (adoption, ``mean``),
6. the capability that complements it (adoption, a count; mapped to an add-on), 7. a
configuration with a target of 2, 8. a configuration with a target of 3, 9. active people
(seats), 10. a sharing count —

so every product's book has the same ground truth for the same seed, and the detectors can be
measured on each. Everything a customer reads (labels, units, goals, steps, stated goals, notes,
survey comments, milestone names) comes from the product, never from Rudder's code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CATALOG_COLUMNS", "METRICS", "PRODUCTS", "PROJECTS", "SEO", "Product", "catalog"]

CATALOG_COLUMNS = [
    "metric",
    "label",
    "category",
    "unit",
    "higher_is_better",
    "target",
    "complements",
    "goal",
    "how_to",
]


def catalog(rows: list[tuple], *, upgrade: dict[str, str], levels: set[str]) -> pd.DataFrame:
    """A metric catalog from rows in the role order, with the add-on and level metrics named."""
    frame = pd.DataFrame(rows, columns=CATALOG_COLUMNS)
    frame["upgrade"] = frame["metric"].map(upgrade).where(lambda s: s.notna(), None)
    frame["aggregation"] = np.where(frame["metric"].isin(levels), "mean", None)
    return frame


@dataclass(frozen=True)
class Product:
    """A demo product: its catalog (in role order) and every customer-facing word of its book."""

    name: str
    description: str
    metrics: pd.DataFrame
    goals: list[str]
    topics: list[str]
    block_names: list[str]
    stalled_block: str
    notes: list[str]  # meeting-note templates; "{goal}" is the account's stated goal
    comments: dict[str, list[str]]  # promoter / passive / detractor, three each
    truth: dict[str, str]  # ground-truth detail per planted variant
    lines: dict[str, list[str]]  # one-liners of the insights already sent, per motion

    def __post_init__(self) -> None:
        if len(self.metrics) != 10:
            raise ValueError(f"{self.name}: the catalog must give the 10 roles in order")
        if any(note.count("{goal}") > 1 for note in self.notes):
            raise ValueError(f"{self.name}: a note template quotes the stated goal at most once")


PROJECTS = Product(
    name="projects",
    description="a project-management tool",
    metrics=catalog(
        [
            (
                "tasks_completed",
                "Tasks completed",
                "adoption",
                "tasks",
                "true",
                None,
                "automations_run",
                "Keep every project moving",
                "Open My Work from the left-hand menu | Sort by due date | Mark tasks done as you finish them",
            ),
            (
                "automations_run",
                "Automation runs",
                "adoption",
                "runs",
                "true",
                None,
                "tasks_completed",
                "Take the busywork out of recurring tasks",
                "Open a project | Click Automate in the top bar | Pick a recipe such as 'When a task is done, notify the owner of the next one' | Click Turn on so it runs every time",
            ),
            (
                "deliverables_on_time",
                "Deliverables on time",
                "outcome",
                "deliverables",
                "true",
                None,
                None,
                "Deliver projects on the date promised",
                None,
            ),
            (
                "templates_saved",
                "Project templates saved",
                "configuration",
                "templates",
                "true",
                8,
                None,
                "Start every project the same proven way",
                "Open Templates from the left-hand menu | Click Save as template on your best-run project | Repeat for each kind of project you run | Ask project leads to start from a template",
            ),
            (
                "projects_active",
                "Active projects",
                "adoption",
                "projects",
                "true",
                None,
                "status_updates_posted",
                "See every project's status in one place",
                "Open Projects | Click New project | Pick a template | Assign an owner and a due date",
            ),
            (
                "status_updates_posted",
                "Status updates posted",
                "adoption",
                "updates",
                "true",
                None,
                "projects_active",
                "Keep stakeholders informed without status meetings",
                "Open a project | Click Post update at the top | Choose On track, At risk or Off track | Add two lines on what changed",
            ),
            (
                "integrations_connected",
                "Integrations connected",
                "configuration",
                "integrations",
                "true",
                2,
                None,
                "Work where the team already works",
                "Go to Settings, then Integrations | Connect your calendar | Connect your team chat so updates reach people where they work",
            ),
            (
                "reminders_configured",
                "Deadline reminders set up",
                "configuration",
                "reminders",
                "true",
                3,
                None,
                "Hear about slipping deadlines before they cost a delivery",
                "Go to Settings, then Reminders | Click New reminder | Choose 'Two days before due' | Apply it to every active project",
            ),
            (
                "active_members",
                "Active members",
                "seats",
                "members",
                "true",
                None,
                None,
                "Get every team planning in one place",
                "Go to Settings, then Members | Invite the people named in your rollout plan | Send them the two-minute welcome tour",
            ),
            (
                "dashboards_shared",
                "Dashboards shared with stakeholders",
                "adoption",
                "shares",
                "true",
                None,
                None,
                "Keep leadership informed",
                "Open a dashboard | Click Share | Add the stakeholders who should see it each month",
            ),
        ],
        upgrade={"status_updates_posted": "the Portfolio add-on"},
        levels={"projects_active"},
    ),
    goals=[
        "Ship client projects on the date we promised",
        "Stop chasing status updates across email and chat",
        "Cut status meetings in half",
        "Give leadership one view of every project they can trust",
        "Get every regional team planning in the same place",
        "Take the busywork out of recurring work",
        "Know which projects are slipping before the client does",
        "Onboard new project leads in days, not weeks",
        "Prove to the board that we deliver more with the same team",
        "Launch two new service lines without adding coordinators",
    ],
    topics=[
        "Task import",
        "Login / SSO",
        "Automation setup",
        "Notifications",
        "Billing",
        "Integrations",
        "Permissions",
        "Calendar sync",
        "User management",
        "Reporting",
    ],
    block_names=[
        "Project template library",
        "Automation for recurring work",
        "Leadership portfolio dashboard",
        "Regional rollout",
        "Deadline reminders for every project",
        "Quarterly delivery review",
    ],
    stalled_block="Value Block: Portfolio dashboard for the board",
    notes=[
        'Kickoff recap. They said: "{goal}." Agreed first project to review together in two weeks.',
        'Weekly sync with the admin. "Honestly we mostly tick tasks off and never look at the timeline." Asked how others use automations.',
        'Champion update: "Leadership asked me which projects are late and I had to ask five people."',
        'Call with the operations lead. "We want to spend less time updating the tool and more time delivering."',
        'Quarterly check-in. "{goal}" is still the priority; budget review is coming up next quarter.',
        'Admin mentioned new hires on the delivery team: "We\'ll need a few more people in the tool."',
        '"The deadline reminders caught a slipping launch last month before the client did." Wants the same for the new region.',
        'Executive sponsor joined briefly: "Show me we are delivering on time, not just moving cards around."',
    ],
    comments={
        "promoter": [
            "The timeline view changed how we plan launches.",
            "Finally one place for every project.",
            "Our Monday stand-up takes ten minutes now.",
        ],
        "passive": [
            "Useful, but setting up projects takes longer than we'd like.",
            "Good tool; we need more people using it.",
            "Solid. Would like better exports.",
        ],
        "detractor": [
            "We're not seeing the value we expected for the price.",
            "Support has been slow on our import problem.",
            "Half the team stopped updating tasks; nobody trusts the dates.",
        ],
    },
    truth={
        "win_outcome": "deliverables_on_time rising over the last 4 weeks",
        "feature_first": "many tasks completed, almost no automation runs",
        "feature_second": "projects running with almost no status updates",
        "practice_first": "too few project templates saved",
        "practice_integrations": "no integrations connected",
        "practice_third": "too few deadline reminders set up",
    },
    lines={
        "win": [
            "Your deliverables on time are up {p}% since {m}",
            "First Value reached: {n} projects planned in one place",
            "{n} more deliverables on time this quarter",
        ],
        "feature": [
            "Automations would take the busywork out of your {n} weekly tasks",
            "Status updates would keep stakeholders current on your {n} projects",
        ],
        "better_practice": [
            "Saving {n} more project templates would make every kickoff faster",
            "Connecting your calendar would put deadlines where your team already works",
        ],
        "stall": [
            "Your 60-day onboarding step is waiting on one setup task",
            "The next Value Block is {n} days behind plan",
        ],
        "risk": [
            "Activity fell {p}% this month; here is a 20-minute way back on track",
            "Three open tickets are slowing your team down",
        ],
        "expansion": [
            "{p}% of your seats are in use every week",
            "Your delivery team is ready for portfolio reporting",
        ],
    },
)


# --- the default product: a market-intelligence / SEO platform ---------------------------

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
