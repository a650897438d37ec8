"""The `acsim` command as a user runs it: a real subprocess, real files."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def acsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "acsim", *args], capture_output=True, text=True, cwd=cwd, env=ENV, timeout=120)


def test_version_and_help():
    from acsim import __version__

    r = acsim("--version")
    assert r.returncode == 0 and __version__ in r.stdout
    r = acsim("--help")
    assert r.returncode == 0 and "bounds" in r.stdout
    # one module per command (acsim/cli/), registered in this order
    commands = r.stdout.split("Commands:")[1]
    listed = [m.group(1) for m in re.finditer(r"^  (\w+) ", commands, flags=re.M)]
    assert listed == ["bounds", "experiment", "run", "investment", "dashboard"]


def _imported(*args: str) -> set[str]:
    """The modules a command imports (python -X importtime), top-level names."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "acsim", *args], capture_output=True, text=True, env=ENV,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in r.stderr.splitlines() if line.startswith("import time:") and "|" in line}


def test_startup_imports_only_what_the_command_needs():
    """Lean startup (benchmarks/startup.py times it): --help loads no numpy, pandas, torch or typer's rich
    help; bounds --no-plot no matplotlib; the version is read only when asked."""
    help_mods = _imported("--help")
    for heavy in ("numpy", "pandas", "torch", "scipy", "mesa", "matplotlib", "pydantic", "typer.rich_utils", "importlib.metadata"):
        assert heavy not in help_mods, heavy
    bounds = _imported("bounds", "--no-plot")
    assert "numpy" in bounds and not any(m.startswith("matplotlib") for m in bounds)
    assert "importlib.metadata" in _imported("--version")


def test_a_theory_firm_run_loads_no_torch_though_its_scenario_has_text_variants(tmp_path):
    """quickstart's bow and gpu variants are checked at load by building their learners; torch
    loads only where a firm trains (acsim run quickstart 3.2-3.6 s -> 1.5-1.6 s), and a bad
    learner setting is still refused before anything runs."""
    mods = _imported("run", "quickstart", "--no-figures", "--no-progress", "--out", str(tmp_path / "q"))
    assert "acsim" in mods and "torch" not in mods and "transformers" not in mods
    bad = tmp_path / "bad.toml"
    bad.write_text((Path(__file__).resolve().parents[1] / "scenarios" / "quickstart.toml").read_text()
                   .replace('"firm.learner" = { epochs = 3 }', '"firm.learner" = { epochs = 0 }'))
    r = acsim("run", str(bad), "--no-figures", "--out", str(tmp_path / "b"))
    assert r.returncode == 2 and "variants.gpu" in r.stderr and "epochs" in r.stderr and "Traceback" not in r.stderr, r.stderr
    code = ("import sys; from acsim.platform.learners import make_learner; "
            "from acsim.runs.scenario_params import learner_values; "
            "print(learner_values('bow', '{\"C\": 2.0}'), 'torch' in sys.modules, end=' '); "
            "make_learner('bow'); print('torch' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["None", "False", "True"]  # checked without torch; made to train, with it


def test_a_bow_firms_process_does_not_load_torch_dynamo():
    """torch.optim's Optimizer imports torch._dynamo (1.5 s) on its first use; the bow firm's default
    (Newton) solver trains without one, so a bow batch's processes never pay for it."""
    code = ("import sys; from acsim.abm.model import CollectiveActionModel, ModelParams; "
            "m = CollectiveActionModel(ModelParams(firm='bow', n_workers=200, rounds=1, seed=0, initial_alpha=0.1)); "
            "rows = m.run(); assert rows['S_source'].iloc[0] == 'trained:bow'; print('torch' in sys.modules, 'torch._dynamo' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["True", "False"]  # torch trained the firm; dynamo never loaded


def test_bounds_prints_critical_masses_and_writes_png(tmp_path):
    out = tmp_path / "fig" / "bounds.png"
    r = acsim("bounds", "--xi", "0.001", "--target", "0.9", "--cost", "0.2", "--gamma", "0.5", "--out", str(out))
    assert r.returncode == 0, r.stderr
    # Corollary 2 with ξ = 0.001, Δ = 1, S* = 0.9: 0.001 / (0.1 + 0.001)
    assert "0.009901" in r.stdout
    assert "threshold S* = c/(1 − γ) = 0.4" in r.stdout
    assert "α_crit = 0.001664" in r.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000


def test_bounds_prints_the_exact_investment_on_a_steep_curve():
    # ξ = 1e-4: Theorem 1 rises within one step of a uniform grid; fine quadrature gives 2.554e-5
    r = acsim("bounds", "--xi", "0.0001", "--cost", "0.2", "--gamma", "0.5", "--no-plot")
    assert r.returncode == 0, r.stderr
    assert "B(α_crit) = 2.554e-05 per worker" in r.stdout


def test_bounds_reports_never_rational():
    r = acsim("bounds", "--cost", "0.6", "--gamma", "0.5", "--no-plot")
    assert r.returncode == 0
    assert "Never individually rational" in r.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--eps", "0.7"], "eps must be in [0, 0.5), got 0.7"),
        (["--gamma", "1.3", "--cost", "0.1"], "gamma must be in [0, 1], got 1.3"),
        (["--target", "1.0"], "target must be in (0, 1), got 1"),
        (["--strategy", "nope"], "--strategy must be one of"),
        (["--xis", "a,b"], "--xis must be a comma-separated list"),
    ],
)
def test_bad_input_is_one_clear_line_exit_2(args, message, tmp_path):
    r = acsim("bounds", *args, "--out", str(tmp_path / "x.png"))
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


