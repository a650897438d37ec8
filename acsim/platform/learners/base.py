"""One small protocol for the firm's learning algorithm A (paper Section 2, f = A(P)).

Like scikit-learn estimators: parameters are validated in the constructor, ``fit``
returns the learner itself, fitted state lives in attributes ending in ``_``, and a
seed in gives the same numbers out. What ``fit`` consumes depends on the learner's
world: the exact ``bayes`` firm fits a discrete joint distribution, the text firms
(``bow``, ``transformer``) fit an :class:`acsim.platform.data.TextDataset`. Every learner
returns per-class scores of shape ``(n, K)`` in [0, 1], from which the multi-label
prediction set and the top-1 class are derived the same way for all of them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Protocol, runtime_checkable

import numpy as np

# name -> "module:Class". New firms plug in by adding a line here; nothing else changes.
REGISTRY: dict[str, str] = {
    "bayes": "acsim.theory.firms.bayes:BayesFirm",
    "logistic": "acsim.theory.firms.glm:LogisticRiskMinimizer",
    "bow": "acsim.platform.learners.bow:BowLearner",
    "transformer": "acsim.platform.learners.transformer:TransformerLearner",
    "encoder": "acsim.platform.learners.encoder:EncoderLearner",
}


# The firms that read resumes (the others fit a discrete world or a logistic model).
TEXT_LEARNERS = ("bow", "encoder", "transformer")
# Text firms solved to the optimum of a convex objective by default (epochs switch them to
# an epoch-trained variant); the transformer always trains by epochs.
OPTIMAL_LEARNERS = ("bow", "encoder")


@runtime_checkable
class Learner(Protocol):
    """The firm's algorithm: ``fit(train) -> self`` and ``predict_scores(inputs) -> (n, K)``."""

    name: str

    def fit(self, train: Any) -> "Learner": ...

    def predict_scores(self, inputs: Any) -> np.ndarray: ...


def predict_sets(scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Multi-label prediction: the boolean set of classes whose score exceeds ``threshold``."""
    return np.asarray(scores) > threshold


def predict_top1(scores: np.ndarray) -> np.ndarray:
    """The top-1 class of each row (lowest index on ties)."""
    return np.argmax(np.asarray(scores), axis=1)


def available_learners() -> list[str]:
    return sorted(REGISTRY)


def learner_class(name: str) -> type:
    """The learner class registered as ``name``. Its module is imported, a text firm's torch is
    not: each loads torch where it trains or scores, so that checking a scenario's settings
    (building the learner, :func:`acsim.runs.scenario_params.learner_values`) costs no ~1.6 s."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown learner {name!r}; choose one of {', '.join(available_learners())}"
        ) from None
    module_name, cls_name = target.split(":")
    return getattr(import_module(module_name), cls_name)


def make_learner(name: str, **params: Any) -> Learner:
    """Build a learner by registry name, e.g. ``make_learner("bow", epochs=3, seed=1)``, to train it.

    A text firm's torch is loaded here, before any fit is timed (a round's ``train_seconds``
    then holds the training alone, as when the modules imported torch themselves)."""
    cls = learner_class(name)
    if name in TEXT_LEARNERS:
        import_module("torch")
    return cls(**params)


class SetPredictions:
    """``predict_sets`` and ``predict_top1`` derived from ``predict_scores``, for any learner."""

    def predict_sets(self, inputs: Any, threshold: float = 0.5) -> np.ndarray:
        return predict_sets(self.predict_scores(inputs), threshold)  # type: ignore[attr-defined]

    def predict_top1(self, inputs: Any) -> np.ndarray:
        return predict_top1(self.predict_scores(inputs))  # type: ignore[attr-defined]
