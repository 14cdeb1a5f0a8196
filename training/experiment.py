"""From a training result (any family) to MLflow: verification of the validation block, plots, metrics, registration."""

from __future__ import annotations

import logging
import math
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from configs.networks import registry_for_home
from configs.settings import HomeLayout
from forecast.model_kinds import model_pollutants
from forecast.model_store import TrackingSettings, default_registered_name, open_tracking
from forecast.verification import VerificationReport, verify
from forecast.verification.plots import plot_reliability, plot_skill_by_lead
from training.families import FamilyResult
from training.lightgbm import BoosterSettings
from training.pipeline import TrainingPlan, TrainingResult
from training.tracking import experiment_for, log_corrector_run

logger = logging.getLogger(__name__)

WINDOW_KEYS = {"1-24 h": "lead1_24", "25-48 h": "lead25_48", "49-72 h": "lead49_72"}
HEADLINE = "rmse_24hmean_mean"
"""The score promotion compares: mean over the three lead windows of the 24 h-mean RMSE [µg/m³]."""


def tz_by_station(home: Path, stations) -> dict[str, str]:
    """Each station's local time zone (local days of the daily VN_AQI)."""
    registry = registry_for_home(HomeLayout(Path(home)).networks)
    return {sid: registry.get(sid).time_zone for sid in stations if sid in registry}


def verify_hindcast(table: pd.DataFrame, home: Path) -> VerificationReport:
    """Verification of a hindcast table, local days in each station's zone."""
    return verify(table, tz_by_station=tz_by_station(home, table["station_id"].unique()))


def _finite(value) -> bool:
    return value is not None and not pd.isna(value) and math.isfinite(float(value))


def pollutant_metrics(report: VerificationReport, pollutant: str) -> dict[str, float]:
    """Metrics logged per run: window-mean RMSE of the model and references, ratios, categories, coverage."""
    metrics: dict[str, float] = {}
    summary = report.summary()
    for _, row in summary[summary["pollutant"] == pollutant].iterrows():
        key = WINDOW_KEYS.get(str(row["window"]), str(row["window"]).replace("-", "_").replace(" ", ""))
        for column in row.index:
            if column.startswith(("rmse_", "skill_vs_")) and _finite(row[column]):
                metrics[f"{column}_24hmean_{key}".replace("rmse_forecast", "rmse")] = float(row[column])
    rmse = [metrics.get(f"rmse_24hmean_{k}") for k in WINDOW_KEYS.values()]
    if all(_finite(v) for v in rmse):
        metrics[HEADLINE] = float(np.mean(rmse))
    categories = report.daily_categories
    rows = categories[(categories["pollutant"] == pollutant) & (categories["method"] == "forecast")]
    for _, row in rows.iterrows():
        for column in ("accuracy", "accuracy_within_1", "pod_ge101", "far_ge101", "csi_ge101", "csi_ge151"):
            if column in row and _finite(row[column]):
                metrics[f"aqi_{column}_{row['day']}"] = float(row[column])
    prob = report.probabilistic
    rows = prob[(prob["pollutant"] == pollutant) & (prob["group_kind"] == "window")]
    for _, row in rows.iterrows():
        key = WINDOW_KEYS.get(str(row["group"]), str(row["group"]))
        for column in ("coverage_10_90", "crps_quantile"):
            if _finite(row[column]):
                metrics[f"{column}_{key}"] = float(row[column])
    return metrics


def headline_score(report: VerificationReport, pollutant: str) -> float:
    """:data:`HEADLINE` of the model's forecast for ``pollutant`` (NaN when a window has no pairs)."""
    return pollutant_metrics(report, pollutant).get(HEADLINE, float("nan"))


def _pollutant_tables(report: VerificationReport, pollutant: str) -> dict[str, pd.DataFrame]:
    tables = {}
    for name, frame in report.to_frames().items():
        if "pollutant" in frame:
            frame = frame[frame["pollutant"].isin([pollutant, "all"])]
        tables[name] = frame
    tables["summary"] = report.summary().query("pollutant == @pollutant")
    return tables


