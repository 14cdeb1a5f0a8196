"""Bad input: one clear error naming file, line/column and reason; non-zero exit; archive untouched."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from configs.errors import InputFileError
from configs.networks import StationRegistry
from configs.settings import HomeLayout
from forecast.cli import app
from met_inputs.observations import ObservationArchive, read_observation_file

runner = CliRunner()
HEADER = "station_id,time,pollutant,value"
STATEAIR = "Site,Parameter,Date (LT),Year,Month,Day,Hour,Value,Unit,Duration,QC Name"

# name: (file content, expected location (or None), expected reason)
CASES: dict[str, tuple[str | bytes, str | None, str]] = {
    "unknown pollutant": (
        f"{HEADER}\nHanoi,2024-01-05T01:00Z,pm25,3\nHanoi,2024-01-05T01:00Z,pm3,4\n",
        "line 3, column 'pollutant'",
        "unknown pollutant 'pm3'",
    ),
    "unknown wide column": (
        "station_id,time,pm25,benzene\nHanoi,2024-01-05T01:00Z,3,4\n",
        "line 1, column 'benzene'",
        "unknown pollutant column 'benzene'",
    ),
    "missing columns": (
        "station_id,time,pollutant\nHanoi,2024-01-05T01:00Z,pm25\n",
        "line 1",
        "missing column(s): value",
    ),
    "missing source columns": (
        "name,datetime,temp,feelslike,dew,humidity\nHanoi,2024-01-05 01:00:00,20,20,15,70\n",
        "line 1",
        "missing column(s): cloudcover, precip",
    ),
    "unparseable timestamp": (
        f"{HEADER}\nHanoi,2024-01-05T01:00Z,pm25,3\nHanoi,2024-13-45T10:00+07:00,pm25,4\n",
        "line 3, column 'time'",
        "cannot parse time '2024-13-45T10:00+07:00'",
    ),
    "naive timestamp without tz": (
        f"{HEADER}\nHanoi,2024-01-05 10:00,pm25,3\n",
        "line 2, column 'time'",
        "has no UTC offset",
    ),
    "time off the hour": (
        f"{HEADER}\nHanoi,2024-01-05T10:30+07:00,pm25,3\n",
        "line 2, column 'time'",
        "not on the full hour",
    ),
    "mixed units for one pollutant": (
        "station_id,time,pollutant,value,unit\nHanoi,2024-01-05T01:00Z,no2,3,ppb\nHanoi,2024-01-05T02:00Z,no2,4,ug/m3\n",
        "line 3, column 'unit'",
        "mixed units for no2",
    ),
    "ppb for PM": (
        "station_id,time,pollutant,value,unit\nHanoi,2024-01-05T01:00Z,pm25,3,ppb\n",
        "line 2, column 'unit'",
        "does not apply to particulate pm25",
    ),
    "non-numeric value": (
        f"{HEADER}\nHanoi,2024-01-05T01:00Z,pm25,3\nHanoi,2024-01-05T02:00Z,pm25,abc\n",
        "line 3, column 'value'",
        "value 'abc' is not a number",
    ),
    "non-numeric StateAir value": (
        f"{STATEAIR}\nHanoi,PM2.5 - Principal,2015-12-09 05:00 AM,2015,12,09,05,1O.5,UG/M3,1 Hr,Valid\n",
        "line 2, column 'Value'",
        "value '1O.5' is not a number",
    ),
    "empty file": ("", None, "file is empty"),
    "header only": (f"{HEADER}\n", None, "no data rows"),
    "PNG image": (
        b"\x89PNG\r\n\x1a\n" + os.urandom(64),
        None,
        "not a CSV or Parquet file: the content is a PNG image",
    ),
    "random binary": (b"\x00\x01\x02garbage" + bytes(range(256)), None, "not a CSV or Parquet file"),
    "random text": (
        "Dear forecaster,\nthe air is fine today.\n",
        "line 1",
        "unrecognised format; expected one of",
    ),
    "unknown station": (
        f"{HEADER}\nHanoi,2024-01-05T01:00Z,pm25,3\nAtlantis,2024-01-05T01:00Z,pm25,4\n",
        "line 3, column 'station_id'",
        "unknown station 'Atlantis'",
    ),
    "unknown StateAir site": (
        f"{STATEAIR}\nVientiane,PM2.5 - Principal,2015-12-09 05:00 AM,2015,12,09,05,12.5,UG/M3,1 Hr,Valid\n",
        "line 2, column 'Site'",
        "unknown station 'Vientiane'",
    ),
}


@pytest.fixture(scope="module")
def registry() -> StationRegistry:
    return StationRegistry.from_dir()


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def make_bad(tmp_path: Path, case: str) -> Path:
    content = CASES[case][0]
    path = tmp_path / "bad" / "input.csv"
    path.parent.mkdir()
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return path


@pytest.fixture()
def populated(tmp_path, home, registry) -> tuple[ObservationArchive, Path]:
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\nHanoi,2024-01-05T01:00Z,pm25,3\nHanoi,2024-01-05T02:00Z,pm25,4\n")
    archive = ObservationArchive(HomeLayout(home), registry)
    archive.ingest([good])
    new_good = tmp_path / "new-good.csv"
    new_good.write_text(f"{HEADER}\nHanoi,2024-01-05T03:00Z,pm25,5\n")
    return archive, new_good


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_error_names_file_place_and_reason(tmp_path, registry, case):
    path = make_bad(tmp_path, case)
    _, where, reason = CASES[case]
    with pytest.raises(InputFileError) as info:
        read_observation_file(path, registry)
    message = str(info.value)
    assert message.startswith(str(path))
    assert reason in message
    if where is not None:
        assert where in message


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_leaves_the_archive_byte_identical(tmp_path, home, populated, case):
    archive, new_good = populated
    bad = make_bad(tmp_path, case)
    before = tree_hashes(home / "archive")
    with pytest.raises(InputFileError, match=re.escape(CASES[case][2])):
        archive.ingest([new_good, bad])  # the good file is not stored either: all or nothing
    assert tree_hashes(home / "archive") == before


@pytest.mark.parametrize("case", list(CASES))
def test_cli_exits_non_zero_with_one_clear_message(tmp_path, home, populated, case):
    _, new_good = populated
    bad = make_bad(tmp_path, case)
    before = tree_hashes(home / "archive")
    result = runner.invoke(app, ["ingest", str(new_good), str(bad.parent), "--home", str(home)])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert str(bad) in errors[0] and CASES[case][2] in errors[0]
    if CASES[case][1] is not None:
        assert CASES[case][1] in errors[0]
    assert "Traceback" not in result.output
    assert tree_hashes(home / "archive") == before


def test_naive_times_are_fine_with_tz_on_the_command_line(tmp_path, home, populated):
    bad = make_bad(tmp_path, "naive timestamp without tz")
    result = runner.invoke(app, ["ingest", str(bad), "--tz", "Asia/Ho_Chi_Minh", "--home", str(home)])
    assert result.exit_code == 0, result.output


def test_unknown_zone_and_missing_path_are_clear(tmp_path, home):
    result = runner.invoke(app, ["ingest", str(tmp_path), "--tz", "Mars/Olympus", "--home", str(home)])
    assert result.exit_code == 2 and "unknown time zone 'Mars/Olympus'" in result.output
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope.csv"), "--home", str(home)])
    assert result.exit_code == 2 and "nope.csv: no such file or folder" in result.output
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["ingest", str(tmp_path / "empty"), "--home", str(home)])
    assert result.exit_code == 2 and "no .csv or .parquet files in this folder" in result.output


def test_unknown_station_message_says_how_to_fix_it(tmp_path, registry):
    path = make_bad(tmp_path, "unknown station")
    with pytest.raises(InputFileError, match=r"network YAML"):
        read_observation_file(path, registry)
