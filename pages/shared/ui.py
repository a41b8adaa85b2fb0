"""The one UI helper module: caching wrappers, the shared sidebar, and small render helpers.

Pages stay thin: they read widgets, call ``insight_engine`` through the cached functions here,
and render. Nothing in ``insight_engine`` imports streamlit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import weakref
from dataclasses import replace
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from insight_engine import Book, ConfigError, RudderError, Settings, fmt
from insight_engine.access import (
    ROLE_LABELS,
    ROLES,
    RolesMap,
    UnknownUserError,
    Viewer,
    email_verified,
    local_viewer,
)
from insight_engine.analysis.artefacts import data_notes as artefact_notes
from insight_engine.analysis.detector import coverage_notes, signal_records
from insight_engine.analysis.engine import Analysis, analyze
from insight_engine.analysis.health import HealthScore
from insight_engine.book.book_key import foreign_history
from insight_engine.book.loader import load_demo, load_folder, load_sql, load_uploads
from insight_engine.config import Config
from insight_engine.log.store import InsightStore
from insight_engine.outputs import views
from insight_engine.outputs.chart import LabelledChart, insight_chart, to_png
from insight_engine.outputs.claude import draft_insight
from insight_engine.outputs.draft import DraftContext, DraftSet, build_context
from insight_engine.outputs.export import formula_safe, inert_markdown, without_marker
from insight_engine.outputs.export import safe_csv as _safe_csv
from insight_engine.paths import SETTINGS_FILE
from insight_engine.source.reader import RawTable, read_raw

SETTINGS_PATH = SETTINGS_FILE
TTL = 3600
# Books (and what holds one: the book with its log, its analysis) kept in memory across
# sessions. One bound for all of them: a cache of analyses larger than the loader's would keep
# evicted books alive (8 books, 1.6-1.8 GB, where 4 were meant).
BOOKS_KEPT = 4
UPLOAD_TTL = 900  # seconds an uploaded book stays in memory after its last use
SCREEN_MARKER = "\u2060"  # an invisible word joiner: what makes a formula-like cell text on screen


# ---------------------------------------------------------------------------------------------
# Secrets and configuration


def config() -> Config:
    """The installation's settings (environment, then secrets): insight_engine.config owns them."""
    return Config.from_lookup(secret)


def secret(name: str) -> str | None:
    """A setting from the environment or ``.streamlit/secrets.toml`` (never shown in the UI)."""
    if os.environ.get(name):
        return os.environ[name]
    try:
        value = st.secrets.get(name)
    except (FileNotFoundError, KeyError, AttributeError):  # no secrets file
        return None
    except Exception:  # malformed secrets.toml: behave as if absent, say so once
        return None
    return str(value) if value else None


# ---------------------------------------------------------------------------------------------
# Who is using Rudder: signed in (an [auth] section in secrets) or local mode


def auth_configured() -> bool:
    """True when secrets carry an ``[auth]`` section: everyone must sign in.

    No secrets file means local mode. A secrets file that cannot be read fails closed (raises
    ``ConfigError``): a typo must never turn a signed-in deployment into an open one.
    """
    try:
        return "auth" in st.secrets
    except Exception as exc:
        if not _secrets_files_exist():
            return False
        raise ConfigError(
            f"The secrets file could not be read ({type(exc).__name__}); fix its TOML syntax."
        ) from None


def _secrets_files_exist() -> bool:
    from streamlit import config

    return any(Path(f).expanduser().is_file() for f in config.get_option("secrets.files"))


def roles_map() -> RolesMap:
    """The roles map from secrets (``[roles."email"]``), checked; a bad entry raises."""
    try:
        raw = st.secrets.get("roles")
    except Exception:
        raw = None
    return RolesMap.from_mapping(
        {str(k): dict(v) if hasattr(v, "items") else v for k, v in (raw or {}).items()}
    )


def signed_in() -> bool:
    return bool(st.user.to_dict().get("is_logged_in"))


