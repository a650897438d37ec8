"""The investment study's figures: α_crit and B(α_crit) heatmaps, simulated spend against the area.

matplotlib is imported inside the functions (Agg backend), so the study's tables need none.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd


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
