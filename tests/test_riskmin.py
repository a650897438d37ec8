"""Section 4: gradient-neutralizing against an exact logistic firm, gradient control against GD."""

import numpy as np
import pytest

from acsim import theory as T
from acsim.theory.firms.glm import (
    LogisticRiskMinimizer,
    WeightedSample,
    expected_gradient,
    expected_hessian,
    gradient_neutralizing,
)
from acsim.theory.firms.gradient import GradientDescentFirm, TanhRegression, gradient_control


@pytest.fixture(scope="module")
def base():
    rng = np.random.default_rng(1)
    X = np.c_[rng.normal(size=(300, 2)), np.ones(300)]
    y = (rng.random(300) < 1 / (1 + np.exp(-(X @ np.array([1.0, -2.0, 0.3]))))).astype(float)
    return WeightedSample.uniform(X, y)


def _fit(data):
    return LogisticRiskMinimizer().fit(data).coef_


@pytest.mark.parametrize("shift, scale", [((0.8, 0.5, -0.4), 1.0), ((-0.5, 1.0, 0.2), 3.0), ((0.2, 0.1, 0.1), 0.5)])
def test_corollary_8_reaches_theta_star_exactly(base, shift, scale):
    theta0 = _fit(base)
    theta_star = theta0 + np.array(shift)
    plan = gradient_neutralizing(theta_star, base, scale)
    a_star = plan.critical_mass
    assert 0 < a_star < 1
    # the collective's point really neutralises: gradient of P' is antiparallel to g0
    cos = plan.gprime @ plan.g0 / (plan.gprime_norm * plan.g0_norm)
    assert cos == pytest.approx(-1.0)
    for alpha in (a_star * (1 + 1e-9), min(1.0, 1.5 * a_star)):
        assert np.linalg.norm(_fit(plan.mixture(base, alpha)) - theta_star) < 1e-8
    for alpha in (0.5 * a_star, 0.9 * a_star):
        assert np.linalg.norm(_fit(plan.mixture(base, alpha)) - theta_star) > 1e-4


def test_theorem_7_bound_holds_with_local_strong_convexity(base):
    theta0 = _fit(base)
    theta_star = theta0 + np.array([0.8, 0.5, -0.4])
    plan = gradient_neutralizing(theta_star, base, 1.0)
    for alpha in np.linspace(0.02, plan.critical_mass, 8):
        mix = plan.mixture(base, alpha)
        theta = _fit(mix)
        # μ: smallest curvature of the mixture risk on the segment [θ, θ*] (all the proof uses)
        mu = min(np.linalg.eigvalsh(expected_hessian(theta + t * (theta_star - theta), mix))[0] for t in np.linspace(0, 1, 21))
        success = -np.linalg.norm(theta - theta_star)
        bound = T.gradient_neutralizing_success_bound(alpha, plan.g0_norm, plan.gprime_norm, mu)
        assert success >= bound - 1e-9


def test_proposition_9_utility_gain(base):
    theta0 = _fit(base)
    v = np.array([1.0, 0.5, 0.0])  # linear utility u(θ) = θᵀv
    U = 0.3
    theta_star = theta0 + v / (v @ v) * U  # the target of the proof of Proposition 9
    plan = gradient_neutralizing(theta_star, base, 2.0)
    beta = np.linalg.eigvalsh(base.X.T @ (base.w[:, None] * base.X))[-1] / 4.0  # logistic smoothness
    bound = T.utility_critical_mass(U, beta, plan.gprime_norm, np.linalg.norm(v))
    assert plan.critical_mass <= bound + 1e-12
    theta = _fit(plan.mixture(base, min(1.0, bound)))
    assert theta @ v - theta0 @ v >= U - 1e-8


def test_logistic_firm_is_a_risk_minimizer(base):
    firm = LogisticRiskMinimizer().fit(base)
    assert np.linalg.norm(expected_gradient(firm.coef_, base)) < 1e-10
    scores = firm.predict_scores(base.X[:5])
    assert scores.shape == (5, 2) and np.allclose(scores.sum(1), 1.0)
    with pytest.raises(ValueError, match="tol"):
        LogisticRiskMinimizer(tol=0)


@pytest.fixture(scope="module")
def tanh_world():
    world = TanhRegression.sample(n=400, seed=0)
    firm = GradientDescentFirm(world.gradient, eta=0.5, theta=np.array([1.0, 1.0]))
    firm.run(3000)  # the firm's model θ0 trained on P0 alone
    return world, firm.theta.copy()


def test_base_loss_is_nonconvex_on_the_path(tanh_world):
    world, theta0 = tanh_world
    assert np.linalg.norm(world.gradient(theta0)) < 1e-6
    theta_star = np.array([-1.0, 2.0])
    eig = [np.linalg.eigvalsh(world.hessian(theta0 + t * (theta_star - theta0)))[0] for t in np.linspace(0, 1, 41)]
    assert min(eig) < -1e-3  # a negative curvature direction: no convexity argument applies


@pytest.mark.parametrize("alpha", [0.05, 0.2, 0.6])
def test_theorem_10_contraction_rate(tanh_world, alpha):
    world, theta0 = tanh_world
    theta_star = np.array([-1.0, 2.0])
    eta, xi = 0.5, 1.0
    firm = GradientDescentFirm(world.gradient, eta=eta, theta=theta0)
    path = firm.run(200, alpha, gradient_control(world.gradient, alpha, theta_star, xi))
    dist = np.linalg.norm(path - theta_star, axis=1)
    bound = -np.array([T.gradient_control_success_bound(t, eta, alpha * xi, dist[0]) for t in range(201)])
    assert np.all(dist <= bound + 1e-9)
    assert dist[-1] == pytest.approx(bound[-1], rel=1e-6)  # constant ξ: the rate is exact


def test_without_the_collective_the_firm_stays_at_theta0(tanh_world):
    world, theta0 = tanh_world
    firm = GradientDescentFirm(world.gradient, eta=0.5, theta=theta0)
    path = firm.run(100, alpha=0.0)
    assert np.linalg.norm(path[-1] - theta0) < 1e-6
