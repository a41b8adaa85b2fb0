"""Drafting the five-part insight for three readers — offline templates (the default).

The play's formula: **one-liner** (the gist), **background** (context plain enough for someone
outside the daily workflow), **result** (what is happening and why it matters, with the
evidence), **action** (what to do next) and **reinforcement** (back to the core point). Each is
written for the **admin** (tactical, numbered steps), the **champion** (self-contained and
forwardable, the goal in their own words) and the **executive sponsor** (business impact first,
120 words at most, no product jargon).

Rudder never sends anything: every draft is for a CSM to review, edit and copy.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from insight_engine.book import Book
from insight_engine.chart import insight_chart
from insight_engine.detector import signal_records
from insight_engine.engine import Analysis

__all__ = [
    "AUDIENCES",
    "PARTS",
    "Draft",
    "DraftContext",
    "DraftSet",
    "build_context",
    "check_numbers",
    "template_drafts",
]

AUDIENCES = ("admin", "champion", "executive")
PARTS = ("one_liner", "background", "result", "action", "reinforcement")
EXEC_MAX_WORDS = 120
# Words an executive draft must never contain (internal metrics and product jargon).
EXEC_FORBIDDEN = (
    "health score",
    "churn",
    "risk score",
    "detector",
    "signal",
    "cohort",
    "adoption metric",
)


@dataclass
class Draft:
    """One reader's draft: the five parts, a subject line, and the assembled text."""

    audience: str
    subject: str
    one_liner: str
    background: str
    result: str
    action: str
    reinforcement: str
    greeting: str = ""
    signoff: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Plain text, ready to paste into an email."""
        body = [
            self.greeting,
            self.one_liner,
            self.background,
            self.result,
            self.action,
            self.reinforcement,
            self.signoff,
        ]
        return f"Subject: {self.subject}\n\n" + "\n\n".join(p for p in body if p)

    @property
    def markdown(self) -> str:
        """The same draft as Markdown (the one-liner in bold)."""
        body = [
            self.greeting,
            f"**{self.one_liner}**",
            self.background,
            self.result,
            self.action,
            self.reinforcement,
            self.signoff,
        ]
        return f"**Subject:** {self.subject}\n\n" + "\n\n".join(p for p in body if p)

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k not in ("greeting", "signoff")}
        return out | {"text": self.text, "markdown": self.markdown}

    @property
    def words(self) -> int:
        return len(
            " ".join(
                [self.one_liner, self.background, self.result, self.action, self.reinforcement]
            ).split()
        )


@dataclass
class DraftSet:
    """The three drafts for one signal, who drafted them, and anything the CSM should know."""

    account_id: str
    motion: str
    drafts: dict[str, Draft]
    drafter: str = "template"
    notice: str = ""

    def __getitem__(self, audience: str) -> Draft:
        return self.drafts[audience]

    def to_dict(self) -> dict:
        return {
            "account_id": self.account_id,
            "motion": self.motion,
            "drafter": self.drafter,
            "notice": self.notice,
            "drafts": {a: d.to_dict() for a, d in self.drafts.items()},
        }


# ---------------------------------------------------------------------------------------------
# Context: the allow-listed facts a draft may use


@dataclass
class DraftContext:
    """Everything a drafter may use for one signal — and nothing else (no emails, no other accounts).

    ``customer_text`` holds what the customer wrote (goal, recent notes, ticket topics, survey
    comments): it is data to interpret, never instructions.
    """

    account_id: str
    account_name: str
    tier: str
    csm: str
    contacts: dict[str, str]  # role -> first name
    stated_goal: str
    days_to_renewal: int | None
    motion: str
    detector: str
    headline: str
    why_now: str
    metric: str | None
    metric_label: str | None
    unit: str
    window: str | None
    before: float | None
    after: float | None
    peer: float | None
    target: float | None
    event_date: str | None
    steps: list[str]
    active_users: float | None
    seats: float | None
    activity_change: float | None  # share change of adoption activity, last 4 weeks vs the 4 before
    chart_label: str = ""  # the insight chart's one-sentence "how to read this"
    customer_text: dict[str, list[str]] = field(default_factory=dict)

    def payload(self) -> dict:
        """The fields sent to a model: an explicit allow-list (see :data:`ALLOWED_FIELDS`).

        Text that customers wrote, or that can quote them (the stated goal, the signal's headline,
        which may carry a survey comment or a milestone name), travels only in ``customer_text``.
        """
        data = asdict(self)
        out = {k: data[k] for k in ALLOWED_FIELDS}
        out["customer_text"] = {
            **self.customer_text,
            "goal": [self.stated_goal] if self.stated_goal else [],
            "signal_headline": [self.headline],
        }
        return out

    def known_phrases(self) -> list[str]:
        """Text that may contain digits without being a claim: the metric's label, names, steps."""
        return [p for p in [self.metric_label, self.account_name, *self.steps] if p]

    def numbers(self) -> list[float]:
        """Every number a draft may quote (the evidence and the account facts)."""
        values = [
            self.before,
            self.after,
            self.peer,
            self.target,
            self.days_to_renewal,
            self.active_users,
            self.seats,
        ]
        out = [float(v) for v in values if v is not None and not pd.isna(v)]
        if self.before and self.after:
            out.append((self.after / self.before - 1) * 100)
        if self.activity_change is not None:
            out.append(abs(self.activity_change) * 100)
        if self.active_users and self.seats:
            out.append(self.active_users / self.seats * 100)
        if self.after is not None and self.peer:
            out.append(self.peer / max(self.after, 1e-9))
        if self.target is not None and self.after is not None:
            out.append(abs(self.target - self.after))
        # the chart's label quotes the chart's own (computed) numbers
        out += [
            float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
            for m in _NUMBER.finditer(self.chart_label)
        ]
        return out


