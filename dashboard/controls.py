"""What the dashboard's controls hold, and how they become validated model parameters.

:class:`Controls` is the flat set of values the side panel edits (population size, cost
and γ distributions, strategy and target, firm, principal and budget, network, seed, …).
:func:`to_params` turns controls plus a *base* (the full parameters of a loaded scenario,
so that fields without a control, e.g. a learner's learning rate, survive) into
:class:`acsim.model.ModelParams`; anything out of range raises ``ValueError`` with a
message that names the control, which the page shows instead of building a model.
:func:`load` reads a scenario file with :func:`acsim.scenario.load_scenario`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from acsim.agents import FIRMS, PRINCIPAL_STOPS, PRINCIPALS
from acsim.beliefs import BELIEFS
from acsim.model import ModelParams
from acsim.networks import NETWORKS

STRATEGIES = ("feature-label", "feature-only", "erasure")
CURVES = ("sigmoid", "bound")
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
# Population sizes beyond this make one round of a text firm far too slow to watch.
MAX_WORKERS = 1_000_000
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
    firm: str = "theory"
    curve: str = "sigmoid"  # theory firm: a known sigmoid S(α), or the paper's bound
    midpoint: float = 0.08
    slope: float = 60.0
    epochs: int | None = None  # text firms (None: the learner's default)
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


def _number(label: str, v: Any) -> float:
    if v is None:
        raise ValueError(f"{label}: enter a number")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{label}: {v!r} is not a number") from None
    if math.isnan(x):
        raise ValueError(f"{label}: enter a number")
    return x


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
    params = {k: _number(f"{label} {k}", v) for k, v in zip(names, vals)}
    if dist == "beta" and base.get(f"{which}_dist") == "beta":
        for k in ("loc", "scale"):  # not in the panel: kept from the scenario
            if k in base.get(f"{which}_params", {}):
                params[k] = base[f"{which}_params"][k]
    return dist, params


def _check_gamma(dist: str, params: dict[str, Any]) -> None:
    """γ = 1 for every worker: legal in the model (nobody ever joins) but never what a person means."""
    one = (dist == "constant" and float(params["value"]) == 1.0) or (
        dist == "uniform" and float(params["low"]) == 1.0 and float(params["high"]) == 1.0
    )
    if one:
        raise ValueError(
            "free-ride share γ = 1: the join threshold c/(1 − γ) is infinite, so no worker ever joins; "
            "choose γ in [0, 1)"
        )


def to_params(c: Controls, base: Base | None = None) -> ModelParams:
    """Validated :class:`ModelParams` from the controls over ``base`` (ValueError names the control)."""
    b = dict(base.params) if base is not None else {}
    kw: dict[str, Any] = {k: v for k, v in b.items() if k in ModelParams.__dataclass_fields__}
    n = c.n_workers
    if n is None or not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_WORKERS:
        raise ValueError(f"population size N must be an integer in [1, {MAX_WORKERS:,}], got {n!r}")
    kw["n_workers"] = int(n)
    kw["cost_dist"], kw["cost_params"] = _dist_params("cost", c, b)
    kw["gamma_dist"], kw["gamma_params"] = _dist_params("gamma", c, b)
    if kw["gamma_dist"] in DIST_FIELDS:
        g = kw["gamma_params"]
        for k, v in g.items():
            if k in ("value", "low", "high") and not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"free-ride share γ {k} must be in [0, 1), got {v:g}")
        _check_gamma(kw["gamma_dist"], g)
    kw["initial_alpha"] = _number("initial α", c.initial_alpha)
    kw["strategy"] = c.strategy
    if c.target is None:
        raise ValueError("target class: enter a class index")
    kw["target"] = int(c.target)

    firm_changed = b.get("firm") != c.firm
    fp: dict[str, Any] = {} if firm_changed else dict(b.get("firm_params", {}))
    if c.firm == "theory":
        if c.curve == "sigmoid":
            fp = {k: v for k, v in fp.items() if k in ("offset",)}
            fp.update(curve="sigmoid", midpoint=_number("sigmoid midpoint", c.midpoint), slope=_number("sigmoid slope", c.slope))
        else:
            fp = {"curve": "bound"}
    elif c.firm in TEXT_FIRMS:
        if c.epochs is not None:
            if int(c.epochs) < 1:
                raise ValueError(f"epochs must be an integer >= 1, got {c.epochs!r}")
            fp["epochs"] = int(c.epochs)
    kw["firm"] = c.firm
    kw["firm_params"] = fp
    kw["belief"] = c.belief
    kw["network"] = c.network
    if b.get("network") != c.network:
        kw["network_params"] = {}
    kw["principal"] = c.principal
    kw["principal_stop"] = c.principal_stop
    kw["budget"] = math.inf if c.budget is None else _number("budget", c.budget)
    if c.recruits_per_round is not None and int(c.recruits_per_round) < 1:
        raise ValueError(f"recruits per round must be >= 1 (empty: no cap), got {c.recruits_per_round!r}")
    kw["recruits_per_round"] = None if c.recruits_per_round is None else int(c.recruits_per_round)
    if c.seed is None or int(c.seed) < 0:
        raise ValueError(f"seed must be an integer >= 0, got {c.seed!r}")
    kw["seed"] = int(c.seed)
    if c.rounds is None or int(c.rounds) < 1:
        raise ValueError(f"rounds must be an integer >= 1, got {c.rounds!r}")
    kw["rounds"] = int(c.rounds)
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
        firm=p.get("firm", "theory"),
        curve=fp.get("curve", "bound") if isinstance(fp.get("curve", "bound"), str) else "bound",
        midpoint=float(fp.get("midpoint", d.midpoint)), slope=float(fp.get("slope", d.slope)),
        epochs=fp.get("epochs"),
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
    from acsim.scenario import load_scenario, model_params

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
        "principal_stop": PRINCIPAL_STOPS,
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
    if p.rival is not None:
        budget += f", rival collective from α = {float(p.rival.get('initial_alpha', 0.0)):g}"
    return (f"N = {p.n_workers:,}, c ~ {dist(p.cost_dist, p.cost_params)}, γ ~ {dist(p.gamma_dist, p.gamma_params)}, "
            f"{p.strategy} → class {p.target}, firm = {firm}, principal = {p.principal}{budget}, belief = {p.belief}, "
            f"network = {p.network}, seed = {p.seed}")


__all__ = ["Controls", "Base", "to_params", "load", "controls_from_params", "choices", "summary"]