def viewer() -> Viewer | None:
    """The person using Rudder and what they may see; None until they have signed in.

    Raises the domain's ``UnknownUserError``/``RolesMapError`` for an email missing from the
    roles map or a broken map (the router shows the "ask your admin" page for both).
    """
    if not auth_configured():
        role = st.session_state.get("local_role", "admin")
        return local_viewer(
            role if role in ROLES else "admin",
            csm=st.session_state.get("local_csm"),
            team=st.session_state.get("local_team"),
        )
    if not signed_in():
        return None
    claims = st.user.to_dict()
    if not email_verified(claims):  # an identity provider that allows unverified sign-ups
        raise UnknownUserError(
            f"{claims.get('email') or 'This account'}: the identity provider has not verified "
            "this email address, so Rudder cannot tell who you are. Verify it, then sign in again."
        )
    return roles_map().viewer_for(claims.get("email"))


def require(area: str) -> Viewer:
    """The viewer, once sure their role includes this page (else a clear message and stop)."""
    try:
        who = viewer()
    except RudderError as exc:
        st.error(md(exc))
        st.stop()
        raise  # unreachable
    if who is None or not who.may_open(area):
        st.error(
            "Your role does not include this page. Ask your Rudder admin if you need it."
            if who
            else "Sign in to use Rudder."
        )
        st.stop()
    return who


def visible(frame: pd.DataFrame, bk: Book, *, column: str = "account_id") -> pd.DataFrame:
    """Rows of ``frame`` about accounts the viewer may see (applied on every run, never cached)."""
    who = viewer()
    if who is None:
        return frame.iloc[0:0]
    if who.role == "admin":
        return frame
    ids = bk.accounts.loc[who.visible_accounts(bk.accounts), "account_id"]
    return frame.loc[frame[column].isin(set(ids))]


# ---------------------------------------------------------------------------------------------
# The data source: demo by default; a folder, uploads or a database from Data & settings


def source() -> dict:
    """The active data source (kept in the session)."""
    if "source" not in st.session_state:
        url = secret("RUDDER_DATA_URL")
        st.session_state["source"] = {"kind": "sql", "url": url} if url else {"kind": "demo"}
    return st.session_state["source"]


def source_key(src: dict) -> str:
    """A stable cache key for a source (uploads by content hash; URLs never shown)."""
    if src["kind"] == "upload":
        held = src.get("key_of")  # worked out once for these very files and this name
        if held is not None and held[0] is src["files"] and held[1] == src.get("name"):
            return held[2]
        digest = hashlib.sha256()
        digest.update(str(src.get("name") or "").encode())  # the book's name keys its log
        for f in src["files"]:
            digest.update(f.name.encode())
            digest.update(file_digest(f.name, f.data).encode())
            digest.update(
                json.dumps(
                    [f.table, f.mapping, f.date_order, f.values, f.constants, f.header],
                    sort_keys=True,
                ).encode()
            )
        key = "upload:" + digest.hexdigest()[:16]
        # kept with the files it was worked out for: a copy of this source with other files
        # ({**src, "files": ...}) does not match and is keyed afresh
        src["key_of"] = (src["files"], src.get("name"), key)
        return key
    return json.dumps(
        {k: v for k, v in src.items() if k not in ("files", "key_of")}, sort_keys=True
    )


@st.cache_resource(ttl=TTL, max_entries=BOOKS_KEPT, show_spinner="Loading the book…")
def _load(key: str, as_of: str | None, _src: dict) -> Book:
    # Cached as a resource: the book is large and read-only, so reruns share it instead of
    # copying a million-row frame each time. Keyed by the source and the as-of date.
    kind = _src["kind"]
    # a restart on unchanged files reads the kept book (insight_engine.book.cube)
    if kind == "demo":
        return load_demo(as_of=as_of, cache_dir=config().cache_dir)
    if kind == "folder":
        return load_folder(_src["path"], as_of=as_of, cache_dir=config().cache_dir)
    if kind == "sql":
        return load_sql(_src["url"], as_of=as_of)
    raise RudderError(f"Unknown data source {kind!r}.")


