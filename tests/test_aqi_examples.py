"""Every worked example and edge case of VN_AQI.md §8 (Decision 1459/QĐ-TCMT), to the stated digits.

Inputs go through the public xarray API (``hourly_aqi`` / ``daily_aqi``); sub-index and NowCast
values are also checked directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from vn_aqi_table2 import INDEX_LEVELS, TABLE_2

from configs.schema import STATION, TIME
from forecast.aqi import (
    BREAKPOINTS,
    category_by_index,
    category_of,
    combine_sub_indices,
    daily_aqi,
    hourly_aqi,
    nowcast,
    nowcast_details,
    round_half_up,
    sub_index,
)

TZ = "Asia/Ho_Chi_Minh"
NAN = np.nan


def station_series(series: dict[str, list[float]], first_local: str, tz: str = TZ) -> xr.Dataset:
    """One station, hourly from ``first_local`` (local, hour-ending) to UTC; lists are in time order."""
    n_hours = len(next(iter(series.values())))
    local = pd.date_range(first_local, periods=n_hours, freq="h", tz=tz)
    times = local.tz_convert("UTC").tz_localize(None).values
    data = {p: ((STATION, TIME), np.asarray([v], dtype=float)) for p, v in series.items()}
    return xr.Dataset(data, coords={STATION: ["vn-test"], TIME: times})


def at_last_hour(value: float, n_hours: int = 12) -> list[float]:
    return [NAN] * (n_hours - 1) + [value]


def local_day(result: xr.Dataset, date: str) -> xr.Dataset:
    return result.sel({STATION: "vn-test", "date": np.datetime64(date)})


# --- §1 Table 2 ----------------------------------------------------------------------------------


def test_breakpoint_rows_are_table_2_of_the_decision() -> None:
    expected = TABLE_2
    assert set(BREAKPOINTS) == set(expected)
    for key, concentrations in expected.items():
        row = BREAKPOINTS[key]
        np.testing.assert_array_equal(row.concentration, concentrations)
        np.testing.assert_array_equal(row.index, INDEX_LEVELS[: len(concentrations)])
        assert not row.concentration.flags.writeable


@pytest.mark.parametrize("key", list(BREAKPOINTS))
def test_every_breakpoint_gives_its_index_exactly(key: tuple[str, str]) -> None:
    row = BREAKPOINTS[key]
    np.testing.assert_array_equal(sub_index(row.concentration, *key), row.index)


# --- E1: the decision's own sample ---------------------------------------------------------------

E1_PM25 = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6]  # 09:00 … 20:00


def test_e1_nowcast_uses_exact_weight() -> None:
    details = nowcast_details(E1_PM25)
    assert details.weight[-1] == pytest.approx(16.5 / 26.9, abs=1e-15)
    assert round(float(details.weight[-1]), 4) == 0.6134
    assert round(float(details.value[-1]), 4) == 20.2658
    rounded_w = sum(0.61**k * c for k, c in enumerate(E1_PM25[::-1])) / sum(0.61**k for k in range(12))
    assert round(rounded_w, 4) == 20.2692  # what w = 0.61 would give (§9.2): not what we compute
    assert round(float(details.value[-1]), 1) == 20.3  # the decision's printed NowCast


def test_e1_hourly_sub_indices_of_the_decision() -> None:
    assert round(float(sub_index(136.1, "o3")), 2) == 42.53
    assert round(float(sub_index(118.7, "no2")), 2) == 59.35
    assert round(float(sub_index(20.3, "pm25")), 2) == 40.6
    assert round_half_up([42.53125, 59.35, 40.6]).tolist() == [43, 59, 41]


def test_e1_hourly_aqi_is_59_strictly() -> None:
    obs = station_series(
        {"pm25": E1_PM25, "o3": at_last_hour(136.1), "no2": at_last_hour(118.7)}, "2026-01-05T09:00"
    )
    last = hourly_aqi(obs).isel({TIME: -1}).sel({STATION: "vn-test"})
    assert float(last["nowcast_pm25"]) == pytest.approx(20.2658, abs=5e-5)
    assert float(last["aqi_pm25"]) == pytest.approx(40.53, abs=5e-3)
    assert float(last["aqi_o3"]) == pytest.approx(42.53125)
    assert float(last["aqi_no2"]) == pytest.approx(59.35)
    assert float(last["aqi"]) == 59  # the decision prints 60, a misprint (§9.3)
    assert int(last["category"]) == 2 and category_by_index(2).name_vi == "Trung bình"
    assert str(last["dominant_pollutant"].item()) == "no2"


def e1_daily_obs() -> xr.Dataset:
    """A day whose aggregates are the decision's: O3 8h max 89.3, 1h max 114.6, NO2 130.8, PM2.5 55.7."""
    o3 = [10.0] * 31
    o3[15:23] = [114.6, 89.3, 89.3, 89.3, 89.3, 89.3, 89.3, 64.0]  # the only 8-h window averaging 89.3
    no2 = [NAN] * 7 + [50.0] * 24
    no2[20] = 130.8
    return station_series({"pm25": [NAN] * 7 + [55.7] * 24, "no2": no2, "o3": o3}, "2026-01-04T18:00")


