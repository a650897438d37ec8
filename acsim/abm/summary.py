"""A read-only summary of a model's state for viewers (the dashboard, notebooks): :func:`summarize`.

What a view of a :class:`acsim.abm.model.CollectiveActionModel` needs beyond its rows,
computed by acsim rather than re-derived by each view, and read without touching the
model's private state or writing anything onto it:

* the workers' join thresholds S* = c/(1 − γ) (Section 6): min, median, max and the
  10–90% band (linear-interpolation quantiles, numpy's default method, of
  ``model.sorted_thresholds``; a quantile between two infinite thresholds, γ = 1, is
  ∞, where ``numpy.quantile`` would give NaN);
* the median worker's (c, γ), Figure 7's representative worker when costs differ;
* the S-curve the principal plans on (``model.principal_curve()``) and its current
  assessment α_crit, B(α_crit) (NaN before its first round);
* the collective's current size.

Thresholds never change during a run, so those values are computed once per model and
kept here in a :class:`weakref.WeakKeyDictionary` keyed by the model (nothing is cached
on the model itself; the entry goes when the model does).
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from acsim.theory.economics import SuccessCurve

if TYPE_CHECKING:
    from acsim.abm.model import CollectiveActionModel

BAND = (0.1, 0.9)  # the band of join thresholds a view shades


@dataclass(frozen=True)
class ThresholdStats:
    """The join thresholds c/(1 − γ) of a model's workers (fixed for a model)."""

    min: float
    q10: float
    median: float
    q90: float
    max: float
    cost_median: float
    gamma_median: float
    homogeneous: bool  # every worker has the same (c, γ)


@dataclass(frozen=True)
class ModelSummary:
    """What a viewer shows of a model now; see the module docstring. NaN where not known yet."""

    n_workers: int
    round: int  # rounds done (``model.steps``)
    members: int
    alpha: float  # members / N
    thresholds: ThresholdStats
    curve: SuccessCurve  # the S-curve the principal plans on (model.principal_curve())
    alpha_crit: float  # the principal's critical mass on that curve (inf: none is self-sustaining)
    B_crit: float  # B(α_crit) per worker
    B_crit_total: float  # N · B(α_crit), comparable with the rows' spend_total
    principal: str  # the principal's policy (params.principal)
    principal_status: str

    # Shorthands for the fields a chart reads most.
    @property
    def threshold_min(self) -> float:
        return self.thresholds.min

    @property
    def threshold_median(self) -> float:
        return self.thresholds.median

    @property
    def threshold_max(self) -> float:
        return self.thresholds.max

    @property
    def threshold_band(self) -> tuple[float, float]:
        """The 10% and 90% quantiles of the join thresholds."""
        return self.thresholds.q10, self.thresholds.q90


def quantile_sorted(sorted_values: np.ndarray, q: float) -> float:
    """The q-quantile of an ascending array, linear interpolation (``numpy.quantile``'s default).

    Unlike numpy it keeps infinite values: between two ∞ (or between a finite value and
    ∞, for q strictly past the finite one) the quantile is ∞, not NaN.
    """
    t = np.asarray(sorted_values, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"quantile_sorted needs a non-empty 1-d array, got shape {t.shape}")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile q must be in [0, 1], got {q!r}")
    pos = q * (t.size - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, t.size - 1)
    frac = pos - lo
    a, b = float(t[lo]), float(t[hi])
    if frac == 0.0 or a == b:
        return a
    if math.isinf(b):
        return b
    return a + frac * (b - a)


_fixed: "weakref.WeakKeyDictionary[CollectiveActionModel, ThresholdStats]" = weakref.WeakKeyDictionary()
_fixed_lock = threading.Lock()


def threshold_stats(model: "CollectiveActionModel") -> ThresholdStats:
    """The model's :class:`ThresholdStats` (computed on the first call, then kept for the model)."""
    with _fixed_lock:
        got = _fixed.get(model)
    if got is not None:
        return got
    t = model.sorted_thresholds
    pop = model.population
    got = ThresholdStats(
        min=float(t[0]), q10=quantile_sorted(t, BAND[0]), median=quantile_sorted(t, 0.5),
        q90=quantile_sorted(t, BAND[1]), max=float(t[-1]),
        cost_median=float(np.median(pop.cost)), gamma_median=float(np.median(pop.gamma)), homogeneous=bool(model.homogeneous),
    )
    with _fixed_lock:
        return _fixed.setdefault(model, got)


def summarize(model: "CollectiveActionModel") -> ModelSummary:
    """The model's :class:`ModelSummary` now (reads the model; writes nothing onto it).

    ``model.principal_curve()`` is what the principal itself calls every round: for a
    trained firm with a principal it may run the principal's probes the first time
    (on their own random stream, as the model's next round would).
    """
    pop = model.population
    n = int(pop.n)
    members = int(np.count_nonzero(pop.member))
    pr = model.principal
    a = pr.assessment
    alpha_crit = float(a.alpha_crit) if a is not None else math.nan
    b_crit = float(a.B_crit) if a is not None else math.nan
    return ModelSummary(
        n_workers=n, round=int(model.steps), members=members, alpha=members / n,
        thresholds=threshold_stats(model), curve=model.principal_curve(),
        alpha_crit=alpha_crit, B_crit=b_crit, B_crit_total=n * b_crit,
        principal=str(model.params.principal), principal_status=str(pr.status),
    )
