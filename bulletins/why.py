"""Why, in plain words: the main drivers of notable changes of a region's D1–D3 outlook, from fixed phrases.

Inputs are plain dicts: the region's worst daily VN_AQI per day (:func:`region_days`) and each station's
daily drivers (:func:`forecast.cycle.drivers.daily_drivers`, stored in the forecast document).

Rules
    * A *notable change* is a change of the region's worst category from one forecast day to the next
      (D1 → D2, D2 → D3). Today → D1 is left out on purpose: the observed day has no contributions, the
      latest observation is an hourly NowCast while D1 is a daily index, and D1 of the 00 UTC run is
      today itself; the headline already states D1.
    * The drivers of a change are those of the station that makes it: the worst station of the worse of
      the two days (worsening: the later day; improving: the earlier), its own two days compared. Without
      that station's drivers, the mean over the region's stations that have them.
    * A family pushes in the direction of the change by the difference of its daily mean contribution
      [µg/m³] between the two days; the top ones that push by at least :data:`MIN_PUSH_UG` and
      :data:`MIN_SHARE` of all pushes in that direction are named, at most :data:`MAX_CAUSES`.
    * A family is named only in words the day's met diagnostics support (:func:`_variant`): an inversion
      only when inversion hours were diagnosed that night, rain only with ≥ 1 mm, weak wind only under
      2 m/s …; otherwise a neutral phrase of the family, or nothing (then the next family is tried).
    * No change in the three days: one sentence on the dominant driver when the region is at least
      "Kém" (category 3), the driver pushes pollution up by ≥ :data:`PERSISTENT_MIN_UG` on every day and
      the diagnostics confirm it; else nothing.
    * Missing drivers (runs before drivers existed) give no sentence, never an error.

Every phrase is in :data:`PHRASES` (one table for translators); dates are ``dd/mm`` as in the headline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from met_inputs.derived import POOR_VENTILATION_M2_S, STAGNANT_RAIN_24H_MM

logger = logging.getLogger(__name__)

Direction = Literal["up", "down"]
LANGS = ("vi", "en")

MIN_PUSH_UG = 2.0
"""A family is named only when it moves the daily mean forecast by at least this much [µg/m³]."""
MIN_SHARE = 0.25
"""… and by at least this share of all the families' pushes in the direction of the change."""
MAX_CAUSES = 2
PERSISTENT_MIN_UG = 10.0
"""Daily contribution [µg/m³] a driver must keep on every day to be named when nothing changes."""
PERSISTENT_MIN_CATEGORY = 3
"""Worst category (3 = Kém) from which a persistent driver is worth a sentence."""
STRONG_INVERSION_K = 2.0
"""Night-time inversion strength [K] from which it is called "strong" (our threshold)."""
WEAK_WIND_M_S = 2.0
"""Daily mean 10 m wind [m/s] under which it is "weak" (calm-to-light air; features.met uses 2 m/s too)."""
STRONGER_WIND_M_S = 3.0
"""Daily mean wind [m/s] from which it disperses pollution, or a rise of :data:`WIND_CHANGE_M_S` over the day before."""
WIND_CHANGE_M_S = 0.5
WASHOUT_RAIN_MM = STAGNANT_RAIN_24H_MM
"""Daily rain [mm] from which rain washes particles out (the stagnation index's dry-day limit, 1 mm)."""
HUMID_PCT = 80.0
DRY_AIR_PCT = 70.0
DRIER_CHANGE_PCT = 5.0
UNNAMED = frozenset({"calendar_time", "station_data", "other"})
"""Families never put into words (they are not a reason a reader can use)."""

