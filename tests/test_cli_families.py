"""``vnaqi train --model lstm|blend``, ``vnaqi evaluate --model …`` side by side, and promotion of a blend, end to
end on a SYNTHETIC archive (the demo network's generator), with MLflow in the home."""

from __future__ import annotations

import re
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from tests.cycle_helpers import demo_archive_home
from tests.cycle_helpers import run as run_cli

pytest.importorskip("torch")
END = pd.Timestamp("2026-03-31T00:00Z")
TRAIN_TO, VALID_TO = "2026-02-10", "2026-03-05"
STATIONS = ("demo-hn-556-nguyen-van-cu", "demo-hcm-care-centre", "demo-hn-an-khanh")


def run(home: Path, *args: str):
    return run_cli(home, *args, columns=220)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return demo_archive_home(tmp_path_factory.mktemp("families-home"), END)


@pytest.fixture(scope="module")
def blended(home):
    import os

    uri_before, env_before = mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI")
    stations = [a for s in STATIONS for a in ("--station", s)]
    result = run(
        home, "train", "--model", "blend", "--pollutant", "pm25", "--train-to", TRAIN_TO, "--valid-to", VALID_TO,
        "--quick", *stations,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # Lightning's MLflow logger sets the process-wide URI: it must not leak into later homes
    assert (mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI")) == (uri_before, env_before)
    versions = dict(re.findall(r"pm25 (lightgbm|lstm|blend): registered vnaqi-pm25 version (\d+)", result.output))
    return result.output, versions


@pytest.fixture(scope="module")
def client(home, blended):
    from forecast.model_store import TrackingSettings, open_tracking

    return open_tracking(TrackingSettings().resolve(home), home)


def test_blend_training_registers_three_families_and_prints_them_side_by_side(blended):
    output, versions = blended
    assert versions == {"lightgbm": "1", "lstm": "2", "blend": "3"}
    for column in ("RMSE lightgbm", "RMSE lstm", "RMSE blend", "RMSE persistence", "RMSE climatology"):
        assert column in output
    assert "Blend weights" in output and "optimistic" in flat(output)
    assert "Seed set to" not in output and "Tip:" not in output  # Lightning's banners stay quiet


def test_the_three_runs_are_comparable_column_for_column(client, blended):
    _, versions = blended
    runs = {f: client.get_run(client.get_model_version("vnaqi-pm25", v).run_id) for f, v in versions.items()}
    experiments = {r.info.experiment_id for r in runs.values()}
    assert len(experiments) == 1  # all in vnaqi-pm25
    keys = {f: set(r.data.metrics) for f, r in runs.items()}
    shared = {"rmse_24hmean_mean", "rmse_24hmean_lead1_24", "coverage_10_90_lead49_72", "aqi_accuracy_D1"}
    for family, metric_keys in keys.items():
        assert shared <= metric_keys, family
    assert keys["lightgbm"] == keys["lstm"] == keys["blend"]
    for family, run in runs.items():
        assert run.data.tags["model_family"] == family and run.data.params["model_family"] == family
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert {"verification", "plots", "feature_spec.json"} <= artifacts
        verification = {a.path for a in client.list_artifacts(run.info.run_id, "verification")}
        assert "verification/valid_hindcast.csv" in verification and "verification/summary.csv" in verification
        version = client.get_model_version("vnaqi-pm25", versions[family])
        assert version.tags["model_family"] == family
        assert version.tags["verification_from"] == "2026-02-11" and version.tags["verification_to"] == VALID_TO
    for family, table in (("lstm", "epochs"), ("blend", "blend_fit")):
        listed = {a.path for a in client.list_artifacts(runs[family].info.run_id, "verification")}
        assert f"verification/{table}.csv" in listed


def test_lightning_logged_the_epochs_to_the_fit_run(client, blended):
    _, versions = blended
    run = client.get_run(client.get_model_version("vnaqi-pm25", versions["lstm"]).run_id)
    fit_run = client.get_run(run.data.tags["fit_run_id"])
    history = client.get_metric_history(fit_run.info.run_id, "valid_loss")
    assert len(history) >= 2 and all(np.isfinite(m.value) for m in history)
    assert client.get_experiment(fit_run.info.experiment_id).name == "vnaqi-lstm-fit"


def test_the_logged_lstm_answers_a_request_through_mlflow_pyfunc(home, client, blended):
    from forecast.model_store import load_corrector, mlflow_uris

    _, versions = blended
    uri = f"models:/vnaqi-pm25/{versions['lstm']}"
    with mlflow_uris(client.tracking_uri):
        pyfunc = mlflow.pyfunc.load_model(uri)
    schema = pyfunc.metadata.get_input_schema()
    assert schema.input_names() == ["issue_time", "station_id"]
    assert pyfunc.metadata.get_params_schema().to_dict()[0]["name"] == "home"
    request = pd.DataFrame({"issue_time": ["2026-03-10 00:00"], "station_id": [STATIONS[0]]})  # naive = UTC
    rows = pyfunc.predict(request, params={"home": str(home)})
    assert len(rows) == 72 and sorted(rows["lead_h"]) == list(range(1, 73))
    assert (rows["q10"] <= rows["q50"]).all() and (rows["q50"] <= rows["q90"]).all()
    # the same numbers as the model loaded the way the cycle loads it
    model, info = load_corrector(client, home, f"vnaqi-pm25/{versions['lstm']}", "pm25")
    assert type(model).__name__ == "SequenceModel" and info.version == versions["lstm"]
    with pytest.raises(ValueError, match="home"):
        pyfunc.predict(request, params={"home": str(home / "nowhere")})


def test_evaluate_scores_registered_families_side_by_side(home, blended):
    _, versions = blended
    refs = [a for v in versions.values() for a in ("--model", f"vnaqi-pm25/{v}")]
    result = run(home, "evaluate", *refs, "--from", "2026-03-06", "--to", "2026-03-20", "--issue-hours", "0")
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    for label in ("RMSE v1 lightgbm", "RMSE v2 lstm", "RMSE v3 blend", "RMSE persistence"):
        assert label in text
    assert "10–90 % interval coverage" in text and "v3 blend" in text
    cell = r"\s*│\s*([\d.]+)"
    rows = re.findall(r"│ PM2\.5\s*│ (1-24 h|25-48 h|49-72 h)\s*│\s*(\d+)" + cell * 3, result.output)
    assert len(rows) == 3
    for _, n, lightgbm, lstm, blend in rows:
        assert int(n) > 0
        # a convex blend of two forecasts is never worse than the worse of them (RMSE is convex)
        assert float(blend) <= max(float(lightgbm), float(lstm)) + 0.05


def test_evaluate_needs_a_period_with_models_and_one_source(home, blended):
    result = run(home, "evaluate", "--model", "vnaqi-pm25/1")
    assert result.exit_code == 2 and "--from" in result.output
    result = run(home, "evaluate", "--model", "vnaqi-pm25/1", "--hindcast", "x.parquet")
    assert result.exit_code == 2 and "exactly one" in result.output
    result = run(home, "evaluate", "--model", "vnaqi-pm25/99", "--from", "2026-03-06", "--to", "2026-03-08")
    assert result.exit_code == 2 and "no version 99" in result.output


def test_a_blend_is_promoted_and_hindcast_as_the_champion(home, blended, tmp_path):
    _, versions = blended
    result = run(home, "promote", "--model", "vnaqi-pm25", "--version", versions["blend"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "champion.parquet"
    result = run(home, "hindcast", "--model", "champion", "--from", "2026-03-10", "--to", "2026-03-12",
                 "--issue-hours", "0", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "blend (lightgbm + lstm)" in flat(result.output)
    table = pd.read_parquet(out)
    assert set(table["station_id"]) == set(STATIONS) and sorted(table["lead_h"].unique()) == list(range(1, 73))
    assert table["observed"].notna().mean() > 0.9 and table["persistence"].notna().all()
    # a later candidate is compared with the blend on the same period, whatever its family
    result = run(home, "promote", "--model", "vnaqi-pm25", "--version", versions["lstm"])
    assert "candidate v2" in flat(result.output) and f"champion v{versions['blend']}" in flat(result.output)


def test_lstm_without_the_extra_says_how_to_install_it(home, monkeypatch):
    import forecast.model_kinds as kinds

    monkeypatch.setattr(kinds, "lstm_available", lambda: False)
    for family in ("lstm", "blend"):
        result = run(home, "train", "--model", family, "--train-to", TRAIN_TO, "--valid-to", VALID_TO)
        assert result.exit_code == 2, result.output
        assert "lstm" in result.output and 'pip install -e ".[lstm]"' in flat(result.output)


def test_a_gpu_asked_for_without_one_is_a_clear_error(home):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = run(home, "train", "--model", "lstm", "--device", "cuda", "--quick", "--train-to", TRAIN_TO,
                 "--valid-to", VALID_TO)  # fmt: skip
    assert result.exit_code == 2 and "cuda" in result.output.lower()
