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


def rounds_table(result: Any) -> pd.DataFrame:
    """Every round of every model run, in run order, with the run's id columns first.

    One concatenation and one id table repeated per row: inserting the ids into each
    run's frame first took 2 of the 4.4 s of a 1,000-run batch's outputs."""
    runs = _ordered(result)
    if not runs:
        return pd.DataFrame()
    ids = pd.DataFrame([{"run_id": r.run_id, "point_index": r.point_index, "seed": r.seed, **r.point} for r in runs])
    frames = [result.frames[r.run_id] for r in runs]
    body = pd.concat(frames, ignore_index=True)
    body = body.drop(columns=[c for c in ids.columns if c in body.columns])
    rows = ids.iloc[np.repeat(np.arange(len(runs)), [len(f) for f in frames])].reset_index(drop=True)
    return pd.concat([rows, body], axis=1)


def _ordered(result: Any) -> list[Any]:
    seen, out = set(), []
    for r in result.runs:
        if r.run_id not in seen:
            seen.add(r.run_id)
            out.append(r)
    return out


def _outcome(alpha_final: float) -> str:
    if alpha_final <= 0.0:
        return "unravelled"
    if alpha_final >= 1.0:
        return "everyone"
    return "partial"


def summary_table(result: Any) -> pd.DataFrame:
    """One row per run (see the module docstring)."""
    rows = []
    for r in _ordered(result):
        f = result.frames[r.run_id]
        info = result.infos.get(r.run_id, {})
        base = {"run_id": r.run_id, "point_index": r.point_index, "seed": r.seed, **r.point}
        if r.kind == "experiment":
            row = f.iloc[0].to_dict()
            row.pop("seed", None)
            rows.append({**base, **row, "wall_seconds": info.get("wall_seconds")})
            continue
        last = f.iloc[-1]
        a_final = float(last["alpha_end"])
        rows.append({
            **base,
            "n_workers": int(r.params["n_workers"]),
            "firm": str(last["firm"]),
            "rounds": int(len(f)),
            "alpha_initial": float(f["alpha"].iloc[0]),
            "alpha_final": a_final,
            "members_initial": int(f["members"].iloc[0]),
            "members_final": int(last["members_end"]),
            "alpha_max": float(f["alpha_end"].max()),
            "S_initial": float(f["S"].iloc[0]),
            "S_final": float(last["S"]),
            "threshold_median": float(last["threshold_median"]),
            "outcome": _outcome(a_final),
            "principal_status": str(last["principal_status"]),
            # "reached" was true at some round and the collective later fell below that size
            "principal_unravelled": bool((f["principal_status"] == "unravelled").any()),
            "recruits_total": int(f["recruits"].sum()),
            "spend_total": float(last["spend_total"]),
            "alpha_crit": float(last["alpha_crit"]),
            "members_crit": float(last["members_crit"]) if "members_crit" in f else math.nan,
            "B_crit": float(last["B_crit"]),
            "B_crit_total": float(last["B_crit_total"]),
            "spend_over_B_total": float(last["spend_total"]) / float(last["B_crit_total"])
            if math.isfinite(float(last["B_crit_total"])) and float(last["B_crit_total"]) > 0 else math.nan,
            "wall_seconds": info.get("wall_seconds"),
            **_others_summary(f, last),
        })
    return pd.DataFrame(rows)


def _others_summary(f: pd.DataFrame, last: pd.Series) -> dict[str, float]:
    """Each further collective's start, end and last success (acsim.abm.collectives' columns)."""
    out: dict[str, float] = {}
    j = 2
    while f"alpha_c{j}" in f:
        out.update({f"alpha_initial_c{j}": float(f[f"alpha_c{j}"].iloc[0]), f"alpha_final_c{j}": float(last[f"alpha_end_c{j}"]),
                    f"members_final_c{j}": float(last[f"members_end_c{j}"]), f"S_final_c{j}": float(last[f"S_c{j}"])})
        j += 1
    return out


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
    summary = summary_table(result)
    kind = loaded.scenario.kind
    if kind == "model":
        rounds = rounds_table(result)
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
                     "file": f"runs/{r.run_id}.parquet", **info})
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
