"""Blend of corrector families: convex weights per pollutant and lead block, quantile averaging and
conformal intervals, missing component rows, save/load, the LightGBM adapter, the side-by-side test
comparison, and clear errors. All rows here are SYNTHETIC (random mixtures, not air-quality data)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from features.climatology import fit_climatology
from features.spec import FeatureSpec
from features.table import FeatureInputs, build_feature_table
from forecast.blend import ROW_COLUMNS, CorrectorRows, ModelBlend, RowForecaster
from tests.feature_helpers import synthetic_inputs
from training.blend import MEAN_OF_DAYS, best_methods, blend_metrics, compare_on_test, convex_weights, fit_blend
from training.hindcast import predict_table
from training.lightgbm import BoosterSettings, fit_corrector

Z90 = 1.2815515655446004  # standard normal 90 % quantile
NAMES = ("lightgbm", "lstm")


# --- SYNTHETIC rows -------------------------------------------------------------------------------
def synthetic_keys(issues: int = 30, stations: int = 4, pollutants=("pm25",), start="2024-01-01") -> pd.DataFrame:
    """SYNTHETIC key grid: issues at 00/12 UTC × stations × pollutants × leads 1 … 72."""
    times = pd.date_range(start, periods=issues, freq="12h", tz="UTC")
    keys = pd.MultiIndex.from_product(
        [times, [f"syn-{k}" for k in range(stations)], list(pollutants), range(1, 73)],
        names=["issue_time", "station_id", "pollutant", "lead_h"],
    ).to_frame(index=False)
    keys["valid_time"] = keys["issue_time"] + pd.to_timedelta(keys["lead_h"], unit="h")
    return keys


def synthetic_mixture(
    seed: int,
    mix=(0.7, 0.4, 1.0),
    *,
    noise: float = 3.0,
    spread: float = 1.0,
    **grid,
) -> dict[str, pd.DataFrame]:
    """SYNTHETIC hindcast rows of two components with independent errors: A, B ~ 50 ± 15 µg/m³ and,
    per lead block, observed = a·A + (1 − a)·B + N(0, noise) with a = ``mix[block]`` (a = 1: B is
    useless). Each component's interval is ±Z90·``spread`` around its forecast (too narrow)."""
    rng = np.random.default_rng(seed)
    keys = synthetic_keys(**grid)
    n = len(keys)
    a = np.clip(50 + 15 * rng.standard_normal(n), 1, None)
    b = np.clip(50 + 15 * rng.standard_normal(n), 1, None)
    share = np.asarray(mix)[(keys["lead_h"].to_numpy() - 1) // 24]
    observed = np.clip(share * a + (1 - share) * b + noise * rng.standard_normal(n), 0, None)
    persistence = np.clip(observed + 20 * rng.standard_normal(n), 0, None)
    return {name: _rows(keys, f, spread, observed, persistence) for name, f in zip(NAMES, (a, b), strict=True)}


def _rows(keys, forecast, spread, observed, persistence) -> pd.DataFrame:
    return keys.assign(
        forecast=forecast,
        q10=np.clip(forecast - Z90 * spread, 0, None),
        q50=forecast,
        q90=forecast + Z90 * spread,
        observed=observed,
        persistence=persistence,
    )


@pytest.fixture(scope="module")
def fitted():
    return fit_blend(synthetic_mixture(seed=1))


def _weights(blend: ModelBlend, pollutant: str = "pm25") -> list[tuple[float, float]]:
    return [(w["lightgbm"], w["lstm"]) for w in blend.weights[pollutant]]


# --- weights ----------------------------------------------------------------------------------------
def test_weights_recover_a_known_mixture_per_block(fitted):
    blend, report = fitted
    (a1, b1), (a2, b2), (a3, _) = _weights(blend)
    assert a1 == pytest.approx(0.7, abs=0.03) and b1 == pytest.approx(0.3, abs=0.03)
    assert a2 == pytest.approx(0.4, abs=0.03) and b2 == pytest.approx(0.6, abs=0.03)
    assert a3 > 0.97  # B is useless in 49–72 h: (nearly) all weight on A
    assert list(report["basis"]) == ["block"] * 3
    assert (report["rmse_blend"] < report[["rmse_lightgbm", "rmse_lstm"]].min(axis=1)).all()


def test_report_and_metrics_name_every_block(fitted):
    _, report = fitted
    assert list(report["block"]) == ["1-24 h", "25-48 h", "49-72 h"]
    assert (report["n"] == 30 * 4 * 24).all()
    metrics = blend_metrics(report)
    assert metrics["blend_weight_lstm_pm25_lead49_72"] == pytest.approx(report["weight_lstm"].iloc[2])
    assert "valid_rmse_blend_pm25_lead1_24" in metrics and "blend_coverage_10_90_pm25_lead25_48" in metrics


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=st.integers(3, 40),
    k=st.integers(2, 4),
)
def test_convex_weights_are_a_convex_combination_never_worse_than_any_component(data, n, k):
    values = st.floats(0, 500, allow_nan=False, allow_infinity=False)
    forecasts = data.draw(hnp.arrays(float, (n, k), elements=values))
    observed = data.draw(hnp.arrays(float, (n,), elements=values))
    w = convex_weights(forecasts, observed)
    assert w.shape == (k,) and (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-9)
    mse = np.mean((forecasts @ w - observed) ** 2)
    best_single = min(np.mean((forecasts[:, j] - observed) ** 2) for j in range(k))
    assert mse <= best_single * (1 + 1e-9) + 1e-9
    rng = np.random.default_rng(n * 10 + k)  # and no worse than random points of the simplex (optimality)
    for other in rng.dirichlet(np.ones(k), size=20):
        assert mse <= np.mean((forecasts @ other - observed) ** 2) * (1 + 1e-6) + 1e-6


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    mix=st.tuples(*[st.floats(-0.5, 1.5)] * 3),
    noise=st.floats(0.1, 30),
)
def test_fitted_blend_is_never_worse_than_the_best_component_on_its_validation_rows(seed, mix, noise):
    frames = synthetic_mixture(seed, mix, noise=noise, issues=3, stations=2)
    blend, report = fit_blend(frames, min_rows=10)
    for weights in blend.weights["pm25"]:
        assert all(w >= 0 for w in weights.values()) and sum(weights.values()) == pytest.approx(1.0, abs=1e-9)
    best = report[["rmse_lightgbm", "rmse_lstm"]].min(axis=1)
    assert (report["rmse_blend"] <= best + 1e-9).all()


