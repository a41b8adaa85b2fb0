"""Sharing one insight (insight_engine.outputs.sharing): what the Account page shows and logs."""

from __future__ import annotations

import datetime as dt
import json

import httpx2
import pandas as pd
import pytest

from insight_engine.access import Viewer, local_viewer
from insight_engine.analysis.engine import analyze
from insight_engine.log.store import InsightStore, idempotency_key, normalise_text
from insight_engine.outputs.draft import AUDIENCES, PARTS, build_context, template_drafts
from insight_engine.outputs.prep import FOLLOW_UPS
from insight_engine.outputs.sharing import (
    HOW_TO_READ_PX,
    LOCAL_USER,
    PART_LABELS,
    READER_LABELS,
    READER_NAMES,
    author_name,
    box_state,
    draft_parts,
    evidence_table,
    guidance,
    health_figure,
    how_to_read_open,
    log_defaults,
    motion_order,
    new_insight,
    readers_shown,
    signal_options,
    subject_of,
)
from tests.fixtures import book_dir

DAY = dt.date(2026, 11, 20)


def _signals(*rows: tuple[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "motion": [m for m, _ in rows],
            "strength": [s for _, s in rows],
            "headline": [f"{m} {s}" for m, s in rows],
            "detector": [f"d-{i}" for i in range(len(rows))],
            "metric": [None] * len(rows),
        }
    )


@pytest.mark.parametrize(
    ("ranked", "rows", "expected"),
    [
        ("risk", [("win", 0.9), ("risk", 0.4)], ["risk", "win"]),  # what This week ranked by
        (None, [("win", 0.5), ("risk", 0.8)], ["risk", "win"]),  # else strongest first
        ("expansion", [("win", 0.5), ("risk", 0.8)], ["risk", "win"]),  # ranked motion absent
        ("win", [("win", 0.2), ("win", 0.9), ("stall", 0.5)], ["win", "stall"]),  # each once
        ("win", [], []),
    ],
)
def test_motion_order(ranked, rows, expected):
    frame = _signals(*rows) if rows else _signals().iloc[0:0]
    assert motion_order(ranked, frame) == expected


def test_signal_options_are_this_motions_strongest_first():
    options = signal_options(_signals(("win", 0.2), ("risk", 0.7), ("win", 0.9)), "win")
    assert options["strength"].tolist() == [0.9, 0.2]
    assert options["label"].tolist() == [
        "win 0.9 (strength 0.90 of 1)",
        "win 0.2 (strength 0.20 of 1)",
    ]


@pytest.mark.parametrize(
    ("motion", "shown", "others"),
    [
        ("win", ["champion", "executive"], ["admin"]),
        ("feature", ["admin", "champion"], ["executive"]),
        ("stall", ["champion", "admin"], ["executive"]),  # the motion's order: champion first
        ("expansion", ["executive", "champion"], ["admin"]),
        ("unknown", ["admin"], ["champion", "executive"]),  # never nothing on screen
    ],
)
def test_readers_shown_are_the_motions_usual_two(motion, shown, others):
    assert readers_shown(motion) == (shown, others)
    assert sorted(shown + others) == sorted(AUDIENCES)


@pytest.mark.parametrize(
    ("motion", "suggested", "readers", "follow", "flag"),
    [
        ("risk", ["mitigation", "task"], ["champion", "executive"], "mitigation", True),
        ("win", ["internal_win"], ["champion", "executive"], "internal_win", True),
        (
            "expansion",
            ["expansion_hypothesis"],
            ["executive", "champion"],
            "expansion_hypothesis",
            True,
        ),
        ("feature", ["enablement"], ["admin", "champion"], "enablement", False),
        ("stall", ["made_up", "task"], ["champion", "admin"], "task", False),  # unknown dropped
        ("better_practice", [], ["admin", "champion"], "none", False),  # nothing suggested
    ],
)
def test_log_form_defaults(motion, suggested, readers, follow, flag):
    got = log_defaults(motion, suggested, DAY)
    assert got.readers == readers  # Sent to: the drafts open on screen
    assert got.follow_up == follow and got.follow_up in got.follow_up_options
    assert got.follow_up_options == ["none", *FOLLOW_UPS]
    assert got.due == DAY + dt.timedelta(days=7)
    assert got.tags == [motion] and set(got.tags) <= set(got.tag_options)
    assert len(got.tag_options) == len(set(got.tag_options))  # each tag once
    assert got.alignment_meeting is flag


