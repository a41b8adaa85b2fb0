"""The health weights and thresholds forms in Data & settings (issue 16, point 8).

A second change to the health weights was thrown away: the keyless widgets took their identity
from their default value, so after one Apply the next run drew new widgets at the new defaults
and the user's second edit was lost ("Health settings applied." over the old weights). Each
Apply now takes, and the Account page's breakdown uses the weights at once.
"""

from __future__ import annotations

import pytest

from insight_engine import ConfigError
from insight_engine.settings import HealthSettings, Settings, with_changes
from tests.helpers import open_app

SETTINGS = "pages/admin/data_settings.py"
ACCOUNT = "pages/csm/account.py"


@pytest.fixture(scope="module", autouse=True)
def _demo_ready():
    from insight_engine.book.loader import ensure_demo

    ensure_demo()


TUNED = Settings(health=HealthSettings(core_weight=5.0, min_tier_peers=2, support_window_weeks=8))


@pytest.mark.parametrize(
    ("section", "changes", "expected"),
    [
        # the changed fields change; the ones the form does not show keep their values
        (
            "health",
            {"weight_usage": 60.0, "weight_support": 10.0},
            {"weight_usage": 60.0, "weight_support": 10.0, "core_weight": 5.0, "min_tier_peers": 2},
        ),
        ("health", {"support_window_weeks": 6.0}, {"support_window_weeks": 6}),
        ("detector", {"win_recent_weeks": 3.0, "win_uplift": 0.3}, {"win_recent_weeks": 3}),
        ("model", {"min_labeled": 50}, {"min_labeled": 50}),
        ("health", {}, {"weight_usage": 40.0, "core_weight": 5.0}),
    ],
)
def test_with_changes_keeps_every_field_it_is_not_given(section, changes, expected):
    updated = with_changes(TUNED, section, changes)
    part = getattr(updated, section)
    for name, value in expected.items():
        assert getattr(part, name) == value
        assert type(getattr(part, name)) is type(value)
    assert updated.health.support_window_weeks == (6 if "support_window_weeks" in changes else 8)
    assert TUNED.health.weight_usage == 40.0  # the settings in use are not changed in place


@pytest.mark.parametrize(
    ("section", "changes", "says"),
    [
        ("health", {"weight_usage": -1.0}, "cannot be negative"),
        ("health", {"red_below": 80.0, "green_above": 70.0}, "Bands"),
        ("health", {"weight_colour": 1.0}, "weight_colour: not a health setting"),
        ("health", {"min_tier_peers": 2.5}, "whole number"),
        ("health", {"weight_usage": "lots"}, "must be a number"),
        ("colour", {}, "not a settings section"),
    ],
)
def test_with_changes_refuses_what_cannot_be_used(section, changes, says):
    with pytest.raises(ConfigError, match=says):
        with_changes(TUNED, section, changes)


def _input(at, label: str):
    return next(n for n in at.number_input if n.label == label)


def _apply(at, button: str = "Apply"):
    next(b for b in at.button if b.label == button).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_a_second_change_to_the_health_weights_is_applied_and_the_account_page_uses_it():
    at = open_app(SETTINGS)
    _input(at, "Product usage").set_value(50.0)
    _apply(at)
    assert at.session_state["settings"].health.weight_usage == 50.0
    # the second change, to the same field and another: before the fix it snapped back to 50
    _input(at, "Product usage").set_value(60.0)
    _input(at, "Support sentiment").set_value(10.0)
    _apply(at)
    health = at.session_state["settings"].health
    assert (health.weight_usage, health.weight_support) == (60.0, 10.0)
    assert _input(at, "Product usage").value == 60.0  # the form shows what is in use
    # a third, after an unrelated rerun
    at.run()
    _input(at, "Green above").set_value(75.0)
    _apply(at)
    health = at.session_state["settings"].health
    assert (health.weight_usage, health.weight_support, health.green_above) == (60.0, 10.0, 75.0)
    assert health.core_weight == HealthSettings().core_weight  # a field the form lacks is kept
    # the Account page's breakdown reads the new weights at once
    at.switch_page(ACCOUNT).run()
    assert not at.exception, [e.value for e in at.exception]
    breakdown = next(d.value for d in at.dataframe if "weight_used" in d.value.columns)
    weights = dict(zip(breakdown["component"], breakdown["weight"], strict=True))
    assert sorted(weights.values()) == sorted([60.0, 10.0, 20.0, 10.0]), weights
    # back on Data & settings (Streamlit dropped the widget keys), the form still shows them
    at.switch_page(SETTINGS).run()
    assert _input(at, "Product usage").value == 60.0
    assert _input(at, "Green above").value == 75.0


