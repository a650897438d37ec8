"""The Solara dashboard, tested as a person uses it: the real server, Debian's chromium, clicks.

The browser tests start ``solara run dashboard/app.py`` (through ``acsim.cli.serve``) on
a free localhost port with a small scenario in ``ACSIM_DASHBOARD_SCENARIO``, drive it
with Playwright in headless ``/usr/bin/chromium`` and kill the server's process group at
the end. A missing chromium or playwright fails these tests (it never skips them).
Screenshots land in ``tests/artifacts/`` (ignored by git) for a person to look at.

The faster tests above them check the pieces without a browser: controls → validated
parameters and the numeric boxes' rules, scenario loading, the background session (step,
queued steps, play, pause, reset while a round runs), the charts, the page itself
rendered without a server (invalid text blocks Step/Play/Reset; rounds keep every
widget), and the launcher (it refuses to start without the offline web assets).

No test sleeps to let something happen: each waits on the state it needs (Playwright's
``wait_for_function`` / ``expect``, a polled condition with a deadline, or an event),
with deadlines generous enough for a loaded 2-core machine (60 s and more).
"""

from __future__ import annotations

import math
import re
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from acsim.cli import serve as launcher  # noqa: E402
from acsim.abm.model import CollectiveActionModel, ModelParams  # noqa: E402
from acsim.abm.fields import range_of  # noqa: E402
from dashboard import controls as C  # noqa: E402
from acsim.abm.summary import summarize  # noqa: E402
from dashboard.charts import CHARTS, RENDERERS, ChartCache, chart_success, render_all  # noqa: E402
from dashboard.network_sample import sample_network  # noqa: E402
from dashboard.session import Session  # noqa: E402
from dashboard.testing import (  # noqa: E402
    DashboardServer,
    chart_src,
    launch_chromium,
    round_number,
    wait_chart_change,
    wait_round,
    wait_shown,
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
        (dict(gamma_dist="constant", gamma_a=1.5, gamma_b=None), "free-ride share γ value = 1.5 is outside [0, 1]"),
        (dict(gamma_dist="uniform", gamma_a=0.2, gamma_b=None), "free-ride share γ high is required: enter a number in [0, 1]"),
        (dict(n_workers=0), "workers N = 0 is outside [1, 10000000]"),
        (dict(n_workers=10**9), "workers N = 1000000000 is outside [1, 10000000]"),
        (dict(n_workers=2.5), "workers N = 2.5 must be a whole number in [1, 10000000]"),
        (dict(cost_dist="uniform", cost_a=0.4, cost_b=0.1), "cost_params.high = 0.1 is below low = 0.4"),
        (dict(initial_alpha=1.5), "initial α = 1.5 is outside [0, 1]"),
        (dict(network="none", belief="network"), "needs a network"),
        (dict(recruits_per_round=0), "recruits per round = 0 is outside [1, inf)"),
        (dict(seed=-1), "seed = -1 is outside [0, inf)"),
        (dict(rounds=None), "rounds is required: enter a whole number in [1, 100000]"),
        (dict(firm="bow", epochs=0), "epochs = 0 is outside [1, inf)"),
        (dict(cost_dist="beta", cost_a=0.0, cost_b=1.0), "cost c a = 0 is outside (0, inf)"),
        (dict(coordination=1.5), "coordination q = 1.5 is outside [0, 1]"),
        (dict(firm="bow", min_df=0), "min_df = 0 is outside [1, inf)"),
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


@pytest.mark.parametrize(
    "text, why",
    [("abc", "= 'abc' must be a whole number in [1, 10000000]"), ("2.5", "= 2.5 must be a whole number in [1, 10000000]"),
     ("1e9", "= 1e9 is outside [1, 10000000]"), ("", None), ("-5", "= -5 is outside [1, 10000000]"),
     ("inf", "= inf must be a whole number in [1, 10000000]"), ("nan", "= nan must be a whole number in [1, 10000000]")],
)
def test_the_n_box_refuses_bad_text_naming_itself_and_its_range(text, why):
    box = C.NUMBERS["n_workers"]
    with pytest.raises(ValueError) as exc:
        box.parse(text)
    msg = str(exc.value)
    # the range is the schema's own: the box and ModelParams cannot disagree
    assert C.NUMBERS["n_workers"].range is range_of(ModelParams.model_fields["n_workers"])
    assert msg.startswith("workers N") and "[1, 10000000]" in msg
    assert (msg == "workers N " + why) if why else msg == "workers N is required: enter a whole number in [1, 10000000]"
    assert box.parse(" 3000 ") == 3000 and box.parse("2e3") == 2000 and box.parse("2.0") == 2


def test_every_shown_box_refuses_text_with_its_name_and_range():
    """Each numeric box of the panel (for several firms and distributions) refuses 'abc' and '1e400',
    naming itself and what it allows, and accepts the text it shows for its own value."""
    from dataclasses import replace

    seen = set()
    for c in (C.Controls(), replace(C.Controls(), firm="bow"), C.Controls().with_dist("cost", "beta").with_dist("gamma", "constant"),
              C.Controls().with_dist("cost", "lognormal"), C.load("quickstart")[0]):
        boxes = C.visible_numbers(c)
        for field, box in boxes.items():
            seen.add(field)
            assert box.parse(box.format(getattr(c, field))) == getattr(c, field), field
            for bad in ("abc",) + (() if box.range.contains(math.inf) else ("1e400",)):  # budget: inf is unlimited
                with pytest.raises(ValueError) as exc:
                    box.parse(bad)
                assert str(exc.value).startswith(box.label) and box.allowed() in str(exc.value), (field, bad)
            errors = C.text_errors(c, {field: "abc"})
            assert list(errors) == [field]
    assert {"n_workers", "cost_a", "cost_b", "gamma_a", "gamma_b", "initial_alpha", "target", "midpoint", "slope",
            "epochs", "budget", "recruits_per_round", "seed", "rounds", "coordination", "min_df"} <= seen
    # a box the panel hides (epochs of the theory firm) blocks nothing
    assert C.text_errors(C.Controls(), {"epochs": "abc", "n_workers": "7"}) == {}
    # γ = 1 is legal in the model (nobody ever joins), so the box takes it; 1.5 is outside γ's support
    assert C.dist_number("gamma", "constant", "value").parse("1") == 1.0
    with pytest.raises(ValueError, match=r"free-ride share γ value = 1.5 is outside \[0, 1\]"):
        C.dist_number("gamma", "constant", "value").parse("1.5")
    assert C.NUMBERS["budget"].parse("") is None and C.NUMBERS["epochs"].parse("") is None
    assert C.NUMBERS["budget"].parse("inf") == math.inf


def test_loaded_scenario_gives_the_same_params_as_the_batch_runner():
    from acsim.runs.scenarios import load_scenario, model_params

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
    assert s.wait_idle(60).round == 0
    for _ in range(4):
        assert s.step()
        s.wait_idle(60)
    got = s.snapshot.rows
    want = CollectiveActionModel(_small()).run(4)
    cols = [c for c in want.columns if c != "train_seconds"]
    pd.testing.assert_frame_equal(got[cols].reset_index(drop=True), want[cols].reset_index(drop=True))
    assert set(s.snapshot.charts) == set(CHARTS)
    assert all(v[:8] == b"\x89PNG\r\n\x1a\n" for v in s.snapshot.charts.values())


def _until(cond, timeout: float = 60.0, what: str = "condition"):
    """Poll ``cond()`` until it is true (returned) or ``timeout`` seconds pass (AssertionError)."""
    end = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.01)


