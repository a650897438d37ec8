"""The Solara dashboard, tested as a person uses it: the real server, Debian's chromium, clicks.

The browser tests start ``solara run dashboard/app.py`` (through ``acsim.dashboard``) on
a free localhost port with a small scenario in ``ACSIM_DASHBOARD_SCENARIO``, drive it
with Playwright in headless ``/usr/bin/chromium`` and kill the server's process group at
the end. A missing chromium or playwright fails these tests (it never skips them).
Screenshots land in ``tests/artifacts/`` (ignored by git) for a person to look at.

The faster tests above them check the pieces without a browser: controls → validated
parameters, scenario loading, the background session (step, play, pause, reset while a
round runs) and the charts.
"""

from __future__ import annotations

import math
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from acsim import dashboard as launcher  # noqa: E402
from acsim.model import CollectiveActionModel, ModelParams  # noqa: E402
from dashboard import controls as C  # noqa: E402
from dashboard.charts import CHARTS, render_all, sample_network  # noqa: E402
from dashboard.session import Session  # noqa: E402
from dashboard.testing import (  # noqa: E402
    DashboardServer,
    chart_src,
    launch_chromium,
    round_number,
    wait_chart_change,
    wait_round,
)

ARTIFACTS = ROOT / "tests" / "artifacts"

SCENARIO = """
name = "dashboard-test"
description = "A small collective for the dashboard's browser tests."
rounds = 30
seeds = 2

[population]
n = 2000
cost = { dist = "uniform", low = 0.05, high = 0.35 }
gamma = { dist = "uniform", low = 0.3, high = 0.7 }
network = { kind = "barabasi_albert", m = 3 }

[firm]
kind = "theory"
curve = "sigmoid"
midpoint = 0.08
slope = 60

[principal]
policy = "cheapest"
recruits_per_round = 15
"""


# --------------------------------------------------------------------------- controls


def test_default_controls_build_valid_params():
    p = C.to_params(C.Controls())
    assert isinstance(p, ModelParams)
    assert p.n_workers == 2000 and p.firm == "theory" and p.principal == "cheapest"
    assert p.firm_params == {"curve": "sigmoid", "midpoint": 0.08, "slope": 60.0}
    assert math.isinf(p.budget) and p.seed == 0


@pytest.mark.parametrize(
    "change, words",
    [
        (dict(gamma_dist="constant", gamma_a=1.0, gamma_b=None), "γ = 1"),
        (dict(gamma_dist="constant", gamma_a=1.5, gamma_b=None), "[0, 1)"),
        (dict(gamma_dist="uniform", gamma_a=0.2, gamma_b=None), "enter a number"),
        (dict(n_workers=0), "population size N"),
        (dict(cost_dist="uniform", cost_a=0.4, cost_b=0.1), "high"),
        (dict(initial_alpha=1.5), "initial_alpha"),
        (dict(network="none", belief="network"), "needs a network"),
        (dict(recruits_per_round=0), "recruits per round"),
    ],
)
def test_invalid_controls_raise_a_message_naming_the_control(change, words):
    from dataclasses import replace

    with pytest.raises(ValueError) as exc:
        C.to_params(replace(C.Controls(), **change))
    assert words in str(exc.value)


def test_switching_distribution_resets_its_parameters():
    c = C.Controls().with_dist("cost", "beta")
    assert (c.cost_dist, c.cost_a, c.cost_b) == ("beta", 2.0, 8.0)
    c = c.with_dist("gamma", "constant")
    assert (c.gamma_dist, c.gamma_a, c.gamma_b) == ("constant", 0.5, None)
    assert C.to_params(c).gamma_params == {"value": 0.5}


def test_loaded_scenario_gives_the_same_params_as_the_batch_runner():
    from acsim.scenario import load_scenario, model_params

    ctrl, base = C.load("quickstart")
    loaded = load_scenario("quickstart")
    expected = ModelParams(**model_params(loaded.resolved[0], loaded.base_dir), seed=loaded.resolved[0].seeds[0])
    assert C.to_params(ctrl, base) == expected
    assert base.name == "quickstart" and len(base.points) == 8 and "bow" in base.variants
    # another sweep point and a variant
    ctrl3, base3 = C.load("quickstart", point=3, variant="bow")
    p3 = C.to_params(ctrl3, base3)
    assert p3.initial_alpha == pytest.approx(0.07) and p3.firm == "bow" and p3.firm_params == {}


def test_experiment_scenarios_and_missing_files_are_reported():
    with pytest.raises(ValueError, match="resume experiments"):
        C.load("paper_fig2")
    with pytest.raises(FileNotFoundError, match="no such scenario"):
        C.load("no-such-scenario-xyz")


# --------------------------------------------------------------------------- session (no browser)


