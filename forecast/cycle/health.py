"""Input health of a cycle and the station alert conditions (national plan: alert when a station's
data exceed limits or stop arriving for more than 2 hours).

Health table (one row per station and input)
    ``station_id``, ``input`` (a pollutant, or ``met`` for the linked weather station),
    ``last_time`` (UTC, NaT if none in the window), ``age_h`` at the cycle [h], ``missing_24h`` (hours
    of the last 24 without a valid value), ``qc_failed_24h`` (hours stored but failing QC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from configs.cycle import AlertSettings
from configs.schema import STATION, TIME

SILENT = "silent"
EXCEEDANCE = "exceedance"


@dataclass(frozen=True)
class AlertCondition:
    """Whether an alert condition holds at one station at this cycle."""

    station_id: str
    kind: str
    active: bool
    detail: str
    value: float | None = None
    observed_at: pd.Timestamp | None = None


def _last_times(ds: xr.Dataset, name: str) -> np.ndarray:
    values = ds[name].values
    times = ds[TIME].values
    present = np.isfinite(values)
    last = np.where(present.any(axis=1), present.shape[1] - 1 - np.argmax(present[:, ::-1], axis=1), -1)
    return np.where(last >= 0, times[np.clip(last, 0, None)], np.datetime64("NaT"))


def input_health(valid: xr.Dataset, stored: xr.Dataset, met: xr.Dataset | None, cycle: pd.Timestamp) -> pd.DataFrame:
    """The health table (see module docstring) of observations ``valid`` (passing QC), ``stored`` (all
    stored values) and observed ``met``, each dims ``(station, time)`` up to ``cycle``."""
    now = pd.Timestamp(cycle).tz_convert("UTC").tz_localize(None).to_datetime64()
    rows = []
    sources = [(p, valid, stored) for p in valid.data_vars]
    if met is not None and met.data_vars:
        sources.append(("met", met, met))
    for name, good, raw in sources:
        if name == "met":
            good_values = np.logical_or.reduce([np.isfinite(good[v].values) for v in good.data_vars])
            good = xr.Dataset({name: ((STATION, TIME), np.where(good_values, 1.0, np.nan))}, coords=good.coords)
            raw = good
        last = _last_times(good, name)
        ok = np.isfinite(good[name].values)
        in_window = good[TIME].values > now - np.timedelta64(24, "h")
        stored_ok = np.isfinite(raw[name].values) if name in raw else ok
        for i, sid in enumerate(good[STATION].values):
            rows.append(
                {
                    "station_id": str(sid),
                    "input": name,
                    "last_time": pd.Timestamp(last[i]),
                    "age_h": (now - last[i]) / np.timedelta64(1, "h") if not np.isnat(last[i]) else np.inf,
                    "missing_24h": int(in_window.sum() - ok[i, in_window].sum()),
                    "qc_failed_24h": int((stored_ok[i, in_window] & ~ok[i, in_window]).sum()),
                }
            )
    table = pd.DataFrame(rows)
    if not table.empty:
        table["last_time"] = pd.to_datetime(table["last_time"]).dt.tz_localize("UTC")
    return table


def alert_conditions(
    health: pd.DataFrame, observed_hourly: xr.Dataset, cycle: pd.Timestamp, settings: AlertSettings
) -> list[AlertCondition]:
    """Silent-station and observed-exceedance conditions per station.

    ``observed_hourly`` is the VN_AQI engine's hourly output of the observations (dims station, time).
    A station is silent when its newest valid pollutant value is older than ``settings.silent_hours``;
    it exceeds when its newest hourly VN_AQI (within the silent window) is ≥ ``settings.exceedance_aqi``.
    """
    now = pd.Timestamp(cycle).tz_convert("UTC")
    pollutant_rows = health[health["input"] != "met"]
    out = []
    for sid, rows in pollutant_rows.groupby("station_id", sort=True):
        newest = rows["last_time"].max()
        age = rows["age_h"].min()
        silent = bool(age > settings.silent_hours)
        when = (
            "never in the window"
            if pd.isna(newest)
            else f"last value {newest:%Y-%m-%d %H:%M}Z, {age:.0f} h before the cycle"
        )
        detail = f"no observation for > {settings.silent_hours:g} h ({when})"
        age_value = float(age) if np.isfinite(age) else None
        out.append(AlertCondition(str(sid), SILENT, silent, detail, age_value, None if pd.isna(newest) else newest))
        aqi = observed_hourly["aqi"].sel({STATION: sid}).dropna(TIME) if sid in observed_hourly[STATION] else None
        if aqi is None or aqi.sizes[TIME] == 0:
            continue
        last_time = pd.Timestamp(aqi[TIME].values[-1]).tz_localize("UTC")
        value = float(aqi.values[-1])
        fresh = (now - last_time) <= pd.Timedelta(hours=settings.silent_hours)
        active = bool(fresh and value >= settings.exceedance_aqi)
        out.append(AlertCondition(str(sid), EXCEEDANCE, active,
                                  f"observed hourly VN_AQI {value:.0f} at {last_time:%Y-%m-%d %H:%M}Z "
                                  f"({'≥' if value >= settings.exceedance_aqi else '<'} {settings.exceedance_aqi})",
                                  value, last_time))  # fmt: skip
    return out
