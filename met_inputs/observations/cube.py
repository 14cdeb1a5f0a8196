"""Long archive rows → an xarray Dataset on a regular hourly UTC axis, dims ``(station, time)``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import CF_STANDARD_NAMES, CONCENTRATION_UNITS, POLLUTANT_LABELS, POLLUTANTS, STATION, TIME

TIME_ATTRS = {
    "long_name": "end of the averaging hour",
    "comment": "UTC (tz-naive numpy datetime64 meaning UTC); hourly values are hour-ending",
}


def hourly_axis(start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Regular hourly axis from ``start`` to ``end`` inclusive, numpy datetime64[ns] (naive = UTC)."""
    axis = pd.date_range(start.tz_convert("UTC").floor("h"), end.tz_convert("UTC").ceil("h"), freq="h")
    return axis.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def to_cube(
    frame: pd.DataFrame,
    name_column: str,
    names: Sequence[str],
    stations: Sequence[str],
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    attrs: Mapping[str, Mapping[str, str]],
    dataset_attrs: Mapping[str, str],
) -> xr.Dataset:
    """Pivot long rows (``station_id, time, <name_column>, value``) to one variable per name.

    Cells with no row are NaN. The time axis runs from ``start`` (else the first row) to ``end``
    (else the last row); with neither and no rows it is empty.
    """
    if start is None or end is None:
        if frame.empty:
            axis = np.array([], dtype="datetime64[ns]")
        else:
            axis = hourly_axis(start or frame["time"].min(), end or frame["time"].max())
    else:
        axis = hourly_axis(start, end)
    station_index = pd.Index(list(stations))
    time_index = pd.Index(axis)
    data_vars = {}
    for name in names:
        rows = frame[frame[name_column] == name]
        grid = np.full((len(station_index), len(time_index)), np.nan)
        if len(rows) and len(time_index):
            si = station_index.get_indexer(rows["station_id"])
            ti = time_index.get_indexer(rows["time"].dt.tz_convert(None).to_numpy(dtype="datetime64[ns]"))
            ok = (si >= 0) & (ti >= 0)
            grid[si[ok], ti[ok]] = rows["value"].to_numpy(dtype="float64")[ok]
        data_vars[name] = ((STATION, TIME), grid, dict(attrs.get(name, {})))
    return xr.Dataset(
        data_vars,
        coords={STATION: (STATION, np.asarray(station_index, dtype=object)), TIME: (TIME, axis, TIME_ATTRS)},
        attrs=dict(dataset_attrs),
    )


def pollutant_cube(
    frame: pd.DataFrame,
    stations: Sequence[str] | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    pollutants: Sequence[str] | None = None,
    dataset_attrs: Mapping[str, str] | None = None,
) -> xr.Dataset:
    """Long pollutant rows (``station_id, time, pollutant, value`` [µg/m³]) → dims ``(station, time)``.

    Stations default to those in ``frame`` (sorted) and pollutants to those present, in
    ``POLLUTANTS`` order; each variable carries CF units, standard name and cell methods.
    """
    names = list(pollutants) if pollutants is not None else [p for p in POLLUTANTS if p in set(frame["pollutant"])]
    attrs = {
        p: {
            "units": CONCENTRATION_UNITS,
            "standard_name": CF_STANDARD_NAMES.get(p, ""),
            "long_name": f"hourly mean {POLLUTANT_LABELS.get(p, p)} concentration",
            "cell_methods": "time: mean",
        }
        for p in names
    }
    station_ids = list(stations) if stations is not None else sorted(frame["station_id"].astype(str).unique())
    return to_cube(frame, "pollutant", names, station_ids, start, end, attrs, dataset_attrs or {})
