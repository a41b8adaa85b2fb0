"""Rudder's insight engine: the domain core (no Streamlit), usable from the app and the CLI."""

from insight_engine.analysis.health import HealthScore, compute_health
from insight_engine.book.book import Book
from insight_engine.book.loader import UploadedFile, load_demo, load_folder, load_sql, load_uploads
from insight_engine.errors import ConfigError, DataLoadError, RudderError, SourceUnavailableError
from insight_engine.settings import HealthSettings, Settings
from insight_engine.source.contract import TABLES
from insight_engine.source.problems import Problem, ValidationReport

__all__ = [
    "TABLES",
    "Book",
    "ConfigError",
    "DataLoadError",
    "HealthScore",
    "HealthSettings",
    "Problem",
    "RudderError",
    "Settings",
    "SourceUnavailableError",
    "UploadedFile",
    "ValidationReport",
    "compute_health",
    "load_demo",
    "load_folder",
    "load_sql",
    "load_uploads",
]
