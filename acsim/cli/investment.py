"""``acsim investment``: Section 6 over a grid of costs and free-ride shares (and the model beside it)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

import acsim
from acsim.cli.common import Table, _check_range, _floats, app, console, user_errors

if TYPE_CHECKING:
    import numpy as np


@app.command()
@user_errors
def investment(
    cost: str = typer.Option("0.02:0.5:25", help="Participation costs c: a list 0.1,0.2 or LO:HI:N (append ' log' for a geometric grid)."),
    gamma: str = typer.Option("0:0.9:19", help="Free-ride shares γ in [0, 1]: a list or LO:HI:N."),
    strategy: Optional[str] = typer.Option(None, help="Bound curves for these strategies (comma-separated; default feature-label unless --sigmoid/--from-batch)."),
    xi: str = typer.Option("1e-3", help="Signal uniqueness ξ values for the bound curves (comma-separated)."),
    eps: str = typer.Option("0", help="Firm suboptimality ε values in [0, 0.5) (comma-separated)."),
    delta: float = typer.Option(1.0, help="Suboptimality gap Δ (Theorem 1)."),
    p: float = typer.Option(0.3, help="Positivity p (Theorem 3)."),
    tau: Optional[str] = typer.Option(None, help="τ values for the erasure bound (default: the --xi values)."),
    sigmoid: list[str] = typer.Option([], help="A sigmoid curve MID,SLOPE[,OFFSET] in α (repeatable)."),
    from_batch: list[Path] = typer.Option([], "--from-batch", help="An empirical curve: the (α, S) samples of a finished `acsim run` folder (repeatable)."),
    per_point: bool = typer.Option(False, "--per-point", help="--from-batch: one empirical curve per sweep point of the batch (a swept firm or defence), not one pooled curve."),
    metric: str = typer.Option("S", help="Which success column an empirical curve uses (S, S_top1, S_inclusion; success_top1 for experiments)."),
    n_workers: int = typer.Option(1000, "--n-workers", "--n-total", help="Population (platform) size N: members n_crit = ⌈N·α_crit⌉, totals N·B(α_crit), the finite-sample curves' N and the simulated population."),
    finite_sample: bool = typer.Option(False, "--finite-sample", help="Bound curves are the finite-sample bounds of Gauthier et al. (2025, Thm 3.3/3.5) on a platform of N, not the paper's population bounds."),
    signals: int = typer.Option(1, help="Signal points of the finite-sample world (--finite-sample)."),
    fail_prob: float = typer.Option(0.05, "--fail-prob", help="δ of the finite-sample bounds (--finite-sample): each holds with probability ≥ 1 − δ."),
    members: Optional[str] = typer.Option(None, "--members", help="Hold N fixed and sweep member counts n (a list or LO:HI:N; whole counts in [1, N]): S(n), rational, self-sustaining and the cost to reach n, per curve."),
    simulate: bool = typer.Option(False, "--simulate", help="Also run the agent-based model (cheapest-first principal) at every grid point."),
    rounds: int = typer.Option(5, help="Rounds per simulated run."),
    seed: int = typer.Option(0, help="Seed of the simulated runs."),
    executor: str = typer.Option("auto", help="Executor of the simulated runs: auto (serial unless a pool pays), local, serial or ray."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Worker processes for --simulate."),
    address: Optional[str] = typer.Option(None, help="Ray cluster address for --simulate (implies --executor ray)."),
    out: Path = typer.Option(Path("acsim-out/investment"), help="Output folder."),
    plot: bool = typer.Option(True, help="Write the heatmaps (and the simulation figure)."),
) -> None:
    """Section 6 over a grid: α_crit, self-sustaining or not, and the investment B(α_crit), with heatmaps."""
    import numpy as np

    from acsim.runs import investment as I  # pandas (and matplotlib for the heatmaps): loaded only by this command
    from acsim.theory import STRATEGIES

    costs, gammas = I.parse_grid(cost, "cost"), I.parse_grid(gamma, "gamma")
    # Every input checked first, naming its option: one clear line, nothing written.
    # ξ = P0(X*), τ and p are probabilities (Definition 3, Theorems 3 and 5).
    _check_range("--cost", costs, 0.0, float("inf"))
    _check_range("--gamma", gammas, 0.0, 1.0)
    _check_range("--xi", _floats(xi, "xi"), 0.0, 1.0, what="a probability")
    _check_range("--tau", _floats(tau, "tau") if tau else [], 0.0, 1.0, what="a probability")
    _check_range("--eps", _floats(eps, "eps"), 0.0, 0.5, hi_open=True)
    _check_range("--delta", [delta], 0.0, 1.0)
    _check_range("--p", [p], 0.0, 1.0, lo_open=True, what="a probability")
    for name, v in (("--n-workers", n_workers), ("--rounds", rounds), ("--jobs", jobs if jobs is not None else 1)):
        if v < 1:
            raise ValueError(f"{name} must be >= 1, got {v}")
    if seed < 0:
        raise ValueError(f"--seed must be >= 0, got {seed}")
    if signals < 1:
        raise ValueError(f"--signals must be >= 1, got {signals}")
    _check_range("--fail-prob", [fail_prob], 0.0, 1.0, lo_open=True, hi_open=True, what="a probability")
    member_grid = None
    if members is not None:
        member_grid = np.round(I.parse_grid(members, "members"))
        _check_range("--members", member_grid, 1, n_workers, what=f"whole member counts of a platform of N = {n_workers}")
    if finite_sample and (sigmoid or from_batch) and strategy is None:
        raise ValueError("--finite-sample applies to the bound curves: give --strategy (feature-label or feature-only)")
    if address and executor in ("auto", "local"):
        executor = "ray"
    curves: list = []
    if strategy is not None or not (sigmoid or from_batch):
        strategies = [s.strip() for s in (strategy or "feature-label").split(",") if s.strip()]
        for s in strategies:
            if s not in STRATEGIES:
                raise ValueError(f"--strategy must be among {', '.join(STRATEGIES)}, got {s!r}")
            if finite_sample and s == "erasure":
                raise ValueError("--finite-sample covers --strategy feature-label or feature-only (Theorem 3.9's "
                                 "erasure bound needs a world with Assumption A1's margin)")
        bounds = I.bound_curves(strategies, _floats(xi, "xi"), _floats(eps, "eps"), delta, p,
                                _floats(tau, "tau") if tau else None)
        if finite_sample:
            bounds = [replace(b, kind="finite-sample", n_total=n_workers, signals=signals, fail_prob=fail_prob) for b in bounds]
        curves += bounds
    for text in sigmoid:
        vals = _floats(text, "sigmoid")
        if len(vals) not in (2, 3):
            raise ValueError(f"--sigmoid takes MID,SLOPE[,OFFSET], got {text!r}")
        _check_range("--sigmoid MID,SLOPE", vals[:2], -float("inf"), float("inf"), lo_open=True, hi_open=True, what="finite")
        _check_range("--sigmoid OFFSET", vals[2:], 0.0, 1.0, hi_open=True)
        curves.append(I.CurveSpec("sigmoid", midpoint=vals[0], slope=vals[1], offset=vals[2] if len(vals) == 3 else 0.0))
    for d in from_batch:
        curves += I.empirical_curves(d, metric) if per_point else [I.empirical_curve(d, metric)]
    table = I.investment_table(curves, costs, gammas, n_workers)
    out.mkdir(parents=True, exist_ok=True)

    view = Table(title=f"Investment threshold study: {len(costs)} costs × {len(gammas)} free-ride shares (N = {n_workers:,})")
    for col in ("curve", "self-sustaining", "organic (α_crit = 0)", "no number, and why",
                "α_crit (members ⌈N·α_crit⌉): min / median / max", "B(α_crit) per worker (min / median / max)"):
        view.add_column(col)
    for _, g in table.groupby("curve_index", sort=True):
        fin = g[g["self_sustaining"] & ~g["organic"]]
        ac = fin["alpha_crit"].to_numpy()
        b = fin["B_crit"].to_numpy()
        rng = (lambda v: f"{v.min():.3g} / {np.median(v):.3g} / {v.max():.3g}" if v.size else "–")  # noqa: E731
        why = g["status"][~g["self_sustaining"]].value_counts()
        view.add_row(str(g["curve"].iloc[0]), f"{g['self_sustaining'].mean():.0%} of grid", f"{g['organic'].mean():.0%}",
                     "; ".join(f"{k}: {v / len(g):.0%}" for k, v in why.items()) or "–",
                     _with_members(ac, fin["members_crit"].to_numpy()), rng(b))
    console.print(view)
    written = [out / "investment.parquet", out / "investment.csv"]
    table.to_parquet(written[0], index=False)
    table.to_csv(written[1], index=False)
    if plot:
        written += I.heatmaps(table, out)
    if member_grid is not None:
        written += _member_sweep(I, curves, costs, gammas, n_workers, member_grid, out)
    if simulate:
        sim = I.simulate(curves, costs, gammas, n_workers, rounds, seed, out_dir=out / "simulation",
                         executor=executor, jobs=jobs, address=address, progress=True)
        joined = table.merge(sim, on=["curve_index", "curve", "c", "gamma"], how="left")
        joined.to_parquet(out / "investment_simulated.parquet", index=False)
        joined.to_csv(out / "investment_simulated.csv", index=False)
        written += [out / "investment_simulated.parquet", out / "investment_simulated.csv"]
        ok = np.isfinite(joined["B_crit"]) & (joined["B_crit"] > 0)
        if ok.any():
            console.print(f"simulated spend vs B(α_crit) (N = {n_workers:,}; the principal pays whole workers, a Riemann sum "
                          "of Figure 7's area: the gap shrinks like 1/(N·α_crit)):")
            for _, g in joined[ok].groupby("curve_index", sort=True):
                rel = (g["sim_spend"] - g["B_crit"]).abs() / g["B_crit"]
                console.print(f"  {g['curve'].iloc[0]}: {len(g)} points, median gap {rel.median():.2%}, max {rel.max():.2%}; "
                              f"N·α_crit median {np.median(g['alpha_crit']) * n_workers:.3g} workers", highlight=False, soft_wrap=True)
        never = joined[~joined["self_sustaining"]]
        if len(never):
            console.print(f"{len(never)} points never self-sustaining: the model's principal spent "
                          f"{never['sim_spend'].max():.3g} per worker at most there (status: "
                          f"{', '.join(sorted(set(never['sim_status'])))})")
        if plot:
            written.append(I.simulation_figure(joined, out / "simulated_vs_B.png", n_workers))
    meta = {"costs": costs.tolist(), "gammas": gammas.tolist(), "curves": [c.label for c in curves],
            "n_workers": n_workers, "members": None if member_grid is None else member_grid.astype(int).tolist(), "simulate": simulate, "rounds": rounds, "seed": seed, "acsim_version": acsim.__version__}
    (out / "investment.json").write_text(json.dumps(meta, indent=2))
    for path in written:
        console.print(f"wrote {path}")


def _with_members(alpha: np.ndarray, members: np.ndarray) -> str:
    """min / median / max of α_crit, each with its member count (the median's: the median count)."""
    import numpy as np

    if not alpha.size:
        return "–"
    return " / ".join(f"{a:.3g} ({m:,.0f})" for a, m in ((alpha.min(), members.min()), (np.median(alpha), np.median(members)),
                                                         (alpha.max(), members.max())))


def _member_sweep(I, curves, costs, gammas, n_total: int, grid, out: Path) -> list[Path]:
    """The study at fixed N over member counts n: files for the whole grid, a table at the median (c, γ)."""
    import numpy as np

    table = I.member_table(curves, costs, gammas, n_total, grid)
    c0, g0 = float(np.median(costs)), float(np.median(gammas))
    c0 = float(costs[np.argmin(np.abs(costs - c0))])
    g0 = float(gammas[np.argmin(np.abs(gammas - g0))])
    for _, g in table[(table["c"] == c0) & (table["gamma"] == g0)].groupby("curve_index", sort=True):
        view = Table(title=f"{g['curve'].iloc[0]} at N = {n_total:,}, c = {c0:g}, γ = {g0:g} (S* = {g['threshold'].iloc[0]:.3g}; "
                           f"self-sustaining from {g['members_crit'].iloc[0]:,.0f} members)")
        for col in ("n members", "α = n/N", "S(n)", "joining rational", "self-sustaining", "N·B to reach n", "paid in whole workers"):
            view.add_column(col, justify="right")
        for _, r in g.iterrows():
            view.add_row(f"{r['n']:,}", f"{r['alpha']:.4g}", f"{r['S']:.3f}", "yes" if r["rational"] else "no",
                         "yes" if r["self_sustaining"] else "no", f"{r['B_total']:.4g}", f"{r['pay_total']:.4g}")
        console.print(view)
    paths = [out / "investment_members.parquet", out / "investment_members.csv"]
    table.to_parquet(paths[0], index=False)
    table.to_csv(paths[1], index=False)
    return paths
