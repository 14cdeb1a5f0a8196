"""Derived meteorology at stations: wind, humidity, inversions, ventilation, stagnation, rain.

Every function takes a station dataset — dims ``(station, step|lead, [level])`` as produced by
:func:`met_inputs.extract.extract_points` (and optionally :func:`met_inputs.leads.to_hourly_leads`),
units of :data:`configs.schema.NWP_VARIABLES` — and returns xarray objects with units in their attrs.
A function whose inputs are absent raises :class:`MissingInputError` saying what it needs;
:func:`derive_all` adds everything the inputs allow and lists the rest with the reason.

Inversion diagnostics and level heights live in :mod:`met_inputs.profiles`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import xarray as xr

from configs.schema import LEAD, LEVEL, STEP
from met_inputs.profiles import (
    ANEMOMETER_HEIGHT_M,
    MissingInputError,
    _require,
    inversion_diagnostics,
    layer_mean,
    level_heights_agl,
)
from met_inputs.thermo import relative_humidity_pct

logger = logging.getLogger(__name__)

__all__ = [
    "MissingInputError",
    "derive_all",
    "inversion_diagnostics",
    "rain_features",
    "relative_humidity",
    "stagnation_index",
    "ventilation_coefficient",
    "wind",
    "wind_direction",
    "wind_speed",
]

RAIN_THRESHOLD_MM = 0.1
"""Smallest measurable precipitation [mm] (WMO-No. 8, Guide to Instruments and Methods of Observation, §6)."""
STAGNANT_WIND_M_S = 3.2
"""10 m wind below which air is stagnant [m s-1] (Wang & Angell 1999; Horton et al. 2012)."""
STAGNANT_RAIN_24H_MM = 1.0
"""Precipitation over the past 24 h below which a day is dry [mm] (Wang & Angell 1999; Horton et al. 2012)."""
POOR_VENTILATION_M2_S = 6000.0
"""Ventilation coefficient below which dispersion is poor [m2 s-1]: Holzworth's (1972) episode thresholds,
mixing height 1500 m × mean mixed-layer wind 4 m s-1."""


def wind_speed(u: xr.DataArray, v: xr.DataArray) -> xr.DataArray:
    """Wind speed [m s-1] = √(u² + v²) from eastward ``u`` and northward ``v`` components [m s-1]."""
    return np.hypot(u, v).assign_attrs(units="m s-1", long_name="wind speed")


def wind_direction(u: xr.DataArray, v: xr.DataArray) -> xr.DataArray:
    """Meteorological wind direction [degree]: where the wind blows **from**, clockwise from north.

    dd = atan2(−u, −v) in (0, 360]: 90 = from the east (u < 0, v = 0), 180 = from the south, 270 = from the
    west, 360 = from the north; 0 = calm (u = v = 0), as in the WMO code for reporting wind direction
    (WMO-No. 306, Manual on Codes, code table 0877) and MetPy's ``wind_direction``.
    """
    direction = np.mod(np.degrees(np.arctan2(-u, -v)), 360.0)
    direction = xr.where(direction <= 0.0, 360.0, direction)
    direction = xr.where((u == 0) & (v == 0), 0.0, direction).where(np.isfinite(u) & np.isfinite(v))
    return direction.assign_attrs(units="degree", long_name="wind direction (from), 0 = calm")


def wind(ds: xr.Dataset) -> xr.Dataset:
    """``ws10``/``wd10`` from u10/v10 and ``ws``/``wd`` on pressure levels from u/v [m s-1, degree]."""
    out = xr.Dataset()
    if "u10" in ds and "v10" in ds:
        out["ws10"] = wind_speed(ds["u10"], ds["v10"])
        out["wd10"] = wind_direction(ds["u10"], ds["v10"])
    if "u" in ds and "v" in ds:
        out["ws"] = wind_speed(ds["u"], ds["v"])
        out["wd"] = wind_direction(ds["u"], ds["v"])
    if not out.data_vars:
        raise MissingInputError("wind needs u10 and v10 (or u and v on levels)")
    return out


def relative_humidity(ds: xr.Dataset) -> xr.DataArray:
    """``rh2m`` [%] from t2m and d2m [K], Magnus form of Alduchov & Eskridge (1996), clipped 0–100.

    See :func:`met_inputs.thermo.relative_humidity_pct`; T = 30 °C, T_d = 20 °C gives 55.1 %.
    """
    _require(ds, ("t2m", "d2m"), "rh2m")
    rh = relative_humidity_pct(ds["t2m"], ds["d2m"]).where(np.isfinite(ds["t2m"]) & np.isfinite(ds["d2m"]))
    return rh.rename("rh2m").assign_attrs(units="%", long_name="2 m relative humidity over water")


def _time_axis(ds: xr.Dataset) -> tuple[str, np.ndarray, np.ndarray]:
    """Time dim, and start and end [h after init] of the interval each time stamp closes."""
    if STEP in ds.dims:
        dim = STEP
        values = ds[STEP].values
        ends = values / np.timedelta64(1, "h") if np.issubdtype(values.dtype, np.timedelta64) else values
    elif LEAD in ds.dims:
        dim, ends = LEAD, ds[LEAD].values
    else:
        raise MissingInputError("rain features need a 'step' or 'lead' dimension")
    ends = np.asarray(ends, dtype=float)
    starts = np.concatenate([[min(0.0, ends[0])], ends[:-1]])
    return dim, starts, ends


def _window_sum(tp: xr.DataArray, dim: str, starts: np.ndarray, ends: np.ndarray, hours: float) -> xr.DataArray:
    """Sum of interval amounts over (t − hours, t] for each t, sharing straddling intervals pro rata."""
    length = ends - starts
    lo, hi = ends[:, None] - hours, ends[:, None]
    overlap = np.clip(np.minimum(hi, ends[None, :]) - np.maximum(lo, starts[None, :]), 0.0, None)
    weights = np.where(length[None, :] > 0, overlap / np.where(length > 0, length, 1.0)[None, :], 0.0)
    other = [d for d in tp.dims if d != dim]
    values = tp.transpose(*other, dim).values
    missing = np.isnan(values)
    total = np.where(missing, 0.0, values) @ weights.T
    total[(missing.astype(float) @ (weights.T > 0)) > 0] = np.nan
    return xr.DataArray(total, dims=(*other, dim), coords=tp.coords).transpose(*tp.dims)


def rain_features(ds: xr.Dataset) -> xr.Dataset:
    """Rain flag and past-window totals from ``tp`` [mm in the interval ending at each time stamp].

    * ``rain_flag`` [1]: 1 where the hourly amount is ≥ 0.1 mm (the smallest measurable amount,
      WMO-No. 8), the hourly amount being tp divided by its interval length (so a 3-hourly step needs
      ≥ 0.3 mm, as :mod:`met_inputs.leads` spreads interval amounts evenly over their hours).
    * ``rain_6h_mm`` and ``rain_24h_mm`` [mm]: amount over (t − 6 h, t] and (t − 24 h, t], from the
      step spacing (an interval straddling the window start counts pro rata). Before init the window is
      cut: for t < 6 h after init it covers only (init, t]. NaN where a contributing interval is NaN.
    """
    _require(ds, ("tp",), "rain features")
    dim, starts, ends = _time_axis(ds)
    tp = ds["tp"]
    length = xr.DataArray(np.where(ends - starts > 0, ends - starts, 1.0), dims=dim)
    flag = (tp / length >= RAIN_THRESHOLD_MM).astype(float).where(np.isfinite(tp))
    out = xr.Dataset({"rain_flag": flag.assign_attrs(units="1", long_name="hourly precipitation >= 0.1 mm")})
    for hours in (6, 24):
        out[f"rain_{hours}h_mm"] = _window_sum(tp, dim, starts, ends, float(hours)).assign_attrs(
            units="mm", long_name=f"precipitation over the past {hours} h (cut at init)"
        )
    return out


def ventilation_coefficient(ds: xr.Dataset) -> xr.DataArray:
    """``ventilation_coefficient_m2_s`` [m2 s-1] = blh [m] × mean wind speed in the boundary layer [m s-1].

    The mean wind is the height-weighted mean speed from 10 m up to blh of the profile 10 m wind + level
    winds above ground (linear between nodes, constant above the highest; Holzworth 1967, "average
    wind speed through the mixing layer"), when u/v on levels and their heights are available; else
    the 10 m wind speed (a lower bound, since wind usually increases with height). ``attrs["wind"]``
    says which was used.

    References
    ----------
    .. [1] Holzworth, G. C. (1967). Mixing depths, wind speeds and air pollution potential for selected
       locations in the United States. J. Appl. Meteor. 6, 1039–1044.
    """
    _require(ds, ("blh",), "ventilation coefficient")
    ws10 = ds["ws10"] if "ws10" in ds else wind(ds).get("ws10")
    if ws10 is None:
        raise MissingInputError("ventilation coefficient needs u10 and v10")
    blh = ds["blh"]
    used = "10 m wind speed"
    mean_wind = ws10
    if "u" in ds and "v" in ds and LEVEL in ds.dims:
        try:
            heights = level_heights_agl(ds)
        except MissingInputError as exc:
            logger.info("ventilation with the 10 m wind only: %s", exc)
        else:
            ws = wind_speed(ds["u"], ds["v"])
            mean_wind = layer_mean(ws10, ANEMOMETER_HEIGHT_M, ws, heights, blh).transpose(*blh.dims)
            used = "height-weighted mean speed 10 m … blh from 10 m and pressure-level winds"
    vc = (blh * mean_wind).rename("ventilation_coefficient_m2_s")
    return vc.assign_attrs(units="m2 s-1", long_name="ventilation coefficient", wind=used)


def stagnation_index(ds: xr.Dataset) -> xr.DataArray:
    """Fraction [0–1] of air-stagnation criteria met at each station and time.

    Adapted from the NOAA Air Stagnation Index (Wang & Angell 1999; Horton et al. 2012, 2014), whose
    stagnant day has a daily-mean 10 m wind < 3.2 m s-1, a 500 hPa wind < 13 m s-1 and < 1 mm of rain.
    Our levels stop at 850 hPa, so the upper-air criterion, which stands for weak synoptic forcing and
    suppressed mixing, is replaced by the two boundary-layer signals it proxies:

    1. 10 m wind speed < 3.2 m s-1;
    2. rain over the past 24 h < 1 mm (``rain_24h_mm``; cut at init, see :func:`rain_features`);
    3. ventilation coefficient < 6000 m2 s-1 (Holzworth 1972: mixing height ≤ 1500 m with wind ≤ 4 m s-1);
    4. a temperature inversion in the lowest 1500 m (``inversion_flag``).

    The index is the mean of the criteria whose inputs exist (at least two; ``attrs["criteria"]`` lists
    them), NaN where one of them is NaN. 1 = all met (stagnant), 0 = none.

    References
    ----------
    .. [1] Wang, J. X. L. & Angell, J. K. (1999). Air stagnation climatology for the United States
       (1948–1998). NOAA/Air Resources Laboratory ATLAS No. 1.
    .. [2] Horton, D. E., Harshvardhan & Diffenbaugh, N. S. (2012). Response of air stagnation frequency to
       anthropogenically enhanced radiative forcing. Environ. Res. Lett. 7, 044034.
    .. [3] Holzworth, G. C. (1972). Mixing heights, wind speeds, and potential for urban air pollution
       throughout the contiguous United States. US EPA, Publ. AP-101.
    """
    spec: list[tuple[str, str, Callable[[xr.Dataset], xr.Dataset | xr.DataArray], Callable]] = [
        ("ws10 < 3.2 m s-1", "ws10", wind, lambda x: x < STAGNANT_WIND_M_S),
        ("rain_24h_mm < 1 mm", "rain_24h_mm", rain_features, lambda x: x < STAGNANT_RAIN_24H_MM),
        (
            "ventilation_coefficient_m2_s < 6000 m2 s-1",
            "ventilation_coefficient_m2_s",
            ventilation_coefficient,
            lambda x: x < POOR_VENTILATION_M2_S,
        ),
        ("inversion_flag = 1", "inversion_flag", inversion_diagnostics, lambda x: x == 1),
    ]
    used, met, skipped = [], [], []
    for label, name, compute, test in spec:
        try:
            value = _get(ds, name, compute)
        except MissingInputError as exc:
            skipped.append(f"{label} ({exc})")
            continue
        used.append(label)
        met.append(test(value).astype(float).where(np.isfinite(value)))
    if len(met) < 2:
        raise MissingInputError(f"stagnation index needs at least two criteria; unavailable: {'; '.join(skipped)}")
    index = (sum(met[1:], met[0]) / len(met)).rename("stagnation_index")
    index.attrs = {}
    return index.assign_attrs(
        units="1",
        long_name="fraction of stagnation criteria met",
        criteria="; ".join(used),
        criteria_unavailable="; ".join(skipped),
    )


def _get(ds: xr.Dataset, name: str, compute: Callable[[xr.Dataset], xr.Dataset | xr.DataArray]) -> xr.DataArray:
    """``ds[name]``, or computed from ``ds`` when absent."""
    if name in ds:
        return ds[name]
    result = compute(ds)
    if isinstance(result, xr.Dataset):
        if name not in result:
            raise MissingInputError(f"{name} cannot be computed from the inputs")
        return result[name]
    return result


def derive_all(station_ds: xr.Dataset) -> xr.Dataset:
    """Add every derived variable the inputs allow; ``attrs["not_derived"]`` lists the rest and why.

    Adds ws10, wd10, ws, wd, rh2m, rain_flag, rain_6h_mm, rain_24h_mm, inversion_flag,
    inversion_strength_k, inversion_base_m, lapse_t850_t2m_k, lapse_t925_t1000_k,
    ventilation_coefficient_m2_s and stagnation_index (see each function for units and definitions).
    """
    out = station_ds.copy()
    steps: list[tuple[str, Callable[[xr.Dataset], xr.Dataset | xr.DataArray]]] = [
        ("ws10, wd10, ws, wd", wind),
        ("rh2m", relative_humidity),
        ("rain_flag, rain_6h_mm, rain_24h_mm", rain_features),
        ("inversion_flag, inversion_strength_k, inversion_base_m, lapse_*", inversion_diagnostics),
        ("ventilation_coefficient_m2_s", ventilation_coefficient),
        ("stagnation_index", stagnation_index),
    ]
    added: list[str] = []
    not_derived: list[str] = []
    for label, compute in steps:
        try:
            result = compute(out)
        except MissingInputError as exc:
            not_derived.append(f"{label}: {exc}")
            continue
        if isinstance(result, xr.DataArray):
            result = result.to_dataset()
        out = out.assign({name: result[name] for name in result.data_vars})
        added.extend(str(name) for name in result.data_vars)
    out.attrs["derived"] = ", ".join(added)
    out.attrs["not_derived"] = "; ".join(not_derived)
    if not_derived:
        logger.info("not derived: %s", "; ".join(not_derived))
    return out
