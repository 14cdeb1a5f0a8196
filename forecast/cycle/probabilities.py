"""Probability of each daily VN_AQI category (D1–D3) from the forecast quantiles.

Each hour's concentration distribution is a split log-normal centred on the issued forecast, with the
spread of its 10/50/90 % quantiles on each side (centred on the forecast so that the headline category
is the middle of its own distribution, never a 0 % outcome). A
*scenario* at level ``α`` takes every hour and pollutant at its ``α`` quantile (errors fully dependent
across hours and pollutants — forecast errors are dominated by day-level errors); since the daily
VN_AQI never decreases when a concentration rises, the scenario's daily AQI, computed by the one VN_AQI
engine with the observed hours of the day as they are, is then the ``α`` quantile of the daily AQI.
Each scenario carries the probability band around its level; the category probabilities are the
summed bands of the scenarios falling in each category. Full dependence makes the ranges conservative
(wider than independent hourly errors would give); hindcast reliability checks it.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import norm

from configs.schema import STATION
from forecast.aqi.categories import CATEGORIES, category_of
from forecast.forecast_aqi import forecast_vn_aqi

Z90 = float(norm.ppf(0.9))


def level_concentration(
    q10: np.ndarray, q50: np.ndarray, q90: np.ndarray, level: float, centre: np.ndarray | None = None
) -> np.ndarray:
    """Concentration at quantile ``level`` of the split log-normal with the log-spreads of q10–q50 and
    q50–q90, centred on ``centre`` (default q50) [µg/m³]."""
    z = float(norm.ppf(level))
    lo, mid, hi = (np.log1p(np.clip(q, 0.0, None)) for q in (q10, q50, q90))
    spread = np.where(z < 0, mid - lo, hi - mid) / Z90
    middle = mid if centre is None else np.log1p(np.clip(centre, 0.0, None))
    return np.expm1(middle + z * spread)


def band_weights(levels: list[float]) -> np.ndarray:
    """Probability each level stands for: from the midpoint below it to the midpoint above it."""
    levels_arr = np.asarray(sorted(levels), dtype=float)
    if levels_arr.size == 0 or levels_arr[0] <= 0 or levels_arr[-1] >= 1:
        raise ValueError(f"probability levels must lie strictly between 0 and 1, got {levels}")
    edges = np.r_[0.0, (levels_arr[1:] + levels_arr[:-1]) / 2, 1.0]
    return np.diff(edges)


def scenario_cube(cube: xr.Dataset, pollutants: list[str], level: float) -> xr.Dataset:
    """The cube with each pollutant at its ``level`` scenario (pollutants without quantiles unchanged)."""
    out = cube[list(pollutants)].copy()
    for p in pollutants:
        if f"{p}_q10" in cube:
            quantiles = [cube[f"{p}_{q}"].values for q in ("q10", "q50", "q90")]
            out[p] = cube[p].dims, level_concentration(*quantiles, level, centre=cube[p].values)
    return out


def daily_category_probabilities(
    obs: xr.Dataset, cube: xr.Dataset, levels: list[float], tz: str, min_hours_fraction: float = 0.75
) -> xr.DataArray:
    """P(daily VN_AQI category), dims ``(station, day, category)`` with ``category`` 1 … 6.

    Rows sum to 1 where the day has an AQI in every scenario; NaN where it has none.
    """
    pollutants = [p for p in cube.data_vars if f"{p}_q50" in cube.data_vars]
    weights = band_weights(levels)
    total = None
    defined = None
    for level, weight in zip(sorted(levels), weights, strict=True):
        daily = forecast_vn_aqi(obs, scenario_cube(cube, pollutants, level), tz, min_hours_fraction).daily
        category = category_of(daily["aqi"].values)  # (station, day); 0 = no AQI
        onehot = (category[..., None] == np.arange(1, len(CATEGORIES) + 1)).astype(float) * weight
        total = onehot if total is None else total + onehot
        defined = category > 0 if defined is None else defined & (category > 0)
        days = daily["day"].values
    assert total is not None and defined is not None
    total = np.where(defined[..., None], total, np.nan)
    return xr.DataArray(
        total,
        dims=(STATION, "day", "category"),
        coords={STATION: cube[STATION].values, "day": days, "category": np.arange(1, len(CATEGORIES) + 1)},
        name="category_probability",
        attrs={"long_name": "probability of the daily VN_AQI category", "method": __doc__.split("\n\n")[1]},
    )
