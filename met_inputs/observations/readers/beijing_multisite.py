"""UCI Beijing Multi-Site Air Quality files (``PRSA_Data_<Station>_*.csv``).

Format: ``No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station``,
one file per station, hourly, missing values ``NA``.

Units: all six pollutants in µg/m³ (CO too: values 100 … 10000). Met: TEMP, DEWP [°C], PRES [hPa,
station pressure], RAIN [mm in the hour], WSPM [m/s], wd [16-point compass].

Time: ``year,month,day,hour`` are Beijing local time (UTC+8, no DST since 1991; the station's
``time_zone`` from the network YAML, ``Asia/Shanghai``). UCI does not say whether hour 0..23
begins or ends the averaging hour; we read it as hour-**beginning** (the usual reading of 0..23
stamps), so the hour-ending time is stamp + 1 h: ``2013-03-01 00`` local → ``2013-03-01 01:00+08``
→ ``2013-02-28T17:00Z``. The met columns get the same shift (they come from the nearest CMA
station and are archived as this station's observed met, ``observes_met: true``).

References
----------
Zhang, S. et al. (2017), Cautionary tales on air-quality improvement in Beijing, Proc. R. Soc. A
473: 20170457. UCI Machine Learning Repository, dataset 501, doi:10.24432/C5RK5G.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from configs.networks import StationRegistry
from met_inputs.observations.readers._common import (
    ReaderResult,
    check_stamps,
    compass_to_degrees,
    integer_parts,
    long_table,
    resolve_column,
)
from met_inputs.observations.tabular import numeric_column
from met_inputs.observations.timeconv import HOUR, local_to_utc, stamps_from_parts

FORMAT = "beijing-multisite"
DESCRIPTION = "Beijing multi-site (UCI PRSA_Data_*: No,year,month,day,hour,PM2.5,...,wd,WSPM,station)"

VARIABLE_MAP: dict[str, str] = {
    "PM2.5": "pm25",
    "PM10": "pm10",
    "SO2": "so2",
    "NO2": "no2",
    "CO": "co",
    "O3": "o3",
}
"""Source pollutant column → our pollutant key (all already µg/m³)."""
MET_VARIABLE_MAP: dict[str, str] = {
    "TEMP": "t2m",
    "DEWP": "d2m",
    "PRES": "sp",
    "RAIN": "tp",
    "WSPM": "ws10",
    "wd": "wd10",
}
"""Source met column → our met key; units already ours except ``wd`` (compass → degrees)."""
SOURCE_UNIT = "ug/m3"
TIME_PARTS = ["year", "month", "day", "hour"]
SIGNATURE = frozenset({"No", *TIME_PARTS, "PM2.5", "station"})
REQUIRED = frozenset({*SIGNATURE, *VARIABLE_MAP, *MET_VARIABLE_MAP})


def matches(columns: frozenset[str]) -> bool:
    """True when the header is this format's (possibly with columns missing)."""
    return SIGNATURE <= columns


def missing_columns(columns: frozenset[str]) -> list[str]:
    return sorted(REQUIRED - columns)


def read(path: Path, table: pd.DataFrame, registry: StationRegistry, tz: str | None = None) -> ReaderResult:
    """Parse a table of text cells (see :func:`~met_inputs.observations.tabular.read_text_table`).

    ``tz`` is ignored: the stations' own zones apply.
    """
    station_id, stations = resolve_column(table, "station", registry, path)
    stamps = stamps_from_parts(*integer_parts(table, TIME_PARTS, path))
    check_stamps(stamps, table, path, "hour")
    hour_ending = stamps + HOUR
    time = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns, UTC]")
    for sid, station in stations.items():
        rows = station_id.eq(sid)
        time[rows] = local_to_utc(hour_ending[rows], station.time_zone)

    pollutants = {ours: numeric_column(table, col, path) for col, ours in VARIABLE_MAP.items()}
    obs = long_table(
        station_id,
        time,
        pollutants,
        name_column="pollutant",
        extra={"unit_original": SOURCE_UNIT, "qc_flag": 0, "source_qc": None},
    )
    met_values = {
        ours: (
            compass_to_degrees(table[col], table, path, col)
            if col == "wd"
            else numeric_column(table, col, path)
        )
        for col, ours in MET_VARIABLE_MAP.items()
    }
    met = long_table(station_id, time, met_values, name_column="variable", extra={"qc_flag": 0})
    return ReaderResult(obs, met)
