"""The Mesa agents of the collective-action model: Worker, Firm, Principal (paper Section 6).

Worker state lives in model-level numpy arrays (:class:`WorkerArrays`): a round's
decisions over 100,000 workers are a handful of array operations, not 100,000 Python
``step()`` calls. :class:`Worker` is a thin Mesa agent whose attributes read and write
its slot of those arrays, so ``model.agents_by_type[Worker]`` holds real agents that a
person can inspect or poke, and :meth:`Worker.decide` is the one-worker reference of the
vectorised rule.

The :class:`Firm` retrains every round and measures the success S_t the collective
gets (``theory``: a known curve, no training; ``bayes``: the exact Bayes-optimal firm
on a discrete world; ``bow`` / ``transformer``: a text classifier trained on the
workers' resumes). The :class:`Principal` pays recruits to carry the collective past
its critical mass (Figure 7).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import mesa
import numpy as np

from acsim import economics, theory
from acsim.economics import SuccessCurve, as_success_curve
from acsim.learners import make_learner
from acsim.learners.base import TEXT_LEARNERS
from acsim.metrics import evaluate
from acsim.recruitment import recruitment_plan
from acsim.strategies import Strategy, apply_strategy, estimate_positivity, estimate_xi
from acsim.text import RIVAL_TRIGGER, TRIGGER, TRIGGER_SPACING

if TYPE_CHECKING:
    from acsim.data.base import TextDataset
    from acsim.discrete import DiscreteWorld
    from acsim.model import CollectiveActionModel

FIRMS = ("theory", "bayes", *TEXT_LEARNERS)
PRINCIPALS = ("none", "cheapest", "hubs", "random")
PRINCIPAL_STOPS = ("target", "sustained")
# stop="sustained" accepts a collective that grows on its own to this share of the stable
# size: on a network a few workers who hear only non-members may never join.
SUSTAINED_SHARE = 0.95


# --------------------------------------------------------------------------- workers


@dataclass
class WorkerArrays:
    """Every worker's state, one slot per worker (index = worker number 0..N−1).

    ``stake`` = 1 − γ (what a member gains over a free rider per unit of S);
    ``threshold`` = c/(1 − γ), the join threshold S* of Section 6 (inf at γ = 1);
    ``committed``: members whose subsidy binds them while the principal is still
    carrying the collective; ``subsidy``: total paid to the worker; ``rival``: members of
    a second, competing collective (never also in ``member``); ``resume``: index of
    the worker's resume in the text corpus (−1 without a text firm); ``degree``: number
    of contacts on the network (0 without one).
    """

    cost: np.ndarray
    gamma: np.ndarray
    member: np.ndarray
    belief: np.ndarray
    degree: np.ndarray
    resume: np.ndarray
    committed: np.ndarray = field(default=None)  # type: ignore[assignment]
    subsidy: np.ndarray = field(default=None)  # type: ignore[assignment]
    rival: np.ndarray = field(default=None)  # type: ignore[assignment]  # members of the second collective
    stake: np.ndarray = field(init=False)
    threshold: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = self.cost.size
        if self.committed is None:
            self.committed = np.zeros(n, dtype=bool)
        if self.subsidy is None:
            self.subsidy = np.zeros(n)
        if self.rival is None:
            self.rival = np.zeros(n, dtype=bool)
        self.stake = 1.0 - self.gamma
        self.threshold = np.asarray(economics.join_threshold(self.cost, self.gamma), dtype=float).reshape(n)

    @property
    def n(self) -> int:
        return int(self.cost.size)


class Worker(mesa.Agent):
    """One worker: cost c_i, free-ride share γ_i, one resume, membership, a belief about S.

    Attributes are views of slot ``slot`` of ``model.population``; setting ``member``
    writes through. The model never calls a per-worker method during a round (stage 3
    is vectorised in :meth:`acsim.model.CollectiveActionModel.decide`).
    """

    def __init__(self, model: "CollectiveActionModel", slot: int) -> None:
        super().__init__(model)
        self.slot = int(slot)

    @property
    def _arrays(self) -> WorkerArrays:
        return self.model.population

    @property
    def cost(self) -> float:
        return float(self._arrays.cost[self.slot])

    @property
    def gamma(self) -> float:
        return float(self._arrays.gamma[self.slot])

    @property
    def threshold(self) -> float:
        """S* = c/(1 − γ): the success above which joining is individually rational (Section 6)."""
        return float(self._arrays.threshold[self.slot])

    @property
    def member(self) -> bool:
        return bool(self._arrays.member[self.slot])

    @member.setter
    def member(self, value: bool) -> None:
        self._arrays.member[self.slot] = bool(value)

    @property
    def belief(self) -> float:
        return float(self._arrays.belief[self.slot])

    @property
    def committed(self) -> bool:
        return bool(self._arrays.committed[self.slot])

    @property
    def subsidy(self) -> float:
        return float(self._arrays.subsidy[self.slot])

    @property
    def resume(self) -> int:
        return int(self._arrays.resume[self.slot])

    @property
    def degree(self) -> int:
        return int(self._arrays.degree[self.slot])

    def gain(self, belief: float | None = None) -> float:
        """Utility of membership over free riding, (S − c) − γS, at ``belief`` (default: own belief)."""
        b = self.belief if belief is None else float(belief)
        return float(economics.membership_gain(b, self.cost, 1.0 - self.gamma))

    def decide(self, success: float | None = None) -> bool:
        """The Section 6 rule for this worker alone: member next round or not.

        Joins iff its belief b satisfies b − c > γb; a member leaves when that fails,
        unless leaving is switched off or it is committed by a subsidy. ``success`` is
        the round's public success (S_t, or the bound for ``belief="theory"``); the
        belief is then formed as :class:`acsim.beliefs.BeliefModel` does for everyone.
        Deterministic choice only (temperature 0); this is the reference the
        vectorised stage 3 is tested against, and it does not modify the model.
        """
        m = self.model
        b = self.belief if success is None else m.beliefs.for_worker(self.slot, success, m.population.member)
        want = np.array([economics.membership_gain(b, self.cost, 1.0 - self.gamma) > 0.0])
        return bool(economics.next_members(np.array([self.member]), want, m.params.allow_leave, np.array([self.committed]))[0])

    def __repr__(self) -> str:
        return (
            f"Worker(slot={self.slot}, c={self.cost:.4g}, gamma={self.gamma:.4g}, "
            f"member={self.member}, belief={self.belief:.4g})"
        )


# --------------------------------------------------------------------------- theory bounds


@dataclass(frozen=True)
class TheoryBound:
    """The paper's lower bound on S(α) for one strategy: Theorem 1, 3 or 5.

    ``xi``, ``delta``, ``p``, ``tau``, ``eps`` as in the paper; ``origin`` says where
    they came from (given, exact from a discrete world, estimated from data). Called
    on α it returns the raw formula (negative or −inf where the theorem guarantees
    nothing; −inf at α = 0, the formula's limit).
    """

    strategy: Strategy
    xi: float
    delta: float = 1.0
    p: float | None = None
    tau: float | None = None
    eps: float = 0.0
    origin: str = "given"

    def __call__(self, alpha: Any) -> Any:
        a = np.asarray(alpha, dtype=float)
        safe = np.where(a > 0, a, 1.0)  # the theorems' domain is α ∈ (0, 1]
        if self.strategy is Strategy.FEATURE_LABEL:
            v = theory.feature_label_success_bound(safe, self.xi, self.delta, self.eps)
        elif self.strategy is Strategy.FEATURE_ONLY:
            v = theory.feature_only_success_bound(safe, self.xi, self.p, self.eps)
        else:
            v = theory.erasure_success_bound(safe, self.tau, self.eps)
        out = np.where(a > 0, v, -np.inf)
        return float(out) if out.ndim == 0 else out

    def success(self, alpha: Any) -> Any:
        """The bound read as a success probability: clipped to [0, 1].

        At α = 0 it is the limit from the right (as :mod:`acsim.economics` evaluates
        curves): 0 for ξ > 0, 1 for a signal that never occurs (ξ = 0 or Δ = 0).
        """
        out = np.clip(self(np.maximum(np.asarray(alpha, dtype=float), 1e-12)), 0.0, 1.0)
        return float(out) if np.ndim(out) == 0 else out

    @property
    def label(self) -> str:
        thm = {Strategy.FEATURE_LABEL: "Thm1", Strategy.FEATURE_ONLY: "Thm3", Strategy.ERASURE: "Thm5"}[self.strategy]
        return f"{thm}({self.origin})"


THEORY_KEYS = ("xi", "delta", "p", "tau", "eps")


def theory_bound(strategy: Strategy, given: Mapping[str, float], defaults: Mapping[str, float | None], origin: str) -> TheoryBound:
    """A :class:`TheoryBound` from user-given ``theory_params``, falling back to ``defaults``.

    ``origin`` names where the defaults come from ("exact", "estimated", "default");
    the bound's label says "given" when every parameter its theorem uses was given.
    """
    needed = {Strategy.FEATURE_LABEL: ("xi", "delta"), Strategy.FEATURE_ONLY: ("xi", "p"), Strategy.ERASURE: ("tau",)}[strategy]
    vals = {k: given[k] if k in given else defaults.get(k) for k in THEORY_KEYS}
    missing = [k for k in needed if vals[k] is None and k != "delta"]
    if missing:
        raise ValueError(f"theory_params needs {', '.join(missing)} for the {strategy.value} bound")
    return TheoryBound(
        strategy,
        xi=float(vals["xi"] if vals["xi"] is not None else 0.0),
        delta=float(vals["delta"] if vals["delta"] is not None else 1.0),
        p=None if vals["p"] is None else float(vals["p"]),
        tau=None if vals["tau"] is None else float(vals["tau"]),
        eps=float(vals["eps"] or 0.0),
        origin="given" if all(k in given for k in needed) else origin,
    )


# --------------------------------------------------------------------------- firm


@dataclass(frozen=True)
class Measurement:
    """Stage 2's output: what the retrained firm's model does for the collective at size α."""

    alpha: float
    success_top1: float
    success_inclusion: float
    accuracy: float
    train_seconds: float
    bound: float


class _CurveEngine:
    """The ``theory`` firm: S(α) is a given curve; nothing is trained (fast exploration)."""

    kind = "theory"

    def __init__(self, curve: SuccessCurve, name: str, bound: TheoryBound | None) -> None:
        self.curve = curve
        self.source = f"curve:{name}"
        self.theory = bound
        self.alpha = 0.0

    def retrain(self, member: np.ndarray, rival: np.ndarray | None = None) -> None:
        self.alpha = float(np.count_nonzero(member)) / member.size
        self.rival_alpha = 0.0 if rival is None else float(np.count_nonzero(rival)) / rival.size

    def measure_rival(self) -> tuple[float, float, float]:
        """(α, top-1, inclusion) of the second collective: the same curve at its own size."""
        s = float(self.curve(self.rival_alpha))
        return self.rival_alpha, s, s

    def measure(self) -> Measurement:
        s = float(self.curve(self.alpha))
        b = self.theory(self.alpha) if self.theory is not None and self.alpha > 0 else math.nan
        return Measurement(self.alpha, s, s, math.nan, 0.0, b)

    def success_curve(self) -> SuccessCurve:
        return self.curve


class _BayesEngine:
    """The exact firm: Bayes-optimal (or ε-suboptimal) on the mixture αP* + (1−α)P0 of a discrete world.

    The firm sees the population distribution itself (the large-sample limit of N
    workers' points), so S(α) is exact (``DiscreteWorld.success``) and its bound uses the
    world's exact ξ, Δ, p, τ. Single-label: top-1 and inclusion success coincide.
    """

    kind = "bayes"

    def __init__(self, world: "DiscreteWorld", strategy: Strategy, eps: float, adversary: str, bound: TheoryBound, grid: int) -> None:
        self.world = world
        self.strategy = strategy
        self.eps = eps
        self.adversary = adversary
        self.theory = bound
        self.grid = grid
        self.source = "exact:bayes"
        self.alpha = 0.0
        self._firm = None
        self._seconds = 0.0
        self._curve: SuccessCurve | None = None
        self._cache: dict[float, float] = {}

    def retrain(self, member: np.ndarray, rival: np.ndarray | None = None) -> None:
        if rival is not None:
            raise ValueError("a rival collective needs firm='theory', 'bow' or 'transformer' (a discrete world has one signal)")
        self.alpha = float(np.count_nonzero(member)) / member.size
        t0 = time.perf_counter()
        self._firm = self.world.firm(self.strategy, self.alpha, self.eps, self.adversary)
        self._seconds = time.perf_counter() - t0

    def _success(self, firm) -> float:
        w = self.world
        if self.strategy is Strategy.ERASURE:
            hit = firm.predict(np.arange(w.n_x)) == firm.predict(w.signal)
        else:
            hit = firm.predict(w.signal) == w.target
        return float(w.marginal @ hit)

    def measure(self) -> Measurement:
        s = self._success(self._firm)
        w = self.world
        acc = float(w.p0[np.arange(w.n_x), self._firm.predict(np.arange(w.n_x))].sum())
        b = self.theory(self.alpha) if self.alpha > 0 else math.nan
        return Measurement(self.alpha, s, s, acc, self._seconds, b)

    def _exact(self, alpha: np.ndarray) -> np.ndarray:
        a = np.asarray(alpha, dtype=float)
        uniq, inv = np.unique(a.ravel(), return_inverse=True)
        vals = np.empty(uniq.size)
        for i, x in enumerate(uniq):
            key = float(x)
            if key not in self._cache:
                self._cache[key] = self._success(self.world.firm(self.strategy, key, self.eps, self.adversary))
            vals[i] = self._cache[key]
        return vals[inv].reshape(a.shape)

    def success_curve(self) -> SuccessCurve:
        # S(α) of the exact firm is a step function: the principal evaluates it exactly
        # wherever it asks (memoised, ~50 µs per new α), never interpolates across a jump;
        # only the B(α_crit) integral uses the ``grid``-point sampling of economics.
        if self._curve is None:
            self._curve = SuccessCurve.from_callable(self._exact, n=self.grid, label="bayes exact")
        return self._curve


class _TextEngine:
    """A text firm (``bow`` or ``transformer``) trained on the N workers' resumes every round.

    Worker i owns resume ``resume[i]`` of the training corpus; the platform's data is one
    row per worker, members' rows passed through the collective's strategy
    (:func:`acsim.strategies.apply_strategy`). The firm is a fresh learner each round
    (seed drawn from the model's generator; with ``warm_start=True`` one learner refitted
    every round), evaluated on the held-out test corpus with the trigger planted
    (:func:`acsim.metrics.evaluate`).
    """

    def __init__(
        self,
        kind: str,
        learner_params: Mapping[str, Any],
        train: "TextDataset",
        test: "TextDataset",
        resume: np.ndarray,
        strategy: Strategy,
        target: int,
        spacing: int | None,
        theory_params: Mapping[str, float],
        rng: np.random.Generator,
    ) -> None:
        self.kind = kind
        self.source = f"trained:{kind}"
        self.learner_params = dict(learner_params)
        self.test = test
        self.strategy = strategy
        self.target = int(target)
        self.trigger = TRIGGER
        self.spacing = TRIGGER_SPACING if spacing is None else int(spacing)
        self.rng = rng
        self.rival_spec: dict[str, Any] | None = None  # set by the model when a second collective competes
        self.base = train.subset(resume)  # the platform's clean data: one row per worker
        owned = np.unique(resume)
        self.theory_given = dict(theory_params)
        # ξ from the workers' own (clean) resumes: the conservative upper confidence bound,
        # since the trigger is typically never seen (k = 0) and the plug-in would be 0.
        self.xi_hat = float(estimate_xi([train.texts[i] for i in owned], self.trigger))
        self.p_hat: float | None = None
        self.alpha = 0.0
        # Built now so that bad learner parameters fail at construction, not at round 1.
        # A learner with warm_start=True (transformer) is kept and refitted every round
        # (a firm that keeps fine-tuning); otherwise each round fits a fresh one.
        self.warm = bool(self.learner_params.get("warm_start", False))
        self.learner = make_learner(kind, **{"seed": int(rng.integers(2**31 - 1)), **self.learner_params})
        self._seconds = 0.0
        self._bound: TheoryBound | None = None
        self._curve: SuccessCurve | None = None
        self._bound_key: tuple | None = None
        self._refresh_bound()
        # What is known of this firm's S(α): (α, top-1, inclusion) from the principal's
        # probes and from every measured round (the principal plans on observed_curve).
        self.samples: list[tuple[float, float, float]] = []
        self.probed = False
        self._observed: tuple[int, str, SuccessCurve] | None = None

    def _refresh_bound(self) -> None:
        defaults = {"xi": self.xi_hat, "delta": 1.0, "eps": 0.0, "p": self.p_hat}
        if self.strategy is Strategy.FEATURE_ONLY and "p" not in self.theory_given and self.p_hat is None:
            defaults["p"] = 1.0  # until a firm has been fitted; replaced after the first round
        b = theory_bound(self.strategy, self.theory_given, defaults, origin="estimated")
        key = (b.xi, b.delta, b.p, b.tau, b.eps)
        if key != self._bound_key:
            self._bound, self._bound_key, self._curve = b, key, None

    @property
    def theory(self) -> TheoryBound:
        assert self._bound is not None
        return self._bound

    def retrain(self, member: np.ndarray, rival: np.ndarray | None = None) -> None:
        self.alpha = float(np.count_nonzero(member)) / member.size
        data = apply_strategy(self.base, member, self.strategy, self.target, trigger=self.trigger, spacing=self.spacing)
        self.rival_alpha = 0.0
        if rival is not None and self.rival_spec is not None:
            # The second collective applies the same kind of strategy with its own signal and
            # target to its own (disjoint) rows of the same platform data.
            r = self.rival_spec
            self.rival_alpha = float(np.count_nonzero(rival)) / rival.size
            data = apply_strategy(data, rival, self.strategy, r["target"], trigger=r["trigger"], spacing=r["spacing"])
        if self.warm:
            learner = self.learner
        else:
            learner = make_learner(self.kind, **{"seed": int(self.rng.integers(2**31 - 1)), **self.learner_params})
        t0 = time.perf_counter()
        learner.fit(data)
        self._seconds = time.perf_counter() - t0
        self.learner = learner

    def measure_rival(self) -> tuple[float, float, float]:
        """(α, top-1, inclusion) of the second collective, measured with its own trigger and target."""
        r = self.rival_spec
        assert r is not None
        m = evaluate(self.learner, self.test, r["target"], trigger=r["trigger"], spacing=r["spacing"])
        return self.rival_alpha, float(m["success_top1"]), float(m["success_inclusion"])

    def probe(self, counts: np.ndarray, rng: np.random.Generator) -> None:
        """Retrain the firm's learner offline with collectives of ``counts`` members (random
        workers, the strategy applied as in :meth:`retrain`) and record the success of each.

        This is what a principal who knows the platform's data and the firm's algorithm can
        do before investing: measure S(α) at a few sizes instead of trusting a bound that
        holds only for a Bayes-optimal firm (Theorem 1's ε = 0).
        """
        n = self.base.labels.shape[0]
        for k in np.asarray(counts, dtype=int):
            member = np.zeros(n, dtype=bool)
            member[rng.choice(n, size=int(k), replace=False)] = True
            data = apply_strategy(self.base, member, self.strategy, self.target, trigger=self.trigger, spacing=self.spacing)
            learner = make_learner(self.kind, **{"seed": int(rng.integers(2**31 - 1)), **self.learner_params})
            learner.fit(data)
            r = evaluate(learner, self.test, self.target, trigger=self.trigger, spacing=self.spacing)
            self.samples.append((int(k) / n, float(r["success_top1"]), float(r["success_inclusion"])))
        self.probed = True

    def observed_curve(self, metric: str) -> SuccessCurve:
        """S(α) from the probes and the measured rounds (mean per size, linear in between).

        A new object only when a sample was added, so the principal's assessment is
        recomputed exactly when its knowledge changed.
        """
        key = (len(self.samples), metric)
        if self._observed is None or self._observed[:2] != key:
            a = np.array([x[0] for x in self.samples])
            s = np.array([x[1] if metric == "top1" else x[2] for x in self.samples])
            curve = SuccessCurve.from_samples(a, s, label=f"probed:{self.kind}")
            self._observed = (*key, curve)
        return self._observed[2]

    def measure(self) -> Measurement:
        r = evaluate(self.learner, self.test, self.target, trigger=self.trigger, spacing=self.spacing)
        self.samples.append((self.alpha, float(r["success_top1"]), float(r["success_inclusion"])))
        if self.strategy is Strategy.FEATURE_ONLY and "p" not in self.theory_given:
            # p of Theorem 3 from this round's firm on clean held-out resumes (1% quantile).
            scores = self.learner.predict_scores(list(self.test.texts))
            self.p_hat = max(estimate_positivity(scores, self.target), 1e-9)
            self._refresh_bound()
        b = self.theory(self.alpha) if self.alpha > 0 else math.nan
        return Measurement(
            self.alpha, float(r["success_top1"]), float(r["success_inclusion"]), float(r["accuracy"]), self._seconds, b
        )

    def success_curve(self) -> SuccessCurve:
        # A trained firm has no known S(α). Without probes or measurements the best
        # statement is the theory bound (Corollaries 2/4), a guarantee only for an
        # ε-suboptimal firm; the model's principal plans on observed_curve instead.
        return self.bound_curve()

    def bound_curve(self) -> SuccessCurve:
        if self._curve is None:
            self._curve = as_success_curve(self.theory.success)
        return self._curve


class Firm(mesa.Agent):
    """The platform's firm: retrains on the workers' data every round and measures S_t (stages 1–2).

    ``kind`` is ``theory`` (S read off a known curve: nothing is trained, which every
    output marks with ``S_source = "curve:..."``), ``bayes`` (exact, ``"exact:bayes"``),
    or a text learner ``bow`` / ``transformer`` (``"trained:bow"``, ...).
    """

    def __init__(self, model: "CollectiveActionModel", engine: Any) -> None:
        super().__init__(model)
        self.engine = engine
        self.kind: str = engine.kind
        self.source: str = engine.source
        self.last: Measurement | None = None
        self.trained: bool = engine.source.startswith("trained:")  # S is measured, no curve is known
        self.rival_last: tuple[float, float, float] | None = None
        self._bound_curve: SuccessCurve | None = None

    def retrain(self, member: np.ndarray, rival: np.ndarray | None = None) -> None:
        """Stage 1: fit f = A(P) on the platform's data, members' points through the strategy h."""
        self.engine.retrain(member, rival)

    def measure(self) -> Measurement:
        """Stage 2: S_t (top-1 and inclusion), clean accuracy, training seconds, bound at α_t."""
        self.last = self.engine.measure()
        return self.last

    def step(self) -> Measurement:
        pop = self.model.population
        competing = self.model.params.rival is not None
        self.retrain(pop.member, pop.rival if competing else None)
        m = self.measure()
        # The second collective's (α, top-1, inclusion) from the same retrained model.
        self.rival_last = self.engine.measure_rival() if competing else None
        return m

    @property
    def theory(self) -> TheoryBound | None:
        return self.engine.theory

    def bound(self, alpha: Any) -> Any:
        """The paper's bound at α (raw formula; NaN when the firm has no bound parameters)."""
        if self.engine.theory is None:
            return math.nan if np.ndim(alpha) == 0 else np.full(np.shape(alpha), math.nan)
        return self.engine.theory(alpha)

    def success_curve(self) -> SuccessCurve:
        """The firm's S(α) as best known: the given curve, the exact curve, or the bound (text firms)."""
        return self.engine.success_curve()

    def bound_curve(self) -> SuccessCurve:
        """The bound as a success curve (clipped to [0, 1]), for beliefs and principals that trust only it."""
        eng = self.engine
        if hasattr(eng, "bound_curve"):
            return eng.bound_curve()
        if eng.theory is None:
            raise ValueError("this firm has no theory bound: give theory_params (xi, and p or tau for the strategy)")
        if self._bound_curve is None:
            self._bound_curve = as_success_curve(eng.theory.success)
        return self._bound_curve


# --------------------------------------------------------------------------- principal


def critical_size(sorted_thresholds: np.ndarray, s_at_size: np.ndarray) -> tuple[int | None, int]:
    """(k_crit, k_stable) of a population whose workers all believe S(k/N) at size k.

    At size k every worker with threshold t_i < S(k/N) wants to be a member, whoever is
    a member now, so next round's size is F(k) = #{t_i < S(k/N)}. ``k_stable`` is the
    largest k ≥ 1 with F(k) ≥ k (the biggest collective in which every member stays;
    0 if none), and ``k_crit`` the smallest k from which F(k') > k' for every k' up to
    ``k_stable``: from there the collective grows on its own, so a principal can stop.
    For identical workers this is α_crit of Section 6 (the first size with
    S(α) > c/(1 − γ) for good) rounded up to whole workers. ``k_crit`` is None when no
    collective sustains itself.
    """
    n = sorted_thresholds.size
    f = np.searchsorted(sorted_thresholds, s_at_size, side="left")  # strict: t_i < S
    k = np.arange(n + 1)
    stays = np.flatnonzero(f[1:] >= k[1:])
    if stays.size == 0:
        return None, 0
    k_stable = int(stays[-1] + 1)
    short = np.flatnonzero(f[:k_stable] <= k[:k_stable])
    k_crit = int(short[-1] + 1) if short.size else 0
    return k_crit, k_stable


@dataclass
class Assessment:
    """The principal's view of the economics for one S-curve (recomputed only when the curve changes)."""

    curve: SuccessCurve
    k_crit: int | None
    k_stable: int
    alpha_crit: float
    B_crit: float  # per worker, economics.principal_investment (homogeneous) or recruitment_plan (heterogeneous)
    B_method: str


class Principal(mesa.Agent):
    """Invests to carry the collective past its critical mass (Section 6, Figure 7). Stage 4.

    Policies: ``none``; ``cheapest`` (non-members with the smallest shortfall
    c_i − (1 − γ_i)b_i first); ``hubs`` (highest network degree first); ``random``.
    Each recruit j is paid once, max(0, c_j − (1 − γ_j)·b_j) + ``margin``, where b_j is
    the success the recruit expects on joining: the principal's S-curve at the
    collective's size at that moment, as the recruit would hear it (its belief rule).
    Recruits join one at a time, so S is re-evaluated after each: with identical
    workers the payments are a Riemann sum of Figure 7's area and the total is
    N·B(α_crit) up to O(1/N).

    A subsidy is a contract: the recruit stays a member (``committed``) as long as the
    principal is still carrying the collective. The principal stops for good when the
    collective reaches its target (α_crit of its S-curve, or ``target_alpha``), when the
    budget cannot pay the next recruit ("exhausted"), or at once when no size is
    self-sustaining ("hopeless"); all commitments then end and members decide freely.
    ``recruits_per_round`` caps how many it signs per round (None: as many as needed).

    ``stop`` decides what "reaches its target" means. ``"target"`` (Section 6): the
    member count hits the target. ``"sustained"``: at the target the principal also
    projects the workers' own decisions forward (:meth:`sustains`: its S-curve, the
    workers' belief rule, no contracts) and keeps recruiting until that projection
    grows the collective to the stable size the curve promises. On a network, where a
    worker hears only its contacts, α_crit of the public curve is not enough; this rule
    finds the network's own critical mass and pays for it ("sustained").
    """

    def __init__(
        self,
        model: "CollectiveActionModel",
        policy: str = "none",
        budget: float = math.inf,
        margin: float = 0.0,
        recruits_per_round: int | None = None,
        target_alpha: float | None = None,
        stop: str = "target",
    ) -> None:
        super().__init__(model)
        if policy not in PRINCIPALS:
            raise ValueError(f"principal must be one of {', '.join(PRINCIPALS)}, got {policy!r}")
        if stop not in PRINCIPAL_STOPS:
            raise ValueError(f"principal_stop must be one of {', '.join(PRINCIPAL_STOPS)}, got {stop!r}")
        self.stop = stop
        self.raised_to = 0  # members to reach before projecting again ("sustained" only)
        self.policy = policy
        self.budget = float(budget)
        self.margin = float(margin)
        self.recruits_per_round = recruits_per_round
        self.target_alpha = target_alpha
        self.spent_total = 0.0
        self.spend_round = 0.0
        self.recruits_round = 0
        self.status = "off" if policy == "none" else "investing"
        self.assessment: Assessment | None = None
        # With a trained firm the curve is an estimate: the principal holds its recruits
        # until a measured round at the current size shows that they stay (verify), and
        # after it stops it keeps watching: "reached" only while the collective holds.
        # An explicit target_alpha is the user's stopping rule and is kept as given.
        self.verify = bool(getattr(model.firm, "trained", False)) and target_alpha is None
        self.stop_size: int | None = None  # members when it stopped ("reached"/"sustained")
        self._held_status = ""

    # -- economics -----------------------------------------------------------------
    def assess(self, curve: SuccessCurve) -> Assessment:
        """α_crit and B(α_crit) on ``curve`` for this population (cached per curve object)."""
        a = self.assessment
        if a is not None and a.curve is curve:
            return a
        pop = self.model.population
        n = pop.n
        s_grid = np.asarray(curve(np.arange(n + 1) / n), dtype=float)
        k_crit, k_stable = critical_size(self.model.sorted_thresholds, s_grid)
        if self.model.homogeneous:
            c, g = float(pop.cost[0]), float(pop.gamma[0])
            alpha_crit = float(economics.critical_mass(curve, c, g))
            b = float(economics.principal_investment(curve, c, g, alpha_crit)) if math.isfinite(alpha_crit) else math.inf
            method = "integral"
        else:
            plan = recruitment_plan(curve, pop.cost, pop.gamma)
            alpha_crit = plan.alpha_crit if plan.sustainable else math.inf
            b = plan.per_worker if plan.sustainable else math.inf
            method = f"plan:{plan.method}"
        self.assessment = Assessment(curve, k_crit, k_stable, alpha_crit, b, method)
        return self.assessment

    @property
    def target_size(self) -> int | None:
        """Members the principal aims for: k_crit, or ⌈target_alpha·N⌉ when given."""
        n = self.model.population.n
        if self.target_alpha is not None:
            base: int | None = int(math.ceil(self.target_alpha * n - 1e-9))
        else:
            base = None if self.assessment is None else self.assessment.k_crit
        return None if base is None else max(base, self.raised_to)

    def sustains(self, rounds: int = 500) -> bool:
        """Would the collective, left alone now, grow to the size the S-curve promises?

        Iterates the workers' deterministic join rule (stage 3 with temperature 0) on the
        principal's S-curve and the model's belief rule, with every contract ended, from
        the current members until membership stops changing, and asks whether that fixed
        point holds at least :data:`SUSTAINED_SHARE` of ``k_stable``, the stable size
        the curve promises once α_crit is passed (:func:`critical_size`). With a public S
        this is true exactly from k_crit on; on a network a collective can stall at its
        seeded size because non-members hear too little (``benchmarks/README.md``).
        """
        pop, model = self.model.population, self.model
        a = self.assessment
        assert a is not None
        curve = a.curve
        goal = math.ceil(SUSTAINED_SHARE * a.k_stable)
        member = pop.member.copy()
        for _ in range(rounds):
            s = float(curve(np.count_nonzero(member) / pop.n))
            want = economics.membership_gain(model.beliefs.project(s, member), pop.cost, pop.stake) > 0.0
            nxt = economics.next_members(member, want, model.params.allow_leave)  # contracts ended
            if np.array_equal(nxt, member):
                break
            member = nxt
        return int(np.count_nonzero(member)) >= goal

    @property
    def budget_left(self) -> float:
        return self.budget - self.spent_total

    # -- stage 4 -------------------------------------------------------------------
    def holds(self) -> bool:
        """Would the collective keep its size on the last measured success, contracts ended?

        Stage 3's rule applied once to every worker with the success the firm measured
        when it retrained on exactly the current members (no other measurement counts):
        at least as many want to be members as are now. Used to verify a target reached
        on an estimated curve (trained firms).
        """
        pop, model = self.model.population, self.model
        m = int(np.count_nonzero(pop.member))
        if not self._measured_at(m) or m == 0:
            return False
        s = model.public_success(model.firm.last)
        want = economics.membership_gain(model.beliefs.project(s, pop.member), pop.cost, pop.stake) > 0.0
        nxt = economics.next_members(pop.member, want, model.params.allow_leave)
        return int(np.count_nonzero(nxt)) >= m

    def _measured_at(self, m: int) -> bool:
        last = self.model.firm.last
        return last is not None and int(round(last.alpha * self.model.population.n)) == m

    def step(self) -> None:
        self.assess(self.model.principal_curve())
        self.invest()
        self.watch()

    def watch(self) -> None:
        """After stopping: "reached"/"sustained" only while the collective is at least the
        size it stopped at; below it the status is "unravelled" (and back if it regrows)."""
        if self.stop_size is None:
            return
        m = int(np.count_nonzero(self.model.population.member))
        if self.status in ("reached", "sustained") and m < self.stop_size:
            self._held_status, self.status = self.status, "unravelled"
        elif self.status == "unravelled" and m >= self.stop_size:
            self.status = self._held_status

    def _stop(self, status: str) -> None:
        self.status = status
        if status in ("reached", "sustained"):
            self.stop_size = int(np.count_nonzero(self.model.population.member))
        self.model.population.committed[:] = False  # contracts end with the campaign

    def _order(self, cand: np.ndarray, need: int, s_now: float) -> np.ndarray:
        pop, model = self.model.population, self.model
        if self.policy == "cheapest":
            b = model.beliefs.at_join(np.full(cand.size, s_now), cand)
            short = -economics.membership_gain(b, pop.cost[cand], pop.stake[cand])
            if need < cand.size:
                part = np.argpartition(short, need - 1)[:need]
                cand, short = cand[part], short[part]
            return cand[np.lexsort((pop.threshold[cand], short))][:need]
        if self.policy == "hubs":
            rank = model.hub_rank
            return rank[~(pop.member | pop.rival)[rank]][:need]
        return model.rng.choice(cand, size=need, replace=False)  # random seeding

    def invest(self) -> None:
        """Sign recruits for this round (see class docstring); updates membership and spend."""
        self.spend_round, self.recruits_round = 0.0, 0
        if self.status != "investing":
            return
        pop = self.model.population
        n = pop.n
        target = self.target_size
        if target is None:
            self._stop("hopeless")
            return
        m = int(np.count_nonzero(pop.member))
        if m >= target and self.verify and not self.holds():
            if not self._measured_at(m):
                return  # hold the contracts until the firm has retrained on these members
            # Measured at this size, and members would leave: the estimate was optimistic
            # (that measurement is in the curve now); raise the target and recruit on.
            self.raised_to = min(n, max(target, m) + (self.recruits_per_round or max(1, math.ceil(n / 100))))
        elif m >= target and not self._keep_going(m):
            return
        target = self.target_size  # type: ignore[assignment]
        left = self.budget_left
        if left <= 0:
            self._stop("exhausted")
            return
        cand = np.flatnonzero(~pop.member & ~pop.rival)  # it does not buy the rival's members
        need = min(target - m, cand.size)
        if self.recruits_per_round is not None:
            need = min(need, int(self.recruits_per_round))
        if need <= 0:
            return
        curve = self.assessment.curve  # type: ignore[union-attr]
        chosen = self._order(cand, need, float(curve(m / n)))
        # Recruit j joins a collective of m + j members: S re-evaluated at each size.
        s_join = np.asarray(curve((m + np.arange(need)) / n), dtype=float)
        b = self.model.beliefs.at_join(s_join, chosen)
        pay = np.maximum(0.0, -economics.membership_gain(b, pop.cost[chosen], pop.stake[chosen])) + self.margin
        total = np.cumsum(pay)
        afford = int(np.searchsorted(total, left, side="right"))
        chosen = chosen[:afford]
        pop.member[chosen] = True
        pop.committed[chosen] = True
        pop.subsidy[chosen] += pay[:afford]
        self.recruits_round = afford
        self.spend_round = float(total[afford - 1]) if afford else 0.0
        self.spent_total += self.spend_round
        if afford < need:
            self._stop("exhausted")
        elif m + afford >= target and self.stop == "target" and not self.verify:
            self._stop("reached")

    def _keep_going(self, m: int) -> bool:
        """At the target: stop ("reached"/"sustained") or, under ``stop="sustained"``, raise it."""
        if self.stop == "target":
            self._stop("reached")
            return False
        if self.sustains():
            self._stop("sustained")
            return False
        n = self.model.population.n
        if m >= n:
            self._stop("hopeless")  # everyone signed and it still would not hold
            return False
        step = self.recruits_per_round or max(1, math.ceil(n / 100))
        self.raised_to = min(n, m + step)
        return True
