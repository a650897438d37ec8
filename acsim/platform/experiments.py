"""The paper's resume experiments (Section 5, Figures 2–6), reproduced headless.

Every figure is a set of *runs*: pick a collective (seeded), let it apply its strategy
to its members' resumes, let the firm train on the platform's data, and measure the
success of Section 5 on the test resumes with the trigger planted. One row per run;
every seed draws its own corpus (or split), collective and firm (:class:`Corpus`). Per
curve a fitted success curve and the critical mass the runs support, with an interval
over seeds (:mod:`acsim.platform.fits`); the theory bound of Theorem 1 or 3 overlaid with ξ and p
estimated from the data, drawn only with parameters that keep it a bound.

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

import math
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from acsim import theory
from acsim.platform import collectives as C
from acsim.platform.data import load_dataset
from acsim.platform.data.base import TextDataset
from acsim.platform.fits import fit_curves
from acsim.platform.learners.base import OPTIMAL_LEARNERS, make_learner
from acsim.platform.metrics import evaluate
from acsim.platform.strategies import (
    Strategy, crossfit_scores, estimate_positivity, estimate_xi, has_trigger, randomize_labels,
)
from acsim.platform.text import TRIGGER

# How a collective size is given: a share of all training resumes / of the target class
# (the paper's axes), or an absolute number of members drawn from that same pool, for
# small corpora where shares round to repeated counts and where 0 members is the baseline.
SIZE_UNITS = ("dataset", "target-class", "members", "class-members")
COUNT_UNITS = ("members", "class-members")


def class_pool(unit: str) -> bool:
    """Whether members are drawn from the target class (Strategy 2's pool) or from everyone."""
    return unit in ("target-class", "class-members")


def as_counts(unit: str) -> str:
    """The member-count unit drawing from the same pool as ``unit``."""
    return "class-members" if class_pool(unit) else "members"


@dataclass(frozen=True)
class Curve:
    """One line of a figure: a strategy, a target class and the value of the varied knob."""

    strategy: str
    target: int
    epochs: int
    spacing: int
    label_noise: float = 0.0
    # Figure 5 varies the firm's training budget. The bow firm's default solver runs to the
    # optimum and has no epochs, so these curves train it by AdamW epochs instead.
    epoch_firm: bool = False
    # Further collectives, and the share q of members who follow the plan (acsim.platform.collectives).
    others: tuple = ()
    coordination: float = 1.0
    noise: str = "nothing"

    def __post_init__(self) -> None:
        object.__setattr__(self, "others", C.checked(self))

    @property
    def key(self) -> str:
        return f"{self.strategy} y*={self.target} epochs={self.epochs} spacing={self.spacing} noise={self.label_noise:g}{C.key(self)}"


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
        if self.size_unit in COUNT_UNITS:
            if any(s < 0 or s != int(s) for s in self.sizes):
                raise ValueError(f"member counts must be whole numbers >= 0, got {self.sizes}")
        elif any(not 0 < s <= 1 for s in self.sizes):
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
            tuple(c(s, t, epochs=e, epoch_firm=True) for s, t in ((fl, 0), (fo, 1)) for e in (1, 2, 5)),
            _log_sizes(1e-4, 0.2, n_sizes), "dataset", seeds,
        ),
        "fig6": ExperimentSpec(
            "fig6", "Success vs trigger spacing",
            tuple(c(s, t, spacing=k) for s, t in ((fl, 0), (fo, 1)) for k in (5, 10, 20, 40)),
            _log_sizes(1e-4, 0.2, n_sizes), "dataset", seeds,
        ),
    }


QUICK_SIZES = 8
QUICK_SEEDS = (0, 1, 2)


def with_members(spec: ExperimentSpec, counts: Iterable[int]) -> ExperimentSpec:
    """``spec`` with collectives of exactly these numbers of members (0 included), same pools."""
    return replace(spec, sizes=tuple(sorted({int(c) for c in counts})), size_unit=as_counts(spec.size_unit))


def by_epochs(spec: ExperimentSpec) -> ExperimentSpec:
    """``spec`` with every curve's firm trained by its epochs (the bow firm: AdamW, not the optimum)."""
    return replace(spec, curves=tuple(replace(c, epoch_firm=True) for c in spec.curves))


