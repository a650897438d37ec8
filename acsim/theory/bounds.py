"""Every bound of the paper, vectorised with numpy.

Hardt, Mazumdar, Mendler-Dünner, Zrnic, "Algorithmic Collective Action in Machine
Learning": Theorems 1, 3, 5 (classification, Section 3), Theorem 7, Corollary 8 and
Proposition 9 (convex risk minimisation, Section 4.1), Theorem 10 (gradient-based
learning, Section 4.2), in the ε-suboptimal forms of the paper.

Conventions shared by every function here:

* Arguments broadcast like numpy ufuncs; 0-d results come back as Python floats.
* Success bounds return the raw formula value. A negative lower bound means the
  theorem guarantees nothing at that size (the bound is vacuous); plot code clips.
* Critical-mass functions return the raw upper bound on α*. A value above 1, or
  ``inf``, means the theorem guarantees the target at no collective size.
* Out-of-domain arguments raise ``ValueError`` naming the parameter and its range;
  a NaN never comes back silently.

A note on ε. The paper's ε-extensions rest on Lemma 11, which writes an ε-close
conditional as P' = (1 − ε)P + εQ. These bounds are therefore exact for classifiers
that are Bayes-optimal for such a contaminated conditional (which is what
:class:`acsim.theory.firms.bayes.BayesFirm` with ``eps > 0`` plays adversarially), and the
module reproduces the paper's formulas as printed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from acsim.theory.domain import check, scalar_or_array
from acsim.theory.strategy import STRATEGIES

__all__ = [
    "STRATEGIES",
    "feature_label_success_bound",
    "feature_label_critical_mass",
    "feature_only_success_bound",
    "feature_only_critical_mass",
    "erasure_success_bound",
    "erasure_critical_mass",
    "gradient_neutralizing_success_bound",
    "gradient_neutralizing_critical_mass",
    "utility_critical_mass",
    "gradient_control_success_bound",
    "suboptimality_factor",
    "success_bound",
]


def _alpha(alpha: ArrayLike) -> np.ndarray:
    return check("alpha", alpha, 0.0, 1.0, lo_open=True)


def _eps(eps: ArrayLike) -> np.ndarray:
    return check("eps", eps, 0.0, 0.5, hi_open=True)


def _target(target: ArrayLike) -> np.ndarray:
    return check("target", target, 0.0, 1.0, lo_open=True, hi_open=True)


def suboptimality_factor(delta: ArrayLike, eps: ArrayLike = 0.0) -> float | np.ndarray:
    """((1 − ε)Δ + ε) / (1 − 2ε): how an ε-suboptimal firm inflates the gap Δ (Theorem 1).

    Equals Δ for the Bayes-optimal firm (ε = 0).
    """
    d = check("delta", delta, 0.0, 1.0)
    e = _eps(eps)
    return scalar_or_array(((1.0 - e) * d + e) / (1.0 - 2.0 * e))


def feature_label_success_bound(
    alpha: ArrayLike, xi: ArrayLike, delta: ArrayLike, eps: ArrayLike = 0.0
) -> float | np.ndarray:
    """Theorem 1: success of the feature-label signal strategy h(x, y) = (g(x), y*).

    S(α) ≥ 1 − (1 − α)/α · ((1 − ε)Δ + ε)/(1 − 2ε) · ξ

    for a ξ-unique signal (P0(X*) ≤ ξ), suboptimality gap Δ of y* on the signal set,
    and a classifier ε-suboptimal on X*. Domains: α ∈ (0, 1], ξ ≥ 0, Δ ∈ [0, 1],
    ε ∈ [0, 0.5).
    """
    a = _alpha(alpha)
    x = check("xi", xi, 0.0)
    k = np.asarray(suboptimality_factor(delta, eps))
    with np.errstate(over="ignore"):  # α near 0: the bound tends to −inf, which is its value
        return scalar_or_array(1.0 - (1.0 - a) / a * k * x)


def feature_label_critical_mass(
    target: ArrayLike, xi: ArrayLike, delta: ArrayLike, eps: ArrayLike = 0.0
) -> float | np.ndarray:
    """Corollary 2, eq. (2): critical mass for success S* with feature-label strategies.

    α* ≤ Kξ / (1 − S* + Kξ),   K = ((1 − ε)Δ + ε)/(1 − 2ε).

    Domains: S* ∈ (0, 1), ξ ≥ 0, Δ ∈ [0, 1], ε ∈ [0, 0.5). Zero when Kξ = 0 (a signal
    that never occurs in the base data, or no competing label, is planted by any α > 0).
    """
    s = _target(target)
    x = check("xi", xi, 0.0)
    kx = np.asarray(suboptimality_factor(delta, eps)) * x
    return scalar_or_array(kx / (1.0 - s + kx))


def _effective_positivity(p: np.ndarray, e: np.ndarray) -> np.ndarray:
    # (1 − ε)p − ε: the positivity an ε-suboptimal firm leaves (proof of Theorem 3, App. B.2).
    return (1.0 - e) * p - e


def _feature_only_args(xi: ArrayLike, p: ArrayLike, eps: ArrayLike) -> tuple[np.ndarray, ...]:
    """ξ ≥ 0, p ∈ (0, 1], ε ∈ [0, 0.5) checked, and the effective positivity (Theorem 3, Corollary 4)."""
    x, pp, e = check("xi", xi, 0.0), check("p", p, 0.0, 1.0, lo_open=True), _eps(eps)
    return x, pp, e, _effective_positivity(pp, e)


def feature_only_success_bound(
    alpha: ArrayLike, xi: ArrayLike, p: ArrayLike, eps: ArrayLike = 0.0
) -> float | np.ndarray:
    """Theorem 3: success of the feature-only signal strategy (eq. 3).

    S(α) > 1 − (1 − (1 − ε)p − εα) / ((1 − ε)pα − εα) · ξ

    for a ξ-unique signal and positivity P0(y*|x) ≥ p for all x. Domains: α ∈ (0, 1],
    ξ ≥ 0, p ∈ (0, 1], ε ∈ [0, 0.5). Where (1 − ε)p ≤ ε the firm's suboptimality can
    erase all positivity, the theorem says nothing, and the bound is ``-inf``.
    """
    a = _alpha(alpha)
    x, pp, e, eff = _feature_only_args(xi, p, eps)
    num = 1.0 - (1.0 - e) * pp - e * a
    with np.errstate(divide="ignore", invalid="ignore"):
        val = 1.0 - num / (a * eff) * x
    return scalar_or_array(np.where(eff > 0, val, -np.inf))


def feature_only_critical_mass(
    target: ArrayLike, xi: ArrayLike, p: ArrayLike, eps: ArrayLike = 0.0
) -> float | np.ndarray:
    """Corollary 4, eq. (4): critical mass for success S* with feature-only strategies.

    α* ≤ (1 − (1 − ε)p)ξ / ((1 − S*)((1 − ε)p − ε) + εξ).

    Domains: S* ∈ (0, 1), ξ ≥ 0, p ∈ (0, 1], ε ∈ [0, 0.5). ``inf`` where (1 − ε)p ≤ ε
    (no guarantee at any size, as in Theorem 3).
    """
    s = _target(target)
    x, pp, e, eff = _feature_only_args(xi, p, eps)
    den = (1.0 - s) * eff + e * x
    with np.errstate(divide="ignore", invalid="ignore"):
        val = (1.0 - (1.0 - e) * pp) * x / den
    return scalar_or_array(np.where(eff > 0, val, np.inf))


def erasure_success_bound(alpha: ArrayLike, tau: ArrayLike, eps: ArrayLike = 0.0) -> float | np.ndarray:
    """Theorem 5: success of the erasure strategy h(x, y) = (x, argmax_y P0(y|g(x))).

    S(α) ≥ 1 − 2(1 − α)/α · τ − ε/((1 − ε)α),   τ = E_{x∼P0} max_y |P0(y|x) − P0(y|g(x))|.

    Domains: α ∈ (0, 1], τ ≥ 0, ε ∈ [0, 0.5).
    """
    a = _alpha(alpha)
    t = check("tau", tau, 0.0)
    e = _eps(eps)
    with np.errstate(over="ignore"):
        return scalar_or_array(1.0 - 2.0 * (1.0 - a) / a * t - e / ((1.0 - e) * a))


def erasure_critical_mass(target: ArrayLike, tau: ArrayLike, eps: ArrayLike = 0.0) -> float | np.ndarray:
    """Corollary 6: critical mass for erasing a signal with success S*.

    α* ≤ (2τ + ε/(1 − ε)) / (1 − S* + 2τ).

    Domains: S* ∈ (0, 1), τ ≥ 0, ε ∈ [0, 0.5).
    """
    s = _target(target)
    t = check("tau", tau, 0.0)
    e = _eps(eps)
    return scalar_or_array((2.0 * t + e / (1.0 - e)) / (1.0 - s + 2.0 * t))


def gradient_neutralizing_success_bound(
    alpha: ArrayLike, g0_norm: ArrayLike, gprime_norm: ArrayLike, mu: ArrayLike
) -> float | np.ndarray:
    """Theorem 7: success S(α) = −‖θ − θ*‖ of the gradient-neutralizing strategy.

    S(α) ≥ (1/μ) · min(α‖g_P'(θ*)‖ − (1 − α)‖g_P0(θ*)‖, 0)

    for a μ-strongly convex loss, where g_P0(θ*) is the base distribution's expected
    gradient at the target θ* and g_P'(θ*) that of the gradient-neutralizing
    distribution. Domains: α ∈ (0, 1], norms ≥ 0, μ > 0.
    """
    a = _alpha(alpha)
    g0 = check("g0_norm", g0_norm, 0.0)
    gp = check("gprime_norm", gprime_norm, 0.0)
    m = check("mu", mu, 0.0, lo_open=True)
    return scalar_or_array(np.minimum(a * gp - (1.0 - a) * g0, 0.0) / m)


def _share(part: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """part / (part + rest) for non-negative arrays, 0 where part = 0 (nothing to overcome)."""
    den = part + rest
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(part > 0, part / np.where(den > 0, den, 1.0), 0.0)


def gradient_neutralizing_critical_mass(g0_norm: ArrayLike, gprime_norm: ArrayLike) -> float | np.ndarray:
    """Corollary 8, eq. (5): critical mass for reaching θ* exactly (S(α) = 0), any μ ≥ 0.

    α* ≤ ‖g_P0(θ*)‖ / (‖g_P'(θ*)‖ + ‖g_P0(θ*)‖).

    Domains: norms ≥ 0. Zero when g_P0(θ*) = 0 (θ* is already the firm's optimum).
    """
    g0 = check("g0_norm", g0_norm, 0.0)
    gp = check("gprime_norm", gprime_norm, 0.0)
    return scalar_or_array(_share(g0, gp))


def utility_critical_mass(
    U: ArrayLike, beta: ArrayLike, g_lb: ArrayLike, grad_u_norm: ArrayLike
) -> float | np.ndarray:
    """Proposition 9: critical mass for a utility gain u(θ) − u(θ0) ≥ U (convex u, ℓ2 norm).

    α* ≤ βU / (g_lb ‖∇u(θ0)‖ + βU)

    for a β-smooth loss, with g_lb the smallest ‖g_P'(θ')‖ over ‖θ' − θ0‖ ≤ U/‖∇u(θ0)‖.
    Domains: U ≥ 0, β > 0, g_lb ≥ 0, ‖∇u(θ0)‖ ≥ 0. Zero for U = 0.
    """
    u = check("U", U, 0.0)
    b = check("beta", beta, 0.0, lo_open=True)
    g = check("g_lb", g_lb, 0.0)
    gu = check("grad_u_norm", grad_u_norm, 0.0)
    return scalar_or_array(_share(b * u, g * gu))


def gradient_control_success_bound(
    T: ArrayLike, eta: ArrayLike, C: ArrayLike, dist0: ArrayLike
) -> float | np.ndarray:
    """Theorem 10: success S_T(α) = −‖θ_T − θ*‖ of the gradient-control strategy after T steps.

    S_T(α) ≥ −(1 − ηC(α))^T · ‖θ0 − θ*‖,

    where C(α) = α·c and c is the smallest redirecting strength ξ(θ) on the segment from
    θ0 to θ* (App. B.7). Domains: T ≥ 0 (integer steps), η > 0, C > 0 with ηC < 1 (the
    strategy's ξ < 1/(αη) makes each step a strict contraction; the paper needs ηC < 1), ‖θ0 − θ*‖ ≥ 0.
    """
    t = check("T", T, 0.0)
    fractional = np.ravel(t)[np.ravel(t) != np.floor(np.ravel(t))]
    if fractional.size:
        raise ValueError(f"T must be a whole number of steps >= 0, got {fractional[0]:g}")
    e = check("eta", eta, 0.0, lo_open=True)
    c = check("C", C, 0.0, lo_open=True)
    d = check("dist0", dist0, 0.0)
    rate = e * c
    check("eta*C", rate, 0.0, 1.0, lo_open=True, hi_open=True)
    return scalar_or_array(-((1.0 - rate) ** t) * d)


def success_bound(
    strategy: str,
    alpha: ArrayLike,
    *,
    xi: ArrayLike = 0.0,
    delta: ArrayLike = 1.0,
    p: ArrayLike = 1.0,
    tau: ArrayLike = 0.0,
    eps: ArrayLike = 0.0,
) -> float | np.ndarray:
    """The classification bound of a strategy by name: Theorem 1 (``feature-label``, ξ, Δ),
    Theorem 3 (``feature-only``, ξ, p) or Theorem 5 (``erasure``, τ); raw values."""
    if strategy == "feature-label":
        return feature_label_success_bound(alpha, xi, delta, eps)
    if strategy == "feature-only":
        return feature_only_success_bound(alpha, xi, p, eps)
    if strategy == "erasure":
        return erasure_success_bound(alpha, tau, eps)
    raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
