"""NetCDF → :class:`RawField`: time structure, horizontal and vertical coordinates of CF-like files.

Time structures recognised, per variable:

* ``forecast_reference_time`` × ``forecast_period`` (or ``step``) dims (ADS/CDS NetCDF of forecasts);
* a ``step`` dim with a scalar ``time`` (cfgrib-written NetCDF);
* one time dim (``time``, ``valid_time``, ``Time``) with a scalar ``forecast_reference_time`` → a forecast;
  without it, each time is an *analysis* (the set becomes ``init_time`` = first time, step = time − it).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import numpy as np
import xarray as xr

from configs.errors import InputFileError
from configs.schema import LATITUDE, LEVEL, LONGITUDE, STEP
from met_inputs.sources._fields import RECORD_FILE, RECORD_INIT, Kind, RawField

logger = logging.getLogger(__name__)

_LAT_NAMES: Final = ("latitude", "lat", "XLAT", "nav_lat")
_LON_NAMES: Final = ("longitude", "lon", "XLONG", "nav_lon")
_TIME_DIMS: Final = ("time", "valid_time", "Time", "t")
_PRESSURE_UNITS: Final = {"hPa": 1.0, "mb": 1.0, "mbar": 1.0, "millibar": 1.0, "Pa": 0.01}
_PRESSURE_NAMES: Final = ("level", "isobaricInhPa", "pressure_level", "plev", "pressure", "lev")


def open_netcdf(path: Path) -> xr.Dataset:
    """Open one NetCDF file lazily (times decoded per file: references differ between files)."""
    try:
        return xr.open_dataset(path, decode_timedelta=True)
    except Exception as exc:  # netCDF4/h5netcdf raise many types
        raise InputFileError(path, f"cannot open as NetCDF: {type(exc).__name__}: {exc}") from exc


def find_coord(ds: xr.Dataset | xr.DataArray, names: tuple[str, ...], standard_name: str) -> str | None:
    """Name of the coordinate (or variable) with one of ``names`` or the CF ``standard_name``."""
    for name in list(ds.coords) + (list(ds.data_vars) if isinstance(ds, xr.Dataset) else []):
        if ds[name].attrs.get("standard_name") == standard_name:
            return str(name)
    return next((n for n in names if n in ds.coords or (isinstance(ds, xr.Dataset) and n in ds.data_vars)), None)


def _time_records(da: xr.DataArray, ds: xr.Dataset, path: Path) -> tuple[xr.DataArray, np.ndarray, np.ndarray]:
    """``da`` with one leading record dim, and the initial time and step of each record."""
    if "forecast_reference_time" in da.dims:
        step_dim = next((d for d in ("forecast_period", STEP) if d in da.dims), None)
        if step_dim is None:
            raise InputFileError(path, f"variable {da.name!r}: forecast_reference_time without forecast_period")
        da = da.transpose("forecast_reference_time", step_dim, ...)
        inits, steps = np.meshgrid(da["forecast_reference_time"].values, da[step_dim].values, indexing="ij")
        stacked = da.stack(_record=("forecast_reference_time", step_dim))
        return stacked.transpose("_record", ...), inits.ravel(), steps.ravel()
    if STEP in da.dims and "time" in da.coords and da["time"].ndim == 0:
        da = da.rename({STEP: "_record"}).transpose("_record", ...)
        return da, np.full(da.sizes["_record"], da["time"].values), da["_record"].values
    time_dim = next((d for d in _TIME_DIMS if d in da.dims), None)
    if time_dim is None:
        raise InputFileError(path, f"variable {da.name!r} has no time dimension (dims {da.dims})")
    times = da[time_dim].values
    if not np.issubdtype(times.dtype, np.datetime64):
        raise InputFileError(path, f"variable {da.name!r}: time {time_dim!r} is not decodable to dates")
    da = da.rename({time_dim: "_record"}).transpose("_record", ...)
    frt = ds.coords.get("forecast_reference_time")
    if frt is not None and frt.ndim == 0:
        return da, np.full(len(times), frt.values), times - frt.values
    return da, times, np.zeros(len(times), dtype="timedelta64[ns]")


def _vertical(da: xr.DataArray, path: Path, horizontal: tuple[str, ...]) -> xr.DataArray:
    others = [d for d in da.dims if d != "_record" and d not in horizontal]
    for dim in others:
        coord = da[dim] if dim in da.coords else None
        units = str(coord.attrs.get("units", "")) if coord is not None else ""
        is_pressure = coord is not None and (
            coord.attrs.get("standard_name") == "air_pressure" or units in _PRESSURE_UNITS or dim in _PRESSURE_NAMES
        )
        if is_pressure and units in _PRESSURE_UNITS | {"": 1.0}:
            hpa = coord.values.astype(float) * _PRESSURE_UNITS.get(units, 1.0)
            da = da.assign_coords({dim: np.round(hpa).astype("int64")}).rename({dim: LEVEL})
        elif da.sizes[dim] == 1:
            da = da.isel({dim: 0}, drop=True)
        else:
            raise InputFileError(path, f"variable {da.name!r}: unexpected dimension {dim!r} of size {da.sizes[dim]}")
    return da


def netcdf_raw(
    ds: xr.Dataset,
    variable: str,
    name: str,
    path: Path,
    *,
    data: xr.DataArray | None = None,
    units: str | None = None,
    kind: Kind = "instant",
) -> RawField:
    """One variable of an open NetCDF file as a :class:`RawField` with records (initial time, step).

    Parameters
    ----------
    ds : xarray.Dataset
        The open file.
    variable : str
        Provider's variable name (for messages), also the data unless ``data`` is given.
    name : str
        Our variable name.
    path : pathlib.Path
        The file (recorded per step).
    data : xarray.DataArray, optional
        Derived data (e.g. a sum of variables) with the dims of ``ds[variable]``.
    units : str, optional
        Units of ``data`` (default: the variable's ``units`` attribute).
    kind : {"instant", "accum"}
        ``accum`` for accumulations since the initial time (windows start at 0).
    """
    da = ds[variable] if data is None else data
    units = units if units is not None else da.attrs.get("units")
    lat_name = find_coord(ds, _LAT_NAMES, "latitude")
    lon_name = find_coord(ds, _LON_NAMES, "longitude")
    if lat_name is None or lon_name is None:
        raise InputFileError(path, f"variable {variable!r}: no latitude/longitude coordinates")
    lat, lon = ds[lat_name], ds[lon_name]
    da, inits, steps = _time_records(da, ds, path)
    da = da.reset_coords(drop=True)
    if lat.ndim == 1:
        da = da.rename({d: n for d, n in ((lat.dims[0], LATITUDE), (lon.dims[0], LONGITUDE)) if d != n})
        da = da.assign_coords({LATITUDE: lat.values.astype(float), LONGITUDE: lon.values.astype(float)})
        horizontal: tuple[str, ...] = (LATITUDE, LONGITUDE)
    else:
        lat2, lon2 = (c.isel({d: 0 for d in c.dims if d not in da.dims[-2:]}) for c in (lat, lon))
        da = da.rename({lat2.dims[0]: "y", lat2.dims[1]: "x"})
        da = da.assign_coords({LATITUDE: (("y", "x"), lat2.values), LONGITUDE: (("y", "x"), lon2.values)})
        horizontal = ("y", "x")
    da = _vertical(da, path, horizontal)
    rest = [LEVEL] if LEVEL in da.dims else []
    da = da.transpose("_record", *rest, *horizontal)
    coords = {c: da[c] for c in da.coords if "_record" not in da[c].dims}
    out = xr.DataArray(
        da.values,
        dims=(STEP, *rest, *horizontal),
        coords={
            **coords,
            STEP: steps.astype("timedelta64[ns]"),
            RECORD_INIT: (STEP, inits.astype("datetime64[ns]")),
            RECORD_FILE: (STEP, np.full(len(steps), str(path), dtype=object)),
        },
    )
    starts = np.zeros(len(steps), dtype="timedelta64[ns]") if kind == "accum" else None
    return RawField(name, variable, out, units, kind, starts)


def concat_raws(parts: list[RawField]) -> RawField:
    """One field read from several files (records in file order)."""
    first = parts[0]
    if len(parts) == 1:
        return first
    try:
        data = xr.concat([p.data for p in parts], dim=STEP, coords="minimal", compat="override", join="exact")
    except ValueError as exc:
        raise InputFileError(parts[-1].path_at(), f"field {first.label}: grid or levels differ between files") from exc
    starts = None if first.starts is None else np.concatenate([p.starts for p in parts])
    units = {p.units for p in parts}
    if len(units) > 1:
        raise InputFileError(first.path_at(), f"field {first.label}: files disagree on units {sorted(map(str, units))}")
    return RawField(first.name, first.provider, data, first.units, first.kind, starts, dict(first.notes))
