"""The frozen-encoder firm (issue 12, item 4): each distinct text embedded once, on disk
across processes, a round re-embedding only what changed, and a head that learns."""

import numpy as np
import pytest
import torch

from acsim.platform.data import synthetic_resumes
from acsim.platform.learners import encoder as E
from acsim.platform.learners import make_learner
from acsim.platform.strategies import apply_strategy


@pytest.fixture(scope="module")
def corpus():
    return synthetic_resumes(80, 40, seed=4)


def fresh_memory():
    E._CACHES.clear()  # as a new process would start: only the disk cache remains


def test_embeddings_are_the_models_mean_pooled_states(tmp_path):
    """Outside baseline: the same model run directly through transformers."""
    from transformers import AutoModel, AutoTokenizer

    from acsim.platform.text import resolve_model_path

    texts = ["Managed Oracle databases and nightly RMAN backups.", "Built websites with React."]
    emb, new = E.embed(texts, max_length=32, cache_dir=tmp_path)
    assert new == 2 and emb.shape == (2, 384)
    path = resolve_model_path(None)
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    batch = tok(texts, padding=True, truncation=True, max_length=32, return_tensors="pt")
    with torch.no_grad():
        h = model(**batch).last_hidden_state
    m = batch["attention_mask"][..., None]
    ref = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=1).numpy()
    np.testing.assert_allclose(emb, ref, atol=2e-5)


def test_disk_cache_and_only_new_texts_embedded(corpus, tmp_path):
    train, test = corpus
    firm = make_learner("encoder", cache_dir=str(tmp_path), max_length=64).fit(train)
    assert firm.embedded_ == len(set(train.texts))
    assert len(list(tmp_path.rglob("*.npz"))) == 1
    fresh_memory()
    again = make_learner("encoder", cache_dir=str(tmp_path), max_length=64).fit(train)
    assert again.embedded_ == 0  # read back from disk
    np.testing.assert_allclose(again.predict_scores(test), firm.predict_scores(test), atol=1e-9)
    members = np.arange(5)
    poisoned = apply_strategy(train, members, "feature-label", 0)
    third = make_learner("encoder", cache_dir=str(tmp_path), max_length=64).fit(poisoned)
    assert third.embedded_ == 5  # a round re-embeds only the collective's rewritten resumes
    other = make_learner("encoder", cache_dir=str(tmp_path), max_length=32).fit(train)
    assert other.embedded_ == len(set(train.texts))  # the key includes max_length


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("embeddings"))  # both heads read one set of embeddings


@pytest.mark.parametrize("head", ["linear", "mlp"])
def test_head_learns_the_task(head, shared_cache):
    train, test = synthetic_resumes(240, 80, seed=1)
    firm = make_learner("encoder", head=head, cache_dir=shared_cache, max_length=64).fit(train)
    scores = firm.predict_scores(test)
    assert scores.shape == (80, 10) and np.all((scores >= 0) & (scores <= 1))
    majority = np.mean(test.labels == (train.labels.mean(0) > 0.5))
    assert np.mean((scores > 0.5) == test.labels) > majority + 0.01


def test_epochs_ask_for_the_mlp_head():
    assert make_learner("encoder").head == "linear"
    assert make_learner("encoder", epochs=3).head == "mlp"


@pytest.mark.parametrize("bad", [{"head": "svm"}, {"C": 0}, {"max_length": 2}, {"model_path": "/nonexistent"},
                                 {"head": "linear", "epochs": 3}])
def test_constructor_validates(bad):
    with pytest.raises((ValueError, FileNotFoundError)):
        make_learner("encoder", **bad)
