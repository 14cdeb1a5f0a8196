"""MLflow store: log + register a corrector, champion aliases, loading by reference, local copies,
an unreachable store, and no half-registered model after a failure.

The tests share one home and tracking store per module (per xdist worker). The registry states
of the workflow are module fixtures that only move forward — ``v1`` (registered) → ``v1_champion``
→ ``v2`` (a worse candidate) → ``v2_forced`` (forced champion) — and each test asks for the state it
needs, so the file also runs under ``pytest -n``.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure
from mlflow import MlflowClient

from configs.networks import Station
from features.spec import FeatureSpec
from features.table import FeatureInputs, build_feature_table
from forecast.corrector import CorrectorModel
from forecast.model_store import (
    ModelNotFoundError,
    NoChampionError,
    load_corrector,
    load_local_copy,
    mlflow_uris,
    parse_model_ref,
)
from forecast.pyfunc import CorrectorPyfunc
from training.lightgbm import BoosterSettings, fit_corrector
from training.registry import PromotionRefused, champion, promote
from training.tracking import (
    TrackingSettings,
    TrackingUnavailableError,
    log_corrector_run,
    open_tracking,
)

NAME = "vnaqi-pm25"
MLFLOW_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def _station(sid: str, lat: float) -> Station:
    return Station(id=sid, name_vi=sid, name_en=sid, latitude=lat, longitude=105.8, province="Hà Nội", source="test")


def _fit_tiny_corrector() -> tuple[pd.DataFrame, CorrectorModel]:
    """Two stations, 60 days of hourly PM2.5 with a daily cycle + noise, a 30-round corrector."""
    stations = [_station("sta-a", 21.0), _station("sta-b", 21.5)]
    times = pd.date_range("2024-01-01 01:00", periods=60 * 24, freq="h")
    rng = np.random.default_rng(0)
    cycle = 15 * np.sin(2 * np.pi * (times.hour.to_numpy() - 6) / 24)
    values = np.stack([40 + 5 * k + cycle + rng.normal(0, 5, len(times)) for k in range(2)]).clip(1)
    obs = xr.Dataset({"pm25": (("station", "time"), values)}, coords={"station": ["sta-a", "sta-b"], "time": times})
    spec = FeatureSpec(met_mode="none", emission_factors=False, pollutants=["pm25"])
    issues = pd.date_range("2024-01-04", "2024-02-25", freq="12h", tz="UTC")
    table = build_feature_table(FeatureInputs(observations=obs, stations=stations), issues, spec)
    cut = pd.Timestamp("2024-02-10", tz="UTC")
    # one thread: OpenMP with all cores of a shared, busy 2-CPU machine made this fit 40x slower
    settings = BoosterSettings(
        max_rounds=30, quantile_max_rounds=20, num_leaves=7, quantile_num_leaves=7, min_data_in_leaf=20, num_threads=1
    )
    model, _ = fit_corrector(
        table[table.issue_time < cut], table[table.issue_time >= cut], "pm25", spec, settings=settings
    )
    return table, model


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One home, its tracking store, a feature table and a tiny fitted corrector."""
    home = tmp_path_factory.mktemp("mlflow-home")
    cwd = tmp_path_factory.mktemp("cwd")  # nothing may be written relative to the working directory
    with pytest.MonkeyPatch.context() as patch:
        for key in MLFLOW_ENV:
            patch.delenv(key, raising=False)
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        patch.chdir(cwd)
        table, model = _fit_tiny_corrector()
        figure = home / "scatter.png"
        fig = Figure(figsize=(2, 2))
        fig.add_subplot().plot([0, 1], [0, 1])
        fig.savefig(figure)
        client = open_tracking(TrackingSettings(), home)
        yield {"home": home, "table": table, "model": model, "client": client, "figure": figure}
        assert all(os.environ.get(key) is None for key in MLFLOW_ENV), "an MLflow URI leaked into the environment"
    assert not list(cwd.iterdir()), f"MLflow wrote into the working directory: {list(cwd.iterdir())}"


