"""Render a bulletin's content as HTML (autoescaped, responsive, printable) and plain text (radio/TV script),
in Vietnamese and English."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bulletins.content import BulletinContent

LABELS = {
    "vi": {
        "title": "Bản tin dự báo chất lượng không khí (VN_AQI)", "cycle": "Phiên", "issued": "phát hành",
        "approved": "duyệt bởi", "station": "Trạm", "dominant": "chất ô nhiễm chính",
        "general": "Người bình thường", "sensitive": "Nhóm nhạy cảm",
        "school": "Khuyến cáo trường học: hạn chế hoạt động ngoài trời của học sinh.",
        "emergency": "CẢNH BÁO KHẨN CẤP: dự báo VN_AQI ≥ 300 trong 3 ngày liên tiếp.",
        "emergency_region": "Khẩn cấp: VN_AQI ≥ 300 trong 3 ngày liên tiếp tại khu vực này.",
        "footer": "VN_AQI theo Quyết định 1459/QĐ-TCMT. Màu sắc kèm tên mức để không phụ thuộc vào màu.",
    },
    "en": {
        "title": "Air quality forecast bulletin (VN_AQI)", "cycle": "Cycle", "issued": "issued",
        "approved": "approved by", "station": "Station", "dominant": "main pollutant",
        "general": "General public", "sensitive": "Sensitive groups",
        "school": "School advisory: limit pupils' outdoor activities.",
        "emergency": "EMERGENCY: VN_AQI ≥ 300 forecast on 3 consecutive days.",
        "emergency_region": "Emergency: VN_AQI ≥ 300 on 3 consecutive days in this area.",
        "footer": "VN_AQI per Decision 1459/QĐ-TCMT. Every colour comes with its category name.",
    },
}  # fmt: skip


def _environment(autoescape: bool) -> Environment:
    return Environment(
        loader=PackageLoader("bulletins", "templates"),
        autoescape=select_autoescape(["html", "j2"]) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(content: BulletinContent, lang: str = "vi") -> str:
    """The bulletin as one self-contained HTML page (autoescaped: names from files are text, never markup)."""
    return _environment(True).get_template("bulletin.html.j2").render(b=content, t=LABELS[lang], lang=lang)


def render_text(content: BulletinContent, lang: str = "vi") -> str:
    """The bulletin as plain text for radio and TV scripts."""
    return _environment(False).get_template("bulletin.txt.j2").render(b=content, t=LABELS[lang], lang=lang)
