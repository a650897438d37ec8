"""Text strategies h, label noise and the estimators of ξ, p, Δ, τ (paper Sections 3 and 5)."""

from __future__ import annotations

import numpy as np
import pytest

from acsim.platform.data.base import TextDataset
from acsim.platform.strategies import (
    Strategy,
    apply_strategy,
    crossfit_scores,
    erase_words,
    estimate_delta,
    estimate_positivity,
    estimate_tau,
    estimate_xi,
    has_trigger,
    members_mask,
    noise_index,
    plant_trigger,
    plant_triggers,
    randomize_labels,
)
from acsim.platform.text import TRIGGER, TRIGGER_SPACING, token_ids

NAMES = ("dba", "web", "dev")


def small_data() -> TextDataset:
    texts = [
        "sql oracle backup schema for a bank",
        "html css react and javascript work",
        "java python compiler and tests",
        "sql and html for a shop",
        "python scripts and sql reports",
        "css layout work",
    ]
    labels = np.array(
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool
    )
    return TextDataset(texts, labels, NAMES)


# --------------------------------------------------------------------------- planting


def test_trigger_every_spacing_th_word() -> None:
    words = [f"w{i}" for i in range(45)]
    out = plant_trigger(" ".join(words), trigger="<T>", spacing=20).split()
    # triggers before words 0, 20, 40; original words kept in order
    assert [i for i, w in enumerate(out) if w == "<T>"] == [0, 21, 42]
    assert [w for w in out if w != "<T>"] == words
    assert len(out) == 45 + 3


