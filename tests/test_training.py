"""LightGBM corrector: determinism, time-ordered validation, quantiles, blend, save/load (synthetic data)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from features.met import MET_COLUMNS
from features.spec import FeatureSpec
from features.table import build_feature_table
from forecast.corrector import CorrectorModel, FeatureMismatchError, from_target, to_target
from tests.feature_helpers import synthetic_inputs
from training.hindcast import chunks, predict_table, rolling_issue_times
from training.lightgbm import (
    BoosterSettings,
    TrainingDataError,
    conformal_offsets,
    fit_blend_weights,
    fit_corrector,
    smallest_within_tolerance,
)
from training.validation import seasonal_holdout

SMALL = BoosterSettings(
    max_rounds=60,
    quantile_max_rounds=40,
    num_leaves=15,
    quantile_num_leaves=7,
    min_data_in_leaf=20,
    early_stopping_rounds=10,
    num_threads=1,
)


@pytest.fixture(scope="module")
def tables():
    inputs = synthetic_inputs(days=75, stations=2)
    spec = FeatureSpec(met_mode="perfect", emission_factors=False)
    train = build_feature_table(inputs, pd.date_range("2016-01-10", "2016-02-20", freq="12h", tz="UTC"), spec)
    valid = build_feature_table(inputs, pd.date_range("2016-02-24", "2016-03-10", freq="12h", tz="UTC"), spec)
    return spec, train, valid


@pytest.fixture(scope="module")
def fitted(tables):
    spec, train, valid = tables
    return fit_corrector(train, valid, "pm25", spec, settings=SMALL)


def test_fit_is_deterministic(tables, fitted):
    spec, train, valid = tables
    again, _ = fit_corrector(train, valid, "pm25", spec, settings=SMALL)
    pd.testing.assert_frame_equal(fitted[0].predict(valid), again.predict(valid))


def test_quantiles_never_cross_and_are_never_negative(tables, fitted):
    predicted = fitted[0].predict(tables[2])
    assert (predicted["q10"] <= predicted["q50"]).all() and (predicted["q50"] <= predicted["q90"]).all()
    assert (predicted[["forecast", "q10", "q50", "q90"]] >= 0).all().all()


def test_model_beats_persistence_on_the_synthetic_validation_block(tables, fitted):
    valid = tables[2]
    predicted = fitted[0].predict(valid)
    known = valid["pm25_observed"].notna()
    rmse = np.sqrt(np.mean((predicted["forecast"][known] - valid["pm25_observed"][known]) ** 2))
    rmse_persistence = np.sqrt(np.mean((valid["pm25_mean_24h"][known] - valid["pm25_observed"][known]) ** 2))
    assert rmse < 0.8 * rmse_persistence


def test_interval_is_calibrated_on_the_validation_block(tables, fitted):
    valid = tables[2]
    predicted = fitted[0].predict(valid)
    known = valid["pm25_observed"].notna()
    inside = (valid["pm25_observed"] >= predicted["q10"]) & (valid["pm25_observed"] <= predicted["q90"])
    assert 0.75 <= inside[known].mean() <= 0.9


def test_validation_block_must_follow_training(tables):
    spec, train, valid = tables
    with pytest.raises(TrainingDataError, match="must follow the training period"):
        fit_corrector(valid, train, "pm25", spec, settings=SMALL)


def test_too_short_validation_is_refused(tables):
    spec, train, valid = tables
    with pytest.raises(TrainingDataError, match="too short|fewer than"):
        fit_corrector(train, valid.iloc[:50], "pm25", spec, settings=SMALL)


def test_pollutant_without_observations_is_refused(tables):
    spec, train, valid = tables
    with pytest.raises(TrainingDataError, match="no column 'o3_observed'|fewer than"):
        fit_corrector(train, valid, "o3", spec, settings=SMALL)


def test_save_and_load_give_identical_predictions(tmp_path, tables, fitted):
    model = fitted[0]
    model.save(tmp_path / "m")
    loaded = CorrectorModel.load(tmp_path / "m")
    pd.testing.assert_frame_equal(model.predict(tables[2]), loaded.predict(tables[2]))
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m")


def test_a_table_from_another_feature_set_is_refused(tables, fitted):
    with pytest.raises(FeatureMismatchError, match="t2m"):
        fitted[0].predict(tables[2].drop(columns=["t2m"]))


def test_ratio_transform_round_trips():
    base = np.array([0.0, 20.0, 300.0])
    y = np.array([5.0, 40.0, 100.0])
    np.testing.assert_allclose(from_target(to_target(y, base, "ratio"), base, "ratio"), y)
    np.testing.assert_allclose(from_target(to_target(y, base, "difference"), base, "difference"), y)


def test_blend_weights_choose_climatology_where_the_model_has_no_skill():
    rng = np.random.default_rng(1)
    observed = rng.normal(50, 10, 3000)
    clim = np.full(3000, 50.0)
    block = np.repeat([0, 1, 2], 1000)
    lead = block * 24 + rng.integers(1, 25, 3000)
    model = np.where(block == 0, observed + rng.normal(0, 1, 3000), rng.normal(50, 30, 3000))
    weights = fit_blend_weights(model, clim, observed, lead)
    assert len(weights) == 72 and weights[0] >= 0.95 and max(weights[36:]) <= 0.2
    assert (np.diff(weights) <= 0).all()  # skill only fades with lead


def test_conformal_offsets_reach_80_percent_coverage():
    rng = np.random.default_rng(2)
    observed = rng.normal(0, 1, 3000)
    block = np.repeat([0, 1, 2], 1000)
    q10, q90 = np.full(3000, -0.5), np.full(3000, 0.5)  # far too narrow
    offsets = conformal_offsets(q10, q90, observed, block)
    covered = (observed >= q10 - np.take(offsets, block)) & (observed <= q90 + np.take(offsets, block))
    assert all(o > 0 for o in offsets) and 0.79 <= covered.mean() <= 0.82


def test_rolling_issue_times_and_chunks():
    times = rolling_issue_times("2016-03-01", "2016-03-03", hours=(0,))
    assert list(times.strftime("%Y-%m-%dT%H")) == ["2016-03-01T00", "2016-03-02T00", "2016-03-03T00"]
    assert len(rolling_issue_times("2016-03-01", "2016-03-31")) == 62
    assert [len(c) for c in chunks(rolling_issue_times("2016-03-01", "2016-03-31"), 10)] == [20, 20, 20, 2]
    with pytest.raises(ValueError, match="before it starts"):
        rolling_issue_times("2016-03-02", "2016-03-01")
    with pytest.raises(ValueError, match="0–23"):
        rolling_issue_times("2016-03-01", "2016-03-02", hours=(24,))


def test_hindcast_rows_have_the_documented_columns(tables, fitted):
    rows = predict_table({"pm25": fitted[0]}, tables[2])
    assert list(rows.columns[:10]) == [
        "issue_time",
        "station_id",
        "pollutant",
        "lead_h",
        "valid_time",
        "forecast",
        "q10",
        "q50",
        "q90",
        "observed",
    ]
    assert rows["lead_h"].between(1, 72).all() and str(rows["issue_time"].dt.tz) == "UTC"
    assert ((rows["valid_time"] - rows["issue_time"]) == pd.to_timedelta(rows["lead_h"].astype(int), unit="h")).all()


def _issue_rows(start: str, end: str) -> pd.DataFrame:
    issues = pd.date_range(start, end, freq="12h", tz="UTC")
    return pd.DataFrame({"issue_time": issues, "lead_h": 1, "x": np.arange(len(issues))})


def test_seasonal_holdout_holds_out_whole_months_with_an_embargo_before_each():
    rows = _issue_rows("2014-01-01", "2015-06-30")  # 18 months
    fit_rows, held = seasonal_holdout(rows, every_months=5, embargo_hours=72)
    held_months = sorted(set(held["issue_time"].dt.strftime("%Y-%m")))
    assert held_months == ["2014-05", "2014-10", "2015-03"]  # months 4, 9, 14 counted from 0: the calendar rotates
    for month in held_months:  # whole months: every issue of the month is held out
        assert (rows["issue_time"].dt.strftime("%Y-%m") == month).sum() == (
            held["issue_time"].dt.strftime("%Y-%m") == month
        ).sum()
    fitted_times = fit_rows["issue_time"]
    assert not fitted_times.dt.strftime("%Y-%m").isin(held_months).any()
    # issues whose 72 h targets reach into a held-out month are in neither set
    assert not (
        (fitted_times >= pd.Timestamp("2014-04-28", tz="UTC")) & (fitted_times < pd.Timestamp("2014-05-01", tz="UTC"))
    ).any()
    assert (fitted_times == pd.Timestamp("2014-04-27T12", tz="UTC")).any()
    assert len(fit_rows) + len(held) == len(rows) - 3 * 6  # three 72 h embargoes of 6 issues each


def test_seasonal_holdout_keeps_short_periods_whole():
    rows = _issue_rows("2016-01-01", "2016-08-31")
    fit_rows, held = seasonal_holdout(rows, every_months=5)
    assert len(fit_rows) == len(rows) and held.empty
    fit_rows, held = seasonal_holdout(_issue_rows("2014-01-01", "2015-06-30"), every_months=0)
    assert held.empty


def test_rows_without_met_are_forecast_by_the_no_met_fallback(tmp_path, tables, fitted):
    model = fitted[0]
    valid = tables[2]
    assert model.fallback is not None and "t2m" not in model.fallback.columns
    no_met = valid.copy()
    no_met[[c for c in model.columns if c in MET_COLUMNS]] = np.nan
    pd.testing.assert_frame_equal(model.predict(no_met), model.fallback.predict(no_met), check_dtype=False)
    mixed = valid.iloc[:600].reset_index(drop=True)
    mixed.loc[300:, [c for c in model.columns if c in MET_COLUMNS]] = np.nan
    predicted = model.predict(mixed)
    np.testing.assert_allclose(predicted.iloc[:300].to_numpy(float), model.predict(valid.iloc[:300]).to_numpy(float))
    np.testing.assert_allclose(
        predicted.iloc[300:].to_numpy(float), model.fallback.predict(no_met.iloc[300:600]).to_numpy(float)
    )
    model.save(tmp_path / "with-fallback")
    loaded = CorrectorModel.load(tmp_path / "with-fallback")
    assert loaded.fallback is not None
    pd.testing.assert_frame_equal(loaded.predict(mixed), predicted, check_dtype=False)


def test_the_fallback_beats_the_met_model_fed_missing_met(tables, fitted):
    model, valid = fitted[0], tables[2]
    no_met = valid[valid["pm25_observed"].notna()].copy()
    no_met[[c for c in model.columns if c in MET_COLUMNS]] = np.nan
    observed = no_met["pm25_observed"].to_numpy()
    rmse = lambda f: float(np.sqrt(np.mean((f["forecast"].to_numpy(float) - observed) ** 2)))  # noqa: E731
    assert rmse(model.fallback.predict(no_met)) < rmse(model._predict_own(no_met))


def test_a_year_long_training_period_validates_on_held_out_months_and_refits_the_mean():
    inputs = synthetic_inputs(days=430, stations=1, start="2015-01-01T01:00")
    spec = FeatureSpec(met_mode="none", emission_factors=False)
    train = build_feature_table(inputs, pd.date_range("2015-01-05", "2016-01-31", freq="24h", tz="UTC"), spec)
    valid = build_feature_table(inputs, pd.date_range("2016-02-04", "2016-02-28", freq="24h", tz="UTC"), spec)
    model, report = fit_corrector(train, valid, "pm25", spec, settings=SMALL)
    assert report.rows_holdout > 0 and report.rows_train + report.rows_holdout < len(train)  # months out, embargo
    assert model.metadata["mean_refit_rounds"] >= report.best_iterations["mean"]
    assert model.boosters["mean"].current_iteration() == model.metadata["mean_refit_rounds"]
    again, _ = fit_corrector(train, valid, "pm25", spec, settings=SMALL)
    pd.testing.assert_frame_equal(model.predict(valid), again.predict(valid))
    kept, kept_report = fit_corrector(train, valid, "pm25", spec, settings=replace(SMALL, holdout_every_months=0))
    assert kept_report.rows_holdout == 0 and "mean_refit_rounds" not in kept.metadata


def test_the_fewest_trees_within_the_tolerance_of_the_best_validation_loss_are_kept():
    history = {"valid_0": {"l2": [10.0, 5.0, 3.0, 2.03, 2.01, 2.0, 2.02]}}
    assert smallest_within_tolerance(history, 0.0) == 6
    assert smallest_within_tolerance(history, 0.01) == 5  # 2.01 ≤ 2.0 × 1.01
    assert smallest_within_tolerance(history, 0.02) == 4
    assert smallest_within_tolerance({}, 0.01) is None


def test_fit_keeps_no_more_trees_than_early_stopping(tables):
    spec, train, valid = tables
    _, exact = fit_corrector(train, valid, "pm25", spec, settings=replace(SMALL, stopping_tolerance=0.0))
    _, tolerant = fit_corrector(train, valid, "pm25", spec, settings=replace(SMALL, stopping_tolerance=0.05))
    assert all(tolerant.best_iterations[k] <= exact.best_iterations[k] for k in exact.best_iterations)


def test_rows_without_met_in_the_validation_block_do_not_judge_the_met_model(tables, fitted):
    spec, train, valid = tables
    gap = valid.copy()
    late = gap["issue_time"] >= gap["issue_time"].iloc[len(gap) // 2]
    gap.loc[late, [c for c in fitted[0].columns if c in MET_COLUMNS]] = np.nan  # a weather-station gap
    with_gap, _ = fit_corrector(train, gap, "pm25", spec, settings=SMALL)
    without_gap_rows, _ = fit_corrector(train, gap[~late], "pm25", spec, settings=SMALL)
    pd.testing.assert_frame_equal(with_gap._predict_own(valid), without_gap_rows._predict_own(valid))


def test_a_hindcast_period_is_checked_against_the_archive_of_the_stations_hindcast(monkeypatch, tmp_path):
    import training.comparison as comparison

    status = pd.DataFrame(
        {
            "station_id": ["bj-a", "hn-b"],
            "pollutant": ["pm25", "pm25"],
            "first": pd.to_datetime(["2013-03-01", "2015-12-01"], utc=True),
            "last": pd.to_datetime(["2016-02-29", "2018-12-31"], utc=True),
        }
    )

    class FakeArchive:
        def __init__(self, *args, **kwargs):
            pass

        def status(self):
            return status

    monkeypatch.setattr(comparison, "ObservationArchive", FakeArchive)
    period = ("2016-03-01", "2017-02-27", (0,))
    assert len(comparison.hindcast_issue_times(tmp_path, *period)) == 364  # the whole archive covers it
    assert len(comparison.hindcast_issue_times(tmp_path, *period, stations=["hn-b"])) == 364
    with pytest.raises(TrainingDataError, match=r"outside the archive of the 1 station\(s\).*2013-03-01 … 2016-02-29"):
        comparison.hindcast_issue_times(tmp_path, *period, stations=["bj-a"])
    with pytest.raises(TrainingDataError, match="no observations of o3"):
        comparison.hindcast_issue_times(tmp_path, *period, stations=["hn-b"], pollutants=["o3"])
