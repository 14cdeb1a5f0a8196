"""UCI "Beijing PM2.5 Data" (US Embassy), ``PRSA_data_2010.1.1-2014.12.31.csv``.

Format: ``No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir``; ``NA`` = missing.

What goes where
---------------
* ``pm2.5`` [µg/m³] → pollutant ``pm25`` of station ``us-embassy-beijing``.
* The met columns come from Beijing Capital International Airport and are archived as the observed
  met of ``zbaa-beijing-capital`` (the embassy's ``met_station``): ``DEWP`` → ``d2m`` [°C],
  ``TEMP`` → ``t2m`` [°C], ``PRES`` → ``sp`` [hPa].
* ``Iws`` is a *cumulated* wind speed [m/s summed over the consecutive hours with the same ``cbwd``
  class; it restarts when the class changes]. It is de-cumulated to an hourly ``ws10`` [m/s]:
  ``Iws[t] − Iws[t−1]`` when ``cbwd`` is unchanged and the previous row is the previous hour,
  otherwise ``Iws[t]`` itself (a restart). On the 2010–2014 file every difference inside a run is
  positive and the hourly values fall on the 0.45, 0.89, 1.79, 3.13 … m/s steps of whole mph/knot
  reports, which confirms the reading. Differences are rounded to 0.01 m/s (the file's
  resolution) and flagged ``DERIVED``. A negative difference (never seen) is treated as a restart.
* ``cbwd`` (NE, NW, SE, ``cv`` = calm/variable) is a quadrant class, not a direction; it is **not**
  archived (turning it into degrees would invent precision; ``cv`` has no direction at all).
* ``Is``/``Ir`` (cumulated hours of snow/rain) are counts of hours, not amounts, and are not archived.

Time: local Beijing time (UTC+8, station ``time_zone``), hour 0..23 read as hour-**beginning**,
so hour-ending = stamp + 1 h (as for the multi-site files).

References
----------
Liang, X. et al. (2015), Assessing Beijing's PM2.5 pollution: severity, weather impact, APEC and
winter heating, Proc. R. Soc. A 471: 20150257. UCI dataset 381, doi:10.24432/C5JS49.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from configs.networks import StationRegistry
from met_inputs.observations.qc import QCFlag
from met_inputs.observations.readers._common import (
    ReaderResult,
    check_stamps,
    fixed_station,
    integer_parts,
    long_table,
)
from met_inputs.observations.tabular import numeric_column
from met_inputs.observations.timeconv import HOUR, local_to_utc, stamps_from_parts

FORMAT = "beijing-usembassy"
DESCRIPTION = (
    "Beijing US Embassy (UCI PRSA_data_2010…: No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir)"
)

AQ_STATION = "us-embassy-beijing"
MET_STATION = "zbaa-beijing-capital"
VARIABLE_MAP: dict[str, str] = {"pm2.5": "pm25"}
MET_VARIABLE_MAP: dict[str, str] = {"DEWP": "d2m", "TEMP": "t2m", "PRES": "sp", "Iws": "ws10"}
SOURCE_UNIT = "ug/m3"
TIME_PARTS = ["year", "month", "day", "hour"]
SIGNATURE = frozenset({"No", *TIME_PARTS, "pm2.5", "cbwd"})
REQUIRED = frozenset({*SIGNATURE, "DEWP", "TEMP", "PRES", "Iws"})


def matches(columns: frozenset[str]) -> bool:
    return SIGNATURE <= columns


def missing_columns(columns: frozenset[str]) -> list[str]:
    return sorted(REQUIRED - columns)


def decumulate_wind(iws: pd.Series, cbwd: pd.Series, hours: pd.Series) -> pd.Series:
    """Hourly wind speed [m/s] from the cumulated ``Iws`` [m/s] and its direction class ``cbwd``.

    Parameters
    ----------
    iws : pandas.Series
        Cumulated wind speed [m/s], in time order.
    cbwd : pandas.Series
        Direction class per row; the cumulation restarts when it changes.
    hours : pandas.Series
        Hour index of each row [h], to detect gaps (a gap also restarts).
    """
    same_run = cbwd.eq(cbwd.shift()) & hours.diff().eq(1)
    diff = iws.diff()
    hourly = iws.where(~same_run | (diff < 0), diff)
    return hourly.round(2)


def read(path: Path, table: pd.DataFrame, registry: StationRegistry, tz: str | None = None) -> ReaderResult:
    """Parse a table of text cells; ``tz`` is ignored (the stations' zones apply)."""
    aq = fixed_station(registry, AQ_STATION, path, "Beijing US Embassy")
    met_station = fixed_station(registry, MET_STATION, path, "Beijing US Embassy (airport met)")
    stamps = stamps_from_parts(*integer_parts(table, TIME_PARTS, path))
    check_stamps(stamps, table, path, "hour")
    order = stamps.argsort(kind="stable")
    table, stamps = table.iloc[order].reset_index(drop=True), stamps.iloc[order].reset_index(drop=True)
    hour_ending = stamps + HOUR

    pm = numeric_column(table, "pm2.5", path)
    obs = long_table(
        aq.id,
        local_to_utc(hour_ending, aq.time_zone),
        {"pm25": pm},
        name_column="pollutant",
        extra={"unit_original": SOURCE_UNIT, "qc_flag": 0, "source_qc": None},
    )
    iws = numeric_column(table, "Iws", path)
    hours = pd.Series(stamps.to_numpy().astype("datetime64[h]").astype(np.int64))
    met_values = {
        "d2m": numeric_column(table, "DEWP", path),
        "t2m": numeric_column(table, "TEMP", path),
        "sp": numeric_column(table, "PRES", path),
        "ws10": decumulate_wind(iws, table["cbwd"].str.strip(), hours),
    }
    derived = {name: np.full(len(table), int(QCFlag.DERIVED) if name == "ws10" else 0) for name in met_values}
    met = long_table(
        met_station.id,
        local_to_utc(hour_ending, met_station.time_zone),
        met_values,
        name_column="variable",
        extra={"qc_flag": derived},
    )
    notes = ["ws10 de-cumulated from Iws (flag DERIVED); cbwd, Is and Ir not archived"]
    return ReaderResult(obs, met, notes)
