"""The fast GRIB reader against hand-set values and against cfgrib, on files written here with eccodes."""

from __future__ import annotations

from pathlib import Path

import eccodes as ec
import numpy as np
import pytest
import xarray as xr

from met_inputs.fastgrib import read_grib
from met_inputs.grib2raw import parse_grib2, split_messages

LATS = np.array([10.0, 5.0, 0.0])  # written north → south, as GRIB usually scans
LONS = np.array([350.0, 355.0, 0.0, 5.0, 10.0])  # crosses the Greenwich meridian on 0…360


def field_values(offset: float) -> np.ndarray:
    lat2, lon2 = np.meshgrid(LATS, np.where(LONS >= 180, LONS - 360, LONS), indexing="ij")
    return offset + 10.0 * lat2 + lon2


def write(path: Path, edition: int = 2, missing_point: bool = False) -> None:
    sample = ec.codes_grib_new_from_samples(f"regular_ll_sfc_grib{edition}")
    grid = {
        "Ni": 5, "Nj": 3, "latitudeOfFirstGridPointInDegrees": 10.0, "latitudeOfLastGridPointInDegrees": 0.0,
        "longitudeOfFirstGridPointInDegrees": 350.0, "longitudeOfLastGridPointInDegrees": 10.0,
        "iDirectionIncrementInDegrees": 5.0, "jDirectionIncrementInDegrees": 5.0,
        "dataDate": 20261122, "dataTime": 1200, "bitsPerValue": 24,
    }  # fmt: skip
    for key, value in grid.items():
        ec.codes_set(sample, key, value)
    with path.open("wb") as stream:
        for step in (0, 6):
            messages = [("2t", "heightAboveGround", 2, 200.0), ("t", "isobaricInhPa", 850, 250.0)]
            messages += [("t", "isobaricInhPa", 500, 230.0)]
            if edition == 2:
                messages.append(("tp", None, 0, 0.0))
            for short_name, level_type, level, offset in messages:
                handle = ec.codes_clone(sample)
                if short_name == "tp":
                    ec.codes_set(handle, "productDefinitionTemplateNumber", 8)
                    ec.codes_set(handle, "shortName", "tp")
                    ec.codes_set(handle, "stepRange", f"0-{step}")
                else:
                    ec.codes_set(handle, "typeOfLevel", level_type)
                    ec.codes_set(handle, "level", level)
                    ec.codes_set(handle, "shortName", short_name)
                    ec.codes_set(handle, "step", step)
                values = field_values(offset + step).ravel()
                if missing_point and short_name == "2t":
                    ec.codes_set(handle, "bitmapPresent", 1)
                    values[0] = ec.codes_get_double(handle, "missingValue")
                ec.codes_set_values(handle, values)
                ec.codes_write(handle, stream)
                ec.codes_release(handle)
    ec.codes_release(sample)


@pytest.fixture()
def grib2(tmp_path: Path) -> Path:
    path = tmp_path / "small.grib2"
    write(path, missing_point=True)
    return path


def test_axes_follow_the_contract(grib2):
    ds = read_grib(grib2)
    assert ds.latitude.values.tolist() == [0.0, 5.0, 10.0]
    assert ds.longitude.values.tolist() == [-10.0, -5.0, 0.0, 5.0, 10.0]
    assert ds.level.values.tolist() == [850, 500]
    assert (ds.step.values / np.timedelta64(1, "h")).tolist() == [0.0, 6.0]
    assert str(ds.init_time.values) == "2026-11-22T12:00:00.000000000"
    assert ds.t.dims == ("step", "level", "latitude", "longitude")
    assert ds.t2m.dtype == np.float32


def test_values_land_on_the_right_point(grib2):
    ds = read_grib(grib2, dtype=np.float64)
    # t at 850 hPa, step 6 h, lat 5, lon -5: 250 + 6 + 10·5 − 5 = 301
    assert ds.t.sel(step=np.timedelta64(6, "h"), level=850, latitude=5.0, longitude=-5.0) == pytest.approx(301.0)
    # tp accumulated 0–6 h is stamped at its end, 6 h: 0 + 6 + 10·0 + 10 = 16
    assert ds.tp.sel(step=np.timedelta64(6, "h"), latitude=0.0, longitude=10.0) == pytest.approx(16.0)
    # the missing point (first written: lat 10, lon 350) is NaN
    assert np.isnan(ds.t2m.sel(latitude=10.0, longitude=-10.0)).all()
    assert ds.t2m.sel(step=np.timedelta64(0, "h"), latitude=10.0, longitude=-5.0) == pytest.approx(295.0)


