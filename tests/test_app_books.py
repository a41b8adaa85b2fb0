"""Issue 13 in the real app: a team with no insight history, and a book loaded after the demo.

Every page opens (no exception, no error) on the hand-made ``no_history`` book, and after
switching from the demo book to another book no demo insight appears anywhere: the insight log
is the loaded book's own.
"""

from __future__ import annotations

import pytest

from insight_engine.book.book_key import folder_key
from tests.fixtures import book_dir
from tests.helpers import PAGES, open_app


def _folder(name: str) -> dict:
    return {"kind": "folder", "path": str(book_dir(name))}


def _text(at) -> str:
    """Everything a page shows as text and tables (for "is it there / not there" checks)."""
    parts = [
        str(e.value) for kind in ("markdown", "caption", "metric", "info") for e in at.get(kind)
    ]
    parts += [df.value.to_csv() for df in at.dataframe]
    return "\n".join(parts)


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("book", ["no_history", "no_outcomes"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_for_a_team_with_no_insight_history(page, book):
    """No insight at all, or insights sent and not one outcome recorded yet."""
    at = open_app(page, session={"source": _folder(book)})
    _ok(at)
    assert at.title


def test_a_log_without_outcomes_ranks_by_the_prior_and_says_so():
    at = open_app(session={"source": _folder("no_outcomes")})  # This week
    _ok(at)
    caption = " ".join(c.value for c in at.caption)
    assert "the insight log of this book has 0 insights with an outcome recorded" in caption
    table = at.dataframe[0].value
    assert len(table) and not (table["since_last_insight"] == "never").all()  # sent, unanswered

    at.switch_page("pages/library/insight_library.py").run()
    _ok(at)
    captions = [c.value for c in at.caption]
    assert "36 of 36 insights" in captions  # every one listed, none hidden for lack of outcome
    assert any(c.endswith("· Pending") for c in captions), captions  # the clicked one: no outcome
    assert any(c.startswith("No examples yet") for c in captions)


def test_no_history_reads_never_and_says_why_the_prior_ranks():
    at = open_app(session={"source": _folder("no_history")})  # This week
    _ok(at)
    table = at.dataframe[0].value
    assert len(table) and (table["since_last_insight"] == "never").all()
    assert not table["since_last_insight"].isna().any()
    caption = " ".join(c.value for c in at.caption)
    assert "the insight log of this book has 0 insights with an outcome recorded" in caption

    at.switch_page("pages/manager/team_cadence.py").run()
    _ok(at)
    untouched = next(df.value for df in at.dataframe if "since_last_insight" in df.value)
    assert (untouched["since_last_insight"] == "never").all()

    at.switch_page("pages/library/insight_library.py").run()
    _ok(at)
    assert any(c.value.startswith("0 of 0 insights") for c in at.caption)


def test_switching_from_the_demo_shows_only_the_new_books_insights():
    from insight_engine.book.loader import ensure_demo

    ensure_demo()
    at = open_app("pages/library/insight_library.py")  # the demo: its history is in the log
    _ok(at)
    demo_count = next(c.value for c in at.caption if " insights" in c.value)
    assert not demo_count.endswith(" of 0 insights")

    at.session_state["source"] = _folder("full")  # what Data & settings does on "use other data"
    at.run()
    _ok(at)
    assert any(c.value == "36 of 36 insights" for c in at.caption), [c.value for c in at.caption]
    assert "A-0" not in _text(at), "no demo account appears in the library"

    for page in PAGES:
        at.switch_page(page).run()
        _ok(at)
        assert "A-0" not in _text(at), page  # demo account ids look like A-00042
    shown = _text(at)  # Data & settings: the book's own log and the prior's reason
    assert folder_key(book_dir("full")) in shown.replace("\\", "")
    assert "the insight log of this book has 30 insights with an outcome recorded" in shown

    at.session_state["source"] = {"kind": "demo"}  # and back: the demo's log is still there
    at.switch_page("pages/library/insight_library.py").run()
    _ok(at)
    assert any(c.value == demo_count for c in at.caption)
