"""``vnaqi run`` with an LSTM or a blend as the champion, end to end on a SYNTHETIC home.

One home (module scope) holds a quick LightGBM corrector, a quick LSTM and their blend, trained for pm25 on
three stations of the demo archive; the LSTM is registered as ``vnaqi-pm25`` version 1 and the blend as
version 2. Each test makes the champion it needs, runs a cycle over the whole demo network (19 stations,
16 of them unseen by the LSTM) and checks the published numbers against the loaded model's own forecast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from configs.cycle import load_cycle_settings
from configs.networks import registry_for_home
from configs.settings import HomeLayout
from features.spec import FeatureSpec
from forecast.blend import ModelBlend
from forecast.catalogue import RunCatalogue
from forecast.cli.demo import write_demo_inputs
from forecast.cycle import runner as cycle_runner
from forecast.cycle.predict import corrector_cube
from forecast.cycle.publish import published_run
from forecast.model_store import TrackingSettings, load_corrector, open_tracking
from tests.cycle_helpers import run
from tests.feature_helpers import synthetic_inputs

END = pd.Timestamp("2026-01-20T00:00Z")  # last observation
CYCLE = "2026-01-20T00Z"
CYCLE_TIME = pd.Timestamp("2026-01-20T00:00Z")
STATIONS = ["demo-us-embassy-hanoi", "demo-us-consulate-hcmc", "demo-hn-an-khanh"]
NAME = "vnaqi-pm25"
LSTM_VERSION, BLEND_VERSION = "1", "2"
VALUES = ("forecast", "q10", "q50", "q90")


@dataclass
class Trained:
    home: Path
    client: object


def _request(example: pd.DataFrame) -> pd.DataFrame:
    """The MLflow input example of a row model: ``issue_time`` naive UTC (MLflow refuses tz-aware datetimes)."""
    out = example.copy()
    out["issue_time"] = pd.to_datetime(out["issue_time"], utc=True).dt.tz_localize(None)
    return out


def _rmse(rows: pd.DataFrame) -> dict[str, float]:
    error = rows["forecast"].to_numpy(float) - rows["observed"].to_numpy(float)
    return {"rmse": float(np.sqrt(np.nanmean(error**2)))}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Trained:
    pytest.importorskip("torch")
    pytest.importorskip("pytorch_lightning")
    from training.experiment import data_period
    from training.families import train_blend, train_lstm
    from training.lightgbm import BoosterSettings
    from training.pipeline import plan_training, train
    from training.sequence import SequenceSettings
    from training.tracking import log_corrector_run

    home = tmp_path_factory.mktemp("families-home")
    csv = write_demo_inputs(home, home / "networks" / "demo.yaml", END, days=45, seed=11)
    assert run(home, "ingest", str(csv)).exit_code == 0
    (home / "cycle.yaml").write_text("pollutants: [pm25, pm10]\n")  # pm10 on the baseline, quickly
    plan = plan_training(home, train_to="2026-01-01", valid_to="2026-01-16", pollutants=["pm25"], stations=STATIONS)
    lightgbm = train(home, plan, settings=replace(BoosterSettings.quick(), num_threads=1))  # robust on a busy machine
    lstm = train_lstm(home, plan, settings=replace(SequenceSettings.quick(), num_threads=1))
    blend = train_blend(lightgbm, lstm)
    client = open_tracking(TrackingSettings().resolve(home), home)
    for result, version in ((lstm, LSTM_VERSION), (blend, BLEND_VERSION)):
        _, registered = log_corrector_run(
            client, home, result.model, params={"model": result.kind}, metrics=_rmse(result.valid_hindcast),
            tables={}, figures={}, feature_importance=None, data_period=data_period(plan),
            data_hash=result.data_hash, input_example=_request(result.example_request), pollutant="pm25",
        )  # fmt: skip
        assert registered == version
    return Trained(home, client)


def _champion(trained: Trained, version: str) -> None:
    from training.registry import promote

    promote(trained.client, NAME, version, candidate_score=None, champion_score=None, force=True, reason="test")


def _spy(monkeypatch) -> dict:
    """Record what the cycle hands the correctors (to recompute the forecast with the loaded model)."""
    seen: dict = {}
    real = cycle_runner.corrector_cube

    def spy(models, inputs, cycle, *args, **kwargs):
        seen.update(models=models, inputs=inputs, cycle=cycle)
        return real(models, inputs, cycle, *args, **kwargs)

    monkeypatch.setattr(cycle_runner, "corrector_cube", spy)
    return seen


def _cycle(trained: Trained, **kwargs) -> cycle_runner.CycleResult:
    layout = HomeLayout(trained.home)
    settings = load_cycle_settings(home=trained.home)
    return cycle_runner.run_cycle(layout, registry_for_home(layout.networks), CYCLE_TIME, settings, publish=False,
                                  **kwargs)  # fmt: skip


def _loaded(trained: Trained, version: str):
    model, info = load_corrector(trained.client, trained.home, f"{NAME}/{version}", "pm25", keep_copy=False)
    assert info.version == version
    return model


def _published_pm25(run_dir: Path) -> pd.DataFrame:
    """forecast.nc's pm25 and quantiles as long rows (station_id, lead_h, forecast, q10, q50, q90)."""
    with xr.open_dataset(run_dir / "forecast.nc") as nc:
        names = {"forecast": "pm25", "q10": "pm25_q10", "q50": "pm25_q50", "q90": "pm25_q90"}
        values = {c: nc[v].transpose("station", "lead").values.astype(float) for c, v in names.items()}
        stations, leads = nc["station"].values.astype(str), nc["lead"].values.astype(int)
        method = str(nc.attrs.get("method", ""))
    out = pd.DataFrame({
        "station_id": np.repeat(stations, len(leads)),
        "lead_h": np.tile(leads, len(stations)),
        **{c: v.reshape(-1) for c, v in values.items()},
    })  # fmt: skip
    out.attrs["method"] = method
    return out


