"""The investment-threshold study (Section 6, Figure 7) over grids of c, γ and success curves."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from acsim.runs import batch
from acsim.theory import economics
from acsim import theory
from acsim.runs import investment as I

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
PNG = b"\x89PNG\r\n\x1a\n"
SIGMOID = I.CurveSpec("sigmoid", midpoint=0.1, slope=60)


def acsim(*args):
    return subprocess.run([sys.executable, "-m", "acsim", *args], capture_output=True, text=True, env=ENV, timeout=300)


def test_table_is_the_economics_at_every_grid_point():
    bound = I.CurveSpec("bound", "feature-label", xi=1e-3)
    costs, gammas = [0.0, 0.2, 0.45, 0.6], [0.0, 0.5, 0.9]
    t = I.investment_table([bound, SIGMOID], costs, gammas, n_workers=1000)
    assert len(t) == 2 * 4 * 3
    assert list(t.groupby("curve_index").size()) == [12, 12]
    fns = {0: lambda a: theory.feature_label_success_bound(a, 1e-3, 1.0), 1: economics.sigmoid_curve(0.1, 60)}
    for _, r in t.iterrows():
        S = fns[r["curve_index"]]
        assert r["threshold"] == pytest.approx(economics.join_threshold(r["c"], r["gamma"]))
        assert r["never_rational"] == (r["c"] >= 1 - r["gamma"])
        ac = economics.critical_mass(S, r["c"], r["gamma"])
        assert r["alpha_crit"] == pytest.approx(ac, rel=1e-9) or (math.isinf(ac) and math.isinf(r["alpha_crit"]))
        assert r["self_sustaining"] == math.isfinite(ac)
        b = economics.principal_investment(S, r["c"], r["gamma"])
        assert r["B_crit"] == pytest.approx(b, rel=1e-6) or (math.isinf(b) and math.isinf(r["B_crit"]))
        if math.isfinite(b):
            assert r["B_total"] == pytest.approx(1000 * b, rel=1e-6)
    # c = 0: joining costs nothing, so there is nothing to invest; on the sigmoid (S > 0
    # everywhere) any size sustains itself, while the Theorem 1 bound is positive only
    # once α exceeds about ξ, a tiny α_crit.
    free = t[t["c"] == 0.0]
    assert (free["B_crit"] == 0).all()
    assert free[free["curve_index"] == 1]["organic"].all()
    assert (free[free["curve_index"] == 0]["alpha_crit"] < 2e-3).all()
    # Never rational ⇒ never self-sustaining, B = ∞ (no one-time investment suffices).
    nr = t[t["never_rational"]]
    assert len(nr) and (~nr["self_sustaining"]).all() and np.isinf(nr["B_crit"]).all()


def test_table_follows_the_paper_a_larger_signal_set_or_a_worse_firm_needs_more():
    curves = I.bound_curves(["feature-label"], xis=[1e-3, 1e-2], epss=[0.0, 0.2])
    assert [(c.xi, c.eps) for c in curves] == [(1e-3, 0.0), (1e-2, 0.0), (1e-3, 0.2), (1e-2, 0.2)]
    t = I.investment_table(curves, [0.2], [0.5]).set_index(["xi", "eps"])
    # Corollary 2: α* grows with ξ and with ε; so do α_crit and B(α_crit) (Section 6).
    assert t.loc[(1e-2, 0.0), "alpha_crit"] > t.loc[(1e-3, 0.0), "alpha_crit"]
    assert t.loc[(1e-3, 0.2), "alpha_crit"] > t.loc[(1e-3, 0.0), "alpha_crit"]
    assert t.loc[(1e-2, 0.2), "B_crit"] > t.loc[(1e-3, 0.0), "B_crit"]
    erasure = I.bound_curves(["erasure"], xis=[1e-3], epss=[0.0], taus=[0.05])
    assert erasure[0].tau == 0.05 and np.isnan(I.investment_table(erasure, [0.1], [0.0])["xi"]).all()


def test_empirical_curve_from_a_finished_batch(tmp_path):
    rounds = pd.DataFrame({"alpha": [0.0, 0.1, 0.1, 0.5, 1.0], "S": [0.0, 0.2, 0.4, 0.9, 1.0]})
    rounds.to_parquet(tmp_path / "rounds.parquet")
    spec = I.empirical_curve(tmp_path)
    curve = spec.curve()
    assert float(curve(0.1)) == pytest.approx(0.3)  # two samples at α = 0.1 are averaged
    t = I.investment_table([spec], [0.2], [0.5])
    assert t["alpha_crit"].iloc[0] == pytest.approx(economics.critical_mass(curve, 0.2, 0.5))
    assert t["curve"].iloc[0] == f"empirical {tmp_path}"
    with pytest.raises(FileNotFoundError, match="no such batch folder"):
        I.empirical_curve(tmp_path / "missing")


def test_grid_parsing():
    assert I.parse_grid("0.1,0.2", "cost").tolist() == [0.1, 0.2]
    assert I.parse_grid("0:1:5", "gamma").tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert I.parse_grid("0.01:1:3 log", "cost") == pytest.approx([0.01, 0.1, 1.0])
    with pytest.raises(ValueError, match="--cost must be a comma-separated list or LO:HI:N"):
        I.parse_grid("a:b", "cost")


def test_simulated_spend_is_figure_7s_area(tmp_path):
    """A cheapest-first principal pays a Riemann sum of B(α_crit): within O(1/(N·α_crit)) of it."""
    costs, gammas = [0.1, 0.3], [0.2, 0.8]
    t = I.investment_table([SIGMOID], costs, gammas)
    sim = I.simulate([SIGMOID], costs, gammas, n_workers=2000, rounds=3, out_dir=tmp_path, executor="serial")
    j = t.merge(sim, on=["curve_index", "curve", "c", "gamma"])
    ok = np.isfinite(j["B_crit"])
    assert ok.sum() == 3  # c = 0.3, γ = 0.8: 0.3 ≥ 1 − 0.8, never rational
    assert np.allclose(j.loc[ok, "sim_spend"], j.loc[ok, "B_crit"], rtol=0.01)
    # Recruit j is paid the shortfall at the size before it joins: a left Riemann sum of a
    # decreasing integrand, so never less than the integral.
    assert (j.loc[ok, "sim_spend"] >= j.loc[ok, "B_crit"]).all()
    assert (j.loc[ok, "sim_alpha_final"] == 1.0).all() and set(j.loc[ok, "sim_status"]) == {"reached"}
    assert j.loc[ok, "sim_B_crit"].to_numpy() == pytest.approx(j.loc[ok, "B_crit"].to_numpy(), rel=1e-9)
    never = j[~ok]
    assert (never["sim_spend"] == 0).all() and set(never["sim_status"]) == {"hopeless"}
    assert len(batch.read_runs(tmp_path)) == 4  # resumable like any batch (the 4 runs in one chunk file)


def test_cli_writes_table_heatmaps_and_simulation(tmp_path):
    out = tmp_path / "inv"
    r = acsim("investment", "--cost", "0.1,0.3", "--gamma", "0:0.6:3", "--strategy", "feature-label,feature-only",
              "--xi", "0.01", "--sigmoid", "0.1,60", "--n-workers", "1000", "--simulate", "--executor", "serial",
              "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "self-sustaining" in r.stdout and "simulated spend vs B(α_crit)" in r.stdout and "median gap" in r.stdout
    t = pd.read_parquet(out / "investment.parquet")
    assert len(t) == 3 * 2 * 3 and pd.read_csv(out / "investment.csv").shape == t.shape
    heat = sorted(out.glob("heatmap_*.png"))
    assert len(heat) == 3 and all(p.read_bytes()[:8] == PNG for p in heat)
    assert "heatmap_00_feature-label_xi=0.01_delta=1_eps=0.png" in [p.name for p in heat]
    sim = pd.read_parquet(out / "investment_simulated.parquet")
    assert {"sim_spend", "B_crit", "alpha_crit"} <= set(sim.columns) and len(sim) == len(t)
    assert (out / "simulated_vs_B.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize(
    "args, message",
    [
        (["--gamma", "0.5,1.3"], "gamma must be in [0, 1], got 1.3"),
        (["--cost", "-1"], "--cost must be in [0, inf), got -1"),
        (["--eps", "0.6"], "eps must be in [0, 0.5), got 0.6"),
        (["--strategy", "nope"], "--strategy must be among"),
        (["--sigmoid", "0.1"], "--sigmoid takes MID,SLOPE[,OFFSET]"),
        (["--from-batch", "/nonexistent/batch"], "no such batch folder"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args, message, tmp_path):
    r = acsim("investment", *args, "--out", str(tmp_path / "o"))
    assert r.returncode == 2, r.stdout
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_no_number_cells_say_why():
    # an empirical curve sampled up to α = 0.2 that reached S = 0.6 there
    emp = I.CurveSpec("empirical", source="x", alpha=(0.01, 0.05, 0.2), values=(0.1, 0.4, 0.6))
    bound = I.CurveSpec("bound", xi=0.3)  # S(1) = 1: any threshold < 1 is reached at some size
    t = I.investment_table([emp, bound], costs=[0.1, 0.4, 0.7], gammas=[0.0, 0.5])
    st = t.set_index(["curve_index", "c", "gamma"])["status"]
    assert st[(0, 0.7, 0.5)] == st[(1, 0.7, 0.5)] == "never individually rational"  # c ≥ 1 − γ
    assert st[(0, 0.4, 0.0)] == "self-sustaining"  # threshold 0.4 < 0.6, inside the sizes tried
    assert st[(0, 0.4, 0.5)] == "not reached within the sizes tried"  # threshold 0.8 > 0.6 at α = 0.2
    assert st[(1, 0.4, 0.5)] == "self-sustaining"
    sigmoid = I.CurveSpec("sigmoid", midpoint=0.5, slope=10, offset=0.0)  # known on [0, 1]: S(1) = 0.993
    t2 = I.investment_table([sigmoid], costs=[0.499], gammas=[0.5])
    assert t2["status"].iloc[0] == "never self-sustaining on this curve"


def test_from_batch_accepts_an_acsim_experiment_folder(tmp_path):
    folder = tmp_path / "fig2"
    folder.mkdir()
    pd.DataFrame({"alpha": [1e-4, 1e-3, 1e-2], "success_inclusion": [0.3, 0.9, 1.0],
                  "success_top1": [0.05, 0.4, 0.9]}).to_parquet(folder / "runs.parquet")
    spec = I.empirical_curve(folder, "success_top1")
    assert spec.values == (0.05, 0.4, 0.9) and max(spec.alpha) == 1e-2


FINITE = I.CurveSpec("finite-sample", "feature-label", xi=0.01, delta=1.0, n_total=10_000)


def test_members_crit_is_alpha_crit_in_whole_members():
    t = I.investment_table([SIGMOID, FINITE], [0.2], [0.5], 10_000)
    for _, r in t.iterrows():
        assert r["members_crit"] == math.ceil(r["alpha_crit"] * 10_000)
        assert r["members_crit"] - 1 < r["alpha_crit"] * 10_000 <= r["members_crit"]


def test_finite_sample_curves_need_more_members_on_a_smaller_platform():
    # Gauthier et al.: the guarantee depends on N, not only on α. α_crit falls towards
    # Theorem 1's as the platform grows, and stays above it (the R(n) terms cost members).
    paper = I.investment_table([I.CurveSpec("bound", "feature-label", xi=0.01)], [0.2], [0.5])["alpha_crit"].iloc[0]
    crit = [I.investment_table([I.CurveSpec("finite-sample", "feature-label", xi=0.01, n_total=n)], [0.2], [0.5])["alpha_crit"].iloc[0]
            for n in (1000, 10_000, 100_000)]
    assert crit[0] > crit[1] > crit[2] > paper


def test_member_sweep_at_fixed_platform_size():
    members = [10, 1000, 1276, 1277, 5000]
    t = I.member_table([FINITE], [0.2], [0.5], 10_000, members)
    crit = int(t["members_crit"].iloc[0])
    assert list(t["n"]) == members and (t["alpha"] == t["n"] / 10_000).all()
    assert (t["self_sustaining"] == (t["n"] >= crit)).all()
    assert (t["rational"] == (t["S"] > 0.4)).all()
    # whole-worker payments: Σ_{k<n} max(0, c − (1 − γ)S(k/N)), by brute force
    curve = FINITE.curve()
    for _, r in t.iterrows():
        k = np.arange(int(r["n"]))
        assert r["pay_total"] == pytest.approx(np.maximum(0, 0.2 - 0.5 * curve(k / 10_000)).sum())
    # beyond members_crit nothing more is paid: the shortfall is 0 there
    assert t["B_total"].iloc[-1] == pytest.approx(t["B_total"].iloc[3])
    with pytest.raises(ValueError, match="whole counts in"):
        I.member_table([FINITE], [0.2], [0.5], 10_000, [0, 5])


def test_cli_finite_sample_member_sweep(tmp_path):
    out = tmp_path / "inv"
    r = acsim("investment", "--cost", "0.2", "--gamma", "0.5", "--xi", "0.01", "--finite-sample", "--n-total", "10000",
              "--members", "100,1277,2000", "--no-plot", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "self-sustaining from 1,277 members" in r.stdout
    t = pd.read_parquet(out / "investment_members.parquet")
    assert list(t["n"]) == [100, 1277, 2000] and list(t["self_sustaining"]) == [False, True, True]
    assert pd.read_parquet(out / "investment.parquet")["members_crit"].iloc[0] == 1277


@pytest.mark.parametrize("args, message", [
    (["--members", "0,5"], "--members must be in [1, 1000]"),
    (["--finite-sample", "--strategy", "erasure"], "--finite-sample covers --strategy feature-label or feature-only"),
    (["--finite-sample", "--fail-prob", "1"], "--fail-prob must be in (0, 1)"),
])
def test_cli_member_sweep_bad_input(args, message, tmp_path):
    r = acsim("investment", *args, "--no-plot", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_per_point_curves_keep_a_swept_firm_apart(tmp_path):
    # Two firms swept in one experiment batch: pooled, their S-curves average into one that
    # neither firm has; per point, each keeps its own critical mass.
    summary = pd.DataFrame({
        "point_index": [0, 0, 0, 1, 1, 1],
        "firm.learner": ["{}"] * 3 + ["{'min_df': 100}"] * 3,
        "alpha": [1e-3, 4e-3, 2e-2] * 2,
        "success_inclusion": [0.5, 1.0, 1.0, 0.0, 0.0, 1.0],
    })
    summary.to_parquet(tmp_path / "summary.parquet")
    curves = I.empirical_curves(tmp_path)
    assert len(curves) == 2 and "firm.learner={'min_df': 100}" in curves[1].label
    t = I.investment_table(curves, [0.2], [0.5], 25_000)
    a0, a1 = t["alpha_crit"]
    assert a0 < 4e-3 < a1 < 2e-2
    pooled = I.investment_table([I.empirical_curve(tmp_path)], [0.2], [0.5])["alpha_crit"].iloc[0]
    assert a0 < pooled < a1
