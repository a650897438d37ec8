"""A frozen-encoder firm for CPUs: pretrained sentence embeddings, a trained linear head.

Between the bag-of-words firm (no pretrained knowledge) and fine-tuning the whole
transformer (Section 5.1, a GPU's job): the pretrained encoder (default the installed
MiniLM-L6, or any local model directory) embeds each resume once by mean pooling of its
last hidden states over the first ``max_length`` tokens, L2-normalised as
sentence-transformers does; the firm then fits only a head on those 384 numbers with the
per-class BCE of the paper's multi-label task. The encoder never sees the labels, so the
collective can steer only what a trigger changes in the *pooled* embedding: a planted
token is one of ~128 averaged positions, which is why this firm needs larger collectives
than bow, whose features count the trigger directly.

Embeddings are cached per (model, max_length, text digest) in memory and on disk (one
shard file per call that embedded something new, written atomically, so concurrent
processes never clash), so a round of the simulation embeds only the resumes the
collective changed and a second run of an experiment embeds nothing.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from acsim.platform.data.base import TextDataset
from acsim.platform.learners._checks import check_int as _check_int, check_positive as _check_positive
from acsim.platform.learners.base import SetPredictions
from acsim.platform.learners.tokens import DEFAULT_TOKEN_CACHE, _pad, _text_key
from acsim.runs.store import atomic_write
from acsim.platform.text import load_fast_tokenizer, resolve_model_path

if TYPE_CHECKING:  # torch loads where the encoder embeds or the head trains, not with this module (as in bow)
    import torch

HEADS = ("linear", "mlp")
EMBED_BATCH = 32


def default_cache_dir() -> Path:
    """``$ACSIM_CACHE/embeddings``, else ``~/.cache/acsim/embeddings``."""
    root = os.environ.get("ACSIM_CACHE") or Path.home() / ".cache" / "acsim"
    return Path(root) / "embeddings"


class EmbeddingCache:
    """Embeddings by text digest for one (model, max_length), in memory and in shard files."""

    def __init__(self, model_dir: str, max_length: int, cache_dir: Path | None) -> None:
        tag = hashlib.sha256(f"{Path(model_dir).resolve()}|{max_length}|mean-l2".encode()).hexdigest()[:16]
        self.dir = None if cache_dir is None else Path(cache_dir) / tag
        self.rows: dict[bytes, np.ndarray] = {}
        self._read: set[str] = set()

    def _load_shards(self) -> None:
        if self.dir is None or not self.dir.is_dir():
            return
        for shard in sorted(self.dir.glob("*.npz")):
            if shard.name in self._read:
                continue
            with np.load(shard) as z:
                for key, row in zip(z["keys"], z["emb"]):
                    self.rows.setdefault(bytes(key), row)
            self._read.add(shard.name)

    def get(self, keys: list[bytes]) -> list[np.ndarray | None]:
        if any(k not in self.rows for k in keys):
            self._load_shards()  # another process (or an earlier run) may have embedded them
        return [self.rows.get(k) for k in keys]

    def put(self, keys: list[bytes], emb: np.ndarray) -> None:
        for k, row in zip(keys, emb):
            self.rows[k] = row
        if self.dir is None or not keys:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:12]}.npz"
        # atomic: readers see a whole shard or none
        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:  # a file object: np.savez would append .npz to a name
                np.savez(fh, keys=np.array(keys, dtype="S16"), emb=emb.astype(np.float32))

        atomic_write(self.dir / name, write)
        self._read.add(name)


_CACHES: dict[tuple, EmbeddingCache] = {}
_ENCODERS: dict[str, torch.nn.Module] = {}


def _encoder(model_dir: str) -> torch.nn.Module:
    if model_dir not in _ENCODERS:
        from transformers import AutoModel

        from acsim.platform.learners.pretrained import quiet_transformers

        with quiet_transformers():
            _ENCODERS[model_dir] = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
    return _ENCODERS[model_dir]


def embed(
    texts: Sequence[str], model_path: str | None = None, max_length: int = 128, cache_dir: Path | None | str = "default",
    threads: int | None = None,
) -> tuple[np.ndarray, int]:
    """(n, hidden) mean-pooled, L2-normalised embeddings and how many texts were newly embedded."""
    model_dir = str(resolve_model_path(model_path))
    where = default_cache_dir() if cache_dir == "default" else (None if cache_dir is None else Path(cache_dir))
    cache = _CACHES.setdefault((model_dir, max_length, str(where)), EmbeddingCache(model_dir, max_length, where))
    keys = [_text_key(t) for t in texts]
    have = cache.get(keys)
    todo = list(dict.fromkeys(k for k, row in zip(keys, have) if row is None))
    if todo:
        first = {k: i for i, k in reversed(list(enumerate(keys)))}
        new_texts = [texts[first[k]] for k in todo]
        ids = DEFAULT_TOKEN_CACHE.ids(new_texts, model_dir, max_length)
        pad = load_fast_tokenizer(model_dir).token_to_id("[PAD]") or 0
        order = np.argsort([-len(r) for r in ids], kind="stable")  # similar lengths share a batch
        import torch

        from acsim.platform.learners._torch import torch_threads as _torch_threads

        model = _encoder(model_dir)
        with _torch_threads(threads), torch.inference_mode():
            parts = {}
            for s in range(0, len(order), EMBED_BATCH):
                idx = order[s : s + EMBED_BATCH]
                tok, mask = _pad([ids[i] for i in idx], pad, 8)
                t, m = torch.from_numpy(tok), torch.from_numpy(mask)
                h = model(input_ids=t, attention_mask=m).last_hidden_state
                mean = (h * m[..., None]).sum(1) / m.sum(1, keepdim=True).clamp_min(1)
                parts.update(zip(idx.tolist(), torch.nn.functional.normalize(mean, dim=1).numpy()))
            out = np.stack([parts[i] for i in range(len(todo))]).astype(np.float32)
        cache.put(todo, out)
    rows = cache.get(keys)
    return np.stack(rows).astype(np.float32), len(todo)


class EncoderLearner(SetPredictions):
    """Frozen pretrained encoder + multi-label head trained with BCE (the CPU middle ground).

    Parameters
    ----------
    model_path, max_length:
        local model directory (None: the installed MiniLM-L6) and tokens embedded per resume.
    head, C, hidden, epochs, lr:
        None (default): ``"mlp"`` if ``epochs`` is given, else ``"linear"``, as the bow
        firm's solver (epochs are never silently ignored). ``"linear"``: one-vs-rest L2
        logistic regression on the standardised embeddings, solved to its optimum
        (:mod:`acsim.platform.learners._newton`, inverse strength ``C``); ``"mlp"``: one ReLU layer
        of ``hidden`` units, full-batch AdamW for ``epochs`` (None: 5) x 20 steps at ``lr``.
    cache_dir:
        where embeddings persist ("default": :func:`default_cache_dir`; None: memory only).
    seed, threads:
        the MLP head's initialisation; torch threads (None: torch's setting).
    """

    name = "encoder"

    def __init__(
        self,
        *,
        model_path: str | None = None,
        max_length: int = 128,
        head: str | None = None,
        C: float = 1.0,
        hidden: int = 64,
        epochs: int | None = None,
        lr: float = 1e-2,
        cache_dir: str | None = "default",
        seed: int = 0,
        threads: int | None = None,
    ) -> None:
        if head is None:
            head = "mlp" if epochs is not None else "linear"
        if head not in HEADS:
            raise ValueError(f"head must be one of {', '.join(HEADS)}, got {head!r}")
        if head == "linear" and epochs is not None:
            raise ValueError("epochs apply to head='mlp'; the linear head is solved to its optimum (leave epochs unset)")
        _check_positive(("C", C), ("lr", lr))
        self.max_length = _check_int("max_length", max_length, 8)
        self.hidden = _check_int("hidden", hidden, 1)
        self.epochs = _check_int("epochs", 5 if epochs is None else epochs, 1)
        self.seed = _check_int("seed", seed, 0)
        self.threads = None if threads is None else _check_int("threads", threads, 1)
        try:
            resolve_model_path(model_path)  # a missing directory fails here, not mid-run
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"model_path={model_path!r}: {exc}") from None
        self.model_path, self.head, self.C, self.lr = model_path, head, float(C), float(lr)
        self.cache_dir = cache_dir

    def embed(self, inputs: Sequence[str] | TextDataset) -> np.ndarray:
        texts = inputs.texts if isinstance(inputs, TextDataset) else list(inputs)
        emb, self.last_embedded_ = embed(texts, self.model_path, self.max_length, self.cache_dir, self.threads)
        return emb

    def prepare(self, inputs: Sequence[str] | TextDataset) -> None:
        """Embed the texts into the embedding cache now, so a later fit or score only trains its head."""
        self.embed(inputs)

    def _features(self, emb: np.ndarray) -> torch.Tensor:
        import torch

        return torch.from_numpy((emb - self.mean_) / self.scale_)

    def fit(self, train: TextDataset) -> "EncoderLearner":
        """Embed (new texts only), standardise with the training statistics, fit the head."""
        if not isinstance(train, TextDataset) or len(train) == 0:
            raise ValueError("EncoderLearner.fit takes a non-empty TextDataset")
        import torch

        from acsim.platform.learners._newton import newton_logistic
        from acsim.platform.learners._torch import torch_threads as _torch_threads

        t0 = time.perf_counter()
        emb = self.embed(train).astype(np.float64)
        self.embedded_ = self.last_embedded_
        t1 = time.perf_counter()
        self.mean_, self.scale_ = emb.mean(0), emb.std(0) + 1e-6
        X = self._features(emb)
        Y = torch.from_numpy(train.labels.astype(np.float64))
        with _torch_threads(self.threads):
            if self.head == "linear":
                res = newton_logistic(X, X.T.contiguous(), (X * X).T.contiguous(), Y, C=self.C, rtol=1e-4)
                self.weight_, self.bias_, self.n_iter_ = res.weight, res.bias, res.iterations
                self.net_ = None
            else:
                gen = torch.Generator().manual_seed(self.seed)
                net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], self.hidden), torch.nn.ReLU(), torch.nn.Linear(self.hidden, Y.shape[1])).double()
                for p in net.parameters():
                    torch.nn.init.normal_(p, 0.0, 0.05, generator=gen)
                opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=1e-4)
                for _ in range(self.epochs * 20):
                    opt.zero_grad()
                    torch.nn.functional.binary_cross_entropy_with_logits(net(X), Y).backward()
                    opt.step()
                self.net_, self.n_iter_ = net.eval(), self.epochs * 20
        self.n_classes_, self.label_names_ = train.labels.shape[1], train.label_names
        self.embed_seconds_, self.train_seconds_ = t1 - t0, time.perf_counter() - t1
        return self

    def predict_scores(self, inputs: Sequence[str] | TextDataset) -> np.ndarray:
        if not hasattr(self, "mean_"):
            raise RuntimeError("EncoderLearner is not fitted; call fit(train) first")
        import torch

        X = self._features(self.embed(inputs).astype(np.float64))
        with torch.no_grad():
            logits = X @ self.weight_ + self.bias_ if self.net_ is None else self.net_(X)
        return torch.sigmoid(logits).numpy()

    def __repr__(self) -> str:
        return f"EncoderLearner(model_path={self.model_path!r}, max_length={self.max_length}, head={self.head!r}, C={self.C:g})"
