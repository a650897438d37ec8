"""The optimisers of the text firms: AdamW (fused where torch has it), its schedule, TF32."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import torch
from torch import nn


def fused_adamw(params: Iterator[nn.Parameter] | list[dict[str, Any]], **kw: Any) -> torch.optim.Optimizer:
    """AdamW (parameters or parameter groups) with the fused kernel where torch has it (CPU too since torch 2.4).

    The linear model's step updates the whole vocabulary x classes weight every step; the
    unfused update is ~6 element-wise passes over it, which made it the largest cost of a
    training (0.46 s -> 0.30 s for 10k resumes, ``benchmarks/README.md``).
    """
    params = list(params)
    try:
        return torch.optim.AdamW(params, fused=True, **kw)
    except (TypeError, RuntimeError):
        return torch.optim.AdamW(params, **kw)


@contextmanager
def tf32(enabled: bool) -> Iterator[None]:
    """TF32 matmuls for whatever runs outside bf16 autocast, the caller's setting restored after.

    ``set_float32_matmul_precision`` rather than ``allow_tf32``: recent torch releases
    refuse to mix the legacy flag with the newer per-backend ``fp32_precision`` API.
    """
    if not enabled:
        yield
        return
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)


def param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    # As Trainer does: no decay on biases and LayerNorm gains, which decay would only shrink.
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "LayerNorm" in name or "layer_norm" in name else decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]




def finetune_adamw(model: nn.Module, weight_decay: float, lr: float) -> torch.optim.Optimizer:
    """The transformer's AdamW (Trainer's betas and eps), fused wherever torch has it.

    On a CPU too (torch >= 2.4), as ``Trainer``'s default ``adamw_torch_fused``: for MiniLM's
    22.7 M parameters the unfused step took 69–77 ms against 14–15 ms fused on 2 cores
    (``benchmarks/adamw_step.py``), a sixth of a batch-8 bf16 step at 128 tokens
    (``benchmarks/README.md``, the tuned ``Trainer`` baseline).
    """
    return fused_adamw(param_groups(model, weight_decay), lr=lr, betas=(0.9, 0.999), eps=1e-8)  # type: ignore[arg-type]


def warmup_linear_decay(opt: torch.optim.Optimizer, warmup_steps: int, total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over ``warmup_steps``, then linear decay to 0 at ``total_steps`` (Trainer's default)."""

    def lr_lambda(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