ALLOWED_FIELDS = (
    "account_name",
    "tier",
    "csm",
    "contacts",
    "days_to_renewal",
    "motion",
    "why_now",
    "metric_label",
    "unit",
    "window",
    "before",
    "after",
    "peer",
    "target",
    "event_date",
    "steps",
    "active_users",
    "seats",
    "activity_change",
    "chart_label",
    "customer_text",
)


def _first_name(name: object) -> str:
    return str(name).split()[0] if isinstance(name, str) and name.strip() else ""


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def build_context(
    book: Book, analysis: Analysis, account_id: str, motion: str | None = None
) -> DraftContext:
    """Facts for drafting an insight from the account's strongest signal (or its strongest of ``motion``).

    Raises
    ------
    KeyError
        If the account is unknown or has no signal (of that motion).
    """
    acct = book.account(account_id)
    records = signal_records(analysis.signals, account_id)
    if motion:
        records = [r for r in records if r["motion"] == motion]
    if not records:
        what = f"{motion.replace('_', ' ')} signal" if motion else "signal"
        raise KeyError(f"{acct['account_name']} has no {what} this week.")
    sig = records[0]
    ev = sig["evidence"]
    contacts = book.contacts.loc[book.contacts["account_id"] == account_id]
    names = {
        role: _first_name(contacts.loc[contacts["role"] == role, "name"].iloc[0])
        for role in AUDIENCES
        if (contacts["role"] == role).any()
    }
    metric = ev.get("metric")
    unit = ""
    if metric and metric in set(book.metrics["metric"]):
        unit = str(book.metrics.set_index("metric").at[metric, "unit"] or "")
    weekly = book.weekly
    cats = book.metrics.set_index("metric").reindex(weekly.metrics)["category"].to_numpy()
    frame = weekly.account_frame(account_id)
    adoption = frame.loc[:, cats == "adoption"].sum(axis=1, min_count=1)
    change = None
    if len(adoption) >= 8 and adoption.iloc[-8:-4].sum() > 0:
        change = float(adoption.iloc[-4:].sum() / adoption.iloc[-8:-4].sum() - 1)
    seat_metrics = [m for m, c in zip(weekly.metrics, cats, strict=True) if c == "seats"]
    active = _num(frame[seat_metrics[0]].iloc[-1]) if seat_metrics else None
    today = book.as_of
    notes = (
        book.notes.loc[book.notes["account_id"] == account_id]
        .sort_values("date")
        .tail(2)["text"]
        .tolist()
    )
    tickets = book.tickets.loc[
        (book.tickets["account_id"] == account_id)
        & (book.tickets["opened_at"] > today - pd.Timedelta(days=56))
    ]["topic"].dropna()
    comments = (
        book.surveys.loc[book.surveys["account_id"] == account_id]
        .sort_values("date")
        .tail(2)["comment"]
    )
    renewal = (acct["renewal_date"] - today).days if pd.notna(acct["renewal_date"]) else None
    chart = insight_chart(book, analysis.health, {**sig, "account_id": account_id})
    return DraftContext(
        account_id=account_id,
        account_name=str(acct["account_name"]),
        tier=str(acct["tier"]),
        csm=str(acct["csm"]),
        contacts=names,
        stated_goal=str(acct["stated_goal"]) if pd.notna(acct.get("stated_goal")) else "",
        days_to_renewal=int(renewal) if renewal is not None else None,
        motion=sig["motion"],
        detector=sig["detector"],
        headline=sig["headline"],
        why_now=sig["why_now"],
        metric=metric,
        metric_label=ev.get("metric_label"),
        unit=unit,
        window=ev.get("window"),
        before=_num(ev.get("before")),
        after=_num(ev.get("after")),
        peer=_num(ev.get("peer")),
        target=_num(ev.get("target")),
        event_date=ev.get("event_date"),
        steps=[s.strip() for s in str(sig["action"]).split("|") if s.strip()],
        active_users=active,
        seats=_num(acct["licensed_seats"]),
        activity_change=change,
        chart_label=chart.label,
        customer_text={
            "goal": [str(acct["stated_goal"])] if pd.notna(acct.get("stated_goal")) else [],
            "recent_notes": [str(n) for n in notes],
            "ticket_topics": sorted(set(map(str, tickets))),
            "survey_comments": [str(c) for c in comments.dropna() if str(c)],
        },
    )


