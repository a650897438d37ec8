"""Several finished runs as one unit: one frame in memory (:class:`Chunk`), one file on disk, found again by value.

A batch computes cheap runs in chunks (:mod:`acsim.runs.tasks`), and a chunk travels whole:
a worker returns one frame (not 1,000 small ones to pickle), the batch saves it as one
file ``runs/chunk-<id>.parquet`` (writing 1,000 run files took 5.4 s of an 18 s batch),
and the tables concatenate a few chunk frames instead of every run's. A training run is a
chunk of one and keeps its own file ``runs/<run_id>.parquet``.

* :func:`compute_chunk`: several runs at once (theory-firm runs stepped as one ensemble).
* :func:`write_chunk`: the chunk file holds its runs' rows one after another and, in the
  Parquet metadata, each run's spec, info and row count; written atomically, so a file
  that is there holds finished runs only.
* :class:`RunIndex`: where every finished run of a folder is (run files and chunk files).
* :class:`RunFrames`: the batch's runs in memory, a mapping run id → rows over its chunks.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np
import pandas as pd

from acsim.abm import ensemble
from acsim.abm.params import ModelParams
from acsim.runs.runner import RunSpec, _finished, _meta, execute_run, read_run, run_params, runs_dir, write_run
from acsim.runs.store import atomic_write, dumps

__all__ = ["Chunk", "RunFrames", "RunIndex", "compute_chunk", "read_runs", "write_chunk", "CHUNK_PREFIX"]

_CHUNK_KEY = b"acsim.chunk"
CHUNK_PREFIX = "chunk-"


@dataclass
class Chunk:
    """Finished runs: their rows one after another in ``frame``; per run its spec, rows and info."""

    frame: pd.DataFrame
    specs: list[RunSpec]
    rows: list[int]
    infos: list[dict] = field(default_factory=list)

    @classmethod
    def of(cls, parts: list["Chunk"]) -> "Chunk":
        """One chunk of several (their frames concatenated in order)."""
        parts = [p for p in parts if p.specs]
        if len(parts) == 1:
            return parts[0]
        frame = pd.concat([p.frame for p in parts], ignore_index=True) if parts else pd.DataFrame()
        return cls(frame, [s for p in parts for s in p.specs], [r for p in parts for r in p.rows],
                   [i for p in parts for i in p.infos])

    def __len__(self) -> int:
        return len(self.specs)



def compute_chunk(specs: list[RunSpec], together: bool = True) -> tuple[Chunk, list[tuple[RunSpec, BaseException]]]:
    """Compute several runs: the finished ones as one chunk (infos: ``wall_seconds``), and
    each failed run with its exception.

    Model runs that an ensemble can step together (:func:`acsim.abm.ensemble.why_not`) are
    computed together, grouped by population size and rounds, with the same rows as one by
    one; each run's wall time is its share of its group's. The others (all of them with
    ``together=False``) run one by one. If a group fails, its runs are retried one by one, so
    one bad run does not cost the others.
    """
    parts: list[Chunk] = []
    failed: list[tuple[RunSpec, BaseException]] = []
    groups: dict[tuple[int, int], list[tuple[RunSpec, ModelParams]]] = {}
    alone: list[RunSpec] = []
    for spec in specs:
        try:
            params = run_params(spec.params, spec.seed) if together and spec.kind == "model" and len(specs) > 1 else None
        except Exception:  # noqa: BLE001 - reported by execute_run below, one run at a time
            params = None
        if params is not None and ensemble.why_not(params) is None:
            groups.setdefault((params.n_workers, params.rounds), []).append((spec, params))
        else:
            alone.append(spec)
    for group in groups.values():
        if len(group) < 2:
            alone += [spec for spec, _ in group]
            continue
        t0 = time.perf_counter()
        try:
            frame = ensemble.run_many([p for _, p in group])
        except Exception:  # noqa: BLE001 - find the run that fails, one by one
            alone += [spec for spec, _ in group]
            continue
        share = (time.perf_counter() - t0) / len(group)
        parts.append(Chunk(frame, [s for s, _ in group], [p.rounds for _, p in group], [{"wall_seconds": share} for _ in group]))
    singles = []
    for spec in alone:
        t0 = time.perf_counter()
        try:
            frame = execute_run(spec)
        except Exception as exc:  # noqa: BLE001 - one bad run must not lose the others
            failed.append((spec, exc))
            continue
        singles.append(Chunk(frame, [spec], [len(frame)], [{"wall_seconds": time.perf_counter() - t0}]))
    if singles:
        parts.append(Chunk.of(singles))
    return Chunk.of(parts) if parts else Chunk(pd.DataFrame(), [], [], []), failed


def write_chunk(out_dir: Path, chunk: Chunk) -> Path:
    """Save a chunk atomically: one run as ``<run_id>.parquet``, several as one chunk file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if len(chunk) == 1:
        return write_run(out_dir, chunk.specs[0], chunk.frame, chunk.infos[0])
    ids = "".join(sorted(spec.run_id for spec in chunk.specs))
    path = runs_dir(out_dir) / f"{CHUNK_PREFIX}{hashlib.sha256(ids.encode()).hexdigest()[:16]}.parquet"
    # A sweep point's seeds share their parameters: each distinct set is stored once ("params" of
    # a run: its index in the list; JSON for 10,000 runs' parameters took 0.7 s).
    shared: dict[str, int] = {}
    metas = []
    for spec, rows, info in zip(chunk.specs, chunk.rows, chunk.infos):
        key = dumps(spec.params)
        metas.append({**_meta(spec, info), "params": shared.setdefault(key, len(shared)), "rows": rows})
    blob = '{"params": [' + ", ".join(shared) + '], "runs": ' + dumps(metas) + "}"
    table = pa.Table.from_pandas(chunk.frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _CHUNK_KEY: blob.encode()})
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def _metas(metadata: dict) -> list[dict]:
    """A chunk file's runs: spec, info and row count each (parameters put back in place)."""
    d = json.loads(metadata[_CHUNK_KEY])
    return [{**m, "params": d["params"][m["params"]]} for m in d["runs"]]


