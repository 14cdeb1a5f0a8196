"""US Department of State StateAir / AirNow "DOS" hourly files (US Embassy Hanoi, Consulate HCMC).

Three generations of the layout, comma or semicolon separated:

A ``Site,Parameter,Date (LT),Year,Month,Day,Hour,Value,Unit,Duration,QC Name``
B ``…,Hour,AQI,AQI Category,24-hr. Midpoint Avg. Conc.,Raw Conc.,Conc. Unit,Duration,QC Name``
C ``…,Hour,NowCast Conc.,AQI,AQI Category,Raw Conc.,Conc. Unit,Duration,QC Name``

The quantity archived is the 1-hour mean, ``Value`` (A) or ``Raw Conc.`` (B, C) [``UG/M3``]. The
NowCast, US-EPA AQI and 24-h midpoint columns are derived products and are not archived.

* ``Site`` → station via the network aliases (``Hanoi`` → ``us-embassy-hanoi``,
  ``Ho Chi Minh City`` → ``us-consulate-hcmc``); ``Parameter`` ``PM2.5 - Principal`` → ``pm25``.
* Time: ``Year,Month,Day,Hour`` (0..23, padded or not) are local time (the station's zone,
  ``Asia/Ho_Chi_Minh``, UTC+7) and **hour-ending** (a full year runs 01:00 1 Jan … 00:00 1 Jan of
  the next year; AirNow: "1 pm" is the noon–1 pm mean). ``2016-01-01 01:00 AM`` → ``2015-12-31T18:00Z``.
* ``-999`` (any value ≤ -999) is a missing code → NaN + ``MISSING_CODE``, also when ``QC Name``
  says ``Valid`` (56 such rows in the Dec-2015 file).
* ``QC Name`` is kept in ``source_qc``; ``Invalid`` → ``SOURCE_INVALID``, ``Missing`` →
  ``MISSING_CODE``, ``Suspect`` → ``SOURCE_SUSPECT``; the rows are kept.
* Fake DST: on the US spring-forward Sunday (second Sunday of March) the files lack 02:00 and hold
  03:00 twice. The first 03:00 row (in file order) is re-labelled 02:00 and flagged
  ``DUPLICATE_RESOLVED``. Other duplicate stamps are dropped when identical, else an error.
* Rows are sorted by time (one 2016 snapshot is rotated).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from configs.errors import InputFileError
from configs.networks import StationRegistry
from configs.schema import POLLUTANT_ALIASES
from met_inputs.observations.qc import QCFlag
from met_inputs.observations.readers._common import ReaderResult, check_stamps, integer_parts, resolve_column
from met_inputs.observations.tabular import LINE, numeric_column
from met_inputs.observations.timeconv import HOUR, local_to_utc, stamps_from_parts
from met_inputs.observations.units import UnitError, conversion_factor

FORMAT = "stateair"
DESCRIPTION = "StateAir/AirNow US Embassy (Site,Parameter,Date (LT),…,Raw Conc. or Value,…,QC Name)"

LAYOUTS: dict[str, tuple[str, str]] = {
    "A": ("Value", "Unit"),
    "B": ("Raw Conc.", "Conc. Unit"),
    "C": ("Raw Conc.", "Conc. Unit"),
}
"""Layout → (concentration column, unit column)."""
VARIABLE_MAP: dict[str, str] = {"PM2.5 - Principal": "pm25"}
"""Known ``Parameter`` values; others are matched through :data:`configs.schema.POLLUTANT_ALIASES`."""
QC_LABELS: dict[str, QCFlag] = {
    "valid": QCFlag(0),
    "invalid": QCFlag.SOURCE_INVALID,
    "missing": QCFlag.MISSING_CODE,
    "suspect": QCFlag.SOURCE_SUSPECT,
}
MISSING_CODE = -999.0
TIME_PARTS = ["Year", "Month", "Day", "Hour"]
SIGNATURE = frozenset({"Site", "Parameter", "Date (LT)", "QC Name"})


def layout_of(columns: frozenset[str]) -> str | None:
    if "Value" in columns:
        return "A"
    if "24-hr. Midpoint Avg. Conc." in columns:
        return "B"
    if "NowCast Conc." in columns or "Raw Conc." in columns:
        return "C"
    return None


def matches(columns: frozenset[str]) -> bool:
    return SIGNATURE <= columns


def missing_columns(columns: frozenset[str]) -> list[str]:
    layout = layout_of(columns)
    if layout is None:
        return ["Raw Conc. (or Value)"]
    value, unit = LAYOUTS[layout]
    return sorted({*SIGNATURE, *TIME_PARTS, value, unit} - columns)


def us_spring_forward(year: int) -> dt.date:
    """Second Sunday of March: the US DST start since 2007."""
    first = dt.date(year, 3, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7)


def _pollutant(parameter: str) -> str | None:
    if parameter in VARIABLE_MAP:
        return VARIABLE_MAP[parameter]
    return POLLUTANT_ALIASES.get(re.sub(r"[\s._\-]", "", parameter.lower()))


def read(path: Path, table: pd.DataFrame, registry: StationRegistry, tz: str | None = None) -> ReaderResult:
    """Parse a table of text cells; ``tz`` is ignored (the stations' zones apply)."""
    layout = layout_of(frozenset(table.columns))
    value_col, unit_col = LAYOUTS[layout]
    station_id, stations = resolve_column(table, "Site", registry, path)

    parameters = table["Parameter"].str.strip()
    pollutant = parameters.map({p: _pollutant(p) for p in parameters.unique()})
    if pollutant.isna().any():
        first = pollutant.isna().idxmax()
        raise InputFileError(
            path,
            f"unknown parameter {parameters[first]!r}",
            row=int(table.at[first, LINE]),
            column="Parameter",
        )
    value = numeric_column(table, value_col, path)
    factor = pd.Series(np.nan, index=table.index)
    for (pol, unit), rows in table.groupby([pollutant, table[unit_col]]).groups.items():
        try:
            factor[rows] = conversion_factor(pol, unit)
        except UnitError as exc:
            raise InputFileError(path, str(exc), row=int(table.at[rows[0], LINE]), column=unit_col) from exc

    labels = table["QC Name"].str.strip()
    flags = labels.str.lower().map({k: int(v) for k, v in QC_LABELS.items()})
    notes: list[str] = []
    if flags.isna().any():
        unknown = sorted(labels[flags.isna()].unique())
        notes.append(f"unknown QC Name labels {unknown} flagged SOURCE_SUSPECT")
        flags = flags.fillna(int(QCFlag.SOURCE_SUSPECT))
    is_missing = value <= MISSING_CODE
    flags = flags.astype(np.int64) | np.where(is_missing, int(QCFlag.MISSING_CODE), 0)

    local = stamps_from_parts(*integer_parts(table, TIME_PARTS, path))
    check_stamps(local, table, path, "Hour")
    local, flags, resolve_notes = _resolve_duplicates(path, table, station_id, pollutant, local, value, flags)
    notes += resolve_notes
    keep = local.notna()
    time = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns, UTC]")
    for sid, station in stations.items():
        rows = keep & station_id.eq(sid)
        time[rows] = local_to_utc(local[rows], station.time_zone)
    obs = pd.DataFrame(
        {
            "station_id": station_id,
            "time": time,
            "pollutant": pollutant,
            "value": (value * factor).where(~is_missing),
            "unit_original": table[unit_col].str.strip(),
            "qc_flag": flags,
            "source_qc": labels.where(labels.ne(""), None),
        }
    )[keep]
    obs = obs.sort_values(["station_id", "pollutant", "time"], kind="stable").reset_index(drop=True)
    return ReaderResult(obs, pd.DataFrame(), notes)


