"""Core of every continuous score: grouped RMSE, MAE, bias, correlation and skill, vectorised.

All scores are computed with :func:`numpy.bincount` on integer group codes, so a table of millions of
pairs is scored in one pass per method with no Python loop over groups.

Definitions, over the ``n`` pairs (f, o) of a group where both are finite (units of the data,
µg/m³ for concentrations):

* ``bias = mean(f − o)``, ``mae = mean(|f − o|)``, ``rmse = sqrt(mean((f − o)²))``;
* ``corr``: Pearson correlation of f and o (NaN with fewer than 2 pairs or a constant series);
* ``skill_vs_<ref> = 1 − MSE_method / MSE_ref`` and ``rmse_ratio_vs_<ref> = RMSE_method / RMSE_ref``,
  both on the pairs where the method, the reference and the observation are all finite (NaN when
  ``MSE_ref = 0``). 1 is a perfect forecast, 0 no better than the reference, < 0 worse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

SCORE_COLUMNS: Final[tuple[str, ...]] = ("n", "mean_forecast", "mean_observed", "bias", "mae", "rmse", "corr")
"""Score columns of every continuous table, before the skill columns."""

Pairs = Mapping[str, tuple[np.ndarray, np.ndarray]]
"""``method -> (forecast, observed)`` float arrays aligned with a key table."""


def skill_columns(references: Sequence[str]) -> list[str]:
    """``skill_vs_<ref>`` then ``rmse_ratio_vs_<ref>`` for every reference."""
    return [f"skill_vs_{r}" for r in references] + [f"rmse_ratio_vs_{r}" for r in references]


def group_codes(keys: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code of every row (−1 where a key is NaN) and the sorted group labels.

    Parameters
    ----------
    keys
        Table holding the ``by`` columns.
    by
        Columns to group by (categoricals group in category order, unobserved categories dropped).

    Returns
    -------
    tuple
        ``codes`` (int64, one per row) and ``labels`` (one row per group, columns ``by``).
    """
    grouped = keys.groupby(list(by), observed=True, sort=True, dropna=True)
    codes = grouped.ngroup().to_numpy(dtype=float, na_value=np.nan)
    codes = np.where(np.isnan(codes), -1, codes).astype(np.int64)
    labels = grouped.size().index.to_frame(index=False)
    return codes, labels


def _sum(codes: np.ndarray, weights: np.ndarray | None, n_groups: int) -> np.ndarray:
    return np.bincount(codes, weights=weights, minlength=n_groups).astype(np.float64)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(numerator.shape, np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def moments(codes: np.ndarray, f: np.ndarray, o: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """:data:`SCORE_COLUMNS` per group of pairs that are all finite (two-pass, stable correlation).

    Parameters
    ----------
    codes
        Group code (0 … n_groups−1) of every pair.
    f, o
        Forecast and observed values [µg/m³], finite.
    n_groups
        Number of groups.
    """
    n = _sum(codes, None, n_groups)
    error = f - o
    mean_f = _ratio(_sum(codes, f, n_groups), n)
    mean_o = _ratio(_sum(codes, o, n_groups), n)
    dev_f = f - mean_f[codes]
    dev_o = o - mean_o[codes]
    var_f = _sum(codes, dev_f * dev_f, n_groups)
    var_o = _sum(codes, dev_o * dev_o, n_groups)
    cov = _sum(codes, dev_f * dev_o, n_groups)
    # a constant series has (numerically almost) zero spread: no correlation
    tiny_f = np.sqrt(_ratio(var_f, n)) <= 1e-12 * np.maximum(1.0, np.abs(mean_f))
    tiny_o = np.sqrt(_ratio(var_o, n)) <= 1e-12 * np.maximum(1.0, np.abs(mean_o))
    corr = _ratio(cov, np.sqrt(var_f * var_o))
    corr[(n < 2) | tiny_f | tiny_o] = np.nan
    return {
        "n": n.astype(np.int64),
        "mean_forecast": mean_f,
        "mean_observed": mean_o,
        "bias": _ratio(_sum(codes, error, n_groups), n),
        "mae": _ratio(_sum(codes, np.abs(error), n_groups), n),
        "rmse": np.sqrt(_ratio(_sum(codes, error * error, n_groups), n)),
        "corr": np.clip(corr, -1.0, 1.0),
    }


def score_pairs(
    keys: pd.DataFrame,
    by: Sequence[str],
    pairs: Pairs,
    references: Sequence[str] = (),
) -> pd.DataFrame:
    """Continuous scores of every method per group.

    Parameters
    ----------
    keys
        One row per pair, holding the ``by`` columns.
    by
        Group columns, e.g. ``["pollutant", "group"]``.
    pairs
        ``method -> (forecast, observed)`` arrays aligned with ``keys`` [µg/m³]; NaN drops a pair.
        A method may have its own observed array (window means over its own hours).
    references
        Methods of ``pairs`` to compute ``skill_vs_<ref>`` and ``rmse_ratio_vs_<ref>`` against.

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, ``method``, :data:`SCORE_COLUMNS`, :func:`skill_columns`; one row per group
        and method with ``n ≥ 1``, sorted by ``by`` then method (in ``pairs`` order).
    """
    codes, labels = group_codes(keys, by)
    n_groups = len(labels)
    finite = {m: (codes >= 0) & np.isfinite(f) & np.isfinite(o) for m, (f, o) in pairs.items()}
    frames = []
    for method, (f, o) in pairs.items():
        ok = finite[method]
        stats = moments(codes[ok], f[ok], o[ok], n_groups)
        for ref in references:
            both = ok & finite[ref]
            n_both = _sum(codes[both], None, n_groups)
            mse = _ratio(_sum(codes[both], (f[both] - o[both]) ** 2, n_groups), n_both)
            f_ref, o_ref = pairs[ref]
            mse_ref = _ratio(_sum(codes[both], (f_ref[both] - o_ref[both]) ** 2, n_groups), n_both)
            stats[f"skill_vs_{ref}"] = 1.0 - _ratio(mse, mse_ref)
            stats[f"rmse_ratio_vs_{ref}"] = np.sqrt(_ratio(mse, mse_ref))
        frame = labels.assign(method=method, **stats)
        frames.append(frame[frame["n"] > 0])
    columns = [*by, "method", *SCORE_COLUMNS, *skill_columns(references)]
    if not frames:
        return pd.DataFrame(columns=columns)
    result = pd.concat(frames, ignore_index=True)
    result["method"] = pd.Categorical(result["method"], categories=list(pairs), ordered=True)
    result = result.sort_values([*by, "method"], kind="stable", ignore_index=True)
    result["method"] = result["method"].astype(str)
    return result[columns]


def common_mask(frame: pd.DataFrame, methods: Sequence[str], observed: str, group: str) -> np.ndarray:
    """Rows where the observation and every method forecasting the row's ``group`` are finite.

    A method with no finite value at all for a group (e.g. a CTM without CO) does not shrink the
    common pairs of that group; it simply has no score there.
    """
    values = frame[list(methods)].notna()
    available = values.groupby(frame[group], observed=True).transform("any").to_numpy()
    ok = frame[observed].notna().to_numpy()
    return ok & np.all(values.to_numpy() | ~available, axis=1)
