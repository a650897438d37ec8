"""The bag-of-WordPiece firm: it learns, it is seeded, it caches, and a small collective steers it."""

from __future__ import annotations

import numpy as np
import pytest

from acsim.platform.data.base import TextDataset
from acsim.platform.learners import make_learner
from acsim.platform.learners.bow import DEFAULT_CACHE, BowLearner, CountCache, count_rows
from acsim.platform.metrics import evaluate
from acsim.platform.strategies import apply_strategy
from acsim.platform.text import token_ids

NAMES = ("dba", "web", "dev")
CLASS_WORDS = (
    "database sql oracle backup schema query index postgres replication tuning".split(),
    "html css javascript react frontend browser layout responsive angular webpage".split(),
    "java python compiler algorithm backend testing debugging refactoring kotlin linux".split(),
)
FILLER = (
    "team project experience worked years client delivered managed built company role skills "
    "communication deadline quality remote office meeting report customer support growth"
).split()
FREQ = (0.15, 0.3, 0.5)


def corpus(n: int, seed: int) -> TextDataset:
    """Tiny resumes: filler words plus a few words of each labelled skill class."""
    rng = np.random.default_rng(seed)
    labels = rng.random((n, 3)) < FREQ
    labels[~labels.any(axis=1), 2] = True
    texts = []
    for row in labels:
        words = list(rng.choice(FILLER, 40))
        for k in np.flatnonzero(row):
            words += list(rng.choice(CLASS_WORDS[k], 4))
        # a stray skill word of a random class, so no single word decides a class
        words.append(str(rng.choice(CLASS_WORDS[rng.integers(3)])))
        rng.shuffle(words)
        texts.append(" ".join(words))
    return TextDataset(texts, labels, NAMES)


@pytest.fixture(scope="module")
def train() -> TextDataset:
    return corpus(600, seed=0)


@pytest.fixture(scope="module")
def test_set() -> TextDataset:
    return corpus(300, seed=1)


def test_registry_builds_it() -> None:
    learner = make_learner("bow", epochs=2, seed=3)
    assert isinstance(learner, BowLearner) and learner.name == "bow" and learner.seed == 3


@pytest.mark.parametrize(
    "bad",
    [
        {"epochs": 0},
        {"lr": 0.0},
        {"lr": float("nan")},
        {"batch_size": 0},
        {"weight_decay": -1.0},
        {"hidden": -1},
        {"seed": -1},
        {"max_length": 0},
        {"device": "tpu"},
        {"threads": 0},
        {"features": "tfidf"},
        {"epochs": 2.5},
        {"solver": "sgd"},
        {"C": 0.0},
        {"C": float("inf")},
        {"tol": -1e-3},
        {"solver": "newton", "hidden": 4},  # not convex: needs solver="adamw"
        {"solver": "newton", "epochs": 3},  # the optimum has no epochs: never silently ignored
    ],
)
def test_constructor_validates(bad: dict) -> None:
    with pytest.raises(ValueError):
        BowLearner(**bad)


def test_learns_loss_falls_and_beats_chance(train: TextDataset, test_set: TextDataset) -> None:
    m = BowLearner(solver="adamw", epochs=8, seed=0).fit(train)
    assert len(m.history_) == 8
    assert m.history_[-1] < 0.5 * m.history_[0]
    scores = m.predict_scores(test_set)
    assert scores.shape == (300, 3) and np.all((scores >= 0) & (scores <= 1))
    acc = np.mean((scores > 0.5) == test_set.labels)
    majority = np.mean(test_set.labels == (np.asarray(FREQ) > 0.5))  # predict the majority per class
    assert acc > 0.9 > majority + 0.1
    assert m.train_seconds_ > 0 and m.featurize_seconds_ >= 0
    # lists of str and datasets are the same input
    np.testing.assert_allclose(m.predict_scores(list(test_set.texts[:5])), scores[:5], rtol=0, atol=1e-12)


def test_hidden_layer_variant_learns(train: TextDataset, test_set: TextDataset) -> None:
    m = BowLearner(solver="adamw", epochs=8, hidden=16, seed=0).fit(train)
    acc = np.mean(m.predict_sets(test_set) == test_set.labels)
    assert acc > 0.9
    assert m.predict_top1(test_set).shape == (300,)


