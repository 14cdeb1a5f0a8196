"""The single entry point of a cycle's inputs: NWP + CTM + emissions → the station cube ``(station, lead)``.

For each role (NWP, CTM) the enabled sources are tried in priority order from the cycle's inputs folder
(``<home>/inputs/<cycle>/<source>/``, as ``vnaqi inputs fetch`` fills it). A source with no files, or
whose files fail to read, is recorded and the next one is tried; when no source has the cycle, the
previous cycle (12 h earlier) is used shifted onto the new leads and the fallback is recorded. Nothing
missing is silently filled: absent variables are listed in the report.

Station cube
    dims ``(station, lead)`` (``lead`` 1 … 72 h, hour-ending) with coords ``valid_time(lead)``,
    ``station_latitude``, ``station_longitude``, ``station_elevation_m``, and for pressure-level
    fields one variable per level (``t850``, ``u925`` …).

    * Surface met in the units of the observation archive (``configs.schema.MET_VARIABLES``), so that
      observed and forecast met are interchangeable: ``t2m``, ``d2m`` [°C], ``sp``, ``msl`` [hPa],
      ``tcc`` [%], ``tp`` [mm in the hour], ``ws10`` [m s-1], ``wd10`` [degree], ``rh2m`` [%], ``blh`` [m],
      ``ssrd`` [W m-2]; pressure-level temperatures ``t<hPa>`` stay in K.
    * Derived met from :func:`met_inputs.derived.derive_all` (inversion flag/strength/base, lapse
      diagnostics, ventilation, stagnation, rain flags).
    * CTM concentrations ``ctm_<pollutant>`` [µg/m³].
    * Emission and calendar features from :mod:`met_inputs.emissions` (``emission_index_*``,
      ``emission_*_factor``, ``burning_season``, ``is_holiday``, ``is_tet``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from configs.errors import InputFileError
from configs.networks import Station
from configs.schema import LEAD, LEVEL, MAX_LEAD_HOURS, NWP_VARIABLES, POLLUTANTS, STATION, VALID_TIME
from configs.settings import HomeLayout
from configs.sources import SourceConfig, SourcesConfig
from met_inputs.derived import derive_all
from met_inputs.emissions import station_emission_features, temporal_model_for
from met_inputs.extract import Extractor
from met_inputs.leads import to_hourly_leads
from met_inputs.sources import open_source

logger = logging.getLogger(__name__)

CONVENTION_OF_KIND = {"ecmwf-opendata": "ifs", "gfs": "gfs", "cams-ads": "cams", "local": None}
INPUT_SUFFIXES = (".grib", ".grib2", ".grb", ".grb2", ".nc", ".nc4")
FALLBACK_CYCLE_HOURS = 12


@dataclass
class SourceStatus:
    """What happened to one source for one cycle."""

    name: str
    role: str
    cycle: str
    status: str  # used | no files | failed | not needed
    files: int = 0
    reason: str = ""


@dataclass
class InputReport:
    """What the station cube was built from, and what was missing."""

    cycle: str
    sources: list[SourceStatus] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    missing_variables: dict[str, list[str]] = field(default_factory=dict)
    stations_outside: dict[str, list[str]] = field(default_factory=dict)
    not_derived: str = ""

    def used(self, role: str) -> SourceStatus | None:
        return next((s for s in self.sources if s.role == role and s.status == "used"), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycle": self.cycle,
            "sources": [vars(s) for s in self.sources],
            "fallbacks": self.fallbacks,
            "missing_variables": self.missing_variables,
            "stations_outside": self.stations_outside,
            "not_derived": self.not_derived,
        }


def _cycle_id(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%HZ")


def source_files(layout: HomeLayout, config: SourcesConfig, source: SourceConfig, cycle: pd.Timestamp) -> list[Path]:
    """Input files of ``source`` for ``cycle`` in the home's inputs folder (sorted)."""
    folder = layout.root / config.inputs_dir / _cycle_id(cycle) / source.name
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in INPUT_SUFFIXES and p.is_file())


def _open_role(
    layout: HomeLayout, config: SourcesConfig, role: str, cycle: pd.Timestamp, report: InputReport
) -> xr.Dataset | None:
    """The first source of ``role`` that reads cleanly for ``cycle``, else for the previous cycle."""
    for attempt, when in enumerate((cycle, cycle - pd.Timedelta(hours=FALLBACK_CYCLE_HOURS))):
        for source in config.by_role(role):  # type: ignore[arg-type]
            files = source_files(layout, config, source, when)
            status = SourceStatus(source.name, role, _cycle_id(when), "no files")
            report.sources.append(status)
            if not files:
                continue
            status.files = len(files)
            try:
                ds = open_source(
                    files,
                    convention=CONVENTION_OF_KIND[source.kind],
                    expected_init_time=when.tz_localize(None),
                    area=source.area,
                )
            except InputFileError as exc:
                status.status, status.reason = "failed", str(exc)
                logger.warning("%s input %s failed: %s", role, source.name, exc)
                continue
            status.status = "used"
            if attempt:
                report.fallbacks.append(
                    f"{role}: no source had cycle {_cycle_id(cycle)}; used {source.name} of {_cycle_id(when)} "
                    f"shifted by {FALLBACK_CYCLE_HOURS} h"
                )
            return ds
    report.fallbacks.append(f"{role}: no usable source for {_cycle_id(cycle)} or the cycle before")
    return None


