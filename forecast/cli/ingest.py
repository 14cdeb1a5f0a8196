"""``vnaqi ingest`` and ``vnaqi archive status``: fill the observation archive and see what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from forecast.cli import app
from forecast.cli.common import (
    HomeOption,
    console,
    err_console,
    fail,
    home_layout,
    run_guarded,
    station_registry,
)
from met_inputs.observations.archive import ObservationArchive
from met_inputs.observations.lock import ArchiveBusyError
from met_inputs.observations.qc import QCFlag
from met_inputs.observations.report import IngestReport

archive_app = typer.Typer(help="Inspect the observation archive.", no_args_is_help=True)
app.add_typer(archive_app, name="archive")


def _when(stamp: pd.Timestamp | None) -> str:
    return "-" if stamp is None or pd.isna(stamp) else f"{stamp:%Y-%m-%d %H}Z"


@app.command("ingest")
def ingest_command(
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help="Observation files, or folders (all *.csv / *.parquet below them)."),
    ],
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Overwrite stored values that differ (default: keep them, report)."),
    ] = False,
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="IANA zone of generic files' times written without a UTC offset."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Read, check, QC-flag and store observation files in the archive.

    The format of each file is recognised from its header: StateAir/AirNow US-Embassy files, the UCI
    Beijing files, Visual Crossing weather, or a generic long (station_id,time,pollutant,value[,unit])
    or wide (station_id,time,POLLUTANT...) table. All files are checked before anything is written;
    one bad file stops the whole ingest. Files already ingested (same SHA-256) are skipped.
    """
    layout = home_layout(home)
    registry = run_guarded(station_registry, layout)
    archive = ObservationArchive(layout, registry)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task("reading files", total=None)

            def on_file(path: Path, done: int, total: int) -> None:
                bar.update(task, total=total, completed=done, description=f"read {path.name}")

            report = run_guarded(archive.ingest, paths, registry, replace=replace, tz=tz, progress=on_file)
    except ArchiveBusyError as exc:
        raise fail(str(exc)) from exc
    _print_report(report, layout.archive)


def _print_report(report: IngestReport, root: Path) -> None:
    table = Table(title=escape(f"Ingest into {root}"), show_footer=True)
    table.add_column("file", footer="total")
    table.add_column("format")
    table.add_column("status")
    for name in ("rows", "new", "unchanged", "filled", "conflict", "replaced"):
        footer = str(report.rows if name == "rows" else report.total(name))
        table.add_column(name, justify="right", footer=footer)
    table.add_column("period (UTC, hour-ending)")
    for f in report.files:
        style = "yellow" if f.counts["conflict"] else ("dim" if f.status != "ingested" else None)
        table.add_row(
            escape(f.path.name),
            f.format or "-",
            f.status,
            str(f.rows),
            *(str(f.counts[c]) for c in ("new", "unchanged", "filled", "conflict", "replaced")),
            f"{_when(f.first)} … {_when(f.last)}" if f.first is not None else "-",
            style=style,
        )
    console.print(table)
    flags = report.flag_counts()
    if flags:
        ordered = [f"{flag.name}={flags[flag.name]}" for flag in QCFlag if flag.name in flags]
        console.print("QC flags on ingested rows: " + ", ".join(ordered), highlight=False)
    if report.conflicts:
        conflicts = Table(title="Conflicting rows (stored value kept)" if not report.replace else "Conflicting rows")
        for col in ("file", "station", "variable", "first", "last", "rows"):
            conflicts.add_column(col)
        for c in report.conflicts:
            conflicts.add_row(escape(c.file.name), c.station_id, c.name, _when(c.first), _when(c.last), str(c.rows))
        console.print(conflicts)
        if not report.replace:
            console.print(
                f"[yellow]{report.n_conflicts} row(s) differ from stored values and were not written; "
                "re-run with --replace to overwrite them.[/]"
            )
    skipped = len(report.skipped())
    console.print(
        f"{len(report.files) - skipped} file(s) ingested, {skipped} skipped; "
        f"{report.partitions_written} partition(s) written in {report.seconds:.1f} s.",
        highlight=False,
    )


@archive_app.command("status")
def status_command(
    home: HomeOption = None,
    station: Annotated[list[str] | None, typer.Option("--station", help="Only this station id (repeatable).")] = None,
    met: Annotated[bool, typer.Option("--met", help="Observed meteorology instead of pollutants.")] = False,
) -> None:
    """Per station and pollutant: period, completeness, share passing QC, QC flags and source files."""
    layout = home_layout(home)
    archive = ObservationArchive(layout)
    stations = station or None
    if stations:
        registry = run_guarded(station_registry, layout)
        stations = [run_guarded(registry.get, s).id for s in stations]
    status = archive.met_status(stations) if met else archive.status(stations)
    if status.empty:
        console.print(
            f"The archive in {layout.archive} holds no {'met' if met else 'observations'}"
            f"{' for ' + ', '.join(stations) if stations else ''}."
        )
        return
    name = "variable" if met else "pollutant"
    table = Table(title=escape(f"Archive {layout.archive}"))
    for col, justify in (
        ("station", "left"),
        (name, "left"),
        ("first (UTC)", "left"),
        ("last (UTC)", "left"),
        ("hours", "right"),
        ("expected", "right"),
        ("complete %", "right"),
        ("valid %", "right"),
        ("flags", "left"),
        ("files", "right"),
    ):
        table.add_column(col, justify=justify)
    for row in status.itertuples(index=False):
        flags = ", ".join(f"{f.name}={getattr(row, f.name)}" for f in QCFlag if getattr(row, f.name))
        table.add_row(
            row.station_id,
            getattr(row, name),
            _when(row.first),
            _when(row.last),
            str(row.hours_present),
            str(row.expected_hours),
            f"{row.completeness_pct:.1f}",
            "-" if pd.isna(row.valid_pct) else f"{row.valid_pct:.1f}",
            flags or "-",
            str(len(row.source_files.split(";"))),
        )
    console.print(table)
