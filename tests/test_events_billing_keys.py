"""Exports as the tools write them (issue 14, points 1–3): event logs as usage, a second key,
subscriptions as billing. Every book and export here reaches a ranked book, or a report that
says what to do; none comes from the demo generator."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from insight_engine.analysis.engine import analyze
from insight_engine.book.loader import UploadedFile, load_folder, load_uploads
from insight_engine.errors import DataLoadError
from insight_engine.source.events import (
    DAILY_ACTIVE,
    OTHER_ACTIVITY,
    WEEKLY_ACTIVE,
    parse_events,
    suggest_event_metrics,
    weekly_active_rows,
)
from insight_engine.source.problems import ValidationReport
from tests.conftest import ROOT
from tests.fixtures import AS_OF, TODAY, book_dir

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
EXPORT_BOOKS = ("events_users", "segment_events", "mixpanel_events", "billing", "second_key")


def _frame(book) -> pd.DataFrame:
    return book.report.to_frame()


# ---------------------------------------------------------------------------------------------
# Reading JSON and JSON lines


# ---------------------------------------------------------------------------------------------
# Events: the rollup


def _log(rows: list[tuple[str, str, str, str]]):
    """Events from (day, user, account, event) rows, through the real parser."""
    table = pa.table(
        {
            "timestamp": [f"{d}T10:00:00Z" for d, *_ in rows],
            "userId": [u for _, u, _, _ in rows],
            "context.groupId": [a for *_, a, _ in rows],
            "event": [e for *_, e in rows],
        }
    )
    accounts = pd.DataFrame({"account_id": ["A", "B"]})
    log = parse_events(table, "events.jsonl", accounts, ValidationReport(), today=TODAY)
    return log


# (as-of Saturday 2026-10-31: its week is Sun 10-25 … Sat 10-31)
WAU_CASES = [
    # one person on five days: 5 daily actives add up to 5, but one weekly user
    ([(f"2026-10-{d}", "ana", "A", "Signed In") for d in (26, 27, 28, 29, 30)], {0: 1}),
    # two people on alternating days: daily sums 4, weekly distinct 2
    (
        [
            ("2026-10-26", "ana", "A", "x"),
            ("2026-10-27", "bo", "A", "x"),
            ("2026-10-28", "ana", "A", "x"),
            ("2026-10-29", "bo", "A", "x"),
        ],
        {0: 2},
    ),
    # the same person in two weeks counts once in each
    ([("2026-10-31", "ana", "A", "x"), ("2026-10-24", "ana", "A", "x")], {0: 1, 1: 1}),
    # the same user id in two accounts is two weekly users, one per account
    ([("2026-10-30", "ana", "A", "x"), ("2026-10-30", "ana", "B", "x")], {0: 1}),
]


@pytest.mark.parametrize(("rows", "expected"), WAU_CASES)
def test_weekly_active_users_are_distinct_users_in_the_week(rows, expected):
    log = _log(rows)
    as_of_day = int((AS_OF - pd.Timestamp(0)).days)
    a, m, d, v = weekly_active_rows(log, as_of_day=as_of_day, weeks=4, weekly_active=0)
    got = pd.DataFrame({"a": a, "week": (as_of_day - d) // 7, "v": v})
    for week, users in expected.items():
        assert got.loc[(got["a"] == 0) & (got["week"] == week), "v"].tolist() == [users]
    assert (m == 0).all()


def test_weekly_active_users_through_the_loader_are_not_a_sum_of_days(tmp_path):
    """Table-driven through load_folder: the book's weekly cube holds the distinct count."""
    lines = [
        {
            "userId": u,
            "event": "Signed In",
            "context": {"groupId": "A"},
            "timestamp": f"{d}T09:00:00Z",
        }
        for d, u in [
            ("2026-10-26", "ana"),
            ("2026-10-27", "ana"),
            ("2026-10-27", "bo"),
            ("2026-10-28", "ana"),
            ("2026-10-29", "bo"),
            ("2026-10-31", "ana"),
        ]
    ]
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    (tmp_path / "accounts.csv").write_text("account_id,account_name\nA,Acme\n")
    book = load_folder(tmp_path, today=TODAY)
    assert book.as_of == AS_OF
    assert book.weekly.metric(WEEKLY_ACTIVE)[0, -1] == 2  # ana and bo
    dau = book.weekly.metric(DAILY_ACTIVE)[0, -1]
    assert dau == pytest.approx(6 / 5)  # daily distinct users, the mean of the five active days
    assert book.weekly.metric("signed_in")[0, -1] == 6


