"""The Alignment Meeting pack: one customer per deck, the customer's words only, no internal
health score, and every number on a slide the one its chart shows, rounded the same way.

The decks are opened with python-pptx and read shape by shape, on the demo book and on
hand-made books (full, missing_fields). With LibreOffice installed, each deck is also rendered
to PNG in test-artifacts/pack/ for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from dataclasses import replace

import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from insight_engine.analysis.detector import MOTION_LABELS
from insight_engine.analysis.engine import analyze
from insight_engine.book.loader import load_folder
from insight_engine.log.store import InsightStore, NewInsight
from insight_engine.outputs.draft import INTERNAL_WORDS, build_context, template_drafts
from insight_engine.outputs.export import inert_markdown
from insight_engine.outputs.library import numbers_in
from insight_engine.outputs.pack import PackError, pack_file_name, pack_markdown, pack_pptx
from insight_engine.outputs.prep import FOLLOW_UPS
from tests.conftest import ROOT, TODAY
from tests.fixtures import book_dir

SENT = dt.date(2026, 10, 20)
# Internal workflow words a customer must never read (the follow-up labels are checked as well)
INTERNAL = [
    "Expansion hypothesis",
    "Mitigation step",
    "Add to the next Alignment Meeting",
    "renewal evidence",
    "case-study",
    "health",
    "churn",
    "strength",
    *MOTION_LABELS,  # raw keys: better_practice…
    "nan",
    "None",
]
FOLLOW_KINDS = [
    "expansion_hypothesis",
    "mitigation",
    "alignment_meeting",
    "task",
    "renewal_evidence",
]


def _book(name: str, demo_book):
    return demo_book if name == "demo" else load_folder(book_dir(name), today=TODAY)


def _chosen_accounts(analysis) -> list[str]:
    """Accounts whose decks cover the traps: the most motions, a risk (health) signal, seats."""
    signals = analysis.signals
    most = signals.groupby("account_id")["motion"].nunique().sort_values(ascending=False)
    picks = [most.index[0]]
    for detectors in (("health_risk", "renewal_at_risk"), ("low_seat_use", "seat_ceiling")):
        hit = signals.loc[signals["detector"].isin(detectors), "account_id"]
        if len(hit):
            picks.append(hit.iloc[0])
    return list(dict.fromkeys(picks))


def _log_flagged(book, analysis, store: InsightStore, account_id: str) -> None:
    """One flagged insight per motion of the account, as the Account page logs them (the
    champion's draft; its evidence), plus a history-style one-liner whose numbers are stale and
    one that quotes Rudder's health score."""
    motions = list(
        dict.fromkeys(analysis.signals.loc[analysis.signals["account_id"] == account_id, "motion"])
    )
    for i, motion in enumerate(motions):
        ctx = build_context(book, analysis, account_id, motion=motion)
        draft = template_drafts(ctx)["champion"]
        store.log(
            NewInsight(
                account_id=account_id,
                csm=ctx.csm,
                author="Priya",
                motion=motion,
                audience=["champion"],
                text=draft.text,
                sent_on=SENT,
                book_key=book.key,
                one_liner=draft.one_liner,
                alignment_meeting=True,
                follow_up=FOLLOW_KINDS[i % len(FOLLOW_KINDS)],
                follow_up_due=SENT + dt.timedelta(days=14),
                evidence={
                    **{k: v for k, v in ctx.payload().items() if k != "customer_text"},
                    "headline": ctx.headline,
                },
            )
        )
    for n, line in enumerate(
        [
            "Usage fell 28% this month; here is a 20-minute way back on track",
            "Your health score is 39/100: 46.7 of 49 seats are in use",
        ]
    ):
        store.log(
            NewInsight(
                account_id=account_id,
                csm="Priya",
                author="Priya",
                motion=motions[0],
                audience=["admin"],
                text=f"stale {n}",
                sent_on=SENT,
                book_key=book.key,
                one_liner=line,
                alignment_meeting=True,
            )
        )


def _shapes(slide) -> dict[str, str]:
    return {s.name: s.text_frame.text for s in slide.shapes if s.has_text_frame}


def _chart_alt(slide) -> str | None:
    for shape in slide.shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
            return shape._element.nvPicPr.cNvPr.get("descr")
    return None


def _render(deck: bytes, name: str) -> list:
    """The deck as PNGs (LibreOffice), for review; [] without it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return []
    out = ROOT / "test-artifacts" / "pack"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{name}-*.png"):  # a deck with fewer slides than last time
        old.unlink()
    pptx = out / f"{name}.pptx"
    pptx.write_bytes(deck)
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), str(pptx)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:
        subprocess.run(
            [pdftoppm, "-png", "-r", "60", str(out / f"{name}.pdf"), str(out / name)],
            check=True,
            timeout=120,
        )
    return sorted(out.glob(f"{name}*.png"))


@pytest.mark.parametrize("name", ["demo", "full", "missing_fields"])
def test_a_deck_is_made_for_one_customer(name, demo_book, tmp_path):
    book = _book(name, demo_book)
    analysis = analyze(book, model_dir=None)
    store = InsightStore(f"sqlite:///{tmp_path / 'log.db'}")
    accounts = _chosen_accounts(analysis)
    for account_id in accounts:
        _log_flagged(book, analysis, store, account_id)
    log = store.insights(book_key=book.key)
    follow = store.follow_ups(book_key=book.key)
    names = book.accounts.set_index("account_id")["account_name"].astype(str)

    with pytest.raises(PackError, match="one customer"):
        pack_pptx(book, analysis, log, accounts[:2] if len(accounts) > 1 else [accounts[0], "X"])

    for account_id in accounts:
        deck_bytes = pack_pptx(book, analysis, log, account_id, follow)
        deck = Presentation(io.BytesIO(deck_bytes))
        slides = list(deck.slides)
        flagged = log.loc[(log["account_id"] == account_id) & log["alignment_meeting"]]
        # title, one per flagged insight (two that now read the same make one), next steps
        assert 3 <= len(slides) <= len(flagged) + 2
        bodies = ["\n".join(_shapes(s).values()) for s in slides[1:-1]]
        assert len(set(bodies)) == len(bodies), "a slide repeated"
        text = "\n".join(t for s in slides for t in _shapes(s).values())
        alts = "\n".join(a for s in slides if (a := _chart_alt(s)))

        # one customer: their name, no other customer's
        me = names[account_id]
        assert me in _shapes(slides[0])["title"]
        others = [n for a, n in names.items() if a != account_id and n not in me and len(n) > 3]
        assert not [n for n in others if n in text], "another customer's name on the deck"

        # the customer's words only: no workflow label, no internal score, in text or chart
        for word in [*INTERNAL, *FOLLOW_UPS.values()]:
            pattern = rf"(?<![\w-]){re.escape(word)}(?![\w-])"
            assert not re.search(pattern, text, re.IGNORECASE), (word, account_id)
        assert not INTERNAL_WORDS.search(text) and not INTERNAL_WORDS.search(alts)

        # every number in a slide's headline and chart reading is one its chart shows, as written
        for slide in slides[1:-1]:
            parts, alt = _shapes(slide), _chart_alt(slide)
            said = set(numbers_in(parts["headline"] + " " + parts.get("seen", "")))
            if alt is None:
                assert "seen" not in parts  # no chart, no reading of one
                continue
            assert said <= set(numbers_in(alt)), (parts["headline"], said - set(numbers_in(alt)))
        assert "28%" not in text and "46.7" not in text  # the stale and internal one-liners

        # the closing slide names the customer's own next steps, with the task's due date
        closing = _shapes(slides[-1])["next_steps"]
        assert closing.startswith("Decisions and next steps") and "Value Block" in closing
        tasks = follow.loc[(follow["account_id"] == account_id) & (follow["kind"] == "task")]
        headlines = {_shapes(s)["headline"] for s in slides[1:-1]}
        if tasks["one_liner"].isin(headlines).any():
            assert "(by " in closing
        assert ".:" not in closing and ": Try" not in closing

        pngs = _render(deck_bytes, f"{name}-{account_id}")
        assert all(p.stat().st_size > 0 for p in pngs)
        assert pack_file_name(book, account_id).endswith(".pptx")


def test_deck_has_title_one_slide_per_flagged_insight_and_closing(demo_book, tmp_path):
    analysis = analyze(demo_book, model_dir=None)
    store = InsightStore(f"sqlite:///{tmp_path / 'log.db'}")
    account = analysis.signals["account_id"].iloc[0]
    motion = analysis.signals.loc[analysis.signals["account_id"] == account, "motion"].iloc[0]
    line = "One clear step for the meeting"
    for flagged, one_liner in [(True, line), (False, "Not for the meeting")]:
        store.log(
            NewInsight(
                account_id=account,
                csm="Priya",
                author="Priya",
                motion=motion,
                audience=["champion"],
                text=one_liner,
                sent_on=dt.date(2026, 11, 20),
                book_key=demo_book.key,
                one_liner=one_liner,
                alignment_meeting=flagged,
                evidence={"headline": "Health 34/100", "steps": ["Open Reports"]},
            )
        )
    log = store.insights(book_key=demo_book.key)
    deck = Presentation(io.BytesIO(pack_pptx(demo_book, analysis, log, [account])))
    slides = list(deck.slides)
    assert len(slides) == 3
    title = _shapes(slides[0])["title"]
    assert "1 insight since our last meeting" in title  # not "1 insight(s)"
    text = "\n".join(t for s in slides for t in _shapes(s).values())
    assert line in text and "Not for the meeting" not in text
    assert "Open Reports" in _shapes(slides[1])["recommend"]  # the step the customer was given
    assert "Health 34" not in text  # the signal's headline is internal
    pictures = [s for s in slides[1].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 1

    markdown = pack_markdown(demo_book, log, account)
    assert inert_markdown(line) in markdown and "What we recommend" in markdown
    assert "Health 34" not in markdown and "Not for the meeting" not in markdown
    with pytest.raises(PackError):
        pack_markdown(demo_book, log, [account, "A-99999"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Acme Corp", "alignment-meeting-acme-corp.pptx"), ("  ", "alignment-meeting-account.pptx")],
)
def test_pack_file_is_named_after_the_customer(demo_book, name, expected):
    book = demo_book
    account = book.accounts["account_id"].iloc[0]
    renamed = replace(
        book,
        accounts=book.accounts.assign(account_name=[name, *book.accounts["account_name"].iloc[1:]]),
    )
    assert pack_file_name(renamed, account) == expected


def test_no_flagged_insight_still_makes_a_title_and_next_steps(demo_book):
    analysis = analyze(demo_book, model_dir=None)
    empty = pd.DataFrame(
        columns=["id", "account_id", "motion", "one_liner", "sent_on", "alignment_meeting"]
    ).astype({"alignment_meeting": bool})
    account = demo_book.accounts["account_id"].iloc[0]
    deck = Presentation(io.BytesIO(pack_pptx(demo_book, analysis, empty, account)))
    assert len(deck.slides) == 2
    assert "0 insights since" in _shapes(deck.slides[0])["title"]


def test_an_insight_whose_signal_has_gone_keeps_its_one_liner_and_no_chart(demo_book, tmp_path):
    analysis = analyze(demo_book, model_dir=None)
    motions = analysis.signals.groupby("account_id")["motion"].agg(set)
    account = next(
        a for a in demo_book.accounts["account_id"] if "expansion" not in motions.get(a, set())
    )
    store = InsightStore(f"sqlite:///{tmp_path / 'log.db'}")
    store.log(
        NewInsight(
            account_id=account,
            csm="Priya",
            author="Priya",
            motion="expansion",
            audience=["executive"],
            text="t",
            sent_on=dt.date(2026, 11, 2),
            book_key=demo_book.key,
            one_liner="31 of 35 seats in use every week",
            alignment_meeting=True,
        )
    )
    deck = Presentation(
        io.BytesIO(pack_pptx(demo_book, analysis, store.insights(book_key=demo_book.key), account))
    )
    slide = list(deck.slides)[1]
    parts = _shapes(slide)
    assert parts["headline"] == "31 of 35 seats in use every week"  # no chart to disagree with
    assert "seen" not in parts and _chart_alt(slide) is None
    assert parts["recommend"].endswith("Talk about who else in your team would get value from it.")


def _queue(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"account_id": [a for a, _ in rows], "sent_on": pd.to_datetime([d for _, d in rows])}
    )


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        (  # the most recently flagged first, whatever the alphabet says
            _queue(
                ("A", "2026-10-01"), ("B", "2026-10-03"), ("B", "2026-09-20"), ("C", "2026-10-03")
            ),
            [  # a tie on the day goes by name
                ("C", "Alder (1 flagged insight, latest 3 Oct 2026)"),
                ("B", "Birch (2 flagged insights, latest 3 Oct 2026)"),
                ("A", "Cedar (1 flagged insight, latest 1 Oct 2026)"),
            ],
        ),
        (_queue(("Z-9", "2026-10-01")), [("Z-9", "Z-9 (1 flagged insight, latest 1 Oct 2026)")]),
        (_queue(), []),
    ],
)
def test_the_pack_is_offered_for_the_most_recently_flagged_customer_first(queue, expected):
    from insight_engine.outputs.pack import pack_choices

    names = pd.Series({"A": "Cedar", "B": "Birch", "C": "Alder"})
    assert list(pack_choices(queue, names).items()) == expected