# ---------------------------------------------------------------------------------------------
# Numbers


def fmt(x: float | None) -> str:
    """A number as a person writes it: 1,234 · 3.5 · 12."""
    if x is None or pd.isna(x):
        return ""
    if abs(x) >= 100 or float(x).is_integer() or abs(x - round(x)) < 0.05:
        return f"{round(x):,}"
    return f"{x:,.1f}"


def pct(x: float) -> str:
    return f"{abs(x) * 100:.0f}%"


_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(%?)")
_DATE_LIKE = re.compile(
    r"\b(?:\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w* \d{4}|\d{4}-\d{2}-\d{2})\b"
)


_DURATION = re.compile(r"[\s-]*(?:minute|min|hour|day|week|month)s?\b")


def check_numbers(
    text: str, allowed: list[float], known_phrases: list[str] | None = None
) -> list[str]:
    """Numbers in ``text`` that are not in the evidence (within rounding), as written.

    Not checked: dates, step numbers at the start of a line, "out of 10", and short durations of
    phrasing ("20 minutes", "four weeks" written as "4 weeks"). Every other number must match an
    allowed value within 1% (or ±0.5).
    """
    for phrase in sorted(known_phrases or [], key=len, reverse=True):  # catalog labels, names
        if phrase:
            text = re.sub(re.escape(phrase), " ", text, flags=re.IGNORECASE)
    text = _DATE_LIKE.sub(" ", text)
    text = re.sub(r"(?m)^\s*\d+\.\s", " ", text)
    text = re.sub(r"\bout of 10\b", " ", text)
    candidates = [a for a in allowed if a is not None and not np.isnan(a)]
    bad = []
    for m in _NUMBER.finditer(text):
        raw = m.group(0)
        value = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
        if not m.group(3) and value <= 60 and _DURATION.match(text, m.end()):
            continue
        if any(abs(value - a) <= max(0.5, 0.01 * abs(a)) for a in candidates):
            continue
        bad.append(raw)
    return bad


# ---------------------------------------------------------------------------------------------
# Templates


def _pick(options: list[str], *keys: str) -> str:
    """A stable choice: the same account and motion always read the same; different ones differ."""
    digest = hashlib.sha256("|".join(keys).encode()).digest()
    return options[digest[0] % len(options)]


def _goal_sentence(ctx: DraftContext, reader: str) -> str:
    if not ctx.stated_goal:
        return ""
    goal = ctx.stated_goal.rstrip(".")
    if reader == "executive":
        return f"Your team's goal: \u201c{goal}.\u201d"
    return f"When we started, your team said the goal was: \u201c{goal}.\u201d"


def _label(ctx: DraftContext) -> str:
    return (ctx.metric_label or "activity").strip()


