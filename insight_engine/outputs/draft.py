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

from insight_engine.analysis.detector import DETECTORS, signal_records
from insight_engine.analysis.engine import Analysis
from insight_engine.analysis.framing import Framing, render
from insight_engine.book.book import Book
from insight_engine.book.rollup import aggregations
from insight_engine.outputs.chart import insight_chart
from insight_engine.source.contract import UNASSIGNED

__all__ = [
    "AUDIENCES",
    "PARTS",
    "Draft",
    "DraftContext",
    "DraftSet",
    "build_context",
    "check_numbers",
    "customer_quotes",
    "framing_for",
    "signal_facts",
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
# What no reader's draft may contain: Rudder's internal measures, not the customer's words.
INTERNAL_WORDS = re.compile(
    r"health[ -]?score|\bhealth (?:at |of |is )?\d|/100\b|\bsignals?\b|\bstrength\b|\bdetectors?\b",
    re.IGNORECASE,
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
    # structured evidence (the detector's own fields; drafts never re-parse the headline)
    metric_goal: str = ""  # the catalog's goal for the metric
    milestone: str | None = None
    partner_label: str | None = None
    partner_unit: str = ""  # the partner metric's catalog unit
    upgrade: str | None = None
    comment: str | None = None
    days: float | None = None
    quotes: list[dict[str, str]] = field(default_factory=list)  # customer_quotes()
    people: bool = False  # the metric counts people (a seats metric): said in whole numbers

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
            "milestone": [self.milestone] if self.milestone else [],
            "said_in_meetings": [
                f"{q['role'] or 'the team'} ({q['date']}): {q['text']}" for q in self.quotes
            ],
        }
        return out

    def known_phrases(self) -> list[str]:
        """Text that may contain digits without being a claim: the metric's label, names, steps."""
        return [
            p
            for p in [
                self.metric_label,
                self.partner_label,
                self.account_name,
                self.milestone,
                self.upgrade,
                self.comment,
                *self.steps,
                *(q["text"] for q in self.quotes),
            ]
            if p
        ]

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
            self.days,
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
    "metric_goal",
    "partner_label",
    "upgrade",
    "days",
    "customer_text",
)


def _first_name(name: object) -> str:
    return str(name).split()[0] if isinstance(name, str) and name.strip() else ""


