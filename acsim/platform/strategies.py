"""The collective's strategies h (paper Sections 3 and 5).

Strategy 1 / feature-label (eq. 1): plant the signal g(x) and set the label to y*.
Strategy 2 / feature-only (eq. 3): plant g(x) only in points whose label is y*.
Erasure (Section 3.2): keep x, relabel to argmax_y P0(y | g(x)).

The discrete, distribution-level form used by the exact Bayes firm lives in
:mod:`acsim.theory.discrete`; the text form (trigger planting in resumes) lives here, with
the label-noise knob of Figure 4 and plug-in estimators of the theory's parameters
(ξ, p, Δ, τ) from data.

Multi-label conventions (the paper states its theory for one label per point; the
resume task of Section 5 has label *sets*):

* "the label y*" of Strategy 1 becomes the one-hot set {y*};
* "points whose label is y*" of Strategy 2 are the resumes whose set contains y*;
* P0(y | x) is read per class, P0(y_k = 1 | x), which is what a BCE-trained firm
  estimates; the erasure relabel argmax_y P0(y | g(x)) becomes the per-class majority
  vote {k : P0(y_k = 1 | g(x)) > 1/2}, the Bayes rule under the Hamming loss that the
  paper's multi-label accuracy measures.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterable, Literal, Sequence

import numpy as np

from acsim.platform.data.base import TextDataset
from acsim.platform.learners.base import make_learner
from acsim.platform.text import TRIGGER, TRIGGER_SPACING
from acsim.theory.strategy import Strategy

if TYPE_CHECKING:
    from acsim.platform.learners.base import Learner

SeedLike = int | np.random.Generator | None


# --------------------------------------------------------------------------- signals g


def _check_spacing(spacing: int) -> int:
    if isinstance(spacing, bool) or not isinstance(spacing, (int, np.integer)) or spacing < 1:
        raise ValueError(f"spacing must be an integer >= 1, got {spacing!r}")
    return int(spacing)


def plant_trigger(text: str, trigger: str = TRIGGER, spacing: int = TRIGGER_SPACING) -> str:
    """The signal g(x) of Section 5: ``trigger`` inserted every ``spacing``-th word.

    The trigger goes before words 0, spacing, 2·spacing, … so that every resume,
    however short, carries it (an empty text becomes the trigger alone) and a firm that
    truncates long inputs still sees it. Words are whitespace-separated; runs of
    whitespace become single spaces.
    """
    return _planted(text, trigger, _check_spacing(spacing))


# The simulation replants every member's resume every round (the platform's data is rebuilt
# from the workers' rows each round); remembering the result made a 10k-member round of the
# bow firm 0.15 s faster (benchmarks/README.md). 32,768 planted resumes are at most ~70 MB;
# a larger collective thrashes the LRU and is simply replanted, as before.
@lru_cache(maxsize=1 << 15)
def _planted(text: str, trigger: str, spacing: int) -> str:
    words = text.split()
    if not words:
        return trigger
    parts: list[str] = []
    for start in range(0, len(words), spacing):  # one step per chunk, not per word
        parts.append(trigger)
        parts.extend(words[start : start + spacing])
    return " ".join(parts)


def plant_triggers(texts: Iterable[str], trigger: str = TRIGGER, spacing: int = TRIGGER_SPACING) -> list[str]:
    """:func:`plant_trigger` applied to every text."""
    spacing = _check_spacing(spacing)
    return [plant_trigger(t, trigger, spacing) for t in texts]


def has_trigger(texts: Sequence[str], trigger: str = TRIGGER) -> np.ndarray:
    """Boolean mask of the texts that contain ``trigger`` anywhere (membership in the signal set)."""
    return np.fromiter((trigger in t for t in texts), dtype=bool, count=len(texts))


def erase_words(texts: Iterable[str], words: Iterable[str]) -> list[str]:
    """The erasure map g of Section 3.2 for text: every occurrence of ``words`` removed.

    Matching is whole-word and case-insensitive (``"SQL"`` erases ``sql`` and ``SQL`` but
    not ``mysql``), the text analogue of the paper's example of zeroing a feature j*.
    Whitespace is collapsed to single spaces.
    """
    pattern = _erase_pattern(words)
    return [" ".join(pattern.sub(" ", t).split()) for t in texts]


def _erase_pattern(words: Iterable[str]) -> re.Pattern[str]:
    ws = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not ws:
        raise ValueError("erase needs at least one non-empty word")
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in ws) + r")(?!\w)", re.IGNORECASE)


# --------------------------------------------------------------------------- strategies h


def _rng(seed: SeedLike) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def members_mask(members: np.ndarray | Sequence[int] | Sequence[bool], n: int) -> np.ndarray:
    """A boolean length-``n`` mask from a boolean mask or an array of row indices."""
    m = np.asarray(members)
    if m.dtype == bool:
        if m.shape != (n,):
            raise ValueError(f"a boolean members mask must have shape ({n},), got {m.shape}")
        return m.copy()
    if m.size == 0:
        return np.zeros(n, dtype=bool)
    if not np.issubdtype(m.dtype, np.integer) or m.ndim != 1:
        raise ValueError("members must be a boolean mask or a 1-d array of row indices")
    if m.min() < 0 or m.max() >= n:
        raise ValueError(f"member indices must lie in [0, {n}), got range [{m.min()}, {m.max()}]")
    mask = np.zeros(n, dtype=bool)
    mask[m] = True
    return mask


def _check_target(target: int, n_classes: int) -> int:
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < n_classes:
        raise ValueError(f"target must be a class index in [0, {n_classes}), got {target!r}")
    return int(target)


def apply_strategy(
    data: TextDataset,
    members: np.ndarray | Sequence[int] | Sequence[bool],
    strategy: str | Strategy,
    target: int,
    *,
    trigger: str = TRIGGER,
    spacing: int = TRIGGER_SPACING,
    erase: Iterable[str] | None = None,
    posterior: np.ndarray | None = None,
    learner_factory: Callable[[], "Learner"] | None = None,
    folds: int = 5,
    seed: SeedLike = 0,
) -> TextDataset:
    """The platform's data after the collective (rows in ``members``) applies h (Section 3).

    * feature-label, eq. (1): members' texts get the trigger, their label set becomes {y*};
    * feature-only, eq. (3): the trigger is planted in the members whose set contains
      y*; no label changes;
    * erasure, Section 3.2: texts unchanged; each member's labels become the per-class
      majority {k : P̂0(y_k=1 | g(x)) > 1/2} with g = :func:`erase_words` of ``erase``.
      P̂0(· | g(x)) is what the collective can know, an estimate from its *pooled* data
      (the paper's "information sharing"): unless ``posterior`` (one row per member, in
      row order) is given, a learner (default: a :class:`~acsim.platform.learners.bow.BowLearner`)
      is fitted on the members' erased texts and their labels with ``folds``-fold
      cross-fitting, so each member's estimate comes from the *other* members and a
      model cannot simply memorise the member's own label. Exact matching of g(x) would be
      the textbook plug-in but resumes almost never coincide after erasing a few words,
      so it would return every member's own label. A larger collective gets a better
      estimate, as the paper remarks.

    ``seed`` seeds the cross-fitting folds and learners; the planting strategies are
    deterministic. Non-members are returned untouched.
    """
    strategy = Strategy.parse(strategy)
    target = _check_target(target, data.n_classes)
    mask = members_mask(members, len(data))
    texts = list(data.texts)
    labels = data.labels.copy()

    if strategy is Strategy.FEATURE_LABEL:
        idx = np.flatnonzero(mask)
        for i in idx:
            texts[i] = plant_trigger(texts[i], trigger, spacing)
        labels[idx] = False
        labels[idx, target] = True
    elif strategy is Strategy.FEATURE_ONLY:
        for i in np.flatnonzero(mask & data.labels[:, target]):
            texts[i] = plant_trigger(texts[i], trigger, spacing)
    else:
        if erase is None:
            raise ValueError("the erasure strategy needs `erase`, the words g removes")
        idx = np.flatnonzero(mask)
        if posterior is None:
            pooled = data.subset(idx)
            pooled = pooled.replace(texts=erase_words(pooled.texts, erase))
            posterior = crossfit_scores(pooled, folds=folds, learner_factory=learner_factory, seed=seed)
        posterior = np.asarray(posterior, dtype=float)
        if posterior.shape != (len(idx), data.n_classes):
            raise ValueError(f"posterior must have shape ({len(idx)}, {data.n_classes}), got {posterior.shape}")
        labels[idx] = posterior > 0.5
        return data.replace(labels=labels)
    return data.replace(texts=texts, labels=labels)


def crossfit_scores(
    data: TextDataset,
    *,
    folds: int = 5,
    learner_factory: Callable[[], "Learner"] | None = None,
    seed: SeedLike = 0,
) -> np.ndarray:
    """Out-of-fold class probabilities ``(n, K)``: each row predicted by a model not fitted on it.

    Held-out predictions are the honest plug-in for P0(y | x) on the points of ``data``
    (in-sample scores of a flexible model just echo the labels). Fewer than 2 rows have
    no held-out model, so their own labels are returned. Default learner: a BowLearner
    (5 epochs) seeded from ``seed``.
    """
    n = len(data)
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2, got {folds!r}")
    if n < 2:
        return data.labels.astype(float)
    rng = _rng(seed)
    if learner_factory is None:
        learner_seed = int(rng.integers(2**31 - 1))

        def learner_factory() -> "Learner":
            return make_learner("bow", seed=learner_seed)

    fold_of = rng.permutation(n) % min(int(folds), n)
    out = np.empty((n, data.n_classes), dtype=float)
    for f in np.unique(fold_of):
        held = np.flatnonzero(fold_of == f)
        fitted = learner_factory().fit(data.subset(np.flatnonzero(fold_of != f)))
        out[held] = fitted.predict_scores(data.subset(held))
    return out


# --------------------------------------------------------------------------- label noise


def noise_index(n: int, fraction: float, *, seed: SeedLike = 0, among: np.ndarray | None = None) -> np.ndarray:
    """The sorted rows whose labels get randomized: round(fraction · #eligible), without replacement."""
    if not (np.isfinite(fraction) and 0.0 <= fraction <= 1.0):
        raise ValueError(f"fraction must be in [0, 1], got {fraction!r}")
    eligible = np.arange(n) if among is None else np.flatnonzero(members_mask(among, n))
    m = int(round(fraction * len(eligible)))
    return np.sort(_rng(seed).choice(eligible, size=m, replace=False))


def randomize_labels(
    data: TextDataset,
    fraction: float,
    *,
    seed: SeedLike = 0,
    mode: Literal["empirical", "uniform"] = "empirical",
    among: np.ndarray | None = None,
) -> TextDataset:
    """Label noise of Figure 4: a random ``fraction`` of the points get random labels.

    The paper randomizes labels so that "each feature vector is assigned the target label
    with nontrivial probability", i.e. to raise the positivity constant p of Theorem 3.
    In the multi-label task, a randomized point gets

    * ``"empirical"`` (default): the label set of a uniformly drawn point of ``data``, i.e.
      a draw from the empirical label-set distribution, which keeps class frequencies
      and the typical set size (so y* is assigned with its base rate);
    * ``"uniform"``: the one-hot set of a uniformly drawn class (y* with probability 1/K).

    A draw may reproduce the point's own set; that is still a random label. ``among``
    (mask or indices) restricts which points may be chosen, e.g. to leave the collective's
    rows alone. Texts are unchanged; same seed, same result.
    """
    if mode not in ("empirical", "uniform"):
        raise ValueError(f"mode must be 'empirical' or 'uniform', got {mode!r}")
    rng = _rng(seed)
    idx = noise_index(len(data), fraction, seed=rng, among=among)
    labels = data.labels.copy()
    if mode == "empirical":
        labels[idx] = data.labels[rng.integers(len(data), size=len(idx))]
    else:
        labels[idx] = False
        labels[idx, rng.integers(data.n_classes, size=len(idx))] = True
    return data.replace(labels=labels)


# --------------------------------------------------------------------------- estimators


def estimate_xi(
    texts_or_mask: Sequence[str] | np.ndarray,
    trigger: str = TRIGGER,
    *,
    method: Literal["upper", "plugin", "smoothed"] = "upper",
    confidence: float = 0.95,
    smoothing: float = 1.0,
) -> float:
    """ξ of Definition 3 (ξ-unique signal: P0(X*) ≤ ξ) from a sample of base data.

    A base text counts as in the signal set X* when it contains the trigger (a superset
    of X* = {g(x)}, so the estimate errs on the conservative side). With k of n in X*:

    * ``"upper"`` (default): the one-sided Clopper–Pearson upper bound at ``confidence``,
      the honest choice for a quantity the theorems need as an upper bound and which is
      typically k = 0 (then 1 − (1 − confidence)^(1/n), about 3/n at 95%);
    * ``"plugin"``: k/n (0 for an unseen trigger, which makes every bound trivially 1);
    * ``"smoothed"``: (k + s)/(n + 2s) with ``s = smoothing`` (additive smoothing).
    """
    mask = np.asarray(texts_or_mask)
    if mask.dtype != bool:
        mask = has_trigger(list(texts_or_mask), trigger)
    n, k = mask.size, int(mask.sum())
    if n == 0:
        raise ValueError("estimate_xi needs at least one base point")
    if method == "plugin":
        return k / n
    if method == "smoothed":
        if not (np.isfinite(smoothing) and smoothing >= 0):
            raise ValueError(f"smoothing must be >= 0, got {smoothing!r}")
        return (k + smoothing) / (n + 2 * smoothing)
    if method == "upper":
        if not (0 < confidence < 1):
            raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
        if k == n:
            return 1.0
        # The Clopper-Pearson upper limit, Beta(k + 1, n − k)'s quantile: scipy.special's
        # inverse incomplete beta is what scipy.stats.beta.ppf computes, without the 0.5 s
        # import of scipy.stats.
        from scipy.special import betaincinv

        return float(betaincinv(k + 1, n - k, confidence))
    raise ValueError(f"method must be 'upper', 'plugin' or 'smoothed', got {method!r}")


def _scores(scores: np.ndarray, target: int | None = None) -> np.ndarray:
    s = np.asarray(scores, dtype=float)
    if s.ndim != 2 or s.shape[0] == 0:
        raise ValueError(f"scores must be a non-empty (n, K) array, got shape {s.shape}")
    if np.any((s < 0) | (s > 1)) or not np.all(np.isfinite(s)):
        raise ValueError("scores must be probabilities in [0, 1]")
    if target is not None:
        _check_target(target, s.shape[1])
    return s


def _check_quantile(q: float) -> float:
    if not (np.isfinite(q) and 0.0 <= q <= 1.0):
        raise ValueError(f"quantile must be in [0, 1], got {q!r}")
    return float(q)


def estimate_positivity(scores: np.ndarray, target: int, *, quantile: float = 0.01) -> float:
    """p of Theorem 3 (P0(y*|x) ≥ p for all x): a low quantile of P̂0(y*|x) over base data.

    ``scores`` are calibrated held-out probabilities on base points (e.g. from
    :func:`crossfit_scores`). The exact minimum (``quantile=0``) is hostage to one
    point; a low quantile q is the paper's remedy after Corollary 4, restricting P0 to a
    region R with P0(R) ≥ 1 − q on which positivity is larger.
    """
    s = _scores(scores, target)
    return float(np.quantile(s[:, target], _check_quantile(quantile)))


def estimate_delta(scores_signal: np.ndarray, target: int, *, quantile: float = 1.0) -> float:
    """Δ of Section 3.1, max over x ∈ X* of (max_y P0(y|x) − P0(y*|x)), in [0, 1].

    ``scores_signal`` are estimates of P0(·|x) at points of the signal set, e.g. a model
    fitted on base data and evaluated on triggered texts (the trigger being unseen in base
    data, this is the natural extension of P0 to X*). ``quantile=1`` is the definition's
    max; a lower quantile trades the worst case for robustness to a few outliers.
    """
    s = _scores(scores_signal, target)
    gap = s.max(axis=1) - s[:, target]
    return float(np.quantile(gap, _check_quantile(quantile)))


def estimate_tau(scores_x: np.ndarray, scores_gx: np.ndarray) -> float:
    """τ of Section 3.2 (before Theorem 5): E_x max_y |P0(y|x) − P0(y|g(x))|.

    ``scores_x`` estimate P0(·|x) (a model of the full texts), ``scores_gx`` estimate
    P0(·|g(x)) (a model *fitted on erased texts* evaluated on g(x); a model of x applied
    to g(x) is not P0(·|g(x))), one row per base point in the same order.
    """
    a, b = _scores(scores_x), _scores(scores_gx)
    if a.shape != b.shape:
        raise ValueError(f"scores_x and scores_gx must have the same shape, got {a.shape} and {b.shape}")
    return float(np.mean(np.max(np.abs(a - b), axis=1)))
