"""Render a bulletin's content as HTML (autoescaped, responsive, printable) and plain text (radio/TV script),
in Vietnamese and English."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bulletins.content import BulletinContent
from configs.schema import DEFAULT_LOCAL_TZ
from forecast.aqi.categories import category_by_index

LABELS = {
    "vi": {
        "title": "Bản tin dự báo chất lượng không khí (VN_AQI)", "cycle": "Phiên", "issued": "phát hành",
        "approved": "duyệt bởi", "station": "Trạm", "dominant": "chất ô nhiễm chính",
        "general": "Người bình thường", "sensitive": "Nhóm nhạy cảm",
        "school": "Khuyến cáo trường học: hạn chế hoạt động ngoài trời của học sinh.",
        "emergency": "CẢNH BÁO KHẨN CẤP: dự báo VN_AQI ≥ 300 trong 3 ngày liên tiếp.",
        "emergency_region": "Khẩn cấp: VN_AQI ≥ 300 trong 3 ngày liên tiếp tại khu vực này.",
        "footer": "VN_AQI theo Quyết định 1459/QĐ-TCMT. Màu sắc kèm tên mức để không phụ thuộc vào màu.",
        "bulletin": "Bản tin", "version": "phiên bản", "draft": "BẢN NHÁP", "not_reviewed": "chưa được duyệt",
        "at": "lúc", "edited_by": "biên tập bởi", "forecaster_note": "Nhận định của dự báo viên",
        "outlook": "Diễn biến theo giờ (VN_AQI cao nhất mỗi buổi)", "region_worst": "Cao nhất khu vực",
        "days": "Ba ngày tới (VN_AQI ngày)", "why": "Nguyên nhân",
        "yesterday": "Dự báo hôm qua so với quan trắc", "forecast": "Dự báo", "observed": "Quan trắc",
        "verif_sentence": "Ngày {date}: đúng mức ở {exact}/{n} trạm, lệch không quá một mức ở {within}/{n}; "
                          "sai số trung bình {mae} VN_AQI.",
        "overrides": "Điều chỉnh của dự báo viên", "model": "mô hình",
    },
    "en": {
        "title": "Air quality forecast bulletin (VN_AQI)", "cycle": "Cycle", "issued": "issued",
        "approved": "approved by", "station": "Station", "dominant": "main pollutant",
        "general": "General public", "sensitive": "Sensitive groups",
        "school": "School advisory: limit pupils' outdoor activities.",
        "emergency": "EMERGENCY: VN_AQI ≥ 300 forecast on 3 consecutive days.",
        "emergency_region": "Emergency: VN_AQI ≥ 300 on 3 consecutive days in this area.",
        "footer": "VN_AQI per Decision 1459/QĐ-TCMT. Every colour comes with its category name.",
        "bulletin": "Bulletin", "version": "version", "draft": "DRAFT", "not_reviewed": "not reviewed",
        "at": "at", "edited_by": "edited by", "forecaster_note": "Forecaster's note",
        "outlook": "Hour by hour (highest VN_AQI in each part of the day)", "region_worst": "Highest in the area",
        "days": "Next three days (daily VN_AQI)", "why": "Why",
        "yesterday": "Yesterday's forecast against observations", "forecast": "Forecast", "observed": "Observed",
        "verif_sentence": "{date}: right category at {exact} of {n} stations, within one category at {within} of "
                          "{n}; mean error {mae} VN_AQI.",
        "overrides": "Forecaster's adjustments", "model": "model",
    },
}  # fmt: skip


def _category_name(index: int, lang: str) -> str:
    cat = category_by_index(int(index))
    return cat.name_vi if lang == "vi" else cat.name_en


def _local_time(iso: str | None) -> str:
    """An ISO time as Vietnam's wall clock ("03/12/2026 19:00 (UTC+7)"): readers think in local time."""
    if not iso:
        return "—"
    try:
        local = datetime.fromisoformat(iso).astimezone(ZoneInfo(DEFAULT_LOCAL_TZ))
    except ValueError:
        return iso  # shown as written rather than not at all
    return f"{local:%d/%m/%Y %H:%M} (UTC+7)"


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("bulletins", "templates"),
        autoescape=select_autoescape(["html", "j2"]) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dm"] = lambda date: f"{date[8:10]}/{date[5:7]}" if date else "—"
    env.globals["category_name"] = lambda index, lang: _category_name(index, lang)
    env.filters["local"] = _local_time
    return env


def render_html(content: BulletinContent, lang: str = "vi") -> str:
    """The bulletin as one self-contained HTML page (autoescaped: names from files are text, never markup)."""
    return _environment(True).get_template("bulletin.html.j2").render(b=content, t=LABELS[lang], lang=lang)


def render_text(content: BulletinContent, lang: str = "vi") -> str:
    """The bulletin as plain text for radio and TV scripts."""
    return _environment(False).get_template("bulletin.txt.j2").render(b=content, t=LABELS[lang], lang=lang)
