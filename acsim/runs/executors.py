"""Where a batch's runs are computed: in this process, a process pool, or Ray.

* ``serial``: one run after the other in this process;
* ``local``: a process pool with the ``spawn`` start method (the one Mesa and torch are
  safe with; entry points must be guarded by ``if __name__ == "__main__":``), one worker
  per core, each worker claiming (:func:`acsim.runs.store.claim`) and writing its runs;
* ``ray``: one Ray task per run (or chunk of cheap runs), on a local Ray or an existing
  cluster, a GPU reserved per run for the transformer firm; the driver claims and writes.

Each executor reports every run through ``done(spec, frame, info)`` or ``failed[run_id]``
and moves the progress ``bar``; :func:`acsim.runs.batch.execute` decides what to run.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from acsim.platform.learners.base import TEXT_LEARNERS
from acsim.runs.runner import RunSpec, _finished, _run_path, execute_run, read_run, runs_dir, write_run
from acsim.runs.store import claim

__all__ = ["choose_executor", "chunks", "default_jobs"]


def _task(spec: RunSpec, executor: str) -> tuple[pd.DataFrame, dict]:
    """What a worker runs: the run and how it went (when, wall time, where)."""
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    frame = execute_run(spec)
    return frame, {
        "wall_seconds": time.perf_counter() - t0,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "executor": executor,
        "started_at": started.isoformat(timespec="milliseconds"),  # with wall_seconds: when it ran (schedulers)
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


# A run another acsim process holds (two batches on one folder): waited for at the end.
_ELSEWHERE = "claimed by another acsim process on this folder"


def _task_chunk(specs: list[RunSpec], executor: str, out_dir: str | None) -> list[tuple[RunSpec, Any, Any]]:
    """Several runs in one task: ``(spec, frame, info)`` or ``(spec, None, error text)`` each.

    With ``out_dir`` (local workers, which share the disk) every run is claimed
    (:func:`acsim.runs.store.claim`) before it starts and written by the worker the moment it
    finishes, so chunking never delays saving a run, two batches on one folder never
    compute a run twice, and the parent process only collects.
    """
    out = []
    for spec in specs:
        hold = None
        if out_dir is not None:
            path = _run_path(Path(out_dir), spec.run_id)
            hold = claim(path)
            if hold is None:
                out.append((spec, None, _ELSEWHERE))
                continue
            if _finished(path):  # another batch finished it after this one looked
                hold.release(remove=True)
                frame, meta = read_run(path)
                out.append((spec, frame, _info(meta) | {"written": True, "status": "reused"}))
                continue
        written = False
        try:
            try:
                frame, info = _task(spec, executor)
            except Exception as exc:  # noqa: BLE001 - one bad run must not lose the others
                out.append((spec, None, _error_text(exc)))
                continue
            if out_dir is not None:
                try:
                    write_run(Path(out_dir), spec, frame, info)
                except OSError as exc:  # e.g. a full disk: this run is not saved, say so
                    out.append((spec, None, f"could not save the run: {_error_text(exc)}"))
                    continue
                info["written"] = written = True
            out.append((spec, frame, info))
        finally:
            if hold is not None:
                hold.release(remove=written)
    return out


def _info(meta: dict) -> dict:
    return {k: meta.get(k) for k in ("wall_seconds", "host", "pid", "executor", "started_at", "finished_at")}


def _trains(spec: RunSpec) -> bool:
    return spec.kind == "experiment" or spec.params.get("firm") in TEXT_LEARNERS


def chunks(todo: Sequence[RunSpec], jobs: int) -> list[list[RunSpec]]:
    """Runs grouped into tasks: cheap runs (no training) in chunks of up to 8, others alone.

    Each task costs a round trip to a worker; for runs of a few milliseconds that is the
    whole cost, while a training run is best scheduled on its own (and on Ray, a chunk's
    runs come back only together).
    """
    todo = list(todo)
    size = 1 if any(_trains(s) for s in todo) else max(1, min(8, len(todo) // (8 * max(jobs, 1))))
    return [todo[i:i + size] for i in range(0, len(todo), size)]


# What a pool's start costs before its first run (spawned workers import acsim, mesa, pandas),
# and what a cheap run costs per worker and round and per file: a quickstart run (10,000
# workers, 20 rounds) is ~9 ms of rounds and ~5 ms of writing (benchmarks/README.md).
POOL_START_SECONDS = 2.0
WORKER_ROUND_SECONDS = 4.5e-8
RUN_FILE_SECONDS = 5e-3


def choose_executor(todo: Sequence[RunSpec], jobs: int | None = None) -> tuple[str, str]:
    """``executor = "auto"``: serial unless a pool saves more than it costs to start; and why.

    ``jobs`` ≥ 2 asks for a pool. A training run takes seconds, so two or more go to the pool; runs that train nothing
    are estimated from their size (rounds × workers) and go to the pool when the estimated
    serial time exceeds the pool's start-up (about 2 s on 2 cores: the quickstart scenario's
    24 runs took 1.35x longer on the pool than one after another).
    """
    todo = list(todo)
    if jobs is not None and jobs >= 2:
        return "local", f"--jobs {jobs} asks for a pool"
    n_jobs = jobs or default_jobs("local", todo)
    if n_jobs < 2 or len(todo) < 2:
        return "serial", f"{len(todo)} run{'s' if len(todo) != 1 else ''}, {n_jobs} core{'s' if n_jobs != 1 else ''}"
    if any(_trains(s) for s in todo):
        return "local", f"{len(todo)} training runs"
    work = sum(int(s.params.get("rounds", 20)) * int(s.params.get("n_workers", 1000)) * WORKER_ROUND_SECONDS + RUN_FILE_SECONDS
               for s in todo)
    if work > POOL_START_SECONDS:
        return "local", f"{len(todo)} runs, ~{work:.0f} s of work one after another"
    return "serial", f"{len(todo)} runs, ~{work:.1f} s of work: less than a pool takes to start"


def _init_worker(threads: int | None, parent: int | None = None) -> None:
    if parent is not None:
        _die_with_parent(parent)
    # Pool workers share the cores: keep each BLAS/torch to its share (set before torch loads;
    # the model and the experiments are loaded already, with this module, so a run's wall
    # time is the run's).
    if threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(var, str(threads))


def _die_with_parent(parent: int) -> None:
    """A pool worker must not outlive its batch, however the batch dies (SIGKILL included).

    On Linux the kernel sends the worker SIGKILL when its parent exits (``prctl
    PR_SET_PDEATHSIG``); elsewhere a daemon thread watches the parent's pid. A parent
    that died before this line ran is caught by the ``getppid`` check.
    """
    import signal
    import threading

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        armed = False
    if os.getppid() != parent:
        os._exit(1)
    if not armed:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, name="acsim-parent-watch", daemon=True).start()


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


def _progress(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="runs", unit="run", file=sys.stderr, disable=not enabled,
                dynamic_ncols=True, mininterval=0.2)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _run_serial(todo: Iterable[RunSpec], out: Path | None, done, failed: dict, bar) -> None:
    for spec in todo:
        _collect(_task_chunk([spec], "serial", None if out is None else str(out)), done, failed, bar)


def _await_elsewhere(unique: dict[str, RunSpec], out: Path | None, executor: str, done, failed: dict, log) -> None:
    """Runs another batch on this folder held: wait for each, then read it (or, if that
    batch died or the run failed there, compute it here)."""
    waiting = [unique[rid] for rid, why in failed.items() if why == _ELSEWHERE]
    if not waiting or out is None:
        return
    log(f"waiting for {len(waiting)} run{'s' if len(waiting) != 1 else ''} another acsim process is computing in {runs_dir(out)}")
    for spec in waiting:
        del failed[spec.run_id]
    while waiting:
        spec = waiting.pop(0)
        hold = claim(_run_path(out, spec.run_id), wait=True)  # returns when that process is done with it, or dead
        assert hold is not None
        hold.release()
        for s, frame, info in _task_chunk([spec], executor, str(out)):
            if info == _ELSEWHERE:  # a third batch took it meanwhile
                waiting.append(s)
            elif frame is None:
                failed[s.run_id] = info
            else:
                done(s, frame, info)


def _run_local(todo: Sequence[RunSpec], jobs: int, threads: int | None, out: Path | None, done, failed: dict, bar) -> None:
    threads = threads or max(1, (os.cpu_count() or 1) // jobs)
    ctx = multiprocessing.get_context("spawn")  # fork is unsafe with torch/Mesa threads; spawn is Mesa's own default
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(threads, os.getpid()))
    target = str(out) if out is not None else None
    try:
        pending = {pool.submit(_task_chunk, chunk, "local", target): chunk for chunk in chunks(todo, jobs)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                chunk = pending.pop(fut)
                try:
                    results = fut.result()
                except BrokenProcessPool as exc:
                    results = [(spec, None, f"worker process died: {exc}") for spec in chunk]
                except Exception as exc:  # noqa: BLE001
                    results = [(spec, None, _error_text(exc)) for spec in chunk]
                _collect(results, done, failed, bar)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _collect(results: list[tuple[RunSpec, Any, Any]], done, failed: dict, bar) -> None:
    for spec, frame, info in results:
        if frame is None:
            failed[spec.run_id] = info
        else:
            done(spec, frame, info)
    bar.update(len(results))


def _run_ray(todo: Sequence[RunSpec], jobs: int | None, address: str | None, out: Path | None, done, failed: dict, bar, log) -> int:
    try:
        import ray
    except ImportError:
        raise ValueError("--executor ray needs Ray: pip install 'acsim[dist]' (or pip install 'ray[default]')") from None
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
        if address:
            _check_reachable(address)
            kwargs["address"] = address
        elif jobs:
            kwargs["num_cpus"] = jobs
        try:
            ray.init(**kwargs)
        except (ConnectionError, RuntimeError) as exc:
            if not address:
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(
                f"--address {address}: cannot connect to the Ray cluster ({first}); is it running "
                "(`ray start --head`), and for a token-authenticated cluster are RAY_AUTH_MODE=token and its token set?"
            ) from None
        started = True
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        msg = f"ray: {cpus} CPUs, {int(ray.cluster_resources().get('GPU', 0))} GPUs in the cluster"
        bar.write(msg, file=sys.stderr) if not bar.disable else log(msg)  # above the bar, not through it
        task = ray.remote(_task_chunk)
        queue = chunks(todo, cpus)
        pending: dict[Any, list[RunSpec]] = {}
        in_flight = max(4, 2 * cpus)  # enough to keep the cluster busy, few enough to keep driver memory flat
        holds: dict[str, Any] = {}  # the driver claims each run it submits (it writes them)

        def claimed(chunk: list[RunSpec]) -> list[RunSpec]:
            if out is None:
                return chunk
            mine = []
            for spec in chunk:
                path = _run_path(out, spec.run_id)
                hold = claim(path)
                if hold is None:
                    _collect([(spec, None, _ELSEWHERE)], done, failed, bar)
                elif _finished(path):
                    hold.release(remove=True)
                    frame, meta = read_run(path)
                    _collect([(spec, frame, _info(meta) | {"written": True, "status": "reused"})], done, failed, bar)
                else:
                    holds[spec.run_id] = hold
                    mine.append(spec)
            return mine

        def submit() -> None:
            while queue and len(pending) < in_flight:
                chunk = claimed(queue.pop(0))
                if not chunk:
                    continue
                # One CPU per task; a whole GPU for the transformer firm (it holds a model on it).
                gpus = 1 if any(spec.gpu for spec in chunk) else 0
                # Workers may sit on other machines: they return the rows, the driver writes them.
                ref = task.options(num_cpus=1, num_gpus=gpus).remote(chunk, "ray", None)
                pending[ref] = chunk

        submit()
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                chunk = pending.pop(ref)
                try:
                    results = ray.get(ref)
                except Exception as exc:  # noqa: BLE001
                    results = [(spec, None, _error_text(exc)) for spec in chunk]
                _collect(results, done, failed, bar)
                for spec in chunk:
                    holds.pop(spec.run_id).release(remove=spec.run_id not in failed)
            submit()
        return cpus
    finally:
        for hold in holds.values():
            hold.release()
        if started:
            ray.shutdown()


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a cluster address nobody listens on (ray.init would retry for minutes)."""
    target = address.split("://", 1)[-1]
    if address == "auto" or ":" not in target:
        return
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        raise ValueError(f"--address {address}: cannot reach a Ray cluster there ({exc}); start one with `ray start --head`") from None