def test_e1_daily_aqi_is_110() -> None:
    day = local_day(daily_aqi(e1_daily_obs()), "2026-01-05")
    assert float(day["conc_o3_8h_max"]) == pytest.approx(89.3, abs=1e-12)
    assert float(day["conc_o3_1h_max"]) == 114.6
    assert float(day["aqi_o3_8h"]) == pytest.approx(44.65)
    assert float(day["aqi_o3_1h"]) == pytest.approx(35.8125)
    assert float(day["aqi_o3"]) == pytest.approx(44.65)  # max of the two sub-indices (§9.4)
    assert float(day["aqi_no2"]) == pytest.approx(65.4)
    assert float(day["aqi_pm25"]) == pytest.approx(109.5, abs=1e-9)
    assert round_half_up([44.65, 35.8125, 65.4, 109.5]).tolist() == [45, 36, 65, 110]
    assert float(day["aqi"]) == 110
    assert int(day["category"]) == 3 and str(day["dominant_pollutant"].item()) == "pm25"


# The decision's 31-hour O3 series (18:00 … 00:00 of the next-but-one stamp), from the signed PDF as
# transcribed in [S2] qnguyenle075/hcmc-air-quality data/processed/qd_1459_vn_aqi.md §2.2.2a.
E1_O3_31H = [15.7, 14.2, 17.7, 18.9, 19.3, 15.7, 19.7, 22.6, 27.1, 29.0, 31.9, 25.3, 34.7, 35.2, 41.6,
             45.7, 49.2, 55.8, 69.6, 78.3, 91.5, 97.7, 81.2, 71.8, 43.5, 34.3, 21.5, 20.5, 19.4, 20.4,
             21.3]  # fmt: skip
E1_O3_8H_PRINTED = [18.0, 19.4, 21.2, 23.0, 23.8, 25.8, 28.2, 30.9, 33.8, 36.6, 39.9, 44.7, 51.3, 58.4,
                    66.2, 71.1, 74.4, 73.7, 71.0, 65.0, 57.8, 48.7, 39.1, 31.6]  # fmt: skip


def test_e1_o3_series_reproduces_the_decisions_8h_table() -> None:
    means = np.convolve(E1_O3_31H, np.ones(8) / 8, mode="valid")  # windows ending 01:00 … 00:00
    assert means.size == 24
    slips = np.flatnonzero(np.round(means, 1) != np.array(E1_O3_8H_PRINTED))
    assert slips.tolist() == [11]  # 12:00 is printed 44.7 but computes to 44.64 (§9.7)
    assert means[11] == pytest.approx(44.6375)
    assert int(np.argmax(means)) == 16  # 17:00


def test_e1_daily_o3_8h_max_of_the_decision_through_the_engine() -> None:
    obs = station_series({"o3": E1_O3_31H}, "2026-01-04T18:00")
    day = local_day(daily_aqi(obs), "2026-01-05")
    assert float(day["conc_o3_8h_max"]) == pytest.approx(74.3875, abs=1e-12)
    assert round(float(day["conc_o3_8h_max"]), 1) == 74.4
    assert float(day["conc_o3_1h_max"]) == 97.7
    assert float(day["aqi_o3"]) == pytest.approx(74.3875 / 2)
    assert np.isnan(float(day["aqi"]))  # no PM, no VN_AQI (§5)


# --- E2: hourly, w clamped, one hour missing -----------------------------------------------------

