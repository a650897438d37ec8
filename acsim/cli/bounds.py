"""``acsim bounds``: the paper's success bounds (Figure 1), critical masses, and Section 6's investment."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from acsim.cli.common import Table, _check_range, _floats, app, console, user_errors


@app.command()
@user_errors
def bounds(
    strategy: str = typer.Option("feature-label", help="feature-label (Thm 1), feature-only (Thm 3) or erasure (Thm 5)."),
    xi: float = typer.Option(1e-3, help="Signal uniqueness ξ = P0(X*) (Definition 3)."),
    delta: float = typer.Option(1.0, help="Suboptimality gap Δ of the target on the signal set."),
    p: float = typer.Option(0.5, help="Positivity p: P0(y*|x) ≥ p for all x (Theorem 3)."),
    tau: float = typer.Option(1e-3, help="Label sensitivity τ to the erased signal (Theorem 5)."),
    eps: float = typer.Option(0.0, help="Firm suboptimality ε in [0, 0.5)."),
    target: str = typer.Option("0.5,0.9,0.99", help="Target success level(s) S* for the critical mass, comma-separated."),
    cost: Optional[float] = typer.Option(None, help="Participation cost c (Section 6): also report α_crit and B(α_crit)."),
    gamma: float = typer.Option(0.0, help="Free-ride share γ in [0, 1] (Section 6)."),
    xis: str = typer.Option("1e-4,1e-3,1e-2,5e-2", help="ξ values (τ for erasure) of Figure 1's left panel."),
    epss: str = typer.Option("0,0.1,0.2,0.3", help="ε values of Figure 1's right panel."),
    n_members: Optional[str] = typer.Option(None, "--n-members", help="Member counts n (comma-separated): also the finite-sample bounds of Gauthier, Bach & Jordan (2025) at these n, checked by sampling."),
    n_total: Optional[int] = typer.Option(None, "--n-total", help="Platform size N (training points) for --n-members."),
    n_test: Optional[int] = typer.Option(None, "--n-test", help="Test-set size N_test of the finite-sample bounds (default: N)."),
    fail_prob: float = typer.Option(0.05, "--fail-prob", help="δ: each finite-sample bound holds with probability ≥ 1 − δ."),
    signals: int = typer.Option(1, help="Signal points of the finite-sample world (their gaps rise evenly to Δ: the bound climbs in that many steps)."),
    draws: int = typer.Option(1000, help="Draws of the platform's N points per n for the finite-sample check."),
    seed: int = typer.Option(0, help="Seed of the finite-sample draws."),
    out: Path = typer.Option(Path("acsim-out/bounds.png"), help="Where to write the PNG."),
    plot: bool = typer.Option(True, help="Write the PNG (Figure 1, and Figure 7 with --cost)."),
) -> None:
    """Print and plot the paper's success bounds (Figure 1) and critical masses (Corollaries 2, 4, 6)."""
    import numpy as np

    from acsim import theory
    from acsim.theory import economics

    finite = _finite_sample_inputs(strategy, n_members, n_total, n_test, fail_prob, signals, draws, seed, xi, delta, p)
    if strategy not in theory.STRATEGIES and not (finite and strategy == "unplanting"):
        raise ValueError(f"--strategy must be one of {', '.join(theory.STRATEGIES)}"
                         f"{' (unplanting: with --n-members)' if strategy == 'unplanting' else ''}, got {strategy!r}")
    targets = _floats(target, "target")
    xi_values, eps_values = _floats(xis, "xis"), _floats(epss, "epss")
    # Check every input before printing anything, so a mistake is the only line of output.
    # ξ = P0(X*) and τ are probabilities (Definition 3, Theorem 5), however the theorems'
    # formulas extend beyond 1.
    for name, values in (("--xi", [xi]), ("--tau", [tau]), ("--xis", xi_values)):
        _check_range(name, values, 0.0, 1.0, what="a probability")
    theory.feature_label_critical_mass(targets, xi, delta, eps)
    theory.feature_only_success_bound(1.0, xi, p, eps)
    theory.erasure_success_bound(1.0, tau, eps)
    if cost is not None:
        economics.join_threshold(cost, gamma)

    if strategy == "unplanting":
        _finite_sample_table(finite, eps, out if plot else None)
        return
    table = Table(title=f"Critical mass α* (upper bound) for success S*  [ε = {eps:g}]")
    table.add_column("S*", justify="right")
    table.add_column(f"feature-label\nξ={xi:g}, Δ={delta:g}", justify="right")
    table.add_column(f"feature-only\nξ={xi:g}, p={p:g}", justify="right")
    table.add_column(f"erasure\nτ={tau:g}", justify="right")
    for s in targets:
        row = [
            theory.feature_label_critical_mass(s, xi, delta, eps),
            theory.feature_only_critical_mass(s, xi, p, eps),
            theory.erasure_critical_mass(s, tau, eps),
        ]
        table.add_row(f"{s:g}", *(_fmt_mass(v) for v in row))
    console.print(table)

    curve_table = Table(title=f"{strategy} success lower bound S(α) (raw; negative = vacuous)")
    alphas = [1e-4, 1e-3, 1e-2, 0.1, 0.5, 1.0]
    for a in alphas:
        curve_table.add_column(f"α={a:g}", justify="right")
    vals = [theory.success_bound(strategy, a, xi=xi, delta=delta, p=p, tau=tau, eps=eps) for a in alphas]
    curve_table.add_row(*(f"{v:.4g}" for v in vals))
    console.print(curve_table)

    if cost is not None:
        threshold = economics.join_threshold(cost, gamma)
        console.print(f"\nJoin rule S(α) − c > γS(α): threshold S* = c/(1 − γ) = {threshold:.4g}")
        if economics.never_rational(cost, gamma):
            console.print(
                f"[yellow]Never individually rational:[/] c = {cost:g} ≥ 1 − γ = {1 - gamma:g}, "
                "so no success S ≤ 1 makes joining worth it; no one-time investment makes the collective last."
            )
        else:
            # the bound clipped to [0, 1] (a success), as Figure 7 draws it
            curve = lambda a: np.clip(theory.success_bound(strategy, a, xi=xi, delta=delta, p=p, tau=tau, eps=eps), 0.0, 1.0)  # noqa: E731
            ac = economics.critical_mass(curve, cost, gamma)
            if not (ac < float("inf")):
                console.print(f"[yellow]Never self-sustaining:[/] the {strategy} bound stays at or below S* = {threshold:.4g} up to α = 1.")
            else:
                b = economics.principal_investment(curve, cost, gamma, ac)
                console.print(f"Critical mass on the {strategy} bound: α_crit = {ac:.4g}")
                console.print(f"Principal's investment B(α_crit) = {b:.4g} per worker (× N for a population of N)")

    if finite:
        _finite_sample_table(finite, eps, out if plot else None)
    if plot:
        from acsim import plots  # matplotlib: loaded only when a figure is drawn

        path = plots.figure_1(
            out,
            strategy,
            xis=xi_values,
            epss=eps_values,
            xi=xi,
            delta=delta,
            p=p,
            tau=tau,
            investment=None if cost is None else (cost, gamma),
        )
        console.print(f"wrote {path}")


