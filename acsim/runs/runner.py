"""One run of a batch: what it is (:class:`RunSpec`), computing it (:func:`execute_run`), its file.

A run's file ``runs/<run_id>.parquet`` holds its rows (per round for the model, one row
for an experiment's training run) and, in the Parquet metadata, its spec and how it went
(wall time, host). It is written atomically (:func:`acsim.runs.store.atomic_write`):
readers see the whole file or none, so a file that is there is a finished run. Several
runs computed and saved together: :mod:`acsim.runs.chunks`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from acsim.abm.model import CollectiveActionModel, ModelParams
from acsim.platform import experiments as X
from acsim.platform.data import load_dataset
from acsim.runs.store import RunSpec, atomic_write, dumps

__all__ = ["RunSpec", "execute_run", "experiment_corpus", "experiment_data_params", "read_run", "runs_dir", "write_run"]

_META_KEY = b"acsim.run"


# --------------------------------------------------------------------------- one run


def run_params(params: dict, seed: int) -> ModelParams:
    """The validated model parameters of a run. A batch's seeds of one sweep point share their
    parameters: validated once (0.13 ms a run, a tenth of a 10,000-run grid), then copied per seed."""
    key = json.dumps(params, sort_keys=True, default=str)
    base = _VALIDATED.get(key)
    if base is None:
        base = _validate(params)
        if len(_VALIDATED) >= 1024:
            _VALIDATED.clear()
        _VALIDATED[key] = base
    if int(seed) < 0:
        return _validate({**params, "seed": int(seed)})  # the schema's own message
    return base.model_copy(update={"seed": int(seed)})  # any other int is a valid seed


_VALIDATED: dict[str, ModelParams] = {}


def _validate(params: dict) -> ModelParams:
    p = dict(params)
    fp = dict(p.get("firm_params") or {})
    curve = fp.get("curve")
    if isinstance(curve, list) and len(curve) == 2:
        fp["curve"] = (curve[0], curve[1])  # (α, S) samples travel as lists (JSON); the model wants a pair
    p["firm_params"] = fp
    p.setdefault("worker_agents", 0)  # nobody reads per-worker agents headless; same rows
    p.setdefault("seed", 0)
    return ModelParams(**p)


def execute_run(spec: RunSpec) -> pd.DataFrame:
    """The rows of one run (per round for the model, one row for an experiment run)."""
    if spec.kind == "model":
        params = run_params(spec.params, spec.seed)
        model = CollectiveActionModel(params)
        try:
            return model.run().reset_index(drop=True)
        finally:
            model.close()  # else Mesa keeps every model of the batch alive (mesa#3179)
    p = spec.params
    data = experiment_data_params(p["data"], spec.seed)
    train, test = experiment_corpus(p["data"], spec.seed)
    curve = X.Curve(**p["curve"])
    result = X.run_one(train, test, curve, p["size"], p["unit"], spec.seed, p["learner"], p.get("learner_params") or None,
                       data_seed=data["seed"])
    return pd.DataFrame([result.row])


def experiment_data_params(data: dict, run_seed: int) -> dict:
    """The loader's arguments for run seed s: corpus (or split) seed ``data.seed + s``, as
    :class:`acsim.platform.experiments.Corpus` does, so each seed sees its own corpus."""
    return {**data, "seed": int(data.get("seed", 0)) + int(run_seed)}


def experiment_corpus(data: dict, run_seed: int):
    """The (train, test) corpus an experiment run of seed ``run_seed`` trains and tests on.

    One corpus per process, reused by all its runs (generating it takes seconds); the
    ``acsim experiment`` command loads the first run's through here too, so that a run in
    the same process finds it loaded.
    """
    return _experiment_data(json.dumps(experiment_data_params(data, run_seed), sort_keys=True))


_DATA_CACHE: dict[str, Any] = {}


def _experiment_data(key: str):
    if key not in _DATA_CACHE:
        d = json.loads(key)
        source, path = d.pop("source"), d.pop("path", None)
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = load_dataset(source, path, **d)
    return _DATA_CACHE[key]


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
    meta = _meta(spec, info)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: dumps(meta).encode()})
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def read_run(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """A run file's rows and its metadata (spec, wall time, host)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[_META_KEY])
    return table.to_pandas(), meta


def _meta(spec: RunSpec, info: dict) -> dict:
    return {"run_id": spec.run_id, "kind": spec.kind, "seed": spec.seed, "point": spec.point,
            "point_index": spec.point_index, "params": spec.params, **info}


def _finished(path: Path) -> bool:
    import pyarrow.parquet as pq

    if not path.is_file():
        return False
    try:
        md = pq.read_metadata(path)  # the footer: cheap, and proves the file is whole
        return _META_KEY in (md.metadata or {})
    except Exception:  # noqa: BLE001 - any unreadable file is simply not finished
        return False
