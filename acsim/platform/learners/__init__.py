"""The firm's learning algorithms A (paper Section 2: the firm deploys f = A(P)).

All learners follow :class:`acsim.platform.learners.base.Learner`; :func:`make_learner` builds one by name.
"""

from acsim.platform.learners.base import Learner, available_learners, make_learner, predict_sets, predict_top1

__all__ = ["Learner", "available_learners", "make_learner", "predict_sets", "predict_top1"]
