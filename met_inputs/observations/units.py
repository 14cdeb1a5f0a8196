"""Concentration units: recognise how sources spell them and convert to µg/m³ at the edge.

Mixing ratios are converted at the reference condition of 25 °C and 1013.25 hPa
(:data:`configs.schema.MOLAR_VOLUME_L_AT_25C` = 24.45 L/mol), the convention of the US EPA and of
most Asian reporting networks::

    c [µg/m³] = x [ppb] × M [g/mol] / V_m [L/mol]
    c [µg/m³] = x [ppm] × 1000 × M [g/mol] / V_m [L/mol]

so 1 ppb NO2 = 46.0055 / 24.45 = 1.8816 µg/m³ and 1 ppm CO = 1000 × 28.010 / 24.45 = 1145.6 µg/m³.
Mixing ratios make no sense for particulate matter; asking for one is an error.

References
----------
US EPA, 40 CFR Part 50 (reference conditions 25 °C, 760 mmHg).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from configs.schema import MOLAR_MASS_G_PER_MOL, MOLAR_VOLUME_L_AT_25C, PM_POLLUTANTS

UGM3 = "ug/m3"
MASS_UNITS: dict[str, float] = {"ug/m3": 1.0, "mg/m3": 1000.0, "ng/m3": 0.001, "g/m3": 1e6}
"""Canonical mass-concentration units and their factor to µg/m³."""
MIXING_UNITS: dict[str, float] = {"ppb": 1.0, "ppm": 1000.0, "ppt": 0.001}
"""Canonical mixing-ratio units and their factor to ppb."""

_MU = re.compile("[µμ]")  # micro sign U+00B5 and Greek mu U+03BC


class UnitError(ValueError):
    """A unit is unknown or does not apply to the pollutant. The message says which."""


def normalise_unit(unit: str | None) -> str:
    """Canonical spelling of a concentration unit.

    ``µg/m³``, ``ug/m3``, ``ug m-3``, ``UG/M3``, ``μg m^-3``, ``microgram/m3`` → ``ug/m3``;
    likewise ``mg/m3``, ``ng/m3``, ``ppb``, ``ppm``. An empty unit means µg/m³.

    Raises
    ------
    UnitError
        When the spelling is not one we know.
    """
    if unit is None or (isinstance(unit, float) and np.isnan(unit)) or str(unit).strip() == "":
        return UGM3
    text = _MU.sub("u", str(unit).strip().lower())
    text = text.replace("³", "3").replace("^", "").replace("**", "")
    text = text.replace("micrograms", "ug").replace("microgram", "ug")
    text = text.replace("milligrams", "mg").replace("milligram", "mg")
    text = re.sub(r"\s*(/|per)\s*", "/", text)
    text = re.sub(r"\s*m-3$", "/m3", text)  # "ug m-3" -> "ug/m3"
    text = text.replace(" ", "").replace("/cubicmetre", "/m3").replace("/cubicmeter", "/m3")
    text = text.replace("pptv", "ppt").replace("ppbv", "ppb").replace("ppmv", "ppm")
    if text in MASS_UNITS or text in MIXING_UNITS:
        return text
    raise UnitError(
        f"unknown unit {unit!r}; expected a mass concentration (ug/m3, mg/m3, ng/m3) "
        "or a mixing ratio (ppb, ppm)"
    )


def conversion_factor(pollutant: str, unit: str | None) -> float:
    """Factor that turns a value in ``unit`` into µg/m³ for ``pollutant``.

    Parameters
    ----------
    pollutant : str
        Our pollutant key (``pm25``, ``no2``, ...).
    unit : str or None
        Any spelling :func:`normalise_unit` accepts; ``None``/empty means µg/m³.

    Returns
    -------
    float
        Multiply by this to get µg/m³ [µg m-3 per source unit].

    Raises
    ------
    UnitError
        Unknown unit, or a mixing ratio for particulate matter or a gas without a molar mass.
    """
    canonical = normalise_unit(unit)
    if canonical in MASS_UNITS:
        return MASS_UNITS[canonical]
    if pollutant in PM_POLLUTANTS:
        raise UnitError(f"unit {unit!r} is a mixing ratio, which does not apply to particulate {pollutant}")
    if pollutant not in MOLAR_MASS_G_PER_MOL:
        raise UnitError(f"no molar mass for {pollutant!r}; cannot convert {unit!r} to ug/m3")
    return MIXING_UNITS[canonical] * MOLAR_MASS_G_PER_MOL[pollutant] / MOLAR_VOLUME_L_AT_25C


def to_ugm3(values: pd.Series | np.ndarray | float, pollutant: str, unit: str | None):
    """Convert ``values`` [``unit``] to µg/m³ for ``pollutant``; NaN stays NaN."""
    return values * conversion_factor(pollutant, unit)
