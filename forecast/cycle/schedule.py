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

from configs.cycle import ReviewSettings, ScheduleSettings
from configs.schema import DEFAULT_LOCAL_TZ
from configs.settings import HomeLayout
from configs.sources import SourcesConfig
from forecast.catalogue import APPROVED, COMPLETE, PUBLISHED, RunCatalogue
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
    """What :func:`tick` did (or would do) for one cycle: ``run``, ``wait`` (inputs late), ``done``, ``review``
    (a run awaits a forecaster), ``release`` (released unreviewed at the bulletin's due time), ``failed``."""

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


def bulletin_due(cycle: pd.Timestamp, settings: ScheduleSettings, tz: str) -> pd.Timestamp:
    """When the bulletin of ``cycle`` is due [UTC]: the first ``bulletin_local_times[cycle hour]`` (local clock)
    after the cycle time; the run deadline when that cycle hour has no bulletin time."""
    cycle = pd.Timestamp(cycle).tz_convert("UTC")
    text = settings.bulletin_local_times.get(cycle.hour)
    if text is None:
        return cycle + pd.Timedelta(minutes=settings.deadline_minutes)
    hh, mm = (int(x) for x in text.split(":"))
    local = cycle.tz_convert(tz)
    due = local.normalize() + pd.Timedelta(hours=hh, minutes=mm)
    if due <= local:
        due += pd.Timedelta(days=1)
    return due.tz_convert("UTC")


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


def _awaiting_review(catalogue: RunCatalogue, cycle: str):
    """The newest approved-but-held or complete run of ``cycle`` (nothing of it published), or None."""
    return catalogue.latest(APPROVED, cycle=cycle) or catalogue.latest(COMPLETE, cycle=cycle)


def tick(
    layout: HomeLayout,
    settings: ScheduleSettings,
    sources: SourcesConfig,
    catalogue: RunCatalogue,
    now: pd.Timestamp,
    run: Callable[[pd.Timestamp], object],
    *,
    review: ReviewSettings | None = None,
    release: Callable[[str], object] | None = None,
    tz: str = DEFAULT_LOCAL_TZ,
) -> list[Decision]:
    """Run every cycle that is due at ``now`` (``run(cycle)`` runs and, unless review is required, releases
    one); where review is required, ``release(run_id)`` lets out a run nobody approved by its bulletin's due
    time when the policy says so. Returns the decisions."""
    decisions = []
    for due in cycles_in_window(now, settings):
        published = catalogue.latest(PUBLISHED, cycle=due.id) is not None
        waiting = None if published or review is None or not review.required else _awaiting_review(catalogue, due.id)
        if waiting is not None:
            decisions.append(_review_decision(due, waiting.run_id, now, settings, review, release, tz))
            continue
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


def _review_decision(due, run_id, now, settings, review, release, tz) -> Decision:
    bulletin_time = bulletin_due(due.cycle, settings, tz)
    local = f"{bulletin_time.tz_convert(tz):%H:%M} local"
    if not review.publish_unreviewed_at_deadline or release is None or now < bulletin_time:
        return Decision(due.id, "review", f"{run_id} awaits a forecaster's approval (bulletin due {local})")
    try:
        release(run_id)
    except Exception as exc:
        logger.error("unreviewed release of %s failed: %s", run_id, exc)
        return Decision(due.id, "failed", f"unreviewed release of {run_id}: {type(exc).__name__}: {exc}")
    return Decision(due.id, "release", f"nobody approved {run_id} by {local}: released marked not reviewed")


def next_wakeup(now: pd.Timestamp, settings: ScheduleSettings, decisions: list[Decision]) -> pd.Timestamp:
    """When :func:`serve` should tick next: the next retry if something waits or failed, else the next first try."""
    now = pd.Timestamp(now).tz_convert("UTC")
    retry = now + pd.Timedelta(minutes=settings.retry_every_minutes)
    if any(d.action in ("wait", "failed", "review") for d in decisions):
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
