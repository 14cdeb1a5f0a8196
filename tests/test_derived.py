"""Derived meteorology against hand-computed numbers: RH, wind, inversions, ventilation, stagnation, rain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from met_inputs.derived import (
    derive_all,
    inversion_diagnostics,
    rain_features,
    relative_humidity,
    stagnation_index,
    ventilation_coefficient,
    wind,
    wind_direction,
)
from met_inputs.extract import extract_points
from met_inputs.profiles import level_heights_agl

LEVELS = [1000, 975, 950, 925, 850]
STANDARD_GH = [110.0, 320.0, 540.0, 760.0, 1480.0]


def profile(
    t2m: float,
    t: list[float],
    gh: list[float] | None = STANDARD_GH,
    sp: float = 101300.0,
    surface_height: float = 0.0,
    **single: float,
) -> xr.Dataset:
    """One station, one step: t2m [K], t on LEVELS [K], gh [m], sp [Pa], plus other single-level fields."""
    data = {
        "t2m": (("station", "step"), [[t2m]]),
        "sp": (("station", "step"), [[sp]]),
        "t": (("station", "step", "level"), [[t]]),
    }
    if gh is not None:
        data["gh"] = (("station", "step", "level"), [[gh]])
    data.update({name: (("station", "step"), [[value]]) for name, value in single.items()})
    return xr.Dataset(
        data,
        coords={
            "station": ["s"],
            "step": pd.to_timedelta([1], unit="h"),
            "level": LEVELS,
            "surface_height_m": ("station", [surface_height]),
        },
    )


def series(name: str, values: list[float], hours: list[int], dim: str = "step") -> xr.Dataset:
    coord = pd.to_timedelta(hours, unit="h") if dim == "step" else hours
    return xr.Dataset({name: (("station", dim), [values])}, coords={"station": ["s"], dim: coord})


# --- humidity and wind ---------------------------------------------------------------------------


def test_relative_humidity_of_30_c_with_dew_point_20_c_is_55_percent():
    ds = xr.Dataset({"t2m": ("station", [303.15, 293.15, 290.0]), "d2m": ("station", [293.15, 293.15, 291.0])})
    rh = relative_humidity(ds)
    # 100 exp(17.625·20/263.04 − 17.625·30/273.04) = 55.077 %
    assert rh.values[0] == pytest.approx(55.077, abs=1e-3)
    assert rh.values[1] == pytest.approx(100.0)
    assert rh.values[2] == 100.0  # dew point above temperature: clipped
    assert rh.attrs["units"] == "%"


@pytest.mark.parametrize(
    ("u", "v", "expected"),
    [
        (-1.0, 0.0, 90.0),  # blowing toward the west: from the east
        (0.0, 1.0, 180.0),  # toward the north: from the south
        (1.0, 0.0, 270.0),  # toward the east: from the west
        (0.0, -1.0, 360.0),  # toward the south: from the north (360, not 0)
        (-1.0, -1.0, 45.0),  # from the north-east
        (0.0, 0.0, 0.0),  # calm
    ],
)
def test_wind_direction_is_where_the_wind_blows_from(u, v, expected):
    da = wind_direction(xr.DataArray([u]), xr.DataArray([v]))
    assert da.values[0] == pytest.approx(expected)


def test_wind_speed_and_direction_at_10_m_and_on_levels():
    ds = xr.Dataset(
        {
            "u10": ("station", [3.0]),
            "v10": ("station", [4.0]),
            "u": (("station", "level"), [[-2.0, 0.0]]),
            "v": (("station", "level"), [[0.0, -5.0]]),
        },
        coords={"level": [1000, 850]},
    )
    out = wind(ds)
    assert out.ws10.values[0] == 5.0
    assert out.wd10.values[0] == pytest.approx(180 + np.degrees(np.arctan2(3, 4)))  # 216.87°, from the SW
    np.testing.assert_allclose(out.ws.values[0], [2.0, 5.0])
    np.testing.assert_allclose(out.wd.values[0], [90.0, 360.0])


# --- inversions ----------------------------------------------------------------------------------


def test_surface_based_inversion():
    # 2 m: 288 K; 1000 hPa at 110 m: 290 K (+2 K), then cooling aloft
    out = inversion_diagnostics(profile(288.0, [290.0, 289.0, 287.5, 286.0, 282.0]))
    assert out.inversion_flag.values[0, 0] == 1.0
    assert out.inversion_strength_k.values[0, 0] == pytest.approx(2.0)
    assert out.inversion_base_m.values[0, 0] == 2.0  # the 2 m node: surface-based
    assert out.lapse_t850_t2m_k.values[0, 0] == pytest.approx(282.0 - 288.0)
    assert out.lapse_t925_t1000_k.values[0, 0] == pytest.approx(286.0 - 290.0)


def test_elevated_inversion_layers_merge_into_one():
    # cooling to 975 hPa (320 m), then +2 K to 950 (540 m) and +1 K to 925 (760 m): one 3 K inversion at 320 m
    out = inversion_diagnostics(profile(300.0, [298.0, 297.0, 299.0, 300.0, 295.0]))
    assert out.inversion_flag.values[0, 0] == 1.0
    assert out.inversion_strength_k.values[0, 0] == pytest.approx(3.0)
    assert out.inversion_base_m.values[0, 0] == pytest.approx(320.0)


def test_strength_is_that_of_the_strongest_inversion_and_base_that_of_the_lowest():
    # +1 K surface-based (2 m → 110 m), cooling, then +2.5 K from 540 m to 760 m
    out = inversion_diagnostics(profile(297.0, [298.0, 296.0, 295.0, 297.5, 293.0]))
    assert out.inversion_strength_k.values[0, 0] == pytest.approx(2.5)
    assert out.inversion_base_m.values[0, 0] == 2.0


def test_standard_lapse_profile_has_no_inversion():
    t = [300.0 - 0.0065 * z for z in STANDARD_GH]
    out = inversion_diagnostics(profile(300.0, t))
    assert out.inversion_flag.values[0, 0] == 0.0
    assert out.inversion_strength_k.values[0, 0] == 0.0
    assert np.isnan(out.inversion_base_m.values[0, 0])


def test_levels_below_ground_are_ignored():
    # surface at 400 m, sp 960 hPa: 1000 and 975 hPa are underground (and absurdly warm), 950 hPa is 100 m up
    ds = profile(
        287.0,
        [320.0, 310.0, 286.0, 284.5, 280.0],
        gh=[110.0, 330.0, 500.0, 720.0, 1450.0],
        sp=96000.0,
        surface_height=400.0,
    )
    heights = level_heights_agl(ds)
    assert np.isnan(heights.values[0, 0, :2]).all()
    np.testing.assert_allclose(heights.values[0, 0, 2:], [100.0, 320.0, 1050.0])
    out = inversion_diagnostics(ds)
    assert out.inversion_flag.values[0, 0] == 0.0
    assert np.isnan(out.lapse_t925_t1000_k.values[0, 0])  # 1000 hPa is below ground
    assert out.lapse_t850_t2m_k.values[0, 0] == pytest.approx(-7.0)


def test_inversion_with_base_above_the_limit_does_not_count():
    ds = profile(300.0, [299.0, 298.0, 297.0, 299.0, 295.0])  # +2 K from 540 m to 760 m
    assert inversion_diagnostics(ds).inversion_flag.values[0, 0] == 1.0
    low = inversion_diagnostics(ds, max_base_height_m=500.0)
    assert low.inversion_flag.values[0, 0] == 0.0
    assert low.inversion_strength_k.values[0, 0] == 0.0


def test_hypsometric_heights_without_gh():
    # (R/g₀) · mean T · ln(p_sfc/p) = 29.27124 m/K × 299 K × ln(1013/1000) = 113.044 m
    ds = profile(300.0, [298.0, 297.0, 299.0, 300.0, 295.0], gh=None)
    heights = level_heights_agl(ds)
    assert heights.values[0, 0, 0] == pytest.approx(113.044, abs=1e-3)
    assert "hypsometric" in heights.attrs["source"]
    assert inversion_diagnostics(ds).inversion_strength_k.values[0, 0] == pytest.approx(3.0)


# --- ventilation and stagnation -------------------------------------------------------------------


def test_ventilation_with_the_10_m_wind_only():
    ds = xr.Dataset({"blh": ("station", [500.0]), "u10": ("station", [2.0]), "v10": ("station", [0.0])})
    vc = ventilation_coefficient(ds)
    assert vc.values[0] == pytest.approx(1000.0)  # 500 m × 2 m/s
    assert vc.attrs["wind"] == "10 m wind speed"


def test_ventilation_with_the_mean_boundary_layer_wind():
    ds = profile(300.0, [299.0] * 5, blh=300.0, u10=1.0, v10=0.0)
    ds["u"] = (("station", "step", "level"), [[[3.0, 5.0, 7.0, 8.0, 9.0]]])
    ds["v"] = xr.zeros_like(ds["u"])
    # 10→110 m: 100 × (1+3)/2 = 200; 110→300 m: 190 × (3 + 4.8095)/2 = 741.905  (5 m/s at 320 m)
    # mean = 941.905 / 290 = 3.24795 m/s; × 300 m = 974.384 m² s-1
    assert ventilation_coefficient(ds).values[0, 0] == pytest.approx(974.384, abs=1e-3)


def test_stagnant_and_ventilated_cases():
    stagnant = profile(288.0, [290.0, 289.0, 287.5, 286.0, 282.0], blh=200.0, u10=1.0, v10=0.5, tp=0.0)
    index = stagnation_index(stagnant)
    assert index.values[0, 0] == 1.0
    assert len(index.attrs["criteria"].split("; ")) == 4
    windy = profile(300.0, [299.0, 297.0, 295.0, 293.0, 288.0], blh=1500.0, u10=6.0, v10=0.0, tp=2.0)
    assert stagnation_index(windy).values[0, 0] == 0.0
    half = profile(300.0, [299.0, 297.0, 295.0, 293.0, 288.0], blh=2500.0, u10=3.0, v10=0.0, tp=0.0)
    # 3 m/s < 3.2 and dry, but 2500 m × 3 m/s = 7500 m² s-1 ≥ 6000 and no inversion
    assert stagnation_index(half).values[0, 0] == 0.5


def test_stagnation_with_fewer_criteria_says_which_are_missing():
    ds = xr.Dataset({"u10": ("station", [1.0]), "v10": ("station", [0.0]), "blh": ("station", [300.0])})
    index = stagnation_index(ds)
    assert index.values[0] == 1.0  # calm, and 300 m × 1 m/s = 300 m² s-1 is poorly ventilated
    assert "rain_24h_mm < 1 mm" in index.attrs["criteria_unavailable"]
    assert "inversion_flag = 1" in index.attrs["criteria_unavailable"]


# --- rain ----------------------------------------------------------------------------------------


def test_rain_flag_and_six_hour_total_on_three_hourly_steps():
    out = rain_features(series("tp", [0.2, 0.6, 0.0, 1.2], [3, 6, 9, 12]))
    assert out.rain_flag.values[0].tolist() == [0.0, 1.0, 0.0, 1.0]  # 0.2 mm / 3 h < 0.1 mm/h
    np.testing.assert_allclose(out.rain_6h_mm.values[0], [0.2, 0.8, 0.6, 1.2])
    np.testing.assert_allclose(out.rain_24h_mm.values[0], [0.2, 0.8, 0.8, 2.0])


def test_rain_windows_on_hourly_leads_and_straddling_intervals():
    hourly = rain_features(series("tp", [1.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 2.0], list(range(1, 9)), dim="lead"))
    assert hourly.rain_6h_mm.values[0, -1] == pytest.approx(2.5)  # leads 3–8
    assert hourly.rain_flag.values[0].tolist() == [1, 0, 0, 1, 0, 0, 0, 1]
    straddle = rain_features(series("tp", [4.0, 8.0, 12.0], [4, 8, 12]))
    assert straddle.rain_6h_mm.values[0, -1] == pytest.approx(12.0 + 8.0 / 2)  # (6, 12]: half of (4, 8]


def test_missing_rain_makes_the_window_missing():
    out = rain_features(series("tp", [0.0, np.nan, 0.0, 0.0], [1, 2, 3, 4]))
    assert np.isnan(out.rain_flag.values[0, 1])
    assert np.isnan(out.rain_6h_mm.values[0, 1:]).all()
    assert out.rain_6h_mm.values[0, 0] == 0.0


# --- everything at once -----------------------------------------------------------------------------


def test_derive_all_lists_what_it_could_not_derive():
    ds = profile(288.0, [290.0, 289.0, 287.5, 286.0, 282.0], u10=1.0, v10=0.0, d2m=285.0)
    out = derive_all(ds)
    for name in ("ws10", "wd10", "rh2m", "inversion_flag", "inversion_strength_k", "stagnation_index"):
        assert name in out, name
    assert "ventilation_coefficient_m2_s: ventilation coefficient needs blh" in out.attrs["not_derived"]
    assert "rain_flag, rain_6h_mm, rain_24h_mm: rain features needs tp" in out.attrs["not_derived"]
    assert out.stagnation_index.values[0, 0] == 1.0  # calm + inversion


def test_extract_then_derive_with_orography_and_station_elevation():
    lat, lon = np.array([20.0, 21.0]), np.array([105.0, 106.0])
    steps = pd.to_timedelta([1, 2], unit="h")

    def field(value, levels=False):
        shape = (2, 5, 2, 2) if levels else (2, 2, 2)
        return np.broadcast_to(np.asarray(value, dtype=float).reshape((1, -1, 1, 1) if levels else ()), shape)

    gridded = xr.Dataset(
        {
            "t2m": (("step", "latitude", "longitude"), field(290.0)),
            "d2m": (("step", "latitude", "longitude"), field(285.0)),
            "sp": (("step", "latitude", "longitude"), field(96000.0)),
            "orog": (("latitude", "longitude"), np.full((2, 2), 400.0)),
            "t": (("step", "level", "latitude", "longitude"), field([300.0, 295.0, 291.0, 290.0, 286.0], True)),
            "gh": (("step", "level", "latitude", "longitude"), field([110.0, 330.0, 500.0, 720.0, 1450.0], True)),
        },
        coords={"latitude": lat, "longitude": lon, "step": steps, "level": LEVELS},
    )
    points = pd.DataFrame({"id": ["valley"], "latitude": [20.5], "longitude": [105.5], "elevation_m": [0.0]})
    out = derive_all(extract_points(gridded, points))
    # the station is 400 m below the model surface: t2m 292.6 K, sp ≈ 1008 hPa, so 1000 hPa (300 K at 110 m)
    # is above ground and the 2 m → 110 m layer is a surface-based inversion of 7.4 K
    assert out.t2m.values[0, 0] == pytest.approx(292.6)
    assert out.inversion_base_m.values[0, 0] == 2.0
    assert out.inversion_strength_k.values[0, 0] == pytest.approx(7.4)
