"""The settings (insight_engine.settings): pydantic models validated whole, in plain words, edited
whole; and the objects sessions share (settings in use, the Book) are frozen (issue 19, point 5)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from insight_engine import ConfigError
from insight_engine.settings import (
    DetectorSettings,
    HealthSettings,
    ModelSettings,
    Settings,
    describe_settings,
    with_changes,
)
from tests.helpers import open_app

SETTINGS_PAGE = "pages/admin/data_settings.py"


@pytest.mark.parametrize(
    ("kind", "values", "says"),
    [
        # a field's own bounds, named as the form labels it, with the value given
        (HealthSettings, {"weight_usage": -1}, "'Product usage' cannot be negative (you gave -1)"),
        (HealthSettings, {"red_below": 120}, "'Red below' must be at least 0 and at most 100"),
        (HealthSettings, {"core_weight": 0.5}, "must be at least 1 (you gave 0.5)"),
        (HealthSettings, {"core_share": 0}, "must be above 0 and at most 1"),
        (HealthSettings, {"min_tier_peers": 0}, "'Fewest tier peers to compare with' must be at"),
        (DetectorSettings, {"win_uplift": 10}, "must be above 0 and below 10"),
        (DetectorSettings, {"win_recent_weeks": 0}, "'Win: recent weeks' must be at least 1"),
        (DetectorSettings, {"expansion_seat_use": 3}, "above 0 and at most 2"),
        (ModelSettings, {"min_labeled": 19}, "'Outcomes needed before the model learns' must"),
        (ModelSettings, {"recent_insight_factor": 0}, "above 0 and at most 1"),
        (ModelSettings, {"test_share": 0.9}, "at least 0.05 and at most 0.5 (you gave 0.9)"),
        (ModelSettings, {"regularization": 0}, "must be above 0"),
        # types: a number, a whole one where the setting counts days or weeks, never NaN
        (HealthSettings, {"weight_usage": "lots"}, "'Product usage' must be a number, not 'lots'"),
        (HealthSettings, {"weight_usage": float("nan")}, "must be a number, not nan"),
        (HealthSettings, {"support_window_weeks": 2.5}, "must be a whole number, not 2.5"),
        # rules between fields
        (
            HealthSettings,
            {"weight_usage": 0, "weight_support": 0, "weight_survey": 0, "weight_engagement": 0},
            "At least one health weight must be above zero",
        ),
        (HealthSettings, {"red_below": 80, "green_above": 60}, "Bands: 'Red below' (80) cannot"),
        (
            HealthSettings,
            {"engagement_full_days": 90, "engagement_zero_days": 30},
            "(90 is not fewer than 30)",
        ),
        (Settings, {"health": "loud"}, "health must hold health settings, not 'loud'"),
    ],
)
def test_a_setting_that_cannot_be_used_is_refused_in_plain_words(kind, values, says):
    with pytest.raises(ConfigError) as caught:
        kind(**values)
    assert says in str(caught.value)
    assert "pydantic" not in str(caught.value) and "type=" not in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        (HealthSettings, {"support_window_weeks": 6.0}, {"support_window_weeks": 6}),
        (HealthSettings, {"weight_usage": 55}, {"weight_usage": 55.0}),
        (HealthSettings, {"red_below": 70, "green_above": 70}, {"red_below": 70.0}),  # no yellow
        (ModelSettings, {"min_labeled": "50"}, {"min_labeled": 50}),  # a saved file's text
        (DetectorSettings, {"win_uplift": 0.3}, {"win_uplift": 0.3}),
    ],
)
def test_a_usable_value_is_taken_with_its_settings_type(kind, values, expected):
    part = kind(**values)
    for name, value in expected.items():
        assert getattr(part, name) == value
        assert type(getattr(part, name)) is type(value)


def test_every_setting_has_a_plain_label_a_description_and_its_default():
    rows = describe_settings()
    labels = [r["label"] for r in rows]
    assert len(set(labels)) == len(labels), "two settings share a label"
    for r in rows:
        name = str(r["name"])
        assert r["label"] != name and "_" not in str(r["label"]), f"{name} has no plain label"
        assert len(str(r["doc"])) > 15, f"{name} has no description"
        assert r["whole"] is isinstance(r["value"], int)
    by_name = {r["name"]: r for r in rows}
    assert by_name["min_labeled"]["label"] == "Outcomes needed before the model learns"
    assert by_name["regularization"]["label"] == "How closely the model follows the data"
    assert by_name["weight_usage"]["value"] == 40.0


def test_settings_round_trip_through_their_json_and_a_file(tmp_path):
    tuned = with_changes(Settings(), "model", {"min_labeled": 50, "regularization": 0.5})
    assert Settings.from_dict(json.loads(tuned.to_json())) == tuned
    tuned.save(tmp_path / "settings.json")
    assert Settings.load(tmp_path / "settings.json") == tuned
    # a file from an older or newer Rudder: unknown names ignored, missing ones at their default
    (tmp_path / "old.json").write_text(json.dumps({"health": {"weight_usage": 45}, "gone": {}}))
    old = Settings.load(tmp_path / "old.json")
    assert (old.health.weight_usage, old.health.weight_support) == (45.0, 30.0)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{nope", "could not be read"),
        ("[1, 2]", "could not be read"),
        ('{"model": {"min_labeled": 3}}', "'Outcomes needed before the model learns' must be"),
    ],
)
def test_a_settings_file_rudder_cannot_use_says_which_and_how_to_recover(tmp_path, text, says):
    (tmp_path / "settings.json").write_text(text)
    with pytest.raises(ConfigError) as caught:
        Settings.load(tmp_path / "settings.json")
    assert says in str(caught.value)
    assert "settings.json" in str(caught.value) and "delete" in str(caught.value)


def test_settings_in_use_cannot_be_changed_in_place():
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.health.weight_usage = 90.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        settings.model = ModelSettings(min_labeled=50)  # type: ignore[misc]
    assert settings == Settings()


class FutureHealth(HealthSettings):
    """HealthSettings as a later Rudder might have it: a field no form of today knows."""

    weight_mood: float = 0.0


def test_a_field_the_form_does_not_know_survives_a_change_made_through_it():
    """with_changes validates the section whole from its current values: a field it is not
    given (here one only a later version has) keeps its value instead of its default."""
    tuned = Settings(health=FutureHealth(weight_mood=7.0, core_weight=5.0))
    updated = with_changes(tuned, "health", {"weight_usage": 50.0, "green_above": 75.0})
    assert isinstance(updated.health, FutureHealth)
    assert updated.health.weight_mood == 7.0 and updated.health.core_weight == 5.0
    assert (updated.health.weight_usage, updated.health.green_above) == (50.0, 75.0)
    assert json.loads(updated.to_json())["health"]["weight_mood"] == 7.0
    assert tuned.health.weight_usage == 40.0  # the settings in use are not changed


def test_the_data_and_settings_form_keeps_a_field_it_does_not_show():
    """Through the page: Apply on the health form, with settings that carry a field the form
    has no widget for; the field keeps its value (a form that rebuilt the settings field by
    field would reset it silently)."""
    from insight_engine.book.loader import ensure_demo

    ensure_demo()
    at = open_app(SETTINGS_PAGE)
    at.session_state["settings"] = Settings(health=FutureHealth(weight_mood=7.0))
    at.run()
    next(n for n in at.number_input if n.label == "Product usage").set_value(55.0)
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    health = at.session_state["settings"].health
    assert (health.weight_usage, health.weight_mood) == (55.0, 7.0)
    # and the thresholds form, which shows every detector and model setting, by its plain label
    labels = {n.label for n in at.number_input}
    assert {"Outcomes needed before the model learns", "Win: recent weeks"} <= labels
    assert not any("_" in label for label in labels), sorted(labels)


def test_a_book_cannot_be_changed_in_place(demo_book):
    """One Book is shared by every session showing it (st.cache_resource): a change is a new
    book (dataclasses.replace), never an attribute set on the shared one."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        demo_book.source = "somewhere else"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        demo_book.as_of = demo_book.as_of  # type: ignore[misc]
    renamed = dataclasses.replace(demo_book, key="another")
    assert renamed.key == "another" and demo_book.key != "another"
    assert renamed.accounts is demo_book.accounts  # the tables are shared, not copied