class _Gate:
    """Replaces a model's ``step``: each round starts, then waits until the test releases it
    (a firm that trains exactly as long as the test needs, whatever the machine's load)."""

    def __init__(self, model) -> None:
        self.real, self.calls, self.allowed = model.step, 0, 0
        self.cond = threading.Condition()
        model.step = self

    def __call__(self) -> None:
        with self.cond:
            self.calls += 1
            n = self.calls
            self.cond.notify_all()
            if not self.cond.wait_for(lambda: self.allowed >= n, timeout=300):
                raise RuntimeError("gate never released")
        self.real()

    def release(self, n: int = 1) -> None:
        with self.cond:
            self.allowed += n
            self.cond.notify_all()

    def wait_calls(self, n: int, timeout: float = 60.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.calls >= n, timeout=timeout), f"round {n} never started"


def test_session_play_pause_and_reset_while_a_round_runs():
    notes = []
    s = Session(lambda: notes.append(1), play_delay=0.0, tick=0.05)
    s.reset(_small(rounds=5))
    s.wait_idle(60)
    gate = _Gate(s._s.model)
    assert s.play()
    gate.wait_calls(1)  # round 1 is running (and held)
    st = s.status()
    assert st.busy and st.playing and st.running_round == 1
    assert not s.step()  # Step is refused while playing (Play already runs rounds)...
    assert s.status().refused == 1  # ...and counted, for the page to say so
    s.pause()  # mid-round: the round finishes and is shown, then play stops
    gate.release()
    st = s.wait_idle(60)
    assert st.round == 1 and not st.playing
    s.join(60)  # every thread of the session has ended: nothing can change any more
    assert s.status().round == 1 and gate.calls == 1
    # Reset while a round runs: a fresh model at round 0 at once; the old round is discarded
    assert s.step()
    gate.wait_calls(2)
    gen = s.reset(_small(seed=4, rounds=5))
    st = s.wait_idle(60)
    assert st.round == 0 and st.error is None and s.snapshot.generation == gen
    gate.release()  # the old round finishes now...
    s.join(60)
    st = s.status()
    assert st.round == 0 and st.discarded == 1 and s.snapshot.round == 0  # ...and changed nothing
    assert s.previous_rows is not None and len(s.previous_rows) == 1
    # Play stops at the run's rounds
    s.play()
    _until(lambda: not s.status().playing, 60, "the end of play")
    st = s.wait_idle(60)
    assert st.round == 5 and "rounds" in st.message
    assert len(notes) > 10


def test_session_queues_steps_clicked_while_a_round_runs_or_the_model_builds():
    """Every Step click is one round: clicks while busy are queued, never dropped; Pause and Reset drop the queue."""
    s = Session(play_delay=0.0)
    s.reset(_small())
    assert s.step() and s.step()  # while (or just after) the model is built: both run
    s.wait_idle(60)
    assert s.join(60).round == 2
    gate = _Gate(s._s.model)
    assert all(s.step() for _ in range(5))
    st = s.status()
    assert st.busy and st.queued == 4  # one running (held by the gate), four waiting
    gate.release(5)
    st = s.wait_idle(60)
    assert st.round == 7 and st.queued == 0 and gate.calls == 5 and st.error is None
    want = CollectiveActionModel(_small()).run(7)
    cols = [c for c in want.columns if c != "train_seconds"]
    pd.testing.assert_frame_equal(s.snapshot.rows[cols].reset_index(drop=True), want[cols].reset_index(drop=True))
    # the page's Pause button while Steps are queued drops them; the running round still shows
    assert s.step() and s.step() and s.step()
    gate.wait_calls(6)
    assert s.status().queued == 2
    s.toggle()
    assert s.status().queued == 0
    gate.release(3)
    s.wait_idle(60)
    assert s.join(60).round == 8 and gate.calls == 6
    # Reset drops the queue too: the new model starts at round 0 with nothing lined up
    assert s.step() and s.step()
    gate.wait_calls(7)
    s.reset(_small(seed=5))
    s.wait_idle(60)
    gate.release(2)
    st = s.join(60)
    assert st.round == 0 and st.queued == 0 and st.discarded == 1 and gate.calls == 7
    s.close()
    assert not s.step()


