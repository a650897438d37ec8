"""Headless batches: many runs (scenario seeds × sweep points), resumable, on one machine or Ray.

A batch is a list of :class:`RunSpec` s, each with a stable ``run_id`` (a hash of the
resolved parameters and the seed, :func:`acsim.runs.scenarios.run_id`). :func:`execute`

* skips every run whose file ``runs/<run_id>.parquet`` already exists (finished earlier);
* runs the rest with an *executor*: ``serial`` (in this process), ``local`` (a process
  pool with the ``spawn`` start method, the one Mesa and torch are safe with; entry points
  must be guarded by ``if __name__ == "__main__":``), or ``ray`` (one Ray task per run,
  on a local Ray or an existing cluster; a GPU reserved per run for the transformer firm);
* writes each finished run at once, atomically (a temporary file, flushed, then
  ``os.replace``), so a batch killed at any moment, even by SIGKILL, loses no finished
  run, and rerunning the same command finishes the rest.

The numbers of a run depend only on its parameters and seed, never on which executor
or worker ran it (every random draw comes from the run's own seeded generator).
:func:`run_scenario` ties a scenario to a batch and writes the aggregated outputs
(:mod:`acsim.runs.outputs`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pandas as pd

from acsim.platform.learners.base import TEXT_LEARNERS
from acsim.runs.store import TEMP_GLOB, atomic_write, claim, dumps, temp_owner_alive

__all__ = [
    "EXECUTORS",
    "RunSpec",
    "BatchResult",
    "BatchError",
    "execute",
    "execute_run",
    "run_scenario",
    "read_run",
    "runs_dir",
]

EXECUTORS = ("local", "serial", "ray")
_META_KEY = b"acsim.run"


class BatchError(RuntimeError):
    """Some runs failed; the finished ones are saved and a rerun retries the others."""


@dataclass(frozen=True)
class RunSpec:
    """One run: ``kind`` ("model" or "experiment"), its parameters, its seed, and where it sits.

    ``params`` are plain data (JSON-able): for ``model`` runs the fields of
    :class:`acsim.abm.model.ModelParams` (without the seed); for ``experiment`` runs one
    training run of :func:`acsim.platform.experiments.run_one`. ``point`` holds the sweep values
    (table columns); ``point_index`` the sweep point's position.
    """

    run_id: str
    kind: str
    params: dict
    seed: int
    point: dict = field(default_factory=dict)
    point_index: int = 0

    @classmethod
    def make(cls, kind: str, params: dict, seed: int, point: dict | None = None, point_index: int = 0) -> "RunSpec":
        from acsim.runs.scenarios import run_id

        if kind not in ("model", "experiment"):
            raise ValueError(f"run kind must be 'model' or 'experiment', got {kind!r}")
        return cls(run_id(kind, params, seed), kind, params, int(seed), dict(point or {}), int(point_index))

    @property
    def gpu(self) -> bool:
        """Whether the run wants a GPU (the transformer firm)."""
        firm = self.params.get("firm") if self.kind == "model" else self.params.get("learner")
        return firm == "transformer"


# --------------------------------------------------------------------------- one run


def _model_params(params: dict, seed: int):
    from acsim.abm.model import ModelParams

    p = dict(params)
    fp = dict(p.get("firm_params") or {})
    curve = fp.get("curve")
    if isinstance(curve, list) and len(curve) == 2:
        fp["curve"] = (curve[0], curve[1])  # (α, S) samples travel as lists (JSON); the model wants a pair
    p["firm_params"] = fp
    return ModelParams(**p, seed=int(seed))


def execute_run(spec: RunSpec) -> pd.DataFrame:
    """The rows of one run (per round for the model, one row for an experiment run)."""
    if spec.kind == "model":
        from acsim.abm.model import CollectiveActionModel

        return CollectiveActionModel(_model_params(spec.params, spec.seed)).run().reset_index(drop=True)
    from acsim.platform import experiments as X

    p = spec.params
    data = experiment_data_params(p["data"], spec.seed)
    train, test = _experiment_data(json.dumps(data, sort_keys=True))
    curve = X.Curve(**p["curve"])
    result = X.run_one(train, test, curve, p["size"], p["unit"], spec.seed, p["learner"], p.get("learner_params") or None,
                       data_seed=data["seed"])
    return pd.DataFrame([result.row])


def experiment_data_params(data: dict, run_seed: int) -> dict:
    """The loader's arguments for run seed s: corpus (or split) seed ``data.seed + s``, as
    :class:`acsim.platform.experiments.Corpus` does, so each seed sees its own corpus."""
    return {**data, "seed": int(data.get("seed", 0)) + int(run_seed)}


_DATA_CACHE: dict[str, Any] = {}


def _experiment_data(key: str):
    # One corpus per worker process, reused by all its runs (generating it takes seconds).
    if key not in _DATA_CACHE:
        from acsim.platform.data import load_dataset

        d = json.loads(key)
        source, path = d.pop("source"), d.pop("path", None)
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = load_dataset(source, path, **d)
    return _DATA_CACHE[key]


def _task(spec: RunSpec, executor: str) -> tuple[pd.DataFrame, dict]:
    """What a worker runs: the run and how it went (wall time, where)."""
    t0 = time.perf_counter()
    frame = execute_run(spec)
    return frame, {
        "wall_seconds": time.perf_counter() - t0,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "executor": executor,
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
    return {k: meta.get(k) for k in ("wall_seconds", "host", "pid", "executor", "finished_at")}


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


def _init_worker(threads: int | None, parent: int | None = None) -> None:
    if parent is not None:
        _die_with_parent(parent)
    # Pool workers share the cores: keep each BLAS/torch to its share (set before imports).
    if threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(var, str(threads))
    import acsim.abm.model  # noqa: F401  (imported once per worker, so a run's wall time is the run's)


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


# --------------------------------------------------------------------------- run files


def runs_dir(out_dir: str | Path) -> Path:
    return Path(out_dir) / "runs"


def _run_path(out_dir: Path, run_id: str) -> Path:
    return runs_dir(out_dir) / f"{run_id}.parquet"


def write_run(out_dir: Path, spec: RunSpec, frame: pd.DataFrame, info: dict) -> Path:
    """Write one finished run atomically: readers see the whole file or none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = _run_path(out_dir, spec.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"run_id": spec.run_id, "kind": spec.kind, "seed": spec.seed, "point": spec.point,
            "point_index": spec.point_index, "params": spec.params, **info}
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: dumps(meta).encode()})
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def read_run(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """A run file's rows and its metadata (spec, wall time, host)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[_META_KEY])
    return table.to_pandas(), meta


def _finished(path: Path) -> bool:
    import pyarrow.parquet as pq

    if not path.is_file():
        return False
    try:
        md = pq.read_metadata(path)  # the footer: cheap, and proves the file is whole
        return _META_KEY in (md.metadata or {})
    except Exception:  # noqa: BLE001 - any unreadable file is simply not finished
        return False


# --------------------------------------------------------------------------- executing


@dataclass
class BatchResult:
    """What a batch produced: every run's rows and info, by run id."""

    runs: list[RunSpec]
    frames: dict[str, pd.DataFrame]
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


def execute(
    runs: Sequence[RunSpec],
    out_dir: str | Path | None = None,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = _stderr,
    threads: int | None = None,
) -> BatchResult:
    """Run every run not already finished under ``out_dir``; return all their rows.

    ``out_dir=None`` keeps results in memory only (nothing to resume). ``jobs``: worker
    processes (``local``) or CPUs of a local Ray (``ray`` without ``address``); default
    one per core. ``address``: an existing Ray cluster (``"auto"``, ``"ray://host:10001"``).
    ``threads``: BLAS/torch threads per local worker (default cores // jobs). Runs that
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
    frames: dict[str, pd.DataFrame] = {}
    infos: dict[str, dict] = {}
    todo: list[RunSpec] = []
    if out is not None:
        rdir = runs_dir(out)
        rdir.mkdir(parents=True, exist_ok=True)
        for stale in rdir.glob(TEMP_GLOB):  # half-written by a killed batch: never a finished run
            if not temp_owner_alive(stale):  # a batch running beside this one may be writing it now
                stale.unlink(missing_ok=True)
    for rid, spec in unique.items():
        path = _run_path(out, rid) if out is not None else None
        if path is not None and _finished(path):
            frame, meta = read_run(path)
            frames[rid] = frame
            infos[rid] = _info(meta) | {"status": "reused"}
        else:
            todo.append(spec)
    skipped = len(unique) - len(todo)
    if skipped:
        log(f"skipped {skipped} finished run{'s' if skipped != 1 else ''} (already in {runs_dir(out)})")  # type: ignore[arg-type]
    n_jobs = 1 if executor == "serial" else (jobs or default_jobs(executor, todo))
    failed: dict[str, str] = {}

    def done(spec: RunSpec, frame: pd.DataFrame, info: dict) -> None:
        if out is not None and not info.pop("written", False):
            write_run(out, spec, frame, info)
        frames[spec.run_id] = frame
        infos[spec.run_id] = {"status": "computed", **info}

    bar = _progress(len(unique), skipped, progress and bool(todo))
    try:
        if todo:
            if executor == "serial":
                _run_serial(todo, out, done, failed, bar)
            elif executor == "local":
                _run_local(todo, n_jobs, threads, out, done, failed, bar)
            else:
                n_jobs = _run_ray(todo, n_jobs if jobs else None, address, out, done, failed, bar, log)
    finally:
        bar.close()
    _await_elsewhere(unique, out, executor, done, failed, log)
    reused = sum(1 for spec in todo if infos.get(spec.run_id, {}).get("status") == "reused")
    skipped += reused
    computed = len(todo) - len(failed) - reused
    return BatchResult(list(runs), frames, infos, skipped, computed, failed, time.perf_counter() - t0, executor, n_jobs)


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


# --------------------------------------------------------------------------- scenarios


def run_scenario(
    loaded: Any,
    out_dir: str | Path,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = _stderr,
    figures: bool = True,
    command: str | None = None,
    preflight: bool = True,
) -> tuple[BatchResult, dict[str, Path]]:
    """Run a loaded scenario (:func:`acsim.runs.scenarios.load_scenario`) and write its outputs.

    Outputs under ``out_dir``: ``runs/<id>.parquet`` (one per run, written as it
    finishes), then ``rounds.parquet/.csv``, ``summary.parquet/.csv``, ``manifest.json``
    and PNG figures (:func:`acsim.runs.outputs.write_outputs`). ``preflight``: first open every
    data file the runs read (:func:`acsim.runs.preflight.check_inputs`; a ScenarioError before
    any worker starts). Raises :class:`BatchError` (after saving every finished run) if
    any run failed.
    """
    from acsim.runs import outputs

    if preflight:
        from acsim.runs.preflight import check_inputs

        check_inputs(loaded)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    runs = loaded.runs()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = execute(runs, out, executor, jobs, address, progress, log)
    if result.failed:
        first_id, first = next(iter(result.failed.items()))
        raise BatchError(
            f"{len(result.failed)} of {len(runs)} runs failed (finished runs are saved in {runs_dir(out)}; "
            f"rerun the same command to retry): run {first_id}: {first}"
        )
    paths = outputs.write_outputs(loaded, result, out, started=started, address=address, figures=figures, command=command)
    return result, paths
