"""The engine of the recruitment certificate: prices settled by Dijkstra passes, negative cycles cancelled.

:class:`_Certifier` seeks slot prices meeting every "move worker i to slot j" constraint of
a plan (complementary slackness); a negative cycle met on the way is a rotation of workers
that lowers the plan's total, and it is applied. Driven by
:func:`acsim.theory.recruitment_certificate.solve_certified`.
"""

from __future__ import annotations

import math

import numpy as np

from acsim.theory.recruitment_dual import TINY, Market


def _first_per_key(key: np.ndarray, val: np.ndarray) -> np.ndarray:
    """Indices of the smallest ``val`` for each distinct ``key`` (ties: first)."""
    o = np.lexsort((val, key))
    first = np.r_[True, key[o][1:] != key[o][:-1]]
    return o[first]


def _slot_before(pred: np.ndarray, k: int) -> np.ndarray:
    """For each slot (node < k) of a predecessor array over slots and hubs (nodes k + p,
    with moves hub p → hub p+1): the slot before it on its chain, hubs skipped, or < 0.

    A hub's predecessor is the hub below it or a slot (a worker's free move in), so a
    run of hubs is found with one running maximum instead of a walk.
    """
    hp = pred[k:]
    chain = hp == np.arange(k) + k - 1
    chain[0] = False
    start = np.maximum.accumulate(np.where(chain, 0, np.arange(k)))
    origin = hp[start]  # what enters the run of hubs ending at p
    ps = pred[:k]
    return np.where(ps >= k, origin[np.clip(ps - k, 0, k - 1)], ps)


