"""Categorical scores of daily VN_AQI forecasts: category accuracy, POD/FAR/CSI, contingency tables.

Input: the pairs of :func:`forecast.verification.daily.daily_aqi_pairs`. A pair counts when both the
forecast and the observed day have a category (1 … 6). Categories (Decision 1459, Table 1):
1 Tốt 0–50, 2 Trung bình 51–100, 3 Kém 101–150, 4 Xấu 151–200, 5 Rất xấu 201–300, 6 Nguy hại 301+.

For a threshold T on the rounded AQI ("event" = AQI ≥ T; 101 = Kém or worse, 151 = Xấu or worse):

* hits: forecast ≥ T and observed ≥ T; misses: forecast < T, observed ≥ T; false alarms: forecast
  ≥ T, observed < T; correct negatives: both < T;
* ``POD = hits / (hits + misses)``, ``FAR = false alarms / (hits + false alarms)``,
  ``CSI = hits / (hits + misses + false alarms)``; NaN when the denominator is 0.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from configs.schema import POLLUTANTS
from forecast.aqi import CATEGORIES
from forecast.verification.daily import ALL
from forecast.verification.hindcast import ISSUE_TIME, STATION_ID, check_pairing

logger = logging.getLogger(__name__)

THRESHOLDS: Final[tuple[int, ...]] = (101, 151)
"""Default event thresholds on the rounded AQI: Kém or worse, Xấu or worse."""
_GROUP: Final = ["pollutant", "day", "method", "pollutants"]


def categorical_columns(thresholds: Sequence[int] = THRESHOLDS) -> list[str]:
    """Column order of :func:`categorical_scores`."""
    columns = [
        "pollutant",
        "day",
        "method",
        "pollutants",
        "pairing",
        "n",
        "accuracy",
        "accuracy_within_1",
        "aqi_bias",
        "aqi_mae",
    ]
    for t in thresholds:
        columns += [
            f"{name}_ge{t}"
            for name in (
                "n_observed",
                "n_forecast",
                "hits",
                "misses",
                "false_alarms",
                "correct_negatives",
                "pod",
                "far",
                "csi",
            )
        ]
    return columns


def _scored(pairs: pd.DataFrame, pairing: str) -> pd.DataFrame:
    """Pairs with both categories, restricted to the days every method has when ``pairing="common"``."""
    both = (pairs["category_forecast"] > 0) & (pairs["category_observed"] > 0)
    if pairing == "own":
        return pairs[both]
    # common: days (issue, station, day, pollutant) where every method of that pollutant has a pair
    keys = [ISSUE_TIME, STATION_ID, "day", "pollutant"]
    n_methods = pairs.groupby("pollutant")["method"].transform("nunique")
    n_scored = both.groupby([pairs[k] for k in keys]).transform("sum")
    return pairs[both & (n_scored == n_methods)]


def _safe_ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)


def categorical_scores(
    pairs: pd.DataFrame, *, pairing: str = "common", thresholds: Sequence[int] = THRESHOLDS
) -> pd.DataFrame:
    """Category accuracy and threshold scores per pollutant, local day and method.

    Parameters
    ----------
    pairs
        :func:`~forecast.verification.daily.daily_aqi_pairs` output.
    pairing
        ``"common"`` (default: every method on the days all methods of the pollutant have), ``"own"`` or
        ``"both"``.
    thresholds
        Event thresholds on the rounded AQI (default 101 Kém, 151 Xấu).

    Returns
    -------
    pandas.DataFrame
        Columns :func:`categorical_columns`: ``n`` (days scored), ``accuracy`` (exact category),
        ``accuracy_within_1`` (within ±1 category) [fraction], ``aqi_bias = mean(forecast − observed)``
        and ``aqi_mae`` [AQI], then per threshold T: ``n_observed_geT``, ``n_forecast_geT`` (events),
        ``hits_geT``, ``misses_geT``, ``false_alarms_geT``, ``correct_negatives_geT``, ``pod_geT``,
        ``far_geT``, ``csi_geT``.
    """
    columns = categorical_columns(thresholds)
    parts = []
    for mode in check_pairing(pairing):
        scored = _scored(pairs, mode)
        if scored.empty:
            continue
        cat_f = scored["category_forecast"].astype(np.int64)
        cat_o = scored["category_observed"].astype(np.int64)
        error = scored["aqi_forecast"] - scored["aqi_observed"]
        flags = {
            "n": np.ones(len(scored), dtype=np.int64),
            "exact": cat_f == cat_o,
            "near": (cat_f - cat_o).abs() <= 1,
            "error": error,
            "abs_error": error.abs(),
        }
        for t in thresholds:
            fc, ob = scored["aqi_forecast"] >= t, scored["aqi_observed"] >= t
            flags.update(
                {
                    f"n_observed_ge{t}": ob,
                    f"n_forecast_ge{t}": fc,
                    f"hits_ge{t}": fc & ob,
                    f"misses_ge{t}": ~fc & ob,
                    f"false_alarms_ge{t}": fc & ~ob,
                    f"correct_negatives_ge{t}": ~fc & ~ob,
                }
            )
        sums = pd.DataFrame(flags, index=scored.index).groupby([scored[g] for g in _GROUP], sort=False).sum()
        out = sums.drop(columns=["exact", "near", "error", "abs_error"]).astype(np.int64)
        out["accuracy"] = sums["exact"] / sums["n"]
        out["accuracy_within_1"] = sums["near"] / sums["n"]
        out["aqi_bias"] = sums["error"] / sums["n"]
        out["aqi_mae"] = sums["abs_error"] / sums["n"]
        for t in thresholds:
            hits, misses, false = out[f"hits_ge{t}"], out[f"misses_ge{t}"], out[f"false_alarms_ge{t}"]
            out[f"pod_ge{t}"] = _safe_ratio(hits, hits + misses)
            out[f"far_ge{t}"] = _safe_ratio(false, hits + false)
            out[f"csi_ge{t}"] = _safe_ratio(hits, hits + misses + false)
        parts.append(out.reset_index().assign(pairing=mode))
    if not parts:
        logger.warning("no daily VN_AQI pair has both a forecast and an observed category")
        return pd.DataFrame(columns=columns)
    result = pd.concat(parts, ignore_index=True)
    pollutant_rank = {name: rank for rank, name in enumerate((*POLLUTANTS, ALL))}
    method_rank = {name: rank for rank, name in enumerate(pd.unique(pairs["method"]))}
    result = result.assign(_p=result["pollutant"].map(pollutant_rank), _m=result["method"].map(method_rank))
    result = result.sort_values(["pairing", "_p", "day", "_m"], kind="stable", ignore_index=True)
    return result[columns]


def contingency_table(
    pairs: pd.DataFrame,
    pollutant: str = "all",
    day: str | None = None,
    method: str = "forecast",
    *,
    labels: bool = False,
) -> pd.DataFrame:
    """6 × 6 contingency table of observed (rows) against forecast (columns) categories.

    Parameters
    ----------
    pairs
        :func:`~forecast.verification.daily.daily_aqi_pairs` output.
    pollutant
        A pollutant key or ``"all"`` (overall VN_AQI).
    day
        ``"D1"``, ``"D2"``, ``"D3"`` or ``None`` for all days pooled.
    method
        Forecast method.
    labels
        Label rows and columns with Vietnamese category names instead of 1 … 6.

    Returns
    -------
    pandas.DataFrame
        Counts (int); index ``observed``, columns ``forecast``; every category present, zero-filled.
    """
    chosen = (pairs["pollutant"] == pollutant) & (pairs["method"] == method)
    if day is not None:
        chosen &= pairs["day"] == day
    chosen &= (pairs["category_forecast"] > 0) & (pairs["category_observed"] > 0)
    subset = pairs[chosen]
    index = [c.index for c in CATEGORIES]
    table = pd.crosstab(subset["category_observed"].astype(int), subset["category_forecast"].astype(int))
    table = table.reindex(index=index, columns=index, fill_value=0).astype(np.int64)
    if labels:
        names = {c.index: c.name_vi for c in CATEGORIES}
        table = table.rename(index=names, columns=names)
    table.index.name, table.columns.name = "observed", "forecast"
    return table
