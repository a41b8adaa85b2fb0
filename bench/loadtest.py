"""Many people opening Rudder at once: ``make loadtest`` (or ``python -m bench.loadtest``).

Serves the M book (2,000 accounts; issue 18 point 13) with ``streamlit run app.py``, opens it
once to warm every cache (the cold start), then opens N new browser sessions at the same time
in Chromium (Playwright). Each session opens *This week*, waits until the script has finished,
then follows "Start with the top account" to the *Account* page and waits again. Reports the
p50/p95 time of each page, errors, the server's RSS and the server CPU seconds per new session
(``/proc/<pid>/stat`` utime + stime before and after the sessions, divided by N).

The book is served as a database (``RUDDER_DATA_URL``), the way a team serves one to several
people: the M book is copied once into PostgreSQL (database ``rudder_loadtest`` on the test
server) or, when none answers, into a SQLite file next to the book. ``--folder`` serves any
folder of contract files (copied into SQLite), e.g. a hand-made book from ``tests/fixtures``.

``--profile`` attaches py-spy to the warm server for the sessions (falling back to cProfile in
the script threads when py-spy is not installed) and writes the functions that hold most of the
server's CPU, cumulative and self, to ``bench/profile_sessions.txt``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.serve import offline_env, streamlit_args, wait_healthy

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROFILE_OUT = HERE / "profile_sessions.txt"
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_BOOK = "postgresql+psycopg://postgres@127.0.0.1:5432/rudder_loadtest"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
TICKS = os.sysconf("SC_CLK_TCK")

# Pages are "done" when Streamlit no longer says Running and their own content is there (or an
# error is, which the session then reports instead of waiting for content that never comes).
DONE_JS = """(marker) => {
    const w = document.querySelector('[data-testid="stStatusWidget"]');
    if (w && /Running|Stop/.test(w.innerText)) return false;
    if (document.querySelector('[data-testid="stException"]')) return true;
    const labels = [...document.querySelectorAll('[data-testid="stMetricLabel"]')];
    return labels.some((l) => l.innerText.includes(marker));
}"""
ERROR_JS = """() => !!document.querySelector('[data-testid="stException"]')
    || document.body.innerText.includes('Traceback')"""


# ---------------------------------------------------------------------------------------------
# The book as a database


def _book_rows(folder: Path) -> int:
    import pandas as pd

    return len(pd.read_csv(folder / "accounts.csv", usecols=[0]))


def _has_book(url: str, accounts: int) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(sa.text("select count(*) from accounts")).scalar()
            conn.execute(sa.text("select 1 from usage limit 1"))
        return n == accounts
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def _postgres_database() -> str | None:
    """The URL of the ``rudder_loadtest`` database (made if missing), or None without a server."""
    import sqlalchemy as sa

    admin = sa.create_engine(
        POSTGRES_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("select 1 from pg_database where datname = 'rudder_loadtest'")
            ).scalar()
            if not exists:
                conn.execute(sa.text("create database rudder_loadtest"))
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        admin.dispose()
    return POSTGRES_BOOK


def data_url(folder: Path, *, postgres: bool) -> str:
    """A database holding ``folder``'s book, copied there once (reused while it matches)."""
    from insight_engine.book.loader import write_sql

    url = _postgres_database() if postgres else None
    if url is None:
        url = f"sqlite:///{folder.with_suffix('.db')}"
    if not _has_book(url, _book_rows(folder)):
        print(f"Copying {folder} into {url.split('@')[-1]} (once)…", flush=True)
        write_sql(folder, url)
    return url


