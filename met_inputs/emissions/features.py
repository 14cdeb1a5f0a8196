"""Emission features per station and hour: inventory indices × temporal factors, and calendar flags.

Output variables, dims (station, time), time hour-ending UTC (tz-naive datetime64 meaning UTC):

* ``emission_index_<species>`` [µg m-2 s-1]: Σ over sectors of the station's neighbourhood mean flux
  (``station_emission_indices``) × the sector's temporal factor — only with an inventory;
* ``emission_<sector>_factor`` [1]: temporal factor of each GNFR sector (and any other inventory sector);
* ``burning_season`` [0–1]: open-burning intensity of the local month, 0 outside the burning region;
* ``is_holiday``, ``is_tet`` [0/1]: public holiday / Tết block on the local day of the interval start.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from configs.emissions import GNFR_SECTORS, EmissionProfilesConfig, canonical_sector
from configs.networks import Station
from configs.schema import STATION, TIME
from met_inputs.emissions.inventory import SECTOR_DIM, SPECIES_DIM, station_emission_indices
from met_inputs.emissions.neighbourhood import WeightCache
from met_inputs.emissions.profiles import TemporalModel, temporal_factors
from met_inputs.emissions.vn_calendar import local_interval_start

logger = logging.getLogger(__name__)

TIME_ATTRS = {"long_name": "end of the hour", "comment": "UTC (tz-naive datetime64 meaning UTC); hour-ending"}


def _utc_axis(valid_times_utc: pd.DatetimeIndex) -> np.ndarray:
    times = pd.DatetimeIndex(valid_times_utc)
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    return times.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _calendar(valid_times_utc: pd.DatetimeIndex, station: Station, model: TemporalModel, in_region: bool):
    local = local_interval_start(valid_times_utc, station.time_zone)
    flags = model.calendar.day_flags(local.tz_localize(None).normalize())
    burning = model.burning_intensity(local.month.to_numpy()) if in_region else np.zeros(len(local))
    return flags["is_holiday"].to_numpy(), flags["is_tet"].to_numpy(), burning


def station_emission_features(
    stations: Sequence[Station],
    valid_times_utc: pd.DatetimeIndex,
    inventory_ds: xr.Dataset | xr.DataArray | str | Path | None,
    config: EmissionProfilesConfig | TemporalModel | None = None,
    *,
    radius_km: float = 10.0,
    cache: WeightCache | None = None,
) -> xr.Dataset:
    """Emission and calendar features for each station and valid time.

    Parameters
    ----------
    stations : sequence of Station
        Each gives its time zone (local hour and day), province and coordinates (burning region).
    valid_times_utc : DatetimeIndex
        Hour-ending valid times, UTC (naive = UTC).
    inventory_ds : Dataset, DataArray, path or None
        Gridded inventory (either layout, see :mod:`met_inputs.emissions.inventory`) or None for the
        temporal and calendar features only (recorded in the ``inventory`` attribute).
    config : EmissionProfilesConfig or TemporalModel, optional
        Temporal-profile settings; default the packaged ``emissions.yaml``.
    radius_km : float
        Neighbourhood radius for the inventory indices [km] (``sources.yaml`` ``emissions.radius_km``).
    cache : WeightCache, optional
        Reuses station × cell weights between cycles on the same grid.

    Returns
    -------
    Dataset, dims (station, time)
    """
    model = config if isinstance(config, TemporalModel) else TemporalModel.from_config(config)
    stations = list(stations)
    axis = _utc_axis(valid_times_utc)
    index = None
    sectors = list(GNFR_SECTORS)
    if inventory_ds is not None:
        index = station_emission_indices(inventory_ds, stations, radius_km, cache)
        sectors += [str(s) for s in index[SECTOR_DIM].values if canonical_sector(str(s)) not in sectors]
    regions = [model.config.open_burning.in_region(s.province, s.latitude, s.longitude) for s in stations]

    factors = np.empty((len(stations), len(sectors), len(axis)))
    holiday = np.zeros((len(stations), len(axis)), dtype="int8")
    tet = np.zeros_like(holiday)
    burning = np.zeros((len(stations), len(axis)))
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, (station, in_region) in enumerate(zip(stations, regions, strict=True)):
        groups.setdefault((station.time_zone, in_region), []).append(i)
    for (tz, in_region), members in groups.items():
        factor = temporal_factors(valid_times_utc, tz, sectors, model, in_burning_region=in_region)
        factors[members] = factor.values
        h, t, b = _calendar(valid_times_utc, stations[members[0]], model, in_region)
        holiday[members], tet[members], burning[members] = h, t, b

    coords = {STATION: np.array([s.id for s in stations], dtype=object), TIME: (TIME, axis, TIME_ATTRS)}
    dims = (STATION, TIME)
    data_vars = {}
    if index is not None:
        rows = [sectors.index(str(s)) for s in index[SECTOR_DIM].values]  # canonical keys (read_inventory)
        per_sector = factors[:, rows, :]  # (station, inventory sector, time)
        for species in index[SPECIES_DIM].values:
            flux = index.sel({SPECIES_DIM: species}).transpose(STATION, SECTOR_DIM).values  # (station, sector)
            data_vars[f"emission_index_{species}"] = (
                dims,
                np.einsum("sk,skt->st", flux, per_sector),
                {
                    "units": index.attrs.get("units", "ug m-2 s-1"),
                    "long_name": f"{species} emission flux within {radius_km:g} km × temporal factors, all sectors",
                },
            )
    for k, sector in enumerate(sectors):
        data_vars[f"emission_{sector}_factor"] = (
            dims,
            factors[:, k, :],
            {"units": "1", "long_name": f"temporal emission factor of {sector} (mean 1 over a local year)"},
        )
    data_vars["burning_season"] = (dims, burning, {"units": "1", "long_name": "open-burning season intensity"})
    data_vars["is_holiday"] = (dims, holiday, {"units": "1", "long_name": "public holiday (local day)"})
    data_vars["is_tet"] = (dims, tet, {"units": "1", "long_name": "Tết (Lunar New Year) block (local day)"})
    attrs = {
        "profiles": model.profiles.source,
        "hour_convention": "hour-ending UTC stamps; local hour/day of the interval start",
        "burning_region_stations": ",".join(s.id for s, r in zip(stations, regions, strict=True) if r),
    }
    if index is None:
        attrs["inventory"] = "none: temporal and calendar features only"
        logger.info("emission features without inventory: temporal and calendar features only")
    else:
        attrs["inventory"] = str(index.attrs.get("source", "dataset"))
        attrs["radius_km"] = float(radius_km)
        attrs["synthetic_inventory"] = int(index.attrs.get("synthetic", 0))
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)
