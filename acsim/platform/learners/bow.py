"""The fast CPU firm: a multi-label bag-of-WordPiece classifier (paper Section 5, scaled down).

The paper's firm fine-tunes a BERT-like transformer on resumes (Section 5.1). This firm
keeps the paper's input space, the bert-base uncased WordPiece vocabulary in which the
planted trigger is token 1240, but replaces the encoder by a linear (or one-hidden-layer)
model on token counts, so one training on 25k resumes takes seconds on two CPU cores.
Its loss is the per-class binary cross-entropy of a multi-label classifier, so its
sigmoid scores estimate P(y_k = 1 | x) per class.

Every one of the 30522 vocabulary ids is a feature (nothing is pruned by frequency):
the collective's trigger is by design absent from the base data, and a frequency-pruned
vocabulary would silently make the signal unlearnable.

The firm retrains every round on texts that are mostly unchanged, so token counts are
cached per distinct text (:class:`CountCache`): a round in which the collective rewrites
a few hundred resumes tokenizes only those.
"""

from __future__ import annotations

import re
import time
import warnings
from typing import Iterator, Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from acsim.platform.data.base import TextDataset
from acsim.platform.learners._torch import torch_threads as _torch_threads
from acsim.platform.learners.base import SetPredictions
from acsim.platform.text import RowCache, load_fast_tokenizer, token_ids

FEATURES = ("log1p", "count", "binary")
DEVICES = ("auto", "cpu", "cuda")
SCHEDULES = ("linear", "constant")
SOLVERS = ("newton", "adamw")


# Characters that str.split() treats as whitespace but BERT's normalizer deletes as control
# characters (joining their neighbours); texts containing them take the whole-text path.
_SPLIT_MISMATCH = re.compile("[\x1c-\x1f]")


def _row(ids: np.ndarray, counts: np.ndarray, dtype: type) -> np.ndarray:
    return np.stack([ids.astype(dtype), np.minimum(counts, np.iinfo(dtype).max).astype(dtype)])


def count_rows(texts: Sequence[str], path: str | None = None, max_length: int | None = None) -> list[np.ndarray]:
    """Per text a ``(2, m)`` array: its distinct token ids (sorted) and their counts.

    Equal to counting :func:`acsim.platform.text.token_ids` (tested), but ~5x faster cold: BERT's
    uncased pipeline splits on whitespace before anything else, so a text's tokens are the
    concatenation of its words' tokens, and a corpus of 25k resumes has only a few
    thousand distinct words. Those are tokenized once; counts are then summed per text
    with one sparse matrix, no per-token Python. Tokenizers with another pipeline, a
    ``max_length`` (which needs token positions) and the rare texts with ASCII
    separator characters go through the whole-text tokenizer.
    """
    tok = load_fast_tokenizer(path)
    vocab = tok.get_vocab_size()
    dtype = np.uint16 if vocab <= 2**16 else np.uint32
    word_level = (
        max_length is None
        and type(tok.normalizer).__name__ == "BertNormalizer"
        and type(tok.pre_tokenizer).__name__ == "BertPreTokenizer"
    )
    out: list[np.ndarray | None] = [None] * len(texts)
    direct = [i for i, t in enumerate(texts) if not word_level or _SPLIT_MISMATCH.search(t)]
    for i, ids in zip(direct, token_ids([texts[i] for i in direct], path=path, max_length=max_length)):
        out[i] = _row(*np.unique(ids, return_counts=True), dtype)
    if word_level:
        rest = [i for i, t in enumerate(texts) if out[i] is None]
        for start in range(0, len(rest), 4096):  # chunks bound the peak memory
            chunk = rest[start : start + 4096]
            for i, row in zip(chunk, _word_level_rows([texts[i] for i in chunk], path, vocab, dtype)):
                out[i] = row
    return out  # type: ignore[return-value]