E2_PM25_C1_FIRST = [95, 80, NAN, 60, 52, 45, 40, 38, 35, 30, 28, 25]
E2_PM10_C1_FIRST = [150, 140, 130, 120, 125, 118, 110, 105, 100, 104, 98, 96]


def test_e2_nowcast_with_clamped_weight_and_a_gap() -> None:
    details = nowcast_details(E2_PM25_C1_FIRST[::-1])
    assert round(25 / 95, 3) == 0.263
    assert float(details.weight[-1]) == 0.5
    assert round(float(details.denominator[-1]), 6) == 1.749512
    assert round(float(details.value[-1]), 4) == 84.7739
    literal = sum(0.5**i * c for i, c in enumerate(E2_PM25_C1_FIRST, start=1) if not np.isnan(c))
    assert round(literal, 4) == 74.1565 and round_half_up(sub_index(literal, "pm25")) == 140
    pm10 = nowcast_details(E2_PM10_C1_FIRST[::-1])
    assert round(float(pm10.weight[-1]), 2) == 0.64
    assert round(float(pm10.value[-1]), 4) == 136.2375


def test_e2_hourly_aqi_is_153_from_pm25() -> None:
    series = {
        "pm25": E2_PM25_C1_FIRST[::-1],
        "pm10": E2_PM10_C1_FIRST[::-1],
        "no2": at_last_hour(250),
        "o3": at_last_hour(180),
        "co": at_last_hour(12000),
        "so2": at_last_hour(40),
    }
    last = hourly_aqi(station_series(series, "2026-01-05T01:00")).isel({TIME: -1}).sel({STATION: "vn-test"})
    assert round(float(last["nowcast_pm25"]), 4) == 84.7739
    assert round(float(last["nowcast_pm10"]), 4) == 136.2375
    expected = {"pm25": 153.41, "pm10": 93.12, "no2": 105, "o3": 75, "co": 55, "so2": 16}
    for pollutant, value in expected.items():
        assert round(float(last[f"aqi_{pollutant}"]), 2) == value
    assert float(last["aqi"]) == 153
    assert int(last["category"]) == 4 and category_by_index(4).name_vi == "Xấu"
    assert str(last["dominant_pollutant"].item()) == "pm25"


# --- E3: daily -----------------------------------------------------------------------------------

E3_DAY = {  # hours 01:00 … 00:00
    "pm25": [30, 32, 35, 38, 40, 45, 55, 70, 85, 90, 80, 70, 60, 55, 50, 48, 50, 58, 72, 88, 95, 80, 60, 45],
    "pm10": [60, 62, 66, 70, 75, 80, 95, 120, 140, 150, 135, 120, 105, 98, 92, 90, 92, 100, 125, 145, 160,
             140, 110, 85],
    "no2": [40, 38, 35, 33, 35, 50, 80, 120, 160, 175, 150, 120, 100, 90, 85, 88, 95, 130, 185, 210, 190,
            150, 100, 70],
    "o3": [15, 14, 13, 12, 12, 14, 20, 30, 45, 60, 80, 100, 120, 140, 155, 165, 150, 120, 90, 60, 40, 30,
           25, 20],
    "co": [800, 750, 700, 700, 750, 900, 1500, 2500, 3200, 3000, 2500, 2000, 1800, 1700, 1600, 1700, 1900,
           2400, 3100, 3300, 3300, 2600, 1800, 1200],
    "so2": [10] * 24,
}  # fmt: skip
E3_O3_PREVIOUS_EVENING = [30, 28, 25, 22, 20, 18, 17]  # 18:00 … 00:00


def e3_obs() -> xr.Dataset:
    series = {p: [NAN] * 7 + v for p, v in E3_DAY.items()}
    series["o3"] = E3_O3_PREVIOUS_EVENING + E3_DAY["o3"]
    return station_series(series, "2026-01-04T18:00")