def test_event_metrics_suggested_top_events_and_other_activity():
    counts = pd.Series(
        {"Signed In": 50, "Report Viewed": 40, "Export": 3, "Invite Sent": 2, "Zap": 1}
    )
    s = suggest_event_metrics(counts, top=2)
    assert s["event"].tolist() == ["Signed In", "Report Viewed", "Export", "Invite Sent", "Zap"]
    assert s["metric"].tolist() == ["signed_in", "report_viewed", *[OTHER_ACTIVITY] * 3]


def test_the_confirmed_event_mapping_is_used_in_uploads():
    folder = book_dir("segment_events")
    uploads = [UploadedFile(f.name, f.read_bytes(), table=f.stem) for f in sorted(folder.iterdir())]
    events = next(u for u in uploads if u.table == "events")
    events.values = {"event": {"Signed In": "logins", "Report Viewed": "logins", "Invite Sent": ""}}
    book = load_uploads(uploads, today=TODAY)
    assert "logins" in set(book.metrics["metric"])
    assert "invite_sent" not in set(book.metrics["metric"])


def test_ten_thousand_events_roll_up_without_a_python_loop_over_rows():
    """Cheap guard that the path is vectorised: 200k events in well under a second."""
    import time

    rng = np.random.default_rng(1)
    n = 200_000
    table = pa.table(
        {
            "timestamp": pa.array(
                (np.datetime64("2026-08-01") + rng.integers(0, 90, n)).astype("datetime64[ms]")
            ),
            "user_id": pa.array(rng.integers(0, 2000, n).astype(str)),
            "account_id": pa.array(np.char.add("A", rng.integers(0, 50, n).astype(str))),
            "event": pa.array(np.char.add("e", rng.integers(0, 30, n).astype(str))),
        }
    )
    accounts = pd.DataFrame({"account_id": [f"A{i}" for i in range(50)]})
    start = time.perf_counter()
    log = parse_events(table, "events.parquet", accounts, ValidationReport(), today=TODAY)
    weekly_active_rows(log, as_of_day=int(log.last_day), weeks=52, weekly_active=0)
    assert time.perf_counter() - start < 3
    assert log.kept == n


# ---------------------------------------------------------------------------------------------
# The hand-made books reach a ranked book, in Python and on the command line


@pytest.mark.parametrize("name", EXPORT_BOOKS)
def test_each_export_book_reaches_a_ranked_book(name):
    book = load_folder(book_dir(name), today=TODAY)
    assert book.as_of == AS_OF
    analysis = analyze(book, model_dir=None)
    assert set(analysis.ranked["account_id"]) == {"HD-01", "HD-02", "HD-03", "HD-04"}
    assert np.isfinite(analysis.ranked["score"].to_numpy(dtype=float)).all()


@pytest.mark.parametrize("name", EXPORT_BOOKS)
def test_each_export_book_ranks_on_the_command_line(name):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "insight_engine",
            "rank",
            "--data",
            str(book_dir(name)),
            "--format",
            "csv",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    ranked = pd.read_csv(pd.io.common.StringIO(done.stdout))
    assert set(ranked["account_id"]) == {"HD-01", "HD-02", "HD-03", "HD-04"}


def test_events_join_accounts_through_users_and_an_unknown_user_is_listed():
    book = load_folder(book_dir("events_users"), today=TODAY)
    problems = _frame(book)
    lost = problems.loc[problems["severity"] == "error"]
    last_row = len((book_dir("events_users") / "events.csv").read_text().splitlines())
    assert lost[["file", "row", "column", "value"]].values.tolist() == [
        ["events.csv", last_row, "user_id", "stranger@nowhere.example"]
    ]
    assert "users" in lost["fix"].iloc[0]
    assert book.report.counts["events.csv"]["rejected"] == 1
    # Cedar (HD-03) went quiet 20 days ago: zero weekly users in the last weeks, not NaN
    wau = book.weekly.metric(WEEKLY_ACTIVE)
    cedar = book.weekly.account_ids.get_loc("HD-03")
    assert wau[cedar, -1] == 0 and wau[cedar, -5] > 0


def test_segment_identify_and_group_calls_are_not_events():
    book = load_folder(book_dir("segment_events"), today=TODAY)
    problems = _frame(book)
    no_event = problems.loc[problems["problem"].str.contains("no event name")]
    assert no_event["row"].tolist() == [1, 2] and set(no_event["severity"]) == {"info"}
    assert problems["problem"].str.contains("not a JSON object").any()