@st.cache_resource(ttl=UPLOAD_TTL, max_entries=2, show_spinner="Loading the book…")
def _load_upload(key: str, as_of: str | None, _src: dict) -> Book:
    # Uploaded books are one person's: kept a quarter of an hour, two at most (the files stay
    # in that person's session, so a book let go is read again from them when needed).
    return load_uploads(
        list(_src["files"]),
        name=_src.get("name"),
        as_of=as_of,
        max_bytes=config().max_upload_bytes,  # the environment's or secrets' RUDDER_MAX_UPLOAD_MB
    )


def as_of() -> str | None:
    """The as-of date the person chose (None: the last date of the usage).

    Kept in ``as_of_value``, which Rudder owns, so it outlives the sidebar widget (Streamlit
    drops a widget's value when the page changes) and is cleared with certainty when the data
    changes; the widget's own key is only a fallback (tests and the first run set it)."""
    value = st.session_state.get("as_of_value") or st.session_state.get("as_of_override")
    return f"{value:%Y-%m-%d}" if value else None


def _clear_as_of() -> None:
    st.session_state.pop("as_of_override", None)
    st.session_state.pop("as_of_value", None)


def _as_of_changed() -> None:
    st.session_state["as_of_value"] = st.session_state.get("as_of_override")


SOURCE_LABELS = {
    "demo": "the demo book",
    "folder": "the folder",
    "sql": "the database",
    "upload": "the uploaded files",
}
FAILED_LABELS = {**SOURCE_LABELS, "upload": "these files"}


def _file_book() -> Book:
    """The book as loaded from its source.

    A source that fails to load never leaves Rudder without a book: the last source that loaded
    this session (at first, the demo) comes back, and the failure (what went wrong and the
    report) waits in ``st.session_state["load_failure"]`` for Data & settings to show beside the
    upload flow, where the user's files and choices are kept for the next attempt. Only when
    nothing has loaded yet this session (a configured database that is down) does the page say
    what to fix and stop.
    """
    src = source()
    try:
        loader = _load_upload if src["kind"] == "upload" else _load
        loaded = loader(source_key(src), as_of(), src)
    except Exception as exc:  # RudderError says what to fix; anything else is logged, not shown
        if as_of() is not None:
            # A date the data cannot answer for: back to the last date with usage, and say why.
            _clear_as_of()
            st.session_state["as_of_refused"] = (
                str(exc) if isinstance(exc, RudderError) else "That as-of date could not be used."
            )
            st.rerun()
        if not isinstance(exc, RudderError):
            logging.getLogger("rudder").exception("loading %s failed", src["kind"])
            exc = RudderError(
                "Rudder could not read this data (an unexpected problem, now in the server "
                "log). Check the files against the data contract, or go back to the demo book."
            )
        report = getattr(exc, "report", None)
        previous = st.session_state.get("loaded_source")
        if previous is not None and source_key(previous) != source_key(src):
            kept = SOURCE_LABELS.get(previous["kind"], "the previous data")
            st.session_state["load_failure"] = {
                "kind": src["kind"],
                "message": str(exc),
                "report": report.to_frame() if report is not None else None,
                "kept": kept.replace("the ", "the earlier ", 1)
                if previous["kind"] == src["kind"]
                else kept,
            }
            st.session_state["load_failure_new"] = True
            st.session_state["source"] = previous
            st.rerun()  # every widget of this run (the sidebar's source) shows the kept book
        st.error(md(exc))
        if report is not None:
            show_problems(report.to_frame(), key="load-error")
        if src["kind"] != "demo" and st.button("Go back to the demo book"):
            st.session_state["source"] = {"kind": "demo"}
            st.rerun()
        st.stop()
        raise  # unreachable: st.stop() ends the run
    before = st.session_state.get("loaded_source")
    if before is not None and source_key(before) != source_key(src):
        # the new data is in use: said wherever the page was scrolled to when Load was clicked
        st.toast(
            f"Loaded {md(loaded.source)}: {len(loaded.accounts):,} accounts, as of "
            f"{fmt.day(loaded.as_of)}.",
            icon=":material/check_circle:",
        )
    st.session_state["loaded_source"] = src
    st.session_state.setdefault("date_range", {})[source_key(src)] = loaded.date_range
    if refused := st.session_state.pop("as_of_refused", None):
        st.toast(md(refused), icon=":material/event_busy:")
    if st.session_state.pop("load_failure_new", False):
        failure = st.session_state.get("load_failure") or {}
        st.toast(
            f"Rudder could not load {FAILED_LABELS.get(failure.get('kind'), 'that data')}, so it "
            f"still shows {failure.get('kept', 'the previous data')}. Data & settings says what "
            "to fix.",
            icon=":material/error:",
        )
    return loaded


