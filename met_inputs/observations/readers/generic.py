"""Generic observation tables, CSV or Parquet, in a *long* or a *wide* layout.

Long
    ``station_id,time,pollutant,value[,unit][,qc]`` — one row per station, hour and pollutant.
Wide
    ``station_id,time,<pollutant>…`` — one column per pollutant, optionally with the unit in the
    header: ``PM2.5``, ``pm25``, ``NO2 [ppb]``, ``co (mg/m3)``.

Column names are matched case-insensitively. Pollutant names go through
:data:`configs.schema.POLLUTANT_ALIASES` after lower-casing and removing spaces, dots, underscores
and hyphens (``PM2.5`` → ``pm25``).

Time: ISO 8601, hour-ending, on the full hour, **with** a UTC offset (``2024-01-05T10:00+07:00``,
``…Z``) unless ``tz`` names the zone of offset-less stamps; naive stamps without ``tz`` are an
error. Parquet timestamp columns are accepted (tz-aware, or naive with ``tz``).

Units: µg/m³ when no unit is given. ``mg/m3`` × 1000; ``ppb``/``ppm`` → µg/m³ at 25 °C
(:mod:`met_inputs.observations.units`); a mixing ratio for PM is an error, and so are two different
units for one pollutant in one file. Empty cells, ``NA`` and values ≤ -999 are missing (NaN +
``MISSING_CODE``). An optional ``qc`` / ``source_qc`` column is kept; ``invalid``/``missing``/``suspect``
set the matching bits.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from configs.errors import InputFileError
from configs.networks import StationRegistry
from configs.schema import POLLUTANT_ALIASES
from met_inputs.observations.qc import QCFlag
from met_inputs.observations.readers._common import ReaderResult, unknown_station_error
from met_inputs.observations.tabular import LINE, numeric_column, read_text_table, sniff
from met_inputs.observations.timeconv import check_zone, parse_iso_times
from met_inputs.observations.units import UnitError, conversion_factor, normalise_unit

FORMAT_LONG = "generic-long"
FORMAT_WIDE = "generic-wide"
DESCRIPTION_LONG = "generic long (station_id,time,pollutant,value[,unit])"
DESCRIPTION_WIDE = "generic wide (station_id,time,<pollutant columns such as PM2.5, pm10, NO2 [ppb]>)"
LONG_REQUIRED = ("station_id", "time", "pollutant", "value")
QC_COLUMNS = ("qc", "source_qc", "qc_name")
QC_LABELS = {
    "invalid": QCFlag.SOURCE_INVALID,
    "missing": QCFlag.MISSING_CODE,
    "suspect": QCFlag.SOURCE_SUSPECT,
}
MISSING_CODE = -999.0
_HEADER_UNIT = re.compile(r"^(?P<name>.*?)\s*[\[(](?P<unit>[^\])]*)[\])]\s*$")
VARIABLE_MAP = POLLUTANT_ALIASES
"""Pollutant names (normalised) → our keys: :data:`configs.schema.POLLUTANT_ALIASES`."""


def pollutant_key(name: str) -> str | None:
    """Our pollutant key for a name such as ``PM2.5``, ``pm_10`` or ``Ozone``; ``None`` if unknown."""
    return POLLUTANT_ALIASES.get(re.sub(r"[\s._\-]", "", str(name).lower()))


def layout(columns: frozenset[str]) -> str | None:
    """``long``, ``wide`` or ``None`` from a header (case-insensitive)."""
    lower = {c.lower() for c in columns}
    if {"station_id", "time"} <= lower:
        return "long" if "pollutant" in lower else "wide"
    return None


def matches_long(columns: frozenset[str]) -> bool:
    return layout(columns) == "long"


def matches_wide(columns: frozenset[str]) -> bool:
    return layout(columns) == "wide"


def missing_long(columns: frozenset[str]) -> list[str]:
    lower = {c.lower() for c in columns}
    return [c for c in LONG_REQUIRED if c not in lower]


def missing_wide(columns: frozenset[str]) -> list[str]:
    rest = [c for c in columns if c.lower() not in {"station_id", "time"}]
    return [] if rest else ["<at least one pollutant column>"]


def read_generic_table(path: Path | str, tz: str | None = None) -> pd.DataFrame:
    """Read a generic long or wide table without a station registry.

    Parameters
    ----------
    path : path-like
        CSV or Parquet file in the long or wide layout (see module docstring).
    tz : str, optional
        IANA zone of time stamps written without an offset.

    Returns
    -------
    pandas.DataFrame
        Long: ``station_id`` (as written), ``time`` (UTC, tz-aware, hour-ending), ``pollutant``
        (our key), ``value`` [µg/m³, NaN for missing], ``unit_original``.

    Raises
    ------
    InputFileError
        Not a generic table, or bad content (naming line, column and reason).
    """
    path = Path(path).resolve()
    sniffed = sniff(path)
    if layout(frozenset(sniffed.columns)) is None:
        raise InputFileError(
            path,
            f"unrecognised format; expected one of: {DESCRIPTION_LONG}; {DESCRIPTION_WIDE} "
            f"(header was: {','.join(sniffed.columns)[:200]})",
            row=1 if sniffed.kind == "csv" else None,
        )
    table = read_text_table(path, sniffed)
    frame = read_frame(path, table, tz)
    _check_duplicates(path, frame)
    return frame[["station_id", "time", "pollutant", "value", "unit_original"]].reset_index(drop=True)


def read(path: Path, table: pd.DataFrame, registry: StationRegistry, tz: str | None = None) -> ReaderResult:
    """Read with station ids (or aliases) mapped to our ids through ``registry``."""
    frame = read_frame(path, table, tz)
    names = frame["station_id"]
    mapping = {}
    for name in names.unique():
        sid = registry.resolve(name)
        if sid is None:
            first = names.eq(name).idxmax()
            raise unknown_station_error(path, name, row=int(frame.at[first, LINE]), column="station_id")
        mapping[name] = sid
    frame["station_id"] = names.map(mapping)
    _check_duplicates(path, frame)
    return ReaderResult(frame.drop(columns=LINE), pd.DataFrame())


def read_frame(path: Path, table: pd.DataFrame, tz: str | None) -> pd.DataFrame:
    """Long frame with ``_line``; station ids as written."""
    if tz is not None:
        check_zone(tz)
    by_lower = {c.lower(): c for c in table.columns if c != LINE}
    kind = layout(frozenset(by_lower))
    missing = missing_long(frozenset(by_lower)) if kind == "long" else missing_wide(frozenset(by_lower))
    if missing:
        raise InputFileError(path, f"missing column(s) {', '.join(missing)} for the {kind} layout", row=1)
    station = table[by_lower["station_id"]].astype(str).str.strip()
    if station.eq("").any():
        first = station.eq("").idxmax()
        raise InputFileError(
            path, "empty station_id", row=int(table.at[first, LINE]), column=by_lower["station_id"]
        )
    time = parse_iso_times(
        table[by_lower["time"]], path=path, lines=table[LINE], column=by_lower["time"], tz=tz
    )
    base = pd.DataFrame({"station_id": station, "time": time, LINE: table[LINE]})
    frame = _long(path, table, by_lower, base) if kind == "long" else _wide(path, table, by_lower, base)
    missing_code = frame["value"] <= MISSING_CODE
    frame["qc_flag"] = frame["qc_flag"] | np.where(missing_code, int(QCFlag.MISSING_CODE), 0)
    frame["value"] = frame["value"].where(~missing_code)
    return frame


def _long(path: Path, table: pd.DataFrame, by_lower: dict[str, str], base: pd.DataFrame) -> pd.DataFrame:
    col = by_lower["pollutant"]
    names = table[col].astype(str).str.strip()
    keys = {name: pollutant_key(name) for name in names.unique()}
    pollutant = names.map(keys)
    if pollutant.isna().any():
        first = pollutant.isna().idxmax()
        raise InputFileError(
            path,
            f"unknown pollutant {names[first]!r}; known: "
            f"{', '.join(sorted(set(POLLUTANT_ALIASES.values())))}",
            row=int(table.at[first, LINE]),
            column=col,
        )
    value = numeric_column(table, by_lower["value"], path)
    unit_col = by_lower.get("unit")
    units = table[unit_col].astype(str).str.strip() if unit_col else pd.Series("ug/m3", index=table.index)
    factor = pd.Series(np.nan, index=table.index)
    seen: dict[str, tuple[str, str, int]] = {}
    for (pol, unit), rows in (
        pd.DataFrame({"p": pollutant, "u": units}).groupby(["p", "u"], sort=False).groups.items()
    ):
        line = int(table.at[rows[0], LINE])
        try:
            canonical = normalise_unit(unit)
            factor[rows] = conversion_factor(pol, unit)
        except UnitError as exc:
            raise InputFileError(path, str(exc), row=line, column=unit_col or "unit") from exc
        if pol in seen and seen[pol][0] != canonical:
            first_unit, first_line = seen[pol][1], seen[pol][2]
            raise InputFileError(
                path,
                f"mixed units for {pol} in one file: {first_unit!r} (line {first_line}) "
                f"and {unit!r} (line {line})",
                row=line,
                column=unit_col,
            )
        seen.setdefault(pol, (canonical, unit, line))
    frame = base.assign(pollutant=pollutant, value=value * factor, unit_original=units)
    frame["qc_flag"], frame["source_qc"] = _source_qc(table, by_lower)
    return frame


def _wide(path: Path, table: pd.DataFrame, by_lower: dict[str, str], base: pd.DataFrame) -> pd.DataFrame:
    frames = []
    qc_flag, source_qc = _source_qc(table, by_lower)
    for lower, col in by_lower.items():
        if lower in {"station_id", "time", *QC_COLUMNS}:
            continue
        match = _HEADER_UNIT.match(col)
        name, unit = (match["name"], match["unit"].strip()) if match else (col, "")
        pol = pollutant_key(name)
        if pol is None:
            raise InputFileError(
                path,
                f"unknown pollutant column {col!r}; known names: PM2.5, PM10, NO2, O3, SO2, CO "
                "(optionally with a unit, e.g. 'NO2 [ppb]')",
                row=1,
                column=col,
            )
        try:
            factor = conversion_factor(pol, unit)
        except UnitError as exc:
            raise InputFileError(path, str(exc), row=1, column=col) from exc
        value = numeric_column(table, col, path)
        frames.append(
            base.assign(
                pollutant=pol,
                value=value * factor,
                unit_original=unit or "ug/m3",
                qc_flag=qc_flag,
                source_qc=source_qc,
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    seen = frame["pollutant"]
    dup_pol = seen[frame[LINE].eq(frame[LINE].iloc[0])]
    if dup_pol.duplicated().any():
        raise InputFileError(
            path, f"pollutant {dup_pol[dup_pol.duplicated()].iloc[0]!r} has two columns", row=1
        )
    return frame


def _source_qc(table: pd.DataFrame, by_lower: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    col = next((by_lower[c] for c in QC_COLUMNS if c in by_lower), None)
    if col is None:
        return pd.Series(0, index=table.index, dtype=np.int64), pd.Series(
            None, index=table.index, dtype=object
        )
    labels = table[col].astype(str).str.strip()
    flags = labels.str.lower().map({k: int(v) for k, v in QC_LABELS.items()}).fillna(0).astype(np.int64)
    return flags, labels.where(labels.ne(""), None)


def _check_duplicates(path: Path, frame: pd.DataFrame) -> None:
    """Identical repeated rows are dropped in place; differing repeats are an error naming both lines."""
    key = ["station_id", "time", "pollutant"]
    dup = frame.duplicated(key, keep=False)
    if not dup.any():
        return
    rows = frame[dup].sort_values([*key, LINE])
    differing = rows.groupby(key)["value"].transform(lambda v: v.nunique(dropna=False) > 1)
    if differing.any():
        bad = rows[differing]
        first, second = bad.iloc[0], bad.iloc[1]
        raise InputFileError(
            path,
            f"station {first['station_id']} {first['pollutant']} at {first['time']:%Y-%m-%dT%H:%MZ} "
            "appears on lines "
            f"{first[LINE]} and {second[LINE]} with different values ({first['value']} vs {second['value']})",
            row=int(second[LINE]),
            column="time",
        )
    frame.drop(index=frame.index[frame.duplicated(key, keep="first")], inplace=True)