def test_mixpanel_epoch_seconds_are_days():
    book = load_folder(book_dir("mixpanel_events"), today=TODAY)
    assert book.as_of == AS_OF  # the last event's epoch second falls on 2026-10-31
    assert book.report.counts["events.jsonl"]["rejected"] == 0


# ---------------------------------------------------------------------------------------------
# Subscriptions


def test_billing_fills_arr_seats_and_dates_from_counted_subscriptions():
    book = load_folder(book_dir("billing"), today=TODAY)
    acc = book.accounts.set_index("account_id")
    # HD-01: two active subscriptions add up: 40 × $1,500/yr (period on the subscription)
    # + 20 × $50/month (period on items.data[]); the annual contract's end is the renewal
    assert acc.loc["HD-01", "arr"] == 40 * 1500 + 20 * 50 * 12
    assert acc.loc["HD-01", "licensed_seats"] == 60
    assert acc.loc["HD-01", "renewal_date"] == pd.Timestamp("2027-02-01")
    assert acc.loc["HD-01", "contract_start"] == pd.Timestamp("2024-02-01")
    # HD-02: the canceled subscription (50 seats) does not count
    assert acc.loc["HD-02", "licensed_seats"] == 15 and acc.loc["HD-02", "arr"] == 15 * 100 * 12
    # HD-03: a trial gives seats and dates, no ARR
    assert acc.loc["HD-03", "licensed_seats"] == 5 and pd.isna(acc.loc["HD-03", "arr"])
    # HD-04: accounts.csv's ARR wins over billing's (past due: counted)
    assert acc.loc["HD-04", "arr"] == 42000
    problems = _frame(book)
    said = problems.loc[problems["file"] == "subscriptions.json"]
    arr_line = said.loc[
        (said["column"] == "arr") & said["problem"].str.contains("came from billing")
    ]
    assert "HD-01, HD-02" in arr_line["problem"].iloc[0]
    assert said["problem"].str.contains(r"differs from accounts for 1 account\(s\) \(HD-04\)").any()
    assert said["problem"].str.contains("do not count.*sub_B1").any()


def test_the_stripe_fixture_is_read_for_its_shape_with_a_clear_report(tmp_path):
    shutil.copy(
        EXPORTS / "stripe-api-fixtures-subscription-invoice.json", tmp_path / "subscriptions.json"
    )
    (tmp_path / "accounts.csv").write_text(
        "account_id,account_name\ncus_QXg1o8vcGmoR32,Fixture Co\n"
    )
    (tmp_path / "usage.csv").write_text(
        "account_id,date,metric,value\ncus_QXg1o8vcGmoR32,2026-10-30,logins,3\n"
    )
    book = load_folder(tmp_path, today=TODAY)
    problems = _frame(book)
    assert problems["problem"].str.contains("4 object\\(s\\) are not subscriptions").any()
    # its placeholder canceled_at (2009) means it does not count: said, and nothing filled
    assert (
        problems["problem"]
        .str.contains("canceled or ended \\(sub_1Pgc6rB7WZ01zgkWNy0Cn5nw\\)")
        .any()
    )
    assert pd.isna(book.accounts["arr"].iloc[0])
    analyze(book, model_dir=None)


# ---------------------------------------------------------------------------------------------
# The real tools' sample exports: read, with a report that says what to do


def _events_folder(tmp_path, export: str, name: str):
    shutil.copy(EXPORTS / export, tmp_path / name)
    (tmp_path / "accounts.csv").write_text("account_id,account_name\nacct_123,Initech\n")
    with pytest.raises(DataLoadError) as caught:
        load_folder(tmp_path, today=TODAY)
    return caught.value.report.to_frame(), str(caught.value)


def test_segment_spec_examples_have_no_timestamps_and_say_so(tmp_path):
    problems, message = _events_folder(
        tmp_path, "segment-spec-example-events.jsonl", "events.jsonl"
    )
    empty = problems.loc[problems["problem"].str.contains("has no timestamp")]
    assert len(empty) == 10 and set(empty["column"]) == {"timestamp"}
    assert "Segment timestamp" in empty["fix"].iloc[0]
    assert "timestamp" in message
    # identify and group calls are not events; the complete track call has no groupId
    assert problems["problem"].str.contains("no event name").sum() == 2
    assert problems["problem"].str.contains("names no account").sum() == 1


