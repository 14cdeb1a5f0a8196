"""Correctors → the forecast cube of a cycle.

Forecast cube
    dims ``(station, lead)`` with ``valid_time(lead)``; per pollutant ``<p>`` (the mean forecast) and
    ``<p>_q10``, ``<p>_q50``, ``<p>_q90`` [µg/m³]; per station ``has_met`` (met at every lead),
    ``no_met_leads`` (leads forecast by the no-met fallback) and ``has_recent_obs``; attrs
    ``issue_time``, ``method``, ``units``.
    With drivers (the default), for ``pm25`` (else the first model): ``driver_<family>`` and
    ``driver_anchor`` [µg/m³], the contribution of each feature family to the mean forecast
    (:mod:`forecast.cycle.drivers`); attrs ``drivers_pollutant``, ``drivers_method``.
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
from forecast.cycle.drivers import add_drivers_to_cube, driver_contributions

logger = logging.getLogger(__name__)

QUANTILES = ("q10", "q50", "q90")


def _spec_key(model: CorrectorModel) -> str:
    return json.dumps(model.spec.model_dump(), sort_keys=True, default=str)


def _drivers_pollutant(models: dict[str, CorrectorModel]) -> str | None:
    """The pollutant whose forecast the bulletin explains: pm25 when it has a model, else the first."""
    return "pm25" if "pm25" in models else next(iter(models), None)


def _add_drivers(cube: xr.Dataset, model: CorrectorModel, table: pd.DataFrame, leads: int, stride: int) -> None:
    """Family contributions of ``model``'s mean forecast into the cube; a failure is logged, never fatal."""
    try:
        drivers = driver_contributions(model, table, cube.sizes[STATION], leads, lead_stride=stride)
    except Exception:  # the explanation is optional: never lose a forecast over it
        logger.exception("drivers of %s not computed; the cube has no driver_* variables", model.pollutant)
        return
    add_drivers_to_cube(cube, drivers)


def corrector_cube(
    models: dict[str, CorrectorModel],
    inputs: FeatureInputs,
    cycle: pd.Timestamp,
    leads: int = 72,
    *,
    with_drivers: bool = True,
    drivers_lead_stride: int = 1,
) -> xr.Dataset:
    """Forecast cube of every model's pollutant for one cycle (one feature table per distinct spec).

    ``with_drivers`` adds the feature-family contributions (see module docstring), split on every
    ``drivers_lead_stride``-th lead (others NaN; 2 halves their cost).
    """
    ids = [s.id for s in inputs.stations]
    explained = _drivers_pollutant(models) if with_drivers else None
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
            if pollutant == explained:
                _add_drivers(cube, model, table, leads, drivers_lead_stride)
        if first.spec.uses_met:
            absent = np.asarray(met_absent(table)).reshape(n_station, leads)
            flags["no_met_leads"] = absent.sum(axis=1)
        flags["has_recent_obs"] = table["has_recent_obs"].to_numpy().reshape(n_station, leads)[:, 0].astype(bool)
    cube["no_met_leads"] = (STATION, flags.get("no_met_leads", np.full(n_station, leads)).astype(int))
    cube["has_met"] = (STATION, cube["no_met_leads"].values == 0)
    cube["has_recent_obs"] = (STATION, flags.get("has_recent_obs", np.zeros(n_station, bool)))
    return cube