def test_three_components_with_a_redundant_one():
    frames = synthetic_mixture(seed=3, mix=(0.5, 0.5, 0.5), issues=10)
    rng = np.random.default_rng(0)
    junk = frames["lstm"].copy()
    junk["forecast"] = np.clip(junk["forecast"] + 40 * rng.standard_normal(len(junk)), 0, None)
    frames["extra"] = junk
    blend, report = fit_blend(frames)
    for weights in blend.weights["pm25"]:
        assert weights["lightgbm"] == pytest.approx(0.5, abs=0.05) and weights["extra"] < 0.05
    assert (report["rmse_blend"] <= report[["rmse_lightgbm", "rmse_lstm", "rmse_extra"]].min(axis=1)).all()


def test_blocks_too_short_fall_back_to_the_pollutants_rows_then_equal_weights():
    frames = synthetic_mixture(seed=4, issues=1, stations=1)  # 24 rows per block
    _, report = fit_blend(frames, min_rows=30)
    assert set(report["basis"]) == {"all leads (block too short)"}
    _, report = fit_blend(frames, min_rows=100)
    assert set(report["basis"]) == {"equal (too few rows)"}
    assert (report["weight_lstm"] == 0.5).all() and (report["interval_offset"] == 0).all()


def test_a_pollutant_one_component_does_not_forecast_goes_to_the_other():
    frames = synthetic_mixture(seed=5, issues=6, pollutants=("pm25", "pm10"))
    frames["lstm"] = frames["lstm"][frames["lstm"]["pollutant"] == "pm25"]
    blend, report = fit_blend(frames)
    assert all(w["lightgbm"] == 1.0 for w in blend.weights["pm10"])
    assert report.loc[report["pollutant"] == "pm10", "note"].str.contains("no pm10 forecast from lstm").all()
    assert blend.pollutants == ["pm25", "pm10"]