def _flatten_levels(ds: xr.Dataset) -> xr.Dataset:
    """``t(station, lead, level)`` → ``t850(station, lead)`` … one variable per pressure level."""
    if LEVEL not in ds.dims:
        return ds
    out = ds[[v for v in ds.data_vars if LEVEL not in ds[v].dims]]
    for name in [v for v in ds.data_vars if LEVEL in ds[v].dims]:
        for level in ds[LEVEL].values:
            da = ds[name].sel({LEVEL: level}, drop=True)
            if da.notnull().any():
                out[f"{name}{int(level)}"] = da.assign_attrs(ds[name].attrs, level_hpa=int(level))
    return out.drop_vars(LEVEL, errors="ignore")


def _to_archive_units(ds: xr.Dataset) -> xr.Dataset:
    """Surface met in the observation archive's units (°C, hPa, %)."""
    out = ds.copy()
    for name in ("t2m", "d2m"):
        if name in out:
            out[name] = (out[name] - 273.15).assign_attrs(out[name].attrs, units="degC")
    for name in ("sp", "msl"):
        if name in out:
            out[name] = (out[name] / 100.0).assign_attrs(out[name].attrs, units="hPa")
    if "tcc" in out:
        out["tcc"] = (out["tcc"] * 100.0).assign_attrs(out["tcc"].attrs, units="%")
    return out


def _stations_outside(ds: xr.Dataset) -> list[str]:
    text = str(ds.attrs.get("stations_outside_grid", ""))
    return [s for s in text.split(", ") if s]


def build_station_cube(
    layout: HomeLayout,
    cycle: pd.Timestamp,
    stations: Sequence[Station],
    config: SourcesConfig,
    *,
    leads: int = MAX_LEAD_HOURS,
    extractor: Extractor | None = None,
) -> tuple[xr.Dataset, InputReport]:
    """Station cube of every met, CTM and emission feature for ``cycle``, and a report of what was missing.

    Parameters
    ----------
    layout
        The home (inputs are read from ``<home>/<inputs_dir>/<cycle>/<source>/``).
    cycle
        Cycle (issue) time, tz-aware.
    stations
        Stations to extract at (latitude, longitude, elevation).
    config
        Sources (``sources.yaml``).
    extractor
        Interpolation-weight cache to reuse across cycles.
    """
    cycle = pd.Timestamp(cycle).tz_convert("UTC")
    report = InputReport(cycle=_cycle_id(cycle))
    extractor = extractor or Extractor()
    ids = [s.id for s in stations]
    valid = pd.date_range(cycle + pd.Timedelta(hours=1), periods=leads, freq="h")
    parts: list[xr.Dataset] = []

    nwp = _open_role(layout, config, "nwp", cycle, report)
    if nwp is not None:
        points = extractor.extract(nwp, stations, outside="nan")
        report.stations_outside["nwp"] = _stations_outside(points)
        hourly = to_hourly_leads(points, cycle, leads)
        hourly = derive_all(hourly)
        report.not_derived = str(hourly.attrs.get("not_derived", ""))
        present = set(hourly.data_vars)
        report.missing_variables["nwp"] = [v for v in NWP_VARIABLES if v not in present]
        parts.append(_to_archive_units(_flatten_levels(hourly)))
    else:
        report.missing_variables["nwp"] = list(NWP_VARIABLES)

    ctm = _open_role(layout, config, "ctm", cycle, report)
    if ctm is not None:
        points = extractor.extract(ctm, stations, outside="nan", adjust_elevation=False)
        report.stations_outside["ctm"] = _stations_outside(points)
        hourly = to_hourly_leads(points[[p for p in POLLUTANTS if p in points.data_vars]], cycle, leads)
        report.missing_variables["ctm"] = [p for p in POLLUTANTS if p not in hourly.data_vars]
        parts.append(hourly.rename({p: f"ctm_{p}" for p in hourly.data_vars}))
    else:
        report.missing_variables["ctm"] = list(POLLUTANTS)

    model = temporal_model_for(config.emissions, layout.root)
    inventory = config.emissions.inventory_path
    emissions = station_emission_features(
        stations, valid, inventory, model, radius_km=config.emissions.radius_km
    )
    time_dim = next(d for d in emissions.dims if d != STATION)
    emissions = emissions.rename({time_dim: LEAD}).assign_coords({LEAD: np.arange(1, leads + 1)})
    parts.append(emissions.drop_vars([c for c in emissions.coords if c not in (STATION, LEAD)]))

    base = xr.Dataset(coords={STATION: ids, LEAD: np.arange(1, leads + 1)})
    base = base.assign_coords({VALID_TIME: (LEAD, valid.tz_localize(None).values)})
    cube = xr.merge(
        [base, *[p.drop_vars([VALID_TIME, "init_time", "step"], errors="ignore") for p in parts]],
        compat="override",
        join="left",
    )
    cube.attrs = {
        "title": "station input cube",
        "cycle": report.cycle,
        "nwp_source": (report.used("nwp").name if report.used("nwp") else "none"),
        "ctm_source": (report.used("ctm").name if report.used("ctm") else "none"),
        "fallbacks": "; ".join(report.fallbacks),
        "time_convention": "lead hours after the cycle, hour-ending, UTC",
    }
    return cube, report
