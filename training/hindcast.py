"""Rolling-origin hindcasts: issue times over an archive → training tables and forecast tables.

Issue times are processed in chunks of days; each chunk reads only the archive window it needs
(history before its first issue, 72 h after its last), so memory stays bounded on long archives
and the chunks can run on a ``dask.distributed`` cluster unchanged (pass ``client``). Every feature
of an issue uses only observations stamped at or before it (see :mod:`features.table`).

Hindcast table (one row per issue, station, pollutant and lead)
    ``issue_time`` [UTC], ``station_id``, ``pollutant``, ``lead_h`` [h, 1 … 72], ``valid_time``
    [UTC, hour-ending], ``forecast``, ``q10``, ``q50``, ``q90`` [µg/m³], ``observed`` [µg/m³, NaN where
    unknown], and the reference forecasts ``persistence`` (mean of the last 24 h observed before the
    issue) and ``climatology`` [µg/m³].
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from configs.networks import registry_for_home
from configs.schema import FORECAST_ROW_COLUMNS, REFERENCE_ROW_COLUMNS
from configs.settings import HomeLayout
from features.archive_inputs import archive_inputs
from features.spec import FeatureSpec
from features.table import FeatureInputs, build_feature_table, normalise_issue_times
from forecast.corrector import CorrectorModel

logger = logging.getLogger(__name__)

HINDCAST_COLUMNS = (*FORECAST_ROW_COLUMNS, *REFERENCE_ROW_COLUMNS)
HISTORY_DAYS = 9
"""Days of observations read before a chunk's first issue (windows of up to 8 days look back)."""


def rolling_issue_times(start, end, hours: Sequence[int] = (0, 12)) -> pd.DatetimeIndex:
    """Issue times at ``hours`` UTC on every day from ``start`` to ``end`` (dates, inclusive)."""
    bad = [h for h in hours if not 0 <= int(h) <= 23]
    if bad or not hours:
        raise ValueError(f"issue hours must be whole hours 0–23, got {list(hours)}")
    first = _utc(start).normalize()
    last = _utc(end).normalize() + pd.Timedelta(hours=23)
    if last < first:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    times = pd.date_range(first, last, freq="h")
    return times[times.hour.isin([int(h) for h in hours])]


