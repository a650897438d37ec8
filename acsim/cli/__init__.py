"""The ``acsim`` command."""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console
from rich.markup import escape
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


def user_errors(fn: Callable) -> Callable:
    """Turn a user's mistake into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, FileNotFoundError, KeyError) as exc:
            err_console.print(f"[bold red]acsim: error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None

    return wrapper


def _check_range(name: str, values, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False, what: str = "") -> None:
    """One line naming the option when a value lies outside [lo, hi] (checked before any work is done)."""
    import math

    for v in values:
        v = float(v)
        inside = (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
        if math.isnan(v) or not inside:
            rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}".replace("inf]", "inf)")
            raise ValueError(f"{name} must be in {rng}{f' ({what})' if what else ''}, got {v:g}")


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
    from acsim.theory import economics
    from acsim import plots
    from acsim import theory

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


@app.command()
@user_errors
def experiment(
    name: str = typer.Argument(..., help="fig2, fig3, fig4, fig5 or fig6 (paper Section 5)."),
    quick: bool = typer.Option(False, "--quick", help="A first look: 8 of the paper's 20 sizes (3 seeds, full corpus)."),
    learner: str = typer.Option("bow", help="The firm: bow (fast CPU), encoder (frozen MiniLM + head, CPU) or transformer (GPU advised)."),
    epochs: Optional[int] = typer.Option(None, help="Training epochs (default: the paper's 5; fig5 varies them); for bow, giving them trains it by AdamW epochs instead of to its optimum."),
    seeds: Optional[int] = typer.Option(None, help="Seeds per point (default 3); each seed draws its own corpus (or split), members and firm."),
    sizes: Optional[int] = typer.Option(None, help="Collective sizes per curve (default 20; 8 with --quick)."),
    data: str = typer.Option("synthetic", help="synthetic (embedded default), synthetic-v1 (the first generator), florex or csv."),
    data_path: Optional[Path] = typer.Option(None, help="Path of the florex corpus or the CSV file."),
    text_column: Optional[str] = typer.Option(None, help="CSV: the column of texts (default 'text')."),
    label_column: list[str] = typer.Option(
        [], help="CSV: the column of label sets (default 'labels'); repeat it for one 0/1 column per class."),
    label_sep: Optional[str] = typer.Option(None, help="CSV: what separates labels within a cell (default ';')."),
    encoding: Optional[str] = typer.Option(None, help="CSV or florex: the files' text encoding (utf-8; florex: windows-1252)."),
    dedupe: bool = typer.Option(True, help="Keep each distinct text once (florex, CSV); the count dropped is printed."),
    target: Optional[str] = typer.Option(None, help="Aim every curve at this class: a name (Web_Developer) or an index."),
    members: Optional[str] = typer.Option(
        None, help="Collective sizes as member counts, e.g. 0,1,2,3,5,8,12 (0 is the baseline), instead of shares."),
    splits: Optional[int] = typer.Option(
        None, help="florex/CSV: repeated random train/test splits (each with its own members and firm); same as --seeds there."),
    n_train: Optional[int] = typer.Option(None, help="Training resumes (synthetic: default 25,000)."),
    n_test: Optional[int] = typer.Option(None, help="Test resumes (synthetic: default 4,783; a file: default the rest after --n-train, or 16%)."),
    target_success: float = typer.Option(0.9, help="Success level whose critical mass is reported."),
    fit: str = typer.Option("plateau", help="Fitted curve: plateau (sigmoid whose plateau is fitted) or paper (the paper's, asymptote fixed at 1)."),
    learner_option: list[str] = typer.Option(
        [], "--learner-option", "-L",
        help="A firm setting, repeatable: -L max_length=128 -L bf16=true -L batch_size=16 (values are TOML).",
    ),
    out: Path = typer.Option(Path("acsim-out"), help="Output folder; results go to OUT/NAME/."),
) -> None:
    """Reproduce one of the paper's Figures 2-6: runs, fitted curves, critical masses, PNG."""
    import time as _time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from acsim.platform import experiments as X
    from acsim.platform.data import is_synthetic
    from acsim.platform.fits import FORMS
    from acsim.platform.learners import available_learners
    from acsim.platform.learners.base import TEXT_LEARNERS

    for option, value in (("--epochs", epochs), ("--seeds", seeds), ("--sizes", sizes), ("--n-train", n_train),
                          ("--n-test", n_test), ("--splits", splits)):
        if value is not None and value < 1:
            raise ValueError(f"{option} must be >= 1, got {value}")
    counts = _member_counts(members, sizes)
    loader = _loader_options(data, text_column, label_column, label_sep, encoding, dedupe)
    if splits is not None:
        if is_synthetic(data):
            raise ValueError("--splits applies to florex or csv data (with synthetic data each seed draws its own corpus)")
        if seeds is not None and seeds != splits:
            raise ValueError(f"--splits {splits} and --seeds {seeds}: on file data every seed is one split; give one of them")
        seeds = splits
    specs = X.paper_experiments(epochs=5 if epochs is None else epochs, n_sizes=20 if sizes is None else max(20, sizes))
    if name not in specs:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(specs)}")
    if learner not in TEXT_LEARNERS:
        raise ValueError(f"--learner must be one of {', '.join(TEXT_LEARNERS)} for the resume experiments, got {learner!r} (all firms: {', '.join(available_learners())})")
    if not 0 < target_success < 1:
        raise ValueError(f"--target-success must be in (0, 1), got {target_success:g}")
    if fit not in FORMS:
        raise ValueError(f"--fit must be one of {', '.join(FORMS)}, got {fit!r}")
    spec = specs[name]
    learner_params = _learner_options(learner, learner_option)
    n_sizes = sizes if sizes is not None else (X.QUICK_SIZES if quick else 20)
    n_seeds = 3 if seeds is None else seeds
    spec = X.quick(spec, n_sizes=n_sizes, seeds=tuple(range(n_seeds)))
    if epochs is not None:
        spec = X.by_epochs(spec)  # asked for: the bow firm then trains by epochs, not to its optimum
    kwargs = dict(loader)
    if is_synthetic(data):
        kwargs = {"n_train": n_train or 25000, "n_test": n_test or 4783}
    else:  # a file: n_train and n_test fix the split's sizes (default: the paper's proportion)
        kwargs.update({k: v for k, v in (("n_train", n_train), ("n_test", n_test)) if v is not None})
    t0 = _time.perf_counter()
    corpus = X.Corpus.of(data, data_path, **kwargs)
    with warnings.catch_warnings():
        # The loader's notes (duplicates dropped, test texts also in training) are printed
        # once here, in the console's style, not as Python warnings for every split.
        warnings.filterwarnings("ignore", message=".*also appear in training")
        train, test = corpus.load(spec.seeds[0])  # bad files fail here, before any training
        for note in train.notes:
            console.print(f"[yellow]{note}[/yellow]")
    if target is not None:
        from acsim.platform.data import class_index

        spec = X.with_target(spec, class_index(target, train.label_names, f"--target {target}"))
    if counts is not None:
        spec = X.with_members(spec, counts)
    spec, dropped = X.distinct_sizes(spec, train)
    console.print(f"{spec.name}: {spec.title}; {len(train):,} train / {len(test):,} test resumes ({data}), firm = {learner}; "
                  f"{len(spec.sizes)} sizes x {len(spec.seeds)} seeds (each seed its own corpus, members and firm)")
    if dropped:
        console.print(f"[yellow]{len(dropped)} sizes dropped: they round to the member count of a smaller size on this corpus[/yellow]")
    total = len(list(X.iter_runs(spec)))
    warnings.filterwarnings("ignore", message=".*also appear in training")  # said above, for the first split
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("training runs", total=total)
        runs = X.run_experiment(spec, corpus, learner, learner_params,
                                progress=lambda i, n, row: bar.update(task, completed=i))
    fits = X.summarize(spec, runs, target_success, form=fit)
    meta = {
        "learner": learner, "learner_params": learner_params, "data": data,
        "data_path": str(data_path) if data_path else None, "loader_options": loader,
        "target": target, "members": counts,
        "n_train": len(train), "n_test": len(test), "quick": quick, "fit": fit,
        "data_seeds": [corpus.data_seed(s) for s in spec.seeds],
        "wall_seconds": _time.perf_counter() - t0, "acsim_version": acsim.__version__,
    }
    paths = X.write_outputs(spec, runs, fits, train, out / spec.name, meta)
    _print_fits(spec, runs, fits, target_success, learner, fit)
    console.print(f"{len(runs)} runs in {meta['wall_seconds']:.1f} s")
    if quick:
        console.print(f"The full run (without --quick) tries all 20 of the paper's sizes with {n_seeds} seeds: "
                      "a finer curve, a tighter interval, and the runs the README's table comes from.")
    for key, path in paths.items():
        console.print(f"wrote {path}")


