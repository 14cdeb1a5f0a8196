"""Feature inputs of one cycle: observations up to the cycle, observed met then the NWP forecast after it.

Observed and forecast met share the archive's variable names and units (the station cube is built
that way), so a corrector trained on observed met at the valid time (perfect prognosis) is fed the
forecast here. Where the cube has no met for a station, its met after the cycle is missing and the
corrector's no-met fallback forecasts those rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from configs.networks import Station, StationRegistry
from configs.schema import LEAD, POLLUTANTS, STATION, TIME, VALID_TIME
from features.archive_inputs import station_met
from features.met import PROFILE_COLUMNS
from features.spec import MET_INPUT_VARIABLES
from features.table import FeatureInputs
from met_inputs.observations import ObservationArchive


def _naive(ts: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(ts).tz_convert("UTC").tz_localize(None)


def cube_on_time(cube: xr.Dataset, names: list[str]) -> xr.Dataset | None:
    """Variables ``names`` of a station cube ``(station, lead)`` on the valid-time axis ``(station, time)``."""
    present = [n for n in names if n in cube.data_vars]
    if not present:
        return None
    on_time = cube[present].swap_dims({LEAD: VALID_TIME}).drop_vars(LEAD).rename({VALID_TIME: TIME})
    return on_time.transpose(STATION, TIME)


def observed_then_forecast(
    observed: xr.Dataset | None, forecast: xr.Dataset | None, cycle: pd.Timestamp
) -> xr.Dataset | None:
    """Observed met at or before ``cycle`` followed by the forecast after it, dims ``(station, time)``."""
    parts = []
    if observed is not None:
        parts.append(observed.sel({TIME: slice(None, _naive(cycle))}))
    if forecast is not None:
        parts.append(forecast.sel({TIME: slice(_naive(cycle) + pd.Timedelta(hours=1), None)}))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return xr.concat(parts, dim=TIME, data_vars="all", join="outer").transpose(STATION, TIME)


def observations_before(
    archive: ObservationArchive, station_ids: list[str], cycle: pd.Timestamp, days: int
) -> xr.Dataset:
    """Pollutant observations of the ``days`` before ``cycle`` (inclusive), dims ``(station, time)``, every
    station present (all-NaN rows for stations without data)."""
    start = cycle - pd.Timedelta(days=days)
    obs = archive.to_dataset(station_ids, start, cycle)
    axis = pd.date_range(_naive(start) + pd.Timedelta(hours=1), _naive(cycle), freq="h")
    obs = obs.reindex({STATION: station_ids, TIME: axis})
    for pollutant in POLLUTANTS:
        if pollutant not in obs:
            obs[pollutant] = ((STATION, TIME), np.full((len(station_ids), len(axis)), np.nan))
    return obs[list(POLLUTANTS)]


def cycle_inputs(
    archive: ObservationArchive,
    registry: StationRegistry,
    stations: list[Station],
    cycle: pd.Timestamp,
    cube: xr.Dataset | None,
    history_days: int,
) -> FeatureInputs:
    """Everything :func:`features.table.build_feature_table` needs for one cycle (climatology excluded:
    each model brings its own). The observations are each station's own (see
    :func:`borrow_neighbour_history` for silent stations)."""
    ids = [s.id for s in stations]
    observations = observations_before(archive, ids, cycle, history_days)
    observed_met, _ = station_met(archive, registry, ids, cycle - pd.Timedelta(days=history_days), cycle)
    forecast_met = cube_on_time(cube, list(MET_INPUT_VARIABLES)) if cube is not None else None
    return FeatureInputs(
        observations=observations,
        stations=stations,
        met=observed_then_forecast(observed_met, forecast_met, cycle),
        ctm=cube_on_time(cube, [f"ctm_{p}" for p in POLLUTANTS]) if cube is not None else None,
        profile=cube_on_time(cube, list(PROFILE_COLUMNS)) if cube is not None else None,
    )


def _distance_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (np.radians(x) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def borrow_neighbour_history(
    observations: xr.Dataset, stations: list[Station], cycle: pd.Timestamp, max_age_h: float, radius_km: float
) -> tuple[xr.Dataset, dict[str, tuple[str, float]]]:
    """Observations where each station without a value in the last ``max_age_h`` hours takes the history
    of its nearest station within ``radius_km`` that has one (same kind of station preferred).

    Returns the new observations and ``{silent station: (neighbour, distance_km)}``. Only the model
    inputs change: health, alerts and the observed VN_AQI still use each station's own data.
    """
    recent = observations[TIME].values > _naive(cycle).to_datetime64() - np.timedelta64(int(max_age_h), "h")
    fresh = np.zeros(observations.sizes[STATION], dtype=bool)
    for pollutant in observations.data_vars:
        fresh |= np.isfinite(observations[pollutant].values[:, recent]).any(axis=1)
    if fresh.all() or not fresh.any():
        return observations, {}
    by_id = {s.id: s for s in stations}
    ids = [str(s) for s in observations[STATION].values]
    lat = np.array([by_id[s].latitude for s in ids])
    lon = np.array([by_id[s].longitude for s in ids])
    out = observations.copy(deep=True)
    borrowed: dict[str, tuple[str, float]] = {}
    for i in np.flatnonzero(~fresh):
        distance = _distance_km(lat[i], lon[i], lat, lon)
        same_type = np.array([by_id[s].station_type == by_id[ids[i]].station_type for s in ids])
        candidates = np.flatnonzero(fresh & (distance <= radius_km))
        if candidates.size == 0:
            continue
        best = candidates[np.lexsort((distance[candidates], ~same_type[candidates]))[0]]
        for pollutant in out.data_vars:
            out[pollutant].values[i] = observations[pollutant].values[best]
        borrowed[ids[i]] = (ids[best], float(distance[best]))
    return out, borrowed
