"""Faults and concurrency: workers die with their batch, two batches share one folder, writers never collide.

Every wait here is on state (a file appearing, a process gone, an event), with a
generous deadline, so a loaded machine makes the tests slower, never wrong.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from acsim.runs import batch as B
from acsim.runs.scenarios import parse_scenario
from acsim.runs.store import CLAIMS, atomic_write, claim

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}

SHARE = """
name = "share"
rounds = 20
seeds = 6
[population]
n = 5000
cost = { dist = "uniform", low = 0.05, high = 0.35 }
gamma = { dist = "beta", a = 2.0, b = 2.0 }
[collective]
initial_alpha = 0.03
[firm]
curve = "sigmoid"
midpoint = 0.1
slope = 60
[workers]
temperature = 0.02
[sweep]
"population.gamma.a" = [1.5, 2.0, 2.5]
"""


def _wait_for(cond, timeout: float, what: str, poll: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)  # polling a condition, not a fixed wait


def _children(pid: int) -> set[int]:
    """All descendants of ``pid`` (from /proc)."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, stack = set(), [pid]
    while stack:
        for c in kids.get(stack.pop(), []):
            out.add(c)
            stack.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; it only waits to be reaped


def test_pool_workers_die_when_the_batch_is_killed_9(tmp_path):
    scen = tmp_path / "share.toml"
    scen.write_text(SHARE.replace("seeds = 6", "seeds = 40"))
    out = tmp_path / "out"
    args = [sys.executable, "-m", "acsim", "run", str(scen), "--out", str(out), "--jobs", "2", "--no-figures", "--no-progress"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, start_new_session=True)
    workers: set[int] = set()
    try:
        runs = out / "runs"
        _wait_for(lambda: list(runs.glob("*.parquet")) or proc.poll() is not None, 120, "the first chunk of runs")
        assert proc.poll() is None, "the batch ended before it could be killed"
        workers = {p for p in _children(proc.pid) if _alive(p)}
        assert len(workers) >= 2  # the pool's two workers (and multiprocessing's resource tracker)
        os.kill(proc.pid, signal.SIGKILL)  # the parent alone, as `kill -9 PID` does
        proc.wait(timeout=30)
        _wait_for(lambda: not any(_alive(p) for p in workers), 30, "the pool workers to exit")
        n = len(B.read_runs(out))
        assert n < 120, "the workers went on with the batch after their parent died"
    finally:
        for p in workers:  # never leave a process behind, even when the test fails
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow  # ~13 s, three CLI batches; the claim tests below are the fast lane's
def test_two_batches_on_one_folder_share_the_runs_and_end_with_one_batchs_tables(tmp_path):
    scen = tmp_path / "share.toml"
    scen.write_text(SHARE)
    total = len(parse_scenario(SHARE, scen).runs())
    assert total == 18
    out = tmp_path / "out"
    args = [sys.executable, "-m", "acsim", "run", str(scen), "--out", str(out), "--jobs", "1", "--no-figures", "--no-progress"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    computed = []
    for p, (stdout, stderr) in zip(procs, results):
        assert p.returncode == 0, stderr
        line = next(s for s in stdout.splitlines() if " runs computed, " in s)
        computed.append(int(line.split()[0]))
    # Every run computed exactly once between the two (the other reused it). A batch claims
    # a whole chunk before computing it, so which batch computes how many depends on timing.
    assert sum(computed) == total, (computed, [r[1] for r in results])
    runs = out / "runs"
    assert len(B.read_runs(out)) == total and not [p for p in runs.glob(".*") if p.name != CLAIMS]  # no lock or temporary file left
    shared = pd.read_parquet(out / "rounds.parquet")

    alone = tmp_path / "alone"
    r = subprocess.run([*args[:5], "--out", str(alone), *args[7:]], capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr
    assert_frame_equal(shared, pd.read_parquet(alone / "rounds.parquet"))
    # The summary also says how each run went (wall time, pid): only the numbers must agree.
    how = ["wall_seconds", "host", "pid", "executor", "started_at", "finished_at", "status"]
    a, b = (pd.read_parquet(d / "summary.parquet") for d in (out, alone))
    assert_frame_equal(a.drop(columns=how, errors="ignore"), b.drop(columns=how, errors="ignore"))


def test_a_run_claimed_elsewhere_is_waited_for_and_read_not_recomputed(tmp_path):
    loaded = parse_scenario(SHARE.replace("seeds = 6", "seeds = 1"), tmp_path / "s.toml")
    runs = loaded.runs()
    out = tmp_path / "out"
    held = claim(B._run_path(out, runs[0].run_id))  # "another process" holds run 0
    assert held is not None
    finished = threading.Event()
    result: dict = {}

    def batch() -> None:
        result["r"] = B.execute(runs, out, "serial", progress=False, log=None)
        finished.set()

    t = threading.Thread(target=batch)
    t.start()
    # The batch computes the others, then waits for run 0: write it "elsewhere" and let go.
    _wait_for(lambda: set(B.read_runs(out)) >= {r.run_id for r in runs[1:]}, 120, "the unclaimed runs")
    assert not finished.is_set()
    other = B.execute(runs[:1], None, "serial", progress=False, log=None)
    B.write_run(out, runs[0], other.frames[runs[0].run_id], {"wall_seconds": 0.0})
    held.release(remove=True)
    assert finished.wait(120)
    t.join()
    r = result["r"]
    assert r.complete and r.computed == len(runs) - 1 and r.infos[runs[0].run_id]["status"] == "reused"


def test_a_run_whose_claimer_died_is_computed_here(tmp_path):
    loaded = parse_scenario(SHARE.replace("seeds = 6", "seeds = 1"), tmp_path / "s.toml")
    runs = loaded.runs()
    out = tmp_path / "out"
    lock_holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from acsim.runs.store import claim; c = claim(sys.argv[1]); print('held', flush=True); "
         "sys.stdin.read()", str(B._run_path(out, runs[0].run_id))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert lock_holder.stdout.readline().strip() == "held"
        assert claim(B._run_path(out, runs[0].run_id)) is None
        os.kill(lock_holder.pid, signal.SIGKILL)  # dies holding the claim: the kernel drops it
        lock_holder.wait(timeout=30)
    finally:
        if lock_holder.poll() is None:
            lock_holder.kill()
    r = B.execute(runs, out, "serial", progress=False, log=None)
    assert r.complete and r.computed == len(runs)


def test_two_writers_of_one_file_never_share_a_temporary_file(tmp_path):
    target = tmp_path / "run.parquet"
    first_written, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow(tmp: Path) -> None:
        tmp.write_bytes(b"first")
        first_written.set()
        assert second_done.wait(60)  # the second writer writes and replaces meanwhile

    def first() -> None:
        try:
            atomic_write(target, slow)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t = threading.Thread(target=first)
    t.start()
    assert first_written.wait(60)
    atomic_write(target, lambda tmp: tmp.write_bytes(b"second"))
    assert target.read_bytes() == b"second"
    second_done.set()
    t.join(60)
    assert not errors, errors  # the old fixed temporary name raised FileNotFoundError here
    assert target.read_bytes() == b"first"  # the last replace wins, whole
    assert [p.name for p in tmp_path.iterdir()] == ["run.parquet"]


def test_a_claim_is_exclusive_and_released():
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.parquet"
        a = claim(path)
        assert a is not None and claim(path) is None
        a.release()
        b = claim(path)
        assert b is not None
        b.release(remove=True)
        assert [p.name for p in Path(d).iterdir()] in ([], [CLAIMS])  # per-run lock files are removed; the one claims file stays


@pytest.mark.parametrize("executor", ["serial", "local"])
def test_each_executor_claims_runs(tmp_path, executor):
    loaded = parse_scenario(SHARE.replace("seeds = 6", "seeds = 1"), tmp_path / "s.toml")
    runs = loaded.runs()
    out = tmp_path / "out"
    held = [claim(B._run_path(out, r.run_id)) for r in runs]
    # Every run is held elsewhere and that "process" finishes none: the batch waits for
    # each, finds it unfinished once the claim drops, and computes it itself.
    releaser = threading.Timer(0.0, lambda: [h.release() for h in held])
    started = threading.Event()

    def log(msg: str) -> None:
        if msg.startswith("waiting for"):
            started.set()
            releaser.start()

    r = B.execute(runs, out, executor, jobs=1, progress=False, log=log)
    assert started.is_set() and r.complete and r.computed == len(runs)
