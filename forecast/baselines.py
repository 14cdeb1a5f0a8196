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
from features.climatology import QUANTILES, fit_climatology  # noqa: F401 - re-exported

logger = logging.getLogger(__name__)

BaselineName = Literal["persistence", "diurnal_persistence", "climatology"]


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


def empty_cube(station_ids, issue_time, leads: int, method: str) -> xr.Dataset:
    """A forecast cube ``(station, lead)`` with ``valid_time`` and attrs, and no variables yet.

    ``issue_time``: a tz-aware time, or a naive one meaning UTC.
    """
    stamp = pd.Timestamp(issue_time)
    stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp
    issue = np.datetime64(stamp.to_datetime64(), "ns")
    lead = np.arange(1, leads + 1)
    valid = issue + lead.astype("timedelta64[h]")
    cube = xr.Dataset(coords={STATION: list(station_ids), LEAD: lead, VALID_TIME: (LEAD, valid)})
    cube[LEAD].attrs.update(units="h", long_name="forecast lead (hour-ending)")
    cube.attrs.update(
        issue_time=pd.Timestamp(issue).tz_localize("UTC").isoformat(),
        method=method,
        units=CONCENTRATION_UNITS,
        time_convention="hour-ending, UTC",
    )
    return cube


def _empty_cube(obs: xr.Dataset, issue: np.datetime64, leads: int, method: str) -> xr.Dataset:
    return empty_cube(obs[STATION].values, issue, leads, method)


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