def _finite_sample_inputs(strategy, n_members, n_total, n_test, fail_prob, signals, draws, seed, xi, delta, p) -> dict | None:
    """The finite-sample options checked (one line per mistake, before any work); None without --n-members."""
    if n_members is None:
        for name, v in (("--n-total", n_total), ("--n-test", n_test)):
            if v is not None:
                raise ValueError(f"{name} applies only with --n-members")
        return None
    if n_total is None:
        raise ValueError("--n-members needs --n-total (the platform's size N)")
    ns = _floats(n_members, "n-members")
    if not ns:
        raise ValueError("--n-members is empty")
    _check_range("--n-members", ns, 1, n_total - 1, what=f"members of a platform of N = {n_total}")
    if any(v != int(v) for v in ns):
        raise ValueError(f"--n-members must be whole member counts, got {n_members!r}")
    for name, v in (("--n-total", n_total), ("--n-test", n_test if n_test is not None else 1),
                    ("--signals", signals), ("--draws", draws)):
        if v < 1:
            raise ValueError(f"{name} must be >= 1, got {v}")
    _check_range("--fail-prob", [fail_prob], 0.0, 1.0, lo_open=True, hi_open=True, what="a probability")
    if seed < 0:
        raise ValueError(f"--seed must be >= 0, got {seed}")
    if strategy == "erasure":
        raise ValueError("--n-members with --strategy erasure: Theorem 3.9 needs a world that satisfies its "
                         "Assumption A1 (margin η); use acsim.theory.finite_sample.lower_bound with that world")
    _check_range("--xi", [xi], 0.0, 1.0, hi_open=True, what="the signal's base mass, with --n-members")
    from acsim.theory.discrete import signal_world

    world = signal_world(xi, delta, signals, positivity=p)
    return {"goal": strategy, "world": world, "ns": [int(v) for v in ns], "N": n_total, "n_test": n_test,
            "fail_prob": fail_prob, "draws": draws, "seed": seed}


