"""What the dashboard's controls hold, and how they become validated model parameters.

:class:`Controls` is the flat set of values the side panel edits (population size, cost
and γ distributions, strategy and target, firm, principal and budget, network, seed, …).
:func:`to_params` turns controls plus a *base* (the full parameters of a loaded scenario,
so that fields without a control, e.g. a learner's learning rate, survive) into
:class:`acsim.abm.model.ModelParams`; anything out of range raises ``ValueError`` with a
message that names the control, which the page shows instead of building a model.
:class:`dashboard.number.Number` is one numeric text box of the panel; :func:`to_params`
checks the boxes' own ranges, so a text a box accepts is never refused later for a reason
the box did not show. :func:`load` reads a
scenario file with :func:`acsim.runs.scenarios.load_scenario`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from acsim.abm import collectives
from acsim.abm.engines import FIRMS
from acsim.abm.principal import PRINCIPAL_STOPS, PRINCIPALS
from acsim.abm.beliefs import BELIEFS
from acsim.abm.distributions import param_range
from acsim.abm.fields import Range
from acsim.abm.params import FINITE_SAMPLE_KEYS, THEORY_CURVES, ModelParams
from acsim.abm.networks import NETWORKS
from acsim.platform.collectives import NOISE
from acsim.theory import STRATEGIES
from dashboard.number import Number

CURVES = ("sigmoid", *(c for c in THEORY_CURVES if c != "sigmoid"))  # the schema's, the default first
# The distributions a person can edit in the page: (first, second) parameter of each.
DIST_FIELDS: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "uniform": ("low", "high"),
    "beta": ("a", "b"),
    "lognormal": ("mean", "sigma"),
}
EDITABLE_DISTS = tuple(DIST_FIELDS)
COST_DEFAULTS = {"constant": (0.2,), "uniform": (0.05, 0.35), "beta": (2.0, 8.0), "lognormal": (-1.75, 0.6)}
GAMMA_DEFAULTS = {"constant": (0.5,), "uniform": (0.3, 0.7), "beta": (5.0, 5.0), "lognormal": (-0.7, 0.3)}
TEXT_FIRMS = ("bow", "transformer")


@dataclass(frozen=True)
class Controls:
    """The side panel's values. ``cost_a``/``cost_b`` are the distribution's parameters in
    :data:`DIST_FIELDS` order (``cost_b`` unused for ``constant``); same for γ."""

    n_workers: int = 2000
    cost_dist: str = "uniform"
    cost_a: float | None = 0.05
    cost_b: float | None = 0.35
    gamma_dist: str = "uniform"
    gamma_a: float | None = 0.3
    gamma_b: float | None = 0.7
    initial_alpha: float = 0.0
    strategy: str = "feature-label"
    target: int = 0
    coordination: float = 1.0  # q: each member follows the plan with this probability (acsim.abm.collectives)
    noise: str = "nothing"  # what the others do (text firms)
    firm: str = "theory"
    curve: str = "sigmoid"  # theory firm: a known sigmoid S(α), the paper's bound, or the finite-sample bound
    midpoint: float = 0.08
    slope: float = 60.0
    epochs: int | None = None  # text firms (None: the learner's default)
    min_df: int | None = None  # bow firm's defence: drop tokens in fewer training resumes (None: keep all)
    belief: str = "empirical"
    network: str = "barabasi_albert"
    principal: str = "cheapest"
    principal_stop: str = "target"  # target (Section 6's α_crit) or sustained (projected to hold)
    budget: float | None = None  # None: unlimited
    recruits_per_round: int | None = 15
    seed: int = 0
    rounds: int = 30

    def with_dist(self, which: str, dist: str) -> "Controls":
        """Switch the cost or γ distribution, resetting its parameters to that family's defaults."""
        defaults = (COST_DEFAULTS if which == "cost" else GAMMA_DEFAULTS).get(dist)
        if defaults is None:
            return replace(self, **{f"{which}_dist": dist})
        a, b = (defaults + (None,))[:2]
        return replace(self, **{f"{which}_dist": dist, f"{which}_a": a, f"{which}_b": b})

    def with_firm(self, firm: str) -> "Controls":
        return replace(self, firm=firm)


