"""Feature tables ``(issue_time, station, lead)`` for training, hindcasts and the operational cycle.

One function, :func:`build_feature_table`, serves all three: it takes hourly observations (and
met, CTM, profile diagnostics where available) on a regular hour-ending UTC axis, a list of issue
times and a :class:`features.spec.FeatureSpec`, and returns one row per issue time, station and
lead, vectorised over all of them. Which of the columns a corrector uses is
:func:`model_columns`.

Output columns
--------------
``issue_time`` [UTC, tz-aware], ``station_id`` (categorical), ``lead_h`` [h, 1 … 72],
``valid_time`` [UTC, hour-ending]; history features per pollutant (``<p>_last``, ``<p>_mean_24h`` …
[µg/m³]), valid-time met (:data:`features.met.MET_COLUMNS`), profile diagnostics, ``ctm_<p>``
[µg/m³], calendar (:data:`features.calendar.CALENDAR_COLUMNS`), station attributes,
``<p>_climatology`` [µg/m³]; flags ``has_met``, ``has_ctm``, ``has_recent_obs``; and with
``with_targets`` the observation at the valid time ``<p>_observed`` [µg/m³] — a *target*, never a
feature.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args

import numpy as np
import pandas as pd
import xarray as xr

from configs.networks import Station, StationType
from configs.schema import STATION, TIME
from features.calendar import CALENDAR_COLUMNS, calendar_fields
from features.climatology import climatology_at
from features.history import history_at_issues, history_columns, lead_history_columns, same_hour_previous_day
from features.met import MET_COLUMNS, PROFILE_COLUMNS, hourly_met_fields, met_at_valid_times
from features.perturb import perturb_met
from features.spec import FeatureSpec

logger = logging.getLogger(__name__)

KEY_COLUMNS = ("issue_time", "station_id", "lead_h", "valid_time")
STATION_COLUMNS = ("latitude", "longitude", "elevation_m", "station_type_code")
FLAG_COLUMNS = ("has_met", "has_ctm", "has_recent_obs")
HISTORY_PAD_HOURS = 48
STATION_TYPES = list(get_args(StationType))


@dataclass
class FeatureInputs:
    """Everything a feature table is built from; all on hour-ending UTC axes (tz-naive datetime64).

    Attributes
    ----------
    observations : Dataset (station, time)
        One variable per pollutant [µg/m³], NaN where missing or failing QC.
    stations : list of Station
        The stations to build rows for (observations may lack some: their history is NaN).
    met : Dataset (station, time), optional
        Met per station (archive keys and units); observed, or observed up to the issue time followed by
        the forecast. Indexed by the air-quality station id (already mapped to its weather station).
    ctm : Dataset (station, time), optional
        ``ctm_<pollutant>`` [µg/m³] at valid times (forecast mode).
    profile : Dataset (station, time), optional
        :data:`features.met.PROFILE_COLUMNS` at valid times (forecast mode).
    climatology : Dataset (station, month, hour), optional
        A :func:`features.climatology.fit_climatology` table (fitted on data before the issue times).
    """

    observations: xr.Dataset
    stations: list[Station]
    met: xr.Dataset | None = None
    ctm: xr.Dataset | None = None
    profile: xr.Dataset | None = None
    climatology: xr.Dataset | None = None


def model_columns(spec: FeatureSpec, target: str) -> list[str]:
    """Feature columns a corrector for ``target`` uses (fixed by the spec, so fit and predict agree)."""
    columns = ["lead_h", *history_columns(target, spec), *lead_history_columns(target)]
    columns += [f"{p}_{stat}" for p in spec.pollutants if p != target for stat in ("last", "mean_24h")]
    if spec.climatology:
        columns.append(f"{target}_climatology")
    if spec.uses_met:
        columns += [*MET_COLUMNS, "has_met"]
    if spec.met_mode == "forecast":
        columns += [*PROFILE_COLUMNS, f"ctm_{target}", "has_ctm"]
    if spec.calendar:
        columns += list(CALENDAR_COLUMNS)
    if spec.station_attributes:
        columns += list(STATION_COLUMNS)
    return columns


def _time_axis(issue_times: pd.DatetimeIndex, max_lead: int) -> np.ndarray:
    start = issue_times.min() - pd.Timedelta(hours=HISTORY_PAD_HOURS + 24 * 8)
    end = issue_times.max() + pd.Timedelta(hours=max_lead)
    return pd.date_range(start, end, freq="h").tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")


def _on_axis(ds: xr.Dataset | None, names: Sequence[str], station_ids: list[str], axis: np.ndarray) -> dict:
    """Variables of ``ds`` as (station, time) float arrays on ``axis``; absent → missing from the dict."""
    if ds is None:
        return {}
    aligned = ds.reindex({STATION: station_ids, TIME: axis})
    return {n: aligned[n].transpose(STATION, TIME).values.astype(float) for n in names if n in aligned}


def _issue_index(issue_times: pd.DatetimeIndex, axis: np.ndarray) -> np.ndarray:
    naive = issue_times.tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")
    index = np.searchsorted(axis, naive)
    if np.any(axis[np.minimum(index, len(axis) - 1)] != naive):
        raise ValueError("issue times must be on the hour")
    return index


def normalise_issue_times(issue_times: Sequence | pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Sorted unique UTC issue times; naive values are refused (say which zone you mean)."""
    times = pd.DatetimeIndex(issue_times)
    if len(times) and times.tz is None:
        raise ValueError("issue times need a time zone (UTC), e.g. 2016-03-01T00:00Z")
    times = times.tz_convert("UTC").unique().sort_values()
    if len(times) and np.any(times != times.floor("h")):
        raise ValueError("issue times must be on the hour")
    return times


