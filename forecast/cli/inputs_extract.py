"""``vnaqi inputs extract``: the station cube of a cycle as CF NetCDF, with a report of what was missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from configs.sources import SourcesConfigError, load_sources
from forecast.cli.common import HomeOption, console, fail, home_layout, run_guarded, station_registry
from forecast.cli.inputs import inputs_app
from forecast.cycles import parse_cycle
from met_inputs.cf import cf_station_timeseries
from met_inputs.cube_builder import build_station_cube


@inputs_app.command("extract")
def extract_command(
    cycle: Annotated[str, typer.Option(help="Cycle, e.g. 2026-11-22T00Z.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="NetCDF file to write (.nc).")],
    network: Annotated[str, typer.Option(help="Stations of this network.")] = "vietnam",
    station: Annotated[list[str] | None, typer.Option("--station", help="Only these stations (repeatable).")] = None,
    sources_file: Annotated[
        Path | None, typer.Option(help="sources.yaml to use (default: home's, else packaged).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUTPUT if it exists.")] = False,
    home: HomeOption = None,
) -> None:
    """Interpolate the cycle's NWP, CTM and emission inputs to stations and write the cube (station × lead).

    Reads the files that `vnaqi inputs fetch` put under the home's inputs folder, tries sources in
    priority order, falls back to the previous cycle shifted by 12 h, and prints what was used and what
    was missing. The NetCDF is CF (featureType timeSeries) with units, standard names and provenance.
    """
    layout = home_layout(home)
    registry = run_guarded(station_registry, layout)
    issue = run_guarded(parse_cycle, cycle)
    if output.suffix.lower() not in (".nc", ".nc4"):
        raise fail(f"{output}: output must end in .nc")
    if output.exists() and not force:
        raise fail(f"{output} exists; pass --force to overwrite it")
    try:
        sources = load_sources(sources_file, home=layout.root)
    except SourcesConfigError as exc:
        raise fail(str(exc)) from exc
    if network not in {n.name for n in registry.networks}:
        raise fail(f"unknown network {network!r}; configured: {', '.join(n.name for n in registry.networks)}")
    chosen = registry.stations(network=network, kind="air_quality")
    if station:
        unknown = [s for s in station if s not in registry]
        if unknown:
            raise fail(f"unknown station(s): {', '.join(unknown)}; see `vnaqi stations`")
        chosen = [registry.get(s) for s in station]
    cube, report = run_guarded(build_station_cube, layout, issue, chosen, sources)
    if report.used("nwp") is None and report.used("ctm") is None:
        console.print(_report_table(report))
        raise fail(
            f"no NWP or CTM input for cycle {cycle} or the one before under {layout.root / sources.inputs_dir}; "
            "run `vnaqi inputs fetch` first"
        )
    encoded = cf_station_timeseries(
        cube, chosen, issue, title="VN_AQI station input cube", input_report=json.dumps(report.as_dict())
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    encoded.to_netcdf(tmp)
    tmp.replace(output)
    console.print(_report_table(report))
    console.print(
        f"{cube.sizes['station']} stations × {cube.sizes['lead']} leads, {len(cube.data_vars)} variables → {output}"
    )


def _report_table(report) -> Table:
    table = Table(title=f"Inputs of cycle {report.cycle}")
    for col in ("role", "source", "cycle", "status", "files", "reason"):
        table.add_column(col)
    for s in report.sources:
        table.add_row(s.role, s.name, s.cycle, s.status, str(s.files), s.reason[:120])
    for role, missing in report.missing_variables.items():
        if missing:
            table.add_row(role, "", "", "missing", "", ", ".join(missing))
    for fallback in report.fallbacks:
        table.add_row("", "", "", "fallback", "", fallback)
    return table
