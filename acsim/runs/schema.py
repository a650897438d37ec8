"""The scenario schema: the sections of a scenario file and the checks that span them.

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
                  trigger_spacing [text firms: the trigger every k-th word, ≥ 1; default 20];
                  coordination [1, in [0, 1]: each member of every collective follows the plan with
                  this probability] and noise [nothing | spacing | other-trigger (text firms)]
    [firm]        kind [theory | bayes | bow | encoder | transformer]; success_metric [inclusion | top1];
                  theory: curve [bound | sigmoid | finite-sample], midpoint, slope, offset [0, in [0, 1)];
                  finite-sample (Gauthier et al. 2025, on a platform of population.n): signals [1, ≥ 1],
                  fail_prob [0.05, in (0, 1)], n_test [population.n, ≥ 1], with firm.bound's xi, delta (p);
                  bayes: eps [0, in [0, 0.5)], adversary [contamination | tv], grid [1025, ≥ 2],
                  [firm.world] (acsim.theory.discrete.random_world's arguments);
                  text firms: [firm.learner] (the learner's keyword arguments);
                  [firm.bound] xi [≥ 0], delta [in [0, 1]], p [in (0, 1]], tau [≥ 0],
                  eps [in [0, 0.5)] (the theory bound; missing ones are estimated/defaulted)
    [workers]     belief [empirical | theory | network]; prior [0, in [0, 1]];
                  hearing [average | any]; allow_leave [true]; temperature [0, ≥ 0]
    [[collectives]]  further collectives, one table each (acsim.abm.collectives): initial_alpha
                  [0, in [0, 1]]; target [the class after the previous one's]; trigger [U+2021,
                  U+2020, §, ¶]; trigger_spacing; strategy [the first's: feature-label | feature-only]
    [principal]   policy [none | cheapest | hubs | random]; budget [inf, ≥ 0];
                  margin [0, ≥ 0]; recruits_per_round [no cap, ≥ 1]; curve [auto | bound];
                  target_alpha [α_crit, in [0, 1]]; stop [target | sustained];
                  probes [8, in [0, 64]: trained firms, sizes the principal measures first]
    [data]        source [synthetic | synthetic-v1 | florex | csv]; path; n_train; n_test; seed;
                  csv: text_column [text]; label_column [labels; a list: 0/1 columns]; label_sep [;];
                  csv/florex: encoding; dedupe [true]; [data.options] (the loader's other arguments)
    [experiment]  (kind = "experiment") figure [fig2..fig6]; epochs [5]; sizes [20];
                  target_success [0.9, in (0, 1)]; fit [plateau | paper]; target [the figure's:
                  a class name or index]; members [sizes as member counts, e.g. [0, 1, 2, 3, 5, 8, 12]];
                  coordination [1, in [0, 1]] and noise [nothing | spacing | other-trigger] of the members;
                  [[experiment.collectives]]: alpha [in (0, 1)], target [1], trigger [U+2021], strategy
                  (run seed s draws its corpus, or split, with data.seed + s)
    [sweep]       mode [grid | zip]; then dotted parameter paths with a list of values, or
                  {linspace = [lo, hi, n]}, {geomspace = [lo, hi, n]}, {range = [start, stop, step]}
    [variants.NAME]  dotted parameter paths with one value each (e.g. the GPU variant),
                  applied by ``acsim run SCENARIO --variant NAME``
"""

from __future__ import annotations

import codecs
import inspect
import json
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, Field, PrivateAttr, ValidationError, create_model
from pydantic_core import PydanticCustomError

from acsim.abm.engines import FIRMS
from acsim.abm.fields import Eps, Finite, NonNegInt, ParamError, PosInt, Range, Strict, Unit, bad, first_message
from acsim.abm.params import (
    FINITE_SAMPLE_KEYS, SELECTIONS, SUCCESS_METRICS, THEORY_CURVES, Bound, Dist, Grid, ModelParams, Network, NWorkers, Offset, Rounds,
)
from acsim.abm.collectives import Collective as ParamsCollective
from acsim.platform.collectives import NOISE
from acsim.platform.data import load_csv, load_florex, synthetic_resumes, synthetic_v1
from acsim.platform.text import RIVAL_TRIGGER
from acsim.platform.learners.base import TEXT_LEARNERS
from acsim.runs.scenario_params import (
    COLLECTIVE_KEYS, PRINCIPAL_KEYS, WORKER_KEYS, check_kwargs, learner_params, learner_values, model_params, scenario_loc, scenario_name,
)
from acsim.theory import STRATEGIES
from acsim.theory.discrete import random_world
from acsim.theory.firms.bayes import ADVERSARIES


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
    coordination: Unit = 1.0
    noise: Literal[NOISE] = "nothing"  # type: ignore[valid-type]


