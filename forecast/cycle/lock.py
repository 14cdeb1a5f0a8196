"""One cycle at a time per home: an ``fcntl`` lock on ``<home>/runs/.cycle.lock``.

The lock dies with its process (SIGKILL included), so a crashed run never blocks the next one; the
file records who holds it so that a refused run can say which.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from configs.locks import flock_within


class CycleBusyError(RuntimeError):
    """Another cycle holds the lock of this home."""


@contextmanager
def cycle_lock(runs: Path, cycle: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the home's cycle lock; wait up to ``wait_s`` seconds, then raise :class:`CycleBusyError`."""
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / ".cycle.lock"
    handle = open(path, "a+")  # noqa: SIM115 - held for the duration of the context
    try:
        if not flock_within(handle, wait_s):
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise CycleBusyError(
                f"another cycle is running in this home ({holder}); wait for it or pass --wait SECONDS"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(f"cycle {cycle}, pid {os.getpid()}, since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
        handle.flush()
        yield
    finally:
        handle.close()
