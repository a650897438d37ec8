"""Scenario files: a TOML description of a batch of runs, validated against a schema.

A scenario says who the workers are (population: N, cost and free-ride distributions,
network), what the collective does (strategy, trigger, target class, initial α), which
firm retrains on the platform's data, whether a principal invests (Section 6, Figure 7),
for how many rounds and seeds, and optionally a ``[sweep]`` of parameters to vary. Every
field has a default, so a one-line file (``name = "mine"``) is a valid scenario.

``kind = "experiment"`` scenarios are the paper's resume experiments (Section 5,
Figures 2–6, :mod:`acsim.platform.experiments`) instead of the agent-based model.

Loading never executes code from the file (``tomllib`` only parses data). Invalid input
raises :class:`ScenarioError`, a ``ValueError`` whose message is one line naming the
file, the field, the value and what is allowed, e.g.
``scenarios/x.toml: population.gamma = 1.3 is outside [0, 1]``; unknown keys are errors.
Settings that belong to another firm kind (a sigmoid's midpoint when the firm is ``bow``)
are allowed, so that a variant or a sweep can switch firms, but they are left out of the
runs and listed in :attr:`LoadedScenario.notes` (``acsim run`` prints them). Every
variant is validated whether or not it is asked for; ``[firm.learner]`` values by the
learner's own constructor. Data files are opened by :mod:`acsim.runs.preflight`.

Sections and fields (defaults in brackets)::

    name [file stem]   description [""]   kind ["model" | "experiment"]
    rounds [20, 1..100000]   seeds [1: a count n → 0..n−1, or a list of integers ≥ 0]
    [population]  n [1000, 1..10⁷]; cost [0.2] and gamma [0.5]: a number (constant) or a
                  table {dist = constant|uniform|beta|lognormal|values, ...}, costs ≥ 0,
                  γ in [0, 1]; network ["none"]: a kind or a table {kind, m, k, p,
                  mean_degree, edges, path}
    [collective]  strategy [feature-label | feature-only | erasure (theory and bayes firms only:
                  the text firms cannot erase a signal)]; target [0, ≥ 0];
                  initial_alpha [0, in [0, 1]]; initial_selection [random | cheapest | hubs];
                  trigger_spacing [text firms: the trigger every k-th word, ≥ 1; default 20]
    [firm]        kind [theory | bayes | bow | encoder | transformer]; success_metric [inclusion | top1];
                  theory: curve [bound | sigmoid], midpoint, slope, offset [0, in [0, 1)];
                  bayes: eps [0, in [0, 0.5)], adversary [contamination | tv], grid [1025, ≥ 2],
                  [firm.world] (acsim.theory.discrete.random_world's arguments);
                  text firms: [firm.learner] (the learner's keyword arguments);
                  [firm.bound] xi [≥ 0], delta [in [0, 1]], p [in (0, 1]], tau [≥ 0],
                  eps [in [0, 0.5)] (the theory bound; missing ones are estimated/defaulted)
    [workers]     belief [empirical | theory | network]; prior [0, in [0, 1]];
                  hearing [average | any]; allow_leave [true]; temperature [0, ≥ 0]
    [rival]       a second, competing collective: initial_alpha [0, in [0, 1]]; target
                  [the class after collective.target]; trigger [U+2021]; trigger_spacing
    [principal]   policy [none | cheapest | hubs | random]; budget [inf, ≥ 0];
                  margin [0, ≥ 0]; recruits_per_round [no cap, ≥ 1]; curve [auto | bound];
                  target_alpha [α_crit, in [0, 1]]; stop [target | sustained];
                  probes [8, in [0, 64]: trained firms, sizes the principal measures first]
    [data]        source [synthetic | synthetic-v1 | florex | csv]; path; n_train; n_test; seed;
                  csv: text_column [text]; label_column [labels; a list: 0/1 columns]; label_sep [;];
                  csv/florex: encoding; dedupe [true]; [data.options] (the loader's other arguments)
    [experiment]  (kind = "experiment") figure [fig2..fig6]; epochs [5]; sizes [20];
                  target_success [0.9, in (0, 1)]; fit [plateau | paper]; target [the figure's:
                  a class name or index]; members [sizes as member counts, e.g. [0, 1, 2, 3, 5, 8, 12]]
                  (run seed s draws its corpus, or split, with data.seed + s)
    [sweep]       mode [grid | zip]; then dotted parameter paths with a list of values, or
                  {linspace = [lo, hi, n]}, {geomspace = [lo, hi, n]}, {range = [start, stop, step]}
    [variants.NAME]  dotted parameter paths with one value each (e.g. the GPU variant),
                  applied by ``acsim run SCENARIO --variant NAME``
"""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import inspect
import itertools
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional, Union

import numpy as np
from pydantic import BeforeValidator, Field, PrivateAttr, ValidationError
from pydantic_core import PydanticCustomError

