"""A validated scenario as :class:`acsim.abm.params.ModelParams` fields, and the checks a learner or loader makes of its own settings."""

from __future__ import annotations

import difflib
import functools
import inspect
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acsim.abm.fields import bad
from acsim.abm.params import FINITE_SAMPLE_KEYS
from acsim.platform.learners.base import TEXT_LEARNERS, learner_class

if TYPE_CHECKING:
    from acsim.runs.schema import FurtherCollective, Scenario

# Scenario sections whose keys are ModelParams fields under the file's names: the schema
# builds these sections from ModelParams' own fields (type, range, default), and
# model_params maps them back, so each rule is written once.
WORKER_KEYS = {"belief": "belief", "prior": "prior_belief", "hearing": "hearing", "allow_leave": "allow_leave",
               "temperature": "temperature"}
PRINCIPAL_KEYS = {"policy": "principal", "budget": "budget", "margin": "margin", "recruits_per_round": "recruits_per_round",
                  "curve": "principal_curve", "target_alpha": "principal_target_alpha", "stop": "principal_stop",
                  "probes": "principal_probes"}
# [[collectives]] keys -> acsim.abm.collectives.Collective fields.
COLLECTIVE_KEYS = {"initial_alpha": "initial_alpha", "target": "target", "trigger": "trigger", "trigger_spacing": "spacing",
                   "strategy": "strategy"}


def model_params(sc: Scenario, base_dir: Path | None = None) -> dict[str, Any]:
    """The scenario as :class:`acsim.abm.model.ModelParams` fields (without the seed)."""
    p, c, f, w, pr = sc.population, sc.collective, sc.firm, sc.workers, sc.principal
    text = f.kind in TEXT_LEARNERS
    if f.kind == "theory":
        fp: dict[str, Any] = {"curve": f.curve}
        if f.curve == "sigmoid":
            fp.update(midpoint=f.midpoint, slope=f.slope, offset=f.offset or 0.0)
        elif f.curve == "finite-sample":
            fp.update({k: getattr(f, k) for k in FINITE_SAMPLE_KEYS if getattr(f, k) is not None})
    elif f.kind == "bayes":
        fp = {k: getattr(f, k) for k in ("eps", "adversary", "grid") if getattr(f, k) is not None}
        if f.world:
            fp["world_params"] = dict(f.world)
    else:
        fp = dict(f.learner)
        if c.trigger_spacing is not None:
            fp["spacing"] = c.trigger_spacing
    net = p.network.params()
    if "path" in net:
        net["path"] = str(_resolve(net["path"], base_dir))
    return {
        "n_workers": p.n,
        "cost_dist": p.cost.dist, "cost_params": p.cost.params(),
        "gamma_dist": p.gamma.dist, "gamma_params": p.gamma.params(),
        "initial_alpha": c.initial_alpha, "initial_selection": c.initial_selection,
        "strategy": c.strategy, "target": c.target,
        "firm": f.kind, "firm_params": fp, "success_metric": f.success_metric,
        "theory_params": f.bound.given(),
        # Only text firms read resumes: other firms' run ids must not depend on [data].
        "data_source": sc.data.source if text else "synthetic",
        "data_params": data_params(sc, base_dir) if text else {},
        "network": p.network.kind, "network_params": net,
        **{field: getattr(w, key) for key, field in WORKER_KEYS.items()},
        **{field: getattr(pr, key) for key, field in PRINCIPAL_KEYS.items() if key != "stop"},
        "rounds": sc.rounds,
        # Only when set: run ids hash these parameters, and batches written before the
        # option existed must still be found finished.
        **({"principal_stop": pr.stop} if pr.stop != "target" else {}),
        **({"collectives": [_collective_params(o) for o in sc.collectives]} if sc.collectives else {}),
        **({"coordination": c.coordination} if c.coordination < 1.0 else {}),
        **({"noise": c.noise} if c.noise != "nothing" else {}),
    }


def _collective_params(o: FurtherCollective) -> dict[str, Any]:
    # initial_alpha always (it has a default), the others only when given.
    return {name: getattr(o, key) for key, name in COLLECTIVE_KEYS.items() if key == "initial_alpha" or getattr(o, key) is not None}


