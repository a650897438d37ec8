"""The collective's strategies h (paper Sections 3 and 5).

Strategy 1 / feature-label (eq. 1): plant the signal g(x) and set the label to y*.
Strategy 2 / feature-only (eq. 3): plant g(x) only in points whose label is y*.
Erasure (Section 3.2): keep x, relabel to argmax_y P0(y | g(x)).

The discrete, distribution-level form used by the exact Bayes firm lives in
:mod:`acsim.discrete`; the text form (trigger planting in resumes) lives here.
"""

from __future__ import annotations

from enum import Enum


class Strategy(str, Enum):
    FEATURE_LABEL = "feature-label"
    FEATURE_ONLY = "feature-only"
    ERASURE = "erasure"

    @classmethod
    def parse(cls, value: "str | Strategy") -> "Strategy":
        if isinstance(value, Strategy):
            return value
        key = str(value).strip().lower().replace("_", "-")
        aliases = {"strategy1": "feature-label", "strategy-1": "feature-label",
                   "strategy2": "feature-only", "strategy-2": "feature-only"}
        key = aliases.get(key, key)
        for member in cls:
            if member.value == key:
                return member
        raise ValueError(
            f"unknown strategy {value!r}; choose one of {', '.join(m.value for m in cls)}"
        )