def _spec(meta: dict) -> RunSpec:
    return RunSpec(meta["run_id"], meta["kind"], meta["params"], int(meta["seed"]), meta.get("point") or {},
                   int(meta.get("point_index", 0)))


class RunIndex:
    """Where each finished run of an output folder is: its own file, or a chunk file and its rows.

    :meth:`refresh` reads only files it has not seen (a chunk file's footer lists its runs)
    and forgets files that are gone, so a batch can look again, cheaply, whether another
    process finished a run meanwhile; :meth:`of` keeps one index per folder and process.
    """

    _open: dict[str, "RunIndex"] = {}

    def __init__(self, out_dir: Path | None) -> None:
        self.dir = None if out_dir is None else runs_dir(out_dir)
        self.where: dict[str, tuple[Path, int, int]] = {}  # run id → (file, first row, rows); rows −1: a run file
        # file name → (its size and mtime when read, its runs as (run id, first row, rows))
        self._files: dict[str, tuple[tuple[int, int], list[tuple[str, int, int]]]] = {}
        self.refresh()

    @classmethod
    def of(cls, out_dir: Path | None) -> "RunIndex":
        if out_dir is None:
            return cls(None)
        key = str(Path(out_dir).resolve())
        if key not in cls._open:
            cls._open[key] = cls(out_dir)
        return cls._open[key].refresh()

    def refresh(self) -> "RunIndex":
        if self.dir is None:
            return self
        import pyarrow.parquet as pq

        present = {}
        for p in (self.dir.glob("*.parquet") if self.dir.is_dir() else ()):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            present[p.name] = (p, (st.st_size, st.st_mtime_ns))
        gone = [n for n, (sig, _) in self._files.items() if n not in present or present[n][1] != sig]
        for name in gone:  # deleted or rewritten since: read again below
            del self._files[name]
        new = [n for n in present if n not in self._files]
        for name in new:
            path, sig = present[name]
            if not name.startswith(CHUNK_PREFIX):
                if _finished(path):
                    self._files[name] = (sig, [(path.stem, 0, -1)])
                continue
            try:
                metas = _metas(pq.read_metadata(path).metadata)
            except Exception:  # noqa: BLE001 - an unreadable chunk holds no finished run
                continue
            starts = np.r_[0, np.cumsum([int(m["rows"]) for m in metas])[:-1]] if metas else []
            self._files[name] = (sig, [(m["run_id"], int(st), int(m["rows"])) for m, st in zip(metas, starts)])
        if gone or new:  # a run may sit in several files: any one of those still there
            self.where = {}
            for name, (_, runs) in self._files.items():
                for rid, start, rows in runs:
                    self.where.setdefault(rid, (present[name][0], start, rows))
        return self

    def __contains__(self, run_id: str) -> bool:
        return run_id in self.where

    def file(self, run_id: str) -> str:
        return f"runs/{self.where[run_id][0].name}"

    def read(self, run_ids: list[str]) -> list[Chunk]:
        """These finished runs, one chunk per file they are in (each file read once); their
        infos are the saved ones with ``status`` "reused" and the ``file``."""
        import pyarrow.parquet as pq

        by_file: dict[Path, list[str]] = {}
        for rid in run_ids:
            by_file.setdefault(self.where[rid][0], []).append(rid)
        out = []
        for path, rids in by_file.items():
            rids = sorted(rids, key=lambda r: self.where[r][1])  # the file's order: its frame's rows match its specs
            if self.where[rids[0]][2] < 0:
                frame, meta = read_run(path)
                out.append(Chunk(frame, [_spec(meta)], [len(frame)], [{**meta, "status": "reused", "file": self.file(rids[0])}]))
                continue
            table = pq.read_table(path)
            metas = {m["run_id"]: m for m in _metas(table.schema.metadata)}
            frame = table.to_pandas()
            if len(rids) < len(metas):  # only some of the file's runs: their rows, in order
                take = np.concatenate([np.arange(self.where[r][1], self.where[r][1] + self.where[r][2]) for r in rids])
                frame = frame.take(take).reset_index(drop=True)
            infos = [{**metas[r], "status": "reused", "file": self.file(r)} for r in rids]
            out.append(Chunk(frame, [_spec(metas[r]) for r in rids], [self.where[r][2] for r in rids], infos))
        return out