def data_period(plan: TrainingPlan) -> dict[str, str]:
    """Training and verification periods of a plan (tags of the run and of the registered version)."""
    return {
        "train_from": f"{plan.train_from:%Y-%m-%d}",
        "train_to": f"{plan.train_to:%Y-%m-%d}",
        "valid_to": f"{plan.valid_to:%Y-%m-%d}",
        "verification_from": f"{plan.train_to + pd.Timedelta(days=1):%Y-%m-%d}",
        "verification_to": f"{plan.valid_to:%Y-%m-%d}",
    }


def _log_pollutant_run(
    tracking: TrackingSettings | None,
    home: Path,
    model,
    pollutant: str,
    family: str,
    report: VerificationReport,
    valid_hindcast: pd.DataFrame,
    plan: TrainingPlan,
    *,
    params: dict,
    data_hash: str,
    input_example: pd.DataFrame,
    extra_tables: dict[str, pd.DataFrame] | None = None,
    feature_importance: pd.DataFrame | None = None,
    registered_name: str | None = None,
    extra_tags: dict[str, str] | None = None,
) -> tuple[str, str]:
    """One pollutant's run with the verification every family logs (same metrics, tables and plots)."""
    with tempfile.TemporaryDirectory(prefix="vnaqi-plots-") as scratch:
        figures = {
            "skill_by_lead": plot_skill_by_lead(report.by_lead, pollutant, Path(scratch) / "skill_by_lead.png"),
            "reliability": plot_reliability(
                report.reliability[report.reliability["pollutant"] == pollutant], Path(scratch) / "reliability.png"
            ),
        }
        tables = _pollutant_tables(report, pollutant)
        tables["valid_hindcast"] = valid_hindcast[valid_hindcast["pollutant"] == pollutant]
        tables.update(extra_tables or {})
        return log_corrector_run(
            tracking,
            home,
            model,
            params={
                "model": family,
                "pollutant": pollutant,
                "met_mode": plan.met_mode,
                "perfect_prognosis": plan.met_mode in ("perfect", "perturbed"),
                "issue_hours": ",".join(str(h) for h in plan.issue_hours),
                "lead_stride": plan.lead_stride,
                "stations": len(plan.stations),
                **params,
            },
            metrics=pollutant_metrics(report, pollutant),
            tables=tables,
            figures=figures,
            feature_importance=feature_importance,
            data_period=data_period(plan),
            data_hash=data_hash,
            input_example=input_example,
            registered_name=registered_name or default_registered_name(pollutant),
            tags={
                "met_mode": plan.met_mode,
                "model_family": family,
                "stations": ",".join(plan.stations),
                **(extra_tags or {}),
            },
            pollutant=pollutant,
        )


def log_training(
    result: TrainingResult,
    report: VerificationReport,
    home: Path,
    tracking: TrackingSettings | None,
    settings: BoosterSettings,
    registered_names: dict[str, str] | None = None,
) -> dict[str, tuple[str, str]]:
    """Log and register every pollutant's LightGBM model; returns pollutant → (run id, registered version)."""
    out = {}
    for pollutant, model in result.models.items():
        model = result.models[pollutant]
        fit = result.reports[pollutant]
        out[pollutant] = _log_pollutant_run(
            tracking, home, model, pollutant, "lightgbm", report, result.valid_hindcast, result.plan,
            params={
                "base": model.base,
                "transform": model.transform,
                "booster": asdict(settings),
                "best_iterations": fit.best_iterations,
                "early_stopping_floor_applied": ",".join(fit.floored) or "no",
                "blend_weights": ",".join(f"{w:.2f}" for w in fit.blend_weights),
                "interval_offsets": ",".join(f"{o:.3f}" for o in fit.interval_offsets),
                "rows_train": fit.rows_train,
                "rows_valid": fit.rows_valid,
                "rows_held_out_months": fit.rows_holdout,
                "fallback_best_iterations": fit.fallback_best_iterations or "none",
            },
            data_hash=result.data_hash, input_example=result.example_rows,
            feature_importance=result.feature_importance[pollutant],
            registered_name=(registered_names or {}).get(pollutant),
        )  # fmt: skip
    return out


