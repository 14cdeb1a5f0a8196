"""Probabilistic scores of the forecast quantiles ``q10``, ``q50``, ``q90``: coverage, width, CRPS, reliability.

Definitions (per pollutant and lead hour or lead window, pooled over stations and issues; y = observation):

* ``coverage_10_90``: fraction of y within [q10, q90] (nominal 0.8); ``below_q10``: fraction y < q10
  (nominal 0.1); ``above_q90``: fraction y > q90 (nominal 0.1); ``mean_width``: mean of q90 − q10
  [µg/m³]; ``n_crossed``: rows with q10 > q50 or q50 > q90 (crossing quantiles, a model fault).
  These use rows where y, q10 and q90 are finite (``n``).
* ``pinball_q<τ>``: mean quantile (pinball) score ``QS_τ(q, y) = (1{y < q} − τ)(q − y)`` [µg/m³].
* ``crps_quantile`` [µg/m³]: an **approximation** of the CRPS from three quantiles only,
  ``2 × mean over τ ∈ {0.1, 0.5, 0.9} of QS_τ``. The CRPS equals ``2 ∫₀¹ QS_τ dτ``; replacing the
  integral by the average of three levels ignores the tails beyond 10 % and 90 % and weights the
  centre heavily, so compare it only between forecasts scored the same way (it is not the exact CRPS
  of any distribution). It uses rows where y and all three quantiles are finite (``n_crps``).
* Reliability: for each nominal level τ, the observed frequency of ``y ≤ q_τ`` (ideal: τ).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from forecast.verification.hindcast import LEAD_H, OBSERVED, POLLUTANT, QUANTILES, Hindcast
from forecast.verification.periods import LEAD_WINDOWS
from forecast.verification.scoring import group_codes

logger = logging.getLogger(__name__)

PROBABILISTIC_COLUMNS: Final[tuple[str, ...]] = (
    "pollutant",
    "group_kind",
    "group",
    "lead_h",
    "n",
    "coverage_10_90",
    "below_q10",
    "above_q90",
    "mean_width",
    "n_crossed",
    "n_crps",
    "crps_quantile",
    "pinball_q10",
    "pinball_q50",
    "pinball_q90",
)
"""Columns of :func:`probabilistic_scores`."""
RELIABILITY_COLUMNS: Final[tuple[str, ...]] = (
    "pollutant",
    "group_kind",
    "group",
    "quantile",
    "nominal",
    "n",
    "observed_frequency",
)
"""Columns of :func:`reliability_table`."""
ALL_LEADS: Final = "all"
"""``group_kind`` of rows pooled over every lead; their ``group`` names the lead range, e.g. ``1-72 h``."""


def pinball_loss(quantile: np.ndarray, observed: np.ndarray, level: float) -> np.ndarray:
    """Quantile (pinball) score ``(1{y < q} − τ)(q − y)`` [units of the data], elementwise.

    >>> pinball_loss(np.array([10.0, 10.0]), np.array([4.0, 14.0]), 0.9).round(6).tolist()
    [0.6, 3.6]
    """
    return (np.less(observed, quantile) - level) * (quantile - observed)


def crps_quantile(q10: np.ndarray, q50: np.ndarray, q90: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """CRPS approximated from the 10, 50 and 90 % quantiles: ``2/3 × Σ_τ QS_τ`` [units of the data].

    An approximation (module docstring): the exact CRPS integrates the quantile score over all levels.
    """
    total = pinball_loss(q10, observed, 0.1) + pinball_loss(q50, observed, 0.5) + pinball_loss(q90, observed, 0.9)
    return 2.0 * total / 3.0


def _empty(columns: Sequence[str], reason: str) -> pd.DataFrame:
    logger.info("probabilistic scores skipped: %s", reason)
    return pd.DataFrame(columns=list(columns))


def _mean_by(codes: np.ndarray, values: np.ndarray, mask: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    n = np.bincount(codes[mask], minlength=n_groups)
    total = np.bincount(codes[mask], weights=values[mask], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return n, np.where(n > 0, total / n, np.nan)


def _group_keys(hindcast: Hindcast, kind: str) -> tuple[pd.DataFrame, str]:
    frame = hindcast.frame
    if kind == "lead":
        return pd.DataFrame({"pollutant": frame[POLLUTANT], "group": frame[LEAD_H]}), kind
    if kind == "window":
        return pd.DataFrame({"pollutant": frame[POLLUTANT], "group": frame["window"]}), kind
    if kind == ALL_LEADS:
        first, last = int(frame[LEAD_H].min()), int(frame[LEAD_H].max())
        return pd.DataFrame({"pollutant": frame[POLLUTANT], "group": f"{first}-{last} h"}), kind
    raise ValueError(f"group kind must be 'lead', 'window' or {ALL_LEADS!r}, got {kind!r}")


def probabilistic_scores(
    table: pd.DataFrame | Hindcast,
    by: Sequence[str] = ("window", "lead"),
    *,
    tz_by_station: Mapping[str, str] | str | None = None,
    windows: Mapping[str, tuple[int, int]] = LEAD_WINDOWS,
) -> pd.DataFrame:
    """Coverage, interval width, pinball scores and approximate CRPS of the forecast quantiles.

    Parameters
    ----------
    table
        Hindcast table with ``q10`` and ``q90`` (``q50`` for the CRPS), or a prepared
        :class:`~forecast.verification.hindcast.Hindcast`.
    by
        Any of ``"window"``, ``"lead"`` and ``"all"`` (every lead pooled).
    tz_by_station, windows
        As for :func:`~forecast.verification.continuous.continuous_scores`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROBABILISTIC_COLUMNS` (fractions in [0, 1]; widths, pinball and CRPS [µg/m³];
        ``lead_h`` only on lead rows). Empty (with these columns) without ``q10``/``q90``.
    """
    hindcast = _prepared(table, tz_by_station, windows)
    frame = hindcast.frame
    if not {"q10", "q90"} <= set(frame.columns):
        return _empty(PROBABILISTIC_COLUMNS, "the table has no q10/q90 columns")
    y = frame[OBSERVED].to_numpy()
    q10, q90 = frame["q10"].to_numpy(), frame["q90"].to_numpy()
    q50 = frame["q50"].to_numpy() if "q50" in frame.columns else np.full(len(frame), np.nan)
    interval = np.isfinite(y) & np.isfinite(q10) & np.isfinite(q90)
    full = interval & np.isfinite(q50)
    crossed = ((q10 > q50) | (q50 > q90) | (q10 > q90)).astype(float)
    values = {
        "coverage_10_90": ((y >= q10) & (y <= q90)).astype(float),
        "below_q10": (y < q10).astype(float),
        "above_q90": (y > q90).astype(float),
        "mean_width": q90 - q10,
    }
    parts = []
    for kind in [by] if isinstance(by, str) else by:
        keys, kind = _group_keys(hindcast, kind)
        codes, labels = group_codes(keys, ["pollutant", "group"])
        n_groups = len(labels)
        n, _ = _mean_by(codes, y, interval & (codes >= 0), n_groups)
        part = labels.assign(group_kind=kind, n=n)
        for name, value in values.items():
            part[name] = _mean_by(codes, value, interval & (codes >= 0), n_groups)[1]
        part["n_crossed"] = np.bincount(
            codes[interval & (codes >= 0)], weights=crossed[interval & (codes >= 0)], minlength=n_groups
        ).astype(np.int64)
        ok = full & (codes >= 0)
        part["n_crps"], part["crps_quantile"] = _mean_by(codes, crps_quantile(q10, q50, q90, y), ok, n_groups)
        for name, q, level in (("pinball_q10", q10, 0.1), ("pinball_q50", q50, 0.5), ("pinball_q90", q90, 0.9)):
            part[name] = _mean_by(codes, pinball_loss(q, y, level), ok, n_groups)[1]
        part["lead_h"] = part["group"].astype(np.int64) if kind == "lead" else pd.NA
        part["group"] = part["group"].astype(str)
        parts.append(part[part["n"] > 0])
    result = pd.concat(parts, ignore_index=True)
    result["pollutant"] = result["pollutant"].astype(str)
    result["lead_h"] = result["lead_h"].astype("Int64")
    return result[list(PROBABILISTIC_COLUMNS)]


def reliability_table(
    table: pd.DataFrame | Hindcast,
    by: Sequence[str] = (ALL_LEADS, "window"),
    *,
    tz_by_station: Mapping[str, str] | str | None = None,
    windows: Mapping[str, tuple[int, int]] = LEAD_WINDOWS,
) -> pd.DataFrame:
    """Observed frequency of ``observed ≤ q_τ`` for each nominal level τ present (0.1, 0.5, 0.9).

    Parameters
    ----------
    table
        Hindcast table with quantile columns, or a prepared Hindcast.
    by
        Any of ``"all"`` (every lead pooled), ``"window"`` and ``"lead"``.
    tz_by_station, windows
        As for :func:`probabilistic_scores`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RELIABILITY_COLUMNS`: ``quantile`` (``q10`` …), ``nominal`` (τ), ``n`` and
        ``observed_frequency`` in [0, 1] (ideal = ``nominal``). Empty without quantile columns.
    """
    hindcast = _prepared(table, tz_by_station, windows)
    frame = hindcast.frame
    levels = [q for q in QUANTILES if q in frame.columns]
    if not levels:
        return _empty(RELIABILITY_COLUMNS, "the table has no quantile columns")
    y = frame[OBSERVED].to_numpy()
    parts = []
    for kind in [by] if isinstance(by, str) else by:
        keys, kind = _group_keys(hindcast, kind)
        codes, labels = group_codes(keys, ["pollutant", "group"])
        per_level = []
        for name in levels:
            q = frame[name].to_numpy()
            ok = np.isfinite(y) & np.isfinite(q) & (codes >= 0)
            n, frequency = _mean_by(codes, (y <= q).astype(float), ok, len(labels))
            per_level.append(
                labels.assign(
                    group_kind=kind,
                    quantile=name,
                    nominal=QUANTILES[name],
                    n=n,
                    observed_frequency=frequency,
                    _row=np.arange(len(labels)),
                )
            )
        part = pd.concat(per_level, ignore_index=True).sort_values("_row", kind="stable")
        parts.append(part[part["n"] > 0])
    result = pd.concat(parts, ignore_index=True)
    result["group"] = result["group"].astype(str)
    result["pollutant"] = result["pollutant"].astype(str)
    return result[list(RELIABILITY_COLUMNS)]


def _prepared(
    table: pd.DataFrame | Hindcast,
    tz_by_station: Mapping[str, str] | str | None,
    windows: Mapping[str, tuple[int, int]],
) -> Hindcast:
    """Prepare a table for quantile scores: the ``forecast`` column is not required."""
    if isinstance(table, Hindcast):
        return table
    methods = [name for name in ("forecast",) if name in table.columns] or [q for q in QUANTILES if q in table.columns]
    if not methods:
        raise ValueError("hindcast table has neither a 'forecast' nor quantile columns (q10, q50, q90)")
    return Hindcast.from_table(table, methods, tz_by_station, windows)
