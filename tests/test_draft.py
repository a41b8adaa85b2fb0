"""Template drafts: every motion and reader, real numbers, no placeholders, readers that differ."""

from __future__ import annotations

import re

import pytest

from insight_engine.analysis.detector import MOTIONS
from insight_engine.analysis.engine import analyze
from insight_engine.outputs.draft import (
    AUDIENCES,
    EXEC_FORBIDDEN,
    PARTS,
    build_context,
    check_numbers,
    template_drafts,
)
from insight_engine.outputs.prep import (
    explain_chart,
    prep_checklist,
    question_bank,
    suggest_follow_ups,
    weekly_insight,
)


@pytest.fixture(scope="module")
def analysis(demo_book):
    return analyze(demo_book, model_dir=None)


def contexts(demo_book, analysis, motion, n=6):
    """Up to n accounts whose strongest signal of this motion comes from different detectors."""
    out, seen = [], set()
    rows = analysis.signals.loc[analysis.signals["motion"] == motion].drop_duplicates("account_id")
    for account in rows["account_id"]:
        ctx = build_context(demo_book, analysis, account, motion)
        if ctx.detector in seen and len(out) >= 2:
            continue
        seen.add(ctx.detector)
        out.append(ctx)
        if len(out) >= n:
            break
    return out


@pytest.mark.parametrize("motion", MOTIONS)
def test_every_motion_and_reader(demo_book, analysis, motion):
    ctxs = contexts(demo_book, analysis, motion)
    assert ctxs, f"the demo book has no {motion} signal"
    metric_keys = set(demo_book.metrics["metric"])
    for ctx in ctxs:
        drafts = template_drafts(ctx)
        texts = {a: drafts[a].text for a in AUDIENCES}
        for audience, d in drafts.drafts.items():
            for part in PARTS:
                assert getattr(d, part).strip(), (ctx.detector, audience, part)
            assert d.subject.strip()
            text = d.text
            assert not re.search(r"\{|\}|\bnan\b|\bNone\b|\bNaT\b", text), text
            assert not any(re.search(rf"\b{k}\b", text) for k in metric_keys), text
            assert d.flags == [], (ctx.detector, audience, d.flags, text)
            assert d.markdown.startswith("**Subject:**") and f"**{d.one_liner}**" in d.markdown
        exec_draft = drafts["executive"]
        assert exec_draft.words <= 130, exec_draft.text
        assert not any(w in exec_draft.text.lower() for w in EXEC_FORBIDDEN), exec_draft.text
        assert len(set(texts.values())) == 3, "the three readers' texts clearly differ"
        assert texts["admin"] != texts["champion"] and len(texts["executive"]) < len(
            texts["champion"]
        )


def test_numbers_in_the_draft_are_the_evidence(demo_book, analysis):
    ctx = contexts(demo_book, analysis, "win")[0]
    assert ctx.detector == "outcome_rise"
    text = template_drafts(ctx)["champion"].text
    for value in (ctx.before, ctx.after):
        assert f"{round(value):,}" in text
    change = round((ctx.after / ctx.before - 1) * 100)
    assert f"{change}%" in text


def test_admin_gets_numbered_steps_from_how_to(demo_book, analysis):
    ctx = next(c for c in contexts(demo_book, analysis, "better_practice") if len(c.steps) > 1)
    admin = template_drafts(ctx)["admin"]
    for i, step in enumerate(ctx.steps, start=1):
        assert f"{i}. {step}" in admin.action


def test_champion_carries_the_goal_in_their_words(demo_book, analysis):
    ctx = contexts(demo_book, analysis, "feature")[0]
    assert (
        ctx.stated_goal
        and ctx.stated_goal.rstrip(".") in template_drafts(ctx)["champion"].background
    )


def test_ten_drafts_in_a_row_are_not_one_form_letter(demo_book, analysis):
    accounts = analysis.signals.loc[
        analysis.signals["detector"] == "below_target", "account_id"
    ].unique()[:10]
    one_liners = {
        template_drafts(build_context(demo_book, analysis, a, "better_practice"))[
            "champion"
        ].one_liner
        for a in accounts
    }
    assert len(accounts) == 10 and len(one_liners) >= 5, one_liners


def test_templates_are_deterministic(demo_book, analysis):
    ctx = contexts(demo_book, analysis, "risk")[0]
    assert template_drafts(ctx).to_dict() == template_drafts(ctx).to_dict()


@pytest.mark.parametrize(
    ("text", "allowed", "flagged"),
    [
        ("Up 38% from 120 to 166.", [120, 166, 38.3], []),
        ("Up 40% from 120 to 166.", [120, 166, 38.3], ["40%"]),
        ("1,234 views in 4 weeks; a 20-minute call.", [1234], []),
        ("1. Open Reports\n2. Click Filters", [], []),
        ("Worth $2.4 million.", [120], ["2.4"]),
        ("Rated 9 out of 10.", [9], []),
        ("Keywords ranked in the top 10: 88.", [88], []),
    ],
)
def test_number_check(text, allowed, flagged):
    assert check_numbers(text, allowed, ["Keywords ranked in the top 10"]) == flagged


def test_prep_assets_are_filled_for_the_signal(demo_book, analysis):
    ctx = contexts(demo_book, analysis, "win")[0]
    checklist = dict(prep_checklist(ctx))
    assert list(checklist) == [
        "Reason for the insight",
        "Customer goal it connects to",
        "Audience",
        "Evidence (the minimum that makes the point)",
        "Recommended action",
        "Follow-up path",
    ]
    assert checklist["Reason for the insight"] == ctx.headline
    questions = [q for q, _ in question_bank(ctx)]
    assert (
        questions[0] == "What changed?" and "Who else inside the customer should know?" in questions
    )
    assert suggest_follow_ups(ctx)[0] == "alignment_meeting"
    assert weekly_insight(ctx).insight == ctx.headline
    assert "look at" in explain_chart(ctx).where_to_look
