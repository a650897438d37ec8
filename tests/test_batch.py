"""Batches: outputs, resuming, SIGKILL safety, and identical results on every executor.

Every run here is tiny (the theory firm: S(α) is a known curve, nothing is trained),
so the whole file stays well under a minute on two cores.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from acsim.runs import batch as B
from acsim.runs.store import CLAIMS
from acsim.runs.scenarios import parse_scenario

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
PNG = b"\x89PNG\r\n\x1a\n"

# Random draws in every stage (costs, network, initial members, logit choices, random
# principal): any executor-dependent randomness would show up in the rows.
SMALL = """
name = "small"
rounds = 6
seeds = [0, 1]
[population]
n = 400
cost = { dist = "uniform", low = 0.05, high = 0.35 }
gamma = { dist = "beta", a = 2.0, b = 2.0 }
network = { kind = "erdos_renyi", mean_degree = 6 }
[collective]
initial_alpha = 0.03
[firm]
curve = "sigmoid"
midpoint = 0.1
slope = 60
[workers]
temperature = 0.02
[principal]
policy = "random"
budget = 5.0
recruits_per_round = 10
[sweep]
"collective.initial_selection" = ["random", "hubs"]
"""


def small(tmp_path: Path, text: str = SMALL):
    path = tmp_path / "small.toml"
    path.write_text(text)
    return parse_scenario(text, path)


def acsim(*args, env: dict[str, str | None] | None = None, **kw):
    # The environment as of now: a Ray driver in this process has set RAY_AUTH_MODE=token,
    # which a client of its token-authenticated cluster needs too. ``env``: changes (None: unset).
    full = {**os.environ, "HF_HUB_OFFLINE": "1"}
    for key, value in (env or {}).items():
        full.pop(key, None) if value is None else full.__setitem__(key, value)
    return subprocess.run([sys.executable, "-m", "acsim", *args], capture_output=True, text=True, env=full, timeout=300, **kw)


def frames_by_id(out: Path) -> dict[str, pd.DataFrame]:
    return B.read_runs(out)


# --------------------------------------------------------------------------- outputs


def test_run_writes_rows_summary_manifest_and_figures(tmp_path):
    loaded = small(tmp_path)
    out = tmp_path / "out"
    result, paths = B.run_scenario(loaded, out, executor="serial", progress=False, log=None)
    runs = loaded.runs()
    assert result.computed == len(runs) == 4 and result.skipped == 0
    rounds = pd.read_parquet(out / "rounds.parquet")
    assert len(rounds) == 4 * 6
    assert list(rounds.columns[:4]) == ["run_id", "point_index", "seed", "collective.initial_selection"]
    assert set(rounds["run_id"]) == {r.run_id for r in runs}
    csv = pd.read_csv(out / "rounds.csv")
    assert len(csv) == len(rounds) and list(csv.columns) == list(rounds.columns)
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == 4 and pd.read_csv(out / "summary.csv").shape == summary.shape
    assert set(summary["outcome"]) <= {"unravelled", "partial", "everyone"}
    assert {"alpha_final", "spend_total", "B_crit_total", "wall_seconds", "principal_status"} <= set(summary.columns)
    last = rounds.groupby("run_id").tail(1).set_index("run_id")
    s = summary.set_index("run_id")
    assert (s["alpha_final"] == last.loc[s.index, "alpha_end"]).all()
    # every share beside the members it is (issue 15): N·α, and the principal's k_crit
    assert (s["members_final"] == last.loc[s.index, "members_end"]).all()
    assert (s["members_final"] == (s["alpha_final"] * s["n_workers"]).round()).all()
    assert (s["members_crit"] == last.loc[s.index, "members_crit"]).all()

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario_name"] == "small" and manifest["n_runs"] == 4 and manifest["seeds"] == [0, 1]
    assert manifest["scenario"]["population"]["n"] == 400  # as resolved, defaults filled in
    assert manifest["scenario"]["workers"]["belief"] == "empirical"
    assert manifest["versions"]["acsim"] and manifest["versions"]["mesa"] and manifest["versions"]["python"]
    assert "git" in manifest and manifest["wall_seconds"] > 0
    assert all(r["wall_seconds"] > 0 and r["file"].startswith("runs/") for r in manifest["runs"])
    for name in ("alpha.png", "success.png", "s_alpha.png"):
        data = (out / name).read_bytes()
        assert data[:8] == PNG and len(data) > 10_000, name
    assert not list(out.rglob(".*.tmp"))


def test_rerun_skips_finished_runs_and_recomputes_nothing(tmp_path):
    loaded = small(tmp_path)
    out = tmp_path / "out"
    B.run_scenario(loaded, out, executor="serial", progress=False, log=None)
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    lines: list[str] = []
    result, _ = B.run_scenario(loaded, out, executor="serial", progress=False, log=lines.append)
    assert result.computed == 0 and result.skipped == 4
    assert lines == [f"skipped 4 finished runs (already in {out / 'runs'})"]
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_run_files_of_another_run_schema_are_recomputed_and_said_not_mixed_in(tmp_path, monkeypatch):
    """A batch folder written when run ids meant something else (store.RUN_SCHEMA) is not
    half-resumed: every run is computed again, and the old files are named as unused."""
    from acsim.runs import store

    loaded = small(tmp_path)
    out = tmp_path / "out"
    monkeypatch.setattr(store, "RUN_SCHEMA", "acsim-run-old")
    old, _ = B.run_scenario(loaded, out, executor="serial", progress=False, log=None, figures=False)
    monkeypatch.undo()
    lines: list[str] = []
    new, _ = B.run_scenario(loaded, out, executor="serial", progress=False, log=lines.append, figures=False)
    assert new.computed == 4 and new.skipped == 0 and not set(old.frames) & set(new.frames)
    assert lines == [f"4 finished runs in {out / 'runs'} belong to no run of this batch (other settings, or an earlier "
                     "acsim whose runs meant something else); kept, not used"]


def test_a_failing_run_loses_no_other_run_and_is_retried(tmp_path):
    good = B.RunSpec.make("model", {"n_workers": 200, "rounds": 2}, 0)
    bad = B.RunSpec.make("model", {"n_workers": 200, "rounds": 2, "initial_alpha": 7.0}, 0)
    result = B.execute([good, bad], tmp_path, executor="serial", progress=False, log=None)
    assert set(result.failed) == {bad.run_id} and "initial_alpha" in result.failed[bad.run_id] \
        and "[0, 1]" in result.failed[bad.run_id]  # the model's own words (its schema names the field and the range)
    assert B._finished(tmp_path / "runs" / f"{good.run_id}.parquet")
    again = B.execute([good, bad], tmp_path, executor="serial", progress=False, log=None)
    assert again.skipped == 1 and set(again.failed) == {bad.run_id}


# --------------------------------------------------------------------------- executors


def test_local_process_pool_gives_the_same_rows_as_serial(tmp_path):
    loaded = small(tmp_path)
    serial = B.execute(loaded.runs(), tmp_path / "serial", "serial", progress=False, log=None)
    from acsim.runs.tasks import start_method

    method = start_method(loaded.runs())  # fork in a one-thread process, spawn beside other threads
    pool = B.execute(loaded.runs(), tmp_path / "local", "local", jobs=2, progress=False, log=None)
    assert pool.computed == 4 and {i["executor"] for i in pool.infos.values()} == {"local"}
    assert {i["start_method"] for i in pool.infos.values()} == {method}
    assert len({i["pid"] for i in pool.infos.values()} - {os.getpid()}) >= 1  # really other processes
    for rid, frame in serial.frames.items():
        assert_frame_equal(frame, pool.frames[rid])
    # ... and what was written is what was computed.
    for rid, frame in frames_by_id(tmp_path / "local").items():
        assert_frame_equal(frame, serial.frames[rid])


FORK_CHECK = """
import sys, threading
from pathlib import Path
from acsim.runs import batch as B
from acsim.runs.scenarios import load_scenario
from acsim.runs.tasks import start_method

