"""The emergency alert path: a run's forecast → CAP 1.2 Alert / Update / Cancel per province, and drills.

The rule (:mod:`bulletins.cap_rule`): daily VN_AQI ≥ 300 forecast on D1, D2 and D3 at a station. One
message per province (its own lifecycle, so one province can be cancelled while another goes on), with
one ``info`` per language and one ``area`` holding a circle per affected station. The ledger
(:mod:`bulletins.cap_ledger`) makes a later run issue an **Update** (the rule still holds) or a **Cancel**
(it no longer does) referencing the earlier messages instead of a second Alert, and nothing at all when
the same cycle is evaluated again without change. Runs not approved or published are still alerted on,
flagged ``reviewed: false`` with a caveat. Drills (status Exercise) have a track of their own and never
touch the real alert state. See ``docs/cap.md``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final

from bulletins.cap import DEFAULT_BASE_URL, DEFAULT_SENDER, LOCAL_TZ, CapError, CapMessage, cap_time, check_token
from bulletins.cap_ledger import ACTUAL, EXERCISE, TEST, Ledger, LedgerEntry, commit, locked_ledger
from bulletins.cap_rule import (
    DayValue,
    ForecastDocumentError,
    ProvinceCondition,
    StationDays,
    area_key,
    province_conditions,
)
from bulletins.cap_text import MessageContext, build_infos
from configs.settings import HomeLayout

log = logging.getLogger(__name__)

DEFAULT_RADIUS_KM: Final = 10.0
REVIEWED_STATUSES: Final = frozenset({"approved", "published", "superseded"})
DRILL_VALUES: Final = (350, 380, 360)  # made-up scenario VN_AQI for D1–D3 of a drill
DRILL_PROBABILITY: Final = 0.8


def _now(now: datetime | None) -> datetime:
    now = now or datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise CapError(f"'now' must be timezone-aware, got {now!r}")
    return now.replace(microsecond=0)


def _web(base_url: str, identifier: str) -> str:
    if not re.match(r"^https?://[^\s<>]+$", base_url):
        raise CapError(f"CAP web base URL must be an absolute http(s) URL, got {base_url!r}")
    return f"{base_url.rstrip('/')}/cap/{identifier}.xml"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9:-]+", "-", text).strip("-") or "run"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ForecastDocumentError(f"{path}: missing; is this a complete run folder?") from exc
    except (OSError, ValueError) as exc:
        raise ForecastDocumentError(f"{path}: not readable JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ForecastDocumentError(f"{path}: expected a JSON object")
    return data


def review_state(home: Path, run_id: str, catalogue_url: str | None = None) -> tuple[bool, str | None, str | None]:
    """``(reviewed, catalogue status, approved_by)`` of a run; not reviewed when the catalogue does not know it."""
    from forecast.catalogue import URL_ENV, CatalogueError, RunCatalogue

    if not (catalogue_url or os.environ.get(URL_ENV) or HomeLayout(Path(home)).catalogue.exists()):
        log.warning("run %s: no run catalogue in %s, so the run counts as not reviewed", run_id, home)
        return False, None, None
    try:
        with RunCatalogue(url=catalogue_url, home_root=Path(home)) as catalogue:
            record = catalogue.get(run_id)
    except CatalogueError as exc:
        log.warning("run %s counts as not reviewed: %s", run_id, exc)
        return False, None, None
    return record.status in REVIEWED_STATUSES, record.status, record.approved_by


def _message(
    ledger: Ledger, condition: ProvinceCondition, ctx: MessageContext, *, track: str, sender: str, base_url: str,
    stamp: str, previous: LedgerEntry | None, fingerprint: str | None, extra: dict[str, Any],
) -> tuple[CapMessage, LedgerEntry]:  # fmt: skip
    seq = ledger.take_seq()
    prefix = {ACTUAL: "vn.vnaqi", TEST: "vn.vnaqi.test", EXERCISE: "vn.vnaqi.drill"}[track]
    identifier = f"{prefix}.{stamp}.{condition.area_key}.{seq}"
    history = ledger.incident(previous.incident) if previous else []
    incident = previous.incident if previous else f"{prefix}.incident.{condition.area_key}.{stamp}.{seq}"
    expires = datetime.fromisoformat(previous.expires) if previous and previous.expires else None
    ctx = replace(ctx, web=_web(base_url, identifier))
    message = CapMessage(
        identifier=identifier, sender=sender, sent=ctx.sent, msg_type=ctx.kind,
        status={ACTUAL: "Actual", TEST: "Test", EXERCISE: "Exercise"}[track],
        infos=build_infos(condition, ctx, expires=expires), references=tuple(e.reference for e in history),
        incidents=(incident,), note="; ".join(ctx.caveats) or None,
    )  # fmt: skip
    stations = condition.stations if ctx.kind == "Cancel" else condition.affected
    info = message.infos[0]
    entry = LedgerEntry(
        seq=seq, identifier=identifier, sender=sender, sent=cap_time(ctx.sent), status=message.status,
        msg_type=ctx.kind, track=track, area_key=condition.area_key, province=condition.province,
        incident=incident, file=message.filename, cycle=ctx.cycle, run_id=ctx.run_id, fingerprint=fingerprint,
        onset=cap_time(info.onset) if info.onset else None, expires=cap_time(info.expires) if info.expires else None,
        references=list(message.references), stations=[s.id for s in stations], reviewed=ctx.reviewed,
        drill=track == EXERCISE, issued_at=datetime.now(UTC).isoformat(timespec="seconds"), **extra,
    )  # fmt: skip
    log.log(logging.WARNING if ctx.kind == "Alert" and track == ACTUAL else logging.INFO,
            "CAP %s %s (%s) for %s", message.status, ctx.kind, identifier, condition.province)  # fmt: skip
    return message, entry


def _is_active(entry: LedgerEntry | None, now: datetime) -> bool:
    """An Alert/Update not cancelled and not yet expired."""
    if entry is None or entry.msg_type == "Cancel":
        return False
    return entry.expires is None or datetime.fromisoformat(entry.expires) > now


def _decide(
    condition: ProvinceCondition, last: LedgerEntry | None, cycle: str, sent: datetime, fingerprint: str | None
) -> str | None:
    """Alert, Update, Cancel or ``None`` (nothing to say) for one province, given its last message."""
    if last is not None and last.cycle and cycle < last.cycle:
        log.info("CAP %s: cycle %s is older than %s's; nothing issued", condition.area_key, cycle, last.identifier)
        return None
    active = last if _is_active(last, sent) else None
    if condition.in_emergency:
        if active is None:
            return "Alert"
        same = active.cycle == cycle and active.fingerprint == fingerprint
        return None if same else "Update"  # the same cycle again with nothing new: silence
    # A run holding none of the alerted stations (e.g. a run for other stations) can neither confirm nor cancel.
    if active is not None and set(active.stations) & {s.id for s in condition.stations}:
        return "Cancel"
    return None


def emergency_messages(
    home: Path,
    run_dir: Path,
    *,
    sender: str = DEFAULT_SENDER,
    base_url: str = DEFAULT_BASE_URL,
    now: datetime | None = None,
    drill: bool = False,
    radius_km: float = DEFAULT_RADIUS_KM,
    catalogue_url: str | None = None,
) -> list[CapMessage]:
    """Evaluate the emergency rule on a complete run folder; write and return the CAP messages it issues.

    Per province: Alert when the rule starts to hold, Update when it still holds on a later cycle (or the
    same cycle says something new, e.g. now reviewed), Cancel when it no longer holds, nothing otherwise.
    A run of a cycle older than the province's last message, or whose days are over, changes nothing.
    ``drill`` issues the run's emergencies as Exercise Alerts that never update or cancel real ones.
    ``now`` (timezone-aware, default the wall clock) is the ``sent`` time.
    """
    check_token(sender, "sender")
    sent, run_dir = _now(now), Path(run_dir)
    document = _read_json(run_dir / "forecast.json")
    manifest = _read_json(run_dir / "manifest.json")
    conditions = province_conditions(document, str(run_dir / "forecast.json"))
    run_id = str(manifest.get("run_id") or f"{run_dir.parent.name}/{run_dir.name}")
    cycle = str(manifest.get("cycle") or document.get("cycle") or run_dir.parent.name)
    synthetic = bool(document.get("synthetic") or manifest.get("synthetic"))
    steps = [f.get("step") for f in manifest.get("fallbacks") or [] if isinstance(f, dict)]
    last_day = max((d.date for c in conditions.values() for s in c.stations for d in s.days), default=None)
    if last_day is None or datetime.combine(last_day + timedelta(days=1), time(0), LOCAL_TZ) <= sent:
        log.warning("run %s: its forecast days are over (or absent) at %s; no CAP message issued", run_id, sent)
        return []
    reviewed, status, approved_by = review_state(home, run_id, catalogue_url)
    track = EXERCISE if drill else (TEST if synthetic else ACTUAL)
    base = MessageContext(
        kind="Alert", sent=sent, run_id=run_id, cycle=cycle, web=None, radius_km=radius_km, reviewed=reviewed,
        drill=drill, synthetic=synthetic, fallbacks=tuple(dict.fromkeys(str(s) for s in steps if s)),
    )  # fmt: skip
    extra = {"catalogue_status": status, "approved_by": approved_by}
    with locked_ledger(home) as ledger:
        issued = []
        for key, condition in conditions.items():
            last = None if drill else ledger.last(track, key)
            fingerprint = condition.fingerprint(reviewed, track) if condition.in_emergency else None
            kind = _decide(condition, last, cycle, sent, fingerprint)
            if kind is None:
                continue
            issued.append(_message(
                ledger, condition, replace(base, kind=kind), track=track, sender=sender, base_url=base_url,
                stamp=_safe(cycle), previous=last if kind != "Alert" else None, fingerprint=fingerprint, extra=extra,
            ))  # fmt: skip
        if issued:
            commit(ledger, issued)
    return [message for message, _ in issued]


def drill_messages(
    home: Path,
    province: str,
    *,
    registry: Any,
    sender: str = DEFAULT_SENDER,
    base_url: str = DEFAULT_BASE_URL,
    now: datetime | None = None,
    radius_km: float = DEFAULT_RADIUS_KM,
) -> list[CapMessage]:
    """An inter-provincial response drill: an Exercise Alert for ``province``'s air-quality stations.

    ``registry`` is the station registry (:func:`configs.networks.registry_for_home`); the province is
    matched without regard to case or diacritics (``"ha noi"`` finds ``"Hà Nội"``). Scenario values
    (:data:`DRILL_VALUES`, the three local days after today) are made up and say so in the message.
    """
    check_token(sender, "sender")
    sent = _now(now)
    key = area_key(province)
    stations = [s for s in registry if s.kind == "air_quality" and area_key(s.province) == key]
    if not stations:
        known = sorted({s.province for s in registry if s.kind == "air_quality"})
        raise ValueError(f"no air-quality station in province {province!r}; known provinces: {', '.join(known)}")
    first: date = sent.astimezone(LOCAL_TZ).date() + timedelta(days=1)
    days = tuple(
        DayValue(f"D{i + 1}", first + timedelta(days=i), aqi, "pm25", DRILL_PROBABILITY)
        for i, aqi in enumerate(DRILL_VALUES)
    )
    condition = ProvinceCondition(stations[0].province, key, tuple(
        StationDays(s.id, s.name_vi, s.name_en, s.latitude, s.longitude, days) for s in stations
    ))  # fmt: skip
    ctx = MessageContext(kind="Alert", sent=sent, run_id=None, cycle=None, web=None, radius_km=radius_km,
                         reviewed=False, drill=True, scenario=True)  # fmt: skip
    stamp = sent.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    with locked_ledger(home) as ledger:
        issued = [_message(ledger, condition, ctx, track=EXERCISE, sender=sender, base_url=base_url, stamp=stamp,
                           previous=None, fingerprint=None, extra={})]  # fmt: skip
        commit(ledger, issued)
    return [issued[0][0]]


def evaluate_emergency(home: Path, run_dir: Path, catalogue_url: str | None = None) -> list[str]:
    """Re-evaluate the emergency rule for a run after it was written, approved or published (the cycle,
    the scheduler, a release and `vnaqi runs approve/publish` call this); one printable line (rich markup)
    per CAP message issued.

    Never raises: an emergency message that cannot be written is reported, the run stays as it is.
    """
    try:
        issued = emergency_messages(
            home, run_dir, sender=os.environ.get("VNAQI_CAP_SENDER", DEFAULT_SENDER),
            base_url=os.environ.get("VNAQI_CAP_BASE_URL", DEFAULT_BASE_URL), catalogue_url=catalogue_url,
        )  # fmt: skip
    except Exception as exc:  # the forecast is published either way; say loudly what failed
        log.error("CAP emergency evaluation failed for %s: %s", run_dir, exc)
        return [f"[bold red]CAP emergency evaluation failed[/]: {type(exc).__name__}: {exc}"]
    return [f"[bold red]CAP {m.msg_type}[/] {m.identifier} ({m.status})" for m in issued]