def _small(**kw) -> ModelParams:
    base = dict(n_workers=2000, cost_dist="uniform", cost_params={"low": 0.05, "high": 0.35},
                gamma_dist="uniform", gamma_params={"low": 0.3, "high": 0.7},
                firm_params={"curve": "sigmoid", "midpoint": 0.08, "slope": 60.0},
                network="barabasi_albert", principal="cheapest", recruits_per_round=15, seed=3, rounds=30)
    base.update(kw)
    return ModelParams(**base)


def test_session_rounds_equal_a_direct_model_run():
    s = Session(play_delay=0.0)
    s.reset(_small())
    assert s.wait_idle(30).round == 0
    for _ in range(4):
        assert s.step()
        s.wait_idle(30)
    got = s.snapshot.rows
    want = CollectiveActionModel(_small()).run(4)
    cols = [c for c in want.columns if c != "train_seconds"]
    pd.testing.assert_frame_equal(got[cols].reset_index(drop=True), want[cols].reset_index(drop=True))
    assert set(s.snapshot.charts) == set(CHARTS)
    assert all(v[:8] == b"\x89PNG\r\n\x1a\n" for v in s.snapshot.charts.values())


def test_session_play_pause_and_reset_while_a_round_runs():
    notes = []
    s = Session(lambda: notes.append(1), play_delay=0.0, tick=0.05)
    s.reset(_small(rounds=5))
    s.wait_idle(30)
    model = s._s.model
    real_step = model.step

    def slow_step():  # a firm that takes a while to retrain
        time.sleep(0.4)
        real_step()

    model.step = slow_step
    assert s.play()
    time.sleep(0.1)
    st = s.status()
    assert st.busy and st.playing and st.running_round == 1
    assert not s.step()  # Step is refused while a round runs
    s.pause()  # mid-round: the round finishes and is shown, then play stops
    st = s.wait_idle(10)
    assert st.round == 1 and not st.playing
    time.sleep(0.6)
    assert s.status().round == 1
    # Reset while a round runs: a fresh model at round 0 at once; the old round is discarded
    assert s.step()
    time.sleep(0.1)
    gen = s.reset(_small(seed=4, rounds=5))
    st = s.wait_idle(30)
    assert st.round == 0 and st.error is None and s.snapshot.generation == gen
    time.sleep(0.6)  # the old round has finished by now...
    st = s.status()
    assert st.round == 0 and st.discarded == 1 and s.snapshot.round == 0  # ...and changed nothing
    assert s.previous_rows is not None and len(s.previous_rows) == 1
    # Play stops at the run's rounds
    s.play()
    deadline = time.monotonic() + 30
    while s.status().playing and time.monotonic() < deadline:
        time.sleep(0.02)
    st = s.wait_idle(10)
    assert st.round == 5 and "rounds" in st.message
    assert len(notes) > 10


def test_session_reports_errors_in_the_page_instead_of_dying():
    s = Session(play_delay=0.0)
    # A model that cannot be built (a given curve and beliefs in a bound that is unknown).
    s.reset(_small(belief="theory"))
    st = s.wait_idle(30)
    assert st.phase == "error" and "theory_params" in st.error and s.snapshot is None
    assert not s.step()
    # A round that raises stops play and shows the error; the model stays usable.
    s.reset(_small())
    s.wait_idle(30)

    def boom():
        raise RuntimeError("learner exploded")

    real = s._s.model.step
    s._s.model.step = boom
    s.play()
    st = s.wait_idle(10)
    assert "learner exploded" in st.error and not st.playing and st.phase == "ready"
    s._s.model.step = real
    assert s.step()
    st = s.wait_idle(10)
    assert st.round == 1 and st.error is None


def test_charts_render_for_every_firm_setting_without_a_network():
    m = CollectiveActionModel(_small(network="none", principal="none", cost_dist="constant", cost_params={"value": 0.2},
                                     gamma_dist="constant", gamma_params={"value": 0.5}))
    sample = sample_network(m, 300, seed=0)
    assert sample.nodes.size == 300 and not sample.has_network
    out = render_all(m, m.results(), sample)  # round 0: no rows yet
    m.run(3)
    out2 = render_all(m, m.results(), sample)
    assert set(out) == set(out2) == set(CHARTS)
    assert out["alpha"] != out2["alpha"]


def test_network_sample_is_connected_enough_and_leaves_the_model_rng_alone():
    m = CollectiveActionModel(_small(n_workers=10_000))
    state = m.rng.bit_generator.state
    s = sample_network(m, 300, seed=1)
    assert m.rng.bit_generator.state == state
    assert s.nodes.size == 300 and s.has_network and s.edges >= 250
    assert np.unique(s.nodes).size == 300


# --------------------------------------------------------------------------- launcher


