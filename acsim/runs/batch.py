"""Headless batches: many runs (scenario seeds × sweep points), resumable, on one machine or Ray.

A batch is a list of :class:`RunSpec` s, each with a stable ``run_id`` (a hash of the
resolved parameters and the seed, :func:`acsim.runs.scenarios.run_id`). :func:`execute`

* skips every run already finished under ``runs/`` (its own file or a chunk file,
  :class:`acsim.runs.chunks.RunIndex`);
* runs the rest with an *executor* (:mod:`acsim.runs.executors`): ``serial`` (in this
  process), ``local`` (a process pool) or ``ray`` (a local Ray or an existing cluster), in
  chunks (a training run alone; cheap runs together, theory-firm runs stepped as one
  ensemble, :mod:`acsim.abm.ensemble`);
* writes each finished chunk at once, one file, atomically (a temporary file, flushed,
  then ``os.replace``), so a batch killed at any moment, even by SIGKILL, loses at most
  the chunks in progress, and rerunning the same command finishes the rest.

The numbers of a run depend only on its parameters and seed, never on which executor
or worker ran it (every random draw comes from the run's own seeded generator).
:func:`run_scenario` ties a scenario to a batch and writes the aggregated outputs
(:mod:`acsim.runs.outputs`). One run, its computation and its file: :mod:`acsim.runs.runner`.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from acsim.platform.experiments import distinct_sizes
from acsim.runs import outputs
from acsim.runs.executors import _await_elsewhere, _check_reachable, _info, _progress, _run_local, _run_ray, _run_serial, ray_address
from acsim.runs.chunks import Chunk, RunFrames, RunIndex, read_runs
from acsim.runs.preflight import check_inputs
# One run and its file; re-exported here, where callers (the CLI, preflight, tests) have always found them.
from acsim.runs.runner import (
    RunSpec, _finished, run_params, _run_path, execute_run, experiment_corpus, experiment_data_params, read_run, runs_dir,
    write_run,
)
from acsim.runs.scenarios import experiment_spec
from acsim.runs.store import TEMP_GLOB, temp_owner_alive
from acsim.runs.tasks import choose_executor, chunks, default_jobs

__all__ = [
    "EXECUTORS",
    "RunSpec",
    "BatchResult",
    "BatchError",
    "execute",
    "execute_run",
    "experiment_corpus",
    "run_scenario",
    "distinct_runs",
    "read_run",
    "runs_dir",
    # where the CLI, preflight and the tests have always found them
    "chunks", "default_jobs", "experiment_data_params", "write_run", "RunIndex", "_check_reachable", "_finished",
    "run_params", "_run_path", "read_runs",
]

EXECUTORS = ("auto", "local", "serial", "ray")


class BatchError(RuntimeError):
    """Some runs failed; the finished ones are saved and a rerun retries the others."""


@dataclass
class BatchResult:
    """What a batch produced: every run's rows (a :class:`acsim.runs.chunks.RunFrames`) and info, by run id."""

    runs: list[RunSpec]
    frames: Mapping[str, pd.DataFrame]
    infos: dict[str, dict]
    skipped: int
    computed: int
    failed: dict[str, str]
    wall_seconds: float
    executor: str
    jobs: int

    @property
    def complete(self) -> bool:
        return not self.failed and all(r.run_id in self.frames for r in self.runs)


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def execute(
    runs: Sequence[RunSpec],
    out_dir: str | Path | None = None,
    executor: str = "auto",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = _stderr,
    threads: int | None = None,
    together: bool = True,
) -> BatchResult:
    """Run every run not already finished under ``out_dir``; return all their rows.

    ``out_dir=None`` keeps results in memory only (nothing to resume). ``executor``: one of
    :data:`EXECUTORS`; ``"auto"`` picks serial or local (:func:`acsim.runs.tasks.choose_executor`). ``jobs``: worker
    processes (``local``) or CPUs of a private local Ray (``ray`` without ``address``); default
    one per core. ``address``: an existing Ray cluster (``"auto"``, ``"ray://host:10001"``;
    default ``RAY_ADDRESS``, :func:`acsim.runs.executors.ray_address`).
    ``threads``: BLAS/torch threads per local worker (default cores // jobs). ``together``:
    step qualifying theory-firm runs as ensembles (:mod:`acsim.abm.ensemble`; the same
    rows); False runs every model one by one (benchmarks compare the two). Runs that
    raise are reported in ``failed`` (the others still finish and are saved).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    log = log or (lambda msg: None)
    t0 = time.perf_counter()
    out = Path(out_dir) if out_dir is not None else None
    unique: dict[str, RunSpec] = {}
    for r in runs:
        unique.setdefault(r.run_id, r)
    frames = RunFrames()
    infos: dict[str, dict] = {}
    if out is not None:
        rdir = runs_dir(out)
        rdir.mkdir(parents=True, exist_ok=True)
        for stale in rdir.glob(TEMP_GLOB):  # half-written by a killed batch: never a finished run
            if not temp_owner_alive(stale):  # a batch running beside this one may be writing it now
                stale.unlink(missing_ok=True)
    index = RunIndex.of(out)
    for chunk in index.read([rid for rid in unique if rid in index]):
        frames.add(chunk)
        for spec, info in zip(chunk.specs, chunk.infos):
            infos[spec.run_id] = _info(info) | {"status": "reused", "file": info["file"]}
    todo = [spec for rid, spec in unique.items() if rid not in frames]
    skipped = len(unique) - len(todo)
    # Runs of other settings, or of an acsim whose run ids differ (store.RUN_SCHEMA): never
    # mixed into this batch, and said, so a changed meaning is not a silent rerun.
    foreign = sum(1 for rid in index.where if rid not in unique)
    if foreign:
        log(f"{foreign} finished run{'s' if foreign != 1 else ''} in {runs_dir(out)} belong to no run of this batch "
            "(other settings, or an earlier acsim whose runs meant something else); kept, not used")
    if skipped:
        log(f"skipped {skipped} finished run{'s' if skipped != 1 else ''} (already in {runs_dir(out)})")  # type: ignore[arg-type]
    if executor == "auto":
        executor, why = choose_executor(todo, jobs)
        if todo:
            log(f"executor: {executor} ({why})")
    n_jobs = 1 if executor == "serial" else (jobs or default_jobs(executor, todo))
    failed: dict[str, str] = {}

    def done(chunk: Chunk) -> None:  # written already where there is an out_dir (by the worker or the Ray driver)
        frames.add(chunk)
        for spec, info in zip(chunk.specs, chunk.infos):
            info.pop("written", None)
            infos[spec.run_id] = {"status": "computed", **info}

    bar = _progress(len(unique), skipped, progress and bool(todo))
    try:
        if todo:
            if executor == "serial":
                _run_serial(todo, out, done, failed, bar, together)
            elif executor == "local":
                _run_local(todo, n_jobs, threads, out, done, failed, bar, together)
            else:
                n_jobs = _run_ray(todo, n_jobs if jobs else None, address, out, done, failed, bar, log, together)
    finally:
        bar.close()
    _await_elsewhere(unique, out, executor, done, failed, log)
    reused = sum(1 for spec in todo if infos.get(spec.run_id, {}).get("status") == "reused")
    skipped += reused
    computed = len(todo) - len(failed) - reused
    return BatchResult(list(runs), frames, infos, skipped, computed, failed, time.perf_counter() - t0, executor, n_jobs)


# --------------------------------------------------------------------------- scenarios


def run_scenario(
    loaded: Any,
    out_dir: str | Path,
    executor: str = "auto",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = _stderr,
    figures: bool = True,
    command: str | None = None,
    preflight: bool = True,
    runs: Sequence[RunSpec] | None = None,
    manifest: dict | None = None,
) -> tuple[BatchResult, dict[str, Path]]:
    """Run a loaded scenario (:func:`acsim.runs.scenarios.load_scenario`) and write its outputs.

    Outputs under ``out_dir``: ``runs/<id>.parquet`` (one per run, written as it
    finishes), then ``rounds.parquet/.csv``, ``summary.parquet/.csv``, ``manifest.json``
    and PNG figures (:func:`acsim.runs.outputs.write_outputs`). ``preflight``: first open every
    data file the runs read (:func:`acsim.runs.preflight.check_inputs`; a ScenarioError before
    any worker starts). Raises :class:`BatchError` (after saving every finished run) if
    any run failed. ``runs``: only these of the scenario's runs (default: all; ``acsim run``
    and ``acsim experiment`` pass :func:`distinct_runs`, which loads a corpus, so that a
    finished batch here is redrawn from its runs alone); ``manifest``: more fields for
    ``manifest.json``.
    """
    if preflight:
        check_inputs(loaded)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    runs = loaded.runs() if runs is None else list(runs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if executor == "ray":
        address = ray_address(address)  # the manifest names the cluster RAY_ADDRESS chose too
    result = execute(runs, out, executor, jobs, address, progress, log)
    if result.failed:
        first_id, first = next(iter(result.failed.items()))
        raise BatchError(
            f"{len(result.failed)} of {len(runs)} runs failed (finished runs are saved in {runs_dir(out)}; "
            f"rerun the same command to retry): run {first_id}: {first}"
        )
    paths = outputs.write_outputs(loaded, result, out, started=started, address=address, figures=figures, command=command,
                                  extra=manifest)
    return result, paths


def distinct_runs(loaded: Any) -> tuple[list[RunSpec], list[float]]:
    """A scenario's runs without the experiment sizes whose member count repeats a smaller
    size's, and the sizes left out (:func:`acsim.platform.experiments.distinct_sizes`).

    On a small corpus several of the paper's sizes round to the same number of resumes:
    one collective counted twice. Each sweep point's first run's corpus decides, as in
    ``acsim experiment``, so ``acsim run paper_figN`` and ``acsim experiment figN`` run
    the same sizes. Model scenarios: all their runs.
    """
    runs = loaded.runs()
    if loaded.scenario.kind != "experiment":
        return runs, []
    allowed: set[tuple[int, float]] = set()
    dropped: list[float] = []
    for i, sc in enumerate(loaded.resolved):
        first = next((r for r in runs if r.point_index == i), None)
        if first is None:
            continue
        data = first.params["data"]
        spec, gone = distinct_sizes(experiment_spec(sc, data), experiment_corpus(data, first.seed)[0])
        allowed |= {(i, size) for size in spec.sizes}
        dropped += gone
    return [r for r in runs if (r.point_index, r.params["size"]) in allowed], dropped