def visual_label(ctx: DraftContext) -> str:
    """One sentence that labels the chart for someone who has never logged in: the chart's own
    label when the chart was built (the normal case), else a sentence from the evidence."""
    if ctx.chart_label:
        return ctx.chart_label
    label = _label(ctx).lower()
    if ctx.detector == "outcome_rise" and ctx.before is not None and ctx.after is not None:
        return (
            f"In the chart, the blue line is {label} each week; look at the last four weeks, shaded orange, "
            f"where it climbs from {fmt(ctx.before)} to {fmt(ctx.after)}."
        )
    if ctx.motion == "better_practice" and ctx.target is not None:
        return (
            f"In the chart, the bar is how many {label.replace(' configured', '').replace(' tracked', '')} are set up today "
            f"and the dashed orange line is the recommended {fmt(ctx.target)}."
        )
    if ctx.motion == "feature":
        return (
            f"In the chart, each pair of bars compares your team with similar {ctx.tier} customers; "
            f"look at the orange bar, {label}, where the gap is."
        )
    if ctx.motion == "expansion" and ctx.seats:
        return (
            f"In the chart, the blue line is people active each week and the dashed line is your "
            f"{fmt(ctx.seats)} seats; look at how close the line runs to it."
        )
    if ctx.detector == "new_promoter":
        return f"In the chart, each dot is one survey response; the orange dot is the latest, {fmt(ctx.after)} out of 10."
    if ctx.detector == "milestone_done":
        return "In the chart, each bar is a step in your plan; the orange one is the step your team just completed."
    if ctx.motion == "stall":
        return "In the chart, each bar is a step in your plan; the orange one is the step still open, and the line marks today."
    return (
        "In the chart, the blue line shows weekly activity; look at the last month, shaded orange."
    )


def _facts(ctx: DraftContext) -> dict[str, str]:
    label = _label(ctx)
    change = ""
    if ctx.before and ctx.after is not None:
        change = pct(ctx.after / ctx.before - 1)
    return {
        "account": ctx.account_name,
        "label": label,
        "label_l": label.lower(),
        "before": fmt(ctx.before),
        "after": fmt(ctx.after),
        "peer": fmt(ctx.peer),
        "target": fmt(ctx.target),
        "change": change,
        "tier": ctx.tier,
        "unit": ctx.unit or label.lower(),
        "seats": fmt(ctx.seats),
        "active": fmt(ctx.active_users),
        "activity": pct(ctx.activity_change) if ctx.activity_change is not None else "",
        "date": pd.Timestamp(ctx.event_date).strftime("%d %B %Y").lstrip("0")
        if ctx.event_date
        else "",
    }


