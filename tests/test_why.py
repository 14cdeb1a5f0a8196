"""Why sentences (bulletins/why.py) on hand-built, SYNTHETIC daily drivers: exact Vietnamese and English."""

from __future__ import annotations

import re

import pytest

from bulletins.why import (
    PERSISTENT_VARIANTS,
    PHRASES,
    region_days,
    region_why,
    why_sentences,
)
from forecast.cycle.drivers import FAMILIES

DATES = {"D1": "2026-11-25", "D2": "2026-11-26", "D3": "2026-11-27"}
MET_KEYS = (
    "night_inversion_hours",
    "night_inversion_max_k",
    "wind_mean_m_s",
    "rain_total_mm",
    "ventilation_min_m2_s",
    "ventilation_max_m2_s",
    "blh_min_m",
    "stagnation_mean",
    "rh_mean_pct",
    "burning_season",
    "burning_intensity",
    "met_hours",
)


def entry(day: str, contributions: dict[str, float] | None = None, *, missing: bool = False, **met) -> dict:
    """One SYNTHETIC daily_drivers entry: every family 0 µg/m³ unless given (None with ``missing``, as a cube
    without drivers gives), met unknown unless given."""
    contributions = contributions or {}
    return {
        "day": day,
        "date": DATES[day],
        "hours": 24,
        "pollutant": "pm25",
        "units": "µg/m³",
        "contributions": None if missing else {f: contributions.get(f, 0.0) for f in FAMILIES},
        "met": {key: met.get(key) for key in MET_KEYS},
    }


def days(*categories: int, station: str = "a") -> list[dict]:
    return [
        {"day": d, "date": DATES[d], "category": c, "aqi": 50 * c, "station": station}
        for d, c in zip(DATES, categories, strict=True)
    ]


CALM_NIGHT = {"night_inversion_hours": 6, "night_inversion_max_k": 3.2, "wind_mean_m_s": 1.2, "rh_mean_pct": 70}


def both(region, drivers) -> tuple[list[str], list[str]]:
    return why_sentences(region, drivers, "vi"), why_sentences(region, drivers, "en")


def test_worsening_under_a_diagnosed_inversion_names_it():
    drivers = {
        "a": [
            entry("D1", {"inversion_stability": 2.0}, wind_mean_m_s=3.5),
            entry("D2", {"inversion_stability": 30.0, "wind_ventilation": 8.0, "humidity": 1.0}, **CALM_NIGHT),
            entry("D3", {"inversion_stability": 30.0}, **CALM_NIGHT),
        ]
    }
    vi, en = both(days(2, 4, 4), drivers)
    assert vi == ["Ngày 26/11 chất lượng không khí xấu đi do nghịch nhiệt mạnh về đêm kèm gió yếu."]
    assert en == ["Air quality worsens on 26/11 because of a strong night-time inversion with weak wind."]


def test_a_weak_inversion_with_moderate_wind_is_not_called_strong():
    drivers = {
        "a": [
            entry("D1"),
            entry(
                "D2",
                {"inversion_stability": 20.0},
                night_inversion_hours=2,
                night_inversion_max_k=0.8,
                wind_mean_m_s=2.6,
            ),
            entry("D3"),
        ]
    }
    assert why_sentences(days(2, 3, 3), drivers, "vi") == [
        "Ngày 26/11 chất lượng không khí xấu đi do nghịch nhiệt về đêm."
    ]


@pytest.mark.parametrize("hours", [0, None])
def test_an_inversion_contribution_without_a_diagnosed_inversion_makes_no_inversion_claim(hours):
    met = {**CALM_NIGHT, "night_inversion_hours": hours, "night_inversion_max_k": None if hours is None else 0.0}
    drivers = {"a": [entry("D1"), entry("D2", {"inversion_stability": 25.0}, **met), entry("D3")]}
    vi, en = both(days(2, 4, 4), drivers)
    assert vi == ["Ngày 26/11 chất lượng không khí xấu đi do điều kiện khí tượng kém thuận lợi cho khuếch tán."]
    assert en == ["Air quality worsens on 26/11 because of weather conditions unfavourable for dispersion."]
    assert "nghịch nhiệt" not in vi[0] and "inversion" not in en[0]


def test_rain_washes_out_particles():
    washout = {"rain": -25.0, "wind_ventilation": -3.0}
    drivers = {
        "a": [entry("D1"), entry("D2", wind_mean_m_s=2.3), entry("D3", washout, rain_total_mm=12.5, wind_mean_m_s=2.5)]
    }
    vi, en = both(days(4, 4, 2), drivers)
    assert vi == ["Ngày 27/11 chất lượng không khí cải thiện nhờ mưa rửa trôi bụi."]
    assert en == ["Air quality improves on 27/11 as rain washes out particles."]


