"""CollectiveActionModel: the paper's Section 6 as a Mesa 3 model with a firm that really retrains.

Section 6 of the paper assumes a worker knows the success curve S(α) and joins iff
S(α) − c > γS(α); it then reads off the critical mass α_crit for S* = c/(1 − γ) and the
principal's investment B(α_crit) (Figure 7). Here S is *measured* every round by a firm
that retrains on the platform's data, workers act on beliefs about it, and a principal
may pay recruits. One round (``model.step()``), as in DESIGN.md, is five calls, each
taking the previous one's output and returning its own:

1-2. ``firm.step(member, other, follows) -> Measurement``: retrain f on the platform data
     (members' points through strategy h; further collectives', :mod:`acsim.abm.collectives`),
     then measure S_t (top-1 and inclusion), clean accuracy and the bound at α_t;
3.   ``model.decide(measurement) -> Decision``: every worker forms its belief b_i and
     joins iff b_i − c_i > γ_i b_i; members for whom that fails leave (vectorised);
4.   ``principal.step(curve, measurement, decision) -> Investment``: subsidised recruits, spend;
5.   ``model.record(measurement, decision, investment)`` → ``datacollector.collect``:
     one row (see :data:`ROW_COLUMNS`; further collectives add their columns).

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

import json
import math
from functools import lru_cache, partial
from typing import Any, Callable

import mesa
import numpy as np
import pandas as pd

from acsim.abm import collectives
from acsim.abm.beliefs import BeliefModel
from acsim.abm.decisions import Decision, decide
from acsim.abm.engines import BayesEngine, CurveEngine, FirmEngine, Measurement
from acsim.abm.firm import Firm
from acsim.abm.networks import build_network, degrees, hub_order
from acsim.abm.distributions import draw
from acsim.abm.params import ModelParams
from acsim.abm.principal import Investment, Principal
from acsim.abm.summary import ModelSummary, summarize
from acsim.abm.text_engine import TextEngine, check_text_data
from acsim.abm.workers import Worker, WorkerArrays
from acsim.platform.data import is_synthetic, load_dataset
from acsim.progress import report
from acsim.theory import finite_sample
from acsim.theory.discrete import DiscreteWorld, random_world, signal_world
from acsim.theory.economics import SuccessCurve, as_success_curve, sigmoid_curve
from acsim.theory.strategy import Strategy
from acsim.theory.theorem_bound import theory_bound

# Theory firm defaults: the README's running example (ξ = 10⁻³, Δ = 1 as in Figure 1).
THEORY_DEFAULTS: dict[str, float] = {"xi": 1e-3, "delta": 1.0, "p": 0.3, "tau": 1e-3, "eps": 0.0}

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
    "members_crit",  # the principal's k_crit: whole members from which it sustains itself (inf: never)
    "B_crit",  # B(α_crit) per worker (Figure 7; min-cost plan for heterogeneous workers)
    "B_crit_total",  # N · B_crit, comparable with spend_total
    "accuracy",  # clean accuracy of the firm's model (1 − Hamming loss; NaN for the theory firm)
    "train_seconds",
)  # then, per further collective j = 2, 3, ...: acsim.abm.collectives.columns (alpha_cj, S_cj, ...)


def _row_value(model: "CollectiveActionModel", key: str) -> Any:
    return model._row[key]


@lru_cache(maxsize=64)
def _named_curve(key: str) -> tuple[SuccessCurve, str, Any]:
    """The theory firm's "bound" | "sigmoid" | "finite-sample" curve from its JSON key
    (strategy, firm_params, theory_params, N): (curve, name, bound). Shared by the models of
    a process, so its arrays are read-only."""
    value, fp, given, n = json.loads(key)
    strategy = Strategy.parse(value)
    curve = fp.get("curve", "bound")
    # The finite-sample curve is computed from the bound's ξ, Δ (the defaults unless given).
    bound = theory_bound(strategy, given, THEORY_DEFAULTS, origin="default") if curve in ("bound", "finite-sample") or given else None
    if curve == "bound":
        out, name = as_success_curve(bound.success), bound.label
    elif curve == "finite-sample":
        # Gauthier et al. (2025): the bound a collective of n computes on this platform of N
        # workers, in the signal world of the bound's ξ, Δ (and p: the base features' P0(y*|x)).
        world = signal_world(bound.xi, bound.delta, int(fp.get("signals", 1)), positivity=bound.p or 0.5)
        out = finite_sample.member_curve(world, strategy.value, n, fp.get("n_test"), float(fp.get("fail_prob", 0.05)), bound.eps)
        name = "finite-sample"
    else:
        fn = sigmoid_curve(float(fp["midpoint"]), float(fp["slope"]), float(fp.get("offset", 0.0)))
        out = as_success_curve(fn)
        name = f"sigmoid(mid={fp['midpoint']:g},slope={fp['slope']:g},offset={fp.get('offset', 0.0):g})"
    for arr in (out.alpha, out.values):
        arr.flags.writeable = False
    return out, name, bound


def _median_sorted(a: np.ndarray) -> float:
    """``np.median`` of an already sorted array, bit for bit (the mean of the middle two), without its partition."""
    mid = a.size // 2
    return float(a[mid]) if a.size % 2 else float((a[mid - 1] + a[mid]) / 2.0)


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
            params = params.replace(**overrides)
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
            float(self.sorted_thresholds[0]), _median_sorted(self.sorted_thresholds), float(self.sorted_thresholds[-1])
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
        collectives.place(pop, params, rng)
        pop.follows = collectives.draw_follows(params, seed, n)
        self.n_others = len(params.collectives)
        self.row_columns = ROW_COLUMNS + collectives.columns(self.n_others)

        self.beliefs = BeliefModel(
            params.belief, prior=params.prior_belief, hearing=params.hearing, adjacency=self.adjacency, degree=degree
        )
        self.firm = Firm(self, self._make_engine(data))
        self.principal = Principal(
            self, params.principal, params.budget, params.margin, params.recruits_per_round, params.principal_target_alpha,
            params.principal_stop,
        )
        # Thin Worker agents: the first worker_agents now (all by default), any other on
        # first use (model.worker(i)); headless runs ask for none (acsim.runs.runner).
        n_agents = n if params.worker_agents is None else min(n, params.worker_agents)
        self._workers: dict[int, Worker] = {i: Worker(self, i) for i in range(n_agents)}
        self._closed = False

        self._row: dict[str, Any] = {}
        self._datacollector: mesa.DataCollector | None = None

    @property
    def datacollector(self) -> mesa.DataCollector:
        """Mesa's DataCollector of the rows, one reporter per column; made on first use (its 29
        reporters cost 0.4 ms a model, which a batch of models stepped together never reads)."""
        if self._datacollector is None:
            self._datacollector = mesa.DataCollector(
                model_reporters={c: partial(_row_value, key=c) for c in self.row_columns})
        return self._datacollector

    # -- construction ------------------------------------------------------------------
    def _theory_curve(self, strategy: Strategy) -> tuple[SuccessCurve, str, Any]:
        """The theory firm's S(α) for a collective playing ``strategy``: (curve, name, bound)."""
        p, fp = self.params, self.params.firm_params
        curve = fp.get("curve", "bound")
        # A given curve has no ξ, Δ of its own: its bound column is only shown when
        # theory_params say which signal it is (defaults would be made-up numbers).
        if not (curve == "bound" or p.theory_params) and (p.belief == "theory" or p.principal_curve == "bound"):
            raise ValueError("belief='theory' or principal_curve='bound' with a given success curve needs theory_params (xi, ...)")
        if isinstance(curve, str):
            # The same curve for every run of a batch: built once per process (an adaptive grid
            # takes ~3 ms, as long as a whole quickstart run's rounds).
            n = p.n_workers if curve == "finite-sample" else 0
            return _named_curve(json.dumps([strategy.value, fp, p.theory_params, n], sort_keys=True, default=float))
        bound = theory_bound(strategy, p.theory_params, THEORY_DEFAULTS, origin="default") if p.theory_params else None
        name = getattr(curve, "label", "") or getattr(curve, "__name__", "custom")
        return as_success_curve(curve), name if name != "<lambda>" else "custom", bound

    def _make_engine(self, data: tuple[Any, Any] | None) -> FirmEngine:
        p = self.params
        strategy = Strategy.parse(p.strategy)
        fp = dict(p.firm_params)
        if p.firm == "theory":
            first = self._theory_curve(strategy)
            # A further collective's S(α): the same curve, or its own strategy's bound.
            others = tuple(first[0] if c.strategy is None or Strategy.parse(c.strategy) is strategy
                           else self._theory_curve(Strategy.parse(c.strategy))[0] for c in collectives.entries(p))
            return CurveEngine(*first, others)
        if p.firm == "bayes":
            world = fp.get("world")
            if world is None:
                world = random_world(np.random.default_rng(int(self.rng.integers(2**63))), **fp.get("world_params", {}))
            if not isinstance(world, DiscreteWorld):
                raise ValueError(f"firm_params.world = {world!r} must be an acsim.theory.discrete.DiscreteWorld")
            if p.target != world.target:
                raise ValueError(f"target = {p.target} must be the world's target {world.target} with firm = 'bayes'")
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
        engine.plans = collectives.plans(p, train.n_classes, engine.plans[0])
        engine.noise = p.noise
        return engine

    def _load_data(self) -> tuple[Any, Any]:
        kw = dict(self.params.data_params)
        if is_synthetic(self.params.data_source):
            kw.setdefault("n_train", min(self.params.n_workers, 25_000))
            kw.setdefault("n_test", 1_000)
        report(f"Loading the corpus ({self.params.data_source})")
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

    def summary(self) -> "ModelSummary":
        """What a view needs beyond the rows: thresholds, their band, the principal's curve and α_crit (read-only)."""
        return summarize(self)

    def prepare(self) -> None:
        """Do round 1's first work now (a dashboard page, as it opens): a text firm tokenizes its corpus,
        a principal probes a trained firm (its own random stream). No number changes."""
        if self.firm.trained:
            self.firm.engine.warm_up()
        self.principal_curve()

    @property
    def alpha(self) -> float:
        """The collective's current share of the population."""
        return float(np.count_nonzero(self.population.member)) / self.population.n

    def worker(self, slot: int) -> Worker:
        """The Worker agent of worker ``slot``, made on first use beyond the first ``worker_agents``."""
        n = self.population.n
        if not 0 <= slot < n:
            raise IndexError(f"no worker {slot} (workers are 0..{n - 1})")
        w = self._workers.get(slot)
        if w is None:
            if self._closed:
                raise RuntimeError("this model was closed (model.close()): it makes no new agents")
            w = self._workers[slot] = Worker(self, slot)
        return w

    def close(self) -> None:
        """Let the model be garbage-collected once its last reference goes.

        Mesa 3.3 counts agent ids per model in the class-level ``Agent._ids``, which holds
        every model that ever made an agent (mesa#3179): a batch of 1,000 runs kept 1,000
        models alive (5 MB each). After ``close()`` the model's rows and state stay
        readable, but it makes no new agents (their ids would repeat).
        """
        mesa.Agent._ids.pop(self, None)
        self._closed = True

    # -- one round: the five stages, each taking the previous one's output ----------------
    def step(self) -> None:
        pop = self.population
        measured = self.firm.step(pop.member, pop.other if self.n_others else None, pop.follows)  # stages 1-2
        decision = self.decide(measured)  # stage 3
        investment = self.principal.step(self.principal_curve(), measured, decision)  # stage 4
        self._row = self.record(measured, decision, investment)
        self.datacollector.collect(self)  # stage 5

    def decide(self, measured: Measurement) -> Decision:
        """Stage 3: beliefs from the round's public success, then the join rule (:mod:`acsim.abm.decisions`)."""
        p = self.params
        theory = self.firm.theory if p.belief == "theory" else None  # the same bound, at each one's size
        others = collectives.public_success(measured, p.success_metric, theory)
        return decide(self.population, self.beliefs, p, self.rng, self.public_success(measured), others)

    def record(self, m: Measurement, d: Decision, inv: Investment) -> dict[str, Any]:
        """Stage 5's row (:data:`ROW_COLUMNS`) from the outputs of stages 1-4 and the members now."""
        pop = self.population
        n = pop.n
        members_end = int(np.count_nonzero(pop.member))
        tmin, tmed, tmax = self._threshold_stats
        a = inv.assessment
        return {
            "round": self.steps, "firm": self.firm.kind, "S_source": self.firm.source,
            "alpha": m.alpha, "members": int(round(m.alpha * n)), "S": d.S,
            "S_top1": m.success_top1, "S_inclusion": m.success_inclusion, "bound": m.bound,
            # Everyone holds the public success unless beliefs come through a network: the mean is d.S
            # exactly (a summed array of N copies can be off in the last bit).
            "belief_mean": float(pop.belief.mean()) if self.beliefs.kind == "network" else d.S,
            "threshold_min": tmin, "threshold_median": tmed, "threshold_max": tmax, "willing": d.willing,
            "joins": d.joins, "leaves": d.leaves, "recruits": inv.recruits,
            "members_end": members_end, "alpha_end": members_end / n,
            "spend": inv.spend, "spend_total": inv.spend_total, "budget_left": inv.budget_left,
            "principal_status": inv.status,
            "alpha_crit": a.alpha_crit, "members_crit": math.inf if a.k_crit is None else float(a.k_crit), "B_crit": a.B_crit, "B_crit_total": n * a.B_crit,
            "accuracy": m.accuracy, "train_seconds": m.train_seconds,
            **collectives.row(m, d, pop, self.n_others),
        }

    def run(self, rounds: int | None = None, progress: Callable[[int, dict], None] | None = None) -> pd.DataFrame:
        """Run ``rounds`` rounds (default ``params.rounds``) and return all rows so far."""
        r = self.params.rounds if rounds is None else int(rounds)
        for _ in range(r):
            self.step()
            if progress is not None:
                progress(self.steps, self._row)
        return self.results()

    def results(self) -> pd.DataFrame:
        """One row per round so far, columns :data:`ROW_COLUMNS` and the further collectives'."""
        if self._datacollector is None or not self._datacollector.model_vars.get("round"):
            return pd.DataFrame(columns=list(self.row_columns))
        return self.datacollector.get_model_vars_dataframe()
