"""A convex risk-minimising firm and the gradient-neutralizing strategy (paper Section 4.1).

The firm solves θ = argmin_θ E_{z∼P} ℓ(θ; z) exactly (Definition 4) for the logistic
loss ℓ(θ; (x, y)) = log(1 + e^{θᵀx}) − yθᵀx, a GLM with gradient x(σ(θᵀx) − y). P is a
weighted finite sample, so "exactly" means Newton's method to machine precision.

The collective wants the firm to deploy θ*. With g0 = g_P0(θ*) the base gradient at the
target, a gradient-neutralizing distribution P' has g_P'(θ*) pointing along −g0; for a
GLM a single point does it: x' = −r·g0/‖g0‖ with label y' = 0 gives
∇ℓ(θ*; (x', 0)) = σ(θ*ᵀx')·x', a positive multiple of −g0. Members replace their data
by z' with probability min(1, α*/α), α* = ‖g0‖/(‖g'‖ + ‖g0‖) (Corollary 8), so the
mixture gradient at θ* vanishes as soon as α ≥ α*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from acsim import theory


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic function


@dataclass(frozen=True)
class WeightedSample:
    """A finite distribution over labelled points: rows of X, labels y in [0, 1], weights summing to 1."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray

    @classmethod
    def uniform(cls, X: np.ndarray, y: np.ndarray) -> "WeightedSample":
        X = np.asarray(X, dtype=float)
        return cls(X, np.asarray(y, dtype=float), np.full(X.shape[0], 1.0 / X.shape[0]))


def expected_gradient(theta: np.ndarray, data: WeightedSample) -> np.ndarray:
    """g_P(θ) = E_{z∼P} ∇ℓ(θ; z) for the logistic loss (Section 4.1 notation)."""
    r = _sigmoid(data.X @ theta) - data.y
    return data.X.T @ (data.w * r)


def expected_hessian(theta: np.ndarray, data: WeightedSample) -> np.ndarray:
    s = _sigmoid(data.X @ theta)
    return (data.X * (data.w * s * (1.0 - s))[:, None]).T @ data.X


class LogisticRiskMinimizer:
    """The exact risk minimiser of Definition 4 for logistic regression (no intercept; add a 1-column)."""

    name = "logistic"

    def __init__(self, tol: float = 1e-13, max_iter: int = 200):
        if tol <= 0:
            raise ValueError(f"tol must be > 0, got {tol}")
        if max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {max_iter}")
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, train: WeightedSample) -> "LogisticRiskMinimizer":
        theta = np.zeros(train.X.shape[1])
        for it in range(self.max_iter):
            g = expected_gradient(theta, train)
            if np.linalg.norm(g) < self.tol:
                break
            step = np.linalg.solve(expected_hessian(theta, train), g)
            # Damped Newton: halve until the risk does not increase (logistic risk is convex).
            t, r0 = 1.0, _risk(theta, train)
            while _risk(theta - t * step, train) > r0 + 1e-15 and t > 1e-10:
                t *= 0.5
            theta = theta - t * step
        self.coef_ = theta
        self.n_iter_ = it + 1
        self.grad_norm_ = float(np.linalg.norm(expected_gradient(theta, train)))
        return self

    def predict_scores(self, inputs: np.ndarray) -> np.ndarray:
        p = _sigmoid(np.asarray(inputs, dtype=float) @ self.coef_)
        return np.column_stack([1.0 - p, p])


def _risk(theta: np.ndarray, data: WeightedSample) -> float:
    z = data.X @ theta
    return float(data.w @ (np.logaddexp(0.0, z) - data.y * z))


@dataclass(frozen=True)
class GradientNeutralizing:
    """The collective's plan for target θ*: the point z' = (x', 0) and the sizes it needs."""

    theta_star: np.ndarray
    x_prime: np.ndarray
    g0: np.ndarray
    gprime: np.ndarray

    @property
    def g0_norm(self) -> float:
        return float(np.linalg.norm(self.g0))

    @property
    def gprime_norm(self) -> float:
        return float(np.linalg.norm(self.gprime))

    @property
    def critical_mass(self) -> float:
        """α* of Corollary 8."""
        return theory.gradient_neutralizing_critical_mass(self.g0_norm, self.gprime_norm)

    def replace_probability(self, alpha: float) -> float:
        """min(1, α*/α): how often a member swaps its point for z' (Section 4.1)."""
        return float(min(1.0, self.critical_mass / alpha))

    def mixture(self, base: WeightedSample, alpha: float) -> WeightedSample:
        """P = (1 − αp)P0 + αp·δ_{z'}: what the firm sees when a fraction α follows h."""
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        q = alpha * self.replace_probability(alpha)
        X = np.vstack([base.X, self.x_prime[None, :]])
        y = np.r_[base.y, 0.0]
        w = np.r_[(1.0 - q) * base.w, q]
        return WeightedSample(X, y, w)


def gradient_neutralizing(theta_star: np.ndarray, base: WeightedSample, scale: float = 1.0) -> GradientNeutralizing:
    """Build the single-point gradient-neutralizing distribution for θ* (Section 4.1, GLMs).

    ``scale`` is ‖x'‖: larger points push harder (larger ‖g'‖, smaller α*), the lever the
    collective controls through its data.
    """
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    theta_star = np.asarray(theta_star, dtype=float)
    g0 = expected_gradient(theta_star, base)
    n0 = np.linalg.norm(g0)
    direction = -g0 / n0 if n0 > 0 else np.zeros_like(g0)
    x_prime = scale * direction
    gprime = _sigmoid(np.array([x_prime @ theta_star]))[0] * x_prime
    return GradientNeutralizing(theta_star, x_prime, g0, gprime)
