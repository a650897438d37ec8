"""The exact (bayes) firm's S(α) curve: one stack of firms against one firm per α, in the same run.

    python benchmarks/bayes_curve.py      # writes benchmarks/results/bayes_curve.json

An ABM run with the bayes firm (1,000 workers, 10 rounds, a cheapest-first principal, the
way batches run it: no Worker agents) builds the world's exact S(α) at ~2,000 α: the
principal's B(α_crit) grid and every k/N. ``BayesEngine._exact`` fits the firms of all new α
as one stack (``BayesFirm.fit`` on (A, n_x, K) tables); the baseline here is the same
engine fitting one firm per α (``DiscreteWorld.success``, what it did before), swapped in for
the baseline's runs. Interleaved repeats, median; every run's rows are checked equal.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "bayes_curve.json"


def _one_alpha_at_a_time(self, alpha):
    """The baseline: the exact curve with one Bayes firm fitted per new α."""
    a = np.asarray(alpha, dtype=float)
    uniq, inv = np.unique(a.ravel(), return_inverse=True)
    vals = np.empty(uniq.size)
    for i, x in enumerate(uniq.tolist()):
        if x not in self._cache:
            self._cache[x] = self.world.success(self.strategy, x, self.eps, self.adversary)
        vals[i] = self._cache[x]
    return vals[inv].reshape(a.shape)


def main() -> None:
    from pandas.testing import assert_frame_equal

    from acsim.abm.engines import BayesEngine
    from acsim.abm.model import CollectiveActionModel, ModelParams

    stacked = BayesEngine._exact
    base = ModelParams(firm="bayes", n_workers=1000, rounds=10, cost_dist="uniform", cost_params={"low": 0.05, "high": 0.35},
                       gamma_params={"value": 0.5}, principal="cheapest", initial_alpha=0.0, worker_agents=0)
    runs, repeats = 30, 5

    def batch(exact) -> tuple[float, list]:
        BayesEngine._exact = exact
        rows = []
        t0 = time.perf_counter()
        for s in range(runs):
            m = CollectiveActionModel(base.replace(seed=s))
            rows.append(m.run().drop(columns=["train_seconds"]))
            m.close()
        return (time.perf_counter() - t0) / runs, rows

    times: dict[str, list[float]] = {"stacked": [], "one alpha at a time": []}
    try:
        for _ in range(repeats):
            t, new = batch(stacked)
            times["stacked"].append(t)
            t, old = batch(_one_alpha_at_a_time)
            times["one alpha at a time"].append(t)
            for a, b in zip(new, old):
                assert_frame_equal(a, b, check_exact=True)
    finally:
        BayesEngine._exact = stacked
    med = {k: statistics.median(v) for k, v in times.items()}
    out = {
        "benchmark": "an ABM run with the bayes firm: 1,000 workers, 10 rounds, a cheapest-first principal, no Worker agents",
        "command": "python benchmarks/bayes_curve.py",
        "runs_per_repeat": runs, "repeats": repeats,
        "ms_per_run": {k: [round(1e3 * x, 2) for x in v] for k, v in times.items()},
        "median_ms_per_run": {k: round(1e3 * v, 2) for k, v in med.items()},
        "speedup": round(med["one alpha at a time"] / med["stacked"], 2),
        "identical_rows": True,
        "machine": f"{platform.machine()}, {platform.platform()}",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: out[k] for k in ("median_ms_per_run", "speedup", "identical_rows")}, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
