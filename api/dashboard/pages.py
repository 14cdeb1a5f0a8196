"""Rendering the dashboard's pages: one Jinja2 environment (autoescape on, undefined names are errors), the
headers every page carries, and the small formatting filters the templates share.

Every page is ``Cache-Control: no-store`` (it shows who is logged in and their CSRF token) and carries a
Content-Security-Policy allowing only this server's own scripts, styles and images: no inline script or
style runs, so a station name holding markup can never become code even if an escape were missed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.forecast_payload import text_colour
from forecast.aqi.categories import CATEGORIES

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCAL_ZONE = "Asia/Ho_Chi_Minh"
LOCAL_LABEL = "giờ Việt Nam, UTC+7"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
STATUS_LABELS = {
    "running": "đang chạy / running",
    "failed": "lỗi / failed",
    "complete": "chờ duyệt / complete",
    "approved": "đã duyệt / approved",
    "published": "đã phát hành / published",
    "superseded": "đã thay thế / superseded",
}


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def local_time(value: datetime | str | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A time in Vietnam time (the zone is named in the page's headings), "—" when absent."""
    when = _aware(value)
    return "—" if when is None else when.astimezone(ZoneInfo(LOCAL_ZONE)).strftime(fmt)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def models(versions: dict[str, str] | None) -> dict[str, list[str]]:
    """A run's model versions grouped: ``trained`` ("pm25: vnaqi-pm25/1") and the pollutants on ``baseline``."""
    versions = versions or {}
    return {
        "trained": [f"{p}: {m}" for p, m in versions.items() if m != "baseline"],
        "baseline": [p for p, m in versions.items() if m == "baseline"],
    }


def category_name(index: Any) -> str:
    """``Tốt / Good`` for 1 … ``Nguy hại / Hazardous`` for 6; "—" otherwise."""
    try:
        c = CATEGORIES[int(index) - 1] if 1 <= int(index) <= len(CATEGORIES) else None
    except (TypeError, ValueError):
        c = None
    return "—" if c is None else f"{c.name_vi} / {c.name_en}"


def json_script(value: Any) -> Markup:
    """``value`` as JSON safe inside ``<script type="application/json">`` (no ``</script>``, ``<!--``)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        local=local_time, duration=duration, category_name=category_name, models=models, tojson_script=json_script
    )
    env.globals.update(
        categories=[
            {"index": c.index, "name_vi": c.name_vi, "name_en": c.name_en, "hex": c.hex, "text": text_colour(c.index)}
            for c in CATEGORIES
        ],
        status_labels=STATUS_LABELS,
        local_label=LOCAL_LABEL,
    )
    return env


ENV = _environment()


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` with ``context``, as an uncacheable HTML response."""
    context.setdefault("me", None)
    context.setdefault("csrf", None)
    context.setdefault("flash", None)
    context.setdefault("nav", "")
    html = ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def redirect(location: str) -> Response:
    """303 See Other (POST → redirect → GET), never cached."""
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def categories_css() -> str:
    """The category classes (official colour, readable text colour) from the one table of categories."""
    rules = [f".cat-{c.index} {{ background: {c.hex}; color: {text_colour(c.index)}; }}" for c in CATEGORIES]
    return "/* VN_AQI category colours (Decision 1459/QĐ-TCMT), generated from forecast.aqi.categories */\n" + (
        "\n".join(rules) + "\n"
    )
