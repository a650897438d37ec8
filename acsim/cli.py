"""The ``acsim`` command."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

import acsim

app = typer.Typer(
    help="acsim: algorithmic collective action on a platform that retrains its classifier.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (CI logs, files) gets a readable width instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 110)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

STRATEGIES = ("feature-label", "feature-only", "erasure")


def user_errors(fn: Callable) -> Callable:
    """Turn a user's mistake into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, FileNotFoundError, KeyError) as exc:
            err_console.print(f"[bold red]acsim: error:[/] {exc}", highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper


def _floats(text: str, name: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--{name} must be a comma-separated list of numbers, got {text!r}") from None


def _version(value: bool) -> None:
    if value:
        console.print(f"acsim {acsim.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """acsim: algorithmic collective action on a platform that retrains its classifier."""


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
    from acsim import economics, plots, theory

    if strategy not in STRATEGIES:
        raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    targets = _floats(target, "target")
    xi_values, eps_values = _floats(xis, "xis"), _floats(epss, "epss")
    # Check every input before printing anything, so a mistake is the only line of output.
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
    vals = [_raw_bound(strategy, a, xi, delta, p, tau, eps) for a in alphas]
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


@app.command()
@user_errors
def experiment(
    name: str = typer.Argument(..., help="fig2, fig3, fig4, fig5 or fig6 (paper Section 5)."),
    quick: bool = typer.Option(False, "--quick", help="A first look: 6 sizes, 1 seed, 3,000 training resumes."),
    learner: str = typer.Option("bow", help="The firm: bow (fast CPU) or transformer (GPU advised)."),
    epochs: Optional[int] = typer.Option(None, help="Training epochs (default: the paper's 5; fig5 varies them)."),
    seeds: Optional[int] = typer.Option(None, help="Seeds per point (default 3; 1 with --quick)."),
    sizes: Optional[int] = typer.Option(None, help="Collective sizes per curve (default 20; 6 with --quick)."),
    data: str = typer.Option("synthetic", help="synthetic (embedded default), florex or csv."),
    data_path: Optional[Path] = typer.Option(None, help="Path of the florex corpus or the CSV file."),
    n_train: Optional[int] = typer.Option(None, help="Training resumes (synthetic: default 25,000; 3,000 with --quick)."),
    n_test: Optional[int] = typer.Option(None, help="Test resumes (synthetic: default 4,783; 1,000 with --quick)."),
    target_success: float = typer.Option(0.9, help="Success level whose critical mass the sigmoid fit reports."),
    out: Path = typer.Option(Path("acsim-out"), help="Output folder; results go to OUT/NAME/."),
) -> None:
    """Reproduce one of the paper's Figures 2-6: runs, sigmoid fits, critical masses, PNG."""
    import time as _time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from acsim import experiments as X
    from acsim.data import load_dataset
    from acsim.learners import available_learners

    specs = X.paper_experiments(epochs=epochs or 5, n_sizes=sizes or 20)
    if name not in specs:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(specs)}")
    if learner not in ("bow", "transformer"):
        raise ValueError(f"--learner must be bow or transformer for the resume experiments, got {learner!r} (all firms: {', '.join(available_learners())})")
    if not 0 < target_success < 1:
        raise ValueError(f"--target-success must be in (0, 1), got {target_success:g}")
    spec = specs[name]
    n_seeds = seeds or (1 if quick else 3)
    if n_seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {n_seeds}")
    spec = X.quick(spec, n_sizes=sizes or (6 if quick else 20), seeds=tuple(range(n_seeds)))
    kwargs = {}
    if data == "synthetic":
        kwargs = {"n_train": n_train or (3000 if quick else 25000), "n_test": n_test or (1000 if quick else 4783)}
    elif n_train is not None:
        kwargs = {"n_train": n_train}
    t0 = _time.perf_counter()
    train, test = load_dataset(data, data_path, **kwargs)
    console.print(f"{spec.name}: {spec.title}; {len(train):,} train / {len(test):,} test resumes ({data}), firm = {learner}")
    total = len(list(X.iter_runs(spec)))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("training runs", total=total)
        runs = X.run_experiment(spec, train, test, learner, progress=lambda i, n, row: bar.update(task, completed=i))
    fits = X.summarize(spec, runs, target_success)
    meta = {
        "learner": learner, "data": data, "data_path": str(data_path) if data_path else None,
        "n_train": len(train), "n_test": len(test), "quick": quick,
        "wall_seconds": _time.perf_counter() - t0, "acsim_version": acsim.__version__,
    }
    paths = X.write_outputs(spec, runs, fits, train, out / spec.name, meta)
    table = Table(title=f"{spec.name}: sigmoid fits and critical mass for success {target_success:g} ({learner} firm)")
    for col in ("curve", "metric", "critical mass", "90% interval", "offset"):
        table.add_column(col)
    for _, r in fits.iterrows():
        crit = "no fit" if not r["params_ok"] else (f"{r['critical_mass']:.3g}" if r["critical_mass"] <= 1 else "> 1")
        table.add_row(r["curve"], r["metric"], crit, f"[{r['ci_low']:.3g}, {r['ci_high']:.3g}]", f"{r['offset']:.2f}")
    console.print(table)
    console.print(f"critical masses are in units of {X.size_column(spec)}; {len(runs)} runs in {meta['wall_seconds']:.1f} s")
    for key, path in paths.items():
        console.print(f"wrote {path}")


def _raw_bound(strategy: str, a: float, xi: float, delta: float, p: float, tau: float, eps: float) -> float:
    from acsim import theory

    if strategy == "feature-label":
        return theory.feature_label_success_bound(a, xi, delta, eps)
    if strategy == "feature-only":
        return theory.feature_only_success_bound(a, xi, p, eps)
    return theory.erasure_success_bound(a, tau, eps)


def _fmt_mass(v: float) -> str:
    if v == float("inf") or v > 1:
        return "none ≤ 1"
    return f"{v:.4g}"


def run() -> None:  # pragma: no cover - console entry for `python -m acsim`
    app(prog_name="acsim")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