def _print_fits(spec, runs, fits, target_success: float, learner: str, form: str) -> None:
    """The critical masses as a table, with the mean success at each size tried beside them."""
    from acsim.platform import experiments as X

    col = X.size_column(spec)
    unit = {"class_fraction": "share of the target class", "n_members": "members (0 members: the baseline, not fitted)"}.get(
        col, "share of the training data")
    table = Table(title=f"{spec.name}: critical mass for success {target_success:g} ({learner} firm, {form} fit; "
                        f"sizes as {unit}, 90% interval over seeds)")
    for c in ("curve", "metric", "critical mass [90% interval]", "plateau"):
        table.add_column(c)
    for _, r in fits.iterrows():
        table.add_row(r["curve"], r["metric"].replace("success_", ""), r["reported"],
                      "" if not r["params_ok"] else f"{r['top']:.2f}")
    console.print(table)
    means = Table(title="mean success per size tried (members: mean over seeds)")
    means.add_column("curve")
    means.add_column(col)
    means.add_column("members")
    for m in spec.metrics:
        means.add_column(m.replace("success_", ""))
    # by nominal size: with per-seed corpora a share of the target class differs slightly per seed
    g = runs.groupby(["curve", "size"], sort=False).agg(x=(col, "mean"), members=("n_members", "mean"),
                                                        **{m: (m, "mean") for m in spec.metrics})
    for (curve, _), r in g.iterrows():
        means.add_row(curve, f"{r['x']:.3g}", f"{r['members']:.0f}", *(f"{r[m]:.2f}" for m in spec.metrics))
    console.print(means)


