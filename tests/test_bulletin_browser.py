"""The bulletin HTML as a person sees it: rendered in headless Chromium (Debian's ``chromium`` via Playwright).

Checked in both editions (vi, en) with real numbers: every region's headline sentence; the D1–D3 table, each
cell showing the AQI *and* the category name on the official category colour; WCAG contrast of the coloured
text; the emergency banner (only when a region is in emergency), the school advisory (only where category ≥ 4),
the caveats; a station name holding ``<script>`` shown as text (no dialog) and its Vietnamese diacritics drawn
in a real font; no page-wide horizontal scroll on a 375 px phone; print keeping the headline, table and colours;
a screenshot of the viewport size.

One browser for the session (Debian's chromium, installed with ``fonts-noto-core`` when missing and we are
root; skipped with the reason otherwise), one page per edition reused by the read-only tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from browser_helpers import (
    contrast_ratio,
    hex_to_css_rgb,
    noto_installed,
    png_size,
)

from bulletins.content import BulletinContent, DayOutlook, bulletin_content
from bulletins.render import LABELS, render_html
from forecast.aqi.categories import category_by_index

LANGS = ("vi", "en")
VIEWPORT = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
WCAG_AA = 4.5

SCRIPT_NAME = "<script>alert(1)</script> Hà Nội – Nguyễn Văn Cừ"
HANOI, BAC_NINH, HCMC = "Hà Nội", "Bắc Ninh", "TP. Hồ Chí Minh"


def _category(aqi: int) -> int:
    return next(k for k in range(1, 7) if category_by_index(k).aqi_min <= aqi <= category_by_index(k).aqi_max)


def _station(sid: str, name: str, province: str, aqis: list[int]) -> dict:
    days = [
        {"day": f"D{k + 1}", "date": f"2026-11-{23 + k}", "aqi": aqi, "category": _category(aqi),
         "dominant_pollutant": "pm25", "category_probabilities": None}
        for k, aqi in enumerate(aqis)
    ]  # fmt: skip
    return {"id": sid, "name_vi": name, "name_en": name, "province": province, "latitude": 21.0,
            "longitude": 105.8, "observed": None, "status": {}, "hourly": [], "daily": days}  # fmt: skip


# Every category appears: Hà Nội's two stations differ day by day (Tốt/Kém/Xấu and Trung bình/Rất xấu/Tốt),
# Bắc Ninh is ≥ 300 on all three days (emergency), Hồ Chí Minh stays Tốt–Trung bình (no school advisory).
STATIONS = [
    _station("hn-1", SCRIPT_NAME, HANOI, [45, 120, 180]),
    _station("hn-2", "Hà Nội – Đống Đa", HANOI, [90, 250, 45]),
    _station("bn-1", "Bắc Ninh – Khu công nghiệp Quế Võ", BAC_NINH, [320, 350, 310]),
    _station("hcm-1", "Quận 1", HCMC, [40, 60, 45]),
]
DOCUMENT = {"cycle": "2026-11-22T12Z", "issue_time": "2026-11-22T12:00:00+00:00", "synthetic": True,
            "stations": STATIONS}  # fmt: skip
CALM_DOCUMENT = {**DOCUMENT, "stations": [s for s in STATIONS if s["province"] != BAC_NINH]}


def _content(document: dict) -> BulletinContent:
    return bulletin_content(document, {"fallbacks": []}, reviewed=False, approved_by=None)


CONTENT = _content(DOCUMENT)
CALM = _content(CALM_DOCUMENT)


@dataclass
class Shown:
    """A bulletin open in a page, with every dialog the page tried to open."""

    page: object
    lang: str
    content: BulletinContent
    dialogs: list[str] = field(default_factory=list)


# --- browser and pages -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def desktop(browser):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    yield context
    context.close()


def _open(context, content: BulletinContent, lang: str) -> Shown:
    page = context.new_page()
    shown = Shown(page, lang, content)

    def on_dialog(dialog) -> None:
        shown.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.set_content(render_html(content, lang), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    return shown


@pytest.fixture(scope="module", params=LANGS)
def shown(request, desktop) -> Iterator[Shown]:
    """The bulletin with an emergency, open once per edition (read-only tests share it)."""
    s = _open(desktop, CONTENT, request.param)
    yield s
    s.page.close()


@pytest.fixture(scope="module", params=LANGS)
def calm(request, desktop) -> Iterator[Shown]:
    """The same bulletin without the province in emergency."""
    s = _open(desktop, CALM, request.param)
    yield s
    s.page.close()


def _region(page, name: str):
    """A province's section, found as assistive technology finds it (a region named by its heading)."""
    return page.get_by_role("region", name=name, exact=True)


