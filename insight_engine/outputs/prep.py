"""The play's critical assets beside every draft: the prep checklist, the question bank, and the
AI layer's other helpers — this week's insight, "explain this chart", and what should follow —
each with an offline template version (Claude versions live in :mod:`insight_engine.outputs.claude`).
"""

from __future__ import annotations

from pydantic import BaseModel

from insight_engine.analysis.detector import AUDIENCE
from insight_engine.analysis.framing import render
from insight_engine.outputs.draft import DraftContext, fmt, framing_for, signal_facts, visual_label

__all__ = [
    "FOLLOW_UPS",
    "ChartExplanation",
    "FollowUpAdvice",
    "WeeklyInsight",
    "explain_chart",
    "prep_checklist",
    "question_bank",
    "suggest_follow_ups",
    "weekly_insight",
]

FOLLOW_UPS = {
    "alignment_meeting": "Add to the next Alignment Meeting",
    "task": "Create a task with a due date",
    "renewal_evidence": "Log as renewal evidence",
    "internal_win": "Share internally as a win",
    "case_study": "Case-study candidate",
    "expansion_hypothesis": "Expansion hypothesis",
    "mitigation": "Mitigation step",
    "enablement": "Enablement session",
}
READERS = {
    "admin": "the admin (day-to-day user)",
    "champion": "the champion (will forward it)",
    "executive": "the executive sponsor",
}


class WeeklyInsight(BaseModel):
    """This week's most meaningful insight for an account."""

    insight: str
    why_it_matters: str
    audience: list[str]
    evidence: str
    action: str


class ChartExplanation(BaseModel):
    """A chart explained to someone who has never used the product."""

    where_to_look: str
    what_it_means: str
    conclusion: str
    action: str


class FollowUpAdvice(BaseModel):
    """What should happen after the insight is sent."""

    follow_ups: list[str]
    why: str


def suggest_follow_ups(ctx: DraftContext) -> list[str]:
    """Follow-up keys for this insight, most fitting first (the play's follow-up workflow)."""
    by_motion = {
        "win": ["alignment_meeting", "internal_win", "renewal_evidence", "case_study"],
        "feature": ["enablement", "task"],
        "better_practice": ["task", "enablement"],
        "stall": ["task", "alignment_meeting"],
        "risk": ["mitigation", "task", "alignment_meeting"],
        "expansion": ["expansion_hypothesis", "alignment_meeting"],
    }
    out = list(by_motion[ctx.motion])
    if (
        ctx.days_to_renewal is not None
        and 0 <= ctx.days_to_renewal <= 120
        and "renewal_evidence" not in out
        and ctx.motion in ("win", "expansion", "feature")
    ):
        out.insert(1, "renewal_evidence")
    return out


def _evidence_line(ctx: DraftContext) -> str:
    parts = [ctx.headline]
    if ctx.peer is not None and ctx.motion in ("win", "feature", "better_practice"):
        parts.append(f"similar {ctx.tier} customers: {fmt(ctx.peer)}")
    if ctx.target is not None:
        parts.append(f"recommended: {fmt(ctx.target)}")
    return "; ".join(parts)


def prep_checklist(ctx: DraftContext) -> list[tuple[str, str]]:
    """The seed's prep checklist, filled in for this signal."""
    audience = ", ".join(READERS[a] for a in ("admin", "champion", "executive"))
    return [
        ("Reason for the insight", ctx.headline),
        (
            "Customer goal it connects to",
            ctx.stated_goal or "No stated goal on record: ask for it in the next call.",
        ),
        ("Audience", audience),
        ("Evidence (the minimum that makes the point)", _evidence_line(ctx)),
        (
            "Recommended action",
            ctx.steps[0]
            if len(ctx.steps) == 1
            else (
                f"{len(ctx.steps)} steps, starting with: {ctx.steps[0]}"
                if ctx.steps
                else "See the drafts."
            ),
        ),
        ("Follow-up path", ", ".join(FOLLOW_UPS[k] for k in suggest_follow_ups(ctx))),
    ]


def question_bank(ctx: DraftContext) -> list[tuple[str, str]]:
    """The seed's question bank, with a prompt for this signal under each question."""
    m = ctx.motion
    return [
        ("What changed?", ctx.headline),
        (
            "What may the customer not see?",
            render(framing_for(ctx).text("unseen", m), signal_facts(ctx)),
        ),
        (
            "What behaviour should be reinforced?",
            "The routine that produced the result."
            if m == "win"
            else "The work the team is already doing well.",
        ),
        ("What needs correcting?", "Nothing: celebrate." if m == "win" else ctx.headline),
        (
            "What should be celebrated?",
            ctx.headline
            if m in ("win", "expansion")
            else "Any progress since the last conversation, however small.",
        ),
        (
            "Who else inside the customer should know?",
            "The executive sponsor"
            + (
                ", before the renewal conversation"
                if ctx.days_to_renewal is not None and ctx.days_to_renewal <= 120
                else ""
            ),
        ),
    ]


def weekly_insight(ctx: DraftContext) -> WeeklyInsight:
    """Template version: the strongest signal, why now, to whom, evidence and action."""
    audience = list(AUDIENCE[ctx.motion])
    return WeeklyInsight(
        insight=ctx.headline,
        why_it_matters=ctx.why_now,
        audience=audience,
        evidence=_evidence_line(ctx),
        action=ctx.steps[0] if ctx.steps else "See the drafts for the recommended next step.",
    )


def explain_chart(ctx: DraftContext) -> ChartExplanation:
    """Template version, built from the chart's own label."""
    label = visual_label(ctx)
    return ChartExplanation(
        where_to_look=label.replace("In the chart, ", "").capitalize(),
        what_it_means=ctx.headline + ".",
        conclusion=render(framing_for(ctx).text("conclusion", ctx.motion), signal_facts(ctx)),
        action=ctx.steps[0] if ctx.steps else "Agree the next step with the customer this week.",
    )
