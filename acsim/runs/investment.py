"""The investment-threshold study: Section 6 of the paper over a grid of c, γ and success curves.

For a population with participation cost c and free-ride share γ, joining is rational
iff S(α) > S* = c/(1 − γ) (Section 6). On each success curve S(α) this module reads off

* α_crit, the critical mass from which the collective is self-sustaining
  (:func:`acsim.theory.economics.critical_mass`; 0 = it grows from any size, ``inf`` = never);
* whether it is self-sustaining at all (α_crit < ∞), and whether joining is never
  individually rational (c ≥ 1 − γ);
* the principal's required investment B(α_crit) = ∫₀^α_crit max(0, c + γS(α) − S(α)) dα
  per worker (Figure 7; :func:`acsim.theory.economics.principal_investment`);

for every (curve, c, γ) of a grid, as one tidy table, and draws the table as heatmaps.
Success curves are the paper's bounds (Theorem 1, 3 or 5 with ξ, Δ, p, τ, ε), the
sigmoid family of its Figures 2–6, or an *empirical* curve: the (α, S) pairs of a
finished ``acsim run`` batch.

:func:`simulate` checks the area against the agent-based model: at each grid point a
cheapest-first principal (:class:`acsim.abm.model.CollectiveActionModel`) recruits N
identical workers until the collective sustains itself; its spend per worker is a
Riemann sum of Figure 7's area, so it should sit on B(α_crit) up to O(1/N).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from acsim.theory import economics
from acsim import theory
from acsim.theory.economics import SuccessCurve

__all__ = [
    "CURVE_KINDS",
    "CurveSpec",
    "bound_curves",
    "empirical_curve",
    "parse_grid",
    "investment_table",
    "simulation_runs",
    "simulate",
    "heatmaps",
    "simulation_figure",
]

CURVE_KINDS = ("bound", "sigmoid", "empirical")
STATUSES = ("never individually rational", "not reached within the sizes tried", "never self-sustaining on this curve",
            "organic", "self-sustaining")
_STRATEGIES = theory.STRATEGIES


@dataclass(frozen=True)
class CurveSpec:
    """One success curve S(α) of the study.

    ``kind="bound"``: the paper's lower bound for ``strategy`` (Theorem 1: ξ, Δ, ε;
    Theorem 3: ξ, p, ε; Theorem 5: τ, ε), clipped to [0, 1] (a vacuous bound promises
    no success). ``kind="sigmoid"``: offset + (1 − offset)σ(slope·(α − midpoint)), the
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
        elif self.kind == "sigmoid":
            if not (math.isfinite(self.midpoint) and math.isfinite(self.slope)):
                raise ValueError("a sigmoid curve needs a finite midpoint and slope")
            if not 0.0 <= self.offset < 1.0:
                raise ValueError(f"sigmoid offset must be in [0, 1), got {self.offset:g}")
        else:
            if len(self.alpha) == 0 or len(self.alpha) != len(self.values):
                raise ValueError("an empirical curve needs (alpha, S) samples of the same non-zero length")

    @property
    def label(self) -> str:
        """A short human-readable name (figure titles, the table's ``curve`` column)."""
        if self.kind == "sigmoid":
            return f"sigmoid mid={self.midpoint:g} slope={self.slope:g}" + (f" offset={self.offset:g}" if self.offset else "")
        if self.kind == "empirical":
            return f"empirical {self.source or 'samples'}"
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

    def curve(self) -> SuccessCurve:
        """The curve in the form :mod:`acsim.theory.economics` computes on."""
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
        if self.kind == "sigmoid":
            return {"firm": "theory", "firm_params": {"curve": "sigmoid", "midpoint": self.midpoint,
                                                      "slope": self.slope, "offset": self.offset}}
        # (α, S) samples: a tuple, which the model turns into a piecewise-linear curve.
        return {"firm": "theory", "firm_params": {"curve": (list(self.alpha), list(self.values))}}

    def describe(self) -> dict[str, Any]:
        """The curve's parameters as table columns (NaN where they do not apply)."""
        d = {k: v for k, v in asdict(self).items() if k not in ("alpha", "values")}
        nan = math.nan
        if self.kind != "bound":
            d.update(strategy="", xi=nan, delta=nan, p=nan, tau=nan, eps=nan)
        else:
            used = {"feature-label": ("xi", "delta", "eps"), "feature-only": ("xi", "p", "eps"), "erasure": ("tau", "eps")}[self.strategy]
            for k in ("xi", "delta", "p", "tau"):
                if k not in used:
                    d[k] = nan
        if self.kind != "sigmoid":
            d.update(midpoint=nan, slope=nan, offset=nan)
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


