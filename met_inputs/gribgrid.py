"""Regular lat/lon grid geometry of GRIB messages, and placing decoded fields on the contract's axes.

Used by :mod:`met_inputs.fastgrib`. The contract's horizontal axes are ``latitude`` ascending and
``longitude`` ascending in [-180, 180); GRIB grids usually scan north → south and may use 0 … 360, so each
decoded field is flipped and its columns reordered on the way into the output array.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import eccodes as ec
import numpy as np


@dataclass(frozen=True)
class Grid:
    """Geometry of one regular_ll grid and how to bring its values onto ascending axes."""

    md5: str
    """eccodes ``md5GridSection`` of the grid definition."""
    latitude: np.ndarray
    """Ascending [degrees north]."""
    longitude: np.ndarray
    """Ascending, in [-180, 180) [degrees east]."""
    flip_lat: bool
    lon_order: np.ndarray | None
    transpose: bool
    shape: tuple[int, int]
    """(Nj, Ni)"""

    def place(self, values: np.ndarray, target: np.ndarray) -> None:
        """Write one message's values (as decoded, scanning order) into ``target`` of shape ``(Nj, Ni)``."""
        nj, ni = self.shape
        field = values.reshape(ni, nj).T if self.transpose else values.reshape(nj, ni)
        if self.flip_lat:
            field = field[::-1]
        target[...] = field if self.lon_order is None else field[:, self.lon_order]


def grid_of(handle: Any, path: Path) -> Grid:
    """Geometry of the message ``handle``; ``ValueError`` naming ``path`` unless regular_ll."""
    grid_type = ec.codes_get_string(handle, "gridType")
    if grid_type != "regular_ll":
        raise ValueError(f"{path}: grid type {grid_type!r} is not regular_ll; use the cfgrib reader")
    ni, nj = ec.codes_get_long(handle, "Ni"), ec.codes_get_long(handle, "Nj")
    lat = np.linspace(
        ec.codes_get_double(handle, "latitudeOfFirstGridPointInDegrees"),
        ec.codes_get_double(handle, "latitudeOfLastGridPointInDegrees"),
        nj,
    )
    lon0 = ec.codes_get_double(handle, "longitudeOfFirstGridPointInDegrees")
    lon1 = ec.codes_get_double(handle, "longitudeOfLastGridPointInDegrees")
    negative = ec.codes_get_long(handle, "iScansNegatively") == 1
    if not negative and lon1 < lon0:
        lon1 += 360.0
    if negative and lon1 > lon0:
        lon1 -= 360.0
    lon = np.mod(np.linspace(lon0, lon1, ni) + 180.0, 360.0) - 180.0
    order = np.argsort(lon, kind="stable")
    return Grid(
        md5=ec.codes_get_string(handle, "md5GridSection"),
        latitude=np.round(lat[::-1] if lat[0] > lat[-1] else lat, 9),
        longitude=np.round(lon[order], 9),
        flip_lat=bool(lat[0] > lat[-1]),
        lon_order=None if (order == np.arange(ni)).all() else order,
        transpose=ec.codes_get_long(handle, "jPointsAreConsecutive") == 1,
        shape=(nj, ni),
    )
