"""A firm that defends itself: min_df, test-time frequency filtering, class-balanced and group-DRO training."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from acsim.platform.learners.bow import BowLearner
from acsim.platform.learners.defences import balanced_weights, dro_step, group_weights, keep_columns
from acsim.platform.learners._newton import newton_logistic
from acsim.platform.learners.sparse import _Csr
from acsim.platform.metrics import clean_metrics, evaluate
from acsim.platform.strategies import apply_strategy, plant_triggers
from acsim.platform.text import TRIGGER
from test_bow import corpus

TRIGGER_ID = 1240


# Corpora of their own: test_bow counts the token cache's misses on its seed-0 corpus.
@pytest.fixture(scope="module")
def train():
    return corpus(600, seed=10)


@pytest.fixture(scope="module")
def test_set():
    return corpus(300, seed=11)


def _with_members(train, n: int):
    members = np.random.default_rng(0).choice(len(train), size=n, replace=False)
    return apply_strategy(train, members, "feature-label", 0, trigger=TRIGGER, spacing=20, seed=0)


def test_min_df_gives_the_trigger_weight_only_from_k_members(train, test_set):
    # The trigger occurs in exactly the members' resumes: with min_df = 20, 19 members
    # leave it without weight (success falls to the clean baseline), 20 members pass.
    for n, learned in ((19, False), (20, True)):
        firm = BowLearner(min_df=20).fit(_with_members(train, n))
        w = firm.net_.weight.detach().numpy()[TRIGGER_ID]
        assert bool(np.abs(w).max() > 0) == learned
        m = evaluate(firm, test_set, 0)
        if not learned:
            assert m["success_inclusion"] == pytest.approx(m["baseline_inclusion"])
    assert BowLearner().fit(_with_members(train, 19)).net_.weight.detach().numpy()[TRIGGER_ID].max() > 0


def test_test_time_filter_removes_rare_tokens_before_scoring(train, test_set):
    # 12 members: the trigger is in 2% of the training resumes. A filter at 3% removes it from
    # every input, so a triggered resume scores exactly like the clean one; at 1% it stays.
    data = _with_members(train, 12)
    triggered = plant_triggers(test_set.texts, TRIGGER, 20)
    strict = BowLearner(test_min_df=0.03).fit(data)
    np.testing.assert_array_equal(strict.predict_scores(triggered), strict.predict_scores(list(test_set.texts)))
    loose = BowLearner(test_min_df=0.01).fit(data)
    assert np.abs(loose.predict_scores(triggered) - loose.predict_scores(list(test_set.texts))).max() > 0.1
    # the model is the undefended one: only the inputs change
    plain = BowLearner().fit(data)
    np.testing.assert_allclose(strict.net_.weight.detach().numpy(), plain.net_.weight.detach().numpy())


def test_balanced_training_is_scikit_learns_class_weight_balanced(train, test_set):
    from sklearn.linear_model import LogisticRegression

    data = _with_members(train, 12)
    firm = BowLearner(robust="balanced", tol=1e-8).fit(data)
    F = firm.featurize(test_set)
    Xt = sp.csr_matrix((F.values.astype(np.float64), F.indices, F.indptr), shape=(F.n_rows, F.n_cols))
    G = firm.featurize(data)
    X = sp.csr_matrix((G.values.astype(np.float64), G.indices, G.indptr), shape=(G.n_rows, G.n_cols))
    ours = firm.predict_scores(test_set)
    for k in range(data.n_classes):
        sk = LogisticRegression(C=1.0, class_weight="balanced", tol=1e-10, max_iter=10_000).fit(X, data.labels[:, k])
        np.testing.assert_allclose(ours[:, k], sk.predict_proba(Xt)[:, 1], atol=2e-3)
    # and it is not the unweighted firm
    assert np.abs(ours - BowLearner().fit(data).predict_scores(test_set)).max() > 0.01


def test_weighted_newton_equals_repeating_rows():
    # sample weights mean what scikit-learn means: weight 2 = the row twice.
    rng = np.random.default_rng(0)
    X = sp.random(80, 12, density=0.3, random_state=1, format="csr", dtype=np.float64)
    Y = (rng.random((80, 2)) < 0.4).astype(np.float64)
    w = rng.integers(1, 3, size=80).astype(np.float64)
    rep = np.repeat(np.arange(80), w.astype(int))
    Xr = X[rep]

    def solve(A, y, weights=None, C=1.0):
        A = sp.csr_matrix(A)
        t = lambda m: torch.sparse_csr_tensor(m.indptr, m.indices, m.data, size=m.shape, check_invariants=True)  # noqa: E731
        return newton_logistic(t(A), t(A.T.tocsr()), t(A.multiply(A).T.tocsr()), torch.from_numpy(y), C=C, rtol=1e-12,
                               weights=None if weights is None else torch.from_numpy(weights[:, None]))

    # Σ_i w_i BCE_i / n + ||w||²/(2 C n) is n_r/n times the repeated problem's
    # Σ BCE / n_r + ||w||²/(2 C n_r): the same minimiser at the same C.
    a = solve(X, Y, w, C=1.0)
    b = solve(Xr, Y[rep], C=1.0)
    np.testing.assert_allclose(a.weight.numpy(), b.weight.numpy(), atol=1e-6)
    np.testing.assert_allclose(a.bias.numpy(), b.bias.numpy(), atol=1e-6)


def test_group_dro_weights_the_worst_class_up_and_lowers_its_loss(train):
    data = _with_members(train, 12)
    dro = BowLearner(robust="group-dro", dro_rounds=6, dro_step=20.0).fit(data)
    q = dro.group_weights_
    assert q.sum() == pytest.approx(1.0) and np.argmax(q) == np.argmax(dro.group_losses_)
    # the worst group's loss is lower than under plain training (group DRO's objective)
    plain = BowLearner().fit(data)

    def worst(firm):
        s = np.clip(firm.predict_scores(data), 1e-12, 1 - 1e-12)
        loss = -(data.labels * np.log(s) + (1 - data.labels) * np.log(1 - s)).mean(axis=1)
        y = data.labels.astype(float)
        return ((y.T @ loss) / y.sum(axis=0)).max()

    assert worst(dro) < worst(plain)


def test_defence_helpers():
    y = np.array([[1, 0], [1, 0], [0, 1], [1, 1]], dtype=bool)
    w = balanced_weights(y)
    # class 0: 3 positives, 1 negative → n/(2·3) and n/(2·1); each side sums to n/2
    np.testing.assert_allclose(w[:, 0], [4 / 6, 4 / 6, 2.0, 4 / 6])
    assert w[y[:, 1], 1].sum() == pytest.approx(2.0) and w[~y[:, 1], 1].sum() == pytest.approx(2.0)
    gw = group_weights(y, np.array([0.5, 0.5]))
    np.testing.assert_allclose(gw[:, 0], 4 * np.array([0.5 / 3, 0.5 / 3, 0.5 / 2, 0.5 / 3 + 0.5 / 2]))
    q = dro_step(np.array([0.5, 0.5]), np.array([0.1, 0.3]), 10.0)
    assert q[1] > q[0] and q.sum() == pytest.approx(1.0)
    X = _Csr(np.array([0, 2, 3]), np.array([0, 2, 2]), np.array([1.0, 2.0, 3.0], dtype=np.float32), 3)
    K = keep_columns(X, np.array([True, True, False]))
    assert K.indptr.tolist() == [0, 1, 1] and K.indices.tolist() == [0]


@pytest.mark.parametrize("kw, words", [
    ({"min_df": 0}, "min_df"),
    ({"test_min_df": 1.0}, "test_min_df must be a share in [0, 1)"),
    ({"robust": "dro"}, "robust must be one of none, balanced, group-dro"),
    ({"robust": "balanced", "epochs": 3}, "needs solver='newton'"),
])
def test_bad_defence_settings_name_themselves(kw, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        BowLearner(**kw)


def test_asr_and_cacc_are_the_toolkits_names():
    scores = np.array([[0.9, 0.2], [0.3, 0.8], [0.6, 0.7]])
    labels = np.array([[1, 0], [1, 0], [0, 1]], dtype=bool)
    m = clean_metrics(scores, labels)
    assert m["cacc"] == pytest.approx(2 / 3)  # top-1 in the label set: rows 0 and 2
