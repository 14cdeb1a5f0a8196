"""``vnaqi hindcast``, ``vnaqi evaluate`` and ``vnaqi promote``: reproduce, score and promote models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer

from forecast.cli import app
from forecast.cli.common import HomeOption, console, fail, home_layout
from forecast.cli.progress import stage_progress
from forecast.cli.tables import category_table, skill_table
from forecast.cli.train import TrackingOption, parse_hours

MetChoice = Literal["perfect", "perturbed", "none"]


def _errors():
    from forecast.model_store import ModelNotFoundError, TrackingUnavailableError
    from training.lightgbm import TrainingDataError

    return (ModelNotFoundError, TrackingUnavailableError, TrainingDataError, ValueError,
            FileExistsError, FileNotFoundError)  # fmt: skip


def _matching_version(client, name: str, met: str) -> str:
    """Newest version of ``name`` trained with met mode ``met``."""
    from forecast.model_store import ModelNotFoundError

    versions = sorted(client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version))
    matching = [v for v in versions if (v.tags or {}).get("met_mode") == met]
    if not matching:
        modes = sorted({(v.tags or {}).get("met_mode", "?") for v in versions})
        raise ModelNotFoundError(f"no version of {name} was trained with --met {met} (modes present: {modes})")
    return str(matching[-1].version)


def _print_report(report, title: str) -> None:
    console.print(skill_table(report.summary(), title))
    if not report.daily_categories.empty:
        console.print(category_table(report.daily_categories))


@app.command("hindcast")
def hindcast_command(
    start: Annotated[str, typer.Option("--from", help="First issue day (YYYY-MM-DD, UTC).")],
    end: Annotated[str, typer.Option("--to", help="Last issue day (YYYY-MM-DD, UTC).")],
    out: Annotated[Path, typer.Option("--out", help="Parquet file to write (one row per issue, station, lead).")],
    model: Annotated[
        str, typer.Option("--model", help="latest, champion, NAME/VERSION (e.g. vnaqi-pm25/3) or NAME@ALIAS.")
    ] = "champion",
    pollutant: Annotated[
        list[str] | None, typer.Option("--pollutant", "-p", help="Pollutant (repeatable; default pm25).")
    ] = None,
    issue_hours: Annotated[str, typer.Option("--issue-hours", help="UTC issue hours.")] = "0,12",
    met: Annotated[
        MetChoice | None,
        typer.Option("--met", help="With --model latest: the newest version trained with this met mode."),
    ] = None,
    station: Annotated[list[str] | None, typer.Option("--station", help="Stations (default: the model's).")] = None,
    scheduler: Annotated[
        str | None, typer.Option("--dask-scheduler", help="Run the chunks on this dask.distributed scheduler.")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out file.")] = False,
    tracking_uri: TrackingOption = None,
    home: HomeOption = None,
) -> None:
    """Forecast every issue time of a period with a registered model, as the cycle would have.

    Only observations stamped at or before each issue time are used. Writes issue_time, station_id,
    pollutant, lead_h, valid_time (UTC), forecast, q10, q50, q90 and observed [µg/m³], plus the
    persistence and climatology references, and prints the verification of the period.
    """
    from forecast.model_kinds import describe, model_met_mode
    from forecast.model_store import TrackingSettings, load_corrector, open_tracking
    from training.comparison import (
        hindcast_issue_times,
        hindcast_models,
        in_sample_warning,
        model_stations,
        write_parquet_atomic,
    )
    from training.experiment import verify_hindcast

    layout = home_layout(home)
    if out.exists() and not overwrite:
        raise fail(f"{out} exists; choose another --out or pass --overwrite")
    pollutants = pollutant or ["pm25"]
    try:
        settings = TrackingSettings(tracking_uri=tracking_uri).resolve(layout.root)
        client = open_tracking(settings, layout.root)
        models, infos = {}, {}
        for p in pollutants:
            ref = model
            if met is not None and model == "latest":
                ref = f"vnaqi-{p}/{_matching_version(client, f'vnaqi-{p}', met)}"
            models[p], infos[p] = load_corrector(client, layout.root, ref, p)
            if met is not None and model_met_mode(models[p]) != met:
                raise ValueError(
                    f"{infos[p].name} version {infos[p].version} was trained with --met {model_met_mode(models[p])}, "
                    f"not {met}; use --model latest --met {met} or another version"
                )
        stations = sorted({s for m in models.values() for s in (model_stations(m, layout.root, station) or ())})
        issues = hindcast_issue_times(
            layout.root, start, end, parse_hours(issue_hours), stations=stations or None, pollutants=pollutants
        )
        dask_client = None
        if scheduler:
            from distributed import Client

            dask_client = Client(scheduler)
        with stage_progress() as update:
            table = hindcast_models(
                layout.root, models, issues, station, client=dask_client,
                progress=lambda d, t: update("hindcast chunks", d, t),
            )  # fmt: skip
        write_parquet_atomic(table, out, overwrite)
    except _errors() as exc:
        raise fail(str(exc)) from exc
    for p, info in infos.items():
        mode = model_met_mode(models[p])
        console.print(
            f"{p}: {info.name} version {info.version} ({describe(models[p])}, {mode} met"
            + (", perfect prognosis: an upper bound" if mode == "perfect" else "")
            + ")"
        )
    console.print(f"Wrote {len(table):,} rows ({len(issues)} issue times) to {out}")
    for p, info in infos.items():
        warning = in_sample_warning(models[p], f"{info.name} version {info.version}", start, end)
        if warning:
            console.print(f"[bold yellow]Warning:[/] {warning}")
    if table["observed"].notna().any():
        _print_report(verify_hindcast(table, layout.root), f"Hindcast {start} … {end}: 24 h-mean RMSE")


@app.command("evaluate")
def evaluate_command(
    run: Annotated[str | None, typer.Option("--run", help="MLflow run id of a training run.")] = None,
    hindcast: Annotated[Path | None, typer.Option("--hindcast", help="Hindcast Parquet (or CSV) file.")] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="A registered model to hindcast and score (repeatable: side by side), e.g. vnaqi-pm25/3, champion.",
        ),
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="With --model: first issue day (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="With --model: last issue day (YYYY-MM-DD).")] = None,
    pollutant: Annotated[
        list[str] | None, typer.Option("--pollutant", "-p", help="With --model: pollutant (repeatable; default pm25).")
    ] = None,
    issue_hours: Annotated[str, typer.Option("--issue-hours", help="With --model: UTC issue hours.")] = "0,12",
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the tables and plots.")] = None,
    tracking_uri: TrackingOption = None,
    home: HomeOption = None,
) -> None:
    """Verify a hindcast file, a training run's validation block, or registered models side by side.

    With --model (repeatable) each model is hindcast on --from … --to from the archive and all are scored
    on the same pairs: LightGBM, LSTM and blend versions next to persistence and climatology.
    """
    from forecast.verification.plots import plot_reliability, plot_skill_by_lead
    from training.experiment import verify_hindcast

    if sum(x is not None for x in (run, hindcast, model or None)) != 1:
        raise fail("give exactly one of --run ID, --hindcast FILE or --model REF (repeatable)")
    if model and not (start and end):
        raise fail("--model needs the period to hindcast: --from YYYY-MM-DD --to YYYY-MM-DD")
    layout = home_layout(home)
    try:
        if model:
            report, coverage = _compare_models(
                model, start, end, pollutant or ["pm25"], issue_hours, tracking_uri, layout.root
            )
            source = f"{', '.join(model)} on {start} … {end}"
        else:
            if hindcast is not None:
                if not hindcast.exists():
                    raise FileNotFoundError(f"{hindcast} does not exist")
                table = pd.read_csv(hindcast) if hindcast.suffix == ".csv" else pd.read_parquet(hindcast)
                source = str(hindcast)
            else:
                table = _run_hindcast_table(run, tracking_uri, layout.root)
                source = f"MLflow run {run}"
            for column in ("issue_time", "valid_time"):
                if column in table:
                    table[column] = pd.to_datetime(table[column], utc=True)
            report = verify_hindcast(table, layout.root)
    except _errors() as exc:
        raise fail(str(exc)) from exc
    console.print(skill_table(report.summary(), f"{source}: 24 h-mean RMSE by lead window"))
    for method in report.methods if model else ["forecast"]:
        if method in ("persistence", "climatology") or report.daily_categories.empty:
            continue
        console.print(category_table(report.daily_categories, method))
    if model:
        _print_coverage(coverage)
    if out is not None:
        written = report.save(out)
        for p in sorted(set(report.by_lead["pollutant"])):
            plot_skill_by_lead(report.by_lead, p, out / f"skill_by_lead_{p}.png")
        plot_reliability(report.reliability, out / "reliability.png")
        console.print(f"Wrote {len(written)} tables and the plots to {out}")


def _compare_models(refs, start, end, pollutants, issue_hours, tracking_uri, home: Path):
    """Hindcast each registered model on the period and verify them side by side (common pairs)."""
    from forecast.model_kinds import model_kind, station_lists
    from forecast.model_store import TrackingSettings, load_corrector, open_tracking
    from training.comparison import hindcast_issue_times, hindcast_models, in_sample_warning, side_by_side

    client = open_tracking(TrackingSettings(tracking_uri=tracking_uri).resolve(home), home)
    loaded = {}
    for ref in refs:
        models, label = {}, None
        for p in pollutants:
            models[p], info = load_corrector(client, home, ref, p)
            label = f"v{info.version} {model_kind(models[p])}" if info.version else f"{ref} {model_kind(models[p])}"
            warning = in_sample_warning(models[p], f"{info.name} version {info.version}", start, end)
            if warning:
                console.print(f"[bold yellow]Warning:[/] {warning}")
        if label in loaded:
            raise ValueError(f"--model {ref} names a model already compared ({label})")
        loaded[label] = models
    stations = station_lists([m for models in loaded.values() for m in models.values()])
    issues = hindcast_issue_times(home, start, end, parse_hours(issue_hours), stations or None, pollutants)
    frames = {}
    with stage_progress() as update:
        for label, models in loaded.items():
            frames[label] = hindcast_models(
                home, models, issues, stations or None, progress=lambda d, t, label=label: update(label, d, t)
            )
    return side_by_side(frames, home), interval_coverage(frames)


def interval_coverage(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """10–90 % coverage per method, pollutant and lead window (each method on its own rows)."""
    from forecast.verification.probabilistic import probabilistic_scores

    parts = [probabilistic_scores(rows, by=("window",)).assign(method=name) for name, rows in frames.items()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _print_coverage(rows: pd.DataFrame) -> None:
    from rich.table import Table

    rows = rows[rows["group_kind"] == "window"] if "group_kind" in rows else rows.iloc[0:0]
    if rows.empty:
        return
    table = Table(title="10–90 % interval coverage (target 0.80)", title_justify="left")
    for name in ("pollutant", "method", "window", "coverage"):
        table.add_column(name, justify="right" if name == "coverage" else "left")
    for _, row in rows.iterrows():
        table.add_row(str(row["pollutant"]), str(row["method"]), str(row["group"]), f"{row['coverage_10_90']:.2f}")
    console.print(table)


def _run_hindcast_table(run_id: str, tracking_uri: str | None, home: Path) -> pd.DataFrame:
    import tempfile

    from mlflow.exceptions import MlflowException

    from forecast.model_store import TrackingSettings, open_tracking

    client = open_tracking(TrackingSettings(tracking_uri=tracking_uri).resolve(home), home)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            path = client.download_artifacts(run_id, "verification/valid_hindcast.csv", scratch)
        except MlflowException as exc:
            raise ValueError(f"run {run_id!r}: no validation hindcast to evaluate ({exc.message})") from exc
        return pd.read_csv(path)


@app.command("promote")
def promote_command(
    model: Annotated[str, typer.Option("--model", help="Registered model, e.g. vnaqi-pm25.")],
    version: Annotated[int, typer.Option("--version", help="The candidate version.")],
    force: Annotated[bool, typer.Option("--force", help="Promote whatever the scores (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (mandatory with --force; logged).")] = None,
    tracking_uri: TrackingOption = None,
    home: HomeOption = None,
) -> None:
    """Make a version the champion if it beats the current champion on the same verification period.

    Both models are hindcast on the candidate's verification period from the archive and compared by the
    mean over the three lead windows of the 24 h-mean RMSE. --force promotes anyway and logs the reason.
    """
    from forecast.model_store import TrackingSettings, load_corrector, open_tracking
    from training.comparison import hindcast_issue_times, hindcast_models, pollutant_of
    from training.experiment import headline_score, verify_hindcast
    from training.registry import PromotionRefused, champion, promote

    layout = home_layout(home)
    if force and not (reason and reason.strip()):
        raise fail("--force needs --reason TEXT (it is logged with the promotion)")
    try:
        client = open_tracking(TrackingSettings(tracking_uri=tracking_uri).resolve(layout.root), layout.root)
        candidate_version = client.get_model_version(model, str(version))
        pollutant = pollutant_of(model, candidate_version.tags)
        current = champion(client, model)
        candidate_score = champion_score = None
        if current is not None and str(current.version) != str(version):
            tags = candidate_version.tags or {}
            start, end = tags.get("verification_from"), tags.get("verification_to")
            if not (start and end):
                raise ValueError(f"{model} version {version} has no verification period tags")
            issues = hindcast_issue_times(layout.root, start, pd.Timestamp(end) - pd.Timedelta(days=3), (0, 12))
            scores = {}
            with stage_progress() as update:
                for label, ref in (("candidate", f"{model}/{version}"), ("champion", f"{model}/{current.version}")):
                    corrector, _ = load_corrector(client, layout.root, ref, pollutant)
                    table = hindcast_models(
                        layout.root, {pollutant: corrector}, issues,
                        progress=lambda d, t, label=label: update(f"hindcast {label}", d, t),
                    )  # fmt: skip
                    scores[label] = headline_score(verify_hindcast(table, layout.root), pollutant)
            candidate_score, champion_score = scores["candidate"], scores["champion"]
            console.print(
                f"Verification {start} … {end}: mean 24 h RMSE candidate v{version} {candidate_score:.2f}, "
                f"champion v{current.version} {champion_score:.2f} µg/m³"
            )
        result = promote(
            client, model, version, candidate_score=candidate_score, champion_score=champion_score,
            force=force, reason=reason,
        )  # fmt: skip
    except PromotionRefused as exc:
        raise fail(str(exc), code=1) from exc
    except _errors() as exc:
        raise fail(str(exc)) from exc
    except Exception as exc:  # MLflow's own errors (unknown model or version)
        from mlflow.exceptions import MlflowException

        if isinstance(exc, MlflowException):
            raise fail(f"{model} version {version}: {exc.message}") from exc
        raise
    console.print(f"{model}: champion is now version {version}" + (" (forced)" if force else ""))
    if result.previous_version and result.changed:
        console.print(f"previous champion: version {result.previous_version} (alias previous-champion)")
