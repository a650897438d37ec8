"""Finite-sample bounds (Gauthier, Bach & Jordan 2025): by hand, by sampling (≥ 1,000 draws), against Theorem 1."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acsim import theory as T
from acsim.theory import finite_sample as F
from acsim.theory.discrete import DiscreteWorld, random_world, signal_world

DRAWS = 1000


def _erasure_world() -> DiscreteWorld:
    # Four features, g an idempotent projection onto {0, 2}; every feature has a clear
    # majority label (Assumption A1 with η = 0.11), and features 1, 3 disagree with their
    # representatives, so erasing g matters.
    p0 = np.array([[0.2, 0.05], [0.05, 0.2], [0.2, 0.05], [0.07, 0.18]])
    return DiscreteWorld(p0 / p0.sum(), np.array([0, 0, 2, 2]), target=0)


def test_theorem_3_3_by_hand():
    # One signal point of mass ξ = 0.01, conditional gap Δ = 1 (every base point there is
    # labelled y' ≠ y*). A collective of n = 2000 on N = 10000 whose data match P0:
    # P̂_D̃(x̃) = 1, Δ̂ = 0.01; δ' = 0.05/(2 + 2 + 4); R(k) = √(log(1/δ')/(2k)).
    w = signal_world(0.01, 1.0, signals=1)
    d = 0.05 / 8
    R = lambda k: math.sqrt(math.log(1 / d) / (2 * k))  # noqa: E731
    n, N = 2000, 10000
    lhs = n / N * (1 - 2 * R(n)) - (N - n) / N * (0.01 + 2 * R(n) + 2 * R(N - n))
    assert lhs > 0
    assert F.expected_bound(w, "feature-label", n, N) == pytest.approx(1 - R(n) - R(N))
    # Half the collective: the signal is not cracked, the bound only subtracts the R terms.
    lhs = 1000 / N * (1 - 2 * R(1000)) - 0.9 * (0.01 + 2 * R(1000) + 2 * R(9000))
    assert lhs < 0
    assert F.expected_bound(w, "feature-label", 1000, N) == pytest.approx(-R(1000) - R(N))
    assert F.union_events("erasure", _erasure_world()) == 2 + 2 * 2 + 2 * 4 + 2 * 4 * 2


@pytest.mark.parametrize("goal,world,n,N", [
    ("feature-label", signal_world(0.01, 1.0, signals=1), 2000, 10_000),
    ("feature-label", signal_world(0.2, 0.5, signals=1), 120_000, 1_000_000),
    ("feature-label", signal_world(0.05, 0.6, signals=3), 4000, 10_000),
    ("feature-only", signal_world(0.05, 0.4, signals=2, positivity=0.3), 5000, 10_000),
    ("unplanting", signal_world(0.05, 0.4, signals=2), 4000, 10_000),
    ("erasure", _erasure_world(), 20_000, 50_000),
])
def test_bound_holds_in_the_promised_fraction_of_draws(goal, world, n, N):
    # Draw D(n), D(N − n) and the test set 1,000 times, fit the plug-in firm, and count the
    # draws where Ŝ(n) ≥ the collective's bound; the theorem promises ≥ 1 − δ. The sizes
    # are chosen so the bound is not vacuous: a bound ≤ 0 would hold trivially.
    r = F.sample_check(world, goal, n, N, draws=DRAWS, rng=np.random.default_rng(11))
    assert r["bound"].shape == (DRAWS,)
    assert np.median(r["bound"]) > 0.3
    assert r["covered"] >= r["promised"] == 0.95


@pytest.mark.parametrize("seed", range(8))
def test_bound_holds_on_random_worlds(seed):
    # Random planting worlds (some signal points without base mass, random conditionals):
    # wherever the bound says something, Ŝ(n) ≥ bound in ≥ 95% of 1,000 draws.
    rng = np.random.default_rng(100 + seed)
    w = random_world(rng, n_base=5, n_signal=2, n_labels=3, signal_mass=float(rng.uniform(0.01, 0.2)))
    for goal in ("feature-label", "unplanting"):
        r = F.sample_check(w, goal, 30_000, 100_000, draws=DRAWS, rng=rng)
        assert r["covered"] >= r["promised"], (goal, r["covered"])


def test_the_check_can_fail():
    # The infinite-data limit is not a finite-sample bound: at n = 100 on N = 10,000 the
    # plug-in firm falls short of it in far more than 5% of the draws, and sample_check's
    # success is what a wrong "bound" would be measured against.
    w = signal_world(0.01, 1.0, signals=1)
    r = F.sample_check(w, "feature-label", 100, 10_000, draws=DRAWS, rng=np.random.default_rng(1))
    limit = F.population_limit(w, "feature-label", 0.01)
    assert limit == 1.0
    assert np.mean(r["success"] >= limit) < 0.9


def test_staircase_in_members_at_fixed_platform_size():
    # Four signal points of rising resistance: the bound a typical collective computes
    # climbs in at most four steps (plus the shrinking R terms between them), and it is a
    # function of n and N, not of α alone: at α = 0.3 a platform of 10^5 guarantees more
    # than one of 10^4.
    w = signal_world(0.05, 0.8, signals=4)
    N = 10_000
    ns = np.arange(1, N, 7)
    b = F.expected_bound(w, "feature-label", ns, N)
    cracked = np.round(b + F.hoeffding_radius(ns, 0.05 / F.union_events("feature-label", w))
                       + F.hoeffding_radius(N, 0.05 / F.union_events("feature-label", w)), 6)
    levels = np.unique(cracked)
    assert 2 <= levels.size <= 5
    assert np.all(np.diff(cracked) >= -1e-9)
    assert F.expected_bound(w, "feature-label", 30_000, 100_000) > F.expected_bound(w, "feature-label", 3000, 10_000)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.01, 1.0))
def test_infinite_data_limit_is_never_below_theorem_1(seed, alpha):
    # Appendix F: as n, N → ∞ the finite-sample bound tends to a value ≥ Theorem 1's.
    w = random_world(np.random.default_rng(seed), n_base=5, n_signal=3, n_labels=3, signal_mass=0.1)
    assert F.population_limit(w, "feature-label", alpha) >= min(1.0, T.feature_label_success_bound(alpha, w.xi(), w.delta())) - 1e-12


def test_where_finite_sample_is_looser_and_where_tighter_than_theorem_1():
    # A rare signal on a small platform: Theorem 1 (infinite data) promises 0.81 at α = 0.05,
    # the finite-sample bound nothing. A common signal on a large platform: the finite-sample
    # bound sees the per-point gap and guarantees 0.99 where Theorem 1 gives 0.27.
    rare = signal_world(0.01, 1.0, signals=1)
    assert T.feature_label_success_bound(0.05, rare.xi(), rare.delta()) == pytest.approx(0.81)
    assert F.expected_bound(rare, "feature-label", 500, 10_000) < 0
    common = signal_world(0.2, 0.5, signals=1)
    assert T.feature_label_success_bound(0.12, common.xi(), common.delta()) < 0.3
    assert F.expected_bound(common, "feature-label", 120_000, 1_000_000) > 0.99


def test_erasure_needs_assumption_a1_sizes():
    w = _erasure_world()
    assert F.erasure_margin(w) == pytest.approx(0.11)
    # Below 2 log(1/δ')/η² members the theorem promises nothing: the bound is 0.
    assert F.expected_bound(w, "erasure", 100, 50_000) == 0.0
    assert F.expected_bound(w, "erasure", 20_000, 50_000) > 0.3


def test_bad_inputs_name_the_problem():
    w = signal_world(0.01, 1.0)
    with pytest.raises(ValueError, match="goal must be one of"):
        F.expected_bound(w, "planting", 10, 100)
    with pytest.raises(ValueError, match="1 <= n < n_total"):
        F.expected_bound(w, "feature-label", 100, 100)
    with pytest.raises(ValueError, match="fail_prob"):
        F.expected_bound(w, "feature-label", 10, 100, fail_prob=1.5)
    with pytest.raises(ValueError, match="xi must be in"):
        signal_world(1.5, 1.0)


# --------------------------------------------------------------------------- the model and scenarios


def _olson(n: int, **kw):
    from acsim.abm.model import CollectiveActionModel, ModelParams

    p = ModelParams(n_workers=n, firm="theory", firm_params={"curve": "finite-sample", "signals": 1, **kw},
                    theory_params={"xi": 0.01, "delta": 1.0}, cost_dist="constant", cost_params={"value": 0.2},
                    gamma_dist="constant", gamma_params={"value": 0.5}, principal="cheapest", rounds=4)
    return CollectiveActionModel(p)


def test_model_plays_the_finite_sample_curve_and_its_principal_pays_whole_workers():
    from acsim.runs import investment as I

    N = 10_000
    df = _olson(N).run()
    spec = I.CurveSpec("finite-sample", "feature-label", xi=0.01, delta=1.0, n_total=N)
    theory_row = I.investment_table([spec], [0.2], [0.5], N).iloc[0]
    crit = int(theory_row["members_crit"])
    # The principal's member count is the theory's ⌈N·α_crit⌉; it recruits exactly that many
    # and the rest join by themselves; the success it sees at that size is the bound a
    # collective of that size computes (Thm 3.3 at the world's frequencies).
    assert (df["members_crit"] == crit).all()
    assert df["members"].iloc[1] == crit and df["members_end"].iloc[-1] == N
    w = signal_world(0.01, 1.0, signals=1)
    assert df["S"].iloc[1] == pytest.approx(F.expected_bound(w, "feature-label", crit, N))
    paid = I.member_table([spec], [0.2], [0.5], N, [crit])["pay_total"].iloc[0]
    assert df["spend_total"].iloc[-1] == pytest.approx(paid)
    # the bound column is the paper's Theorem 1 at the same α, beside it
    assert df["bound"].iloc[1] == pytest.approx(T.feature_label_success_bound(crit / N, 0.01, 1.0))


def test_a_larger_platform_needs_a_smaller_share_but_more_members():
    small, large = _olson(1000).run(), _olson(100_000).run()
    assert small["alpha_crit"].iloc[0] > large["alpha_crit"].iloc[0]
    assert small["members_crit"].iloc[0] < large["members_crit"].iloc[0]


@pytest.mark.parametrize("text, message", [
    ('[firm]\ncurve = "finite-sample"\nfail_prob = 1.0', "firm.fail_prob = 1 is outside (0, 1)"),
    ('[firm]\ncurve = "finite-sample"\nsignals = 0', "firm.signals = 0 is outside [1, inf)"),
    ('[firm]\ncurve = "finite-sample"\n[collective]\nstrategy = "erasure"', 'firm.curve = "finite-sample" covers only strategy'),
])
def test_scenario_refuses_bad_finite_sample_settings(text, message):
    from acsim.runs.scenarios import ScenarioError, parse_scenario

    with pytest.raises(ScenarioError, match=None) as info:
        parse_scenario(text, "x.toml")
    assert str(info.value).startswith(f"x.toml: {message}")


def test_shipped_scenario_maps_onto_the_finite_sample_firm():
    from acsim.runs.scenarios import load_scenario, model_params

    sc = load_scenario("finite_sample")
    mp = model_params(sc.scenario)
    assert mp["firm_params"] == {"curve": "finite-sample", "signals": 1, "fail_prob": 0.05}
    assert mp["theory_params"] == {"xi": 0.01, "delta": 1.0}
    assert not sc.notes
