"""The upload flow in Data & settings, driven in AppTest with the hand-made fixture books.

A failed load keeps the user's files, table choices, mapping and date order and shows the report
beside them, while the previous book stays in use; a file can be skipped; a missing required
column stops a file before loading; the user maps their own values to Rudder's choices; the
metric catalog is edited, downloaded and used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight_engine.book.loader import UploadedFile, load_uploads
from tests.fixtures import TODAY, book_dir
from tests.helpers import open_app

SETTINGS = "pages/admin/data_settings.py"
SKIP = "— skip this file —"


@pytest.fixture(scope="module", autouse=True)
def _demo_ready():
    from insight_engine.book.loader import ensure_demo

    ensure_demo()


def _files(book: str, **changed: bytes | None) -> dict[str, bytes]:
    """A fixture book's files by name; ``accounts_csv=b"..."`` replaces one, ``=None`` drops it."""
    files = {f.name: f.read_bytes() for f in sorted(book_dir(book).iterdir())}
    for key, data in changed.items():
        name = key.replace("_csv", ".csv")
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data
    return files


def _upload(at, files: dict[str, bytes]):
    at.radio(key="source_kind").set_value("Upload files").run()
    at.file_uploader[0].set_value([(n, b, "text/csv") for n, b in files.items()]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _texts(elements) -> str:
    """The elements' text as the user reads it (without the Markdown escapes of ui.md)."""
    return "\n".join(e.value for e in elements).replace("\\", "")


def test_a_failed_load_keeps_files_and_choices_and_the_previous_book():
    at = _upload(open_app(SETTINGS), _files("minimal"))
    # the user swaps two columns by mistake: ids are names, so no usage row finds its account
    at.selectbox(key="map|accounts.csv|accounts|account_id").set_value("account_name")
    at.selectbox(key="map|accounts.csv|accounts|account_name").set_value("account_id")
    at.radio(key="order|usage.csv").set_value("day_first")
    at.run()
    _button(at, "Load these files").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # the demo book stays; the failure and its report are shown beside the upload flow
    assert at.session_state["source"]["kind"] == "demo"
    failure = at.session_state["load_failure"]
    report = failure["report"]  # what stopped the load, by file
    assert failure["kind"] == "upload"
    assert "usage.csv" in set(report.loc[report["severity"] == "error", "file"]), report
    errors = _texts(at.error)
    assert "still shows the demo book" in errors and "usage" in errors
    assert any("account" in str(df.value.to_csv()) for df in at.dataframe)
    # every file and choice is still there
    assert set(at.session_state["upload_flow"]["files"]) == {
        "accounts.csv",
        "metrics.csv",
        "usage.csv",
    }
    assert at.selectbox(key="map|accounts.csv|accounts|account_id").value == "account_name"
    # the previous book is usable on another page, and coming back finds the choices kept
    at.switch_page("pages/csm/this_week.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.dataframe
    at.switch_page(SETTINGS).run()
    assert at.radio(key="source_kind").value == "Upload files"
    assert at.selectbox(key="map|accounts.csv|accounts|account_id").value == "account_name"
    assert at.radio(key="order|usage.csv").value == "day_first"
    assert "still shows the demo book" in _texts(at.error)
    # fix the one thing and load again
    at.selectbox(key="map|accounts.csv|accounts|account_id").set_value("account_id")
    at.selectbox(key="map|accounts.csv|accounts|account_name").set_value("account_name")
    at.run()
    _button(at, "Load these files").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["source"]["kind"] == "upload"
    assert "load_failure" not in at.session_state
    assert "Uploaded files" in _texts(at.markdown)
    assert "are the book Rudder shows now" in _texts(at.success)


def test_a_file_can_be_skipped():
    junk = b"foo,bar\n1,2\n"
    at = _upload(open_app(SETTINGS), {**_files("full"), "crm_export.csv": junk})
    # a file whose table Rudder cannot tell starts skipped; a known one can be skipped too
    assert at.selectbox(key="tbl|crm_export.csv").value == SKIP
    at.selectbox(key="tbl|tickets.csv").set_value(SKIP).run()
    assert not at.error, [e.value for e in at.error]
    _button(at, "Load these files").click().run()
    assert not at.exception, [e.value for e in at.exception]
    loaded = {f.name for f in at.session_state["source"]["files"]}
    assert "crm_export.csv" not in loaded and "tickets.csv" not in loaded
    assert {"accounts.csv", "usage.csv", "surveys.csv"} <= loaded


def test_a_missing_required_column_is_stopped_before_loading():
    usage = (book_dir("minimal") / "usage.csv").read_bytes()
    usage = usage.replace(b"account_id,date,metric,value", b"account_id,day_count,metric,value")
    accounts = (book_dir("minimal") / "accounts.csv").read_bytes()
    accounts = accounts.replace(b"renewal_date", b"renewal_days")
    at = _upload(open_app(SETTINGS), _files("minimal", usage_csv=usage, accounts_csv=accounts))
    errors = _texts(at.error)
    assert "usage.csv has no column for date" in errors
    for column in ("account_id", "day_count", "metric", "value"):
        assert f"'{column}'" in errors  # every column the file has
    assert _button(at, "Load these files").disabled
    assert "Not ready to load: usage.csv: no column for date" in _texts(at.warning)
    # a number of days is never offered as the renewal date
    assert at.selectbox(key="map|accounts.csv|accounts|renewal_date").value == "— not in file —"


def test_their_values_map_to_rudders_choices():
    at = _upload(open_app(SETTINGS), _files("odd_choices"))
    offered = {s.key for s in at.selectbox if s.key and s.key.startswith("val|")}
    # what the validator already reads (growth, SMB, P1, sev 2, ...) is not asked about
    assert "val|accounts.csv|accounts|tier|Professional" in offered
    assert "val|surveys.csv|surveys|kind|ces" in offered
    assert not any("|P1" in k or "|sev 2" in k or "|growth" in k for k in offered)
    tier = at.selectbox(key="val|accounts.csv|accounts|tier|Professional")
    assert tier.options[0].startswith("—") and "Enterprise" in tier.options
    tier.set_value("Starter")  # HD-01 has $84k ARR: derived, it would read Enterprise
    at.selectbox(key="val|surveys.csv|surveys|kind|ces").set_value("csat")
    at.run()
    _button(at, "Load these files").click().run()
    assert not at.exception, [e.value for e in at.exception]
    files = at.session_state["source"]["files"]
    by_table = {f.table: f for f in files}
    assert by_table["accounts"].values == {"tier": {"Professional": "Starter"}}
    assert by_table["surveys"].values == {"kind": {"ces": "csat"}}
    book = load_uploads(files, today=TODAY)
    assert book.accounts.set_index("account_id").loc["HD-01", "tier"] == "Starter"
    assert (book.surveys["kind"] == "csat").sum() == 2  # the CSAT row and the ces row


def test_loader_applies_their_values_before_validation():
    files = [
        UploadedFile(n, b, table=n.removesuffix(".csv")) for n, b in _files("odd_choices").items()
    ]
    for f in files:
        if f.table == "accounts":
            f.values = {"tier": {"Professional": "Growth"}}
        if f.table == "insights":
            f.values = {"outcome": {" Replied ": "landed", "Landed": ""}}  # "" = blank
    book = load_uploads(files, today=TODAY)
    assert book.accounts.set_index("account_id").loc["HD-01", "tier"] == "Growth"
    report = book.report.to_frame()
    assert not ((report["column"] == "tier") & (report["value"] == "Professional")).any()
    raw = pd.read_csv(book_dir("odd_choices") / "insights.csv", dtype=str)
    outcome = book.insights.set_index("insight_id")["outcome"]
    replied = raw.loc[raw["outcome"] == "Replied", "insight_id"]
    assert len(replied) and (outcome.loc[replied] == "landed").all()
    blanked = raw.loc[raw["outcome"] == "Landed", "insight_id"]
    assert len(blanked) and outcome.loc[blanked].isna().all()


def test_the_metric_catalog_is_edited_downloaded_and_used():
    at = open_app(SETTINGS)
    # the demo's catalog can be downloaded, not used in place (Rudder never changes a source)
    assert _button(at, "Use this catalog").disabled
    assert any(b.label == "Download metrics.csv" for b in at.get("download_button"))
    at = _upload(at, _files("no_catalog"))
    assert not at.error, [e.value for e in at.error]
    _button(at, "Load these files").click().run()
    assert at.session_state["source"]["kind"] == "upload"
    editor = at.data_editor(key="catalog_editor")
    derived = editor.value
    assert "tickets_solved" in set(derived["metric"])  # made from the usage metric names
    row = int(derived.index[derived["metric"] == "tickets_solved"][0])
    at.session_state["catalog_editor"] = {
        "edited_rows": {row: {"label": "Tickets closed", "category": "outcome"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    _button(at, "Use this catalog").click().run()
    assert not at.exception, [e.value for e in at.exception]
    files = at.session_state["source"]["files"]
    catalog = next(f for f in files if f.table == "metrics")
    assert catalog.name == "metrics.csv" and b"Tickets closed" in catalog.data
    assert "metrics.csv" in at.session_state["upload_flow"]["files"]
    shown = at.data_editor(key="catalog_editor").value.set_index("metric")
    assert shown.loc["tickets_solved", "label"] == "Tickets closed"
    assert shown.loc["tickets_solved", "category"] == "outcome"
    assert "reloaded with this catalog" in _texts(at.success)


def _upload_book(at, book: str):
    at.radio(key="source_kind").set_value("Upload files").run()
    key = f"uploads-{at.session_state['upload_flow']['gen']}"
    at.file_uploader(key=key).set_value([(n, b, "text/csv") for n, b in _files(book).items()]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _event_roles(at, name: str) -> dict[str, str]:
    roles = ("timestamp", "event", "user_id", "account_id")
    return {r: at.selectbox(key=f"map|{name}|events|{r}").value for r in roles}


@pytest.mark.parametrize(
    ("book", "name", "roles"),
    [
        (
            "segment_events",
            "events.jsonl",
            ("timestamp", "event", "userId", "context.groupId"),
        ),
        (
            "mixpanel_events",
            "events.jsonl",
            ("properties.time", "event", "properties.distinct_id", "properties.account_id"),
        ),
        ("events_users", "events.csv", ("event_time", "event_type", "user_id", "groups")),
    ],
)
def test_an_event_logs_columns_are_suggested_and_load_as_the_command_line_guesses(
    book, name, roles, tmp_path
):
    """The upload step shows which column is the timestamp, event, user and account, as the
    command line's --guess reads them; accepted as they are, the saved mapping and the book are
    the command line's."""
    import json

    from insight_engine.book.loader import folder_plan, load_folder
    from insight_engine.source.mapping_file import SavedMapping

    at = _upload_book(open_app(SETTINGS), book)
    assert at.selectbox(key=f"tbl|{name}").value == "events"
    assert _event_roles(at, name) == dict(
        zip(("timestamp", "event", "user_id", "account_id"), roles, strict=True)
    )
    assert not at.error, [e.value for e in at.error]
    _button(at, "Load these files").click().run()
    assert not at.exception, [e.value for e in at.exception]
    files = at.session_state["source"]["files"]
    app = json.loads(SavedMapping.from_uploads(files).to_json())
    cli, _ = folder_plan(book_dir(book), guess=True)
    assert app == json.loads(cli.to_json())
    assert set(app["files"][name]["tables"]["events"]["values"]["event"].values()) >= {
        "other_activity"
    }
    ours = load_uploads(files, today=TODAY)
    theirs = load_folder(book_dir(book), guess=True, today=TODAY)
    assert list(ours.metrics["metric"]) == list(theirs.metrics["metric"])
    assert np.array_equal(ours.weekly.values, theirs.weekly.values, equal_nan=True)


def test_an_event_logs_columns_and_metrics_are_changed_and_round_trip_in_the_saved_mapping():
    import json

    from insight_engine.source.events import WEEKLY_ACTIVE
    from insight_engine.source.mapping_file import SavedMapping

    name = "events.jsonl"
    at = _upload_book(open_app(SETTINGS), "segment_events")
    _button(at, "Load these files").click().run()
    before = load_uploads(at.session_state["source"]["files"], today=TODAY)
    # one column for two parts of an event is stopped before loading
    at.selectbox(key=f"map|{name}|events|user_id").set_value("event").run()
    assert "chosen for two parts of the event" in _texts(at.error)
    assert _button(at, "Load these files").disabled
    # the user reads people from another column (each event its own id: one person per event)
    at.selectbox(key=f"map|{name}|events|user_id").set_value("messageId").run()
    assert not at.error, [e.value for e in at.error]
    # and a saved mapping renames two events' metric and leaves one uncounted
    doc = json.loads(SavedMapping.from_uploads(at.session_state["source"]["files"]).to_json())
    events = doc["files"][name]["tables"]["events"]
    events["columns"] = {"timestamp": "timestamp", "event": "event", "userId": "user_id"}
    events["values"]["event"].update({"Invite Sent": "invites", "Dashboard Shared": ""})
    at.file_uploader(key="mapping-upload-0").set_value(
        [("m.json", json.dumps(doc).encode(), "application/json")]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    # the mapping's columns are set (no account column: the first found is offered back)
    roles = _event_roles(at, name)
    assert roles["user_id"] == "userId" and roles["account_id"] == "context.groupId"
    at.selectbox(key=f"map|{name}|events|user_id").set_value("messageId").run()
    _button(at, "Load these files").click().run()
    assert not at.exception, [e.value for e in at.exception]
    files = at.session_state["source"]["files"]
    (events_file,) = [f for f in files if f.table == "events"]
    assert events_file.mapping["messageId"] == "user_id"
    assert events_file.values["event"]["Invite Sent"] == "invites"
    assert events_file.values["event"]["Dashboard Shared"] == ""
    after = load_uploads(files, today=TODAY)
    assert "invites" in set(after.metrics["metric"]) and "invites" not in set(
        before.metrics["metric"]
    )
    # one person per event: more weekly active users than people
    k_before = list(before.metrics["metric"]).index(WEEKLY_ACTIVE)
    k_after = list(after.metrics["metric"]).index(WEEKLY_ACTIVE)
    assert np.nansum(after.weekly.values[:, :, k_after]) > np.nansum(
        before.weekly.values[:, :, k_before]
    )
    # what was loaded saves as what the user chose, and comes back from the file
    saved = json.loads(SavedMapping.from_uploads(files).to_json())["files"][name]
    assert saved["tables"]["events"]["columns"]["messageId"] == "user_id"
    assert saved["tables"]["events"]["values"]["event"]["Dashboard Shared"] == ""
    at.selectbox(key=f"map|{name}|events|user_id").set_value("userId").run()
    back = {"rudder_mapping": 1, "files": {name: saved}}
    at.file_uploader(key="mapping-upload-1").set_value(
        [("m.json", json.dumps(back).encode(), "application/json")]
    ).run()
    assert _event_roles(at, name)["user_id"] == "messageId"
    flow = at.session_state["upload_flow"]["choices"]
    assert flow[f"evm|{name}"]["Invite Sent"] == "invites"


def test_an_event_log_with_no_account_column_and_no_users_says_what_to_do():
    """Every event set aside for want of an account: the upload step warns before loading, and
    the load fails with the report's fix (it raised an IndexError building the reason)."""
    from insight_engine import RudderError

    events = b"userId,event,timestamp\nu01,Signed In,2026-10-01T10:00:00Z\n"
    accounts = (book_dir("segment_events") / "accounts.csv").read_bytes()
    with pytest.raises(RudderError) as caught:
        load_uploads(
            [UploadedFile("accounts.csv", accounts), UploadedFile("events.csv", events)],
            today=TODAY,
        )
    message = str(caught.value)
    assert "events.csv were set aside, most because the file has no account id" in message
    assert "add users.csv (user_id, account_id)" in message
    at = open_app(SETTINGS)
    at.radio(key="source_kind").set_value("Upload files").run()
    at.file_uploader(key="uploads-0").set_value(
        [("accounts.csv", accounts, "text/csv"), ("events.csv", events, "text/csv")]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "has no account column and no file holds users" in _texts(at.warning)


def test_a_file_digest_is_kept_while_the_file_is_in_the_step_and_goes_with_it():
    """ui.raw_table keeps each shown file's digest in the upload step's state (no hashing on
    every rerun); removing the file drops the digest, and so the reference to its bytes."""
    at = _upload(open_app(SETTINGS), _files("minimal"))
    flow = at.session_state["upload_flow"]
    shown = set(flow["files"])
    assert set(flow["digests"]) == shown
    first = dict(flow["digests"])
    at.run()  # a rerun reuses them: same bytes, same entry
    assert at.session_state["upload_flow"]["digests"] == first
    next(b for b in at.button if b.key == "rm|usage.csv").click().run()
    flow = at.session_state["upload_flow"]
    assert "usage.csv" not in flow["files"] and set(flow["digests"]) == shown - {"usage.csv"}
    assert not at.exception


def test_unticking_and_ticking_the_header_box_gives_back_the_column_picks():
    """A user who unticks "The first row holds the column names" by mistake and ticks it again
    finds the mapping as it was (it was all "— not in file —", with Load disabled)."""
    at = _upload(open_app(SETTINGS), _files("minimal"))
    key = "map|accounts.csv|accounts|account_id"
    at.selectbox(key="map|accounts.csv|accounts|account_name").set_value("account_name").run()
    before = {s.key: s.value for s in at.selectbox if s.key.startswith("map|accounts.csv|")}
    assert before[key] == "account_id"
    at.checkbox(key="hdr|accounts.csv").uncheck().run()
    assert not at.exception
    flipped = next(s for s in at.selectbox if s.key.startswith(key))
    assert "column 1" in flipped.options  # the file read without a header: numbered columns
    at.checkbox(key="hdr|accounts.csv").check().run()
    after = {s.key: s.value for s in at.selectbox if s.key.startswith("map|accounts.csv|")}
    assert after == before
    assert not _button(at, "Load these files").disabled


def test_each_uploaded_file_is_hashed_once_through_guess_load_and_the_pages(monkeypatch):
    """The upload step's guesses, its reader, the event counts and the loaded source's cache key
    all key on a file's content: each file is hashed once when added, not by each of them on
    every rerun (a 185 MB file cost 0.3-2 s a hash, several times a rerun, on every page)."""
    import hashlib

    files = _files("minimal")
    sizes = {len(b) for b in files.values()}
    hashed: list[int] = []

    def counting(real):
        def digest(data=b"", **kw):
            if len(data) in sizes:  # a whole file (Streamlit's own hashing is of other things)
                hashed.append(len(data))
            return real(data, **kw)

        return digest

    for name in ("sha256", "blake2b"):  # whichever the page and ui use
        monkeypatch.setattr(hashlib, name, counting(getattr(hashlib, name)))
    at = _upload(open_app(SETTINGS), files)
    at.run()  # a widget change
    _button(at, "Load these files").click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/csm/this_week.py").run()
    at.switch_page(SETTINGS).run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(hashed) == sorted(len(b) for b in files.values())