def build_feature_table(
    inputs: FeatureInputs,
    issue_times: Sequence | pd.DatetimeIndex,
    spec: FeatureSpec,
    *,
    leads: Sequence[int] | None = None,
    with_targets: bool = True,
) -> pd.DataFrame:
    """One row per issue time × station × lead with every feature of :func:`model_columns`.

    Parameters
    ----------
    inputs : FeatureInputs
        Observations, stations and (optionally) met, CTM, profile diagnostics and climatology.
    issue_times : sequence of tz-aware times
        Forecast issue times (UTC, on the hour).
    spec : FeatureSpec
        Windows, met mode (``perfect``/``perturbed`` use ``inputs.met`` at the valid time, ``none``
        ignores it, ``forecast`` also uses CTM and profile) and which groups to include.
    leads : sequence of int, optional
        Leads [h] to build (default 1 … ``spec.max_lead_hours``); training may thin them.
    with_targets : bool
        Add ``<pollutant>_observed`` at the valid time (NaN when unknown or after the archive).

    Returns
    -------
    pandas.DataFrame
        Rows ordered by issue time, station, lead; feature columns float32.
    """
    times = normalise_issue_times(issue_times)
    lead = np.asarray(leads if leads is not None else range(1, spec.max_lead_hours + 1), dtype=int)
    stations = list(inputs.stations)
    ids = [s.id for s in stations]
    n_issue, n_station, n_lead = len(times), len(stations), len(lead)
    if n_issue == 0 or n_station == 0:
        raise ValueError("a feature table needs at least one issue time and one station")
    axis = _time_axis(times, int(lead.max()))
    issue_index = _issue_index(times, axis)
    obs = _on_axis(inputs.observations, spec.pollutants, ids, axis)
    nan_field = np.full((n_station, len(axis)), np.nan)

    columns: dict[str, np.ndarray] = {}

    def per_issue(name: str, values: np.ndarray) -> None:  # (issue, station) → rows
        columns[name] = np.repeat(values.astype(np.float32).reshape(-1), n_lead)

    def per_valid(name: str, values: np.ndarray) -> None:  # (issue, station, lead) → rows
        columns[name] = values.astype(np.float32).reshape(-1)

    def at_valid(field: np.ndarray) -> np.ndarray:  # (station, time) → (issue, station, lead)
        return field[:, issue_index[:, None] + lead[None, :]].transpose(1, 0, 2)

    for pollutant in spec.pollutants:
        values = obs.get(pollutant, nan_field)
        for name, arr in history_at_issues(values, issue_index, pollutant, spec).items():
            per_issue(name, arr)
        per_valid(f"{pollutant}_same_hour_prev_day", same_hour_previous_day(values, issue_index, lead))
        if inputs.climatology is not None:
            clim = climatology_at(inputs.climatology, ids, axis, "mean", pollutant)
            per_valid(f"{pollutant}_climatology", at_valid(clim))
        else:
            per_valid(f"{pollutant}_climatology", np.full((n_issue, n_station, n_lead), np.nan))
        if with_targets:
            per_valid(f"{pollutant}_observed", at_valid(values))

    met_fields = _on_axis(inputs.met, list(inputs.met.data_vars) if inputs.met is not None else [], ids, axis)
    if spec.uses_met and met_fields:
        met = met_at_valid_times(hourly_met_fields(met_fields, spec.met_window_hours), issue_index, lead)
        if spec.met_mode == "perturbed":
            met = perturb_met(met, times, lead, spec.perturbation)
    else:
        met = {name: np.full((n_issue, n_station, n_lead), np.nan) for name in MET_COLUMNS}
    for name in MET_COLUMNS:
        per_valid(name, met[name])
    has_met = np.isfinite(met["t2m"]).any(axis=2) | np.isfinite(met["ws10"]).any(axis=2)
    per_issue("has_met", has_met)

    profile = _on_axis(inputs.profile, PROFILE_COLUMNS, ids, axis)
    for name in PROFILE_COLUMNS:
        per_valid(name, at_valid(profile.get(name, nan_field)))
    ctm = _on_axis(inputs.ctm, [f"ctm_{p}" for p in spec.pollutants], ids, axis)
    has_ctm = np.zeros((n_issue, n_station), dtype=bool)
    for pollutant in spec.pollutants:
        values = at_valid(ctm.get(f"ctm_{pollutant}", nan_field))
        has_ctm |= np.isfinite(values).any(axis=2)
        per_valid(f"ctm_{pollutant}", values)
    per_issue("has_ctm", has_ctm)

    if spec.calendar:
        for name, field in calendar_fields(stations, axis, spec.emission_factors).items():
            per_valid(name, at_valid(field))
    attributes = np.array(
        [
            [
                s.latitude,
                s.longitude,
                np.nan if s.elevation_m is None else s.elevation_m,
                STATION_TYPES.index(s.station_type),
            ]
            for s in stations
        ]
    )
    for k, name in enumerate(STATION_COLUMNS):
        per_issue(name, np.broadcast_to(attributes[:, k], (n_issue, n_station)))
    recent = np.zeros((n_issue * n_station,), dtype=bool)
    for pollutant in spec.pollutants:
        recent |= np.isfinite(columns[f"{pollutant}_last"][::n_lead])
    per_issue("has_recent_obs", recent.reshape(n_issue, n_station))

    keys = {
        "issue_time": times.repeat(n_station * n_lead),
        "station_id": pd.Categorical(np.tile(np.repeat(np.array(ids, dtype=object), n_lead), n_issue), categories=ids),
        "lead_h": np.tile(lead.astype(np.int16), n_issue * n_station),
    }
    frame = pd.DataFrame({**keys, **columns})
    frame.insert(3, "valid_time", frame["issue_time"] + pd.to_timedelta(frame["lead_h"].astype(np.int64), unit="h"))
    frame.attrs.update(met_mode=spec.met_mode, perfect_prognosis=spec.met_mode in ("perfect", "perturbed"))
    logger.debug(
        "feature table: %d issues × %d stations × %d leads, %d columns", n_issue, n_station, n_lead, frame.shape[1]
    )
    return frame