def _days_table(page, region_name: str):
    """A province's D1–D3 table (the one whose columns are headed D1, D2, D3)."""
    first_day = page.get_by_role("columnheader", name=re.compile(r"^D1\b"))
    return _region(page, region_name).get_by_role("table").filter(has=first_day)


def _row(page, region_name: str, station_name: str):
    """A station's row of its province's D1–D3 table."""
    table = _days_table(page, region_name)
    return table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=station_name, exact=True))


def _cells(content: BulletinContent, k: int | None = None) -> Iterator[tuple[str, str, int, DayOutlook]]:
    """(region, station name, column, day) of every D1–D3 cell (of category ``k`` only, when given)."""
    for region in content.regions:
        for station in region.stations:
            for col, day in enumerate(station.days):
                if k is None or day.category == k:
                    yield region.name, station.name, col, day


# JS: each visible text run inside an element, with its computed colour and the first opaque background behind it.
_TEXT_COLOURS = """
(root) => {
  const opaque = (c) => c !== 'transparent' && !/^rgba\\(.*,\\s*0\\)$/.test(c);
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (opaque(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const out = [];
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    out.push({text: node.textContent.trim(), color: getComputedStyle(el).color, background: behind(el)});
  }
  return out;
}
"""


# --- what a person sees ------------------------------------------------------------------------------------


def test_every_region_headline_is_visible_as_written(shown):
    page, lang = shown.page, shown.lang
    assert page.title().startswith(LABELS[lang]["title"])
    assert page.get_by_role("heading", level=1).inner_text() == LABELS[lang]["title"]
    assert len(shown.content.regions) == 3
    for region in shown.content.regions:
        section = _region(page, region.name)
        assert section.is_visible(), region.name
        sentence = section.get_by_text(region.headline[lang], exact=True)
        assert sentence.count() == 1 and sentence.is_visible(), region.headline[lang]
        assert sentence.inner_text() == region.headline[lang]
    hanoi = next(r for r in shown.content.regions if r.name == HANOI)
    expected = {
        "vi": "Hà Nội: chất lượng không khí Trung bình đến Rất xấu trong ba ngày tới, "
        "xấu nhất ngày 24/11 (VN_AQI 250).",
        "en": "Hà Nội: air quality Moderate to Very bad over the next three days, worst on 24/11 (VN_AQI 250).",
    }
    assert hanoi.headline[lang] == expected[lang]  # the numbers the page was just checked to show


def test_table_cells_show_number_and_category_name_on_the_official_colour(shown):
    page, lang = shown.page, shown.lang
    seen_categories = set()
    for region_name, names, col, day in _cells(shown.content):
        table = _days_table(page, region_name)
        assert table.count() == 1 and table.is_visible(), region_name
        header = table.get_by_role("columnheader").nth(col + 1)
        assert header.inner_text().startswith(day.day), (region_name, col)
        row = _row(page, region_name, names[lang])
        assert row.count() == 1 and row.is_visible(), names[lang]
        cells = row.get_by_role("cell")
        assert cells.count() == 3
        cell = cells.nth(col)
        assert cell.is_visible()
        text = cell.inner_text()
        where = f"{names[lang]} {day.day}: {text!r}"
        # colour is never the only carrier: the number and the category name are written in the cell
        assert re.search(rf"(?<!\d){day.aqi}(?!\d)", text), where
        assert day.name(lang) in text, where
        expected = hex_to_css_rgb(category_by_index(day.category).hex)
        assert cell.evaluate("el => getComputedStyle(el).backgroundColor") == expected, where
        seen_categories.add(day.category)
    assert seen_categories == {1, 2, 3, 4, 5, 6}


