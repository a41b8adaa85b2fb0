"""Driving the real app: `streamlit run app.py` headless, and Playwright in Debian's Chromium.

Shared by the browser tests (the `browser` fixture is in conftest). Screenshots go to
test-artifacts/browser/. Without Chromium the tests skip with the reason, unless
REQUIRE_BROWSER=1 (set by .ci/run), when they fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.serve import offline_env, streamlit_args, wait_healthy
from insight_engine.outputs.chart import PALETTE
from tests.conftest import ROOT
from tests.faults import free_port

ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium() -> str:
    found = os.environ.get("RUDDER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    reason = None
    if not Path(found).exists():
        reason = "Chromium not found (install Debian's chromium, or set RUDDER_CHROMIUM)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            reason = "Playwright is not installed (pip install -r requirements-dev.txt)"
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return found


class Server:
    """`streamlit run app.py` on a free local port, stopped when the test module ends."""

    def __init__(self, tmp: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = offline_env(RUDDER_DB_URL=f"sqlite:///{tmp / 'browser-log.db'}", **env)
        self.log = open(tmp / f"streamlit-{self.port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", *streamlit_args(self.port)],
            cwd=ROOT,
            env=environ,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        if wait_healthy(self.url, self.process, timeout_s=90):
            return
        self.stop()
        raise RuntimeError(
            f"streamlit did not answer on {self.url} within 90 s; see {self.log.name}"
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def new_page(browser, server: Server, *, width: int = 1500, height: int = 1100):
    """A fresh context (own session, clipboard allowed) and page on the server."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def settled(page) -> None:
    """Wait until Streamlit has finished running the script (no 'Running...' indicator)."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_timeout(300)
    page.wait_for_function(
        """() => {
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            return !w || !/Running|Stop/.test(w.innerText);
        }"""
    )
    page.wait_for_timeout(700)  # charts draw just after the run ends


def no_error_details(page) -> None:
    text = page.inner_text("body")
    assert "Traceback" not in text and str(ROOT) not in text and "site-packages" not in text


# What Chromium drew, from the chart's SVG: its size against its column, the plot (the root
# group's background is the plot area), every text, and the orange marks that are not text.
MEASURE = """el => {
    const svg = el.querySelector('svg.marks');
    if (!svg) return null;
    const box = svg.getBoundingClientRect(), host = el.getBoundingClientRect();
    const bg = svg.querySelector('g.role-frame.root > g > path.background');
    const m = /M0,0h([\\d.]+)v([\\d.]+)/.exec(bg ? bg.getAttribute('d') : '') || [0, 0, 0];
    const op = (e, a) => parseFloat(e.getAttribute(a) || '1') >= 0.5;
    const is = (e, a) => (e.getAttribute(a) || '').toLowerCase() === 'HIGHLIGHT';
    const fillOrange = e => is(e, 'fill') && op(e, 'opacity') && op(e, 'fill-opacity');
    const strokeOrange = e => is(e, 'stroke') && op(e, 'opacity') && op(e, 'stroke-opacity');
    const marks = [...svg.querySelectorAll('path, line, rect')];
    const orange = marks.filter(e => {
        const b = e.getBBox();
        return (fillOrange(e) || strokeOrange(e)) && (b.width > 0 || b.height > 0);
    }).length;
    // a filled orange shape (bar, dot, tick) of at least 3 x 3 px
    const filled = marks.filter(e => {
        const b = e.getBBox();
        return fillOrange(e) && b.width >= 3 && b.height >= 3;
    }).length;
    const boxes = [...svg.querySelectorAll('g.role-axis-label text')]
        .filter(t => t.textContent && parseFloat(t.getAttribute('opacity') || '1') > 0)
        .map(t => [t.textContent, t.getBoundingClientRect()]);
    const overlaps = [];
    boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
        if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1)
            overlaps.push(a + ' / ' + b);
    }));
    return {
        width: box.width, height: box.height, host: host.width,
        plot: [parseFloat(m[1]), parseFloat(m[2])],
        texts: [...svg.querySelectorAll('text')].map(t => t.textContent),
        orangeTexts: [...svg.querySelectorAll('text')]
            .filter(t => (t.getAttribute('fill') || '').toLowerCase() === 'HIGHLIGHT')
            .map(t => t.textContent),
        overlaps: overlaps,
        orange: orange,
        filled: filled,
    };
}""".replace("HIGHLIGHT", PALETTE["highlight"].lower())
