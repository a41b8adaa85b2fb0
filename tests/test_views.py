"""What This week shows, as pure functions: the ranked book table, its filters, why an account
ranks where it does, whose book the CSM box opens on, and the follow-ups due or overdue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight_engine import Settings, fmt
from insight_engine.analysis.engine import analyze
from insight_engine.book.loader import load_folder
from insight_engine.outputs.views import (
    RENEWAL_WINDOWS,
    book_table,
    default_csm,
    filter_book,
    follow_up_buckets,
    place_in_csm_book,
    tier_choices,
    why_it_ranks,
)
from tests.fixtures import TODAY, book_dir

AS_OF = pd.Timestamp("2026-11-20")


def _fixture(name: str):
    book = load_folder(book_dir(name), today=TODAY)
    return book, analyze(book, Settings(), model_dir=None)


# ---------------------------------------------------------------------------------------------
# The book table, on the demo book and on hand-made books


@pytest.fixture(scope="module")
def demo(demo_book):
    return demo_book, analyze(demo_book, Settings(), model_dir=None)


@pytest.mark.parametrize("name", ["demo", "full", "no_history", "snapshot", "missing_fields"])
def test_the_book_table_has_every_account_once_in_rank_order(name, request):
    book, analysis = request.getfixturevalue("demo") if name == "demo" else _fixture(name)
    table = book_table(book, analysis)
    assert sorted(table["account_id"]) == sorted(book.accounts["account_id"])
    ranked = table["rank"].dropna()
    assert list(ranked) == sorted(ranked) and ranked.iloc[0] == 1
    # the rank is the analysis's order, so row k is the k-th ranked account
    n = len(analysis.ranked)
    assert list(table["account_id"].head(n)) == list(analysis.ranked["account_id"])
    with_signal = table.loc[table["n_signals"] > 0]
    assert with_signal["headline"].notna().all() and (with_signal["headline"] != "").all()
    # days to renewal: the renewal date less the as-of date, unknown when the date is blank
    renewal = pd.to_datetime(table["renewal_date"])
    known = renewal.notna()
    expected = (renewal[known] - book.as_of).dt.days
    assert table.loc[known, "days_to_renewal"].astype(int).tolist() == expected.tolist()
    assert table.loc[~known, "days_to_renewal"].isna().all()


@pytest.mark.parametrize("name", ["full", "no_history", "missing_fields"])
def test_the_last_insight_is_the_latest_logged_on_or_before_as_of(name):
    book, analysis = _fixture(name)
    table = book_table(book, analysis).set_index("account_id")
    log = book.insights.loc[pd.to_datetime(book.insights["date"]) <= book.as_of]
    latest = pd.to_datetime(log["date"]).groupby(log["account_id"]).max()
    for account_id, row in table.iterrows():
        if account_id in latest.index:
            assert row["last_insight"] == latest[account_id]
            assert row["days_since_insight"] == (book.as_of - latest[account_id]).days
        else:
            assert pd.isna(row["last_insight"]) and row["since_last_insight"] == "never"
    if name == "no_history":
        assert (table["since_last_insight"] == "never").all()


def test_a_blank_renewal_date_is_unknown_not_nan_text():
    book, analysis = _fixture("missing_fields")
    table = book_table(book, analysis)
    blank = table.loc[table["renewal_date"].isna()]
    assert len(blank), "missing_fields has an account with no renewal date"
    assert blank["days_to_renewal"].isna().all()
    assert str(table["days_to_renewal"].dtype) == "Int64"


# ---------------------------------------------------------------------------------------------
# Why it ranks here


@pytest.mark.parametrize(
    ("reasons", "headline", "expected"),
    [
        (["Health 39/100", "renewal in 9 days", "never sent one"], "Health 39/100",
         "renewal in 9 days · never sent one"),
        (["Health 39/100"], "Health 39/100", "—"),
        ([], "x", "—"),
        (None, None, "—"),
        (np.array(["a", "b"]), "b", "a"),
    ],
)  # fmt: skip
def test_why_it_ranks_leaves_out_the_headline(reasons, headline, expected):
    out = why_it_ranks(pd.Series([reasons], dtype=object), pd.Series([headline], dtype=object))
    assert out.tolist() == [expected]


# ---------------------------------------------------------------------------------------------
# The filters

BOOK = pd.DataFrame(
    {
        "account_id": ["A", "B", "C", "D", "E"],
        "motion": ["risk", "win", "feature", "risk", None],
        "tier": ["Growth", "Enterprise", "Starter", "Growth", "Growth"],
        "days_to_renewal": pd.array([10, 45, 100, -3, pd.NA], dtype="Int64"),
        "days_since_insight": pd.array([5, pd.NA, 40, 90, 0], dtype="Int64"),
    }
)


@pytest.mark.parametrize(
    ("filters", "kept"),
    [
        ({}, "ABCDE"),
        ({"motions": ["risk"]}, "AD"),
        ({"motions": ["risk", "win"], "tiers": ["Growth"]}, "AD"),
        ({"tiers": ["Enterprise", "Starter"]}, "BC"),
        ({"renewal": "Within 30 days"}, "A"),  # passed (-3) and unknown renewals are left out
        ({"renewal": "Within 120 days"}, "ABC"),
        ({"renewal": "Any time"}, "ABCDE"),
        ({"quiet_days": 30}, "BCD"),  # never sent one (B) counts as quiet
        ({"quiet_days": 5}, "ABCD"),
        ({"motions": ["risk"], "quiet_days": 30, "renewal": "Within 90 days"}, ""),
    ],
)
def test_filters_keep_the_right_accounts(filters, kept):
    assert "".join(filter_book(BOOK, **filters)["account_id"]) == kept


@pytest.mark.parametrize(
    ("tiers", "expected"),
    [
        (["Starter", "Growth", "Enterprise", "Growth"], ["Enterprise", "Growth", "Starter"]),
        (["Growth", None, "", "Strategic"], ["Growth", "Strategic"]),  # a tier of the team's own
        ([None], []),
    ],
)
def test_the_tier_filter_offers_the_tiers_the_book_has(tiers, expected):
    assert tier_choices(pd.Series(tiers, dtype=object)) == expected


def test_every_renewal_choice_is_a_filter():
    for label in RENEWAL_WINDOWS:
        filter_book(BOOK, renewal=label)  # no choice the page offers is unknown here


# ---------------------------------------------------------------------------------------------
# Whose book the CSM box opens on

TEAM = ["Aisha Novak", "Diego Ivanova", "Priya Shah"]


@pytest.mark.parametrize(
    ("csms", "kwargs", "expected"),
    [
        # View as switched from CSM Aisha to CSM Priya: the box must follow (it kept Aisha)
        (["Priya Shah"], {"current": "Aisha Novak", "own": "Priya Shah"}, "Priya Shah"),
        # a signed-in CSM sees their own name
        (["Priya Shah"], {"own": "Priya Shah"}, "Priya Shah"),
        # a manager: the first of the team, unless they picked one (kept across pages)
        (TEAM, {}, "Aisha Novak"),
        (TEAM, {"current": "Priya Shah"}, "Priya Shah"),
        # a manager's drill-down link opens that CSM's book over their last pick
        (TEAM, {"wanted": "Priya Shah", "current": "Diego Ivanova"}, "Priya Shah"),
        # a link to someone outside the view, or a pick from another team, is ignored
        (TEAM, {"wanted": "Tom Bennett", "current": "Kenji Walsh"}, "Aisha Novak"),
        (TEAM, {"wanted": "Tom Bennett", "current": "Diego Ivanova"}, "Diego Ivanova"),
        ([], {"own": "Priya Shah"}, None),
    ],
)
def test_the_csm_box_opens_on_the_viewer(csms, kwargs, expected):
    assert default_csm(csms, **kwargs) == expected


# ---------------------------------------------------------------------------------------------
# Follow-ups due this week and overdue


def _follow(*rows):
    return pd.DataFrame(
        rows, columns=["id", "kind", "due_on", "account_id", "motion", "one_liner"]
    ).assign(due_on=lambda f: pd.to_datetime(f["due_on"]))


FOLLOW = _follow(
    (1, "mitigation", "2026-11-17", "A-1", "risk", "Health fell"),
    (2, "alignment_meeting", "2026-11-20", "A-2", "win", "A win"),
    (3, "task", "2026-11-21", "A-1", "risk", "Health fell"),
    (4, "enablement", "2026-11-27", "A-3", "feature", "Try filters"),
    (5, "task", "2026-11-28", "A-3", "feature", "Try filters"),
    (6, "task", None, "A-2", "win", "A win"),
    (7, "qbr_slide", "2026-11-19", "A-9", "win", "Not in the names"),  # a kind from elsewhere
)


@pytest.mark.parametrize(
    ("frame", "ids", "when"),
    [
        (
            FOLLOW,
            [1, 7, 2, 3, 4],
            ["3 days overdue", "1 day overdue", "due today", "due in 1 day", "due in 7 days"],
        ),
        (FOLLOW.iloc[[5]], [], []),  # no due date: in neither bucket
        (FOLLOW.iloc[0:0], [], []),
        (pd.concat([FOLLOW.iloc[[0]], FOLLOW.iloc[[0]]]), [1], ["3 days overdue"]),
    ],
)
def test_follow_ups_due_this_week_and_overdue(frame, ids, when):
    out = follow_up_buckets(frame, AS_OF, names={"A-1": "Acme", "A-2": "Brio", "A-3": "Cato"})
    assert out["id"].tolist() == ids
    assert out["when"].tolist() == when
    assert out["overdue"].tolist() == [w.endswith("overdue") for w in when]


def test_follow_ups_say_the_account_and_what_to_do_in_words():
    out = follow_up_buckets(FOLLOW, AS_OF, names={"A-1": "Acme", "A-2": "Brio"}).set_index("id")
    assert out.at[1, "account"] == "Acme"
    assert out.at[7, "account"] == "A-9", "an account missing from the names shows its id"
    assert out.at[2, "what"] == "Add to the next Alignment Meeting"
    assert out.at[7, "what"] == "Qbr slide", "a kind Rudder has no words for, without the key's _"
    assert not out["what"].str.contains("_").any(), out["what"].tolist()


# ---------------------------------------------------------------------------------------------
# Counting words


@pytest.mark.parametrize(
    ("n", "word", "many", "expected"),
    [
        (1, "day", None, "1 day"),
        (0, "day", None, "0 days"),
        (2, "day", None, "2 days"),
        (1200, "day", None, "1,200 days"),
        (-1, "day", None, "-1 day"),
        (1, "reply", "replies", "1 reply"),
        (3, "reply", "replies", "3 replies"),
    ],
)
def test_plural(n, word, many, expected):
    assert fmt.plural(n, word, many) == expected


# ---------------------------------------------------------------------------------------------
# The page, in AppTest: the CSM box follows the viewer, a cell opens its row or its account


@pytest.fixture(scope="module")
def demo_accounts():
    from insight_engine.book.loader import ensure_demo

    return pd.read_csv(ensure_demo() / "accounts.csv")


def _this_week(**session):
    from tests.helpers import open_app

    return open_app("pages/csm/this_week.py", session=session)


def test_view_as_a_csm_shows_that_csm_and_follows_a_change(demo_accounts):
    first, second = sorted(demo_accounts["csm"].unique())[:2]
    at = _this_week(local_role="csm", local_csm=second)
    box = at.selectbox(key="csm")
    assert (box.value, box.options, box.disabled) == (second, [second], True)
    at.sidebar.selectbox(key="local_csm").set_value(first).run()
    assert at.selectbox(key="csm").value == first
    shown = set(at.dataframe[0].value["account_id"])
    assert shown == set(demo_accounts.loc[demo_accounts["csm"] == first, "account_id"])


def test_a_manager_starts_on_their_first_csm_and_keeps_a_pick_across_pages(demo_accounts):
    team = sorted(demo_accounts["manager"].unique())[0]
    csms = sorted(demo_accounts.loc[demo_accounts["manager"] == team, "csm"].unique())
    assert len(csms) >= 2
    at = _this_week(local_role="manager", local_team=team)
    assert at.selectbox(key="csm").options == csms
    assert at.selectbox(key="csm").value == csms[0]
    at.selectbox(key="csm").set_value(csms[1]).run()
    top = at.dataframe[0].value.iloc[0]
    assert top["go"] == "Open account ›"
    # a click on the first column opens that account (same session, so the role is kept)
    at.session_state["book_pick"] = {"selection": {"rows": [], "columns": [], "cells": [[0, "go"]]}}
    at.run()
    assert not at.exception
    assert at.selectbox(key="account_pick").value == top["account_id"]
    assert at.session_state["local_role"] == "manager"
    at.switch_page("pages/csm/this_week.py").run()
    assert at.selectbox(key="csm").value == csms[1], "the manager's pick is kept"


def test_a_cell_other_than_open_shows_the_row_in_full():
    at = _this_week()
    top = at.dataframe[0].value.iloc[0]
    at.session_state["book_pick"] = {
        "selection": {"rows": [], "columns": [], "cells": [[0, "account_name"]]}
    }
    at.run()
    shown = " ".join(m.value for m in at.markdown)
    assert "Why it ranks here:" in shown and top["why"] in shown
    assert at.title[0].value == "This week", "only the Open column leaves the page"


@pytest.mark.parametrize("name", ["missing_fields", "no_history", "snapshot"])
def test_this_week_on_hand_made_books_says_nothing_raw(name):
    at = _this_week(source={"kind": "folder", "path": str(book_dir(name))})
    assert not at.error, [e.value for e in at.error]
    shown = at.dataframe[0].value
    assert len(shown) and (shown["go"] == "Open account ›").all()
    words = shown[["motion_label", "headline", "why", "since_last_insight"]].astype(str)
    for raw in ("nan", "None", "<NA>", "_"):
        assert not words.apply(lambda c, r=raw: c.str.contains(r, regex=False)).any().any(), raw
    text = " ".join(str(c.value) for c in [*at.caption, *at.markdown, *at.metric])
    assert " 1 days" not in text and " 1 accounts" not in text
    assert any("Nothing overdue or due" in c.value for c in at.caption), "empty follow-ups say so"


def test_choices_stay_when_the_person_comes_back_to_a_page():
    from tests.helpers import open_app

    source = {"kind": "folder", "path": str(book_dir("full"))}
    at = open_app("pages/csm/this_week.py", session={"source": source})
    at.multiselect(key="f_motion").set_value(["win"]).run()
    shown = at.dataframe[0].value
    at.switch_page("pages/csm/account.py")
    at.query_params["account"] = "HD-04"
    at.run()
    assert at.selectbox(key="account_pick").value == "HD-04"
    at.query_params.clear()
    at.switch_page("pages/csm/this_week.py").run()
    assert at.multiselect(key="f_motion").value == ["win"]
    assert len(at.dataframe[0].value) == len(shown)
    at.switch_page("pages/csm/account.py").run()  # from the sidebar: no account in the URL
    assert at.selectbox(key="account_pick").value == "HD-04"


# ---------------------------------------------------------------------------------------------
# One date format on the pages (#16): "2 Jan 2026", from fmt.day in text and DAY_FORMAT in tables

DATE_PAGES = [
    "pages/csm/this_week.py",
    "pages/library/insight_library.py",
    "pages/manager/team_cadence.py",
    "pages/executive/customer_wins.py",
]


@pytest.mark.parametrize("path", DATE_PAGES)
def test_a_page_shows_dates_in_the_one_format(path):
    import re

    from tests.conftest import ROOT

    source = (ROOT / path).read_text()
    columns = re.findall(r"DateColumn\(([^)]*)\)", source)
    assert all("DAY_FORMAT" in c for c in columns), columns  # not "2026-11-18" nor a second rule
    by_hand = re.search(r"%[AbBYm]|%d %", source)  # strftime's day, month, year ("%d" is a number)
    assert not by_hand, f"a date written by hand ({by_hand.group()}): use fmt.day"


@pytest.mark.parametrize(
    ("value", "text"),
    [("2026-11-03", "3 Nov 2026"), (pd.Timestamp("2026-11-20 13:00"), "20 Nov 2026")],
)
def test_the_one_date_format_matches_the_tables(value, text):
    assert fmt.day(value) == text
    assert fmt.DAY_FORMAT == "D MMM YYYY"  # the grid's moment.js spelling of the same


_TABLE = pd.DataFrame(
    {
        "account_id": ["A", "B", "C", "D", "E"],
        "csm": ["Priya", "Diego", "Priya", "Priya", "Diego"],
        "rank": [3, 1, 7, np.nan, 2],
    }
)


@pytest.mark.parametrize(
    ("account_id", "expected"),
    [
        ("A", (1, 2)),  # #3 in the whole book, first of Priya's two ranked accounts
        ("C", (2, 2)),
        ("B", (1, 2)),
        ("E", (2, 2)),
        ("D", None),  # unranked
        ("Z", None),  # not in the book
    ],
)
def test_place_in_csm_book(account_id, expected):
    assert place_in_csm_book(_TABLE, account_id) == expected
