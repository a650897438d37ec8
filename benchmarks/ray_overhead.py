"""Where a Ray batch's time goes beyond the runs: connecting, workers importing acsim, disconnecting.

For the 1,000-run quickstart sweep on ``--jobs`` CPUs, twice: on a private Ray that the batch
starts (what ``--executor ray`` does without ``--address``) and on a running head
(``ray start --head``, :func:`sweep.running_ray`) that it joins. Each time, in order:

* ``import_ray``: ``import ray`` (first time only, in a fresh process);
* ``init``: ``ray.init`` (starting the processes, or connecting);
* ``workers_import_acsim``: one task per CPU that imports what a run needs
  (``acsim.runs.executors``), as the batch's first tasks would; the tasks' own import times too;
* ``batch_warm``: ``batch.execute`` with those workers already warm (the runs themselves,
  their transfer and the driver's writes);
* ``shutdown``: ``ray.shutdown``;

and, for scale, the same batch on the forked process pool. Results: ``benchmarks/results/ray_overhead.json``.

    python benchmarks/ray_overhead.py
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from sweep import running_ray  # benchmarks/ is on sys.path when this file runs as a script

RESULTS = Path(__file__).resolve().parent / "results" / "ray_overhead.json"


def _import_acsim() -> float:
    import importlib

    t0 = time.perf_counter()
    importlib.import_module("acsim.runs.executors")  # what a worker imports to run a chunk
    return time.perf_counter() - t0


def phases(runs, jobs: int, address: str | None) -> dict:
    from acsim.runs import batch as B

    t0 = time.perf_counter()
    import ray

    out = {"import_ray": time.perf_counter() - t0}
    t0 = time.perf_counter()
    kwargs = {"address": address} if address else {"address": "local", "num_cpus": jobs}
    ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR", **kwargs)
    out["init"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    task = ray.remote(num_cpus=1)(_import_acsim)
    out["task_import_seconds"] = ray.get([task.remote() for _ in range(jobs)])
    out["workers_import_acsim"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = B.execute(runs, Path(tmp), "ray", jobs=jobs, address=address, progress=False, log=None)
        out["batch_warm"] = time.perf_counter() - t0
    assert res.computed == len(runs) and not res.failed
    t0 = time.perf_counter()
    ray.shutdown()
    out["shutdown"] = time.perf_counter() - t0
    return {k: round(v, 3) if isinstance(v, float) else [round(x, 3) for x in v] for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=125)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    from acsim.runs import batch as B
    from acsim.runs.scenarios import load_scenario

    runs = load_scenario("quickstart", overrides={"seeds": args.seeds}).runs()
    result = {"benchmark": f"Ray's own costs around the {len(runs)}-run quickstart sweep, {args.jobs} CPUs",
              "command": "python benchmarks/ray_overhead.py " + " ".join(sys.argv[1:])}
    result["private_ray"] = phases(runs, args.jobs, None)
    print("private Ray:", result["private_ray"], flush=True)
    with running_ray(args.jobs) as (address, _):
        result["running_head"] = phases(runs, args.jobs, address)
        print("running head:", result["running_head"], flush=True)
        with tempfile.TemporaryDirectory() as tmp:  # the pool beside the idle head, for scale
            t0 = time.perf_counter()
            B.execute(runs, Path(tmp), "local", jobs=args.jobs, progress=False, log=None)
            result["pool_beside_the_head"] = round(time.perf_counter() - t0, 3)
    print("pool beside the head:", result["pool_beside_the_head"], "s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
