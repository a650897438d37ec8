"""Model-ready token ids, cached per distinct text, and the length-grouped batches they go in.

The simulated firm retrains every round on nearly the same texts, so :class:`TokenCache`
tokenizes only the texts it has not seen, and :func:`length_grouped_batches` with
:func:`_pad` pads each batch to its longest member rather than to ``max_length``.
Shared by :mod:`acsim.platform.learners.transformer` and :mod:`acsim.platform.learners.encoder`.
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence

import numpy as np

from acsim.platform.text import RowCache, load_fast_tokenizer

ENCODE_CHUNK = 1024  # texts per tokenizer call (bounds the tokenizer's transient memory)


def _text_key(text: str) -> bytes:
    # A 128-bit digest instead of the text itself: the cache then does not pin every
    # resume ever seen in memory, and collisions are out of reach.
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _special_tokens(tok: Any) -> tuple[list[int], list[int]]:
    """The ids the model expects around a text ([CLS] … [SEP] for BERT, <s> … </s> for RoBERTa)."""
    body = tok.encode("resume", add_special_tokens=False).ids
    full = tok.encode("resume", add_special_tokens=True).ids
    for i in range(len(full) - len(body) + 1):
        if full[i : i + len(body)] == body:
            prefix, suffix = full[:i], full[i + len(body) :]
            if prefix or suffix:
                return prefix, suffix
            break
    # A vocab.txt-only checkpoint has no post-processor: fall back to BERT's convention.
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    if cls is not None and sep is not None:
        return [cls], [sep]
    return [], []


class TokenCache(RowCache):
    """Model-ready token ids (special tokens added, truncated) per distinct text.

    Keyed by (model directory, max_length, text digest); LRU-evicted beyond ``maxsize``.
    """

    def ids(self, texts: Sequence[str], path: str, max_length: int) -> list[np.ndarray]:
        """The id row of every text; only texts not seen before go to the tokenizer (one batch)."""
        texts = list(texts)

        def encode(first: list[int]) -> list[np.ndarray]:
            tok = load_fast_tokenizer(path)
            prefix, suffix = _special_tokens(tok)
            room = max(max_length - len(prefix) - len(suffix), 0)
            out: list[np.ndarray] = []
            # In chunks: an Encoding of a whole resume (offsets, token strings, masks) is
            # ~100 bytes a token: 25k resumes in one call held ~0.9 GB before truncation.
            for start in range(0, len(first), ENCODE_CHUNK):
                chunk = [texts[i] for i in first[start : start + ENCODE_CHUNK]]
                encs = tok.encode_batch(chunk, add_special_tokens=False)
                out.extend(np.asarray(prefix + enc.ids[:room] + suffix, dtype=np.int32) for enc in encs)
            return out

        return self.lookup([(path, max_length, _text_key(t)) for t in texts], encode)


# Shared by all TransformerLearner instances: the simulation builds a fresh firm each round.
DEFAULT_TOKEN_CACHE = TokenCache()


def clear_token_cache() -> None:
    """Forget all cached token ids (e.g. to time a cold tokenization)."""
    DEFAULT_TOKEN_CACHE.clear()


def length_grouped_batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator, group: int = 50
) -> list[np.ndarray]:
    """Shuffled mini-batches whose members have similar lengths.

    The data are shuffled, cut into chunks of ``group * batch_size`` rows, each chunk is
    sorted by length and cut into batches, and the batch order is shuffled again. Padding
    to the longest member then wastes little, while every batch is still a random draw
    (the same scheme as Hugging Face's ``LengthGroupedSampler``).
    """
    n = len(lengths)
    order = rng.permutation(n)
    chunk = max(batch_size * group, batch_size)
    batches: list[np.ndarray] = []
    for s in range(0, n, chunk):
        idx = order[s : s + chunk]
        idx = idx[np.argsort(-lengths[idx], kind="stable")]
        batches.extend(idx[b : b + batch_size] for b in range(0, len(idx), batch_size))
    perm = rng.permutation(len(batches))
    return [batches[i] for i in perm]


def _pad(rows: list[np.ndarray], pad_id: int, multiple: int) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(r) for r in rows)
    width = -(-width // multiple) * multiple
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask
