"""The cycle entry point: synthetic IFS-like and CAMS-like GRIB2 → station cube with a report of what was missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from configs.networks import Station
from configs.settings import HomeLayout
from configs.sources import SourcesConfig
from met_inputs.cube_builder import build_station_cube
from met_inputs.gribwrite import LatLonGrid, cams_field, ifs_field, write_grib2

CYCLE = pd.Timestamp("2026-11-22T00:00Z")
GRID = LatLonGrid(north=22.0, south=20.0, west=105.0, east=107.0, step=0.25)
STEPS = [0, 3, 6, 9, 12]


def station(sid: str, lat: float, lon: float, elevation: float | None = None) -> Station:
    return Station(id=sid, name_vi=sid, name_en=sid, latitude=lat, longitude=lon, province="Hà Nội", source="test",
                   elevation_m=elevation)


STATIONS = [station("hn-a", 21.03, 105.85), station("hn-b", 20.51, 106.33)]


def t2m_k(lat, lon, step):
    """Linear in latitude and longitude, so bilinear interpolation is exact."""
    return 288.0 + 0.5 * (lon - 105.0) - 1.0 * (lat - 21.0) + 0.1 * step


def lat_lon():
    lats = np.linspace(GRID.north, GRID.south, round((GRID.north - GRID.south) / GRID.step) + 1)
    lons = np.linspace(GRID.west, GRID.east, round((GRID.east - GRID.west) / GRID.step) + 1)
    return np.meshgrid(lats, lons, indexing="ij")


def write_nwp(folder, init, steps=STEPS):
    lat, lon = lat_lon()
    folder.mkdir(parents=True, exist_ok=True)
    init_text = init.tz_convert("UTC").strftime("%Y-%m-%dT%H")
    for step in steps:
        fields = [
            ifs_field("2t", t2m_k(lat, lon, step), GRID, init_text, step),
            ifs_field("2d", t2m_k(lat, lon, step) - 5.0, GRID, init_text, step),
            ifs_field("10u", np.full(lat.shape, -3.0), GRID, init_text, step),
            ifs_field("10v", np.full(lat.shape, 0.0), GRID, init_text, step),
            ifs_field("sp", np.full(lat.shape, 101000.0), GRID, init_text, step),
            ifs_field("blh", np.full(lat.shape, 400.0), GRID, init_text, step),
            ifs_field("tp", np.full(lat.shape, 0.001 * step), GRID, init_text, step),  # 1 mm per hour, run total [m]
            # a warm layer at 1000 hPa over a cold surface: an inversion
            ifs_field("t", t2m_k(lat, lon, step) + 3.0, GRID, init_text, step, level=1000),
            ifs_field("gh", np.full(lat.shape, 110.0), GRID, init_text, step, level=1000),
            ifs_field("t", t2m_k(lat, lon, step) - 5.0, GRID, init_text, step, level=850),
            ifs_field("gh", np.full(lat.shape, 1500.0), GRID, init_text, step, level=850),
        ]
        write_grib2(folder / f"ifs_f{step:03d}.grib2", fields)


def write_ctm(folder, init):
    lat, _ = lat_lon()
    folder.mkdir(parents=True, exist_ok=True)
    init_text = init.tz_convert("UTC").strftime("%Y-%m-%dT%H")
    fields = [cams_field("pm2p5", np.full(lat.shape, 45e-9), GRID, init_text, step) for step in STEPS]
    write_grib2(folder / "cams.grib2", fields)


def config(**overrides) -> SourcesConfig:
    return SourcesConfig.model_validate(
        {
            "sources": [
                {"name": "ifs", "role": "nwp", "kind": "ecmwf-opendata", "area": [22, 105, 20, 107]},
                {"name": "cams", "role": "ctm", "kind": "cams-ads", "area": [22, 105, 20, 107]},
            ],
            **overrides,
        }
    )


def test_station_cube_from_synthetic_grib(tmp_path):
    layout = HomeLayout(tmp_path)
    write_nwp(tmp_path / "inputs" / "2026-11-22T00Z" / "ifs", CYCLE)
    write_ctm(tmp_path / "inputs" / "2026-11-22T00Z" / "cams", CYCLE)
    cube, report = build_station_cube(layout, CYCLE, STATIONS, config(), leads=12)
    assert cube.sizes == {"station": 2, "lead": 12}
    assert pd.Timestamp(cube.valid_time.values[0]) == pd.Timestamp("2026-11-22T01:00")
    a = cube.sel(station="hn-a")
    # lead 3 is step 3: exact bilinear value, in °C
    assert a["t2m"].sel(lead=3).item() == pytest.approx(t2m_k(21.03, 105.85, 3) - 273.15, abs=0.01)
    # lead 1 lies between steps 0 and 3: linear in time
    assert a["t2m"].sel(lead=1).item() == pytest.approx(t2m_k(21.03, 105.85, 1) - 273.15, abs=0.01)
    assert a["sp"].sel(lead=3).item() == pytest.approx(1010.0, abs=0.01)  # hPa
    assert a["tp"].sel(lead=2).item() == pytest.approx(1.0, abs=1e-3)  # mm in the hour
    assert a["ws10"].sel(lead=3).item() == pytest.approx(3.0)
    assert a["wd10"].sel(lead=3).item() == pytest.approx(90.0)  # u = -3: wind from the east
    assert a["inversion_flag"].sel(lead=3).item() == 1
    assert a["inversion_strength_k"].sel(lead=3).item() > 0
    assert a["lapse_t850_t2m_k"].sel(lead=3).item() == pytest.approx(-5.0, abs=0.01)
    assert a["ventilation_coefficient_m2_s"].sel(lead=3).item() == pytest.approx(1200.0, rel=0.01)
    assert a["ctm_pm25"].sel(lead=6).item() == pytest.approx(45.0, rel=1e-3)  # kg m-3 -> µg/m³
    assert "is_holiday" in cube and "burning_season" in cube
    assert not np.isnan(a["t2m"].sel(lead=12).item())  # step 12 is the last: lead 12 still covered
    assert report.used("nwp").name == "ifs" and report.used("ctm").name == "cams"
    assert report.fallbacks == []
    assert "tcc" in report.missing_variables["nwp"]
    assert report.missing_variables["ctm"] == ["pm10", "no2", "o3", "so2", "co"]


def test_previous_cycle_is_used_shifted_when_the_cycle_is_missing(tmp_path):
    layout = HomeLayout(tmp_path)
    previous = CYCLE - pd.Timedelta(hours=12)
    write_nwp(tmp_path / "inputs" / "2026-11-21T12Z" / "ifs", previous, steps=[12, 15, 18, 21, 24])
    cube, report = build_station_cube(layout, CYCLE, STATIONS, config(), leads=12)
    assert any("shifted by 12 h" in f for f in report.fallbacks)
    assert any("ctm: no usable source" in f for f in report.fallbacks)
    # old step 15 is the new lead 3
    assert cube.sel(station="hn-a")["t2m"].sel(lead=3).item() == pytest.approx(
        t2m_k(21.03, 105.85, 15) - 273.15, abs=0.01
    )
    assert "ctm_pm25" not in cube


def test_a_broken_source_is_reported_and_the_next_one_used(tmp_path):
    layout = HomeLayout(tmp_path)
    bad = tmp_path / "inputs" / "2026-11-22T00Z" / "ifs"
    bad.mkdir(parents=True)
    (bad / "ifs_f000.grib2").write_bytes(b"GRIB" + b"\0" * 40)
    write_nwp(tmp_path / "inputs" / "2026-11-22T00Z" / "backup", CYCLE)
    cfg = SourcesConfig.model_validate(
        {"sources": [
            {"name": "ifs", "role": "nwp", "kind": "ecmwf-opendata", "area": [22, 105, 20, 107]},
            {"name": "backup", "role": "nwp", "kind": "local", "priority": 1, "path_pattern": "/nowhere/*.grib2",
             "area": [22, 105, 20, 107]},
        ]}
    )
    cube, report = build_station_cube(layout, CYCLE, STATIONS, cfg, leads=6)
    failed = [s for s in report.sources if s.name == "ifs"][0]
    assert failed.status == "failed" and "ifs_f000.grib2" in failed.reason
    assert report.used("nwp").name == "backup"
    assert "t2m" in cube


def test_stations_outside_the_grid_are_reported_not_invented(tmp_path):
    layout = HomeLayout(tmp_path)
    write_nwp(tmp_path / "inputs" / "2026-11-22T00Z" / "ifs", CYCLE)
    far = station("hcm-far", 10.78, 106.70)
    cube, report = build_station_cube(layout, CYCLE, [*STATIONS, far], config(), leads=6)
    assert report.stations_outside["nwp"] == ["hcm-far"]
    assert np.isnan(cube.sel(station="hcm-far")["t2m"].values).all()


def test_cli_extract_writes_cf_netcdf_and_refuses_to_overwrite(tmp_path):
    import xarray as xr
    from typer.testing import CliRunner

    from forecast.cli import app

    write_nwp(tmp_path / "inputs" / "2026-11-22T00Z" / "ifs", CYCLE)
    write_ctm(tmp_path / "inputs" / "2026-11-22T00Z" / "cams", CYCLE)
    (tmp_path / "sources.yaml").write_text(config().model_dump_json(), encoding="utf-8")
    out = tmp_path / "cube.nc"
    args = ["inputs", "extract", "--cycle", "2026-11-22T00Z", "-o", str(out), "--home", str(tmp_path),
            "--station", "us-embassy-hanoi", "--station", "hn-an-khanh"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out) as cube:
        assert cube.attrs["featureType"] == "timeSeries"
        assert cube["station_id"].attrs["cf_role"] == "timeseries_id"
        assert cube["t2m"].attrs["standard_name"] == "air_temperature" and cube["t2m"].attrs["units"] == "degC"
        assert cube["ctm_pm25"].attrs["standard_name"].startswith("mass_concentration_of_pm2p5")
        assert cube.sizes["station"] == 2 and cube.sizes["lead"] == 72
        assert "ifs" in cube.attrs["input_report"]
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.output


def test_cli_extract_without_inputs_says_what_to_do(tmp_path):
    from typer.testing import CliRunner

    from forecast.cli import app

    result = CliRunner().invoke(app, ["inputs", "extract", "--cycle", "2026-11-22T00Z", "-o", str(tmp_path / "c.nc"),
                                      "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "vnaqi inputs fetch" in result.output


def test_real_cams_reanalysis_through_the_entry_point(shared_data, tmp_path):
    """EAC4 over Milan as a local CTM source: ctm_pm25 at a station equals a hand bilinear interpolation."""
    import xarray as xr

    src = shared_data / "cams_eac4_milan" / "cams_global_reanalysis_concentrations_2010.nc"
    folder = tmp_path / "inputs" / "2010-01-01T00Z" / "eac4"
    folder.mkdir(parents=True)
    (folder / src.name).symlink_to(src)
    cfg = SourcesConfig.model_validate(
        {"sources": [{"name": "eac4", "role": "ctm", "kind": "local", "path_pattern": str(src),
                      "area": [47, 8, 44, 12]}]}
    )
    milan = station("it-milan", 45.4642, 9.19)
    cube, report = build_station_cube(HomeLayout(tmp_path), pd.Timestamp("2010-01-01T00:00Z"), [milan], cfg, leads=6)
    assert report.used("ctm").name == "eac4"
    with xr.open_dataset(src) as raw:
        pm = raw["pm2p5"].sel(time="2010-01-01T03:00")  # 3-hourly: lead 3
        lat0, lat1, lon0, lon1 = 45.0, 45.75, 9.0, 9.75
        fy, fx = (45.4642 - lat0) / (lat1 - lat0), (9.19 - lon0) / (lon1 - lon0)
        corners = [float(pm.sel(latitude=la, longitude=lo)) for la in (lat0, lat1) for lo in (lon0, lon1)]
        expected = (corners[0] * (1 - fy) * (1 - fx) + corners[1] * (1 - fy) * fx
                    + corners[2] * fy * (1 - fx) + corners[3] * fy * fx)
    assert cube.sel(station="it-milan")["ctm_pm25"].sel(lead=3).item() == pytest.approx(expected, rel=1e-4)
