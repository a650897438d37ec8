"""Start the real dashboard server and a headless browser: shared by the tests and the benchmark.

:class:`DashboardServer` runs ``solara run dashboard/app.py`` (the command of
:func:`acsim.cli.serve.command`) on a free localhost port in its own process group,
waits until the page answers, and kills the whole group on exit. :func:`launch_chromium`
starts Debian's ``/usr/bin/chromium`` through Playwright (never a downloaded browser)
with the flags this machine needs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("ACSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DashboardServer:
    """``with DashboardServer(scenario=...) as srv: srv.url``: the real server on a free port."""

    def __init__(self, scenario: str | None = None, port: int | None = None, log: str | Path | None = None,
                 timeout: float = 180.0, env: dict[str, str] | None = None) -> None:
        self.scenario = scenario
        self.port = port or free_port()
        self.timeout = timeout
        self.extra_env = dict(env or {})
        self.log_path = Path(log) if log else Path(tempfile.mkstemp(prefix="acsim-dashboard-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def start(self) -> "DashboardServer":
        from acsim.cli import serve

        cmd = serve.command(host="127.0.0.1", port=self.port, open_browser=False)
        env = serve.environment(serve.resolve_scenario(self.scenario))
        env.update(self.extra_env)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, env=env, cwd=str(serve.app_path().parent.parent), stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        end = time.monotonic() + self.timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dashboard server exited with code {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"dashboard server did not answer on {self.url} within {self.timeout} s:\n{self.log()}")

    def stop(self) -> None:
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        self._log.close()
        self.proc = None

    def __enter__(self) -> "DashboardServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def launch_chromium(playwright: Any, **kw: Any) -> Any:
    """Debian's chromium via Playwright (a fresh temporary profile per launch). Fails if it is missing."""
    if not Path(CHROMIUM).is_file():
        raise FileNotFoundError(
            f"{CHROMIUM} not found: the dashboard's browser tests need Debian's chromium (apt-get install chromium)"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **kw)


# Browser-side helpers (JavaScript run in the page).
ROUND_JS = "() => { const e = document.querySelector('.acsim-round'); return e ? e.innerText : ''; }"
CHART_SRC_JS = "(name) => { const e = document.querySelector('img.acsim-chart-' + name); return e ? e.src : ''; }"


def round_number(page: Any) -> int:
    text = page.evaluate(ROUND_JS)
    return int(text.split(":")[1]) if ":" in text else -1


# Default deadlines of the waits below: generous, since every wait is on a state (never a
# fixed sleep) and a loaded 2-core machine can take many seconds for one round.
WAIT = 60.0


def wait_round(page: Any, n: int, timeout: float = WAIT) -> None:
    page.wait_for_function(
        "(n) => { const e = document.querySelector('.acsim-round'); return e && e.innerText.trim() === 'Round: ' + n; }",
        arg=n, timeout=timeout * 1000,
    )


def wait_shown(page: Any, n: int, timeout: float = WAIT) -> None:
    """Wait until the browser has applied the whole render of round ``n``, charts included.

    The round counter and the status line come first in the page, so the browser applies
    their update a few ms (under load, much longer) before the six charts' images. The rows
    table comes after the charts, and the page's widget messages arrive in order on one
    websocket: once it shows round ``n`` as its last row, the charts of round ``n`` are
    in. Round 0 has no rows; its charts are in once no chart is the building placeholder.
    """
    page.wait_for_function(
        "(n) => { if (n === 0) return document.querySelectorAll('img.acsim-chart').length === 6"
        " && !document.querySelector('img.acsim-chart-pending');"
        " const r = document.querySelectorAll('.acsim-rows tbody tr'); const td = r.length ? r[r.length - 1].querySelector('td') : null;"
        " return !!td && td.innerText.trim() === String(n); }",
        arg=n, timeout=timeout * 1000,
    )


def chart_src(page: Any, name: str) -> str:
    return page.evaluate(CHART_SRC_JS, name)


def wait_chart_change(page: Any, name: str, old: str, timeout: float = WAIT) -> str:
    page.wait_for_function(
        "([name, old]) => { const e = document.querySelector('img.acsim-chart-' + name);"
        " return e && e.src && e.src !== old && e.complete; }",
        arg=[name, old], timeout=timeout * 1000,
    )
    return chart_src(page, name)


def open_dashboard(browser: Any, url: str, timeout: float = 60.0, viewport: tuple[int, int] = (1500, 1000)) -> Any:
    """A new page on the dashboard, returned once round 0's charts are shown."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(url)
    wait_shown(page, 0, timeout)
    return page
