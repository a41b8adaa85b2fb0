"""The installation's settings (insight_engine.config): one reading for the app and the CLI."""

from __future__ import annotations

import json

import pytest

from insight_engine.cli import main
from insight_engine.config import CONFIG_VARS, DEFAULT_CLAUDE_TIMEOUT, Config
from tests.conftest import ROOT
from tests.fixtures import book_dir


@pytest.mark.parametrize(
    ("environ", "secrets", "timeout", "upload_mb", "problems"),
    [
        ({}, {}, 30.0, 200.0, 0),
        ({"RUDDER_CLAUDE_TIMEOUT": "12.5"}, {}, 12.5, 200.0, 0),
        ({}, {"RUDDER_CLAUDE_TIMEOUT": 8, "RUDDER_MAX_UPLOAD_MB": 50}, 8.0, 50.0, 0),  # secrets
        ({"RUDDER_MAX_UPLOAD_MB": "20"}, {"RUDDER_MAX_UPLOAD_MB": 50}, 30.0, 20.0, 0),  # env wins
        ({"RUDDER_CLAUDE_TIMEOUT": "soon"}, {}, 30.0, 200.0, 1),
        ({"RUDDER_CLAUDE_TIMEOUT": "-1", "RUDDER_MAX_UPLOAD_MB": "0"}, {}, 30.0, 200.0, 2),
        ({"RUDDER_MAX_UPLOAD_MB": "nan"}, {}, 30.0, 200.0, 1),
        ({"RUDDER_CLAUDE_TIMEOUT": " "}, {}, 30.0, 200.0, 0),  # blank: the default, silently
    ],
)
def test_settings_read_the_environment_then_secrets(environ, secrets, timeout, upload_mb, problems):
    config = Config.from_env(environ, secrets)
    assert config.claude_timeout == timeout
    assert config.max_upload_mb == upload_mb
    assert config.max_upload_bytes == int(upload_mb * 2**20)
    assert len(config.problems) == problems
    assert all("not a positive number" in p for p in config.problems)


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in CONFIG_VARS if f"| `{name}` |" not in readme]
    assert not missing, f"document {missing} in the README"
    read = set(Config.__dataclass_fields__) - {"problems"}
    assert len(read) == len(CONFIG_VARS)  # a new setting needs a name, and a name a field


def test_the_command_line_honours_the_claude_timeout(monkeypatch, capsys):
    import insight_engine.outputs.claude as claude

    seen = {}
    real = claude.draft_insight

    def fake_draft(ctx, *, api_key=None, model=None, timeout=DEFAULT_CLAUDE_TIMEOUT, **_):
        seen.update(api_key=api_key, model=model, timeout=timeout)
        return real(ctx)  # no key: the templates

    monkeypatch.setattr(claude, "draft_insight", fake_draft)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("RUDDER_CLAUDE_TIMEOUT", "7")
    monkeypatch.setenv("RUDDER_CLAUDE_MODEL", "claude-test")
    folder = str(book_dir("full"))
    assert main(["rank", "--data", folder, "--top", "1", "--format", "json", "--no-save"]) == 0
    top = json.loads(capsys.readouterr().out)["accounts"][0]["account_id"]
    assert main(["draft", "--data", folder, "--account", top, "--format", "json"]) == 0
    assert seen == {"api_key": None, "model": "claude-test", "timeout": 7.0}
