"""A team's own data: hand-made books (tests/fixtures) load, rank, draft and chart without a crash,
and no row is refused that a person would keep.

Every book here was written by hand for one trap; none comes from the demo generator, which
always has every column, one catalog and a full history.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insight_engine.analysis.detector import signal_records
from insight_engine.analysis.engine import analyze
from insight_engine.book.loader import UploadedFile, load_folder, load_uploads
from insight_engine.outputs.chart import insight_chart
from insight_engine.outputs.draft import build_context, template_drafts
from insight_engine.outputs.pack import pack_markdown, pack_pptx
from insight_engine.source.contract import TABLES, UNASSIGNED
from tests.fixtures import AS_OF, BOOKS, TODAY, book_dir


def _load(name: str, **kwargs):
    return load_folder(book_dir(name), today=TODAY, **kwargs)


def _problems(book) -> pd.DataFrame:
    return book.report.to_frame()


def run_through(book) -> None:
    """Everything a CSM's week touches: health, signals, the model, ranking, a draft for every
    account with a signal, and the chart of every signal (checked against the visual standard)."""
    analysis = analyze(book, model_dir=None)
    assert set(analysis.ranked["account_id"]) == set(book.accounts["account_id"])
    assert np.isfinite(analysis.ranked["score"].to_numpy(dtype=float)).all()
    for account_id in analysis.signals["account_id"].unique():
        ctx = build_context(book, analysis, account_id)
        drafts = template_drafts(ctx)
        for reader in ("admin", "champion", "executive"):
            assert drafts[reader].one_liner.strip()
            assert "nan" not in drafts[reader].text.lower().split()
        for signal in signal_records(analysis.signals, account_id):
            chart = insight_chart(book, analysis.health, {**signal, "account_id": account_id})
            assert chart.chart.to_dict()
    # The Alignment Meeting pack of every account with a signal (one pack each), one flagged insight.
    ids = list(analysis.signals["account_id"].unique())
    top = analysis.signals.drop_duplicates("account_id")
    log = pd.DataFrame(
        {
            "id": range(len(top)),
            "account_id": top["account_id"].to_numpy(),
            "motion": top["motion"].to_numpy(),
            "one_liner": top["headline"].to_numpy(),
            "subject": "",
            "sent_on": book.as_of.date(),
            "alignment_meeting": True,
            "evidence": None,
            "follow_up": "alignment_meeting",
        }
    )
    for account_id in ids:  # one pack per customer
        assert pack_pptx(book, analysis, log, account_id).startswith(b"PK")
        markdown = pack_markdown(book, log, account_id)
        assert markdown.count("\n## ") == 1  # the account's one flagged insight


@pytest.mark.parametrize("name", list(BOOKS))
def test_every_hand_made_book_reaches_a_ranked_book_with_drafts_and_charts(name):
    book = _load(name)
    typed = pd.read_csv(book_dir(name) / "accounts.csv", dtype=str)
    assert len(book.accounts) == len(typed), "no account of a hand-made book is refused"
    run_through(book)


# -- Point 1: any optional column or table may be absent ----------------------------------------

OPTIONAL = {t: [c.name for c in s.columns if not c.required] for t, s in TABLES.items()}
OPTIONAL_TABLES = [t for t, s in TABLES.items() if not s.required and t != "metrics"]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_subset_of_optional_columns_and_tables_may_be_absent(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("book")
    dropped_tables = data.draw(st.sets(st.sampled_from(OPTIONAL_TABLES)), label="tables")
    for path in book_dir("full").iterdir():
        table = path.stem
        if table in dropped_tables:
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        present = [c for c in OPTIONAL[table] if c in frame.columns]
        drop = data.draw(st.sets(st.sampled_from(present)), label=table) if present else set()
        frame.drop(columns=sorted(drop)).to_csv(folder / path.name, index=False)
    book = load_folder(folder, today=TODAY)
    assert len(book.accounts) == 6
    assert book.report.rejected_rows == 0
    run_through(book)


@pytest.mark.parametrize(
    ("table", "column"),
    [(t, c) for t, cols in OPTIONAL.items() for c in cols if TABLES[t].column(c).kind == "number"],
)
def test_each_optional_numeric_column_may_be_absent(tmp_path, table, column):
    """The crash of today: pd.NA in a float64 column (metrics.target, tickets.csat, ...)."""
    shutil.copytree(book_dir("full"), tmp_path, dirs_exist_ok=True)
    path = tmp_path / f"{table}.csv"
    pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=[column]).to_csv(
        path, index=False
    )
    book = load_folder(tmp_path, today=TODAY)
    frame = getattr(book, table) if table != "accounts" else book.accounts
    assert frame[column].isna().all() and frame[column].dtype == "float64"
    run_through(book)


# -- Point 6: an odd value in an optional column never costs the row ------------------------------


def test_odd_choices_are_understood_or_kept_blank_with_a_warning():
    book = _load("odd_choices")
    acc = book.accounts.set_index("account_id")
    # Professional is no tier of Rudder's: blank, then derived from ARR ($84k: Enterprise).
    assert acc["tier"].to_dict() == {
        "HD-01": "Enterprise",  # "Professional" -> from ARR
        "HD-02": "Growth",  # "growth"
        "HD-03": "Starter",  # "SMB"
        "HD-04": "Enterprise",  # " ENTERPRISE "
        "HD-05": "Growth",  # "Tier 2"
        "HD-06": "Enterprise",  # empty -> from ARR ($60k)
    }
    assert dict(zip(book.tickets["ticket_id"], book.tickets["priority"], strict=True)) == {
        "T-100": "normal",  # Medium
        "T-101": "urgent",  # P1
        "T-102": "urgent",  # Urgent
        "T-103": "high",  # sev 2
        "T-104": "low",  # Low
        "T-105": "urgent",  # critical
    }
    assert sorted(book.contacts["role"]) == ["admin", "champion", "executive", "executive"]
    assert list(book.surveys["kind"]) == ["nps", "nps", "csat"]  # "ces" is no survey Rudder reads
    assert list(book.milestones["kind"]) == [
        "onboarding",
        "first_value",
        "value_block",
        "onboarding",
    ]
    assert list(book.insights["motion"]) == [
        "win",
        "feature",
        "better_practice",
        "stall",
        "risk",
        "expansion",
        "better_practice",
        "win",
    ]
    assert list(book.insights["outcome"].fillna("")) == [
        "landed",
        "no_response",
        "pushed_back",
        "landed",
        "",  # n/a
        "",  # pending
        "",  # "Replied": not one of Rudder's outcomes, kept blank with a warning
        "",
    ]
    metrics = book.metrics.set_index("metric")
    assert metrics.loc["first_reply_hours", "higher_is_better"] == np.False_
    assert metrics.loc["automations_on", "higher_is_better"] == np.True_  # "maybe": the default
    assert metrics.loc["help_articles_viewed", "category"] == "adoption"  # "Engagement"
    # Only the survey of a kind Rudder cannot score is set aside, and it is named.
    assert book.report.rejected_rows == 1
    frame = _problems(book)
    refused = frame[frame["severity"] == "error"].iloc[0]
    assert (refused["file"], refused["row"], refused["column"], refused["value"]) == (
        "surveys.csv",
        5,
        "kind",
        "ces",
    )
    warned = frame[frame["severity"] == "warning"]
    professional = warned[(warned["column"] == "tier") & (warned["value"] == "Professional")]
    assert len(professional) == 1 and professional["row"].iloc[0] == 2
    assert "kept with tier blank" in professional["problem"].iloc[0]
    replied = warned[warned["value"] == "Replied"]
    assert len(replied) == 1 and replied["column"].iloc[0] == "outcome"
    # Every usage row of every account is kept (today a refused account took its usage along).
    assert book.report.counts["usage.csv"]["rejected"] == 0


# -- Point 7: fields a team may not have --------------------------------------------------------


def test_missing_account_fields_keep_the_account_and_say_what_follows():
    book = _load("missing_fields")
    acc = book.accounts.set_index("account_id")
    assert acc.loc["HD-01", "csm"] == UNASSIGNED
    assert np.isnan(acc.loc["HD-02", "licensed_seats"])  # empty
    assert np.isnan(acc.loc["HD-03", "licensed_seats"])  # 0 reads as unknown
    assert pd.isna(acc.loc["HD-04", "contract_start"])
    assert pd.isna(acc.loc["HD-05", "renewal_date"])
    assert np.isnan(acc.loc["HD-06", "arr"]) and acc.loc["HD-06", "tier"] == "Enterprise"
    assert book.report.rejected_rows == 0
    assert UNASSIGNED in book.csms
    text = " ".join(str(p) for p in book.report.by_severity("warning"))
    assert "csm" in text and "Unassigned" in text
    assert "licensed_seats" in text and "seat-based signals are off" in text
    # Every blank field is said, with what Rudder does without it (none passes silently).
    said = {p.column: p for p in book.report.by_severity("info") if p.file == "accounts.csv"}
    assert "HD-02" in said["licensed_seats"].problem
    assert "HD-04" in said["contract_start"].problem
    assert "renewal-based signals are off" in said["renewal_date"].problem
    assert "HD-06" in said["arr"].problem
    analysis = analyze(book, model_dir=None)
    latest = analysis.health.latest().set_index("account_id")
    # Seats unknown leaves health computable, usage included (compared per typical seat).
    assert latest.loc[["HD-02", "HD-03"], ["health", "usage"]].notna().all().all()
    seat_signals = analysis.signals[
        analysis.signals["account_id"].isin(["HD-02", "HD-03"])
        & analysis.signals["headline"].str.contains("seat", case=False)
    ]
    assert seat_signals.empty, "no seat-based signal without known seats"
    renewal_signals = analysis.signals[
        (analysis.signals["account_id"] == "HD-05")
        & analysis.signals["headline"].str.contains("renew", case=False)
    ]
    assert renewal_signals.empty


def test_a_csm_column_absent_makes_every_account_unassigned_with_one_warning(tmp_path):
    shutil.copytree(book_dir("minimal"), tmp_path, dirs_exist_ok=True)
    path = tmp_path / "accounts.csv"
    pd.read_csv(path, dtype=str).drop(columns=["csm"]).to_csv(path, index=False)
    book = load_folder(tmp_path, today=TODAY)
    assert set(book.accounts["csm"]) == {UNASSIGNED}
    csm_warnings = [p for p in book.report.by_severity("warning") if p.column == "csm"]
    assert len(csm_warnings) == 1


# -- Point 8: the metric catalog is optional ------------------------------------------------------


def test_no_catalog_derives_one_from_the_usage_metric_names():
    book = _load("no_catalog")
    assert not book.has("metrics")
    catalog = book.metrics.set_index("metric")
    assert catalog.loc["tickets_solved", "label"] == "Tickets solved"
    assert catalog.loc["agents_active", "category"] == "seats"
    assert catalog.loc["macros_used", "category"] == "adoption"
    notes = [p for p in book.report.by_severity("warning") if "no metric catalog" in p.problem]
    assert len(notes) == 1, "one note for the derived catalog, not one warning per metric"
    assert "metrics.csv" in notes[0].fix


# -- Point 9: dates as tools write them -----------------------------------------------------------


def test_tool_dates_book_loads_every_row():
    book = _load("tool_dates")
    assert book.report.rejected_rows == 0
    starts = book.accounts.set_index("account_id")["contract_start"].dt.strftime("%Y-%m-%d")
    assert starts.to_dict() == {
        "HD-01": "2024-02-01",
        "HD-02": "2026-08-15",
        "HD-03": "2025-06-01",
        "HD-04": "2025-01-10",
        "HD-05": "2025-11-01",
        "HD-06": "2024-09-01",
    }
    assert book.as_of == AS_OF


def test_an_unreadable_date_column_is_named_with_its_rows_not_no_dated_rows(tmp_path):
    from insight_engine.errors import DataLoadError

    shutil.copytree(book_dir("minimal"), tmp_path, dirs_exist_ok=True)
    (tmp_path / "usage.csv").write_text(
        "account_id,date,metric,value\nHD-01,yesterday,tickets_solved,3\n"
        "HD-02,last week,tickets_solved,4\n"
    )
    with pytest.raises(DataLoadError) as err:
        load_folder(tmp_path, today=TODAY)
    message = str(err.value)
    assert "no dated rows" not in message
    assert "column 'date' is not a date" in message and "row 2" in message
    rows = err.value.report.to_frame()
    assert set(rows.loc[rows["problem"] == "is not a date", "row"]) == {2, 3}


# -- Point 10: nothing silently out of view -------------------------------------------------------


def test_rows_after_the_last_usage_day_are_counted_and_how_to_see_them_is_said():
    book = _load("events_after_usage")
    assert book.as_of == AS_OF
    assert book.later == {
        "tickets": pd.Timestamp("2026-11-09"),
        "surveys": pd.Timestamp("2026-11-10"),
        "notes": pd.Timestamp("2026-11-12"),
    }
    warned = {
        p.file: p for p in book.report.by_severity("warning") if "after the as-of" in p.problem
    }
    assert set(warned) == {"tickets.csv", "surveys.csv", "notes.csv"}
    assert warned["tickets.csv"].problem.startswith("3 rows are dated")
    assert "2026-11-09" in warned["tickets.csv"].fix
    # Brought into view, the blocker tickets count.
    later = _load("events_after_usage", as_of="2026-11-12")
    assert later.later == {}
    analysis = analyze(later, model_dir=None)
    hd06 = analysis.signals[analysis.signals["account_id"] == "HD-06"]
    assert (hd06["motion"] == "risk").any()
    # The 12 days after the usage export are unknown, not quiet: no "no one has logged in" for
    # the accounts active to its last day, and no week of two days read as a collapse.
    quiet = analysis.signals.loc[analysis.signals["detector"] == "no_login", "account_id"]
    assert set(quiet) == {"HD-05"}  # quiet since 03 Oct, counted to 31 Oct: 28 days
    assert "28 days" in analysis.signals.loc[quiet.index[0], "headline"]
    assert later.weekly.data_end == AS_OF
    latest = analysis.health.latest().set_index("account_id")
    assert latest["health"].notna().all()  # one score, the same on the chart and the page
    assert latest.loc["HD-06", "health"] < 70  # the blocker tickets and the detractor count


# -- Point 11: messages name what the user has ----------------------------------------------------


def test_a_wide_usage_files_problem_names_its_own_column(tmp_path):
    shutil.copytree(book_dir("wide_usage"), tmp_path, dirs_exist_ok=True)
    path = tmp_path / "usage.csv"
    text = path.read_text().splitlines()
    text[13] = text[13].replace(",9,", ",nine,", 1)  # HD-02's first week: agents_active
    path.write_text("\n".join(text) + "\n")
    book = load_folder(tmp_path, today=TODAY)
    frame = _problems(book)
    hit = frame[frame["value"] == "nine"]
    assert list(hit["column"]) == ["agents_active"] and list(hit["row"]) == [14]


# -- Real tools' exports (../shared/exports): Salesforce accounts and cases, as exported ---------

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"  # copies, with their licences


def test_salesforce_accounts_and_cases_as_exported_reach_a_ranked_book():
    """Data Loader exports (BOM, API names, ``+0000`` datetimes, empty AnnualRevenue, an owner
    given only as a user id, 26 of 40 cases with no account) with only the column choices a
    CS-ops person makes in the upload step."""
    accounts = UploadedFile(
        "salesforce-accounts-data-export.csv",
        (EXPORTS / "salesforce-accounts-data-export.csv").read_bytes(),
        table="accounts",
        mapping={
            "Id": "account_id",
            "Name": "account_name",
            "OwnerId": "csm",
            "AnnualRevenue": "arr",
            "CreatedDate": "contract_start",
            "Industry": "industry",
        },
    )
    cases = UploadedFile(
        "salesforce-cases-data-export.csv",
        (EXPORTS / "salesforce-cases-data-export.csv").read_bytes(),
        table="tickets",
        mapping={
            "Id": "ticket_id",
            "AccountId": "account_id",
            "CreatedDate": "opened_at",
            "ClosedDate": "closed_at",
            "Priority": "priority",
            "Subject": "topic",
        },
    )
    usage = UploadedFile(
        "usage.csv",
        b"account_id,date,active_users,reports_run\n"
        b"001Ec00000GGw3iIAD,2024-01-22,12,40\n001Ec00000GGw3iIAD,2024-01-29,14,52\n"
        b"001Ec00000GGw3jIAD,2024-01-22,3,4\n001Ec00000GGw3jIAD,2024-01-29,0,0\n",
        table="usage",
    )
    book = load_uploads([accounts, cases, usage], today=TODAY)
    assert len(book.accounts) == 22, "every account of the export is kept"
    assert book.accounts["arr"].isna().sum() == 2  # the two sample accounts have no revenue
    assert len(book.tickets) == 14 and set(book.tickets["priority"]) == {"normal"}  # Medium
    assert book.tickets["opened_at"].notna().all() and book.tickets["closed_at"].notna().any()
    refused = book.report.rejected["salesforce-cases-data-export.csv"]
    assert len(refused) == 26 and refused["reason"].str.contains("account_id: is empty").all()
    assert set(book.metrics["category"]) == {"seats", "adoption"}  # derived: no catalog given
    run_through(book)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {},
            "Growth · $18k ARR · 15 seats · CSM Mara Quinn · renews 15 Aug 2027 (in 288 days)",
        ),
        ({"arr": np.nan}, "Growth · ARR unknown · 15 seats"),
        ({"licensed_seats": np.nan}, "· seats unknown ·"),
        ({"renewal_date": pd.NaT}, "· renewal date unknown"),
        ({"renewal_date": pd.Timestamp("2026-10-01")}, "renews 1 Oct 2026 (30 days ago)"),
        ({"arr": 950.0}, "· $950 ARR ·"),
    ],
)
def test_account_line_says_unknown_instead_of_nan(fields, expected):
    from insight_engine.fmt import account_line

    acct = pd.Series(
        {
            "tier": "Growth",
            "arr": 18000.0,
            "licensed_seats": 15.0,
            "csm": "Mara Quinn",
            "renewal_date": pd.Timestamp("2027-08-15"),
            **fields,
        }
    )
    assert expected in account_line(acct, AS_OF)


def test_a_utf16_semicolon_usage_file_is_read_not_a_traceback(tmp_path):
    """Excel's "Unicode text" export: UTF-16 with a byte-order mark, not comma-delimited."""
    shutil.copytree(book_dir("minimal"), tmp_path, dirs_exist_ok=True)
    text = (book_dir("minimal") / "usage.csv").read_text().replace(",", ";")
    (tmp_path / "usage.csv").write_bytes(text.encode("utf-16"))
    book = load_folder(tmp_path, today=TODAY)
    assert book.report.counts["usage.csv"] == {"read": 2988, "kept": 2988, "rejected": 0}


