"""Who may change things, what they changed, and the forecasters' category overrides — in the catalogue.

Users (forecaster or admin) with scrypt password hashes and hashed API keys; an append-only audit log written
in the same transaction as the change it records; overrides of a station's daily category in a run, each with
a mandatory reason. Reads of forecasts are public and never need any of this.
"""

from __future__ import annotations

import functools
import hmac
import logging
import re
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forecast.catalogue import checks
from forecast.catalogue.engine import Database
from forecast.catalogue.records import (
    APPROVED,
    COMPLETE,
    PUBLISHED,
    ROLES,
    ApiKeyRecord,
    AuditRecord,
    OverrideRecord,
    UnknownRun,
    UserRecord,
)
from forecast.catalogue.schema import ApiKey, AuditEntry, Override, Run, User
from forecast.catalogue.secrets import (
    check_password_strength,
    hash_api_key,
    hash_password,
    key_prefix,
    new_api_key,
    verify_password,
)

log = logging.getLogger(__name__)

_USER_RE = re.compile(r"^[\w.@-][\w .@'-]{0,99}$", re.UNICODE)
DAYS = ("D1", "D2", "D3")
MIN_REASON_CHARS = 10
MAX_REASON_CHARS = 1000
OVERRIDABLE = (COMPLETE, APPROVED, PUBLISHED)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown names against, so they cost as much as a wrong password (made once, lazily)."""
    return hash_password("not a password of anybody")


class AccessError(ValueError):
    """A user, key or override that cannot be accepted, with the reason."""


def _user_name(name: str) -> str:
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not _USER_RE.match(name):
        raise AccessError(f"user name {name!r} must be 1-100 letters, digits, spaces or . @ ' - _")
    return name


def _user_record(user: User) -> UserRecord:
    return UserRecord(user.name, user.role, user.created_at, user.disabled_at)


def audit(session: Session, at, actor: str, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
    """Append one audit entry inside the caller's transaction."""
    session.add(AuditEntry(at=at, actor=actor or "unknown", action=action, target=target,
                           detail=checks.jsonable(detail)))  # fmt: skip