def test_amplitude_groups_are_empty_so_no_account_id(tmp_path):
    problems, _ = _events_folder(tmp_path, "amplitude-events-fivetran-seed.csv", "events.csv")
    assert problems["problem"].str.contains("has no account id").any()
    fix = problems.loc[problems["problem"].str.contains("has no account id"), "fix"].iloc[0]
    assert "Map a group column" in fix and "users" in fix


def test_mixpanel_landed_events_name_no_group(tmp_path):
    problems, message = _events_folder(tmp_path, "mixpanel-events-fivetran-seed.csv", "events.csv")
    assert "no account" in message
    assert problems["problem"].str.contains("has no account id").any()


def test_amplitude_events_reach_a_book_once_users_join_them(tmp_path):
    shutil.copy(EXPORTS / "amplitude-events-fivetran-seed.csv", tmp_path / "events.csv")
    raw = pd.read_csv(tmp_path / "events.csv", dtype=str)
    (tmp_path / "accounts.csv").write_text("account_id,account_name\nA-1,Acme\n")
    pd.DataFrame({"user_id": raw["user_id"].unique(), "account_id": "A-1"}).to_csv(
        tmp_path / "users.csv", index=False
    )
    book = load_folder(tmp_path, today=TODAY)
    assert book.report.counts["events.csv"] == {"read": 10, "kept": 10, "rejected": 0}
    assert book.as_of == pd.Timestamp("2025-03-01")  # event_time, not the upload times
    analyze(book, model_dir=None)


# ---------------------------------------------------------------------------------------------
# A second key


def test_usage_by_subscription_and_tickets_by_email_join_and_the_rest_are_listed():
    book = load_folder(book_dir("second_key"), today=TODAY)
    counts = book.report.counts
    assert counts["usage.csv"] == {"read": 673, "kept": 672, "rejected": 1}
    assert counts["tickets.csv"] == {"read": 4, "kept": 3, "rejected": 1}
    errors = _frame(book).query("severity == 'error'")
    assert errors[["file", "row", "column", "value"]].values.tolist() == [
        ["usage.csv", 674, "subscription_id", "sub_ZZ"],
        ["tickets.csv", 5, "email", "someone@gmail.example"],
    ]
    assert errors["fix"].str.contains("subscriptions|users").all()
    # T-1 joined through users, T-2 and T-3 through the accounts' domain
    assert book.tickets.set_index("ticket_id")["account_id"].to_dict() == {
        "T-1": "HD-01",
        "T-2": "HD-02",
        "T-3": "HD-03",
    }
    # usage of the canceled subscription (sub_C1) still belongs to its account
    cedar = book.weekly.account_ids.get_loc("HD-03")
    assert book.weekly.metric("tickets_solved")[cedar, -1] > 0
    assert "not joined" in " ".join(book.report.rejected)


