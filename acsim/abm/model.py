"""CollectiveActionModel: the paper's Section 6 as a Mesa 3 model with a firm that really retrains.

Section 6 of the paper assumes a worker knows the success curve S(α) and joins iff
S(α) − c > γS(α); it then reads off the critical mass α_crit for S* = c/(1 − γ) and the
principal's investment B(α_crit) (Figure 7). Here S is *measured* every round by a firm
that retrains on the platform's data, workers act on beliefs about it, and a principal
may pay recruits. One round (``model.step()``), as in DESIGN.md:

1. ``firm.retrain``: fit f on the platform data (members' points through strategy h);
2. ``firm.measure``: S_t (top-1 and inclusion), clean accuracy, the bound at α_t;
3. ``model.decide``: every worker forms its belief b_i and joins iff b_i − c_i > γ_i b_i;
   members for whom that fails leave (vectorised over all workers);
4. ``principal.step``: subsidised recruits, spend;
5. ``datacollector.collect``: one row (see :data:`ROW_COLUMNS`).

Each stage reads only what the previous ones wrote. Everything random is drawn from
``model.rng`` (Mesa's seeded numpy generator), so the same seed gives the same rows
(except ``train_seconds``, a wall-clock time).

Quick start::

    from acsim.abm.model import CollectiveActionModel, ModelParams
    m = CollectiveActionModel(ModelParams(n_workers=10_000, principal="cheapest", seed=1,
                                          firm_params={"curve": "sigmoid", "midpoint": 0.1, "slope": 60}))
    rows = m.run(5)            # pandas DataFrame, one row per round
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Any, Callable, Mapping

import mesa
import numpy as np
import pandas as pd
from scipy.special import expit

from acsim.abm.engines import FIRMS, BayesEngine, CurveEngine, FirmEngine, Measurement
from acsim.abm.firm import Firm
from acsim.abm.principal import PRINCIPAL_STOPS, PRINCIPALS, Principal
from acsim.abm.text_engine import TextEngine
from acsim.abm.workers import Worker, WorkerArrays
from acsim.abm.beliefs import BELIEFS, HEARING, BeliefModel
from acsim.theory.economics import SuccessCurve, as_success_curve, membership_gain, next_members, sigmoid_curve
from acsim.abm.networks import NETWORKS, build_network, check_network_params, degrees, hub_order
from acsim.platform.learners.base import TEXT_LEARNERS
from acsim.platform.strategies import Strategy
from acsim.platform.text import RIVAL_TRIGGER
from acsim.theory.theorem_bound import THEORY_KEYS, theory_bound

DISTRIBUTIONS = ("constant", "uniform", "beta", "lognormal", "values")
SELECTIONS = ("random", "cheapest", "hubs")
SUCCESS_METRICS = ("inclusion", "top1")
PRINCIPAL_CURVES = ("auto", "bound")
TEXT_FIRMS = TEXT_LEARNERS

# Theory firm defaults: the README's running example (ξ = 10⁻³, Δ = 1 as in Figure 1).
THEORY_DEFAULTS: dict[str, float] = {"xi": 1e-3, "delta": 1.0, "p": 0.3, "tau": 1e-3, "eps": 0.0}
_THEORY_FIRM_KEYS = {"curve", "midpoint", "slope", "offset"}
_BAYES_FIRM_KEYS = {"world", "world_params", "eps", "adversary", "grid"}

ROW_COLUMNS: tuple[str, ...] = (
    "round",  # 1, 2, ... (Mesa's model.steps)
    "firm",  # theory / bayes / bow / transformer
    "S_source",  # curve:<name> (no training) | exact:bayes | trained:<learner>
    "alpha",  # α_t: the collective's share when the firm retrained this round
    "members",  # members at that time
    "S",  # the success that drives decisions (success_metric)
    "S_top1",
    "S_inclusion",
    "bound",  # the paper's bound at α_t (Thm 1/3/5; raw, may be negative; NaN at α = 0)
    "belief_mean",
    "threshold_min",  # join thresholds c_i/(1 − γ_i) over workers (Section 6)
    "threshold_median",
    "threshold_max",
    "willing",  # share of workers whose belief makes joining rational this round
    "joins",  # voluntary joins in stage 3
    "leaves",
    "recruits",  # subsidised joins in stage 4
    "members_end",  # members after stages 3 and 4 (what the firm trains on next round)
    "alpha_end",
    "spend",  # principal's payments this round
    "spend_total",
    "budget_left",
    "principal_status",  # off | investing | reached | sustained | unravelled | exhausted | hopeless
    "alpha_crit",  # critical mass on the principal's S-curve (Section 6)
    "B_crit",  # B(α_crit) per worker (Figure 7; min-cost plan for heterogeneous workers)
    "B_crit_total",  # N · B_crit, comparable with spend_total
    "accuracy",  # clean accuracy of the firm's model (1 − Hamming loss; NaN for the theory firm)
    "train_seconds",
    # A second, competing collective (ModelParams.rival); NaN / 0 without one.
    "rival_alpha",  # its share when the firm retrained
    "rival_S",  # its success, measured with its own trigger and target (success_metric)
    "rival_joins",  # joins in stage 3 (switchers from the first collective included)
    "rival_leaves",
    "rival_alpha_end",
)
RIVAL_KEYS = {"initial_alpha", "target", "trigger", "spacing"}


def _fail(name: str, what: str, got: Any) -> None:
    raise ValueError(f"{name} must be {what}, got {got!r}")


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


# Costs are exp(mean + sigma·z): past this a draw overflows float64 to inf. Ten sigmas
# (7.6e-24 per draw) keep every one of 10⁷ workers finite.
LOGNORMAL_LIMIT = math.log(np.finfo(float).max)


def lognormal_overflows(mean: float, sigma: float) -> bool:
    """Whether ``rng.lognormal(mean, sigma)`` can overflow to inf for a population (mean + 10·sigma past log(max float))."""
    return float(mean) + 10.0 * float(sigma) > LOGNORMAL_LIMIT


def _check_dist(name: str, dist: str, params: Mapping[str, Any], n: int, unit: bool) -> None:
    """Validate a cost (unit=False: support in [0, ∞)) or γ (unit=True: [0, 1]) distribution."""
    field_ = f"{name}_params"
    if dist not in DISTRIBUTIONS:
        _fail(f"{name}_dist", f"one of {', '.join(DISTRIBUTIONS)}", dist)
    keys = {"constant": {"value"}, "uniform": {"low", "high"}, "beta": {"a", "b", "loc", "scale"},
            "lognormal": {"mean", "sigma"}, "values": {"values"}}[dist]
    required = {"constant": {"value"}, "uniform": {"low", "high"}, "beta": {"a", "b"},
                "lognormal": {"mean", "sigma"}, "values": {"values"}}[dist]
    if set(params) - keys or required - set(params):
        raise ValueError(f"{field_} for {name}_dist={dist!r} takes {sorted(keys)} (required: {sorted(required)}), got {sorted(params)}")
    hi = 1.0 if unit else math.inf
    rng_txt = "[0, 1]" if unit else "[0, inf)"

    def in_support(key: str, v: Any) -> None:
        if not _finite(v) or not 0.0 <= float(v) <= hi:
            _fail(f"{field_}.{key}", f"in {rng_txt}", v)

    if dist == "constant":
        in_support("value", params["value"])
    elif dist == "uniform":
        in_support("low", params["low"])
        in_support("high", params["high"])
        if float(params["low"]) > float(params["high"]):
            _fail(f"{field_}.high", f">= low = {params['low']}", params["high"])
    elif dist == "beta":
        for k in ("a", "b"):
            if not _finite(params[k]) or float(params[k]) <= 0:
                _fail(f"{field_}.{k}", "> 0", params[k])
        loc, scale = float(params.get("loc", 0.0)), float(params.get("scale", 1.0))
        in_support("loc", loc)
        if not _finite(scale) or scale < 0 or loc + scale > hi:
            _fail(f"{field_}.scale", f">= 0 with loc + scale in {rng_txt}", params.get("scale", 1.0))
    elif dist == "lognormal":
        if not _finite(params["mean"]):
            _fail(f"{field_}.mean", "finite", params["mean"])
        if not _finite(params["sigma"]) or float(params["sigma"]) < 0:
            _fail(f"{field_}.sigma", ">= 0", params["sigma"])
        if not unit and lognormal_overflows(params["mean"], params["sigma"]):
            _fail(f"{field_}.sigma", f"such that mean + 10·sigma <= {LOGNORMAL_LIMIT:.2f} (else costs overflow to inf)", params["sigma"])
    else:
        v = np.asarray(params["values"], dtype=float)
        if v.shape != (n,):
            _fail(f"{field_}.values", f"an array of length n_workers = {n}", f"shape {v.shape}")
        if not np.all(np.isfinite(v)) or v.min() < 0 or v.max() > hi:
            _fail(f"{field_}.values", f"all in {rng_txt}", f"range [{v.min()}, {v.max()}]")


def draw(dist: str, params: Mapping[str, Any], n: int, rng: np.random.Generator, unit: bool = False) -> np.ndarray:
    """n draws of a cost (unit=False) or free-ride share γ (unit=True; lognormal truncated at 1)."""
    if dist == "constant":
        out = np.full(n, float(params["value"]))
    elif dist == "uniform":
        out = rng.uniform(float(params["low"]), float(params["high"]), n)
    elif dist == "beta":
        out = float(params.get("loc", 0.0)) + float(params.get("scale", 1.0)) * rng.beta(params["a"], params["b"], n)
    elif dist == "lognormal":
        out = rng.lognormal(float(params["mean"]), float(params["sigma"]), n)
    else:
        out = np.array(params["values"], dtype=float)
    return np.minimum(out, 1.0) if unit else out


@dataclass
class ModelParams:
    """All parameters of :class:`CollectiveActionModel`, flat and validated (ValueError names the field).

    Population (Section 6): ``n_workers``; costs c_i ~ ``cost_dist`` with ``cost_params``
    and free-ride shares γ_i ~ ``gamma_dist`` with ``gamma_params``. Distributions:
    ``constant`` {value}, ``uniform`` {low, high}, ``beta`` {a, b, loc=0, scale=1},
    ``lognormal`` {mean, sigma} (numpy's: of the underlying normal; a γ draw above 1 is
    truncated to 1, a worker who never joins), ``values`` {values: one per worker}.
    ``initial_alpha`` of the workers start as members, chosen by ``initial_selection``
    (``random``, ``cheapest`` = lowest threshold, ``hubs`` = highest degree).

    Collective: ``strategy`` (feature-label, feature-only, erasure) and ``target`` class y*.

    Firm: ``firm`` = ``theory`` (a known curve, no training), ``bayes`` (exact, discrete
    world), ``bow`` or ``transformer`` (text learners, retrained every round).
    ``firm_params``: theory: ``curve`` = "bound" (default; the theorem for the strategy
    with ``theory_params``), "sigmoid" (with ``midpoint``, ``slope``, ``offset``,
    :func:`acsim.theory.economics.sigmoid_curve`), or a callable α ↦ S / SuccessCurve / (α, S)
    samples; bayes: ``world`` (a DiscreteWorld) or ``world_params`` for
    :func:`acsim.theory.discrete.random_world`, ``eps``, ``adversary``, ``grid`` (sample points
    of the exact S-curve for the B(α_crit) integral); text: the learner's keyword arguments (e.g.
    ``epochs``) plus ``spacing`` of the trigger. ``success_metric``: which S drives
    decisions, ``inclusion`` or ``top1``. ``theory_params``: ξ, Δ, p, τ, ε for the bound
    (missing ones: exact for bayes, estimated for text firms (ξ: upper 95% confidence
    bound from the workers' resumes; Δ = 1; p: 1% quantile of the firm's scores),
    :data:`THEORY_DEFAULTS` for the theory firm). ``data_source`` / ``data_params``: the
    text corpus (:func:`acsim.platform.data.load_dataset`; synthetic default with
    n_train = min(n_workers, 25,000), n_test = 1,000).

    Beliefs: ``belief`` = ``empirical`` | ``theory`` | ``network`` (see
    :mod:`acsim.abm.beliefs`), with ``prior_belief`` and ``hearing`` for networks.
    Network: ``network`` = none | erdos_renyi | barabasi_albert | watts_strogatz |
    edgelist with ``network_params`` (:mod:`acsim.abm.networks`).

    Principal: ``principal`` = none | cheapest | hubs | random, ``budget`` (total),
    ``margin`` (added to every subsidy), ``recruits_per_round`` (None = no cap),
    ``principal_curve`` (``auto``: the firm's S-curve: the given or exact one, and for a
    trained firm what it measures by retraining the learner at ``principal_probes``
    collective sizes before investing, updated with every measured round; the bound
    when workers believe the bound or ``principal_probes = 0``; ``bound``: always the
    bound). With a trained firm the principal also verifies: it holds its recruits
    until a round measured at the target size shows the collective keeps its size, and
    recruits on if not; after it stops, its status is ``reached`` only while the
    collective stays at least that size, ``unravelled`` below it,
    ``principal_target_alpha`` (None = α_crit of that curve), ``principal_stop``
    (``target``: stop at that size, as in Section 6; ``sustained``: go on until a
    projection of the workers' own decisions, contracts ended, carries the collective to
    the stable size of the S-curve; see :class:`acsim.abm.principal.Principal`).

    A second, competing collective: ``rival`` = None or a dict with ``initial_alpha``
    (its random starting members, disjoint from the first's), ``target`` (its class y*;
    text firms; default the class after ``target``), ``trigger`` (its signal; default
    :data:`acsim.platform.text.RIVAL_TRIGGER`; the first collective's trigger makes the two
    fight over one signal) and ``spacing``. It uses the same strategy; a worker belongs
    to at most one collective and picks the one with the larger gain (1 − γ)b − c > 0.
    The principal backs the first collective only and plans as if the rival were absent.

    Decisions: ``allow_leave``; ``temperature`` (0 = the deterministic rule; T > 0 = logit
    choice, member with probability σ(((1 − γ)b − c)/T)). Run: ``rounds``, ``seed``.
    ``worker_agents``: how many Worker Mesa agents to create (None = one per worker);
    the arrays always hold all workers.
    """

    n_workers: int = 1000
    cost_dist: str = "constant"
    cost_params: dict = field(default_factory=lambda: {"value": 0.2})
    gamma_dist: str = "constant"
    gamma_params: dict = field(default_factory=lambda: {"value": 0.5})
    initial_alpha: float = 0.0
    initial_selection: str = "random"
    strategy: str = "feature-label"
    target: int = 0
    firm: str = "theory"
    firm_params: dict = field(default_factory=dict)
    success_metric: str = "inclusion"
    theory_params: dict = field(default_factory=dict)
    data_source: str = "synthetic"
    data_params: dict = field(default_factory=dict)
    belief: str = "empirical"
    prior_belief: float = 0.0
    hearing: str = "average"
    network: str = "none"
    network_params: dict = field(default_factory=dict)
    principal: str = "none"
    budget: float = math.inf
    margin: float = 0.0
    recruits_per_round: int | None = None
    principal_curve: str = "auto"
    principal_target_alpha: float | None = None
    principal_stop: str = "target"
    principal_probes: int = 8
    rival: dict | None = None
    allow_leave: bool = True
    temperature: float = 0.0
    rounds: int = 20
    seed: int | None = None
    worker_agents: int | None = None

    def __post_init__(self) -> None:
        n = self.n_workers
        if not _is_int(n) or n < 1:
            _fail("n_workers", "an integer >= 1", n)
        _check_dist("cost", self.cost_dist, self.cost_params, n, unit=False)
        _check_dist("gamma", self.gamma_dist, self.gamma_params, n, unit=True)
        if not _finite(self.initial_alpha) or not 0.0 <= float(self.initial_alpha) <= 1.0:
            _fail("initial_alpha", "in [0, 1]", self.initial_alpha)
        if self.initial_selection not in SELECTIONS:
            _fail("initial_selection", f"one of {', '.join(SELECTIONS)}", self.initial_selection)
        try:
            self.strategy = Strategy.parse(self.strategy).value
        except ValueError as exc:
            raise ValueError(f"strategy: {exc}") from None
        if not _is_int(self.target) or self.target < 0:
            _fail("target", "a class index >= 0", self.target)
        if self.firm not in FIRMS:
            _fail("firm", f"one of {', '.join(FIRMS)}", self.firm)
        if not isinstance(self.firm_params, Mapping):
            _fail("firm_params", "a dict", self.firm_params)
        self._check_firm_params()
        if self.success_metric not in SUCCESS_METRICS:
            _fail("success_metric", f"one of {', '.join(SUCCESS_METRICS)}", self.success_metric)
        self._check_theory_params()
        self._check_rival()
        if self.belief not in BELIEFS:
            _fail("belief", f"one of {', '.join(BELIEFS)}", self.belief)
        if not _finite(self.prior_belief) or not 0.0 <= float(self.prior_belief) <= 1.0:
            _fail("prior_belief", "in [0, 1]", self.prior_belief)
        if self.hearing not in HEARING:
            _fail("hearing", f"one of {', '.join(HEARING)}", self.hearing)
        if self.network not in NETWORKS:
            _fail("network", f"one of {', '.join(NETWORKS)}", self.network)
        check_network_params(self.network, self.network_params, n)
        if self.principal not in PRINCIPALS:
            _fail("principal", f"one of {', '.join(PRINCIPALS)}", self.principal)
        try:
            budget = float(self.budget)
        except (TypeError, ValueError):
            budget = math.nan
        if math.isnan(budget) or budget < 0:
            _fail("budget", ">= 0 (inf for no limit)", self.budget)
        if not _finite(self.margin) or float(self.margin) < 0:
            _fail("margin", ">= 0", self.margin)
        if self.recruits_per_round is not None and (not _is_int(self.recruits_per_round) or self.recruits_per_round < 1):
            _fail("recruits_per_round", "None or an integer >= 1", self.recruits_per_round)
        if self.principal_curve not in PRINCIPAL_CURVES:
            _fail("principal_curve", f"one of {', '.join(PRINCIPAL_CURVES)}", self.principal_curve)
        t = self.principal_target_alpha
        if t is not None and (not _finite(t) or not 0.0 < float(t) <= 1.0):
            _fail("principal_target_alpha", "None or in (0, 1]", t)
        if self.principal_stop not in PRINCIPAL_STOPS:
            _fail("principal_stop", f"one of {', '.join(PRINCIPAL_STOPS)}", self.principal_stop)
        if not _is_int(self.principal_probes) or not 0 <= self.principal_probes <= 64:
            _fail("principal_probes", "an integer in [0, 64] (0: plan on the bound)", self.principal_probes)
        if not isinstance(self.allow_leave, (bool, np.bool_)):
            _fail("allow_leave", "True or False", self.allow_leave)
        if not _finite(self.temperature) or float(self.temperature) < 0:
            _fail("temperature", ">= 0 (0 = deterministic rule)", self.temperature)
        if not _is_int(self.rounds) or self.rounds < 1:
            _fail("rounds", "an integer >= 1", self.rounds)
        if self.seed is not None and (not _is_int(self.seed) or self.seed < 0):
            _fail("seed", "None or an integer >= 0", self.seed)
        if self.worker_agents is not None and (not _is_int(self.worker_agents) or self.worker_agents < 0):
            _fail("worker_agents", "None or an integer >= 0", self.worker_agents)
        # Combinations that cannot mean anything.
        if self.network == "none":
            if self.belief == "network":
                raise ValueError("belief='network' needs a network: set network to one of " + ", ".join(NETWORKS[1:]))
            if self.principal == "hubs":
                raise ValueError("principal='hubs' needs a network (hubs are high-degree workers)")
            if self.initial_selection == "hubs" and self.initial_alpha > 0:
                raise ValueError("initial_selection='hubs' needs a network")
        if self.firm in TEXT_FIRMS and self.strategy == Strategy.ERASURE.value:
            raise ValueError("strategy='erasure' is supported with the theory and bayes firms only (text erasure needs erase words and a cross-fitted posterior per round)")

    def _check_rival(self) -> None:
        r = self.rival
        if r is None:
            return
        if not isinstance(r, Mapping):
            _fail("rival", "None or a dict with keys " + ", ".join(sorted(RIVAL_KEYS)), r)
        unknown = set(r) - RIVAL_KEYS
        if unknown:
            raise ValueError(f"rival has unknown keys {sorted(unknown)} (allowed: {sorted(RIVAL_KEYS)})")
        if self.firm == "bayes":
            raise ValueError("a rival collective needs firm='theory', 'bow' or 'transformer' (a discrete world has one signal)")
        a = r.get("initial_alpha", 0.0)
        if not _finite(a) or not 0.0 <= float(a) <= 1.0:
            _fail("rival.initial_alpha", "in [0, 1]", a)
        if float(a) + float(self.initial_alpha) > 1.0:
            _fail("rival.initial_alpha", f"at most 1 - initial_alpha = {1 - float(self.initial_alpha):g} (nobody is in both)", a)
        t = r.get("target")
        if t is not None and (not _is_int(t) or t < 0):
            _fail("rival.target", "an integer class index >= 0", t)
        trig = r.get("trigger")
        if trig is not None and (not isinstance(trig, str) or not trig.strip() or any(ch.isspace() for ch in trig)):
            _fail("rival.trigger", "a non-empty word without spaces", trig)
        sp_ = r.get("spacing")
        if sp_ is not None and (not _is_int(sp_) or sp_ < 1):
            _fail("rival.spacing", "an integer >= 1", sp_)

    def _check_firm_params(self) -> None:
        fp = self.firm_params
        if self.firm == "theory":
            unknown = set(fp) - _THEORY_FIRM_KEYS
            if unknown:
                raise ValueError(f"firm_params has unknown keys {sorted(unknown)} for firm='theory' (allowed: {sorted(_THEORY_FIRM_KEYS)})")
            curve = fp.get("curve", "bound")
            if isinstance(curve, str):
                if curve not in ("bound", "sigmoid"):
                    _fail("firm_params.curve", "'bound', 'sigmoid', a callable, a SuccessCurve or (alpha, S) samples", curve)
                if curve == "sigmoid":
                    for k in ("midpoint", "slope"):
                        if k not in fp or not _finite(fp[k]):
                            _fail(f"firm_params.{k}", "a finite number (required by curve='sigmoid')", fp.get(k))
                    if not 0.0 <= float(fp.get("offset", 0.0)) < 1.0:
                        _fail("firm_params.offset", "in [0, 1)", fp.get("offset"))
                elif set(fp) & {"midpoint", "slope", "offset"}:
                    raise ValueError("firm_params: midpoint/slope/offset only apply to curve='sigmoid'")
            elif isinstance(curve, list) and len(curve) == 2:
                self.firm_params = {**fp, "curve": tuple(curve)}  # (α, S) samples from TOML/JSON arrive as a list
            elif not (callable(curve) or isinstance(curve, (SuccessCurve, tuple))):
                _fail("firm_params.curve", "'bound', 'sigmoid', a callable, a SuccessCurve or (alpha, S) samples", curve)
        elif self.firm == "bayes":
            unknown = set(fp) - _BAYES_FIRM_KEYS
            if unknown:
                raise ValueError(f"firm_params has unknown keys {sorted(unknown)} for firm='bayes' (allowed: {sorted(_BAYES_FIRM_KEYS)})")
            if "world" in fp and "world_params" in fp:
                raise ValueError("firm_params: give world or world_params, not both")
            if not 0.0 <= float(fp.get("eps", 0.0)) < 0.5:
                _fail("firm_params.eps", "in [0, 0.5)", fp.get("eps"))
            g = fp.get("grid", 1025)
            if not _is_int(g) or g < 2:
                _fail("firm_params.grid", "an integer >= 2", g)
        else:
            sp = fp.get("spacing")
            if sp is not None and (not _is_int(sp) or sp < 1):
                _fail("firm_params.spacing", "an integer >= 1", sp)

    def _check_theory_params(self) -> None:
        tp = self.theory_params
        unknown = set(tp) - set(THEORY_KEYS)
        if unknown:
            raise ValueError(f"theory_params has unknown keys {sorted(unknown)} (allowed: {', '.join(THEORY_KEYS)})")
        ranges = {"xi": (0.0, math.inf, False), "delta": (0.0, 1.0, False), "p": (0.0, 1.0, True),
                  "tau": (0.0, math.inf, False), "eps": (0.0, 0.5, None)}
        for k, v in tp.items():
            lo, hi, lo_open = ranges[k]
            ok = _finite(v) and (float(v) > lo if lo_open else float(v) >= lo)
            ok = ok and (float(v) < hi if lo_open is None else float(v) <= hi)
            if not ok:
                txt = {"xi": "[0, inf)", "delta": "[0, 1]", "p": "(0, 1]", "tau": "[0, inf)", "eps": "[0, 0.5)"}[k]
                _fail(f"theory_params.{k}", f"in {txt}", v)

    def to_dict(self) -> dict[str, Any]:
        """The parameters as plain data (callables and worlds shown by their repr), for manifests."""
        out = asdict(self)
        for k, v in out["firm_params"].items():
            if not isinstance(v, (int, float, str, bool, type(None), list, dict)):
                out["firm_params"][k] = repr(v)
        return out


def _row_value(model: "CollectiveActionModel", key: str) -> Any:
    return model._row[key]


def rival_target(p: ModelParams, n_classes: int) -> int:
    """The rival collective's target class: as given, else the class after the collective's."""
    return int((p.rival or {}).get("target", (p.target + 1) % n_classes))


def check_text_data(p: ModelParams, train: Any, test: Any) -> None:
    """The text firm's corpus fits the run: each target is a class of it, and the test set
    has resumes outside it (else success S cannot be measured). Also run by
    :mod:`acsim.runs.preflight` before a batch starts."""
    targets = [("target", "", p.target)] + ([("rival.target", "the rival's ", rival_target(p, train.n_classes))] if p.rival is not None else [])
    for name, whose, target in targets:
        if not 0 <= target < train.n_classes:
            _fail(name, f"a class index in [0, {train.n_classes})", target)
        if not (~test.labels[:, target]).any():
            raise ValueError(f"the test set has no resume without {whose or 'the '}target class {target}: "
                             "success S cannot be measured")


class CollectiveActionModel(mesa.Model):
    """Workers, a principal and a retraining firm on one platform (Section 6 brought to life).

    ``CollectiveActionModel(params)`` or ``CollectiveActionModel(n_workers=..., ...)``
    (keyword arguments override ``params``' fields). ``data=(train, test)`` hands text
    firms a corpus directly instead of loading ``data_source``.

    Worker state is in ``model.population`` (:class:`acsim.abm.workers.WorkerArrays`);
    ``model.agents_by_type[Worker]`` holds one thin Worker agent per worker (up to
    ``worker_agents``); ``model.firm`` and ``model.principal`` are the other two agents.
    Rows: ``model.datacollector.get_model_vars_dataframe()`` or :meth:`results`.
    """

    def __init__(self, params: ModelParams | None = None, *, data: tuple[Any, Any] | None = None, **overrides: Any) -> None:
        if params is None:
            params = ModelParams(**overrides)
        elif overrides:
            params = replace(params, **overrides)
        # A run without a seed still records the one it used, so it can be reproduced.
        seed = params.seed if params.seed is not None else int(np.random.SeedSequence().entropy % (2**63))
        super().__init__(seed=seed)
        self.seed = seed
        self.params = params
        n = params.n_workers
        rng = self.rng

        cost = draw(params.cost_dist, params.cost_params, n, rng)
        gamma = draw(params.gamma_dist, params.gamma_params, n, rng, unit=True)
        self.adjacency = build_network(params.network, n, params.network_params, rng)
        degree = degrees(self.adjacency, n)
        self.hub_rank = hub_order(degree, rng) if self.adjacency is not None else np.arange(n)
        self.population = WorkerArrays(
            cost=cost, gamma=gamma, member=np.zeros(n, dtype=bool), belief=np.zeros(n),
            degree=degree, resume=np.full(n, -1, dtype=np.int64),
        )
        pop = self.population
        # Thresholds never change: sort once, so the principal's α_crit is a searchsorted.
        self.sorted_thresholds = np.sort(pop.threshold)
        self.homogeneous = bool(np.ptp(cost) == 0 and np.ptp(gamma) == 0)
        self._threshold_stats = (
            float(self.sorted_thresholds[0]), float(np.median(self.sorted_thresholds)), float(self.sorted_thresholds[-1])
        )

        k0 = int(round(params.initial_alpha * n))
        if k0:
            if params.initial_selection == "random":
                first = rng.choice(n, size=k0, replace=False)
            elif params.initial_selection == "cheapest":
                first = np.lexsort((rng.random(n), pop.threshold))[:k0]
            else:
                first = self.hub_rank[:k0]
            pop.member[first] = True
        if params.rival is not None:
            k1 = int(round(float(params.rival.get("initial_alpha", 0.0)) * n))
            free = np.flatnonzero(~pop.member)
            if k1:
                pop.rival[rng.choice(free, size=min(k1, free.size), replace=False)] = True

        self.beliefs = BeliefModel(
            params.belief, prior=params.prior_belief, hearing=params.hearing, adjacency=self.adjacency, degree=degree
        )
        self.firm = Firm(self, self._make_engine(data))
        self.principal = Principal(
            self, params.principal, params.budget, params.margin, params.recruits_per_round, params.principal_target_alpha,
            params.principal_stop,
        )
        n_agents = n if params.worker_agents is None else min(n, params.worker_agents)
        self.worker_list: list[Worker] = [Worker(self, i) for i in range(n_agents)]

        self.S = math.nan  # the public success of the current round (stage 2's output)
        self._row: dict[str, Any] = {}
        self.datacollector = mesa.DataCollector(model_reporters={c: partial(_row_value, key=c) for c in ROW_COLUMNS})

    # -- construction ------------------------------------------------------------------
    def _make_engine(self, data: tuple[Any, Any] | None) -> FirmEngine:
        p = self.params
        strategy = Strategy.parse(p.strategy)
        fp = dict(p.firm_params)
        if p.firm == "theory":
            curve = fp.get("curve", "bound")
            # A given curve has no ξ, Δ of its own: its bound column is only shown when
            # theory_params say which signal it is (defaults would be made-up numbers).
            bound = None
            if curve == "bound" or p.theory_params:
                bound = theory_bound(strategy, p.theory_params, THEORY_DEFAULTS, origin="default")
            elif p.belief == "theory" or p.principal_curve == "bound":
                raise ValueError("belief='theory' or principal_curve='bound' with a given success curve needs theory_params (xi, ...)")
            if curve == "bound":
                return CurveEngine(as_success_curve(bound.success), bound.label, bound)
            if curve == "sigmoid":
                fn = sigmoid_curve(float(fp["midpoint"]), float(fp["slope"]), float(fp.get("offset", 0.0)))
                name = f"sigmoid(mid={fp['midpoint']:g},slope={fp['slope']:g},offset={fp.get('offset', 0.0):g})"
                return CurveEngine(as_success_curve(fn), name, bound)
            name = getattr(curve, "label", "") or getattr(curve, "__name__", "custom")
            return CurveEngine(as_success_curve(curve), name if name != "<lambda>" else "custom", bound)
        if p.firm == "bayes":
            from acsim.theory.discrete import DiscreteWorld, random_world

            world = fp.get("world")
            if world is None:
                world = random_world(np.random.default_rng(int(self.rng.integers(2**63))), **fp.get("world_params", {}))
            if not isinstance(world, DiscreteWorld):
                _fail("firm_params.world", "an acsim.theory.discrete.DiscreteWorld", world)
            if p.target != world.target:
                _fail("target", f"the world's target {world.target} with firm='bayes'", p.target)
            exact = {"xi": world.xi(), "delta": world.delta(), "p": world.positivity() or None,
                     "tau": world.tau(), "eps": float(fp.get("eps", 0.0))}
            bound = theory_bound(strategy, p.theory_params, exact, origin="exact")
            return BayesEngine(world, strategy, float(fp.get("eps", 0.0)), fp.get("adversary", "contamination"),
                                bound, int(fp.get("grid", 1025)))
        train, test = data if data is not None else self._load_data()
        check_text_data(p, train, test)
        # Worker i owns resume perm[i mod n]: a random subset when N ≤ corpus size, the
        # corpus cycled (each resume owned by ⌈N/n⌉ or ⌊N/n⌋ workers) when N is larger.
        perm = self.rng.permutation(len(train))
        self.population.resume[:] = perm[np.arange(p.n_workers) % len(train)]
        spacing = fp.pop("spacing", None)
        engine = TextEngine(p.firm, fp, train, test, self.population.resume, strategy, p.target, spacing,
                             p.theory_params, self.rng)
        if p.rival is not None:
            r = p.rival
            target = rival_target(p, train.n_classes)
            engine.rival_spec = {"target": target, "trigger": str(r.get("trigger", RIVAL_TRIGGER)),
                                 "spacing": int(r.get("spacing", engine.spacing))}
        return engine

    def _load_data(self) -> tuple[Any, Any]:
        from acsim.platform.data import is_synthetic, load_dataset

        kw = dict(self.params.data_params)
        if is_synthetic(self.params.data_source):
            kw.setdefault("n_train", min(self.params.n_workers, 25_000))
            kw.setdefault("n_test", 1_000)
        return load_dataset(self.params.data_source, **kw)

    # -- what the stages share ----------------------------------------------------------
    def principal_curve(self) -> SuccessCurve:
        """The S-curve the principal plans on (and prices recruits with); see ModelParams.

        With a trained firm (``auto``, ``principal_probes`` > 0) that is what the firm
        does, not the bound: before investing the principal retrains the firm's learner
        on the platform's data with collectives of 0, 1, … N members (geometric sizes)
        and measures S at each; every measured round is added to those points.
        """
        p = self.params
        if p.principal_curve == "bound" or p.belief == "theory":
            return self.firm.bound_curve()
        engine = self.firm.engine
        if self.firm.trained and p.principal != "none" and p.principal_probes > 0:
            if not engine.probed:
                n = self.population.n
                counts = np.unique(np.r_[0, np.round(np.geomspace(1, n, p.principal_probes - 1)).astype(int)])
                engine.probe(counts, np.random.default_rng([self.seed, 0x50_52_4F_42]))  # "PROB": own stream
            return engine.observed_curve(p.success_metric)
        return self.firm.success_curve()

    def public_success(self, m: Measurement) -> float:
        """What workers' beliefs are built from: S_t, or the bound at α_t for ``belief="theory"``."""
        if self.params.belief == "theory":
            th = self.firm.theory
            return float(th.success(m.alpha)) if th is not None else 0.0
        return m.success_inclusion if self.params.success_metric == "inclusion" else m.success_top1

    @property
    def alpha(self) -> float:
        """The collective's current share of the population."""
        return float(np.count_nonzero(self.population.member)) / self.population.n

    def worker(self, slot: int) -> Worker:
        """The Worker agent of worker ``slot`` (only the first ``worker_agents`` have one)."""
        if not 0 <= slot < len(self.worker_list):
            raise IndexError(f"no Worker agent for slot {slot} (agents exist for 0..{len(self.worker_list) - 1})")
        return self.worker_list[slot]

    # -- stage 3 --------------------------------------------------------------------------
    def decide_between(self, success: float, rival_success: float) -> tuple[int, int, int, int, float]:
        """Stage 3 with two collectives: each worker joins (or stays in) the one with the larger gain.

        Gains g_k = (1 − γ)b_k − c with b_k the belief about collective k's success (its
        own members' reports on a network). A worker picks the larger positive gain; a tie
        keeps a member where it is and sends a non-member to the first collective. Members
        bound by the principal's contract stay; with ``allow_leave=False`` nobody leaves or
        switches. Logit choice (T > 0) draws from {none, first, rival} with weights
        exp(g/T) (none: exp(0)). Returns (joins, leaves, rival_joins, rival_leaves, willing).
        """
        pop, p = self.population, self.params
        b = self.beliefs.compute(success, pop.member, out=pop.belief)
        g_a = membership_gain(b, pop.cost, pop.stake)
        g_b = membership_gain(self.beliefs.project(rival_success, pop.rival), pop.cost, pop.stake)
        if p.temperature > 0:
            util = np.stack([np.zeros(pop.n), g_a, g_b]) / p.temperature
            prob = np.exp(util - util.max(axis=0))
            cum = np.cumsum(prob / prob.sum(axis=0), axis=0)
            choice = (self.rng.random(pop.n) > cum[:2]).sum(axis=0)  # 0 none, 1 first, 2 rival
        else:
            best_a = (g_a > 0) & ((g_a > g_b) | ((g_a == g_b) & ~pop.rival))
            best_b = (g_b > 0) & ~best_a
            choice = np.where(best_a, 1, np.where(best_b, 2, 0))
        fixed = pop.committed | (pop.member | pop.rival) if not p.allow_leave else pop.committed
        choice = np.where(fixed & pop.member, 1, np.where(fixed & pop.rival, 2, choice))
        new_a, new_b = choice == 1, choice == 2
        counts = (int(np.count_nonzero(new_a & ~pop.member)), int(np.count_nonzero(pop.member & ~new_a)),
                  int(np.count_nonzero(new_b & ~pop.rival)), int(np.count_nonzero(pop.rival & ~new_b)))
        pop.member[:] = new_a
        pop.rival[:] = new_b
        return (*counts, float(np.count_nonzero(g_a > 0)) / pop.n)

    def decide(self, success: float) -> tuple[int, int, float]:
        """Every worker applies the join rule b − c > γb to its belief (vectorised). Returns (joins, leaves, willing)."""
        pop, p = self.population, self.params
        b = self.beliefs.compute(success, pop.member, out=pop.belief)
        gain = membership_gain(b, pop.cost, pop.stake)
        if p.temperature > 0:
            want = self.rng.random(pop.n) < expit(gain / p.temperature)
        else:
            want = gain > 0.0
        new = next_members(pop.member, want, p.allow_leave, pop.committed)
        n_join, n_leave = int(np.count_nonzero(new & ~pop.member)), int(np.count_nonzero(pop.member & ~new))
        pop.member[:] = new
        return n_join, n_leave, float(np.count_nonzero(want)) / pop.n

    # -- one round --------------------------------------------------------------------------
    def step(self) -> None:
        pop = self.population
        n = pop.n
        m = self.firm.step()  # stages 1-2
        self.S = self.public_success(m)
        members = int(round(m.alpha * n))
        rival = self.firm.rival_last
        if rival is None:
            joins, leaves, willing = self.decide(self.S)  # stage 3
            r_row = {"rival_alpha": math.nan, "rival_S": math.nan, "rival_joins": 0, "rival_leaves": 0,
                     "rival_alpha_end": math.nan}
        else:
            r_alpha, r_top1, r_incl = rival
            r_s = r_incl if self.params.success_metric == "inclusion" else r_top1
            if self.params.belief == "theory" and self.firm.theory is not None:
                r_s = float(self.firm.theory.success(r_alpha))  # the same bound, at the rival's size
            joins, leaves, r_joins, r_leaves, willing = self.decide_between(self.S, r_s)
            r_row = {"rival_alpha": r_alpha, "rival_S": r_s, "rival_joins": r_joins, "rival_leaves": r_leaves}
        self.principal.step()  # stage 4
        pr = self.principal
        a = pr.assessment
        members_end = int(np.count_nonzero(pop.member))
        tmin, tmed, tmax = self._threshold_stats
        self._row = {
            "round": self.steps, "firm": self.firm.kind, "S_source": self.firm.source,
            "alpha": m.alpha, "members": members, "S": self.S,
            "S_top1": m.success_top1, "S_inclusion": m.success_inclusion, "bound": m.bound,
            "belief_mean": float(pop.belief.mean()),
            "threshold_min": tmin, "threshold_median": tmed, "threshold_max": tmax, "willing": willing,
            "joins": joins, "leaves": leaves, "recruits": pr.recruits_round,
            "members_end": members_end, "alpha_end": members_end / n,
            "spend": pr.spend_round, "spend_total": pr.spent_total, "budget_left": pr.budget_left,
            "principal_status": pr.status,
            "alpha_crit": a.alpha_crit, "B_crit": a.B_crit, "B_crit_total": n * a.B_crit,
            "accuracy": m.accuracy, "train_seconds": m.train_seconds,
            **r_row,
        }
        if rival is not None:
            self._row["rival_alpha_end"] = float(np.count_nonzero(pop.rival)) / n
        self.datacollector.collect(self)  # stage 5

    def run(self, rounds: int | None = None, progress: Callable[[int, dict], None] | None = None) -> pd.DataFrame:
        """Run ``rounds`` rounds (default ``params.rounds``) and return all rows so far."""
        r = self.params.rounds if rounds is None else int(rounds)
        for _ in range(r):
            self.step()
            if progress is not None:
                progress(self.steps, self._row)
        return self.results()

    def results(self) -> pd.DataFrame:
        """One row per round so far, columns :data:`ROW_COLUMNS`."""
        if not self.datacollector.model_vars.get("round"):
            return pd.DataFrame(columns=list(ROW_COLUMNS))
        return self.datacollector.get_model_vars_dataframe()
