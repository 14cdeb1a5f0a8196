"""Why the forecast is what it is: per-family contributions of the corrector's features, and daily drivers.

Every feature column a corrector can use belongs to one *driver family* (:data:`FEATURE_FAMILIES`):
night-time inversion and stability, wind and ventilation, rain, humidity, temperature and radiation,
pressure, emissions and burning, CTM, recent observations, climatology, calendar, station. The bulletin
names the families that drive a notable change (:mod:`bulletins.why`).

Contributions
    The mean booster predicts in *model space* (``ratio``: ``r̂ = (y + c) / (base + c)``, see
    :mod:`forecast.corrector`). Its raw prediction is split per feature, ``r̂ = φ₀ + Σ φ_j``, and the
    features summed per family. Both back-transforms are linear in ``r̂`` for a given row, so the split is
    carried to µg/m³ exactly::

        forecast = anchor + Σ_family C_family            (before the clip at 0 µg/m³)
        C_family = w · s · Σ_{j ∈ family} φ_j            s = from_target(1) − from_target(0) = base + c (ratio)
        anchor   = w · from_target(φ₀) + (1 − w) · clim  w = the climatology blend weight of the lead

    i.e. a family's contribution is how far it moves the issued mean forecast from the *anchor* (the
    model's base — the mean of the last 24 h observed for today's correctors — blended towards
    climatology as skill fades). Rows without met are split with the no-met fallback model, as they are
    forecast by it.

Attribution method
    ``path`` (default): each tree's output is split along the decision path of the row, feature ``j``
    receiving ``mean(child) − mean(node)`` at each of its splits, node means weighted by the training rows
    (Saabas; XGBoost's ``approx_contribs``). Exactly additive with the same ``φ₀`` as TreeSHAP, and as
    fast as one more prediction (``pred_leaf``). ``shap``: LightGBM's exact TreeSHAP (``pred_contrib``),
    consistent but 30–100× slower — 82 s for a 300-tree, 31-leaf booster on 1,000 stations × 72 leads on
    two cores, against a budget of a few seconds — so the cycle uses ``path`` and tests compare the two.

Daily drivers (:func:`daily_drivers`)
    Per station and day D1–D3 (local days of the daily VN_AQI, hours stamped 01:00 … 00:00, D1 as in
    :func:`forecast.forecast_aqi.forecast_days`): the mean contribution of each family over the day's
    forecast hours and met diagnostics of that day, JSON-ready.
"""

from __future__ import annotations

import logging
import math
import re
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import CONCENTRATION_UNITS, LEAD, POLLUTANTS, STATION, TIME, VALID_TIME
from features.met import magnus_rh
from forecast.corrector import CorrectorModel, base_forecast, from_target, met_absent
from forecast.cycle.inputs import cube_on_time
from forecast.forecast_aqi import forecast_days

logger = logging.getLogger(__name__)

Method = Literal["path", "shap"]

FAMILIES: tuple[str, ...] = (
    "inversion_stability",
    "wind_ventilation",
    "rain",
    "humidity",
    "temperature_radiation",
    "pressure",
    "emissions_burning",
    "ctm",
    "recent_observations",
    "climatology",
    "calendar_time",
    "station_data",
    "other",
)
"""Driver families, in the order they are stored and listed; ``other`` holds unknown columns."""

FAMILY_DESCRIPTIONS: dict[str, str] = {
    "inversion_stability": "night-time inversion and surface stability (inversion diagnostics, stability proxies)",
    "wind_ventilation": "wind, boundary-layer height and ventilation",
    "rain": "precipitation",
    "humidity": "humidity and dew point",
    "temperature_radiation": "temperature, cloud cover and solar radiation",
    "pressure": "surface pressure and its tendency",
    "emissions_burning": "emission timing: traffic, residential, industry factors, open burning, Tết, holidays",
    "ctm": "chemistry-transport model (CAMS) concentrations",
    "recent_observations": "observations known at the issue time (last values, window means, trends)",
    "climatology": "station climatology at the valid time",
    "calendar_time": "lead time, local hour, weekday, month, day of year",
    "station_data": "station attributes and data-availability flags",
    "other": "features matching no family (should be empty)",
}

