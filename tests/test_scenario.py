"""Scenario files: the schema, its messages, sweeps, variants, and the shipped scenarios.

A user's typo or out-of-range value must come back as one line naming file, field, value
and what is allowed, with exit code 2 and no traceback; unknown keys are errors; loading
never runs code from the file.
"""

from __future__ import annotations

import re

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from acsim.abm.model import ModelParams
from acsim.runs.scenarios import (
    ScenarioError,
    load_scenario,
    model_params,
    parse_override,
    parse_scenario,
    shipped_scenarios,
)

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
WHERE = "scenarios/x.toml"


def err(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, WHERE)
    return str(info.value)


# --------------------------------------------------------------------------- defaults


def test_one_line_scenario_is_valid_and_maps_onto_the_models_defaults():
    loaded = parse_scenario('name = "mine"', WHERE)
    sc = loaded.scenario
    assert sc.name == "mine" and sc.kind == "model" and sc.seeds == [0] and sc.rounds == 20
    params = model_params(sc)
    defaults = ModelParams()
    for key in ("n_workers", "cost_dist", "cost_params", "gamma_dist", "gamma_params", "initial_alpha", "strategy",
                "target", "firm", "belief", "network", "principal", "budget", "margin", "allow_leave", "temperature", "rounds"):
        assert params[key] == getattr(defaults, key), key
    assert len(loaded.runs()) == 1


def test_an_empty_file_is_valid_and_takes_its_name_from_the_file(tmp_path):
    path = tmp_path / "empty_one.toml"
    path.write_text("")
    assert load_scenario(path).name == "empty_one"


def test_full_scenario_maps_every_section_onto_model_params():
    text = """
    rounds = 7
    seeds = [3, 5]
    [population]
    n = 500
    cost = { dist = "uniform", low = 0.1, high = 0.3 }
    gamma = { dist = "beta", a = 2.0, b = 3.0 }
    network = { kind = "watts_strogatz", k = 4, p = 0.2 }
    [collective]
    strategy = "feature-only"
    target = 1
    initial_alpha = 0.05
    initial_selection = "hubs"
    [firm]
    kind = "theory"
    curve = "sigmoid"
    midpoint = 0.2
    slope = 30
    success_metric = "top1"
    [firm.bound]
    xi = 0.01
    p = 0.4
    [workers]
    belief = "network"
    prior = 0.1
    hearing = "any"
    allow_leave = false
    temperature = 0.05
    [principal]
    policy = "hubs"
    budget = 12.5
    margin = 0.01
    recruits_per_round = 20
    target_alpha = 0.3
    """
    loaded = parse_scenario(text, WHERE)
    p = model_params(loaded.scenario)
    assert p["n_workers"] == 500 and p["rounds"] == 7
    assert p["cost_dist"] == "uniform" and p["cost_params"] == {"low": 0.1, "high": 0.3}
    assert p["gamma_dist"] == "beta" and p["gamma_params"] == {"a": 2.0, "b": 3.0}
    assert p["network"] == "watts_strogatz" and p["network_params"] == {"k": 4, "p": 0.2}
    assert p["strategy"] == "feature-only" and p["target"] == 1 and p["initial_selection"] == "hubs"
    assert p["firm_params"] == {"curve": "sigmoid", "midpoint": 0.2, "slope": 30.0, "offset": 0.0}
    assert p["theory_params"] == {"xi": 0.01, "p": 0.4} and p["success_metric"] == "top1"
    assert (p["belief"], p["prior_belief"], p["hearing"], p["allow_leave"], p["temperature"]) == ("network", 0.1, "any", False, 0.05)
    assert (p["principal"], p["budget"], p["margin"], p["recruits_per_round"], p["principal_target_alpha"]) == ("hubs", 12.5, 0.01, 20, 0.3)
    ModelParams(**p, seed=0)  # the model accepts it as is
    assert [r.seed for r in loaded.runs()] == [3, 5]


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    "text, message",
    [
        ("[population]\ngamma = 1.3", f"{WHERE}: population.gamma = 1.3 is outside [0, 1]"),
        ("[population]\ngamma = { dist = 'uniform', low = 0.1, high = 1.3 }", f"{WHERE}: population.gamma.high = 1.3 is outside [0, 1]"),
        ("[population]\ncost = -0.1", f"{WHERE}: population.cost = -0.1 is outside [0, inf)"),
        ("[population]\nn = 0", f"{WHERE}: population.n = 0 is outside [1, 10000000]"),
        ("[population]\nn = 10.5", f"{WHERE}: population.n = 10.5 must be an integer"),
        ('[population]\nn = "1000"', f'{WHERE}: population.n = "1000" must be an integer'),
        ("[collective]\ninitial_alpha = 2", f"{WHERE}: collective.initial_alpha = 2 is outside [0, 1]"),
        ('[firm]\nkind = "nn"', f"{WHERE}: firm.kind = \"nn\" must be one of 'theory', 'bayes', 'bow', 'encoder', 'transformer'"),
        ("[firm.bound]\neps = 0.5", f"{WHERE}: firm.bound.eps = 0.5 is outside [0, 0.5)"),
        ("[principal]\nbudget = nan", f"{WHERE}: principal.budget = nan is outside [0, inf]"),
        ('[principal]\nstop = "never"', f"{WHERE}: principal.stop = \"never\" must be one of 'target', 'sustained'"),
        ("[workers]\nallow_leave = 1", f"{WHERE}: workers.allow_leave = 1 must be true or false"),
        ("seeds = [1, -2]", f"{WHERE}: seeds[1] = -2 is outside [0, inf)"),
        ('[population]\ncost = { dist = "uniform", low = 0.1 }', f"{WHERE}: population.cost.high is required for dist = 'uniform'"),
        ('[firm]\ncurve = "sigmoid"\nslope = 3', f"{WHERE}: firm.midpoint is required when firm.curve = 'sigmoid'"),
        ('[principal]\npolicy = "hubs"', f'{WHERE}: principal.policy = "hubs" needs a network: set population.network to one of'),
        ("population = 3", f"{WHERE}: population = 3 must be a table"),
    ],
)
def test_invalid_values_name_file_field_value_and_allowed_range(text, message):
    assert err(text).startswith(message)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[population]\ngama = 0.3", f"{WHERE}: unknown key population.gama (did you mean 'gamma'?"),
        ("nmae = 'x'", f"{WHERE}: unknown key nmae (did you mean 'name'?"),
        ("[principle]\npolicy = 'none'", f"{WHERE}: unknown key principle (did you mean 'principal'?"),
        ("[firm.bound]\nksi = 0.1", f"{WHERE}: unknown key firm.bound.ksi"),
        ('[firm]\nkind = "bow"\nlearner = { epoch = 3 }', f"{WHERE}: firm.learner.epoch = 3 is not a known setting here (did you mean 'epochs'?)"),
        ('[sweep]\n"population.gamm" = [0.1, 0.2]', f"{WHERE}: sweep: unknown key population.gamm"),
    ],
)
def test_unknown_keys_are_errors_not_silently_ignored(text, message):
    assert err(text).startswith(message)


