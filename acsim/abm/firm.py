"""The platform's firm as a Mesa agent: stages 1-2 of a round through its :class:`FirmEngine`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from acsim.abm.engines import FirmEngine, Measurement
from acsim.theory.economics import SuccessCurve
from acsim.theory.theorem_bound import TheoryBound

if TYPE_CHECKING:
    from acsim.abm.model import CollectiveActionModel


class Firm(mesa.Agent):
    """The platform's firm: retrains on the workers' data every round and measures S_t (stages 1–2).

    ``kind`` is ``theory`` (S read off a known curve: nothing is trained, which every
    output marks with ``S_source = "curve:..."``), ``bayes`` (exact, ``"exact:bayes"``),
    or a text learner ``bow`` / ``transformer`` (``"trained:bow"``, ...).
    """

    def __init__(self, model: "CollectiveActionModel", engine: FirmEngine) -> None:
        super().__init__(model)
        self.engine = engine
        self.kind: str = engine.kind
        self.source: str = engine.source
        self.last: Measurement | None = None
        self.trained: bool = engine.trained  # S is measured, no curve is known
        self.rival_last: tuple[float, float, float] | None = None

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
        return self.engine.bound_curve()
