"""Deployment configuration: the few settings a team sets per installation, one owner for each.

Each setting is read the same way by the app and the command line: from the environment, else
(in the app) from ``.streamlit/secrets.toml``; a value that cannot be used falls back to the
default and says so in :attr:`Config.problems`, never a crash. Health and model settings a
team tunes in the app are :mod:`insight_engine.settings`, not these.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from insight_engine.paths import CACHE_DIR

__all__ = ["CONFIG_VARS", "Config"]

# name -> (what it sets, default shown in the README)
CONFIG_VARS: dict[str, tuple[str, str]] = {
    "RUDDER_DB_URL": ("the insight log's database (SQLAlchemy URL)", "SQLite in data/"),
    "RUDDER_DATA_URL": ("read the book from this database instead of files", "the demo book"),
    "ANTHROPIC_API_KEY": ("draft with Claude (templates without it)", "none"),
    "RUDDER_CLAUDE_MODEL": ("the Claude model", "the SDK default in claude.py"),
    "RUDDER_CLAUDE_TIMEOUT": ("seconds to wait for Claude per attempt", "30"),
    "RUDDER_MAX_UPLOAD_MB": ("the largest file Rudder reads, in MB", "200"),
    "RUDDER_AUTH_PROVIDER": ("which [auth] provider the sign-in button uses", "the only one"),
    "RUDDER_CACHE_DIR": ("where loaded books are kept for a restart", "data/cache"),
}

DEFAULT_CLAUDE_TIMEOUT = 30.0
DEFAULT_MAX_UPLOAD_MB = 200.0


def _positive(name: str, raw: str | None, default: float, problems: list[str]) -> float:
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0:  # also NaN
        problems.append(f"{name}={raw!r} is not a positive number; using {default:g}.")
        return default
    return value


@dataclass(frozen=True)
class Config:
    """The installation's settings.

    Attributes
    ----------
    db_url, data_url : str or None
        The insight log's database, and the database holding the book (None: files).
    anthropic_api_key, claude_model : str or None
        Claude is used only with a key.
    claude_timeout : float
        Seconds per attempt.
    max_upload_mb : float
        The largest file read, in MB (``max_upload_bytes`` in bytes).
    auth_provider : str or None
    cache_dir : Path
        Where loaded books are kept so a restart skips the daily read (:mod:`insight_engine.book.cube`).
    problems : list of str
        Values that could not be used (the default was taken instead).
    """

    db_url: str | None = None
    data_url: str | None = None
    anthropic_api_key: str | None = None
    claude_model: str | None = None
    claude_timeout: float = DEFAULT_CLAUDE_TIMEOUT
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    auth_provider: str | None = None
    cache_dir: Path = CACHE_DIR
    problems: list[str] = field(default_factory=list, compare=False)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)

    @classmethod
    def from_lookup(cls, lookup: Callable[[str], object]) -> Config:
        """Settings read through ``lookup(name)`` (None or "" when unset)."""

        def text(name: str) -> str | None:
            value = lookup(name)
            return str(value).strip() or None if value is not None else None

        problems: list[str] = []
        return cls(
            db_url=text("RUDDER_DB_URL"),
            data_url=text("RUDDER_DATA_URL"),
            anthropic_api_key=text("ANTHROPIC_API_KEY"),
            claude_model=text("RUDDER_CLAUDE_MODEL"),
            claude_timeout=_positive(
                "RUDDER_CLAUDE_TIMEOUT",
                text("RUDDER_CLAUDE_TIMEOUT"),
                DEFAULT_CLAUDE_TIMEOUT,
                problems,
            ),
            max_upload_mb=_positive(
                "RUDDER_MAX_UPLOAD_MB",
                text("RUDDER_MAX_UPLOAD_MB"),
                DEFAULT_MAX_UPLOAD_MB,
                problems,
            ),
            auth_provider=text("RUDDER_AUTH_PROVIDER"),
            cache_dir=Path(text("RUDDER_CACHE_DIR") or CACHE_DIR),
            problems=problems,
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        secrets: Mapping[str, object] | None = None,
    ) -> Config:
        """The environment first, then ``secrets`` (the app's secrets.toml), for every name."""
        env = os.environ if environ is None else environ
        extra = secrets or {}
        return cls.from_lookup(lambda name: env.get(name) or extra.get(name))
