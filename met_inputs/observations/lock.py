"""One writer at a time: an exclusive ``fcntl`` lock on ``<archive>/.ingest.lock``.

The lock file is created once and left in place (it is empty and never rewritten); the lock
itself lives in the kernel and disappears with the process that holds it, so a crashed ingest
never leaves the archive locked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from met_inputs.files import exclusive_lock

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
    message = "another ingest is writing to this archive (lock held); wait for it to finish and retry"
    with exclusive_lock(root / LOCK_NAME, lambda path: ArchiveBusyError(f"{path}: {message}")) as path:
        yield path
