"""How a firm can defend itself against a planted signal: the bow firm's three options.

The collective's trigger is a rare token (by design absent from the base data), so the
firm's simplest defences act on frequency, and its third on how training weighs examples:

* **Minimum document frequency** (``min_df = k``): tokens in fewer than k training
  resumes get no weight, as scikit-learn's ``CountVectorizer(min_df=k)`` drops them. The
  trigger occurs in exactly the members' resumes, so a collective of k members or more
  passes and the critical mass can be no smaller than k: a new, absolute critical mass.
* **Test-time outlier filtering** (``test_min_df = q``): before scoring, every token that
  occurred in fewer than a share q of the training resumes is removed from the input, in
  the spirit of ONION (which deletes the words whose removal most lowers a language
  model's perplexity) and STRIP, with corpus frequency for the language model: nothing is
  downloaded, the firm keeps its trained model and only its inputs change.
* **Robust training** (``robust``): ``"balanced"`` reweights every class's binary problem
  so that its positives and negatives weigh the same in total (scikit-learn's
  ``class_weight="balanced"`` per one-vs-rest problem); ``"group-dro"`` is group DRO with
  the classes as groups (Sagawa et al. 2020): an example's weight is Σ over its classes g
  of q_g / n_g, and the group weights q follow exponentiated-gradient steps on the
  groups' losses, q_g ∝ q_g · exp(η L_g), between solves of the weighted problem, so the
  worst-fit class is weighted up. Ben-Dov et al. (ICML 2024) show that the learning
  algorithm moves a collective's effective size: a member relabelled to a small class
  weighs more under both.
"""

from __future__ import annotations

import numpy as np

from acsim.platform.learners.sparse import _Csr

ROBUST = ("none", "balanced", "group-dro")


def document_frequency(X: _Csr, counts: np.ndarray | None = None) -> np.ndarray:
    """In how many rows each column is non-zero (rows hold each token once: counts per distinct token);
    ``counts``: how many training resumes each row stands for (distinct rows stored once)."""
    nz = X.values != 0
    indices = X.indices if nz.all() else X.indices[nz]
    if counts is None or bool((np.asarray(counts) == 1).all()):
        return np.bincount(indices, minlength=X.n_cols)
    per_entry = np.repeat(np.asarray(counts, dtype=np.float64), np.diff(X.indptr))
    return np.rint(np.bincount(indices, weights=per_entry if nz.all() else per_entry[nz], minlength=X.n_cols)).astype(np.int64)


def keep_columns(X: _Csr, keep: np.ndarray) -> _Csr:
    """X with the entries of the columns where ``keep`` is False removed (shape unchanged)."""
    mask = keep[X.indices]
    if mask.all():
        return X
    row_of = np.repeat(np.arange(X.n_rows), np.diff(X.indptr))
    indptr = np.zeros(X.n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of[mask], minlength=X.n_rows), out=indptr[1:])
    return _Csr(indptr, X.indices[mask], X.values[mask], X.n_cols)


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """(n, K): per class, positives weigh n/(2 n_k) and negatives n/(2 (n − n_k)) (class_weight="balanced")."""
    y = np.asarray(labels, dtype=bool)
    n = y.shape[0]
    pos = y.sum(axis=0).astype(float)
    w_pos = np.divide(n, 2.0 * pos, out=np.ones_like(pos), where=pos > 0)
    w_neg = np.divide(n, 2.0 * (n - pos), out=np.ones_like(pos), where=pos < n)
    return np.where(y, w_pos, w_neg)


def group_weights(labels: np.ndarray, q: np.ndarray) -> np.ndarray:
    """(n, 1): example i weighs n · Σ_{g ∋ i} q_g / n_g (mean 1 when q sums to 1 and labels are single)."""
    y = np.asarray(labels, dtype=float)
    n_g = y.sum(axis=0)
    per = np.divide(q, n_g, out=np.zeros_like(q, dtype=float), where=n_g > 0)
    w = y.shape[0] * (y @ per)
    return w[:, None]


def group_losses(labels: np.ndarray, example_loss: np.ndarray) -> np.ndarray:
    """L_g: the mean loss of the examples in group g (the class's positives); 0 for an empty group."""
    y = np.asarray(labels, dtype=float)
    n_g = y.sum(axis=0)
    return np.divide(y.T @ example_loss, n_g, out=np.zeros(y.shape[1]), where=n_g > 0)


def dro_step(q: np.ndarray, losses: np.ndarray, step: float) -> np.ndarray:
    """One exponentiated-gradient step of group DRO: q_g ∝ q_g · exp(η L_g) (Sagawa et al. 2020, Alg. 1)."""
    z = np.log(np.maximum(q, 1e-300)) + step * losses
    z -= z.max()
    out = np.exp(z)
    return out / out.sum()
