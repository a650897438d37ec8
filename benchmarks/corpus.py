"""The embedded corpora's statistics beside the paper's florex corpus (issue 12, item 2).

    python benchmarks/corpus.py      # writes benchmarks/results/corpus.json, prints a Markdown table

The linear-firm row is the default bow firm (benchmarks/bow.py compares it with
scikit-learn); the paper's row is Section 5.1 and Appendix C.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from importlib import import_module
from pathlib import Path

import numpy as np

from acsim.platform.data import synthetic_v1
from acsim.platform.data.synthetic import synthetic_resumes
from acsim.platform.learners.bow import BowLearner, count_rows
from acsim.platform.metrics import clean_metrics

import_module("torch")  # the learner loads torch on its first fit; loaded here, before anything is timed


def stats(generate) -> dict:
    generate.__globals__["_cached"].cache_clear()
    t = time.perf_counter()
    train, test = generate()
    seconds = time.perf_counter() - t
    words = Counter(w for t in train.texts for w in t.lower().split())
    freq = np.sort(np.fromiter(words.values(), dtype=float))[::-1]
    ranks = np.arange(10, min(2000, len(freq)))
    rows = count_rows(train.texts)
    ids, docs = np.unique(np.concatenate([r[0] for r in rows]), return_counts=True)
    y = np.vstack([train.labels, test.labels])
    firm = clean_metrics(BowLearner().fit(train).predict_scores(test), test.labels)
    return {
        "resumes": len(train) + len(test), "generate_seconds": seconds,
        "class_freq_0_1_2": [round(float(v), 3) for v in y.mean(0)[:3]],
        "distinct_lowercased_words": len(words), "zipf_slope_rank_10_2000": float(np.polyfit(np.log(ranks), np.log(freq[ranks]), 1)[0]),
        "wordpiece_ids": int(len(ids)), "rare_ids_under_0.5pct_of_resumes": int((docs < 0.005 * len(train)).sum()),
        "trigger_resumes": int(docs[ids == 1240].sum()) if 1240 in ids else 0,
        "mean_words": float(np.mean([len(t.split()) for t in train.texts])),
        "html_share": float(np.mean([("<" in t and ">" in t) or "&nbsp;" in t for t in train.texts])),
        "non_ascii_share": float(np.mean([not t.isascii() for t in train.texts])),
        "linear_firm": {k: round(v, 4) for k, v in firm.items()},
    }


def main() -> None:
    res = {"synthetic": stats(synthetic_resumes), "synthetic-v1": stats(synthetic_v1.synthetic_resumes)}
    Path("benchmarks/results").mkdir(parents=True, exist_ok=True)
    Path("benchmarks/results/corpus.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
