"""The platform's firm as a Mesa agent: stages 1-2 of a round through its :class:`FirmEngine`."""

from __future__ import annotations

import math
from dataclasses import replace
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
        self.trained: bool = engine.trained  # S is measured, no curve is known

    def step(self, member: np.ndarray, rival: np.ndarray | None = None) -> Measurement:
        """Stages 1-2: retrain f = A(P) on the platform's data (members' points through the
        strategy h; the second collective's through its own), then measure S_t, clean
        accuracy and the bound at α_t, and the second collective's success on the same model."""
        self.engine.retrain(member, rival)
        m = self.engine.measure()
        return m if rival is None else replace(m, rival=self.engine.measure_rival())

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
