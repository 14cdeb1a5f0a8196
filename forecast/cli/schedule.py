"""``vnaqi schedule``: run the cycles when they are due (see docs/cycle.md for cron and systemd)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from forecast.cli import app
from forecast.cli.common import HomeOption, console, fail, home_layout, run_guarded, station_registry


@app.command("schedule")
def schedule_command(
    once: Annotated[
        bool, typer.Option("--once", help="Do what is due now and exit (for cron / systemd timers).")
    ] = False,
    now: Annotated[str | None, typer.Option(help="Pretend it is this UTC time (ISO 8601), e.g. to catch up.")] = None,
    config: Annotated[Path | None, typer.Option(help="cycle.yaml (default: <home>/cycle.yaml, else packaged).")] = None,
    catalogue: Annotated[str | None, typer.Option(help="Run catalogue URL (default: SQLite in the home).")] = None,
    home: HomeOption = None,
) -> None:
    """Run each cycle (default 00 and 12 UTC) once its inputs have arrived, retrying while they are late
    and publishing with fallbacks at the deadline. Where cycle.yaml requires review, a run waits for
    `vnaqi runs approve` and, if nobody approved it by its bulletin time, is released marked "not reviewed"
    (review.publish_unreviewed_at_deadline). Without --once it runs until stopped."""
    from configs.cycle import CycleConfigError, load_cycle_settings
    from configs.sources import SourcesConfigError, load_sources
    from forecast.catalogue import CatalogueError, RunCatalogue
    from forecast.cycle.runner import run_cycle
    from forecast.cycle.schedule import serve, tick

    layout = home_layout(home)
    registry = run_guarded(station_registry, layout)
    try:
        settings = load_cycle_settings(config, layout.root)
        sources = load_sources(home=layout.root)
        store = RunCatalogue(catalogue, home_root=layout.root)
    except (CycleConfigError, SourcesConfigError, CatalogueError) as exc:
        raise fail(str(exc)) from exc
    fixed_now = run_guarded(pd.Timestamp, now) if now else None
    if fixed_now is not None and fixed_now.tzinfo is None:
        raise fail(f"--now {now!r} has no time zone; write it like 2026-11-22T05:30Z")

    def run_one(cycle: pd.Timestamp) -> None:
        result = run_cycle(layout, registry, cycle, settings, catalogue_url=catalogue, wait_s=600)
        fallbacks = f"{len(result.manifest['fallbacks'])} fallback(s)"
        if result.released is None:
            console.print(f"{result.run_id} awaits a forecaster's approval ({fallbacks})")
            return
        console.print(f"released {result.run_id} ({fallbacks}): {result.released.release_dir}")
        for line in result.released.cap_lines:
            console.print(line)

    def release_unreviewed(run_id: str) -> None:
        from forecast.cycle.release import release_run

        released = release_run(layout, store, run_id, by="vnaqi schedule (deadline passed: not reviewed)",
                               catalogue_url=catalogue)  # fmt: skip
        for line in released.cap_lines:
            console.print(line)

    def tick_once(at: pd.Timestamp):
        decisions = tick(layout, settings.schedule, sources, store, at, run_one, review=settings.review,
                         release=release_unreviewed, tz=settings.time_zone)  # fmt: skip
        for d in decisions:
            console.print(f"{at:%Y-%m-%d %H:%M}Z cycle {d.cycle}: {d.action} — {d.reason}")
        if not decisions:
            console.print(f"{at:%Y-%m-%d %H:%M}Z nothing due")
        return decisions

    def clock() -> pd.Timestamp:
        return fixed_now if fixed_now is not None else pd.Timestamp.now(tz="UTC")

    serve(tick_once, settings.schedule, clock, time.sleep, max_ticks=1 if once or fixed_now is not None else None)
