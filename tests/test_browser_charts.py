"""Charts render as designed inside the app (issue 16 point 1, issue 17's cadence charts), in
Chromium at 1280x800 and 800 px wide.

Streamlit's theme sizes a chart with autosize "fit" unless the spec says otherwise; the height
then includes the title and axes, and rows collapsed (two bars in one row, every other milestone
or CSM name dropped, the orange bar gone). For every chart on the Account page (one account per
chart kind, found through the engine) and on Team cadence (as admin for all teams, and as a
manager), this checks what Chromium drew: the plot is at least its designed height, the chart is
not wider than its column, every row's name is printed, and the highlighted mark is on screen
(an orange mark in the SVG and orange pixels in the screenshot). Each chart's screenshot is in
test-artifacts/browser/charts-*.png.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from insight_engine.outputs.chart import PALETTE, ROW_PX
from tests.browser import ARTIFACTS, MEASURE, Server, new_page, no_error_details, settled, shot

pytestmark = pytest.mark.browser

WIDTHS = [(1280, 800), (800, 900)]
# One signal per chart kind (the first detector in each list that is an account's strongest of
# its motion),
# the three first: better practice, stall, risk.
KINDS = {
    "target": ["below_target"],  # one bar per compared item, the dashed recommended line
    "timeline": ["milestone_overdue", "milestone_done"],  # every milestone labelled
    "activity": ["health_risk", "support_risk", "renewal_at_risk", "flat_onboarding", "no_login"],
    "comparison": ["complement_gap", "goal_capability_ignored", "heavy_upgrade_use"],
    "trend": ["outcome_rise"],
    "seats": ["seat_ceiling", "low_seat_use"],
    "survey": ["new_promoter", "detractor"],
}
ROWS = {"target": "who", "timeline": "milestone", "comparison": "capability"}  # one row each


def _orange_pixels(png: bytes) -> int:
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    r, g, b = (int(PALETTE["highlight"][i : i + 2], 16) for i in (1, 3, 5))
    near = (abs(rgb[..., 0] - r) < 30) & (abs(rgb[..., 1] - g) < 30) & (abs(rgb[..., 2] - b) < 40)
    return int(near.sum())


def check_chart(
    chart,
    name: str,
    *,
    height: int,
    labels=(),
    orange_px: int = 60,
    filled: bool = False,
    highlight: bool = True,
) -> dict:
    """Assert one rendered chart (a `stVegaLiteChart` locator) is drawn as designed."""
    chart.scroll_into_view_if_needed()
    chart.locator("svg.marks").wait_for()
    chart.page.wait_for_timeout(400)  # the view resizes to its column after the first draw
    got = chart.evaluate(MEASURE)
    assert got, f"{name}: no chart drawn"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = chart.screenshot(path=str(ARTIFACTS / f"charts-{name}.png"))
    plot_w, plot_h = got["plot"]
    assert plot_h >= height - 1, f"{name}: plot {plot_h:.0f} px tall, designed {height}"
    assert got["height"] >= height and plot_w > 0, (name, got["height"], plot_w)
    assert got["width"] <= got["host"] + 1, (
        f"{name}: {got['width']:.0f} px in a {got['host']} column"
    )
    texts = " | ".join(got["texts"])
    missing = [label for label in labels if label not in got["texts"]]
    assert not missing, f"{name}: labels not printed {missing}; drawn: {texts}"
    assert not got["overlaps"], f"{name}: axis labels print over each other: {got['overlaps']}"
    assert not re.search(r"\bnan\b|\bNone\b|\d\.0{4,}", texts), f"{name}: {texts}"
    if not highlight:  # "No chart yet": a message, no mark to look at
        return got
    assert got["orange"] >= 1, f"{name}: no orange mark drawn"
    assert got["filled"] >= 1 or not filled, f"{name}: no orange bar, dot or tick to see"
    assert _orange_pixels(png) >= orange_px, f"{name}: the orange mark is hidden"
    return got


@pytest.fixture(scope="module")
def demo():
    from insight_engine.analysis.detector import signal_records
    from insight_engine.analysis.engine import analyze
    from insight_engine.book.loader import ensure_demo, load_demo

    ensure_demo()
    book = load_demo()
    analysis = analyze(book, model_dir=None)
    signals = analysis.signals
    # the strongest signal of its motion on its account: the one the page draws on choosing it
    strongest = signals.sort_values("strength", ascending=False, kind="stable").drop_duplicates(
        ["account_id", "motion"]
    )
    picks = {}
    for kind, detectors in KINDS.items():
        for detector in detectors:
            rows = strongest.loc[strongest["detector"] == detector]
            if len(rows):
                account = str(rows["account_id"].iloc[0])
                record = next(
                    r for r in signal_records(signals, account) if r["detector"] == detector
                )
                picks[kind] = {**record, "account_id": account}
                break
    assert set(picks) >= {"target", "timeline", "activity", "comparison"}, set(picks)
    return book, analysis, picks


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    server = Server(tmp_path_factory.mktemp("browser-charts"))
    yield server
    server.stop()


def _open_home(page, server: Server) -> None:
    """This week first: a session's first URL must be the app's main page (a deep link as the
    very first request of a session shows Streamlit's "Page not found")."""
    page.goto(server.url)
    page.get_by_role("heading", name="This week", exact=True).wait_for()
    settled(page)


def _open_account(page, server: Server, account: str) -> None:
    page.goto(f"{server.url}/account?account={account}")
    page.get_by_role("tab", name="Health").wait_for()  # every account page has its tabs
    settled(page)


def _choose_motion(page, label: str) -> None:
    radio = page.locator('[data-testid="stRadio"]').first
    option = radio.locator("label", has_text=re.compile(rf"^{re.escape(label)}$"))
    if option.count():
        option.first.click()
        settled(page)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_account_charts_render_as_designed(browser, server, demo, width, height):
    from insight_engine.analysis.detector import MOTION_LABELS
    from insight_engine.outputs.chart import health_trend, insight_chart, metric_trend

    book, analysis, picks = demo
    page = new_page(browser, server, width=width, height=height)
    _open_home(page, server)
    for kind, signal in picks.items():
        _open_account(page, server, signal["account_id"])
        _choose_motion(page, MOTION_LABELS[signal["motion"]])
        designed = insight_chart(book, analysis.health, signal)
        labels = list(dict.fromkeys(designed.data[ROWS[kind]])) if kind in ROWS else []
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        got = check_chart(
            chart,
            f"{width}-{kind}-{signal['detector']}",
            height=designed.spec["height"],
            labels=labels,
            filled=kind != "seats",  # the seats chart's highlight is its dashed cap line
        )
        if kind in ROWS:  # one row per compared item, each ROW_PX tall
            assert got["plot"][1] >= ROW_PX * len(designed.data), (kind, got["plot"])
        no_error_details(page)
    # the Health tab's trend, on the last account
    page.get_by_role("tab", name="Health").click()
    settled(page)
    account = list(picks.values())[-1]["account_id"]
    trend = health_trend(
        analysis.health.history(account), red_below=50, green_above=70, account_name="x"
    )
    panel = page.locator('[role="tabpanel"]:visible')
    check_chart(
        panel.locator('[data-testid="stVegaLiteChart"]').first,
        f"{width}-health-trend",
        height=trend.spec["height"],
        orange_px=30,
        filled=True,
    )
    # the Usage tab's trend of the first metric (the page's default)
    page.get_by_role("tab", name="Usage").click()
    settled(page)
    metric = str(book.metrics["metric"].iloc[0])
    frame = (
        book.weekly.account_frame(account)[metric]
        .rename("value")
        .rename_axis("week_end")
        .reset_index()
    )
    usage = metric_trend(frame, label="x", unit="", account_name="x")
    check_chart(
        page.locator('[role="tabpanel"]:visible [data-testid="stVegaLiteChart"]').first,
        f"{width}-usage-trend",
        height=usage.spec["height"],
        orange_px=30,
        filled=True,
    )
    shot(page, f"charts-{width}-account-page")
    page.context.close()


def _sidebar(page, *, open: bool) -> None:
    """Open or close the sidebar (a narrow screen closes it to give the charts the width)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    expanded = sidebar.get_attribute("data-collapsed") == "false"
    if open and not expanded:
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    elif not open and expanded:
        sidebar.locator('[data-testid="stSidebarCollapseButton"] button').click()
    settled(page)


def _view_as(page, role: str) -> None:
    _sidebar(page, open=True)
    box = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="View as")
    box.click()  # a searchable select: type the role and pick it (the list may open off-screen)
    page.keyboard.type(role)
    page.keyboard.press("Enter")
    settled(page)
    assert box.input_value() == role


def _csms(book, team: str | None) -> tuple[list[str], str]:
    """The CSMs the heatmap should name (those who logged an insight in 12 weeks), and the
    quietest."""
    from insight_engine.analysis.cadence import weekly_counts

    ids = book.accounts["account_id"]
    if team:
        ids = ids[book.accounts["manager"] == team]
    history = book.insights.loc[book.insights["account_id"].isin(set(ids))]
    per_csm = weekly_counts(history, as_of=book.as_of, weeks=12).groupby("csm")["insights"].sum()
    return sorted(per_csm.index), per_csm.idxmin()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_team_cadence_charts_name_every_csm(browser, server, demo, width, height):
    book = demo[0]
    page = new_page(browser, server, width=width, height=height)
    _open_home(page, server)
    views = [("Admin", None)] + [("Manager", book.teams[0])] * bool(book.teams)
    for role, team in views:
        if role != "Admin":
            _view_as(page, role)
        _sidebar(page, open=True)
        page.get_by_role("link", name="Team cadence", exact=True).click()
        page.get_by_role("heading", name="Team cadence", exact=True).wait_for()
        _sidebar(page, open=page.viewport_size["width"] >= 1000)
        settled(page)
        if team:  # the manager's team is the one "View as" chose: read it from the page
            team = page.get_by_role("combobox", name="Team (manager)").input_value() or team
        names, quiet = _csms(book, team)
        assert len(names) >= 2
        charts = page.locator('[data-testid="stVegaLiteChart"]')
        who = role.lower()
        heat = check_chart(
            charts.nth(0),
            f"{width}-cadence-heatmap-{who}",
            height=ROW_PX * len(names),
            labels=names,
        )
        assert quiet in heat["orangeTexts"], (quiet, heat["orangeTexts"])  # named, in orange
        bars = check_chart(charts.nth(1), f"{width}-cadence-weekly-{who}", height=240)
        ticks = [t for t in bars["texts"] if re.fullmatch(r"[\d,.]+", t)]
        assert ticks and all("." not in t for t in ticks), f"a count axis with fractions: {ticks}"
        shot(page, f"charts-{width}-team-cadence-{who}")
        no_error_details(page)
    page.context.close()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_customer_wins_charts_render_as_designed(browser, server, width, height):
    """The executive's charts (built from the page's own data): each at least as tall as the
    shortest chart Rudder designs (two rows), within its column, the orange mark on screen."""
    page = new_page(browser, server, width=width, height=height)
    _open_home(page, server)
    page.get_by_role("link", name="Customer wins", exact=True).click()
    page.get_by_role("heading", name="Customer wins", exact=True).first.wait_for()
    settled(page)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for()
    for i in range(charts.count()):
        check_chart(charts.nth(i), f"{width}-customer-wins-{i}", height=2 * ROW_PX, orange_px=30)
    shot(page, f"charts-{width}-customer-wins")
    no_error_details(page)
    page.context.close()


def test_a_one_day_snapshot_book_draws_whole_numbers(browser, tmp_path_factory):
    """A team's own one-day CRM snapshot (tests/fixtures `snapshot`, loaded from SQLite as a
    team would): every chart on each account's page, at 1280 and 800 px, keeps its height, shows
    its orange mark and prints no '0.000000' axis (it did: a zero-width domain)."""
    from insight_engine.book.loader import load_folder, write_sql
    from tests.fixtures import TODAY, book_dir

    tmp = tmp_path_factory.mktemp("snapshot-charts")
    url = f"sqlite:///{tmp / 'snapshot.db'}"
    write_sql(book_dir("snapshot"), url)
    accounts = load_folder(book_dir("snapshot"), today=TODAY).accounts["account_id"]
    server = Server(tmp, RUDDER_DATA_URL=url)
    try:
        for width, height in WIDTHS:
            page = new_page(browser, server, width=width, height=height)
            _open_home(page, server)
            for account in accounts:
                _open_account(page, server, account)
                checked = set()
                for tab in ["Health", "Usage"]:
                    page.get_by_role("tab", name=tab).click()
                    settled(page)
                    charts = page.locator('[data-testid="stVegaLiteChart"]')
                    for i in range(charts.count()):
                        chart = charts.nth(i)
                        if i in checked or not chart.is_visible():
                            continue
                        checked.add(i)
                        message = "not enough data to draw" in chart.inner_text()
                        check_chart(
                            chart,
                            f"{width}-snapshot-{account}-{i}",
                            height=120 if message else 2 * ROW_PX,
                            highlight=not message,
                            orange_px=30,  # one dot and its label
                        )
                assert len(checked) >= 2  # the health and usage trends at least
                no_error_details(page)
            page.context.close()
    finally:
        server.stop()
