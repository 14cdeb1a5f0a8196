"""The ``vnaqi`` command: the only place that composes the stages into jobs.

Each subcommand lives in its own module here and registers itself on :data:`app`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from forecast.cli.common import configure_logging

app = typer.Typer(
    name="vnaqi",
    help="VN_AQI forecasting service: observation archive, VN_AQI, 72-hour forecasts.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug messages.")] = False,
) -> None:
    """VN_AQI forecasting service. Every command takes --home DIR (or $VNAQI_HOME) for its state."""
    configure_logging(verbose)


def _register() -> None:
    # Imported for their side effect of adding commands to ``app``.
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if module.name not in {"common"}:
            importlib.import_module(f"{__name__}.{module.name}")


_register()