@pytest.mark.parametrize("category", range(1, 7), ids=lambda k: f"cat{k}-{category_by_index(k).name_en}")
def test_coloured_cell_text_meets_wcag_aa_contrast(shown, category):
    page, lang = shown.page, shown.lang
    cells = list(_cells(shown.content, category))
    assert cells, f"the test bulletin has no category {category} cell"
    failures = []
    for region_name, names, col, day in cells:
        cell = _row(page, region_name, names[lang]).get_by_role("cell").nth(col)
        for run in cell.evaluate(_TEXT_COLOURS):
            ratio = contrast_ratio(run["color"], run["background"])
            if ratio < WCAG_AA:
                failures.append(
                    f"{day.name(lang)} {run['text']!r}: {run['color']} on {run['background']} = {ratio:.2f}"
                )
    name = category_by_index(category)
    assert not failures, f"category {category} ({name.name_vi}/{name.name_en}) below {WCAG_AA}:1: {failures}"


def test_banners_and_caveats_are_readable(shown):
    page = shown.page
    failures = []
    for selector in ("[role=alert]", "[role=note]"):
        for box in page.locator(selector).all():
            for run in box.evaluate(_TEXT_COLOURS):
                ratio = contrast_ratio(run["color"], run["background"])
                if ratio < WCAG_AA:
                    failures.append(f"{run['text']!r}: {run['color']} on {run['background']} = {ratio:.2f}")
    assert not failures


def test_emergency_banner_is_shown_when_a_region_is_in_emergency(shown):
    page, t = shown.page, LABELS[shown.lang]
    assert shown.content.emergency
    banner = page.get_by_role("alert").filter(has_text=t["emergency"])
    assert banner.count() == 1 and banner.is_visible()
    assert banner.inner_text() == t["emergency"]
    bac_ninh = _region(page, BAC_NINH).get_by_role("alert")
    assert bac_ninh.count() == 1 and bac_ninh.is_visible() and bac_ninh.inner_text() == t["emergency_region"]
    for calm_region in (HANOI, HCMC):
        assert _region(page, calm_region).get_by_role("alert").count() == 0, calm_region


def test_no_emergency_banner_when_no_region_is(calm):
    page, t = calm.page, LABELS[calm.lang]
    assert not calm.content.emergency
    assert page.get_by_role("alert").count() == 0
    assert page.get_by_text(t["emergency"]).count() == 0
    assert page.get_by_text(t["emergency_region"]).count() == 0
    assert _region(page, HANOI).is_visible()


def test_school_advisory_only_where_category_4_or_worse(shown):
    page, t = shown.page, LABELS[shown.lang]
    for region in shown.content.regions:
        worst = max(d.category for d in region.days)
        advisory = _region(page, region.name).get_by_text(t["school"], exact=True)
        if worst >= 4:
            assert advisory.count() == 1 and advisory.is_visible(), region.name
        else:
            assert advisory.count() == 0, region.name
    assert {r.name for r in shown.content.regions if r.school_advisory} == {HANOI, BAC_NINH}


def test_station_name_markup_is_shown_as_text_never_run(shown, desktop):
    page = shown.page
    assert shown.dialogs == []
    assert page.locator("script").count() == 0
    name = _days_table(page, HANOI).get_by_role("rowheader", name=SCRIPT_NAME, exact=True)
    assert name.count() == 1 and name.is_visible()
    assert name.inner_text() == SCRIPT_NAME
    assert page.get_by_text("<script>alert(1)</script>").is_visible()
    # the dialog listener would have seen it: the same name unescaped does open a dialog
    control = _open(desktop, CONTENT, shown.lang)
    try:
        control.page.set_content(f"<p>{SCRIPT_NAME}</p>")
        assert control.dialogs == ["alert: 1"]
    finally:
        control.page.close()


