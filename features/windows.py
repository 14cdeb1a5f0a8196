"""Trailing-window statistics on (station, time) arrays, computed once for every hour.

Every statistic at index ``t`` uses only values at indices ``t − k + 1 … t`` (the window *ends* at
``t``), so gathering it at an issue time can never see a later observation.
"""

from __future__ import annotations

import warnings

import numpy as np


def _cumulative(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    valid = np.isfinite(values)
    zero_padded = np.where(valid, values, 0.0)
    pad = np.zeros((values.shape[0], 1))
    return (
        np.concatenate([pad, np.cumsum(zero_padded, axis=1)], axis=1),
        np.concatenate([pad, np.cumsum(valid, axis=1)], axis=1),
    )


def trailing_mean(values: np.ndarray, hours: int, min_fraction: float = 0.5) -> np.ndarray:
    """Mean of the ``hours`` values ending at each index [same units]; NaN when fewer than
    ``ceil(hours × min_fraction)`` (at least 1) are finite. ``values`` is (station, time)."""
    total, count = _cumulative(values)
    n = values.shape[1]
    end = np.arange(1, n + 1)
    start = np.maximum(end - hours, 0)
    sums = total[:, end] - total[:, start]
    counts = count[:, end] - count[:, start]
    need = max(1, int(np.ceil(hours * min_fraction)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= need, sums / np.maximum(counts, 1), np.nan)


def trailing_sum(values: np.ndarray, hours: int, min_fraction: float = 0.5) -> np.ndarray:
    """Sum of the ``hours`` values ending at each index, scaled up for missing hours (so a
    partly observed window estimates the full-window total); NaN below ``min_fraction``."""
    return trailing_mean(values, hours, min_fraction) * hours


def trailing_count(values: np.ndarray, hours: int) -> np.ndarray:
    """Number of finite values among the ``hours`` ending at each index."""
    _, count = _cumulative(values)
    end = np.arange(1, values.shape[1] + 1)
    return count[:, end] - count[:, np.maximum(end - hours, 0)]


def trailing_range(values: np.ndarray, hours: int, min_fraction: float = 0.5) -> np.ndarray:
    """Max − min of the ``hours`` values ending at each index (NaN-aware, NaN below ``min_fraction``)."""
    n = values.shape[1]
    padded = np.concatenate([np.full((values.shape[0], hours - 1), np.nan), values], axis=1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, hours, axis=1)[:, :n]
    counts = np.isfinite(windows).sum(axis=2)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanmax(windows, axis=2) - np.nanmin(windows, axis=2)
    return np.where(counts >= max(1, int(np.ceil(hours * min_fraction))), spread, np.nan)


def last_valid(values: np.ndarray, max_age: int) -> tuple[np.ndarray, np.ndarray]:
    """Last finite value at or before each index and its age [steps]; NaN (value and age) when
    none lies within ``max_age`` steps."""
    n = values.shape[1]
    valid = np.isfinite(values)
    position = np.where(valid, np.arange(n)[None, :], -1)
    position = np.maximum.accumulate(position, axis=1)
    age = (np.arange(n)[None, :] - position).astype(float)
    ok = (position >= 0) & (age <= max_age)
    value = np.take_along_axis(values, np.maximum(position, 0), axis=1)
    return np.where(ok, value, np.nan), np.where(ok, age, np.nan)