import torch  # loaded (a caller's own import): the children never call it
runs = load_scenario("quickstart", overrides={"seeds": 4}).runs()
bow = [B.RunSpec.make("model", {"n_workers": 200, "rounds": 2, "firm": "bow"}, 0)]
before = start_method(runs), start_method(bow)
pool = B.execute(runs, Path(sys.argv[1]) / "local", "local", jobs=2, progress=True, log=None)  # the tqdm bar on
serial = B.execute(runs, None, "serial", progress=False, log=None)
ev = threading.Event()
t = threading.Thread(target=ev.wait)
t.start()
beside = start_method(runs)
ev.set()
t.join()
print(before, {i["start_method"] for i in pool.infos.values()}, beside,
      all(pool.frames[r].equals(serial.frames[r]) for r in serial.frames), len(serial.frames))
"""


def test_the_pool_forks_a_one_thread_process_for_cheap_runs_and_spawns_otherwise(tmp_path):
    """Forked workers start with acsim loaded (the 1,000-run sweep 2.2 s against 3.6 s spawned);
    only where nothing can break: one Python thread, no run that trains (torch may be loaded)."""
    r = subprocess.run([sys.executable, "-c", FORK_CHECK, str(tmp_path)], capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[0] == "('fork', 'spawn') {'fork'} spawn True 32", r.stdout


@pytest.fixture(scope="module")
def ray_cluster():
    import ray  # a hard requirement of this test: Ray must be installed, never skipped

    # Two GPUs declared (there are none): Ray schedules by the resources it is told about, which
    # is what a cluster of GPU machines looks like to the driver.
    ray.init(address="local", num_cpus=4, num_gpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


@pytest.mark.slow  # ~9 s to start Ray
def test_ray_gives_the_same_rows_as_the_process_pool_and_the_cli_reaches_a_cluster(tmp_path, ray_cluster):
    loaded = small(tmp_path)
    local = B.execute(loaded.runs(), tmp_path / "local", "local", jobs=2, progress=False, log=None)
    ray_res, _ = B.run_scenario(loaded, tmp_path / "ray", executor="ray", progress=False, log=None)
    assert ray_res.computed == 4 and {i["executor"] for i in ray_res.infos.values()} == {"ray"}
    assert ray_cluster.is_initialized()  # a cluster it did not start is left running
    for rid, frame in local.frames.items():
        assert_frame_equal(frame, ray_res.frames[rid])
    assert_frame_equal(frames_by_id(tmp_path / "ray")[rid], local.frames[rid])

    # The command line joins an existing cluster with --address (here: the test's own).
    address = ray_cluster.get_runtime_context().gcs_address
    out = tmp_path / "cli"
    r = acsim("run", str(tmp_path / "small.toml"), "--out", str(out), "--address", address, "--no-figures", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "4 runs computed" in r.stdout and "(ray," in r.stdout
    for rid, frame in frames_by_id(out).items():
        assert_frame_equal(frame, local.frames[rid])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["executor"] == "ray" and manifest["ray_address"] == address


@pytest.fixture
def started_ray():
    """A Ray head as `ray start --head` makes one (it writes ray_current_cluster, which a bare
    ray.init() joins), in a temp dir of its own: benchmarks/sweep.py's running_ray, 1 CPU."""
    spec = importlib.util.spec_from_file_location("sweep", ROOT / "benchmarks" / "sweep.py")
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    with sweep.running_ray(1) as (_, tmp):
        yield tmp


