"""The workers of Section 6: every worker's state as arrays, and a thin Mesa agent per worker.

Worker state lives in model-level numpy arrays (:class:`WorkerArrays`): a round's
decisions over 100,000 workers are a handful of array operations, not 100,000 Python
``step()`` calls. :class:`Worker` is a thin Mesa agent whose attributes read and write
its slot of those arrays, so ``model.agents_by_type[Worker]`` holds real agents that a
person can inspect or poke, and :meth:`Worker.decide` is the one-worker reference of the
vectorised rule (the join rule itself is written once, in :mod:`acsim.theory.economics`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from acsim.theory import economics

if TYPE_CHECKING:
    from acsim.abm.model import CollectiveActionModel


@dataclass
class WorkerArrays:
    """Every worker's state, one slot per worker (index = worker number 0..N−1).

    ``stake`` = 1 − γ (what a member gains over a free rider per unit of S);
    ``threshold`` = c/(1 − γ), the join threshold S* of Section 6 (inf at γ = 1);
    ``committed``: members whose subsidy binds them while the principal is still
    carrying the collective; ``subsidy``: total paid to the worker; ``other``: j for a member
    of a further collective j = 2, 3, ... (:mod:`acsim.abm.collectives`; never also in
    ``member``), 0 otherwise; ``follows``: who follows its collective's plan (None: everyone); ``resume``: index of
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
    other: np.ndarray = field(default=None)  # type: ignore[assignment]  # the further collective a worker is in (0: none)
    follows: np.ndarray | None = None
    stake: np.ndarray = field(init=False)
    threshold: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = self.cost.size
        if self.committed is None:
            self.committed = np.zeros(n, dtype=bool)
        if self.subsidy is None:
            self.subsidy = np.zeros(n)
        if self.other is None:
            self.other = np.zeros(n, dtype=np.int16)
        self.stake = 1.0 - self.gamma
        self.threshold = np.asarray(economics.join_threshold(self.cost, self.gamma), dtype=float).reshape(n)

    @property
    def n(self) -> int:
        return int(self.cost.size)


class Worker(mesa.Agent):
    """One worker: cost c_i, free-ride share γ_i, one resume, membership, a belief about S.

    Attributes are views of slot ``slot`` of ``model.population``; setting ``member``
    writes through. The model never calls a per-worker method during a round (stage 3
    is vectorised in :meth:`acsim.abm.model.CollectiveActionModel.decide`).
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
        belief is then formed as :class:`acsim.abm.beliefs.BeliefModel` does for everyone.
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
