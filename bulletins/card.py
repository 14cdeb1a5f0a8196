"""A PNG card per region for social media (1200 × 630 px): the province, its headline, three D1–D3 tiles with
the VN_AQI, the category name on its official colour, and the bulletin's caveats."""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from bulletins.content import BulletinContent, Region  # noqa: E402

WIDTH_PX, HEIGHT_PX, DPI = 1200, 630, 100


def _card_font() -> str:
    """Noto Sans (as the HTML) when installed (Debian ``fonts-noto-core``), else DejaVu Sans, which ships with
    matplotlib; both carry the Vietnamese diacritics."""
    from matplotlib import font_manager

    try:
        font_manager.findfont("Noto Sans", fallback_to_default=False)
        return "Noto Sans"
    except ValueError:
        return "DejaVu Sans"


FONT = _card_font()


def region_card(content: BulletinContent, region: Region, lang: str = "vi") -> bytes:
    """The region's card as PNG bytes."""
    fig = plt.figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH_PX)
    ax.set_ylim(HEIGHT_PX, 0)
    ax.axis("off")
    text = {"family": FONT, "color": "#111111"}
    title = "Dự báo chất lượng không khí" if lang == "vi" else "Air quality forecast"
    ax.text(40, 60, f"{region.name} — {title}", fontsize=26, fontweight="bold", **text)
    ax.text(40, 105, textwrap.fill(region.headline[lang], 95), fontsize=15, va="top", **text)
    tile_w, gap, top = 360, 30, 200
    for k, day in enumerate(region.days[:3]):
        x = 40 + k * (tile_w + gap)
        ax.add_patch(Rectangle((x, top), tile_w, 250, facecolor=day.colour, edgecolor="#333333", linewidth=1.5))
        ink = {"family": FONT, "color": day.text_colour, "ha": "center"}
        ax.text(x + tile_w / 2, top + 45, f"{day.day} · {day.date[8:10]}/{day.date[5:7]}", fontsize=20, **ink)
        ax.text(x + tile_w / 2, top + 140, str(day.aqi), fontsize=64, fontweight="bold", **ink)
        ax.text(x + tile_w / 2, top + 215, day.name(lang), fontsize=24, fontweight="bold", **ink)
    notes = [c[lang] for c in content.caveats[:2]]
    if region.emergency:
        notes.insert(0, "KHẨN CẤP: VN_AQI ≥ 300 trong 3 ngày" if lang == "vi" else "EMERGENCY: VN_AQI ≥ 300 for 3 days")
    for i, note in enumerate(notes):
        ax.text(40, 505 + 32 * i, textwrap.shorten(note, 100), fontsize=13, fontweight="bold", color="#7E0023",
                family=FONT)  # fmt: skip
    ax.text(WIDTH_PX - 40, HEIGHT_PX - 20, f"VN_AQI · {content.cycle}", fontsize=12, ha="right", **text)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})  # 23 % faster, 14 % larger
    plt.close(fig)
    return buffer.getvalue()
