"""Batch speed: the 1,000-run quickstart sweep and the 10,000-run investment grid, every executor, with and without ensembles.

The quickstart scenario (8 starting sizes) with 125 seeds is 1,000 runs of the agent-based
model (10,000 workers, 20 rounds, the theory firm); ``investment_grid`` is 20 costs × 20
free-ride shares × 25 seeds = 10,000 runs (1,000 workers, 10 rounds, a principal, logit
choice). Measured, interleaved, ``--repeats`` times, each into a fresh output folder:

* the batch itself (``batch.execute``: every run computed and saved in chunk files) one
  after another in this process (``serial``), on a process pool (``local``, ``--jobs``
  workers) and on a local Ray (``--jobs`` CPUs; skipped with --no-ray): one the batch starts
  and stops itself (``ray``, what ``--executor ray`` does without ``--address``), and one
  started before the timing (``ray start --head``) that the batch joins with an address
  (``ray, running cluster``: how a cluster is used, where ``ray.init`` and shutdown are not
  paid per batch, though its workers still import acsim once per batch; timed after the
  others, beside the pool again, since the idle cluster shares the cores), each with the
  theory-firm runs stepped together (``together=True``, :mod:`acsim.abm.ensemble`, the
  default) and one model at a time (``together=False``, the baseline);
* the whole command as a user runs it (``acsim run ... --no-figures --no-progress``, its
  default executor), wall time and peak memory of the process tree.

Every mode's rows are checked against the first's. Results: ``benchmarks/results/sweep.json``.

    python benchmarks/sweep.py                          # 3 repeats, 2 workers, with Ray
    python benchmarks/sweep.py --repeats 1 --no-ray --no-grid
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
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


@contextlib.contextmanager
def running_ray(jobs: int):
    """A Ray head node of ``jobs`` CPUs for the benchmark's life: yields its address and its
    temp dir (``RAY_TMPDIR`` there: a bare ``ray.init()`` would join this head; the tests use it).

    ``ray start --block`` in a process group of its own, killed whole on exit (a plain
    ``ray stop`` would stop every Ray on the machine, other people's included), with its files
    in a temp dir of its own (``RAY_TMPDIR``: no stale ``/tmp/ray/ray_current_cluster`` left).
    """
    import shutil
    import signal
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's sockets live there
    proc = subprocess.Popen(["ray", "start", "--head", "--block", "--port", str(port), "--num-cpus", str(jobs),
                             "--include-dashboard", "false", "--disable-usage-stats"], env={**os.environ, "RAY_TMPDIR": tmp},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        ready = Path(tmp) / "ray" / "ray_current_cluster"  # written once the head takes drivers (its port opens earlier)
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"ray start --head did not come up on port {port}")
            time.sleep(0.1)  # polling for a file: nothing to wait on instead
        # The head authenticates drivers by token (Ray's default for new clusters, ~/.ray/auth_token);
        # a driver sends it only in token mode (which starting a local Ray also sets).
        os.environ.setdefault("RAY_AUTH_MODE", "token")
        yield f"127.0.0.1:{port}", tmp
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # SIGTERM leaves `ray start --block` hanging
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def command(args: list[str]) -> dict:
    """Wall time and peak RSS of ``python -m acsim ARGS`` (the main process, by GNU time when it is there)."""
    import shutil

    gnu_time = shutil.which("time") if Path("/usr/bin/time").exists() else None
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        prefix = ["/usr/bin/time", "-f", "%M", "-o", rss.name] if gnu_time else []
        t0 = time.perf_counter()
        r = subprocess.run([*prefix, sys.executable, "-m", "acsim", *args], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        peak = rss.read().strip().splitlines()[-1] if gnu_time else ""
    if r.returncode != 0:
        raise SystemExit(f"acsim {' '.join(args)} failed:\n{r.stderr}")
    return {"wall_seconds": round(wall, 3), "peak_rss_mb": round(int(peak) / 1024, 1) if peak.isdigit() else None,
            "executor_line": next((line for line in r.stderr.splitlines() if line.startswith("executor:")), "")}


def time_modes(runs, modes, args, address, times: dict, starts: dict, reference=None):
    """Every mode ``--repeats`` times, interleaved, into ``times``; rows checked against ``reference``
    (default: the first mode's). Returns (reference, whether every mode's rows were identical)."""
    from pandas.testing import assert_frame_equal

    from acsim.runs import batch as B

    identical = True
    for rep in range(args.repeats):
        for name, executor, together in modes:
            joins = executor == "ray, running cluster"
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                res = B.execute(runs, Path(tmp), "ray" if joins else executor, jobs=None if executor == "serial" else args.jobs,
                                address=address if joins else None, progress=False, log=None, together=together)
                wall = time.perf_counter() - t0
            assert res.computed == len(runs) and not res.failed
            times[name].append(wall)
            starts[name] |= {i.get("start_method") for i in res.infos.values()} - {None}
            if reference is None:
                reference = res.frames
            else:
                for rid, frame in reference.items():
                    try:
                        assert_frame_equal(frame, res.frames[rid], check_exact=True)
                    except AssertionError:
                        identical = False
            print(f"  repeat {rep + 1}: {name:34s} {wall:7.2f} s", flush=True)
    return reference, identical


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=125, help="quickstart seeds per sweep point (8 points: 125 → 1,000 runs)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes / Ray CPUs")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--no-grid", action="store_true", help="skip the 10,000-run investment grid")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    from acsim.runs import batch as B
    from acsim.runs.outputs import package_versions
    from acsim.runs.scenarios import load_scenario

    calib = machine_parallelism(args.jobs)
    print(f"machine: {args.jobs} CPU-bound processes at once run {calib['effective_speedup']}× faster than one after another", flush=True)
    runs = load_scenario("quickstart", overrides={"seeds": args.seeds}).runs()
    print(f"quickstart × {args.seeds} seeds: {len(runs)} runs; {args.jobs} workers; {args.repeats} repeats", flush=True)
    modes = [(f"{ex}{'' if together else ', one by one'}", ex, together)
             for ex in ("serial", "local", *(() if args.no_ray else ("ray",))) for together in (True, False)]
    # Then, with a cluster up (its idle processes share the cores), the pool again beside it.
    beside = [] if args.no_ray else [("local, beside the running cluster", "local", True),
                                     *((f"ray, running cluster{'' if t else ', one by one'}", "ray, running cluster", t)
                                       for t in (True, False))]
    times: dict[str, list[float]] = {m: [] for m, _, _ in modes + beside}
    starts: dict[str, set] = {m: set() for m, _, _ in modes + beside}  # how the pool's workers started (fork where safe)
    reference, identical = time_modes(runs, modes, args, None, times, starts)
    if beside:
        with running_ray(args.jobs) as (address, _):
            print(f"  a Ray head is running at {address}", flush=True)
            _, same = time_modes(runs, beside, args, address, times, starts, reference)
        identical = identical and same
    med = {k: statistics.median(v) for k, v in times.items()}

    cli: dict[str, list[dict]] = {"quickstart_1000": [], "investment_grid_10000": []}
    for rep in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            cli["quickstart_1000"].append(command(["run", "quickstart", "--set", f"seeds={args.seeds}", "--no-figures",
                                                   "--no-progress", "--out", f"{tmp}/q"]))
            if not args.no_grid:
                cli["investment_grid_10000"].append(command(["run", "investment_grid", "--no-figures", "--no-progress",
                                                             "--out", f"{tmp}/g"]))
        print(f"  repeat {rep + 1}: acsim run: {json.dumps({k: v[-1] for k, v in cli.items() if v})}", flush=True)

    grid = {}
    if not args.no_grid:  # the grid's batch alone, stepped together, against one model at a time on a sample
        g = load_scenario("investment_grid").runs()
        sample = g[:: max(1, len(g) // 1000)]
        for label, specs, together in (("together, all 10,000", g, True), ("together, 1,000 sample", sample, True),
                                       ("one by one, 1,000 sample", sample, False)):
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                B.execute(specs, Path(tmp), "serial", progress=False, log=None, together=together)
                grid[label] = round(time.perf_counter() - t0, 3)
            print(f"  investment grid batch, serial, {label}: {grid[label]} s", flush=True)

    summary = lambda xs: {"median": round(statistics.median(x["wall_seconds"] for x in xs), 3),  # noqa: E731
                          "all": [x["wall_seconds"] for x in xs], "peak_rss_mb": max((x["peak_rss_mb"] or 0) for x in xs),
                          "executor_line": xs[0]["executor_line"]} if xs else None
    result = {
        "benchmark": "1,000-run quickstart sweep (acsim run quickstart --set seeds=125) and the 10,000-run investment_grid",
        "command": "python benchmarks/sweep.py " + " ".join(sys.argv[1:]),
        "n_runs": len(runs),
        "jobs": args.jobs,
        "repeats": args.repeats,
        "batch_wall_seconds": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "batch_median_wall_seconds": {k: round(v, 3) for k, v in med.items()},
        "ratio_serial_to": {k: round(med["serial"] / v, 3) for k, v in med.items()},
        "pool_start_methods": {k: sorted(v) for k, v in starts.items() if v},
        "one_by_one_pool_speedup_over_serial": round(med["serial, one by one"] / med["local, one by one"], 3),
        "ray_vs_pool": {**{f"ray{k}": round(med[f"ray{k}"] / med[f"local{k}"], 3) for k in ("", ", one by one")},
                        "ray, running cluster": round(med["ray, running cluster"] / med["local, beside the running cluster"], 3)}
        if not args.no_ray else None,
        "identical_rows_across_modes": identical,
        "acsim_run": {k: summary(v) for k, v in cli.items()},
        "investment_grid_batch_serial_seconds": grid or None,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "parallelism": calib},
        "versions": package_versions(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("batch_median_wall_seconds", "ratio_serial_to", "pool_start_methods", "one_by_one_pool_speedup_over_serial",
                                             "ray_vs_pool", "identical_rows_across_modes", "acsim_run",
                                             "investment_grid_batch_serial_seconds")}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":  # required: a process pool spawns its workers where it cannot fork them
    main()