def test_session_reports_errors_in_the_page_instead_of_dying():
    s = Session(play_delay=0.0)
    # A model that cannot be built (a given curve and beliefs in a bound that is unknown).
    s.reset(_small(belief="theory"))
    st = s.wait_idle(60)
    assert st.phase == "error" and "theory_params" in st.error and s.snapshot is None
    assert not s.step()
    # A round that raises stops play and shows the error; the model stays usable.
    s.reset(_small())
    s.wait_idle(60)

    def boom():
        raise RuntimeError("learner exploded")

    real = s._s.model.step
    s._s.model.step = boom
    s.play()
    st = s.wait_idle(60)
    assert "learner exploded" in st.error and not st.playing and st.phase == "ready"
    s._s.model.step = real
    assert s.step()
    st = s.wait_idle(60)
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


def _model_state(m) -> dict[str, object]:
    """The model's attributes (name → object) and the agents' attribute names: what a chart must not add to."""
    return {"model": dict(vars(m)), "firm": set(vars(m.firm)), "principal": set(vars(m.principal))}


def test_drawing_the_charts_writes_nothing_onto_the_model():
    m = CollectiveActionModel(_small(initial_alpha=0.01))
    twin = CollectiveActionModel(_small(initial_alpha=0.01))  # the same run, never drawn
    sample = sample_network(m, 300, seed=0)
    before = _model_state(m)
    render_all(m, m.results(), sample, ChartCache())
    for name in CHARTS:
        RENDERERS[name](m, m.results(), sample)
    after = _model_state(m)
    assert after["model"].keys() == before["model"].keys()
    assert all(after["model"][k] is v for k, v in before["model"].items())
    assert (after["firm"], after["principal"]) == (before["firm"], before["principal"])
    cache = ChartCache()
    for _ in range(3):
        m.step()
        twin.step()
        render_all(m, m.results(), sample, cache)
    # A drawn model has exactly the attributes of one that was never drawn, and the same rows.
    assert vars(m).keys() == vars(twin).keys()
    assert set(vars(m.firm)) == set(vars(twin.firm)) and set(vars(m.principal)) == set(vars(twin.principal))
    pd.testing.assert_frame_equal(m.results().drop(columns="train_seconds"), twin.results().drop(columns="train_seconds"))


def test_a_session_step_writes_nothing_onto_its_model():
    s = Session(play_delay=0.0)
    s.reset(_small())
    s.wait_idle(60)
    model = s._s.model
    twin = CollectiveActionModel(_small())
    keys = set(vars(model))
    assert keys == set(vars(twin))  # building and drawing round 0 added nothing
    for _ in range(2):
        assert s.step()
        s.wait_idle(60)
        twin.step()
    s.join(60)
    assert s.snapshot.round == 2 and s.status().error is None
    assert set(vars(model)) == set(vars(twin))
    assert not [k for k in vars(model) if "dashboard" in k]


def test_the_chart_cache_is_the_callers_and_reuses_unchanged_charts():
    m = CollectiveActionModel(_small(network="none", principal="none"))
    sample = sample_network(m, 300, seed=0)
    cache = ChartCache()
    first = render_all(m, m.results(), sample, cache)
    assert len(cache) == 2  # the theory firm's panel and the network
    again = render_all(m, m.results(), sample, cache)
    assert again["firm"] is first["firm"] and again["network"] is first["network"]
    assert render_all(m, m.results(), sample)["firm"] is not first["firm"]  # no cache: drawn afresh
    other = CollectiveActionModel(_small(network="none", principal="none", seed=4))
    assert render_all(other, other.results(), sample_network(other, 300, seed=0), ChartCache())["firm"] is not first["firm"]


def test_the_dashboard_reads_no_private_model_state():
    # The boundary of DESIGN.md: the dashboard reads acsim's public API and writes nothing onto the model.
    bad = re.compile(r"model\._|__dict__|setattr\(\s*model")
    hits = [f"{p.name}:{i}: {line.strip()}" for p in sorted((ROOT / "dashboard").glob("*.py"))
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if bad.search(line)]
    assert hits == []


def test_the_success_chart_draws_the_summarys_thresholds(monkeypatch):
    # The band and median line come from acsim.abm.summary, not from a copy computed in the dashboard:
    # moving the summary's band (median kept) changes the drawing.
    import dataclasses

    from dashboard import charts

    m = CollectiveActionModel(_small(network="none", principal="none"))
    real = summarize(m)
    plain = chart_success(m, m.results(), None)
    assert chart_success(m, m.results(), None) == plain  # drawing is deterministic
    th = dataclasses.replace(real.thresholds, q10=real.thresholds.q10 / 2, q90=min(1.0, real.thresholds.q90 * 1.5))
    monkeypatch.setattr(charts, "summarize", lambda model: dataclasses.replace(real, thresholds=th))
    assert chart_success(m, m.results(), None) != plain


def test_network_sample_is_connected_enough_and_leaves_the_model_rng_alone():
    m = CollectiveActionModel(_small(n_workers=10_000))
    state = m.rng.bit_generator.state
    s = sample_network(m, 300, seed=1)
    assert m.rng.bit_generator.state == state
    assert s.nodes.size == 300 and s.has_network and s.edges >= 250
    assert np.unique(s.nodes).size == 300


# --------------------------------------------------------------------------- the page, rendered without a server


