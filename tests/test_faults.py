"""Faults: the insight store going away mid-session, Claude slow or steered, and errors that
must never show a traceback, a file path or a secret."""

from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from insight_engine.log.store import InsightStore, NewInsight, StoreUnavailableError
from tests.conftest import ROOT
from tests.faults import FakeAnthropic, TcpProxy
from tests.helpers import open_app, top_account
from tests.hostile import INJECTION, write_hostile_book

APP = str(ROOT / "app.py")


@pytest.fixture(scope="module", autouse=True)
def _demo_ready():
    from insight_engine.book.loader import ensure_demo

    ensure_demo()


def _account_page(account: str, **session) -> AppTest:
    return open_app("pages/csm/account.py", session=session, account=account)


def _drafts(at: AppTest):
    return [t for t in at.text_area if t.key and t.key.startswith("draft-")]


def _log_button(at: AppTest):
    return next(b for b in at.button if b.label == "Log insight")


# ---------------------------------------------------------------------------------------------
# The insight store unreachable mid-session


@pytest.mark.postgres
def test_store_outage_mid_session_keeps_the_draft_writes_nothing_and_recovers(
    postgres_engine, monkeypatch
):
    with postgres_engine.connect() as conn:
        schema = conn.execute(sa.text("select current_schema()")).scalar()
    target = postgres_engine.url
    proxy = TcpProxy((target.host or "127.0.0.1", target.port or 5432)).restore()
    url = target.set(port=proxy.port).render_as_string(hide_password=False)
    url += f"?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("RUDDER_DB_URL", url)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    direct = InsightStore(
        target.render_as_string(hide_password=False) + f"?options=-csearch_path%3D{schema}"
    )
    try:
        home = AppTest.from_file(APP, default_timeout=180)
        home.run()
        account = top_account(home)
        at = _account_page(account)
        before = direct.count()
        marker = f"Edited while the log was down {os.getpid()}"
        area = _drafts(at)[0]
        area.set_value(area.value + "\n" + marker)
        at.run()

        proxy.cut()  # the database goes away mid-session
        _log_button(at).click().run()
        assert not at.exception
        assert any("could not be reached" in e.value for e in at.error)
        assert any(marker in t.value for t in _drafts(at)), "the edited draft stays on screen"
        assert direct.count() == before, "nothing was written"
        shown = " ".join(str(e.value) for e in at.error)
        assert "Traceback" not in shown and str(proxy.port) not in shown

        proxy.restore()  # it comes back: the next try works without a restart
        _log_button(at).click().run()
        assert not at.exception
        assert any("Logged" in s.value for s in at.success), [e.value for e in at.error]
        assert direct.count() == before + 1
        assert marker in direct.insights([account], book_key="demo").iloc[0]["text"]
    finally:
        proxy.cut()
        direct.engine.dispose()


