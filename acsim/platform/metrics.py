"""How much control the collective gets, and how good the firm's model is (paper Section 5).

Evaluation, as in Section 5: plant the trigger in every test resume and count how often
the model (a) includes the target class y* in its predicted set, (b) ranks y* top-1.
Names:

* ``success_inclusion`` / ``success_top1``: over test resumes *not* labelled y* (their
  clean label set lacks y*), so a model that merely predicts y* where it belongs earns
  nothing: the signal must *steer* the prediction. This is the headline S(α).
* ``success_inclusion_all`` / ``success_top1_all``: over all test resumes, the paper's
  literal "insert the special token in all test points and count".
* ``baseline_inclusion`` / ``baseline_top1``: the same rates as the first pair on the
  *clean* texts, the floor that the trigger has to beat (a collective of size 0 scores
  about this).

Model quality on clean test data, as Section 5.1 reports it: ``accuracy`` = 1 − Hamming
loss, micro-averaged ``precision`` and ``recall`` (and ``f1``) of the predicted sets.

Under the names text-backdoor toolkits use (OpenBackdoor, ONION, STRIP papers), beside
acsim's: ``asr`` (attack success rate: the share of triggered test inputs whose true label
is not the target that the model classifies as the target) = ``success_top1``, and
``cacc`` (clean accuracy: the share of clean test inputs classified correctly), read for
multi-label data as the top-1 class being one of the resume's labels; ``accuracy``
(1 − Hamming loss) stays the Section 5.1 number.

The pure functions take score arrays ``(n, K)`` in [0, 1]; the predicted set is
``scores > threshold`` and the top-1 class the row argmax, as in
:mod:`acsim.platform.learners.base`. An empty denominator gives NaN for success rates and 0 for
precision/recall (scikit-learn's ``zero_division=0``).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from acsim.platform.data.base import TextDataset
from acsim.platform.learners.base import Learner, predict_sets, predict_top1
from acsim.platform.strategies import erase_words, plant_triggers
from acsim.platform.text import TRIGGER, TRIGGER_SPACING


def _pair(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    if s.ndim != 2 or s.shape != y.shape:
        raise ValueError(f"scores and labels must be (n, K) arrays of one shape, got {s.shape} and {y.shape}")
    return s, y


def _rate(hits: np.ndarray) -> float:
    return float(hits.mean()) if hits.size else float("nan")


def success_rates(
    scores_triggered: np.ndarray, labels: np.ndarray, target: int, *, threshold: float = 0.5
) -> dict[str, float]:
    """S(α) of Section 3.1, Pr{f(g(x)) = y*}, in its two multi-label readings (Section 5).

    ``scores_triggered`` are the model's scores on the test resumes *with the trigger
    planted*; ``labels`` their clean label sets. Returns ``success_inclusion``,
    ``success_top1`` (test points whose labels lack y*), their ``_all`` versions (every
    test point) and ``n_success_eval``, the size of the first denominator.
    """
    s, y = _pair(scores_triggered, labels)
    if not 0 <= int(target) < s.shape[1]:
        raise ValueError(f"target must be a class index in [0, {s.shape[1]}), got {target!r}")
    included = predict_sets(s, threshold)[:, target]
    top1 = predict_top1(s) == target
    other = ~y[:, target]
    return {
        "success_inclusion": _rate(included[other]),
        "success_top1": _rate(top1[other]),
        "success_inclusion_all": _rate(included),
        "success_top1_all": _rate(top1),
        "n_success_eval": float(other.sum()),
    }


def clean_metrics(scores: np.ndarray, labels: np.ndarray, *, threshold: float = 0.5) -> dict[str, float]:
    """Section 5.1's model quality: ``accuracy`` (1 − Hamming loss), micro ``precision``, ``recall``, ``f1``, and ``cacc``."""
    s, y = _pair(scores, labels)
    pred = predict_sets(s, threshold)
    top1_correct = y[np.arange(len(y)), predict_top1(s)] if y.size else np.zeros(0, dtype=bool)
    tp = float(np.sum(pred & y))
    n_pred, n_true = float(pred.sum()), float(y.sum())
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": float(np.mean(pred == y)) if y.size else float("nan"),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "cacc": _rate(top1_correct),
    }


def erasure_success(scores_x: np.ndarray, scores_gx: np.ndarray, *, threshold: float = 0.5) -> dict[str, float]:
    """S(α) of Section 3.2, Pr{f(x) = f(g(x))}: the predicted set, and the top-1 class, unchanged by g."""
    a, b = np.asarray(scores_x, dtype=float), np.asarray(scores_gx, dtype=float)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"scores_x and scores_gx must be (n, K) arrays of one shape, got {a.shape} and {b.shape}")
    same_set = np.all(predict_sets(a, threshold) == predict_sets(b, threshold), axis=1)
    same_top1 = predict_top1(a) == predict_top1(b)
    return {"erasure_success": _rate(same_set), "erasure_success_top1": _rate(same_top1)}


def evaluate(
    learner: Learner,
    test: TextDataset,
    target: int,
    *,
    trigger: str = TRIGGER,
    spacing: int = TRIGGER_SPACING,
    threshold: float = 0.5,
    erase: Iterable[str] | None = None,
) -> dict[str, float]:
    """All of Section 5's numbers for one fitted text learner on ``test``.

    Scores the clean test texts (model quality and the baseline rates) and the same
    texts with the trigger planted (success). With ``erase`` given, also the erasure
    success of Section 3.2 for g = :func:`acsim.platform.strategies.erase_words`.
    """
    clean = learner.predict_scores(list(test.texts))
    triggered = learner.predict_scores(plant_triggers(test.texts, trigger, spacing))
    out = success_rates(triggered, test.labels, target, threshold=threshold)
    base = success_rates(clean, test.labels, target, threshold=threshold)
    out["baseline_inclusion"] = base["success_inclusion"]
    out["baseline_top1"] = base["success_top1"]
    out["asr"] = out["success_top1"]  # the backdoor toolkits' name for the same number
    out.update(clean_metrics(clean, test.labels, threshold=threshold))
    if erase is not None:
        erased = learner.predict_scores(erase_words(test.texts, erase))
        out.update(erasure_success(clean, erased, threshold=threshold))
    return out