@pytest.fixture
def rendered(monkeypatch):
    """The page's component tree (side panel inline) rendered in this process, with no server and no
    browser, and its session, once the first model is built and the session's threads have ended
    (from then on a change re-renders at once, in the test's thread, until the next Step or Reset)."""
    import solara

    from dashboard import app

    monkeypatch.delenv(launcher.SCENARIO_ENV, raising=False)
    sessions: list[Session] = []
    monkeypatch.setattr(app, "Session", lambda notify: sessions.append(Session(notify)) or sessions[-1])
    _box, rc = solara.render(app.Dashboard(sidebar=False), handle_error=False)
    try:
        (session,) = sessions
        session.wait_idle(60)
        session.join(60)
        assert _disabled(rc) == (False, False, False)
        yield rc, session
    finally:
        rc.close()


def _one(rc, cls: str, kind=None):
    import ipywidgets

    return rc.find(kind or ipywidgets.Widget, class_=cls).widget


def _alerts(rc) -> list[tuple[str, str]]:
    import ipyvuetify as v

    return [(w.class_, " ".join(map(str, w.children))) for w in rc.find(v.Alert).widgets]


def _page_round(rc) -> str:
    return _one(rc, "acsim-round").children[0]


def _page_idle(rc) -> bool:
    import ipywidgets

    return not len(rc.find(ipywidgets.Widget, class_="acsim-status acsim-message acsim-busy"))


def _disabled(rc) -> tuple[bool, bool, bool]:
    return tuple(_one(rc, f"acsim-{b}").disabled for b in ("step", "play", "reset"))


@pytest.mark.parametrize("text, why", [("abc", "= 'abc' must be a whole number"), ("2.5", "= 2.5 must be a whole number"),
                                       ("1e9", "= 1e9 is outside"), ("", "is required: enter a whole number"),
                                       ("-5", "= -5 is outside")])
def test_page_bad_text_in_the_n_box_shows_why_and_blocks_step_play_reset(rendered, text, why):
    """Fast (no browser): the page itself, as the server renders it. The message names the box and
    its range as soon as the text changes; Step, Play and Reset are disabled (a click that gets
    through anyway runs nothing); the box keeps the text; fixing it clears all of that."""
    rc, session = rendered
    n = _one(rc, "acsim-n")
    n.v_model = text
    alerts = _alerts(rc)
    assert len(alerts) == 1 and "acsim-input-error" in alerts[0][0], alerts
    assert alerts[0][1].startswith("workers N " + why) and "[1, 10000000]" in alerts[0][1]
    assert n.error and n.messages == [alerts[0][1]] and n.v_model == text
    assert _disabled(rc) == (True, True, True)
    _one(rc, "acsim-step").fire_event("click", {})  # a click sent before the page showed it disabled
    assert not session.status().busy and _page_round(rc) == "Round: 0"  # (a Step would be busy at once)
    n.v_model = "3000"
    assert [c for c, _ in _alerts(rc)] == ["acsim-pending"] and not n.error
    assert _disabled(rc) == (False, False, False)
    _one(rc, "acsim-reset").fire_event("click", {})
    session.wait_idle(60)
    session.join(60)
    assert "N = 3,000" in _one(rc, "acsim-status acsim-summary").children[0] and session.params.n_workers == 3000
    assert n.v_model == "3000" and not _alerts(rc)


def test_page_gamma_out_of_range_blocks_step_and_play_and_loading_a_scenario_clears_typed_text(rendered):
    import ipyvuetify as v

    rc, session = rendered
    rc.find(v.Select, class_="acsim-gamma-dist").widget.v_model = "constant"
    g = _one(rc, "acsim-gamma-value")
    g.v_model = "1.5"
    (cls, msg), = _alerts(rc)
    assert msg == "free-ride share γ value = 1.5 is outside [0, 1]" and _disabled(rc) == (True, True, True)
    _one(rc, "acsim-n").v_model = "abc"
    assert len(_alerts(rc)) == 2
    # a loaded scenario replaces every value: the boxes show it, and nothing typed before blocks anything
    box = _one(rc, "acsim-scenario-path")
    box.v_model = "quickstart"
    box.fire_event("keyup.enter", None)  # the path box takes its text on Enter
    _one(rc, "acsim-load").fire_event("click", {})
    assert _one(rc, "acsim-n").v_model == "10000" and not _one(rc, "acsim-n").error
    assert _one(rc, "acsim-gamma-value").v_model == "0.5" and [c for c, _ in _alerts(rc)] == ["acsim-pending"]
    assert _disabled(rc) == (False, False, False)


def test_page_rounds_and_fast_steps_keep_every_widget(rendered, monkeypatch):
    """Fast (no browser): six clicks on Step at once run six rounds (queued, none dropped), and no
    widget is closed meanwhile: a browser drawing a widget the server just closed fails with
    "widget model not found" (each round used to re-create all six charts, twice)."""
    import ipywidgets

    rc, session = rendered
    _one(rc, "acsim-step").fire_event("click", {})  # round 1 adds the table's rows and the CSV download
    session.wait_idle(60)
    session.join(60)
    assert _page_round(rc) == "Round: 1"
    closed: list[str] = []
    real_close = ipywidgets.Widget.close
    monkeypatch.setattr(ipywidgets.Widget, "close", lambda self: (closed.append(type(self).__name__), real_close(self))[1])
    # every round waits for the test: the six clicks come while the first round runs
    held, real_step = threading.Semaphore(0), CollectiveActionModel.step

    def step_when_released(model):
        assert held.acquire(timeout=300)
        real_step(model)

    monkeypatch.setattr(CollectiveActionModel, "step", step_when_released)
    step = _one(rc, "acsim-step")
    for _ in range(6):
        step.fire_event("click", {})
    # (a render may run in the session's thread, a moment later)
    note = _until(lambda: [w.children[0] for w in rc.find(class_="acsim-status acsim-notes acsim-queued").widgets], 60,
                  "the queue note")[0]
    assert note.startswith("5 more Steps queued") and not step.disabled  # the page says so; Step stays clickable
    held.release(6)
    session.wait_idle(60)
    session.join(60)
    assert _page_round(rc) == "Round: 7" and _page_idle(rc)
    assert closed == [], f"widgets closed during rounds: {closed}"
    assert "Round 7 done" in _one(rc, "acsim-status acsim-message").children[0]
    assert not len(rc.find(class_="acsim-status acsim-notes acsim-queued"))


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


