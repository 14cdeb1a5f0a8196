"""Words of the emergency CAP messages, in Vietnamese (``vi-VN``, first) and English (``en-US``).

One :class:`~bulletins.cap.CapInfo` per language for an Alert/Update (the rule holds) or a Cancel (it no
longer does). Caveats (not reviewed, synthetic inputs, fallbacks, stations without recent observations)
are written as bilingual lines into every description; drills carry "DIỄN TẬP / EXERCISE" in every
headline and description.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bulletins.cap import CapArea, CapCircle, CapInfo
from bulletins.cap_rule import (
    EMERGENCY_DAYS,
    HAZARDOUS,
    POLLUTANT_NAMES,
    ProvinceCondition,
    StationDays,
    certainty,
    urgency,
)
from forecast.aqi.categories import category_by_index

DRILL_MARK = "DIỄN TẬP / EXERCISE"
NOT_REVIEWED = "Chưa được dự báo viên duyệt / not reviewed by a forecaster"
SYNTHETIC = "DỮ LIỆU GIẢ LẬP / SYNTHETIC DATA: dự báo từ dữ liệu giả lập, không phải cảnh báo thật / " \
    "forecast from synthetic inputs, not a real alert"  # fmt: skip
SENDER_NAME = {
    "vi-VN": "Hệ thống dự báo chất lượng không khí VN_AQI",
    "en-US": "VN_AQI air-quality forecasting service",
}
EVENT = {"vi-VN": "Ô nhiễm không khí ở mức nguy hại", "en-US": "Hazardous air pollution"}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
RULE = "daily VN_AQI >= 300 on 3 consecutive days (Decision 1459/QD-TCMT)"
STATUS_WORDS = {
    "no_recent_observations": "không có quan trắc gần đây / no recent observations",
    "no_met_leads": "dự báo thiếu số liệu khí tượng / forecast hours without met data",
    "history_from": "mượn lịch sử quan trắc của trạm lân cận / history borrowed from a neighbour",
}


@dataclass(frozen=True)
class MessageContext:
    """What the words need beyond the province: run, review state, caveats, links."""

    kind: str  # Alert | Update | Cancel
    sent: datetime
    run_id: str | None
    cycle: str | None
    web: str | None
    radius_km: float
    reviewed: bool
    drill: bool = False
    synthetic: bool = False
    fallbacks: tuple[str, ...] = ()
    scenario: bool = False  # drill values are made up, not a forecast

    @property
    def caveats(self) -> list[str]:
        lines = [DRILL_MARK + ": không phải cảnh báo thật / not a real alert"] if self.drill else []
        if self.scenario:
            lines.append("Số liệu kịch bản giả định, không phải dự báo / made-up scenario values, not a forecast")
        if self.synthetic:
            lines.append(SYNTHETIC)
        if not self.reviewed and not self.scenario:
            lines.append(NOT_REVIEWED)
        if self.fallbacks:
            lines.append("Dự báo dùng phương án dự phòng / forecast used fallbacks: " + ", ".join(self.fallbacks))
        return lines


def _day(value: date, lang: str, year: bool = False) -> str:
    """``25/11`` or ``25 Nov`` (month names fixed here: the process locale must not change the message)."""
    if lang == "vi-VN":
        return f"{value:%d/%m/%Y}" if year else f"{value:%d/%m}"
    return f"{value.day:02d} {MONTHS_EN[value.month - 1]}" + (f" {value.year}" if year else "")


def _dates(condition: ProvinceCondition, lang: str) -> str:
    first, last = condition.dates
    return f"{_day(first, lang)}–{_day(last, lang, year=True)}"


def _station_line(station: StationDays, lang: str) -> str:
    name = station.name_vi if lang == "vi-VN" else station.name_en
    values = ", ".join(
        f"{_day(d.date, lang)}: {'-' if d.aqi is None else d.aqi}" for d in station.days[:EMERGENCY_DAYS]
    )
    dominant = sorted({POLLUTANT_NAMES.get(str(d.dominant), str(d.dominant)) for d in station.days if d.dominant})
    label = "chất ô nhiễm chính" if lang == "vi-VN" else "main pollutant"
    return f"- {name} ({station.id}): {values}" + (f"; {label} {', '.join(dominant)}" if dominant else "")


def _stations(condition: ProvinceCondition, ctx: MessageContext) -> tuple[StationDays, ...]:
    """The stations a message is about: the affected ones, or all of the province's for a Cancel."""
    return condition.stations if ctx.kind == "Cancel" else condition.affected


def _status_lines(stations: tuple[StationDays, ...]) -> list[str]:
    lines = []
    for station in stations:
        words = [STATUS_WORDS[k] for k, _ in station.status if k in STATUS_WORDS]
        if words:
            lines.append(f"Trạm / station {station.name_vi} ({station.id}): " + "; ".join(words))
    return lines


