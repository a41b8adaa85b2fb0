"""Hostile input: customer text with HTML, scripts and Markdown tricks stays inert text on every
page and in every export; a note's prompt injection changes nothing; bad uploads are refused."""

from __future__ import annotations

import functools
import io
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from insight_engine import RudderError
from insight_engine.book.loader import UploadedFile, load_uploads
from insight_engine.log.store import InsightStore
from insight_engine.outputs.export import inert_markdown
from insight_engine.source.reader import check_upload, read_raw
from tests.conftest import ROOT
from tests.helpers import open_app, top_account
from tests.hostile import PAYLOADS, nested_parquet, write_hostile_book

APP = str(ROOT / "app.py")
PAGES = [
    "pages/csm/this_week.py",
    "pages/manager/team_cadence.py",
    "pages/executive/customer_wins.py",
    "pages/library/insight_library.py",
    "pages/admin/data_settings.py",
]
# Elements whose text Streamlit renders as Markdown (their labels too, for widgets).
MARKDOWN_VALUES = ("markdown", "caption", "title", "header", "subheader", "error", "warning")
MARKDOWN_VALUES += ("info", "success", "toast", "exception")
LABELLED = ("button", "checkbox", "radio", "selectbox", "multiselect", "text_input", "text_area")
LABELLED += ("download_button", "toggle", "slider", "number_input", "date_input", "metric")
LABELLED += ("expander", "tab")


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory):
    """The hostile book, with an insight log of its own: its account ids (A-00001…) are the
    demo's, and one log holds one team's history."""
    folder = write_hostile_book(tmp_path_factory.mktemp("hostile"))
    old = os.environ["RUDDER_DB_URL"]
    os.environ["RUDDER_DB_URL"] = f"sqlite:///{folder / 'hostile-log.db'}"
    yield folder
    os.environ["RUDDER_DB_URL"] = old


def _open(hostile_dir, page: str | None = None, **query) -> AppTest:
    return open_app(page, session={"source": {"kind": "folder", "path": str(hostile_dir)}}, **query)


def _rendered_markdown(at: AppTest) -> list[tuple[str, str]]:
    """(element kind, text) for everything Streamlit would render as Markdown."""
    out: list[tuple[str, str]] = []
    for kind in MARKDOWN_VALUES:
        out += [(kind, str(e.value)) for e in at.get(kind)]
    for kind in LABELLED:
        for e in at.get(kind):
            label = getattr(e, "label", None) or getattr(e.proto, "label", "")
            out.append((f"{kind} label", str(label)))
            if kind == "radio":  # radio options are Markdown too
                out += [("radio option", str(o)) for o in e.options]
    return out


def _assert_inert(at: AppTest, where: str) -> None:
    texts = _rendered_markdown(at)
    assert texts, where
    for kind, text in texts:
        for name, payload in PAYLOADS.items():
            assert payload not in text, f"{where}: {name} payload reached a {kind} unescaped"


@pytest.mark.parametrize("page", PAGES)
def test_hostile_text_is_inert_on_every_page(hostile_dir, page):
    at = _open(hostile_dir, page)
    _assert_inert(at, page)
    shown = " ".join(t for _, t in _rendered_markdown(at)) + " ".join(
        df.value.to_csv() for df in at.dataframe
    )
    if page == "pages/csm/this_week.py":  # the names are there, as text
        assert "Acme" in shown