@pytest.mark.slow  # starts a real server
def test_launch_serves_the_page_on_localhost_until_stopped(tmp_path):
    """``acsim.cli.serve.launch`` end to end, as ``acsim dashboard quickstart --port P`` runs it."""
    import os
    import signal
    import subprocess
    import urllib.request

    from dashboard.testing import free_port

    port = free_port()
    code = f"import sys; from acsim.cli.serve import launch; sys.exit(launch('quickstart', port={port}))"
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


def test_launch_refuses_to_start_without_the_web_assets(tmp_path, monkeypatch, capsys):
    """Missing offline assets: exit status 2 and one line on stderr (what is missing, the command
    that fixes it), no traceback, and no server started."""
    import os
    import subprocess

    empty = tmp_path / "cdn"
    empty.mkdir()
    line = launcher.check_assets(empty)
    assert line is not None and str(empty) in line and "requirejs@" in line and "`" in line
    assert launcher.check_assets() is None  # the installed cache is complete (see the next test)
    with monkeypatch.context() as m:
        m.setattr(launcher, "check_assets", lambda cache=None: line)
        m.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("a server was started"))
        assert launcher.launch() == 2
    err = capsys.readouterr().err
    assert err == line + "\n"
    # the real command line, with Solara's own setting pointing the cache at an empty folder
    env = dict(os.environ, SOLARA_ASSETS_PROXY_CACHE_DIR=str(empty))
    for cwd, fix in ((ROOT, "run `python dashboard/assets.py`"), (tmp_path, "&& python dashboard/assets.py`")):
        r = subprocess.run([sys.executable, "-m", "acsim", "dashboard", "--port", "1"], cwd=str(cwd), env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 2, r.stderr
        assert r.stdout == "" and len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
        assert "web assets are missing" in r.stderr and str(empty) in r.stderr and fix in r.stderr, r.stderr


def test_web_assets_are_installed_locally():
    from dashboard import assets

    assert assets.missing() == [], "run `python dashboard/assets.py` (the page must load with no network)"


# --------------------------------------------------------------------------- in the browser

WAIT = 60.0  # seconds: every wait in the browser is on a state, with this deadline (a loaded 2-core machine)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("dashboard") / "dashboard-test.toml"
    path.write_text(SCENARIO)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with DashboardServer(scenario=str(path), log=ARTIFACTS / "server.log") as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT * 1000)
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def _watch(pg, errors: list[str]) -> None:
    """Collect the page's JavaScript errors (console and uncaught, e.g. "widget model not found") and failed requests."""
    pg.set_default_timeout(WAIT * 1000)
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    pg.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    pg.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)


@pytest.fixture
def page(server, browser):
    """A fresh page (its own session) on the server; fails on a JavaScript error or a failed request
    (everything the page loads, Solara's front end included, must come from localhost)."""
    pg = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    _watch(pg, errors)
    pg.goto(server.url)
    wait_shown(pg, 0)  # all six of round 0's charts, not just the first one the browser applied
    yield pg
    pg.close()
    assert not errors, f"errors in the page: {errors}"


def _select(page, cls: str, option: str) -> None:
    page.click(f".{cls}")
    page.locator(".v-overlay-container .v-list-item", has_text=re.compile(f"^{re.escape(option)}$")).first.click()
    page.wait_for_function(
        "([cls, opt]) => { const e = document.querySelector('.' + cls + ' .v-select__selection-text');"
        " return e && e.innerText.trim() === opt; }", arg=[cls, option], timeout=WAIT * 1000)


def _fill(page, cls: str, value: str) -> None:
    box = page.locator(f".{cls} input")
    box.fill(value)
    box.press("Enter")


def _type(page, cls: str, value: str) -> None:
    """Replace a box's text, without Enter or leaving the box: its message must show at once."""
    page.locator(f".{cls} input").fill(value)


def _wait_idle(page, timeout: float = WAIT) -> None:
    page.wait_for_function("() => !document.querySelector('.acsim-busy')", timeout=timeout * 1000)


def _wait_text(page, selector: str, text: str, timeout: float = WAIT) -> None:
    page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); return !!e && e.innerText.includes(t); }",
        arg=[selector, text], timeout=timeout * 1000)


def _wait_summary(page, text: str, timeout: float = WAIT) -> None:
    _wait_text(page, ".acsim-summary", text, timeout)


def _buttons(page, enabled: bool) -> None:
    from playwright.sync_api import expect

    for b in ("step", "play", "reset"):
        loc = page.locator(f".acsim-{b}")
        expect(loc).to_be_enabled() if enabled else expect(loc).to_be_disabled()


def test_page_loads_the_scenario_and_steps_update_counter_and_charts(page):
    assert round_number(page) == 0
    assert "Loaded: dashboard-test" in page.inner_text(".acsim-scenario-name")
    assert page.locator(".acsim-n input").input_value() == "2000"
    charts = {name: chart_src(page, name) for name in CHARTS}
    assert all(src.startswith(("blob:", "data:")) for src in charts.values())
    for k in (1, 2, 3):
        before = {n: chart_src(page, n) for n in ("alpha", "success", "spend")}
        page.click(".acsim-step")
        wait_round(page, k, timeout=WAIT)
        for name, old in before.items():
            wait_chart_change(page, name, old, timeout=WAIT)
    assert "α now =" in page.inner_text(".acsim-headline")
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


