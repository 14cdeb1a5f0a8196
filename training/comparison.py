"""Hindcasts of registered models over a period of the archive, and the score promotion compares."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from configs.schema import MAX_LEAD_HOURS, POLLUTANTS, REFERENCE_ROW_COLUMNS
from configs.settings import HomeLayout
from features.table import normalise_issue_times
from forecast.blend import align_rows
from forecast.corrector import CorrectorModel
from forecast.model_kinds import as_row_forecaster, model_metadata, model_uses_met
from forecast.verification import VerificationReport, verify
from met_inputs.observations import ObservationArchive
from training.experiment import tz_by_station
from training.hindcast import HINDCAST_COLUMNS, ArchiveSource, chunks, rolling_issue_times, run_hindcast
from training.lightgbm import TrainingDataError

logger = logging.getLogger(__name__)


def pollutant_of(name: str, tags: dict | None = None) -> str:
    """The pollutant a registered model forecasts: its ``pollutant`` tag, else the suffix of ``vnaqi-<p>``."""
    if tags and tags.get("pollutant") in POLLUTANTS:
        return tags["pollutant"]
    suffix = name.rsplit("-", 1)[-1]
    if suffix in POLLUTANTS:
        return suffix
    raise ValueError(f"cannot tell which pollutant model {name!r} forecasts (tag it with pollutant=…)")


def hindcast_issue_times(
    home: Path,
    start,
    end,
    issue_hours: Sequence[int],
    stations: Sequence[str] | None = None,
    pollutants: Sequence[str] | None = None,
) -> pd.DatetimeIndex:
    """Issue times of a hindcast period, checked against what the archive holds for ``stations`` and
    ``pollutants`` (all when None): a model of one network must not be hindcast on another's years."""
    issues = rolling_issue_times(start, end, issue_hours)
    status = ObservationArchive(HomeLayout(Path(home))).status()
    if status.empty:
        raise TrainingDataError("the archive holds no observations; run `vnaqi ingest` first")
    what = "the archive"
    if stations:
        status = status[status["station_id"].isin(list(stations))]
        what = f"the archive of the {len(set(stations))} station(s) hindcast"
    if pollutants:
        status = status[status["pollutant"].isin(list(pollutants))]
    if status.empty:
        raise TrainingDataError(f"{what} holds no observations of {', '.join(pollutants or ['any pollutant'])}")
    first, last = pd.Timestamp(status["first"].min()), pd.Timestamp(status["last"].max())
    inside = issues[(issues > first + pd.Timedelta(days=1)) & (issues <= last)]
    if len(inside) == 0:
        raise TrainingDataError(
            f"hindcast period {pd.Timestamp(start):%Y-%m-%d} … {pd.Timestamp(end):%Y-%m-%d} is outside {what} "
            f"({first:%Y-%m-%d} … {last:%Y-%m-%d}): no issue time has observations before it"
        )
    if len(inside) < len(issues):
        logger.warning(
            "%d of %d issue times lie outside the archive (%s … %s) and are skipped",
            len(issues) - len(inside), len(issues), f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}",
        )  # fmt: skip
    return inside


def in_sample_warning(model, label: str, start, end) -> str | None:
    """A warning when a hindcast's issues (and their 72 h) overlap the period ``model`` was trained or
    validated on: scores there are in-sample, not skill. None when they do not or the model does not say."""
    metadata = model_metadata(model)
    fitted_from, fitted_to = metadata.get("train_from"), metadata.get("valid_to")
    if not (fitted_from and fitted_to):
        return None
    first, last = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=3)
    if last < pd.Timestamp(fitted_from) or first > pd.Timestamp(fitted_to) + pd.Timedelta(hours=23):
        return None
    period = f"{pd.Timestamp(start):%Y-%m-%d} … {pd.Timestamp(end):%Y-%m-%d}"
    return (
        f"{label} was trained and validated on {fitted_from} … {fitted_to}; the hindcast {period} overlaps it, "
        "so its scores are in-sample, not skill"
    )


def model_stations(model, home: Path, asked: Sequence[str] | None) -> tuple[str, ...] | None:
    """Stations to hindcast: those asked for, else those the model was trained on (if the archive has them)."""
    if asked:
        return tuple(asked)
    trained = model_metadata(model).get("stations")
    return tuple(trained) if trained else None