class _Certifier:
    """Optimality certificate (or improvement) of a plan by complementary slackness.

    A plan π is optimal iff some prices z satisfy C_{iπ(i)} − z_{π(i)} ≤ C_ij − z_j for all
    i, j; then D(z) = total. These are difference constraints z_j ≤ z_{π(i)} + C_ij −
    C_{iπ(i)} ("worker i may move from its slot to j"). Starting from the ascent's
    prices they are met by lowering prices (shortest paths, Dijkstra passes on reduced
    costs) over the known moves: every free move (j ≥ pos_i, C_ij = 0, through hub
    nodes), the paid moves to the slots next to the worker's own, and every paid move the
    exact hull pricing finds violated, added as found. A cycle of predecessors is a
    negative cycle, i.e. a rotation of workers that lowers the total: it is applied
    (cycle cancelling, so the plan only improves) and the search goes on. When the prices
    settle and the hull pricing finds no violated move, D(z) = total certifies the plan.
    """

    def __init__(self, mk: Market, perm: np.ndarray, z: np.ndarray, reach: int = 3):
        self.mk, self.reach = mk, reach
        self.perm = perm.copy()
        self.z = z.astype(float).copy()
        self.extra_i = np.zeros(0, dtype=np.int64)
        self.extra_j = np.zeros(0, dtype=np.int64)
        self.cycles = 0
        self._build()

    def _build(self):
        mk, k = self.mk, self.mk.k
        inv = np.empty(k, dtype=np.int64)
        inv[self.perm] = np.arange(k)
        self.inv = inv
        self.base = np.maximum(0.0, mk.s * (mk.t - mk.S[inv]))
        ei, ej = [self.extra_i], [self.extra_j]
        for d in range(-self.reach, self.reach + 1):
            if d:
                j = inv + d
                ok = (j >= 0) & (j < mk.pos)
                ei.append(np.flatnonzero(ok))
                ej.append(j[ok])
        ei, ej = np.concatenate(ei), np.concatenate(ej)
        ok = (ej < mk.pos[ei]) & (ej != inv[ei])
        ei, ej = ei[ok], ej[ok]
        o = np.lexsort((ej, ei))
        ei, ej = ei[o], ej[o]
        keep = np.r_[True, (ei[1:] != ei[:-1]) | (ej[1:] != ej[:-1])]
        self.ei, self.ej = ei[keep], ej[keep]
        self.w = mk.s[self.ei] * (mk.t[self.ei] - mk.S[self.ej]) - self.base[self.ei]
        self.off = np.searchsorted(self.ei, np.arange(k + 1))
        self.scale = float(np.abs(self.z).max() + self.base.max()) + TINY
        self.tol = 1e-13 * self.scale

    def _edges(self):
        """All known moves as (tail, head, reduced cost under z) over slots and hubs.

        Nodes 0..k−1 are slots; k + p is a hub for "any slot ≥ p", so the free moves
        (worker at u to any j ≥ pos_i, cost −C_{iπ(i)}) take O(k) edges: u → hub(pos_i),
        hub(p) → hub(p+1), hub(p) → p. A hub's price is φ_p = max_{j ≥ p} z_j.
        """
        mk, k, z = self.mk, self.mk.k, self.z
        phi = np.maximum.accumulate(z[::-1])[::-1]
        src_slot = self.inv[self.ei]
        fw = np.flatnonzero(mk.has_free)
        p = np.arange(k)
        rows = np.concatenate([src_slot, self.inv[fw], k + p[:-1], k + p])
        cols = np.concatenate([self.ej, k + mk.pos[fw], k + p[1:], p])
        w = np.concatenate([
            self.w + z[src_slot] - z[self.ej],
            -self.base[fw] + z[self.inv[fw]] - phi[mk.pos[fw]],
            phi[:-1] - phi[1:],
            phi - z,
        ])
        return rows, cols, w

    def _settle(self, max_passes: int = 400) -> tuple[bool, np.ndarray]:
        """Lower z to the greatest prices ≤ z meeting every known move, by Dijkstra passes.

        With y = z_new − z (≤ 0), each known move u → j asks y_j ≤ y_u + r_uj (r its reduced
        cost under z). Moves with r ≥ 0 form a graph Dijkstra can run on; the few with
        r < 0 seed it: a pass relaxes them and then runs one multi-source Dijkstra (a super
        source, offsets shifted to be ≥ 0, bounded by ``limit`` so it only explores where
        prices fall). Passes needed: one more than the negative moves on any path. A cycle
        of predecessors is a negative cycle: its rotation is applied (the plan improves)
        and (False, moved slots) returned, to be settled again from the prices reached so
        far. (False, empty) if it did not settle within ``max_passes``.
        """
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import dijkstra

        k = self.mk.k
        n2 = 2 * k
        rows, cols, r = self._edges()
        neg = r < -self.tol
        nr, nc, nw = rows[neg], cols[neg], r[neg]
        pr, pc = rows[~neg], cols[~neg]
        pw = np.maximum(r[~neg], 0.0) + TINY  # scipy drops explicit zeros
        # The nonnegative moves as CSR once, with an empty last row for the super source;
        # each pass only appends that row.
        base = csr_matrix((pw, (pr, pc)), shape=(n2 + 1, n2 + 1))
        base.sum_duplicates()
        data, indices, indptr = base.data, base.indices, base.indptr
        y = np.zeros(n2)
        pred = np.full(n2, -1, dtype=np.int64)
        for it in range(max_passes):
            if self.passes_left <= 0:
                break
            self.passes_left -= 1
            cand = y[nr] + nw
            better = cand < y[nc] - self.tol
            if not better.any():
                self.z = self.z + y[:k]
                return True, np.zeros(0, dtype=np.int64)
            first = _first_per_key(nc[better], cand[better])
            seed, val, tail = nc[better][first], cand[better][first], nr[better][first]
            y[seed] = val
            pred[seed] = tail
            lo = float(-y.min())
            o = np.argsort(seed)
            ptr = indptr.copy()
            ptr[-1] += seed.size
            g = csr_matrix(
                (np.r_[data, y[seed[o]] + lo + TINY], np.r_[indices, seed[o]].astype(indices.dtype), ptr),
                shape=(n2 + 1, n2 + 1),
            )
            dist, dp = dijkstra(g, directed=True, indices=n2, limit=lo + TINY * 4, return_predecessors=True)
            new = dist[:n2] - lo
            imp = np.flatnonzero(new < y - self.tol)
            y[imp] = new[imp]
            via = dp[imp]
            pred[imp] = np.where(via == n2, pred[imp], via)  # a seed keeps its negative move
            if it % 2 == 1:
                keep = self.z + y[:k]  # progress so far: any prices are a valid start
                moved = self._rotate(pred, np.r_[seed, imp])
                if moved.size:
                    self.z = keep
                    return False, moved
        return False, np.zeros(0, dtype=np.int64)

    def _rotate(self, pred: np.ndarray, recent: np.ndarray) -> np.ndarray:
        """Apply the rotations of the negative cycles in a predecessor graph over slots+hubs.

        Walking a cycle forwards, consecutive slots (hubs in between are a free move) are
        one move each: the occupant of one slot moves to the next.
        """
        k = self.mk.k
        back = _slot_before(pred, k)  # slot → previous slot on its chain
        recent = recent[recent < k]
        f = np.where(back >= 0, back, np.arange(k))
        x = f.copy()
        for _ in range(int(math.ceil(math.log2(max(k, 2)))) + 1):
            x = x[x]
        perm = self.perm.copy()
        used = np.zeros(k, dtype=bool)
        seen = np.zeros(k, dtype=bool)
        applied = 0
        for root in np.unique(x[recent]).tolist():
            if back[root] < 0 or seen[root]:
                continue
            walk = [root]
            v = int(f[root])
            while v != root and len(walk) <= k:
                walk.append(v)
                v = int(f[v])
            cyc = np.asarray(walk, dtype=np.int64)
            seen[cyc] = True
            if v != root:
                continue
            slots = cyc[::-1]  # forwards along the cycle
            if slots.size < 2 or used[slots].any():
                continue
            applied += self._move(perm, used, slots, np.r_[slots[1:], slots[0]])
        return self._commit(perm, applied)

    def _move(self, perm: np.ndarray, used: np.ndarray, slots: np.ndarray, dst: np.ndarray) -> int:
        """Move the occupants of ``slots`` to ``dst`` in the candidate ``perm`` if that lowers
        their total shortfall (beyond rounding); 1 if applied, else 0."""
        mk = self.mk
        movers = self.perm[slots]
        after = np.maximum(0.0, mk.s[movers] * (mk.t[movers] - mk.S[dst])).sum()
        if not after < self.base[movers].sum() - 1e-15 * self.scale * slots.size:
            return 0
        perm[dst] = movers
        used[slots] = True
        return 1

    def _commit(self, perm: np.ndarray, applied: int) -> np.ndarray:
        """Adopt ``perm`` if its moves lowered the plan's total cost; the workers moved (none if not)."""
        if applied and self.mk.cost(perm).sum() < self.mk.cost(self.perm).sum():
            moved = np.flatnonzero(perm != self.perm)
            self.perm = perm
            self.cycles += applied
            self._build()
            return moved
        return np.zeros(0, dtype=np.int64)

    def _settle_all(self, max_rotations: int = 200) -> bool:
        for _ in range(max_rotations):
            done, moved = self._settle()
            if done:
                return True
            if moved.size == 0:
                return False
        return False

    def _reduced_graph(self):
        """The known moves as a scipy graph with reduced costs (≥ 0 once z has settled)."""
        from scipy.sparse import csr_matrix

        k = self.mk.k
        rows, cols, w = self._edges()
        # Settled prices leave only rounding below 0; scipy drops explicit zeros, so every
        # edge gets a positive weight at least the smallest normal float.
        g = csr_matrix((np.maximum(w, 0.0) + TINY, (rows, cols)), shape=(2 * k, 2 * k))
        g.sum_duplicates()
        return g

    def _dijkstra_cycles(self, viol: np.ndarray, resp: np.ndarray, limit: int = 32):
        """Negative cycles through violated moves, found by Dijkstra on reduced costs.

        Worker i (slot u) gains −r > 0 by moving to v; a rotation through that move lowers
        the total iff some path v ⇝ u has reduced length < −r. With settled prices all
        reduced costs are ≥ 0, so Dijkstra bounded by ``limit = −r`` finds it in a small
        neighbourhood (the ``limit`` most violated moves are tried; the next exact pricing
        finds the others again). Disjoint improving rotations are applied. Returns the moved slots and
        which violated moves close no improving rotation (safe to add as constraints).
        """
        from scipy.sparse.csgraph import dijkstra

        mk, k, z = self.mk, self.mk.k, self.z
        u_all = self.inv[viol]
        v_all = resp[viol]
        r_all = mk.s[viol] * np.maximum(0.0, mk.t[viol] - mk.S[v_all]) - self.base[viol] + z[u_all] - z[v_all]
        o = np.argsort(r_all)[:limit]
        g = self._reduced_graph()
        used = np.zeros(k, dtype=bool)
        perm = self.perm.copy()
        applied = 0
        safe = np.zeros(viol.size, dtype=bool)  # no improving rotation through this move
        safe[o] = True
        for chunk in np.array_split(o, max(1, o.size // 8)):
            if chunk.size == 0:
                continue
            bound = float(-r_all[chunk].min())
            dist, pred = dijkstra(g, directed=True, indices=v_all[chunk], return_predecessors=True, limit=bound)
            for row, q in enumerate(chunk.tolist()):
                u, v, r = int(u_all[q]), int(v_all[q]), float(r_all[q])
                if not dist[row, u] < -r - 1e-14 * self.scale:
                    continue
                safe[q] = False
                back = _slot_before(pred[row], k)
                path = [u]  # walk back from u to v over slots (hubs skipped)
                x = u
                while x != v and len(path) <= k:
                    x = int(back[x])
                    if x < 0:
                        break
                    path.append(x)
                if x != v:
                    continue
                slots = np.asarray(path[::-1], dtype=np.int64)  # v = x0 → x1 → … → u
                if used[slots].any() or np.unique(slots).size != slots.size:
                    continue
                # occupant of x_a moves to x_{a+1}; worker i (at u) moves to v
                applied += self._move(perm, used, slots, np.r_[slots[1:], v])
        return self._commit(perm, applied), safe

    def run(self, max_passes: int, max_checks: int) -> tuple[bool, float, float]:
        """(certified?, D at the last pricing, its rounding scale); the plan is ``self.perm``.

        ``max_passes`` caps the Dijkstra passes over the whole stage (each costs about one
        pass over the known moves), so the stage gives up where it would be slow; then
        only its D(z) (a valid bound for any z) and the rotations it applied are kept.
        """
        mk = self.mk
        self.passes_left = max_passes
        value, scale = -np.inf, 1.0
        checks = 0
        settled = self._settle_all()
        while settled:
            value, scale, resp, _paid, _ = mk.dual(self.z)  # price every move exactly
            checks += 1
            own = self.base - self.z[self.inv]
            viol = np.flatnonzero(mk.last_best < own - 1e-12 * self.scale)
            if viol.size == 0:
                return True, value, scale
            if checks >= max_checks:
                break
            moved, safe = self._dijkstra_cycles(viol, resp)
            # Moves that close no improving rotation join the sparse set; the prices they
            # bind are then lowered (no negative cycle runs through them). The others are
            # found again by the next exact pricing if the rotations did not fix them.
            # A violated move's neighbours tend to be violated next, once prices shift:
            # add the band of slots around it at once.
            add = viol[safe]
            band = np.arange(-2 * self.reach, 2 * self.reach + 1)
            self.extra_i = np.r_[self.extra_i, np.repeat(add, band.size)]
            self.extra_j = np.r_[self.extra_j, np.clip((resp[add][:, None] + band).ravel(), 0, mk.k - 1)]
            self._build()
            settled = self._settle_all()
        if not np.isfinite(value):
            value, scale, *_ = mk.dual(self.z)
        return False, value, scale
