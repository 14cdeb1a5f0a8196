"""Station × calendar-month × local-hour climatology of hourly concentrations, with quantiles.

Shared by the climatology baseline (:mod:`forecast.baselines`) and the feature tables, which use the
climatology at the valid time as a feature and as the value a forecast relaxes to as skill fades.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import CONCENTRATION_UNITS, DEFAULT_LOCAL_TZ, STATION, TIME

QUANTILES = (0.1, 0.5, 0.9)


def fit_climatology(obs: xr.Dataset, tz: str = DEFAULT_LOCAL_TZ, min_count: int = 5) -> xr.Dataset:
    """Mean and 10/50/90 % quantiles per station × calendar month × local hour [µg/m³].

    Cells with fewer than ``min_count`` values fall back to the station × local hour over all months,
    then station × month, then the station's overall value, so every cell is filled where a station
    has data.
    Output dims ``(station, month, hour)`` with variables ``<pollutant>_mean`` and
    ``<pollutant>_q10`` / ``_q50`` / ``_q90``.
    """
    local = pd.DatetimeIndex(obs[TIME].values).tz_localize("UTC").tz_convert(tz)
    month = xr.DataArray(local.month.values, dims=TIME)
    hour = xr.DataArray(local.hour.values, dims=TIME)
    key = (month - 1) * 24 + hour
    out = xr.Dataset(coords={STATION: obs[STATION].values, "month": np.arange(1, 13), "hour": np.arange(24)})
    for name, da in obs.data_vars.items():
        values = da.transpose(STATION, TIME).values
        stats = _grouped_stats(values, key.values, 12 * 24, min_count)
        for stat, arr in stats.items():
            out[f"{name}_{stat}"] = (STATION, "month", "hour"), arr.reshape(-1, 12, 24)
            out[f"{name}_{stat}"].attrs["units"] = CONCENTRATION_UNITS
    out.attrs.update(tz=tz, min_count=min_count)
    return out


def _grouped_stats(values: np.ndarray, key: np.ndarray, n_groups: int, min_count: int) -> dict[str, np.ndarray]:
    """Mean and quantiles of ``values`` (station, time) per month × hour ``key`` (time,), with fallbacks.

    A cell with fewer than ``min_count`` values takes the station × local-hour value over all months
    (keeps the diurnal shape when a month has no data yet), then the station × month value, then the
    station's overall value.
    """
    frame = pd.DataFrame(values.T)
    stats = {"mean": None, **{f"q{int(q * 100)}": q for q in QUANTILES}}
    group_of = np.arange(n_groups)
    levels = [  # (key per time, key per month×hour cell)
        (key, group_of),
        (key % 24, group_of % 24),
        (key // 24, group_of // 24),
    ]
    result = {}
    for stat, q in stats.items():
        arr = np.full((values.shape[0], n_groups), np.nan)
        for time_key, cell_key in levels:
            grouped = frame.groupby(time_key)
            value = grouped.mean() if q is None else grouped.quantile(q)
            count = grouped.count()
            size = int(cell_key.max()) + 1
            value = value.reindex(range(size)).to_numpy().T  # (station, group)
            count = np.nan_to_num(count.reindex(range(size)).to_numpy().T)
            value = np.where(count >= min_count, value, np.nan)
            arr = np.where(np.isnan(arr), value[:, cell_key], arr)
        with warnings.catch_warnings():  # a station with no value at all stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            overall = np.nanmean(values, axis=1) if q is None else _nanquantile_rows(values, q)
        result[stat] = np.where(np.isnan(arr), overall[:, None], arr)
    return result


def _nanquantile_rows(values: np.ndarray, q: float) -> np.ndarray:
    out = np.full(values.shape[0], np.nan)
    has = ~np.all(np.isnan(values), axis=1)
    if has.any():
        out[has] = np.nanquantile(values[has], q, axis=1)
    return out


def climatology_at(
    table: xr.Dataset, station_ids, valid_times_utc: np.ndarray, stat: str, pollutant: str
) -> np.ndarray:
    """Look up ``<pollutant>_<stat>`` of a :func:`fit_climatology` table → (station, time) [µg/m³].

    ``valid_times_utc`` are tz-naive UTC hour-ending stamps; stations missing from the table give NaN.
    """
    name = f"{pollutant}_{stat}"
    if name not in table:
        return np.full((len(station_ids), len(valid_times_utc)), np.nan)
    local = pd.DatetimeIndex(valid_times_utc).tz_localize("UTC").tz_convert(table.attrs.get("tz", DEFAULT_LOCAL_TZ))
    cell = (local.month.to_numpy() - 1) * 24 + local.hour.to_numpy()
    values = table[name].reindex({STATION: list(station_ids)}).transpose(STATION, "month", "hour").values
    return values.reshape(len(station_ids), 12 * 24)[:, cell]
