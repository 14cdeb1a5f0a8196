"""``vnaqi inputs fetch``: the report table and the exit codes cron relies on (0 / 1 / 2 / 3)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from fetch_server import FileServer, publish
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()
PAST = pd.Timestamp("2026-11-22T00:00Z")
FAST = {"backoff_s": 0.01, "max_backoff_s": 0.05}


@pytest.fixture()
def server():
    srv = FileServer().start()
    yield srv
    srv.stop()


def sources_file(tmp_path, base: str, **extra) -> str:
    spec = {
        "sources": [
            dict(
                name="ifs",
                role="nwp",
                kind="ecmwf-opendata",
                base_url=base,
                params=["2t", "t"],
                levels_hpa=[850],
                steps_h=[0, 3],
                available_after_h=8,
                retries=1,
                timeout_s=5,
                options=FAST,
            ),
            dict(
                name="gfs",
                role="nwp",
                kind="gfs",
                base_url=base,
                params=["TMP:2 m above ground"],
                steps_h=[0],
                available_after_h=5,
                retries=1,
                timeout_s=5,
                options=FAST,
            ),
        ]
    }
    spec.update(extra)
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def fetch(home, *args: str):
    return runner.invoke(app, ["inputs", "fetch", "--home", str(home), "--no-progress", *args], env={"COLUMNS": "250"})


def test_all_sources_complete_exit_0_with_a_table(server, home, tmp_path):
    publish(server, "ecmwf", PAST, [0, 3])
    publish(server, "gfs", PAST, [0])
    result = fetch(home, "--cycle", "2026-11-22T00Z", "--sources-file", sources_file(tmp_path, server.base))
    assert result.exit_code == 0, result.output
    assert "Inputs of 2026-11-22T00Z" in result.output
    assert "complete" in result.output and "ifs" in result.output and "gfs" in result.output
    again = fetch(home, "--cycle", "2026-11-22T00Z", "--json", "--sources-file", sources_file(tmp_path, server.base))
    assert again.exit_code == 0
    assert {s["status"] for s in json.loads(again.output)["sources"]} == {"skipped"}


def test_not_yet_published_exit_3_saying_late(server, home, tmp_path):
    future = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=2)).floor("D")
    result = fetch(
        home,
        "--cycle",
        future.strftime("%Y-%m-%dT%HZ"),
        "--source",
        "ifs",
        "--sources-file",
        sources_file(tmp_path, server.base),
    )
    assert result.exit_code == 3, result.output
    assert "late" in result.output and "try again later" in result.output


def test_failure_exit_1_while_the_other_source_completes(server, home, tmp_path):
    publish(server, "ecmwf", PAST, [0, 3])  # gfs never published, and long overdue
    result = fetch(home, "--cycle", "2026-11-22T00Z", "--json", "--sources-file", sources_file(tmp_path, server.base))
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["exit_code"] == 1
    assert [(s["name"], s["status"]) for s in report["sources"]] == [("ifs", "complete"), ("gfs", "failed")]
    assert report["sources"][0]["files"] == 2 and report["sources"][0]["bytes"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--cycle", "tomorrow"], "not a cycle id"),
        (["--cycle", "2026-11-22T00Z", "--source", "nope"], "unknown source(s) nope"),
    ],
)
def test_bad_input_exit_2(server, home, tmp_path, args, message):
    result = fetch(home, *args, "--sources-file", sources_file(tmp_path, server.base))
    assert result.exit_code == 2
    assert message in result.output


def test_bad_sources_file_exit_2(home, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("sources:\n  - name: x\n    role: nwp\n    kind: ftp\n")
    result = fetch(home, "--cycle", "2026-11-22T00Z", "--sources-file", str(path))
    assert result.exit_code == 2 and "invalid sources" in result.output


def test_source_config_its_fetcher_cannot_use_exit_2(home, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"sources": [dict(name="ifs", role="nwp", kind="ecmwf-opendata", params=["2t"])]}))
    result = fetch(home, "--cycle", "2026-11-22T00Z", "--sources-file", str(path))
    assert result.exit_code == 2 and "source 'ifs' (kind ecmwf-opendata): base_url" in result.output