def with_target(spec: ExperimentSpec, target: int) -> ExperimentSpec:
    """``spec`` with every curve aimed at class ``target`` (curves that then coincide merge)."""
    return replace(spec, curves=tuple(dict.fromkeys(replace(c, target=int(target)) for c in spec.curves)))


def quick(spec: ExperimentSpec, n_sizes: int = QUICK_SIZES, seeds: tuple[int, ...] = QUICK_SEEDS) -> ExperimentSpec:
    """A smaller version of an experiment for a first look: every few of the paper's sizes (three
    seeds by default, so that the critical mass still gets an interval; one run per size gives none)."""
    idx = np.unique(np.linspace(0, len(spec.sizes) - 1, n_sizes).round().astype(int))
    return replace(spec, sizes=tuple(spec.sizes[i] for i in idx), seeds=seeds)


def member_count(size: float, pool: int, unit: str = "dataset") -> int:
    """Members of a collective of ``size``: a share of ``pool`` resumes (at least one), or a count."""
    if unit in COUNT_UNITS:
        return min(pool, int(size))
    return min(pool, max(1, int(round(size * pool))))


def distinct_sizes(spec: ExperimentSpec, train: TextDataset) -> tuple[ExperimentSpec, list[float]]:
    """``spec`` without sizes whose member count repeats a smaller size's (and those dropped).

    On a small corpus several of the paper's sizes round to the same number of resumes
    (0.01% and 0.02% of 3,000 are both 1 member): they would be one collective counted
    twice. The smallest pool among the curves decides (a target class for Strategy 2).
    """
    if not class_pool(spec.size_unit):
        pool = len(train)
    else:
        pool = int(min(train.labels[:, c.target].sum() for c in spec.curves))
    kept, dropped, seen = [], [], set()
    for size in spec.sizes:
        k = member_count(size, pool, spec.size_unit)
        (dropped if k in seen else kept).append(size)
        seen.add(k)
    return replace(spec, sizes=tuple(kept)), dropped


@dataclass(frozen=True)
class Corpus:
    """Where an experiment's resumes come from: seed s of a run loads corpus ``seed + s``.

    For the synthetic source the loader's seed draws the resumes themselves; for florex and
    CSV data it draws the train/test split. Either way every run seed sees its own corpus,
    so the spread over seeds, and the interval of a critical mass, includes the corpus draw
    as well as the collective's members and the firm's initialisation.
    """

    source: str = "synthetic"
    path: str | None = None
    options: tuple[tuple[str, object], ...] = ()
    seed: int = 0

    @classmethod
    def of(cls, source: str = "synthetic", path: str | Path | None = None, seed: int = 0, **options) -> "Corpus":
        return cls(source, None if path is None else str(path), tuple(sorted(options.items())), int(seed))

    def data_seed(self, run_seed: int) -> int:
        return self.seed + int(run_seed)

    def load(self, run_seed: int) -> tuple[TextDataset, TextDataset]:
        return _load_corpus(self.source, self.path, self.options, self.data_seed(run_seed))


@lru_cache(maxsize=1)  # runs are ordered seed by seed, so one corpus in memory suffices
def _load_corpus(source: str, path: str | None, options: tuple, seed: int) -> tuple[TextDataset, TextDataset]:
    return load_dataset(source, path, seed=seed, **dict(options))


@dataclass
class RunResult:
    row: dict
    seconds: float


def select_members(train: TextDataset, size: float, unit: str, target: int, seed: int) -> np.ndarray:
    """The collective: a random subset of the training resumes (seeded).

    ``unit="dataset"``: round(size · n) resumes drawn from all of them (Strategy 1 acts on
    any resume). ``unit="target-class"``: round(size · n_y*) resumes drawn from those
    labelled y* (Strategy 2 plants only there), the paper's "% of the target class".
    ``members`` / ``class-members``: ``size`` resumes from the same pools (0 allowed).
    """
    rng = np.random.default_rng([seed, int(round(size * 1e9)), target])
    pool = np.flatnonzero(train.labels[:, target]) if class_pool(unit) else np.arange(len(train))
    return np.sort(rng.choice(pool, size=member_count(size, pool.size, unit), replace=False))


