"""Stage 3 of a round: every worker applies Section 6's join rule to its belief (vectorised).

The paper's worker joins iff S(α) − c > γS(α), i.e. (1 − γ)S − c > 0
(:func:`acsim.theory.economics.membership_gain`, the one place the rule is written).
Here S is the worker's belief b_i (:class:`acsim.abm.beliefs.BeliefModel`); members
for whom the rule fails leave unless committed by a subsidy or leaving is switched
off (:func:`acsim.theory.economics.next_members`). With a temperature T > 0 the choice
is a logit: join with probability σ(gain/T).
"""

from __future__ import annotations

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
    # Per further collective j = 2, 3, ... (empty without one): public success, joins
    # (switchers from another collective included) and leaves.
    others_S: tuple[float, ...] = ()
    others_joins: tuple[int, ...] = ()
    others_leaves: tuple[int, ...] = ()
    # w_i, the weight each worker gives to what members report, for the members *after*
    # this stage (None unless belief="network"): what the principal prices recruits with.
    heard: np.ndarray | None = field(default=None, repr=False, compare=False)


def decide(pop: "WorkerArrays", beliefs: BeliefModel, params: "ModelParams", rng: np.random.Generator,
           success: float, others_success: tuple[float, ...] = ()) -> Decision:
    """Stage 3: update ``pop.member`` (and ``pop.other``) from the round's public success(es)."""
    if others_success:
        return _decide_among(pop, beliefs, params, rng, success, others_success)
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


def _decide_among(pop: "WorkerArrays", beliefs: BeliefModel, params: "ModelParams", rng: np.random.Generator,
                  success: float, others_success: tuple[float, ...]) -> Decision:
    """Several collectives (:mod:`acsim.abm.collectives`): each worker joins (or stays in) the one
    with the largest gain.

    Gains g_j = (1 − γ)b_j − c with b_j the belief about collective j's success (its own
    members' reports on a network). A worker picks the largest positive gain; a tie keeps
    a member where it is and sends anyone else to the tied collective listed first.
    Members bound by the principal's contract stay; with ``allow_leave=False`` nobody
    leaves or switches. Logit choice (T > 0) draws from {none, 1, 2, ...} with weights
    exp(g/T) (none: exp(0)).
    """
    k, w, g_first = _gains(pop, beliefs, success)
    n_c = 1 + len(others_success)
    gains = np.empty((n_c, pop.n))
    gains[0] = g_first
    for j, s in enumerate(others_success, start=2):
        gains[j - 1] = membership_gain(beliefs.project(s, pop.other == j), pop.cost, pop.stake)
    now = np.where(pop.member, 1, pop.other)  # 0 none, 1 the first, j a further collective
    if params.temperature > 0:
        util = np.vstack([np.zeros(pop.n), gains]) / params.temperature
        prob = np.exp(util - util.max(axis=0))
        cum = np.cumsum(prob / prob.sum(axis=0), axis=0)
        choice = (rng.random(pop.n) > cum[:n_c]).sum(axis=0)
    else:
        best = gains.max(axis=0)
        tied = gains == best
        stay = (now > 0) & tied[np.maximum(now - 1, 0), np.arange(pop.n)]
        choice = np.where(best > 0, np.where(stay, now, tied.argmax(axis=0) + 1), 0)
    fixed = pop.committed | (now > 0) if not params.allow_leave else pop.committed
    choice = np.where(fixed & (now > 0), now, choice)
    new_first = choice == 1
    news = [choice == j for j in range(2, n_c + 1)]
    olds = [pop.other == j for j in range(2, n_c + 1)]
    decision = Decision(
        float(success), int(np.count_nonzero(new_first & ~pop.member)), int(np.count_nonzero(pop.member & ~new_first)),
        float(np.count_nonzero(g_first > 0)) / pop.n, tuple(float(s) for s in others_success),
        tuple(int(np.count_nonzero(a & ~b)) for a, b in zip(news, olds)),
        tuple(int(np.count_nonzero(b & ~a)) for a, b in zip(news, olds)),
        heard=w if np.array_equal(new_first, pop.member) else beliefs.weights(beliefs.contacts_after(k, pop.member, new_first)),
    )
    pop.member[:] = new_first
    pop.other[:] = np.where(choice >= 2, choice, 0)
    return decision
