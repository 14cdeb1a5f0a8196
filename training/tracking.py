"""Record a trained corrector (LightGBM, LSTM or blend) in MLflow: one run per fit and pollutant, one
registered version per run.

:func:`log_corrector_run` writes everything a reviewer needs to judge a model into one run of the
pollutant's experiment ``<prefix>-<pollutant>`` (:func:`experiment_for`), logs the model as an
MLflow pyfunc (:mod:`forecast.pyfunc`) and registers it as a new version of ``vnaqi-<pollutant>``.

What a run holds
----------------
* **params**: the caller's ``params`` (nested dicts flattened with ``.``), ``pollutant``,
  ``met_mode``, ``model_family``; for LightGBM also ``base`` and ``n_features``.
* **tags**: the caller's ``tags``, ``pollutant``, ``met_mode``, ``model_family`` (``lightgbm``,
  ``lstm``, ``blend``: :mod:`forecast.model_kinds`),
  ``data_hash`` and every ``data_period`` entry (``train_from``, ``train_to``, ``valid_to`` …).
* **metrics**: ``metrics`` as given (keys such as ``rmse_24hmean_D1``).
* **artefacts**: ``verification/<name>.csv`` per table, ``plots/<name>.png`` per figure,
  ``feature_importance.csv`` (LightGBM), ``feature_spec.json``, and the logged model ``model`` (MLflow 3
  *logged model* linked to the run: ``MLmodel``, ``artifacts/<corrector|sequence|blend>/``, signature,
  input example). LightGBM's signature is the feature table's; an LSTM's or a blend's is a request
  (``issue_time``, ``station_id``, param ``home``: :class:`forecast.pyfunc.RowsPyfunc`).
* **registered version** of ``registered_name`` tagged ``met_mode``, ``model_family``,
  ``verification_from``, ``verification_to``, ``data_hash``, ``headline_metric`` and the headline value.

No half-registered models: inputs are validated before the run starts; once it has started, any
failure marks the run ``FAILED`` (with a ``failure_reason`` tag), deletes a model version this call
created (and the registered model, when this call created it) and re-raises. The version is the
last thing created, after every artefact is in place.

Connection helpers (:class:`TrackingSettings`, :func:`open_tracking`,
:class:`TrackingUnavailableError`) live in :mod:`forecast.model_store` (the operational cycle needs
them without importing :mod:`training`) and are re-exported here. ``MLFLOW_TRACKING_URI``, when set,
replaces the default store ``sqlite:///<home>/mlruns/mlflow.db``.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from forecast.corrector import CorrectorModel
from forecast.model_kinds import ARTIFACT_KEYS, AnyCorrector, model_kind, model_met_mode, model_pollutants, model_specs
from forecast.model_store import (
    TrackingSettings,
    TrackingUnavailableError,
    client_uris,
    default_registered_name,
    is_not_found,
    mlflow_uris,
    open_tracking,
)
from forecast.pyfunc import REQUEST_COLUMNS, CorrectorPyfunc, RowsPyfunc

__all__ = [
    "TrackingSettings",
    "TrackingUnavailableError",
    "open_tracking",
    "experiment_for",
    "log_corrector_run",
    "MODEL_NAME",
]

logger = logging.getLogger(__name__)

MODEL_NAME = "model"
"""Name of the logged model inside a run (``runs:/<run id>/model``)."""
REQUIRED_PERIOD_KEYS = ("train_from", "train_to", "valid_to")
HEADLINE_PREFERENCE = ("rmse_24hmean_mean", "rmse_24hmean_D1", "rmse_D1", "rmse")
_KEY = re.compile(r"^[A-Za-z0-9_\-. /:]{1,250}$")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_REQUIREMENTS = ("mlflow", "lightgbm", "numpy", "pandas", "xarray", "pydantic", "netCDF4")
_LSTM_REQUIREMENTS = ("torch", "pytorch-lightning")
_BATCH = 100


def experiment_for(
    client: MlflowClient, pollutant: str, prefix: str = "vnaqi", artifact_root: str | None = None
) -> str:
    """Id of the experiment ``<prefix>-<pollutant>``, created (or restored) when needed.

    Parameters
    ----------
    client : MlflowClient
    pollutant : str
    prefix : str
        Experiment-name prefix.
    artifact_root : str, optional
        Folder or URI; a new experiment keeps its artefacts in ``<artifact_root>/<experiment name>``
        (``None``: the store's default).
    """
    name = f"{prefix}-{pollutant}"
    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage == "deleted":
            client.restore_experiment(found.experiment_id)
            logger.info("restored deleted experiment %s", name)
        return found.experiment_id
    location = None
    if artifact_root:
        base = artifact_root if "://" in artifact_root or artifact_root.startswith("file:") else None
        location = f"{base.rstrip('/')}/{name}" if base else (Path(artifact_root).resolve() / name).as_uri()
    try:
        experiment_id = client.create_experiment(name, artifact_location=location, tags={"pollutant": pollutant})
    except MlflowException as exc:  # created concurrently by another process
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        experiment_id = client.get_experiment_by_name(name).experiment_id
    logger.info("created experiment %s (%s) with artefacts in %s", name, experiment_id, location or "the default root")
    return experiment_id


# --- validation -----------------------------------------------------------------------------------
def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)[:6000]
    return flat


def _check_keys(kind: str, keys: list[str]) -> None:
    bad = [k for k in keys if not _KEY.match(k)]
    if bad:
        raise ValueError(
            f"invalid MLflow {kind} name(s) {bad[:5]}: use letters, digits, '_', '-', '.', ' ', '/', ':' (≤ 250)"
        )


def _check_inputs(
    model: AnyCorrector,
    params: dict[str, str],
    metrics: Mapping[str, float],
    tables: Mapping[str, pd.DataFrame],
    figures: Mapping[str, Path],
    data_period: Mapping[str, Any],
    input_example: pd.DataFrame,
) -> dict[str, float]:
    _check_keys("param", list(params))
    _check_keys("metric", list(metrics))
    try:
        values = {k: float(v) for k, v in metrics.items()}
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metric values must be numbers: {exc}") from exc
    bad_tables = [n for n, t in tables.items() if not _FILE.match(n) or not isinstance(t, pd.DataFrame)]
    if bad_tables:
        raise ValueError(f"tables must map file-safe names to DataFrames; bad entries: {bad_tables}")
    missing = [str(p) for p in figures.values() if not Path(p).is_file()]
    bad_names = [n for n in figures if not _FILE.match(n)]
    if missing or bad_names:
        raise ValueError(f"figures: missing files {missing}, bad names {bad_names}")
    absent = [k for k in REQUIRED_PERIOD_KEYS if not data_period.get(k)]
    if absent:
        raise ValueError(f"data_period lacks {absent}; it needs {list(REQUIRED_PERIOD_KEYS)}")
    if len(input_example) == 0:
        raise ValueError("input_example is empty; pass a few rows of the feature table (LightGBM) or a request")
    if isinstance(model, CorrectorModel):
        model.check_columns(input_example)
    else:
        lacking = [c for c in REQUEST_COLUMNS if c not in input_example]
        if lacking:
            raise ValueError(f"input_example of a {model_kind(model)} model is a request; it lacks {lacking}")
    return values


def choose_headline(metrics: Mapping[str, float]) -> str | None:
    """The metric a version is judged by when the caller does not say: the first of
    :data:`HEADLINE_PREFERENCE` present, else the first RMSE by name, else the first metric."""
    for wanted in HEADLINE_PREFERENCE:
        if wanted in metrics:
            return wanted
    rmse = sorted(k for k in metrics if k.lower().startswith("rmse"))
    return rmse[0] if rmse else (sorted(metrics)[0] if metrics else None)


def _requirements(kind: str = "lightgbm") -> list[str]:
    pins = []
    packages = _REQUIREMENTS + (_LSTM_REQUIREMENTS if kind != "lightgbm" else ())
    for package in packages:
        try:
            pins.append(f"{package}=={importlib_metadata.version(package)}")
        except importlib_metadata.PackageNotFoundError:
            continue
    return pins


# --- the run ---------------------------------------------------------------------------------------
def _write_table(table: pd.DataFrame, path: Path) -> Path:
    table.to_csv(path, index=not isinstance(table.index, pd.RangeIndex))
    return path


def _log_artifacts(
    client: MlflowClient,
    run_id: str,
    scratch: Path,
    tables: Mapping[str, pd.DataFrame],
    figures: Mapping[str, Path | str],
    feature_importance: pd.DataFrame | None,
    model: AnyCorrector,
) -> None:
    """``verification/<name>.csv``, ``plots/<name><suffix>``, ``feature_importance.csv`` (when given),
    ``feature_spec.json`` (a blend: ``{"components": [spec, …]}``)."""
    (scratch / "verification").mkdir()
    for table_name, table in tables.items():
        _write_table(table, scratch / "verification" / f"{table_name}.csv")
    client.log_artifacts(run_id, str(scratch / "verification"), "verification")
    (scratch / "plots").mkdir()
    for figure_name, figure in figures.items():
        shutil.copyfile(figure, scratch / "plots" / f"{figure_name}{Path(figure).suffix}")
    client.log_artifacts(run_id, str(scratch / "plots"), "plots")
    if feature_importance is not None:
        client.log_artifact(run_id, str(_write_table(feature_importance, scratch / "feature_importance.csv")))
    spec_file = scratch / "feature_spec.json"
    specs = [spec.model_dump() for spec in model_specs(model)]
    spec_file.write_text(json.dumps(specs[0] if model_kind(model) != "blend" else {"components": specs}, indent=2))
    client.log_artifact(run_id, str(spec_file))


def _signature(model: AnyCorrector, folder: Path, example: pd.DataFrame, home: Path | str):
    """The model's signature and its pyfunc (the feature table's for LightGBM, a request's otherwise)."""
    if isinstance(model, CorrectorModel):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Ii]nteger column", category=UserWarning)
            return infer_signature(example, model.predict(example)), CorrectorPyfunc(), None
    pyfunc = RowsPyfunc()
    pyfunc.model = model
    params = {"home": str(Path(home).expanduser().resolve())}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ii]nteger column", category=UserWarning)
        output = pyfunc.predict(None, example, params)
        return infer_signature(example, output.head(1000), params=params), RowsPyfunc(), params


