"""Station alerts inside a catalogue transaction: open once, update while the condition persists, close.

An alert is keyed by (station, kind), e.g. ``("hn-an-khanh", "silent")`` for a station silent more than 2 h or
``("hn-an-khanh", "exceedance")`` for an observed exceedance. While it is open, raising it again only refreshes
``last_seen_at``, ``value``, ``detail`` and ``last_cycle``; once closed, the next raise opens a new alert and
the closed one stays as history. These functions take an open :class:`~sqlalchemy.orm.Session`; the
methods of :class:`AlertStore` (and so :class:`~forecast.catalogue.RunCatalogue`) own the transactions.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecast.catalogue import checks
from forecast.catalogue.engine import RETRIES, Database
from forecast.catalogue.records import CLOSED, OPEN, AlertRecord
from forecast.catalogue.schema import Alert

log = logging.getLogger(__name__)
_KIND_RE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")


def _check_key(station_id: str, kind: str) -> None:
    if not station_id or not station_id.strip() or len(station_id) > 100:
        raise ValueError(f"alert station id {station_id!r} is empty or longer than 100 characters")
    if not _KIND_RE.match(kind):
        raise ValueError(f"alert kind {kind!r} is not a short lower-case identifier such as 'silent' or 'exceedance'")


def _check_value(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"alert value {value!r} is not a finite number")
    return value


def find_open(session: Session, station_id: str, kind: str) -> Alert | None:
    """The open alert of (station, kind), if any."""
    query = select(Alert).where(Alert.station_id == station_id, Alert.kind == kind, Alert.status == OPEN)
    return session.scalars(query).one_or_none()


def open_or_refresh(
    session: Session,
    station_id: str,
    kind: str,
    *,
    cycle: str,
    observed_at: datetime,
    detail: str,
    value: float | None,
    now: datetime,
) -> tuple[Alert, bool]:
    """Open the alert, or refresh the open one; return it and whether it was newly opened."""
    _check_key(station_id, kind)
    value = _check_value(value)
    alert = find_open(session, station_id, kind)
    if alert is not None:
        alert.last_seen_at = max(alert.last_seen_at, observed_at)
        alert.value, alert.detail, alert.last_cycle = value, detail, cycle
        return alert, False
    alert = Alert(
        station_id=station_id,
        kind=kind,
        status=OPEN,
        detail=detail,
        value=value,
        opened_cycle=cycle,
        last_cycle=cycle,
        first_observed_at=observed_at,
        last_seen_at=observed_at,
        opened_at=now,
    )
    session.add(alert)
    session.flush()  # the unique "one open alert" index speaks here, inside the caller's retry
    return alert, True


def close_open(session: Session, station_id: str, kind: str, *, cycle: str, at: datetime) -> list[Alert]:
    """Close the open alert(s) of (station, kind): the condition is gone. Returns those closed."""
    _check_key(station_id, kind)
    query = select(Alert).where(Alert.station_id == station_id, Alert.kind == kind, Alert.status == OPEN)
    closed = list(session.scalars(query))
    for alert in closed:
        alert.status, alert.closed_at, alert.closed_cycle = CLOSED, at, cycle
    return closed


def list_alerts(
    session: Session, *, include_closed: bool = False, station_id: str | None = None, limit: int = 200
) -> list[Alert]:
    """Alerts, most recently seen first: open ones only unless ``include_closed``."""
    query = select(Alert)
    if not include_closed:
        query = query.where(Alert.status == OPEN)
    if station_id is not None:
        query = query.where(Alert.station_id == station_id)
    query = query.order_by(Alert.last_seen_at.desc(), Alert.id.desc()).limit(checks.limit(limit))
    return list(session.scalars(query))


def to_record(alert: Alert) -> AlertRecord:
    """A detached, frozen copy of ``alert``."""
    return AlertRecord(
        id=alert.id,
        station_id=alert.station_id,
        kind=alert.kind,
        status=alert.status,
        detail=alert.detail,
        value=alert.value,
        opened_cycle=alert.opened_cycle,
        last_cycle=alert.last_cycle,
        first_observed_at=alert.first_observed_at,
        last_seen_at=alert.last_seen_at,
        opened_at=alert.opened_at,
        closed_at=alert.closed_at,
        closed_cycle=alert.closed_cycle,
    )


class AlertStore(Database):
    """The alert half of the catalogue: each method one transaction over the functions above."""

    def raise_alert(
        self,
        station_id: str,
        kind: str,
        *,
        cycle: str,
        observed_at: datetime,
        detail: str,
        value: float | None = None,
    ) -> tuple[AlertRecord, bool]:
        """Open an alert for (station, kind), or refresh the open one; True when newly opened."""
        cycle, observed_at = checks.cycle(cycle), checks.utc(observed_at, "observed_at")

        def work(session: Session) -> tuple[AlertRecord, bool]:
            alert, new = open_or_refresh(
                session, station_id, kind, cycle=cycle, observed_at=observed_at, detail=detail, value=value,
                now=self._now(),
            )  # fmt: skip
            return to_record(alert), new

        record, new = self._write(work, retries=RETRIES)
        if new:
            log.warning("alert opened: %s %s: %s", station_id, kind, detail)
        return record, new

    def close_alerts(self, station_id: str, kind: str, *, cycle: str, at: datetime) -> int:
        """Close the open alert of (station, kind) because the condition is gone; the number closed."""
        cycle, at = checks.cycle(cycle), checks.utc(at, "at")
        closed = self._write(lambda s: len(close_open(s, station_id, kind, cycle=cycle, at=at)))
        if closed:
            log.info("alert closed: %s %s", station_id, kind)
        return closed

    def open_alerts(self, station_id: str | None = None) -> list[AlertRecord]:
        """Open alerts, most recently seen first."""
        return self.alerts(include_closed=False, station_id=station_id, limit=10_000)

    def alerts(
        self, include_closed: bool = False, station_id: str | None = None, limit: int = 200
    ) -> list[AlertRecord]:
        """Alerts, most recently seen first; closed ones too when ``include_closed``."""

        def query(session: Session) -> list[AlertRecord]:
            found = list_alerts(session, include_closed=include_closed, station_id=station_id, limit=limit)
            return [to_record(a) for a in found]

        return self._read(query)
