"""Bulletin content and its HTML / text renderings from a hand-built forecast document (bad input included)."""

from __future__ import annotations

import html.parser

from bulletins.content import bulletin_content, headline
from bulletins.render import render_html, render_text


def _day(day: str, date: str, aqi: int | None, category: int) -> dict:
    return {"day": day, "date": date, "aqi": aqi, "category": category if aqi is not None else None,
            "dominant_pollutant": "pm25", "category_probabilities": None}  # fmt: skip


def _station(sid, name, province, aqis, status=None):
    cats = [
        1 if a <= 50 else 2 if a <= 100 else 3 if a <= 150 else 4 if a <= 200 else 5 if a <= 300 else 6 for a in aqis
    ]
    days = [_day(f"D{k + 1}", f"2026-11-{23 + k}", a, c) for k, (a, c) in enumerate(zip(aqis, cats, strict=True))]
    return {"id": sid, "name_vi": name, "name_en": name, "province": province, "latitude": 21.0, "longitude": 105.8,
            "observed": None, "status": status or {}, "hourly": [], "daily": days}  # fmt: skip


DOCUMENT = {
    "cycle": "2026-11-22T12Z", "issue_time": "2026-11-22T12:00:00+00:00", "synthetic": True,
    "stations": [
        _station("hn-1", "<script>alert(1)</script> Hà Nội – Hoàn Kiếm", "Hà Nội", [320, 350, 310]),
        _station("hn-2", "Đống Đa", "Hà Nội", [180, 160, 90],
                 {"no_recent_observations": True, "note": "last observation 12 h ago"}),  # fmt: skip
        _station("hcm-1", "Quận 1", "TP. Hồ Chí Minh", [40, 60, 45]),
    ],
}  # fmt: skip
MANIFEST = {"fallbacks": [{"step": "nwp-missing", "detail": "no NWP"}]}


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_headline_names_the_range_and_the_worst_day():
    content = bulletin_content(DOCUMENT, MANIFEST, reviewed=True, approved_by="An")
    hanoi = next(r for r in content.regions if r.name == "Hà Nội")
    assert [d.aqi for d in hanoi.days] == [320, 350, 310]
    assert (
        hanoi.headline["vi"]
        == "Hà Nội: chất lượng không khí Nguy hại trong ba ngày tới, xấu nhất ngày 24/11 (VN_AQI 350)."
    )
    hcm = next(r for r in content.regions if r.name == "TP. Hồ Chí Minh")
    assert (
        hcm.headline["en"]
        == "TP. Hồ Chí Minh: air quality Good to Moderate over the next three days, worst on 24/11 (VN_AQI 60)."
    )
    assert headline("Huế", [], "vi") == "Huế: chưa có dự báo."


def test_emergency_school_advisory_and_caveats():
    content = bulletin_content(DOCUMENT, MANIFEST, reviewed=False, approved_by=None)
    hanoi = next(r for r in content.regions if r.name == "Hà Nội")
    assert content.emergency and hanoi.emergency and hanoi.school_advisory
    hcm = next(r for r in content.regions if r.name == "TP. Hồ Chí Minh")
    assert not hcm.emergency and not hcm.school_advisory
    texts = [c["vi"] for c in content.caveats]
    assert (
        texts[0].startswith("DỮ LIỆU MÔ PHỎNG") and "chưa được dự báo viên duyệt" in texts[1] and "no NWP" in texts[2]
    )


def test_html_escapes_names_keeps_diacritics_and_never_relies_on_colour_alone():
    page = render_html(bulletin_content(DOCUMENT, MANIFEST, reviewed=False, approved_by=None), "vi")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Hà Nội – Hoàn Kiếm" in page
    parser = _Text()
    parser.feed(page)
    seen = " ".join(parser.text)
    assert "script" not in parser.tags
    assert "CẢNH BÁO KHẨN CẤP" in seen and "Khuyến cáo trường học" in seen
    assert "350 · Nguy hại" in seen and "90 · Trung bình" in seen  # the category name beside every colour
    assert "background:#7E0023" in page  # Nguy hại's official colour
    assert "last observation 12 h ago" in seen  # the flagged station says so


