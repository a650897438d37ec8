"""Bad input is refused before any worker starts: exit 2, one line naming file, field and what is allowed.

Each case is one a user met on main (issue 13): CSV data that cannot be read, learner
settings only the learner knew were wrong, variants nobody had asked for yet, a cost
distribution that overflows, options that cannot apply to the chosen firm or belief.
The CLI cases run the real command; `acsim run` (not only --dry-run) must start no
worker, so no run folder appears.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from acsim.runs.preflight import check_inputs
from acsim.runs.scenarios import ScenarioError, parse_scenario

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}

GOOD_CSV = "text,labels\n" + "".join(
    f"resume {i} with some words about {'nursing care' if i % 2 else 'cooking food'},{'nurse' if i % 2 else 'cook'}\n"
    for i in range(40)
)
BOW = 'name = "c"\nrounds = 2\n[population]\nn = 40\n[firm]\nkind = "bow"\n'


def acsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "acsim", *args], capture_output=True, text=True, cwd=cwd, env=ENV, timeout=180)


def one_line_error(r, *words: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout[-1000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def _scenario(tmp_path: Path, data_lines: str, csv: bytes | str | None = GOOD_CSV, extra: str = "") -> Path:
    if csv is not None:
        (tmp_path / "data.csv").write_bytes(csv.encode() if isinstance(csv, str) else csv)
    f = tmp_path / "s.toml"
    f.write_text(BOW + '[data]\nsource = "csv"\n' + data_lines + extra)
    return f


CSV_CASES = {
    "missing file": ('path = "nope.csv"\n', None, ["nope.csv", "file not found"]),
    "missing column": ('path = "data.csv"\ntext_column = "body"\n', GOOD_CSV, ["no column 'body'", "line 1"]),
    "empty text": ('path = "data.csv"\n', "text,labels\nhello,nurse\n,cook\n", ["line 3", "empty text"]),
    "undecodable bytes": ('path = "data.csv"\n', b"text,labels\nh\xe9llo,nurse\n", ["line 2", "cannot decode"]),
    "0-byte file": ('path = "data.csv"\n', b"", ["empty file"]),
    "only a header": ('path = "data.csv"\n', "text,labels\n", ["no data rows"]),
    "unknown label": ('path = "data.csv"\noptions = { label_names = ["nurse"] }\n', GOOD_CSV, ["unknown label 'cook'"]),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_csv_data_problems_are_found_by_the_loader_before_any_run(tmp_path, case):
    lines, csv, words = CSV_CASES[case]
    f = _scenario(tmp_path, lines, csv)
    with pytest.raises(ScenarioError) as err:
        check_inputs(parse_scenario(f.read_text(), f))
    msg = str(err.value)
    assert msg.startswith(f"{f}: data.path") and "\n" not in msg
    for w in words:
        assert w in msg


@pytest.mark.parametrize("case", ["missing file", "empty text"])
def test_acsim_run_and_dry_run_refuse_bad_data_with_exit_2_and_start_no_worker(tmp_path, case):
    lines, csv, words = CSV_CASES[case]
    f = _scenario(tmp_path, lines, csv)
    out = tmp_path / "out"
    one_line_error(acsim("run", str(f), "--dry-run", "--out", str(out)), str(f), "data.path", *words)
    one_line_error(acsim("run", str(f), "--out", str(out), "--no-progress"), str(f), "data.path", *words)
    assert not (out / "runs").exists()


def test_a_class_the_data_does_not_have_is_refused_before_the_run(tmp_path):
    f = _scenario(tmp_path, 'path = "data.csv"\n', extra="[collective]\ntarget = 5\n")
    with pytest.raises(ScenarioError, match=r"collective.target = 5 is outside \[0, 1\] \(a class of the corpus\)"):
        check_inputs(parse_scenario(f.read_text(), f))


def test_n_test_with_csv_data_sets_the_test_split(tmp_path):
    from acsim.platform.data import load_csv

    (tmp_path / "data.csv").write_text(GOOD_CSV)
    train, test = load_csv(tmp_path / "data.csv", n_test=10, seed=3)
    assert (len(train), len(test)) == (30, 10)
    train, test = load_csv(tmp_path / "data.csv", n_train=12, n_test=10, seed=3)
    assert (len(train), len(test)) == (12, 10) and not set(train.ids) & set(test.ids)
    with pytest.raises(ValueError, match=r"n_test must be in \[1, 39\]"):
        load_csv(tmp_path / "data.csv", n_test=40)
    # And from a scenario, as the issue tried it: the run works (exit 0).
    f = _scenario(tmp_path, 'path = "data.csv"\nn_test = 10\n')
    r = acsim("run", str(f), "--out", str(tmp_path / "out"), "--no-progress", "--no-figures", "--executor", "serial")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("learner, setting, words", [
    ("bow", "epochs = -1e9", "firm.learner.epochs = -1e+09 must be an integer >= 1"),
    ("bow", "epochs = 1.5", "firm.learner.epochs = 1.5 must be an integer >= 1"),
    ("bow", "lr = 'fast'", 'firm.learner.lr = "fast" must be a number > 0'),
    ("transformer", "bf16 = []", "firm.learner.bf16 = [] must be 'auto', True or False"),
    ("transformer", "max_length = 1.5", "firm.learner.max_length = 1.5 must be an integer >= 4"),
    ("transformer", "device = 'gpu'", "firm.learner.device"),
    ("encoder", "model_path = '/no/such/model'", "firm.learner.model_path"),
])
def test_learner_settings_are_checked_by_the_learner_when_the_scenario_loads(learner, setting, words):
    text = f'name = "l"\n[firm]\nkind = "{learner}"\nlearner = {{ {setting} }}\n'
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "l.toml")
    assert words in str(err.value) and str(err.value).startswith("l.toml: ")


def test_a_cuda_device_is_a_name_check_not_a_machine_check():
    # The driver of a Ray cluster may have no GPU its workers have: device = "cuda" loads.
    parse_scenario('name = "g"\n[firm]\nkind = "transformer"\nlearner = { device = "cuda" }\n', "g.toml")


@pytest.mark.parametrize("variant, words", [
    ("seeds = []", "variants.v: seeds = [] must list at least one seed"),
    ('"firm.kind" = -1e9', "variants.v: firm.kind = -1e+09 must be one of"),
    ('rounds = "abc"', 'variants.v: rounds = "abc" must be an integer'),
    ('"firm.kind" = "bow"\n"firm.learner" = { epochs = 0 }', "variants.v: firm.learner.epochs = 0 must be an integer >= 1"),
    ('"population.nn" = 5', "variants.v: unknown key population.nn"),
])
def test_every_variant_is_validated_even_when_not_asked_for(variant, words):
    text = f'name = "v"\n[variants.v]\n{variant}\n'
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "v.toml")
    assert words in str(err.value)


def test_a_variant_is_validated_at_each_sweep_point():
    text = 'name = "v"\n[sweep]\n"population.n" = [10, 20]\n[variants.v]\n"principal.policy" = "hubs"\n'
    with pytest.raises(ScenarioError, match="hubs"):
        parse_scenario(text, "v.toml")


def test_a_lognormal_cost_that_overflows_is_refused(tmp_path):
    r = acsim("run", "quickstart", "--dry-run", "--out", str(tmp_path / "o"),
              "--set", 'population.cost={dist="lognormal", mean=1e6, sigma=50}')
    one_line_error(r, "quickstart.toml", "population.cost.sigma = 50", "overflow")
    # The model, given the same directly, says the same (one rule, two doors).
    from acsim.abm.model import ModelParams

    with pytest.raises(ValueError, match="overflow"):
        ModelParams(cost_dist="lognormal", cost_params={"mean": 700.0, "sigma": 1.0})
    ModelParams(cost_dist="lognormal", cost_params={"mean": -1.75, "sigma": 0.6})


def test_erasure_with_a_text_firm_is_refused_naming_the_strategy():
    with pytest.raises(ScenarioError, match=r"collective.strategy = \"erasure\" needs firm.kind = 'theory' or 'bayes', not 'bow'"):
        parse_scenario('name = "e"\n[collective]\nstrategy = "erasure"\n[firm]\nkind = "bow"\n', "e.toml")


def test_a_network_nobody_reads_is_a_note():
    text = 'name = "n"\n[population]\nnetwork = { kind = "erdos_renyi", mean_degree = 4 }\n'
    notes = parse_scenario(text, "n.toml").notes
    assert any("population.network = 'erdos_renyi' not used" in n for n in notes)
    text += '[workers]\nbelief = "network"\n'
    assert not any("population.network" in n for n in parse_scenario(text, "n.toml").notes)


def test_an_out_path_that_is_an_existing_file_is_refused(tmp_path):
    f = tmp_path / "taken"
    f.write_text("x")
    one_line_error(acsim("run", "quickstart", "--out", str(f)), f"--out {f}: {f} is a file, not a folder")


@pytest.mark.parametrize("args, words", [
    (["--seeds", "0"], "--seeds"), (["--sizes", "-3"], "--sizes"), (["--epochs", "0"], "--epochs"), (["--n-test", "0"], "--n-test"),
])
def test_experiment_counts_of_zero_or_less_are_errors_naming_the_option(args, words):
    one_line_error(acsim("experiment", "fig2", "--quick", *args), words)


def test_settings_the_chosen_belief_or_principal_never_read_are_notes():
    text = 'name = "n"\n[workers]\nprior = 0.3\n[principal]\nbudget = 2.0\nmargin = 0.1\n'
    notes = parse_scenario(text, "n.toml").notes
    assert "workers.prior not used by workers.belief = 'empirical' (only by 'network')" in notes
    assert "principal.budget, principal.margin not used: principal.policy = 'none' (no principal invests)" in notes
    text = text.replace("[principal]\n", '[principal]\npolicy = "cheapest"\n')
    assert not any(n.startswith("principal.") for n in parse_scenario(text, "n.toml").notes)


@pytest.mark.parametrize("args, words", [
    (["--xi", "1.5"], "--xi must be in [0, 1] (a probability), got 1.5"),
    (["--p", "0"], "--p must be in (0, 1] (a probability), got 0"),
    (["--tau", "2"], "--tau must be in [0, 1] (a probability), got 2"),
    (["--cost", "-1:0.5:3"], "--cost must be in [0, inf), got -1"),
    (["--seed", "-1"], "--seed must be >= 0, got -1"),
    (["--jobs", "0", "--simulate"], "--jobs must be >= 1, got 0"),
    (["--n-workers", "0"], "--n-workers must be >= 1, got 0"),
])
def test_investment_options_are_checked_naming_the_option(tmp_path, args, words):
    one_line_error(acsim("investment", *args, "--no-plot", "--out", str(tmp_path / "inv")), words)
    assert not (tmp_path / "inv").exists()  # nothing written
