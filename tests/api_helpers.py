"""Homes for the API tests: the SYNTHETIC demo home (built once per test session and shared by the API test
modules) with a draft bulletin, a drill and a verified bulletin added, and a tiny home with no products."""

from __future__ import annotations

import fcntl
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecast.cli import app

CYCLE = "2026-11-25T00Z"
EARLIER = "2026-11-24T12Z"
RUN_ID = f"{CYCLE}/forecast-v1"
EARLIER_RUN_ID = f"{EARLIER}/forecast-v1"
VERIFIED_DATE = "2026-11-23"

cli = CliRunner()


@dataclass(frozen=True)
class DemoHome:
    """The demo home and what the helper added to it."""

    root: Path
    draft_version: int  # a draft bulletin version of RUN_ID (never public)
    drill_identifier: str  # a CAP drill (status Exercise)
    verified_version: int  # a released bulletin version of EARLIER_RUN_ID carrying verification


def _run(*args: str) -> str:
    result = cli.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def _add_draft(home: Path) -> int:
    """A draft bulletin (as `review.required` sites get) for the latest run."""
    from bulletins.files import Review, write_bulletin

    folder = write_bulletin(home, home / "runs" / CYCLE / "forecast-v1", Review(released=False))
    assert json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))["released"] is False
    return int(folder.name.removeprefix("bulletin-v"))


def _add_verified(home: Path) -> int:
    """A released version of the earlier bulletin that scored a day (what `vnaqi bulletin edit` + a later
    cycle produce on a service with history; the demo's first cycles have no yesterday to verify)."""
    run_dir = home / "bulletins" / EARLIER / "forecast-v1"
    source = run_dir / "bulletin-v1"
    target = run_dir / "bulletin-v2"
    shutil.copytree(source, target)
    data = json.loads((target / "bulletin.json").read_text(encoding="utf-8"))
    data["version"] = 2
    data["verification_date"] = VERIFIED_DATE
    data["verification_run"] = "2026-11-22T12Z/forecast-v1"
    region = data["regions"][0]
    region["verification"] = {"stations": 1, "exact_category": 1, "within_one_category": 1,
                              "mean_absolute_error": 7.0, "bias": -7.0}  # fmt: skip
    region["stations"][0]["verified"] = {"forecast_aqi": 95, "observed_aqi": 102, "forecast_category": 2,
                                         "observed_category": 3}  # fmt: skip
    (target / "bulletin.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return 2


def _drill(home: Path) -> str:
    _run("alert", "drill", "--province", "Hà Nội", "--home", str(home))
    ledger = json.loads((home / "alerts" / "cap" / "ledger.json").read_text(encoding="utf-8"))
    return ledger["messages"][-1]["identifier"]


def demo_home(tmp_path_factory: pytest.TempPathFactory) -> DemoHome:
    """The shared demo home: `vnaqi demo` once per session (about 45 s), then the additions above."""
    base = tmp_path_factory.getbasetemp()
    root = base / "api-demo-home"
    with open(base / ".api-demo-home.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = root / "api-test-state.json"
        if not state.is_file():
            shutil.rmtree(root, ignore_errors=True)
            _run("demo", "--home", str(root), "--cycle", CYCLE, "--no-serve")
            added = {"draft_version": _add_draft(root), "drill_identifier": _drill(root),
                     "verified_version": _add_verified(root)}  # fmt: skip
            state.write_text(json.dumps(added), encoding="utf-8")
        added = json.loads(state.read_text(encoding="utf-8"))
    return DemoHome(root, **added)


def empty_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with nothing in it yet (no products, no catalogue)."""
    return tmp_path_factory.mktemp("api-empty-home")
