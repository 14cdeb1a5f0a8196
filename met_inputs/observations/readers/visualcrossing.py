"""Visual Crossing "Timeline" hourly weather history (metric unit group), e.g. Hanoi / Noi Bai.

Header: ``name,datetime,temp,feelslike,dew,humidity,precip,…,windspeed,winddir,sealevelpressure,
cloudcover,visibility,solarradiation,…,stations`` (later downloads add daily-summary columns such as
``tempmax…description``, which are ignored).

Station: Visual Crossing blends stations and lists them per hour in ``stations``
(``48820099999,VVNB`` = Noi Bai). The file's station is the weather station named most often
there that the network knows (by id or alias; ``48820099999`` and ``VVNB`` are aliases of
``vvnb-noibai``). Hours blended only from other stations are kept and counted in the notes.

Units (metric): temp, dew [°C]; humidity [%]; precip [mm in the hour]; windspeed [km/h] →
m/s (÷ 3.6); winddir [degrees, from]; sealevelpressure [hPa]; cloudcover [%]; visibility [km];
solarradiation [W/m²].

Time: ``datetime`` is local time of the station's zone (``Asia/Ho_Chi_Minh``, UTC+7) and labels
the **beginning** of the hour. Instantaneous variables (temperature, dew point, humidity, wind,
pressure, cloud, visibility, irradiance) are stored at the stamp itself, converted to UTC
(``2016-01-01 00:00`` local → ``2015-12-31T17:00Z``). Precipitation is the accumulation over the
hour that **follows** the label, so it is stored hour-ending at stamp + 1 h, matching ``tp``
("precipitation in the hour ending at the stamp").

Rows with an empty ``datetime`` (a stray daily-summary row in some downloads) are dropped and
counted in the notes. Empty cells are missing values (NaN + ``MISSING_CODE``).

References
----------
Visual Crossing Weather API documentation, "Timeline Weather API", hourly elements
(https://www.visualcrossing.com/resources/documentation/weather-api/timeline-weather-api/).
Weather data provided by Visual Crossing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from configs.errors import InputFileError
from configs.networks import StationRegistry
from met_inputs.observations.readers._common import ReaderResult, long_table
from met_inputs.observations.tabular import LINE, numeric_column
from met_inputs.observations.timeconv import HOUR, local_to_utc

FORMAT = "visualcrossing"
DESCRIPTION = "Visual Crossing hourly weather (name,datetime,temp,feelslike,dew,humidity,precip,…,stations)"

VARIABLE_MAP: dict[str, tuple[str, float]] = {
    "temp": ("t2m", 1.0),
    "dew": ("d2m", 1.0),
    "humidity": ("rh2m", 1.0),
    "precip": ("tp", 1.0),
    "windspeed": ("ws10", 1 / 3.6),
    "winddir": ("wd10", 1.0),
    "sealevelpressure": ("msl", 1.0),
    "cloudcover": ("tcc", 1.0),
    "solarradiation": ("ssrd", 1.0),
    "visibility": ("vis", 1.0),
}
"""Source column → (our met key, factor to our unit)."""
ACCUMULATED = frozenset({"precip"})
"""Columns that accumulate over the hour after the label (stored at stamp + 1 h)."""
SIGNATURE = frozenset({"name", "datetime", "temp", "feelslike", "dew", "humidity"})
REQUIRED = frozenset({*SIGNATURE, *VARIABLE_MAP, "stations"})


def matches(columns: frozenset[str]) -> bool:
    return SIGNATURE <= columns


def missing_columns(columns: frozenset[str]) -> list[str]:
    return sorted(REQUIRED - columns)


def _station(path: Path, table: pd.DataFrame, registry: StationRegistry) -> tuple[str, int]:
    """Most frequently contributing configured weather station, and the rows it does not contribute to."""
    tokens = table["stations"].str.split(",")
    counts: Counter[str] = Counter()
    resolved: dict[str, str | None] = {}
    for token in tokens.explode().dropna().str.strip().unique():
        sid = registry.resolve(token) if token else None
        resolved[token] = sid if sid is not None and registry.get(sid).kind == "weather" else None
    per_row = tokens.map(
        lambda ts: {resolved.get(t.strip()) for t in ts} - {None} if isinstance(ts, list) else set()
    )
    for ids in per_row:
        counts.update(ids)
    if not counts:
        names = sorted(t for t in resolved if t)
        raise InputFileError(
            path,
            f"no configured weather station among the contributing stations {names[:8]} of location "
            f"{table['name'].iloc[0]!r}; add one of them as an alias of a weather station in a network YAML",
            column="stations",
        )
    station_id = counts.most_common(1)[0][0]
    return station_id, int((~per_row.map(lambda ids: station_id in ids)).sum())


def read(path: Path, table: pd.DataFrame, registry: StationRegistry, tz: str | None = None) -> ReaderResult:
    """Parse a table of text cells; ``tz`` is ignored (the station's zone applies)."""
    notes: list[str] = []
    empty = table["datetime"].str.strip().eq("")
    if empty.any():
        notes.append(
            f"{int(empty.sum())} row(s) with empty datetime dropped (lines "
            f"{', '.join(map(str, table.loc[empty, LINE].tolist()[:5]))})"
        )
        table = table.loc[~empty].reset_index(drop=True)
    station_id, foreign = _station(path, table, registry)
    if foreign:
        notes.append(f"{foreign} hour(s) blended without {station_id} (other stations only)")
    zone = registry.get(station_id).time_zone
    local = pd.to_datetime(table["datetime"].str.strip(), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    if local.isna().any():
        first = local.isna().idxmax()
        raise InputFileError(
            path,
            f"cannot parse datetime {table.at[first, 'datetime']!r} (YYYY-MM-DD HH:MM:SS)",
            row=int(table.at[first, LINE]),
            column="datetime",
        )
    dup = local.duplicated()
    if dup.any():
        first = dup.idxmax()
        raise InputFileError(
            path,
            f"datetime {table.at[first, 'datetime']} appears twice",
            row=int(table.at[first, LINE]),
            column="datetime",
        )
    at_stamp = local_to_utc(local, zone)
    frames = []
    for column, (ours, factor) in VARIABLE_MAP.items():
        values = numeric_column(table, column, path) * factor
        time = at_stamp + HOUR if column in ACCUMULATED else at_stamp
        frames.append(
            long_table(station_id, time, {ours: values}, name_column="variable", extra={"qc_flag": 0})
        )
    met = pd.concat(frames, ignore_index=True)
    met["qc_flag"] = met["qc_flag"].astype(np.int64)
    return ReaderResult(pd.DataFrame(), met, notes)