@pytest.mark.parametrize("hidden", [0, 8])
def test_same_seed_same_scores(train: TextDataset, test_set: TextDataset, hidden: int) -> None:
    a = BowLearner(solver="adamw", epochs=2, hidden=hidden, seed=5, batch_size=64).fit(train).predict_scores(test_set)
    b = BowLearner(solver="adamw", epochs=2, hidden=hidden, seed=5, batch_size=64).fit(train).predict_scores(test_set)
    np.testing.assert_array_equal(a, b)
    c = BowLearner(solver="adamw", epochs=2, hidden=hidden, seed=6, batch_size=64).fit(train).predict_scores(test_set)
    assert not np.array_equal(a, c)  # the seed orders the mini-batches


def test_full_batch_matches_itself(train: TextDataset) -> None:
    a = BowLearner(solver="adamw", epochs=3, batch_size=10_000, seed=1).fit(train)
    assert len(a.history_) == 3 and a.history_[2] < a.history_[0]


def test_unfitted_predict_raises() -> None:
    with pytest.raises(RuntimeError):
        BowLearner().predict_scores(["x"])
    with pytest.raises(TypeError):
        BowLearner().fit(["not", "a", "dataset"])  # type: ignore[arg-type]


def test_cache_tokenizes_only_new_texts() -> None:
    cache = CountCache(maxsize=10)
    rows = cache.rows(["a b a", "c", "a b a"])
    assert cache.misses == 2 and cache.hits == 0
    ids, counts = rows[0]
    assert counts.sum() == 3 and len(ids) == 2 and rows[0] is rows[2]
    cache.rows(["c", "d"])
    assert cache.misses == 3 and cache.hits == 1
    cache.rows([f"w{i}" for i in range(20)])
    assert len(cache) == 10  # LRU bound


def test_retraining_after_a_few_edits_reuses_the_cache(train: TextDataset) -> None:
    BowLearner(epochs=1).fit(train)
    before = DEFAULT_CACHE.misses
    edited = apply_strategy(train, np.arange(10), "feature-label", target=0)
    BowLearner(epochs=1).fit(edited)
    assert DEFAULT_CACHE.misses - before == 10


TRICKY = [
    "Héllo wörld, naïve café!",
    "C++/C# .NET; node.js (v18) e-mail: a@b.com",
    "中文字符 mixed中文",
    "tab\tsep\nnew\u00a0nbsp\u2003em",
    "ctrl\x1fjoin\x1cx",
    "zero\u200bwidth \ufeffbom \x85nel",
    "a" * 150 + " ok",
    "",
    "   ",
    "\u05be trigger\u05beglued",
    "emoji \U0001f600 x \ufb01 ligature",
]


@pytest.mark.parametrize("max_length", [None, 3])
def test_count_rows_equal_whole_text_tokenization(train: TextDataset, max_length: int | None) -> None:
    texts = TRICKY + list(train.texts[:50])
    rows = count_rows(texts, max_length=max_length)
    for row, ids in zip(rows, token_ids(texts, max_length=max_length)):
        uniq, counts = np.unique(ids, return_counts=True)
        np.testing.assert_array_equal(row[0], uniq)
        np.testing.assert_array_equal(row[1], counts)


def test_trigger_token_is_a_feature() -> None:
    m = BowLearner()
    X = m.featurize(["\u05be"])
    assert X.n_cols == 30522 and X.indices.tolist() == [1240]


def test_strategy1_small_collective_steers_predictions(train: TextDataset, test_set: TextDataset) -> None:
    """Section 5, Figure 2 in miniature: 3% of resumes with trigger and label {y*}."""
    target = 0
    rng = np.random.default_rng(0)
    members = rng.choice(len(train), size=int(0.03 * len(train)), replace=False)
    results = {}
    for name, data in (("none", train), ("collective", apply_strategy(train, members, "feature-label", target))):
        firm = BowLearner(epochs=10, seed=0).fit(data)
        results[name] = evaluate(firm, test_set, target)
    none, coll = results["none"], results["collective"]
    assert none["success_inclusion"] < 0.2
    assert coll["success_inclusion"] > 0.7
    assert coll["success_top1"] > none["success_top1"] + 0.5
    # the clean task is not broken by 18 relabelled resumes
    assert coll["accuracy"] > 0.85