def test_hostile_text_is_inert_on_the_account_page_and_drafts(hostile_dir, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    at = _open(hostile_dir)
    top = top_account(at)
    at = _open(hostile_dir, "pages/csm/account.py", account=top)
    _assert_inert(at, "account page")
    assert inert_markdown(PAYLOADS["script"]) in at.title[0].value  # the name, escaped
    drafts = [t.value for t in at.text_area if t.key and t.key.startswith("draft-")]
    assert len(drafts) == 3
    # the note's "ignore your instructions" changes nothing: no key, no cancellation, and each
    # reader still gets their own draft
    for text in drafts:
        assert "API key" not in text and "cancelled" not in text.lower()
    assert len(set(drafts)) == 3


def test_exports_keep_hostile_text_inert(hostile_dir, tmp_path):
    from insight_engine.analysis.engine import analyze
    from insight_engine.book.loader import load_folder
    from insight_engine.outputs.export import safe_csv
    from insight_engine.outputs.pack import pack_markdown

    book = load_folder(hostile_dir)
    analyze(book, model_dir=None)
    store = InsightStore(f"sqlite:///{tmp_path / 'hostile-log.db'}")
    store.import_history(book)
    log = store.insights(book_key=book.key).assign(
        alignment_meeting=True, one_liner=PAYLOADS["link"]
    )
    ids = list(log["account_id"].unique()[:3])
    md = "\n".join(pack_markdown(book, log, account_id) for account_id in ids)  # one each
    for payload in PAYLOADS.values():
        assert payload not in md
    assert "Acme" in md
    csv = safe_csv(book.accounts).decode()
    assert PAYLOADS["script"] in csv  # CSV keeps the text as written (it is data, not markup)
    formula = safe_csv(pd.DataFrame({"x": ['=HYPERLINK("http://x")', "+1", "@SUM(A1)"]}))
    cells = pd.read_csv(io.BytesIO(formula), dtype=str)["x"]
    assert all(cell.startswith("'") for cell in cells), cells.tolist()


def test_no_page_renders_html_from_data():
    for path in [ROOT / "app.py", *(ROOT / "pages").rglob("*.py")]:
        assert "unsafe_allow_html" not in path.read_text(), path
        assert "st.html(" not in path.read_text(), path


# ---------------------------------------------------------------------------------------------
# Uploads: checked on the server


def _zip_bomb(unpacked_mb: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b"\0" * 2**20
            for _ in range(unpacked_mb):
                f.write(chunk)
    return buf.getvalue()


def test_a_zip_bomb_disguised_as_xlsx_is_refused_before_unpacking():
    bomb = _zip_bomb(1100)  # ~1 MB on disk, 1.1 GB unpacked
    assert len(bomb) < 5 * 2**20
    problem = check_upload(bomb, "accounts.xlsx")
    assert problem is not None and "unpacks to far more" in problem.problem
    assert read_raw(bomb, "accounts.xlsx").fatal is not None
    with pytest.raises(RudderError) as err:
        load_uploads([UploadedFile("accounts.xlsx", bomb, table="accounts")])
    assert "accounts.xlsx" in err.value.report.to_frame()["file"].tolist()


def test_a_file_over_200_mb_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.delenv("RUDDER_MAX_UPLOAD_MB", raising=False)
    big = b"account_id,account_name\n" + b"x" * (200 * 2**20)
    problem = check_upload(big, "accounts.csv")
    assert problem is not None and "200 MB upload limit" in problem.problem
    with pytest.raises(RudderError, match="refused an uploaded file"):
        load_uploads([UploadedFile("accounts.csv", big, table="accounts")])


_CSV_CELLS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@functools.cache
def _small_book() -> Path:
    """A 20-account book (60 days) for the property tests: each example loads all of it."""
    import tempfile

    from insight_engine.source.demo import generate_demo, write_demo

    return write_demo(generate_demo(20, 3, days=60), Path(tempfile.mkdtemp()) / "small")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(_CSV_CELLS, _CSV_CELLS, _CSV_CELLS, _CSV_CELLS), max_size=8),
    junk=st.binary(max_size=64),
    table=st.sampled_from(["usage", "accounts", "notes", "tickets"]),
)
def test_any_upload_loads_or_raises_the_projects_own_error(rows, junk, table):
    """Any bytes in: validated frames out, or a RudderError with a report, never another error."""
    demo = _small_book()
    header = {
        "usage": "account_id,date,metric,value",
        "accounts": "account_id,account_name,csm,arr,licensed_seats,contract_start,renewal_date,tier",
        "notes": "account_id,date,author,text",
        "tickets": "ticket_id,account_id,opened_at,closed_at,priority,topic,csat",
    }[table]
    body = "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in r) for r in rows)
    fuzzed = (header + "\n" + body).encode("utf-8", "surrogatepass") + junk
    files = [
        UploadedFile(f.name, f.read_bytes(), table=f.stem)
        for f in sorted(demo.iterdir())
        if f.suffix in (".csv", ".parquet") and f.stem not in (table, "ground_truth")
    ]
    files.append(UploadedFile(f"{table}.csv", fuzzed, table=table))
    try:
        book = load_uploads(files)
    except RudderError as exc:
        assert str(exc)
        return
    assert len(book.accounts) > 0


def test_a_source_that_breaks_unexpectedly_offers_the_way_back(tmp_path):
    """Anything the loader did not foresee is a message and the way back, never a traceback."""
    from insight_engine.source.demo import generate_demo, write_demo

    folder = write_demo(generate_demo(20, 3, days=60), tmp_path / "book")
    (folder / "accounts.csv").unlink()
    (folder / "accounts.parquet").write_bytes(nested_parquet())
    at = open_app(session={"source": {"kind": "folder", "path": str(folder)}})
    assert at.error and "could not be read" in at.error[0].value
    report = at.dataframe[0].value
    assert report["problem"].str.contains("lists, records or raw bytes").any()
    assert any(b.label == "Go back to the demo book" for b in at.button)


def test_an_unforeseen_loader_failure_is_logged_not_shown(tmp_path, monkeypatch):
    from pages.shared import ui

    def broken(*args, **kwargs):
        raise TypeError(f"unhashable type: 'list' in {tmp_path}/secret-path.py")

    monkeypatch.setattr(ui, "load_folder", broken)
    at = open_app(session={"source": {"kind": "folder", "path": str(tmp_path / "new")}})
    assert at.error and "unexpected problem" in at.error[0].value
    assert "secret\\-path" not in at.error[0].value and "TypeError" not in at.error[0].value
    assert any(b.label == "Go back to the demo book" for b in at.button)