def _word_level_rows(texts: list[str], path: str | None, vocab: int, dtype: type) -> list[np.ndarray]:
    split = [t.split() for t in texts]
    n_words = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
    word_id: dict[str, int] = {}
    occ = np.fromiter(
        (word_id.setdefault(w, len(word_id)) for ws in split for w in ws), dtype=np.int64, count=int(n_words.sum())
    )
    pieces = token_ids(list(word_id), path=path)
    piece_len = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    piece_start = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum(piece_len, out=piece_start[1:])
    piece_ids = np.concatenate(pieces).astype(np.int64) if len(pieces) else np.zeros(0, np.int64)
    # expand every word occurrence into its tokens (a vectorised gather)
    occ_len = piece_len[occ]
    occ_start = np.zeros(len(occ) + 1, dtype=np.int64)
    np.cumsum(occ_len, out=occ_start[1:])
    pos = np.arange(occ_start[-1], dtype=np.int64) + np.repeat(piece_start[occ] - occ_start[:-1], occ_len)
    text_of = np.repeat(np.repeat(np.arange(len(texts)), n_words), occ_len)
    m = sp.csr_matrix(
        (np.ones(len(pos), dtype=np.int64), (text_of, piece_ids[pos])), shape=(len(texts), vocab)
    )
    m.sum_duplicates()
    m.sort_indices()
    return [
        _row(m.indices[m.indptr[i] : m.indptr[i + 1]], m.data[m.indptr[i] : m.indptr[i + 1]], dtype)
        for i in range(len(texts))
    ]


class CountCache(RowCache):
    """Token-count rows per distinct text (what :func:`count_rows` returns), LRU-evicted.

    Pure memoisation of :func:`acsim.platform.text.token_ids`, so sharing it cannot change any result.
    """

    def rows(self, texts: Sequence[str], path: str | None = None, max_length: int | None = None) -> list[np.ndarray]:
        """The count row of every text (:func:`count_rows`), tokenizing only the unseen texts."""
        texts = list(texts)
        return self.lookup(
            [(path, max_length, t) for t in texts],
            lambda first: count_rows([texts[i] for i in first], path, max_length),
        )


# Shared by all BowLearner instances: the model builds a fresh learner every round.
DEFAULT_CACHE = CountCache()


def clear_cache() -> None:
    """Forget all cached token counts (e.g. to time a cold featurisation)."""
    DEFAULT_CACHE.clear()