def _log_model(
    client: MlflowClient,
    experiment_id: str,
    run_id: str,
    model: AnyCorrector,
    example: pd.DataFrame,
    scratch: Path,
    pollutant: str,
    home: Path | str,
) -> mlflow.models.model.ModelInfo:
    """Log ``model`` as a pyfunc *logged model* of ``run_id`` (MLflow 3) and return MLflow's ModelInfo."""
    kind = model_kind(model)
    key = ARTIFACT_KEYS[kind]
    folder = scratch / key
    model.save(folder)  # the artefact keeps its folder name
    signature, python_model, params = _signature(model, folder, example, home)
    # Model.log, not mlflow.pyfunc.log_model: the latter takes the run and experiment from the
    # process-wide active run (else it files the model under experiment 0 in ./mlruns).
    logged = client.create_logged_model(
        experiment_id=experiment_id,
        name=MODEL_NAME,
        source_run_id=run_id,
        model_type=f"vnaqi-{kind}",
        tags={"pollutant": pollutant, "met_mode": model_met_mode(model), "model_family": kind},
    )
    with mlflow_uris(*client_uris(client)):
        return mlflow.models.Model.log(
            None,
            flavor=mlflow.pyfunc,
            name=MODEL_NAME,
            run_id=run_id,
            model_id=logged.model_id,
            python_model=python_model,
            artifacts={key: str(folder)},
            signature=signature,
            input_example=example if params is None else (example, params),
            pip_requirements=_requirements(kind),
        )


