"""Starting a rerun of a cycle from the API: ``vnaqi run --cycle C`` in its own process, detached from the
server's worker, logging to ``<home>/logs/``. The cycle lock of the home still serialises runs; a rerun asked
for while another cycle holds the lock is refused here rather than left to fail in the background."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from configs.locks import flock_within
from configs.settings import HomeLayout

RUN_ENTRY = "from forecast.cli import app; app()"


class RerunBusy(RuntimeError):
    """Another cycle is running in this home."""


@dataclass(frozen=True)
class StartedRerun:
    pid: int
    log: str  # relative to the home


def _busy(runs: Path) -> str | None:
    """Who holds the home's cycle lock, or None when it is free (checked without keeping it)."""
    path = runs / ".cycle.lock"
    if not path.exists():
        return None
    with open(path, "a+") as handle:
        if flock_within(handle, 0.0):
            return None
        handle.seek(0)
        return handle.read().strip() or "another process"


def start_rerun(layout: HomeLayout, cycle: str, *, catalogue_url: str | None = None) -> StartedRerun:
    """Start ``vnaqi run --cycle cycle`` on this home in the background; :class:`RerunBusy` when a cycle runs."""
    holder = _busy(layout.runs)
    if holder is not None:
        raise RerunBusy(f"another cycle is running in this home ({holder}); try again when it has finished")
    logs = layout.root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    name = f"rerun-{cycle}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.log"
    command = [sys.executable, "-c", RUN_ENTRY, "run", "--cycle", cycle, "--home", str(layout.root)]
    if catalogue_url:
        command += ["--catalogue", catalogue_url]
    with open(logs / name, "ab") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, env={**os.environ, "COLUMNS": "120"})  # fmt: skip
    return StartedRerun(process.pid, f"logs/{name}")
