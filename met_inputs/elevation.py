"""Bring interpolated near-surface fields from the model surface height to the station elevation.

A model grid cell's surface (``orog`` [m]) is rarely at the station's height: in the hills of northern
Vietnam the difference reaches hundreds of metres. With Δz = orog − station elevation [m] (positive when
the station lies below the model surface):

* **t2m** [K] is shifted by the ICAO standard-atmosphere lapse rate: ΔT = Γ Δz, Γ = 6.5 K/km
  (ICAO Doc 7488/3; the WMO standard atmosphere). The shift is recorded per station in
  ``t2m_elevation_adjustment_k``.
* **sp** [Pa] follows the barometric formula for a layer of constant lapse rate Γ starting at the model
  surface with the model's t2m: p_station = p_model ((T_model + ΔT) / T_model) ** (g₀ / (R Γ))
  (:func:`met_inputs.thermo.pressure_ratio_linear_lapse`). Without t2m, the ICAO standard-atmosphere
  temperature at the model height (288.15 K − Γ orog) stands in. Recorded in ``sp_elevation_adjustment_pa``.
* **d2m** [K] is *not* shifted by ΔT (that would keep the dew-point depression, i.e. roughly the relative
  humidity, which is not conserved when air moves vertically). Instead the air's **mixing ratio is held
  constant**: the vapour pressure scales with pressure, e_station = e_model p_station / p_model (exact for
  a constant mixing ratio w = ε e / (p − e)), and d2m is the Magnus dew point of e_station, capped at the
  adjusted t2m (saturation). This gives the familiar dew-point lapse of about 1.7–1.9 K/km (Stull 2017,
  §5.2) while temperature lapses at 6.5 K/km. Recorded in ``d2m_elevation_adjustment_k``.

Stations with unknown elevation (NaN) are left unadjusted (adjustments 0). The coordinate
``surface_height_m`` records the height [m above MSL] the near-surface fields now refer to: the station
elevation where adjusted, else the model surface height, else NaN. Derived diagnostics
(:mod:`met_inputs.inversion`) measure heights above ground from it.

References
----------
.. [1] ICAO (1993). Manual of the ICAO Standard Atmosphere, Doc 7488/3.
.. [2] Alduchov, O. A. & Eskridge, R. E. (1996). J. Appl. Meteor. 35, 601–609 (Magnus form).
.. [3] Stull, R. (2017). Practical Meteorology: An Algebra-based Survey of Atmospheric Science, v1.02b,
   Univ. of British Columbia, ch. 5.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from configs.schema import STATION, STEP
from met_inputs.thermo import (
    STANDARD_LAPSE_RATE,
    dewpoint_from_vapour_pressure_k,
    pressure_ratio_linear_lapse,
    saturation_vapour_pressure_hpa,
)

logger = logging.getLogger(__name__)

ISA_SEA_LEVEL_TEMPERATURE_K = 288.15
"""T₀ [K] of the ICAO Standard Atmosphere at mean sea level."""


def _model_height(points: xr.Dataset) -> xr.DataArray | None:
    if "orog" not in points:
        return None
    orog = points["orog"]
    for dim in [d for d in orog.dims if d != STATION]:  # orog is constant: drop step/other dims
        orog = orog.isel({dim: 0}, drop=True)
    return orog.drop_vars([c for c in orog.coords if c != STATION])


def adjust_to_station_elevation(points: xr.Dataset, lapse_rate_k_per_m: float = STANDARD_LAPSE_RATE) -> xr.Dataset:
    """Adjust t2m, sp and d2m of a station dataset from the model surface to the station elevation.

    Parameters
    ----------
    points : xarray.Dataset
        Output of :func:`met_inputs.extract.extract_points` before adjustment: dims ``(station, step)``,
        coordinate ``station_elevation_m`` [m], variables ``orog`` [m] and any of ``t2m`` [K],
        ``d2m`` [K], ``sp`` [Pa].
    lapse_rate_k_per_m : float
        Γ [K m-1], default the ICAO standard 0.0065.

    Returns
    -------
    xarray.Dataset
        A copy with adjusted t2m/d2m/sp, the adjustment variables, ``surface_height_m`` and
        ``attrs["elevation_adjusted"] = 1``. Unchanged (but with ``surface_height_m``) when orog or the
        station elevations are missing, or when already adjusted.
    """
    if points.attrs.get("elevation_adjusted") == 1:
        return points
    out = points.copy()
    orog = _model_height(points)
    elevation = points.coords.get("station_elevation_m")
    if orog is None or elevation is None:
        missing = "orog" if orog is None else "station_elevation_m"
        logger.info("no elevation adjustment: %s not available", missing)
        height = orog if orog is not None else xr.full_like(points[STATION], np.nan, dtype=float)
        out = out.assign_coords(surface_height_m=(STATION, np.asarray(height.values, dtype=float)))
        out.attrs["elevation_adjustment"] = f"not applied: {missing} not available"
        return out
    elevation = elevation.drop_vars([c for c in elevation.coords if c != STATION])
    known = np.isfinite(elevation) & np.isfinite(orog)
    dz = (orog - elevation).where(known, 0.0)
    delta_t = lapse_rate_k_per_m * dz
    if "t2m" in points:
        t_model = points["t2m"]
    else:
        t_model = ISA_SEA_LEVEL_TEMPERATURE_K - lapse_rate_k_per_m * orog.fillna(0.0)
    ratio = pressure_ratio_linear_lapse(t_model, t_model + delta_t, lapse_rate_k_per_m)
    if "t2m" in points:
        out["t2m"] = (points["t2m"] + delta_t).assign_attrs(points["t2m"].attrs)
        out["t2m_elevation_adjustment_k"] = delta_t.assign_attrs(
            units="K", long_name="t2m shift model surface → station: 6.5 K/km × (orog − elevation)"
        )
    if "sp" in points:
        out["sp"] = (points["sp"] * ratio).assign_attrs(points["sp"].attrs)
        out["sp_elevation_adjustment_pa"] = (out["sp"] - points["sp"]).assign_attrs(
            units="Pa", long_name="sp change model surface → station (barometric formula)"
        )
    if "d2m" in points:
        e_station = saturation_vapour_pressure_hpa(points["d2m"]) * ratio
        d2m = dewpoint_from_vapour_pressure_k(e_station)
        if "t2m" in out:
            d2m = np.minimum(d2m, out["t2m"])
        d2m = d2m.where(known, points["d2m"])  # no round-off where nothing moves
        out["d2m"] = d2m.assign_attrs(points["d2m"].attrs)
        out["d2m_elevation_adjustment_k"] = (out["d2m"] - points["d2m"]).assign_attrs(
            units="K", long_name="d2m change model surface → station at constant mixing ratio"
        )
    surface = xr.where(known, elevation, orog)
    out = out.assign_coords(surface_height_m=(STATION, np.asarray(surface.values, dtype=float), {"units": "m"}))
    out.attrs.update(
        elevation_adjusted=1,
        elevation_adjustment=(
            f"t2m lapse {lapse_rate_k_per_m * 1000:g} K/km (ICAO standard atmosphere), sp barometric, "
            "d2m at constant mixing ratio; stations with unknown elevation unadjusted"
        ),
    )
    if STEP in out.dims:
        out = out.transpose(STATION, STEP, ...)
    return out
