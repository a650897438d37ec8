"""Optimality certificate of a recruitment plan (:mod:`acsim.theory.recruitment`, Section 6 extended).

Starting from slot prices that nearly fit a plan, Dijkstra passes (scipy) lower them
until no worker would gain by moving to another slot; a negative cycle found on the way
is a swap of workers that lowers the cost, and it is applied. When this settles the dual
bound equals the plan's total and the plan is proven optimal; otherwise the best bound
found is returned with the plan, so lower_bound ≤ optimum ≤ total always holds.
"""

from __future__ import annotations

import numpy as np

from acsim.theory.recruitment_cycles import _Certifier
from acsim.theory.recruitment_dual import Ascent, Market, certified_value, polish, rank_plan


def _adjacent_prices(mk: Market, perm: np.ndarray) -> np.ndarray:
    """Prices under which every "move up one slot" of the plan exactly breaks even.

    z_j − z_{j+1} = what the occupant of slot j would save one slot higher. In the paid
    stretch recruits sit nearly sorted by stake, so these prices already meet most other
    moves; the certificate then starts from few violated moves and settles in a few
    Dijkstra passes (from the ascent's prices it can take hundreds: they violate a little
    almost everywhere).
    """
    S = mk.S
    s, t = mk.s[perm], mk.t[perm]
    up = np.r_[S[1:], S[-1]]
    save = s * np.maximum(0.0, np.minimum(up, np.maximum(t, S)) - S)
    return np.r_[np.cumsum(save[:-1][::-1])[::-1], 0.0]


def solve_certified(
    mk: Market, tol: float, max_iter: int, window: int, passes: int, max_passes: int = 400
) -> tuple[np.ndarray, float]:
    """(plan over sorted slots, certified lower bound) by price ascent plus window polishing."""
    s = mk.s
    best = {"perm": np.argsort(mk.t, kind="stable")}  # threshold order: always feasible
    best["cost"] = float(mk.cost(best["perm"]).sum())
    if best["cost"] == 0.0:
        return best["perm"], 0.0
    if np.all(s == s[0]):
        # Equal stakes: C_ij = s·h(t_i − S_j) with h convex, a Monge matrix; sorted
        # thresholds matched to sorted slots are optimal.
        return best["perm"], best["cost"]

    def on_plan(resp, paid):
        perm = rank_plan(mk, resp, paid)
        c = float(mk.cost(perm).sum())
        if c < best["cost"]:
            best["perm"], best["cost"] = perm, c
        return best["cost"]

    asc = Ascent(mk)
    rounds = 3
    ub = best["cost"]
    for r in range(rounds):
        ub = asc.run(max_iter // rounds, ub, tol, on_plan)
        # The plan read off this round's best prices, polished, competes with the best.
        perm = polish(mk, rank_plan(mk, asc.resp_best, asc.paid_best), window, passes)
        c = float(mk.cost(perm).sum())
        if c < best["cost"]:
            best["perm"], best["cost"] = perm, c
        ub = best["cost"]
        if ub - asc.lb <= tol * ub:
            break
        asc.lam = max(asc.lam, 0.25)  # the sharper upper bound allows longer steps again
    lb = asc.lb
    # Certificate: from the ascent's prices first, then (if that does not settle within
    # its budget) from the plan's break-even prices; each try may also improve the plan.
    for start in ("ascent", "adjacent"):
        if best["cost"] - lb <= tol * best["cost"] or max_passes <= 0:
            break
        z0 = asc.z_best if start == "ascent" else _adjacent_prices(mk, best["perm"])
        cert = _Certifier(mk, best["perm"], z0)
        done, value, scale = cert.run(max_passes, max_checks=60)
        c = float(mk.cost(cert.perm).sum())
        if c <= best["cost"]:
            best["perm"], best["cost"] = cert.perm, c
        lb = max(lb, certified_value(value, scale, mk.k))
        if done:
            break
    return best["perm"], min(lb, best["cost"])
