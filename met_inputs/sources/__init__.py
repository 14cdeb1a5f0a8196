"""Readers of gridded NWP and CTM inputs: one module per source convention behind one contract.

>>> from met_inputs.sources import open_source
>>> ds = open_source(["gfs.t00z.pgrb2.0p25.f003", "gfs.t00z.pgrb2.0p25.f006"])  # doctest: +SKIP

Conventions (module → files):

* ``ifs`` (:mod:`.ifs`): ECMWF IFS / ERA5 GRIB1/GRIB2 and other centres' WMO-standard parameters;
* ``gfs`` (:mod:`.gfs`): NCEP GFS GRIB2;
* ``cams`` (:mod:`.cams`): CAMS/CTM composition, GRIB or NetCDF (incl. the EAC4 reanalysis NetCDF);
* ``wrf`` and ``cf`` (:mod:`.netcdf`): WRF ``wrfout`` and generic CF NetCDF.

Every reader returns an ``xarray.Dataset`` with dims ``(step, [level], latitude, longitude)`` (projected
grids: ``(step, [level], y, x)`` with 2-D ``latitude``/``longitude``), scalar coordinate ``init_time``,
sorted ``step``, ``valid_time(step) = init_time + step``, ``level`` [hPa] for pressure-level fields,
ascending ``latitude`` and ``longitude`` in [-180, 180), and variables named and in the units of
:data:`configs.schema.NWP_VARIABLES` / :data:`configs.schema.CTM_VARIABLES`; accumulated fields
(``tp``, ``ssrd``) are per step interval ending at ``valid_time`` and NaN at step 0. A sequence of
analyses (a reanalysis) has ``attrs["product"] == "analysis"``, ``init_time`` its first time and
``step = time − init_time``. Details: ``docs/inputs.md``.

Adding a source = adding a module with ``FIELDS``/``VARIABLE_MAP`` and ``open_source(paths, options)``
and listing it in :data:`CONVENTIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal

import numpy as np
import xarray as xr

from configs.errors import InputFileError
from met_inputs.sources import cams, gfs, ifs, netcdf
from met_inputs.sources._contract import ReadOptions
from met_inputs.sources._fields import TARGET_UNITS
from met_inputs.sources._ncread import open_netcdf
from met_inputs.sources._scan import file_kind, grib_convention, scan_grib

__all__ = ["CONVENTIONS", "Convention", "ReadOptions", "detect_convention", "expand_paths", "open_source"]

Convention = Literal["ifs", "gfs", "cams", "wrf", "cf"]

CONVENTIONS: Final[MappingProxyType[str, Callable[..., xr.Dataset]]] = MappingProxyType(
    {
        "ifs": ifs.open_source,
        "gfs": gfs.open_source,
        "cams": cams.open_source,
        "wrf": lambda paths, options: netcdf.open_source(paths, options, convention="wrf"),
        "cf": lambda paths, options: netcdf.open_source(paths, options, convention="cf"),
    }
)
"""Convention name → reader ``(paths, options) -> Dataset``."""

_CTM_NETCDF_NAMES: Final = frozenset(cams.NETCDF_NAMES) | {"pm25", "o3"}


def expand_paths(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    """Files of ``paths``: a file, a folder (its files, sorted, index files skipped) or a list of them."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    files: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            files += sorted(p for p in item.iterdir() if p.is_file() and not p.name.endswith((".idx", ".md")))
        elif item.is_file():
            files.append(item)
        else:
            raise InputFileError(item, "no such file or folder")
    if not files:
        raise InputFileError(Path(items[0]) if items else Path("."), "no input files")
    return files


