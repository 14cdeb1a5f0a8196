"""Baseline forecasters: hand-checked values and the no-leakage rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forecast.baselines import (
    baseline_forecast,
    climatology,
    diurnal_persistence,
    fit_climatology,
    persistence,
)

ISSUE = "2026-01-10T00:00Z"


def hourly(values: np.ndarray, start: str = "2026-01-01T01:00") -> xr.Dataset:
    """One-station dataset of hourly PM2.5 [µg/m³], hour-ending UTC."""
    time = pd.date_range(start, periods=values.shape[-1], freq="h")
    return xr.Dataset(
        {"pm25": (("station", "time"), np.atleast_2d(values))}, coords={"station": ["s1"], "time": time}
    )


def test_persistence_holds_the_last_valid_value_for_72_leads():
    values = np.arange(1.0, 24 * 9 + 1)  # 2026-01-01T01 .. 2026-01-10T00
    values[-2:] = np.nan  # the last two hours are missing: persistence uses the value stamped 21:00
    cube = persistence(hourly(values), ISSUE)
    assert cube.sizes == {"station": 1, "lead": 72}
    assert np.all(cube.pm25.values == values[-3])
    assert pd.Timestamp(cube.valid_time.values[0]) == pd.Timestamp("2026-01-10T01:00")
    assert pd.Timestamp(cube.valid_time.values[-1]) == pd.Timestamp("2026-01-13T00:00")


def test_persistence_is_missing_when_the_last_value_is_too_old():
    values = np.full(24 * 9, np.nan)
    values[:100] = 5.0
    assert np.all(np.isnan(persistence(hourly(values), ISSUE).pm25.values))


def test_diurnal_persistence_uses_the_latest_same_hour_known_at_issue_time():
    values = np.arange(1.0, 24 * 9 + 1)
    cube = diurnal_persistence(hourly(values), ISSUE)
    series = hourly(values).pm25.sel(station="s1").to_series()
    # lead 1 (valid 01:00 on the 10th) -> 01:00 on the 9th; lead 30 (valid 06:00 on the 11th) -> 06:00 on the 9th
    assert cube.pm25.sel(lead=1).item() == series[pd.Timestamp("2026-01-09T01:00")]
    assert cube.pm25.sel(lead=30).item() == series[pd.Timestamp("2026-01-09T06:00")]
    assert cube.pm25.sel(lead=72).item() == series[pd.Timestamp("2026-01-10T00:00")]


def test_diurnal_persistence_falls_back_to_an_earlier_day_when_the_hour_is_missing():
    values = np.arange(1.0, 24 * 9 + 1)
    ds = hourly(values)
    ds["pm25"].loc[{"time": "2026-01-09T01:00"}] = np.nan
    cube = diurnal_persistence(ds, ISSUE)
    assert cube.pm25.sel(lead=1).item() == ds.pm25.sel(station="s1", time="2026-01-08T01:00").item()


def test_climatology_is_the_station_month_local_hour_mean():
    # Two January days where hour-ending 03:00 UTC (10:00 local) reads 10 and 30, other hours 0.
    time = pd.date_range("2026-01-01T01:00", periods=24 * 9, freq="h")
    values = np.where(time.hour == 3, np.where(np.arange(len(time)) % 48 < 24, 10.0, 30.0), 0.0)
    ds = hourly(values)
    table = fit_climatology(ds, tz="Asia/Ho_Chi_Minh", min_count=1)
    expected = values[time.hour == 3].mean()
    assert table.pm25_mean.sel(station="s1", month=1, hour=10).item() == pytest.approx(expected)
    cube = climatology(ds, ISSUE)
    lead_at_03 = int(np.flatnonzero(pd.DatetimeIndex(cube.valid_time.values).hour == 3)[0]) + 1
    assert cube.pm25.sel(lead=lead_at_03).item() == pytest.approx(expected)
    assert np.all(cube.pm25_q10.values <= cube.pm25_q50.values)
    assert np.all(cube.pm25_q50.values <= cube.pm25_q90.values)


@pytest.mark.parametrize("name", ["persistence", "diurnal_persistence", "climatology"])
def test_no_baseline_sees_observations_after_the_issue_time(name):
    rng = np.random.default_rng(1)
    values = rng.gamma(3, 10, 24 * 40)
    ds = hourly(values)
    issue = "2026-01-30T12:00Z"
    before = baseline_forecast(name, ds, issue)
    future = ds.copy(deep=True)
    after_issue = future.time > np.datetime64("2026-01-30T12:00")
    future["pm25"][:, after_issue.values] = 1e6  # poison everything after T
    after = baseline_forecast(name, future, issue)
    xr.testing.assert_identical(before, after)


def test_unknown_baseline_and_naive_issue_time_are_rejected():
    ds = hourly(np.ones(48))
    with pytest.raises(ValueError, match="unknown baseline 'magic'"):
        baseline_forecast("magic", ds, ISSUE)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no time zone"):
        persistence(ds, "2026-01-02T00:00")
