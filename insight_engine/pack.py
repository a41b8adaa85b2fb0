"""The Alignment Meeting pack: the insights flagged for the next meeting, as a story.

For an account (or a set of accounts), one deck: a title slide with the stated goal, one slide per
flagged insight (its one-liner, the annotated chart, what happened and what we recommend), and a
closing slide of decisions and next steps. Also as Markdown, for pasting into a doc.
"""

from __future__ import annotations

import io
import json

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

from insight_engine.book import Book
from insight_engine.chart import insight_chart, to_png
from insight_engine.detector import signal_records
from insight_engine.engine import Analysis
from insight_engine.export import inert_markdown
from insight_engine.prep import FOLLOW_UPS

__all__ = ["flagged_insights", "pack_markdown", "pack_pptx"]

INK = RGBColor(0x1D, 0x2A, 0x30)
ACCENT = RGBColor(0xD5, 0x5E, 0x00)


def flagged_insights(log: pd.DataFrame, account_ids: list[str]) -> pd.DataFrame:
    """Insights flagged for the next Alignment Meeting, for these accounts, oldest first."""
    flagged = log.loc[log["alignment_meeting"].astype(bool) & log["account_id"].isin(account_ids)]
    return flagged.sort_values(["account_id", "sent_on", "id"], kind="stable").reset_index(
        drop=True
    )


def _what(row: pd.Series) -> tuple[str, str]:
    """What happened (the evidence headline) and what we recommend (the follow-up and first step)."""
    evidence = (
        json.loads(row["evidence"])
        if isinstance(row.get("evidence"), str) and row["evidence"]
        else {}
    )
    happened = evidence.get("headline") or row.get("one_liner") or ""
    steps = evidence.get("steps") or []
    follow = FOLLOW_UPS.get(row.get("follow_up") or "", "")
    recommend = (
        "; ".join(p for p in [follow, steps[0] if steps else ""] if p)
        or "Agree the next step together."
    )
    return str(happened), recommend


def _chart_png(book: Book, analysis: Analysis, account_id: str, motion: str) -> bytes | None:
    records = [r for r in signal_records(analysis.signals, account_id) if r["motion"] == motion]
    if not records:
        return None
    return to_png(
        insight_chart(book, analysis.health, {**records[0], "account_id": account_id}), scale=2
    )


def _text(frame, text: str, size: int, *, bold: bool = False, color: RGBColor = INK) -> None:
    paragraph = frame.paragraphs[0] if not frame.paragraphs[0].text else frame.add_paragraph()
    run = paragraph.add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, color


def pack_pptx(
    book: Book,
    analysis: Analysis,
    log: pd.DataFrame,
    account_ids: list[str],
    follow_ups: pd.DataFrame | None = None,
) -> bytes:
    """The deck as .pptx bytes (python-pptx).

    Parameters
    ----------
    book, analysis : Book, Analysis
        For names, goals and the annotated charts.
    log : pandas.DataFrame
        The book's insight log (``InsightStore.insights(book_key=book.key)``), with
        ``alignment_meeting`` flags.
    account_ids : list of str
        Whose insights to include.
    follow_ups : pandas.DataFrame, optional
        Open follow-ups (``InsightStore.follow_ups(book_key=book.key)``) for the closing slide.
    """
    flagged = flagged_insights(log, account_ids)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]
    names = book.accounts.set_index("account_id")
    title_slide = prs.slides.add_slide(blank)
    box = title_slide.shapes.add_textbox(
        Inches(0.8), Inches(2.2), Inches(11.7), Inches(3)
    ).text_frame
    box.word_wrap = True
    who = (
        names.loc[account_ids[0], "account_name"]
        if len(account_ids) == 1
        else f"{len(account_ids)} accounts"
    )
    _text(box, f"Alignment Meeting: {who}", 36, bold=True)
    if len(account_ids) == 1 and pd.notna(names.loc[account_ids[0]].get("stated_goal")):
        _text(
            box,
            f"Your goal: \u201c{names.loc[account_ids[0], 'stated_goal']}\u201d",
            20,
            color=ACCENT,
        )
    _text(box, f"{len(flagged)} insight(s) since our last meeting · {book.as_of:%d %B %Y}", 16)
    for row in flagged.itertuples(index=False):  # one slide per flagged insight (a handful)
        slide = prs.slides.add_slide(blank)
        head = slide.shapes.add_textbox(
            Inches(0.6), Inches(0.4), Inches(12.1), Inches(1.2)
        ).text_frame
        head.word_wrap = True
        _text(head, str(row.one_liner or row.subject or row.motion), 28, bold=True)
        _text(
            head,
            f"{names.loc[row.account_id, 'account_name']} · shared {pd.Timestamp(row.sent_on):%d %b %Y}",
            14,
        )
        png = _chart_png(book, analysis, row.account_id, row.motion)
        if png:
            slide.shapes.add_picture(io.BytesIO(png), Inches(0.6), Inches(1.8), width=Inches(7.4))
        happened, recommend = _what(pd.Series(row._asdict()))
        body = slide.shapes.add_textbox(
            Inches(8.3), Inches(1.9), Inches(4.5), Inches(4.8)
        ).text_frame
        body.word_wrap = True
        _text(body, "What happened", 16, bold=True, color=ACCENT)
        _text(body, happened, 16)
        _text(body, "What we recommend", 16, bold=True, color=ACCENT)
        _text(body, recommend, 16)
    closing = prs.slides.add_slide(blank)
    box = closing.shapes.add_textbox(Inches(0.8), Inches(0.6), Inches(11.7), Inches(6)).text_frame
    box.word_wrap = True
    _text(box, "Decisions and next steps", 32, bold=True)
    open_items = (
        follow_ups.loc[follow_ups["account_id"].isin(account_ids)]
        if follow_ups is not None
        else pd.DataFrame()
    )
    if open_items.empty:
        _text(box, "No open follow-ups: agree the next Value Block together.", 18)
    for item in open_items.itertuples(index=False):
        due = f" (due {pd.Timestamp(item.due_on):%d %b})" if pd.notna(item.due_on) else ""
        _text(
            box,
            f"• {FOLLOW_UPS.get(item.kind, item.kind)}: {item.one_liner or item.motion}{due}",
            18,
        )
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def pack_markdown(book: Book, log: pd.DataFrame, account_ids: list[str]) -> str:
    """The same story as Markdown."""
    flagged = flagged_insights(log, account_ids)
    names = book.accounts.set_index("account_id")
    lines = [f"# Alignment Meeting · {book.as_of:%d %B %Y}", ""]
    text = inert_markdown  # names, goals and insights are data: shown as written, never as markup
    for account, rows in flagged.groupby("account_id", sort=False):
        lines += [f"## {text(names.loc[account, 'account_name'])}", ""]
        goal = names.loc[account].get("stated_goal")
        if pd.notna(goal):
            lines += [f"*Your goal:* \u201c{text(goal)}\u201d", ""]
        for row in rows.itertuples(index=False):
            happened, recommend = _what(pd.Series(row._asdict()))
            lines += [
                f"### {text(row.one_liner or row.motion)}",
                "",
                f"- **What happened:** {text(happened)}",
                f"- **What we recommend:** {text(recommend)}",
                "",
            ]
    if flagged.empty:
        lines.append("No insights are flagged for the next Alignment Meeting yet.")
    return "\n".join(lines)
