"""The hindcast table: required columns, validation, methods to score, and the prepared form.

A hindcast table is a long :class:`pandas.DataFrame` with one row per issue, station, pollutant and
lead (docs/verification.md):

============== ======================================================================
column          meaning
============== ======================================================================
issue_time      issue (cycle) time, ``datetime64[ns, UTC]``
station_id      station id (str or categorical)
pollutant       ``pm25 pm10 no2 o3 so2 co``
lead_h          lead [h], integer 1 … 72
valid_time      ``issue_time + lead_h`` hours, hour-ending, ``datetime64[ns, UTC]``
forecast        forecast concentration [µg/m³]
q10 q50 q90     optional forecast quantiles [µg/m³]
observed        observed concentration [µg/m³], NaN when unknown
persistence     optional reference forecasts [µg/m³]
climatology
ctm
============== ======================================================================

:meth:`Hindcast.from_table` validates such a table once and adds the columns every score needs
(``tz``, ``window``, ``day_number``, ``day``, ``local_date``, ``day_hours``), so that
:func:`forecast.verification.verify` prepares it once and every scoring function reuses it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from configs.schema import DEFAULT_LOCAL_TZ, POLLUTANTS
from forecast.verification.periods import (
    LEAD_WINDOWS,
    check_windows,
    forecast_day,
    forecast_day_number,
    forecast_hours_in_day,
    lead_window,
)

logger = logging.getLogger(__name__)

ISSUE_TIME: Final = "issue_time"
STATION_ID: Final = "station_id"
POLLUTANT: Final = "pollutant"
LEAD_H: Final = "lead_h"
VALID_TIME: Final = "valid_time"
FORECAST: Final = "forecast"
OBSERVED: Final = "observed"
KEY_COLUMNS: Final[tuple[str, ...]] = (ISSUE_TIME, STATION_ID, POLLUTANT, LEAD_H)
"""Columns identifying a row; they must be unique together."""
REQUIRED_COLUMNS: Final[tuple[str, ...]] = (*KEY_COLUMNS, VALID_TIME, OBSERVED)
"""Columns every hindcast table needs (plus the forecast columns of the methods scored)."""
REFERENCE_METHODS: Final[tuple[str, ...]] = ("persistence", "climatology", "ctm")
"""Reference forecasts that skill scores are computed against, when present."""
QUANTILES: Final[Mapping[str, float]] = MappingProxyType({"q10": 0.1, "q50": 0.5, "q90": 0.9})
"""Quantile columns of the forecast and their nominal levels."""
PAIRINGS: Final[tuple[str, ...]] = ("common", "own", "both")
"""``common``: every method on the pairs where all methods and the observation are finite;
``own``: each method on its own finite pairs; ``both``: both, told apart by a ``pairing`` column."""


def default_methods(table: pd.DataFrame) -> list[str]:
    """``forecast`` plus whichever of ``persistence``, ``climatology``, ``ctm`` the table has."""
    return [FORECAST, *(m for m in REFERENCE_METHODS if m in table.columns)]


def check_pairing(pairing: str) -> list[str]:
    """The pairings to compute for ``pairing`` (one of :data:`PAIRINGS`)."""
    if pairing not in PAIRINGS:
        raise ValueError(f"pairing must be one of {', '.join(PAIRINGS)}, got {pairing!r}")
    return ["common", "own"] if pairing == "both" else [pairing]


def _utc(series: pd.Series, name: str) -> pd.Series:
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        raise ValueError(
            f"column {name!r} must be timezone-aware datetimes (datetime64[ns, UTC]), got {series.dtype}; "
            "localise naive UTC times with .dt.tz_localize('UTC')"
        )
    return series.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def _check_columns(table: pd.DataFrame, methods: Sequence[str]) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"the hindcast table must be a pandas DataFrame, got {type(table).__name__}")
    needed = [*REQUIRED_COLUMNS, *(m for m in methods if m not in REQUIRED_COLUMNS)]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(
            f"hindcast table lacks required column(s) {', '.join(map(repr, missing))}; "
            f"it has {', '.join(map(str, table.columns)) or 'no columns'}"
        )
    if table.empty:
        raise ValueError("hindcast table is empty (0 rows): nothing to verify")
    for name in (*methods, OBSERVED, *(q for q in QUANTILES if q in table.columns)):
        if not pd.api.types.is_numeric_dtype(table[name]) or pd.api.types.is_bool_dtype(table[name]):
            raise ValueError(f"column {name!r} must be numeric (µg/m³), got {table[name].dtype}")
    if not np.isfinite(table[OBSERVED].to_numpy(dtype=float)).any():
        raise ValueError(f"hindcast table has no observation: column {OBSERVED!r} is NaN on all {len(table)} rows")


def _station_zones(stations: pd.Categorical, tz_by_station: Mapping[str, str] | str | None) -> pd.Categorical:
    """IANA zone of every row, categorical (one category per zone)."""
    if tz_by_station is None:
        tz_by_station = DEFAULT_LOCAL_TZ
    if isinstance(tz_by_station, str):
        by_station = [tz_by_station] * len(stations.categories)
    else:
        by_station = [tz_by_station.get(s, DEFAULT_LOCAL_TZ) for s in stations.categories]
    for zone in set(by_station):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {zone!r} in tz_by_station (expected an IANA name)") from error
    codes, zones = pd.factorize(np.array(by_station, dtype=object))
    return pd.Categorical.from_codes(codes[stations.codes], categories=list(zones))


@dataclass(frozen=True)
class Hindcast:
    """A validated hindcast table, ready to score.

    Attributes
    ----------
    frame
        The table's rows sorted by pollutant, station, issue time and lead (so results do not depend on
        the input's row order), with ``station_id`` and ``pollutant`` categorical, times in UTC and the
        added columns ``tz`` (station zone), ``window`` (lead window), ``day_number`` (1 = D1),
        ``day`` (``D1`` … ``D3`` or NaN), ``local_date`` (naive local date of ``valid_time``) and
        ``day_hours`` (leads 1 … 72 falling in that local day [h]).
    methods
        Forecast columns scored, in order.
    references
        The methods among :data:`REFERENCE_METHODS` (skill scores are computed against them).
    windows
        Lead windows, label -> (first, last) lead hour.
    """

    frame: pd.DataFrame
    methods: tuple[str, ...]
    references: tuple[str, ...]
    windows: Mapping[str, tuple[int, int]]

    @classmethod
    def from_table(
        cls,
        table: pd.DataFrame | Hindcast,
        methods: Sequence[str] | None = None,
        tz_by_station: Mapping[str, str] | str | None = None,
        windows: Mapping[str, tuple[int, int]] = LEAD_WINDOWS,
    ) -> Hindcast:
        """Validate ``table`` and prepare it (a :class:`Hindcast` passes through unchanged).

        Parameters
        ----------
        table
            Hindcast table (module docstring).
        methods
            Forecast columns to score; default :func:`default_methods`.
        tz_by_station
            ``station_id -> IANA zone``; stations not listed, or all when ``None``, use
            ``Asia/Ho_Chi_Minh``. A string applies one zone to every station.
        windows
            Lead windows, label -> inclusive (first, last) lead hour.

        Raises
        ------
        ValueError
            Naming the missing column(s), an empty table, a table without any observation, unknown
            pollutants, non-integer leads, ``valid_time`` ≠ ``issue_time + lead_h`` or duplicated rows.
        """
        if isinstance(table, Hindcast):
            return table
        methods = list(default_methods(table) if methods is None else methods)
        if not methods:
            raise ValueError("methods is empty: name at least one forecast column to score")
        if len(set(methods)) != len(methods):
            raise ValueError(f"methods repeats a column: {methods}")
        _check_columns(table, methods)
        check_windows(windows)
        quantiles = [q for q in QUANTILES if q in table.columns]
        keep = list(dict.fromkeys([*REQUIRED_COLUMNS, *methods, *quantiles]))
        frame = table[keep].copy()
        frame[ISSUE_TIME] = _utc(frame[ISSUE_TIME], ISSUE_TIME)
        frame[VALID_TIME] = _utc(frame[VALID_TIME], VALID_TIME)
        pollutant = frame[POLLUTANT].astype(str)
        unknown = sorted(set(pollutant.unique()) - set(POLLUTANTS))
        if unknown:
            raise ValueError(f"unknown pollutant(s) {', '.join(unknown)}: expected keys {', '.join(POLLUTANTS)}")
        present = set(pollutant.unique())
        frame[POLLUTANT] = pd.Categorical(pollutant, categories=[p for p in POLLUTANTS if p in present])
        frame[STATION_ID] = frame[STATION_ID].astype(str).astype("category")
        lead = frame[LEAD_H].to_numpy()
        if not pd.api.types.is_numeric_dtype(frame[LEAD_H]) or np.any(lead != np.round(lead)):
            raise ValueError(f"column {LEAD_H!r} must hold whole hours, got dtype {frame[LEAD_H].dtype}")
        frame[LEAD_H] = lead.astype(np.int64)
        expected = frame[ISSUE_TIME] + pd.to_timedelta(frame[LEAD_H], unit="h")
        wrong = int((expected != frame[VALID_TIME]).sum())
        if wrong:
            raise ValueError(f"{wrong} row(s) have {VALID_TIME!r} != {ISSUE_TIME!r} + {LEAD_H!r} hours")
        duplicated = int(frame.duplicated(list(KEY_COLUMNS)).sum())
        if duplicated:
            raise ValueError(f"{duplicated} duplicated row(s) for the same {', '.join(KEY_COLUMNS)}")
        for name in (*methods, OBSERVED, *quantiles):
            frame[name] = frame[name].astype(np.float64)
        frame = frame.sort_values([POLLUTANT, STATION_ID, ISSUE_TIME, LEAD_H], kind="stable", ignore_index=True)
        frame["tz"] = _station_zones(frame[STATION_ID].array, tz_by_station)
        frame["window"] = lead_window(frame[LEAD_H].to_numpy(), windows)
        number, dates = forecast_day_number(frame[ISSUE_TIME], frame[VALID_TIME], frame["tz"].array)
        frame["day_number"] = number
        frame["day"] = forecast_day(number)
        frame["local_date"] = dates
        frame["day_hours"] = forecast_hours_in_day(frame[ISSUE_TIME], number, frame["tz"].array)
        empty = [m for m in methods if frame[m].isna().all()]
        if empty:
            logger.warning("method column(s) %s have no value at all: they get no scores", ", ".join(empty))
        references = tuple(m for m in REFERENCE_METHODS if m in methods)
        logger.info(
            "hindcast: %d rows, %d issues, %d stations, pollutants %s, methods %s",
            len(frame),
            frame[ISSUE_TIME].nunique(),
            frame[STATION_ID].nunique(),
            list(frame[POLLUTANT].cat.categories),
            methods,
        )
        return cls(frame=frame, methods=tuple(methods), references=references, windows=MappingProxyType(dict(windows)))

    @property
    def pollutants(self) -> list[str]:
        """Pollutants of the table, in :data:`configs.schema.POLLUTANTS` order."""
        return list(self.frame[POLLUTANT].cat.categories)

    @property
    def quantiles(self) -> list[str]:
        """Quantile columns the table has (``q10``, ``q50``, ``q90``)."""
        return [q for q in QUANTILES if q in self.frame.columns]

    def available(self) -> pd.DataFrame:
        """Boolean table pollutant × method: does the method forecast that pollutant at all?"""
        finite = self.frame[list(self.methods)].notna()
        return finite.groupby(self.frame[POLLUTANT], observed=True).any()
