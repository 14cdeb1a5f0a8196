"""Where correctors live: the MLflow tracking store and registry, and local copies in the home.

The operational cycle loads a corrector by a short *reference* (``champion``, ``latest``,
``vnaqi-pm25/3``, ``vnaqi-pm25@champion``, ``runs:/<run id>/model``, ``models:/…``) with
:func:`load_corrector`. Every successful load of a registered version also leaves a copy of the
corrector folder in ``<home>/models/<name>/<version>/``, so that when the registry is unreachable
the cycle can fall back to the last good model with :func:`load_local_copy`.

This module also owns the connection to MLflow (:class:`TrackingSettings`, :func:`open_tracking`,
:func:`mlflow_uris`): the cycle needs it and must not import :mod:`training`, which re-exports it.

Tracking store
--------------
By default each home has its own store: ``sqlite:///<home>/mlruns/mlflow.db`` with artefacts in
``<home>/mlruns/artifacts`` (MLflow 3 refuses the plain ``./mlruns`` file store). The environment
variable ``MLFLOW_TRACKING_URI``, when set, replaces that default (an explicit
``TrackingSettings.tracking_uri`` wins over both). The process-wide MLflow URIs are never changed
except inside :func:`mlflow_uris`, which restores them (and the environment variables MLflow sets
behind your back) on exit.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from pydantic import BaseModel, ConfigDict, Field

from forecast.model_kinds import ARTIFACT_KEYS, AnyCorrector, folder_kind, load_model_folder, model_pollutants

logger = logging.getLogger(__name__)

TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
REGISTRY_URI_ENV = "MLFLOW_REGISTRY_URI"
REGISTERED_PREFIX = "vnaqi"
CHAMPION = "champion"
PREVIOUS_CHAMPION = "previous-champion"
MODEL_INFO_FILE = "model_info.json"
_NOT_FOUND_CODES = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
_UNAVAILABLE_CODES = ("INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED")
_URI_LOCK = threading.RLock()


# --- errors -------------------------------------------------------------------------------------
class TrackingUnavailableError(RuntimeError):
    """The MLflow tracking store or registry at ``uri`` cannot be reached or created."""

    def __init__(self, uri: str, reason: str) -> None:
        self.uri = uri
        self.reason = reason
        super().__init__(f"MLflow tracking store {uri} is unavailable: {reason}")


class ModelNotFoundError(LookupError):
    """The requested model, version or alias is not in the registry (or no local copy exists)."""


class NoChampionError(ModelNotFoundError):
    """The registry has no ``champion`` version of the model yet."""


# --- settings and connection --------------------------------------------------------------------
def default_registered_name(pollutant: str) -> str:
    """The registered-model name of a pollutant's corrector: ``vnaqi-<pollutant>``."""
    return f"{REGISTERED_PREFIX}-{pollutant}"


def _is_remote(uri: str) -> bool:
    return uri.split(":", 1)[0].lower() in ("http", "https", "databricks", "databricks-uc")


