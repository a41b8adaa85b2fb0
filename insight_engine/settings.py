"""Every tunable number in one documented object, editable in Data & settings.

The settings are pydantic models, validated whole whenever one is built: a field's own bounds
(``ge``/``gt``/``le``/``lt``) and the rules between fields (weights that add up to something,
bands in order). A value that breaks one raises :class:`~insight_engine.errors.ConfigError` in
plain words, naming the setting as the form shows it.

Each field carries a plain label (``title``: what Data & settings shows) and a description
(``description``: the tooltip and the README's table); a test checks that the README documents
every one, so a new setting cannot be added silently. The models are frozen: a change is a new
object (:func:`with_changes`), so settings in use are never changed in place.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from insight_engine.errors import ConfigError

__all__ = [
    "DetectorSettings",
    "HealthSettings",
    "ModelSettings",
    "Settings",
    "describe_settings",
    "with_changes",
]


def _f(default: Any, label: str, doc: str, **bounds: float) -> Any:
    """A setting: its default, its plain label, what it does, and its bounds if any."""
    return Field(default, title=label, description=doc, **bounds)


def _rule(message: str) -> PydanticCustomError:
    """A rule between fields that does not hold: ``message`` is shown as it is."""
    return PydanticCustomError("rudder_rule", message)


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class _Part(BaseModel):
    """What every settings model shares: frozen, validated whole, errors in plain words."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(_plain(type(self), exc)) from None

    def validate(self) -> _Part:  # type: ignore[override]
        """``self``, checked again (a model built with ``model_copy`` skips validation)."""
        type(self)(**self.model_dump())
        return self

    @classmethod
    def label(cls, name: str) -> str:
        """The plain label of field ``name`` (what Data & settings shows)."""
        return cls.model_fields[name].title or name


def _bounds(model: type[BaseModel], name: str) -> str:
    """A field's bounds in words: "at least 1", "above 0 and at most 2"."""
    said = []
    for meta in model.model_fields[name].metadata:
        for attr, words in (
            ("ge", "at least"),
            ("gt", "above"),
            ("le", "at most"),
            ("lt", "below"),
        ):
            value = getattr(meta, attr, None)
            if value is not None:
                said.append(f"{words} {_number(value)}")
    return " and ".join(said)


def _plain(model: type[BaseModel], exc: ValidationError) -> str:
    """The first problem of a pydantic error, in the words the person using Rudder reads."""
    error = exc.errors(include_url=False)[0]
    kind = error["type"]
    if kind == "rudder_rule":
        return error["msg"]
    where = error["loc"][0] if error["loc"] else ""
    if where not in model.model_fields:
        return error["msg"]
    field = model.model_fields[where]
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, _Part):  # a section's place
        return f"{where} must hold {where} settings, not {error.get('input')!r}."
    label = f"'{field.title or where}'"
    given = error.get("input")
    if kind in ("int_from_float", "int_parsing", "int_type") and _is_number(given):
        return f"{label} must be a whole number, not {given!r}."
    if kind.startswith(("int_", "float_")) or kind in ("finite_number",):
        return f"{label} must be a number, not {given!r}."
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bounds = _bounds(model, where)
        if bounds == "at least 0":
            return f"{label} cannot be negative (you gave {_number(given)})."
        return f"{label} must be {bounds} (you gave {_number(given)})."
    return f"{label}: {error['msg']}."


