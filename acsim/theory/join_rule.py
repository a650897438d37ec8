"""Section 6's join rule, written once: a worker joins iff S − c > γS, i.e. iff S > S* = c/(1 − γ).

:func:`membership_gain` is the rule's arithmetic, called by :func:`joins`, the model's
stage 3, the principal's sustain test and its subsidies; :func:`next_members` is stage 3's
membership update. Importable from :mod:`acsim.theory.economics`, their documented home.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from acsim.theory.domain import check, scalar_or_array


def join_threshold(c: ArrayLike, gamma: ArrayLike) -> float | np.ndarray:
    """S* = c/(1 − γ): joining is rational iff S(α) > S* (Section 6: S(α) − c > γS(α)).

    Domains: c ≥ 0, γ ∈ [0, 1]. ``inf`` at γ = 1 (free riding is as good as joining).
    A threshold ≥ 1 (c ≥ 1 − γ) means joining is never individually rational, since
    S ≤ 1: see :func:`never_rational`.
    """
    cc = check("c", c, 0.0)
    g = check("gamma", gamma, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(g < 1.0, cc / np.where(g < 1.0, 1.0 - g, 1.0), np.inf)
    return scalar_or_array(t)


def never_rational(c: ArrayLike, gamma: ArrayLike) -> bool | np.ndarray:
    """True where c ≥ 1 − γ: no success S ≤ 1 makes joining individually rational (Section 6)."""
    cc = check("c", c, 0.0)
    g = check("gamma", gamma, 0.0, 1.0)
    out = cc >= 1.0 - g
    return bool(out) if out.ndim == 0 else out


def membership_gain(belief: ArrayLike, cost: ArrayLike, stake: ArrayLike) -> np.ndarray:
    """What membership is worth over free riding: (1 − γ)·b − c, with ``stake`` = 1 − γ.

    Section 6's join rule S − c > γS is ``membership_gain(S, c, 1 − γ) > 0``. The one
    place the rule's arithmetic lives: :func:`joins`, the model's stage 3, the
    principal's sustain test and its subsidies (the shortfall −gain) all call it, so they
    agree to the last bit. Array code without domain checks (the callers have them).
    """
    return stake * belief - cost


def next_members(member: np.ndarray, want: np.ndarray, allow_leave: bool = True,
                 committed: np.ndarray | None = None) -> np.ndarray:
    """Stage 3's membership update: whoever wants in is a member next round; a member who
    no longer does leaves, unless leaving is switched off or a contract (``committed``) holds it."""
    if not allow_leave:
        return member | want
    return want | (member & committed) if committed is not None else want.copy()


def joins(success: ArrayLike, c: ArrayLike, gamma: ArrayLike) -> bool | np.ndarray:
    """The join rule S − c > γS of Section 6, elementwise (a worker's decision at success S)."""
    s = check("success", success, 0.0, 1.0)
    cc = check("c", c, 0.0)
    g = check("gamma", gamma, 0.0, 1.0)
    out = membership_gain(s, cc, 1.0 - g) > 0.0
    return bool(out) if out.ndim == 0 else out
