"""What a bulletin says, built from a run's forecast document: regions (provinces), their D1–D3 outlook,
headline sentences, health advice, school advisory, emergency banner and caveats.

Templates (``bulletins/templates``) only lay this out; every sentence is assembled here from fixed
phrases, so the Vietnamese and English editions say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forecast.aqi.categories import category_by_index

SCHOOL_ADVISORY_CATEGORY = 4  # "Xấu" (151–200) or worse
EMERGENCY_AQI = 300
LANGS = ("vi", "en")


@dataclass(frozen=True)
class DayOutlook:
    """One region's (or station's) worst daily VN_AQI of one forecast day."""

    day: str
    date: str
    aqi: int | None
    category: int
    dominant_pollutant: str | None
    probabilities: dict[str, float] | None = None

    def name(self, lang: str) -> str:
        return category_by_index(self.category).name_vi if lang == "vi" else category_by_index(self.category).name_en

    @property
    def colour(self) -> str:
        return category_by_index(self.category).hex

    @property
    def text_colour(self) -> str:
        return "#000000" if self.category in (1, 2, 3) else "#FFFFFF"


@dataclass
class StationRow:
    """A station's line of the D1–D3 table."""

    id: str
    name: dict[str, str]
    days: list[DayOutlook]
    caveat: str | None = None


@dataclass
class Region:
    """A province: its stations, worst outlook per day, headline and advice."""

    name: str
    stations: list[StationRow] = field(default_factory=list)
    days: list[DayOutlook] = field(default_factory=list)
    headline: dict[str, str] = field(default_factory=dict)
    advice: dict[str, dict[str, str]] = field(default_factory=dict)
    school_advisory: bool = False
    emergency: bool = False


@dataclass
class BulletinContent:
    """Everything a bulletin shows, in both languages."""

    cycle: str
    issue_time: str
    regions: list[Region]
    synthetic: bool
    reviewed: bool
    approved_by: str | None
    caveats: list[dict[str, str]]
    emergency: bool


def _worst(days_by_station: list[list[dict[str, Any]]], k: int) -> DayOutlook | None:
    candidates = [days[k] for days in days_by_station if len(days) > k and days[k].get("aqi") is not None]
    if not candidates:
        return None
    top = max(candidates, key=lambda d: d["aqi"])
    return DayOutlook(top["day"], top["date"], int(top["aqi"]), int(top["category"]), top.get("dominant_pollutant"),
                      top.get("category_probabilities"))  # fmt: skip


def headline(region: str, days: list[DayOutlook], lang: str) -> str:
    """One sentence: the range of categories over D1–D3 and when the worst is expected."""
    if not days:
        return f"{region}: chưa có dự báo." if lang == "vi" else f"{region}: no forecast available."
    worst = max(days, key=lambda d: (d.category, d.aqi or 0))
    best = min(days, key=lambda d: d.category)
    day, month = worst.date[8:10], worst.date[5:7]
    if lang == "vi":
        span = worst.name("vi") if best.category == worst.category else f"{best.name('vi')} đến {worst.name('vi')}"
        when = f"ngày {day}/{month} (VN_AQI {worst.aqi})"
        return f"{region}: chất lượng không khí {span} trong ba ngày tới, xấu nhất {when}."
    span = worst.name("en") if best.category == worst.category else f"{best.name('en')} to {worst.name('en')}"
    return f"{region}: air quality {span} over the next three days, worst on {worst.date} (VN_AQI {worst.aqi})."


def _advice(category: int) -> dict[str, dict[str, str]]:
    cat = category_by_index(category)
    return {
        "vi": {"general": cat.advice_general_vi, "sensitive": cat.advice_sensitive_vi},
        "en": {"general": cat.advice_general_en, "sensitive": cat.advice_sensitive_en},
    }


def _station_caveat(status: dict[str, Any]) -> str | None:
    if not status:
        return None
    return status.get("note") or ", ".join(f"{k}: {v}" for k, v in status.items())


def bulletin_content(
    document: dict[str, Any], manifest: dict[str, Any], *, reviewed: bool, approved_by: str | None
) -> BulletinContent:
    """The bulletin of one run (forecast.json and manifest.json as read)."""
    by_province: dict[str, list[dict[str, Any]]] = {}
    for station in document["stations"]:
        by_province.setdefault(station.get("province") or "—", []).append(station)
    regions = []
    for province in sorted(by_province):
        stations = by_province[province]
        region = Region(province)
        for station in stations:
            days = [
                DayOutlook(d["day"], d["date"], d["aqi"], int(d["category"] or 0), d.get("dominant_pollutant"),
                           d.get("category_probabilities"))
                for d in station["daily"]
                if d.get("aqi") is not None
            ]  # fmt: skip
            names = {"vi": station["name_vi"], "en": station["name_en"]}
            caveat = _station_caveat(station.get("status") or {})
            region.stations.append(StationRow(station["id"], names, days, caveat))
        region.days = [d for k in range(3) if (d := _worst([s["daily"] for s in stations], k)) is not None]
        region.headline = {lang: headline(province, region.days, lang) for lang in LANGS}
        if region.days:
            region.advice = _advice(max(d.category for d in region.days))
        region.school_advisory = any(d.category >= SCHOOL_ADVISORY_CATEGORY for d in region.days)
        region.emergency = any(
            len(s["daily"]) >= 3 and all((d.get("aqi") or 0) >= EMERGENCY_AQI for d in s["daily"][:3]) for s in stations
        )
        regions.append(region)
    caveats = []
    if document.get("synthetic"):
        caveats.append(
            {"vi": "DỮ LIỆU MÔ PHỎNG — không phải quan trắc thật.", "en": "SYNTHETIC DATA — not real observations."}
        )
    if not reviewed:
        caveats.append({"vi": "Bản tin chưa được dự báo viên duyệt.", "en": "Not reviewed by a forecaster."})
    for fb in manifest.get("fallbacks", []):
        if fb.get("step") in ("nwp-missing", "inputs-unreadable", "registry-unreachable", "ctm-missing"):
            caveats.append({"vi": f"Phương án dự phòng: {fb['detail']}", "en": f"Fallback: {fb['detail']}"})
    synthetic = bool(document.get("synthetic"))
    emergency = any(r.emergency for r in regions)
    return BulletinContent(
        document["cycle"], document["issue_time"], regions, synthetic, reviewed, approved_by, caveats, emergency
    )