# --- combination --------------------------------------------------------------------------------------
def test_rows_a_component_lacks_use_the_others_renormalised(fitted, caplog):
    blend, _ = fitted
    frames = synthetic_mixture(seed=7, issues=4)
    dropped = frames["lstm"].sample(frac=0.1, random_state=0).index
    frames["lstm"] = frames["lstm"].drop(index=dropped)
    with caplog.at_level(logging.WARNING, logger="forecast.blend"):
        out = blend.combine(frames)
    assert len(out) == len(frames["lightgbm"]) and list(out.columns[:9]) == list(ROW_COLUMNS)
    lacking = out.loc[dropped]  # rows are sorted by the keys, as the synthetic grid is
    assert np.allclose(lacking["forecast"], frames["lightgbm"].loc[dropped, "forecast"])
    assert f"{len(dropped)} row(s) lack a lstm forecast" in caplog.text
    assert out.attrs["fallbacks"][0]["step"] == "blend-component-missing"
    only_lightgbm = blend.combine({"lightgbm": frames["lightgbm"]})
    assert np.allclose(only_lightgbm["forecast"], frames["lightgbm"]["forecast"])


def test_rows_whose_only_component_weighs_zero_still_get_a_forecast():
    blend = ModelBlend(NAMES, {"pm25": [{"lightgbm": 1.0, "lstm": 0.0}] * 3})
    frames = synthetic_mixture(seed=8, issues=1, stations=1)
    out = blend.combine({"lstm": frames["lstm"]})
    assert np.allclose(out["forecast"], frames["lstm"]["forecast"])


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 30), w=st.floats(0, 1), offsets=st.tuples(*[st.floats(-3, 3)] * 3))
def test_blended_quantiles_never_cross_and_are_never_negative(data, n, w, offsets):
    keys = synthetic_keys(issues=1, stations=1).iloc[np.linspace(0, 71, n).astype(int)].reset_index(drop=True)
    values = st.floats(-50, 500, allow_nan=False)
    frames = {}
    for name in NAMES:  # quantiles in any order, even negative: the blend must still be sane
        q = data.draw(hnp.arrays(float, (n, 4), elements=values))
        frames[name] = keys.assign(forecast=q[:, 0], q10=q[:, 1], q50=q[:, 2], q90=q[:, 3])
    blend = ModelBlend(NAMES, {"pm25": [{"lightgbm": w, "lstm": 1 - w}] * 3}, offsets={"pm25": list(offsets)})
    out = blend.combine(frames)
    q10, q50, q90 = (out[c].to_numpy() for c in ("q10", "q50", "q90"))
    assert (q10 >= 0).all() and (q10 <= q50).all() and (q50 <= q90).all() and (out["forecast"] >= 0).all()


def test_interval_covers_80_percent_of_held_out_rows_after_calibration(fitted):
    blend, report = fitted
    assert (report["coverage_before"] < 0.5).all()  # the components' intervals are far too narrow
    assert np.allclose(report["coverage_after"], 0.8, atol=0.01)
    held_out = synthetic_mixture(seed=2)  # same process, new draws
    out = blend.combine(held_out)
    block = (out["lead_h"].to_numpy() - 1) // 24
    inside = (out["q10"] <= out["observed"]) & (out["observed"] <= out["q90"])
    for b in range(3):
        assert 0.75 <= inside[block == b].mean() <= 0.85


def test_combine_passes_reference_columns_through(fitted):
    blend, _ = fitted
    frames = synthetic_mixture(seed=9, issues=2)
    out = blend.combine(frames)
    assert np.allclose(out["observed"], frames["lightgbm"]["observed"])
    assert np.allclose(out["persistence"], frames["lightgbm"]["persistence"])


