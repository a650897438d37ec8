"""What a batch checks before any worker starts: every data file opens and fits its runs.

:mod:`acsim.runs.scenarios` checks values; this module opens files. For every distinct data
source among a scenario's runs it loads the data once in this process (a CSV or florex
file in full; a synthetic source, a sample of 200 + 200 resumes that exercises its
options) and checks that each class a run aims at is a class of that data with test
resumes outside it (:func:`acsim.abm.model.check_text_data`, the model's own rule). A
problem raises :class:`acsim.runs.scenarios.ScenarioError`, one line naming the scenario file,
the field and, for a malformed file, the data file, its line and the problem, so
``acsim run`` (and ``--dry-run``) exits 2 before any worker starts instead of every run
failing inside the workers.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from acsim.abm.fields import ParamError
from acsim.abm.text_engine import check_text_data
from acsim.platform.data import DataError, is_synthetic, load_dataset
from acsim.platform.experiments import Curve
from acsim.platform.learners.base import TEXT_LEARNERS
from acsim.runs.runner import experiment_data_params, run_params
from acsim.runs.scenarios import LoadedScenario, ScenarioError, in_file_words

__all__ = ["check_inputs"]

_SAMPLE = 200  # resumes per part when sampling a synthetic source


def check_inputs(loaded: LoadedScenario) -> None:
    """Open every data source the scenario's runs read and check it fits them; ScenarioError if not."""
    where = loaded.where
    seen: dict[str, Any] = {}
    for spec in loaded.runs():
        p = spec.params
        if spec.kind == "model":
            if p.get("firm") not in TEXT_LEARNERS:
                continue
            data = {"source": p.get("data_source", "synthetic"), **(p.get("data_params") or {})}
        else:
            data = experiment_data_params(p["data"], spec.seed)
        key = json.dumps({k: v for k, v in data.items() if k != "seed"}, sort_keys=True, default=str)
        if key not in seen:
            seen[key] = _load(data, where)
        train, test = seen[key]
        if spec.kind == "model":
            try:
                check_text_data(run_params(p, spec.seed), train, test)
            except ParamError as exc:
                raise ScenarioError(f"{in_file_words(exc, where)} ({_describe(data)})") from None
        else:
            target = Curve(**p["curve"]).target
            if not 0 <= target < train.n_classes:
                raise ScenarioError(f"{where}experiment: figure {p['figure']} aims at class {target}, but {_describe(data)} "
                                    f"has {train.n_classes} classes (set experiment.target to one of {', '.join(train.label_names)})")


def _describe(data: dict) -> str:
    return f"data.path = {data['path']!r}" if data.get("path") else f"data.source = {data['source']!r}"


def _load(data: dict, where: str):
    d = dict(data)
    source, path = d.pop("source"), d.pop("path", None)
    if is_synthetic(source):
        # A generator has no file to fail on; a small sample checks its options and classes.
        d.update(n_train=min(int(d.get("n_train", _SAMPLE)), _SAMPLE), n_test=min(int(d.get("n_test", _SAMPLE)), _SAMPLE))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the batch itself reports the loader's notes
            return load_dataset(source, path, **d)
    except (ValueError, TypeError, OSError) as exc:
        # DataError names the data file and line; the prefix names the scenario and field.
        field = "data.path" if path else "data"
        shown = f" = {path!r}" if path and not isinstance(exc, DataError) else ""
        raise ScenarioError(f"{where}{field}{shown}: {exc}") from None
