"""What each worker believes the collective's success S to be (the input to Section 6's join rule).

The paper's worker joins iff S(α) − c > γS(α) (Section 6) and simply *knows* S(α). In
the model a worker acts on a belief b_i instead, one of:

``"empirical"``
    b_i = S_t, the success the firm's retrained model showed this round (the
    collective publishes its measured success; everyone reads it).
``"theory"``
    b_i = max(0, bound(α_t)): the paper's lower bound at the current size (Theorem 1,
    3 or 5 for the chosen strategy) with ξ, Δ, p, τ, ε taken from ``theory_params`` or
    estimated from the data (see :class:`acsim.abm.firm.Firm`). A cautious worker who
    trusts only what is guaranteed.
``"network"``
    a worker hears about S only from its contacts. Members observe S_t themselves.
    A non-member i with d_i > 0 contacts of whom k_i are members believes

        b_i = w_i · S_t + (1 − w_i) · prior,   w_i = k_i / d_i        (``hearing="average"``)

    i.e. the average of what its contacts say: members report S_t, non-members report
    the prior (default 0: "I have not heard of it working"). This is a *fractional*
    threshold rule (joining needs k_i/d_i > (t_i − prior)/(S_t − prior) with
    t_i = c_i/(1 − γ_i)), so a collective spreads through dense neighbourhoods and a
    member hub informs each of its many (mostly low-degree) contacts. With
    ``hearing="any"`` one member contact is enough (w_i = 1 if k_i > 0): information
    spreads like a rumour and only who has *heard* matters. Isolated workers keep the
    prior.

All rules are evaluated for every worker at once on arrays; :meth:`BeliefModel.for_worker`
is the one-worker reference that the tests check the vectorised form against.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from acsim.abm.networks import member_neighbours

BELIEFS = ("empirical", "theory", "network")
HEARING = ("average", "any")


class BeliefModel:
    """Turns the round's public success into every worker's belief b_i (see module docstring)."""

    def __init__(
        self,
        kind: str,
        *,
        prior: float = 0.0,
        hearing: str = "average",
        adjacency: sp.csr_array | None = None,
        degree: np.ndarray | None = None,
    ) -> None:
        # kind and hearing are validated by ModelParams (the one schema); this is an invariant:
        if kind == "network" and adjacency is None:
            raise ValueError("belief='network' needs a network (network='none' gives nobody anyone to hear from)")
        self.kind = kind
        self.prior = float(prior)
        self.hearing = hearing
        self.adjacency = adjacency
        self.degree = degree

    def contacts(self, member: np.ndarray) -> np.ndarray | None:
        """k_i: how many of each worker's contacts are ``member`` s (one sparse mat-vec; None unless "network")."""
        if self.kind != "network":
            return None
        assert self.adjacency is not None
        return member_neighbours(self.adjacency, member)

    def contacts_after(self, k: np.ndarray | None, before: np.ndarray, after: np.ndarray) -> np.ndarray | None:
        """:meth:`contacts` of ``after`` from those of ``before``, touching only the workers who moved.

        The adjacency is symmetric, so a mover's own row lists every worker whose count
        changes; counts are whole numbers in float64, so the result equals the mat-vec exactly.
        """
        if k is None or np.array_equal(before, after):
            return k
        assert self.adjacency is not None
        k = k.copy()
        for moved, sign in ((after & ~before, 1.0), (before & ~after, -1.0)):
            rows = np.flatnonzero(moved)
            if rows.size:
                sub = self.adjacency[rows]
                np.add.at(k, sub.indices, sign * sub.data)
        return k

    def weights(self, k: np.ndarray | None) -> np.ndarray | None:
        """The weight w_i each worker gives to what members report, from its member contacts k_i."""
        if k is None:
            return None
        if self.hearing == "any":
            return (k > 0).astype(np.float64)
        assert self.degree is not None
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.degree > 0, k / np.maximum(self.degree, 1), 0.0)

    def hearing_weights(self, member: np.ndarray) -> np.ndarray | None:
        """w_i for the members ``member`` (None: everyone reads S itself)."""
        return self.weights(self.contacts(member))

    def compute(self, success: float, member: np.ndarray, out: np.ndarray | None = None,
                weights: np.ndarray | None = None) -> np.ndarray:
        """Every worker's belief given the round's public success (S_t, or the bound for "theory").

        ``weights``: :meth:`hearing_weights` of ``member`` when the caller has them already.
        """
        s = float(success)
        if self.kind != "network":
            if out is None:
                return np.full(member.shape, s)
            out.fill(s)
            return out
        b = self._combine(weights if weights is not None else self.hearing_weights(member), s, member)
        if out is not None:
            out[:] = b
            return out
        return b

    def _combine(self, w: np.ndarray, s: float, member: np.ndarray) -> np.ndarray:
        b = w * s + (1.0 - w) * self.prior
        b[member] = s  # members see the collective's success themselves
        return b

    def project(self, success: float, member: np.ndarray) -> np.ndarray:
        """What :meth:`compute` would return, without touching its state (for look-ahead)."""
        s = float(success)
        if self.kind != "network":
            return np.full(member.shape, s)
        return self._combine(self.hearing_weights(member), s, member)

    def at_join(self, success: np.ndarray, workers: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """Beliefs of non-members ``workers`` if the public success were ``success`` (one value each).

        The principal prices a recruit at the success it will expect on joining: the
        value on the principal's S-curve at the collective's size then, as heard by
        the recruit (so a network recruit who hears little still needs a larger
        subsidy). ``weights``: :meth:`hearing_weights` of the members now (after stage 3).
        """
        s = np.asarray(success, dtype=float)
        if weights is None:
            return s
        w = weights[workers]
        return w * s + (1.0 - w) * self.prior

    def for_worker(self, slot: int, success: float, member: np.ndarray) -> float:
        """The same rule for one worker, in plain Python (the per-agent reference)."""
        s = float(success)
        if self.kind != "network" or member[slot]:
            return s
        assert self.adjacency is not None
        lo, hi = self.adjacency.indptr[slot], self.adjacency.indptr[slot + 1]
        contacts = self.adjacency.indices[lo:hi]
        if len(contacts) == 0:
            return self.prior
        k = sum(1 for j in contacts if member[j])
        w = (1.0 if k > 0 else 0.0) if self.hearing == "any" else k / len(contacts)
        return w * s + (1.0 - w) * self.prior
