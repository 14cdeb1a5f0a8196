"""``vnaqi bulletin render|edit``: a run's bulletin (HTML and text, vi and en, JSON, PNG cards) and a
forecaster's edits to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from forecast.cli import app
from forecast.cli.catalogue import CatalogueOption
from forecast.cli.common import HomeOption, console, fail, home_layout

bulletin_app = typer.Typer(help="Forecast bulletins (HTML, plain text, JSON; vi and en).", add_completion=False)
app.add_typer(bulletin_app, name="bulletin")


def render_draft_bulletin(home: Path, run_id: str, catalogue_url: str | None = None) -> Path:
    """A draft bulletin of a run not yet released (or a fresh rendering of a released one); its folder."""
    from configs.settings import HomeLayout
    from forecast.catalogue import RunCatalogue
    from forecast.cycle.release import render_draft

    with RunCatalogue(catalogue_url, home_root=home) as catalogue:
        return render_draft(HomeLayout(home), catalogue, run_id)


def _run_id(layout, run: str) -> str:
    from forecast.cycle.publish import published_run

    if run == "latest":
        run_dir = published_run(layout.products)
        if run_dir is None:
            raise fail("nothing is published yet in this home; run `vnaqi run --cycle …` first or pass --run")
        return f"{run_dir.parent.name}/{run_dir.name}"
    path = Path(run).expanduser()
    return f"{path.resolve().parent.name}/{path.resolve().name}" if path.is_dir() else run


@bulletin_app.command("render")
def render_command(
    run: Annotated[
        str,
        typer.Option("--run", help="Run id (2026-11-22T00Z/forecast-v2) or run folder; default: the latest published."),
    ] = "latest",
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Render a run's bulletin again as bulletins/CYCLE/RUN/bulletin-vK/ (bulletin.vi.html, bulletin.en.html,
    bulletin.vi.txt, bulletin.en.txt, bulletin.json, card.NN.LANG.png). A run not yet released is rendered as a
    draft; products/ change only with a release (vnaqi runs approve/publish)."""
    from forecast.catalogue import CatalogueError

    layout = home_layout(home)
    run_id = _run_id(layout, run)
    try:
        folder = render_draft_bulletin(layout.root, run_id, catalogue)
    except (CatalogueError, KeyError, ValueError, FileNotFoundError) as exc:
        raise fail(f"cannot render the bulletin of {run_id}: {exc}; see `vnaqi runs`") from exc
    for name in sorted(p.name for p in folder.iterdir()):
        console.print(str(folder / name))


@bulletin_app.command("edit")
def edit_command(
    run_id: Annotated[str, typer.Argument(help="Run id, e.g. 2026-11-22T00Z/forecast-v2 (see `vnaqi runs`).")],
    by: Annotated[str, typer.Option("--by", help="The forecaster making the edit (recorded and shown).")],
    province: Annotated[
        str | None,
        typer.Option(help="The province whose headline or note this is (a note without it: the whole bulletin)."),
    ] = None,
    headline_vi: Annotated[
        str | None, typer.Option("--headline-vi", help="Replace the province's headline (vi).")
    ] = None,
    headline_en: Annotated[
        str | None, typer.Option("--headline-en", help="Replace the province's headline (en).")
    ] = None,
    note_vi: Annotated[str | None, typer.Option("--note-vi", help="Forecaster's note (vi).")] = None,
    note_en: Annotated[str | None, typer.Option("--note-en", help="Forecaster's note (en).")] = None,
    catalogue: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Record a forecaster's edit (an empty text reverts to the automatic wording) and render the bulletin
    again: a draft while the run awaits review; a released run's products are refreshed at once."""
    from bulletins.edits import BulletinEdit, EditError, add_edits, now_utc
    from forecast.catalogue import PUBLISHED, CatalogueError, RunCatalogue
    from forecast.cycle.release import release_run, render_draft

    layout = home_layout(home)
    texts = {("headline", "vi"): headline_vi, ("headline", "en"): headline_en, ("note", "vi"): note_vi,
             ("note", "en"): note_en}  # fmt: skip
    at = now_utc()
    edits = [
        BulletinEdit(at, by, kind, lang, text, province) for (kind, lang), text in texts.items() if text is not None
    ]
    if not edits:
        raise fail("nothing to edit: give --headline-vi/--headline-en (with --province) or --note-vi/--note-en")
    try:
        with RunCatalogue(catalogue, home_root=layout.root) as cat:
            record = cat.get(run_id)
            if not record.path or not (Path(record.path) / "forecast.json").is_file():
                raise ValueError(f"{run_id} is {record.status} and has no forecast to edit")
            document = json.loads((Path(record.path) / "forecast.json").read_text(encoding="utf-8"))
            provinces = sorted({s.get("province") or "—" for s in document["stations"]})
            add_edits(layout.root, run_id, edits, provinces)
            cat.record_audit(by, "bulletin.edit", run_id, {"edits": [f"{e.kind}/{e.lang}/{e.province or '-'}: {e.text}"
                                                                     for e in edits]})  # fmt: skip
            if record.status == PUBLISHED:
                released = release_run(layout, cat, run_id, by=f"edit by {by}", catalogue_url=catalogue,
                                       evaluate_cap=False)  # fmt: skip
                console.print(f"{run_id}: edited by {by}; released again as {released.release_dir}")
            else:
                folder = render_draft(layout, cat, run_id)
                console.print(f"{run_id}: edited by {by}; draft {folder / 'bulletin.vi.html'}")
    except (CatalogueError, KeyError, EditError, ValueError) as exc:
        raise fail(str(exc)) from exc