@dataclass(frozen=True)
class Base:
    """A loaded scenario's full parameters (ModelParams fields) and where they came from."""

    params: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    description: str = ""
    path: str = ""
    points: tuple[str, ...] = ()  # sweep points, labelled
    point: int = 0
    variants: tuple[str, ...] = ()
    variant: str | None = None
    note: str = ""


# Every numeric box of the panel but the distributions' parameters (see dist_number); the
# ranges are the schema's (sigmoid midpoint and slope: any finite number, as ModelParams asks).
NUMBERS: dict[str, Number] = {
    "n_workers": Number.of("workers N", "n_workers"),
    "initial_alpha": Number.of("initial α", "initial_alpha"),
    "target": Number.of("target class", "target"),
    "midpoint": Number("sigmoid midpoint"),
    "slope": Number("sigmoid slope"),
    # A learner's own rule (epochs >= 1, checked where the learner is built).
    "epochs": Number("epochs", Range(1), whole=True, empty="the learner's default"),
    "min_df": Number("min_df", Range(1), whole=True, empty="no filter"),
    "coordination": Number.of("coordination q", "coordination"),
    "budget": Number.of("budget", "budget", empty="unlimited"),
    "recruits_per_round": Number.of("recruits per round", "recruits_per_round", empty="no cap"),
    "seed": Number.of("seed", "seed"),
    "rounds": Number.of("rounds", "rounds"),
}


def dist_number(which: str, dist: str, key: str) -> Number:
    """The box of one parameter of the cost (``which="cost"``) or γ distribution, with the schema's range."""
    label = ("cost c" if which == "cost" else "free-ride share γ") + f" {key}"
    return Number(label, param_range(dist, key, unit=which == "gamma"))


def visible_numbers(c: "Controls") -> dict[str, Number]:
    """The numeric boxes the panel shows for these controls, by the :class:`Controls` field they edit.

    Only these are checked: a box the panel hides (epochs of the theory firm, say) cannot
    block Reset.
    """
    out: dict[str, Number] = {"n_workers": NUMBERS["n_workers"]}
    for which in ("cost", "gamma"):
        dist = getattr(c, f"{which}_dist")
        for i, key in enumerate(DIST_FIELDS.get(dist, ())):
            out[f"{which}_{'ab'[i]}"] = dist_number(which, dist, key)
    out["initial_alpha"] = NUMBERS["initial_alpha"]
    out["target"] = NUMBERS["target"]
    out["coordination"] = NUMBERS["coordination"]
    if c.firm == "theory" and c.curve == "sigmoid":
        out["midpoint"], out["slope"] = NUMBERS["midpoint"], NUMBERS["slope"]
    elif c.firm in TEXT_FIRMS:
        out["epochs"] = NUMBERS["epochs"]
        if c.firm == "bow":
            out["min_df"] = NUMBERS["min_df"]
    for k in ("budget", "recruits_per_round", "seed", "rounds"):
        out[k] = NUMBERS[k]
    return out


def text_errors(c: "Controls", texts: dict[str, str]) -> dict[str, str]:
    """The message of every shown box whose typed text (``texts``, by field) is not allowed."""
    boxes = visible_numbers(c)
    out: dict[str, str] = {}
    for k, t in texts.items():
        if k in boxes:
            try:
                boxes[k].parse(t)
            except ValueError as exc:
                out[k] = str(exc)
    return out


