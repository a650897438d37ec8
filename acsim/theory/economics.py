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

from dataclasses import dataclass
from typing import Callable, Union

import numpy as np
from numpy.typing import ArrayLike

from acsim.theory.domain import check, scalar_or_array

__all__ = [
    "SuccessCurve",
    "as_success_curve",
    "join_threshold",
    "never_rational",
    "joins",
    "critical_mass",
    "is_self_sustaining",
    "principal_investment",
    "sigmoid_curve",
]

DEFAULT_GRID = 4097  # uniform grid size where one is asked for (SuccessCurve.from_callable(fn, n))
ADAPTIVE_TOL = 1e-9  # |S − linear interpolation| at every segment midpoint of an adaptive grid
_ADAPTIVE_MAX_POINTS = 400_000


@dataclass(frozen=True)
class SuccessCurve:
    """S(α) as a piecewise-linear curve on an increasing grid covering [0, 1].

    ``fn`` keeps the original callable (if any) so critical masses can be refined on it.
    Outside the sampled range the curve is constant (numpy ``interp`` convention).
    """

    alpha: np.ndarray
    values: np.ndarray
    fn: Callable[[np.ndarray], ArrayLike] | None = None
    label: str = ""

    def __call__(self, alpha: ArrayLike) -> np.ndarray:
        a = np.asarray(alpha, dtype=float)
        if self.fn is not None:
            return _eval_clipped(self.fn, a)
        return np.interp(a, self.alpha, self.values)

    @classmethod
    def from_callable(
        cls, fn: Callable[[np.ndarray], ArrayLike], n: int | None = None, label: str = "", tol: float = ADAPTIVE_TOL
    ) -> "SuccessCurve":
        """Sample ``fn`` on a grid fine enough that linear interpolation is within ``tol`` of it.

        ``n=None`` (the default) builds an adaptive grid (:func:`adaptive_grid`): theory
        bounds such as Theorem 1's 1 − (1 − α)/α·Kξ rise from 0 to 1 between α ≈ Kξ and
        a few Kξ, far below any fixed grid step when ξ is small, so a uniform grid
        underestimates B(α_crit) by a third at ξ = 10⁻⁴. An integer ``n`` samples a
        uniform grid of n points instead (for costly callables such as the exact Bayes firm).
        """
        if n is None:
            grid, values = adaptive_grid(fn, tol)
            return cls(grid, values, fn, label)
        if n < 2:
            raise ValueError(f"n must be >= 2 grid points, got {n}")
        grid = np.linspace(0.0, 1.0, n)
        return cls(grid, _eval_clipped(fn, grid), fn, label)

    @classmethod
    def from_samples(cls, alpha: ArrayLike, values: ArrayLike, label: str = "") -> "SuccessCurve":
        a = check("alpha", alpha, 0.0, 1.0)
        s = np.asarray(values, dtype=float)
        if a.ndim != 1 or a.shape != s.shape or a.size == 0:
            raise ValueError("sampled success curve needs 1-d alpha and S arrays of the same non-zero length")
        if not np.all(np.isfinite(s)):
            raise ValueError("sampled success values must be finite")
        # Several runs per α (seeds) are averaged: the curve is the mean success at each size.
        ua, inv = np.unique(a, return_inverse=True)
        sums = np.bincount(inv, weights=s)
        means = sums / np.bincount(inv)
        means = np.clip(means, 0.0, 1.0)
        if ua[0] > 0.0:
            ua, means = np.r_[0.0, ua], np.r_[means[0], means]
        if ua[-1] < 1.0:
            ua, means = np.r_[ua, 1.0], np.r_[means, means[-1]]
        return cls(ua, means, None, label)


SuccessCurveLike = Union[SuccessCurve, Callable[[np.ndarray], ArrayLike], tuple]


def _eval_clipped(fn: Callable[[np.ndarray], ArrayLike], alpha: np.ndarray) -> np.ndarray:
    # Theory bounds are undefined at α = 0 (their domain is (0, 1]); a tiny α stands in.
    a = np.maximum(np.asarray(alpha, dtype=float), 1e-12)
    try:
        out = np.asarray(fn(a), dtype=float)
        if out.shape != a.shape:
            out = np.broadcast_to(out, a.shape).astype(float)
    except (TypeError, ValueError):
        out = np.array([float(fn(float(x))) for x in np.ravel(a)]).reshape(a.shape)
    if np.any(np.isnan(out)):
        raise ValueError("success curve returned NaN")
    return np.clip(out, 0.0, 1.0)