from acsim.abm.beliefs import BELIEFS, HEARING
from acsim.abm.engines import FIRMS
from acsim.abm.fields import Eps, Finite, NonNeg, NonNegInt, ParamError, PosInt, Range, Strict, Unit, Word, bad, first_message, show
from acsim.abm.params import (
    PRINCIPAL_CURVES, SELECTIONS, SUCCESS_METRICS, Bound, Budget, Dist, Grid, ModelParams, Network, NWorkers,
    Offset, Probes, Rounds, TargetAlpha,
)
from acsim.abm.principal import PRINCIPAL_STOPS, PRINCIPALS
from acsim.platform.learners.base import TEXT_LEARNERS
from acsim.theory import STRATEGIES
from acsim.theory.firms.bayes import ADVERSARIES

if TYPE_CHECKING:
    from acsim.runs.batch import RunSpec

__all__ = [
    "ScenarioError",
    "Scenario",
    "LoadedScenario",
    "load_scenario",
    "parse_scenario",
    "find_scenario",
    "shipped_scenarios",
    "parse_override",
    "sweep_points",
    "model_params",
    "expand",
    "experiment_spec",
    "run_id",
    "SCENARIO_DIR",
]

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
RUN_SCHEMA = "acsim-run-2"  # 2: experiment seeds draw their own corpus; the principal probes trained firms  # part of every run id: bump when a run's meaning changes


class ScenarioError(ValueError):
    """An invalid scenario: one line naming file, field, value and what is allowed."""


# --------------------------------------------------------------------------- sections


