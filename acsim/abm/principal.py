"""The principal of Section 6: invests to carry the collective past its critical mass (Figure 7). Stage 4."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import mesa
import numpy as np

from acsim.abm.decisions import Decision, project
from acsim.abm.engines import Measurement
from acsim.theory import economics
from acsim.theory.economics import SuccessCurve
from acsim.theory.recruitment import recruitment_plan

if TYPE_CHECKING:
    from acsim.abm.model import CollectiveActionModel

PRINCIPALS = ("none", "cheapest", "hubs", "random")
PRINCIPAL_STOPS = ("target", "sustained")
# stop="sustained" accepts a collective that grows on its own to this share of the stable
# size: on a network a few workers who hear only non-members may never join.
SUSTAINED_SHARE = 0.95


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


# Identical workers: the assessment depends only on (curve, N, c, γ), so the runs of a batch
# that share them compute it once (2 ms each: a critical mass and an exact integral).
_HOMOGENEOUS: dict[tuple[int, int, float, float], tuple] = {}


def _homogeneous(curve: SuccessCurve, n: int, c: float, g: float) -> tuple:
    """(k_crit, k_stable, α_crit, B(α_crit), method) for N identical workers (c, γ) on ``curve``."""
    key = (id(curve), n, c, g)
    hit = _HOMOGENEOUS.get(key)
    if hit is not None and hit[0] is curve:  # the curve itself is kept, so its id cannot be reused
        return hit[1]
    s_grid = np.asarray(curve(np.arange(n + 1) / n), dtype=float)
    k_crit, k_stable = critical_size(np.full(n, float(economics.join_threshold(c, g))), s_grid)
    alpha_crit = float(economics.critical_mass(curve, c, g))
    b = float(economics.principal_investment(curve, c, g, alpha_crit)) if math.isfinite(alpha_crit) else math.inf
    value = (k_crit, k_stable, alpha_crit, b, "integral")
    if len(_HOMOGENEOUS) >= 64:  # it keeps its curves alive: a few, not one per run of a batch
        _HOMOGENEOUS.pop(next(iter(_HOMOGENEOUS)))
    _HOMOGENEOUS[key] = (curve, value)
    return value


@dataclass
class Assessment:
    """The principal's view of the economics for one S-curve (recomputed only when the curve changes)."""

    curve: SuccessCurve
    k_crit: int | None
    k_stable: int
    alpha_crit: float
    B_crit: float  # per worker, economics.principal_investment (homogeneous) or recruitment_plan (heterogeneous)
    B_method: str


