"""Correctors → the forecast cube of a cycle.

Forecast cube
    dims ``(station, lead)`` with ``valid_time(lead)``; per pollutant ``<p>`` (the mean forecast) and
    ``<p>_q10``, ``<p>_q50``, ``<p>_q90`` [µg/m³]; per station ``has_met`` (met at every lead),
    ``no_met_leads`` (leads forecast by the no-met fallback) and ``has_recent_obs``; attrs
    ``issue_time``, ``method``, ``units``.
    With drivers (the default), for ``pm25`` (else the first LightGBM model) when its champion is a
    LightGBM corrector: ``driver_<family>`` and ``driver_anchor`` [µg/m³], the contribution of each feature
    family to the mean forecast (:mod:`forecast.cycle.drivers`); attrs ``drivers_pollutant``,
    ``drivers_method``. An LSTM or a blend has no such split: when it forecasts ``pm25`` the cube has no
    ``driver_*`` variables (the forecast document then carries no contributions).

Champions of every kind (:mod:`forecast.model_kinds`)
    LightGBM correctors predict from one feature table per distinct spec (as they always did). An LSTM or
    a blend forecasts long rows (:meth:`forecast.blend.RowForecaster.forecast_rows`) once per loaded
    object, for all the pollutants it is champion for; the rows are laid out on the cube's axes (station
    order of ``inputs.stations``; NaN where a station or lead has no row). What a blend did instead of a
    failed or missing component (``rows.attrs["fallbacks"]``), and a model that failed outright (its
    pollutants are then left out of the cube, for the baseline), are appended to ``fallbacks``.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import CONCENTRATION_UNITS, LEAD, STATION
from features.climatology import climatology_at
from features.spec import FeatureSpec
from features.table import FeatureInputs, build_feature_table
from forecast.baselines import empty_cube
from forecast.corrector import CorrectorModel, met_absent
from forecast.cycle.drivers import add_drivers_to_cube, driver_contributions
from forecast.model_kinds import AnyCorrector, as_row_forecaster, describe, model_specs

logger = logging.getLogger(__name__)

QUANTILES = ("q10", "q50", "q90")
VALUE_COLUMNS = ("forecast", *QUANTILES)
"""Columns of forecast rows laid out as ``<p>`` (the mean) and ``<p>_<quantile>``."""


def _spec_key(model: CorrectorModel) -> str:
    return json.dumps(model.spec.model_dump(), sort_keys=True, default=str)


def _drivers_pollutant(models: dict[str, AnyCorrector]) -> str | None:
    """The pollutant whose forecast the bulletin explains: pm25 when it has a model (of any kind: an LSTM or a
    blend gets no drivers), else the first LightGBM one."""
    if "pm25" in models:
        return "pm25"
    return next((p for p, m in models.items() if isinstance(m, CorrectorModel)), None)


def method_label(models: dict[str, AnyCorrector]) -> str:
    """``champion correctors: pm25 blend (lightgbm + lstm), pm10 LightGBM``."""
    return "champion correctors: " + ", ".join(f"{p} {describe(m)}" for p, m in models.items())


def _add_drivers(cube: xr.Dataset, model: CorrectorModel, table: pd.DataFrame, leads: int, stride: int) -> None:
    """Family contributions of ``model``'s mean forecast into the cube; a failure is logged, never fatal."""
    try:
        drivers = driver_contributions(model, table, cube.sizes[STATION], leads, lead_stride=stride)
    except Exception:  # the explanation is optional: never lose a forecast over it
        logger.exception("drivers of %s not computed; the cube has no driver_* variables", model.pollutant)
        return
    add_drivers_to_cube(cube, drivers)


def _put(cube: xr.Dataset, pollutant: str, values: dict[str, np.ndarray]) -> None:
    """``<p>`` and ``<p>_<q>`` (station, lead) [µg/m³] from ``{"forecast"|q: array}``."""
    for column in VALUE_COLUMNS:
        name = pollutant if column == "forecast" else f"{pollutant}_{column}"
        cube[name] = ((STATION, LEAD), np.asarray(values[column], dtype=float))
        cube[name].attrs.update(units=CONCENTRATION_UNITS)


def rows_on_cube(
    rows: pd.DataFrame, pollutant: str, station_ids: list[str], cycle: pd.Timestamp, leads: int
) -> dict[str, np.ndarray]:
    """``pollutant``'s forecast rows of issue ``cycle`` as (station, lead) arrays per value column [µg/m³],
    stations in ``station_ids`` order, leads 1 … ``leads``; NaN where the rows have no value."""
    issue = pd.to_datetime(rows["issue_time"], utc=True)
    mine = rows[(rows["pollutant"].astype(str) == pollutant).to_numpy() & (issue == cycle).to_numpy()]
    station = pd.Index(station_ids).get_indexer(mine["station_id"].astype(str))
    lead = mine["lead_h"].to_numpy(dtype=np.int64) - 1
    keep = (station >= 0) & (lead >= 0) & (lead < leads)
    out = {}
    for column in VALUE_COLUMNS:
        values = np.full((len(station_ids), leads), np.nan)
        values[station[keep], lead[keep]] = mine[column].to_numpy(dtype=float)[keep]
        out[column] = values
    return out


def _flags_from(table: pd.DataFrame, spec: FeatureSpec, n_station: int, leads: int, flags: dict) -> None:
    """``no_met_leads`` (when the spec reads met) and ``has_recent_obs`` per station from a feature table."""
    if spec.uses_met:
        flags["no_met_leads"] = np.asarray(met_absent(table)).reshape(n_station, leads).sum(axis=1)
    flags["has_recent_obs"] = table["has_recent_obs"].to_numpy().reshape(n_station, leads)[:, 0].astype(bool)


