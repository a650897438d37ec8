"""The paper's resume experiments (Section 5, Figures 2–6), reproduced headless.

Every figure is a set of *runs*: pick a collective (seeded), let it apply its strategy
to its members' resumes, let the firm train on the platform's data, and measure the
success of Section 5 on the test resumes with the trigger planted. One row per run;
per curve a best-fit sigmoid "with two shape parameters and one offset term" (as in the
paper's figures), the critical mass it implies for a target success, and a bootstrap
interval for that critical mass; the theory bound of Theorem 1 or 3 overlaid with ξ and
p estimated from the data.

=========  ==================================================================  =========
name       what varies                                                          paper
=========  ==================================================================  =========
fig2       Strategy 1 (feature-label), collective size as a share of all data   Figure 2
fig3       Strategy 2 (feature-only) for classes 0, 1, 2, size as a share of    Figure 3
           the target class
fig4       Strategy 2 with a fraction of training labels randomized             Figure 4
fig5       both strategies, number of training epochs                           Figure 5
fig6       both strategies, trigger spacing (every k-th word)                   Figure 6
=========  ==================================================================  =========
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from acsim import theory
from acsim.data.base import TextDataset
from acsim.learners.base import make_learner
from acsim.metrics import evaluate
from acsim.strategies import Strategy, apply_strategy, estimate_xi, randomize_labels
from acsim.text import TRIGGER

SIZE_UNITS = ("dataset", "target-class")


@dataclass(frozen=True)
class Curve:
    """One line of a figure: a strategy, a target class and the value of the varied knob."""

    strategy: str
    target: int
    epochs: int
    spacing: int
    label_noise: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.strategy} y*={self.target} epochs={self.epochs} spacing={self.spacing} noise={self.label_noise:g}"


@dataclass(frozen=True)
class ExperimentSpec:
    """A figure: its curves, the collective sizes, the seeds and what the x-axis counts."""

    name: str
    title: str
    curves: tuple[Curve, ...]
    sizes: tuple[float, ...]
    size_unit: str = "dataset"
    seeds: tuple[int, ...] = (0, 1, 2)
    metrics: tuple[str, ...] = ("success_inclusion", "success_top1")

    def __post_init__(self) -> None:
        if self.size_unit not in SIZE_UNITS:
            raise ValueError(f"size_unit must be one of {SIZE_UNITS}, got {self.size_unit!r}")
        if any(not 0 < s <= 1 for s in self.sizes):
            raise ValueError("collective sizes must be in (0, 1]")


def _log_sizes(lo: float, hi: float, n: int) -> tuple[float, ...]:
    return tuple(float(v) for v in np.geomspace(lo, hi, n))


def paper_experiments(epochs: int = 5, spacing: int = 20, n_sizes: int = 20, seeds: tuple[int, ...] = (0, 1, 2)) -> dict[str, ExperimentSpec]:
    """The five experiments of Section 5 with the paper's defaults (5 epochs, every 20th word)."""
    fl = Strategy.FEATURE_LABEL.value
    fo = Strategy.FEATURE_ONLY.value
    c = lambda s, t, **kw: Curve(s, t, kw.pop("epochs", epochs), kw.pop("spacing", spacing), **kw)  # noqa: E731
    return {
        "fig2": ExperimentSpec(
            "fig2", "Strategy 1 (text and label) vs collective size",
            (c(fl, 0),), _log_sizes(1e-4, 2e-2, n_sizes), "dataset", seeds,
        ),
        "fig3": ExperimentSpec(
            "fig3", "Strategy 2 (text only, within target class) for classes 0, 1, 2",
            (c(fo, 0), c(fo, 1), c(fo, 2)), _log_sizes(2e-3, 0.5, n_sizes), "target-class", seeds,
        ),
        "fig4": ExperimentSpec(
            "fig4", "Strategy 2 with a fraction of random training labels",
            tuple(c(fo, 1, label_noise=f) for f in (0.0, 0.05, 0.1, 0.2)), _log_sizes(2e-3, 0.5, n_sizes),
            "target-class", seeds,
        ),
        "fig5": ExperimentSpec(
            "fig5", "Success vs training epochs",
            tuple(c(s, t, epochs=e) for s, t in ((fl, 0), (fo, 1)) for e in (1, 2, 5)),
            _log_sizes(1e-4, 0.2, n_sizes), "dataset", seeds,
        ),
        "fig6": ExperimentSpec(
            "fig6", "Success vs trigger spacing",
            tuple(c(s, t, spacing=k) for s, t in ((fl, 0), (fo, 1)) for k in (5, 10, 20, 40)),
            _log_sizes(1e-4, 0.2, n_sizes), "dataset", seeds,
        ),
    }


def quick(spec: ExperimentSpec, n_sizes: int = 6, seeds: tuple[int, ...] = (0,)) -> ExperimentSpec:
    """A smaller version of an experiment for a first look (fewer sizes and seeds)."""
    idx = np.unique(np.linspace(0, len(spec.sizes) - 1, n_sizes).round().astype(int))
    return replace(spec, sizes=tuple(spec.sizes[i] for i in idx), seeds=seeds)