# ---------------------------------------------------------------------------------------------
# The server and what it costs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def browser_cpu_seconds(skip: int) -> float:
    """CPU seconds of every live process under this one except ``skip`` (the server): the
    Playwright driver and Chromium, with the renderers they have already reaped (cutime)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError, ValueError):  # gone meanwhile
                continue
    total, todo = 0.0, [os.getpid()]
    while todo:
        parent = todo.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid != skip:
                todo.append(pid)
                try:
                    f = _stat(pid)
                except OSError:
                    continue
                total += sum(int(x) for x in f[11:15]) / TICKS  # utime stime cutime cstime
    return total


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return {k: int(status[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}


class Server:
    """``streamlit run app.py`` on a free port, serving one database, with its own insight log."""

    def __init__(
        self, url: str, work: Path, *, cprofile: Path | None = None, app_dir: Path = ROOT
    ) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = offline_env(
            RUDDER_DATA_URL=url, RUDDER_DB_URL=f"sqlite:///{work / 'loadtest-log.db'}"
        )
        args = streamlit_args(self.port)
        if cprofile is not None:  # no py-spy: profile the script threads from inside
            env["RUDDER_CPROFILE_OUT"] = str(cprofile)
            command = [sys.executable, "-m", "bench.loadtest", "--serve-cprofiled", *args]
        else:
            command = [sys.executable, "-m", "streamlit", *args]
        self.log_path = work / "streamlit.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            command, cwd=app_dir, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.pid = self.process.pid
        if wait_healthy(self.url, self.process, timeout_s=120):
            return
        self.stop()
        raise RuntimeError(f"streamlit did not answer on {self.url}; see {self.log_path}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # lets a cProfiled server write its stats
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# ---------------------------------------------------------------------------------------------
# Sessions


class Runs:
    """Script runs that finished, read from the session's websocket (Streamlit's ForwardMsg):
    a page is done when its run has finished and its content is on screen."""

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._msg = ForwardMsg
        self.finished: list[float] = []  # perf_counter of each successful run's end
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if not isinstance(payload, bytes):
            return
        msg = self._msg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # not a ForwardMsg: not ours to judge
            return
        if msg.WhichOneof("type") == "script_finished" and (
            msg.script_finished == self._msg.FINISHED_SUCCESSFULLY
        ):
            self.finished.append(time.perf_counter())

    async def wait(self, page, runs: int, marker: str, timeout_s: float) -> float:
        """When the ``runs``-th run has finished and ``marker`` is on screen (perf_counter)."""
        deadline = time.perf_counter() + timeout_s
        while len(self.finished) < runs:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no finished run {runs} within {timeout_s:.0f} s")
            await asyncio.sleep(0.05)
        left = max(1.0, deadline - time.perf_counter())
        await page.wait_for_function(DONE_JS, arg=marker, timeout=left * 1000, polling=100)
        return time.perf_counter()


async def session(browser, url: str, timeout_s: float) -> dict:
    """One new browser session: This week, then its top account. Times in seconds."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    runs = Runs(page)
    out: dict = {"this_week_s": None, "account_s": None, "error": None, "runs": 0}
    try:
        start = time.perf_counter()
        await page.goto(url, timeout=timeout_s * 1000)
        out["this_week_s"] = await runs.wait(page, 1, "Insights ready", timeout_s) - start
        if await page.evaluate(ERROR_JS):
            out["error"] = "This week shows an error"
            return out
        link = page.locator('[data-testid="stPageLink-NavLink"]')
        if not await link.count():  # no signal this week: the Account page from the sidebar
            link = page.locator('[data-testid="stSidebarNavLink"][href$="/account"]')
        done = len(runs.finished)
        start = time.perf_counter()
        await link.first.click()
        out["account_s"] = await runs.wait(page, done + 1, "Rank", timeout_s) - start  # its figure
        if await page.evaluate(ERROR_JS):
            out["error"] = "Account shows an error"
    except Exception as exc:  # a timeout or a crash is a result, not the end of the test
        out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        out["runs"] = len(runs.finished)
        await context.close()
    return out


async def run_sessions(
    url: str, n: int, timeout_s: float, server_pid: int
) -> tuple[list[dict], float]:
    """``n`` sessions at once in one Chromium; their results and the browser's CPU seconds."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=os.environ.get("RUDDER_CHROMIUM") or "/usr/bin/chromium",
            args=CHROMIUM_FLAGS,
        )
        try:
            results = await asyncio.gather(*(session(browser, url, timeout_s) for _ in range(n)))
            return results, browser_cpu_seconds(server_pid)
        finally:
            await browser.close()


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank, as a load test reports it), or None with no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100)
    return ordered[int(rank) - 1]


# ---------------------------------------------------------------------------------------------
# Profiles


def _frame(line: str) -> tuple[str, str]:
    """py-spy's raw frame ``function (path/to/file.py:12)`` as (``function (file)``, with line)."""
    name, _, where = line.rpartition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", f"{ROOT}/", "/lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    path = where.rsplit(":", 1)[0]
    return f"{name} ({path})", f"{name} ({where})"


def _rudder_files() -> set[str]:
    """Paths py-spy may print for Rudder's own files (pages appear by their bare file name)."""
    pages = {p.name for p in (ROOT / "pages").rglob("*.py")}
    stdlib = {f"{m}.py" for m in sys.stdlib_module_names}
    return {"app.py", *(pages - stdlib)}


def _is_rudder(path: str, names: set[str]) -> bool:
    return path.startswith(("insight_engine/", "pages/")) or path in names


