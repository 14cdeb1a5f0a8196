"""The VN_AQI engine on xarray: hourly (AQI^h) and daily (AQI^d) VN_AQI of station time series.

Input: a Dataset with dims ``(station, time)``; ``time`` is a regular hourly axis, UTC, hour-ending
(``configs.schema``); variables are any subset of ``pm25 pm10 no2 o3 so2 co`` in µg/m³ (NaN =
missing). The same engine serves observations and forecasts (VN_AQI.md §11).

* Hourly: PM sub-indices from the NowCast (:mod:`forecast.aqi.nowcast`), gases from the 1-hour mean,
  O3 on the 1-hour row.
* Daily: a local day is the hours stamped 01:00 … 00:00 (next day). PM from the mean of the day's
  1-hour means; SO2, NO2, CO from the highest 1-hour mean; O3 the larger of the sub-indices of the
  highest 1-hour mean (1h row) and of the highest 8-hour mean (8h row, dropped above 400 µg/m³).
* AQI = max of the sub-indices, rounded half up, only where a PM2.5 or PM10 sub-index exists (§5);
  the category follows the rounded AQI; the dominant pollutant is the one with the highest
  unrounded sub-index (ties: first in ``POLLUTANTS`` order).

Completeness (daily only, VN_AQI.md §9.6 — an assumption, the decision has none): a daily mean or
maximum needs ``ceil(min_hours_fraction × hours in the day)`` present hours (18 of 24 by default), an
8-hour mean ``ceil(min_hours_fraction × 8)`` (6 of 8), and the day's highest 8-hour mean as many
valid 8-hour means as a daily maximum needs hours. ``min_hours_fraction=0`` turns it off.

Negative concentrations count as 0 µg/m³ (QC is upstream; see :mod:`forecast.aqi.subindex`).

References
----------
Decision 1459/QĐ-TCMT (2019), §2.2.1 (hourly), §2.2.2 (daily), §2.1b (PM required).
"""

from __future__ import annotations

import logging
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import CONCENTRATION_UNITS, DEFAULT_LOCAL_TZ, PM_POLLUTANTS, POLLUTANTS, STATION, TIME
from forecast.aqi.breakpoints import DECISION
from forecast.aqi.categories import CATEGORIES, category_of
from forecast.aqi.nowcast import nowcast
from forecast.aqi.rounding import round_half_up
from forecast.aqi.subindex import sub_index

logger = logging.getLogger(__name__)

DATE: Final = "date"
"""Dimension of daily results: the local date (naive ``datetime64`` at local midnight)."""
O3_WINDOW_HOURS: Final = 8
_HOUR: Final = np.timedelta64(1, "h")
_DOMINANT_NAMES: Final = np.array(("", *POLLUTANTS))
_DOMINANT_NAMES.setflags(write=False)
_CATEGORY_MEANINGS: Final = "undefined " + " ".join(c.name_en.lower().replace(" ", "_") for c in CATEGORIES)
_AQI_COMMENT: Final = "rounded half up; NaN where neither PM2.5 nor PM10 has a sub-index"
_DOMINANT_LONG_NAME: Final = "pollutant with the highest sub-index ('' where no AQI)"
_N_HOURS_ATTRS: Final = MappingProxyType({"long_name": "hours present in the local day"})


def _pollutants(obs: xr.Dataset) -> list[str]:
    """Validate ``obs``; return its pollutants in ``POLLUTANTS`` order."""
    unknown = [str(name) for name in obs.data_vars if name not in POLLUTANTS]
    if unknown:
        raise ValueError(
            f"unknown variable(s) {', '.join(unknown)}: the VN_AQI engine takes only "
            f"{', '.join(POLLUTANTS)} (µg/m³)"
        )
    for name, var in obs.data_vars.items():
        if set(var.dims) != {STATION, TIME}:
            raise ValueError(f"variable {name!r} has dims {var.dims}; expected ({STATION!r}, {TIME!r})")
    if TIME not in obs.coords or not np.issubdtype(obs[TIME].dtype, np.datetime64):
        raise ValueError(f"{TIME!r} must be a coordinate of numpy datetime64 (UTC, hour-ending)")
    times = obs[TIME].values
    steps = np.diff(times)
    irregular = np.flatnonzero(steps != _HOUR)
    if irregular.size:
        i = irregular[0]
        raise ValueError(
            f"{TIME!r} must be a regular hourly axis (ascending, no gaps): step {steps[i]} "
            f"from {times[i]} to {times[i + 1]}; reindex onto a full hourly range first"
        )
    return [p for p in POLLUTANTS if p in obs.data_vars]