@dataclass(frozen=True)
class Investment:
    """Stage 4's output: what the principal did this round and where it stands."""

    recruits: int
    spend: float
    spend_total: float
    budget_left: float
    status: str  # off | investing | reached | sustained | unravelled | exhausted | hopeless
    assessment: Assessment


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
        self.verify = bool(model.firm.trained) and target_alpha is None
        self.stop_size: int | None = None  # members when it stopped ("reached"/"sustained")
        self._held_status = ""
        self._cost_order: tuple[np.ndarray | None] | None = None  # _by_cost(), computed on first use
        self._grid: np.ndarray | None = None  # S(k/N), k = 0..N, of the last heterogeneous assessment

    # -- economics -----------------------------------------------------------------
    def assess(self, curve: SuccessCurve) -> Assessment:
        """α_crit and B(α_crit) on ``curve`` for this population (cached per curve object)."""
        a = self.assessment
        if a is not None and a.curve is curve:
            return a
        pop = self.model.population
        n = pop.n
        if self.model.homogeneous:
            self.assessment = Assessment(curve, *_homogeneous(curve, n, float(pop.cost[0]), float(pop.gamma[0])))
            return self.assessment
        s_grid = np.asarray(curve(np.arange(n + 1) / n), dtype=float)
        if a is not None and self._grid is not None and np.array_equal(s_grid, self._grid):
            # A new curve object with the same S at every size k/N (a round measured where the
            # curve already was): critical_size and recruitment_plan read S only there.
            self.assessment = replace(a, curve=curve)
            return self.assessment
        self._grid = s_grid
        k_crit, k_stable = critical_size(self.model.sorted_thresholds, s_grid)
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
            nxt = project(pop, model.beliefs, s, member, model.params.allow_leave)  # contracts ended
            if np.array_equal(nxt, member):
                break
            member = nxt
        return int(np.count_nonzero(member)) >= goal

    @property
    def budget_left(self) -> float:
        return self.budget - self.spent_total

    # -- stage 4 -------------------------------------------------------------------
    def holds(self, measured: Measurement, success: float) -> bool:
        """Would the collective keep its size on the last measured success, contracts ended?

        Stage 3's rule applied once to every worker with the public ``success`` of the
        round's measurement, when that measurement was made on exactly the current
        members (no other measurement counts): at least as many want to be members as
        are now. Used to verify a target reached on an estimated curve (trained firms).
        """
        pop, model = self.model.population, self.model
        m = int(np.count_nonzero(pop.member))
        if not self._measured_at(measured, m) or m == 0:
            return False
        nxt = project(pop, model.beliefs, success, pop.member, model.params.allow_leave)
        return int(np.count_nonzero(nxt)) >= m

    def _measured_at(self, measured: Measurement, m: int) -> bool:
        return int(round(measured.alpha * self.model.population.n)) == m

    def step(self, curve: SuccessCurve, measured: Measurement, decision: Decision) -> Investment:
        """Stage 4 on the S-curve the principal plans on, given stage 2's measurement and
        stage 3's decision (the public success workers acted on, who hears whom now)."""
        a = self.assess(curve)
        self.invest(measured, decision)
        self.watch()
        return Investment(self.recruits_round, self.spend_round, self.spent_total, self.budget_left, self.status, a)

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

    def _by_cost(self) -> np.ndarray | None:
        """All workers in order of cost, when that is the cheapest-first order every round.

        With one free-ride share γ for all, distinct costs and one public belief b, the
        shortfall c − (1 − γ)b ranks workers by c whatever b is, so the order is computed
        once (an argsort) instead of an argpartition over every non-member each round
        (6 of 8.6 ms a round at 1M workers). None otherwise (the general path runs)."""
        if self._cost_order is None:
            pop = self.model.population
            order = np.argsort(pop.cost, kind="stable")
            ok = bool(np.ptp(pop.stake) == 0) and bool(np.all(np.diff(pop.cost[order]) > 0))
            self._cost_order = (order if ok else None,)
        return self._cost_order[0]

    def _order(self, eligible: np.ndarray, need: int, s_now: float, heard: np.ndarray | None) -> np.ndarray:
        pop, model = self.model.population, self.model
        if self.policy == "cheapest" and heard is None and (order := self._by_cost()) is not None:
            return _first(order, eligible, need)
        cand = np.flatnonzero(eligible)
        if self.policy == "cheapest":
            b = model.beliefs.at_join(np.full(cand.size, s_now), cand, heard)
            short = -economics.membership_gain(b, pop.cost[cand], pop.stake[cand])
            if need < cand.size:
                part = np.argpartition(short, need - 1)[:need]
                cand, short = cand[part], short[part]
            return cand[np.lexsort((pop.threshold[cand], short))][:need]
        if self.policy == "hubs":
            rank = model.hub_rank
            return rank[eligible[rank]][:need]
        return model.rng.choice(cand, size=need, replace=False)  # random seeding

    def invest(self, measured: Measurement, decision: Decision) -> None:
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
        if m >= target and self.verify and not self.holds(measured, decision.S):
            if not self._measured_at(measured, m):
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
        eligible = ~pop.member & (pop.other == 0)  # it does not buy other collectives' members
        need = min(target - m, int(np.count_nonzero(eligible)))
        if self.recruits_per_round is not None:
            need = min(need, int(self.recruits_per_round))
        if need <= 0:
            return
        curve = self.assessment.curve  # type: ignore[union-attr]
        heard = decision.heard  # recruits hear from the members after stage 3
        chosen = self._order(eligible, need, float(curve(m / n)), heard)
        # Recruit j joins a collective of m + j members: S re-evaluated at each size.
        s_join = np.asarray(curve((m + np.arange(need)) / n), dtype=float)
        b = self.model.beliefs.at_join(s_join, chosen, heard)
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


def _first(order: np.ndarray, eligible: np.ndarray, need: int) -> np.ndarray:
    """The first ``need`` workers of ``order`` that are ``eligible``, scanning in growing blocks
    (the cheapest workers are mostly members already, so the recruits sit just past them)."""
    out, start, step = [], 0, max(4 * need, 4096)
    while need > 0 and start < order.size:
        block = order[start:start + step]
        hit = block[eligible[block]][:need]
        out.append(hit)
        need -= hit.size
        start, step = start + step, step * 2
    return np.concatenate(out) if out else order[:0]

