"""The hourly outlook of a bulletin in parts of the day people plan by: night (00–06), morning (06–12),
afternoon (12–18) and evening (18–24) local time, each named relative to the bulletin's day ("đêm nay",
"sáng mai", "tomorrow afternoon"), with the highest hourly VN_AQI of the part and its category.

Hours are hour-ending (the 01:00 value covers 00:00–01:00), as in the forecast document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from forecast.aqi.categories import category_by_index

PART_HOURS = 6
PARTS = ("night", "morning", "afternoon", "evening")
OUTLOOK_HOURS = 48
"""How far ahead the part-of-day outlook goes (D1–D3 cover the rest)."""

# (part, days after the bulletin's local day) → name. Night belongs to the evening before it: the night
# 00–06 of tomorrow is "tonight".
_NAMES_VI = {
    ("night", 0): "rạng sáng nay", ("morning", 0): "sáng nay", ("afternoon", 0): "chiều nay",
    ("evening", 0): "tối nay", ("night", 1): "đêm nay", ("morning", 1): "sáng mai",
    ("afternoon", 1): "chiều mai", ("evening", 1): "tối mai", ("night", 2): "đêm mai",
}  # fmt: skip
_NAMES_EN = {
    ("night", 0): "early this morning", ("morning", 0): "this morning", ("afternoon", 0): "this afternoon",
    ("evening", 0): "this evening", ("night", 1): "tonight", ("morning", 1): "tomorrow morning",
    ("afternoon", 1): "tomorrow afternoon", ("evening", 1): "tomorrow evening", ("night", 2): "tomorrow night",
}  # fmt: skip
_PART_VI = {"night": "đêm", "morning": "sáng", "afternoon": "chiều", "evening": "tối"}
_PART_EN = {"night": "night", "morning": "morning", "afternoon": "afternoon", "evening": "evening"}


DARK_TEXT_CATEGORIES = (1, 2, 3, 4)
"""Black text on green, yellow, orange and red (white on #FF0000 is 4.0:1, under WCAG's 4.5:1); white on
purple and maroon."""


class CategoryStyle:
    """Colour, text colour and name of ``self.category`` (0 = no value: no colour)."""

    category: int

    @property
    def colour(self) -> str:
        return category_by_index(self.category).hex if self.category else "#FFFFFF"

    @property
    def text_colour(self) -> str:
        return "#000000" if self.category in DARK_TEXT_CATEGORIES or not self.category else "#FFFFFF"

    def category_name(self, lang: str) -> str:
        if not self.category:
            return "—"
        cat = category_by_index(self.category)
        return cat.name_vi if lang == "vi" else cat.name_en


@dataclass(frozen=True)
class PartOutlook(CategoryStyle):
    """The highest hourly VN_AQI in one part of a day (``aqi`` None when no hour has a value)."""

    start: str  # local ISO time the part starts
    part: str
    name_vi: str
    name_en: str
    aqi: int | None
    category: int

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en


def _part_name(part: str, start: datetime, day0: date) -> tuple[str, str]:
    offset = (start.date() - day0).days
    if (part, offset) in _NAMES_VI:
        return _NAMES_VI[part, offset], _NAMES_EN[part, offset]
    dm = f"{start:%d/%m}"
    return f"{_PART_VI[part]} {dm}", f"{_PART_EN[part]} of {dm}"


def _part_start(hour_end: datetime) -> datetime:
    """Start of the part of the day holding the hour that ends at ``hour_end`` (local)."""
    begin = hour_end - timedelta(hours=1)
    return begin.replace(hour=begin.hour - begin.hour % PART_HOURS, minute=0, second=0, microsecond=0)


def part_outlook(hourly: list[dict[str, Any]], start: pd.Timestamp, hours: int = OUTLOOK_HOURS) -> list[PartOutlook]:
    """Parts of the day from the one holding ``start`` (a tz-aware time) for ``hours`` hours, in the zone of
    the hourly values.

    ``hourly``: the station's hourly entries of the forecast document (``valid_time`` local ISO, ``aqi``,
    ``category``). Plain Python on purpose: this runs for every station of a bulletin.
    """
    if not hourly:
        return []
    first_end = datetime.fromisoformat(hourly[0]["valid_time"])
    local_start = pd.Timestamp(start).tz_convert(first_end.tzinfo).to_pydatetime()
    first = local_start.replace(hour=local_start.hour - local_start.hour % PART_HOURS, minute=0, second=0,
                                microsecond=0)  # fmt: skip
    stop = local_start + timedelta(hours=hours)
    worst: dict[datetime, tuple[int | None, int]] = {}
    for entry in hourly:
        part_start = _part_start(datetime.fromisoformat(entry["valid_time"]))
        if part_start < first or part_start >= stop:
            continue
        aqi = entry.get("aqi")
        held = worst.get(part_start)
        if held is None or (aqi is not None and (held[0] is None or aqi > held[0])):
            worst[part_start] = (aqi, int(entry.get("category") or 0) if aqi is not None else 0)
    out = []
    for part_start in sorted(worst):
        part = PARTS[part_start.hour // PART_HOURS]
        vi, en = _part_name(part, part_start, local_start.date())
        aqi, category = worst[part_start]
        out.append(PartOutlook(part_start.isoformat(), part, vi, en, None if aqi is None else int(aqi), category))
    return out


def worst_parts(parts: list[list[PartOutlook]]) -> list[PartOutlook]:
    """Per part of the day, the worst station's outlook (parts aligned by start time)."""
    by_start: dict[str, PartOutlook] = {}
    for station_parts in parts:
        for p in station_parts:
            held = by_start.get(p.start)
            if held is None or (p.aqi is not None and (held.aqi is None or p.aqi > held.aqi)):
                by_start[p.start] = p
    return [by_start[k] for k in sorted(by_start)]


def join_names(names: list[str], lang: str) -> str:
    """ "a", "a và b", "a, b và c" (en: "a and b")."""
    conj = " và " if lang == "vi" else " and "
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + conj + names[-1]
