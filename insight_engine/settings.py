"""Every tunable number in one documented object, editable in Data & settings.

Each field carries its own description (``field(metadata={"doc": ...})``); a test checks that
the README documents every one, so a new setting cannot be added silently.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from insight_engine.errors import ConfigError

__all__ = ["HealthSettings", "Settings", "describe_settings"]


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


@dataclass
class Settings:
    """All of Rudder's settings."""

    health: HealthSettings = field(default_factory=HealthSettings)

    def validate(self) -> Settings:
        self.health.validate()
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Settings:
        health_names = {f.name for f in fields(HealthSettings)}
        health = HealthSettings(
            **{k: v for k, v in (data.get("health") or {}).items() if k in health_names}
        )
        return cls(health=health).validate()

    def save(self, path: str | Path) -> None:
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
