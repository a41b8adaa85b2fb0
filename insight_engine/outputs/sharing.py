"""Sharing one insight: what the Account page shows and logs, as pure functions.

The page reads widgets and renders; everything a test should check lives here: the order of the
signals to choose from, the reader labels and the five labelled parts of a draft, the evidence as
a small plain table, the health figure and its change rounded once, who the author is, and the
:class:`~insight_engine.log.store.NewInsight` logged with every reader's final text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpx2
import pandas as pd

from insight_engine.access import Viewer
from insight_engine.analysis.detector import AUDIENCE, DETECTORS
from insight_engine.analysis.framing import render, template_fields
from insight_engine.fmt import day as fmt_day
from insight_engine.fmt import weeks as fmt_weeks
from insight_engine.log.store import NewInsight, idempotency_key
from insight_engine.outputs.chart import _change_over  # the health chart's own rule: one owner
from insight_engine.outputs.claude import MAX_RETRIES, TIMEOUT_S, ClaudeDrafter, DrafterUnavailable
from insight_engine.outputs.draft import AUDIENCES, Draft, DraftContext, DraftSet
from insight_engine.outputs.prep import (
    FOLLOW_UPS,
    ChartExplanation,
    FollowUpAdvice,
    WeeklyInsight,
    explain_chart,
    suggest_follow_ups,
    weekly_insight,
)

__all__ = [
    "EVIDENCE_LABELS",
    "LOCAL_USER",
    "PART_LABELS",
    "READER_LABELS",
    "READER_NAMES",
    "Guidance",
    "LogDefaults",
    "author_name",
    "box_state",
    "draft_parts",
    "evidence_table",
    "guidance",
    "health_figure",
    "how_to_read_open",
    "log_defaults",
    "motion_order",
    "new_insight",
    "readers_shown",
    "signal_options",
    "subject_of",
]

READER_LABELS = {
    "admin": "Admin (day-to-day user)",
    "champion": "Champion (will forward it)",
    "executive": "Executive sponsor",
}
READER_NAMES = {  # where space is short (the Log form's chips); the boxes say who each one is
    "admin": "Admin",
    "champion": "Champion",
    "executive": "Executive sponsor",
}
PART_LABELS = {
    "one_liner": "One-liner",
    "background": "Background",
    "result": "Result",
    "action": "Action",
    "reinforcement": "Reinforcement",
}
LOCAL_USER = "Local user"

# Evidence fields in the order a person reads them, with plain labels (raw keys such as
# ``metric`` or ``partner`` are ids, shown through their labels instead).
EVIDENCE_LABELS = {
    "metric_label": "Measure",
    "window": "Period",
    "before": "Before",
    "after": "Now",
    "peer": "A similar customer",
    "target": "Recommended",
    "partner_label": "Goes with",
    "upgrade": "Upgrade",
    "milestone": "Milestone",
    "event_date": "Date",
    "days": "Days",
    "comment": "What they said",
}


def _number(x: float) -> str:
    """1,234 · 3.5 · 12 (whole when it is whole to one decimal, or large)."""
    if abs(x) >= 100 or abs(x - round(x)) < 0.05:
        return f"{round(x):,}"
    return f"{x:,.1f}"


def motion_order(ranked_motion: object, signals: pd.DataFrame) -> list[str]:
    """The motions an account's signals offer: the one This week ranked it by first (what the CSM
    clicked through for), then the others, strongest signal first; each once."""
    if signals.empty:
        return []
    strongest = signals.sort_values("strength", ascending=False, kind="stable")["motion"]
    first = [ranked_motion] if ranked_motion in set(signals["motion"]) else []
    return list(dict.fromkeys([*first, *strongest.astype(str)]))


def signal_options(signals: pd.DataFrame, motion: str) -> pd.DataFrame:
    """This motion's signals to choose from, strongest first, with a label for each."""
    same = signals.loc[signals["motion"] == motion].sort_values(
        "strength", ascending=False, kind="stable"
    )
    return same.assign(
        label=same["headline"].astype(str)
        + " (strength "
        + same["strength"].map("{:.2f}".format)
        + " of 1)"  # on its own, "strength 1.00" read as a count
    ).reset_index(drop=True)


def draft_parts(draft: Draft) -> list[tuple[str, str]]:
    """The five parts of a draft with their labels, in the order the draft's text gives them."""
    return [(label, getattr(draft, part)) for part, label in PART_LABELS.items()]


def readers_shown(motion: str) -> tuple[list[str], list[str]]:
    """The readers whose drafts are open on screen (the motion's usual readers, in order: the two
    a CSM writes to, each editable without a click on a tab) and the others (behind one click)."""
    usual = [r for r in AUDIENCE.get(motion, ()) if r in AUDIENCES] or list(AUDIENCES[:1])
    return usual, [r for r in AUDIENCES if r not in usual]


