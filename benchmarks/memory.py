"""Peak resident memory of acsim's large runs (issue 7, item 5).

    python benchmarks/memory.py      # writes benchmarks/results/memory.json

Each case runs in a fresh Python process and reports its peak RSS (ru_maxrss); the
baseline case only imports acsim, torch and the model, so differences are what the
run itself holds (the theory firm never imports torch; the text firms do). The transformer case (25k resumes, GPU) is run only with --transformer.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

CASES = {
    "import acsim.model (baseline)": "import acsim.model",
    "import acsim.model and torch (baseline of the bow case)": "import acsim.model, torch",
    "100k workers, theory firm, 5 rounds": (
        "from acsim.model import CollectiveActionModel, ModelParams\n"
        "m = CollectiveActionModel(ModelParams(n_workers=100_000, firm='theory', principal='cheapest', seed=0))\n"
        "m.run(5)"
    ),
    "100k workers, bow firm on the 25k default corpus, 2 rounds": (
        "from acsim.model import CollectiveActionModel, ModelParams\n"
        "m = CollectiveActionModel(ModelParams(n_workers=100_000, firm='bow', initial_alpha=0.01, seed=0))\n"
        "m.run(2)"
    ),
}
TRANSFORMER = (
    "from acsim.data import synthetic_resumes\n"
    "from acsim.learners.transformer import TransformerLearner\n"
    "train, test = synthetic_resumes()\n"
    "TransformerLearner(epochs=1, max_length=256).fit(train)"
)


def peak_rss_mib(code: str) -> tuple[float, float]:
    probe = (
        "import resource, time\nt = time.perf_counter()\n" + code +
        "\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    rss, secs = out.stdout.strip().splitlines()[-1].split()
    return float(rss), float(secs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transformer", action="store_true", help="also the 25k-resume transformer epoch (GPU advised)")
    ap.add_argument("--out", default="benchmarks/results/memory.json")
    args = ap.parse_args()
    cases = dict(CASES)
    if args.transformer:
        cases["transformer firm, 25k resumes x 256 tokens, 1 epoch"] = TRANSFORMER
    res = {"machine": f"{platform.machine()}, Python {platform.python_version()}", "cases": {}}
    for name, code in cases.items():
        rss, secs = peak_rss_mib(code)
        res["cases"][name] = {"peak_rss_mib": round(rss, 1), "seconds": round(secs, 2)}
        print(f"{name:62s} {rss:9.1f} MiB  {secs:7.2f} s")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
