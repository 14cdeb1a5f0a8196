"""The one entry point for observation files: detect the format from the header, read, QC.

>>> batch = read_observation_file("Hanoi_PM2.5_2016_YTD.csv", StationRegistry.from_dir())  # doctest: +SKIP
>>> batch.source_format, len(batch.obs)
('stateair', 8784)
"""

from __future__ import annotations

import logging
from pathlib import Path

from configs.errors import InputFileError
from configs.networks import StationRegistry
from met_inputs.observations.batch import (
    ObservationBatch,
    conform_met,
    conform_obs,
    empty_met,
    empty_obs,
    file_sha256,
)
from met_inputs.observations.qc import DEFAULT_QC, QCConfig, apply_met_qc, apply_qc
from met_inputs.observations.readers import FORMATS, Format
from met_inputs.observations.tabular import Sniffed, read_text_table, sniff
from met_inputs.observations.timeconv import check_zone

logger = logging.getLogger(__name__)


def expected_formats() -> str:
    """Human list of the formats we read, for error messages."""
    return "; ".join(f.description for f in FORMATS)


def detect_format(path: Path | str) -> tuple[Format, Sniffed]:
    """The format of ``path``, judged from its header (never its name).

    Raises
    ------
    InputFileError
        Binary/empty file, a header that matches no format ("unrecognised format; expected one of …"),
        or a recognised format with required columns missing (naming them).
    """
    path = Path(path)
    sniffed = sniff(path)
    columns = frozenset(sniffed.columns)
    for fmt in FORMATS:
        if fmt.matches(columns):
            missing = fmt.missing_columns(columns)
            if missing:
                raise InputFileError(
                    path,
                    f"looks like {fmt.description} but is missing column(s): {', '.join(missing)}",
                    row=1 if sniffed.kind == "csv" else None,
                )
            return fmt, sniffed
    header = ",".join(sniffed.columns)
    raise InputFileError(
        path,
        f"unrecognised format; expected one of: {expected_formats()} (header was: {header[:200]!r})",
        row=1 if sniffed.kind == "csv" else None,
    )


def read_observation_file(
    path: Path | str,
    registry: StationRegistry,
    tz: str | None = None,
    qc: QCConfig = DEFAULT_QC,
) -> ObservationBatch:
    """Read any supported observation file into an :class:`ObservationBatch`, QC flags set.

    Parameters
    ----------
    path : path-like
        CSV or Parquet file of one of the formats in :data:`met_inputs.observations.readers.FORMATS`.
    registry : configs.networks.StationRegistry
        Stations by id and alias; a station it does not know is an error.
    tz : str, optional
        IANA zone of offset-less stamps in *generic* files. Source formats with a documented local
        time ignore it (their stations' zones apply).
    qc : QCConfig
        QC thresholds.

    Raises
    ------
    InputFileError
        Anything wrong with the file, naming file, line, column and reason.
    """
    path = Path(path).resolve()
    if tz is not None:
        check_zone(tz)
    fmt, sniffed = detect_format(path)
    table = read_text_table(path, sniffed)
    result = fmt.read(path, table, registry, tz)
    obs = conform_obs(apply_qc(result.obs, qc)) if len(result.obs) else empty_obs()
    met = conform_met(apply_met_qc(result.met, qc)) if len(result.met) else empty_met()
    if obs.empty and met.empty:
        raise InputFileError(path, "no observations in the file")
    for note in result.notes:
        logger.info("%s: %s", path.name, note)
    return ObservationBatch(obs, met, path, file_sha256(path), fmt.name, list(result.notes))