def summarise_collapsed(text: str, top: int = 40) -> str:
    """Top functions by cumulative and by self samples from py-spy's raw (collapsed) output,
    and Rudder's own lines (app, pages, insight_engine) by cumulative samples."""
    names = _rudder_files()
    total = 0
    cumulative: Counter[str] = Counter()
    own: Counter[str] = Counter()
    rudder: Counter[str] = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";") if "(" in f]
        for f in {short for short, _ in frames}:
            cumulative[f] += n
        for f in {full for _, full in frames}:
            if _is_rudder(f.rpartition(" (")[2].rsplit(":", 1)[0], names):
                rudder[f] += n
        if frames:
            own[frames[-1][0]] += n

    def block(counter: Counter[str]) -> list[str]:
        return [f"{100 * c / total:6.1f}%  {c:7d}  {f}" for f, c in counter.most_common(top)]

    if not total:
        return "No samples were recorded.\n"
    return "\n".join(
        [
            f"{total} samples of the thread holding the GIL (Python's CPU; native code that "
            "releases the GIL is left out).",
            "",
            "Cumulative (in the stack):",
            *block(cumulative),
            "",
            "Self (on top of the stack):",
            *block(own),
            "",
            "Rudder's own lines, cumulative (which page line or function the time is spent under):",
            *block(rudder),
            "",
        ]
    )


def serve_cprofiled(args: list[str]) -> None:
    """Run streamlit with every script run under cProfile; stats to $RUDDER_CPROFILE_OUT on exit.

    The script runs in Streamlit's ScriptRunner threads, which a cProfile started here would not
    see, so each run is wrapped in its own profiler and the stats are added up.
    """
    import atexit
    import cProfile
    import pstats
    import threading

    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.web import cli

    lock = threading.Lock()
    collected: list[cProfile.Profile] = []
    original = script_runner.ScriptRunner._run_script

    def profiled(self, *a, **kw):
        if (
            not os.environ.get("RUDDER_CPROFILE_ON")
            and not Path(os.environ["RUDDER_CPROFILE_OUT"] + ".on").exists()
        ):
            return original(self, *a, **kw)
        prof = cProfile.Profile()
        try:
            return prof.runcall(original, self, *a, **kw)
        finally:
            with lock:
                collected.append(prof)

    def dump() -> None:
        with lock:
            if collected:
                stats = pstats.Stats(*collected)
                stats.dump_stats(os.environ["RUDDER_CPROFILE_OUT"])

    script_runner.ScriptRunner._run_script = profiled
    atexit.register(dump)
    sys.argv = ["streamlit", *args]
    with contextlib.suppress(KeyboardInterrupt):  # SIGINT ends the server; atexit dumps
        cli.main()


