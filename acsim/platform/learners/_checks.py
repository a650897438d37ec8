"""Parameter checks shared by the text firms (one message per rule, raised at construction)."""

from __future__ import annotations

import math

import numpy as np


def check_int(name: str, value: object, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def check_positive(*named: tuple[str, object]) -> None:
    """Each (name, value) a finite number > 0, else one ValueError naming it."""
    for name, value in named:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a number > 0, got {value!r}")



def check_float(name: str, value: object, lo: float, hi: float = math.inf, lo_open: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        v = float(value)  # type: ignore[arg-type]
        ok = math.isfinite(v) and (v > lo if lo_open else v >= lo) and v < hi
    if not ok:
        lo_txt = f"> {lo:g}" if lo_open else f">= {lo:g}"
        hi_txt = "" if hi == math.inf else f" and < {hi:g}"
        raise ValueError(f"{name} must be a number {lo_txt}{hi_txt}, got {value!r}")
    return float(value)  # type: ignore[arg-type]
