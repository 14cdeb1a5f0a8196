"""Bad gridded input: one clear InputFileError per case, naming the file, the field and the reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from configs.errors import InputFileError
from forecast.cli import app
from met_inputs.gribwrite import LatLonGrid, gfs_field, ifs_field, write_grib2
from met_inputs.sources import open_source

INIT = "2026-11-22T00"
GRID = LatLonGrid(north=22.0, south=20.0, west=104.0, east=106.0, step=1.0)


def full(value: float) -> np.ndarray:
    return np.full(GRID.shape, value)


def surface_file(path: Path, step: int, *, with_d2m: bool = True, init: str = INIT) -> Path:
    fields = [ifs_field("2t", full(300.0), GRID, init, step)]
    if with_d2m:
        fields.append(ifs_field("2d", full(295.0), GRID, init, step))
    return write_grib2(path, fields)


def test_corrupt_real_file_is_refused_whole(shared_data: Path) -> None:
    path = shared_data / "grib_samples" / "cfgrib" / "era5-levels-corrupted.grib"
    with pytest.raises(InputFileError, match=r"era5-levels-corrupted\.grib: corrupt or truncated GRIB: message 1"):
        open_source(path)


def test_truncated_file_names_the_message_that_cannot_be_read(tmp_path: Path) -> None:
    whole = surface_file(tmp_path / "whole.grib2", 3).read_bytes()
    cut = tmp_path / "cut.grib2"
    cut.write_bytes(whole[: len(whole) - 20])
    with pytest.raises(
        InputFileError, match=r"cut\.grib2: corrupt or truncated GRIB: message 2 .*1 message\(s\) before"
    ):
        open_source(cut)


def test_missing_required_variable_lists_what_the_files_hold(tmp_path: Path) -> None:
    path = surface_file(tmp_path / "sfc.grib2", 3)
    with pytest.raises(InputFileError, match=r"sfc\.grib2: required variable\(s\) blh not found .*t2m ← 2t"):
        open_source(path, required=["t2m", "blh"])


def test_mismatched_steps_between_fields_name_the_field_and_steps(tmp_path: Path) -> None:
    files = [surface_file(tmp_path / f"s{step}.grib2", step, with_d2m=step != 6) for step in (0, 3, 6)]
    with pytest.raises(InputFileError, match=r"field d2m \(2d\) has no data for step\(s\) 6 h .*mismatched steps"):
        open_source(files)


def test_all_nan_field_is_refused(tmp_path: Path) -> None:
    path = write_grib2(tmp_path / "empty.grib2", [ifs_field("2t", full(np.nan), GRID, INIT, 3)])
    with pytest.raises(InputFileError, match=r"empty\.grib2: field t2m \(2t\) is entirely missing .* step 3 h"):
        open_source(path)


def test_celsius_values_labelled_kelvin_are_refused(tmp_path: Path) -> None:
    path = write_grib2(tmp_path / "celsius.grib2", [ifs_field("2t", full(25.0), GRID, INIT, 3)])
    with pytest.raises(InputFileError, match=r"celsius\.grib2: field t2m \(2t\): .*plausible range .*wrong units"):
        open_source(path)


def test_units_that_cannot_be_temperature_are_refused(tmp_path: Path) -> None:
    ds = xr.Dataset(
        {"t2m": (("time", "latitude", "longitude"), np.full((1, 2, 2), 300.0), {"units": "kg"})},
        coords={"time": [np.datetime64(INIT, "ns")], "latitude": [10.0, 11.0], "longitude": [105.0, 106.0]},
    )
    ds.to_netcdf(tmp_path / "kg.nc")
    with pytest.raises(InputFileError, match=r"kg\.nc: field t2m \(t2m\): .*units 'kg'.* K"):
        open_source(tmp_path / "kg.nc")


def test_file_of_another_cycle_is_refused(tmp_path: Path) -> None:
    path = surface_file(tmp_path / "old.grib2", 3, init="2026-11-21T12")
    with pytest.raises(
        InputFileError, match=r"old\.grib2: file is for cycle 2026-11-21T12Z, not the expected 2026-11-22T00Z"
    ):
        open_source(path, expected_init_time="2026-11-22T00:00")


def test_several_cycles_in_one_set_are_refused(tmp_path: Path) -> None:
    files = [surface_file(tmp_path / "a.grib2", 3), surface_file(tmp_path / "b.grib2", 3, init="2026-11-21T12")]
    with pytest.raises(InputFileError, match="2 forecast cycles"):
        open_source(files)


def test_a_text_file_is_not_grib(tmp_path: Path) -> None:
    path = tmp_path / "notes.grib2"
    path.write_text("GRIB2 files are described in SOURCE.md\n")
    with pytest.raises(InputFileError, match=r"notes\.grib2: not a GRIB or NetCDF file"):
        open_source(path)


@pytest.mark.parametrize(
    ("folder", "name", "reason"),
    [
        ("grib-rs", "icon_global_icosahedral_single-level_2021112018_000_TOT_PREC.grib2", "icosahedral/unstructured"),
        ("cfgrib", "spherical_harmonics.grib", "spherical harmonics"),
        ("cfgrib", "reduced_gg.grib", "reduced Gaussian"),
    ],
)
def test_unsupported_grids_are_named(shared_data: Path, folder: str, name: str, reason: str) -> None:
    with pytest.raises(InputFileError, match=rf"{name}: cannot use: unsupported grid: {reason}"):
        open_source(shared_data / "grib_samples" / folder / name)


def test_grid_whose_header_contradicts_itself_is_refused(shared_data: Path) -> None:
    path = shared_data / "grib_samples" / "cfgrib" / "regular_ll_wrong_increment.grib"
    with pytest.raises(InputFileError, match=r"field t2m \(2t\): inconsistent grid: latitudes are not evenly spaced"):
        open_source(path)


def test_decreasing_run_total_is_not_silently_clipped(tmp_path: Path) -> None:
    fields = [ifs_field("tp", full(tp), GRID, INIT, step) for step, tp in ((3, 0.010), (6, 0.004))]
    with pytest.raises(InputFileError, match=r"field tp \(tp\): cannot de-accumulate: run total decreases .* step 6 h"):
        open_source(write_grib2(tmp_path / "tp.grib2", fields))


def test_bucket_whose_start_step_is_missing_cannot_be_deaccumulated(tmp_path: Path) -> None:
    fields = [
        gfs_field("APCP", full(2.0), GRID, INIT, (0, 3), step_type="accum"),
        gfs_field("APCP", full(1.0), GRID, INIT, (6, 9), step_type="accum"),  # the 0-6 file is missing
    ]
    with pytest.raises(InputFileError, match=r"field tp \(APCP:surface\): .*window 6–9 h starts neither at 0"):
        open_source(write_grib2(tmp_path / "apcp.grib2", fields))


def test_unknown_variable_names_are_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown variable"):
        open_source(surface_file(tmp_path / "s.grib2", 3), variables=["temperature"])


def test_inspect_reports_usable_unusable_and_unreadable_files(tmp_path: Path, shared_data: Path) -> None:
    runner = CliRunner()
    good = write_grib2(tmp_path / "gfs.grib2", [gfs_field("HPBL", full(600.0), GRID, INIT, 3)])
    result = runner.invoke(app, ["inputs", "inspect", str(good)])
    assert result.exit_code == 0, result.output
    assert "HPBL:surface" in result.output and "blh" in result.output and "usable" in result.output
    sh = shared_data / "grib_samples" / "cfgrib" / "spherical_harmonics.grib"
    result = runner.invoke(app, ["inputs", "inspect", str(sh)])
    assert result.exit_code == 1 and "cannot use" in result.output and "spherical harmonics" in result.output
    bad = tmp_path / "bad.grib2"
    bad.write_bytes(good.read_bytes()[:-30])
    result = runner.invoke(app, ["inputs", "inspect", str(bad)])
    assert result.exit_code == 2 and "corrupt or truncated GRIB" in result.output