def test_text_edition_is_plain_and_complete():
    text = render_text(bulletin_content(DOCUMENT, MANIFEST, reviewed=True, approved_by="An"), "en")
    assert text.splitlines()[0] == "AIR QUALITY FORECAST BULLETIN (VN_AQI) — 2026-11-22T12Z"
    assert "  Đống Đa: D1 180 Bad; D2 160 Bad; D3 90 Moderate" in text
    assert "!!! EMERGENCY" in text and "<" not in text.replace("<script>alert(1)</script>", "")


def test_a_run_without_stations_or_days_renders_without_crashing():
    empty = {**DOCUMENT, "stations": [_station("x", "Trạm trống", "Huế", [])]}
    content = bulletin_content(empty, {}, reviewed=False, approved_by=None)
    assert "Huế: chưa có dự báo." in render_text(content, "vi")
    assert "Huế" in render_html(content, "en")


def test_region_card_is_a_1200_by_630_png_with_the_category_colours():
    import io

    import matplotlib.image as mpimg

    from bulletins.card import region_card

    content = bulletin_content(DOCUMENT, MANIFEST, reviewed=False, approved_by=None)
    hanoi = next(r for r in content.regions if r.name == "Hà Nội")
    png = region_card(content, hanoi, "vi")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = mpimg.imread(io.BytesIO(png))
    assert pixels.shape[:2] == (630, 1200)
    # D1 tile (x 40–400, y 200–450), sampled off the text: Nguy hại's #7E0023
    r, g, b = (pixels[215, 60, :3] * 255).round()
    assert (r, g, b) == (0x7E, 0x00, 0x23)


def test_feed_lists_every_bulletin_version_newest_first(tmp_path):
    import json
    import xml.etree.ElementTree as ET

    from bulletins.feed import ATOM_NS, write_feed

    for cycle, version in (("2026-11-22T00Z", 1), ("2026-11-22T12Z", 1), ("2026-11-22T12Z", 2)):
        folder = tmp_path / "bulletins" / cycle / "forecast-v1" / f"bulletin-v{version}"
        folder.mkdir(parents=True)
        content = bulletin_content({**DOCUMENT, "cycle": cycle}, MANIFEST, reviewed=version == 2, approved_by=None)
        import dataclasses

        (folder / "bulletin.json").write_text(json.dumps(dataclasses.asdict(content)), encoding="utf-8")
    (tmp_path / "bulletins" / "broken" / "forecast-v1" / "bulletin-v1").mkdir(parents=True)
    (tmp_path / "bulletins" / "broken" / "forecast-v1" / "bulletin-v1" / "bulletin.json").write_text("{not json")
    feed = ET.parse(write_feed(tmp_path)).getroot()
    entries = feed.findall(f"{{{ATOM_NS}}}entry")
    ids = [e.find(f"{{{ATOM_NS}}}id").text for e in entries]
    assert len(ids) == 3 and len(set(ids)) == 3 and ids[-1].endswith("2026-11-22T00Z/forecast-v1/bulletin-v1")
    title = entries[0].find(f"{{{ATOM_NS}}}title").text
    assert title.startswith("2026-11-22T12Z: Hà Nội:") and "<script>" not in title
    assert entries[0].find(f"{{{ATOM_NS}}}link").get("href").endswith("bulletin.vi.html")


def _hourly(start_utc: str, aqis: list[int]) -> list[dict]:
    """Hour-ending entries from ``start_utc`` (+1 h) on, local times in Asia/Ho_Chi_Minh."""
    import pandas as pd

    first = pd.Timestamp(start_utc)
    out = []
    for k, aqi in enumerate(aqis):
        t = (first + pd.Timedelta(hours=k + 1)).tz_convert("Asia/Ho_Chi_Minh")
        cat = 1 if aqi <= 50 else 2 if aqi <= 100 else 3 if aqi <= 150 else 4 if aqi <= 200 else 5
        out.append({"lead": k + 1, "valid_time": t.isoformat(), "aqi": aqi, "category": cat})
    return out


