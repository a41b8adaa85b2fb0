"""Raw exports in the upload step (issue 14, points 4-6), driven in AppTest: a folder of a team's
exports as the tools write them reaches a ranked book with the suggestions accepted as they are,
the mapping downloads as the command line's, and uploading a saved mapping sets every choice.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from insight_engine.analysis.engine import analyze
from insight_engine.book.loader import folder_plan, load_folder, load_uploads
from insight_engine.source.mapping_file import SavedMapping
from tests.helpers import open_app

SETTINGS = "pages/admin/data_settings.py"
SKIP = "— skip this file —"
EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
TODAY = pd.Timestamp("2026-11-23")
FILES = (
    "salesforce-accounts-data-export.csv",
    "salesforce-cases-data-export.csv",
    "delighted-nps-responses.csv",
    "product-usage-weekly.csv",
)


@pytest.fixture(scope="module", autouse=True)
def _demo_ready():
    from insight_engine.book.loader import ensure_demo

    ensure_demo()


def _upload(at):
    at.radio(key="source_kind").set_value("Upload files").run()
    files = [(n, (EXPORTS / n).read_bytes(), "text/csv") for n in FILES]
    at.file_uploader(key=f"uploads-{at.session_state['upload_flow']['gen']}").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_raw_exports_reach_a_ranked_book_with_the_suggestions_as_they_are(tmp_path):
    at = _upload(open_app(SETTINGS))
    # each export's table, from its name or its columns
    assert at.selectbox(key="tbl|salesforce-cases-data-export.csv").value == "tickets"
    assert at.selectbox(key="tbl|delighted-nps-responses.csv").value == "surveys"
    # Salesforce API names, and the NPS tool's responses all NPS
    assert at.selectbox(key="map|salesforce-accounts-data-export.csv|accounts|csm").value == (
        "OwnerId"
    )
    assert at.selectbox(key="map|delighted-nps-responses.csv|surveys|kind").value == (
        "every row: nps"
    )
    assert not at.error, [e.value for e in at.error]
    _button(at, "Load these files").click().run()
    assert not at.exception, [e.value for e in at.exception]
    source = at.session_state["source"]
    assert source["kind"] == "upload"
    book = load_uploads(source["files"], today=TODAY)
    assert len(book.accounts) == 22 and len(book.tickets) == 14 and len(book.surveys) == 5
    assert len(analyze(book, model_dir=None).ranked) == 22
    # the app's choices are the command line's --guess: the same folder, the same book
    app_mapping = SavedMapping.from_uploads(source["files"])
    folder = tmp_path / "exports"
    folder.mkdir()
    for n in FILES:
        (folder / n).write_bytes((EXPORTS / n).read_bytes())
    cli_mapping, _ = folder_plan(folder, guess=True)
    assert json.loads(app_mapping.to_json()) == json.loads(cli_mapping.to_json())
    from_folder = load_folder(folder, mapping=app_mapping, today=TODAY)
    pd.testing.assert_frame_equal(book.accounts, from_folder.accounts)
    assert np.array_equal(book.weekly.values, from_folder.weekly.values, equal_nan=True)


def test_a_saved_mapping_sets_every_choice(tmp_path):
    at = _upload(open_app(SETTINGS))
    assert any(b.label == "Download the mapping (JSON)" for b in at.get("download_button"))
    folder = tmp_path / "exports"
    folder.mkdir()
    for n in FILES:
        (folder / n).write_bytes((EXPORTS / n).read_bytes())
    saved, _ = folder_plan(folder, guess=True)
    doc = json.loads(saved.to_json())
    doc["files"]["salesforce-cases-data-export.csv"] = {"skip": True}
    doc["files"]["product-usage-weekly.csv"]["date_order"] = "month_first"
    # the user had changed things; the saved mapping puts its own choices back
    at.selectbox(key="map|salesforce-accounts-data-export.csv|accounts|csm").set_value(
        "— not in file —"
    ).run()
    at.file_uploader(key="mapping-upload-0").set_value(
        [("rudder-mapping.json", json.dumps(doc).encode(), "application/json")]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Applied rudder-mapping.json" in " ".join(s.value for s in at.success).replace("\\", "")
    assert at.selectbox(key="tbl|salesforce-cases-data-export.csv").value == SKIP
    assert at.selectbox(key="map|salesforce-accounts-data-export.csv|accounts|csm").value == (
        "OwnerId"
    )
    assert at.radio(key="order|product-usage-weekly.csv").value == "month_first"
    _button(at, "Load these files").click().run()
    files = at.session_state["source"]["files"]
    assert {f.name for f in files} == set(FILES) - {"salesforce-cases-data-export.csv"}
    # what was loaded is what the file says
    assert (
        json.loads(SavedMapping.from_uploads(files, ["salesforce-cases-data-export.csv"]).to_json())
        == doc
    )


def test_a_mapping_file_that_cannot_be_used_is_refused_with_the_reason():
    at = _upload(open_app(SETTINGS))
    at.file_uploader(key="mapping-upload-0").set_value(
        [("old.json", b'{"rudder_mapping": 7, "files": {}}', "application/json")]
    ).run()
    assert not at.exception
    assert "version 7" in " ".join(e.value for e in at.error).replace("\\", "")


def test_a_file_with_no_header_row_is_offered_as_column_1_column_2():
    at = open_app(SETTINGS)
    at.radio(key="source_kind").set_value("Upload files").run()
    files = [
        ("accounts.csv", b"account_id,account_name\nA-1,Acme\nB-2,Bolt\n", "text/csv"),
        ("usage.csv", b"A-1,2024-01-01,logins,12\nB-2,2024-01-08,logins,3\n", "text/csv"),
    ]
    at.file_uploader(key="uploads-0").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.checkbox(key="hdr|usage.csv").value is False  # the first row is data
    assert at.checkbox(key="hdr|accounts.csv").value is True
    picks = {c: at.selectbox(key=f"map|usage.csv|usage|{c}").value for c in ("account_id", "date")}
    assert picks == {"account_id": "column 1", "date": "column 2"}
    assert "column 4" in at.selectbox(key="map|usage.csv|usage|value").options
    _button(at, "Load these files").click().run()
    files = at.session_state["source"]["files"]
    book = load_uploads(files, today=TODAY)
    assert book.report.counts["usage.csv"]["kept"] == 2


def test_a_saved_mapping_dropped_with_the_files_is_applied():
    at = open_app(SETTINGS)
    at.radio(key="source_kind").set_value("Upload files").run()
    doc = {
        "rudder_mapping": 1,
        "files": {
            "salesforce-cases-data-export.csv": {"skip": True},
            "product-usage-weekly.csv": {
                "tables": {
                    "usage": {
                        "columns": {
                            "Account ID": "account_id",
                            "Week": "date",
                            "Feature": "metric",
                            "Count": "value",
                        }
                    }
                },
                "date_order": "month_first",
            },
        },
    }
    files = [(n, (EXPORTS / n).read_bytes(), "text/csv") for n in FILES]
    files.append(("rudder-mapping.json", json.dumps(doc).encode(), "application/json"))
    at.file_uploader(key="uploads-0").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "rudder-mapping.json" not in at.session_state["upload_flow"]["files"]
    assert at.selectbox(key="tbl|salesforce-cases-data-export.csv").value == SKIP
    assert at.radio(key="order|product-usage-weekly.csv").value == "month_first"
    # files the mapping does not name keep Rudder's suggestions, and it says so
    assert at.selectbox(key="tbl|delighted-nps-responses.csv").value == "surveys"
    assert "is not in the mapping" in " ".join(w.value for w in at.warning).replace("\\", "")


USAGE_WITH_ACCOUNTS = b"""account_id,account_name,csm,arr,date,metric,value
A-1,Acme,Priya Shah,48000,2024-01-01,logins,12
A-1,Acme,Priya Shah,48000,2024-01-08,logins,15
A-1,Acme,Sam Lee,48000,2024-01-15,logins,9
B-2,Bolt,Sam Lee,12000,2024-01-01,logins,3
B-2,Bolt,Sam Lee,12000,2024-01-08,logins,4
B-2,Bolt,Sam Lee,12000,2024-01-15,logins,2
"""


def test_one_export_holding_accounts_and_usage_is_split_as_on_the_command_line(tmp_path):
    at = open_app(SETTINGS)
    at.radio(key="source_kind").set_value("Upload files").run()
    at.file_uploader(key="uploads-0").set_value(
        [("usage-export.csv", USAGE_WITH_ACCOUNTS, "text/csv")]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="tbl|usage-export.csv").value == "usage"
    assert at.checkbox(key="also|usage-export.csv").value is True
    assert at.selectbox(key="map|usage-export.csv|accounts|csm").value == "csm"
    assert not at.warning or "No file holds" not in " ".join(w.value for w in at.warning)
    _button(at, "Load these files").click().run()
    assert not at.exception, [e.value for e in at.exception]
    files = at.session_state["source"]["files"]
    assert [f.table for f in files] == ["accounts", "usage"]
    book = load_uploads(files, today=TODAY)
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "usage-export.csv").write_bytes(USAGE_WITH_ACCOUNTS)
    cli, _ = folder_plan(folder, guess=True)
    assert json.loads(SavedMapping.from_uploads(files).to_json()) == json.loads(cli.to_json())
    from_folder = load_folder(folder, guess=True, today=TODAY)
    pd.testing.assert_frame_equal(book.accounts, from_folder.accounts)
    assert book.accounts.set_index("account_id").loc["A-1", "csm"] == "Priya Shah"
    assert set(book.metrics["metric"]) == {"logins"}
    # the split is part of the saved mapping, and comes back from it
    doc = json.loads(cli.to_json())
    del doc["files"]["usage-export.csv"]["tables"]["accounts"]["columns"]["csm"]
    at.checkbox(key="also|usage-export.csv").uncheck().run()
    at.file_uploader(key="mapping-upload-0").set_value(
        [("m.json", json.dumps(doc).encode(), "application/json")]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.checkbox(key="also|usage-export.csv").value is True
    assert at.selectbox(key="map|usage-export.csv|accounts|csm").value == "— not in file —"
