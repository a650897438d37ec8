"""What a finished batch leaves behind: tables a person loads in pandas, a manifest, PNG figures.

``rounds.parquet`` / ``rounds.csv``
    every round of every model run (the model's row columns, :data:`acsim.abm.model.ROW_COLUMNS`),
    prefixed by ``run_id``, ``point_index``, ``seed`` and the sweep's parameter columns.
``summary.parquet`` / ``summary.csv``
    one row per run: where α started and ended, the outcome (``unravelled``, ``partial``,
    ``everyone``), the principal's spend against N·B(α_crit) (Section 6, Figure 7), wall time.
    For ``kind = "experiment"`` batches: one row per training run (Section 5's metrics),
    and ``fits.csv`` with the fitted curves and the critical masses the runs support (:mod:`acsim.platform.fits`).
``manifest.json``
    the scenario as resolved (defaults filled in, sweep points), every run's id, seed,
    sweep point, wall time and host, package versions, the git revision when acsim runs
    from a checkout, the executor and the batch's wall time.
PNG figures (:mod:`acsim.runs.figures`)
    ``alpha.png`` (α over rounds), ``success.png`` (S over rounds with the paper's bound
    and the join threshold c/(1 − γ)), ``s_alpha.png`` (S(α) scatter with a fitted sigmoid
    and the critical mass); experiment batches get the paper's figure per sweep point.

Every file is written to a temporary name and renamed, so readers never see half a file.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from acsim.platform import experiments as X
from acsim.runs.figures import experiment_figures, figures, model_figures
from acsim.runs.scenarios import Experiment, experiment_spec
from acsim.runs.store import atomic_write, jsonable

__all__ = ["write_outputs", "rounds_table", "summary_table", "package_versions", "git_revision", "figures", "model_figures"]

_VERSIONED = ("acsim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "pydantic", "networkx", "torch", "transformers", "ray")


_atomic = atomic_write  # every output file: whole or absent, and two writers never share a temporary file


def rounds_table(result: Any, body: tuple[pd.DataFrame, np.ndarray] | None = None) -> pd.DataFrame:
    """Every round of every model run, in run order, with the run's id columns first.

    One concatenation and one id table repeated per row: inserting the ids into each
    run's frame first took 2 of the 4.4 s of a 1,000-run batch's outputs. ``body``:
    :func:`_rounds_body` of the model runs, when the caller has it already."""
    runs = [r for r in _ordered(result) if r.kind == "model"]
    if not runs:
        return pd.DataFrame()
    rows, lengths = body if body is not None else _rounds_body(result, runs)
    ids = _ids(runs)
    rows = rows.drop(columns=[c for c in ids.columns if c in rows.columns])
    return pd.concat([ids.iloc[np.repeat(np.arange(len(runs)), lengths)].reset_index(drop=True), rows], axis=1)


def _ids(runs: list[Any]) -> pd.DataFrame:
    return pd.DataFrame([{"run_id": r.run_id, "point_index": r.point_index, "seed": r.seed, **r.point} for r in runs])


def _rounds_body(result: Any, runs: list[Any]) -> tuple[pd.DataFrame, np.ndarray]:
    """The model runs' rows, one after the other, and each run's number of rows."""
    if hasattr(result.frames, "body"):  # a batch's RunFrames: a few chunk frames, not every run's
        return result.frames.body([r.run_id for r in runs])
    frames = [result.frames[r.run_id] for r in runs]
    return pd.concat(frames, ignore_index=True), np.array([len(f) for f in frames], dtype=np.int64)


def _ordered(result: Any) -> list[Any]:
    seen, out = set(), []
    for r in result.runs:
        if r.run_id not in seen:
            seen.add(r.run_id)
            out.append(r)
    return out


def _outcome(alpha_final: np.ndarray) -> np.ndarray:
    return np.where(alpha_final <= 0.0, "unravelled", np.where(alpha_final >= 1.0, "everyone", "partial"))


def summary_table(result: Any, body: tuple[pd.DataFrame, np.ndarray] | None = None) -> pd.DataFrame:
    """One row per run (see the module docstring); model runs' from their rows at once."""
    runs = _ordered(result)
    model = [r for r in runs if r.kind == "model"]
    parts = []
    if model:
        parts.append(_model_summary(result, model, body if body is not None else _rounds_body(result, model)))
    rows = []
    for r in runs:
        if r.kind == "experiment":
            row = result.frames[r.run_id].iloc[0].to_dict()
            row.pop("seed", None)
            rows.append({**_base(r), **row, "wall_seconds": result.infos.get(r.run_id, {}).get("wall_seconds")})
    if rows:
        parts.append(pd.DataFrame(rows))
    if not parts:
        return pd.DataFrame()
    if len(parts) == 1:
        return parts[0]
    order = {r.run_id: i for i, r in enumerate(runs)}
    both = pd.concat(parts, ignore_index=True)
    return both.iloc[np.argsort(both["run_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)


def _base(r: Any) -> dict[str, Any]:
    return {"run_id": r.run_id, "point_index": r.point_index, "seed": r.seed, **r.point}


def _model_summary(result: Any, runs: list[Any], body: tuple[pd.DataFrame, np.ndarray]) -> pd.DataFrame:
    """Each model run's start, end and principal, read off its first and last rows (and sums over its rows)."""
    f, lengths = body
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    last_at = starts + lengths - 1

    def first(col: str) -> np.ndarray:
        return f[col].to_numpy()[starts]

    def last(col: str) -> np.ndarray:
        return f[col].to_numpy()[last_at]

    a_final = last("alpha_end").astype(float)
    spend, b_total = last("spend_total").astype(float), last("B_crit_total").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(b_total) & (b_total > 0), spend / b_total, math.nan)
    d: dict[str, Any] = {
        **_ids(runs).to_dict("list"),
        "n_workers": [int(r.params["n_workers"]) for r in runs],
        "firm": last("firm").astype(str).tolist(),
        "rounds": lengths,
        "alpha_initial": first("alpha").astype(float), "alpha_final": a_final,
        "members_initial": first("members").astype(np.int64), "members_final": last("members_end").astype(np.int64),
        "alpha_max": np.maximum.reduceat(f["alpha_end"].to_numpy(dtype=float), starts),
        "S_initial": first("S").astype(float), "S_final": last("S").astype(float),
        "threshold_median": last("threshold_median").astype(float),
        "outcome": _outcome(a_final).tolist(),
        "principal_status": last("principal_status").astype(str).tolist(),
        # "reached" was true at some round and the collective later fell below that size
        "principal_unravelled": np.logical_or.reduceat((f["principal_status"] == "unravelled").to_numpy(), starts),
        "recruits_total": np.add.reduceat(f["recruits"].to_numpy(dtype=np.int64), starts),
        "spend_total": spend,
        "alpha_crit": last("alpha_crit").astype(float),
        "members_crit": last("members_crit").astype(float) if "members_crit" in f else np.full(len(runs), math.nan),
        "B_crit": last("B_crit").astype(float), "B_crit_total": b_total, "spend_over_B_total": ratio,
        "wall_seconds": [result.infos.get(r.run_id, {}).get("wall_seconds") for r in runs],
    }
    j = 2
    while f"alpha_c{j}" in f:  # each further collective's start, end and last success (acsim.abm.collectives)
        d.update({f"alpha_initial_c{j}": first(f"alpha_c{j}").astype(float), f"alpha_final_c{j}": last(f"alpha_end_c{j}").astype(float),
                  f"members_final_c{j}": last(f"members_end_c{j}").astype(float), f"S_final_c{j}": last(f"S_c{j}").astype(float)})
        j += 1
    return pd.DataFrame(d)


# --------------------------------------------------------------------------- provenance


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_revision() -> dict[str, Any] | None:
    """The commit of the acsim source checkout (None when installed from a wheel or git is absent)."""
    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, timeout=20)
        return {"revision": rev.stdout.strip(), "dirty": bool(status.stdout.strip()) if status.returncode == 0 else None}
    except (OSError, subprocess.SubprocessError):
        return None


def _json(obj: Any) -> str:
    return json.dumps(jsonable(obj), indent=2, ensure_ascii=False)


# --------------------------------------------------------------------------- writing


def write_outputs(
    loaded: Any, result: Any, out_dir: str | Path, started: str | None = None, address: str | None = None,
    figures: bool = True, command: str | None = None, extra: dict | None = None,
) -> dict[str, Path]:
    """Tables, manifest and figures of a finished batch (see the module docstring).

    Everything is read from the runs (``result``) and the scenario: an experiment's figure
    overlay from what its runs recorded of their corpus, never the corpus itself. ``extra``:
    more manifest fields (``acsim experiment`` records its options there).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    kind = loaded.scenario.kind
    model_runs = [r for r in _ordered(result) if r.kind == "model"]
    body = _rounds_body(result, model_runs) if model_runs else None  # one concatenation for both tables
    summary = summary_table(result, body)
    if kind == "model":
        rounds = rounds_table(result, body)
        paths["rounds"] = _atomic(out / "rounds.parquet", lambda p: rounds.to_parquet(p, index=False))
        paths["rounds_csv"] = _atomic(out / "rounds.csv", lambda p: rounds.to_csv(p, index=False))
    paths["summary"] = _atomic(out / "summary.parquet", lambda p: summary.to_parquet(p, index=False))
    paths["summary_csv"] = _atomic(out / "summary.csv", lambda p: summary.to_csv(p, index=False))
    fits = None
    if kind == "experiment":
        fits = _experiment_fits(loaded, result, summary)
        paths["fits"] = _atomic(out / "fits.csv", lambda p: fits.to_csv(p, index=False))
    if figures:
        if kind == "model":
            paths.update(model_figures(rounds, out))
        else:
            specs = [_experiment_spec(loaded, result, i)[0] for i in range(len(loaded.resolved))]
            paths.update(experiment_figures(specs, summary, fits, out))
    manifest = {**_manifest(loaded, result, started, address, command, paths), **(extra or {})}
    paths["manifest"] = _atomic(out / "manifest.json", lambda p: p.write_text(_json(manifest), encoding="utf-8"))
    return paths


def _manifest(loaded: Any, result: Any, started: str | None, address: str | None, command: str | None,
              paths: dict[str, Path]) -> dict[str, Any]:
    src = loaded.path
    sha = hashlib.sha256(src.read_bytes()).hexdigest() if src is not None and src.is_file() else None
    runs = []
    for r in _ordered(result):
        info = result.infos.get(r.run_id, {})
        runs.append({"run_id": r.run_id, "point_index": r.point_index, "seed": r.seed, "point": r.point,
                     "file": f"runs/{r.run_id}.parquet", **info})  # a chunked run's info names its chunk file
    walls = [x["wall_seconds"] for x in runs if isinstance(x.get("wall_seconds"), (int, float))]
    return {
        "acsim_manifest": 1,
        "scenario_name": loaded.name,
        "scenario_file": str(src) if src else None,
        "scenario_sha256": sha,
        "scenario": loaded.to_dict(),
        "command": command,
        "seeds": list(loaded.scenario.seeds),
        "n_points": len(loaded.points),
        "n_runs": len(runs),
        "runs_computed": result.computed,
        "runs_reused": result.skipped,
        "executor": result.executor,
        "jobs": result.jobs,
        "ray_address": address,
        "started_at": started,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": result.wall_seconds,
        "run_wall_seconds_sum": float(sum(walls)),
        "versions": package_versions(),
        "git": git_revision(),
        "outputs": {k: p.name for k, p in paths.items()},
        "runs": runs,
    }


# --------------------------------------------------------------------------- experiments


def _experiment_spec(loaded: Any, result: Any, i: int):
    """Sweep point i's ExperimentSpec and settings; the loader's arguments as its runs recorded them."""
    sc = loaded.resolved[i]
    data = next((r.params["data"] for r in result.runs if r.point_index == i), None)
    return experiment_spec(sc, data), (sc.experiment or Experiment())


def _experiment_fits(loaded: Any, result: Any, summary: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for i in range(len(loaded.resolved)):
        spec, e = _experiment_spec(loaded, result, i)
        g = summary[summary["point_index"] == i]
        f = X.summarize(spec, g, e.target_success, e.fit)
        f.insert(0, "point_index", i)
        parts.append(f)
    return pd.concat(parts, ignore_index=True)