# ModelParams' flat fields → where a scenario file writes them (model_params above is the inverse).
_FIELD_PATHS: dict[str, tuple[str, ...]] = {
    "n_workers": ("population", "n"), "cost_dist": ("population", "cost", "dist"), "cost_params": ("population", "cost"),
    "gamma_dist": ("population", "gamma", "dist"), "gamma_params": ("population", "gamma"),
    "network": ("population", "network"), "network_params": ("population", "network"),
    "initial_alpha": ("collective", "initial_alpha"), "initial_selection": ("collective", "initial_selection"),
    "strategy": ("collective", "strategy"), "target": ("collective", "target"),
    "firm": ("firm", "kind"), "success_metric": ("firm", "success_metric"), "theory_params": ("firm", "bound"),
    "belief": ("workers", "belief"), "prior_belief": ("workers", "prior"), "hearing": ("workers", "hearing"),
    "allow_leave": ("workers", "allow_leave"), "temperature": ("workers", "temperature"),
    "principal": ("principal", "policy"), "budget": ("principal", "budget"), "margin": ("principal", "margin"),
    "recruits_per_round": ("principal", "recruits_per_round"), "principal_curve": ("principal", "curve"),
    "principal_target_alpha": ("principal", "target_alpha"), "principal_stop": ("principal", "stop"),
    "principal_probes": ("principal", "probes"), "collectives": ("collectives",), "rounds": ("rounds",),
    "coordination": ("collective", "coordination"), "noise": ("collective", "noise"),
}
_SUB_PATHS = {("firm_params", "spacing"): ("collective", "trigger_spacing"), ("firm_params", "world_params"): ("firm", "world")}


def scenario_loc(loc: tuple) -> tuple:
    """Where a ModelParams error location is in a scenario file (("target",) → ("collective", "target"))."""
    if loc[:1] == ("collectives",) and loc[2:3] == ("spacing",):
        return loc[:2] + ("trigger_spacing",) + loc[3:]
    if loc[:2] in _SUB_PATHS:
        return _SUB_PATHS[loc[:2]] + loc[2:]
    if loc and loc[0] == "firm_params":
        return ("firm",) + loc[1:]
    return _FIELD_PATHS.get(loc[0], loc[:1]) + loc[1:] if loc else loc


def scenario_name(field: str) -> str:
    return ".".join(scenario_loc((field,)))


def _resolve(path: str, base_dir: Path | None) -> Path:
    q = Path(path).expanduser()
    return q if q.is_absolute() or base_dir is None else (base_dir / q).resolve()


def data_params(sc: Scenario, base_dir: Path | None) -> dict[str, Any]:
    d = sc.data
    out: dict[str, Any] = dict(d.options)
    for k in ("n_train", "n_test", "seed"):
        if getattr(d, k) is not None:
            out[k] = getattr(d, k)
    if d.path is not None:
        out["path"] = str(_resolve(d.path, base_dir))
    for k in ("text_column", "label_sep", "encoding", "dedupe"):
        if getattr(d, k) is not None:
            out[k] = getattr(d, k)
    if isinstance(d.label_column, list):
        out["label_columns"] = list(d.label_column)
    elif d.label_column is not None:
        out["label_column"] = d.label_column
    return out


def learner_params(kind: str) -> set[str]:
    return set(inspect.signature(learner_class(kind)).parameters)


@functools.lru_cache(maxsize=256)
def learner_values(kind: str, given_json: str) -> tuple[str | None, str] | None:
    """The learner's own check of its settings, run by building it: (setting, problem) or None.

    The learner's constructor is the one place its rules live (ranges, types, the
    weights on disk). A CUDA device is checked as a name only: whether this machine has
    one is for the machine that runs (a Ray driver may have no GPU its workers have).
    """
    given = json.loads(given_json)
    trial = dict(given)
    if isinstance(trial.get("device"), str) and trial["device"].startswith("cuda"):
        dev = trial["device"]
        if not (dev == "cuda" or (dev.startswith("cuda:") and dev[5:].isdigit() and kind == "transformer")):
            return "device", f"must be one of 'auto', 'cpu', 'cuda'{' or cuda:N' if kind == 'transformer' else ''}"
        trial["device"] = "cpu"
    try:
        learner_class(kind)(**trial)  # built, not trained: its torch is not loaded
    except (ValueError, TypeError, FileNotFoundError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        for key in sorted(given, key=len, reverse=True):  # the setting the message is about
            for lead in (f"{key} ", f"{key}="):
                if text.startswith(lead):
                    rest = text[len(lead):].split(", got ")[0]
                    return key, rest.split(": ", 1)[1] if lead.endswith("=") and ": " in rest else rest
        return None, f"is not valid: {text}"
    return None


def check_kwargs(loc: tuple, given: dict, allowed: set[str], reserved: set[str], fail) -> None:
    for k in sorted(given):
        if k in reserved:
            fail(loc, bad("is set by acsim (seeds come from the scenario's seeds; epochs from experiment.epochs)", sub=k,
                           value=given[k], has_value=True))
        elif k not in allowed:
            close = difflib.get_close_matches(k, sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(sorted(allowed - reserved))})"
            fail(loc, bad(f"is not a known setting here{hint}", sub=k, value=given[k], has_value=True))


