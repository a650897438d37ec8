"""Success curves S(α) as exact piecewise-linear curves (the input of Section 6's economics).

Success curves may be any callable α ↦ S(α) (vectorised over numpy arrays), or sampled
points (α_i, S_i); both become a :class:`SuccessCurve`, a piecewise-linear curve on which
:mod:`acsim.theory.economics` computes critical masses and integrals exactly. Success
values are probabilities and are clipped to [0, 1] (a vacuous negative theory bound means
"no guaranteed success").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

import numpy as np
from numpy.typing import ArrayLike

from acsim.theory.domain import check


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
