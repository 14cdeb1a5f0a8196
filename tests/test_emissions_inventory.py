"""Gridded inventories: layouts, unit conversion, neighbourhood reduction by hand, bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from configs.errors import InputFileError
from configs.networks import Station
from met_inputs.emissions.inventory import read_inventory, station_emission_indices
from met_inputs.emissions.neighbourhood import WeightCache, cell_areas_m2
from met_inputs.emissions.synthetic_inventory import SYNTHETIC_SECTORS, write_synthetic_inventory
from met_inputs.emissions.units import SECONDS_PER_YEAR, canonical_units, unit_factor

R_M = 6371.0e3
LAT = np.array([10.0, 10.1, 10.2])
LON = np.array([106.0, 106.1, 106.2])


def station(sid: str, lat: float, lon: float, province: str = "Cần Thơ") -> Station:
    return Station(id=sid, name_vi=sid, name_en=sid, latitude=lat, longitude=lon, province=province, source="test")


def tiny(values: np.ndarray, units: str = "kg m-2 s-1", name: str = "pm25") -> xr.Dataset:
    """One species, one sector (road transport) on the 3 × 3 grid of 0.1° cells."""
    return xr.Dataset(
        {name: (("sector", "latitude", "longitude"), values[None], {"units": units})},
        coords={"sector": ["F_RoadTransport"], "latitude": LAT, "longitude": LON},
    )


def row_area(lat: float) -> float:
    """Area of a 0.1° × 0.1° cell centred at ``lat`` [m²], by hand: R² Δλ (sin φ₂ − sin φ₁)."""
    return R_M**2 * math.radians(0.1) * (math.sin(math.radians(lat + 0.05)) - math.sin(math.radians(lat - 0.05)))


# 1 at the centre, 2 at the four side neighbours, 100 at the corners [1e-9 kg m-2 s-1 = 1 µg m-2 s-1]
FIELD = np.array([[100.0, 2.0, 100.0], [2.0, 1.0, 2.0], [100.0, 2.0, 100.0]]) * 1e-9


def test_cell_areas_by_hand():
    areas = cell_areas_m2(LAT, LON)
    assert areas[0, 0] == pytest.approx(row_area(10.0), rel=1e-9)
    assert areas[2, 1] == pytest.approx(row_area(10.2), rel=1e-9)
    one_degree = cell_areas_m2(np.array([-0.5, 0.5]), np.array([0.5, 1.5]))[0, 0]
    assert one_degree / 1e6 == pytest.approx(12364, rel=1e-3)  # 1° × 1° at the equator ≈ 111.19² km²


def test_radius_covering_the_centre_and_its_four_neighbours():
    # centre (10.1, 106.1): N/S neighbours 11.12 km away, E/W 10.95 km, corners 15.6 km -> radius 12 km
    out = station_emission_indices(tiny(FIELD), [station("s", 10.1, 106.1)], radius_km=12.0)
    a_mid, a_south, a_north = row_area(10.1), row_area(10.0), row_area(10.2)
    expected = (a_mid * 1 + 2 * a_mid * 2 + a_south * 2 + a_north * 2) / (3 * a_mid + a_south + a_north)
    assert out.sel(station="s", species="pm25", sector="F_RoadTransport").item() == pytest.approx(expected, rel=1e-12)
    assert out.attrs["units"] == "ug m-2 s-1" and int(out["n_cells"].item()) == 5


def test_small_radius_uses_the_own_cell_and_large_radius_all_nine():
    small = station_emission_indices(tiny(FIELD), [station("s", 10.12, 106.08)], radius_km=3.0)
    assert small.item() == pytest.approx(1.0)
    big = station_emission_indices(tiny(FIELD), [station("s", 10.1, 106.1)], radius_km=20.0)
    areas = cell_areas_m2(LAT, LON)
    assert big.item() == pytest.approx(float((FIELD * 1e9 * areas).sum() / areas.sum()), rel=1e-12)


def test_station_off_the_grid_gets_nan():
    out = station_emission_indices(tiny(FIELD), [station("in", 10.1, 106.1), station("off", 12.0, 106.1)], 12.0)
    assert np.isfinite(out.sel(station="in").item()) and np.isnan(out.sel(station="off").item())


def test_unit_conversion_numbers():
    assert unit_factor("kg m-2 s-1") == pytest.approx(1e9)  # 1e-9 kg m-2 s-1 = 1 µg m-2 s-1
    assert unit_factor("kg m-2 yr-1") == pytest.approx(1e9 / 31_557_600)  # = 31.688 µg m-2 s-1
    assert unit_factor("t km-2 yr-1") == pytest.approx(1e12 / 1e6 / 31_557_600)  # 0.031688
    assert SECONDS_PER_YEAR == 31_557_600
    per_cell = unit_factor("t/yr", np.array([1e6]))  # 1 t/yr on 1 km² = 1 t km-2 yr-1
    assert per_cell[0] == pytest.approx(0.0316880878, rel=1e-9)
    assert canonical_units("Mg/year") == "t yr-1" and canonical_units("kg m**-2 s**-1") == "kg m-2 s-1"


def test_per_cell_totals_are_divided_by_the_cell_area():
    areas = cell_areas_m2(LAT, LON)
    tonnes = FIELD * areas * SECONDS_PER_YEAR / 1e3  # the same flux as t yr-1 per cell
    a = read_inventory(tiny(FIELD))
    b = read_inventory(tiny(tonnes, units="t yr-1"))
    np.testing.assert_allclose(b.values, a.values, rtol=1e-12)
    assert a.sel(species="pm25").values[0, 1, 1] == pytest.approx(1.0)


def test_both_layouts_and_short_coordinate_names_read_the_same(tmp_path: Path):
    stacked = read_inventory(write_synthetic_inventory(tmp_path / "a.nc", resolution_deg=0.5))
    separate = read_inventory(write_synthetic_inventory(tmp_path / "b.nc", resolution_deg=0.5, layout="separate"))
    xr.testing.assert_allclose(stacked, separate.transpose(*stacked.dims))
    four_d = xr.Dataset(
        {
            "emissions": (
                ("species", "sector", "lat", "lon"),
                FIELD[None, None] * np.ones((2, 1, 1, 1)),
                {"units": "kg m-2 s-1"},
            )
        },
        coords={"species": ["PM2.5", "NOx"], "sector": ["F"], "lat": LAT, "lon": LON},
    )
    out = read_inventory(four_d)
    assert list(out["species"].values) == ["pm25", "nox"] and list(out["sector"].values) == ["F_RoadTransport"]
    with_attrs = xr.Dataset(
        {"x": (("latitude", "longitude"), FIELD, {"units": "kg m-2 s-1", "species": "so2", "sector": "B"})},
        coords={"latitude": LAT, "longitude": LON},
    )
    assert read_inventory(with_attrs).sel(species="so2", sector="B_Industry").values[1, 1] == pytest.approx(1.0)


def test_synthetic_inventory_is_labelled_and_has_urban_hot_spots(tmp_path: Path):
    path = write_synthetic_inventory(tmp_path / "syn.nc", resolution_deg=0.25)
    with xr.open_dataset(path) as ds:
        assert "SYNTHETIC" in ds.attrs["title"] and ds.attrs["synthetic"] == 1
        assert list(ds["sector"].values) == list(SYNTHETIC_SECTORS)
    stations = [
        station("hanoi", 21.03, 105.85, "Hà Nội"),
        station("hcmc", 10.78, 106.70, "TP. Hồ Chí Minh"),
        station("rural", 15.0, 108.0, "Quảng Ngãi"),
    ]
    cache = WeightCache()
    idx = station_emission_indices(path, stations, 15.0, cache)
    pm25 = idx.sel(species="pm25").sum("sector")
    assert pm25.sel(station="hanoi") > 20 * pm25.sel(station="rural")
    assert pm25.sel(station="hcmc") > 20 * pm25.sel(station="rural")
    assert idx.attrs["synthetic"] == 1
    station_emission_indices(path, stations, 15.0, cache)
    assert (cache.misses, cache.hits) == (1, 1)


# --- bad input ------------------------------------------------------------------------------------------
def test_missing_dimension_is_named(tmp_path: Path):
    ds = xr.Dataset(
        {"pm25": (("sector", "y", "longitude"), FIELD[None], {"units": "kg m-2 s-1"})},
        coords={"sector": ["F"], "longitude": LON},
    )
    with pytest.raises(InputFileError, match=r"column 'latitude': missing dimension 'latitude'"):
        read_inventory(ds)
    path = tmp_path / "inv.nc"
    ds.to_netcdf(path)
    with pytest.raises(InputFileError, match=str(path)):
        read_inventory(path)


def test_wrong_or_missing_units_are_named():
    with pytest.raises(InputFileError, match=r"column 'pm25': units 'kg/hour' not understood"):
        read_inventory(tiny(FIELD, units="kg/hour"))
    ds = tiny(FIELD)
    del ds["pm25"].attrs["units"]
    with pytest.raises(InputFileError, match=r"column 'pm25': no 'units' attribute"):
        read_inventory(ds)


def test_missing_variable_sector_or_species_is_named():
    with pytest.raises(InputFileError, match="no emission variable of a known species"):
        read_inventory(tiny(FIELD, name="ozone_column"))
    flat = xr.Dataset(
        {"pm25_total": (("latitude", "longitude"), FIELD, {"units": "kg m-2 s-1"})},
        coords={"latitude": LAT, "longitude": LON},
    )
    with pytest.raises(InputFileError, match=r"column 'pm25_total': no sector"):
        read_inventory(flat)
    bad_sector = tiny(FIELD).assign_coords(sector=["Trucks"])
    with pytest.raises(InputFileError, match=r"unknown sector name\(s\) \['Trucks'\]"):
        read_inventory(bad_sector)


def test_negative_flux_and_missing_file_are_refused(tmp_path: Path):
    with pytest.raises(InputFileError, match="negative emission flux"):
        read_inventory(tiny(-FIELD))
    with pytest.raises(InputFileError, match="inventory file not found"):
        read_inventory(tmp_path / "none.nc")
    (tmp_path / "junk.nc").write_text("not netcdf")
    with pytest.raises(InputFileError, match="not a readable NetCDF"):
        read_inventory(tmp_path / "junk.nc")
