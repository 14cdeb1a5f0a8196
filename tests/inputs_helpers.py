"""Independent GRIB decoding for reader tests: plain ecCodes, never cfgrib."""

from __future__ import annotations

from pathlib import Path

import eccodes
import numpy as np
import pandas as pd
import xarray as xr


def eccodes_field(path: Path, index: int) -> dict:
    """Message ``index`` (0-based) of ``path``: keys, and values at their latitudes/longitudes (NaN = missing).

    ``latitudes``/``longitudes``/``values`` come from ecCodes' geo-iterator in the same (scanning) order.
    """
    with open(path, "rb") as handle_file:
        for _ in range(index):
            eccodes.codes_release(eccodes.codes_grib_new_from_file(handle_file))
        handle = eccodes.codes_grib_new_from_file(handle_file)
    try:
        values = eccodes.codes_get_values(handle).astype(float)
        if eccodes.codes_get(handle, "bitmapPresent"):
            values[values == eccodes.codes_get_double(handle, "missingValue")] = np.nan
        return {
            "shortName": eccodes.codes_get(handle, "shortName"),
            "level": eccodes.codes_get(handle, "level"),
            "typeOfLevel": eccodes.codes_get(handle, "typeOfLevel"),
            "units": eccodes.codes_get(handle, "units"),
            "endStep": eccodes.codes_get(handle, "endStep"),
            "numberOfMissing": eccodes.codes_get(handle, "numberOfMissing"),
            "latitudes": eccodes.codes_get_array(handle, "latitudes"),
            "longitudes": eccodes.codes_get_array(handle, "longitudes"),
            "values": values,
        }
    finally:
        eccodes.codes_release(handle)


def on_grid(field: dict, data: xr.DataArray) -> np.ndarray:
    """The ecCodes values of ``field`` placed on the (latitude, longitude) grid of ``data`` (longitudes mod 360)."""

    def key(values: np.ndarray) -> pd.Index:
        return pd.Index(np.round(np.asarray(values, dtype=float), 4))

    lat, lon = data["latitude"].values, (data["longitude"].values + 180.0) % 360.0 - 180.0
    i = key(lat).get_indexer(np.round(field["latitudes"], 4))
    j = key(lon).get_indexer(np.round((field["longitudes"] + 180.0) % 360.0 - 180.0, 4))
    inside = (i >= 0) & (j >= 0)
    assert inside.sum() == len(lat) * len(lon), "the reader's grid is not a sub-grid of the message's"
    out = np.full((len(lat), len(lon)), np.nan)
    out[i[inside], j[inside]] = field["values"][inside]
    return out


def hours(steps) -> list[float]:
    """Steps (timedelta64 array or DataArray) as hours."""
    return (np.asarray(steps, dtype="timedelta64[ns]") / np.timedelta64(1, "h")).tolist()
