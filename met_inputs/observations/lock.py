"""One writer at a time: an exclusive ``fcntl`` lock on ``<archive>/.ingest.lock``.

The lock file is created once and left in place (it is empty and never rewritten); the lock
itself lives in the kernel and disappears with the process that holds it, so a crashed ingest
never leaves the archive locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".ingest.lock"


class ArchiveBusyError(RuntimeError):
    """Another process is writing to the archive."""


@contextmanager
def archive_lock(root: Path) -> Iterator[Path]:
    """Hold the archive's writer lock for the ``with`` block; fail at once if someone else holds it.

    Raises
    ------
    ArchiveBusyError
        Naming the lock file, when another ingest is running.
    """
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ArchiveBusyError(
                f"{path}: another ingest is writing to this archive (lock held); "
                "wait for it to finish and retry"
            ) from exc
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
