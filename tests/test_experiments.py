"""The resume experiments: sigmoid fits, run bookkeeping, and a tiny end-to-end figure."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from acsim import experiments as X


def test_sigmoid_fit_recovers_known_curve_and_critical_mass():
    rng = np.random.default_rng(0)
    sizes = np.repeat(np.geomspace(1e-4, 1e-1, 12), 3)
    true = (0.05, 4.0, np.log10(3e-3))
    y = X.sigmoid(np.log10(sizes), *true) + rng.normal(0, 0.02, sizes.size)
    fit = X.fit_sigmoid(sizes, y, target_success=0.9)
    assert fit.params_ok
    expected = 10 ** (true[2] - np.log((1 - true[0]) / (0.9 - true[0]) - 1) / true[1])
    assert fit.critical_mass == pytest.approx(expected, rel=0.15)
    assert fit.ci_low <= fit.critical_mass <= fit.ci_high


def test_sigmoid_fit_reports_failure_instead_of_inventing_numbers():
    fit = X.fit_sigmoid(np.array([0.1, 0.2]), np.array([0.3, 0.4]))
    assert not fit.params_ok and "too few" in fit.note and np.isnan(fit.critical_mass)


def test_members_are_seeded_and_respect_the_unit():
    from acsim.data import synthetic_resumes

    train, _ = synthetic_resumes(n_train=600, n_test=10, seed=0)
    a = X.select_members(train, 0.1, "target-class", target=1, seed=3)
    b = X.select_members(train, 0.1, "target-class", target=1, seed=3)
    np.testing.assert_array_equal(a, b)
    assert train.labels[a, 1].all() and a.size == round(0.1 * train.labels[:, 1].sum())
    c = X.select_members(train, 0.1, "dataset", target=1, seed=4)
    assert c.size == 60 and not np.array_equal(np.sort(c)[:5], np.sort(a)[:5])


def test_paper_experiments_cover_figures_2_to_6():
    specs = X.paper_experiments()
    assert list(specs) == ["fig2", "fig3", "fig4", "fig5", "fig6"]
    assert {c.target for c in specs["fig3"].curves} == {0, 1, 2}
    assert {c.label_noise for c in specs["fig4"].curves} >= {0.0, 0.1}
    assert {c.epochs for c in specs["fig5"].curves} == {1, 2, 5}
    assert {c.spacing for c in specs["fig6"].curves} == {5, 10, 20, 40}
    assert len(specs["fig2"].sizes) == 20 and len(specs["fig2"].seeds) == 3


@pytest.mark.slow
def test_experiment_command_end_to_end(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "acsim", "experiment", "fig2", "--quick", "--n-train", "1500", "--n-test", "400",
           "--sizes", "5", "--out", str(tmp_path)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    runs = pd.read_parquet(tmp_path / "fig2" / "runs.parquet")
    assert len(runs) == 5 and set(runs["learner"]) == {"bow"}
    # the collective's control grows with its size: the largest beats the smallest clearly
    small, large = runs.sort_values("alpha")["success_inclusion"].iloc[[0, -1]]
    assert large > small + 0.2
    assert runs["accuracy"].min() > 0.9  # the firm still does its job on clean resumes
    manifest = json.loads((tmp_path / "fig2" / "manifest.json").read_text())
    assert manifest["learner"] == "bow" and manifest["n_train"] == 1500
    assert (tmp_path / "fig2" / "fig2.png").read_bytes()[:4] == b"\x89PNG"
    fits = pd.read_csv(tmp_path / "fig2" / "fits.csv")
    assert set(fits["metric"]) == {"success_inclusion", "success_top1"}


def test_experiment_command_rejects_unknown_names(tmp_path):
    r = subprocess.run([sys.executable, "-m", "acsim", "experiment", "fig9", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "unknown experiment 'fig9'" in r.stderr and "Traceback" not in r.stderr


def test_learner_options_reach_the_firm(tmp_path):
    """-L lr=1e-6: a firm that barely moves from its prior cannot be steered, so options really arrive."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "acsim", "experiment", "fig2", "--quick", "--n-train", "1500", "--n-test", "400",
           "--sizes", "3", "-L", "lr=1e-6", "--out", str(tmp_path)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((tmp_path / "fig2" / "manifest.json").read_text())
    assert manifest["learner_params"] == {"lr": 1e-6}
    runs = pd.read_parquet(tmp_path / "fig2" / "runs.parquet")
    assert runs["success_inclusion"].max() < 0.2  # the default lr steers the largest size (test above)


@pytest.mark.parametrize(
    "option, words",
    [("colour=red", "--learner-option colour: not a setting of the bow firm (allowed: "),
     ("seed=3", "seeds and epochs have their own options"),
     ("lr=-1", "lr must be > 0"),
     ("lr", "--learner-option needs KEY=VALUE")],
)
def test_bad_learner_options_are_one_line_errors(tmp_path, option, words):
    r = subprocess.run([sys.executable, "-m", "acsim", "experiment", "fig2", "-L", option, "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "fig2").exists()  # nothing trained, nothing written
