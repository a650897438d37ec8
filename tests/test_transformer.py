"""The transformer firm (paper Section 5.1): offline loading, learning, seeding, warm start, caching.

Small on purpose: a few dozen short resumes with class-specific words, max_length 64, the
packaged 6-layer MiniLM BERT, 3 epochs on the CPU.
"""

from __future__ import annotations

import socket

import numpy as np
import pytest

from acsim.platform.data.base import TextDataset
from acsim.platform.learners import make_learner
from acsim.platform.learners.pretrained import clear_pretrained_cache, pretrained_state
from acsim.platform.learners.transformer import DEFAULT_TOKEN_CACHE, TransformerLearner, length_grouped_batches
from acsim.platform.text import TRIGGER, TRIGGER_TOKEN_ID, default_model_path

SKILLS = {
    "dba": "sql oracle database backup schema replication indexing postgres".split(),
    "web": "html css javascript react frontend browser layout typescript".split(),
    "dev": "java compiler algorithms debugging threads refactoring kotlin gradle".split(),
    "net": "router firewall switch vpn cisco routing bandwidth dns".split(),
}
COMMON = "experienced professional team project deadline communication office years client delivered".split()
COUNTS = (18, 12, 10, 8)  # imbalanced: the majority baseline is 18/48
# One torch thread: on a shared 2-core machine, two OpenMP threads stall whenever a neighbour
# takes a core (fits then vary 10x in time); one thread keeps the suite steady at ~5 s a fit.
FAST = dict(epochs=3, max_length=64, batch_size=8, lr=3e-4, seed=0, device="cpu", threads=1)


def _resumes(seed: int = 0) -> TextDataset:
    rng = np.random.default_rng(seed)
    names = tuple(SKILLS)
    texts, labels = [], []
    for c, count in enumerate(COUNTS):
        for _ in range(count):
            words = list(rng.choice(SKILLS[names[c]], 5)) + list(rng.choice(COMMON, 10))
            rng.shuffle(words)
            texts.append(" ".join(words))
            y = np.zeros(len(names), dtype=bool)
            y[c] = True
            labels.append(y)
    return TextDataset(texts, np.array(labels), names)