def _member_counts(text: str | None, sizes: int | None) -> list[int] | None:
    """``--members 0,1,2,3``: whole numbers >= 0, checked before anything is loaded."""
    if text is None:
        return None
    if sizes is not None:
        raise ValueError("--members lists the sizes itself; drop --sizes")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"--members must be whole numbers >= 0 separated by commas (e.g. 0,1,2,3,5,8,12), got {text!r}")
    counts = sorted({int(p) for p in parts})
    if len(counts) < 2:
        raise ValueError(f"--members needs at least two sizes to draw a curve, got {text!r}")
    return counts


def _loader_options(data: str, text_column, label_column: list[str], label_sep, encoding, dedupe: bool) -> dict:
    """The file loader's settings from the command line; each only where that source reads it."""
    from acsim.platform.data import is_synthetic

    given = {"--text-column": text_column, "--label-column": label_column or None, "--label-sep": label_sep}
    if data != "csv":
        wrong = [k for k, v in given.items() if v is not None] + (["--encoding"] if encoding and data != "florex" else [])
        if wrong:
            raise ValueError(f"{', '.join(wrong)} only apply to --data csv{' or florex' if wrong == ['--encoding'] else ''}, got --data {data}")
        out: dict = {"encoding": encoding} if encoding else {}
        return out if is_synthetic(data) else {**out, "dedupe": dedupe}
    out = {"dedupe": dedupe}
    if text_column:
        out["text_column"] = text_column
    if len(label_column) == 1:
        out["label_column"] = label_column[0]
    elif label_column:
        out["label_columns"] = tuple(label_column)
    if label_sep is not None:
        if not label_sep:
            raise ValueError("--label-sep must not be empty")
        out["label_sep"] = label_sep
    if encoding:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"--encoding: unknown encoding {encoding!r}") from None
        out["encoding"] = encoding
    return out


def _learner_options(learner: str, options: list[str]) -> dict:
    """``-L KEY=VALUE`` settings of the experiment's firm, checked before any training starts."""
    from acsim.platform.learners import make_learner
    from acsim.runs.scenarios import _learner_params, parse_override

    allowed = _learner_params(learner) - {"seed", "epochs"}
    params: dict = {}
    for text in options:
        try:
            key, value = parse_override(text)
        except ValueError:
            raise ValueError(f"--learner-option needs KEY=VALUE, got {text!r}") from None
        if key not in allowed:
            hint = "seeds and epochs have their own options" if key in ("seed", "epochs") else f"allowed: {', '.join(sorted(allowed))}"
            raise ValueError(f"--learner-option {key}: not a setting of the {learner} firm ({hint})")
        params[key] = value
    make_learner(learner, **params)  # a bad value fails here, naming the setting, not after hours of training
    return params


