"""Fit a LightGBM corrector for one pollutant: mean + 10/50/90 % quantile boosters.

Deterministic (fixed seeds, ``deterministic=True``, row-wise histograms), early-stopped on
time-ordered blocks, never a random split: the validation block that follows the training period
plus whole calendar months held out of it (:mod:`training.validation`). On those rows the fit also
chooses, per lead hour, how far to relax the mean towards climatology (so the forecast is never
worse than climatology where skill has faded) and the conformal offsets that make the 10–90 %
interval cover 80 % (conformalised quantile regression, Romano et al. 2019). A model that uses met
also gets a *fallback* fitted without it, for rows whose met is missing (a late NWP run, a weather
station gap): trees never trained on missing met send such rows down arbitrary branches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.spec import FeatureSpec
from features.table import model_columns
from forecast.corrector import (
    LEAD_BLOCKS,
    QUANTILE_LEVELS,
    BaseName,
    CorrectorModel,
    TargetTransform,
    base_forecast,
    from_target,
    lead_block_index,
    met_absent,
    target_weights,
    to_target,
)
from training.validation import seasonal_holdout

logger = logging.getLogger(__name__)

MIN_TRAIN_ROWS = 500
MIN_VALID_ROWS = 200
BLEND_HALF_WINDOW_H = 6


class TrainingDataError(ValueError):
    """The training or validation table cannot support a fit (too short, no observations, …)."""


@dataclass
class BoosterSettings:
    """LightGBM settings of the mean and quantile boosters."""

    learning_rate: float = 0.1
    num_leaves: int = 63
    min_data_in_leaf: int = 200
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    lambda_l2: float = 1.0
    max_rounds: int = 3000
    min_rounds: int = 0
    """Optional floor of the mean booster's size (0: none). A short validation block dominated by a few
    extreme days can stop it after a couple of dozen trees; a fixed floor of 300 helped the 12-station
    Beijing model and hurt the single-station Hanoi and HCMC ones, so it is off (docs/training.md)."""
    early_stopping_rounds: int = 100
    stopping_tolerance: float = 0.02
    """Keep the fewest trees whose validation loss is within this fraction of the best (the
    one-standard-error rule's spirit): the last few hundred trees of a long plateau change the
    hold-out skill by nothing and cost inference time in proportion (docs/training.md)."""
    quantile_learning_rate: float = 0.1
    quantile_num_leaves: int = 31
    quantile_max_rounds: int = 600
    quantile_bagging_fraction: float = 0.5
    """Quantile boosters see half the rows per tree: they need less detail and take most of the time."""
    valid_weight_power: int = 1
    """Weights (base + c)^power of the early-stopping metric (ratio target)."""
    mean_weight_power: int = 2
    """Ratio target: the mean booster's weights are (base + c)^power; 2 is the concentration MSE exactly."""
    holdout_every_months: int = 5
    """Hold one training month in this many out for validation (0: the validation block alone)."""
    holdout_embargo_hours: int = 72
    refit_mean_on_all_rows: bool = True
    """After validation on held-out months, refit the mean booster on every training row, with the
    early-stopped number of trees scaled by the rows added (the quantile boosters, whose conformal
    offsets were measured on those months, are kept as fitted)."""
    met_fallback: bool = True
    """Models using met also fit a no-met fallback for rows whose met is missing."""
    seed: int = 0
    num_threads: int = 0

    @classmethod
    def quick(cls) -> BoosterSettings:
        """Small, fast boosters for demos and smoke tests (skill well below the full settings)."""
        return cls(
            learning_rate=0.15, num_leaves=15, min_data_in_leaf=50, max_rounds=150, min_rounds=20,
            early_stopping_rounds=15, quantile_learning_rate=0.2, quantile_num_leaves=7, quantile_max_rounds=60,
        )  # fmt: skip

    def params(self, objective: str, alpha: float | None = None) -> dict:
        quantile = objective == "quantile"
        params = {
            "objective": objective,
            "learning_rate": self.quantile_learning_rate if quantile else self.learning_rate,
            "num_leaves": self.quantile_num_leaves if quantile else self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.quantile_bagging_fraction if quantile else self.bagging_fraction,
            "bagging_freq": 1,
            "lambda_l2": self.lambda_l2,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.num_threads,
            "verbose": -1,
        }
        if alpha is not None:
            params["alpha"] = alpha
        return params


@dataclass
class FitReport:
    """What the fit did: rows, best iterations, validation losses, blend weights, interval offsets."""

    rows_train: int
    rows_valid: int
    rows_holdout: int = 0
    """Training rows held out (whole months) and validated on with the validation block."""
    best_iterations: dict[str, int] = field(default_factory=dict)
    valid_rmse: float = float("nan")
    blend_weights: list[float] = field(default_factory=list)
    interval_offsets: list[float] = field(default_factory=list)
    floored: list[str] = field(default_factory=list)
    """Boosters that early stopping ended below the floor and were refitted to it."""
    fallback_best_iterations: dict[str, int] = field(default_factory=dict)
    """Best iterations of the no-met fallback (empty when there is none)."""


def _usable(table: pd.DataFrame, target: str, what: str, minimum: int) -> pd.DataFrame:
    if target not in table:
        raise TrainingDataError(f"{what} table has no column {target!r} (no observations of this pollutant)")
    usable = table[np.isfinite(table[target].to_numpy(dtype=float))]
    if len(usable) < minimum:
        raise TrainingDataError(
            f"{what} period has {len(usable)} row(s) with an observed target, fewer than the {minimum} needed; "
            f"give a longer {what} period"
        )
    return usable


def smallest_within_tolerance(history: dict, tolerance: float) -> int | None:
    """The first iteration (1-based) whose validation loss is within ``tolerance`` (relative) of the best,
    from a :func:`lightgbm.record_evaluation` history; None when nothing was recorded."""
    curves = next(iter(history.values()), {})
    losses = np.asarray(next(iter(curves.values()), []), dtype=float)
    if losses.size == 0 or not np.isfinite(losses).any():
        return None
    best = np.nanmin(losses)
    return int(np.argmax(losses <= best + abs(best) * tolerance)) + 1


def fit_blend_weights(
    mean: np.ndarray, clim: np.ndarray, observed: np.ndarray, lead_h: np.ndarray, max_lead: int = 72
) -> list[float]:
    """Per lead hour 1…``max_lead``, the weight w ∈ [0, 1] of the model in ``w·model + (1−w)·climatology``
    that minimises the validation MSE over leads within ±:data:`BLEND_HALF_WINDOW_H` h (closed form,
    rounded to 0.05), made non-increasing with lead: skill only fades. 1 where climatology is unknown."""
    known = np.isfinite(clim) & np.isfinite(mean) & np.isfinite(observed)
    gap, error = (mean - clim)[known], (observed - clim)[known]
    leads = np.asarray(lead_h)[known]
    weights, previous = [], 1.0
    for hour in range(1, max_lead + 1):
        rows = np.abs(leads - hour) <= BLEND_HALF_WINDOW_H
        denominator = float(np.sum(gap[rows] ** 2))
        if rows.sum() >= 10 and denominator > 0:
            best = float(np.clip(np.sum(gap[rows] * error[rows]) / denominator, 0.0, 1.0))
            previous = min(previous, round(best * 20) / 20)
        weights.append(previous)
    return weights


def conformal_offsets(q10: np.ndarray, q90: np.ndarray, observed: np.ndarray, block: np.ndarray) -> list[float]:
    """Per lead block, the additive widening that makes [q10 − o, q90 + o] cover 80 % of the validation
    observations (negative narrows an interval that was too wide). All in the same units — the boosters'
    transformed target, so that a ratio interval widens in proportion to the base forecast."""
    offsets = []
    score = np.maximum(q10 - observed, observed - q90)
    for k in range(len(LEAD_BLOCKS)):
        values = score[block == k]
        if values.size < 10:
            offsets.append(0.0)
            continue
        level = min(1.0, np.ceil((values.size + 1) * 0.8) / values.size)
        offsets.append(float(np.quantile(values, level, method="higher")))
    return offsets


def fit_corrector(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    pollutant: str,
    spec: FeatureSpec,
    *,
    base: BaseName = "persistence",
    transform: TargetTransform = "ratio",
    settings: BoosterSettings | None = None,
    climatology=None,
    metadata: dict | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[CorrectorModel, FitReport]:
    """Fit the corrector of ``pollutant`` on feature tables (from :func:`features.table.build_feature_table`).

    ``train`` and ``valid`` must hold ``<pollutant>_observed``; ``valid`` must follow ``train`` in time.
    Early stopping, blend weights and interval offsets use ``valid`` plus the months
    :func:`training.validation.seasonal_holdout` takes out of ``train``.
    """
    settings = settings or BoosterSettings()
    target = f"{pollutant}_observed"
    train = _usable(train, target, "training", MIN_TRAIN_ROWS)
    valid = _usable(valid, target, "validation", MIN_VALID_ROWS)
    if valid["issue_time"].min() <= train["issue_time"].max():
        raise TrainingDataError(
            f"validation issues start {valid['issue_time'].min()} before training issues end "
            f"{train['issue_time'].max()}: the validation block must follow the training period"
        )
    fit_rows, held = seasonal_holdout(train, settings.holdout_every_months, settings.holdout_embargo_hours)
    if len(fit_rows) < MIN_TRAIN_ROWS:
        fit_rows, held = train, train.iloc[:0]
    validation = pd.concat([held, valid], ignore_index=True) if len(held) else valid
    model, report = _fit_one(
        fit_rows, validation, pollutant, spec, base, transform, settings, climatology, metadata, progress
    )
    report.rows_train, report.rows_valid, report.rows_holdout = len(fit_rows), len(valid), len(held)
    if len(held) and settings.refit_mean_on_all_rows:
        _refit_mean(model, train, len(fit_rows), settings)
    if settings.met_fallback and spec.uses_met:
        fallback_spec = spec.model_copy(update={"met_mode": "none"})
        fallback, fallback_report = _fit_one(
            fit_rows, validation, pollutant, fallback_spec, base, transform, settings, None, metadata,
            (lambda label: progress(f"{label} (no-met fallback)")) if progress else None,
        )  # fmt: skip
        if len(held) and settings.refit_mean_on_all_rows:
            _refit_mean(fallback, train, len(fit_rows), settings)
        model.fallback = fallback
        report.fallback_best_iterations = fallback_report.best_iterations
        model.metadata["fallback_best_iterations"] = fallback_report.best_iterations
    logger.info(
        "%s: %d train / %d valid + %d held-out rows, iterations %s, blend %s, offsets %s, fallback %s",
        pollutant,
        report.rows_train,
        report.rows_valid,
        report.rows_holdout,
        report.best_iterations,
        report.blend_weights,
        [round(o, 1) for o in report.interval_offsets],
        report.fallback_best_iterations or "none",
    )
    return model, report


def _dataset(
    features: pd.DataFrame, observed: np.ndarray, base: np.ndarray, transform: TargetTransform, power: int
) -> lgb.Dataset:
    """Training set of one booster: the transformed target with the weights that make its loss that of
    the concentration."""
    return lgb.Dataset(
        features, to_target(observed, base, transform), weight=target_weights(base, transform, power),
        free_raw_data=False,
    )  # fmt: skip


def _refit_mean(model: CorrectorModel, train: pd.DataFrame, rows_fitted: int, settings: BoosterSettings) -> None:
    """Refit ``model``'s mean booster on all of ``train`` (see ``BoosterSettings.refit_mean_on_all_rows``)."""
    best = int(model.boosters["mean"].best_iteration or model.boosters["mean"].current_iteration())
    rounds = max(1, int(np.ceil(best * len(train) / max(rows_fitted, 1))))
    base = base_forecast(train, model.pollutant, model.base)
    observed = train[f"{model.pollutant}_observed"].to_numpy(dtype=float)
    train_set = _dataset(train[model.columns], observed, base, model.transform, settings.mean_weight_power)
    model.boosters["mean"] = lgb.train(settings.params("regression"), train_set, num_boost_round=rounds)
    model.metadata["mean_refit_rounds"] = rounds
    logger.info("%s: mean booster refitted on all %d training rows with %d trees", model.pollutant, len(train), rounds)


def _fit_one(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    pollutant: str,
    spec: FeatureSpec,
    base: BaseName,
    transform: TargetTransform,
    settings: BoosterSettings,
    climatology,
    metadata: dict | None,
    progress: Callable[[str], None] | None,
) -> tuple[CorrectorModel, FitReport]:
    """Boosters, blend weights and interval offsets of one feature set (usable rows already chosen)."""
    target = f"{pollutant}_observed"
    if spec.uses_met and settings.met_fallback:  # rows without met are the fallback's: never judge by them
        with_met = ~met_absent(valid)
        if with_met.sum() >= MIN_VALID_ROWS:
            valid = valid[with_met]
    columns = model_columns(spec, pollutant)
    base_train = base_forecast(train, pollutant, base)
    base_valid = base_forecast(valid, pollutant, base)
    y_train = train[target].to_numpy(dtype=float)
    y_valid = valid[target].to_numpy(dtype=float)
    boosters: dict[str, lgb.Booster] = {}
    report = FitReport(rows_train=len(train), rows_valid=len(valid))
    jobs = [("mean", "regression", None, settings.max_rounds)] + [
        (name, "quantile", level, settings.quantile_max_rounds) for name, level in QUANTILE_LEVELS.items()
    ]
    for name, objective, alpha, rounds in jobs:
        if progress:
            progress(f"{pollutant}: {name} booster")
        power = settings.mean_weight_power if objective == "regression" else 1  # squared vs pinball loss in µg/m³
        train_set = _dataset(train[columns], y_train, base_train, transform, power)
        valid_set = lgb.Dataset(
            valid[columns],
            to_target(y_valid, base_valid, transform),
            # early stopping on a gentler weighting: with (base + c)² a handful of extreme days of a short
            # validation block decide alone and can stop the mean booster after a few dozen trees
            weight=target_weights(base_valid, transform, min(power, settings.valid_weight_power)),
            reference=train_set,
        )
        history: dict = {}
        booster = lgb.train(
            settings.params(objective, alpha),
            train_set,
            num_boost_round=rounds,
            valid_sets=[valid_set],
            callbacks=[
                lgb.early_stopping(settings.early_stopping_rounds, verbose=False),
                lgb.record_evaluation(history),
            ],
        )
        booster.best_iteration = (
            smallest_within_tolerance(history, settings.stopping_tolerance) or booster.best_iteration
        )
        floor = min(settings.min_rounds, rounds) if objective == "regression" else 0
        if (booster.best_iteration or rounds) < floor:
            logger.info("%s %s booster stopped at %d trees; refitting the floor of %d", pollutant, name,
                        booster.best_iteration, floor)  # fmt: skip
            report.floored.append(name)
            booster = lgb.train(settings.params(objective, alpha), train_set, num_boost_round=floor)
        boosters[name] = booster
        report.best_iterations[name] = int(booster.best_iteration or booster.current_iteration())
    block = lead_block_index(valid["lead_h"].to_numpy())
    mean = from_target(boosters["mean"].predict(valid[columns]), base_valid, transform)
    clim_column = f"{pollutant}_climatology"
    clim = valid[clim_column].to_numpy(dtype=float) if clim_column in valid else np.full(len(valid), np.nan)
    report.blend_weights = fit_blend_weights(mean, clim, y_valid, valid["lead_h"].to_numpy(), spec.max_lead_hours)
    raw = {q: boosters[q].predict(valid[columns]) for q in ("q10", "q90")}  # transformed units
    report.interval_offsets = conformal_offsets(
        raw["q10"], raw["q90"], to_target(y_valid, base_valid, transform), block
    )
    report.valid_rmse = float(np.sqrt(np.mean((mean - y_valid) ** 2)))
    model = CorrectorModel(
        pollutant=pollutant,
        spec=spec,
        columns=columns,
        boosters=boosters,
        base=base,
        transform=transform,
        blend_weights=report.blend_weights,
        interval_offsets=report.interval_offsets,
        climatology=climatology,
        metadata={**(metadata or {}), "best_iterations": report.best_iterations, "lightgbm": lgb.__version__},
    )
    return model, report
