"""A finite world in which the paper's Section 3 can be computed exactly.

Features X = {0..n_x−1}, labels Y = {0..K−1}, a base distribution P0 (a joint table),
a signal map g: X → X given as an index array, and the collective's target label y*.
The collective's strategy h turns P0 into P* (Section 2); the firm sees the mixture
P = αP* + (1 − α)P0 and, being a :class:`~acsim.theory.firms.bayes.BayesFirm`, deploys
its exact argmax. Success is then a finite sum, with no sampling error, so it can be
set against Theorems 1, 3 and 5 directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from acsim import theory
from acsim.theory.firms.bayes import BayesFirm
from acsim.theory.strategy import Strategy


@dataclass(frozen=True)
class DiscreteWorld:
    """P0 as a joint table (n_x, K), the signal map g (length n_x) and the target y*."""

    p0: np.ndarray
    signal: np.ndarray
    target: int = 0

    def __post_init__(self) -> None:
        p0 = np.asarray(self.p0, dtype=float)
        g = np.asarray(self.signal, dtype=int)
        if p0.ndim != 2 or np.any(p0 < 0) or not np.isclose(p0.sum(), 1.0):
            raise ValueError("p0 must be a joint probability table (n_x, K) summing to 1")
        if g.shape != (p0.shape[0],) or g.min() < 0 or g.max() >= p0.shape[0]:
            raise ValueError("signal must map each of the n_x features to a feature index")
        if not 0 <= self.target < p0.shape[1]:
            raise ValueError(f"target must be a label in [0, {p0.shape[1] - 1}], got {self.target}")
        object.__setattr__(self, "p0", p0)
        object.__setattr__(self, "signal", g)

    # -- the base distribution -------------------------------------------------
    @property
    def n_x(self) -> int:
        return self.p0.shape[0]

    @property
    def marginal(self) -> np.ndarray:
        return self.p0.sum(axis=1)

    @property
    def conditional(self) -> np.ndarray:
        """P0(y|x); uniform where P0(x) = 0 (never used where it matters)."""
        m = self.marginal[:, None]
        return np.divide(self.p0, m, out=np.full_like(self.p0, 1.0 / self.p0.shape[1]), where=m > 0)

    @property
    def signal_set(self) -> np.ndarray:
        """X* = g(X) as a boolean mask (Definition 3)."""
        mask = np.zeros(self.n_x, dtype=bool)
        mask[self.signal] = True
        return mask

    # -- the theory's quantities, exactly ----------------------------------------
    def xi(self) -> float:
        """P0(X*): the signal is ξ-unique for every ξ ≥ this (Definition 3)."""
        return float(self.marginal[self.signal_set].sum())

    def delta(self) -> float:
        """Δ = max_{x∈X*} (max_y P0(y|x) − P0(y*|x)), over signal points the base data produces."""
        on = self.signal_set & (self.marginal > 0)
        if not on.any():
            return 0.0
        cond = self.conditional[on]
        return float(np.max(cond.max(axis=1) - cond[:, self.target]))

    def positivity(self) -> float:
        """The largest p with P0(y*|x) ≥ p for every x in the support (Theorem 3)."""
        on = self.marginal > 0
        return float(self.conditional[on, self.target].min())

    def erasure_labels(self) -> np.ndarray:
        """y*(x) = argmax_y P0(y|g(x)), the label the erasure strategy writes (Section 3.2)."""
        return np.argmax(self.conditional[self.signal], axis=1)

    def tau(self) -> float:
        """τ = E_{x∼P0} max_y |P0(y|x) − P0(y|g(x))| (Theorem 5)."""
        cond = self.conditional
        per_x = np.abs(cond - cond[self.signal]).max(axis=1)
        return float(self.marginal @ per_x)

    # -- strategies on distributions ----------------------------------------------
    def strategy_distribution(self, strategy: Strategy | str) -> np.ndarray:
        """P*, the law of h(z) for z ∼ P0 under the given strategy (eqs. 1 and 3, Section 3.2)."""
        s = Strategy.parse(strategy)
        out = np.zeros_like(self.p0)
        if s is Strategy.FEATURE_LABEL:
            np.add.at(out[:, self.target], self.signal, self.marginal)
        elif s is Strategy.FEATURE_ONLY:
            out += self.p0
            out[:, self.target] = 0.0
            np.add.at(out[:, self.target], self.signal, self.p0[:, self.target])
        else:
            out[np.arange(self.n_x), self.erasure_labels()] = self.marginal
        return out

    def mixture(self, strategy: Strategy | str, alpha: float | np.ndarray) -> np.ndarray:
        """P = αP* + (1 − α)P0, what the firm observes (Section 2); an array of α gives a stack (..., n_x, K)."""
        a = np.asarray(alpha, dtype=float)[..., None, None]
        return a * self.strategy_distribution(strategy) + (1.0 - a) * self.p0

    # -- exact success -----------------------------------------------------------------
    def firm(self, strategy: Strategy | str, alpha: float | np.ndarray, eps: float = 0.0, adversary: str = "contamination") -> BayesFirm:
        """The firm's classifier on the mixture, breaking ties against the collective (one per α of an array)."""
        s = Strategy.parse(strategy)
        against = self.target if s is not Strategy.ERASURE else self._erasure_favoured()
        return BayesFirm(eps=eps, adversary=adversary, against=against).fit(self.mixture(s, alpha))

    def _erasure_favoured(self) -> np.ndarray:
        return self.erasure_labels()

    def success(self, strategy: Strategy | str, alpha: float, eps: float = 0.0, adversary: str = "contamination") -> float:
        """Exact S(α): Pr_{x∼P0}{f(g(x)) = y*} for planting, Pr_{x∼P0}{f(x) = f(g(x))} for erasure."""
        s = Strategy.parse(strategy)
        f = self.firm(s, alpha, eps, adversary)
        if s is Strategy.ERASURE:
            hit = f.predict(np.arange(self.n_x)) == f.predict(self.signal)
        else:
            hit = f.predict(self.signal) == self.target
        return float(self.marginal @ hit)

    def bound(self, strategy: Strategy | str, alpha: float, eps: float = 0.0) -> float:
        """The paper's lower bound on S(α) with this world's exact ξ, Δ, p, τ (Thms 1, 3, 5)."""
        s = Strategy.parse(strategy)
        if s is Strategy.FEATURE_LABEL:
            return theory.feature_label_success_bound(alpha, self.xi(), self.delta(), eps)
        if s is Strategy.FEATURE_ONLY:
            return theory.feature_only_success_bound(alpha, self.xi(), self.positivity(), eps)
        return theory.erasure_success_bound(alpha, self.tau(), eps)


