"""The LightGBM corrector at inference: features → concentration with 10/50/90 % quantiles.

A :class:`CorrectorModel` is one pollutant's trained model (``training.lightgbm`` fits it): a mean
booster and three quantile boosters predicting the departure from a *base* forecast, the weights
that relax the mean towards climatology as skill fades with lead, and conformal offsets that
calibrate the 10–90 % interval on the validation period. It is saved as a plain folder (booster
text files + JSON + the climatology as NetCDF) that MLflow logs as the artefact of a pyfunc model.

Base forecasts, tried in order per row: ``ctm`` (the raw CTM at the valid time, when the model
corrects a CTM), ``persistence`` (mean of the last 24 h observed), ``climatology``, then 0.

A model that uses met carries a *fallback* corrector fitted without it; rows whose met is missing at
the valid time (:func:`met_absent`) are forecast by the fallback.

Target transform: with ``ratio`` (the default) the boosters predict ``(y + c) / (base + c)`` with
``c`` = :data:`RATIO_OFFSET` [µg/m³] — pollution is cleared or builds up in proportion to what is
there — and the forecast is ``r̂ (base + c) − c``; training weights ``(base + c)²`` (mean) and
``(base + c)`` (quantiles) make the losses those of the concentration itself, and quantiles map
exactly because the transform is monotonic. With ``difference`` they predict ``y − base``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
import xarray as xr

from features.spec import FeatureSpec

logger = logging.getLogger(__name__)

LEAD_BLOCKS: tuple[tuple[int, int], ...] = ((1, 24), (25, 48), (49, 72))
QUANTILE_NAMES = ("q10", "q50", "q90")
QUANTILE_LEVELS = {"q10": 0.1, "q50": 0.5, "q90": 0.9}
BaseName = Literal["ctm", "persistence", "none"]
TargetTransform = Literal["ratio", "difference"]
RATIO_OFFSET = 10.0
FORMAT_VERSION = 1


MET_PRESENCE_COLUMNS = ("t2m", "ws10")
"""A row has met at its valid time when any of these is known."""


def met_absent(table: pd.DataFrame) -> np.ndarray:
    """True for rows with none of :data:`MET_PRESENCE_COLUMNS` known (all False if the table has none)."""
    present = [table[c].to_numpy(dtype=float) for c in MET_PRESENCE_COLUMNS if c in table]
    if not present:
        return np.zeros(len(table), dtype=bool)
    return ~np.logical_or.reduce([np.isfinite(v) for v in present])


class FeatureMismatchError(ValueError):
    """The feature table does not match the columns the model was trained on."""


def block_label(lo: int, hi: int) -> str:
    return f"{lo}-{hi} h"


def lead_block_index(lead_h: np.ndarray) -> np.ndarray:
    """0, 1, 2 for leads in 1–24, 25–48, 49–72 h (longer leads take the last block)."""
    return np.minimum((np.asarray(lead_h) - 1) // 24, len(LEAD_BLOCKS) - 1).clip(0)


def base_forecast(table: pd.DataFrame, pollutant: str, base: BaseName) -> np.ndarray:
    """The forecast the boosters correct [µg/m³], per row, with the documented fallbacks."""
    out = np.full(len(table), np.nan)
    chain = {"ctm": [f"ctm_{pollutant}"], "persistence": [], "none": []}[base]
    if base != "none":
        chain += [f"{pollutant}_mean_24h", f"{pollutant}_climatology"]
    for column in chain:
        if column in table:
            out = np.where(np.isnan(out), table[column].to_numpy(dtype=float), out)
    return np.nan_to_num(out, nan=0.0)


def to_target(observed: np.ndarray, base: np.ndarray, transform: TargetTransform) -> np.ndarray:
    """Concentration [µg/m³] → what the boosters learn."""
    return (observed + RATIO_OFFSET) / (base + RATIO_OFFSET) if transform == "ratio" else observed - base


def from_target(predicted: np.ndarray, base: np.ndarray, transform: TargetTransform) -> np.ndarray:
    """What the boosters predict → concentration [µg/m³]."""
    return predicted * (base + RATIO_OFFSET) - RATIO_OFFSET if transform == "ratio" else predicted + base


def target_weights(base: np.ndarray, transform: TargetTransform, power: int) -> np.ndarray | None:
    """Sample weights that make the transformed loss the concentration loss (None for ``difference``)."""
    return (base + RATIO_OFFSET) ** power if transform == "ratio" else None


def read_description(directory: Path, filename: str, what: str, format_version: int) -> dict:
    """The JSON description of a saved model folder; a clear error when it is missing or of another format."""
    described = directory / filename
    if not described.exists():
        raise FileNotFoundError(f"{directory} holds no {what} ({filename} missing)")
    description = json.loads(described.read_text())
    if description.get("format_version") != format_version:
        raise ValueError(
            f"{described}: {what} format {description.get('format_version')!r}, this code reads {format_version}"
        )
    return description


@dataclass
class CorrectorModel:
    """One pollutant's corrector. See the module docstring."""

    pollutant: str
    spec: FeatureSpec
    columns: list[str]
    boosters: dict[str, lgb.Booster]
    base: BaseName = "persistence"
    transform: TargetTransform = "ratio"
    blend_weights: list[float] = field(default_factory=lambda: [1.0] * len(LEAD_BLOCKS))
    """Weight of the model against climatology, per lead hour 1…72 (or per lead block)."""
    interval_offsets: list[float] = field(default_factory=lambda: [0.0] * len(LEAD_BLOCKS))
    climatology: xr.Dataset | None = None
    metadata: dict = field(default_factory=dict)
    fallback: CorrectorModel | None = None
    """The same pollutant's corrector without met, for rows whose met is missing."""

    # --- prediction --------------------------------------------------------------------------
    def check_columns(self, table: pd.DataFrame) -> None:
        """Raise :class:`FeatureMismatchError` naming the columns the table lacks."""
        missing = [c for c in self.columns if c not in table.columns]
        if missing:
            raise FeatureMismatchError(
                f"feature table lacks {len(missing)} column(s) the {self.pollutant} model was trained on: "
                f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}"
            )

    def predict(self, table: pd.DataFrame) -> pd.DataFrame:
        """Forecast and quantiles for each row of a feature table.

        Returns
        -------
        pandas.DataFrame
            Same index as ``table``; ``forecast`` (the mean, relaxed towards climatology by lead),
            ``q10``, ``q50``, ``q90`` [µg/m³], all ≥ 0 and ``q10 ≤ q50 ≤ q90``.
        """
        self.check_columns(table)
        if self.fallback is not None and self.spec.uses_met:
            absent = met_absent(table)
            if absent.any():
                logger.info("%s: %d of %d row(s) without met forecast by the no-met fallback",
                            self.pollutant, int(absent.sum()), len(table))  # fmt: skip
                out = pd.DataFrame(index=table.index, columns=["forecast", *QUANTILE_NAMES], dtype=float)
                if (~absent).any():
                    out.loc[~absent] = self._predict_own(table[~absent]).to_numpy()
                out.loc[absent] = self.fallback.predict(table[absent]).to_numpy()
                return out
        return self._predict_own(table)

    def blend_weight_at(self, lead_h: np.ndarray) -> np.ndarray:
        """Weight of the model against climatology per row: one per lead hour (or per lead block in
        models saved before per-hour weights)."""
        weights = np.asarray(self.blend_weights, dtype=float)
        if len(weights) == len(LEAD_BLOCKS):
            return weights[lead_block_index(lead_h)]
        return weights[np.clip(np.asarray(lead_h) - 1, 0, len(weights) - 1)]

    def _predict_own(self, table: pd.DataFrame) -> pd.DataFrame:
        features = table[self.columns]
        base = base_forecast(table, self.pollutant, self.base)
        block = lead_block_index(table["lead_h"].to_numpy())
        mean = from_target(self.boosters["mean"].predict(features), base, self.transform)
        clim_column = f"{self.pollutant}_climatology"
        clim = table[clim_column].to_numpy(dtype=float) if clim_column in table else np.full(len(table), np.nan)
        weight = self.blend_weight_at(table["lead_h"].to_numpy())
        forecast = np.where(np.isfinite(clim), weight * mean + (1 - weight) * clim, mean)
        raw = np.column_stack([self.boosters[q].predict(features) for q in QUANTILE_NAMES])
        offsets = np.asarray(self.interval_offsets)[block]  # in the boosters' (transformed) units
        raw[:, 0] -= offsets
        raw[:, 2] += offsets
        quantiles = np.column_stack([from_target(raw[:, k], base, self.transform) for k in range(3)])
        quantiles = np.sort(np.clip(quantiles, 0.0, None), axis=1)  # never cross, never negative
        return pd.DataFrame(
            {
                "forecast": np.clip(forecast, 0.0, None),
                "q10": quantiles[:, 0],
                "q50": quantiles[:, 1],
                "q90": quantiles[:, 2],
            },
            index=table.index,
        )

    # --- persistence -------------------------------------------------------------------------
    def save(self, directory: Path | str) -> Path:
        """Write the model to ``directory`` (created; must not hold another model)."""
        directory = Path(directory)
        if (directory / "corrector.json").exists():
            raise FileExistsError(f"{directory} already holds a model; refusing to overwrite it")
        directory.mkdir(parents=True, exist_ok=True)
        for name, booster in self.boosters.items():
            booster.save_model(str(directory / f"booster_{name}.txt"), num_iteration=booster.best_iteration or None)
        if self.climatology is not None:
            self.climatology.to_netcdf(directory / "climatology.nc")
        description = {
            "format_version": FORMAT_VERSION,
            "pollutant": self.pollutant,
            "spec": self.spec.model_dump(),
            "columns": self.columns,
            "boosters": sorted(self.boosters),
            "base": self.base,
            "transform": self.transform,
            "ratio_offset": RATIO_OFFSET,
            "blend_weights": self.blend_weights,
            "interval_offsets": self.interval_offsets,
            "lead_blocks": [list(b) for b in LEAD_BLOCKS],
            "metadata": self.metadata,
        }
        if self.fallback is not None:
            self.fallback.save(directory / "fallback")
        (directory / "corrector.json").write_text(json.dumps(description, indent=2, default=str))
        return directory

    @classmethod
    def load(cls, directory: Path | str) -> CorrectorModel:
        """Read a model written by :meth:`save`; clear errors for a missing or foreign folder."""
        directory = Path(directory)
        description = read_description(directory, "corrector.json", "corrector", FORMAT_VERSION)
        boosters = {
            name: lgb.Booster(model_file=str(directory / f"booster_{name}.txt")) for name in description["boosters"]
        }
        climatology = None
        if (directory / "climatology.nc").exists():
            with xr.open_dataset(directory / "climatology.nc") as ds:
                climatology = ds.load()
        return cls(
            pollutant=description["pollutant"],
            spec=FeatureSpec.model_validate(description["spec"]),
            columns=list(description["columns"]),
            boosters=boosters,
            base=description["base"],
            transform=description.get("transform", "difference"),
            blend_weights=list(description["blend_weights"]),
            interval_offsets=list(description["interval_offsets"]),
            climatology=climatology,
            metadata=description.get("metadata", {}),
            fallback=cls.load(directory / "fallback") if (directory / "fallback" / "corrector.json").exists() else None,
        )
