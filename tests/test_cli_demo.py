"""The README's main command, end to end, and `vnaqi forecast` on the archive it leaves."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()
CYCLE = "2026-11-25T00Z"


def test_demo_runs_end_to_end_and_labels_its_data_synthetic(home):
    result = runner.invoke(app, ["demo", "--home", str(home), "--cycle", CYCLE])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output
    assert "D1 2026-11-25" in result.output and "D3 2026-11-27" in result.output
    [forecast_json] = sorted(home.glob(f"runs/{CYCLE}/*/forecast.json"))
    doc = json.loads(forecast_json.read_text(encoding="utf-8"))
    assert doc["schema"] == "vnaqi.forecast/1" and doc["synthetic"] is True and doc["cycle"] == CYCLE
    assert len(doc["stations"]) == 19
    station = doc["stations"][0]
    assert station["id"].startswith("demo-") and "(synthetic)" in station["name_en"]
    assert len(station["hourly"]) == 72 and station["hourly"][0]["valid_time"] == "2026-11-25T08:00:00+07:00"
    assert [d["day"] for d in station["daily"]] == ["D1", "D2", "D3"]
    for hour in station["hourly"]:
        q = hour["quantiles"]["pm25"]
        assert q["q10"] <= q["q50"] <= q["q90"]
        assert 0 <= hour["aqi"] <= 500
    assert station["daily"][0]["advice"]["vi"]["general"]
    manifest = json.loads((forecast_json.parent / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["method_by_pollutant_and_lead_day"]["pm25"]) == {
        "D1 (1-24 h)",
        "D2 (25-48 h)",
        "D3 (49-72 h)",
    }


def test_demo_rerun_keeps_the_first_run_and_forecast_uses_the_archive(home):
    assert runner.invoke(app, ["demo", "--home", str(home), "--cycle", CYCLE]).exit_code == 0
    archive_before = {
        p: p.read_bytes() for p in (home / "archive").rglob("*.parquet") if "ingest" not in p.name
    }
    again = runner.invoke(app, ["demo", "--home", str(home), "--cycle", CYCLE])
    assert again.exit_code == 0, again.output
    runs = sorted(p.name for p in (home / "runs" / CYCLE).iterdir())
    assert runs == ["baseline-best-v1", "baseline-best-v2"]
    archive_after = {
        p: p.read_bytes() for p in (home / "archive").rglob("*.parquet") if "ingest" not in p.name
    }
    assert archive_after == archive_before  # same synthetic file: nothing rewritten
    result = runner.invoke(
        app,
        [
            "forecast",
            "--home",
            str(home),
            "--cycle",
            "2026-11-24T12Z",
            "--method",
            "climatology",
            "--station",
            "demo-us-embassy-hanoi",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    [doc_path] = home.glob("runs/2026-11-24T12Z/baseline-climatology-v1/forecast.json")
    doc = json.loads(doc_path.read_text(encoding="utf-8"))
    assert [s["id"] for s in doc["stations"]] == ["demo-us-embassy-hanoi"]
    assert doc["stations"][0]["daily"][0]["date"] == "2026-11-25"  # the 12 UTC run starts with tomorrow


def test_forecast_on_an_empty_archive_says_what_to_do(home):
    result = runner.invoke(app, ["forecast", "--home", str(home), "--cycle", CYCLE])
    assert result.exit_code == 2
    assert "vnaqi ingest" in result.output


def test_forecast_rejects_unknown_station_and_bad_cycle(home):
    bad_station = runner.invoke(
        app, ["forecast", "--home", str(home), "--cycle", CYCLE, "--station", "nowhere"]
    )
    assert bad_station.exit_code == 2 and "unknown station(s): nowhere" in bad_station.output
    bad_cycle = runner.invoke(app, ["forecast", "--home", str(home), "--cycle", "tomorrow"])
    assert bad_cycle.exit_code == 2 and "'tomorrow'" in bad_cycle.output


def test_the_forecast_cube_is_written_as_cf_time_series(home):
    import xarray as xr

    assert runner.invoke(app, ["demo", "--home", str(home), "--cycle", CYCLE]).exit_code == 0
    [path] = home.glob(f"runs/{CYCLE}/*/forecast.nc")
    with xr.open_dataset(path) as cube:
        assert cube.attrs["featureType"] == "timeSeries"
        assert cube["station_id"].attrs["cf_role"] == "timeseries_id"
        assert cube["pm25"].attrs["standard_name"] == "mass_concentration_of_pm2p5_ambient_aerosol_particles_in_air"
        assert cube["pm25"].attrs["units"] == "ug m-3"
        assert cube.sizes == {"station": 19, "lead": 72}
        assert (cube["pm25_q10"] <= cube["pm25_q90"]).all()
