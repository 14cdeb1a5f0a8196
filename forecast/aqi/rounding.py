"""Round half up, robust to floating-point error (VN_AQI.md §7).

The decision only says the hourly and daily AQI are rounded to an integer. We round half up
(109.5 → 110, 16.5 → 17), never to even. A value such as ``109.49999999999999`` that is 109.5 up to
floating-point error (``(55.7 - 50) * 50 / 30 + 100`` in binary arithmetic) must also give 110, so
values are first rounded to :data:`GUARD_DECIMALS` decimals, then ``floor(x + 0.5)`` is taken.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

GUARD_DECIMALS: Final = 9
"""Decimals kept before rounding: float noise below 1e-9 never flips a half."""


def round_half_up(values: npt.ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Round to the nearest integer, halves upwards, as float64 (NaN stays NaN).

    Parameters
    ----------
    values
        Values to round (sub-indices or AQI, dimensionless).
    out
        Optional float64 array to write the result into (may be ``values`` itself).

    Returns
    -------
    numpy.ndarray
        float64 array of integral values.

    Examples
    --------
    >>> round_half_up([109.5, 16.5, 109.49999999999999, 59.35, float("nan")]).tolist()
    [110.0, 17.0, 110.0, 59.0, nan]
    """
    array = np.asarray(values, dtype=np.float64)
    if out is None:
        out = np.empty_like(array)
    np.round(array, GUARD_DECIMALS, out=out)
    np.add(out, 0.5, out=out)
    return np.floor(out, out=out)