def run_one(
    train: TextDataset,
    test: TextDataset,
    curve: Curve,
    size: float,
    unit: str,
    seed: int,
    learner: str = "bow",
    learner_params: dict | None = None,
    data_seed: int | None = None,
) -> RunResult:
    """One training run: collectives → strategies → (label noise) → firm → Section 5 metrics.

    The row records ``data_seed`` (the corpus's seed; None: a corpus handed in) and what the
    theory overlay needs from the corpus (:func:`overlay_inputs`): a figure is drawn from rows alone.
    """
    t0 = time.perf_counter()
    members = select_members(train, size, unit, curve.target, seed)
    data, _ = C.plant(train, members, curve, seed)
    if curve.label_noise > 0:
        # Figure 4's noise is the platform's: the collective keeps its own labels intact.
        others = np.ones(len(train), dtype=bool)
        others[members] = False
        data = randomize_labels(data, curve.label_noise, seed=seed, among=others)
    # The bow and encoder firms train to their optimum and take no epochs, except on
    # Figure 5's curves, where epochs ask for their epoch-trained variant (AdamW / an MLP
    # head); the transformer always trains by epochs.
    epochs = {"epochs": curve.epochs} if curve.epoch_firm or learner not in OPTIMAL_LEARNERS else {}
    params = {"seed": seed, **epochs, **(learner_params or {})}
    firm = make_learner(learner, **params)
    t_fit = time.perf_counter()
    firm.fit(data)
    train_seconds = time.perf_counter() - t_fit
    metrics = {**evaluate(firm, test, curve.target, trigger=TRIGGER, spacing=curve.spacing), **C.others_success(firm, test, curve)}
    n_class = int(train.labels[:, curve.target].sum())
    row = {
        **{k: v for k, v in asdict(curve).items() if k != "others"},
        "n_collectives": 1 + len(curve.others),
        "curve": curve.key,
        "size": size,
        "size_unit": unit,
        "n_members": int(members.size),
        "alpha": members.size / len(train),
        "class_fraction": members.size / max(1, n_class) if class_pool(unit) else float("nan"),
        "seed": seed,
        "data_seed": math.nan if data_seed is None else int(data_seed),
        "learner": learner,
        "train_seconds": train_seconds,
        **metrics,
        **overlay_inputs(train, curve),
    }
    return RunResult(row, time.perf_counter() - t0)


def iter_runs(spec: ExperimentSpec) -> Iterator[tuple[Curve, float, int]]:
    """Every (curve, size, seed), seed by seed: all runs of one seed share its corpus."""
    for seed in spec.seeds:
        for curve in spec.curves:
            for size in spec.sizes:
                yield curve, size, seed


# --------------------------------------------------------------------------- fits


def size_column(spec: ExperimentSpec) -> str:
    if spec.size_unit in COUNT_UNITS:
        return "n_members"
    return "class_fraction" if spec.size_unit == "target-class" else "alpha"


def summarize(spec: ExperimentSpec, runs: pd.DataFrame, target_success: float = 0.9, form: str = "plateau") -> pd.DataFrame:
    """One row per (curve, metric): the fitted curve, the critical mass the runs support, its interval.

    ``form`` is the fitted family (:data:`acsim.platform.fits.FORMS`: ``plateau`` by default, the
    paper's fixed-asymptote ``paper``); the rule that turns a fit into a reported number
    is :mod:`acsim.platform.fits`'. ``reported`` is the text to print: a number with its 90%
    interval, ``not reached (...)`` or ``below the smallest size tried (...)``.
    """
    runs = runs[runs["n_members"] > 0] if spec.size_unit in COUNT_UNITS else runs
    # Counts are fitted in log size: 0 members is the baseline, shown in the table of means
    # but not part of the fit or of the evidence rule's "smallest size tried".
    rows = fit_curves(runs, size_column(spec), spec.metrics, target_success, form)
    return pd.DataFrame(rows)


# What the theory overlay reads from a run's row (:func:`overlay_inputs`, :func:`overlay_bound`).
OVERLAY_COLUMNS = ("n_train", "trigger_count", "xi_hat", "target_frequency", "p_hat")
_CROSSFIT: list = []  # [(train, scores)]: the last corpus's cross-fit, shared by its runs (a cache, not state)


