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
PNG figures
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

from acsim.runs.store import atomic_write, jsonable

__all__ = ["write_outputs", "rounds_table", "summary_table", "package_versions", "git_revision", "figures"]

_VERSIONED = ("acsim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "pydantic", "networkx", "torch", "transformers", "ray")
ID_COLUMNS = ("run_id", "point_index", "seed")


_atomic = atomic_write  # every output file: whole or absent, and two writers never share a temporary file


def _with_ids(frame: pd.DataFrame, spec: Any, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    ids = {"run_id": spec.run_id, "point_index": spec.point_index, "seed": spec.seed, **spec.point}
    f = frame.drop(columns=[c for c in (*ids, *drop) if c in frame.columns])
    for j, (k, v) in enumerate(ids.items()):
        f.insert(j, k, v)
    return f


def rounds_table(result: Any) -> pd.DataFrame:
    """Every round of every model run, in run order, with the run's id columns first."""
    frames = [_with_ids(result.frames[r.run_id], r) for r in _ordered(result)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


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
            "B_crit": float(last["B_crit"]),
            "B_crit_total": float(last["B_crit_total"]),
            "spend_over_B_total": float(last["spend_total"]) / float(last["B_crit_total"])
            if math.isfinite(float(last["B_crit_total"])) and float(last["B_crit_total"]) > 0 else math.nan,
            "wall_seconds": info.get("wall_seconds"),
            # the second collective (NaN without one, and in runs written before it existed)
            "rival_alpha_initial": float(f["rival_alpha"].iloc[0]) if "rival_alpha" in f else math.nan,
            "rival_alpha_final": float(last["rival_alpha_end"]) if "rival_alpha_end" in f else math.nan,
            "rival_S_final": float(last["rival_S"]) if "rival_S" in f else math.nan,
        })
    return pd.DataFrame(rows)


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
    figures: bool = True, command: str | None = None,
) -> dict[str, Path]:
    """Tables, manifest and figures of a finished batch (see the module docstring)."""
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
        fits = _experiment_fits(loaded, summary)
        paths["fits"] = _atomic(out / "fits.csv", lambda p: fits.to_csv(p, index=False))
    if figures:
        if kind == "model":
            paths.update(model_figures(rounds, out))
        else:
            paths.update(_experiment_figures(loaded, summary, fits, out))
    manifest = _manifest(loaded, result, started, address, command, paths)
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


# --------------------------------------------------------------------------- figures


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _point_labels(rounds: pd.DataFrame) -> dict[int, str]:
    cols = [c for c in rounds.columns if c not in ID_COLUMNS and "." in c]
    labels = {}
    for idx, g in rounds.groupby("point_index", sort=True):
        labels[int(idx)] = ", ".join(f"{c.split('.')[-1]}={_short(g[c].iloc[0])}" for c in cols) or "all runs"
    return labels


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    s = str(v)
    return s if len(s) <= 24 else s[:21] + "..."


def _colors(n: int) -> list:
    plt = _plt()
    if n <= 10:
        return [f"C{i}" for i in range(n)]
    cmap = plt.get_cmap("viridis")
    return [cmap(i / max(n - 1, 1)) for i in range(n)]


def _point_key(fig, ax, points: list[int], legend: bool) -> None:
    # Up to 10 sweep points get a legend; more get a colour bar of point indices (summary.csv).
    if legend:
        ax.legend(fontsize=7, loc="best")
        return
    plt = _plt()
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    sm = ScalarMappable(norm=Normalize(min(points), max(points)), cmap=plt.get_cmap("viridis"))
    fig.colorbar(sm, ax=ax, label="sweep point (point_index in summary.csv)")