def _catalog_text(book: Book, metric: str | None, column: str) -> str:
    """A metric's catalog text (its unit, goal…), '' when the catalog has none."""
    if not metric or column not in book.metrics:
        return ""
    values = book.metrics.loc[book.metrics["metric"] == metric, column]
    return str(values.iloc[0]) if len(values) and pd.notna(values.iloc[0]) else ""


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def build_context(
    book: Book,
    analysis: Analysis,
    account_id: str,
    motion: str | None = None,
    detector: str | None = None,
) -> DraftContext:
    """Facts for drafting an insight from the account's strongest signal (or its strongest of
    ``motion``, or of ``detector``).

    Raises
    ------
    KeyError
        If the account is unknown or has no signal (of that motion).
    """
    acct = book.account(account_id)
    records = signal_records(analysis.signals, account_id)
    if motion:
        records = [r for r in records if r["motion"] == motion]
    if detector:
        records = [r for r in records if r["detector"] == detector]
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
    unit = metric_goal = ""
    if metric and metric in set(book.metrics["metric"]):
        row = book.metrics.set_index("metric").loc[metric]
        unit = str(row["unit"]) if pd.notna(row.get("unit")) else ""
        metric_goal = str(row["goal"]) if pd.notna(row.get("goal")) else ""
    weekly = book.weekly
    cats = book.metrics.set_index("metric").reindex(weekly.metrics)["category"].to_numpy()
    frame = weekly.account_frame(account_id)
    counts = (cats == "adoption") & (
        np.asarray(
            aggregations(book.metrics.set_index("metric").reindex(weekly.metrics).reset_index())
        )
        == "sum"
    )  # the activity the chart draws: counts add up, a level does not
    adoption = frame.loc[:, counts].sum(axis=1, min_count=1)
    change = None
    if len(adoption) >= 8 and adoption.iloc[-8:-4].sum() > 0:
        change = float(adoption.iloc[-4:].sum() / adoption.iloc[-8:-4].sum() - 1)
    seat_metrics = [m for m, c in zip(weekly.metrics, cats, strict=True) if c == "seats"]
    active = _num(frame[seat_metrics[0]].iloc[-1]) if seat_metrics else None
    today = book.as_of
    account_notes = book.notes.loc[
        (book.notes["account_id"] == account_id) & (book.notes["date"] <= today)
    ].sort_values("date", kind="stable")
    notes = account_notes.tail(2)["text"].tolist()
    goal_text = str(acct["stated_goal"]) if pd.notna(acct.get("stated_goal")) else ""
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
        people=metric in seat_metrics,
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
        metric_goal=metric_goal,
        milestone=ev.get("milestone"),
        partner_label=ev.get("partner_label"),
        partner_unit=_catalog_text(book, ev.get("partner"), "unit"),
        upgrade=ev.get("upgrade"),
        comment=ev.get("comment"),
        days=_num(ev.get("days")),
        quotes=customer_quotes(account_notes.tail(20), goal_text),
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
    label (its caption's first sentence; every chart the signal's detector names has one)."""
    if ctx.chart_label:
        return ctx.chart_label
    return f"The chart shows {_label(ctx).lower()} for {ctx.account_name}, week by week."


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """'Tasks completed' → 'tasks completed' (an acronym such as 'CRM' is kept)."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def signal_facts(ctx: DraftContext) -> dict[str, str]:
    """The structured facts a framing template may read (detector.FRAMING_FACTS), as text: every
    product word comes from the metric catalog or the account's own data."""
    label = _label(ctx)
    change = ""
    if ctx.before and ctx.after is not None:
        change = pct(ctx.after / ctx.before - 1)
    if ctx.activity_change is not None and ctx.activity_change <= -0.05:
        use_trend = f"down {pct(ctx.activity_change)} over the last four weeks"
    else:
        use_trend = f"below what similar {ctx.tier} teams see"
    return {
        "account": ctx.account_name,
        "label": _cap(label),
        "label_l": _lower_first(label),
        "unit": ctx.unit or _lower_first(label),
        "goal_l": _lower_first(ctx.metric_goal.rstrip(".")) if ctx.metric_goal else "",
        "tier": ctx.tier,
        # people are whole: "7 of your 35 seats", never "7.3" (a weekly average of daily users)
        "before": fmt(round(ctx.before) if ctx.people and ctx.before is not None else ctx.before),
        "after": fmt(round(ctx.after) if ctx.people and ctx.after is not None else ctx.after),
        "peer": fmt(ctx.peer),
        "target": fmt(ctx.target),
        "change": change,
        "seats": fmt(ctx.seats),
        "score": fmt(ctx.after),
        "date": pd.Timestamp(ctx.event_date).strftime("%d %B %Y").lstrip("0")
        if ctx.event_date
        else "",
        "days": fmt(ctx.days),
        "use_trend": use_trend,
        "milestone": ctx.milestone or "",
        "partner_l": _lower_first(ctx.partner_label or ""),
        "partner_unit": ctx.partner_unit or _lower_first(ctx.partner_label or ""),
        "upgrade": ctx.upgrade or "",
        "comment": (ctx.comment or "").strip(),
    }


def framing_for(ctx: DraftContext) -> Framing:
    """The framing the signal's detector owns (its registry entry)."""
    return DETECTORS[ctx.detector].framing


def _parts_for(ctx: DraftContext) -> dict[str, str]:
    """The detector's framing filled with the signal's facts: the core sentences every reader's
    version builds on."""
    framing, f = framing_for(ctx), signal_facts(ctx)
    key = (ctx.account_id, ctx.motion, ctx.detector)
    return {
        "one": _cap(render(_pick(list(framing.one), *key), f)),
        "result": _cap(render(framing.result, f)),
        "reinforce": _cap(render(_pick(list(framing.reinforce), *key), f)),
        "why": render(framing.why, f),
        "exec_result": _cap(render(framing.exec_result, f)),
        "exec_action": _cap(render(framing.exec_action, f)),
        "admin_action": _cap(render(framing.text("admin_action", ctx.motion), f)),
        "champion_action": _cap(render(framing.text("champion_action", ctx.motion), f)),
    }


# ---------------------------------------------------------------------------------------------
# The customer's own words

_QUOTE = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{8,300}?)[\"\u201d]")
_SPEAKER = {
    "executive": ("executive", "sponsor", "ceo", "cfo", "coo", "cto", "vp ", "director"),
    "champion": ("champion",),
    "admin": ("admin",),
}
_WORD = re.compile(r"[a-z]{4,}")
_COMMON = {"this", "that", "with", "from", "have", "what", "more", "just", "your", "team", "they"}


def customer_quotes(notes: pd.DataFrame, stated_goal: str = "") -> list[dict[str, str]]:
    """What the customer said in meeting notes, in their words: each quoted phrase with who said
    it (``executive``, ``champion``, ``admin`` from the words before it, else ``""``) and the
    note's date, oldest first. A quote of the stated goal is left out (the goal is used as is)."""
    out = []
    goal = stated_goal.strip().rstrip(".").lower()
    for date, text in zip(notes["date"], notes["text"].astype(str), strict=True):
        for m in _QUOTE.finditer(text):
            said = m.group(1).strip()
            if not said or (goal and said.rstrip(".").lower() == goal):
                continue
            before = text[: m.start()].lower()
            role = next((r for r, words in _SPEAKER.items() if any(w in before for w in words)), "")
            if said[-1] not in ".!?":
                said += "."
            out.append({"text": said, "role": role, "date": f"{pd.Timestamp(date):%Y-%m-%d}"})
    return out