@dataclass(frozen=True)
class LogDefaults:
    """What the Log form starts with for one signal, before the CSM changes anything."""

    readers: list[str]
    """Sent to: the motion's usual readers (the drafts open on screen)."""
    follow_up: str
    """The first suggested follow-up (a key of FOLLOW_UPS), or ``"none"``."""
    follow_up_options: list[str]
    """``"none"`` then every follow-up."""
    due: dt.date
    """A week after the as-of date."""
    tags: list[str]
    """The motion."""
    tag_options: list[str]
    alignment_meeting: bool
    """Wins, risks and expansions go to the next Alignment Meeting by default."""


FLAGGED_BY_DEFAULT = ("win", "risk", "expansion")


def log_defaults(motion: str, suggested: Iterable[str], as_of: dt.date) -> LogDefaults:
    """The Log form's starting values for a signal of ``motion`` on ``as_of``, with the follow-ups
    suggested for it (:func:`insight_engine.outputs.prep.suggest_follow_ups`)."""
    known = [k for k in suggested if k in FOLLOW_UPS]
    return LogDefaults(
        readers=readers_shown(motion)[0],
        follow_up=known[0] if known else "none",
        follow_up_options=["none", *FOLLOW_UPS],
        due=as_of + dt.timedelta(days=7),
        tags=[motion],
        tag_options=sorted({*FOLLOW_UPS, motion}),  # each once ("renewal evidence" was twice)
        alignment_meeting=motion in FLAGGED_BY_DEFAULT,
    )


HOW_TO_READ_PX = 240  # plot height up to which "How to read this" fits open under the chart


def how_to_read_open(spec: Mapping[str, object], *, choosing: bool) -> bool:
    """Whether the chart's "How to read this" shows open under it on the Account page, or one
    click away: open unless the plot is taller than :data:`HOW_TO_READ_PX` or the CSM is choosing
    between signals (a picker above the chart), so the chart, both drafts and Log stay on one
    screen at 1280x800. The chart's subtitle says how to read it in short either way."""
    height = spec.get("height")
    return not choosing and isinstance(height, (int, float)) and height <= HOW_TO_READ_PX


def box_state(current: str | None, logged: str | None) -> str:
    """A draft box against the text last logged from it this session: ``"logged"`` (the box is
    what was stored), ``"edited"`` (changed since: Log stores a new version) or ``""`` (not
    logged yet). Line endings and trailing spaces do not count as an edit."""
    if logged is None:
        return ""

    def same(text: str | None) -> str:
        return "\n".join(line.rstrip() for line in str(text or "").splitlines()).strip()

    return "logged" if same(current) == same(logged) else "edited"


def evidence_table(evidence: Mapping[str, object], detector: str | None = None) -> pd.DataFrame:
    """A signal's evidence as a two-column table (What, Value) with plain labels — the
    detector's own where it names a field (a complement gap's "before" is the other
    capability's use) — leaving out empty fields and ids shown by their labels."""
    own = getattr(DETECTORS.get(detector or ""), "evidence_labels", {})
    words = {k: v for k, v in evidence.items() if isinstance(v, str) and v}
    rows = []
    for key, label in EVIDENCE_LABELS.items():
        if key in own and template_fields(own[key]) <= words.keys():  # else the general word
            label = render(own[key], words)
        value = evidence.get(key)
        if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
            continue
        if isinstance(value, (int, float)):
            text = _number(float(value))
        elif key == "event_date":
            text = fmt_day(value)
        else:
            text = str(value)
        rows.append((label, text))
    return pd.DataFrame(rows, columns=["What", "Value"])


def health_figure(history: pd.DataFrame, weeks: int = 4) -> tuple[str, str | None]:
    """The health metric's value and change, from the same unrounded weekly scores and the same
    rule as the health chart's title (:func:`insight_engine.outputs.chart._change_over`), so the two
    never disagree (no "40" beside "Health 39"): ``("39", "-7 over 4 weeks")``.
    No change is shown when it is under one point (the chart says "steady"), or unknown.

    Parameters
    ----------
    history : pandas.DataFrame
        ``HealthScore.history(account_id)``: ``week_end`` and ``health``.
    """
    known = history.dropna(subset=["health"]) if len(history) else history
    if known.empty:
        return "—", None
    now, before, apart = _change_over(known, "health", weeks)
    value = f"{now:.0f}"  # out of 100: the page's label says so, and "68 / 100" was cut at 800 px
    if not apart or pd.isna(before) or abs(now - before) < 1:
        return value, None
    return value, f"{now - before:+.0f} over {fmt_weeks(apart)}"


def author_name(viewer: Viewer | None) -> str:
    """Who is acting: the signed-in person (their CSM name, else their email), or in local mode
    the person chosen in "View as" (the CSM, or the manager's team); else "Local user"."""
    if viewer is None:
        return LOCAL_USER
    if not viewer.local:
        return viewer.csm or viewer.email
    if viewer.role == "csm" and viewer.csm:
        return viewer.csm
    if viewer.role == "manager" and viewer.team:
        return viewer.team
    return LOCAL_USER


