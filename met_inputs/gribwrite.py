"""Write small regular lat-lon GRIB2 files with ecCodes: synthetic NWP and CTM inputs.

Used by the tests, the benchmark and the demo to produce files in the formats the readers take from
real providers: IFS-like (centre ``ecmf``, ``paramId``), GFS-like (centre ``kwbc``, discipline /
category / number of the NCEP tables) and CAMS-like chemistry (``paramId`` of ECMWF table 210, GRIB2
chemical-constituent template). Values are given in the provider's units (K, Pa, m, J m-2 …).

Example
-------
>>> grid = LatLonGrid(north=24.0, south=8.0, west=101.0, east=110.0, step=0.25)
>>> fields = [ifs_field("2t", np.full(grid.shape, 290.0), grid, "2026-11-22T00", step=3)]
>>> write_grib2("t2m.grib2", fields)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import eccodes
import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

StepType = Literal["instant", "accum", "avg"]

NCEP_PARAMETERS: Final[dict[str, tuple[int, int, int]]] = {
    # NCEP name: (discipline, parameterCategory, parameterNumber), GRIB2 code table 4.2 and NCEP local entries
    "TMP": (0, 0, 0),
    "DPT": (0, 0, 6),
    "RH": (0, 1, 1),
    "APCP": (0, 1, 8),
    "UGRD": (0, 2, 2),
    "VGRD": (0, 2, 3),
    "PRES": (0, 3, 0),
    "PRMSL": (0, 3, 1),
    "HGT": (0, 3, 5),
    "HPBL": (0, 3, 196),
    "DSWRF": (0, 4, 7),
    "TCDC": (0, 6, 1),
}
"""GRIB2 identification of the NCEP parameters the GFS reader uses."""

IFS_SHORT_NAMES: Final[dict[str, int]] = {
    "2t": 167, "2d": 168, "10u": 165, "10v": 166, "sp": 134, "msl": 151, "tp": 228, "tcc": 164,
    "ssrd": 169, "blh": 159, "z": 129, "t": 130, "u": 131, "v": 132, "r": 157, "gh": 156, "lnsp": 152,
}  # fmt: skip
"""ECMWF shortName → paramId of the fields the IFS reader uses."""

CAMS_SHORT_NAMES: Final[dict[str, int]] = {
    "pm2p5": 210073, "pm10": 210074, "no2": 210121, "so2": 210122, "co": 210123, "go3": 210203,
}  # fmt: skip
"""CAMS shortName → paramId (ECMWF table 210); GRIB2 encodes them with the chemical templates 40/48."""

_CENTRES: Final = {"ecmf": 98, "kwbc": 7}


@dataclass(frozen=True)
class LatLonGrid:
    """A regular lat-lon grid [degrees]; rows run north → south unless ``south_to_north``."""

    north: float
    south: float
    west: float
    east: float
    step: float
    south_to_north: bool = False

    @property
    def latitudes(self) -> np.ndarray:
        """Row latitudes in storage order [°N]."""
        n = round((self.north - self.south) / self.step) + 1
        lat = self.north - self.step * np.arange(n)
        return lat[::-1] if self.south_to_north else lat

    @property
    def longitudes(self) -> np.ndarray:
        """Column longitudes [°E]."""
        return self.west + self.step * np.arange(round((self.east - self.west) / self.step) + 1)

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)`` = (Nj, Ni)."""
        return len(self.latitudes), len(self.longitudes)


