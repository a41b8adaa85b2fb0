"""Where Rudder keeps its files: one owner for every path under ``data/``."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CACHE_DIR", "DATA_DIR", "DEMO_DIR", "LOG_DB", "MODEL_DIR", "ROOT", "SETTINGS_FILE"]

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEMO_DIR = DATA_DIR / "demo"  # the bundled demo book, generated on first start
MODEL_DIR = DATA_DIR / "models"  # fitted opportunity models (skops), keyed by their history
LOG_DB = DATA_DIR / "rudder.db"  # the insight log when RUDDER_DB_URL is not set
SETTINGS_FILE = DATA_DIR / "settings.json"  # the team's settings saved from Data & settings
CACHE_DIR = DATA_DIR / "cache"  # loaded books kept for a restart (insight_engine.book.cube)
