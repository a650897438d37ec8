"""The principal's cheapest recruitment of a heterogeneous population (Section 6, Figure 7).

Section 6 prices the recruitment of a homogeneous population with B(α_crit) =
∫₀^α_crit max(0, c + γS(α) − S(α)) dα per worker (Figure 7). With heterogeneous workers
the principal recruits k workers one at a time: the j-th recruit (j = 0..k−1) joins a
collective of size j/N and is paid max(0, c_i − s_i·S_j), with stake s_i = 1 − γ_i and
S_j = S(j/N). Writing t_i = c_i/s_i for the join threshold, that subsidy is
s_i·(t_i − S_j)⁺. The k recruits are fixed (the k lowest thresholds, see
:func:`recruitment_plan`); which recruit takes which joining position is a k × k
assignment problem.

Methods
-------
``"assignment"``
    Hungarian algorithm (scipy ``linear_sum_assignment``) on the dense k × k matrix:
    exact, O(k³) time and O(k²) memory, refused above :data:`ASSIGNMENT_MAX` recruits.
    ``lower_bound`` equals ``total``.
``"certified"``
    Scales to 10⁵ recruits. (1) A Lagrangian (LP-dual) lower bound is raised by projected
    subgradient ascent on slot prices; plans are read off the prices and improved by
    exact Hungarian re-assignment of overlapping windows of joining positions. (2) The
    plan is then certified by complementary slackness: prices meeting every "move worker
    i to slot j" constraint are sought by Dijkstra passes on reduced costs, and every
    negative cycle met on the way is a rotation of workers that lowers the total, which
    is applied (cycle cancelling). When that settles with no violated move the plan is
    optimal and ``lower_bound`` equals ``total`` up to rounding (measured with
    γ ~ U[0.1, 0.9]: every case tried up to 5·10⁴ recruits, in 0.2–7 s). Otherwise,
    within the work budget, the method returns its best plan with the best certified
    bound: every price vector gives one by weak LP duality, so always
    ``lower_bound ≤ optimum ≤ total``, and :attr:`RecruitmentPlan.gap` bounds how far
    from optimal the plan can be (measured at 10⁵ recruits: 4·10⁻⁶ to 3·10⁻⁵ in 12–22 s;
    about 10⁻⁴ in about 7 s with the certificate off). Exact outright when all stakes
    are equal (Monge).
``"threshold"``
    Join in threshold order. Optimal when all γ_i are equal (the cost is then a convex
    function of t_i − S_j, so sorted matches sorted); otherwise only a heuristic, with
    ``lower_bound`` 0 (trivially certified) unless the stakes are equal.
``"auto"``
    ``"assignment"`` up to :data:`ASSIGNMENT_LIMIT` recruits, ``"certified"`` above, and
    ``"certified"`` whenever all stakes are equal (exact outright there, and 200× faster
    than the Hungarian at 1,000 recruits).

Why the dual is cheap. For slot prices z (the LP dual of the joining positions),
D(z) = Σ_j z_j + Σ_i min_j (C_ij − z_j) is a lower bound on the optimal total. With
slots sorted by S, C_ij = 0 for S_j ≥ t_i and C_ij = s_i·t_i − s_i·S_j below, so
min_j (C_ij − z_j) is a suffix maximum of z (joining free) or a prefix-restricted
maximum of z_j + s_i·S_j, i.e. a query on the upper convex hull of the points (S_j, z_j)
over a prefix. A persistent hull (one pass) plus binary lifting answers all k queries
in O(k log k), vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from acsim.theory.domain import check
from acsim.theory.recruitment_certificate import solve_certified
from acsim.theory.recruitment_dual import TINY, Market
from acsim.theory.join_rule import join_threshold
from acsim.theory.success_curve import as_success_curve

__all__ = [
    "RecruitmentPlan",
    "recruitment_plan",
    "ASSIGNMENT_LIMIT",
    "ASSIGNMENT_MAX",
    "METHODS",
]

ASSIGNMENT_LIMIT = 1500  # "auto" uses the exact Hungarian up to here (well under a second)
ASSIGNMENT_MAX = 8000  # the dense k × k cost matrix is 0.5 GB here; above, use "certified"
METHODS = ("auto", "assignment", "certified", "threshold")



@dataclass(frozen=True)
class RecruitmentPlan:
    """The principal's cheapest recruitment of a heterogeneous population (Section 6 extended).

    ``order`` lists the recruited workers in joining order; ``subsidies[i]`` is what
    ``order[i]`` is paid to join a collective of size i/N, max(0, c − (1 − γ)S(i/N)).
    After the first ``k_crit`` recruits every further one joins for free: ``alpha_crit``
    = k_crit/N is where the collective becomes self-sustaining. ``target_size`` is the
    largest collective in which every member stays (workers with thresholds too high are
    never recruited). ``lower_bound`` is a certified lower bound on the cheapest possible
    total for the same recruits (equal to ``total`` when the plan is proven optimal);
    :attr:`gap` is the plan's largest possible relative excess over that optimum.
    """

    order: np.ndarray
    subsidies: np.ndarray
    k_crit: int
    n_workers: int
    target_size: int
    method: str
    lower_bound: float = 0.0  # 0 is always a valid bound: subsidies are nonnegative

    @property
    def alpha_crit(self) -> float:
        return self.k_crit / self.n_workers

    @property
    def total(self) -> float:
        return float(self.subsidies.sum())

    @property
    def sustainable(self) -> bool:
        """False when no collective size keeps even one member (every threshold too high)."""
        return self.target_size > 0

    @property
    def per_worker(self) -> float:
        """Total subsidy divided by N, comparable with B(α_crit) of a homogeneous population."""
        return self.total / self.n_workers

    @property
    def gap(self) -> float:
        """(total − lower_bound) / lower_bound, the plan's largest possible relative excess.

        0 when the plan is proven optimal (:attr:`exact`).
        """
        if self.exact:
            return 0.0
        return (self.total - self.lower_bound) / max(self.lower_bound, TINY)

    @property
    def exact(self) -> bool:
        """Whether the plan is certified optimal, up to floating-point rounding (1e-9 relative)."""
        return self.total - self.lower_bound <= 1e-9 * self.total


# --------------------------------------------------------------------------------------
# Pricing: min_j (C_ij − z_j) for every worker, exactly, in O(k log k)
# --------------------------------------------------------------------------------------



def _hungarian(mk: Market) -> np.ndarray:
    from scipy.optimize import linear_sum_assignment

    C = np.maximum(0.0, mk.s[:, None] * (mk.t[:, None] - mk.S[None, :]))
    rows, cols = linear_sum_assignment(C)
    perm = np.empty(mk.k, dtype=np.int64)
    perm[cols] = rows
    return perm


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _members(success_curve, c, gamma):
    cc = check("c", c, 0.0)
    g = check("gamma", gamma, 0.0, 1.0)
    cc, g = (np.ravel(x) for x in np.broadcast_arrays(cc, g))
    n = cc.size
    if n == 0:
        raise ValueError("recruitment_plan needs at least one worker")
    curve = as_success_curve(success_curve)
    t = np.asarray(join_threshold(cc, g), dtype=float)
    by_t = np.lexsort((1.0 - g, t))  # ties: smaller stake (1 − γ) first, it pays less later
    s_at_k = curve(np.arange(1, n + 1) / n)
    content = t[by_t] < s_at_k  # the k lowest-threshold workers all stay at size k/N
    target = int(np.flatnonzero(content)[-1] + 1) if content.any() else 0
    members = by_t[:target]
    s_pos = np.asarray(curve(np.arange(target) / n), dtype=float)  # success when the j-th joins
    return cc, g, n, target, members, s_pos


def recruitment_plan(
    success_curve,
    c: ArrayLike,
    gamma: ArrayLike,
    method: str = "auto",
    *,
    tol: float = 1e-9,
    max_iter: int = 240,
    window: int = 256,
    passes: int = 3,
    max_passes: int = 400,
) -> RecruitmentPlan:
    """Cheapest order in which a principal recruits workers with costs c_i and shares γ_i.

    The j-th recruit joins a collective of size j/N and needs max(0, c_i − (1 − γ_i)S(j/N))
    (Section 6; the homogeneous total is N·B(α_crit) of Figure 7). The target is the
    largest self-consistent collective: the k workers of lowest threshold c_i/(1 − γ_i)
    with S(k/N) above the k-th threshold. Assigning those k workers to the k joining
    positions at least total cost is an assignment problem:

    * ``"assignment"``: exact (Hungarian), up to :data:`ASSIGNMENT_MAX` recruits;
      ``lower_bound == total``.
    * ``"certified"``: any size (10⁵ recruits in seconds): ``max_iter`` steps of price
      ascent on the LP dual, plans read off the prices and polished by exact Hungarian
      re-assignment of overlapping windows of ``window`` positions (``passes`` sweeps),
      then a complementary-slackness certificate with negative-cycle cancelling (two
      starts, at most ``max_passes`` Dijkstra passes each; 0 skips it). Stops once the relative gap is below
      ``tol``. ``lower_bound`` is certified by LP duality whatever happens, ``gap`` says
      how far from optimal the plan can be and ``exact`` whether it is proven optimal.
    * ``"threshold"``: threshold order (optimal when all γ_i are equal; then
      ``lower_bound == total``, otherwise it is 0).
    * ``"auto"``: ``"assignment"`` up to :data:`ASSIGNMENT_LIMIT` recruits, else
      ``"certified"``; ``"certified"`` for equal stakes (one γ), where it is exact (Monge).

    With homogeneous workers the total approaches N·B(α_crit) as N grows. Nothing here
    assumes S is monotone: positions are matched by their success values.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(repr(m) for m in METHODS)}, got {method!r}")
    check("tol", tol, 0.0)
    if int(max_iter) < 0 or int(window) < 2 or int(passes) < 0 or int(max_passes) < 0:
        raise ValueError("max_iter, passes and max_passes must be ≥ 0 and window ≥ 2")
    cc, g, n, target, members, s_pos = _members(success_curve, c, gamma)
    if method == "auto":
        # Equal stakes make the cost matrix Monge: "certified" is exact outright there and
        # takes 0.6 ms at N = 1,000 where the Hungarian took 140 ms.
        equal = target > 0 and bool(np.ptp(g[members]) == 0)
        chosen = "assignment" if target <= ASSIGNMENT_LIMIT and not equal else "certified"
    else:
        chosen = method
    if chosen == "assignment" and target > ASSIGNMENT_MAX:
        raise ValueError(
            f"method='assignment' builds a dense {target}×{target} matrix (O(k³) time); "
            f"use method='certified' above {ASSIGNMENT_MAX} recruits"
        )
    if target == 0:
        return RecruitmentPlan(members, np.zeros(0), 0, n, 0, chosen, 0.0)

    stake = 1.0 - g[members]
    thr = cc[members] / stake
    by_s = np.argsort(s_pos, kind="stable")  # positions sorted by success
    mk = Market(thr, stake, s_pos[by_s])
    lower = 0.0
    if chosen == "threshold":
        order = members  # members come in threshold order; position j gets the j-th
    else:
        perm = _hungarian(mk) if chosen == "assignment" else None
        if perm is None:
            perm, lower = solve_certified(mk, float(tol), int(max_iter), int(window), int(passes), int(max_passes))
        order = np.empty(target, dtype=members.dtype)
        order[by_s] = members[perm]  # the j-th lowest success goes to sorted slot j's worker
    subsidies = np.maximum(0.0, cc[order] - (1.0 - g[order]) * s_pos)
    total = float(subsidies.sum())
    if chosen == "assignment":
        lower = total
    elif chosen == "threshold" and np.all(stake == stake[0]) and np.all(np.diff(s_pos) >= 0):
        lower = total  # equal stakes, nondecreasing S: sorted matches sorted (Monge)
    lower = float(min(max(lower, 0.0), total))
    paid = np.flatnonzero(subsidies > 0)
    k_crit = int(paid[-1] + 1) if paid.size else 0
    return RecruitmentPlan(order, subsidies, k_crit, n, target, chosen, lower)
