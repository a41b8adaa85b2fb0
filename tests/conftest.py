"""Shared fixtures: a small seeded demo book, and PostgreSQL when a server answers."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from insight_engine.book.loader import load_folder
from insight_engine.source.demo import generate_demo, write_demo

ROOT = Path(__file__).resolve().parent.parent
TODAY = pd.Timestamp("2026-11-23")  # "today" for the future-date checks, fixed so tests never drift


@pytest.fixture(scope="session", autouse=True)
def _isolated_insight_log(tmp_path_factory: pytest.TempPathFactory):
    """Tests never write to the developer's data/rudder.db (nor data/cache)."""
    path = tmp_path_factory.mktemp("log") / "rudder-test.db"
    isolated = {
        "RUDDER_DB_URL": f"sqlite:///{path}",
        "RUDDER_CACHE_DIR": str(tmp_path_factory.mktemp("cube")),  # nor to its data/cache
    }
    old = {k: os.environ.get(k) for k in isolated}
    os.environ.update(isolated)
    yield path
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 150-account demo book (seed 11; not the seed anything was tuned on)."""
    out = tmp_path_factory.mktemp("demo")
    write_demo(generate_demo(150, 11), out)
    return out


@pytest.fixture(scope="session")
def demo_book(demo_dir: Path):
    return load_folder(demo_dir, today=TODAY)


def _postgres_url() -> str:
    url = os.environ.get("RUDDER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@pytest.fixture(scope="session")
def postgres_engine():
    """An engine on a fresh schema of the test server; skipped (or failed) when none answers."""
    url = _postgres_url()
    probe = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with probe.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:  # any driver error means "no server"
        reason = f"PostgreSQL not reachable at {sa.make_url(url).render_as_string(hide_password=True)} ({type(exc).__name__})"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " and REQUIRE_POSTGRES=1")
        pytest.skip(reason + "; set RUDDER_TEST_POSTGRES_URL to run these tests")
    schema = f"rudder_test_{uuid.uuid4().hex[:8]}"
    with probe.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    yield engine
    engine.dispose()
    with probe.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    probe.dispose()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the run (skipped, or failed under REQUIRE_BROWSER=1, without it)."""
    from tests.browser import CHROMIUM_FLAGS, chromium

    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(params=["sqlite", "postgres"])
def log_url(request, tmp_path):
    """A URL for a new, empty insight log: a SQLite file, and a fresh schema of the test
    PostgreSQL server (skipped, or failed under REQUIRE_POSTGRES=1, without one)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.db'}"
        return
    request.getfixturevalue("postgres_engine")
    schema = f"rudder_log_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(_postgres_url())
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{_postgres_url()}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