def test_rain_and_wind_together_and_no_rain_claim_under_1_mm():
    contributions = {"rain": -20.0, "wind_ventilation": -10.0}
    wet = {
        "a": [
            entry("D1"),
            entry("D2", wind_mean_m_s=2.0),
            entry("D3", contributions, rain_total_mm=12.0, wind_mean_m_s=4.0),
        ]
    }
    vi, en = both(days(4, 4, 2), wet)
    assert vi == [
        "Ngày 27/11 chất lượng không khí cải thiện nhờ mưa rửa trôi bụi và gió mạnh lên giúp khuếch tán ô nhiễm."
    ]
    assert en == ["Air quality improves on 27/11 as rain washes out particles and stronger wind disperses pollution."]
    drizzle = {
        "a": [
            entry("D1"),
            entry("D2", wind_mean_m_s=2.0),
            entry("D3", contributions, rain_total_mm=0.4, wind_mean_m_s=4.0),
        ]
    }
    vi, en = both(days(4, 4, 2), drizzle)
    assert vi == ["Ngày 27/11 chất lượng không khí cải thiện nhờ gió mạnh lên giúp khuếch tán ô nhiễm."]
    assert en == ["Air quality improves on 27/11 as stronger wind disperses pollution."]
    calm_drizzle = {
        "a": [
            entry("D1"),
            entry("D2", wind_mean_m_s=2.0),
            entry("D3", contributions, rain_total_mm=0.4, wind_mean_m_s=2.1),
        ]
    }
    assert why_sentences(days(4, 4, 2), calm_drizzle, "en") == []  # nothing the diagnostics support


def test_weak_wind_is_said_once():
    drivers = {
        "a": [
            entry("D1"),
            entry(
                "D2", {"inversion_stability": 20.0, "wind_ventilation": 15.0}, **CALM_NIGHT, ventilation_max_m2_s=4000.0
            ),
            entry("D3"),
        ]
    }
    vi, en = both(days(2, 4, 4), drivers)
    assert vi == [
        "Ngày 26/11 chất lượng không khí xấu đi do nghịch nhiệt mạnh về đêm kèm gió yếu "
        "và lớp xáo trộn thấp, khuếch tán kém."
    ]
    assert en == [
        "Air quality worsens on 26/11 because of a strong night-time inversion with weak wind "
        "and a shallow mixing layer with poor ventilation."
    ]
    without_ventilation = {
        "a": [
            entry("D1"),
            entry("D2", {"inversion_stability": 20.0, "wind_ventilation": 15.0}, **CALM_NIGHT),
            entry("D3"),
        ]
    }
    assert why_sentences(days(2, 4, 4), without_ventilation, "en") == [
        "Air quality worsens on 26/11 because of a strong night-time inversion with weak wind."
    ]


def test_the_burning_season_is_named_only_when_burning_rises():
    more = {"emissions_burning": 12.0}
    rising = {
        "a": [
            entry("D1", burning_season=False, burning_intensity=0.0),
            entry("D2", more, burning_season=True, burning_intensity=0.6),
            entry("D3"),
        ]
    }
    assert why_sentences(days(2, 3, 3), rising, "vi") == [
        "Ngày 26/11 chất lượng không khí xấu đi do mùa đốt rơm rạ, phụ phẩm nông nghiệp."
    ]
    steady = {
        "a": [
            entry("D1", burning_season=True, burning_intensity=0.3),
            entry("D2", more, burning_season=True, burning_intensity=0.3),
            entry("D3"),
        ]
    }
    assert why_sentences(days(2, 3, 3), steady, "en") == ["Air quality worsens on 26/11 because of higher emissions."]


def test_two_changes_give_two_sentences_from_the_station_that_makes_each():
    drivers = {
        "a": [
            entry("D1"),
            entry("D2", {"inversion_stability": 30.0}, **CALM_NIGHT),
            entry("D3", {"inversion_stability": 30.0, "rain": -30.0}, rain_total_mm=8.0),
        ],
        "b": [entry("D1"), entry("D2", {"humidity": 30.0}, rh_mean_pct=95), entry("D3")],
    }
    region = days(2, 4, 2)
    assert why_sentences(region, drivers, "en") == [
        "Air quality worsens on 26/11 because of a strong night-time inversion with weak wind.",
        "Air quality improves on 27/11 as rain washes out particles.",
    ]
    region[1]["station"] = "b"  # b is the worst on D2: its drivers explain both changes
    assert why_sentences(region, drivers, "en") == ["Air quality worsens on 26/11 because of high humidity."]


