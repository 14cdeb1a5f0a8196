"""Readers on real GRIB/NetCDF files of ../shared/data, checked against values decoded with plain ecCodes."""

from __future__ import annotations

from pathlib import Path

import eccodes
import netCDF4
import numpy as np
import pytest
from inputs_helpers import eccodes_field, hours, on_grid

from configs.errors import InputFileError
from met_inputs.sources import detect_convention, ifs, open_source
from met_inputs.sources._contract import ReadOptions
from met_inputs.sources._gribread import GribField, read_grib_fields
from met_inputs.sources._scan import scan_files

pytestmark = pytest.mark.realdata

SKT_AS_T2M = (GribField("t2m", "skt", {"paramId": 235}, ("surface",)),)
"""Skin temperature read through the t2m slot (both K): exercises the contract on files holding only skt."""


@pytest.fixture(scope="module")
def cfgrib_dir(shared_data: Path) -> Path:
    path = shared_data / "grib_samples" / "cfgrib"
    if not path.is_dir():
        pytest.skip("grib_samples absent")
    return path


def test_t_on_pressure_levels_is_taken_from_the_isobaric_message_not_the_hybrid_one(cfgrib_dir: Path) -> None:
    path = cfgrib_dir / "t_on_different_level_types.grib"
    ds = open_source(path)
    isobaric, hybrid = eccodes_field(path, 0), eccodes_field(path, 1)
    assert (isobaric["typeOfLevel"], hybrid["typeOfLevel"]) == ("isobaricInhPa", "hybrid")
    assert list(ds.data_vars) == ["t"] and ds.level.values.tolist() == [100]
    np.testing.assert_allclose(ds.t.isel(step=0, level=0), on_grid(isobaric, ds.t), rtol=1e-6)
    assert not np.allclose(on_grid(hybrid, ds.t), ds.t.isel(step=0, level=0))


def test_u_and_v_on_different_level_sets_share_a_level_axis_with_nan_where_absent(cfgrib_dir: Path) -> None:
    path = cfgrib_dir / "uv_on_different_levels.grib"
    ds = open_source(path)
    assert ds.level.values.tolist() == [1000, 850, 700, 500, 400]
    assert hours(ds.step) == [6, 12]
    u_850_12 = eccodes_field(path, 6)  # u, 850 hPa, step 12
    assert (u_850_12["shortName"], u_850_12["level"], u_850_12["endStep"]) == ("u", 850, 12)
    np.testing.assert_allclose(ds.u.sel(level=850).isel(step=1), on_grid(u_850_12, ds.u), rtol=1e-6)
    v_700_6 = eccodes_field(path, 11)
    assert (v_700_6["shortName"], v_700_6["level"], v_700_6["endStep"]) == ("v", 700, 6)
    np.testing.assert_allclose(ds.v.sel(level=700).isel(step=0), on_grid(v_700_6, ds.v), rtol=1e-6)
    assert ds.v.sel(level=[850, 400]).isnull().all()


def test_levels_in_pa_below_one_hpa_are_skipped_and_hpa_levels_kept(cfgrib_dir: Path) -> None:
    path = cfgrib_dir / "hpa_and_pa.grib"
    ds = open_source(path)
    assert ds.level.values.tolist() == [1]
    assert ds.level.dtype == np.int64 and ds.level.attrs["units"] == "hPa"
    np.testing.assert_allclose(ds.t.isel(step=0, level=0), on_grid(eccodes_field(path, 0), ds.t), rtol=1e-6)


def test_soil_levels_are_ignored_and_2t_read_from_the_surface_mix(cfgrib_dir: Path) -> None:
    path = cfgrib_dir / "soil-surface-level-mix.grib"
    ds = open_source(path)
    assert list(ds.data_vars) == ["t2m"]
    np.testing.assert_allclose(ds.t2m.isel(step=0), on_grid(eccodes_field(path, 0), ds.t2m), rtol=1e-6)


