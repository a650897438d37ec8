"""``acsim bounds``: the paper's success bounds (Figure 1), critical masses, and Section 6's investment."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from acsim import theory
from acsim.cli.common import _check_range, _floats, app, console, user_errors
from acsim.theory import economics


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
    out: Path = typer.Option(Path("acsim-out/bounds.png"), help="Where to write the PNG."),
    plot: bool = typer.Option(True, help="Write the PNG (Figure 1, and Figure 7 with --cost)."),
) -> None:
    """Print and plot the paper's success bounds (Figure 1) and critical masses (Corollaries 2, 4, 6)."""
    from acsim import plots  # matplotlib: loaded only by the commands that draw

    if strategy not in theory.STRATEGIES:
        raise ValueError(f"--strategy must be one of {', '.join(theory.STRATEGIES)}, got {strategy!r}")
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
            curve = lambda a: plots.bound_curve(strategy, a, xi, delta, p, tau, eps)  # noqa: E731
            ac = economics.critical_mass(curve, cost, gamma)
            if not (ac < float("inf")):
                console.print(f"[yellow]Never self-sustaining:[/] the {strategy} bound stays at or below S* = {threshold:.4g} up to α = 1.")
            else:
                b = economics.principal_investment(curve, cost, gamma, ac)
                console.print(f"Critical mass on the {strategy} bound: α_crit = {ac:.4g}")
                console.print(f"Principal's investment B(α_crit) = {b:.4g} per worker (× N for a population of N)")

    if plot:
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


def _fmt_mass(v: float) -> str:
    if v == float("inf") or v > 1:
        return "none ≤ 1"
    return f"{v:.4g}"
