"""The synthetic resume corpus: shape, paper-like statistics, determinism, learnability."""

import hashlib
import time

import numpy as np
import pytest

from acsim.platform.data import CLASS_NAMES, TextDataset, load_dataset, synthetic_resumes
from acsim.platform.data import synthetic
from acsim.platform.text import TRIGGER

N_TRAIN, N_TEST = 3000, 1000


@pytest.fixture(scope="module")
def corpus() -> tuple[TextDataset, TextDataset]:
    return synthetic_resumes(N_TRAIN, N_TEST, seed=0)


def _digest(train: TextDataset, test: TextDataset) -> str:
    h = hashlib.sha256()
    for ds in (train, test):
        h.update("\x00".join(ds.texts).encode())
        h.update(np.packbits(ds.labels).tobytes())
    return h.hexdigest()


def test_shapes_and_class_order(corpus):
    train, test = corpus
    assert (len(train), len(test)) == (N_TRAIN, N_TEST)
    assert train.label_names == test.label_names == CLASS_NAMES
    assert CLASS_NAMES[:3] == ("Database_Administrator", "Web_Developer", "Software_Developer")
    assert len(CLASS_NAMES) == 10 and CLASS_NAMES[-1] == "Project_manager"
    assert train.labels.shape == (N_TRAIN, 10) and train.labels.dtype == bool
    assert len(set(train.ids) | set(test.ids)) == N_TRAIN + N_TEST


def test_class_frequencies_match_paper(corpus):
    y = np.vstack([corpus[0].labels, corpus[1].labels])
    freq = y.mean(axis=0)
    n = len(y)
    # Section 5.1: classes 0, 1, 2 occur with frequency 0.11, 0.23 and 0.5.
    for k, p in enumerate((0.11, 0.23, 0.50)):
        assert abs(freq[k] - p) < 4.5 * np.sqrt(p * (1 - p) / n), (k, freq[k])
    assert np.all((freq[3:] > 0.04) & (freq[3:] < 0.31)), freq
    assert y.any(axis=1).all(), "every resume carries at least one skill"
    assert 1.3 < y.sum(axis=1).mean() < 2.2  # multi-label, not one-hot


def test_labels_are_correlated(corpus):
    y = np.vstack([corpus[0].labels, corpus[1].labels])
    web_given_front = y[y[:, 3], 1].mean()
    assert web_given_front > y[:, 1].mean() + 0.3
    for k in (4, 5):  # Java / Python developers are mostly software developers too
        assert y[y[:, k], 2].mean() > y[:, 2].mean() + 0.15


def test_lengths_and_no_trigger(corpus):
    texts = corpus[0].texts + corpus[1].texts
    words = np.array([len(t.split()) for t in texts])
    assert 150 <= np.median(words) <= 450 and words.std() > 30  # lengths vary, as real resumes do
    assert not any(TRIGGER in t for t in texts)
    assert len(set(texts)) == len(texts)


@pytest.fixture(scope="module")
def full_train() -> TextDataset:
    return synthetic_resumes()[0]


@pytest.mark.slow  # ~8 s: the whole 25k corpus
def test_realistic_vocabulary_over_the_25k_training_resumes(full_train):
    """Issue 12: >= 10k distinct lower-cased words, Zipf-like, >= 5k WordPiece ids, rare
    tokens at natural rates, the trigger at none, scraped-profile debris."""
    from collections import Counter

    from acsim.platform.learners.bow import count_rows

    counts = Counter(w for t in full_train.texts for w in t.lower().split())
    assert len(counts) >= 10_000
    freq = np.sort(np.fromiter(counts.values(), dtype=float))[::-1]
    ranks = np.arange(10, 2000)
    slope = np.polyfit(np.log(ranks), np.log(freq[ranks]), 1)[0]
    assert -1.4 < slope < -0.7, slope  # Zipf: frequency ~ 1 / rank
    rows = count_rows(full_train.texts)
    ids, docs = np.unique(np.concatenate([r[0] for r in rows]), return_counts=True)
    assert len(ids) >= 5_000
    assert 1240 not in set(ids.tolist())  # the trigger's natural rate is zero ...
    rare = docs[docs < 0.005 * len(full_train)]
    assert len(rare) > 1_000  # ... while thousands of other tokens are rare but present
    n = len(full_train)
    assert 0.2 < sum("&nbsp;" in t or "<br" in t or "<li>" in t or "</" in t for t in full_train.texts) / n < 0.9
    assert sum(not t.isascii() for t in full_train.texts) / n > 0.2  # bullets, accents, symbols
    assert sum(" to Present" in t for t in full_train.texts) / n > 0.1  # job dates


