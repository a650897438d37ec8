"""model.step() of this checkout against an earlier revision, interleaved on the same machine.

    python benchmarks/step_before_after.py --baseline c352909 --repeats 3

Checks the rule "benchmarks are no slower" for a change to the model's round: the
baseline revision is checked out into a temporary git worktree, and each repeat times
both trees one after the other in fresh processes (public beliefs, and network beliefs on
a Barabási–Albert graph; 100,000 workers, c ~ U(0.1, 0.3), γ = 0.5, sigmoid S, a
cheapest-first principal with N/100 recruits per round, the median of rounds 2-12 over
three seeds). Writes ``benchmarks/results/step_before_after.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

TIMER = r"""
import json, sys, time, numpy as np
from acsim.abm.model import CollectiveActionModel
n, net = int(sys.argv[1]), sys.argv[2] == "network"
per_seed = []
for seed in range(3):
    kw = dict(n_workers=n, cost_dist="uniform", cost_params={"low": 0.1, "high": 0.3}, gamma_params={"value": 0.5},
              principal="cheapest", recruits_per_round=n // 100, seed=seed, worker_agents=0,
              firm_params={"curve": "sigmoid", "midpoint": 0.1, "slope": 60})
    if net:
        kw.update(network="barabasi_albert", belief="network")
    m = CollectiveActionModel(**kw)
    m.step()  # the first round also prices the population (alpha_crit, B): not per-round work
    ts = []
    for _ in range(11):
        t = time.perf_counter(); m.step(); ts.append(time.perf_counter() - t)
    per_seed.append(float(np.median(ts)))
print(json.dumps(float(np.median(per_seed)) * 1e3))
"""


def time_tree(tree: Path, n: int, beliefs: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", TIMER, str(n), beliefs], cwd=tree, env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(json.loads(out.strip().splitlines()[-1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, help="git revision to compare with (e.g. c352909)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "step_before_after.json")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(base), a.baseline], check=True)
        try:
            ms: dict[str, dict[str, list[float]]] = {b: {"baseline": [], "this": []} for b in ("public", "network")}
            for _ in range(a.repeats):
                for beliefs in ms:
                    ms[beliefs]["baseline"].append(time_tree(base, a.n, beliefs))
                    ms[beliefs]["this"].append(time_tree(ROOT, a.n, beliefs))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    result = {"command": "python " + " ".join(sys.argv), "baseline": a.baseline, "n_workers": a.n, "round_ms": ms,
              "ratio_this_to_baseline": {b: float(np.median(v["this"]) / np.median(v["baseline"])) for b, v in ms.items()}}
    print(f"{'beliefs':>8}  {'baseline ms (median)':>20}  {'this ms (median)':>16}  this/baseline")
    for b, v in ms.items():
        print(f"{b:>8}  {np.median(v['baseline']):20.2f}  {np.median(v['this']):16.2f}  {result['ratio_this_to_baseline'][b]:.2f}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
