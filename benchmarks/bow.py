"""Does the bow firm reach the optimum of its objective? (issue 12, item 1)

Against scikit-learn ``LogisticRegression`` (lbfgs, tight tolerance: the outside baseline
of what the optimum is) on the *same* features, in the same run, at 120, 1,000 and 25,000
training resumes and 10 and 30 classes of the default synthetic corpus: the objective
value (scikit-learn's, divided by C*n: see acsim.platform.learners._newton), clean multi-label
metrics, and Strategy-1 success at a small collective. Also the seconds of one training.

    python benchmarks/bow.py                     # all six cells, writes benchmarks/results/bow.json
    python benchmarks/bow.py --sizes 120 1000    # a quicker look
    python benchmarks/bow.py --time-only         # the bow trainings alone, median of 3, on an idle machine
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from acsim.platform.data.synthetic import synthetic_resumes
from acsim.platform.learners.bow import BowLearner
from acsim.platform.metrics import clean_metrics, evaluate
from acsim.platform.strategies import Strategy, apply_strategy
from acsim.platform.text import TRIGGER


class SklearnFirm:
    """One-vs-rest ``LogisticRegression(C)`` on the bow firm's own feature rows."""

    name = "sklearn"

    def __init__(self, features: BowLearner, C: float) -> None:
        self.features, self.C = features, C

    def _matrix(self, texts) -> sp.csr_matrix:
        X = self.features.featurize(list(texts))
        return sp.csr_matrix((X.values.astype(np.float64), X.indices, X.indptr), shape=(X.n_rows, X.n_cols))

    def fit(self, train):
        from sklearn.linear_model import LogisticRegression

        X = self._matrix(train.texts)
        t = time.perf_counter()
        self.models = [
            LogisticRegression(C=self.C, tol=1e-6, max_iter=20_000).fit(X, train.labels[:, k])
            for k in range(train.labels.shape[1])
        ]
        self.train_seconds_ = time.perf_counter() - t
        W = np.column_stack([m.coef_[0] for m in self.models])
        b = np.array([m.intercept_[0] for m in self.models])
        self.objective_ = objective(X, train.labels, W, b, self.C)
        return self

    def predict_scores(self, texts) -> np.ndarray:
        X = self._matrix(texts.texts if hasattr(texts, "texts") else texts)
        return np.column_stack([m.predict_proba(X)[:, 1] for m in self.models])


def objective(X: sp.csr_matrix, Y: np.ndarray, W: np.ndarray, b: np.ndarray, C: float) -> float:
    """sum_k (1/n) sum_i BCE + ||w_k||^2 / (2 C n), computed here for both firms alike."""
    n = X.shape[0]
    Z = X @ W + b
    loss = np.logaddexp(0, Z) - Y * Z
    return float(loss.sum() / n + 0.5 / (C * n) * (W * W).sum())


def bow_objective(m: BowLearner, train, C: float) -> float:
    X = m.featurize(train)
    X = sp.csr_matrix((X.values.astype(np.float64), X.indices, X.indptr), shape=(X.n_rows, X.n_cols))
    W = m.net_.weight.detach().numpy()
    return objective(X, train.labels, W, m.net_.bias.detach().numpy(), C)


