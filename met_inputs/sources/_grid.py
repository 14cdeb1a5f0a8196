"""Horizontal grid helpers: consistency of decoded regular grids, and cropping to an area."""

from __future__ import annotations

import numpy as np
import xarray as xr

from configs.schema import LATITUDE, LONGITUDE


def _uneven(delta: np.ndarray) -> bool:
    return delta.size > 1 and not np.allclose(delta, delta[0], rtol=1e-3, atol=1e-4)


def regular_grid_problem(data: xr.DataArray, grid_type: str) -> str | None:
    """Why decoded coordinates of a ``regular_ll`` grid are not a regular grid, or None.

    ecCodes builds the coordinates from the header (first/last point, increments, counts); when these
    disagree (e.g. cfgrib's ``regular_ll_wrong_increment.grib``: 37 rows of 2° from 90° to -90°) the
    latitudes come out unevenly spaced and every value would sit at a wrong place.
    """
    if grid_type != "regular_ll" or LATITUDE not in data.dims:
        return None
    lat = np.asarray(data[LATITUDE].values, dtype=float)
    lon = np.asarray(data[LONGITUDE].values, dtype=float)
    if _uneven(np.diff(lat)):
        return f"latitudes are not evenly spaced ({lat[:3].tolist()} … {lat[-3:].tolist()})"
    if _uneven((np.diff(lon) + 180.0) % 360.0 - 180.0):
        return f"longitudes are not evenly spaced ({lon[:3].tolist()} … {lon[-3:].tolist()})"
    return None


def _dilate(mask: np.ndarray) -> np.ndarray:
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    return grown


def _in_lon(lon: np.ndarray, west: float, east: float) -> np.ndarray:
    wrapped = (lon + 180.0) % 360.0 - 180.0
    west, east = (west + 180.0) % 360.0 - 180.0, (east + 180.0) % 360.0 - 180.0
    if west <= east:
        return (wrapped >= west) & (wrapped <= east)
    return (wrapped >= west) | (wrapped <= east)


def crop(data: xr.DataArray, area: tuple[float, float, float, float]) -> xr.DataArray:
    """``data`` cut to the box ``(north, west, south, east)`` [degrees] plus one grid cell around it.

    The margin keeps the neighbours that bilinear interpolation needs for points near the edge.

    Raises
    ------
    ValueError
        The box holds no grid point.
    """
    north, west, south, east = area
    lat, lon = data[LATITUDE], data[LONGITUDE]
    if lat.ndim == 1:
        rows = (lat.values >= south) & (lat.values <= north)
        cols = _in_lon(lon.values, west, east)
        if not rows.any() or not cols.any():
            raise ValueError(f"area {area} holds no grid point")
        return data.isel({lat.dims[0]: _dilate(rows), lon.dims[0]: _dilate(cols)})
    inside = (lat.values >= south) & (lat.values <= north) & _in_lon(lon.values, west, east)
    if not inside.any():
        raise ValueError(f"area {area} holds no grid point")
    ys, xs = np.nonzero(inside)
    y_dim, x_dim = lat.dims
    y0, y1 = max(ys.min() - 1, 0), min(ys.max() + 2, lat.shape[0])
    x0, x1 = max(xs.min() - 1, 0), min(xs.max() + 2, lat.shape[1])
    return data.isel({y_dim: slice(y0, y1), x_dim: slice(x0, x1)})
