"""Train correctors on an archive: periods → feature tables → LightGBM fits → validation hindcast.

The periods follow ``vnaqi train --train-to D1 --valid-to D2``: issues from the start of the archive
(``--train-from``) whose whole 72 h lie on or before ``D1`` train the boosters; issues after ``D1``
whose 72 h lie on or before ``D2`` form the time-ordered validation block (early stopping, the
climatology blend, conformal intervals, and the verification logged with the model).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from configs.networks import registry_for_home
from configs.schema import MAX_LEAD_HOURS
from configs.settings import HomeLayout
from features.climatology import fit_climatology
from features.spec import FeatureSpec, MetMode
from forecast.corrector import CorrectorModel
from met_inputs.observations import ObservationArchive
from training.hindcast import (
    HISTORY_DAYS,
    ArchiveSource,
    feature_rows,
    predict_table,
    rolling_issue_times,
    table_hash,
)
from training.lightgbm import BoosterSettings, FitReport, TrainingDataError, fit_corrector

logger = logging.getLogger(__name__)

MIN_VALID_DAYS = 7
Progress = Callable[[str, int, int], None]


@dataclass
class TrainingPlan:
    """What to train: pollutants, stations, met mode and periods (dates, UTC)."""

    pollutants: list[str]
    stations: list[str]
    met_mode: MetMode
    train_from: pd.Timestamp
    train_to: pd.Timestamp
    valid_to: pd.Timestamp
    issue_hours: tuple[int, ...] = (0, 12)
    lead_stride: int = 3

    def _issues(self, first: pd.Timestamp, last_day_end: pd.Timestamp) -> pd.DatetimeIndex:
        """Issue times from ``first`` whose 72 h end by ``last_day_end`` (the last hour of a day)."""
        last = last_day_end - pd.Timedelta(hours=MAX_LEAD_HOURS)
        if last < first:
            return pd.DatetimeIndex([], tz="UTC")
        times = rolling_issue_times(first, last, self.issue_hours)
        return times[(times >= first) & (times <= last)]

    @property
    def train_issues(self) -> pd.DatetimeIndex:
        return self._issues(self.train_from, self.train_to + pd.Timedelta(hours=23))

    @property
    def valid_issues(self) -> pd.DatetimeIndex:
        return self._issues(self.train_to + pd.Timedelta(days=1), self.valid_to + pd.Timedelta(hours=23))


@dataclass
class TrainingResult:
    """Models, fit reports, the validation hindcast and provenance of one training run."""

    plan: TrainingPlan
    models: dict[str, CorrectorModel]
    reports: dict[str, FitReport]
    valid_hindcast: pd.DataFrame
    data_hash: str
    feature_importance: dict[str, pd.DataFrame] = field(default_factory=dict)
    example_rows: pd.DataFrame | None = None
    """A few validation feature rows (the MLflow input example)."""


def _date(value, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from exc
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).normalize()


def plan_training(
    home: Path,
    *,
    train_to,
    valid_to,
    train_from=None,
    pollutants: Sequence[str] | None = None,
    stations: Sequence[str] | None = None,
    network: str | None = None,
    met_mode: MetMode | None = None,
    issue_hours: Sequence[int] = (0, 12),
    lead_stride: int = 3,
) -> TrainingPlan:
    """Check the request against the archive and fix the periods; clear errors for impossible ones."""
    layout = HomeLayout(Path(home))
    registry = registry_for_home(layout.networks)
    archive = ObservationArchive(layout, registry)
    status = archive.status()
    if status.empty:
        raise TrainingDataError(f"the archive in {layout.archive} holds no observations; run `vnaqi ingest` first")
    if network is not None:
        members = {s.id for s in registry.stations(network)}
        status = status[status["station_id"].isin(members)]
    if stations:
        wanted = [registry.get(s).id for s in stations]
        status = status[status["station_id"].isin(wanted)]
    if status.empty:
        raise TrainingDataError("no observations for the stations asked for")
    present = sorted(set(status["pollutant"]))
    chosen = list(pollutants) if pollutants else present
    unknown = [p for p in chosen if p not in present]
    if unknown:
        raise TrainingDataError(f"no observations of {', '.join(unknown)} in the archive (it has {', '.join(present)})")
    first = pd.Timestamp(status["first"].min())
    last = pd.Timestamp(status["last"].max())
    start = _date(train_from, "--train-from") if train_from is not None else (first + pd.Timedelta(days=HISTORY_DAYS))
    plan_train_to, plan_valid_to = _date(train_to, "--train-to"), _date(valid_to, "--valid-to")
    if plan_valid_to <= plan_train_to:
        raise TrainingDataError(
            f"--valid-to {plan_valid_to:%Y-%m-%d} must come after --train-to {plan_train_to:%Y-%m-%d}"
        )
    if plan_train_to < first or start > last:
        raise TrainingDataError(
            f"training period {start:%Y-%m-%d} … {plan_train_to:%Y-%m-%d} is outside the archive "
            f"({first:%Y-%m-%d} … {last:%Y-%m-%d})"
        )
    if plan_train_to + pd.Timedelta(days=1) > last:
        raise TrainingDataError(
            f"validation period {plan_train_to + pd.Timedelta(days=1):%Y-%m-%d} … {plan_valid_to:%Y-%m-%d} is outside "
            f"the archive ({first:%Y-%m-%d} … {last:%Y-%m-%d}); choose a --train-to before the archive ends"
        )
    if (min(plan_valid_to, last.normalize()) - plan_train_to) < pd.Timedelta(days=MIN_VALID_DAYS + 3):
        raise TrainingDataError(
            f"validation period {plan_train_to + pd.Timedelta(days=1):%Y-%m-%d} … {plan_valid_to:%Y-%m-%d} "
            f"is too short to validate: it needs at least {MIN_VALID_DAYS} days of issues whose 72 h lie "
            f"inside it and inside the archive (which ends {last:%Y-%m-%d})"
        )
    ids = sorted(set(status["station_id"]))
    if met_mode is None:
        met_status = archive.met_status()
        with_met = set(met_status["station_id"]) if not met_status.empty else set()
        has_met = any(registry.met_station_for(sid) in with_met for sid in ids)
        met_mode = "perfect" if has_met else "none"
        logger.info(
            "met mode %s (%s)",
            met_mode,
            "observed met at valid time: perfect prognosis" if has_met else "no observed met in reach",
        )
    return TrainingPlan(
        pollutants=chosen,
        stations=ids,
        met_mode=met_mode,
        train_from=start.normalize(),
        train_to=plan_train_to,
        valid_to=plan_valid_to,
        issue_hours=tuple(int(h) for h in issue_hours),
        lead_stride=lead_stride,
    )


def train(
    home: Path,
    plan: TrainingPlan,
    *,
    settings: BoosterSettings | None = None,
    spec: FeatureSpec | None = None,
    progress: Progress | None = None,
) -> TrainingResult:
    """Fit one corrector per pollutant of ``plan`` and hindcast the validation block."""
    spec = spec or FeatureSpec(met_mode=plan.met_mode)
    source = ArchiveSource(Path(home), tuple(plan.stations), None, spec.uses_met)
    history = source.load(plan.train_from, plan.train_to - pd.Timedelta(hours=MAX_LEAD_HOURS), 0)
    climatology = fit_climatology(history.observations)
    if len(plan.valid_issues) < MIN_VALID_DAYS * len(plan.issue_hours):
        raise TrainingDataError(f"validation period has {len(plan.valid_issues)} issue time(s); too short to validate")

    def step(label: str):
        return (lambda done, total: progress(label, done, total)) if progress else None

    train_table = feature_rows(
        source,
        plan.train_issues,
        spec,
        climatology=climatology,
        lead_stride=plan.lead_stride,
        targets=plan.pollutants,
        progress=step("features (training)"),
    )
    valid_table = feature_rows(
        source, plan.valid_issues, spec, climatology=climatology, targets=(), progress=step("features (validation)")
    )
    data_hash = table_hash(
        train_table, ["issue_time", "station_id", "lead_h", *[f"{p}_observed" for p in plan.pollutants]]
    )
    models, reports, importance = {}, {}, {}
    for k, pollutant in enumerate(plan.pollutants):
        if progress:
            progress("boosters", k, len(plan.pollutants))
        model, report = fit_corrector(
            train_table,
            valid_table,
            pollutant,
            spec,
            settings=settings,
            climatology=climatology,
            metadata={
                "train_from": f"{plan.train_from:%Y-%m-%d}",
                "train_to": f"{plan.train_to:%Y-%m-%d}",
                "valid_to": f"{plan.valid_to:%Y-%m-%d}",
                "stations": plan.stations,
                "met_mode": spec.met_mode,
                "perfect_prognosis": spec.met_mode in ("perfect", "perturbed"),
                "data_hash": data_hash,
            },
        )
        models[pollutant], reports[pollutant] = model, report
        booster = model.boosters["mean"]
        importance[pollutant] = (
            pd.DataFrame(
                {
                    "feature": model.columns,
                    "gain": booster.feature_importance("gain", iteration=booster.best_iteration),
                    "split": booster.feature_importance("split", iteration=booster.best_iteration),
                }
            )
            .sort_values("gain", ascending=False)
            .reset_index(drop=True)
        )
    if progress:
        progress("boosters", len(plan.pollutants), len(plan.pollutants))
    valid_hindcast = predict_table(models, valid_table)
    valid_hindcast = valid_hindcast[np.isfinite(valid_hindcast["forecast"].to_numpy())]
    example = valid_table[valid_table[f"{plan.pollutants[0]}_observed"].notna()].head(5).reset_index(drop=True)
    return TrainingResult(
        plan, models, reports, valid_hindcast.reset_index(drop=True), data_hash, importance, example_rows=example
    )
