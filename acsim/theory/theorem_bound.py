"""The paper's lower bound on S(α) for one strategy (Theorem 1, 3 or 5) as a curve with its parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from acsim.theory import bounds as theory
from acsim.theory.strategy import Strategy


@dataclass(frozen=True)
class TheoryBound:
    """The paper's lower bound on S(α) for one strategy: Theorem 1, 3 or 5.

    ``xi``, ``delta``, ``p``, ``tau``, ``eps`` as in the paper; ``origin`` says where
    they came from (given, exact from a discrete world, estimated from data). Called
    on α it returns the raw formula (negative or −inf where the theorem guarantees
    nothing; −inf at α = 0, the formula's limit).
    """

    strategy: Strategy
    xi: float
    delta: float = 1.0
    p: float | None = None
    tau: float | None = None
    eps: float = 0.0
    origin: str = "given"

    def __call__(self, alpha: Any) -> Any:
        a = np.asarray(alpha, dtype=float)
        safe = np.where(a > 0, a, 1.0)  # the theorems' domain is α ∈ (0, 1]
        if self.strategy is Strategy.FEATURE_LABEL:
            v = theory.feature_label_success_bound(safe, self.xi, self.delta, self.eps)
        elif self.strategy is Strategy.FEATURE_ONLY:
            v = theory.feature_only_success_bound(safe, self.xi, self.p, self.eps)
        else:
            v = theory.erasure_success_bound(safe, self.tau, self.eps)
        out = np.where(a > 0, v, -np.inf)
        return float(out) if out.ndim == 0 else out

    def success(self, alpha: Any) -> Any:
        """The bound read as a success probability: clipped to [0, 1].

        At α = 0 it is the limit from the right (as :mod:`acsim.theory.economics` evaluates
        curves): 0 for ξ > 0, 1 for a signal that never occurs (ξ = 0 or Δ = 0).
        """
        out = np.clip(self(np.maximum(np.asarray(alpha, dtype=float), 1e-12)), 0.0, 1.0)
        return float(out) if np.ndim(out) == 0 else out

    @property
    def label(self) -> str:
        thm = {Strategy.FEATURE_LABEL: "Thm1", Strategy.FEATURE_ONLY: "Thm3", Strategy.ERASURE: "Thm5"}[self.strategy]
        return f"{thm}({self.origin})"


THEORY_KEYS = ("xi", "delta", "p", "tau", "eps")


def theory_bound(strategy: Strategy, given: Mapping[str, float], defaults: Mapping[str, float | None], origin: str) -> TheoryBound:
    """A :class:`TheoryBound` from user-given ``theory_params``, falling back to ``defaults``.

    ``origin`` names where the defaults come from ("exact", "estimated", "default");
    the bound's label says "given" when every parameter its theorem uses was given.
    """
    needed = {Strategy.FEATURE_LABEL: ("xi", "delta"), Strategy.FEATURE_ONLY: ("xi", "p"), Strategy.ERASURE: ("tau",)}[strategy]
    vals = {k: given[k] if k in given else defaults.get(k) for k in THEORY_KEYS}
    missing = [k for k in needed if vals[k] is None and k != "delta"]
    if missing:
        raise ValueError(f"theory_params needs {', '.join(missing)} for the {strategy.value} bound")
    return TheoryBound(
        strategy,
        xi=float(vals["xi"] if vals["xi"] is not None else 0.0),
        delta=float(vals["delta"] if vals["delta"] is not None else 1.0),
        p=None if vals["p"] is None else float(vals["p"]),
        tau=None if vals["tau"] is None else float(vals["tau"]),
        eps=float(vals["eps"] or 0.0),
        origin="given" if all(k in given for k in needed) else origin,
    )