class Firm(Strict):
    kind: Literal[FIRMS] = "theory"  # type: ignore[valid-type]
    success_metric: Literal[SUCCESS_METRICS] = "inclusion"  # type: ignore[valid-type]
    curve: Literal[THEORY_CURVES] = "bound"  # type: ignore[valid-type]
    midpoint: Optional[Finite] = None
    slope: Optional[Finite] = None
    offset: Optional[Offset] = None
    signals: Optional[PosInt] = None
    fail_prob: Optional[Annotated[float, Range(0.0, 1.0, lo_open=True, hi_open=True)]] = None
    n_test: Optional[PosInt] = None
    eps: Optional[Eps] = None
    adversary: Optional[Literal[ADVERSARIES]] = None  # type: ignore[valid-type]
    grid: Optional[Grid] = None
    world: dict[str, Any] = Field(default_factory=dict)
    learner: dict[str, Any] = Field(default_factory=dict)
    bound: Bound = Field(default_factory=Bound)


def _section_of(name: str, keys: dict[str, str], doc: str, source: type[BaseModel] = ModelParams) -> type[Strict]:
    """A scenario section whose keys are fields of ``source`` (ModelParams): their types, ranges and defaults."""
    spec: dict[str, Any] = {}
    for key, field in keys.items():
        f = source.model_fields[field]
        spec[key] = (Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation, f.default)
    return create_model(name, __base__=Strict, __doc__=doc, __module__=__name__, **spec)


Workers = _section_of("Workers", WORKER_KEYS, "[workers]: what workers believe S is and how they choose (ModelParams' fields).")
PrincipalSection = _section_of("PrincipalSection", PRINCIPAL_KEYS, "[principal]: who invests and how (ModelParams' principal fields).")
FurtherCollective = _section_of("FurtherCollective", COLLECTIVE_KEYS,
                                "[[collectives]]: a further collective on the platform (acsim.abm.collectives.Collective's fields).",
                                ParamsCollective)


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


class OtherCollective(Strict):
    """[[experiment.collectives]]: a further collective of the resume experiments (acsim.platform.collectives)."""

    alpha: Annotated[float, Range(0.0, 1.0, lo_open=True, hi_open=True)]
    target: NonNegInt = 1
    trigger: str = RIVAL_TRIGGER
    strategy: Literal["feature-label", "feature-only"] = "feature-label"


class Experiment(Strict):
    figure: Literal["fig2", "fig3", "fig4", "fig5", "fig6"] = "fig2"
    epochs: Annotated[int, Range(1, 1000)] = 5
    sizes: Annotated[int, Range(2, 1000)] = 20
    target_success: Annotated[float, Range(0.0, 1.0, lo_open=True, hi_open=True)] = 0.9
    fit: Literal["plateau", "paper"] = "plateau"
    target: Optional[Union[NonNegInt, str]] = None  # aim every curve at this class (name or index)
    members: Optional[list[NonNegInt]] = None  # sizes as member counts (0 = the baseline), not shares
    collectives: list[OtherCollective] = Field(default_factory=list)  # further collectives on the platform
    coordination: Unit = 1.0  # q: each member follows its strategy with this probability
    noise: Literal[NOISE] = "nothing"  # type: ignore[valid-type]  (what the others do)


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
    collectives: list[FurtherCollective] = Field(default_factory=list)
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