@st.cache_resource(ttl=TTL, max_entries=2, show_spinner="Opening the insight log…")
def _store(url: str | None) -> InsightStore:
    return InsightStore(url)


def store() -> InsightStore:
    """The insight log (SQLite in data/ by default, RUDDER_DB_URL for a team); migrated on open.
    Keyed by its URL; a failure is not cached, so the next run retries once the database is
    back, and pooled connections are checked before use (pool_pre_ping)."""
    return _store(secret("RUDDER_DB_URL"))


@st.cache_resource(ttl=TTL, max_entries=8, show_spinner="Loading the insight history into the log…")
def _import_history(data_key: str, where: str, _book: Book, _store: InsightStore) -> int:
    return _store.import_history(_book)


@st.cache_resource(ttl=TTL, max_entries=BOOKS_KEPT, show_spinner=False)
def _with_log(data_key: str, version: str, _book: Book, _store: InsightStore) -> Book:
    return replace(
        _book,
        insights=_store.as_history(book_key=_book.key),
        data_key=data_key,
        cache_key=f"{data_key}|{version}",
    )


def book() -> Book:
    """The active book, with its own insight log as its history (the log is the team's memory;
    each book has its own, keyed by ``Book.key``: another book's insights never appear)."""
    file_book = _file_book()
    data_key = f"{source_key(source())}|{as_of()}"
    try:
        log = store()
        _import_history(data_key, log.where, file_book, log)
        bk = _with_log(data_key, log.version(book_key=file_book.key), file_book, log)
        mixed = foreign_history(bk.insights, bk.accounts["account_id"])
        if mixed:
            st.warning(md(mixed), icon=":material/call_split:")
        return bk
    except RudderError as exc:
        st.warning(
            f"{exc} Until it is back, history comes from your data files and logging is paused."
        )
        return replace(file_book, data_key=data_key, cache_key=f"{data_key}|files")


def settings() -> Settings:
    if "settings" not in st.session_state:
        try:
            st.session_state["settings"] = Settings.load(SETTINGS_PATH)
        except RudderError as exc:
            st.warning(md(exc))
            st.session_state["settings"] = Settings()
    return st.session_state["settings"]


def _generation() -> int:
    return st.session_state.get("model_generation", 0)


@st.cache_resource(ttl=TTL, max_entries=BOOKS_KEPT, show_spinner="Finding this week's insights…")
def _analysis(cache_key: str, settings_json: str, generation: int, _book: Book) -> Analysis:
    # A resource: arrays and the fitted model, shared read-only by reruns (no copy per rerun).
    return analyze(_book, Settings.from_dict(json.loads(settings_json)), retrain=generation > 0)


def analysis(bk: Book) -> Analysis:
    """Health, signals, model and ranked book for the active book, log and settings."""
    return _analysis(bk.cache_key, settings().to_json(), _generation(), bk)


def retrain() -> None:
    """Fit the opportunity model again on the current history (the next run misses the cache)."""
    st.session_state["model_generation"] = _generation() + 1


@st.cache_resource(ttl=TTL, max_entries=8, show_spinner=False)
def _data_notes(data_key: str, _book: Book) -> pd.DataFrame:
    return artefact_notes(_book)


def data_notes(bk: Book) -> pd.DataFrame:
    """Readings of this book that look like data artefacts (left out of every comparison);
    shared like :func:`book_table`."""
    return _data_notes(bk.data_key, bk).copy(deep=False)


