"""``acsim dashboard``: the Solara app, started by :mod:`acsim.cli.serve`."""

from __future__ import annotations

from typing import Optional

import typer

from acsim.cli.common import app, user_errors
from acsim.cli.serve import launch


@app.command()
@user_errors
def dashboard(
    scenario: Optional[str] = typer.Argument(None, help="Scenario file or shipped name to load into the controls."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind (localhost by default)."),
    port: int = typer.Option(8765, help="Port."),
    open_browser: bool = typer.Option(False, "--open", help="Open a browser."),
) -> None:
    """Watch a collective form, round by round (the Solara dashboard)."""
    raise typer.Exit(launch(scenario, host=host, port=port, open_browser=open_browser))