def read_runs(out_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Every finished run under ``out_dir`` (run files and chunk files): run id → rows."""
    index = RunIndex(Path(out_dir))
    frames = RunFrames()
    for chunk in index.read(list(index.where)):
        frames.add(chunk)
    return {rid: frames[rid] for rid in frames}


class RunFrames(Mapping[str, pd.DataFrame]):
    """A batch's runs in memory: run id → its rows, kept as the chunks they came in.

    ``frames[run_id]`` cuts one run's rows out of its chunk (once); :meth:`body` puts many
    runs' rows one after another with a few concatenations and one ``take``, where one
    concatenation of 10,000 runs' frames took 2.7 s.
    """

    def __init__(self) -> None:
        self._chunks: list[Chunk] = []
        self._where: dict[str, tuple[int, int, int]] = {}  # run id → (chunk, first row, rows)
        self._cut: dict[str, pd.DataFrame] = {}

    def add(self, chunk: Chunk) -> None:
        k, start = len(self._chunks), 0
        self._chunks.append(chunk)
        for spec, rows in zip(chunk.specs, chunk.rows):
            self._where[spec.run_id] = (k, start, rows)
            self._cut.pop(spec.run_id, None)
            start += rows

    def __getitem__(self, run_id: str) -> pd.DataFrame:
        if run_id not in self._cut:
            k, start, rows = self._where[run_id]
            self._cut[run_id] = self._chunks[k].frame.iloc[start:start + rows].reset_index(drop=True)
        return self._cut[run_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._where

    def body(self, run_ids: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
        """The rows of ``run_ids`` one after another (in that order) and each run's row count."""
        where = [self._where[r] for r in run_ids]
        used = sorted({k for k, _, _ in where})
        offset = dict(zip(used, np.cumsum([0] + [len(self._chunks[k].frame) for k in used[:-1]])))
        frame = pd.concat([self._chunks[k].frame for k in used], ignore_index=True) if len(used) > 1 else self._chunks[used[0]].frame
        lengths = np.array([rows for _, _, rows in where], dtype=np.int64)
        starts = np.array([offset[k] + start for k, start, _ in where], dtype=np.int64)
        take = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths) + np.arange(lengths.sum())
        if np.array_equal(take, np.arange(len(frame))):
            return frame.reset_index(drop=True), lengths
        return frame.take(take).reset_index(drop=True), lengths
