"""Fit the sequence (LSTM) corrector with PyTorch Lightning: masked pinball + MSE, early stopping.

One network forecasts every target pollutant for all 72 leads of an (issue, station) sample
(:mod:`forecast.sequence`). Scalers are fitted on the training samples only; the validation block
(issues after the training period, time-ordered, never a random split) plus whole calendar months held
out of training (:func:`training.validation.seasonal_holdout`, as for the boosters) early-stop the fit
and the best epoch's weights are kept. Deterministic for a seed: ``pl.seed_everything(seed, workers=True)``,
``Trainer(deterministic=True)``, a seeded shuffling generator, no data-loader workers.

Loss, in standardised target units and over observed targets only (a missing observation is masked,
never a zero): MSE (or Huber) of the mean + pinball loss of the 10/50/90 % quantiles.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from torch.nn import functional
from torch.utils.data import DataLoader, TensorDataset

from features.spec import FeatureSpec
from features.table import FeatureInputs
from forecast.corrector import RATIO_OFFSET, lead_block_index
from forecast.sequence.data import ChannelScaler, SequenceArrays, build_sequence_arrays
from forecast.sequence.model import SequenceModel, torch_threads
from forecast.sequence.network import OUTPUTS, NetworkConfig, SequenceNetwork
from training.lightgbm import TrainingDataError, conformal_offsets, fit_blend_weights
from training.validation import seasonal_holdout

log = logging.getLogger(__name__)
"""Module logger (``logger`` is the Lightning logger argument of :func:`fit_sequence_model`)."""

QUANTILE_LEVELS: dict[str, float] = {"q10": 0.1, "q50": 0.5, "q90": 0.9}
MIN_TRAIN_SAMPLES = 20
MIN_VALID_SAMPLES = 4
Device = Literal["cpu", "cuda", "auto"]


@dataclass
class SequenceSettings:
    """Size and optimisation of the sequence corrector (defaults: the full Beijing archive in minutes on 2 cores)."""

    hidden_size: int = 64
    num_layers: int = 1
    dropout: float = 0.2
    embedding_dim: int = 8
    station_dropout: float = 0.05
    """Probability of replacing a training sample's station by the unknown-station embedding."""
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    gradient_clip: float = 1.0
    mean_loss: Literal["mse", "huber"] = "mse"
    max_epochs: int = 30
    patience: int = 5
    """Epochs without a better validation loss before stopping."""
    holdout_every_months: int = 5
    """Also validate on one training month in this many, held out whole (as the boosters do, docs/training.md:
    the validation block alone is one season); 0: the validation block alone. Periods under 12 months keep
    every month."""
    holdout_embargo_hours: int = 72
    """Training issues this close before a held-out month are dropped (their targets lie inside it)."""
    seed: int = 0
    device: Device = "cpu"
    num_threads: int = 0
    """torch intra-op threads during the fit (0: torch's default)."""

    @classmethod
    def quick(cls) -> SequenceSettings:
        """A small network and few epochs for demos and smoke tests (seconds; skill well below the full one)."""
        return cls(hidden_size=24, embedding_dim=4, batch_size=32, learning_rate=5e-3, max_epochs=12, patience=4)


@dataclass
class SequenceFitReport:
    """What the fit did (for logs and MLflow): epochs, losses, timings, sizes, validation RMSE."""

    samples_train: int
    samples_valid: int
    """Samples of the validation block."""
    samples_holdout: int
    """Training samples held out (whole months) and validated on with the validation block."""
    targets_train: int
    """Observed (sample, lead, pollutant) targets of the training samples."""
    targets_valid: int
    epochs_run: int = 0
    best_epoch: int = 0
    """0-based epoch whose weights the model holds."""
    train_loss: float = float("nan")
    """Training loss of the best epoch (standardised units)."""
    valid_loss: float = float("nan")
    seconds: float = 0.0
    device: str = "cpu"
    valid_rmse: dict[str, float] = field(default_factory=dict)
    """RMSE of the mean forecast on the validation samples (block + held-out months), per pollutant [µg/m³]."""
    interval_offsets: dict[str, list[float]] = field(default_factory=dict)
    """Conformal widening per pollutant and lead block (:attr:`SequenceModel.interval_offsets`)."""
    blend_weights: dict[str, list[float]] = field(default_factory=dict)
    """Weight of the model against climatology per pollutant and lead hour (:attr:`SequenceModel.blend_weights`)."""
    history: list[dict[str, float]] = field(default_factory=list)
    """Per epoch: ``epoch``, ``train_loss``, ``valid_loss``."""

    def to_dict(self) -> dict:
        return asdict(self)