def _rows_hindcast(
    model,
    pollutants: Sequence[str],
    source: ArchiveSource,
    issue_times: pd.DatetimeIndex,
    chunk_days: int = 30,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Hindcast rows of an LSTM or a blend (all its pollutants in one pass), chunk by chunk of issue times."""
    forecaster = as_row_forecaster(model)
    blocks = chunks(normalise_issue_times(issue_times), chunk_days)
    parts = []
    for k, block in enumerate(blocks):
        rows = forecaster.forecast_rows(source.load(block[0], block[-1]), block, with_references=True)
        parts.append(rows[rows["pollutant"].isin(list(pollutants))])
        if progress:
            progress(k + 1, len(blocks))
    if not parts:
        raise ValueError("no issue times in the hindcast period")
    out = pd.concat(parts, ignore_index=True)
    out["lead_h"] = out["lead_h"].astype("int16")
    return out[list(HINDCAST_COLUMNS)]


def hindcast_models(
    home: Path,
    models: dict,
    issue_times: pd.DatetimeIndex,
    stations: Sequence[str] | None = None,
    *,
    client=None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Hindcast table of ``models`` (pollutant → a model of any kind) at ``issue_times`` from the home's
    archive (rows with a forecast). A model serving several pollutants (an LSTM, a blend) runs once."""
    lightgbm = {p: m for p, m in models.items() if isinstance(m, CorrectorModel)}
    others: dict[int, tuple[object, list[str]]] = {}
    for pollutant, model in models.items():
        if not isinstance(model, CorrectorModel):
            others.setdefault(id(model), (model, []))[1].append(pollutant)
    parts = []
    if lightgbm:
        first = next(iter(lightgbm.values()))
        source = ArchiveSource(Path(home), model_stations(first, home, stations), None, first.spec.uses_met)
        parts.append(run_hindcast(lightgbm, source, issue_times, client=client, progress=progress))
    for model, pollutants in others.values():
        source = ArchiveSource(Path(home), model_stations(model, home, stations), None, model_uses_met(model))
        parts.append(_rows_hindcast(model, pollutants, source, issue_times, progress=progress))
    table = pd.concat(parts, ignore_index=True)
    return table[table["forecast"].notna()].reset_index(drop=True)


def side_by_side(frames: Mapping[str, pd.DataFrame], home: Path, *, daily: bool = True) -> VerificationReport:
    """Verification of several forecasts of the same rows side by side (common pairs).

    ``frames``: method name (``lightgbm``, ``lstm``, ``blend``, ``vnaqi-pm25/3`` …) → its hindcast rows
    (:data:`training.hindcast.HINDCAST_COLUMNS`). The rows are aligned on (issue, station, pollutant, lead);
    persistence and climatology come from the first frame having them. Each method is scored on the pairs
    every method and the observation share, so the RMSE columns compare like with like.
    """
    if not frames:
        raise ValueError("nothing to compare")
    clashes = [n for n in frames if n in (*REFERENCE_ROW_COLUMNS, "forecast")]
    if clashes:
        raise ValueError(f"method name(s) {clashes} clash with the hindcast's own columns")
    aligned = align_rows(frames, list(frames))
    if "observed" not in aligned.extra:
        raise ValueError("the rows have no 'observed' column to verify against")
    table = aligned.keys.copy()
    for name in frames:
        table[name] = aligned.column(name, "forecast")
    for column, values in aligned.extra.items():
        table[column] = values
    references = [r for r in ("persistence", "climatology") if r in table]
    return verify(
        table, tz_by_station=tz_by_station(home, table["station_id"].unique()),
        methods=[*frames, *references], daily=daily,
    )  # fmt: skip


def write_parquet_atomic(table: pd.DataFrame, path: Path, overwrite: bool = False) -> Path:
    """Write ``table`` to ``path`` via a temporary file and a rename; refuse to replace a file unless asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; choose another --out or pass --overwrite")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def last_issue_for(valid_to: pd.Timestamp) -> pd.Timestamp:
    """The last issue whose 72 h end on ``valid_to`` (a date)."""
    return valid_to + pd.Timedelta(hours=23) - pd.Timedelta(hours=MAX_LEAD_HOURS)
