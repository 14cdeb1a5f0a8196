"""A run's bulletin written as files: ``<home>/bulletins/<cycle>/<run name>/bulletin-vK/`` with the HTML and
plain-text editions in Vietnamese and English and the content as JSON.

Bulletin id = the run id (``2026-11-22T00Z/forecast-v2``); version K grows each time the run is rendered again
(e.g. after a forecaster approved it). Each version appears complete in one rename (:mod:`forecast.run_store`);
``HOME/bulletins/feed.atom`` lists them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from bulletins.card import region_card
from bulletins.content import BulletinContent, bulletin_content
from bulletins.feed import write_feed
from bulletins.render import render_html, render_text
from forecast.run_store import json_writer, write_run

BULLETIN_FILES = ("bulletin.vi.html", "bulletin.en.html", "bulletin.vi.txt", "bulletin.en.txt", "bulletin.json")
"""Plus ``card.NN.vi.png`` / ``card.NN.en.png`` per region (NN = the region's place in ``bulletin.json``)."""


def content_of_run(run_dir: Path, *, approved_by: str | None) -> BulletinContent:
    """Bulletin content of a run folder (``forecast.json`` + ``manifest.json``); reviewed when approved."""
    document = json.loads((run_dir / "forecast.json").read_text(encoding="utf-8"))
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return bulletin_content(document, manifest, reviewed=approved_by is not None, approved_by=approved_by)


def write_bulletin(home: Path, run_dir: Path, *, approved_by: str | None = None) -> Path:
    """Render the run's bulletin in every format and language; return the new version's folder."""
    content = content_of_run(run_dir, approved_by=approved_by)

    def text(value: str):
        return lambda path: path.write_text(value, encoding="utf-8")

    files = {
        "bulletin.vi.html": text(render_html(content, "vi")),
        "bulletin.en.html": text(render_html(content, "en")),
        "bulletin.vi.txt": text(render_text(content, "vi")),
        "bulletin.en.txt": text(render_text(content, "en")),
        "bulletin.json": json_writer({"id": f"{content.cycle}/{run_dir.name}", **dataclasses.asdict(content)}),
    }
    for k, region in enumerate(content.regions):
        for lang in ("vi", "en"):
            files[f"card.{k + 1:02d}.{lang}.png"] = _png(content, region, lang)
    folder = write_run(Path(home) / "bulletins" / content.cycle, run_dir.name, "bulletin", files)
    write_feed(home)
    return folder


def _png(content: BulletinContent, region, lang: str):
    return lambda path: path.write_bytes(region_card(content, region, lang))