PHRASES: dict[str, dict[str, str]] = {
    # sentence frames
    "frame.worsens": {"vi": "Ngày {date} chất lượng không khí xấu đi do {causes}.",
                      "en": "Air quality worsens on {date} because of {causes}."},
    "frame.improves": {"vi": "Ngày {date} chất lượng không khí cải thiện nhờ {causes}.",
                       "en": "Air quality improves on {date} as {causes}."},
    "frame.persists": {"vi": "{cause} tiếp tục giữ ô nhiễm ở mức cao trong những ngày tới.",
                       "en": "{cause} keeps pollution high over the coming days."},
    "join": {"vi": " và ", "en": " and "},
    # worsening (after "do" / "because of"): noun phrases
    "inversion_stability.up.strong_inversion_weak_wind": {"vi": "nghịch nhiệt mạnh về đêm kèm gió yếu",
                                                          "en": "a strong night-time inversion with weak wind"},
    "inversion_stability.up.strong_inversion": {"vi": "nghịch nhiệt mạnh về đêm",
                                                "en": "a strong night-time inversion"},
    "inversion_stability.up.inversion_weak_wind": {"vi": "nghịch nhiệt về đêm kèm gió yếu",
                                                   "en": "a night-time inversion with weak wind"},
    "inversion_stability.up.inversion": {"vi": "nghịch nhiệt về đêm", "en": "a night-time inversion"},
    "inversion_stability.up.neutral": {"vi": "điều kiện khí tượng kém thuận lợi cho khuếch tán",
                                       "en": "weather conditions unfavourable for dispersion"},
    "wind_ventilation.up.weak_wind_poor_ventilation": {"vi": "gió yếu, khuếch tán kém",
                                                       "en": "weak wind with poor ventilation"},
    "wind_ventilation.up.weak_wind": {"vi": "gió yếu", "en": "weak wind"},
    "wind_ventilation.up.poor_ventilation": {"vi": "lớp xáo trộn thấp, khuếch tán kém",
                                             "en": "a shallow mixing layer with poor ventilation"},
    "wind_ventilation.up.weaker_wind": {"vi": "gió suy yếu", "en": "weakening wind"},
    "rain.up.rain_stops": {"vi": "mưa tạnh, trời khô trở lại", "en": "drier weather after the rain"},
    "rain.up.dry": {"vi": "trời khô, không mưa", "en": "dry weather"},
    "humidity.up.humid": {"vi": "độ ẩm cao", "en": "high humidity"},
    "temperature_radiation.up.neutral": {"vi": "nhiệt độ và bức xạ mặt trời kém thuận lợi",
                                         "en": "less favourable temperature and sunshine"},
    "pressure.up.neutral": {"vi": "hình thế khí áp kém thuận lợi", "en": "an unfavourable pressure pattern"},
    "emissions_burning.up.burning": {"vi": "mùa đốt rơm rạ, phụ phẩm nông nghiệp",
                                     "en": "the crop-residue burning season"},
    "emissions_burning.up.neutral": {"vi": "phát thải tăng", "en": "higher emissions"},
    "ctm.up.neutral": {"vi": "ô nhiễm nền khu vực tăng theo mô hình chất lượng không khí",
                       "en": "more regional background pollution in the air-quality model"},
    "recent_observations.up.neutral": {"vi": "ô nhiễm đã tích tụ trong những ngày qua",
                                       "en": "pollution built up over recent days"},
    "climatology.up.neutral": {"vi": "diễn biến thường gặp theo mùa", "en": "the usual seasonal pattern"},
    # improving (after "nhờ" / "as"): clauses
    "inversion_stability.down.weaker_inversion": {"vi": "nghịch nhiệt về đêm suy yếu",
                                                  "en": "the night-time inversion weakens"},
    "inversion_stability.down.neutral": {"vi": "điều kiện khí tượng thuận lợi hơn cho khuếch tán",
                                         "en": "conditions become more favourable for dispersion"},
    "wind_ventilation.down.stronger_wind": {"vi": "gió mạnh lên giúp khuếch tán ô nhiễm",
                                            "en": "stronger wind disperses pollution"},
    "rain.down.washout": {"vi": "mưa rửa trôi bụi", "en": "rain washes out particles"},
    "humidity.down.drier": {"vi": "không khí khô hơn", "en": "drier air arrives"},
    "temperature_radiation.down.neutral": {"vi": "nhiệt độ và bức xạ mặt trời thuận lợi hơn",
                                           "en": "temperature and sunshine become more favourable"},
    "pressure.down.neutral": {"vi": "hình thế khí áp thuận lợi hơn", "en": "the pressure pattern turns favourable"},
    "emissions_burning.down.neutral": {"vi": "phát thải giảm", "en": "emissions fall"},
    "ctm.down.neutral": {"vi": "ô nhiễm nền khu vực giảm theo mô hình chất lượng không khí",
                         "en": "the air-quality model forecasts less regional background pollution"},
    "recent_observations.down.neutral": {"vi": "lượng ô nhiễm tích tụ trước đó giảm dần",
                                         "en": "the earlier build-up of pollution fades"},
    "climatology.down.neutral": {"vi": "diễn biến thường gặp theo mùa",
                                 "en": "the usual seasonal pattern eases pollution"},
}  # fmt: skip
"""Every phrase of the why sentences, Vietnamese and English: ``frame.*`` the sentences, ``<family>.<up|down>
.<variant>`` the causes (up: noun phrases after "do"/"because of"; down: clauses after "nhờ"/"as")."""

