"""The emergency rule of the national plan, read from a run's ``forecast.json`` (VN_AQI.md §11).

A station meets the rule when its daily VN_AQI is forecast **≥ 300 on D1, D2 and D3** (three
consecutive local days; a partly observed D1 counts as it stands in the document). Stations are grouped
by province: a province is in emergency when at least one of its stations meets the rule. Also the
CAP urgency and certainty of such a forecast (mapping documented in ``docs/cap.md``).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from bulletins.cap import LOCAL_TZ

EMERGENCY_AQI: Final = 300
EMERGENCY_DAYS: Final = 3
HAZARDOUS: Final = 6  # VN_AQI category "Nguy hại" (301–500)
LIKELY_ABOVE: Final = 0.5  # CAP "Likely" is p > ~50 %
POLLUTANT_NAMES: Final = {"pm25": "PM2.5", "pm10": "PM10", "no2": "NO2", "o3": "O3", "so2": "SO2", "co": "CO"}


class ForecastDocumentError(ValueError):
    """A forecast document the rule cannot read (names the file, field and reason)."""


@dataclass(frozen=True)
class DayValue:
    """One daily VN_AQI of a station: ``p_hazardous`` = P(category 6, AQI ≥ 301) or ``None``."""

    day: str
    date: date
    aqi: int | None
    dominant: str | None
    p_hazardous: float | None


@dataclass(frozen=True)
class StationDays:
    """A station of the run with its D1–D3 (and the status flags the run gave it)."""

    id: str
    name_vi: str
    name_en: str
    latitude: float
    longitude: float
    days: tuple[DayValue, ...]
    status: tuple[tuple[str, str], ...] = ()

    @property
    def meets_rule(self) -> bool:
        """Daily VN_AQI ≥ 300 on the first three days, which are consecutive dates."""
        days = self.days[:EMERGENCY_DAYS]
        return (
            len(days) == EMERGENCY_DAYS
            and all(d.aqi is not None and d.aqi >= EMERGENCY_AQI for d in days)
            and all(b.date - a.date == timedelta(days=1) for a, b in zip(days, days[1:], strict=False))
        )

    @property
    def probability(self) -> float | None:
        """P(AQI > 300 on all three days) under the cycle's fully dependent errors: the smallest day's
        P(category 6). A lower bound of P(AQI ≥ 300) (AQI = 300 exactly is category 5). ``None`` if unknown."""
        values = [d.p_hazardous for d in self.days[:EMERGENCY_DAYS]]
        return None if not values or any(v is None for v in values) else min(values)  # type: ignore[type-var]


@dataclass(frozen=True)
class ProvinceCondition:
    """One province of a run: all its stations in the run, and those meeting the rule."""

    province: str
    area_key: str
    stations: tuple[StationDays, ...]

    @property
    def affected(self) -> tuple[StationDays, ...]:
        return tuple(s for s in self.stations if s.meets_rule)

    @property
    def in_emergency(self) -> bool:
        return bool(self.affected)

    @property
    def dates(self) -> tuple[date, date]:
        """First and last local day of the affected stations' three days."""
        days = [d.date for s in self.affected for d in s.days[:EMERGENCY_DAYS]]
        return min(days), max(days)

    @property
    def onset(self) -> datetime:
        """Start of the first local day (00:00 +07:00: hour-ending 01:00 is its first hour)."""
        return datetime.combine(self.dates[0], time(0), LOCAL_TZ)

    @property
    def expires(self) -> datetime:
        """End of the last local day (00:00 +07:00 of the next day)."""
        return datetime.combine(self.dates[1] + timedelta(days=1), time(0), LOCAL_TZ)

    @property
    def max_aqi(self) -> int:
        return max(d.aqi for s in self.affected for d in s.days[:EMERGENCY_DAYS] if d.aqi is not None)

    @property
    def probability(self) -> float | None:
        """The largest known station probability (the area is hit if any station is), else ``None``."""
        known = [p for s in self.affected if (p := s.probability) is not None]
        return max(known) if known else None

    def fingerprint(self, *extra: object) -> str:
        """A digest of what an alert says (stations, days, values, ``extra``): equal means nothing changed."""
        content = [
            [s.id, s.name_vi, [[d.date.isoformat(), d.aqi, d.p_hazardous] for d in s.days[:EMERGENCY_DAYS]]]
            for s in sorted(self.affected, key=lambda s: s.id)
        ]
        blob = json.dumps([content, [str(e) for e in extra]], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def area_key(province: str) -> str:
    """An ASCII key for a province usable in CAP identifiers: ``"TP. Hồ Chí Minh"`` → ``"tp-ho-chi-minh"``."""
    text = province.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    key = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-")
    return key or "province-" + hashlib.sha256(province.encode("utf-8")).hexdigest()[:8]


def urgency(onset: datetime, sent: datetime) -> str:
    """CAP urgency: ``Immediate`` once the first day has begun, ``Expected`` within 24 h, else ``Future``."""
    if onset <= sent:
        return "Immediate"
    return "Expected" if onset - sent <= timedelta(hours=24) else "Future"


def certainty(probability: float | None) -> str:
    """CAP certainty from P(AQI > 300 on all days): ``Likely`` above 50 %, else ``Possible``, ``Unknown`` if none.

    Never ``Unlikely``: the issued forecast itself is ≥ 300, and the probability is a lower bound.
    """
    if probability is None:
        return "Unknown"
    return "Likely" if probability > LIKELY_ABOVE else "Possible"


def _field(station: dict[str, Any], name: str, where: str) -> Any:
    if name not in station or station[name] is None:
        raise ForecastDocumentError(f"{where}: field {name!r} is missing")
    return station[name]


def _day(entry: Any, where: str) -> DayValue:
    if not isinstance(entry, dict):
        raise ForecastDocumentError(f"{where}: expected an object, got {type(entry).__name__}")
    try:
        day_date = date.fromisoformat(str(entry["date"]))
        aqi = None if entry.get("aqi") is None else int(entry["aqi"])
        probs = entry.get("category_probabilities") or {}
        p6 = probs.get(str(HAZARDOUS))
        p6 = None if p6 is None else float(p6)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ForecastDocumentError(f"{where}: {type(exc).__name__}: {exc}") from exc
    return DayValue(str(entry.get("day") or ""), day_date, aqi, entry.get("dominant_pollutant"), p6)


def _station(raw: Any, where: str) -> tuple[str, StationDays]:
    if not isinstance(raw, dict):
        raise ForecastDocumentError(f"{where}: expected an object, got {type(raw).__name__}")
    sid = str(_field(raw, "id", where))
    try:
        lat, lon = float(_field(raw, "latitude", where)), float(_field(raw, "longitude", where))
    except (TypeError, ValueError) as exc:
        raise ForecastDocumentError(f"{where} ({sid}): latitude/longitude are not numbers: {exc}") from exc
    daily = raw.get("daily") or []
    if not isinstance(daily, list):
        raise ForecastDocumentError(f"{where} ({sid}): field 'daily' must be a list")
    days = sorted((_day(d, f"{where} ({sid}).daily[{j}]") for j, d in enumerate(daily)), key=lambda d: d.date)
    status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
    flags = tuple((str(k), str(v)) for k, v in status.items() if v not in (None, False, 0, ""))
    name_vi = str(raw.get("name_vi") or sid)
    station = StationDays(sid, name_vi, str(raw.get("name_en") or name_vi), lat, lon, tuple(days), flags)
    return str(_field(raw, "province", where)), station


def province_conditions(document: dict[str, Any], source: str = "forecast.json") -> dict[str, ProvinceCondition]:
    """Every province of a forecast document (schema ``vnaqi.forecast/1``), keyed by :func:`area_key`."""
    stations = document.get("stations") if isinstance(document, dict) else None
    if not isinstance(stations, list):
        raise ForecastDocumentError(f"{source}: field 'stations' is missing or not a list")
    grouped: dict[str, tuple[str, list[StationDays]]] = {}
    for i, raw in enumerate(stations):
        province, station = _station(raw, f"{source}: stations[{i}]")
        grouped.setdefault(area_key(province), (province, []))[1].append(station)
    return {key: ProvinceCondition(name, key, tuple(found)) for key, (name, found) in grouped.items()}