def _no_network(mp: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection or resolve a host fails the test loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setenv("TRANSFORMERS_OFFLINE", "1")
    mp.setattr(socket.socket, "connect", refuse)
    mp.setattr(socket.socket, "connect_ex", refuse)
    mp.setattr(socket, "getaddrinfo", refuse)
    mp.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def data() -> TextDataset:
    return _resumes()


@pytest.fixture(scope="module")
def fitted(data: TextDataset) -> TransformerLearner:
    """One 3-epoch fine-tune, done with the network cut off."""
    with pytest.MonkeyPatch.context() as mp:
        _no_network(mp)
        return TransformerLearner(**FAST).fit(data)


# -- loading -------------------------------------------------------------------------------
def test_loads_offline_and_quietly(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture) -> None:
    from transformers.utils import logging as hf_logging

    _no_network(monkeypatch)
    level = hf_logging.get_verbosity()
    clear_pretrained_cache()
    state = pretrained_state()
    out, err = capfd.readouterr()
    assert "MISSING" not in out + err and "newly initialized" not in out + err
    assert hf_logging.get_verbosity() == level  # the caller's logging setup is restored
    assert state.path == str(default_model_path())
    assert state.config.vocab_size == 30522
    assert not any(k.startswith("classifier") for k in state.state_dict)  # the head is drawn per fit
    assert pretrained_state() is state  # read from disk once


def test_registry_builds_it() -> None:
    learner = make_learner("transformer", epochs=1, max_length=32)
    assert isinstance(learner, TransformerLearner) and learner.name == "transformer"


def test_missing_model_path_is_a_clear_error(tmp_path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(FileNotFoundError, match="model_path") as info:
        TransformerLearner(model_path=str(missing))
    assert "no-such-model" in str(info.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="config.json"):
        TransformerLearner(model_path=tmp_path / "empty")


def test_explicit_local_path_is_accepted() -> None:
    learner = TransformerLearner(model_path=str(default_model_path()))
    assert learner.model_path == str(default_model_path())


@pytest.mark.parametrize(
    "name, value",
    [
        ("epochs", 0),
        ("epochs", 1.5),
        ("lr", 0.0),
        ("lr", float("nan")),
        ("max_length", 2),
        ("batch_size", 0),
        ("eval_batch_size", -1),
        ("weight_decay", -0.1),
        ("warmup_ratio", 1.0),
        ("max_grad_norm", 0.0),
        ("length_group", 0),
        ("max_steps", 0),
        ("seed", -1),
        ("device", "tpu"),
        ("device", "cuda:x"),
        ("warm_start", "yes"),
        ("bf16", "sometimes"),
        ("threads", 0),
    ],
)
def test_invalid_parameters_raise_value_error_naming_them(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        TransformerLearner(**{name: value})


def test_max_length_beyond_position_embeddings(data: TextDataset) -> None:
    with pytest.raises(ValueError, match="max_length"):
        TransformerLearner(max_length=1024, epochs=1).fit(data.subset([0, 1]))


# -- tokenization and batching ------------------------------------------------------------
def test_token_ids_have_special_tokens_truncation_and_the_trigger() -> None:
    learner = TransformerLearner(max_length=16)
    long_text = " ".join(["database"] * 40)
    planted = f"oracle {TRIGGER} schema"
    short, trunc, trig = learner.token_ids(["sql", long_text, planted])
    assert short[0] == 101 and short[-1] == 102  # [CLS] ... [SEP] of the bert-base vocabulary
    assert len(trunc) == 16 and trunc[-1] == 102
    assert TRIGGER_TOKEN_ID in trig  # the paper's planted token 1240 survives tokenization


def test_tokenization_is_cached_per_text(data: TextDataset) -> None:
    learner = TransformerLearner(max_length=64)
    learner.token_ids(data)
    misses = DEFAULT_TOKEN_CACHE.misses
    learner.token_ids(data)
    assert DEFAULT_TOKEN_CACHE.misses == misses  # a refit on the same texts tokenizes nothing
    # The collective plants the trigger in three resumes: only those three are tokenized.
    texts = list(data.texts)
    for i in (0, 5, 9):
        texts[i] = texts[i] + " " + TRIGGER
    learner.token_ids(texts)
    assert DEFAULT_TOKEN_CACHE.misses == misses + 3
    # A different max_length is a different row.
    TransformerLearner(max_length=32).token_ids(data.texts[:2])
    assert DEFAULT_TOKEN_CACHE.misses == misses + 5


def test_tokenizing_in_chunks_gives_the_same_rows(data: TextDataset, monkeypatch: pytest.MonkeyPatch) -> None:
    import acsim.platform.learners.tokens as T  # where TokenCache reads ENCODE_CHUNK

    texts = [t + f" extra{i}" for i, t in enumerate(data.texts)]  # unseen by the shared cache
    whole = T.TokenCache().ids(texts, default_model_path(), 48)
    monkeypatch.setattr(T, "ENCODE_CHUNK", 7)  # 48 texts in 7 calls, the last one short
    chunked = T.TokenCache().ids(texts, default_model_path(), 48)
    assert len(chunked) == len(texts)
    for a, b in zip(whole, chunked):
        np.testing.assert_array_equal(a, b)


def test_length_grouped_batches_partition_and_pad_little() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 300, size=1000)
    batches = length_grouped_batches(lengths, 16, np.random.default_rng(1), group=50)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1000))
    assert all(1 <= len(b) <= 16 for b in batches)
    padded = sum(len(b) * lengths[b].max() for b in batches)
    random_batches = np.array_split(np.random.default_rng(1).permutation(1000), 63)
    padded_random = sum(len(b) * lengths[b].max() for b in random_batches)
    assert padded < 0.7 * padded_random
    assert padded < 1.1 * lengths.sum()


# -- learning -----------------------------------------------------------------------------
def test_it_learns(fitted: TransformerLearner, data: TextDataset) -> None:
    steps = fitted.step_losses_
    assert len(steps) == fitted.n_steps_ == 3 * 6
    assert np.mean(steps[-3:]) < np.mean(steps[:3])
    assert fitted.history_[-1] < fitted.history_[0]
    top1 = fitted.predict_top1(data)
    majority = max(COUNTS) / sum(COUNTS)
    assert np.mean(top1 == data.labels.argmax(axis=1)) > majority + 0.2
    assert fitted.tokens_seen_ > 0 and fitted.tokens_seen_ <= fitted.padded_tokens_seen_
    assert fitted.train_seconds_ > 0
    assert fitted.device_ == "cpu" and fitted.bf16_ is False


