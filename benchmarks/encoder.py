"""The frozen-encoder firm's costs (issue 12, item 4): a cold embedding of the 25k default
corpus, a warm refit, and what one ABM round costs when the collective rewrites resumes.

    python benchmarks/encoder.py          # writes benchmarks/results/encoder.json

Embeddings persist in $ACSIM_CACHE/embeddings (default ~/.cache/acsim): run it with an
empty cache to time the cold embedding (the script says how many texts it embedded).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from acsim.platform.data.synthetic import synthetic_resumes
from acsim.platform.learners import make_learner
from acsim.platform.metrics import clean_metrics


def main() -> None:
    res: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "max_length": 128}
    train, test = synthetic_resumes()
    firm = make_learner("encoder")
    t = time.perf_counter()
    firm.fit(train)
    res["cold_fit_seconds"] = time.perf_counter() - t
    res["embedded_train"] = firm.embedded_
    res["texts_per_second"] = firm.embedded_ / max(firm.embed_seconds_, 1e-9)
    res["head_seconds"] = firm.train_seconds_
    t = time.perf_counter()
    res["clean"] = clean_metrics(firm.predict_scores(test), test.labels)
    res["embed_test_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    make_learner("encoder").fit(train)
    res["warm_fit_seconds"] = time.perf_counter() - t
    print(json.dumps(res, indent=2), flush=True)

    from acsim.abm.model import CollectiveActionModel

    model = CollectiveActionModel(firm="encoder", data=(train, test), n_workers=25_000, seed=0, initial_alpha=0.01,
                                  cost_dist="uniform", cost_params={"low": 0.0, "high": 0.3}, principal_probes=0)
    walls = []
    for _ in range(3):
        t = time.perf_counter()
        model.step()
        walls.append(time.perf_counter() - t)
    df = model.datacollector.get_model_vars_dataframe() if hasattr(model, "datacollector") else None
    res["abm_round_seconds"] = walls
    if df is not None:
        res["abm_rounds"] = df[[c for c in ("alpha", "S_inclusion", "S_top1", "accuracy") if c in df.columns]].to_dict("records")
    print(json.dumps({k: res[k] for k in ("abm_round_seconds",)}, indent=2))
    Path("benchmarks/results").mkdir(parents=True, exist_ok=True)
    Path("benchmarks/results/encoder.json").write_text(json.dumps(res, indent=2, default=float))


if __name__ == "__main__":
    main()
