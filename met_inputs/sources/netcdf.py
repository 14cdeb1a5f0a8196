"""NetCDF NWP output: WRF ``wrfout`` files and generic CF NetCDF.

WRF (convention ``wrf``) — returned on the model's own grid: dims ``(step, y, x)`` with 2-D ``latitude``/
``longitude`` coordinates from ``XLAT``/``XLONG`` (Lambert, Mercator or polar WRF grids are not regular in
lat/lon). ``init_time`` is ``SIMULATION_START_DATE``; ``step`` = ``Times`` − it.

==================  =====  =====================================================================
WRF                 ours   rule
==================  =====  =====================================================================
T2                  t2m    K
Q2, PSFC            d2m    e = w p / (0.622 + w) (w: Q2 water-vapour mixing ratio [kg kg-1], p [Pa]);
                           Td = 243.5 ln(e/611.2) / (17.67 − ln(e/611.2)) °C (Bolton 1980) → K
U10, V10            u10    grid-relative; rotated to earth-relative with COSALPHA/SINALPHA when present:
                    v10    u = U cosα − V sinα, v = V cosα + U sinα (else taken as they are, noted)
PSFC                sp     Pa
RAINC + RAINNC      tp     mm accumulated since the simulation start (+ I_RAINC/I_RAINNC × BUCKET_MM
                           when bucketed) → de-accumulated per step interval
PBLH                blh    m
SWDOWN              ssrd   W m-2, instantaneous at the output time (WRF writes no interval mean)
HGT                 orog   m
==================  =====  =====================================================================

Generic CF (convention ``cf``): variables found by ``standard_name`` (:data:`CF_STANDARD_NAMES_MAP`), the
single-level or the pressure-level variable depending on whether the variable has a pressure dimension;
without a standard name, a variable already named as ours (``t2m``, ``tp`` …) is taken. Precipitation
with time bounds is de-accumulated over its windows; without bounds it is taken as the amount of the
interval ending at its time stamp.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd
import xarray as xr

from configs.errors import InputFileError
from configs.schema import LEVEL, NWP_PRESSURE_LEVEL_VARIABLES, NWP_VARIABLES
from met_inputs.sources._contract import DEFAULT_OPTIONS, ReadOptions, build_dataset
from met_inputs.sources._fields import RawField
from met_inputs.sources._ncread import concat_raws, netcdf_raw, open_netcdf
from met_inputs.sources._units import convert

logger = logging.getLogger(__name__)

VARIABLE_MAP: Final = MappingProxyType(
    {
        "T2": "t2m",
        "Q2": "d2m",
        "U10": "u10",
        "V10": "v10",
        "PSFC": "sp",
        "RAINC+RAINNC": "tp",
        "PBLH": "blh",
        "SWDOWN": "ssrd",
        "HGT": "orog",
    }
)
"""WRF variable → our name (``Q2`` with ``PSFC`` gives the dew point)."""

CF_STANDARD_NAMES_MAP: Final = MappingProxyType(
    {
        # standard_name: (single-level variable, pressure-level variable)
        "air_temperature": ("t2m", "t"),
        "dew_point_temperature": ("d2m", None),
        "eastward_wind": ("u10", "u"),
        "northward_wind": ("v10", "v"),
        "surface_air_pressure": ("sp", None),
        "air_pressure_at_mean_sea_level": ("msl", None),
        "air_pressure_at_sea_level": ("msl", None),
        "lwe_thickness_of_precipitation_amount": ("tp", None),
        "precipitation_amount": ("tp", None),
        "atmosphere_boundary_layer_thickness": ("blh", None),
        "cloud_area_fraction": ("tcc", None),
        "surface_downwelling_shortwave_flux_in_air": ("ssrd", None),
        "surface_altitude": ("orog", None),
        "surface_geopotential": ("orog", None),
        "relative_humidity": (None, "r"),
        "geopotential_height": (None, "gh"),
        "geopotential": (None, "gh"),
    }
)
"""CF standard name → our (single-level, pressure-level) variable."""


def is_wrf(ds: xr.Dataset) -> bool:
    """Whether an open NetCDF file is WRF output."""
    return "XLAT" in ds.variables and ("T2" in ds.variables or "WRF" in str(ds.attrs.get("TITLE", "")))


def _wrf_frame(ds: xr.Dataset, path: Path) -> xr.Dataset:
    """The WRF variables with a decoded ``Time`` coordinate and ``forecast_reference_time``."""
    start = ds.attrs.get("SIMULATION_START_DATE") or ds.attrs.get("START_DATE")
    if "Times" not in ds.variables or not start:
        raise InputFileError(path, "WRF file without Times or SIMULATION_START_DATE")
    raw_times = ds["Times"].values
    if raw_times.ndim == 2:  # char array (Time, DateStrLen)
        raw_times = np.array([b"".join(row) for row in raw_times])
    text = [t.decode() if isinstance(t, bytes) else str(t) for t in raw_times]
    try:
        times = pd.to_datetime([t.replace("_", "T") for t in text]).values.astype("datetime64[ns]")
        init = np.datetime64(pd.Timestamp(str(start).replace("_", "T")), "ns")
    except ValueError as exc:
        raise InputFileError(path, f"WRF times cannot be read ({text[:2]}, start {start!r})") from exc
    frame = ds.drop_vars(["Times", "XTIME"], errors="ignore").assign_coords(Time=times)
    frame = frame.set_coords([c for c in ("XLAT", "XLONG") if c in frame.data_vars])
    return frame.assign_coords(forecast_reference_time=init)


def _dew_point(q2: xr.DataArray, psfc: xr.DataArray) -> xr.DataArray:
    e = (q2 * psfc / (0.622 + q2)).clip(min=1e-3)  # vapour pressure [Pa]
    x = np.log(e / 611.2)
    return 243.5 * x / (17.67 - x) + 273.15


def _wrf_raws(ds: xr.Dataset, path: Path, options: ReadOptions) -> list[RawField]:
    frame = _wrf_frame(ds, path)
    raws: list[RawField] = []
    simple = {"T2": "t2m", "PSFC": "sp", "PBLH": "blh", "SWDOWN": "ssrd", "HGT": "orog"}
    for var, name in simple.items():
        if var in frame and options.wants(name):
            raws.append(netcdf_raw(frame, var, name, path))
    if {"Q2", "PSFC"} <= set(frame.variables) and options.wants("d2m"):
        q2 = convert(frame["Q2"], frame["Q2"].attrs.get("units"), "kg kg-1", path=path, field="d2m (Q2)")
        psfc = convert(frame["PSFC"], frame["PSFC"].attrs.get("units"), "Pa", path=path, field="d2m (PSFC)")
        raws.append(netcdf_raw(frame, "Q2", "d2m", path, data=_dew_point(q2, psfc), units="K"))
    if {"U10", "V10"} <= set(frame.variables):
        u, v = frame["U10"], frame["V10"]
        note = "rotated from grid to earth with COSALPHA/SINALPHA"
        if {"COSALPHA", "SINALPHA"} <= set(frame.variables):
            cos, sin = frame["COSALPHA"], frame["SINALPHA"]
            u, v = (u * cos - v * sin).assign_attrs(u.attrs), (v * cos + u * sin).assign_attrs(v.attrs)
        else:
            note = "grid-relative as written (no COSALPHA/SINALPHA in the file)"
            logger.warning("%s: U10/V10 not rotated: no COSALPHA/SINALPHA", path)
        for var, name, data in (("U10", "u10", u), ("V10", "v10", v)):
            if options.wants(name):
                raws.append(netcdf_raw(frame, var, name, path, data=data))
                raws[-1].notes["rotation"] = note
    if {"RAINC", "RAINNC"} <= set(frame.variables) and options.wants("tp"):
        total = frame["RAINC"] + frame["RAINNC"]
        bucket = float(frame.attrs.get("BUCKET_MM", 0) or 0)
        if bucket > 0 and {"I_RAINC", "I_RAINNC"} <= set(frame.variables):
            total = total + bucket * (frame["I_RAINC"] + frame["I_RAINNC"])
        units = frame["RAINNC"].attrs.get("units")
        raws.append(netcdf_raw(frame, "RAINC+RAINNC", "tp", path, data=total, units=units, kind="accum"))
    return raws


def _cf_name(da: xr.DataArray) -> str | None:
    standard = da.attrs.get("standard_name")
    if standard in CF_STANDARD_NAMES_MAP:
        single, pressure = CF_STANDARD_NAMES_MAP[standard]
        on_levels = any(
            d in ("level", "isobaricInhPa", "pressure_level", "plev")
            or da[d].attrs.get("standard_name") == "air_pressure"
            for d in da.dims
            if d in da.coords
        )
        return pressure if on_levels else single
    return str(da.name) if standard is None and da.name in NWP_VARIABLES else None


def _cf_raws(ds: xr.Dataset, path: Path, options: ReadOptions) -> list[RawField]:
    raws = []
    for var in ds.data_vars:
        name = _cf_name(ds[var])
        if name is None or not options.wants(name):
            continue
        da = ds[var]
        bounds_name = ds[da.dims[0]].attrs.get("bounds") if da.dims and da.dims[0] in ds.coords else None
        accumulated = name in ("tp", "ssrd") and (bounds_name in ds or da.attrs.get("GRIB_stepType") == "accum")
        raw = netcdf_raw(ds, str(var), name, path, kind="accum" if accumulated else "instant")
        if accumulated and bounds_name in ds:
            init = raw.data["_init"].values
            raw.starts = ds[bounds_name].values[:, 0].astype("datetime64[ns]") - init
            if name == "ssrd" or "mean" in str(da.attrs.get("cell_methods", "")):
                raw.kind = "avg"
        if name in ("tp", "ssrd") and not accumulated:
            raw.notes["interval"] = "no time bounds: taken as the value of the interval ending at its time"
        raws.append(raw)
    return raws


def open_source(
    paths: Sequence[Path], options: ReadOptions = DEFAULT_OPTIONS, convention: str | None = None
) -> xr.Dataset:
    """Read WRF or CF NetCDF files of one run into the reader contract.

    Parameters
    ----------
    paths : sequence of pathlib.Path
        NetCDF files of one run (e.g. hourly ``wrfout_d01_*`` files), in any order.
    options : ReadOptions
        Variables wanted/required, expected cycle, levels, area (on WRF grids: the bounding y/x box).
    convention : {"wrf", "cf"}, optional
        Default: ``wrf`` when the files look like WRF output.

    Returns
    -------
    xarray.Dataset
        The contract; WRF on dims ``(step, y, x)`` with 2-D ``latitude``/``longitude``.
    """
    parts: dict[str, list[RawField]] = {}
    kinds = set()
    for path in map(Path, paths):
        with open_netcdf(path) as ds:
            kind = convention or ("wrf" if is_wrf(ds) else "cf")
            kinds.add(kind)
            for raw in (_wrf_raws if kind == "wrf" else _cf_raws)(ds, path, options):
                if LEVEL in raw.data.dims and raw.name not in NWP_PRESSURE_LEVEL_VARIABLES:
                    if raw.data.sizes[LEVEL] != 1:
                        raise InputFileError(path, f"field {raw.label}: a single-level variable on several levels")
                    raw.data = raw.data.isel({LEVEL: 0}, drop=True)
                parts.setdefault(raw.name, []).append(raw)
    if len(kinds) > 1:
        raise InputFileError(Path(paths[0]), f"files mix conventions {sorted(kinds)}")
    raws = [concat_raws(p) for p in parts.values()]
    convention = kinds.pop() if kinds else (convention or "cf")
    return build_dataset(raws, paths=[Path(p) for p in paths], convention=convention, options=options)