# --- save / load ------------------------------------------------------------------------------------
class FakeComponent:
    """A SYNTHETIC RowForecaster: fixed rows; saves a marker file."""

    def __init__(self, rows: pd.DataFrame, fail: bool = False) -> None:
        self.rows, self.fail = rows, fail
        self.pollutants = ["pm25"]

    def forecast_rows(self, inputs, issue_times) -> pd.DataFrame:
        if self.fail:
            raise RuntimeError("synthetic failure")
        return self.rows

    def save(self, directory) -> None:
        directory.mkdir(parents=True)
        self.rows.to_parquet(directory / "rows.parquet")

    @classmethod
    def load(cls, directory) -> FakeComponent:
        return cls(pd.read_parquet(directory / "rows.parquet"))


def test_save_then_load_gives_an_identical_blend(tmp_path, fitted):
    blend, _ = fitted
    blend.save(tmp_path / "blend")
    loaded = ModelBlend.load(tmp_path / "blend")
    assert loaded == blend and loaded.to_dict() == blend.to_dict()
    frames = synthetic_mixture(seed=10, issues=2)
    pd.testing.assert_frame_equal(loaded.combine(frames), blend.combine(frames))
    with pytest.raises(FileExistsError, match="already holds a blend"):
        blend.save(tmp_path / "blend")


def test_components_are_saved_in_subfolders_and_loaded_through_the_loader(tmp_path, fitted):
    frames = synthetic_mixture(seed=11, issues=2)
    blend = fitted[0].for_pollutants(["pm25"])
    blend.forecasters = {n: FakeComponent(frames[n]) for n in NAMES}
    assert isinstance(blend.forecasters["lstm"], RowForecaster)
    blend.save(tmp_path / "b")
    loaded = ModelBlend.load(tmp_path / "b", loader={n: FakeComponent.load for n in NAMES})
    pd.testing.assert_frame_equal(loaded.forecast_rows(None, None), blend.forecast_rows(None, None))
    by_callable = ModelBlend.load(tmp_path / "b", loader=lambda name, folder: FakeComponent.load(folder))
    assert set(by_callable.forecasters) == set(NAMES)
    with pytest.raises(ValueError, match="no loader for blend component 'lstm'"):
        ModelBlend.load(tmp_path / "b", loader={"lightgbm": FakeComponent.load})
    (tmp_path / "b" / "lstm" / "rows.parquet").unlink()
    (tmp_path / "b" / "lstm").rmdir()
    with pytest.raises(FileNotFoundError, match="blend component 'lstm' is missing"):
        ModelBlend.load(tmp_path / "b", loader={n: FakeComponent.load for n in NAMES})


def test_a_failing_component_is_left_out_and_reported(fitted, caplog):
    frames = synthetic_mixture(seed=12, issues=2)
    blend = fitted[0].for_pollutants(["pm25"])
    blend.forecasters = {"lightgbm": FakeComponent(frames["lightgbm"]), "lstm": FakeComponent(frames["lstm"], True)}
    with caplog.at_level(logging.ERROR, logger="forecast.blend"):
        out = blend.forecast_rows(None, None)
    assert np.allclose(out["forecast"], frames["lightgbm"]["forecast"])
    assert out.attrs["fallbacks"][0] == {
        "step": "blend-component-failed",
        "detail": "lstm: RuntimeError: synthetic failure",
    }
    assert "blend component lstm failed" in caplog.text
    blend.forecasters["lightgbm"].fail = True
    with pytest.raises(RuntimeError, match="no component of the blend could forecast"):
        blend.forecast_rows(None, None)


# --- bad inputs ----------------------------------------------------------------------------------------
def test_weights_that_do_not_sum_to_one_are_refused():
    with pytest.raises(ValueError, match=r"pm25, leads 25-48 h sum to 0.9, not 1"):
        ModelBlend(
            NAMES,
            {"pm25": [{"lightgbm": 0.5, "lstm": 0.5}, {"lightgbm": 0.6, "lstm": 0.3}] + [{"lightgbm": 1, "lstm": 0}]},
        )
    with pytest.raises(ValueError, match="finite and ≥ 0"):
        ModelBlend(NAMES, {"pm25": [{"lightgbm": 1.5, "lstm": -0.5}] * 3})
    with pytest.raises(ValueError, match="1 lead block"):
        ModelBlend(NAMES, {"pm25": [{"lightgbm": 1, "lstm": 0}]})
    with pytest.raises(ValueError, match="interval offsets for pm25"):
        ModelBlend(NAMES, {"pm25": [{"lightgbm": 1, "lstm": 0}] * 3}, offsets={"pm25": [0.1]})