_P = "(?:" + "|".join(POLLUTANTS) + ")"
FEATURE_FAMILIES: dict[str, str] = {
    # inversion and stability (profile diagnostics from the station cube; surface proxies from features.met)
    r"inversion_(?:flag|strength_k|base_m)": "inversion_stability",
    r"lapse_\w+": "inversion_stability",
    r"nocturnal_stability_proxy": "inversion_stability",
    r"stagnation_(?:proxy|index)": "inversion_stability",
    r"t2m_range_24h": "inversion_stability",
    # wind and ventilation
    r"ws\d+(?:_\w+)?": "wind_ventilation",
    r"wd\d+": "wind_ventilation",
    r"[uv]\d+": "wind_ventilation",
    r"wind_\w+": "wind_ventilation",
    r"blh": "wind_ventilation",
    r"ventilation_coefficient_m2_s": "wind_ventilation",
    r"calm_fraction_since_issue": "wind_ventilation",
    # rain
    r"tp(?:_\w+)?": "rain",
    r"rain_\w+": "rain",
    # humidity
    r"rh2m(?:_\w+)?": "humidity",
    r"d2m(?:_\w+)?": "humidity",
    r"dewpoint_\w+": "humidity",
    # temperature and radiation
    r"t2m": "temperature_radiation",
    r"t2m_change_since_issue": "temperature_radiation",
    r"t\d{3,4}": "temperature_radiation",
    r"tcc": "temperature_radiation",
    r"ssrd": "temperature_radiation",
    # pressure
    r"pressure_\w+": "pressure",
    r"sp|msl": "pressure",
    r"gh\d+": "pressure",
    # emissions, burning, Tết and holidays (features.calendar.EMISSION_COLUMNS, met_inputs.emissions)
    r"emission_\w+": "emissions_burning",
    r"burning_season": "emissions_burning",
    r"is_tet|is_holiday": "emissions_burning",
    # chemistry-transport model
    r"ctm_\w+": "ctm",
    r"has_ctm": "ctm",
    # observations known at the issue time (features.history)
    rf"{_P}_(?:last|last_age_h|mean_\d+h|n_valid_24h|trend_3h|mean_24h_prev_day|same_hour_prev_day)": (
        "recent_observations"
    ),
    rf"(?:{_P}_)?nowcast(?:_\w+)?": "recent_observations",
    # climatology
    rf"{_P}_climatology": "climatology",
    # calendar and lead
    r"lead_h": "calendar_time",
    r"(?:hour|weekday|month)_local": "calendar_time",
    r"doy_(?:sin|cos)": "calendar_time",
    # station attributes and data flags
    r"latitude|longitude|elevation_m|station_type_code": "station_data",
    r"has_met|has_recent_obs": "station_data",
}
"""Feature-name regular expression (whole name) → family. Patterns are disjoint: every real feature column
matches exactly one (tested on the columns of every spec); a name matching none is ``other``."""

_COMPILED = [(re.compile(pattern), family) for pattern, family in FEATURE_FAMILIES.items()]

NIGHT_START_HOUR = 19
NIGHT_END_HOUR = 7
"""Night-time: hours whose interval starts at 19:00 … 06:00 local (19:00–07:00)."""


def matching_patterns(name: str) -> list[str]:
    """Every pattern of :data:`FEATURE_FAMILIES` that matches ``name`` (one for a well-mapped column)."""
    return [regex.pattern for regex, _ in _COMPILED if regex.fullmatch(name)]


def feature_family(name: str) -> str:
    """The driver family of a feature column (``other`` when no pattern matches)."""
    for regex, family in _COMPILED:
        if regex.fullmatch(name):
            return family
    return "other"


def family_matrix(columns: Sequence[str]) -> np.ndarray:
    """One-hot (feature, family) matrix of ``columns`` in :data:`FAMILIES` order."""
    out = np.zeros((len(columns), len(FAMILIES)))
    for j, name in enumerate(columns):
        out[j, FAMILIES.index(feature_family(name))] = 1.0
    return out


# --- attribution in model space ----------------------------------------------------------------------


@dataclass(frozen=True)
class _PathTable:
    """Per-leaf path contributions of a booster's trees (see module docstring, ``path``)."""

    offsets: np.ndarray  # (n_trees + 1,) first row of each tree in ``values``
    values: np.ndarray  # (total leaves, n_features) Σ over the leaf's path of mean(child) − mean(node)
    bias: np.ndarray  # (n_trees + 1,) cumulative sum of the trees' expected values (φ₀ of the first k trees)