def _values(obs: xr.Dataset, pollutant: str) -> np.ndarray:
    """``(station, time)`` float64 C-contiguous array of one variable (no copy when possible)."""
    return np.ascontiguousarray(obs[pollutant].transpose(STATION, TIME).values, dtype=np.float64)


def combine_sub_indices(
    sub_indices: dict[str, np.ndarray], shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Station AQI, category and dominant pollutant from per-pollutant sub-indices.

    Parameters
    ----------
    sub_indices
        ``pollutant -> unrounded sub-index`` arrays of ``shape`` (NaN = no sub-index).
    shape
        Shape of the result.

    Returns
    -------
    tuple of numpy.ndarray
        ``aqi`` (float64, rounded half up, NaN without a PM sub-index), ``category`` (int8, 0 where
        no AQI) and ``dominant_pollutant`` (str, ``""`` where no AQI).
    """
    best = np.full(shape, -np.inf)
    code = np.zeros(shape, dtype=np.int8)
    for number, pollutant in enumerate(POLLUTANTS, start=1):
        if pollutant in sub_indices:
            better = np.greater(sub_indices[pollutant], best)  # NaN never wins; ties keep the first
            np.copyto(best, sub_indices[pollutant], where=better)
            np.copyto(code, number, where=better)
    has_pm = np.zeros(shape, dtype=bool)
    for pollutant in PM_POLLUTANTS:
        if pollutant in sub_indices:
            has_pm |= ~np.isnan(sub_indices[pollutant])
    no_aqi = ~has_pm
    best[no_aqi] = np.nan
    code[no_aqi] = 0
    aqi = round_half_up(best, out=best)
    return aqi, category_of(aqi), _DOMINANT_NAMES[code]


def _category_attrs() -> dict[str, object]:
    """CF flag attributes of ``category`` (a fresh dict per result)."""
    flags = np.arange(len(CATEGORIES) + 1, dtype=np.int8)
    return {
        "long_name": "VN_AQI category (0 = no AQI)",
        "flag_values": flags,
        "flag_meanings": _CATEGORY_MEANINGS,
    }


def _result(dims: tuple[str, str], aqi: tuple[np.ndarray, ...], label: str) -> dict[str, xr.Variable]:
    value, category, dominant = aqi
    aqi_attrs = {"long_name": f"{label} VN_AQI", "units": "1", "references": DECISION}
    return {
        "aqi": xr.Variable(dims, value, {**aqi_attrs, "comment": _AQI_COMMENT}),
        "category": xr.Variable(dims, category, _category_attrs()),
        "dominant_pollutant": xr.Variable(dims, dominant, {"long_name": _DOMINANT_LONG_NAME}),
    }


def _sub_index_var(dims: tuple[str, str], values: np.ndarray, pollutant: str, how: str) -> xr.Variable:
    attrs = {"long_name": f"VN_AQI sub-index of {pollutant} ({how})", "units": "1", "comment": "unrounded"}
    return xr.Variable(dims, values, attrs)


def _conc_var(dims: tuple[str, str], values: np.ndarray, what: str, cell_methods: str) -> xr.Variable:
    attrs = {"long_name": what, "units": CONCENTRATION_UNITS, "cell_methods": cell_methods}
    return xr.Variable(dims, values, attrs)


def _coords_along(obs: xr.Dataset, dims: set[str]) -> dict[str, xr.Variable]:
    return {name: c.variable for name, c in obs.coords.items() if set(c.dims) <= dims}


def hourly_aqi(obs: xr.Dataset) -> xr.Dataset:
    """Hourly VN_AQI (AQI^h) at every station and hour.

    Parameters
    ----------
    obs
        Dims ``(station, time)``; ``time`` regular hourly, UTC, hour-ending; any of
        ``pm25 pm10 no2 o3 so2 co`` [µg/m³], NaN = missing. The NowCast at the first 11 hours has
        fewer past hours: prepend history for full windows.

    Returns
    -------
    xarray.Dataset
        Dims ``(station, time)``: ``aqi`` (float64 integral, NaN = undefined), ``category`` (int8,
        0 = undefined), ``dominant_pollutant`` (str), ``aqi_<pollutant>`` (unrounded; PM from the
        NowCast, gases and O3 from the 1-hour mean) and ``nowcast_pm25`` / ``nowcast_pm10`` [µg/m³].

    Raises
    ------
    ValueError
        When a variable is not a pollutant key, dims are wrong, or ``time`` is not regular hourly.
    """
    pollutants = _pollutants(obs)
    dims = (STATION, TIME)
    shape = (obs.sizes[STATION], obs.sizes[TIME])
    subs: dict[str, np.ndarray] = {}
    extra: dict[str, xr.Variable] = {}
    for pollutant in pollutants:
        values = _values(obs, pollutant)
        if pollutant in PM_POLLUTANTS:
            concentration = nowcast(values, axis=-1)
            how = "hourly, from NowCast"
            extra[f"nowcast_{pollutant}"] = _conc_var(
                dims, concentration, f"NowCast {pollutant}", "time: mean"
            )
        else:
            concentration, how = values, "hourly, 1-hour mean"
        subs[pollutant] = sub_index(concentration, pollutant, "1h")
        extra[f"aqi_{pollutant}"] = _sub_index_var(dims, subs[pollutant], pollutant, how)
    data = _result(dims, combine_sub_indices(subs, shape), "hourly")
    data.update(sorted(extra.items(), key=lambda kv: kv[0].startswith("nowcast")))
    logger.debug("hourly VN_AQI of %d stations x %d hours from %s", *shape, pollutants)
    return xr.Dataset(
        data,
        coords=_coords_along(obs, {STATION, TIME}),
        attrs={
            "title": "Hourly VN_AQI (AQI^h)",
            "references": DECISION,
            "time_convention": "hour-ending, UTC",
            "nowcast": "normalised form, exact w*, weight 0 for missing hours, 2 of c1..c3 required",
        },
    )


def _local_days(times: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start index, local date and nominal length [h] of each local day met on the hourly axis."""
    if times.size == 0:
        return np.zeros(0, np.intp), np.zeros(0, "datetime64[ns]"), np.zeros(0)
    stamps = pd.DatetimeIndex(times).tz_localize("UTC") - pd.Timedelta(hours=1)
    day = stamps.tz_convert(tz).normalize().tz_localize(None).values  # hour-ending 00:00 -> previous day
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    dates = day[starts]
    edges = pd.DatetimeIndex(np.r_[dates, dates[-1:] + np.timedelta64(1, "D")])
    edges = edges.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    nominal = np.diff(edges.asi8) / 3.6e12
    return starts, dates, np.where(np.isfinite(nominal) & (nominal > 0), nominal, 24.0)


def _needed(fraction: float, hours: np.ndarray | float) -> np.ndarray:
    """Present hours required out of ``hours`` (at least 1)."""
    return np.maximum(1, np.ceil(np.multiply(fraction, hours) - 1e-9)).astype(np.int32)


def _per_day(ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray, **kwargs: object) -> np.ndarray:
    if starts.size == 0:
        return np.zeros(values.shape[:-1] + (0,), dtype=kwargs.get("dtype", values.dtype))
    return ufunc.reduceat(values, starts, axis=-1, **kwargs)


def _rolling_mean(values: np.ndarray, hours: int, min_count: int) -> np.ndarray:
    """Mean of the trailing ``hours`` hours at each hour (NaN below ``min_count`` present)."""
    present = ~np.isnan(values)
    clean = np.where(present, values, 0.0)
    total, count = clean.copy(), present.astype(np.int16)
    n_time = values.shape[-1]
    for lag in range(1, min(hours, n_time)):
        total[..., lag:] += clean[..., : n_time - lag]
        count[..., lag:] += present[..., : n_time - lag]
    mean = np.full_like(total, np.nan)
    return np.divide(total, count, out=mean, where=count >= min_count)


def daily_aqi(obs: xr.Dataset, tz: str = DEFAULT_LOCAL_TZ, min_hours_fraction: float = 0.75) -> xr.Dataset:
    """Daily VN_AQI (AQI^d) of every local day the hourly axis touches.

    Parameters
    ----------
    obs
        As for :func:`hourly_aqi` [µg/m³]. For the 8-hour O3 means of the first hours of a day,
        include the 7 hours before it (the first day's early windows otherwise lack hours).
    tz
        IANA zone of the local days (hours stamped 01:00 … 00:00 local).
    min_hours_fraction
        Completeness rule in [0, 1] (module docstring); 0.75 → 18 of 24 hours, 6 of 8 hours.

    Returns
    -------
    xarray.Dataset
        Dims ``(station, date)``: ``aqi``, ``category``, ``dominant_pollutant``, ``aqi_<pollutant>``
        (unrounded; also ``aqi_o3_1h`` and ``aqi_o3_8h``), ``conc_pm25`` / ``conc_pm10`` (daily
        mean), ``conc_no2`` / ``conc_so2`` / ``conc_co`` (daily maximum), ``conc_o3_1h_max``,
        ``conc_o3_8h_max`` [µg/m³] and ``n_hours_<pollutant>`` (hours present). A partial day at
        either end of the axis is kept (it usually fails completeness).
    """
    pollutants = _pollutants(obs)
    if not 0.0 <= min_hours_fraction <= 1.0:
        raise ValueError(f"min_hours_fraction must be within [0, 1], got {min_hours_fraction}")
    starts, dates, nominal = _local_days(obs[TIME].values, tz)
    need_day = _needed(min_hours_fraction, nominal)
    need_8h = int(_needed(min_hours_fraction, O3_WINDOW_HOURS))
    dims = (STATION, DATE)
    shape = (obs.sizes[STATION], dates.size)
    subs: dict[str, np.ndarray] = {}
    extra: dict[str, xr.Variable] = {}
    for pollutant in pollutants:
        values = np.maximum(_values(obs, pollutant), 0.0)  # negatives count as 0; NaN stays NaN
        present = ~np.isnan(values)
        n_hours = _per_day(np.add, present, starts, dtype=np.int32)
        complete = n_hours >= need_day
        extra[f"n_hours_{pollutant}"] = xr.Variable(dims, n_hours.astype(np.int16), _N_HOURS_ATTRS)
        if pollutant in PM_POLLUTANTS:
            total = _per_day(np.add, np.where(present, values, 0.0), starts)
            conc = np.divide(total, n_hours, out=np.full(shape, np.nan), where=complete)
            extra[f"conc_{pollutant}"] = _conc_var(dims, conc, f"daily mean {pollutant}", "time: mean")
            subs[pollutant] = sub_index(conc, pollutant)
        else:
            highest = np.where(complete, _per_day(np.fmax, values, starts), np.nan)
            subs[pollutant] = sub_index(highest, pollutant)
            name = "conc_o3_1h_max" if pollutant == "o3" else f"conc_{pollutant}"
            extra[name] = _conc_var(dims, highest, f"highest 1-hour {pollutant}", "time: maximum")
        if pollutant == "o3":
            means_8h = _rolling_mean(values, O3_WINDOW_HOURS, need_8h)
            n_windows = _per_day(np.add, ~np.isnan(means_8h), starts, dtype=np.int32)
            highest_8h = np.where(n_windows >= need_day, _per_day(np.fmax, means_8h, starts), np.nan)
            sub_8h = sub_index(highest_8h, "o3", "8h")  # NaN above 400 µg/m³
            extra["conc_o3_8h_max"] = _conc_var(dims, highest_8h, "highest 8-hour mean o3", "time: maximum")
            sub_1h, subs["o3"] = subs["o3"], np.fmax(subs["o3"], sub_8h)
            extra["aqi_o3"] = _sub_index_var(dims, subs["o3"], "o3", "daily, max of 1h and 8h rows")
            extra["aqi_o3_1h"] = _sub_index_var(dims, sub_1h, "o3", "daily, highest 1-hour mean")
            extra["aqi_o3_8h"] = _sub_index_var(dims, sub_8h, "o3", "daily, highest 8-hour mean")
        extra.setdefault(f"aqi_{pollutant}", _sub_index_var(dims, subs[pollutant], pollutant, "daily"))
    data = _result(dims, combine_sub_indices(subs, shape), "daily")
    data.update(sorted(extra.items(), key=lambda kv: kv[0].startswith("conc") + 2 * kv[0].startswith("n_")))
    logger.debug("daily VN_AQI of %d stations x %d days (tz=%s)", *shape, tz)
    coords = _coords_along(obs, {STATION})
    coords[DATE] = xr.Variable(DATE, dates, {"long_name": f"local date ({tz}), hours 01:00-00:00"})
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "title": "Daily VN_AQI (AQI^d)",
            "references": DECISION,
            "tz": tz,
            "day_definition": "hour-ending stamps 01:00 .. 00:00 local",
            "min_hours_fraction": min_hours_fraction,
            "completeness": f"daily {int(_needed(min_hours_fraction, 24))}/24 h, 8-hour {need_8h}/8 h",
        },
    )
