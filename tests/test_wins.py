"""Customer wins as value realised: the rules on tiny books, the demo and the hand-made fixture
books; the one-page summary (text and slide); and what an executive may see (named wins, never a
CSM), with the README's access table saying the same."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from insight_engine.outputs.wins import (
    KINDS,
    best_wins,
    by_kind_and_tier,
    complete_months,
    monthly_wins,
    story,
    value_realised,
    win_emails,
)
from insight_engine.outputs.wins_summary import summary, summary_pptx, summary_text
from tests.fixtures import TODAY, book_dir
from tests.helpers import AS_OF, open_app, tiny_book

STEADY = [100.0] * 12


def _with_peers(series, *, lower_is_better=False, **tables):
    book = tiny_book(
        {("A", "keywords_top10"): series, ("B", "keywords_top10"): [50.0] * 16}, **tables
    )
    if lower_is_better:
        book.metrics.loc[book.metrics["metric"] == "keywords_top10", "higher_is_better"] = False
    return book


@pytest.mark.parametrize(
    ("name", "series", "lower", "expected"),
    [
        ("a rise of 30%", STEADY + [130.0] * 4, False, "up 30% (100 → 130 keywords)"),
        ("a rise of 10% exactly", STEADY + [110.0] * 4, False, "up 10% (100 → 110 keywords)"),
        ("a rise of 5% is no win", STEADY + [105.0] * 4, False, None),
        ("one odd week is no win", [*STEADY, 100.0, 100.0, 100.0, 400.0], False, None),
        ("a fall where higher is better", STEADY + [70.0] * 4, False, None),
        ("a fall where lower is better", STEADY + [70.0] * 4, True, "down 30% (100 → 70 keywords)"),
        ("a rise where lower is better", STEADY + [130.0] * 4, True, None),
        ("nothing before", [0.0] * 12 + [50.0] * 4, False, None),
        ("too few readings at the start", [130.0] * 4, False, None),
    ],
)
def test_an_outcome_metric_counts_when_it_moved_the_better_way_by_10_percent(
    name, series, lower, expected
):
    got = value_realised(_with_peers(series, lower_is_better=lower))
    got = got.loc[(got["account_id"] == "A") & (got["kind"] == "outcome")]
    if expected is None:
        assert got.empty, name
    else:
        assert got["improvement"].tolist() == [f"Keywords ranked in the top 10 {expected}"], name
        assert got["when"].iloc[0] == "Sep → Nov 2026"  # the ends of the two 4-week windows


MILESTONE = pd.DataFrame(
    {
        "account_id": ["A"] * 4,
        "milestone": ["First Value", "Value Block 1", "30-day onboarding", "Value Block 0"],
        "kind": ["first_value", "value_block", "onboarding", "value_block"],
        "due_date": pd.to_datetime(["2026-11-20", "2026-10-01", "2026-11-01", "2026-01-01"]),
        "completed_date": pd.to_datetime(["2026-11-10", "2026-10-01", "2026-11-01", "2026-01-05"]),
    }
)


def test_milestones_count_first_value_and_value_blocks_completed_in_the_period():
    got = value_realised(_with_peers(STEADY + [100.0] * 4, milestones=MILESTONE))
    assert got[["what", "when", "improvement"]].values.tolist() == [
        ["First Value", "10 Nov 2026", "First Value reached (10 days early)"],
        ["Value Block 1", "1 Oct 2026", "Value Block 1 reached"],
    ]  # onboarding steps and a Value Block from January are not this quarter's wins


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([("2026-05-01", 7), ("2026-11-01", 10)], "Scored us 10 out of 10 (was 7)"),
        ([("2026-05-01", 9), ("2026-11-01", 10)], None),  # a promoter already
        ([("2026-11-01", 10)], None),  # no earlier answer to improve on
        ([("2026-05-01", 6), ("2026-07-01", 10)], None),  # before the period
        ([("2026-05-01", 6), ("2026-11-01", 8)], None),  # better, not a promoter
    ],
)
def test_a_new_promoter_is_a_win_only_from_a_lower_score_in_the_period(scores, expected):
    surveys = pd.DataFrame(
        {
            "account_id": "A",
            "date": pd.to_datetime([d for d, _ in scores]),
            "kind": "nps",
            "score": [float(s) for _, s in scores],
            "comment": None,
        }
    )
    got = value_realised(_with_peers(STEADY + [100.0] * 4, surveys=surveys))
    assert got["improvement"].tolist() == ([expected] if expected else [])


@pytest.fixture(scope="module")
def demo():
    from insight_engine.book.loader import load_demo

    return load_demo()


def test_on_the_demo_every_outcome_row_is_the_medians_of_the_usage(demo):
    got = value_realised(demo)
    assert set(got["kind"]) == set(KINDS)
    row = got.loc[got["kind"] == "outcome"].iloc[0]
    wk = demo.weekly
    series = wk.clean_values()[
        wk.account_ids.get_loc(row["account_id"]), :, wk.metrics.get_loc("keywords_top10")
    ]
    in_period = np.flatnonzero(wk.week_ends > demo.as_of - pd.Timedelta(days=90))
    assert row["before"] == pytest.approx(np.nanmedian(series[in_period[:4]]))
    assert row["after"] == pytest.approx(np.nanmedian(series[in_period[-4:]]))
    assert row["after"] >= 1.1 * row["before"]


def test_on_the_demo_the_aggregate_counts_each_customers_arr_once_per_row(demo):
    got = value_realised(demo)
    grid = by_kind_and_tier(got)
    assert set(grid["kind"]) == set(KINDS.values())
    one = got.loc[(got["kind"] == "milestone") & (got["tier"] == "Growth")]
    row = grid.loc[(grid["kind"] == KINDS["milestone"]) & (grid["tier"] == "Growth")].iloc[0]
    assert row["accounts"] == one["account_id"].nunique()
    assert row["arr"] == pytest.approx(one.drop_duplicates("account_id")["arr"].sum())
    assert grid["arr"].is_monotonic_decreasing


FIXTURES = {  # book -> the kinds of achievement its data holds in the 90 days to 31 Oct
    "full": {"milestone", "promoter"},  # 12 weeks of usage: too few for a quarter's comparison
    "no_history": {"milestone", "promoter"},  # no insight history: value is still read
    "odd_choices": {"milestone"},
    "snapshot": set(),  # one day of usage, no milestones, no surveys
}


@pytest.mark.parametrize(("name", "kinds"), FIXTURES.items(), ids=FIXTURES.keys())
def test_fixture_books_give_their_wins_in_words_without_nan_or_none(name, kinds):
    from insight_engine.book.loader import load_folder

    book = load_folder(book_dir(name), today=TODAY)
    got = value_realised(book)
    assert set(got["kind"]) == kinds
    text = " ".join(story(r) for _, r in got.iterrows())
    text += summary_text(summary(got, as_of=book.as_of, days=90, win_emails=0))
    for bad in ("nan", "None", "NaT", "<NA>", "1 days", "_"):
        assert bad not in text.replace("’", "'"), (name, bad, text)


def test_best_wins_are_one_per_customer_measured_results_first_then_largest_arr(demo):
    got = value_realised(demo)
    best = best_wins(got, n=10)
    assert best["account_id"].is_unique and best["arr"].is_monotonic_decreasing
    both = got.groupby("account_id")["kind"].agg(set)
    for _, r in best.iterrows():
        if "outcome" in both[r["account_id"]]:
            assert r["kind"] == "outcome"


@pytest.mark.parametrize(
    ("first", "as_of", "months", "span", "left_out"),
    [
        (
            "2025-11-22",
            "2026-11-20",
            12,
            ("2025-12", "2026-10"),
            ["November 2026", "November 2025"],
        ),
        ("2025-01-01", "2026-11-30", 12, ("2025-12", "2026-11"), []),  # as-of on a month's end
        ("2026-09-01", "2026-11-20", 12, ("2026-09", "2026-10"), ["November 2026"]),
        ("2026-11-02", "2026-11-20", 12, None, ["November 2026"]),  # not one whole month
    ],
)
def test_complete_months_leave_out_and_name_partial_first_and_last_months(
    first, as_of, months, span, left_out
):
    got, note = complete_months(pd.Timestamp(first), pd.Timestamp(as_of), months)
    if span is None:
        assert not len(got)
    else:
        assert (str(got[0]), str(got[-1])) == span
    for month in left_out:
        assert month in note
    assert bool(note) == bool(left_out)


def test_monthly_win_emails_count_complete_months_only():
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-09-15", "2026-10-01", "2026-10-31", "2026-11-19"]),
            "tier": ["Growth", "Growth", "Starter", "Growth"],
        }
    )
    got, note = monthly_wins(frame, as_of=AS_OF, first=pd.Timestamp("2026-09-10"))
    assert got.assign(month=got["month"].dt.strftime("%Y-%m")).values.tolist() == [
        ["2026-10", "Growth", 1],
        ["2026-10", "Starter", 1],
    ]
    assert "November 2026" in note and "September 2026" in note


def test_win_emails_are_counted_in_the_period_only():
    log = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-11-20", "2026-08-22", "2026-08-23", "2026-11-21"]),
            "motion": ["win", "win", "win", "win"],
        }
    )
    assert win_emails(log, as_of=AS_OF, days=90) == 2  # 22 Aug is 90 days back; 21 Nov is after
    assert win_emails(log.iloc[0:0], as_of=AS_OF) == 0


def test_the_one_page_summary_says_the_same_on_the_slide_and_in_text(demo):
    from pptx import Presentation

    got = value_realised(demo)
    page = summary(got, as_of=demo.as_of, days=90, win_emails=198)
    text = summary_text(page)
    assert page.headline.startswith(f"{got['account_id'].nunique():,} customers realised value")
    assert "Win emails sent by Customer Success in the same period: 198." in text
    deck = Presentation(io.BytesIO(summary_pptx(page)))
    assert len(deck.slides) == 1
    shapes = deck.slides[0].shapes
    on_slide = "\n".join(s.text_frame.text for s in shapes if s.has_text_frame)
    for line in [page.title, page.headline, *page.kinds, page.footnote]:
        assert line in on_slide
    for i, line in enumerate(page.wins, 1):
        assert f"{i}. {line}" in on_slide
    width, height = deck.slide_width, deck.slide_height
    for s in shapes:  # every box inside the slide
        assert s.left >= 0 and s.top >= 0 and s.left + s.width <= width
        assert s.top + s.height <= height
    csms = set(demo.accounts["csm"])
    assert not any(name in on_slide for name in csms)


# ---------------------------------------------------------------------------------------------
# What an executive sees: customers named next to their wins, never a CSM (README agrees)


def _shown(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "title", "metric") for e in at.get(kind)]
    parts += [df.value.to_csv() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


@pytest.fixture(scope="module")
def executive_page():
    return open_app("pages/executive/customer_wins.py", session={"local_role": "executive"})


def test_the_executive_page_leads_with_value_realised_and_names_emails_as_secondary(
    executive_page, demo
):
    at = executive_page
    labels = [m.label for m in at.metric]
    assert labels[0] == "Customers with a win"
    assert labels[-1] == "Win emails sent"  # the secondary figure, last, and its help says so
    assert "secondary" in at.metric[-1].help
    got = value_realised(demo)
    assert at.metric[0].value == f"{got['account_id'].nunique():,}"
    downloads = [b.label for b in at.get("download_button")]
    assert "Download one-page summary (PowerPoint)" in downloads
    assert re.fullmatch(r"\$[\d,]+(k|\.\dM)?", at.metric[1].value)  # no cents: $950, $24k, $11.3M


def test_an_executive_sees_customers_only_next_to_their_wins_and_no_csm(executive_page, demo):
    shown = _shown(executive_page)
    for name in set(demo.accounts["csm"]):
        assert name not in shown
    won = set(value_realised(demo)["account_id"]) | set(
        demo.insights.loc[demo.insights["motion"] == "win", "account_id"]
    )
    names = demo.accounts.set_index("account_id")["account_name"]
    not_won = set(names[~names.index.isin(won)])
    # names that are also part of a winner's name ("Heron Health" in "Heron Health Group") aside
    winners = " ".join(names[names.index.isin(won)])
    for name in not_won - {n for n in not_won if n in winners}:
        assert name not in shown, name


def test_the_readme_access_table_says_what_the_executive_page_does():
    from tests.conftest import ROOT

    section = (ROOT / "README.md").read_text().split("## Deploying for a team", 1)[1]
    row = next(line for line in section.splitlines() if line.startswith("| `executive`"))
    assert "named next to what they achieved" in row and "no CSM names" in row
    assert "no single account" not in row.replace("no single account's", "")


def test_the_win_emails_chart_names_emails_and_complete_months_only(demo):
    from insight_engine.outputs.chart import check_layout, check_visual_standard
    from insight_engine.outputs.wins import win_emails_chart

    wins = demo.insights.loc[demo.insights["motion"] == "win"].merge(
        demo.accounts[["account_id", "tier"]], on="account_id"
    )
    monthly, note = monthly_wins(wins, as_of=demo.as_of, first=demo.insights["date"].min())
    chart = win_emails_chart(monthly, note)
    assert chart.title.startswith(f"{int(monthly['wins'].sum()):,} win emails sent in 11 complete")
    assert "customer wins" not in chart.title.lower()
    assert not check_visual_standard(chart.spec) and not check_layout(chart.spec)
    months = list(dict.fromkeys(chart.data.sort_values("month")["label"]))
    assert months[0] == "Dec 2025" and months[-1] == "Oct 2026"  # Nov 2025 and Nov 2026: partial
    assert "November 2026 (to 20 Nov only)" in chart.caption


@pytest.mark.parametrize("name", ["no_history", "snapshot", "odd_choices"])
def test_the_executive_page_opens_on_fixture_books(name):
    at = open_app(
        "pages/executive/customer_wins.py",
        session={
            "local_role": "executive",
            "source": {"kind": "folder", "path": str(book_dir(name))},
        },
    )
    assert at.metric[0].label == "Customers with a win"
    shown = _shown(at)
    for bad in ("nan", "None", "NaT"):
        assert f" {bad} " not in shown and f",{bad}," not in shown, bad
