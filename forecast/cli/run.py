"""``vnaqi run``: one operational cycle — inputs, champion models, VN_AQI, products, atomic publication."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecast.cli import app
from forecast.cli.baseline_job import forecast_table
from forecast.cli.common import HomeOption, console, fail, home_layout, run_guarded, station_registry
from forecast.cycles import parse_cycle


@app.command("run")
def run_command(
    cycle: Annotated[str, typer.Option(help="Cycle (NWP initialisation time), e.g. 2026-11-22T00Z.")],
    station: Annotated[list[str] | None, typer.Option("--station", help="Only these stations (repeatable).")] = None,
    no_publish: Annotated[
        bool, typer.Option("--no-publish", help="Write the run but leave the published one.")
    ] = False,
    wait: Annotated[float, typer.Option(min=0, help="Seconds to wait for another cycle running in this home.")] = 0.0,
    config: Annotated[
        Path | None, typer.Option(help="cycle.yaml (default: <home>/cycle.yaml, else the packaged one).")
    ] = None,
    catalogue: Annotated[str | None, typer.Option(help="Run catalogue URL (default: SQLite in the home).")] = None,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow tracking URI (default: the home's store).")] = None,
    lang: Annotated[str, typer.Option(help="Table language: vi or en.")] = "vi",
    home: HomeOption = None,
) -> None:
    """Run one cycle: station cube, observations and input health, station alerts, champion correctors
    (baseline where a pollutant has none), hourly and D1–D3 VN_AQI with category probabilities; write
    runs/CYCLE/forecast-vN/ atomically and release it with its bulletin (products/CYCLE, products/latest) —
    at once, marked "not reviewed", unless cycle.yaml's review.required leaves it for a forecaster's
    approval (a draft bulletin is rendered for them).

    Every fallback taken is listed in the manifest, the catalogue and the forecast JSON. A rerun makes
    a new version and keeps the old one.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from configs.cycle import CycleConfigError, load_cycle_settings
    from forecast.catalogue import CatalogueError
    from forecast.cycle.lock import CycleBusyError
    from forecast.cycle.runner import run_cycle

    if lang not in ("vi", "en"):
        raise fail(f"--lang must be vi or en, not {lang!r}")
    layout = home_layout(home)
    registry = run_guarded(station_registry, layout)
    issue = run_guarded(parse_cycle, cycle)
    try:
        settings = load_cycle_settings(config, layout.root)
    except CycleConfigError as exc:
        raise fail(str(exc)) from exc
    if station:
        unknown = [s for s in station if s not in registry]
        if unknown:
            raise fail(f"unknown station(s): {', '.join(unknown)}; see `vnaqi stations`")
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("cycle", total=None)
        try:
            result = run_guarded(
                run_cycle, layout, registry, issue, settings, station_ids=station or None, catalogue_url=catalogue,
                tracking_uri=tracking_uri, publish=not no_publish, wait_s=wait,
                progress=lambda stage: bar.update(task, description=f"cycle {cycle}: {stage}"),
            )  # fmt: skip
        except (CycleBusyError, CatalogueError) as exc:
            raise fail(str(exc)) from exc
    console.print(forecast_table(result.document, lang))
    if result.released is not None:
        for line in result.released.cap_lines:
            console.print(line)
        state = "reviewed" if result.released.reviewed else "not reviewed by a forecaster"
        console.print(f"Released ({state}): {result.released.release_dir} ← products/{result.run_id.split('/')[0]}")
        console.print(f"Bulletin: {result.released.bulletin_dir / 'bulletin.vi.html'} (and .en.html, .vi.txt, .en.txt)")
    else:
        from forecast.cli.bulletin import render_draft_bulletin

        draft = render_draft_bulletin(layout.root, result.run_id, catalogue)
        console.print(f"Draft bulletin (not released): {draft / 'bulletin.vi.html'}")
        console.print(f"Release it: vnaqi runs approve {result.run_id} --by NAME (or vnaqi runs publish … unreviewed)")
    for fb in result.manifest["fallbacks"]:
        console.print(f"[yellow]fallback[/] {fb['step']}: {fb['detail']}")
    for alert in result.alerts_opened:
        console.print(f"[bold red]alert[/] {alert}")
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in result.manifest["timings_s"].items())
    console.print(f"Run {result.run_id}: {result.run_dir}\nStages: {timings}")
