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
        self._expected: tuple[SuccessCurve, SuccessCurve] | None = None  # (curve, the curve at q)

    def step(self, member: np.ndarray, other: np.ndarray | None = None, follows: np.ndarray | None = None) -> Measurement:
        """Stages 1-2: retrain f = A(P) on the platform's data (members' points through the
        strategy h, each further collective's through its own; ``follows``: who follows the
        plan, :mod:`acsim.abm.collectives`), then measure S_t, clean accuracy and the bound
        at α_t, and every further collective's success on the same model."""
        self.engine.retrain(member, other, follows)
        m = self.engine.measure()
        return m if other is None else replace(m, others=self.engine.measure_others())

    @property
    def theory(self) -> TheoryBound | None:
        return self.engine.theory

    def bound(self, alpha: Any) -> Any:
        """The paper's bound at α (raw formula; NaN when the firm has no bound parameters)."""
        if self.engine.theory is None:
            return math.nan if np.ndim(alpha) == 0 else np.full(np.shape(alpha), math.nan)
        return self.engine.theory(alpha)

    def success_curve(self) -> SuccessCurve:
        """The firm's S(α) as best known: the given curve, the exact curve, or the bound (text firms).

        With coordination q < 1 a curve firm's S is read at the followers' share, so α members
        are worth S(qα) in expectation; a trained firm's probes already plant with the noise."""
        curve = self.engine.success_curve()
        q = self.model.params.coordination
        if q >= 1.0 or self.trained:
            return curve
        if self._expected is None or self._expected[0] is not curve:
            scaled = SuccessCurve.from_callable(lambda a: curve(q * np.asarray(a)), label=f"{curve.label} at q={q:g}")
            self._expected = (curve, scaled)
        return self._expected[1]

    def bound_curve(self) -> SuccessCurve:
        """The bound as a success curve (clipped to [0, 1]), for beliefs and principals that trust only it."""
        return self.engine.bound_curve()
