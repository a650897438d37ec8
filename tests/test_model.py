"""The collective-action model (Section 6) with a firm whose S(α) is a known curve, or exact.

What the issue asks the model to show, with assertions that could fail:
homogeneous workers below α_crit unravel, above it everyone joins, a cheapest-first
principal carries the collective across α_crit for N·B(α_crit) (Figure 7). Plus the
invariants that make the rows trustworthy: the vectorised decisions equal the
per-agent rule, Worker agents are views of the arrays, same seed ⇒ same rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from acsim.theory import economics
from acsim.abm.decisions import decide
from acsim.abm.firm import Firm
from acsim.abm.principal import Principal
from acsim.abm.workers import Worker
from acsim.theory.discrete import DiscreteWorld
from acsim.abm.model import ROW_COLUMNS, CollectiveActionModel, ModelParams

MID, SLOPE = 0.1, 60.0
SIGMOID = {"curve": "sigmoid", "midpoint": MID, "slope": SLOPE}
C, GAMMA = 0.2, 0.5  # threshold S* = c/(1 − γ) = 0.4
CURVE = economics.sigmoid_curve(MID, SLOPE)
ALPHA_CRIT = float(economics.critical_mass(CURVE, C, GAMMA))  # ≈ 0.0932
N_B = float(economics.principal_investment(CURVE, C, GAMMA))  # per worker


def homogeneous(n: int = 10_000, **kw) -> CollectiveActionModel:
    kw.setdefault("seed", 0)
    return CollectiveActionModel(
        n_workers=n, firm_params=SIGMOID, cost_params={"value": C}, gamma_params={"value": GAMMA}, **kw
    )


# --------------------------------------------------------------------------- Section 6 dynamics


def test_rows_have_every_documented_column_and_name_the_firm():
    df = homogeneous(1000, initial_alpha=0.05).run(2)
    assert list(df.columns) == list(ROW_COLUMNS)
    assert list(df["round"]) == [1, 2]
    assert set(df["firm"]) == {"theory"}
    assert df["S_source"].iloc[0].startswith("curve:sigmoid")  # S was read off a curve, not trained
    assert df["train_seconds"].eq(0).all() and df["accuracy"].isna().all()


def test_below_critical_mass_without_principal_the_collective_unravels():
    n = 10_000
    k_crit = math.ceil(ALPHA_CRIT * n)
    df = homogeneous(n, initial_alpha=(k_crit - 1) / n).run(3)  # one worker short of α_crit
    assert df["S"].iloc[0] < C / (1 - GAMMA)
    assert df["leaves"].iloc[0] == k_crit - 1 and df["joins"].iloc[0] == 0
    assert df["alpha_end"].iloc[-1] == 0.0 and df["members_end"].iloc[-1] == 0


def test_above_critical_mass_the_collective_grows_to_everyone():
    n = 10_000
    k_crit = math.ceil(ALPHA_CRIT * n)
    df = homogeneous(n, initial_alpha=k_crit / n).run(3)
    assert df["S"].iloc[0] > C / (1 - GAMMA)
    assert df["joins"].iloc[0] == n - k_crit and df["leaves"].iloc[0] == 0
    assert df["alpha_end"].iloc[-1] == 1.0


def test_alpha_crit_and_B_in_rows_are_the_economics_values():
    df = homogeneous(2000).run(1)
    assert df["alpha_crit"].iloc[0] == pytest.approx(ALPHA_CRIT, rel=1e-9)
    assert df["B_crit"].iloc[0] == pytest.approx(N_B, rel=1e-9)
    assert df["B_crit_total"].iloc[0] == pytest.approx(2000 * N_B, rel=1e-9)
    assert df[["threshold_min", "threshold_median", "threshold_max"]].iloc[0].tolist() == pytest.approx([0.4] * 3)


@pytest.mark.parametrize("cap", [None, 100])
def test_cheapest_principal_crosses_alpha_crit_for_N_times_B(cap):
    n = 10_000
    df = homogeneous(n, principal="cheapest", recruits_per_round=cap).run(15 if cap else 4)
    # It stops once past α_crit, having paid Figure 7's area (a Riemann sum of it).
    total = df["spend_total"].iloc[-1]
    assert total == pytest.approx(n * N_B, rel=0.01)
    assert total == pytest.approx(df["B_crit_total"].iloc[0], rel=0.01)
    reached = df.index[df["principal_status"] == "reached"][0]
    assert df["alpha_end"].iloc[reached] >= ALPHA_CRIT
    assert df["alpha_end"].iloc[reached] < ALPHA_CRIT + 1.5 / n  # not one recruit more than needed
    assert df["recruits"].sum() == math.ceil(ALPHA_CRIT * n)
    # Subsidised members are committed while it works: nobody leaves on the way up.
    assert df["leaves"].sum() == 0
    assert df["alpha_end"].iloc[-1] == 1.0  # then the collective sustains itself
    if cap:
        assert df["recruits"].max() == cap and (df["principal_status"] == "investing").sum() >= 9


def test_heterogeneous_cheapest_principal_pays_the_optimal_plan():
    n = 3000
    m = CollectiveActionModel(n_workers=n, firm_params=SIGMOID, principal="cheapest", seed=4,
                              cost_dist="uniform", cost_params={"low": 0.1, "high": 0.3}, gamma_params={"value": 0.3})
    df = m.run(3)
    plan = economics.recruitment_plan(CURVE, m.population.cost, m.population.gamma)
    # Equal γ: cheapest-first is the exact min-cost order, so the totals agree to rounding.
    assert df["spend_total"].iloc[-1] == pytest.approx(plan.total, rel=1e-9)
    assert df["recruits"].iloc[0] == plan.k_crit
    assert df["B_crit_total"].iloc[0] == pytest.approx(plan.total, rel=1e-9)


def test_a_sampled_curve_works_like_the_function():
    a = np.linspace(0, 1, 2001)
    df = CollectiveActionModel(n_workers=5000, firm_params={"curve": [list(a), list(CURVE(a))]}, principal="cheapest",
                               cost_params={"value": C}, gamma_params={"value": GAMMA}, seed=0).run(3)
    assert df["S_source"].iloc[0] == "curve:custom"
    assert df["alpha_crit"].iloc[0] == pytest.approx(ALPHA_CRIT, abs=1e-4)
    assert df["spend_total"].iloc[-1] == pytest.approx(5000 * N_B, rel=0.01)
    assert df["alpha_end"].iloc[-1] == 1.0


def test_a_budget_below_B_runs_out_and_the_collective_unravels():
    n = 5000
    budget = 0.5 * n * N_B
    df = homogeneous(n, principal="cheapest", budget=budget).run(4)
    assert df["principal_status"].iloc[0] == "exhausted"
    assert df["spend_total"].iloc[-1] <= budget
    assert df["budget_left"].iloc[-1] == pytest.approx(budget - df["spend_total"].iloc[-1])
    assert 0 < df["alpha_end"].iloc[0] < ALPHA_CRIT
    assert df["alpha_end"].iloc[-1] == 0.0  # contracts ended below α_crit: everyone leaves


def test_margin_is_paid_on_top_of_every_subsidy():
    n = 4000
    base = homogeneous(n, principal="cheapest").run(2)
    extra = homogeneous(n, principal="cheapest", margin=0.01).run(2)
    k = int(base["recruits"].sum())
    assert extra["spend_total"].iloc[-1] == pytest.approx(base["spend_total"].iloc[-1] + 0.01 * k)


def test_no_principal_spends_nothing():
    df = homogeneous(1000).run(3)
    assert (df["spend_total"] == 0).all() and (df["principal_status"] == "off").all()


def test_without_leaving_members_stay_below_alpha_crit():
    df = homogeneous(2000, initial_alpha=0.05, allow_leave=False).run(3)
    assert df["leaves"].sum() == 0 and df["alpha_end"].iloc[-1] == pytest.approx(0.05)


def test_theory_belief_is_the_bound_at_the_current_alpha():
    m = CollectiveActionModel(n_workers=1000, belief="theory", initial_alpha=0.01, seed=2,
                              theory_params={"xi": 0.005, "delta": 1.0})
    df = m.run(1)
    expected = 1 - (1 - 0.01) / 0.01 * 0.005  # Theorem 1, ε = 0
    assert df["bound"].iloc[0] == pytest.approx(expected)
    assert df["belief_mean"].iloc[0] == pytest.approx(max(0.0, expected))
    assert df["S_source"].iloc[0] == "curve:Thm1(given)"


def test_logit_choice_with_a_temperature():
    cold = homogeneous(20_000, initial_alpha=0.05, temperature=1e-6, seed=1).run(1)
    det = homogeneous(20_000, initial_alpha=0.05, seed=1).run(1)
    assert cold["alpha_end"].iloc[0] == det["alpha_end"].iloc[0] == 0.0
    hot = homogeneous(20_000, initial_alpha=0.05, temperature=1e3, seed=1).run(1)
    assert hot["alpha_end"].iloc[0] == pytest.approx(0.5, abs=0.02)  # utility differences drowned out
    # A moderate temperature: the join probability is σ(((1 − γ)S − c)/T).
    t = 0.05
    warm = homogeneous(20_000, initial_alpha=0.0, temperature=t, seed=1).run(1)
    s0 = float(CURVE(0.0))
    p = 1 / (1 + math.exp(-((1 - GAMMA) * s0 - C) / t))
    assert warm["alpha_end"].iloc[0] == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / 20_000) + 1e-4)


# --------------------------------------------------------------------------- agents and arrays


def test_worker_agents_are_views_of_the_arrays():
    m = CollectiveActionModel(n_workers=500, cost_dist="uniform", cost_params={"low": 0, "high": 0.5}, seed=3)
    workers = m.agents_by_type[Worker]
    assert len(workers) == 500
    assert len(m.agents_by_type[Firm]) == 1 and len(m.agents_by_type[Principal]) == 1
    w = m.worker(17)
    assert w.cost == m.population.cost[17] and w.gamma == 0.5
    assert w.threshold == pytest.approx(w.cost / 0.5)
    w.member = True
    assert m.population.member[17] and m.alpha == pytest.approx(1 / 500)
    capped = CollectiveActionModel(n_workers=500, worker_agents=10, seed=3)
    assert len(capped.agents_by_type[Worker]) == 10 and capped.population.n == 500
    w = capped.worker(400)  # made on first use, the same agent after
    assert capped.worker(400) is w and w.cost == capped.population.cost[400] and len(capped.agents_by_type[Worker]) == 11
    with pytest.raises(IndexError, match="no worker 500"):
        capped.worker(500)


def test_a_headless_run_builds_no_worker_agents_same_rows_and_is_released():
    """acsim.runs.runner: worker_agents=0 and model.close(), so a batch holds one model at a time (mesa#3179)."""
    import gc
    import weakref

    import mesa

    from acsim.runs.runner import RunSpec, execute_run

    params = {"n_workers": 3000, "firm_params": SIGMOID, "initial_alpha": 0.05, "principal": "cheapest", "rounds": 6,
              "cost_dist": "uniform", "cost_params": {"low": 0.1, "high": 0.3}}
    rows = execute_run(RunSpec.make("model", params, 4, {}, 0))
    full = CollectiveActionModel(**params, seed=4)
    pd.testing.assert_frame_equal(rows, full.run().reset_index(drop=True))
    assert len(full.agents_by_type[Worker]) == 3000
    before = len(mesa.Agent._ids)
    m = CollectiveActionModel(**params, seed=4, worker_agents=0)
    m.run(2)
    assert Worker not in m.agents_by_type or len(m.agents_by_type[Worker]) == 0
    m.close()
    assert len(mesa.Agent._ids) == before and m.results()["round"].iloc[-1] == 2  # rows stay readable
    with pytest.raises(RuntimeError, match="closed"):
        m.worker(3)
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None


def test_vectorised_decisions_equal_the_per_agent_rule():
    m = CollectiveActionModel(
        n_workers=3000, seed=5, belief="network", network="erdos_renyi", network_params={"mean_degree": 4},
        cost_dist="beta", cost_params={"a": 2, "b": 5}, gamma_dist="uniform", gamma_params={"low": 0, "high": 0.9},
        firm_params=SIGMOID, prior_belief=0.05, initial_alpha=0.3,
    )
    pop = m.population
    pop.committed[np.flatnonzero(pop.member)[:100]] = True
    s = 0.7
    reference = np.array([w.decide(s) for w in m.agents_by_type[Worker]])
    d = decide(pop, m.beliefs, m.params, m.rng, s)
    joins, leaves = d.joins, d.leaves
    assert np.array_equal(pop.member, reference)
    assert joins > 0 and leaves > 0  # both branches exercised
    assert np.all(pop.member[np.flatnonzero(pop.committed)])  # committed members stayed


def test_same_seed_same_rows_other_seed_other_rows():
    kw = dict(n_workers=3000, firm_params=SIGMOID, principal="random", recruits_per_round=50, temperature=0.02,
              cost_dist="lognormal", cost_params={"mean": math.log(0.15), "sigma": 0.5})
    a = CollectiveActionModel(seed=11, **kw).run(6)
    b = CollectiveActionModel(seed=11, **kw).run(6)
    c = CollectiveActionModel(seed=12, **kw).run(6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_a_run_without_seed_records_the_one_it_used():
    m = CollectiveActionModel(n_workers=200, cost_dist="uniform", cost_params={"low": 0, "high": 1})
    again = CollectiveActionModel(n_workers=200, cost_dist="uniform", cost_params={"low": 0, "high": 1}, seed=m.seed)
    assert np.array_equal(m.population.cost, again.population.cost)


def test_params_object_and_overrides():
    p = ModelParams(n_workers=300, seed=1, firm_params=SIGMOID)
    m = CollectiveActionModel(p, initial_alpha=0.5)
    assert m.params.initial_alpha == 0.5 and m.params.n_workers == 300 and p.initial_alpha == 0.0
    assert m.population.member.sum() == 150
    assert ModelParams(strategy="Strategy1").strategy == "feature-label"
    assert p.to_dict()["firm_params"]["curve"] == "sigmoid"


# --------------------------------------------------------------------------- the exact firm


def _step_world(xi: float = 0.2) -> DiscreteWorld:
    """x=0 (mass 1 − ξ, label 1) and the signal point x=1 (mass ξ, label 1); y* = 0.

    Feature-label collectives send everyone to (1, y*): the Bayes firm says y* at x=1 iff
    α > ξ(1 − α), so S(α) jumps from 0 to 1 at α = ξ/(1 + ξ) (Theorem 1 is tight-ish here).
    """
    p0 = np.array([[0.0, 1.0 - xi], [0.0, xi]])
    return DiscreteWorld(p0, signal=np.array([1, 1]), target=0)


def test_bayes_firm_measures_exact_success_and_the_principal_pays_B():
    world = _step_world(0.2)
    n = 3000
    m = CollectiveActionModel(n_workers=n, firm="bayes", firm_params={"world": world, "grid": 1025},
                              principal="cheapest", seed=0)
    df = m.run(3)
    assert (df["S_source"] == "exact:bayes").all()
    for _, row in df.iterrows():
        assert row["S"] == world.success("feature-label", row["alpha"])
        if row["alpha"] > 0:
            assert row["bound"] <= row["S"] + 1e-12  # Theorem 1 holds against the exact firm
    jump = 0.2 / 1.2
    assert df["alpha_crit"].iloc[0] == pytest.approx(jump, abs=2e-3)
    # Below the jump S = 0, so every recruit costs c: B(α_crit) = c·α_crit.
    assert df["spend_total"].iloc[-1] == pytest.approx(n * C * jump, rel=0.02)
    assert df["alpha_end"].iloc[-1] == 1.0
    assert df["accuracy"].iloc[0] == pytest.approx(1.0)  # α = 0: the clean firm is perfect here


def test_the_cheapest_first_principal_orders_by_cost_once_with_the_same_recruits(monkeypatch):
    """One γ, distinct costs, one public belief: the order computed once (an argsort) recruits
    exactly whom the general per-round argpartition recruits, round by round."""
    from acsim.abm.principal import Principal

    kw = dict(n_workers=20_000, cost_dist="uniform", cost_params={"low": 0.1, "high": 0.3}, firm_params=SIGMOID,
              principal="cheapest", recruits_per_round=200, seed=1, rounds=10, budget=40.0)
    fast = CollectiveActionModel(**kw)
    fast_rows = fast.run()
    assert fast.principal._by_cost() is not None  # the once-sorted order was used
    monkeypatch.setattr(Principal, "_by_cost", lambda self: None)  # the general path
    slow = CollectiveActionModel(**kw)
    slow_rows = slow.run()
    cols = [c for c in fast_rows.columns if c != "train_seconds"]
    pd.testing.assert_frame_equal(fast_rows[cols], slow_rows[cols])
    assert fast_rows["recruits"].sum() > 0
    np.testing.assert_array_equal(fast.population.member, slow.population.member)
    # constant costs (ties) or several γ: the general path, as before
    assert CollectiveActionModel(n_workers=100, principal="cheapest", seed=0).principal._by_cost() is None
