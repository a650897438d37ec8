"""How the firm learns: the :class:`FirmEngine` protocol and the two engines that know S(α) exactly.

Stage 1 (``retrain``) and stage 2 (``measure``) of a round are an engine's two calls:
``retrain(member, other, follows)`` fits the firm on the platform's data (``other``,
``follows``: the further collectives and who follows, :mod:`acsim.abm.collectives`) and returns nothing a
later stage reads except through ``measure()``, which returns the :class:`Measurement`.
Engines: :class:`CurveEngine` (``theory``: a known curve, nothing trained),
:class:`BayesEngine` (``bayes``: the exact firm of a discrete world) and
:class:`acsim.abm.text_engine.TextEngine` (a text learner retrained every round).
"""

from __future__ import annotations

import math
import time
from functools import lru_cache
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from acsim.platform.learners.base import TEXT_LEARNERS
from acsim.theory.economics import SuccessCurve, as_success_curve
from acsim.theory.strategy import Strategy
from acsim.theory.theorem_bound import TheoryBound

if TYPE_CHECKING:
    from acsim.theory.discrete import DiscreteWorld

# The firm kinds, the one list: two that know S(α) and the text learners that measure it.
FIRMS = ("theory", "bayes", *TEXT_LEARNERS)


@dataclass(frozen=True)
class Measurement:
    """Stage 2's output: what the retrained firm's model does for the collective at size α."""

    alpha: float
    success_top1: float
    success_inclusion: float
    accuracy: float
    train_seconds: float
    bound: float
    # Each further collective's (α, top-1, inclusion) from the same retrained model (empty without one).
    others: tuple[tuple[float, float, float], ...] = ()


@runtime_checkable
class FirmEngine(Protocol):
    """What the :class:`acsim.abm.firm.Firm` agent needs from a way of learning (stages 1-2)."""

    kind: str  # theory | bayes | bow | encoder | transformer
    source: str  # curve:<name> | exact:bayes | trained:<learner>
    trained: bool  # S is measured by training, no curve is known
    theory: TheoryBound | None  # the paper's bound for this firm, None when its parameters are unknown

    def retrain(self, member: np.ndarray, other: np.ndarray | None = None, follows: np.ndarray | None = None) -> None: ...

    def measure(self) -> Measurement: ...

    def measure_others(self) -> tuple[tuple[float, float, float], ...]: ...

    def success_curve(self) -> SuccessCurve: ...

    def bound_curve(self) -> SuccessCurve: ...


class _BoundCurve:
    """``bound_curve()`` for engines whose bound may be absent (a given curve without theory_params)."""

    theory: TheoryBound | None
    _bound_curve: SuccessCurve | None = None

    def bound_curve(self) -> SuccessCurve:
        """The bound as a success curve (clipped to [0, 1]), for beliefs and principals that trust only it."""
        if self.theory is None:
            raise ValueError("this firm has no theory bound: give theory_params (xi, and p or tau for the strategy)")
        if self._bound_curve is None:
            self._bound_curve = _bound_curve(self.theory)
        return self._bound_curve


@lru_cache(maxsize=64)
def _bound_curve(theory: TheoryBound) -> SuccessCurve:
    """A bound as a success curve, built once per bound (an adaptive grid: ~45k points, a few ms)
    and shared by the models of a process, so its arrays are read-only."""
    curve = as_success_curve(theory.success)
    for arr in (curve.alpha, curve.values):
        arr.flags.writeable = False
    return curve


class CurveEngine(_BoundCurve):
    """The ``theory`` firm: S(α) is a given curve; nothing is trained (fast exploration)."""

    kind = "theory"
    trained = False

    def __init__(self, curve: SuccessCurve, name: str, bound: TheoryBound | None, others: tuple[SuccessCurve, ...] = ()) -> None:
        self.curve = curve
        self.others_curves = others  # collective j's S(α) (its own strategy's bound, or the same curve)
        self.source = f"curve:{name}"
        self.theory = bound
        self.alpha = 0.0
        self.planted = 0.0
        self.others_alpha: list[tuple[float, float]] = []

    def retrain(self, member: np.ndarray, other: np.ndarray | None = None, follows: np.ndarray | None = None) -> None:
        # A curve knows only S(α): members who do not follow the plan plant nothing it sees.
        self.alpha, self.planted = _shares(member, follows)
        self.others_alpha = [_shares(other == j, follows) for j in range(2, len(self.others_curves) + 2)]

    def measure_others(self) -> tuple[tuple[float, float, float], ...]:
        """(α, top-1, inclusion) of each further collective: its curve at its followers' share."""
        return tuple((a, float(c(p)), float(c(p))) for (a, p), c in zip(self.others_alpha, self.others_curves))

    def measure(self) -> Measurement:
        s = float(self.curve(self.planted))
        b = self.theory(self.alpha) if self.theory is not None and self.alpha > 0 else math.nan
        return Measurement(self.alpha, s, s, math.nan, 0.0, b)

    def success_curve(self) -> SuccessCurve:
        return self.curve