@pytest.mark.parametrize(
    ("current", "logged", "state"),
    [
        ("Hi Ana,\nText.", None, ""),  # not logged this session
        ("Hi Ana,\nText.", "Hi Ana,\nText.", "logged"),
        ("Hi Ana,\r\nText.  \n", "Hi Ana,\nText.", "logged"),  # line endings, trailing spaces
        ("Hi Ana,\nText. P.S.", "Hi Ana,\nText.", "edited"),
        ("", "Hi Ana,", "edited"),
        (None, "Hi Ana,", "edited"),
    ],
)
def test_a_box_says_whether_it_is_the_text_logged(current, logged, state):
    assert box_state(current, logged) == state


@pytest.mark.parametrize(
    ("spec", "choosing", "open_"),
    [
        ({"height": 144}, False, True),  # a short comparison: how to read it, open
        ({"height": HOW_TO_READ_PX}, False, True),
        ({"height": 260}, False, False),  # the health trend with its legend: one click away
        ({"height": 144}, True, False),  # a picker of signals above the chart takes the room
        ({}, False, False),  # no height stated
    ],
)
def test_how_to_read_is_open_when_it_fits_on_the_screen(spec, choosing, open_):
    assert how_to_read_open(spec, choosing=choosing) is open_


def test_reader_names_are_short_and_name_every_reader():
    assert set(READER_NAMES) == set(READER_LABELS) == set(AUDIENCES)
    for reader, name in READER_NAMES.items():
        assert READER_LABELS[reader].startswith(name) and len(name) <= 17


def _history(*scores: float) -> pd.DataFrame:
    weeks = pd.date_range("2026-10-04", periods=len(scores), freq="7D")
    return pd.DataFrame({"week_end": weeks, "health": list(scores)})


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ((40.0, 39.9, 39.7, 39.6, 39.46), ("39", None)),  # 39.46: never "40" (39.5 → 40)
        ((39.2, 39.0, 39.4, 39.1, 39.6), ("40", None)),  # steady: no red "-0"
        ((60.0, 58.0, 56.0, 55.0, 53.4), ("53", "-7 over 4 weeks")),
        ((70.0, 71.0, 71.0, 72.0, 72.6), ("73", "+3 over 4 weeks")),
        ((50.0, 80.0, 81.0), ("81", "+31 over 2 weeks")),  # the data starts later
        ((55.0, float("nan"), 50.0), ("50", "-5 over 2 weeks")),  # a week without a score
        ((42.0,), ("42", None)),  # one week: no change to show
        ((float("nan"), float("nan")), ("—", None)),
        ((), ("—", None)),
    ],
)
def test_health_figure_agrees_with_the_health_chart(scores, expected):
    from insight_engine.outputs.chart import health_trend

    history = _history(*scores)
    assert health_figure(history) == expected
    if expected[0] != "—":  # the chart's title says the same number
        title = health_trend(history, red_below=50, green_above=70, account_name="A").title
        title = title if isinstance(title, str) else " ".join(title)
        assert f"Health {expected[0].split(' ')[0]} of 100" in title or (
            f"steady at {expected[0].split(' ')[0]}" in title
        ), title


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (local_viewer("csm", csm="Priya Shah"), "Priya Shah"),
        (local_viewer("manager", team="Dana Lee"), "Dana Lee"),
        (local_viewer("admin"), LOCAL_USER),
        (local_viewer("csm"), LOCAL_USER),  # no CSM chosen yet
        (Viewer("priya@example.com", "csm", csm="Priya Shah"), "Priya Shah"),
        (Viewer("ed@example.com", "executive"), "ed@example.com"),
        (None, LOCAL_USER),
    ],
)
def test_author_is_the_viewer(viewer, expected):
    assert author_name(viewer) == expected


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (
            {
                "metric": "active_users",
                "metric_label": "Active users",
                "after": 7.3,
                "before": None,
            },
            [("Measure", "Active users"), ("Now", "7.3")],
        ),
        (
            {"window": "last 4 weeks", "before": 98.357, "after": 123.286, "peer": 154.714},
            [
                ("Period", "last 4 weeks"),
                ("Before", "98.4"),
                ("Now", "123"),
                ("A similar customer", "155"),
            ],
        ),
        (
            {
                "event_date": "2026-09-06",
                "milestone": "30-day onboarding",
                "days": 75.0,
                "window": "",
            },
            [("Milestone", "30-day onboarding"), ("Date", "6 Sep 2026"), ("Days", "75")],
        ),
        (
            {"partner": "report_views", "partner_label": "Report views"},
            [("Goes with", "Report views")],
        ),
        ({}, []),
    ],
)
def test_evidence_is_a_small_plain_table(evidence, expected):
    table = evidence_table(evidence)
    assert list(table.columns) == ["What", "Value"]
    assert list(table.itertuples(index=False, name=None)) == expected


