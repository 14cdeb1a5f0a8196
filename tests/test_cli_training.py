"""``vnaqi train / hindcast / evaluate / promote`` end to end on a SYNTHETIC archive, and their bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.cycle_helpers import demo_archive_home
from tests.cycle_helpers import run as run_cli

END = pd.Timestamp("2026-03-31T00:00Z")
TRAIN_TO, VALID_TO = "2026-02-10", "2026-03-05"


def run(home: Path, *args: str):
    return run_cli(home, *args, columns=200)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return demo_archive_home(tmp_path_factory.mktemp("training-home"), END)


@pytest.fixture(scope="module")
def trained(home):
    result = run(
        home, "train", "--model", "lightgbm", "--pollutant", "pm25", "--train-to", TRAIN_TO, "--valid-to", VALID_TO,
        "--quick", "--lead-stride", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def test_train_prints_the_skill_table_and_registers_a_version(trained):
    assert "met mode none" in trained  # the synthetic stations have no weather station
    assert "1-24 h" in trained and "49-72 h" in trained and "persistence" in trained
    assert re.search(r"registered vnaqi-pm25 version 1 \(MLflow run [0-9a-f]{32}\)", trained)


def test_hindcast_without_a_champion_says_how_to_promote(home, trained, tmp_path):
    result = run(home, "hindcast", "--model", "champion", "--from", "2026-03-10", "--to", "2026-03-12",
                 "--out", str(tmp_path / "h.parquet"))  # fmt: skip
    assert result.exit_code == 2
    assert "champion" in result.output and "vnaqi promote" in result.output
    assert not (tmp_path / "h.parquet").exists()


@pytest.fixture(scope="module")
def promoted(home, trained):
    result = run(home, "promote", "--model", "vnaqi-pm25", "--version", "1")
    assert result.exit_code == 0, result.output
    assert "champion is now version 1" in result.output
    return result


@pytest.fixture(scope="module")
def hindcast_file(home, promoted, tmp_path_factory):
    out = tmp_path_factory.mktemp("hindcast") / "pm25.parquet"
    result = run(home, "hindcast", "--model", "champion", "--pollutant", "pm25", "--from", "2026-03-10",
                 "--to", "2026-03-20", "--issue-hours", "0", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, result.output


def test_hindcast_writes_the_documented_rows(hindcast_file):
    out, output = hindcast_file
    table = pd.read_parquet(out)
    assert list(table.columns[:10]) == [
        "issue_time", "station_id", "pollutant", "lead_h", "valid_time", "forecast", "q10", "q50", "q90", "observed"
    ]  # fmt: skip
    assert sorted(table["lead_h"].unique()) == list(range(1, 73))
    assert set(table["issue_time"].dt.hour) == {0} and table["issue_time"].dt.normalize().nunique() == 11
    assert str(table["issue_time"].dt.tz) == "UTC" and (table["pollutant"] == "pm25").all()
    assert (table["q10"] <= table["q50"]).all() and (table["q50"] <= table["q90"]).all()
    assert table["observed"].notna().mean() > 0.9
    assert "Wrote" in output and "1-24 h" in output
    assert "in-sample" not in output  # after the validation block: a fair test


def test_a_hindcast_inside_the_training_period_is_flagged_in_sample(home, promoted, tmp_path):
    result = run(home, "hindcast", "--model", "champion", "--from", "2026-02-01", "--to", "2026-02-03",
                 "--issue-hours", "0", "--out", str(tmp_path / "in-sample.parquet"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "in-sample, not skill" in " ".join(result.output.split())
    assert "2026-02-01 … 2026-02-03" in " ".join(result.output.split())


def test_hindcast_refuses_to_overwrite_and_keeps_the_file(home, hindcast_file):
    out, _ = hindcast_file
    before = out.read_bytes()
    result = run(home, "hindcast", "--model", "champion", "--from", "2026-03-10", "--to", "2026-03-11",
                 "--out", str(out))  # fmt: skip
    assert result.exit_code == 2 and "exists" in result.output
    assert out.read_bytes() == before


def test_evaluate_a_hindcast_file_and_a_training_run(home, hindcast_file, trained, tmp_path):
    out, _ = hindcast_file
    result = run(home, "evaluate", "--hindcast", str(out), "--out", str(tmp_path / "eval"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "eval" / "summary.csv").exists() and (tmp_path / "eval" / "reliability.png").stat().st_size
    run_id = re.search(r"MLflow run ([0-9a-f]{32})", trained).group(1)
    result = run(home, "evaluate", "--run", run_id)
    assert result.exit_code == 0, result.output
    assert "1-24 h" in result.output


def test_promote_compares_on_the_same_period_and_force_needs_a_reason(home, promoted):
    result = run(home, "train", "--pollutant", "pm25", "--train-to", TRAIN_TO, "--valid-to", VALID_TO, "--quick",
                 "--lead-stride", "3", "--met", "none")  # fmt: skip
    assert result.exit_code == 0 and "version 2" in result.output
    result = run(home, "promote", "--model", "vnaqi-pm25", "--version", "2", "--force")
    assert result.exit_code == 2 and "--reason" in result.output
    result = run(home, "promote", "--model", "vnaqi-pm25", "--version", "2")
    # identical data and settings give an identical model: not better, so refused
    assert result.exit_code == 1 and "not better" in result.output.lower() or "refus" in result.output.lower()
    result = run(home, "promote", "--model", "vnaqi-pm25", "--version", "2", "--force", "--reason", "drill")
    assert result.exit_code == 0, result.output
    assert "champion is now version 2 (forced)" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--train-to", "2030-01-31", "--valid-to", "2030-03-31"), "outside the archive"),
        (("--train-to", "2026-03-20", "--valid-to", "2026-03-25"), "too short to validate"),
        (("--train-to", "2026-03-05", "--valid-to", "2026-02-01"), "must come after"),
        (("--train-to", "2026-02-10", "--valid-to", "2026-03-05", "--pollutant", "xx"), "no observations of xx"),
        (("--train-to", "yesterday-ish", "--valid-to", "2026-03-05"), "not a date"),
    ],
)
def test_train_bad_periods_get_clear_errors(home, args, message):
    result = run(home, "train", "--quick", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_hindcast_outside_the_archive_is_refused(home, promoted, tmp_path):
    result = run(home, "hindcast", "--from", "2030-01-01", "--to", "2030-01-05", "--out", str(tmp_path / "x.parquet"))
    assert result.exit_code == 2 and "outside the archive" in result.output


def test_unreachable_tracking_uri_fails_fast_and_clearly(home):
    result = run(home, "train", "--quick", "--train-to", TRAIN_TO, "--valid-to", VALID_TO,
                 "--tracking-uri", "http://127.0.0.1:9")  # fmt: skip
    assert result.exit_code == 2 and "127.0.0.1:9" in result.output

