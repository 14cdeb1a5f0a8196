"""Feature inputs from the observation archive: pollutants and each station's observed met."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from configs.networks import Station, StationRegistry
from configs.schema import STATION
from features.spec import MET_INPUT_VARIABLES
from features.table import FeatureInputs
from met_inputs.observations import ObservationArchive

logger = logging.getLogger(__name__)


def station_met(
    archive: ObservationArchive, registry: StationRegistry, station_ids: Sequence[str], start, end
) -> tuple[xr.Dataset | None, dict[str, str | None]]:
    """Observed met per air-quality station (its ``met_station``), dims (station, time).

    Returns the Dataset indexed by the air-quality station ids (None when no station has met) and the
    mapping station → weather station used (None where there is none within reach).
    """
    mapping = {sid: registry.met_station_for(sid) for sid in station_ids}
    sources = sorted({m for m in mapping.values() if m is not None})
    if not sources:
        return None, mapping
    met = archive.met_dataset(sources, start, end, list(MET_INPUT_VARIABLES))
    with_met = [sid for sid in station_ids if mapping[sid] is not None]
    picked = met.sel({STATION: [mapping[sid] for sid in with_met]}).assign_coords({STATION: with_met})
    empty = [v for v in picked.data_vars if not np.isfinite(picked[v].values).any()]
    return picked.drop_vars(empty), mapping


def archive_inputs(
    archive: ObservationArchive,
    registry: StationRegistry,
    stations: Sequence[str | Station] | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
    pollutants: Sequence[str] | None = None,
    with_met: bool = True,
) -> FeatureInputs:
    """Observations (and observed met) of ``stations`` between ``start`` and ``end`` [UTC].

    ``stations`` default to every air-quality station with observations in the archive.
    """
    if stations is None:
        status = archive.status()
        ids = sorted(set(status["station_id"])) if not status.empty else []
    else:
        ids = [s.id if isinstance(s, Station) else registry.get(s).id for s in stations]
    obs = archive.to_dataset(ids, start, end, pollutants)
    met, mapping = station_met(archive, registry, ids, start, end) if with_met else (None, {})
    missing = [sid for sid, m in mapping.items() if m is None]
    if with_met and missing:
        logger.info("no observed met within reach for %s: their met features are missing", ", ".join(missing))
    return FeatureInputs(observations=obs, stations=[registry.get(sid) for sid in ids], met=met)
