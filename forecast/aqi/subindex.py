"""Sub-index of one pollutant (Formulas 1 and 2 of Decision 1459/QĐ-TCMT).

``AQI_x = (I_{i+1} − I_i) / (BP_{i+1} − BP_i) × (C − BP_i) + I_i`` for ``BP_i ≤ C ≤ BP_{i+1}``, with
the breakpoints of :mod:`forecast.aqi.breakpoints`. Formula 2 is the same with C = NowCast.

Conventions of this engine (VN_AQI.md §1, §9.5):

* at or above the top breakpoint the sub-index is exactly 500 (no extrapolation);
* a negative concentration is treated as 0 µg/m³ and gives sub-index 0. Negative readings are a QC
  matter for the observation readers; the engine neither rejects nor propagates them;
* NaN in gives NaN out;
* O3 on the 8-hour row above 400 µg/m³ gives NaN: the decision computes no 8-h sub-index there.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from forecast.aqi.breakpoints import O3_8H_MAX, breakpoint_row


def sub_index(concentration: npt.ArrayLike, pollutant: str, averaging: str = "1h") -> np.ndarray:
    """VN_AQI sub-index of ``pollutant`` (unrounded, float64).

    Parameters
    ----------
    concentration
        Concentration [µg/m³], any shape: the 1-hour mean (gases, O3 hourly), the NowCast (PM
        hourly), the 24-hour mean (PM daily), the day's highest 1-hour or 8-hour mean (daily).
    pollutant
        One of ``pm25 pm10 no2 o3 so2 co``.
    averaging
        ``"1h"`` for every row of Table 2 except O3 (8h), which is ``("o3", "8h")``.

    Returns
    -------
    numpy.ndarray
        Sub-index in [0, 500], same shape as ``concentration``; NaN where the concentration is NaN
        (and, for O3 8h, above 400 µg/m³).

    Raises
    ------
    ValueError
        For an unknown pollutant or a pollutant/averaging pair Table 2 does not have.

    References
    ----------
    Decision 1459/QĐ-TCMT §2.2.1b (Formulas 1, 2) and Table 2.

    Examples
    --------
    >>> sub_index([25.3, 620.0, -3.0], "pm25").round(2).tolist()
    [50.6, 500.0, 0.0]
    >>> float(sub_index(420.0, "o3", "8h"))
    nan
    """
    row = breakpoint_row(pollutant, averaging)
    conc = np.asarray(concentration, dtype=np.float64)
    # np.interp clamps: below 0 -> I(0) = 0, at/above the top -> I(top) (500, or 300 for O3 8h)
    # and returns NaN for NaN; the segments share endpoints exactly as Table 2 does.
    result = np.interp(conc, row.concentration, row.index)
    if averaging == "8h":
        result = np.where(conc > O3_8H_MAX, np.nan, result)
    return np.asarray(result, dtype=np.float64)
