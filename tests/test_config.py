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


def test_the_upload_limit_set_in_secrets_is_the_one_data_and_settings_applies():
    """RUDDER_MAX_UPLOAD_MB from secrets.toml (not only the environment) limits an upload: the
    page and the load both take the limit from the app's one Config."""
    from insight_engine.book.loader import ensure_demo
    from tests.helpers import open_app

    ensure_demo()
    exports = ROOT / "tests" / "fixtures" / "exports"
    at = open_app("pages/admin/data_settings.py", secrets={"RUDDER_MAX_UPLOAD_MB": "0.01"})
    at.radio(key="source_kind").set_value("Upload files").run()
    names = ("salesforce-cases-data-export.csv", "zendesk-tickets-export.csv")  # 16 KB, 1 KB
    files = [(n, (exports / n).read_bytes(), "text/csv") for n in names]
    at.file_uploader(key=f"uploads-{at.session_state['upload_flow']['gen']}").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    refused = [e.value.replace("\\", "") for e in at.error if "upload limit" in e.value]
    assert len(refused) == 1 and names[0] in refused[0] and "10 KB upload limit" in refused[0]


@pytest.mark.parametrize(("max_bytes", "refused"), [(10 * 2**10, True), (None, False)])
def test_load_uploads_takes_the_limit_it_is_given(max_bytes, refused):
    from insight_engine import DataLoadError
    from insight_engine.book.loader import UploadedFile, load_uploads

    folder = book_dir("full")
    files = [
        UploadedFile(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.suffix == ".csv"
    ]
    big = max(files, key=lambda f: len(f.data))
    assert len(big.data) > 10 * 2**10
    if refused:
        with pytest.raises(DataLoadError) as caught:
            load_uploads(files, max_bytes=max_bytes)
        assert big.name in caught.value.report.to_frame()["file"].tolist()
    else:
        assert len(load_uploads(files, max_bytes=max_bytes).accounts) > 0
