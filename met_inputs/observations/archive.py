"""The observation archive of a home: ingest files, query rows, build (station, time) cubes, report status.

Storage is described in :mod:`met_inputs.observations.storage`, the ingest steps in
:mod:`met_inputs.observations.ingest` and the conflict policy in :mod:`met_inputs.observations.merge`.
Queries read only the partitions (station × UTC year) they need and take no lock: every partition
file is replaced atomically, so a reader always sees whole partitions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from configs.networks import StationRegistry
from configs.schema import MET_VARIABLES
from configs.settings import HomeLayout
from met_inputs.observations.cube import pollutant_cube, to_cube
from met_inputs.observations.ingest import Progress, run_ingest
from met_inputs.observations.ingest_log import IngestLog
from met_inputs.observations.qc import DEFAULT_QC, QCConfig, passes_qc
from met_inputs.observations.report import IngestReport
from met_inputs.observations.status import summarise
from met_inputs.observations.storage import NAME_COLUMN, list_partitions, read_partitions

logger = logging.getLogger(__name__)

TimeLike = str | pd.Timestamp | np.datetime64 | None


def _utc(value: TimeLike) -> pd.Timestamp | None:
    """A time bound as a tz-aware UTC Timestamp; naive input is taken to be UTC."""
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


class ObservationArchive:
    """Hive-partitioned Parquet archive of hourly observations under ``<home>/archive``.

    Parameters
    ----------
    layout : configs.settings.HomeLayout
        The home; the archive lives in ``layout.archive``.
    registry : configs.networks.StationRegistry, optional
        Default registry for :meth:`ingest` and :meth:`met_for_station`.
    """

    def __init__(self, layout: HomeLayout, registry: StationRegistry | None = None):
        self.layout = layout
        self.root = layout.archive
        self.registry = registry

    # --- writing -----------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[Path | str],
        registry: StationRegistry | None = None,
        replace: bool = False,
        tz: str | None = None,
        *,
        qc: QCConfig = DEFAULT_QC,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Read, validate and store observation files (all-or-nothing validation, idempotent).

        Parameters
        ----------
        paths : iterable of path-like
            Files (any supported format, judged by content) or folders (``*.csv``/``*.parquet``,
            recursively).
        registry : StationRegistry, optional
            Stations by id/alias; defaults to the one given to the constructor.
        replace : bool
            Let different values overwrite stored ones (and re-read files already ingested).
        tz : str, optional
            IANA zone of offset-less stamps in generic files.
        qc : QCConfig
            QC thresholds.
        progress : callable, optional
            ``progress(path, done, total)`` after each file is read.

        Returns
        -------
        IngestReport
            Per file: status, rows new / unchanged / filled / conflict / replaced, QC flag counts;
            conflicting periods.

        Raises
        ------
        configs.errors.InputFileError
            A bad file (nothing is written), an unknown station, a missing path.
        met_inputs.observations.lock.ArchiveBusyError
            Another ingest holds the writer lock.
        """
        registry = registry or self.registry
        if registry is None:
            raise ValueError("ingest needs a StationRegistry")
        return run_ingest(self.root, paths, registry, replace=replace, tz=tz, qc=qc, progress=progress)

    def ingest_log(self) -> pd.DataFrame:
        """The ingest log: one row per ingested file (path, sha256, format, rows, period, time)."""
        return pd.DataFrame(IngestLog(self.root).entries())

    # --- reading -----------------------------------------------------------------------------
    def _load(
        self,
        table: str,
        stations: Sequence[str] | None,
        start: TimeLike,
        end: TimeLike,
        names: Sequence[str] | None,
        only_valid: bool,
        *,
        columns: list[str] | None = None,
        categorical: Sequence[str] = (),
        sort: bool = True,
    ) -> pd.DataFrame:
        start_utc, end_utc = _utc(start), _utc(end)
        years = None
        if start_utc is not None and end_utc is not None:
            years = range(start_utc.year, end_utc.year + 1)
        parts = list_partitions(self.root, table, stations, years)
        if start_utc is not None or end_utc is not None:
            lo = start_utc.year if start_utc is not None else -1
            hi = end_utc.year if end_utc is not None else 10_000
            parts = [p for p in parts if lo <= p[1] <= hi]
        frame = read_partitions([f for _, _, f in parts], table, columns=columns, categorical=categorical)
        name_column = NAME_COLUMN[table]
        mask = np.ones(len(frame), dtype=bool)
        if start_utc is not None:
            mask &= (frame["time"] >= start_utc).to_numpy()
        if end_utc is not None:
            mask &= (frame["time"] <= end_utc).to_numpy()
        if names is not None:
            mask &= frame[name_column].isin(list(names)).to_numpy()
        if only_valid:
            mask &= frame["value"].notna().to_numpy() & passes_qc(frame["qc_flag"].to_numpy())
        frame = frame.loc[mask]
        if not sort:
            return frame.reset_index(drop=True)
        return frame.sort_values(["station_id", name_column, "time"], kind="stable").reset_index(drop=True)

    def load(
        self,
        stations: Sequence[str] | None = None,
        start: TimeLike = None,
        end: TimeLike = None,
        pollutants: Sequence[str] | None = None,
        only_valid: bool = True,
    ) -> pd.DataFrame:
        """Pollutant rows as a long frame.

        Parameters
        ----------
        stations : sequence of str, optional
            Station ids (all when omitted).
        start, end : time-like, optional
            Inclusive bounds on the hour-ending UTC ``time`` (naive values are taken as UTC).
        pollutants : sequence of str, optional
            Pollutant keys (all when omitted).
        only_valid : bool
            Keep only rows with a value that passes QC.

        Returns
        -------
        pandas.DataFrame
            Columns ``station_id, time`` [UTC, tz-aware, hour-ending], ``pollutant, value`` [µg/m³],
            ``qc_flag, unit_original, source_qc, source_file, source_sha256``; sorted by station,
            pollutant, time.
        """
        return self._load("observations", stations, start, end, pollutants, only_valid)

    def load_met(
        self,
        stations: Sequence[str] | None = None,
        start: TimeLike = None,
        end: TimeLike = None,
        variables: Sequence[str] | None = None,
        only_valid: bool = True,
    ) -> pd.DataFrame:
        """Observed-met rows as a long frame (``station_id, time, variable, value, qc_flag, …``);
        units as in :data:`configs.schema.MET_VARIABLES`. Arguments as for :meth:`load`."""
        return self._load("met", stations, start, end, variables, only_valid)

    def to_dataset(
        self,
        stations: Sequence[str] | None = None,
        start: TimeLike = None,
        end: TimeLike = None,
        pollutants: Sequence[str] | None = None,
        only_valid: bool = True,
    ) -> xr.Dataset:
        """Pollutants on a regular hourly axis: dims ``(station, time)``, one variable per pollutant.

        ``time`` is numpy ``datetime64[ns]`` without a zone, meaning UTC, hour-ending, every hour
        from ``start`` (else the first row) to ``end`` (else the last row). Values are µg/m³, NaN
        where no row exists or (with ``only_valid``) the row fails QC. Stations and pollutants
        asked for but absent are all-NaN; otherwise those present are returned.
        """
        frame = self.load(stations, start, end, pollutants, only_valid)
        return pollutant_cube(
            frame,
            self._stations(stations, frame),
            _utc(start),
            _utc(end),
            pollutants,
            {
                "title": "observed hourly concentrations",
                "source": str(self.root),
                "qc": "only values passing QC" if only_valid else "all stored values",
            },
        )

    def met_dataset(
        self,
        stations: Sequence[str] | None = None,
        start: TimeLike = None,
        end: TimeLike = None,
        variables: Sequence[str] | None = None,
        only_valid: bool = True,
    ) -> xr.Dataset:
        """Observed met on a regular hourly axis, dims ``(station, time)``; like :meth:`to_dataset`."""
        frame = self.load_met(stations, start, end, variables, only_valid)
        names = (
            list(variables)
            if variables is not None
            else [v for v in MET_VARIABLES if v in set(frame["variable"])]
        )
        attrs = {v: {"units": MET_VARIABLES.get(v, "")} for v in names}
        return to_cube(
            frame,
            "variable",
            names,
            self._stations(stations, frame),
            _utc(start),
            _utc(end),
            attrs,
            {"title": "observed hourly meteorology", "source": str(self.root)},
        )

    def met_for_station(
        self,
        station_id: str,
        registry: StationRegistry | None = None,
        start: TimeLike = None,
        end: TimeLike = None,
        variables: Sequence[str] | None = None,
        only_valid: bool = True,
    ) -> pd.DataFrame:
        """Observed met that ``station_id`` uses (``registry.met_station_for``), wide by variable.

        Returns
        -------
        pandas.DataFrame
            Index ``time`` [UTC, hour-ending], one column per variable; ``attrs["met_station"]``
            names the weather station (empty frame and ``None`` when the station has none).
        """
        registry = registry or self.registry
        if registry is None:
            raise ValueError("met_for_station needs a StationRegistry")
        met_station = registry.met_station_for(registry.get(station_id).id)
        if met_station is None:
            frame = pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC", name="time"))
        else:
            long = self.load_met([met_station], start, end, variables, only_valid)
            frame = long.pivot_table(index="time", columns="variable", values="value", aggfunc="first")
            frame.columns.name = None
        frame.attrs["met_station"] = met_station
        return frame

    @staticmethod
    def _stations(stations: Sequence[str] | None, frame: pd.DataFrame) -> list[str]:
        return list(stations) if stations is not None else sorted(set(frame["station_id"]))

    # --- status ------------------------------------------------------------------------------
    _STATUS_READ = {
        "columns": ["station_id", "time", "pollutant", "value", "qc_flag", "source_file"],
        "categorical": ["station_id", "source_file"],
        "sort": False,
    }

    def status(self, stations: Sequence[str] | None = None) -> pd.DataFrame:
        """Per station × pollutant: first, last, hours present, expected hours, completeness %,
        % passing QC, counts per QC flag name and source files (see
        :func:`met_inputs.observations.status.summarise`)."""
        return summarise(
            self._load("observations", stations, None, None, None, False, **self._STATUS_READ), "pollutant"
        )

    def met_status(self, stations: Sequence[str] | None = None) -> pd.DataFrame:
        """Like :meth:`status`, per station × met variable."""
        status_read = {
            **self._STATUS_READ,
            "columns": [*self._STATUS_READ["columns"][:2], "variable", *self._STATUS_READ["columns"][3:]],
        }
        return summarise(self._load("met", stations, None, None, None, False, **status_read), "variable")
