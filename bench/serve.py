"""How Rudder's dev tools start the app: ``streamlit run app.py`` headless on one local port.

Shared by the load test (bench/loadtest.py) and the browser tests (tests/browser.py).
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request


def streamlit_args(port: int) -> list[str]:
    """The arguments after ``streamlit``: headless, this machine only, no file watcher."""
    return [
        "run",
        "app.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]


def offline_env(**extra: str) -> dict[str, str]:
    """This process's environment without any Anthropic key (the app runs offline), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env.update(extra)
    return env


def wait_healthy(url: str, process: subprocess.Popen, *, timeout_s: float) -> bool:
    """Poll ``url``'s ``/_stcore/health`` until it answers 200 (True), or until the server process
    exits or ``timeout_s`` passes (False: the caller stops it and says where its log is)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            if process.poll() is not None:
                return False
            time.sleep(0.5)
    return False
