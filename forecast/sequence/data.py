"""Arrays of the sequence corrector: per (issue time, station) sample, the past 72 h and the next 72 leads.

Built from the same :class:`features.table.FeatureInputs` as the LightGBM feature tables, and the
decoder reuses :func:`features.table.build_feature_table` (rows ordered issue × station × lead are
reshaped, not recomputed), so training, hindcasts and the cycle see the features the boosters see.

Dimensions (N = issues × stations, samples ordered issue-major like the feature table)
------------------------------------------------------------------------------------
``encoder`` (N, 72, C_enc)
    The 72 hour-ending stamps ``T − 71 h … T`` ending at the issue time ``T`` (all known at ``T``):
    observations of every spec pollutant [µg/m³] (``obs_<p>``), with met the observed met held in
    ``FeatureInputs.met`` (``met_<name>``: °C, %, m s-1, hPa, mm) and the local hour of day as
    sin/cos [1]. NaN where missing.
``decoder`` (N, 72, C_dec)
    Leads 1 … 72 h: the feature-table columns of :func:`decoder_feature_names` (met at the valid
    time, CTM in forecast mode, calendar, climatology, station attributes, ``lead_h``, and the
    issue-level history features repeated on every lead), plus the local hour as sin/cos. NaN where
    missing.
``target`` (N, 72, P)
    ``<p>_observed`` at each lead [µg/m³], NaN where unknown (masked out of the loss).

NaN is never fed to a network as a value: :class:`ChannelScaler.transform` returns the standardised
value with NaN → 0 **and** a mask (1 = observed) per channel, which the network receives too.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import STATION, TIME
from features.met import hourly_met_fields
from features.spec import FeatureSpec
from features.table import FeatureInputs, build_feature_table, model_columns, normalise_issue_times

logger = logging.getLogger(__name__)

ENCODER_HOURS = 72
"""Length of the history the encoder reads [h], ending at the issue time."""
ENCODER_MET: tuple[str, ...] = ("t2m", "d2m", "rh2m", "ws10", "wind_u10", "wind_v10", "pressure_hpa", "tp")
"""Hourly met fields of the encoder (:func:`features.met.hourly_met_fields` names and units)."""
HOUR_CHANNELS: tuple[str, ...] = ("hour_local_sin", "hour_local_cos")
REFERENCE_STATS: tuple[str, ...] = ("observed", "mean_24h", "climatology")
"""Per-lead columns of each target kept beside the arrays: the target and the two reference forecasts."""
ROWS_PER_CHUNK = 150_000
"""Feature-table rows built at once (bounds memory on long archives)."""


def encoder_feature_names(spec: FeatureSpec) -> list[str]:
    """Encoder channels for a spec (order fixed: saved with the model and checked at load)."""
    names = [f"obs_{p}" for p in spec.pollutants]
    if spec.uses_met:
        names += [f"met_{name}" for name in ENCODER_MET]
    return names + list(HOUR_CHANNELS)


def decoder_feature_names(spec: FeatureSpec, pollutants: Sequence[str]) -> list[str]:
    """Decoder channels: the union of the boosters' :func:`features.table.model_columns` of every
    target (first occurrence order), plus the local hour as sin/cos when the spec has a calendar."""
    names: list[str] = []
    for pollutant in pollutants:
        names += [c for c in model_columns(spec, pollutant) if c not in names]
    if spec.calendar:
        names += list(HOUR_CHANNELS)
    return names


@dataclass
class SequenceArrays:
    """Encoder, decoder and target arrays of N samples (see the module docstring for dims and units)."""

    issue_time: pd.DatetimeIndex
    """(N,) issue time of each sample [UTC, tz-aware]."""
    station_id: np.ndarray
    """(N,) station id of each sample (str)."""
    encoder: np.ndarray
    decoder: np.ndarray
    target: np.ndarray
    encoder_features: list[str]
    decoder_features: list[str]
    pollutants: list[str]
    references: dict[str, np.ndarray]
    """``<p>_observed``, ``<p>_mean_24h`` (persistence), ``<p>_climatology`` → (N, 72) [µg/m³]."""

    def __len__(self) -> int:
        return len(self.station_id)

    def subset(self, rows: np.ndarray) -> SequenceArrays:
        """The samples selected by ``rows`` (boolean mask or indices)."""
        return SequenceArrays(
            issue_time=self.issue_time[rows],
            station_id=self.station_id[rows],
            encoder=self.encoder[rows],
            decoder=self.decoder[rows],
            target=self.target[rows],
            encoder_features=self.encoder_features,
            decoder_features=self.decoder_features,
            pollutants=self.pollutants,
            references={k: v[rows] for k, v in self.references.items()},
        )

    @classmethod
    def concat(cls, parts: Sequence[SequenceArrays]) -> SequenceArrays:
        """Samples of several arrays with the same channels, in the order given."""
        first = parts[0]
        if any(p.encoder_features != first.encoder_features or p.decoder_features != first.decoder_features
               or p.pollutants != first.pollutants for p in parts):  # fmt: skip
            raise ValueError("cannot concatenate sequence arrays with different channels")
        return cls(
            issue_time=first.issue_time.append([p.issue_time for p in parts[1:]]),
            station_id=np.concatenate([p.station_id for p in parts]),
            encoder=np.concatenate([p.encoder for p in parts]),
            decoder=np.concatenate([p.decoder for p in parts]),
            target=np.concatenate([p.target for p in parts]),
            encoder_features=first.encoder_features,
            decoder_features=first.decoder_features,
            pollutants=first.pollutants,
            references={k: np.concatenate([p.references[k] for p in parts]) for k in first.references},
        )


@dataclass
class ChannelScaler:
    """Per-channel mean and standard deviation (fitted on training samples only, saved with the model)."""

    names: list[str]
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, names: Sequence[str], values: np.ndarray) -> ChannelScaler:
        """Mean/std of each channel over the finite values of ``values`` (…, C); a channel never observed
        (or constant) gets mean 0 / std 1, so it passes through as its mask alone."""
        flat = values.reshape(-1, values.shape[-1]).astype(np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(flat, axis=0)
            std = np.nanstd(flat, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 1e-6), std, 1.0)
        return cls(list(names), mean.astype(np.float64), std.astype(np.float64))

    def transform(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(standardised values with NaN → 0, mask with 1 where observed), both float32, shape of ``values``."""
        mask = np.isfinite(values)
        scaled = (values - self.mean.astype(np.float32)) / self.std.astype(np.float32)
        return np.where(mask, scaled, 0.0).astype(np.float32), mask.astype(np.float32)

    def inverse(self, scaled: np.ndarray, channel_axis: int = -1) -> np.ndarray:
        """Standardised values → original units, channels along ``channel_axis``."""
        shape = [1] * scaled.ndim
        shape[channel_axis] = len(self.names)
        return scaled * self.std.reshape(shape) + self.mean.reshape(shape)

    def to_dict(self) -> dict:
        return {"names": self.names, "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> ChannelScaler:
        return cls(list(data["names"]), np.asarray(data["mean"], dtype=np.float64), np.asarray(data["std"], float))


def _encoder_axis(times: pd.DatetimeIndex) -> np.ndarray:
    start = times.min() - pd.Timedelta(hours=ENCODER_HOURS - 1)
    axis = pd.date_range(start, times.max(), freq="h")
    return axis.tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")


def _aligned(ds: xr.Dataset | None, station_ids: list[str], axis: np.ndarray) -> dict[str, np.ndarray]:
    """Variables of ``ds`` as (station, time) float arrays on ``axis`` (absent dataset → empty dict)."""
    if ds is None:
        return {}
    aligned = ds.reindex({STATION: station_ids, TIME: axis})
    return {name: aligned[name].transpose(STATION, TIME).values.astype(float) for name in aligned.data_vars}


def _local_hour_channels(stations, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin/cos of the local hour at the start of each hour-ending stamp → (station, time) each."""
    start = pd.DatetimeIndex(axis).tz_localize("UTC") - pd.Timedelta(hours=1)
    hours = np.empty((len(stations), len(axis)))
    for zone in {s.time_zone for s in stations}:
        rows = [k for k, s in enumerate(stations) if s.time_zone == zone]
        hours[rows] = start.tz_convert(zone).hour.to_numpy()[None, :]
    angle = 2 * np.pi * hours / 24
    return np.sin(angle), np.cos(angle)


def build_encoder(inputs: FeatureInputs, times: pd.DatetimeIndex, spec: FeatureSpec) -> np.ndarray:
    """Encoder array (issues × stations, :data:`ENCODER_HOURS`, channels) of :func:`encoder_feature_names`."""
    ids = [s.id for s in inputs.stations]
    axis = _encoder_axis(times)
    issue_index = np.searchsorted(axis, times.tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]"))
    window = issue_index[:, None] + np.arange(-ENCODER_HOURS + 1, 1)[None, :]  # (issue, hour)
    nan_field = np.full((len(ids), len(axis)), np.nan)
    obs = _aligned(inputs.observations, ids, axis)
    fields = [obs.get(p, nan_field) for p in spec.pollutants]
    if spec.uses_met:
        raw_met = _aligned(inputs.met, ids, axis)
        met = hourly_met_fields(raw_met, spec.met_window_hours) if raw_met else {}
        fields += [met.get(name, nan_field) for name in ENCODER_MET]
    fields += list(_local_hour_channels(inputs.stations, axis))
    stacked = np.stack(fields, axis=-1)  # (station, time, channel)
    gathered = stacked[:, window]  # (station, issue, hour, channel)
    return gathered.transpose(1, 0, 2, 3).reshape(len(times) * len(ids), ENCODER_HOURS, len(fields)).astype(np.float32)


def _decoder_chunk(
    inputs: FeatureInputs, times: pd.DatetimeIndex, spec: FeatureSpec, names: list[str], pollutants: list[str]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    table = build_feature_table(inputs, times, spec, with_targets=True)
    n_sample, n_lead = len(times) * len(inputs.stations), spec.max_lead_hours
    expected_lead = np.tile(np.arange(1, n_lead + 1), n_sample)
    if len(table) != n_sample * n_lead or not np.array_equal(table["lead_h"].to_numpy(), expected_lead):
        raise RuntimeError("feature table rows are not ordered issue × station × lead 1 … max lead")
    columns = {}
    for name in names:
        if name in HOUR_CHANNELS:
            angle = 2 * np.pi * table["hour_local"].to_numpy(dtype=np.float32) / 24
            columns[name] = np.sin(angle) if name == "hour_local_sin" else np.cos(angle)
        else:
            columns[name] = table[name].to_numpy(dtype=np.float32)
    decoder = np.stack([columns[n] for n in names], axis=-1).reshape(n_sample, n_lead, len(names))
    references = {
        f"{p}_{stat}": table[f"{p}_{stat}"].to_numpy(dtype=np.float32).reshape(n_sample, n_lead)
        for p in pollutants
        for stat in REFERENCE_STATS
    }
    return decoder.astype(np.float32), references


def build_sequence_arrays(
    inputs: FeatureInputs,
    issue_times: Sequence | pd.DatetimeIndex,
    spec: FeatureSpec,
    pollutants: Sequence[str],
) -> SequenceArrays:
    """Encoder, decoder, target and reference arrays for every issue time × station of ``inputs``.

    ``inputs.climatology`` should be the one fitted on the training period (as for the boosters); the
    decoder is built in chunks of issue times so long archives stay within memory.
    """
    pollutants = list(pollutants)
    foreign = [p for p in pollutants if p not in spec.pollutants]
    if foreign:
        raise ValueError(f"targets {', '.join(foreign)} are not among the spec's pollutants {spec.pollutants}")
    times = normalise_issue_times(issue_times)
    if len(times) == 0 or not inputs.stations:
        raise ValueError("sequence arrays need at least one issue time and one station")
    n_station = len(inputs.stations)
    encoder_names = encoder_feature_names(spec)
    decoder_names = decoder_feature_names(spec, pollutants)
    per_chunk = max(1, ROWS_PER_CHUNK // (n_station * spec.max_lead_hours))
    decoders, reference_parts = [], []
    for start in range(0, len(times), per_chunk):
        decoder, references = _decoder_chunk(inputs, times[start : start + per_chunk], spec, decoder_names, pollutants)
        decoders.append(decoder)
        reference_parts.append(references)
    references = {k: np.concatenate([part[k] for part in reference_parts]) for k in reference_parts[0]}
    target = np.stack([references[f"{p}_observed"] for p in pollutants], axis=-1)
    ids = np.array([s.id for s in inputs.stations], dtype=object)
    arrays = SequenceArrays(
        issue_time=times.repeat(n_station),
        station_id=np.tile(ids, len(times)),
        encoder=build_encoder(inputs, times, spec),
        decoder=np.concatenate(decoders),
        target=target,
        encoder_features=encoder_names,
        decoder_features=decoder_names,
        pollutants=pollutants,
        references=references,
    )
    logger.debug(
        "sequence arrays: %d samples, encoder %s, decoder %s", len(arrays), arrays.encoder.shape, arrays.decoder.shape
    )
    return arrays