def _said(ctx: DraftContext, role: str) -> dict[str, str] | None:
    """The latest thing this reader said, if the notes quote them."""
    quotes = [q for q in ctx.quotes if q["role"] == role]
    return quotes[-1] if quotes else None


def _fits(ctx: DraftContext, quote: dict[str, str]) -> bool:
    """Does a quote speak to this insight (a word in common with its facts)?"""
    f = signal_facts(ctx)
    topic = " ".join(
        [f["label_l"], f["unit"], f["goal_l"], f["partner_l"], f["milestone"], f["upgrade"]]
    ).lower()
    words = set(_WORD.findall(topic)) - _COMMON
    return bool(words & (set(_WORD.findall(quote["text"].lower())) - _COMMON))


def _month(quote: dict[str, str]) -> str:
    return f"{pd.Timestamp(quote['date']):%B}"


def _voice(ctx: DraftContext, reader: str) -> str:
    """The customer's own words for this reader, attributed: the executive hears what they said;
    the champion hears what the executive (or they) said, so it travels when forwarded; the
    admin hears their own words when they speak to this insight."""
    mine = _said(ctx, reader)
    boss = _said(ctx, "executive")
    # What the sponsor asked for fits a win, a risk or an expansion; otherwise only a quote
    # about the same thing as the insight does.
    boss_fits = boss is not None and (
        ctx.motion in ("win", "risk", "expansion") or _fits(ctx, boss)
    )
    if reader == "executive":
        return f"In {_month(boss)} you told us: \u201c{boss['text']}\u201d" if boss_fits else ""
    if reader == "champion":
        name = ctx.contacts.get("executive")
        if boss_fits and name and name != ctx.contacts.get("champion"):
            return f"As {name} put it in {_month(boss)}: \u201c{boss['text']}\u201d"
        if mine:
            return f"In {_month(mine)} you told me: \u201c{mine['text']}\u201d"
        return ""
    if mine and _fits(ctx, mine):
        return f"In {_month(mine)} you mentioned: \u201c{mine['text']}\u201d"
    return ""


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

    The words come from the framing the signal's detector owns (:func:`framing_for`), filled
    with the signal's structured facts; the customer's own words (stated goal, what they said in
    meetings) are quoted where they fit. Chart-reading instructions stay in the chart's caption:
    the message only says the chart is there.

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
    chart_line = (
        " I have put the chart below, with a note on how to read it."
        if ctx.chart_label and not ctx.chart_label.startswith("No chart yet")
        else ""
    )
    # An account with no CSM on record is signed by whoever sends it: a placeholder to fill.
    signoff = ctx.csm.split()[0] if ctx.csm and ctx.csm != UNASSIGNED else "[your name]"
    names = ctx.contacts
    drafts: dict[str, Draft] = {}

    # Admin: tactical, where to click, what will change.
    steps = _steps_text(ctx)
    if ctx.motion in ("feature", "better_practice") and steps:
        action = f"Here is how, step by step:\n{steps}\nOnce that is done, {core['why']}."
    else:
        action = core["admin_action"]
    drafts["admin"] = Draft(
        "admin",
        _subject(ctx, core["one"], "admin"),
        core["one"],
        " ".join(
            p
            for p in [
                "A quick note on something we are seeing in your account.",
                _voice(ctx, "admin"),
            ]
            if p
        ),
        f"{core['result']}{chart_line}",
        action,
        core["reinforce"],
        greeting=f"Hi {names.get('admin', 'there')},",
        signoff=signoff,
    )

    # Champion: self-contained, forwardable, the goal and the sponsor's words travel with it.
    executive = names.get("executive")
    forward = (
        f" Feel free to forward this to {executive}."
        if executive and executive != names.get("champion")
        else " Feel free to forward this note."
    )
    drafts["champion"] = Draft(
        "champion",
        _subject(ctx, core["one"], "champion"),
        core["one"],
        " ".join(
            p
            for p in [
                _goal_sentence(ctx, "champion"),
                _voice(ctx, "champion"),
                f"Here is what we are seeing, and why it matters for {ctx.account_name}.",
            ]
            if p
        ),
        f"{core['result']}{chart_line}",
        core["champion_action"] + forward,
        core["reinforce"],
        greeting=f"Hi {names.get('champion', 'there')},",
        signoff=signoff,
    )

    # Executive: impact first, short, no jargon, their own words back to them.
    drafts["executive"] = Draft(
        "executive",
        _subject(ctx, core["one"], "executive"),
        core["one"],
        _voice(ctx, "executive") or _goal_sentence(ctx, "executive"),
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