def test_the_event_rollup_bench_stage_runs_on_a_tiny_log(tmp_path):
    """``make bench`` times the event rollup (bench/events.py); a tiny log keeps it from rotting."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.events",
            "--events",
            "5000",
            "--accounts",
            "20",
            "--out",
            str(tmp_path / "events"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("read_s", "parse_s", "daily_s", "weekly_active_s", "rollup_s", "load_folder_s"):
        assert out[key] >= 0, key  # rounded to milliseconds: a tiny stage may read 0.0
    assert out["rollup_s"] > 0 and out["load_folder_s"] > 0
    assert out["events"] == 5000 and out["accounts"] == 20
    assert 0 < out["weekly_active_rows"] <= 20 * 52


def test_the_upload_step_reads_an_event_log_and_suggests_its_metrics():
    """Data & settings: an event log's table is chosen, its event → metric suggestion shown in
    a data editor, and the book loads from accounts and events alone."""
    from insight_engine.book.loader import ensure_demo
    from tests.helpers import open_app

    ensure_demo()
    files = {f.name: f.read_bytes() for f in sorted(book_dir("segment_events").iterdir())}
    at = open_app("pages/admin/data_settings.py")
    at.radio(key="source_kind").set_value("Upload files").run()
    at.file_uploader[0].set_value(
        [(n, b, "application/octet-stream") for n, b in files.items()]
    ).run()
    at.selectbox(key="tbl|events.jsonl").set_value("events").run()
    assert not at.exception, [e.value for e in at.exception]
    # which column is which, for the user to confirm or change (a selectbox per part)
    assert at.selectbox(key="map|events.jsonl|events|account_id").value == "context.groupId"
    assert at.selectbox(key="map|events.jsonl|events|timestamp").value == "timestamp"
    next(b for b in at.button if b.label == "Load these files").click().run()
    assert not at.exception, [e.value for e in at.exception]
    loaded = at.session_state["source"]["files"]
    events = next(f for f in loaded if f.table == "events")
    assert events.values["event"]["Report Viewed"] == "report_viewed"


def test_to_sql_of_an_events_folder_says_why_it_cannot_copy_usage(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "insight_engine",
            "to-sql",
            "--data",
            str(book_dir("segment_events")),
            "--url",
            f"sqlite:///{tmp_path / 'book.db'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "event log" in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # PostHog's CSV export: the group in $group_0, the person in distinct_id
        (
            "events.csv",
            "uuid,event,timestamp,distinct_id,$group_0\n"
            "1,$pageview,2026-10-30T10:00:00+02:00,p1,A\n2,insight viewed,2026-10-31 09:00:00,p2,A\n",
        ),
        # Amplitude with group analytics: groups is a JSON object in a CSV cell
        (
            "events.csv",
            "event_time,user_id,event_type,groups\n"
            '2026-10-30T10:00:00.000,a@x.example,watch,"{""company"": [""A""]}"\n'
            '2026-10-31T09:00:00.000,b@x.example,watch,"{""company"": ""A""}"\n',
        ),
        # Mixpanel raw JSON lines: epoch seconds in properties.time (2026-10-31 00:00:05 UTC)
        (
            "events.jsonl",
            '{"event":"Play","properties":{"time":1793404805,"distinct_id":"m1","company_id":"A"}}\n'
            '{"event":"Play","properties":{"time":1793318405000,"distinct_id":"m2","company_id":"A"}}\n',
        ),
    ],
)
def test_tools_event_shapes_reach_a_book(tmp_path, name, content):
    (tmp_path / name).write_text(content)
    (tmp_path / "accounts.csv").write_text("account_id,account_name\nA,Acme\n")
    book = load_folder(tmp_path, today=TODAY)
    assert book.report.counts[name] == {"read": 2, "kept": 2, "rejected": 0}
    assert book.as_of == AS_OF
    assert book.weekly.metric(WEEKLY_ACTIVE)[0, -1] == 2


def test_events_parquet_with_typed_timestamps(tmp_path):
    table = pa.table(
        {
            "timestamp": pa.array(
                np.array(["2026-10-29T08:00", "2026-10-31T23:59"], dtype="datetime64[ms]")
            ),
            "user_id": ["u1", "u1"],
            "account_id": ["A", "A"],
            "event": ["Login", "Login"],
        }
    )
    import pyarrow.parquet as pq

    pq.write_table(table, tmp_path / "events.parquet")
    (tmp_path / "accounts.csv").write_text("account_id,account_name\nA,Acme\n")
    book = load_folder(tmp_path, today=TODAY)
    assert book.as_of == AS_OF
    assert book.weekly.metric(WEEKLY_ACTIVE)[0, -1] == 1
    assert book.weekly.metric("login")[0, -1] == 2


def test_uploads_without_a_chosen_table_load_an_event_log():
    folder = book_dir("mixpanel_events")
    book = load_uploads(
        [UploadedFile(f.name, f.read_bytes()) for f in folder.iterdir()], today=TODAY
    )
    assert book.as_of == AS_OF and book.report.counts["events.jsonl"]["kept"] > 0


@pytest.mark.parametrize("name", ["events_users", "segment_events", "mixpanel_events", "billing"])
def test_guess_reads_event_logs_users_and_subscriptions_and_the_mapping_keeps_them(
    name, tmp_path, capsys
):
    """--guess (and so the upload step's suggestions) hands an event log, users or
    subscriptions file to its own step instead of skipping it, and the saved mapping it prints
    can be given back with --mapping."""
    import json

    from insight_engine.cli import main

    saved = tmp_path / "mapping.json"
    folder = str(book_dir(name))
    assert main(["rank", "--data", folder, "--guess", "--save-mapping", str(saved)]) == 0
    plan = json.loads(saved.read_text())
    sources = {t for f in plan["files"].values() for t in f.get("tables", {})}
    assert sources & {"events", "users", "subscriptions"}, plan
    capsys.readouterr()
    assert main(["rank", "--data", folder, "--mapping", str(saved)]) == 0