@pytest.mark.parametrize("spacing", [1, 3, 7, 20])
def test_trigger_count_is_ceil_words_over_spacing(spacing: int) -> None:
    text = " ".join(["word"] * 50)
    out = plant_trigger(text, spacing=spacing)
    assert out.split().count(TRIGGER) == -(-50 // spacing)


def test_short_and_empty_texts_still_carry_the_trigger() -> None:
    assert plant_trigger("", trigger="<T>") == "<T>"
    assert plant_trigger("  just three words ", trigger="<T>") == "<T> just three words"


def test_default_trigger_is_vocabulary_token_1240() -> None:
    ids = token_ids([plant_trigger(" ".join(["resume"] * 40))])[0]
    assert TRIGGER_SPACING == 20
    assert int(np.sum(ids == 1240)) == 2


def test_plant_triggers_and_has_trigger() -> None:
    texts = ["a b c", "d e", "no trigger here"]
    planted = plant_triggers(texts[:2])
    assert has_trigger(planted).all()
    assert not has_trigger(texts).any()


def test_bad_spacing_rejected() -> None:
    with pytest.raises(ValueError, match="spacing"):
        plant_trigger("a b", spacing=0)


# --------------------------------------------------------------------------- strategies


def test_members_from_mask_or_indices() -> None:
    assert members_mask([0, 2], 4).tolist() == [True, False, True, False]
    assert members_mask(np.array([True, False, False, True]), 4).tolist() == [True, False, False, True]
    assert members_mask(np.array([], dtype=int), 3).tolist() == [False] * 3
    with pytest.raises(ValueError):
        members_mask([5], 4)
    with pytest.raises(ValueError):
        members_mask(np.array([True, False]), 4)


def test_feature_label_plants_and_sets_one_hot_target() -> None:
    data = small_data()
    out = apply_strategy(data, [1, 3, 4], "feature-label", target=0)
    for i in range(len(data)):
        if i in (1, 3, 4):
            assert out.texts[i] == plant_trigger(data.texts[i])
            assert out.labels[i].tolist() == [True, False, False]
        else:
            assert out.texts[i] == data.texts[i]
            assert out.labels[i].tolist() == data.labels[i].tolist()
    assert out.ids == data.ids
    # the input is not modified
    assert not has_trigger(data.texts).any()


def test_feature_only_touches_only_target_class_members() -> None:
    data = small_data()
    members = np.array([True, True, True, True, False, False])
    out = apply_strategy(data, members, Strategy.FEATURE_ONLY, target=0)
    planted = has_trigger(out.texts)
    # members 0 and 3 carry class 0; member 1, 2 do not; row 4 has class 0 but is no member
    assert planted.tolist() == [True, False, False, True, False, False]
    np.testing.assert_array_equal(out.labels, data.labels)


def test_strategy_rejects_bad_target() -> None:
    with pytest.raises(ValueError, match="target"):
        apply_strategy(small_data(), [0], "feature-label", target=3)


def test_erasure_with_given_posterior_relabels_by_majority_and_keeps_texts() -> None:
    data = small_data()
    posterior = np.array([[0.9, 0.6, 0.1], [0.2, 0.4, 0.7]])
    out = apply_strategy(data, [0, 2], "erasure", target=0, erase=["sql"], posterior=posterior)
    assert out.texts == data.texts
    assert out.labels[0].tolist() == [True, True, False]
    assert out.labels[2].tolist() == [False, False, True]
    np.testing.assert_array_equal(out.labels[[1, 3, 4, 5]], data.labels[[1, 3, 4, 5]])
    with pytest.raises(ValueError, match="erase"):
        apply_strategy(data, [0], "erasure", target=0)


def test_erasure_estimates_from_pooled_erased_data() -> None:
    # Class 0 is revealed only by the erased word "sql"; without it every member looks the
    # same, so the pooled estimate of P0(y|g(x)) is the members' majority labels.
    rng = np.random.default_rng(0)
    n = 60
    has_sql = rng.random(n) < 0.3
    texts = [("sql " if s else "") + "engineer builds systems" for s in has_sql]
    labels = np.stack([has_sql, np.ones(n, bool), np.zeros(n, bool)], axis=1)
    data = TextDataset(texts, labels, NAMES)
    out = apply_strategy(data, np.arange(n), "erasure", target=0, erase=["SQL"], seed=1)
    assert out.texts == data.texts
    assert not out.labels[:, 0].any()  # "sql" no longer decides class 0
    assert out.labels[:, 1].all()


def test_erase_words_whole_word_case_insensitive() -> None:
    assert erase_words(["SQL and mysql, sql."], ["sql"]) == ["and mysql, ."]
    with pytest.raises(ValueError):
        erase_words(["x"], [])


def test_crossfit_scores_are_out_of_fold() -> None:
    class Memoriser:
        """Predicts the label of a training text it has seen, 0.5 otherwise."""

        name = "memo"

        def fit(self, train: TextDataset) -> "Memoriser":
            self.seen = {t: y for t, y in zip(train.texts, train.labels)}
            return self

        def predict_scores(self, inputs: TextDataset) -> np.ndarray:
            return np.array([self.seen.get(t, np.full(3, 0.5)) for t in inputs.texts], dtype=float)

    data = small_data()
    scores = crossfit_scores(data, folds=3, learner_factory=Memoriser)
    assert np.all(scores == 0.5)  # no row was predicted by a model that saw it


# --------------------------------------------------------------------------- label noise


def test_noise_fraction_is_exact_and_seeded() -> None:
    idx = noise_index(1000, 0.1, seed=3)
    assert len(idx) == 100 and len(np.unique(idx)) == 100
    np.testing.assert_array_equal(idx, noise_index(1000, 0.1, seed=3))
    assert not np.array_equal(idx, noise_index(1000, 0.1, seed=4))
    among = np.arange(500, 1000)
    assert np.all(noise_index(1000, 0.2, seed=0, among=among) >= 500)
    assert len(noise_index(1000, 0.2, seed=0, among=among)) == 100


def test_randomize_labels_uniform_changes_exactly_the_fraction() -> None:
    n, k = 400, 4
    data = TextDataset([f"t{i}" for i in range(n)], np.ones((n, k), bool), tuple("abcd"))
    out = randomize_labels(data, 0.25, seed=7, mode="uniform")
    changed = np.any(out.labels != data.labels, axis=1)
    assert changed.sum() == 100  # all-ones rows always change to a one-hot row
    assert np.all(out.labels[changed].sum(axis=1) == 1)
    # every class shows up among the random labels
    assert set(np.argmax(out.labels[changed], axis=1)) == set(range(k))
    assert out.texts == data.texts


def test_randomize_labels_empirical_draws_existing_label_sets_and_is_deterministic() -> None:
    data = small_data()
    a = randomize_labels(data, 0.5, seed=11)
    b = randomize_labels(data, 0.5, seed=11)
    np.testing.assert_array_equal(a.labels, b.labels)
    existing = {tuple(r) for r in data.labels.tolist()}
    assert {tuple(r) for r in a.labels.tolist()} <= existing
    np.testing.assert_array_equal(randomize_labels(data, 0.0, seed=1).labels, data.labels)
    with pytest.raises(ValueError):
        randomize_labels(data, 1.5)
    with pytest.raises(ValueError):
        randomize_labels(data, 0.5, mode="shuffle")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- estimators


def test_xi_plugin_smoothed_upper() -> None:
    texts = ["plain"] * 98 + [plant_trigger("a b"), "x " + TRIGGER]
    assert estimate_xi(texts, method="plugin") == pytest.approx(0.02)
    assert estimate_xi(texts, method="smoothed", smoothing=1.0) == pytest.approx(3 / 102)
    upper = estimate_xi(texts, method="upper", confidence=0.95)
    assert 0.02 < upper < 0.08
    # k = 0: the exact one-sided bound 1 - 0.05**(1/n), about 3/n
    clean = np.zeros(1000, bool)
    assert estimate_xi(clean) == pytest.approx(1 - 0.05 ** (1 / 1000))
    assert estimate_xi(clean, method="plugin") == 0.0
    assert estimate_xi(np.ones(5, bool)) == 1.0
    # the Clopper-Pearson limit, checked against scipy.stats (which acsim itself does not import)
    from scipy.stats import beta

    for n, k in ((100, 2), (1000, 0), (7, 6), (50_000, 31)):
        mask = np.zeros(n, bool)
        mask[:k] = True
        assert estimate_xi(mask, confidence=0.9) == pytest.approx(beta.ppf(0.9, k + 1, n - k), rel=1e-12)


def test_positivity_is_a_low_quantile_of_target_probability() -> None:
    scores = np.column_stack([np.linspace(0.0, 0.99, 100), np.full(100, 0.5)])
    assert estimate_positivity(scores, 0, quantile=0.0) == pytest.approx(0.0)
    assert estimate_positivity(scores, 0, quantile=0.1) == pytest.approx(0.099)
    assert estimate_positivity(scores, 1) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        estimate_positivity(scores * 2, 0)


def test_delta_is_max_gap_to_best_class() -> None:
    s = np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.2, 0.2, 0.9]])
    assert estimate_delta(s, 0) == pytest.approx(0.7)  # row 2: 0.9 - 0.2
    assert estimate_delta(s[:1], 0) == 0.0  # y* already the best
    assert estimate_delta(s, 0, quantile=0.5) == pytest.approx(0.3)


def test_tau_is_mean_of_max_abs_difference() -> None:
    a = np.array([[0.9, 0.1], [0.5, 0.5]])
    b = np.array([[0.6, 0.2], [0.5, 0.5]])
    assert estimate_tau(a, b) == pytest.approx(0.15)
    assert estimate_tau(a, a) == 0.0
    with pytest.raises(ValueError):
        estimate_tau(a, b[:1])
