"""``vnaqi forecast``: a 72 h baseline forecast from the archive, with its VN_AQI."""

from __future__ import annotations

from typing import Annotated

import typer

from forecast.cli import app
from forecast.cli.baseline_job import METHOD_CHOICES, forecast_table, run_baseline_job, skill_table
from forecast.cli.common import HomeOption, console, fail, home_layout, run_guarded, station_registry
from forecast.cycles import parse_cycle


@app.command("forecast")
def forecast_command(
    cycle: Annotated[str, typer.Option(help="Issue time (cycle id), e.g. 2026-11-22T00Z. Uses observations up to it.")],
    method: Annotated[
        str,
        typer.Option(help=f"Baseline: {', '.join(METHOD_CHOICES)}. 'best' picks the lowest recent hindcast RMSE."),
    ] = "best",
    station: Annotated[list[str] | None, typer.Option("--station", help="Only these stations (repeatable).")] = None,
    history_days: Annotated[int, typer.Option(min=3, help="Days of observations to use.")] = 60,
    lang: Annotated[str, typer.Option(help="Table language: vi or en.")] = "vi",
    home: HomeOption = None,
) -> None:
    """Issue a 72-hour baseline forecast (persistence, diurnal persistence or climatology) with hourly and D1–D3 VN_AQI.

    Writes runs/CYCLE/baseline-METHOD-vN/ (forecast.json, manifest.json, forecast.nc) under the home;
    a rerun makes a new version and keeps the old one.
    """
    if lang not in ("vi", "en"):
        raise fail(f"--lang must be vi or en, not {lang!r}")
    layout = home_layout(home)
    registry = run_guarded(station_registry, layout)
    issue = run_guarded(parse_cycle, cycle)
    if station:
        unknown = [s for s in station if s not in registry]
        if unknown:
            raise fail(f"unknown station(s): {', '.join(unknown)}; see `vnaqi stations`")
    run = run_guarded(
        run_baseline_job,
        layout,
        registry,
        issue,
        method=method,
        station_ids=station or None,
        history_days=history_days,
    )
    console.print(skill_table(run.scores, run.choice))
    console.print(forecast_table(run.document, lang))
    console.print(f"Forecast JSON: {run.run_dir / 'forecast.json'}")
