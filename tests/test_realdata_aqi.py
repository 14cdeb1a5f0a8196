"""The whole chain on real data: StateAir file → archive → daily VN_AQI, checked against a hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from configs.networks import StationRegistry
from configs.settings import HomeLayout
from forecast.aqi import daily_aqi, hourly_aqi, round_half_up, sub_index
from met_inputs.observations.archive import ObservationArchive

pytestmark = pytest.mark.realdata


def test_daily_vn_aqi_of_hanoi_new_year_2017_matches_the_raw_file(shared_data, tmp_path):
    path = shared_data / "vn_usembassy_pm25" / "hanoi_kikyou21" / "Hanoi_PM2.5_2017_YTD.csv"
    archive = ObservationArchive(HomeLayout(tmp_path))
    archive.ingest([path], StationRegistry.from_dir())
    obs = archive.to_dataset(stations=["us-embassy-hanoi"], pollutants=["pm25"])
    daily = daily_aqi(obs, tz="Asia/Ho_Chi_Minh", min_hours_fraction=0.75)

    # By hand from the raw file: the local day 2017-01-01 is the rows stamped 01:00 … 00:00 (next day).
    raw = pd.read_csv(path)
    stamps = pd.to_datetime(raw["Date (LT)"], format="%Y-%m-%d %I:%M %p")
    day = raw[(stamps >= "2017-01-01 01:00") & (stamps <= "2017-01-02 00:00") & (raw["QC Name"] == "Valid")]
    assert len(day) == 24
    expected = round_half_up(sub_index(day["Raw Conc."].mean(), "pm25"))
    got = daily.sel(station="us-embassy-hanoi", date="2017-01-01")
    assert got["aqi"].item() == expected
    assert got["conc_pm25"].item() == pytest.approx(day["Raw Conc."].mean())
    assert got["dominant_pollutant"].item() == "pm25"


def test_hourly_nowcast_on_real_data_uses_the_12_preceding_hours(shared_data, tmp_path):
    path = shared_data / "vn_usembassy_pm25" / "hanoi_kikyou21" / "Hanoi_PM2.5_2017_YTD.csv"
    archive = ObservationArchive(HomeLayout(tmp_path))
    archive.ingest([path], StationRegistry.from_dir())
    obs = archive.to_dataset(stations=["us-embassy-hanoi"], pollutants=["pm25"])
    hourly = hourly_aqi(obs)
    raw = pd.read_csv(path)
    raw = raw.set_index(pd.to_datetime(raw["Date (LT)"], format="%Y-%m-%d %I:%M %p"))
    raw = raw[raw["QC Name"] == "Valid"]
    # 2017-01-03 12:00 local = 05:00 UTC; c1 is that hour, c12 eleven hours earlier
    window = raw.loc["2017-01-03 01:00":"2017-01-03 12:00", "Raw Conc."].to_numpy()[::-1]
    assert len(window) == 12
    w = max(window.min() / window.max(), 0.5)
    weights = w ** np.arange(12)
    nowcast = float((weights * window).sum() / weights.sum())
    got = hourly.sel(station="us-embassy-hanoi", time="2017-01-03T05:00")
    assert got["nowcast_pm25"].item() == pytest.approx(nowcast)
    assert got["aqi"].item() == round_half_up(sub_index(nowcast, "pm25"))
