"""Rudder's own exceptions. Pages catch :class:`RudderError` and show its message with st.error."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from insight_engine.source.problems import ValidationReport

__all__ = ["ConfigError", "DataLoadError", "RudderError", "SourceUnavailableError"]


class RudderError(Exception):
    """Base class: the message is written for the person using Rudder, never a traceback."""


class DataLoadError(RudderError):
    """The data could not be loaded; ``report`` says exactly what to fix."""

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class SourceUnavailableError(RudderError):
    """A database or folder could not be reached."""


class ConfigError(RudderError):
    """A setting is out of range or inconsistent."""