@pytest.mark.slow  # a `ray start` head and a Ray of the command's own (~15 s)
def test_a_ray_batch_without_an_address_starts_its_own_ray_beside_a_running_one_and_ray_address_joins_it(
        tmp_path, ray_cluster, started_ray):
    """`--executor ray --jobs 2` beside a `ray start` head (1 CPU) starts a private Ray of 2 CPUs,
    as documented, instead of joining that head (a bare ray.init() would, and then refuse
    --jobs); RAY_ADDRESS (what `ray job submit` sets) joins its cluster (the test's: 4 CPUs,
    2 GPUs) and the manifest names it."""
    small(tmp_path)
    flags = ("--executor", "ray", "--no-figures", "--no-progress")
    own = acsim("run", str(tmp_path / "small.toml"), "--out", str(tmp_path / "own"), "--jobs", "2", *flags,
                env={"RAY_ADDRESS": None, "RAY_TMPDIR": started_ray})
    assert own.returncode == 0, own.stderr
    assert "ray: 2 CPUs, 0 GPUs in the cluster" in own.stderr, own.stderr
    # what its own Ray cost, measured, and that the pool is faster for a batch this small
    assert re.search(r"ray: a private local Ray, started in \d+\.\d s .*--executor local \(a process pool\) is faster here",
                     own.stderr), own.stderr
    assert json.loads((tmp_path / "own" / "manifest.json").read_text())["ray_address"] is None
    address = ray_cluster.get_runtime_context().gcs_address
    joined = acsim("run", str(tmp_path / "small.toml"), "--out", str(tmp_path / "joined"), *flags, env={"RAY_ADDRESS": address})
    assert joined.returncode == 0, joined.stderr
    assert "ray: 4 CPUs, 2 GPUs in the cluster" in joined.stderr, joined.stderr
    assert "private local Ray" not in joined.stderr and "is faster here" not in joined.stderr  # a cluster's start is not this command's
    assert json.loads((tmp_path / "joined" / "manifest.json").read_text())["ray_address"] == address
    for rid, frame in frames_by_id(tmp_path / "own").items():
        assert_frame_equal(frame, frames_by_id(tmp_path / "joined")[rid])
    assert ray_cluster.cluster_resources()["CPU"] == 4  # the running clusters were left as they were


