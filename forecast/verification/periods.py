"""Lead windows and local forecast days D1–D3 of hindcast rows, vectorised.

* A **lead window** is a range of lead hours: ``1-24 h``, ``25-48 h``, ``49-72 h`` by default.
* A **local day** is the 24 hour-ending stamps 01:00 … 00:00 (next day) in the station's zone
  (docs/conventions.md): the value stamped 00:00 local belongs to the previous day.
* **D1** follows :func:`forecast.forecast_aqi.forecast_days`: the local day holding the first forecast
  hour when at least 12 of its hours are forecast, otherwise the next day (the 00 UTC run in
  Asia/Ho_Chi_Minh forecasts 17 hours of "today", so D1 is today; the 12 UTC run starts at 20:00
  local with 5 hours left, so D1 is tomorrow). D2 and D3 follow.

Everything is computed once per unique (issue time, zone) and mapped back to rows; the only Python
loop is over the (few) distinct time zones.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from configs.schema import MAX_LEAD_HOURS

LEAD_WINDOWS: Final[Mapping[str, tuple[int, int]]] = MappingProxyType(
    {"1-24 h": (1, 24), "25-48 h": (25, 48), "49-72 h": (49, 72)}
)
"""Default lead windows: label -> inclusive (first, last) lead hour."""
FORECAST_DAYS: Final[tuple[str, ...]] = ("D1", "D2", "D3")
"""Labels of the local forecast days."""
MIN_FORECAST_HOURS_D1: Final = 12
"""D1 is the day of the first forecast hour only when at least this many of its hours are forecast."""

_HOUR: Final = pd.Timedelta(hours=1)
_DAY: Final = pd.Timedelta(days=1)


def check_windows(windows: Mapping[str, tuple[int, int]]) -> None:
    """Raise ``ValueError`` unless ``windows`` are non-empty, non-overlapping lead ranges ≥ 1 h."""
    if not windows:
        raise ValueError("lead windows: at least one (first, last) lead range is needed")
    covered: set[int] = set()
    for label, (first, last) in windows.items():
        if not 1 <= first <= last:
            raise ValueError(f"lead window {label!r}: need 1 <= first <= last, got ({first}, {last})")
        hours = set(range(first, last + 1))
        if hours & covered:
            raise ValueError(f"lead window {label!r} overlaps another window")
        covered |= hours


def lead_window(
    lead_h: np.ndarray | pd.Series, windows: Mapping[str, tuple[int, int]] = LEAD_WINDOWS
) -> pd.Categorical:
    """Lead window label of every lead.

    Parameters
    ----------
    lead_h
        Lead times [h].
    windows
        Label -> inclusive (first, last) lead hour; must not overlap.

    Returns
    -------
    pandas.Categorical
        Ordered categories = the window labels; NaN for leads outside every window.

    Examples
    --------
    >>> list(lead_window([1, 24, 25, 72, 73]))
    ['1-24 h', '1-24 h', '25-48 h', '49-72 h', nan]
    """
    check_windows(windows)
    lead = np.asarray(lead_h)
    codes = np.full(lead.shape, -1, dtype=np.int16)
    for code, (first, last) in enumerate(windows.values()):
        codes[(lead >= first) & (lead <= last)] = code
    return pd.Categorical.from_codes(codes, categories=list(windows), ordered=True)


def window_hours(windows: Mapping[str, tuple[int, int]] = LEAD_WINDOWS) -> dict[str, int]:
    """Nominal number of hours [h] of each lead window (``last − first + 1``)."""
    return {label: last - first + 1 for label, (first, last) in windows.items()}


def required_hours(nominal_hours: np.ndarray | int, min_fraction: float) -> np.ndarray:
    """Hours needed out of ``nominal_hours`` for a mean to count: ``ceil(min_fraction × nominal)``, ≥ 1.

    With the default 0.75: 18 of 24, 13 of 17.
    """
    if not 0.0 <= min_fraction <= 1.0:
        raise ValueError(f"min_fraction must be within [0, 1], got {min_fraction}")
    need = np.ceil(np.multiply(min_fraction, nominal_hours) - 1e-9)
    return np.maximum(need, 1).astype(np.int64)


def zone_rows(tz: np.ndarray | pd.Series | pd.Categorical | str, n_rows: int) -> Iterator[tuple[str, np.ndarray]]:
    """``(zone, row indices)`` for each distinct zone of a per-row zone array (or one zone for all rows)."""
    if isinstance(tz, str):
        yield tz, np.arange(n_rows)
        return
    codes, zones = pd.factorize(tz)
    for code, zone in enumerate(zones):
        yield str(zone), np.flatnonzero(codes == code)


def first_forecast_day(
    issue_time: pd.DatetimeIndex | pd.Series | np.ndarray,
    tz: str,
    min_forecast_hours_d1: int = MIN_FORECAST_HOURS_D1,
) -> pd.DatetimeIndex:
    """Local date of D1 for each issue time: vectorised :func:`forecast.forecast_aqi.forecast_days`.

    Parameters
    ----------
    issue_time
        Issue times, timezone-aware (UTC).
    tz
        IANA zone of the local days.
    min_forecast_hours_d1
        D1 is the day of the first forecast hour only when it holds at least this many forecast hours.

    Returns
    -------
    pandas.DatetimeIndex
        Naive local dates (midnight) of D1; D2 and D3 are the next two dates.
    """
    issues = pd.DatetimeIndex(issue_time)
    if issues.tz is None:
        raise ValueError("issue_time must be timezone-aware (UTC)")
    first_local = (issues + _HOUR).tz_convert(tz)
    day = (first_local - _HOUR).normalize()  # the local day holding the hour-ending stamp first_local
    n_forecast = (day + _DAY - first_local) // _HOUR + 1  # as forecast_days: the day closes at stamp 00:00
    date = day.tz_localize(None).normalize()
    return date + pd.to_timedelta(np.where(n_forecast < min_forecast_hours_d1, 1, 0), unit="D")


def local_day(valid_time: pd.DatetimeIndex | pd.Series | np.ndarray, tz: str) -> pd.DatetimeIndex:
    """Local date (naive midnight) of the day each hour-ending stamp belongs to (00:00 → previous day)."""
    valid = pd.DatetimeIndex(valid_time)
    if valid.tz is None:
        raise ValueError("valid_time must be timezone-aware (UTC)")
    return (valid - _HOUR).tz_convert(tz).tz_localize(None).normalize()


def forecast_day_number(
    issue_time: pd.Series | pd.DatetimeIndex,
    valid_time: pd.Series | pd.DatetimeIndex,
    tz: np.ndarray | pd.Series | pd.Categorical | str,
    min_forecast_hours_d1: int = MIN_FORECAST_HOURS_D1,
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Forecast day number (1 = D1 …) and local date of every row.

    Parameters
    ----------
    issue_time, valid_time
        Timezone-aware (UTC) times of equal length; ``valid_time`` is hour-ending.
    tz
        IANA zone per row, or one zone for all rows.
    min_forecast_hours_d1
        See :func:`first_forecast_day`.

    Returns
    -------
    tuple
        ``day_number`` (int64; ≤ 0 before D1, > 3 after D3) and ``date`` (naive local dates).
    """
    issues = pd.DatetimeIndex(issue_time)
    valid = pd.DatetimeIndex(valid_time)
    number = np.zeros(len(issues), dtype=np.int64)
    dates = np.full(len(issues), np.datetime64("NaT", "ns"))
    for zone, rows in zone_rows(tz, len(issues)):  # a handful of zones; everything inside is vectorised
        codes, unique_issues = pd.factorize(issues[rows])
        d1 = first_forecast_day(unique_issues, zone, min_forecast_hours_d1).values[codes]
        date = local_day(valid[rows], zone).values
        number[rows] = (date - d1) // np.timedelta64(1, "D") + 1
        dates[rows] = date
    return number, pd.DatetimeIndex(dates)