def _scalar_to_table(key: str) -> Any:
    """``gamma = 0.5`` is ``{dist = "constant", value = 0.5}``; ``network = "x"`` is ``{kind = "x"}``."""

    def conv(v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return {"dist": "constant", "value": v} if key == "dist" else v
        if isinstance(v, str) and key == "kind":
            return {"kind": v}
        return v

    return BeforeValidator(conv)


class Population(Strict):
    n: NWorkers = 1000
    cost: Annotated[Dist, _scalar_to_table("dist")] = Field(default_factory=lambda: Dist(value=0.2))
    gamma: Annotated[Dist, _scalar_to_table("dist")] = Field(default_factory=lambda: Dist(value=0.5))
    network: Annotated[Network, _scalar_to_table("kind")] = Field(default_factory=Network)


class Collective(Strict):
    strategy: Literal[STRATEGIES] = "feature-label"  # type: ignore[valid-type]
    target: NonNegInt = 0
    initial_alpha: Unit = 0.0
    initial_selection: Literal[SELECTIONS] = "random"  # type: ignore[valid-type]
    trigger_spacing: Optional[PosInt] = None


class Rival(Strict):
    """A second collective competing on the same platform (``ModelParams.rival``, :class:`acsim.abm.params.Rival`)."""

    initial_alpha: Unit = 0.0
    target: Optional[NonNegInt] = None
    trigger: Optional[Word] = None
    trigger_spacing: Optional[PosInt] = None


class Firm(Strict):
    kind: Literal[FIRMS] = "theory"  # type: ignore[valid-type]
    success_metric: Literal[SUCCESS_METRICS] = "inclusion"  # type: ignore[valid-type]
    curve: Literal["bound", "sigmoid"] = "bound"
    midpoint: Optional[Finite] = None
    slope: Optional[Finite] = None
    offset: Optional[Offset] = None
    eps: Optional[Eps] = None
    adversary: Optional[Literal[ADVERSARIES]] = None  # type: ignore[valid-type]
    grid: Optional[Grid] = None
    world: dict[str, Any] = Field(default_factory=dict)
    learner: dict[str, Any] = Field(default_factory=dict)
    bound: Bound = Field(default_factory=Bound)


class Workers(Strict):
    belief: Literal[BELIEFS] = "empirical"  # type: ignore[valid-type]
    prior: Unit = 0.0
    hearing: Literal[HEARING] = "average"  # type: ignore[valid-type]
    allow_leave: bool = True
    temperature: NonNeg = 0.0


class PrincipalSection(Strict):
    policy: Literal[PRINCIPALS] = "none"  # type: ignore[valid-type]
    budget: Budget = math.inf
    margin: NonNeg = 0.0
    recruits_per_round: Optional[PosInt] = None
    curve: Literal[PRINCIPAL_CURVES] = "auto"  # type: ignore[valid-type]
    target_alpha: Optional[TargetAlpha] = None
    stop: Literal[PRINCIPAL_STOPS] = "target"  # type: ignore[valid-type]
    probes: Probes = 8


class Data(Strict):
    source: Literal["synthetic", "synthetic-v1", "florex", "csv"] = "synthetic"
    path: Optional[str] = None
    n_train: Optional[NWorkers] = None
    n_test: Optional[NWorkers] = None
    seed: Optional[NonNegInt] = None
    # Your own CSV (the same settings as acsim experiment's --text-column ... options):
    text_column: Optional[str] = None
    label_column: Optional[Union[str, list[str]]] = None  # several names: one 0/1 column per class
    label_sep: Optional[str] = None
    encoding: Optional[str] = None  # csv or florex
    dedupe: Optional[bool] = None  # csv or florex; default true
    options: dict[str, Any] = Field(default_factory=dict)


class Experiment(Strict):
    figure: Literal["fig2", "fig3", "fig4", "fig5", "fig6"] = "fig2"
    epochs: Annotated[int, Range(1, 1000)] = 5
    sizes: Annotated[int, Range(2, 1000)] = 20
    target_success: Annotated[float, Range(0.0, 1.0, lo_open=True, hi_open=True)] = 0.9
    fit: Literal["plateau", "paper"] = "plateau"
    target: Optional[Union[NonNegInt, str]] = None  # aim every curve at this class (name or index)
    members: Optional[list[NonNegInt]] = None  # sizes as member counts (0 = the baseline), not shares


def _seeds(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        if v < 1:
            raise bad("is outside [1, inf) (a count of seeds; or give a list)")
        return list(range(v))
    if isinstance(v, list) and not v:
        raise bad("must list at least one seed")
    return v


class Scenario(Strict):
    """The validated scenario (see the module docstring for every field)."""

    name: str = ""
    description: str = ""
    kind: Literal["model", "experiment"] = "model"
    rounds: Rounds = 20
    seeds: Annotated[list[NonNegInt], BeforeValidator(_seeds), Field(min_length=1)] = Field(default_factory=lambda: [0])
    population: Population = Field(default_factory=Population)
    collective: Collective = Field(default_factory=Collective)
    rival: Optional[Rival] = None
    firm: Firm = Field(default_factory=Firm)
    workers: Workers = Field(default_factory=Workers)
    principal: PrincipalSection = Field(default_factory=PrincipalSection)
    data: Data = Field(default_factory=Data)
    experiment: Optional[Experiment] = None
    # Sweeps and variants are checked by applying them (see LoadedScenario), so that
    # a sweep over a typo is reported exactly like a typo in the file.
    sweep: dict[str, Any] = Field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict)
    _notes: list[str] = PrivateAttr(default_factory=list)


# --------------------------------------------------------------------------- validation


def _validate(raw: dict, where: str) -> Scenario:
    try:
        sc = Scenario.model_validate(raw)
        sc._notes = _cross_check(sc)
        return sc
    except ValidationError as exc:
        raise ScenarioError(first_message(exc, raw, where, Scenario, _scenario_name)) from None


def _cross_check(sc: Scenario) -> list[str]:
    """Checks that span fields (distributions against population.n, firm-specific settings); returns notes."""
    errs: list[dict] = []
    notes: list[str] = []

    def fail(loc: tuple, e: PydanticCustomError) -> None:
        errs.append({"type": e, "loc": loc, "input": None})

    pop = sc.population
    for key, unit in (("cost", False), ("gamma", True)):
        try:
            getattr(pop, key).check(unit, pop.n)
        except PydanticCustomError as e:
            fail(("population", key), e)
    f = sc.firm
    sigmoid_keys = [k for k in ("midpoint", "slope", "offset") if getattr(f, k) is not None]
    if sc.kind == "model":
        # Settings of another firm kind are kept but unused (so one file can switch firms
        # in a variant or a sweep); the loader reports them as notes, never silently.
        if f.kind == "theory" and f.curve == "sigmoid":
            for k in ("midpoint", "slope"):
                if getattr(f, k) is None:
                    fail(("firm", k), bad("is required when firm.curve = 'sigmoid'"))
        elif sigmoid_keys:
            notes.append(f"firm.{', firm.'.join(sigmoid_keys)} not used (only by firm.kind = 'theory' with firm.curve = 'sigmoid')")
        if f.kind != "theory" and "curve" in f.model_fields_set:
            notes.append(f"firm.curve not used by firm.kind = {f.kind!r}")
        bayes_only = [k for k in ("eps", "adversary", "grid", "world") if k in f.model_fields_set and f.kind != "bayes"]
        if bayes_only:
            notes.append(f"firm.{', firm.'.join(bayes_only)} not used (only by firm.kind = 'bayes')")
        text = f.kind in TEXT_LEARNERS
        if "learner" in f.model_fields_set and not text:
            notes.append(f"firm.learner not used by firm.kind = {f.kind!r} (only by the text firms bow, transformer)")
        if not text and "data" in sc.model_fields_set:
            notes.append(f"data not used by firm.kind = {f.kind!r} (only the text firms read resumes)")
        if not text and sc.collective.trigger_spacing is not None:
            notes.append(f"collective.trigger_spacing not used by firm.kind = {f.kind!r} (only by the text firms)")
        if text and sc.collective.strategy == "erasure":
            fail(("collective", "strategy"), bad(
                f"needs firm.kind = 'theory' or 'bayes', not {f.kind!r} (the text firms cannot erase a signal: "
                "that needs the words to erase and a cross-fitted posterior every round)",
                value="erasure", has_value=True))
        unheard = sorted({"prior", "hearing"} & sc.workers.model_fields_set) if sc.workers.belief != "network" else []
        if unheard:
            notes.append(f"workers.{', workers.'.join(unheard)} not used by workers.belief = {sc.workers.belief!r} (only by 'network')")
        idle = sorted(sc.principal.model_fields_set - {"policy"}) if sc.principal.policy == "none" else []
        if idle:
            notes.append(f"principal.{', principal.'.join(idle)} not used: principal.policy = 'none' (no principal invests)")
        net_users = (sc.workers.belief == "network", sc.principal.policy == "hubs",
                     sc.collective.initial_selection == "hubs" and sc.collective.initial_alpha > 0)
        if sc.population.network.kind != "none" and not any(net_users):
            notes.append(f"population.network = {sc.population.network.kind!r} not used: only workers.belief = 'network', "
                         "principal.policy = 'hubs' and collective.initial_selection = 'hubs' read it "
                         f"(here workers.belief = {sc.workers.belief!r})")
        if sc.experiment is not None:
            fail(("experiment",), bad("applies only to kind = 'experiment'"))
    else:
        if f.kind not in TEXT_LEARNERS:
            fail(("firm", "kind"), bad("must be 'bow', 'encoder' or 'transformer' for kind = 'experiment' (the paper's resume experiments)",
                                        value=f.kind, has_value=True))
        for section in ("population", "workers", "principal", "rival"):
            if section in sc.model_fields_set:
                fail((section,), bad("does not apply to kind = 'experiment' (the figure fixes the runs)"))
        for key in sorted(sc.collective.model_fields_set - {"trigger_spacing"}):
            fail(("collective", key), bad("does not apply to kind = 'experiment' (the figure fixes strategy and target)"))
        if "rounds" in sc.model_fields_set:
            fail(("rounds",), bad("does not apply to kind = 'experiment' (one training run per point)"))
        for key in sorted({"curve", "eps", "adversary", "grid", "world", "bound", "success_metric", *sigmoid_keys} & f.model_fields_set):
            fail(("firm", key), bad("does not apply to kind = 'experiment' (only firm.kind and firm.learner do)"))
    if f.kind in TEXT_LEARNERS and f.learner:
        n_errs = len(errs)
        _check_kwargs(("firm", "learner"), f.learner, _learner_params(f.kind), {"seed"} | ({"epochs"} if sc.kind == "experiment" else set()), fail)
        wrong = _learner_values(f.kind, json.dumps(f.learner, sort_keys=True)) if len(errs) == n_errs else None
        if wrong is not None:
            key, msg = wrong
            fail(("firm", "learner"), bad(msg, sub=key, value=f.learner.get(key), has_value=key is not None))
    if f.kind == "bayes" and f.world:
        from acsim.theory.discrete import random_world

        _check_kwargs(("firm", "world"), f.world, set(inspect.signature(random_world).parameters) - {"rng"}, set(), fail)
    for key in ("text_column", "label_column", "label_sep", "encoding", "dedupe"):
        allowed = ("csv", "florex") if key in ("encoding", "dedupe") else ("csv",)
        if getattr(sc.data, key) is not None and sc.data.source not in allowed:
            fail(("data", key), bad(f"applies only to source = {' or '.join(map(repr, allowed))}", value=getattr(sc.data, key), has_value=True))
    if sc.data.encoding is not None:
        import codecs

        try:
            codecs.lookup(sc.data.encoding)
        except LookupError:
            fail(("data", "encoding"), bad("is not an encoding Python knows (e.g. utf-8, windows-1252)", value=sc.data.encoding, has_value=True))
    if sc.data.label_sep == "":
        fail(("data", "label_sep"), bad("must not be empty", value="", has_value=True))
    e = sc.experiment
    if e is not None and e.members is not None and len(set(e.members)) < 2:
        fail(("experiment", "members"), bad("needs at least two distinct member counts", value=e.members, has_value=True))
    if sc.data.options:
        from acsim.platform.data import load_csv, load_florex, synthetic_resumes, synthetic_v1

        loader = {"synthetic": synthetic_resumes, "synthetic-v1": synthetic_v1.synthetic_resumes, "florex": load_florex, "csv": load_csv}[sc.data.source]
        _check_kwargs(("data", "options"), sc.data.options, set(inspect.signature(loader).parameters) - {"path", "n_train", "n_test", "seed"}, set(), fail)
    if not sc.data.source.startswith("synthetic") and sc.data.path is None and (sc.kind == "experiment" or f.kind in TEXT_LEARNERS):
        fail(("data",), bad(f"data.source = {sc.data.source!r} needs data.path"))
    if errs:
        raise ValidationError.from_exception_data("Scenario", errs)  # type: ignore[arg-type]
    return notes


def _learner_params(kind: str) -> set[str]:
    from importlib import import_module

    from acsim.platform.learners.base import REGISTRY

    module, cls = REGISTRY[kind].split(":")
    return set(inspect.signature(getattr(import_module(module), cls)).parameters)


@functools.lru_cache(maxsize=256)
def _learner_values(kind: str, given_json: str) -> tuple[str | None, str] | None:
    """The learner's own check of its settings, run by building it: (setting, problem) or None.

    The learner's constructor is the one place its rules live (ranges, types, the
    weights on disk). A CUDA device is checked as a name only: whether this machine has
    one is for the machine that runs (a Ray driver may have no GPU its workers have).
    """
    from acsim.platform.learners.base import make_learner

    given = json.loads(given_json)
    trial = dict(given)
    if isinstance(trial.get("device"), str) and trial["device"].startswith("cuda"):
        dev = trial["device"]
        if not (dev == "cuda" or (dev.startswith("cuda:") and dev[5:].isdigit() and kind == "transformer")):
            return "device", f"must be one of 'auto', 'cpu', 'cuda'{' or cuda:N' if kind == 'transformer' else ''}"
        trial["device"] = "cpu"
    try:
        make_learner(kind, **trial)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        for key in sorted(given, key=len, reverse=True):  # the setting the message is about
            for lead in (f"{key} ", f"{key}="):
                if text.startswith(lead):
                    rest = text[len(lead):].split(", got ")[0]
                    return key, rest.split(": ", 1)[1] if lead.endswith("=") and ": " in rest else rest
        return None, f"is not valid: {text}"
    return None


def _check_kwargs(loc: tuple, given: dict, allowed: set[str], reserved: set[str], fail) -> None:
    for k in sorted(given):
        if k in reserved:
            fail(loc, bad("is set by acsim (seeds come from the scenario's seeds; epochs from experiment.epochs)", sub=k,
                           value=given[k], has_value=True))
        elif k not in allowed:
            close = difflib.get_close_matches(k, sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(sorted(allowed - reserved))})"
            fail(loc, bad(f"is not a known setting here{hint}", sub=k, value=given[k], has_value=True))