def _assert_same_forecast(published: pd.DataFrame, rows: pd.DataFrame) -> None:
    """The published pm25 equals the model's own rows for the cycle, at every station and lead."""
    expected = rows[(rows["pollutant"] == "pm25") & (pd.to_datetime(rows["issue_time"], utc=True) == CYCLE_TIME)]
    expected = expected.assign(station_id=expected["station_id"].astype(str), lead_h=expected["lead_h"].astype(int))
    joined = published.merge(expected, on=["station_id", "lead_h"], suffixes=("", "_model"), validate="1:1")
    assert len(joined) == len(published) == 19 * 72
    for column in VALUES:
        np.testing.assert_allclose(joined[column], joined[f"{column}_model"], rtol=1e-9, atol=1e-9, err_msg=column)
    assert np.isfinite(published[list(VALUES)].to_numpy()).all()
    assert (published["q10"] <= published["q50"]).all() and (published["q50"] <= published["q90"]).all()


def test_a_blend_champion_runs_the_cycle_and_publishes_its_own_forecast(trained, monkeypatch):
    """`vnaqi run` (the CLI, publication and bulletin included) with the blend as champion: the run is
    published, names the blend's version and family, and forecast.nc holds exactly what the registered
    blend forecasts for the cycle."""
    _champion(trained, BLEND_VERSION)
    seen = _spy(monkeypatch)
    result = run(trained.home, "run", "--cycle", CYCLE)
    assert result.exit_code == 0, result.output
    latest = published_run(HomeLayout(trained.home).products)
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["models"] == {"pm25": f"{NAME}/{BLEND_VERSION} (blend)", "pm10": "baseline"}
    assert manifest["model_uris"]["pm25"] == f"models:/{NAME}/{BLEND_VERSION}"
    record = RunCatalogue(home_root=trained.home).get(f"{CYCLE}/{latest.name}")
    assert record.status == "published" and record.models["pm25"] == f"{NAME}/{BLEND_VERSION} (blend)"
    steps = {f["step"] for f in manifest["fallbacks"]}
    assert not any(step.startswith(("blend-", "model-")) for step in steps)  # both components forecast
    published = _published_pm25(latest)
    assert "pm25 blend (lightgbm + lstm)" in published.attrs["method"]
    blend = _loaded(trained, BLEND_VERSION)
    _assert_same_forecast(published, blend.forecast_rows(seen["inputs"], [seen["cycle"]]))
    document = json.loads((latest / "forecast.json").read_text())
    assert all(day["contributions"] is None for s in document["stations"] for day in s["drivers"])  # no LightGBM split


