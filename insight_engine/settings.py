"""Every tunable number in one documented object, editable in Data & settings.

Each field carries its own description (``field(metadata={"doc": ...})``); a test checks that
the README documents every one, so a new setting cannot be added silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from insight_engine.errors import ConfigError

__all__ = [
    "DetectorSettings",
    "HealthSettings",
    "ModelSettings",
    "Settings",
    "describe_settings",
    "with_changes",
]


def _f(default, doc: str):
    return field(default=default, metadata={"doc": doc})


@dataclass
class HealthSettings:
    """Weights and bands of the health score (defaults from the play's health-score guidance)."""

    weight_usage: float = _f(
        40.0, "Weight of product usage (adoption vs the same-tier cohort, seats in use)."
    )
    weight_support: float = _f(
        30.0, "Weight of support sentiment (ticket CSAT, open high-priority tickets)."
    )
    weight_survey: float = _f(20.0, "Weight of NPS/CSAT survey responses.")
    weight_engagement: float = _f(
        10.0, "Weight of engagement with the CSM (days since the last meeting note or insight)."
    )
    red_below: float = _f(50.0, "Scores below this are red.")
    green_above: float = _f(70.0, "Scores above this are green; between red and green is yellow.")
    support_window_weeks: int = _f(12, "Weeks of tickets that count toward support sentiment.")
    survey_valid_weeks: int = _f(26, "How long a survey response keeps counting.")
    engagement_full_days: int = _f(14, "A touch within this many days gives full engagement.")
    engagement_zero_days: int = _f(90, "No touch for this many days gives zero engagement.")
    core_weight: float = _f(
        3.0,
        "In product usage, a core metric counts this many times a long-tail feature (which counts "
        "only for accounts that use it).",
    )
    core_share: float = _f(
        0.5,
        "A metric is core (when the catalog does not say) if at least this share of the accounts "
        "with usage used it in the last 12 weeks.",
    )
    min_tier_peers: int = _f(
        5,
        "In product usage, a tier with fewer accounts than this using a metric that week is "
        "compared with the whole book's accounts instead.",
    )

    def weights(self) -> dict[str, float]:
        return {
            "usage": self.weight_usage,
            "support": self.weight_support,
            "survey": self.weight_survey,
            "engagement": self.weight_engagement,
        }

    def validate(self) -> None:
        if any(w < 0 for w in self.weights().values()):
            raise ConfigError("Health weights cannot be negative.")
        if sum(self.weights().values()) <= 0:
            raise ConfigError("At least one health weight must be above zero.")
        if not 0 <= self.red_below <= self.green_above <= 100:
            raise ConfigError("Bands must satisfy 0 ≤ red-below ≤ green-above ≤ 100.")
        if self.engagement_full_days >= self.engagement_zero_days:
            raise ConfigError("Full-engagement days must be fewer than zero-engagement days.")
        if self.core_weight < 1:
            raise ConfigError(
                "core_weight must be at least 1 (a core metric counts at least as much)."
            )
        if not 0 < self.core_share <= 1:
            raise ConfigError("core_share must be a share between 0 and 1.")
        if self.min_tier_peers < 1:
            raise ConfigError("min_tier_peers must be at least 1.")


@dataclass
class DetectorSettings:
    """Thresholds of the signal detectors (see README, "Signals")."""

    win_uplift: float = _f(
        0.20, "Win: an outcome metric up at least this share, last 4 weeks vs the 8 before."
    )
    win_recent_weeks: int = _f(4, "Win: weeks in the recent window.")
    win_baseline_weeks: int = _f(8, "Win: weeks in the baseline window before it.")
    milestone_recent_days: int = _f(
        14, "Win: a First Value or Value Block completed within this many days."
    )
    promoter_recent_days: int = _f(
        14, "Win: an NPS of 9–10 within this many days (the previous one was lower)."
    )
    feature_ratio_share: float = _f(
        0.20,
        "Feature: use of a capability relative to its complement below this share of the tier median.",
    )
    feature_goal_min_peer_use: float = _f(
        10.0,
        "Feature: a goal-tied capability is 'ignored' when tier peers use it at least this much in 4 weeks and the account not at all.",
    )
    practice_target_share: float = _f(
        1.0, "Better practice: a configuration metric below this share of its target."
    )
    stall_grace_days: int = _f(3, "Stall: days past due before a milestone counts as stalled.")
    stall_onboarding_days: int = _f(
        120, "Stall: an account is onboarding for this many days after contract start."
    )
    stall_flat_usage: float = _f(
        50.0, "Stall: onboarding accounts whose usage score is below this and not rising."
    )
    no_login_days: int = _f(7, "Stall: no activity for this many days.")
    risk_health_below: float = _f(50.0, "Risk: health below this.")
    risk_health_drop: float = _f(15.0, "Risk: health down at least this many points in 4 weeks.")
    risk_ticket_spike: int = _f(
        3, "Risk: at least this many tickets in 4 weeks, and twice the account's usual rate."
    )
    risk_low_csat_run: int = _f(2, "Risk: this many tickets rated CSAT 1–2 in the last 8 weeks.")
    risk_detractor_days: int = _f(30, "Risk: an NPS of 0–6 within this many days.")
    risk_seat_use_below: float = _f(0.40, "Risk: active users below this share of licensed seats.")
    risk_renewal_days: int = _f(
        120, "Risk: renewal within this many days while health is below risk_renewal_health."
    )
    risk_renewal_health: float = _f(
        60.0, "Risk: the health level that makes an upcoming renewal a risk."
    )
    expansion_seat_use: float = _f(
        0.90, "Expansion: active users above this share of licensed seats."
    )
    expansion_heavy_use: float = _f(
        2.0,
        "Expansion: per-seat use of a capability with an upgrade path at least this multiple of the tier median for 8 weeks.",
    )

    def validate(self) -> None:
        if not 0 < self.win_uplift < 10:
            raise ConfigError("win_uplift must be between 0 and 10 (a share, e.g. 0.2 for +20%).")
        if self.win_recent_weeks < 1 or self.win_baseline_weeks < 1:
            raise ConfigError("Win windows need at least one week each.")
        for name in ("feature_ratio_share", "risk_seat_use_below", "expansion_seat_use"):
            if not 0 < getattr(self, name) <= 2:
                raise ConfigError(f"{name} must be a share between 0 and 2.")


@dataclass
class ModelSettings:
    """How the opportunity model ranks the book."""

    min_labeled: int = _f(
        200, "Labeled insight outcomes needed before the model (not the prior) ranks the book."
    )
    recent_insight_days: int = _f(
        14,
        "Accounts sent an insight within this many days drop down (unless the signal is a risk).",
    )
    recent_insight_factor: float = _f(
        0.35, "Score multiplier for those recently contacted accounts."
    )
    test_share: float = _f(
        0.25, "Newest share of the labeled history held out to evaluate the model."
    )
    regularization: float = _f(1.0, "Inverse regularization strength C of the logistic regression.")

    def validate(self) -> None:
        if self.min_labeled < 20:
            raise ConfigError("min_labeled must be at least 20.")
        if not 0 < self.recent_insight_factor <= 1:
            raise ConfigError("recent_insight_factor must be in (0, 1].")
        if not 0.05 <= self.test_share <= 0.5:
            raise ConfigError("test_share must be between 0.05 and 0.5.")


@dataclass
class Settings:
    """All of Rudder's settings."""

    health: HealthSettings = field(default_factory=HealthSettings)
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    model: ModelSettings = field(default_factory=ModelSettings)

    def validate(self) -> Settings:
        self.health.validate()
        self.detector.validate()
        self.model.validate()
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> Settings:
        parts = {}
        for section in fields(cls):
            kind = section.default_factory  # type: ignore[misc]
            names = {f.name for f in fields(kind)}
            parts[section.name] = kind(
                **{k: v for k, v in (data.get(section.name) or {}).items() if k in names}
            )
        return cls(**parts).validate()

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> Settings:
        path = Path(path)
        if not path.exists():
            return cls()
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"The settings file {path.name} could not be read ({exc}); delete it to use the defaults."
            ) from None


