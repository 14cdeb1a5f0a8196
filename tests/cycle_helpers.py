"""Homes with a SYNTHETIC archive (and a promoted quick pm25 champion) for the CLI and cycle tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from forecast.cli import app
from forecast.cli.demo import write_demo_inputs

cli = CliRunner()


def run(home: Path, *args: str, columns: int = 200):
    """``vnaqi ARGS --home HOME`` through the CLI, wide enough for its tables."""
    return cli.invoke(app, [*args, "--home", str(home)], env={"COLUMNS": str(columns)})


def demo_archive_home(home: Path, end: pd.Timestamp, days: int = 100, seed: int = 7) -> Path:
    """``home`` with the demo network and ``days`` of its SYNTHETIC observations up to ``end`` ingested."""
    csv = write_demo_inputs(home, home / "networks" / "demo.yaml", end, days=days, seed=seed)
    result = run(home, "ingest", str(csv))
    assert result.exit_code == 0, result.output
    return home


def trained_home(
    home: Path, end: pd.Timestamp, *, days: int, seed: int, train_to: str, valid_to: str, lead_stride: int
) -> Path:
    """Ingest ``days`` of SYNTHETIC observations ending at ``end``, train and promote a quick pm25 corrector."""
    csv = write_demo_inputs(home, home / "networks" / "demo.yaml", end, days=days, seed=seed)
    assert run(home, "ingest", str(csv)).exit_code == 0
    trained = run(home, "train", "--model", "lightgbm", "--pollutant", "pm25", "--train-to", train_to,
                  "--valid-to", valid_to, "--quick", "--lead-stride", str(lead_stride))  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert run(home, "promote", "--model", "vnaqi-pm25", "--version", "1").exit_code == 0
    return home