def test_what_is_out_of_view_is_said_in_plain_words():
    from insight_engine.analysis.detector import coverage_notes

    notes = coverage_notes(_load("events_after_usage"))
    assert notes[0] == (
        "Tickets (to 9 Nov), surveys (to 10 Nov), notes (to 12 Nov) have rows after the as-of "
        "date 31 Oct 2026, so they are not in this week's view: set the as-of date to 2026-11-12 "
        "to include them."
    )
    later = coverage_notes(_load("events_after_usage", as_of="2026-11-12"))
    assert later[0].startswith("Usage ends on 31 Oct 2026, before the as-of date 12 Nov 2026")
    assert coverage_notes(_load("full")) == []


def test_a_draft_for_an_account_without_a_csm_is_not_signed_unassigned():
    book = _load("missing_fields")  # HD-01 has no CSM
    analysis = analyze(book, model_dir=None)
    drafts = template_drafts(build_context(book, analysis, "HD-01"))
    for reader in ("admin", "champion", "executive"):
        text = drafts[reader].text
        assert UNASSIGNED not in text and text.rstrip().endswith("[your name]"), reader


def test_load_says_the_weeks_the_usage_covers(capsys):
    from insight_engine.cli import main

    assert main(["load", "--data", str(book_dir("snapshot"))]) == 0
    assert "1 week of usage" in capsys.readouterr().out
    main(["load", "--data", str(book_dir("full"))])
    assert "12 weeks of usage" in capsys.readouterr().out
