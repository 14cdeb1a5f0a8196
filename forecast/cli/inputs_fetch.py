"""``vnaqi inputs fetch``: download a cycle's NWP and CTM inputs (for cron: idempotent, exit codes say what to do)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from configs.sources import load_sources
from forecast.cli.common import HomeOption, console, err_console, home_layout, run_guarded
from forecast.cli.inputs import inputs_app
from forecast.cycles import latest_cycle, parse_cycle
from met_inputs.fetch import FetchReport, cycle_folder, fetch_cycle

_STYLE = {"complete": "green", "skipped": "green", "late": "yellow", "failed": "bold red"}


def _parse(cycle: str) -> pd.Timestamp:
    if cycle.strip().lower() == "latest":
        return latest_cycle(pd.Timestamp.now(tz="UTC"))
    return parse_cycle(cycle)


@inputs_app.command("fetch")
def fetch_command(
    cycle: Annotated[
        str,
        typer.Option("--cycle", help="Cycle id such as `2026-11-22T00Z`, or `latest` (most recent 00/12 UTC)."),
    ],
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Fetch only this source (repeatable); may name a disabled one."),
    ] = None,
    sources_file: Annotated[
        Path | None,
        typer.Option("--sources-file", help="Sources YAML (default: `<home>/sources.yaml`, else the packaged one)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of a table.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
    home: HomeOption = None,
) -> None:
    """Fetch the gridded inputs of one cycle into `<home>/inputs/<cycle>/<source>/`.

    Safe to run again and again (e.g. from cron every 20 minutes): files already complete are
    verified by SHA-256 and kept, interrupted downloads resume. Exit code **0** all requested
    sources complete, **3** some not published yet (late: try again later), **1** a source
    failed, **2** bad input or configuration.
    """
    layout = home_layout(home)
    cycle_ts = run_guarded(_parse, cycle)
    config = run_guarded(load_sources, sources_file, layout.root)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True, disable=not progress) as bar:
        tasks: dict[str, int] = {}

        def on_progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(escape(name), total=total)
            bar.update(tasks[name], completed=done, total=total)

        report = run_guarded(fetch_cycle, layout, config, cycle_ts, only=source, progress=on_progress)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=1))
    else:
        _print_report(report, cycle_folder(layout, config, cycle_ts))
    raise typer.Exit(report.exit_code)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def _print_report(report: FetchReport, folder: Path) -> None:
    table = Table(title=escape(f"Inputs of {report.cycle:%Y-%m-%dT%HZ} in {folder}"))
    for name, justify in [
        ("source", "left"),
        ("kind", "left"),
        ("status", "left"),
        ("files", "right"),
        ("fetched", "right"),
        ("size", "right"),
        ("time", "right"),
        ("due", "left"),
    ]:
        table.add_column(name, justify=justify)
    for r in report.results:
        due = "-" if r.expected_at is None else f"{r.expected_at:%m-%d %H:%M}Z"
        table.add_row(
            escape(r.name),
            r.kind,
            f"[{_STYLE[r.status]}]{r.status}[/]",
            str(r.files),
            str(r.fetched),
            _size(r.bytes),
            f"{r.seconds:.1f} s",
            due,
        )
    console.print(table)
    # Reasons in full below the table, one line each (not folded into a narrow column: they carry URLs).
    for r in report.results:
        if r.reason:
            console.print(
                f"[{_STYLE[r.status]}]{r.status}[/] {escape(r.name)}: {escape(r.reason)}",
                soft_wrap=True,
                highlight=False,
            )