def test_unknown_or_missing_components_are_named():
    with pytest.raises(ValueError, match="unknown component.*'xgb'"):
        ModelBlend(NAMES, {"pm25": [{"lightgbm": 0.5, "xgb": 0.5, "lstm": 0}] * 3})
    with pytest.raises(ValueError, match="no weight for component.*'lstm'"):
        ModelBlend(NAMES, {"pm25": [{"lightgbm": 1.0}] * 3})
    with pytest.raises(ValueError, match="'observed'.*not allowed"):
        ModelBlend(("lightgbm", "observed"), {})
    blend = ModelBlend(NAMES, {"pm25": [{"lightgbm": 1, "lstm": 0}] * 3})
    frames = synthetic_mixture(seed=13, issues=1)
    with pytest.raises(ValueError, match="unknown component.*'xgb'"):
        blend.combine({"xgb": frames["lstm"]})
    with pytest.raises(ValueError, match="no weights for pollutant.*pm10"):
        blend.combine({"lstm": frames["lstm"].assign(pollutant="pm10")})
    with pytest.raises(ValueError, match="component 'lstm' lack.*q90"):
        blend.combine({"lstm": frames["lstm"].drop(columns="q90")})
    with pytest.raises(ValueError, match="component 'lstm'.*timezone-aware"):
        blend.combine({"lstm": frames["lstm"].assign(issue_time=frames["lstm"]["issue_time"].dt.tz_localize(None))})
    with pytest.raises(RuntimeError, match="no component loaded"):
        blend.forecast_rows(None, None)


def test_empty_or_unusable_validation_rows_are_refused():
    frames = synthetic_mixture(seed=14, issues=2)
    with pytest.raises(ValueError, match="at least one component"):
        fit_blend({})
    with pytest.raises(ValueError, match="'lstm'.*empty"):
        fit_blend({**frames, "lstm": frames["lstm"].iloc[:0]})
    with pytest.raises(ValueError, match="no observation"):
        fit_blend({n: f.assign(observed=np.nan) for n, f in frames.items()})
    with pytest.raises(ValueError, match="'observed' column"):
        fit_blend({n: f.drop(columns="observed") for n, f in frames.items()})
    later = frames["lstm"].assign(issue_time=frames["lstm"]["issue_time"] + pd.Timedelta(days=30))
    with pytest.raises(ValueError, match="no validation row has both an observation and every component"):
        fit_blend({"lightgbm": frames["lightgbm"], "lstm": later})


def test_a_folder_without_a_blend_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no blend"):
        ModelBlend.load(tmp_path)
    (tmp_path / "blend.json").write_text('{"kind": "vnaqi-corrector"}')
    with pytest.raises(ValueError, match="not a vnaqi blend"):
        ModelBlend.load(tmp_path)


# --- side by side on a test hindcast -------------------------------------------------------------------
def test_compare_on_test_gives_lightgbm_lstm_blend_columns_by_day(fitted):
    blend, _ = fitted
    test = synthetic_mixture(seed=20, issues=10)
    table = compare_on_test(test, blend)
    assert list(table.columns) == ["pollutant", "day", "n", "lightgbm", "lstm", "blend", "persistence"]
    assert list(table["day"]) == ["D1", "D2", "D3", MEAN_OF_DAYS]
    assert (table["blend"] < table[["lightgbm", "lstm"]].min(axis=1)).all()
    assert table["n"].iloc[0] > 0
    assert best_methods(table) == {"pm25": "blend"}
    only_a = ModelBlend(NAMES, {"pm25": [{"lightgbm": 1, "lstm": 0}] * 3})
    same = compare_on_test(test, only_a)
    assert np.allclose(same["blend"], same["lightgbm"])


