"""VN_AQI of a forecast: NowCast across the issue time, D1–D3 days, observed/forecast hour counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forecast.aqi import hourly_aqi
from forecast.baselines import persistence
from forecast.forecast_aqi import forecast_days, forecast_vn_aqi

TZ = "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize(
    "issue, expected",
    [
        (
            "2026-11-25T00:00Z",
            ["2026-11-25", "2026-11-26", "2026-11-27"],
        ),  # 07:00 local: 17 forecast hours today
        ("2026-11-25T12:00Z", ["2026-11-26", "2026-11-27", "2026-11-28"]),  # 19:00 local: D1 is tomorrow
        ("2026-11-24T17:00Z", ["2026-11-25", "2026-11-26", "2026-11-27"]),  # 00:00 local closes the 24th
    ],
)
def test_forecast_days(issue, expected):
    assert [d.strftime("%Y-%m-%d") for d in forecast_days(pd.Timestamp(issue), TZ)] == expected


def constant_obs(value: float, hours: int = 24 * 5, end: str = "2026-11-25T00:00") -> xr.Dataset:
    time = pd.date_range(end=end, periods=hours, freq="h")
    return xr.Dataset(
        {"pm25": (("station", "time"), np.full((1, hours), value))}, coords={"station": ["s"], "time": time}
    )


def test_constant_persistence_gives_the_observed_aqi_every_hour_and_day():
    obs = constant_obs(55.7)  # PM2.5 55.7 µg/m³ -> sub-index 109.5 -> 110 (round half up)
    cube = persistence(obs, "2026-11-25T00:00Z")
    result = forecast_vn_aqi(obs, cube, tz=TZ)
    assert np.all(result.hourly["aqi"].values == 110)
    assert list(result.daily["day"].values) == ["D1", "D2", "D3"]
    assert np.all(result.daily["aqi"].values == 110)
    assert list(result.daily["observed_hours"].values[0]) == [7, 0, 0]
    assert list(result.daily["forecast_hours"].values[0]) == [17, 24, 24]


def test_the_first_forecast_hours_use_observed_hours_in_their_nowcast():
    obs = constant_obs(10.0)
    obs["pm25"][0, -1] = 100.0  # the last observed hour spikes
    cube = persistence(obs, "2026-11-25T00:00Z")  # holds 100 for 72 h
    cube["pm25"][:] = 20.0  # replace with a flat 20 µg/m³ forecast
    result = forecast_vn_aqi(obs, cube, tz=TZ)
    # lead 1 NowCast window: 20 (forecast), 100 (observed), 10 × 10 (observed); w* = 0.1 -> w = 0.5
    window = np.array([20.0, 100.0] + [10.0] * 10)
    weights = 0.5 ** np.arange(12)
    expected_nowcast = float((window * weights).sum() / weights.sum())
    merged = xr.concat(
        [obs, cube[["pm25"]].swap_dims(lead="valid_time").drop_vars("lead").rename(valid_time="time")], "time"
    )
    assert hourly_aqi(merged)["nowcast_pm25"].sel(time="2026-11-25T01:00").item() == pytest.approx(
        expected_nowcast
    )
    assert result.hourly["aqi_pm25"].sel(lead=1).item() == pytest.approx(
        2 * expected_nowcast
    )  # 25 µg/m³ = 50
    assert result.hourly["aqi"].sel(lead=72).item() == 40  # 20 µg/m³ -> 40 once the spike is 12 h back