@dataclass
class RunResult:
    row: dict
    seconds: float


def select_members(train: TextDataset, size: float, unit: str, target: int, seed: int) -> np.ndarray:
    """The collective: a random subset of the training resumes (seeded).

    ``unit="dataset"``: round(size · n) resumes drawn from all of them (Strategy 1 acts on
    any resume). ``unit="target-class"``: round(size · n_y*) resumes drawn from those
    labelled y* (Strategy 2 plants only there), the paper's "% of the target class".
    """
    rng = np.random.default_rng([seed, int(round(size * 1e9)), target])
    pool = np.arange(len(train)) if unit == "dataset" else np.flatnonzero(train.labels[:, target])
    k = max(1, int(round(size * pool.size)))
    return np.sort(rng.choice(pool, size=min(k, pool.size), replace=False))


def run_one(
    train: TextDataset,
    test: TextDataset,
    curve: Curve,
    size: float,
    unit: str,
    seed: int,
    learner: str = "bow",
    learner_params: dict | None = None,
) -> RunResult:
    """One training run: collective → strategy → (label noise) → firm → Section 5 metrics."""
    t0 = time.perf_counter()
    members = select_members(train, size, unit, curve.target, seed)
    data = apply_strategy(train, members, curve.strategy, curve.target, trigger=TRIGGER, spacing=curve.spacing, seed=seed)
    if curve.label_noise > 0:
        # Figure 4's noise is the platform's: the collective keeps its own labels intact.
        others = np.ones(len(train), dtype=bool)
        others[members] = False
        data = randomize_labels(data, curve.label_noise, seed=seed, among=others)
    params = {"seed": seed, "epochs": curve.epochs, **(learner_params or {})}
    firm = make_learner(learner, **params)
    t_fit = time.perf_counter()
    firm.fit(data)
    train_seconds = time.perf_counter() - t_fit
    metrics = evaluate(firm, test, curve.target, trigger=TRIGGER, spacing=curve.spacing)
    n_class = int(train.labels[:, curve.target].sum())
    row = {
        **asdict(curve),
        "curve": curve.key,
        "size": size,
        "size_unit": unit,
        "n_members": int(members.size),
        "alpha": members.size / len(train),
        "class_fraction": members.size / max(1, n_class) if unit == "target-class" else float("nan"),
        "seed": seed,
        "learner": learner,
        "train_seconds": train_seconds,
        **metrics,
    }
    return RunResult(row, time.perf_counter() - t0)


def iter_runs(spec: ExperimentSpec) -> Iterator[tuple[Curve, float, int]]:
    for curve in spec.curves:
        for size in spec.sizes:
            for seed in spec.seeds:
                yield curve, size, seed


