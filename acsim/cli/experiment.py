"""``acsim experiment``: one of the paper's Figures 2–6 as a resumable batch of training runs."""

from __future__ import annotations

import codecs
import shlex
import sys
import time
import warnings
from dataclasses import asdict, replace
from pathlib import Path
from typing import Optional

import typer

import acsim
from acsim.cli.common import Table, _check_range, app, batch_outcome, console, members_text, metric_name, user_errors


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
    out: Path = typer.Option(Path("acsim-out"), help="Output folder; results go to OUT/NAME/ (runs/ holds one file per run)."),
    executor: str = typer.Option("serial", help="serial (this process, default), local (a process pool) or ray: acsim run's executors."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Worker processes (implies --executor local); default one per core."),
    progress: bool = typer.Option(True, help="Show a progress bar on stderr."),
) -> None:
    """Reproduce one of the paper's Figures 2-6: runs, fitted curves, critical masses, PNG.

    A batch (:func:`acsim.runs.batch.run_scenario`) of the equivalent ``kind = "experiment"``
    scenario: every training run is saved in OUT/NAME/runs/ as it finishes, so running the
    same command again after an interruption trains only the runs still missing.
    """
    # These load pandas (and the scenarios the model's schema, mesa): kept out of `acsim --help`.
    import pandas as pd

    from acsim.platform import experiments as X
    from acsim.platform.data import class_index, is_synthetic
    from acsim.platform.fits import FORMS
    from acsim.platform.learners import available_learners
    from acsim.platform.learners.base import TEXT_LEARNERS
    from acsim.runs import batch as B
    from acsim.runs.scenarios import experiment_spec
    from acsim.runs.store import atomic_write, jsonable

    t0 = time.perf_counter()
    for option, value in (("--epochs", epochs), ("--seeds", seeds), ("--sizes", sizes), ("--n-train", n_train),
                          ("--n-test", n_test), ("--splits", splits), ("--jobs", jobs)):
        if value is not None and value < 1:
            raise ValueError(f"{option} must be >= 1, got {value}")
    _check_range("--sizes", [sizes] if sizes is not None else [], 2, 1000, what="a curve needs two sizes")
    _check_range("--epochs", [epochs] if epochs is not None else [], 1, 1000)
    counts = _member_counts(members, sizes)
    loader = _loader_options(data, text_column, label_column, label_sep, encoding, dedupe)
    if splits is not None:
        if is_synthetic(data):
            raise ValueError("--splits applies to florex or csv data (with synthetic data each seed draws its own corpus)")
        if seeds is not None and seeds != splits:
            raise ValueError(f"--splits {splits} and --seeds {seeds}: on file data every seed is one split; give one of them")
        seeds = splits
    if name not in X.EXPERIMENT_NAMES:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(X.EXPERIMENT_NAMES)}")
    if learner not in TEXT_LEARNERS:
        raise ValueError(f"--learner must be one of {', '.join(TEXT_LEARNERS)} for the resume experiments, got {learner!r} (all firms: {', '.join(available_learners())})")
    if not 0 < target_success < 1:
        raise ValueError(f"--target-success must be in (0, 1), got {target_success:g}")
    if fit not in FORMS:
        raise ValueError(f"--fit must be one of {', '.join(FORMS)}, got {fit!r}")
    if jobs is not None and jobs > 1 and executor == "serial":
        executor = "local"
    if executor not in B.EXECUTORS:
        raise ValueError(f"--executor must be one of {', '.join(B.EXECUTORS)}, got {executor!r}")
    learner_params = _learner_options(learner, learner_option)
    n_seeds = 3 if seeds is None else seeds
    settings = {"seeds": n_seeds, "firm.kind": learner, "experiment.figure": name,
                "experiment.sizes": sizes if sizes is not None else (X.QUICK_SIZES if quick else 20),
                "experiment.target_success": target_success, "experiment.fit": fit, "data.source": data}
    if learner_params:
        settings["firm.learner"] = learner_params
    if epochs is not None:  # asked for: the bow firm then trains by epochs, not to its optimum
        settings["experiment.epochs"] = epochs
    if counts is not None:
        settings["experiment.members"] = counts
    if data_path is not None:
        settings["data.path"] = str(data_path.expanduser().resolve())
    for key, value in loader.items():  # the loader's settings under their scenario names
        settings["data.label_column" if key == "label_columns" else f"data.{key}"] = list(value) if key == "label_columns" else value
    if is_synthetic(data):
        settings.update({"data.n_train": n_train or 25000, "data.n_test": n_test or 4783})
    else:  # a file: n_train and n_test fix the split's sizes (default: the paper's proportion)
        settings.update({f"data.{k}": v for k, v in (("n_train", n_train), ("n_test", n_test)) if v is not None})
    loaded = _scenario(name, settings)
    first = loaded.runs()[0]
    with warnings.catch_warnings():
        # The loader's notes (duplicates dropped, test texts also in training) are printed
        # once here, in the console's style, not as Python warnings for every split.
        warnings.filterwarnings("ignore", message=".*also appear in training")
        train, test = B.experiment_corpus(first.params["data"], first.seed)  # bad files fail here, before any training
        for note in train.notes:
            console.print(f"[yellow]{note}[/yellow]")
    if target is not None:  # by index in the scenario: a class name needs the corpus, loaded here already
        settings["experiment.target"] = class_index(target, train.label_names, f"--target {target}")
        loaded = _scenario(name, settings)
    runs, dropped = B.distinct_runs(loaded)  # the corpus loaded above is the one it reads (cached)
    kept = {r.params["size"] for r in runs}
    spec = experiment_spec(loaded.resolved[0], first.params["data"])
    spec = replace(spec, sizes=tuple(s for s in spec.sizes if s in kept))
    console.print(f"{spec.name}: {spec.title}; {len(train):,} train / {len(test):,} test resumes ({data}), firm = {learner}; "
                  f"{len(spec.sizes)} sizes x {len(spec.seeds)} seeds (each seed its own corpus, members and firm)")
    if dropped:
        console.print(f"[yellow]{len(dropped)} sizes dropped: they round to the member count of a smaller size on this corpus[/yellow]")
    out_dir = out / spec.name
    blocked = next((p for p in (out_dir, *out_dir.parents) if p.exists() and not p.is_dir()), None)
    if blocked is not None:  # before any run starts: nothing could be written there
        raise ValueError(f"--out {out}: {blocked} is a file, not a folder")
    meta = {
        "experiment": spec.name, "title": spec.title, "spec": jsonable(asdict(spec)),
        "learner": learner, "learner_params": learner_params, "data": data,
        "data_path": str(data_path) if data_path else None, "loader_options": loader,
        "target": target, "members": counts,
        "n_train": len(train), "n_test": len(test), "quick": quick, "fit": fit,
        "data_seeds": [int(first.params["data"].get("seed", 0)) + s for s in spec.seeds],
        "acsim_version": acsim.__version__,
    }
    command = "acsim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    warnings.filterwarnings("ignore", message=".*also appear in training")  # said above, for the first split
    with batch_outcome(B.runs_dir(out_dir)):
        result, paths = B.run_scenario(loaded, out_dir, executor, jobs, progress=progress, command=command, runs=runs, manifest=meta)
    table = pd.concat([result.frames[r.run_id].assign(run_id=r.run_id) for r in runs], ignore_index=True)
    table = table[["run_id", *(c for c in table.columns if c != "run_id")]]
    paths = {"runs": atomic_write(out_dir / "runs.parquet", lambda p: table.to_parquet(p, index=False)),
             "runs_csv": atomic_write(out_dir / "runs.csv", lambda p: table.to_csv(p, index=False)), **paths}
    _print_fits(spec, X.size_column(spec), table, pd.read_csv(paths["fits"]), target_success, learner, fit)
    console.print(f"{len(runs)} runs in {time.perf_counter() - t0:.1f} s: {result.computed} trained now, "
                  f"{result.skipped} finished before (in {B.runs_dir(out_dir)})")
    if quick:
        console.print(f"The full run (without --quick) tries all 20 of the paper's sizes with {n_seeds} seeds: "
                      "a finer curve, a tighter interval, and the runs the README's table comes from.")
    for path in paths.values():
        console.print(f"wrote {path}")


