"""The Olson-style participation model of the paper's Section 6 (Figure 7).

A worker with participation cost c and free-ride share γ joins a collective of size α
iff S(α) − c > γS(α), i.e. iff S(α) exceeds the join threshold S* = c/(1 − γ). The
critical mass α_crit is the smallest size from which joining stays rational all the
way up to α = 1; a collective at or beyond it is self-sustaining. A principal who
pays each recruit the shortfall max(0, c + γS(α) − S(α)) until α_crit spends

    B(α_crit) = ∫₀^α_crit max(0, c + γS(α) − S(α)) dα      (Figure 7)

per unit of population. Success curves may be any callable α ↦ S(α) (vectorised over
numpy arrays), or sampled points (α_i, S_i); both become a :class:`SuccessCurve`, a
piecewise-linear curve on which critical masses and integrals are computed exactly.
Success values are probabilities and are clipped to [0, 1] (a vacuous negative
theory bound means "no guaranteed success").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from acsim.theory.domain import check, scalar_or_array
from acsim.theory.join_rule import joins, join_threshold, membership_gain, never_rational, next_members
# The heterogeneous recruitment plan (built on this module's join rule and curves) is importable here too.
from acsim.theory.recruitment import RecruitmentPlan, recruitment_plan
from acsim.theory.success_curve import (
    ADAPTIVE_TOL,
    DEFAULT_GRID,
    SuccessCurve,
    SuccessCurveLike,
    _eval_clipped,
    adaptive_grid,
    as_success_curve,
    sigmoid_curve,
)

__all__ = [
    "SuccessCurve",
    "as_success_curve",
    "join_threshold",
    "never_rational",
    "joins",
    "critical_mass",
    "is_self_sustaining",
    "principal_investment",
    "members_at",
    "sigmoid_curve",
    # also here: the join rule's arithmetic, the curves' grids, the heterogeneous plan
    "membership_gain",
    "next_members",
    "adaptive_grid",
    "ADAPTIVE_TOL",
    "DEFAULT_GRID",
    "RecruitmentPlan",
    "recruitment_plan",
]


def members_at(alpha: ArrayLike, n_workers: int) -> float | np.ndarray:
    """⌈N·α⌉: the fewest whole members with share ≥ α in a population of N (inf stays inf, NaN NaN).

    The one rule by which a critical mass α_crit becomes a member count n_crit: the
    collective is self-sustaining from that many members on. N·α is rounded to 9 decimals
    first, so α = k/N gives exactly k.
    """
    a = np.asarray(alpha, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where(np.isfinite(a), np.ceil(np.round(a * n_workers, 9)), a)
    return scalar_or_array(out)


def _suffix_min(values: np.ndarray) -> np.ndarray:
    return np.minimum.accumulate(values[::-1])[::-1]


def critical_mass(success_curve: SuccessCurveLike, c: ArrayLike, gamma: ArrayLike) -> float | np.ndarray:
    """α_crit: the smallest α from which joining stays rational up to α = 1 (Section 6).

    That is the infimum of α such that S(α') > c/(1 − γ) for every α' ∈ [α, 1]; it works
    for non-monotone curves (a dip above the first crossing moves α_crit past the dip).
    Returns 0 where the collective sustains itself from any size and ``inf`` where it
    never does (S(1) ≤ S*, which includes every c ≥ 1 − γ). Broadcasts over c and γ.
    """
    curve = as_success_curve(success_curve)
    t = np.asarray(join_threshold(c, gamma), dtype=float)
    a, s = curve.alpha, curve.values
    m = _suffix_min(s)  # nondecreasing: the worst success from each grid point onwards
    j = np.searchsorted(m, t, side="right")  # first grid index with m_j > t
    out = np.full(t.shape, np.inf)
    out[j == 0] = 0.0
    mid = (j > 0) & (j < a.size)
    if np.any(mid):
        jj = j[mid]
        a0, a1, s0, s1 = a[jj - 1], a[jj], s[jj - 1], s[jj]
        # S(a0) ≤ t < S(a1): the curve's last upward crossing of t lies in [a0, a1].
        cross = a0 + (t[mid] - s0) / (s1 - s0) * (a1 - a0)
        if curve.fn is not None:
            cross = _refine_crossing(curve.fn, a0, a1, t[mid])
        out[mid] = cross
    return scalar_or_array(out)


def _refine_crossing(fn, lo: np.ndarray, hi: np.ndarray, t: np.ndarray, iters: int = 60) -> np.ndarray:
    # Bisection on the callable itself, vectorised over thresholds: S(lo) ≤ t < S(hi).
    lo, hi = lo.astype(float).copy(), hi.astype(float).copy()
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        above = _eval_clipped(fn, mid) > t
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return hi


def is_self_sustaining(
    success_curve: SuccessCurveLike, c: ArrayLike, gamma: ArrayLike, alpha: ArrayLike | None = None
) -> bool | np.ndarray:
    """Whether a collective of size α sustains itself: S(α') > c/(1 − γ) for all α' ∈ [α, 1].

    With ``alpha=None`` the question is whether any size is self-sustaining (α_crit < inf),
    i.e. whether a one-time investment can ever make the collective last.
    """
    ac = np.asarray(critical_mass(success_curve, c, gamma), dtype=float)
    if alpha is None:
        out = np.isfinite(ac)
    else:
        a = check("alpha", alpha, 0.0, 1.0)
        curve = as_success_curve(success_curve)
        t = np.asarray(join_threshold(c, gamma), dtype=float)
        # At exactly α_crit the worker is indifferent, so it must be strictly past it,
        # unless the curve is above the threshold from α = 0 on.
        out = np.isfinite(ac) & ((a > ac) | ((ac == 0.0) & (curve(a) > t)))
    return bool(out) if np.ndim(out) == 0 else out


def _positive_part_integral(fa: np.ndarray, fb: np.ndarray, h: np.ndarray) -> np.ndarray:
    """∫ max(0, f) over a segment of width h on which f is linear from fa to fb (exact)."""
    both = (fa >= 0) & (fb >= 0)
    mixed = (fa > 0) != (fb > 0)
    pos = np.maximum(fa, fb)
    span = np.abs(fa) + np.abs(fb)
    with np.errstate(divide="ignore", invalid="ignore"):
        tri = np.where(mixed & (span > 0), h * pos * pos / (2.0 * np.where(span > 0, span, 1.0)), 0.0)
    return np.where(both, 0.5 * h * (fa + fb), tri)


def principal_investment(
    success_curve: SuccessCurveLike,
    c: ArrayLike,
    gamma: ArrayLike,
    alpha_crit: ArrayLike | None = None,
) -> float | np.ndarray:
    """B(α_crit) = ∫₀^α_crit max(0, c + γS(α) − S(α)) dα, the principal's investment (Figure 7).

    The integral is exact on the piecewise-linear curve: sampled curves are used as
    given; callables are sampled on an adaptive grid (:func:`adaptive_grid`) plus α_crit
    itself, which keeps B within 0.1% of high-precision quadrature on the steep bound
    curves of Theorems 1, 3 and 5. ``alpha_crit`` defaults to
    :func:`critical_mass`; where it is ``inf`` (the collective can never sustain itself)
    no one-time investment suffices and B is ``inf``. Multiply by the population size N
    for the total subsidy to N workers. Broadcasts over c, γ and α_crit.
    """
    curve = as_success_curve(success_curve)
    cc = check("c", c, 0.0)
    g = check("gamma", gamma, 0.0, 1.0)
    if alpha_crit is None:
        ac = np.asarray(critical_mass(curve, c, gamma), dtype=float)
    else:
        ac = check("alpha_crit", alpha_crit, 0.0, 1.0, allow_inf=True)
    cc, g, ac = np.broadcast_arrays(cc, g, ac)
    shape = cc.shape
    cc, g, ac = cc.ravel(), g.ravel(), ac.ravel()
    out = np.full(cc.shape, np.inf)
    a, s = curve.alpha, curve.values
    h = np.diff(a)
    finite = np.flatnonzero(np.isfinite(ac))
    for chunk in np.array_split(finite, max(1, finite.size // 256)):
        if chunk.size == 0:
            continue
        ci, gi, ai = cc[chunk, None], g[chunk, None], ac[chunk]
        f = ci - (1.0 - gi) * s[None, :]  # the shortfall c + γS − S at each grid point
        seg = _positive_part_integral(f[:, :-1], f[:, 1:], h[None, :])
        cum = np.concatenate([np.zeros((chunk.size, 1)), np.cumsum(seg, axis=1)], axis=1)
        k = np.clip(np.searchsorted(a, ai, side="right") - 1, 0, a.size - 1)  # a[k] ≤ α_crit
        s_at = curve(ai) if curve.fn is None else _eval_clipped(curve.fn, ai)
        f_at = ci[:, 0] - (1.0 - gi[:, 0]) * s_at
        rows = np.arange(chunk.size)
        part = _positive_part_integral(f[rows, k], f_at, ai - a[k])
        out[chunk] = cum[rows, k] + part
    return scalar_or_array(out.reshape(shape))
