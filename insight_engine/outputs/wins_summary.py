"""The forwardable one-page summary of a quarter's customer wins, for an executive.

One slide (python-pptx, 16:9) and the same page as plain text: the headline (customers who
realised value and the ARR behind them), what they achieved by kind, and the best wins, each
one customer, what improved (before -> after), when, toward the goal they stated. Win emails
sent appear once, named as such, as a secondary figure. No CSM names, no health scores, no
risks: only what customers achieved.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

from insight_engine.fmt import day, money
from insight_engine.outputs.wins import KINDS, best_wins, story

__all__ = ["Summary", "summary", "summary_pptx", "summary_text"]

INK = RGBColor(0x1D, 0x2A, 0x30)
ACCENT = RGBColor(0xD5, 0x5E, 0x00)
MUTED = RGBColor(0x5F, 0x6B, 0x73)


@dataclass(frozen=True)
class Summary:
    """The page's content, once, so the slide and the text say the same thing."""

    title: str
    headline: str
    kinds: list[str]  # one line per kind of achievement
    wins: list[str]  # the best wins, one customer each
    footnote: str


def summary(
    realised: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    days: int,
    win_emails: int,
    n: int = 5,
    scope: str = "",
) -> Summary:
    """What the page says, from :func:`insight_engine.outputs.wins.value_realised`'s rows.

    ``scope`` names a filter in force (e.g. "Enterprise accounts"), said in the title.
    """
    start = as_of - pd.Timedelta(days=days)
    period = f"{day(start + pd.Timedelta(days=1))} – {day(as_of)}"
    title = f"Customer wins, last {days} days{f' ({scope})' if scope else ''}"
    customers = realised["account_id"].nunique()
    arr = realised.drop_duplicates("account_id")["arr"].sum(min_count=1)
    if customers:
        headline = (
            f"{customers:,} {'customer' if customers == 1 else 'customers'} realised value "
            f"({period}), with {money(arr)} ARR behind them."
        )
    else:
        headline = f"No customer achievement is on record for {period}."
    kinds = []
    for kind, label in KINDS.items():
        rows = realised.loc[realised["kind"] == kind]
        if rows.empty:
            continue
        k_customers = rows["account_id"].nunique()
        k_arr = rows.drop_duplicates("account_id")["arr"].sum(min_count=1)
        tiers = rows.drop_duplicates("account_id")["tier"].value_counts()
        by_tier = ", ".join(f"{t} {c:,}" for t, c in tiers.items())
        kinds.append(
            f"{label}: {k_customers:,} {'customer' if k_customers == 1 else 'customers'}, "
            f"{money(k_arr)} ARR ({by_tier})"
        )
    wins = [story(r) for _, r in best_wins(realised, n).iterrows()]
    footnote = (
        f"Read from the customers' own usage, milestones and survey answers. "
        f"Win emails sent by Customer Success in the same period: {win_emails:,}."
    )
    return Summary(title, headline, kinds, wins, footnote)


def summary_text(s: Summary) -> str:
    """The page as plain text (for email, chat or the report)."""
    lines = [s.title, "", s.headline, "", "What customers achieved:"]
    lines += [f"- {k}" for k in s.kinds] or ["- nothing on record yet"]
    lines += ["", "Best wins:"]
    lines += [f"{i}. {w}" for i, w in enumerate(s.wins, 1)] or ["- none yet"]
    return "\n".join([*lines, "", s.footnote]) + "\n"


def _para(frame, text: str, size: int, *, bold: bool = False, color: RGBColor = INK) -> None:
    paragraph = frame.paragraphs[0] if not frame.paragraphs[0].text else frame.add_paragraph()
    paragraph.space_after = Pt(4)
    run = paragraph.add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, color


def summary_pptx(s: Summary) -> bytes:
    """The page as one 16:9 slide (.pptx bytes), text sized to stay on the slide."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    head = slide.shapes.add_textbox(Inches(0.5), Inches(0.3), Inches(12.3), Inches(1.3)).text_frame
    head.word_wrap = True
    _para(head, s.title, 28, bold=True)
    _para(head, s.headline, 18, color=ACCENT)
    left = slide.shapes.add_textbox(Inches(0.5), Inches(1.8), Inches(4.6), Inches(4.9)).text_frame
    left.word_wrap = True
    _para(left, "What customers achieved", 16, bold=True, color=ACCENT)
    for line in s.kinds or ["Nothing on record yet."]:
        _para(left, line, 13)
    right = slide.shapes.add_textbox(Inches(5.4), Inches(1.8), Inches(7.4), Inches(4.9)).text_frame
    right.word_wrap = True
    _para(right, "Best wins", 16, bold=True, color=ACCENT)
    size = 12 if sum(len(w) for w in s.wins) > 900 else 13
    for i, line in enumerate(s.wins or ["None yet."], 1):
        _para(right, f"{i}. {line}" if s.wins else line, size)
    foot = slide.shapes.add_textbox(Inches(0.5), Inches(6.8), Inches(12.3), Inches(0.5)).text_frame
    foot.word_wrap = True
    _para(foot, s.footnote, 11, color=MUTED)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