class Profile:
    """py-spy attached to the server while sessions run (else cProfile inside the server)."""

    def __init__(self, work: Path, *, pyspy: bool = True) -> None:
        found = shutil.which("py-spy") or shutil.which(
            "py-spy", path=str(Path(sys.executable).parent)
        )
        self.pyspy = found if pyspy else None
        self.work = work
        self.raw = work / "pyspy.txt"
        self.cprofile = None if self.pyspy else work / "sessions.pstats"
        self.process: subprocess.Popen | None = None

    def start(self, pid: int) -> None:
        if self.pyspy:
            self.process = subprocess.Popen(
                [self.pyspy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
                 "--gil", "--output", str(self.raw), "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1.0)  # attached before the first session starts
        else:
            Path(str(self.cprofile) + ".on").touch()

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=60)

    def report(self) -> str:
        if self.pyspy:
            return summarise_collapsed(self.raw.read_text() if self.raw.exists() else "")
        import io
        import pstats

        if not self.cprofile.exists():
            return "cProfile wrote no stats.\n"
        out = io.StringIO()
        stats = pstats.Stats(str(self.cprofile), stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        return (
            "cProfile of the script runs (each run in its own profiler, added up).\n"
            + out.getvalue()
        )


# ---------------------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def loadtest(
    url: str,
    sessions: int,
    *,
    timeout_s: float = 300,
    profile: str | None = None,
    work: Path | None = None,
    app_dir: Path = ROOT,
) -> dict:
    """Warm the server once, then ``sessions`` new browser sessions at once; the report.

    ``profile`` is None, "py-spy" or "cprofile"; ``app_dir`` another checkout of Rudder to
    serve (to measure a change side by side)."""
    scratch = work is None  # removed after a clean run; kept (with the server's log) otherwise
    work = Path(work or tempfile.mkdtemp(prefix="rudder-loadtest-"))
    prof = Profile(work, pyspy=profile == "py-spy") if profile else None
    started = time.perf_counter()
    server = Server(url, work, cprofile=prof.cprofile if prof else None, app_dir=app_dir)
    try:
        boot_s = time.perf_counter() - started
        rss_idle = memory_mb(server.pid)["VmRSS"]
        cpu0 = cpu_seconds(server.pid)
        warm = asyncio.run(run_sessions(server.url, 1, timeout_s, server.pid))[0][0]
        if warm["error"]:
            raise RuntimeError(
                f"The warm-up session failed: {warm['error']}; see {server.log_path}"
            )
        cpu1 = cpu_seconds(server.pid)
        rss_warm = memory_mb(server.pid)["VmRSS"]
        load_before = load_average()
        if prof:
            prof.start(server.pid)
        cpu2 = cpu_seconds(server.pid)
        wall = time.perf_counter()
        results, browser_cpu = asyncio.run(
            run_sessions(server.url, sessions, timeout_s, server.pid)
        )
        wall = time.perf_counter() - wall
        cpu3 = cpu_seconds(server.pid)
        if prof:
            prof.stop()
        memory = memory_mb(server.pid)
    finally:
        server.stop()
    week = [r["this_week_s"] for r in results if r["this_week_s"] is not None]
    account = [r["account_s"] for r in results if r["account_s"] is not None]
    report = {
        "sessions": sessions,
        "errors": sum(1 for r in results if r["error"]),
        "error_messages": sorted({r["error"] for r in results if r["error"]}),
        "server_start_s": round(boot_s, 1),
        "cold_first_session_s": round(warm["this_week_s"] + warm["account_s"], 1),
        "cold_first_session_cpu_s": round(cpu1 - cpu0, 2),
        "this_week_p50_s": _round(percentile(week, 50)),
        "this_week_p95_s": _round(percentile(week, 95)),
        "account_p50_s": _round(percentile(account, 50)),
        "account_p95_s": _round(percentile(account, 95)),
        "wall_s": round(wall, 1),
        "script_runs_per_session": round(sum(r["runs"] for r in results) / sessions, 1),
        "server_cpu_s_per_session": round((cpu3 - cpu2) / sessions, 3),
        # the browser shares this machine's cores: what it costs explains page times
        "browser_cpu_s_per_session": round(browser_cpu / sessions, 2),
        "server_rss_idle_mb": round(rss_idle),
        "server_rss_warm_mb": round(rss_warm),
        "server_rss_after_mb": round(memory["VmRSS"]),
        "server_rss_peak_mb": round(memory["VmHWM"]),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "profiled": bool(prof),
    }
    if prof:
        header = (
            f"# Server CPU profile of {sessions} new sessions (This week + Account) on a warm "
            f"server, written by `python -m bench.loadtest --profile`.\n"
            f"# {report['server_cpu_s_per_session']} s server CPU per session; load average "
            f"{report['load_average_before']} before, {report['load_average_after']} after.\n\n"
        )
        PROFILE_OUT.write_text(header + prof.report())
        report["profile"] = str(PROFILE_OUT.relative_to(ROOT))
    if scratch and not report["errors"]:
        shutil.rmtree(work, ignore_errors=True)
    else:
        report["work_dir"] = str(work)
    return report


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-cprofiled"]:
        serve_cprofiled(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="New sessions at once (20).")
    parser.add_argument("--size", default="M", help="bench book size (S, M, L); default M.")
    parser.add_argument("--folder", type=Path, help="Serve this folder of contract files instead.")
    parser.add_argument("--data-url", help="Serve this database instead (RUDDER_DATA_URL).")
    parser.add_argument("--timeout", type=float, default=300, help="Seconds per page at most.")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="py-spy",
        choices=["py-spy", "cprofile"],
        help=f"Profile the sessions into {PROFILE_OUT.name} (py-spy, else cProfile).",
    )
    parser.add_argument(
        "--app-dir", type=Path, default=ROOT, help="Serve another checkout (compare a change)."
    )
    parser.add_argument("--json", type=Path, help="Also write the report here.")
    args = parser.parse_args(argv)

    if args.data_url:
        url = args.data_url
    elif args.folder:
        book = Path(tempfile.mkdtemp(prefix="rudder-loadtest-book-"))
        shutil.copytree(args.folder, book / "book")
        url = data_url(book / "book", postgres=False)
    else:
        from bench.run import book_dir

        url = data_url(book_dir(args.size), postgres=True)
    report = loadtest(
        url, args.sessions, timeout_s=args.timeout, profile=args.profile, app_dir=args.app_dir
    )
    width = max(len(k) for k in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    if args.folder and not args.data_url:
        shutil.rmtree(book, ignore_errors=True)


if __name__ == "__main__":
    main()
