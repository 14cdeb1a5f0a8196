"""The scheduler's rule (first try, retries while NWP is late, deadline) and ``vnaqi schedule --once``."""

from __future__ import annotations

import pandas as pd
import pytest

from configs.cycle import ScheduleSettings
from configs.settings import HomeLayout
from configs.sources import SourcesConfig
from forecast.catalogue import RunCatalogue
from forecast.cycle.schedule import cycles_in_window, decide, next_wakeup, serve, tick

SETTINGS = ScheduleSettings(first_try_after_minutes=300, retry_every_minutes=20, deadline_minutes=540)
SOURCES = SourcesConfig.model_validate({"sources": [{"name": "ifs", "role": "nwp", "kind": "ecmwf-opendata"}]})


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_cycles_become_due_after_their_first_try():
    assert [d.id for d in cycles_in_window(t("2026-11-22 04:59"), SETTINGS)] == ["2026-11-21T12Z"]
    due = cycles_in_window(t("2026-11-22 05:00"), SETTINGS)
    assert [d.id for d in due] == ["2026-11-21T12Z", "2026-11-22T00Z"]
    assert due[-1].deadline == t("2026-11-22 09:00")


def test_the_rule_waits_for_late_inputs_until_the_deadline():
    due = cycles_in_window(t("2026-11-22 06:00"), SETTINGS)[-1]
    assert decide(due, t("2026-11-22 06:00"), published=False, inputs_ready=False).action == "wait"
    assert decide(due, t("2026-11-22 06:00"), published=False, inputs_ready=True).action == "run"
    late = decide(due, t("2026-11-22 09:00"), published=False, inputs_ready=False)
    assert late.action == "run" and "deadline" in late.reason
    assert decide(due, t("2026-11-22 09:00"), published=True, inputs_ready=True).action == "done"


def test_tick_runs_due_cycles_once_and_waits_for_missing_nwp(tmp_path):
    layout = HomeLayout(tmp_path)
    catalogue = RunCatalogue(home_root=tmp_path)
    ran: list[str] = []

    def run(cycle):
        record = catalogue.start_run(cycle.strftime("%Y-%m-%dT%HZ"))
        catalogue.finish(record.run_id, "complete")
        catalogue.publish(record.run_id)
        ran.append(record.cycle)

    (tmp_path / "inputs" / "2026-11-22T00Z" / "ifs").mkdir(parents=True)
    (tmp_path / "inputs" / "2026-11-22T00Z" / "ifs" / "f000.grib2").write_bytes(b"GRIB")
    decisions = tick(layout, SETTINGS, SOURCES, catalogue, t("2026-11-22 06:00"), run)
    # 21T12Z is past its deadline (21:00Z) without NWP: published with fallbacks; 22T00Z has its NWP.
    assert ran == ["2026-11-21T12Z", "2026-11-22T00Z"]
    assert [d.action for d in decisions] == ["run", "run"]
    again = tick(layout, SETTINGS, SOURCES, catalogue, t("2026-11-22 06:20"), run)
    assert ran == ["2026-11-21T12Z", "2026-11-22T00Z"] and {d.action for d in again} == {"done"}
    waiting = tick(layout, SETTINGS, SOURCES, catalogue, t("2026-11-22 17:30"), run)
    assert waiting[-1].cycle == "2026-11-22T12Z" and waiting[-1].action == "wait"
    assert next_wakeup(t("2026-11-22 17:30"), SETTINGS, waiting) == t("2026-11-22 17:50")


def test_a_failing_cycle_is_retried_at_the_next_tick(tmp_path):
    catalogue = RunCatalogue(home_root=tmp_path)

    def run(cycle):
        raise RuntimeError("disk full")

    decisions = tick(HomeLayout(tmp_path), SETTINGS, SOURCES, catalogue, t("2026-11-22 09:30"), run)
    assert {d.action for d in decisions} == {"failed"} and "disk full" in decisions[0].reason
    assert next_wakeup(t("2026-11-22 09:30"), SETTINGS, decisions) == t("2026-11-22 09:50")


def test_serve_sleeps_until_the_next_first_try():
    clock_times = iter([t("2026-11-22 10:00")] * 3)
    slept: list[float] = []
    serve(lambda now: [], SETTINGS, lambda: next(clock_times), slept.append, max_ticks=2)
    assert slept == [pytest.approx(7 * 3600)]  # 12Z + 5 h = 17:00Z