# --------------------------------------------------------------------------- sweeps


def _sweep_values(path: str, spec: Any, where: str) -> list[Any]:
    if isinstance(spec, list):
        if not spec:
            raise ScenarioError(f"{where}sweep.{path} is an empty list")
        return spec
    if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in ("linspace", "geomspace", "range"):
        how, args = next(iter(spec.items()))
        ok = isinstance(args, list) and len(args) == 3 and all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args)
        if not ok:
            raise ScenarioError(f"{where}sweep.{path}.{how} = {show(args)} must be [start, stop, count or step]")
        lo, hi, n = args
        if how == "range":
            if not all(isinstance(a, int) for a in args) or n == 0:
                raise ScenarioError(f"{where}sweep.{path}.range = {show(args)} must be three integers [start, stop, step], step ≠ 0")
            vals: list[Any] = list(range(lo, hi, n))
        else:
            if not isinstance(n, int) or n < 1:
                raise ScenarioError(f"{where}sweep.{path}.{how} count = {show(n)} must be an integer >= 1")
            if how == "geomspace" and (lo <= 0 or hi <= 0):
                raise ScenarioError(f"{where}sweep.{path}.geomspace = {show(args)} needs start, stop > 0")
            vals = [float(v) for v in (np.linspace if how == "linspace" else np.geomspace)(lo, hi, n)]
        if not vals:
            raise ScenarioError(f"{where}sweep.{path}.{how} = {show(args)} gives no values")
        return vals
    raise ScenarioError(f"{where}sweep.{path} = {show(spec)} must be a list of values or {{linspace|geomspace|range = [...]}}")


