"""Tables of the run catalogue (SQLAlchemy 2 ORM). Portable between SQLite and PostgreSQL.

Times are stored as UTC: SQLite keeps no zone, so :class:`UTCDateTime` strips it on write and re-attaches UTC
on read; PostgreSQL uses ``timestamptz``. Two partial unique indexes make the database itself enforce "one
published run per cycle" and "one open alert per (station, kind)", whatever the number of writers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from forecast.catalogue.records import CLOSED, OPEN, PUBLISHED, ROLES, STATUSES

SCHEMA_VERSION = 1


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if hasattr(value, "to_pydatetime"):  # pandas.Timestamp
            value = value.to_pydatetime()
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: the catalogue takes timezone-aware times (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SchemaVersion(Base):
    """One row: the schema version of this catalogue, so later releases can migrate it."""

    __tablename__ = "schema_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    applied_at: Mapped[datetime]


class Run(Base):
    """One run: a version of a named job (``forecast``, ``baseline-…``) for one cycle. Rows are never deleted."""

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("cycle", "name", "version", name="uq_runs_cycle_name_version"),
        CheckConstraint(_in("status", STATUSES), name="ck_runs_status"),
        Index(
            "uq_runs_one_published_per_cycle",
            "cycle",
            unique=True,
            sqlite_where=text(f"status = '{PUBLISHED}'"),
            postgresql_where=text(f"status = '{PUBLISHED}'"),
        ),
        Index("ix_runs_cycle_started", "cycle", "started_at"),
        Index("ix_runs_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(200), unique=True)
    cycle: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    models: Mapped[dict[str, Any]] = mapped_column(default=dict)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]
    approval_note: Mapped[str | None] = mapped_column(Text)
    published_by: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None]

    stages: Mapped[list[RunStage]] = relationship(order_by="RunStage.id", lazy="selectin")
    fallbacks: Mapped[list[RunFallback]] = relationship(order_by="RunFallback.id", lazy="selectin")
    events: Mapped[list[RunStatusEvent]] = relationship(order_by="RunStatusEvent.id", lazy="select")


class RunStage(Base):
    """Wall-clock seconds a stage of a run took (recording a stage again replaces its time)."""

    __tablename__ = "run_stages"
    __table_args__ = (UniqueConstraint("run_pk", "stage", name="uq_run_stages_run_stage"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    seconds: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime]


class RunFallback(Base):
    """A fallback taken by a run (degrade, don't die), in the order taken."""

    __tablename__ = "run_fallbacks"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    step: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class RunStatusEvent(Base):
    """Status history: one row per status change, including the start (``running``). Append-only."""

    __tablename__ = "run_status_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    previous: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class Alert(Base):
    """A station alert. At most one open alert per (station, kind); a closed one is kept as history."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_in("status", (OPEN, CLOSED)), name="ck_alerts_status"),
        Index(
            "uq_alerts_one_open",
            "station_id",
            "kind",
            unique=True,
            sqlite_where=text(f"status = '{OPEN}'"),
            postgresql_where=text(f"status = '{OPEN}'"),
        ),
        Index("ix_alerts_status_station", "status", "station_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float)
    opened_cycle: Mapped[str] = mapped_column(String(32))
    last_cycle: Mapped[str] = mapped_column(String(32))
    closed_cycle: Mapped[str | None] = mapped_column(String(32))
    first_observed_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class User(Base):
    """A person who may change things: a forecaster or an admin. Only a hash of the password is stored."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="ck_users_role"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class ApiKey(Base):
    """An API key of a user: looked up by its public prefix, checked against the hash of the whole key."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who changed what, when: one row per change (approval, release, override, edit, user change). Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Override(Base):
    """A forecaster's override of a station's daily category in a run, with the mandatory reason. The latest
    override of (run, station, day) wins; none is ever deleted."""

    __tablename__ = "overrides"
    __table_args__ = (
        CheckConstraint("category BETWEEN 1 AND 6", name="ck_overrides_category"),
        Index("ix_overrides_run", "run_pk"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    station_id: Mapped[str] = mapped_column(String(100))
    day: Mapped[str] = mapped_column(String(4))
    category: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