def test_part_of_day_outlook_names_parts_relative_to_the_bulletin_day():
    import pandas as pd

    from bulletins.outlook import part_outlook

    # 12Z cycle: hours ending 20:00 … local on 22/11; bulletin at 16:30 local on 22/11 would start in the
    # afternoon, but the first value ends at 20:00, so the first part is the evening 18–24 (19:00–24:00 here).
    values = [60] * 5 + [120] * 6 + [160] * 6 + [90] * 31  # 48 hours
    hourly = _hourly("2026-11-22T12:00Z", values)
    parts = part_outlook(hourly, pd.Timestamp("2026-11-22T19:00+07:00"), hours=48)
    assert [p.name_vi for p in parts[:4]] == ["tối nay", "đêm nay", "sáng mai", "chiều mai"]
    assert [p.name_en for p in parts[:2]] == ["this evening", "tonight"]
    # evening = hours ending 20:00–24:00 (5 values of 60); night = hours ending 01:00–06:00: the 120s
    assert [(p.aqi, p.category) for p in parts[:3]] == [(60, 2), (120, 3), (160, 4)]
    assert parts[-1].name_vi.startswith("tối ") and parts[-1].name_en.startswith("evening of ")


def test_headline_with_the_hourly_outlook_says_when_it_is_worst():
    import pandas as pd

    doc = {**DOCUMENT, "stations": [dict(DOCUMENT["stations"][1])]}
    doc["stations"][0]["hourly"] = _hourly("2026-11-22T12:00Z", [60] * 5 + [120] * 6 + [160] * 12 + [90] * 25)
    content = bulletin_content(doc, MANIFEST, reviewed=False, approved_by=None,
                               outlook_from=pd.Timestamp("2026-11-22T19:00+07:00"))  # fmt: skip
    hanoi = content.regions[0]
    assert hanoi.headline["vi"] == (
        "Hà Nội: chất lượng không khí Trung bình đến Xấu trong sáng mai và chiều mai; "
        "ba ngày tới xấu nhất ngày 23/11 (VN_AQI 180)."
    )
    assert hanoi.headline["en"] == (
        "Hà Nội: air quality Moderate to Bad tomorrow morning and tomorrow afternoon; "
        "worst of the next three days on 23/11 (VN_AQI 180)."
    )
    text = render_text(content, "vi")
    assert "Diễn biến theo giờ (VN_AQI cao nhất mỗi buổi): tối nay 60 Trung bình; đêm nay 120 Kém;" in text


def test_forecaster_edits_replace_the_headline_and_an_empty_text_reverts(tmp_path):
    import pytest

    from bulletins.edits import BulletinEdit, EditError, add_edits, read_edits

    run_id = "2026-11-22T12Z/forecast-v1"
    provinces = ["Hà Nội", "TP. Hồ Chí Minh"]
    add_edits(tmp_path, run_id, [BulletinEdit("2026-11-22T20:00+00:00", "An", "headline", "vi", "  Mới  ", "Hà Nội")],
              provinces)  # fmt: skip
    content = bulletin_content(DOCUMENT, MANIFEST, reviewed=True, approved_by="An", edits=read_edits(tmp_path, run_id))
    hanoi = next(r for r in content.regions if r.name == "Hà Nội")
    assert hanoi.headline["vi"] == "Mới" and hanoi.headline_auto["vi"].startswith("Hà Nội: chất lượng")
    assert hanoi.headline["en"].startswith("Hà Nội: air quality")  # the English edition keeps its own wording
    add_edits(tmp_path, run_id, [BulletinEdit("2026-11-22T21:00+00:00", "An", "headline", "vi", "", "Hà Nội")],
              provinces)  # fmt: skip
    content = bulletin_content(DOCUMENT, MANIFEST, reviewed=True, approved_by="An", edits=read_edits(tmp_path, run_id))
    assert next(r for r in content.regions if r.name == "Hà Nội").headline["vi"].startswith("Hà Nội: chất lượng")
    assert len(read_edits(tmp_path, run_id)) == 2  # the history stays
    with pytest.raises(EditError, match="unknown language 'fr'"):
        add_edits(tmp_path, run_id, [BulletinEdit("t", "An", "note", "fr", "x")], provinces)
    with pytest.raises(EditError, match="unknown edit kind 'title'"):
        add_edits(tmp_path, run_id, [BulletinEdit("t", "An", "title", "vi", "x")], provinces)


