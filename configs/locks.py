"""Exclusive ``fcntl`` file locks with a time limit, shared by every writer that must run alone (the cycle,
the CAP ledger). The kernel releases them when their process dies, SIGKILL included."""

from __future__ import annotations

import fcntl
import time
from typing import IO


def flock_within(handle: IO, wait_s: float) -> bool:
    """Take an exclusive lock on the open file ``handle``, waiting up to ``wait_s`` seconds; False if it stayed
    held by another process."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(1.0, max(0.05, remaining)))
