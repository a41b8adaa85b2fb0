"""Exports as the tools write them: the source tables (events, users, subscriptions) while a
book is assembled.

The loader hands this module the files it recognised as source tables
(:data:`~insight_engine.source.contract.SOURCES`) and calls it at four points:

1. :meth:`Sources.complete_accounts`, once accounts are validated: subscriptions and users are
   read and validated against them, billing fills the accounts' empty ARR, seats and contract
   dates (:mod:`insight_engine.source.billing`), and the second-key lookups are built
   (:mod:`insight_engine.source.keys`);
2. :meth:`Sources.join`, for each usage, tickets or surveys table keyed by a subscription id, a
   user id or an email, before it is validated;
3. :meth:`Sources.event_usage`, the events' daily usage rows and the catalog rows for their
   metrics (:mod:`insight_engine.source.events`), and, once the as-of date is known,
   :meth:`Sources.weekly_active`, the distinct users of each week;
4. :meth:`Sources.finish`, which adds the rows set aside while joining to each file's counts.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from insight_engine.source import billing, events
from insight_engine.source.contract import SOURCES
from insight_engine.source.keys import Joins, join_accounts
from insight_engine.source.mapping import normalize
from insight_engine.source.problems import Problem, ValidationReport
from insight_engine.source.reader import RawTable, read_raw
from insight_engine.source.validation import DateOrderError, validate_table

__all__ = ["Sources", "event_log_columns", "event_name_counts", "guess_event_log", "map_source"]

_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "subscriptions": billing.ALIASES,
    "users": {
        "user_id": ("id", "userid", "distinct_id", "person_id", "uid"),
        "email": ("email_address", "user_email", "work_email"),
        "account_id": (
            "group_id",
            "company_id",
            "customer_id",
            "organization_id",
            "org_id",
            "account",
        ),
    },
}
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def map_source(
    frame: pd.DataFrame, table: str, mapping: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A source table's columns under the contract's names: the user's mapping, else exact
    (normalised) names, else the tools' usual names (:data:`_ALIASES`)."""
    spec = SOURCES[table]
    if mapping:
        renamed = frame.rename(columns=dict(mapping))
    else:
        by_norm = {normalize(c): c for c in frame.columns}
        chosen: dict[str, str] = {}
        for col in spec.column_names:
            for name in (col, *_ALIASES.get(table, {}).get(col, ())):
                source = by_norm.get(normalize(name))
                if source is not None and source not in chosen:
                    chosen[source] = col
                    break
        renamed = frame.rename(columns=chosen)
    keep = [c for c in renamed.columns if c in spec.column_names]
    return renamed.loc[:, ~pd.Index(renamed.columns).duplicated()][list(dict.fromkeys(keep))]


