"""The contract every observation reader returns: :class:`ObservationBatch`.

Two long tables, both with ``time`` in UTC, timezone-aware and **hour-ending** (the value stamped
10:00 is the mean over 09:00–10:00, see :mod:`configs.schema`):

``obs``
    ``station_id`` [our id], ``time``, ``pollutant`` [key of :data:`configs.schema.POLLUTANTS`],
    ``value`` [µg/m³, float64; NaN where the source wrote a missing code], ``unit_original`` [the
    unit as the source spelt it], ``qc_flag`` [int32 bitmask of :class:`~met_inputs.observations.qc.QCFlag`],
    ``source_qc`` [the source's own QC label, e.g. StateAir ``Valid``/``Invalid``, or ``None``].
``met``
    ``station_id``, ``time``, ``variable`` [key of :data:`configs.schema.MET_VARIABLES`], ``value``
    [in the unit :data:`~configs.schema.MET_VARIABLES` gives], ``qc_flag``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from met_inputs.files import sha256_file as file_sha256  # noqa: F401  (re-exported)

OBS_COLUMNS: tuple[str, ...] = (
    "station_id",
    "time",
    "pollutant",
    "value",
    "unit_original",
    "qc_flag",
    "source_qc",
)
MET_COLUMNS: tuple[str, ...] = ("station_id", "time", "variable", "value", "qc_flag")
OBS_KEY: tuple[str, ...] = ("station_id", "time", "pollutant")
MET_KEY: tuple[str, ...] = ("station_id", "time", "variable")

QC_DTYPE = np.int32
TIME_DTYPE = pd.DatetimeTZDtype("ns", "UTC")


def empty_obs() -> pd.DataFrame:
    """An ``obs`` table with no rows and the right dtypes."""
    return conform_obs(pd.DataFrame({c: [] for c in OBS_COLUMNS}))


def empty_met() -> pd.DataFrame:
    """A ``met`` table with no rows and the right dtypes."""
    return conform_met(pd.DataFrame({c: [] for c in MET_COLUMNS}))


def conform_obs(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in contract order and dtypes (``source_qc`` stays object: ``str`` or ``None``)."""
    out = frame.loc[:, list(OBS_COLUMNS)].copy()
    out["station_id"] = out["station_id"].astype(object)
    out["time"] = pd.to_datetime(out["time"], utc=True).astype(TIME_DTYPE)
    out["pollutant"] = out["pollutant"].astype(object)
    out["value"] = out["value"].astype("float64")
    out["unit_original"] = out["unit_original"].astype(object)
    out["qc_flag"] = out["qc_flag"].astype(QC_DTYPE)
    out["source_qc"] = out["source_qc"].astype(object).where(out["source_qc"].notna(), None)
    return out.reset_index(drop=True)


def conform_met(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in contract order and dtypes."""
    out = frame.loc[:, list(MET_COLUMNS)].copy()
    out["station_id"] = out["station_id"].astype(object)
    out["time"] = pd.to_datetime(out["time"], utc=True).astype(TIME_DTYPE)
    out["variable"] = out["variable"].astype(object)
    out["value"] = out["value"].astype("float64")
    out["qc_flag"] = out["qc_flag"].astype(QC_DTYPE)
    return out.reset_index(drop=True)




@dataclass
class ObservationBatch:
    """Everything one source file holds, converted to our names, units and UTC hour-ending times.

    Attributes
    ----------
    obs : pandas.DataFrame
        Long pollutant table, columns :data:`OBS_COLUMNS` (see module docstring).
    met : pandas.DataFrame
        Long observed-meteorology table, columns :data:`MET_COLUMNS`.
    source_path : pathlib.Path
        The file read (absolute).
    sha256 : str
        SHA-256 of the file's bytes; the archive uses it to make re-ingesting idempotent.
    source_format : str
        Name of the detected format, e.g. ``stateair`` or ``generic-long``.
    notes : list of str
        Things the reader did that a person may want to know (rows dropped, duplicates resolved).
    """

    obs: pd.DataFrame
    met: pd.DataFrame
    source_path: Path
    sha256: str
    source_format: str
    notes: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        """Number of ``obs`` plus ``met`` rows."""
        return len(self.obs) + len(self.met)

    def time_range(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """First and last hour-ending UTC time over ``obs`` and ``met`` (``None`` when empty)."""
        times = pd.concat([self.obs["time"], self.met["time"]])
        if times.empty:
            return None, None
        return times.min(), times.max()

    def stations(self) -> list[str]:
        """Station ids present in ``obs`` or ``met``, sorted."""
        return sorted(set(self.obs["station_id"]).union(self.met["station_id"]))
