"""Station emission features (station, time): with and without an inventory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs.emissions import GNFR_SECTORS
from configs.networks import Station
from met_inputs.emissions import (
    TemporalModel,
    WeightCache,
    station_emission_features,
    station_emission_indices,
    temporal_factors,
    write_synthetic_inventory,
)


def station(sid: str, lat: float, lon: float, province: str, tz: str = "Asia/Ho_Chi_Minh") -> Station:
    return Station(
        id=sid, name_vi=sid, name_en=sid, latitude=lat, longitude=lon, province=province, source="test", time_zone=tz
    )


STATIONS = [station("hanoi", 21.02, 105.82, "Hà Nội"), station("hcmc", 10.78, 106.70, "TP. Hồ Chí Minh")]
# a 72-h forecast from the 00 UTC cycle of 8 Feb 2024 (Tết block 8-14 Feb), hour-ending
TIMES = pd.date_range("2024-02-08 01:00", periods=72, freq="h", tz="UTC")


@pytest.fixture(scope="module")
def model() -> TemporalModel:
    return TemporalModel.from_config()


@pytest.fixture(scope="module")
def inventory(tmp_path_factory) -> Path:
    return write_synthetic_inventory(tmp_path_factory.mktemp("inv") / "syn.nc", resolution_deg=0.1)


def test_without_inventory_only_temporal_and_calendar_features(model):
    ds = station_emission_features(STATIONS, TIMES, None, model)
    assert ds.attrs["inventory"].startswith("none")
    assert not [v for v in ds.data_vars if str(v).startswith("emission_index_")]
    assert {f"emission_{s}_factor" for s in GNFR_SECTORS} <= set(ds.data_vars)
    assert dict(ds.sizes) == {"station": 2, "time": 72}
    assert ds["time"].values[0] == np.datetime64("2024-02-08T01:00")
    assert (ds["is_tet"] == 1).all() and (ds["is_holiday"] == 1).all()
    # February is in the burning season in the Red River Delta only
    assert (ds["burning_season"].sel(station="hanoi") == 0.4).all()
    assert (ds["burning_season"].sel(station="hcmc") == 0).all()
    assert ds.attrs["burning_region_stations"] == "hanoi"


def test_factors_match_temporal_factors_per_station(model):
    ds = station_emission_features(STATIONS, TIMES, None, model)
    hanoi = temporal_factors(TIMES, "Asia/Ho_Chi_Minh", ["L_AgriOther"], model, in_burning_region=True)
    hcmc = temporal_factors(TIMES, "Asia/Ho_Chi_Minh", ["L_AgriOther"], model, in_burning_region=False)
    np.testing.assert_allclose(ds["emission_L_AgriOther_factor"].sel(station="hanoi"), hanoi.values[0])
    np.testing.assert_allclose(ds["emission_L_AgriOther_factor"].sel(station="hcmc"), hcmc.values[0])


def test_emission_index_is_inventory_times_factors_summed_over_sectors(model, inventory):
    cache = WeightCache()
    ds = station_emission_features(STATIONS, TIMES, inventory, model, radius_km=10.0, cache=cache)
    idx = station_emission_indices(inventory, STATIONS, 10.0, cache)
    assert cache.hits == 1
    assert {f"emission_index_{s}" for s in ("pm25", "pm10", "nox", "so2", "co", "nh3", "nmvoc")} <= set(ds.data_vars)
    for sid in ("hanoi", "hcmc"):
        expected = sum(
            idx.sel(station=sid, species="nox", sector=sector).item() * ds[f"emission_{sector}_factor"].sel(station=sid)
            for sector in idx["sector"].values
        )
        np.testing.assert_allclose(ds["emission_index_nox"].sel(station=sid), expected, rtol=1e-12)
    assert ds["emission_index_pm25"].attrs["units"] == "ug m-2 s-1"
    assert ds.attrs["synthetic_inventory"] == 1 and ds.attrs["radius_km"] == 10.0
    # traffic-heavy NOx: rush hour (08 local = 01 UTC) above the small hours (03 local = 20 UTC)
    nox = ds["emission_index_nox"].sel(station="hanoi")
    assert nox.sel(time="2024-02-09T01:00") > nox.sel(time="2024-02-08T20:00")


def test_local_time_zone_of_each_station_is_used(model):
    stations = [station("vn", 21.02, 105.82, "Hà Nội"), station("uk", 21.02, 105.82, "Hà Nội", tz="Europe/London")]
    times = pd.DatetimeIndex(["2024-03-06 01:00"], tz="UTC")
    ds = station_emission_features(stations, times, None, model)
    traffic = ds["emission_F_RoadTransport_factor"].values[:, 0]
    assert traffic[0] / traffic[1] == pytest.approx(1.84 / 0.19, rel=1e-6)
