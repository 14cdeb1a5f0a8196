"""What a gridded input file holds and whether the service can use it (for ``vnaqi inputs inspect``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from configs.errors import InputFileError
from configs.schema import CTM_VARIABLES, NWP_VARIABLES
from met_inputs.sources import cams, detect_convention, gfs, ifs, netcdf, open_source
from met_inputs.sources._gribread import GribField, match_message
from met_inputs.sources._ncread import find_coord, open_netcdf
from met_inputs.sources._scan import GribMessage, file_kind, grid_problem, scan_grib

logger = logging.getLogger(__name__)

_GRIB_FIELDS: Final = MappingProxyType({"ifs": ifs.FIELDS, "gfs": gfs.FIELDS, "cams": (*cams.FIELDS, *cams.AUX_FIELDS)})


@dataclass(frozen=True)
class Entry:
    """One parameter of a file: provider name → our name, levels, steps, units."""

    provider: str
    ours: str
    level_type: str
    levels: str
    step_type: str
    steps: str
    units: str
    count: int


@dataclass
class FileDescription:
    """A file as ``vnaqi inputs inspect`` reports it."""

    path: Path
    format: str
    convention: str
    entries: list[Entry] = field(default_factory=list)
    grids: list[str] = field(default_factory=list)
    init_times: list[str] = field(default_factory=list)
    provides: list[str] = field(default_factory=list)
    problem: str | None = None

    @property
    def usable(self) -> bool:
        return self.problem is None and bool(self.provides)


def _compact(values: list[str], limit: int = 8) -> str:
    return (
        ", ".join(values)
        if len(values) <= limit
        else f"{', '.join(values[:3])} … {', '.join(values[-2:])} ({len(values)})"
    )


def _hours(minutes: int) -> str:
    return f"{minutes // 60}" if minutes % 60 == 0 else f"{minutes}m"


def _grib_entries(messages: tuple[GribMessage, ...], fields: tuple[GribField, ...]) -> list[Entry]:
    groups: dict[tuple, list[GribMessage]] = {}
    for m in messages:
        spec = match_message(fields, m)
        ours = spec.name if spec else "-"
        if spec and ours not in NWP_VARIABLES and ours not in CTM_VARIABLES:
            ours = f"({ours}: air density)"
        provider = f"{spec.provider} = {m.short_name} [{m.param_id}]" if spec else f"{m.short_name} [{m.param_id}]"
        key = (provider, ours, m.type_of_level, m.step_type, m.units)
        groups.setdefault(key, []).append(m)
    entries = []
    for (provider, ours, level_type, step_type, units), msgs in groups.items():
        levels = [str(v) for v in sorted({m.level for m in msgs})]
        steps = [m.step_hours for m in sorted(msgs, key=lambda m: (m.end_minutes, m.start_minutes))]
        steps = list(dict.fromkeys(steps))
        entries.append(
            Entry(provider, ours, level_type, _compact(levels), step_type, _compact(steps), units, len(msgs))
        )
    return entries


def _describe_grib(path: Path) -> FileDescription:
    messages = scan_grib(path)
    convention = detect_convention(path)
    editions = sorted({str(m.edition) for m in messages})
    centres = sorted({m.centre for m in messages})
    desc = FileDescription(
        path, f"GRIB{'/'.join(editions)}, {len(messages)} message(s), centre {', '.join(centres)}", convention
    )
    desc.entries = _grib_entries(messages, _GRIB_FIELDS[convention])
    desc.grids = list(dict.fromkeys(m.grid for m in messages))
    desc.init_times = [f"{pd.Timestamp(t):%Y-%m-%dT%H:%M}Z" for t in sorted({m.init_time for m in messages})]
    problems = [grid_problem(m.grid_type) for m in messages]
    if all(problems):
        desc.problem = f"unsupported grid: {problems[0]}"
    return desc


def _describe_netcdf(path: Path) -> FileDescription:
    convention = detect_convention(path)
    with open_netcdf(path) as ds:
        desc = FileDescription(path, f"NetCDF ({ds.attrs.get('Conventions', 'no Conventions attribute')})", convention)
        for var in ds.data_vars:
            da = ds[var]
            if convention == "cams":
                ours = cams.NETCDF_NAMES.get(str(var), "-")
            elif convention == "wrf":
                ours = next((v for k, v in netcdf.VARIABLE_MAP.items() if str(var) in k.split("+")), "-")
            else:
                ours = netcdf._cf_name(da) or "-"
            dims = " × ".join(f"{d} {da.sizes[d]}" for d in da.dims)
            desc.entries.append(Entry(str(var), ours, dims, "", "", "", str(da.attrs.get("units", "(none)")), 1))
        lat_name, lon_name = (
            find_coord(ds, ("latitude", "lat", "XLAT"), "latitude"),
            find_coord(ds, ("longitude", "lon", "XLONG"), "longitude"),
        )
        if lat_name and lon_name:
            lat, lon = ds[lat_name].values, ds[lon_name].values
            kind = "regular" if ds[lat_name].ndim == 1 else "curvilinear (2-D latitude/longitude)"
            extent = f"lat {np.nanmin(lat):g} … {np.nanmax(lat):g}, lon {np.nanmin(lon):g} … {np.nanmax(lon):g}"
            desc.grids = [f"{kind} {ds[lat_name].shape}, {extent}"]
        start = ds.attrs.get("SIMULATION_START_DATE")
        if start:
            desc.init_times = [f"{start} (SIMULATION_START_DATE)"]
        time_name = next((t for t in ("time", "valid_time", "forecast_reference_time") if t in ds.coords), None)
        if time_name is not None and np.issubdtype(ds[time_name].dtype, np.datetime64):
            times = ds[time_name].values.ravel()
            first, last = (f"{pd.Timestamp(t):%Y-%m-%dT%H:%M}Z" for t in (times.min(), times.max()))
            desc.init_times = [f"{first} … {last} ({len(times)} times)"]
    return desc


def describe(path: str | Path, *, read: bool = True) -> FileDescription:
    """Describe one file; with ``read``, also read it through its reader to confirm it is usable.

    Raises
    ------
    configs.errors.InputFileError
        The file cannot be read at all (missing, neither GRIB nor NetCDF, corrupt).
    """
    path = Path(path)
    kind = file_kind(path)
    if kind == "grib":
        desc = _describe_grib(path)
    elif kind == "netcdf":
        desc = _describe_netcdf(path)
    else:
        detect_convention(path)  # raises the "not a GRIB or NetCDF file" error
        raise AssertionError("unreachable")
    if desc.problem is None and read:
        try:
            ds = open_source([path], desc.convention)  # type: ignore[arg-type]
            desc.provides = list(map(str, ds.data_vars))
        except InputFileError as exc:
            desc.problem = exc.reason
    elif desc.problem is None:
        desc.provides = sorted({e.ours for e in desc.entries if e.ours in NWP_VARIABLES or e.ours in CTM_VARIABLES})
    if desc.problem is None and not desc.provides:
        desc.problem = "no field the service uses"
    return desc
