"""CAMS (and other CTM) composition fields, GRIB1/GRIB2 or NetCDF → surface mass concentrations [µg/m³].

================  =======  =========================================================================
provider          ours     rule
================  =======  =========================================================================
pm2p5 (210073)    pm25     kg m-3 × 1e9
pm10 (210074)     pm10     kg m-3 × 1e9
no2 (210121)      no2      kg kg-1 × ρ × 1e9 (ρ = p / (R_d T), air density)
go3 (210203)      o3       idem
so2 (210122)      so2      idem
co (210123)       co       idem
GRIB2 chemical    as above discipline 0, category 20, number 2 (mass mixing ratio) or 0 (mass density)
template 40                with constituentType 0 O3, 4 CO, 5 NO2, 8 SO2 (code table 4.230)
NetCDF            as above same short names, or CF standard names (mass_concentration_of_…_in_air);
                           units ``ug m**-3`` pass through (e.g. the EAC4 Milan files)
================  =======  =========================================================================

Level: the surface, or on model (``hybrid``) levels the largest level number present, i.e. the lowest
model level (137 in CAMS L137).

Air density for mixing ratios comes, in order, from ``ReadOptions.air_density``, else from the SAME file
set: pressure = surface pressure ``sp`` (or ``exp(lnsp)``), turned into the full-level pressure of the
gas's model level with the file's hybrid coefficients (``pv``) when the gas is on a model level;
temperature = ``t`` on the gas's model level, else ``2t``. R_d = 287.05 J kg-1 K-1. Without them the
reader stops with an error naming the field and what is missing; it never assumes a standard atmosphere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import xarray as xr

from configs.errors import InputFileError
from configs.schema import CF_STANDARD_NAMES, LEVEL, STEP
from met_inputs.sources._contract import DEFAULT_OPTIONS, ReadOptions, build_dataset
from met_inputs.sources._fields import RECORD_INIT, RawField
from met_inputs.sources._gribread import GribField, decoder_attr, read_grib_fields
from met_inputs.sources._ncread import concat_raws, netcdf_raw, open_netcdf
from met_inputs.sources._scan import GribMessage, file_kind, scan_files
from met_inputs.sources._units import air_density, convert, needs_air_density

CONVENTION: Final = "cams"
_LEVELS: Final = ("surface", "heightAboveGround", "hybrid")
_CONSTITUENT: Final = {"o3": 0, "co": 4, "no2": 5, "so2": 8}
_LEGACY: Final = (("pm25", "pm2p5", 210073), ("pm10", "pm10", 210074), ("no2", "no2", 210121),
                  ("o3", "go3", 210203), ("so2", "so2", 210122), ("co", "co", 210123))  # fmt: skip


def _chemical(name: str, number: int) -> GribField:
    keys = {"discipline": 0, "parameterCategory": 20, "parameterNumber": number, "constituentType": _CONSTITUENT[name]}
    label = "mass_mixrat" if number == 2 else "mdens"
    return GribField(name, f"{label} (constituentType {_CONSTITUENT[name]})", keys, _LEVELS, lowest_model_level=True)


FIELDS: Final[tuple[GribField, ...]] = (
    *(GribField(ours, short, {"paramId": pid}, _LEVELS, lowest_model_level=True) for ours, short, pid in _LEGACY),
    *(_chemical(name, number) for name in _CONSTITUENT for number in (2, 0)),
)
"""How each pollutant is found in CAMS GRIB, preferred spec first."""

AUX_FIELDS: Final[tuple[GribField, ...]] = (
    GribField("sp", "sp", {"paramId": 134}, ("surface",)),
    GribField("lnsp", "lnsp", {"paramId": 152}, ("hybrid",), level=1),
    GribField("t", "t", {"paramId": 130}, ("hybrid",), lowest_model_level=True),
    GribField("t2m", "2t", {"paramId": 167}, ("surface", "heightAboveGround")),
)
"""Fields used for the air density of mixing ratios (not returned)."""

NETCDF_NAMES: Final = MappingProxyType({short: ours for ours, short, _ in _LEGACY})
"""NetCDF variable name → our name (CAMS ADS / grib_to_netcdf short names)."""
VARIABLE_MAP: Final = MappingProxyType({**{f.provider: f.name for f in FIELDS}, **NETCDF_NAMES})
"""Provider name → our pollutant key."""


def _records_like(source: RawField, target: RawField, what: str) -> xr.DataArray:
    """``source.data`` reordered to the (initial time, step) records of ``target``."""
    index = {
        (i, s): k
        for k, (i, s) in enumerate(zip(source.data[RECORD_INIT].values, source.data[STEP].values, strict=True))
    }
    keys = list(zip(target.data[RECORD_INIT].values, target.data[STEP].values, strict=True))
    missing = [s for s in keys if s not in index]
    if missing:
        hours = missing[0][1] / np.timedelta64(1, "h")
        raise InputFileError(target.path_at(), f"field {target.label}: {what} missing at step {hours:g} h")
    data = source.data.isel({STEP: [index[k] for k in keys]})
    if data.shape[1:] != target.data.shape[1:]:
        raise InputFileError(target.path_at(), f"field {target.label}: {what} is on another grid")
    return data.drop_vars(list(data.coords)).assign_coords(target.data.coords)


def _full_level_pressure(sp: xr.DataArray, pv: tuple[float, ...], level: int) -> xr.DataArray:
    half = len(pv) // 2
    a, b = np.asarray(pv[:half]), np.asarray(pv[half:])
    if not 1 <= level < half:
        raise ValueError(f"model level {level} outside the {half - 1} levels of the hybrid coefficients")
    return 0.5 * (a[level - 1] + a[level] + (b[level - 1] + b[level]) * sp)


def _density(raw: RawField, aux: dict[str, RawField], pv: tuple[float, ...]) -> tuple[xr.DataArray, str]:
    """Air density [kg m-3] at the records and level of ``raw``, and how it was obtained."""
    level_note = raw.notes.get("grib_level", "surface 0")
    if "sp" in aux:
        pressure = convert(_records_like(aux["sp"], raw, "surface pressure"), aux["sp"].units, "Pa",
                           path=raw.path_at(), field="sp (sp)")  # fmt: skip
        p_note = "surface pressure sp"
    elif "lnsp" in aux:
        pressure, p_note = np.exp(_records_like(aux["lnsp"], raw, "lnsp")), "exp(lnsp)"
    else:
        raise InputFileError(
            raw.path_at(),
            f"field {raw.label} is a mixing ratio [{raw.units}]: converting it to µg/m³ needs the air density, but "
            "the file set has no surface pressure (sp or lnsp); add it (and temperature t or 2t) or pass air_density",
        )
    if level_note.startswith("hybrid") and pv:
        pressure = _full_level_pressure(pressure, pv, int(level_note.split()[1]))
        p_note += f" → full-level pressure of {level_note} from the hybrid coefficients"
    same_level = "t" in aux and aux["t"].notes.get("grib_level") == level_note
    temp_field = aux["t"] if same_level else aux.get("t2m")
    if temp_field is None:
        raise InputFileError(
            raw.path_at(),
            f"field {raw.label} is a mixing ratio [{raw.units}]: converting it to µg/m³ needs the air density, but "
            f"the file set has no temperature (t on {level_note} or 2t); add it or pass air_density",
        )
    temperature = convert(_records_like(temp_field, raw, "temperature"), temp_field.units, "K",
                          path=raw.path_at(), field=temp_field.label)  # fmt: skip
    return air_density(pressure, temperature), f"ρ = p/(R_d T), p = {p_note}, T = {temp_field.provider} [{level_note}]"


def _to_concentration(raws: list[RawField], aux: dict[str, RawField], options: ReadOptions, pv) -> None:
    for raw in raws:
        if not needs_air_density(raw.units):
            continue
        if options.air_density is not None:
            density, note = options.air_density, "air_density given by the caller"
            if isinstance(density, xr.DataArray) and STEP in density.dims:
                raise ValueError("air_density must be a scalar or have only horizontal dims")
        else:
            density, note = _density(raw, aux, pv)
        raw.data = convert(raw.data, raw.units, "ug m-3", path=raw.path_at(), field=raw.label, density=density)
        raw.notes["air_density"] = note
        raw.notes["provider_units"] = str(raw.units)
        raw.units = "ug m-3"


def _netcdf_raws(paths: Sequence[Path], options: ReadOptions) -> tuple[list[RawField], dict[str, RawField]]:
    by_standard_name = {v: k for k, v in CF_STANDARD_NAMES.items()}
    parts: dict[str, list[RawField]] = {}
    for path in paths:
        with open_netcdf(path) as ds:
            for var in ds.data_vars:
                name = NETCDF_NAMES.get(str(var)) or by_standard_name.get(ds[var].attrs.get("standard_name", ""))
                if name is None and str(var) in ("sp", "t2m", "t"):
                    name = str(var)
                if name is None or (name in NETCDF_NAMES.values() and not options.wants(name)):
                    continue
                raw = netcdf_raw(ds, str(var), name, path)
                if LEVEL in raw.data.dims:
                    if raw.data.sizes[LEVEL] != 1:
                        raise InputFileError(path, f"field {raw.label}: several levels; give the surface level only")
                    raw.data = raw.data.isel({LEVEL: 0}, drop=True)
                parts.setdefault(name, []).append(raw)
    fields = {name: concat_raws(p) for name, p in parts.items()}
    pollutants = [f for n, f in fields.items() if n in NETCDF_NAMES.values()]
    return pollutants, {n: f for n, f in fields.items() if n not in NETCDF_NAMES.values()}


def open_source(
    paths: Sequence[Path], options: ReadOptions = DEFAULT_OPTIONS, fields: Sequence[GribField] = FIELDS
) -> xr.Dataset:
    """Read CAMS/CTM composition files (all GRIB or all NetCDF) into the reader contract.

    Parameters
    ----------
    paths : sequence of pathlib.Path
        Files of one cycle (or, for a reanalysis, of consecutive periods).
    options : ReadOptions
        Variables, required variables, expected cycle, area; ``air_density`` [kg m-3] overrides the
        density computed from the files.
    fields : sequence of GribField
        How pollutants are found in GRIB (default :data:`FIELDS`).

    Returns
    -------
    xarray.Dataset
        Variables among ``pm25 pm10 no2 o3 so2 co`` [µg/m³], dims ``(step, latitude, longitude)``.
    """
    paths = [Path(p) for p in paths]
    kinds = {file_kind(p) for p in paths}
    if kinds == {"netcdf"}:
        raws, aux = _netcdf_raws(paths, options)
        pv: tuple[float, ...] = ()
        attrs: dict[str, str] = {}
    elif kinds == {"grib"}:
        scans = scan_files(paths)
        raws = read_grib_fields(fields, scans, options)
        aux_options = ReadOptions(area=options.area, decoder=options.decoder)
        aux = {r.name: r for r in read_grib_fields(AUX_FIELDS, scans, aux_options)} if raws else {}
        pv = next((m.pv for msgs in scans.values() for m in msgs if _is_hybrid_with_pv(m)), ())
        attrs = {"decoder": decoder_attr(scans, options)}
    else:
        raise InputFileError(paths[0], f"a CTM file set must be all GRIB or all NetCDF (found {sorted(kinds)})")
    _to_concentration(raws, aux, options, pv)
    return build_dataset(raws, paths=paths, convention=CONVENTION, options=options, attrs=attrs)


def _is_hybrid_with_pv(message: GribMessage) -> bool:
    return message.type_of_level == "hybrid" and bool(message.pv)