def _by_object(models: dict[str, AnyCorrector]) -> list[tuple[AnyCorrector, list[str]]]:
    """(model, the pollutants it is champion for), one entry per distinct loaded object."""
    groups: dict[int, tuple[AnyCorrector, list[str]]] = {}
    for pollutant, model in models.items():
        groups.setdefault(id(model), (model, []))[1].append(pollutant)
    return list(groups.values())


def corrector_cube(
    models: dict[str, AnyCorrector],
    inputs: FeatureInputs,
    cycle: pd.Timestamp,
    leads: int = 72,
    *,
    with_drivers: bool = True,
    drivers_lead_stride: int = 1,
    fallbacks: list[dict[str, str]] | None = None,
) -> xr.Dataset:
    """Forecast cube of every model's pollutant for one cycle (module docstring).

    ``models`` maps a pollutant to its champion of any kind. ``with_drivers`` adds the feature-family
    contributions (see module docstring), split on every ``drivers_lead_stride``-th lead (others NaN; 2
    halves their cost). ``fallbacks``, when given, receives ``{"step", "detail"}`` notes: a blend's
    ``blend-component-failed`` / ``blend-component-missing`` …, and ``model-failed`` for an LSTM or a blend
    that could not forecast at all (its pollutants are then absent from the cube). A LightGBM corrector
    that fails raises, as before.
    """
    cycle = pd.Timestamp(cycle)
    cycle = cycle.tz_convert("UTC") if cycle.tzinfo is not None else cycle.tz_localize("UTC")  # naive = UTC
    ids = [s.id for s in inputs.stations]
    explained = _drivers_pollutant(models) if with_drivers else None
    cube = empty_cube(ids, cycle, leads, method_label(models))
    n_station = len(ids)
    notes = fallbacks if fallbacks is not None else []
    lightgbm = {p: m for p, m in models.items() if isinstance(m, CorrectorModel)}
    others = {p: m for p, m in models.items() if not isinstance(m, CorrectorModel)}
    groups: dict[str, list[str]] = {}
    for pollutant, model in lightgbm.items():
        groups.setdefault(_spec_key(model), []).append(pollutant)
    flags: dict[str, np.ndarray] = {}
    for pollutants in groups.values():
        first = lightgbm[pollutants[0]]
        table = build_feature_table(
            FeatureInputs(**{**inputs.__dict__, "climatology": first.climatology}),
            pd.DatetimeIndex([cycle]),
            first.spec,
            leads=range(1, leads + 1),
            with_targets=False,
        )
        valid = pd.DatetimeIndex(table["valid_time"].iloc[:leads]).tz_convert("UTC").tz_localize(None).to_numpy()
        for pollutant in pollutants:
            model = lightgbm[pollutant]
            if model.climatology is not None:
                table[f"{pollutant}_climatology"] = (
                    climatology_at(model.climatology, ids, valid, "mean", pollutant).reshape(-1).astype(np.float32)
                )
            predicted = model.predict(table)
            _put(cube, pollutant, {c: predicted[c].to_numpy(float).reshape(n_station, leads) for c in VALUE_COLUMNS})
            if pollutant == explained:
                _add_drivers(cube, model, table, leads, drivers_lead_stride)
        _flags_from(table, first.spec, n_station, leads, flags)
    if explained is not None and explained in others:
        logger.info("no drivers: %s is forecast by a %s, not a LightGBM corrector", explained,
                    describe(others[explained]))  # fmt: skip
    for model, pollutants in _by_object(others):
        label = f"{', '.join(pollutants)} ({describe(model)})"
        try:
            rows = as_row_forecaster(model).forecast_rows(inputs, [cycle])
        except Exception as exc:  # degrade, don't die: the runner gives these pollutants the baseline
            logger.exception("%s could not forecast; its pollutants get the baseline", label)
            notes.append({"step": "model-failed",
                          "detail": f"{label}: {type(exc).__name__}: {exc}; baseline forecast"})  # fmt: skip
            continue
        for note in rows.attrs.get("fallbacks") or []:
            step, detail = str(note.get("step", "model-fallback")), str(note.get("detail", ""))
            notes.append({"step": step, "detail": f"{label}: {detail}"})
        for pollutant in pollutants:
            _put(cube, pollutant, rows_on_cube(rows, pollutant, ids, cycle, leads))
        _row_model_flags(model, inputs, cycle, leads, n_station, flags)
    cube["no_met_leads"] = (STATION, flags.get("no_met_leads", np.full(n_station, leads)).astype(int))
    cube["has_met"] = (STATION, cube["no_met_leads"].values == 0)
    cube["has_recent_obs"] = (STATION, flags.get("has_recent_obs", np.zeros(n_station, bool)))
    return cube


def _row_model_flags(
    model: AnyCorrector, inputs: FeatureInputs, cycle: pd.Timestamp, leads: int, n_station: int, flags: dict
) -> None:
    """The station flags from a feature table of one of an LSTM's or a blend's specs (one that reads met, if
    any), unless the LightGBM correctors' tables already gave them."""
    specs = model_specs(model)
    spec = next((s for s in specs if s.uses_met), specs[0] if specs else None)
    if spec is None or ("has_recent_obs" in flags and ("no_met_leads" in flags or not spec.uses_met)):
        return
    table = build_feature_table(
        FeatureInputs(**{**inputs.__dict__, "climatology": None}),
        pd.DatetimeIndex([cycle]),
        spec,
        leads=range(1, leads + 1),
        with_targets=False,
    )
    _flags_from(table, spec, n_station, leads, flags)
