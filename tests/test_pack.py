"""The Alignment Meeting pack opens in PowerPoint's format with the right slides."""

from __future__ import annotations

import datetime as dt
import io

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from insight_engine.engine import analyze
from insight_engine.export import inert_markdown
from insight_engine.pack import pack_markdown, pack_pptx
from insight_engine.store import InsightStore, NewInsight


def test_deck_has_title_one_slide_per_flagged_insight_and_closing(demo_book, tmp_path):
    analysis = analyze(demo_book, model_dir=None)
    store = InsightStore(f"sqlite:///{tmp_path / 'log.db'}")
    accounts = list(dict.fromkeys(analysis.signals["account_id"]))[:2]
    one_liners = []
    for i, account in enumerate(accounts):
        motion = analysis.signals.loc[analysis.signals["account_id"] == account, "motion"].iloc[0]
        one_liners.append(f"One-liner number {i} for the meeting")
        store.log(
            NewInsight(
                account_id=account,
                csm="Priya",
                author="Priya",
                motion=motion,
                audience=["champion"],
                text=f"text {i}",
                sent_on=dt.date(2026, 11, 20),
                book_key=demo_book.key,
                one_liner=one_liners[-1],
                alignment_meeting=True,
                follow_up="task",
                follow_up_due=dt.date(2026, 11, 27),
                evidence={"headline": f"headline {i}", "steps": ["Open Reports"]},
            )
        )
    store.log(
        NewInsight(
            account_id=accounts[0],
            csm="Priya",
            author="Priya",
            motion="win",
            audience=["admin"],
            text="not flagged",
            sent_on=dt.date(2026, 11, 20),
            book_key=demo_book.key,
            one_liner="Not for the meeting",
        )
    )
    deck = Presentation(
        io.BytesIO(
            pack_pptx(
                demo_book,
                analysis,
                store.insights(book_key=demo_book.key),
                accounts,
                store.follow_ups(book_key=demo_book.key),
            )
        )
    )
    slides = list(deck.slides)
    assert len(slides) == 2 + len(accounts)
    text = "\n".join(
        shape.text_frame.text for s in slides for shape in s.shapes if shape.has_text_frame
    )
    for line in one_liners:
        assert line in text
    assert "Not for the meeting" not in text and "Decisions and next steps" in text
    pictures = [
        shape
        for s in slides[1:-1]
        for shape in s.shapes
        if shape.shape_type == MSO_SHAPE_TYPE.PICTURE
    ]
    assert len(pictures) == len(accounts)
    markdown = pack_markdown(demo_book, store.insights(book_key=demo_book.key), accounts)
    # customer-derived text is escaped in the Markdown (shown as written, never as markup)
    assert all(inert_markdown(line) in markdown for line in one_liners)
    assert "What we recommend" in markdown
