"""``vnaqi runs approve`` and ``vnaqi runs publish``: a forecaster's sign-off and manual publication."""

from __future__ import annotations

from typing import Annotated

import typer

from forecast.catalogue import CatalogueError, RunCatalogue
from forecast.cli.catalogue import CatalogueOption, runs_app
from forecast.cli.common import HomeOption, console, fail, home_layout

RunIdArgument = Annotated[str, typer.Argument(help="Run id, e.g. 2026-11-22T00Z/forecast-v2 (see `vnaqi runs`).")]
ByOption = Annotated[str, typer.Option("--by", help="Who signs (name or user id); recorded in the catalogue.")]


@runs_app.command("approve")
def approve_command(
    run_id: RunIdArgument,
    by: ByOption,
    note: Annotated[str | None, typer.Option(help="Why, or what was checked.")] = None,
    hold: Annotated[
        bool, typer.Option("--hold", help="Approve but do not release yet (release: vnaqi runs publish).")
    ] = False,
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Approve a complete run (forecaster review) and release it: its bulletin, marked reviewed, goes to
    products/CYCLE and (unless a later cycle is out) products/latest."""
    layout = home_layout(home)
    try:
        with RunCatalogue(catalogue, home_root=layout.root) as cat:
            record = cat.approve(run_id, by=by, note=note)
            console.print(f"{record.run_id}: approved by {record.approved_by}")
            if not hold:
                _release(layout, cat, run_id, by, catalogue)
    except (CatalogueError, ValueError) as exc:
        raise fail(str(exc)) from exc


@runs_app.command("publish")
def publish_command(
    run_id: RunIdArgument,
    by: ByOption,
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Release a complete or approved run (e.g. one made with `vnaqi run --no-publish`): products/CYCLE and,
    unless a later cycle is published, products/latest point to it and its bulletin; the cycle's previously
    published run becomes superseded. A run nobody approved is marked "not reviewed by a forecaster"."""
    layout = home_layout(home)
    try:
        with RunCatalogue(catalogue, home_root=layout.root) as cat:
            record = cat.get(run_id)
            if record.status not in ("complete", "approved"):
                raise ValueError(f"{run_id} is {record.status}; only a complete or approved run can be published")
            _release(layout, cat, run_id, by, catalogue)
    except (CatalogueError, ValueError) as exc:
        raise fail(str(exc)) from exc


def _release(layout, cat: RunCatalogue, run_id: str, by: str, catalogue_url: str | None) -> None:
    from forecast.cycle.release import release_run

    released = release_run(layout, cat, run_id, by=by, catalogue_url=catalogue_url)
    state = "reviewed" if released.reviewed else "not reviewed by a forecaster"
    console.print(f"{run_id}: released by {by} ({state}) → {released.release_dir}")
    for line in released.cap_lines:
        console.print(line)
