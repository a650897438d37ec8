"""Small torch helpers shared by the text firms (imported where they train or score: it loads torch)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import torch


def device_of(name: str) -> torch.device:
    """The device a firm's ``device`` setting names: ``"auto"`` is a GPU where torch sees one."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def autocast(dev: torch.device, bf16: bool) -> Any:
    return torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=bf16)


@contextmanager
def seeded(dev: torch.device, seed: int) -> Iterator[None]:
    """Seed dropout and a head's init without touching the caller's global RNG state."""
    devices = [dev.index if dev.index is not None else torch.cuda.current_device()] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` intra-op threads (None: leave torch's setting), restoring it afterwards.

    On small shared machines one thread is often faster than two (descheduling stalls
    every op), so the firms let the caller pin it for a fit or a prediction.
    """
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
