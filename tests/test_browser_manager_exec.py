"""Team cadence as a manager and Customer wins as an executive, in Chromium at 1280x800 and
800x900: the manager's page opens on "Who needs help this week" and names, apart, who sent the
fewest insights and whose book is least reached; the executive's leads with the value customers
realised and its one-page summary downloads as a one-slide deck. At 800 px no label, figure or
button is cut, and an achievement whose goal runs off the table reads in full when clicked.
Screenshots in test-artifacts/browser/ (looked at by a person, see the report)."""

from __future__ import annotations

import io
import re

import pytest

from tests.browser import Server, new_page, no_error_details, settled, shot

pytestmark = pytest.mark.browser

SIZES = [(1280, 800), (800, 900)]
# True when no part of an element is clipped (an ellipsis or a cut label has scrollWidth over
# clientWidth somewhere inside it).
FITS = "e => [e, ...e.querySelectorAll('*')].every(x => x.scrollWidth <= x.clientWidth + 1)"
HEADER_PX = 36  # a table's header row
ROW_PX = 66  # the row_height of the tables whose text wraps


def _cut(page) -> list[str]:
    """The labels, figures and buttons of the main pane that are cut."""
    parts = page.locator(
        '[data-testid="stMain"] :is([data-testid="stWidgetLabel"], [data-testid="stMetric"], '
        '[data-testid="stDownloadButton"])'
    )
    assert parts.count() >= 8
    return [p.inner_text() for p in parts.all() if not p.evaluate(FITS)]


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    from insight_engine.book.loader import ensure_demo

    ensure_demo()
    srv = Server(tmp_path_factory.mktemp("browser-manager-exec"))
    yield srv
    srv.stop()


def _open_home(page, server: Server) -> None:
    """This week first (a deep link as a session's first request is "Page not found")."""
    page.goto(server.url)
    page.get_by_role("heading", name="This week", exact=True).wait_for(timeout=180_000)
    settled(page)


def _scroll_to(page, heading: str) -> None:
    """Bring a section's heading to the top of the view (the app scrolls inside its own pane)."""
    page.get_by_role("heading", name=heading, exact=True).evaluate(
        "el => el.scrollIntoView({block: 'start'})"
    )
    page.wait_for_timeout(500)


def _view_as(page, role: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    if not sidebar.is_visible():
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    box = sidebar.get_by_role("combobox", name="View as")
    box.click()  # a searchable select: type the role and pick it
    page.keyboard.type(role)
    page.keyboard.press("Enter")
    settled(page)
    assert box.input_value() == role
    if page.viewport_size["width"] < 1000:
        sidebar.locator('[data-testid="stSidebarCollapseButton"] button').click()
        settled(page)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_manager_s_monday_in_a_real_browser(browser, server, width, height):
    page = new_page(browser, server, width=width, height=height)
    _open_home(page, server)
    _view_as(page, "Manager")
    link = page.get_by_role("link", name="Team cadence", exact=True)
    if width < 1000:  # narrow: the navigation is in the collapsed sidebar (off-screen)
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    link.click()
    if width < 1000:
        page.locator('[data-testid="stSidebarCollapseButton"] button').click()
    page.get_by_role("heading", name="Team cadence", exact=True).wait_for()
    settled(page)
    help_heading = page.get_by_role("heading", name="Who needs help this week")
    assert help_heading.is_visible()
    grids = page.locator('[data-testid="stDataFrame"]')
    assert grids.first.bounding_box()["height"] > 100  # the table has rows, not a strip
    # the count sent and the share of a book reached: two numbers, named apart
    quiet = page.locator('[data-testid="stMarkdown"]', has_text="Fewest insights sent:").first
    assert quiet.is_visible() and "insights in 12 weeks" in quiet.inner_text()
    assert "Least of their book reached:" in quiet.inner_text() or "Also the least" in (
        quiet.inner_text()
    )
    body = page.inner_text("body")
    assert "Quietest" not in body
    for raw in ("better_practice", "no_response", "None", "nan"):
        assert not re.search(rf"\b{raw}\b", body), raw
    assert _cut(page) == [], "a label, figure or button is cut"
    figures = page.locator('[data-testid="stMetric"]')
    assert figures.nth(3).bounding_box()["y"] == figures.nth(0).bounding_box()["y"], (
        "the four figures in one row"
    )
    shot(page, f"manager-exec-{width}-team-cadence")
    for part, heading in (
        ("charts", "Who shares insights"),
        ("tables", "Coverage"),
        ("outcomes", "Outcomes"),
    ):
        _scroll_to(page, heading)
        shot(page, f"manager-exec-{width}-team-cadence-{part}")
    no_error_details(page)
    page.context.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_an_executive_s_customer_wins_in_a_real_browser(browser, server, width, height):
    from pptx import Presentation

    page = new_page(browser, server, width=width, height=height)
    _open_home(page, server)
    _view_as(page, "Executive")
    page.get_by_role("heading", name="Customer wins", exact=True).wait_for()
    settled(page)
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    assert labels[0].strip() == "Customers with a win"
    assert labels[-1].strip() == "Win emails sent"
    body = page.inner_text("body")
    assert "This quarter's best wins" in body and "toward their goal" in body
    for raw in ("nan", "None", "better_practice"):
        assert not re.search(rf"\b{raw}\b", body), raw
    assert not re.search(r"\$[\d,]+\.\d\d\b", body)  # ARR without cents ($11.3M is fine)
    assert not re.search(r"\b0\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", body)
    assert _cut(page) == [], "a label, figure or button is cut"
    figures = page.locator('[data-testid="stMetric"]')
    assert figures.nth(3).bounding_box()["y"] == figures.nth(0).bounding_box()["y"], (
        "the four figures in one row"
    )
    with page.expect_download() as got:
        page.get_by_role("button", name="Download one-page summary (PowerPoint)").click()
    deck = Presentation(io.BytesIO(got.value.path().read_bytes()))
    assert len(deck.slides) == 1
    _scroll_to(page, "Customer wins")
    shot(page, f"manager-exec-{width}-customer-wins")
    # Every achievement: a clicked row reads in full (the goal runs off the table at 800 px)
    _scroll_to(page, "Every achievement")
    table = page.locator('[data-testid="stDataFrame"]').first
    customer = table.locator("#glide-cell-0-1").inner_text()
    improved = table.locator("#glide-cell-1-1").inner_text()
    goal = table.locator("#glide-cell-2-1").inner_text()
    box = table.bounding_box()
    y = box["y"] + HEADER_PX + ROW_PX * 1.5
    page.mouse.move(box["x"] + 60, y)
    page.wait_for_timeout(300)
    page.mouse.click(box["x"] + 60, y)
    settled(page)
    full = page.locator(".st-key-achievement-in-full")
    full.wait_for()
    said = full.inner_text()
    assert customer in said and improved in said and goal in said, (said, goal)
    assert full.evaluate(FITS), "the achievement in full is cut"
    full.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    shot(page, f"manager-exec-{width}-customer-wins-achievement")
    for part, heading in (
        ("kinds", "By outcome kind and tier"),
        ("emails", "Win emails sent per month (secondary)"),
        ("evidence", "Renewal evidence and case-study candidates"),
    ):
        _scroll_to(page, heading)
        shot(page, f"manager-exec-{width}-customer-wins-{part}")
    no_error_details(page)
    page.context.close()
