"""A finished batch's PNG figures, drawn from its tables alone (:mod:`acsim.runs.outputs`).

Model batches: ``alpha.png`` (α over rounds), ``success.png`` (S over rounds with the
paper's bound and the join threshold c/(1 − γ)), ``s_alpha.png`` (S(α) with a fitted
sigmoid and the critical mass). Experiment batches: the paper's figure per sweep point
(:func:`acsim.plots.experiment_figure`), its theory overlay from what the runs recorded.
matplotlib is loaded only when a figure is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from acsim.platform.fits import fit_curve
from acsim.runs.store import atomic_write as _atomic

__all__ = ["figures", "model_figures", "experiment_figures"]

ID_COLUMNS = ("run_id", "point_index", "seed")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _point_labels(rounds: pd.DataFrame) -> dict[int, str]:
    cols = [c for c in rounds.columns if c not in ID_COLUMNS and "." in c]
    labels = {}
    for idx, g in rounds.groupby("point_index", sort=True):
        labels[int(idx)] = ", ".join(f"{c.split('.')[-1]}={_short(g[c].iloc[0])}" for c in cols) or "all runs"
    return labels


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    s = str(v)
    return s if len(s) <= 24 else s[:21] + "..."


def _colors(n: int) -> list:
    plt = _plt()
    if n <= 10:
        return [f"C{i}" for i in range(n)]
    cmap = plt.get_cmap("viridis")
    return [cmap(i / max(n - 1, 1)) for i in range(n)]


def _point_key(fig, ax, points: list[int], legend: bool) -> None:
    # Up to 10 sweep points get a legend; more get a colour bar of point indices (summary.csv).
    if legend:
        ax.legend(fontsize=7, loc="best")
        return
    plt = _plt()
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    sm = ScalarMappable(norm=Normalize(min(points), max(points)), cmap=plt.get_cmap("viridis"))
    fig.colorbar(sm, ax=ax, label="sweep point (point_index in summary.csv)")


def model_figures(rounds: pd.DataFrame, out: Path) -> dict[str, Path]:
    """α over rounds, S over rounds (with the bound and the join threshold), S(α) with a fitted sigmoid."""
    plt = _plt()
    labels = _point_labels(rounds)
    points = sorted(labels)
    colors = dict(zip(points, _colors(len(points))))
    legend = len(points) <= 10
    paths = {}

    # α over rounds: round 0 is the initial collective, then α after each round's decisions.
    fig, ax = plt.subplots(figsize=(7.5, 4.5), constrained_layout=True)
    for (pi, rid), g in rounds.groupby(["point_index", "run_id"], sort=False):
        x = np.r_[0, g["round"].to_numpy()]
        y = np.r_[g["alpha"].iloc[0], g["alpha_end"].to_numpy()]
        ax.plot(x, y, color=colors[int(pi)], alpha=0.6, lw=1.2, drawstyle="steps-post")
    for pi in points:
        if legend:
            ax.plot([], [], color=colors[pi], label=labels[pi])
    ax.set_xlabel("round")
    ax.set_ylabel("collective size α (share of workers)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Collective size over rounds (one line per run)")
    _point_key(fig, ax, points, legend)
    paths["fig_alpha"] = _atomic(out / "alpha.png", lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)

    # S over rounds with the paper's bound at α_t and the join threshold c/(1 − γ).
    fig, ax = plt.subplots(figsize=(7.5, 4.5), constrained_layout=True)
    for (pi, rid), g in rounds.groupby(["point_index", "run_id"], sort=False):
        c = colors[int(pi)]
        ax.plot(g["round"], g["S"], color=c, alpha=0.7, lw=1.2, marker=".", ms=3)
        if g["bound"].notna().any():
            ax.plot(g["round"], np.clip(g["bound"], 0, 1), color=c, alpha=0.6, lw=1, ls="--")
    for pi in points:
        g = rounds[rounds["point_index"] == pi]
        ax.axhline(float(g["threshold_median"].median()), color=colors[pi], lw=0.9, ls=":")
        if legend:
            ax.plot([], [], color=colors[pi], label=labels[pi])
    ax.plot([], [], color="grey", ls="--", label="bound at α_t (Thm 1/3/5, clipped)")
    ax.plot([], [], color="grey", ls=":", label="join threshold c/(1 − γ) (median)")
    ax.set_xlabel("round")
    ax.set_ylabel("success S_t")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Success over rounds")
    if legend:
        ax.legend(fontsize=7, loc="best")
    else:
        ax.legend(handles=ax.get_legend_handles_labels()[0][-2:], fontsize=7)
        _point_key(fig, ax, points, False)
    paths["fig_success"] = _atomic(out / "success.png", lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)

    paths["fig_s_alpha"] = _atomic(out / "s_alpha.png", lambda p: _s_alpha_figure(rounds, labels, colors, p))
    return paths


def _s_alpha_figure(rounds: pd.DataFrame, labels: dict, colors: dict, path: Path) -> None:
    """S(α) of every round, one sigmoid fitted to all of them (the firm's curve is shared by the
    sweep points unless the sweep changes the firm), and for each join threshold S* = c/(1 − γ)
    in the batch the fit's critical mass (where the fitted curve reaches S*, only where the rounds
    support it: :mod:`acsim.platform.fits`) and the planning curve's α_crit as the model computed it
    (Section 6; for heterogeneous workers, the min-cost recruitment plan's)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.8), constrained_layout=True)
    pos = rounds[rounds["alpha"] > 0]
    for pi, g in pos.groupby("point_index", sort=True):
        ax.scatter(g["alpha"], g["S"], s=12, alpha=0.5, color=colors[int(pi)], label=labels[int(pi)] if len(labels) <= 10 else None)
    zero = int((rounds["alpha"] <= 0).sum())
    # One line per distinct threshold (a sweep over c or γ moves it); at most four, the rest noted.
    # Heterogeneous populations' medians differ by run in the third decimal: two decimals group them.
    groups = rounds.assign(_t=rounds["threshold_median"].round(2)).groupby("_t", sort=True)
    thresholds = [(float(t), g) for t, g in groups]
    shown = [(t, g) for t, g in thresholds if 0 < t < 1][:4]
    note = []
    never = [t for t, _ in thresholds if t >= 1]
    if never:
        note.append(f"S* ≥ 1 (never rational) in {len(never)} setting{'s' if len(never) > 1 else ''}")
    if len(pos):
        lo, hi = float(pos["alpha"].min()), float(pos["alpha"].max())
        grid = np.geomspace(lo, hi, 200) if hi > lo else np.array([lo])
        x, y = pos["alpha"].to_numpy(), pos["S"].to_numpy()
        fit = fit_curve(x, y, target_success=0.5, n_boot=0)
        if fit.params_ok:
            ax.plot(grid, fit(grid), "k-", lw=1.5, label=f"fitted sigmoid in log α (plateau {fit.top:.2f})")
        else:
            note.append(f"no sigmoid fit ({fit.note})")
        for k, (t, g) in enumerate(shown):
            style = dict(color=f"C{(k + 3) % 10}", lw=1.1)
            ax.axhline(t, ls=":", **style, label=f"join threshold S* = c/(1 − γ) = {t:.3g}")
            if fit.params_ok:
                at = fit_curve(x, y, target_success=t, n_boot=0)
                if at.status == "reached":
                    ax.axvline(at.critical_mass, ls="-.", **style, label=f"  fit's critical mass (S = S*): α = {at.critical_mass:.3g}")
                else:
                    ax.plot([], [], ls="-.", **style, label=f"  fit's critical mass: {at.text}")
            ac = g["alpha_crit"].replace([np.inf, -np.inf], np.nan).dropna()
            if len(ac) and 0 < float(ac.median()) <= 1:
                ax.axvline(float(ac.median()), ls="--", **style,
                           label=f"  planning curve's α_crit (model, median over runs) = {float(ac.median()):.3g}")
        if len(thresholds) > len(shown) + len(never):
            note.append(f"{len(thresholds) - len(shown) - len(never)} more thresholds not drawn")
        ax.set_xscale("log" if hi > lo else "linear")
    if zero:
        note.append(f"{zero} rounds at α = 0 not shown")
    ax.set_xlabel("collective size α")
    ax.set_ylabel("success S")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("S(α) over all rounds" + (f" ({'; '.join(note)})" if note else ""), fontsize=9)
    ax.legend(fontsize=7, loc="best")
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def figures(out_dir: str | Path) -> dict[str, Path]:
    """Redraw a model batch's figures from its ``rounds.parquet``."""
    out = Path(out_dir)
    return model_figures(pd.read_parquet(out / "rounds.parquet"), out)


def experiment_figures(specs: list, summary: pd.DataFrame, fits: pd.DataFrame, out: Path) -> dict[str, Path]:
    """The paper's figure for each sweep point (``specs[i]``: point i's ExperimentSpec) from its runs and fits."""
    from acsim.plots import experiment_figure  # matplotlib: loaded only when a figure is drawn

    paths = {}
    for i, spec in enumerate(specs):
        g = summary[summary["point_index"] == i]
        f = fits[fits["point_index"] == i]
        name = f"{spec.name}.png" if len(specs) == 1 else f"{spec.name}_point{i:03d}.png"
        paths[f"fig_{i}"] = _atomic(out / name, lambda p: experiment_figure(spec, g, f, p))
    return paths
