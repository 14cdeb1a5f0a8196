"""One station of a release's ``forecast.json`` turned into the API's forecast body for one language.

Pure functions: categories with names, colours and readable text colours, the 10–90 % category range, the
confidence label (rule in :data:`api.models.CONFIDENCE_RULE`), notices, and daily windows as explicit times.
The result is validated through :class:`api.models.StationForecast` once per (release, station, language).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from api.lang import Lang
from api.models import API_VERSION, TIME_CONVENTION, Confidence, StationForecast
from forecast.aqi.categories import CATEGORIES

CONCENTRATION_UNIT = "µg/m³"
AQI_UNIT = "VN_AQI (Decision 1459/QĐ-TCMT), dimensionless"
HIGH, MEDIUM = 0.7, 0.45
_RANK = {"low": 0, "medium": 1, "high": 2}
DARK_TEXT, LIGHT_TEXT = "#000000", "#FFFFFF"

NOTICES = {
    "synthetic": {
        "vi": "DỮ LIỆU MÔ PHỎNG — không phải quan trắc thật.",
        "en": "SYNTHETIC DATA — not real observations.",
    },
    "not_reviewed": {"vi": "Bản tin chưa được dự báo viên duyệt.", "en": "Not reviewed by a forecaster."},
    "no_recent_observations": {
        "vi": "Trạm không có số liệu quan trắc gần đây; dự báo dựa vào khí tượng, lịch và khí hậu.",
        "en": "No recent observations at this station; the forecast leans on weather, calendar and climatology.",
    },
    "history_from": {
        "vi": "Dự báo mượn chuỗi số liệu của trạm lân cận {station}.",
        "en": "The forecast borrows the history of the nearby station {station}.",
    },
    "no_met_leads": {
        "vi": "{hours} giờ được dự báo khi thiếu số liệu khí tượng.",
        "en": "{hours} hours were forecast without weather input.",
    },
}  # fmt: skip


@dataclass(frozen=True)
class ReleaseMeta:
    """What every body of one release says about where it comes from."""

    run_id: str
    cycle: str
    version: int
    method: str | None
    issue_time: str
    synthetic: bool
    time_zone: str
    bulletin_id: str | None
    bulletin_version: int | None
    released_at: str | None
    reviewed: bool
    approved_by: str | None


def text_colour(category: int) -> str:
    """Black on Tốt … Xấu, white on Rất xấu and Nguy hại (each pair ≥ 4.5:1, as the bulletin)."""
    return LIGHT_TEXT if category >= 5 else DARK_TEXT


def category_fields(category: int | None, lang: Lang) -> dict[str, Any]:
    """``category``, ``category_name``, ``colour``, ``text_colour`` (all null without a category)."""
    if not category or not 1 <= int(category) <= len(CATEGORIES):
        return {"category": None, "category_name": None, "colour": None, "text_colour": None}
    c = CATEGORIES[int(category) - 1]
    name = c.name_vi if lang == "vi" else c.name_en
    return {"category": c.index, "category_name": name, "colour": c.hex, "text_colour": text_colour(c.index)}


def category_range(probabilities: dict[str, float] | None) -> dict[str, int] | None:
    """Categories of the 10 % and 90 % quantiles of the daily VN_AQI, from the category probabilities."""
    if not probabilities:
        return None
    cumulative, low, high = 0.0, None, None
    for k in range(1, len(CATEGORIES) + 1):
        cumulative += float(probabilities.get(str(k)) or 0.0)
        if low is None and cumulative >= 0.1 - 1e-9:
            low = k
        if high is None and cumulative >= 0.9 - 1e-9:
            high = k
    if low is None or high is None:
        return None
    return {"low": low, "high": high}


def confidence(
    probabilities: dict[str, float] | None, category: int | None, status: dict[str, Any]
) -> tuple[Confidence, float | None]:
    """The plain confidence label of a day and the probability it rests on (rule: CONFIDENCE_RULE)."""
    if not probabilities or not category:
        label: Confidence = "low"
        p = None
    else:
        p = float(probabilities.get(str(int(category))) or 0.0)
        label = "high" if p >= HIGH else "medium" if p >= MEDIUM else "low"
    cap: Confidence = "high"
    if status.get("no_met_leads"):
        cap = "medium"
    if status.get("no_recent_observations") or status.get("history_from"):
        cap = "low"
    return (label if _RANK[label] <= _RANK[cap] else cap), p


def _status(raw: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw or {}
    return {
        "no_recent_observations": bool(raw.get("no_recent_observations", False)),
        "no_met_leads": int(raw.get("no_met_leads") or 0),
        "history_from": raw.get("history_from"),
        "note": raw.get("note"),
    }


def _day_window(day: str, zone: ZoneInfo) -> tuple[str, str]:
    start = datetime.combine(date.fromisoformat(day), time(0), tzinfo=zone)
    return start.isoformat(), (start + timedelta(days=1)).isoformat()


def _daily(entry: dict[str, Any], status: dict[str, Any], lang: Lang, zone: ZoneInfo) -> dict[str, Any]:
    probabilities = entry.get("category_probabilities")
    label, p = confidence(probabilities, entry.get("category"), status)
    start, end = _day_window(entry["date"], zone)
    advice = (entry.get("advice") or {}).get(lang)
    likely = max(probabilities, key=lambda k: probabilities[k]) if probabilities else None
    return {
        "day": entry["day"],
        "date": entry["date"],
        "period_start": start,
        "period_end": end,
        "aqi": entry.get("aqi"),
        **category_fields(entry.get("category"), lang),
        "dominant_pollutant": entry.get("dominant_pollutant"),
        "observed_hours": entry.get("observed_hours"),
        "forecast_hours": entry.get("forecast_hours"),
        "category_probabilities": probabilities,
        "most_likely_category": int(likely) if likely is not None else None,
        "category_range_10_90": category_range(probabilities),
        "confidence": label,
        "confidence_probability": p,
        "advice": {"general": advice["general"], "sensitive": advice["sensitive"]} if advice else None,
        "forecaster_override": entry.get("override"),
    }


def _hourly(entry: dict[str, Any], lang: Lang) -> dict[str, Any]:
    quantiles = entry.get("quantiles") or {}
    concentrations = {
        pollutant: {"value": value, **(quantiles.get(pollutant) or {})}
        for pollutant, value in (entry.get("concentrations") or {}).items()
    }
    return {
        "lead": entry["lead"],
        "valid_time": entry["valid_time"],
        "hour_ending": True,
        "aqi": entry.get("aqi"),
        **category_fields(entry.get("category"), lang),
        "dominant_pollutant": entry.get("dominant_pollutant"),
        "concentration_unit": CONCENTRATION_UNIT,
        "concentrations": concentrations,
    }


def observed_fields(raw: dict[str, Any] | None, lang: Lang) -> dict[str, Any] | None:
    """The station's last observed hour in the response language, or None."""
    if not raw:
        return None
    return {
        "time": raw["time"],
        "hour_ending": True,
        "aqi": raw.get("aqi"),
        **category_fields(raw.get("category"), lang),
        "dominant_pollutant": raw.get("dominant_pollutant"),
    }