def test_small_or_unnameable_pushes_give_nothing():
    small = {"a": [entry("D1"), entry("D2", {"inversion_stability": 1.5}, **CALM_NIGHT), entry("D3")]}
    assert why_sentences(days(2, 3, 3), small, "vi") == []  # under MIN_PUSH_UG
    calendar = {"a": [entry("D1"), entry("D2", {"calendar_time": 30.0, "humidity": 3.0}, rh_mean_pct=90), entry("D3")]}
    assert why_sentences(days(2, 3, 3), calendar, "vi") == []  # humidity is under a quarter of the push


def test_no_change_gives_nothing_unless_a_large_confirmed_driver_holds_every_day():
    quiet = {"a": [entry(d, {"inversion_stability": 3.0}, **CALM_NIGHT) for d in DATES]}
    assert why_sentences(days(2, 2, 2), quiet, "vi") == []
    assert why_sentences(days(4, 4, 4), quiet, "vi") == []  # too small to be worth a sentence
    held = {"a": [entry(d, {"inversion_stability": v}, **CALM_NIGHT) for d, v in zip(DATES, (15, 18, 20), strict=True)]}
    assert why_sentences(days(2, 2, 2), held, "vi") == []  # good air: nothing to explain
    vi, en = both(days(4, 4, 4), held)
    assert vi == ["Nghịch nhiệt mạnh về đêm kèm gió yếu tiếp tục giữ ô nhiễm ở mức cao trong những ngày tới."]
    assert en == ["A strong night-time inversion with weak wind keeps pollution high over the coming days."]
    unconfirmed = {"a": [entry(d, {"inversion_stability": 20.0}, night_inversion_hours=0) for d in DATES]}
    assert why_sentences(days(4, 4, 4), unconfirmed, "en") == []  # neutral phrases are not enough here


@pytest.mark.parametrize(
    "drivers",
    [None, {}, {"a": []}, {"a": [entry(d, missing=True) for d in DATES]}, {"a": [{"day": "D1"}, {"day": "D2"}]}],
)
def test_missing_drivers_give_no_sentence(drivers):
    assert why_sentences(days(2, 4, 2), drivers, "vi") == []
    assert why_sentences(days(4, 4, 4), drivers, "en") == []
    assert why_sentences([], drivers, "en") == []


def test_without_the_worst_station_the_region_mean_is_used():
    drivers = {
        sid: [entry("D1"), entry("D2", rain_total_mm=0.0), entry("D3", {"rain": rain}, rain_total_mm=total)]
        for sid, rain, total in (("a", -30.0, 9.0), ("b", -10.0, 3.0))
    }
    region = days(4, 4, 2, station="not-in-the-drivers")
    assert why_sentences(region, drivers, "en") == ["Air quality improves on 27/11 as rain washes out particles."]


def test_region_days_and_region_why_from_forecast_document_stations():
    def station(sid: str, aqis: list[int], drivers: list[dict] | None) -> dict:
        daily = [
            {"day": d, "date": DATES[d], "aqi": a, "category": 1 + (a > 50) + (a > 100) + (a > 150)}
            for d, a in zip(DATES, aqis, strict=True)
        ]
        return {"id": sid, "daily": daily, **({"drivers": drivers} if drivers is not None else {})}

    a_drivers = [entry("D1"), entry("D2", {"inversion_stability": 30.0}, **CALM_NIGHT), entry("D3")]
    stations = [station("a", [60, 160, 155], a_drivers), station("b", [80, 90, 170], None)]
    assert region_days(stations) == [
        {"day": "D1", "date": "2026-11-25", "aqi": 80, "category": 2, "station": "b"},
        {"day": "D2", "date": "2026-11-26", "aqi": 160, "category": 4, "station": "a"},
        {"day": "D3", "date": "2026-11-27", "aqi": 170, "category": 4, "station": "b"},
    ]
    assert region_why(stations) == {
        "vi": ["Ngày 26/11 chất lượng không khí xấu đi do nghịch nhiệt mạnh về đêm kèm gió yếu."],
        "en": ["Air quality worsens on 26/11 because of a strong night-time inversion with weak wind."],
    }
    old_run = [station("a", [60, 160, 155], None)]
    assert region_why(old_run) == {"vi": [], "en": []}


def test_every_phrase_has_both_languages_and_frames_keep_their_fields():
    for key, text in PHRASES.items():
        assert set(text) == {"vi", "en"} and all(text.values()), key
        assert sorted(re.findall(r"{(\w+)}", text["vi"])) == sorted(re.findall(r"{(\w+)}", text["en"])), key
    variants_up = {key.split(".")[2] for key in PHRASES if ".up." in key}
    assert PERSISTENT_VARIANTS <= variants_up
    for key in PHRASES:
        if not key.startswith(("frame.", "join")):
            assert key.split(".")[0] in FAMILIES, key
    with pytest.raises(ValueError, match="lang"):
        why_sentences(days(2, 4, 4), {}, "fr")
