"""Forecast steps → hourly leads: put every source on the same hourly ``lead`` axis (1 … 72 h).

NWP and CTM come at their own steps (hourly, 3-hourly, …). The station cube is hourly and
hour-ending, so:

* instantaneous fields (temperatures, winds, pressure, boundary-layer height, cloud cover,
  concentrations) are interpolated linearly in time between the two surrounding steps;
* interval amounts (``tp`` [mm] over the interval ending at the step) are spread evenly over the
  hours of their interval, so that the hourly values add up to the provider's amount;
* interval means (``ssrd`` [W m-2] over the interval ending at the step) are held for each hour
  of their interval.

Leads beyond the last step (or before the first) are NaN: nothing is extrapolated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import LEAD, MAX_LEAD_HOURS, STEP, VALID_TIME

INTERVAL_AMOUNTS = frozenset({"tp"})
INTERVAL_MEANS = frozenset({"ssrd"})


def _step_hours(ds: xr.Dataset) -> np.ndarray:
    return (ds[STEP].values / np.timedelta64(1, "h")).astype(float)


def to_hourly_leads(ds: xr.Dataset, init_time: pd.Timestamp, leads: int = MAX_LEAD_HOURS) -> xr.Dataset:
    """Resample a ``(station, step, …)`` dataset to hourly ``lead`` = 1 … ``leads`` [h] after ``init_time``.

    ``init_time`` is the cycle the leads count from; a source initialised earlier (an older cycle used
    as a fallback) is shifted accordingly: its step ``s`` is lead ``s − (cycle − source init)``.
    """
    cycle = pd.Timestamp(init_time)
    cycle = cycle.tz_convert("UTC").tz_localize(None) if cycle.tzinfo else cycle
    source_init = pd.Timestamp(ds["init_time"].values) if "init_time" in ds.coords else cycle
    offset_h = (cycle - source_init) / pd.Timedelta(hours=1)
    step_h = _step_hours(ds) - offset_h  # steps on the cycle's lead axis
    target = np.arange(1, leads + 1, dtype=float)
    out = xr.Dataset(coords={k: v for k, v in ds.coords.items() if STEP not in v.dims and k != "init_time"})
    for name, da in ds.data_vars.items():
        if STEP not in da.dims:
            out[name] = da
            continue
        values = np.moveaxis(da.values, da.get_axis_num(STEP), -1)
        if name in INTERVAL_AMOUNTS or name in INTERVAL_MEANS:
            result = _interval_to_hourly(values, step_h, target, amount=name in INTERVAL_AMOUNTS)
        else:
            result = _linear_in_time(values, step_h, target)
        dims = [d for d in da.dims if d != STEP] + [LEAD]
        out[name] = (dims, result, da.attrs)
    valid = cycle + pd.to_timedelta(target, unit="h")
    out = out.assign_coords({LEAD: target.astype(int), VALID_TIME: (LEAD, valid.values)})
    out[LEAD].attrs.update(units="h", long_name="forecast lead (hour-ending)")
    out.attrs = {**ds.attrs, "init_time": str(source_init), "cycle": str(cycle), "lead_offset_h": offset_h}
    return out


def _linear_in_time(values: np.ndarray, step_h: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Linear interpolation along the last axis from ``step_h`` to ``target`` hours; NaN outside."""
    idx = np.searchsorted(step_h, target, side="left")
    exact = (idx < len(step_h)) & (step_h[np.minimum(idx, len(step_h) - 1)] == target)
    hi = np.clip(idx, 1, len(step_h) - 1)
    lo = hi - 1
    span = step_h[hi] - step_h[lo]
    frac = np.where(span > 0, (target - step_h[lo]) / np.where(span > 0, span, 1), 0.0)
    result = values[..., lo] * (1 - frac) + values[..., hi] * frac
    result = np.where(exact, values[..., np.minimum(idx, len(step_h) - 1)], result)
    outside = (target < step_h[0]) | (target > step_h[-1])
    result[..., outside] = np.nan
    return result


def _interval_to_hourly(values: np.ndarray, step_h: np.ndarray, target: np.ndarray, amount: bool) -> np.ndarray:
    """Each target hour takes the interval (previous step, step] that contains it; amounts are split evenly."""
    idx = np.searchsorted(step_h, target, side="left")  # first step >= target hour
    inside = (idx < len(step_h)) & (idx > 0)
    idx_c = np.clip(idx, 1, len(step_h) - 1)
    length = step_h[idx_c] - step_h[idx_c - 1]
    result = values[..., idx_c] / (length if amount else 1.0)
    result[..., ~inside] = np.nan
    return result