def test_a_private_ray_says_what_it_cost_and_points_small_cheap_batches_to_the_pool():
    """The note a Ray of the command's own prints: its measured start, and the pool's advice only
    while the estimated work is under 15 starts' worth (tasks.estimated_work); training runs are
    not estimated, so they never get it."""
    from acsim.runs.executors import _private_ray_note
    from acsim.runs.tasks import estimated_work

    cheap = [B.RunSpec.make("model", {"n_workers": 10_000, "rounds": 20}, seed) for seed in range(100)]
    work = estimated_work(cheap)
    assert work is not None and 0 < work
    assert "started in 3.0 s" in _private_ray_note(cheap, 3.0)
    assert "is faster here" in _private_ray_note(cheap, work / 14)
    assert "is faster here" not in _private_ray_note(cheap, work / 16)
    trainings = [B.RunSpec.make("model", {"firm": "bow"}, seed) for seed in range(2)]
    assert estimated_work(trainings) is None
    assert "is faster here" not in _private_ray_note(trainings, 100.0)


def test_transformer_runs_reserve_a_gpu():
    cpu = B.RunSpec.make("model", {"firm": "bow"}, 0)
    gpu = B.RunSpec.make("model", {"firm": "transformer"}, 0)
    exp = B.RunSpec.make("experiment", {"learner": "transformer"}, 0)
    assert (cpu.gpu, gpu.gpu, exp.gpu) == (False, True, True)


