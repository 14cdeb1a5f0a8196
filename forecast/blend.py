"""A blend of corrector families (LightGBM, LSTM, …) at inference: named components → one forecast.

Why: two corrector families forecast each pollutant, and neither wins everywhere (by pollutant, by
lead). The blend combines their long forecast rows per pollutant and **lead block** (1–24, 25–48,
49–72 h by default, :data:`forecast.corrector.LEAD_BLOCKS`):

* mean: ``Σ_c w_c · forecast_c`` with ``w_c ≥ 0`` and ``Σ_c w_c = 1`` per (pollutant, block);
* quantiles: ``q_τ = Σ_c w_c · q_τ,c`` with the same weights (quantile averaging), then the conformal
  interval offset ``δ`` [1] of the (pollutant, block): ``q10 − δ·s`` and ``q90 + δ·s`` with the
  scale ``s = max(q50, 0) + c`` [µg/m³], ``c`` = :data:`forecast.corrector.RATIO_OFFSET` (the
  widening grows with the level of pollution, as the LightGBM corrector's does; ``δ < 0`` narrows);
  then the three are clipped at 0 µg/m³ and sorted, so they never cross;
* a row one component lacks takes the others' weights renormalised (logged with counts); where every
  component present has weight 0, they share equally (a forecast beats none).

The weights and offsets are fitted on validation hindcasts by :func:`training.blend.fit_blend`.

Rows (what :meth:`RowForecaster.forecast_rows` returns and :meth:`ModelBlend.combine` takes and gives)
    one per issue, station, pollutant and lead: ``issue_time`` [UTC, tz-aware], ``station_id`` (str),
    ``pollutant``, ``lead_h`` [h, 1 … 72], ``valid_time`` [UTC, hour-ending], ``forecast``, ``q10``,
    ``q50``, ``q90`` [µg/m³]. Hindcast rows may also carry ``observed``, ``persistence`` and
    ``climatology`` [µg/m³]; :meth:`ModelBlend.combine` passes those through.

Saved as a folder: ``blend.json`` (components, blocks, weights, offsets, metadata) and one subfolder
``<name>/`` per component, written and read by the component's own code (a ``loader`` passed to
:meth:`ModelBlend.load`), so this module never imports a deep-learning library.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from configs.schema import (
    FORECAST_ROW_COLUMNS,
    FORECAST_ROW_KEYS,
    FORECAST_ROW_VALUES,
    POLLUTANTS,
    REFERENCE_ROW_COLUMNS,
)
from features.table import FeatureInputs, build_feature_table, normalise_issue_times
from forecast.corrector import LEAD_BLOCKS, RATIO_OFFSET, CorrectorModel, block_label

logger = logging.getLogger(__name__)

BLEND_FILE = "blend.json"
FORMAT_VERSION = 1
KEY_COLUMNS = FORECAST_ROW_KEYS
VALUE_COLUMNS = FORECAST_ROW_VALUES
ROW_COLUMNS = FORECAST_ROW_COLUMNS
PASSTHROUGH_COLUMNS = REFERENCE_ROW_COLUMNS
"""Hindcast columns :meth:`ModelBlend.combine` carries over (first non-null over the components)."""
RESERVED_NAMES = frozenset({*ROW_COLUMNS, *PASSTHROUGH_COLUMNS, "ctm", "blend"})
"""Names a component may not take (they are columns of the rows or of the side-by-side comparison)."""
WEIGHT_TOLERANCE = 1e-6
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

Blocks = tuple[tuple[int, int], ...]
ComponentLoader = Callable[[str, Path], "RowForecaster"] | Mapping[str, Callable[[Path], "RowForecaster"]]


@runtime_checkable
class RowForecaster(Protocol):
    """Anything that forecasts long rows (module docstring) for some pollutants."""

    @property
    def pollutants(self) -> Sequence[str]:
        """Pollutant keys it forecasts."""
        ...

    def forecast_rows(self, inputs: FeatureInputs, issue_times, with_references: bool = False) -> pd.DataFrame:
        """Rows (module docstring) for every station of ``inputs``, issue time and lead 1 … 72 h; with
        ``with_references`` also ``observed``, ``persistence`` and ``climatology`` [µg/m³] (hindcasts)."""
        ...


# --- the LightGBM family as a RowForecaster -------------------------------------------------------
@dataclass
class CorrectorRows:
    """LightGBM correctors (pollutant → :class:`~forecast.corrector.CorrectorModel`) as a
    :class:`RowForecaster`. Each model's own climatology is used (it comes with the model); models
    sharing a feature spec and climatology share one feature table."""

    models: dict[str, CorrectorModel]

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("CorrectorRows needs at least one CorrectorModel")
        wrong = {p: m.pollutant for p, m in self.models.items() if m.pollutant != p}
        if wrong:
            raise ValueError(f"models keyed by the wrong pollutant (key → model's pollutant): {wrong}")

    @property
    def pollutants(self) -> list[str]:
        return list(self.models)

    def forecast_rows(self, inputs: FeatureInputs, issue_times, with_references: bool = False) -> pd.DataFrame:
        """Forecast rows of every model at ``issue_times`` (tz-aware UTC) for the stations of ``inputs``
        (with ``with_references``: and the observation, persistence and the model's climatology)."""
        times = normalise_issue_times(issue_times)
        groups: dict[tuple[str, int], list[str]] = {}
        for pollutant, model in self.models.items():
            key = (json.dumps(model.spec.model_dump(), sort_keys=True, default=str), id(model.climatology))
            groups.setdefault(key, []).append(pollutant)
        frames = []
        for pollutants in groups.values():
            first = self.models[pollutants[0]]
            with_clim = FeatureInputs(**{**inputs.__dict__, "climatology": first.climatology})
            table = build_feature_table(with_clim, times, first.spec, with_targets=with_references)
            for pollutant in pollutants:
                predicted = self.models[pollutant].predict(table)
                columns = {
                    "issue_time": table["issue_time"].to_numpy(),
                    "station_id": table["station_id"].astype(str).to_numpy(),
                    "pollutant": pollutant,
                    "lead_h": table["lead_h"].to_numpy(dtype=np.int64),
                    "valid_time": table["valid_time"].to_numpy(),
                    **{c: predicted[c].to_numpy(dtype=float) for c in VALUE_COLUMNS},
                }
                if with_references:
                    columns.update(_references(table, pollutant))
                frames.append(pd.DataFrame(columns))
        out = pd.concat(frames, ignore_index=True)
        for column in ("issue_time", "valid_time"):
            out[column] = pd.to_datetime(out[column], utc=True)
        return out[list(ROW_COLUMNS) + (list(PASSTHROUGH_COLUMNS) if with_references else [])]

    def save(self, directory: Path | str) -> Path:
        """Each model into ``directory/<pollutant>/`` (:meth:`CorrectorModel.save`)."""
        directory = Path(directory)
        for pollutant, model in self.models.items():
            model.save(directory / pollutant)
        return directory

    @classmethod
    def load(cls, directory: Path | str) -> CorrectorRows:
        """Read the models :meth:`save` wrote (one subfolder per pollutant)."""
        directory = Path(directory)
        folders = sorted(p.parent for p in directory.glob("*/corrector.json"))
        if not folders:
            raise FileNotFoundError(f"{directory} holds no LightGBM corrector (no <pollutant>/corrector.json)")
        models = {f.name: CorrectorModel.load(f) for f in folders}
        return cls(dict(sorted(models.items(), key=lambda kv: _pollutant_order(kv[0]))))


# --- helpers ---------------------------------------------------------------------------------------
def _references(table: pd.DataFrame, pollutant: str) -> dict[str, np.ndarray]:
    """observed, persistence (mean of the last 24 h) and climatology [µg/m³] of a feature table's rows."""

    def column(name: str) -> np.ndarray:
        return table[name].to_numpy(dtype=float) if name in table else np.full(len(table), np.nan)

    return {
        "observed": column(f"{pollutant}_observed"),
        "persistence": column(f"{pollutant}_mean_24h"),
        "climatology": column(f"{pollutant}_climatology"),
    }


def _pollutant_order(pollutant: str) -> tuple[int, str]:
    return (POLLUTANTS.index(pollutant) if pollutant in POLLUTANTS else len(POLLUTANTS), pollutant)


def check_blocks(blocks: Sequence[Sequence[int]]) -> Blocks:
    """Lead blocks as a tuple of inclusive ``(first, last)`` hours, ascending and non-overlapping."""
    out = tuple((int(lo), int(hi)) for lo, hi in blocks)
    if not out:
        raise ValueError("at least one lead block is needed, e.g. ((1, 24), (25, 48), (49, 72))")
    for k, (lo, hi) in enumerate(out):
        if lo > hi or (k and lo <= out[k - 1][1]):
            raise ValueError(f"lead blocks must be ascending, non-overlapping (first, last) hours, got {list(out)}")
    return out


def block_of(lead_h: np.ndarray, blocks: Blocks) -> np.ndarray:
    """Index of the block each lead falls in; leads before the first block take it, after the last
    (or in a gap) the next one up to the last."""
    ends = np.array([hi for _, hi in blocks])
    return np.minimum(np.searchsorted(ends, np.asarray(lead_h), side="left"), len(blocks) - 1)


@dataclass
class AlignedRows:
    """Component rows joined on :data:`KEY_COLUMNS` (union of the rows, sorted by the keys).

    ``keys`` holds the key columns and ``valid_time``; ``values[name]`` is an (n, 4) array of
    :data:`VALUE_COLUMNS` [µg/m³], NaN where the component lacks the row; ``extra`` the
    :data:`PASSTHROUGH_COLUMNS` found, first non-null over the components in order.
    """

    keys: pd.DataFrame
    values: dict[str, np.ndarray]
    extra: dict[str, np.ndarray]

    def column(self, name: str, column: str) -> np.ndarray:
        return self.values[name][:, VALUE_COLUMNS.index(column)]


def _normalised(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"rows of component {name!r} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in (*KEY_COLUMNS, *VALUE_COLUMNS) if c not in frame.columns]
    if missing:
        raise ValueError(f"rows of component {name!r} lack column(s) {', '.join(missing)}")
    out = frame[[*KEY_COLUMNS, *VALUE_COLUMNS, *(c for c in PASSTHROUGH_COLUMNS if c in frame)]].copy()
    issue = out["issue_time"]
    if not isinstance(issue.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"component {name!r}: issue_time must be timezone-aware (UTC), got {issue.dtype}")
    out["issue_time"] = issue.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    out["station_id"] = out["station_id"].astype(str)
    out["pollutant"] = out["pollutant"].astype(str)
    lead = out["lead_h"].to_numpy()
    if not pd.api.types.is_numeric_dtype(out["lead_h"]) or np.any(lead != np.round(lead)):
        raise ValueError(f"component {name!r}: lead_h must hold whole hours, got {out['lead_h'].dtype}")
    out["lead_h"] = lead.astype(np.int64)
    for column in (*VALUE_COLUMNS, *(c for c in PASSTHROUGH_COLUMNS if c in out)):
        out[column] = pd.to_numeric(out[column], errors="raise").astype(float)
    return out


def align_rows(frames: Mapping[str, pd.DataFrame], names: Sequence[str] | None = None) -> AlignedRows:
    """Join component rows on issue, station, pollutant and lead (see :class:`AlignedRows`).

    ``names`` fixes the components (and their order); one without a frame gets all-NaN values.
    Raises ``ValueError`` for missing columns, naive times or duplicated keys, naming the component.
    """
    names = list(frames) if names is None else list(names)
    given = [n for n in names if n in frames]
    if not given:
        raise ValueError("no component rows to align")
    parts = []
    for code, name in enumerate(given):
        part = _normalised(name, frames[name])
        duplicated = int(part.duplicated(list(KEY_COLUMNS)).sum())
        if duplicated:
            raise ValueError(f"component {name!r} has {duplicated} duplicated row(s) for the same {KEY_COLUMNS}")
        parts.append(part.assign(_component=code))
    rows = pd.concat(parts, ignore_index=True)
    if rows.empty:
        raise ValueError(f"the rows of {', '.join(given)} are empty")
    row_id = rows.groupby(list(KEY_COLUMNS), sort=True).ngroup().to_numpy()
    n = int(row_id.max()) + 1
    first = np.unique(row_id, return_index=True)[1]
    keys = rows.iloc[first][list(KEY_COLUMNS)].reset_index(drop=True)
    keys["valid_time"] = keys["issue_time"] + pd.to_timedelta(keys["lead_h"], unit="h")
    component = rows["_component"].to_numpy()
    values = {name: np.full((n, len(VALUE_COLUMNS)), np.nan) for name in names}
    extra: dict[str, np.ndarray] = {}
    for code, name in enumerate(given):
        mine = component == code
        values[name][row_id[mine]] = rows.loc[mine, list(VALUE_COLUMNS)].to_numpy(dtype=float)
    for column in PASSTHROUGH_COLUMNS:
        if column not in rows:
            continue
        out = np.full(n, np.nan)
        for code in range(len(given)):  # first non-null in component order
            mine = (component == code) & rows[column].notna().to_numpy()
            target = row_id[mine]
            fill = np.isnan(out[target])
            out[target[fill]] = rows[column].to_numpy(dtype=float)[mine][fill]
        extra[column] = out
    return AlignedRows(keys=keys, values=values, extra=extra)


# --- the blend -------------------------------------------------------------------------------------
@dataclass
class ModelBlend:
    """Convex weights and interval offsets per pollutant and lead block over named components.

    Attributes
    ----------
    components : tuple of str
        Component names (e.g. ``("lightgbm", "lstm")``), in order; also their subfolders when saved.
    weights : dict
        pollutant → one ``{component: weight}`` per lead block; weights ≥ 0 summing to 1 [1].
    offsets : dict
        pollutant → one conformal interval offset per lead block [1, in units of ``q50 + c``];
        pollutants not listed get 0.
    blocks : tuple of (first, last)
        Lead blocks [h], inclusive.
    metadata : dict
        Free-form, JSON-serialisable (fit period, rows, scores …).
    forecasters : dict
        name → loaded :class:`RowForecaster` (only :meth:`forecast_rows` needs them; not saved here).
    """

    components: tuple[str, ...]
    weights: dict[str, list[dict[str, float]]]
    offsets: dict[str, list[float]] = field(default_factory=dict)
    blocks: Blocks = LEAD_BLOCKS
    metadata: dict = field(default_factory=dict)
    forecasters: dict[str, RowForecaster] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.components = tuple(self.components)
        self.blocks = check_blocks(self.blocks)
        self._check_components()
        self.weights = {p: self._checked_weights(p, w) for p, w in self.weights.items()}
        self.offsets = {p: self._checked_offsets(p, o) for p, o in self.offsets.items()}
        unknown = [n for n in self.forecasters if n not in self.components]
        if unknown:
            raise ValueError(f"forecaster(s) {', '.join(map(repr, unknown))} are not components of the blend")

    # --- validation ------------------------------------------------------------------------------
    def _check_components(self) -> None:
        if not self.components:
            raise ValueError("a blend needs at least one component")
        bad = [n for n in self.components if not isinstance(n, str) or not _NAME.match(n) or n in RESERVED_NAMES]
        if bad:
            raise ValueError(
                f"component name(s) {', '.join(map(repr, bad))} not allowed: use letters, digits, '_' or '-' "
                f"(starting with a letter) and none of {', '.join(sorted(RESERVED_NAMES))}"
            )
        if len(set(self.components)) != len(self.components):
            raise ValueError(f"component names repeat: {list(self.components)}")

    def _checked_weights(self, pollutant: str, per_block: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
        if len(per_block) != len(self.blocks):
            raise ValueError(
                f"blend weights for {pollutant}: {len(per_block)} lead block(s) given, the blend has "
                f"{len(self.blocks)} ({', '.join(block_label(*b) for b in self.blocks)})"
            )
        out = []
        for (lo, hi), weights in zip(self.blocks, per_block, strict=True):
            where = f"blend weights for {pollutant}, leads {block_label(lo, hi)}"
            unknown = [n for n in weights if n not in self.components]
            if unknown:
                raise ValueError(
                    f"{where}: unknown component(s) {', '.join(map(repr, unknown))}; "
                    f"the components are {', '.join(self.components)}"
                )
            missing = [n for n in self.components if n not in weights]
            if missing:
                raise ValueError(f"{where}: no weight for component(s) {', '.join(map(repr, missing))}")
            values = {n: float(weights[n]) for n in self.components}
            bad = {n: w for n, w in values.items() if not math.isfinite(w) or w < -WEIGHT_TOLERANCE}
            if bad:
                raise ValueError(f"{where}: weights must be finite and ≥ 0, got {bad}")
            total = sum(values.values())
            if abs(total - 1.0) > WEIGHT_TOLERANCE:
                raise ValueError(f"{where} sum to {total:.6g}, not 1: {values}")
            out.append({n: max(w, 0.0) for n, w in values.items()})
        return out

    def _checked_offsets(self, pollutant: str, offsets: Sequence[float]) -> list[float]:
        values = [float(o) for o in offsets]
        if len(values) != len(self.blocks) or not all(math.isfinite(o) for o in values):
            raise ValueError(
                f"interval offsets for {pollutant}: need {len(self.blocks)} finite values (one per lead block), "
                f"got {list(offsets)}"
            )
        return values

    # --- properties --------------------------------------------------------------------------------
    @property
    def pollutants(self) -> list[str]:
        """Pollutants the blend has weights for, in :data:`configs.schema.POLLUTANTS` order."""
        return sorted(self.weights, key=_pollutant_order)

    def weight_table(self) -> pd.DataFrame:
        """Weights as a table: pollutant, block, one column per component [1]."""
        rows = [
            {"pollutant": p, "block": block_label(*b), **w}
            for p in self.pollutants
            for b, w in zip(self.blocks, self.weights[p], strict=True)
        ]
        return pd.DataFrame(rows, columns=["pollutant", "block", *self.components])

    def for_pollutants(self, pollutants: Sequence[str]) -> ModelBlend:
        """The same blend restricted to ``pollutants`` (e.g. to register one per pollutant)."""
        missing = [p for p in pollutants if p not in self.weights]
        if missing:
            raise ValueError(f"the blend has no weights for {', '.join(missing)} (it has {', '.join(self.pollutants)})")
        return ModelBlend(
            components=self.components,
            weights={p: self.weights[p] for p in pollutants},
            offsets={p: self.offsets[p] for p in pollutants if p in self.offsets},
            blocks=self.blocks,
            metadata=dict(self.metadata),
            forecasters=dict(self.forecasters),
        )

    # --- combination -------------------------------------------------------------------------------
    def _tables(self, pollutants: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-row pollutant codes, and (pollutant, block, component) weights and (pollutant, block) offsets."""
        known = self.pollutants
        unknown = sorted(set(pollutants.tolist()) - set(known))
        if unknown:
            raise ValueError(
                f"the blend has no weights for pollutant(s) {', '.join(unknown)}; "
                f"it was fitted for {', '.join(known) or 'none'}"
            )
        codes = pd.Categorical(pollutants, categories=known).codes
        weights = np.array([[[w[n] for n in self.components] for w in self.weights[p]] for p in known])
        offsets = np.array([self.offsets.get(p, [0.0] * len(self.blocks)) for p in known])
        return codes, weights, offsets

    def combine(self, frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """Blend component rows (module docstring) into one set of rows.

        Parameters
        ----------
        frames
            component name → its rows; components may be left out (their weight goes to the others).

        Returns
        -------
        pandas.DataFrame
            :data:`ROW_COLUMNS` (plus any :data:`PASSTHROUGH_COLUMNS` the frames had), one row per key
            any component has, sorted by the keys; ``attrs["fallbacks"]`` lists what was renormalised.
        """
        unknown = [n for n in frames if n not in self.components]
        if unknown:
            raise ValueError(
                f"unknown component(s) {', '.join(map(repr, unknown))}; the blend's components are "
                f"{', '.join(self.components)}"
            )
        if not frames:
            raise ValueError(f"no component rows to blend (components: {', '.join(self.components)})")
        return self.combine_aligned(align_rows(frames, self.components))

    def combine_aligned(self, aligned: AlignedRows) -> pd.DataFrame:
        """:meth:`combine` on rows already joined by :func:`align_rows` (same row order)."""
        keys = aligned.keys
        codes, weight_table, offset_table = self._tables(keys["pollutant"].to_numpy())
        block = block_of(keys["lead_h"].to_numpy(), self.blocks)
        weights = weight_table[codes, block]  # (row, component)
        stacked = np.stack([aligned.values[n] for n in self.components], axis=1)  # (row, component, value)
        fallbacks = self._log_missing(keys, weights, np.isfinite(stacked[:, :, 0]))
        blended = np.empty((len(keys), len(VALUE_COLUMNS)))
        for j in range(len(VALUE_COLUMNS)):
            blended[:, j] = _renormalised_mean(stacked[:, :, j], weights)
        forecast = np.clip(blended[:, 0], 0.0, None)
        quantiles = _calibrated(blended[:, 1:], offset_table[codes, block])
        out = keys.copy()
        out["forecast"] = forecast
        for k, name in enumerate(("q10", "q50", "q90")):
            out[name] = quantiles[:, k]
        for column, values in aligned.extra.items():
            out[column] = values
        out.attrs["fallbacks"] = fallbacks
        return out[[*ROW_COLUMNS, *aligned.extra]]

    def _log_missing(self, keys: pd.DataFrame, weights: np.ndarray, present: np.ndarray) -> list[dict[str, str]]:
        """Log (and return as fallback notes) the rows where a weighted component lacks a forecast."""
        notes = []
        any_present = present.any(axis=1)
        pollutant = keys["pollutant"].to_numpy()
        for k, name in enumerate(self.components):
            lacking = (weights[:, k] > 0) & ~present[:, k] & any_present
            if not lacking.any():
                continue
            counts = pd.Series(pollutant[lacking]).value_counts().sort_index()
            totals = pd.Series(pollutant).value_counts()
            detail = ", ".join(f"{p} {n} of {totals[p]}" for p, n in counts.items())
            others = ", ".join(n for n in self.components if n != name)
            logger.warning(
                "blend: %d row(s) lack a %s forecast (%s); they use %s renormalised",
                int(lacking.sum()), name, detail, others,
            )  # fmt: skip
            notes.append({"step": "blend-component-missing", "detail": f"{name}: {detail} row(s) without it"})
        none = int((~any_present).sum())
        if none:
            logger.warning("blend: %d row(s) have no component forecast at all (left NaN)", none)
            notes.append({"step": "blend-no-component", "detail": f"{none} row(s) without any forecast"})
        return notes

    # --- inference -----------------------------------------------------------------------------------
    def forecast_rows(self, inputs: FeatureInputs, issue_times, with_references: bool = False) -> pd.DataFrame:
        """Run every loaded component and blend their rows (``with_references``: each component's
        observed/persistence/climatology passed through, for hindcasts).

        A component that is not loaded or fails is left out (its weight goes to the others; logged and
        listed in ``attrs["fallbacks"]`` for the run's manifest); if none succeeds, ``RuntimeError``.
        """
        if not self.forecasters:
            raise RuntimeError(
                "the blend has no component loaded; load it with ModelBlend.load(folder, loader=…) "
                "or pass forecasters={name: RowForecaster}"
            )
        frames, notes, errors = {}, [], []
        for name in self.components:
            component = self.forecasters.get(name)
            if component is None:
                notes.append({"step": "blend-component-missing", "detail": f"{name}: not loaded"})
                errors.append(f"{name}: not loaded")
                continue
            try:
                frames[name] = (
                    component.forecast_rows(inputs, issue_times, with_references=True)
                    if with_references
                    else component.forecast_rows(inputs, issue_times)
                )
            except Exception as exc:  # noqa: BLE001 — degrade, don't die: the other components still forecast
                logger.exception("blend component %s failed; the others carry its weight", name)
                notes.append({"step": "blend-component-failed", "detail": f"{name}: {type(exc).__name__}: {exc}"})
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
        if not frames:
            raise RuntimeError(f"no component of the blend could forecast: {'; '.join(errors)}")
        rows = {}
        for name, frame in frames.items():
            keep = frame["pollutant"].astype(str).isin(self.pollutants)
            if not keep.all():
                extra = sorted(set(frame.loc[~keep, "pollutant"].astype(str)))
                logger.info("blend: %s also forecasts %s, which the blend has no weights for", name, ", ".join(extra))
            rows[name] = frame[keep]
        out = self.combine(rows)
        absent = {n for n in self.components if n not in frames}
        already = [  # a failed or unloaded component is already noted once; not again as "missing rows"
            n for n in out.attrs.get("fallbacks", [])
            if not (n.get("step") == "blend-component-missing" and n.get("detail", "").split(":")[0] in absent)
        ]  # fmt: skip
        out.attrs["fallbacks"] = notes + already
        return out

    # --- persistence ---------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON form written to ``blend.json``."""
        return {
            "format_version": FORMAT_VERSION,
            "kind": "vnaqi-blend",
            "components": list(self.components),
            "blocks": [list(b) for b in self.blocks],
            "weights": {p: self.weights[p] for p in self.pollutants},
            "offsets": {p: self.offsets[p] for p in sorted(self.offsets, key=_pollutant_order)},
            "offset_scale": f"q50 + {RATIO_OFFSET} µg/m³",
            "metadata": self.metadata,
        }

    def save(self, directory: Path | str) -> Path:
        """Write ``blend.json`` to ``directory`` and each loaded component having a ``save(folder)`` into
        ``directory/<name>/`` (others must be saved there by their own code). Refuses to overwrite."""
        directory = Path(directory)
        if (directory / BLEND_FILE).exists():
            raise FileExistsError(f"{directory} already holds a blend; refusing to overwrite it")
        directory.mkdir(parents=True, exist_ok=True)
        for name, component in self.forecasters.items():
            save = getattr(component, "save", None)
            if callable(save):
                save(directory / name)
        unsaved = [n for n in self.components if self.forecasters and not (directory / n).is_dir()]
        if unsaved:
            logger.warning(
                "blend saved to %s without folder(s) for %s: save them there with their own code before loading",
                directory, ", ".join(unsaved),
            )  # fmt: skip
        text = json.dumps(_json_safe(self.to_dict()), indent=2, default=str, allow_nan=False)
        tmp = directory / f".{BLEND_FILE}.tmp"
        tmp.write_text(text)
        tmp.replace(directory / BLEND_FILE)
        return directory

    @classmethod
    def from_dict(cls, description: dict, source: str = "blend description") -> ModelBlend:
        """Inverse of :meth:`to_dict`."""
        if description.get("kind") != "vnaqi-blend" or description.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{source}: not a vnaqi blend of format {FORMAT_VERSION} "
                f"(kind {description.get('kind')!r}, format {description.get('format_version')!r})"
            )
        missing = [k for k in ("components", "blocks", "weights") if k not in description]
        if missing:
            raise ValueError(f"{source}: field(s) {', '.join(missing)} missing")
        return cls(
            components=tuple(description["components"]),
            weights=description["weights"],
            offsets=description.get("offsets", {}),
            blocks=tuple(tuple(b) for b in description["blocks"]),
            metadata=description.get("metadata", {}),
        )

    @classmethod
    def load(cls, directory: Path | str, loader: ComponentLoader | None = None) -> ModelBlend:
        """Read a blend written by :meth:`save`.

        ``loader`` loads the components: a callable ``(name, folder) → RowForecaster`` or a mapping
        ``name → (folder → RowForecaster)``. Without it only the weights are read (:meth:`combine`
        works, :meth:`forecast_rows` does not). A component whose folder or loader is missing, or whose
        load fails, is an error naming it.
        """
        directory = Path(directory)
        path = directory / BLEND_FILE
        if not path.exists():
            raise FileNotFoundError(f"{directory} holds no blend ({BLEND_FILE} missing)")
        try:
            description = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc})") from exc
        blend = cls.from_dict(description, str(path))
        if loader is None:
            return blend
        forecasters = {}
        for name in blend.components:
            folder = directory / name
            if not folder.is_dir():
                raise FileNotFoundError(f"blend component {name!r} is missing: no folder {folder}")
            if isinstance(loader, Mapping):
                if name not in loader:
                    raise ValueError(f"no loader for blend component {name!r} (loaders for: {', '.join(loader)})")
                load_one = loader[name]
            else:
                load_one = functools.partial(loader, name)
            try:
                forecasters[name] = load_one(folder)
            except Exception as exc:
                raise RuntimeError(f"blend component {name!r} failed to load from {folder}: {exc}") from exc
        blend.forecasters = forecasters
        return blend


def _renormalised_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ w·v / Σ w over the finite values of each row; equal weights where the finite ones all weigh 0;
    NaN where none is finite. ``values`` and ``weights`` are (row, component)."""
    finite = np.isfinite(values)
    used = np.where(finite, weights, 0.0)
    total = used.sum(axis=1)
    equal = (total <= 0) & finite.any(axis=1)
    used[equal] = finite[equal].astype(float)
    total = used.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (used * np.where(finite, values, 0.0)).sum(axis=1) / total, np.nan)


def _calibrated(quantiles: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Widen (δ > 0) or narrow the 10–90 % interval by δ·(max(q50, 0) + c), clip at 0, sort rows that
    are complete. ``quantiles`` is (row, 3) [µg/m³], ``offsets`` (row,) [1]."""
    out = quantiles.copy()
    scale = np.clip(out[:, 1], 0.0, None) + RATIO_OFFSET
    out[:, 0] -= offsets * scale
    out[:, 2] += offsets * scale
    out = np.clip(out, 0.0, None)
    complete = np.isfinite(out).all(axis=1)
    out[complete] = np.sort(out[complete], axis=1)
    return out


def _json_safe(value):
    """``value`` with non-finite floats (NaN, ±inf) replaced by None, so the JSON is standard."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