def test_instant_and_average_hypercubes_of_one_parameter_are_read_separately(cfgrib_dir: Path) -> None:
    path = cfgrib_dir / "cfrzr_and_cprat.grib"
    specs = [
        GribField(name, "cpr", {"paramId": 260033}, ("surface",), step_types=(step_type,))
        for name, step_type in (("cpr_instant", "instant"), ("cpr_avg", "avg"))
    ]
    raws = {r.name: r for r in read_grib_fields(specs, scan_files([path]), ReadOptions())}
    assert raws["cpr_instant"].kind == "instant" and raws["cpr_avg"].kind == "avg"
    assert hours(raws["cpr_avg"].starts) == [0]
    for name, index in (("cpr_instant", 0), ("cpr_avg", 1)):
        data = raws[name].data.isel(step=0).sortby("latitude")
        np.testing.assert_allclose(data, on_grid(eccodes_field(path, index), data), rtol=1e-6)
    assert not np.allclose(raws["cpr_instant"].data.values, raws["cpr_avg"].data.values)
    with pytest.raises(InputFileError, match="no usable field"):
        open_source(path)  # GFS convention, but no variable the service uses


def test_steps_coded_in_minutes_become_hourly_steps_and_sample_values_are_flagged(cfgrib_dir: Path) -> None:
    path = cfgrib_dir / "step_60m.grib"
    (raw,) = read_grib_fields(ifs.FIELDS, scan_files([path]), ReadOptions())
    assert hours(raw.data.step) == list(range(73))
    last = eccodes_field(path, 72)
    assert last["numberOfMissing"] == 3
    data = raw.data.isel(step=72).sortby("latitude")
    np.testing.assert_allclose(data, on_grid(last, data), rtol=1e-6)  # NaN at the 3 bitmap points
    # the sample's 2 m temperatures are about -3 … 4 "K": °C mislabelled; the reader refuses them
    with pytest.raises(InputFileError, match=r"t2m \(2t\): .*plausible range"):
        open_source(path)


def test_south_to_north_scanning_gives_the_same_field_as_north_to_south(cfgrib_dir: Path) -> None:
    south_first = ifs.open_source([cfgrib_dir / "scanning_mode_64.grib"], fields=SKT_AS_T2M)
    north_first = ifs.open_source([cfgrib_dir / "regular_ll_sfc.grib"], fields=SKT_AS_T2M)
    field = eccodes_field(cfgrib_dir / "scanning_mode_64.grib", 0)
    assert field["latitudes"][0] == -90.0  # stored south to north
    assert (np.diff(south_first.latitude) > 0).all() and south_first.latitude[0] == -90.0
    assert south_first.t2m.isel(step=0, latitude=0, longitude=0) == pytest.approx(field["values"][0], rel=1e-6)
    np.testing.assert_array_equal(south_first.t2m.values, north_first.t2m.values)
    assert south_first.longitude.values.min() == -180.0 and (np.diff(south_first.longitude) > 0).all()


def test_bitmap_points_are_nan_and_two_analyses_form_an_analysis_sequence(cfgrib_dir: Path) -> None:
    path = cfgrib_dir / "fields_with_missing_values.grib"
    ds = open_source(path)
    assert ds.attrs["product"] == "analysis"
    assert ds.init_time.values == np.datetime64("2017-10-18T00:00")
    assert hours(ds.step) == [0, 12]
    for index in (0, 1):
        field = eccodes_field(path, index)
        assert int(ds.t2m.isel(step=index).isnull().sum()) == field["numberOfMissing"] > 0
        np.testing.assert_allclose(ds.t2m.isel(step=index), on_grid(field, ds.t2m), rtol=1e-6)


def test_alternate_row_scanning_and_a_grid_across_greenwich(cfgrib_dir: Path) -> None:
    path = cfgrib_dir / "alternate-scanning.grib"
    ds = open_source(path)
    assert ds.longitude.values[0] == pytest.approx(-10.0) and ds.longitude.values[-1] == pytest.approx(19.0)
    with open(path, "rb") as handle_file:
        handle = eccodes.codes_grib_new_from_file(handle_file)
    try:
        assert eccodes.codes_get(handle, "alternativeRowScanning") == 1
        ni, nj = eccodes.codes_get(handle, "Ni"), eccodes.codes_get(handle, "Nj")
        rows = eccodes.codes_get_values(handle).reshape(nj, ni)  # storage order, rows north → south
    finally:
        eccodes.codes_release(handle)
    rows[1::2] = rows[1::2, ::-1]  # every other row is stored east → west
    np.testing.assert_allclose(ds.t2m.isel(step=0), rows[::-1], rtol=1e-6)  # 350 … 359, 0 … 19 °E stay in order


