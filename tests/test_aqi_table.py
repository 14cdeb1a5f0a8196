"""The flat AQI table the CLI writes: columns, ISO 8601 offsets, nullable integers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from configs.schema import LEAD, STATION, TIME, VALID_TIME
from forecast.aqi import aqi_table, daily_aqi, hourly_aqi

TZ = "Asia/Ho_Chi_Minh"
NAN = np.nan


@pytest.fixture()
def obs() -> xr.Dataset:
    """Two stations, 2026-01-04 18:00 … 2026-01-06 00:00 local (31 h); station b has no PM at first."""
    times = pd.date_range("2026-01-04T18:00", periods=31, freq="h", tz=TZ).tz_convert("UTC").tz_localize(None)
    pm25 = np.vstack([np.linspace(10, 90, 31), np.r_[np.full(14, NAN), np.full(17, 30.0)]])
    no2 = np.full((2, 31), 120.0)
    return xr.Dataset(
        {"pm25": ((STATION, TIME), pm25), "no2": ((STATION, TIME), no2)},
        coords={STATION: ["a", "b"], TIME: times.values},
    )


HOURLY_COLUMNS = [
    "station_id",
    "time",
    "aqi",
    "category",
    "category_vi",
    "category_en",
    "dominant_pollutant",
    "aqi_pm25",
    "aqi_no2",
]


def test_hourly_table_columns_and_order(obs: xr.Dataset) -> None:
    table = aqi_table(hourly_aqi(obs), daily=False, tz=TZ)
    assert list(table.columns) == HOURLY_COLUMNS
    assert len(table) == 2 * 31
    assert table["station_id"].tolist() == ["a"] * 31 + ["b"] * 31
    assert str(table["aqi"].dtype) == "Int64" and str(table["category"].dtype) == "Int64"
    assert table["aqi_pm25"].dtype == np.float64


def test_hourly_times_are_local_iso_with_offset(obs: xr.Dataset) -> None:
    table = aqi_table(hourly_aqi(obs), daily=False, tz=TZ)
    assert table["time"].iloc[0] == "2026-01-04T18:00:00+07:00"
    assert table["time"].iloc[30] == "2026-01-06T00:00:00+07:00"
    assert table["time"].iloc[31] == "2026-01-04T18:00:00+07:00"
    utc = aqi_table(hourly_aqi(obs), daily=False, tz="UTC")
    assert utc["time"].iloc[0] == "2026-01-04T11:00:00+00:00"


def test_undefined_hours_are_empty_not_zero(obs: xr.Dataset) -> None:
    table = aqi_table(hourly_aqi(obs), daily=False, tz=TZ)
    first = table.iloc[0]  # NowCast needs two of the three latest hours: none at the first hour
    assert first["aqi"] is pd.NA and first["category"] is pd.NA
    assert first["category_vi"] is pd.NA and first["category_en"] is pd.NA
    assert first["dominant_pollutant"] is pd.NA
    assert first["aqi_no2"] == pytest.approx(60.0) and np.isnan(first["aqi_pm25"])
    b = table[table["station_id"] == "b"]
    assert b["aqi"].isna().sum() == 15  # 14 missing hours + the first with one present of c1..c3
    defined = table.dropna(subset=["aqi"])
    assert defined["category"].between(1, 6).all()
    assert set(defined["category_vi"]) <= {"Tốt", "Trung bình", "Kém", "Xấu", "Rất xấu", "Nguy hại"}


def test_hourly_values_match_the_dataset(obs: xr.Dataset) -> None:
    result = hourly_aqi(obs)
    table = aqi_table(result, daily=False, tz=TZ)
    row = table.iloc[31 + 20]  # station b, 14:00 local on 5 Jan
    assert row["aqi"] == int(result["aqi"].values[1, 20])
    assert row["category"] == int(result["category"].values[1, 20])
    assert row["dominant_pollutant"] == str(result["dominant_pollutant"].values[1, 20])
    assert row["aqi_pm25"] == result["aqi_pm25"].values[1, 20]
    csv = table.to_csv(index=False).splitlines()
    assert csv[0] == ",".join(HOURLY_COLUMNS)
    assert csv[1].startswith("a,2026-01-04T18:00:00+07:00,,,,,,")


def test_daily_table_has_a_date_column(obs: xr.Dataset) -> None:
    table = aqi_table(daily_aqi(obs, tz=TZ), daily=True, tz=TZ)
    assert list(table.columns) == [c if c != "time" else "date" for c in HOURLY_COLUMNS]
    assert table["date"].tolist() == ["2026-01-04", "2026-01-05"] * 2
    assert table["aqi"].isna().tolist() == [True, False, True, True]  # b has 17 of 24 PM hours on the 5th
    day = table.iloc[1]
    assert day["category_en"] in {"Good", "Moderate", "Poor", "Bad", "Very bad", "Hazardous"}
    assert isinstance(day["aqi"], (int, np.integer))


def test_forecast_shaped_results(obs: xr.Dataset) -> None:
    """Dims (station, lead) with a valid_time coordinate, as forecast.forecast_aqi produces."""
    hourly = hourly_aqi(obs).isel({TIME: slice(-3, None)})
    hourly = hourly.rename({TIME: VALID_TIME}).swap_dims({VALID_TIME: LEAD}).assign_coords({LEAD: [1, 2, 3]})
    table = aqi_table(hourly, daily=False, tz=TZ)
    assert table["time"].tolist()[:3] == [
        "2026-01-05T22:00:00+07:00",
        "2026-01-05T23:00:00+07:00",
        "2026-01-06T00:00:00+07:00",
    ]
    daily = (
        daily_aqi(obs)
        .rename(date="day")
        .assign_coords(day=["D1", "D2"], date=("day", ["2026-01-04", "2026-01-05"]))
    )
    assert aqi_table(daily, daily=True, tz=TZ)["date"].tolist() == ["2026-01-04", "2026-01-05"] * 2


def test_only_present_pollutants_get_columns(obs: xr.Dataset) -> None:
    table = aqi_table(hourly_aqi(obs[["no2"]]), daily=False, tz=TZ)
    assert [c for c in table.columns if c.startswith("aqi_")] == ["aqi_no2"]
    assert table["aqi"].isna().all()