@pytest.mark.slow  # a browser test; the session test covers Play/Pause without one
def test_play_runs_rounds_until_pause_and_reset_returns_to_round_0(page):
    from playwright.sync_api import expect

    page.click(".acsim-play")
    expect(page.locator(".acsim-play")).to_have_text(re.compile("pause", re.I))
    page.wait_for_function(
        "() => parseInt(document.querySelector('.acsim-round').innerText.split(':')[1]) >= 3", timeout=WAIT * 1000)
    page.click(".acsim-play")  # Pause
    expect(page.locator(".acsim-play")).to_have_text(re.compile("play", re.I))
    _wait_idle(page)
    stopped = round_number(page)
    assert 3 <= stopped < 30
    # Play has stopped for good: the last round's message says so, and one Step adds exactly one round
    assert "playing" not in page.inner_text(".acsim-message")
    page.click(".acsim-step")
    wait_round(page, stopped + 1, timeout=WAIT)
    _wait_idle(page)
    assert round_number(page) == stopped + 1, "rounds went on after Pause"
    old = chart_src(page, "alpha")
    page.click(".acsim-reset")
    wait_round(page, 0, timeout=WAIT)
    wait_chart_change(page, "alpha", old, timeout=WAIT)
    page.click(".acsim-step")
    wait_round(page, 1, timeout=WAIT)


def test_invalid_control_shows_a_message_and_builds_nothing(page, server):
    """γ = 1.5 is refused at once (γ's range is the schema's [0, 1]): the message, and Step, Play and
    Reset disabled until it is fixed; then a negative γ the same way."""
    from playwright.sync_api import expect

    page.click(".acsim-step")
    wait_round(page, 1, timeout=WAIT)
    _wait_idle(page)
    _select(page, "acsim-gamma-dist", "constant")
    _type(page, "acsim-gamma-value", "1.5")
    expect(page.locator(".acsim-error")).to_contain_text("free-ride share γ value = 1.5 is outside [0, 1]")
    _buttons(page, enabled=False)
    page.screenshot(path=str(ARTIFACTS / "dashboard-invalid.png"), full_page=True)
    _type(page, "acsim-gamma-value", "-0.1")
    expect(page.locator(".acsim-error")).to_contain_text("free-ride share γ value = -0.1 is outside [0, 1]")
    _buttons(page, enabled=False)
    _type(page, "acsim-gamma-value", "0.5")
    expect(page.locator(".acsim-error")).to_have_count(0)
    expect(page.locator(".acsim-pending")).to_be_visible()
    _buttons(page, enabled=True)
    assert round_number(page) == 1
    page.click(".acsim-reset")
    _wait_summary(page, "γ ~ 0.5,")
    wait_round(page, 0, timeout=WAIT)
    assert server.proc.poll() is None


@pytest.mark.parametrize("text, why", [("abc", "= 'abc' must be a whole number in [1, 10000000]"),
                                       pytest.param("2.5", "= 2.5 must be a whole number in [1, 10000000]", marks=pytest.mark.slow),
                                       pytest.param("1e9", "= 1e9 is outside [1, 10000000]", marks=pytest.mark.slow)])
def test_bad_text_in_the_n_box_blocks_step_play_reset_until_fixed(page, text, why):
    """The N box refuses "abc", "2.5" and "1e9" as they are typed, naming itself and its range,
    under the box and above the charts; Step, Play and Reset wait; the box never shows a
    number the model does not use; fixing the text clears it all."""
    from playwright.sync_api import expect

    _type(page, "acsim-n", text)
    msg = f"workers N {why}"
    expect(page.locator(".acsim-input-error")).to_have_text(msg)
    expect(page.locator(".acsim-n")).to_contain_text(msg)  # under the box too
    expect(page.locator(".acsim-pending")).to_have_count(0)
    _buttons(page, enabled=False)
    assert page.locator(".acsim-n input").input_value() == text
    _type(page, "acsim-n", "3000")
    expect(page.locator(".acsim-error")).to_have_count(0)
    expect(page.locator(".acsim-pending")).to_be_visible()
    _buttons(page, enabled=True)
    page.click(".acsim-reset")
    _wait_summary(page, "N = 3,000,")
    wait_round(page, 0, timeout=WAIT)
    assert page.locator(".acsim-n input").input_value() == "3000"
    expect(page.locator(".acsim-pending")).to_have_count(0)


@pytest.mark.slow
def test_several_pages_at_once_stay_independent_and_lose_no_click(server, browser):
    """Three pages (browser contexts: three people) on one server, each clicking Step fast: every
    page ends at its own number of clicks (clicks during a round are queued, and the page says so),
    with no JavaScript error ("widget model not found" was one) on any of them."""
    from playwright.sync_api import expect

    clicks = (10, 8, 6)
    contexts, pages, errors = [], [], []
    try:
        for _ in clicks:
            ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
            pg = ctx.new_page()
            mine: list[str] = []
            _watch(pg, mine)
            pg.goto(server.url)
            contexts.append(ctx)
            pages.append(pg)
            errors.append(mine)
        for pg in pages:
            wait_shown(pg, 0)
            expect(pg.locator(".acsim-step")).to_be_enabled()
        # round-robin, as fast as Playwright clicks; the last page's clicks all in one burst of JavaScript
        for k in range(max(clicks[:2])):
            for pg, n in zip(pages[:2], clicks[:2]):
                if k < n:
                    pg.click(".acsim-step")
        pages[2].evaluate("(n) => { const b = document.querySelector('.acsim-step'); for (let i = 0; i < n; i++) b.click(); }",
                          clicks[2])
        for pg, n in zip(pages, clicks):
            wait_round(pg, n, timeout=3 * WAIT)
            _wait_idle(pg, 3 * WAIT)
        for i, (pg, n) in enumerate(zip(pages, clicks)):
            assert round_number(pg) == n, f"page {i}: {round_number(pg)} rounds for {n} clicks"
            expect(pg.locator(".acsim-message")).to_contain_text(f"Round {n} done")
            expect(pg.locator(".acsim-queued")).to_have_count(0)
            # its own model: the table shows rounds 1..n of this page only (the table is its own widget:
            # the browser may apply its update a moment after the round counter's, so wait for it)
            wait_shown(pg, n)
            expect(pg.locator(".acsim-rows tbody tr").last.locator("td").first).to_have_text(str(n))
        pages[0].screenshot(path=str(ARTIFACTS / "dashboard-pages.png"), full_page=True)
    finally:
        for ctx in contexts:
            ctx.close()
    assert not any(errors), f"errors in the pages: {errors}"