@dataclass
class Sources:
    """The source files of one load and what came of them.

    Attributes
    ----------
    uploads : dict
        table → the upload (:class:`~insight_engine.book.loader.UploadedFile`) holding it.
    report : ValidationReport
        The load's report.
    today : Timestamp, optional
        For the future-date checks.
    joins : Joins
        The second-key lookups (after :meth:`complete_accounts`).
    set_aside : dict
        file → rows set aside because their second key joined to no account.
    """

    uploads: dict
    report: ValidationReport
    today: pd.Timestamp | None = None
    as_of: pd.Timestamp | None = None
    joins: Joins = field(default_factory=Joins)
    set_aside: dict[str, int] = field(default_factory=dict)
    log: events.EventLog | None = None
    weekly_active_code: int = -1

    # -- 1. accounts, billing and the lookups ------------------------------------------------

    def _table(self, table: str, accounts: pd.DataFrame) -> pd.DataFrame | None:
        upload = self.uploads.get(table)
        if upload is None:
            return None
        raw = self._raw(upload)
        if raw is None:
            return None
        frame = raw.frame
        if table == "subscriptions" and billing.is_stripe(frame):
            frame = billing.from_stripe(frame, raw.file, self.report)
        else:
            frame = map_source(frame, table, upload.mapping)
        try:
            result = validate_table(
                SOURCES[table],
                frame,
                found=[str(c) for c in raw.frame.columns],
                file=raw.file,
                row_offset=raw.row_offset,
                date_order=upload.date_order,
                known_accounts=pd.Index(accounts["account_id"]),
                today=self.today,
            )
        except DateOrderError as exc:
            self.report.add(
                Problem(
                    raw.file,
                    None,
                    exc.column,
                    ", ".join(exc.examples[:3]),
                    "has dates that could be day-first or month-first",
                    "Choose the date order for this file, or write dates as YYYY-MM-DD.",
                )
            )
            return None
        self.report.extend(result.report)
        return None if result.fatal else result.frame

    def _raw(self, upload) -> RawTable | None:
        raw = read_raw(upload.data, upload.name)
        for note in raw.notes:
            self.report.add(note)
        if raw.fatal:
            self.report.add(raw.fatal)
            return None
        return raw

    def complete_accounts(self, accounts: pd.DataFrame) -> pd.DataFrame:
        """Billing's ARR, seats and dates where accounts leave them empty; the lookups built."""
        subs = self._table("subscriptions", accounts)
        users = self._table("users", accounts)
        if subs is not None and len(subs):
            billing.uncounted(
                subs, self.as_of or self.today, self.report, self.uploads["subscriptions"].name
            )
            terms = billing.account_terms(subs, self.as_of or self.today)
            accounts = billing.fill_accounts(
                accounts, terms, self.report, self.uploads["subscriptions"].name
            )
        self.joins = Joins.build(
            accounts=accounts,
            users=users,
            subscriptions=subs,
            files={t: u.name for t, u in self.uploads.items()},
        )
        return accounts

    # -- 2. a second key ---------------------------------------------------------------------

    def join(self, frame: pd.DataFrame, file: str, row_offset: int) -> pd.DataFrame:
        """``account_id`` filled from the frame's second key; unjoined rows set aside."""
        frame, lost = join_accounts(
            frame, self.joins, self.report, file=file, row_offset=row_offset
        )
        if lost:
            self.set_aside[file] = self.set_aside.get(file, 0) + lost
        return frame

    def join_frames(self, frames: dict[str, pd.DataFrame], raws: dict[str, RawTable]) -> None:
        """Join, in place, every optional table that has a second key (tickets, surveys)."""
        for table in ("tickets", "surveys"):
            if table in frames and table in raws:
                frames[table] = self.join(frames[table], raws[table].file, raws[table].row_offset)

    # -- 3. events ---------------------------------------------------------------------------

    def _event_table(self, upload) -> tuple[pa.Table, int, np.ndarray | None] | None:
        """The events as an Arrow table: Parquet and plain UTF-8 CSV straight into Arrow
        (typed, fast at any size), JSON and the rest through :func:`read_raw`."""
        fast = _arrow_events(upload.name, upload.data)
        if fast is not None:
            return *fast, None
        raw = self._raw(upload)
        if raw is None:
            return None
        frame = raw.frame
        rows = np.asarray(frame.index, dtype=np.int64) + raw.row_offset
        return (
            pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False),
            raw.row_offset,
            rows,
        )

    def event_usage(
        self, accounts: pd.DataFrame, metrics: pd.DataFrame
    ) -> tuple[tuple[np.ndarray, ...] | None, pd.DataFrame]:
        """The events' daily usage rows and the catalog with their metrics.

        Returns
        -------
        rows : tuple of numpy.ndarray or None
            account codes, metric codes, days, values; None without an events file.
        metrics : pandas.DataFrame
            The catalog with the event metrics it lacked (the user's rows win).
        """
        upload = self.uploads.get("events")
        if upload is None:
            return None, metrics
        read = self._event_table(upload)
        if read is None:
            return None, metrics
        table, row_offset, rows = read
        user_accounts = {
            **{str(k): v for k, v in self.joins.users.items()},
            **{str(k).lower(): v for k, v in self.joins.emails.items()},
        }
        if len(self.joins.users):
            user_accounts.update({str(k).lower(): v for k, v in self.joins.users.items()})
        log = events.parse_events(
            table,
            upload.name,
            accounts,
            self.report,
            mapping=upload.mapping,
            user_accounts=user_accounts or None,
            today=self.today,
            date_order=upload.date_order,
            row_offset=row_offset,
            row_numbers=rows,
        )
        if log is None or not log.kept:
            return None, metrics
        self.log = log
        suggestion = events.suggest_event_metrics(log.counts)
        metric_of = dict(zip(suggestion["event"], suggestion["metric"], strict=True))
        metric_of.update(
            {str(k): str(v).strip() for k, v in (upload.values or {}).get("event", {}).items()}
        )
        labels = dict(zip(suggestion["metric"], suggestion["label"], strict=True))
        catalog = events.event_catalog(metric_of, labels)
        metrics = _add_to_catalog(metrics, catalog, upload.name, len(log.counts), self.report)
        index = pd.Index(metrics["metric"])
        wanted = pd.Series([metric_of.get(str(e), "") for e in log.event_names], dtype=object)
        codes = np.where(wanted.eq("").to_numpy(), -1, index.get_indexer(wanted.astype(str)))
        self.weekly_active_code = int(index.get_loc(events.WEEKLY_ACTIVE))
        return (
            events.usage_rows(log, codes, daily_active=int(index.get_loc(events.DAILY_ACTIVE))),
            metrics,
        )

    def weekly_active(self, as_of_day: int, weeks: int) -> tuple[np.ndarray, ...] | None:
        """Distinct users per account in each week ending on the as-of date (usage rows)."""
        if self.log is None:
            return None
        return events.weekly_active_rows(
            self.log, as_of_day=as_of_day, weeks=weeks, weekly_active=self.weekly_active_code
        )

    # -- 4. counts ---------------------------------------------------------------------------

    def finish(self, report: ValidationReport) -> None:
        """Rows set aside while joining count as read and rejected in their file's counts."""
        for file, n in self.set_aside.items():
            counts = report.counts.setdefault(file, {"read": 0, "kept": 0, "rejected": 0})
            counts["read"] = counts.get("read", 0) + n
            counts["rejected"] = counts.get("rejected", 0) + n