def empirical_curve(batch_dir: str | Path, metric: str = "S") -> CurveSpec:
    """An empirical S-curve from a finished batch (``acsim run`` output folder).

    Model batches: every round's (α_t, S_t) from ``rounds.parquet``; experiment batches
    (the paper's Figures 2–6) and ``acsim experiment`` folders: each run's (α, success)
    from ``summary.parquet`` / ``runs.parquet``
    (``metric`` = ``success_inclusion`` or ``success_top1``; ``S`` means inclusion there).
    Several samples at one α are averaged (:meth:`SuccessCurve.from_samples`).
    """
    d = Path(batch_dir)
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
        a, s = df["alpha"].to_numpy(float), df[col].to_numpy(float)
    elif summary.exists():
        df = pd.read_parquet(summary)
        col = "success_inclusion" if metric == "S" else metric
        if "alpha" not in df.columns or col not in df.columns:
            raise ValueError(f"{summary}: needs columns alpha and {col}")
        a, s = df["alpha"].to_numpy(float), df[col].to_numpy(float)
    else:
        raise FileNotFoundError(f"{d}: no rounds.parquet, summary.parquet or runs.parquet (is the batch finished?)")
    ok = np.isfinite(a) & np.isfinite(s)
    if not ok.any():
        raise ValueError(f"{d}: no finite (alpha, {col}) samples")
    return CurveSpec("empirical", source=str(d), alpha=tuple(map(float, a[ok])), values=tuple(map(float, s[ok])))


_RANGE = re.compile(r"^\s*([^:]+):([^:]+):(\d+)\s*(log)?\s*$")


def parse_grid(text: str, name: str) -> np.ndarray:
    """``"0.1,0.2,0.3"`` (a list) or ``"LO:HI:N"`` (N evenly spaced), ``"LO:HI:N log"`` (geometric)."""
    m = _RANGE.match(text)
    try:
        if m:
            lo, hi, n = float(m.group(1)), float(m.group(2)), int(m.group(3))
            if n < 1:
                raise ValueError
            if m.group(4):
                if lo <= 0 or hi <= 0:
                    raise ValueError(f"--{name}: a log grid needs LO, HI > 0, got {text!r}")
                return np.geomspace(lo, hi, n)
            return np.linspace(lo, hi, n)
        vals = np.array([float(v) for v in text.split(",") if v.strip()])
    except ValueError as exc:
        if str(exc).startswith("--"):
            raise
        raise ValueError(f"--{name} must be a comma-separated list or LO:HI:N, got {text!r}") from None
    if vals.size == 0:
        raise ValueError(f"--{name} is empty")
    return vals


