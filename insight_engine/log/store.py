"""The insight log: the team's shared memory of insights shared, their follow-ups and outcomes.

SQLAlchemy models over a SQLite file by default (WAL, a busy timeout, short write transactions)
or PostgreSQL via ``RUDDER_DB_URL``. The schema is versioned with Alembic (batch mode for SQLite)
and migrated on start. Every record keeps its author, timestamps, the drafter used and an
evidence snapshot, so a later reader sees why it was sent.

**One log per book**: every record carries the key of the book it was logged against
(:mod:`insight_engine.book.book_key`), and every read takes that key: a book sees its own history,
follow-ups and library, never another book's (the same account id may exist in two books).

**Exactly once**: every logged insight carries an idempotency key (derived from what was sent:
the account, motion, author, and each reader's final text, normalised so CRLF/LF and spacing do
not count; not the data's as-of date); a unique constraint on (book key, idempotency key)
plus insert-or-ignore means a double click, a rerun or a reconnect stores one record. **Nothing lost**: concurrent writers each
commit their own short transaction; a database that is down raises :class:`StoreUnavailableError`
with a clear message and nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from insight_engine.book.book import Book
from insight_engine.book.book_key import sql_place
from insight_engine.errors import RudderError
from insight_engine.paths import LOG_DB

__all__ = [
    "DEFAULT_DB",
    "OUTCOMES",
    "FollowUp",
    "InsightRecord",
    "InsightStore",
    "NewInsight",
    "StoreUnavailableError",
    "idempotency_key",
    "normalise_text",
]

DEFAULT_DB = LOG_DB
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
OUTCOMES = {
    "landed": "Landed: the customer acted",
    "no_response": "No response",
    "pushed_back": "Pushed back",
}


class StoreUnavailableError(RudderError):
    """The insight log could not be reached; nothing was written."""


class Base(DeclarativeBase):
    pass


class InsightRecord(Base):
    """One insight shared with a customer."""

    __tablename__ = "rudder_insight"
    __table_args__ = (
        sa.UniqueConstraint("book_key", "idempotency_key", name="uq_rudder_insight_book_key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    book_key: Mapped[str] = mapped_column(sa.String(200))
    idempotency_key: Mapped[str] = mapped_column(sa.String(128))
    external_id: Mapped[str | None] = mapped_column(sa.String(64))
    account_id: Mapped[str] = mapped_column(sa.String(64))
    csm: Mapped[str] = mapped_column(sa.String(200))
    author: Mapped[str] = mapped_column(sa.String(200))
    motion: Mapped[str] = mapped_column(sa.String(32))
    audience: Mapped[str] = mapped_column(sa.String(100))
    subject: Mapped[str | None] = mapped_column(sa.Text)
    one_liner: Mapped[str | None] = mapped_column(sa.Text)
    text: Mapped[str | None] = mapped_column(sa.Text)
    texts: Mapped[str | None] = mapped_column(sa.Text)  # JSON: reader -> final text (0004)
    tags: Mapped[str | None] = mapped_column(sa.String(500))
    follow_up: Mapped[str | None] = mapped_column(sa.String(64))
    alignment_meeting: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    drafter: Mapped[str | None] = mapped_column(sa.String(100))
    evidence: Mapped[str | None] = mapped_column(sa.Text)
    signal_strength: Mapped[float | None] = mapped_column(sa.Float)
    health_at_send: Mapped[float | None] = mapped_column(sa.Float)
    sent_on: Mapped[dt.date] = mapped_column(sa.Date)
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    outcome_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    outcome_by: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    library_example: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    library_note: Mapped[str | None] = mapped_column(sa.Text)
    library_by: Mapped[str | None] = mapped_column(sa.String(200))


class FollowUp(Base):
    """What should happen after an insight: a task with a due date, the next Alignment Meeting…"""

    __tablename__ = "rudder_follow_up"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    insight_id: Mapped[int] = mapped_column(sa.ForeignKey("rudder_insight.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    due_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    done: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    done_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))


@dataclass
class NewInsight:
    """What the CSM logs after review; ``book_key`` is the loaded book's :attr:`Book.key`."""

    account_id: str
    csm: str
    author: str
    motion: str
    audience: list[str]
    text: str
    sent_on: dt.date
    book_key: str
    subject: str = ""
    one_liner: str = ""
    tags: list[str] = field(default_factory=list)
    follow_up: str | None = None
    follow_up_due: dt.date | None = None
    alignment_meeting: bool = False
    drafter: str = "template"
    evidence: dict | None = None
    signal_strength: float | None = None
    health_at_send: float | None = None
    key: str | None = None
    external_id: str | None = None
    texts: dict[str, str] | None = None
    """Each reader's final text (reader -> text); ``text`` is the first reader's."""


