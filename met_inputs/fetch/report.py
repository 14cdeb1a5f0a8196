"""What a fetch of one cycle did, per source, and the exit code it maps to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

__all__ = ["EXIT_FAILED", "EXIT_LATE", "EXIT_OK", "FetchReport", "SourceResult", "SourceStatus"]

SourceStatus = Literal["complete", "skipped", "late", "failed"]
"""``complete``: fetched now (possibly keeping some files from an earlier run); ``skipped``: already
complete and verified, nothing fetched; ``late``: not published yet, before its usual time; ``failed``."""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_LATE = 3


@dataclass(frozen=True)
class SourceResult:
    """Outcome for one source.

    Attributes
    ----------
    name, kind : str
        Source name and fetcher kind.
    status : SourceStatus
        See :data:`SourceStatus`.
    folder : pathlib.Path
        ``<home>/<inputs_dir>/<cycle>/<name>/``.
    files : int
        Files of the source now in the folder and in the manifest (fetched + kept).
    fetched : int
        Files downloaded or copied by this run.
    bytes : int
        Bytes downloaded or copied by this run [bytes].
    seconds : float
        Wall time spent on the source [s].
    reason : str
        Why it is late or failed ("already complete" when skipped); empty when complete.
    expected_at : pandas.Timestamp
        Cycle + ``available_after_h`` [UTC].
    """

    name: str
    kind: str
    status: SourceStatus
    folder: Path
    files: int = 0
    fetched: int = 0
    bytes: int = 0
    seconds: float = 0.0
    reason: str = ""
    expected_at: pd.Timestamp | None = None

    @property
    def ok(self) -> bool:
        """Whether the source's files are all there (complete or skipped)."""
        return self.status in ("complete", "skipped")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "folder": str(self.folder),
            "files": self.files,
            "fetched": self.fetched,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "reason": self.reason,
            "expected_at": None if self.expected_at is None else self.expected_at.isoformat(),
        }


@dataclass(frozen=True)
class FetchReport:
    """Outcome of :func:`met_inputs.fetch.fetch_cycle` for every requested source."""

    cycle: pd.Timestamp
    results: tuple[SourceResult, ...]

    def __getitem__(self, name: str) -> SourceResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no source {name!r} in this report")

    @property
    def ok(self) -> bool:
        """Every requested source is complete."""
        return all(r.ok for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 all complete; 1 any failed (even if others are late); 3 some late, none failed."""
        statuses = {r.status for r in self.results}
        if "failed" in statuses:
            return EXIT_FAILED
        if "late" in statuses:
            return EXIT_LATE
        return EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "cycle": self.cycle.strftime("%Y-%m-%dT%HZ"),
            "exit_code": self.exit_code,
            "sources": [r.to_dict() for r in self.results],
        }