def describe_settings(settings: Settings | None = None) -> list[dict[str, object]]:
    """Every setting with its section, name, value and description (for the README and the UI)."""
    settings = settings or Settings()
    rows = []
    for section in fields(Settings):
        obj = getattr(settings, section.name)
        for f in fields(obj):
            rows.append(
                {
                    "section": section.name,
                    "name": f.name,
                    "value": getattr(obj, f.name),
                    "doc": f.metadata.get("doc", ""),
                }
            )
    return rows


def with_changes(settings: Settings, section: str, changes: Mapping[str, object]) -> Settings:
    """``settings`` with some fields of one section changed, every other field kept, validated.

    What a settings form applies: built from the current object (``dataclasses.replace``), not
    field by field, so a field the form does not show (or one added later) keeps its value.
    A form's number comes back as a float; an ``int`` field takes it as an int.

    Raises
    ------
    ConfigError
        An unknown section or field, a value that is not a number, or settings that do not
        validate (the message says which rule).
    """
    names = {f.name for f in fields(Settings)}
    if section not in names:
        raise ConfigError(f"{section!r} is not a settings section ({', '.join(sorted(names))}).")
    part = getattr(settings, section)
    kinds = {f.name: type(getattr(part, f.name)) for f in fields(part)}
    unknown = [k for k in changes if k not in kinds]
    if unknown:
        raise ConfigError(f"{', '.join(unknown)}: not a {section} setting.")
    typed: dict[str, object] = {}
    for name, value in changes.items():
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, not {value!r}.") from None
        if kinds[name] is int:
            if number != int(number):
                raise ConfigError(f"{name} must be a whole number, not {value!r}.")
            number = int(number)
        typed[name] = number
    return replace(settings, **{section: replace(part, **typed)}).validate()