def _utc(value) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def chunks(issue_times: pd.DatetimeIndex, days: int) -> list[pd.DatetimeIndex]:
    """Split issue times into consecutive blocks of at most ``days`` days."""
    if len(issue_times) == 0:
        return []
    bucket = ((issue_times - issue_times[0]) // pd.Timedelta(days=days)).to_numpy()
    return [issue_times[bucket == b] for b in np.unique(bucket)]


@dataclass(frozen=True)
class ArchiveSource:
    """Where a hindcast reads its inputs: a home's archive (picklable, so Dask workers can read it)."""

    home: Path
    stations: tuple[str, ...] | None = None
    pollutants: tuple[str, ...] | None = None
    with_met: bool = True

    def load(self, first_issue: pd.Timestamp, last_issue: pd.Timestamp, max_lead: int = 72) -> FeatureInputs:
        from met_inputs.observations import ObservationArchive

        layout = HomeLayout(Path(self.home))
        registry = registry_for_home(layout.networks)
        archive = ObservationArchive(layout, registry)
        start = first_issue - pd.Timedelta(days=HISTORY_DAYS)
        end = last_issue + pd.Timedelta(hours=max_lead)
        return archive_inputs(archive, registry, self.stations, start, end, self.pollutants, self.with_met)


@dataclass
class TrainingTables:
    """Feature tables of a training run and what they were built from."""

    train: pd.DataFrame
    valid: pd.DataFrame
    data_hash: str
    stations: list[str] = field(default_factory=list)


def table_hash(table: pd.DataFrame, columns: Sequence[str]) -> str:
    """sha256 of the given columns of a table (identifies the data a model was trained on)."""
    digest = hashlib.sha256()
    present = [c for c in columns if c in table]
    digest.update(pd.util.hash_pandas_object(table[present], index=False).to_numpy().tobytes())
    return digest.hexdigest()


def feature_rows(
    source: ArchiveSource | FeatureInputs,
    issue_times: pd.DatetimeIndex,
    spec: FeatureSpec,
    *,
    climatology=None,
    lead_stride: int = 1,
    targets: Sequence[str] = (),
    chunk_days: int = 60,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Feature table over many issue times, built chunk by chunk.

    ``lead_stride`` > 1 keeps every n-th lead (offset rotating with the issue) to thin training rows;
    ``targets`` drops rows where none of these ``<pollutant>_observed`` is known.
    """
    parts = []
    blocks = chunks(normalise_issue_times(issue_times), chunk_days)
    for k, block in enumerate(blocks):
        inputs = source.load(block[0], block[-1], spec.max_lead_hours) if isinstance(source, ArchiveSource) else source
        if climatology is not None:
            inputs = FeatureInputs(**{**inputs.__dict__, "climatology": climatology})
        table = build_feature_table(inputs, block, spec)
        if lead_stride > 1:
            hours = (table["issue_time"].astype("int64") // 3_600_000_000_000).to_numpy()
            table = table[(table["lead_h"].to_numpy() + hours // 12) % lead_stride == 0]
        if targets:
            known = np.zeros(len(table), dtype=bool)
            for pollutant in targets:
                known |= np.isfinite(table[f"{pollutant}_observed"].to_numpy())
            table = table[known]
        parts.append(table.reset_index(drop=True))
        if progress:
            progress(k + 1, len(blocks))
    if not parts:
        raise ValueError("no issue times in the period")
    return pd.concat(parts, ignore_index=True)


def predict_table(models: dict[str, CorrectorModel], table: pd.DataFrame) -> pd.DataFrame:
    """Long hindcast rows (see module docstring) for every model's pollutant from one feature table."""
    frames = []
    for pollutant, model in models.items():
        predicted = model.predict(table)
        frames.append(
            pd.DataFrame(
                {
                    "issue_time": table["issue_time"].to_numpy(),
                    "station_id": table["station_id"].astype(str).to_numpy(),
                    "pollutant": pollutant,
                    "lead_h": table["lead_h"].to_numpy(),
                    "valid_time": table["valid_time"].to_numpy(),
                    "forecast": predicted["forecast"].to_numpy(),
                    "q10": predicted["q10"].to_numpy(),
                    "q50": predicted["q50"].to_numpy(),
                    "q90": predicted["q90"].to_numpy(),
                    "observed": table[f"{pollutant}_observed"].to_numpy(dtype=float)
                    if f"{pollutant}_observed" in table
                    else np.nan,
                    "persistence": table[f"{pollutant}_mean_24h"].to_numpy(dtype=float),
                    "climatology": table[f"{pollutant}_climatology"].to_numpy(dtype=float),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    for column in ("issue_time", "valid_time"):
        out[column] = pd.to_datetime(out[column], utc=True)
    out["lead_h"] = out["lead_h"].astype("int16")
    return out[list(HINDCAST_COLUMNS)]


def _hindcast_block(source, models: dict[str, CorrectorModel], block: pd.DatetimeIndex) -> pd.DataFrame:
    spec = next(iter(models.values())).spec
    climatology = next(iter(models.values())).climatology
    table = feature_rows(source, block, spec, climatology=climatology, chunk_days=10_000)
    return predict_table(models, table)


def run_hindcast(
    models: dict[str, CorrectorModel],
    source: ArchiveSource | FeatureInputs,
    issue_times: pd.DatetimeIndex,
    *,
    chunk_days: int = 30,
    client=None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Hindcast table of ``models`` (pollutant → model, sharing one feature spec) at ``issue_times``.

    With a ``dask.distributed`` ``client`` the chunks run on its workers (each reads its own archive
    window); otherwise they run here one after another.
    """
    specs = {m.spec.model_dump_json() for m in models.values()}
    if len(specs) > 1:
        groups: dict[str, dict[str, CorrectorModel]] = {}
        for pollutant, model in models.items():
            groups.setdefault(model.spec.model_dump_json(), {})[pollutant] = model
        return pd.concat(
            [run_hindcast(g, source, issue_times, chunk_days=chunk_days, client=client) for g in groups.values()],
            ignore_index=True,
        )
    blocks = chunks(normalise_issue_times(issue_times), chunk_days)
    if client is not None:
        shared_models = client.scatter(models, broadcast=True)
        futures = [client.submit(_hindcast_block, source, shared_models, block, pure=False) for block in blocks]
        parts = []
        for k, future in enumerate(futures):
            parts.append(future.result())
            if progress:
                progress(k + 1, len(blocks))
    else:
        parts = []
        for k, block in enumerate(blocks):
            parts.append(_hindcast_block(source, models, block))
            if progress:
                progress(k + 1, len(blocks))
    if not parts:
        raise ValueError("no issue times in the hindcast period")
    return pd.concat(parts, ignore_index=True)
