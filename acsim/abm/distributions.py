"""Distributions of the workers' costs c_i and free-ride shares γ_i (Section 6), checked and drawn."""

from __future__ import annotations

import math
from typing import Any, Literal, Optional

import numpy as np

from acsim.abm.fields import Range, Strict, bad, interval

DISTRIBUTIONS = ("constant", "uniform", "beta", "lognormal", "values")

# Costs are exp(mean + sigma·z): past this a draw overflows float64 to inf. Ten sigmas
# (7.6e-24 per draw) keep every one of 10⁷ workers finite.
LOGNORMAL_LIMIT = math.log(np.finfo(float).max)


def lognormal_overflows(mean: float, sigma: float) -> bool:
    """Whether ``rng.lognormal(mean, sigma)`` can overflow to inf for a population (mean + 10·sigma past log(max float))."""
    return float(mean) + 10.0 * float(sigma) > LOGNORMAL_LIMIT


_DIST_KEYS = {  # allowed, required
    "constant": ({"value"}, {"value"}),
    "uniform": ({"low", "high"}, {"low", "high"}),
    "beta": ({"a", "b", "loc", "scale"}, {"a", "b"}),
    "lognormal": ({"mean", "sigma"}, {"mean", "sigma"}),
    "values": ({"values"}, {"values"}),
}


def param_range(dist: str, key: str, unit: bool) -> Range:
    """The allowed values of one parameter of a cost (``unit=False``) or γ (``unit=True``) distribution.

    Values of the support itself (constant, uniform, beta's loc) lie in [0, ∞) for costs
    and [0, 1] for γ; beta's shapes are > 0; a lognormal's mean is any finite number, its
    sigma ≥ 0. The dashboard's boxes read their bounds from here too.
    """
    if dist == "beta" and key in ("a", "b"):
        return Range(0.0, lo_open=True)
    if dist == "lognormal":
        return Range(0.0) if key == "sigma" else Range()
    return Range(0.0, 1.0 if unit else math.inf)


_ALL_DIST_KEYS = ("value", "low", "high", "a", "b", "loc", "scale", "mean", "sigma", "values")


class Dist(Strict):
    """A distribution of costs (support [0, ∞)) or free-ride shares γ (support [0, 1]).

    ``constant`` {value}, ``uniform`` {low, high}, ``beta`` {a, b, loc=0, scale=1},
    ``lognormal`` {mean, sigma} (numpy's: of the underlying normal; a γ above 1 is
    truncated to 1, a worker who never joins), ``values`` {values: one per worker}.
    """

    dist: Literal[DISTRIBUTIONS] = "constant"  # type: ignore[valid-type]
    value: Optional[float] = None
    low: Optional[float] = None
    high: Optional[float] = None
    a: Optional[float] = None
    b: Optional[float] = None
    loc: Optional[float] = None
    scale: Optional[float] = None
    mean: Optional[float] = None
    sigma: Optional[float] = None
    values: Optional[list[float]] = None

    def params(self) -> dict[str, Any]:
        allowed, _ = _DIST_KEYS[self.dist]
        return {k: getattr(self, k) for k in sorted(allowed) if getattr(self, k) is not None}

    def check(self, unit: bool, n: int) -> None:
        """PydanticCustomError naming the sub-field for keys of another distribution or values outside the support."""
        allowed, required = _DIST_KEYS[self.dist]
        given = {k for k in _ALL_DIST_KEYS if getattr(self, k) is not None}
        for k in sorted(given - allowed):
            raise bad(f"does not apply to dist = {self.dist!r} (it takes {', '.join(sorted(allowed))})", sub=k,
                      value=getattr(self, k), has_value=True)
        missing = sorted(required - given)
        if missing:
            raise bad(f"is required for dist = {self.dist!r}", sub=missing[0])
        hi = 1.0 if unit else math.inf
        support = interval(0.0, hi)

        def inside(k: str) -> None:
            v, r = getattr(self, k), param_range(self.dist, k, unit)
            if v is not None and not r.contains(v):
                raise bad(r.problem(), sub=k, value=v, has_value=True)

        if self.dist == "constant":
            inside("value")
        elif self.dist == "uniform":
            inside("low")
            inside("high")
            if self.low > self.high:  # type: ignore[operator]
                raise bad(f"is below low = {self.low:g}", sub="high", value=self.high, has_value=True)
        elif self.dist == "beta":
            for k in ("a", "b", "loc"):
                inside(k)
            loc, scale = self.loc or 0.0, 1.0 if self.scale is None else self.scale
            if not (math.isfinite(scale) and scale >= 0 and loc + scale <= hi):
                raise bad(f"must be >= 0 with loc + scale in {support}", sub="scale", value=scale, has_value=True)
        elif self.dist == "lognormal":
            inside("mean")
            inside("sigma")
            if not unit and lognormal_overflows(self.mean, self.sigma):  # type: ignore[arg-type]
                raise bad(f"is too large for mean = {self.mean:g}: costs exp(mean + sigma·z) overflow to inf "
                          f"(need mean + 10·sigma <= {LOGNORMAL_LIMIT:.2f})", sub="sigma", value=self.sigma, has_value=True)
        else:
            v = np.asarray(self.values, dtype=float)
            if v.shape != (n,):
                raise bad(f"must list one value per worker ({{n_workers}} = {n}), got {v.size}", sub="values")
            if not np.all(np.isfinite(v)) or v.min() < 0 or v.max() > hi:
                raise bad(f"must all be in {support}", sub="values")


def draw(dist: str, params: dict[str, Any], n: int, rng: np.random.Generator, unit: bool = False) -> np.ndarray:
    """n draws of a cost (unit=False) or free-ride share γ (unit=True; lognormal truncated at 1)."""
    if dist == "constant":
        out = np.full(n, float(params["value"]))
    elif dist == "uniform":
        out = rng.uniform(float(params["low"]), float(params["high"]), n)
    elif dist == "beta":
        out = float(params.get("loc", 0.0)) + float(params.get("scale", 1.0)) * rng.beta(params["a"], params["b"], n)
    elif dist == "lognormal":
        out = rng.lognormal(float(params["mean"]), float(params["sigma"]), n)
    else:
        out = np.array(params["values"], dtype=float)
    return np.minimum(out, 1.0) if unit else out