def _finite_sample_table(fs: dict, eps: float, out: Path | None) -> None:
    """Gauthier, Bach & Jordan (2025), Section 3, beside Hardt et al.'s population bound, checked by sampling."""
    import numpy as np

    from acsim.theory import finite_sample as F

    w, N = fs["world"], fs["N"]
    res = F.compare(w, fs["goal"], fs["ns"], N, fs["n_test"], fs["draws"], fs["fail_prob"], eps,
                    np.random.default_rng(fs["seed"]))
    thm = F.THEOREMS[fs["goal"]]
    paper = {"feature-label": "Thm 1", "feature-only": "Thm 3"}.get(fs["goal"], "paper")
    t = Table(title=f"Finite-sample {fs['goal']} bound ({thm}, Gauthier et al. 2025) on a platform of N = {N:,}: "
                    f"holds with prob. ≥ {1 - fs['fail_prob']:g}; world ξ = {w.xi():g}, Δ = {w.delta():g}, "
                    f"{int(w.signal_set.sum())} signal point(s); {fs['draws']:,} draws per n")
    for col in ("n members", "α = n/N", f"{thm} bound (median; 5% of draws below)", f"{paper} at α (population)",
                "n, N → ∞ limit", "plug-in firm Ŝ(n) (mean; min)", "draws with Ŝ ≥ bound"):
        t.add_column(col, justify="right")
    for i, n in enumerate(res["n"]):
        b, q = res["bound_median"][i], res["bound_q05"][i]
        t.add_row(f"{n:,}", f"{res['alpha'][i]:.4g}", f"{b:.3f}; {q:.3f}" + (" (vacuous)" if b <= 0 else ""),
                  "–" if np.isnan(res["paper"][i]) else f"{res['paper'][i]:.3f}", f"{res['limit'][i]:.3f}",
                  f"{res['success_mean'][i]:.3f}; {res['success_min'][i]:.3f}", f"{res['covered'][i]:.1%}")
    console.print(t)
    ok = res["bound_median"] > 0
    first = f"n = {res['n'][ok][0]:,} (α = {res['alpha'][ok][0]:.4g})" if ok.any() else "none of the sizes tried"
    console.print(f"The finite-sample bound first guarantees success > 0 at {first}; every n kept "
                  f"Ŝ ≥ bound in {res['covered'].min():.1%} of draws or more (promised ≥ {1 - fs['fail_prob']:.0%}).",
                  highlight=False, soft_wrap=True)
    finite_p = np.isfinite(res["paper"])
    if finite_p.any():
        tighter = (res["bound_median"] > np.clip(res["paper"], 0, 1)) & finite_p
        looser = (res["bound_median"] < np.clip(res["paper"], 0, 1)) & finite_p
        console.print(f"Against {paper}: the finite-sample bound is tighter at {int(tighter.sum())} and looser at "
                      f"{int(looser.sum())} of {int(finite_p.sum())} sizes (it pays for estimation with R(n) terms; "
                      "its n, N → ∞ limit is never below the paper's).", highlight=False, soft_wrap=True)
    if out is not None:
        from acsim import plots

        path = plots.finite_sample_figure(out.with_name(out.stem + "_finite.png"), w, fs["goal"], N, res, fs["fail_prob"], eps, paper)
        console.print(f"wrote {path}")


def _fmt_mass(v: float) -> str:
    if v == float("inf") or v > 1:
        return "none ≤ 1"
    return f"{v:.4g}"
