"""Calendar, holiday and emission-timing features in the station's local time.

Hour-ending stamps are described by the local hour at the *start* of their interval (the value
stamped 08:00 is the hour 07–08, ``hour_local`` = 7). Public holidays come from the maintained
`holidays` library for the country of the station's time zone; emission timing (traffic,
residential and industry factors, Tết, open-burning season) from :mod:`met_inputs.emissions`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

from configs.networks import Station
from met_inputs.emissions import station_emission_features

logger = logging.getLogger(__name__)

COUNTRY_OF_TIME_ZONE = {
    "Asia/Ho_Chi_Minh": "VN",
    "Asia/Saigon": "VN",
    "Asia/Bangkok": "TH",
    "Asia/Shanghai": "CN",
    "Asia/Chongqing": "CN",
    "Asia/Vientiane": "LA",
    "Asia/Phnom_Penh": "KH",
    "Asia/Jakarta": "ID",
    "Asia/Kuala_Lumpur": "MY",
    "Asia/Manila": "PH",
    "Asia/Singapore": "SG",
    "Europe/Rome": "IT",
}
"""Country whose public holidays apply to a station, by its IANA time zone."""

EMISSION_COLUMNS = {
    "emission_F_RoadTransport_factor": "emission_traffic_factor",
    "emission_C_OtherStationaryComb_factor": "emission_residential_factor",
    "emission_B_Industry_factor": "emission_industry_factor",
    "burning_season": "burning_season",
    "is_tet": "is_tet",
}
CALENDAR_COLUMNS: tuple[str, ...] = (
    "hour_local",
    "weekday_local",
    "month_local",
    "doy_sin",
    "doy_cos",
    "is_holiday",
    *EMISSION_COLUMNS.values(),
)


@lru_cache(maxsize=32)
def _holiday_dates(country: str, years: tuple[int, ...]) -> frozenset:
    return frozenset(holidays.country_holidays(country, years=list(years)).keys())


def holiday_flags(local_days: pd.DatetimeIndex, time_zone: str) -> np.ndarray:
    """1 where the local date is a public holiday of the time zone's country, else 0 (unknown country: 0)."""
    country = COUNTRY_OF_TIME_ZONE.get(time_zone)
    if country is None:
        logger.warning("no holiday calendar for time zone %s; is_holiday = 0", time_zone)
        return np.zeros(len(local_days))
    years = tuple(sorted(set(local_days.year)))
    dates = _holiday_dates(country, years)
    return np.fromiter((d in dates for d in local_days.date), dtype=float, count=len(local_days))


def calendar_fields(
    stations: Sequence[Station], times_utc: np.ndarray, emission_factors: bool = True
) -> dict[str, np.ndarray]:
    """Calendar features (station, time) for hour-ending UTC ``times_utc`` (tz-naive datetime64)."""
    stamps = pd.DatetimeIndex(times_utc).tz_localize("UTC")
    shape = (len(stations), len(stamps))
    out = {name: np.empty(shape) for name in CALENDAR_COLUMNS}
    by_zone: dict[str, list[int]] = {}
    for i, station in enumerate(stations):
        by_zone.setdefault(station.time_zone, []).append(i)
    for zone, members in by_zone.items():
        start = (stamps - pd.Timedelta(hours=1)).tz_convert(zone)
        doy = 2 * np.pi * (start.dayofyear.to_numpy() - 1) / 365.25
        per_zone = {
            "hour_local": start.hour.to_numpy(),
            "weekday_local": start.weekday.to_numpy(),
            "month_local": start.month.to_numpy(),
            "doy_sin": np.sin(doy),
            "doy_cos": np.cos(doy),
            "is_holiday": holiday_flags(start.tz_localize(None).normalize(), zone),
        }
        for name, values in per_zone.items():
            out[name][members] = values
    if emission_factors and len(stamps):
        emission = station_emission_features(stations, stamps, None)
        for source, name in EMISSION_COLUMNS.items():
            out[name] = emission[source].transpose("station", "time").values.astype(float)
    else:
        for name in EMISSION_COLUMNS.values():
            out[name] = np.full(shape, np.nan)
    return out
