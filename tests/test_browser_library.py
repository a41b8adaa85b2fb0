"""The Insight library in Chromium: Examples teach on day one (the demo's landed insights, each
with why it is good, no "nan", no "Local user"), filter chips are whole, a full text can be read,
a clicked row of All insights reads in full below the table (the insight and its facts, never
cut at 800 px), dates read "18 Nov 2026", and a CSM sees their team's insights. Screenshots at
1280x800 and 800x900 in test-artifacts/browser/library-*.png."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.browser import Server, new_page, no_error_details, settled, shot

pytestmark = pytest.mark.browser

# True when no part of an element is clipped (scrollWidth over clientWidth somewhere inside it).
FITS = "e => [e, ...e.querySelectorAll('*')].every(x => x.scrollWidth <= x.clientWidth + 1)"
HEADER_PX = 36  # the table's header row
ROW_PX = 66  # pages/library/insight_library.py: row_height


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, browser):
    from insight_engine.book.loader import ensure_demo

    ensure_demo()
    server = Server(tmp_path_factory.mktemp("browser-library"))
    yield server
    server.stop()


def _open_library(page, server) -> None:
    page.goto(server.url)
    page.get_by_role("heading", name="This week", exact=True).wait_for()
    settled(page)
    page.get_by_role("link", name="Insight library", exact=True).click()
    page.get_by_role("heading", name="Insight library", exact=True).first.wait_for()
    settled(page)


def _body(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def _truncated_chips(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stMultiSelect"] [data-tag] span[title]')]
            .filter(s => {
                const box = s.closest('[data-testid="stMultiSelectTagsContainer"]').getBoundingClientRect();
                const r = s.getBoundingClientRect();
                return s.scrollWidth > s.clientWidth + 1 || r.left < box.left - 1 || r.right > box.right + 1;
            }).map(s => s.innerText)"""
    )


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (800, 900)])
def test_examples_teach_on_day_one(browser, demo_server, width, height):
    page = new_page(browser, demo_server, width=width, height=height)
    _open_library(page, demo_server)
    body = _body(page)
    # Examples first, never empty when insights have landed, each with why it is good
    assert page.get_by_role("tab", name="Examples").get_attribute("aria-selected") == "true"
    assert body.count("Why it is good:") >= 6, body[:600]
    assert "The customer acted on it." in body
    assert not re.search(r"\bnan\b|\bNone\b|Local user", body), body[:600]
    no_error_details(page)
    shot(page, f"library-examples-{width}")

    page.get_by_role("tab", name="All insights").click()
    settled(page)
    for label in ("Better practice", "Expansion"):
        page.get_by_role("combobox", name="Motion").click()
        page.get_by_role("option", name=label, exact=True).click()
        settled(page)
    page.keyboard.press("Escape")
    page.get_by_role("heading", name="Insight library").first.click()  # leave the widget
    chips = page.locator('[data-testid="stMultiSelect"] [data-tag] span[title]').all_inner_texts()
    assert chips == ["Better practice", "Expansion"]
    assert _truncated_chips(page) == [], "a filter chip is cut"
    caption = page.get_by_text(re.compile(r"^[\d,]+ of [\d,]+ insights$")).inner_text()
    shown, total = (int(n.replace(",", "")) for n in re.findall(r"[\d,]+", caption))
    assert 0 < shown < total
    no_error_details(page)
    shot(page, f"library-all-{width}")

    # the insight second; a clicked row reads in full, its date in the one format
    labels = page.locator('[data-testid="stMain"] [data-testid="stWidgetLabel"]')
    cut = [x.inner_text() for x in labels.all() if not x.evaluate(FITS)]
    assert cut == [], f"filter labels cut at {width} px"
    table = page.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    one_liner = table.locator("#glide-cell-1-2").inner_text()
    box = table.bounding_box()
    y = box["y"] + HEADER_PX + ROW_PX * 2.5
    page.mouse.move(box["x"] + 200, y)
    page.wait_for_timeout(300)
    page.mouse.click(box["x"] + 200, y)  # the third row's insight
    settled(page)
    full = page.locator(".st-key-insight-as-sent")
    full.wait_for()
    said = full.inner_text()
    assert said.startswith(one_liner), (said[:200], one_liner)
    assert re.search(r"sent \d{1,2} [A-Z][a-z]{2} \d{4}", said), said[:300]
    assert full.evaluate(FITS), "the insight as sent is cut"
    full.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    shot(page, f"library-row-in-full-{width}")
    page.context.close()


def test_a_csm_sees_their_teams_insights(browser, demo_server):
    page = new_page(browser, demo_server, width=1280, height=800)
    _open_library(page, demo_server)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("combobox", name="View as").click()  # searchable: type, then Enter
    page.keyboard.type("CSM")
    page.keyboard.press("Enter")
    settled(page)
    csm = sidebar.get_by_role("combobox", name="CSM", exact=True).input_value()
    assert csm, "a CSM is chosen"

    accounts = pd.read_csv(demo_server_data() / "accounts.csv")
    team = accounts.loc[accounts["csm"] == csm, "manager"].mode().iloc[0]
    team_accounts = set(accounts.loc[accounts["manager"] == team, "account_id"])
    own_accounts = set(accounts.loc[accounts["csm"] == csm, "account_id"])
    history = pd.read_csv(demo_server_data() / "insights.csv")
    team_n = int(history["account_id"].isin(team_accounts).sum())
    own_n = int(history["account_id"].isin(own_accounts).sum())
    assert team_n > own_n

    page.get_by_role("tab", name="All insights").click()
    settled(page)
    caption = page.get_by_text(re.compile(r"^[\d,]+ of [\d,]+ insights$")).inner_text()
    assert caption.endswith(f" of {team_n:,} insights"), (caption, team_n, own_n)
    page.get_by_role("tab", name="Examples").click()
    settled(page)
    assert _body(page).count("Why it is good:") >= 6  # the team's examples, on day one
    no_error_details(page)
    shot(page, "library-csm-team-1280")
    page.context.close()


def demo_server_data():
    from insight_engine.book.loader import ensure_demo

    return ensure_demo()
