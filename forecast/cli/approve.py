"""``vnaqi runs approve`` and ``vnaqi runs publish``: a forecaster's sign-off and manual publication."""

from __future__ import annotations

from pathlib import Path
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
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Approve a complete run (forecaster review); it can then be published."""
    layout = home_layout(home)
    try:
        with RunCatalogue(catalogue, home_root=layout.root) as cat:
            record = cat.approve(run_id, by=by, note=note)
    except (CatalogueError, ValueError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"{record.run_id}: approved by {record.approved_by}")
    _emergency(layout.root, record.path, catalogue)


@runs_app.command("publish")
def publish_command(
    run_id: RunIdArgument,
    by: ByOption,
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Publish a complete or approved run (e.g. one made with `vnaqi run --no-publish`): products/CYCLE and,
    unless a later cycle is published, products/latest point to it; the cycle's previously published run
    becomes superseded."""
    from forecast.cycle.publish import newer_than_latest, publish_run

    layout = home_layout(home)
    try:
        with RunCatalogue(catalogue, home_root=layout.root) as cat:
            record = cat.get(run_id)
            if record.status not in ("complete", "approved"):
                raise ValueError(f"{run_id} is {record.status}; only a complete or approved run can be published")
            if not record.path:
                raise ValueError(f"{run_id} has no run folder recorded")
            publish_run(layout.products, Path(record.path), record.cycle,
                        as_latest=newer_than_latest(layout.products, record.cycle))  # fmt: skip
            record = cat.publish(run_id, by=by)
    except (CatalogueError, ValueError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"{record.run_id}: published by {record.published_by}")
    _emergency(layout.root, record.path, catalogue)


def _emergency(home: Path, run_path: str | None, catalogue: str | None) -> None:
    """Approval or publication changes what a CAP message says (the "not reviewed" caveat): re-evaluate."""
    from forecast.cli.alert import evaluate_emergency

    if run_path:
        for line in evaluate_emergency(home, Path(run_path), catalogue):
            console.print(line)
