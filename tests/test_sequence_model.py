"""Sequence (LSTM) corrector: arrays and masks, scalers, determinism, skill, quantiles, unseen stations,
save/load, feature mismatch and the hindcast row format (SYNTHETIC data, a few seconds per fit)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import xarray as xr

torch = pytest.importorskip("torch")
pytest.importorskip("pytorch_lightning")

from features.climatology import fit_climatology  # noqa: E402
from features.spec import FeatureSpec  # noqa: E402
from features.table import FeatureInputs, build_feature_table  # noqa: E402
from forecast.corrector import FeatureMismatchError  # noqa: E402
from forecast.sequence.data import (  # noqa: E402
    ENCODER_HOURS,
    ChannelScaler,
    SequenceArrays,
    build_sequence_arrays,
    decoder_feature_names,
    encoder_feature_names,
)
from forecast.sequence.model import SequenceModel  # noqa: E402
from tests.feature_helpers import station, synthetic_inputs  # noqa: E402
from training.hindcast import HINDCAST_COLUMNS, predict_table  # noqa: E402
from training.lightgbm import TrainingDataError  # noqa: E402
from training.sequence import (  # noqa: E402
    SequenceSettings,
    fit_sequence_model,
    resolve_device,
    sequence_loss,
    split_held_out_months,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*LeafSpec.*")  # pytorch-lightning 2.6 vs torch 2.13, harmless

SPEC = FeatureSpec(met_mode="perfect", pollutants=["pm25", "pm10"], emission_factors=False)
TARGETS = ["pm25"]
TRAIN_ISSUES = pd.date_range("2016-01-10", "2016-02-01", freq="6h", tz="UTC")
VALID_ISSUES = pd.date_range("2016-02-05", "2016-02-11", freq="6h", tz="UTC")
TINY = replace(SequenceSettings.quick(), max_epochs=2, hidden_size=8, num_threads=1)


@pytest.fixture(scope="module")
def inputs() -> FeatureInputs:
    """SYNTHETIC: 3 stations, 45 days: a diurnal cycle, wind-driven episodes (AR), noise."""
    return synthetic_inputs(days=45, stations=3)


@pytest.fixture(scope="module")
def climatology(inputs):
    return fit_climatology(inputs.observations.sel(time=slice(None, "2016-02-04")))


@pytest.fixture(scope="module")
def fitted(inputs, climatology):
    return fit_sequence_model(
        inputs, inputs, TRAIN_ISSUES, VALID_ISSUES, SPEC, TARGETS, climatology, SequenceSettings.quick()
    )


@pytest.fixture(scope="module")
def valid_rows(fitted, inputs):
    return fitted[0].forecast_rows(inputs, VALID_ISSUES, with_references=True)


def _with_gap(inputs: FeatureInputs, start: str, end: str) -> FeatureInputs:
    observations = inputs.observations.copy(deep=True)
    observations["pm25"].loc[{"station": "syn-0", "time": slice(start, end)}] = np.nan
    return replace(inputs, observations=observations)


# --- arrays ----------------------------------------------------------------------------------
def test_arrays_have_documented_shapes_and_sample_order(inputs):
    issues = pd.DatetimeIndex(["2016-01-20T00:00Z", "2016-01-20T12:00Z"])
    arrays = build_sequence_arrays(inputs, issues, SPEC, TARGETS)
    n = len(issues) * len(inputs.stations)
    assert arrays.encoder.shape == (n, ENCODER_HOURS, len(encoder_feature_names(SPEC)))
    assert arrays.decoder.shape == (n, 72, len(decoder_feature_names(SPEC, TARGETS)))
    assert arrays.target.shape == (n, 72, 1)
    assert list(arrays.station_id) == ["syn-0", "syn-1", "syn-2"] * 2
    assert (arrays.issue_time == issues.repeat(3)).all()
    # encoder's last hour is the value stamped at the issue time, the first one 71 h before
    obs = inputs.observations["pm25"].sel(station="syn-1")
    channel = arrays.encoder_features.index("obs_pm25")
    assert arrays.encoder[1, -1, channel] == pytest.approx(float(obs.sel(time="2016-01-20T00:00")))
    assert arrays.encoder[1, 0, channel] == pytest.approx(float(obs.sel(time="2016-01-17T01:00")))
    # target at lead 5 is the observation at issue + 5 h; decoder lead_h runs 1 … 72
    assert arrays.target[1, 4, 0] == pytest.approx(float(obs.sel(time="2016-01-20T05:00")))
    lead = arrays.decoder_features.index("lead_h")
    assert np.array_equal(arrays.decoder[0, :, lead], np.arange(1, 73))


def test_decoder_reuses_the_feature_table(inputs, climatology):
    issues = pd.DatetimeIndex(["2016-01-20T00:00Z"])
    with_clim = replace(inputs, climatology=climatology)
    arrays = build_sequence_arrays(with_clim, issues, SPEC, TARGETS)
    table = build_feature_table(with_clim, issues, SPEC)
    for name in ("pm25_mean_24h", "ws10", "pm25_climatology", "hour_local"):
        k = arrays.decoder_features.index(name)
        expected = table[name].to_numpy(dtype=np.float32).reshape(3, 72)
        np.testing.assert_array_equal(arrays.decoder[:, :, k], expected)


def test_encoder_never_sees_observations_after_the_issue(inputs):
    issue = pd.Timestamp("2016-01-20T00:00Z")
    before = build_sequence_arrays(inputs, [issue], SPEC, TARGETS)
    observations = inputs.observations.copy(deep=True)
    later = observations["time"] > np.datetime64("2016-01-20T00:00")
    observations["pm25"] = observations["pm25"].where(~later, 1e6)
    after = build_sequence_arrays(replace(inputs, observations=observations), [issue], SPEC, TARGETS)
    np.testing.assert_array_equal(before.encoder, after.encoder)
    assert (after.target == 1e6).all()  # the targets did change: the test can fail


def test_a_gap_is_masked_never_fed_as_a_zero(inputs):
    gappy = _with_gap(inputs, "2016-01-19T06:00", "2016-01-19T20:00")
    arrays = build_sequence_arrays(gappy, ["2016-01-20T00:00Z", "2016-01-18T12:00Z"], SPEC, TARGETS)
    channel = arrays.encoder_features.index("obs_pm25")
    raw = arrays.encoder[3, :, channel]  # samples sorted by issue: 2016-01-20 00Z, station syn-0
    assert np.isnan(raw).sum() == 15
    scaler = ChannelScaler.fit(arrays.encoder_features, arrays.encoder)
    values, mask = scaler.transform(arrays.encoder)
    gap = np.isnan(arrays.encoder)
    assert (mask[gap] == 0).all() and (mask[~gap] == 1).all()
    assert (values[gap] == 0).all() and np.isfinite(values).all()
    # the same gap lies in the targets of the earlier issue: masked too
    target = arrays.target[0, :, 0]  # issue 2016-01-18 12Z, syn-0: leads 18 … 32 fall in the gap
    assert np.isnan(target[17:32]).all() and np.isfinite(target[:17]).all()


def test_loss_ignores_masked_targets():
    generator = torch.Generator().manual_seed(1)
    prediction = torch.randn(4, 72, 1, 4, generator=generator)
    target = torch.randn(4, 72, 1, generator=generator)
    mask = (torch.rand(4, 72, 1, generator=generator) > 0.3).float()
    garbage = torch.where(mask > 0, target, torch.full_like(target, 1e6))
    assert float(sequence_loss(prediction, target, mask)) == pytest.approx(
        float(sequence_loss(prediction, garbage, mask))
    )


# --- fitting ---------------------------------------------------------------------------------
def test_scalers_are_fitted_on_training_data_only(inputs, climatology):
    first, _ = fit_sequence_model(inputs, inputs, TRAIN_ISSUES, VALID_ISSUES, SPEC, TARGETS, climatology, TINY)
    other_valid = replace(inputs, observations=inputs.observations * 3.0 + 50.0)
    second, _ = fit_sequence_model(inputs, other_valid, TRAIN_ISSUES, VALID_ISSUES, SPEC, TARGETS, climatology, TINY)
    for name in ("encoder_scaler", "decoder_scaler", "target_scaler"):
        a, b = getattr(first, name), getattr(second, name)
        np.testing.assert_array_equal(a.mean, b.mean)
        np.testing.assert_array_equal(a.std, b.std)
    train = build_sequence_arrays(replace(inputs, climatology=climatology), TRAIN_ISSUES, SPEC, TARGETS)
    expected = ChannelScaler.fit(TARGETS, train.target)
    np.testing.assert_allclose(first.target_scaler.mean, expected.mean)


def test_fit_is_deterministic(inputs, climatology):
    before = torch.are_deterministic_algorithms_enabled()
    runs = [
        fit_sequence_model(inputs, inputs, TRAIN_ISSUES, VALID_ISSUES, SPEC, TARGETS, climatology, TINY)[0]
        for _ in range(2)
    ]
    assert torch.are_deterministic_algorithms_enabled() == before  # the Trainer's global switch is put back
    first, second = (m.forecast_rows(inputs, VALID_ISSUES[:4]) for m in runs)
    for column in ("forecast", "q10", "q50", "q90"):
        np.testing.assert_allclose(first[column], second[column], rtol=0, atol=1e-6)


def test_fit_learns_a_synthetic_signal(fitted, valid_rows):
    model, report = fitted
    assert report.epochs_run >= 1 and 0 <= report.best_epoch < report.epochs_run
    assert report.samples_train == len(TRAIN_ISSUES) * 3 and report.samples_valid == len(VALID_ISSUES) * 3
    known = valid_rows["observed"].notna()
    rmse = {
        column: float(np.sqrt(np.mean((valid_rows[column][known] - valid_rows["observed"][known]) ** 2)))
        for column in ("forecast", "persistence", "climatology")
    }
    assert rmse["forecast"] < 0.7 * min(rmse["persistence"], rmse["climatology"]), rmse
    assert report.valid_rmse["pm25"] == pytest.approx(rmse["forecast"], rel=1e-4)


def test_quantiles_are_non_negative_never_cross_and_calibrated(fitted, valid_rows):
    values = valid_rows[["forecast", "q10", "q50", "q90"]]
    assert np.isfinite(values.to_numpy()).all() and (values >= 0).all().all()
    assert (valid_rows["q10"] <= valid_rows["q50"]).all() and (valid_rows["q50"] <= valid_rows["q90"]).all()
    assert set(fitted[0].interval_offsets) == {"pm25"} and len(fitted[0].interval_offsets["pm25"]) == 3
    weights = np.asarray(fitted[0].blend_weights["pm25"])  # relaxation to climatology, one weight per lead
    assert len(weights) == 72 and ((weights >= 0) & (weights <= 1)).all() and (np.diff(weights) <= 0).all()
    known = valid_rows["observed"].notna()
    inside = (valid_rows["observed"] >= valid_rows["q10"]) & (valid_rows["observed"] <= valid_rows["q90"])
    assert 0.75 <= inside[known].mean() <= 0.9  # calibrated (conformal offsets) on this validation block


def test_whole_months_are_held_out_of_long_training_periods():
    issues = pd.date_range("2014-01-01", "2015-02-28", freq="12h", tz="UTC")
    n = len(issues)
    arrays = SequenceArrays(
        issue_time=issues,
        station_id=np.array(["a"] * n, dtype=object),
        encoder=np.zeros((n, 2, 1), np.float32),
        decoder=np.zeros((n, 2, 1), np.float32),
        target=np.zeros((n, 2, 1), np.float32),
        encoder_features=["e"],
        decoder_features=["d"],
        pollutants=["pm25"],
        references={},
    )
    kept, held = split_held_out_months(arrays, SequenceSettings())
    assert set(held.issue_time.month) == {5, 10} and len(held) == 2 * (31 * 2)  # May, Oct 2014 (5th, 10th)
    assert not set(kept.issue_time.month) & {5, 10}
    assert pd.Timestamp("2014-04-29T00:00Z") not in kept.issue_time  # embargo: its 72 h reach into May
    assert pd.Timestamp("2014-04-27T00:00Z") in kept.issue_time
    assert len(kept) + len(held) == n - 6 * 2  # 3 days of embargo before each held-out month
    kept, held = split_held_out_months(arrays, replace(SequenceSettings(), holdout_every_months=0))
    assert len(held) == 0 and len(kept) == n


def test_validation_must_follow_training(inputs, climatology):
    with pytest.raises(TrainingDataError, match="must follow the training period"):
        fit_sequence_model(inputs, inputs, VALID_ISSUES, TRAIN_ISSUES, SPEC, TARGETS, climatology, TINY)


def test_cuda_asked_without_a_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        resolve_device("cuda")
    assert resolve_device("auto") == "cpu"


# --- inference -------------------------------------------------------------------------------
def test_unseen_station_gets_a_forecast_and_one_warning(fitted, inputs, caplog):
    observations = inputs.observations.copy()
    new = observations.sel(station=["syn-1"]).assign_coords(station=["syn-new"])
    met = inputs.met.sel(station=["syn-1"]).assign_coords(station=["syn-new"])
    extended = replace(
        inputs,
        observations=xr.concat([observations, new], dim="station"),
        met=xr.concat([inputs.met, met], dim="station"),
        stations=[*inputs.stations, station("syn-new", lat=21.3)],
    )
    with caplog.at_level(logging.WARNING, logger="forecast.sequence"):
        rows = fitted[0].forecast_rows(extended, VALID_ISSUES[:3])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("forecast.sequence")]
    assert len(warnings) == 1 and "syn-new" in warnings[0].getMessage()
    unseen = rows[rows["station_id"] == "syn-new"]
    assert len(unseen) == 3 * 72 and np.isfinite(unseen["forecast"]).all() and (unseen["forecast"] >= 0).all()


def test_save_load_gives_identical_predictions(fitted, inputs, tmp_path):
    model = fitted[0]
    model.save(tmp_path / "lstm")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "lstm")
    loaded = SequenceModel.load(tmp_path / "lstm")
    assert loaded.station_index == model.station_index and loaded.spec == model.spec
    issues = VALID_ISSUES[:4]
    pd.testing.assert_frame_equal(model.forecast_rows(inputs, issues), loaded.forecast_rows(inputs, issues))


def test_loading_with_another_feature_set_names_the_features(fitted, tmp_path):
    model = fitted[0]
    model.save(tmp_path / "lstm")
    with pytest.raises(FeatureMismatchError, match="t2m"):
        SequenceModel.load(tmp_path / "lstm", spec=SPEC.model_copy(update={"met_mode": "none"}))
    described = tmp_path / "lstm" / "sequence.json"
    description = json.loads(described.read_text())
    description["decoder_features"] = [*description["decoder_features"], "pm25_mean_48h"]
    described.write_text(json.dumps(description))
    with pytest.raises(FeatureMismatchError, match="pm25_mean_48h"):
        SequenceModel.load(tmp_path / "lstm")


class _ConstantCorrector:
    """Stands in for a CorrectorModel in predict_table (only ``predict`` is called)."""

    def predict(self, table: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(1.0, index=table.index, columns=["forecast", "q10", "q50", "q90"])


def test_forecast_rows_have_the_hindcast_table_format(fitted, inputs, climatology, valid_rows):
    issues = VALID_ISSUES[:2]
    table = build_feature_table(replace(inputs, climatology=climatology), issues, SPEC)
    expected = predict_table({"pm25": _ConstantCorrector()}, table)
    rows = fitted[0].forecast_rows(inputs, issues, with_references=True)
    assert list(rows.columns) == list(HINDCAST_COLUMNS)
    pd.testing.assert_series_equal(rows.dtypes, expected.dtypes)
    keys = ["issue_time", "station_id", "pollutant", "lead_h", "valid_time", "observed", "persistence", "climatology"]
    pd.testing.assert_frame_equal(rows[keys], expected[keys])
    plain = fitted[0].forecast_rows(inputs, issues)
    pd.testing.assert_series_equal(plain.dtypes, expected.dtypes[: len(plain.columns)])
