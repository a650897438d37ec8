"""Stage 3 of a round: every worker applies Section 6's join rule to its belief (vectorised).

The paper's worker joins iff S(α) − c > γS(α), i.e. (1 − γ)S − c > 0
(:func:`acsim.theory.economics.membership_gain`, the one place the rule is written).
Here S is the worker's belief b_i (:class:`acsim.abm.beliefs.BeliefModel`); members
for whom the rule fails leave unless committed by a subsidy or leaving is switched
off (:func:`acsim.theory.economics.next_members`). With a temperature T > 0 the choice
is a logit: join with probability σ(gain/T).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from acsim.abm.beliefs import BeliefModel
from acsim.theory.economics import membership_gain, next_members

if TYPE_CHECKING:
    from acsim.abm.params import ModelParams
    from acsim.abm.workers import WorkerArrays


@dataclass(frozen=True)
class Decision:
    """Stage 3's output: the success workers acted on and what they did."""

    S: float  # the public success beliefs were built from (S_t, or the bound for belief="theory")
    joins: int
    leaves: int
    willing: float  # share of workers for whom joining (the first collective) was rational
    rival_S: float = math.nan  # the second collective's public success (NaN without one)
    rival_joins: int = 0
    rival_leaves: int = 0
    # w_i, the weight each worker gives to what members report, for the members *after*
    # this stage (None unless belief="network"): what the principal prices recruits with.
    heard: np.ndarray | None = field(default=None, repr=False, compare=False)


def decide(pop: "WorkerArrays", beliefs: BeliefModel, params: "ModelParams", rng: np.random.Generator,
           success: float, rival_success: float | None = None) -> Decision:
    """Stage 3: update ``pop.member`` (and ``pop.rival``) from the round's public success(es)."""
    if rival_success is not None:
        return _decide_between(pop, beliefs, params, rng, success, rival_success)
    k, w, gain = _gains(pop, beliefs, success)
    if params.temperature > 0:
        want = rng.random(pop.n) < expit(gain / params.temperature)
    else:
        want = gain > 0.0
    new = next_members(pop.member, want, params.allow_leave, pop.committed)
    joins, leaves = int(np.count_nonzero(new & ~pop.member)), int(np.count_nonzero(pop.member & ~new))
    heard = w if joins == leaves == 0 else beliefs.weights(beliefs.contacts_after(k, pop.member, new))
    pop.member[:] = new
    return Decision(float(success), joins, leaves, float(np.count_nonzero(want)) / pop.n, heard=heard)


def _gains(pop: "WorkerArrays", beliefs: BeliefModel, success: float) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    """Member contacts k_i and hearing weights w_i now (None unless "network"), the beliefs
    (written to ``pop.belief``) and every worker's gain from joining, (1 − γ_i)b_i − c_i."""
    k = beliefs.contacts(pop.member)
    w = beliefs.weights(k)
    b = beliefs.compute(success, pop.member, out=pop.belief, weights=w)
    return k, w, membership_gain(b, pop.cost, pop.stake)


def project(pop: "WorkerArrays", beliefs: BeliefModel, success: float, member: np.ndarray, allow_leave: bool) -> np.ndarray:
    """Who would be a member after one deterministic stage 3 from ``member`` at public
    ``success``, every contract ended; the model is not touched (the principal's look-ahead)."""
    want = membership_gain(beliefs.project(success, member), pop.cost, pop.stake) > 0.0
    return next_members(member, want, allow_leave)


def _decide_between(pop: "WorkerArrays", beliefs: BeliefModel, params: "ModelParams", rng: np.random.Generator,
                    success: float, rival_success: float) -> Decision:
    """Two collectives: each worker joins (or stays in) the one with the larger gain.

    Gains g_k = (1 − γ)b_k − c with b_k the belief about collective k's success (its
    own members' reports on a network). A worker picks the larger positive gain; a tie
    keeps a member where it is and sends a non-member to the first collective. Members
    bound by the principal's contract stay; with ``allow_leave=False`` nobody leaves or
    switches. Logit choice (T > 0) draws from {none, first, rival} with weights
    exp(g/T) (none: exp(0)).
    """
    k, w, g_a = _gains(pop, beliefs, success)
    g_b = membership_gain(beliefs.project(rival_success, pop.rival), pop.cost, pop.stake)
    if params.temperature > 0:
        util = np.stack([np.zeros(pop.n), g_a, g_b]) / params.temperature
        prob = np.exp(util - util.max(axis=0))
        cum = np.cumsum(prob / prob.sum(axis=0), axis=0)
        choice = (rng.random(pop.n) > cum[:2]).sum(axis=0)  # 0 none, 1 first, 2 rival
    else:
        best_a = (g_a > 0) & ((g_a > g_b) | ((g_a == g_b) & ~pop.rival))
        best_b = (g_b > 0) & ~best_a
        choice = np.where(best_a, 1, np.where(best_b, 2, 0))
    fixed = pop.committed | (pop.member | pop.rival) if not params.allow_leave else pop.committed
    choice = np.where(fixed & pop.member, 1, np.where(fixed & pop.rival, 2, choice))
    new_a, new_b = choice == 1, choice == 2
    decision = Decision(
        float(success), int(np.count_nonzero(new_a & ~pop.member)), int(np.count_nonzero(pop.member & ~new_a)),
        float(np.count_nonzero(g_a > 0)) / pop.n, float(rival_success),
        int(np.count_nonzero(new_b & ~pop.rival)), int(np.count_nonzero(pop.rival & ~new_b)),
        heard=w if np.array_equal(new_a, pop.member) else beliefs.weights(beliefs.contacts_after(k, pop.member, new_a)),
    )
    pop.member[:] = new_a
    pop.rival[:] = new_b
    return decision
