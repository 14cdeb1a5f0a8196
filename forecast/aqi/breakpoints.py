"""Breakpoint table of VN_AQI (Table 2 of Decision 1459/QĐ-TCMT).

Every concentration is in µg/m³, CO included (the decision prints ``10.000`` for 10 000 µg/m³).
Segments share their endpoints: there are no EPA-style gaps and no "51" lower index, so an exact
breakpoint gives the same sub-index from either segment. The last row reads "≥": at or above the top
breakpoint the sub-index is 500 (VN_AQI.md §1, §9.5).

The O3 (8h) row stops at 400 µg/m³ (I = 300): a day whose highest 8-hour mean is above 400 µg/m³
has no 8-hour O3 sub-index (Decision 1459/QĐ-TCMT §2.2.2b).

References
----------
Tổng cục Môi trường, Quyết định 1459/QĐ-TCMT ngày 12/11/2019 ban hành Hướng dẫn kỹ thuật tính toán
và công bố chỉ số chất lượng không khí Việt Nam (VN_AQI), Bảng 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

import numpy as np

Averaging = Literal["1h", "8h"]

DECISION: Final = "Decision 1459/QĐ-TCMT (Vietnam Environment Administration, 12 Nov 2019)"
"""The legal reference cited in every output's attributes."""


def _frozen(values: list[float]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class BreakpointRow:
    """One row of Table 2: concentrations ``concentration[i]`` map to index values ``index[i]``.

    Attributes
    ----------
    pollutant
        Pollutant key (``configs.schema.POLLUTANTS``).
    averaging
        ``"1h"`` (every pollutant; for PM the row is applied to NowCast and 24-h means) or ``"8h"``
        (O3 only).
    concentration
        Breakpoints BP_i [µg/m³], strictly increasing, read-only.
    index
        Index values I_i at the breakpoints, read-only.
    """

    pollutant: str
    averaging: Averaging
    concentration: np.ndarray
    index: np.ndarray

    @property
    def top(self) -> float:
        """The highest breakpoint [µg/m³]."""
        return float(self.concentration[-1])


INDEX_LEVELS: Final = _frozen([0, 50, 100, 150, 200, 300, 400, 500])
"""I_i of Table 2 (levels 1 … 8)."""

_ROWS: Final = (
    BreakpointRow("o3", "1h", _frozen([0, 160, 200, 300, 400, 800, 1000, 1200]), INDEX_LEVELS),
    BreakpointRow("o3", "8h", _frozen([0, 100, 120, 170, 210, 400]), INDEX_LEVELS[:6]),
    BreakpointRow("co", "1h", _frozen([0, 10000, 30000, 45000, 60000, 90000, 120000, 150000]), INDEX_LEVELS),
    BreakpointRow("so2", "1h", _frozen([0, 125, 350, 550, 800, 1600, 2100, 2630]), INDEX_LEVELS),
    BreakpointRow("no2", "1h", _frozen([0, 100, 200, 700, 1200, 2350, 3100, 3850]), INDEX_LEVELS),
    BreakpointRow("pm10", "1h", _frozen([0, 50, 150, 250, 350, 420, 500, 600]), INDEX_LEVELS),
    BreakpointRow("pm25", "1h", _frozen([0, 25, 50, 80, 150, 250, 350, 500]), INDEX_LEVELS),
)

BREAKPOINTS: Final = MappingProxyType({(row.pollutant, row.averaging): row for row in _ROWS})
"""``(pollutant, averaging) -> BreakpointRow`` for the seven rows of Table 2 (read-only)."""

O3_8H_MAX: Final = 400.0
"""Above this highest 8-h O3 mean [µg/m³] the 8-hour O3 sub-index is not computed."""


def breakpoint_row(pollutant: str, averaging: str = "1h") -> BreakpointRow:
    """The Table 2 row of ``pollutant`` for ``averaging``.

    Raises
    ------
    ValueError
        For an unknown pollutant, or an averaging the table has no row for (only O3 has ``"8h"``).
    """
    try:
        return BREAKPOINTS[(pollutant, averaging)]
    except KeyError:
        known = ", ".join(f"{p}/{a}" for p, a in BREAKPOINTS)
        raise ValueError(
            f"Table 2 of Decision 1459/QĐ-TCMT has no row for pollutant={pollutant!r}, "
            f"averaging={averaging!r}; rows are {known}"
        ) from None