@pytest.mark.slow  # a browser test
def test_load_a_scenario_file_from_the_page(page):
    _fill(page, "acsim-scenario-path", "no-such-scenario-xyz")
    page.click(".acsim-load")
    err = page.wait_for_selector(".acsim-scenario-error", timeout=WAIT * 1000)
    assert "no such scenario" in err.inner_text()
    _fill(page, "acsim-scenario-path", "olson_principal")
    page.click(".acsim-load")
    _wait_text(page, ".acsim-scenario-name", "olson_principal")
    assert page.locator(".acsim-n input").input_value() == "10000"
    page.click(".acsim-reset")
    _wait_summary(page, "N = 10,000")
    wait_round(page, 0, timeout=WAIT)
    page.click(".acsim-step")
    wait_round(page, 1, timeout=WAIT)


@pytest.mark.slow
def test_a_slow_training_round_runs_in_the_background(page):
    """A bow firm trained for many epochs: ~3 s a round (60 AdamW epochs on 1,000 resumes). The page stays live, Pause works
    mid-training, and Reset mid-training starts over without losing or breaking anything."""
    from playwright.sync_api import expect

    _select(page, "acsim-firm", "bow")
    _fill(page, "acsim-epochs", "60")
    _fill(page, "acsim-n", "1000")
    _select(page, "acsim-network", "none")
    page.click(".acsim-reset")
    _wait_summary(page, "firm = bow (epochs=60)")
    wait_round(page, 0, timeout=WAIT)
    page.click(".acsim-play")
    page.wait_for_selector(".acsim-progress", timeout=WAIT * 1000)
    # the status line first says the model is ready; wait until it reports the training
    t0 = page.wait_for_function(
        "() => { const b = document.querySelector('.acsim-busy'); return b && b.innerText.includes('training the bow firm') && b.innerText; }",
        timeout=WAIT * 1000,
    ).json_value()
    page.click(".acsim-play")  # Pause while the firm trains: the button answers at once
    expect(page.locator(".acsim-play")).to_have_text(re.compile("play", re.I))
    # one look at the page: Pause is announced while round k still trains (round k - 1 shown);
    # k is 1 unless the machine is so slow that round 1 ended before the click arrived
    k = page.wait_for_function(
        "() => { const b = document.querySelector('.acsim-busy'), r = document.querySelector('.acsim-round');"
        " const m = b && b.innerText.match(/Pausing after round (\\d+)/);"
        " return m && r.innerText.trim() === 'Round: ' + (Number(m[1]) - 1) ? Number(m[1]) : null; }",
        timeout=WAIT * 1000).json_value()
    _wait_idle(page)
    assert round_number(page) == k  # the round finished and is shown...
    assert f"Round {k} done" in page.inner_text(".acsim-message")  # ...and no other round started
    assert "training the bow firm" in t0
    assert "bow" in page.inner_text(".acsim-summary")
    # Reset while a round trains
    page.click(".acsim-step")
    _wait_text(page, ".acsim-busy", f"Round {k + 1}: training the bow firm")
    page.click(".acsim-reset")
    wait_round(page, 0, timeout=WAIT)
    _wait_idle(page)
    expect(page.locator(".acsim-notes")).to_contain_text("1 background result(s) from before a Reset were discarded")
    assert round_number(page) == 0
    page.click(".acsim-step")
    wait_round(page, 1, timeout=WAIT)
    page.screenshot(path=str(ARTIFACTS / "dashboard-bow.png"), full_page=True)


# Installed in the page before a Reset: every status line shown, and how often each chart's image was replaced.
WATCH_JS = """() => {
  window.acsimSeen = []; window.acsimSrc = {}; window.acsimBar = [];
  const note = () => { const e = document.querySelector('.acsim-message'); const t = e ? e.innerText : '';
    if (window.acsimSeen[window.acsimSeen.length - 1] !== t) window.acsimSeen.push(t);
    const b = document.querySelector('.acsim-progress[aria-valuenow], .acsim-progress [aria-valuenow]');
    if (b && t.includes("Principal's probes")) window.acsimBar.push(Number(b.getAttribute('aria-valuenow'))); };
  new MutationObserver(ms => { note(); for (const m of ms) {
      if (m.type !== 'attributes') continue;
      const c = [...m.target.classList].find(x => x.startsWith('acsim-chart-'));
      if (c) window.acsimSrc[c] = (window.acsimSrc[c] || 0) + 1; } })
    .observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['src']});
}"""