PERSISTENT_VARIANTS = frozenset(
    {"strong_inversion_weak_wind", "strong_inversion", "inversion_weak_wind", "inversion",
     "weak_wind_poor_ventilation", "weak_wind", "poor_ventilation", "dry", "humid", "burning"}
)  # fmt: skip
"""Variants confirmed by a diagnostic: the only ones a no-change sentence may name."""

Met = Mapping[str, Any]


def _num(met: Met | None, key: str) -> float | None:
    value = (met or {}).get(key)
    return None if value is None else float(value)


def _inversion(direction: Direction, met: Met, prev: Met | None, persistent: bool) -> str | None:
    hours, strength = _num(met, "night_inversion_hours"), _num(met, "night_inversion_max_k")
    wind = _num(met, "wind_mean_m_s")
    if direction == "up":
        if not hours:  # none diagnosed (0) or unknown: never claim an inversion
            return "neutral"
        name = "strong_inversion" if strength is not None and strength >= STRONG_INVERSION_K else "inversion"
        return name + ("_weak_wind" if wind is not None and wind < WEAK_WIND_M_S else "")
    before = _num(prev, "night_inversion_hours")
    return "weaker_inversion" if before and hours is not None and hours < before else "neutral"


def _wind(direction: Direction, met: Met, prev: Met | None, persistent: bool) -> str | None:
    wind, before = _num(met, "wind_mean_m_s"), _num(prev, "wind_mean_m_s")
    if direction == "down":
        stronger = wind is not None and (
            wind >= STRONGER_WIND_M_S or (before is not None and wind >= before + WIND_CHANGE_M_S)
        )
        return "stronger_wind" if stronger else None
    weak = wind is not None and wind < WEAK_WIND_M_S
    ventilation = _num(met, "ventilation_max_m2_s")
    poor = ventilation is not None and ventilation < POOR_VENTILATION_M2_S  # even the afternoon disperses poorly
    if weak or poor:
        return "weak_wind_poor_ventilation" if weak and poor else "weak_wind" if weak else "poor_ventilation"
    if wind is not None and before is not None and wind <= before - WIND_CHANGE_M_S:
        return "weaker_wind"
    return None


def _rain(direction: Direction, met: Met, prev: Met | None, persistent: bool) -> str | None:
    rain, before = _num(met, "rain_total_mm"), _num(prev, "rain_total_mm")
    if rain is None:
        return None
    if direction == "down":
        return "washout" if rain >= WASHOUT_RAIN_MM else None
    if rain >= WASHOUT_RAIN_MM:
        return None
    return "rain_stops" if before is not None and before >= WASHOUT_RAIN_MM else "dry"


def _humidity(direction: Direction, met: Met, prev: Met | None, persistent: bool) -> str | None:
    rh, before = _num(met, "rh_mean_pct"), _num(prev, "rh_mean_pct")
    if rh is None:
        return None
    if direction == "up":
        return "humid" if rh >= HUMID_PCT else None
    drier = rh < DRY_AIR_PCT or (before is not None and rh <= before - DRIER_CHANGE_PCT)
    return "drier" if drier else None


def _emissions(direction: Direction, met: Met, prev: Met | None, persistent: bool) -> str | None:
    if direction == "down":
        return "neutral"
    intensity = _num(met, "burning_intensity") or 0.0
    rising = persistent or intensity > (_num(prev, "burning_intensity") or 0.0)  # a change needs more burning
    return "burning" if (met or {}).get("burning_season") and intensity > 0 and rising else "neutral"


def _neutral(direction: Direction, met: Met, prev: Met | None, persistent: bool) -> str | None:
    return "neutral"


