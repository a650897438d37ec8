"""The bow firm at 100k workers on the 25k default corpus: rows stored, feature bytes, training time.

    python benchmarks/bow_distinct.py      # writes benchmarks/results/bow_distinct.json

Each of the 25,000 resumes is owned by 4 of the 100,000 workers. The firm stores one
feature row per distinct (text, labels) example with its count and int32 column indices
(acsim.platform.learners.sparse); before (4d495db) it stored one row per worker with
int64 indices. Two rounds, no principal, 1% initial collective. Run it in a checkout of
the older commit (PYTHONPATH=that checkout) for the before figures.
"""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from acsim.abm.model import CollectiveActionModel, ModelParams

    t = time.perf_counter()
    m = CollectiveActionModel(ModelParams(n_workers=100_000, firm="bow", initial_alpha=0.01, seed=0, principal="none"))
    rows = m.run(2)
    wall = time.perf_counter() - t
    learner = m.firm.engine.learner
    every = learner.featurize(m.firm.engine.base)  # one row per worker
    stored = getattr(learner, "n_rows_", every.n_rows)
    nnz_stored = len(every.indices) * stored // every.n_rows  # each resume owned by exactly 4 workers
    entry = every.indices.itemsize + every.values.itemsize  # bytes per stored nonzero
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    out = {
        "commit": commit, "machine": f"{platform.machine()}, {platform.platform()}",
        "rows_stored": int(stored), "workers": every.n_rows, "nonzeros_stored": int(nnz_stored),
        "feature_bytes": int(nnz_stored * entry), "round_train_seconds": [float(x) for x in rows["train_seconds"]],
        "S": [float(x) for x in rows["S"]], "accuracy": [float(x) for x in rows["accuracy"]],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "wall_seconds": wall,
    }
    print(json.dumps(out, indent=1))
    path = ROOT / "benchmarks" / "results" / "bow_distinct.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
