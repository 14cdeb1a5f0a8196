"""Interpolation weights from a lat/lon grid to station points, computed once and applied to any field.

Two kinds of grid are supported:

* **regular** (rectilinear) grids — 1-D ``latitude`` and ``longitude`` coordinates, monotonic (ascending
  or descending), not necessarily evenly spaced. Methods ``"bilinear"`` (default; weights of the 4
  corners of the enclosing cell, bilinear in latitude and longitude, so a field linear in lat/lon is
  reproduced exactly) and ``"nearest"`` (the node nearest in latitude and in longitude separately, i.e.
  the grid cell the station lies in; a station exactly half-way goes to the lower index).
* **curvilinear** grids (WRF and other projected grids) — 2-D ``latitude`` and ``longitude`` coordinates
  over two grid dimensions. Only ``"nearest"`` is offered: the node at the smallest great-circle
  distance, found with a KD-tree on unit vectors (``scipy.spatial.cKDTree``) when scipy is installed,
  else by a vectorised brute force over the grid nodes inside the stations' bounding box. A station
  counts as outside when its nearest node is farther than half the local cell diagonal (so points up to
  half a cell beyond the outermost nodes are still accepted).

Longitudes are compared on the grid's own convention: stations in −180…180 are wrapped to 0…360 when the
grid's longitudes exceed 180. Regional grids only: no periodic wrap across the grid's seam.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np

logger = logging.getLogger(__name__)

Method = Literal["bilinear", "nearest"]
Outside = Literal["raise", "nan"]


@dataclass(frozen=True)
class StationPoints:
    """Station ids and positions, as plain arrays (one entry per station)."""

    ids: np.ndarray
    """Station ids [str]."""
    latitude: np.ndarray
    """[degrees north]"""
    longitude: np.ndarray
    """[degrees east]"""
    elevation_m: np.ndarray
    """Height above mean sea level [m]; NaN where unknown."""


@dataclass(frozen=True, eq=False)
class InterpolationWeights:
    """Corner indices and weights from one grid to a set of stations.

    ``index[s, c]`` is the flat (C-order over ``grid_dims``) index of corner ``c`` of station ``s`` and
    ``weights[s, c]`` its weight; 4 corners for bilinear, 1 for nearest. Stations outside the grid (only
    with ``outside="nan"``) have all weights 0 and ``inside[s] = False`` and give NaN.
    """

    method: Method
    grid_dims: tuple[str, str]
    grid_shape: tuple[int, int]
    index: np.ndarray
    weights: np.ndarray
    inside: np.ndarray
    stations: StationPoints
    outside_ids: tuple[str, ...]
    grid_extent: str

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Interpolate ``values`` of shape ``(..., *grid_shape)`` to shape ``(n_station, ...)``.

        Corners that are NaN are dropped and the remaining weights renormalised; a station whose
        corners with non-zero weight are all NaN gets NaN. Cost is linear in stations × other points.
        """
        lead_shape = values.shape[:-2]
        if values.shape[-2:] != self.grid_shape:
            raise ValueError(f"field of grid shape {values.shape[-2:]} does not match weights for {self.grid_shape}")
        dtype = np.result_type(values.dtype, np.float32)
        n_points = self.grid_shape[0] * self.grid_shape[1]
        flat = values.reshape(-1, n_points).astype(dtype, copy=False)
        n, k = self.index.shape
        weights = self.weights.astype(dtype)
        if n * k * 5 < n_points:  # few stations (measured crossover): gather the corner columns directly
            out = _combine(flat[:, self.index].transpose(1, 2, 0), weights)
        else:  # many stations: gather contiguous rows of the point-major field, block by block in cache
            by_point = np.ascontiguousarray(flat.T)
            out = _weighted_rows(by_point, self.index, weights)
        out[~self.inside] = np.nan
        return out.reshape((n, *lead_shape))


def _weighted_rows(by_point: np.ndarray, index: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_c weights[:, c] · by_point[index[:, c]] in station blocks small enough to stay in cache."""
    n, k = index.shape
    width = by_point.shape[1]
    out = np.empty((n, width), dtype=by_point.dtype)
    block = int(np.clip(2**20 // max(1, width * by_point.itemsize), 64, 4096))
    buffer = np.empty((min(block, n), width), dtype=by_point.dtype)
    for start in range(0, n, block):
        stop = min(n, start + block)
        acc, tmp = out[start:stop], buffer[: stop - start]
        np.take(by_point, index[start:stop, 0], axis=0, out=acc)
        acc *= weights[start:stop, 0, None]
        for c in range(1, k):
            np.take(by_point, index[start:stop, c], axis=0, out=tmp)
            tmp *= weights[start:stop, c, None]
            acc += tmp
        if np.isnan(acc).any():  # rare: NaN corners (masks, missing levels) → renormalise this block
            acc[...] = _combine(by_point[index[start:stop]], weights[start:stop])
    return out


def _combine(corners: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted sum over corners ``(n, k, L)`` with weights ``(n, k)``, skipping NaN corners (renormalised)."""
    finite = np.isfinite(corners)
    w = np.where(finite, weights[:, :, None], 0.0).astype(corners.dtype)
    num = (np.where(finite, corners, 0.0) * w).sum(axis=1)
    den = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan).astype(corners.dtype)