def _dist_params(which: str, c: Controls, base: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    dist = getattr(c, f"{which}_dist")
    label = "cost c" if which == "cost" else "free-ride share γ"
    if dist not in DIST_FIELDS:
        # e.g. "values" (one per worker) from a scenario: only the file can say them.
        if base.get(f"{which}_dist") == dist:
            return dist, dict(base[f"{which}_params"])
        raise ValueError(f"{label}: distribution {dist!r} can only come from a scenario file")
    names = DIST_FIELDS[dist]
    vals = (getattr(c, f"{which}_a"), getattr(c, f"{which}_b"))
    params = {k: dist_number(which, dist, k).check(v) for k, v in zip(names, vals)}
    if dist == "beta" and base.get(f"{which}_dist") == "beta":
        for k in ("loc", "scale"):  # not in the panel: kept from the scenario
            if k in base.get(f"{which}_params", {}):
                params[k] = base[f"{which}_params"][k]
    return dist, params


_PARAM_NAMES = frozenset(ModelParams.model_fields)


def to_params(c: Controls, base: Base | None = None) -> ModelParams:
    """Validated :class:`ModelParams` from the controls over ``base`` (ValueError names the control)."""
    b = dict(base.params) if base is not None else {}
    kw: dict[str, Any] = {k: v for k, v in b.items() if k in _PARAM_NAMES}
    num = {k: (lambda k=k: NUMBERS[k].check(getattr(c, k))) for k in NUMBERS}  # the boxes' own rules
    kw["n_workers"] = num["n_workers"]()
    kw["cost_dist"], kw["cost_params"] = _dist_params("cost", c, b)
    kw["gamma_dist"], kw["gamma_params"] = _dist_params("gamma", c, b)
    kw["initial_alpha"] = num["initial_alpha"]()
    kw["strategy"] = c.strategy
    kw["target"] = num["target"]()
    kw["coordination"] = num["coordination"]()
    # A stray trigger is a text notion: the theory and Bayes firms see only who follows.
    kw["noise"] = c.noise if c.firm in TEXT_FIRMS else "nothing"

    firm_changed = b.get("firm") != c.firm
    fp: dict[str, Any] = {} if firm_changed else dict(b.get("firm_params", {}))
    if c.firm == "theory":
        if c.curve == "sigmoid":
            fp = {k: v for k, v in fp.items() if k in ("offset",)}
            fp.update(curve="sigmoid", midpoint=num["midpoint"](), slope=num["slope"]())
        else:  # the paper's bound, or Gauthier et al.'s finite-sample bound (a scenario's settings kept)
            keep = FINITE_SAMPLE_KEYS if c.curve == fp.get("curve") == "finite-sample" else ()
            fp = {"curve": c.curve, **{k: fp[k] for k in keep if k in fp}}
    elif c.firm in TEXT_FIRMS:
        epochs = num["epochs"]()
        if epochs is not None:
            fp["epochs"] = epochs
        min_df = num["min_df"]() if c.firm == "bow" else None
        fp.pop("min_df", None)
        if min_df is not None:
            fp["min_df"] = min_df
    kw["firm"] = c.firm
    kw["firm_params"] = fp
    kw["belief"] = c.belief
    kw["network"] = c.network
    if b.get("network") != c.network:
        kw["network_params"] = {}
    kw["principal"] = c.principal
    kw["principal_stop"] = c.principal_stop
    budget = num["budget"]()
    kw["budget"] = math.inf if budget is None else budget
    kw["recruits_per_round"] = num["recruits_per_round"]()
    kw["seed"] = num["seed"]()
    kw["rounds"] = num["rounds"]()
    return ModelParams(**kw)


def _from_dist(dist: str, params: dict[str, Any]) -> tuple[float | None, float | None]:
    if dist not in DIST_FIELDS:
        return None, None
    vals = [params.get(k) for k in DIST_FIELDS[dist]]
    return (vals + [None])[0], (vals + [None, None])[1]


def controls_from_params(p: dict[str, Any], seed: int = 0) -> Controls:
    """The panel's values for a scenario's parameters (fields without a control stay in the base)."""
    fp = p.get("firm_params", {})
    d = Controls()
    ca, cb = _from_dist(p.get("cost_dist", "constant"), p.get("cost_params", {}))
    ga, gb = _from_dist(p.get("gamma_dist", "constant"), p.get("gamma_params", {}))
    budget = p.get("budget", math.inf)
    return Controls(
        n_workers=int(p.get("n_workers", d.n_workers)),
        cost_dist=p.get("cost_dist", "constant"), cost_a=ca, cost_b=cb,
        gamma_dist=p.get("gamma_dist", "constant"), gamma_a=ga, gamma_b=gb,
        initial_alpha=float(p.get("initial_alpha", 0.0)),
        strategy=p.get("strategy", d.strategy), target=int(p.get("target", 0)),
        coordination=float(p.get("coordination", 1.0)), noise=p.get("noise", "nothing"),
        firm=p.get("firm", "theory"),
        curve=fp.get("curve", "bound") if isinstance(fp.get("curve", "bound"), str) else "bound",
        midpoint=float(fp.get("midpoint", d.midpoint)), slope=float(fp.get("slope", d.slope)),
        epochs=fp.get("epochs"), min_df=fp.get("min_df"),
        belief=p.get("belief", "empirical"), network=p.get("network", "none"),
        principal=p.get("principal", "none"), principal_stop=p.get("principal_stop", "target"),
        budget=None if budget is None or math.isinf(float(budget)) else float(budget),
        recruits_per_round=p.get("recruits_per_round"),
        seed=int(seed), rounds=int(p.get("rounds", d.rounds)),
    )


def load(path: str, point: int = 0, variant: str | None = None) -> tuple[Controls, Base]:
    """Controls and base parameters from a scenario file or shipped name (ValueError / OSError on failure).

    A scenario with a ``[sweep]`` is a batch; the dashboard shows one of its points
    (``point``, 0-based) and lists all of them. The point's first seed is the seed.
    """
    from acsim.runs.scenarios import load_scenario, model_params

    text = str(path).strip()
    if not text:
        raise ValueError("scenario: enter a file path or a shipped scenario name")
    loaded = load_scenario(text, variant=variant or None)
    if loaded.scenario.kind != "model":
        raise ValueError(
            f"{loaded.where}kind = {loaded.scenario.kind!r}: this scenario runs the paper's resume experiments "
            "(Figures 2–6), not the agent-based model; run it with `acsim run`"
        )
    labels = tuple(", ".join(f"{k} = {v}" for k, v in pt.items()) or "(no sweep)" for pt in loaded.points)
    if not 0 <= point < len(loaded.resolved):
        point = 0
    sc = loaded.resolved[point]
    params = model_params(sc, loaded.base_dir)
    note = ""
    if len(sc.seeds) > 1:
        note = f"the scenario runs seeds {sc.seeds}; the dashboard shows seed {sc.seeds[0]} (change it below)"
    base = Base(
        params=params, name=loaded.name, description=sc.description.strip(), path=str(loaded.path or text),
        points=labels, point=point, variants=tuple(loaded.scenario.variants), variant=variant or None, note=note,
    )
    return controls_from_params(params, seed=sc.seeds[0]), base


def choices() -> dict[str, tuple[str, ...]]:
    """The options of every select in the panel."""
    return {
        "dist": EDITABLE_DISTS, "strategy": STRATEGIES, "firm": FIRMS, "curve": CURVES,
        "belief": BELIEFS, "network": NETWORKS[:4], "principal": PRINCIPALS,
        "principal_stop": PRINCIPAL_STOPS, "noise": NOISE,
    }


def summary(p: ModelParams) -> str:
    """One line describing the parameters, for the page header."""
    def dist(d: str, params: dict[str, Any]) -> str:
        if d == "constant":
            return f"{params['value']:g}"
        if d == "values":
            return "per-worker values"
        return f"{d}(" + ", ".join(f"{k}={v:g}" for k, v in params.items()) + ")"

    fp = ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in p.firm_params.items()
                   if isinstance(v, (int, float, str)))
    firm = f"{p.firm} ({fp})" if fp else p.firm
    budget = "" if p.principal == "none" or math.isinf(p.budget) else f", budget {p.budget:g}"
    if p.principal != "none" and p.principal_stop != "target":
        budget += f", stops when {p.principal_stop}"
    budget += collectives.label(p)  # further collectives, coordination noise
    return (f"N = {p.n_workers:,}, c ~ {dist(p.cost_dist, p.cost_params)}, γ ~ {dist(p.gamma_dist, p.gamma_params)}, "
            f"{p.strategy} → class {p.target}, firm = {firm}, principal = {p.principal}{budget}, belief = {p.belief}, "
            f"network = {p.network}, seed = {p.seed}")


__all__ = ["Controls", "Base", "Number", "NUMBERS", "dist_number", "visible_numbers", "text_errors", "to_params", "load",
           "controls_from_params", "choices", "summary"]