@app.command("run")
def run_cmd(
    scenario: Optional[str] = typer.Argument(None, help="A scenario file, or the name of a shipped one (quickstart, olson_organic, ...)."),
    out: Optional[Path] = typer.Option(None, help="Output folder (default acsim-out/NAME, or acsim-out/NAME-VARIANT)."),
    executor: str = typer.Option("local", help="local (process pool, default), serial (this process) or ray."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Worker processes (local) or CPUs of a local Ray (default: one per core)."),
    address: Optional[str] = typer.Option(None, help="An existing Ray cluster: 'auto' or ray://HOST:10001 (implies --executor ray)."),
    variant: Optional[str] = typer.Option(None, help="Apply the scenario's variants.NAME table (e.g. gpu)."),
    set_: list[str] = typer.Option([], "--set", help="Override a field: --set population.n=5000 (repeatable; values are TOML)."),
    figures: bool = typer.Option(True, help="Write the PNG figures."),
    progress: bool = typer.Option(True, help="Show a progress bar on stderr."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and show the plan (runs, finished ones); run nothing."),
    list_: bool = typer.Option(False, "--list", help="List the shipped scenarios and exit."),
) -> None:
    """Run a scenario: all its seeds and sweep points, resumable; tables, manifest and PNGs in OUT."""
    _run_scenario_cmd(scenario, out, executor, jobs, address, variant, set_, figures, progress, dry_run, list_)


@user_errors
def _run_scenario_cmd(scenario, out, executor, jobs, address, variant, set_, figures, progress, dry_run, list_) -> None:
    import shlex

    from acsim.runs import batch as B
    from acsim.runs import scenarios as SC

    if list_:
        table = Table(title="shipped scenarios (acsim run NAME)")
        table.add_column("name")
        table.add_column("runs", justify="right")
        table.add_column("description")
        for name in SC.shipped_scenarios():
            loaded = SC.load_scenario(name)
            text = " ".join(loaded.scenario.description.split())
            table.add_row(name, str(len(loaded.runs())), text.split(". ")[0].rstrip(".") + ".")
        console.print(table)
        return
    if scenario is None:
        raise ValueError("give a scenario file or name (acsim run --list shows the shipped ones)")
    if address and executor == "local":
        executor = "ray"
    if executor not in B.EXECUTORS:
        raise ValueError(f"--executor must be one of {', '.join(B.EXECUTORS)}, got {executor!r}")
    if address and executor != "ray":
        raise ValueError("--address needs --executor ray")
    if jobs is not None and jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {jobs}")
    overrides = dict(SC.parse_override(s) for s in set_)
    loaded = SC.load_scenario(scenario, variant=variant, overrides=overrides or None)
    from acsim.runs.preflight import check_inputs

    check_inputs(loaded)  # data files open and fit the runs: before any worker starts, and in --dry-run
    if address and not dry_run:
        B._check_reachable(address)
    out = out or Path("acsim-out") / (loaded.name + (f"-{variant}" if variant else ""))
    blocked = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocked is not None:  # before any run starts: nothing could be written there
        raise ValueError(f"--out {out}: {blocked} is a file, not a folder")
    runs = loaded.runs()
    n_ids = len({r.run_id for r in runs})
    finished = sum(1 for r in runs if B._finished(B._run_path(out, r.run_id)))
    console.print(
        f"{loaded.name}: {len(loaded.points)} sweep point{'s' if len(loaded.points) != 1 else ''} × "
        f"{len(loaded.scenario.seeds)} seed{'s' if len(loaded.scenario.seeds) != 1 else ''} → {n_ids} runs "
        f"({loaded.scenario.kind}, firm = {loaded.scenario.firm.kind}); {finished} already finished in {out}"
    )
    for note in loaded.notes:
        console.print(f"[dim]note: {note}[/]", highlight=False, soft_wrap=True)
    if dry_run:
        return
    command = "acsim run " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else None
    try:
        result, paths = B.run_scenario(loaded, out, executor, jobs, address, progress=progress, figures=figures, command=command,
                                       preflight=False)
    except B.BatchError as exc:
        err_console.print(f"[bold red]acsim: error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        err_console.print(f"interrupted: finished runs are saved in {out / 'runs'}; run the same command again to finish the rest")
        raise typer.Exit(code=130) from None
    console.print(
        f"{result.computed} runs computed, {result.skipped} reused, {result.wall_seconds:.1f} s "
        f"({result.executor}, {result.jobs} worker{'s' if result.jobs != 1 else ''})"
    )
    _print_run_summary(loaded, out)
    for key in ("rounds", "summary", "fits", "manifest"):
        if key in paths:
            console.print(f"wrote {paths[key]}" + (f" (+ {paths[key].with_suffix('.csv').name})" if key in ("rounds", "summary") else ""))
    figs = [p.name for k, p in paths.items() if p.suffix == ".png"]
    if figs:
        console.print(f"wrote {out}/{{{','.join(figs)}}}")


def _print_run_summary(loaded, out: Path) -> None:
    import pandas as pd

    summary = pd.read_parquet(out / "summary.parquet")
    sweep_cols = [c for c in summary.columns if "." in c]
    table = Table(title=f"{loaded.name}: one row per sweep point (means over seeds)")
    if loaded.scenario.kind == "experiment":
        table.title = f"{loaded.name}: critical masses the runs support (fits.csv; 90% interval over seeds)"
        fits = pd.read_csv(out / "fits.csv")
        for col in ("point", "curve", "metric", "critical mass [90% interval]"):
            table.add_column(col)
        for _, r in fits.iterrows():
            table.add_row(str(r["point_index"]), str(r["curve"]), str(r["metric"]), str(r["reported"]))
        console.print(table)
        return
    rival = "rival_alpha_final" in summary and summary["rival_alpha_final"].notna().any()
    rival_cols = ("rival α start", "rival α final") if rival else ()
    principal = (summary["principal_status"] != "off").any()
    principal_cols = ("principal at the end",) if principal else ()
    for col in ("point", *sweep_cols, "runs", "α start", "α final", "outcomes", *rival_cols, *principal_cols,
                "spend", "N·B(α_crit)"):
        table.add_column(col, justify="right")
    groups = list(summary.groupby("point_index", sort=True))
    for i, (pi, g) in enumerate(groups):
        if i == 20 and len(groups) > 21:
            table.add_row("…", *[""] * (len(sweep_cols) + 6 + len(rival_cols) + len(principal_cols)))
            break
        outcomes = ", ".join(f"{k} {v}" for k, v in g["outcome"].value_counts().items())
        rival_cells = (f"{g['rival_alpha_initial'].mean():.3g}", f"{g['rival_alpha_final'].mean():.3g}") if rival else ()
        principal_cells = (", ".join(f"{k} {v}" for k, v in g["principal_status"].value_counts().items()),) if principal else ()
        table.add_row(
            str(pi), *(str(g[c].iloc[0]) if not isinstance(g[c].iloc[0], float) else f"{g[c].iloc[0]:.4g}" for c in sweep_cols),
            str(len(g)), f"{g['alpha_initial'].mean():.3g}", f"{g['alpha_final'].mean():.3g}", outcomes, *rival_cells,
            *principal_cells,
            f"{g['spend_total'].mean():.4g}", f"{g['B_crit_total'].mean():.4g}",
        )
    console.print(table)


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
    metric: str = typer.Option("S", help="Which success column an empirical curve uses (S, S_top1, S_inclusion; success_top1 for experiments)."),
    n_workers: int = typer.Option(1000, help="Population size N: totals N·B(α_crit), and the simulated population."),
    simulate: bool = typer.Option(False, "--simulate", help="Also run the agent-based model (cheapest-first principal) at every grid point."),
    rounds: int = typer.Option(5, help="Rounds per simulated run."),
    seed: int = typer.Option(0, help="Seed of the simulated runs."),
    executor: str = typer.Option("local", help="Executor of the simulated runs: local, serial or ray."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Worker processes for --simulate."),
    address: Optional[str] = typer.Option(None, help="Ray cluster address for --simulate (implies --executor ray)."),
    out: Path = typer.Option(Path("acsim-out/investment"), help="Output folder."),
    plot: bool = typer.Option(True, help="Write the heatmaps (and the simulation figure)."),
) -> None:
    """Section 6 over a grid: α_crit, self-sustaining or not, and the investment B(α_crit), with heatmaps."""
    import json as _json

    import numpy as np

    from acsim.runs import investment as I
    from acsim.theory import STRATEGIES  # here, not at the top: `acsim --help` need not load numpy

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
    if address and executor == "local":
        executor = "ray"
    curves: list = []
    if strategy is not None or not (sigmoid or from_batch):
        strategies = [s.strip() for s in (strategy or "feature-label").split(",") if s.strip()]
        for s in strategies:
            if s not in STRATEGIES:
                raise ValueError(f"--strategy must be among {', '.join(STRATEGIES)}, got {s!r}")
        curves += I.bound_curves(strategies, _floats(xi, "xi"), _floats(eps, "eps"), delta, p,
                                 _floats(tau, "tau") if tau else None)
    for text in sigmoid:
        vals = _floats(text, "sigmoid")
        if len(vals) not in (2, 3):
            raise ValueError(f"--sigmoid takes MID,SLOPE[,OFFSET], got {text!r}")
        _check_range("--sigmoid MID,SLOPE", vals[:2], -float("inf"), float("inf"), lo_open=True, hi_open=True, what="finite")
        _check_range("--sigmoid OFFSET", vals[2:], 0.0, 1.0, hi_open=True)
        curves.append(I.CurveSpec("sigmoid", midpoint=vals[0], slope=vals[1], offset=vals[2] if len(vals) == 3 else 0.0))
    for d in from_batch:
        curves.append(I.empirical_curve(d, metric))
    table = I.investment_table(curves, costs, gammas, n_workers)
    out.mkdir(parents=True, exist_ok=True)

    view = Table(title=f"Investment threshold study: {len(costs)} costs × {len(gammas)} free-ride shares (N = {n_workers:,})")
    for col in ("curve", "self-sustaining", "organic (α_crit = 0)", "no number, and why", "α_crit (min / median / max)",
                "B(α_crit) per worker (min / median / max)"):
        view.add_column(col)
    for _, g in table.groupby("curve_index", sort=True):
        fin = g[g["self_sustaining"] & ~g["organic"]]
        ac = fin["alpha_crit"].to_numpy()
        b = fin["B_crit"].to_numpy()
        rng = (lambda v: f"{v.min():.3g} / {np.median(v):.3g} / {v.max():.3g}" if v.size else "–")  # noqa: E731
        why = g["status"][~g["self_sustaining"]].value_counts()
        view.add_row(str(g["curve"].iloc[0]), f"{g['self_sustaining'].mean():.0%} of grid", f"{g['organic'].mean():.0%}",
                     "; ".join(f"{k}: {v / len(g):.0%}" for k, v in why.items()) or "–", rng(ac), rng(b))
    console.print(view)
    written = [out / "investment.parquet", out / "investment.csv"]
    table.to_parquet(written[0], index=False)
    table.to_csv(written[1], index=False)
    if plot:
        written += I.heatmaps(table, out)
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
            "n_workers": n_workers, "simulate": simulate, "rounds": rounds, "seed": seed, "acsim_version": acsim.__version__}
    (out / "investment.json").write_text(_json.dumps(meta, indent=2))
    for path in written:
        console.print(f"wrote {path}")


@app.command()
@user_errors
def dashboard(
    scenario: Optional[str] = typer.Argument(None, help="Scenario file or shipped name to load into the controls."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind (localhost by default)."),
    port: int = typer.Option(8765, help="Port."),
    open_browser: bool = typer.Option(False, "--open", help="Open a browser."),
) -> None:
    """Watch a collective form, round by round (the Solara dashboard)."""
    from acsim.cli.serve import launch

    raise typer.Exit(launch(scenario, host=host, port=port, open_browser=open_browser))


def _fmt_mass(v: float) -> str:
    if v == float("inf") or v > 1:
        return "none ≤ 1"
    return f"{v:.4g}"


def run() -> None:  # pragma: no cover - console entry for `python -m acsim`
    app(prog_name="acsim")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