class _Csr:
    """Row-compressed sparse features (numpy arrays; torch CSR tensors made on demand)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, values: np.ndarray, n_cols: int) -> None:
        self.indptr, self.indices, self.values, self.n_cols = indptr, indices, values, n_cols

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def take(self, rows: np.ndarray) -> "_Csr":
        """The sub-matrix of the given rows, in that order (vectorised gather, no Python loop)."""
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        pos = np.arange(indptr[-1], dtype=np.int64) + np.repeat(starts - indptr[:-1], lengths)
        return _Csr(indptr, self.indices[pos], self.values[pos], self.n_cols)

    def transpose(self) -> "_Csr":
        t = sp.csr_matrix((self.values, self.indices, self.indptr), shape=(self.n_rows, self.n_cols)).T.tocsr()
        return _Csr(t.indptr.astype(np.int64), t.indices.astype(np.int64), t.data, self.n_rows)

    def torch(self, device: torch.device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        with warnings.catch_warnings():
            # "sparse CSR support is in beta": the two ops used here (CSR @ dense) are stable.
            warnings.simplefilter("ignore", UserWarning)
            # int32 indices where they fit: the products read ~30% less memory, ~30% faster.
            index = torch.int32 if max(len(self.indices), self.n_cols) < 2**31 else torch.int64
            return torch.sparse_csr_tensor(
                torch.from_numpy(self.indptr).to(index),
                torch.from_numpy(self.indices).to(index),
                torch.from_numpy(self.values).to(dtype),
                size=(self.n_rows, self.n_cols),
                check_invariants=False,
            ).to(device)

    def pair(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """X and its explicit transpose, the operands of :class:`_SparseMatmul`."""
        return self.torch(device), self.transpose().torch(device)


def _featurize(rows: list[np.ndarray], features: str, normalize: bool, n_cols: int) -> _Csr:
    lengths = np.fromiter((r.shape[1] for r in rows), dtype=np.int64, count=len(rows))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    if rows:
        packed = np.concatenate(rows, axis=1)
        indices = packed[0].astype(np.int64)
        counts = packed[1].astype(np.float32)
    else:
        indices = np.zeros(0, dtype=np.int64)
        counts = np.zeros(0, dtype=np.float32)
    if features == "log1p":
        values = np.log1p(counts)
    elif features == "binary":
        values = np.ones_like(counts)
    else:
        values = counts
    if normalize and len(values):
        # Unit-length rows: long and short resumes then give logits on one scale.
        row_of = np.repeat(np.arange(len(rows)), lengths)
        norms = np.sqrt(np.bincount(row_of, weights=values.astype(np.float64) ** 2, minlength=len(rows)))
        values = values / np.maximum(norms, 1e-12)[row_of]
    return _Csr(indptr, indices, values.astype(np.float32), n_cols)


class _SparseMatmul(torch.autograd.Function):
    """``X @ W`` for sparse CSR ``X`` with the weight gradient ``X.T @ G`` from an explicit transpose.

    Autograd through a sparse product (or ``nn.EmbeddingBag``) sorts indices on every backward
    pass; with the transpose built once per batch the backward is a plain CSR product, about
    100x faster on CPU, and deterministic (each output row is summed in a fixed order).
    """

    @staticmethod
    def forward(ctx, W: torch.Tensor, X: torch.Tensor, XT: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.XT = XT
        return X @ W

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        return ctx.XT @ grad, None, None


class _BowNet(nn.Module):
    def __init__(self, vocab: int, n_classes: int, hidden: int, prior_logit: torch.Tensor, gen: torch.Generator):
        super().__init__()
        width = n_classes if hidden == 0 else hidden
        self.weight = nn.Parameter(torch.zeros(vocab, width))
        if hidden == 0:
            # Convex problem: a zero start is deterministic and needs no random init.
            self.bias = nn.Parameter(prior_logit.clone())
            self.head = None
        else:
            nn.init.normal_(self.weight, 0.0, 0.1, generator=gen)
            self.bias = nn.Parameter(torch.zeros(hidden))
            self.head = nn.Linear(hidden, n_classes)
            nn.init.normal_(self.head.weight, 0.0, 1.0 / np.sqrt(hidden), generator=gen)
            with torch.no_grad():
                self.head.bias.copy_(prior_logit)

    def forward(self, X: torch.Tensor, XT: torch.Tensor | None) -> torch.Tensor:
        if XT is None:  # inference: no backward pass, no transpose needed
            z = X @ self.weight
        else:
            z = _SparseMatmul.apply(self.weight, X, XT)
        z = z + self.bias
        if self.head is None:
            return z
        return self.head(torch.relu(z))


def _linear_bce_step(net: _BowNet, operands: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """Mean BCE of the linear model and its gradients, set on ``net`` without autograd.

    For logits z = XW + b the gradient of the mean BCE is G = (sigmoid(z) - y) / (B K),
    so dW = X^T G and db = sum G. Writing it out skips the autograd graph, which cost
    ~15% of a 10k-resume training of 200 small steps (0.33 s -> 0.28 s).
    """
    X, XT = operands
    with torch.no_grad():
        z = X @ net.weight + net.bias
        g = (torch.sigmoid(z) - y) / y.numel()
        net.weight.grad = XT @ g
        net.bias.grad = g.sum(0)
        return nn.functional.binary_cross_entropy_with_logits(z, y)


def _check_int(name: str, value: object, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def _check_positive(*named: tuple[str, object]) -> None:
    """Each (name, value) a finite number > 0, else one ValueError naming it."""
    for name, value in named:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a number > 0, got {value!r}")


def _adamw(params: Iterator[nn.Parameter], **kw: float) -> torch.optim.Optimizer:
    """AdamW with the fused kernel where torch has it (CPU too since torch 2.4).

    The linear model's step updates the whole vocabulary x classes weight every step; the
    unfused update is ~6 element-wise passes over it, which made it the largest cost of a
    training (0.46 s -> 0.30 s for 10k resumes, ``benchmarks/README.md``).
    """
    params = list(params)
    try:
        return torch.optim.AdamW(params, fused=True, **kw)
    except (TypeError, RuntimeError):
        return torch.optim.AdamW(params, **kw)


def _auto_batch(n: int) -> int:
    """512 rows, but at least ~20 steps per epoch on small corpora (a 1000-resume world)."""
    return int(min(512, max(16, -(-n // 20))))


class BowLearner(SetPredictions):
    """Multi-label bag-of-WordPiece logistic regression (the fast firm), trained to its optimum.

    Parameters
    ----------
    solver:
        None (default): ``"adamw"`` if ``epochs`` or ``hidden`` is given, else ``"newton"``.
        ``"newton"``: the one-vs-rest L2 logistic regression of
        :mod:`acsim.platform.learners._newton`, scikit-learn's ``LogisticRegression(C=C)`` objective,
        solved until the objective is within ``tol`` (relative) of its minimum at any data
        size. ``"adamw"``: mini-batch AdamW for a fixed number of ``epochs`` (the firm of
        earlier versions, and the way to study a firm *short* of its optimum: Figure 5);
        needed for ``hidden`` > 0.
    C, tol:
        inverse regularisation strength as in scikit-learn (1.0: its default; per class the
        penalty is ||w||^2 / 2 against the *sum* of the losses, so m collective members
        weigh the same whatever the corpus size) and the newton solver's relative objective
        tolerance.
    epochs, lr, batch_size, weight_decay, lr_schedule:
        AdamW passes over the data (None: 10), peak step size (decayed linearly to 0 with
        ``lr_schedule="linear"``), mini-batch rows (None: 512, or n/20 on corpora under 10k
        rows), decoupled L2: ``solver="adamw"`` only.
    hidden:
        0 (default) for a linear model on the features, else the width of one ReLU layer.
    features, normalize:
        per-token value: ``"log1p"`` of the count (default: sublinear term frequency, the
        usual choice for text, which keeps how often a token occurs but damps repetition),
        raw ``"count"`` or ``"binary"`` presence; ``normalize`` scales each resume's vector
        to unit L2 length.
    seed:
        seeds initialisation and mini-batch order (the newton solver is deterministic and
        needs none); same seed and data give the same scores on CPU.
    max_length:
        keep only the first ``max_length`` tokens of a resume (None: all).
    device:
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
    threads:
        torch intra-op threads while fitting/predicting. None (default): 1 for AdamW, whose
        per-step operations are tiny (a descheduled second OpenMP thread stalls every op on
        a busy 2-core box: 2 s with 1 thread vs 14 s with 2), and torch's setting for
        newton, whose sparse products over the whole corpus are ~2.5x faster on 2 threads.
    tokenizer_path:
        local model directory of the vocabulary (None: the packaged bert-base vocabulary).

    Fitted attributes: ``history_`` (AdamW: mean training BCE per epoch; newton: the final
    mean BCE), ``objective_`` (newton: sum over classes of F_k), ``n_iter_``,
    ``converged_``, ``train_seconds_`` (optimisation only), ``featurize_seconds_``,
    ``n_classes_``, ``label_names_``, ``n_features_``, ``net_``.
    """

    name = "bow"

    def __init__(
        self,
        *,
        solver: str | None = None,
        C: float = 1.0,
        tol: float = 1e-3,
        epochs: int | None = None,
        lr: float = 0.1,
        batch_size: int | None = None,
        weight_decay: float = 0.0,
        hidden: int = 0,
        features: str = "log1p",
        normalize: bool = False,
        seed: int = 0,
        lr_schedule: str = "linear",
        max_length: int | None = None,
        device: str = "auto",
        threads: int | None = None,
        tokenizer_path: str | None = None,
    ) -> None:
        if solver is None:
            # Asking for epochs (or a hidden layer) asks for the epoch-trained firm; nothing
            # given is silently ignored.
            solver = "adamw" if epochs is not None or hidden else "newton"
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {', '.join(SOLVERS)}, got {solver!r}")
        if solver == "newton" and epochs is not None:
            raise ValueError("epochs apply to solver='adamw'; the newton solver runs to the optimum (leave epochs unset)")
        _check_positive(("C", C), ("tol", tol))
        if solver == "newton" and hidden:
            raise ValueError("hidden > 0 is not convex: it needs solver='adamw'")
        self.solver, self.C, self.tol = solver, float(C), float(tol)
        self.epochs = _check_int("epochs", 10 if epochs is None else epochs, 1)
        self.batch_size = None if batch_size is None else _check_int("batch_size", batch_size, 1)
        self.hidden = _check_int("hidden", hidden, 0)
        self.seed = _check_int("seed", seed, 0)
        _check_positive(("lr", lr))
        if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float)) or not (np.isfinite(weight_decay) and weight_decay >= 0):
            raise ValueError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
        if features not in FEATURES:
            raise ValueError(f"features must be one of {', '.join(FEATURES)}, got {features!r}")
        if device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
        if device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device='cuda' but torch sees no CUDA device")
        if lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(SCHEDULES)}, got {lr_schedule!r}")
        self.lr = float(lr)
        self.lr_schedule = lr_schedule
        self.weight_decay = float(weight_decay)
        self.features = features
        self.normalize = bool(normalize)
        self.max_length = None if max_length is None else _check_int("max_length", max_length, 1)
        self.device = device
        self.threads = None if threads is None else _check_int("threads", threads, 1)
        self.tokenizer_path = None if tokenizer_path is None else str(tokenizer_path)

    # -- features -----------------------------------------------------------------
    def _torch_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    def featurize(self, inputs: Sequence[str] | TextDataset) -> _Csr:
        """Sparse feature rows of the texts (token counts from the shared cache)."""
        texts = inputs.texts if isinstance(inputs, TextDataset) else list(inputs)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("BowLearner takes a TextDataset or a list of str")
        rows = DEFAULT_CACHE.rows(texts, self.tokenizer_path, self.max_length)
        vocab = load_fast_tokenizer(self.tokenizer_path).get_vocab_size()
        return _featurize(rows, self.features, self.normalize, vocab)

    # -- protocol -----------------------------------------------------------------
    def fit(self, train: TextDataset) -> "BowLearner":
        """Minimise the mean per-class BCE on ``train`` (paper Section 5: the firm's A(P))."""
        if not isinstance(train, TextDataset):
            raise TypeError(f"BowLearner.fit takes a TextDataset, got {type(train).__name__}")
        if len(train) == 0:
            raise ValueError("cannot fit on an empty dataset")
        t0 = time.perf_counter()
        X = self.featurize(train)
        t1 = time.perf_counter()
        if self.solver == "newton":
            return self._fit_newton(train, X, t0, t1)
        n, k = train.labels.shape
        batch = self.batch_size or _auto_batch(n)
        dev = self._torch_device()
        gen = torch.Generator().manual_seed(self.seed)
        prior = np.clip(train.labels.mean(axis=0), 1e-3, 1 - 1e-3)
        prior_logit = torch.from_numpy(np.log(prior / (1 - prior)).astype(np.float32))
        y = torch.from_numpy(train.labels.astype(np.float32)).to(dev)
        history: list[float] = []
        with _torch_threads(1 if self.threads is None else self.threads):
            net = _BowNet(X.n_cols, k, self.hidden, prior_logit, gen).to(dev)
            opt = _adamw(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            n_steps = self.epochs * -(-n // batch)
            # Linear decay to 0, the standard fine-tuning schedule of Section 5.1: large early
            # steps, then a settled optimum instead of an Adam random walk around it.
            sched = torch.optim.lr_scheduler.LambdaLR(
                opt, (lambda step: 1.0 - step / n_steps) if self.lr_schedule == "linear" else (lambda step: 1.0)
            )
            loss_fn = nn.BCEWithLogitsLoss()
            # Full batch: the sparse operands are built once, not once per step.
            full = X.pair(dev) if batch >= n else None
            net.train()
            for _ in range(self.epochs):
                order = torch.randperm(n, generator=gen).numpy()
                total = 0.0
                for start in range(0, n, batch):
                    rows = order[start : start + batch]
                    if full is not None:
                        operands, target = full, y
                    else:
                        operands, target = X.take(rows).pair(dev), y[torch.from_numpy(rows).to(dev)]
                    opt.zero_grad(set_to_none=True)
                    if net.head is None:
                        loss = _linear_bce_step(net, operands, target)
                    else:
                        loss = loss_fn(net(*operands), target)
                        loss.backward()
                    opt.step()
                    sched.step()
                    total += loss.item() * len(rows)
                history.append(total / n)
        # Scores are computed in float64: a row's score then does not depend (beyond
        # 1e-12) on which other rows share its batch, and small probabilities keep digits.
        self.n_iter_, self.converged_, self.objective_ = self.epochs, True, float("nan")
        return self._fitted(net, train, X, history, t0, t1)

    def _fitted(self, net: _BowNet, train: TextDataset, X: _Csr, history: list[float], t0: float, t1: float) -> "BowLearner":
        self.net_ = net.double().eval()
        self.n_classes_ = train.labels.shape[1]
        self.label_names_ = train.label_names
        self.n_features_ = X.n_cols
        self.history_ = history
        self.featurize_seconds_ = t1 - t0
        self.train_seconds_ = time.perf_counter() - t1
        return self

    def _fit_newton(self, train: TextDataset, X: _Csr, t0: float, t1: float) -> "BowLearner":
        """The convex problem on the columns that occur in ``train`` (others have weight 0 at the optimum)."""
        from acsim.platform.learners._newton import newton_logistic

        dev = self._torch_device()
        used = np.flatnonzero(np.bincount(X.indices, minlength=X.n_cols))
        local = np.zeros(X.n_cols, dtype=np.int64)
        local[used] = np.arange(len(used))
        Xu = _Csr(X.indptr, local[X.indices], X.values, len(used))
        XT = Xu.transpose()
        X2T = _Csr(XT.indptr, XT.indices, XT.values * XT.values, XT.n_cols)
        y = torch.from_numpy(train.labels.astype(np.float64)).to(dev)
        with _torch_threads(self.threads):
            res = newton_logistic(Xu.torch(dev), XT.torch(dev), X2T.torch(dev), y, C=self.C, rtol=self.tol)
        k = train.labels.shape[1]
        net = _BowNet(X.n_cols, k, 0, torch.zeros(k), torch.Generator())
        with torch.no_grad():
            net.weight.zero_()
            net.weight[torch.from_numpy(used)] = res.weight.to(net.weight.dtype).cpu()
            net.bias.copy_(res.bias.cpu())
        self.objective_ = float(res.objective.sum())
        self.n_iter_, self.converged_ = res.iterations, res.converged
        penalty = 0.5 / (self.C * len(train)) * float((res.weight**2).sum())
        return self._fitted(net, train, X, [(self.objective_ - penalty) / k], t0, t1)

    def predict_scores(self, inputs: Sequence[str] | TextDataset) -> np.ndarray:
        """Per-class probabilities ``(n, K)`` in [0, 1]: the sigmoid of the logits."""
        if not hasattr(self, "net_"):
            raise RuntimeError("BowLearner is not fitted; call fit(train) first")
        X = self.featurize(inputs)
        dev = next(self.net_.parameters()).device
        out = np.empty((X.n_rows, self.n_classes_), dtype=np.float64)
        chunk = 8192
        with _torch_threads(self.threads if self.threads is not None or self.solver == "newton" else 1), torch.no_grad():
            for start in range(0, X.n_rows, chunk):
                rows = np.arange(start, min(start + chunk, X.n_rows))
                logits = self.net_(X.take(rows).torch(dev, torch.float64), None)
                out[rows] = torch.sigmoid(logits).cpu().numpy()
        return out

    def __repr__(self) -> str:
        if self.solver == "newton":
            return f"BowLearner(solver='newton', C={self.C:g}, tol={self.tol:g}, features={self.features!r}, device={self.device!r})"
        return (
            f"BowLearner(solver='adamw', epochs={self.epochs}, lr={self.lr:g}, batch_size={self.batch_size}, "
            f"weight_decay={self.weight_decay:g}, hidden={self.hidden}, features={self.features!r}, "
            f"seed={self.seed}, device={self.device!r})"
        )