def test_launch_command_binds_localhost_and_passes_the_scenario():
    cmd = launcher.command()
    assert cmd[1:4] == ["-m", "solara", "run"] and cmd[4].endswith("dashboard/app.py")
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "8765"
    assert "--no-open" in cmd
    cmd = launcher.command(host="0.0.0.0", port=9000, open_browser=True)
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and "--open" in cmd
    path = launcher.resolve_scenario("quickstart")
    assert Path(path).is_absolute() and path.endswith("quickstart.toml")
    assert launcher.environment(path)[launcher.SCENARIO_ENV] == path
    assert launcher.SCENARIO_ENV not in launcher.environment(None)
    with pytest.raises(FileNotFoundError):
        launcher.resolve_scenario("no-such-scenario-xyz")
    with pytest.raises(ValueError):
        launcher.command(port=70000)


def test_launch_serves_the_page_on_localhost_until_stopped(tmp_path):
    """``acsim.dashboard.launch`` end to end, as ``acsim dashboard quickstart --port P`` runs it."""
    import os
    import signal
    import subprocess
    import urllib.request

    from dashboard.testing import free_port

    port = free_port()
    code = f"import sys; from acsim.dashboard import launch; sys.exit(launch('quickstart', port={port}))"
    log = open(tmp_path / "launch.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=str(tmp_path), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.3)
        assert status == 200, (tmp_path / "launch.log").read_text()
        out = (tmp_path / "launch.log").read_text()
        assert f"http://localhost:{port}/" in out and "quickstart.toml" in out
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def test_web_assets_are_installed_locally():
    from dashboard import assets

    assert assets.missing() == [], "run `python dashboard/assets.py` (the page must load with no network)"


# --------------------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("dashboard") / "dashboard-test.toml"
    path.write_text(SCENARIO)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with DashboardServer(scenario=str(path), log=ARTIFACTS / "server.log") as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(server, browser):
    """A fresh page (its own session) on the server; fails on a JavaScript error or a failed request
    (everything the page loads, Solara's front end included, must come from localhost)."""
    pg = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    pg.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    pg.goto(server.url)
    pg.wait_for_selector("img.acsim-chart-alpha", timeout=60_000)
    yield pg
    pg.close()
    assert not errors, f"errors in the page: {errors}"


def _select(page, cls: str, option: str) -> None:
    page.click(f".{cls}")
    page.locator(".v-overlay-container .v-list-item", has_text=re.compile(f"^{re.escape(option)}$")).first.click()
    page.wait_for_function(
        "([cls, opt]) => { const e = document.querySelector('.' + cls + ' .v-select__selection-text');"
        " return e && e.innerText.trim() === opt; }", arg=[cls, option], timeout=10_000)


def _fill(page, cls: str, value: str) -> None:
    box = page.locator(f".{cls} input")
    box.fill(value)
    box.press("Enter")


def _wait_idle(page, timeout: float = 60.0) -> None:
    page.wait_for_function("() => !document.querySelector('.acsim-busy')", timeout=timeout * 1000)


def _wait_text(page, selector: str, text: str, timeout: float = 30.0) -> None:
    page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); return !!e && e.innerText.includes(t); }",
        arg=[selector, text], timeout=timeout * 1000)


def _wait_summary(page, text: str, timeout: float = 60.0) -> None:
    _wait_text(page, ".acsim-summary", text, timeout)


def test_page_loads_the_scenario_and_steps_update_counter_and_charts(page):
    assert round_number(page) == 0
    assert "Loaded: dashboard-test" in page.inner_text(".acsim-scenario-name")
    assert page.locator(".acsim-n input").input_value() == "2000"
    charts = {name: chart_src(page, name) for name in CHARTS}
    assert all(src.startswith(("blob:", "data:")) for src in charts.values())
    for k in (1, 2, 3):
        before = {n: chart_src(page, n) for n in ("alpha", "success", "spend")}
        page.click(".acsim-step")
        wait_round(page, k)
        for name, old in before.items():
            wait_chart_change(page, name, old)
    assert "α now =" in page.inner_text(".acsim-headline")
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


def test_play_runs_rounds_until_pause_and_reset_returns_to_round_0(page):
    page.click(".acsim-play")
    _wait_text(page, ".acsim-play", "PAUSE", timeout=10)
    page.wait_for_function(
        "() => parseInt(document.querySelector('.acsim-round').innerText.split(':')[1]) >= 3", timeout=30_000)
    page.click(".acsim-play")  # Pause
    _wait_text(page, ".acsim-play", "PLAY", timeout=10)
    _wait_idle(page)
    stopped = round_number(page)
    assert 3 <= stopped < 30
    time.sleep(1.0)
    assert round_number(page) == stopped, "rounds went on after Pause"
    old = chart_src(page, "alpha")
    page.click(".acsim-reset")
    wait_round(page, 0)
    wait_chart_change(page, "alpha", old)
    page.click(".acsim-step")
    wait_round(page, 1)


