"""Helpers shared by the source readers: station look-up, long tables, compass directions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from configs.errors import InputFileError
from configs.networks import Station, StationRegistry
from met_inputs.observations.tabular import LINE

COMPASS_16: dict[str, float] = {
    name: 22.5 * i
    for i, name in enumerate(
        ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
    )
}
"""16-point compass → direction the wind blows from [degrees clockwise from north]."""


@dataclass
class ReaderResult:
    """What a reader returns before QC: ``obs`` and ``met`` long tables (see ``batch``) and notes."""

    obs: pd.DataFrame
    met: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def unknown_station_error(path: Path, name: str, *, row: int | None, column: str | None) -> InputFileError:
    """The one wording for a station no network knows, with the fix."""
    return InputFileError(
        path,
        f"unknown station {name!r}: not an id or alias of any configured station; add it (or an alias) "
        "to a network YAML (configs/networks/*.yaml or <home>/networks/*.yaml)",
        row=row,
        column=column,
    )


def resolve_column(
    table: pd.DataFrame, column: str, registry: StationRegistry, path: Path
) -> tuple[pd.Series, dict[str, Station]]:
    """Map each cell of ``column`` (station names, ids or aliases) to our station id.

    Returns the id per row and the stations by id. Raises :class:`InputFileError` naming the first
    line of an unknown station.
    """
    names = table[column].astype(str).str.strip()
    mapping: dict[str, str] = {}
    stations: dict[str, Station] = {}
    for name in names.unique():
        station_id = registry.resolve(name) if name else None
        if station_id is None:
            first = names.eq(name).idxmax()
            raise unknown_station_error(path, name, row=int(table.at[first, LINE]), column=column)
        mapping[name] = station_id
        stations[station_id] = registry.get(station_id)
    return names.map(mapping), stations


def fixed_station(registry: StationRegistry, station_id: str, path: Path, why: str) -> Station:
    """A station a format implies (no station column), which must be configured."""
    resolved = registry.resolve(station_id)
    if resolved is None:
        raise InputFileError(
            path,
            f"this {why} file belongs to station {station_id!r}, which is not configured; add it to a "
            "network YAML (configs/networks/*.yaml or <home>/networks/*.yaml)",
        )
    return registry.get(resolved)


def long_table(
    station_id: pd.Series | str,
    time: pd.Series,
    columns: Mapping[str, pd.Series],
    *,
    name_column: str,
    extra: Mapping[str, Mapping[str, object] | object] | None = None,
) -> pd.DataFrame:
    """Stack wide value columns into a long table.

    Parameters
    ----------
    station_id, time
        Per source row (or one station id for all rows).
    columns
        Our variable name → values per source row.
    name_column
        Name of the column receiving the variable names (``pollutant`` or ``variable``).
    extra
        Further columns: a scalar, a per-variable mapping of scalars, or a per-variable mapping of
        Series aligned with the rows.
    """
    names = list(columns)
    n = len(time)
    frame = pd.DataFrame(
        {
            "station_id": np.tile(np.asarray(station_id, dtype=object), len(names))
            if not isinstance(station_id, str)
            else station_id,
            "time": np.tile(_utc_ns(time), len(names)),
            name_column: np.repeat(np.asarray(names, dtype=object), n),
            "value": np.concatenate([np.asarray(columns[k], dtype="float64") for k in names])
            if names
            else [],
        }
    )
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    for column, spec in (extra or {}).items():
        if isinstance(spec, Mapping):
            frame[column] = np.concatenate(
                [
                    np.asarray(spec[k])
                    if isinstance(spec[k], pd.Series | np.ndarray)
                    else np.full(n, spec[k], dtype=object)
                    for k in names
                ]
            )
        else:
            frame[column] = spec
    return frame


def _utc_ns(time: pd.Series) -> np.ndarray:
    """datetime64[ns] values in UTC (tz-aware input converted; avoids an object array)."""
    if isinstance(time.dtype, pd.DatetimeTZDtype):
        return time.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return time.to_numpy(dtype="datetime64[ns]")


def compass_to_degrees(cells: pd.Series, table: pd.DataFrame, path: Path, column: str) -> pd.Series:
    """16-point compass strings → degrees; empty/``NA`` → NaN; anything else is an error."""
    text = cells.astype(str).str.strip().str.upper()
    degrees = text.map(COMPASS_16)
    missing = text.isin(["", "NA", "NAN"])
    bad = degrees.isna() & ~missing
    if bad.any():
        first = bad.idxmax()
        raise InputFileError(
            path,
            f"wind direction {cells[first]!r} is not a 16-point compass direction (N, NNE, ..., NNW)",
            row=int(table.at[first, LINE]),
            column=column,
        )
    return degrees.astype("float64")


def integer_parts(table: pd.DataFrame, columns: list[str], path: Path) -> list[pd.Series]:
    """Integer date/time part columns (``year``, ``month``…); error naming the first non-integer cell."""
    from met_inputs.observations.tabular import numeric_column

    parts = []
    for column in columns:
        values = numeric_column(table, column, path, missing=frozenset())
        bad = values.isna() | (values % 1 != 0)
        if bad.any():
            first = bad.idxmax()
            raise InputFileError(
                path,
                f"{table.at[first, column]!r} is not an integer",
                row=int(table.at[first, LINE]),
                column=column,
            )
        parts.append(values.astype("int64"))
    return parts


def check_stamps(stamps: pd.Series, table: pd.DataFrame, path: Path, column: str) -> None:
    """Error naming the first line whose date/time parts do not form a valid date."""
    if stamps.isna().any():
        first = stamps.isna().idxmax()
        raise InputFileError(
            path, "date/time parts do not form a valid date", row=int(table.at[first, LINE]), column=column
        )