@dataclass(frozen=True)
class FieldSpec:
    """One GRIB2 message to write.

    Attributes
    ----------
    values : numpy.ndarray
        ``grid.shape`` array in storage order (row 0 = first latitude of the grid); NaN → bitmap.
    grid : LatLonGrid
    init_time : str or datetime-like
        Initial (reference) time, UTC.
    step : int or (int, int)
        Forecast step [h]; for ``accum``/``avg`` the window ``(start, end)`` [h] (an int means ``(0, step)``).
    keys : mapping
        Parameter identification: ``{"paramId": 167}`` or ``{"discipline": 0, "parameterCategory": 0,
        "parameterNumber": 0}``, plus e.g. ``constituentType``.
    type_of_level : str
        ecCodes ``typeOfLevel`` (``surface``, ``heightAboveGround``, ``isobaricInhPa``, ``meanSea``,
        ``atmosphere``, ``hybrid``).
    level : int
        Level value (2, 10, 850 …; 0 for surfaces).
    step_type : {"instant", "accum", "avg"}
    centre : str
        ``ecmf`` or ``kwbc`` (or a WMO centre number as a string).
    bits_per_value : int
        Packing precision.
    extra : mapping
        Any further keys to set last (arrays, e.g. hybrid coefficients ``pv``, with ``codes_set_array``).
    """

    values: np.ndarray
    grid: LatLonGrid
    init_time: Any
    step: int | tuple[int, int]
    keys: Mapping[str, Any]
    type_of_level: str = "surface"
    level: int = 0
    step_type: StepType = "instant"
    centre: str = "ecmf"
    bits_per_value: int = 24
    extra: Mapping[str, Any] = field(default_factory=dict)


def _set_grid(handle: int, grid: LatLonGrid) -> None:
    lat = grid.latitudes
    eccodes.codes_set(handle, "Ni", len(grid.longitudes))
    eccodes.codes_set(handle, "Nj", len(lat))
    eccodes.codes_set(handle, "jScansPositively", 1 if grid.south_to_north else 0)
    eccodes.codes_set(handle, "latitudeOfFirstGridPointInDegrees", float(lat[0]))
    eccodes.codes_set(handle, "latitudeOfLastGridPointInDegrees", float(lat[-1]))
    eccodes.codes_set(handle, "longitudeOfFirstGridPointInDegrees", float(grid.longitudes[0]))
    eccodes.codes_set(handle, "longitudeOfLastGridPointInDegrees", float(grid.longitudes[-1]))
    eccodes.codes_set(handle, "iDirectionIncrementInDegrees", float(grid.step))
    eccodes.codes_set(handle, "jDirectionIncrementInDegrees", float(grid.step))


def _encode(spec: FieldSpec) -> bytes:
    values = np.asarray(spec.values, dtype=float)
    if values.shape != spec.grid.shape:
        raise ValueError(f"values have shape {values.shape}, grid {spec.grid.shape}")
    handle = eccodes.codes_grib_new_from_samples("regular_ll_sfc_grib2")
    try:
        centre = _CENTRES.get(spec.centre, spec.centre)
        eccodes.codes_set(handle, "centre", int(centre))
        if int(centre) == 7:
            eccodes.codes_set(handle, "localTablesVersion", 1)
        _set_grid(handle, spec.grid)
        init = pd.Timestamp(spec.init_time)
        eccodes.codes_set(handle, "dataDate", int(init.strftime("%Y%m%d")))
        eccodes.codes_set(handle, "dataTime", int(init.strftime("%H%M")))
        if spec.step_type != "instant":
            eccodes.codes_set(handle, "stepType", spec.step_type)
        eccodes.codes_set(handle, "typeOfLevel", spec.type_of_level)
        for key, value in spec.keys.items():
            eccodes.codes_set(handle, key, value)
        eccodes.codes_set(handle, "typeOfLevel", spec.type_of_level)  # a paramId may imply another level
        eccodes.codes_set(handle, "level", int(spec.level))
        start, end = spec.step if isinstance(spec.step, tuple) else (0, spec.step)
        eccodes.codes_set(handle, "stepRange", f"{start}-{end}" if spec.step_type != "instant" else str(end))
        for key, value in spec.extra.items():
            if isinstance(value, list | tuple | np.ndarray):
                eccodes.codes_set_array(handle, key, np.asarray(value, dtype=float))
            else:
                eccodes.codes_set(handle, key, value)
        _check_keys(handle, spec)
        eccodes.codes_set(handle, "bitsPerValue", spec.bits_per_value)
        missing = ~np.isfinite(values)
        if missing.any():
            eccodes.codes_set(handle, "bitmapPresent", 1)
            eccodes.codes_set_double(handle, "missingValue", 9.999e20)
            values = np.where(missing, 9.999e20, values)
        eccodes.codes_set_values(handle, values.ravel())
        return eccodes.codes_get_message(handle)
    finally:
        eccodes.codes_release(handle)


