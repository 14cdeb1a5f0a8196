"""``vnaqi inputs``: the gridded inputs of a cycle (NWP, CTM, emissions).

Subcommands live in ``inputs_*.py`` modules beside this one and register on :data:`inputs_app`.
"""

from __future__ import annotations

import typer

from forecast.cli import app

inputs_app = typer.Typer(
    help="Gridded inputs of a cycle: fetch them, inspect a file, extract the station cube.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(inputs_app, name="inputs")