@pytest.mark.parametrize("args, words", [
    (["--xi", "1.5"], "--xi must be in [0, 1] (a probability), got 1.5"),
    (["--xis", "2,3"], "--xis must be in [0, 1] (a probability), got 2"),
    (["--tau", "-0.1"], "--tau must be in [0, 1] (a probability), got -0.1"),
])
def test_bounds_refuses_probabilities_outside_0_1(args, words):
    r = acsim("bounds", *args, "--no-plot")
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr


def test_bounds_finite_sample_table_is_checked_by_sampling(tmp_path):
    # Gauthier et al. (2025): at N = 10,000 a rare signal (ξ = 0.01) is guaranteed only from
    # ~13% of the platform, where Theorem 1 (infinite data) already promises 0.9 at 10%.
    out = tmp_path / "bounds.png"
    r = acsim("bounds", "--xi", "0.01", "--n-members", "500,2000", "--n-total", "10000", "--draws", "1000", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "Finite-sample feature-label bound (Thm 3.3" in r.stdout
    assert "first guarantees success > 0 at n = 2,000 (α = 0.2)" in r.stdout
    assert "Ŝ ≥ bound in 100.0% of draws or more (promised ≥ 95%)" in r.stdout
    assert "looser at 2 of 2 sizes" in r.stdout
    assert (tmp_path / "bounds_finite.png").read_bytes()[:4] == b"\x89PNG"
    r = acsim("bounds", "--strategy", "unplanting", "--xi", "0.05", "--delta", "0.4", "--n-members", "4000",
              "--n-total", "10000", "--no-plot")
    assert r.returncode == 0, r.stderr
    assert "Finite-sample unplanting bound (Thm 3.7" in r.stdout


@pytest.mark.parametrize("args, words", [
    (["--n-members", "100"], "--n-members needs --n-total"),
    (["--n-members", "100,20000", "--n-total", "10000"], "--n-members must be in [1, 9999] (members of a platform of N = 10000), got 20000"),
    (["--n-members", "10.5", "--n-total", "100"], "--n-members must be whole member counts"),
    (["--n-total", "100"], "--n-total applies only with --n-members"),
    (["--n-members", "10", "--n-total", "100", "--fail-prob", "0"], "--fail-prob must be in (0, 1)"),
    (["--n-members", "10", "--n-total", "100", "--strategy", "erasure"], "Theorem 3.9 needs a world"),
    (["--strategy", "unplanting"], "(unplanting: with --n-members)"),
])
def test_bounds_finite_sample_refuses_bad_input(args, words):
    r = acsim("bounds", *args, "--no-plot")
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr and r.stdout == ""


def test_run_refuses_an_out_path_that_is_a_file(tmp_path):
    f = tmp_path / "taken"
    f.write_text("x")
    r = acsim("run", "quickstart", "--out", str(f / "sub"), "--executor", "serial")
    assert r.returncode == 2 and f"{f} is a file, not a folder" in r.stderr and "Traceback" not in r.stderr
    assert f.read_text() == "x"