def _flatten(table: dict, prefix: str = "", leaf_ok=lambda v: not isinstance(v, dict)) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if leaf_ok(v):
            out[key] = v
        else:
            out.update(_flatten(v, key + ".", leaf_ok))
    return out


def _is_sweep_leaf(v: Any) -> bool:
    return not isinstance(v, dict) or (len(v) == 1 and next(iter(v)) in ("linspace", "geomspace", "range"))


def sweep_points(sweep: dict, where: str = "") -> list[dict[str, Any]]:
    """The sweep's points: dotted path → value, in a stable order (grid: last key fastest)."""
    table = dict(sweep)
    mode = table.pop("mode", "grid")
    if mode not in ("grid", "zip"):
        raise ScenarioError(f"{where}sweep.mode = {show(mode)} must be one of 'grid', 'zip'")
    flat = _flatten(table, leaf_ok=_is_sweep_leaf)
    if not flat:
        return [{}]
    values = {k: _sweep_values(k, v, where) for k, v in flat.items()}
    keys = list(values)
    if mode == "zip":
        lengths = {k: len(v) for k, v in values.items()}
        if len(set(lengths.values())) > 1:
            raise ScenarioError(f"{where}sweep: mode = 'zip' needs lists of one length, got " + ", ".join(f"{k}: {n}" for k, n in lengths.items()))
        return [dict(zip(keys, combo)) for combo in zip(*values.values())]
    return [dict(zip(keys, combo)) for combo in itertools.product(*values.values())]