def subject_of(text: str, fallback: str = "") -> str:
    """The subject line the CSM kept (a first line ``Subject: ...``), else ``fallback``."""
    first = str(text).lstrip().split("\n", 1)[0]
    if first.lower().startswith("subject:"):
        return first.split(":", 1)[1].strip() or fallback
    return fallback


@dataclass
class Guidance:
    """This week's insight, the chart explained, and what should follow, for one signal."""

    weekly: WeeklyInsight
    chart: ChartExplanation
    follow: FollowUpAdvice
    by: str
    """``Claude (<model>)`` or ``Rudder templates``."""
    notice: str = ""
    """One calm line when templates were used (no key, or Claude failed)."""


def _template_guidance(ctx: DraftContext, notice: str) -> Guidance:
    follow = suggest_follow_ups(ctx)
    return Guidance(
        weekly=weekly_insight(ctx),
        chart=explain_chart(ctx),
        follow=FollowUpAdvice(
            follow_ups=follow, why=f"The usual next steps after a {ctx.motion.replace('_', ' ')}."
        ),
        by="Rudder templates",
        notice=notice,
    )


def guidance(
    ctx: DraftContext,
    *,
    api_key: str | None = None,
    model: str | None = None,
    http_client: httpx2.Client | None = None,
    timeout: float = TIMEOUT_S,
    max_retries: int = MAX_RETRIES,
) -> Guidance:
    """Claude's versions of this week's insight, "explain this chart" and "what should follow"
    when a key is given; else (or on any failure, after the first one) the templates, with a
    notice. Follow-ups Claude names outside :data:`FOLLOW_UPS` are dropped."""
    if not api_key:
        return _template_guidance(
            ctx, "Written offline by Rudder's templates. Add an Anthropic API key to use Claude."
        )
    try:
        drafter = ClaudeDrafter(
            api_key=api_key,
            **({"model": model} if model else {}),
            http_client=http_client,
            timeout=timeout,
            max_retries=max_retries,
        )
        weekly = drafter.weekly_insight(ctx)
        chart = drafter.explain_chart(ctx)
        follow = drafter.follow_up(ctx)
    except DrafterUnavailable as exc:
        return _template_guidance(ctx, exc.notice.replace("these drafts", "these notes"))
    known = [k for k in dict.fromkeys(follow.follow_ups) if k in FOLLOW_UPS]
    follow = FollowUpAdvice(follow_ups=known or suggest_follow_ups(ctx), why=follow.why)
    return Guidance(weekly, chart, follow, by=f"Claude ({drafter.model})")


def new_insight(
    *,
    book_key: str,
    account: Mapping[str, object],
    ctx: DraftContext,
    drafted: DraftSet,
    readers: Iterable[str],
    texts: Mapping[str, str],
    author: str,
    sent_on: dt.date,
    tags: Iterable[str] = (),
    follow_up: str | None = None,
    follow_up_due: dt.date | None = None,
    alignment_meeting: bool = False,
    signal_strength: float | None = None,
    health_at_send: float | None = None,
) -> NewInsight:
    """The insight to log: every reader it was sent to with the text in that reader's box.

    Parameters
    ----------
    account : mapping
        The account's row (``account_id`` and ``csm``).
    readers : iterable of str
        Who it was sent to (``admin``, ``champion``, ``executive``); none chosen means the
        motion's usual first reader.
    texts : mapping
        Each reader's box as it is now; a reader without one gets the draft's text.
    follow_up : str, optional
        A follow-up key, or None (or ``"none"``) for none; its due date only goes with one.
    """
    sent = [r for r in dict.fromkeys(readers) if r in AUDIENCES] or [
        "champion" if "champion" in drafted.drafts else next(iter(drafted.drafts))
    ]
    final = {r: str(texts.get(r) or drafted[r].text) for r in sent}
    primary = sent[0]
    follow = None if follow_up in (None, "", "none") else follow_up
    account_id = str(account["account_id"])
    csm = account.get("csm")
    author = str(author)
    return NewInsight(
        account_id=account_id,
        csm="" if csm is None or pd.isna(csm) else str(csm),
        author=author,
        motion=ctx.motion,
        audience=sent,
        text=final[primary],
        texts=final,
        sent_on=sent_on,
        book_key=book_key,
        subject=subject_of(final[primary], drafted[primary].subject),
        one_liner=drafted[primary].one_liner,
        tags=list(dict.fromkeys(tags)),
        follow_up=follow,
        follow_up_due=follow_up_due if follow else None,
        alignment_meeting=bool(alignment_meeting),
        drafter=drafted.drafter,
        evidence={
            **{k: v for k, v in ctx.payload().items() if k != "customer_text"},
            "headline": ctx.headline,
        },
        signal_strength=None if signal_strength is None else float(signal_strength),
        health_at_send=None
        if health_at_send is None or pd.isna(health_at_send)
        else float(health_at_send),
        key=idempotency_key(account_id, ctx.motion, author, final),
    )
