"""``vnaqi inputs inspect FILE``: what a GRIB/NetCDF input holds and whether the service can use it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from configs.schema import CTM_VARIABLES
from forecast.cli.common import console, fail, run_guarded
from forecast.cli.inputs import inputs_app


@inputs_app.command("inspect")
def inspect_command(
    file: Annotated[Path, typer.Argument(help="A GRIB1/GRIB2 or NetCDF file (NWP or CTM).", show_default=False)],
    read: Annotated[
        bool, typer.Option("--read/--no-read", help="Also read the file through its reader to confirm it is usable.")
    ] = True,
) -> None:
    """Show what FILE holds: parameters (provider name → our name), level types and levels, steps,
    grid, units, initial time(s); and whether the service can use it.

    Exit code 0: usable; 1: readable but cannot be used (the reason is printed); 2: unreadable.
    """
    from met_inputs.sources.inspect import describe

    if not file.is_file():
        raise fail(f"{file}: no such file")
    desc = run_guarded(describe, file, read=read)
    console.print(f"[bold]{escape(str(desc.path))}[/]")
    console.print(f"format: {escape(desc.format)}; reader convention: [bold]{desc.convention}[/]")
    for grid in desc.grids:
        console.print(f"grid: {escape(grid)}")
    if desc.init_times:
        console.print(f"initial time(s): {escape(', '.join(desc.init_times[:6]))}")
    table = Table(show_lines=False)
    for column in ("provider", "ours", "level type / dims", "levels", "step type", "steps [h]", "units", "msgs"):
        table.add_column(escape(column))
    for e in desc.entries:
        table.add_row(
            escape(e.provider),
            e.ours,
            escape(e.level_type),
            e.levels,
            e.step_type,
            e.steps,
            escape(e.units),
            str(e.count),
        )
    console.print(table)
    if desc.usable:
        ctm = [v for v in desc.provides if v in CTM_VARIABLES]
        nwp = [v for v in desc.provides if v not in CTM_VARIABLES]
        parts = [f"NWP {', '.join(nwp)}" if nwp else "", f"CTM {', '.join(ctm)}" if ctm else ""]
        console.print(f"[green]usable[/]: provides {'; '.join(p for p in parts if p)}")
        return
    console.print(f"[bold red]cannot use[/]: {escape(str(desc.problem))}", soft_wrap=True)
    raise typer.Exit(1)
