"""``acsim.economics``: the documented home of the Section 6 functions (DESIGN.md's public API).

The code lives in :mod:`acsim.theory.economics` (the theory layer); this module keeps the
documented names importable where DESIGN.md says they are.
"""

from acsim.theory.economics import *  # noqa: F401,F403
from acsim.theory.economics import __all__  # noqa: F401