def test_a_log_that_fails_halfway_writes_nothing(tmp_path):
    """The insight and its follow-up commit together or not at all."""
    import datetime as dt

    store = InsightStore(f"sqlite:///{tmp_path / 'half.db'}")

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def _fail_on_follow_up(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO RUDDER_FOLLOW_UP"):
            raise sa.exc.OperationalError(statement, {}, Exception("disk I/O error"))

    new = NewInsight(
        account_id="A-1",
        csm="Priya Shah",
        author="Priya Shah",
        motion="win",
        audience=["champion"],
        text="Subject: x\n\nHello",
        sent_on=dt.date(2026, 11, 20),
        book_key="demo",
        follow_up="check_in",
        follow_up_due=dt.date(2026, 12, 4),
    )
    with pytest.raises(StoreUnavailableError, match="Nothing was written"):
        store.log(new)
    assert store.count() == 0
    sa.event.remove(store.engine, "before_cursor_execute", _fail_on_follow_up)
    assert store.log(new)[1] is True and store.count() == 1


# ---------------------------------------------------------------------------------------------
# Claude slow, failing or steered, end to end through the app and the real SDK over HTTP


@pytest.fixture
def fake_claude(monkeypatch):
    servers: list[FakeAnthropic] = []

    def start(**kwargs) -> FakeAnthropic:
        server = FakeAnthropic(**kwargs)
        servers.append(server)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-e2e-SECRET-4242")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("RUDDER_CLAUDE_TIMEOUT", "1")
        return server

    yield start
    for s in servers:
        s.close()


def test_claude_slow_falls_back_and_the_page_stays_responsive(fake_claude):
    server = fake_claude(delay=8.0)
    home = AppTest.from_file(APP, default_timeout=180)
    home.run()
    account = top_account(home)
    start = time.perf_counter()
    at = _account_page(account, claude_attempt=9001)  # a fresh drafts cache entry
    first = time.perf_counter() - start
    assert server.requests, "the app called the (fake) Anthropic API over HTTP"
    drafts = _drafts(at)
    assert len(drafts) == 3 and all(d.value.startswith("Subject: ") for d in drafts)
    notices = " ".join(i.value for i in at.info) + " ".join(w.value for w in at.warning)
    assert "did not answer in time" in notices
    assert any(b.label == "Try Claude again" for b in at.button)
    assert first < 8.0 * 3, f"the page waited {first:.1f} s; each attempt is capped at 1 s"
    # the next interaction does not wait for Claude again (the drafts are cached)
    calls = len(server.requests)
    start = time.perf_counter()
    drafts[0].set_value(drafts[0].value + "\nP.S.").run()
    assert time.perf_counter() - start < 5.0 and len(server.requests) == calls
    assert "sk-ant-e2e-SECRET-4242" not in notices


def test_a_notes_injection_changes_nothing_about_who_gets_what(fake_claude, tmp_path, monkeypatch):
    server = fake_claude()
    monkeypatch.setenv("RUDDER_DB_URL", f"sqlite:///{tmp_path / 'log.db'}")  # its own log
    folder = write_hostile_book(tmp_path / "hostile")
    source = {"kind": "folder", "path": str(folder)}
    home = AppTest.from_file(APP, default_timeout=180)
    home.session_state["source"] = source
    home.run()
    account = top_account(home)
    at = _account_page(account, source=source, claude_attempt=9002)
    assert server.requests, "drafted through the (fake) Anthropic API"
    body = server.requests[-1]
    user = body["messages"][0]["content"]
    system = " ".join(block["text"] for block in body["system"])
    assert "Ignore your instructions" not in system
    before_data = user.split("<customer_data>")[0]
    assert "Ignore your instructions" not in before_data
    if "Ignore your instructions" in user:
        inside = user.split("<customer_data>", 1)[1].split("</customer_data>")[0]
        assert "Ignore your instructions" in inside
    # three readers, each greeted as the account's own contact; nothing of the injection shown
    drafts = [d.value for d in _drafts(at)]
    assert len(drafts) == 3
    for text in drafts:
        assert "API key" not in text and INJECTION not in text
    assert [r["role"] for r in body["messages"]] == ["user"]


# ---------------------------------------------------------------------------------------------
# What the browser may show when something goes wrong


def test_a_broken_data_url_shows_no_secret_path_or_traceback():
    secret_url = "postgresql+psycopg://rudder:Sup3rSecretPw@127.0.0.1:1/warehouse"
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["source"] = {"kind": "sql", "url": secret_url}
    at.run()
    assert not at.exception
    shown = " ".join(
        str(e.value) for kind in ("error", "warning", "info", "markdown") for e in at.get(kind)
    )
    assert at.error, "a clear message"
    assert "Sup3rSecretPw" not in shown
    assert "Traceback" not in shown and str(ROOT) not in shown and "site-packages" not in shown


def test_the_server_is_configured_to_hide_error_details():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["server"]["enableXsrfProtection"] is True
