"""``vnaqi stations``: the configured station networks."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from forecast.cli import app
from forecast.cli.common import HomeOption, console, home_layout, run_guarded, station_registry


@app.command("stations")
def stations_command(
    home: HomeOption = None,
    network: Annotated[str | None, typer.Option(help="Only this network (e.g. vietnam, beijing).")] = None,
) -> None:
    """List the configured stations: id, names, coordinates, network and linked weather station."""
    layout = home_layout(home)
    registry = run_guarded(station_registry, layout)
    known = {n.name for n in registry.networks}
    if network is not None and network not in known:
        from forecast.cli.common import fail

        raise fail(f"unknown network {network!r}; configured: {', '.join(sorted(known))}")
    table = Table(title="Stations", show_lines=False)
    for col in ("id", "name", "network", "kind", "lat", "lon", "zone", "met from"):
        table.add_column(col)
    for station in registry.stations(network=network):
        approx = "~" if station.coordinates_approximate else ""
        table.add_row(
            station.id,
            station.name_vi,
            registry.network_of(station.id),
            station.kind,
            f"{approx}{station.latitude:.4f}",
            f"{approx}{station.longitude:.4f}",
            station.time_zone,
            registry.met_station_for(station.id) or "-",
        )
    console.print(table)
    console.print("~ = approximate coordinates")
