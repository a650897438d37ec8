"""What every ``acsim`` command shares: the typer :data:`app`, the consoles, one-line user errors."""

from __future__ import annotations

import contextlib
import functools
import math
import sys
from typing import Callable

import typer

app = typer.Typer(
    help="acsim: algorithmic collective action on a platform that retrains its classifier.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain (click) help: typer's rich help imports rich.markdown and markdown_it, ~90 ms of
    # a ~300 ms `acsim --help` (benchmarks/startup.py).
    rich_markup_mode=None,
)


class _Console:
    """rich's Console, made on first use: importing rich.console is ~30 ms of `acsim --help`."""

    def __init__(self, stderr: bool, piped_width: int) -> None:
        self._stderr, self._piped_width = stderr, piped_width

    def __getattr__(self, name: str):  # only for what the instance lacks: everything rich's Console has
        if name.startswith("_"):
            raise AttributeError(name)
        real = self.__dict__.get("_real")
        if real is None:
            from rich.console import Console

            stream = sys.stderr if self._stderr else sys.stdout
            real = self.__dict__["_real"] = Console(stderr=self._stderr, width=None if stream.isatty() else self._piped_width)
        return getattr(real, name)


def Table(*args, **kwargs):  # noqa: N802 - rich's class, imported when a table is drawn
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


# Piped output (CI logs, files) gets a readable width instead of rich's 80-column default.
console = _Console(stderr=False, piped_width=110)
err_console = _Console(stderr=True, piped_width=200)


def user_errors(fn: Callable) -> Callable:
    """Turn a user's mistake into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, FileNotFoundError, KeyError) as exc:
            err_console.print(f"[bold red]acsim: error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None

    return wrapper


def _check_range(name: str, values, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False, what: str = "") -> None:
    """One line naming the option when a value lies outside [lo, hi] (checked before any work is done)."""
    for v in values:
        v = float(v)
        inside = (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
        if math.isnan(v) or not inside:
            rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}".replace("inf]", "inf)")
            raise ValueError(f"{name} must be in {rng}{f' ({what})' if what else ''}, got {v:g}")


def _floats(text: str, name: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--{name} must be a comma-separated list of numbers, got {text!r}") from None


@contextlib.contextmanager
def batch_outcome(runs_folder):
    """A batch's failure (exit 1, one line) or interruption (exit 130; what is saved and how to resume), said once for every command."""
    from acsim.runs.batch import BatchError  # pandas, mesa: kept out of `acsim --help`

    try:
        yield
    except BatchError as exc:
        err_console.print(f"[bold red]acsim: error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        err_console.print(f"interrupted: finished runs are saved in {runs_folder}; run the same command again to finish the rest")
        raise typer.Exit(code=130) from None


def members_text(r) -> str:
    """The critical mass as members (fits.fit_curves interpolates them between the sizes tried)."""
    m = r.get("members_crit", math.nan)
    if not math.isfinite(m):
        return "–"
    ends = [f"{v:.0f}" if math.isfinite(v) else "–" for v in (r.get("members_low", math.nan), r.get("members_high", math.nan))]
    return f"{m:.0f} [{ends[0]}, {ends[1]}]"


def metric_name(metric: str) -> str:
    """A success column as the tables print it: top-1 success is the backdoor toolkits' ASR."""
    short = str(metric).replace("success_", "")
    return "top1 (ASR)" if short == "top1" else short
