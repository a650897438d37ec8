"""How a batch's runs are cut into tasks, and which executor runs them (``executor = "auto"``).

A task is a chunk of runs that one worker computes and saves as one file
(:func:`acsim.runs.chunks.write_chunk`): a training run alone (it takes seconds and is best
scheduled on its own; on Ray a chunk's runs come back only together), cheap runs together
(for runs of a few milliseconds the task's round trip and the file are the whole cost, and
theory-firm runs of one shape are stepped as one ensemble, :mod:`acsim.abm.ensemble`).
"""

from __future__ import annotations

import math
import os
from typing import Sequence

from acsim.abm import ensemble
from acsim.platform.learners.base import TEXT_LEARNERS
from acsim.runs.runner import run_params
from acsim.runs.store import RunSpec

__all__ = ["chunks", "choose_executor", "default_jobs", "estimated_work", "start_method"]

def trains(spec: RunSpec) -> bool:
    """Whether a run trains a model (an experiment run, or a text firm)."""
    return spec.kind == "experiment" or spec.params.get("firm") in TEXT_LEARNERS


# A chunk of cheap runs: at most this much estimated work (a killed batch loses at most the
# chunks in progress), this many runs, and workers × runs cells (acsim.abm.ensemble.MAX_CELLS).
CHUNK_SECONDS = 2.0
CHUNK_RUNS = 1000


def _shape(spec: RunSpec) -> tuple:
    """Runs with the same shape give the same row columns and can be stepped together."""
    p = spec.params
    return (spec.kind, p.get("firm", "theory"), int(p.get("n_workers", 1000)), int(p.get("rounds", 20)),
            len(p.get("collectives") or ()))


def _estimate(spec: RunSpec) -> float:
    """Seconds one cheap run takes on its own (rounds × workers, and its file)."""
    p = spec.params
    return int(p.get("rounds", 20)) * int(p.get("n_workers", 1000)) * WORKER_ROUND_SECONDS + RUN_FILE_SECONDS