class AccessStore(Database):
    """Users, API keys, the audit log and overrides: each method one transaction."""

    # -- users and keys -------------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str | None, *, by: str) -> UserRecord:
        """Create a user (``password`` None: API keys only). ``AccessError`` for a bad name, role, weak
        password or a name already taken."""
        name = _user_name(name)
        if role not in ROLES:
            raise AccessError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
        if password is not None:
            try:
                check_password_strength(password)
            except ValueError as exc:
                raise AccessError(str(exc)) from None
        hashed = hash_password(password) if password is not None else None

        def work(session: Session) -> UserRecord:
            if session.scalars(select(User).where(User.name == name)).one_or_none() is not None:
                raise AccessError(f"user {name!r} already exists")
            user = User(name=name, role=role, password_hash=hashed, created_at=self._now())
            session.add(user)
            audit(session, self._now(), by, "user.add", name, {"role": role})
            return _user_record(user)

        try:
            return self._write(work)
        except IntegrityError:
            raise AccessError(f"user {name!r} already exists") from None

    def users(self) -> list[UserRecord]:
        """Every user, by name."""
        return self._read(lambda s: [_user_record(u) for u in s.scalars(select(User).order_by(User.name))])

    def disable_user(self, name: str, *, by: str) -> UserRecord:
        """Disable a user: their password, keys and sessions stop working at once (the row stays for history)."""

        def work(session: Session) -> UserRecord:
            user = session.scalars(select(User).where(User.name == name)).one_or_none()
            if user is None:
                raise AccessError(f"no user {name!r}; see `vnaqi users list`")
            user.disabled_at = user.disabled_at or self._now()
            audit(session, self._now(), by, "user.disable", name)
            return _user_record(user)

        return self._write(work)

    def user(self, name: str) -> UserRecord | None:
        """The user with this name (active or not), else None."""
        return self._read(
            lambda s: (lambda u: None if u is None else _user_record(u))(
                s.scalars(select(User).where(User.name == name)).one_or_none()
            )
        )

    def authenticate(self, name: str, password: str) -> UserRecord | None:
        """The active user with this name and password, else None (same answer for a wrong name or password)."""

        def query(session: Session) -> tuple[UserRecord, str | None] | None:
            user = session.scalars(select(User).where(User.name == name)).one_or_none()
            return None if user is None else (_user_record(user), user.password_hash)

        found = self._read(query)
        stored = found[1] if found is not None else None
        ok = verify_password(password, stored or _dummy_hash())  # the same cost for unknown names
        if found is None or stored is None or not ok or not found[0].active:
            return None
        return found[0]

    def create_api_key(self, name: str, *, label: str | None = None, by: str) -> tuple[str, ApiKeyRecord]:
        """A new API key for user ``name``: (the key, shown once and never stored, its record)."""
        key, prefix, hashed = new_api_key()

        def work(session: Session) -> ApiKeyRecord:
            user = session.scalars(select(User).where(User.name == name)).one_or_none()
            if user is None:
                raise AccessError(f"no user {name!r}; add it first with `vnaqi users add`")
            row = ApiKey(prefix=prefix, key_hash=hashed, user_pk=user.id, label=label, created_at=self._now())
            session.add(row)
            audit(session, self._now(), by, "key.create", name, {"prefix": prefix, "label": label})
            return ApiKeyRecord(prefix, name, label, row.created_at)

        return key, self._write(work)

    def revoke_api_key(self, prefix: str, *, by: str) -> ApiKeyRecord:
        """Revoke the key with this prefix (it stops working at once)."""

        def work(session: Session) -> ApiKeyRecord:
            row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
            if row is None:
                raise AccessError(f"no API key with prefix {prefix!r}; see `vnaqi users list`")
            owner = session.get(User, row.user_pk)
            row.revoked_at = row.revoked_at or self._now()
            audit(session, self._now(), by, "key.revoke", owner.name, {"prefix": prefix})
            return ApiKeyRecord(prefix, owner.name, row.label, row.created_at, row.revoked_at)

        return self._write(work)

    def api_keys(self) -> list[ApiKeyRecord]:
        """Every key's public part."""

        def query(session: Session) -> list[ApiKeyRecord]:
            rows = session.execute(select(ApiKey, User.name).join(User, ApiKey.user_pk == User.id)).all()
            return [ApiKeyRecord(k.prefix, name, k.label, k.created_at, k.revoked_at) for k, name in rows]

        return self._read(query)

    def user_for_key(self, key: str) -> UserRecord | None:
        """The active user owning this unrevoked key, else None."""
        prefix = key_prefix(key or "")
        if prefix is None:
            return None

        def query(session: Session) -> UserRecord | None:
            row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.key_hash, hash_api_key(key)):
                return None
            user = session.get(User, row.user_pk)
            return _user_record(user) if user.disabled_at is None else None

        return self._read(query)

    # -- audit ----------------------------------------------------------------------------------------------

    def record_audit(self, actor: str, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        """Audit a change made outside the catalogue (e.g. a bulletin edit written to files)."""
        self._write(lambda s: audit(s, self._now(), actor, action, target, detail))

    def audit_log(self, limit: int = 100, offset: int = 0, target: str | None = None) -> list[AuditRecord]:
        """Audit entries, newest first."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(checks.limit(limit)).offset(max(0, offset))
        if target is not None:
            query = query.where(AuditEntry.target == target)
        return self._read(
            lambda s: [
                AuditRecord(a.id, a.at, a.actor, a.action, a.target, dict(a.detail or {})) for a in s.scalars(query)
            ]  # fmt: skip
        )

    # -- overrides ------------------------------------------------------------------------------------------

    def add_override(
        self, run_id: str, *, station_id: str, day: str, category: int, reason: str, by: str
    ) -> OverrideRecord:
        """Override a station's daily category in a run (complete, approved or published) with a reason of at
        least :data:`MIN_REASON_CHARS` characters; audited."""
        reason = unicodedata.normalize("NFC", (reason or "").strip())
        if not by or not by.strip():
            raise AccessError("an override needs who makes it")
        if day not in DAYS:
            raise AccessError(f"day {day!r} must be one of {', '.join(DAYS)}")
        if not isinstance(category, int) or not 1 <= category <= 6:
            raise AccessError(f"category {category!r} must be a VN_AQI category 1 (Tốt) … 6 (Nguy hại)")
        if len(reason) < MIN_REASON_CHARS or len(reason) > MAX_REASON_CHARS:
            raise AccessError(
                f"an override needs a reason of {MIN_REASON_CHARS}–{MAX_REASON_CHARS} characters "
                f"(got {len(reason)}): say why the forecast is wrong"
            )
        if not station_id or len(station_id) > 100:
            raise AccessError(f"station id {station_id!r} is empty or too long")

        def work(session: Session) -> OverrideRecord:
            run = session.scalars(select(Run).where(Run.run_id == run_id)).one_or_none()
            if run is None:
                raise UnknownRun(run_id, self.url)
            if run.status not in OVERRIDABLE:
                raise AccessError(f"{run_id} is {run.status}; only a complete, approved or published run")
            now = self._now()
            row = Override(run_pk=run.id, station_id=station_id, day=day, category=category, reason=reason, by=by,
                           at=now)  # fmt: skip
            session.add(row)
            audit(session, now, by, "override", f"{run_id}/{station_id}/{day}", {"category": category,
                                                                                 "reason": reason})  # fmt: skip
            return OverrideRecord(run_id, station_id, day, category, reason, by, now)

        return self._write(work)

    def overrides(self, run_id: str) -> list[OverrideRecord]:
        """The effective overrides of a run: the latest per (station, day), in the order made."""

        def query(session: Session) -> list[OverrideRecord]:
            rows = session.execute(
                select(Override, Run.run_id).join(Run, Override.run_pk == Run.id).where(Run.run_id == run_id)
                .order_by(Override.id)
            ).all()  # fmt: skip
            latest: dict[tuple[str, str], OverrideRecord] = {}
            for o, rid in rows:
                latest[o.station_id, o.day] = OverrideRecord(rid, o.station_id, o.day, o.category, o.reason, o.by,
                                                             o.at)  # fmt: skip
            return list(latest.values())

        return self._read(query)