@contextlib.contextmanager
def _restored_determinism() -> Iterator[None]:
    """``Trainer(deterministic=True)`` switches torch's deterministic algorithms on for the whole process;
    put the caller's setting back afterwards."""
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)


LIGHTNING_LOGGERS = ("pytorch_lightning", "lightning_fabric", "lightning")
_LIGHTNING_NOISE = (
    r".*isinstance\(treespec, LeafSpec\)",  # a deprecation inside Lightning itself
    r".*smaller than the logging interval",  # short epochs: we log per epoch anyway
    r".*does not have many workers",  # in-memory tensors: worker processes would only add start-up time
)


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Lightning's start-up banners (seed, GPU/TPU availability, tips) and its own deprecation notices
    are not for the person training: WARNING and above only while inside, restored after."""
    saved = {name: logging.getLogger(name).level for name in LIGHTNING_LOGGERS}
    for name in LIGHTNING_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            for pattern in _LIGHTNING_NOISE:
                warnings.filterwarnings("ignore", message=pattern)
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def resolve_device(device: Device) -> str:
    """``cpu`` or ``cuda``; ``auto`` takes a GPU when one exists; ``cuda`` without one is a clear error."""
    if device == "cpu":
        return "cpu"
    available = torch.cuda.is_available()
    if device == "cuda" and not available:
        raise ValueError(
            f"device 'cuda' asked for but torch {torch.__version__} sees no CUDA GPU; use --device cpu or auto"
        )
    if device not in ("cuda", "auto"):
        raise ValueError(f"device must be cpu, cuda or auto, not {device!r}")
    return "cuda" if available else "cpu"


def pinball(prediction: torch.Tensor, target: torch.Tensor, level: float) -> torch.Tensor:
    """Pinball (quantile) loss per element."""
    error = target - prediction
    return torch.maximum(level * error, (level - 1) * error)


def sequence_loss(
    prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, mean_loss: str = "mse"
) -> torch.Tensor:
    """Masked loss: mean over observed targets of (MSE or Huber of the mean) + the three pinball losses.

    ``prediction`` (batch, lead, target, 4) from :class:`SequenceNetwork`; ``target`` and ``mask``
    (batch, lead, target), target 0 where missing and mask 0 there (those elements add nothing).
    """
    weight = mask.sum().clamp_min(1.0)
    mean = prediction[..., OUTPUTS.index("mean")]
    if mean_loss == "huber":
        point = functional.huber_loss(mean, target, reduction="none", delta=1.0)
    else:
        point = (mean - target) ** 2
    total = point
    for name, level in QUANTILE_LEVELS.items():
        total = total + pinball(prediction[..., OUTPUTS.index(name)], target, level)
    return (total * mask).sum() / weight


class SequenceLightningModule(pl.LightningModule):
    """Lightning wrapper of :class:`SequenceNetwork` with the masked loss and Adam."""

    def __init__(self, network: SequenceNetwork, settings: SequenceSettings) -> None:
        super().__init__()
        self.network = network
        self.settings = settings

    def forward(self, encoder_values, encoder_mask, decoder_values, decoder_mask, station_index):  # noqa: D102
        return self.network(encoder_values, encoder_mask, decoder_values, decoder_mask, station_index)

    def _loss(self, batch) -> torch.Tensor:
        *inputs, target, mask = batch
        return sequence_loss(self(*inputs), target, mask, self.settings.mean_loss)

    def training_step(self, batch, batch_idx):  # noqa: D102
        loss = self._loss(batch)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(batch[0]))
        return loss

    def validation_step(self, batch, batch_idx):  # noqa: D102
        self.log("valid_loss", self._loss(batch), on_step=False, on_epoch=True, batch_size=len(batch[0]))

    def configure_optimizers(self):  # noqa: D102
        return torch.optim.Adam(
            self.parameters(), lr=self.settings.learning_rate, weight_decay=self.settings.weight_decay
        )


class _EpochHistory(pl.Callback):
    """Training and validation loss of every epoch."""

    def __init__(self, progress: Callable[[int, int], None] | None = None) -> None:
        self.epochs: list[dict[str, float]] = []
        self._started = time.perf_counter()
        self._progress = progress

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        metrics = trainer.callback_metrics
        epoch = {
            "epoch": int(trainer.current_epoch),
            "train_loss": float(metrics.get("train_loss", float("nan"))),
            "valid_loss": float(metrics.get("valid_loss", float("nan"))),
        }
        self.epochs.append(epoch)
        log.info("epoch %d: train loss %.4f, valid loss %.4f (%.0f s)", epoch["epoch"], epoch["train_loss"],
                 epoch["valid_loss"], time.perf_counter() - self._started)  # fmt: skip
        if self._progress:
            self._progress(len(self.epochs), int(trainer.max_epochs or len(self.epochs)))


def _tensors(model: SequenceModel, arrays: SequenceArrays) -> TensorDataset:
    """Scaled inputs with masks, station indices, scaled targets (0 where missing) and the target mask."""
    encoder_values, encoder_mask = model.encoder_scaler.transform(arrays.encoder)
    decoder_values, decoder_mask = model.decoder_scaler.transform(arrays.decoder)
    target, target_mask = model.target_scaler.transform(arrays.target)
    stations = model.station_indices(arrays.station_id, warn=False)
    return TensorDataset(
        *(torch.from_numpy(a) for a in (encoder_values, encoder_mask, decoder_values, decoder_mask)),
        torch.from_numpy(stations),
        torch.from_numpy(target),
        torch.from_numpy(target_mask),
    )


def _with_targets(arrays: SequenceArrays) -> SequenceArrays:
    return arrays.subset(np.isfinite(arrays.target).any(axis=(1, 2)))


def _check_periods(train: SequenceArrays, valid: SequenceArrays) -> None:
    if len(train) < MIN_TRAIN_SAMPLES:
        raise TrainingDataError(
            f"training period has {len(train)} sample(s) with an observed target, fewer than the "
            f"{MIN_TRAIN_SAMPLES} needed; give a longer training period"
        )
    if len(valid) < MIN_VALID_SAMPLES:
        raise TrainingDataError(
            f"validation period has {len(valid)} sample(s) with an observed target, fewer than the "
            f"{MIN_VALID_SAMPLES} needed; give a longer validation period"
        )
    if valid.issue_time.min() <= train.issue_time.max():
        raise TrainingDataError(
            f"validation issues start {valid.issue_time.min()} before training issues end "
            f"{train.issue_time.max()}: the validation block must follow the training period"
        )


def fit_climatology_weights(raw: np.ndarray, validation: SequenceArrays) -> dict[str, list[float]]:
    """Per pollutant, :func:`training.lightgbm.fit_blend_weights` of the raw mean forecasts (N, lead, target, 4)
    against the validation samples' climatology: the forecast relaxes to climatology as skill fades."""
    n_lead = raw.shape[1]
    lead = np.broadcast_to(np.arange(1, n_lead + 1)[None, :], raw.shape[:2]).reshape(-1)
    weights = {}
    for k, pollutant in enumerate(validation.pollutants):
        climatology = validation.references[f"{pollutant}_climatology"].astype(float).reshape(-1)
        observed = validation.target[:, :, k].astype(float).reshape(-1)
        weights[pollutant] = fit_blend_weights(raw[:, :, k, 0].reshape(-1), climatology, observed, lead, n_lead)
    return weights