def chunks(todo: Sequence[RunSpec], jobs: int) -> list[list[RunSpec]]:
    """Runs grouped into tasks: a training run alone, cheap runs (no training) in chunks.

    A chunk holds runs of one shape (:func:`_shape`), at most :data:`CHUNK_SECONDS` of
    estimated work, :data:`CHUNK_RUNS` runs and :data:`acsim.abm.ensemble.MAX_CELLS` workers × runs, and
    with several workers at most a (2 · jobs)-th of the runs, so every worker gets some; a
    shape's runs are cut into a multiple of ``jobs`` chunks of near-equal size, so no worker
    is left with the last whole chunk while the others wait (1,000 runs: 8 × 125, not 7 × 142 + 6).
    Each chunk is one task and one file: for runs of a few milliseconds the task's round
    trip and the file are the whole cost.
    """
    todo = list(todo)
    if any(trains(s) for s in todo):
        return [[s] for s in todo]
    by_shape: dict[tuple, list[RunSpec]] = {}
    for spec in todo:
        by_shape.setdefault(_shape(spec), []).append(spec)
    spread = max(1, math.ceil(len(todo) / (2 * jobs))) if jobs > 1 else CHUNK_RUNS
    out = []
    for shape, specs in by_shape.items():
        size = min(CHUNK_RUNS, spread, max(1, int(CHUNK_SECONDS / _estimate(specs[0]))), max(1, ensemble.MAX_CELLS // max(shape[2], 1)))
        n = math.ceil(len(specs) / size)
        n = min(len(specs), math.ceil(n / jobs) * jobs)
        size = math.ceil(len(specs) / n)  # never above the caps: n only grew
        out += [specs[i:i + size] for i in range(0, len(specs), size)]
    return out


# What a pool's start costs before its first run (spawned workers import acsim, mesa, pandas;
# forked ones are copies of this process: 10-30 ms measured, 0.2 s assumed), and what a
# cheap run costs: one model at a time, per worker and round and per file (a quickstart
# run, 10,000 workers and 20 rounds, is ~9 ms of rounds and ~5 ms of writing);
# in an ensemble (acsim.abm.ensemble), per run and per worker (building the model, its draws,
# sorts and recruitment plan: 0.67 ms a run at 1,000 workers, 3.4 ms at 10,000; benchmarks/README.md).
POOL_START_SECONDS = 2.0
FORK_START_SECONDS = 0.2
WORKER_ROUND_SECONDS = 4.5e-8
RUN_FILE_SECONDS = 5e-3
ENSEMBLE_RUN_SECONDS = 3e-4
ENSEMBLE_WORKER_SECONDS = 3.1e-7


def start_method(todo: Sequence[RunSpec]) -> str:
    """How a pool's workers start: ``"fork"`` where that is safe, else ``"spawn"``.

    A forked worker is a copy of this process, acsim and the theory firm's curve loaded: the
    1,000-run quickstart sweep on a 2-process pool took 2.2 s forked against 3.6 s spawned (and
    3.4 s serially), as spawned workers first import acsim, mesa and pandas (benchmarks/README.md).
    Forking is safe where no lock can be copied held and the children use nothing that a fork
    breaks: on Linux (macOS's system libraries are not fork-safe), with this process's only
    Python thread running (another thread's held lock would stay locked in the child), and
    no run that trains: torch's thread pools and CUDA do not survive a fork, so a child must
    not call torch (it may be loaded here, by a caller or an earlier training batch: a child
    that never calls it is as safe as torch's own forked DataLoader workers).
    Anywhere else the workers are spawned, Mesa's and torch's advice.
    """
    import sys
    import threading

    if sys.platform != "linux" or threading.active_count() != 1 or any(trains(s) for s in todo):
        return "spawn"
    return "fork"


def _work(spec: RunSpec) -> float:
    """Seconds a cheap run takes in this process, stepped with others where it can be."""
    try:
        together = spec.kind == "model" and ensemble.why_not(run_params(spec.params, spec.seed)) is None
    except Exception:  # noqa: BLE001 - a run that does not validate fails fast either way
        together = False
    if together:
        return ENSEMBLE_RUN_SECONDS + int(spec.params.get("n_workers", 1000)) * ENSEMBLE_WORKER_SECONDS
    return _estimate(spec)


def estimated_work(todo: Sequence[RunSpec]) -> float | None:
    """Seconds the runs take one after another in one process (:func:`_work`); None when one trains
    (seconds to minutes each, not estimated)."""
    if any(trains(s) for s in todo):
        return None
    return sum(_work(s) for s in todo)


def choose_executor(todo: Sequence[RunSpec], jobs: int | None = None) -> tuple[str, str]:
    """``executor = "auto"``: serial unless a pool saves more than it costs to start; and why.

    ``jobs`` ≥ 2 asks for a pool. A training run takes seconds, so two or more go to the pool;
    runs that train nothing are estimated (:func:`_work`) and go to the pool when it pays:
    a pool of n workers takes its start-up (about 2 s spawned, 0.2 s or less forked:
    :func:`start_method`) plus the work over a speed-up of about 0.75·n (this 2-core machine
    runs two CPU-bound processes 1.1–2.2× faster than one), so it wins from
    work > start · s/(s − 1): 6 s spawned, 0.6 s forked on 2 cores. (The 1,000-run quickstart
    sweep, 3.4 s of ensemble work: 3.4 s serially, 3.5 s spawned, 2.1 s forked.)
    """
    todo = list(todo)
    if jobs is not None and jobs >= 2:
        return "local", f"--jobs {jobs} asks for a pool"
    n_jobs = jobs or default_jobs("local", todo)
    if n_jobs < 2 or len(todo) < 2:
        return "serial", f"{len(todo)} run{'s' if len(todo) != 1 else ''}, {n_jobs} core{'s' if n_jobs != 1 else ''}"
    work = estimated_work(todo)
    if work is None:
        return "local", f"{len(todo)} training runs"
    speedup = 0.75 * n_jobs
    start = FORK_START_SECONDS if start_method(todo) == "fork" else POOL_START_SECONDS
    pays = start * speedup / (speedup - 1.0)
    if work > pays:
        return "local", f"{len(todo)} runs, ~{work:.0f} s of work one after another"
    return "serial", f"{len(todo)} runs, ~{work:.1f} s of work: a pool pays from ~{pays:.0f} s"


def default_jobs(executor: str, runs: Sequence[RunSpec]) -> int:
    """Local workers: one per core, but one per GPU for transformer runs (each holds a model)."""
    n = os.cpu_count() or 1
    if any(r.gpu for r in runs):
        try:
            import torch

            n = max(1, torch.cuda.device_count()) if torch.cuda.is_available() else n
        except ImportError:
            pass
    return max(1, min(n, len(runs))) if runs else 1