def _scenario(name: str, settings: dict):
    """The ``kind = "experiment"`` scenario these options make (as scenarios/paper_fig2.toml writes one)."""
    from acsim.runs.scenarios import parse_scenario  # mesa, pandas: kept out of `acsim --help`

    text = f'name = "{name}"\nkind = "experiment"\n[firm]\nkind = "{settings["firm.kind"]}"\n[experiment]\nfigure = "{name}"\n'
    return parse_scenario(text, overrides=settings)


def _print_fits(spec, col: str, runs, fits, target_success: float, learner: str, form: str) -> None:
    """The critical masses as a table, with the mean success at each size tried beside them."""
    unit = {"class_fraction": "share of the target class", "n_members": "members (0 members: the baseline, not fitted)"}.get(
        col, "share of the training data")
    table = Table(title=f"{spec.name}: critical mass for success {target_success:g} ({learner} firm, {form} fit; "
                        f"sizes as {unit}, 90% interval over seeds)")
    for c in ("curve", "metric", "critical mass [90% interval]", "as members [interval]", "plateau"):
        table.add_column(c)
    for _, r in fits.iterrows():
        table.add_row(r["curve"], metric_name(r["metric"]), r["reported"], members_text(r),
                      "" if not r["params_ok"] else f"{r['top']:.2f}")
    console.print(table)
    means = Table(title="mean success per size tried (members: mean over seeds; CACC: clean accuracy, top-1 in the label set)")
    means.add_column("curve")
    means.add_column(col)
    means.add_column("members")
    for m in spec.metrics:
        means.add_column(metric_name(m))
    cacc = "cacc" in runs.columns
    if cacc:
        means.add_column("CACC")
    # by nominal size: with per-seed corpora a share of the target class differs slightly per seed
    g = runs.groupby(["curve", "size"], sort=False).agg(x=(col, "mean"), members=("n_members", "mean"),
                                                        **{m: (m, "mean") for m in spec.metrics},
                                                        **({"cacc": ("cacc", "mean")} if cacc else {}))
    for (curve, _), r in g.iterrows():
        means.add_row(curve, f"{r['x']:.3g}", f"{r['members']:.0f}", *(f"{r[m]:.2f}" for m in spec.metrics),
                      *((f"{r['cacc']:.3f}",) if cacc else ()))
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
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"--encoding: unknown encoding {encoding!r}") from None
        out["encoding"] = encoding
    return out


def _learner_options(learner: str, options: list[str]) -> dict:
    """``-L KEY=VALUE`` settings of the experiment's firm, checked before any training starts."""
    from acsim.platform.learners import make_learner
    from acsim.runs.scenario_params import learner_params
    from acsim.runs.scenarios import parse_override  # mesa, pandas: kept out of `acsim --help`

    allowed = learner_params(learner) - {"seed", "epochs"}
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
