"""The Alignment Meeting pack: one customer's flagged insights, as a story made for that customer.

**One customer per deck**: a pack is shown to the customer, so it never holds another customer's
name or results; :func:`pack_pptx` and :func:`pack_markdown` take one account and refuse several
(:class:`PackError`). A page offering packs for several accounts builds one per account
(:func:`pack_file_name` names each).

A title slide with the customer's stated goal; one slide per flagged insight (a headline, the
annotated chart, how to read it, what we recommend); a closing slide of the next steps. Only the
customer's words: no internal workflow labels (follow-up kinds such as "Expansion hypothesis",
tags, motion keys), no internal health score, no signal headline (they quote it). Every number
on a slide comes from its chart, written as the chart writes it: the headline is the insight's
one-liner when each of its numbers is one the chart shows, else the chart's own title.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

from insight_engine import fmt
from insight_engine.analysis.detector import DETECTORS, MOTION_LABELS, signal_records
from insight_engine.analysis.engine import Analysis
from insight_engine.book.book import Book
from insight_engine.errors import RudderError
from insight_engine.outputs.chart import (
    LabelledChart,
    activity_chart,
    insight_chart,
    title_text,
    to_png,
)
from insight_engine.outputs.draft import INTERNAL_WORDS
from insight_engine.outputs.export import inert_markdown
from insight_engine.outputs.library import clean, numbers_in

__all__ = [
    "NEXT_STEP",
    "PackError",
    "Slide",
    "flagged_insights",
    "pack_file_name",
    "pack_markdown",
    "pack_pptx",
    "pack_slides",
]

INK = RGBColor(0x1D, 0x2A, 0x30)
ACCENT = RGBColor(0xD5, 0x5E, 0x00)
MUTED = RGBColor(0x5B, 0x67, 0x6D)

# What we recommend when the insight carries no steps: the play's own next action per motion,
# in the customer's words (never the internal follow-up labels).
NEXT_STEP = {
    "win": "Keep going: keep doing what produced this result, and share it with your team.",
    "feature": "Try it on one real piece of work this week; we can walk through it together.",
    "better_practice": "Make the change together in a short working session.",
    "stall": "Agree the one next step and a date for it, so the plan moves again.",
    "risk": "Agree a short plan together to get back on track, and check in on it soon.",
    "expansion": "Talk about who else in your team would get value from it.",
}
# Open follow-ups the customer takes part in (the others are the team's own bookkeeping).
SHARED_FOLLOW_UPS = ("task", "enablement")


class PackError(RudderError):
    """A pack was asked for more (or fewer) than one customer."""


def _one_account(account_ids: str | Iterable[str]) -> str:
    ids = [account_ids] if isinstance(account_ids, str) else list(dict.fromkeys(account_ids))
    if len(ids) != 1:
        raise PackError(
            "An Alignment Meeting pack is for one customer, so no customer sees another's "
            f"results; {len(ids)} accounts were chosen ({', '.join(map(str, ids[:5]))}). "
            "Build one pack per account."
        )
    return str(ids[0])


def pack_file_name(book: Book, account_id: str, ext: str = "pptx") -> str:
    """``alignment-meeting-acme-corp.pptx``: one file per customer, named after them."""
    name = book.accounts.set_index("account_id")["account_name"].get(account_id, account_id)
    slug = re.sub(r"[^a-z0-9]+", "-", clean(name).lower()).strip("-")[:60] or "account"
    return f"alignment-meeting-{slug}.{ext}"


def flagged_insights(log: pd.DataFrame, account_ids: list[str]) -> pd.DataFrame:
    """Insights flagged for the next Alignment Meeting, for these accounts, oldest first."""
    flagged = log.loc[log["alignment_meeting"].astype(bool) & log["account_id"].isin(account_ids)]
    return flagged.sort_values(["account_id", "sent_on", "id"], kind="stable").reset_index(
        drop=True
    )


def pack_choices(queue: pd.DataFrame, names: pd.Series | dict[str, str]) -> dict[str, str]:
    """The accounts a pack can be built for, as ``{account_id: label}`` in the order to offer
    them: the most recently flagged first, as the queue table lists them (the picker's old
    alphabetical order made "Acme" the default whoever's meeting was next), ties by name.
    Each label says how many insights are flagged and when the latest was sent.

    Parameters
    ----------
    queue : pandas.DataFrame
        :func:`flagged_insights`: ``account_id`` and ``sent_on`` per flagged insight.
    names : pandas.Series or dict
        Account id to account name (an id without one is shown as itself).
    """
    if queue.empty:
        return {}
    per = queue.groupby("account_id")["sent_on"].agg(["max", "size"]).reset_index()
    per["name"] = per["account_id"].map(lambda a: str(names.get(a, a)))
    per = per.sort_values(["max", "name"], ascending=[False, True], kind="stable")
    return {
        str(a): f"{name} ({fmt.plural(int(n), 'flagged insight')}, latest {fmt.day(latest)})"
        for a, name, n, latest in zip(
            per["account_id"], per["name"], per["size"], per["max"], strict=True
        )
    }


def _evidence(row: pd.Series) -> dict:
    raw = row.get("evidence")
    if isinstance(raw, str) and raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _recommend(row: pd.Series) -> list[str]:
    """What we recommend: for a feature or a better practice, the steps the customer was given
    (the catalog's "how to"); else the play's next action for the motion (other motions' steps
    are the CSM's own, e.g. "show the champion…")."""
    motion = clean(row.get("motion"))
    steps = [clean(s) for s in (_evidence(row).get("steps") or []) if clean(s)]
    if motion in ("feature", "better_practice") and steps:
        return steps[:4]
    return [NEXT_STEP.get(motion, "Agree the next step together.")]


def _customer_chart(book: Book, analysis: Analysis, row: pd.Series) -> LabelledChart | None:
    """The chart of the signal the insight was about, as it stands now; a chart of Rudder's
    health score is replaced by the team's activity (the customer never sees the score)."""
    account_id, motion = str(row["account_id"]), clean(row.get("motion"))
    records = [r for r in signal_records(analysis.signals, account_id) if r["motion"] == motion]
    label = _evidence(row).get("metric_label")
    same = [r for r in records if label and r["evidence"].get("metric_label") == label]
    record = (same or records or [None])[0]
    if record is None:
        return None
    detector = DETECTORS.get(record["detector"])
    if detector is not None and detector.chart == "health":
        return activity_chart(book, account_id)
    chart = insight_chart(book, analysis.health, {**record, "account_id": account_id})
    if INTERNAL_WORDS.search(f"{chart.title} {chart.caption}"):
        return activity_chart(book, account_id)
    return chart


class Slide:
    """One insight's slide, as text (what the PPTX and the tests read) and its chart."""

    def __init__(self, row: pd.Series, chart: LabelledChart | None) -> None:
        self.chart = chart
        one = clean(row.get("one_liner")) or clean(row.get("subject"))
        said = (
            f"{chart.title}. {title_text(chart.spec, 'subtitle')} {chart.caption}" if chart else ""
        )
        self.chart_text = said  # what the chart says: its picture's alt text
        fits = (
            bool(one)
            and not INTERNAL_WORDS.search(one)
            and (chart is None or set(numbers_in(one)) <= set(numbers_in(said)))
        )
        if fits:
            self.headline = one
        elif chart is not None:
            self.headline = chart.title
        else:
            motion = clean(row.get("motion"))
            self.headline = MOTION_LABELS.get(motion, "An insight we shared")
        self.shared = f"Shared with you on {fmt.day(row['sent_on'])}"
        self.seen = chart.caption if chart is not None else ""
        self.recommend = _recommend(row)
        self.key = (
            clean(row.get("one_liner")),
            f"{pd.Timestamp(row['sent_on']):%Y-%m-%d}",
        )  # its follow-ups' key


def pack_slides(
    book: Book, analysis: Analysis | None, log: pd.DataFrame, account_id: str
) -> list[Slide]:
    """The insight slides of one customer's pack (oldest insight first)."""
    flagged = flagged_insights(log, [account_id])
    slides, seen = [], set()
    for _, row in flagged.iterrows():  # one slide per flagged insight: a handful
        slide = Slide(row, _customer_chart(book, analysis, row) if analysis is not None else None)
        said = (slide.headline, slide.chart_text, tuple(slide.recommend))
        if said not in seen:  # two insights that now read the same make one slide
            seen.add(said)
            slides.append(slide)
    return slides


def _text(frame, text: str, size: int, *, bold: bool = False, color: RGBColor = INK) -> None:
    paragraph = frame.paragraphs[0] if not frame.paragraphs[0].text else frame.add_paragraph()
    run = paragraph.add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, color
    paragraph.space_after = Pt(6)


def _box(slide, name: str, left: float, top: float, width: float, height: float):
    shape = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    shape.name = name
    shape.text_frame.word_wrap = True
    return shape.text_frame


def _due(follow_ups: pd.DataFrame | None, account_id: str) -> dict[tuple[str, str], str]:
    """Due dates of the customer's open shared follow-ups, by (one-liner, sent on)."""
    if follow_ups is None or follow_ups.empty:
        return {}
    mine = follow_ups.loc[
        (follow_ups["account_id"] == account_id)
        & follow_ups["kind"].isin(SHARED_FOLLOW_UPS)
        & follow_ups["due_on"].notna()
    ]
    return {
        (clean(o), f"{pd.Timestamp(s):%Y-%m-%d}"): fmt.day(d)
        for o, s, d in zip(mine["one_liner"], mine["sent_on"], mine["due_on"], strict=True)
    }


def _insights_since(n: int) -> str:
    return f"{n} insight{'s' if n != 1 else ''} since our last meeting"


def pack_pptx(
    book: Book,
    analysis: Analysis,
    log: pd.DataFrame,
    account_id: str | list[str],
    follow_ups: pd.DataFrame | None = None,
) -> bytes:
    """One customer's deck as .pptx bytes (python-pptx).

    Parameters
    ----------
    book, analysis : Book, Analysis
        For the name, the goal and the annotated charts.
    log : pandas.DataFrame
        The book's insight log (``InsightStore.insights(book_key=book.key)``), with
        ``alignment_meeting`` flags.
    account_id : str (or a list of one)
        The customer. Several raise :class:`PackError`: build one pack per account.
    follow_ups : pandas.DataFrame, optional
        Open follow-ups (``InsightStore.follow_ups(book_key=book.key)``): the due dates of the
        customer's tasks and working sessions go on the closing slide.

    Shapes are named (``headline``, ``shared``, ``chart``, ``seen``, ``recommend``) so a test
    can read each part; the chart's picture carries its title, subtitle and caption as alt text.
    """
    account_id = _one_account(account_id)
    account = book.accounts.set_index("account_id").loc[account_id]
    slides = pack_slides(book, analysis, log, account_id)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]

    title = prs.slides.add_slide(blank)
    box = _box(title, "title", 0.8, 2.2, 11.7, 3)
    _text(box, f"Alignment Meeting: {clean(account['account_name'])}", 36, bold=True)
    goal = clean(account.get("stated_goal"))
    if goal:
        _text(box, f"Your goal: \u201c{goal.rstrip('.')}\u201d", 20, color=ACCENT)
    _text(box, f"{_insights_since(len(slides))} · {fmt.day(book.as_of)}", 16)

    for s in slides:
        slide = prs.slides.add_slide(blank)
        _text(_box(slide, "headline", 0.6, 0.35, 12.1, 1.0), s.headline, 26, bold=True)
        _text(_box(slide, "shared", 0.6, 1.3, 12.1, 0.4), s.shared, 14, color=MUTED)
        if s.chart is not None:
            png = to_png(s.chart, scale=2)
            pic = slide.shapes.add_picture(
                io.BytesIO(png), Inches(0.6), Inches(1.9), width=Inches(7.4)
            )
            if pic.height > Inches(5.3):  # a tall chart keeps within the slide
                ratio = Inches(5.3) / pic.height
                pic.height, pic.width = Inches(5.3), int(pic.width * ratio)
            pic.name = "chart"
            pic._element.nvPicPr.cNvPr.set("descr", s.chart_text)
        right = 8.3 if s.chart is not None else 0.6
        width = 4.5 if s.chart is not None else 12.1
        if s.seen:
            seen = _box(slide, "seen", right, 1.9, width, 2.9)
            _text(seen, "How to read the chart", 15, bold=True, color=ACCENT)
            _text(seen, s.seen, 13)
        rec = _box(slide, "recommend", right, 4.9 if s.seen else 1.9, width, 2.2)
        _text(rec, "What we recommend", 15, bold=True, color=ACCENT)
        for step in s.recommend:
            _text(rec, f"\u2022 {step}" if len(s.recommend) > 1 else step, 13)

    closing = prs.slides.add_slide(blank)
    box = _box(closing, "next_steps", 0.8, 0.6, 11.7, 6.2)
    _text(box, "Decisions and next steps", 32, bold=True)
    due = _due(follow_ups, account_id)
    for s in slides:
        when = due.get(s.key)
        step = " \u2192 ".join(s.recommend) if len(s.recommend) > 1 else s.recommend[0]
        _text(box, f"\u2022 {s.headline.rstrip('.!')}", 18, bold=True)
        _text(box, step + (f" (by {when})" if when else ""), 16)
        box.paragraphs[-1].level = 1  # the step under its insight
    _text(box, "\u2022 Agree the next Value Block together.", 18)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def pack_markdown(book: Book, log: pd.DataFrame, account_id: str | list[str]) -> str:
    """The same story as Markdown, for one customer (names, goals and insights shown as written,
    never as markup). Without the charts, each insight's headline is its one-liner."""
    account_id = _one_account(account_id)
    account = book.accounts.set_index("account_id").loc[account_id]
    slides = pack_slides(book, None, log, account_id)
    text = inert_markdown
    lines = [
        f"# Alignment Meeting: {text(clean(account['account_name']))}",
        "",
        f"{_insights_since(len(slides))} · {fmt.day(book.as_of)}",
        "",
    ]
    goal = clean(account.get("stated_goal"))
    if goal:
        lines += [f"*Your goal:* \u201c{text(goal.rstrip('.'))}\u201d", ""]
    for s in slides:
        lines += [f"## {text(s.headline)}", "", f"*{s.shared}*", "", "**What we recommend:**", ""]
        lines += [f"- {text(step)}" for step in s.recommend] + [""]
    if not slides:
        lines.append("No insights are flagged for the next Alignment Meeting yet.")
    return "\n".join(lines)