def log_corrector_run(
    client_or_settings: MlflowClient | TrackingSettings | None,
    home: Path | str,
    model: AnyCorrector,
    *,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tables: Mapping[str, pd.DataFrame],
    figures: Mapping[str, Path | str],
    feature_importance: pd.DataFrame | None,
    data_period: Mapping[str, Any],
    data_hash: str,
    input_example: pd.DataFrame,
    registered_name: str | None = None,
    tags: Mapping[str, Any] | None = None,
    experiment_prefix: str | None = None,
    run_name: str | None = None,
    headline_metric: str | None = None,
    pollutant: str | None = None,
) -> tuple[str, str]:
    """Log one trained corrector as an MLflow run and register it as a new model version.

    A model forecasting several pollutants (an LSTM, a blend) is logged once per pollutant (``pollutant``),
    into that pollutant's experiment, with that pollutant's verification, so the runs of every family
    line up column for column.

    Parameters
    ----------
    client_or_settings : MlflowClient or TrackingSettings or None
        An open client, or settings for :func:`open_tracking` (``None``: defaults for ``home``).
    home : path
        The service home.
    model : CorrectorModel, SequenceModel or ModelBlend
        The fitted corrector (a blend with its components loaded: they are saved inside it).
    params : mapping
        Training parameters (booster settings, spec choices …); nested mappings are flattened.
    metrics : mapping of str to float
        Verification scores, e.g. ``rmse_24hmean_D1`` [µg/m³].
    tables : mapping of str to DataFrame
        Verification tables, logged as ``verification/<name>.csv``.
    figures : mapping of str to path
        Image files, logged as ``plots/<name><suffix of the file>``.
    feature_importance : DataFrame or None
        Logged as ``feature_importance.csv`` (LightGBM).
    data_period : mapping
        At least ``train_from``, ``train_to``, ``valid_to``; ``verification_from`` and
        ``verification_to`` (default: ``valid_from`` or ``train_to`` … ``valid_to``) tag the version.
    data_hash : str
        Fingerprint of the training data.
    input_example : DataFrame
        LightGBM: a few rows of the feature table (the model's columns are kept); LSTM or blend: a request
        (``issue_time``, ``station_id``) answerable from ``home``'s archive. The signature is inferred from
        it and the model's prediction on it.
    registered_name : str, optional
        Registered model (default ``vnaqi-<pollutant>``).
    tags : mapping, optional
        Extra run tags.
    experiment_prefix : str, optional
        Default: the settings' prefix (``vnaqi``).
    run_name : str, optional
        Default ``<pollutant>-<met mode>-<UTC time>``.
    headline_metric : str, optional
        The metric the version is tagged with (must be in ``metrics``); default
        :func:`choose_headline`.
    pollutant : str, optional
        The pollutant this run and version are for (default: a LightGBM model's own; required otherwise).

    Returns
    -------
    (run_id, version) : tuple of str

    Raises
    ------
    ValueError
        Invalid inputs (nothing was logged).
    TrackingUnavailableError
        The store cannot be reached (nothing was logged).
    """
    if isinstance(client_or_settings, MlflowClient):
        client = client_or_settings
        settings = TrackingSettings(tracking_uri=client.tracking_uri, registry_uri=client_uris(client)[1])
    else:
        settings = client_or_settings or TrackingSettings()
        client = open_tracking(settings, home)
    resolved = settings.resolve(home)
    family = model_kind(model)
    pollutant = pollutant or (model.pollutant if isinstance(model, CorrectorModel) else None)
    if pollutant is None or pollutant not in model_pollutants(model):
        raise ValueError(
            f"pollutant {pollutant!r}: say which of the model's pollutants ({', '.join(model_pollutants(model))}) "
            "this run is for"
        )
    name = registered_name or default_registered_name(pollutant)
    met_mode = model_met_mode(model)
    flat_params = {**_flatten(params), "pollutant": pollutant, "met_mode": met_mode, "model_family": family}
    if isinstance(model, CorrectorModel):
        flat_params.update(base=model.base, n_features=str(len(model.columns)))
    metric_values = _check_inputs(model, flat_params, metrics, tables, figures, data_period, input_example)
    period = {k: str(v) for k, v in data_period.items() if v is not None}
    verification_from = period.get("verification_from") or period.get("valid_from") or period["train_to"]
    verification_to = period.get("verification_to") or period["valid_to"]
    run_tags = {
        **{k: str(v) for k, v in (tags or {}).items()},
        **period,
        "pollutant": pollutant,
        "met_mode": met_mode,
        "model_family": family,
        "data_hash": data_hash,
        "registered_name": name,
    }
    _check_keys("tag", list(run_tags))
    if headline_metric is not None and headline_metric not in metric_values:
        raise ValueError(f"headline metric {headline_metric!r} is not among the metrics {sorted(metric_values)}")
    headline = headline_metric or choose_headline(metric_values)
    version_tags = {
        "met_mode": met_mode,
        "model_family": family,
        "verification_from": verification_from,
        "verification_to": verification_to,
        "data_hash": data_hash,
        "pollutant": pollutant,
    }
    if headline is not None:
        version_tags.update(headline_metric=headline, headline_value=repr(metric_values[headline]))
        version_tags[headline] = repr(metric_values[headline])
    if isinstance(model, CorrectorModel):
        example = input_example[model.columns]
    else:  # a request; MLflow schemas hold naive datetimes (the pyfunc reads them as UTC)
        example = input_example[list(REQUEST_COLUMNS)].assign(
            issue_time=pd.to_datetime(input_example["issue_time"], utc=True).dt.tz_localize(None)
        )

    experiment_id = experiment_for(
        client, pollutant, experiment_prefix or resolved.experiment_prefix, resolved.artifact_root
    )
    tracking_uri, registry_uri = client_uris(client)
    # MLflow 3 reads the process-wide URI in places even when a client is used (Model.log; the
    # registry resolving a ``models:/m-…`` source in create_model_version): pin it to this store.
    with mlflow_uris(tracking_uri, registry_uri):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        run = client.create_run(experiment_id, run_name=run_name or f"{pollutant}-{met_mode}-{stamp}", tags=run_tags)
        run_id = run.info.run_id
        created_model = False
        version: str | None = None
        logged_model_id: str | None = None
        try:
            now = int(datetime.now(UTC).timestamp() * 1000)
            params_list = [Param(k, v) for k, v in flat_params.items()]
            metric_list = [Metric(k, v, now, 0) for k, v in metric_values.items()]
            for start in range(0, max(len(params_list), len(metric_list)), _BATCH):
                client.log_batch(
                    run_id, metrics=metric_list[start : start + _BATCH], params=params_list[start : start + _BATCH]
                )
            with tempfile.TemporaryDirectory(prefix="vnaqi-run-") as scratch_name:
                scratch = Path(scratch_name)
                _log_artifacts(client, run_id, scratch, tables, figures, feature_importance, model)
                logged = _log_model(client, experiment_id, run_id, model, example, scratch, pollutant, home)
                logged_model_id = logged.model_id
            # --- registration: the last step ---
            try:
                client.get_registered_model(name)
            except MlflowException as exc:
                if not is_not_found(exc):
                    raise
                client.create_registered_model(name, tags={"pollutant": pollutant})
                created_model = True
            created = client.create_model_version(
                name, source=logged.model_uri, run_id=run_id, tags=version_tags, model_id=logged.model_id
            )
            version = str(created.version)
            client.set_tag(run_id, "registered_version", version)
            client.set_terminated(run_id, "FINISHED")
        except BaseException as exc:
            _roll_back(client, run_id, name, version, created_model, logged_model_id, exc)
            raise
    logger.info(
        "logged %s run %s in experiment %s; registered %s version %s%s",
        pollutant,
        run_id,
        experiment_id,
        name,
        version,
        f" ({headline} = {metric_values[headline]:.3f})" if headline else "",
    )
    return run_id, version