def investment_table(
    curves: Sequence[CurveSpec], costs: Sequence[float] | np.ndarray, gammas: Sequence[float] | np.ndarray,
    n_workers: int | None = None,
) -> pd.DataFrame:
    """One row per (curve, c, γ): S*, α_crit, self-sustaining, B(α_crit) (Section 6, Figure 7).

    Columns: ``curve`` (label), ``curve_index``, the curve's parameters, ``c``, ``gamma``,
    ``threshold`` = c/(1 − γ), ``never_rational`` (c ≥ 1 − γ), ``S_at_1`` (the success
    of the whole population), ``alpha_crit`` (0 = grows from any size, inf = never),
    ``self_sustaining`` (α_crit < ∞), ``organic`` (α_crit = 0: no investment needed),
    ``B_crit`` (per worker; inf where no one-time investment suffices), ``status`` (one of
    :data:`STATUSES`: an empirical curve whose largest size tried is below α = 1 says
    "not reached within the sizes tried" where a known curve says "never self-sustaining
    on this curve"; c ≥ 1 − γ is "never individually rational" on any curve) and, with
    ``n_workers``, ``B_total`` = N · B(α_crit).
    """
    cc = np.asarray(costs, dtype=float).ravel()
    gg = np.asarray(gammas, dtype=float).ravel()
    if cc.size == 0 or gg.size == 0:
        raise ValueError("the cost and gamma grids must not be empty")
    # Domain checks before any work: the message names the parameter and its range.
    economics.join_threshold(cc, 0.0)
    economics.join_threshold(0.0, gg)
    if n_workers is not None and n_workers < 1:
        raise ValueError(f"n_workers must be >= 1, got {n_workers}")
    C, G = np.meshgrid(cc, gg, indexing="ij")
    frames = []
    for i, spec in enumerate(curves):
        curve = spec.curve()
        ac = np.asarray(economics.critical_mass(curve, C, G), dtype=float)
        # α_crit is recomputed inside: economics.check rejects an explicit inf α_crit
        # (its [0, 1] check runs before allow_inf), so it cannot be passed through.
        b = np.asarray(economics.principal_investment(curve, C, G), dtype=float)
        df = pd.DataFrame({
            "c": C.ravel(), "gamma": G.ravel(),
            "threshold": np.asarray(economics.join_threshold(C, G), dtype=float).ravel(),
            "never_rational": np.asarray(economics.never_rational(C, G)).ravel(),
            "S_at_1": float(curve(1.0)),
            "alpha_crit": ac.ravel(),
            "self_sustaining": np.isfinite(ac).ravel(),
            "organic": (ac == 0.0).ravel(),
            "B_crit": b.ravel(),
        })
        # An empirical curve is known only up to the largest size tried: a threshold above
        # what it reached there is "not reached within the sizes tried", not "never".
        a_max = max(spec.alpha) if spec.kind == "empirical" else 1.0
        df["sizes_tried_max"] = a_max
        df["status"] = np.select(
            [df["never_rational"], df["organic"], df["self_sustaining"], np.full(len(df), a_max < 1.0)],
            ["never individually rational", "organic", "self-sustaining", "not reached within the sizes tried"],
            "never self-sustaining on this curve")
        if n_workers is not None:
            df["B_total"] = df["B_crit"] * n_workers
        meta = {"curve": spec.label, "curve_index": i, **{k: v for k, v in spec.describe().items()}}
        meta.pop("kind")
        meta["curve_kind"] = spec.kind
        for j, (k, v) in enumerate(meta.items()):
            df.insert(j, k, v)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def simulation_runs(
    curves: Sequence[CurveSpec], costs: Sequence[float] | np.ndarray, gammas: Sequence[float] | np.ndarray,
    n_workers: int = 1000, rounds: int = 5, seed: int = 0,
) -> list[dict[str, Any]]:
    """The model runs of :func:`simulate`, as batch run specs (see :mod:`acsim.runs.batch`).

    Each grid point is a population of ``n_workers`` identical workers (constant c, γ),
    nobody in the collective at first, a cheapest-first principal with unlimited budget,
    no recruitment cap: it signs recruits one by one (each paid its shortfall at the size
    it joins) until α_crit, after which everyone joins for free.
    """
    out = []
    for i, spec in enumerate(curves):
        firm = spec.model_firm()
        for c in np.asarray(costs, dtype=float).ravel():
            for g in np.asarray(gammas, dtype=float).ravel():
                params = {
                    "n_workers": int(n_workers),
                    "cost_dist": "constant", "cost_params": {"value": float(c)},
                    "gamma_dist": "constant", "gamma_params": {"value": float(g)},
                    "principal": "cheapest", "rounds": int(rounds), **firm,
                }
                out.append({"params": params, "seed": int(seed),
                            "point": {"curve_index": i, "curve": spec.label, "c": float(c), "gamma": float(g)}})
    return out


def simulate(
    curves: Sequence[CurveSpec], costs: Sequence[float] | np.ndarray, gammas: Sequence[float] | np.ndarray,
    n_workers: int = 1000, rounds: int = 5, seed: int = 0, out_dir: str | Path | None = None,
    executor: str = "local", jobs: int | None = None, address: str | None = None, progress: bool = False,
) -> pd.DataFrame:
    """Run the agent-based model at every grid point; one row each with its spend and the theory.

    Columns: ``curve_index``, ``curve``, ``c``, ``gamma``, ``sim_spend`` (the principal's
    total spend per worker), ``sim_alpha_crit`` and ``sim_B_crit`` (what the model's
    principal computed), ``sim_alpha_final`` (α after the last round), ``sim_status``.
    Runs go through :func:`acsim.runs.batch.execute` (resumable under ``out_dir``; any executor).
    """
    from acsim.runs import batch

    specs = simulation_runs(curves, costs, gammas, n_workers, rounds, seed)
    runs = [batch.RunSpec.make("model", s["params"], s["seed"], s["point"]) for s in specs]
    res = batch.execute(runs, out_dir=out_dir, executor=executor, jobs=jobs, address=address, progress=progress)
    rows = []
    for run in runs:
        df = res.frames[run.run_id]
        last = df.iloc[-1]
        rows.append({**run.point, "sim_spend": float(last["spend_total"]) / n_workers,
                     "sim_alpha_crit": float(last["alpha_crit"]), "sim_B_crit": float(last["B_crit"]),
                     "sim_alpha_final": float(last["alpha_end"]), "sim_status": str(last["principal_status"])})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- figures


def _edges(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5]) if v[0] == 0 else np.array([v[0] * 0.5, v[0] * 1.5])
    mid = 0.5 * (v[1:] + v[:-1])
    return np.r_[v[0] - (mid[0] - v[0]), mid, v[-1] + (v[-1] - mid[-1])]


