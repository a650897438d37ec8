"""Slot prices of the recruitment assignment (:mod:`acsim.theory.recruitment`, Section 6 extended).

The k recruits' joining positions form an assignment LP with hinge costs
s_i·(t_i − S_j)⁺. This module holds the market (workers, slots, costs), the dual bound
D(z) = Σ_j z_j + Σ_i min_j (C_ij − z_j) computed in O(k log k) with prefix convex hulls,
the projected subgradient ascent on slot prices, and the exact Hungarian re-assignment
of overlapping windows that turns prices into a plan whose cost never rises. The
optimality certificate is :mod:`acsim.theory.recruitment_certificate`.
"""

from __future__ import annotations

import math

import numpy as np

TINY = np.finfo(float).tiny
EPS = np.finfo(float).eps


def _hull_tree(x: np.ndarray, y: np.ndarray, snap: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """Persistent upper hull of the points (x_q, y_q), x nondecreasing, built left to right.

    The hull of the prefix 0..q is the chain ``top[q] → parent → parent → …`` (a stack kept
    as a linked list, so every prefix's hull survives later pops). ``slope[q]`` is the
    slope of the hull edge from ``parent[q]`` to q; it increases along a chain towards the
    root (an upper hull read right to left). One Python pass over the points: each is
    pushed and popped at most once. The stack after point ``snap`` is also returned.
    """
    n = x.size
    xs, ys = x.tolist(), y.tolist()
    parent = [-1] * n
    top = [0] * n
    stack: list[int] = []
    snapshot: list[int] = []
    for q in range(n):
        xq, yq = xs[q], ys[q]
        if stack:
            p = stack[-1]
            if xs[p] == xq and ys[p] >= yq:  # dominated: same abscissa, not higher
                top[q] = p
                if q == snap:
                    snapshot = stack.copy()
                continue
            if xs[p] == xq:
                stack.pop()
            while len(stack) >= 2:
                a, b = stack[-2], stack[-1]
                # drop b when it is on or below the segment a → q
                if (xs[b] - xs[a]) * (yq - ys[a]) - (ys[b] - ys[a]) * (xq - xs[a]) >= 0.0:
                    stack.pop()
                else:
                    break
        parent[q] = stack[-1] if stack else -1
        stack.append(q)
        top[q] = q
        if q == snap:
            snapshot = stack.copy()
    par = np.asarray(parent, dtype=np.int64)
    slope = np.full(n, np.inf)
    has = par >= 0
    slope[has] = (y[has] - y[par[has]]) / (x[has] - x[par[has]])
    return np.asarray(top, dtype=np.int64), par, slope, snapshot


def _prefix_hull_argmax(x: np.ndarray, y: np.ndarray, ends: np.ndarray, w: np.ndarray) -> np.ndarray:
    """For each query q: an index p < ends[q] maximising y_p + w_q·x_p (w > 0, ends ≥ 1)."""
    n = x.size
    # Most queries usually share one prefix (every worker whose threshold lies above the
    # priced region): answer those by binary search on that prefix's hull.
    common = int(np.bincount(ends).argmax())
    top, parent, slope, hull = _hull_tree(x, y, snap=common - 1)
    out = np.empty(ends.size, dtype=np.int64)
    shared = ends == common
    if shared.any():
        h = np.asarray(hull, dtype=np.int64)
        edge = np.diff(y[h]) / np.diff(x[h])  # decreasing along the hull
        out[shared] = h[np.searchsorted(-edge, w[shared], side="left")]
    rest = np.flatnonzero(~shared)
    if rest.size:
        up = [np.where(parent >= 0, parent, np.arange(n))]
        while (1 << len(up)) < n:
            up.append(up[-1][up[-1]])
        start = top[ends[rest] - 1]
        neg = -w[rest]
        # Moving from a hull vertex to its parent gains iff its edge slope < −w; that
        # holds on an initial stretch of the chain, so binary lifting finds where it stops.
        moving = slope[start] < neg
        cur = start.copy()
        for jump in reversed(up):
            nxt = jump[cur]
            cur = np.where(moving & (slope[nxt] < neg), nxt, cur)
        out[rest] = np.where(moving, up[0][cur], start)
    return out


class Market:
    """k recruits (thresholds t, stakes s) and k joining slots with success S, sorted by S."""

    def __init__(self, t: np.ndarray, s: np.ndarray, S: np.ndarray):
        self.t, self.s, self.S = t, s, S
        self.k = S.size
        self.pos = np.searchsorted(S, t, side="left")  # first slot where joining is free
        self.st = s * t  # = c: the subsidy at S = 0
        self.has_free = self.pos < self.k
        self.free_slot = np.where(self.has_free, self.pos, self.k - 1)

    def cost(self, perm: np.ndarray) -> np.ndarray:
        """Subsidy at each sorted slot j for worker perm[j]."""
        return np.maximum(0.0, self.s[perm] * (self.t[perm] - self.S))

    def dual(self, z: np.ndarray, priced: np.ndarray | None = None):
        """D(z), its rounding scale, each worker's best slot, whether it is paid, and margins.

        D(z) = Σ_j z_j + Σ_i min_j (C_ij − z_j) ≤ optimum for every z (weak LP duality).
        Workers outside ``priced`` (indices) must be known to prefer joining free (the
        caller certifies it); their paid option is not evaluated. ``margin`` is
        (best paid − best free) for the priced workers, +inf where there is no paid slot.
        """
        S, pos = self.S, self.pos
        sufmax = np.maximum.accumulate(z[::-1])[::-1]
        best_free = np.where(self.has_free, -sufmax[self.free_slot], np.inf)
        # the best free slot: the first j ≥ pos where z_j is the suffix maximum
        # (= pos itself for nonincreasing prices, as in the ascent)
        hit = np.flatnonzero(z == sufmax)
        resp = hit[np.searchsorted(hit, self.free_slot, side="left")]
        paid = np.zeros(pos.size, dtype=bool)
        best = best_free.copy()
        q = np.flatnonzero(pos > 0) if priced is None else priced[pos[priced] > 0]
        margin = np.full(pos.size, np.inf)
        if q.size:
            sq = self.s[q]
            ends = pos[q]
            # Only the last point of each run of equal prices can be a hull vertex for a
            # positive slope, plus the last point of a query's own prefix: compress.
            run_end = np.flatnonzero(np.r_[z[1:] != z[:-1], True])
            m = np.searchsorted(run_end, ends, side="left")  # complete runs before the end
            cand = ends - 1
            val = z[cand] + sq * S[cand]
            ok = np.flatnonzero(m > 0)
            if ok.size:
                a = run_end[_prefix_hull_argmax(S[run_end], z[run_end], m[ok], sq[ok])]
                va = z[a] + sq[ok] * S[a]
                better = va > val[ok]
                cand[ok[better]] = a[better]
                val[ok[better]] = va[better]
            best_paid = self.st[q] - val
            margin[q] = best_paid - best_free[q]
            take = best_paid < best_free[q]
            qi = q[take]
            best[qi] = best_paid[take]
            resp[qi] = cand[take]
            paid[qi] = True
        value = float(z.sum() + best.sum())
        scale = float(np.abs(z).sum() + np.abs(best).sum() + 2.0 * self.st.sum())
        self.last_best = best  # min_j (C_ij − z_j) per worker, for the certification stage
        return value, scale, resp, paid, margin


def certified_value(value: float, scale: float, k: int) -> float:
    # Each per-worker minimum carries a few ulps and numpy's pairwise sums about
    # log2(k) more, relative to ``scale`` (the sum of the magnitudes involved): step the
    # bound down by a safe multiple so it bounds the exact D(z), not its rounded sum.
    return value - 8.0 * (math.log2(max(k, 2)) + 4.0) * EPS * scale


# --------------------------------------------------------------------------------------
# Primal: read a plan off the prices, then exact re-assignment of windows
# --------------------------------------------------------------------------------------


def rank_plan(mk: Market, resp: np.ndarray, paid: np.ndarray) -> np.ndarray:
    """Workers sorted by their best slot under the prices (paid before free, low stake first).

    When the prices clear the market every worker gets its best slot (complementary
    slackness: the plan is then optimal); near clearing the ranks shift only a little.
    """
    key = (2 * resp + (~paid)).astype(float) + mk.s / (2.0 * (mk.s.max() + 1.0))
    return np.argsort(key, kind="stable")


def _window_pass(mk: Market, perm: np.ndarray, width: int, hi: int) -> np.ndarray:
    """Hungarian re-assignment of the occupants of slots [a, a + width), a = 0, width/2, … < hi.

    Each window's re-assignment is optimal for its own occupants and slots, so the total
    never rises; overlapping windows let workers travel further than one window.
    """
    from scipy.optimize import linear_sum_assignment

    k = mk.k
    step = max(1, width // 2)
    perm = perm.copy()
    for a in range(0, max(1, hi), step):
        b = min(k, a + width)
        J = np.arange(a, b)
        occ = perm[J]
        C = np.maximum(0.0, mk.s[occ, None] * (mk.t[occ, None] - mk.S[None, J]))
        if C.any():
            rows, cols = linear_sum_assignment(C)
            perm[J[cols]] = occ[rows]
        if b == k:
            break
    return perm


def polish(mk: Market, perm: np.ndarray, width: int, passes: int) -> np.ndarray:
    cost = mk.cost(perm).sum()
    for _ in range(passes):
        paid = np.flatnonzero(mk.cost(perm) > 0)
        if paid.size == 0:
            break
        new = _window_pass(mk, perm, width, int(paid[-1]) + 1)
        new_cost = mk.cost(new).sum()
        improved = new_cost < cost * (1.0 - 1e-13)
        if new_cost <= cost:
            perm, cost = new, new_cost
        if not improved:
            break
    return perm


class Ascent:
    """Projected subgradient ascent on D(z) over nonincreasing prices, Polyak steps.

    Prices are parametrised by their drops δ_l = z_l − z_{l+1} ≥ 0 (an optimal dual has
    nonincreasing prices: a higher slot is never worse for anyone). In these coordinates
    the supergradient of D is the cumulative excess supply (l + 1) − #{workers whose best
    slot is ≤ l}, which moves whole blocks of prices at once; per-slot subgradients
    barely move D here. Between full pricings (every 16 steps) a worker whose free option
    won by more than the prices can have shifted in its paid option's favour is not
    re-priced, so D stays exact while most of the k hull queries are skipped.
    """

    def __init__(self, mk: Market):
        self.mk = mk
        k = mk.k
        self.delta = np.zeros(k)
        self.z = np.zeros(k)
        self.lb = 0.0
        self.z_best = self.z
        self.resp_best = mk.free_slot
        self.paid_best = np.zeros(k, dtype=bool)
        self.lam = 1.0
        self.stall = 0
        self.slots = np.arange(1, k + 1, dtype=float)
        self.z_ref = self.z
        self.margin = np.full(k, -np.inf)  # everyone is priced on the first call
        self.calls = 0

    def evaluate(self, z: np.ndarray):
        mk = self.mk
        full = self.calls % 16 == 0
        self.calls += 1
        if full:
            out = mk.dual(z)
            self.z_ref, self.margin = z, out[4]
            return out
        # (best paid − best free) = s·t − max_{j<pos}(z_j + s·S_j) + z_pos for
        # nonincreasing z, so it has fallen by at most max_{j<pos} Δz_j − Δz_pos since z_ref.
        d = z - self.z_ref
        fall = np.full(mk.k, np.inf)
        ok = mk.has_free & (mk.pos > 0)
        pm = np.maximum.accumulate(d)
        fall[ok] = pm[mk.pos[ok] - 1] - d[mk.pos[ok]]
        priced = np.flatnonzero(~(self.margin > fall * (1.0 + 1e-9) + 1e-300))
        return mk.dual(z, priced)

    def run(self, iters: int, ub: float, tol: float, on_plan) -> float:
        k = self.mk.k
        for it in range(iters):
            value, scale, resp, paid, _ = self.evaluate(self.z)
            cert = min(certified_value(value, scale, k), ub)
            if cert > self.lb:
                self.lb, self.z_best, self.stall = cert, self.z, 0
                self.resp_best, self.paid_best = resp, paid
            else:
                self.stall += 1
                if self.stall >= 8:  # no progress: shorten the Polyak step
                    self.lam, self.stall = self.lam * 0.5, 0
            if it % 8 == 7:
                ub = min(ub, on_plan(resp, paid))
            if ub - self.lb <= tol * ub:
                break
            g = self.slots - np.cumsum(np.bincount(resp, minlength=k))
            g[:-1][(self.delta[:-1] <= 0.0) & (g[:-1] < 0)] = 0.0  # projected onto δ ≥ 0
            gg = float(g @ g)
            if gg == 0.0:
                break
            self.delta = self.delta + self.lam * (ub - value) / gg * g
            self.delta[:-1] = np.maximum(self.delta[:-1], 0.0)
            self.z = np.cumsum(self.delta[::-1])[::-1]
        return ub
