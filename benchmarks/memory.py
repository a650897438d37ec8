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
    "import acsim.abm.model (baseline)": "import acsim.abm.model",
    "import acsim.abm.model and torch (baseline of the bow case)": "import acsim.abm.model, torch",
    "100k workers, theory firm, 5 rounds": (
        "from acsim.abm.model import CollectiveActionModel, ModelParams\n"
        "m = CollectiveActionModel(ModelParams(n_workers=100_000, firm='theory', principal='cheapest', seed=0))\n"
        "m.run(5)"
    ),
    "100k workers, bow firm on the 25k default corpus, 2 rounds": (
        "from acsim.abm.model import CollectiveActionModel, ModelParams\n"
        "m = CollectiveActionModel(ModelParams(n_workers=100_000, firm='bow', initial_alpha=0.01, seed=0))\n"
        "m.run(2)"
    ),
}
TRANSFORMER = (
    "import torch\n"
    "from acsim.platform.data import synthetic_resumes\n"
    "from acsim.platform.learners.transformer import TransformerLearner\n"
    "train, test = synthetic_resumes()\n"
    "steps = {steps} if {steps} is not None else (None if torch.cuda.is_available() else 20)\n"
    "l = TransformerLearner(epochs=1, max_length=256, max_steps=steps).fit(train)\n"
    "if torch.cuda.is_available(): print('gpu_peak_mib', torch.cuda.max_memory_allocated() / 2**20)\n"
    "print('steps', l.n_steps_, 'batch', l.batch_size_, 'device', l.device_)"
)


def peak_rss_mib(code: str) -> tuple[float, float, list[str]]:
    probe = (
        "import resource, time\nt = time.perf_counter()\n" + code +
        "\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *said, last = out.stdout.strip().splitlines()
    rss, secs = last.split()
    return float(rss), float(secs), said


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transformer", action="store_true", help="also the 25k-resume transformer run")
    ap.add_argument("--transformer-steps", default=None, type=int,
                    help="stop the transformer run after this many steps (default: a full epoch on a GPU, "
                    "20 steps on a CPU; every later step repeats the same work, so the peak is reached early)")
    ap.add_argument("--out", default="benchmarks/results/memory.json")
    args = ap.parse_args()
    cases = dict(CASES)
    if args.transformer:
        # torch is not imported here: a child's ru_maxrss starts from its parent's peak RSS
        # (Linux keeps the high-water mark across exec), so a heavy parent inflates every case.
        steps = args.transformer_steps
        what = "an epoch on a GPU, 20 steps on a CPU" if steps is None else f"the first {steps} steps"
        cases[f"transformer firm, 25k resumes x 256 tokens ({what})"] = TRANSFORMER.format(steps=steps)
    res = {"machine": f"{platform.machine()}, Python {platform.python_version()}", "cases": {}}
    for name, code in cases.items():
        rss, secs, said = peak_rss_mib(code)
        res["cases"][name] = {"peak_rss_mib": round(rss, 1), "seconds": round(secs, 2), **({"printed": said} if said else {})}
        print(f"{name:62s} {rss:9.1f} MiB  {secs:7.2f} s  {' '.join(said)}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
