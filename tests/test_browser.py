"""The real thing: `streamlit run app.py` headless, driven by Playwright in Debian's Chromium.

The CSM journey (This week → top account → three drafts → copy → log → Team cadence shows one
more insight), then every page of a book whose customer text is hostile. Screenshots of each
step are saved to test-artifacts/browser/. Without Chromium the tests skip with the reason,
unless REQUIRE_BROWSER=1 (set by .ci/run), when they fail instead.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import Server, new_page, no_error_details, settled, shot
from tests.hostile import PAYLOADS, write_hostile_book

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, browser):
    from insight_engine.book.loader import ensure_demo

    ensure_demo()
    server = Server(tmp_path_factory.mktemp("browser"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, browser):
    from insight_engine.book.loader import write_sql

    tmp = tmp_path_factory.mktemp("hostile-browser")
    folder = write_hostile_book(tmp / "book")
    data_url = f"sqlite:///{tmp / 'hostile-book.db'}"
    write_sql(folder, data_url)
    server = Server(tmp, RUDDER_DATA_URL=data_url)
    yield server
    server.stop()


HOSTILE_PAGES = ["This week", "Team cadence", "Customer wins", "Insight library", "Data & settings"]


def _assert_inert_in_dom(page, where: str) -> None:
    assert page.evaluate("window.__pwned") is None, f"{where}: a payload ran"
    injected = page.evaluate(
        """() => ({
            scripts: [...document.querySelectorAll('script')].filter(s => s.textContent.includes('__pwned')).length,
            imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
            links: [...document.querySelectorAll('a[href]')].filter(a => a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')).length,
            trackers: document.querySelectorAll('img[src*="tracker"], a[href*="tracker"]:not([href^="#"])').length,
            icons: [...document.querySelectorAll('[data-testid="stIconMaterial"]')].filter(i => i.innerText.includes('bug_report')).length
                + (document.body.innerText.includes('\\u{1F480}') ? 1 : 0),
        })"""
    )
    # no script ran, no element, link or image came from the data (not even an auto-linked URL)
    assert injected == {"scripts": 0, "imgs": 0, "links": 0, "trackers": 0, "icons": 0}, (
        where,
        injected,
    )


def test_hostile_customer_text_is_inert_in_the_browser(browser, hostile_server):
    page = new_page(browser, hostile_server)
    page.goto(hostile_server.url)
    page.get_by_role("heading", name="This week", exact=True).wait_for()
    settled(page)
    for i, title in enumerate(HOSTILE_PAGES):
        page.get_by_role("link", name=title, exact=True).click()
        page.get_by_role("heading", name=title, exact=True).first.wait_for()
        settled(page)
        shot(page, f"hostile-{i + 1:02d}-{title.lower().replace(' ', '-').replace('&', 'and')}")
        _assert_inert_in_dom(page, title)
        no_error_details(page)
    page.get_by_role("link", name="This week", exact=True).click()
    settled(page)
    page.get_by_role("link", name=re.compile("Start with the top account")).click()
    page.locator("textarea").first.wait_for()
    settled(page)
    shot(page, "hostile-06-account")
    _assert_inert_in_dom(page, "Account")
    # the name is on the page as text, exactly as the customer wrote it
    title = page.locator("h1").first.inner_text()
    assert PAYLOADS["script"] in title and PAYLOADS["link"] in title
    page.context.close()