def fit_interval_offsets(
    predicted: np.ndarray, target: np.ndarray, pollutants: Sequence[str]
) -> dict[str, list[float]]:
    """Per pollutant and lead block, the widening δ [1] that makes ``[q10 − δ·s, q90 + δ·s]`` (``s = q50 + c``)
    cover 80 % of the validation targets (conformalised quantile regression, as the boosters' intervals).

    ``predicted`` (N, lead, target, 4) uncalibrated concentrations and ``target`` (N, lead, target) [µg/m³].
    """
    block = np.broadcast_to(lead_block_index(np.arange(1, predicted.shape[1] + 1))[None, :], predicted.shape[:2])
    offsets = {}
    for k, pollutant in enumerate(pollutants):
        scale = np.maximum(predicted[:, :, k, 2], 0.0) + RATIO_OFFSET
        known = np.isfinite(target[:, :, k])
        offsets[pollutant] = conformal_offsets(
            (predicted[:, :, k, 1] / scale)[known],
            (predicted[:, :, k, 3] / scale)[known],
            (target[:, :, k] / scale)[known],
            block[known],
        )
    return offsets


def split_held_out_months(train: SequenceArrays, settings: SequenceSettings) -> tuple[SequenceArrays, SequenceArrays]:
    """(samples to fit, samples of the held-out months): :func:`training.validation.seasonal_holdout` by issue."""
    frame = pd.DataFrame({"issue_time": train.issue_time, "sample": np.arange(len(train))})
    kept, held = seasonal_holdout(frame, settings.holdout_every_months, settings.holdout_embargo_hours)
    if len(kept) < MIN_TRAIN_SAMPLES:
        return train, train.subset(np.zeros(len(train), dtype=bool))
    return train.subset(kept["sample"].to_numpy()), train.subset(held["sample"].to_numpy())


