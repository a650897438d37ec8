"""PNG figures of the theory: the paper's Figure 1 (bound curves) and Figure 7 (investment)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # files only: acsim never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from acsim import theory  # noqa: E402
from acsim.platform.experiments import OVERLAY_COLUMNS, overlay_bound, size_column  # noqa: E402
from acsim.platform.fits import plateau_sigmoid  # noqa: E402
from acsim.theory import economics  # noqa: E402
from acsim.theory import finite_sample as F  # noqa: E402

ALPHA_GRID = np.logspace(-4, 0, 400)


def bound_curve(strategy: str, alpha: np.ndarray, xi: float, delta: float, p: float, tau: float, eps: float) -> np.ndarray:
    """The chosen strategy's success bound (Theorems 1, 3, 5), clipped to [0, 1] for plotting."""
    return np.clip(theory.success_bound(strategy, alpha, xi=xi, delta=delta, p=p, tau=tau, eps=eps), 0.0, 1.0)


def figure_1(
    path: Path,
    strategy: str = "feature-label",
    xis: Sequence[float] = (1e-4, 1e-3, 1e-2, 5e-2),
    epss: Sequence[float] = (0.0, 0.1, 0.2, 0.3),
    xi: float = 1e-3,
    delta: float = 1.0,
    p: float = 0.5,
    tau: float = 1e-3,
    investment: tuple[float, float] | None = None,
) -> Path:
    """Figure 1 of the paper: S(α) for several ξ at ε = 0, and for several ε at fixed ξ.

    With ``investment=(c, γ)`` a third panel draws Figure 7 on the ε = 0 curve at ``xi``:
    S(α), γS(α), the cost c, α_crit and the shaded area B(α_crit).
    """
    n_panels = 3 if investment else 2
    fig, axes = plt.subplots(1, n_panels, figsize=(5.2 * n_panels, 4.0))
    a = ALPHA_GRID
    for v in xis:
        kw = dict(xi=v, delta=delta, p=p, tau=v, eps=0.0) if strategy == "erasure" else dict(xi=v, delta=delta, p=p, tau=tau, eps=0.0)
        label = f"τ = {v:g}" if strategy == "erasure" else f"ξ = {v:g}"
        axes[0].plot(a, bound_curve(strategy, a, **kw), label=label)
    axes[0].set_title(f"{strategy}: ε = 0" + (f", Δ = {delta:g}" if strategy == "feature-label" else ""))
    for e in epss:
        axes[1].plot(a, bound_curve(strategy, a, xi, delta, p, tau, e), label=f"ε = {e:g}")
    fixed = f"τ = {tau:g}" if strategy == "erasure" else f"ξ = {xi:g}"
    axes[1].set_title(f"{strategy}: {fixed}")
    for ax in axes[:2]:
        ax.set_xscale("log")
        ax.set_xlabel("collective size α")
        ax.set_ylabel("success lower bound S(α)")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if investment:
        c, g = investment
        curve = lambda al: bound_curve(strategy, np.maximum(al, 1e-12), xi, delta, p, tau, 0.0)  # noqa: E731
        figure_7_axes(axes[2], curve, c, g)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    """Lay out, write the PNG (its folder made), close the figure."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def finite_sample_figure(path: Path, world, goal: str, n_total: int, res: dict, fail_prob: float, eps: float,
                         paper_label: str) -> Path:
    """The finite-sample bound (Gauthier et al. 2025) in member counts at a fixed platform size N.

    The typical collective's bound on a dense grid of n (the staircase), the sampled bounds'
    medians and the plug-in firm's mean success at the checked n, and the paper's population
    bound at α = n/N (clipped to [0, 1]).
    """
    ns = np.unique(np.geomspace(1, n_total - 1, 600).astype(int))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.step(ns, np.clip(F.expected_bound(world, goal, ns, n_total, None, fail_prob, eps), 0, 1), where="post",
            label=f"{F.THEOREMS[goal]} bound, typical collective (prob. ≥ {1 - fail_prob:g})")
    ax.plot(res["n"], np.clip(res["bound_median"], 0, 1), "o", label="bound, median over draws")
    ax.plot(res["n"], res["success_mean"], "s", mfc="none", label="plug-in firm Ŝ(n), mean over draws")
    if goal != "unplanting":
        ax.plot(ns, [max(0.0, min(1.0, F.paper_bound(world, goal, n / n_total))) for n in ns], "--",
                label=f"{paper_label} at α = n/N (infinite data)")
    ax.set_xscale("log")
    ax.set_xlabel(f"members n of a platform of N = {n_total:,}")
    ax.set_ylabel("success lower bound")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, path)


def figure_7_axes(ax, curve, c: float, gamma: float, who: str = "") -> None:
    """Figure 7: S(α), γS(α), cost c, α_crit and the principal's investment B(α_crit) shaded.

    ``who`` names whose α_crit it is when (c, γ) stand for a population (the dashboard's
    " of the median worker (c, γ)"); the title says it.
    """
    ac = economics.critical_mass(curve, c, gamma)
    hi = 1.0 if not np.isfinite(ac) else min(1.0, max(3 * ac, 1e-3))
    a = np.linspace(0.0, hi, 600)
    s = curve(a)
    ax.plot(a, s, label="S(α)")
    ax.plot(a, gamma * s, label="γS(α)")
    ax.plot(a, c + gamma * s, "--", lw=1, label="c + γS(α)")
    ax.axhline(c, color="grey", lw=1, label=f"c = {c:g}")
    if np.isfinite(ac):
        b = economics.principal_investment(curve, c, gamma, ac)
        m = a <= ac
        ax.fill_between(a[m], s[m], (c + gamma * s)[m], where=(c + gamma * s - s)[m] > 0, color="C3", alpha=0.3, label=f"B(α_crit) = {b:.3g}")
        ax.axvline(ac, color="C3", lw=1)
        ax.set_title(f"Figure 7: α_crit{who} = {ac:.3g}")
    else:
        ax.set_title(f"Figure 7{who}: never self-sustaining (c ≥ (1 − γ)S(1))")
    ax.set_xlabel("collective size α")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def experiment_figure(spec, runs, fits, path: Path) -> None:
    """Figures 2–6: one dot per run, the fitted curve per line, the theory bound dashed.

    Rows are the success metrics (inclusion in the predicted set, top-1), columns the
    strategies; colours are the curves (target class, epochs, spacing or label noise).
    A curve's legend entry carries its reported critical mass (:mod:`acsim.platform.fits`: a
    number only where the runs support it), and a dotted line marks it. The bound is
    drawn once per target class (:func:`acsim.platform.experiments.overlay_bound`) from what
    the runs recorded of their corpus (:data:`~acsim.platform.experiments.OVERLAY_COLUMNS`,
    the first seed's); runs that recorded none (written by an older acsim) get no bound.
    """
    col = size_column(spec)
    strategies = list(dict.fromkeys(c.strategy for c in spec.curves))
    nrow, ncol = len(spec.metrics), len(strategies)
    fig, axes = plt.subplots(nrow, ncol, figsize=(11.5 * ncol, 3.8 * nrow), squeeze=False)
    sizes = runs[col][runs[col] > 0]
    grid = np.geomspace(float(sizes.min()), float(sizes.max()), 200)  # the sizes tried, as members/pool
    for j, strategy in enumerate(strategies):
        curves = [c for c in spec.curves if c.strategy == strategy]
        overlays = {}
        for c in curves:
            inputs = _overlay_inputs(spec, runs, c)
            if inputs is not None:
                overlays[c.target] = overlay_bound(spec, c, grid, inputs)
        for i, metric in enumerate(spec.metrics):
            ax = axes[i, j]
            for k, curve in enumerate(curves):
                g = runs[runs["curve"] == curve.key]
                color = f"C{k}"
                label = _curve_label(spec, curve)
                ax.scatter(g[col], g[metric], s=12, color=color, alpha=0.6)
                f = fits[(fits["curve"] == curve.key) & (fits["metric"] == metric)]
                if not len(f):
                    continue
                r = f.iloc[0]
                text = f"{label}: {r['reported']}"
                if bool(r["params_ok"]):
                    ax.plot(grid, plateau_sigmoid(np.log10(grid), r["offset"], r["top"], r["slope"], r["mid"]),
                            color=color, label=text)
                else:
                    ax.plot([], [], color=color, label=text)
                if r["status"] == "reached":
                    ax.axvline(r["critical_mass"], color=color, lw=0.8, ls=":")
            for n, (target, (bound, bound_label)) in enumerate(overlays.items()):
                ax.plot(grid, bound, color="k", ls=("--", "-.", ":")[n % 3], lw=1, label=bound_label)
            ax.axhline(float(fits["target_success"].iloc[0]), color="grey", lw=0.6)
            if col == "n_members":
                ax.set_xscale("symlog", linthresh=1)  # 0 members (the baseline) stays on the axis
            else:
                ax.set_xscale("log")
            ax.set_ylim(-0.03, 1.03)
            ax.grid(alpha=0.3)
            unit = {"class_fraction": "share of target-class resumes", "n_members": "members of the collective (resumes)"}.get(
                col, "collective size α (share of training data)")
            ax.set_xlabel(unit)
            ax.set_ylabel(metric.replace("_", " "))
            ax.set_title(f"{strategy}: {metric.replace('success_', '')}; critical mass for S = "
                         f"{float(fits['target_success'].iloc[0]):g} (fit's, 90% interval over seeds)", fontsize=9)
            ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)  # beside, not over, the runs
    fig.suptitle(f"{spec.name}: {spec.title} ({runs['learner'].iloc[0]} firm)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png", bbox_inches="tight")  # the legends sit beside the axes
    plt.close(fig)


def _overlay_inputs(spec, runs, curve) -> dict | None:
    """The overlay's inputs as ``curve``'s runs recorded them: the first seed's corpus (as drawn before)."""
    if not set(OVERLAY_COLUMNS) <= set(runs.columns):
        return None
    g = runs[(runs["curve"] == curve.key)].dropna(subset=["n_train", "xi_hat"])
    if not len(g):
        return None
    first = g[g["seed"] == spec.seeds[0]]
    return (first if len(first) else g).iloc[0][list(OVERLAY_COLUMNS)].to_dict()


def _curve_label(spec, curve) -> str:
    varied = []
    fields = ("target", "epochs", "spacing", "label_noise")
    for name in fields:
        values = {getattr(c, name) for c in spec.curves if c.strategy == curve.strategy}
        if len(values) > 1:
            varied.append(f"{name}={getattr(curve, name):g}")
    return ", ".join(varied) or f"y*={curve.target}"
