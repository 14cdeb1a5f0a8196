"""Driver families, feature contributions and daily drivers (forecast/cycle/drivers.py), on SYNTHETIC data."""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from configs.schema import LEAD, POLLUTANTS, STATION, TIME, VALID_TIME
from features.met import MET_COLUMNS
from features.spec import MET_MODES, FeatureSpec
from features.table import KEY_COLUMNS, build_feature_table, model_columns
from forecast.baselines import empty_cube
from forecast.corrector import RATIO_OFFSET, CorrectorModel
from forecast.cycle.drivers import (
    FAMILIES,
    FEATURE_FAMILIES,
    daily_drivers,
    driver_contributions,
    feature_family,
    matching_patterns,
    model_space_contributions,
    split_forecast,
)
from forecast.cycle.predict import corrector_cube
from forecast.forecast_aqi import forecast_vn_aqi
from tests.feature_helpers import synthetic_inputs
from training.lightgbm import BoosterSettings, fit_corrector

TZ = "Asia/Ho_Chi_Minh"  # UTC+7, no daylight saving

# --- families ---------------------------------------------------------------------------------------------


def _all_model_columns() -> set[str]:
    columns: set[str] = set()
    for mode in MET_MODES:
        for target in POLLUTANTS:
            columns |= set(model_columns(FeatureSpec(met_mode=mode), target))
    return columns


def test_every_feature_column_of_every_spec_maps_to_exactly_one_family():
    columns = _all_model_columns()
    assert {"inversion_strength_k", "ctm_pm25", "burning_season", "pm25_climatology"} <= columns  # forecast mode
    for name in sorted(columns):
        assert len(matching_patterns(name)) == 1, (name, matching_patterns(name))
        assert feature_family(name) in FAMILIES and feature_family(name) != "other", name


def test_every_column_of_a_real_feature_table_maps_to_a_family():
    inputs = synthetic_inputs(days=20, stations=2)  # SYNTHETIC observations and met
    table = build_feature_table(inputs, pd.DatetimeIndex(["2016-01-15T00:00Z"]), FeatureSpec(met_mode="forecast"))
    features = [c for c in table.columns if c not in KEY_COLUMNS and not c.endswith("_observed")]
    assert [c for c in features if len(matching_patterns(c)) != 1] == []


def test_families_of_known_columns_and_unknown_columns_go_to_other():
    expected = {
        "inversion_stability": ["inversion_flag", "t2m_range_24h", "nocturnal_stability_proxy", "lapse_t850_t2m_k"],
        "wind_ventilation": ["ws10_mean_next_6h", "blh", "calm_fraction_since_issue", "ventilation_coefficient_m2_s"],
        "rain": ["tp", "tp_sum_since_issue", "rain_24h_mm"],
        "humidity": ["dewpoint_depression_k", "d2m_min_change_since_issue", "rh2m_mean_next_6h"],
        "temperature_radiation": ["t2m", "t2m_change_since_issue", "ssrd", "tcc"],
        "pressure": ["pressure_tendency_24h_hpa", "pressure_hpa"],
        "emissions_burning": ["is_tet", "emission_traffic_factor", "is_holiday", "burning_season"],
        "ctm": ["ctm_pm25", "has_ctm"],
        "recent_observations": ["co_mean_24h", "pm25_same_hour_prev_day", "pm10_trend_3h"],
        "climatology": ["o3_climatology"],
        "calendar_time": ["lead_h", "doy_sin", "hour_local"],
        "station_data": ["station_type_code", "has_met"],
        "other": ["mystery_feature"],
    }
    assert {f: [feature_family(n) for n in names] for f, names in expected.items()} == {
        f: [f] * len(names) for f, names in expected.items()
    }
    assert set(FEATURE_FAMILIES.values()) == set(FAMILIES) - {"other"}


# --- contributions on a tiny model whose driver is known ---------------------------------------------------

COLUMNS = ["lead_h", "inversion_strength_k", "ws10", "tp", "rh2m", "hour_local", "pm25_mean_24h"]