def untrained_model(
    train: SequenceArrays,
    spec: FeatureSpec,
    settings: SequenceSettings,
    climatology,
    metadata: dict | None = None,
) -> SequenceModel:
    """A model with scalers and station index fitted on the training samples and freshly initialised weights."""
    trained_stations = sorted({str(s) for s in train.station_id})
    config = NetworkConfig(
        encoder_channels=len(train.encoder_features),
        decoder_channels=len(train.decoder_features),
        n_targets=len(train.pollutants),
        n_stations=len(trained_stations),
        hidden_size=settings.hidden_size,
        num_layers=settings.num_layers,
        dropout=settings.dropout,
        embedding_dim=settings.embedding_dim,
        station_dropout=settings.station_dropout,
    )
    return SequenceModel(
        pollutants=list(train.pollutants),
        spec=spec,
        encoder_features=list(train.encoder_features),
        decoder_features=list(train.decoder_features),
        encoder_scaler=ChannelScaler.fit(train.encoder_features, train.encoder),
        decoder_scaler=ChannelScaler.fit(train.decoder_features, train.decoder),
        target_scaler=ChannelScaler.fit(train.pollutants, train.target),
        station_index={sid: k + 1 for k, sid in enumerate(trained_stations)},
        network_config=config,
        state_dict=SequenceNetwork(config).state_dict(),
        climatology=climatology,
        metadata=dict(metadata or {}),
    )


def _with_climatology(inputs: FeatureInputs, climatology) -> FeatureInputs:
    return FeatureInputs(**{**inputs.__dict__, "climatology": climatology}) if climatology is not None else inputs


