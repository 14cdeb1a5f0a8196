"""Daily VN_AQI sub-indices of many (issue, station) windows through few calls of the one engine.

Used by :mod:`forecast.verification.daily`. Each (issue, station, method) window becomes one
**pseudo-station** of a Dataset passed to :func:`forecast.aqi.daily_aqi`:

* its axis holds the 7 hours before D1 (the 8-hour O3 means of the first hours of D1 start at 18:00
  the day before) and the 72 hours of D1–D3: position ``t`` is the local wall-clock stamp
  ``D1 − 6 h + t h``;
* every window is placed on one **reference axis** (D1 = 2000-01-02) by that local wall-clock time, and
  the engine is called with ``tz="UTC"`` on it, so local days line up for every issue and zone. In a
  zone without daylight saving time (Vietnam, China) this is exactly a whole-day shift of the UTC
  series. In a zone with DST, the day of a change keeps 24 wall-clock positions: the skipped hour is
  NaN and the repeated hour keeps its first occurrence;
* the forecast axis ends at the last forecast lead, as the operational
  :func:`forecast.forecast_aqi.forecast_vn_aqi` does (no 8-hour O3 mean is formed from hours beyond the
  horizon). Windows with the same axis length (one per issue hour of the local day) share one call,
  chunked to bound memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import STATION, TIME
from forecast.aqi import daily_aqi
from forecast.verification.hindcast import OBSERVED, POLLUTANT, STATION_ID, VALID_TIME

HISTORY_HOURS: Final = 7
"""Hours before D1 on each axis."""
CHUNK: Final = 8192
"""Pseudo-stations per engine call (memory ≈ CHUNK × 79 h × pollutants × 8 B, plus engine work arrays)."""
HOUR_NS: Final = np.int64(3_600_000_000_000)
NAT: Final = np.iinfo(np.int64).min
_REFERENCE_DATE: Final = np.datetime64("2000-01-02", "ns")


def wall_clock_utc(dates: np.ndarray, tz: str, n_hours: int) -> np.ndarray:
    """UTC [int64 ns, :data:`NAT` where the stamp does not exist] of the local stamps
    ``date − 6 h + t h`` for t < ``n_hours``; shape ``(len(dates), n_hours)``."""
    offsets = (np.arange(n_hours, dtype=np.int64) - (HISTORY_HOURS - 1)) * HOUR_NS
    local = dates.astype("datetime64[ns]").astype(np.int64)[:, None] + offsets[None, :]
    stamps = pd.DatetimeIndex(local.ravel().view("datetime64[ns]"))
    utc = stamps.tz_localize(tz, ambiguous=np.ones(stamps.size, dtype=bool), nonexistent="NaT").tz_convert("UTC")
    return utc.asi8.reshape(local.shape)


def lookup(sorted_keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Index of each query key in ``sorted_keys`` (−1 where absent)."""
    if sorted_keys.size == 0:
        return np.full(query.shape, -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_keys, query), sorted_keys.size - 1)
    return np.where(sorted_keys[pos] == query, pos, -1)


class Observations:
    """First non-null observation of every (pollutant, station, hour) of a prepared hindcast frame."""

    def __init__(self, frame: pd.DataFrame) -> None:
        finite = frame[OBSERVED].notna().to_numpy()
        self.n_stations = len(frame[STATION_ID].cat.categories)
        keys = self._keys(
            frame[POLLUTANT].cat.codes.to_numpy()[finite],
            frame[STATION_ID].cat.codes.to_numpy()[finite],
            frame[VALID_TIME].array.asi8[finite],
        )
        self.keys, first = np.unique(keys, return_index=True)  # the frame is sorted: first = earliest issue
        self.values = frame[OBSERVED].to_numpy()[finite][first]

    def _keys(self, pollutant: np.ndarray, station: np.ndarray, utc_ns: np.ndarray) -> np.ndarray:
        return ((np.asarray(pollutant, np.int64) * self.n_stations + station) << 25) + np.floor_divide(utc_ns, HOUR_NS)

    def get(self, pollutant: int, station: np.ndarray, utc_ns: np.ndarray) -> np.ndarray:
        """Observations [µg/m³] at ``utc_ns`` (broadcast with ``station``); NaN where unknown."""
        index = lookup(self.keys, self._keys(pollutant, station, utc_ns))
        return np.where((index >= 0) & (utc_ns != NAT), self.values[np.maximum(index, 0)], np.nan)


