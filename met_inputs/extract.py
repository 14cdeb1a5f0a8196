"""Station extraction: gridded NWP/CTM fields → values at stations, dims ``(station, step, [level])``.

Interpolation weights (4 corner indices and weights per station for bilinear, 1 for nearest; see
:mod:`met_inputs.gridweights` for the definitions) are computed once per (grid, stations, method) and
held in a small cache by an :class:`Extractor`, then applied to every variable by fancy indexing: no
Python loop over stations or steps, cost linear in stations.

After interpolation, t2m, d2m and sp are brought from the model surface height (``orog``) to the station
elevation when both are known (:func:`met_inputs.elevation.adjust_to_station_elevation`).
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import LATITUDE, LONGITUDE, STATION
from met_inputs.elevation import adjust_to_station_elevation
from met_inputs.gridweights import (
    InterpolationWeights,
    Method,
    Outside,
    StationPoints,
    curvilinear_nearest,
    regular_weights,
)

logger = logging.getLogger(__name__)

__all__ = ["Extractor", "InterpolationWeights", "StationPoints", "extract_points", "station_points"]

_MAX_LISTED = 20


def station_points(stations: pd.DataFrame | Iterable[Any] | StationPoints) -> StationPoints:
    """Normalise stations to :class:`StationPoints`.

    Parameters
    ----------
    stations : pandas.DataFrame, iterable of Station, or StationPoints
        A DataFrame with columns ``latitude`` [°N], ``longitude`` [°E], optional ``elevation_m`` [m] and
        the ids in a column ``id`` (or ``station``) or in the index; or objects with attributes ``id``,
        ``latitude``, ``longitude``, ``elevation_m`` (e.g. :class:`configs.networks.Station`).
    """
    if isinstance(stations, StationPoints):
        return stations
    if isinstance(stations, pd.DataFrame):
        frame = stations
        id_col = next((c for c in ("id", "station", "station_id") if c in frame.columns), None)
        ids = frame[id_col] if id_col else frame.index
        missing = [c for c in ("latitude", "longitude") if c not in frame.columns]
        if missing:
            raise ValueError(f"stations table lacks column(s) {missing}; has {list(frame.columns)}")
        elevation = frame["elevation_m"] if "elevation_m" in frame.columns else np.full(len(frame), np.nan)
        points = StationPoints(
            ids=np.asarray(ids, dtype=str),
            latitude=np.asarray(frame["latitude"], dtype=float),
            longitude=np.asarray(frame["longitude"], dtype=float),
            elevation_m=np.asarray(pd.to_numeric(pd.Series(elevation), errors="coerce"), dtype=float),
        )
    else:
        items = list(stations)
        points = StationPoints(
            ids=np.asarray([s.id for s in items], dtype=str),
            latitude=np.asarray([s.latitude for s in items], dtype=float),
            longitude=np.asarray([s.longitude for s in items], dtype=float),
            elevation_m=np.asarray(
                [np.nan if getattr(s, "elevation_m", None) is None else s.elevation_m for s in items], dtype=float
            ),
        )
    unique, counts = np.unique(points.ids, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"duplicate station ids: {unique[counts > 1].tolist()[:_MAX_LISTED]}")
    bad = ~(np.isfinite(points.latitude) & np.isfinite(points.longitude))
    if bad.any():
        raise ValueError(f"stations without coordinates: {points.ids[bad].tolist()[:_MAX_LISTED]}")
    return points


def _grid_of(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray, tuple[str, str], bool]:
    """Latitude, longitude arrays, horizontal dims and whether the grid is curvilinear."""
    if LATITUDE not in ds.coords or LONGITUDE not in ds.coords:
        raise ValueError(f"dataset has no {LATITUDE!r}/{LONGITUDE!r} coordinates: {list(ds.coords)}")
    lat, lon = ds[LATITUDE], ds[LONGITUDE]
    if lat.ndim == 1 and lon.ndim == 1:
        return lat.values, lon.values, (lat.dims[0], lon.dims[0]), False
    if lat.ndim == 2 and lat.dims == lon.dims:
        return lat.values, lon.values, (lat.dims[0], lat.dims[1]), True
    raise ValueError(f"unsupported grid: latitude dims {lat.dims}, longitude dims {lon.dims}")


def _cache_key(lat: np.ndarray, lon: np.ndarray, points: StationPoints, method: str, outside: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for array in (lat, lon, points.latitude, points.longitude):
        array = np.ascontiguousarray(array, dtype=float)
        digest.update(str(array.shape).encode())
        digest.update(array.tobytes())
    digest.update("\x1f".join(points.ids.tolist()).encode())
    digest.update(f"{method}|{outside}".encode())
    return digest.hexdigest()


class Extractor:
    """Computes interpolation weights once per (grid, stations, method, outside) and reuses them.

    Parameters
    ----------
    cache_size : int
        Number of weight sets kept (least recently used dropped first).
    """

    def __init__(self, cache_size: int = 8) -> None:
        self.cache_size = cache_size
        self._cache: OrderedDict[str, InterpolationWeights] = OrderedDict()

    def weights(
        self,
        ds: xr.Dataset,
        stations: pd.DataFrame | Iterable[Any] | StationPoints,
        method: Method = "bilinear",
        outside: Outside = "raise",
    ) -> InterpolationWeights:
        """The (cached) weights from the grid of ``ds`` to ``stations``.

        Raises
        ------
        ValueError
            When a station lies outside the grid and ``outside="raise"`` (the message names the stations
            and the grid extent), or bilinear is asked on a curvilinear grid.
        """
        if method not in ("bilinear", "nearest"):
            raise ValueError(f"unknown interpolation method {method!r}: use 'bilinear' or 'nearest'")
        if outside not in ("raise", "nan"):
            raise ValueError(f"unknown outside policy {outside!r}: use 'raise' or 'nan'")
        points = station_points(stations)
        lat, lon, dims, curvilinear = _grid_of(ds)
        key = _cache_key(lat, lon, points, method, outside)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if curvilinear:
            if method != "nearest":
                raise ValueError(
                    "bilinear interpolation on a curvilinear (2-D lat/lon) grid is not supported: use method='nearest'"
                )
            index, weights, inside, extent = curvilinear_nearest(lat, lon, points)
        else:
            index, weights, inside, extent = regular_weights(lat, lon, points, method, dims)
        outside_ids = tuple(points.ids[~inside].tolist())
        if outside_ids:
            listed = [
                f"{sid} ({la:.4f} °N, {lo:.4f} °E)"
                for sid, la, lo in zip(outside_ids, points.latitude[~inside], points.longitude[~inside], strict=True)
            ]
            text = ", ".join(listed[:_MAX_LISTED]) + (" …" if len(listed) > _MAX_LISTED else "")
            message = f"{len(outside_ids)} station(s) outside the grid ({extent}): {text}"
            if outside == "raise":
                raise ValueError(message)
            logger.warning("%s; their values are NaN", message)
            weights = np.where(inside[:, None], weights, 0.0)
        result = InterpolationWeights(
            method=method,
            grid_dims=dims,
            grid_shape=(lat.shape[0], lon.shape[0]) if not curvilinear else lat.shape,
            index=index.astype(np.int64),
            weights=weights,
            inside=inside,
            stations=points,
            outside_ids=outside_ids,
            grid_extent=extent,
        )
        self._cache[key] = result
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    def extract(
        self,
        ds: xr.Dataset,
        stations: pd.DataFrame | Iterable[Any] | StationPoints,
        method: Method = "bilinear",
        outside: Outside = "raise",
        adjust_elevation: bool = True,
    ) -> xr.Dataset:
        """Values of every gridded variable of ``ds`` at ``stations``; see :func:`extract_points`."""
        points = station_points(stations)  # this call's elevations: the cached weights may hold older ones
        weights = self.weights(ds, points, method=method, outside=outside)
        grid_dims = weights.grid_dims
        data_vars: dict[str, xr.DataArray] = {}
        for name, da in ds.data_vars.items():
            if not set(grid_dims) <= set(da.dims):
                data_vars[name] = da
                continue
            other = [d for d in da.dims if d not in grid_dims]
            values = weights.apply(da.transpose(*other, *grid_dims).values)
            data_vars[name] = xr.DataArray(values, dims=(STATION, *other), attrs=da.attrs)
        coords = {
            name: c for name, c in ds.coords.items() if not set(c.dims) & set(grid_dims) and name not in grid_dims
        }
        out = xr.Dataset(data_vars, coords=coords, attrs=dict(ds.attrs))
        out = out.assign_coords(
            {
                STATION: points.ids,
                "station_latitude": (STATION, points.latitude, {"units": "degrees_north"}),
                "station_longitude": (STATION, points.longitude, {"units": "degrees_east"}),
                "station_elevation_m": (STATION, points.elevation_m, {"units": "m", "long_name": "station height"}),
            }
        )
        out.attrs.update(
            interpolation=weights.method,
            grid_extent=weights.grid_extent,
            stations_outside_grid=", ".join(weights.outside_ids),
        )
        if adjust_elevation:
            out = adjust_to_station_elevation(out)
        return out


def extract_points(
    ds: xr.Dataset,
    stations: pd.DataFrame | Iterable[Any] | StationPoints,
    method: Method = "bilinear",
    outside: Outside = "raise",
    adjust_elevation: bool = True,
    extractor: Extractor | None = None,
) -> xr.Dataset:
    """Interpolate every gridded variable of ``ds`` to stations.

    Parameters
    ----------
    ds : xarray.Dataset
        Gridded fields, dims ``(step, [level], latitude, longitude)`` (or two grid dims carrying 2-D
        ``latitude``/``longitude`` coordinates for a curvilinear grid), units as
        :data:`configs.schema.NWP_VARIABLES` / :data:`configs.schema.CTM_VARIABLES`.
    stations : pandas.DataFrame, iterable of Station, or StationPoints
        Ids, latitude [°N], longitude [°E] and optionally elevation_m [m]; see :func:`station_points`.
    method : {"bilinear", "nearest"}
        Horizontal interpolation (:mod:`met_inputs.gridweights`); curvilinear grids need ``"nearest"``.
    outside : {"raise", "nan"}
        Stations outside the grid raise ``ValueError`` naming them and the grid extent, or give NaN
        (listed in ``attrs["stations_outside_grid"]``).
    adjust_elevation : bool
        Bring t2m, d2m and sp from the model surface (``orog``) to the station elevation where both are
        known (:func:`met_inputs.elevation.adjust_to_station_elevation`).
    extractor : Extractor, optional
        Weight cache to use (and fill); pass the same one across fields and cycles to reuse weights.

    Returns
    -------
    xarray.Dataset
        Dims ``(station, step, [level])``; coords ``station`` (ids), ``station_latitude``,
        ``station_longitude``, ``station_elevation_m``, and the non-horizontal coords of ``ds``
        (``init_time``, ``step``, ``valid_time``, ``level``). Variable attrs are kept.
    """
    return (extractor or Extractor()).extract(
        ds, stations, method=method, outside=outside, adjust_elevation=adjust_elevation
    )
