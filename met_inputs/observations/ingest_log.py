"""The archive's ingest log: one JSON line per ingested file (path, SHA-256, format, rows, period, when).

Rewritten whole through a temporary file and ``os.replace`` (it is small), so it is never half
written. The SHA-256 makes re-ingesting the same bytes a no-op.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

LOG_NAME = "ingest_log.jsonl"


class IngestLog:
    """Read and append entries of ``<archive>/ingest_log.jsonl``."""

    def __init__(self, root: Path):
        self.path = root / LOG_NAME

    def entries(self) -> list[dict[str, Any]]:
        """All entries, oldest first."""
        if not self.path.is_file():
            return []
        with open(self.path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def by_hash(self) -> dict[str, dict[str, Any]]:
        """Latest entry per file SHA-256."""
        return {entry["sha256"]: entry for entry in self.entries()}

    def append(self, new_entries: list[dict[str, Any]]) -> None:
        """Add entries atomically (call under the archive lock)."""
        if not new_entries:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        old = self.path.read_bytes() if self.path.is_file() else b""
        lines = b"".join(json.dumps(e, sort_keys=True, default=str).encode() + b"\n" for e in new_entries)
        tmp = self.path.with_name(f".{LOG_NAME}.tmp-{os.getpid()}")
        try:
            with open(tmp, "wb") as handle:
                handle.write(old + lines)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
