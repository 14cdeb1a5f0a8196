"""NowCast of PM2.5 and PM10 (Decision 1459/QĐ-TCMT §2.2.1a), normalised form.

For the hour t let c1 = value at t, c2 … c12 the 11 hours before it. Over the values present:
``w* = Cmin / Cmax``, ``w = max(w*, 1/2)``,
``NowCast = Σ w^(i−1)·c_i / Σ w^(i−1)`` where a missing c_i gets weight 0. The NowCast exists only
when at least 2 of c1, c2, c3 are present. ``Cmax = 0`` gives NowCast 0.

Judgements (VN_AQI.md §9.1, §9.2): the decision prints ``Σ (1/2)^i·c_i`` without a denominator for
w = 1/2; that form is biased low and cannot honour the weight-0 rule, so the normalised form is used
for every w. w* is exact, never rounded to 0.61 as in the worked example. Negative hourly values
are treated as 0 µg/m³ (QC is upstream).

The computation loops over the 12 lags only, accumulating into a few arrays of the input's size; it
never materialises a (…, time, 12) window array.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

NOWCAST_HOURS: Final = 12
"""Hours in the NowCast window (c1 … c12)."""
MIN_RECENT_PRESENT: Final = 2
"""At least this many of c1, c2, c3 must be present."""
MIN_WEIGHT: Final = 0.5
"""Lower clamp of the weight w."""


class NowcastDetails(NamedTuple):
    """NowCast and the quantities behind it, all float64 of the input's shape.

    Attributes
    ----------
    value
        NowCast [µg/m³]; NaN where it does not exist (fewer than 2 of c1, c2, c3 present).
    weight
        The weight w = max(Cmin/Cmax, 0.5); NaN where the NowCast does not exist or Cmax = 0.
    denominator
        Σ w^(i−1) over the present hours of the window; NaN where the NowCast does not exist.
    """

    value: np.ndarray
    weight: np.ndarray
    denominator: np.ndarray


def _shift_reduce(acc: np.ndarray, src: np.ndarray, lag: int, ufunc: np.ufunc) -> None:
    """``acc[..., t] = ufunc(acc[..., t], src[..., t - lag])`` in place, for t ≥ lag."""
    if lag < acc.shape[-1]:
        ufunc(acc[..., lag:], src[..., : acc.shape[-1] - lag], out=acc[..., lag:])


def _window_extreme(values: np.ndarray, present: np.ndarray, fill: float, ufunc: np.ufunc) -> np.ndarray:
    """Running min or max over the trailing 12 hours (missing = ``fill``), by doubling.

    Windows of 2, 4, 8 hours are built from shifted copies, then 12 = 8 ∪ 4 shifted by 8:
    4 passes instead of 11.
    """
    w1 = np.where(present, values, fill)
    _shift_reduce(w1, w1.copy(), 1, ufunc)  # now a 2-hour window
    w4 = w1.copy()
    _shift_reduce(w4, w1, 2, ufunc)  # 4-hour window
    w8 = w4.copy()
    _shift_reduce(w8, w4, 4, ufunc)  # 8-hour window
    _shift_reduce(w8, w4, 8, ufunc)  # 8 ∪ (4 shifted by 8) = 12-hour window
    return w8


def nowcast_details(hourly: npt.ArrayLike, axis: int = -1) -> NowcastDetails:
    """NowCast with its weight and denominator (see :func:`nowcast`).

    Parameters
    ----------
    hourly
        Hour-ending 1-hour means [µg/m³] on a regular hourly ``axis``; NaN = missing. Hours before
        the start of the axis count as missing: prepend history to get full windows.
    axis
        The time axis.

    Returns
    -------
    NowcastDetails
        ``value`` [µg/m³], ``weight`` and ``denominator``, each of the input's shape.
    """
    x = np.moveaxis(np.asarray(hourly, dtype=np.float64), axis, -1)
    present = ~np.isnan(x)
    # Negative hours count as 0; missing hours contribute 0 to the sums.
    values = np.where(present, x, 0.0)
    np.maximum(values, 0.0, out=values)
    cmin = _window_extreme(values, present, np.inf, np.minimum)
    cmax = _window_extreme(values, present, -np.inf, np.maximum)
    all_zero = cmax == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.divide(cmin, cmax, out=cmin)
    np.maximum(weight, MIN_WEIGHT, out=weight)
    weight[all_zero | ~np.isfinite(weight)] = 1.0  # any finite w; overwritten below

    present_f = present.astype(np.float64)
    numerator = values.copy()
    denominator = present_f.copy()
    power = np.ones_like(weight)
    scratch = np.empty_like(weight)
    n_time = x.shape[-1]
    for lag in range(1, min(NOWCAST_HOURS, n_time)):
        np.multiply(power, weight, out=power)  # power[t] = w[t] ** lag
        head, tail = slice(lag, None), slice(None, n_time - lag)
        np.multiply(power[..., head], values[..., tail], out=scratch[..., head])
        np.add(numerator[..., head], scratch[..., head], out=numerator[..., head])
        np.multiply(power[..., head], present_f[..., tail], out=scratch[..., head])
        np.add(denominator[..., head], scratch[..., head], out=denominator[..., head])

    # at least 2 of c1, c2, c3 present
    recent = present.astype(np.int8)
    _shift_reduce(recent, present.view(np.int8), 1, np.add)
    _shift_reduce(recent, present.view(np.int8), 2, np.add)
    exists = recent >= MIN_RECENT_PRESENT

    value = np.divide(numerator, denominator, out=numerator, where=exists)
    value[all_zero & exists] = 0.0
    value[~exists] = np.nan
    weight[~exists | all_zero] = np.nan
    denominator[~exists] = np.nan
    return NowcastDetails(
        value=np.moveaxis(value, -1, axis),
        weight=np.moveaxis(weight, -1, axis),
        denominator=np.moveaxis(denominator, -1, axis),
    )


def nowcast(hourly: npt.ArrayLike, axis: int = -1) -> np.ndarray:
    """NowCast of hourly PM2.5 or PM10 at every hour of a regular hourly axis.

    Parameters
    ----------
    hourly
        Hour-ending 1-hour means [µg/m³]; NaN = missing. The first 11 hours of the axis have fewer
        past values (earlier hours count as missing): callers who have history prepend it.
    axis
        The time axis (regular, hourly, ascending).

    Returns
    -------
    numpy.ndarray
        NowCast [µg/m³] (float64, input's shape); NaN where fewer than 2 of c1, c2, c3 are present.

    References
    ----------
    Decision 1459/QĐ-TCMT §2.2.1a; normalised as in VN_AQI.md §9.1.

    Examples
    --------
    >>> pm25 = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6]
    >>> round(float(nowcast(pm25)[-1]), 4)
    20.2658
    """
    return nowcast_details(hourly, axis=axis).value