def _shares(member: np.ndarray, follows: np.ndarray | None) -> tuple[float, float]:
    """(members' share, followers' share) of the platform."""
    n = member.size
    k = float(np.count_nonzero(member)) / n
    return k, (k if follows is None else float(np.count_nonzero(member & follows)) / n)


_BAYES_CELLS = 1 << 20  # α × features × labels fitted at once (a few arrays of 8 MB)


class BayesEngine(_BoundCurve):
    """The exact firm: Bayes-optimal (or ε-suboptimal) on the mixture αP* + (1−α)P0 of a discrete world.

    The firm sees the population distribution itself (the large-sample limit of N
    workers' points), so S(α) is exact (``DiscreteWorld.success``) and its bound uses the
    world's exact ξ, Δ, p, τ. Single-label: top-1 and inclusion success coincide.
    """

    kind = "bayes"
    trained = False

    def __init__(self, world: "DiscreteWorld", strategy: Strategy, eps: float, adversary: str, bound: TheoryBound, grid: int) -> None:
        self.world = world
        self.strategy = strategy
        self.eps = eps
        self.adversary = adversary
        self.theory = bound
        self.grid = grid
        self.source = "exact:bayes"
        self.alpha = 0.0
        self._firm = None
        self._seconds = 0.0
        self._curve: SuccessCurve | None = None
        self._cache: dict[float, float] = {}

    def retrain(self, member: np.ndarray, other: np.ndarray | None = None, follows: np.ndarray | None = None) -> None:
        self.alpha, planted = _shares(member, follows)  # the mixture holds the followers' points only
        t0 = time.perf_counter()
        self._firm = self.world.firm(self.strategy, planted, self.eps, self.adversary)
        self._seconds = time.perf_counter() - t0

    def _hits(self, firm) -> np.ndarray:
        """Where the collective succeeds, per feature (..., n_x): one row per firm of a stack."""
        w = self.world
        if self.strategy is Strategy.ERASURE:
            return firm.predict(np.arange(w.n_x)) == firm.predict(w.signal)
        return firm.predict(w.signal) == w.target

    def _success(self, firm) -> float:
        return float(self.world.marginal @ self._hits(firm))

    def measure_others(self) -> tuple[tuple[float, float, float], ...]:
        return ()  # ModelParams refuses further collectives with firm = "bayes" (one signal)

    def measure(self) -> Measurement:
        s = self._success(self._firm)
        w = self.world
        acc = float(w.p0[np.arange(w.n_x), self._firm.predict(np.arange(w.n_x))].sum())
        b = self.theory(self.alpha) if self.alpha > 0 else math.nan
        return Measurement(self.alpha, s, s, acc, self._seconds, b)

    def _exact(self, alpha: np.ndarray) -> np.ndarray:
        a = np.asarray(alpha, dtype=float)
        uniq, inv = np.unique(a.ravel(), return_inverse=True)
        new = [x for x in uniq.tolist() if x not in self._cache]
        w = self.world
        marginal = w.marginal
        block = max(1, _BAYES_CELLS // (w.n_x * w.p0.shape[1]))
        for i in range(0, len(new), block):  # the firms at many α fitted as one stack (2,000 per run at 1,000 workers)
            part = new[i:i + block]
            hits = self._hits(w.firm(self.strategy, np.array(part), self.eps, self.adversary))
            for x, h in zip(part, hits):
                self._cache[x] = float(marginal @ h)  # row by row: the same sum as one α's, bit for bit
        return np.array([self._cache[x] for x in uniq.tolist()])[inv].reshape(a.shape)

    def success_curve(self) -> SuccessCurve:
        # S(α) of the exact firm is a step function: the principal evaluates it exactly
        # wherever it asks (memoised; new α are fitted as one stack, ~3 µs each), never interpolates across a jump;
        # only the B(α_crit) integral uses the ``grid``-point sampling of economics.
        if self._curve is None:
            self._curve = SuccessCurve.from_callable(self._exact, n=self.grid, label="bayes exact")
        return self._curve