def run_experiment(
    spec: ExperimentSpec,
    train: TextDataset,
    test: TextDataset,
    learner: str = "bow",
    learner_params: dict | None = None,
    progress: Callable[[int, int, dict], None] | None = None,
) -> pd.DataFrame:
    """All runs of an experiment, one row each (see :func:`run_one`)."""
    runs = list(iter_runs(spec))
    rows = []
    for i, (curve, size, seed) in enumerate(runs):
        result = run_one(train, test, curve, size, spec.size_unit, seed, learner, learner_params)
        rows.append(result.row)
        if progress:
            progress(i + 1, len(runs), result.row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- sigmoid fits


def sigmoid(x: np.ndarray, offset: float, slope: float, mid: float) -> np.ndarray:
    """offset + (1 − offset)·σ(slope·(x − mid)) on x = log10(size): two shape parameters, one offset."""
    return offset + (1.0 - offset) / (1.0 + np.exp(-slope * (np.asarray(x) - mid)))


@dataclass
class SigmoidFit:
    offset: float
    slope: float
    mid: float
    critical_mass: float
    ci_low: float
    ci_high: float
    target_success: float
    n_runs: int
    params_ok: bool = True
    note: str = ""

    def __call__(self, size: np.ndarray) -> np.ndarray:
        return sigmoid(np.log10(size), self.offset, self.slope, self.mid)


def _fit_params(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float] | None:
    from scipy.optimize import curve_fit

    lo, hi = float(x.min()), float(x.max())
    try:
        p, _ = curve_fit(
            sigmoid, x, y,
            p0=(max(0.0, float(y.min())), 3.0, 0.5 * (lo + hi)),
            bounds=([0.0, 0.05, lo - 3.0], [0.999, 60.0, hi + 3.0]),
            maxfev=20000,
        )
    except (RuntimeError, ValueError):
        return None
    return float(p[0]), float(p[1]), float(p[2])


def _crossing(params: tuple[float, float, float], target: float) -> float:
    """Size at which the fitted sigmoid reaches ``target`` (0 if it starts above, inf if never)."""
    b, k, m = params
    if target <= b:
        return 0.0
    return float(10 ** (m - math.log((1.0 - b) / (target - b) - 1.0) / k))


def fit_sigmoid(sizes: np.ndarray, success: np.ndarray, target_success: float = 0.9, n_boot: int = 200, seed: int = 0) -> SigmoidFit:
    """Least-squares sigmoid in log10(size) and the critical mass for ``target_success``.

    The interval is the 5–95% range over ``n_boot`` bootstrap resamples of the runs.
    """
    x = np.log10(np.asarray(sizes, dtype=float))
    y = np.asarray(success, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 4 or np.unique(x).size < 3:
        return SigmoidFit(*(float("nan"),) * 6, target_success, int(x.size), False, "too few sizes to fit")
    params = _fit_params(x, y)
    if params is None:
        return SigmoidFit(*(float("nan"),) * 6, target_success, int(x.size), False, "fit did not converge")
    crit = _crossing(params, target_success)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, x.size, x.size)
        if np.unique(x[i]).size < 3:
            continue
        p = _fit_params(x[i], y[i])
        if p is not None:
            boots.append(_crossing(p, target_success))
    lo, hi = (np.quantile(boots, [0.05, 0.95]) if boots else (float("nan"), float("nan")))
    note = "" if crit <= 1 else f"fitted curve stays below {target_success:g} within the sizes tried"
    return SigmoidFit(params[0], params[1], params[2], crit, float(lo), float(hi), target_success, int(x.size), True, note)


def size_column(spec: ExperimentSpec) -> str:
    return "class_fraction" if spec.size_unit == "target-class" else "alpha"


def summarize(spec: ExperimentSpec, runs: pd.DataFrame, target_success: float = 0.9) -> pd.DataFrame:
    """One row per (curve, metric): sigmoid parameters, critical mass and its interval."""
    col = size_column(spec)
    rows = []
    for key, g in runs.groupby("curve", sort=False):
        for metric in spec.metrics:
            fit = fit_sigmoid(g[col].to_numpy(), g[metric].to_numpy(), target_success)
            rows.append({"curve": key, "metric": metric, "size_axis": col, **asdict(fit)})
    return pd.DataFrame(rows)


def theory_overlay(spec: ExperimentSpec, train: TextDataset, curve: Curve, sizes: np.ndarray) -> tuple[np.ndarray, str]:
    """Theorem 1 (feature-label, Δ ≤ 1) or Theorem 3 (feature-only) at the experiment's sizes.

    ξ is the 95% upper confidence bound on how often the trigger occurs in the base
    training data; for Theorem 3, p is the base rate of y* (a generous stand-in for the
    positivity constant, whose true value on resumes is near 0, making the bound vacuous).
    Sizes are converted to α, the share of all training data.
    """
    xi = estimate_xi(train.texts, TRIGGER, method="upper")
    freq = float(train.labels[:, curve.target].mean())
    alpha = np.asarray(sizes) * (freq if spec.size_unit == "target-class" else 1.0)
    alpha = np.clip(alpha, 1e-12, 1.0)
    if curve.strategy == Strategy.FEATURE_LABEL.value:
        return np.clip(theory.feature_label_success_bound(alpha, xi, 1.0), 0, 1), f"Thm 1 bound (ξ̂={xi:.2g}, Δ=1)"
    return np.clip(theory.feature_only_success_bound(alpha, xi, freq), 0, 1), f"Thm 3 bound (ξ̂={xi:.2g}, p=freq(y*)={freq:.2f})"


def write_outputs(spec: ExperimentSpec, runs: pd.DataFrame, fits: pd.DataFrame, train: TextDataset, out_dir: Path, meta: dict) -> dict[str, Path]:
    """runs.parquet/.csv, fits.csv, a manifest and the figure, written atomically."""
    from acsim.plots import experiment_figure

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "runs": out_dir / "runs.parquet",
        "runs_csv": out_dir / "runs.csv",
        "fits": out_dir / "fits.csv",
        "manifest": out_dir / "manifest.json",
        "figure": out_dir / f"{spec.name}.png",
    }
    _atomic(paths["runs"], lambda p: runs.to_parquet(p, index=False))
    _atomic(paths["runs_csv"], lambda p: runs.to_csv(p, index=False))
    _atomic(paths["fits"], lambda p: fits.to_csv(p, index=False))
    manifest = {"experiment": spec.name, "title": spec.title, "spec": _jsonable(asdict(spec)), **meta}
    _atomic(paths["manifest"], lambda p: p.write_text(json.dumps(manifest, indent=2, default=str)))
    _atomic(paths["figure"], lambda p: experiment_figure(spec, runs, fits, train, p))
    return paths


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    tmp.replace(path)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


EXPERIMENT_NAMES = tuple(paper_experiments())

__all__ = [
    "Curve",
    "ExperimentSpec",
    "paper_experiments",
    "quick",
    "run_one",
    "run_experiment",
    "fit_sigmoid",
    "summarize",
    "write_outputs",
    "EXPERIMENT_NAMES",
]