def cell(n_train: int, n_classes: int, features: str, C: float) -> dict:
    n_test = 4783 if n_train >= 25_000 else 1000
    train, test = synthetic_resumes(n_train, n_test, seed=0, n_classes=n_classes)
    # Strategy 1 (text and label) at a collective of 0.2% of 25k / 1% of 1k / 5% of 120.
    n_members = {120: 6, 1000: 10}.get(n_train, max(1, round(0.002 * n_train)))
    members = np.sort(np.random.default_rng(0).choice(n_train, n_members, replace=False))
    poisoned = apply_strategy(train, members, Strategy.FEATURE_LABEL.value, 0, trigger=TRIGGER, spacing=20, seed=0)
    out: dict = {"n_train": n_train, "n_classes": n_classes, "n_test": n_test, "features": features, "n_members": n_members}
    for data, tag in ((train, "clean"), (poisoned, "strategy1")):
        bow = BowLearner(features=features, C=C)
        bow.featurize(data)  # warm the count cache: time the optimisation alone
        t = time.perf_counter()
        bow.fit(data)
        bow_seconds = time.perf_counter() - t
        sk = SklearnFirm(BowLearner(features=features), C).fit(data)
        res = {
            "bow_train_seconds": bow_seconds,
            "bow_iterations": bow.n_iter_,
            "sklearn_train_seconds": sk.train_seconds_,
            "bow_objective": bow_objective(bow, data, C),
            "sklearn_objective": sk.objective_,
        }
        res["objective_rel_gap"] = (res["bow_objective"] - res["sklearn_objective"]) / res["sklearn_objective"]
        for firm, name in ((bow, "bow"), (sk, "sklearn")):
            if tag == "clean":
                res[f"{name}_clean"] = clean_metrics(firm.predict_scores(test), test.labels)
            else:
                res[f"{name}_success"] = evaluate(firm, test, 0, trigger=TRIGGER, spacing=20)
        out[tag] = res
    c, s = out["clean"], out["strategy1"]
    out["accuracy_diff"] = c["bow_clean"]["accuracy"] - c["sklearn_clean"]["accuracy"]
    out["top1_success_diff"] = s["bow_success"]["success_top1"] - s["sklearn_success"]["success_top1"]
    out["inclusion_success_diff"] = s["bow_success"]["success_inclusion"] - s["sklearn_success"]["success_inclusion"]
    out["max_objective_rel_gap"] = max(c["objective_rel_gap"], s["objective_rel_gap"])
    return out


def time_only(sizes: list[int], classes: list[int], features: str, C: float) -> list[dict]:
    """Median of 3 trainings per cell (token counts cached), no baseline: the wall clock alone."""
    import statistics

    out = []
    for n in sizes:
        for k in classes:
            train, _ = synthetic_resumes(n, 4783 if n >= 25_000 else 1000, seed=0, n_classes=k)
            BowLearner(features=features).featurize(train)
            walls = []
            for _ in range(3):
                t = time.perf_counter()
                m = BowLearner(features=features, C=C).fit(train)
                walls.append(time.perf_counter() - t)
            out.append({"n_train": n, "n_classes": k, "median_seconds": statistics.median(walls), "all": walls, "iterations": m.n_iter_})
            print(f"n={n:>6} K={k:>2}  bow training median {statistics.median(walls):.2f} s ({m.n_iter_} it; {', '.join(f'{w:.2f}' for w in walls)})", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[120, 1000, 25_000])
    ap.add_argument("--classes", type=int, nargs="+", default=[10, 30])
    ap.add_argument("--features", default="log1p")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--out", default="benchmarks/results/bow.json")
    ap.add_argument("--time-only", action="store_true")
    args = ap.parse_args()
    if args.time_only:
        res = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "cells": time_only(args.sizes, args.classes, args.features, args.C)}
        Path("benchmarks/results/bow_timing.json").write_text(json.dumps(res, indent=2))
        return
    res: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "python": platform.python_version(), "cells": []}
    t = time.perf_counter()
    synthetic_resumes()
    res["corpus_seconds"] = time.perf_counter() - t
    for n in args.sizes:
        for k in args.classes:
            r = cell(n, k, args.features, args.C)
            res["cells"].append(r)
            print(
                f"n={n:>6} K={k:>2}  bow {r['clean']['bow_train_seconds']:.2f}s ({r['clean']['bow_iterations']} it)  "
                f"sklearn {r['clean']['sklearn_train_seconds']:.1f}s  objective gap {r['max_objective_rel_gap']:+.2e}  "
                f"accuracy {r['clean']['bow_clean']['accuracy']:.4f} vs {r['clean']['sklearn_clean']['accuracy']:.4f}  "
                f"S1 top-1 {r['strategy1']['bow_success']['success_top1']:.3f} vs {r['strategy1']['sklearn_success']['success_top1']:.3f}",
                flush=True,
            )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