def model_figures(rounds: pd.DataFrame, out: Path) -> dict[str, Path]:
    """α over rounds, S over rounds (with the bound and the join threshold), S(α) with a fitted sigmoid."""
    plt = _plt()
    labels = _point_labels(rounds)
    points = sorted(labels)
    colors = dict(zip(points, _colors(len(points))))
    legend = len(points) <= 10
    paths = {}

    # α over rounds: round 0 is the initial collective, then α after each round's decisions.
    fig, ax = plt.subplots(figsize=(7.5, 4.5), constrained_layout=True)
    for (pi, rid), g in rounds.groupby(["point_index", "run_id"], sort=False):
        x = np.r_[0, g["round"].to_numpy()]
        y = np.r_[g["alpha"].iloc[0], g["alpha_end"].to_numpy()]
        ax.plot(x, y, color=colors[int(pi)], alpha=0.6, lw=1.2, drawstyle="steps-post")
    for pi in points:
        if legend:
            ax.plot([], [], color=colors[pi], label=labels[pi])
    ax.set_xlabel("round")
    ax.set_ylabel("collective size α (share of workers)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Collective size over rounds (one line per run)")
    _point_key(fig, ax, points, legend)
    paths["fig_alpha"] = _atomic(out / "alpha.png", lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)

    # S over rounds with the paper's bound at α_t and the join threshold c/(1 − γ).
    fig, ax = plt.subplots(figsize=(7.5, 4.5), constrained_layout=True)
    for (pi, rid), g in rounds.groupby(["point_index", "run_id"], sort=False):
        c = colors[int(pi)]
        ax.plot(g["round"], g["S"], color=c, alpha=0.7, lw=1.2, marker=".", ms=3)
        if g["bound"].notna().any():
            ax.plot(g["round"], np.clip(g["bound"], 0, 1), color=c, alpha=0.6, lw=1, ls="--")
    for pi in points:
        g = rounds[rounds["point_index"] == pi]
        ax.axhline(float(g["threshold_median"].median()), color=colors[pi], lw=0.9, ls=":")
        if legend:
            ax.plot([], [], color=colors[pi], label=labels[pi])
    ax.plot([], [], color="grey", ls="--", label="bound at α_t (Thm 1/3/5, clipped)")
    ax.plot([], [], color="grey", ls=":", label="join threshold c/(1 − γ) (median)")
    ax.set_xlabel("round")
    ax.set_ylabel("success S_t")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Success over rounds")
    if legend:
        ax.legend(fontsize=7, loc="best")
    else:
        ax.legend(handles=ax.get_legend_handles_labels()[0][-2:], fontsize=7)
        _point_key(fig, ax, points, False)
    paths["fig_success"] = _atomic(out / "success.png", lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)

    paths["fig_s_alpha"] = _atomic(out / "s_alpha.png", lambda p: _s_alpha_figure(rounds, labels, colors, p))
    return paths


