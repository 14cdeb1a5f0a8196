"""Hive-partitioned Parquet storage of the archive: paths, schemas, atomic partition writes.

Layout under ``<home>/archive``::

    observations/station_id=<id>/year=<YYYY>/part-0.parquet
    met/station_id=<id>/year=<YYYY>/part-0.parquet
    ingest_log.jsonl
    .ingest.lock

``year`` is the UTC year of the hour-ending ``time``. Each partition is one file, rewritten whole
by :func:`write_partition`: the new content goes to a hidden temporary file in the same folder,
is flushed to disk, and replaces the old file with one ``os.replace`` — a reader (or a crash) sees
the old partition or the new one, never half of one. DuckDB reads the archive as
``read_parquet('<archive>/observations/*/*/*.parquet', hive_partitioning = true)``.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

PART_NAME = "part-0.parquet"
TABLES = ("observations", "met")

OBS_SCHEMA = pa.schema(
    [
        ("station_id", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        ("pollutant", pa.string()),
        ("value", pa.float64()),
        ("qc_flag", pa.int32()),
        ("unit_original", pa.string()),
        ("source_qc", pa.string()),
        ("source_file", pa.string()),
        ("source_sha256", pa.string()),
    ],
    metadata={b"units": b"value: ug m-3", b"time": b"UTC, hour-ending"},
)
MET_SCHEMA = pa.schema(
    [
        ("station_id", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        ("variable", pa.string()),
        ("value", pa.float64()),
        ("qc_flag", pa.int32()),
        ("source_file", pa.string()),
        ("source_sha256", pa.string()),
    ],
    metadata={b"units": b"value: see configs.schema.MET_VARIABLES", b"time": b"UTC, hour-ending"},
)
SCHEMAS = {"observations": OBS_SCHEMA, "met": MET_SCHEMA}
NAME_COLUMN = {"observations": "pollutant", "met": "variable"}


def partition_dir(root: Path, table: str, station_id: str, year: int) -> Path:
    """Folder of one partition."""
    return root / table / f"station_id={station_id}" / f"year={int(year)}"


def list_partitions(
    root: Path, table: str, stations: Iterable[str] | None = None, years: Iterable[int] | None = None
) -> list[tuple[str, int, Path]]:
    """Existing partitions ``(station_id, year, file)``, optionally only some stations and years.

    Only the folders asked for are listed, so a query for one station never touches the others.
    """
    base = root / table
    if not base.is_dir():
        return []
    if stations is None:
        station_dirs = sorted(p for p in base.glob("station_id=*") if p.is_dir())
    else:
        station_dirs = [base / f"station_id={s}" for s in sorted(set(stations))]
    wanted = None if years is None else {int(y) for y in years}
    out = []
    for sdir in station_dirs:
        if not sdir.is_dir():
            continue
        station = sdir.name.split("=", 1)[1]
        for ydir in sorted(sdir.glob("year=*")):
            year = int(ydir.name.split("=", 1)[1])
            part = ydir / PART_NAME
            if (wanted is None or year in wanted) and part.is_file():
                out.append((station, year, part))
    return out


def empty_frame(table: str) -> pd.DataFrame:
    """A frame with the table's columns and dtypes and no rows."""
    return SCHEMAS[table].empty_table().to_pandas()


def read_partitions(
    files: Iterable[Path], table: str, columns: list[str] | None = None, categorical: Iterable[str] = ()
) -> pd.DataFrame:
    """Concatenate partition files into one pandas frame (``time`` tz-aware UTC).

    ``categorical`` names string columns to return as pandas categoricals (faster group-bys).
    """
    categorical = list(categorical)
    tables = [pq.read_table(f, columns=columns, read_dictionary=categorical or None) for f in files]
    if not tables:
        frame = empty_frame(table)
        return frame if columns is None else frame[columns]
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


def write_partition(directory: Path, frame: pd.DataFrame, table: str) -> Path:
    """Atomically replace the partition in ``directory`` with ``frame``.

    Returns the partition file. The temporary file is hidden (``.``-prefixed) so globbing readers
    never pick it up, and is removed if writing fails.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / PART_NAME
    tmp = directory / f".{PART_NAME}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    arrow = pa.Table.from_pandas(frame, schema=SCHEMAS[table], preserve_index=False)
    arrow = arrow.replace_schema_metadata(SCHEMAS[table].metadata)  # no pandas metadata: stable bytes
    try:
        pq.write_table(arrow, tmp, compression="zstd")
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
    return target


def remove_stale_temporaries(root: Path) -> int:
    """Delete temporary files a crashed writer left behind; returns how many. Call under the lock."""
    count = 0
    for table in TABLES:
        for tmp in (root / table).glob(f"*/*/.{PART_NAME}.tmp-*"):
            tmp.unlink(missing_ok=True)
            count += 1
    if count:
        logger.warning("removed %d temporary file(s) left by an interrupted ingest", count)
    return count


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
