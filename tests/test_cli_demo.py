"""The README's main command, end to end — synthetic inputs and the real replay — and `vnaqi forecast` on the
archive the demo leaves; the synthetic inputs' consistency with the episode calendar."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from configs.networks import StationRegistry, registry_for_home
from configs.settings import HomeLayout
from configs.sources import load_sources
from forecast.catalogue import RunCatalogue
from forecast.cli import app
from forecast.cli import demo_real as demo_module
from forecast.cycle.publish import published_run
from met_inputs.synthetic import demo_network, episode_calendar, synthetic_observations

runner = CliRunner()
CYCLE = "2026-11-25T00Z"
EARLIER = "2026-11-24T12Z"


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory) -> tuple[Path, str]:
    """One synthetic demo run shared by the tests below (the rerun test comes last and adds a second)."""
    home = tmp_path_factory.mktemp("demo-home")
    result = invoke("demo", "--home", str(home), "--cycle", CYCLE, "--no-serve")
    assert result.exit_code == 0, result.output
    return home, result.output


def test_demo_runs_end_to_end_and_labels_its_data_synthetic(demo_home):
    home, output = demo_home
    assert "SYNTHETIC" in output and "ALL INPUTS ARE SYNTHETIC" in output
    assert "D1 2026-11-25" in output and "D3 2026-11-27" in output
    assert "PERFECT PROGNOSIS" in output and "met mode perfect" in output
    assert "vnaqi serve --home" in output and "/dashboard" in output  # says how to open what it made
    bulletin = home / "bulletins" / CYCLE / "forecast-v1" / "bulletin-v1" / "bulletin.vi.html"
    assert bulletin.is_file() and "DỮ LIỆU MÔ PHỎNG" in bulletin.read_text(encoding="utf-8")
    forecast_json = home / "runs" / CYCLE / "forecast-v1" / "forecast.json"
    doc = json.loads(forecast_json.read_text(encoding="utf-8"))
    assert doc["schema"] == "vnaqi.forecast/1" and doc["synthetic"] is True and doc["cycle"] == CYCLE
    assert len(doc["stations"]) == 19  # the air-quality twins; the synthetic weather stations are not forecast
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
    assert manifest["synthetic"] is True
    assert manifest["models"]["pm25"] == "vnaqi-pm25/1"
    assert set(manifest["baseline_choice"]["pm10"]) == {"D1 (1-24 h)", "D2 (25-48 h)", "D3 (49-72 h)"}


def test_two_cycles_are_published_from_the_synthetic_grib_without_fallback(demo_home):
    home, output = demo_home
    runs = RunCatalogue(home_root=home).runs()
    assert {(r.cycle, r.status) for r in runs} == {(EARLIER, "published"), (CYCLE, "published")}
    layout = HomeLayout(home)
    assert published_run(layout.products) == (home / "runs" / CYCLE / "forecast-v1").resolve()
    assert published_run(layout.products, EARLIER) == (home / "runs" / EARLIER / "forecast-v1").resolve()
    assert str(layout.products / "latest" / "forecast.json") in output
    for cycle in (EARLIER, CYCLE):
        manifest = json.loads((home / "runs" / cycle / "forecast-v1" / "manifest.json").read_text(encoding="utf-8"))
        steps = {f["step"] for f in manifest["fallbacks"]}
        assert not steps & {"nwp-missing", "ctm-missing", "input", "inputs-unreadable"}, manifest["fallbacks"]
        assert steps <= {"no-model"}  # only the pollutants the demo does not train
        used = {s["role"]: s for s in manifest["inputs"]["sources"] if s["status"] == "used"}
        assert used["nwp"]["name"] == "ifs" and used["nwp"]["cycle"] == cycle and used["nwp"]["files"] == 25
        assert used["ctm"]["name"] == "cams" and used["ctm"]["cycle"] == cycle
    assert "NWP and CTM none" in output


def test_the_grib_files_open_and_the_station_cube_has_inversions(demo_home):
    from met_inputs.cube_builder import build_station_cube
    from met_inputs.sources import open_source

    home, _ = demo_home
    folder = home / "inputs" / CYCLE
    assert "SYNTHETIC" in (folder / "README.txt").read_text(encoding="utf-8")
    nwp_files = sorted((folder / "ifs").glob("*.grib2"))
    assert len(nwp_files) == 25 and all(p.name.startswith("SYNTHETIC_") for p in nwp_files)
    nwp = open_source(nwp_files, expected_init_time="2026-11-25T00")
    assert {"t2m", "d2m", "u10", "v10", "sp", "msl", "tp", "tcc", "ssrd", "blh", "t", "gh"} <= set(nwp.data_vars)
    assert sorted(nwp["level"].values.tolist()) == [850, 925, 1000]
    assert nwp.sizes["step"] == 25
    ctm = open_source(sorted((folder / "cams").glob("*.grib2")))
    assert {"pm25", "pm10"} <= set(ctm.data_vars) and ctm.attrs["convention"] == "cams"
    registry = registry_for_home(home / "networks")
    stations = registry.stations(network="demo", kind="air_quality")
    cube, report = build_station_cube(HomeLayout(home), pd.Timestamp("2026-11-25T00:00Z"), stations,
                                      load_sources(home=home))  # fmt: skip
    assert report.fallbacks == [] and report.not_derived == ""
    for name in ("inversion_flag", "inversion_strength_k", "blh", "ventilation_coefficient_m2_s", "ctm_pm25", "t1000"):
        assert name in cube and np.isfinite(cube[name].values).all(), name
    hanoi = cube.sel(station="demo-us-embassy-hanoi")
    # consistent with the calendar: inversions come with a shallow boundary layer and weak wind
    inverted = hanoi["inversion_flag"].values == 1
    if inverted.any() and (~inverted).any():
        assert hanoi["blh"].values[inverted].mean() < hanoi["blh"].values[~inverted].mean()


def test_synthetic_met_is_ingested_for_the_weather_twins(demo_home):
    from met_inputs.observations.archive import ObservationArchive

    home, _ = demo_home
    registry = registry_for_home(home / "networks")
    assert registry.met_station_for("demo-us-embassy-hanoi") == "demo-vvnb-noibai"
    assert registry.met_station_for("demo-us-consulate-hcmc") == "demo-vvts-tansonnhat"
    status = ObservationArchive(HomeLayout(home), registry).met_status()
    assert set(status["station_id"]) == {"demo-vvnb-noibai", "demo-vvts-tansonnhat"}
    assert {"t2m", "d2m", "ws10", "wd10", "msl", "tp", "tcc", "ssrd"} <= set(status["variable"])
    assert "vvnb-noibai" not in set(status["station_id"])  # never under the real station's id
    csv = next((home / "demo-inputs").glob("SYNTHETIC_met_demo-vvnb-noibai_*.csv"))
    assert pd.read_csv(csv, nrows=1)["name"].iloc[0].startswith("SYNTHETIC")


def test_the_forecast_cube_is_written_as_cf_time_series(demo_home):
    import xarray as xr

    home, _ = demo_home
    path = home / "runs" / CYCLE / "forecast-v1" / "forecast.nc"
    with xr.open_dataset(path) as cube:
        assert cube.attrs["featureType"] == "timeSeries"
        assert cube["station_id"].attrs["cf_role"] == "timeseries_id"
        assert cube["pm25"].attrs["standard_name"] == "mass_concentration_of_pm2p5_ambient_aerosol_particles_in_air"
        assert cube["pm25"].attrs["units"] == "ug m-3"
        assert cube.sizes == {"station": 19, "lead": 72}
        assert (cube["pm25_q10"] <= cube["pm25_q90"]).all()


def test_forecast_on_an_empty_archive_says_what_to_do(home):
    result = runner.invoke(app, ["forecast", "--home", str(home), "--cycle", CYCLE])
    assert result.exit_code == 2
    assert "vnaqi ingest" in result.output


def test_forecast_rejects_unknown_station_and_bad_cycle(home):
    bad_station = runner.invoke(app, ["forecast", "--home", str(home), "--cycle", CYCLE, "--station", "nowhere"])
    assert bad_station.exit_code == 2 and "unknown station(s): nowhere" in bad_station.output
    bad_cycle = runner.invoke(app, ["forecast", "--home", str(home), "--cycle", "tomorrow"])
    assert bad_cycle.exit_code == 2 and "'tomorrow'" in bad_cycle.output


def test_real_demo_refuses_a_cycle(home):
    result = invoke("demo", "--home", str(home), "--real", "--cycle", CYCLE)
    assert result.exit_code == 2 and "--cycle does not apply to --real" in result.output


# --- the synthetic inputs follow one calendar --------------------------------------------------------------------


def test_episode_calendar_is_the_one_the_observations_use():
    registry = StationRegistry.from_dir()
    end = pd.Timestamp("2026-01-20T00:00Z")
    plain = synthetic_observations(demo_network(registry), end, days=40, seed=5)
    with_weather = synthetic_observations(demo_network(registry, with_weather=True), end, days=40, seed=5)
    pd.testing.assert_frame_equal(plain, with_weather)  # weather twins change nothing of the AQ series
    calendar = episode_calendar(end, days=40, seed=5)
    assert calendar.times[calendar.obs_hours - 1] == end and calendar.hours == (40 + 4) * 24
    pm = plain[(plain["station_id"] == "demo-us-embassy-hanoi") & (plain["pollutant"] == "pm25")]
    index = calendar.index(pd.to_datetime(pm["time"], utc=True))
    regime = calendar.regime("Hà Nội")[index]
    assert np.corrcoef(np.log(regime), np.log(pm["value"].to_numpy()))[0, 1] > 0.5


def test_synthetic_weather_is_stagnant_on_episode_days():
    from met_inputs.synthetic_grib import SyntheticWeather

    calendar = episode_calendar(pd.Timestamp("2026-11-25T00:00Z"), days=60, seed=3)
    weather = SyntheticWeather(calendar, 3)
    times = calendar.times
    lat, lon = np.array([21.03]), np.array([105.85])
    f = {k: v[:, 0] for k, v in weather.surface(lat, lon, times).items()}
    stagnant = np.repeat(calendar.stagnant["Hà Nội"], 24)
    night = ((times.hour + 7) % 24) < 6
    assert f["ws10"][stagnant].mean() < 0.5 * f["ws10"][~stagnant].mean()
    assert f["blh"][stagnant & night].mean() < 200 < f["blh"][~stagnant & night].mean()
    inversion = f["t1000"] - 273.15 > f["t2m"]
    assert inversion[stagnant & night].mean() > 0.8 and inversion[~stagnant & night].mean() < 0.2
    assert f["tp"][stagnant].sum() == 0 < f["tp"][~stagnant].sum()
    ctm = weather.pm_field(lat, lon, times)[:, 0]
    assert ctm[stagnant].mean() > 1.5 * ctm[~stagnant].mean()
    with pytest.raises(ValueError, match="outside the synthetic episode calendar"):
        weather.surface(lat, lon, [times[-1] + pd.Timedelta(hours=1)])


def test_perfect_prognosis_grib_gives_back_the_observed_met(tmp_path):
    from configs.sources import SourcesConfig
    from met_inputs.cube_builder import build_station_cube
    from met_inputs.synthetic_grib import write_perfect_prognosis_nwp

    cycle = pd.Timestamp("2016-12-17T00:00Z")
    index = pd.date_range(cycle - pd.Timedelta(hours=1), periods=75, freq="h")
    hours = np.arange(len(index))
    met = pd.DataFrame(
        {"t2m": 18 + 4 * np.sin(hours / 4), "d2m": 12.0 + 0 * hours, "ws10": 2 + (hours % 5), "wd10": 45.0 + hours,
         "msl": 1018 + hours / 50, "tp": np.where(hours % 7 == 0, 0.4, 0.0), "tcc": 50.0 + 0 * hours,
         "ssrd": np.clip(600 * np.sin(hours / 3), 0, None)},
        index=index,
    )  # fmt: skip
    met.loc[index[10], "t2m"] = np.nan  # a gap is filled in time
    folder = tmp_path / "inputs" / "2016-12-17T00Z" / "observed-met"
    write_perfect_prognosis_nwp(folder, cycle, met, center=(21.02, 105.82))
    config = SourcesConfig.model_validate({"sources": [{"name": "observed-met", "role": "nwp", "kind": "local",
                                                        "path_pattern": str(folder / "*.grib2"),
                                                        "area": [22.0, 104.8, 20.0, 106.8]}]})  # fmt: skip
    station = registry_for_home().get("us-embassy-hanoi")
    cube, report = build_station_cube(HomeLayout(tmp_path), cycle, [station], config)
    assert report.used("nwp").name == "observed-met"
    got = cube.isel(station=0)
    truth = met.interpolate().reindex(pd.DatetimeIndex(cube["valid_time"].values).tz_localize("UTC"))
    for name in ("t2m", "d2m", "ws10", "msl", "tp", "tcc"):
        np.testing.assert_allclose(got[name].values, truth[name].to_numpy(), atol=0.02, err_msg=name)
    np.testing.assert_allclose(got["ssrd"].values, truth["ssrd"].to_numpy(), atol=0.5)


# --- the real replay ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_home(tmp_path_factory) -> tuple[Path, str]:
    if not (demo_module.DEMO_DATA / demo_module.REAL_PM25_FILE).is_file():
        pytest.skip("the real sample forecast/demo_data is absent from this installation")
    home = tmp_path_factory.mktemp("real-demo-home")
    result = invoke("demo", "--home", str(home), "--real", "--no-serve", "--lang", "en")
    assert result.exit_code == 0, result.output
    return home, result.output


def _verification_rows(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.count("│") >= 8 and "2016-12-1" in line]


def test_real_demo_replays_a_hanoi_episode_and_verifies_it(real_home):
    home, output = real_home
    assert "REAL DATA" in output and "US Embassy Hanoi" in output and "SYNTHETIC" not in output
    assert "Verification — REAL DATA" in output
    rows = _verification_rows(output)
    assert len(rows) == 4 * 3  # four cycles × D1–D3
    assert sum(" hit " in r or " miss " in r for r in rows) >= 10  # observed days are there to compare
    sub = home / demo_module.REAL_SUBHOME
    runs = RunCatalogue(home_root=sub).runs()
    assert sorted(r.cycle for r in runs if r.status == "published") == sorted(demo_module.REAL_CYCLES)
    assert published_run(HomeLayout(sub).products) == (sub / "runs" / "2016-12-18T12Z" / "forecast-v1").resolve()
    doc = json.loads((sub / "products" / "latest" / "forecast.json").read_text(encoding="utf-8"))
    assert doc["synthetic"] is False and [s["id"] for s in doc["stations"]] == ["us-embassy-hanoi"]
    assert not (home / "runs").exists()  # the replay keeps to its own home
    if "PERFECT PROGNOSIS met" in output:  # the Noi Bai weather was at hand (it is not shipped)
        manifest = json.loads((sub / "products" / "latest" / "manifest.json").read_text(encoding="utf-8"))
        used = [s for s in manifest["inputs"]["sources"] if s["status"] == "used"]
        assert [s["name"] for s in used] == ["observed-met"]
        assert "nwp-missing" not in {f["step"] for f in manifest["fallbacks"]}
        assert "met mode perfect" in output


def test_real_demo_without_the_noibai_weather_says_so(tmp_path, monkeypatch):
    if not (demo_module.DEMO_DATA / demo_module.REAL_PM25_FILE).is_file():
        pytest.skip("the real sample forecast/demo_data is absent from this installation")
    monkeypatch.setattr(demo_module, "noibai_folder", lambda option: None)
    result = invoke("demo", "--home", str(tmp_path / "h"), "--real", "--no-serve", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "No observed met" in result.output and "may not be redistributed" in result.output
    assert "met mode none" in result.output and len(_verification_rows(result.output)) == 12


def test_the_shipped_sample_is_small_and_credited():
    folder = demo_module.DEMO_DATA
    sample = folder / demo_module.REAL_PM25_FILE
    if not sample.is_file():
        pytest.skip("the real sample forecast/demo_data is absent from this installation")
    assert sum(p.stat().st_size for p in folder.iterdir()) < 1_000_000
    source = (folder / "SOURCE.md").read_text(encoding="utf-8")
    assert "Department of State" in source and "Visual Crossing" in source
    table = pd.read_csv(sample)
    assert list(table.columns) == ["station_id", "time", "pollutant", "value", "unit", "qc"]
    assert set(table["station_id"]) == {"us-embassy-hanoi"} and set(table["pollutant"]) == {"pm25"}


# --- last: a second run in the shared demo home -------------------------------------------------------------------


def test_demo_rerun_keeps_the_first_run_and_forecast_uses_the_archive(demo_home):
    home, _ = demo_home
    archive_before = {p: p.read_bytes() for p in (home / "archive").rglob("*.parquet") if "ingest" not in p.name}
    again = invoke("demo", "--home", str(home), "--cycle", CYCLE, "--no-serve")
    assert again.exit_code == 0, again.output
    assert "forced over version 1" in again.output  # the champion moves to the new version, with a logged reason
    runs = sorted(p.name for p in (home / "runs" / CYCLE).iterdir())
    assert runs == ["forecast-v1", "forecast-v2"]
    catalogue = RunCatalogue(home_root=home)
    assert catalogue.get(f"{CYCLE}/forecast-v1").status == "superseded"
    assert catalogue.get(f"{CYCLE}/forecast-v2").status == "published"
    archive_after = {p: p.read_bytes() for p in (home / "archive").rglob("*.parquet") if "ingest" not in p.name}
    assert archive_after == archive_before  # same synthetic files: nothing rewritten
    result = invoke(
        "forecast", "--home", str(home), "--cycle", EARLIER, "--method", "climatology",
        "--station", "demo-us-embassy-hanoi", "--lang", "en",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [doc_path] = home.glob(f"runs/{EARLIER}/baseline-climatology-v1/forecast.json")
    doc = json.loads(doc_path.read_text(encoding="utf-8"))
    assert [s["id"] for s in doc["stations"]] == ["demo-us-embassy-hanoi"]
    assert doc["stations"][0]["daily"][0]["date"] == "2026-11-25"  # the 12 UTC run starts with tomorrow