def forecast_day(number: np.ndarray) -> pd.Categorical:
    """``D1`` … ``D3`` labels of forecast day numbers (NaN outside 1 … 3)."""
    number = np.asarray(number)
    codes = np.where((number >= 1) & (number <= len(FORECAST_DAYS)), number - 1, -1)
    return pd.Categorical.from_codes(codes, categories=list(FORECAST_DAYS), ordered=True)


def forecast_hours_in_day(
    issue_time: pd.Series | pd.DatetimeIndex,
    day_number: np.ndarray,
    tz: np.ndarray | pd.Series | pd.Categorical | str,
    max_lead_h: int = MAX_LEAD_HOURS,
) -> np.ndarray:
    """How many of leads 1 … ``max_lead_h`` fall in the row's local forecast day [h].

    E.g. 17 for D1 of the 00 UTC run in Asia/Ho_Chi_Minh, 24 for D2, 19 for D3 of the 12 UTC run.
    It is the nominal length of a local-day window mean (its 75 % rule counts against it).
    """
    issues = pd.DatetimeIndex(issue_time)
    day_number = np.asarray(day_number)
    result = np.zeros(len(issues), dtype=np.int64)
    leads = np.arange(1, max_lead_h + 1)
    for zone, rows in zone_rows(tz, len(issues)):
        codes, unique_issues = pd.factorize(issues[rows])
        n_issues = len(unique_issues)
        valid = pd.DatetimeIndex(np.repeat(unique_issues.values, leads.size)).tz_localize("UTC")
        valid = valid + pd.to_timedelta(np.tile(leads, n_issues), unit="h")
        issue_rep = pd.DatetimeIndex(np.repeat(unique_issues.values, leads.size)).tz_localize("UTC")
        lead_day, _ = forecast_day_number(issue_rep, valid, zone)
        span = int(math.ceil(max_lead_h / 24)) + 2  # day numbers 0 … span-1 cover every lead
        keep = (lead_day >= 0) & (lead_day < span)
        owner = np.repeat(np.arange(n_issues), leads.size)
        counts = np.bincount(owner[keep] * span + lead_day[keep], minlength=n_issues * span)
        counts = counts.reshape(n_issues, span)
        row_day = day_number[rows]
        inside = (row_day >= 0) & (row_day < span)
        result[rows[inside]] = counts[codes[inside], row_day[inside]]
    return result