# --- the LightGBM adapter ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corrector():
    """A tiny LightGBM corrector on SYNTHETIC inputs (no met; ~1 s)."""
    inputs = synthetic_inputs(days=40, stations=2, with_met=False)
    spec = FeatureSpec(met_mode="none", emission_factors=False, pollutants=["pm25", "pm10"])
    clim = fit_climatology(inputs.observations.sel(time=slice(None, "2016-01-28")))
    inputs = FeatureInputs(**{**inputs.__dict__, "climatology": clim})
    train = build_feature_table(inputs, pd.date_range("2016-01-10", "2016-01-28", freq="12h", tz="UTC"), spec)
    valid = build_feature_table(inputs, pd.date_range("2016-01-29", "2016-02-05", freq="12h", tz="UTC"), spec)
    small = BoosterSettings(
        max_rounds=30,
        quantile_max_rounds=20,
        num_leaves=7,
        quantile_num_leaves=7,
        min_data_in_leaf=20,
        early_stopping_rounds=5,
        num_threads=1,
    )
    model, _ = fit_corrector(train, valid, "pm25", spec, settings=small, climatology=clim)
    return inputs, model


def test_corrector_rows_match_the_hindcast_rows_and_blend_alone_to_themselves(tmp_path, corrector):
    inputs, model = corrector
    issues = pd.DatetimeIndex(["2016-02-06T00:00Z", "2016-02-06T12:00Z"])
    rows = CorrectorRows({"pm25": model}).forecast_rows(
        FeatureInputs(**{**inputs.__dict__, "climatology": None}), issues
    )
    expected = predict_table({"pm25": model}, build_feature_table(inputs, issues, model.spec))
    assert list(rows.columns) == list(ROW_COLUMNS) and len(rows) == 2 * 2 * 72
    pd.testing.assert_frame_equal(
        rows.reset_index(drop=True), expected[list(ROW_COLUMNS)].astype({"lead_h": "int64"}), check_dtype=False
    )
    blend = ModelBlend(
        ("lightgbm",), {"pm25": [{"lightgbm": 1.0}] * 3}, forecasters={"lightgbm": CorrectorRows({"pm25": model})}
    )
    blend.save(tmp_path / "blend")
    loaded = ModelBlend.load(tmp_path / "blend", loader={"lightgbm": CorrectorRows.load})
    out = loaded.forecast_rows(inputs, issues)
    np.testing.assert_allclose(out[["forecast", "q10", "q50", "q90"]], rows[["forecast", "q10", "q50", "q90"]])
    assert out.attrs["fallbacks"] == []


def test_caller_metadata_cannot_erase_the_fit_record():
    blend, _ = fit_blend(synthetic_mixture(seed=2), metadata={"fitted_on": "x", "stations": ["a"]})
    assert blend.metadata["stations"] == ["a"]
    assert blend.metadata["fitted_on"]["rows"] > 0 and blend.metadata["fitted_on"]["coverage_target"] == 0.8


def test_calibrating_on_more_rows_changes_only_the_interval():
    """Weights fitted on quiet rows (noise 3), interval recalibrated on those plus stormier ones (noise 12):
    the weights stay, the interval widens and covers 80 % of the calibration rows."""
    from training.blend import calibrate_offsets

    quiet = synthetic_mixture(seed=3, noise=3.0)
    stormy = synthetic_mixture(seed=4, noise=12.0, start="2024-03-01")
    blend, _ = fit_blend(quiet)
    both = {name: pd.concat([quiet[name], stormy[name]], ignore_index=True) for name in quiet}
    calibrated, report = calibrate_offsets(blend, both)
    assert calibrated.weights == blend.weights
    assert all(new > old for new, old in zip(calibrated.offsets["pm25"], blend.offsets["pm25"], strict=True))
    assert report["coverage_after"].between(0.77, 0.83).all() and (report["coverage_before"] < 0.75).all()
    assert list(report["block"]) == ["1-24 h", "25-48 h", "49-72 h"]
