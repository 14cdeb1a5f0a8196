"""The eccodes-direct and cfgrib decoders of met_inputs.sources give identical Datasets; the octet header
scan gives the same messages as the ecCodes one; files the direct decoder does not handle go to cfgrib."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from configs.errors import InputFileError
from met_inputs.gribwrite import LatLonGrid, cams_field, gfs_field, ifs_field, write_grib2
from met_inputs.sources import ReadOptions, open_source
from met_inputs.sources._gribread import decoder_attr, file_decoders
from met_inputs.sources._scan import scan_files, scan_grib

INIT = "2026-11-22T00"
GRID = LatLonGrid(north=24.0, south=20.0, west=102.0, east=106.0, step=1.0)
NOT_GRIB = {"LICENSE", "LICENCE", "SOURCE.md", "README.md"}


def smooth(offset: float, spread: float = 1.0, grid: LatLonGrid = GRID) -> np.ndarray:
    yy, xx = np.meshgrid(np.arange(grid.shape[0]), np.arange(grid.shape[1]), indexing="ij")
    return offset + spread * np.sin(yy * 0.7 + xx * 0.3)


def read_both(paths, **kwargs) -> tuple[xr.Dataset | str, xr.Dataset | str]:
    """The Dataset (or the error message) of each decoder."""
    out = []
    for decoder in ("auto", "cfgrib"):
        try:
            out.append(open_source(paths, decoder=decoder, **kwargs))
        except InputFileError as exc:
            out.append(f"InputFileError: {exc}")
    return out[0], out[1]


def assert_same(direct: xr.Dataset | str, cfgrib: xr.Dataset | str, decoder: str = "eccodes-direct") -> None:
    if isinstance(cfgrib, str):
        assert direct == cfgrib
        return
    assert isinstance(direct, xr.Dataset), direct
    assert direct.attrs["decoder"] == decoder and cfgrib.attrs["decoder"] == "cfgrib"
    xr.testing.assert_identical(direct.drop_attrs(deep=False), cfgrib.drop_attrs(deep=False))
    assert {k: v for k, v in direct.attrs.items() if k != "decoder"} == {
        k: v for k, v in cfgrib.attrs.items() if k != "decoder"
    }
    for name in direct.variables:
        assert direct[name].dtype == cfgrib[name].dtype


def write_ifs(folder: Path, grid: LatLonGrid = GRID) -> list[Path]:
    files = []
    for step in (0, 3, 6, 9):
        fields = [
            ifs_field("2t", smooth(295.0, 5.0, grid), grid, INIT, step),
            ifs_field("10u", smooth(1.0, 3.0, grid), grid, INIT, step),
            ifs_field("msl", smooth(101_000.0, 300.0, grid), grid, INIT, step),
            ifs_field("tcc", smooth(0.5, 0.4, grid), grid, INIT, step),
            ifs_field("tp", smooth(0.003 * step, 0.001 * step, grid), grid, INIT, step),
            ifs_field("ssrd", smooth(1e6 * step, 1e5 * step, grid), grid, INIT, step),
            *(ifs_field("t", smooth(280.0 + lv / 100, 2.0, grid), grid, INIT, step, level=lv) for lv in (1000, 850)),
        ]
        files.append(write_grib2(folder / f"ifs_{step:03d}.grib2", fields))
    return files


@pytest.mark.parametrize("south_to_north", [False, True])
def test_ifs_like_files_decode_identically(tmp_path: Path, south_to_north: bool) -> None:
    grid = LatLonGrid(north=24.0, south=20.0, west=102.0, east=106.0, step=1.0, south_to_north=south_to_north)
    assert_same(*read_both(write_ifs(tmp_path, grid)))


def test_options_are_applied_identically(tmp_path: Path) -> None:
    files = write_ifs(tmp_path)
    kwargs = {"variables": ["t2m", "t", "tp"], "levels": [850], "area": (23.0, 103.0, 21.5, 104.5)}
    assert_same(*read_both(files, expected_init_time=INIT, **kwargs))
    wrong_cycle = read_both(files, expected_init_time="2026-11-22T06")
    assert isinstance(wrong_cycle[0], str) and wrong_cycle[0] == wrong_cycle[1]


def write_gfs(folder: Path) -> list[Path]:
    apcp = {3: [(0, 3)], 6: [(0, 6)], 9: [(6, 9), (0, 9)], 12: [(6, 12), (0, 12)]}  # buckets and run totals
    files = []
    for step in (0, 3, 6, 9, 12):
        masked = smooth(650.0, 100.0)
        masked[0, :2] = np.nan  # a bitmap
        fields = [
            gfs_field("TMP", smooth(290.0 + step), GRID, INIT, step, type_of_level="heightAboveGround", level=2),
            gfs_field("PRMSL", smooth(101_000.0, 200.0), GRID, INIT, step, type_of_level="meanSea"),
            gfs_field("HPBL", masked, GRID, INIT, step),
            *(gfs_field("TMP", smooth(270.0 + lv / 50), GRID, INIT, step, type_of_level="isobaricInhPa", level=lv)
              for lv in (1000, 500)),
        ]  # fmt: skip
        for start, end in apcp.get(step, []):
            fields.append(gfs_field("APCP", smooth(0.5 * (end - start), 0.2), GRID, INIT, (start, end),
                                    step_type="accum"))  # fmt: skip
        if step:
            window = (0, step) if step % 6 else (step - 6, step)
            fields.append(gfs_field("DSWRF", smooth(150.0 + step, 40.0), GRID, INIT, window, step_type="avg"))
        files.append(write_grib2(folder / f"gfs.t00z.pgrb2.0p25.f{step:03d}", fields))
    return files


def test_gfs_like_files_with_buckets_averages_and_bitmaps_decode_identically(tmp_path: Path) -> None:
    direct, cfgrib = read_both(write_gfs(tmp_path))
    assert_same(direct, cfgrib)
    assert isinstance(direct, xr.Dataset) and direct.blh.isnull().any() and {"tp", "ssrd"} <= set(direct.data_vars)


def test_cams_like_files_decode_identically(tmp_path: Path) -> None:
    hybrid = {"type_of_level": "hybrid", "level": 2, "extra": {"PVPresent": 1, "pv": [0.0, 2000.0, 0.0, 0.0, 0.0, 1.0]}}
    fields = []
    for step in (0, 3):
        fields += [
            cams_field("pm2p5", smooth(2e-8, 5e-9), GRID, INIT, step),
            cams_field("no2", smooth(1e-9, 2e-10), GRID, INIT, step, **hybrid),
            cams_field("t", smooth(290.0, 3.0), GRID, INIT, step, **hybrid),
            cams_field("sp", smooth(100_000.0, 500.0), GRID, INIT, step),
        ]  # fmt: skip
    path = write_grib2(tmp_path / "cams.grib2", fields)
    direct, cfgrib = read_both([path])
    assert_same(direct, cfgrib)
    assert isinstance(direct, xr.Dataset) and {"pm25", "no2"} <= set(direct.data_vars)
    assert_same(*read_both([path], air_density=1.2))


def grib_samples(shared_data: Path) -> list[Path]:
    folder = shared_data / "grib_samples"
    if not folder.is_dir():
        pytest.skip("grib_samples absent")
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in NOT_GRIB)


def test_real_samples_give_identical_datasets_or_errors(shared_data: Path) -> None:
    direct_files = 0
    for path in grib_samples(shared_data):
        direct, cfgrib = read_both([path])
        if isinstance(cfgrib, str):
            assert direct == cfgrib, path
            continue
        assert isinstance(direct, xr.Dataset), (path, direct)
        decoder = direct.attrs["decoder"]
        assert decoder in ("eccodes-direct", "cfgrib"), path
        direct_files += decoder == "eccodes-direct"
        if decoder == "cfgrib":
            xr.testing.assert_identical(direct, cfgrib)
        else:
            assert_same(direct, cfgrib)
    assert direct_files >= 3  # the samples holding fields the readers use (CMC, GDAS, CAMS chemistry …)


def test_octet_scan_equals_the_eccodes_scan_on_real_samples(shared_data: Path) -> None:
    for path in grib_samples(shared_data):
        try:
            fast = scan_grib(path)
        except InputFileError as exc:
            with pytest.raises(InputFileError) as slow:
                scan_grib(path, octets=False)
            assert str(slow.value) == str(exc)
            continue
        assert fast == scan_grib(path, octets=False), path


def test_octet_scan_equals_the_eccodes_scan_on_synthetic_files(tmp_path: Path) -> None:
    for path in [*write_ifs(tmp_path), *write_gfs(tmp_path)]:
        assert scan_grib(path) == scan_grib(path, octets=False)


@pytest.mark.parametrize(
    "name", ["regular_ll_sfc.grib", "regular_gg_sfc.grib", "regular_gg_ml_g2.grib", "scanning_mode_64.grib"]
)
def test_grib1_and_other_grids_still_go_through_cfgrib(shared_data: Path, name: str) -> None:
    path = shared_data / "grib_samples" / "cfgrib" / name
    if not path.is_file():
        pytest.skip(f"{name} absent")
    scans = scan_files([path])
    assert file_decoders(scans, ReadOptions()) == {path: "cfgrib"}
    assert decoder_attr(scans, ReadOptions()) == "cfgrib"


def test_grib1_file_written_from_a_grib2_one_goes_through_cfgrib(tmp_path: Path) -> None:
    import eccodes

    (source,) = write_ifs(tmp_path)[:1]
    target = tmp_path / "ifs.grib1"
    with source.open("rb") as stream, target.open("wb") as out:
        while (handle := eccodes.codes_grib_new_from_file(stream)) is not None:
            if eccodes.codes_get(handle, "shortName") == "2t":
                eccodes.codes_set(handle, "edition", 1)
                eccodes.codes_write(handle, out)
            eccodes.codes_release(handle)
    ds = open_source(target)
    assert ds.attrs["decoder"] == "cfgrib" and list(ds.data_vars) == ["t2m"]
    np.testing.assert_allclose(ds.t2m.isel(step=0), open_source(source, variables=["t2m"]).t2m.isel(step=0), rtol=1e-6)


def test_forcing_cfgrib_chooses_it_for_plain_files(tmp_path: Path) -> None:
    scans = scan_files(write_ifs(tmp_path)[:1])
    assert set(file_decoders(scans, ReadOptions()).values()) == {"eccodes-direct"}
    assert set(file_decoders(scans, ReadOptions(decoder="cfgrib")).values()) == {"cfgrib"}


def test_unknown_decoder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown decoder"):
        ReadOptions(decoder="pygrib")  # type: ignore[arg-type]
