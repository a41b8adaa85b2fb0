"""This week in Chromium: the CSM box shows who "View as" is set to, and "Open account" (the
table's first column) opens the account in the same tab with the role kept.

Run at 1280x800 and 800x900; screenshots go to test-artifacts/browser/this-week-*.png.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import Server, new_page, no_error_details, settled, shot

pytestmark = pytest.mark.browser

# True when no part of an element is clipped (an ellipsis or a cut label has scrollWidth over
# clientWidth somewhere inside it).
FITS = "e => [e, ...e.querySelectorAll('*')].every(x => x.scrollWidth <= x.clientWidth + 1)"
HEADER_PX = 36  # the table's header row
ROW_PX = 66  # pages/csm/this_week.py: row_height


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    from insight_engine.book.loader import ensure_demo

    tmp = tmp_path_factory.mktemp("this-week")
    _follow_ups(ensure_demo(), f"sqlite:///{tmp / 'browser-log.db'}")  # the server's log
    server = Server(tmp)
    yield server
    server.stop()


def _follow_ups(folder, url: str) -> None:
    """One overdue and one due-soon follow-up on Priya Shah's first account (as of 20 Nov)."""
    import datetime as dt

    import pandas as pd

    from insight_engine.log.store import InsightStore, NewInsight

    accounts = pd.read_csv(folder / "accounts.csv")
    account = accounts.loc[accounts["csm"] == "Priya Shah", "account_id"].iloc[0]
    store = InsightStore(url)
    for kind, due in (
        ("task", dt.date(2026, 11, 17)),
        ("alignment_meeting", dt.date(2026, 11, 22)),
    ):
        store.log(
            NewInsight(
                account_id=account,
                csm="Priya Shah",
                author="Priya Shah",
                motion="risk",
                audience=["champion"],
                text=f"Follow-up test: {kind}",  # one insight each (the log merges repeats)
                one_liner="Health fell after the admin left",
                sent_on=due - dt.timedelta(days=30),
                book_key="demo",
                follow_up=kind,
                follow_up_due=due,
            )
        )


def _sidebar(page):
    sidebar = page.locator('[data-testid="stSidebar"]')
    if not sidebar.is_visible() or sidebar.get_attribute("aria-expanded") == "false":
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.wait_for_timeout(500)
    return sidebar


def _box(where, label: str):
    """A selectbox's text field, by its label."""
    return where.get_by_role("combobox", name=label, exact=True)


def _pick(page, where, label: str, option: str) -> None:
    box = _box(where, label)
    for _ in range(3):  # the list opens on the first click once the page has settled
        box.click()
        page.wait_for_timeout(300)
        if box.get_attribute("aria-expanded") == "true":
            break
    page.get_by_role("option", name=option, exact=True).click()
    settled(page)


def _click(page, table, x: float, row: int) -> None:
    """Click a cell of the grid (a canvas): hover first, as a person does, then click."""
    box = table.bounding_box()
    y = box["y"] + HEADER_PX + ROW_PX * (row + 0.5)
    page.mouse.move(box["x"] + x, y)
    page.wait_for_timeout(300)
    page.mouse.click(box["x"] + x, y)