def _synthetic_rows(n: int, seed: int) -> pd.DataFrame:
    """SYNTHETIC feature rows: uniform met, a persistence base of 20–80 µg/m³."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "lead_h": rng.integers(1, 73, n),
            "inversion_strength_k": rng.uniform(0, 5, n),
            "ws10": rng.uniform(0.5, 6, n),
            "tp": np.where(rng.uniform(size=n) < 0.8, 0.0, rng.exponential(2, n)),
            "rh2m": rng.uniform(50, 100, n),
            "hour_local": rng.integers(0, 24, n),
            "pm25_mean_24h": rng.uniform(20, 80, n),
        }
    )


@pytest.fixture(scope="module")
def inversion_model() -> CorrectorModel:
    """A corrector whose SYNTHETIC target is driven mostly by inversion strength (ratio target)."""
    rows = _synthetic_rows(4000, seed=1)
    base = rows["pm25_mean_24h"].to_numpy()
    noise = np.random.default_rng(2).normal(0, 0.02, len(rows))
    ratio = 1 + 0.25 * rows["inversion_strength_k"] - 0.03 * rows["ws10"] + noise
    observed = ratio * (base + RATIO_OFFSET) - RATIO_OFFSET
    target = (observed + RATIO_OFFSET) / (base + RATIO_OFFSET)
    params = {
        "objective": "regression",
        "num_leaves": 15,
        "min_data_in_leaf": 20,
        "verbose": -1,
        "seed": 0,
        "deterministic": True,
        "num_threads": 1,
    }
    booster = lgb.train(params, lgb.Dataset(rows[COLUMNS], target), num_boost_round=80)
    return CorrectorModel(
        "pm25",
        FeatureSpec(met_mode="forecast"),
        COLUMNS,
        {"mean": booster, "q10": booster, "q50": booster, "q90": booster},
    )


@pytest.mark.parametrize("method", ["path", "shap"])
def test_contributions_plus_bias_are_the_raw_prediction_in_model_space(inversion_model, method):
    rows = _synthetic_rows(300, seed=3)
    booster = inversion_model.boosters["mean"]
    bias, contributions = model_space_contributions(booster, rows[COLUMNS], method)
    np.testing.assert_allclose(bias + contributions.sum(axis=1), booster.predict(rows[COLUMNS]), atol=1e-9)
    shap_bias = booster.predict(rows[COLUMNS], pred_contrib=True)[:, -1]
    np.testing.assert_allclose(bias, shap_bias, atol=1e-12)  # path and TreeSHAP share φ₀


@pytest.mark.parametrize("method", ["path", "shap"])
def test_the_known_driver_has_the_largest_family_contribution(inversion_model, method):
    rows = _synthetic_rows(500, seed=4)
    _, families = split_forecast(inversion_model, rows, method)
    size = np.abs(families).mean(axis=0)
    assert FAMILIES[int(np.argmax(size))] == "inversion_stability"
    assert size[FAMILIES.index("inversion_stability")] > 5 * size[FAMILIES.index("wind_ventilation")] > 0
    strong = rows["inversion_strength_k"].to_numpy() > 4
    weak = rows["inversion_strength_k"].to_numpy() < 1
    column = families[:, FAMILIES.index("inversion_stability")]
    assert column[strong].min() > 0 > column[weak].max()  # strong inversions push up, none pulls down


def test_family_contributions_in_ug_m3_add_up_to_the_issued_forecast(inversion_model):
    rows = _synthetic_rows(400, seed=5)
    rows["pm25_climatology"] = np.where(np.arange(400) % 4 == 0, np.nan, 35.0)  # blend where known
    model = CorrectorModel(**{**inversion_model.__dict__, "blend_weights": [0.9, 0.6, 0.3]})
    anchor, families = split_forecast(model, rows)
    forecast = model.predict(rows)["forecast"].to_numpy(float)
    np.testing.assert_allclose(anchor + families.sum(axis=1), forecast, rtol=1e-9)  # forecasts here are > 0
    difference = CorrectorModel(**{**model.__dict__, "transform": "difference"})
    anchor, families = split_forecast(difference, rows)
    unclipped = anchor + families.sum(axis=1)
    np.testing.assert_allclose(np.clip(unclipped, 0, None), difference.predict(rows)["forecast"].to_numpy(float))


@pytest.fixture(scope="module")
def fitted():
    """A corrector with a no-met fallback fitted on SYNTHETIC observations and met (tests.feature_helpers)."""
    inputs = synthetic_inputs(days=75, stations=2)
    spec = FeatureSpec(met_mode="perfect", emission_factors=False)
    train = build_feature_table(inputs, pd.date_range("2016-01-10", "2016-02-20", freq="12h", tz="UTC"), spec)
    valid = build_feature_table(inputs, pd.date_range("2016-02-24", "2016-03-10", freq="12h", tz="UTC"), spec)
    settings = BoosterSettings(
        max_rounds=60,
        quantile_max_rounds=30,
        num_leaves=15,
        quantile_num_leaves=7,
        min_data_in_leaf=20,
        early_stopping_rounds=10,
        num_threads=1,
    )
    model, _ = fit_corrector(train, valid, "pm25", spec, settings=settings)
    return inputs, valid, model


def test_rows_without_met_are_split_with_the_fallback(fitted):
    _, valid, model = fitted
    table = valid.iloc[:400].reset_index(drop=True)
    table.loc[200:, [c for c in model.columns if c in MET_COLUMNS]] = np.nan
    anchor, families = split_forecast(model, table)
    forecast = model.predict(table)["forecast"].to_numpy(float)
    positive = forecast > 0
    np.testing.assert_allclose((anchor + families.sum(axis=1))[positive], forecast[positive], rtol=1e-9)
    met_families = [FAMILIES.index(f) for f in ("wind_ventilation", "rain", "humidity", "temperature_radiation")]
    assert np.all(families[200:, met_families] == 0) and np.any(families[:200, met_families] != 0)


def test_corrector_cube_carries_the_drivers_and_can_switch_them_off(fitted):
    inputs, _, model = fitted
    cycle = pd.Timestamp("2016-02-25T00:00Z")
    cube = corrector_cube({"pm25": model}, inputs, cycle, 72)
    for family in FAMILIES:
        assert cube[f"driver_{family}"].dims == (STATION, LEAD)
        assert cube[f"driver_{family}"].attrs["units"] == "ug m-3"
    total = cube["driver_anchor"] + sum(cube[f"driver_{f}"] for f in FAMILIES)
    positive = cube["pm25"].values > 0
    np.testing.assert_allclose(total.values[positive], cube["pm25"].values[positive], rtol=1e-9)
    assert cube.attrs["drivers_pollutant"] == "pm25" and cube.attrs["drivers_method"] == "path"
    plain = corrector_cube({"pm25": model}, inputs, cycle, 72, with_drivers=False)
    assert not [v for v in plain.data_vars if str(v).startswith("driver_")]
    xr.testing.assert_identical(plain["pm25"], cube["pm25"])


def test_driver_contributions_shape_units_and_lead_stride(fitted):
    inputs, _, model = fitted
    table = build_feature_table(
        inputs, pd.DatetimeIndex(["2016-02-25T00:00Z"]), model.spec, leads=range(1, 73), with_targets=False
    )
    drivers = driver_contributions(model, table, 2, 72, lead_stride=3)
    assert set(drivers.data_vars) == {*FAMILIES, "anchor"}
    assert drivers["rain"].dims == (STATION, LEAD) and list(drivers[STATION].values) == ["syn-0", "syn-1"]
    assert drivers["rain"].attrs["units"] == "ug m-3"
    computed = np.isfinite(drivers["anchor"].values[0])
    assert list(np.flatnonzero(computed) + 1) == list(range(1, 73, 3))
    full = driver_contributions(model, table, 2, 72)
    np.testing.assert_allclose(drivers["anchor"].values[:, ::3], full["anchor"].values[:, ::3])
    with pytest.raises(ValueError, match="2 stations × 71 leads"):
        driver_contributions(model, table, 2, 71)


# --- daily drivers on a hand-built cube -------------------------------------------------------------------

ISSUE = pd.Timestamp("2026-11-24T12:00Z")  # 19:00 local: D1 is the next local day, 25/11


def _lead_of(local: str) -> int:
    """Lead [h] of a local (UTC+7) hour-ending stamp after ISSUE."""
    return int((pd.Timestamp(local).tz_localize(TZ).tz_convert("UTC") - ISSUE) / pd.Timedelta(hours=1))


def _hand_cube(issue: pd.Timestamp = ISSUE) -> xr.Dataset:
    """A forecast cube of two SYNTHETIC stations: driver_rain = lead (station a), 2 × lead (station b)."""
    cube = empty_cube(["a", "b"], issue, 72, "test")
    lead = np.arange(1, 73, dtype=float)
    for family in FAMILIES:
        cube[f"driver_{family}"] = ((STATION, LEAD), np.zeros((2, 72)))
    cube["driver_rain"] = ((STATION, LEAD), np.stack([lead, 2 * lead]))
    cube["driver_humidity"] = ((STATION, LEAD), np.full((2, 72), -1.25))
    cube.attrs["drivers_pollutant"] = "pm25"
    return cube


def _hand_met() -> xr.Dataset:
    """SYNTHETIC station-cube met (station, lead): inversions at chosen local hours, wind = lead / 10 m/s …"""
    met = empty_cube(["a", "b"], ISSUE, 72, "test")
    lead = np.arange(1, 73, dtype=float)
    flag, strength = np.zeros(72), np.zeros(72)
    for stamp, k in [
        ("2026-11-25 03:00", 1.5),
        ("2026-11-25 04:00", 3.0),
        ("2026-11-25 20:00", 0.5),
        ("2026-11-26 00:00", 2.0),  # night hours of D1 (the last closes the day)
        ("2026-11-25 08:00", 9.0),
        ("2026-11-25 13:00", 5.0),  # daytime: never counted
        ("2026-11-26 01:00", 4.0),
    ]:  # first hour of D2
        flag[_lead_of(stamp) - 1], strength[_lead_of(stamp) - 1] = 1.0, k
    tp = np.zeros(72)
    tp[[30, 31, 32]] = 0.4  # leads 31-33, in D2
    burning = np.where(lead >= 30, 0.6, 0.0)
    for name, values in {
        "inversion_flag": flag,
        "inversion_strength_k": strength,
        "ws10": lead / 10,
        "tp": tp,
        "ventilation_coefficient_m2_s": 1000 * lead,
        "rh2m": np.full(72, 80.0),
        "burning_season": burning,
    }.items():
        met[name] = ((STATION, LEAD), np.stack([values, values]))
    return met


def test_daily_drivers_cut_the_local_days_of_the_daily_vn_aqi():
    assert [_lead_of(s) for s in ("2026-11-25 01:00", "2026-11-26 00:00", "2026-11-27 19:00")] == [6, 29, 72]
    cube = _hand_cube()
    result = daily_drivers(cube, _hand_met(), TZ)
    a = result["a"]
    assert [(d["day"], d["date"], d["hours"]) for d in a] == [
        ("D1", "2026-11-25", 24),
        ("D2", "2026-11-26", 24),
        ("D3", "2026-11-27", 19),
    ]
    assert [d["contributions"]["rain"] for d in a] == [17.5, 41.5, 63.0]  # means of leads 6-29, 30-53, 54-72
    assert [d["contributions"]["rain"] for d in result["b"]] == [35.0, 83.0, 126.0]
    assert a[0]["contributions"]["humidity"] == -1.2 and a[0]["contributions"]["ctm"] == 0.0  # rounded to 0.1
    # the same days and dates as the daily VN_AQI of the same cube
    cube["pm25"] = ((STATION, LEAD), np.full((2, 72), 30.0))
    past = pd.date_range(end="2026-11-24T12:00", periods=48, freq="h")
    obs = xr.Dataset({"pm25": ((STATION, TIME), np.full((2, 48), 30.0))}, coords={STATION: ["a", "b"], TIME: past})
    daily = forecast_vn_aqi(obs, cube, TZ).daily
    assert list(daily["date"].values) == [d["date"] for d in a]
    assert [int(h) for h in daily["forecast_hours"].values[0]] == [d["hours"] for d in a]


def test_daily_met_diagnostics_are_the_hand_computed_ones():
    d1, d2, d3 = daily_drivers(_hand_cube(), _hand_met(), TZ)["a"]
    assert d1["met"] == {
        "night_inversion_hours": 4,  # 03:00, 04:00, 20:00, 00:00 (not 08:00 nor 13:00)
        "night_inversion_max_k": 3.0,
        "wind_mean_m_s": 1.8,  # mean of leads 6-29 / 10 = 1.75, rounded half to even by round()
        "rain_total_mm": 0.0,
        "ventilation_min_m2_s": 6000.0,
        "ventilation_max_m2_s": 29000.0,
        "blh_min_m": None,
        "stagnation_mean": None,
        "rh_mean_pct": 80.0,
        "burning_season": False,
        "burning_intensity": 0.0,
        "met_hours": 24,
    }
    assert (d2["met"]["night_inversion_hours"], d2["met"]["night_inversion_max_k"]) == (1, 4.0)
    assert (d2["met"]["rain_total_mm"], d2["met"]["burning_season"], d2["met"]["burning_intensity"]) == (1.2, True, 0.6)
    assert d3["met"]["met_hours"] == 19 and d3["met"]["wind_mean_m_s"] == 6.3
    # the same met on an hourly (station, time) axis gives the same diagnostics
    on_time = _hand_met().swap_dims({LEAD: VALID_TIME}).drop_vars(LEAD).rename({VALID_TIME: TIME})
    assert daily_drivers(_hand_cube(), on_time, TZ)["a"] == [d1, d2, d3]


def test_a_00_utc_run_has_17_forecast_hours_in_d1_and_json_ready_output():
    cube = _hand_cube(pd.Timestamp("2026-11-25T00:00Z"))  # 07:00 local: D1 is today
    days = daily_drivers(cube, None, TZ)["a"]
    assert [(d["date"], d["hours"]) for d in days] == [("2026-11-25", 17), ("2026-11-26", 24), ("2026-11-27", 24)]
    assert days[0]["contributions"]["rain"] == 9.0  # mean of leads 1-17
    assert days[0]["met"]["night_inversion_hours"] is None and days[0]["met"]["wind_mean_m_s"] is None
    json.dumps(days, allow_nan=False)


def test_a_cube_without_drivers_gives_no_contributions():
    cube = empty_cube(["a"], ISSUE, 72, "old run")
    days = daily_drivers(cube, None, TZ)["a"]
    assert [d["contributions"] for d in days] == [None, None, None] and days[0]["hours"] == 0
    json.dumps(days, allow_nan=False)