_PATH_TABLES: weakref.WeakKeyDictionary[lgb.Booster, _PathTable] = weakref.WeakKeyDictionary()


def _node_means(node: dict, means: dict[int, tuple[float, float]]) -> tuple[float, float]:
    """Training-row-weighted mean output and row count of a node (leaf: its value), memoised by id."""
    if "leaf_value" in node:
        result = (float(node["leaf_value"]), float(node.get("leaf_count", 0)))
    else:
        left = _node_means(node["left_child"], means)
        right = _node_means(node["right_child"], means)
        count = left[1] + right[1]
        value = (left[0] * left[1] + right[0] * right[1]) / count if count else float(node["internal_value"])
        result = (value, count)
    means[id(node)] = result
    return result


def _tree_paths(root: dict, n_leaves: int, n_features: int) -> tuple[np.ndarray, float]:
    """(leaves, features) path contributions of one tree and its expected value."""
    means: dict[int, tuple[float, float]] = {}
    expected = _node_means(root, means)[0]
    values = np.zeros((n_leaves, n_features))
    stack: list[tuple[dict, list[tuple[int, float]]]] = [(root, [])]
    while stack:
        node, path = stack.pop()
        if "leaf_value" in node:
            for feature, delta in path:
                values[int(node.get("leaf_index", 0)), feature] += delta
            continue
        feature, mean = int(node["split_feature"]), means[id(node)][0]
        for child in (node["left_child"], node["right_child"]):
            stack.append((child, [*path, (feature, means[id(child)][0] - mean)]))
    return values, expected


def _path_table(booster: lgb.Booster) -> _PathTable:
    """The booster's path table, built once per booster object (dump_model of every tree)."""
    table = _PATH_TABLES.get(booster)
    if table is None:
        dump = booster.dump_model(num_iteration=-1)
        n_features = len(dump["feature_names"])
        trees = [_tree_paths(t["tree_structure"], int(t["num_leaves"]), n_features) for t in dump["tree_info"]]
        sizes = [len(values) for values, _ in trees]
        table = _PathTable(
            offsets=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            values=np.concatenate([values for values, _ in trees]) if trees else np.zeros((0, n_features)),
            bias=np.concatenate([[0.0], np.cumsum([expected for _, expected in trees])]),
        )
        _PATH_TABLES[booster] = table
    return table


