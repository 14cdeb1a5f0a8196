"""Hindcasts of registered models over a period of the archive, and the score promotion compares."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from configs.schema import MAX_LEAD_HOURS, POLLUTANTS
from configs.settings import HomeLayout
from forecast.corrector import CorrectorModel
from met_inputs.observations import ObservationArchive
from training.hindcast import ArchiveSource, rolling_issue_times, run_hindcast
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


def in_sample_warning(model: CorrectorModel, label: str, start, end) -> str | None:
    """A warning when a hindcast's issues (and their 72 h) overlap the period ``model`` was trained or
    validated on: scores there are in-sample, not skill. None when they do not or the model does not say."""
    fitted_from, fitted_to = model.metadata.get("train_from"), model.metadata.get("valid_to")
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


def model_stations(model: CorrectorModel, home: Path, asked: Sequence[str] | None) -> tuple[str, ...] | None:
    """Stations to hindcast: those asked for, else those the model was trained on (if the archive has them)."""
    if asked:
        return tuple(asked)
    trained = model.metadata.get("stations")
    return tuple(trained) if trained else None


def hindcast_models(
    home: Path,
    models: dict[str, CorrectorModel],
    issue_times: pd.DatetimeIndex,
    stations: Sequence[str] | None = None,
    *,
    client=None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Hindcast table of ``models`` at ``issue_times`` from the home's archive (rows with a forecast)."""
    first = next(iter(models.values()))
    source = ArchiveSource(Path(home), model_stations(first, home, stations), None, first.spec.uses_met)
    table = run_hindcast(models, source, issue_times, client=client, progress=progress)
    return table[table["forecast"].notna()].reset_index(drop=True)


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
