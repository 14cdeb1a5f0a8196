"""The sequence (LSTM) corrector at inference: feature inputs → 72 h of concentrations with quantiles.

A :class:`SequenceModel` forecasts every target pollutant for all 72 leads of a sample at once
(``training.sequence`` fits it). It carries what inference needs to rebuild its inputs exactly: the
:class:`features.spec.FeatureSpec`, the encoder/decoder channel names, the scalers fitted on the
training samples, the station index, the network's shape and weights, and the climatology fitted on
the training period. Saved as a plain folder (``sequence.json``, ``weights.pt``, ``climatology.nc``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import xarray as xr

from configs.schema import FORECAST_ROW_COLUMNS, REFERENCE_ROW_COLUMNS
from features.spec import FeatureSpec
from features.table import FeatureInputs
from forecast.corrector import LEAD_BLOCKS, RATIO_OFFSET, FeatureMismatchError, lead_block_index, read_description
from forecast.sequence.data import (
    ChannelScaler,
    SequenceArrays,
    build_sequence_arrays,
    decoder_feature_names,
    encoder_feature_names,
)
from forecast.sequence.network import NetworkConfig, SequenceNetwork

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
DESCRIPTION_FILE = "sequence.json"
WEIGHTS_FILE = "weights.pt"
CLIMATOLOGY_FILE = "climatology.nc"
UNKNOWN_STATION = 0
"""Station index of the fallback embedding (stations not seen in training)."""
MAX_NAMED_STATIONS = 20
"""Unseen stations named in the warning (the rest are counted)."""
OUTPUT_COLUMNS = FORECAST_ROW_COLUMNS
REFERENCE_COLUMNS = REFERENCE_ROW_COLUMNS
"""Extra columns of :meth:`SequenceModel.forecast_rows` with ``with_references`` (the hindcast table's)."""


@contextlib.contextmanager
def torch_threads(num_threads: int | None) -> Iterator[None]:
    """Run the block with ``num_threads`` intra-op threads (None or 0: leave torch's setting), then restore."""
    previous = torch.get_num_threads()
    if num_threads:
        torch.set_num_threads(int(num_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _feature_difference(kind: str, expected: Sequence[str], given: Sequence[str]) -> str | None:
    missing = [n for n in expected if n not in given]
    extra = [n for n in given if n not in expected]
    if not missing and not extra and list(expected) == list(given):
        return None
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}")
    if extra:
        parts.append(f"extra {', '.join(extra[:10])}{' …' if len(extra) > 10 else ''}")
    if not parts:
        parts.append("same names in another order")
    return f"{kind} features differ ({'; '.join(parts)})"


def _non_negative_ordered(concentration: np.ndarray) -> np.ndarray:
    """Clip (…, 4: mean, q10, q50, q90) at 0 µg/m³ and sort the quantiles (a narrowing offset could cross them;
    the network's own quantiles never do, and clipping keeps their order)."""
    concentration = np.clip(concentration, 0.0, None)
    concentration[..., 1:] = np.sort(concentration[..., 1:], axis=-1)
    return concentration


@dataclass
class SequenceModel:
    """A trained sequence corrector; see the module docstring."""

    pollutants: list[str]
    spec: FeatureSpec
    encoder_features: list[str]
    decoder_features: list[str]
    encoder_scaler: ChannelScaler
    decoder_scaler: ChannelScaler
    target_scaler: ChannelScaler
    station_index: dict[str, int]
    """station_id → embedding row (≥ 1); unseen stations use row :data:`UNKNOWN_STATION`."""
    network_config: NetworkConfig
    state_dict: dict[str, torch.Tensor]
    climatology: xr.Dataset | None = None
    interval_offsets: dict[str, list[float]] = field(default_factory=dict)
    """Per pollutant and lead block (:data:`forecast.corrector.LEAD_BLOCKS`), the conformal widening δ [1] of
    the 10–90 % interval: ``q10 − δ·s``, ``q90 + δ·s`` with ``s = q50 + c`` [µg/m³] (c =
    :data:`forecast.corrector.RATIO_OFFSET`), so it scales with the level of pollution; δ < 0 narrows."""
    blend_weights: dict[str, list[float]] = field(default_factory=dict)
    """Per pollutant, the weight of the mean forecast against climatology per lead hour 1 … 72: the mean is
    ``w·model + (1 − w)·climatology`` (as the boosters', fitted on validation, non-increasing with lead)."""
    metadata: dict = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    # --- features ----------------------------------------------------------------------------
    def check_features(
        self, encoder_features: Sequence[str] | None = None, decoder_features: Sequence[str] | None = None
    ) -> None:
        """Raise :class:`FeatureMismatchError` naming the missing/extra channels when the given ones (default:
        those this code derives from the model's spec) are not the ones the network was trained on."""
        given_encoder = list(encoder_features) if encoder_features is not None else encoder_feature_names(self.spec)
        given_decoder = (
            list(decoder_features)
            if decoder_features is not None
            else decoder_feature_names(self.spec, self.pollutants)
        )
        problems = [
            p
            for p in (
                _feature_difference("encoder", self.encoder_features, given_encoder),
                _feature_difference("decoder", self.decoder_features, given_decoder),
            )
            if p
        ]
        if problems:
            raise FeatureMismatchError(
                f"the sequence model ({', '.join(self.pollutants)}) was trained on other features than these: "
                + "; ".join(problems)
            )

    def check_spec(self, spec: FeatureSpec) -> None:
        """Raise :class:`FeatureMismatchError` when ``spec`` (the feature set a caller builds) would give
        other channels than the model's (e.g. a ``forecast``-mode cycle and a ``perfect``-mode model)."""
        self.check_features(encoder_feature_names(spec), decoder_feature_names(spec, self.pollutants))

    # --- prediction --------------------------------------------------------------------------
    def network(self) -> SequenceNetwork:
        """A fresh network in evaluation mode holding the model's weights."""
        network = SequenceNetwork(self.network_config)
        network.load_state_dict(self.state_dict)
        return network.eval()

    def station_indices(self, station_ids: Sequence[str], warn: bool = True) -> np.ndarray:
        """Embedding row of each station id; unseen ones get :data:`UNKNOWN_STATION` (one warning naming them)."""
        ids = np.asarray(station_ids, dtype=object)
        index = np.array([self.station_index.get(str(s), UNKNOWN_STATION) for s in ids], dtype=np.int64)
        unseen = sorted({str(s) for s in ids[index == UNKNOWN_STATION]})
        if unseen and warn:
            more = f" … and {len(unseen) - MAX_NAMED_STATIONS} more" if len(unseen) > MAX_NAMED_STATIONS else ""
            logger.warning(
                "sequence model: %d station(s) not seen in training use the unknown-station embedding: %s%s",
                len(unseen),
                ", ".join(unseen[:MAX_NAMED_STATIONS]),
                more,
            )
        return index

    def predict_arrays(
        self,
        arrays: SequenceArrays,
        *,
        batch_size: int = 1024,
        num_threads: int | None = None,
        warn: bool = True,
        post_process: bool = True,
    ) -> np.ndarray:
        """Forecasts (N, lead, target, 4: mean, q10, q50, q90) [µg/m³] of prepared arrays; all ≥ 0 and
        ``q10 ≤ q50 ≤ q90``. ``post_process`` applies :attr:`blend_weights` and :attr:`interval_offsets`
        (training fits both on the network's raw output)."""
        self.check_features(arrays.encoder_features, arrays.decoder_features)
        encoder_values, encoder_mask = self.encoder_scaler.transform(arrays.encoder)
        decoder_values, decoder_mask = self.decoder_scaler.transform(arrays.decoder)
        stations = self.station_indices(arrays.station_id, warn=warn)
        network = self.network()
        parts = []
        with torch_threads(num_threads), torch.no_grad():
            for start in range(0, len(arrays), batch_size):
                rows = slice(start, start + batch_size)
                out = network(
                    torch.from_numpy(encoder_values[rows]),
                    torch.from_numpy(encoder_mask[rows]),
                    torch.from_numpy(decoder_values[rows]),
                    torch.from_numpy(decoder_mask[rows]),
                    torch.from_numpy(stations[rows]),
                )
                parts.append(out.numpy())
        scaled = np.concatenate(parts) if parts else np.zeros((0, arrays.decoder.shape[1], len(self.pollutants), 4))
        raw = _non_negative_ordered(self.target_scaler.inverse(scaled.astype(np.float64), channel_axis=2))
        return self.post_process(raw, arrays) if post_process else raw

    def post_process(self, raw: np.ndarray, arrays: SequenceArrays) -> np.ndarray:
        """The network's concentrations (N, lead, target, 4) relaxed to climatology (:attr:`blend_weights`) and
        with the calibrated interval (:attr:`interval_offsets`); a new array, ≥ 0 and non-crossing."""
        concentration = raw.copy()
        self._relax_to_climatology(concentration, arrays)
        self._widen(concentration)
        return _non_negative_ordered(concentration)

    def _relax_to_climatology(self, concentration: np.ndarray, arrays: SequenceArrays) -> None:
        """Apply :attr:`blend_weights` in place to the mean of (N, lead, target, 4) concentrations."""
        lead_index = np.arange(concentration.shape[1])
        for k, pollutant in enumerate(self.pollutants):
            weights = np.asarray(self.blend_weights.get(pollutant) or [], dtype=float)
            climatology = arrays.references.get(f"{pollutant}_climatology")
            if weights.size == 0 or climatology is None:
                continue
            w = weights[np.minimum(lead_index, weights.size - 1)][None, :]  # (1, lead)
            mean = concentration[:, :, k, 0]
            concentration[:, :, k, 0] = np.where(np.isfinite(climatology), w * mean + (1 - w) * climatology, mean)

    def _widen(self, concentration: np.ndarray) -> None:
        """Apply :attr:`interval_offsets` in place to (N, lead, target, 4) concentrations."""
        block = lead_block_index(np.arange(1, concentration.shape[1] + 1))
        for k, pollutant in enumerate(self.pollutants):
            offsets = self.interval_offsets.get(pollutant)
            if not offsets:
                continue
            delta = np.asarray(offsets, dtype=float)[block][None, :]  # (1, lead)
            scale = np.maximum(concentration[:, :, k, 2], 0.0) + RATIO_OFFSET
            concentration[:, :, k, 1] -= delta * scale
            concentration[:, :, k, 3] += delta * scale

    def arrays_for(self, inputs: FeatureInputs, issue_times: Sequence | pd.DatetimeIndex) -> SequenceArrays:
        """The model's input arrays from feature inputs, always with the model's own climatology (the one its
        training saw; any climatology ``inputs`` carry is ignored)."""
        inputs = FeatureInputs(**{**inputs.__dict__, "climatology": self.climatology})
        return build_sequence_arrays(inputs, issue_times, self.spec, self.pollutants)

    def forecast_rows(
        self,
        inputs: FeatureInputs,
        issue_times: Sequence | pd.DatetimeIndex,
        *,
        with_references: bool = False,
        batch_size: int = 1024,
        num_threads: int | None = None,
    ) -> pd.DataFrame:
        """Long forecast rows, one per issue time × station × pollutant × lead, like
        ``training.hindcast.predict_table``.

        Columns: ``issue_time`` [UTC, tz-aware], ``station_id``, ``pollutant``, ``lead_h`` [h, 1 … 72, int16],
        ``valid_time`` [UTC, hour-ending], ``forecast`` (the mean), ``q10``, ``q50``, ``q90`` [µg/m³]; with
        ``with_references`` also ``observed``, ``persistence`` (mean of the last 24 h) and ``climatology``
        [µg/m³] — exactly the hindcast table's columns, so the verification code scores it unchanged.
        """
        arrays = self.arrays_for(inputs, issue_times)
        predicted = self.predict_arrays(arrays, batch_size=batch_size, num_threads=num_threads)
        return self.rows_from(arrays, predicted, with_references=with_references)

    def rows_from(
        self, arrays: SequenceArrays, predicted: np.ndarray, *, with_references: bool = False
    ) -> pd.DataFrame:
        """Long rows (see :meth:`forecast_rows`) from arrays and :meth:`predict_arrays`' output."""
        n_sample, n_lead = predicted.shape[0], predicted.shape[1]
        lead = np.arange(1, n_lead + 1, dtype=np.int16)
        frames = []
        for k, pollutant in enumerate(self.pollutants):
            issue = arrays.issue_time.repeat(n_lead)
            columns = {
                "issue_time": issue,
                "station_id": np.repeat(arrays.station_id.astype(str).astype(object), n_lead),
                "pollutant": pollutant,
                "lead_h": np.tile(lead, n_sample),
                "valid_time": issue + pd.to_timedelta(np.tile(lead, n_sample).astype(np.int64), unit="h"),
                "forecast": predicted[:, :, k, 0].reshape(-1),
                "q10": predicted[:, :, k, 1].reshape(-1),
                "q50": predicted[:, :, k, 2].reshape(-1),
                "q90": predicted[:, :, k, 3].reshape(-1),
            }
            if with_references:
                for column, stat in zip(REFERENCE_COLUMNS, ("observed", "mean_24h", "climatology"), strict=True):
                    columns[column] = arrays.references[f"{pollutant}_{stat}"].astype(np.float64).reshape(-1)
            frames.append(pd.DataFrame(columns))
        out = pd.concat(frames, ignore_index=True)
        for column in ("issue_time", "valid_time"):
            out[column] = pd.to_datetime(out[column], utc=True)
        out["lead_h"] = out["lead_h"].astype("int16")
        return out[list(OUTPUT_COLUMNS) + (list(REFERENCE_COLUMNS) if with_references else [])]

    # --- persistence -------------------------------------------------------------------------
    def save(self, directory: Path | str) -> Path:
        """Write the model to ``directory`` (created; must not hold another model)."""
        directory = Path(directory)
        if (directory / DESCRIPTION_FILE).exists():
            raise FileExistsError(f"{directory} already holds a model; refusing to overwrite it")
        directory.mkdir(parents=True, exist_ok=True)
        torch.save(self.state_dict, directory / WEIGHTS_FILE)
        if self.climatology is not None:
            self.climatology.to_netcdf(directory / CLIMATOLOGY_FILE)
        description = {
            "format_version": FORMAT_VERSION,
            "kind": "sequence",
            "pollutants": self.pollutants,
            "spec": self.spec.model_dump(),
            "encoder_features": self.encoder_features,
            "decoder_features": self.decoder_features,
            "scalers": {
                "encoder": self.encoder_scaler.to_dict(),
                "decoder": self.decoder_scaler.to_dict(),
                "target": self.target_scaler.to_dict(),
            },
            "station_index": self.station_index,
            "interval_offsets": self.interval_offsets,
            "blend_weights": self.blend_weights,
            "lead_blocks": [list(b) for b in LEAD_BLOCKS],
            "ratio_offset": RATIO_OFFSET,
            "network": self.network_config.to_dict(),
            "metadata": self.metadata,
            "torch": torch.__version__,
        }
        (directory / DESCRIPTION_FILE).write_text(json.dumps(description, indent=2, default=str))
        return directory

    @classmethod
    def load(cls, directory: Path | str, spec: FeatureSpec | None = None) -> SequenceModel:
        """Read a model written by :meth:`save`.

        Raises :class:`FeatureMismatchError` when its channels are not those this code builds from its spec
        (a model from another feature set), or those of ``spec`` when given (the caller's feature set).
        """
        directory = Path(directory)
        description = read_description(directory, DESCRIPTION_FILE, "sequence model", FORMAT_VERSION)
        climatology = None
        if (directory / CLIMATOLOGY_FILE).exists():
            with xr.open_dataset(directory / CLIMATOLOGY_FILE) as ds:
                climatology = ds.load()
        scalers = description["scalers"]
        model = cls(
            pollutants=list(description["pollutants"]),
            spec=FeatureSpec.model_validate(description["spec"]),
            encoder_features=list(description["encoder_features"]),
            decoder_features=list(description["decoder_features"]),
            encoder_scaler=ChannelScaler.from_dict(scalers["encoder"]),
            decoder_scaler=ChannelScaler.from_dict(scalers["decoder"]),
            target_scaler=ChannelScaler.from_dict(scalers["target"]),
            station_index={str(k): int(v) for k, v in description["station_index"].items()},
            network_config=NetworkConfig(**description["network"]),
            state_dict=torch.load(directory / WEIGHTS_FILE, map_location="cpu", weights_only=True),
            climatology=climatology,
            interval_offsets={p: [float(v) for v in o] for p, o in description.get("interval_offsets", {}).items()},
            blend_weights={p: [float(v) for v in w] for p, w in description.get("blend_weights", {}).items()},
            metadata=description.get("metadata", {}),
        )
        model.check_features()
        if spec is not None:
            model.check_spec(spec)
        return model
