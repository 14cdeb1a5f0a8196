"""Ingest files into the archive: read and validate everything, then merge partition by partition.

Order of work, and why:

1. Expand folders (``*.csv``/``*.parquet``, recursively, sorted) and hash every file. A file whose
   SHA-256 is already in the ingest log is skipped (reported ``skipped``) — re-ingesting is a no-op.
   With ``replace=True`` known files are read again, so a file can be re-applied over later ones.
2. Read and validate **all** remaining files. Any bad file raises :class:`InputFileError` here,
   before the archive is touched: nothing at all is written.
3. Take the writer lock, then for each affected partition merge the incoming rows with the stored
   ones (policy: :mod:`met_inputs.observations.merge`) and atomically rewrite it if anything
   changed. Conflicting rows (a different value for a stored key) are not written without
   ``replace``; the other rows of the same file are — a late correction to a few hours must not
   hold back a month of new data. Conflicts are counted and reported per file, station and period.
4. Append one ingest-log line per ingested file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from configs.errors import InputFileError
from configs.networks import StationRegistry
from met_inputs.observations.batch import MET_KEY, OBS_KEY, ObservationBatch, file_sha256
from met_inputs.observations.detect import read_observation_file
from met_inputs.observations.ingest_log import IngestLog
from met_inputs.observations.lock import archive_lock
from met_inputs.observations.merge import ORDER, merge_partition
from met_inputs.observations.qc import DEFAULT_QC, QCConfig, QCFlag
from met_inputs.observations.report import ConflictPeriod, FileReport, IngestReport
from met_inputs.observations.storage import (
    NAME_COLUMN,
    list_partitions,
    partition_dir,
    read_partitions,
    remove_stale_temporaries,
    write_partition,
)
from met_inputs.observations.timeconv import check_zone

logger = logging.getLogger(__name__)

SUFFIXES = (".csv", ".parquet")
Progress = Callable[[Path, int, int], None]
"""``progress(path, files_done, files_total)``, called after each file is read."""


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files to ingest: each file as given (its format is judged from content), and every
    ``*.csv``/``*.parquet`` below each folder (recursively, sorted, hidden files skipped)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                raise InputFileError(path, "no .csv or .parquet files in this folder")
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            raise InputFileError(path, "no such file or folder")
    return list(dict.fromkeys(out))


def _flag_counts(batch: ObservationBatch) -> dict[str, int]:
    flags = np.concatenate([batch.obs["qc_flag"].to_numpy(np.int64), batch.met["qc_flag"].to_numpy(np.int64)])
    counts = {flag.name: int(((flags & int(flag)) != 0).sum()) for flag in QCFlag}
    return {name: n for name, n in counts.items() if n}


def read_all(
    files: list[Path],
    registry: StationRegistry,
    *,
    known: dict,
    replace: bool,
    tz: str | None,
    qc: QCConfig,
    progress: Progress | None,
) -> tuple[list[FileReport], list[tuple[FileReport, ObservationBatch]]]:
    """Hash, skip known, read and validate every file. Raises on the first bad file."""
    reports: list[FileReport] = []
    batches: list[tuple[FileReport, ObservationBatch]] = []
    seen: dict[str, Path] = {}
    for i, path in enumerate(files, start=1):
        sha = file_sha256(path)
        if sha in seen:
            reports.append(FileReport(path, sha, "duplicate", notes=[f"same bytes as {seen[sha]}"]))
        elif sha in known and not replace:
            entry = known[sha]
            reports.append(
                FileReport(
                    path,
                    sha,
                    "skipped",
                    format=entry.get("format"),
                    notes=[f"already ingested at {entry.get('ingested_at')} from {entry.get('path')}"],
                )
            )
        else:
            batch = read_observation_file(path, registry, tz=tz, qc=qc)
            first, last = batch.time_range()
            report = FileReport(
                path,
                sha,
                "ingested",
                batch.source_format,
                len(batch.obs),
                len(batch.met),
                first=first,
                last=last,
                flag_counts=_flag_counts(batch),
                notes=list(batch.notes),
            )
            reports.append(report)
            batches.append((report, batch))
        seen.setdefault(sha, path)
        if progress is not None:
            progress(path, i, len(files))
    return reports, batches


def run_ingest(
    root: Path,
    paths: Iterable[Path | str],
    registry: StationRegistry,
    *,
    replace: bool = False,
    tz: str | None = None,
    qc: QCConfig = DEFAULT_QC,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest ``paths`` into the archive at ``root`` (see the module docstring for the steps)."""
    started = time.perf_counter()
    if tz is not None:
        check_zone(tz)
    files = expand_paths(paths)
    log = IngestLog(root)
    reports, batches = read_all(
        files, registry, known=log.by_hash(), replace=replace, tz=tz, qc=qc, progress=progress
    )
    report = IngestReport(reports, replace)
    if batches:
        with archive_lock(root):
            remove_stale_temporaries(root)
            known = log.by_hash()  # another ingest may have finished while we were reading
            if not replace:
                for file_report, _ in batches:
                    if file_report.sha256 in known:
                        file_report.status = "skipped"
                batches = [(r, b) for r, b in batches if r.status == "ingested"]
            for table, key, attr in (("observations", list(OBS_KEY), "obs"), ("met", list(MET_KEY), "met")):
                _merge_table(root, table, key, [(r, getattr(b, attr)) for r, b in batches], replace, report)
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            log.append([r.log_entry(stamp, replace) for r, _ in batches])
    report.seconds = time.perf_counter() - started
    return report


def _merge_table(
    root: Path,
    table: str,
    key: list[str],
    parts: list[tuple[FileReport, pd.DataFrame]],
    replace: bool,
    report: IngestReport,
) -> None:
    frames = []
    for index, (file_report, frame) in enumerate(parts):
        if len(frame):
            frames.append(
                frame.assign(source_file=str(file_report.path), source_sha256=file_report.sha256, _src=index)
            )
    if not frames:
        return
    # Column by column: DataFrame concat checks all-None object columns cell by cell.
    incoming = pd.DataFrame(
        {c: pd.concat([f[c] for f in frames], ignore_index=True) for c in frames[0].columns}
    )
    incoming[ORDER] = np.arange(len(incoming))
    name_column = NAME_COLUMN[table]
    years = incoming["time"].dt.year
    for (station_id, year), rows in incoming.groupby([incoming["station_id"], years], sort=True):
        files = [f for _, _, f in list_partitions(root, table, [station_id], [year])]
        current = read_partitions(files, table)
        changed = False
        # Files are applied one after the other, exactly as if ingested in separate calls.
        for src, file_rows in rows.groupby("_src", sort=True):
            out, categories = merge_partition(current, file_rows.drop(columns="_src"), key, replace)
            file_counts = parts[int(src)][0].counts
            for category, n in categories.value_counts().items():
                file_counts[category] += int(n)
            conflict = file_rows[categories.eq("conflict").to_numpy()]
            for name, group in conflict.groupby(name_column):
                report.conflicts.append(
                    ConflictPeriod(
                        parts[int(src)][0].path,
                        station_id,
                        name,
                        group["time"].min(),
                        group["time"].max(),
                        len(group),
                    )
                )
            if out is not None:
                current, changed = out, True
        if changed:
            write_partition(partition_dir(root, table, station_id, int(year)), current, table)
            report.partitions_written += 1
            logger.debug("wrote %s %s %s (%d rows)", table, station_id, year, len(current))
