"""The Insight library (insight_engine.outputs.library): full texts, the five parts, why an example is
good, examples on day one, and the team's library for every CSM of the team."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from insight_engine.access import Viewer, local_viewer
from insight_engine.analysis.engine import analyze
from insight_engine.book.loader import load_folder
from insight_engine.log.store import InsightStore, NewInsight
from insight_engine.outputs.draft import PARTS, build_context, template_drafts
from insight_engine.outputs.library import (
    LOCAL_USER,
    Quality,
    cites_goal,
    examples,
    five_parts,
    insight_line,
    library_scope,
    library_table,
    marked_by,
    numbers_in,
    quality,
    reader_texts,
    reason,
)
from tests.fixtures import TODAY, book_dir

DRAFT = (
    "Subject: Keywords up 26%\n\nHi Sam,\n\nKeywords on page one are up 26%.\n\n"
    "When we started, your team said the goal was: \u201cShow up on page one.\u201d\n\n"
    "The average climbed from 721 to 909 in 4 weeks.\n\n"
    "Keep publishing two briefs a week.\n\nThat is the habit that got you here.\n\nPriya"
)


@pytest.mark.parametrize(
    ("texts", "text", "audience", "expected"),
    [
        (json.dumps({"admin": "A", "executive": "E"}), "A", "admin | executive", {"admin": "A", "executive": "E"}),
        (None, "Full text", "champion | executive", {"champion": "Full text"}),  # before 0004
        ("{not json", "Full text", "admin", {"admin": "Full text"}),
        (json.dumps({"admin": "  "}), "", "admin", {}),  # blank texts are no text
        (float("nan"), float("nan"), "admin", {}),  # history: only the one-liner was kept
        (None, "Text", None, {"reader": "Text"}),
    ],
)  # fmt: skip
def test_reader_texts(texts, text, audience, expected):
    assert reader_texts(texts, text, audience) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            DRAFT,
            {
                "one_liner": "Keywords on page one are up 26%.",
                "background": "When we started, your team said the goal was: \u201cShow up on page one.\u201d",
                "result": "The average climbed from 721 to 909 in 4 weeks.",
                "action": "Keep publishing two briefs a week.",
                "reinforcement": "That is the habit that got you here.",
            },
        ),
        ("Hi Sam,\n\nJust one line.\n\nPriya", None),
        ("One.\r\n\r\nTwo.\r\n\r\nThree.\r\n\r\nFour.\r\n\r\nFive.\r\n\r\nSix.", {
            "one_liner": "One.", "background": "Two.", "result": "Three.\n\nFour.",
            "action": "Five.", "reinforcement": "Six.",
        }),  # a paragraph the CSM added joins the result
        (float("nan"), None),
        (  # a line typed under the sign-off stays with it (a newcomer's edit shifted every part)
            DRAFT.rstrip() + "\nHappy to walk you through it.",
            {
                "one_liner": "Keywords on page one are up 26%.",
                "background": "When we started, your team said the goal was: \u201cShow up on page one.\u201d",
                "result": "The average climbed from 721 to 909 in 4 weeks.",
                "action": "Keep publishing two briefs a week.",
                "reinforcement": "That is the habit that got you here.",
            },
        ),
        (  # a line typed under the subject, before the greeting: shown whole, not one paragraph off
            DRAFT.replace("\n\nHi Sam,", "\nGlad to show your team on Friday.\n\nHi Sam,", 1),
            None,
        ),
        (  # ... or in the greeting's own paragraph
            DRAFT.replace("\n\nHi Sam,", "\n\nGlad to show your team on Friday.\nHi Sam,", 1),
            None,
        ),
    ],
)  # fmt: skip
def test_five_parts(text, expected):
    assert five_parts(text) == expected


def test_five_parts_reads_back_every_template_draft_on_a_hand_made_book():
    book = load_folder(book_dir("full"), today=TODAY)
    analysis = analyze(book, model_dir=None)
    checked = 0
    for account_id in analysis.signals["account_id"].unique()[:4]:
        for draft in template_drafts(build_context(book, analysis, account_id)).drafts.values():
            parts = five_parts(draft.text)
            assert parts == {p: getattr(draft, p) for p in PARTS}, draft.audience
            checked += 1
    assert checked >= 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Keywords up 26% (721 → 909)", ["26%", "721", "909"]),
        ("Your keywords in the top 10 are up 39% since August", ["39%"]),
        ("Your 60-day onboarding step is waiting", []),  # a name, not a claim
        ("First Value completed on 16 Nov 2026", []),  # dates are not numbers to check
        ("1. Open Reports\n2. Click Filters", []),  # numbered steps
        ("1,234 report views, 3.5 per seat", ["1,234", "3.5"]),
        (None, []),
    ],
)
def test_numbers_in(text, expected):
    assert numbers_in(text) == expected


@pytest.mark.parametrize(
    ("text", "goal", "expected"),
    [
        (DRAFT, "Show up on page one.", True),  # quoted
        ("We can now show buyers searching for what you sell", "Show up on page one when buyers search for what we sell", False),
        ("Page one when buyers search is where you show up now", "Show up on page one when buyers search", True),  # paraphrased
        ("Anything", None, False),
        ("", "Grow", False),
    ],
)  # fmt: skip
def test_cites_goal(text, goal, expected):
    assert cites_goal(text, goal) is expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (
            Quality(tuple(PARTS), ("26%",), "Show up on page one.", True, True),
            "All five parts: one-liner, background, result, action, reinforcement. A number the "
            "reader can check (26%). Cites the customer's own goal: \u201cShow up on page one.\u201d "
            "The customer acted on it.",
        ),
        (Quality((), ("721", "909"), "", True, False),
         "Numbers the reader can check (721, 909). The customer acted on it."),
        (Quality((), (), "", False, False), "The team marked it as an example."),
    ],
)  # fmt: skip
def test_reason(q, expected):
    assert reason(q) == expected


def test_quality_of_a_full_text_and_of_a_one_liner():
    full = quality(DRAFT, "Keywords on page one are up 26%.", "Show up on page one", "landed")
    assert full.parts == tuple(PARTS) and full.goal and full.landed and full.full_text
    assert full.score > quality("", "Keywords up 26%", "Show up on page one", "landed").score


@pytest.mark.parametrize(
    ("name", "expected"),
    [(LOCAL_USER, ""), ("Priya Shah", "Priya Shah"), (None, ""), (float("nan"), "")],
)
def test_marked_by_names_a_person_only(name, expected):
    assert marked_by(name) == expected


def _log(store: InsightStore, book) -> pd.DataFrame:
    store.import_history(book)
    return store.insights(book_key=book.key)


@pytest.mark.parametrize("name", ["demo", "full", "odd_choices"])
def test_examples_are_never_empty_when_insights_have_landed(name, demo_book, tmp_path):
    book = demo_book if name == "demo" else load_folder(book_dir(name), today=TODAY)
    log = _log(InsightStore(f"sqlite:///{tmp_path / 'log.db'}"), book)
    landed = log.loc[log["outcome"] == "landed"]
    assert len(landed), "the book has landed insights"
    shown = examples(log, book.accounts)
    assert len(shown) and set(shown["motion"]) == set(landed["motion"])  # every motion taught
    assert shown.groupby("motion").size().max() <= 2
    assert shown["id"].isin(landed["id"]).all() and not shown["marked"].any()
    for column in ("account", "one_liner", "why", "by", "motion_label"):
        values = shown[column].astype(str)
        assert not values.str.fullmatch(r"(?i)nan|none|<na>").any(), column
    assert not shown["why"].str.contains(LOCAL_USER).any()
    assert (shown["why"].str.len() > 10).all()
    assert not shown["full_text"].any()  # history keeps only one-liners, and says so on the page


def test_no_history_has_no_examples(tmp_path):
    book = load_folder(book_dir("no_history"), today=TODAY)
    log = _log(InsightStore(f"sqlite:///{tmp_path / 'log.db'}"), book)
    assert examples(log, book.accounts).empty


def test_a_landed_full_text_is_chosen_first_and_marked_examples_lead(tmp_path):
    book = load_folder(book_dir("full"), today=TODAY)
    analysis = analyze(book, model_dir=None)
    store = InsightStore(f"sqlite:///{tmp_path / 'log.db'}")
    store.import_history(book)
    account_id = analysis.signals["account_id"].iloc[0]
    ctx = build_context(book, analysis, account_id)
    drafts = template_drafts(ctx)
    texts = {"champion": drafts["champion"].text, "executive": drafts["executive"].text}
    new_id, _ = store.log(
        NewInsight(
            account_id=account_id,
            csm=ctx.csm,
            author=ctx.csm,
            motion=ctx.motion,
            audience=list(texts),
            text=texts["champion"],
            sent_on=dt.date(2026, 10, 20),
            book_key=book.key,
            one_liner=drafts["champion"].one_liner,
        )
    )
    store.record_outcome(new_id, "landed", by="Mara Quinn", on=dt.date(2026, 10, 30))
    history = store.insights(book_key=book.key)
    other = history.loc[(history["id"] != new_id) & (history["outcome"] == "no_response"), "id"]
    store.mark_example(int(other.iloc[0]), note="A clear ask.", by=LOCAL_USER)
    log = store.insights(book_key=book.key)
    if "texts" in log:  # each reader's text (revision 0004) is read back when the log keeps it
        log.loc[log["id"] == new_id, "texts"] = json.dumps(texts)

    shown = examples(log, book.accounts)
    first = shown.iloc[0]
    assert first["marked"] and first["why"] == "A clear ask." and first["by"] == ""
    mine = shown.loc[shown["id"] == new_id].iloc[0]
    assert mine["full_text"] and mine["why"].startswith("All five parts")
    assert mine["texts"]["champion"] == texts["champion"]
    same_motion = shown.loc[(shown["motion"] == ctx.motion) & ~shown["marked"]]
    assert same_motion.iloc[0]["id"] == new_id  # the full text teaches before a one-liner


ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["A1", "A2", "A3", "A4", "A5"],
        "csm": ["Priya", "Sam", "Priya", "Theo", "Ana"],
        "manager": ["Ruth", "Ruth", "Ruth", "Tom", None],
    }
)


@pytest.mark.parametrize(
    ("viewer", "accounts", "expected"),
    [
        (local_viewer("csm", csm="Priya"), ACCOUNTS, ["A1", "A2", "A3"]),  # team from the manager column
        (local_viewer("csm", csm="Sam"), ACCOUNTS, ["A1", "A2", "A3"]),  # every CSM of the team
        (local_viewer("csm", csm="Ana"), ACCOUNTS, ["A5"]),  # no manager: their own
        (local_viewer("csm", csm="Priya"), ACCOUNTS.drop(columns="manager"), ["A1", "A3"]),
        (Viewer("t@x", "csm", csm="Theo", team="Tom"), ACCOUNTS, ["A4"]),  # the roles map's team
        (local_viewer("manager", team="Ruth"), ACCOUNTS, ["A1", "A2", "A3"]),
        (local_viewer("admin"), ACCOUNTS, ["A1", "A2", "A3", "A4", "A5"]),
    ],
)  # fmt: skip
def test_library_scope_is_the_team(viewer, accounts, expected):
    assert accounts.loc[library_scope(viewer, accounts), "account_id"].tolist() == expected


def test_library_table_speaks_plainly(demo_book, tmp_path):
    log = _log(InsightStore(f"sqlite:///{tmp_path / 'log.db'}"), demo_book)
    table = library_table(log, demo_book.accounts)
    assert len(table) == len(log)
    for column in ("account", "csm", "motion", "readers", "one_liner", "outcome", "tags"):
        values = table[column].astype(str)
        assert not values.str.fullmatch(r"(?i)nan|none|<na>").any(), column
    assert not table["motion"].str.contains("_").any()  # "Better practice", not better_practice
    assert set(table["outcome"]) <= {
        "Pending",
        "Landed",  # a word or two in a cell; the meaning is in the column's help
        "No response",
        "Pushed back",
    }
    assert not table["tags"].str.contains("|", regex=False).any()


NAMES = {"A1": "Harbor Legal"}


@pytest.mark.parametrize(
    ("row", "line"),
    [
        (
            {"account_id": "A1", "sent_on": "2026-11-08", "author": "Elena Murphy",
             "motion": "better_practice", "audience": "admin|champion", "outcome": "landed"},
            "Harbor Legal · sent 8 Nov 2026 by Elena Murphy · Better practice · to Admin, "
            "Champion · Landed",
        ),
        (  # imported history: the CSM, no author, no outcome yet
            {"account_id": "A1", "date": pd.Timestamp("2026-11-18"), "csm": "Priya Shah",
             "author": None, "motion": "win", "audience": "executive", "outcome": None},
            "Harbor Legal · sent 18 Nov 2026 by Priya Shah · Win · to Executive · Pending",
        ),
        (  # an account not in the book, local mode's stand-in, blanks: never "nan"
            {"account_id": "Z9", "sent_on": None, "author": LOCAL_USER, "motion": float("nan"),
             "audience": float("nan"), "outcome": "no_response"},
            "Z9 · No response",
        ),
    ],
)  # fmt: skip
def test_insight_line_says_what_the_insight_was(row, line):
    assert insight_line(row, NAMES) == line


@pytest.mark.parametrize(
    ("outcome", "word"),
    [
        ("landed", "Landed"),
        ("no_response", "No response"),
        ("pushed_back", "Pushed back"),
        (None, "Pending"),
    ],
)
def test_an_outcome_reads_in_a_word_or_two(outcome, word):
    from insight_engine.outputs.library import outcome_words

    assert outcome_words(pd.Series([outcome], dtype="object")).tolist() == [word]
