"""Vietnamese calendar for emissions: Tết and Hung Kings' dates verified, holiday flags, burning season.

The lunar-date table is checked three independent ways: a lunar calendar computed here from new-moon
times (Meeus, Astronomical Algorithms, 2nd ed., ch. 49) and the solar longitude (ch. 25) with the
Vietnamese rules (UTC+7; Hồ Ngọc Đức, calrules_en.html); the ``lunardate`` package (Chinese calendar,
UTC+8) where the two calendars agree; and the Tết rows of the holiday file.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs import CONFIG_DIR
from configs.emissions import load_emission_config
from met_inputs.emissions.profiles import TemporalModel, temporal_factors
from met_inputs.emissions.vn_calendar import read_holidays, read_lunar_dates

LUNAR_TABLE = CONFIG_DIR / "emission_profiles" / "vn_lunar_dates.csv"
HOLIDAYS = CONFIG_DIR / "emission_profiles" / "vn_holidays.csv"

# --- an independent Vietnamese lunar calendar -----------------------------------------------------
DEG = math.pi / 180
DELTA_T = 69.2 / 86400  # TT − UT, 2010-2030 [days]
JD_UNIX = 2440587.5


def _new_moon_jde(k: int) -> float:
    """Julian ephemeris day of mean-lunation ``k`` new moon (k = 0: 2000-01-06), Meeus ch. 49."""
    t = k / 1236.85
    jde = 2451550.09766 + 29.530588861 * k + 0.00015437 * t**2 - 0.00000015 * t**3 + 0.00000000073 * t**4
    e = 1 - 0.002516 * t - 0.0000074 * t**2
    m = (2.5534 + 29.1053567 * k - 0.0000014 * t**2 - 0.00000011 * t**3) * DEG
    mp = (201.5643 + 385.81693528 * k + 0.0107582 * t**2 + 0.00001238 * t**3 - 0.000000058 * t**4) * DEG
    f = (160.7108 + 390.67050284 * k - 0.0016118 * t**2 - 0.00000227 * t**3 + 0.000000011 * t**4) * DEG
    om = (124.7746 - 1.56375588 * k + 0.0020672 * t**2 + 0.00000215 * t**3) * DEG
    s = math.sin
    jde += (
        -0.4072 * s(mp)
        + 0.17241 * e * s(m)
        + 0.01608 * s(2 * mp)
        + 0.01039 * s(2 * f)
        + 0.00739 * e * s(mp - m)
        - 0.00514 * e * s(mp + m)
        + 0.00208 * e * e * s(2 * m)
        - 0.00111 * s(mp - 2 * f)
        - 0.00057 * s(mp + 2 * f)
        + 0.00056 * e * s(2 * mp + m)
        - 0.00042 * s(3 * mp)
        + 0.00042 * e * s(m + 2 * f)
        + 0.00038 * e * s(m - 2 * f)
        - 0.00024 * e * s(2 * mp - m)
        - 0.00017 * s(om)
        - 0.00007 * s(mp + 2 * m)
        + 0.00004 * s(2 * mp - 2 * f)
        + 0.00004 * s(3 * m)
        + 0.00003 * s(mp + m - 2 * f)
        + 0.00003 * s(2 * mp + 2 * f)
        - 0.00003 * s(mp + m + 2 * f)
        + 0.00003 * s(mp - m + 2 * f)
        - 0.00002 * s(mp - m - 2 * f)
        - 0.00002 * s(3 * mp + m)
        + 0.00002 * s(4 * mp)
    )
    planetary = (
        (299.77 + 0.107408 * k - 0.009173 * t**2, 325),
        (251.88 + 0.016321 * k, 165),
        (251.83 + 26.651886 * k, 164),
        (349.42 + 36.412478 * k, 126),
        (84.66 + 18.206239 * k, 110),
        (141.74 + 53.303771 * k, 62),
        (207.14 + 2.453732 * k, 60),
        (154.84 + 7.30686 * k, 56),
        (34.52 + 27.261239 * k, 47),
        (207.19 + 0.121824 * k, 42),
        (291.34 + 1.844379 * k, 40),
        (161.72 + 24.198154 * k, 37),
        (239.56 + 25.513099 * k, 35),
        (331.55 + 3.592518 * k, 23),
    )
    return jde + sum(c * 1e-6 * s(a * DEG) for a, c in planetary)


def _sun_longitude(jd_ut: float) -> float:
    """Apparent solar longitude [degrees], Meeus ch. 25 (±0.01°)."""
    t = (jd_ut + DELTA_T - 2451545.0) / 36525
    m = (357.52911 + 35999.05029 * t - 0.0001537 * t**2) * DEG
    c = (1.914602 - 0.004817 * t - 0.000014 * t**2) * math.sin(m) + (0.019993 - 0.000101 * t) * math.sin(2 * m)
    c += 0.000289 * math.sin(3 * m)
    true = 280.46646 + 36000.76983 * t + 0.0003032 * t**2 + c
    return (true - 0.00569 - 0.00478 * math.sin((125.04 - 1934.136 * t) * DEG)) % 360


def _local_date(jd_ut: float, tz_h: float) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=math.floor(jd_ut - JD_UNIX + tz_h / 24))


def _midnight_jd(day: dt.date, tz_h: float) -> float:
    return (day - dt.date(1970, 1, 1)).days + JD_UNIX - tz_h / 24


def _new_moon_day(k: int, tz_h: float) -> dt.date:
    return _local_date(_new_moon_jde(k) - DELTA_T, tz_h)


def _month11(year: int, tz_h: float) -> int:
    """Lunation starting month 11: the one holding the winter solstice (local day)."""
    lo = _midnight_jd(dt.date(year, 12, 15), 0)
    hi = lo + 14
    for _ in range(60):  # solar longitude 270°
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if (_sun_longitude(mid) - 270) % 360 < 180 else (mid, hi)
    solstice = _local_date(lo, tz_h)
    k = round((_midnight_jd(solstice, 0) - 2451550.09766) / 29.530588861) + 1
    while _new_moon_day(k, tz_h) > solstice:
        k -= 1
    return k


def _has_major_term(k: int, tz_h: float) -> bool:
    a = _sun_longitude(_midnight_jd(_new_moon_day(k, tz_h), tz_h))
    b = _sun_longitude(_midnight_jd(_new_moon_day(k + 1, tz_h), tz_h))
    return math.floor(a / 30) != math.floor(b / 30) or b < a


def lunar_to_solar(year: int, month: int, day: int, tz_h: float = 7.0) -> dt.date:
    """Gregorian date of a (non-leap) lunar date of lunar year ``year``."""
    a, b = _month11(year - 1, tz_h), _month11(year, tz_h)
    leap = next(i for i in range(1, 13) if not _has_major_term(a + i, tz_h)) if b - a == 13 else None
    number = 11
    for i in range(b - a):
        if i and i != leap:
            number = number % 12 + 1
        if number == month and i != leap and i > 0:
            return _new_moon_day(a + i, tz_h) + dt.timedelta(days=day - 1)
    raise ValueError(f"no lunar month {month} in {year}")


# --- the table ------------------------------------------------------------------------------------
def test_reference_calendar_reproduces_known_new_moons():
    # New moons 2024-02-09 22:59 UTC and 2023-01-21 20:53 UTC (published almanac times), within 3 min.
    k = round((_midnight_jd(dt.date(2024, 2, 9), 0) - 2451550.09766) / 29.530588861)
    when = dt.datetime(1970, 1, 1) + dt.timedelta(days=_new_moon_jde(k) - DELTA_T - JD_UNIX)
    assert abs(when - dt.datetime(2024, 2, 9, 22, 59)) < dt.timedelta(minutes=3)
    k = round((_midnight_jd(dt.date(2023, 1, 21), 0) - 2451550.09766) / 29.530588861)
    when = dt.datetime(1970, 1, 1) + dt.timedelta(days=_new_moon_jde(k) - DELTA_T - JD_UNIX)
    assert abs(when - dt.datetime(2023, 1, 21, 20, 53)) < dt.timedelta(minutes=3)


def test_lunar_table_covers_2010_to_2030_and_matches_the_vietnamese_calendar():
    table = read_lunar_dates(LUNAR_TABLE)
    assert list(table.index) == list(range(2010, 2031))
    for year, row in table.iterrows():
        assert row["tet"].date() == lunar_to_solar(year, 1, 1), year
        assert row["hung_kings"].date() == lunar_to_solar(year, 3, 10), year


@pytest.mark.parametrize(
    "year, tet",
    [
        (2016, "2016-02-08"),
        (2017, "2017-01-28"),
        (2018, "2018-02-16"),
        (2023, "2023-01-22"),
        (2024, "2024-02-10"),
        (2025, "2025-01-29"),
    ],
)
def test_tet_dates_of_known_years(year, tet):
    assert read_lunar_dates(LUNAR_TABLE).at[year, "tet"] == pd.Timestamp(tet)
    assert lunar_to_solar(year, 1, 1) == dt.date.fromisoformat(tet)


def test_lunar_table_agrees_with_lunardate_except_where_utc7_and_utc8_differ():
    lunardate = pytest.importorskip("lunardate")
    table = read_lunar_dates(LUNAR_TABLE)
    differ = []
    for year, row in table.iterrows():
        for column, (month, day) in (("tet", (1, 1)), ("hung_kings", (3, 10))):
            chinese = lunardate.LunarDate(year, month, day)
            chinese = (getattr(chinese, "to_solar_date", None) or chinese.toSolarDate)()
            # our reference at UTC+8 must reproduce the Chinese calendar exactly
            assert lunar_to_solar(year, month, day, tz_h=8.0) == chinese, (year, column)
            if row[column].date() != chinese:
                differ.append((year, column, row[column].date(), chinese))
    # the new moon of 2 February 2030 is at ~16:07 UTC: 23:07 in Hanoi, 00:07 on the 3rd in Beijing
    assert differ == [(2030, "tet", dt.date(2030, 2, 2), dt.date(2030, 2, 3))]


def test_holiday_file_tet_and_hung_kings_rows_match_the_lunar_table():
    holidays = read_holidays(HOLIDAYS)
    table = read_lunar_dates(LUNAR_TABLE)
    tet_day1 = holidays[holidays["name"].str.contains("Lunar New Year")]
    assert [d.year for d in tet_day1["date"]] == [2023, 2024, 2025, 2026, 2027]
    for day in tet_day1["date"]:
        assert table.at[day.year, "tet"] == day
    hung = holidays[holidays["name"].str.startswith("Hung Kings")]
    assert len(hung) == 5
    for day in hung["date"]:
        assert table.at[day.year, "hung_kings"] == day


@pytest.mark.realdata
def test_upstream_holiday_file_differs_only_by_the_corrected_2026_hung_kings_row(shared_data: Path):
    upstream = read_holidays(shared_data / "vn_stations" / "vn_holidays.csv")
    ours = read_holidays(HOLIDAYS)
    changed = set(upstream["date"]) ^ set(ours["date"])
    assert changed == {pd.Timestamp("2026-03-28"), pd.Timestamp("2026-04-26")}


# --- flags and factors ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model() -> TemporalModel:
    return TemporalModel.from_config()


def _local_day_flags(model: TemporalModel, days: list[str]) -> pd.DataFrame:
    return model.calendar.day_flags(pd.DatetimeIndex(days))


def test_holiday_flags_from_the_file(model):
    flags = _local_day_flags(
        model, ["2024-02-08", "2024-02-14", "2024-02-15", "2024-04-30", "2024-05-02", "2025-09-01", "2023-01-21"]
    )
    assert flags["is_tet"].tolist() == [True, True, False, False, False, False, True]
    assert flags["is_holiday"].tolist() == [True, True, False, True, False, True, True]
    eve = _local_day_flags(model, ["2024-02-09", "2024-02-10"])
    assert eve["is_tet_eve"].tolist() == [True, False] and eve["is_tet_day1"].tolist() == [False, True]


def test_years_outside_the_file_use_the_lunar_table_and_fixed_dates(model):
    flags = _local_day_flags(
        model,
        [
            "2018-02-13",
            "2018-02-14",
            "2018-02-20",
            "2018-02-21",
            "2018-04-25",
            "2018-09-02",
            "2018-09-03",
            "2018-01-01",
        ],
    )
    # Tết 2018-02-16: block 02-14 .. 02-20 (2 days before, 4 after)
    assert flags["is_tet"].tolist() == [False, True, True, False, False, False, False, False]
    assert flags["is_holiday"].tolist() == [False, True, True, False, True, True, False, True]


def test_holidays_follow_the_local_day_of_the_station():
    # 2024-04-30 17:00 UTC stamp covers 16-17 UTC = 23-24 local on 30 April (holiday); 18:00 UTC is 1 May
    times = pd.DatetimeIndex(["2024-04-30 17:00", "2024-04-30 18:00", "2024-05-01 17:00", "2024-05-01 18:00"], tz="UTC")
    from met_inputs.emissions.vn_calendar import local_interval_start

    local = local_interval_start(times, "Asia/Ho_Chi_Minh")
    assert [t.strftime("%m-%d %H") for t in local] == ["04-30 23", "05-01 00", "05-01 23", "05-02 00"]


def test_other_holidays_give_traffic_its_sunday_pattern(model):
    # Wednesday 2024-05-01 (Labour Day) against Wednesday 2024-05-08 and Sunday 2024-05-05, 08 local
    times = pd.DatetimeIndex(["2024-05-01 01:00", "2024-05-08 01:00", "2024-05-05 01:00"], tz="UTC")
    f = temporal_factors(times, "Asia/Ho_Chi_Minh", ["F_RoadTransport", "C_OtherStationaryComb"], model)
    traffic = f.sel(sector="F_RoadTransport").values
    assert traffic[0] == pytest.approx(traffic[2])
    assert traffic[1] / traffic[0] == pytest.approx(1.08 / 0.79)  # TNO F Wednesday / Sunday
    residential = f.sel(sector="C_OtherStationaryComb").values
    assert residential[0] == pytest.approx(residential[1])  # not in like_sunday_sectors


def test_tet_block_lowers_traffic_and_the_eve_spikes_incense_and_fireworks(model):
    # Tuesday 2024-02-13 (Tết block) vs Tuesday 2024-02-20, same local hour
    times = pd.DatetimeIndex(["2024-02-13 03:00", "2024-02-20 03:00"], tz="UTC")
    f = temporal_factors(times, "Asia/Ho_Chi_Minh", ["F_RoadTransport", "F1", "B_Industry", "H_Aviation"], model)
    assert f.sel(sector="F_RoadTransport").values[0] / f.sel(sector="F_RoadTransport").values[1] == pytest.approx(0.5)
    assert f.sel(sector="F1").values[0] / f.sel(sector="F1").values[1] == pytest.approx(0.5)  # falls back to F
    assert f.sel(sector="B_Industry").values[0] / f.sel(sector="B_Industry").values[1] == pytest.approx(0.4)
    assert f.sel(sector="H_Aviation").values[0] == pytest.approx(f.sel(sector="H_Aviation").values[1])
    # eve 2024-02-09: the hour 22-23 local (stamp 16:00 UTC) is in the spike, 21-22 local is not
    eve = pd.DatetimeIndex(["2024-02-09 15:00", "2024-02-09 16:00", "2024-02-09 19:00", "2024-02-09 20:00"], tz="UTC")
    e = temporal_factors(eve, "Asia/Ho_Chi_Minh", ["E_Solvents"], model).values[0]
    hour = model.profiles.hour[model.profiles.row("E_Solvents"), 0]
    # interval starts 21, 22 local on the eve (Friday); 01, 02 local on Tết day 1 (Saturday; spike ends
    # at 02:00). Both days are in the Tết block (same × 0.5); TNO E: Friday 1.2, Saturday 0.5.
    raw = np.array([hour[21] * 1.2, hour[22] * 5 * 1.2, hour[1] * 5 * 0.5, hour[2] * 0.5])
    assert e / e[0] == pytest.approx(raw / raw[0])


def test_burning_season_months_and_a_province_outside_the_region():
    config = load_emission_config()
    burning = config.open_burning
    assert sorted(m for m, v in burning.monthly_intensity.items() if v > 0) == [1, 2, 3, 4, 9, 10, 11, 12]
    assert burning.in_region("Hà Nội", 21.02, 105.82)
    assert burning.in_region("Ha Noi", None, None) and burning.in_region("TP. Hải Phòng", None, None)
    assert not burning.in_region("TP. Hồ Chí Minh", 10.78, 106.70)
    assert not burning.in_region("Cần Thơ", 10.03, 105.78)
    model = TemporalModel.from_config(config)
    assert model.burning_intensity(np.array([6, 10, 1])).tolist() == [0.0, 1.0, 0.3]


def test_burning_region_shifts_agricultural_emission_into_the_season(model):
    year = pd.date_range("2024-01-01 01:00", "2025-01-01 00:00", freq="h", tz="Asia/Ho_Chi_Minh").tz_convert("UTC")
    inside = temporal_factors(year, "Asia/Ho_Chi_Minh", ["L_AgriOther"], model, in_burning_region=True)
    outside = temporal_factors(year, "Asia/Ho_Chi_Minh", ["L_AgriOther"], model, in_burning_region=False)
    month = (year - pd.Timedelta(hours=1)).tz_convert("Asia/Ho_Chi_Minh").month
    oct_in, oct_out = inside.values[0][month == 10].mean(), outside.values[0][month == 10].mean()
    assert oct_out == 0.0 and oct_in > 1.0  # TNO L has no October emission; burning peaks in October
    assert inside.values.mean() == pytest.approx(1.0) and outside.values.mean() == pytest.approx(1.0)
