"""``vnaqi train``: fit correctors on the archive, verify them on the validation block, log them to MLflow."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import typer

from forecast.cli import app
from forecast.cli.common import HomeOption, console, fail, home_layout
from forecast.cli.progress import stage_progress
from forecast.cli.tables import category_table, skill_table

logger = logging.getLogger(__name__)

ModelChoice = Literal["lightgbm", "lstm", "blend"]
MetChoice = Literal["perfect", "perturbed", "none"]

TrackingOption = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        envvar="MLFLOW_TRACKING_URI",
        help="MLflow tracking URI (default: SQLite store in HOME/mlruns).",
        show_default=False,
    ),
]


def parse_hours(text: str) -> tuple[int, ...]:
    """``"0,12"`` → (0, 12); a clear error for anything else."""
    try:
        hours = tuple(int(h) for h in text.replace(" ", "").split(",") if h != "")
    except ValueError as exc:
        raise fail(f"--issue-hours: {text!r} is not a comma-separated list of UTC hours, e.g. 0,12") from exc
    if not hours or any(not 0 <= h <= 23 for h in hours):
        raise fail(f"--issue-hours: {text!r} must list hours between 0 and 23")
    return hours


@app.command("train")
def train_command(
    train_to: Annotated[str, typer.Option("--train-to", help="Last day of the training period (YYYY-MM-DD).")],
    valid_to: Annotated[
        str, typer.Option("--valid-to", help="Last day of the validation block that follows it (early stopping).")
    ],
    model: Annotated[ModelChoice, typer.Option("--model", help="Model family.")] = "lightgbm",
    pollutant: Annotated[
        list[str] | None, typer.Option("--pollutant", "-p", help="Pollutant to train (repeatable; default: all).")
    ] = None,
    train_from: Annotated[
        str | None, typer.Option("--train-from", help="First day of training (default: start of the archive).")
    ] = None,
    met: Annotated[
        MetChoice | None,
        typer.Option(
            "--met",
            help="perfect: observed met at the valid time (perfect prognosis, an upper bound); perturbed: with "
            "realistic lead-dependent noise; none: observations and calendar only. Default: perfect where "
            "the stations have observed met, else none.",
            show_default=False,
        ),
    ] = None,
    network: Annotated[str | None, typer.Option("--network", help="Only the stations of this network.")] = None,
    station: Annotated[list[str] | None, typer.Option("--station", help="Only these stations (repeatable).")] = None,
    issue_hours: Annotated[
        str, typer.Option("--issue-hours", help="UTC issue hours of the hindcast origins.")
    ] = "0,12",
    lead_stride: Annotated[
        int, typer.Option("--lead-stride", min=1, max=6, help="Train on every n-th lead (rotating) to save time.")
    ] = 3,
    quick: Annotated[
        bool, typer.Option("--quick", help="Fewer, smaller trees: minutes become seconds (demos, smoke tests).")
    ] = False,
    tracking_uri: TrackingOption = None,
    home: HomeOption = None,
) -> None:
    """Train one corrector per pollutant and register it in MLflow (promote it with `vnaqi promote`).

    Training uses issues from the start of the archive whose 72 h end by --train-to; the validation block
    (issues after --train-to whose 72 h end by --valid-to) early-stops the boosters, calibrates the
    10–90 % interval and is verified and logged with the model.
    """
    if model != "lightgbm":
        raise fail(
            f"--model {model}: not available yet (the LSTM and the blend come with their own issue); "
            "use --model lightgbm"
        )
    from forecast.model_store import TrackingSettings, TrackingUnavailableError, open_tracking
    from training.experiment import log_training, pollutant_metrics, verify_hindcast
    from training.lightgbm import BoosterSettings, TrainingDataError
    from training.pipeline import plan_training, train

    layout = home_layout(home)
    settings = TrackingSettings(tracking_uri=tracking_uri).resolve(layout.root)
    try:
        open_tracking(settings, layout.root)  # fail before hours of work if the store is unreachable
        plan = plan_training(
            layout.root,
            train_to=train_to,
            valid_to=valid_to,
            train_from=train_from,
            pollutants=pollutant,
            stations=station,
            network=network,
            met_mode=met,
            issue_hours=parse_hours(issue_hours),
            lead_stride=lead_stride,
        )
    except (TrainingDataError, TrackingUnavailableError, ValueError, KeyError) as exc:
        raise fail(str(exc.args[0] if isinstance(exc, KeyError) else exc)) from exc
    console.print(
        f"Training {', '.join(plan.pollutants)} on {len(plan.stations)} station(s): "
        f"{plan.train_from:%Y-%m-%d} … {plan.train_to:%Y-%m-%d}, validation to {plan.valid_to:%Y-%m-%d}; "
        f"met mode [bold]{plan.met_mode}[/]"
        + (" (perfect prognosis: observed met at the valid time, an upper bound)" if plan.met_mode == "perfect" else "")
    )
    booster_settings = BoosterSettings.quick() if quick else BoosterSettings()
    try:
        with stage_progress() as update:
            result = train(layout.root, plan, settings=booster_settings, progress=update)
            update("verification", 0, 1)
            report = verify_hindcast(result.valid_hindcast, layout.root)
            update("verification", 1, 1)
            update("MLflow logging", 0, len(result.models))
            logged = log_training(result, report, layout.root, settings, booster_settings)
            update("MLflow logging", len(result.models), len(result.models))
    except (TrainingDataError, TrackingUnavailableError) as exc:
        raise fail(str(exc)) from exc
    console.print(skill_table(report.summary(), "Validation block: 24 h-mean RMSE by lead window"))
    console.print(category_table(report.daily_categories))
    for pollutant, (run_id, version) in logged.items():
        headline = pollutant_metrics(report, pollutant).get("rmse_24hmean_mean", float("nan"))
        console.print(
            f"{pollutant}: registered [bold]vnaqi-{pollutant}[/] version {version} (MLflow run {run_id}); "
            f"mean 24 h RMSE {headline:.1f} µg/m³. Promote with: vnaqi promote --model vnaqi-{pollutant} "
            f"--version {version}"
        )
