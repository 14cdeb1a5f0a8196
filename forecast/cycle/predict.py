"""Correctors → the forecast cube of a cycle.

Forecast cube
    dims ``(station, lead)`` with ``valid_time(lead)``; per pollutant ``<p>`` (the mean forecast) and
    ``<p>_q10``, ``<p>_q50``, ``<p>_q90`` [µg/m³]; per station ``has_met`` (met at every lead),
    ``no_met_leads`` (leads forecast by the no-met fallback) and ``has_recent_obs``; attrs
    ``issue_time``, ``method``, ``units``.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import CONCENTRATION_UNITS, LEAD, STATION
from features.climatology import climatology_at
from features.table import FeatureInputs, build_feature_table
from forecast.baselines import empty_cube
from forecast.corrector import CorrectorModel, met_absent

logger = logging.getLogger(__name__)

QUANTILES = ("q10", "q50", "q90")


def _spec_key(model: CorrectorModel) -> str:
    return json.dumps(model.spec.model_dump(), sort_keys=True, default=str)


def corrector_cube(
    models: dict[str, CorrectorModel], inputs: FeatureInputs, cycle: pd.Timestamp, leads: int = 72
) -> xr.Dataset:
    """Forecast cube of every model's pollutant for one cycle (one feature table per distinct spec)."""
    ids = [s.id for s in inputs.stations]
    cube = empty_cube(ids, cycle, leads, "LightGBM corrector (champion)")
    n_station = len(ids)
    groups: dict[str, list[str]] = {}
    for pollutant, model in models.items():
        groups.setdefault(_spec_key(model), []).append(pollutant)
    flags: dict[str, np.ndarray] = {}
    for pollutants in groups.values():
        first = models[pollutants[0]]
        table = build_feature_table(
            FeatureInputs(**{**inputs.__dict__, "climatology": first.climatology}),
            pd.DatetimeIndex([cycle]),
            first.spec,
            leads=range(1, leads + 1),
            with_targets=False,
        )
        valid = pd.DatetimeIndex(table["valid_time"].iloc[:leads]).tz_convert("UTC").tz_localize(None).to_numpy()
        for pollutant in pollutants:
            model = models[pollutant]
            if model.climatology is not None:
                table[f"{pollutant}_climatology"] = (
                    climatology_at(model.climatology, ids, valid, "mean", pollutant).reshape(-1).astype(np.float32)
                )
            predicted = model.predict(table)
            cube[pollutant] = ((STATION, LEAD), predicted["forecast"].to_numpy(float).reshape(n_station, leads))
            for q in QUANTILES:
                cube[f"{pollutant}_{q}"] = ((STATION, LEAD), predicted[q].to_numpy(float).reshape(n_station, leads))
            for name in (pollutant, *(f"{pollutant}_{q}" for q in QUANTILES)):
                cube[name].attrs.update(units=CONCENTRATION_UNITS)
        if first.spec.uses_met:
            absent = np.asarray(met_absent(table)).reshape(n_station, leads)
            flags["no_met_leads"] = absent.sum(axis=1)
        flags["has_recent_obs"] = table["has_recent_obs"].to_numpy().reshape(n_station, leads)[:, 0].astype(bool)
    cube["no_met_leads"] = (STATION, flags.get("no_met_leads", np.full(n_station, leads)).astype(int))
    cube["has_met"] = (STATION, cube["no_met_leads"].values == 0)
    cube["has_recent_obs"] = (STATION, flags.get("has_recent_obs", np.zeros(n_station, bool)))
    return cube
