"""What an ingest did, per file and in total: :class:`IngestReport`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from met_inputs.observations.merge import CATEGORIES


@dataclass
class ConflictPeriod:
    """Rows of one file whose values differ from the stored ones, for one station and variable."""

    file: Path
    station_id: str
    name: str
    """Pollutant or met variable."""
    first: pd.Timestamp
    last: pd.Timestamp
    rows: int


@dataclass
class FileReport:
    """One input file.

    ``status`` is ``ingested``, ``skipped`` (same SHA-256 already in the ingest log) or
    ``duplicate`` (same bytes as an earlier file of this call). Row counts add up over ``obs`` and
    ``met`` rows: ``new + unchanged + filled + conflict + replaced == rows``.
    """

    path: Path
    sha256: str
    status: str
    format: str | None = None
    obs_rows: int = 0
    met_rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    flag_counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.obs_rows + self.met_rows

    def log_entry(self, ingested_at: str, replace: bool) -> dict:
        """The ingest-log line for this file."""
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "format": self.format,
            "rows": self.rows,
            "obs_rows": self.obs_rows,
            "met_rows": self.met_rows,
            "time_first": None if self.first is None else self.first.isoformat(),
            "time_last": None if self.last is None else self.last.isoformat(),
            "ingested_at": ingested_at,
            "replace": replace,
            **{f"rows_{k}": v for k, v in self.counts.items()},
        }


@dataclass
class IngestReport:
    """Outcome of :meth:`ObservationArchive.ingest`."""

    files: list[FileReport]
    replace: bool
    conflicts: list[ConflictPeriod] = field(default_factory=list)
    partitions_written: int = 0
    seconds: float = 0.0

    def total(self, category: str) -> int:
        """Sum of one row category over all files."""
        return sum(f.counts.get(category, 0) for f in self.files)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def n_conflicts(self) -> int:
        return self.total("conflict")

    def skipped(self) -> list[FileReport]:
        return [f for f in self.files if f.status != "ingested"]

    def flag_counts(self) -> dict[str, int]:
        """QC flag name → number of rows carrying it, over all ingested files."""
        out: dict[str, int] = {}
        for report in self.files:
            for name, n in report.flag_counts.items():
                out[name] = out.get(name, 0) + n
        return out

    def as_dict(self) -> dict:
        """JSON-friendly form (paths and times as strings)."""
        return {
            "replace": self.replace,
            "seconds": self.seconds,
            "partitions_written": self.partitions_written,
            "files": [
                {
                    **{k: v for k, v in asdict(f).items() if k not in {"path", "first", "last"}},
                    "path": str(f.path),
                    "first": str(f.first),
                    "last": str(f.last),
                }
                for f in self.files
            ],
            "conflicts": [
                {
                    "file": str(c.file),
                    "station_id": c.station_id,
                    "name": c.name,
                    "first": str(c.first),
                    "last": str(c.last),
                    "rows": c.rows,
                }
                for c in self.conflicts
            ],
        }
