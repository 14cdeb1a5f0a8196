"""``vnaqi run``: one operational cycle end to end on a SYNTHETIC archive — publication, versions,
fallbacks, alerts, the lock, failures and SIGKILL — and the cycle's bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from configs.cycle import load_cycle_settings
from configs.networks import registry_for_home
from configs.settings import HomeLayout
from forecast.catalogue import RunCatalogue
from forecast.cycle import runner as cycle_runner
from forecast.cycle.lock import cycle_lock
from forecast.cycle.publish import published_run
from tests.cycle_helpers import run, trained_home

END = pd.Timestamp("2026-01-20T00:00Z")  # last observation; the 00Z cycle of that day has fresh data
CYCLE = "2026-01-20T00Z"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = trained_home(tmp_path_factory.mktemp("cycle-home"), END, days=60, seed=11, train_to="2025-12-20",
                        valid_to="2026-01-10", lead_stride=3)  # fmt: skip
    (home / "cycle.yaml").write_text("pollutants: [pm25, pm10]\n")  # keeps the baseline fallback quick
    return home


@pytest.fixture(scope="module")
def first_run(home):
    result = run(home, "run", "--cycle", CYCLE)
    assert result.exit_code == 0, result.output
    return result


def _manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text())


def test_run_publishes_a_complete_run_with_the_champion(home, first_run):
    layout = HomeLayout(home)
    latest = published_run(layout.products)
    assert latest == (home / "runs" / CYCLE / "forecast-v1").resolve()
    assert published_run(layout.products, CYCLE) == latest
    manifest = _manifest(latest)
    assert manifest["models"] == {"pm25": "vnaqi-pm25/1", "pm10": "baseline"}
    steps = {f["step"] for f in manifest["fallbacks"]}
    assert {"no-model", "nwp-missing", "ctm-missing"} <= steps  # each fallback recorded
    assert set(manifest["timings_s"]) >= {
        "inputs",
        "observations",
        "models",
        "forecast",
        "vn_aqi",
    }  # write, publish: catalogue
    document = json.loads((latest / "forecast.json").read_text())
    assert document["synthetic"] is True and manifest["synthetic"] is True  # demo-* stations are synthetic
    assert len(document["stations"]) == 19
    for station in document["stations"]:
        assert [d["day"] for d in station["daily"]] == ["D1", "D2", "D3"]
        assert len(station["hourly"]) == 72
        for day in station["daily"]:
            probs = day["category_probabilities"]
            assert probs is not None and abs(sum(probs.values()) - 1) < 1e-6
            # the category of the central forecast has a real share of the probability
            assert probs[str(day["category"])] > 0.05
        pm = station["hourly"][0]["quantiles"]["pm25"]
        assert pm["q10"] <= pm["q50"] <= pm["q90"]
    record = RunCatalogue(home_root=home).get(f"{CYCLE}/forecast-v1")
    assert record.status == "published" and record.models["pm25"] == "vnaqi-pm25/1"
    assert {f.step for f in record.fallbacks} >= {"no-model"}


def test_a_rerun_is_a_new_version_and_keeps_the_first(home, first_run):
    result = run(home, "run", "--cycle", CYCLE)
    assert result.exit_code == 0, result.output
    catalogue = RunCatalogue(home_root=home)
    assert catalogue.get(f"{CYCLE}/forecast-v1").status == "superseded"
    assert catalogue.get(f"{CYCLE}/forecast-v2").status == "published"
    assert (home / "runs" / CYCLE / "forecast-v1" / "forecast.json").is_file()
    assert published_run(HomeLayout(home).products) == (home / "runs" / CYCLE / "forecast-v2").resolve()


def test_unreachable_registry_uses_the_local_model_copy(home, first_run):
    result = run(home, "run", "--cycle", CYCLE, "--no-publish", "--tracking-uri", "http://127.0.0.1:1")
    assert result.exit_code == 0, result.output
    newest = RunCatalogue(home_root=home).runs(cycle=CYCLE, limit=1)[0]
    assert newest.status == "complete"  # --no-publish
    manifest = _manifest(Path(newest.path))
    assert manifest["models"]["pm25"] == "vnaqi-pm25/1 (local copy)"
    assert "local-model-copy" in {f["step"] for f in manifest["fallbacks"]}


def test_silent_stations_raise_one_alert_each_and_close_when_data_return(home, first_run):
    later = "2026-01-20T12Z"  # observations end 12 h before this cycle
    first = run(home, "run", "--cycle", later, "--no-publish")
    assert first.exit_code == 0, first.output
    catalogue = RunCatalogue(home_root=home)
    silent = [a for a in catalogue.open_alerts() if a.kind == "silent"]
    assert len(silent) == 19
    again = run(home, "run", "--cycle", later, "--no-publish")
    assert again.exit_code == 0
    assert len([a for a in catalogue.open_alerts() if a.kind == "silent"]) == 19  # no duplicates
    newest = catalogue.runs(cycle=later, limit=1)[0]
    assert _manifest(Path(newest.path))["alerts_opened"] == []
    document = json.loads((Path(newest.path) / "forecast.json").read_text())
    assert all(s["status"].get("no_recent_observations") for s in document["stations"])  # flagged, never normal
    assert run(home, "run", "--cycle", CYCLE, "--no-publish").exit_code == 0  # data fresh again
    assert not [a for a in catalogue.open_alerts() if a.kind == "silent"]
    listing = run(home, "alerts", "--all")
    assert listing.exit_code == 0 and "silent" in listing.output


def test_a_failed_run_leaves_the_published_run_alone(home, first_run, monkeypatch):
    layout = HomeLayout(home)
    before = published_run(layout.products)

    def broken(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(cycle_runner, "forecast_vn_aqi", broken)
    with pytest.raises(RuntimeError, match="engine exploded"):
        cycle_runner.run_cycle(layout, registry_for_home(layout.networks), pd.Timestamp("2026-01-19T12:00Z"),
                               load_cycle_settings(home=home))  # fmt: skip
    newest = RunCatalogue(home_root=home).runs(cycle="2026-01-19T12Z", limit=1)[0]
    assert newest.status == "failed" and "engine exploded" in newest.error
    assert published_run(layout.products) == before
    assert not (home / "runs" / "2026-01-19T12Z" / "forecast-v1").exists()


def test_two_runs_at_once_one_exits_with_a_clear_message(home, first_run):
    with cycle_lock(HomeLayout(home).runs, "2026-01-18T00Z"):
        result = run(home, "run", "--cycle", CYCLE)
    assert result.exit_code == 2
    assert "another cycle is running in this home" in result.output and "2026-01-18T00Z" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cycle", "2026-01-20"], "has no time zone"),
        (["--cycle", "yesterday"], "not a cycle id"),
        (["--cycle", CYCLE, "--station", "nowhere"], "unknown station"),
        (["--cycle", CYCLE, "--config", "missing.yaml"], "cycle file not found"),
    ],
)
def test_bad_input_gets_a_clear_error(home, first_run, args, message):
    result = run(home, "run", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_invalid_cycle_yaml_names_the_field(home, tmp_path):
    bad = tmp_path / "cycle.yaml"
    bad.write_text("pollutants: [pm25, nox]\n")
    result = run(home, "run", "--cycle", CYCLE, "--config", str(bad))
    assert result.exit_code == 2 and "nox" in result.output and str(bad) in result.output


def test_sigkill_at_any_stage_never_publishes_a_partial_run(home, first_run):
    """Kill `vnaqi run` at several moments: the published run is always a complete one, the catalogue
    never says published for missing files, and the next run marks the killed one failed."""
    layout = HomeLayout(home)
    env = {**os.environ, "VNAQI_HOME": str(home)}
    command = [sys.executable, "-c", "from forecast.cli import app; app()", "run", "--cycle", CYCLE]
    for delay in (3.0, 5.0, 7.0, 9.0):  # start-up, inputs/models, forecast, writing/publishing
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        latest = published_run(layout.products)
        assert latest is not None and (latest / "manifest.json").is_file() and (latest / "forecast.json").is_file()
        for record in RunCatalogue(home_root=home).runs(limit=1000):
            if record.status in ("published", "complete"):
                assert (Path(record.path) / "manifest.json").is_file()
        leftovers = [p for p in (home / "runs" / CYCLE).iterdir() if p.name.startswith("forecast-v")]
        assert all((p / "manifest.json").is_file() for p in leftovers)  # no half-written version folder
    result = run(home, "run", "--cycle", CYCLE)
    assert result.exit_code == 0, result.output
    statuses = [r.status for r in RunCatalogue(home_root=home).runs(cycle=CYCLE, limit=1000)]
    assert "running" not in statuses


def test_schedule_once_publishes_what_is_due_and_skips_what_is_published(home, first_run):
    result = run(home, "schedule", "--now", "2026-01-20T09:30Z")
    assert result.exit_code == 0, result.output
    assert "cycle 2026-01-20T00Z: done" in result.output  # published by the first run
    assert "cycle 2026-01-19T12Z: run — deadline" in result.output  # no NWP in this home: fallbacks
    published = RunCatalogue(home_root=home).latest("published", cycle="2026-01-19T12Z")
    assert published is not None
    bulletin = home / "bulletins" / "2026-01-19T12Z" / Path(published.path).name / "bulletin-v1" / "bulletin.vi.html"
    assert bulletin.is_file()  # the scheduler renders the bulletin as vnaqi run does
    assert published_run(HomeLayout(home).products).parent.name == CYCLE  # an older cycle never takes "latest"


def test_a_forecaster_approves_and_publishes_an_unpublished_run(home, first_run):
    made = run(home, "run", "--cycle", "2026-01-19T00Z", "--no-publish")
    assert made.exit_code == 0, made.output
    run_id = RunCatalogue(home_root=home).runs(cycle="2026-01-19T00Z", limit=1)[0].run_id
    refused = run(home, "runs", "approve", "nope/forecast-v1", "--by", "an")
    assert refused.exit_code == 2
    assert run(home, "runs", "approve", run_id, "--by", "Nguyễn An", "--note", "checked D1", "--hold").exit_code == 0
    published = run(home, "runs", "publish", run_id, "--by", "Nguyễn An")
    assert published.exit_code == 0, published.output
    record = RunCatalogue(home_root=home).get(run_id)
    assert record.status == "published" and record.approved_by == "Nguyễn An"
    assert published_run(HomeLayout(home).products, "2026-01-19T00Z") == Path(record.path).resolve()
    assert published_run(HomeLayout(home).products).parent.name == CYCLE  # latest stays on the newer cycle
    again = run(home, "runs", "publish", run_id, "--by", "Nguyễn An")
    assert again.exit_code == 2 and "only a complete or approved run" in again.output


def test_every_published_run_is_checked_for_the_emergency_rule(home, first_run, monkeypatch):
    import bulletins.emergency

    seen = []

    class Issued:
        msg_type, identifier, status = "Alert", "vn.vnaqi.test.ha-noi.1", "Test"

    def fake(home_root, run_dir, **kwargs):
        seen.append(Path(run_dir))
        return [Issued()]

    monkeypatch.setattr(bulletins.emergency, "emergency_messages", fake)
    result = run(home, "run", "--cycle", CYCLE)
    assert result.exit_code == 0, result.output
    assert "CAP Alert vn.vnaqi.test.ha-noi.1 (Test)" in result.output
    assert seen == [published_run(HomeLayout(home).products)]


def test_vnaqi_run_renders_the_bulletin_and_re_rendering_is_a_new_version(home, first_run):
    result = run(home, "run", "--cycle", CYCLE)
    assert result.exit_code == 0, result.output
    latest = published_run(HomeLayout(home).products)
    folder = home / "bulletins" / CYCLE / latest.name / "bulletin-v1"
    names = {p.name for p in folder.iterdir()}
    assert {"bulletin.en.html", "bulletin.en.txt", "bulletin.json", "bulletin.vi.html", "bulletin.vi.txt"} <= names
    assert {"card.01.vi.png", "card.01.en.png", "card.02.vi.png", "card.02.en.png"} <= names  # Hà Nội, TP. HCM
    assert (home / "bulletins" / "feed.atom").is_file()
    text = (folder / "bulletin.vi.txt").read_text(encoding="utf-8")
    assert "DỮ LIỆU MÔ PHỎNG" in text and "chưa được dự báo viên duyệt" in text  # synthetic, auto-published
    assert "Hà Nội: chất lượng không khí" in text
    run_id = f"{CYCLE}/{latest.name}"
    assert run(home, "runs", "approve", run_id, "--by", "Trần Bình").exit_code == 2  # published runs are final
    again = run(home, "bulletin", "render", "--run", run_id)
    assert again.exit_code == 0 and "bulletin-v2" in again.output
    assert run(home, "bulletin", "render", "--run", "2026-01-01T00Z/forecast-v9").exit_code == 2
