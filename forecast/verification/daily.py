"""Forecast and observed daily VN_AQI of every issue, station and local day D1–D3, with the engine.

For each issue and station, the **forecast day** is the hourly series an operational bulletin would
use: observed values for hours at or before the issue time, forecast values after it (up to the
table's longest lead, 72 h; later hours are unknown). The **observed day** uses observations only.
Observations are rebuilt from the table itself: the first non-null ``observed`` of each station,
pollutant and ``valid_time`` (hours before the first issue are unknown, so early days may fail
completeness).

Both go through :func:`forecast.aqi.daily_aqi`, the one VN_AQI implementation (Decision 1459: 24-h
means for PM, daily maximum of hourly values for NO2/SO2/CO, O3 from the 1-h and 8-h rows, 75 %
completeness), vectorised over issues as described in :mod:`forecast.verification.engine_days`
(pseudo-stations shifted by whole local days onto one reference axis). The forecast days match
:func:`forecast.forecast_aqi.forecast_vn_aqi` on the same inputs.

Per pollutant, the daily AQI is that pollutant's sub-index rounded half up; ``"all"`` is the overall
VN_AQI over the pollutants the method forecasts (:func:`forecast.aqi.combine_sub_indices`: maximum of
the sub-indices, defined only where PM2.5 or PM10 has one, Decision 1459 §5). The observed ``"all"``
uses the same pollutants, so both sides compare like with like; ``pollutants`` names them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from configs.schema import PM_POLLUTANTS
from forecast.aqi import category_of, combine_sub_indices, round_half_up
from forecast.verification.engine_days import (
    HISTORY_HOURS,
    HOUR_NS,
    NAT,
    Observations,
    forecast_sub_indices,
    observed_sub_indices,
    wall_clock_utc,
)
from forecast.verification.hindcast import ISSUE_TIME, LEAD_H, POLLUTANT, STATION_ID, Hindcast
from forecast.verification.periods import FORECAST_DAYS, first_forecast_day
from forecast.verification.scoring import group_codes

logger = logging.getLogger(__name__)

ALL: Final = "all"
"""``pollutant`` value of the overall VN_AQI rows."""
DAILY_COLUMNS: Final[tuple[str, ...]] = (
    ISSUE_TIME,
    STATION_ID,
    "day",
    "date",
    POLLUTANT,
    "pollutants",
    "method",
    "observed_hours",
    "forecast_hours",
    "aqi_forecast",
    "aqi_observed",
    "category_forecast",
    "category_observed",
    "dominant_forecast",
    "dominant_observed",
)
"""Columns of :func:`daily_aqi_pairs`."""


def daily_aqi_pairs(
    table: pd.DataFrame | Hindcast,
    *,
    methods: Sequence[str] | None = None,
    tz_by_station: Mapping[str, str] | str | None = None,
    min_hours_fraction: float = 0.75,
) -> pd.DataFrame:
    """Forecast and observed daily VN_AQI per issue, station, local day D1–D3, pollutant and method.

    Parameters
    ----------
    table
        Hindcast table or prepared :class:`~forecast.verification.hindcast.Hindcast` [µg/m³].
    methods
        Forecast columns (default ``forecast`` + references present); each gets its own daily AQI.
    tz_by_station
        ``station_id -> IANA zone`` of the local days (default ``Asia/Ho_Chi_Minh``).
    min_hours_fraction
        Completeness of daily means/maxima and 8-h O3 means (engine default 0.75 → 18 of 24 h).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DAILY_COLUMNS`: ``day`` (``D1`` … ``D3``), ``date`` (local), ``pollutant``
        (a key or ``"all"``), ``pollutants`` (those behind the value, ``pm25+no2`` …),
        ``observed_hours`` / ``forecast_hours`` (hours of the forecast day taken from observations at
        issue time / from the forecast [h]), ``aqi_forecast`` / ``aqi_observed`` (rounded, NaN = none),
        ``category_forecast`` / ``category_observed`` (1 … 6, 0 = none) and ``dominant_*`` (``"all"``
        rows). Rows where neither side has an AQI are dropped.
    """
    hindcast = Hindcast.from_table(table, methods, tz_by_station)
    frame = hindcast.frame
    pollutants = hindcast.pollutants
    n_days = len(FORECAST_DAYS)
    n_hours = HISTORY_HOURS + 24 * n_days
    observations = Observations(frame)

    # (issue, station) pairs: zone, D1, UTC stamps and leads of the wall-clock positions
    pair_code, pairs = group_codes(frame, [ISSUE_TIME, STATION_ID])
    n_pairs = len(pairs)
    station = pd.Categorical(pairs[STATION_ID], categories=frame[STATION_ID].cat.categories).codes.astype(np.int64)
    issue_ns = pd.DatetimeIndex(pairs[ISSUE_TIME]).asi8
    zone = np.asarray(frame["tz"].array[np.unique(pair_code, return_index=True)[1]], dtype=object)
    d1 = np.empty(n_pairs, dtype="datetime64[ns]")
    utc = np.empty((n_pairs, n_hours), dtype=np.int64)
    for tz in pd.unique(zone):  # a handful of zones
        rows = np.flatnonzero(zone == tz)
        d1[rows] = first_forecast_day(pd.DatetimeIndex(pairs[ISSUE_TIME].iloc[rows]), tz).values
        dates, inverse = np.unique(d1[rows], return_inverse=True)
        utc[rows] = wall_clock_utc(dates, tz, n_hours)[inverse]
    lead = np.where(utc == NAT, -1, (utc - issue_ns[:, None]) // HOUR_NS)
    lead_max = int(frame[LEAD_H].max())

    # table rows by sorted key (pollutant, pair, lead)
    row_keys = (frame[POLLUTANT].cat.codes.to_numpy().astype(np.int64) * n_pairs + pair_code) * (lead_max + 1)
    order = np.argsort(row_keys + frame[LEAD_H].to_numpy(), kind="stable")
    row_keys = (row_keys + frame[LEAD_H].to_numpy())[order]
    values = {m: frame[m].to_numpy()[order] for m in hindcast.methods}
    sub_fc = forecast_sub_indices(
        pollutants, values, row_keys, observations, station, utc, lead, lead_max, min_hours_fraction
    )

    # observed days, once per (station, local date)
    day_dates = (d1[:, None] + np.arange(n_days) * np.timedelta64(1, "D")).ravel()
    keys = pd.DataFrame({"s": np.repeat(station, n_days), "d": day_dates, "z": np.repeat(zone, n_days)})
    obs_code, obs_days = group_codes(keys, ["s", "d", "z"])
    sub_obs = observed_sub_indices(
        pollutants,
        observations,
        obs_days["s"].to_numpy(),
        obs_days["d"].to_numpy(),
        obs_days["z"].to_numpy(dtype=object),
        min_hours_fraction,
    )
    sub_obs = {p: v[obs_code].reshape(n_pairs, n_days) for p, v in sub_obs.items()}

    # hours of each forecast day taken from observations / from the forecast
    day_lead = lead[:, HISTORY_HOURS:].reshape(n_pairs, n_days, 24)
    exists = utc[:, HISTORY_HOURS:].reshape(n_pairs, n_days, 24) != NAT
    base = pd.DataFrame(
        {
            ISSUE_TIME: pd.DatetimeIndex(pairs[ISSUE_TIME]).repeat(n_days),
            STATION_ID: np.repeat(pairs[STATION_ID].astype(str).to_numpy(), n_days),
            "day": np.tile(FORECAST_DAYS, n_pairs),
            "date": day_dates,
            "observed_hours": ((day_lead < 1) & exists).sum(axis=2).ravel(),
            "forecast_hours": ((day_lead >= 1) & (day_lead <= lead_max)).sum(axis=2).ravel(),
        }
    )
    available = hindcast.available()
    parts = []
    for m in hindcast.methods:
        own = [p for p in pollutants if available.loc[p, m]]
        parts += [_rows(base, m, p, p, sub_fc[m][p], sub_obs[p]) for p in own]
        if any(p in PM_POLLUTANTS for p in own):
            shape = (n_pairs, n_days)
            fc = combine_sub_indices({p: sub_fc[m][p] for p in own}, shape)
            ob = combine_sub_indices({p: sub_obs[p] for p in own}, shape)
            parts.append(_rows(base, m, ALL, "+".join(own), fc, ob))
        else:
            logger.info("method %s forecasts no PM2.5/PM10: no overall VN_AQI (Decision 1459 §5)", m)
    if not parts:
        logger.warning("no method has a forecast value: no daily VN_AQI")
        return pd.DataFrame(columns=list(DAILY_COLUMNS))
    result = pd.concat(parts, ignore_index=True)
    result = result[result["aqi_forecast"].notna() | result["aqi_observed"].notna()].reset_index(drop=True)
    logger.info("daily VN_AQI: %d rows from %d (issue, station) pairs", len(result), n_pairs)
    return result[list(DAILY_COLUMNS)]


def _rows(
    base: pd.DataFrame,
    method: str,
    pollutant: str,
    pollutants: str,
    forecast: np.ndarray | tuple[np.ndarray, ...],
    observed: np.ndarray | tuple[np.ndarray, ...],
) -> pd.DataFrame:
    """Rows of one method and pollutant from sub-indices (arrays) or combined AQI (engine tuples)."""
    columns = {}
    for side, value in (("forecast", forecast), ("observed", observed)):
        if isinstance(value, tuple):
            aqi, category, dominant = value
        else:
            aqi = round_half_up(value)
            category, dominant = category_of(aqi), np.where(np.isnan(aqi), "", pollutant)
        columns[f"aqi_{side}"] = np.asarray(aqi, dtype=np.float64).ravel()
        columns[f"category_{side}"] = np.asarray(category, dtype=np.int8).ravel()
        columns[f"dominant_{side}"] = np.asarray(dominant).ravel()
    return base.assign(pollutant=pollutant, pollutants=pollutants, method=method, **columns)