def _roll_back(
    client: MlflowClient,
    run_id: str,
    name: str,
    version: str | None,
    created_model: bool,
    logged_model_id: str | None,
    exc: BaseException,
) -> None:
    """Undo a partly logged run: delete the version (and a model this call created), mark the logged
    model and the run FAILED."""
    logger.error("logging run %s failed (%s: %s); rolling back", run_id, type(exc).__name__, exc)
    if version is not None:
        try:
            client.delete_model_version(name, version)
            logger.info("deleted %s version %s of the failed run", name, version)
        except Exception:  # noqa: BLE001 — report, keep rolling back
            logger.exception(
                "could not delete %s version %s of failed run %s: delete it by hand", name, version, run_id
            )
    if created_model:
        try:
            if not client.search_model_versions(f"name = '{name}'"):
                client.delete_registered_model(name)
        except Exception:  # noqa: BLE001
            logger.exception("could not delete the empty registered model %s", name)
    if logged_model_id is not None:
        try:
            client.finalize_logged_model(logged_model_id, "FAILED")
        except Exception:  # noqa: BLE001
            logger.exception("could not mark logged model %s as failed", logged_model_id)
    try:
        client.set_tag(run_id, "failure_reason", f"{type(exc).__name__}: {exc}"[:5000])
        status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
        client.set_terminated(run_id, status)
    except Exception:  # noqa: BLE001
        logger.exception("could not mark run %s as failed", run_id)
