"""The run catalogue and alert store on SQLite (the default); ``TestCatalogueCore`` also runs on PostgreSQL.

``TestCatalogueCore`` needs only a ``catalogue_url`` fixture: ``tests/test_catalogue_postgres.py`` reuses it
against a throwaway PostgreSQL server, which is the "a PostgreSQL URL works unchanged" promise.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import sqlite3
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from configs.settings import HomeLayout
from forecast.catalogue import (
    TRANSITIONS,
    URL_ENV,
    CatalogueError,
    InvalidTransition,
    RunCatalogue,
    UnknownRun,
)

CYCLE = "2026-11-22T00Z"
T0 = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
runner = CliRunner()


class Clock:
    """A settable clock: tests advance it explicitly, so every stored time is known exactly."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def cli(*args: str):
    from forecast.cli import app  # imported here: spawned workers import this module and need not load the CLI

    return runner.invoke(app, list(args))


# -- workers for the multi-process tests (module level: spawned processes import them by name) -----------------


def _start_runs(url: str, barrier, results, n: int) -> None:
    cat = RunCatalogue(url)
    barrier.wait(timeout=120)
    results.put([cat.start_run(CYCLE).version for _ in range(n)])
    cat.close()


def _publish(url: str, barrier, results, run_id: str) -> None:
    cat = RunCatalogue(url)
    barrier.wait(timeout=120)
    results.put(cat.publish(run_id, by=run_id).status)
    cat.close()


def _raise_alert(url: str, barrier, results, i: int) -> None:
    cat = RunCatalogue(url)
    barrier.wait(timeout=120)
    _, new = cat.raise_alert("hn-an-khanh", "silent", cycle=CYCLE, observed_at=T0, detail=f"worker {i}", value=i)
    results.put(new)
    cat.close()


def _in_processes(target, argument_lists: list[tuple]) -> list:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(argument_lists)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(args[0], barrier, results, *args[1:])) for args in argument_lists]
    for p in procs:
        p.start()
    out, deadline = [], time.monotonic() + 180
    try:
        while len(out) < len(procs):
            try:
                out.append(results.get(timeout=0.5))
            except queue.Empty:
                crashed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                if crashed or time.monotonic() > deadline:
                    pytest.fail(f"worker processes failed (exit codes {crashed}) or timed out; see stderr")
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
    assert [p.exitcode for p in procs] == [0] * len(procs)
    return out


def _drive(cat: RunCatalogue, clock: Clock, cycle: str, status: str) -> str:
    """A new run of ``cycle`` brought to ``status`` through legal steps; returns its id."""
    run_id = cat.start_run(cycle).run_id
    if status == "running":
        return run_id
    clock.tick(minutes=1)
    cat.finish(run_id, "failed" if status == "failed" else "complete", error="boom" if status == "failed" else None)
    if status == "approved":
        cat.approve(run_id, by="lan")
    if status in ("published", "superseded"):
        cat.publish(run_id, by="lan")
    if status == "superseded":
        other = cat.start_run(cycle).run_id
        cat.finish(other, "complete")
        cat.publish(other, by="lan")
    assert cat.get(run_id).status == status
    return run_id


