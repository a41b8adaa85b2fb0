"""How a detector's moment is told to each reader: the framing object a detector owns.

Every registered detector (:mod:`insight_engine.analysis.detector`) carries one :class:`Framing`. Its
texts are templates over the signal's **structured facts** (see :func:`render`): the metric's
catalog label, unit and goal, the evidence numbers, the milestone's name, the partner metric,
the upgrade… never words of one product, and never a headline to re-parse. Drafts
(:mod:`insight_engine.outputs.draft`), the prep assets (:mod:`insight_engine.outputs.prep`) and the Claude
payload read these only.

Template syntax: ``{field}`` is replaced by the fact; a segment in ``[[…]]`` is kept only when
every field inside it has a value (so "[[ Similar {tier} customers average {peer}.]]" vanishes
when there is no peer value). Lists offer alternatives; one is picked stably per account.

This module is the domain core: it never imports streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

__all__ = ["CHART_KINDS", "MOTION_DEFAULTS", "Framing", "render", "template_fields"]

# The chart kinds :func:`insight_engine.outputs.chart.insight_chart` can draw for a signal.
CHART_KINDS = (
    "trend",
    "comparison",
    "target",
    "timeline",
    "survey",
    "activity",
    "seats",
    "health",
)

_FIELD = re.compile(r"\{([a-z_]+)\}")
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)


def template_fields(template: str) -> set[str]:
    """The fact names a template reads."""
    return set(_FIELD.findall(template))


def render(template: str, facts: Mapping[str, str]) -> str:
    """Fill a template from ``facts``; optional ``[[…]]`` segments with a missing fact vanish.

    A field that is missing outside an optional segment is a bug in the framing, not the data:
    it raises ``KeyError`` so a test catches it.
    """

    def optional(m: re.Match) -> str:
        inner = m.group(1)
        return inner if all(facts.get(f) for f in template_fields(inner)) else ""

    text = _OPTIONAL.sub(optional, template)
    return _FIELD.sub(lambda m: str(facts[m.group(1)]), text)


@dataclass(frozen=True)
class Framing:
    """One detector's words for each reader (templates; see the module docstring).

    Attributes
    ----------
    one : tuple of str
        One-liner alternatives (the hook; also the subject line).
    result : str
        What is happening and why it matters, with the evidence (admin and champion).
    reinforce : tuple of str
        Back to the core point (admin and champion).
    why : str
        The clause after the admin's steps: what changes once it is done.
    exec_result, exec_action : str
        The executive's result and ask: business terms, no product jargon, no internal score.
    admin_action, champion_action : str
        What each reader is asked to do ('' = the motion's default, :data:`MOTION_DEFAULTS`).
    unseen : str
        Prep question bank: what the customer may not see ('' = the motion's default).
    conclusion : str
        "Explain this chart": the conclusion to draw ('' = the motion's default).
    """

    one: tuple[str, ...]
    result: str
    reinforce: tuple[str, ...]
    why: str
    exec_result: str
    exec_action: str
    admin_action: str = ""
    champion_action: str = ""
    unseen: str = ""
    conclusion: str = ""

    def text(self, part: str, motion: str) -> str | tuple[str, ...]:
        """A part of the framing, the motion's default when the detector leaves it empty."""
        value = getattr(self, part)
        return value if value else MOTION_DEFAULTS[motion][part]

    def templates(self) -> list[str]:
        """Every template the framing holds (for tests: which facts does it read?)."""
        out: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            out += list(value) if isinstance(value, tuple) else [value]
        return [t for t in out if t]


MOTION_DEFAULTS: dict[str, dict[str, str]] = {
    "win": {
        "admin_action": "Keep the weekly routine that produced this. If it helps, I can set up a short weekly summary so the team sees the trend.",
        "champion_action": "Keep the current rhythm going, and consider sharing this result with the people who sponsor the work.",
        "unseen": "That the result came from a routine they built, and is worth repeating.",
        "conclusion": "The work is paying off; keep going.",
    },
    "feature": {
        "admin_action": "If it helps, I can walk you through it in a short call this week.",
        "champion_action": "I would suggest a 15-minute session with your admin to switch it on for the team's main workflow; I can run it.",
        "unseen": "That a capability they already pay for would make today's work more useful.",
        "conclusion": "One habit would make the work more useful.",
    },
    "better_practice": {
        "admin_action": "If it helps, I can walk you through it in a short call this week.",
        "champion_action": "Your admin can complete the change in about ten minutes; I have sent them the steps.",
        "unseen": "That their set-up is limiting the quality of every result.",
        "conclusion": "Better set-up means better results.",
    },
    "stall": {
        "admin_action": "Could we take 20 minutes this week? I will bring what your team used most and we can pick up from there.",
        "champion_action": "Could you help us find 20 minutes with the team this week to pick this back up?",
        "unseen": "That one open step is holding back the next result.",
        "conclusion": "One step is holding things up.",
    },
    "risk": {
        "admin_action": "Could we take 20 minutes this week? Tell me what is getting in the way, and I will come with two or three options.",
        "champion_action": "Could we find 20 minutes this week to agree a short plan and who owns it?",
        "unseen": "That the slowdown is visible from the outside, and fixable.",
        "conclusion": "Activity has slowed; a short plan will restart it.",
    },
    "expansion": {
        "admin_action": "If it helps, I can show you what the next step up would add for the way your team works.",
        "champion_action": "It may be worth a conversation about capacity before the next group of people needs it.",
        "unseen": "That they are close to the limit of what they bought.",
        "conclusion": "The team is close to its limit.",
    },
}