def test_a_failing_lstm_component_leaves_the_blend_on_lightgbm_and_is_recorded(trained, monkeypatch):
    """The blend's LSTM raises: the cycle still completes, pm25 is the LightGBM component's forecast with the
    blend's calibration, and ``blend-component-failed`` is in the manifest and the catalogue."""
    from forecast.sequence.model import SequenceModel

    _champion(trained, BLEND_VERSION)

    def broken(self, *args, **kwargs):
        raise RuntimeError("LSTM exploded")

    monkeypatch.setattr(SequenceModel, "forecast_rows", broken)
    seen = _spy(monkeypatch)
    result = _cycle(trained)
    assert result.manifest["models"]["pm25"] == f"{NAME}/{BLEND_VERSION} (blend)"
    failed = [f for f in result.manifest["fallbacks"] if f["step"] == "blend-component-failed"]
    assert len(failed) == 1 and "lstm" in failed[0]["detail"] and "LSTM exploded" in failed[0]["detail"]
    record = RunCatalogue(home_root=trained.home).get(result.run_id)
    assert record.status == "complete"  # not published: publish=False
    assert "blend-component-failed" in {f.step for f in record.fallbacks}
    blend = _loaded(trained, BLEND_VERSION)
    lightgbm_rows = blend.forecasters["lightgbm"].forecast_rows(seen["inputs"], [seen["cycle"]])
    published = _published_pm25(result.run_dir)
    _assert_same_forecast(published, blend.combine({"lightgbm": lightgbm_rows}))
    joined = published.merge(lightgbm_rows[lightgbm_rows["pollutant"] == "pm25"], on=["station_id", "lead_h"])
    np.testing.assert_allclose(joined["forecast_x"], joined["forecast_y"].clip(lower=0))  # LightGBM's mean alone


def test_an_lstm_champion_runs_the_cycle_and_a_failing_one_falls_back_to_the_baseline(trained, monkeypatch):
    """The LSTM as champion: its forecast is published; when it cannot forecast, pm25 gets the baseline,
    ``model-failed`` is recorded and the run says baseline for pm25."""
    from forecast.sequence.model import SequenceModel

    _champion(trained, LSTM_VERSION)
    try:
        seen = _spy(monkeypatch)
        result = _cycle(trained)
        assert result.manifest["models"]["pm25"] == f"{NAME}/{LSTM_VERSION} (lstm)"
        published = _published_pm25(result.run_dir)
        assert "pm25 LSTM" in published.attrs["method"]
        lstm = _loaded(trained, LSTM_VERSION)
        _assert_same_forecast(published, lstm.forecast_rows(seen["inputs"], [seen["cycle"]]))

        def broken(self, *args, **kwargs):
            raise RuntimeError("LSTM exploded")

        monkeypatch.setattr(SequenceModel, "forecast_rows", broken)
        degraded = _cycle(trained)
        assert degraded.manifest["models"]["pm25"] == "baseline"
        assert RunCatalogue(home_root=trained.home).get(degraded.run_id).models["pm25"] == "baseline"
        notes = [f for f in degraded.manifest["fallbacks"] if f["step"] == "model-failed"]
        assert len(notes) == 1 and "pm25" in notes[0]["detail"] and "LSTM exploded" in notes[0]["detail"]
        baseline = _published_pm25(degraded.run_dir)
        assert np.isfinite(baseline["forecast"]).any()
    finally:
        _champion(trained, BLEND_VERSION)


def test_without_torch_a_blend_forecasts_from_lightgbm_and_an_lstm_champion_gives_the_baseline(trained, monkeypatch):
    """No ``lstm`` extra: the blend champion forecasts from its LightGBM component (the LSTM noted as not loaded);
    an LSTM champion cannot be loaded, so pm25 gets the baseline and ``model-unloadable`` gives the install
    command. The run completes either way."""
    import forecast.model_kinds as kinds

    monkeypatch.setattr(kinds, "lstm_available", lambda: False)
    _champion(trained, BLEND_VERSION)
    result = _cycle(trained)
    assert result.manifest["models"]["pm25"] == f"{NAME}/{BLEND_VERSION} (blend)"
    missing = [f for f in result.manifest["fallbacks"] if f["step"] == "blend-component-missing"]
    assert len(missing) == 1 and "lstm: not loaded" in missing[0]["detail"]
    assert np.isfinite(_published_pm25(result.run_dir)["forecast"]).all()
    _champion(trained, LSTM_VERSION)
    try:
        result = _cycle(trained)
    finally:
        _champion(trained, BLEND_VERSION)
    assert result.manifest["models"]["pm25"] == "baseline"
    notes = [f for f in result.manifest["fallbacks"] if f["step"] == "model-unloadable"]
    assert len(notes) == 1 and notes[0]["detail"].startswith("pm25:")
    assert 'pip install -e ".[lstm]"' in notes[0]["detail"]
    assert np.isfinite(_published_pm25(result.run_dir)["forecast"]).any()