class TestCatalogueCore:
    """Behaviour that must be identical on every database engine."""

    @pytest.fixture(autouse=True)
    def _no_url_from_env(self, monkeypatch):
        monkeypatch.delenv(URL_ENV, raising=False)

    @pytest.fixture()
    def clock(self) -> Clock:
        return Clock()

    @pytest.fixture()
    def cat(self, catalogue_url: str, clock: Clock):
        catalogue = RunCatalogue(catalogue_url, clock=clock)
        yield catalogue
        catalogue.close()

    def test_versions_increment_per_cycle_and_reruns_keep_earlier_rows(self, cat, clock):
        config = {"method": "lightgbm", "home": Path("/srv/vnaqi"), "q": [0.1, float("nan")]}
        first = cat.start_run(CYCLE, config=config)
        cat.finish(first.run_id, "failed", error="NWP missing")
        clock.tick(minutes=30)
        second = cat.start_run(CYCLE)
        cat.finish(second.run_id, "complete")
        clock.tick(minutes=30)
        third = cat.start_run(CYCLE)
        other_cycle = cat.start_run("2026-11-22T12Z")
        other_name = cat.start_run(CYCLE, name="baseline-persistence")

        assert [first.version, second.version, third.version] == [1, 2, 3]
        assert third.run_id == "2026-11-22T00Z/forecast-v3"
        assert (other_cycle.version, other_name.version) == (1, 1)
        assert other_name.run_id == "2026-11-22T00Z/baseline-persistence-v1"
        kept = cat.get(first.run_id)
        assert (kept.status, kept.error, kept.started_at) == ("failed", "NWP missing", T0)
        assert kept.config == {"method": "lightgbm", "home": "/srv/vnaqi", "q": [0.1, None]}
        listed = cat.runs(cycle=CYCLE, name="forecast")
        assert [r.version for r in listed] == [3, 2, 1]
        assert [r.status for r in listed] == ["running", "complete", "failed"]
        assert [r.run_id for r in cat.runs()][:1] == ["2026-11-22T12Z/forecast-v1"]  # newest cycle first
        assert len(cat.runs(limit=2)) == 2
        assert cat.start_run("2026-11-22T07:00+07:00").run_id == "2026-11-22T00Z/forecast-v4"  # same cycle

    def test_every_legal_transition_is_recorded_with_who_when_and_why(self, cat, clock):
        run_id = cat.start_run(CYCLE).run_id
        clock.tick(minutes=12)
        done = cat.finish(run_id, "complete")
        clock.tick(hours=1)
        approved = cat.approve(run_id, by="lan", note="checked Hanoi stations")
        clock.tick(minutes=5)
        published = cat.publish(run_id, by="minh")

        assert done.finished_at == T0 + timedelta(minutes=12) and done.seconds == 720.0
        assert (approved.approved_by, approved.approval_note) == ("lan", "checked Hanoi stations")
        assert approved.approved_at == T0 + timedelta(minutes=72)
        assert (published.status, published.published_by) == ("published", "minh")
        assert published.published_at == T0 + timedelta(minutes=77)
        history = cat.history(run_id)
        assert [(e.previous, e.status, e.by, e.note) for e in history] == [
            (None, "running", None, None),
            ("running", "complete", None, None),
            ("complete", "approved", "lan", "checked Hanoi stations"),
            ("approved", "published", "minh", None),
        ]
        assert [e.at for e in history] == [T0 + timedelta(minutes=m) for m in (0, 12, 72, 77)]
        assert all(e.at.tzinfo is UTC for e in history)

        failed = cat.start_run(CYCLE).run_id
        cat.finish(failed, "failed", error="CAMS download timed out")
        assert [(e.status, e.note) for e in cat.history(failed)] == [
            ("running", None),
            ("failed", "CAMS download timed out"),
        ]
        direct = _drive(cat, clock, "2026-11-23T00Z", "complete")
        assert cat.publish(direct).status == "published"  # complete -> published without approval

    def test_the_status_machine_allows_exactly_its_table(self, cat, clock):
        actions = {
            "complete": lambda run_id: cat.finish(run_id, "complete"),
            "failed": lambda run_id: cat.finish(run_id, "failed", error="x"),
            "approved": lambda run_id: cat.approve(run_id, by="lan"),
            "published": lambda run_id: cat.publish(run_id, by="lan"),
        }
        start = datetime(2026, 1, 1, tzinfo=UTC)
        legal = illegal = 0
        for i, (current, requested) in enumerate((c, r) for c in TRANSITIONS for r in actions):
            cycle = (start + timedelta(hours=12 * i)).strftime("%Y-%m-%dT%HZ")
            run_id = _drive(cat, clock, cycle, current)
            events = len(cat.history(run_id))
            if requested in TRANSITIONS[current]:
                assert actions[requested](run_id).status == requested
                assert len(cat.history(run_id)) == events + 1
                legal += 1
            else:
                with pytest.raises(InvalidTransition) as err:
                    actions[requested](run_id)
                assert (err.value.run_id, err.value.current, err.value.requested) == (run_id, current, requested)
                message = str(err.value)
                assert run_id in message and repr(current) in message and repr(requested) in message
                assert cat.get(run_id).status == current and len(cat.history(run_id)) == events
                illegal += 1
        assert (legal, illegal) == (5, 19)  # running→complete/failed, complete→approved/published, approved→published

    def test_publish_supersedes_the_previous_published_run_of_the_cycle(self, cat, clock):
        v1 = _drive(cat, clock, CYCLE, "published")
        other_cycle = _drive(cat, clock, "2026-11-21T12Z", "published")
        v2 = _drive(cat, clock, CYCLE, "complete")
        clock.tick(minutes=3)
        cat.publish(v2, by="minh")

        assert cat.get(v1).status == "superseded" and cat.get(v2).status == "published"
        assert cat.get(other_cycle).status == "published"  # another cycle is untouched
        last = cat.history(v1)[-1]
        assert (last.previous, last.status, last.by, last.at) == ("published", "superseded", "minh", clock.now)
        assert last.note == f"superseded by {v2}"
        assert cat.history(v2)[-1].note == f"supersedes {v1}"
        assert cat.latest("published").run_id == v2
        assert cat.latest("published", cycle="2026-11-21T12Z").run_id == other_cycle
        assert cat.latest("superseded").run_id == v1
        assert cat.latest("approved") is None
        assert [r.run_id for r in cat.runs(cycle=CYCLE, status="published")] == [v2]
        with pytest.raises(InvalidTransition):
            cat.publish(v1)  # a superseded run stays superseded: publish a rerun instead

    def test_stages_fallbacks_models_and_path_round_trip(self, cat, clock):
        run_id = cat.start_run(CYCLE).run_id
        cat.record_stage(run_id, "fetch", 12.5)
        cat.record_stage(run_id, "features", 3.25)
        cat.record_stage(run_id, "fetch", 13.0)  # a stage recorded again replaces its time
        clock.tick(seconds=20)
        cat.add_fallback(run_id, "ctm", "CAMS missing: corrector without CTM")
        cat.add_fallback(run_id, "nwp", "GFS late: persistence/climatology blend")
        cat.set_models(run_id, {"pm25": "vnaqi-pm25/3", "pm10": "vnaqi-pm10/1"})
        cat.set_models(run_id, {"pm10": "vnaqi-pm10/2"})
        cat.set_path(run_id, Path("/srv/vnaqi/runs/2026-11-22T00Z/forecast-v1"))
        clock.tick(seconds=70)
        run = cat.finish(run_id, "complete")

        assert run.stages == {"fetch": 13.0, "features": 3.25}
        assert [(f.step, f.at) for f in run.fallbacks] == [("ctm", T0 + timedelta(seconds=20))] + [
            ("nwp", T0 + timedelta(seconds=20))
        ]
        assert run.fallbacks[1].detail == "GFS late: persistence/climatology blend"
        assert run.models == {"pm25": "vnaqi-pm25/3", "pm10": "vnaqi-pm10/2"}
        assert run.path == "/srv/vnaqi/runs/2026-11-22T00Z/forecast-v1"
        assert run.seconds == 90.0
        assert cat.get(run_id) == run
        manifest = json.loads(json.dumps(run.to_dict()))
        assert manifest["started_at"] == "2026-11-22T01:30:00+00:00" and manifest["seconds"] == 90.0
        assert manifest["fallbacks"][0]["at"] == "2026-11-22T01:30:20+00:00"

    def test_times_are_utc_aware_and_naive_times_are_refused(self, cat, clock):
        clock.now = datetime(2026, 11, 22, 8, 15, tzinfo=timezone(timedelta(hours=7)))
        run = cat.start_run(CYCLE)
        assert run.started_at == datetime(2026, 11, 22, 1, 15, tzinfo=UTC) and run.started_at.tzinfo is UTC
        assert cat.get(run.run_id).started_at.tzinfo is UTC
        local = datetime(2026, 11, 22, 9, 0, tzinfo=timezone(timedelta(hours=7)))
        alert, _ = cat.raise_alert("hn-an-khanh", "silent", cycle=CYCLE, observed_at=local, detail="silent 3 h")
        assert alert.first_observed_at == datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
        assert alert.first_observed_at.tzinfo is UTC
        with pytest.raises(ValueError, match="timezone-aware"):
            cat.raise_alert("hn-an-khanh", "silent", cycle=CYCLE, observed_at=datetime(2026, 11, 22), detail="x")
        clock.now = datetime(2026, 11, 22, 3, 0)
        with pytest.raises(ValueError, match="timezone-aware"):
            cat.start_run(CYCLE)

    def test_an_alert_opens_once_dedupes_while_it_persists_and_reopens_after_closing(self, cat, clock):
        def raise_(cycle, hour, value):
            observed = datetime(2026, 11, 22, hour, tzinfo=UTC)
            detail = f"PM2.5 {value} µg/m³"
            return cat.raise_alert(
                "hn-an-khanh", "exceedance", cycle=cycle, observed_at=observed, detail=detail, value=value
            )

        first, new1 = raise_("2026-11-22T00Z", 0, 180.0)
        again, new2 = raise_("2026-11-22T12Z", 12, 210.5)
        third, new3 = raise_("2026-11-23T00Z", 23, 190.0)
        assert (new1, new2, new3) == (True, False, False)
        assert first.id == again.id == third.id
        assert third.first_observed_at == datetime(2026, 11, 22, 0, tzinfo=UTC)
        assert third.last_seen_at == datetime(2026, 11, 22, 23, tzinfo=UTC)
        assert (third.value, third.detail, third.opened_cycle, third.last_cycle) == (
            190.0, "PM2.5 190.0 µg/m³", "2026-11-22T00Z", "2026-11-23T00Z",
        )  # fmt: skip
        assert third.opened_at == T0 and third.is_open
        silent, new_kind = cat.raise_alert("hn-an-khanh", "silent", cycle=CYCLE, observed_at=T0, detail="silent 3 h")
        other, new_station = cat.raise_alert("hn-nguyen-van-cu", "silent", cycle=CYCLE, observed_at=T0, detail="x")
        assert new_kind and new_station and len({first.id, silent.id, other.id}) == 3
        assert len(cat.open_alerts()) == 3
        assert [a.kind for a in cat.open_alerts("hn-an-khanh")] == ["exceedance", "silent"]  # most recently seen first

        closed_at = datetime(2026, 11, 23, 12, tzinfo=UTC)
        assert cat.close_alerts("hn-an-khanh", "exceedance", cycle="2026-11-23T12Z", at=closed_at) == 1
        assert cat.close_alerts("hn-an-khanh", "exceedance", cycle="2026-11-23T12Z", at=closed_at) == 0
        assert [a.kind for a in cat.open_alerts("hn-an-khanh")] == ["silent"]
        reopened, new4 = raise_("2026-11-24T00Z", 0, 160.0)
        assert new4 and reopened.id != first.id
        everything = cat.alerts(include_closed=True, station_id="hn-an-khanh")
        assert sorted((a.id, a.status) for a in everything) == sorted(
            [(first.id, "closed"), (silent.id, "open"), (reopened.id, "open")]
        )
        old = next(a for a in everything if a.id == first.id)
        assert (old.closed_at, old.closed_cycle, old.value) == (closed_at, "2026-11-23T12Z", 190.0)
        assert len(cat.alerts()) == 3 and len(cat.alerts(include_closed=True)) == 4

    def test_unknown_run_ids_are_named_in_the_error(self, cat):
        missing = "2026-11-22T00Z/forecast-v9"
        calls = [
            lambda: cat.get(missing),
            lambda: cat.history(missing),
            lambda: cat.finish(missing, "complete"),
            lambda: cat.approve(missing, by="lan"),
            lambda: cat.publish(missing),
            lambda: cat.record_stage(missing, "fetch", 1.0),
            lambda: cat.add_fallback(missing, "ctm", "x"),
            lambda: cat.set_models(missing, {"pm25": "m/1"}),
            lambda: cat.set_path(missing, "/x"),
        ]
        for call in calls:
            with pytest.raises(KeyError) as err:
                call()
            assert isinstance(err.value, UnknownRun) and err.value.run_id == missing
            assert str(err.value).startswith(f"no run '{missing}' in the run catalogue")

    def test_bad_input_is_refused_with_a_clear_message(self, cat):
        run_id = cat.start_run(CYCLE).run_id
        with pytest.raises(ValueError, match=r"unknown run status 'done'; valid: running, failed, complete"):
            cat.runs(status="done")
        with pytest.raises(ValueError, match="unknown run status 'ok'"):
            cat.finish(run_id, "ok")
        with pytest.raises(ValueError, match="finish\\(\\) takes 'complete' or 'failed', not 'published'"):
            cat.finish(run_id, "published")
        with pytest.raises(ValueError, match="cycle 'yesterday'"):
            cat.start_run("yesterday")
        with pytest.raises(ValueError, match="run name 'a/b'"):
            cat.start_run(CYCLE, name="a/b")
        with pytest.raises(ValueError, match="seconds must be a finite number >= 0"):
            cat.record_stage(run_id, "fetch", -1)
        with pytest.raises(ValueError, match="needs the name of who approves"):
            cat.approve(run_id, by=" ")
        with pytest.raises(ValueError, match="alert kind 'Silent!'"):
            cat.raise_alert("s", "Silent!", cycle=CYCLE, observed_at=T0, detail="x")
        with pytest.raises(ValueError, match="not a finite number"):
            cat.raise_alert("s", "silent", cycle=CYCLE, observed_at=T0, detail="x", value=float("nan"))
        with pytest.raises(ValueError, match="limit must be at least 1"):
            cat.runs(limit=0)
        assert cat.get(run_id).status == "running" and len(cat.runs()) == 1  # nothing stored was touched

    def test_a_version_taken_meanwhile_by_another_writer_is_retried(self, cat, monkeypatch):
        assert cat.start_run(CYCLE).version == 1
        real, calls = Session.scalar, []

        def stale_max(session, statement, *args, **kwargs):  # the first look misses the run just stored
            calls.append(statement)
            return 0 if len(calls) == 1 else real(session, statement, *args, **kwargs)

        monkeypatch.setattr(Session, "scalar", stale_max)
        again = cat.start_run(CYCLE)
        assert (again.version, len(calls)) == (2, 2)  # v1 collided on the unique constraint, the retry took v2
        monkeypatch.undo()
        assert [r.version for r in cat.runs(cycle=CYCLE)] == [2, 1]
        assert [e.status for e in cat.history(again.run_id)] == ["running"]  # the failed attempt left no trace

    def test_processes_starting_the_same_cycle_at_once_get_distinct_versions(self, cat, catalogue_url):
        versions = _in_processes(_start_runs, [(catalogue_url, 3)] * 4)
        flat = sorted(v for chunk in versions for v in chunk)
        assert flat == list(range(1, 13))
        assert all(chunk == sorted(chunk) for chunk in versions)  # each process sees its own versions increase
        assert sorted(r.version for r in cat.runs(cycle=CYCLE)) == list(range(1, 13))
        assert len({r.run_id for r in cat.runs(cycle=CYCLE)}) == 12

    def test_processes_publishing_the_same_cycle_at_once_leave_one_published(self, cat, clock, catalogue_url):
        run_ids = [_drive(cat, clock, CYCLE, "complete") for _ in range(3)]
        statuses = _in_processes(_publish, [(catalogue_url, run_id) for run_id in run_ids])
        assert statuses == ["published"] * 3  # each publish succeeded when it ran ...
        final = {r.run_id: r.status for r in cat.runs(cycle=CYCLE)}
        assert sorted(final.values()) == ["published", "superseded", "superseded"]  # ... and one remains
        winner = cat.latest("published", cycle=CYCLE).run_id
        supersede_notes = [cat.history(r)[-1].note for r in run_ids if r != winner]
        assert all(note.startswith("superseded by ") for note in supersede_notes)

    def test_processes_raising_the_same_alert_at_once_open_it_once(self, cat, catalogue_url):
        new = _in_processes(_raise_alert, [(catalogue_url, i) for i in range(3)])
        assert sorted(new) == [False, False, True]
        assert len(cat.alerts(include_closed=True)) == 1

    def test_cli_lists_runs_shows_one_and_lists_alerts(self, cat, clock, catalogue_url, tmp_path, monkeypatch):
        from forecast.cli.common import console

        monkeypatch.setattr(console, "width", 200)  # rows on one line whatever the terminal (xdist reports 80)
        home = str(tmp_path / "cli-home")
        old = _drive(cat, clock, CYCLE, "superseded")
        run_id = cat.latest("published").run_id
        cat.record_stage(run_id, "correct", 42.5)
        cat.add_fallback(run_id, "ctm", "CAMS missing")
        cat.set_models(run_id, {"pm25": "vnaqi-pm25/3"})
        cat.start_run("2026-11-22T12Z")
        cat.raise_alert("hn-an-khanh", "silent", cycle=CYCLE, observed_at=T0, detail="no data for 3 h")
        cat.raise_alert("hn-kim-lien", "exceedance", cycle=CYCLE, observed_at=T0, detail="PM2.5 180", value=180)
        cat.close_alerts("hn-kim-lien", "exceedance", cycle="2026-11-22T12Z", at=T0 + timedelta(hours=12))

        result = cli("runs", "--catalogue", catalogue_url, "--home", home)
        assert result.exit_code == 0, result.output
        lines = [line for line in result.output.splitlines() if "forecast-v" in line]
        assert [line.split()[1] for line in lines] == [
            "2026-11-22T12Z/forecast-v1", "2026-11-22T00Z/forecast-v2", "2026-11-22T00Z/forecast-v1",
        ]  # fmt: skip
        assert ["running" in lines[0], "published" in lines[1], "superseded" in lines[2]] == [True] * 3
        assert "3 run(s)" in result.output

        result = cli("runs", "--status", "superseded", "--catalogue", catalogue_url, "--home", home)
        assert result.exit_code == 0 and old in result.output and run_id not in result.output

        result = cli("runs", "show", run_id, "--catalogue", catalogue_url, "--home", home)
        assert result.exit_code == 0, result.output
        for text in ("published", "correct", "42.50", "CAMS missing", "vnaqi-pm25/3", "lan", "2026-11-22 01:31:00Z"):
            assert text in result.output
        history = [line for line in result.output.splitlines() if "2026-11-22 01:3" in line and "│" in line]
        assert len(history) >= 3

        result = cli("alerts", "--catalogue", catalogue_url, "--home", home)
        assert result.exit_code == 0, result.output
        assert "hn-an-khanh" in result.output and "no data for 3 h" in result.output
        assert "hn-kim-lien" not in result.output
        result = cli("alerts", "--all", "--catalogue", catalogue_url, "--home", home)
        assert "hn-kim-lien" in result.output and "closed" in result.output and "180" in result.output
        result = cli("alerts", "--all", "--station", "hn-kim-lien", "--catalogue", catalogue_url, "--home", home)
        assert "hn-kim-lien" in result.output and "hn-an-khanh" not in result.output

        result = cli("runs", "show", "2026-11-22T00Z/forecast-v9", "--catalogue", catalogue_url, "--home", home)
        assert result.exit_code == 2 and "no run '2026-11-22T00Z/forecast-v9'" in result.output
        result = cli("runs", "--status", "done", "--catalogue", catalogue_url, "--home", home)
        assert result.exit_code == 2 and "unknown run status 'done'" in result.output