def _set_path(raw: dict, path: str, value: Any, where: str, what: str) -> None:
    parts = path.split(".")
    if parts[0] in ("sweep", "variants", "name", "kind"):
        raise ScenarioError(f"{where}{what} cannot set {path}")
    cur = raw
    for i, p in enumerate(parts[:-1]):
        nxt = cur.get(p)
        if nxt is None:
            nxt = cur[p] = {}
        elif not isinstance(nxt, dict):
            # A shorthand (gamma = 0.5) being swept by a sub-field: expand it to its table.
            key = "dist" if p in ("cost", "gamma") else "kind"
            nxt = cur[p] = ({"dist": "constant", "value": nxt} if key == "dist" and isinstance(nxt, (int, float)) else {key: nxt})
        cur = nxt
    if parts[-1] in ("cost", "gamma") and isinstance(cur.get(parts[-1]), dict) and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = {"dist": "constant", "value": value}
    cur[parts[-1]] = copy.deepcopy(value)


# --------------------------------------------------------------------------- loading


@dataclass
class LoadedScenario:
    """A validated scenario with its sweep points (each one validated too)."""

    scenario: Scenario
    raw: dict
    path: Path | None
    points: list[dict[str, Any]]
    resolved: list[Scenario]
    variant: str | None = None

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def notes(self) -> list[str]:
        """Settings present but unused by the chosen firm (across all sweep points, once each)."""
        return list(dict.fromkeys(n for sc in self.resolved for n in sc._notes))

    @property
    def where(self) -> str:
        return f"{self.path}: " if self.path else ""

    def runs(self) -> list["RunSpec"]:
        """Every run of the batch: sweep points × seeds (× sizes for experiments)."""
        from acsim.runs.batch import RunSpec

        out: list[RunSpec] = []
        for i, (point, sc) in enumerate(zip(self.points, self.resolved)):
            for kind, params, seed, extra in expand(sc, self.base_dir):
                out.append(RunSpec.make(kind, params, seed, {**self.point_columns(point), **extra}, i))
        return out

    def point_columns(self, point: dict[str, Any]) -> dict[str, Any]:
        """A sweep point as table columns: a parameter swept over tables (distributions) is JSON text throughout."""
        text = {k for p in self.points for k, v in p.items() if isinstance(v, (dict, list))}
        return {k: (json.dumps(v, sort_keys=True) if k in text else v) for k, v in point.items()}

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def to_dict(self) -> dict[str, Any]:
        """The scenario as resolved (defaults filled in), for the manifest."""
        d = self.scenario.model_dump(mode="json")
        d["sweep_points"] = list(self.points)
        d["variant"] = self.variant
        return d


def parse_scenario(text: str, path: str | Path | None = None, variant: str | None = None,
                   overrides: dict[str, Any] | None = None) -> LoadedScenario:
    """Parse and validate TOML text (``path`` only names it in messages and resolves relative paths)."""
    where = f"{path}: " if path is not None else ""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}invalid TOML: {exc}") from None
    raw = dict(raw)
    if path is not None and "name" not in raw:
        raw["name"] = Path(path).stem
    base = _validate(raw, where)  # the file as written, before variants and overrides
    if variant is not None and variant not in base.variants:
        have = ", ".join(base.variants) or "none"
        raise ScenarioError(f"{where}no variant {variant!r} (variants: {have})")
    # Every variant is checked now, asked for or not: a broken variant must not wait for
    # the day someone runs it.
    for name in base.variants:
        if name != variant:
            _apply_variant(copy.deepcopy(raw), base, name, where)
    if variant is not None:
        raw = _apply_variant(raw, base, variant, where, validate=False)
    for k, v in (overrides or {}).items():
        _set_path(raw, k, v, where, "--set")
    sc = _validate(raw, where) if (variant or overrides) else base
    points, resolved = _resolve_points(raw, sc, where)
    loaded = LoadedScenario(sc, raw, Path(path) if path is not None else None, points, resolved, variant)
    return loaded


def _apply_variant(raw: dict, base: Scenario, name: str, where: str, validate: bool = True) -> dict:
    """``raw`` with ``variants.NAME`` applied; with ``validate``, checked like the file itself (sweep points too)."""
    for k, v in _flatten(base.variants[name]).items():
        _set_path(raw, k, v, where, f"variants.{name}")
    if validate:
        vwhere = f"{where}variants.{name}: "
        _resolve_points(raw, _validate(raw, vwhere), vwhere)
    return raw