def validate_scenario(raw: dict, where: str) -> Scenario:
    if "rival" in raw:  # the section before [[collectives]]: say what replaced it
        raise ScenarioError(f"{where}[rival] is now [[collectives]] (one table per further collective, the same keys)")
    try:
        sc = Scenario.model_validate(raw)
        sc._notes = _cross_check(sc)
        return sc
    except ValidationError as exc:
        raise ScenarioError(first_message(exc, raw, where, Scenario, scenario_name)) from None


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
        finite_keys = [k for k in FINITE_SAMPLE_KEYS if getattr(f, k) is not None]
        if finite_keys and not (f.kind == "theory" and f.curve == "finite-sample"):
            notes.append(f"firm.{', firm.'.join(finite_keys)} not used (only by firm.kind = 'theory' with firm.curve = 'finite-sample')")
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
        for section in ("population", "workers", "principal", "collectives"):
            if section in sc.model_fields_set:
                fail((section,), bad("does not apply to kind = 'experiment' (the figure fixes the runs)"))
        for key in sorted(sc.collective.model_fields_set - {"trigger_spacing"}):
            fail(("collective", key), bad("does not apply to kind = 'experiment' (the figure fixes strategy and target)"))
        if "rounds" in sc.model_fields_set:
            fail(("rounds",), bad("does not apply to kind = 'experiment' (one training run per point)"))
        for key in sorted({"curve", "eps", "adversary", "grid", "world", "bound", "success_metric", *sigmoid_keys,
                           *FINITE_SAMPLE_KEYS} & f.model_fields_set):
            fail(("firm", key), bad("does not apply to kind = 'experiment' (only firm.kind and firm.learner do)"))
    if f.kind in TEXT_LEARNERS and f.learner:
        n_errs = len(errs)
        check_kwargs(("firm", "learner"), f.learner, learner_params(f.kind), {"seed"} | ({"epochs"} if sc.kind == "experiment" else set()), fail)
        wrong = learner_values(f.kind, json.dumps(f.learner, sort_keys=True)) if len(errs) == n_errs else None
        if wrong is not None:
            key, msg = wrong
            fail(("firm", "learner"), bad(msg, sub=key, value=f.learner.get(key), has_value=key is not None))
    if f.kind == "bayes" and f.world:
        check_kwargs(("firm", "world"), f.world, set(inspect.signature(random_world).parameters) - {"rng"}, set(), fail)
    for key in ("text_column", "label_column", "label_sep", "encoding", "dedupe"):
        allowed = ("csv", "florex") if key in ("encoding", "dedupe") else ("csv",)
        if getattr(sc.data, key) is not None and sc.data.source not in allowed:
            fail(("data", key), bad(f"applies only to source = {' or '.join(map(repr, allowed))}", value=getattr(sc.data, key), has_value=True))
    if sc.data.encoding is not None:
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
        loader = {"synthetic": synthetic_resumes, "synthetic-v1": synthetic_v1.synthetic_resumes, "florex": load_florex, "csv": load_csv}[sc.data.source]
        check_kwargs(("data", "options"), sc.data.options, set(inspect.signature(loader).parameters) - {"path", "n_train", "n_test", "seed"}, set(), fail)
    if not sc.data.source.startswith("synthetic") and sc.data.path is None and (sc.kind == "experiment" or f.kind in TEXT_LEARNERS):
        fail(("data",), bad(f"data.source = {sc.data.source!r} needs data.path"))
    if errs:
        raise ValidationError.from_exception_data("Scenario", errs)  # type: ignore[arg-type]
    return notes


def model_check(sc: Scenario, where: str) -> None:
    """Let the one schema check what spans sections (e.g. a principal that needs a network), in the file's words."""
    if sc.kind != "model":
        return
    try:
        ModelParams(**model_params(sc))
    except ParamError as exc:
        raise ScenarioError(in_file_words(exc, where, sc.model_dump())) from None


def in_file_words(exc: ParamError, where: str, raw: dict | None = None) -> str:
    """A :class:`ModelParams` problem said the way the scenario file writes its fields (``collective.target``)."""
    errors = [{**e, "loc": scenario_loc(tuple(e["loc"]) + _sub(e))} for e in exc.errors]
    errors = [{**e, "ctx": {**e["ctx"], "sub": None}} if _sub(e) else e for e in errors]
    return first_message(errors, raw or {}, where, Scenario, scenario_name)


def _sub(err: dict) -> tuple:
    sub = (err.get("ctx") or {}).get("sub")
    return (sub,) if sub is not None else ()
