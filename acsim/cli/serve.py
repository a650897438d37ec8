"""Start the Solara dashboard (``acsim dashboard [SCENARIO]``): ``solara run dashboard/app.py`` in a subprocess.

The dashboard itself lives in ``dashboard/`` beside the package (acsim never imports
it); this module only finds it, checks the scenario and the page's offline web assets
(it refuses to start without them), and runs the Solara server bound to ``host:port``
(localhost by default). The scenario reaches the page through the
``ACSIM_DASHBOARD_SCENARIO`` environment variable.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

SCENARIO_ENV = "ACSIM_DASHBOARD_SCENARIO"


def app_path() -> Path:
    """``dashboard/app.py`` of this checkout (the dashboard ships with the repository, not the wheel)."""
    app = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
    if not app.is_file():
        raise FileNotFoundError(
            f"{app}: the dashboard is not here; it ships with the acsim repository "
            "(install it with `pip install -e .` from a clone)"
        )
    return app


def resolve_scenario(scenario: str | os.PathLike | None) -> str | None:
    """The scenario as an absolute path (a file, or a shipped name like ``quickstart``); FileNotFoundError if none."""
    if scenario is None or str(scenario).strip() == "":
        return None
    from acsim.runs.scenarios import find_scenario

    return str(find_scenario(str(scenario)).resolve())


def command(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> list[str]:
    """The ``solara run`` command line."""
    if not 0 <= int(port) <= 65535:
        raise ValueError(f"port must be in [0, 65535], got {port!r}")
    return [
        sys.executable, "-m", "solara", "run", str(app_path()),
        "--host", str(host), "--port", str(int(port)), "--production", "--no-check-version",
        "--open" if open_browser else "--no-open",
    ]


def environment(scenario: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(SCENARIO_ENV, None)
    if scenario:
        env[SCENARIO_ENV] = scenario
    env.setdefault("HF_HUB_OFFLINE", "1")
    # Everything runs offline: no usage telemetry from the Solara server.
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    return env


def launch(scenario: str | None = None, host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> int:
    """Run the dashboard until interrupted (Ctrl-C); returns the server's exit code.

    ``scenario``: a scenario file or a shipped scenario name, loaded into the page's
    controls (checked here first, so a typo fails at once with the list of shipped names).
    Returns 2 without starting anything (one line on stderr, see :func:`check_assets`)
    when the page's web assets are not installed.
    """
    path = resolve_scenario(scenario)
    cmd = command(host, port, open_browser)
    problem = check_assets()
    if problem is not None:
        # Refuse rather than warn: a server started without them serves a page that
        # stays blank offline, which looks like a broken dashboard, not a missing install step.
        print(problem, file=sys.stderr, flush=True)
        return 2
    shown = "localhost" if host in ("127.0.0.1", "localhost", "::1") else host
    print(f"acsim dashboard: http://{shown}:{port}/" + (f"  (scenario {path})" if path else ""), flush=True)
    proc = subprocess.Popen(cmd, env=environment(path), cwd=str(app_path().parent.parent))
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


ASSETS_COMMAND = "python dashboard/assets.py"


def check_assets(cache: str | os.PathLike | None = None) -> str | None:
    """None if the page's web assets are in Solara's local cache, else one line: what is missing, and the fix.

    The page's front end (Vuetify, require.js, Font Awesome) is served from a local cache
    filled at install time (``python dashboard/assets.py``); without it Solara fetches it
    from a public CDN, and offline the page stays blank. ``cache``: the folder to check
    (default: the one the server will use, ``SOLARA_ASSETS_PROXY_CACHE_DIR`` if set).
    """
    root = str(app_path().parent.parent)
    try:
        here = Path.cwd().resolve() == Path(root).resolve()
    except OSError:
        here = False
    fix = ASSETS_COMMAND if here else f"cd {shlex.quote(root)} && {ASSETS_COMMAND}"
    try:
        from acsim.cli.webassets import cache_dir, missing

        where = Path(cache) if cache is not None else cache_dir()
        miss = missing(root=where)
    except Exception as exc:  # noqa: BLE001 - reported in the one line, never as a traceback
        return (f"acsim dashboard: cannot check the page's web assets ({type(exc).__name__}: {exc}); "
                f"run `{fix}` to install them")
    if not miss:
        return None
    return (f"acsim dashboard: the page's web assets are missing from {where} ({', '.join(miss)}); "
            f"run `{fix}` once (it uses npm), then start the dashboard again")
