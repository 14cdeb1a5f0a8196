"""Station extraction: weights once, bilinear/nearest by hand, NaN corners, outside stations, elevation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from configs.networks import Station
from met_inputs.extract import Extractor, extract_points

LAT = np.array([10.0, 11.0, 12.0])
LON = np.array([105.0, 106.0, 107.0])
STEPS = pd.to_timedelta([1, 2], unit="h")


def grid_dataset(**fields: np.ndarray) -> xr.Dataset:
    """A 3 × 3 grid (10–12 °N, 105–107 °E), two hourly steps; 2-D fields are repeated over the steps."""
    data = {}
    for name, values in fields.items():
        values = np.asarray(values, dtype=float)
        if values.ndim == 2:
            values = np.stack([values, values])
        data[name] = (("step", "latitude", "longitude"), values)
    return xr.Dataset(
        data,
        coords={
            "latitude": LAT,
            "longitude": LON,
            "step": STEPS,
            "init_time": np.datetime64("2026-01-01T00", "ns"),
            "valid_time": ("step", np.datetime64("2026-01-01T00", "ns") + STEPS.values),
        },
    )


def stations(*rows: tuple[str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "latitude", "longitude"])


def linear(a: float = 2.0, b: float = 3.0, c: float = 1.0) -> np.ndarray:
    lat2, lon2 = np.meshgrid(LAT, LON, indexing="ij")
    return a * lat2 + b * lon2 + c


CORNERS = np.array([[0.0, 10.0, 99.0], [20.0, 50.0, 99.0], [99.0, 99.0, 99.0]])
"""Cell 10–11 °N × 105–106 °E has corners (10,105)=0, (10,106)=10, (11,105)=20, (11,106)=50."""


def test_bilinear_of_a_linear_field_is_exact():
    out = extract_points(grid_dataset(f=linear()), stations(("a", 10.25, 105.5), ("b", 12.0, 107.0)))
    # 2·10.25 + 3·105.5 + 1 = 338.0 ; 2·12 + 3·107 + 1 = 346.0 (a grid corner)
    np.testing.assert_allclose(out.f.values, [[338.0, 338.0], [346.0, 346.0]], rtol=0, atol=1e-12)
    assert out.f.dims == ("station", "step")
    assert out.station.values.tolist() == ["a", "b"]


def test_bilinear_by_hand_in_one_cell():
    out = extract_points(grid_dataset(f=CORNERS), stations(("a", 10.5, 105.25)))
    # weights (1-.5)(1-.25)=.375, .5·.25=.125, .5·.75=.375, .5·.25=.125 on 0, 10, 20, 50
    assert out.f.values[0, 0] == pytest.approx(0.125 * 10 + 0.375 * 20 + 0.125 * 50)  # 15.0


def test_nearest_takes_the_node_of_the_cell_the_station_lies_in():
    out = extract_points(grid_dataset(f=CORNERS), stations(("a", 10.4, 105.6), ("b", 10.6, 105.4)), method="nearest")
    assert out.f.values[:, 0].tolist() == [10.0, 20.0]  # (10, 106) and (11, 105)


def test_weights_are_computed_once_and_reused_for_another_field():
    extractor = Extractor()
    points = stations(("a", 10.5, 105.25))
    first = extractor.weights(grid_dataset(f=CORNERS), points)
    second = extractor.weights(grid_dataset(g=linear()), points)
    assert second is first
    other_method = extractor.weights(grid_dataset(g=linear()), points, method="nearest")
    assert other_method is not first
    out = extract_points(grid_dataset(g=linear()), points, extractor=extractor)
    assert out.g.values[0, 0] == pytest.approx(2 * 10.5 + 3 * 105.25 + 1)


def test_nan_corner_is_dropped_and_the_other_weights_renormalised():
    values = CORNERS.copy()
    values[0, 0] = np.nan  # the corner of weight 0.375
    out = extract_points(grid_dataset(f=values), stations(("a", 10.5, 105.25)))
    expected = (0.125 * 10 + 0.375 * 20 + 0.125 * 50) / (0.125 + 0.375 + 0.125)  # 24.0
    assert out.f.values[0, 0] == pytest.approx(expected)


def test_all_corners_nan_gives_nan():
    values = CORNERS.copy()
    values[:2, :2] = np.nan
    out = extract_points(grid_dataset(f=values), stations(("a", 10.5, 105.25), ("b", 12.0, 107.0)))
    assert np.isnan(out.f.values[0]).all()
    assert out.f.values[1, 0] == 99.0


def test_station_outside_the_grid_raises_naming_it_and_the_extent():
    points = stations(("inside", 11.0, 106.0), ("far-north", 21.0, 105.8), ("far-west", 10.5, 100.0))
    with pytest.raises(ValueError) as info:
        extract_points(grid_dataset(f=linear()), points)
    message = str(info.value)
    assert "2 station(s) outside the grid" in message
    assert "far-north" in message and "far-west" in message and "inside (" not in message
    assert "latitude 10…12 °N, longitude 105…107 °E" in message


def test_outside_nan_gives_nan_and_lists_the_stations():
    points = stations(("inside", 11.0, 106.0), ("far-north", 21.0, 105.8))
    out = extract_points(grid_dataset(f=linear()), points, outside="nan")
    assert out.f.values[0, 0] == pytest.approx(2 * 11 + 3 * 106 + 1)
    assert np.isnan(out.f.values[1]).all()
    assert out.attrs["stations_outside_grid"] == "far-north"


def test_levels_keep_their_dim_after_station_and_step():
    ds = grid_dataset(f=linear())
    ds["t"] = (("step", "level", "latitude", "longitude"), np.stack([np.stack([linear(), linear() + 5])] * 2))
    ds = ds.assign_coords(level=[1000, 925])
    out = extract_points(ds, stations(("a", 10.25, 105.5)))
    assert out.t.dims == ("station", "step", "level")
    np.testing.assert_allclose(out.t.values[0, 0], [338.0, 343.0])
    assert "valid_time" in out.coords and "init_time" in out.coords


def test_descending_latitudes_give_the_same_values():
    ds = grid_dataset(f=linear())
    points = stations(("a", 10.25, 105.5))
    flipped = ds.isel(latitude=slice(None, None, -1))
    np.testing.assert_allclose(extract_points(flipped, points).f.values, extract_points(ds, points).f.values)


def test_stations_west_of_greenwich_on_a_0_360_grid():
    east = grid_dataset(f=linear()).assign_coords(longitude=[185.0, 186.0, 187.0])
    out = extract_points(east, stations(("w", 10.25, -174.5)))  # −174.5 °E = 185.5 on 0–360
    assert out.f.values[0, 0] == pytest.approx(2 * 10.25 + 3 * 105.5 + 1)  # node values from LON, not 185…


def test_station_models_are_accepted():
    station = Station(
        id="hn-test",
        name_vi="Thử",
        name_en="Test",
        latitude=10.25,
        longitude=105.5,
        elevation_m=None,
        province="Hà Nội",
        source="test",
    )
    out = extract_points(grid_dataset(f=linear()), [station])
    assert out.station.values.tolist() == ["hn-test"]
    assert np.isnan(out.station_elevation_m.values[0])


def test_curvilinear_grid_uses_the_nearest_node():
    y, x = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")
    lat2d = 10.0 + 0.5 * y + 0.1 * x  # a sheared (non-rectilinear) grid
    lon2d = 105.0 + 0.5 * x - 0.1 * y
    ds = xr.Dataset(
        {"f": (("step", "y", "x"), np.stack([y * 10 + x] * 2))},
        coords={"latitude": (("y", "x"), lat2d), "longitude": (("y", "x"), lon2d), "step": STEPS},
    )
    points = stations(("near-2-3", lat2d[2, 3] + 0.05, lon2d[2, 3] - 0.04), ("far", 30.0, 105.0))
    out = extract_points(ds, points, method="nearest", outside="nan")
    assert out.f.values[0, 0] == 23.0
    assert np.isnan(out.f.values[1, 0])
    with pytest.raises(ValueError, match="curvilinear"):
        extract_points(ds, points.iloc[:1], method="bilinear")


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(-50, 50),
    b=st.floats(-50, 50),
    c=st.floats(-1000, 1000),
    lat=st.floats(10.0, 12.0),
    lon=st.floats(105.0, 107.0),
)
def test_bilinear_reproduces_any_linear_field(a, b, c, lat, lon):
    out = extract_points(grid_dataset(f=linear(a, b, c)), stations(("p", lat, lon)))
    assert out.f.values[0, 0] == pytest.approx(a * lat + b * lon + c, abs=1e-9 * (1 + abs(c) + 50 * 200))


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-1e4, 1e4), min_size=9, max_size=9),
    lat=st.floats(10.0, 12.0),
    lon=st.floats(105.0, 107.0),
)
def test_bilinear_stays_within_the_corners(values, lat, lon):
    field = np.array(values).reshape(3, 3)
    out = extract_points(grid_dataset(f=field), stations(("p", lat, lon)))
    i = min(int(np.searchsorted(LAT, lat, side="right")) - 1, 1)
    j = min(int(np.searchsorted(LON, lon, side="right")) - 1, 1)
    corners = field[i : i + 2, j : j + 2]
    value = out.f.values[0, 0]
    assert corners.min() - 1e-9 <= value <= corners.max() + 1e-9


def elevation_case(orog: float, elevation: float, t2m: float, d2m: float, sp: float) -> xr.Dataset:
    ds = grid_dataset(
        t2m=np.full((3, 3), t2m), d2m=np.full((3, 3), d2m), sp=np.full((3, 3), sp), orog=np.full((3, 3), orog)
    )
    ds["orog"] = ds["orog"].isel(step=0, drop=True)
    points = pd.DataFrame({"id": ["s"], "latitude": [11.0], "longitude": [106.0], "elevation_m": [elevation]})
    return extract_points(ds, points)


def test_station_below_the_model_surface_is_warmer_with_higher_pressure():
    out = elevation_case(orog=500.0, elevation=0.0, t2m=290.0, d2m=280.0, sp=95000.0)
    assert out.t2m_elevation_adjustment_k.values[0] == pytest.approx(3.25)  # 6.5 K/km × 500 m
    assert out.t2m.values[0, 0] == pytest.approx(293.25)
    # barometric: 95000 × (293.25 / 290) ** (9.80665 / (287.05287 × 0.0065) = 5.25588) = 100730.78 Pa
    assert out.sp.values[0, 0] == pytest.approx(100730.78, abs=0.01)
    # constant mixing ratio: e = 9.9043 hPa × 1.060324 = 10.5017 hPa → Magnus dew point 280.857 K
    assert out.d2m.values[0, 0] == pytest.approx(280.8568, abs=1e-3)
    assert out.surface_height_m.values[0] == 0.0


def test_station_above_the_model_surface_is_colder_and_dew_point_capped_at_saturation():
    out = elevation_case(orog=0.0, elevation=1000.0, t2m=290.0, d2m=289.0, sp=100000.0)
    assert out.t2m.values[0, 0] == pytest.approx(283.5)
    assert out.sp.values[0, 0] == pytest.approx(88767.95, abs=0.01)  # 100000 × (283.5/290) ** 5.25588
    assert out.d2m.values[0, 0] == pytest.approx(283.5)  # Magnus gives 287.15 K > t2m: capped
    unsaturated = elevation_case(orog=0.0, elevation=1000.0, t2m=300.0, d2m=289.0, sp=100000.0)
    # e = 17.973 hPa × (293.5/300) ** 5.25588 = 16.0186 hPa → dew point 1.789 K lower (≈ 1.8 K/km)
    assert unsaturated.d2m_elevation_adjustment_k.values[0, 0] == pytest.approx(-1.7889, abs=1e-3)


def test_unknown_elevation_leaves_values_alone():
    out = elevation_case(orog=500.0, elevation=np.nan, t2m=290.0, d2m=280.0, sp=95000.0)
    assert out.t2m.values[0, 0] == 290.0
    assert out.d2m.values[0, 0] == 280.0
    assert out.t2m_elevation_adjustment_k.values[0] == 0.0
    assert out.surface_height_m.values[0] == 500.0


def test_few_and_many_station_gathers_agree_with_nan_corners():
    rng = np.random.default_rng(7)
    lat, lon = np.linspace(0.0, 29.0, 30), np.linspace(100.0, 129.0, 30)
    values = rng.normal(size=(3, 30, 30))
    values[:, 5:8, 5:8] = np.nan
    ds = xr.Dataset({"f": (("step", "latitude", "longitude"), values)}, coords={"latitude": lat, "longitude": lon})
    many = pd.DataFrame(
        {
            "id": [f"s{i}" for i in range(400)],
            "latitude": rng.uniform(0, 29, 400),
            "longitude": rng.uniform(100, 129, 400),
        }
    )
    many.loc[0, ["latitude", "longitude"]] = [6.5, 105.5]  # all four corners NaN
    many.loc[1, ["latitude", "longitude"]] = [7.5, 107.5]  # corner (7, 107) NaN, three finite
    few = many.iloc[:5]  # 5 stations × 4 corners × 5 < 900 points: the column gather
    np.testing.assert_allclose(extract_points(ds, few).f.values, extract_points(ds, many).f.values[:5])
    out = extract_points(ds, few).f.values
    assert np.isnan(out[0]).all()
    # weights 1/4 each; the NaN corner dropped, the other three renormalised to 1/3
    np.testing.assert_allclose(out[1], (values[:, 7, 8] + values[:, 8, 7] + values[:, 8, 8]) / 3)


def test_curvilinear_brute_force_without_scipy_finds_the_same_nodes(monkeypatch):
    import sys

    y, x = np.meshgrid(np.arange(6.0), np.arange(7.0), indexing="ij")
    lat2d, lon2d = 10.0 + 0.3 * y + 0.05 * x, 105.0 + 0.3 * x - 0.05 * y
    ds = xr.Dataset(
        {"f": (("y", "x"), y * 10 + x)}, coords={"latitude": (("y", "x"), lat2d), "longitude": (("y", "x"), lon2d)}
    )
    rng = np.random.default_rng(1)
    points = stations(*[(f"p{i}", la, lo) for i, (la, lo) in enumerate(zip(
        rng.uniform(10.3, 11.5, 30), rng.uniform(105.3, 106.6, 30), strict=True))])  # fmt: skip
    with_tree = extract_points(ds, points, method="nearest", outside="nan").f.values
    monkeypatch.setitem(sys.modules, "scipy.spatial", None)  # importing it now raises ImportError
    brute = extract_points(ds, points, method="nearest", outside="nan").f.values
    np.testing.assert_array_equal(with_tree, brute)
    assert np.isfinite(brute).sum() >= 25


def test_cached_weights_do_not_freeze_station_elevations():
    extractor = Extractor()
    ds = grid_dataset(t2m=np.full((3, 3), 290.0), orog=np.full((3, 3), 100.0))
    low = pd.DataFrame({"id": ["s"], "latitude": [11.0], "longitude": [106.0], "elevation_m": [0.0]})
    high = low.assign(elevation_m=200.0)
    assert extract_points(ds, low, extractor=extractor).t2m.values[0, 0] == pytest.approx(290.65)
    assert extract_points(ds, high, extractor=extractor).t2m.values[0, 0] == pytest.approx(289.35)
    assert len(extractor._cache) == 1
