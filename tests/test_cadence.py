"""Cadence, coverage, mix and landed rate on small hand-built logs."""

from __future__ import annotations

import pandas as pd
import pytest

from insight_engine.analysis.cadence import (
    coverage,
    landed_rate,
    last_insight,
    mix,
    needs_help,
    per_csm_week,
    quietest,
    reach_and_count,
    since_label,
    team_weekly,
    untouched,
    untouched_opportunities,
    week_end_of,
    weekly_counts,
)

AS_OF = pd.Timestamp("2026-11-20")


def log(rows):
    return pd.DataFrame(rows, columns=["account_id", "csm", "date", "motion", "outcome"]).assign(
        date=lambda f: pd.to_datetime(f["date"])
    )


ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["A", "B", "C", "D"],
        "account_name": ["a", "b", "c", "d"],
        "csm": ["Ana", "Ana", "Bo", "Bo"],
        "tier": "Growth",
        "arr": [1.0, 2.0, 3.0, 4.0],
    }
)
LOG = log(
    [
        ("A", "Ana", "2026-11-20", "win", "landed"),
        ("A", "Ana", "2026-11-14", "feature", "no_response"),
        ("B", "Ana", "2026-11-13", "win", None),
        ("C", "Bo", "2026-09-01", "risk", "pushed_back"),
        ("C", "Bo", "2026-11-19", "risk", "landed"),
    ]
)


@pytest.mark.parametrize(
    ("date", "week_end"),
    [
        ("2026-11-20", "2026-11-20"),
        ("2026-11-14", "2026-11-20"),
        ("2026-11-13", "2026-11-13"),
        ("2026-11-07", "2026-11-13"),
    ],
)
def test_weeks_end_on_the_as_of_date(date, week_end):
    assert week_end_of(pd.Series([pd.Timestamp(date)]), AS_OF).iloc[0] == pd.Timestamp(week_end)


def test_weekly_counts_by_csm_week_and_motion():
    counts = weekly_counts(LOG, as_of=AS_OF, weeks=2)
    got = {(r.csm, f"{r.week_end:%m-%d}", r.motion): r.insights for r in counts.itertuples()}
    assert got == {
        ("Ana", "11-20", "win"): 1,
        ("Ana", "11-20", "feature"): 1,
        ("Ana", "11-13", "win"): 1,
        ("Bo", "11-20", "risk"): 1,
    }


@pytest.mark.parametrize(("per_month", "target"), [(1.0, 0.9), (2.0, 1.8), (0.5, 0.5)])
def test_team_weekly_against_the_target(per_month, target):
    weekly = team_weekly(LOG, as_of=AS_OF, weeks=3, n_accounts=4, per_account_per_month=per_month)
    assert list(weekly["insights"]) == [0, 1, 3]
    assert weekly["target"].iloc[0] == pytest.approx(target, abs=0.05)


@pytest.mark.parametrize(
    ("days", "expected"),
    [(30, {"Ana": 1.0, "Bo": 0.5}), (3, {"Ana": 0.5, "Bo": 0.5}), (100, {"Ana": 1.0, "Bo": 0.5})],
)
def test_coverage(days, expected):
    cov = coverage(LOG, ACCOUNTS, as_of=AS_OF, days=days).set_index("csm")["coverage"].to_dict()
    assert cov == expected


def test_untouched_lists_never_and_long_ago_longest_first():
    out = untouched(LOG, ACCOUNTS, as_of=AS_OF, days=5)
    assert list(out["account_id"]) == ["D", "B"]  # D never, B 7 days ago
    assert out["days_since_insight"].isna().iloc[0] and out["days_since_insight"].iloc[1] == 7


def test_mix_per_csm():
    m = mix(LOG).set_index("csm")
    assert m.loc["Ana", "win"] == 2 and m.loc["Ana", "feature"] == 1 and m.loc["Bo", "risk"] == 2
    assert m.loc["Ana", "total"] == 3


@pytest.mark.parametrize(
    ("by", "expected"),
    [("csm", {"Ana": 0.5, "Bo": 0.5}), ("motion", {"win": 1.0, "feature": 0.0, "risk": 0.5})],
)
def test_landed_rate_ignores_pending(by, expected):
    rates = landed_rate(LOG, by).set_index(by)["landed_rate"].to_dict()
    assert rates == expected


