"""The exact firm against Theorems 1, 3 and 5: exact success never falls below the bounds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acsim import theory as T
from acsim.theory.discrete import DiscreteWorld, random_world
from acsim.platform.learners import make_learner
from acsim.theory.firms.bayes import BayesFirm

worlds = st.fixed_dictionaries(
    dict(
        seed=st.integers(0, 2**32 - 1),
        n_base=st.integers(1, 8),
        n_signal=st.integers(1, 4),
        n_labels=st.integers(2, 5),
        signal_mass=st.one_of(st.just(0.0), st.floats(1e-6, 0.4)),  # no subnormals: they only test underflow
        concentration=st.floats(0.1, 3.0),
    )
)
alphas = st.floats(1e-3, 1.0)
epss = st.one_of(st.just(0.0), st.floats(1e-4, 0.45))


def _world(spec, kind, positivity=0.0):
    rng = np.random.default_rng(spec["seed"])
    return random_world(
        rng,
        n_base=spec["n_base"],
        n_signal=spec["n_signal"],
        n_labels=spec["n_labels"],
        kind=kind,
        signal_mass=spec["signal_mass"],
        positivity=positivity,
        concentration=spec["concentration"],
    )


@settings(max_examples=300, deadline=None)
@given(worlds, alphas, epss)
def test_feature_label_success_at_least_theorem_1(spec, alpha, eps):
    w = _world(spec, "planting")
    assert w.success("feature-label", alpha, eps) >= w.bound("feature-label", alpha, eps) - 1e-9


@settings(max_examples=300, deadline=None)
@given(worlds, alphas, epss, st.floats(0.02, 0.9))
def test_feature_only_success_at_least_theorem_3(spec, alpha, eps, p):
    w = _world(spec, "planting", positivity=p)
    assert w.positivity() >= p - 1e-12
    assert w.success("feature-only", alpha, eps) >= w.bound("feature-only", alpha, eps) - 1e-9


@settings(max_examples=300, deadline=None)
@given(worlds, alphas, epss)
def test_erasure_success_at_least_theorem_5(spec, alpha, eps):
    w = _world(spec, "erasure")
    assert w.success("erasure", alpha, eps) >= w.bound("erasure", alpha, eps) - 1e-9


def _two_level_world(xi):
    # x0: base point (label 1, mass 1 − ξ), x1: unused signal point, x2: signal point the
    # base data produces (label 1, mass ξ, so Δ = 1). g(x0) = x1, g(x1) = x1, g(x2) = x2.
    p0 = np.array([[0.0, 1.0 - xi], [0.0, 0.0], [0.0, xi]])
    return DiscreteWorld(p0, np.array([1, 1, 2]), target=0)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3])
def test_theorem_1_is_tight_at_its_kink(eps):
    """With Δ = 1 the bound equals the exact success where the signal point x2 flips."""
    xi = 0.2
    w = _two_level_world(xi)
    assert w.xi() == pytest.approx(xi) and w.delta() == pytest.approx(1.0)
    kink = 1.0 / (2.0 * (1.0 - eps))  # x2 flips to y* once (1 − ε)(2α − 1) > ε
    assert w.success("feature-label", kink, eps) == pytest.approx(w.bound("feature-label", kink, eps), abs=1e-9)
    assert w.bound("feature-label", kink, eps) == pytest.approx(1 - xi, abs=1e-9)
    above = min(1.0, kink + 1e-3)
    assert w.success("feature-label", above, eps) == pytest.approx(1.0)


def test_success_grows_with_alpha_and_reaches_one():
    w = random_world(np.random.default_rng(7), n_base=6, n_signal=2, kind="planting", signal_mass=0.02)
    s = [w.success("feature-label", a) for a in np.linspace(0.001, 1, 60)]
    assert s[0] < 1.0 and s[-1] == pytest.approx(1.0)
    assert all(b >= a - 1e-12 for a, b in zip(s, s[1:]))


def test_literal_tv_adversary_can_beat_the_eps_bound():
    """Definition 2 read literally (any TV-ε conditional) is stronger than the paper's Lemma 11.

    At x2 the mixture gives P(y*|x2) = α; a TV adversary flips f(x2) whenever 2α − 1 ≤ 2ε,
    while Theorem 1's ε-form already promises success 1 − ξ·(1 − α)/(α(1 − 2ε)) > 1 − ξ at
    α = 0.5 + ε/2. The contamination adversary the proofs assume respects the bound.
    """
    xi, eps = 0.2, 0.2
    w = _two_level_world(xi)
    alpha = 0.5 + eps / 2 + 0.05
    bound = w.bound("feature-label", alpha, eps)
    assert w.success("feature-label", alpha, eps, adversary="tv") < bound
    assert w.success("feature-label", alpha, eps, adversary="contamination") >= bound - 1e-12


def test_world_quantities_by_hand():
    w = _two_level_world(0.2)
    assert w.signal_set.tolist() == [False, True, True]
    ps = w.strategy_distribution("feature-label")
    np.testing.assert_allclose(ps[:, 0], [0.0, 0.8, 0.2])  # all mass moves to the signal, label y*
    fo = w.strategy_distribution("feature-only")
    np.testing.assert_allclose(fo, w.p0)  # nobody has label y*: feature-only changes nothing
    e = DiscreteWorld(np.array([[0.3, 0.1], [0.1, 0.5]]), np.array([0, 0]), target=0)
    # g sends x1 to x0; P0(·|x0) = (.75, .25), P0(·|x1) = (1/6, 5/6): τ = 0.6 · (.75 − 1/6)
    assert e.tau() == pytest.approx(0.6 * (0.75 - 1 / 6))
    np.testing.assert_array_equal(e.erasure_labels(), [0, 0])


def test_bayes_firm_protocol_and_validation():
    firm = make_learner("bayes")
    joint = np.array([[0.1, 0.3], [0.4, 0.2]])
    firm.fit(joint)
    np.testing.assert_array_equal(firm.predict([0, 1]), [1, 0])
    assert firm.predict_scores([0]).shape == (1, 2)
    with pytest.raises(ValueError, match="eps must be in"):
        BayesFirm(eps=0.5)
    with pytest.raises(ValueError, match="joint probability"):
        BayesFirm().fit(np.array([[0.5, 0.6]]))


@settings(max_examples=60, deadline=None)
@given(spec=worlds, kind=st.sampled_from(["planting", "erasure"]), eps=epss, adversary=st.sampled_from(["contamination", "tv"]),
       strategy=st.sampled_from(["feature-label", "feature-only", "erasure"]))
def test_firms_fitted_as_one_stack_equal_each_alphas_own_fit_bit_for_bit(spec, kind, eps, adversary, strategy):
    """The exact S(α) curve fits one firm per α as a stack (BayesEngine: 140 -> 18 ms a run at
    1,000 workers); every firm of the stack is the firm of its α alone, and so is S."""
    from acsim.abm.engines import BayesEngine
    from acsim.theory.strategy import Strategy

    if (strategy == "erasure") != (kind == "erasure"):
        kind = "erasure" if strategy == "erasure" else "planting"
    w = _world(spec, kind)
    a = np.r_[0.0, np.sort(np.random.default_rng(spec["seed"]).random(37)), 1.0]
    stack = w.firm(strategy, a, eps, adversary)
    assert stack.labels_.shape == (a.size, w.n_x)
    for i, x in enumerate(a.tolist()):
        one = w.firm(strategy, x, eps, adversary)
        assert np.array_equal(stack.scores_[i], one.scores_) and np.array_equal(stack.labels_[i], one.labels_)
    engine = BayesEngine(w, Strategy.parse(strategy), eps, adversary, bound=None, grid=33)
    exact = engine._exact(a)
    assert [float(v) for v in exact] == [w.success(strategy, x, eps, adversary) for x in a.tolist()]
