"""``vnaqi serve``: the HTTP API (``/v1``) and the forecasters' dashboard (``/dashboard``) on uvicorn, over one
home's catalogue and published products."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from forecast.cli import app
from forecast.cli.common import HomeOption, console, fail

APP_FACTORY = "api.app:app_from_env"


def uvicorn_options(
    home: Path, *, host: str, port: int, workers: int, access_log: bool = False, log_level: str = "info"
) -> dict[str, Any]:
    """Keyword arguments of ``uvicorn.run`` for ``workers`` processes serving ``home``.

    The workers build their app with :func:`api.app.app_from_env`, which reads the home from
    ``$VNAQI_HOME`` (set by :func:`serve_command` before starting them). No access log by default:
    ``/metrics`` counts requests, and a log line per request costs a fifth of a fast request's time.
    """
    return {
        "app": APP_FACTORY,
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "access_log": access_log,
        "log_level": log_level,
        "server_header": False,
        "timeout_keep_alive": 5,
    }


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (about one per core).")] = 1,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request (slower).")] = False,
    home: HomeOption = None,
) -> None:
    """Serve the public API /v1 (stations, forecasts, bulletins, CAP alerts, runs, verification, /healthz,
    /metrics, /docs) from the home's catalogue and published products, the forecasters' writes (log in,
    override, approve, publish, rerun; accounts from `vnaqi users`) and the dashboard at /dashboard.
    Settings: HOME/api.yaml, else the packaged configs/api.yaml. See docs/api.md and docs/dashboard.md."""
    import uvicorn

    from configs.api import ApiConfigError, load_api_settings
    from configs.settings import HOME_ENV, resolve_home

    root = resolve_home(home)
    if not root.is_dir():
        raise fail(f"home {root} does not exist; make one with `vnaqi run` or `vnaqi demo` first")
    try:
        load_api_settings(home=root)  # fail here with the file's name, not in every worker
    except ApiConfigError as exc:
        raise fail(str(exc)) from exc
    os.environ[HOME_ENV] = str(root)  # the workers' app factory reads it
    options = uvicorn_options(root, host=host, port=port, workers=workers, access_log=access_log)
    console.print(f"Serving {root} on http://{host}:{port}/v1 ({workers} worker(s)); docs at /docs, "
                  f"forecasters' dashboard at /dashboard", highlight=False)  # fmt: skip
    uvicorn.run(**options)
