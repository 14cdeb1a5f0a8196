"""The manifest of one source's inputs for one cycle: ``<home>/inputs/<cycle>/<source>/manifest.json``.

It lists every file fetched, with its size, SHA-256, where it came from and when, so that a re-run
skips what is already complete and intact, and the forecast run can record exactly which inputs it
used (DESIGN.md, *Provenance*). It never holds credentials: URLs are redacted before they get here.

Layout::

    {"source": "ifs", "kind": "ecmwf-opendata", "cycle": "2026-11-22T00Z",
     "status": "complete" | "incomplete", "expected": ["ifs_2026112200_f000.grib2", ...] | null,
     "late_since": "2026-11-22T06:10:00Z" | null, "updated_at": "...", "fingerprint": "…",
     "files": [{"file": "ifs_2026112200_f000.grib2", "size": 123, "sha256": "…", "url": "https://…",
                "fetched_at": "…", "step_h": 0, "ranges": [[0, 99]], "messages": ["2t sfc"],
                "missing": [], "source_path": null, "source_mtime": null,
                "request": null}, ...]}
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from met_inputs.files import exclusive_lock, sha256_file  # noqa: F401  (sha256_file re-exported)

__all__ = ["MANIFEST_NAME", "FileRecord", "FolderBusyError", "Manifest", "folder_lock", "sha256_file", "utc_now_text"]

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".fetch.lock"


class FolderBusyError(RuntimeError):
    """Another process is fetching the same source and cycle."""


@contextmanager
def folder_lock(folder: Path) -> Iterator[Path]:
    """Hold an exclusive ``fcntl`` lock on ``<folder>/.fetch.lock``; fail at once if another process has it.

    The lock lives in the kernel and goes with the process, so a crashed fetch never leaves it held.
    """
    def busy(path: Path) -> FolderBusyError:
        return FolderBusyError(f"{folder}: another fetch of this source and cycle is running ({path})")

    with exclusive_lock(folder / LOCK_NAME, busy) as path:
        yield path


def utc_now_text(now: pd.Timestamp | None = None) -> str:
    """ISO 8601 UTC text of ``now`` (default: the current time), to the second."""
    ts = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FileRecord:
    """One fetched file: name in the source folder, size [bytes], SHA-256, origin and fetch time."""

    file: str
    size: int
    sha256: str
    url: str | None
    fetched_at: str
    step_h: int | None = None
    ranges: list[list[int | None]] | None = None
    messages: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    source_path: str | None = None
    source_mtime: float | None = None
    request: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileRecord:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class Manifest:
    """What one source holds for one cycle; saved after every file so an interrupted run loses nothing."""

    path: Path
    source: str
    kind: str
    cycle: str
    status: str = "incomplete"
    expected: list[str] | None = None
    late_since: str | None = None
    updated_at: str | None = None
    fingerprint: str | None = None
    files: dict[str, FileRecord] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The source's folder for this cycle."""
        return self.path.parent

    @classmethod
    def load(cls, folder: Path, source: str, kind: str, cycle: str, fingerprint: str | None = None) -> Manifest:
        """The manifest in ``folder``, or an empty one when there is none, it is unreadable, or it was
        made with another configuration (``fingerprint`` of what decides the files' content)."""
        path = Path(folder) / MANIFEST_NAME
        empty = cls(path=path, source=source, kind=kind, cycle=cycle, fingerprint=fingerprint)
        if not path.is_file():
            return empty
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = {rec["file"]: FileRecord.from_dict(rec) for rec in data.get("files", [])}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s: unreadable manifest (%s); every file will be checked again", path, exc)
            return empty
        if data.get("cycle") != cycle or data.get("source") != source:
            log.warning(
                "%s: manifest is for %s/%s, not %s/%s; ignored",
                path,
                data.get("cycle"),
                data.get("source"),
                cycle,
                source,
            )
            return empty
        if fingerprint is not None and data.get("fingerprint") != fingerprint:
            log.info("%s: the source's configuration changed since these files were fetched; fetching again", path)
            return empty
        return cls(
            path=path,
            source=source,
            kind=kind,
            cycle=cycle,
            status=data.get("status", "incomplete"),
            expected=data.get("expected"),
            late_since=data.get("late_since"),
            updated_at=data.get("updated_at"),
            fingerprint=fingerprint,
            files=files,
        )

    def verified(self, name: str) -> FileRecord | None:
        """The record of ``name`` if the file is on disk with the recorded size and SHA-256, else ``None``.

        A file that changed on disk is logged and dropped from the manifest, so that it is fetched again.
        """
        record = self.files.get(name)
        path = self.folder / name
        if record is None or not path.is_file():
            return None
        size = path.stat().st_size
        if size != record.size or sha256_file(path) != record.sha256:
            log.warning(
                "%s: differs from the manifest (size %d, recorded %d, or checksum); fetching it again",
                path,
                size,
                record.size,
            )
            del self.files[name]
            self.status = "incomplete"
            return None
        return record

    def all_verified(self) -> bool:
        """Whether the source was completed and every expected file is still intact."""
        if self.status != "complete" or self.expected is None:
            return False
        return all(self.verified(name) is not None for name in self.expected)

    def add(self, record: FileRecord) -> None:
        """Record a file and save."""
        self.files[record.file] = record
        self.save()

    def complete(self, expected: list[str]) -> None:
        """Mark the source complete with exactly the files ``expected``, and save."""
        self.expected = list(expected)
        self.status = "complete"
        self.late_since = None
        self.save()

    def save(self) -> None:
        """Write atomically (temporary file, then rename)."""
        self.updated_at = utc_now_text()
        data = {
            "source": self.source,
            "kind": self.kind,
            "cycle": self.cycle,
            "status": self.status,
            "expected": self.expected,
            "late_since": self.late_since,
            "updated_at": self.updated_at,
            "fingerprint": self.fingerprint,
            "files": [asdict(rec) for rec in sorted(self.files.values(), key=lambda r: r.file)],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