@pytest.mark.slow  # three tiny transformer trainings (~10 s each, two at a time)
def test_ray_runs_gpu_runs_at_most_one_per_gpu(tmp_path, ray_cluster):
    """Transformer runs ask Ray for one GPU each: on a Ray declaring 2 GPUs and 4 CPUs, never
    more than 2 of 3 runs are in flight at once (the CPUs alone would let all 3 start)."""
    from datetime import datetime

    params = {"n_workers": 16, "firm": "transformer", "firm_params": {"epochs": 1, "max_length": 32},
              "data_params": {"n_train": 16, "n_test": 8}, "initial_alpha": 0.1, "rounds": 1}
    specs = [B.RunSpec.make("model", params, seed) for seed in range(3)]
    assert ray_cluster.cluster_resources()["GPU"] == 2 and ray_cluster.cluster_resources()["CPU"] == 4
    res = B.execute(specs, tmp_path / "gpu", "ray", progress=False, log=None)
    assert res.complete and {i["executor"] for i in res.infos.values()} == {"ray"}
    spans = []  # (start, end) of each run, as its worker recorded them (one machine: one clock)
    for info in res.infos.values():
        start = datetime.fromisoformat(info["started_at"]).timestamp()
        spans.append((start, start + info["wall_seconds"]))
    # how many runs were in flight the moment each one started (itself included)
    in_flight = [sum(1 for a, b in spans if a <= s < b) for s, _ in spans]
    assert max(in_flight) <= 2, spans


# --------------------------------------------------------------------------- SIGKILL


KILL = """
name = "kill"
rounds = 30
seeds = 15
[population]
n = 100000
cost = { dist = "uniform", low = 0.05, high = 0.35 }
[collective]
initial_alpha = 0.05
[firm]
curve = "sigmoid"
midpoint = 0.1
slope = 60
[workers]
temperature = 0.02
[sweep]
"population.gamma" = [0.3, 0.5]
"""


