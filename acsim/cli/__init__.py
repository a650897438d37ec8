"""The ``acsim`` command: one module per command, each registered on :data:`app`.

``acsim.cli:app`` is the console entry point (pyproject.toml) and :func:`run` the one of
``python -m acsim``. The commands are listed by ``acsim --help`` in the order their
modules are imported below.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

import acsim
from acsim.cli.common import _check_range, _floats, app, console, err_console, user_errors

__all__ = ["app", "run", "console", "err_console", "user_errors", "_check_range", "_floats"]


def _version(value: bool) -> None:
    if value:
        console.print(f"acsim {acsim.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """acsim: algorithmic collective action on a platform that retrains its classifier."""


# Importing a command's module registers it on `app` (the order is `acsim --help`'s).
from acsim.cli import bounds, experiment, scenario_run, investment, dashboard  # noqa: E402, F401


def run() -> None:  # pragma: no cover - console entry for `python -m acsim`
    app(prog_name="acsim")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