def _resolve_duplicates(path, table, station_id, pollutant, local, value, flags):
    """Fake-DST duplicates → re-label; identical duplicates → drop (NaT); others → error."""
    notes: list[str] = []
    key = pd.DataFrame({"s": station_id, "p": pollutant, "t": local})
    dup = key.duplicated(keep=False)
    if not dup.any():
        return local, flags, notes
    local = local.copy()
    flags = pd.Series(flags, index=table.index).copy()
    present = set(zip(key["s"], key["p"], key["t"], strict=True))
    for (sid, pol, stamp), rows in key[dup].groupby(["s", "p", "t"]).groups.items():
        rows = sorted(rows)  # file order
        earlier = stamp - HOUR
        if (
            len(rows) == 2
            and stamp.hour == 3
            and stamp.date() == us_spring_forward(stamp.year)
            and (sid, pol, earlier) not in present
        ):
            local[rows[0]] = earlier
            flags[rows[0]] |= int(QCFlag.DUPLICATE_RESOLVED)
            present.add((sid, pol, earlier))
            notes.append(
                f"{sid} {stamp:%Y-%m-%d}: fake-DST duplicate 03:00 (line {table.at[rows[0], LINE]}) "
                "re-labelled 02:00"
            )
            continue
        vals = value[rows]
        if vals.nunique(dropna=False) == 1 and flags[rows].nunique() == 1:
            for row in rows[1:]:
                local[row] = pd.NaT
            notes.append(f"{sid} {stamp}: {len(rows) - 1} identical duplicate row(s) dropped")
            continue
        lines = ", ".join(str(table.at[r, LINE]) for r in rows)
        raise InputFileError(
            path,
            f"local time {stamp:%Y-%m-%d %H:%M} appears {len(rows)} times (lines {lines}) "
            "with different values",
            row=int(table.at[rows[1], LINE]),
            column="Date (LT)",
        )
    return local, flags.to_numpy(), notes