def _log(store, rmse: float, **overrides):
    model: CorrectorModel = store["model"]
    kwargs = dict(
        params={"booster": {"num_leaves": 7, "max_rounds": 30}, "spec_met_mode": "none"},
        metrics={"rmse_24hmean_D1": rmse, "rmse_24hmean_D2": rmse * 1.2, "crps_1-24h": 2.5},
        tables={"scores_by_lead": pd.DataFrame({"lead_block": ["1-24 h"], "rmse": [rmse]})},
        figures={"scatter_D1": store["figure"]},
        feature_importance=pd.DataFrame({"feature": model.columns, "gain": np.arange(len(model.columns), 0, -1)}),
        data_period={"train_from": "2024-01-04", "train_to": "2024-02-09", "valid_to": "2024-02-25"},
        data_hash="sha256:abc123",
        input_example=store["table"].head(5),
        registered_name=NAME,
        tags={"git_commit": "deadbeef"},
    )
    kwargs.update(overrides)
    return log_corrector_run(store["client"], store["home"], model, **kwargs)


def _versions(client: MlflowClient) -> list[str]:
    return sorted(str(v.version) for v in client.search_model_versions(f"name = '{NAME}'"))


@pytest.fixture(scope="module")
def v1(store) -> str:
    """Version 1 registered (no champion yet); returns its run id."""
    before = (mlflow.get_tracking_uri(), {key: os.environ.get(key) for key in MLFLOW_ENV})
    run_id, version = _log(store, rmse=5.0)
    assert version == "1"
    assert (mlflow.get_tracking_uri(), {key: os.environ.get(key) for key in MLFLOW_ENV}) == before
    return run_id


@pytest.fixture(scope="module")
def v1_champion(store, v1):
    """Version 1 promoted: there was no champion, so no scores are needed."""
    return promote(store["client"], NAME, 1, candidate_score=None, champion_score=None, who="tester")


@pytest.fixture(scope="module")
def v2(store, v1_champion) -> str:
    """Version 2 registered, scoring worse than the champion; returns its run id."""
    run_id, version = _log(store, rmse=6.0)
    assert version == "2"
    return run_id


@pytest.fixture(scope="module")
def v2_forced(store, v2):
    """Version 2 forced to champion with a reason."""
    return promote(
        store["client"],
        NAME,
        2,
        candidate_score=6.0,
        champion_score=5.0,
        force=True,
        reason="new station set",
        who="tester",
    )


def test_log_and_register_records_run_artifacts_and_version(store, v1):
    client = store["client"]
    run = client.get_run(v1)
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == "vnaqi-pm25"
    assert run.data.tags["met_mode"] == "none" and run.data.tags["data_hash"] == "sha256:abc123"
    assert run.data.tags["train_from"] == "2024-01-04" and run.data.tags["valid_to"] == "2024-02-25"
    assert run.data.metrics["rmse_24hmean_D1"] == 5.0
    assert run.data.params["booster.num_leaves"] == "7"
    artifacts = {a.path for a in client.list_artifacts(v1)}
    assert {"verification", "plots", "feature_importance.csv", "feature_spec.json"} <= artifacts
    assert [a.path for a in client.list_artifacts(v1, "verification")] == ["verification/scores_by_lead.csv"]
    assert [a.path for a in client.list_artifacts(v1, "plots")] == ["plots/scatter_D1.png"]
    registered = client.get_model_version(NAME, "1")
    assert registered.run_id == v1
    assert registered.tags["model_family"] == "lightgbm" and registered.tags["met_mode"] == "none"
    assert registered.tags["verification_from"] == "2024-02-09" and registered.tags["verification_to"] == "2024-02-25"
    assert registered.tags["headline_metric"] == "rmse_24hmean_D1" and float(registered.tags["rmse_24hmean_D1"]) == 5.0
    # artefacts stay inside the home
    assert client.get_experiment(run.info.experiment_id).artifact_location.startswith(store["home"].as_uri())


def test_invalid_inputs_are_refused_before_a_run_starts(store, v1):
    client = store["client"]
    experiment_id = client.get_experiment_by_name("vnaqi-pm25").experiment_id
    runs_before, versions_before = len(client.search_runs([experiment_id])), _versions(client)
    with pytest.raises(ValueError, match="metric name"):
        _log(store, 5.0, metrics={"rmse(D1)": 1.0})
    with pytest.raises(ValueError, match="headline metric 'rmse_nope'"):
        _log(store, 5.0, headline_metric="rmse_nope")
    with pytest.raises(ValueError, match="data_period lacks"):
        _log(store, 5.0, data_period={"train_from": "2024-01-04"})
    assert len(client.search_runs([experiment_id])) == runs_before
    assert _versions(client) == versions_before


def test_champion_reference_without_champion_says_how_to_fix(store, v1):
    with pytest.raises(NoChampionError, match=r"vnaqi train .*vnaqi promote --model vnaqi-pm25 --version N"):
        load_corrector(store["client"], store["home"], "champion", "pm25")
    assert champion(store["client"], NAME) is None
    assert champion(store["client"], "vnaqi-nope") is None


