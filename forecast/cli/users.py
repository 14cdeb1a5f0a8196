"""``vnaqi users …``, ``vnaqi audit`` and ``vnaqi runs override``: who may change things, what was changed, and a
forecaster's override of a station's daily category. Run on the server by whoever administers it."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from forecast.catalogue import ROLES, AccessError, CatalogueError, RunCatalogue
from forecast.cli import app
from forecast.cli.catalogue import CatalogueOption, runs_app
from forecast.cli.common import HomeOption, console, fail, home_layout

users_app = typer.Typer(help="Forecasters and admins who may change things (API keys, passwords).",
                        add_completion=False)  # fmt: skip
app.add_typer(users_app, name="users")


def _shell_actor() -> str:
    """Who acts from the command line: the system user, marked as such in the audit log."""
    return f"{os.environ.get('USER') or getpass.getuser()} (command line)"


def _in_catalogue(home, url: str | None, work):
    """``work(catalogue)`` in the home's catalogue; access and catalogue errors become a clear exit 2."""
    layout = home_layout(home)
    try:
        with RunCatalogue(url, home_root=layout.root) as cat:
            return work(cat)
    except (AccessError, CatalogueError) as exc:
        raise fail(str(exc)) from exc


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        raise fail("the two passwords differ; nothing was changed")
    return first


@users_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The person's name as it appears in approvals and the audit log.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "forecaster",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    no_password: Annotated[bool, typer.Option("--no-password", help="API keys only (no dashboard login).")] = False,
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Add a forecaster or admin (passwords of at least 12 characters, stored as scrypt hashes)."""
    password = None if no_password else _password(password_stdin)
    user = _in_catalogue(home, catalogue, lambda cat: cat.add_user(name, role, password, by=_shell_actor()))
    console.print(f"added {escape(user.name)} ({user.role})")


@users_app.command("key")
def key_command(
    name: Annotated[str, typer.Argument(help="The user the key belongs to.")],
    label: Annotated[str | None, typer.Option(help="What the key is for, e.g. 'dashboard laptop'.")] = None,
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Create an API key for a user; it is printed once and only its hash is kept."""
    key, record = _in_catalogue(home, catalogue, lambda cat: cat.create_api_key(name, label=label, by=_shell_actor()))
    console.print(f"API key for {escape(record.user)} (prefix {record.prefix}); store it now, it is not shown again:")
    print(key)


@users_app.command("revoke-key")
def revoke_command(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (see `vnaqi users list`).")],
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Revoke an API key at once."""
    record = _in_catalogue(home, catalogue, lambda cat: cat.revoke_api_key(prefix, by=_shell_actor()))
    console.print(f"revoked key {record.prefix} of {escape(record.user)}")


@users_app.command("disable")
def disable_command(
    name: Annotated[str, typer.Argument(help="The user to disable (their keys and sessions stop at once).")],
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Disable a user; their approvals and audit entries stay."""
    user = _in_catalogue(home, catalogue, lambda cat: cat.disable_user(name, by=_shell_actor()))
    console.print(f"disabled {escape(user.name)}")


@users_app.command("list")
def list_command(catalogue: CatalogueOption = None, home: HomeOption = None) -> None:
    """Users and their API keys (prefixes only)."""
    users, keys = _in_catalogue(home, catalogue, lambda cat: (cat.users(), cat.api_keys()))
    table = Table("user", "role", "since", "API keys")
    for u in users:
        mine = [f"{k.prefix}{' (revoked)' if k.revoked_at else ''}" for k in keys if k.user == u.name]
        table.add_row(escape(u.name), u.role + ("" if u.active else " (disabled)"), f"{u.created_at:%Y-%m-%d}",
                      ", ".join(mine) or "-")  # fmt: skip
    console.print(table)


@app.command("audit")
def audit_command(
    limit: Annotated[int, typer.Option(min=1, help="How many entries, newest first.")] = 50,
    target: Annotated[str | None, typer.Option(help="Only changes of this run, user or run/station/day.")] = None,
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """The audit log: every approval, release, override, bulletin edit and user change, who and when."""
    entries = _in_catalogue(home, catalogue, lambda cat: cat.audit_log(limit=limit, target=target))
    table = Table("when (UTC)", "who", "what", "target", "detail")
    for e in entries:
        detail = "; ".join(f"{k}: {v}" for k, v in e.detail.items() if v is not None)
        table.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", escape(e.actor), e.action, escape(e.target), escape(detail))
    console.print(table)


@runs_app.command("override")
def override_command(
    run_id: Annotated[str, typer.Argument(help="Run id, e.g. 2026-11-22T00Z/forecast-v2.")],
    station: Annotated[str, typer.Option(help="Station id.")],
    day: Annotated[str, typer.Option(help="D1, D2 or D3.")],
    category: Annotated[int, typer.Option(help="VN_AQI category 1 (Tốt) … 6 (Nguy hại).")],
    reason: Annotated[str, typer.Option(help="Why the forecast is wrong (mandatory, at least 10 characters).")],
    by: Annotated[str, typer.Option("--by", help="The forecaster making the override.")],
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Override a station's daily category in a run, with a reason; shown in the bulletin beside the model's
    category. A released run is released again at once; otherwise a new draft is rendered."""
    from forecast.cycle.review import override_category

    layout = home_layout(home)
    try:
        with RunCatalogue(catalogue, home_root=layout.root) as cat:
            done = override_category(layout, cat, run_id, station_id=station, day=day, category=category,
                                     reason=reason, by=by, catalogue_url=catalogue)  # fmt: skip
    except (AccessError, CatalogueError, KeyError, ValueError) as exc:
        raise fail(str(exc)) from exc
    console.print(done.summary + f": {done.release_dir or done.draft_dir}")
