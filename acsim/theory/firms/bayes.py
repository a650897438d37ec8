"""The exact firm of Section 3: Bayes-optimal (or ε-suboptimal) over a finite feature space.

The firm observes the joint distribution P(x, y) on X × Y = {0..n_x−1} × {0..K−1}
(a ``(n_x, K)`` array of probabilities) and plays f(x) = argmax_y P'(y|x), where P' is
P itself (ε = 0, Bayes optimal) or an ε-close conditional chosen *against* the
collective (Definition 2). Two adversaries are available:

* ``"contamination"`` (default): P'(·|x) = (1 − ε)P(·|x) + ε·δ_{y_adv}, the form the
  paper's proofs use (Lemma 11). All ε-forms of Theorems 1, 3, 5 hold against it.
* ``"tv"``: any P' with TV(P(·|x), P'(·|x)) ≤ ε, moving up to ε of mass from the
  collective's label to its strongest competitor. This is Definition 2 read literally;
  it is stronger than Lemma 11 allows, and the ε-forms of the bounds can fail against
  it (see ``tests/test_bayes.py``).

Ties are broken against the collective when ``against`` names the label it wants at
each x (the strictest test of a lower bound), else to the lowest label index.
"""

from __future__ import annotations

import numpy as np

_TIE = 1e-12  # margin a favoured label must clear; float noise never counts as a win

# How an ε-suboptimal firm errs (Lemma 11): a contaminated conditional, or any within total variation ε.
ADVERSARIES = ("contamination", "tv")


class BayesFirm:
    """f = A(P): argmax of the (possibly adversarially perturbed) conditional P(y|x)."""

    name = "bayes"

    def __init__(self, eps: float = 0.0, adversary: str = "contamination", against: np.ndarray | int | None = None):
        if not 0.0 <= float(eps) < 0.5:
            raise ValueError(f"eps must be in [0, 0.5), got {eps}")
        if adversary not in ADVERSARIES:
            raise ValueError(f"adversary must be 'contamination' or 'tv', got {adversary!r}")
        self.eps = float(eps)
        self.adversary = adversary
        self.against = against

    def fit(self, train: np.ndarray) -> "BayesFirm":
        """Fit on a joint probability table P(x, y) of shape (n_x, K), or on a stack of them
        (..., n_x, K): one firm per table, computed at once (the exact S(α) curve of a
        world fits one per α), each equal bit for bit to its own fit."""
        joint = np.asarray(train, dtype=float)
        if joint.ndim < 2 or np.any(joint < 0) or not np.all(np.isclose(joint.sum(axis=(-2, -1)), 1.0)):
            raise ValueError("BayesFirm.fit needs a joint probability table (n_x, K) with non-negative entries summing to 1")
        mass = joint.sum(axis=-1, keepdims=True)
        k = joint.shape[-1]
        # Points the distribution never produces have no conditional; any label is Bayes optimal there.
        cond = np.divide(joint, mass, out=np.full_like(joint, 1.0 / k), where=mass > 0)
        self.joint_ = joint
        self.conditional_ = cond
        self.scores_ = self._perturb(cond)
        self.labels_ = self._decide(self.scores_)
        return self

    def _favoured(self, shape: tuple[int, ...]) -> np.ndarray | None:
        """The label the collective wants at each x, shaped like the tables' rows (..., n_x)."""
        if self.against is None:
            return None
        return np.broadcast_to(np.asarray(self.against, dtype=int), shape)

    def _rival(self, cond: np.ndarray, fav: np.ndarray) -> np.ndarray:
        masked = cond.copy()
        np.put_along_axis(masked, fav[..., None], -np.inf, axis=-1)
        return np.argmax(masked, axis=-1)

    def _perturb(self, cond: np.ndarray) -> np.ndarray:
        fav = self._favoured(cond.shape[:-1])
        if self.eps == 0.0 or fav is None:
            return cond
        rival = self._rival(cond, fav)[..., None]
        out = cond.copy()
        if self.adversary == "contamination":
            out *= 1.0 - self.eps
            np.put_along_axis(out, rival, np.take_along_axis(out, rival, axis=-1) + self.eps, axis=-1)
        else:
            moved = np.minimum(self.eps, np.take_along_axis(cond, fav[..., None], axis=-1))
            np.put_along_axis(out, fav[..., None], np.take_along_axis(out, fav[..., None], axis=-1) - moved, axis=-1)
            np.put_along_axis(out, rival, np.take_along_axis(out, rival, axis=-1) + moved, axis=-1)
        return out

    def _decide(self, scores: np.ndarray) -> np.ndarray:
        fav = self._favoured(scores.shape[:-1])
        if fav is None:
            return np.argmax(scores, axis=-1)
        rival = self._rival(scores, fav)
        at = lambda idx: np.take_along_axis(scores, idx[..., None], axis=-1)[..., 0]  # noqa: E731
        wins = at(fav) > at(rival) + _TIE
        return np.where(wins, fav, rival)

    def predict_scores(self, inputs: np.ndarray) -> np.ndarray:
        """The firm's conditional P'(y|x) at feature indices ``inputs``, shape (..., n, K)."""
        return self.scores_[..., np.asarray(inputs, dtype=int), :]

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """The deployed classifier f(x) (ties broken against the collective if ``against`` is set), shape (..., n)."""
        return self.labels_[..., np.asarray(inputs, dtype=int)]
