"""De-accumulation: from a provider's accumulations or window averages to per-step-interval values.

Every provider stores a statistic over a *window* ``[start, end]`` of forecast time, ``end`` being the
step of the message:

* IFS ``tp`` [m], ``ssrd`` [J m-2]: accumulations since the start of the run (``start = 0``);
* GFS ``APCP`` [kg m-2]: accumulations in buckets that restart every 6 h (0-3, 0-6, 6-9, 6-12 …)
  or, in newer files, since the start of the run (0-N); ``DSWRF`` [W m-2] and ``TCDC`` [%]:
  averages over the same kind of windows;
* WRF ``RAINC + RAINNC`` [mm]: accumulations since the start of the simulation.

All are reduced to one rule. The run total C(t) since the initial time is built step by step:
C(0) = 0 and C(end) = C(start) + A, where A is the window's amount (an average × the window length in
seconds for averages); ``start`` must be 0 or an earlier step of the set. The value of step k is then
C(step_k) − C(step_{k−1}) (the amount in the interval ending at step k; with ``per_second`` divided by
the interval length, i.e. the interval mean). The interval of the first step is [0, step_0] when the
set has no step 0; step 0 itself has no interval and is NaN.

Negative interval amounts down to the packing noise (``atol`` in output units plus 1e-3 × the largest
run total) are set to 0; larger decreases mean the windows were misread and raise
:class:`DeaccumulationError`.
"""

from __future__ import annotations

import numpy as np

_SECOND = np.timedelta64(1, "s")


class DeaccumulationError(ValueError):
    """The windows of an accumulated field do not chain, or the run total decreases."""


def deaccumulate(
    values: np.ndarray,
    steps: np.ndarray,
    starts: np.ndarray,
    *,
    average: bool,
    per_second: bool,
    atol: float,
) -> np.ndarray:
    """Per-interval values of a windowed statistic.

    Parameters
    ----------
    values : numpy.ndarray
        Window statistic, step first: shape ``(n_step, ...)``. Amounts (e.g. [mm], [J m-2]) when
        ``average`` is False, window means (e.g. [W m-2], [1]) when True.
    steps : numpy.ndarray of timedelta64
        Window ends (the steps), strictly increasing.
    starts : numpy.ndarray of timedelta64
        Window starts, one per step.
    average : bool
        Whether ``values`` are window means (multiplied by the window length [s] first).
    per_second : bool
        Whether to return interval means (divided by the interval length [s]) rather than amounts.
    atol : float
        Tolerated negative interval value from packing noise, in output units.

    Returns
    -------
    numpy.ndarray
        float64, same shape: the amount (or mean) in the interval ending at each step; NaN at step 0.

    Raises
    ------
    DeaccumulationError
        A window starting neither at 0 nor at an earlier step; a zero-length window after step 0;
        a run total decreasing by more than the tolerance.
    """
    steps = np.asarray(steps, dtype="timedelta64[ns]")
    starts = np.asarray(starts, dtype="timedelta64[ns]")
    values = np.asarray(values, dtype="float64")
    zero = np.timedelta64(0, "ns")
    if len(steps) > 1 and not (np.diff(steps) > zero).all():
        raise DeaccumulationError("steps are not strictly increasing")
    totals: dict[np.timedelta64, np.ndarray] = {zero: np.zeros(values.shape[1:])}
    out = np.full(values.shape, np.nan)
    previous = zero
    for k, (end, start) in enumerate(zip(steps, starts, strict=True)):
        if end == zero:
            continue
        length = (end - start) / _SECOND
        if length <= 0:
            raise DeaccumulationError(f"window {_hours(start)}–{_hours(end)} h has no length")
        if start not in totals:
            raise DeaccumulationError(
                f"window {_hours(start)}–{_hours(end)} h starts neither at 0 nor at an earlier step of the set "
                f"(steps present: {', '.join(_hours(s) for s in steps)} h)"
            )
        amount = values[k] * length if average else values[k]
        totals[end] = totals[start] + amount
        interval = totals[end] - totals[previous]
        if per_second:
            interval = interval / ((end - previous) / _SECOND)
        out[k] = interval
        previous = end
    _check_and_clip(out, totals, steps, atol=atol, per_second=per_second)
    return out


def _check_and_clip(out: np.ndarray, totals: dict, steps: np.ndarray, *, atol: float, per_second: bool) -> None:
    largest = max((np.nanmax(np.abs(t)) if np.isfinite(t).any() else 0.0) for t in totals.values())
    for k in range(len(steps)):
        if not np.isfinite(out[k]).any():
            continue
        interval_s = (steps[k] - (steps[k - 1] if k else np.timedelta64(0, "ns"))) / _SECOND
        tolerance = atol + 1e-3 * (largest / interval_s if per_second else largest)
        low = np.nanmin(out[k])
        if low < -tolerance:
            raise DeaccumulationError(
                f"run total decreases in the interval ending at step {_hours(steps[k])} h "
                f"(by {-low:.4g}, tolerance {tolerance:.3g}): not an accumulation of the declared windows"
            )
        out[k] = np.where(out[k] < 0, 0.0, out[k])


def _hours(delta: np.timedelta64) -> str:
    hours = delta / np.timedelta64(1, "h")
    return f"{hours:g}"
