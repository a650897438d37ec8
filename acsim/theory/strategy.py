"""The paper's three strategies h, by the names every layer uses (Sections 3.1-3.3).

Planting a signal g(x) with the target label y* (feature-label, Theorem 1), planting it
only in members already labelled y* (feature-only, Theorem 3), and erasing a signal
(Theorem 5). The one list: the CLI, the scenario schema, the dashboard and the text
strategies all read it from here.
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


STRATEGIES: tuple[str, ...] = tuple(m.value for m in Strategy)
