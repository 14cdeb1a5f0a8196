"""When to run which cycle: first try after the inputs usually arrive, retries while they are late, and a
deadline after which the cycle is published with whatever fallbacks it takes.

:func:`tick` does what is due at one moment and returns; :func:`serve` repeats it, sleeping until the
next thing is due. Both are driven by an injected clock so they can be tested without waiting; the
cycle itself holds the home's lock, so two schedulers (or a scheduler and a manual ``vnaqi run``)
never run cycles at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from configs.cycle import ScheduleSettings
from configs.settings import HomeLayout
from configs.sources import SourcesConfig
from forecast.catalogue import PUBLISHED, RunCatalogue
from forecast.cycles import cycle_id
from met_inputs.cube_builder import source_files

logger = logging.getLogger(__name__)

LOOKBACK_HOURS = 24
"""Cycles older than this are not run by the scheduler (rerun them by hand with ``vnaqi run``)."""


@dataclass(frozen=True)
class DueCycle:
    """A cycle and its attempt window."""

    cycle: pd.Timestamp
    first_try: pd.Timestamp
    deadline: pd.Timestamp

    @property
    def id(self) -> str:
        return cycle_id(self.cycle)


@dataclass(frozen=True)
class Decision:
    """What :func:`tick` did (or would do) for one cycle: ``run``, ``wait`` (inputs late), ``done``."""

    cycle: str
    action: str
    reason: str


def cycles_in_window(now: pd.Timestamp, settings: ScheduleSettings) -> list[DueCycle]:
    """Cycles whose first attempt has come and that are at most :data:`LOOKBACK_HOURS` old, oldest first."""
    now = pd.Timestamp(now).tz_convert("UTC")
    out = []
    for day in (now.floor("D") - pd.Timedelta(days=d) for d in (2, 1, 0)):
        for hour in settings.cycle_hours_utc:
            cycle = day + pd.Timedelta(hours=hour)
            first = cycle + pd.Timedelta(minutes=settings.first_try_after_minutes)
            if first <= now and now - cycle <= pd.Timedelta(hours=LOOKBACK_HOURS):
                out.append(DueCycle(cycle, first, cycle + pd.Timedelta(minutes=settings.deadline_minutes)))
    return out


def nwp_arrived(layout: HomeLayout, sources: SourcesConfig, cycle: pd.Timestamp) -> bool:
    """True when any enabled NWP source has files for ``cycle`` in the home's inputs folder."""
    return any(source_files(layout, sources, s, cycle) for s in sources.by_role("nwp"))


def decide(due: DueCycle, now: pd.Timestamp, published: bool, inputs_ready: bool) -> Decision:
    """The scheduler's rule for one cycle."""
    if published:
        return Decision(due.id, "done", "already published")
    if inputs_ready:
        return Decision(due.id, "run", "inputs have arrived")
    if now >= due.deadline:
        return Decision(due.id, "run", f"deadline {due.deadline:%H:%M}Z passed: publishing with fallbacks")
    return Decision(due.id, "wait", f"NWP not arrived; retrying until the deadline {due.deadline:%H:%M}Z")


def tick(
    layout: HomeLayout,
    settings: ScheduleSettings,
    sources: SourcesConfig,
    catalogue: RunCatalogue,
    now: pd.Timestamp,
    run: Callable[[pd.Timestamp], object],
) -> list[Decision]:
    """Run every cycle that is due at ``now`` (``run(cycle)`` runs and publishes one); return the decisions."""
    decisions = []
    for due in cycles_in_window(now, settings):
        published = catalogue.latest(PUBLISHED, cycle=due.id) is not None
        decision = decide(due, now, published, nwp_arrived(layout, sources, due.cycle))
        if decision.action == "run":
            logger.info("cycle %s: %s", due.id, decision.reason)
            try:
                run(due.cycle)
            except Exception as exc:  # the next tick retries; the catalogue holds the failed run
                logger.error("cycle %s failed: %s", due.id, exc)
                decision = Decision(due.id, "failed", f"{type(exc).__name__}: {exc}")
        decisions.append(decision)
    return decisions


def next_wakeup(now: pd.Timestamp, settings: ScheduleSettings, decisions: list[Decision]) -> pd.Timestamp:
    """When :func:`serve` should tick next: the next retry if something waits or failed, else the next first try."""
    now = pd.Timestamp(now).tz_convert("UTC")
    retry = now + pd.Timedelta(minutes=settings.retry_every_minutes)
    if any(d.action in ("wait", "failed") for d in decisions):
        return retry
    upcoming = [
        day + pd.Timedelta(hours=h) + pd.Timedelta(minutes=settings.first_try_after_minutes)
        for day in (now.floor("D"), now.floor("D") + pd.Timedelta(days=1))
        for h in settings.cycle_hours_utc
    ]
    return min(t for t in upcoming if t > now)


def serve(
    tick_once: Callable[[pd.Timestamp], list[Decision]],
    settings: ScheduleSettings,
    clock: Callable[[], pd.Timestamp],
    sleep: Callable[[float], None],
    max_ticks: int | None = None,
) -> None:
    """Tick, sleep until :func:`next_wakeup`, repeat (forever unless ``max_ticks``)."""
    ticks = 0
    while max_ticks is None or ticks < max_ticks:
        now = clock()
        decisions = tick_once(now)
        wake = next_wakeup(now, settings, decisions)
        logger.info("next tick at %s", wake.isoformat())
        ticks += 1
        if max_ticks is not None and ticks >= max_ticks:
            break
        sleep(max(0.0, (wake - clock()).total_seconds()))