def test_vietnamese_diacritics_are_drawn_in_a_real_font(shown):
    page = shown.page
    name = _days_table(page, HANOI).get_by_role("rowheader", name=SCRIPT_NAME, exact=True)
    assert name.inner_text() == SCRIPT_NAME  # exactly, NFC as written
    width = name.evaluate(
        """el => { const r = document.createRange(); const t = el.firstChild;
                  const i = t.textContent.indexOf('Nguyễn'); r.setStart(t, i); r.setEnd(t, i + 'Nguyễn'.length);
                  return r.getBoundingClientRect().width; }"""
    )
    assert width > 0
    if not noto_installed():
        pytest.skip("fonts-noto-core not installed: cannot check which font draws the diacritics")
    cdp = page.context.new_cdp_session(page)
    try:
        name.evaluate("el => el.setAttribute('data-font-probe', '1')")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-font-probe]"})["nodeId"]
        cdp.send("CSS.enable")
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    # every glyph of the name comes from Noto Sans (the stylesheet's first choice): no fallback, no tofu boxes
    assert fonts and {f["familyName"] for f in fonts} == {"Noto Sans"}, fonts
    assert sum(f["glyphCount"] for f in fonts) > 0


def test_phone_width_has_no_page_wide_horizontal_scroll(browser, tmp_path):
    for lang in LANGS:
        context = browser.new_context(viewport=PHONE, device_scale_factor=1)
        try:
            page = _open(context, CONTENT, lang).page
            layout = page.evaluate(
                """() => {
                  const doc = document.documentElement;
                  const scrollers = [...document.querySelectorAll('body *')].filter(e => {
                    const s = getComputedStyle(e);
                    return ['auto', 'scroll'].includes(s.overflowX) && e.scrollWidth > e.clientWidth + 1;
                  }).map(e => ({tag: e.tagName, holdsTable: !!e.querySelector('table') || e.tagName === 'TABLE'}));
                  const wide = [...document.querySelectorAll('body *')].filter(e => {
                    const r = e.getBoundingClientRect(); return r.width > 0 && r.right > innerWidth + 1;
                  }).map(e => `${e.tagName}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`);
                  return {scrollWidth: doc.scrollWidth, scrollers, wide: wide.slice(0, 8)};
                }"""
            )
            page.screenshot(path=tmp_path / f"bulletin.{lang}.phone.png")
            assert layout["scrollWidth"] <= PHONE["width"] + 1, f"{lang}: page scrolls sideways: {layout}"
            assert all(s["holdsTable"] for s in layout["scrollers"]), f"{lang}: {layout}"
            for region in CONTENT.regions:
                assert page.get_by_text(region.headline[lang], exact=True).is_visible()
        finally:
            context.close()


def test_print_keeps_headline_table_and_colours(desktop):
    for lang in LANGS:
        page = _open(desktop, CONTENT, lang).page
        try:
            page.emulate_media(media="print")
            assert page.evaluate("matchMedia('print').matches")
            for region in CONTENT.regions:
                assert page.get_by_text(region.headline[lang], exact=True).is_visible(), region.name
            for region_name, names, col, day in _cells(CONTENT):
                cell = _row(page, region_name, names[lang]).get_by_role("cell").nth(col)
                assert cell.is_visible()
                assert day.name(lang) in cell.inner_text()
                style = cell.evaluate(
                    """el => { const s = getComputedStyle(el);
                              return {bg: s.backgroundColor,
                                      adjust: s.printColorAdjust || s.webkitPrintColorAdjust}; }"""
                )
                assert style["bg"] == hex_to_css_rgb(day.colour)
                assert style["adjust"] == "exact", f"{names[lang]} {day.day}: colours dropped on paper"
            pdf = page.pdf(format="A4", print_background=True)
            assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000
        finally:
            page.close()


def test_caveats_are_visible(shown):
    page, lang = shown.page, shown.lang
    caveats = [c[lang] for c in shown.content.caveats]
    assert any(c.startswith(("DỮ LIỆU MÔ PHỎNG", "SYNTHETIC DATA")) for c in caveats)
    assert any("chưa được dự báo viên duyệt" in c or "Not reviewed" in c for c in caveats)
    for text in caveats:
        note = page.get_by_text(text, exact=True)
        assert note.count() == 1 and note.is_visible(), text


def test_screenshot_has_the_viewport_size(shown, tmp_path):
    path = tmp_path / f"bulletin.{shown.lang}.png"
    png = shown.page.screenshot(path=path)
    assert path.stat().st_size == len(png) > 10_000
    assert png_size(png) == (VIEWPORT["width"], VIEWPORT["height"])