def station_summary(raw: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """Id, names, province and coordinates of a forecast station."""
    return {
        "id": raw["id"],
        "name": raw["name_vi"] if lang == "vi" else raw["name_en"],
        "name_vi": raw["name_vi"],
        "name_en": raw["name_en"],
        "province": raw["province"],
        "latitude": raw["latitude"],
        "longitude": raw["longitude"],
    }


def notices(meta: ReleaseMeta, status: dict[str, Any], lang: Lang) -> list[str]:
    """Caveats a client must show with the forecast."""
    out = []
    if meta.synthetic:
        out.append(NOTICES["synthetic"][lang])
    if not meta.reviewed:
        out.append(NOTICES["not_reviewed"][lang])
    if status["no_recent_observations"]:
        out.append(NOTICES["no_recent_observations"][lang])
    if status["history_from"]:
        out.append(NOTICES["history_from"][lang].format(station=status["history_from"]))
    if status["no_met_leads"]:
        out.append(NOTICES["no_met_leads"][lang].format(hours=status["no_met_leads"]))
    return out


def station_forecast(raw: dict[str, Any], meta: ReleaseMeta, lang: Lang, links: dict[str, str]) -> StationForecast:
    """The forecast body of station ``raw`` (an entry of ``forecast.json``'s ``stations``)."""
    zone = ZoneInfo(meta.time_zone)
    status = _status(raw.get("status"))
    daily = [_daily(d, status, lang, zone) for d in raw.get("daily") or []]
    body = {
        "api_version": API_VERSION,
        "lang": lang,
        "issue_time": meta.issue_time,
        "run_id": meta.run_id,
        "version": meta.version,
        "run": {"id": meta.run_id, "cycle": meta.cycle, "version": meta.version, "method": meta.method},
        "release": {
            "bulletin_id": meta.bulletin_id,
            "bulletin_version": meta.bulletin_version,
            "released_at": meta.released_at,
            "reviewed": meta.reviewed,
            "approved_by": meta.approved_by,
        },
        "synthetic": meta.synthetic,
        "notices": notices(meta, status, lang),
        "time_zone": meta.time_zone,
        "time_convention": TIME_CONVENTION,
        "units": {
            "aqi": AQI_UNIT,
            "concentration": CONCENTRATION_UNIT,
            "probability": "fraction 0–1",
            "lead": "h",
        },
        "station": station_summary(raw, lang),
        "status": status,
        "confidence": daily[0]["confidence"] if daily else "low",
        "observed": observed_fields(raw.get("observed"), lang),
        "daily": daily,
        "hourly": [_hourly(h, lang) for h in raw.get("hourly") or []],
        "links": links,
    }
    return StationForecast.model_validate(body)
