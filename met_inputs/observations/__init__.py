"""Observation archive: readers for every source, QC flags, and the hive-partitioned Parquet archive.

Public API::

    read_observation_file(path, registry, tz=None) -> ObservationBatch   # any supported format
    read_generic_table(path, tz=None) -> pandas.DataFrame                 # generic long/wide, no registry
    ObservationArchive(layout).ingest(paths, registry) / .load() / .to_dataset() / .status()
    QCFlag, passes_qc

Times are UTC, tz-aware and hour-ending; concentrations are µg/m³ (see :mod:`configs.schema`).
"""

from met_inputs.observations.archive import ObservationArchive
from met_inputs.observations.batch import ObservationBatch
from met_inputs.observations.detect import detect_format, read_observation_file
from met_inputs.observations.lock import ArchiveBusyError
from met_inputs.observations.qc import BAD_FLAGS, DEFAULT_QC, QCConfig, QCFlag, flag_names, passes_qc
from met_inputs.observations.readers.generic import read_generic_table
from met_inputs.observations.report import IngestReport

__all__ = [
    "ArchiveBusyError",
    "BAD_FLAGS",
    "IngestReport",
    "ObservationArchive",
    "DEFAULT_QC",
    "ObservationBatch",
    "QCConfig",
    "QCFlag",
    "detect_format",
    "flag_names",
    "passes_qc",
    "read_generic_table",
    "read_observation_file",
]
