"""Release of a run to the public: its bulletin rendered as released, the products switched, the catalogue told,
the emergency rule evaluated.

"Released" means approved by a forecaster, or let out unreviewed by the site's policy (``review`` in
cycle.yaml: at once on unattended sites, at the bulletin's due time on staffed ones) and marked "not
reviewed by a forecaster" in every product. A run that is neither is only ever rendered as a draft, so
``products/latest`` never shows an unapproved bulletin as if it were approved.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bulletins.emergency import evaluate_emergency
from bulletins.files import Review, write_bulletin
from configs.settings import HomeLayout
from forecast.catalogue import APPROVED, COMPLETE, PUBLISHED, RunCatalogue
from forecast.catalogue.records import RunRecord
from forecast.cycle.publish import newer_than_latest, publish_run, published_run

logger = logging.getLogger(__name__)

RELEASABLE = (COMPLETE, APPROVED, PUBLISHED)


@dataclass
class Released:
    """What a release wrote: the bulletin version, the release folder and any CAP message lines."""

    run_id: str
    bulletin_dir: Path
    release_dir: Path
    reviewed: bool
    cap_lines: list[str] = field(default_factory=list)


def _review(catalogue: RunCatalogue, record: RunRecord, released: bool) -> Review:
    approved_at = record.approved_at.isoformat(timespec="minutes") if record.approved_at else None
    overrides = tuple(o.to_dict() for o in catalogue.overrides(record.run_id))
    return Review(released=released, approved_by=record.approved_by, approved_at=approved_at, overrides=overrides)


def release_run(
    layout: HomeLayout,
    catalogue: RunCatalogue,
    run_id: str,
    *,
    by: str,
    catalogue_url: str | None = None,
    evaluate_cap: bool = True,
) -> Released:
    """Release ``run_id`` (complete, approved, or already published — then its products are refreshed, e.g.
    after an edit): render the bulletin, link ``products/<cycle>`` and, unless a later cycle is out,
    ``products/latest`` to it, mark it published. ``ValueError`` for a run that cannot be released."""
    record = catalogue.get(run_id)
    if record.status not in RELEASABLE:
        raise ValueError(f"{run_id} is {record.status}; only a complete, approved or published run can be released")
    if not record.path or not (Path(record.path) / "manifest.json").is_file():
        raise ValueError(f"{run_id} has no complete run folder ({record.path or 'no path recorded'})")
    run_dir = Path(record.path)
    if record.status == PUBLISHED and published_run(layout.products, record.cycle) != run_dir.resolve():
        raise ValueError(f"{run_id} is no longer the published run of {record.cycle}; release a newer run instead")
    review = _review(catalogue, record, released=True)
    bulletin_dir = write_bulletin(layout.root, run_dir, review)
    meta = {
        "reviewed": record.approved_by is not None,
        "approved_by": record.approved_by,
        "approved_at": record.approved_at.isoformat() if record.approved_at else None,
        "released_by": by,
        "released_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "overrides": list(review.overrides),  # the API shows them in the forecast bodies, as the bulletin does
    }
    folder = publish_run(layout.products, run_dir, record.cycle, bulletin_dir=bulletin_dir, meta=meta,
                         as_latest=newer_than_latest(layout.products, record.cycle))  # fmt: skip
    if record.status != PUBLISHED:
        catalogue.publish(run_id, by=by)
    logger.info("released %s (%s) as %s", run_id, "reviewed" if meta["reviewed"] else "not reviewed", folder)
    lines = evaluate_emergency(layout.root, run_dir, catalogue_url) if evaluate_cap else []
    return Released(run_id, bulletin_dir, folder, bool(meta["reviewed"]), lines)


def render_draft(layout: HomeLayout, catalogue: RunCatalogue, run_id: str) -> Path:
    """A draft bulletin of a run awaiting review (never linked under ``products/``); its folder."""
    record = catalogue.get(run_id)
    if not record.path:
        raise ValueError(f"{run_id} has no run folder recorded")
    released = record.status == PUBLISHED
    return write_bulletin(layout.root, Path(record.path), _review(catalogue, record, released=released))


def unreviewed_due(catalogue: RunCatalogue, cycle: str) -> RunRecord | None:
    """The run the unattended policy releases for ``cycle`` at its deadline: the newest approved or complete
    one, when nothing of that cycle is published yet."""
    if catalogue.latest(PUBLISHED, cycle=cycle) is not None:
        return None
    return catalogue.latest(APPROVED, cycle=cycle) or catalogue.latest(COMPLETE, cycle=cycle)
