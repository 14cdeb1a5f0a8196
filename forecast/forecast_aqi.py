"""VN_AQI of a forecast: hourly (NowCast over observed + forecast hours) and daily D1–D3.

Follows VN_AQI.md §11: the NowCast at a future hour uses the 12 hours before it, observed where they
exist (up to the issue time) and forecast after; a local day that is partly observed mixes observed
and forecast hours and says how many of each it used.

D1 is the local day (hours stamped 01:00 … 00:00) holding the first forecast hour when at least
``min_forecast_hours_d1`` of its hours are forecast (the 00 UTC run, 07:00 local, forecasts 17 hours
of "today"); otherwise D1 is the next day (the 12 UTC run, 19:00 local, starts with "tomorrow").
D2 and D3 follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import DEFAULT_LOCAL_TZ, LEAD, POLLUTANTS, STATION, TIME, VALID_TIME
from forecast.aqi import daily_aqi, hourly_aqi

NOWCAST_HOURS = 12
O3_8H_HISTORY = 7


@dataclass(frozen=True)
class ForecastAQI:
    """Hourly and daily VN_AQI of one forecast.

    ``hourly``: dims ``(station, lead)`` with ``valid_time``; the engine's variables (``aqi``,
    ``category``, ``dominant_pollutant``, ``aqi_<pollutant>``).
    ``daily``: dims ``(station, day)`` with ``day`` = ``D1`` … ``D3`` and coordinates ``date`` (local)
    and ``observed_hours`` / ``forecast_hours`` (hours of each kind the day used, per station).
    """

    hourly: xr.Dataset
    daily: xr.Dataset


def merged_series(obs: xr.Dataset, cube: xr.Dataset, history_hours: int) -> xr.Dataset:
    """Observed hours up to the issue time followed by the forecast hours, on one hourly axis.

    Returns dims ``(station, time)`` with a boolean ``is_forecast(time)`` coordinate.
    """
    issue = pd.Timestamp(cube.attrs["issue_time"]).tz_convert("UTC").tz_localize(None)
    past = pd.date_range(end=issue, periods=history_hours, freq="h")
    pollutants = [p for p in POLLUTANTS if p in cube.data_vars]
    observed = obs[[p for p in pollutants if p in obs.data_vars]].reindex(
        {TIME: past, STATION: cube[STATION].values}
    )
    future = cube[pollutants].swap_dims({LEAD: VALID_TIME}).drop_vars(LEAD).rename({VALID_TIME: TIME})
    merged = xr.concat([observed, future], dim=TIME, data_vars="all", join="outer")
    merged = merged.assign_coords(
        is_forecast=(TIME, np.r_[np.zeros(len(past), bool), np.ones(future.sizes[TIME], bool)])
    )
    return merged.transpose(STATION, TIME)


def forecast_days(issue_utc: pd.Timestamp, tz: str, min_forecast_hours_d1: int = 12) -> list[pd.Timestamp]:
    """Local dates of D1, D2, D3 for an issue time (see module docstring)."""
    first_hour_local = (issue_utc + pd.Timedelta(hours=1)).tz_convert(tz)
    d1 = (
        first_hour_local - pd.Timedelta(hours=1)
    ).normalize()  # the day holding hour-ending stamp first_hour
    day_end = d1 + pd.Timedelta(days=1)  # stamp 00:00 of the next day closes the day
    forecast_hours_in_d1 = int((day_end - first_hour_local) / pd.Timedelta(hours=1)) + 1
    if forecast_hours_in_d1 < min_forecast_hours_d1:
        d1 = d1 + pd.Timedelta(days=1)
    return [(d1 + pd.Timedelta(days=k)).tz_localize(None) for k in range(3)]


def forecast_vn_aqi(
    obs: xr.Dataset, cube: xr.Dataset, tz: str = DEFAULT_LOCAL_TZ, min_hours_fraction: float = 0.75
) -> ForecastAQI:
    """Hourly VN_AQI for every lead and daily VN_AQI for D1–D3 of a forecast cube.

    Parameters
    ----------
    obs
        Observations, dims ``(station, time)``, hourly, UTC, hour-ending [µg/m³]; only hours at or
        before the cube's issue time are used.
    cube
        Forecast cube, dims ``(station, lead)`` with ``valid_time`` and attr ``issue_time`` [µg/m³].
    tz
        Zone of the local days.
    min_hours_fraction
        Completeness rule for daily means and 8-h windows (VN_AQI.md §9.6; default 75 %).
    """
    issue = pd.Timestamp(cube.attrs["issue_time"]).tz_convert("UTC")
    history = 24 + NOWCAST_HOURS + O3_8H_HISTORY
    merged = merged_series(obs, cube, history)
    hourly_all = hourly_aqi(merged.drop_vars("is_forecast"))
    hourly = hourly_all.sel({TIME: cube[VALID_TIME].values})
    hourly = (
        hourly.rename({TIME: VALID_TIME})
        .swap_dims({VALID_TIME: LEAD})
        .assign_coords({LEAD: cube[LEAD].values})
    )

    days = forecast_days(issue, tz)
    daily_all = daily_aqi(merged.drop_vars("is_forecast"), tz=tz, min_hours_fraction=min_hours_fraction)
    daily = daily_all.reindex(date=np.array(days, dtype="datetime64[ns]"))
    local_stamp = pd.DatetimeIndex(merged[TIME].values).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    day_of_hour = (local_stamp - pd.Timedelta(hours=1)).normalize()
    counts = {"observed_hours": [], "forecast_hours": []}
    pm = merged["pm25"] if "pm25" in merged else merged[list(merged.data_vars)[0]]
    for day in days:
        in_day = xr.DataArray(np.asarray(day_of_hour == day), dims=TIME)
        present = pm.notnull() & in_day
        counts["forecast_hours"].append((present & merged["is_forecast"]).sum(TIME).values)
        counts["observed_hours"].append((present & ~merged["is_forecast"]).sum(TIME).values)
    daily = daily.rename(date="day").assign_coords(
        day=["D1", "D2", "D3"],
        date=("day", [d.strftime("%Y-%m-%d") for d in days]),
        observed_hours=((STATION, "day"), np.stack(counts["observed_hours"], axis=1)),
        forecast_hours=((STATION, "day"), np.stack(counts["forecast_hours"], axis=1)),
    )
    daily.attrs.update(tz=tz, min_hours_fraction=min_hours_fraction, issue_time=cube.attrs["issue_time"])
    return ForecastAQI(hourly=hourly, daily=daily)