def test_invalid_control_shows_a_message_and_builds_nothing(page, server):
    _select(page, "acsim-gamma-dist", "constant")
    _fill(page, "acsim-gamma-value", "1")
    err = page.wait_for_selector(".acsim-error", timeout=10_000)
    assert "γ = 1" in err.inner_text()
    assert page.locator(".acsim-reset").is_disabled()
    page.screenshot(path=str(ARTIFACTS / "dashboard-invalid.png"), full_page=True)
    # the page (and the server) still work: Step runs the model on screen
    page.click(".acsim-step")
    wait_round(page, 1)
    _wait_idle(page)  # the round's re-render is over: a value typed now is not overwritten by it
    _fill(page, "acsim-gamma-value", "1.5")
    _wait_text(page, ".acsim-error", "must be in [0, 1), got 1.5", timeout=30)
    _fill(page, "acsim-gamma-value", "0.5")
    page.wait_for_selector(".acsim-error", state="detached", timeout=10_000)
    assert page.wait_for_selector(".acsim-pending", timeout=10_000)
    page.click(".acsim-reset")
    _wait_summary(page, "γ ~ 0.5,")
    wait_round(page, 0)
    assert server.proc.poll() is None


def test_load_a_scenario_file_from_the_page(page):
    _fill(page, "acsim-scenario-path", "no-such-scenario-xyz")
    page.click(".acsim-load")
    err = page.wait_for_selector(".acsim-scenario-error", timeout=10_000)
    assert "no such scenario" in err.inner_text()
    _fill(page, "acsim-scenario-path", "olson_principal")
    page.click(".acsim-load")
    _wait_text(page, ".acsim-scenario-name", "olson_principal", timeout=10)
    assert page.locator(".acsim-n input").input_value() == "10000"
    page.click(".acsim-reset")
    _wait_summary(page, "N = 10,000")
    wait_round(page, 0)
    page.click(".acsim-step")
    wait_round(page, 1)


def test_a_slow_training_round_runs_in_the_background(page):
    """A bow firm trained for many epochs: ~3 s a round. The page stays live, Pause works
    mid-training, and Reset mid-training starts over without losing or breaking anything."""
    _select(page, "acsim-firm", "bow")
    _fill(page, "acsim-epochs", "150")
    _fill(page, "acsim-n", "1000")
    _select(page, "acsim-network", "none")
    page.click(".acsim-reset")
    _wait_summary(page, "firm = bow (epochs=150)")
    wait_round(page, 0)
    page.click(".acsim-play")
    page.wait_for_selector(".acsim-progress", timeout=10_000)
    # the status line first says the model is ready; wait until it reports the training
    page.wait_for_function(
        "() => { const b = document.querySelector('.acsim-busy'); return b && b.innerText.includes('training the bow firm'); }",
        timeout=20_000,
    )
    t0 = page.evaluate("() => document.querySelector('.acsim-busy').innerText")
    page.click(".acsim-play")  # Pause while the firm trains: the button answers at once
    _wait_text(page, ".acsim-play", "PLAY", timeout=5)
    _wait_text(page, ".acsim-busy", "Pausing after round 1", timeout=5)
    assert round_number(page) == 0
    _wait_idle(page, 60)
    assert round_number(page) == 1  # the round finished and is shown...
    time.sleep(1.5)
    assert round_number(page) == 1  # ...and no other round started
    assert "training the bow firm" in t0
    assert "bow" in page.inner_text(".acsim-summary")
    # Reset while a round trains
    page.click(".acsim-step")
    page.wait_for_selector(".acsim-busy", timeout=10_000)
    page.click(".acsim-reset")
    wait_round(page, 0)
    _wait_idle(page, 60)
    page.wait_for_function("() => document.body.innerText.includes('discarded')", timeout=30_000)
    assert round_number(page) == 0
    page.click(".acsim-step")
    wait_round(page, 1, timeout=60)
    page.screenshot(path=str(ARTIFACTS / "dashboard-bow.png"), full_page=True)


def test_charts_show_a_rival_collective_and_a_loaded_scenario_keeps_it():
    m = CollectiveActionModel(_small(network="none", principal="none", rival={"initial_alpha": 0.05}))
    m.run(3)
    plain = CollectiveActionModel(_small(network="none", principal="none"))
    plain.run(3)
    from dashboard.charts import chart_alpha, chart_success  # these raise where render_all would draw the error

    for chart in (chart_alpha, chart_success):
        assert chart(m, m.results(), None) != chart(plain, plain.results(), None)
    ctrl, base = C.load("competing_collectives")
    assert C.to_params(ctrl, base).rival == {"initial_alpha": 0.03, "target": 1, "trigger": "‡"}