def adaptive_grid(fn: Callable[[np.ndarray], ArrayLike], tol: float = ADAPTIVE_TOL) -> tuple[np.ndarray, np.ndarray]:
    """A grid on [0, 1] on which linear interpolation of the clipped ``fn`` is within ``tol``.

    Starts from a uniform grid joined with a geometric one down to α = 10⁻¹² (success
    curves of the paper change on the scale of α itself: Theorem 1 and 3 at α ≈ ξ,
    Theorem 5 at α ≈ τ) and halves every segment whose midpoint value differs from the
    chord by more than ``tol`` until none does (at most :data:`_ADAPTIVE_MAX_POINTS`
    points). The segment error of the integrals computed on it is then at most about
    ``tol`` times the segment width, so B(α_crit) is exact to far better than 0.1% for
    ξ, τ ≥ 10⁻⁶ (``tests/test_economics.py`` checks it against ``scipy.integrate.quad``).
    """
    grid = np.unique(np.r_[0.0, np.geomspace(1e-12, 1.0, 1025), np.linspace(0.0, 1.0, 1025)])
    values = _eval_clipped(fn, grid)
    for _ in range(64):
        mid = 0.5 * (grid[:-1] + grid[1:])
        f_mid = _eval_clipped(fn, mid)
        bad = np.abs(f_mid - 0.5 * (values[:-1] + values[1:])) > tol
        bad &= mid > grid[:-1]  # segments already at float resolution cannot be split
        if not bad.any() or grid.size + np.count_nonzero(bad) > _ADAPTIVE_MAX_POINTS:
            break
        grid = np.r_[grid, mid[bad]]
        values = np.r_[values, f_mid[bad]]
        order = np.argsort(grid, kind="stable")
        grid, values = grid[order], values[order]
    return grid, values


def as_success_curve(curve: SuccessCurveLike, n: int | None = None) -> SuccessCurve:
    """Coerce a callable, an ``(alpha, S)`` pair of arrays, or a SuccessCurve."""
    if isinstance(curve, SuccessCurve):
        return curve
    if callable(curve):
        return SuccessCurve.from_callable(curve, n)
    if isinstance(curve, tuple) and len(curve) == 2:
        return SuccessCurve.from_samples(*curve)
    raise TypeError("success_curve must be a callable alpha -> S, a pair (alpha, S) of arrays, or a SuccessCurve")


def sigmoid_curve(midpoint: float, slope: float, offset: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    """S(α) = offset + (1 − offset) / (1 + exp(−slope·(α − midpoint))).

    The paper's best-fit curves (Figures 2–6) are sigmoids with two shape parameters and
    an offset; this is that family, for building known success curves.
    """

    def s(alpha: np.ndarray) -> np.ndarray:
        a = np.asarray(alpha, dtype=float)
        with np.errstate(over="ignore"):  # exp → inf far below the midpoint of a steep curve: S = offset, exactly
            return offset + (1.0 - offset) / (1.0 + np.exp(-slope * (a - midpoint)))

    return s


def join_threshold(c: ArrayLike, gamma: ArrayLike) -> float | np.ndarray:
    """S* = c/(1 − γ): joining is rational iff S(α) > S* (Section 6: S(α) − c > γS(α)).

    Domains: c ≥ 0, γ ∈ [0, 1]. ``inf`` at γ = 1 (free riding is as good as joining).
    A threshold ≥ 1 (c ≥ 1 − γ) means joining is never individually rational, since
    S ≤ 1: see :func:`never_rational`.
    """
    cc = check("c", c, 0.0)
    g = check("gamma", gamma, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(g < 1.0, cc / np.where(g < 1.0, 1.0 - g, 1.0), np.inf)
    return scalar_or_array(t)


def never_rational(c: ArrayLike, gamma: ArrayLike) -> bool | np.ndarray:
    """True where c ≥ 1 − γ: no success S ≤ 1 makes joining individually rational (Section 6)."""
    cc = check("c", c, 0.0)
    g = check("gamma", gamma, 0.0, 1.0)
    out = cc >= 1.0 - g
    return bool(out) if out.ndim == 0 else out


def membership_gain(belief: ArrayLike, cost: ArrayLike, stake: ArrayLike) -> np.ndarray:
    """What membership is worth over free riding: (1 − γ)·b − c, with ``stake`` = 1 − γ.

    Section 6's join rule S − c > γS is ``membership_gain(S, c, 1 − γ) > 0``. The one
    place the rule's arithmetic lives: :func:`joins`, the model's stage 3, the
    principal's sustain test and its subsidies (the shortfall −gain) all call it, so they
    agree to the last bit. Array code without domain checks (the callers have them).
    """
    return stake * belief - cost


def next_members(member: np.ndarray, want: np.ndarray, allow_leave: bool = True,
                 committed: np.ndarray | None = None) -> np.ndarray:
    """Stage 3's membership update: whoever wants in is a member next round; a member who
    no longer does leaves, unless leaving is switched off or a contract (``committed``) holds it."""
    if not allow_leave:
        return member | want
    return want | (member & committed) if committed is not None else want.copy()


def joins(success: ArrayLike, c: ArrayLike, gamma: ArrayLike) -> bool | np.ndarray:
    """The join rule S − c > γS of Section 6, elementwise (a worker's decision at success S)."""
    s = check("success", success, 0.0, 1.0)
    cc = check("c", c, 0.0)
    g = check("gamma", gamma, 0.0, 1.0)
    out = membership_gain(s, cc, 1.0 - g) > 0.0
    return bool(out) if out.ndim == 0 else out


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


def __getattr__(name: str):
    # The heterogeneous recruitment plan lives in acsim.theory.recruitment (which builds on this
    # module); the old names stay reachable here without an import cycle at load time.
    if name in ("RecruitmentPlan", "recruitment_plan"):
        from acsim.theory import recruitment

        return getattr(recruitment, name)
    raise AttributeError(f"module 'acsim.theory.economics' has no attribute {name!r}")