def _arrow_events(
    name: str, data: bytes, columns: list[str] | None = None
) -> tuple[pa.Table, int] | None:
    """An event log Arrow reads straight (Parquet, plain UTF-8 CSV), or only its ``columns``,
    and the row of its first event; None for other formats or a file Arrow refuses
    (:func:`read_raw` then reads it, or says what is wrong)."""
    suffix = PurePath(name).suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            if columns is not None:
                import pyarrow.parquet as pq

                return pq.read_table(io.BytesIO(data), columns=columns, read_dictionary=columns), 1
            return events.read_events_parquet(io.BytesIO(data)), 1
        if suffix == ".csv" and not data.startswith(_BOMS):
            convert = pacsv.ConvertOptions(include_columns=columns) if columns else None
            return pacsv.read_csv(io.BytesIO(data), convert_options=convert), 2
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError, OSError):
        pass
    return None


def _arrow_columns(name: str, data: bytes) -> list[str] | None:
    """An event log's column names without reading its rows (Parquet's schema, a CSV's first
    block); None where :func:`_arrow_events` would not read the file."""
    suffix = PurePath(name).suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return list(pq.read_schema(io.BytesIO(data)).names)
        if suffix == ".csv" and not data.startswith(_BOMS):
            return list(pacsv.open_csv(io.BytesIO(data)).schema.names)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError, OSError):
        pass
    return None


def event_log_columns(name: str, data: bytes) -> list[str] | None:
    """An event log's columns without reading its rows, for Parquet and plain CSV (the formats
    Arrow reads straight); None for the others (JSON lines: :func:`read_raw` reads them)."""
    return _arrow_columns(name, data)


def event_name_counts(name: str, data: bytes, column: str) -> pd.Series | None:
    """Events per name in one column of a Parquet or plain CSV event log, reading that column
    only (:func:`insight_engine.source.events.event_counts`); None where Arrow does not read it."""
    fast = _arrow_events(name, data, columns=[column])
    return None if fast is None else events.event_counts(fast[0][column])


def guess_event_log(name: str, data: bytes) -> tuple[dict[str, str], dict[str, str]] | None:
    """What ``--guess`` and the upload step propose for an event log: ``{their column: role}``
    (the first column found for each role) and ``{event: metric}`` (the most frequent events
    their own metric, the rest ``other_activity``); None when the file cannot be read."""
    names = _arrow_columns(name, data)
    if names is not None:  # Parquet or plain CSV: read the event column alone
        event = events.find_columns(names)["event"][:1]
        fast = _arrow_events(name, data, columns=event)
        if fast is not None:
            return events.guess_events(fast[0], names=names)
    fast = _arrow_events(name, data)
    if fast is not None:
        table = fast[0]
    else:
        raw = read_raw(data, name)
        if raw.fatal:
            return None
        table = pa.Table.from_pandas(
            raw.frame.reset_index(drop=True).astype("string"), preserve_index=False
        )
    return events.guess_events(table)


def _add_to_catalog(
    metrics: pd.DataFrame,
    rows: pd.DataFrame,
    file: str,
    n_events: int,
    report: ValidationReport,
) -> pd.DataFrame:
    """The event metrics the catalog lacks, appended (the team's own catalog rows win)."""
    new = rows.loc[~rows["metric"].isin(set(metrics["metric"]))]
    if new.empty:
        return metrics
    report.add(
        Problem(
            file,
            None,
            "event",
            None,
            f"{n_events:,} event name(s) rolled up into {len(new):,} metric(s): "
            f"{', '.join(new['metric'].head(8))}{', …' if len(new) > 8 else ''} (the most frequent "
            "events each a metric, the rest other_activity; active users distinct per day and "
            "per week)",
            "Check the metrics in Data & settings → Metric catalog; choose which events become "
            "metrics in the upload step.",
            "info",
        )
    )
    extra = new.assign(higher_is_better=True).reindex(columns=metrics.columns)
    if metrics.empty:
        return extra.astype(
            {c: t for c, t in metrics.dtypes.to_dict().items() if c != "higher_is_better"}
            | {"higher_is_better": bool}
        ).reset_index(drop=True)
    for c in extra.columns:
        if metrics[c].dtype == "string":
            extra[c] = extra[c].astype("string")
    return pd.concat([metrics, extra], ignore_index=True)