def test_empty_log():
    empty = LOG.iloc[0:0]
    assert weekly_counts(empty, as_of=AS_OF).empty and landed_rate(empty, "csm").empty
    assert (
        team_weekly(empty, as_of=AS_OF, weeks=2, n_accounts=4, per_account_per_month=1)[
            "insights"
        ].sum()
        == 0
    )


# ---------------------------------------------------------------------------------------------
# A team with no insight history: every function works, and "never" reads "never"


def _header_only():  # insights.csv with a header and no rows, as the loader or the store gives it
    from insight_engine.book.loader import load_folder
    from tests.fixtures import TODAY, book_dir

    return load_folder(book_dir("no_history"), today=TODAY).insights


EMPTY_LOGS = {
    "no rows, typed": lambda: LOG.iloc[0:0],
    "header only (object columns)": lambda: pd.DataFrame(
        columns=["account_id", "csm", "date", "motion", "outcome"]
    ),
    "header-only insights.csv": _header_only,
}


@pytest.mark.parametrize("make", EMPTY_LOGS.values(), ids=EMPTY_LOGS.keys())
def test_every_cadence_function_works_on_an_empty_log(make):
    empty = make()
    assert weekly_counts(empty, as_of=AS_OF).empty
    weekly = team_weekly(empty, as_of=AS_OF, weeks=2, n_accounts=4, per_account_per_month=1)
    assert list(weekly["insights"]) == [0, 0]
    cov = coverage(empty, ACCOUNTS, as_of=AS_OF)
    assert cov.set_index("csm")["coverage"].to_dict() == {"Ana": 0.0, "Bo": 0.0}
    never = untouched(empty, ACCOUNTS, as_of=AS_OF)
    assert list(never["account_id"]) == ["A", "B", "C", "D"]
    assert never["days_since_insight"].isna().all()
    assert (never["since_last_insight"] == "never").all()
    assert mix(empty).empty and landed_rate(empty, "csm").empty
    ranked = pd.DataFrame({"account_id": list("ABCD"), "score": [9.0, 8.0, 7.0, 6.0]})
    assert list(untouched_opportunities(ranked, empty, as_of=AS_OF)["account_id"]) == ["A"]
    last = last_insight(empty, ACCOUNTS["account_id"], as_of=AS_OF)
    assert last["last_insight"].isna().all() and (last["since_last_insight"] == "never").all()


@pytest.mark.parametrize(
    ("account", "last", "days", "words"),
    [
        ("A", "2026-11-20", 0, "today"),  # the as-of day itself
        ("B", "2026-11-13", 7, "7 days ago"),
        ("C", "2026-11-19", 1, "1 day ago"),  # the 2026-09-01 one is older
        ("D", None, None, "never"),  # never received one
        ("Z", None, None, "never"),  # not in the log at all
    ],
)
def test_last_insight_is_the_one_rule_for_days_since(account, last, days, words):
    got = last_insight(LOG, ["A", "B", "C", "D", "Z"], as_of=AS_OF).loc[account]
    assert (pd.isna(got["last_insight"]) and last is None) or got["last_insight"] == pd.Timestamp(
        last
    )
    assert (pd.isna(got["days_since_insight"]) and days is None) or got[
        "days_since_insight"
    ] == days
    assert got["since_last_insight"] == words


def test_insights_after_the_as_of_date_do_not_count():
    earlier = AS_OF - pd.Timedelta(days=3)  # A's 11-20 insight is in the future then
    got = last_insight(LOG, ["A", "B"], as_of=earlier)
    assert list(got["days_since_insight"]) == [3, 4]
    assert list(got["since_last_insight"]) == ["3 days ago", "4 days ago"]


@pytest.mark.parametrize(
    ("days", "words"),
    [(0, "today"), (1, "1 day ago"), (2, "2 days ago"), (45.0, "45 days ago"), (None, "never")],
)
def test_since_label(days, words):
    assert since_label(pd.Series([days], dtype="Float64")).iloc[0] == words


