"""Features from the observations known at the issue time: last value, window means, trend, gaps.

Every statistic is a trailing window ending at the issue time ``T``: an hour-ending value stamped
``T`` measures the hour before ``T`` and is known at ``T``; nothing stamped after ``T`` is used.
"""

from __future__ import annotations

import numpy as np

from features.spec import FeatureSpec
from features.windows import last_valid, trailing_count, trailing_mean


def history_columns(pollutant: str, spec: FeatureSpec) -> list[str]:
    """Per-issue history feature names of one pollutant."""
    names = [f"{pollutant}_last", f"{pollutant}_last_age_h"]
    names += [f"{pollutant}_mean_{h}h" for h in spec.history_windows_h]
    names += [f"{pollutant}_n_valid_24h", f"{pollutant}_trend_3h", f"{pollutant}_mean_24h_prev_day"]
    return names


def lead_history_columns(pollutant: str) -> list[str]:
    """Lead-dependent history feature names of one pollutant."""
    return [f"{pollutant}_same_hour_prev_day"]


def history_at_issues(values: np.ndarray, issue_index: np.ndarray, pollutant: str, spec: FeatureSpec) -> dict:
    """Issue-time features of one pollutant.

    Parameters
    ----------
    values : ndarray (station, time)
        Hourly concentrations [µg/m³] on a regular hour-ending axis, NaN where missing.
    issue_index : ndarray (issue,)
        Index of each issue time on that axis (≥ 0).

    Returns
    -------
    dict of name → ndarray (issue, station)
        Concentrations [µg/m³], ages [h], counts [h].
    """
    gather = lambda arr: arr[:, issue_index].T  # noqa: E731 - (station, time) -> (issue, station)
    out: dict[str, np.ndarray] = {}
    last, age = last_valid(values, spec.max_last_value_age_h)
    out[f"{pollutant}_last"] = gather(last)
    out[f"{pollutant}_last_age_h"] = gather(np.where(np.isnan(age), spec.max_last_value_age_h + 1, age))
    for hours in spec.history_windows_h:
        out[f"{pollutant}_mean_{hours}h"] = gather(trailing_mean(values, hours, spec.min_window_fraction))
    out[f"{pollutant}_n_valid_24h"] = gather(trailing_count(values, 24))
    mean3 = trailing_mean(values, 3, spec.min_window_fraction)
    earlier = np.maximum(issue_index - 3, 0)
    out[f"{pollutant}_trend_3h"] = gather(mean3) - mean3[:, earlier].T
    mean24 = trailing_mean(values, 24, spec.min_window_fraction)
    out[f"{pollutant}_mean_24h_prev_day"] = mean24[:, np.maximum(issue_index - 24, 0)].T
    return out


def same_hour_previous_day(values: np.ndarray, issue_index: np.ndarray, leads: np.ndarray) -> np.ndarray:
    """The latest observation at the valid time's hour of day known at issue: valid − 24 h × ceil(lead/24).

    Returns ndarray (issue, station, lead) [µg/m³]; falls back one more day when that hour is missing.
    """
    days_back = np.ceil(leads / 24).astype(int)
    out = np.full((len(issue_index), values.shape[0], len(leads)), np.nan)
    for extra in (0, 1):
        index = issue_index[:, None] + leads[None, :] - 24 * (days_back[None, :] + extra)  # (issue, lead)
        picked = values[:, np.clip(index, 0, values.shape[1] - 1)]  # (station, issue, lead)
        picked = np.where((index >= 0)[None], picked, np.nan).transpose(1, 0, 2)
        out = np.where(np.isnan(out), picked, out)
    return out