def test_unreachable_registry_uses_the_local_copy_of_the_blend(trained, monkeypatch):
    """Registry down: the blend the cycle last loaded as champion is read from the home's local copy."""
    _champion(trained, BLEND_VERSION)
    load_corrector(trained.client, trained.home, f"{NAME}@champion", "pm25")  # as the last reachable cycle did
    seen = _spy(monkeypatch)
    result = _cycle(trained, tracking_uri="http://127.0.0.1:1")
    assert result.manifest["models"]["pm25"] == f"{NAME}/{BLEND_VERSION} (blend, local copy)"
    assert "local-model-copy" in {f["step"] for f in result.manifest["fallbacks"]}
    blend = _loaded(trained, BLEND_VERSION)
    _assert_same_forecast(_published_pm25(result.run_dir), blend.forecast_rows(seen["inputs"], [seen["cycle"]]))


# --- the cube from row forecasts, without training (fake blend components) -------------------------------
class _Rows:
    """A fake blend component: pm25 rows of ``level`` [µg/m³] for every station but ``skip``, or an error."""

    pollutants = ("pm25",)
    spec = FeatureSpec(met_mode="none")

    def __init__(self, level: float | None, skip: str | None = None) -> None:
        self.level, self.skip = level, skip

    def forecast_rows(self, inputs, issue_times, with_references: bool = False) -> pd.DataFrame:
        if self.level is None:
            raise RuntimeError("component down")
        issue = pd.Timestamp(issue_times[0]).tz_convert("UTC")
        ids = [s.id for s in inputs.stations if s.id != self.skip]
        lead = np.tile(np.arange(1, 73), len(ids))
        value = self.level + lead / 100.0
        return pd.DataFrame({
            "issue_time": issue, "station_id": np.repeat(ids, 72), "pollutant": "pm25", "lead_h": lead,
            "valid_time": issue + pd.to_timedelta(lead, unit="h"),
            "forecast": value, "q10": value - 1, "q50": value, "q90": value + 1,
        })  # fmt: skip


def _fake_blend(**components: _Rows) -> ModelBlend:
    names = tuple(components)
    weights = {"pm25": [dict.fromkeys(names, 1 / len(names))] * 3}
    return ModelBlend(components=names, weights=weights, forecasters=dict(components))


def test_row_forecasts_fill_the_cube_in_station_order_with_nan_where_missing_and_notes_for_the_runner():
    """No LightGBM model: the blend's rows land on (station, lead) in the inputs' station order, a station
    without rows is NaN, the failed component is a note, and the station flags still come from a feature table."""
    inputs = synthetic_inputs(days=12, stations=3, with_met=False)
    cycle = pd.Timestamp("2016-01-10T00:00Z")
    notes: list[dict[str, str]] = []
    blend = _fake_blend(good=_Rows(10.0, skip="syn-1"), down=_Rows(None))
    cube = corrector_cube({"pm25": blend}, inputs, cycle, 72, fallbacks=notes)
    assert list(cube["station"].values) == ["syn-0", "syn-1", "syn-2"]
    values = cube["pm25"].transpose("station", "lead").values
    np.testing.assert_allclose(values[0], 10.0 + np.arange(1, 73) / 100.0)
    assert np.isnan(values[1]).all() and np.isfinite(values[2]).all()
    assert (cube["pm25_q10"].values[[0, 2]] <= cube["pm25_q90"].values[[0, 2]]).all()
    assert all(cube[v].attrs["units"] for v in ("pm25", "pm25_q10", "pm25_q50", "pm25_q90"))
    assert not [v for v in cube.data_vars if str(v).startswith("driver_")]  # drivers are LightGBM's only
    assert [n["step"] for n in notes] == ["blend-component-failed"]  # the blend's own, once (not also "missing")
    assert notes[0]["detail"].startswith("pm25 (blend (good + down)): down: RuntimeError: component down")
    assert cube["has_recent_obs"].values.all()  # observations up to the cycle at every station
    assert (cube["no_met_leads"].values == 72).all() and not cube["has_met"].values.any()  # a no-met spec
    assert "pm25 blend (good + down)" in cube.attrs["method"]


def test_a_row_model_that_cannot_forecast_leaves_its_pollutant_out_of_the_cube():
    inputs = synthetic_inputs(days=12, stations=2, with_met=False)
    notes: list[dict[str, str]] = []
    cube = corrector_cube({"pm25": _fake_blend(down=_Rows(None))}, inputs, pd.Timestamp("2016-01-10T00:00Z"), 72,
                          fallbacks=notes)  # fmt: skip
    assert "pm25" not in cube  # the runner forecasts it with the baseline
    assert [n["step"] for n in notes] == ["model-failed"] and "component down" in notes[0]["detail"]
