"""VN_AQI engine (Decision 1459/QĐ-TCMT, 12 Nov 2019), vectorised over stations and time.

Implements ``/work/shared/VN_AQI.md``: Table 2 breakpoints, Formulas 1 and 2, the normalised NowCast,
hourly (AQI^h) and daily (AQI^d) VN_AQI, round half up, the six categories with advice in
Vietnamese and English, and a flat table of results.

>>> from forecast.aqi import hourly_aqi, daily_aqi, aqi_table  # doctest: +SKIP
"""

from forecast.aqi.breakpoints import BREAKPOINTS, DECISION, INDEX_LEVELS, BreakpointRow, breakpoint_row
from forecast.aqi.categories import CATEGORIES, Category, category_by_index, category_of
from forecast.aqi.index import DATE, combine_sub_indices, daily_aqi, hourly_aqi
from forecast.aqi.nowcast import NowcastDetails, nowcast, nowcast_details
from forecast.aqi.rounding import round_half_up
from forecast.aqi.subindex import sub_index
from forecast.aqi.table import aqi_table

__all__ = [
    "BREAKPOINTS",
    "CATEGORIES",
    "DATE",
    "DECISION",
    "INDEX_LEVELS",
    "BreakpointRow",
    "Category",
    "NowcastDetails",
    "aqi_table",
    "breakpoint_row",
    "category_by_index",
    "category_of",
    "combine_sub_indices",
    "daily_aqi",
    "hourly_aqi",
    "nowcast",
    "nowcast_details",
    "round_half_up",
    "sub_index",
]
