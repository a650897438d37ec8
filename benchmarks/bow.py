"""bow firm speed and quality (issues 3 and 7): one training on the 25k default corpus, a
scikit-learn baseline on the same features, and a full fig2 sweep (20 sizes x 3 seeds).

    python benchmarks/bow.py                 # everything, writes benchmarks/results/bow.json
    python benchmarks/bow.py --skip-sweep    # training + baseline only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from acsim.data import synthetic_resumes
from acsim.learners.bow import BowLearner, clear_cache, count_rows
from acsim.metrics import clean_metrics


def sklearn_baseline(train, test) -> dict:
    """One-vs-rest LogisticRegression on the same log1p WordPiece counts (liblinear-style baseline)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    def matrix(ds):
        rows = count_rows(ds.texts)
        indptr = np.r_[0, np.cumsum([len(r[0]) for r in rows])]
        idx = np.concatenate([r[0] for r in rows])
        val = np.log1p(np.concatenate([r[1] for r in rows]).astype(float))
        return sp.csr_matrix((val, idx, indptr), shape=(len(rows), 30522))

    Xtr, Xte = matrix(train), matrix(test)
    t = time.perf_counter()
    clf = OneVsRestClassifier(LogisticRegression(C=1.0, max_iter=2000), n_jobs=1).fit(Xtr, train.labels)
    seconds = time.perf_counter() - t
    scores = clf.predict_proba(Xte)
    return {"train_seconds": seconds, **clean_metrics(scores, test.labels)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--out", default="benchmarks/results/bow.json")
    args = ap.parse_args()
    res: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "python": platform.python_version()}

    t = time.perf_counter()
    train, test = synthetic_resumes()
    res["corpus_seconds"] = time.perf_counter() - t

    clear_cache()
    t = time.perf_counter()
    m = BowLearner().fit(train)
    res["cold_fit_seconds"] = time.perf_counter() - t
    res["cold_featurize_seconds"] = m.featurize_seconds_
    walls = []
    for seed in range(5):
        t = time.perf_counter()
        m = BowLearner(seed=seed).fit(train)
        walls.append(time.perf_counter() - t)
    res["cached_fit_seconds_median"] = statistics.median(walls)
    res["cached_fit_seconds_all"] = walls
    res["bow_clean"] = clean_metrics(m.predict_scores(test), test.labels)
    res["sklearn_ovr_logreg"] = sklearn_baseline(train, test)
    res["ratio_sklearn_over_bow_train"] = res["sklearn_ovr_logreg"]["train_seconds"] / res["cached_fit_seconds_median"]
    print(json.dumps({k: v for k, v in res.items() if k != "cached_fit_seconds_all"}, indent=2))

    if not args.skip_sweep:
        from acsim import experiments as X

        spec = X.paper_experiments()["fig2"]
        t = time.perf_counter()
        runs = X.run_experiment(spec, (train, test))  # one fixed corpus: this measures speed
        res["fig2_sweep_seconds"] = time.perf_counter() - t
        res["fig2_runs"] = len(runs)
        res["fig2_mean_train_seconds"] = float(runs["train_seconds"].mean())
        print(f"fig2 sweep: {len(runs)} runs in {res['fig2_sweep_seconds']:.1f} s")

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
