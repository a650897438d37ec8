"""The bow firm stores one row per distinct example and can re-solve from its last optimum.

Many workers own the same resume when N exceeds the corpus (the model cycles it), and a
member who relabels her copy makes a second example of the same text. The firm keeps one
feature row per distinct (text, labels) example with its multiplicity; the outside
baseline here is scikit-learn fitted on every row, duplicates included.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from acsim.platform.data.base import TextDataset
from acsim.platform.learners.bow import BowLearner
from acsim.platform.learners.sparse import distinct_examples
from tests.test_bow import corpus

C = 1.0


@pytest.fixture(scope="module")
def repeated() -> TextDataset:
    """700 rows drawn from 150 resumes, 40 of them relabelled copies (same text, other labels)."""
    base = corpus(150, seed=4)
    rng = np.random.default_rng(5)
    rows = rng.choice(len(base), size=700)
    labels = base.labels[rows].copy()
    flip = rng.choice(700, size=40, replace=False)
    labels[flip, 0] = ~labels[flip, 0]
    return TextDataset([base.texts[i] for i in rows], labels, base.label_names)


def design(m: BowLearner, data: TextDataset) -> sp.csr_matrix:
    F = m.featurize(data)  # one row per row of data, duplicates included
    return sp.csr_matrix((F.values.astype(np.float64), F.indices, F.indptr), shape=(F.n_rows, F.n_cols))


def test_the_examples_are_grouped_with_their_counts(repeated: TextDataset) -> None:
    ex = distinct_examples(repeated.texts, repeated.labels)
    pairs = {(t, row.tobytes()) for t, row in zip(repeated.texts, repeated.labels)}
    assert len(ex.counts) == len(pairs) < len(repeated) and ex.counts.sum() == len(repeated)
    assert len(ex.texts) == len(set(repeated.texts)) < len(ex.counts)  # some texts carry two label sets
    # every row maps to an example with its own text and labels
    assert [ex.texts[ex.text_of[e]] for e in ex.inverse] == list(repeated.texts)
    np.testing.assert_array_equal(ex.labels[ex.inverse], repeated.labels)
    np.testing.assert_array_equal(np.bincount(ex.inverse), ex.counts)


def test_repeated_rows_solve_the_problem_of_every_row(repeated: TextDataset) -> None:
    """The weighted distinct rows reach the optimum scikit-learn finds on all 700 rows."""
    from sklearn.linear_model import LogisticRegression

    m = BowLearner(C=C, tol=1e-9).fit(repeated)
    assert m.converged_ and m.n_rows_ == len(distinct_examples(repeated.texts, repeated.labels).counts) < len(repeated)
    X = design(m, repeated)
    y = repeated.labels
    n = len(repeated)

    def objective(W: np.ndarray, b: np.ndarray) -> float:
        Z = X @ W + b
        return float((np.logaddexp(0, Z) - y * Z).sum() / n + 0.5 / (C * n) * (W * W).sum())

    sk = [LogisticRegression(C=C, tol=1e-10, max_iter=20_000).fit(X, y[:, k]) for k in range(y.shape[1])]
    W_sk = np.column_stack([s.coef_[0] for s in sk])
    b_sk = np.array([s.intercept_[0] for s in sk])
    W, b = m.net_.weight.detach().numpy(), m.net_.bias.detach().numpy()
    best, ours = objective(W_sk, b_sk), objective(W, b)
    assert ours == pytest.approx(m.objective_, rel=1e-6)
    assert abs(ours - best) <= 1e-6 * best
    np.testing.assert_allclose(W, W_sk, atol=2e-3 * np.abs(W_sk).max())
    np.testing.assert_allclose(b, b_sk, atol=2e-3 * max(1.0, np.abs(b_sk).max()))


def test_document_frequency_counts_every_training_resume(repeated: TextDataset) -> None:
    m = BowLearner(min_df=3).fit(repeated)
    X = design(m, repeated)
    np.testing.assert_array_equal(m.document_frequency_, np.bincount(X.indices, minlength=X.shape[1]))


def test_scores_are_computed_once_per_text_and_given_to_every_copy(repeated: TextDataset) -> None:
    m = BowLearner().fit(repeated)
    texts = list(repeated.texts)
    unique = list(dict.fromkeys(texts))
    per_text = dict(zip(unique, m.predict_scores(unique)))
    np.testing.assert_array_equal(m.predict_scores(texts), np.array([per_text[t] for t in texts]))


def test_features_use_int32_indices(repeated: TextDataset) -> None:
    F = BowLearner().featurize(repeated)
    assert F.indices.dtype == np.int32 and F.transpose().indices.dtype == np.int32


def test_a_warm_start_reaches_the_same_optimum_in_fewer_steps(repeated: TextDataset) -> None:
    """Round r+1's data: round r's with 60 resumes rewritten by a collective (a new token, new labels)."""
    test_set = corpus(300, seed=9)
    before = repeated
    rows = np.arange(60)
    texts = list(before.texts)
    labels = before.labels.copy()
    for i in rows:
        texts[i] = texts[i] + " zzyzx"
    labels[rows] = [True, False, False]
    after = TextDataset(texts, labels, before.label_names)

    cold = BowLearner(tol=1e-4).fit(after)
    warm = BowLearner(tol=1e-4, warm_start=True).fit(before)
    assert not warm.warm_started_
    np.testing.assert_array_equal(warm.predict_scores(test_set), BowLearner(tol=1e-4).fit(before).predict_scores(test_set))
    warm.fit(after)
    assert warm.warm_started_ and warm.converged_
    assert warm.n_iter_ < cold.n_iter_
    # The same minimiser to the tolerance: objectives within tol, predictions the same.
    assert abs(warm.objective_ - cold.objective_) <= 1e-4 * cold.objective_
    assert np.mean((warm.predict_scores(test_set) > 0.5) == (cold.predict_scores(test_set) > 0.5)) > 0.995
    assert np.abs(warm.predict_scores(test_set) - cold.predict_scores(test_set)).max() < 0.05


def test_warm_start_is_for_the_newton_solver() -> None:
    with pytest.raises(ValueError, match="warm_start applies to solver='newton'"):
        BowLearner(epochs=2, warm_start=True)
    with pytest.raises(ValueError, match="warm_start must be true or false"):
        BowLearner(warm_start="yes")


def test_a_class_every_resume_has_stops_instead_of_running_to_max_iter() -> None:
    """A collective of everyone: every label set is y* alone, each class's optimum lies at
    infinity, and the objective only creeps towards 0 (it ran to max_iter = 100 before)."""
    base = corpus(300, seed=2)
    labels = np.zeros_like(base.labels)
    labels[:, 0] = True
    m = BowLearner().fit(TextDataset(base.texts, labels, base.label_names))
    assert m.converged_ and m.n_iter_ < 40 and m.objective_ < 1e-7
    assert (m.predict_top1(corpus(50, seed=3)) == 0).all()