def _parts_for(ctx: DraftContext) -> dict[str, str]:
    """The motion's framing: the core sentences every reader's version builds on."""
    f = _facts(ctx)
    key = (ctx.account_id, ctx.motion, ctx.detector)
    d = ctx.detector
    if d == "outcome_rise":
        one = _pick(
            [
                f"Your {f['label_l']} are up {f['change']} in four weeks.",
                f"{f['after']} {f['label_l']} this week, up from {f['before']}: a win worth sharing.",
                f"A leading indicator just moved: {f['label_l']} up {f['change']}.",
                f"Good news to start the week: {f['label_l']} are climbing.",
            ],
            *key,
        )
        result = (
            f"Over the last four weeks {f['account']} averaged {f['after']} {f['label_l']}, against {f['before']} "
            f"in the eight weeks before: up {f['change']}. This moves before traffic and pipeline do, so it is an "
            f"early sign the work is paying off."
        )
        if ctx.peer:
            result += f" Similar {f['tier']} customers average {f['peer']}."
        reinforce = _pick(
            [
                "The habits your team built are working. Keep going: the next gains usually follow within weeks.",
                "This is what steady work looks like from the outside. Keep the rhythm and the trend will keep building.",
            ],
            *key,
        )
        return {
            "one": one,
            "result": result,
            "reinforce": reinforce,
            "why": "keywords in the top 10 are a leading indicator: they rise before traffic does",
            "exec_result": f"{f['label']} rose {f['change']} in four weeks, from {f['before']} to {f['after']}: an early sign of the outcome you asked for.",
            "exec_action": "No decision needed; the team should keep its current rhythm, and we will bring the trend to the next Alignment Meeting.",
        }
    if d == "milestone_done":
        one = _pick(
            [
                f"Milestone reached: {ctx.headline.split(' completed')[0]}.",
                f"You did it: {ctx.headline.split(' completed')[0]} is complete.",
            ],
            *key,
        )
        return {
            "one": one,
            "result": f"Your team completed {ctx.headline.split(' completed')[0]} on {f['date']}. It is the point where the platform starts paying back the effort of setting it up.",
            "reinforce": "Milestones like this are easy to forget once the next task arrives. This one is worth remembering.",
            "why": "it marks the first real value from the work so far",
            "exec_result": f"Your team completed {ctx.headline.split(' completed')[0]} on {f['date']}: the first concrete return on the project.",
            "exec_action": "No decision needed; we will build the next step on it and review progress at the next Alignment Meeting.",
        }
    if d == "new_promoter":
        score = fmt(ctx.after)
        return {
            "one": _pick(
                [f"Thank you for the {score} out of 10.", f"A {score} out of 10: thank you."], *key
            ),
            "result": f"Your latest feedback gave us {score} out of 10. We would love to know what made the difference, so we can keep doing more of it.",
            "reinforce": "Feedback like this tells us we are on the right track together.",
            "why": "it is the moment to learn what is working",
            "exec_result": f"Your team rated us {score} out of 10 in the latest survey.",
            "exec_action": "A two-line reply on what made the difference would help us keep it that way.",
        }
    if d == "complement_gap":
        partner = ctx.headline.split(" in 4 weeks")[0].split(" but ")[0]
        one = _pick(
            [
                f"{f['label']} would make your {partner} more useful.",
                f"One small habit would cut the noise in your reports: {f['label_l']}.",
                f"Your team is doing the hard part already; {f['label_l']} would finish the job.",
            ],
            *key,
        )
        result = (
            f"In the last four weeks your team logged {partner}, but only {f['after']} {f['label_l']}. "
            f"Without that step, results that do not matter crowd out the ones that do."
        )
        return {
            "one": one,
            "result": result,
            "reinforce": "A few minutes of set-up makes every report your team already opens more useful.",
            "why": "the team already does the hard part",
            "exec_result": f"Your team uses the platform heavily, but one step that makes the results sharper is rarely taken: {f['label_l']} ({f['after']} in four weeks).",
            "exec_action": "Nothing to decide: your admin can fix this in a short working session this week.",
        }
    if d == "goal_capability_ignored":
        one = _pick(
            [
                f"{f['label']} is built for your goal, and it is waiting.",
                f"A capability made for your goal: {f['label_l']}.",
            ],
            *key,
        )
        return {
            "one": one,
            "result": f"Your team has not used {f['label_l']} in the last four weeks, while similar {f['tier']} customers use it regularly.",
            "reinforce": "Small steps toward the goal you named are the ones that add up.",
            "why": "it connects directly to the goal you named",
            "exec_result": f"One capability designed for your stated goal is not in use yet: {f['label_l']}.",
            "exec_action": "Nothing to decide: we will walk your admin through it this week.",
        }
    if d == "below_target":
        thing = (
            f["label_l"]
            .replace(" configured", "")
            .replace(" tracked", "")
            .replace(" connected", "")
        )
        one = _pick(
            [
                f"Adding a few more {thing} would sharpen every insight you get.",
                f"A quick set-up change for better results: {f['target']} {thing} instead of {f['after']}.",
                f"Your results will get more precise with {f['target']} {thing}.",
            ],
            *key,
        )
        result = (
            f"Right now {f['after']} {thing} are set up. The platform gives its most reliable results from "
            f"{f['target']} or more, because it compares you against a fuller picture."
        )
        return {
            "one": one,
            "result": result,
            "reinforce": "Better input means better answers, across every report, from the next refresh.",
            "why": "better input improves every result the platform produces",
            "exec_result": f"A set-up detail is holding back the quality of your results: {f['after']} {thing} set up where {f['target']} are recommended.",
            "exec_action": "Nothing to decide: your admin can complete it in about ten minutes.",
        }
    if d in ("milestone_overdue",):
        step = ctx.headline.split(" is ")[0]
        return {
            "one": _pick(
                [
                    f"Let's finish {step} together.",
                    f"One step stands between your team and the next result: {step}.",
                ],
                *key,
            ),
            "result": f"{step} was planned for {f['date']} and is still open. It is usually one or two tasks, and it unlocks the results the next steps depend on.",
            "reinforce": "Finishing this step keeps the momentum your team built at kickoff.",
            "why": "open steps get harder to close the longer they wait",
            "exec_result": f"One planned step, {step}, is behind schedule; closing it keeps the project on its timeline.",
            "exec_action": "It would help if your team set aside 20 minutes this week to close it with us.",
        }
    if d in ("flat_onboarding", "no_login"):
        quiet = ctx.headline
        return {
            "one": _pick(
                [
                    "A quick restart would get your team back on track.",
                    "Let's pick up where your team left off.",
                ],
                *key,
            ),
            "result": f"The platform has been quiet recently: {quiet[0].lower() + quiet[1:]}. That is normal in a busy stretch, and easy to turn around with one short session.",
            "reinforce": "A small restart now keeps the early progress from fading.",
            "why": "early habits set the pace for everything after",
            "exec_result": "Your team's use of the platform has slowed in recent weeks; a short working session will restart it.",
            "exec_action": "It would help if you encouraged the team to join a 20-minute session this week.",
        }
    if d in ("health_risk", "renewal_at_risk", "support_risk", "detractor", "low_seat_use"):
        if d == "low_seat_use" and ctx.active_users is not None and ctx.seats:
            evidence = f"{f['active']} of your {f['seats']} seats were in use this week."
            exec_fact = f"{f['active']} of {f['seats']} seats are in use."
        elif d == "support_risk":
            evidence = f"Your team has raised {fmt(ctx.after)} support requests in the last four weeks, more than usual."
            exec_fact = "Your team has needed more support than usual this month."
        elif d == "detractor":
            evidence = (
                f"Your latest feedback was {fmt(ctx.after)} out of 10, and we take that seriously."
            )
            exec_fact = "Your latest feedback tells us the platform is not yet delivering what you expected."
        elif ctx.activity_change is not None and ctx.activity_change < 0:
            evidence = f"Your team's activity in the platform is down {f['activity']} over the last four weeks."
            exec_fact = f"Your team's use of the platform is down {f['activity']} this month."
        else:
            evidence = "Your team's use of the platform has slowed over the last few weeks."
            exec_fact = "Your team's use of the platform has slowed this month."
        return {
            "one": _pick(
                [
                    "A short plan to get more from the platform this month.",
                    "Let's make sure the next month delivers what your team needs.",
                    "Twenty minutes this week could make the next month much easier.",
                ],
                *key,
            ),
            "result": f"{evidence} We would like to understand what is getting in the way and agree a simple plan with you.",
            "reinforce": "Our job is to make sure the platform earns its place in your team's week, and we are here to help.",
            "why": "a short conversation now is easier than a long one later",
            "exec_result": f"{exec_fact} We have a simple plan to address it with your team.",
            "exec_action": "It would help to have 20 minutes with your champion this week to agree the plan and an owner.",
        }
    if d == "seat_ceiling":
        return {
            "one": _pick(
                [
                    f"{f['active']} of your {f['seats']} seats are in use every week.",
                    "Your team is close to its seat limit.",
                ],
                *key,
            ),
            "result": f"Week after week {f['active']} of your {f['seats']} seats are in use. New colleagues will soon have to wait for a seat, which slows the rollout you planned.",
            "reinforce": "Full seats are a sign the platform has become part of how your team works.",
            "why": "the team is close to its ceiling",
            "exec_result": f"Your team uses {f['active']} of its {f['seats']} seats every week: the platform is now part of how they work.",
            "exec_action": "Worth a short conversation about whether more seats would support the next phase.",
        }
    return {
        "one": ctx.headline,
        "result": ctx.headline + ".",
        "reinforce": "We are here to help you get the most from it.",
        "why": ctx.why_now.lower(),
        "exec_result": ctx.headline + ".",
        "exec_action": "Nothing to decide; we will follow up with your team.",
    }


