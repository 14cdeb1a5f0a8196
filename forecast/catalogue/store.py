"""The run catalogue: every run of every cycle, its status history, timings, fallbacks, models and alerts.

History is kept: a rerun of a cycle is a new version (``2026-11-22T00Z/forecast-v2``) and no row is ever
deleted; publishing a run marks the run published before it for the same cycle ``superseded``. Every method
is one short transaction, safe with several processes writing at once (SQLite serialises writers, the
unique constraints catch the rest and the write is retried).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecast.catalogue import checks
from forecast.catalogue.access import AccessStore, audit
from forecast.catalogue.alerts import AlertStore
from forecast.catalogue.engine import RETRIES
from forecast.catalogue.records import (
    APPROVED,
    COMPLETE,
    FAILED,
    PUBLISHED,
    RUNNING,
    SUPERSEDED,
    Fallback,
    RunRecord,
    StatusEvent,
    UnknownRun,
    check_status,
    check_transition,
)
from forecast.catalogue.schema import Run, RunFallback, RunStage, RunStatusEvent

log = logging.getLogger(__name__)


def _run_record(run: Run) -> RunRecord:
    return RunRecord(
        run_id=run.run_id,
        cycle=run.cycle,
        name=run.name,
        version=run.version,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error=run.error,
        path=run.path,
        config=dict(run.config or {}),
        models=dict(run.models or {}),
        stages={s.stage: s.seconds for s in run.stages},
        fallbacks=tuple(Fallback(f.step, f.detail, f.at) for f in run.fallbacks),
        approved_by=run.approved_by,
        approved_at=run.approved_at,
        approval_note=run.approval_note,
        published_by=run.published_by,
        published_at=run.published_at,
    )


class RunCatalogue(AlertStore, AccessStore):
    """The catalogue at ``url`` (default: ``$VNAQI_CATALOGUE_URL``, else ``<home>/catalogue.sqlite``).

    Tables are created when missing. ``clock`` (returning aware datetimes) replaces the wall clock in tests.
    Raises :class:`CatalogueError` naming the URL (password masked) when the database cannot be used.
    Alert methods (``raise_alert``, ``close_alerts``, ``open_alerts``, ``alerts``) come from :class:`AlertStore`;
    users, API keys, the audit log and overrides from :class:`~forecast.catalogue.access.AccessStore`.
    Approvals and publications are audited in the same transaction.
    """

    def _load(self, session: Session, run_id: str, *, lock: bool = False) -> Run:
        query = select(Run).where(Run.run_id == run_id)
        run = session.scalars(query.with_for_update() if lock else query).one_or_none()
        if run is None:
            raise UnknownRun(run_id, self.url)
        return run

    def _change(self, session: Session, run: Run, status: str, by: str | None, note: str | None) -> datetime:
        check_transition(run.run_id, run.status, status)
        now = self._now()
        session.add(RunStatusEvent(run_pk=run.id, previous=run.status, status=status, at=now, by=by, note=note))
        run.status = status
        log.info("run %s: %s", run.run_id, status)
        return now

    # -- runs -----------------------------------------------------------------------------------------------

    def start_run(self, cycle: str, *, name: str = "forecast", config: Mapping[str, Any] | None = None) -> RunRecord:
        """Register a new version of run ``name`` for ``cycle``, status ``running``."""
        cycle, name = checks.cycle(cycle), checks.identifier(name, "run name")
        config = checks.jsonable(config)

        def insert(session: Session) -> RunRecord:
            last = session.scalar(select(func.max(Run.version)).where(Run.cycle == cycle, Run.name == name))
            version = (last or 0) + 1
            now = self._now()
            run = Run(
                run_id=f"{cycle}/{name}-v{version}", cycle=cycle, name=name, version=version, status=RUNNING,
                started_at=now, config=config, models={}, stages=[], fallbacks=[],
            )  # fmt: skip
            session.add(run)
            session.flush()  # a concurrent start of the same version fails here and is retried
            session.add(RunStatusEvent(run_pk=run.id, previous=None, status=RUNNING, at=now))
            return _run_record(run)

        record = self._write(insert, retries=RETRIES)
        log.info("run %s: started", record.run_id)
        return record

    def record_stage(self, run_id: str, stage: str, seconds: float) -> None:
        """Record how long ``stage`` took [s]; recording a stage again replaces its time."""
        checks.identifier(stage, "stage")
        seconds = float(seconds)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"run {run_id}: stage {stage!r} seconds must be a finite number >= 0, not {seconds}")

        def upsert(session: Session) -> None:
            run = self._load(session, run_id)
            found = next((s for s in run.stages if s.stage == stage), None)
            if found is None:
                session.add(RunStage(run_pk=run.id, stage=stage, seconds=seconds, recorded_at=self._now()))
            else:
                found.seconds, found.recorded_at = seconds, self._now()

        self._write(upsert, retries=3)

    def add_fallback(self, run_id: str, step: str, detail: str) -> None:
        """Flag a fallback the run took (shown in the manifest, dashboard and bulletin)."""
        checks.identifier(step, "fallback step")

        def add(session: Session) -> None:
            run = self._load(session, run_id)
            session.add(RunFallback(run_pk=run.id, step=step, detail=str(detail), at=self._now()))

        self._write(add)
        log.warning("run %s: fallback %s: %s", run_id, step, detail)

    def set_models(self, run_id: str, models: Mapping[str, str]) -> None:
        """Record model versions used, e.g. ``{"pm25": "vnaqi-pm25/3"}`` (merged with those already recorded)."""
        new = {str(k): str(v) for k, v in models.items()}

        def merge(session: Session) -> None:
            run = self._load(session, run_id)
            run.models = {**(run.models or {}), **new}

        self._write(merge)

    def set_path(self, run_id: str, path: str | Path) -> None:
        """Record where the run's files are (its run folder)."""

        def put(session: Session) -> None:
            self._load(session, run_id).path = str(path)

        self._write(put)

    def finish(self, run_id: str, status: str, error: str | None = None) -> RunRecord:
        """End a running run as ``complete`` or ``failed`` (with the error)."""
        if check_status(status) not in (COMPLETE, FAILED):
            raise ValueError(f"run {run_id}: finish() takes 'complete' or 'failed', not {status!r}")

        def end(session: Session) -> RunRecord:
            run = self._load(session, run_id, lock=True)
            run.finished_at = self._change(session, run, status, None, error)
            run.error = error
            return _run_record(run)

        return self._write(end)

    def approve(self, run_id: str, by: str, note: str | None = None) -> RunRecord:
        """A forecaster approves a complete run for publication."""
        if not by or not by.strip():
            raise ValueError(f"run {run_id}: approve() needs the name of who approves")

        def sign(session: Session) -> RunRecord:
            run = self._load(session, run_id, lock=True)
            run.approved_at = self._change(session, run, APPROVED, by, note)
            run.approved_by, run.approval_note = by, note
            audit(session, run.approved_at, by, "run.approve", run_id, {"note": note})
            return _run_record(run)

        return self._write(sign)

    def publish(self, run_id: str, by: str | None = None) -> RunRecord:
        """Publish a complete or approved run; the run published before it for its cycle becomes superseded."""

        def swap(session: Session) -> RunRecord:
            run = self._load(session, run_id, lock=True)
            check_transition(run_id, run.status, PUBLISHED)
            query = select(Run).where(Run.cycle == run.cycle, Run.status == PUBLISHED, Run.id != run.id)
            previous = list(session.scalars(query.with_for_update()))
            for old in previous:
                self._change(session, old, SUPERSEDED, by, f"superseded by {run_id}")
            session.flush()  # release "one published run per cycle" before taking it
            note = f"supersedes {', '.join(o.run_id for o in previous)}" if previous else None
            run.published_at = self._change(session, run, PUBLISHED, by, note)
            run.published_by = by
            audit(session, run.published_at, by or "unknown", "run.publish", run_id, {"note": note})
            return _run_record(run)

        return self._write(swap, retries=RETRIES)

    def get(self, run_id: str) -> RunRecord:
        """The run ``run_id``; :class:`UnknownRun` (a ``KeyError``) naming it when absent."""
        return self._read(lambda s: _run_record(self._load(s, run_id)))

    def runs(
        self, cycle: str | None = None, status: str | None = None, limit: int = 50, *, name: str | None = None
    ) -> list[RunRecord]:
        """Runs, newest cycle first (then most recently started), optionally filtered."""
        query = select(Run)
        if cycle is not None:
            query = query.where(Run.cycle == checks.cycle(cycle))
        if status is not None:
            query = query.where(Run.status == check_status(status))
        if name is not None:
            query = query.where(Run.name == name)
        query = query.order_by(Run.cycle.desc(), Run.started_at.desc(), Run.id.desc()).limit(checks.limit(limit))
        return self._read(lambda s: [_run_record(r) for r in s.scalars(query)])

    def latest(self, status: str = PUBLISHED, cycle: str | None = None) -> RunRecord | None:
        """The newest run with ``status`` (newest cycle, then latest started), or None."""
        found = self.runs(cycle=cycle, status=status, limit=1)
        return found[0] if found else None

    def history(self, run_id: str) -> list[StatusEvent]:
        """Every status change of the run, oldest first, starting with ``running``."""

        def events(session: Session) -> list[StatusEvent]:
            run = self._load(session, run_id)
            return [StatusEvent(e.status, e.at, e.by, e.note, e.previous) for e in run.events]

        return self._read(events)
