"""The insight log: exactly once, nothing lost, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from insight_engine.export import safe_csv
from insight_engine.store import InsightStore, NewInsight, StoreUnavailableError, idempotency_key
from tests.conftest import _postgres_url

DAY = dt.date(2026, 11, 20)


def new(i: int = 0, **kw) -> NewInsight:
    base = dict(
        account_id=f"A-{i % 7}",
        csm="Priya",
        author="Priya",
        motion="win",
        audience=["champion"],
        text=f"Insight number {i}",
        sent_on=DAY,
        follow_up="task",
        follow_up_due=DAY + dt.timedelta(days=7),
    )
    return NewInsight(**(base | kw))


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.db'}"
        return
    request.getfixturevalue(
        "postgres_engine"
    )  # skips (or fails under REQUIRE_POSTGRES) without a server
    schema = f"rudder_log_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(_postgres_url())
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{_postgres_url()}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_migrations_from_empty_create_the_schema(store_url):
    store = InsightStore(store_url)
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"rudder_insight", "rudder_follow_up", "alembic_version"} <= tables
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from alembic_version")).scalar() == "0002"
    InsightStore(store_url)  # migrating again is a no-op
    assert store.count() == 0


def test_exactly_once_with_follow_up_and_outcome(store_url):
    store = InsightStore(store_url)
    first = store.log(new(1))
    again = store.log(new(1))  # double click / rerun / reconnect: same key
    assert first[1] is True and again == (first[0], False)
    assert store.count() == 1
    follow = store.follow_ups(csm="Priya")
    assert len(follow) == 1 and follow.loc[0, "kind"] == "task"
    store.record_outcome(first[0], "landed", by="Priya", on=DAY)
    row = store.insights().iloc[0]
    assert row["outcome"] == "landed" and row["author"] == "Priya" and row["drafter"] == "template"
    store.complete_follow_ups([int(follow.loc[0, "id"])], on=DAY)
    assert store.follow_ups(csm="Priya").empty


@pytest.mark.parametrize(
    ("account_ids", "expected"),
    [
        (None, {"A-1", "A-2", "A-3"}),
        (["A-2"], {"A-2"}),
        (["A-1", "A-3", "B-9"], {"A-1", "A-3"}),
        ([], set()),
    ],
)
def test_follow_ups_by_account_whoever_logged_them(store_url, account_ids, expected):
    """Follow-ups go with the account: the CSM named on the insight does not decide who sees it."""
    store = InsightStore(store_url)
    for i, who in ((1, "Priya"), (2, "Tom"), (3, "Priya")):
        store.log(new(i, csm=who, author=who))
    shown = store.follow_ups(account_ids=account_ids)
    assert set(shown["account_id"]) == expected


def test_key_depends_on_the_final_text():
    assert idempotency_key("A", "win", DAY, "Priya", "Hello") == idempotency_key(
        "A", "win", DAY, "Priya", " Hello "
    )
    assert idempotency_key("A", "win", DAY, "Priya", "Hello") != idempotency_key(
        "A", "win", DAY, "Priya", "Hello!"
    )


def test_history_import_is_idempotent_and_feeds_the_engine(store_url, demo_book):
    store = InsightStore(store_url)
    n = store.import_history(demo_book)
    assert n == len(demo_book.insights)
    assert store.import_history(demo_book) == 0
    history = store.as_history()
    assert len(history) == len(demo_book.insights)
    assert set(history.columns) >= {"insight_id", "account_id", "date", "csm", "motion", "outcome"}
    assert (
        history["outcome"].value_counts().to_dict()
        == demo_book.insights["outcome"].value_counts().to_dict()
    )


def _writer(url: str, worker: int, n: int, shared: int) -> None:
    store = InsightStore(url, migrate=False)
    for i in range(n):
        store.log(new(worker * 10_000 + i))
    for i in range(shared):  # every worker also logs the same insights: stored once in total
        store.log(new(999_000 + i))


def test_concurrent_writers_lose_nothing(store_url):
    InsightStore(store_url)
    workers, per_worker, shared = 4, 150, 30
    ctx = mp.get_context("spawn")
    procs = [
        ctx.Process(target=_writer, args=(store_url, w, per_worker, shared)) for w in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    store = InsightStore(store_url, migrate=False)
    assert store.count() == workers * per_worker + shared
    assert len(store.follow_ups()) == workers * per_worker + shared


def test_database_down_is_a_clear_message_and_nothing_half_written():
    with pytest.raises(StoreUnavailableError, match="could not be reached"):
        InsightStore("postgresql+psycopg://nobody@127.0.0.1:1/none")
    # down mid-session: the store was opened, then the server went away
    gone = InsightStore("postgresql+psycopg://nobody@127.0.0.1:1/none", migrate=False)
    with pytest.raises(
        StoreUnavailableError, match="Nothing was written; your text is still on screen"
    ):
        gone.log(new(1))
    with pytest.raises(StoreUnavailableError):
        gone.follow_ups()


def test_export_neutralises_spreadsheet_formulas():
    frame = pd.DataFrame(
        {"text": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "fine"]}
    )
    out = safe_csv(frame).decode()
    for risky in ("'=HYPERLINK", "'+1", "'-2", "'@SUM", "'\tx"):
        assert risky in out
    assert "\nfine" in out


def test_upgrade_from_0001_keeps_records_and_adds_library_columns(store_url):
    from alembic import command
    from alembic.config import Config

    store = InsightStore(store_url)
    cfg = Config()
    cfg.set_main_option("script_location", "insight_engine/migrations")
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert "library_example" not in {
        c["name"] for c in sa.inspect(store.engine).get_columns("rudder_insight")
    }
    with store.engine.begin() as conn:  # a record written by the 0001 schema
        conn.execute(
            sa.text(
                "insert into rudder_insight (idempotency_key, account_id, csm, author, motion, audience, "
                "sent_on, alignment_meeting, created_at, updated_at) values ('k1', 'A', 'P', 'P', 'win', "
                "'champion', '2026-11-20', false, '2026-11-20', '2026-11-20')"
            )
        )
    store.migrate()
    row = store.insights().iloc[0]
    assert row["idempotency_key"] == "k1" and not row["library_example"]
    store.mark_example(int(row["id"]), note="Clear number, clear ask.", by="Ruth")
    assert store.insights().iloc[0]["library_note"] == "Clear number, clear ask."
