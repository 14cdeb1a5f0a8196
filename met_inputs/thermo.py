"""Thermodynamic primitives used by station extraction and derived meteorology (plain numpy).

Every function takes numpy arrays, scalars or xarray DataArrays and returns the same kind (DataArrays keep
their dims and broadcast by name); NaN propagates.

Constants
---------
* ``STANDARD_GRAVITY`` g₀ = 9.80665 m s-2 and ``DRY_AIR_GAS_CONSTANT`` R = 287.05287 J kg-1 K-1 and
  ``STANDARD_LAPSE_RATE`` Γ = 0.0065 K m-1 are those of the ICAO Standard Atmosphere (ICAO Doc 7488/3,
  1993), identical to ISO 2533:1975 and the WMO definition of the standard atmosphere.
* The Magnus constants are the "AERK" set of Alduchov & Eskridge (1996), eq. 21, recommended by them
  for −40 … 50 °C over water: e_s(T) = 6.1094 exp(17.625 T / (T + 243.04)) hPa with T in °C.

References
----------
.. [1] ICAO (1993). Manual of the ICAO Standard Atmosphere, Doc 7488/3, 3rd ed.
.. [2] Alduchov, O. A. & Eskridge, R. E. (1996). Improved Magnus form approximation of saturation
   vapor pressure. J. Appl. Meteor. 35, 601–609.
.. [3] Wallace, J. M. & Hobbs, P. V. (2006). Atmospheric Science, 2nd ed., §3.2 (hydrostatic
   equation, hypsometric equation).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike

STANDARD_GRAVITY: Final = 9.80665
"""g₀ [m s-2], ICAO/WMO standard gravity."""
DRY_AIR_GAS_CONSTANT: Final = 287.05287
"""R [J kg-1 K-1], specific gas constant of dry air of the ICAO Standard Atmosphere."""
STANDARD_LAPSE_RATE: Final = 0.0065
"""Γ [K m-1], temperature lapse rate of the ICAO Standard Atmosphere troposphere (6.5 K/km)."""
ZERO_CELSIUS: Final = 273.15
"""[K]"""

MAGNUS_A: Final = 17.625
"""Magnus coefficient [1], Alduchov & Eskridge (1996)."""
MAGNUS_B: Final = 243.04
"""Magnus coefficient [°C], Alduchov & Eskridge (1996)."""
MAGNUS_C: Final = 6.1094
"""Magnus coefficient [hPa], Alduchov & Eskridge (1996)."""


def _arr(x: Any) -> Any:
    """DataArrays pass through (numpy ufuncs keep their dims); anything else becomes a float array."""
    return x if hasattr(x, "dims") else np.asarray(x, dtype=float)


def saturation_vapour_pressure_hpa(temperature_k: ArrayLike) -> np.ndarray:
    """Saturation vapour pressure over water, Magnus form.

    Parameters
    ----------
    temperature_k : array_like
        Air (or dew-point) temperature [K].

    Returns
    -------
    numpy.ndarray
        e_s [hPa] = 6.1094 exp(17.625 T / (T + 243.04)), T in °C (Alduchov & Eskridge 1996, eq. 21).
    """
    t_c = _arr(temperature_k) - ZERO_CELSIUS
    return MAGNUS_C * np.exp(MAGNUS_A * t_c / (t_c + MAGNUS_B))


def dewpoint_from_vapour_pressure_k(vapour_pressure_hpa: ArrayLike) -> np.ndarray:
    """Dew point [K] of a vapour pressure [hPa]: the inverse of :func:`saturation_vapour_pressure_hpa`."""
    x = np.log(_arr(vapour_pressure_hpa) / MAGNUS_C)
    return MAGNUS_B * x / (MAGNUS_A - x) + ZERO_CELSIUS


def relative_humidity_pct(temperature_k: ArrayLike, dewpoint_k: ArrayLike) -> np.ndarray:
    """Relative humidity over water [%] from temperature and dew point, clipped to 0–100.

    RH = 100 e_s(T_d) / e_s(T) with the Magnus form of Alduchov & Eskridge (1996); e.g.
    T = 30 °C, T_d = 20 °C gives 55.1 %.

    Parameters
    ----------
    temperature_k : array_like
        Air temperature [K].
    dewpoint_k : array_like
        Dew-point temperature [K].
    """
    t_c = _arr(temperature_k) - ZERO_CELSIUS
    td_c = _arr(dewpoint_k) - ZERO_CELSIUS
    ratio = np.exp(MAGNUS_A * td_c / (td_c + MAGNUS_B) - MAGNUS_A * t_c / (t_c + MAGNUS_B))
    return np.clip(100.0 * ratio, 0.0, 100.0)


def pressure_ratio_linear_lapse(
    temperature_start_k: ArrayLike,
    temperature_end_k: ArrayLike,
    lapse_rate_k_per_m: float = STANDARD_LAPSE_RATE,
) -> np.ndarray:
    """Ratio p_end / p_start across a layer whose temperature changes linearly with height.

    Integrating the hydrostatic equation dp/p = −g dz / (R T) with T(z) = T_start − Γ (z − z_start)
    gives the barometric formula of the ICAO Standard Atmosphere (Doc 7488/3, eq. for layers with
    non-zero lapse rate)::

        p_end / p_start = (T_end / T_start) ** (g₀ / (R Γ)),   g₀ / (R Γ) = 5.25588

    Parameters
    ----------
    temperature_start_k, temperature_end_k : array_like
        Temperatures at the start and end height [K]; ``T_end = T_start − Γ (z_end − z_start)``.
    lapse_rate_k_per_m : float
        Γ [K m-1], positive when temperature falls with height.
    """
    exponent = STANDARD_GRAVITY / (DRY_AIR_GAS_CONSTANT * lapse_rate_k_per_m)
    return (_arr(temperature_end_k) / _arr(temperature_start_k)) ** exponent


def hypsometric_thickness_m(mean_temperature_k: ArrayLike, p_bottom: ArrayLike, p_top: ArrayLike) -> np.ndarray:
    """Thickness [m] of the layer between two pressures (any one unit), hypsometric equation.

    Δz = (R / g₀) T̄ ln(p_bottom / p_top) (Wallace & Hobbs 2006, eq. 3.29), with the layer-mean
    temperature T̄ [K] in place of the virtual temperature (the moisture correction, < 1.5 % of the
    thickness in tropical air, is neglected).
    """
    return DRY_AIR_GAS_CONSTANT / STANDARD_GRAVITY * _arr(mean_temperature_k) * np.log(_arr(p_bottom) / _arr(p_top))