_RULES: dict[str, Callable[[Direction, Met, Met | None, bool], str | None]] = {
    "inversion_stability": _inversion,
    "wind_ventilation": _wind,
    "rain": _rain,
    "humidity": _humidity,
    "emissions_burning": _emissions,
    "temperature_radiation": _neutral,
    "pressure": _neutral,
    "ctm": _neutral,
    "recent_observations": _neutral,
    "climatology": _neutral,
}


def _variant(family: str, direction: Direction, met: Met, prev: Met | None, persistent: bool = False) -> str | None:
    """The phrase variant of a family the diagnostics support, or None (the family is not named)."""
    rule = _RULES.get(family)
    if family in UNNAMED or rule is None:
        return None
    variant = rule(direction, met or {}, prev, persistent)
    return variant if variant is not None and f"{family}.{direction}.{variant}" in PHRASES else None


def _phrase(key: str, lang: str) -> str:
    return PHRASES[key][lang]


def _dm(date: str) -> str:
    """``YYYY-MM-DD`` → ``dd/mm`` (as the bulletin's headline writes dates)."""
    return f"{date[8:10]}/{date[5:7]}"


# --- picking the drivers --------------------------------------------------------------------------------


def _entry(drivers: Sequence[Mapping[str, Any]] | None, day: str) -> Mapping[str, Any] | None:
    for entry in drivers or []:
        if entry.get("day") == day:
            return entry
    return None


