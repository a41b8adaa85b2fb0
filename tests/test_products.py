"""Any product's words (issue 15, point 3): every product term in drafts, prep, charts and
captions comes from the metric catalog or the account's own data, so a second demo product
(a project-management tool) reads in its own words, with none of the SEO demo's."""

from __future__ import annotations

import inspect
import re

import pytest

from insight_engine.analysis import framing
from insight_engine.analysis.detector import DETECTORS, signal_records
from insight_engine.analysis.engine import analyze
from insight_engine.book.loader import load_folder
from insight_engine.outputs import chart, claude, draft, prep
from insight_engine.outputs.chart import check_visual_standard, insight_chart, title_text
from insight_engine.outputs.draft import AUDIENCES, build_context, template_drafts
from insight_engine.outputs.prep import explain_chart, prep_checklist, question_bank, weekly_insight
from insight_engine.source.demo import PRODUCTS, generate_demo, write_demo
from tests.conftest import TODAY

# The SEO demo product's words: none may reach a project-management customer.
SEO_WORDS = re.compile(
    r"keyword|traffic|pipeline|competitor|\bSEO\b|content brief|ranking|\bsearch\b(?!\()|top 10",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    folder = write_demo(
        generate_demo(150, 11, product="projects"), tmp_path_factory.mktemp("projects")
    )
    book = load_folder(folder, today=TODAY)
    return book, analyze(book, model_dir=None)


def test_the_second_product_has_its_own_catalog():
    seo, projects = PRODUCTS["seo"].metrics, PRODUCTS["projects"].metrics
    assert set(seo["metric"]) & set(projects["metric"]) == {"integrations_connected"}
    # the same roles in the same order, so the planted ground truth is the same
    for column in ("category", "target", "aggregation"):
        assert seo[column].astype(str).tolist() == projects[column].astype(str).tolist(), column


def test_every_signal_reads_in_the_products_own_words(projects):
    book, analysis = projects
    labels = set(book.metrics["label"].str.lower())
    fired = analysis.signals.drop_duplicates("detector")
    assert len(fired) >= 12, sorted(fired["detector"])
    for account, name in zip(fired["account_id"], fired["detector"], strict=True):
        ctx = build_context(book, analysis, account, detector=name)
        drafts = template_drafts(ctx)
        texts = [drafts[a].text for a in AUDIENCES]
        texts += [answer for _, answer in [*prep_checklist(ctx), *question_bank(ctx)]]
        texts += [explain_chart(ctx).model_dump_json(), weekly_insight(ctx).model_dump_json()]
        signal = next(r for r in signal_records(analysis.signals, account) if r["detector"] == name)
        labelled = insight_chart(book, analysis.health, signal)
        assert check_visual_standard(labelled.spec, raw_keys=set(book.weekly.metrics)) == []
        texts += [
            labelled.caption,
            labelled.title,
            title_text(labelled.spec, "subtitle"),
        ]
        for text in texts:
            assert not SEO_WORDS.search(text), (name, text)
        if ctx.metric_label:
            assert ctx.metric_label.lower() in labels
        assert all(d.flags == [] for d in drafts.drafts.values()), name


def test_the_executive_is_quoted_in_the_products_words(projects):
    book, analysis = projects
    said = "Show me we are delivering on time, not just moving cards around."
    wins = analysis.signals.loc[analysis.signals["motion"] == "win", "account_id"].unique()
    quoted = []
    for account in wins:
        ctx = build_context(book, analysis, account, "win")
        if any(q["text"] == said and q["role"] == "executive" for q in ctx.quotes):
            quoted.append(template_drafts(ctx)["executive"].text)
    assert quoted, "no win account whose executive said it in the demo notes"
    assert all(f"\u201c{said}\u201d" in text for text in quoted)


@pytest.mark.parametrize("module", [draft, prep, chart, framing, claude])
def test_the_code_that_writes_to_customers_holds_no_product_words(module):
    source = inspect.getsource(module)
    assert not SEO_WORDS.search(source), SEO_WORDS.search(source).group(0)


@pytest.mark.parametrize("name", list(DETECTORS))
def test_no_framing_holds_product_words(name):
    for template in DETECTORS[name].framing.templates():
        assert not SEO_WORDS.search(template), (name, template)
