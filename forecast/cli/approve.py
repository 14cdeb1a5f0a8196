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
    from forecast.cycle.review import approve_run

    layout = home_layout(home)
    try:
        with RunCatalogue(catalogue, home_root=layout.root) as cat:
            _report(approve_run(layout, cat, run_id, by=by, note=note, release=not hold, catalogue_url=catalogue))
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
    from forecast.cycle.review import publish_now

    layout = home_layout(home)
    try:
        with RunCatalogue(catalogue, home_root=layout.root) as cat:
            _report(publish_now(layout, cat, run_id, by=by, catalogue_url=catalogue))
    except (CatalogueError, ValueError) as exc:
        raise fail(str(exc)) from exc


def _report(outcome) -> None:
    console.print(outcome.summary + (f" → {outcome.release_dir}" if outcome.release_dir else ""))
    for line in outcome.cap_lines:
        console.print(line)