@pytest.mark.parametrize("fraction", [0.75, 0.0, 1.0])
def test_e3_daily_aqi_is_116_with_every_sub_index(fraction: float) -> None:
    day = local_day(daily_aqi(e3_obs(), tz=TZ, min_hours_fraction=fraction), "2026-01-05")
    assert float(day["conc_pm25"]) == 59.625 and round(float(day["aqi_pm25"]), 2) == 116.04
    assert round(float(day["conc_pm10"]), 2) == 104.79 and round(float(day["aqi_pm10"]), 2) == 77.40
    assert float(day["conc_no2"]) == 210 and float(day["aqi_no2"]) == pytest.approx(101)
    assert float(day["conc_o3_1h_max"]) == 165 and float(day["aqi_o3_1h"]) == pytest.approx(56.25)
    assert float(day["conc_o3_8h_max"]) == pytest.approx(130.0) and float(day["aqi_o3_8h"]) == pytest.approx(
        110
    )
    assert float(day["aqi_o3"]) == pytest.approx(110)
    assert float(day["conc_co"]) == 3300 and float(day["aqi_co"]) == pytest.approx(16.5)
    assert round_half_up(day["aqi_co"].values) == 17 and round(16.5) == 16  # not banker's rounding
    assert float(day["conc_so2"]) == 10 and float(day["aqi_so2"]) == pytest.approx(4)
    assert float(day["aqi"]) == 116
    assert int(day["category"]) == 3 and category_by_index(3).name_vi == "Kém"
    assert str(day["dominant_pollutant"].item()) == "pm25"
    assert int(day["n_hours_pm25"]) == 24 and int(day["n_hours_o3"]) == 24


def test_e3_the_day_is_cut_at_local_hours_01_to_00() -> None:
    result = daily_aqi(e3_obs())
    np.testing.assert_array_equal(
        result["date"].values, np.array(["2026-01-04", "2026-01-05"], "datetime64[ns]")
    )
    previous = local_day(result, "2026-01-04")
    assert int(previous["n_hours_o3"]) == 7 and np.isnan(float(previous["aqi"]))  # 7 of 24 hours: incomplete


# --- E4: edge cases ------------------------------------------------------------------------------

E4_CASES = [  # pollutant, averaging, concentration, unrounded sub-index (2 dp), rounded
    ("pm25", "1h", 25.0, 50.0, 50),
    ("pm25", "1h", 25.2, 50.4, 50),
    ("pm25", "1h", 25.3, 50.6, 51),
    ("pm25", "1h", 420.0, 446.67, 447),
    ("pm25", "1h", 500.0, 500.0, 500),
    ("pm25", "1h", 620.0, 500.0, 500),
    ("pm10", "1h", 435.0, 318.75, 319),
    ("pm10", "1h", 650.0, 500.0, 500),
    ("co", "1h", 35000.0, 116.67, 117),
    ("o3", "1h", 1100.0, 450.0, 450),
    ("o3", "1h", 480.0, 220.0, 220),
    ("o3", "8h", 300.0, 247.37, 247),
    ("o3", "8h", 400.0, 300.0, 300),
    ("so2", "1h", 2630.0, 500.0, 500),
    ("no2", "1h", 3850.0, 500.0, 500),
]


@pytest.mark.parametrize(("pollutant", "averaging", "conc", "unrounded", "rounded"), E4_CASES)
def test_e4_sub_index_edge_cases(
    pollutant: str, averaging: str, conc: float, unrounded: float, rounded: int
) -> None:
    value = sub_index(conc, pollutant, averaging)
    assert round(float(value), 2) == unrounded
    assert round_half_up(value) == rounded


def test_e4_pm25_categories_at_the_first_breakpoint() -> None:
    assert category_of(sub_index([25.0, 25.2, 25.3], "pm25")).tolist() == [1, 1, 2]
    assert [category_by_index(i).name_vi for i in (1, 2)] == ["Tốt", "Trung bình"]


@pytest.mark.parametrize(("pollutant", "averaging", "conc", "unrounded", "rounded"), E4_CASES)
def test_e4_edge_cases_through_the_engine(
    pollutant: str, averaging: str, conc: float, unrounded: float, rounded: int
) -> None:
    """Constant series: hourly (NowCast = the value) or daily (mean / max / 8-h mean = the value)."""
    if averaging == "8h":
        return  # covered by test_e4_o3_8h_edge_cases_through_daily_aqi
    series = {pollutant: [conc] * 31}
    if pollutant not in ("pm25", "pm10"):
        series["pm25"] = [1.0] * 31  # a PM sub-index must exist for an AQI
    obs = station_series(series, "2026-01-04T18:00")
    hourly = hourly_aqi(obs).isel({TIME: -1}).sel({STATION: "vn-test"})
    daily = local_day(daily_aqi(obs), "2026-01-05")
    if pollutant == "o3":  # daily O3 also takes the 8-h row: both rows apply to a constant series
        return
    for result in (hourly, daily):
        assert round(float(result[f"aqi_{pollutant}"]), 2) == unrounded
        assert float(result["aqi"]) == rounded
        assert str(result["dominant_pollutant"].item()) == pollutant


