"""Domain checks shared by the theory and economics modules.

The public functions promise a clear ``ValueError`` naming the parameter and its
allowed range instead of a silent NaN; this is the one place that wording lives.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def interval(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    left = "(" if lo_open else "["
    right = ")" if hi_open or np.isinf(hi) else "]"
    hi_s = "inf" if np.isinf(hi) else f"{hi:g}"
    return f"{left}{lo:g}, {hi_s}{right}"


def check(
    name: str,
    value: ArrayLike,
    lo: float = -np.inf,
    hi: float = np.inf,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    allow_inf: bool = False,
) -> np.ndarray:
    """Return ``value`` as a float array, or raise ValueError if any entry is outside the interval.

    NaN is always out of domain; +inf only with ``allow_inf`` (e.g. "never" critical masses).
    """
    arr = np.asarray(value, dtype=float)
    ok = np.isfinite(arr) | (allow_inf & np.isposinf(arr))
    ok &= (arr > lo) if lo_open else (arr >= lo)
    ok &= ((arr < hi) if hi_open else (arr <= hi)) | (allow_inf & np.isposinf(arr))
    if not np.all(ok):
        bad = arr[~ok] if arr.ndim else arr
        shown = float(np.ravel(bad)[0])
        extra = " or inf" if allow_inf else ""
        raise ValueError(
            f"{name} must be in {interval(lo, hi, lo_open, hi_open)}{extra}, got {shown:g}"
        )
    return arr


def scalar_or_array(x: np.ndarray) -> float | np.ndarray:
    """Floats in, floats out: 0-d results come back as Python floats."""
    return float(x) if np.ndim(x) == 0 else x