def _is_number(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


class HealthSettings(_Part):
    """Weights and bands of the health score (defaults from the play's health-score guidance)."""

    weight_usage: float = _f(
        40.0,
        "Product usage",
        "Weight of product usage (adoption vs the same-tier cohort, seats in use).",
        ge=0,
    )
    weight_support: float = _f(
        30.0,
        "Support sentiment",
        "Weight of support sentiment (ticket CSAT, open high-priority tickets).",
        ge=0,
    )
    weight_survey: float = _f(20.0, "NPS / CSAT", "Weight of NPS/CSAT survey responses.", ge=0)
    weight_engagement: float = _f(
        10.0,
        "Engagement with the CSM",
        "Weight of engagement with the CSM (days since the last meeting note or insight).",
        ge=0,
    )
    red_below: float = _f(50.0, "Red below", "Scores below this are red.", ge=0, le=100)
    green_above: float = _f(
        70.0,
        "Green above",
        "Scores above this are green; between red and green is yellow.",
        ge=0,
        le=100,
    )
    support_window_weeks: int = _f(
        12, "Weeks of tickets that count", "Weeks of tickets that count toward support sentiment."
    )
    survey_valid_weeks: int = _f(
        26, "Weeks a survey answer counts", "How long a survey response keeps counting."
    )
    engagement_full_days: int = _f(
        14,
        "Days within which a touch counts fully",
        "A touch within this many days gives full engagement.",
    )
    engagement_zero_days: int = _f(
        90,
        "Days after which engagement is zero",
        "No touch for this many days gives zero engagement.",
    )
    core_weight: float = _f(
        3.0,
        "How much more a core metric counts",
        "In product usage, a core metric counts this many times a long-tail feature (which counts "
        "only for accounts that use it).",
        ge=1,
    )
    core_share: float = _f(
        0.5,
        "Share of accounts that makes a metric core",
        "A metric is core (when the catalog does not say) if at least this share of the accounts "
        "with usage used it in the last 12 weeks.",
        gt=0,
        le=1,
    )
    min_tier_peers: int = _f(
        5,
        "Fewest tier peers to compare with",
        "In product usage, a tier with fewer accounts than this using a metric that week is "
        "compared with the whole book's accounts instead.",
        ge=1,
    )

    def weights(self) -> dict[str, float]:
        return {
            "usage": self.weight_usage,
            "support": self.weight_support,
            "survey": self.weight_survey,
            "engagement": self.weight_engagement,
        }

    @model_validator(mode="after")
    def _rules(self) -> HealthSettings:
        if sum(self.weights().values()) <= 0:
            raise _rule("At least one health weight must be above zero.")
        if self.red_below > self.green_above:
            raise _rule(
                f"Bands: 'Red below' ({_number(self.red_below)}) cannot be above 'Green above' "
                f"({_number(self.green_above)}); scores between them are yellow."
            )
        if self.engagement_full_days >= self.engagement_zero_days:
            raise _rule(
                "Full-engagement days must be fewer than zero-engagement days "
                f"({self.engagement_full_days} is not fewer than {self.engagement_zero_days})."
            )
        return self


class DetectorSettings(_Part):
    """Thresholds of the signal detectors (see README, "Signals")."""

    win_uplift: float = _f(
        0.20,
        "Win: rise in an outcome metric (share)",
        "Win: an outcome metric up at least this share, last 4 weeks vs the 8 before.",
        gt=0,
        lt=10,
    )
    win_recent_weeks: int = _f(4, "Win: recent weeks", "Win: weeks in the recent window.", ge=1)
    win_baseline_weeks: int = _f(
        8, "Win: weeks before, compared with", "Win: weeks in the baseline window before it.", ge=1
    )
    milestone_recent_days: int = _f(
        14,
        "Win: days since a milestone was reached",
        "Win: a First Value or Value Block completed within this many days.",
    )
    promoter_recent_days: int = _f(
        14,
        "Win: days since an NPS of 9–10",
        "Win: an NPS of 9–10 within this many days (the previous one was lower).",
    )
    feature_ratio_share: float = _f(
        0.20,
        "Feature: use vs its complement (share of tier)",
        "Feature: use of a capability relative to its complement below this share of the tier median.",
        gt=0,
        le=2,
    )
    feature_goal_min_peer_use: float = _f(
        10.0,
        "Feature: peers' use of a goal feature",
        "Feature: a goal-tied capability is 'ignored' when tier peers use it at least this much in 4 weeks and the account not at all.",
    )
    practice_target_share: float = _f(
        1.0,
        "Better practice: share of the target",
        "Better practice: a configuration metric below this share of its target.",
    )
    stall_grace_days: int = _f(
        3, "Stall: days past due", "Stall: days past due before a milestone counts as stalled."
    )
    stall_onboarding_days: int = _f(
        120,
        "Stall: days of onboarding",
        "Stall: an account is onboarding for this many days after contract start.",
    )
    stall_flat_usage: float = _f(
        50.0,
        "Stall: usage score below",
        "Stall: onboarding accounts whose usage score is below this and not rising.",
    )
    no_login_days: int = _f(
        7, "Stall: days with no activity", "Stall: no activity for this many days."
    )
    risk_health_below: float = _f(50.0, "Risk: health below", "Risk: health below this.")
    risk_health_drop: float = _f(
        15.0,
        "Risk: health drop in 4 weeks (points)",
        "Risk: health down at least this many points in 4 weeks.",
    )
    risk_ticket_spike: int = _f(
        3,
        "Risk: tickets in 4 weeks",
        "Risk: at least this many tickets in 4 weeks, and twice the account's usual rate.",
    )
    risk_low_csat_run: int = _f(
        2,
        "Risk: poorly rated tickets in 8 weeks",
        "Risk: this many tickets rated CSAT 1–2 in the last 8 weeks.",
    )
    risk_detractor_days: int = _f(
        30, "Risk: days since an NPS of 0–6", "Risk: an NPS of 0–6 within this many days."
    )
    risk_seat_use_below: float = _f(
        0.40,
        "Risk: seats in use below (share)",
        "Risk: active users below this share of licensed seats.",
        gt=0,
        le=2,
    )
    risk_renewal_days: int = _f(
        120,
        "Risk: days before renewal",
        "Risk: renewal within this many days while health is below risk_renewal_health.",
    )
    risk_renewal_health: float = _f(
        60.0,
        "Risk: health below, near renewal",
        "Risk: the health level that makes an upcoming renewal a risk.",
    )
    expansion_seat_use: float = _f(
        0.90,
        "Expansion: seats in use above (share)",
        "Expansion: active users above this share of licensed seats.",
        gt=0,
        le=2,
    )
    expansion_heavy_use: float = _f(
        2.0,
        "Expansion: heavy use (times the tier)",
        "Expansion: per-seat use of a capability with an upgrade path at least this multiple of the tier median for 8 weeks.",
    )


class ModelSettings(_Part):
    """How the opportunity model ranks the book."""

    min_labeled: int = _f(
        200,
        "Outcomes needed before the model learns",
        "Insights with an outcome recorded needed before the model, not Rudder's starting rule, ranks the book.",
        ge=20,
    )
    recent_insight_days: int = _f(
        14,
        "Days a contacted account steps back",
        "Accounts sent an insight within this many days drop down (unless the signal is a risk).",
    )
    recent_insight_factor: float = _f(
        0.35,
        "How far a contacted account steps back",
        "Score multiplier for those recently contacted accounts.",
        gt=0,
        le=1,
    )
    test_share: float = _f(
        0.25,
        "Share of outcomes kept to check the model",
        "Newest share of the insights with an outcome recorded, held out to evaluate the model.",
        ge=0.05,
        le=0.5,
    )
    regularization: float = _f(
        1.0,
        "How closely the model follows the data",
        "How closely the model follows the recorded outcomes (the inverse regularization "
        "strength C of its logistic regression): higher trusts them more, lower keeps it "
        "cautious.",
        gt=0,
    )


class Settings(_Part):
    """All of Rudder's settings."""

    health: HealthSettings = Field(default_factory=HealthSettings)
    detector: DetectorSettings = Field(default_factory=DetectorSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)

    def to_dict(self) -> dict:
        return self.model_dump(serialize_as_any=True)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """Settings from a dict (a saved file): unknown names are ignored, missing ones take
        their defaults, and the rest must validate (raises ConfigError)."""
        return cls(**{k: v for k, v in dict(data).items() if k in cls.model_fields})

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> Settings:
        path = Path(path)
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict):
                raise ValueError("it does not hold an object of settings")
            return cls.from_dict(data)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"The settings file {path.name} could not be read ({exc}); delete it to use the defaults."
            ) from None
        except ConfigError as exc:
            raise ConfigError(
                f"The settings file {path.name} holds a value Rudder cannot use: {exc} "
                "Change it in Data & settings, or delete the file to use the defaults."
            ) from None


