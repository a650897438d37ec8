"""The success curves of the investment study (:mod:`acsim.runs.investment`).

A :class:`CurveSpec` is one curve S(α): the paper's bound for a strategy (Theorem 1, 3 or
5), the sigmoid family of its Figures 2–6, or an empirical curve read from a finished
batch (:func:`empirical_curve`); :func:`bound_curves` builds a grid of bound curves.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from acsim import theory
from acsim.theory import economics
from acsim.theory.discrete import signal_world
from acsim.theory.finite_sample import member_curve
from acsim.theory.economics import SuccessCurve

CURVE_KINDS = ("bound", "finite-sample", "sigmoid", "empirical")
_STRATEGIES = theory.STRATEGIES


@dataclass(frozen=True)
class CurveSpec:
    """One success curve S(α) of the study.

    ``kind="bound"``: the paper's lower bound for ``strategy`` (Theorem 1: ξ, Δ, ε;
    Theorem 3: ξ, p, ε; Theorem 5: τ, ε), clipped to [0, 1] (a vacuous bound promises
    no success). ``kind="finite-sample"``: the finite-sample bound of Gauthier et al.
    (2025, Theorems 3.3 and 3.5) a typical collective computes on a platform of
    ``n_total`` points, in the signal world of ξ, Δ (p) with ``signals`` points, holding
    with probability ≥ 1 − ``fail_prob`` (:func:`acsim.theory.finite_sample.member_curve`):
    a staircase in n that depends on N, not only on α. ``kind="sigmoid"``: offset + (1 − offset)σ(slope·(α − midpoint)), the
    family of the paper's fitted curves. ``kind="empirical"``: the mean measured success
    at each sampled α (``alpha``, ``values``), piecewise linear in between, from
    ``source`` (a batch folder).
    """

    kind: str = "bound"
    strategy: str = "feature-label"
    xi: float = 1e-3
    delta: float = 1.0
    p: float = 0.3
    tau: float = 1e-3
    eps: float = 0.0
    midpoint: float = math.nan
    slope: float = math.nan
    offset: float = 0.0
    source: str = ""
    n_total: int = 0
    signals: int = 1
    fail_prob: float = 0.05
    alpha: tuple[float, ...] = field(default=(), repr=False)
    values: tuple[float, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if self.kind not in CURVE_KINDS:
            raise ValueError(f"curve kind must be one of {', '.join(CURVE_KINDS)}, got {self.kind!r}")
        if self.kind == "bound":
            if self.strategy not in _STRATEGIES:
                raise ValueError(f"strategy must be one of {', '.join(_STRATEGIES)}, got {self.strategy!r}")
            # Domain checks of the theorems themselves: one clear message per bad value.
            theory.feature_label_success_bound(1.0, self.xi, self.delta, self.eps)
            if self.strategy == "feature-only":
                theory.feature_only_success_bound(1.0, self.xi, self.p, self.eps)
            if self.strategy == "erasure":
                theory.erasure_success_bound(1.0, self.tau, self.eps)
        elif self.kind == "finite-sample":
            if self.strategy not in ("feature-label", "feature-only"):
                raise ValueError(f"a finite-sample curve covers feature-label or feature-only, got {self.strategy!r}")
            if self.n_total < 2:
                raise ValueError(f"a finite-sample curve needs the platform size N >= 2, got {self.n_total}")
            if self.signals < 1 or not 0.0 < self.fail_prob < 1.0:
                raise ValueError(f"signals must be >= 1 and fail_prob in (0, 1), got {self.signals}, {self.fail_prob:g}")
            self.world()
        elif self.kind == "sigmoid":
            if not (math.isfinite(self.midpoint) and math.isfinite(self.slope)):
                raise ValueError("a sigmoid curve needs a finite midpoint and slope")
            if not 0.0 <= self.offset < 1.0:
                raise ValueError(f"sigmoid offset must be in [0, 1), got {self.offset:g}")
        elif self.kind == "empirical":
            if len(self.alpha) == 0 or len(self.alpha) != len(self.values):
                raise ValueError("an empirical curve needs (alpha, S) samples of the same non-zero length")

    @property
    def label(self) -> str:
        """A short human-readable name (figure titles, the table's ``curve`` column)."""
        if self.kind == "sigmoid":
            return f"sigmoid mid={self.midpoint:g} slope={self.slope:g}" + (f" offset={self.offset:g}" if self.offset else "")
        if self.kind == "empirical":
            return f"empirical {self.source or 'samples'}"
        if self.kind == "finite-sample":
            knobs = f"ξ={self.xi:g} Δ={self.delta:g}" + (f" p={self.p:g}" if self.strategy == "feature-only" else "")
            return f"finite-sample {self.strategy} {knobs} N={self.n_total:,} δ={self.fail_prob:g} ε={self.eps:g}"
        knobs = {"feature-label": f"ξ={self.xi:g} Δ={self.delta:g}", "feature-only": f"ξ={self.xi:g} p={self.p:g}",
                 "erasure": f"τ={self.tau:g}"}[self.strategy]
        return f"{self.strategy} {knobs} ε={self.eps:g}"

    def function(self) -> Callable[[np.ndarray], np.ndarray]:
        """S(α) as a vectorised callable, clipped to [0, 1]."""
        if self.kind == "bound":
            strategy, xi, delta, p, tau, eps = self.strategy, self.xi, self.delta, self.p, self.tau, self.eps

            def s(a: np.ndarray) -> np.ndarray:
                a = np.clip(np.asarray(a, dtype=float), 1e-12, 1.0)
                v = theory.success_bound(strategy, a, xi=xi, delta=delta, p=p, tau=tau, eps=eps)
                return np.clip(v, 0.0, 1.0)

            return s
        if self.kind == "sigmoid":
            return economics.sigmoid_curve(self.midpoint, self.slope, self.offset)
        return self.curve()

    def world(self):
        """The finite-sample curve's signal world (:func:`acsim.theory.discrete.signal_world`)."""
        return signal_world(self.xi, self.delta, self.signals, positivity=self.p)

    def curve(self) -> SuccessCurve:
        """The curve in the form :mod:`acsim.theory.economics` computes on."""
        if self.kind == "finite-sample":
            return member_curve(self.world(), self.strategy, self.n_total, None, self.fail_prob, self.eps)
        if self.kind == "empirical":
            return SuccessCurve.from_samples(np.asarray(self.alpha), np.asarray(self.values), label=self.label)
        return SuccessCurve.from_callable(self.function(), label=self.label)

    def model_firm(self) -> dict[str, Any]:
        """The agent-based model's ``theory`` firm with this S-curve: ModelParams fields."""
        if self.kind == "bound":
            tp = {"feature-label": {"xi": self.xi, "delta": self.delta, "eps": self.eps},
                  "feature-only": {"xi": self.xi, "p": self.p, "eps": self.eps},
                  "erasure": {"tau": self.tau, "eps": self.eps}}[self.strategy]
            return {"firm": "theory", "strategy": self.strategy, "firm_params": {"curve": "bound"}, "theory_params": tp}
        if self.kind == "finite-sample":
            tp = {"xi": self.xi, "delta": self.delta, "p": self.p, "eps": self.eps}
            return {"firm": "theory", "strategy": self.strategy, "theory_params": tp,
                    "firm_params": {"curve": "finite-sample", "signals": self.signals, "fail_prob": self.fail_prob}}
        if self.kind == "sigmoid":
            return {"firm": "theory", "firm_params": {"curve": "sigmoid", "midpoint": self.midpoint,
                                                      "slope": self.slope, "offset": self.offset}}
        # (α, S) samples: a tuple, which the model turns into a piecewise-linear curve.
        return {"firm": "theory", "firm_params": {"curve": (list(self.alpha), list(self.values))}}

    def describe(self) -> dict[str, Any]:
        """The curve's parameters as table columns (NaN where they do not apply)."""
        d = {k: v for k, v in asdict(self).items() if k not in ("alpha", "values")}
        nan = math.nan
        if self.kind not in ("bound", "finite-sample"):
            d.update(strategy="", xi=nan, delta=nan, p=nan, tau=nan, eps=nan)
        else:
            used = {"feature-label": ("xi", "delta", "eps"), "feature-only": ("xi", "p", "eps"), "erasure": ("tau", "eps")}[self.strategy]
            if self.kind == "finite-sample":
                used = (*used, "delta")
            for k in ("xi", "delta", "p", "tau"):
                if k not in used:
                    d[k] = nan
        if self.kind != "sigmoid":
            d.update(midpoint=nan, slope=nan, offset=nan)
        if self.kind != "finite-sample":
            d.update(n_total=nan, signals=nan, fail_prob=nan)
        return d


def bound_curves(
    strategies: Iterable[str] = ("feature-label",),
    xis: Iterable[float] = (1e-3,),
    epss: Iterable[float] = (0.0,),
    delta: float = 1.0,
    p: float = 0.3,
    taus: Iterable[float] | None = None,
) -> list[CurveSpec]:
    """The product of strategies × ξ × ε (× τ for erasure, which has no ξ) as bound curves."""
    out: list[CurveSpec] = []
    for s in strategies:
        for e in epss:
            if s == "erasure":
                for t in (taus if taus is not None else xis):
                    out.append(CurveSpec("bound", s, tau=float(t), eps=float(e)))
            else:
                for x in xis:
                    out.append(CurveSpec("bound", s, xi=float(x), delta=delta, p=p, eps=float(e)))
    return list(dict.fromkeys(out))


def empirical_curves(batch_dir: str | Path, metric: str = "S") -> list[CurveSpec]:
    """One empirical curve per sweep point of a finished batch (:func:`empirical_curve` on each).

    A batch that sweeps a setting other than the collective's size (a firm's defence, a
    cost) holds one S-curve per point; pooling them would average different firms. Each
    curve's ``source`` names the batch, the point and its swept values.
    """
    df, col = _samples(Path(batch_dir), metric)
    if "point_index" not in df.columns:
        raise ValueError(f"{batch_dir}: no point_index column (not an acsim run batch folder)")
    swept = [c for c in df.columns if "." in c]
    out = []
    for pi, g in df.groupby("point_index", sort=True):
        what = ", ".join(f"{c}={g[c].iloc[0]}" for c in swept)
        out.append(_curve_of(g["alpha"].to_numpy(float), g[col].to_numpy(float), f"{batch_dir} point {pi}" + (f" ({what})" if what else ""),
                             batch_dir, col))
    return out


def _curve_of(a: np.ndarray, s: np.ndarray, source: str, where, col: str) -> CurveSpec:
    ok = np.isfinite(a) & np.isfinite(s)
    if not ok.any():
        raise ValueError(f"{where}: no finite (alpha, {col}) samples")
    return CurveSpec("empirical", source=source, alpha=tuple(map(float, a[ok])), values=tuple(map(float, s[ok])))


def empirical_curve(batch_dir: str | Path, metric: str = "S") -> CurveSpec:
    """An empirical S-curve from a finished batch (``acsim run`` output folder).

    Model batches: every round's (α_t, S_t) from ``rounds.parquet``; experiment batches
    (the paper's Figures 2–6) and ``acsim experiment`` folders: each run's (α, success)
    from ``summary.parquet`` / ``runs.parquet``
    (``metric`` = ``success_inclusion`` or ``success_top1``; ``S`` means inclusion there).
    Several samples at one α are averaged (:meth:`SuccessCurve.from_samples`).
    """
    d = Path(batch_dir)
    df, col = _samples(d, metric)
    return _curve_of(df["alpha"].to_numpy(float), df[col].to_numpy(float), str(d), d, col)


def _samples(d: Path, metric: str) -> tuple[pd.DataFrame, str]:
    """The (α, success) table of a batch folder: rounds of a model batch, runs of an experiment."""
    if not d.is_dir():
        raise FileNotFoundError(f"{d}: no such batch folder (run `acsim run SCENARIO --out {d}` first)")
    rounds, summary = d / "rounds.parquet", d / "summary.parquet"
    if not summary.exists() and (d / "runs.parquet").exists():
        summary = d / "runs.parquet"  # an `acsim experiment NAME` folder: one row per training run
    if rounds.exists() and pd.read_parquet(rounds, columns=None).shape[0] > 0:
        df = pd.read_parquet(rounds)
        col = metric
        if col not in df.columns:
            raise ValueError(f"{rounds}: no column {metric!r} (have {', '.join(df.columns)})")
        return df, col
    if summary.exists():
        df = pd.read_parquet(summary)
        col = "success_inclusion" if metric == "S" else metric
        if "alpha" not in df.columns or col not in df.columns:
            raise ValueError(f"{summary}: needs columns alpha and {col}")
        return df, col
    raise FileNotFoundError(f"{d}: no rounds.parquet, summary.parquet or runs.parquet (is the batch finished?)")