def _resolve_points(raw: dict, sc: Scenario, where: str) -> tuple[list[dict[str, Any]], list[Scenario]]:
    """The sweep's points and the scenario validated at each (model-level checks included)."""
    points = sweep_points(sc.sweep, where)
    resolved = []
    for point in points:
        if not point:
            resolved.append(sc)
            continue
        r = copy.deepcopy(raw)
        for k, v in point.items():
            _set_path(r, k, v, where, "sweep")
        label = ", ".join(f"{k} = {show(v)}" for k, v in point.items())
        try:
            resolved.append(_validate(r, where + "sweep: "))
        except ScenarioError as exc:
            raise ScenarioError(f"{exc} (at sweep point {label})") from None
    for r in resolved:  # model-level checks (e.g. a network the principal needs) before anything runs
        _model_check(r, where)
    return points, resolved


def load_scenario(name_or_path: str | Path, variant: str | None = None, overrides: dict[str, Any] | None = None) -> LoadedScenario:
    """Load a scenario file, or a shipped scenario by name (``quickstart``)."""
    path = find_scenario(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    return parse_scenario(text, path, variant, overrides)


def find_scenario(name_or_path: str | Path) -> Path:
    """A path as given, else NAME.toml in ./scenarios or among the shipped scenarios."""
    p = Path(name_or_path)
    candidates = [p, p.with_suffix(".toml") if p.suffix != ".toml" else p]
    if len(p.parts) == 1:
        candidates += [Path("scenarios") / f"{p.stem}.toml", SCENARIO_DIR / f"{p.stem}.toml"]
    for c in candidates:
        if c.is_file():
            return c
    shipped = ", ".join(shipped_scenarios()) or "none found"
    raise FileNotFoundError(f"{name_or_path}: no such scenario file (shipped scenarios: {shipped})")


def shipped_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")) if SCENARIO_DIR.is_dir() else []


def parse_override(text: str) -> tuple[str, Any]:
    """``--set population.n=5000`` → ("population.n", 5000); the value is read as TOML (strings may be bare)."""
    if "=" not in text:
        raise ValueError(f"--set needs KEY=VALUE, got {text!r}")
    key, val = (s.strip() for s in text.split("=", 1))
    if not key:
        raise ValueError(f"--set needs KEY=VALUE, got {text!r}")
    try:
        value = tomllib.loads(f"v = {val}")["v"]
    except tomllib.TOMLDecodeError:
        value = val  # a bare word: a string
    return key, value


# --------------------------------------------------------------------------- scenario → runs


def model_params(sc: Scenario, base_dir: Path | None = None) -> dict[str, Any]:
    """The scenario as :class:`acsim.abm.model.ModelParams` fields (without the seed)."""
    p, c, f, w, pr = sc.population, sc.collective, sc.firm, sc.workers, sc.principal
    text = f.kind in TEXT_LEARNERS
    if f.kind == "theory":
        fp: dict[str, Any] = {"curve": f.curve}
        if f.curve == "sigmoid":
            fp.update(midpoint=f.midpoint, slope=f.slope, offset=f.offset or 0.0)
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
        "data_params": _data_params(sc, base_dir) if text else {},
        "belief": w.belief, "prior_belief": w.prior, "hearing": w.hearing,
        "network": p.network.kind, "network_params": net,
        "principal": pr.policy, "budget": pr.budget, "margin": pr.margin,
        "recruits_per_round": pr.recruits_per_round, "principal_curve": pr.curve,
        "principal_target_alpha": pr.target_alpha, "principal_probes": pr.probes,
        "allow_leave": w.allow_leave, "temperature": w.temperature, "rounds": sc.rounds,
        # Only when set: run ids hash these parameters, and batches written before the
        # option existed must still be found finished.
        **({"principal_stop": pr.stop} if pr.stop != "target" else {}),
        **({"rival": _rival_params(sc.rival)} if sc.rival is not None else {}),
    }


def _rival_params(r: Rival) -> dict[str, Any]:
    out: dict[str, Any] = {"initial_alpha": r.initial_alpha}
    for key, name in (("target", "target"), ("trigger", "trigger"), ("trigger_spacing", "spacing")):
        if getattr(r, key) is not None:
            out[name] = getattr(r, key)
    return out


def _resolve(path: str, base_dir: Path | None) -> Path:
    q = Path(path).expanduser()
    return q if q.is_absolute() or base_dir is None else (base_dir / q).resolve()


def _data_params(sc: Scenario, base_dir: Path | None) -> dict[str, Any]:
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


