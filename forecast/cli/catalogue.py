"""``vnaqi runs``, ``vnaqi runs show RUN_ID`` and ``vnaqi alerts``: read the run catalogue."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from forecast.catalogue import STATUSES, URL_ENV, CatalogueError, RunCatalogue, RunRecord
from forecast.cli import app
from forecast.cli.common import HomeOption, console, fail, home_layout

CatalogueOption = Annotated[
    str | None,
    typer.Option(
        "--catalogue",
        envvar=URL_ENV,
        help="Run catalogue database URL, e.g. postgresql+psycopg://user:password@host/vnaqi "
        "(default: HOME/catalogue.sqlite).",
        show_default=False,
    ),
]
STATUS_STYLE = {
    "running": "yellow", "failed": "bold red", "complete": "cyan", "approved": "blue", "published": "bold green",
    "superseded": "dim",
}  # fmt: skip

runs_app = typer.Typer(help="Forecast runs in the run catalogue.", add_completion=False)
app.add_typer(runs_app, name="runs")


def _open(home: Path | None, url: str | None) -> RunCatalogue | None:
    """The catalogue, or None when the default SQLite file does not exist yet (nothing is created by a read)."""
    layout = home_layout(home)
    if url is None and not layout.catalogue.exists():
        return None
    try:
        return RunCatalogue(url=url, home_root=layout.root)
    except CatalogueError as exc:
        raise fail(str(exc)) from exc


def _time(value: datetime | None, seconds: bool = True) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%SZ" if seconds else "%Y-%m-%d %H:%MZ")


def _status(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, '')}]{status}[/]"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _text(value: object) -> str:
    return "-" if value in (None, "") else escape(str(value))


def runs_table(runs: list[RunRecord], caption: str) -> Table:
    """One row per run, newest first."""
    table = Table(title="Runs", title_justify="left", caption=caption, caption_justify="left")
    for name, justify in [
        ("Run", "left"), ("Status", "left"), ("Started (UTC)", "left"), ("Took (s)", "right"),
        ("Fallbacks", "right"), ("Approved by", "left"), ("Published (UTC)", "left"),
    ]:  # fmt: skip
        table.add_column(name, justify=justify)
    # Run ids are copied into `vnaqi runs show`: never cut them; narrow terminals wrap the other columns.
    table.columns[0].no_wrap, table.columns[0].min_width = True, max((len(r.run_id) for r in runs), default=3)
    table.columns[1].no_wrap, table.columns[1].min_width = True, max(len(s) for s in STATUSES)
    for run in runs:
        table.add_row(
            escape(run.run_id), _status(run.status), _time(run.started_at, False), _seconds(run.seconds),
            str(len(run.fallbacks)), _text(run.approved_by), _time(run.published_at, False),
        )  # fmt: skip
    return table


@runs_app.callback(invoke_without_command=True)
def runs_command(
    ctx: typer.Context,
    cycle: Annotated[str | None, typer.Option(help="Only runs of this cycle, e.g. 2026-11-22T00Z.")] = None,
    status: Annotated[str | None, typer.Option(help=f"Only runs with this status: {', '.join(STATUSES)}.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs.")] = 50,
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """List runs, newest cycle first: status, timings, fallbacks, approval, publication."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"catalogue": catalogue, "home": home}
        return
    cat = _open(home, catalogue)
    if cat is None:
        console.print("No runs yet: the run catalogue does not exist.")
        return
    with cat:
        try:
            runs = cat.runs(cycle=cycle, status=status, limit=limit)
        except (CatalogueError, ValueError) as exc:
            raise fail(str(exc)) from exc
    if not runs:
        console.print(f"No runs in the run catalogue {escape(cat.url)} matching the filters.")
        return
    console.print(runs_table(runs, f"{len(runs)} run(s); catalogue {escape(cat.url)}"))


