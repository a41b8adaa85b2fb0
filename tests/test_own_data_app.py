"""Every page of the real app (AppTest) on the hand-made books of tests/fixtures: optional columns
and tables absent, fields a team does not have, no catalog, odd choices, a one-day snapshot, a
per-feature catalog, dates as tools write them. No exception, no error box, real content."""

from __future__ import annotations

import pytest

from tests.fixtures import book_dir
from tests.helpers import PAGES, open_app

BOOKS = ["minimal", "missing_fields", "no_catalog", "odd_choices", "snapshot", "per_feature"]


@pytest.mark.parametrize("name", BOOKS)
def test_every_page_opens_on_a_hand_made_book(name):
    at = open_app(session={"source": {"kind": "folder", "path": str(book_dir(name))}})
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        assert at.title, page


def test_the_account_page_of_an_account_with_unknown_fields():
    """HD-01 has no CSM, HD-02 unknown seats, HD-04 no contract start, HD-05 no renewal date,
    HD-06 no ARR: each account page renders and says "unknown" rather than NaN or a crash."""
    source = {"kind": "folder", "path": str(book_dir("missing_fields"))}
    for account in ("HD-01", "HD-02", "HD-03", "HD-04", "HD-05", "HD-06"):
        at = open_app("pages/csm/account.py", session={"source": source}, account=account)
        assert not at.exception, (account, [e.value for e in at.exception])
        shown = " ".join(str(m.value) for m in at.markdown)
        assert "nan" not in shown.lower().split(), account


def test_this_week_says_what_its_view_leaves_out():
    source = {"kind": "folder", "path": str(book_dir("events_after_usage"))}
    at = open_app(session={"source": source})
    shown = " ".join(str(i.value) for i in at.info).replace("\\", "")  # Markdown-escaped
    assert "Not in this view" in shown and "set the as-of date to 2026-11-12" in shown
    full = open_app(session={"source": {"kind": "folder", "path": str(book_dir("full"))}})
    assert not any("Not in this view" in str(i.value) for i in full.info)


def test_the_account_page_drafts_the_motion_this_week_ranked_it_by():
    from insight_engine.analysis.engine import analyze
    from insight_engine.book.loader import load_folder
    from tests.fixtures import TODAY

    source = {"kind": "folder", "path": str(book_dir("missing_fields"))}
    ranked = analyze(load_folder(book_dir("missing_fields"), today=TODAY), model_dir=None).ranked
    motion = ranked.set_index("account_id")["motion"]
    for account in ("HD-03", "HD-05"):  # several motions each; This week shows the ranked one
        at = open_app("pages/csm/account.py", session={"source": source}, account=account)
        assert at.radio(key="draft_motion").value == motion[account], account


def test_an_as_of_date_set_for_one_book_is_reset_when_other_data_loads():
    import datetime as dt

    source = {"kind": "folder", "path": str(book_dir("events_after_usage"))}
    at = open_app(session={"source": source})
    at.date_input(key="as_of_override").set_value(dt.date(2026, 11, 12)).run()
    assert "as of 12 nov 2026" in " ".join(c.value for c in at.caption).lower()
    at.session_state["source"] = {"kind": "folder", "path": str(book_dir("full"))}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.date_input(key="as_of_override").value is None
    assert "as of 31 oct 2026" in " ".join(c.value for c in at.caption).lower()
