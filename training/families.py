"""Train the LSTM and the blend on the same :class:`training.pipeline.TrainingPlan` as LightGBM.

Why one plan: the three families must be fitted and verified on the same periods, stations and met
mode to be compared fairly (``vnaqi train --model lightgbm|lstm|blend``, the skill benchmark).

* :func:`train_lstm` fits one sequence model for all the plan's pollutants on the training issues
  (climatology fitted on the training period only) and hindcasts the validation block.
* :func:`train_blend` fits the convex blend of LightGBM and the LSTM per pollutant and lead block on
  the validation hindcasts of both, and blends those rows.

Validation rows are hindcast rows (:data:`training.hindcast.HINDCAST_COLUMNS`); the blend's weights are
fitted on the same block they are then verified on, so its validation scores are optimistic — only
a later period (``vnaqi evaluate --model … --from … --to …``) says whether it beats the families alone.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from configs.schema import MAX_LEAD_HOURS
from features.climatology import fit_climatology
from features.spec import FeatureSpec
from forecast.blend import CorrectorRows
from forecast.model_kinds import require_lstm
from training.hindcast import ArchiveSource
from training.lightgbm import TrainingDataError
from training.pipeline import MIN_VALID_DAYS, TrainingPlan, TrainingResult

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
REQUEST_STATIONS = 3
"""Stations in the request logged as an LSTM's or a blend's MLflow input example."""


@dataclass
class FamilyResult:
    """A trained LSTM or blend with its validation hindcast (the counterpart of ``TrainingResult``).

    Attributes
    ----------
    kind : str
        ``lstm`` or ``blend``.
    plan : TrainingPlan
    model : SequenceModel or ModelBlend
        A blend has its components loaded (``forecasters``), so it saves them with itself.
    valid_hindcast : DataFrame
        Hindcast rows of the validation block [µg/m³] (module docstring).
    data_hash : str
        Fingerprint of the training observations.
    fit_report : dict
        What the fit did (LSTM: :class:`training.sequence.SequenceFitReport`; blend: weights per block).
    fit_table : DataFrame or None
        The blend's per-(pollutant, block) report from :func:`training.blend.fit_blend`.
    example_request : DataFrame
        ``issue_time``, ``station_id`` rows answerable from the home (the MLflow input example).
    seconds : float
        Wall time of the fit [s].
    """

    kind: str
    plan: TrainingPlan
    model: object
    valid_hindcast: pd.DataFrame
    data_hash: str
    fit_report: dict = field(default_factory=dict)
    fit_table: pd.DataFrame | None = None
    example_request: pd.DataFrame | None = None
    seconds: float = 0.0


def plan_metadata(plan: TrainingPlan, data_hash: str) -> dict:
    """What every family saves with its model about the data it was trained on."""
    return {
        "train_from": f"{plan.train_from:%Y-%m-%d}",
        "train_to": f"{plan.train_to:%Y-%m-%d}",
        "valid_to": f"{plan.valid_to:%Y-%m-%d}",
        "stations": list(plan.stations),
        "met_mode": plan.met_mode,
        "perfect_prognosis": plan.met_mode in ("perfect", "perturbed"),
        "data_hash": data_hash,
    }


def _observations_hash(observations, pollutants) -> str:
    digest = hashlib.sha256()
    for pollutant in pollutants:
        if pollutant in observations:
            digest.update(np.ascontiguousarray(observations[pollutant].values, dtype=np.float32).tobytes())
    return digest.hexdigest()


def example_request(plan: TrainingPlan) -> pd.DataFrame:
    """The last validation issue at the first few stations (answerable from the home that trained)."""
    stations = list(plan.stations)[:REQUEST_STATIONS]
    return pd.DataFrame({"issue_time": [plan.valid_issues[-1]] * len(stations), "station_id": stations})


def train_lstm(
    home: Path,
    plan: TrainingPlan,
    *,
    settings=None,
    spec: FeatureSpec | None = None,
    lightning_logger=False,
    progress: Progress | None = None,
) -> FamilyResult:
    """Fit the sequence corrector of the plan's pollutants and hindcast the validation block.

    Parameters
    ----------
    home : path
        The home whose archive holds the observations (and met).
    plan : TrainingPlan
        Pollutants, stations, met mode and periods (as for LightGBM).
    settings : training.sequence.SequenceSettings, optional
        Network size and optimisation (default: the full settings).
    spec : FeatureSpec, optional
        Default ``FeatureSpec(met_mode=plan.met_mode)``.
    lightning_logger : Lightning logger or False
        E.g. an ``MLFlowLogger`` (per-epoch losses).
    progress : callable, optional
        ``(stage, done, total)``.

    Raises
    ------
    ExtraNotInstalledError
        Without the ``lstm`` extra.
    TrainingDataError
        Too few samples in a period.
    """
    require_lstm()
    from training.sequence import SequenceSettings, fit_sequence_model

    started = time.perf_counter()
    settings = settings or SequenceSettings()
    spec = spec or FeatureSpec(met_mode=plan.met_mode)
    if len(plan.valid_issues) < MIN_VALID_DAYS * len(plan.issue_hours):
        raise TrainingDataError(f"validation period has {len(plan.valid_issues)} issue time(s); too short to validate")
    source = ArchiveSource(Path(home), tuple(plan.stations), None, spec.uses_met)
    if progress:
        progress("inputs", 0, 3)
    history = source.load(plan.train_from, plan.train_to - pd.Timedelta(hours=MAX_LEAD_HOURS), 0)
    climatology = fit_climatology(history.observations)
    train_inputs = source.load(plan.train_issues[0], plan.train_issues[-1])
    if progress:
        progress("inputs", 2, 3)
    valid_inputs = source.load(plan.valid_issues[0], plan.valid_issues[-1])
    if progress:
        progress("inputs", 3, 3)
    data_hash = _observations_hash(history.observations, plan.pollutants)
    model, report = fit_sequence_model(
        train_inputs, valid_inputs, plan.train_issues, plan.valid_issues, spec, plan.pollutants, climatology,
        settings, logger=lightning_logger, metadata=plan_metadata(plan, data_hash),
        progress=(lambda done, total: progress("LSTM epochs", done, total)) if progress else None,
    )  # fmt: skip
    valid_rows = model.forecast_rows(
        valid_inputs, plan.valid_issues, with_references=True, num_threads=settings.num_threads or None
    )
    valid_rows = valid_rows[np.isfinite(valid_rows["forecast"].to_numpy())].reset_index(drop=True)
    return FamilyResult(
        "lstm", plan, model, valid_rows, data_hash, fit_report=report.to_dict(),
        example_request=example_request(plan), seconds=round(time.perf_counter() - started, 1),
    )  # fmt: skip


def held_out_issues(plan: TrainingPlan, every_months: int) -> pd.DatetimeIndex:
    """Training issues of the months both families held out of their fits (:mod:`training.validation`:
    every ``every_months``-th month from the start of training; none for periods under 12 months)."""
    from training.validation import MIN_TRAINING_MONTHS_FOR_HOLDOUT, held_out_months

    issues = plan.train_issues
    if every_months <= 1 or len(issues) == 0:
        return issues[:0]
    span = (issues.max().year - issues.min().year) * 12 + issues.max().month - issues.min().month + 1
    if span < MIN_TRAINING_MONTHS_FOR_HOLDOUT:
        return issues[:0]
    return issues[held_out_months(pd.Series(issues), every_months)]


def train_blend(
    lightgbm: TrainingResult, lstm: FamilyResult, *, home: Path | None = None, coverage: float = 0.8
) -> FamilyResult:
    """The convex blend of a LightGBM and an LSTM training of the same plan.

    The weights (per pollutant and lead block) are fitted on the validation block. The 10–90 % interval
    offset is then fitted — with ``home`` — on the validation block **and** both families' hindcasts of the
    whole months they held out of training: every season, not one (calibrated on the Jan–Feb validation
    block alone, the Beijing blend covered 86–88 % of the test year). The weights are not fitted on those
    months: LightGBM's mean booster is refitted on them after early stopping (``refit_mean_on_all_rows``),
    so they are in-sample for its mean (its quantile boosters and the LSTM never saw them); weights fitted
    there leaned 0.85 on LightGBM and lost to the LSTM on the Beijing test year.

    Raises
    ------
    ValueError
        The two were trained on different plans (periods, stations, pollutants or met mode).
    """
    from training.blend import calibrate_offsets, fit_blend
    from training.comparison import hindcast_models

    started = time.perf_counter()
    first, second = lightgbm.plan, lstm.plan
    same = (
        first.train_from == second.train_from
        and first.train_to == second.train_to
        and first.valid_to == second.valid_to
        and list(first.stations) == list(second.stations)
        and first.met_mode == second.met_mode
    )
    if not same:
        raise ValueError("the LightGBM and LSTM runs were trained on different plans; a blend needs the same one")
    pollutants = [p for p in first.pollutants if p in second.pollutants]
    frames = {
        "lightgbm": lightgbm.valid_hindcast[lightgbm.valid_hindcast["pollutant"].isin(pollutants)],
        "lstm": lstm.valid_hindcast[lstm.valid_hindcast["pollutant"].isin(pollutants)],
    }
    every = int(lstm.fit_report.get("settings", {}).get("holdout_every_months", 0) or 0)
    held = held_out_issues(first, every) if home is not None else first.train_issues[:0]
    both_held_out = all(r.rows_holdout > 0 for r in lightgbm.reports.values()) and lstm.fit_report.get(
        "samples_holdout", 0
    )
    metadata = plan_metadata(first, lightgbm.data_hash)
    blend, table = fit_blend(frames, coverage=coverage, metadata=metadata)
    blend.metadata["calibration"] = "validation block"
    if len(held) and both_held_out:
        held_rows = {
            "lightgbm": hindcast_models(home, {p: lightgbm.models[p] for p in pollutants}, held, first.stations),
            "lstm": hindcast_models(home, dict.fromkeys(pollutants, lstm.model), held, first.stations),
        }
        calibration = {name: pd.concat([frames[name], held_rows[name]], ignore_index=True) for name in frames}
        blend, interval = calibrate_offsets(blend, calibration, coverage=coverage)
        blend.metadata["calibration"] = f"validation block + {len(held)} held-out-month issues"
        table = table.drop(columns=["n_interval", "coverage_before", "coverage_after", "interval_offset"]).merge(
            interval, on=["pollutant", "block"], how="left"
        )
        logger.info("blend interval calibrated on the validation block and %d held-out issue(s)", len(held))
    blend.forecasters = {
        "lightgbm": CorrectorRows({p: lightgbm.models[p] for p in pollutants}),
        "lstm": lstm.model,
    }
    rows = blend.combine(frames)
    rows = rows[np.isfinite(rows["forecast"].to_numpy())].reset_index(drop=True)
    logger.info("blend weights:\n%s", blend.weight_table().to_string(index=False))
    return FamilyResult(
        "blend", first, blend, rows, lightgbm.data_hash,
        fit_report={"weights": blend.weights, "offsets": blend.offsets, "blocks": [list(b) for b in blend.blocks],
                    "calibration": blend.metadata["calibration"]},
        fit_table=table, example_request=example_request(first), seconds=round(time.perf_counter() - started, 1),
    )  # fmt: skip
