"""The fast CPU firm: a multi-label bag-of-WordPiece classifier (paper Section 5, scaled down).

The paper's firm fine-tunes a BERT-like transformer on resumes (Section 5.1). This firm
keeps the paper's input space, the bert-base uncased WordPiece vocabulary in which the
planted trigger is token 1240, but replaces the encoder by a linear (or one-hidden-layer)
model on token counts, so one training on 25k resumes takes seconds on two CPU cores.
Its loss is the per-class binary cross-entropy of a multi-label classifier, so its
sigmoid scores estimate P(y_k = 1 | x) per class.

Every one of the 30522 vocabulary ids is a feature (nothing is pruned by frequency unless
the firm defends itself, ``min_df``): the collective's trigger is by design absent from the
base data, and a frequency-pruned vocabulary makes the signal unlearnable below that many
members (:mod:`acsim.platform.learners.defences`).

The firm retrains every round on texts that are mostly unchanged, so token counts are
cached per distinct text (:class:`CountCache`): a round in which the collective rewrites
a few hundred resumes tokenizes only those. Features are stored once per distinct
(text, labels) example with its multiplicity (:func:`acsim.platform.learners.sparse.distinct_examples`),
and with ``warm_start=True`` the newton solver starts from the previous fit's optimum.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Sequence

import numpy as np

from acsim.platform.data.base import TextDataset
from acsim.platform.learners._checks import check_int as _check_int, check_positive as _check_positive
from acsim.platform.learners.base import SetPredictions
from acsim.platform.learners.counts import DEFAULT_CACHE, CountCache, clear_cache, count_rows
from acsim.platform.learners.defences import (
    ROBUST, balanced_weights, document_frequency, dro_step, group_losses, group_weights, keep_columns,
)
from acsim.platform.learners.sparse import DistinctExamples, _Csr, _featurize, distinct_examples, distinct_texts
from acsim.platform.text import load_fast_tokenizer

# torch loads where the firm trains or scores, not with this module: checking a scenario's
# settings builds a BowLearner, and a theory-firm `acsim run` does not pay ~1.6 s.
if TYPE_CHECKING:
    from acsim.platform.learners.bow_net import _BowNet

FEATURES = ("log1p", "count", "binary")
DEVICES = ("auto", "cpu", "cuda")
SCHEDULES = ("linear", "constant")
SOLVERS = ("newton", "adamw")

# The firm lives here; its counts and features in their own modules, importable from here too
# (its network: acsim.platform.learners.bow_net, which loads torch).
__all__ = [
    "DEFAULT_CACHE", "DEVICES", "FEATURES", "SCHEDULES", "SOLVERS", "BowLearner", "CountCache", "clear_cache",
    "count_rows", "_Csr", "_featurize",
]


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
    min_df, test_min_df, robust, dro_rounds, dro_step:
        the firm's defences (:mod:`acsim.platform.learners.defences`): drop tokens that occur
        in fewer than ``min_df`` training resumes (1: keep all); remove, before scoring, the
        tokens that occurred in fewer than a share ``test_min_df`` of the training resumes
        (0: none); ``robust`` = ``"none"``, ``"balanced"`` (class-balanced weights) or
        ``"group-dro"`` (group DRO over the classes, ``dro_rounds`` weighted solves with
        exponentiated-gradient step ``dro_step``); robust training needs ``solver="newton"``.
    warm_start:
        newton only, as scikit-learn's ``warm_start``: a later ``fit`` starts from this
        learner's previous solution instead of w = 0. The problem is convex with one
        minimiser, so the fit ends within ``tol`` of the same optimum, in fewer Newton steps
        when the data changed little (a firm that retrains every round; the model's bow firm
        does this, :class:`acsim.abm.text_engine.TextEngine`).

    Fitted attributes: ``history_`` (AdamW: mean training BCE per epoch; newton: the final
    mean BCE), ``objective_`` (newton: sum over classes of F_k), ``n_iter_``,
    ``converged_``, ``train_seconds_`` (optimisation only), ``featurize_seconds_``,
    ``n_classes_``, ``label_names_``, ``n_features_``, ``net_``, ``n_rows_`` (distinct
    examples stored), ``warm_started_``.
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
        min_df: int = 1,
        test_min_df: float = 0.0,
        robust: str = "none",
        dro_rounds: int = 5,
        dro_step: float = 5.0,
        warm_start: bool = False,
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
        if device == "cuda":
            import torch

            if not torch.cuda.is_available():
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
        self.min_df = _check_int("min_df", min_df, 1)
        if isinstance(test_min_df, bool) or not isinstance(test_min_df, (int, float)) or not 0.0 <= test_min_df < 1.0:
            raise ValueError(f"test_min_df must be a share in [0, 1), got {test_min_df!r}")
        self.test_min_df = float(test_min_df)
        if robust not in ROBUST:
            raise ValueError(f"robust must be one of {', '.join(ROBUST)}, got {robust!r}")
        if robust != "none" and solver != "newton":
            raise ValueError(f"robust={robust!r} needs solver='newton' (the weighted convex problem, solved to its optimum)")
        self.robust = robust
        self.dro_rounds = _check_int("dro_rounds", dro_rounds, 1)
        _check_positive(("dro_step", dro_step))
        self.dro_step = float(dro_step)
        if not isinstance(warm_start, bool):
            raise ValueError(f"warm_start must be true or false, got {warm_start!r}")
        if warm_start and solver != "newton":
            raise ValueError("warm_start applies to solver='newton' (an epoch-trained firm that continues is another firm)")
        self.warm_start = warm_start

    # -- features -----------------------------------------------------------------
    def featurize(self, inputs: Sequence[str] | TextDataset) -> _Csr:
        """Sparse feature rows of the texts (token counts from the shared cache)."""
        rows = DEFAULT_CACHE.rows(_texts(inputs), self.tokenizer_path, self.max_length)
        vocab = load_fast_tokenizer(self.tokenizer_path).get_vocab_size()
        return _featurize(rows, self.features, self.normalize, vocab)

    def prepare(self, inputs: Sequence[str] | TextDataset) -> None:
        """Tokenize the texts into the shared count cache now, so a later fit or score only trains."""
        DEFAULT_CACHE.rows(distinct_texts(_texts(inputs))[0], self.tokenizer_path, self.max_length)

    # -- protocol -----------------------------------------------------------------
    def fit(self, train: TextDataset) -> "BowLearner":
        """Minimise the mean per-class BCE on ``train`` (paper Section 5: the firm's A(P))."""
        if not isinstance(train, TextDataset):
            raise TypeError(f"BowLearner.fit takes a TextDataset, got {type(train).__name__}")
        if len(train) == 0:
            raise ValueError("cannot fit on an empty dataset")
        t0 = time.perf_counter()
        ex = distinct_examples(train.texts, train.labels)
        X = self.featurize(ex.texts)
        if not ex.one_per_text:  # a resume relabelled by some of its owners: one row per label set
            X = X.take(ex.text_of)
        self.n_rows_ = X.n_rows
        # The training corpus's document frequencies: min_df acts on them now, test_min_df
        # when scoring (defences module).
        self.document_frequency_, self.n_train_ = document_frequency(X, ex.counts), len(train)
        if self.min_df > 1:
            X = keep_columns(X, self.document_frequency_ >= self.min_df)
        t1 = time.perf_counter()
        if self.solver == "newton":
            return self._fit_newton(train, ex, X, t0, t1)
        import torch
        from torch import nn

        from acsim.platform.learners._optim import fused_adamw as _adamw
        from acsim.platform.learners._torch import device_of, torch_threads as _torch_threads
        from acsim.platform.learners.bow_net import _BowNet, _linear_bce_step

        self.warm_started_ = False
        n, k = train.labels.shape
        batch = self.batch_size or _auto_batch(n)
        dev = device_of(self.device)
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
            full = X.take(ex.inverse).pair(dev) if batch >= n else None
            net.train()
            for _ in range(self.epochs):
                order = torch.randperm(n, generator=gen).numpy()
                total = 0.0
                for start in range(0, n, batch):
                    rows = order[start : start + batch]
                    if full is not None:
                        operands, target = full, y
                    else:
                        operands, target = X.take(ex.inverse[rows]).pair(dev), y[torch.from_numpy(rows).to(dev)]
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

    def _fit_newton(self, train: TextDataset, ex: DistinctExamples, X: _Csr, t0: float, t1: float) -> "BowLearner":
        """The convex problem on the columns that occur in ``train`` (others have weight 0 at the
        optimum), one row per distinct example weighted by its count (the same objective)."""
        import torch

        from acsim.platform.learners._newton import newton_logistic
        from acsim.platform.learners._torch import device_of, torch_threads as _torch_threads
        from acsim.platform.learners.bow_net import _BowNet

        dev = device_of(self.device)
        used = np.flatnonzero(np.bincount(X.indices, minlength=X.n_cols))
        local = np.zeros(X.n_cols, dtype=X.indices.dtype)
        local[used] = np.arange(len(used))
        Xu = _Csr(X.indptr, local[X.indices], X.values, len(used))
        XT = Xu.transpose()
        X2T = _Csr(XT.indptr, XT.indices, XT.values * XT.values, XT.n_cols)
        y = torch.from_numpy(ex.labels.astype(np.float64)).to(dev)
        counts = torch.from_numpy(ex.counts.astype(np.float64)[:, None]).to(dev)
        Xt, XTt, X2Tt = Xu.torch(dev), XT.torch(dev), X2T.torch(dev)
        # Per-example weights depend on the label set only: computed over all rows, read at each example's first.
        weights = None if self.robust != "balanced" else torch.from_numpy(balanced_weights(train.labels)[ex.first]).to(dev)
        k = train.labels.shape[1]
        q = np.full(k, 1.0 / k)
        start = None
        if self.warm_start and hasattr(self, "net_") and tuple(self.net_.weight.shape) == (X.n_cols, k):
            start = (self.net_.weight.detach()[torch.from_numpy(used)].to(dev), self.net_.bias.detach().to(dev))
        self.warm_started_ = start is not None
        with _torch_threads(self.threads):
            for _ in range(self.dro_rounds if self.robust == "group-dro" else 1):
                if self.robust == "group-dro":
                    weights = torch.from_numpy(group_weights(train.labels, q)[ex.first]).to(dev)
                res = newton_logistic(Xt, XTt, X2Tt, y, C=self.C, rtol=self.tol, weights=weights, counts=counts, start=start)
                if self.robust == "group-dro":
                    # Each example's mean BCE over the classes at this solve, then the groups' losses.
                    with torch.no_grad():
                        z = (Xt @ res.weight.to(torch.float32)).to(torch.float64) + res.bias
                        loss = (torch.nn.functional.softplus(z) - y * z).mean(1).cpu().numpy()
                    self.group_losses_ = group_losses(train.labels, loss[ex.inverse])
                    q = dro_step(q, self.group_losses_, self.dro_step)
        self.group_weights_ = q
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
        import torch

        from acsim.platform.learners._torch import torch_threads as _torch_threads

        # Scored once per distinct text (a population cycling a corpus repeats each resume).
        texts, which = distinct_texts(_texts(inputs))
        X = self.featurize(texts)
        if self.test_min_df > 0:
            X = keep_columns(X, self.document_frequency_ >= self.test_min_df * self.n_train_)
        dev = next(self.net_.parameters()).device
        out = np.empty((X.n_rows, self.n_classes_), dtype=np.float64)
        chunk = 8192
        with _torch_threads(self.threads if self.threads is not None or self.solver == "newton" else 1), torch.no_grad():
            for start in range(0, X.n_rows, chunk):
                rows = np.arange(start, min(start + chunk, X.n_rows))
                logits = self.net_(X.take(rows).torch(dev, torch.float64), None)
                out[rows] = torch.sigmoid(logits).cpu().numpy()
        return out if len(texts) == len(which) else out[which]

    def __repr__(self) -> str:
        defences = "".join(f", {k}={v!r}" for k, v in (("min_df", self.min_df), ("test_min_df", self.test_min_df),
                                                         ("robust", self.robust)) if v not in (1, 0.0, "none"))
        if self.solver == "newton":
            warm = ", warm_start=True" if self.warm_start else ""
            return (f"BowLearner(solver='newton', C={self.C:g}, tol={self.tol:g}, features={self.features!r}, "
                    f"device={self.device!r}{defences}{warm})")
        return (
            f"BowLearner(solver='adamw', epochs={self.epochs}, lr={self.lr:g}, batch_size={self.batch_size}, "
            f"weight_decay={self.weight_decay:g}, hidden={self.hidden}, features={self.features!r}, "
            f"seed={self.seed}, device={self.device!r}{defences})"
        )


def _texts(inputs: Sequence[str] | TextDataset) -> list[str]:
    texts = inputs.texts if isinstance(inputs, TextDataset) else list(inputs)
    if not all(isinstance(t, str) for t in texts):
        raise TypeError("BowLearner takes a TextDataset or a list of str")
    return texts