def _slug(text: str) -> str:
    for greek, latin in (("ξ", "xi"), ("Δ", "delta"), ("ε", "eps"), ("τ", "tau"), ("γ", "gamma")):
        text = text.replace(greek, latin)
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).strip("_")[:80]


def heatmaps(table: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """One PNG per curve: α_crit and B(α_crit) over the (c, γ) grid (Section 6, Figure 7).

    Cells without a number are grey in three shades, by reason (``status``): never
    individually rational (c ≥ 1 − γ), not reached within the sizes tried (an empirical
    curve's threshold above what its largest size reached), never self-sustaining on
    this curve. Cells where it sustains itself from any size (α_crit = 0) are white with
    a dot in the α_crit panel. The dashed line is c = 1 − γ.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for idx, g in table.groupby("curve_index", sort=True):
        label = str(g["curve"].iloc[0])
        cs, gs = np.unique(g["c"]), np.unique(g["gamma"])
        piv = {k: g.pivot(index="gamma", columns="c", values=k).reindex(index=gs, columns=cs).to_numpy(float)
               for k in ("alpha_crit", "B_crit")}
        fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.3), constrained_layout=True)
        xe, ye = _edges(cs), _edges(gs)
        status = g.pivot(index="gamma", columns="c", values="status").reindex(index=gs, columns=cs).to_numpy(object)
        for ax, key, title in ((axes[0], "alpha_crit", "critical mass α_crit"),
                               (axes[1], "B_crit", "investment B(α_crit) per worker")):
            z = piv[key]
            # Three different reasons for no number, three different greys (each in the legend).
            for shade, name in ((0.55, "never individually rational"), (0.3, "not reached within the sizes tried"),
                                (0.8, "never self-sustaining on this curve")):
                cells = status == name
                if cells.any():
                    ax.pcolormesh(xe, ye, np.where(cells, 1.0, np.nan), cmap="Greys", vmin=0, vmax=1 / shade,
                                  shading="flat")
                    ax.fill_between([], [], color=str(1 - shade), label=name)
            pos = np.isfinite(z) & (z > 0)
            if pos.any():
                lo, hi = float(z[pos].min()), float(z[pos].max())
                norm = LogNorm(vmin=lo, vmax=hi if hi > lo else lo * 10)
                m = ax.pcolormesh(xe, ye, np.where(pos, z, np.nan), cmap="viridis", norm=norm, shading="flat")
                fig.colorbar(m, ax=ax, label={"alpha_crit": "α_crit", "B_crit": "B(α_crit)"}[key])
            zero = np.isfinite(z) & (z == 0)
            if zero.any():
                yy, xx = np.nonzero(zero)
                ax.scatter(cs[xx], gs[yy], s=6, color="k", marker=".", label="0 (organic)")
            line = np.linspace(0, 1, 50)
            ax.plot(1 - line, line, "r--", lw=1, label="c = 1 − γ")
            ax.set_xlim(xe[0], xe[-1])
            ax.set_ylim(ye[0], ye[-1])
            ax.set_xlabel("participation cost c")
            ax.set_ylabel("free-ride share γ")
            ax.set_title(title)
            ax.legend(loc="lower left", fontsize=7)
        fig.suptitle(label, fontsize=10)
        path = out / f"heatmap_{int(idx):02d}_{_slug(label)}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def simulation_figure(joined: pd.DataFrame, path: str | Path, n_workers: int) -> Path:
    """Simulated spend per worker against B(α_crit), one colour per curve, with y = x."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(5.6, 4.8), constrained_layout=True)
    # Log axes: only points where both the area and the simulated spend are positive.
    ok = np.isfinite(joined["B_crit"]) & (joined["B_crit"] > 0) & (joined["sim_spend"] > 0)
    for k, (idx, g) in enumerate(joined[ok].groupby("curve_index", sort=True)):
        ax.scatter(g["B_crit"], g["sim_spend"], s=14, color=f"C{k % 10}", alpha=0.8, label=str(g["curve"].iloc[0]))
    if ok.any():
        vals = np.r_[joined.loc[ok, "B_crit"].to_numpy(float), joined.loc[ok, "sim_spend"].to_numpy(float)]
        grid = np.geomspace(vals.min(), vals.max(), 50)
        ax.plot(grid, grid, "k--", lw=1, label="spend = B(α_crit)")
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("B(α_crit) per worker (Figure 7's area)")
    ax.set_ylabel(f"simulated principal spend per worker (N = {n_workers:,})")
    ax.set_title("Investment: agent-based model vs Section 6")
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