def test_a_bad_sweep_value_is_reported_with_its_point():
    msg = err('[sweep]\n"population.gamma" = [0.1, 1.3]')
    assert msg.startswith(f"{WHERE}: sweep: population.gamma = 1.3 is outside [0, 1]")
    assert "at sweep point population.gamma = 1.3" in msg


def test_invalid_toml_is_one_line():
    msg = err("x = ")
    assert msg.startswith(f"{WHERE}: invalid TOML:") and "\n" not in msg


def test_loading_never_executes_code_from_the_file(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    for text in (f'name = "{payload}"', f'description = "{payload}"', f'[population]\nn = "{payload}"',
                 f'[sweep]\n"population.n" = ["{payload}"]'):
        try:
            loaded = parse_scenario(text, WHERE)
            loaded.runs()
        except ScenarioError:
            pass
    assert not marker.exists()
    src = (Path(__file__).parents[1] / "acsim" / "runs" / "scenarios.py").read_text()
    for forbidden in ("eval(", "exec(", "pickle", "yaml.load", "import_module(sc", "__import__"):
        assert forbidden not in src


def test_cli_reports_a_bad_scenario_in_one_line_with_exit_code_2(tmp_path):
    bad = tmp_path / "x.toml"
    bad.write_text("[population]\ngamma = 1.3\n")
    r = subprocess.run([sys.executable, "-m", "acsim", "run", str(bad), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, env=ENV, timeout=120)
    assert r.returncode == 2
    assert f"{bad}: population.gamma = 1.3 is outside [0, 1]" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
    r = subprocess.run([sys.executable, "-m", "acsim", "run", str(tmp_path / "missing.toml")],
                       capture_output=True, text=True, env=ENV, timeout=120)
    assert r.returncode == 2 and "no such scenario file" in r.stderr and "Traceback" not in r.stderr


# --------------------------------------------------------------------------- sweeps, variants, ids


def test_grid_sweep_is_the_product_and_zip_pairs_values():
    grid = parse_scenario('seeds = 2\n[sweep]\n"population.cost" = [0.1, 0.2, 0.3]\n"collective.initial_alpha" = [0.0, 0.5]', WHERE)
    assert len(grid.points) == 6 and len(grid.runs()) == 12
    assert grid.points[1] == {"population.cost": 0.1, "collective.initial_alpha": 0.5}  # last key fastest
    zipped = parse_scenario('[sweep]\nmode = "zip"\n"population.cost" = [0.1, 0.2]\n"population.gamma" = [0.3, 0.4]', WHERE)
    assert zipped.points == [{"population.cost": 0.1, "population.gamma": 0.3}, {"population.cost": 0.2, "population.gamma": 0.4}]
    msg = err('[sweep]\nmode = "zip"\n"population.cost" = [0.1, 0.2]\n"population.gamma" = [0.3]')
    assert "mode = 'zip' needs lists of one length" in msg


def test_sweep_ranges_nested_keys_and_distribution_tables():
    loaded = parse_scenario(
        '[sweep]\npopulation.cost = { linspace = [0.1, 0.3, 3] }\n'
        '"population.gamma" = [0.5, { dist = "uniform", low = 0.2, high = 0.6 }]\n'
        '"principal.budget" = { geomspace = [1, 100, 3] }', WHERE)
    costs = sorted({p["population.cost"] for p in loaded.points})
    assert costs == pytest.approx([0.1, 0.2, 0.3])
    assert sorted({p["principal.budget"] for p in loaded.points}) == pytest.approx([1, 10, 100])
    params = [model_params(sc) for sc in loaded.resolved]
    assert {(p["gamma_dist"], tuple(sorted(p["gamma_params"].items()))) for p in params} == {
        ("constant", (("value", 0.5),)), ("uniform", (("high", 0.6), ("low", 0.2)))}
    # A swept table becomes JSON text in every row of its column (parquet needs one type).
    cols = {r.point["population.gamma"] for r in loaded.runs()}
    assert all(isinstance(c, str) for c in cols)


def test_run_ids_are_stable_and_depend_on_parameters_and_seed():
    a = parse_scenario("seeds = 2\n[population]\nn = 300", WHERE).runs()
    b = parse_scenario("seeds = 2\n[population]\nn = 300  # same\n", "elsewhere.toml").runs()
    c = parse_scenario("seeds = 2\n[population]\nn = 301", WHERE).runs()
    assert [r.run_id for r in a] == [r.run_id for r in b]
    assert a[0].run_id != a[1].run_id
    assert not {r.run_id for r in a} & {r.run_id for r in c}
    # Settings the chosen firm never reads do not change what the run computes, nor its id.
    d = parse_scenario('seeds = 2\n[population]\nn = 300\n[data]\nn_train = 50', WHERE)
    assert [r.run_id for r in d.runs()] == [r.run_id for r in a]
    assert d.notes == ["data not used by firm.kind = 'theory' (only the text firms read resumes)"]


def test_variants_and_overrides():
    text = '[population]\nn = 300\n[variants.big]\n"population.n" = 5000\nseeds = 3'
    assert parse_scenario(text, WHERE, variant="big").scenario.population.n == 5000
    assert len(parse_scenario(text, WHERE, variant="big").runs()) == 3
    with pytest.raises(ScenarioError, match="no variant 'gpu' \\(variants: big\\)"):
        parse_scenario(text, WHERE, variant="gpu")
    over = dict([parse_override("population.n=700"), parse_override("firm.kind=bayes")])
    sc = parse_scenario(text, WHERE, overrides=over).scenario
    assert sc.population.n == 700 and sc.firm.kind == "bayes"
    with pytest.raises(ScenarioError, match="population.n = 0 is outside"):
        parse_scenario(text, WHERE, overrides={"population.n": 0})


# --------------------------------------------------------------------------- shipped scenarios

EXPECTED = {"quickstart", "olson_organic", "olson_principal", "targeted_recruitment", "heterogeneous_costs",
            "paper_fig2", "paper_fig3", "paper_fig4", "paper_fig5", "paper_fig6", "network_principal",
            "competing_collectives"}


def test_every_shipped_scenario_loads_with_a_cpu_default_and_a_gpu_variant():
    assert EXPECTED <= set(shipped_scenarios())
    for name in EXPECTED:
        loaded = load_scenario(name)
        sc = loaded.scenario
        assert sc.description and "GPU variant" in sc.description, name
        assert sc.firm.kind in ("theory", "bow"), name  # the default runs on a CPU
        gpu = load_scenario(name, variant="gpu")
        assert gpu.scenario.firm.kind == "transformer", name
        assert all(r.gpu for r in gpu.runs()) and not any(r.gpu for r in loaded.runs()), name
        if name.startswith("paper_fig"):
            assert sc.kind == "experiment" and sc.experiment.figure == name.replace("paper_", "")
        else:
            assert sc.kind == "model" and not loaded.notes, name


def test_quickstart_is_small():
    loaded = load_scenario("quickstart")
    runs = loaded.runs()
    assert 10 <= len(runs) <= 50
    assert all(r.params["firm"] == "theory" and r.params["n_workers"] * r.params["rounds"] <= 500_000 for r in runs)


def test_principal_scenario_brackets_the_investment():
    """olson_principal's budgets sit on both sides of N·B(α_crit) (Figure 7)."""
    from acsim.theory import economics

    sc = load_scenario("olson_principal").scenario
    curve = economics.sigmoid_curve(sc.firm.midpoint, sc.firm.slope)
    nb = sc.population.n * economics.principal_investment(curve, sc.population.cost.value, sc.population.gamma.value)
    budgets = [p["principal.budget"] for p in load_scenario("olson_principal").points]
    assert min(budgets) < nb < max(budgets) and math.isinf(max(budgets))


def test_network_principal_scenario_sweeps_the_stopping_rule():
    runs = load_scenario("network_principal").runs()
    stops = {(r.params["principal"], r.params.get("principal_stop", "target")) for r in runs}
    assert stops == {(p, s) for p in ("hubs", "random", "cheapest") for s in ("target", "sustained")}
    # the default rule is left out of the parameters, so run ids of older batches stay valid
    assert all("principal_stop" not in r.params for r in runs if r.point["principal.stop"] == "target")


def test_collectives_tables_map_to_the_model_and_errors_read_like_the_file():
    text = ('[collective]\ninitial_alpha = 0.2\n[[collectives]]\ninitial_alpha = 0.1\ntrigger = "X"\n'
            '[[collectives]]\ninitial_alpha = 0.05\ntrigger_spacing = 7\n'
            '[firm]\nkind = "theory"\ncurve = "sigmoid"\nmidpoint = 0.1\nslope = 60')
    runs = parse_scenario(text, WHERE).runs()
    assert runs[0].params["collectives"] == [{"initial_alpha": 0.1, "trigger": "X"}, {"initial_alpha": 0.05, "spacing": 7}]
    plain = parse_scenario("[collective]\ninitial_alpha = 0.2", WHERE).runs()[0].params
    assert not {"collectives", "coordination", "noise"} & set(plain)  # run ids of older batches stay valid
    noisy = parse_scenario('[collective]\ncoordination = 0.7\nnoise = "other-trigger"\n[firm]\nkind = "bow"', WHERE).runs()[0].params
    assert (noisy["coordination"], noisy["noise"]) == (0.7, "other-trigger")
    with pytest.raises(ScenarioError, match=re.escape("x.toml: collectives[0].initial_alpha = 0.9 makes the collectives' initial shares "
                                                      "sum to 1.1 > 1 (membership is exclusive)")):
        parse_scenario(text.replace("initial_alpha = 0.1", "initial_alpha = 0.9"), WHERE)
    with pytest.raises(ScenarioError, match=re.escape("x.toml: collectives[1].trigger_spacing = 0 is outside [1, inf)")):
        parse_scenario(text.replace("trigger_spacing = 7", "trigger_spacing = 0"), WHERE)
    with pytest.raises(ScenarioError, match=r"unknown key collectives\[0\]\.size"):
        parse_scenario("[[collectives]]\nsize = 0.1", WHERE)
    with pytest.raises(ScenarioError, match=r"x.toml: collective.noise = \"spacing\" needs a text firm"):
        parse_scenario('[collective]\ncoordination = 0.5\nnoise = "spacing"', WHERE)
    with pytest.raises(ScenarioError, match=re.escape("x.toml: [rival] is now [[collectives]] (one table per further collective, the same keys)")):
        parse_scenario("[rival]\ninitial_alpha = 0.1", WHERE)