def _cell(page, table, column: int, row: int):
    """The a11y mirror of a table cell (its text); the grid itself is a canvas."""
    return table.locator(f"#glide-cell-{column}-{row}")


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (800, 900)])
def test_view_as_a_csm_shows_them_and_open_account_keeps_the_role(browser, server, width, height):
    page = new_page(browser, server, width=width, height=height)
    page.goto(server.url)
    page.get_by_role("heading", name="This week", exact=True).wait_for()
    settled(page)
    sidebar = _sidebar(page)
    _pick(page, sidebar, "View as", "CSM")
    _pick(page, sidebar, "CSM", "Aisha Novak")
    # the reported case: from one CSM to another, the main box kept the first person's name
    _pick(page, sidebar, "CSM", "Priya Shah")
    main = page.locator('[data-testid="stMain"]')
    assert _box(main, "CSM").input_value() == "Priya Shah"
    assert _box(main, "CSM").is_disabled(), "a CSM sees their own book only"
    # the as-of date in the one date format (it read "Friday 20 November 2026" beside "20 Nov")
    assert main.get_by_text(re.compile(r"^As of \d{1,2} [A-Z][a-z]{2} \d{4}\. ")).is_visible()
    no_error_details(page)
    page.mouse.move(0, 0)
    shot(page, f"this-week-csm-{width}")

    table = main.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    assert _cell(page, table, 0, 0).inner_text() == "Open account ›"
    name = _cell(page, table, 1, 0).inner_text()
    _click(page, table, 40, 0)  # the first column: Open account
    page.get_by_role("heading", name=name, exact=True).wait_for()
    settled(page)
    assert re.search(r"/account\?account=", page.url), page.url
    assert len(page.context.pages) == 1, "the account opened in the same tab"
    sidebar = _sidebar(page)
    shot(page, f"this-week-opened-account-{width}")
    assert _box(sidebar, "View as").input_value() == "CSM"
    assert _box(sidebar, "CSM").input_value() == "Priya Shah"
    no_error_details(page)
    page.context.close()


def test_a_cell_shows_its_row_in_full_and_the_filters_fit_at_800(browser, server):
    page = new_page(browser, server, width=800, height=900)
    page.goto(server.url)
    page.get_by_role("heading", name="This week", exact=True).wait_for()
    settled(page)
    main = page.locator('[data-testid="stMain"]')
    table = main.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    name = _cell(page, table, 1, 0).inner_text()
    _click(page, table, 160, 0)  # the account's name
    settled(page)
    panel = main.get_by_text("Why it ranks here:", exact=False).first
    panel.wait_for()
    assert "account=" not in page.url, "only the Open cell leaves the page"
    assert main.get_by_role("link", name=f"Open {name}", exact=True).is_visible()
    main.get_by_text("Filter the list").click()
    settled(page)
    labels = main.locator('[data-testid="stWidgetLabel"], [data-testid="stMetricLabel"]')
    assert labels.count() >= 9  # CSM, four filters, four figures
    for label in labels.all():
        assert label.evaluate(FITS), f"{label.inner_text()!r} is cut at 800 px"
    # the sidebar is open at 800 px: the four figures two by two (not one a row)
    figures = [f.bounding_box()["y"] for f in main.locator('[data-testid="stMetric"]').all()]
    assert len(figures) == 4 and len(set(figures)) <= 2, figures
    for field in main.locator('[data-testid="stMultiSelect"], [data-testid="stSelectbox"]').all():
        assert field.bounding_box()["width"] >= 180, "a filter squeezed too narrow to read"
    no_error_details(page)
    page.mouse.move(0, 0)
    shot(page, "this-week-filters-800")
    panel.scroll_into_view_if_needed()
    shot(page, "this-week-row-in-full-800")
    page.context.close()


def test_follow_ups_say_when_in_words_at_1280(browser, server):
    page = new_page(browser, server, width=1280, height=800)
    page.goto(server.url)
    page.get_by_role("heading", name="This week", exact=True).wait_for()
    settled(page)
    sidebar = _sidebar(page)
    _pick(page, sidebar, "View as", "CSM")
    _pick(page, sidebar, "CSM", "Priya Shah")
    main = page.locator('[data-testid="stMain"]')
    overdue = main.locator('[data-testid="stMetric"]', has_text="Overdue follow-ups")
    assert overdue.locator('[data-testid="stMetricValue"]').inner_text() == "1"
    table = main.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    _click(page, table, 300, 1)  # the second row's insight: its row in full
    settled(page)
    main.get_by_text("Why it ranks here:").first.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    shot(page, "this-week-row-in-full-1280")
    todo = main.locator('[data-testid="stDataFrame"]').nth(1)
    todo.scroll_into_view_if_needed()
    cells = todo.locator("td").all_inner_texts()
    assert "3 days overdue" in cells and "due in 2 days" in cells, cells
    assert "Add to the next Alignment Meeting" in cells, "the follow-up in words, not its key"
    no_error_details(page)
    page.mouse.move(0, 0)
    shot(page, "this-week-follow-ups-1280")
    page.context.close()