def random_world(
    rng: np.random.Generator,
    n_base: int = 6,
    n_signal: int = 2,
    n_labels: int = 3,
    kind: str = "planting",
    signal_mass: float = 0.05,
    positivity: float = 0.0,
    concentration: float = 0.5,
) -> DiscreteWorld:
    """A random world for property tests and demos.

    ``kind="planting"``: ``n_signal`` extra signal points carry ``signal_mass`` of base
    mass in total (some may carry none, like an unused token) and g sends every point to
    one of them. ``kind="erasure"``: g is an idempotent projection onto ``n_signal``
    representative base points. ``positivity`` mixes P0(y*|x) ≥ that value into every
    conditional (Theorem 3's assumption).
    """
    k = n_labels
    if kind == "planting":
        n_x = n_base + n_signal
        base = rng.dirichlet(np.full(n_base, 1.0)) * (1.0 - signal_mass)
        sig = rng.dirichlet(np.full(n_signal, 0.7)) * signal_mass
        sig[rng.random(n_signal) < 0.3] = 0.0  # unused tokens exist
        if sig.sum() == 0:
            sig[0] = signal_mass
        if signal_mass > 0:
            sig *= signal_mass / sig.sum()
        marg = np.r_[base, sig]
        g = rng.integers(n_base, n_x, size=n_x)
    elif kind == "erasure":
        n_x = n_base
        marg = rng.dirichlet(np.full(n_x, 1.0))
        reps = rng.choice(n_x, size=min(n_signal, n_x), replace=False)
        g = reps[rng.integers(0, reps.size, size=n_x)]
        g[reps] = reps
    else:
        raise ValueError(f"kind must be 'planting' or 'erasure', got {kind!r}")
    cond = rng.dirichlet(np.full(k, concentration), size=n_x)
    if positivity > 0:
        onehot = np.zeros(k)
        onehot[0] = 1.0
        cond = positivity * onehot + (1.0 - positivity) * cond
    p0 = marg[:, None] * cond
    p0 /= p0.sum()
    return DiscreteWorld(p0, g, target=0)


def signal_world(xi: float, delta: float, signals: int = 4, base: int = 8, positivity: float = 0.5) -> DiscreteWorld:
    """A two-label world with a ξ-unique signal whose points resist planting by different amounts.

    ``base`` features share mass 1 − ξ with P0(y*|x) = ``positivity``; ``signals`` signal
    points share ξ equally, and signal point j = 1..k has the conditional gap
    P0(y'|x̃_j) − P0(y*|x̃_j) = Δ·j/k, so the largest gap is Δ (Theorem 1's Δ exactly) and a
    finite collective cracks them one by one (the staircase of Gauthier et al., Section 4).
    g sends base feature i to signal point i mod k and every signal point to itself; y* = 0.
    """
    if not 0.0 <= xi < 1.0:
        raise ValueError(f"xi must be in [0, 1), got {xi:g}")
    if not 0.0 <= delta <= 1.0:
        raise ValueError(f"delta must be in [0, 1], got {delta:g}")
    if signals < 1 or base < 1:
        raise ValueError(f"signals and base must be >= 1, got {signals}, {base}")
    if not 0.0 <= positivity <= 1.0:
        raise ValueError(f"positivity must be in [0, 1], got {positivity:g}")
    gaps = delta * np.arange(1, signals + 1) / signals
    p_target = np.r_[np.full(base, positivity), (1.0 - gaps) / 2.0]
    marg = np.r_[np.full(base, (1.0 - xi) / base), np.full(signals, xi / signals)]
    p0 = marg[:, None] * np.c_[p_target, 1.0 - p_target]
    g = np.r_[base + np.arange(base) % signals, base + np.arange(signals)]
    return DiscreteWorld(p0 / p0.sum(), g, target=0)
