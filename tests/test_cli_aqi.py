"""`vnaqi aqi` reproduces §8 of VN_AQI.md from the command line, and rejects bad input clearly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cli import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_hourly_e2_from_the_command_line(tmp_path):
    out = tmp_path / "e2.csv"
    result = run("aqi", str(DATA / "vn_aqi_e2_hourly.csv"), "-o", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    row = table[table.time == "2026-01-05T12:00:00+07:00"].iloc[0]
    assert row.station_id == "e2-station"
    assert row.aqi == 153 and row.category == 4 and row.category_vi == "Xấu"
    assert row.dominant_pollutant == "pm25"
    assert row.aqi_pm25 == pytest.approx(153.41, abs=0.01)
    assert row.aqi_pm10 == pytest.approx(93.12, abs=0.01)
    assert row.aqi_no2 == pytest.approx(105.0, abs=0.01)
    assert row.aqi_o3 == pytest.approx(75.0, abs=0.01)
    assert row.aqi_co == pytest.approx(55.0, abs=0.01)  # 12 mg/m³ converted to 12000 µg/m³
    assert row.aqi_so2 == pytest.approx(16.0, abs=0.01)


def test_daily_e3_from_the_command_line(tmp_path):
    out = tmp_path / "e3.parquet"
    result = run("aqi", str(DATA / "vn_aqi_e3_daily.csv"), "-o", str(out), "--daily")
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert "time" not in table.columns and "date" in table.columns
    row = table[table.date == "2026-01-05"].iloc[0]
    assert row.aqi == 116 and row.category == 3 and row.category_vi == "Kém"
    assert row.dominant_pollutant == "pm25"
    assert row.aqi_pm25 == pytest.approx(116.04, abs=0.01)
    assert row.aqi_pm10 == pytest.approx(77.40, abs=0.01)
    assert row.aqi_no2 == pytest.approx(101.0, abs=0.05)
    assert row.aqi_o3 == pytest.approx(110.0, abs=0.01)
    assert row.aqi_co == pytest.approx(16.5, abs=0.01)
    assert row.aqi_so2 == pytest.approx(4.0, abs=0.01)
    # the previous day holds only 7 O3 hours and no PM: no VN_AQI, written as empty
    previous = table[table.date == "2026-01-04"]
    assert previous.empty or previous.aqi.isna().all()


def test_naive_times_need_tz_and_tz_names_the_zone(tmp_path):
    src = tmp_path / "naive.csv"
    src.write_text(
        "station_id,time,pm25\ns,2026-01-05 01:00,30\ns,2026-01-05 02:00,32\ns,2026-01-05 03:00,35\n"
    )
    result = run("aqi", str(src), "-o", str(tmp_path / "a.csv"))
    assert result.exit_code != 0
    assert "naive.csv" in result.output and "offset" in result.output.lower()
    ok = run("aqi", str(src), "-o", str(tmp_path / "b.csv"), "--tz", "Asia/Bangkok")
    assert ok.exit_code == 0, ok.output
    table = pd.read_csv(tmp_path / "b.csv")
    assert table.time.iloc[-1] == "2026-01-05T03:00:00+07:00"
    # NowCast of 30, 32, 35 (w* = 30/35): 33.5 -> sub-index 67.4 -> 67 (checked by hand below)
    w = 30 / 35
    nowcast = (35 + 32 * w + 30 * w**2) / (1 + w + w**2)
    assert table.aqi.iloc[-1] == int(50 + (nowcast - 25) * 50 / 25 + 0.5)


def test_existing_output_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "e2.csv"
    out.write_text("precious")
    result = run("aqi", str(DATA / "vn_aqi_e2_hourly.csv"), "-o", str(out))
    assert result.exit_code != 0 and "--force" in result.output
    assert out.read_text() == "precious"
    assert run("aqi", str(DATA / "vn_aqi_e2_hourly.csv"), "-o", str(out), "--force").exit_code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tz", "Mars/Base"], "unknown time zone 'Mars/Base'"),
        (["-o", "x.txt"], "must end in .csv or .parquet"),
    ],
)
def test_bad_options_are_named(tmp_path, args, message):
    argv = ["aqi", str(DATA / "vn_aqi_e2_hourly.csv")]
    if "-o" not in args:
        argv += ["-o", str(tmp_path / "o.csv")]
    result = run(*argv, *args)
    assert result.exit_code != 0
    assert message in result.output