def detect_convention(path: str | Path) -> Convention:
    """The reader convention of one file, from its GRIB keys or NetCDF variables.

    GRIB: chemistry parameters → ``cams``; centre ``kwbc`` GRIB2 → ``gfs``; otherwise ``ifs``.
    NetCDF: WRF output → ``wrf``; CAMS pollutant names or CF pollutant standard names → ``cams``;
    otherwise ``cf``.

    Raises
    ------
    configs.errors.InputFileError
        Neither GRIB nor NetCDF, corrupt GRIB, unreadable NetCDF.
    """
    path = Path(path)
    kind = file_kind(path)
    if kind == "grib":
        return grib_convention(scan_grib(path))  # type: ignore[return-value]
    if kind == "netcdf":
        with open_netcdf(path) as ds:
            if netcdf.is_wrf(ds):
                return "wrf"
            names = set(map(str, ds.data_vars))
            standard = {str(ds[v].attrs.get("standard_name", "")) for v in ds.data_vars}
            if names & _CTM_NETCDF_NAMES or any(s.startswith("mass_concentration_of") for s in standard):
                return "cams"
            return "cf"
    with open(path, "rb") as handle:
        head = handle.read(16)
    raise InputFileError(path, f"not a GRIB or NetCDF file (starts with {head!r})")


def open_source(
    paths: str | Path | Sequence[str | Path],
    convention: Convention | None = None,
    *,
    variables: Sequence[str] | None = None,
    required: Sequence[str] = (),
    expected_init_time: np.datetime64 | str | None = None,
    levels: Sequence[int] | None = None,
    area: tuple[float, float, float, float] | None = None,
    air_density: float | xr.DataArray | None = None,
    decoder: Literal["auto", "cfgrib"] = "auto",
) -> xr.Dataset:
    """Read the files of one source and cycle into the reader contract.

    Parameters
    ----------
    paths : path, folder or sequence of paths
        The files (GRIB or NetCDF) of one cycle of one source.
    convention : {"ifs", "gfs", "cams", "wrf", "cf"}, optional
        Default: detected from the first file (:func:`detect_convention`); all files must agree.
    variables : sequence of str, optional
        Only these variables (our names) are read.
    required : sequence of str
        Variables that must be present; a missing one raises :class:`InputFileError`.
    expected_init_time : datetime64 or str, optional
        The cycle the files must be for (UTC).
    levels : sequence of int, optional
        Pressure levels [hPa] to keep (each must be present).
    area : (north, west, south, east), optional
        Crop box [degrees]; one grid cell of margin is kept.
    air_density : float or xarray.DataArray, optional
        Air density [kg m-3] for CTM mixing ratios (default: from the files' pressure and temperature).
    decoder : {"auto", "cfgrib"}
        GRIB decoding: ``auto`` (default) decodes plain GRIB 2 files on a regular lat-lon grid directly
        with ecCodes and any other GRIB file with cfgrib, per file; ``cfgrib`` forces cfgrib everywhere
        (same Dataset, ~10× slower). ``attrs["decoder"]`` records which was used.

    Returns
    -------
    xarray.Dataset
        See the module docstring.

    Raises
    ------
    configs.errors.InputFileError
        Any bad input, naming the file, the field and the reason.
    """
    files = expand_paths(paths)
    if convention is None:
        found = {p: detect_convention(p) for p in files}
        conventions = set(found.values())
        if len(conventions) > 1:
            shown = ", ".join(f"{p.name}: {c}" for p, c in list(found.items())[:6])
            raise InputFileError(files[0], f"files of different conventions in one set ({shown})")
        convention = conventions.pop()
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; known: {', '.join(CONVENTIONS)}")
    unknown = sorted((set(variables or ()) | set(required)) - set(TARGET_UNITS))
    if unknown:
        raise ValueError(f"unknown variable(s) {unknown}; known: {', '.join(TARGET_UNITS)}")
    options = ReadOptions(
        variables=tuple(variables) if variables is not None else None,
        required=tuple(required),
        expected_init_time=expected_init_time,
        levels=tuple(int(x) for x in levels) if levels is not None else None,
        area=area,
        air_density=air_density,
        decoder=decoder,
    )
    return CONVENTIONS[convention](files, options)