GAP = {
    "metric": "filters_applied",
    "metric_label": "Filters applied to reports",
    "window": "last 4 weeks",
    "before": 1928.0,
    "after": 25.0,
    "peer": 674.0,
    "partner": "report_views",
    "partner_label": "Report views",
}


@pytest.mark.parametrize(
    ("evidence", "detector", "expected"),
    [
        (  # two capabilities side by side, not one measure before and now
            GAP,
            "complement_gap",
            [
                ("Measure", "Filters applied to reports"),
                ("Period", "last 4 weeks"),
                ("Report views", "1,928"),
                ("Filters applied to reports", "25"),
                ("Filters applied to reports, a similar customer at that use", "674"),
                ("Goes with", "Report views"),
            ],
        ),
        (  # a label whose words are missing falls back to the general one
            {**GAP, "partner_label": None},
            "complement_gap",
            [
                ("Measure", "Filters applied to reports"),
                ("Period", "last 4 weeks"),
                ("Before", "1,928"),
                ("Filters applied to reports", "25"),
                ("Filters applied to reports, a similar customer at that use", "674"),
            ],
        ),
        (  # another detector, or none: the general words
            {"before": 10.0, "after": 4.0, "peer": 12.0},
            "outcome_rise",
            [("Before", "10"), ("Now", "4"), ("A similar customer", "12")],
        ),
        ({"before": 10.0}, None, [("Before", "10")]),
    ],
)
def test_a_detector_names_its_own_evidence(evidence, detector, expected):
    table = evidence_table(evidence, detector)
    assert list(table.itertuples(index=False, name=None)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Subject: Kept\n\nHi", "Kept"),
        ("  subject:  Edited line \nHi", "Edited line"),
        ("Subject:\nHi", "fallback"),
        ("Hi there", "fallback"),
    ],
)
def test_subject_is_the_line_the_csm_kept(text, expected):
    assert subject_of(text, "fallback") == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Hello\r\nworld", "Hello\nworld", True),
        ("Hello  world  \n", "Hello world", True),
        ("A\n\n\n\nB", "A\n\nB", True),
        ("A\tB", "A B", True),
        ("Hello", "Hello!", False),
        ("A\nB", "A B", False),  # a line break is part of what was sent
    ],
)
def test_key_is_on_what_was_sent_normalised(a, b, same):
    assert (normalise_text(a) == normalise_text(b)) is same
    assert (
        idempotency_key("A", "win", "Priya", {"admin": a})
        == idempotency_key("A", "win", "Priya", {"admin": b})
    ) is same