def _region_mean(entries: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Mean contributions and met of several stations' entries of one day (None values ignored)."""
    entries = [e for e in entries if e.get("contributions")]
    if not entries:
        return None

    def mean(dicts: list[Mapping[str, Any]]) -> dict[str, Any]:
        keys = {k for d in dicts for k in d}
        out: dict[str, Any] = {}
        for key in keys:
            values = [d.get(key) for d in dicts if d.get(key) is not None]
            if values and all(isinstance(v, bool) for v in values):
                out[key] = any(values)
            elif values:
                out[key] = sum(float(v) for v in values) / len(values)
            else:
                out[key] = None
        return out

    return {
        "contributions": mean([e["contributions"] for e in entries]),
        "met": mean([e.get("met") or {} for e in entries]),
    }


def _pair(
    drivers_by_station: Mapping[str, Sequence[Mapping[str, Any]]], station: str | None, days: tuple[str, str]
) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """The two days' entries of ``station``, or the region means; None when either lacks contributions."""
    first, second = (_entry(drivers_by_station.get(station or ""), d) for d in days)
    if first is not None and second is not None and first.get("contributions") and second.get("contributions"):
        return first, second
    first, second = (_region_mean([e for s in drivers_by_station.values() if (e := _entry(s, d))]) for d in days)
    return (first, second) if first is not None and second is not None else None


def _causes(delta: Mapping[str, float], direction: Direction, met: Met, prev: Met | None) -> list[tuple[str, str]]:
    """(family, variant) of the top families pushing in ``direction`` that the diagnostics let us name."""
    sign = 1.0 if direction == "up" else -1.0
    pushes = {f: sign * float(v) for f, v in delta.items() if v is not None}
    total = sum(p for p in pushes.values() if p > 0)
    chosen: list[tuple[str, str]] = []
    for family, push in sorted(pushes.items(), key=lambda kv: -kv[1]):
        if push < MIN_PUSH_UG or push < MIN_SHARE * total or len(chosen) == MAX_CAUSES:
            break
        variant = _variant(family, direction, met, prev)
        if variant is None:
            continue
        mentions_wind = any(v.endswith("_weak_wind") for _, v in chosen)
        if family == "wind_ventilation" and mentions_wind:
            if variant == "weak_wind":
                continue  # the inversion phrase already says "with weak wind"
            variant = "poor_ventilation" if variant == "weak_wind_poor_ventilation" else variant
        chosen.append((family, variant))
    return chosen


def _change_sentence(direction: Direction, date: str, causes: list[tuple[str, str]], lang: str) -> str:
    joined = _phrase("join", lang).join(_phrase(f"{f}.{direction}.{v}", lang) for f, v in causes)
    frame = "frame.worsens" if direction == "up" else "frame.improves"
    return _phrase(frame, lang).format(date=_dm(date), causes=joined)


def _persistent_sentence(
    region_days: Sequence[Mapping[str, Any]], drivers_by_station: Mapping[str, Sequence[Mapping[str, Any]]], lang: str
) -> list[str]:
    """One sentence on a large driver that holds every day, for a region at least "Kém"; else []."""
    worst = max(region_days, key=lambda d: (int(d.get("category") or 0), d.get("aqi") or 0))
    if int(worst.get("category") or 0) < PERSISTENT_MIN_CATEGORY:
        return []
    entries = [_entry(drivers_by_station.get(worst.get("station") or ""), d["day"]) for d in region_days]
    if not all(e is not None and e.get("contributions") for e in entries):
        entries = [_region_mean([e for s in drivers_by_station.values() if (e := _entry(s, d["day"]))])
                   for d in region_days]  # fmt: skip
        if not all(e is not None for e in entries):
            return []
    worst_entry = entries[list(region_days).index(worst)]
    families = set.intersection(*(set(e["contributions"]) for e in entries))
    lowest = {f: min(float(e["contributions"][f] or 0.0) for e in entries) for f in families}
    for family in sorted(lowest, key=lambda f: -lowest[f]):
        if lowest[family] < PERSISTENT_MIN_UG:
            break
        variant = _variant(family, "up", worst_entry.get("met") or {}, None, persistent=True)
        if variant in PERSISTENT_VARIANTS:
            cause = _phrase(f"{family}.up.{variant}", lang)
            return [_phrase("frame.persists", lang).format(cause=cause[0].upper() + cause[1:])]
    return []


def why_sentences(
    region_days: Sequence[Mapping[str, Any]],
    drivers_by_station: Mapping[str, Sequence[Mapping[str, Any]]] | None,
    lang: str,
) -> list[str]:
    """The why sentences of one region in ``lang`` (``vi`` or ``en``); see the module docstring.

    Parameters
    ----------
    region_days
        The region's worst daily VN_AQI per forecast day, in order: ``{"day": "D1", "date": "YYYY-MM-DD",
        "category": 1…6, "aqi": int, "station": id of the worst station}`` (``station`` optional; see
        :func:`region_days`).
    drivers_by_station
        ``{station id: daily_drivers entries}`` as :func:`forecast.cycle.drivers.daily_drivers` returns
        (or as read back from the forecast document); missing or empty → [].
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    if not drivers_by_station or not region_days:
        return []
    sentences: list[str] = []
    changed = False
    for before, after in zip(region_days, region_days[1:], strict=False):
        previous, current = int(before.get("category") or 0), int(after.get("category") or 0)
        if not previous or not current or previous == current:
            continue
        changed = True
        direction: Direction = "up" if current > previous else "down"
        station = (after if direction == "up" else before).get("station")
        pair = _pair(drivers_by_station, station, (before["day"], after["day"]))
        if pair is None:
            continue
        first, second = pair
        delta = {f: float(v) - float(first["contributions"].get(f) or 0.0)
                 for f, v in second["contributions"].items() if v is not None}  # fmt: skip
        causes = _causes(delta, direction, second.get("met") or {}, first.get("met"))
        if causes:
            sentences.append(_change_sentence(direction, after["date"], causes, lang))
    if not changed:
        sentences = _persistent_sentence(region_days, drivers_by_station, lang)
    return sentences


def region_days(stations: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The region's worst daily VN_AQI per day (D1–D3) with the station holding it, from forecast-document
    station entries (``id``, ``daily``): the same choice as the bulletin's D1–D3 row (highest AQI)."""
    out = []
    for k in range(max((len(s.get("daily") or []) for s in stations), default=0)):
        candidates = [(s["id"], s["daily"][k]) for s in stations
                      if len(s.get("daily") or []) > k and s["daily"][k].get("aqi") is not None]  # fmt: skip
        if not candidates:
            continue
        sid, top = max(candidates, key=lambda c: c[1]["aqi"])
        out.append({"day": top["day"], "date": top["date"], "aqi": int(top["aqi"]),
                    "category": int(top.get("category") or 0), "station": sid})  # fmt: skip
    return out


def region_why(stations: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """``{"vi": [...], "en": [...]}`` for one region from its forecast-document station entries, each with
    ``drivers`` (the :func:`forecast.cycle.drivers.daily_drivers` list; absent in old runs → no sentence)."""
    days = region_days(stations)
    drivers = {s["id"]: s.get("drivers") or [] for s in stations}
    if not any(drivers.values()):
        return {lang: [] for lang in LANGS}
    return {lang: why_sentences(days, drivers, lang) for lang in LANGS}