@pytest.mark.slow
def test_a_bow_page_warms_up_with_progress_and_a_step_redraws_each_chart_once(page):
    """Building a bow model tokenizes the corpus and runs the principal's probes while the page
    shows what it is doing; then every Step replaces each chart's image at most once (the
    round counter's and the status line's re-renders leave the images alone)."""
    _select(page, "acsim-firm", "bow")
    _fill(page, "acsim-n", "2000")
    _select(page, "acsim-network", "none")
    page.evaluate(WATCH_JS)
    page.click(".acsim-reset")
    # The build (corpus, tokenizer, the principal's probes: 4 bow trainings) is the long wait:
    # ~10 s alone, over a minute beside another test's browser on 2 cores.
    _wait_summary(page, "firm = bow", timeout=3 * WAIT)
    wait_round(page, 0, timeout=WAIT)
    _wait_idle(page, timeout=3 * WAIT)
    wait_shown(page, 0)  # round 0's images are in too (they come after the status line)
    seen = page.evaluate("() => window.acsimSeen")
    building = [t for t in seen if t.startswith("Building the model (bow firm, 2,000 workers)")]
    assert any("Principal's probes: training the firm with" in t for t in building), seen
    assert any("Tokenizing resumes" in t or "Preparing the platform's resumes" in t or "Loading the corpus" in t
               for t in building), seen
    assert "Model ready in" in seen[-1]
    bar = page.evaluate("() => window.acsimBar")  # the bar says how far the probes are: 0 of 3, then more
    assert bar and min(bar) < max(bar) and 0 < max(bar) < 100, bar
    # Two Steps: a late extra redraw of round 1 would be counted before round 2 is shown.
    # Counting runs from round 0's last image to round 2's last (wait_shown), not from the
    # status line, which the browser shows a moment before the charts.
    page.evaluate("() => { window.acsimSrc = {}; }")
    for k in (1, 2):
        page.click(".acsim-step")
        wait_round(page, k, timeout=WAIT)
        _wait_idle(page)
        wait_shown(page, k)
    replaced = page.evaluate("() => window.acsimSrc")
    assert replaced.get("acsim-chart-alpha") == 2 and replaced.get("acsim-chart-firm") == 2, replaced
    assert all(v <= 2 for v in replaced.values()), replaced


def test_charts_show_every_collective_and_a_loaded_scenario_keeps_them():
    m = CollectiveActionModel(_small(network="none", principal="none", collectives=[{"initial_alpha": 0.05}, {"initial_alpha": 0.04}]))
    m.run(3)
    plain = CollectiveActionModel(_small(network="none", principal="none"))
    plain.run(3)
    from dashboard.charts import chart_alpha, chart_network  # these raise where render_all would draw the error
    from dashboard.network_sample import sample_network

    for chart in (chart_alpha, chart_success):
        assert chart(m, m.results(), None) != chart(plain, plain.results(), None)
    two = CollectiveActionModel(_small(network="none", principal="none", collectives=[{"initial_alpha": 0.05}]))
    two.run(3)
    for chart in (chart_alpha, chart_success, chart_network):  # a third collective is drawn too
        assert chart(m, m.results(), sample_network(m)) != chart(two, two.results(), sample_network(two))
    ctrl, base = C.load("competing_collectives")
    assert C.to_params(ctrl, base).collectives == [{"initial_alpha": 0.03, "target": 1, "trigger": "‡"}]
    assert "1 further collective from α = 0.03" in C.summary(C.to_params(ctrl, base))


def test_coordination_noise_and_the_bow_defence_are_controls():
    from dataclasses import replace

    p = C.to_params(replace(C.Controls(), firm="bow", network="none", principal="none", coordination=0.6, noise="spacing", min_df=30))
    assert (p.coordination, p.noise, p.firm_params) == (0.6, "spacing", {"min_df": 30})
    back = C.controls_from_params(p.fields())
    assert (back.coordination, back.noise, back.min_df) == (0.6, "spacing", 30)
    # a stray trigger is a text notion: the theory firm is sent "nothing" (else the model would refuse it)
    th = C.to_params(replace(C.Controls(), coordination=0.6, noise="spacing"))
    assert (th.coordination, th.noise) == (0.6, "nothing")
    # clearing the box removes a scenario's min_df; other firms never get one
    assert "min_df" not in C.to_params(replace(C.Controls(), firm="bow", network="none", principal="none"),
                                       C.Base(params=p.fields())).firm_params
    assert "min_df" not in C.to_params(replace(C.Controls(), firm="transformer", min_df=30, network="none", principal="none")).firm_params
    assert C.choices()["noise"] == ("nothing", "spacing", "other-trigger")


def test_page_loads_three_collectives_and_q_and_noise_reach_the_model(page):
    _fill(page, "acsim-scenario-path", "three_collectives")
    page.click(".acsim-load")
    _wait_text(page, ".acsim-scenario-name", "three_collectives")
    page.click(".acsim-reset")
    _wait_summary(page, "2 further collectives from α = 0.04, 0.04")
    assert page.locator(".acsim-min-df input").count() == 1  # bow firm: its defence box is shown
    _fill(page, "acsim-coordination", "0.5")
    _select(page, "acsim-noise", "spacing")
    page.click(".acsim-reset")
    _wait_summary(page, "members follow with q = 0.5 (spacing)")
    page.click(".acsim-step")
    wait_round(page, 1, timeout=WAIT)
    page.screenshot(path=str(ARTIFACTS / "dashboard-collectives.png"), full_page=True)


def test_the_finite_sample_curve_is_a_dashboard_choice():
    from dataclasses import replace

    assert "finite-sample" in C.CURVES
    p = C.to_params(replace(C.Controls(), curve="finite-sample"))
    assert p.firm_params == {"curve": "finite-sample"}
    # a scenario's settings of the curve survive the controls' round trip
    controls, base = C.load("finite_sample")
    assert controls.curve == "finite-sample"
    assert C.to_params(controls, base).firm_params == {"curve": "finite-sample", "signals": 1, "fail_prob": 0.05}
