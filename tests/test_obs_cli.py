"""`vnaqi ingest` and `vnaqi archive status` from the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from configs.settings import HomeLayout
from forecast.cli import app
from met_inputs.observations import ObservationArchive

runner = CliRunner()
HEADER = "station_id,time,pollutant,value"


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture()
def inputs(tmp_path) -> Path:
    folder = tmp_path / "inputs"
    write(
        folder / "hanoi.csv", f"{HEADER}\nHanoi,2024-01-05T01:00Z,pm25,30\nHanoi,2024-01-05T02:00Z,pm25,-1\n"
    )
    write(
        folder / "sub" / "hcmc.parquet.csv",
        "station_id,time,PM2.5,NO2 [ppb]\nHo Chi Minh City,2024-01-05T08:00+07:00,20,10\n",
    )
    write(folder / ".hidden" / "skip.csv", "not read at all")
    write(folder / "notes.txt", "not an observation file, and not picked up from a folder")
    return folder


def test_ingest_a_folder_prints_a_summary(inputs, home):
    result = run("ingest", str(inputs), "--home", str(home))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "hanoi.csv" in out and "hcmc.parquet.csv" in out and "skip.csv" not in out
    assert "generic-long" in out and "generic-wide" in out
    assert "2 file(s) ingested, 0 skipped" in out
    assert "NEGATIVE=1" in out
    archive = ObservationArchive(HomeLayout(home))
    assert len(archive.load(only_valid=False)) == 4

    again = run("ingest", str(inputs), "--home", str(home))
    assert again.exit_code == 0 and "0 file(s) ingested, 2 skipped" in again.output


def test_conflicts_are_reported_and_replace_overwrites(inputs, tmp_path, home):
    run("ingest", str(inputs), "--home", str(home))
    change = write(tmp_path / "fix.csv", f"{HEADER}\nHanoi,2024-01-05T01:00Z,pm25,31\n")
    result = run("ingest", str(change), "--home", str(home))
    assert result.exit_code == 0
    assert "Conflicting rows" in result.output and "--replace" in result.output
    archive = ObservationArchive(HomeLayout(home))
    assert archive.load(pollutants=["pm25"], stations=["us-embassy-hanoi"]).value.tolist() == [30.0]
    result = run("ingest", str(change), "--replace", "--home", str(home))
    assert result.exit_code == 0 and "re-run with --replace" not in result.output
    assert archive.load(pollutants=["pm25"], stations=["us-embassy-hanoi"]).value.tolist() == [31.0]


def test_archive_status_table(inputs, home):
    run("ingest", str(inputs), "--home", str(home))
    result = run("archive", "status", "--home", str(home))
    assert result.exit_code == 0, result.output
    assert "us-embassy-hanoi" in result.output and "us-consulate-hcmc" in result.output
    assert "NEGATIVE=1" in result.output
    only = run("archive", "status", "--home", str(home), "--station", "Hanoi")  # aliases work
    assert (
        only.exit_code == 0 and "us-consulate-hcmc" not in only.output and "us-embassy-hanoi" in only.output
    )
    unknown = run("archive", "status", "--home", str(home), "--station", "Atlantis")
    assert unknown.exit_code == 2 and "unknown station 'Atlantis'" in unknown.output
    met = run("archive", "status", "--met", "--home", str(home))
    assert met.exit_code == 0 and "holds no met" in met.output


def test_status_of_an_empty_archive(home):
    result = run("archive", "status", "--home", str(home))
    assert result.exit_code == 0 and "holds no observations" in result.output


@pytest.mark.slow
@pytest.mark.realdata
def test_ingest_the_whole_real_archive(shared_data, home):
    folders = [
        shared_data / f
        for f in (
            "beijing_multisite",
            "beijing_usembassy_2010_2014",
            "vn_usembassy_pm25",
            "hanoi_weather_noibai",
        )
    ]
    result = run("ingest", *map(str, folders), "--home", str(home))
    assert result.exit_code == 0, result.output
    assert "28 file(s) ingested" in result.output
    archive = ObservationArchive(HomeLayout(home))
    status = archive.status().set_index(["station_id", "pollutant"])
    assert len(status) == 12 * 6 + 3
    assert status.loc[("bj-dongsi", "pm25"), "expected_hours"] == 26_304
    assert status.loc[("us-embassy-beijing", "pm25"), "hours_present"] == 43_824 - 2_067
    hanoi = status.loc[("us-embassy-hanoi", "pm25")]
    assert hanoi["first"] == pd.Timestamp("2015-12-08T22:00Z") and hanoi["last"] == pd.Timestamp(
        "2018-12-31T17:00Z"
    )
    assert hanoi["DUPLICATE_RESOLVED"] == 3
    ds = archive.to_dataset(stations=["us-embassy-hanoi", "us-consulate-hcmc"])
    assert ds.pm25.dims == ("station", "time") and ds.sizes["station"] == 2
    before = sorted(p.stat().st_mtime_ns for p in (home / "archive").rglob("*.parquet"))
    again = run("ingest", *map(str, folders), "--home", str(home))
    assert "0 file(s) ingested, 28 skipped" in again.output
    assert sorted(p.stat().st_mtime_ns for p in (home / "archive").rglob("*.parquet")) == before
