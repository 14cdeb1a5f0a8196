"""Small file utilities shared by the archive and the fetchers: checksums and single-writer locks."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def exclusive_lock(path: Path, busy: Callable[[Path], Exception]) -> Iterator[Path]:
    """Hold an exclusive ``fcntl`` lock on ``path`` for the ``with`` block; raise ``busy(path)`` at once if taken.

    The lock file is created once and left in place (empty, never rewritten); the lock lives in the kernel
    and goes with the process, so a crashed writer never leaves it held.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy(path) from None
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