def test_key_ignores_the_as_of_date_and_reader_order_but_not_readers():
    one = idempotency_key("A", "win", "Priya", {"admin": "x", "champion": "y"})
    assert one == idempotency_key("A", "win", "Priya", {"champion": "y", "admin": "x"})
    assert one != idempotency_key("A", "win", "Priya", {"admin": "x"})
    assert one != idempotency_key("A", "win", "Tom", {"admin": "x", "champion": "y"})


@pytest.fixture(scope="module", params=["demo", "fixture"])
def drafted(request, demo_book, tmp_path_factory):
    """A context and drafts on the demo book and on a hand-made fixture book."""
    if request.param == "demo":
        book = demo_book
    else:
        from insight_engine.book.loader import load_folder

        book = load_folder(book_dir("full"))
    result = analyze(book, model_dir=None)
    account = str(result.signals["account_id"].iloc[0])
    ctx = build_context(book, result, account, None)
    return book, ctx, template_drafts(ctx)


def test_draft_parts_are_the_five_parts_in_order(drafted):
    _, _, drafts = drafted
    for audience in AUDIENCES:
        parts = draft_parts(drafts[audience])
        assert [p for p, _ in parts] == [PART_LABELS[p] for p in PARTS]
        text = drafts[audience].text
        positions = [text.index(t) for _, t in parts]
        assert positions == sorted(positions), "labelled in the order the text gives them"


@pytest.mark.parametrize(
    ("readers", "follow", "sent", "has_follow"),
    [
        (["admin", "champion"], "task", ["admin", "champion"], True),
        (["executive", "admin", "executive"], "none", ["executive", "admin"], False),
        ([], None, ["champion"], False),
        (["nobody", "champion"], "mitigation", ["champion"], True),
    ],
)
def test_new_insight_stores_each_readers_box(drafted, readers, follow, sent, has_follow):
    book, ctx, drafts = drafted
    boxes = {a: drafts[a].text + f"\n\nEdited for {a}" for a in AUDIENCES}
    boxes["executive"] = "Subject: My own subject\r\n\r\nShort and edited.  "
    acct = book.account(ctx.account_id)
    new = new_insight(
        book_key=book.key,
        account=acct,
        ctx=ctx,
        drafted=drafts,
        readers=readers,
        texts=boxes,
        author="Priya Shah",
        sent_on=DAY,
        tags=[ctx.motion, ctx.motion],
        follow_up=follow,
        follow_up_due=DAY,
        health_at_send=float("nan"),
    )
    assert new.audience == sent
    assert new.texts == {r: boxes[r] for r in sent}  # exactly the box, as typed
    assert new.text == boxes[sent[0]]
    assert new.author == "Priya Shah" and new.csm == str(acct["csm"])
    assert new.tags == [ctx.motion] and new.health_at_send is None
    assert (new.follow_up is not None) is has_follow and (
        new.follow_up_due is not None
    ) is has_follow
    expected_subject = "My own subject" if sent[0] == "executive" else drafts[sent[0]].subject
    assert new.subject == expected_subject
    assert "customer_text" not in new.evidence and new.evidence["headline"] == ctx.headline
    assert new.key == idempotency_key(ctx.account_id, ctx.motion, "Priya Shah", new.texts)


