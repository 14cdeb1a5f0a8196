"""A run's bulletin written as files: ``<home>/bulletins/<cycle>/<run name>/bulletin-vK/`` with the HTML and
plain-text editions in Vietnamese and English, the content as JSON and a PNG card per region.

Bulletin id = the run id (``2026-11-22T00Z/forecast-v2``); version K grows each time the run is rendered again
(a draft for the forecaster, after an edit, at release). Each version appears complete in one rename
(:mod:`forecast.run_store`); ``HOME/bulletins/feed.atom`` lists the released ones. What the public sees is
what :mod:`forecast.cycle.release` links under ``products/``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bulletins.card import region_card
from bulletins.content import BulletinContent, bulletin_content
from bulletins.edits import read_edits
from bulletins.feed import write_feed
from bulletins.render import render_html, render_text
from bulletins.verification import yesterday_verification
from configs.cycle import load_cycle_settings
from forecast.cycle.schedule import bulletin_due
from forecast.run_store import json_writer, next_version, write_run

logger = logging.getLogger(__name__)

BULLETIN_FILES = ("bulletin.vi.html", "bulletin.en.html", "bulletin.vi.txt", "bulletin.en.txt", "bulletin.json")
"""Plus ``card.NN.vi.png`` / ``card.NN.en.png`` per region (NN = the region's place in ``bulletin.json``)."""
BULLETIN_SCHEMA = "vnaqi.bulletin/1"


@dataclass(frozen=True)
class Review:
    """Where a run stands with the forecasters when its bulletin is rendered."""

    released: bool = False  # False: a draft for review, never linked under products/
    approved_by: str | None = None
    approved_at: str | None = None
    overrides: tuple[dict, ...] = ()  # forecasters' category overrides (catalogue OverrideRecord.to_dict())


def content_of_run(home: Path, run_dir: Path, review: Review, version: int | None = None) -> BulletinContent:
    """Bulletin content of a run folder (``forecast.json`` + ``manifest.json``) with the home's edits,
    yesterday's verification and the part-of-day outlook from the bulletin's due time."""
    document = json.loads((run_dir / "forecast.json").read_text(encoding="utf-8"))
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    settings = load_cycle_settings(home=Path(home))
    run_id = f"{document['cycle']}/{run_dir.name}"
    issue = pd.Timestamp(document["issue_time"])
    due = bulletin_due(issue, settings.schedule, settings.time_zone)
    last_valid = document["stations"][0]["hourly"][-1]["valid_time"] if document["stations"] and \
        document["stations"][0].get("hourly") else None  # fmt: skip
    outlook_from = due if last_valid is None or due < pd.Timestamp(last_valid) else issue
    try:
        verification = yesterday_verification(home, document, settings.time_zone, settings.daily_completeness)
    except Exception as exc:  # the bulletin goes out without the section rather than not at all
        logger.warning("yesterday's verification failed for %s: %s", run_id, exc)
        verification = None
    return bulletin_content(
        document, manifest, reviewed=review.approved_by is not None, approved_by=review.approved_by,
        approved_at=review.approved_at, released=review.released, edits=read_edits(home, run_id),
        verification=verification, outlook_from=outlook_from.tz_convert(settings.time_zone), bulletin_id=run_id,
        version=version, overrides=list(review.overrides),
    )  # fmt: skip


def bulletin_json(content: BulletinContent) -> dict:
    """The bulletin as JSON (schema ``vnaqi.bulletin/1``, docs/bulletin-json.md)."""
    return {"schema": BULLETIN_SCHEMA, **dataclasses.asdict(content)}


def write_bulletin(home: Path, run_dir: Path, review: Review | None = None) -> Path:
    """Render the run's bulletin in every format and language; return the new version's folder."""
    review = review or Review()
    cycle_dir = Path(home) / "bulletins" / run_dir.parent.name
    version = next_version(cycle_dir / run_dir.name, "bulletin")
    content = content_of_run(home, run_dir, review, version)

    def text(value: str):
        return lambda path: path.write_text(value, encoding="utf-8")

    files = {
        "bulletin.vi.html": text(render_html(content, "vi")),
        "bulletin.en.html": text(render_html(content, "en")),
        "bulletin.vi.txt": text(render_text(content, "vi")),
        "bulletin.en.txt": text(render_text(content, "en")),
        "bulletin.json": json_writer(bulletin_json(content)),
    }
    for k, region in enumerate(content.regions):
        for lang in ("vi", "en"):
            files[f"card.{k + 1:02d}.{lang}.png"] = _png(content, region, lang)
    try:
        folder = write_run(cycle_dir, run_dir.name, "bulletin", files, version=version)
    except FileExistsError:  # another rendering took this version meanwhile: render again as the next one
        return write_bulletin(home, run_dir, review)
    write_feed(home)
    return folder


def _png(content: BulletinContent, region, lang: str):
    return lambda path: path.write_bytes(region_card(content, region, lang))