def regular_weights(
    lat: np.ndarray, lon: np.ndarray, points: StationPoints, method: Method, grid_dims: tuple[str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Indices ``(n, k)``, weights ``(n, k)``, inside mask ``(n,)`` and extent text on a rectilinear grid."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    st_lon = _wrap_longitudes(points.longitude, lon)
    i0, i1, fy, in_y = _axis(lat, points.latitude, grid_dims[0])
    j0, j1, fx, in_x = _axis(lon, st_lon, grid_dims[1])
    nx = lon.size
    extent = (
        f"latitude {lat.min():.4g}…{lat.max():.4g} °N, longitude {lon.min():.4g}…{lon.max():.4g} °E "
        f"({lat.size} × {lon.size} points)"
    )
    if method == "nearest":
        i = np.where(fy > 0.5, i1, i0)
        j = np.where(fx > 0.5, j1, j0)
        return (i * nx + j)[:, None], np.ones((i.size, 1)), in_y & in_x, extent
    index = np.stack([i0 * nx + j0, i0 * nx + j1, i1 * nx + j0, i1 * nx + j1], axis=1)
    weights = np.stack([(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx], axis=1)
    return index, weights, in_y & in_x, extent


def _wrap_longitudes(st_lon: np.ndarray, grid_lon: np.ndarray) -> np.ndarray:
    st_lon = np.asarray(st_lon, dtype=float)
    if np.nanmax(grid_lon) > 180.0:
        return np.mod(st_lon, 360.0)
    return np.where(st_lon >= 180.0, st_lon - 360.0, st_lon)


def _axis(coord: np.ndarray, x: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lower/upper index, fraction toward the upper index and inside mask along one monotonic axis."""
    n = coord.size
    if n == 1:
        zero = np.zeros(x.size, dtype=np.int64)
        return zero, zero, np.zeros(x.size), np.abs(x - coord[0]) <= 1e-6
    diff = np.diff(coord)
    if not ((diff > 0).all() or (diff < 0).all()):
        raise ValueError(f"grid coordinate {name!r} is not strictly monotonic")
    descending = diff[0] < 0
    c = coord[::-1] if descending else coord
    tol = 1e-3 * np.abs(diff).min()  # GRIB stores micro-degrees: allow rounding at the edges
    inside = (x >= c[0] - tol) & (x <= c[-1] + tol)
    xc = np.clip(x, c[0], c[-1])
    i0 = np.clip(np.searchsorted(c, xc, side="right") - 1, 0, n - 2)
    i1 = i0 + 1
    frac = np.clip((xc - c[i0]) / (c[i1] - c[i0]), 0.0, 1.0)
    if descending:
        i0, i1 = n - 1 - i0, n - 1 - i1
    return i0, i1, frac, inside


def curvilinear_nearest(
    lat2d: np.ndarray, lon2d: np.ndarray, points: StationPoints
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Nearest node (great circle) on a 2-D lat/lon grid: indices ``(n, 1)``, weights, inside mask, extent."""
    lat2d = np.asarray(lat2d, dtype=float)
    lon2d = np.asarray(lon2d, dtype=float)
    grid_xyz = _unit_vectors(lat2d.ravel(), lon2d.ravel())
    st_xyz = _unit_vectors(points.latitude, np.asarray(points.longitude, dtype=float))
    try:
        from scipy.spatial import cKDTree
    except ImportError:  # pragma: no cover - exercised only without scipy
        logger.info("scipy not installed: nearest-node search by brute force over the stations' bounding box")
        distance, flat = _brute_force_nearest(grid_xyz, st_xyz, lat2d.ravel(), lon2d.ravel(), points)
    else:
        distance, flat = cKDTree(grid_xyz).query(st_xyz)
    ny, nx = lat2d.shape
    i, j = np.divmod(flat, nx)
    half_diagonal = np.zeros(flat.size)
    for di, dj in ((-1, -1), (-1, 1), (1, -1), (1, 1)):
        ni, nj = np.clip(i + di, 0, ny - 1), np.clip(j + dj, 0, nx - 1)
        d = np.linalg.norm(grid_xyz[ni * nx + nj] - grid_xyz[flat], axis=1)
        half_diagonal = np.maximum(half_diagonal, 0.5 * d)
    inside = distance <= 1.05 * half_diagonal
    extent = (
        f"curvilinear latitude {np.nanmin(lat2d):.4g}…{np.nanmax(lat2d):.4g} °N, longitude "
        f"{np.nanmin(lon2d):.4g}…{np.nanmax(lon2d):.4g} °E ({ny} × {nx} points)"
    )
    return flat.astype(np.int64)[:, None], np.ones((flat.size, 1)), inside, extent


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _brute_force_nearest(
    grid_xyz: np.ndarray, st_xyz: np.ndarray, glat: np.ndarray, glon: np.ndarray, points: StationPoints
) -> tuple[np.ndarray, np.ndarray]:
    """Chord distance to every grid node within the stations' bounding box (± 1°), in station chunks."""
    box = (
        (glat >= np.min(points.latitude) - 1)
        & (glat <= np.max(points.latitude) + 1)
        & (np.mod(glon - np.min(points.longitude) + 1, 360) <= np.ptp(points.longitude) + 2)
    )
    candidates = np.flatnonzero(box) if box.any() else np.arange(glat.size)
    cand_xyz = grid_xyz[candidates]
    chunk = max(1, 4_000_000 // max(1, candidates.size))
    best = np.empty(st_xyz.shape[0], dtype=np.int64)
    dist = np.empty(st_xyz.shape[0])
    for start in range(0, st_xyz.shape[0], chunk):
        d2 = ((st_xyz[start : start + chunk, None, :] - cand_xyz[None, :, :]) ** 2).sum(-1)
        k = d2.argmin(axis=1)
        best[start : start + chunk] = candidates[k]
        dist[start : start + chunk] = np.sqrt(d2[np.arange(k.size), k])
    return dist, best
