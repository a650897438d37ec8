"""Where Ray pays: whole commands on the process pool and on Ray, from a cheap batch to a training one.

Ray's own start and stop are a fixed cost per command (``benchmarks/ray_overhead.py``: a
private Ray ~5 s on 2 cores, joining a running head ~1.5 s); the pool's is ~0.2 s forked,
~2 s spawned. So Ray's ratio to the pool depends on how much work the batch has to share.
This times, as a user types them (``--jobs`` CPUs, interleaved, ``--repeats`` times, each
into a fresh folder):

* ``acsim run quickstart --set seeds=125`` (1,000 cheap runs, ~2 s of batch on the pool),
* the same with ``seeds=1250`` (10,000 runs),
* ``acsim experiment fig2 --quick`` (the main job: 24 bow trainings, tens of seconds),

each on the pool (``--executor local``), on a private Ray the command starts and stops
(``--executor ray``), and, with a head started beforehand (``ray start --head``,
:func:`sweep.running_ray`), on that head (``--address`` / ``RAY_ADDRESS``) beside the pool
timed again next to the idle head (whose processes share the cores). Every Ray command's
``runs.parquet`` must equal the pool's (the rows do not depend on the executor).
Results: ``benchmarks/results/ray_batches.json``.

    python benchmarks/ray_batches.py                       # 2 repeats, all three batches
    python benchmarks/ray_batches.py --repeats 1 --no-training
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from sweep import machine_parallelism, running_ray  # benchmarks/ is on sys.path when this file runs as a script

RESULTS = Path(__file__).resolve().parent / "results" / "ray_batches.json"


def batches(training: bool) -> dict[str, tuple[list[str], str]]:
    """Each batch: its command (without executor and folder) and the rows file under ``--out``."""
    out = {
        "quickstart, 1,000 runs": (["run", "quickstart", "--set", "seeds=125", "--no-figures", "--no-progress"], "rounds.parquet"),
        "quickstart, 10,000 runs": (["run", "quickstart", "--set", "seeds=1250", "--no-figures", "--no-progress"], "rounds.parquet"),
    }
    if training:
        out["fig2 --quick, 24 bow trainings"] = (["experiment", "fig2", "--quick", "--no-progress"], "fig2/runs.parquet")
    return out


def timed(args: list[str], executor: str, jobs: int, address: str | None, folder: Path, rows: str) -> tuple[float, pd.DataFrame]:
    """Wall time of one whole command, and its rows (wall-clock columns dropped)."""
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)
    cmd = [sys.executable, "-m", "acsim", *args, "--executor", executor, "--out", str(folder)]
    if executor == "local" or address is None:
        cmd += ["--jobs", str(jobs)]  # a pool's workers, or a private Ray's CPUs
    if address is not None and executor == "ray":
        env["RAY_ADDRESS"] = address  # acsim experiment has no --address; RAY_ADDRESS serves both commands
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    frame = pd.read_parquet(folder / rows)
    return wall, frame.drop(columns=[c for c in frame.columns if "seconds" in c or c.endswith("_at")])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-training", action="store_true", help="skip fig2 --quick (the longest batch)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    todo = batches(not args.no_training)
    calib = machine_parallelism(args.jobs)
    print(f"machine: {args.jobs} CPU-bound processes at once run {calib['effective_speedup']}x faster than one", flush=True)
    modes = ("pool", "private Ray", "pool beside the head", "running head")
    times: dict[str, dict[str, list[float]]] = {b: {m: [] for m in modes} for b in todo}
    identical = True

    def one(batch: str, mode: str, address: str | None, reference: dict) -> None:
        nonlocal identical
        cmd, rows = todo[batch]
        with tempfile.TemporaryDirectory() as tmp:
            wall, frame = timed(cmd, "local" if mode.startswith("pool") else "ray", args.jobs, address, Path(tmp), rows)
        times[batch][mode].append(wall)
        if batch not in reference:
            reference[batch] = frame
        elif not frame.reset_index(drop=True).equals(reference[batch].reset_index(drop=True)):
            identical = False
            print(f"  ROWS DIFFER: {batch}, {mode}", flush=True)
        print(f"  {batch:32s} {mode:22s} {wall:7.2f} s", flush=True)

    reference: dict[str, pd.DataFrame] = {}
    for rep in range(args.repeats):
        print(f"repeat {rep + 1}", flush=True)
        for batch in todo:
            for mode in ("pool", "private Ray"):
                one(batch, mode, None, reference)
        with running_ray(args.jobs) as (address, _):
            for batch in todo:
                for mode in ("pool beside the head", "running head"):
                    one(batch, mode, address, reference)

    result: dict = {"benchmark": "whole commands, pool against Ray, " + f"{args.jobs} workers / CPUs",
                    "command": "python benchmarks/ray_batches.py " + " ".join(sys.argv[1:]),
                    "machine_parallelism": calib, "rows_identical": identical, "batches": {}}
    for batch, by_mode in times.items():
        med = {m: round(statistics.median(v), 3) for m, v in by_mode.items()}
        result["batches"][batch] = {
            "seconds": {m: [round(x, 3) for x in v] for m, v in by_mode.items()}, "median": med,
            "private_ray_over_pool": round(med["private Ray"] / med["pool"], 3),
            "running_head_over_pool_beside_it": round(med["running head"] / med["pool beside the head"], 3),
            "private_ray_minus_pool": round(med["private Ray"] - med["pool"], 3),
        }
        r = result["batches"][batch]
        print(f"{batch}: pool {med['pool']:.1f} s, private Ray {med['private Ray']:.1f} s ({r['private_ray_over_pool']}x), "
              f"running head {med['running head']:.1f} s against {med['pool beside the head']:.1f} s "
              f"({r['running_head_over_pool_beside_it']}x)", flush=True)
    print("rows identical across executors:", identical)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
