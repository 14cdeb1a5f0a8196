"""Readers on synthetic files with known values: GRIB2 written by met_inputs.gribwrite, WRF/CF NetCDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from inputs_helpers import hours

from configs.schema import NWP_VARIABLES
from met_inputs.gribwrite import LatLonGrid, cams_field, gfs_field, ifs_field, write_grib2
from met_inputs.sources import detect_convention, open_source
from met_inputs.sources._accum import deaccumulate

INIT = "2026-11-22T00"
GRID = LatLonGrid(north=24.0, south=20.0, west=102.0, east=106.0, step=1.0)


def full(value: float) -> np.ndarray:
    return np.full(GRID.shape, value)


def write_ifs_run(folder: Path, tp_m: dict[int, float], ssrd_j: dict[int, float]) -> list[Path]:
    files = []
    for step in tp_m:
        fields = [
            ifs_field("2t", full(300.0), GRID, INIT, step),
            ifs_field("sp", full(100_500.0), GRID, INIT, step),
            ifs_field("tcc", full(0.25), GRID, INIT, step),
            ifs_field("z", full(98.0665), GRID, INIT, step),
            ifs_field("tp", full(tp_m[step]), GRID, INIT, step),
            ifs_field("ssrd", full(ssrd_j[step]), GRID, INIT, step),
            *(ifs_field("t", full(280.0 + level / 100), GRID, INIT, step, level=level) for level in (1000, 925, 850)),
        ]
        files.append(write_grib2(folder / f"ifs_{step:03d}.grib2", fields))
    return files


def test_ifs_run_totals_are_deaccumulated_to_step_intervals(tmp_path: Path) -> None:
    tp_m = {0: 0.0, 3: 0.002, 6: 0.005, 9: 0.005, 12: 0.009}  # metres since the start of the run
    ssrd_j = {0: 0.0, 3: 1.08e6, 6: 3.24e6, 9: 3.24e6, 12: 3.78e6}  # J m-2 since the start of the run
    ds = open_source(write_ifs_run(tmp_path, tp_m, ssrd_j)[::-1])  # file order does not matter
    assert ds.attrs["convention"] == "ifs" and hours(ds.step) == [0, 3, 6, 9, 12]
    np.testing.assert_allclose(ds.tp.isel(latitude=0, longitude=0), [np.nan, 2.0, 3.0, 0.0, 4.0], rtol=1e-5)
    # (3.24e6 - 1.08e6) / (3 * 3600) = 200 W m-2; (3.78e6 - 3.24e6) / 10800 = 50 W m-2
    np.testing.assert_allclose(ds.ssrd.isel(latitude=0, longitude=0), [np.nan, 100.0, 200.0, 0.0, 50.0], rtol=1e-5)
    assert ds.tp.attrs["units"] == "mm" and "sum" in ds.tp.attrs["cell_methods"]
    assert ds.ssrd.attrs["units"] == "W m-2" and ds.ssrd.attrs["provider_units"] == "J m**-2"


def test_ifs_units_coordinates_and_attributes_follow_the_contract(tmp_path: Path) -> None:
    ds = open_source(write_ifs_run(tmp_path, {0: 0.0, 3: 0.001}, {0: 0.0, 3: 1e5}))
    assert not list(tmp_path.glob("*.idx"))  # cfgrib indexes go to a temporary folder
    assert float(ds.orog[0, 0, 0]) == pytest.approx(10.0)  # z = 98.0665 m2 s-2 / g
    assert float(ds.tcc[0, 0, 0]) == pytest.approx(0.25) and float(ds.sp[0, 0, 0]) == pytest.approx(100_500.0)
    assert ds.level.values.tolist() == [1000, 925, 850] and ds.t.dims == ("step", "level", "latitude", "longitude")
    assert ds.init_time.values == np.datetime64(INIT) and ds.init_time.dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(ds.valid_time.values, ds.init_time.values + ds.step.values)
    assert (np.diff(ds.latitude) > 0).all() and (np.diff(ds.longitude) > 0).all()
    for name in ds.data_vars:
        assert ds[name].attrs["units"] == NWP_VARIABLES[name] and ds[name].attrs["long_name"]
    assert ds.t2m.attrs["standard_name"] == "air_temperature" and ds.t2m.attrs["provider_name"] == "2t"


def write_gfs_run(folder: Path, *, run_total_too: bool = False) -> list[Path]:
    apcp = {3: ((0, 3), 2.0), 6: ((0, 6), 5.0), 9: ((6, 9), 1.0), 12: ((6, 12), 4.0)}  # kg m-2 in 6-h buckets
    dswrf = {3: ((0, 3), 100.0), 6: ((0, 6), 200.0), 9: ((6, 9), 300.0), 12: ((6, 12), 150.0)}  # W m-2 averages
    files = []
    for step in (0, 3, 6, 9, 12):
        fields = [
            gfs_field("TMP", full(290.0 + step), GRID, INIT, step, type_of_level="heightAboveGround", level=2),
            gfs_field("UGRD", full(3.0), GRID, INIT, step, type_of_level="heightAboveGround", level=10),
            gfs_field("PRMSL", full(101_000.0), GRID, INIT, step, type_of_level="meanSea"),
            gfs_field("HPBL", full(650.0), GRID, INIT, step),
            gfs_field("HGT", full(12.0), GRID, INIT, step),
            gfs_field("RH", full(85.0), GRID, INIT, step, type_of_level="isobaricInhPa", level=925),
        ]
        if step:
            fields += [
                gfs_field("APCP", full(apcp[step][1]), GRID, INIT, apcp[step][0], step_type="accum"),
                gfs_field("DSWRF", full(dswrf[step][1]), GRID, INIT, dswrf[step][0], step_type="avg"),
                gfs_field("TCDC", full(40.0), GRID, INIT, dswrf[step][0], step_type="avg", type_of_level="atmosphere"),
            ]
        if run_total_too and step == 9:  # GFS v16 also writes "APCP:surface:0-9 hour acc fcst": 5 + 1
            fields.append(gfs_field("APCP", full(6.0), GRID, INIT, (0, 9), step_type="accum"))
        files.append(write_grib2(folder / f"gfs.t00z.pgrb2.f{step:03d}", fields))
    return files


def test_gfs_buckets_and_window_averages_become_step_interval_values(tmp_path: Path) -> None:
    files = write_gfs_run(tmp_path)
    assert detect_convention(files[1]) == "gfs"
    ds = open_source(files)
    point = {"latitude": 22.0, "longitude": 104.0}
    np.testing.assert_allclose(ds.tp.sel(point), [np.nan, 2.0, 3.0, 1.0, 3.0], rtol=1e-5)
    # 0-6 mean 200 after 0-3 mean 100 → 3-6 mean 300; 6-12 mean 150 after 6-9 mean 300 → 9-12 mean 0
    np.testing.assert_allclose(ds.ssrd.sel(point), [np.nan, 100.0, 300.0, 300.0, 0.0], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(ds.tcc.sel(point), [np.nan, 0.4, 0.4, 0.4, 0.4], rtol=1e-5)
    assert float(ds.blh.sel(point)[0]) == 650.0 and ds.blh.attrs["provider_name"] == "HPBL:surface"
    assert float(ds.r.sel(point).sel(level=925)[0]) == pytest.approx(85.0) and float(ds.orog.sel(point)[0]) == 12.0
    assert float(ds.msl.sel(point)[0]) == 101_000.0 and float(ds.t2m.sel(point)[4]) == pytest.approx(302.0)


def test_gfs_run_total_window_is_preferred_when_a_file_holds_both(tmp_path: Path) -> None:
    ds = open_source(write_gfs_run(tmp_path, run_total_too=True))
    np.testing.assert_allclose(ds.tp.sel(latitude=22.0, longitude=104.0), [np.nan, 2.0, 3.0, 1.0, 3.0], rtol=1e-5)


def test_latitude_order_of_the_file_does_not_change_the_dataset(tmp_path: Path) -> None:
    values = np.arange(25.0).reshape(GRID.shape) + 280.0  # row 0 = 24 °N
    flipped = LatLonGrid(GRID.north, GRID.south, GRID.west, GRID.east, GRID.step, south_to_north=True)
    a = open_source(write_grib2(tmp_path / "n2s.grib2", [ifs_field("2t", values, GRID, INIT, 0)]))
    b = open_source(write_grib2(tmp_path / "s2n.grib2", [ifs_field("2t", values[::-1], flipped, INIT, 0)]))
    assert a.latitude.values.tolist() == [20.0, 21.0, 22.0, 23.0, 24.0]
    np.testing.assert_allclose(a.t2m.isel(step=0), values[::-1], rtol=1e-7)
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    assert float(a.t2m.sel(latitude=24.0, longitude=102.0)[0]) == pytest.approx(280.0)


def test_longitudes_0_to_360_are_rolled_into_minus_180_to_180(tmp_path: Path) -> None:
    grid = LatLonGrid(north=30.0, south=-30.0, west=0.0, east=330.0, step=30.0)
    values = np.tile(np.arange(12.0), (3, 1)) + 280.0  # column k holds 280 + k, at k * 30 °E
    ds = open_source(write_grib2(tmp_path / "global.grib2", [ifs_field("2t", values, grid, INIT, 0)]))
    assert ds.longitude.values.tolist() == [float(x) for x in range(-180, 180, 30)]
    assert float(ds.t2m.sel(longitude=-150.0)[0, 0]) == pytest.approx(280.0 + 7)  # 210 °E


def test_area_and_levels_select_a_box_with_a_margin_and_the_requested_levels(tmp_path: Path) -> None:
    files = write_ifs_run(tmp_path, {0: 0.0, 3: 0.001}, {0: 0.0, 3: 1e5})
    ds = open_source(files, area=(22.5, 103.5, 21.5, 104.5), levels=[925], variables=["t", "t2m"])
    assert ds.latitude.values.tolist() == [21.0, 22.0, 23.0] and ds.longitude.values.tolist() == [103.0, 104.0, 105.0]
    assert ds.level.values.tolist() == [925] and sorted(ds.data_vars) == ["t", "t2m"]


def test_cams_mixing_ratio_uses_pressure_and_temperature_of_the_same_files(tmp_path: Path) -> None:
    pv = [0.0, 2000.0, 0.0, 0.0, 0.0, 1.0]  # two model levels: half-level a, then b
    hybrid = {"type_of_level": "hybrid", "level": 2, "extra": {"PVPresent": 1, "pv": pv}}
    fields = [
        cams_field("no2", full(2e-8), GRID, INIT, 3, **hybrid),
        cams_field("t", full(280.0), GRID, INIT, 3, **hybrid),
        cams_field("sp", full(100_000.0), GRID, INIT, 3),
        cams_field("pm2p5", full(25e-9), GRID, INIT, 3),
        cams_field("so2", full(1e-9), GRID, INIT, 3),  # at the surface: p = sp, T = 2 m temperature
        cams_field("2t", full(300.0), GRID, INIT, 3, type_of_level="heightAboveGround", level=2),
    ]
    ds = open_source(write_grib2(tmp_path / "cams.grib2", fields))
    full_level_pa = 0.5 * (2000.0 + 0.0 + (0.0 + 1.0) * 100_000.0)
    assert float(ds.no2[0, 0, 0]) == pytest.approx(2e-8 * full_level_pa / (287.05 * 280.0) * 1e9, rel=1e-5)
    assert float(ds.so2[0, 0, 0]) == pytest.approx(1e-9 * 100_000.0 / (287.05 * 300.0) * 1e9, rel=1e-5)
    assert float(ds.pm25[0, 0, 0]) == pytest.approx(25.0, rel=1e-5)
    assert "hybrid 2" in ds.no2.attrs["air_density"] and ds.no2.attrs["units"] == "ug m-3"


def write_wrfout(path: Path, hours_: list[int], rainc: list[float], rainnc: list[float]) -> Path:
    ny, nx, nt = 3, 4, len(hours_)
    times = [(pd.Timestamp(INIT) + pd.Timedelta(hours=h)).strftime("%Y-%m-%d_%H:%M:%S") for h in hours_]

    def field(values: list[float] | float, units: str) -> tuple:
        data = np.broadcast_to(np.asarray(values, dtype=float).reshape(-1, 1, 1), (nt, ny, nx)).copy()
        return ("Time", "south_north", "west_east"), data, {"units": units}

    lat = 20.0 + 0.1 * np.arange(ny)[:, None] + 0.01 * np.arange(nx)[None, :]
    lon = 105.0 + 0.1 * np.arange(nx)[None, :] - 0.01 * np.arange(ny)[:, None]
    ds = xr.Dataset(
        {
            "Times": (("Time", "DateStrLen"), np.array([[c.encode() for c in t] for t in times])),
            "XLAT": (("Time", "south_north", "west_east"), np.broadcast_to(lat, (nt, ny, nx)).copy()),
            "XLONG": (("Time", "south_north", "west_east"), np.broadcast_to(lon, (nt, ny, nx)).copy()),
            "T2": field(295.0, "K"),
            "Q2": field(0.01, "kg kg-1"),
            "PSFC": field(100_000.0, "Pa"),
            "U10": field(1.0, "m s-1"),
            "V10": field(0.0, "m s-1"),
            "COSALPHA": field(0.8, ""),
            "SINALPHA": field(0.6, ""),
            "RAINC": field(rainc, "mm"),
            "RAINNC": field(rainnc, "mm"),
            "PBLH": field(900.0, "m"),
        },
        attrs={"TITLE": " OUTPUT FROM WRF V4.5 MODEL", "SIMULATION_START_DATE": "2026-11-22_00:00:00"},
    )
    ds.to_netcdf(path)
    return path


def test_wrf_output_gives_2d_coordinates_earth_winds_dew_point_and_interval_rain(tmp_path: Path) -> None:
    first = write_wrfout(tmp_path / "wrfout_d01_a", [0, 1, 2], [0.0, 1.0, 1.5], [0.0, 0.5, 1.0])
    second = write_wrfout(tmp_path / "wrfout_d01_b", [3], [3.0], [1.0])
    assert detect_convention(first) == "wrf"
    ds = open_source([second, first])
    cropped = open_source([second, first], area=(20.05, 105.0, 20.0, 105.15))
    assert dict(cropped.sizes) == {"step": 4, "y": 2, "x": 3}  # box rows 0, columns 0-1, plus one of margin
    assert ds.attrs["grid"] == "curvilinear" and ds.latitude.dims == ("y", "x") and ds.t2m.dims == ("step", "y", "x")
    np.testing.assert_allclose(ds.tp[:, 0, 0], [np.nan, 1.5, 1.0, 1.5], rtol=1e-6)  # totals 0, 1.5, 2.5, 4.0 mm
    assert float(ds.u10[0, 0, 0]) == pytest.approx(0.8) and float(ds.v10[0, 0, 0]) == pytest.approx(0.6)
    e = 0.01 * 100_000.0 / 0.632
    expected_td = 243.5 * np.log(e / 611.2) / (17.67 - np.log(e / 611.2)) + 273.15
    assert float(ds.d2m[0, 0, 0]) == pytest.approx(expected_td, abs=1e-3)
    assert float(ds.latitude[2, 3]) == pytest.approx(20.23)


def test_cf_netcdf_by_standard_name_with_celsius_converted_and_bounded_precipitation(tmp_path: Path) -> None:
    times = pd.date_range(INIT, periods=3, freq="3h")
    bounds = np.stack([np.full(3, np.datetime64(INIT, "ns")), times.values], axis=1)
    ds = xr.Dataset(
        {
            "temp": (("time", "lat", "lon"), np.full((3, 2, 2), 25.0),
                     {"standard_name": "air_temperature", "units": "degC"}),
            "precip": (("time", "lat", "lon"), np.array([0.0, 2.0, 5.0])[:, None, None] * np.ones((3, 2, 2)),
                       {"standard_name": "precipitation_amount", "units": "kg m-2", "cell_methods": "time: sum"}),
            "time_bnds": (("time", "nv"), bounds),
        },
        coords={"time": ("time", times, {"bounds": "time_bnds"}), "lat": [10.0, 11.0], "lon": [105.0, 106.0],
                "forecast_reference_time": np.datetime64(INIT, "ns")},
    )  # fmt: skip
    path = tmp_path / "cf.nc"
    ds["time"].encoding["units"] = ds["time_bnds"].encoding["units"] = "hours since 2026-11-22"
    ds.to_netcdf(path)
    assert detect_convention(path) == "cf"
    out = open_source(path)
    assert float(out.t2m[0, 0, 0]) == pytest.approx(298.15) and out.t2m.attrs["provider_units"] == "degC"
    np.testing.assert_allclose(out.tp[:, 0, 0], [np.nan, 2.0, 3.0])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 50.0), min_size=1, max_size=12), st.integers(1, 6))
def test_deaccumulating_bucket_totals_gives_back_the_interval_amounts(amounts: list[float], bucket: int) -> None:
    steps = np.arange(1, len(amounts) + 1) * np.timedelta64(1, "h")
    starts = ((np.arange(len(amounts)) // bucket) * bucket) * np.timedelta64(1, "h")  # buckets of `bucket` hours
    totals = np.array([sum(amounts[(k // bucket) * bucket : k + 1]) for k in range(len(amounts))])
    out = deaccumulate(totals, steps, starts, average=False, per_second=False, atol=1e-9)
    np.testing.assert_allclose(out, amounts, atol=1e-9)