def _s_alpha_figure(rounds: pd.DataFrame, labels: dict, colors: dict, path: Path) -> None:
    """S(α) of every round, one sigmoid fitted to all of them (the firm's curve is shared by the
    sweep points unless the sweep changes the firm), and for each join threshold S* = c/(1 − γ)
    in the batch the fit's critical mass (where the fitted curve reaches S*, only where the rounds
    support it: :mod:`acsim.platform.fits`) and the planning curve's α_crit as the model computed it
    (Section 6; for heterogeneous workers, the min-cost recruitment plan's)."""
    from acsim.platform.fits import fit_curve

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.8), constrained_layout=True)
    pos = rounds[rounds["alpha"] > 0]
    for pi, g in pos.groupby("point_index", sort=True):
        ax.scatter(g["alpha"], g["S"], s=12, alpha=0.5, color=colors[int(pi)], label=labels[int(pi)] if len(labels) <= 10 else None)
    zero = int((rounds["alpha"] <= 0).sum())
    # One line per distinct threshold (a sweep over c or γ moves it); at most four, the rest noted.
    # Heterogeneous populations' medians differ by run in the third decimal: two decimals group them.
    groups = rounds.assign(_t=rounds["threshold_median"].round(2)).groupby("_t", sort=True)
    thresholds = [(float(t), g) for t, g in groups]
    shown = [(t, g) for t, g in thresholds if 0 < t < 1][:4]
    note = []
    never = [t for t, _ in thresholds if t >= 1]
    if never:
        note.append(f"S* ≥ 1 (never rational) in {len(never)} setting{'s' if len(never) > 1 else ''}")
    if len(pos):
        lo, hi = float(pos["alpha"].min()), float(pos["alpha"].max())
        grid = np.geomspace(lo, hi, 200) if hi > lo else np.array([lo])
        x, y = pos["alpha"].to_numpy(), pos["S"].to_numpy()
        fit = fit_curve(x, y, target_success=0.5, n_boot=0)
        if fit.params_ok:
            ax.plot(grid, fit(grid), "k-", lw=1.5, label=f"fitted sigmoid in log α (plateau {fit.top:.2f})")
        else:
            note.append(f"no sigmoid fit ({fit.note})")
        for k, (t, g) in enumerate(shown):
            style = dict(color=f"C{(k + 3) % 10}", lw=1.1)
            ax.axhline(t, ls=":", **style, label=f"join threshold S* = c/(1 − γ) = {t:.3g}")
            if fit.params_ok:
                at = fit_curve(x, y, target_success=t, n_boot=0)
                if at.status == "reached":
                    ax.axvline(at.critical_mass, ls="-.", **style, label=f"  fit's critical mass (S = S*): α = {at.critical_mass:.3g}")
                else:
                    ax.plot([], [], ls="-.", **style, label=f"  fit's critical mass: {at.text}")
            ac = g["alpha_crit"].replace([np.inf, -np.inf], np.nan).dropna()
            if len(ac) and 0 < float(ac.median()) <= 1:
                ax.axvline(float(ac.median()), ls="--", **style,
                           label=f"  planning curve's α_crit (model, median over runs) = {float(ac.median()):.3g}")
        if len(thresholds) > len(shown) + len(never):
            note.append(f"{len(thresholds) - len(shown) - len(never)} more thresholds not drawn")
        ax.set_xscale("log" if hi > lo else "linear")
    if zero:
        note.append(f"{zero} rounds at α = 0 not shown")
    ax.set_xlabel("collective size α")
    ax.set_ylabel("success S")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("S(α) over all rounds" + (f" ({'; '.join(note)})" if note else ""), fontsize=9)
    ax.legend(fontsize=7, loc="best")
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def figures(out_dir: str | Path) -> dict[str, Path]:
    """Redraw a model batch's figures from its ``rounds.parquet``."""
    out = Path(out_dir)
    return model_figures(pd.read_parquet(out / "rounds.parquet"), out)


# --------------------------------------------------------------------------- experiments


def _experiment_spec(sc: Any, base_dir: Path | None):
    from acsim.runs.scenarios import Experiment, _data_params, experiment_spec

    return experiment_spec(sc, _data_params(sc, base_dir)), (sc.experiment or Experiment())


def _experiment_fits(loaded: Any, summary: pd.DataFrame) -> pd.DataFrame:
    from acsim.platform import experiments as X

    parts = []
    for i, sc in enumerate(loaded.resolved):
        spec, e = _experiment_spec(sc, loaded.base_dir)
        g = summary[summary["point_index"] == i]
        f = X.summarize(spec, g, e.target_success, e.fit)
        f.insert(0, "point_index", i)
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


def _experiment_figures(loaded: Any, summary: pd.DataFrame, fits: pd.DataFrame, out: Path) -> dict[str, Path]:
    from acsim.runs.batch import _experiment_data, experiment_data_params
    from acsim.plots import experiment_figure
    from acsim.runs.scenarios import expand

    paths = {}
    for i, sc in enumerate(loaded.resolved):
        spec, _ = _experiment_spec(sc, loaded.base_dir)
        runs = expand(sc, loaded.base_dir)
        train, _test = _experiment_data(json.dumps(experiment_data_params(runs[0][1]["data"], runs[0][2]), sort_keys=True))
        g = summary[summary["point_index"] == i]
        f = fits[fits["point_index"] == i]
        name = f"{spec.name}.png" if len(loaded.resolved) == 1 else f"{spec.name}_point{i:03d}.png"
        paths[f"fig_{i}"] = _atomic(out / name, lambda p: experiment_figure(spec, g, f, train, p))
    return paths