def test_logged_twice_next_week_is_one_record_with_every_text(drafted, tmp_path):
    book, ctx, drafts = drafted
    store = InsightStore(f"sqlite:///{tmp_path / 'log.db'}")
    boxes = {"admin": "Subject: A\n\nfor the admin", "champion": "Subject: C\n\nfor the champion"}
    args = dict(
        book_key=book.key,
        account=book.account(ctx.account_id),
        ctx=ctx,
        drafted=drafts,
        readers=["admin", "champion"],
        author="Priya Shah",
    )
    first = store.log(new_insight(**args, texts=boxes, sent_on=DAY))
    # the same message, pasted back with CRLF and trailing spaces, a week later
    again = {k: v.replace("\n", "\r\n") + "  " for k, v in boxes.items()}
    second = store.log(new_insight(**args, texts=again, sent_on=DAY + dt.timedelta(days=7)))
    assert first[1] and second == (first[0], False)
    assert store.count(book_key=book.key) == 1  # "insights shared" counts it once
    row = store.insights(book_key=book.key).iloc[0]
    assert json.loads(row["texts"]) == boxes and row["text"] == boxes["admin"]
    assert row["audience"] == "admin | champion"


# ---------------------------------------------------------------------------------------------
# Claude's notes (this week's insight, explain this chart, what should follow), offline


def _claude(answers: list[dict | int]):
    calls = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(json.loads(request.content))
        answer = answers[min(len(calls) - 1, len(answers) - 1)]
        if isinstance(answer, int):
            return httpx2.Response(
                answer, json={"type": "error", "error": {"type": "api_error", "message": "x"}}
            )
        return httpx2.Response(
            200,
            json={
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-test",
                "content": [{"type": "text", "text": json.dumps(answer)}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 10},
            },
        )

    return httpx2.Client(transport=httpx2.MockTransport(handler)), calls


WEEKLY = {
    "insight": "I",
    "why_it_matters": "W",
    "audience": ["champion"],
    "evidence": "E",
    "action": "A",
}
CHART = {"where_to_look": "L", "what_it_means": "M", "conclusion": "C", "action": "A"}


def test_guidance_without_a_key_is_the_templates_with_a_notice(drafted):
    _, ctx, _ = drafted
    notes = guidance(ctx)
    assert notes.by == "Rudder templates" and "Anthropic API key" in notes.notice
    assert notes.weekly.insight == ctx.headline
    assert notes.follow.follow_ups and set(notes.follow.follow_ups) <= set(FOLLOW_UPS)


def test_guidance_with_a_key_uses_claude_and_keeps_known_follow_ups(drafted):
    _, ctx, _ = drafted
    follow = {"follow_ups": ["made_up", "task", "task"], "why": "Because."}
    client, calls = _claude([WEEKLY, CHART, follow])
    notes = guidance(ctx, api_key="sk-test", model="claude-test", http_client=client)
    assert len(calls) == 3 and notes.by == "Claude (claude-test)" and not notes.notice
    assert notes.weekly.insight == "I" and notes.chart.where_to_look == "L"
    assert notes.follow.follow_ups == ["task"] and notes.follow.why == "Because."


def test_guidance_falls_back_after_the_first_failure(drafted):
    _, ctx, _ = drafted
    client, calls = _claude([529])
    notes = guidance(ctx, api_key="sk-test", http_client=client, max_retries=0)
    assert len(calls) == 1, "one failure is enough: no second and third call to wait for"
    assert notes.by == "Rudder templates" and "overloaded" in notes.notice
    assert "these notes come from Rudder's templates" in notes.notice
    assert "sk-test" not in notes.notice


def test_seats_in_use_are_whole_people(demo_book):
    """A weekly average of daily active people (7.3) is said as whole seats: "7 of 35 seats"."""
    import re

    signals = analyze(demo_book, model_dir=None).signals
    headlines = signals.loc[signals["detector"] == "low_seat_use", "headline"]
    assert len(headlines), "the demo book has accounts using few of their seats"
    assert headlines.str.fullmatch(r"\d[\d,]* of \d+ seats in use \(\d+%\)").all(), headlines
    assert not headlines.map(lambda h: bool(re.search(r"\d\.\d+ of", h))).any()


# ---------------------------------------------------------------------------------------------
# The Account page (AppTest): what is logged is what is in each reader's box, by the viewer