@pytest.mark.parametrize(
    ("share", "days", "expected"),
    [
        (0.5, 30, ["D"]),  # top two: A (today), D (never)
        (1.0, 30, ["D"]),  # C 1 day, B 7 days: touched
        (1.0, 5, ["D", "B"]),  # B at 7 days is now untouched; rank order
        (0.1, 30, []),  # at least one account: A, touched today
    ],
)
def test_untouched_opportunities_in_rank_order(share, days, expected):
    ranked = pd.DataFrame({"account_id": ["A", "D", "B", "C"], "score": [9.0, 8.0, 7.0, 6.0]})
    out = untouched_opportunities(ranked, LOG, as_of=AS_OF, days=days, share=share)
    assert list(out["account_id"]) == expected
    assert (out.loc[out["account_id"] == "D", "since_last_insight"] == "never").all()


# ---------------------------------------------------------------------------------------------
# A manager's Monday: every CSM a named row, the quietest named, and who needs help this week


def test_per_csm_week_has_a_zero_row_for_every_csm_and_week():
    got = per_csm_week(LOG, ["Ana", "Bo", "Cy"], as_of=AS_OF, weeks=2)
    table = got.pivot(index="csm", columns="week_end", values="insights")
    assert table.values.tolist() == [[1, 2], [0, 1], [0, 0]]  # Cy sent none: still a row
    assert quietest(got) == {"csm": "Cy", "insights": 0, "median": 1.0, "csms": 3}


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        ({"Ana": 3, "Bo": 1}, "Bo"),
        ({"Ana": 1, "Bo": 1}, "Ana"),  # a tie: the first by name, as the heatmap's orange row
        ({"Zed": 0, "Ana": 5}, "Zed"),
    ],
)
def test_quietest_is_the_fewest_insights(totals, expected):
    per_week = pd.DataFrame(
        {"csm": list(totals), "week_end": AS_OF, "insights": list(totals.values())}
    )
    assert quietest(per_week)["csm"] == expected
    assert quietest(per_week.iloc[0:0]) is None


@pytest.mark.parametrize(
    ("totals", "covered", "expected"),
    [
        (  # the fewest sent and the least reached are two people: both named, apart
            {"Ana": 9, "Bo": 2},
            {"Ana": (1, 10), "Bo": (4, 5)},
            [
                "Fewest insights sent: Bo · 2 insights in 12 weeks (the team's median is 5.5 "
                "per CSM; outlined in orange below).",
                "Least of their book reached: Ana · 10% (1 of 10 accounts got an insight in the "
                "last 30 days; see Coverage below).",
            ],
        ),
        (  # the same person: said once as "also"
            {"Ana": 1, "Bo": 6},
            {"Ana": (0, 3), "Bo": (2, 2)},
            [
                "Fewest insights sent: Ana · 1 insight in 12 weeks (the team's median is 3.5 per "
                "CSM; outlined in orange below).",
                "Also the least of their book reached: Ana · 0% (0 of 3 accounts got an insight "
                "in the last 30 days; see Coverage below).",
            ],
        ),
        ({}, {}, []),  # no CSM in view
    ],
)
def test_reach_and_count_name_two_different_numbers(totals, covered, expected):
    per_week = pd.DataFrame(
        {"csm": list(totals), "week_end": AS_OF, "insights": list(totals.values())}
    )
    cov = pd.DataFrame(
        [(c, n, k, k / n) for c, (k, n) in covered.items()],
        columns=["csm", "accounts", "covered", "coverage"],
    ).sort_values("coverage", kind="stable")
    got = reach_and_count(quietest(per_week), cov, weeks=12)
    assert [f"{lead} · {rest}" for lead, rest in got] == expected


TEAM = pd.DataFrame(
    {
        "account_id": ["A", "B", "C", "D", "E"],
        "account_name": ["Alder", "Birch", "Cedar", "Dogwood", "Elm"],
        "csm": ["Ana", "Ana", "Bo", "Bo", "Cy"],
    }
)
HELP_LOG = pd.DataFrame(
    {
        "account_id": ["A", "B", "C", "D"],
        "date": pd.to_datetime(["2026-11-18", "2026-11-01", "2026-10-01", "2026-11-15"]),
        "motion": ["win", "risk", "feature", "feature"],
        "follow_up": [None, None, None, "mitigation"],
    }
)
RANKED = pd.DataFrame({"account_id": ["C", "A", "E", "B", "D"]})


