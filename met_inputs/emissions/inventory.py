"""Gridded emission inventories: read either layout, convert units, reduce to station neighbourhoods.

Accepted layouts of the NetCDF (or an ``xarray.Dataset``):

1. **stacked** — one variable per species with dims ``(sector, latitude, longitude)``, the ``sector``
   coordinate holding sector names; or one variable with dims ``(species, sector, latitude, longitude)``.
2. **separate** — one 2-D variable ``(latitude, longitude)`` per species and sector, named
   ``<species>_<sector>`` (``pm25_F_RoadTransport``, ``nox_B``) or carrying attributes ``species`` and
   ``sector``.

``lat``/``lon`` are accepted for ``latitude``/``longitude`` (1-D, degrees). Species names are mapped to
our keys (:data:`SPECIES`; NOx stays ``nox``, mass as NO2, as inventories report it). Sector names go
through :func:`configs.emissions.canonical_sector`. A species × sector pair absent from the file is 0;
NaN cells (e.g. sea in a land inventory) are 0.

Units (attribute ``units`` of every variable) are converted to µg m-2 s-1, see
:mod:`met_inputs.emissions.units`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from configs.emissions import canonical_sector
from configs.errors import InputFileError
from configs.schema import LATITUDE, LONGITUDE
from met_inputs.emissions.neighbourhood import (
    EARTH_RADIUS_KM,
    StationLike,
    WeightCache,
    cell_areas_m2,
    neighbourhood_weights,
    reduce_to_stations,
    stations_bbox,
)
from met_inputs.emissions.units import EMISSION_UNITS, SECONDS_PER_YEAR, unit_factor

logger = logging.getLogger(__name__)

SPECIES: tuple[str, ...] = ("pm25", "pm10", "nox", "so2", "co", "nh3", "nmvoc")
"""Emitted species keys, in output order."""
SPECIES_ALIASES: dict[str, str] = {
    "pm25": "pm25",
    "pm2p5": "pm25",
    "pm2_5": "pm25",
    "pm2.5": "pm25",
    "pm10": "pm10",
    "nox": "nox",
    "nox_as_no2": "nox",
    "noxasno2": "nox",
    "nox_no2": "nox",
    "so2": "so2",
    "sox": "so2",
    "sox_as_so2": "so2",
    "co": "co",
    "nh3": "nh3",
    "nmvoc": "nmvoc",
    "voc": "nmvoc",
    "nmvocs": "nmvoc",
}
SPECIES_DIM = "species"
SECTOR_DIM = "sector"


def _species_key(name: str) -> str | None:
    return SPECIES_ALIASES.get(str(name).strip().lower())


def _split_name(name: str) -> tuple[str | None, str | None]:
    """``pm25_F_RoadTransport`` → (``pm25``, ``F_RoadTransport``); longest species prefix wins."""
    lowered = name.lower()
    for alias in sorted(SPECIES_ALIASES, key=len, reverse=True):
        if lowered.startswith(alias + "_"):
            return SPECIES_ALIASES[alias], canonical_sector(name[len(alias) + 1 :])
    return None, None


def _open(source: str | Path | xr.Dataset) -> tuple[xr.Dataset, Path]:
    if isinstance(source, xr.Dataset):
        return source, Path(source.encoding.get("source", "<inventory dataset>"))
    path = Path(source)
    if not path.is_file():
        raise InputFileError(path, "inventory file not found")
    try:
        return xr.open_dataset(path), path
    except (OSError, ValueError) as exc:
        raise InputFileError(path, f"not a readable NetCDF file: {exc}") from exc


def _grid(ds: xr.Dataset, path: Path) -> xr.Dataset:
    rename = {old: new for old, new in (("lat", LATITUDE), ("lon", LONGITUDE)) if old in ds.dims and new not in ds.dims}
    ds = ds.rename(rename)
    for dim in (LATITUDE, LONGITUDE):
        if dim not in ds.dims:
            raise InputFileError(path, f"missing dimension {dim!r} (or its short name)", column=dim)
        if dim not in ds.coords or ds[dim].ndim != 1:
            raise InputFileError(path, f"{dim} needs a 1-D coordinate [degrees]", column=dim)
    return ds


def _pieces(ds: xr.Dataset, path: Path) -> list[tuple[str, str, xr.DataArray, str]]:
    """(species, sector, 2-D field, variable name) for every species × sector field in the file."""
    pieces = []
    for name, var in ds.data_vars.items():
        dims = set(var.dims)
        if not {LATITUDE, LONGITUDE} <= dims:
            continue
        if SECTOR_DIM in dims:
            sectors = [str(s) for s in var[SECTOR_DIM].values]
            unknown = [s for s in sectors if canonical_sector(s) is None]
            if unknown:
                raise InputFileError(path, f"unknown sector name(s) {unknown}", column=f"{name}.sector")
            if SPECIES_DIM in dims:
                for sp in var[SPECIES_DIM].values:
                    key = _species_key(sp)
                    if key is None:
                        raise InputFileError(path, f"unknown species {sp!r}", column=f"{name}.species")
                    for s in sectors:
                        pieces.append((key, canonical_sector(s), var.sel({SPECIES_DIM: sp, SECTOR_DIM: s}), name))
                continue
            key = _species_key(var.attrs.get("species", name))
            if key is None:
                logger.info("%s: variable %r is not a known species; skipped", path, name)
                continue
            pieces += [(key, canonical_sector(s), var.sel({SECTOR_DIM: s}), name) for s in sectors]
        elif dims == {LATITUDE, LONGITUDE}:
            if "species" in var.attrs and "sector" in var.attrs:
                key, sector = _species_key(var.attrs["species"]), canonical_sector(var.attrs["sector"])
            else:
                key, sector = _split_name(str(name))
            if key is None:
                logger.info("%s: variable %r is not a known species; skipped", path, name)
                continue
            if sector is None:
                raise InputFileError(
                    path,
                    "no sector: add a sector dimension, a 'sector' attribute or name it <species>_<sector>",
                    column=str(name),
                )
            pieces.append((key, sector, var, str(name)))
        else:
            raise InputFileError(path, f"unexpected dimensions {var.dims}", column=str(name))
    if not pieces:
        raise InputFileError(path, f"no emission variable of a known species ({', '.join(SPECIES)})")
    return pieces


def read_inventory(
    source: str | Path | xr.Dataset, bbox: tuple[float, float, float, float] | None = None
) -> xr.DataArray:
    """An inventory in either layout → DataArray ``emission`` (species, sector, latitude, longitude) [µg m-2 s-1].

    Parameters
    ----------
    source : path or Dataset
        The inventory NetCDF or an opened Dataset.
    bbox : (south, west, north, east), optional
        Degrees; only this window is loaded and converted (for large grids).

    Raises
    ------
    InputFileError
        Missing latitude/longitude, no known species, a field without sector, unknown sector or units,
        negative fluxes; names the file, the variable and the reason.
    """
    ds, path = _open(source)
    ds = _grid(ds, path)
    if bbox is not None:
        south, west, north, east = bbox
        lat, lon = ds[LATITUDE].values, ds[LONGITUDE].values
        ds = ds.isel(
            {
                LATITUDE: np.flatnonzero((lat >= south) & (lat <= north)),
                LONGITUDE: np.flatnonzero((lon >= west) & (lon <= east)),
            }
        )
    pieces = _pieces(ds, path)
    areas = cell_areas_m2(ds[LATITUDE].values, ds[LONGITUDE].values)
    species = [s for s in SPECIES if s in {p[0] for p in pieces}]
    sectors = list(dict.fromkeys(p[1] for p in pieces))
    data = np.zeros((len(species), len(sectors), ds.sizes[LATITUDE], ds.sizes[LONGITUDE]))
    seen: dict[tuple[str, str], str] = {}
    for key, sector, field, name in pieces:
        if (key, sector) in seen:
            raise InputFileError(path, f"{key} / {sector} given twice (also in {seen[key, sector]!r})", column=name)
        seen[key, sector] = name
        units = field.attrs.get("units", ds[name].attrs.get("units"))
        if units is None:
            raise InputFileError(path, "no 'units' attribute", column=name)
        try:
            factor = unit_factor(units, areas)
        except ValueError as exc:
            raise InputFileError(path, str(exc), column=name) from exc
        values = field.transpose(LATITUDE, LONGITUDE).values.astype("float64")
        if np.nanmin(values, initial=0.0) < 0:
            raise InputFileError(path, "negative emission flux", column=name)
        data[species.index(key), sectors.index(sector)] = np.nan_to_num(values, nan=0.0) * factor
    return xr.DataArray(
        data,
        dims=(SPECIES_DIM, SECTOR_DIM, LATITUDE, LONGITUDE),
        coords={
            SPECIES_DIM: species,
            SECTOR_DIM: sectors,
            LATITUDE: ds[LATITUDE].values,
            LONGITUDE: ds[LONGITUDE].values,
        },
        name="emission",
        attrs={
            "units": EMISSION_UNITS,
            "long_name": "emission flux",
            "source": str(path),
            "synthetic": int(bool(ds.attrs.get("synthetic", 0))),
            "earth_radius_km": EARTH_RADIUS_KM,
            "seconds_per_year": SECONDS_PER_YEAR,
        },
    )


def station_emission_indices(
    inventory: str | Path | xr.Dataset | xr.DataArray,
    stations: Sequence[StationLike],
    radius_km: float,
    cache: WeightCache | None = None,
) -> xr.DataArray:
    """Mean emission flux around each station, dims (station, species, sector) [µg m-2 s-1].

    Parameters
    ----------
    inventory : path, Dataset or DataArray
        An inventory file or Dataset (either layout), or the output of :func:`read_inventory`.
    stations : sequence of Station
        Anything with ``id``, ``latitude``, ``longitude`` [degrees].
    radius_km : float
        Neighbourhood radius [km]: area-weighted mean of the cells whose centre is within it.
    cache : WeightCache, optional
        Reuses station × cell weights across calls on the same grid.
    """
    if not isinstance(inventory, xr.DataArray):
        inventory = read_inventory(inventory, bbox=stations_bbox(stations, radius_km))
    lat, lon = inventory[LATITUDE].values, inventory[LONGITUDE].values
    weights = (
        cache.get(lat, lon, stations, radius_km) if cache else neighbourhood_weights(lat, lon, stations, radius_km)
    )
    out = reduce_to_stations(inventory, weights)
    out.name = "emission_index"
    out.attrs.update(
        long_name=f"area-weighted mean emission flux within {radius_km:g} km",
        radius_km=float(radius_km),
    )
    out = out.assign_coords(n_cells=("station", weights.n_cells))
    return out
