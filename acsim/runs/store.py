"""The run store: what a run is (:class:`RunSpec`, its :func:`run_id`), atomic writes and per-run claims.

Nothing here imports the rest of acsim, so every layer can use it.

* :class:`RunSpec` and :func:`run_id`: a run is its kind, parameters and seed; its id is
  the hash of those (and :data:`RUN_SCHEMA`), so a finished run is found again by value.

* :func:`atomic_write` writes through a temporary file with a name no other writer can
  pick (pid + random token), flushed and fsync'd, then ``os.replace``: a reader sees the
  old file or the new one, never half of either, and two writers of one path never
  touch each other's temporary file (the last ``replace`` wins, whole).
* :func:`claim` takes an exclusive lock on one run: one byte of ``runs/.claims`` (Linux)
  or a ``flock`` on ``.<name>.lock`` beside the run's file. Two ``acsim run`` processes on one output folder each skip the runs the other holds
  and wait for them at the end, so together they compute every run once. The kernel
  drops the lock when its holder dies, however it dies (SIGKILL included), so a killed
  batch never leaves a run claimed.
* :func:`temp_owner_alive` tells a stale temporary file (its writer is gone) from one
  being written now.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import secrets
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = ["atomic_write", "claim", "Claim", "temp_owner_alive", "jsonable", "dumps", "TEMP_GLOB"]

TEMP_GLOB = ".*.tmp"


def _temp_name(path: Path) -> Path:
    # .NAME.<pid>.<token>.tmp: unique per writer, hidden, and matched by no "*.parquet" or
    # "*.npz" glob of finished files (writers that care pass the format explicitly).
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` to a fresh temporary file beside ``path``, fsync it, then move it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(path)
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)  # the bytes are on disk before the name points at them
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def temp_owner_alive(tmp: Path) -> bool:
    """Whether the process named in a temporary file ``.NAME.<pid>.<token>.tmp`` still runs."""
    try:
        pid = int(tmp.name.split(".")[-3])
    except (ValueError, IndexError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Claim:
    """An exclusive hold on one run; :meth:`release` ends it."""

    def __init__(self, fd: int, lock_path: Path | None, key: tuple[str, int] | None = None) -> None:
        self.fd, self.lock_path, self.key = fd, lock_path, key

    def release(self, remove: bool = False) -> None:
        """Drop the claim; ``remove`` deletes a per-run lock file (only once the run is saved,
        so a process that opened it before the deletion finds the run finished)."""
        if self.fd < 0:
            return
        if self.key is not None:  # a byte of the shared claims file: unlock it, keep the descriptor
            _lock(self.fd, fcntl.F_UNLCK, self.key[1], wait=False)
            with _HELD_CHANGED:
                _HELD.discard(self.key)
                _HELD_CHANGED.notify_all()
            self.fd = -1
            return
        if remove and self.lock_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.lock_path)
        os.close(self.fd)  # closing the last descriptor releases the flock
        self.fd = -1


CLAIMS = ".claims"  # the one lock file of a runs folder (byte-range locks, one byte per run)
# Linux's open-file-description locks: byte-range, dropped by the kernel when the holder dies
# (SIGKILL included). This process opens each claims file once (a claim per descriptor ran
# into the open-files limit: a Ray driver holds most of a batch); claims within the process
# exclude each other through _HELD, since locks through one descriptor never conflict.
_OFD = (getattr(fcntl, "F_OFD_SETLK", None), getattr(fcntl, "F_OFD_SETLKW", None))
_FDS: dict[str, tuple[int, int]] = {}  # claims file → (pid that opened it, descriptor)
_HELD: set[tuple[str, int]] = set()  # (claims file, byte) held by this process
_HELD_CHANGED = threading.Condition()


def _byte(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:15], 16)  # one of 2^60 bytes: no two runs share one


def _lock(fd: int, kind: int, byte: int, wait: bool) -> None:
    # struct flock {short l_type, l_whence; off_t l_start, l_len; pid_t l_pid (0 for OFD locks)}
    fcntl.fcntl(fd, _OFD[1] if wait else _OFD[0], struct.pack("hhqqi4x", kind, os.SEEK_SET, byte, 1, 0))


def _claims_fd(lock_path: Path) -> int:
    key = str(lock_path)
    pid, fd = _FDS.get(key, (-1, -1))
    if pid == os.getpid():
        try:  # still the file there (a deleted and recreated folder has a new one)?
            if os.fstat(fd).st_ino == os.stat(lock_path).st_ino:
                return fd
        except FileNotFoundError:
            pass
    # First use here (a forked child must not share its parent's locks), or a new file. An
    # old descriptor stays open: claims still held through it end with their release.
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    _FDS[key] = (os.getpid(), fd)
    return fd


def claim(path: str | os.PathLike, wait: bool = False) -> Claim | None:
    """Claim the run whose file is ``path``: a :class:`Claim`, or None if another process
    (or another claim in this one) holds it.

    ``wait=True`` blocks until the holder is done (or dead) and then claims it. On Linux a
    claim locks one byte of ``runs/.claims`` (an open-file-description lock: 5,000 claims in 0.37 s,
    where creating a lock file per run took 0.17-0.5 ms, a third of a 10,000-run batch); elsewhere
    it ``flock`` s ``.<name>.lock`` beside the run's file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _OFD[0] is not None:
        key = (str(path.parent / CLAIMS), _byte(path.stem))
        with _HELD_CHANGED:
            while key in _HELD:
                if not wait:
                    return None
                _HELD_CHANGED.wait()
            _HELD.add(key)
        try:
            fd = _claims_fd(path.parent / CLAIMS)
            _lock(fd, fcntl.F_WRLCK, key[1], wait)
        except BaseException as exc:
            with _HELD_CHANGED:
                _HELD.discard(key)
                _HELD_CHANGED.notify_all()
            if isinstance(exc, OSError) and exc.errno in (errno.EAGAIN, errno.EACCES):
                return None
            raise
        return Claim(fd, None, key)
    lock_path = path.with_name(f".{path.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return Claim(fd, lock_path)


def jsonable(obj: Any) -> Any:
    """Plain JSON: non-finite floats as strings ("inf"), tuples as lists, numpy scalars as numbers."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def dumps(obj: Any) -> str:
    return json.dumps(jsonable(obj), sort_keys=True)


# --------------------------------------------------------------------------- run specs and ids

# Part of every run id: bump when a run's meaning changes, so an old batch's runs are
# recomputed rather than mixed in. 2: experiment seeds draw their own corpus; the
# principal probes trained firms. 3: a network recruit is priced on what it hears from
# the members after stage 3 (before: the hearing weights computed before stage 3).
# 4: belief_mean is S exactly where everyone reads it, members_crit always a float, and
# one γ's recruitment plan takes the exact Monge path (the same totals to the last bits).
# 5: the bow firm re-solves from its previous round's optimum (warm start: the same minimiser
# to its tolerance, and no learner seed drawn from the model's stream), its probes chained.
RUN_SCHEMA = "acsim-run-5"


def run_id(kind: str, params: dict[str, Any], seed: int, params_json: str | None = None) -> str:
    """A stable id: the hash of everything that determines a run's numbers.

    The text hashed is ``json.dumps({"kind", "params", "schema", "seed"}, sort_keys=True)``,
    put together from ``params_json`` (``json.dumps(params, sort_keys=True, ...)``) when the
    caller has it: a sweep point's seeds share their parameters, and encoding them again for
    each of 10,000 runs was most of planning a batch.
    """
    if params_json is None:
        params_json = params_text(params)
    blob = (f'{{"kind": {json.dumps(kind)}, "params": {params_json}, "schema": {json.dumps(RUN_SCHEMA)}, '
            f'"seed": {int(seed)}}}')
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def params_text(params: dict[str, Any]) -> str:
    """A run's parameters as :func:`run_id` hashes them."""
    return json.dumps(params, sort_keys=True, default=str, allow_nan=True)


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
    def make(cls, kind: str, params: dict, seed: int, point: dict | None = None, point_index: int = 0,
             params_json: str | None = None) -> "RunSpec":
        if kind not in ("model", "experiment"):
            raise ValueError(f"run kind must be 'model' or 'experiment', got {kind!r}")
        return cls(run_id(kind, params, seed, params_json), kind, params, int(seed), dict(point or {}), int(point_index))

    @property
    def gpu(self) -> bool:
        """Whether the run wants a GPU (the transformer firm)."""
        firm = self.params.get("firm") if self.kind == "model" else self.params.get("learner")
        return firm == "transformer"