def test_first_promotion_needs_no_scores_and_champion_loads_identical_model(store, v1, v1_champion):
    assert v1_champion.changed and v1_champion.previous_version is None and not v1_champion.forced
    assert str(champion(store["client"], NAME).version) == "1"
    model, info = load_corrector(store["client"], store["home"], "champion", "pm25")
    assert (info.name, info.version, info.alias, info.run_id) == (NAME, "1", "champion", v1)
    assert info.uri == "models:/vnaqi-pm25/1"
    table = store["table"].tail(300)
    pd.testing.assert_frame_equal(model.predict(table), store["model"].predict(table))
    assert Path(info.local_path) == store["home"] / "models" / NAME / "1"


def test_pyfunc_wrapper_loads_from_champion_uri_and_predicts_like_the_corrector(store, v1_champion):
    client = store["client"]
    # MLflow 3.17 resolves a version's models:/m-… source through the process-wide URI, even when
    # download_artifacts gets tracking_uri/registry_uri: load inside mlflow_uris
    with mlflow_uris(client.tracking_uri):
        pyfunc = mlflow.pyfunc.load_model("models:/vnaqi-pm25@champion")
    table = store["table"].tail(100)
    pd.testing.assert_frame_equal(pyfunc.predict(table), store["model"].predict(table))
    assert isinstance(pyfunc.unwrap_python_model(), CorrectorPyfunc)
    assert pyfunc.unwrap_python_model().corrector.columns == store["model"].columns


def test_worse_candidate_is_refused_and_force_needs_a_reason(store, v2):
    client = store["client"]
    with pytest.raises(PromotionRefused, match=r"6.*not better than champion version 1 \(5"):
        promote(client, NAME, 2, candidate_score=6.0, champion_score=5.0)
    assert str(champion(client, NAME).version) == "1"
    with pytest.raises(ValueError, match="needs a reason"):
        promote(client, NAME, 2, candidate_score=6.0, champion_score=5.0, force=True, reason="  ")
    with pytest.raises(ModelNotFoundError, match="no version 9 .*versions: 1, 2"):
        promote(client, NAME, 9, candidate_score=1.0, champion_score=5.0)
    assert str(champion(client, NAME).version) == "1"


def test_forced_promotion_moves_alias_and_records_who_why_when(store, v2_forced):
    client = store["client"]
    assert v2_forced.changed and v2_forced.forced and v2_forced.previous_version == "1"
    assert str(champion(client, NAME).version) == "2"
    assert str(client.get_registered_model(NAME).aliases["previous-champion"]) == "1"
    tags = client.get_model_version(NAME, "2").tags
    assert tags["promoted_by"] == "tester" and tags["promotion_reason"] == "new station set"
    assert tags["promotion_forced"] == "true" and float(tags["promotion_candidate_score"]) == 6.0
    assert float(tags["promotion_champion_score"]) == 5.0 and tags["promoted_at"].endswith("+00:00")


def test_references_resolve(store, v1, v2):
    assert parse_model_ref("champion", "pm25") == "models:/vnaqi-pm25@champion"
    assert parse_model_ref("vnaqi-pm25/3", "pm25") == "models:/vnaqi-pm25/3"
    assert parse_model_ref("vnaqi-pm25@challenger", "pm25") == "models:/vnaqi-pm25@challenger"
    assert parse_model_ref("runs:/abc/model", "pm25") == "runs:/abc/model"
    assert parse_model_ref("2", "pm25") == "models:/vnaqi-pm25/2"
    with pytest.raises(ValueError, match="ambiguous"):
        parse_model_ref("vnaqi-pm25", "pm25")
    model, info = load_corrector(store["client"], store["home"], f"runs:/{v1}/model", "pm25")
    assert info.name is None and info.run_id == v1 and info.local_path is None
    table = store["table"].tail(50)
    pd.testing.assert_frame_equal(model.predict(table), store["model"].predict(table))
    _, info = load_corrector(TrackingSettings(), store["home"], "latest", "pm25")  # opens the home's store
    assert (info.version, info.run_id, info.alias) == ("2", v2, None)
    with pytest.raises(ModelNotFoundError, match="no version 7 .*versions: 1, 2"):
        load_corrector(store["client"], store["home"], "vnaqi-pm25/7", "pm25")
    with pytest.raises(ModelNotFoundError, match="no registered model 'vnaqi-nope'.*vnaqi-pm25"):
        load_corrector(store["client"], store["home"], "vnaqi-nope/1", "pm25")