# -- SQLite only --------------------------------------------------------------------------------------------


@pytest.fixture()
def catalogue_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'catalogue.sqlite'}"


@pytest.fixture(autouse=True)
def _no_url_from_env(monkeypatch):
    monkeypatch.delenv(URL_ENV, raising=False)


def test_the_default_catalogue_is_a_sqlite_file_in_the_home(tmp_path):
    home = tmp_path / "home"
    with RunCatalogue(home_root=home) as cat:
        run_id = cat.start_run(CYCLE).run_id
    path = HomeLayout(home).catalogue
    assert path == home / "catalogue.sqlite" and path.is_file()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
        assert db.execute("SELECT run_id, status FROM runs").fetchall() == [(run_id, "running")]
        assert db.execute("SELECT status, by FROM run_status_history").fetchall() == [("running", None)]
    with RunCatalogue(home_root=home) as reopened:  # state survives, tables are not recreated
        assert reopened.get(run_id).version == 1 and reopened.start_run(CYCLE).version == 2


def test_the_url_can_come_from_the_environment(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    monkeypatch.setenv(URL_ENV, url)
    with RunCatalogue(home_root=tmp_path / "home") as cat:
        cat.start_run(CYCLE)
        assert cat.url == url
    assert (tmp_path / "elsewhere.sqlite").is_file() and not (tmp_path / "home" / "catalogue.sqlite").exists()


def test_an_unreachable_url_is_named_with_its_password_masked():
    with pytest.raises(CatalogueError) as err:
        RunCatalogue("postgresql+psycopg://u:secret@127.0.0.1:1/x")
    message = str(err.value)
    assert "secret" not in message
    assert "postgresql+psycopg://u:***@127.0.0.1:1/x" in message


@pytest.mark.parametrize(
    "url, expected",
    [
        ("not a url", "invalid run catalogue URL 'not a url'"),
        ("nosuchdb://u:secret@host/x", "nosuchdb://u:***@host/x"),
        ("sqlite:////nonexistent-dir/sub/catalogue.sqlite", "cannot open the run catalogue"),
    ],
)
def test_invalid_urls_raise_catalogue_errors(url, expected):
    with pytest.raises(CatalogueError) as err:
        RunCatalogue(url)
    assert expected in str(err.value) and "secret" not in str(err.value)


def test_a_catalogue_from_a_newer_release_is_refused(catalogue_url, tmp_path):
    RunCatalogue(catalogue_url).close()
    with sqlite3.connect(tmp_path / "catalogue.sqlite") as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(CatalogueError, match="schema version 99; this vnaqi reads version 1 \\(upgrade vnaqi\\)"):
        RunCatalogue(catalogue_url)


def test_cli_on_a_home_without_a_catalogue_creates_nothing(tmp_path):
    home = tmp_path / "home"
    result = cli("runs", "--home", str(home))
    assert result.exit_code == 0 and "No runs yet" in result.output
    result = cli("alerts", "--home", str(home))
    assert result.exit_code == 0 and "No alerts" in result.output
    assert not (home / "catalogue.sqlite").exists()


def test_cli_reports_an_unreachable_catalogue(tmp_path):
    result = cli("runs", "--catalogue", "postgresql+psycopg://u:secret@127.0.0.1:1/x", "--home", str(tmp_path))
    assert result.exit_code == 2
    assert "u:***@127.0.0.1:1/x" in result.output and "secret" not in result.output