def test_bulletin_json_matches_its_documented_schema():
    import dataclasses
    import json
    from pathlib import Path

    import jsonschema
    import pytest

    from bulletins.files import bulletin_json
    from bulletins.schema import schema_text

    documented = Path(__file__).parents[1] / "docs" / "bulletin.schema.json"
    assert documented.read_text(encoding="utf-8") == schema_text(), "regenerate docs/bulletin.schema.json"
    schema = json.loads(schema_text())
    document = json.loads(json.dumps(bulletin_json(bulletin_content(DOCUMENT, MANIFEST, reviewed=False,
                                                                    approved_by=None))))  # fmt: skip
    jsonschema.validate(document, schema)
    broken = {k: v for k, v in document.items() if k != "regions"}
    with pytest.raises(jsonschema.ValidationError, match="'regions' is a required property"):
        jsonschema.validate(broken, schema)
    assert dataclasses.is_dataclass(bulletin_content(DOCUMENT, MANIFEST, reviewed=False, approved_by=None))


def test_headline_names_a_forecasters_category_when_it_makes_the_worst_day():
    """An override changes the category, not the model's number: the headline says whose judgement it is."""
    from bulletins.content import DayOutlook

    days = [DayOutlook("D1", "2026-12-04", 62, 2, "pm25"),
            DayOutlook("D2", "2026-12-05", 65, 4, "pm25", override={"category_model": 2, "reason": "rơm rạ",
                                                                    "by": "thu", "at": "x"}),
            DayOutlook("D3", "2026-12-06", 73, 2, "pm25")]  # fmt: skip
    assert headline("Hà Nội", days, "vi") == (
        "Hà Nội: chất lượng không khí Trung bình đến Xấu trong ba ngày tới, xấu nhất ngày 05/12: "
        "Xấu theo dự báo viên (mô hình: VN_AQI 65)."
    )
    assert headline("Hà Nội", days, "en").endswith(
        "worst on 05/12: Bad in the forecaster's judgement (model: VN_AQI 65)."
    )
    unchanged = [DayOutlook("D1", "2026-12-04", 62, 2, "pm25"), DayOutlook("D2", "2026-12-05", 120, 3, "pm25")]
    assert headline("Hà Nội", unchanged, "en").endswith("worst on 05/12 (VN_AQI 120).")


def test_a_champion_that_could_not_forecast_is_a_caveat_but_routine_notes_are_not():
    manifest = {"fallbacks": [
        {"step": "blend-component-failed", "detail": "pm25 (blend): lstm: RuntimeError: boom"},
        {"step": "model-unloadable", "detail": "pm10: needs the lstm extra; baseline forecast"},
        {"step": "local-model-copy", "detail": "pm25: vnaqi-pm25 version 2 (local copy)"},
    ]}  # fmt: skip
    content = bulletin_content(DOCUMENT, manifest, reviewed=True, approved_by="An")
    english = [c["en"] for c in content.caveats]
    assert "Fallback: pm25 (blend): lstm: RuntimeError: boom" in english
    assert "Fallback: pm10: needs the lstm extra; baseline forecast" in english
    assert not any("local copy" in text for text in english)
