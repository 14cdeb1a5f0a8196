"""What the catalogue hands out: frozen records, the run status machine and its errors.

Records are plain frozen dataclasses with UTC-aware datetimes, so callers never hold ORM objects bound to a
session, and a record can be written into a manifest as it is (:meth:`RunRecord.to_dict`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

RUNNING, FAILED, COMPLETE, APPROVED, PUBLISHED, SUPERSEDED = (
    "running", "failed", "complete", "approved", "published", "superseded",
)  # fmt: skip
STATUSES: tuple[str, ...] = (RUNNING, FAILED, COMPLETE, APPROVED, PUBLISHED, SUPERSEDED)

# Legal status changes. ``superseded`` is reached only when another run of the same cycle is published.
TRANSITIONS: dict[str, frozenset[str]] = {
    RUNNING: frozenset({COMPLETE, FAILED}),
    COMPLETE: frozenset({APPROVED, PUBLISHED}),
    APPROVED: frozenset({PUBLISHED}),
    PUBLISHED: frozenset({SUPERSEDED}),
    FAILED: frozenset(),
    SUPERSEDED: frozenset(),
}

FORECASTER, ADMIN = "forecaster", "admin"
ROLES: tuple[str, ...] = (FORECASTER, ADMIN)

OPEN, CLOSED = "open", "closed"
# Alert kinds raised by the input-health checks; any short identifier is accepted.
SILENT, EXCEEDANCE = "silent", "exceedance"


class CatalogueError(Exception):
    """The catalogue cannot be used: unreachable or invalid URL, unknown schema, database error."""


class UnknownRun(CatalogueError, KeyError):
    """No run with this id in the catalogue."""

    def __init__(self, run_id: str, where: str) -> None:
        super().__init__(f"no run {run_id!r} in the run catalogue {where}; see `vnaqi runs`")
        self.run_id = run_id

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class InvalidTransition(CatalogueError, ValueError):
    """A status change the run status machine does not allow."""

    def __init__(self, run_id: str, current: str, requested: str) -> None:
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none, it is final"
        super().__init__(
            f"run {run_id}: cannot change status from {current!r} to {requested!r} "
            f"(allowed from {current!r}: {allowed})"
        )
        self.run_id, self.current, self.requested = run_id, current, requested


def check_status(status: str) -> str:
    """``status`` if it is a run status, else ``ValueError`` listing the valid ones."""
    if status not in STATUSES:
        raise ValueError(f"unknown run status {status!r}; valid: {', '.join(STATUSES)}")
    return status


def check_transition(run_id: str, current: str, requested: str) -> None:
    """Raise :class:`InvalidTransition` unless ``current → requested`` is legal."""
    check_status(requested)
    if requested not in TRANSITIONS[current]:
        raise InvalidTransition(run_id, current, requested)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class Fallback:
    """A fallback a run took (e.g. step ``ctm``, detail ``CAMS missing, corrector without CTM``)."""

    step: str
    detail: str
    at: datetime


@dataclass(frozen=True)
class StatusEvent:
    """One status change of a run: the new status, when [UTC], by whom and why."""

    status: str
    at: datetime
    by: str | None = None
    note: str | None = None
    previous: str | None = None


@dataclass(frozen=True)
class RunRecord:
    """One run of one cycle, as stored in the catalogue."""

    run_id: str
    cycle: str
    name: str
    version: int
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    path: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)  # stage → seconds, in recording order
    fallbacks: tuple[Fallback, ...] = ()
    approved_by: str | None = None
    approved_at: datetime | None = None
    approval_note: str | None = None
    published_by: str | None = None
    published_at: datetime | None = None

    @property
    def seconds(self) -> float | None:
        """Wall-clock duration from start to finish [s], None while running."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (ISO 8601 times), e.g. for a run manifest."""
        out = asdict(self)
        for key in ("started_at", "finished_at", "approved_at", "published_at"):
            out[key] = _iso(out[key])
        out["fallbacks"] = [{**f, "at": _iso(f["at"])} for f in out["fallbacks"]]
        out["seconds"] = self.seconds
        return out


@dataclass(frozen=True)
class AlertRecord:
    """A station alert (silent station, observed exceedance, ...): opened once, updated while it persists."""

    id: int
    station_id: str
    kind: str
    status: str
    detail: str
    value: float | None
    opened_cycle: str
    last_cycle: str
    first_observed_at: datetime
    last_seen_at: datetime
    opened_at: datetime
    closed_at: datetime | None = None
    closed_cycle: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (ISO 8601 times), e.g. for a run manifest or the dashboard."""
        out = asdict(self)
        for key in ("first_observed_at", "last_seen_at", "opened_at", "closed_at"):
            out[key] = _iso(out[key])
        return out


@dataclass(frozen=True)
class UserRecord:
    """A forecaster or admin (never their password or key hashes)."""

    name: str
    role: str
    created_at: datetime
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key's public part: its prefix, owner and state."""

    prefix: str
    user: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class AuditRecord:
    """One audited change."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": _iso(self.at)}


@dataclass(frozen=True)
class OverrideRecord:
    """A forecaster's override of a station's daily category in a run."""

    run_id: str
    station_id: str
    day: str
    category: int
    reason: str
    by: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": _iso(self.at)}