def health(bk: Book) -> HealthScore:
    """Health for the active book and settings (part of the cached analysis)."""
    return analysis(bk).health


def claude_key() -> str | None:
    """The Anthropic key from the environment or secrets (used, never shown)."""
    return secret("ANTHROPIC_API_KEY")


@st.cache_data(ttl=TTL, max_entries=64, show_spinner="Drafting…")
def _drafts(
    data_key: str,
    settings_json: str,
    account_id: str,
    motion: str | None,
    use_claude: bool,
    _book: Book,
    _analysis: Analysis,
    signal: tuple[str, str | None] | None = None,
) -> tuple[DraftContext, DraftSet]:
    # Keyed by the data, not the log: logging an insight must not re-draft (or re-call Claude).
    chosen = _analysis.only_signal(account_id, *signal) if signal else _analysis
    ctx = build_context(_book, chosen, account_id, motion)
    api_key = claude_key() if use_claude else None
    return ctx, draft_insight(
        ctx, api_key=api_key, model=secret("RUDDER_CLAUDE_MODEL"), timeout=claude_timeout()
    )


def claude_timeout() -> float:
    """Seconds to wait for Claude per attempt (``RUDDER_CLAUDE_TIMEOUT``, default 30)."""
    return config().claude_timeout


def drafts(
    bk: Book,
    account_id: str,
    motion: str | None,
    signal: tuple[str, str | None] | None = None,
) -> tuple[DraftContext, DraftSet]:
    """Context and the three drafts for an account's signal — the strongest of ``motion``, or the
    one ``signal`` names as (detector, metric) — cached, so reruns never call Claude twice."""
    attempt = st.session_state.get(
        "claude_attempt", 0
    )  # "Try Claude again" makes a new cache entry
    return _drafts(
        f"{bk.data_key}|{attempt}",
        settings().to_json(),
        account_id,
        motion,
        bool(claude_key()),
        bk,
        analysis(bk),
        signal,
    )


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def chart_png(
    data_key: str, settings_json: str, account_id: str, motion: str, _chart: LabelledChart
) -> bytes:
    """The insight chart as a 2× PNG (rendered once per account and signal)."""
    return to_png(_chart)


@st.cache_resource(ttl=TTL, max_entries=256, show_spinner=False)
def cached_chart(key: tuple, _build) -> LabelledChart:
    """A chart built once per key (book version, settings, account, what) and shared read-only
    by every session: building a layered Altair chart costs ~0.1 s of CPU each time."""
    return _build()


# chart -> its spec as Streamlit sends it, kept while the chart object lives
_SHOWN_SPECS: weakref.WeakKeyDictionary[LabelledChart, dict] = weakref.WeakKeyDictionary()


def chart(labelled: LabelledChart, **kwargs):
    """Draw a chart (``st.vega_lite_chart``) from a spec worked out once per chart object.

    ``st.altair_chart`` converts the Altair chart again on every rerun, and does it under one
    process-wide lock (Altair's theme and data transformer are global): with 20 sessions on the
    Account page that conversion was most of the server's CPU per session, and each session
    waited for the others'. Here the chart's own spec (:attr:`LabelledChart.spec`, computed
    once) is turned into what Streamlit sends — each dataset as Arrow bytes, the default
    theme's 300 px view size left out as Streamlit does — once per chart, and a chart shared by
    :func:`cached_chart` is converted once for every session. Pages never call
    ``st.altair_chart`` directly (a test checks)."""
    kwargs.setdefault("width", "stretch")
    return st.vega_lite_chart(spec=shown_spec(labelled), **kwargs)


def shown_spec(labelled: LabelledChart) -> dict:
    """:func:`chart`'s spec for ``labelled``, kept while the chart object lives (read-only; two
    sessions converting one chart at once both get a correct spec, and one is kept)."""
    spec = _SHOWN_SPECS.get(labelled)
    if spec is None:
        spec = _SHOWN_SPECS.setdefault(labelled, _for_streamlit(labelled.spec))
    return spec


