"""Station neighbourhoods on a regular latitude/longitude grid: cell areas, weights, cached, and reduction.

The index of a station is the **area-weighted mean flux of the cells whose centre lies within
``radius_km``** of it (great-circle distance on a sphere of radius 6371 km). When no cell centre is that
close (radius smaller than the cells), the cell containing the station is used alone. A station more than
half a cell outside the grid gets NaN.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import xarray as xr

from configs.schema import LATITUDE, LONGITUDE, STATION

logger = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0
"""Mean Earth radius used for distances and cell areas [km] (as ``configs.networks.haversine_km``)."""
KM_PER_DEGREE = np.pi * EARTH_RADIUS_KM / 180.0


class StationLike(Protocol):
    """What is needed of a station: ``configs.networks.Station`` fits."""

    id: str
    latitude: float
    longitude: float


def cell_edges(centres: np.ndarray) -> np.ndarray:
    """Edges of cells around 1-D centres [degrees]: mid-points, the ends half a spacing out."""
    centres = np.asarray(centres, dtype="float64")
    if centres.size < 2:
        raise ValueError("a grid axis needs at least two cells to infer the cell size")
    mid = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[centres[0] - (mid[0] - centres[0])], mid, [centres[-1] + (centres[-1] - mid[-1])]])


def cell_areas_m2(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Area of each cell [m²], shape (lat, lon): R² · |Δλ| · |sin φ₂ − sin φ₁| on a sphere."""
    lat_edges = np.clip(cell_edges(lat), -90.0, 90.0)
    lon_edges = cell_edges(lon)
    band = np.abs(np.diff(np.sin(np.deg2rad(lat_edges))))
    width = np.abs(np.deg2rad(np.diff(lon_edges)))
    return (EARTH_RADIUS_KM * 1e3) ** 2 * np.outer(band, width)


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance [km], broadcasting its arguments [degrees]."""
    p1, p2 = np.deg2rad(lat1), np.deg2rad(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.deg2rad(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _wrap(dlon: np.ndarray) -> np.ndarray:
    return (np.asarray(dlon) + 180.0) % 360.0 - 180.0


@dataclass(frozen=True, eq=False)
class NeighbourhoodWeights:
    """Sparse station × cell weights; the weights of a station sum to 1 (none: station off the grid).

    ``lat_index``, ``lon_index`` and ``weight`` list the pairs station by station; station ``i`` owns
    ``offsets[i] : offsets[i] + n_cells[i]``.
    """

    station_ids: tuple[str, ...]
    lat_index: np.ndarray
    lon_index: np.ndarray
    weight: np.ndarray
    offsets: np.ndarray
    n_cells: np.ndarray
    radius_km: float


def neighbourhood_weights(
    lat: np.ndarray, lon: np.ndarray, stations: Sequence[StationLike], radius_km: float
) -> NeighbourhoodWeights:
    """Area weights of the cells within ``radius_km`` [km] of each station, on 1-D ``lat``/``lon`` centres [degrees]."""
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    areas = cell_areas_m2(lat, lon)
    lat_edges, lon_edges = cell_edges(lat), cell_edges(lon)
    half_lat = np.abs(np.diff(lat_edges)).max() / 2
    half_lon = np.abs(np.diff(lon_edges)).max() / 2
    lat_idx, lon_idx, weights, counts = [], [], [], []
    for station in stations:
        dlat = np.abs(lat - station.latitude)
        dlon = np.abs(_wrap(lon - station.longitude))
        reach_lon = radius_km / (KM_PER_DEGREE * max(np.cos(np.deg2rad(station.latitude)), 1e-6))
        rows = np.flatnonzero(dlat <= radius_km / KM_PER_DEGREE + 1e-9)
        cols = np.flatnonzero(dlon <= reach_lon + 1e-9)
        dist = haversine_km(station.latitude, station.longitude, lat[rows][:, None], lon[cols][None, :])
        inside_r, inside_c = np.nonzero(dist <= radius_km)
        r, c = rows[inside_r], cols[inside_c]
        if r.size == 0:
            i, j = int(np.argmin(dlat)), int(np.argmin(dlon))
            if dlat[i] > half_lat + 1e-9 or dlon[j] > half_lon + 1e-9:
                logger.warning(
                    "station %s (%.4f, %.4f) is outside the inventory grid: index NaN",
                    station.id,
                    station.latitude,
                    station.longitude,
                )
                r, c = np.array([], dtype=int), np.array([], dtype=int)
            else:
                logger.info("station %s: no cell centre within %.1f km, using its own cell", station.id, radius_km)
                r, c = np.array([i]), np.array([j])
        a = areas[r, c]
        lat_idx.append(r)
        lon_idx.append(c)
        weights.append(a / a.sum() if a.size else a)
        counts.append(r.size)
    n_cells = np.asarray(counts, dtype=int)
    return NeighbourhoodWeights(
        station_ids=tuple(s.id for s in stations),
        lat_index=np.concatenate(lat_idx) if lat_idx else np.array([], dtype=int),
        lon_index=np.concatenate(lon_idx) if lon_idx else np.array([], dtype=int),
        weight=np.concatenate(weights) if weights else np.array([]),
        offsets=np.concatenate([[0], np.cumsum(n_cells)[:-1]]).astype(int) if len(n_cells) else n_cells,
        n_cells=n_cells,
        radius_km=float(radius_km),
    )


class WeightCache:
    """Neighbourhood weights per (grid, stations, radius), least recently used out first.

    One instance per process or run, passed explicitly (no module-level state).
    """

    def __init__(self, maxsize: int = 8):
        self.maxsize = maxsize
        self._store: OrderedDict[tuple, NeighbourhoodWeights] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(
        self, lat: np.ndarray, lon: np.ndarray, stations: Sequence[StationLike], radius_km: float
    ) -> NeighbourhoodWeights:
        """Cached :func:`neighbourhood_weights`."""
        grid = hashlib.sha1(np.ascontiguousarray(lat, dtype="float64").tobytes())
        grid.update(np.ascontiguousarray(lon, dtype="float64").tobytes())
        key = (grid.hexdigest(), tuple((s.id, s.latitude, s.longitude) for s in stations), float(radius_km))
        if key in self._store:
            self.hits += 1
            self._store.move_to_end(key)
            return self._store[key]
        self.misses += 1
        weights = neighbourhood_weights(lat, lon, stations, radius_km)
        self._store[key] = weights
        while len(self._store) > self.maxsize:
            self._store.popitem(last=False)
        return weights


def reduce_to_stations(field: xr.DataArray, weights: NeighbourhoodWeights) -> xr.DataArray:
    """Weighted mean of ``field`` (…, latitude, longitude) per station → (station, …); NaN off the grid."""
    field = field.transpose(..., LATITUDE, LONGITUDE)
    lead = field.dims[:-2]
    values = field.values[..., weights.lat_index, weights.lon_index] * weights.weight
    out = np.full(field.shape[:-2] + (len(weights.station_ids),), np.nan)
    has = weights.n_cells > 0
    if has.any():
        out[..., has] = np.add.reduceat(values, weights.offsets[has], axis=-1)
    out = np.moveaxis(out, -1, 0)
    coords = {d: field[d].values for d in lead if d in field.coords}
    coords[STATION] = np.array(weights.station_ids, dtype=object)
    return xr.DataArray(out, dims=(STATION, *lead), coords=coords, attrs=dict(field.attrs))


def stations_bbox(stations: Sequence[StationLike], radius_km: float, margin_deg: float = 1.0) -> tuple:
    """(south, west, north, east) [degrees] holding every station's neighbourhood plus ``margin_deg``."""
    lats = np.array([s.latitude for s in stations])
    lons = np.array([s.longitude for s in stations])
    reach = radius_km / KM_PER_DEGREE / max(np.cos(np.deg2rad(np.abs(lats).max())), 1e-6) + margin_deg
    return (lats.min() - reach, lons.min() - reach, lats.max() + reach, lons.max() + reach)
