"""Fit a :class:`forecast.blend.ModelBlend` on validation hindcasts; compare the families on a test one.

Why: the operational run should use whichever corrector family — or whichever convex blend of them —
verifies best, per pollutant and lead block. :func:`fit_blend` chooses, per (pollutant, block), the
weights ``w ≥ 0, Σw = 1`` minimising the RMSE of the blended mean on the validation rows where the
observation and every component's forecast exist (for two components the exact closed form clipped
to [0, 1]; for more, SLSQP checked against every single component), then the conformal offsets that
make the blended 10–90 % interval cover 80 % of those observations. Because the optimum is taken over
a set that contains each component alone, the blend is never worse than the best component on the
rows it was fitted on — on new data it can be, which is what :func:`compare_on_test` measures.

Input rows are hindcast rows (:data:`training.hindcast.HINDCAST_COLUMNS`): ``issue_time`` [UTC],
``station_id``, ``pollutant``, ``lead_h`` [h], ``forecast``, ``q10``, ``q50``, ``q90``, ``observed``
[µg/m³], optionally ``persistence`` and ``climatology`` [µg/m³].
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from configs.schema import POLLUTANTS
from forecast.blend import (
    AlignedRows,
    Blocks,
    ModelBlend,
    align_rows,
    block_of,
    check_blocks,
)
from forecast.corrector import LEAD_BLOCKS, RATIO_OFFSET, block_label
from forecast.verification import FORECAST_DAYS, window_mean_scores

logger = logging.getLogger(__name__)

BLEND_METHOD = "blend"
"""Column name of the blend in :func:`compare_on_test`."""
MEAN_OF_DAYS = "mean D1-D3"
"""Label of the row of :func:`compare_on_test` averaging the three days' RMSE."""


# --- weights --------------------------------------------------------------------------------------
def _mse(forecasts: np.ndarray, observed: np.ndarray, weights: np.ndarray) -> float:
    return float(np.mean((forecasts @ weights - observed) ** 2))