def _for_streamlit(spec: dict) -> dict:
    """A new spec as ``st.altair_chart`` would send it: datasets as Arrow bytes (Streamlit
    converts inline records again on every draw) and without the default theme's fixed
    300 × 300 view, which would stop the chart from taking its container's width."""
    from streamlit.dataframe_util import convert_anything_to_arrow_bytes

    out = dict(spec)
    out["datasets"] = {
        name: convert_anything_to_arrow_bytes(pd.DataFrame.from_records(rows))
        for name, rows in spec.get("datasets", {}).items()
    }
    theme = alt.theme.get()() if alt.theme.active == "default" else {}
    default_view = (theme or {}).get("config", {}).get("view", {})
    config = dict(spec.get("config") or {})
    view = {k: v for k, v in config.pop("view", {}).items() if default_view.get(k) != v}
    if view:
        config["view"] = view
    out.pop("config", None)
    if config:
        out["config"] = config
    return out


def insight_chart_for(bk: Book, ctx: DraftContext) -> LabelledChart:
    """The annotated chart for the signal being drafted."""
    metric = getattr(ctx, "metric", None)  # two signals of one detector: the drafted metric's

    def build() -> LabelledChart:
        records = [
            r
            for r in signal_records(analysis(bk).signals, ctx.account_id)
            if r["detector"] == ctx.detector
        ]
        signal = next((r for r in records if r["evidence"].get("metric") == metric), records[0])
        return insight_chart(
            bk,
            analysis(bk).health,
            {**signal, "account_id": ctx.account_id},
            red_below=settings().health.red_below,
        )

    key = (bk.cache_key, settings().to_json(), "insight", ctx.account_id, ctx.detector, metric)
    return cached_chart(key, build)


# The book's tables below are kept as resources, one object shared by every session, and each
# caller gets a shallow copy: pandas copies on write, so a page that changes its copy changes
# only its copy. (``st.cache_data`` unpickled the frame for every session on every rerun: ~10%
# of the server's CPU for a new session on the M book.)


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def _book_table(
    cache_key: str, settings_json: str, generation: int, _book: Book, _analysis: Analysis
) -> pd.DataFrame:
    return views.book_table(_book, _analysis)


def book_table(bk: Book) -> pd.DataFrame:
    """Accounts with health, renewal, last insight and their place in the ranked book (best first)."""
    shared = _book_table(bk.cache_key, settings().to_json(), _generation(), bk, analysis(bk))
    return shared.copy(deep=False)


@st.cache_resource(ttl=TTL, max_entries=8, show_spinner=False)
def _log(cache_key: str, book_key: str, _store: InsightStore) -> pd.DataFrame:
    return _store.insights(book_key=book_key)


def log_frame(bk: Book) -> pd.DataFrame:
    """This book's insight log (with flags, follow-ups and library marks), refreshed when it changes."""
    try:
        return _log(bk.cache_key, bk.key, store()).copy(deep=False)
    except RudderError as exc:
        st.warning(md(exc))
        return bk.insights.assign(
            alignment_meeting=False,
            library_example=False,
            library_note=None,
            id=-1,
            sent_on=bk.insights["date"],
            text="",
            subject="",
            evidence=None,
        )


@st.cache_resource(ttl=600, max_entries=8, show_spinner="Reading the file…")
def _raw_table(name: str, digest: str, _data: bytes) -> RawTable:
    return read_raw(_data, name)


def file_digest(name: str, data: bytes) -> str:
    """The digest of an uploaded file, computed once per file (hashing a 185 MB upload took
    ~0.3-2 s, and the upload step, its guesses and the source's cache key each asked on every
    rerun).

    Kept in the upload step's state beside the file and reused only for that very bytes object:
    a file added again under the same name is a new object, so it is hashed afresh, and a file
    the step let go of takes its digest with it. Bytes not held by the step (a headerless
    file's numbered copy) are hashed each time."""
    flow = st.session_state.get("upload_flow")
    files = flow.get("files", {}) if isinstance(flow, dict) else {}
    digests = flow.setdefault("digests", {}) if files else {}
    for gone in [n for n, (held, _) in digests.items() if files.get(n) is not held]:
        del digests[gone]  # removed or replaced: never keep a file the step let go of
    held, digest = digests.get(name, (None, None))
    if held is not data:
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        if files.get(name) is data:
            digests[name] = (data, digest)
    return digest