def test_the_account_page_logs_every_readers_box_as_the_view_as_person(tmp_path, monkeypatch):
    from insight_engine.book.loader import ensure_demo
    from tests.helpers import open_app, top_account

    monkeypatch.setenv("RUDDER_DB_URL", f"sqlite:///{tmp_path / 'log.db'}")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    accounts = pd.read_csv(ensure_demo() / "accounts.csv")
    account = top_account(open_app())
    csm = accounts.loc[accounts["account_id"] == account, "csm"].iloc[0]
    # "View as" a CSM, then onto the Account page: no This-week widget is alive here
    at = open_app(
        "pages/csm/account.py", session={"local_role": "csm", "local_csm": csm}, account=account
    )
    boxes = {t.key.rsplit("-", 1)[1]: t for t in at.text_area if t.key.startswith("draft-")}
    assert set(boxes) == set(AUDIENCES)
    edited = {}
    for reader in ("admin", "executive"):
        edited[reader] = boxes[reader].value.replace("\n\n", "\r\n\r\n", 1) + f"\nFor {reader}."
        boxes[reader].set_value(edited[reader])
    sent_to = next(m for m in at.multiselect if m.label == "Sent to")
    sent_to.set_value(["admin", "executive"])
    next(b for b in at.button if b.label == "Log insight").click().run()
    assert not at.exception
    assert any(f"as {csm}" in s.value for s in at.success), [s.value for s in at.success]
    store = InsightStore(f"sqlite:///{tmp_path / 'log.db'}")
    row = store.insights([account], book_key="demo").iloc[0]
    assert row["author"] == csm and row["audience"] == "admin | executive"
    assert json.loads(row["texts"]) == edited  # byte for byte, CRLF and all
    # the timeline on the same screen shows it (the page reran after logging)
    shown = " ".join(df.value.to_csv() for df in at.dataframe)
    assert row["one_liner"] in shown


def test_the_account_page_asks_claude_for_its_notes_and_says_when_it_falls_back(
    tmp_path, monkeypatch
):
    """With a key, "This week's insight", "Explain this chart" and "What should follow" come from
    Claude; an answer in the wrong shape falls back to the templates with a visible notice."""
    from tests.faults import FakeAnthropic
    from tests.helpers import open_app, top_account

    server = FakeAnthropic()  # answers every call with drafts, not the notes' shape
    try:
        monkeypatch.setenv("RUDDER_DB_URL", f"sqlite:///{tmp_path / 'log.db'}")
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-notes-SECRET")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("RUDDER_CLAUDE_TIMEOUT", "5")
        account = top_account(open_app())
        at = open_app("pages/csm/account.py", session={"claude_attempt": 7331}, account=account)
        tasks = [r["messages"][0]["content"].split("\n", 1)[0] for r in server.requests]
        assert any("most meaningful insight" in t for t in tasks), tasks
        shown = " ".join(i.value for i in at.info)
        assert "these notes come from Rudder's templates" in shown
        assert "sk-ant-notes-SECRET" not in shown
        assert any(m.value == "**This week's insight**" for m in at.markdown)
    finally:
        server.close()


def test_drafts_say_seats_in_use_in_whole_people(demo_book):
    """The seat-use drafts say "4 of your 18 seats", not "3.6" (a weekly average of daily users)."""
    import re

    result = analyze(demo_book, model_dir=None)
    low = result.signals.loc[result.signals["detector"] == "low_seat_use"]
    fractional = low.loc[(low["after"] % 1).round(2) != 0]
    assert len(fractional), "the demo book has a fractional weekly count of active people"
    row = fractional.iloc[0]
    chosen = result.only_signal(row["account_id"], "low_seat_use", row["metric"])
    ctx = build_context(demo_book, chosen, row["account_id"], "risk")
    assert ctx.detector == "low_seat_use" and ctx.people
    drafts = template_drafts(ctx)
    for audience in AUDIENCES:
        text = drafts[audience].text
        assert f"{round(row['after'])} of " in text, text
        assert not re.search(r"\d\.\d+ of (?:your |its )?\d+ seats", text), text