def test_registry_unreachable_then_local_copy_loads_and_predicts_identically(store, v2_forced):
    home = store["home"]
    champion_model, _ = load_corrector(store["client"], home, "champion", "pm25")  # version 2, as champion
    load_corrector(store["client"], home, "1", "pm25")  # version 1, by number, afterwards
    with pytest.raises(TrackingUnavailableError):
        load_corrector(TrackingSettings(tracking_uri="http://127.0.0.1:9", http_timeout_s=3), home, "champion", "pm25")
    newest, newest_info = load_local_copy(home, NAME)
    assert newest_info.from_local_copy and newest_info.version == "1"  # the most recently loaded copy
    last_champion, last_champion_info = load_local_copy(home, NAME, alias="champion")
    assert last_champion_info.version == "2" and last_champion_info.alias == "champion"
    table = store["table"].tail(200)
    for model in (newest, last_champion):
        pd.testing.assert_frame_equal(model.predict(table), champion_model.predict(table))
    with pytest.raises(ModelNotFoundError, match="no local copy of vnaqi-o3"):
        load_local_copy(home, "vnaqi-o3")
    leftovers = list((home / "models").rglob(".*"))
    assert not leftovers, f"staging folders left behind: {leftovers}"


def test_unreachable_tracking_server_fails_fast(tmp_path):
    start = time.monotonic()
    with pytest.raises(TrackingUnavailableError, match=r"http://127\.0\.0\.1:9"):
        open_tracking(TrackingSettings(tracking_uri="http://127.0.0.1:9", http_timeout_s=3), tmp_path)
    assert time.monotonic() - start < 10
    assert os.environ.get("MLFLOW_HTTP_REQUEST_MAX_RETRIES") is None
    with pytest.raises(TrackingUnavailableError, match=r"sqlite:////proc/vnaqi-no-such-dir/mlflow\.db"):
        open_tracking(TrackingSettings(tracking_uri="sqlite:////proc/vnaqi-no-such-dir/mlflow.db"), tmp_path)


def test_settings_default_and_environment_override(tmp_path, monkeypatch):
    resolved = TrackingSettings().resolve(tmp_path)
    assert resolved.tracking_uri == f"sqlite:///{tmp_path.resolve()}/mlruns/mlflow.db"
    assert resolved.artifact_root == str(tmp_path.resolve() / "mlruns" / "artifacts")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")
    resolved = TrackingSettings().resolve(tmp_path)
    assert resolved.tracking_uri == "http://tracking.example:5000" and resolved.artifact_root is None
    assert TrackingSettings(tracking_uri="sqlite:////x/db").resolve(tmp_path).tracking_uri == "sqlite:////x/db"


@pytest.mark.parametrize("where", ["table", "after_registration"])
def test_failure_leaves_no_registered_version_and_a_failed_run(store, v2_forced, monkeypatch, caplog, where):
    caplog.set_level(logging.INFO, logger="training.tracking")
    client = store["client"]
    versions_before = _versions(client)
    if where == "table":

        def broken(table, path):
            raise OSError("disk full")

        monkeypatch.setattr("training.tracking._write_table", broken)
    else:
        real = MlflowClient.set_terminated

        def refuse_to_finish(self, run_id, status=None, end_time=None):
            if status == "FINISHED":
                raise RuntimeError("store went away")
            return real(self, run_id, status, end_time)

        monkeypatch.setattr(MlflowClient, "set_terminated", refuse_to_finish)
    with pytest.raises((OSError, RuntimeError), match="disk full" if where == "table" else "store went away"):
        _log(store, rmse=4.0)
    assert _versions(client) == versions_before
    experiment_id = client.get_experiment_by_name("vnaqi-pm25").experiment_id
    latest = client.search_runs([experiment_id], order_by=["attributes.start_time DESC"], max_results=1)[0]
    assert latest.info.status == "FAILED"
    assert latest.data.tags["failure_reason"]
    logged_models = client.search_logged_models(
        experiment_ids=[experiment_id], filter_string=f"source_run_id = '{latest.info.run_id}'"
    )
    assert len(logged_models) == (where == "after_registration")  # the table failure came before the model
    assert all(str(m.status).endswith("FAILED") for m in logged_models)
    assert str(champion(client, NAME).version) == "2"
    deleted = [r for r in caplog.records if "deleted vnaqi-pm25 version" in r.getMessage()]
    assert bool(deleted) == (where == "after_registration")  # a version was created, then removed