def raw_table(name: str, data: bytes) -> RawTable:
    """An uploaded file read once per content (a 10-million-row CSV took 6.8 s to read again on
    every widget change of the upload step); kept ten minutes, shared read-only."""
    return _raw_table(name, file_digest(name, data), data)


def grid(frame: pd.DataFrame, **kwargs):
    """``st.dataframe`` for every table on screen, formula-safe: the grid's own "Download as
    CSV" exports the cells as displayed, so a cell a spreadsheet would run (``=HYPERLINK(…)``,
    ``@SUM(…)``) starts with an invisible word joiner and stays text. Pages never call
    ``st.dataframe`` directly (a test checks)."""
    return st.dataframe(formula_safe(frame, marker=SCREEN_MARKER), **kwargs)


def editor(frame: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """``st.data_editor``, formula-safe like :func:`grid`: its "Download as CSV" exports the
    cells as displayed, so formula-like cells show behind the invisible marker; the frame it
    returns has the marker taken off again, so what Rudder keeps is what was typed. Pages never
    call ``st.data_editor`` directly (a test checks)."""
    edited = st.data_editor(formula_safe(frame, marker=SCREEN_MARKER), **kwargs)
    return without_marker(edited, SCREEN_MARKER)


def table(frame: pd.DataFrame, name: str, *, key: str, **kwargs) -> None:
    """A table with its CSV download (formula-safe) underneath."""
    grid(frame, hide_index=True, width="stretch", **kwargs)
    csv_button(frame, name, key=key)


def csv_button(frame: pd.DataFrame, name: str, *, key: str) -> None:
    """ "Download {name} (CSV)": the frame as formula-safe CSV, saved as ``rudder-{key}.csv``."""
    st.download_button(
        f"Download {name} (CSV)",
        safe_csv(frame),
        file_name=f"rudder-{key}.csv",
        mime="text/csv",
        key=f"csv-{key}",
    )


def png_button(chart: LabelledChart, name: str, *, key: str) -> None:
    """A 2× PNG download beside a chart."""
    st.download_button(
        f"Download {name} (PNG)",
        to_png(chart),
        file_name=f"rudder-{key}.png",
        mime="image/png",
        key=f"png-{key}",
    )


def user_name() -> str:
    """Who is acting: the signed-in person, or in local mode the "View as" person (never another
    page's widget, which Streamlit drops on navigation)."""
    from insight_engine.outputs.sharing import author_name

    return author_name(viewer())


# ---------------------------------------------------------------------------------------------
# Render helpers


def sidebar() -> None:
    """Shared sidebar: where the data comes from and the as-of date."""
    src = source()
    with st.sidebar:
        st.markdown("### :material/explore: Rudder")
        st.caption("Find this week's insight, explain it, share it.")
        label = {
            "demo": "Demo book",
            "folder": "Folder",
            "sql": "Database",
            "upload": "Uploaded files",
        }[src["kind"]]
        st.caption(f"**Data:** {label}")
        # An as-of date belongs to the data it was set for: new data starts at its own last day.
        key = source_key(src)
        if st.session_state.get("as_of_source", key) != key and as_of():
            _clear_as_of()
            st.toast("New data: the as-of date is back to the last day of its usage.")
        st.session_state["as_of_source"] = key
        if "as_of_override" not in st.session_state and st.session_state.get("as_of_value"):
            st.session_state["as_of_override"] = st.session_state["as_of_value"]  # a new page
        first, last = st.session_state.get("date_range", {}).get(key, (None, None))
        st.date_input(
            "As of",
            value=None,
            key="as_of_override",
            on_change=_as_of_changed,
            format="YYYY-MM-DD",
            # only the dates the usage covers (the loader refuses others, with the range)
            min_value=None if first is None or pd.isna(first) else first.date(),
            max_value=None if last is None or pd.isna(last) else last.date(),
            help="'This week' ends on this date. Empty = the last date in the usage data"
            + (f" ({fmt.day(last)})." if last is not None and not pd.isna(last) else ".")
            + " Type a date and press Enter, or pick one from the calendar.",
        )
        from pages.shared.copy import enter_applies_dates

        enter_applies_dates()  # Enter applies a typed date (it waited for a click elsewhere)
        _who_sidebar()


def _who_sidebar() -> None:
    """Signed in: who and a sign-out button. Local mode: says so, with the role switcher."""
    if auth_configured():
        who = viewer()
        if who is not None:
            st.caption(f"Signed in as **{md(who.label)}**")
        if signed_in() and st.button("Sign out", key="sign_out"):
            st.logout()
        return
    st.caption(
        "**Local mode:** one trusted user on this machine; anyone who can open this address "
        "sees everything. Add an `[auth]` section to secrets to require sign-in."
    )
    st.selectbox(
        "View as",
        ["admin", *(r for r in ROLES if r != "admin")],  # admin (everything) first: the default
        format_func=ROLE_LABELS.get,
        key="local_role",
        help="See Rudder as each role sees it (local mode only).",
        persist_state="session",  # a widget's id includes its page: keep the role on every page
    )
    role = st.session_state.get("local_role", "admin")
    if role == "csm":
        accounts = book().accounts
        csms = sorted(accounts["csm"].dropna().astype(str).unique())
        st.selectbox("CSM", csms, key="local_csm", persist_state="session")
    elif role == "manager":
        teams = book().teams
        if teams:
            st.selectbox("Team", teams, key="local_team", persist_state="session")


def md(value: object) -> str:
    """Data (names, goals, notes, headlines) made inert for Markdown-rendering calls: no links,
    images, emphasis or maths can come from what a customer or a file wrote."""
    return inert_markdown(value)


def money(x: float) -> str:
    return fmt.money(x)


def show_problems(frame: pd.DataFrame, *, key: str, limit: int = 500) -> None:
    """A validation report as a table, with the whole thing downloadable."""
    if frame.empty:
        st.success("No problems found.")
        return
    errors = int((frame["severity"] == "error").sum())
    st.caption(
        f"{fmt.plural(len(frame), 'finding')}, {fmt.plural(errors, 'error')}. "
        f"Showing the first {min(limit, len(frame)):,}."
    )
    order = ["severity", "file", "row", "column", "value", "problem", "fix"]
    shown = frame.head(limit)
    shown = shown[[c for c in order if c in shown] + [c for c in shown if c not in order]]
    grid(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "severity": st.column_config.TextColumn("Severity", width="small"),
            "file": st.column_config.TextColumn("File"),
            "row": st.column_config.NumberColumn("Row", format="%d", width="small"),
            "column": st.column_config.TextColumn("Column"),
            "value": st.column_config.TextColumn("Value"),
            "problem": st.column_config.TextColumn("Problem", width="large"),
            "fix": st.column_config.TextColumn("What to do", width="large"),
        },
    )
    st.download_button(
        "Download the full report (CSV)",
        safe_csv(frame),
        file_name="rudder-report.csv",
        mime="text/csv",
        key=f"dl-{key}",
    )


def safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV safe to open in a spreadsheet (formula injection neutralised)."""
    return _safe_csv(frame)


def out_of_view(bk: Book) -> None:
    """Say what this week's view leaves out (rows after the as-of date, usage that ends before
    it, detectors off for too few weeks of usage): never silently."""
    notes = coverage_notes(bk, settings().detector)
    if notes:
        st.info(
            "**Not in this view:** " + " ".join(md(n) for n in notes[:1]),
            icon=":material/visibility_off:",
        )
        if len(notes) > 1:
            with st.expander(f"{fmt.plural(len(notes) - 1, 'more thing')} this view cannot show"):
                for note in notes[1:]:
                    st.markdown(f"- {md(note)}")