def engine_sub_indices(series: dict[str, np.ndarray], n_days: int, min_hours_fraction: float) -> dict[str, np.ndarray]:
    """Unrounded daily sub-indices ``(pseudo-station, day)`` of the days from the reference D1 on.

    ``series`` maps pollutant -> ``(pseudo-station, position)`` [µg/m³] on the reference axis; days
    the axis does not reach are NaN.
    """
    n_stations, n_hours = next(iter(series.values())).shape
    axis = _REFERENCE_DATE + (np.arange(n_hours) - (HISTORY_HOURS - 1)) * np.timedelta64(1, "h")
    data = {p: ((STATION, TIME), values) for p, values in series.items()}
    ds = xr.Dataset(data, coords={STATION: np.arange(n_stations), TIME: axis})
    result = daily_aqi(ds, tz="UTC", min_hours_fraction=min_hours_fraction)
    wanted = _REFERENCE_DATE + np.arange(n_days) * np.timedelta64(1, "D")
    result = result.reindex(date=wanted)
    return {p: result[f"aqi_{p}"].values for p in series}


def forecast_sub_indices(
    pollutants: Sequence[str],
    methods: dict[str, np.ndarray],
    row_keys: np.ndarray,
    observations: Observations,
    station: np.ndarray,
    utc: np.ndarray,
    lead: np.ndarray,
    lead_max: int,
    min_hours_fraction: float,
) -> dict[str, dict[str, np.ndarray]]:
    """Daily sub-indices of the forecast days of every (issue, station) pair and method.

    Parameters
    ----------
    pollutants
        Pollutant keys, in the order of the frame's pollutant codes.
    methods
        ``method -> forecast values`` [µg/m³] in the order of ``row_keys``.
    row_keys
        Sorted keys ``(pollutant code × n_pairs + pair) × (lead_max + 1) + lead`` of the table rows.
    observations
        Observation look-up.
    station, utc, lead
        Per pair: station code; per pair and position: UTC stamp [ns] and lead [h] (≤ 0: observed).
    lead_max
        Longest lead of the table [h].
    min_hours_fraction
        Engine completeness rule.

    Returns
    -------
    dict
        ``method -> pollutant -> (pair, day)`` unrounded sub-indices.
    """
    n_pairs, n_hours = utc.shape
    n_days = (n_hours - HISTORY_HOURS) // 24
    inside = lead <= lead_max
    axis_length = n_hours - np.argmax(inside[:, ::-1], axis=1)  # positions up to the last forecast lead
    out = {m: {p: np.full((n_pairs, n_days), np.nan) for p in pollutants} for m in methods}
    for length in np.unique(axis_length):  # one value per issue hour of the local day
        group = np.flatnonzero(axis_length == length)
        for start in range(0, group.size, max(CHUNK // len(methods), 1)):
            idx = group[start : start + max(CHUNK // len(methods), 1)]
            lead_c, utc_c = lead[idx, :length], utc[idx, :length]
            is_forecast = lead_c >= 1
            series = {}
            for code, p in enumerate(pollutants):
                observed = observations.get(code, station[idx, None], utc_c)
                key = (code * n_pairs + idx[:, None]) * (lead_max + 1) + np.clip(lead_c, 0, lead_max)
                found = np.where(is_forecast, lookup(row_keys, key), -1)
                series[p] = np.concatenate(
                    [
                        np.where(is_forecast, np.where(found >= 0, v[np.maximum(found, 0)], np.nan), observed)
                        for v in methods.values()
                    ]
                )
            subs = engine_sub_indices(series, n_days, min_hours_fraction)
            for k, m in enumerate(methods):
                for p in pollutants:
                    out[m][p][idx] = subs[p][k * idx.size : (k + 1) * idx.size]
    return out


def observed_sub_indices(
    pollutants: Sequence[str],
    observations: Observations,
    station: np.ndarray,
    date: np.ndarray,
    zone: np.ndarray,
    min_hours_fraction: float,
) -> dict[str, np.ndarray]:
    """Daily sub-indices of observed local days, one per (station, date, zone) given.

    Returns ``pollutant -> (day,)`` unrounded sub-indices.
    """
    n_hours = HISTORY_HOURS + 24
    utc = np.empty((date.size, n_hours), dtype=np.int64)
    for tz in pd.unique(zone):  # a handful of zones
        rows = np.flatnonzero(zone == tz)
        utc[rows] = wall_clock_utc(date[rows], tz, n_hours)
    out = {p: np.full(date.size, np.nan) for p in pollutants}
    for start in range(0, date.size, CHUNK):
        chunk = slice(start, start + CHUNK)
        series = {p: observations.get(c, station[chunk, None], utc[chunk]) for c, p in enumerate(pollutants)}
        subs = engine_sub_indices(series, 1, min_hours_fraction)
        for p in pollutants:
            out[p][chunk] = subs[p][:, 0]
    return out