class TrackingSettings(BaseModel):
    """Where runs and registered models are stored.

    Attributes
    ----------
    tracking_uri : str or None
        MLflow tracking URI. ``None``: ``$MLFLOW_TRACKING_URI`` when set, else
        ``sqlite:///<home>/mlruns/mlflow.db``.
    registry_uri : str or None
        Model-registry URI; ``None``: the tracking URI.
    artifact_root : str or None
        Folder or URI under which experiments created here keep artefacts. ``None``:
        ``<home>/mlruns/artifacts``, except for a remote (http/https) tracking server, whose own
        artefact root is then used.
    experiment_prefix : str
        Experiments are named ``<prefix>-<pollutant>``.
    http_timeout_s : int
        Time-out of the reachability check of an http(s) tracking server [s] (no retries).
    """

    model_config = ConfigDict(extra="forbid")

    tracking_uri: str | None = None
    registry_uri: str | None = None
    artifact_root: str | None = None
    experiment_prefix: str = Field(default="vnaqi", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    http_timeout_s: int = Field(default=10, ge=1)

    def resolve(self, home: Path | str) -> TrackingSettings:
        """A copy with every URI filled in for ``home`` (see the attribute docs for the defaults)."""
        mlruns = Path(home).expanduser().resolve() / "mlruns"
        tracking = self.tracking_uri or os.environ.get(TRACKING_URI_ENV) or f"sqlite:///{mlruns / 'mlflow.db'}"
        artifact_root = self.artifact_root
        if artifact_root is None and not _is_remote(tracking):
            artifact_root = str(mlruns / "artifacts")
        return self.model_copy(
            update={
                "tracking_uri": tracking,
                "registry_uri": self.registry_uri or tracking,
                "artifact_root": artifact_root,
            }
        )

    def experiment_name(self, pollutant: str) -> str:
        """``<prefix>-<pollutant>``."""
        return f"{self.experiment_prefix}-{pollutant}"


def _sqlite_path(uri: str) -> Path | None:
    if not uri.lower().startswith("sqlite:///"):
        return None
    path = uri[len("sqlite:///") :].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


@contextmanager
def _fail_fast_http(timeout_s: int) -> Iterator[None]:
    """No retries and a short time-out for MLflow's REST client while inside (restored after)."""
    wanted = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": str(int(timeout_s))}
    with _URI_LOCK:
        saved = {key: os.environ.get(key) for key in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def open_tracking(settings: TrackingSettings | None, home: Path | str) -> MlflowClient:
    """An :class:`~mlflow.MlflowClient` on the home's tracking store, checked to be reachable.

    Creates the folders of a local SQLite store and artefact root (by default ``<home>/mlruns``
    and ``<home>/mlruns/artifacts``) when needed. The check lists one experiment and one registered
    model; for an http(s) server it does so without retries and with ``settings.http_timeout_s`` as
    time-out, so an unreachable server fails in well under a second to a few seconds (MLflow's own
    defaults retry for about four minutes).

    Raises
    ------
    TrackingUnavailableError
        The store cannot be created or reached; the message names the URI.
    """
    resolved = (settings or TrackingSettings()).resolve(home)
    uri = resolved.tracking_uri
    assert uri is not None and resolved.registry_uri is not None
    folders: list[Path] = []
    database = _sqlite_path(uri)
    if database is not None:
        folders.append(database.parent)
    root = resolved.artifact_root
    if root and "://" not in root and not root.startswith("file:"):
        folders.append(Path(root))
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrackingUnavailableError(uri, f"cannot create {folder}: {exc}") from exc
    client = MlflowClient(tracking_uri=uri, registry_uri=resolved.registry_uri)

    def check() -> None:
        client.search_experiments(max_results=1)
        client.search_registered_models(max_results=1)

    try:
        if _is_remote(uri) or _is_remote(resolved.registry_uri):
            with _fail_fast_http(resolved.http_timeout_s):
                check()
        else:
            check()
    except Exception as exc:  # noqa: BLE001 — any failure here means "not reachable"
        raise TrackingUnavailableError(uri, f"{type(exc).__name__}: {str(exc)[:300]}") from exc
    logger.debug("tracking store %s reachable", uri)
    return client


def client_uris(client: MlflowClient) -> tuple[str, str]:
    """(tracking URI, registry URI) of a client."""
    tracking = client.tracking_uri
    return tracking, getattr(client, "_registry_uri", None) or tracking


@contextmanager
def mlflow_uris(tracking_uri: str, registry_uri: str | None = None) -> Iterator[None]:
    """Point MLflow's process-wide ("fluent") URIs at a store while inside, then restore them exactly.

    ``mlflow.set_tracking_uri`` also writes ``$MLFLOW_TRACKING_URI`` (and ``set_registry_uri``
    ``$MLFLOW_REGISTRY_URI``) and restoring "unset" through the public API would delete a variable
    the user had set; this restores the module state and both variables as they were. A lock
    serialises such blocks between threads (the state is process-wide).
    """
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    with _URI_LOCK:
        saved_env = {key: os.environ.get(key) for key in (TRACKING_URI_ENV, REGISTRY_URI_ENV)}
        saved_tracking = getattr(tracking_utils, "_tracking_uri", None)
        saved_registry = getattr(registry_utils, "_registry_uri", None)
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(registry_uri or tracking_uri)
        try:
            yield
        finally:
            mlflow.set_tracking_uri(saved_tracking)
            registry_utils._registry_uri = saved_registry
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _client(client_or_settings: MlflowClient | TrackingSettings | None, home: Path | str) -> MlflowClient:
    if isinstance(client_or_settings, MlflowClient):
        return client_or_settings
    return open_tracking(client_or_settings, home)


def is_not_found(exc: BaseException) -> bool:
    """True for an MLflow "does not exist" error."""
    return isinstance(exc, MlflowException) and exc.error_code in _NOT_FOUND_CODES


def _is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, MlflowException):
        return exc.error_code in _UNAVAILABLE_CODES
    return isinstance(exc, ConnectionError | TimeoutError) or type(exc).__name__ == "OperationalError"


# --- references ---------------------------------------------------------------------------------
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_NAME_VERSION = re.compile(rf"^({_NAME})/(\d+|latest)$")
_NAME_ALIAS = re.compile(rf"^({_NAME})@({_NAME})$")
_MODELS_URI = re.compile(rf"^models:/({_NAME})(?:@({_NAME})|/(\d+|latest))(/.*)?$")


def parse_model_ref(ref: str, pollutant: str) -> str:
    """The MLflow URI a short model reference stands for.

    ===========================  ==========================================
    ``latest``                   ``models:/vnaqi-<pollutant>/latest``
    ``champion`` (any alias)     ``models:/vnaqi-<pollutant>@champion``
    ``3``                        ``models:/vnaqi-<pollutant>/3``
    ``vnaqi-pm25/3``             ``models:/vnaqi-pm25/3``
    ``vnaqi-pm25/latest``        ``models:/vnaqi-pm25/latest``
    ``vnaqi-pm25@champion``      ``models:/vnaqi-pm25@champion``
    ``runs:/…``, ``models:/…``   unchanged
    ===========================  ==========================================

    ``latest`` is symbolic: :func:`load_corrector` resolves it to the highest version number
    (MLflow 3 has no stages, so ``models:/name/latest`` is not used to load).
    """
    ref = (ref or "").strip()
    if not ref:
        raise ValueError("empty model reference; use champion, latest, NAME/VERSION, NAME@ALIAS or an MLflow URI")
    if ref.startswith(("runs:/", "models:/")):
        return ref
    name = default_registered_name(pollutant)
    if ref == "latest" or ref.isdigit():
        return f"models:/{name}/{ref}"
    if _NAME_VERSION.match(ref) or _NAME_ALIAS.match(ref):
        return f"models:/{ref}"
    if ref.startswith("@") and re.fullmatch(_NAME, ref[1:]):
        return f"models:/{name}{ref}"
    if re.fullmatch(_NAME, ref) and not ref.startswith(f"{REGISTERED_PREFIX}-"):
        return f"models:/{name}@{ref}"
    raise ValueError(
        f"cannot read model reference {ref!r} (a model name alone is ambiguous: say NAME@champion or "
        "NAME/latest); use champion, latest, a version number, NAME/VERSION, "
        "NAME@ALIAS, runs:/RUN_ID/model or models:/…"
    )


@dataclass(frozen=True)
class ModelInfo:
    """Which model was loaded, from where.

    Attributes
    ----------
    uri : str
        Immutable URI of what was loaded (``models:/name/version`` for registered models).
    requested : str
        The reference as the user gave it.
    name, version : str or None
        Registered model name and version (``None`` for ``runs:/`` and logged-model URIs).
    run_id : str or None
        Training run.
    alias : str or None
        Alias the reference went through (``champion``), if any.
    source : str or None
        The version's source in the registry (``models:/m-…`` for MLflow 3 logged models).
    loaded_at : str
        UTC ISO time of the load.
    local_path : str or None
        The local copy in the home.
    from_local_copy : bool
        True when loaded by :func:`load_local_copy` (registry not consulted).
    """

    uri: str
    requested: str
    name: str | None = None
    version: str | None = None
    run_id: str | None = None
    alias: str | None = None
    source: str | None = None
    loaded_at: str = ""
    local_path: str | None = None
    from_local_copy: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelInfo:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def _existing_names(client: MlflowClient) -> str:
    names = sorted(m.name for m in client.search_registered_models(max_results=100))
    return ", ".join(names) if names else "none"


def _versions(client: MlflowClient, name: str) -> list[ModelVersion]:
    found = client.search_model_versions(f"name = '{name}'")
    return sorted(found, key=lambda v: int(v.version))


def _describe_versions(client: MlflowClient, name: str) -> str:
    versions = [str(v.version) for v in _versions(client, name)]
    return ", ".join(versions) if versions else "none"


def _no_champion(name: str, pollutant: str | None, detail: str) -> NoChampionError:
    target = pollutant or name.removeprefix(f"{REGISTERED_PREFIX}-")
    return NoChampionError(
        f"{detail}. Train a model with `vnaqi train --pollutant {target} …`, then promote a version with "
        f"`vnaqi promote --model {name} --version N`"
    )


def resolve_version(client: MlflowClient, uri: str, pollutant: str | None = None) -> tuple[ModelVersion, str | None]:
    """The registered version a ``models:/name@alias`` or ``models:/name/version|latest`` URI points to.

    Returns
    -------
    (ModelVersion, alias or None)

    Raises
    ------
    NoChampionError, ModelNotFoundError
    """
    match = _MODELS_URI.match(uri)
    if not match:
        raise ValueError(f"{uri!r} is not a registered-model URI (models:/NAME@ALIAS or models:/NAME/VERSION)")
    name, alias, version, _ = match.groups()
    try:
        registered = client.get_registered_model(name)
    except MlflowException as exc:
        if not is_not_found(exc):
            raise
        if alias == CHAMPION:
            raise _no_champion(name, pollutant, f"no model is registered under {name!r}") from exc
        raise ModelNotFoundError(
            f"no registered model {name!r} (asked for {uri}); registered models: {_existing_names(client)}"
        ) from exc
    if alias is not None:
        version = (registered.aliases or {}).get(alias)
        if version is None:
            if alias == CHAMPION:
                raise _no_champion(
                    name, pollutant, f"{name} has no champion yet (versions: {_describe_versions(client, name)})"
                )
            aliases = ", ".join(f"{a}→{v}" for a, v in sorted((registered.aliases or {}).items())) or "none"
            raise ModelNotFoundError(f"{name} has no alias {alias!r} (asked for {uri}); aliases: {aliases}")
    elif version == "latest":
        versions = _versions(client, name)
        if not versions:
            raise ModelNotFoundError(f"{name} has no versions yet (asked for {uri}); train a model first")
        version = str(versions[-1].version)
    try:
        found = client.get_model_version(name, str(version))
    except MlflowException as exc:
        if not is_not_found(exc):
            raise
        raise ModelNotFoundError(
            f"{name} has no version {version} (asked for {uri}); versions: {_describe_versions(client, name)}"
        ) from exc
    if found.status != "READY":
        raise ModelNotFoundError(f"{name} version {version} is not ready (status {found.status})")
    return found, alias


# --- loading ------------------------------------------------------------------------------------
def _artifact_folder(model_dir: Path) -> Path | None:
    """The corrector folder inside a downloaded MLflow model (``artifacts/<key>``, any kind)."""
    for key in ARTIFACT_KEYS.values():
        folder = model_dir / "artifacts" / key
        if folder_kind(folder) is not None:
            return folder
    return None


def _models_folder(home: Path | str) -> Path:
    return Path(home).expanduser().resolve() / "models"


def _write_json_atomic(path: Path, data: dict) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w") as stream:
        json.dump(data, stream, indent=2)
    os.replace(tmp, path)


def _read_record(folder: Path) -> dict:
    try:
        record = json.loads((folder / MODEL_INFO_FILE).read_text())
    except (OSError, ValueError) as exc:
        logger.warning("unreadable %s in %s: %s", MODEL_INFO_FILE, folder, exc)
        return {}
    return record if isinstance(record, dict) else {}


def _keep_local_copy(home: Path | str, corrector_dir: Path, info: ModelInfo) -> ModelInfo:
    """Move ``corrector_dir`` to ``<home>/models/<name>/<version>`` (atomically) and record ``info``."""
    assert info.name is not None and info.version is not None
    target = _models_folder(home) / info.name / str(info.version)
    target.parent.mkdir(parents=True, exist_ok=True)
    if folder_kind(target) is None:
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{info.version}.", suffix=".tmp"))
        try:
            shutil.copytree(corrector_dir, staging, dirs_exist_ok=True)
            try:
                os.rename(staging, target)
            except OSError:  # another process won the race (or a stale empty folder): keep theirs
                if folder_kind(target) is None:
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    info = ModelInfo.from_dict({**info.to_dict(), "local_path": str(target)})
    loaded_as = _read_record(target).get("loaded_as", {}) if (target / MODEL_INFO_FILE).exists() else {}
    loaded_as[info.alias or ""] = info.loaded_at  # "" = loaded by version or latest
    _write_json_atomic(target / MODEL_INFO_FILE, {**info.to_dict(), "loaded_as": loaded_as})
    logger.info("local copy of %s version %s in %s", info.name, info.version, target)
    return info


def load_corrector(
    client_or_settings: MlflowClient | TrackingSettings | None,
    home: Path | str,
    ref: str,
    pollutant: str,
    *,
    keep_copy: bool = True,
) -> tuple[AnyCorrector, ModelInfo]:
    """Load a corrector of any kind (LightGBM, LSTM, blend: :mod:`forecast.model_kinds`) from the registry
    (or a run) and keep a local copy of registered versions.

    Parameters
    ----------
    client_or_settings : MlflowClient or TrackingSettings or None
        An open client, or settings for :func:`open_tracking` (``None``: the defaults for ``home``).
    home : path
        The service home (local copies go to ``<home>/models/<name>/<version>/``).
    ref : str
        A reference :func:`parse_model_ref` understands.
    pollutant : str
        The pollutant the model must forecast (names the default registered model).
    keep_copy : bool
        Keep the local copy (default).

    Raises
    ------
    NoChampionError
        No champion yet (train, then promote).
    ModelNotFoundError
        Unknown name, version or alias; the message lists what exists.
    TrackingUnavailableError
        The store cannot be reached (fall back to :func:`load_local_copy`).
    ExtraNotInstalledError
        The version is an LSTM (or a blend with one) and the ``lstm`` extra is not installed.
    """
    client = _client(client_or_settings, home)
    tracking_uri, registry_uri = client_uris(client)
    uri = parse_model_ref(ref, pollutant)
    try:
        if uri.startswith("runs:/"):
            version, alias = None, None
            download_uri = uri if uri.rstrip("/").count("/") >= 2 else f"{uri.rstrip('/')}/model"
        elif _MODELS_URI.match(uri):
            version, alias = resolve_version(client, uri, pollutant)
            download_uri = f"models:/{version.name}/{version.version}"
        else:  # models:/m-<id> (a logged model outside the registry)
            version, alias = None, None
            download_uri = uri
        models = _models_folder(home)
        models.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=models, prefix=".download-") as tmp:
            with mlflow_uris(tracking_uri, registry_uri):
                local = Path(
                    mlflow.artifacts.download_artifacts(
                        artifact_uri=download_uri, dst_path=tmp, tracking_uri=tracking_uri, registry_uri=registry_uri
                    )
                )
            corrector_dir = _artifact_folder(local)
            if corrector_dir is None:
                keys = ", ".join(f"artifacts/{k}" for k in ARTIFACT_KEYS.values())
                raise ModelNotFoundError(f"{download_uri} holds no vnaqi corrector (none of {keys})")
            model = load_model_folder(corrector_dir)
            info = ModelInfo(
                uri=download_uri,
                requested=ref,
                name=version.name if version else None,
                version=str(version.version) if version else None,
                run_id=version.run_id if version else (uri.split("/")[1] if uri.startswith("runs:/") else None),
                alias=alias,
                source=version.source if version else None,
                loaded_at=datetime.now(UTC).isoformat(),
            )
            if keep_copy and version is not None:
                info = _keep_local_copy(home, corrector_dir, info)
    except (ModelNotFoundError, TrackingUnavailableError, ValueError):
        raise
    except Exception as exc:
        if is_not_found(exc):
            raise ModelNotFoundError(f"cannot load {ref!r} ({uri}): {exc}") from exc
        if _is_unavailable(exc):
            raise TrackingUnavailableError(tracking_uri, f"{type(exc).__name__}: {str(exc)[:300]}") from exc
        raise
    if pollutant not in model_pollutants(model):
        raise ModelNotFoundError(f"{info.uri} forecasts {', '.join(model_pollutants(model))}, not {pollutant}")
    logger.info("loaded %s corrector %s (asked for %s)", pollutant, info.uri, ref)
    return model, info


