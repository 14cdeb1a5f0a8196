"""``vnaqi bulletin render --run RUN``: the run's bulletin as HTML and text, Vietnamese and English."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecast.cli import app
from forecast.cli.common import HomeOption, console, fail, home_layout

bulletin_app = typer.Typer(help="Forecast bulletins (HTML, plain text, JSON; vi and en).", add_completion=False)
app.add_typer(bulletin_app, name="bulletin")


def render_run_bulletin(home: Path, run_dir: Path, catalogue_url: str | None = None) -> Path:
    """Render a run's bulletin (reviewed when the catalogue says a forecaster approved it); its folder."""
    from bulletins.files import write_bulletin
    from forecast.catalogue import CatalogueError, RunCatalogue

    approved_by = None
    try:
        with RunCatalogue(catalogue_url, home_root=home) as catalogue:
            approved_by = catalogue.get(f"{run_dir.parent.name}/{run_dir.name}").approved_by
    except (CatalogueError, KeyError):
        pass  # not in the catalogue: rendered as not reviewed, which the bulletin says
    return write_bulletin(home, run_dir, approved_by=approved_by)


@bulletin_app.command("render")
def render_command(
    run: Annotated[
        str,
        typer.Option("--run", help="Run id (2026-11-22T00Z/forecast-v2) or run folder; default: the latest published."),
    ] = "latest",
    catalogue: Annotated[str | None, typer.Option(help="Run catalogue URL (default: SQLite in the home).")] = None,
    home: HomeOption = None,
) -> None:
    """Write the bulletin of a run as bulletins/CYCLE/RUN/bulletin-vK/ (bulletin.vi.html, bulletin.en.html,
    bulletin.vi.txt, bulletin.en.txt, bulletin.json); each rendering is a new version."""
    from forecast.cycle.publish import published_run

    layout = home_layout(home)
    if run == "latest":
        run_dir = published_run(layout.products)
        if run_dir is None:
            raise fail("nothing is published yet in this home; run `vnaqi run --cycle …` first or pass --run")
    else:
        run_dir = Path(run).expanduser() if Path(run).expanduser().is_dir() else layout.runs / run
    if not (run_dir / "manifest.json").is_file():
        raise fail(f"{run_dir} is not a complete run (no manifest.json); see `vnaqi runs`")
    folder = render_run_bulletin(layout.root, run_dir.resolve(), catalogue)
    for name in sorted(p.name for p in folder.iterdir()):
        console.print(str(folder / name))
