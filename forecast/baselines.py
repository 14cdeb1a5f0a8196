"""Baseline forecasters that every model of the service must beat.

Each takes an hourly observation Dataset and an issue time and returns a forecast cube.

Observation Dataset (input)
    dims ``(station, time)``; ``time`` a regular hourly axis of numpy datetime64 in UTC, hour-ending;
    one variable per pollutant [µg/m³], NaN where missing or failing QC.

Forecast cube (output)
    dims ``(station, lead)`` with ``lead`` = 1 … 72 [h]; coordinate ``valid_time(lead)`` =
    issue time + lead (UTC, hour-ending); one variable per pollutant [µg/m³]; attrs ``issue_time``
    (ISO 8601, UTC), ``method`` and ``units``. Climatology also carries ``<pollutant>_q10`` /
    ``_q50`` / ``_q90`` from the spread of past values.

Only observations stamped at or before the issue time are used (an hour-ending value stamped T is
complete at T), so none of these can leak the future.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import (
    CONCENTRATION_UNITS,
    DEFAULT_LOCAL_TZ,
    LEAD,
    MAX_LEAD_HOURS,
    STATION,
    TIME,
    VALID_TIME,
)

logger = logging.getLogger(__name__)

BaselineName = Literal["persistence", "diurnal_persistence", "climatology"]
QUANTILES = (0.1, 0.5, 0.9)


def _as_utc_naive(issue_time: pd.Timestamp | str) -> np.datetime64:
    """Issue time as tz-naive UTC numpy datetime64, checked to be on the hour."""
    ts = pd.Timestamp(issue_time)
    if ts.tzinfo is None:
        raise ValueError(
            f"issue time {issue_time!r} has no time zone; give it in UTC, e.g. 2026-11-22T00:00Z"
        )
    ts = ts.tz_convert("UTC").tz_localize(None)
    if ts != ts.floor("h"):
        raise ValueError(f"issue time {issue_time!r} is not on the hour")
    return np.datetime64(ts.to_datetime64(), "ns")


def _history(obs: xr.Dataset, issue: np.datetime64) -> xr.Dataset:
    """Observations stamped at or before ``issue`` — the only data a forecast may see."""
    return obs.sel({TIME: slice(None, issue)})


def _empty_cube(obs: xr.Dataset, issue: np.datetime64, leads: int, method: str) -> xr.Dataset:
    lead = np.arange(1, leads + 1)
    valid = issue + lead.astype("timedelta64[h]")
    cube = xr.Dataset(coords={STATION: obs[STATION].values, LEAD: lead, VALID_TIME: (LEAD, valid)})
    cube[LEAD].attrs.update(units="h", long_name="forecast lead (hour-ending)")
    cube.attrs.update(
        issue_time=pd.Timestamp(issue).tz_localize("UTC").isoformat(),
        method=method,
        units=CONCENTRATION_UNITS,
        time_convention="hour-ending, UTC",
    )
    return cube


def persistence(
    obs: xr.Dataset, issue_time: pd.Timestamp | str, leads: int = MAX_LEAD_HOURS, max_age_hours: int = 24
) -> xr.Dataset:
    """The last valid observation at or before the issue time, held for every lead.

    A station whose last valid value is older than ``max_age_hours`` [h] gets NaN.
    """
    issue = _as_utc_naive(issue_time)
    hist = _history(obs, issue).isel({TIME: slice(-max_age_hours, None)})
    cube = _empty_cube(obs, issue, leads, "persistence")
    for name, da in hist.data_vars.items():
        last = _last_valid(da.transpose(STATION, TIME).values)
        cube[name] = (STATION, LEAD), np.repeat(last[:, None], leads, axis=1)
        cube[name].attrs["units"] = CONCENTRATION_UNITS
    return cube


def _last_valid(values: np.ndarray) -> np.ndarray:
    """Last non-NaN value along the last axis of a (station, time) array; NaN where none."""
    out = np.full(values.shape[0], np.nan)
    if values.shape[1] == 0:
        return out
    valid = ~np.isnan(values)
    last_index = values.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
    has = valid.any(axis=1)
    out[has] = values[has, last_index[has]]
    return out


def diurnal_persistence(
    obs: xr.Dataset, issue_time: pd.Timestamp | str, leads: int = MAX_LEAD_HOURS, max_days_back: int = 3
) -> xr.Dataset:
    """The most recent observation at the same hour of day: same hour yesterday for leads 1–24.

    For lead h the candidate is ``valid_time − 24 h × ceil(h/24)`` (the latest same-hour value
    known at issue time); if that hour is missing, up to ``max_days_back`` earlier days are tried.
    """
    issue = _as_utc_naive(issue_time)
    hist = _history(obs, issue)
    cube = _empty_cube(obs, issue, leads, "diurnal_persistence")
    lead = cube[LEAD].values
    days_back = np.ceil(lead / 24).astype(int)
    for name, da in hist.data_vars.items():
        out = np.full((da.sizes[STATION], leads), np.nan)
        for extra in range(max_days_back):
            target = cube[VALID_TIME].values - ((days_back + extra) * 24).astype("timedelta64[h]")
            vals = da.reindex({TIME: target}).values  # (station, lead), NaN where absent
            out = np.where(np.isnan(out), vals, out)
        cube[name] = (STATION, LEAD), out
        cube[name].attrs["units"] = CONCENTRATION_UNITS
    return cube


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


def _grouped_stats(
    values: np.ndarray, key: np.ndarray, n_groups: int, min_count: int
) -> dict[str, np.ndarray]:
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


def climatology(
    obs: xr.Dataset,
    issue_time: pd.Timestamp | str,
    leads: int = MAX_LEAD_HOURS,
    tz: str = DEFAULT_LOCAL_TZ,
    climatology_table: xr.Dataset | None = None,
) -> xr.Dataset:
    """Station × month × local-hour climatology at each valid time, with 10/50/90 % quantiles.

    The table is fitted on the observations at or before the issue time unless one is given
    (e.g. fitted once on a training period).
    """
    issue = _as_utc_naive(issue_time)
    table = climatology_table if climatology_table is not None else fit_climatology(_history(obs, issue), tz)
    cube = _empty_cube(obs, issue, leads, "climatology")
    local = pd.DatetimeIndex(cube[VALID_TIME].values).tz_localize("UTC").tz_convert(table.attrs.get("tz", tz))
    month = xr.DataArray(local.month.values, dims=LEAD)
    hour = xr.DataArray(local.hour.values, dims=LEAD)
    table = table.reindex({STATION: obs[STATION].values})
    for name in obs.data_vars:
        cube[name] = (
            table[f"{name}_mean"]
            .sel(month=month, hour=hour)
            .transpose(STATION, LEAD)
            .drop_vars(["month", "hour"], errors="ignore")
        )
        for q in QUANTILES:
            stat = f"q{int(q * 100)}"
            cube[f"{name}_{stat}"] = (
                table[f"{name}_{stat}"]
                .sel(month=month, hour=hour)
                .transpose(STATION, LEAD)
                .drop_vars(["month", "hour"], errors="ignore")
            )
        for var in [name] + [f"{name}_q{int(q * 100)}" for q in QUANTILES]:
            cube[var].attrs["units"] = CONCENTRATION_UNITS
    return cube


BASELINES: dict[str, Callable[..., xr.Dataset]] = {
    "persistence": persistence,
    "diurnal_persistence": diurnal_persistence,
    "climatology": climatology,
}


def baseline_forecast(
    name: BaselineName, obs: xr.Dataset, issue_time: pd.Timestamp | str, leads: int = MAX_LEAD_HOURS
) -> xr.Dataset:
    """Run the baseline called ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        method = BASELINES[name]
    except KeyError as exc:
        raise ValueError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)}") from exc
    return method(obs, issue_time, leads=leads)