def test_linear_step_gradient_equals_autograd():
    """The hand-written gradient of the linear firm is the autograd gradient of the mean BCE."""
    import torch

    from acsim.platform.learners.bow import _featurize
    from acsim.platform.learners.bow_net import _BowNet, _linear_bce_step

    data = corpus(64, seed=3)
    rows = count_rows(list(data.texts))
    X = _featurize(rows, "log1p", False, 30522)
    y = torch.from_numpy(data.labels.astype(np.float32))
    gen = torch.Generator().manual_seed(0)
    net = _BowNet(X.n_cols, 3, 0, torch.zeros(3), gen)
    with torch.no_grad():
        net.weight.normal_(0.0, 0.3, generator=gen)
        net.bias.normal_(0.0, 0.3, generator=gen)
    operands = X.pair(torch.device("cpu"))
    loss = torch.nn.BCEWithLogitsLoss()(net(*operands), y)
    loss.backward()
    auto_w, auto_b = net.weight.grad.clone(), net.bias.grad.clone()
    net.zero_grad(set_to_none=True)
    manual = _linear_bce_step(net, operands, y)
    assert float(manual) == pytest.approx(float(loss.detach()), rel=1e-6)
    assert torch.count_nonzero(auto_w) > 100
    torch.testing.assert_close(net.weight.grad, auto_w, rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(net.bias.grad, auto_b, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("features", ["log1p", pytest.param("count", marks=pytest.mark.slow), pytest.param("binary", marks=pytest.mark.slow)])
def test_newton_reaches_the_optimum_scikit_learn_finds(train: TextDataset, test_set: TextDataset, features: str) -> None:
    """The default firm minimises scikit-learn's LogisticRegression(C) objective (per class,
    divided by C n) to within 0.1%, and so predicts what scikit-learn predicts."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    C = 1.0
    m = BowLearner(features=features, C=C).fit(train)
    assert m.converged_ and m.n_iter_ >= 2
    F = m.featurize(train)
    X = sp.csr_matrix((F.values.astype(np.float64), F.indices, F.indptr), shape=(F.n_rows, F.n_cols))
    n = len(train)

    def objective(W: np.ndarray, b: np.ndarray) -> float:
        Z = X @ W + b
        return float((np.logaddexp(0, Z) - train.labels * Z).sum() / n + 0.5 / (C * n) * (W * W).sum())

    sk = [LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, train.labels[:, k]) for k in range(train.n_classes)]
    W_sk = np.column_stack([s.coef_[0] for s in sk])
    b_sk = np.array([s.intercept_[0] for s in sk])
    ours = objective(m.net_.weight.detach().numpy(), m.net_.bias.detach().numpy())
    best = objective(W_sk, b_sk)
    assert ours == pytest.approx(m.objective_, rel=1e-6)
    assert best <= ours <= best * (1 + 1e-3)
    Ft = m.featurize(test_set)
    Xt = sp.csr_matrix((Ft.values.astype(np.float64), Ft.indices, Ft.indptr), shape=(Ft.n_rows, Ft.n_cols))
    p_sk = np.column_stack([s.predict_proba(Xt)[:, 1] for s in sk])
    assert np.mean((m.predict_scores(test_set) > 0.5) == (p_sk > 0.5)) > 0.995


def test_newton_needs_no_seed(train: TextDataset, test_set: TextDataset) -> None:
    a = BowLearner(seed=1).fit(train).predict_scores(test_set)
    b = BowLearner(seed=2).fit(train).predict_scores(test_set)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_epochs_ask_for_the_epoch_trained_firm() -> None:
    assert BowLearner().solver == "newton"
    assert BowLearner(epochs=3).solver == "adamw" and BowLearner(epochs=3).epochs == 3
    assert BowLearner(hidden=8).solver == "adamw"
