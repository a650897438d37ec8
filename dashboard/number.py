"""One numeric text box of the dashboard's side panel: its name in messages and what it accepts.

:meth:`Number.parse` turns what a person typed into a value or a ``ValueError`` that names
the box and its allowed range; :meth:`Number.check` applies the same rules to a value from a
scenario file or code (:mod:`dashboard.controls` builds every box of the panel from these).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from acsim.abm.fields import Range, base_type, range_of
from acsim.abm.params import ModelParams


@dataclass(frozen=True)
class Number:
    """One numeric text box of the side panel: its name in messages and what it accepts.

    ``range`` is the schema's own :class:`acsim.abm.fields.Range` for the field the box
    edits (:meth:`of`), so a text the box accepts is never refused later for a reason the
    box did not show; ``whole``: only whole numbers; ``empty``: what an empty box means
    (``None``: a value is required). Messages read like every other acsim message:
    ``<box> = <value> <problem>``.
    """

    label: str
    range: Range = field(default_factory=Range)
    whole: bool = False
    empty: str | None = None

    @classmethod
    def of(cls, label: str, name: str, empty: str | None = None) -> "Number":
        """The box for the :class:`ModelParams` field ``name``: its range and integer-ness from the schema."""
        f = ModelParams.model_fields[name]
        return cls(label, range_of(f) or Range(), base_type(f.annotation) is int, empty)

    def allowed(self) -> str:
        """The allowed values in words, e.g. ``a whole number in [1, 10000000]``."""
        r = self.range
        kind = "a whole number" if self.whole else "a number"
        unbounded = math.isinf(r.lo) and math.isinf(r.hi)
        rng = (" (any finite one)" if not self.whole else "") if unbounded else f" in {r.text}"
        return kind + rng + (f", or empty for {self.empty}" if self.empty else "")

    def _refuse(self, shown: str, problem: str | None = None) -> ValueError:
        return ValueError(f"{self.label} = {shown} {problem or 'must be ' + self.allowed()}")

    def parse(self, text: str | None) -> int | float | None:
        """The value of what a person typed; ValueError (naming the box and its range) if it is not allowed."""
        t = (text or "").strip()
        if not t:
            if self.empty is not None:
                return None
            raise ValueError(f"{self.label} is required: enter {self.allowed()}")
        try:
            x: int | float = int(t)
        except ValueError:
            try:
                x = float(t)
            except ValueError:
                raise self._refuse(repr(t)) from None
        return self._check(x, t)

    def check(self, value: Any) -> int | float | None:
        """The same rules for a value already in :class:`Controls` (from a scenario file, or code)."""
        if value is None:
            return self.parse(None)
        if isinstance(value, bool):
            raise self._refuse(repr(value))
        try:
            x = value if isinstance(value, int) else float(value)
        except (TypeError, ValueError):
            raise self._refuse(repr(value)) from None
        return self._check(x, f"{x:g}" if isinstance(x, float) else str(x))

    def _check(self, x: int | float, shown: str) -> int | float:
        if isinstance(x, float) and (math.isnan(x) or (math.isinf(x) and not self.range.contains(x))):
            raise self._refuse(shown)
        if self.whole:
            if isinstance(x, float) and not x.is_integer():
                raise self._refuse(shown)
            x = int(x)
        else:
            x = float(x)
        if not self.range.contains(x):
            raise self._refuse(shown, self.range.problem())
        return x

    def format(self, value: Any) -> str:
        """The text the box shows for a value (``""`` for None; no trailing ``.0``)."""
        if value is None:
            return ""
        if isinstance(value, float):
            text = repr(value)
            return text[:-2] if text.endswith(".0") else text
        return str(value)