def model_space_contributions(
    booster: lgb.Booster, features: pd.DataFrame, method: Method = "path", groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split the booster's raw prediction of each row: ``raw = bias + contributions.sum(axis=1)``.

    Returns ``bias`` (rows,) and ``contributions`` (rows, features) — or (rows, groups) summed by the
    (features, groups) 0/1 matrix ``groups`` — in the booster's target space, with the trees
    :meth:`lightgbm.Booster.predict` uses by default (its best iteration when set).
    """
    if method == "shap":
        out = booster.predict(features, pred_contrib=True)
        return out[:, -1], out[:, :-1] if groups is None else out[:, :-1] @ groups
    table = _path_table(booster)
    per_leaf = table.values if groups is None else table.values @ groups
    leaves = booster.predict(features, pred_leaf=True).astype(np.int64).reshape(len(features), -1)
    n_trees = leaves.shape[1]
    contributions = np.zeros((len(features), per_leaf.shape[1]))
    for tree in range(n_trees):  # one small gather per tree: 3× faster than gathering blocks of trees
        contributions += per_leaf[table.offsets[tree] : table.offsets[tree + 1]][leaves[:, tree]]
    return np.full(len(features), table.bias[n_trees]), contributions


def _family_split(model: CorrectorModel, table: pd.DataFrame, method: Method) -> tuple[np.ndarray, np.ndarray]:
    """Anchor (rows,) and family contributions (rows, families) [µg/m³] of the model's own mean forecast."""
    groups = family_matrix(model.columns)
    bias, families = model_space_contributions(model.boosters["mean"], table[model.columns], method, groups)
    base = base_forecast(table, model.pollutant, model.base)
    offset = from_target(np.zeros(len(table)), base, model.transform)
    scale = from_target(np.ones(len(table)), base, model.transform) - offset
    clim_column = f"{model.pollutant}_climatology"
    clim = table[clim_column].to_numpy(dtype=float) if clim_column in table else np.full(len(table), np.nan)
    weight = np.where(np.isfinite(clim), model.blend_weight_at(table["lead_h"].to_numpy()), 1.0)
    anchor = weight * (offset + scale * bias) + (1.0 - weight) * np.nan_to_num(clim)
    return anchor, families * (weight * scale)[:, None]


def split_forecast(
    model: CorrectorModel, table: pd.DataFrame, method: Method = "path"
) -> tuple[np.ndarray, np.ndarray]:
    """Anchor (rows,) and family contributions (rows, :data:`FAMILIES`) [µg/m³] of ``model.predict``'s
    mean forecast, rows without met split with the no-met fallback (as :meth:`CorrectorModel.predict`)."""
    model.check_columns(table)
    anchor = np.full(len(table), np.nan)
    families = np.zeros((len(table), len(FAMILIES)))
    absent = np.zeros(len(table), dtype=bool)
    if model.fallback is not None and model.spec.uses_met:
        absent = met_absent(table)
    for rows, which in ((~absent, model), (absent, model.fallback)):
        if rows.any() and which is not None:
            anchor[rows], families[rows] = _family_split(which, table[rows], method)
    return anchor, families


def driver_contributions(
    model: CorrectorModel,
    table: pd.DataFrame,
    n_station: int,
    leads: int,
    *,
    method: Method = "path",
    lead_stride: int = 1,
) -> xr.Dataset:
    """Per-family contributions to one pollutant's mean forecast, dims ``(station, lead)`` [µg/m³].

    Parameters
    ----------
    model
        The pollutant's corrector (its mean booster, and its no-met fallback for rows without met).
    table
        The cycle's feature table as :func:`forecast.cycle.predict.corrector_cube` predicts it: rows ordered
        station-major, ``leads`` rows per station, ``<pollutant>_climatology`` filled.
    n_station, leads
        Its shape.
    method
        ``path`` (fast, default) or ``shap`` (exact TreeSHAP, slow); see the module docstring.
    lead_stride
        Split only every ``lead_stride``-th lead (1, 1 + stride …) to save time; other leads are NaN.

    Returns
    -------
    xarray.Dataset
        One variable per family of :data:`FAMILIES` and ``anchor``, all [µg/m³], with ``valid_time(lead)``;
        ``anchor + Σ families`` = the mean forecast before its clip at 0.
    """
    if len(table) != n_station * leads:
        raise ValueError(f"feature table has {len(table)} rows, expected {n_station} stations × {leads} leads")
    started = time.perf_counter()
    lead_h = table["lead_h"].to_numpy()[:leads].astype(int)
    chosen = np.tile((np.arange(leads) % max(1, lead_stride)) == 0, n_station)
    anchor = np.full(len(table), np.nan)
    families = np.full((len(table), len(FAMILIES)), np.nan)
    anchor[chosen], families[chosen] = split_forecast(model, table[chosen], method)
    valid = pd.DatetimeIndex(table["valid_time"].iloc[:leads]).tz_convert("UTC").tz_localize(None).to_numpy()
    stations = [str(s) for s in np.asarray(table["station_id"])[::leads]]
    ds = xr.Dataset(coords={STATION: stations, LEAD: lead_h, VALID_TIME: (LEAD, valid)})
    shape = (n_station, leads)
    common = {"units": CONCENTRATION_UNITS, "pollutant": model.pollutant, "method": method}
    for k, family in enumerate(FAMILIES):
        ds[family] = ((STATION, LEAD), families[:, k].reshape(shape))
        ds[family].attrs.update(
            long_name=f"contribution of the {family} features to the {model.pollutant} mean forecast",
            description=FAMILY_DESCRIPTIONS[family],
            **common,
        )
    ds["anchor"] = ((STATION, LEAD), anchor.reshape(shape))
    ds["anchor"].attrs.update(
        long_name=f"{model.pollutant} forecast before any feature moves it: the corrector's base blended "
        "towards climatology; anchor + the family contributions = the mean forecast before its clip at 0",
        **common,
    )
    ds.attrs.update(pollutant=model.pollutant, method=method, transform=model.transform, base=model.base)
    logger.info("drivers of %s: %d stations × %d leads (stride %d, %s) in %.2f s", model.pollutant, n_station,
                leads, lead_stride, method, time.perf_counter() - started)  # fmt: skip
    return ds


def add_drivers_to_cube(cube: xr.Dataset, drivers: xr.Dataset) -> None:
    """Store :func:`driver_contributions` in a forecast cube as ``driver_<family>`` and ``driver_anchor``."""
    for name in (*FAMILIES, "anchor"):
        cube[f"driver_{name}"] = ((STATION, LEAD), drivers[name].transpose(STATION, LEAD).values)
        cube[f"driver_{name}"].attrs.update({k: str(v) for k, v in drivers[name].attrs.items()})
    cube.attrs.update(drivers_pollutant=drivers.attrs["pollutant"], drivers_method=drivers.attrs["method"])


# --- daily drivers --------------------------------------------------------------------------------------


def _round(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits) + 0.0  # + 0.0: no "-0.0" in the JSON


def _stat(values: np.ndarray, how: str) -> float | None:
    """NaN-aware mean/sum/max/min of a 1-D array; None when no value is finite."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    return float({"mean": np.mean, "sum": np.sum, "max": np.max, "min": np.min}[how](finite))


def _local_days(valid_utc: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """Local date of each hour-ending UTC stamp's day (01:00 … 00:00 convention) and its night flag."""
    start = pd.DatetimeIndex(valid_utc).tz_localize("UTC").tz_convert(tz) - pd.Timedelta(hours=1)
    hour = start.hour.to_numpy()
    night = (hour >= NIGHT_START_HOUR) | (hour < NIGHT_END_HOUR)
    return start.tz_localize(None).normalize().to_numpy(), night


def _met_fields(met: xr.Dataset | None, station_ids: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The met diagnostics as (station, time) arrays on their own hourly UTC axis."""
    if met is None:
        return np.zeros(0, "datetime64[ns]"), {}
    names = ["inversion_flag", "inversion_strength_k", "ws10", "u10", "v10", "tp", "blh",
             "ventilation_coefficient_m2_s", "stagnation_index", "rh2m", "t2m", "d2m", "burning_season"]  # fmt: skip
    on_time = cube_on_time(met, names) if LEAD in met.dims else met[[n for n in names if n in met.data_vars]]
    if on_time is None or not on_time.data_vars:
        return np.zeros(0, "datetime64[ns]"), {}
    on_time = on_time.reindex({STATION: station_ids}).transpose(STATION, TIME)
    fields = {name: on_time[name].values.astype(float) for name in on_time.data_vars}
    if "ws10" not in fields and "u10" in fields and "v10" in fields:
        fields["ws10"] = np.hypot(fields["u10"], fields["v10"])
    if "rh2m" not in fields and "t2m" in fields and "d2m" in fields:
        fields["rh2m"] = magnus_rh(fields["t2m"], fields["d2m"])
    return on_time[TIME].values, fields


def _day_met(fields: dict[str, np.ndarray], i: int, in_day: np.ndarray, night: np.ndarray) -> dict[str, Any]:
    """Met diagnostics of station ``i`` over one local day (see :func:`daily_drivers`)."""

    def pick(name: str, mask: np.ndarray) -> np.ndarray:
        return fields[name][i, mask] if name in fields else np.zeros(0)

    at_night = in_day & night
    flags = pick("inversion_flag", at_night)
    flags = flags[np.isfinite(flags)]
    burning = _stat(pick("burning_season", in_day), "max")
    return {
        "night_inversion_hours": int((flags >= 0.5).sum()) if flags.size else None,
        "night_inversion_max_k": _round(_stat(pick("inversion_strength_k", at_night), "max"), 1),
        "wind_mean_m_s": _round(_stat(pick("ws10", in_day), "mean"), 1),
        "rain_total_mm": _round(_stat(pick("tp", in_day), "sum"), 1),
        "ventilation_min_m2_s": _round(_stat(pick("ventilation_coefficient_m2_s", in_day), "min"), 0),
        "ventilation_max_m2_s": _round(_stat(pick("ventilation_coefficient_m2_s", in_day), "max"), 0),
        "blh_min_m": _round(_stat(pick("blh", in_day), "min"), 0),
        "stagnation_mean": _round(_stat(pick("stagnation_index", in_day), "mean"), 2),
        "rh_mean_pct": _round(_stat(pick("rh2m", in_day), "mean"), 0),
        "burning_season": None if burning is None else bool(burning > 0),
        "burning_intensity": _round(burning, 2),
        "met_hours": int(np.isfinite(pick("ws10", in_day)).sum()) if "ws10" in fields else 0,
    }


def _day_contributions(
    values: dict[str, np.ndarray], i: int, in_day: np.ndarray
) -> tuple[int, dict[str, float | None] | None]:
    """Forecast hours with contributions and each family's mean over them, for station ``i`` and one day."""
    if not values:
        return 0, None
    known = in_day & np.isfinite(next(iter(values.values()))[i])
    hours = int(known.sum())
    if not hours:
        return 0, None
    return hours, {family: _round(float(v[i, known].mean()), 1) for family, v in values.items()}


def daily_drivers(cube: xr.Dataset, met: xr.Dataset | None, tz: str) -> dict[str, list[dict[str, Any]]]:
    """Per station and forecast day D1–D3: mean family contributions and the day's met diagnostics.

    Parameters
    ----------
    cube
        The forecast cube (dims station, lead; ``valid_time``; attr ``issue_time``), with ``driver_<family>``
        variables when :func:`forecast.cycle.predict.corrector_cube` added them (old runs: none).
    met
        Station met with the diagnostics, either the cycle's station cube ``(station, lead)`` (``cube_in``:
        forecast hours, inversion/ventilation diagnostics, ``burning_season``) or an hourly ``(station,
        time)`` dataset; None when there is none.
    tz
        Zone of the local days (the daily VN_AQI's).

    Returns
    -------
    dict
        JSON-ready, floats rounded, None where unknown::

            {station_id: [
                {"day": "D1", "date": "YYYY-MM-DD",          # as the daily VN_AQI's D1–D3
                 "hours": 24,                                # forecast hours the contributions average
                 "pollutant": "pm25", "units": "µg/m³",
                 "contributions": {family: mean over the day [µg/m³], …} | None,   # None: no drivers
                 "met": {"night_inversion_hours": int,       # night hours (19:00–07:00) with an inversion
                         "night_inversion_max_k": K,         # strongest night-time inversion
                         "wind_mean_m_s": m/s, "rain_total_mm": mm,
                         "ventilation_min_m2_s", "ventilation_max_m2_s": m2/s, "blh_min_m": m,
                         "stagnation_mean": 0–1, "rh_mean_pct": %,
                         "burning_season": bool, "burning_intensity": 0–1,
                         "met_hours": hours of the day with wind}},
                … D2, D3]}
    """
    ids = [str(s) for s in cube[STATION].values]
    issue = pd.Timestamp(cube.attrs["issue_time"]).tz_convert("UTC")
    days = [np.datetime64(d, "ns") for d in forecast_days(issue, tz)]
    lead_day, _ = _local_days(cube[VALID_TIME].values, tz)
    present = [f for f in FAMILIES if f"driver_{f}" in cube]
    values = {f: cube[f"driver_{f}"].transpose(STATION, LEAD).values.astype(float) for f in present}
    met_time, fields = _met_fields(met, ids)
    met_day, met_night = _local_days(met_time, tz)
    out: dict[str, list[dict[str, Any]]] = {}
    for i, sid in enumerate(ids):
        entries = []
        for k, day in enumerate(days):
            hours, contributions = _day_contributions(values, i, lead_day == day)
            diagnostics = _day_met(fields, i, met_day == day, met_night)
            entries.append({"day": f"D{k + 1}", "date": str(pd.Timestamp(day).date()), "hours": hours,
                            "pollutant": cube.attrs.get("drivers_pollutant"), "units": "µg/m³",
                            "contributions": contributions, "met": diagnostics})  # fmt: skip
        out[sid] = entries
    return out


__all__ = [
    "FAMILIES",
    "FAMILY_DESCRIPTIONS",
    "FEATURE_FAMILIES",
    "add_drivers_to_cube",
    "daily_drivers",
    "driver_contributions",
    "family_matrix",
    "feature_family",
    "matching_patterns",
    "model_space_contributions",
    "split_forecast",
]
