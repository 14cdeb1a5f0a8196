"""The forecast JSON document of a run (``forecast.json``), schema ``vnaqi.forecast/1``.

One document per run: for each station the latest observed VN_AQI, 72 hourly values (AQI, category,
dominant pollutant, concentrations and, where the method gives them, 10/50/90 % quantiles) and the
daily VN_AQI of D1–D3 with health advice in Vietnamese and English. Every time is ISO 8601 with the
offset of the local zone and every hourly value is hour-ending. Documented in docs/forecast-json.md.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from configs.networks import Station
from configs.schema import LEAD, POLLUTANTS, STATION, VALID_TIME
from forecast.aqi.categories import CATEGORIES, category_by_index
from forecast.forecast_aqi import ForecastAQI

SCHEMA_ID = "vnaqi.forecast/1"


def _num(value: Any, digits: int = 1) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, digits)


def _clean(value: float) -> float | None:
    """A rounded float for JSON (None for NaN)."""
    return None if value != value else float(value)


def _aqi(value: Any) -> int | None:
    value = _num(value, 0)
    return None if value is None else int(value)


def _local_iso(time: np.datetime64, tz: str) -> str:
    return pd.Timestamp(time).tz_localize("UTC").tz_convert(tz).isoformat()


def category_fields(index: int, with_advice: bool = False) -> dict[str, Any]:
    """Category number, names, colour (and advice) for a category index 1–6; nulls for 0."""
    if not index:
        return {"category": None, "category_vi": None, "category_en": None, "colour": None}
    cat = category_by_index(int(index))
    fields: dict[str, Any] = {
        "category": cat.index,
        "category_vi": cat.name_vi,
        "category_en": cat.name_en,
        "colour": cat.hex,
    }
    if with_advice:
        fields["advice"] = {
            "vi": {"general": cat.advice_general_vi, "sensitive": cat.advice_sensitive_vi},
            "en": {"general": cat.advice_general_en, "sensitive": cat.advice_sensitive_en},
        }
    return fields


def forecast_document(
    *,
    cycle: str,
    cube: xr.Dataset,
    aqi: ForecastAQI,
    observed_hourly: xr.Dataset,
    stations: dict[str, Station],
    tz: str,
    synthetic: bool,
    provenance: dict[str, Any],
    station_status: dict[str, dict[str, Any]] | None = None,
    category_probabilities: xr.DataArray | None = None,
    drivers: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Build the JSON-ready document of one run.

    ``station_status`` (station → flags such as ``no_recent_observations``, ``no_met_leads``) is shown
    as each station's ``status``; ``category_probabilities`` (dims station, day, category) adds
    ``category_probabilities`` (category 1…6 → probability) to each daily entry. ``drivers`` (station →
    per-day feature-family contributions and met diagnostics, :func:`forecast.cycle.drivers.daily_drivers`)
    is each station's ``drivers`` (empty when the run has none).

    ``observed_hourly`` is the engine's hourly VN_AQI of the observations (dims station, time); the
    last hour with an AQI at or before the issue time is reported as "observed".
    """
    issue = pd.Timestamp(cube.attrs["issue_time"])
    pollutants = [p for p in POLLUTANTS if p in cube.data_vars]
    quantile_names = [p for p in pollutants if f"{p}_q10" in cube]
    station_ids = [str(s) for s in cube[STATION].values]
    # Plain numpy arrays (station, lead) looked up once: per-element xarray indexing is ~100× slower.
    hourly_aqi = aqi.hourly.reindex({STATION: station_ids}).transpose(STATION, LEAD)
    h_aqi = np.round(hourly_aqi["aqi"].values.astype(float))
    h_cat = hourly_aqi["category"].values.astype(int)
    h_dom = hourly_aqi["dominant_pollutant"].values.astype(str)
    conc = {p: np.round(cube[p].transpose(STATION, LEAD).values.astype(float), 1) for p in pollutants}
    quant = {
        (p, q): np.round(cube[f"{p}_{q}"].transpose(STATION, LEAD).values.astype(float), 1)
        for p in quantile_names
        for q in ("q10", "q50", "q90")
    }
    valid_local = [_local_iso(t, tz) for t in cube[VALID_TIME].values]
    leads = [int(x) for x in cube[LEAD].values]
    hourly_categories = {k: category_fields(k) for k in range(len(CATEGORIES) + 1)}
    daily = aqi.daily.reindex({STATION: station_ids}).transpose(STATION, "day")
    obs_aqi_all = observed_hourly["aqi"].sel(time=slice(None, np.datetime64(issue.tz_convert("UTC").tz_localize(None))))
    docs = []
    for k, sid in enumerate(station_ids):
        station = stations[sid]
        observed = None
        if sid in observed_hourly[STATION].values:
            obs_aqi = obs_aqi_all.sel({STATION: sid}).dropna("time")
            if obs_aqi.sizes["time"]:
                t = obs_aqi["time"].values[-1]
                row = observed_hourly.sel({STATION: sid, "time": t})
                observed = {
                    "time": _local_iso(t, tz),
                    "aqi": _aqi(row["aqi"]),
                    **category_fields(int(row["category"])),
                    "dominant_pollutant": str(row["dominant_pollutant"].item()) or None,
                }
        hourly = []
        for i, lead in enumerate(leads):
            entry = {
                "lead": lead,
                "valid_time": valid_local[i],
                "aqi": None if math.isnan(h_aqi[k, i]) else int(h_aqi[k, i]),
                **hourly_categories[int(h_cat[k, i])],
                "dominant_pollutant": h_dom[k, i] or None,
                "concentrations": {p: _clean(conc[p][k, i]) for p in pollutants},
            }
            if quantile_names:
                entry["quantiles"] = {
                    p: {q: _clean(quant[p, q][k, i]) for q in ("q10", "q50", "q90")} for p in quantile_names
                }
            hourly.append(entry)
        days = []
        d = daily.isel({STATION: k})
        probs = category_probabilities.sel({STATION: sid}) if category_probabilities is not None else None
        for j, day in enumerate(d["day"].values):
            entry_probs = None
            if probs is not None and np.isfinite(probs.values[j]).all():
                entry_probs = {
                    str(int(c)): round(float(v), 3)
                    for c, v in zip(probs["category"].values, probs.values[j], strict=True)
                }
            days.append(
                {
                    "day": str(day),
                    "date": str(d["date"].values[j]),
                    "aqi": _aqi(d["aqi"].values[j]),
                    **category_fields(int(d["category"].values[j]), with_advice=True),
                    "dominant_pollutant": str(d["dominant_pollutant"].values[j]) or None,
                    "observed_hours": int(d["observed_hours"].values[j]),
                    "forecast_hours": int(d["forecast_hours"].values[j]),
                    "category_probabilities": entry_probs,
                }
            )
        docs.append(
            {
                "id": sid,
                "name_vi": station.name_vi,
                "name_en": station.name_en,
                "province": station.province,
                "latitude": station.latitude,
                "longitude": station.longitude,
                "observed": observed,
                "status": (station_status or {}).get(sid, {}),
                "hourly": hourly,
                "daily": days,
                "drivers": (drivers or {}).get(sid, []),
            }
        )
    return {
        "schema": SCHEMA_ID,
        "synthetic": synthetic,
        "cycle": cycle,
        "issue_time": issue.isoformat(),
        "method": cube.attrs.get("method"),
        "time_zone": tz,
        "time_convention": "hour-ending; daily = local hours 01:00-00:00 (Decision 1459/QĐ-TCMT)",
        "units": {"concentration": "µg/m³", "aqi": "VN_AQI (Decision 1459/QĐ-TCMT)"},
        "provenance": provenance,
        "stations": docs,
    }
