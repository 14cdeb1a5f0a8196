"""What a bulletin says, built from a run's forecast document: regions (provinces), their D1–D3 outlook,
headline sentences, health advice, school advisory, emergency banner and caveats.

Templates (``bulletins/templates``) only lay this out; every sentence is assembled here from fixed
phrases, so the Vietnamese and English editions say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bulletins.edits import BulletinEdit, effective_edits
from bulletins.outlook import OUTLOOK_HOURS, CategoryStyle, PartOutlook, join_names, part_outlook, worst_parts
from bulletins.verification import Verification
from bulletins.why import region_why
from forecast.aqi.categories import category_by_index
from forecast.forecast_document import category_fields

SCHOOL_ADVISORY_CATEGORY = 4  # "Xấu" (151–200) or worse
EMERGENCY_AQI = 300
LANGS = ("vi", "en")


@dataclass(frozen=True)
class DayOutlook(CategoryStyle):
    """One region's (or station's) worst daily VN_AQI of one forecast day."""

    day: str
    date: str
    aqi: int | None
    category: int
    dominant_pollutant: str | None
    probabilities: dict[str, float] | None = None
    override: dict[str, Any] | None = None  # a forecaster's: category_model, reason, by, at

    def name(self, lang: str) -> str:
        return self.category_name(lang)


def _day_outlook(d: dict[str, Any]) -> DayOutlook:
    return DayOutlook(d["day"], d["date"], d["aqi"], int(d["category"] or 0), d.get("dominant_pollutant"),
                      d.get("category_probabilities"), d.get("override"))  # fmt: skip


def apply_overrides(document: dict[str, Any], overrides: list[dict[str, Any]]) -> dict[str, Any]:
    """A copy of the forecast document with the forecasters' category overrides applied to the daily entries
    (``override``: the model's category, reason, by, at); names, colour and advice follow the new category,
    the AQI numbers and category probabilities stay the model's."""
    if not overrides:
        return document
    by_key = {(o["station_id"], o["day"]): o for o in overrides}
    stations = []
    for station in document["stations"]:
        daily = []
        for d in station["daily"]:
            o = by_key.get((station["id"], d["day"]))
            if o is not None and d.get("aqi") is not None:
                d = {**d, **category_fields(int(o["category"]), with_advice="advice" in d),
                     "override": {"category_model": d.get("category"), "reason": o["reason"], "by": o["by"],
                                  "at": str(o["at"])}}  # fmt: skip
            daily.append(d)
        stations.append({**station, "daily": daily})
    return {**document, "stations": stations}


@dataclass
class StationRow:
    """A station's line of the D1–D3 table."""

    id: str
    name: dict[str, str]
    days: list[DayOutlook]
    caveat: str | None = None
    parts: list[PartOutlook] = field(default_factory=list)
    verified: dict[str, int] | None = None  # yesterday: forecast/observed AQI and category


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
    parts: list[PartOutlook] = field(default_factory=list)
    headline_auto: dict[str, str] = field(default_factory=dict)  # the automatic wording when edited
    headline_edit: BulletinEdit | None = None
    notes: list[BulletinEdit] = field(default_factory=list)
    verification: dict[str, Any] | None = None
    why: dict[str, list[str]] = field(default_factory=dict)


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
    released: bool = True
    overridden: bool = False
    id: str = ""
    version: int | None = None
    approved_at: str | None = None
    notes: list[BulletinEdit] = field(default_factory=list)
    edits: list[BulletinEdit] = field(default_factory=list)
    verification_date: str | None = None
    verification_run: str | None = None
    outlook_from: str | None = None


def _worst(days_by_station: list[list[dict[str, Any]]], k: int) -> DayOutlook | None:
    candidates = [days[k] for days in days_by_station if len(days) > k and days[k].get("aqi") is not None]
    if not candidates:
        return None
    return _day_outlook(max(candidates, key=lambda d: (int(d["category"] or 0), d["aqi"])))


def _dm(date: str) -> str:
    return f"{date[8:10]}/{date[5:7]}"


def _near_term(parts: list[PartOutlook], lang: str) -> str | None:
    """ "Kém đến Xấu trong đêm nay và sáng mai": the categories of the next 24 h and when the worst is."""
    valued = [p for p in parts if p.aqi is not None]
    if not valued:
        return None
    worst = max(p.category for p in valued)
    best = min(p.category for p in valued)
    name = (lambda c: category_by_index(c).name_vi) if lang == "vi" else (lambda c: category_by_index(c).name_en)
    when = join_names([p.name(lang) for p in valued if p.category == worst][:2], lang)
    if best == worst:
        return f"{name(worst)} trong 24 giờ tới" if lang == "vi" else f"{name(worst)} over the next 24 hours"
    joiner = "đến" if lang == "vi" else "to"
    return f"{name(best)} {joiner} {name(worst)} {'trong ' if lang == 'vi' else ''}{when}"


def headline(region: str, days: list[DayOutlook], lang: str, parts: list[PartOutlook] | None = None) -> str:
    """One sentence: the categories of the next 24 h by part of the day (when the hourly outlook is known),
    then the worst of D1–D3."""
    if not days:
        return f"{region}: chưa có dự báo." if lang == "vi" else f"{region}: no forecast available."
    worst = max(days, key=lambda d: (d.category, d.aqi or 0))
    best = min(days, key=lambda d: d.category)
    near = _near_term(parts[:4] if parts else [], lang)
    if lang == "vi":
        when = f"ngày {_dm(worst.date)} (VN_AQI {worst.aqi})"
        if worst.override:  # the number is the model's; the category is the forecaster's: say both
            when = f"ngày {_dm(worst.date)}: {worst.name('vi')} theo dự báo viên (mô hình: VN_AQI {worst.aqi})"
        if near:
            return f"{region}: chất lượng không khí {near}; ba ngày tới xấu nhất {when}."
        span = worst.name("vi") if best.category == worst.category else f"{best.name('vi')} đến {worst.name('vi')}"
        return f"{region}: chất lượng không khí {span} trong ba ngày tới, xấu nhất {when}."
    when = f"on {_dm(worst.date)} (VN_AQI {worst.aqi})"
    if worst.override:
        when = f"on {_dm(worst.date)}: {worst.name('en')} in the forecaster's judgement (model: VN_AQI {worst.aqi})"
    if near:
        return f"{region}: air quality {near}; worst of the next three days {when}."
    span = worst.name("en") if best.category == worst.category else f"{best.name('en')} to {worst.name('en')}"
    return f"{region}: air quality {span} over the next three days, worst {when}."


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


def _notes(edits: dict, province: str | None) -> list[BulletinEdit]:
    return [e for (kind, prov, _), e in edits.items() if kind == "note" and prov == province]


def _apply_headline_edits(region: Region, edits: dict) -> None:
    for lang in LANGS:
        edit = edits.get(("headline", region.name, lang))
        if edit is not None:
            region.headline_auto[lang] = region.headline[lang]
            region.headline[lang] = edit.text
            region.headline_edit = edit


def _verified_region(region: Region, verification: Verification | None) -> None:
    if verification is None:
        return
    scores = {s.id: s for s in verification.stations}
    for row in region.stations:
        if (score := scores.get(row.id)) is not None:
            row.verified = {
                "forecast_aqi": score.forecast_aqi,
                "forecast_category": score.forecast_category,
                "observed_aqi": score.observed_aqi,
                "observed_category": score.observed_category,
            }
    region.verification = verification.summary({row.id for row in region.stations})


def bulletin_content(
    document: dict[str, Any],
    manifest: dict[str, Any],
    *,
    reviewed: bool,
    approved_by: str | None,
    approved_at: str | None = None,
    released: bool = True,
    edits: list[BulletinEdit] | None = None,
    verification: Verification | None = None,
    outlook_from: pd.Timestamp | None = None,
    bulletin_id: str = "",
    version: int | None = None,
    overrides: list[dict[str, Any]] | None = None,
) -> BulletinContent:
    """The bulletin of one run (forecast.json and manifest.json as read).

    ``released`` False makes a draft (a run awaiting a forecaster); ``edits`` are the forecaster's (see
    :mod:`bulletins.edits`); ``verification`` scores yesterday's forecast; the part-of-day outlook starts at
    ``outlook_from`` (the bulletin's due time; default the issue time). ``overrides`` (station_id, day,
    category, reason, by, at) replace the model's daily categories (:func:`apply_overrides`).
    """
    document = apply_overrides(document, overrides or [])
    issue = pd.Timestamp(document["issue_time"])
    start = pd.Timestamp(outlook_from) if outlook_from is not None else issue
    latest_edits = effective_edits(edits or [])
    by_province: dict[str, list[dict[str, Any]]] = {}
    for station in document["stations"]:
        by_province.setdefault(station.get("province") or "—", []).append(station)
    regions = []
    for province in sorted(by_province):
        stations = by_province[province]
        region = Region(province)
        for station in stations:
            days = [_day_outlook(d) for d in station["daily"] if d.get("aqi") is not None]
            names = {"vi": station["name_vi"], "en": station["name_en"]}
            caveat = _station_caveat(station.get("status") or {})
            parts = part_outlook(station.get("hourly") or [], start, OUTLOOK_HOURS)
            region.stations.append(StationRow(station["id"], names, days, caveat, parts))
        region.days = [d for k in range(3) if (d := _worst([s["daily"] for s in stations], k)) is not None]
        region.parts = worst_parts([row.parts for row in region.stations])
        region.why = region_why(stations)
        region.headline = {lang: headline(province, region.days, lang, region.parts) for lang in LANGS}
        _apply_headline_edits(region, latest_edits)
        region.notes = _notes(latest_edits, province)
        _verified_region(region, verification)
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
    if not released:
        caveats.append({"vi": "BẢN NHÁP chờ dự báo viên duyệt — không phát hành.",
                        "en": "DRAFT awaiting a forecaster's review — not for release."})  # fmt: skip
    elif not reviewed:
        caveats.append({"vi": "Bản tin chưa được dự báo viên duyệt.", "en": "Not reviewed by a forecaster."})
    for fb in manifest.get("fallbacks", []):
        if fb.get("step") in (
            "nwp-missing",
            "inputs-unreadable",
            "registry-unreachable",
            "ctm-missing",
            "model-failed",
            "model-unloadable",
            "blend-component-failed",
        ):
            caveats.append({"vi": f"Phương án dự phòng: {fb['detail']}", "en": f"Fallback: {fb['detail']}"})
    synthetic = bool(document.get("synthetic"))
    emergency = any(r.emergency for r in regions)
    return BulletinContent(
        document["cycle"], document["issue_time"], regions, synthetic, reviewed, approved_by, caveats, emergency,
        released=released, overridden=bool(overrides), id=bulletin_id, version=version, approved_at=approved_at,
        notes=_notes(latest_edits, None), edits=list(edits or []),
        verification_date=verification.date if verification else None,
        verification_run=verification.forecast_run if verification else None,
        outlook_from=start.isoformat(),
    )  # fmt: skip
