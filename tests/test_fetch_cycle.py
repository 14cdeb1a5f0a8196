"""``fetch_cycle`` end to end against a loopback server in the ECMWF and GFS layouts, and local files."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from fetch_server import FileServer, ecmwf_paths, gfs_paths, grib_contents, publish

from configs.settings import HomeLayout
from configs.sources import SourcesConfig
from met_inputs.fetch import cycle_folder, fetch_cycle
from met_inputs.fetch.manifest import sha256_file

CYCLE = pd.Timestamp("2026-11-22T00:00Z")
BEFORE = CYCLE + pd.Timedelta(hours=2)  # before both sources are due
AFTER = CYCLE + pd.Timedelta(hours=12)  # after both are due
FAST = {"backoff_s": 0.01, "max_backoff_s": 0.05}


@pytest.fixture()
def server():
    srv = FileServer().start()
    yield srv
    srv.stop()


def ifs(base: str, **kw) -> dict:
    spec = dict(
        name="ifs",
        role="nwp",
        kind="ecmwf-opendata",
        base_url=base,
        params=["2t", "10u", "msl", "t"],
        levels_hpa=[1000, 850],
        steps_h=[0, 3],
        available_after_h=8,
        retries=2,
        timeout_s=5,
        options=FAST,
    )
    return spec | kw


def gfs(base: str, **kw) -> dict:
    spec = dict(
        name="gfs",
        role="nwp",
        kind="gfs",
        base_url=base,
        levels_hpa=[850, 1000],
        steps_h=[0, 3],
        params=["TMP:2 m above ground", "UGRD:10 m above ground", "TMP", "RH:850 mb"],
        available_after_h=5,
        retries=2,
        timeout_s=5,
        options=FAST,
    )
    return spec | kw


def config(*specs: dict) -> SourcesConfig:
    return SourcesConfig.model_validate({"sources": list(specs)})


@pytest.fixture()
def layout(home) -> HomeLayout:
    return HomeLayout(home)


def folder_of(layout: HomeLayout, name: str):
    return cycle_folder(layout, config(), CYCLE) / name


def test_ifs_step_files_hold_exactly_the_selected_messages(server, layout):
    publish(server, "ecmwf", CYCLE, [0, 3])
    report = fetch_cycle(layout, config(ifs(server.base)), CYCLE, now=AFTER)
    result = report["ifs"]
    assert (result.status, result.files, result.fetched, report.exit_code) == ("complete", 2, 2, 0)
    folder = layout.root / "inputs" / "2026-11-22T00Z" / "ifs"
    assert result.folder == folder
    for step in (0, 3):
        path = folder / f"ifs_2026112200_f{step:03d}.grib2"
        contents = grib_contents(path)
        assert [name for name, _ in contents] == ["2t", "10u", "msl", "t", "t"]
        assert [level for name, level in contents if name == "t"] == [1000, 850]
    # adjacent messages share a request: 2t+10u, msl+t1000, t850
    assert [s.range is not None for s in server.requests_for(ecmwf_paths(CYCLE, 0)[0])] == [True] * 3
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["cycle"] == "2026-11-22T00Z"
    record = manifest["files"][0]
    assert record["sha256"] == sha256_file(folder / record["file"]) and record["size"] == result.bytes // 2
    assert record["url"].endswith("/20261122/00z/ifs/0p25/oper/20261122000000-0h-oper-fc.grib2")
    assert record["messages"] == ["2t sfc", "10u sfc", "msl sfc", "t 1000 hPa", "t 850 hPa"]
    assert not [p for p in folder.iterdir() if p.name.endswith((".part", ".part.json"))]


def test_gfs_step_files_hold_exactly_the_selected_messages_including_the_last(server, layout):
    publish(server, "gfs", CYCLE, [0, 3])
    report = fetch_cycle(layout, config(gfs(server.base)), CYCLE, now=AFTER)
    assert report["gfs"].status == "complete"
    path = folder_of(layout, "gfs") / "gfs_2026112200_f003.grib2"
    assert grib_contents(path) == [("2t", 2), ("10u", 10), ("t", 850), ("t", 1000), ("r", 850)]
    ranges = [s.range for s in server.requests_for(gfs_paths(CYCLE, 3)[0])]
    assert ranges[-1].endswith("-")  # TMP:1000 mb + RH:850 mb (last message) in one open-ended range


def test_second_run_is_idempotent_and_touches_no_server(server, layout):
    publish(server, "ecmwf", CYCLE, [0, 3])
    cfg = config(ifs(server.base))
    fetch_cycle(layout, cfg, CYCLE, now=AFTER)
    before = len(server.seen)
    again = fetch_cycle(layout, cfg, CYCLE, now=AFTER)["ifs"]
    assert (again.status, again.reason, again.files, again.fetched, again.bytes) == (
        "skipped",
        "already complete",
        2,
        0,
        0,
    )
    assert len(server.seen) == before


def test_file_damaged_on_disk_is_fetched_again_and_only_it(server, layout):
    publish(server, "ecmwf", CYCLE, [0, 3])
    cfg = config(ifs(server.base))
    fetch_cycle(layout, cfg, CYCLE, now=AFTER)
    damaged = folder_of(layout, "ifs") / "ifs_2026112200_f003.grib2"
    good = damaged.read_bytes()
    damaged.write_bytes(good[:-10] + b"7777777777")  # same size, other bytes: only the checksum can tell
    result = fetch_cycle(layout, cfg, CYCLE, now=AFTER)["ifs"]
    assert (result.status, result.fetched, result.files) == ("complete", 1, 2)
    assert damaged.read_bytes() == good


def test_source_not_published_before_its_time_is_late_with_a_clear_message(server, layout):
    report = fetch_cycle(layout, config(ifs(server.base)), CYCLE, now=BEFORE)
    result = report["ifs"]
    assert result.status == "late" and report.exit_code == 3
    assert "source 'ifs' is late for cycle 2026-11-22 00:00Z" in result.reason
    assert "not published yet: http://127.0.0.1:" in result.reason
    assert result.reason.split("; ")[0].endswith("/20261122/00z/ifs/0p25/oper/20261122000000-0h-oper-fc.index")
    assert "expected by 2026-11-22 08:00Z (in 6.0 h)" in result.reason
    assert "missing since 2026-11-22 02:00Z" in result.reason
    later = fetch_cycle(layout, config(ifs(server.base)), CYCLE, now=BEFORE + pd.Timedelta(hours=1))["ifs"]
    assert "missing since 2026-11-22 02:00Z" in later.reason  # remembered from the first attempt


def test_partly_published_source_is_late_then_completes_keeping_what_it_has(server, layout):
    publish(server, "ecmwf", CYCLE, [0])
    cfg = config(ifs(server.base))
    first = fetch_cycle(layout, cfg, CYCLE, now=BEFORE)["ifs"]
    assert (first.status, first.files, first.fetched) == ("late", 1, 1)
    assert "3h-oper-fc.index" in first.reason
    publish(server, "ecmwf", CYCLE, [3])
    second = fetch_cycle(layout, cfg, CYCLE, now=BEFORE)["ifs"]
    assert (second.status, second.files, second.fetched) == ("complete", 2, 1)


def test_source_still_missing_after_its_time_has_failed(server, layout):
    report = fetch_cycle(layout, config(gfs(server.base)), CYCLE, now=AFTER)
    assert report["gfs"].status == "failed" and report.exit_code == 1
    assert (
        "gfs.t00z.pgrb2.0p25.f000.idx: not found, although the source should be complete since "
        "2026-11-22 05:00Z" in report["gfs"].reason
    )


def test_one_failing_source_does_not_stop_the_others(server, layout):
    publish(server, "ecmwf", CYCLE, [0, 3])
    _, idx = gfs_paths(CYCLE, 0)
    server.add(idx, b"x", statuses=[500] * 20)
    report = fetch_cycle(layout, config(gfs(server.base), ifs(server.base)), CYCLE, now=AFTER)
    assert [(r.name, r.status) for r in report.results] == [("gfs", "failed"), ("ifs", "complete")]
    assert "HTTP 500; gave up after 3 attempts" in report["gfs"].reason
    assert report.exit_code == 1


def test_503_on_an_index_is_retried_within_the_fetch(server, layout):
    publish(server, "gfs", CYCLE, [0, 3])
    server.routes[gfs_paths(CYCLE, 0)[1]].statuses = [503, 503]
    assert fetch_cycle(layout, config(gfs(server.base)), CYCLE, now=AFTER)["gfs"].status == "complete"


def test_changed_configuration_fetches_again(server, layout):
    publish(server, "ecmwf", CYCLE, [0, 3])
    fetch_cycle(layout, config(ifs(server.base)), CYCLE, now=AFTER)
    result = fetch_cycle(layout, config(ifs(server.base, params=["2t"])), CYCLE, now=AFTER)["ifs"]
    assert (result.status, result.fetched) == ("complete", 2)
    assert grib_contents(folder_of(layout, "ifs") / "ifs_2026112200_f000.grib2") == [("2t", 2)]


def test_only_selects_sources_and_unknown_names_are_refused(server, layout):
    publish(server, "ecmwf", CYCLE, [0, 3])
    cfg = config(ifs(server.base), gfs(server.base, enabled=False))
    assert [r.name for r in fetch_cycle(layout, cfg, CYCLE, now=AFTER).results] == ["ifs"]
    with pytest.raises(ValueError, match="unknown source\\(s\\) cams; sources.yaml has ifs, gfs"):
        fetch_cycle(layout, cfg, CYCLE, only=["cams"], now=AFTER)


def test_progress_is_reported_per_source(server, layout):
    publish(server, "ecmwf", CYCLE, [0, 3])
    calls = []
    fetch_cycle(layout, config(ifs(server.base)), CYCLE, now=AFTER, progress=lambda *a: calls.append(a))
    assert calls[0] == ("ifs", 0, 2) and calls[-1] == ("ifs", 2, 2)


# -- kind "local" ------------------------------------------------------------------------------------------------
def local_spec(drop, **kw) -> dict:
    spec = dict(
        name="wrf", role="nwp", kind="local", path_pattern=str(drop / "%Y%m%d%H" / "*.grib2"), available_after_h=4
    )
    return spec | kw


def test_local_files_are_linked_into_the_inputs_and_recorded(tmp_path, layout):
    drop = tmp_path / "drop" / "2026112200"
    drop.mkdir(parents=True)
    for step in (0, 1):
        (drop / f"wrf_f{step:02d}.grib2").write_bytes(b"GRIB" + bytes([step]) * 100 + b"7777")
    (drop / "notes.txt").write_text("not matched")
    cfg = config(local_spec(tmp_path / "drop"))
    result = fetch_cycle(layout, cfg, CYCLE, now=AFTER)["wrf"]
    assert (result.status, result.files) == ("complete", 2)
    placed = folder_of(layout, "wrf") / "wrf_f01.grib2"
    assert placed.read_bytes() == (drop / "wrf_f01.grib2").read_bytes()
    assert os.path.samefile(placed, drop / "wrf_f01.grib2")  # hard link: same file system
    manifest = json.loads((folder_of(layout, "wrf") / "manifest.json").read_text())
    assert manifest["files"][1]["source_path"] == str(drop / "wrf_f01.grib2")
    assert fetch_cycle(layout, cfg, CYCLE, now=AFTER)["wrf"].status == "skipped"


def test_local_copy_mode_and_changed_originals(tmp_path, layout):
    drop = tmp_path / "drop" / "2026112200"
    drop.mkdir(parents=True)
    original = drop / "a.grib2"
    original.write_bytes(b"one")
    cfg = config(local_spec(tmp_path / "drop", options={"mode": "copy"}))
    fetch_cycle(layout, cfg, CYCLE, now=AFTER)
    placed = folder_of(layout, "wrf") / "a.grib2"
    assert not os.path.samefile(placed, original)
    original.write_bytes(b"two, longer")  # re-delivered upstream
    result = fetch_cycle(layout, cfg, CYCLE, now=AFTER)["wrf"]
    assert (result.status, result.fetched) == ("complete", 1) and placed.read_bytes() == b"two, longer"


def test_local_source_without_files_is_late_then_failed(tmp_path, layout):
    cfg = config(local_spec(tmp_path / "drop"))
    late = fetch_cycle(layout, cfg, CYCLE, now=BEFORE)["wrf"]
    assert late.status == "late" and "not published yet: files matching " in late.reason
    assert "2026112200/*.grib2 (found 0, need 1)" in late.reason
    assert fetch_cycle(layout, cfg, CYCLE, now=AFTER)["wrf"].status == "failed"