def expand(sc: Scenario, base_dir: Path | None = None) -> list[tuple[str, dict[str, Any], int, dict[str, Any]]]:
    """(kind, params, seed, extra point columns) of every run of one resolved scenario."""
    if sc.kind == "model":
        params = model_params(sc, base_dir)
        return [("model", params, s, {}) for s in sc.seeds]
    from dataclasses import asdict

    from acsim.platform import experiments as X

    e = sc.experiment or Experiment()
    data = {"source": sc.data.source, **_data_params(sc, base_dir)}
    spec = experiment_spec(sc, data)
    if sc.data.source.startswith("synthetic"):
        # The paper's 25,000 / 4,783 resumes unless the scenario says otherwise.
        data.setdefault("n_train", 25_000)
        data.setdefault("n_test", 4_783)
    out = []
    for curve, size, seed in X.iter_runs(spec):
        params = {"figure": e.figure, "curve": asdict(curve), "size": float(size), "unit": spec.size_unit,
                  "learner": sc.firm.kind, "learner_params": dict(sc.firm.learner), "data": data,
                  "target_success": e.target_success}
        out.append(("experiment", params, seed, {}))
    return out


def experiment_spec(sc: Scenario, data: dict | None = None):
    """The :class:`acsim.platform.experiments.ExperimentSpec` of a ``kind = "experiment"`` scenario.

    ``experiment.sizes`` below the paper's 20 picks that many of the paper's sizes, as
    ``acsim experiment NAME --quick`` does (so the CPU default reproduces its numbers).
    ``experiment.members`` replaces the sizes by member counts; ``experiment.target`` by
    name needs the data's class names (``data``: the loader's arguments; synthetic
    sources know theirs without loading).
    """
    from acsim.platform import experiments as X

    e = sc.experiment or Experiment()
    spacing = sc.collective.trigger_spacing or 20
    seeds = tuple(sc.seeds)
    spec = X.paper_experiments(epochs=e.epochs, spacing=spacing, n_sizes=max(20, e.sizes), seeds=seeds)[e.figure]
    spec = X.quick(spec, n_sizes=e.sizes, seeds=seeds) if e.sizes < 20 else spec
    if "epochs" in e.model_fields_set:
        spec = X.by_epochs(spec)  # asked for: the bow firm then trains by epochs, not to its optimum
    if e.members is not None:
        spec = X.with_members(spec, e.members)
    if e.target is not None:
        from acsim.platform.data import CLASS_NAMES, class_index

        if sc.data.source.startswith("synthetic"):
            names = CLASS_NAMES
        else:
            from acsim.platform.data import load_dataset

            d = dict(data or _data_params(sc, None))
            d.pop("source", None)
            names = load_dataset(sc.data.source, d.pop("path", None), **d)[0].label_names
        spec = X.with_target(spec, class_index(e.target, names, "experiment.target"))
    return spec


def _model_check(sc: Scenario, where: str) -> None:
    """Let the one schema check what spans sections (e.g. a principal that needs a network), in the file's words."""
    if sc.kind != "model":
        return
    try:
        ModelParams(**model_params(sc))
    except ParamError as exc:
        raise ScenarioError(in_file_words(exc, where, sc.model_dump())) from None


def in_file_words(exc: ParamError, where: str, raw: dict | None = None) -> str:
    """A :class:`ModelParams` problem said the way the scenario file writes its fields (``collective.target``)."""
    errors = [{**e, "loc": _scenario_loc(tuple(e["loc"]) + _sub(e))} for e in exc.errors]
    errors = [{**e, "ctx": {**e["ctx"], "sub": None}} if _sub(e) else e for e in errors]
    return first_message(errors, raw or {}, where, Scenario, _scenario_name)


def _sub(err: dict) -> tuple:
    sub = (err.get("ctx") or {}).get("sub")
    return (sub,) if sub is not None else ()


# ModelParams' flat fields → where a scenario file writes them (model_params() is the inverse).
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
    "principal_probes": ("principal", "probes"), "rival": ("rival",), "rounds": ("rounds",),
}
_SUB_PATHS = {("firm_params", "spacing"): ("collective", "trigger_spacing"), ("firm_params", "world_params"): ("firm", "world"),
              ("rival", "spacing"): ("rival", "trigger_spacing")}


def _scenario_loc(loc: tuple) -> tuple:
    if loc[:2] in _SUB_PATHS:
        return _SUB_PATHS[loc[:2]] + loc[2:]
    if loc and loc[0] == "firm_params":
        return ("firm",) + loc[1:]
    return _FIELD_PATHS.get(loc[0], loc[:1]) + loc[1:] if loc else loc


def _scenario_name(field: str) -> str:
    return ".".join(_scenario_loc((field,)))


def run_id(kind: str, params: dict[str, Any], seed: int) -> str:
    """A stable id: the hash of everything that determines a run's numbers."""
    blob = json.dumps({"schema": RUN_SCHEMA, "kind": kind, "params": params, "seed": int(seed)},
                      sort_keys=True, default=str, allow_nan=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
