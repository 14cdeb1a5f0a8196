"""Daily VN_AQI of hindcasts: hand-computed days, the engine and the operational path agree, categorical scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forecast.aqi import daily_aqi
from forecast.forecast_aqi import forecast_vn_aqi
from forecast.verification import categorical_scores, contingency_table, daily_aqi_pairs, verify

HCM = "Asia/Ho_Chi_Minh"


def pm25_hindcast(issue: str, forecast_by_day: dict, observed_by_day: dict, station: str = "s") -> pd.DataFrame:
    """72 leads of PM2.5 whose values are constant over each local day (Asia/Ho_Chi_Minh, hours 01:00-00:00)."""
    issue_time = pd.Timestamp(issue)
    lead = np.arange(1, 73)
    valid = issue_time + pd.to_timedelta(lead, unit="h")
    day = (valid - pd.Timedelta(hours=1)).tz_convert(HCM).strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "issue_time": issue_time,
            "station_id": station,
            "pollutant": "pm25",
            "lead_h": lead,
            "valid_time": valid,
            "forecast": [forecast_by_day[d] for d in day],
            "observed": [observed_by_day[d] for d in day],
        }
    )


# PM2.5 sub-index (VN_AQI.md §2, Table 2 breakpoints 0/25/50/80/150/250 -> 0/50/100/150/200/300):
#   60: (150 − 100)/(80 − 50) × (60 − 50) + 100 = 116.67 -> 117 Kém (3)
#   45: (100 − 50)/(50 − 25) × (45 − 25) + 50   = 90            Trung bình (2)
#   90: (200 − 150)/(150 − 80) × (90 − 80) + 150 = 157.14 -> 157 Xấu (4)
#   85: 50/70 × 5 + 150 = 153.57 -> 154 Xấu (4)
#   20: 2 × 20 = 40 Tốt (1);  30: 2 × 5 + 50 = 60 Trung bình (2)
FORECAST = {"2024-01-10": 45.0, "2024-01-11": 60.0, "2024-01-12": 90.0, "2024-01-13": 20.0}
OBSERVED = {"2024-01-10": 45.0, "2024-01-11": 45.0, "2024-01-12": 85.0, "2024-01-13": 30.0}


def test_12utc_run_daily_aqi_matches_hand_numbers():
    table = pm25_hindcast("2024-01-10T12:00Z", FORECAST, OBSERVED)
    pairs = daily_aqi_pairs(table).query("pollutant == 'pm25'").set_index("day")
    assert list(pairs.index) == ["D1", "D2", "D3"]
    assert list(pairs["date"].dt.strftime("%Y-%m-%d")) == ["2024-01-11", "2024-01-12", "2024-01-13"]
    assert list(pairs["aqi_forecast"]) == [117, 157, 40]
    assert list(pairs["aqi_observed"]) == [90, 154, 60]
    assert list(pairs["category_forecast"]) == [3, 4, 1]
    assert list(pairs["category_observed"]) == [2, 4, 2]
    # D3 of the 12 UTC run holds leads 54 … 72 only: 19 hours, still ≥ 18 of 24
    assert list(pairs["forecast_hours"]) == [24, 24, 19]
    assert list(pairs["observed_hours"]) == [0, 0, 0]
    overall = daily_aqi_pairs(table).query("pollutant == 'all'")
    assert list(overall["aqi_forecast"]) == [117, 157, 40] and set(overall["pollutants"]) == {"pm25"}


def test_00utc_run_d1_mixes_the_observed_morning_with_the_forecast():
    # the 12 UTC run of the 9th supplies the observations of 01:00-07:00 local on the 10th
    before = pm25_hindcast(
        "2024-01-09T12:00Z",
        {**FORECAST, "2024-01-09": 0.0},
        {"2024-01-09": 0.0, "2024-01-10": 30.0, "2024-01-11": 30.0, "2024-01-12": 30.0},
    )
    issue = pm25_hindcast("2024-01-10T00:00Z", {**FORECAST, "2024-01-10": 60.0}, {**OBSERVED, "2024-01-10": 40.0})
    # the second run's observations from 08:00 on the 10th are 40: observed rows must agree where runs overlap
    before.loc[before["valid_time"] > pd.Timestamp("2024-01-10T00:00Z"), "observed"] = np.nan
    pairs = daily_aqi_pairs(pd.concat([before, issue])).query("pollutant == 'pm25'")
    d1 = pairs[(pairs["issue_time"] == pd.Timestamp("2024-01-10T00:00Z")) & (pairs["day"] == "D1")].iloc[0]
    assert (d1["observed_hours"], d1["forecast_hours"]) == (7, 17)
    # forecast day: 7 h observed at 30 + 17 h forecast at 60 -> mean 1230/24 = 51.25
    #   -> 50/30 × 1.25 + 100 = 102.08 -> 102 Kém
    assert d1["aqi_forecast"] == 102 and d1["category_forecast"] == 3
    # observed day: 7 h at 30 + 17 h at 40 -> 890/24 = 37.083 -> 2 × 12.083 + 50 = 74.17 -> 74
    assert d1["aqi_observed"] == 74 and d1["category_observed"] == 2


def test_the_first_day_fails_completeness_without_earlier_observations():
    table = pm25_hindcast("2024-01-10T00:00Z", {**FORECAST, "2024-01-10": 60.0}, {**OBSERVED, "2024-01-10": 40.0})
    pairs = daily_aqi_pairs(table).query("pollutant == 'pm25'").set_index("day")
    # 01:00-07:00 local precede the only issue: the observed D1 has 17 of 24 hours -> no AQI,
    # while the forecast day has no value for those hours either -> the D1 row is dropped
    assert "D1" not in pairs.index
    assert list(pairs.index) == ["D2", "D3"]


# --- the engine and the operational path agree -----------------------------------------------------


def synthetic(issues: pd.DatetimeIndex, stations: list[str], seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    hours = pd.date_range(issues[0], issues[-1] + pd.Timedelta(hours=72), freq="h")
    wave = np.arange(len(hours)) / 4.0
    truth = {
        (s, p): pd.Series(scale * (1.2 + np.sin(wave + k)) + rng.normal(0, scale / 10, len(hours)), index=hours)
        for k, s in enumerate(stations)
        for p, scale in (("pm25", 40.0), ("no2", 60.0), ("o3", 90.0))
    }
    for issue in issues:
        for (s, p), series in truth.items():
            lead = np.arange(1, 73)
            valid = issue + pd.to_timedelta(lead, unit="h")
            observed = series.reindex(valid).to_numpy()
            parts.append(
                pd.DataFrame(
                    {
                        "issue_time": issue,
                        "station_id": s,
                        "pollutant": p,
                        "lead_h": lead,
                        "valid_time": valid,
                        "observed": observed,
                        "forecast": observed * rng.uniform(0.6, 1.5, lead.size),
                    }
                )
            )
    table = pd.concat(parts, ignore_index=True)
    table.loc[rng.random(len(table)) < 0.03, "observed"] = np.nan
    return table


def observed_dataset(table: pd.DataFrame, stations: list[str]) -> xr.Dataset:
    """The observation series of the table, first non-null per station/pollutant/hour, as engine input
    (padded with two unknown days at each end, as in an archive)."""
    obs = table.dropna(subset=["observed"]).drop_duplicates(["station_id", "pollutant", "valid_time"])
    wide = obs.pivot_table(index=["station_id", "valid_time"], columns="pollutant", values="observed")
    pad = pd.Timedelta(days=2)
    time = pd.date_range(table["valid_time"].min() - pad, table["valid_time"].max() + pad, freq="h")
    wide = wide.reindex(pd.MultiIndex.from_product([stations, time], names=["station_id", "valid_time"]))
    data = {p: (("station", "time"), wide[p].to_numpy().reshape(len(stations), len(time))) for p in wide.columns}
    return xr.Dataset(data, coords={"station": stations, "time": time.tz_localize(None).values})


def forecast_cube(table: pd.DataFrame, issue: pd.Timestamp, stations: list[str]) -> xr.Dataset:
    """The forecast of one issue as the operational cube: dims (station, lead), valid_time, attr issue_time."""
    rows = table[table["issue_time"] == issue]
    lead = np.arange(1, 73)
    values = {}
    for p in ("pm25", "no2", "o3"):
        wide = rows[rows["pollutant"] == p].pivot(index="station_id", columns="lead_h", values="forecast")
        values[p] = (("station", "lead"), wide.loc[stations, lead].to_numpy())
    valid = (issue + pd.to_timedelta(lead, unit="h")).tz_localize(None).values
    coords = {"station": stations, "lead": lead, "valid_time": ("lead", valid)}
    return xr.Dataset(values, coords=coords, attrs={"issue_time": issue.isoformat()})


@pytest.mark.parametrize("tz, d1_forecast_hours", [(HCM, [17, 24]), ("Asia/Shanghai", [16, 24])])
def test_forecast_days_agree_with_the_operational_forecast_vn_aqi(tz, d1_forecast_hours):
    # 00 and 12 UTC runs, PM2.5 + NO2 + O3 (8-h O3 means across the issue time and the horizon)
    issues = pd.date_range("2024-02-01T00:00Z", periods=4, freq="12h")
    stations = ["a", "b"]
    table = synthetic(issues, stations)
    pairs = daily_aqi_pairs(table, tz_by_station=tz)
    pairs = pairs[pairs["pollutant"] == "all"].set_index(["issue_time", "station_id", "day"])
    obs = observed_dataset(table, stations)
    compared = 0
    for issue in issues:
        expected = forecast_vn_aqi(obs, forecast_cube(table, issue, stations), tz=tz).daily
        for s in stations:
            for day in ("D1", "D2", "D3"):
                want = expected["aqi"].sel(station=s, day=day).item()
                got = pairs["aqi_forecast"].get((issue, s, day), np.nan)
                assert (np.isnan(want) and np.isnan(got)) or want == got, (issue, s, day, want, got)
                compared += not np.isnan(want)
        d1 = pairs.loc[(issue, "a", "D1")] if (issue, "a", "D1") in pairs.index else None
        if d1 is not None:  # the first 00 UTC run has no observed morning: its D1 fails completeness
            assert d1["forecast_hours"] == d1_forecast_hours[issue.hour // 12]
            assert d1["observed_hours"] == 24 - d1["forecast_hours"]
    assert compared >= 20


def test_observed_days_agree_with_the_engine_on_the_observation_series():
    issues = pd.date_range("2024-02-01T00:00Z", periods=4, freq="12h")
    stations = ["a", "b"]
    table = synthetic(issues, stations, seed=11)
    pairs = daily_aqi_pairs(table)
    engine = daily_aqi(observed_dataset(table, stations), tz=HCM)
    for p in ("pm25", "no2", "o3"):
        mine = pairs[(pairs["pollutant"] == p) & (pairs["method"] == "forecast")]
        mine = mine.drop_duplicates(["station_id", "date"]).dropna(subset=["aqi_observed"])
        assert len(mine) >= 8
        want = engine[f"aqi_{p}"].sel(station=mine["station_id"].to_xarray(), date=mine["date"].to_xarray())
        assert np.allclose(np.floor(want.values + 0.5), mine["aqi_observed"].to_numpy())


def test_all_without_pm_has_no_overall_aqi_and_lists_its_pollutants():
    issues = pd.date_range("2024-02-01T00:00Z", periods=2, freq="12h")
    table = synthetic(issues, ["a"])
    gases = daily_aqi_pairs(table[table["pollutant"] != "pm25"])
    assert "all" not in set(gases["pollutant"])  # Decision 1459 §5: no VN_AQI without PM2.5 or PM10
    with_pm = daily_aqi_pairs(table[table["pollutant"] != "o3"])
    assert set(with_pm.loc[with_pm["pollutant"] == "all", "pollutants"]) == {"pm25+no2"}


# --- categorical scores ------------------------------------------------------------------------------

# four (forecast, observed) daily AQI pairs, categories in brackets
#   117 (3) / 90 (2)    false alarm at 101, exact no, within ±1 yes
#   157 (4) / 154 (4)   hit at 101 and 151, exact
#    80 (2) / 133 (3)   miss at 101, within ±1
#   108 (3) / 210 (5)   hit at 101, miss at 151, off by 2 categories
PAIRS = [(117, 90), (157, 154), (80, 133), (108, 210)]


@pytest.fixture()
def four_pairs() -> pd.DataFrame:
    from forecast.aqi import category_of

    f, o = np.array(PAIRS, dtype=float).T
    return pd.DataFrame(
        {
            "issue_time": pd.Timestamp("2024-01-01T00:00Z"),
            "station_id": [f"s{k}" for k in range(4)],
            "day": "D1",
            "pollutant": "all",
            "pollutants": "pm25",
            "method": "forecast",
            "aqi_forecast": f,
            "aqi_observed": o,
            "category_forecast": category_of(f),
            "category_observed": category_of(o),
        }
    )


def test_categorical_scores_match_hand_numbers(four_pairs):
    scores = categorical_scores(four_pairs).iloc[0]
    assert scores["n"] == 4
    assert scores["accuracy"] == pytest.approx(1 / 4)
    assert scores["accuracy_within_1"] == pytest.approx(3 / 4)
    assert scores["aqi_bias"] == pytest.approx((27 + 3 - 53 - 102) / 4)
    assert scores["aqi_mae"] == pytest.approx((27 + 3 + 53 + 102) / 4)
    # ≥ 101: hits 2, misses 1, false alarms 1 -> POD 2/3, FAR 1/3, CSI 2/4
    assert scores[["hits_ge101", "misses_ge101", "false_alarms_ge101", "correct_negatives_ge101"]].tolist() == [
        2,
        1,
        1,
        0,
    ]
    assert scores[["pod_ge101", "far_ge101", "csi_ge101"]].tolist() == pytest.approx([2 / 3, 1 / 3, 1 / 2])
    # ≥ 151: hits 1, misses 1, false alarms 0 -> POD 1/2, FAR 0, CSI 1/2
    assert scores[["hits_ge151", "misses_ge151", "false_alarms_ge151", "correct_negatives_ge151"]].tolist() == [
        1,
        1,
        0,
        2,
    ]
    assert scores[["pod_ge151", "far_ge151", "csi_ge151"]].tolist() == pytest.approx([1 / 2, 0.0, 1 / 2])


def test_undefined_scores_are_nan(four_pairs):
    scores = categorical_scores(four_pairs, thresholds=(301,)).iloc[0]
    assert scores["hits_ge301"] == 0 and scores["correct_negatives_ge301"] == 4
    assert np.isnan(scores["pod_ge301"]) and np.isnan(scores["far_ge301"]) and np.isnan(scores["csi_ge301"])


def test_contingency_table(four_pairs):
    table = contingency_table(four_pairs, "all", "D1")
    assert table.shape == (6, 6) and table.to_numpy().sum() == 4
    assert (table.loc[2, 3], table.loc[4, 4], table.loc[3, 2], table.loc[5, 3]) == (1, 1, 1, 1)
    named = contingency_table(four_pairs, labels=True)
    assert named.loc["Trung bình", "Kém"] == 1 and list(named.index)[0] == "Tốt"


def test_common_pairing_scores_every_method_on_the_same_days(four_pairs):
    other = four_pairs.assign(method="persistence")
    other.loc[0, ["aqi_forecast", "category_forecast"]] = [np.nan, 0]  # persistence has no AQI on day 1
    both = pd.concat([four_pairs, other], ignore_index=True)
    common = categorical_scores(both, pairing="common").set_index("method")
    own = categorical_scores(both, pairing="own").set_index("method")
    assert common.loc["forecast", "n"] == 3 and common.loc["persistence", "n"] == 3
    assert own.loc["forecast", "n"] == 4 and own.loc["persistence", "n"] == 3


def test_verify_scores_daily_categories_per_day():
    issues = pd.date_range("2024-02-01T00:00Z", periods=4, freq="12h")
    report = verify(synthetic(issues, ["a", "b"]))
    cats = report.daily_categories
    assert set(cats["day"]) == {"D1", "D2", "D3"}
    assert set(cats["pollutant"]) == {"pm25", "no2", "o3", "all"}
    assert cats["accuracy"].between(0, 1).all() and (cats["accuracy_within_1"] >= cats["accuracy"]).all()
    assert report.contingency("all").to_numpy().sum() == cats.query("pollutant == 'all'")["n"].sum()
