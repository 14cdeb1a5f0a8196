"""What a forecaster does to a run — approve, override a station's daily category, publish — in one place, so
the command line, the API and the dashboard act (and are audited) the same way.

Each action changes the catalogue (which writes the audit entry in the same transaction) and then the files:
a published run is released again at once, so the public bulletin, ``products/latest`` and the API show the
change; a run awaiting review gets a new draft bulletin. Errors are the catalogue's: :class:`UnknownRun` (a
``KeyError``) for a run that does not exist, :class:`AccessError` or ``ValueError`` for an action the run's
state or the input does not allow; nothing is changed when they are raised before the catalogue write.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from configs.settings import HomeLayout
from forecast.catalogue import APPROVED, COMPLETE, PUBLISHED, AccessError, RunCatalogue
from forecast.cycle.release import release_run, render_draft

logger = logging.getLogger(__name__)


@dataclass
class ReviewOutcome:
    """What an action did: the run's status after it, a one-line summary, and where the bulletin went."""

    run_id: str
    status: str
    summary: str
    release_dir: Path | None = None  # set when the run was (re-)released
    draft_dir: Path | None = None  # set when a draft bulletin was rendered instead
    cap_lines: list[str] = field(default_factory=list)


def run_station_ids(catalogue: RunCatalogue, run_id: str) -> list[str]:
    """Station ids of a run's forecast (empty when its folder has no forecast.json)."""
    record = catalogue.get(run_id)
    path = Path(record.path) / "forecast.json" if record.path else None
    if path is None or not path.is_file():
        return []
    return [s["id"] for s in json.loads(path.read_text(encoding="utf-8"))["stations"]]


def approve_run(
    layout: HomeLayout,
    catalogue: RunCatalogue,
    run_id: str,
    *,
    by: str,
    note: str | None = None,
    release: bool = True,
    catalogue_url: str | None = None,
) -> ReviewOutcome:
    """A forecaster's sign-off on a complete run, then (unless ``release`` is False) its release, marked reviewed."""
    record = catalogue.approve(run_id, by=by, note=note)
    if not release:
        return ReviewOutcome(run_id, record.status, f"{run_id}: approved by {by}; not released yet")
    return _release(layout, catalogue, run_id, by, catalogue_url, f"approved by {by}")


def publish_now(
    layout: HomeLayout, catalogue: RunCatalogue, run_id: str, *, by: str, catalogue_url: str | None = None
) -> ReviewOutcome:
    """Release a complete or approved run (an unapproved one is marked "not reviewed by a forecaster")."""
    record = catalogue.get(run_id)
    if record.status not in (COMPLETE, APPROVED):
        raise ValueError(f"{run_id} is {record.status}; only a complete or approved run can be published")
    return _release(layout, catalogue, run_id, by, catalogue_url, f"released by {by}")


def override_category(
    layout: HomeLayout,
    catalogue: RunCatalogue,
    run_id: str,
    *,
    station_id: str,
    day: str,
    category: int,
    reason: str,
    by: str,
    catalogue_url: str | None = None,
) -> ReviewOutcome:
    """Replace a station's daily category in a run with a forecaster's, with a mandatory reason; a published run
    is released again at once, any other gets a new draft bulletin."""
    ids = run_station_ids(catalogue, run_id)
    if station_id not in ids:
        raise AccessError(f"station {station_id!r} is not in {run_id}; its stations: {', '.join(sorted(ids))}")
    catalogue.add_override(run_id, station_id=station_id, day=day, category=category, reason=reason, by=by)
    what = f"{station_id} {day} → category {category} by {by}"
    if catalogue.get(run_id).status == PUBLISHED:
        done = release_run(layout, catalogue, run_id, by=f"override by {by}", catalogue_url=catalogue_url,
                           evaluate_cap=False)  # fmt: skip
        return ReviewOutcome(run_id, PUBLISHED, f"{run_id}: {what}; released again", release_dir=done.release_dir)
    folder = render_draft(layout, catalogue, run_id)
    record = catalogue.get(run_id)
    return ReviewOutcome(run_id, record.status, f"{run_id}: {what}; new draft bulletin", draft_dir=folder)


def _release(
    layout: HomeLayout, catalogue: RunCatalogue, run_id: str, by: str, catalogue_url: str | None, what: str
) -> ReviewOutcome:
    released = release_run(layout, catalogue, run_id, by=by, catalogue_url=catalogue_url)
    state = "reviewed" if released.reviewed else "not reviewed by a forecaster"
    logger.info("%s: %s, released (%s)", run_id, what, state)
    return ReviewOutcome(run_id, PUBLISHED, f"{run_id}: {what}; released ({state})",
                         release_dir=released.release_dir, cap_lines=released.cap_lines)  # fmt: skip
