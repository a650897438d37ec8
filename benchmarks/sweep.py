"""Batch speed: a 200-run sweep of the quickstart scenario, one process vs a pool vs Ray.

The quickstart scenario (8 starting sizes) with 25 seeds is 200 runs of the agent-based
model (10,000 workers, 20 rounds, the theory firm). The same runs are executed

* one after another in this process (``executor="serial"``, the baseline),
* on a local process pool (``executor="local"``, spawn start method, ``--jobs`` workers),
* as Ray tasks on a local Ray with ``--jobs`` CPUs (``executor="ray"``; skipped with --no-ray),

each into a fresh output folder (every run computed and written to ``runs/<id>.parquet``),
``--repeats`` times. Reported: wall times (median and all), the pool's and Ray's ratio to
the sequential time, the mean time of one run, and a check that all executors produced
identical rows. Results go to ``benchmarks/results/sweep.json``.

    python benchmarks/sweep.py                     # 2 workers, 3 repeats, with Ray
    python benchmarks/sweep.py --jobs 2 --repeats 1 --no-ray
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "sweep.json"
_SPIN = "x = 0\nfor i in range(15_000_000):\n    x += i\n"


def machine_parallelism(jobs: int) -> dict:
    """How much faster ``jobs`` CPU-bound processes finish than one after another, on this machine.

    A pure-Python loop, once alone and then ``jobs`` copies at the same time. On a machine with
    ``jobs`` free cores the speedup is close to ``jobs``; a CPU quota or shared cores show here
    first, and bound what any executor can gain.
    """
    import subprocess

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", _SPIN], check=True)
    solo = time.perf_counter() - t0
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(jobs)]
    for p in procs:
        p.wait()
    together = time.perf_counter() - t0
    return {"one_process_seconds": round(solo, 3), f"{jobs}_processes_at_once_seconds": round(together, 3),
            "effective_speedup": round(jobs * solo / together, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=25, help="seeds per sweep point (8 points: 25 → 200 runs)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes / Ray CPUs")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    import pandas as pd
    from pandas.testing import assert_frame_equal

    from acsim.runs import batch as B
    from acsim.runs.outputs import package_versions
    from acsim.runs.scenarios import load_scenario

    calib = machine_parallelism(args.jobs)
    print(f"machine: {args.jobs} CPU-bound processes at once run {calib['effective_speedup']}× faster than one after another", flush=True)
    loaded = load_scenario("quickstart", overrides={"seeds": args.seeds})
    runs = loaded.runs()
    print(f"quickstart × {args.seeds} seeds: {len(runs)} runs; {args.jobs} workers; {args.repeats} repeats", flush=True)

    modes = [("sequential", "serial", None), ("process_pool", "local", args.jobs)]
    if not args.no_ray:
        modes.append(("ray_local", "ray", args.jobs))
    times: dict[str, list[float]] = {m: [] for m, _, _ in modes}
    run_seconds: dict[str, float] = {}
    reference: dict[str, pd.DataFrame] | None = None
    identical = True
    for rep in range(args.repeats):
        for name, executor, jobs in modes:
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                res = B.execute(runs, Path(tmp), executor, jobs=jobs, progress=False, log=None)
                wall = time.perf_counter() - t0
            assert res.computed == len(runs) and not res.failed
            times[name].append(wall)
            run_seconds[name] = statistics.fmean(i["wall_seconds"] for i in res.infos.values())
            if reference is None:
                reference = res.frames
            else:
                for rid, frame in reference.items():
                    try:
                        assert_frame_equal(frame, res.frames[rid])
                    except AssertionError:
                        identical = False
            print(f"  repeat {rep + 1}: {name:13s} {wall:7.2f} s", flush=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    result = {
        "benchmark": "200-run sweep of the quickstart scenario (acsim run quickstart --set seeds=25)",
        "command": "python benchmarks/sweep.py " + " ".join(sys.argv[1:]),
        "n_runs": len(runs),
        "scenario": {"n_workers": runs[0].params["n_workers"], "rounds": runs[0].params["rounds"],
                     "firm": runs[0].params["firm"], "sweep_points": len(loaded.points), "seeds": args.seeds},
        "jobs": args.jobs,
        "repeats": args.repeats,
        "wall_seconds": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "median_wall_seconds": {k: round(v, 3) for k, v in med.items()},
        "mean_seconds_per_run_inside_worker": {k: round(v, 4) for k, v in run_seconds.items()},
        "ratio_to_sequential": {k: round(v / med["sequential"], 3) for k, v in med.items()},
        "ray_vs_process_pool": round(med["ray_local"] / med["process_pool"], 3) if "ray_local" in med else None,
        "identical_rows_across_executors": identical,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "parallelism": calib},
        "versions": package_versions(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("median_wall_seconds", "ratio_to_sequential", "ray_vs_process_pool",
                                             "mean_seconds_per_run_inside_worker", "identical_rows_across_executors")}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":  # required: the process pool uses the spawn start method
    main()