def _signals(*rows):
    return pd.DataFrame(list(rows), columns=["account_id", "motion"])


@pytest.mark.parametrize(
    ("case", "signals", "overdue", "expected"),
    [
        (
            "nothing behind but Cy, who never sent one",
            _signals(),
            [],
            [("Cy", "No insight sent yet", 1, "Start with Elm")],
        ),
        (
            "a risk mitigated in 30 days (B by a risk insight, D by a mitigation) is not behind",
            _signals(("B", "risk"), ("D", "risk"), ("C", "risk")),
            [],
            [
                ("Bo", "Risks without a logged mitigation", 1, "Cedar"),
                ("Cy", "No insight sent yet", 1, "Start with Elm"),
            ],
        ),
        (
            "stalled and overdue, the CSM with most accounts behind first",
            _signals(("A", "stall"), ("B", "stall"), ("E", "stall")),
            ["A", "A", "C"],
            [
                ("Ana", "Overdue follow-ups", 1, "Alder"),
                ("Ana", "Stalled accounts", 2, "Alder, Birch"),
                ("Cy", "No insight sent yet", 1, "Start with Elm"),
                ("Cy", "Stalled accounts", 1, "Elm"),
                ("Bo", "Overdue follow-ups", 1, "Cedar"),
            ],
        ),
    ],
)
def test_who_needs_help_this_week(case, signals, overdue, expected):
    got = needs_help(
        TEAM,
        HELP_LOG,
        signals,
        RANKED.iloc[0:0],  # no top-decile opportunities here: tested below
        pd.DataFrame({"account_id": overdue}),
        as_of=AS_OF,
    )
    assert [tuple(r) for r in got[["csm", "behind", "count", "accounts"]].values] == expected, case
    assert got["next_step"].str.len().gt(10).all()


def test_a_csm_quiet_for_14_days_and_an_untouched_top_opportunity_are_behind():
    quiet_log = HELP_LOG.assign(date=HELP_LOG["date"] - pd.Timedelta(days=20))
    got = needs_help(
        TEAM,
        quiet_log,
        _signals(),
        RANKED,
        pd.DataFrame({"account_id": []}),
        as_of=AS_OF,
        share=0.2,
    )
    rows = {(r.csm, r.behind): r for r in got.itertuples()}
    assert rows[("Ana", "No insight sent in 22 days")].accounts == "Start with Alder, Birch"
    assert rows[("Bo", "No insight sent in 25 days")].next_step.endswith("to Cedar")
    top = rows[("Bo", "Top-decile opportunities untouched for 30+ days")]
    assert top.accounts == "Cedar" and top.count == 1  # C ranks first; last insight 50 days ago


def test_who_needs_help_lists_five_names_then_how_many_more():
    many = pd.DataFrame(
        {"account_id": list("ABCDEFG"), "account_name": list("abcdefg"), "csm": "Ana"}
    )
    got = needs_help(
        many,
        HELP_LOG,
        _signals(*[(a, "stall") for a in "ABCDEFG"]),
        RANKED.iloc[0:0],
        pd.DataFrame({"account_id": []}),
        as_of=AS_OF,
    )
    stalled = got.loc[got["behind"] == "Stalled accounts"].iloc[0]
    assert stalled["accounts"] == "a, b, c, d, e and 2 more" and stalled["count"] == 7


@pytest.mark.parametrize("make", EMPTY_LOGS.values(), ids=EMPTY_LOGS.keys())
def test_who_needs_help_on_an_empty_history_says_every_csm_has_sent_none(make):
    got = needs_help(
        TEAM, make(), _signals(), RANKED, pd.DataFrame({"account_id": []}), as_of=AS_OF
    )
    quiet = got.loc[got["behind"] == "No insight sent yet"]
    assert sorted(quiet["csm"]) == ["Ana", "Bo", "Cy"]
    assert not got.astype(str).apply(lambda c: c.str.contains("nan|None|NaT")).any().any()


# ---------------------------------------------------------------------------------------------
# The page, as a manager, on the demo book and on a team with no history


def _manager(**session):
    from tests.helpers import open_app

    return open_app("pages/manager/team_cadence.py", session={"local_role": "manager", **session})


def _cells(at) -> str:
    return "\n".join(df.value.to_csv() for df in at.dataframe)


