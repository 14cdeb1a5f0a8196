"""``vnaqi alert emergency``, ``vnaqi alert drill`` and ``vnaqi alert list``: CAP 1.2 emergency alerts.

The messages and their ledger live in ``<home>/alerts/cap/`` (see docs/cap.md). Station alerts of the
cycle (silent station, observed exceedance) are ``vnaqi alerts``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bulletins.cap import DEFAULT_BASE_URL, DEFAULT_SENDER, CapError, CapMessage
from bulletins.cap_ledger import CapLedgerError, cap_folder, read_ledger
from bulletins.cap_rule import ForecastDocumentError
from forecast.cli import app
from forecast.cli.catalogue import CatalogueOption
from forecast.cli.common import HomeOption, console, fail, home_layout, station_registry

SenderOption = Annotated[
    str,
    typer.Option("--sender", envvar="VNAQI_CAP_SENDER", help="CAP sender id (no spaces, commas, '<' or '&')."),
]
BaseUrlOption = Annotated[
    str,
    typer.Option(
        "--base-url", envvar="VNAQI_CAP_BASE_URL",
        help="Public base URL; each message's web link is BASE/cap/IDENTIFIER.xml.",
    ),
]  # fmt: skip
RadiusOption = Annotated[float, typer.Option("--radius-km", min=0.0, help="Radius of each station's CAP circle [km].")]

alert_app = typer.Typer(help="CAP 1.2 emergency alerts (VN_AQI ≥ 300 for 3 days) and drills.", add_completion=False,
                        no_args_is_help=True)  # fmt: skip
app.add_typer(alert_app, name="alert")


def _issued_table(messages: list[CapMessage], folder: Path, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("Identifier", "Status", "Type", "Area", "File"):
        table.add_column(name, no_wrap=name in ("Identifier", "Status", "Type"))
    for m in messages:
        area = m.infos[0].areas[0].desc if m.infos and m.infos[0].areas else "-"
        table.add_row(escape(m.identifier), m.status, m.msg_type, escape(area), escape(str(folder / m.filename)))
    return table


def _run_dir(home: Path, run: str) -> Path:
    """A run folder given as a path, or a run id (``2026-11-22T00Z/forecast-v2``) under ``HOME/runs``."""
    path = Path(run).expanduser()
    if path.is_dir():
        return path.resolve()
    by_id = home / "runs" / run
    if by_id.is_dir():
        return by_id
    raise fail(f"no run folder {run!r}: neither a folder nor a run id under {home / 'runs'} (see `vnaqi runs`)")


@alert_app.command("emergency")
def emergency_command(
    run: Annotated[str, typer.Option("--run", help="Run folder, or run id such as 2026-11-22T00Z/forecast-v2.")],
    sender: SenderOption = DEFAULT_SENDER,
    base_url: BaseUrlOption = DEFAULT_BASE_URL,
    radius_km: RadiusOption = 10.0,
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Evaluate the emergency rule on one run: Alert, Update or Cancel per province, or nothing if unchanged."""
    from bulletins.emergency import emergency_messages

    layout = home_layout(home)
    run_dir = _run_dir(layout.root, run)
    try:
        issued = emergency_messages(layout.root, run_dir, sender=sender, base_url=base_url, radius_km=radius_km,
                                    catalogue_url=catalogue)  # fmt: skip
    except (ForecastDocumentError, CapError, CapLedgerError) as exc:
        raise fail(str(exc)) from exc
    if not issued:
        console.print(f"No CAP message issued for {escape(str(run_dir))}: no change in the emergency state.")
        return
    console.print(_issued_table(issued, cap_folder(layout.root), "CAP messages issued"))


@alert_app.command("drill")
def drill_command(
    province: Annotated[str, typer.Option("--province", help="Province of the drill, e.g. 'Hà Nội' (or 'ha noi').")],
    sender: SenderOption = DEFAULT_SENDER,
    base_url: BaseUrlOption = DEFAULT_BASE_URL,
    radius_km: RadiusOption = 10.0,
    home: HomeOption = None,
) -> None:
    """Send a drill through the emergency path: status Exercise, made-up values, never a real alert."""
    from bulletins.emergency import drill_messages

    layout = home_layout(home)
    try:
        issued = drill_messages(layout.root, province, registry=station_registry(layout), sender=sender,
                                base_url=base_url, radius_km=radius_km)  # fmt: skip
    except (ValueError, CapLedgerError) as exc:
        raise fail(str(exc)) from exc
    console.print(_issued_table(issued, cap_folder(layout.root), "DIỄN TẬP / EXERCISE messages issued"))
    for message in issued:
        console.print(escape(str(cap_folder(layout.root) / message.filename)), highlight=False, soft_wrap=True)


@alert_app.command("list")
def list_command(
    limit: Annotated[int, typer.Option(min=1, help="At most this many messages, newest first.")] = 50,
    home: HomeOption = None,
) -> None:
    """CAP messages in the home's ledger, newest first (drills and tests marked)."""
    layout = home_layout(home)
    try:
        ledger = read_ledger(cap_folder(layout.root))
    except CapLedgerError as exc:
        raise fail(str(exc)) from exc
    if not ledger.entries:
        console.print("No CAP messages issued in this home.")
        return
    table = Table(title="CAP messages", title_justify="left", caption=str(cap_folder(layout.root)),
                  caption_justify="left")  # fmt: skip
    for name in ("Sent", "Identifier", "Status", "Type", "Province", "Run", "Reviewed"):
        table.add_column(name, no_wrap=name in ("Sent", "Identifier", "Status", "Type"))
    for e in reversed(ledger.entries[-limit:]):
        status = f"[bold magenta]{e.status}[/]" if e.drill else e.status
        table.add_row(e.sent, escape(e.identifier), status, e.msg_type, escape(e.province), escape(e.run_id or "-"),
                      "-" if e.drill else "yes" if e.reviewed else "[yellow]no[/]")  # fmt: skip
    console.print(table)

