"""A gradient-descent firm on a nonconvex loss and the gradient-control strategy (Section 4.2).

The firm runs θ_{t+1} = θ_t − η·g_{P_t}(θ_t) on whatever mixture it observes. The
collective, adapting every step, supplies gradients whose average is
ḡ = −((1 − α)/α)·g_P0(θ) + ξ(θ − θ*) (the paper's Byzantine-style implementation), so
the mixture gradient is αξ(θ − θ*) and ‖θ_T − θ*‖ contracts by (1 − ηαξ) per step
(Theorem 10 with C(α) = αξ) however nonconvex the base loss is.

The base loss here is the squared error of a one-unit network f_θ(x) = θ₁·tanh(θ₂x),
which is nonconvex in θ (its risk is invariant under θ ↦ −θ, so it has two minima).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

GradFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class TanhRegression:
    """Base population P0: points (x_i, y_i); risk R0(θ) = mean ½(θ₁ tanh(θ₂x) − y)²."""

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def sample(cls, n: int = 400, theta_true: tuple[float, float] = (1.5, 0.8), noise: float = 0.1, seed: int = 0) -> "TanhRegression":
        rng = np.random.default_rng(seed)
        x = rng.normal(size=n)
        y = theta_true[0] * np.tanh(theta_true[1] * x) + noise * rng.normal(size=n)
        return cls(x, y)

    def risk(self, theta: np.ndarray) -> float:
        return float(0.5 * np.mean((theta[0] * np.tanh(theta[1] * self.x) - self.y) ** 2))

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        t = np.tanh(theta[1] * self.x)
        r = theta[0] * t - self.y
        return np.array([np.mean(r * t), np.mean(r * theta[0] * (1.0 - t * t) * self.x)])

    def hessian(self, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
        """Central finite differences of the analytic gradient (used to certify nonconvexity)."""
        cols = [(self.gradient(theta + h * e) - self.gradient(theta - h * e)) / (2 * h) for e in np.eye(2)]
        H = np.column_stack(cols)
        return 0.5 * (H + H.T)


def gradient_control(base_gradient: GradFn, alpha: float, theta_star: np.ndarray, xi: float) -> GradFn:
    """The collective's average gradient ḡ(θ) = −((1 − α)/α) g_P0(θ) + ξ(θ − θ*) (Section 4.2)."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    if xi <= 0:
        raise ValueError(f"xi must be > 0, got {xi}")
    target = np.asarray(theta_star, dtype=float)

    def g(theta: np.ndarray) -> np.ndarray:
        return -(1.0 - alpha) / alpha * base_gradient(theta) + xi * (theta - target)

    return g


@dataclass
class GradientDescentFirm:
    """θ_{t+1} = θ_t − η·[(1 − α)g_P0(θ_t) + α·ḡ_t]: the firm of Section 4.2."""

    base_gradient: GradFn
    eta: float
    theta: np.ndarray
    path: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.eta <= 0:
            raise ValueError(f"eta must be > 0, got {self.eta}")
        self.theta = np.asarray(self.theta, dtype=float).copy()
        self.path = [self.theta.copy()]

    def run(self, steps: int, alpha: float = 0.0, collective: GradFn | None = None) -> np.ndarray:
        """Take ``steps`` steps; returns the path (steps + 1, d) including the start."""
        for _ in range(steps):
            g = (1.0 - alpha) * self.base_gradient(self.theta)
            if collective is not None and alpha > 0:
                g = g + alpha * collective(self.theta)
            self.theta = self.theta - self.eta * g
            self.path.append(self.theta.copy())
        return np.array(self.path)
