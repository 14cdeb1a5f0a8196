"""Options and error handling shared by every ``vnaqi`` subcommand."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from configs.errors import InputFileError
from configs.networks import NetworkConfigError, StationRegistry
from configs.settings import HOME_ENV, HomeLayout, resolve_home

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar=HOME_ENV,
        help="Folder holding all state (archive, runs, catalogue, products). Default: ./vnaqi-home.",
        show_default=False,
    ),
]

# Wide enough for station tables when output goes to a file or a CI log (rich assumes 80 there).
_WIDTH = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "160"))
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)


def home_layout(home: Path | None) -> HomeLayout:
    """The layout of the chosen home (created if missing)."""
    root = resolve_home(home)
    root.mkdir(parents=True, exist_ok=True)
    return HomeLayout(root)


def station_registry(layout: HomeLayout) -> StationRegistry:
    """Packaged networks plus any ``<home>/networks/*.yaml`` of this installation."""
    from configs.networks import registry_for_home

    return registry_for_home(layout.networks)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``message`` as an error and return the exit to raise."""
    from rich.markup import escape

    # Escaped: messages quote file content and units such as "NO2 [ppb]", which is not markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def run_guarded(func, *args, **kwargs):
    """Call ``func``; turn bad-input errors into one clear message and exit code 2."""
    try:
        return func(*args, **kwargs)
    except (InputFileError, NetworkConfigError, KeyError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise fail(str(message)) from exc


LOG_FORMAT_ENV = "VNAQI_LOG_FORMAT"


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record (time UTC, level, logger, message) for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        import json
        from datetime import UTC, datetime

        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(verbose: bool) -> None:
    """Plain log lines on a terminal, JSON lines otherwise (``$VNAQI_LOG_FORMAT=text|json`` overrides)."""
    wanted = os.environ.get(LOG_FORMAT_ENV) or ("text" if sys.stderr.isatty() else "json")
    handler = logging.StreamHandler()
    if wanted == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler])
