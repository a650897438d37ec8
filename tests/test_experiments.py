"""The resume experiments: run bookkeeping, corpora per seed, and a tiny end-to-end figure (fits: test_fits.py)."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from acsim.platform import experiments as X


def test_members_are_seeded_and_respect_the_unit():
    from acsim.platform.data import synthetic_resumes

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
           "--sizes", "5", "--seeds", "2", "--out", str(tmp_path)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    runs = pd.read_parquet(tmp_path / "fig2" / "runs.parquet")
    assert set(runs["learner"]) == {"bow"} and sorted(set(runs["data_seed"])) == [0, 1]
    # every size tried is its own collective: no two sizes round to one member count
    for _, g in runs.groupby("seed"):
        assert g["n_members"].is_unique and len(g) >= 3
    assert "sizes dropped" in r.stdout  # 0.01% and 0.03% of 1,500 are both 1 member: said, not hidden
    assert "The full run (without --quick)" in r.stdout
    # the collective's control grows with its size: the largest beats the smallest clearly
    small, large = runs.sort_values("alpha")["success_inclusion"].iloc[[0, -1]]
    assert large > small + 0.2
    assert runs["accuracy"].min() > 0.9  # the firm still does its job on clean resumes
    manifest = json.loads((tmp_path / "fig2" / "manifest.json").read_text())
    assert manifest["learner"] == "bow" and manifest["n_train"] == 1500
    assert manifest["n_runs"] == len(runs) == len(list((tmp_path / "fig2" / "runs").glob("*.parquet")))  # a batch: one file per run
    assert (tmp_path / "fig2" / "fig2.png").read_bytes()[:4] == b"\x89PNG"
    fits = pd.read_csv(tmp_path / "fig2" / "fits.csv")
    assert set(fits["metric"]) == {"success_inclusion", "success_top1"}
    for _, f in fits.iterrows():  # a number only inside the sizes tried, else the words say why
        if f["status"] == "reached":
            assert runs["alpha"].min() <= f["critical_mass"] <= runs["alpha"].max()
            assert f"{f['critical_mass']:.3g}" in r.stdout
        else:
            assert np.isnan(f["critical_mass"]) and f["reported"].split(" (")[0] in r.stdout


def test_an_interrupted_experiment_resumes_and_trains_only_what_is_missing(tmp_path):
    """A run file lost (as if the command was stopped before that run): the same command trains that run only."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "acsim", "experiment", "fig2", "--n-train", "600", "--n-test", "200",
           "--members", "2,5,12", "--seeds", "1", "--out", str(tmp_path)]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "3 runs in" in first.stdout and "3 trained now, 0 finished before" in first.stdout
    out = tmp_path / "fig2"
    files = sorted((out / "runs").glob("*.parquet"))
    assert len(files) == 3
    before = pd.read_parquet(out / "runs.parquet")
    lost = files[1]
    lost.unlink()
    kept = {p: p.stat().st_mtime_ns for p in files if p != lost}
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "1 trained now, 2 finished before" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in kept} == kept and lost.is_file()  # the others were read, not retrained
    after = pd.read_parquet(out / "runs.parquet")
    metrics = ["run_id", "n_members", "success_inclusion", "success_top1", "accuracy"]
    pd.testing.assert_frame_equal(after[metrics], before[metrics])  # the retrained run gives the same numbers
    # the summary tables come back the same way: the printed critical masses are unchanged
    assert again.stdout.split("mean success per size tried")[1].split(" runs in ")[0] == \
        first.stdout.split("mean success per size tried")[1].split(" runs in ")[0]


def test_each_seed_draws_its_own_corpus_and_collective():
    from acsim.platform.data import synthetic_resumes

    corpus = X.Corpus.of("synthetic", n_train=300, n_test=60, seed=5)
    (a, _), (b, _) = corpus.load(0), corpus.load(1)
    assert a.texts != b.texts and corpus.data_seed(1) == 6
    assert corpus.load(1)[0].texts == synthetic_resumes(n_train=300, n_test=60, seed=6)[0].texts
    spec = X.quick(X.paper_experiments()["fig2"], n_sizes=3, seeds=(0, 1))
    order = [seed for _, _, seed in X.iter_runs(spec)]
    assert order == sorted(order)  # seed by seed: one corpus in memory at a time


def test_sizes_that_round_to_one_member_count_are_dropped_and_reported():
    from acsim.platform.data import synthetic_resumes

    train, _ = synthetic_resumes(n_train=1000, n_test=10, seed=0)
    spec, dropped = X.distinct_sizes(X.paper_experiments()["fig2"], train)
    counts = [X.member_count(s, len(train)) for s in spec.sizes]
    assert len(set(counts)) == len(counts) and dropped and len(spec.sizes) + len(dropped) == 20


def test_acsim_run_leaves_out_the_same_repeated_sizes_as_acsim_experiment():
    """A shipped experiment scenario on a small corpus: `acsim run` plans only sizes with
    distinct member counts (the rule of `acsim experiment`), one per count, smallest first."""
    from acsim.runs.batch import distinct_runs, experiment_corpus
    from acsim.runs.scenarios import load_scenario

    loaded = load_scenario("paper_fig2", overrides={"data.n_train": 1000, "data.n_test": 100})
    runs, dropped = distinct_runs(loaded)
    train, _ = experiment_corpus(runs[0].params["data"], runs[0].seed)
    assert dropped and len(runs) < len(loaded.runs())
    planned = {(r.seed, json.dumps(r.params["curve"], sort_keys=True)) for r in loaded.runs()}
    for seed, curve in planned:
        def sizes(rs):
            return [r.params["size"] for r in rs if r.seed == seed and json.dumps(r.params["curve"], sort_keys=True) == curve]
        counts = [X.member_count(s, len(train)) for s in sizes(runs)]
        assert len(set(counts)) == len(counts) and len(sizes(runs)) + len(dropped) == len(sizes(loaded.runs()))
    assert {r.params["size"] for r in loaded.runs()} - {r.params["size"] for r in runs} == set(dropped)