def test_generation_of_the_paper_corpus_is_fast():
    synthetic._cached.cache_clear()
    # This process's CPU time (1.4-1.7 s on the 2-core VM), not wall time: the other xdist
    # worker and a browser test share the cores, and waiting for them is not this code's cost.
    t0 = time.process_time()
    synthetic_resumes(25_000, 4_783, seed=11)
    assert time.process_time() - t0 < 5.0


def test_synthetic_v1_is_kept_byte_for_byte():
    """Batches run before the realistic corpus became the default must reproduce: this
    digest is the pre-change generator's (git 3411658) output for these arguments."""
    from acsim.platform.data import synthetic_v1

    assert _digest(*synthetic_v1.synthetic_resumes(200, 50, seed=7)) == "71aff1f31517dfd36cdda2148aced1d9d09eb6a828e72dd53f59ae2b708b9071"
    train, _ = load_dataset("synthetic-v1", n_train=200, n_test=50, seed=7)
    assert train.texts == synthetic_v1.synthetic_resumes(200, 50, seed=7)[0].texts
    assert train.texts != synthetic_resumes(200, 50, seed=7)[0].texts


def test_extra_classes_for_benchmarks():
    train, _ = synthetic_resumes(400, 10, seed=0, n_classes=30)
    assert train.n_classes == 30 and train.label_names[:10] == CLASS_NAMES and train.label_names[10] == "Skill_10"
    assert 0.03 < train.labels[:, 10:].mean() < 0.12
    base, _ = synthetic_resumes(400, 10, seed=0)
    assert base.n_classes == 10
    with pytest.raises(ValueError, match="n_classes"):
        synthetic_resumes(10, 10, n_classes=9)


def test_same_seed_same_bytes_other_seed_differs():
    synthetic._cached.cache_clear()  # compare two real generations, not a cache hit
    a = _digest(*synthetic_resumes(200, 50, seed=7))
    synthetic._cached.cache_clear()
    b = _digest(*synthetic_resumes(200, 50, seed=7))
    c = _digest(*synthetic_resumes(200, 50, seed=8))
    assert a == b
    assert a != c


def test_calls_return_independent_copies():
    train, _ = synthetic_resumes(100, 10, seed=3)
    before = train.labels.copy()
    train.labels[:] = False
    train.texts[0] = "changed"
    again, _ = synthetic_resumes(100, 10, seed=3)
    assert np.array_equal(again.labels, before)
    assert again.texts[0] != "changed"


def test_bad_sizes_raise():
    with pytest.raises(ValueError):
        synthetic_resumes(-1, 10)
    with pytest.raises(ValueError):
        synthetic_resumes(0, 0)


def test_load_dataset_dispatches_to_synthetic():
    train, test = load_dataset("synthetic", n_train=50, n_test=20, seed=1)
    ref_train, _ = synthetic_resumes(50, 20, seed=1)
    assert train.texts == ref_train.texts and len(test) == 20
    with pytest.raises(ValueError, match="no path"):
        load_dataset("synthetic", path="x.csv")
    with pytest.raises(ValueError, match="unknown data source"):
        load_dataset("kaggle")


@pytest.mark.slow
def test_linear_firm_near_the_papers_statistics():
    """Section 5.1: 97% multi-label accuracy, 93.8% precision, 88.9% recall (the paper's
    fine-tuned transformer); the default linear firm on the 25k corpus lands near them."""
    from acsim.platform.learners.bow import BowLearner
    from acsim.platform.metrics import clean_metrics

    train, test = synthetic_resumes()
    m = clean_metrics(BowLearner().fit(train).predict_scores(test), test.labels)
    assert 0.96 < m["accuracy"] < 0.98, m
    assert 0.92 < m["precision"] < 0.96, m
    assert 0.86 < m["recall"] < 0.91, m