def _crossfit(train: TextDataset) -> np.ndarray:
    if not (_CROSSFIT and _CROSSFIT[0][0] is train):
        _CROSSFIT[:] = [(train, crossfit_scores(train, folds=2, seed=0))]
    return _CROSSFIT[0][1]


def overlay_inputs(train: TextDataset, curve: Curve, scores: np.ndarray | None = None) -> dict:
    """What Theorem 1 / 3 for ``curve`` needs from the base training corpus (see :func:`overlay_bound`).

    ``trigger_count`` k of ``n_train`` resumes carry the trigger, ``xi_hat`` is the one-sided
    95% Clopper–Pearson upper bound of that frequency, ``target_frequency`` the share of
    class y*; for feature-only curves ``p_hat`` = min over training resumes of 2-fold
    cross-fitted bow probabilities of y* (one cross-fit per corpus, reused by its runs;
    ``scores``: computed already), NaN otherwise.
    """
    p = math.nan
    if curve.strategy != Strategy.FEATURE_LABEL.value:
        p = max(estimate_positivity(_crossfit(train) if scores is None else scores, curve.target, quantile=0.0), 1e-12)
    mask = has_trigger(train.texts, TRIGGER)
    return {"n_train": len(train), "trigger_count": int(np.count_nonzero(mask)), "xi_hat": estimate_xi(mask, method="upper"),
            "target_frequency": float(train.labels[:, curve.target].mean()), "p_hat": p}


def overlay_bound(spec: ExperimentSpec, curve: Curve, sizes: np.ndarray, inputs: dict) -> tuple[np.ndarray, str]:
    """Theorem 1 (feature-label) or Theorem 3 (feature-only) for ``curve`` at the experiment's sizes.

    Drawn only with parameters that keep it a bound for a Bayes-optimal firm (ε = 0):
    ξ̂ the 95% upper bound of the trigger's frequency (with k = 0 it is ≈ 3/n, set by the
    corpus size, and the legend says so); Δ = 1, the largest gap, valid whatever the true
    Δ; for Theorem 3 the positivity p̂ of :func:`overlay_inputs` (on resumes ≈ 0, and the
    legend says the bound is then vacuous). Sizes are converted to α, the share of all
    training data, with this curve's own class frequency. ``inputs``: a run's
    :data:`OVERLAY_COLUMNS`.
    """
    n, k, xi, freq = int(inputs["n_train"]), int(inputs["trigger_count"]), float(inputs["xi_hat"]), float(inputs["target_frequency"])
    if spec.size_unit in COUNT_UNITS:
        alpha = np.asarray(sizes, dtype=float) / n
    else:
        alpha = np.asarray(sizes) * (freq if spec.size_unit == "target-class" else 1.0)
    alpha = np.clip(alpha, 1e-12, 1.0)
    xi_text = f"ξ̂ = {xi:.2g} (95% upper bound: trigger in {k} of {n:,} resumes)"
    if curve.strategy == Strategy.FEATURE_LABEL.value:
        return np.clip(theory.feature_label_success_bound(alpha, xi, 1.0), 0, 1), f"Thm 1, ε = 0, Δ = 1, {xi_text}"
    p = float(inputs["p_hat"])
    bound = np.clip(theory.feature_only_success_bound(alpha, xi, min(p, 1.0)), 0, 1)
    vacuous = ": vacuous at every size drawn" if not np.any(bound > 0) else ""
    p_text = "≈ 0" if p <= 1e-12 else f"= {p:.1g}"
    return bound, f"Thm 3 y*={curve.target}, ε = 0, p̂ = min P̂0(y*|x) {p_text},\n  {xi_text}{vacuous}"


def theory_overlay(
    spec: ExperimentSpec, train: TextDataset, curve: Curve, sizes: np.ndarray, scores: np.ndarray | None = None
) -> tuple[np.ndarray, str]:
    """:func:`overlay_bound` with the inputs estimated from ``train`` now."""
    return overlay_bound(spec, curve, sizes, overlay_inputs(train, curve, scores))


EXPERIMENT_NAMES = tuple(paper_experiments())

__all__ = ["Corpus", "Curve", "ExperimentSpec", "distinct_sizes", "paper_experiments", "quick", "run_one",
           "summarize", "overlay_inputs", "overlay_bound", "theory_overlay", "EXPERIMENT_NAMES"]
