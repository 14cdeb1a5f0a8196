"""Feature tables: hand-checked values, no leakage, perturbation, stations without met."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from features.spec import FeatureSpec
from features.table import FeatureInputs, build_feature_table, model_columns
from features.windows import last_valid, trailing_mean
from tests.feature_helpers import station, synthetic_inputs

ISSUE = pd.Timestamp("2016-01-20T00:00Z")
TARGETS = ("pm25_observed", "pm10_observed")


def one_station(values: np.ndarray, start: str = "2016-01-01T01:00") -> FeatureInputs:
    time = pd.date_range(start, periods=len(values), freq="h")
    obs = xr.Dataset({"pm25": (("station", "time"), values[None, :])}, coords={"station": ["s1"], "time": time})
    return FeatureInputs(observations=obs, stations=[station("s1")])


def test_history_features_match_hand_values():
    values = np.arange(1.0, 24 * 19 + 1)  # stamped 2016-01-01T01 … 2016-01-20T00 (= ISSUE), value k at hour k
    values[-1] = np.nan  # the hour stamped at the issue time is missing
    table = build_feature_table(one_station(values), [ISSUE], FeatureSpec(met_mode="none", pollutants=["pm25"]))
    row = table.iloc[0]
    last_known = values[-2]  # 455
    assert row["pm25_last"] == last_known and row["pm25_last_age_h"] == 1
    assert row["pm25_mean_3h"] == pytest.approx((454 + 455) / 2)  # 2 of 3 hours ≥ half the window
    assert row["pm25_mean_24h"] == pytest.approx(np.mean(values[-24:-1]))
    assert row["pm25_n_valid_24h"] == 23
    assert row["pm25_mean_24h_prev_day"] == pytest.approx(np.mean(values[-48:-24]))
    # lead 1 is valid 01:00 on the 20th; the same hour of the previous day is value index -24 (stamp 01:00 on the 19th)
    assert row["pm25_same_hour_prev_day"] == values[-24]
    # lead 26 is stamped 02:00 on the 21st: the latest 02:00 known at issue is two days back, index −1 + 26 − 48
    assert table.iloc[25]["pm25_same_hour_prev_day"] == values[-1 + 26 - 48]
    assert row["lead_h"] == 1 and table["lead_h"].max() == 72
    assert pd.Timestamp(row["valid_time"]) == ISSUE + pd.Timedelta(hours=1)


def test_no_feature_for_an_issue_uses_an_observation_stamped_after_it():
    inputs = synthetic_inputs(days=40)
    spec = FeatureSpec(met_mode="none")
    issues = pd.DatetimeIndex([ISSUE, ISSUE + pd.Timedelta(hours=12)])
    before = build_feature_table(inputs, issues, spec)
    # Replace every observation stamped after the first issue with garbage: its rows must not change.
    after = inputs.observations.copy(deep=True)
    late = after["time"].values > ISSUE.tz_convert(None).to_datetime64()
    for name in after.data_vars:
        after[name].values[:, late] = 1e6
    changed = build_feature_table(FeatureInputs(**{**inputs.__dict__, "observations": after}), issues, spec)
    first = before["issue_time"] == ISSUE
    features = [c for c in before.columns if c not in TARGETS]
    pd.testing.assert_frame_equal(before.loc[first, features], changed.loc[first, features])
    # …while the second issue (12 h later) does see the new values, so the test can fail.
    assert not before.loc[~first, "pm25_last"].equals(changed.loc[~first, "pm25_last"])


def test_met_before_the_issue_and_history_do_not_leak_in_perfect_mode():
    inputs = synthetic_inputs(days=40)
    spec = FeatureSpec(met_mode="perfect")
    table = build_feature_table(inputs, [ISSUE], spec)
    late_met = inputs.met.copy(deep=True)
    late = late_met["time"].values > ISSUE.tz_convert(None).to_datetime64()
    late_met["ws10"].values[:, late] = 30.0
    changed = build_feature_table(FeatureInputs(**{**inputs.__dict__, "met": late_met}), [ISSUE], spec)
    for column in ("ws10_mean_24h_before_issue", "rh2m_mean_24h_before_issue", "pm25_mean_24h"):
        np.testing.assert_array_equal(table[column].to_numpy(), changed[column].to_numpy())
    # perfect prognosis: the valid-time wind is the observed (here: changed) one
    assert (changed["ws10"] == 30.0).all()


def test_perturbed_met_is_reproducible_shared_across_stations_and_grows_with_lead():
    inputs = synthetic_inputs(days=60, stations=3)
    issues = pd.date_range("2016-01-15", "2016-02-25", freq="12h", tz="UTC")
    perfect = build_feature_table(inputs, issues, FeatureSpec(met_mode="perfect"))
    perturbed = build_feature_table(inputs, issues, FeatureSpec(met_mode="perturbed"))
    again = build_feature_table(inputs, issues, FeatureSpec(met_mode="perturbed"))
    pd.testing.assert_frame_equal(perturbed, again)
    error = (perturbed["t2m"] - perfect["t2m"]).to_numpy().reshape(len(issues), 3, 72)
    np.testing.assert_allclose(error[:, 0, :], error[:, 2, :])  # same error at every station
    scale = 0.35 + 0.65 * np.arange(1, 25) / 72  # lead-dependent growth within the first day
    np.testing.assert_allclose(error[:, 0, :24], error[:, 0, :1] * scale / scale[0], rtol=1e-4, atol=1e-4)
    sd_day1, sd_day3 = error[:, 0, 0:24].std(), error[:, 0, 48:72].std()
    assert sd_day3 > 1.5 * sd_day1
    assert (perturbed["pm25_mean_24h"] == perfect["pm25_mean_24h"]).all()  # observations untouched


def test_station_without_met_still_gets_rows_flagged():
    inputs = synthetic_inputs(days=30, stations=2)
    inputs.met = inputs.met.sel(station=["syn-0"])
    table = build_feature_table(inputs, [ISSUE], FeatureSpec(met_mode="perfect"))
    by_station = table.groupby("station_id", observed=True)
    assert by_station["has_met"].first().to_dict() == {"syn-0": 1.0, "syn-1": 0.0}
    assert table.loc[table.station_id == "syn-1", "t2m"].isna().all()
    assert table.loc[table.station_id == "syn-1", "pm25_last"].notna().all()


def test_station_with_no_observations_is_flagged_not_dropped():
    inputs = synthetic_inputs(days=30, stations=1)
    inputs.stations = [*inputs.stations, station("silent")]
    table = build_feature_table(inputs, [ISSUE], FeatureSpec(met_mode="none"))
    silent = table[table.station_id == "silent"]
    assert len(silent) == 72 and (silent["has_recent_obs"] == 0).all() and silent["pm25_last"].isna().all()


def test_calendar_uses_local_time_and_the_country_holidays():
    inputs = synthetic_inputs(days=45)
    inputs.stations = [station("syn-0"), station("syn-1", lat=39.9, lon=116.4, tz="Asia/Shanghai")]
    tet = pd.Timestamp("2016-02-07T17:00Z")  # 00:00 local on 2016-02-08 (Tết) in Hanoi
    table = build_feature_table(inputs, [tet], FeatureSpec(met_mode="none"))
    hanoi = table[table.station_id == "syn-0"].set_index("lead_h")
    beijing = table[table.station_id == "syn-1"].set_index("lead_h")
    # lead 1 is stamped 01:00 local in Hanoi: the hour 00–01, hour_local 0, on Tết
    assert hanoi.loc[1, "hour_local"] == 0 and hanoi.loc[1, "is_holiday"] == 1
    assert beijing.loc[1, "hour_local"] == 1 and beijing.loc[1, "is_holiday"] == 1  # Spring Festival
    assert hanoi.loc[1, "is_tet"] == 1


def test_model_columns_depend_on_the_met_mode():
    none = model_columns(FeatureSpec(met_mode="none"), "pm25")
    perfect = model_columns(FeatureSpec(met_mode="perfect"), "pm25")
    forecast = model_columns(FeatureSpec(met_mode="forecast"), "pm25")
    assert "t2m" not in none and "t2m" in perfect and "ctm_pm25" in forecast and "ctm_pm25" not in perfect
    assert "pm25_observed" not in forecast


def test_naive_issue_times_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        build_feature_table(synthetic_inputs(days=20), [pd.Timestamp("2016-01-15")], FeatureSpec(met_mode="none"))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0, 500)), min_size=30, max_size=80), st.integers(1, 24))
def test_trailing_windows_never_look_ahead(values, hours):
    array = np.array([np.nan if v is None else v for v in values])[None, :]
    cut = len(values) // 2
    truncated = array.copy()
    truncated[:, cut + 1 :] = np.nan
    np.testing.assert_array_equal(
        trailing_mean(array, hours)[:, : cut + 1], trailing_mean(truncated, hours)[:, : cut + 1]
    )
    np.testing.assert_array_equal(last_valid(array, 24)[0][:, : cut + 1], last_valid(truncated, 24)[0][:, : cut + 1])