def _description(condition: ProvinceCondition, ctx: MessageContext, lang: str) -> str:
    vi = lang == "vi-VN"
    lines = [DRILL_MARK] if ctx.drill else []
    if ctx.kind == "Cancel":
        lines.append(
            f"Dự báo mới nhất không còn VN_AQI ≥ 300 trong 3 ngày liên tiếp tại {condition.province}; "
            "cảnh báo khẩn cấp trước đó được hủy. Giá trị VN_AQI theo ngày mới nhất:"
            if vi else
            f"The latest forecast no longer has VN_AQI ≥ 300 on 3 consecutive days in {condition.province}; "
            "the earlier emergency alert is cancelled. Latest daily VN_AQI:"
        )  # fmt: skip
        lines += [_station_line(s, lang) for s in condition.stations]
    else:
        affected = condition.affected
        lines.append(
            f"VN_AQI theo ngày (ngày địa phương, Quyết định 1459/QĐ-TCMT) được dự báo từ 300 trở lên trong cả 3 ngày "
            f"{_dates(condition, lang)} tại {len(affected)} trạm của {condition.province}:"
            if vi else
            f"Daily VN_AQI (local days, Decision 1459/QĐ-TCMT) is forecast at 300 or above on all 3 days "
            f"{_dates(condition, lang)} at {len(affected)} station(s) in {condition.province}:"
        )  # fmt: skip
        lines += [_station_line(s, lang) for s in affected]
        p = condition.probability
        if p is not None:
            lines.append(f"Xác suất VN_AQI trên 300 cả 3 ngày (cận dưới): {p:.0%}" if vi
                         else f"Probability of VN_AQI above 300 on all 3 days (lower bound): {p:.0%}")  # fmt: skip
    if ctx.run_id:
        lines.append(f"{'Lần chạy dự báo' if vi else 'Forecast run'}: {ctx.run_id}")
    caveats = ctx.caveats + _status_lines(_stations(condition, ctx))
    lines += [f"{'Lưu ý' if vi else 'Caveat'}: {c}" for c in caveats]
    return "\n".join(lines)


def _instruction(ctx: MessageContext, lang: str) -> str:
    vi = lang == "vi-VN"
    if ctx.kind == "Cancel":
        return ("Tiếp tục theo dõi bản tin chất lượng không khí hằng ngày và làm theo khuyến cáo sức khỏe của bản tin."
                if vi else "Keep following the daily air-quality bulletin and its health advice.")  # fmt: skip
    hazardous = category_by_index(HAZARDOUS)
    general = hazardous.advice_general_vi if vi else hazardous.advice_general_en
    sensitive = hazardous.advice_sensitive_vi if vi else hazardous.advice_sensitive_en
    text = general
    if sensitive != general:
        text += f" {'Người nhạy cảm' if vi else 'Sensitive groups'}: {sensitive}"
    if ctx.drill:
        prefix = "Đây là diễn tập: chỉ thực hiện theo kịch bản diễn tập. " if vi else \
            "This is an exercise: act only as the exercise plan says. "  # fmt: skip
        text = f"{DRILL_MARK}. {prefix}{text}"
    return text


def _headline(condition: ProvinceCondition, ctx: MessageContext, lang: str) -> str:
    vi = lang == "vi-VN"
    if ctx.kind == "Cancel":
        text = (f"Kết thúc cảnh báo khẩn cấp ô nhiễm không khí tại {condition.province}" if vi
                else f"Air pollution emergency ended in {condition.province}")  # fmt: skip
    else:
        text = (
            f"Cảnh báo khẩn cấp ô nhiễm không khí: VN_AQI ≥ 300 trong 3 ngày tại {condition.province} "
            f"({_dates(condition, lang)})"
            if vi
            else f"Air pollution emergency: VN_AQI ≥ 300 for 3 days in {condition.province} ({_dates(condition, lang)})"
        )
        if ctx.kind == "Update":
            text = ("Cập nhật – " if vi else "Update – ") + text
    return f"{DRILL_MARK} – {text}" if ctx.drill else text


def _area(condition: ProvinceCondition, ctx: MessageContext, lang: str) -> CapArea:
    stations = _stations(condition, ctx)
    names = ", ".join(s.name_vi if lang == "vi-VN" else s.name_en for s in stations)
    label = "trạm" if lang == "vi-VN" else "stations"
    circles = tuple(CapCircle(s.latitude, s.longitude, ctx.radius_km) for s in stations)
    return CapArea(f"{condition.province} ({label}: {names})", circles)


def build_infos(
    condition: ProvinceCondition, ctx: MessageContext, *, expires: datetime | None = None
) -> tuple[CapInfo, ...]:
    """The ``vi-VN`` and ``en-US`` info blocks of one message about ``condition`` (``expires``: of a Cancel)."""
    cancel = ctx.kind == "Cancel"
    parameters = [("VN_AQI_RULE", RULE)]
    if not cancel:
        parameters.append(("VN_AQI_MAX", str(condition.max_aqi)))
        if condition.probability is not None:
            parameters.append(("P_VN_AQI_ABOVE_300_ALL_DAYS", f"{condition.probability:.2f}"))
    parameters += [("REVIEWED", "true" if ctx.reviewed else "false"), ("EXERCISE", "true" if ctx.drill else "false")]
    if ctx.run_id:
        parameters.append(("RUN_ID", ctx.run_id))
    infos = []
    for lang in ("vi-VN", "en-US"):
        infos.append(CapInfo(
            language=lang, event=EVENT[lang],
            urgency="Past" if cancel else urgency(condition.onset, ctx.sent),
            severity="Minor" if cancel else "Severe",
            certainty="Likely" if cancel else certainty(condition.probability),
            response_types=("AllClear",) if cancel else ("Shelter", "Monitor"),
            onset=None if cancel else condition.onset,
            expires=expires if cancel else condition.expires,
            sender_name=SENDER_NAME[lang], headline=_headline(condition, ctx, lang),
            description=_description(condition, ctx, lang), instruction=_instruction(ctx, lang),
            web=ctx.web, parameters=tuple(parameters), areas=(_area(condition, ctx, lang),),
        ))  # fmt: skip
    return tuple(infos)