def test_reset_puts_the_play_defaults_back_in_the_forms_and_thresholds_apply_twice():
    at = open_app(SETTINGS)
    _input(at, "Win: recent weeks").set_value(3)
    _apply(at, "Apply thresholds")
    _input(at, "Win: recent weeks").set_value(2)
    _input(at, "Outcomes needed before the model learns").set_value(100)
    _apply(at, "Apply thresholds")
    s = at.session_state["settings"]
    assert (s.detector.win_recent_weeks, s.model.min_labeled) == (2, 100)
    _input(at, "Product usage").set_value(70.0)
    _apply(at)
    assert at.session_state["settings"].detector.win_recent_weeks == 2  # kept by the health form
    next(b for b in at.button if b.label == "Reset to the play's defaults").click().run()
    assert at.session_state["settings"] == Settings()
    assert _input(at, "Product usage").value == 40.0
    assert _input(at, "Win: recent weeks").value == 4


@pytest.mark.browser
def test_two_changes_to_the_weights_stick_in_chromium(browser, tmp_path):
    """As issue 16 saw it: in the browser, the second change is the one in use afterwards,
    and the Account page's breakdown shows it."""
    from tests.browser import Server, new_page, no_error_details, settled, shot

    server = Server(tmp_path)
    try:
        page = new_page(browser, server, width=1280, height=800)
        page.goto(server.url)
        page.get_by_role("heading", name="This week", exact=True).wait_for()
        settled(page)
        page.get_by_role("link", name="Data & settings", exact=True).click()
        page.get_by_role("heading", name="Data & settings", exact=True).wait_for()
        settled(page)
        usage = page.get_by_label("Product usage", exact=True)
        for value in ("50", "60"):
            usage.fill(value)
            page.get_by_role("button", name="Apply", exact=True).click()
            page.get_by_text("Health settings applied").wait_for()
            settled(page)
            assert usage.input_value() == f"{value}.00"
        support = page.get_by_label("Support sentiment", exact=True)
        support.fill("10")
        page.get_by_role("button", name="Apply", exact=True).click()
        settled(page)
        assert (usage.input_value(), support.input_value()) == ("60.00", "10.00")
        usage.scroll_into_view_if_needed()
        shot(page, "weights-after-three-changes-1280")
        page.get_by_role("link", name="Account", exact=True).click()
        page.get_by_role("heading", level=1).first.wait_for()
        settled(page)
        health_tab = page.get_by_role("tab", name="Health", exact=True)
        if health_tab.count():  # the breakdown sits in the page's Health tab
            health_tab.click()
            settled(page)
        row: list[str] = []
        for grid in page.locator('[data-testid="stDataFrame"]').all():  # drawn when in view
            if not grid.is_visible():
                continue
            grid.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            cells = [c.strip() for c in grid.locator('[role="gridcell"]').all_text_contents()]
            if "Product usage" in cells:
                row = cells[cells.index("Product usage") :][:4]
                break
        assert "60" in row, row  # the nominal weight column reads the new weight
        no_error_details(page)
        page.context.close()
    finally:
        server.stop()