def test_same_values_as_cfgrib(grib2):
    ds = read_grib(grib2)
    cf = xr.open_dataset(grib2, engine="cfgrib", backend_kwargs={"indexpath": "", "filter_by_keys": {
        "typeOfLevel": "isobaricInhPa"}})  # fmt: skip
    cf = cf.rename(isobaricInhPa="level").assign_coords(longitude=(cf.longitude + 180) % 360 - 180)
    cf = cf.sortby(["latitude", "longitude"])
    np.testing.assert_array_equal(cf.t.values, ds.t.values)


def test_variables_filter_and_grib1_fallback(tmp_path: Path):
    path = tmp_path / "small.grib1"
    write(path, edition=1)
    ds = read_grib(path, variables=["t"])
    assert list(ds.data_vars) == ["t"]
    assert ds.t.sel(step=np.timedelta64(0, "h"), level=500, latitude=0.0, longitude=0.0) == pytest.approx(230.0)


def test_octet_headers_match_eccodes(grib2):
    data = grib2.read_bytes()
    for offset, length, edition in split_messages(data):
        assert edition == 2
        header = parse_grib2(data, offset, length)
        handle = ec.codes_new_from_message(data[offset : offset + length])
        assert header.step_hours == ec.codes_get_long(handle, "endStep")
        if ec.codes_get_string(handle, "typeOfLevel") == "isobaricInhPa":
            assert header.level_hpa == ec.codes_get_long(handle, "level")
        assert header.bitmap == bool(ec.codes_get_long(handle, "bitmapPresent"))
        assert header.reference_time == (ec.codes_get_long(handle, "dataDate"), ec.codes_get_long(handle, "dataTime"))
        ec.codes_release(handle)


def test_bad_files_are_named(tmp_path: Path):
    empty = tmp_path / "empty.grib2"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.grib2"):
        read_grib(empty)
    twice = tmp_path / "twice.grib2"
    write(twice)
    twice.write_bytes(twice.read_bytes() * 2)
    with pytest.raises(ValueError, match="appears twice"):
        read_grib(twice)


def test_provider_like_files_match_cfgrib(tmp_path: Path):
    from met_inputs.gribwrite import LatLonGrid, cams_field, gfs_field, write_grib2

    grid = LatLonGrid(north=24.0, south=8.0, west=101.0, east=110.0, step=1.0)
    rng = np.random.default_rng(3)
    fields = []
    for step in (3, 6):
        fields += [
            cams_field(name, rng.random(grid.shape) * 1e-8, grid, "2026-11-22T00", step)
            for name in ("pm2p5", "pm10", "no2", "go3")
        ]  # fmt: skip  (templates 4.48 and 4.40)
        fields += [
            gfs_field("APCP", rng.random(grid.shape), grid, "2026-11-22T00", (step - 3, step), step_type="accum"),
            gfs_field("TMP", 280 + rng.random(grid.shape), grid, "2026-11-22T00", step,
                      type_of_level="isobaricInhPa", level=850),
        ]  # fmt: skip
    path = write_grib2(tmp_path / "providers.grib2", fields)
    ours = read_grib(path)
    for keys in ({"centre": "ecmf"}, {"typeOfLevel": "isobaricInhPa"}, {"stepType": "accum"}):
        theirs = xr.open_dataset(path, engine="cfgrib", backend_kwargs={"indexpath": "", "filter_by_keys": keys})
        theirs = theirs.sortby("latitude")
        for name in theirs.data_vars:
            np.testing.assert_array_equal(np.squeeze(ours[name].values), np.squeeze(theirs[name].values), name)
            assert (ours.step.values == theirs.step.values).all()


def test_octets_that_disagree_with_eccodes_fall_back_to_keys(grib2, monkeypatch):
    import dataclasses

    import met_inputs.fastgrib as fastgrib

    expected = read_grib(grib2)

    def wrong_step(*args):
        header = parse_grib2(*args)
        return None if header is None else dataclasses.replace(header, step_hours=header.step_hours + 1)

    monkeypatch.setattr(fastgrib, "parse_grib2", wrong_step)
    ds = read_grib(grib2)
    assert (ds.step.values / np.timedelta64(1, "h")).tolist() == [0.0, 6.0]  # eccodes' steps, not the octets'
    xr.testing.assert_identical(ds, expected)