def _lstm_params(fit: dict, pollutant: str) -> dict:
    return {
        "sequence": fit.get("settings", {}),
        "best_epoch": fit.get("best_epoch"),
        "epochs_run": fit.get("epochs_run"),
        "samples_train": fit.get("samples_train"),
        "samples_valid": fit.get("samples_valid"),
        "samples_held_out_months": fit.get("samples_holdout"),
        "device": fit.get("device"),
        "fit_seconds": fit.get("seconds"),
        "interval_offsets": ",".join(f"{o:.3f}" for o in fit.get("interval_offsets", {}).get(pollutant, [])),
    }


def log_family(
    result: FamilyResult,
    report: VerificationReport,
    home: Path,
    tracking: TrackingSettings | None,
    *,
    fit_run_id: str | None = None,
    registered_names: dict[str, str] | None = None,
) -> dict[str, tuple[str, str]]:
    """Log and register an LSTM or a blend once per pollutant (the pollutant's experiment and registered
    model, the same verification as LightGBM's runs); returns pollutant → (run id, registered version).

    ``fit_run_id``: the run Lightning's MLflow logger wrote the LSTM's epoch losses to (tagged on each run).
    """
    out = {}
    plan = result.plan
    for pollutant in model_pollutants(result.model):
        extra_tables: dict[str, pd.DataFrame] = {}
        if result.kind == "lstm":
            model = result.model
            params = _lstm_params(result.fit_report, pollutant)
            extra_tables["epochs"] = pd.DataFrame(result.fit_report.get("history", []))
        else:
            model = result.model.for_pollutants([pollutant])
            weights = model.weight_table()
            params = {
                "components": "+".join(model.components),
                "blocks": ",".join(f"{a}-{b}" for a, b in model.blocks),
                **{
                    f"weight_{name}": ",".join(f"{w:.3f}" for w in weights[name])
                    for name in model.components
                },
                "interval_offsets": ",".join(f"{o:.3f}" for o in model.offsets.get(pollutant, [])),
            }
            if result.fit_table is not None:
                extra_tables["blend_fit"] = result.fit_table[result.fit_table["pollutant"] == pollutant]
        out[pollutant] = _log_pollutant_run(
            tracking, home, model, pollutant, result.kind, report, result.valid_hindcast, plan,
            params=params, data_hash=result.data_hash, input_example=result.example_request,
            extra_tables=extra_tables, registered_name=(registered_names or {}).get(pollutant),
            extra_tags={"fit_run_id": fit_run_id} if fit_run_id else None,
        )  # fmt: skip
    return out


def lstm_fit_logger(tracking: TrackingSettings, home: Path, plan: TrainingPlan):
    """Lightning's ``MLFlowLogger`` writing the LSTM's per-epoch losses to a run of ``<prefix>-lstm-fit``."""
    from pytorch_lightning.loggers import MLFlowLogger

    resolved = tracking.resolve(home)
    client = open_tracking(resolved, home)
    experiment_for(client, "lstm-fit", resolved.experiment_prefix, resolved.artifact_root)
    stamp = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%SZ")
    return MLFlowLogger(
        experiment_name=resolved.experiment_name("lstm-fit"),
        run_name=f"lstm-{'+'.join(plan.pollutants)}-{plan.met_mode}-{stamp}",
        tracking_uri=resolved.tracking_uri,
        tags={"model_family": "lstm", "met_mode": plan.met_mode, "pollutants": ",".join(plan.pollutants)},
    )