def test_geopotential_on_pressure_levels_becomes_height_and_steps_are_sorted(cfgrib_dir: Path) -> None:
    path = cfgrib_dir / "multi_param_on_multi_dims.grib"
    ds = open_source(path, levels=[1000, 850])
    assert ds.level.values.tolist() == [1000, 850] and ds.sizes["step"] == 4
    z_850_0 = eccodes_field(path, 3)
    assert (z_850_0["shortName"], z_850_0["level"]) == ("z", 850)
    np.testing.assert_allclose(ds.gh.sel(level=850).isel(step=0), on_grid(z_850_0, ds.gh) / 9.80665, rtol=1e-6)
    assert ds.gh.attrs["units"] == "m" and ds.gh.attrs["provider_units"] == "m**2 s**-2"


def test_chem_cams_mixing_ratios_need_air_density(shared_data: Path) -> None:
    path = shared_data / "grib_samples" / "earthkit-data" / "chem-cams.grib"
    assert detect_convention(path) == "cams"
    with pytest.raises(InputFileError, match=r"chem-cams\.grib: field .* mixing ratio .*air density.*air_density"):
        open_source(path)
    ds = open_source(path, air_density=1.2)
    assert sorted(ds.data_vars) == ["co", "o3"]  # HCHO (mass_mixrat, constituentType 7) is not ours
    for name, index in (("co", 0), ("o3", 2)):
        expected = on_grid(eccodes_field(path, index), ds[name]) * 1.2 * 1e9
        np.testing.assert_allclose(ds[name].isel(step=0), expected, rtol=1e-5)
        assert ds[name].attrs["units"] == "ug m-3" and ds[name].attrs["provider_units"] == "kg kg**-1"


def test_cams_eac4_netcdf_is_an_analysis_sequence_in_ug_m3(shared_data: Path) -> None:
    folder = shared_data / "cams_eac4_milan"
    if not folder.is_dir():
        pytest.skip("cams_eac4_milan absent")
    files = [folder / f"cams_global_reanalysis_concentrations_{y}.nc" for y in (2020, 2021)]
    ds = open_source(files)
    assert ds.attrs["product"] == "analysis" and ds.attrs["convention"] == "cams"
    assert ds.init_time.values == np.datetime64("2020-01-01T00:00")
    assert ds.sizes["step"] == 2928 + 2920 and (np.diff(ds.step.values) == np.timedelta64(3, "h")).all()
    assert ds.valid_time.values[-1] == np.datetime64("2021-12-31T21:00")
    assert ds.latitude.values.tolist() == [45.0, 45.75, 46.5]
    with netCDF4.Dataset(files[0]) as nc:
        assert nc["pm2p5"].units == "ug m**-3"
        raw = np.asarray(nc["pm2p5"][:5], dtype=float)  # lat stored 46.5, 45.75, 45.0
        raw_o3 = np.asarray(nc["go3"][:], dtype=float)
    np.testing.assert_allclose(ds.pm25.isel(step=slice(0, 5)).values, np.clip(raw[:, ::-1, :], 0, None), rtol=1e-6)
    assert (ds.o3.values >= 0).all() and raw_o3.min() < 0  # numerical noise clipped at 0
    assert ds.pm25.attrs["standard_name"] == "mass_concentration_of_pm2p5_ambient_aerosol_particles_in_air"


def test_global_grid_starting_at_180_east_is_rolled_to_ascending_longitudes(shared_data: Path) -> None:
    path = shared_data / "grib_samples" / "grib-rs" / "CMC_glb_TMP_ISBL_1_latlon.24x.24_2021051800_P000.grib2"
    ds = open_source(path, area=(24.0, 101.0, 8.0, 110.0))
    assert (np.diff(ds.longitude) > 0).all() and (np.diff(ds.latitude) > 0).all()
    assert ds.latitude.values[0] < 8.0 < 24.0 < ds.latitude.values[-1]  # one cell of margin
    np.testing.assert_allclose(ds.t.isel(step=0, level=0), on_grid(eccodes_field(path, 0), ds.t), rtol=1e-6)
