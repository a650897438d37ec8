"""Where a batch's runs are computed: in this process, a process pool, or Ray.

* ``serial``: one chunk of runs after the other in this process;
* ``local``: a process pool, one worker per core, forked where that is safe and spawned
  elsewhere (:func:`acsim.runs.tasks.start_method`; for spawn, entry points must be guarded
  by ``if __name__ == "__main__":``), each worker claiming (:func:`acsim.runs.store.claim`) and writing its chunks;
* ``ray``: one Ray task per chunk (a training run alone), on a local Ray or an existing
  cluster, a GPU reserved per run for the transformer firm; the driver claims and writes.

Each executor reports every finished chunk through ``done(chunk)`` (:class:`acsim.runs.chunks.Chunk`),
every failed run in ``failed[run_id]``, and moves the progress ``bar``;
:func:`acsim.runs.batch.execute` decides what to run.
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

from acsim.runs.chunks import Chunk, RunIndex, compute_chunk, write_chunk
from acsim.runs.runner import RunSpec, _run_path, runs_dir
from acsim.runs.store import claim
from acsim.runs.tasks import chunks, estimated_work, start_method

__all__: list[str] = []  # used by acsim.runs.batch only


def _run_info(executor: str, started: datetime, seconds: float, **more: Any) -> dict:
    """How a run went: when, its wall time, where (a run computed in a group: its share)."""
    return {
        "wall_seconds": seconds,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "executor": executor,
        "started_at": started.isoformat(timespec="milliseconds"),  # with wall_seconds: when it ran (schedulers)
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **more,
    }


# A run another acsim process holds (two batches on one folder): waited for at the end.
_ELSEWHERE = "claimed by another acsim process on this folder"


Outcome = tuple[list[Chunk], list[tuple[RunSpec, str]]]  # a task's finished chunks, and its failed runs with why


def _task_chunk(specs: list[RunSpec], executor: str, out_dir: str | None, together: bool = True) -> Outcome:
    """Several runs in one task: the finished ones as chunks, the others with the reason.

    With ``out_dir`` (local workers, which share the disk) every run is claimed
    (:func:`acsim.runs.store.claim`) before it starts, and the runs it computes are written
    together, one chunk file (:func:`acsim.runs.chunks.write_chunk`), before their claims
    end: two batches on one folder never compute a run twice, a killed batch loses at most
    the chunks in progress, and the parent process only collects.
    """
    done: list[Chunk] = []
    failed: list[tuple[RunSpec, str]] = []
    holds: dict[str, Any] = {}
    mine = specs
    try:
        if out_dir is not None:  # inside the try: claims taken before a failure are released
            for spec in specs:
                hold = claim(_run_path(Path(out_dir), spec.run_id))
                if hold is None:
                    failed.append((spec, _ELSEWHERE))
                else:
                    holds[spec.run_id] = hold
            done += _reused(RunIndex.of(Path(out_dir)), [s for s in specs if s.run_id in holds], holds)
            mine = [s for s in specs if s.run_id in holds]
        started = datetime.now(timezone.utc)
        chunk, errors = compute_chunk(mine, together)
        failed += [(spec, _error_text(exc)) for spec, exc in errors]
        more = {"start_method": _START_METHOD} if executor == "local" else {}
        chunk.infos = [_run_info(executor, started, i["wall_seconds"], chunk_runs=len(mine), **more) for i in chunk.infos]
        lost = _save(Path(out_dir), chunk) if out_dir is not None and len(chunk) else None
        if lost:
            failed += [(spec, lost) for spec in chunk.specs]
        elif len(chunk):
            done.append(chunk)
    finally:
        saved = {spec.run_id for c in done for spec in c.specs}
        for rid, hold in holds.items():
            hold.release(remove=rid in saved)
    return done, failed


def _save(out: Path, chunk: Chunk) -> str | None:
    """Write a chunk as one file and mark its runs ``written``; if that fails (a full disk),
    why, and its runs are not saved."""
    try:
        path = write_chunk(out, chunk)
    except OSError as exc:
        return f"could not save the run: {_error_text(exc)}"
    for info in chunk.infos:
        info["written"], info["file"] = True, f"runs/{path.name}"
    return None


def _reused(index: RunIndex, claimed: list[RunSpec], holds: dict[str, Any]) -> list[Chunk]:
    """Runs another batch finished after this one looked (found once claimed): read, not recomputed.
    Their claims are released and dropped from ``holds``."""
    again = [s.run_id for s in claimed if s.run_id in index]
    found = index.read(again) if again else []
    for rid in again:
        holds.pop(rid).release(remove=True)
    for chunk in found:
        chunk.infos = [_info(i) | {"written": True, "status": "reused", "file": i["file"]} for i in chunk.infos]
    return found


def _info(meta: dict) -> dict:
    return {k: meta.get(k) for k in ("wall_seconds", "host", "pid", "executor", "started_at", "finished_at", "chunk_runs")}


_START_METHOD = ""  # how this pool worker was started (a run's info says: fork or spawn)


def _init_worker(threads: int | None, parent: int | None = None, method: str = "spawn") -> None:
    global _START_METHOD
    _START_METHOD = method
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


def _progress(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: a pool forks only a one-thread process (tasks.start_method)
    return tqdm(total=total, initial=initial, desc="runs", unit="run", file=sys.stderr, disable=not enabled,
                dynamic_ncols=True, mininterval=0.2)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _run_serial(todo: Iterable[RunSpec], out: Path | None, done, failed: dict, bar, together: bool = True) -> None:
    for chunk in chunks(list(todo), 1):
        _collect(_task_chunk(chunk, "serial", None if out is None else str(out), together), done, failed, bar)


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
        finished, fails = _task_chunk([spec], executor, str(out))
        for chunk in finished:
            done(chunk)
        for s, why in fails:
            if why == _ELSEWHERE:  # a third batch took it meanwhile
                waiting.append(s)
            else:
                failed[s.run_id] = why


def _run_local(todo: Sequence[RunSpec], jobs: int, threads: int | None, out: Path | None, done, failed: dict, bar,
               together: bool = True) -> None:
    threads = threads or max(1, (os.cpu_count() or 1) // jobs)
    method = start_method(todo)  # fork where it is safe (one thread, no training), else spawn
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method), initializer=_init_worker,
                               initargs=(threads, os.getpid(), method))
    target = str(out) if out is not None else None
    try:
        pending = {pool.submit(_task_chunk, chunk, "local", target, together): chunk for chunk in chunks(todo, jobs)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                chunk = pending.pop(fut)
                try:
                    outcome = fut.result()
                except BrokenProcessPool as exc:
                    outcome = ([], [(spec, f"worker process died: {exc}") for spec in chunk])
                except Exception as exc:  # noqa: BLE001
                    outcome = ([], [(spec, _error_text(exc)) for spec in chunk])
                _collect(outcome, done, failed, bar)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _collect(outcome: Outcome, done, failed: dict, bar) -> None:
    finished, fails = outcome
    for chunk in finished:
        done(chunk)
    for spec, why in fails:
        failed[spec.run_id] = why
    bar.update(sum(len(c) for c in finished) + len(fails))


def ray_address(address: str | None) -> str | None:
    """The cluster a Ray batch joins: ``address``, else Ray's own ``RAY_ADDRESS`` (set for a
    ``ray job submit`` entrypoint), else None: a private local Ray started for the batch.

    Without this, ``ray.init()`` joins any Ray it finds running on the machine (another
    user's, another batch's), and with ``--jobs`` fails ("num_cpus ... must not be provided").
    """
    return address or os.environ.get("RAY_ADDRESS") or None


def _run_ray(todo: Sequence[RunSpec], jobs: int | None, address: str | None, out: Path | None, done, failed: dict, bar, log,
             together: bool = True) -> int:
    try:
        import ray
    except ImportError:
        raise ValueError("--executor ray needs Ray: pip install 'acsim[dist]' (or pip install 'ray[default]')") from None
    started = False
    address = ray_address(address)
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
        if address:
            _check_reachable(address)
            kwargs["address"] = address
        else:  # "local": a Ray of its own, even where another one runs on this machine
            kwargs["address"] = "local"
            if jobs:
                kwargs["num_cpus"] = jobs
        t_init = time.perf_counter()
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
        init_seconds = time.perf_counter() - t_init
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        say = (lambda m: bar.write(m, file=sys.stderr)) if not bar.disable else log  # above the bar, not through it
        say(f"ray: {cpus} CPUs, {int(ray.cluster_resources().get('GPU', 0))} GPUs in the cluster")
        if started and not address:
            say(_private_ray_note(todo, init_seconds))
        task = ray.remote(_task_chunk)
        queue = chunks(todo, cpus)
        pending: dict[Any, list[RunSpec]] = {}
        in_flight = max(4, 2 * cpus)  # enough to keep the cluster busy, few enough to keep driver memory flat
        holds: dict[str, Any] = {}  # the driver claims each run it submits (it writes them)

        index = RunIndex.of(out) if out is not None else RunIndex(None)

        def claimed(chunk: list[RunSpec]) -> list[RunSpec]:
            if out is None:
                return chunk
            mine = []
            for spec in chunk:
                hold = claim(_run_path(out, spec.run_id))
                if hold is None:
                    _collect(([], [(spec, _ELSEWHERE)]), done, failed, bar)
                else:
                    holds[spec.run_id] = hold
                    mine.append(spec)
            _collect((_reused(index.refresh(), mine, holds), []), done, failed, bar)
            return [s for s in mine if s.run_id in holds]

        def submit() -> None:
            while queue and len(pending) < in_flight:
                chunk = claimed(queue.pop(0))
                if not chunk:
                    continue
                # One CPU per task; a whole GPU for the transformer firm (it holds a model on it).
                gpus = 1 if any(spec.gpu for spec in chunk) else 0
                # Workers may sit on other machines: they return the rows, the driver writes them.
                ref = task.options(num_cpus=1, num_gpus=gpus).remote(chunk, "ray", None, together)
                pending[ref] = chunk

        submit()
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                chunk = pending.pop(ref)
                try:
                    finished, fails = ray.get(ref)
                except Exception as exc:  # noqa: BLE001
                    finished, fails = [], [(spec, _error_text(exc)) for spec in chunk]
                if out is not None:  # workers may sit on other machines: the driver writes what they return
                    for c in list(finished):
                        lost = _save(out, c)
                        if lost:
                            finished.remove(c)
                            fails += [(spec, lost) for spec in c.specs]
                _collect((finished, fails), done, failed, bar)
                for spec in chunk:
                    holds.pop(spec.run_id).release(remove=spec.run_id not in failed)
            submit()
        return cpus
    finally:
        for hold in holds.values():
            hold.release()
        if started:
            ray.shutdown()


def _private_ray_note(todo: Sequence[RunSpec], init_seconds: float) -> str:
    """What a Ray of the command's own costs, and when the pool is the better choice.

    Its start, its stop and its workers' imports are paid by every command, about twice the
    start in all (``benchmarks/ray_overhead.py``: 2.7 + 1.4 + 1.0 s on 2 cores), where a forked
    pool starts in 0.2 s. With the pool ~1.5x faster than one process, Ray comes within 1.2x of
    it once 2 · start ≤ 0.2 · work / 1.5, i.e. from ~15 starts' worth of work (measured,
    ``benchmarks/ray_batches.py``: 1.3x at 10,000 quickstart runs, ~35 s of work). Training
    runs are not estimated: they take seconds to minutes each (24 bow trainings: 1.06x).
    """
    note = f"ray: a private local Ray, started in {init_seconds:.1f} s for this command and stopped with it (--address joins a running one)"
    work = estimated_work(todo)
    if work is not None and work < 15 * init_seconds:
        note += (f"; ~{work:.0f} s of cheap runs: --executor local (a process pool) is faster here"
                 f" (Ray's start, stop and workers' imports are paid per command; it comes within 1.2x of the pool"
                 f" from ~{15 * init_seconds:.0f} s)")
    return note


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
