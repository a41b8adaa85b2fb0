"""A team's raw exports to a ranked book in Chromium, as a user does it (issue 14).

For each fixture folder: open Data & settings, choose *Upload files*, pick the files (Playwright's
``set_input_files`` on the uploader, the browser's file dialog), check the mapping step Rudder
filled in (nothing to change: no file is refused, no choice is missing), *Load these files*,
open *This week* and see the book ranked. The clicks and the seconds from choosing the files to
the ranked book are printed per fixture (run with ``-s`` to see them) and kept in
test-artifacts/browser/exports-timings.json.

Screenshots of the upload step (an event log's columns and events -> metrics, the health
weights form) at 1280x800 and 800 px wide are saved to test-artifacts/browser/.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.browser import ARTIFACTS, Server, new_page, no_error_details, settled, shot
from tests.fixtures import book_dir

pytestmark = pytest.mark.browser

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
BOOKS = Path(book_dir("minimal")).parent


def _team(folder: Path) -> Path:
    """Every kind of export in one folder: CRM accounts with billing left blank, a Segment
    event log, Stripe subscriptions, tickets keyed by email with the users export, surveys."""
    folder.mkdir(parents=True, exist_ok=True)
    for book, name in [
        ("billing", "accounts.csv"),
        ("segment_events", "events.jsonl"),
        ("billing", "subscriptions.json"),
        ("second_key", "tickets.csv"),
        ("second_key", "users.csv"),
        ("full", "surveys.csv"),
    ]:
        shutil.copy(BOOKS / book / name, folder / name)
    return folder


# fixture -> its files, the accounts export first (None: the folder _team writes)
FIXTURES = {
    "salesforce-exports": [
        EXPORTS / "salesforce-accounts-data-export.csv",
        EXPORTS / "salesforce-cases-data-export.csv",
        EXPORTS / "delighted-nps-responses.csv",
        EXPORTS / "product-usage-weekly.csv",
    ],
    "segment_events": sorted((BOOKS / "segment_events").iterdir()),
    "mixpanel_events": sorted((BOOKS / "mixpanel_events").iterdir()),
    "billing": sorted((BOOKS / "billing").iterdir()),
    "second_key": sorted((BOOKS / "second_key").iterdir()),
    "every-kind": None,
}
TIMINGS: dict[str, dict] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    from insight_engine.book.loader import ensure_demo

    ensure_demo()
    server = Server(tmp_path_factory.mktemp("browser-exports"))
    yield server
    server.stop()
    if TIMINGS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "exports-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")


def _names(accounts: Path) -> set[str]:
    """The account names of a CRM export (its first column with "name" in its header)."""
    frame = pd.read_csv(accounts, dtype=str)
    return set(frame[next(c for c in frame.columns if "name" in c.lower())].str.strip())


class Clicks:
    """Counts what the user clicks (a file dialog counts as one click)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, locator) -> None:
        self.n += 1
        locator.click()


@pytest.mark.parametrize("fixture", list(FIXTURES))
def test_raw_exports_reach_a_ranked_this_week_in_the_browser(browser, server, fixture, tmp_path):
    files = FIXTURES[fixture] or sorted(_team(tmp_path / "every-kind").iterdir())
    accounts = _names(files[0])  # the CRM export comes first
    page = new_page(browser, server, width=1280, height=800)
    click = Clicks()
    page.goto(server.url)
    page.get_by_role("heading", name="This week", exact=True).wait_for()
    settled(page)

    click(page.get_by_role("link", name="Data & settings", exact=True))
    page.get_by_role("heading", name="Data & settings", exact=True).wait_for()
    settled(page)
    click(page.get_by_test_id("stRadioGroup").get_by_text("Upload files", exact=True))
    uploader = page.locator('[data-testid="stFileUploader"]').first
    uploader.wait_for()
    settled(page)

    start = time.monotonic()
    click.n += 1  # "Browse files", then the files chosen in the dialog
    uploader.locator('input[type="file"]').set_input_files([str(f) for f in files])
    load = page.get_by_role("button", name="Load these files")
    load.wait_for()
    settled(page)
    body = page.inner_text("body")
    assert "Not ready to load" not in body, body[body.find("Not ready") :][:400]
    assert "cannot be read" not in body
    for f in files:  # every file is in the step, none skipped
        assert f.name in body
    shot(page, f"exports-{fixture}-1-mapping")
    assert load.is_enabled()
    click(load)
    page.get_by_text("are the book Rudder shows now").wait_for()
    settled(page)
    assert "Your last load did not work" not in page.inner_text("body")

    click(page.get_by_role("link", name="This week", exact=True))
    page.get_by_role("heading", name="This week", exact=True).wait_for()
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for()
    settled(page)
    seconds = time.monotonic() - start
    shot(page, f"exports-{fixture}-2-this-week")
    # the ranked table lists the uploaded accounts (the grid's accessible cells), and the top
    # account, when a signal names one, is one of them
    cells = table.locator('[role="gridcell"]').all_inner_texts()
    shown = {c.strip() for c in cells} & accounts  # the CSM box may narrow it to one CSM's
    assert shown, (accounts, cells[:40])
    top = page.get_by_role("link", name=re.compile("Start with the top account"))
    if top.count():
        name = top.inner_text().split("Start with the top account:", 1)[1].strip()
        assert name in accounts, f"{name} is not an uploaded account"
    assert "Data: Uploaded files" in page.locator('[data-testid="stSidebar"]').inner_text()
    no_error_details(page)
    TIMINGS[fixture] = {"files": len(files), "clicks": click.n, "seconds": round(seconds, 1)}
    print(
        f"\n{fixture}: {len(files)} files -> ranked This week in {click.n} clicks, "
        f"{seconds:.1f} s from choosing the files"
    )
    page.context.close()


@pytest.mark.parametrize("width", [1280, 800])
def test_the_upload_step_and_weights_form_screenshots(browser, server, width, tmp_path):
    """The upload step with an event log (its columns, its events -> metrics) and the health
    weights form, at 1280x800 and 800 px wide, for a person to look at."""
    files = sorted(_team(tmp_path / "every-kind").iterdir())
    page = new_page(browser, server, width=width, height=800)
    page.goto(server.url)
    page.get_by_role("heading", name="This week", exact=True).wait_for()
    settled(page)
    page.get_by_role("link", name="Data & settings", exact=True).click()
    page.get_by_role("heading", name="Data & settings", exact=True).wait_for()
    settled(page)
    page.get_by_test_id("stRadioGroup").get_by_text("Upload files", exact=True).click()
    uploader = page.locator('[data-testid="stFileUploader"]').first
    uploader.wait_for()
    settled(page)
    uploader.locator('input[type="file"]').set_input_files([str(f) for f in files])
    page.get_by_role("button", name="Load these files").wait_for()
    settled(page)
    for name, anchor in [
        ("mapping", page.get_by_text("Check how your columns map to Rudder's").first),
        ("event-columns", page.get_by_text("Check which of your columns Rudder reads").first),
        ("event-metrics", page.get_by_text("Which events become metrics").first),
    ]:
        anchor.wait_for()
        anchor.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"exports-{name}-{width}.png"))
    weights = page.get_by_role("heading", name="Health score", exact=True)
    weights.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"exports-weights-form-{width}.png"))
    no_error_details(page)
    page.context.close()
