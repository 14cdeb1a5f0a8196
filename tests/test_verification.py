"""Verification of hindcast tables: hand-computed continuous, window-mean and probabilistic scores,
local days D1–D3, validation errors, properties, the report and the plots.

Daily VN_AQI categorical scores are in ``test_verification_daily.py``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.forecast_aqi import forecast_days
from forecast.verification import (
    Hindcast,
    continuous_scores,
    crps_quantile,
    first_forecast_day,
    forecast_day,
    forecast_day_number,
    lead_window,
    probabilistic_scores,
    reliability_table,
    verify,
    window_mean_pairs,
    window_mean_scores,
)
from forecast.verification.plots import plot_reliability, plot_skill_by_lead

HCM = "Asia/Ho_Chi_Minh"
I1 = pd.Timestamp("2024-01-01T00:00Z")
I2 = pd.Timestamp("2024-01-01T12:00Z")


def hindcast(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
    """Table from ``(issue, station, pollutant, lead, *values)`` rows; ``valid_time`` is derived."""
    table = pd.DataFrame(rows, columns=["issue_time", "station_id", "pollutant", "lead_h", *columns])
    table["issue_time"] = pd.to_datetime(table["issue_time"], utc=True)
    table["valid_time"] = table["issue_time"] + pd.to_timedelta(table["lead_h"], unit="h")
    return table


# 2 stations × 2 issues × 3 leads of PM2.5 [µg/m³]: (observed, forecast, persistence) per lead 1, 2, 3
#   errors f − o                      persistence errors p − o (persistence held for all leads)
#   A, I1: o 10 20 30, f 12 18 33  -> +2 −2 +3     p 15 -> +5 −5 −15
#   A, I2: o 40 50 60, f 40 55 58  ->  0 +5 −2     p 45 -> +5 −5 −15
#   B, I1: o  5 15 25, f  4 15 29  -> −1  0 +4     p 10 -> +5 −5 −15
#   B, I2: o 20 30 40, f 23 27 40  -> +3 −3  0     p 30 -> +10 0 −10
CASES = {
    ("A", I1): ([10, 20, 30], [12, 18, 33], 15),
    ("A", I2): ([40, 50, 60], [40, 55, 58], 45),
    ("B", I1): ([5, 15, 25], [4, 15, 29], 10),
    ("B", I2): ([20, 30, 40], [23, 27, 40], 30),
}


@pytest.fixture()
def small() -> pd.DataFrame:
    rows = []
    for (station, issue), (obs, fc, pers) in CASES.items():
        for lead in (1, 2, 3):
            rows.append((issue, station, "pm25", lead, obs[lead - 1], fc[lead - 1], float(pers)))
    return hindcast(rows, ("observed", "forecast", "persistence"))


def row(table: pd.DataFrame, **match) -> pd.Series:
    chosen = table
    for name, value in match.items():
        chosen = chosen[chosen[name] == value]
    assert len(chosen) == 1, f"{len(chosen)} rows match {match}"
    return chosen.iloc[0]


# --- continuous scores ---------------------------------------------------------------------------


def test_scores_by_lead_match_hand_numbers(small):
    scores = continuous_scores(small, "lead")
    # lead 1: errors +2, 0, −1, +3 -> bias 4/4 = 1, MAE 6/4 = 1.5, MSE (4+0+1+9)/4 = 3.5
    lead1 = row(scores, lead_h=1, method="forecast")
    assert lead1["n"] == 4
    assert lead1["bias"] == pytest.approx(1.0)
    assert lead1["mae"] == pytest.approx(1.5)
    assert lead1["rmse"] == pytest.approx(math.sqrt(3.5))
    # corr: o = 10 40 5 20 (mean 18.75), f = 12 40 4 23 (mean 19.75)
    #   Σdo·df = 718.75, Σdo² = 718.75, Σdf² = 728.75 -> corr = sqrt(718.75 / 728.75)
    assert lead1["corr"] == pytest.approx(math.sqrt(718.75 / 728.75))
    # lead 2: errors −2, +5, 0, −3 -> bias 0, MAE 10/4, MSE 38/4
    lead2 = row(scores, lead_h=2, method="forecast")
    assert (lead2["bias"], lead2["mae"], lead2["rmse"]) == pytest.approx((0.0, 2.5, math.sqrt(9.5)))
    # lead 3: errors +3, −2, +4, 0 -> bias 5/4, MAE 9/4, MSE 29/4
    lead3 = row(scores, lead_h=3, method="forecast")
    assert (lead3["bias"], lead3["mae"], lead3["rmse"]) == pytest.approx((1.25, 2.25, math.sqrt(7.25)))
    assert lead3["mean_observed"] == pytest.approx((30 + 60 + 25 + 40) / 4)


def test_skill_against_persistence_matches_hand_numbers(small):
    scores = continuous_scores(small, "lead")
    # persistence MSE: lead 1 (25+25+25+100)/4 = 43.75, lead 2 75/4 = 18.75, lead 3 (3·225+100)/4 = 193.75
    expected = {1: (3.5, 43.75), 2: (9.5, 18.75), 3: (7.25, 193.75)}
    for lead, (mse, mse_ref) in expected.items():
        fc = row(scores, lead_h=lead, method="forecast")
        assert fc["skill_vs_persistence"] == pytest.approx(1 - mse / mse_ref)
        assert fc["rmse_ratio_vs_persistence"] == pytest.approx(math.sqrt(mse / mse_ref))
        ref = row(scores, lead_h=lead, method="persistence")
        assert ref["rmse"] == pytest.approx(math.sqrt(mse_ref))
        assert ref["skill_vs_persistence"] == pytest.approx(0.0)
    # lead 1 by hand: 1 − 3.5/43.75 = 0.92
    assert row(scores, lead_h=1, method="forecast")["skill_vs_persistence"] == pytest.approx(0.92)


def test_scores_by_window_pool_all_twelve_pairs(small):
    scores = continuous_scores(small, "window")
    fc = row(scores, group="1-24 h", method="forecast")
    # MSE (14 + 38 + 29)/12 = 6.75; bias 9/12 = 0.75; MAE 25/12; persistence MSE 1025/12
    assert fc["n"] == 12
    assert fc["rmse"] == pytest.approx(math.sqrt(6.75))
    assert fc["bias"] == pytest.approx(0.75)
    assert fc["mae"] == pytest.approx(25 / 12)
    assert fc["skill_vs_persistence"] == pytest.approx(1 - 81 / 1025)
    assert set(scores["group"]) == {"1-24 h"}
    assert "lead_h" not in scores.columns


def test_common_pairs_drop_a_pair_any_method_lacks_and_own_pairs_keep_it(small):
    small.loc[(small["station_id"] == "B") & (small["issue_time"] == I2) & (small["lead_h"] == 3), "persistence"] = (
        np.nan
    )
    scores = continuous_scores(small, "lead", pairing="both")
    common = row(scores, lead_h=3, method="forecast", pairing="common")
    own = row(scores, lead_h=3, method="forecast", pairing="own")
    # common: errors +3, −2, +4 -> MSE 29/3; own keeps B/I2 (error 0) -> MSE 29/4
    assert (common["n"], own["n"]) == (3, 4)
    assert common["rmse"] == pytest.approx(math.sqrt(29 / 3))
    assert own["rmse"] == pytest.approx(math.sqrt(29 / 4))
    # skill is always on the pairs both methods have: persistence errors −15 −15 −15 -> MSE 225
    assert common["skill_vs_persistence"] == pytest.approx(1 - (29 / 3) / 225)
    assert own["skill_vs_persistence"] == pytest.approx(1 - (29 / 3) / 225)


def test_a_method_missing_a_whole_pollutant_does_not_empty_the_common_pairs(small):
    no2 = small.assign(pollutant="no2", persistence=np.nan)  # no persistence at all for NO2
    scores = continuous_scores(pd.concat([small, no2]), "window")
    assert row(scores, pollutant="no2", method="forecast")["n"] == 12
    assert row(scores, pollutant="pm25", method="forecast")["n"] == 12
    assert not ((scores["pollutant"] == "no2") & (scores["method"] == "persistence")).any()


def test_day_groups_follow_local_days(small):
    scores = continuous_scores(small, "day")
    # I1 = 00 UTC: leads 1-3 are local 08:00-10:00 of D1; I2 = 12 UTC: 20:00-22:00 local, before D1
    fc = row(scores, group="D1", method="forecast")
    assert fc["n"] == 6
    assert set(scores["group"]) == {"D1"}


# --- lead windows and local days -----------------------------------------------------------------


def test_lead_windows():
    assert list(lead_window([1, 24, 25, 48, 49, 72])) == [
        "1-24 h",
        "1-24 h",
        "25-48 h",
        "25-48 h",
        "49-72 h",
        "49-72 h",
    ]
    assert pd.isna(lead_window([73])[0])


def days_of(issue: str, tz: str) -> list:
    issue_time = pd.Series([pd.Timestamp(issue)] * 72)
    valid = issue_time + pd.to_timedelta(np.arange(1, 73), unit="h")
    number, dates = forecast_day_number(issue_time, valid, tz)
    return list(forecast_day(number)), dates


def test_00utc_in_ho_chi_minh_d1_is_today_with_17_hours():
    days, dates = days_of("2024-03-10T00:00Z", HCM)
    # lead 1 = 08:00 local … lead 17 = 24:00 local (00:00 of the 11th) still belong to the 10th
    assert days[:17] == ["D1"] * 17
    assert dates[16] == pd.Timestamp("2024-03-10")
    assert days[17] == "D2"  # lead 18 = 01:00 local, first hour of D2
    assert days[41] == "D3"  # lead 42
    assert pd.isna(days[65])  # lead 66 belongs to a fourth day
    prepared = Hindcast.from_table(
        hindcast(
            [("2024-03-10T00:00Z", "s", "pm25", lead, 1.0, 1.0) for lead in (1, 17, 18, 42)], ("observed", "forecast")
        )
    )
    assert list(prepared.frame["day_hours"]) == [17, 17, 24, 24]


def test_12utc_in_ho_chi_minh_d1_is_tomorrow():
    days, dates = days_of("2024-03-10T12:00Z", HCM)
    # first forecast hour 20:00 local: only 5 forecast hours (20:00 … 24:00) that day -> D1 = the 11th
    assert all(pd.isna(d) for d in days[:5])
    assert days[5] == "D1" and dates[5] == pd.Timestamp("2024-03-11")  # lead 6 = 01:00 local
    assert days[29] == "D2" and days[53] == "D3" and days[71] == "D3"
    prepared = Hindcast.from_table(
        hindcast([("2024-03-10T12:00Z", "s", "pm25", lead, 1.0, 1.0) for lead in (6, 54)], ("observed", "forecast"))
    )
    assert list(prepared.frame["day_hours"]) == [24, 19]  # D3 holds leads 54 … 72


def test_shanghai_station_uses_its_own_zone():
    days, _ = days_of("2024-03-10T00:00Z", "Asia/Shanghai")
    assert days[:16] == ["D1"] * 16 and days[16] == "D2"  # 09:00 … 24:00 local = 16 hours
    days, dates = days_of("2024-03-10T12:00Z", "Asia/Shanghai")
    assert all(pd.isna(d) for d in days[:4]) and days[4] == "D1"  # 21:00 local: 4 hours left
    assert dates[4] == pd.Timestamp("2024-03-11")
    table = hindcast([("2024-03-10T00:00Z", s, "pm25", 17, 1.0, 1.0) for s in ("hcm", "sh")], ("observed", "forecast"))
    prepared = Hindcast.from_table(table, tz_by_station={"sh": "Asia/Shanghai"})
    assert dict(zip(prepared.frame["station_id"], prepared.frame["day"], strict=True)) == {"hcm": "D1", "sh": "D2"}


@pytest.mark.parametrize("tz", [HCM, "Asia/Shanghai", "Asia/Kolkata"])
def test_first_forecast_day_agrees_with_forecast_days(tz):
    issues = pd.date_range("2024-01-01", periods=48, freq="h", tz="UTC")
    expected = [forecast_days(issue, tz)[0] for issue in issues]
    assert list(first_forecast_day(issues, tz)) == expected


# --- window means -------------------------------------------------------------------------------


def window_table(n_observed: int, first_lead: int = 1, n_leads: int = 24, issue: str = "2024-01-01T00:00Z"):
    """One issue, leads first_lead …: observed = lead for the first n_observed leads, forecast = observed + 2,
    and a wild forecast (1000) where nothing is observed, which must not enter the mean."""
    rows = []
    for k, lead in enumerate(range(first_lead, first_lead + n_leads)):
        seen = k < n_observed
        rows.append((issue, "s", "pm25", lead, float(lead) if seen else np.nan, lead + 2.0 if seen else 1000.0))
    return hindcast(rows, ("observed", "forecast"))


def test_window_mean_needs_18_of_24_observed_hours():
    included = window_mean_pairs(window_table(18))
    # leads 1 … 18 observed: observed mean 9.5, forecast mean over the same hours 11.5
    assert len(included) == 1
    assert included.iloc[0][["n_hours", "nominal_hours"]].tolist() == [18, 24]
    assert included.iloc[0]["observed_mean"] == pytest.approx(9.5)
    assert included.iloc[0]["forecast_mean"] == pytest.approx(11.5)
    assert window_mean_pairs(window_table(17)).empty
    scores = window_mean_scores(window_table(18), by="window")
    assert row(scores, method="forecast")[["n", "bias", "rmse"]].tolist() == pytest.approx([1, 2.0, 2.0])
    assert window_mean_scores(window_table(17), by="window").empty


def test_local_day_mean_of_the_00utc_run_needs_13_of_its_17_forecast_hours():
    # D1 of the 00 UTC run holds leads 1 … 17: ceil(0.75 × 17) = 13 observed hours needed
    assert len(window_mean_pairs(window_table(13, n_leads=17), by="day")) == 1
    assert window_mean_pairs(window_table(12, n_leads=17), by="day").empty


def test_window_mean_rmse_ratio_to_persistence():
    # two stations, one issue, leads 1-24 fully observed at 10 µg/m³;
    # forecast 12 and 7 (window errors +2, −3); persistence 14 and 14 (errors +4, +4)
    rows = [
        ("2024-01-01T00:00Z", s, "pm25", lead, 10.0, fc, 14.0)
        for s, fc in (("a", 12.0), ("b", 7.0))
        for lead in range(1, 25)
    ]
    scores = window_mean_scores(hindcast(rows, ("observed", "forecast", "persistence")), by="window")
    fc = row(scores, method="forecast")
    # MSE forecast (4 + 9)/2 = 6.5, persistence 16 -> ratio sqrt(6.5/16), skill 1 − 6.5/16
    assert fc["rmse_ratio_vs_persistence"] == pytest.approx(math.sqrt(6.5 / 16))
    assert fc["skill_vs_persistence"] == pytest.approx(1 - 6.5 / 16)


# --- probabilistic --------------------------------------------------------------------------------

# y, q10, q50, q90; pinball QS_τ = (1{y<q} − τ)(q − y)
#   10 | 8 11 14 : inside;  QS = 0.2, 0.5, 0.4  (sum 1.1)
#   20 | 5 10 15 : above;   QS = 1.5, 5.0, 4.5  (sum 11)
#    2 | 4  6  9 : below;   QS = 1.8, 2.0, 0.7  (sum 4.5)
#    9 | 9 10 12 : inside (q10 inclusive); QS = 0, 0.5, 0.3 (sum 0.8)
# crps_quantile = 2/3 × sum -> mean over rows = 2/3 × 17.4 / 4 = 2.9
QUANTILE_ROWS = [(10, 8, 11, 14), (20, 5, 10, 15), (2, 4, 6, 9), (9, 9, 10, 12)]


@pytest.fixture()
def quantile_table() -> pd.DataFrame:
    rows = [
        ("2024-01-01T00:00Z", f"s{k}", "pm25", 1, y, q50, q10, q50, q90)
        for k, (y, q10, q50, q90) in enumerate(QUANTILE_ROWS)
    ]
    return hindcast(rows, ("observed", "forecast", "q10", "q50", "q90"))


def test_coverage_width_and_crps_match_hand_numbers(quantile_table):
    scores = probabilistic_scores(quantile_table)
    window = row(scores, group_kind="window", group="1-24 h")
    assert window["n"] == 4
    assert window["coverage_10_90"] == pytest.approx(0.5)
    assert window["below_q10"] == pytest.approx(0.25)
    assert window["above_q90"] == pytest.approx(0.25)
    assert window["mean_width"] == pytest.approx((6 + 10 + 5 + 3) / 4)
    assert window["crps_quantile"] == pytest.approx(2.9)
    assert window["pinball_q50"] == pytest.approx((0.5 + 5.0 + 2.0 + 0.5) / 4)
    assert window["n_crossed"] == 0
    lead = row(scores, group_kind="lead", group="1")
    assert lead["lead_h"] == 1 and lead["crps_quantile"] == pytest.approx(2.9)
    y, q10, q50, q90 = np.array(QUANTILE_ROWS, dtype=float).T
    assert crps_quantile(q10, q50, q90, y) == pytest.approx([2.2 / 3, 22 / 3, 3.0, 1.6 / 3])


def test_reliability_counts_observations_at_or_below_each_quantile(quantile_table):
    table = reliability_table(quantile_table)
    pooled = table[table["group_kind"] == "all"].set_index("quantile")
    # y ≤ q10: 2 ≤ 4, 9 ≤ 9 -> 0.5; y ≤ q50: 3 of 4; y ≤ q90: 3 of 4
    assert pooled["observed_frequency"].to_dict() == pytest.approx({"q10": 0.5, "q50": 0.75, "q90": 0.75})
    assert pooled["nominal"].to_dict() == {"q10": 0.1, "q50": 0.5, "q90": 0.9}
    assert set(pooled["group"]) == {"1-1 h"}


def test_without_quantile_columns_the_probabilistic_tables_are_empty(small):
    assert probabilistic_scores(small).empty
    assert reliability_table(small).empty


# --- validation -------------------------------------------------------------------------------------


def test_missing_columns_are_named(small):
    with pytest.raises(ValueError, match=r"'lead_h'.*'observed'"):
        verify(small.drop(columns=["observed", "lead_h"]))
    with pytest.raises(ValueError, match="'forecast'"):
        verify(small.drop(columns=["forecast"]))
    with pytest.raises(ValueError, match="'ctm'"):
        verify(small, methods=["forecast", "ctm"])


def test_empty_table_and_table_without_observation(small):
    with pytest.raises(ValueError, match="empty"):
        verify(small.iloc[:0])
    with pytest.raises(ValueError, match="no observation"):
        verify(small.assign(observed=np.nan))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t: t.assign(issue_time=t["issue_time"].dt.tz_localize(None)), "timezone-aware"),
        (lambda t: t.assign(valid_time=t["valid_time"] + pd.Timedelta(hours=1)), "valid_time"),
        (lambda t: pd.concat([t, t.iloc[:1]]), "duplicated"),
        (lambda t: t.assign(pollutant="pm2.5"), "unknown pollutant"),
        (lambda t: t.assign(lead_h=t["lead_h"] + 0.5), "whole hours"),
        (lambda t: t.assign(forecast="high"), "numeric"),
    ],
)
def test_bad_tables_are_refused_with_the_reason(small, change, message):
    with pytest.raises(ValueError, match=message):
        verify(change(small))


def test_unknown_time_zone_is_named(small):
    with pytest.raises(ValueError, match="Mars/Olympus"):
        verify(small, tz_by_station={"A": "Mars/Olympus"})


# --- properties -------------------------------------------------------------------------------------


def random_table(seed: int, n_stations: int, n_issues: int, leads: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    issues = pd.date_range("2024-01-01", periods=n_issues, freq="12h", tz="UTC")
    index = pd.MultiIndex.from_product(
        [issues, [f"s{k}" for k in range(n_stations)], ["pm25", "o3"], range(1, leads + 1)]
    )
    table = index.to_frame(index=False, name=["issue_time", "station_id", "pollutant", "lead_h"])
    table["valid_time"] = table["issue_time"] + pd.to_timedelta(table["lead_h"], unit="h")
    table["observed"] = rng.gamma(3.0, 15.0, len(table))
    table.loc[rng.random(len(table)) < 0.1, "observed"] = np.nan
    table["forecast"] = table["observed"].fillna(40.0) + rng.normal(0, 8, len(table))
    table["persistence"] = table["observed"].fillna(40.0) + rng.normal(0, 15, len(table))
    spread = rng.uniform(1, 20, len(table))
    table["q10"], table["q50"], table["q90"] = table["forecast"] - spread, table["forecast"], table["forecast"] + spread
    return table


PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(seed=st.integers(0, 10_000), n_stations=st.integers(1, 3), n_issues=st.integers(1, 4))
def test_a_perfect_forecast_has_zero_error_and_skill_one(seed, n_stations, n_issues):
    table = random_table(seed, n_stations, n_issues, leads=30)
    table["forecast"] = table["observed"]
    for scores in (continuous_scores(table, "lead"), window_mean_scores(table)):
        fc = scores[scores["method"] == "forecast"]
        assert np.allclose(fc[["rmse", "mae", "bias"]].to_numpy(dtype=float), 0.0, atol=1e-9)
        assert np.allclose(fc["skill_vs_persistence"], 1.0)
        assert np.allclose(fc["rmse_ratio_vs_persistence"], 0.0)


@PROPERTY
@given(seed=st.integers(0, 10_000), n_stations=st.integers(1, 3), n_issues=st.integers(1, 4))
def test_scores_do_not_depend_on_row_order(seed, n_stations, n_issues):
    table = random_table(seed, n_stations, n_issues, leads=30)
    shuffled = table.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    for by in ("lead", "day"):
        pd.testing.assert_frame_equal(continuous_scores(table, by), continuous_scores(shuffled, by))
    pd.testing.assert_frame_equal(window_mean_scores(table), window_mean_scores(shuffled))
    pd.testing.assert_frame_equal(probabilistic_scores(table), probabilistic_scores(shuffled))


@PROPERTY
@given(seed=st.integers(0, 10_000), n_issues=st.integers(1, 3))
def test_coverage_and_frequencies_are_fractions_that_add_up(seed, n_issues):
    scores = probabilistic_scores(random_table(seed, 2, n_issues, leads=30))
    for name in ("coverage_10_90", "below_q10", "above_q90"):
        assert scores[name].between(0, 1).all()
    total = scores["coverage_10_90"] + scores["below_q10"] + scores["above_q90"]
    assert np.allclose(total, 1.0)  # no crossing quantiles in these tables
    assert (scores["crps_quantile"] >= 0).all()
    assert reliability_table(random_table(seed, 2, n_issues, leads=30))["observed_frequency"].between(0, 1).all()


# --- report and plots -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report():
    return verify(random_table(7, n_stations=3, n_issues=8, leads=72))


def test_verify_builds_every_table(report):
    frames = report.to_frames()
    assert list(frames) == [
        "by_lead",
        "by_window",
        "by_day",
        "window_means",
        "daily_categories",
        "probabilistic",
        "reliability",
        "daily_aqi",
    ]
    for name, frame in frames.items():
        assert not frame.empty, name
    assert report.methods == ("forecast", "persistence") and report.references == ("persistence",)
    assert set(report.by_lead["lead_h"]) == set(range(1, 73))
    assert set(report.by_day["group"]) == {"D1", "D2", "D3"}
    assert set(report.window_means["group_kind"]) == {"window", "day"}


def test_summary_is_the_window_mean_headline(report):
    summary = report.summary()
    assert list(summary.columns) == [
        "pollutant",
        "window",
        "method",
        "n",
        "rmse_forecast",
        "rmse_persistence",
        "bias",
        "corr",
        "rmse_ratio_vs_persistence",
        "skill_vs_persistence",
    ]
    headline = row(summary, pollutant="pm25", window="1-24 h")
    source = row(report.window_means, pollutant="pm25", group_kind="window", group="1-24 h", method="forecast")
    assert headline["rmse_ratio_vs_persistence"] == pytest.approx(source["rmse_ratio_vs_persistence"])
    assert headline["rmse_persistence"] == pytest.approx(
        row(report.window_means, pollutant="pm25", group_kind="window", group="1-24 h", method="persistence")["rmse"]
    )


def test_save_writes_csv_tables_and_a_json_summary(report, tmp_path):
    written = report.save(tmp_path / "out")
    for name in report.to_frames():
        assert written[name].is_file() and written[name].stat().st_size > 0
    document = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert document["method"] == "forecast" and len(document["rows"]) == len(report.summary())
    assert pd.read_csv(written["by_window"]).shape == report.by_window.shape


def test_plots_write_png_files(report, tmp_path):
    for path in (
        plot_skill_by_lead(report.by_lead, "pm25", tmp_path / "skill.png"),
        plot_reliability(report.reliability, tmp_path / "reliability.png"),
    ):
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    with pytest.raises(ValueError, match="no2"):
        plot_skill_by_lead(report.by_lead, "no2", tmp_path / "none.png")