def convex_weights(forecasts: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Weights ``w ≥ 0, Σw = 1`` minimising mean((forecasts @ w − observed)²).

    Parameters
    ----------
    forecasts : (n, k) array
        One column per component [µg/m³], all finite.
    observed : (n,) array
        Observations [µg/m³], finite.

    Returns
    -------
    (k,) array
        One component: ``[1]``. Two: the closed form ``w₁ = Σ(y − f₂)(f₁ − f₂) / Σ(f₁ − f₂)²``
        clipped to [0, 1] (0.5 each when they never differ), exact. More: SLSQP on the Gram matrix,
        kept only if no single component (or equal weights) does better.
    """
    forecasts = np.asarray(forecasts, dtype=float)
    observed = np.asarray(observed, dtype=float)
    if forecasts.ndim != 2 or observed.shape != (forecasts.shape[0],) or forecasts.shape[0] == 0:
        raise ValueError(
            f"need (n, k) forecasts and (n,) observations with n > 0, got {forecasts.shape}, {observed.shape}"
        )
    if not (np.isfinite(forecasts).all() and np.isfinite(observed).all()):
        raise ValueError("forecasts and observations must be finite (drop the rows with NaN first)")
    k = forecasts.shape[1]
    if k == 1:
        return np.ones(1)
    if k == 2:
        gap = forecasts[:, 0] - forecasts[:, 1]
        denominator = float(gap @ gap)
        if denominator <= 0.0:
            return np.full(2, 0.5)
        w = float(np.clip(gap @ (observed - forecasts[:, 1]) / denominator, 0.0, 1.0))
        return np.array([w, 1.0 - w])
    gram = forecasts.T @ forecasts / len(observed)
    cross = forecasts.T @ observed / len(observed)
    scale = max(float(np.trace(gram)) / k, 1e-12)
    result = minimize(
        lambda w: (w @ gram @ w - 2 * cross @ w) / scale,
        np.full(k, 1.0 / k),
        jac=lambda w: 2 * (gram @ w - cross) / scale,
        bounds=[(0.0, 1.0)] * k,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)}],
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    solved = np.clip(result.x, 0.0, None)
    solved = solved / solved.sum() if solved.sum() > 0 else np.full(k, 1.0 / k)
    candidates = [solved, np.full(k, 1.0 / k), *np.eye(k)]
    return min(candidates, key=lambda w: _mse(forecasts, observed, w))


# --- intervals ------------------------------------------------------------------------------------
def conformity_scores(q10: np.ndarray, q50: np.ndarray, q90: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Scaled CQR scores ``max(q10 − y, y − q90) / (max(q50, 0) + c)`` [1]: the interval
    ``[q10 − δs, q90 + δs]`` covers ``y`` exactly when the score is ≤ δ."""
    scale = np.clip(q50, 0.0, None) + RATIO_OFFSET
    return np.maximum(q10 - observed, observed - q90) / scale


def conformal_offset(scores: np.ndarray, coverage: float = 0.8) -> float:
    """The offset δ [1] covering ``coverage`` of exchangeable new rows: the ⌈(n + 1)·coverage⌉-th
    smallest score (split conformal prediction)."""
    scores = np.asarray(scores, dtype=float)
    scores = scores[np.isfinite(scores)]
    if scores.size == 0:
        raise ValueError("no finite conformity score to calibrate the interval on")
    level = min(1.0, math.ceil((scores.size + 1) * coverage) / scores.size)
    return float(np.quantile(scores, level, method="higher"))


def _coverage(rows: pd.DataFrame, observed: np.ndarray, mask: np.ndarray) -> float:
    y = observed[mask]
    if y.size == 0:
        return float("nan")
    return float(np.mean((rows["q10"].to_numpy()[mask] <= y) & (y <= rows["q90"].to_numpy()[mask])))


# --- the fit --------------------------------------------------------------------------------------
def _pollutants(keys: pd.DataFrame) -> list[str]:
    present = set(keys["pollutant"].unique())
    return [p for p in POLLUTANTS if p in present] + sorted(present - set(POLLUTANTS))


def _check_frames(frames: Mapping[str, pd.DataFrame]) -> None:
    if not frames:
        raise ValueError("fit_blend needs the validation rows of at least one component, got none")
    empty = [name for name, frame in frames.items() if len(frame) == 0]
    if empty:
        raise ValueError(f"validation rows of component(s) {', '.join(map(repr, empty))} are empty (0 rows)")
    if not any("observed" in frame.columns for frame in frames.values()):
        raise ValueError(
            f"validation rows need an 'observed' column [µg/m³]; none of {', '.join(frames)} has one "
            "(pass hindcast rows, e.g. from training.hindcast.predict_table)"
        )


def _fit_weights(
    forecasts: np.ndarray, observed: np.ndarray, rows: np.ndarray, pooled: np.ndarray, min_rows: int
) -> tuple[np.ndarray, str]:
    """Weights of the available components on ``rows``; the pollutant's ``pooled`` rows when a block
    has fewer than ``min_rows``; equal weights when those are short too."""
    if rows.sum() >= min_rows:
        return convex_weights(forecasts[rows], observed[rows]), "block"
    if pooled.sum() >= min_rows:
        return convex_weights(forecasts[pooled], observed[pooled]), "all leads (block too short)"
    return np.full(forecasts.shape[1], 1.0 / forecasts.shape[1]), "equal (too few rows)"


def fit_blend(
    frames: Mapping[str, pd.DataFrame],
    *,
    blocks: Sequence[Sequence[int]] = LEAD_BLOCKS,
    coverage: float = 0.8,
    min_rows: int = 30,
    metadata: dict | None = None,
) -> tuple[ModelBlend, pd.DataFrame]:
    """Weights and interval offsets per pollutant and lead block from validation hindcast rows.

    Parameters
    ----------
    frames
        component name → its validation hindcast rows (module docstring), with ``observed``.
    blocks
        Lead blocks [h], inclusive (first, last).
    coverage
        Target coverage of the 10–90 % interval (0.8).
    min_rows
        Fewest rows to fit a block's weights or offset on (else the pollutant's rows over all leads,
        then equal weights; offset 0).
    metadata
        Added to the blend's metadata.

    Returns
    -------
    (ModelBlend, pandas.DataFrame)
        The blend (no component loaded), and the report: one row per pollutant and block with
        ``n`` (rows fitted on), ``basis``, ``weight_<name>`` [1], ``rmse_<name>`` and ``rmse_blend``
        [µg/m³] on those rows, ``n_interval``, ``coverage_before``, ``coverage_after`` [1],
        ``interval_offset`` [1] and ``note``.

    Raises
    ------
    ValueError
        No component, a component with no rows, no ``observed`` column, or no row where the
        observation and every component's forecast exist.
    """
    _check_frames(frames)
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must be between 0 and 1, got {coverage}")
    blocks = check_blocks(blocks)
    names = list(frames)
    aligned = align_rows(frames, names)
    observed = aligned.extra["observed"]
    if not np.isfinite(observed).any():
        raise ValueError(f"validation rows have no observation: 'observed' is NaN on all {len(observed)} rows")
    keys = aligned.keys
    block = block_of(keys["lead_h"].to_numpy(), blocks)
    pollutant = keys["pollutant"].to_numpy()
    forecasts = np.column_stack([aligned.column(n, "forecast") for n in names])
    has_obs = np.isfinite(observed)

    weights: dict[str, list[dict[str, float]]] = {}
    fit_rows: dict[tuple[str, int], np.ndarray] = {}
    records: list[dict] = []
    for p in _pollutants(keys):
        mine = pollutant == p
        available = [k for k in range(len(names)) if np.isfinite(forecasts[mine, k]).any()]
        absent = [names[k] for k in range(len(names)) if k not in available]
        note = f"no {p} forecast from {', '.join(absent)}" if absent else ""
        if not available:  # rows exist but nobody forecasts them: keep a valid (equal) blend
            available = list(range(len(names)))
        usable = mine & has_obs & np.isfinite(forecasts[:, available]).all(axis=1)
        weights[p] = []
        for b, (lo, hi) in enumerate(blocks):
            rows = usable & (block == b)
            w, basis = _fit_weights(forecasts[:, available], observed, rows, usable, min_rows)
            full = np.zeros(len(names))
            full[available] = w
            weights[p].append({n: float(full[k]) for k, n in enumerate(names)})
            fit_rows[(p, b)] = rows
            records.append(
                {
                    "pollutant": p,
                    "block": block_label(lo, hi),
                    "n": int(rows.sum()),
                    "basis": basis,
                    **{f"weight_{n}": float(full[k]) for k, n in enumerate(names)},
                    **{f"rmse_{n}": _rmse(forecasts[rows, k], observed[rows]) for k, n in enumerate(names)},
                    "note": note,
                }
            )
    total = sum(int(r.sum()) for r in fit_rows.values())
    if total == 0:
        counts = ", ".join(f"{n} {int(np.isfinite(forecasts[:, k]).sum())}" for k, n in enumerate(names))
        raise ValueError(
            f"no validation row has both an observation and every component's forecast "
            f"(rows with an observation {int(has_obs.sum())}; with a forecast: {counts})"
        )

    uncalibrated = ModelBlend(components=tuple(names), weights=weights, blocks=blocks)
    before = uncalibrated.combine_aligned(aligned)
    offsets, interval = _fit_offsets(before, observed, keys, block, blocks, coverage, min_rows)
    meta = {  # the fit's own record last: a caller's key of the same name cannot erase it
        **(metadata or {}),
        "fitted_on": {
            "issue_first": keys["issue_time"].min().isoformat(),
            "issue_last": keys["issue_time"].max().isoformat(),
            "rows": total,
            "coverage_target": coverage,
            "min_rows": min_rows,
        },
    }
    blend = ModelBlend(components=tuple(names), weights=weights, offsets=offsets, blocks=blocks, metadata=meta)
    after = blend.combine_aligned(aligned)
    for record, ((p, b), rows) in zip(records, fit_rows.items(), strict=True):
        calibrated_rows = interval[(p, b)]
        record.update(
            rmse_blend=_rmse(after["forecast"].to_numpy()[rows], observed[rows]),
            n_interval=int(calibrated_rows.sum()),
            coverage_before=_coverage(before, observed, calibrated_rows),
            coverage_after=_coverage(after, observed, calibrated_rows),
            interval_offset=offsets[p][b],
        )
    report = pd.DataFrame(records)
    order = ["pollutant", "block", "n", "basis", *(f"weight_{n}" for n in names), *(f"rmse_{n}" for n in names)]
    report = report[
        [*order, "rmse_blend", "n_interval", "coverage_before", "coverage_after", "interval_offset", "note"]
    ]
    for r in records:
        logger.info(
            "blend %s %s: weights %s on %d rows (%s); RMSE %s → blend %.2f µg/m³; coverage %.2f → %.2f",
            r["pollutant"], r["block"], {n: round(r[f"weight_{n}"], 3) for n in names}, r["n"], r["basis"],
            {n: round(r[f"rmse_{n}"], 2) for n in names}, r["rmse_blend"], r["coverage_before"], r["coverage_after"],
        )  # fmt: skip
    return blend, report


def calibrate_offsets(
    blend: ModelBlend,
    frames: Mapping[str, pd.DataFrame],
    *,
    coverage: float = 0.8,
    min_rows: int = 30,
) -> tuple[ModelBlend, pd.DataFrame]:
    """The blend with its interval offsets refitted on ``frames`` (component → hindcast rows with ``observed``),
    its weights unchanged: the 10–90 % interval calibrated on more seasons than the weights were fitted on.

    Returns the new blend (components kept) and one row per pollutant and block: ``n_interval``,
    ``coverage_before``, ``coverage_after`` [1] and ``interval_offset`` [1].
    """
    _check_frames(frames)
    aligned = align_rows(frames, list(blend.components))
    observed = aligned.extra["observed"]
    keys = aligned.keys
    block = block_of(keys["lead_h"].to_numpy(), blend.blocks)
    uncalibrated = ModelBlend(blend.components, blend.weights, blocks=blend.blocks)
    before = uncalibrated.combine_aligned(aligned)
    offsets, interval = _fit_offsets(before, observed, keys, block, blend.blocks, coverage, min_rows)
    calibrated = ModelBlend(
        blend.components, blend.weights, offsets=offsets, blocks=blend.blocks, metadata=dict(blend.metadata),
        forecasters=dict(blend.forecasters),
    )  # fmt: skip
    after = calibrated.combine_aligned(aligned)
    records = []
    for (p, b), rows in interval.items():
        lo, hi = blend.blocks[b]
        records.append(
            {
                "pollutant": p, "block": block_label(lo, hi), "n_interval": int(rows.sum()),
                "coverage_before": _coverage(before, observed, rows),
                "coverage_after": _coverage(after, observed, rows), "interval_offset": offsets[p][b],
            }
        )  # fmt: skip
    return calibrated, pd.DataFrame(records)


def _rmse(forecast: np.ndarray, observed: np.ndarray) -> float:
    return float(np.sqrt(np.mean((forecast - observed) ** 2))) if forecast.size else float("nan")


def _fit_offsets(
    rows: pd.DataFrame,
    observed: np.ndarray,
    keys: pd.DataFrame,
    block: np.ndarray,
    blocks: Blocks,
    coverage: float,
    min_rows: int,
) -> tuple[dict[str, list[float]], dict[tuple[str, int], np.ndarray]]:
    """Per pollutant and block, the conformal offset of the blended interval (0 with < ``min_rows``
    rows) and the rows it was calibrated on (observation and the three quantiles known)."""
    q = {c: rows[c].to_numpy() for c in ("q10", "q50", "q90")}
    scores = conformity_scores(q["q10"], q["q50"], q["q90"], observed)
    known = np.isfinite(scores)
    pollutant = keys["pollutant"].to_numpy()
    offsets: dict[str, list[float]] = {}
    used: dict[tuple[str, int], np.ndarray] = {}
    for p in _pollutants(keys):
        offsets[p] = []
        for b in range(len(blocks)):
            mask = known & (pollutant == p) & (block == b)
            used[(p, b)] = mask
            offsets[p].append(conformal_offset(scores[mask], coverage) if mask.sum() >= min_rows else 0.0)
    return offsets, used


def blend_metrics(report: pd.DataFrame) -> dict[str, float]:
    """The report as flat MLflow metrics (finite values only): ``blend_weight_<name>_<p>_lead1_24`` [1],
    ``valid_rmse_<name or blend>_<p>_lead1_24`` [µg/m³], ``blend_coverage_10_90_<p>_lead1_24`` and
    ``blend_interval_offset_<p>_lead1_24`` [1]."""
    out: dict[str, float] = {}
    for row in report.to_dict("records"):
        suffix = f"{row['pollutant']}_lead{row['block'].replace(' h', '').replace('-', '_')}"
        values = {f"blend_{c}": v for c, v in row.items() if c.startswith("weight_")}
        values.update({f"valid_{c}": v for c, v in row.items() if c.startswith("rmse_")})
        values["blend_coverage_10_90"] = row["coverage_after"]
        values["blend_interval_offset"] = row["interval_offset"]
        for name, value in values.items():
            if isinstance(value, int | float) and math.isfinite(value):
                out[f"{name}_{suffix}"] = float(value)
    return out


# --- the side-by-side comparison on a test hindcast ---------------------------------------------------
def comparison_table(
    aligned: AlignedRows, blend: ModelBlend, references: Sequence[str] = ("persistence",)
) -> tuple[pd.DataFrame, list[str]]:
    """A hindcast table with one forecast column per component present, ``blend``, and the references
    present (:mod:`forecast.verification` format), and the list of those method columns."""
    if "observed" not in aligned.extra:
        raise ValueError("test rows need an 'observed' column [µg/m³] to be scored")
    table = aligned.keys.copy()
    table["observed"] = aligned.extra["observed"]
    methods = []
    for name in blend.components:
        values = aligned.column(name, "forecast")
        if np.isfinite(values).any():
            table[name] = values
            methods.append(name)
    table[BLEND_METHOD] = blend.combine_aligned(aligned)["forecast"].to_numpy()
    methods.append(BLEND_METHOD)
    for reference in references:
        if reference in aligned.extra:
            table[reference] = aligned.extra[reference]
            methods.append(reference)
    return table, methods


def compare_on_test(
    frames: Mapping[str, pd.DataFrame],
    blend: ModelBlend,
    *,
    tz_by_station: Mapping[str, str] | str | None = None,
    references: Sequence[str] = ("persistence",),
) -> pd.DataFrame:
    """RMSE of the 24 h mean by local day D1/D2/D3 of each component, the blend and the references,
    side by side on a TEST hindcast (issues after the blend's validation period).

    Scored with :func:`forecast.verification.window_mean_scores` (``by="day"``, common pairs: the
    same hours for every method, a day counting when 75 % of its hours are observed).

    Returns
    -------
    pandas.DataFrame
        ``pollutant``, ``day`` (``D1`` … ``D3`` and ``mean D1-D3``), ``n`` (days scored), then one
        column per method (e.g. ``lightgbm``, ``lstm``, ``blend``, ``persistence``): RMSE [µg/m³].
    """
    unknown = [n for n in frames if n not in blend.components]
    if unknown:
        raise ValueError(
            f"unknown component(s) {', '.join(map(repr, unknown))}; the blend's are {', '.join(blend.components)}"
        )
    if not frames or all(len(f) == 0 for f in frames.values()):
        raise ValueError("no test rows to compare")
    table, methods = comparison_table(align_rows(frames, blend.components), blend, references)
    scores = window_mean_scores(table, by="day", methods=methods, tz_by_station=tz_by_station, pairing="common")
    scores = scores[scores["group"].isin(FORECAST_DAYS)]
    if scores.empty:
        raise ValueError("no local day of the test rows has enough observed hours (75 %) to be scored")
    wide = scores.pivot_table(index=["pollutant", "group"], columns="method", values="rmse", aggfunc="first")
    wide = wide.reindex(columns=methods)
    wide.insert(0, "n", scores.groupby(["pollutant", "group"])["n"].max())
    wide = wide.reset_index().rename(columns={"group": "day"})
    means = wide.groupby("pollutant", sort=False).agg({"n": "sum", **dict.fromkeys(methods, "mean")}).reset_index()
    complete = wide.groupby("pollutant", sort=False)["day"].nunique() == len(FORECAST_DAYS)
    means = means[means["pollutant"].map(complete)].assign(day=MEAN_OF_DAYS)
    out = pd.concat([wide, means[wide.columns]], ignore_index=True)
    order = {p: k for k, p in enumerate(POLLUTANTS)}
    days = {d: k for k, d in enumerate((*FORECAST_DAYS, MEAN_OF_DAYS))}
    out = out.sort_values(
        ["pollutant", "day"], key=lambda s: s.map(order if s.name == "pollutant" else days), ignore_index=True
    )
    out.columns.name = None
    return out


def best_methods(
    comparison: pd.DataFrame, references: Sequence[str] = ("persistence", "climatology")
) -> dict[str, str]:
    """pollutant → the forecast method (component or ``blend``, never a reference) with the lowest mean
    D1–D3 RMSE in a :func:`compare_on_test` table; pollutants without all three days are left out."""
    means = comparison[comparison["day"] == MEAN_OF_DAYS].set_index("pollutant")
    methods = [c for c in means.columns if c not in ("day", "n", *references)]
    scores = means[methods].astype(float)
    return {p: str(row.idxmin()) for p, row in scores.iterrows() if row.notna().any()}
