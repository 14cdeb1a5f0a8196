"""``vnaqi train``: fit correctors on the archive, verify them on the validation block, log them to MLflow."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import typer

from forecast.cli import app
from forecast.cli.common import HomeOption, console, fail, home_layout
from forecast.cli.progress import stage_progress
from forecast.cli.tables import category_table, skill_table, weights_table

logger = logging.getLogger(__name__)

ModelChoice = Literal["lightgbm", "lstm", "blend"]
MetChoice = Literal["perfect", "perturbed", "none"]
DeviceChoice = Literal["cpu", "cuda", "auto"]

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
        bool,
        typer.Option("--quick", help="Smaller models, fewer trees or epochs: minutes become seconds (demos, tests)."),
    ] = False,
    device: Annotated[
        DeviceChoice, typer.Option("--device", help="LSTM: cpu, cuda (a GPU; an error without one) or auto.")
    ] = "cpu",
    threads: Annotated[
        int, typer.Option("--threads", min=0, help="LSTM: torch threads for the fit (0: torch's default).")
    ] = 0,
    tracking_uri: TrackingOption = None,
    home: HomeOption = None,
) -> None:
    """Train correctors and register them in MLflow (promote one with `vnaqi promote`).

    --model lightgbm: one booster set per pollutant. --model lstm: one sequence model for all the
    pollutants, registered as a version of each vnaqi-<pollutant>. --model blend: both, then their
    convex blend per pollutant and lead block fitted on the validation block; all three are registered
    and reported side by side.

    Training uses issues from the start of the archive whose 72 h end by --train-to; the validation block
    (issues after --train-to whose 72 h end by --valid-to) early-stops the boosters and the LSTM,
    calibrates the 10–90 % interval, fits the blend and is verified and logged with each model.
    """
    from forecast.model_kinds import ExtraNotInstalledError, require_lstm
    from forecast.model_store import TrackingSettings, TrackingUnavailableError, open_tracking
    from training.lightgbm import TrainingDataError
    from training.pipeline import plan_training

    layout = home_layout(home)
    if model in ("lstm", "blend"):
        try:
            require_lstm(f"--model {model}")
            from training.sequence import resolve_device

            resolve_device(device)  # a clear error now, not after the inputs are read
        except (ExtraNotInstalledError, ValueError) as exc:
            raise fail(str(exc)) from exc
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
        f"Training [bold]{model}[/] for {', '.join(plan.pollutants)} on {len(plan.stations)} station(s): "
        f"{plan.train_from:%Y-%m-%d} … {plan.train_to:%Y-%m-%d}, validation to {plan.valid_to:%Y-%m-%d}; "
        f"met mode [bold]{plan.met_mode}[/]"
        + (" (perfect prognosis: observed met at the valid time, an upper bound)" if plan.met_mode == "perfect" else "")
    )
    try:
        with stage_progress() as update:
            trained = train_families(layout.root, plan, model, settings, quick, device, threads, update)
    except (TrainingDataError, TrackingUnavailableError, ValueError) as exc:
        raise fail(str(exc)) from exc
    report_training(trained)


def train_families(home, plan, model: str, settings, quick: bool, device: str, threads: int, update) -> dict:
    """Train, verify and log the families ``model`` asks for; family → (verification report, {pollutant: (run
    id, version)})."""
    from forecast.model_store import mlflow_uris
    from training.comparison import side_by_side
    from training.experiment import log_family, log_training, lstm_fit_logger, verify_hindcast
    from training.lightgbm import BoosterSettings

    out: dict = {}
    lightgbm = lstm = None
    if model in ("lightgbm", "blend"):
        from training.pipeline import train

        booster_settings = BoosterSettings.quick() if quick else BoosterSettings()
        lightgbm = train(home, plan, settings=booster_settings, progress=update)
        report = verify_hindcast(lightgbm.valid_hindcast, home)
        update("MLflow logging (LightGBM)", 0, len(lightgbm.models))
        out["lightgbm"] = (report, log_training(lightgbm, report, home, settings, booster_settings))
        update("MLflow logging (LightGBM)", len(lightgbm.models), len(lightgbm.models))
    if model in ("lstm", "blend"):
        from training.families import train_lstm
        from training.sequence import SequenceSettings

        sequence_settings = SequenceSettings.quick() if quick else SequenceSettings()
        sequence_settings.device, sequence_settings.num_threads = device, threads
        fit_logger = lstm_fit_logger(settings, home, plan)
        resolved = settings.resolve(home)
        # Lightning's MLFlowLogger sets MLflow's process-wide URI (and $MLFLOW_TRACKING_URI): keep it inside
        with mlflow_uris(resolved.tracking_uri, resolved.registry_uri):
            lstm = train_lstm(home, plan, settings=sequence_settings, lightning_logger=fit_logger, progress=update)
        report = verify_hindcast(lstm.valid_hindcast, home)
        out["lstm"] = (report, log_family(lstm, report, home, settings, fit_run_id=fit_logger.run_id))
    if model == "blend":
        from training.families import train_blend

        blend = train_blend(lightgbm, lstm, home=home)
        report = verify_hindcast(blend.valid_hindcast, home)
        out["blend"] = (report, log_family(blend, report, home, settings))
        out["blend_weights"] = blend.model.weight_table()
        frames = {"lightgbm": lightgbm.valid_hindcast, "lstm": lstm.valid_hindcast, "blend": blend.valid_hindcast}
        out["side_by_side"] = side_by_side(frames, home, daily=False)
    return out


def report_training(trained: dict) -> None:
    """Print the validation scores (side by side for several families) and the registered versions."""
    from training.experiment import pollutant_metrics

    families = [f for f in ("lightgbm", "lstm", "blend") if f in trained]
    if "side_by_side" in trained:
        summary = trained["side_by_side"].summary()
        console.print(skill_table(summary, "Validation block, side by side: 24 h-mean RMSE by lead window"))
        console.print(weights_table(trained["blend_weights"]))
        console.print(
            "[yellow]The blend's weights were fitted on this validation block, so its score here is optimistic; "
            "compare on a later period: vnaqi evaluate --model vnaqi-pm25/N --model … --from … --to …[/]"
        )
    for family in families:
        report, logged = trained[family]
        if "side_by_side" not in trained:
            console.print(skill_table(report.summary(), f"Validation block ({family}): 24 h-mean RMSE by lead window"))
            console.print(category_table(report.daily_categories))
        for pollutant, (run_id, version) in logged.items():
            metrics = pollutant_metrics(report, pollutant)
            headline = metrics.get("rmse_24hmean_mean", float("nan"))
            coverage = [metrics.get(f"coverage_10_90_{k}") for k in ("lead1_24", "lead25_48", "lead49_72")]
            cover = "/".join("-" if c is None else f"{c:.2f}" for c in coverage)
            console.print(
                f"{pollutant} {family}: registered [bold]vnaqi-{pollutant}[/] version {version} (MLflow run {run_id}); "
                f"mean 24 h RMSE {headline:.1f} µg/m³, 10–90 % coverage D1/D2/D3 {cover}. "
                f"Promote with: vnaqi promote --model vnaqi-{pollutant} --version {version}"
            )