@pytest.mark.parametrize(
    ("o3_window", "aqi_o3", "aqi_o3_8h", "max_8h"),
    [
        ([300.0] * 8, 247.37, 247.37, 300.0),
        ([400.0] * 8, 300.0, 300.0, 400.0),
        ([480.0] + [420.0] * 6 + [360.0], 220.0, NAN, 420.0),  # 8-h max 420 > 400: only the 1-h max 480
    ],
)
def test_e4_o3_8h_edge_cases_through_daily_aqi(
    o3_window: list[float], aqi_o3: float, aqi_o3_8h: float, max_8h: float
) -> None:
    o3 = [100.0] * 31
    o3[15:23] = o3_window
    obs = station_series({"o3": o3, "pm25": [10.0] * 31}, "2026-01-04T18:00")
    day = local_day(daily_aqi(obs), "2026-01-05")
    assert float(day["conc_o3_8h_max"]) == pytest.approx(max_8h)
    assert round(float(day["aqi_o3"]), 2) == aqi_o3
    np.testing.assert_allclose(float(day["aqi_o3_8h"]), aqi_o3_8h, atol=5e-3)
    assert float(day["aqi"]) == round_half_up(aqi_o3)
    assert str(day["dominant_pollutant"].item()) == "o3"


def test_e4_o3_8h_above_400_has_no_sub_index() -> None:
    assert np.isnan(sub_index(420.0, "o3", "8h"))
    assert np.isnan(sub_index([400.0000001], "o3", "8h")).all()


# --- E5: missing data ----------------------------------------------------------------------------


def test_e5_no_nowcast_without_c1_and_c2_means_no_aqi() -> None:
    pm25 = [20.0] * 10 + [NAN, NAN]  # c1, c2 missing
    assert np.isnan(nowcast(pm25)[-1])
    obs = station_series({"pm25": pm25, "no2": [150.0] * 12, "o3": [100.0] * 12}, "2026-01-05T01:00")
    last = hourly_aqi(obs).isel({TIME: -1}).sel({STATION: "vn-test"})
    assert np.isnan(float(last["aqi_pm25"])) and float(last["aqi_no2"]) == 75
    assert np.isnan(float(last["aqi"]))
    assert int(last["category"]) == 0 and str(last["dominant_pollutant"].item()) == ""


def test_e5_missing_c1_with_clamped_weight() -> None:
    c1_first = [NAN, 40, 30] + [20] * 9
    details = nowcast_details(c1_first[::-1])
    assert float(details.weight[-1]) == 0.5
    assert round(float(details.value[-1]), 4) == 32.5061
    literal = sum(0.5**i * c for i, c in enumerate(c1_first, start=1) if not np.isnan(c))
    assert round(literal, 2) == 16.25 and round_half_up(sub_index(literal, "pm25")) == 32
    last = hourly_aqi(station_series({"pm25": c1_first[::-1]}, "2026-01-05T01:00")).isel({TIME: -1})
    assert round(float(last["aqi_pm25"].item()), 2) == 65.01
    assert float(last["aqi"].item()) == 65 and int(last["category"].item()) == 2


# --- §5 station AQI ------------------------------------------------------------------------------


def test_ties_go_to_the_first_pollutant_in_table_order() -> None:
    day = {"pm25": [NAN] * 7 + [50.0] * 24, "pm10": [NAN] * 7 + [150.0] * 24, "no2": [NAN] * 7 + [200.0] * 24}
    result = local_day(daily_aqi(station_series(day, "2026-01-04T18:00")), "2026-01-05")
    assert [float(result[f"aqi_{p}"]) for p in ("pm25", "pm10", "no2")] == [100, 100, 100]
    assert str(result["dominant_pollutant"].item()) == "pm25"
    del day["pm25"]
    result = local_day(daily_aqi(station_series(day, "2026-01-04T18:00")), "2026-01-05")
    assert str(result["dominant_pollutant"].item()) == "pm10"
    aqi, category, dominant = combine_sub_indices(
        {"o3": np.array([80.0, NAN]), "pm10": np.array([80.0, NAN]), "co": np.array([80.0, 20.0])}, (2,)
    )
    assert dominant.tolist() == ["pm10", ""] and category.tolist() == [2, 0]
    np.testing.assert_array_equal(aqi, [80.0, NAN])


