"""Long observation tables ↔ hourly station Datasets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import CF_STANDARD_NAMES, CONCENTRATION_UNITS, POLLUTANTS, STATION, TIME


def long_to_hourly_dataset(
    table: pd.DataFrame,
    variables: tuple[str, ...] | list[str] | None = None,
    variable_column: str = "pollutant",
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> xr.Dataset:
    """Pivot a long table (``station_id, time, <variable_column>, value``) to dims ``(station, time)``.

    ``time`` must be tz-aware; the result has a regular hourly axis of tz-naive UTC datetime64 from
    ``start`` (default: the first time) to ``end`` (default: the last), NaN where a value is absent.
    Duplicate (station, time, variable) rows are an error, since which one counts would be a guess.
    """
    if table.empty:
        raise ValueError("no observations to pivot")
    times = pd.to_datetime(table["time"], utc=True).dt.tz_localize(None)
    keys = pd.DataFrame({"station_id": table["station_id"].astype(str), "time": times, "variable": table[variable_column]})
    duplicated = keys.duplicated()
    if duplicated.any():
        first = keys[duplicated].iloc[0]
        raise ValueError(
            f"{int(duplicated.sum())} duplicate rows, e.g. station {first.station_id!r} at {first.time}Z for {first.variable!r}"
        )
    lo = pd.Timestamp(start).tz_convert("UTC").tz_localize(None) if start is not None else times.min()
    hi = pd.Timestamp(end).tz_convert("UTC").tz_localize(None) if end is not None else times.max()
    axis = pd.date_range(lo.ceil("h"), hi.floor("h"), freq="h")
    stations = np.array(sorted(keys["station_id"].unique()), dtype=object)
    names = list(variables) if variables is not None else [p for p in POLLUTANTS if p in set(keys["variable"])] + sorted(
        set(keys["variable"]) - set(POLLUTANTS)
    )
    s_idx = pd.Index(stations).get_indexer(keys["station_id"])
    t_idx = axis.get_indexer(times)
    values = table["value"].to_numpy(dtype=float)
    data_vars = {}
    for name in names:
        grid = np.full((len(stations), len(axis)), np.nan)
        mask = (keys["variable"].to_numpy() == name) & (t_idx >= 0)
        grid[s_idx[mask], t_idx[mask]] = values[mask]
        data_vars[name] = ((STATION, TIME), grid)
    ds = xr.Dataset(data_vars, coords={STATION: stations.astype(str), TIME: axis.values})
    for name in names:
        if name in POLLUTANTS:
            ds[name].attrs.update(units=CONCENTRATION_UNITS, standard_name=CF_STANDARD_NAMES[name], cell_methods="time: mean")
    ds[TIME].attrs.update(long_name="end of the averaging hour (UTC)")
    return ds
