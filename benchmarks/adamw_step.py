"""One AdamW step over the transformer firm's parameters: torch's default, ``foreach`` and ``fused``, on this CPU.

The learner's optimiser (``acsim.platform.learners._optim.finetune_adamw``) with MiniLM's
22.7 M parameters in its two weight-decay groups, random gradients; each kind 12 steps, the
median of the last 10, twice interleaved. Results: ``benchmarks/results/adamw_step.json``.

    python benchmarks/adamw_step.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from acsim.platform.learners._optim import param_groups  # noqa: E402
from acsim.platform.learners.pretrained import resolve_model_path  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "adamw_step.json"


def main() -> None:
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(str(resolve_model_path(None)), num_labels=10, local_files_only=True)
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    times: dict[str, list[float]] = {"default": [], "foreach": [], "fused": []}
    for _ in range(2):
        for kind in times:
            opt = torch.optim.AdamW(param_groups(model, 0.01), lr=1e-5, **({} if kind == "default" else {kind: True}))
            steps = []
            for _ in range(12):
                t0 = time.perf_counter()
                opt.step()
                steps.append(time.perf_counter() - t0)
            times[kind].append(1e3 * statistics.median(steps[2:]))
    result = {"command": "python benchmarks/adamw_step.py", "torch": torch.__version__, "threads": torch.get_num_threads(),
              "parameters": sum(p.numel() for p in model.parameters()),
              "step_ms": {k: [round(x, 1) for x in v] for k, v in times.items()}}
    print(json.dumps(result, indent=1))
    OUT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
