"""Flat table of an engine result: exactly the columns the CLI writes (CSV / Parquet)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import POLLUTANTS, STATION, TIME, VALID_TIME
from forecast.aqi.categories import CATEGORIES
from forecast.aqi.index import DATE

_NAMES_VI = np.array(["", *(c.name_vi for c in CATEGORIES)], dtype=object)
_NAMES_EN = np.array(["", *(c.name_en for c in CATEGORIES)], dtype=object)
_NAMES_VI.setflags(write=False)
_NAMES_EN.setflags(write=False)


def _local_iso(times: np.ndarray, tz: str) -> np.ndarray:
    """ISO 8601 strings with the offset of ``tz`` for naive-UTC datetime64 values."""
    local = pd.DatetimeIndex(times).tz_localize("UTC").tz_convert(tz)
    return np.array([stamp.isoformat() for stamp in local], dtype=object)


def _dates(values: np.ndarray) -> np.ndarray:
    if np.issubdtype(values.dtype, np.datetime64):
        return np.datetime_as_string(values, unit="D").astype(object)
    return np.array([str(v)[:10] for v in values], dtype=object)


def _labels(result: xr.Dataset, axis: str, daily: bool, tz: str) -> tuple[str, np.ndarray]:
    """Name and strings of the time column for the values along ``axis``."""
    if daily:
        name = DATE if DATE in result.coords else axis
        return DATE, _dates(result[name].transpose(axis).values)
    name = TIME if TIME in result.coords else VALID_TIME
    if name not in result.coords:
        raise ValueError(f"an hourly result needs a {TIME!r} or {VALID_TIME!r} coordinate")
    return TIME, _local_iso(result[name].transpose(axis).values, tz)


def _text(values: np.ndarray, defined: np.ndarray) -> pd.arrays.StringArray:
    return pd.array(np.where(defined, values, None), dtype="string")


def aqi_table(result: xr.Dataset, *, daily: bool, tz: str) -> pd.DataFrame:
    """One row per station and hour (or day) of a :func:`hourly_aqi` / :func:`daily_aqi` result.

    Parameters
    ----------
    result
        Engine output with dims ``(station, <time axis>)``: ``(station, time)``, ``(station, date)``,
        or a forecast's ``(station, lead)`` with a ``valid_time`` coordinate (``(station, day)``
        with a ``date`` coordinate for daily).
    daily
        ``True`` for daily results: a ``date`` column ``YYYY-MM-DD`` (the local date) instead of
        ``time``.
    tz
        IANA zone of the ``time`` strings (ISO 8601 with offset, e.g. ``2026-01-05T10:00:00+07:00``;
        hour-ending).

    Returns
    -------
    pandas.DataFrame
        Columns ``station_id``, ``time`` | ``date``, ``aqi`` (Int64, <NA> = undefined), ``category``
        (Int64 1–6), ``category_vi``, ``category_en``, ``dominant_pollutant`` (string, <NA> =
        undefined) and ``aqi_<pollutant>`` (unrounded float) for the pollutants present, rows ordered
        by station then time.
    """
    axis = next(d for d in result["aqi"].dims if d != STATION)
    n_station, n_time = result.sizes[STATION], result.sizes[axis]

    def flat(name: str) -> np.ndarray:
        return result[name].transpose(STATION, axis).values.reshape(-1)

    time_name, labels = _labels(result, axis, daily, tz)
    category = flat("category").astype(np.int64)
    defined = category > 0
    columns: dict[str, object] = {
        "station_id": np.repeat(result[STATION].values.astype(str).astype(object), n_time),
        time_name: np.tile(labels, n_station),
        "aqi": pd.array(flat("aqi"), dtype="Int64"),
        "category": pd.array(np.where(defined, category, np.nan), dtype="Int64"),
        "category_vi": _text(_NAMES_VI[category], defined),
        "category_en": _text(_NAMES_EN[category], defined),
        "dominant_pollutant": _text(
            flat("dominant_pollutant").astype(object), flat("dominant_pollutant") != ""
        ),
    }
    for pollutant in POLLUTANTS:
        if f"aqi_{pollutant}" in result:
            columns[f"aqi_{pollutant}"] = flat(f"aqi_{pollutant}").astype(np.float64)
    return pd.DataFrame(columns)