def draft_body(d: Draft) -> str:
    """The parts a number check looks at (everything but greeting and sign-off)."""
    return "\n".join([d.subject, d.one_liner, d.background, d.result, d.action, d.reinforcement])


def _subject(ctx: DraftContext, one: str, reader: str) -> str:
    prefix = f"{ctx.account_name}: " if reader == "executive" else ""
    text = prefix + one.rstrip(".:")
    if len(text) <= 90:
        return text
    return text[:88].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _steps_text(ctx: DraftContext) -> str:
    if not ctx.steps or len(ctx.steps) < 2:
        return ""
    return "\n".join(f"{i}. {s}" for i, s in enumerate(ctx.steps, start=1))


def template_drafts(ctx: DraftContext) -> DraftSet:
    """Draft the insight for admin, champion and executive with Rudder's offline templates.

    Parameters
    ----------
    ctx : DraftContext
        From :func:`build_context`.

    Returns
    -------
    DraftSet
        Deterministic: the same context always gives the same drafts.
    """
    core = _parts_for(ctx)
    label_sentence = visual_label(ctx)
    signoff = ctx.csm.split()[0] if ctx.csm else ""
    names = ctx.contacts
    drafts: dict[str, Draft] = {}

    # Admin: tactical, where to click, what will change.
    steps = _steps_text(ctx)
    if ctx.motion in ("feature", "better_practice") and steps:
        action = f"Here is how, step by step:\n{steps}\nOnce that is done, {core['why']}, and you will see it in the next report."
    elif ctx.motion == "win":
        action = "Keep the weekly routine that produced this. If it helps, I can set up a short report so the team sees the trend every Monday."
    elif ctx.detector == "milestone_overdue":
        action = "Could we take 20 minutes this week? I will bring a short checklist and we can finish the open step together."
    elif ctx.motion == "stall":
        action = "Could we take 20 minutes this week? I will bring the two reports your team used most and we can pick up from there."
    elif ctx.motion == "risk":
        action = "Could we take 20 minutes this week? Tell me what is getting in the way, and I will come with two or three options."
    else:
        action = "If it helps, I can walk you through it in a short call this week."
    drafts["admin"] = Draft(
        "admin",
        _subject(ctx, core["one"], "admin"),
        core["one"],
        "A quick note on something we are seeing in your account.",
        f"{core['result']} {label_sentence}",
        action,
        core["reinforce"],
        greeting=f"Hi {names.get('admin', 'there')},",
        signoff=signoff,
    )

    # Champion: self-contained, forwardable, the goal in their own words.
    goal = _goal_sentence(ctx, "champion")
    executive = names.get("executive")
    forward = (
        f" Feel free to forward this to {executive}."
        if executive and executive != names.get("champion")
        else " Feel free to forward this note."
    )
    champion_action = {
        "win": "Keep the current rhythm going, and consider sharing this result with the people who sponsor the work.",
        "feature": "I would suggest a 15-minute session with your admin to switch it on for the main reports; I can run it.",
        "better_practice": "Your admin can complete the change in about ten minutes; I have sent them the steps.",
        "stall": "Could you help us find 20 minutes with the team this week to close the open step?",
        "risk": "Could we find 20 minutes this week to agree a short plan and who owns it?",
        "expansion": "It may be worth a conversation about seats before the next group of people needs access.",
    }[ctx.motion]
    drafts["champion"] = Draft(
        "champion",
        _subject(ctx, core["one"], "champion"),
        core["one"],
        " ".join(
            p
            for p in [
                goal,
                f"Here is what we are seeing, and why it matters for {ctx.account_name}.",
            ]
            if p
        ),
        f"{core['result']} {label_sentence}",
        champion_action + forward,
        core["reinforce"],
        greeting=f"Hi {names.get('champion', 'there')},",
        signoff=signoff,
    )

    # Executive: impact first, short, no jargon.
    exec_goal = _goal_sentence(ctx, "executive")
    drafts["executive"] = Draft(
        "executive",
        _subject(ctx, core["one"], "executive"),
        core["one"],
        exec_goal,
        core["exec_result"],
        core["exec_action"],
        _pick(
            ["Thank you for your team's work on this.", "We will keep you posted on progress."],
            ctx.account_id,
            ctx.motion,
            "exec",
        ),
        greeting=f"Hi {names.get('executive', 'there')},",
        signoff=signoff,
    )
    allowed = ctx.numbers()
    for d in drafts.values():
        d.flags = check_numbers(draft_body(d), allowed, ctx.known_phrases())
    return DraftSet(ctx.account_id, ctx.motion, drafts, drafter="template")
