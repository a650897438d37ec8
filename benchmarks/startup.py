"""Start-up cost of the ``acsim`` command and of a training process, as ratios to ``python -c pass``.

Every command is a fresh process, run ``--repeats`` times interleaved (one of each in
turn, so load on the machine hits all alike); reported: the median wall time of each and
its ratio to ``python -c pass`` measured in the same loop. ``python -X importtime`` then
says what each one imports: the modules a command must not load (numpy and pandas for
``--help``, matplotlib for ``bounds --no-plot``, ``scipy.stats`` for a beta quantile,
``torch._dynamo`` for the bow firm's default training) and the largest imports.

    python benchmarks/startup.py                  # 15 repeats, results/startup.json
    python benchmarks/startup.py --repeats 5
    PYTHONPATH=../old python benchmarks/startup.py --out /tmp/startup_old.json   # an older checkout
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "startup.json"
PY = sys.executable
_BOW = ("from acsim.platform.data import load_dataset; from acsim.platform.learners import make_learner; "
        "tr, te = load_dataset('synthetic', n_train=300, n_test=50); make_learner('bow', seed=0).fit(tr)")
_XI = "import numpy as np; from acsim.platform.strategies import estimate_xi; estimate_xi(np.zeros(1000, bool))"
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [PY, "-c", "pass"],
    "acsim --help": [PY, "-m", "acsim", "--help"],
    "acsim --version": [PY, "-m", "acsim", "--version"],
    "acsim bounds --no-plot": [PY, "-m", "acsim", "bounds", "--no-plot"],
    "beta quantile (estimate_xi)": [PY, "-c", _XI],
    "bow fit, 300 resumes": [PY, "-c", _BOW],
    # The whole quickstart (24 theory-firm runs), each time into a new folder ({out}): its
    # scenario's bow and gpu variants are checked at load, without loading torch.
    "acsim run quickstart": [PY, "-m", "acsim", "run", "quickstart", "--no-figures", "--no-progress", "--out", "{out}"],
}
MUST_NOT = {
    "acsim --help": ("numpy", "pandas", "torch", "matplotlib", "typer.rich_utils"),
    "acsim bounds --no-plot": ("matplotlib",),
    "beta quantile (estimate_xi)": ("scipy.stats",),
    "bow fit, 300 resumes": ("torch._dynamo",),
    "acsim run quickstart": ("torch", "transformers"),
}


def _fresh(cmd: list[str]) -> list[str]:
    """``cmd`` with ``{out}`` replaced by a new folder (a rerun into the old one would only resume)."""
    import tempfile

    return [tempfile.mkdtemp(prefix="acsim-startup-") + "/out" if c == "{out}" else c for c in cmd]


def wall(cmd: list[str]) -> float:
    cmd = _fresh(cmd)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def imports(cmd: list[str], top: int = 6) -> tuple[set[str], list[tuple[str, float]]]:
    """The modules ``cmd`` imports and its ``top`` largest imports (cumulative ms)."""
    cmd = _fresh(cmd)
    r = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], capture_output=True, text=True, check=True)
    rows = []
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cum, name = line.split("|")
            if cum.strip().isdigit():
                rows.append((name[1:], int(cum.strip()) / 1000))  # name keeps its nesting indent
    outer = [(n, ms) for n, ms in rows if not n.startswith(" ")]
    return {n.strip() for n, _ in rows}, sorted(outer, key=lambda x: -x[1])[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--out", type=Path, default=RESULTS, help="JSON file (e.g. for a run against an older checkout on PYTHONPATH)")
    args = ap.parse_args()
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for _ in range(args.repeats):
        for name, cmd in COMMANDS.items():
            times[name].append(wall(cmd))
    base = statistics.median(times["python -c pass"])
    out: dict = {"repeats": args.repeats, "python": sys.version.split()[0], "commands": {}}
    print(f"{'command':32} {'median s':>9} {'× python -c pass':>17}  imports it must not load / largest imports (ms)")
    for name, cmd in COMMANDS.items():
        med = statistics.median(times[name])
        mods, largest = imports(cmd)
        loaded = [m for m in MUST_NOT.get(name, ()) if m in mods]
        out["commands"][name] = {"median_s": med, "all_s": times[name], "ratio": med / base,
                                 "must_not_import": list(MUST_NOT.get(name, ())), "imported_anyway": loaded,
                                 "largest_imports_ms": largest}
        check = ("LOADS " + ", ".join(loaded)) if loaded else ("none of " + ", ".join(MUST_NOT[name]) if name in MUST_NOT else "")
        print(f"{name:32} {med:9.3f} {med / base:17.2f}  {check}; " + ", ".join(f"{n} {ms:.0f}" for n, ms in largest[:3]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