def normalise_text(text: str) -> str:
    """A message as a reader sees it: CRLF/CR -> LF, trailing spaces gone, runs of spaces and
    tabs one space, at most one blank line between paragraphs, no blank edges."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def idempotency_key(
    account_id: str, motion: str, author: str, texts: str | Mapping[str, str]
) -> str:
    """The same insight logged twice (double click, rerun, reconnect, next week's reload) gets
    the same key: it is keyed on what was sent (each reader's normalised text), not on the
    data's as-of date."""
    sent = {"": texts} if isinstance(texts, str) else dict(texts)
    normalised = sorted((reader, normalise_text(t)) for reader, t in sent.items())
    raw = json.dumps([account_id, motion, author, normalised])
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


# Any constant shared by every Rudder process: the key of the migration's advisory lock.
MIGRATION_LOCK = 7_420_713
# An imported insight flagged for the Alignment Meeting is on the next one's agenda if this recent.
ALIGNMENT_WINDOW_DAYS = 30


def _lost_race(exc: sa.exc.DBAPIError) -> bool:
    """Another process created the same table or version row first."""
    text = str(exc.orig).lower()
    return isinstance(exc, sa.exc.IntegrityError) or "already exists" in text


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _scoped(book_key: str) -> str:
    """The book key, refused when empty: a read or write that names no book would mix books."""
    if not isinstance(book_key, str) or not book_key:
        raise RudderError(
            "This book has no key, so Rudder cannot tell whose insight log it is; load it "
            "through the loader (demo, folder, uploads or database)."
        )
    return book_key


class InsightStore:
    """The insight log on a SQL database.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; default a SQLite file in ``data/``.
    migrate : bool
        Apply Alembic migrations on open (default True).
    """

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = url or f"sqlite:///{DEFAULT_DB}"
        kwargs: dict = {"pool_pre_ping": True}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}  # busy timeout: wait for a writer, don't fail
            path = sa.make_url(self.url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        elif self.url.startswith("postgresql"):
            kwargs["connect_args"] = {"connect_timeout": 5}
        self.engine = sa.create_engine(self.url, **kwargs)
        if self.engine.dialect.name == "sqlite":

            @sa.event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_connection, _record) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()

        if migrate:
            self.migrate()

    @property
    def where(self) -> str:
        """Where the log lives, without credentials (for messages)."""
        return sql_place(self.url)

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        """Every database error becomes a :class:`StoreUnavailableError` (one owner for the
        message: nothing was written, the text is still on screen): a log that cannot be
        reached says so; any other refusal (a schema another version left, a permission, a
        value the database will not take) names its kind and what to do."""
        try:
            yield
        except pd.errors.DatabaseError as exc:  # pandas' read_sql wraps the database's error
            cause = exc.__cause__ if isinstance(exc.__cause__, sa.exc.DBAPIError) else exc
            raise self._refused(cause) from None
        except sa.exc.DBAPIError as exc:
            raise self._refused(exc) from None

    def _refused(self, exc: Exception) -> StoreUnavailableError:
        """The message for a database error: unreachable, or refused (and of which kind)."""
        if isinstance(exc, sa.exc.OperationalError) or not isinstance(exc, sa.exc.DBAPIError):
            return self._unavailable(exc)
        return StoreUnavailableError(
            f"The insight log ({self.engine.dialect.name}) refused the change "
            f"({type(exc).__name__}). Nothing was written; your text is still on screen. "
            "Ask your Rudder admin to check the log's database (its schema and permissions)."
        )

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        """One transaction on the log, committed on success, every database error translated."""
        with self._reachable(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        """A connection for reading the log, every database error translated."""
        with self._reachable(), self.engine.connect() as conn:
            yield conn

    def _unavailable(self, exc: Exception) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"The insight log ({self.engine.dialect.name}) could not be reached ({type(exc).__name__}). "
            "Nothing was written; your text is still on screen, so try again in a moment."
        )

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (default the latest; Alembic, batch mode for SQLite).

        On SQLite, foreign keys are off while migrating: batch mode rebuilds a table by copying
        it and dropping the old one, and with foreign keys on, that drop would cascade and
        delete every follow-up.
        """
        self._alembic(command.upgrade, revision)

    def downgrade(self, revision: str) -> None:
        """Take the schema back to ``revision`` (rollbacks and migration tests), like :meth:`migrate`."""
        self._alembic(command.downgrade, revision)

    def _alembic(self, action, revision: str, *, attempts: int = 6) -> None:
        """Run an Alembic command, safe when several processes open a new log at once.

        PostgreSQL: the migration holds a transaction-level advisory lock, so the others wait
        and then find the schema already current. SQLite (no such lock): a process that loses
        the race ("table alembic_version already exists") rolls back, waits and runs again,
        which is then a no-op. A database that cannot be reached still says so.
        """
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        sqlite_db = self.engine.dialect.name == "sqlite"
        for attempt in range(1, attempts + 1):
            try:
                with self.engine.connect() as conn:
                    if sqlite_db:  # outside a transaction, or SQLite ignores it
                        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                        conn.commit()
                    try:
                        with conn.begin():
                            if self.engine.dialect.name == "postgresql":
                                conn.exec_driver_sql(
                                    f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"
                                )
                            cfg.attributes["connection"] = conn
                            action(cfg, revision)
                    finally:
                        if sqlite_db:
                            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                            conn.commit()
                return
            except sa.exc.DBAPIError as exc:
                if not _lost_race(exc) or attempt == attempts:
                    if isinstance(exc, sa.exc.OperationalError) and not _lost_race(exc):
                        raise self._unavailable(exc) from None
                    raise StoreUnavailableError(
                        f"The insight log ({self.engine.dialect.name}) could not be brought up "
                        f"to date ({type(exc).__name__}: {str(exc.orig).splitlines()[0]}). "
                        "Nothing was written; try again in a moment."
                    ) from None
                time.sleep(0.1 * attempt)  # another process is creating the same tables

    # -- writing ---------------------------------------------------------------------------------

    def _insert_ignore(self, table: sa.Table, rows: list[dict]) -> sa.Insert:
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            return (
                postgresql.insert(table)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["book_key", "idempotency_key"])
            )
        if dialect == "sqlite":
            return (
                sqlite.insert(table)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["book_key", "idempotency_key"])
            )
        return table.insert().prefix_with("IGNORE").values(rows)

    def log(self, new: NewInsight) -> tuple[int, bool]:
        """Store an insight (and its follow-up) exactly once.

        Returns
        -------
        (id, created) : tuple of int and bool
            ``created`` is False when the same key was already logged.
        """
        book_key = _scoped(new.book_key)
        key = new.key or idempotency_key(
            new.account_id, new.motion, new.author, new.texts or new.text
        )
        now = _now()
        row = {
            "book_key": book_key,
            "idempotency_key": key,
            "external_id": new.external_id,
            "account_id": new.account_id,
            "csm": new.csm,
            "author": new.author,
            "motion": new.motion,
            "audience": " | ".join(new.audience),
            "subject": new.subject,
            "one_liner": new.one_liner,
            "text": new.text,
            "texts": json.dumps(new.texts) if new.texts else None,
            "tags": " | ".join(new.tags),
            "follow_up": new.follow_up,
            "alignment_meeting": bool(new.alignment_meeting),
            "drafter": new.drafter,
            "evidence": json.dumps(new.evidence, default=str) if new.evidence else None,
            "signal_strength": new.signal_strength,
            "health_at_send": new.health_at_send,
            "sent_on": new.sent_on,
            "created_at": now,
            "updated_at": now,
        }
        table = InsightRecord.__table__
        # One short transaction: the insight and its follow-up. RETURNING says whether this call
        # inserted (rowcount is unreliable for ON CONFLICT DO NOTHING through batched inserts).
        with self._begin() as conn:
            inserted = conn.execute(
                self._insert_ignore(table, [row]).returning(table.c.id)
            ).scalar_one_or_none()
            created = inserted is not None
            insight_id = (
                inserted
                if created
                else conn.execute(
                    sa.select(table.c.id).where(
                        (table.c.book_key == book_key) & (table.c.idempotency_key == key)
                    )
                ).scalar_one()
            )
            if created and new.follow_up:
                conn.execute(
                    FollowUp.__table__.insert().values(
                        insight_id=insight_id,
                        kind=new.follow_up,
                        due_on=new.follow_up_due,
                        done=False,
                        created_at=now,
                    )
                )
        return int(insight_id), created

    def record_outcome(self, insight_id: int, outcome: str, *, by: str, on: dt.date) -> None:
        """What happened after the insight: landed (acted within 30 days), no response, pushed back."""
        if outcome not in OUTCOMES:
            raise RudderError(f"Unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}.")
        table = InsightRecord.__table__
        with self._begin() as conn:
            conn.execute(
                table.update()
                .where(table.c.id == insight_id)
                .values(outcome=outcome, outcome_on=on, outcome_by=by, updated_at=_now())
            )

    def mark_example(self, insight_id: int, *, note: str, by: str) -> None:
        """Mark a strong insight as a library example, with a short "why it's good"."""
        if not note.strip():
            raise RudderError(
                "Say in a sentence why it is a good example; new team members learn from that."
            )
        table = InsightRecord.__table__
        with self._begin() as conn:
            conn.execute(
                table.update()
                .where(table.c.id == insight_id)
                .values(
                    library_example=True,
                    library_note=note.strip(),
                    library_by=by,
                    updated_at=_now(),
                )
            )

    def complete_follow_ups(self, ids: list[int], *, on: dt.date) -> None:
        table = FollowUp.__table__
        with self._begin() as conn:
            conn.execute(table.update().where(table.c.id.in_(ids)).values(done=True, done_on=on))

    def import_history(self, book: Book) -> int:
        """Load a book's insight history into the log under the book's key (idempotent: safe on
        every start; next week's export adds only the insights the log does not hold yet).

        Returns
        -------
        int
            How many insights were new.
        """
        book_key = _scoped(book.key)
        hist = book.insights
        if hist.empty:
            return 0
        now = _now()
        rows = pd.DataFrame(
            {
                "book_key": book_key,
                "idempotency_key": "history:" + hist["insight_id"].astype(str),
                "external_id": hist["insight_id"].astype(str),
                "account_id": hist["account_id"].astype(str),
                "csm": hist["csm"].astype(str),
                "author": hist["csm"].astype(str),
                "motion": hist["motion"].astype(str),
                "audience": hist["audience"].fillna("").astype(str),
                "subject": hist["one_liner"].fillna("").astype(str) if "one_liner" in hist else "",
                "one_liner": hist["one_liner"].fillna("").astype(str)
                if "one_liner" in hist
                else "",
                "tags": hist["tags"].fillna("").astype(str) if "tags" in hist else "",
                "follow_up": hist["follow_up"]
                .astype("object")
                .where(hist["follow_up"].notna(), None)
                if "follow_up" in hist
                else None,
                # a history row whose follow-up was "bring it to the Alignment Meeting", sent in
                # the last 30 days, is on the next meeting's agenda (older ones had theirs)
                "alignment_meeting": (
                    (hist["follow_up"].astype("string") == "alignment_meeting").fillna(False)
                    & (hist["date"] >= book.as_of - pd.Timedelta(days=ALIGNMENT_WINDOW_DAYS))
                )
                if "follow_up" in hist
                else False,
                "drafter": "history",
                "signal_strength": hist["signal_strength"].astype(float)
                if "signal_strength" in hist
                else None,
                "health_at_send": hist["health_at_send"].astype(float)
                if "health_at_send" in hist
                else None,
                "sent_on": hist["date"].dt.date,
                "outcome": hist["outcome"].astype("object").where(hist["outcome"].notna(), None),
                "outcome_on": None,
                "outcome_by": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        rows = rows.astype(object).where(rows.notna(), None)
        table = InsightRecord.__table__
        inserted = 0
        with self._begin() as conn:
            for start in range(0, len(rows), 500):  # a few hundred rows per statement
                chunk = rows.iloc[start : start + 500].to_dict("records")
                statement = self._insert_ignore(table, chunk).returning(table.c.id)
                inserted += len(conn.execute(statement).all())
            # An outcome the file now gives (corrected, or newly known) fills a history row
            # still waiting for one; an outcome recorded in Rudder is never overwritten.
            known = rows.loc[rows["outcome"].notna(), ["idempotency_key", "outcome"]]
            if len(known):
                conn.execute(
                    table.update()
                    .where(
                        table.c.book_key == book_key,
                        table.c.idempotency_key == sa.bindparam("key"),
                        table.c.outcome.is_(None),
                        table.c.drafter == "history",
                    )
                    .values(outcome=sa.bindparam("new_outcome"), updated_at=now),
                    [
                        {"key": k, "new_outcome": o}
                        for k, o in zip(known["idempotency_key"], known["outcome"], strict=True)
                    ],
                )
        return inserted

    # -- reading ---------------------------------------------------------------------------------

    def _read(self, query: sa.Select) -> pd.DataFrame:
        with self._connect() as conn:
            return pd.read_sql(query, conn)

    def count(self, *, book_key: str | None = None) -> int:
        """Insights in one book's log, or (``book_key=None``, for operators and tests) in all."""
        table = InsightRecord.__table__
        query = sa.select(sa.func.count()).select_from(table)
        if book_key is not None:
            query = query.where(table.c.book_key == _scoped(book_key))
        with self._connect() as conn:
            return int(conn.execute(query).scalar_one())

    def version(self, *, book_key: str) -> str:
        """Changes whenever anything is written to this book's log (a cache key for its views)."""
        table, follow = InsightRecord.__table__, FollowUp.__table__
        mine = table.c.book_key == _scoped(book_key)
        with self._connect() as conn:
            n, last = conn.execute(
                sa.select(sa.func.count(), sa.func.max(table.c.updated_at)).where(mine)
            ).one()
            done = conn.execute(
                sa.select(sa.func.count())
                .select_from(follow.join(table, follow.c.insight_id == table.c.id))
                .where(mine & follow.c.done.is_(True))
            ).scalar_one()
        return f"{n}:{last}:{done}"

    def insights(
        self, account_ids: Collection[str] | None = None, *, book_key: str
    ) -> pd.DataFrame:
        """One book's log as a table (newest first): the contract's insight columns plus the log's own.

        Parameters
        ----------
        account_ids : collection of str, optional
            Only these accounts' insights.
        book_key : str
            The loaded book's :attr:`Book.key`; other books' insights are never returned.
        """
        table = InsightRecord.__table__
        query = sa.select(table).where(table.c.book_key == _scoped(book_key))
        if account_ids is not None:
            query = query.where(table.c.account_id.in_(sorted(set(account_ids))))
        frame = self._read(query.order_by(table.c.sent_on.desc(), table.c.id.desc()))
        frame["date"] = pd.to_datetime(frame["sent_on"])
        frame["insight_id"] = frame["external_id"].where(
            frame["external_id"].notna(), "L-" + frame["id"].astype(str)
        )
        return frame

    def as_history(self, *, book_key: str) -> pd.DataFrame:
        """One book's log in the contract's ``insights`` shape and types (also when empty), for
        the engine (ranking, model, cadence)."""
        f = self.insights(book_key=book_key)
        cols = [
            "insight_id",
            "account_id",
            "date",
            "csm",
            "motion",
            "audience",
            "one_liner",
            "outcome",
            "signal_strength",
            "health_at_send",
            "tags",
            "follow_up",
        ]
        out = f[cols].copy()
        for c in (
            "insight_id",
            "account_id",
            "csm",
            "motion",
            "audience",
            "one_liner",
            "outcome",
            "tags",
            "follow_up",
        ):
            out[c] = out[c].astype("string")
        for c in ("signal_strength", "health_at_send"):
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
        out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
        out["outcome"] = out["outcome"].mask(out["outcome"] == "", pd.NA)
        return out.sort_values("date", kind="stable").reset_index(drop=True)

    def follow_ups(
        self,
        *,
        book_key: str,
        csm: str | None = None,
        account_ids: Collection[str] | None = None,
        open_only: bool = True,
    ) -> pd.DataFrame:
        """One book's follow-ups with their insight's account and motion, soonest first.

        ``account_ids`` limits them to those accounts (what a person may see, and whose they are
        now: an account that changes hands takes its follow-ups with it); ``csm`` to the CSM
        named on the insight when it was logged.
        """
        f, i = FollowUp.__table__, InsightRecord.__table__
        query = sa.select(
            f.c.id,
            f.c.kind,
            f.c.due_on,
            f.c.done,
            f.c.done_on,
            i.c.account_id,
            i.c.csm,
            i.c.motion,
            i.c.one_liner,
            i.c.sent_on,
        ).join(i, f.c.insight_id == i.c.id)
        query = query.where(i.c.book_key == _scoped(book_key))
        if csm:
            query = query.where(i.c.csm == csm)
        if account_ids is not None:
            query = query.where(i.c.account_id.in_(sorted(set(account_ids))))
        if open_only:
            query = query.where(f.c.done.is_(False))
        frame = self._read(query.order_by(f.c.due_on.is_(None), f.c.due_on, f.c.id))
        frame["due_on"] = pd.to_datetime(frame["due_on"])
        return frame