def load_local_copy(home: Path | str, name: str, *, alias: str | None = None) -> tuple[AnyCorrector, ModelInfo]:
    """The most recently loaded local copy of registered model ``name`` (registry not consulted).

    Parameters
    ----------
    home : path
        The service home.
    name : str
        Registered model name, e.g. ``vnaqi-pm25``.
    alias : str, optional
        Only copies once loaded through this alias, newest such load first (``champion``: the last
        champion the cycle loaded, even if the same version was loaded by number since).

    Raises
    ------
    ModelNotFoundError
        No usable local copy.
    """
    folder = _models_folder(home) / name
    candidates: list[tuple[str, int, Path, ModelInfo]] = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name.startswith(".") or folder_kind(path) is None:
            continue  # staging folders and partial downloads
        record = _read_record(path)
        loaded_as = record.get("loaded_as") or {record.get("alias") or "": record.get("loaded_at", "")}
        when = loaded_as.get(alias) if alias is not None else max(loaded_as.values(), default=None)
        if not when or not record.get("version"):
            continue
        info = ModelInfo.from_dict({**record, "alias": alias or record.get("alias"), "loaded_at": when})
        candidates.append((when, int(path.name) if path.name.isdigit() else -1, path, info))
    if not candidates:
        wanted = f" loaded as {alias!r}" if alias else ""
        raise ModelNotFoundError(f"no local copy of {name}{wanted} in {folder}")
    _, _, path, info = max(candidates, key=lambda c: (c[0], c[1]))
    model = load_model_folder(path)
    logger.warning(
        "using local copy of %s version %s (last loaded %s) from %s", name, info.version, info.loaded_at, path
    )
    return model, ModelInfo.from_dict({**info.to_dict(), "local_path": str(path), "from_local_copy": True})
