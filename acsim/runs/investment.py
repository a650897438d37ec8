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

import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from acsim.runs import batch
from acsim.runs.investment_curves import CURVE_KINDS, CurveSpec, bound_curves, empirical_curve, empirical_curves
from acsim.runs.investment_figures import heatmaps, simulation_figure
from acsim.theory import economics

__all__ = [
    "CURVE_KINDS",
    "CurveSpec",
    "bound_curves",
    "empirical_curve",
    "empirical_curves",
    "parse_grid",
    "investment_table",
    "member_table",
    "simulation_runs",
    "simulate",
    "heatmaps",
    "simulation_figure",
]

STATUSES = ("never individually rational", "not reached within the sizes tried", "never self-sustaining on this curve",
            "organic", "self-sustaining")


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
    ``n_workers``, ``members_crit`` = ⌈N·α_crit⌉ (:func:`acsim.theory.economics.members_at`)
    and ``B_total`` = N · B(α_crit).
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
            df["members_crit"] = np.asarray(economics.members_at(ac.ravel(), n_workers), dtype=float)
            df["B_total"] = df["B_crit"] * n_workers
        meta = {"curve": spec.label, "curve_index": i, **{k: v for k, v in spec.describe().items()}}
        meta.pop("kind")
        meta["curve_kind"] = spec.kind
        for j, (k, v) in enumerate(meta.items()):
            df.insert(j, k, v)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def member_table(
    curves: Sequence[CurveSpec], costs: Sequence[float] | np.ndarray, gammas: Sequence[float] | np.ndarray,
    n_total: int, members: Sequence[int] | np.ndarray,
) -> pd.DataFrame:
    """The study at a fixed platform size N, swept over member counts n: one row per (curve, c, γ, n).

    Columns: ``curve``, ``curve_index``, ``c``, ``gamma``, ``n_total`` (N), ``n``, ``alpha``
    (n/N), ``S`` (S(n/N) on the curve), ``threshold`` (S*), ``rational`` (S > S*: a worker
    joins a collective of n), ``members_crit`` (⌈N·α_crit⌉), ``self_sustaining`` (n ≥
    members_crit: from n on the collective grows by itself), ``B_total`` (N·∫₀^{n/N} of
    Figure 7's shortfall: what carrying the collective to n costs) and ``pay_total`` (the
    same paid in whole workers: Σ_{k<n} max(0, c + γS(k/N) − S(k/N)), the k-th recruit paid
    its shortfall at the size it joins, as the agent-based model's principal pays).
    """
    n_arr = np.unique(np.asarray(members, dtype=float).ravel())
    if n_arr.size == 0 or np.any(n_arr != np.round(n_arr)) or n_arr.min() < 1 or n_arr.max() > n_total:
        raise ValueError(f"members must be whole counts in [1, {n_total}] (the platform size N), got {members!r}")
    n_arr = n_arr.astype(int)
    base = investment_table(curves, costs, gammas, n_total)
    frames = []
    k = np.arange(int(n_arr.max()))
    for i, spec in enumerate(curves):
        curve = spec.curve()
        s_k = np.asarray(curve(k / n_total), dtype=float)  # S at each size a recruit joins
        s_n = np.asarray(curve(n_arr / n_total), dtype=float)
        rows = base[base["curve_index"] == i]
        for _, r in rows.iterrows():
            c, g = float(r["c"]), float(r["gamma"])
            short = np.cumsum(np.maximum(0.0, c - (1.0 - g) * s_k))
            b = np.asarray(economics.principal_investment(curve, c, g, n_arr / n_total), dtype=float) * n_total
            frames.append(pd.DataFrame({
                "curve": spec.label, "curve_index": i, "c": c, "gamma": g, "n_total": n_total, "n": n_arr,
                "alpha": n_arr / n_total, "S": s_n, "threshold": float(r["threshold"]),
                "rational": s_n > float(r["threshold"]), "members_crit": float(r["members_crit"]),
                "self_sustaining": n_arr >= float(r["members_crit"]), "B_total": b, "pay_total": short[n_arr - 1],
            }))
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
