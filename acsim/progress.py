"""How far a long piece of model work has got, for whoever watches it (the dashboard).

Before round 1 a text firm's model loads its corpus, tokenizes every resume and, with a
principal that probes, trains the firm at several collective sizes: tens of seconds at
10,000 workers. The code doing that work calls :func:`report`; whoever runs the work and
wants to show it installs a callback with :func:`watching`. The callback lives in a
context variable, so each thread (each dashboard page) sees only its own, and a report
that nobody watches costs one lookup. Reports never change what the work computes.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Callable, Iterator


@dataclass(frozen=True)
class Progress:
    """``task`` ("Tokenizing resumes"), and where known how many of ``total`` items are ``done``."""

    task: str
    done: int | None = None
    total: int | None = None

    def __str__(self) -> str:
        if self.total is None or self.done is None:
            return self.task
        return f"{self.task}: {self.done:,} of {self.total:,}"


_WATCHER: ContextVar[Callable[[Progress], None] | None] = ContextVar("acsim_progress", default=None)


def report(task: str, done: int | None = None, total: int | None = None) -> None:
    """Tell the watcher of this thread's work (if any) where it stands."""
    watcher = _WATCHER.get()
    if watcher is not None:
        watcher(Progress(task, done, total))


@contextmanager
def watching(callback: Callable[[Progress], None]) -> Iterator[None]:
    """Send this thread's :func:`report` calls to ``callback`` while the block runs."""
    token = _WATCHER.set(callback)
    try:
        yield
    finally:
        _WATCHER.reset(token)
