"""Units of the cycle: category probabilities, input health and alert conditions, publication links."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from configs.cycle import AlertSettings
from forecast.baselines import empty_cube
from forecast.cycle.health import EXCEEDANCE, SILENT, alert_conditions, input_health
from forecast.cycle.probabilities import band_weights, daily_category_probabilities, level_concentration
from forecast.cycle.publish import publish_run, published_run

CYCLE = pd.Timestamp("2026-01-10T00:00Z")
LEVELS = [0.02, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.98]


def _obs(values: np.ndarray, ids=("a",)) -> xr.Dataset:
    time = pd.date_range(end=CYCLE.tz_localize(None), periods=values.shape[1], freq="h")
    return xr.Dataset({"pm25": (("station", "time"), values)}, coords={"station": list(ids), "time": time})


def _cube(forecast: float, q10: float, q50: float, q90: float) -> xr.Dataset:
    cube = empty_cube(["a"], CYCLE, 72, "test")
    for name, value in {"pm25": forecast, "pm25_q10": q10, "pm25_q50": q50, "pm25_q90": q90}.items():
        cube[name] = ("station", "lead"), np.full((1, 72), value)
    return cube


def test_band_weights_sum_to_one_and_reject_bad_levels():
    weights = band_weights(LEVELS)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] == pytest.approx(0.06) and weights[5] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        band_weights([0.0, 0.5])


@given(
    st.floats(0, 300), st.floats(0, 300), st.floats(0, 300), st.floats(0.01, 0.49), st.floats(0.51, 0.99),
)  # fmt: skip
def test_level_concentration_is_monotone_and_hits_the_quantiles(a, b, c, low, high):
    q10, q50, q90 = sorted((a, b, c))
    values = [level_concentration(np.array([q10]), np.array([q50]), np.array([q90]), lv)[0] for lv in (low, 0.5, high)]
    assert values[0] <= values[1] + 1e-9 <= values[2] + 2e-9
    assert level_concentration(np.array([q10]), np.array([q50]), np.array([q90]), 0.1)[0] == pytest.approx(
        q10, abs=1e-6
    )
    assert level_concentration(np.array([q10]), np.array([q50]), np.array([q90]), 0.9)[0] == pytest.approx(
        q90, abs=1e-6
    )


def test_zero_spread_puts_all_probability_on_the_forecast_category():
    # PM2.5 flat at 60 µg/m³: daily sub-index between the breakpoints 50 µg/m³ (I = 100) and 80 (I = 150)
    # → 60 µg/m³ = 100 + (60-50)/(80-50)*50 = 116.67 → 117, category 3 (Kém) every day.
    obs = _obs(np.full((1, 48), 60.0))
    probs = daily_category_probabilities(obs, _cube(60, 60, 60, 60), LEVELS, "Asia/Ho_Chi_Minh")
    assert probs.sel(category=3).values.tolist() == [[pytest.approx(1.0)] * 3]
    assert float(probs.sum("category").max()) == pytest.approx(1.0)


def test_a_wide_spread_shares_probability_across_categories_around_the_forecast():
    obs = _obs(np.full((1, 48), 60.0))
    probs = daily_category_probabilities(obs, _cube(60, 20, 60, 150), LEVELS, "Asia/Ho_Chi_Minh").isel(station=0)
    d3 = probs.sel(day="D3").values  # no observed hours left in D3
    assert d3.sum() == pytest.approx(1.0)
    assert d3[2] >= 0.1  # the forecast's own category (Kém) keeps at least the median band
    assert d3[:2].sum() > 0.2 and d3[3:].sum() > 0.2  # both sides carry weight
    assert (np.diff(np.r_[0, np.cumsum(d3)]) >= 0).all()


def test_input_health_and_alerts():
    values = np.full((2, 30), 40.0)
    values[1, -5:] = np.nan  # station b silent for the last 5 hours
    values[0, -1] = 250.0  # station a: Xấu/Rất xấu hour now
    obs = _obs(values, ids=("a", "b"))
    stored = obs.copy(deep=True)
    stored["pm25"].values[1, -5:] = 500.0  # stored but failing QC
    health = input_health(obs, stored, None, CYCLE)
    b = health.set_index("station_id").loc["b"]
    assert b["age_h"] == 5 and b["missing_24h"] == 5 and b["qc_failed_24h"] == 5
    from forecast.aqi import hourly_aqi

    conditions = {(c.station_id, c.kind): c for c in alert_conditions(health, hourly_aqi(obs), CYCLE, AlertSettings())}
    assert conditions[("b", SILENT)].active and not conditions[("a", SILENT)].active
    assert conditions[("a", EXCEEDANCE)].active and conditions[("a", EXCEEDANCE)].value >= 151
    assert ("b", EXCEEDANCE) not in conditions or not conditions[("b", EXCEEDANCE)].active


def test_publish_refuses_an_incomplete_run_and_swaps_links(tmp_path):
    products, run1, run2 = (
        tmp_path / "products",
        tmp_path / "runs" / "c" / "forecast-v1",
        tmp_path / "runs" / "c" / "forecast-v2",
    )
    run1.mkdir(parents=True)
    run2.mkdir(parents=True)
    with pytest.raises(ValueError, match="not a complete run"):
        publish_run(products, run1, "c")
    assert published_run(products) is None
    (run1 / "manifest.json").write_text("{}")
    publish_run(products, run1, "c")
    assert published_run(products) == run1.resolve()
    (run2 / "manifest.json").write_text("{}")
    publish_run(products, run2, "c")
    assert published_run(products) == published_run(products, "c") == run2.resolve()


def test_logs_are_json_lines_off_a_terminal():
    import json
    import logging

    from forecast.cli.common import JsonLogFormatter

    record = logging.LogRecord("forecast.cycle.runner", logging.WARNING, __file__, 1, "fallback %s: %s",
                               ("nwp-missing", "no NWP"), None)  # fmt: skip
    entry = json.loads(JsonLogFormatter().format(record))
    assert entry["level"] == "WARNING" and entry["logger"] == "forecast.cycle.runner"
    assert entry["message"] == "fallback nwp-missing: no NWP" and entry["time"].endswith("+00:00")


def test_a_silent_station_borrows_the_history_of_its_nearest_fresh_neighbour():
    from configs.networks import Station
    from forecast.cycle.inputs import borrow_neighbour_history

    def station(sid, lat, lon):
        return Station(id=sid, name_vi=sid, name_en=sid, latitude=lat, longitude=lon, province="Hà Nội", source="test")

    # a is silent; b is ~11 km north of it, c ~55 km
    stations = [station("a", 21.0, 105.8), station("b", 21.1, 105.8), station("c", 21.5, 105.8)]
    values = np.vstack([np.r_[np.full(20, 30.0), np.full(10, np.nan)], np.arange(30.0), np.full(30, 99.0)])
    obs = _obs(values, ids=("a", "b", "c"))
    borrowed_obs, borrowed = borrow_neighbour_history(obs, stations, CYCLE, max_age_h=6, radius_km=25)
    assert list(borrowed) == ["a"] and borrowed["a"][0] == "b" and borrowed["a"][1] == pytest.approx(11.1, abs=0.2)
    assert borrowed_obs["pm25"].sel(station="a").values.tolist() == list(np.arange(30.0))
    assert np.isnan(obs["pm25"].sel(station="a").values[-1])  # the station's own data are untouched
    _, none_near = borrow_neighbour_history(obs, stations, CYCLE, max_age_h=6, radius_km=5)
    assert none_near == {}