SECTIONS: dict[str, type[_Part]] = {
    name: field.annotation  # type: ignore[misc]
    for name, field in Settings.model_fields.items()
}


def describe_settings(settings: Settings | None = None) -> list[dict[str, object]]:
    """Every setting with its section, name, plain label, value and description (for the
    README and the UI)."""
    settings = settings or Settings()
    rows = []
    for section in SECTIONS:
        part = getattr(settings, section)
        for name, field in type(part).model_fields.items():
            rows.append(
                {
                    "section": section,
                    "name": name,
                    "label": field.title or name,
                    "value": getattr(part, name),
                    "doc": field.description or "",
                    "whole": field.annotation is int,
                }
            )
    return rows


def with_changes(settings: Settings, section: str, changes: Mapping[str, object]) -> Settings:
    """``settings`` with some fields of one section changed, every other field kept, validated.

    What a settings form applies: the section is validated whole from its current values with
    ``changes`` over them (``model_validate``), and put in a copy of ``settings``
    (``model_copy``): never rebuilt field by field, so a field the form does not show (or one
    added later) keeps its value. A form's number comes back as a float; an ``int`` field takes
    it as an int when it is whole.

    Raises
    ------
    ConfigError
        An unknown section or field, a value that is not a number, or settings that do not
        validate (the message says which rule, in plain words).
    """
    if section not in SECTIONS:
        raise ConfigError(f"{section!r} is not a settings section ({', '.join(sorted(SECTIONS))}).")
    part = getattr(settings, section)
    kind = type(part)  # the section's own class: a field only a subclass has is kept too
    unknown = [k for k in changes if k not in kind.model_fields]
    if unknown:
        raise ConfigError(f"{', '.join(unknown)}: not a {section} setting.")
    for name, value in changes.items():
        if isinstance(value, bool) or not _is_number(value):
            raise ConfigError(f"'{kind.label(name)}' must be a number, not {value!r}.")
    updated = kind(**{**part.model_dump(serialize_as_any=True), **changes})
    return settings.model_copy(update={section: updated})
