"""The insight log: exactly once, nothing lost, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp

import pandas as pd
import pytest
import sqlalchemy as sa

from insight_engine.log.store import (
    InsightStore,
    NewInsight,
    StoreUnavailableError,
    idempotency_key,
)
from insight_engine.outputs.export import safe_csv

DAY = dt.date(2026, 11, 20)
BOOK = "upload:priya's book"


def new(i: int = 0, **kw) -> NewInsight:
    base = dict(
        account_id=f"A-{i % 7}",
        csm="Priya",
        author="Priya",
        motion="win",
        audience=["champion"],
        text=f"Insight number {i}",
        sent_on=DAY,
        book_key=BOOK,
        follow_up="task",
        follow_up_due=DAY + dt.timedelta(days=7),
    )
    return NewInsight(**(base | kw))


@pytest.fixture
def store_url(log_url):
    return log_url


def test_migrations_from_empty_create_the_schema(store_url):
    store = InsightStore(store_url)
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"rudder_insight", "rudder_follow_up", "alembic_version"} <= tables
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from alembic_version")).scalar() == "0004"
    InsightStore(store_url)  # migrating again is a no-op
    assert store.count() == 0
    assert store.version(book_key=BOOK) == "0:None:0"


def test_exactly_once_with_follow_up_and_outcome(store_url):
    store = InsightStore(store_url)
    first = store.log(new(1))
    again = store.log(new(1))  # double click / rerun / reconnect: same key
    assert first[1] is True and again == (first[0], False)
    assert store.count() == 1
    follow = store.follow_ups(book_key=BOOK, csm="Priya")
    assert len(follow) == 1 and follow.loc[0, "kind"] == "task"
    store.record_outcome(first[0], "landed", by="Priya", on=DAY)
    row = store.insights(book_key=BOOK).iloc[0]
    assert row["outcome"] == "landed" and row["author"] == "Priya" and row["drafter"] == "template"
    store.complete_follow_ups([int(follow.loc[0, "id"])], on=DAY)
    assert store.follow_ups(book_key=BOOK, csm="Priya").empty


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
    shown = store.follow_ups(book_key=BOOK, account_ids=account_ids)
    assert set(shown["account_id"]) == expected


def test_key_depends_on_the_final_text_not_the_date():
    assert idempotency_key("A", "win", "Priya", "Hello") == idempotency_key(
        "A", "win", "Priya", " Hello \r\n"
    )
    assert idempotency_key("A", "win", "Priya", "Hello") != idempotency_key(
        "A", "win", "Priya", "Hello!"
    )
    # the same message logged against next week's data is the same insight
    assert store_key(new(1, sent_on=DAY)) == store_key(new(1, sent_on=DAY + dt.timedelta(days=7)))


def store_key(insight: NewInsight) -> str:
    return idempotency_key(
        insight.account_id, insight.motion, insight.author, insight.texts or insight.text
    )


def test_every_readers_text_is_stored_and_counted_once(store_url):
    store = InsightStore(store_url)
    texts = {"admin": "Subject: A\n\nSteps for the admin", "executive": "Subject: E\n\nImpact"}
    _, created = store.log(
        new(1, audience=["admin", "executive"], text=texts["admin"], texts=texts)
    )
    assert created and store.count(book_key=BOOK) == 1
    row = store.insights(book_key=BOOK).iloc[0]
    assert json.loads(row["texts"]) == texts and row["text"] == texts["admin"]
    # one reader's edit is another insight; the same texts again are not
    assert (
        store.log(new(1, audience=["admin", "executive"], text=texts["admin"], texts=texts))[1]
        is False
    )
    edited = texts | {"executive": texts["executive"] + " (edited)"}
    assert store.log(new(1, audience=["admin", "executive"], text=texts["admin"], texts=edited))[1]


def test_reader_texts_migration_up_and_down_keeps_the_log(store_url):
    store = InsightStore(store_url)
    store.log(new(1, texts={"champion": "Insight number 1"}))
    store.downgrade("0003")
    assert "texts" not in {
        c["name"] for c in sa.inspect(store.engine).get_columns("rudder_insight")
    }
    assert store.count() == 1
    store.migrate()
    row = store.insights(book_key=BOOK).iloc[0]
    assert row["text"] == "Insight number 1" and row["texts"] is None  # never invented
    assert len(store.follow_ups(book_key=BOOK)) == 1, "the rebuild kept the follow-up"


def test_history_import_is_idempotent_and_feeds_the_engine(store_url, demo_book):
    store = InsightStore(store_url)
    n = store.import_history(demo_book)
    assert n == len(demo_book.insights)
    assert store.import_history(demo_book) == 0
    history = store.as_history(book_key=demo_book.key)
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


@pytest.mark.slow
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
    assert len(store.follow_ups(book_key=BOOK)) == workers * per_worker + shared


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
        gone.follow_ups(book_key=BOOK)


def test_export_neutralises_spreadsheet_formulas():
    frame = pd.DataFrame(
        {"text": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "fine"]}
    )
    out = safe_csv(frame).decode()
    for risky in ("'=HYPERLINK", "'+1", "'-2", "'@SUM", "'\tx"):
        assert risky in out
    assert "\nfine" in out


def test_upgrade_from_0001_keeps_records_and_adds_library_columns(store_url):
    store = InsightStore(store_url)
    store.downgrade("0001")
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
    row = store.insights(book_key="demo").iloc[0]
    assert row["idempotency_key"] == "k1" and not row["library_example"]
    store.mark_example(int(row["id"]), note="Clear number, clear ask.", by="Ruth")
    assert store.insights(book_key="demo").iloc[0]["library_note"] == "Clear number, clear ask."


# ---------------------------------------------------------------------------------------------
# One log per book (issue 13): a book sees its own insights, follow-ups and library only


@pytest.fixture(scope="module")
def full_book():
    from insight_engine.book.loader import load_folder
    from tests.fixtures import TODAY, book_dir

    return load_folder(book_dir("full"), today=TODAY)


def test_two_books_in_one_store_never_see_each_other(store_url, full_book):
    from dataclasses import replace

    store = InsightStore(store_url)
    # the same export loaded as two books: the same account ids and the same history ids
    twin = replace(full_book, key="upload:harbor desk twin")
    assert store.import_history(full_book) == len(full_book.insights) == 36
    assert store.import_history(twin) == 36, "history ids do not collide across books"
    assert store.import_history(full_book) == 0 and store.count() == 72

    account = str(full_book.insights["account_id"].iloc[0])
    same = new(1, account_id=account)
    in_full = store.log(replace(same, book_key=full_book.key))
    version_twin = store.version(book_key=twin.key)
    in_twin = store.log(replace(same, book_key=twin.key))
    assert in_full[1] and in_twin[1] and in_full[0] != in_twin[0], "same key, two books: two rows"
    assert store.log(replace(same, book_key=twin.key)) == (in_twin[0], False)
    assert store.version(book_key=twin.key) != version_twin

    store.record_outcome(in_full[0], "landed", by="Priya", on=DAY)
    version_twin = store.version(book_key=twin.key)
    store.complete_follow_ups([int(store.follow_ups(book_key=full_book.key)["id"].iloc[0])], on=DAY)
    assert store.version(book_key=twin.key) == version_twin, "another book's writes do not count"

    for book, done in ((full_book, 1), (twin, 0)):
        assert len(store.insights(book_key=book.key)) == 37
        assert len(store.as_history(book_key=book.key)) == 37
        assert len(store.insights([account], book_key=book.key)) == (
            (full_book.insights["account_id"] == account).sum() + 1
        )
        assert len(store.follow_ups(book_key=book.key, open_only=False)) == 1
        assert len(store.follow_ups(book_key=book.key)) == 1 - done
    assert store.insights(book_key=full_book.key).set_index("id").at[in_full[0], "outcome"] == (
        "landed"
    )
    assert pd.isna(store.insights(book_key=twin.key).set_index("id").at[in_twin[0], "outcome"])
    assert store.insights(book_key="demo").empty and store.follow_ups(book_key="demo").empty


def test_a_book_with_no_history_reads_an_empty_log_in_the_contract_shape(store_url):
    from insight_engine.book.loader import load_folder
    from tests.fixtures import TODAY, book_dir

    book = load_folder(book_dir("no_history"), today=TODAY)
    store = InsightStore(store_url)
    assert store.import_history(book) == 0
    history = store.as_history(book_key=book.key)
    assert history.empty
    assert list(history.columns) == list(book.insights.columns)
    assert str(history["date"].dtype) == "datetime64[ns]"
    assert history["signal_strength"].dtype == "float64"
    assert store.follow_ups(book_key=book.key).empty


@pytest.mark.parametrize("key", ["", None])
def test_a_read_or_write_that_names_no_book_is_refused(tmp_path, full_book, key):
    from dataclasses import replace

    from insight_engine.errors import RudderError

    store = InsightStore(f"sqlite:///{tmp_path / 'log.db'}")
    with pytest.raises(RudderError, match="no key"):
        store.insights(book_key=key)
    with pytest.raises(RudderError, match="no key"):
        store.import_history(replace(full_book, key=key))
    with pytest.raises(RudderError, match="no key"):
        store.log(new(1, book_key=key))
    assert store.count() == 0


def test_upgrade_from_0002_files_existing_rows_under_the_demo_book(store_url, full_book):
    store = InsightStore(store_url)
    store.downgrade("0002")
    assert "book_key" not in {
        c["name"] for c in sa.inspect(store.engine).get_columns("rudder_insight")
    }
    with (
        store.engine.begin() as conn
    ):  # the demo's history and a logged insight, as 0002 wrote them
        for key, external in (("history:H-000", "H-000"), ("logged-1", None)):
            conn.execute(
                sa.text(
                    "insert into rudder_insight (idempotency_key, external_id, account_id, csm, "
                    "author, motion, audience, sent_on, alignment_meeting, created_at, updated_at, "
                    "library_example) values (:key, :ext, 'HD-01', 'P', 'P', 'win', 'champion', "
                    "'2026-10-20', false, '2026-10-20', '2026-10-20', false)"
                ),
                {"key": key, "ext": external},
            )
        logged = conn.execute(
            sa.text("select id from rudder_insight where idempotency_key = 'logged-1'")
        ).scalar_one()
        conn.execute(
            sa.text(
                "insert into rudder_follow_up (insight_id, kind, due_on, done, created_at) "
                "values (:id, 'task', '2026-10-27', false, '2026-10-20')"
            ),
            {"id": logged},
        )
    store.migrate()
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from alembic_version")).scalar() == "0004"
    rows = store.insights(book_key="demo")
    assert sorted(rows["idempotency_key"]) == ["history:H-000", "logged-1"]
    assert set(rows["book_key"]) == {"demo"}
    assert len(store.follow_ups(book_key="demo")) == 1, "the table rebuild kept the follow-ups"
    # another book with the same history id and account: its own rows, no collision
    assert store.insights(book_key=full_book.key).empty
    assert store.import_history(full_book) == 36
    assert len(store.insights(["HD-01"], book_key="demo")) == 2
    # from here on every writer names its book: the column has no default
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into rudder_insight (idempotency_key, account_id, csm, author, motion, "
                "audience, sent_on, alignment_meeting, created_at, updated_at, library_example) "
                "values ('k', 'A', 'P', 'P', 'win', 'champion', '2026-10-20', false, "
                "'2026-10-20', '2026-10-20', false)"
            )
        )


def test_next_weeks_export_fills_outcomes_but_never_overwrites_one_recorded_here(store_url):
    """The history file gains an outcome ("Replied" mapped to landed, or a late reply): the log's
    row still waiting for one takes it; an outcome a CSM recorded in Rudder stays."""
    from dataclasses import replace

    from insight_engine.book.loader import load_folder
    from tests.fixtures import TODAY, book_dir

    book = load_folder(book_dir("full"), today=TODAY)
    waiting = book.insights["outcome"].isna()
    first, second = book.insights.index[waiting][:2]
    store = InsightStore(store_url)
    store.import_history(book)
    recorded = store.insights(book_key=book.key)
    row_id = int(
        recorded.loc[recorded["insight_id"] == book.insights.at[second, "insight_id"], "id"].iloc[0]
    )
    store.record_outcome(row_id, "pushed_back", by="Mara Quinn", on=TODAY.date())

    later = book.insights.copy()
    later.loc[[first, second], "outcome"] = "landed"
    assert store.import_history(replace(book, insights=later)) == 0  # nothing new
    history = store.as_history(book_key=book.key).set_index("insight_id")["outcome"]
    assert history[book.insights.at[first, "insight_id"]] == "landed"
    assert history[book.insights.at[second, "insight_id"]] == "pushed_back"


def test_recent_history_flagged_for_the_alignment_meeting_is_on_its_agenda(log_url):
    from insight_engine.book.loader import load_folder
    from tests.fixtures import TODAY, book_dir

    book = load_folder(book_dir("full"), today=TODAY)
    store = InsightStore(log_url)
    store.import_history(book)
    log = store.insights(book_key=book.key)
    wanted = book.insights.loc[
        (book.insights["follow_up"] == "alignment_meeting")
        & (book.insights["date"] >= book.as_of - pd.Timedelta(days=30)),
        "insight_id",
    ]
    assert len(wanted), "the fixture has a recent insight flagged for the meeting"
    flagged = set(log.loc[log["alignment_meeting"], "external_id"])
    assert flagged == set(wanted)


def test_a_log_the_database_refuses_is_a_clear_message_not_a_traceback(log_url):
    """Any database error, not only 'cannot connect', reaches the page as one message: here the
    log's tables were renamed by hand (PostgreSQL: ProgrammingError, SQLite: OperationalError)."""
    store = InsightStore(log_url)
    store.log(new(1))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE rudder_follow_up RENAME TO gone_follow_up")
        conn.exec_driver_sql("ALTER TABLE rudder_insight RENAME TO gone_insight")
    for call in (
        lambda: store.log(new(2)),
        lambda: store.follow_ups(book_key=BOOK),
        lambda: store.count(book_key=BOOK),
    ):
        with pytest.raises(StoreUnavailableError, match="Nothing was written"):
            call()