@runs_app.command("show")
def show_command(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id, e.g. 2026-11-22T00Z/forecast-v2 (see `vnaqi runs`).")],
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """One run in full: status history, stage timings, fallbacks taken and model versions."""
    parent = ctx.obj or {}
    cat = _open(home or parent.get("home"), catalogue or parent.get("catalogue"))
    if cat is None:
        raise fail(f"no run {run_id!r}: the run catalogue does not exist yet")
    with cat:
        try:
            run, history = cat.get(run_id), cat.history(run_id)
        except CatalogueError as exc:
            raise fail(str(exc)) from exc

    summary = Table(title=f"Run {escape(run.run_id)}", title_justify="left", show_header=False)
    summary.add_column("field", style="bold")
    summary.add_column("value")
    approved = f"{_text(run.approved_by)} at {_time(run.approved_at)}" if run.approved_by else "-"
    if run.approval_note:
        approved += f" ({escape(run.approval_note)})"
    published = f"{_time(run.published_at)} by {_text(run.published_by)}" if run.published_at else "-"
    for field, value in [
        ("Cycle", run.cycle), ("Name", run.name), ("Version", str(run.version)), ("Status", _status(run.status)),
        ("Started (UTC)", _time(run.started_at)), ("Finished (UTC)", _time(run.finished_at)),
        ("Took (s)", _seconds(run.seconds)), ("Path", _text(run.path)), ("Error", _text(run.error)),
        ("Approved", approved), ("Published", published),
        ("Config", escape(json.dumps(run.config, ensure_ascii=False)) if run.config else "-"),
    ]:  # fmt: skip
        summary.add_row(field, value)
    console.print(summary)

    events = Table(title="Status history", title_justify="left")
    for name in ("When (UTC)", "From", "To", "By", "Note"):
        events.add_column(name)
    for e in history:
        events.add_row(_time(e.at), _text(e.previous), _status(e.status), _text(e.by), _text(e.note))
    console.print(events)

    if run.stages:
        stages = Table(title="Stage timings", title_justify="left")
        stages.add_column("Stage")
        stages.add_column("Seconds", justify="right")
        for stage, seconds in run.stages.items():
            stages.add_row(escape(stage), f"{seconds:.2f}")
        console.print(stages)
    if run.fallbacks:
        fallbacks = Table(title="Fallbacks taken", title_justify="left")
        for name in ("When (UTC)", "Step", "Detail"):
            fallbacks.add_column(name)
        for f in run.fallbacks:
            fallbacks.add_row(_time(f.at), escape(f.step), escape(f.detail))
        console.print(fallbacks)
    else:
        console.print("No fallbacks taken.")
    if run.models:
        models = Table(title="Model versions", title_justify="left")
        models.add_column("Model")
        models.add_column("Version")
        for key, version in run.models.items():
            models.add_row(escape(key), escape(version))
        console.print(models)


@app.command("alerts")
def alerts_command(
    all_: Annotated[bool, typer.Option("--all", help="Include closed alerts.")] = False,
    station: Annotated[str | None, typer.Option(help="Only alerts of this station id.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many alerts.")] = 200,
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Station alerts (silent station, observed exceedance): open ones, or all with --all; most recent first."""
    cat = _open(home, catalogue)
    if cat is None:
        console.print("No alerts: the run catalogue does not exist yet.")
        return
    with cat:
        try:
            found = cat.alerts(include_closed=all_, station_id=station, limit=limit)
        except (CatalogueError, ValueError) as exc:
            raise fail(str(exc)) from exc
    which = "alerts" if all_ else "open alerts"
    if not found:
        console.print(f"No {which}" + (f" for station {escape(station)}." if station else "."))
        return
    table = Table(title=which.capitalize(), title_justify="left", caption=f"{len(found)} shown", caption_justify="left")
    for name, justify in [
        ("#", "right"), ("Station", "left"), ("Kind", "left"), ("Status", "left"), ("Since (UTC)", "left"),
        ("Last seen (UTC)", "left"), ("Value", "right"), ("Detail", "left"), ("Cycles", "left"),
        ("Closed (UTC)", "left"),
    ]:  # fmt: skip
        table.add_column(name, justify=justify, no_wrap=name in ("#", "Station", "Kind", "Status"))
    for a in found:
        cycles = a.opened_cycle if a.last_cycle == a.opened_cycle else f"{a.opened_cycle} → {a.last_cycle}"
        table.add_row(
            str(a.id), escape(a.station_id), escape(a.kind), "[bold red]open[/]" if a.is_open else "[dim]closed[/]",
            _time(a.first_observed_at, False), _time(a.last_seen_at, False), "-" if a.value is None else f"{a.value:g}",
            escape(a.detail), cycles, _time(a.closed_at, False),
        )  # fmt: skip
    console.print(table)