# --- §7 rounding and §3 details ------------------------------------------------------------------


def test_round_half_up_is_robust_to_float_error() -> None:
    assert round_half_up([109.5, 16.5, 0.5, 2.5, 109.49999999999999, 109.4999]).tolist() == [
        110,
        17,
        1,
        3,
        110,
        109,
    ]
    assert round_half_up(sub_index(55.7, "pm25")) == 110
    assert np.isnan(round_half_up(NAN))


def test_nowcast_needs_two_of_the_three_latest_hours() -> None:
    assert np.isnan(nowcast([10.0, NAN, NAN, 10.0])[-1])  # c1 only
    assert np.isnan(nowcast([10.0, 10.0, NAN, NAN])[-1])  # c3 only
    assert nowcast([10.0, NAN, 10.0, 10.0])[-1] == pytest.approx(10.0)  # c1, c2
    w = 10 / 12  # c1 = 10, c2 missing, c3 = 12, c4 = 10
    assert nowcast([10.0, 12.0, NAN, 10.0])[-1] == pytest.approx(
        (10 + w**2 * 12 + w**3 * 10) / (1 + w**2 + w**3)
    )
    assert np.isnan(nowcast([5.0])[0])  # the first hour of a series has no c2, c3
    assert nowcast([0.0, NAN, 0.0, 0.0])[-1] == 0.0  # Cmax = 0


def test_negative_concentrations_count_as_zero() -> None:
    assert sub_index(-5.0, "pm25") == 0.0
    assert nowcast([-3.0, 4.0, 4.0])[-1] == pytest.approx(nowcast([0.0, 4.0, 4.0])[-1])


# --- §11 engine contract -------------------------------------------------------------------------


def test_unknown_variables_are_named() -> None:
    obs = station_series({"pm25": [10.0] * 3, "pm2p5": [10.0] * 3, "t2m": [30.0] * 3}, "2026-01-05T01:00")
    with pytest.raises(ValueError, match="pm2p5, t2m"):
        hourly_aqi(obs)
    with pytest.raises(ValueError, match="pm2p5"):
        daily_aqi(obs)


def test_time_must_be_regular_hourly() -> None:
    obs = station_series({"pm25": [10.0] * 5}, "2026-01-05T01:00")
    with pytest.raises(ValueError, match="regular hourly"):
        hourly_aqi(obs.isel({TIME: [0, 1, 3, 4]}))
    with pytest.raises(ValueError, match="regular hourly"):
        daily_aqi(obs.isel({TIME: [1, 0, 2]}))
    with pytest.raises(ValueError, match="dims"):
        hourly_aqi(obs.isel({STATION: 0}))
    with pytest.raises(ValueError, match="min_hours_fraction"):
        daily_aqi(obs, min_hours_fraction=75)


def test_outputs_carry_units_and_the_decision() -> None:
    obs = station_series({"pm25": [10.0] * 30, "o3": [50.0] * 30}, "2026-01-04T18:00")
    hourly, daily = hourly_aqi(obs), daily_aqi(obs)
    for result in (hourly, daily):
        assert "1459/QĐ-TCMT" in result.attrs["references"] and "1459" in result["aqi"].attrs["references"]
        assert result["category"].dtype == np.int8 and result["aqi"].dtype == np.float64
    assert hourly["nowcast_pm25"].attrs["units"] == "ug m-3"
    assert daily["conc_o3_8h_max"].attrs["units"] == "ug m-3"
    assert daily.attrs["min_hours_fraction"] == 0.75 and daily.attrs["tz"] == TZ


def test_daily_days_follow_the_zone_even_with_daylight_saving() -> None:
    obs = station_series({"pm25": [20.0] * 72}, "2026-03-28T01:00", tz="Europe/Berlin")  # 29 March: 23 h
    day = daily_aqi(obs, tz="Europe/Berlin")
    assert day["n_hours_pm25"].values[0].tolist() == [24, 23, 24, 1]
    assert day["aqi"].notnull().values[0].tolist() == [True, True, True, False]