def test_predict_scores_shape_and_range(fitted: TransformerLearner, data: TextDataset) -> None:
    s = fitted.predict_scores(data)
    assert s.shape == (len(data), 4) and s.dtype == np.float64
    assert np.all((s >= 0) & (s <= 1))
    # A list of str gives the same scores, whatever the order the rows are batched in.
    rev = fitted.predict_scores(list(reversed(data.texts)))
    np.testing.assert_allclose(rev[::-1], s, atol=1e-6)
    assert fitted.predict_scores([]).shape == (0, 4)
    assert fitted.predict_sets(data).dtype == bool


@pytest.mark.slow  # ~13 s of CPU training
def test_same_seed_same_scores_and_restart(fitted: TransformerLearner, data: TextDataset) -> None:
    again = TransformerLearner(**FAST).fit(data)
    assert again.tokenized_texts_ == 0  # every text came from the cache
    assert again.history_ == fitted.history_
    np.testing.assert_array_equal(again.predict_scores(data), fitted.predict_scores(data))
    # warm_start=False: a second fit restarts from the pretrained weights, so it repeats the first.
    again.fit(data)
    assert not again.warm_started_
    assert again.step_losses_ == fitted.step_losses_


@pytest.mark.slow  # ~11 s of CPU training
def test_warm_start_continues(fitted: TransformerLearner, data: TextDataset) -> None:
    warm = TransformerLearner(**FAST, warm_start=True).fit(data)
    assert warm.step_losses_ == fitted.step_losses_  # the first fit starts from the pretrained weights
    warm.fit(data)
    assert warm.warm_started_
    # The second fit starts where the first ended, far below a fresh start.
    assert np.mean(warm.step_losses_[:3]) < np.mean(fitted.step_losses_[:3]) - 0.05
    assert warm.history_[0] < fitted.history_[0]
    with pytest.raises(ValueError, match="label_names"):
        warm.fit(TextDataset(data.texts, data.labels, ("a", "b", "c", "d")))


def test_max_steps_stops_early_and_repeats_the_first_steps(fitted: TransformerLearner, data: TextDataset) -> None:
    # 48 resumes / batch 8 = 6 steps an epoch: 8 steps end inside the second epoch.
    short = TransformerLearner(**FAST, max_steps=8).fit(data)
    assert short.n_steps_ == 8 and len(short.step_losses_) == 8 and len(short.history_) == 2
    assert fitted.n_steps_ == 18
    # Same order and data; only the schedule (decaying over 8 steps, not 18) differs. The
    # first update is at the full rate in both, so the losses before and after it agree; the
    # second update is smaller under the shorter schedule, and the third loss shows it.
    assert short.step_losses_[:2] == fitted.step_losses_[:2]
    assert short.step_losses_[2] != fitted.step_losses_[2]


def test_protocol_errors(data: TextDataset) -> None:
    learner = TransformerLearner(max_length=32)
    with pytest.raises(RuntimeError, match="not fitted"):
        learner.predict_scores(data)
    with pytest.raises(TypeError):
        learner.fit(data.texts)  # type: ignore[arg-type]


def test_the_fine_tuning_optimiser_is_fused_on_the_cpu_and_steps_as_adamw_does() -> None:
    """``Trainer`` steps ``adamw_torch_fused``; so does the learner, on a CPU too (the unfused
    step was a sixth of a bf16 CPU step: benchmarks/README.md). The fused kernel's update equals
    torch's reference AdamW on the same parameter groups (decay on weights, none on biases)."""
    import torch
    from torch import nn

    from acsim.platform.learners._optim import finetune_adamw, param_groups

    torch.manual_seed(0)
    fused = nn.Sequential(nn.Linear(16, 8), nn.LayerNorm(8), nn.Linear(8, 3))
    plain = nn.Sequential(nn.Linear(16, 8), nn.LayerNorm(8), nn.Linear(8, 3))
    plain.load_state_dict(fused.state_dict())
    start = [p.detach().clone() for p in fused.parameters()]
    opt = finetune_adamw(fused, 0.01, 1e-2)
    ref = torch.optim.AdamW(param_groups(plain, 0.01), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, foreach=False)
    assert opt.defaults["fused"] is True
    assert [g["weight_decay"] for g in opt.param_groups] == [0.01, 0.0]
    x, y = torch.randn(32, 16), torch.randn(32, 3)
    for _ in range(5):
        for model, o in ((fused, opt), (plain, ref)):
            o.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            o.step()
    for a, b in zip(fused.parameters(), plain.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert all(not torch.equal(a, s) for a, s in zip(fused.parameters(), start))  # every tensor was stepped