@pytest.mark.slow  # ~18 s; the fast lane's kill -9 test is tests/test_batch_faults.py
def test_sigkill_halfway_loses_no_finished_run_and_a_rerun_finishes_the_rest(tmp_path):
    scen = tmp_path / "kill.toml"
    scen.write_text(KILL)
    out = tmp_path / "out"
    total = len(parse_scenario(KILL, scen).runs())
    assert total == 30
    args = [sys.executable, "-m", "acsim", "run", str(scen), "--out", str(out), "--jobs", "2", "--no-figures", "--no-progress"]
    # Own session: SIGKILL to the group takes the pool's worker processes down too.
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, start_new_session=True)
    runs = out / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # cheap runs are saved in chunks (one file each): kill after the first
        if list(runs.glob("*.parquet")):
            break
        assert proc.poll() is None, "the batch ended before it could be killed"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    files = sorted(runs.glob("*.parquet"))
    finished = B.read_runs(out)  # every file there is whole and readable: its runs are finished
    assert files and 1 <= len(finished) < total, f"{len(finished)} of {total} runs done: the kill did not land half-way"
    assert not (out / "rounds.parquet").exists()  # aggregates are written only after the last run
    assert all(len(frame) == 30 for frame in finished.values())
    before = {p.name: p.stat().st_mtime_ns for p in files}

    r = subprocess.run(args, capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr
    skipped = [line for line in r.stderr.splitlines() if line.startswith("skipped ")]
    assert skipped and int(skipped[0].split()[1]) == len(finished)
    assert f"{total - len(finished)} runs computed" in r.stdout
    # Finished runs were not recomputed: their files are untouched.
    assert {name: (runs / name).stat().st_mtime_ns for name in before} == before
    after = B.read_runs(out)
    assert len(after) == total and not [p for p in runs.glob(".*") if p.name != CLAIMS]
    rounds = pd.read_parquet(out / "rounds.parquet")
    assert rounds["run_id"].nunique() == total and len(rounds) == total * 30

    # And the rows of the interrupted batch are exactly those of one uninterrupted run.
    check = B.execute(parse_scenario(KILL, scen).runs()[:2], None, "serial", progress=False, log=None)
    for rid, frame in check.frames.items():
        assert_frame_equal(after[rid], frame)


TINY_EXPERIMENT = """
name = "tiny_fig3"
kind = "experiment"
seeds = 1
[firm]
kind = "bow"
[data]
source = "synthetic"
n_train = 600
n_test = 150
[experiment]
figure = "fig3"
target = 1
members = [2, 6, 15]
"""


def test_experiment_outputs_are_drawn_from_the_runs_alone(tmp_path, monkeypatch):
    """A finished experiment batch redraws its tables and figure with no corpus loadable: the runs carry the overlay's inputs."""
    from acsim.platform import experiments as X
    from acsim.runs import runner

    loaded = parse_scenario(TINY_EXPERIMENT, tmp_path / "tiny_fig3.toml")
    out = tmp_path / "out"
    first, _ = B.run_scenario(loaded, out, executor="serial", progress=False, log=None, figures=False)
    assert first.computed == 3

    def no_corpus(*args, **kwargs):
        raise AssertionError("outputs loaded a corpus")

    monkeypatch.setattr(runner, "_experiment_data", no_corpus)
    monkeypatch.setattr(runner, "load_dataset", no_corpus)
    monkeypatch.setattr(X, "_load_corpus", no_corpus)
    again, paths = B.run_scenario(loaded, out, executor="serial", progress=False, log=None, preflight=False)
    assert again.computed == 0 and again.skipped == 3
    summary = pd.read_parquet(out / "summary.parquet")
    assert set(X.OVERLAY_COLUMNS) <= set(summary.columns)
    assert (summary["n_train"] == 600).all() and summary["p_hat"].between(0, 1).all()  # feature-only: p̂ recorded
    data = (out / "fig3.png").read_bytes()
    assert paths["fig_0"] == out / "fig3.png" and data[:8] == PNG and len(data) > 10_000


def test_auto_runs_small_cheap_batches_serially_and_large_or_training_ones_on_the_pool(monkeypatch):
    """executor="auto": a pool's start-up (~2 s spawned, ~0.1 s forked, on 2 cores) must be paid back by the work."""
    from acsim.runs import tasks as T
    from acsim.runs.tasks import choose_executor

    def model(n, rounds, firm="theory", seeds=1):
        return [B.RunSpec.make("model", {"n_workers": n, "rounds": rounds, "firm": firm}, s) for s in range(seeds)]

    def network(n, rounds, seeds):  # network beliefs: one model at a time
        return [B.RunSpec.make("model", {"n_workers": n, "rounds": rounds, "network": "barabasi_albert", "belief": "network"}, s)
                for s in range(seeds)]

    quickstart = model(10_000, 20, seeds=24)
    assert choose_executor(quickstart)[0] == "serial"  # 24 runs: ~0.1 s of work
    assert choose_executor(quickstart, 2)[0] == "local"  # --jobs 2 asks for a pool
    if (os.cpu_count() or 1) == 2:
        # stepped together, 1,000 such runs are ~3.4 s: measured 3.3 s serial, 2.2 s on a forked
        # pool, 3.5 s on a spawned one (its workers first import acsim: ~1.5 s)
        monkeypatch.setattr(T, "start_method", lambda todo: "fork")
        assert choose_executor(model(10_000, 20, seeds=1000))[0] == "local"
        assert choose_executor(model(10_000, 20, seeds=100))[0] == "serial"  # ~0.3 s of work
        monkeypatch.setattr(T, "start_method", lambda todo: "spawn")
        assert choose_executor(model(10_000, 20, seeds=1000))[0] == "serial"
        assert choose_executor(model(1000, 10, seeds=20_000))[0] == "local"  # ~12 s stepped together
        assert choose_executor(network(10_000, 20, seeds=1000))[0] == "local"  # ~14 s one model at a time
    if (os.cpu_count() or 1) >= 2:
        assert choose_executor(model(2000, 4, firm="bow", seeds=2))[0] == "local"  # two trainings
    assert choose_executor(network(10_000, 20, seeds=1000), 1)[0] == "serial"  # one core: nothing to share
    result = B.execute(quickstart[:3], None, "auto", progress=False, log=None)
    assert result.executor == "serial" and result.complete
