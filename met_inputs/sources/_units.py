"""Units of gridded inputs: recognise the spelling a file uses and convert to the canonical unit.

Every reader passes each field through :func:`convert` with the unit the file *declares*; a unit that
is unknown or cannot become the unit the variable needs is an :class:`~configs.errors.InputFileError`
naming the file, the field and both units. Nothing is guessed from the values.

Constants
---------
* ``STANDARD_GRAVITY`` g₀ = 9.80665 m s-2 (WMO), to turn geopotential [m2 s-2] into height [m].
* ``DRY_AIR_GAS_CONSTANT`` R_d = 287.05 J kg-1 K-1, for air density ρ = p / (R_d T) [kg m-3].
* ``MOLAR_MASS_DRY_AIR`` 28.9647 g mol-1, for mole fractions (ppb) of CTM gases.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import numpy as np
import xarray as xr

from configs.errors import InputFileError
from configs.schema import MOLAR_MASS_G_PER_MOL

STANDARD_GRAVITY: Final = 9.80665
DRY_AIR_GAS_CONSTANT: Final = 287.05
MOLAR_MASS_DRY_AIR: Final = 28.9647

# canonical unit -> spellings found in GRIB (ecCodes), NetCDF (CF/UDUNITS, WRF) files, after _normalise
_SPELLINGS: Final[dict[str, tuple[str, ...]]] = {
    "K": ("K", "kelvin", "degK", "deg_K", "degrees_K"),
    "degC": ("degC", "C", "°C", "celsius", "Celsius", "deg_C", "degrees_C", "degrees_Celsius"),
    "degF": ("degF", "°F", "fahrenheit", "deg_F"),
    "Pa": ("Pa", "pascal", "Pascal", "N m-2"),
    "hPa": ("hPa", "mb", "mbar", "millibar", "millibars"),
    "kPa": ("kPa",),
    "m s-1": ("m s-1", "m/s", "ms-1", "meter second-1", "metre second-1"),
    "km h-1": ("km h-1", "km/h", "kph"),
    "knot": ("knot", "knots", "kt", "kts"),
    "m": ("m", "metre", "meter", "metres", "meters", "gpm"),
    "km": ("km",),
    "cm": ("cm",),
    "mm": ("mm", "millimetre", "millimeter", "kg m-2"),  # 1 kg m-2 of water = 1 mm
    "m2 s-2": ("m2 s-2", "m2/s2"),
    "1": ("1", "(0 - 1)", "0-1", "fraction", "(0-1)"),
    "%": ("%", "percent"),
    "W m-2": ("W m-2", "W/m2", "w m-2"),
    "J m-2": ("J m-2", "J/m2", "W s m-2"),
    "kg m-3": ("kg m-3", "kg/m3"),
    "g m-3": ("g m-3", "g/m3"),
    "mg m-3": ("mg m-3", "mg/m3"),
    "ug m-3": ("ug m-3", "ug/m3", "microgram m-3", "micrograms m-3", "ug m3-1"),
    "ng m-3": ("ng m-3", "ng/m3"),
    "kg kg-1": ("kg kg-1", "kg/kg"),
    "mol mol-1": ("mol mol-1", "mol/mol"),
    "ppm": ("ppm", "ppmv"),
    "ppb": ("ppb", "ppbv"),
}
_CANONICAL: Final[dict[str, str]] = {s: canon for canon, spellings in _SPELLINGS.items() for s in spellings}

# (from, to) -> (scale, offset): to = from * scale + offset
_LINEAR: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("degC", "K"): (1.0, 273.15),
    ("degF", "K"): (5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0),
    ("hPa", "Pa"): (100.0, 0.0),
    ("kPa", "Pa"): (1000.0, 0.0),
    ("km h-1", "m s-1"): (1.0 / 3.6, 0.0),
    ("knot", "m s-1"): (1852.0 / 3600.0, 0.0),
    ("km", "m"): (1000.0, 0.0),
    ("m", "mm"): (1000.0, 0.0),
    ("cm", "mm"): (10.0, 0.0),
    ("%", "1"): (0.01, 0.0),
    ("1", "%"): (100.0, 0.0),
    ("kg m-3", "ug m-3"): (1e9, 0.0),
    ("g m-3", "ug m-3"): (1e6, 0.0),
    ("mg m-3", "ug m-3"): (1e3, 0.0),
    ("ng m-3", "ug m-3"): (1e-3, 0.0),
}
_MOLE_FRACTION: Final[dict[str, float]] = {"mol mol-1": 1.0, "ppm": 1e-6, "ppb": 1e-9}

GEOPOTENTIAL_TARGETS: Final = frozenset({"orog", "gh"})
"""Variables that may be given as geopotential [m2 s-2] and are divided by g₀ to become heights [m]."""


def _normalise(units: str) -> str:
    text = units.strip().replace("**", "").replace("^", "").replace("µ", "u").replace("μ", "u")
    return re.sub(r"\s+", " ", text)


def canonical_units(units: str | None) -> str | None:
    """The canonical spelling of ``units`` (``"m s**-1"`` → ``"m s-1"``), or None when unknown."""
    if units is None:
        return None
    return _CANONICAL.get(_normalise(units))


def needs_air_density(units: str | None) -> bool:
    """Whether converting a concentration in ``units`` to µg/m³ needs the air density."""
    canon = canonical_units(units)
    return canon == "kg kg-1" or canon in _MOLE_FRACTION


def air_density(pressure_pa: xr.DataArray, temperature_k: xr.DataArray) -> xr.DataArray:
    """Density of (dry) air ρ = p / (R_d T).

    Parameters
    ----------
    pressure_pa : xarray.DataArray
        Air pressure [Pa].
    temperature_k : xarray.DataArray
        Air temperature [K].

    Returns
    -------
    xarray.DataArray
        Air density [kg m-3].
    """
    rho = pressure_pa / (DRY_AIR_GAS_CONSTANT * temperature_k)
    return rho.assign_attrs(units="kg m-3", long_name="air density p/(R_d T)")


def convert(
    data: xr.DataArray,
    units: str | None,
    target: str,
    *,
    path: Path,
    field: str,
    density: xr.DataArray | float | None = None,
) -> xr.DataArray:
    """Convert ``data`` from the declared ``units`` to the canonical ``target`` unit.

    Parameters
    ----------
    data : xarray.DataArray
        Values in ``units``.
    units : str or None
        Unit the file declares (any spelling listed in this module).
    target : str
        Canonical unit wanted, e.g. ``"K"``, ``"mm"``, ``"ug m-3"``.
    path : pathlib.Path
        File the field came from (for the error message).
    field : str
        ``"our_name (provider_name)"`` for the error message.
    density : xarray.DataArray or float, optional
        Air density [kg m-3], needed only for mass mixing ratios and mole fractions → µg/m³.

    Returns
    -------
    xarray.DataArray
        Values in ``target`` (float64), attributes dropped.

    Raises
    ------
    configs.errors.InputFileError
        Missing, unknown or incompatible units; a mixing ratio without air density.
    """
    if units is None or not str(units).strip() or str(units).strip().lower() in {"unknown", "none"}:
        raise InputFileError(path, f"field {field}: no units metadata; cannot tell how to read it as {target}")
    source = canonical_units(units)
    if source is None:
        raise InputFileError(path, f"field {field}: unknown units {units!r}; expected {target}")
    values = data.astype("float64")
    name = field.split(" ", 1)[0]
    if source == target:
        return values
    if (source, target) in _LINEAR:
        scale, offset = _LINEAR[(source, target)]
        return values * scale + offset
    if source == "m2 s-2" and target == "m" and name in GEOPOTENTIAL_TARGETS:
        return values / STANDARD_GRAVITY
    if target == "ug m-3" and (source == "kg kg-1" or source in _MOLE_FRACTION):
        if density is None:
            raise InputFileError(
                path,
                f"field {field}: units {units!r} are a mixing ratio; converting to µg/m³ needs the air "
                "density (surface pressure and temperature in the same file, or air_density=)",
            )
        if source == "kg kg-1":
            return values * density * 1e9
        molar_mass = MOLAR_MASS_G_PER_MOL.get(name)
        if molar_mass is None:
            raise InputFileError(path, f"field {field}: a mole fraction [{units}] needs a gas molar mass")
        return values * _MOLE_FRACTION[source] * (molar_mass / MOLAR_MASS_DRY_AIR) * density * 1e9
    raise InputFileError(path, f"field {field}: units {units!r} cannot be converted to {target}")


PLAUSIBLE_RANGE: Final[dict[str, tuple[float, float]]] = {
    # canonical units; values outside mean wrong units metadata or a broken file
    "t2m": (150.0, 350.0),
    "d2m": (120.0, 350.0),
    "t": (150.0, 350.0),
    "u10": (-150.0, 150.0),
    "v10": (-150.0, 150.0),
    "u": (-250.0, 250.0),
    "v": (-250.0, 250.0),
    "sp": (20_000.0, 115_000.0),
    "msl": (80_000.0, 110_000.0),
    "tp": (0.0, 1000.0),
    "blh": (0.0, 10_000.0),
    "tcc": (-0.01, 1.01),
    "ssrd": (0.0, 1500.0),
    "orog": (-1000.0, 9000.0),
    "r": (-1.0, 200.0),
    "gh": (-2000.0, 100_000.0),
}
"""Plausible value range of each NWP variable in its canonical unit; pollutants: -1 … 1e6 µg/m³."""


def check_plausible(data: xr.DataArray, name: str, units: str, *, path: Path, field: str) -> None:
    """Raise when values lie outside the plausible range of ``name`` (e.g. °C labelled K)."""
    low, high = PLAUSIBLE_RANGE.get(name, (-1.0, 1e6))
    values = np.asarray(data.values).ravel()
    if values.size == 0:
        return
    # fmin/fmax ignore NaN and copy nothing: the common, plausible case costs two passes
    vmin, vmax = np.fmin.reduce(values), np.fmax.reduce(values)
    if np.isnan(vmin) or (vmin >= low and vmax <= high and np.isfinite(vmin) and np.isfinite(vmax)):
        return
    finite = values[np.isfinite(values)].astype(float)
    bad = (finite < low) | (finite > high)
    if bad.any():
        raise InputFileError(
            path,
            f"field {field}: {bad.mean():.0%} of values outside the plausible range {low:g} … {high:g} {units} "
            f"(min {finite.min():.4g}, max {finite.max():.4g}); wrong units metadata or a broken file",
        )
