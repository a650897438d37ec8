"""The paper's mathematics: bounds (Theorems 1-10), the Section 6 economics, discrete worlds, exact firms.

The bounds are importable from here, as documented (``acsim.theory.feature_label_success_bound``
...); :mod:`acsim.theory.economics` holds the participation model, :mod:`acsim.theory.discrete`
the exact worlds the bounds are checked on. Pure numpy/scipy: nothing here imports the
text platform, the agent-based model or the runs.
"""

from acsim.theory.bounds import *  # noqa: F401,F403  (the documented public names)
from acsim.theory.bounds import __all__ as _bounds_all
from acsim.theory.strategy import Strategy

__all__ = [*_bounds_all, "Strategy"]