def test_experiment_command_rejects_unknown_names(tmp_path):
    r = subprocess.run([sys.executable, "-m", "acsim", "experiment", "fig9", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "unknown experiment 'fig9'" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow  # ~6 s
def test_learner_options_reach_the_firm(tmp_path):
    """-L C=1e-4: a firm regularised to its prior cannot be steered, so options really arrive."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "acsim", "experiment", "fig2", "--quick", "--n-train", "1500", "--n-test", "400",
           "--sizes", "3", "-L", "C=1e-4", "--out", str(tmp_path)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((tmp_path / "fig2" / "manifest.json").read_text())
    assert manifest["learner_params"] == {"C": 1e-4}
    runs = pd.read_parquet(tmp_path / "fig2" / "runs.parquet")
    assert runs["success_inclusion"].max() < 0.2  # the default lr steers the largest size (test above)


@pytest.mark.parametrize(
    "option, words",
    [("colour=red", "--learner-option colour: not a setting of the bow firm (allowed: "),
     ("seed=3", "seeds and epochs have their own options"),
     ("lr=-1", "lr must be a number > 0"),
     ("lr", "--learner-option needs KEY=VALUE")],
)
def test_bad_learner_options_are_one_line_errors(tmp_path, option, words):
    r = subprocess.run([sys.executable, "-m", "acsim", "experiment", "fig2", "-L", option, "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "fig2").exists()  # nothing trained, nothing written


def test_fits_group_runs_by_nominal_size_when_the_class_share_differs_per_corpus():
    spec = X.quick(X.paper_experiments()["fig3"], n_sizes=6, seeds=(0, 1, 2))
    curve = spec.curves[0]
    rng = np.random.default_rng(0)
    rows = []
    for seed in spec.seeds:
        for size in spec.sizes:
            frac = size * (1 + rng.normal(0, 0.01))  # each corpus has its own class size
            s = 1 / (1 + (0.02 / frac) ** 2)
            rows.append({"curve": curve.key, "size": size, "class_fraction": frac, "seed": seed,
                         "success_inclusion": s + rng.normal(0, 0.02), "success_top1": 0.05})
    fits = X.summarize(spec, pd.DataFrame(rows), 0.9)
    incl = fits[fits["metric"] == "success_inclusion"].iloc[0]
    assert incl["runs_per_size"] == 3 and incl["status"] == "reached" and np.isfinite(incl["ci_high"])
    top1 = fits[fits["metric"] == "success_top1"].iloc[0]
    assert top1["reported"].startswith("not reached (best mean S = 0.05")


def test_a_run_records_what_its_overlay_needs():
    """The figure is drawn from the runs alone: each run's row carries ξ̂, k, n, the class share and p̂ of its corpus."""
    from acsim.platform.data import synthetic_resumes

    train, test = synthetic_resumes(n_train=600, n_test=100, seed=0)
    specs = X.paper_experiments()
    fl = X.run_one(train, test, specs["fig2"].curves[0], 0.01, "dataset", seed=0).row
    fo_curve = specs["fig3"].curves[1]
    fo = X.run_one(train, test, fo_curve, 0.1, "target-class", seed=0).row
    assert set(X.OVERLAY_COLUMNS) <= set(fl) and np.isnan(fl["p_hat"]) and 0 < fo["p_hat"] <= 1
    assert fl["n_train"] == 600 and fl["trigger_count"] == 0 and fl["xi_hat"] == fo["xi_hat"]
    sizes = np.geomspace(2e-3, 0.5, 5)
    for spec, curve, row in ((specs["fig2"], specs["fig2"].curves[0], fl), (specs["fig3"], fo_curve, fo)):
        bound, label = X.overlay_bound(spec, curve, sizes, row)
        direct, direct_label = X.theory_overlay(spec, train, curve, sizes)
        np.testing.assert_array_equal(bound, direct)
        assert label == direct_label


def test_overlays_use_parameters_that_keep_them_bounds():
    from acsim import theory
    from acsim.platform.data import synthetic_resumes

    train, _ = synthetic_resumes(n_train=600, n_test=10, seed=0)
    specs = X.paper_experiments()
    sizes = np.geomspace(2e-3, 0.5, 5)
    b1, label1 = X.theory_overlay(specs["fig2"], train, specs["fig2"].curves[0], sizes)
    assert "95% upper bound" in label1 and "trigger in 0 of 600 resumes" in label1 and "Δ = 1" in label1
    for curve in specs["fig3"].curves:  # one overlay per class, each with its own p̂
        b3, label3 = X.theory_overlay(specs["fig3"], train, curve, sizes)
        assert f"y*={curve.target}" in label3 and "p̂ = min P̂0(y*|x)" in label3
        freq = float(train.labels[:, curve.target].mean())
        # the old overlay's p = class frequency is not a lower bound on P0(y*|x); the minimum is below it
        old = np.clip(theory.feature_only_success_bound(sizes * freq, 1 - 0.05 ** (1 / 600), freq), 0, 1)
        assert np.all(b3 <= old + 1e-12)
