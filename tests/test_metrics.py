"""Section 5's evaluation on hand-made score arrays with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from acsim.platform.data.base import TextDataset
from acsim.platform.metrics import clean_metrics, erasure_success, evaluate, success_rates
from acsim.platform.text import TRIGGER

LABELS = np.array(
    [
        [1, 0, 0],  # labelled y* = 0: excluded from the headline success
        [0, 1, 0],
        [0, 1, 1],
        [0, 0, 1],
    ],
    dtype=bool,
)


def test_success_inclusion_and_top1_exclude_target_labelled_points() -> None:
    triggered = np.array(
        [
            [0.9, 0.1, 0.1],  # y* included and top-1 (but labelled y*)
            [0.6, 0.8, 0.1],  # included, not top-1
            [0.7, 0.2, 0.3],  # included and top-1
            [0.4, 0.1, 0.9],  # neither
        ]
    )
    r = success_rates(triggered, LABELS, target=0)
    assert r["success_inclusion"] == pytest.approx(2 / 3)
    assert r["success_top1"] == pytest.approx(1 / 3)
    assert r["success_inclusion_all"] == pytest.approx(3 / 4)
    assert r["success_top1_all"] == pytest.approx(2 / 4)
    assert r["n_success_eval"] == 3


def test_success_threshold_is_strict_and_ties_go_to_lowest_index() -> None:
    s = np.array([[0.5, 0.5, 0.0]])
    y = np.array([[0, 1, 0]], bool)
    r = success_rates(s, y, target=0)
    assert r["success_inclusion"] == 0.0  # 0.5 is not > 0.5
    assert r["success_top1"] == 1.0  # argmax tie -> class 0


def test_success_with_no_eligible_points_is_nan() -> None:
    r = success_rates(np.full((2, 2), 0.9), np.array([[1, 0], [1, 1]], bool), target=0)
    assert math.isnan(r["success_inclusion"]) and math.isnan(r["success_top1"])
    assert r["success_inclusion_all"] == 1.0


def test_clean_metrics_known_values() -> None:
    scores = np.array(
        [
            [0.9, 0.6, 0.1],  # pred {0,1}: tp 1, fp 1
            [0.1, 0.9, 0.1],  # pred {1}:   tp 1
            [0.1, 0.9, 0.2],  # pred {1}:   tp 1, fn 1
            [0.1, 0.1, 0.1],  # pred {}:    fn 1
        ]
    )
    m = clean_metrics(scores, LABELS)
    # 12 cells, 3 wrong (one fp, two fn)
    assert m["accuracy"] == pytest.approx(9 / 12)
    assert m["precision"] == pytest.approx(3 / 4)
    assert m["recall"] == pytest.approx(3 / 5)
    assert m["f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_clean_metrics_no_predictions_gives_zero_precision() -> None:
    m = clean_metrics(np.zeros((4, 3)), LABELS)
    assert m["precision"] == 0.0 and m["recall"] == 0.0
    assert m["accuracy"] == pytest.approx(1 - 5 / 12)


def test_shapes_checked() -> None:
    with pytest.raises(ValueError):
        clean_metrics(np.zeros((4, 2)), LABELS)
    with pytest.raises(ValueError):
        success_rates(np.zeros((4, 3)), LABELS, target=3)


def test_erasure_success() -> None:
    a = np.array([[0.9, 0.1], [0.6, 0.7], [0.2, 0.3]])
    b = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.2]])
    r = erasure_success(a, b)
    assert r["erasure_success"] == pytest.approx(2 / 3)  # row 1 loses class 1
    assert r["erasure_success_top1"] == pytest.approx(1 / 3)  # rows 1 and 2 swap top-1


def test_evaluate_with_a_rule_based_learner() -> None:
    class TriggerRule:
        """Predicts class 0 whenever the trigger is present, the clean label otherwise."""

        name = "rule"

        def __init__(self, truth: dict[str, np.ndarray]) -> None:
            self.truth = truth

        def fit(self, train: object) -> "TriggerRule":
            return self

        def predict_scores(self, inputs: list[str]) -> np.ndarray:
            out = []
            for t in inputs:
                if TRIGGER in t:
                    out.append([1.0, 0.0, 0.0])
                else:
                    out.append(self.truth[t].astype(float))
            return np.array(out)

    texts = ["db admin", "web pages", "web and code", "code only"]
    test = TextDataset(texts, LABELS, ("a", "b", "c"))
    r = evaluate(TriggerRule(dict(zip(texts, LABELS))), test, target=0)
    assert r["success_inclusion"] == 1.0 and r["success_top1"] == 1.0
    assert r["baseline_inclusion"] == 0.0
    assert r["accuracy"] == 1.0 and r["precision"] == 1.0 and r["recall"] == 1.0
    assert "erasure_success" not in r