def fit_sequence_model(
    train_inputs: FeatureInputs,
    valid_inputs: FeatureInputs,
    train_issues: Sequence | pd.DatetimeIndex,
    valid_issues: Sequence | pd.DatetimeIndex,
    spec: FeatureSpec,
    pollutants: Sequence[str],
    climatology=None,
    settings: SequenceSettings | None = None,
    *,
    logger: pl.loggers.Logger | bool = False,
    metadata: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[SequenceModel, SequenceFitReport]:
    """Fit the sequence corrector of ``pollutants`` and return it with a :class:`SequenceFitReport`.

    Parameters
    ----------
    train_inputs, valid_inputs : FeatureInputs
        Inputs covering the training / validation issues (history before them, 72 h after).
    train_issues, valid_issues : tz-aware times
        Issue times (UTC); every validation issue must follow every training issue. Samples without
        any observed target are dropped. One training month in ``settings.holdout_every_months`` is
        held out whole and validated on too (training periods of 12 months or more).
    spec : FeatureSpec
        The feature set (saved with the model).
    pollutants : sequence of str
        Targets (a subset of ``spec.pollutants``).
    climatology : Dataset, optional
        A :func:`features.climatology.fit_climatology` table fitted on the training period only; used as a
        feature and saved with the model.
    settings : SequenceSettings
        Network size and optimisation (default :class:`SequenceSettings`).
    logger : Lightning logger or False
        Passed to the ``Trainer`` (e.g. ``MLFlowLogger``); default none.
    metadata : dict, optional
        Saved with the model (training period, stations …).
    progress : callable, optional
        Called ``(epochs done, max epochs)`` after each epoch (early stopping may end it sooner).
    """
    settings = settings or SequenceSettings()
    device = resolve_device(settings.device)
    started = time.perf_counter()
    pl.seed_everything(settings.seed, workers=True, verbose=False)
    train = _with_targets(build_sequence_arrays(_with_climatology(train_inputs, climatology), train_issues, spec,
                                                pollutants))  # fmt: skip
    valid = _with_targets(build_sequence_arrays(_with_climatology(valid_inputs, climatology), valid_issues, spec,
                                                pollutants))  # fmt: skip
    _check_periods(train, valid)
    train, held = split_held_out_months(train, settings)
    validation = SequenceArrays.concat([held, valid]) if len(held) else valid
    model = untrained_model(train, spec, settings, climatology, metadata)
    report = SequenceFitReport(
        samples_train=len(train),
        samples_valid=len(valid),
        samples_holdout=len(held),
        targets_train=int(np.isfinite(train.target).sum()),
        targets_valid=int(np.isfinite(validation.target).sum()),
        device=device,
    )
    with torch_threads(settings.num_threads), _restored_determinism(), _quiet_lightning():
        pl.seed_everything(settings.seed, workers=True, verbose=False)
        network = SequenceNetwork(model.network_config)
        module = SequenceLightningModule(network, settings)
        train_loader = DataLoader(
            _tensors(model, train),
            batch_size=settings.batch_size,
            shuffle=True,
            generator=torch.Generator().manual_seed(settings.seed),
        )
        valid_loader = DataLoader(_tensors(model, validation), batch_size=max(settings.batch_size, 256))
        history = _EpochHistory(progress)
        with tempfile.TemporaryDirectory(prefix="vnaqi-lstm-") as scratch:
            checkpoint = pl.callbacks.ModelCheckpoint(
                dirpath=scratch, monitor="valid_loss", mode="min", save_top_k=1, save_weights_only=True
            )
            stopping = pl.callbacks.EarlyStopping(monitor="valid_loss", mode="min", patience=settings.patience)
            trainer = pl.Trainer(
                max_epochs=settings.max_epochs,
                accelerator="gpu" if device == "cuda" else "cpu",
                devices=1,
                deterministic=True,
                logger=logger,
                callbacks=[checkpoint, stopping, history],
                gradient_clip_val=settings.gradient_clip or None,
                enable_progress_bar=False,
                enable_model_summary=False,
                num_sanity_val_steps=0,
            )
            trainer.fit(module, train_loader, valid_loader)
            best = torch.load(checkpoint.best_model_path, map_location="cpu", weights_only=True)
        state = {k.removeprefix("network."): v for k, v in best["state_dict"].items() if k.startswith("network.")}
        network.load_state_dict(state)
        model.state_dict = {k: v.detach().cpu().clone() for k, v in network.state_dict().items()}
        report.best_epoch = int(best["epoch"])
        report.history = history.epochs
        report.epochs_run = len(history.epochs)
        best_row = next((h for h in history.epochs if h["epoch"] == report.best_epoch), {})
        report.train_loss = best_row.get("train_loss", float("nan"))
        report.valid_loss = float(checkpoint.best_model_score) if checkpoint.best_model_score is not None else np.nan
        raw = model.predict_arrays(validation, warn=False, post_process=False)
    model.blend_weights = fit_climatology_weights(raw, validation)
    model.interval_offsets = fit_interval_offsets(raw, validation.target, model.pollutants)
    report.blend_weights, report.interval_offsets = model.blend_weights, model.interval_offsets
    predicted = model.post_process(raw, validation)
    for k, pollutant in enumerate(model.pollutants):
        error = predicted[:, :, k, 0] - validation.target[:, :, k]
        report.valid_rmse[pollutant] = float(np.sqrt(np.nanmean(error**2)))
    report.seconds = round(time.perf_counter() - started, 2)
    model.metadata.update(
        {
            "kind": "sequence",
            "settings": asdict(settings),
            "best_epoch": report.best_epoch,
            "epochs_run": report.epochs_run,
            "valid_loss": report.valid_loss,
            "valid_rmse": report.valid_rmse,
            "interval_offsets": report.interval_offsets,
            "blend_weights": report.blend_weights,
            "samples_train": report.samples_train,
            "samples_valid": report.samples_valid,
            "samples_holdout": report.samples_holdout,
            "pytorch_lightning": pl.__version__,
        }
    )
    log.info(
        "sequence model %s: %d train / %d valid + %d held-out samples, %d epochs (best %d), valid loss %.4f, "
        "RMSE %s, %.1f s on %s",
        "+".join(model.pollutants), report.samples_train, report.samples_valid, report.samples_holdout,
        report.epochs_run, report.best_epoch,
        report.valid_loss, {p: round(v, 2) for p, v in report.valid_rmse.items()}, report.seconds, device,
    )  # fmt: skip
    return model, report