@pytest.fixture(scope="module")
def manager_page():
    return _manager(local_team="Ruth Dubois")


def test_the_manager_page_opens_on_who_needs_help_with_names_and_plain_labels(manager_page):
    import re

    from insight_engine.book.loader import ensure_demo

    at = manager_page
    accounts = pd.read_csv(ensure_demo() / "accounts.csv")
    team = set(accounts.loc[accounts["manager"] == "Ruth Dubois", "csm"])
    first = at.table[0].value  # a static table: long names and next steps wrap
    assert list(first.columns) == [
        "CSM",
        "What is behind (accounts)",
        "Next step",
        "Which accounts",
    ]
    assert set(first["CSM"]) <= team and len(first)
    assert at.get("subheader")[0].value == "Who needs help this week"
    quiet = next(m.value for m in at.markdown if m.value.startswith("**Fewest insights sent"))
    assert any(name in quiet for name in team)
    cells = _cells(at) + at.table[0].value.to_csv()
    for raw in ("better_practice", "no_response", "pushed_back", "None", "nan"):
        assert not re.search(rf"(^|,){raw}(,|$)", cells, re.M), raw
    for df in at.dataframe:  # every table about people says whose
        cols = list(df.value.columns)
        if {"account", "account_name"} & set(cols):
            assert "csm" in cols, cols


def test_a_team_with_no_history_gets_every_table_and_who_has_sent_none():
    from tests.fixtures import book_dir

    at = _manager(source={"kind": "folder", "path": str(book_dir("no_history"))})
    first = at.table[0].value
    assert "No insight sent yet" in set(first["What is behind (accounts)"])
    assert any("has logged an insight" in m.value for m in at.markdown)


def test_who_needs_help_shows_hostile_names_as_text(tmp_path, monkeypatch):
    """The table is a static Markdown table (it wraps): every cell is made inert first."""
    from tests.helpers import open_app
    from tests.hostile import PAYLOADS, write_hostile_book

    folder = write_hostile_book(tmp_path / "hostile")
    monkeypatch.setenv("RUDDER_DB_URL", f"sqlite:///{tmp_path / 'hostile-log.db'}")
    at = open_app(
        "pages/manager/team_cadence.py", session={"source": {"kind": "folder", "path": str(folder)}}
    )
    cells = at.table[0].value.to_csv()
    assert len(at.table[0].value) and "Acme" in cells
    for name, payload in PAYLOADS.items():
        assert payload not in cells, name


def test_the_alignment_meeting_pack_is_built_for_one_customer(tmp_path, monkeypatch):
    """Several customers flagged: the manager picks one, and the deck is that customer's only
    (a pack for several raised PackError, the page's old default took three)."""
    import datetime as dt
    import shutil

    from insight_engine.book.loader import load_folder
    from insight_engine.log.store import InsightStore, NewInsight
    from tests.fixtures import TODAY, book_dir
    from tests.helpers import open_app

    folder = tmp_path / "full"
    shutil.copytree(book_dir("full"), folder)
    url = f"sqlite:///{tmp_path / 'pack-log.db'}"
    monkeypatch.setenv("RUDDER_DB_URL", url)
    book = load_folder(folder, today=TODAY)
    store = InsightStore(url)
    store.import_history(book)
    accounts = book.accounts.head(2)
    for row in accounts.itertuples():
        store.log(
            NewInsight(
                account_id=row.account_id,
                csm=row.csm,
                author=row.csm,
                motion="win",
                audience=["champion"],
                text=f"A win for {row.account_name}",
                sent_on=dt.date(2026, 10, 30),
                book_key=book.key,
                one_liner=f"A win for {row.account_name}",
                alignment_meeting=True,
            )
        )
    at = open_app(
        "pages/manager/team_cadence.py", session={"source": {"kind": "folder", "path": str(folder)}}
    )
    pick = at.selectbox(key="pack_account")
    assert sorted(o.split(" (")[0] for o in pick.options) == sorted(accounts["account_name"])
    assert all(", latest 30 Oct 2026)" in o for o in pick.options), pick.options
    labels = [str(b.proto.label) for b in at.get("download_button")]
    assert labels.count("Alignment Meeting pack (PowerPoint)") == 1
