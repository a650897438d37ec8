"""``acsim run``: a scenario file as a resumable batch (all seeds and sweep points)."""

from __future__ import annotations

import json

import math
import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from acsim.cli.common import Table, app, batch_outcome, console, members_text, metric_name, user_errors


@app.command("run")
def run_cmd(
    scenario: Optional[str] = typer.Argument(None, help="A scenario file, or the name of a shipped one (quickstart, olson_organic, ...)."),
    out: Optional[Path] = typer.Option(None, help="Output folder (default acsim-out/NAME, or acsim-out/NAME-VARIANT)."),
    executor: str = typer.Option("auto", help="auto (default: serial unless a process pool saves more than it costs to start), local (process pool), serial (this process) or ray."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Worker processes (local) or CPUs of a local Ray (default: one per core)."),
    address: Optional[str] = typer.Option(None, help="An existing Ray cluster: 'auto', HOST:6379 or ray://HOST:10001 (implies --executor ray; default: RAY_ADDRESS, else a private local Ray)."),
    variant: Optional[str] = typer.Option(None, help="Apply the scenario's variants.NAME table (e.g. gpu)."),
    set_: list[str] = typer.Option([], "--set", help="Override a field: --set population.n=5000 (repeatable; values are TOML)."),
    figures: bool = typer.Option(True, help="Write the PNG figures."),
    progress: bool = typer.Option(True, help="Show a progress bar on stderr."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and show the plan (runs, finished ones); run nothing."),
    list_: bool = typer.Option(False, "--list", help="List the shipped scenarios and exit."),
) -> None:
    """Run a scenario: all its seeds and sweep points, resumable; tables, manifest and PNGs in OUT."""
    _run_scenario_cmd(scenario, out, executor, jobs, address, variant, set_, figures, progress, dry_run, list_)


def _cell(v) -> str:
    """A swept value as a table cell (a list of further collectives as α, target and trigger each)."""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, str) and v.startswith("[{"):
        v = json.loads(v)  # a list of tables is stored as its JSON
    if isinstance(v, (list, tuple)) and all(isinstance(e, dict) for e in v):
        return "; ".join(" ".join(f"{k}{e[key]}" for key, k in (("initial_alpha", "α="), ("target", "y*="), ("trigger", "")) if key in e)
                         for e in v) or "none"
    return str(v)


def _share(alpha: float, members: float) -> str:
    """α beside the member count it is (means over seeds; inf: never self-sustaining)."""
    if not math.isfinite(alpha):
        return "none" if alpha == math.inf else "–"
    return f"{alpha:.3g} ({members:,.0f})" if math.isfinite(members) else f"{alpha:.3g}"


@user_errors
def _run_scenario_cmd(scenario, out, executor, jobs, address, variant, set_, figures, progress, dry_run, list_) -> None:
    # These load pandas and mesa (the scenario schema is the model's): kept out of `acsim --help`.
    from acsim.runs import batch as B
    from acsim.runs import scenarios as SC
    from acsim.runs.preflight import check_inputs

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
    if address and executor in ("auto", "local"):
        executor = "ray"
    if executor not in B.EXECUTORS:
        raise ValueError(f"--executor must be one of {', '.join(B.EXECUTORS)}, got {executor!r}")
    if address and executor != "ray":
        raise ValueError("--address needs --executor ray")
    if jobs is not None and jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {jobs}")
    overrides = dict(SC.parse_override(s) for s in set_)
    loaded = SC.load_scenario(scenario, variant=variant, overrides=overrides or None)
    check_inputs(loaded)  # data files open and fit the runs: before any worker starts, and in --dry-run
    if address and not dry_run:
        B._check_reachable(address)
    out = out or Path("acsim-out") / (loaded.name + (f"-{variant}" if variant else ""))
    blocked = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocked is not None:  # before any run starts: nothing could be written there
        raise ValueError(f"--out {out}: {blocked} is a file, not a folder")
    # Experiments: sizes that round to a smaller size's member count are left out, which
    # takes the corpus; a dry run does not load it (seconds) and says so instead.
    runs, dropped = (loaded.runs(), []) if dry_run else B.distinct_runs(loaded)
    n_ids = len({r.run_id for r in runs})
    finished = sum(1 for r in runs if B._finished(B._run_path(out, r.run_id)))
    console.print(
        f"{loaded.name}: {len(loaded.points)} sweep point{'s' if len(loaded.points) != 1 else ''} × "
        f"{len(loaded.scenario.seeds)} seed{'s' if len(loaded.scenario.seeds) != 1 else ''} → {n_ids} runs "
        f"({loaded.scenario.kind}, firm = {loaded.scenario.firm.kind}); {finished} already finished in {out}"
    )
    if dropped:
        console.print(f"[yellow]{len(dropped)} sizes dropped: they round to the member count of a smaller size on this corpus[/yellow]")
    elif dry_run and loaded.scenario.kind == "experiment":
        console.print("[dim]note: sizes that round to the member count of a smaller size on the corpus are left out "
                      "when the batch runs (the dry run does not load the corpus)[/]", highlight=False, soft_wrap=True)
    for note in loaded.notes:
        console.print(f"[dim]note: {note}[/]", highlight=False, soft_wrap=True)
    if dry_run:
        return
    command = "acsim run " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else None
    with batch_outcome(B.runs_dir(out)):
        result, paths = B.run_scenario(loaded, out, executor, jobs, address, progress=progress, figures=figures, command=command,
                                       preflight=False, runs=runs)
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
    import pandas as pd  # loaded only by the commands that read tables

    summary = pd.read_parquet(out / "summary.parquet")
    sweep_cols = [c for c in summary.columns if "." in c or c in set(loaded.scenario.sweep) - {"mode"}]
    table = Table(title=f"{loaded.name}: one row per sweep point (means over seeds)")
    if loaded.scenario.kind == "experiment":
        table.title = f"{loaded.name}: critical masses the runs support (fits.csv; 90% interval over seeds)"
        fits = pd.read_csv(out / "fits.csv")
        for col in ("point", "curve", "metric", "critical mass [90% interval]", "as members [interval]", "clean accuracy (CACC)"):
            table.add_column(col)
        cacc = summary.groupby("point_index")["cacc"].mean() if "cacc" in summary else None
        for _, r in fits.iterrows():
            acc = "–" if cacc is None or r["point_index"] not in cacc.index else f"{cacc[r['point_index']]:.4f}"
            table.add_row(str(r["point_index"]), str(r["curve"]), metric_name(r["metric"]), str(r["reported"]), members_text(r), acc)
        console.print(table)
        return
    others = sorted(int(c.rsplit("_c", 1)[1]) for c in summary.columns if c.startswith("alpha_final_c"))  # acsim.abm.collectives
    others_cols = tuple(c for j in others for c in (f"c{j} α start", f"c{j} α final (members)"))
    principal = (summary["principal_status"] != "off").any()
    principal_cols = ("principal at the end",) if principal else ()
    for col in ("point", *sweep_cols, "runs", "α start (members)", "α final (members)", "outcomes", *others_cols,
                *principal_cols, "α_crit (members)", "spend", "N·B(α_crit)"):
        table.add_column(col, justify="right")
    groups = list(summary.groupby("point_index", sort=True))
    for i, (pi, g) in enumerate(groups):
        if i == 20 and len(groups) > 21:
            table.add_row("…", *[""] * (len(sweep_cols) + 7 + len(others_cols) + len(principal_cols)))
            break
        outcomes = ", ".join(f"{k} {v}" for k, v in g["outcome"].value_counts().items())
        others_cells = tuple(c for j in others for c in (f"{g[f'alpha_initial_c{j}'].mean():.3g}",
                                                         _share(g[f'alpha_final_c{j}'].mean(), g[f'members_final_c{j}'].mean())))
        principal_cells = (", ".join(f"{k} {v}" for k, v in g["principal_status"].value_counts().items()),) if principal else ()
        table.add_row(
            str(pi), *(_cell(g[c].iloc[0]) for c in sweep_cols),
            str(len(g)), _share(g['alpha_initial'].mean(), g['members_initial'].mean()),
            _share(g['alpha_final'].mean(), g['members_final'].mean()), outcomes, *others_cells, *principal_cells,
            _share(g['alpha_crit'].mean(), g['members_crit'].mean()),
            f"{g['spend_total'].mean():.4g}", f"{g['B_crit_total'].mean():.4g}",
        )
    console.print(table)