def _check_keys(handle: int, spec: FieldSpec) -> None:
    for key, value in spec.keys.items():
        got = eccodes.codes_get(handle, key)
        if got != value:
            raise ValueError(f"ecCodes set {key}={got!r}, not {value!r} (level {spec.type_of_level} {spec.level})")


def write_grib2(path: str | Path, fields: Sequence[FieldSpec], *, append: bool = False) -> Path:
    """Write ``fields`` as GRIB2 messages to ``path`` (created, or appended to).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab" if append else "wb") as out:
        for spec in fields:
            out.write(_encode(spec))
    logger.debug("wrote %d GRIB2 message(s) to %s", len(fields), path)
    return path


def ifs_field(short_name: str, values: np.ndarray, grid: LatLonGrid, init_time: Any, step: int | tuple[int, int],
              *, level: int | None = None, **kwargs: Any) -> FieldSpec:  # fmt: skip
    """An IFS-like message (centre ``ecmf``) by ECMWF shortName (``2t``, ``tp``, ``t`` …).

    ``tp`` and ``ssrd`` are written as accumulations since the initial time (window ``(0, step)``);
    ``level`` makes pressure-level fields (``isobaricInhPa``).
    """
    param = IFS_SHORT_NAMES[short_name]
    defaults: dict[str, Any] = {"type_of_level": "surface", "level": 0}
    if short_name in ("2t", "2d"):
        defaults = {"type_of_level": "heightAboveGround", "level": 2}
    elif short_name in ("10u", "10v"):
        defaults = {"type_of_level": "heightAboveGround", "level": 10}
    elif short_name == "msl":
        defaults = {"type_of_level": "meanSea", "level": 0}
    elif short_name == "tcc":
        defaults = {"type_of_level": "entireAtmosphere", "level": 0}
    if level is not None:
        defaults = {"type_of_level": "isobaricInhPa", "level": level}
    if short_name in ("tp", "ssrd"):
        defaults["step_type"] = "accum"
    return FieldSpec(values, grid, init_time, step, {"paramId": param}, centre="ecmf", **{**defaults, **kwargs})


def gfs_field(name: str, values: np.ndarray, grid: LatLonGrid, init_time: Any, step: int | tuple[int, int],
              *, type_of_level: str = "surface", level: int = 0, **kwargs: Any) -> FieldSpec:  # fmt: skip
    """A GFS-like message (centre ``kwbc``) by NCEP name (``TMP``, ``APCP``, ``HPBL`` …).

    Pass ``step_type="accum"`` (APCP) or ``"avg"`` (DSWRF, TCDC) with ``step=(start, end)`` for the
    GFS windows (0-3, 0-6, 6-9 …).
    """
    discipline, category, number = NCEP_PARAMETERS[name]
    keys = {"discipline": discipline, "parameterCategory": category, "parameterNumber": number}
    return FieldSpec(values, grid, init_time, step, keys, type_of_level, level, centre="kwbc", **kwargs)


def cams_field(short_name: str, values: np.ndarray, grid: LatLonGrid, init_time: Any, step: int,
               *, type_of_level: str = "surface", level: int = 0, **kwargs: Any) -> FieldSpec:  # fmt: skip
    """A CAMS-like composition message: ``pm2p5``/``pm10`` [kg m-3], gases [kg kg-1], or ``2t``/``sp``/``t``
    for the air density (centre ``ecmf``). Gases at the surface usually come on ``hybrid`` level 137."""
    param = CAMS_SHORT_NAMES.get(short_name) or IFS_SHORT_NAMES[short_name]
    return FieldSpec(values, grid, init_time, step, {"paramId": param}, type_of_level, level, centre="ecmf", **kwargs)
