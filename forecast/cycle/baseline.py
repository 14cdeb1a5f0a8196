"""Baseline forecast for pollutants the cycle has no model for (fresh install, no champion yet).

The best of persistence, diurnal persistence and climatology per lead day, scored on the recent
cycles of the archive, with the 10/50/90 % range from those hindcast errors — the same job as
``vnaqi forecast``.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from configs.schema import MAX_LEAD_HOURS
from forecast.baseline_skill import (
    add_error_quantiles,
    best_by_lead_day,
    composite_forecast,
    hindcast_scores,
    recent_issue_times,
)
from forecast.baselines import BASELINES, baseline_forecast


def baseline_cube(
    long_obs: xr.Dataset, cycle: pd.Timestamp, pollutants: list[str], tz: str, skill_days: int = 14
) -> tuple[xr.Dataset, dict]:
    """Cube ``(station, lead)`` of ``pollutants`` with quantiles, and the baseline chosen per lead day.

    ``long_obs`` holds the observations before the cycle (years, for the climatology).
    """
    obs = long_obs[pollutants]
    scores = hindcast_scores(obs, recent_issue_times(obs, cycle, skill_days), tz)
    cubes = {name: baseline_forecast(name, obs, cycle, leads=MAX_LEAD_HOURS) for name in BASELINES}
    choice = {p: best_by_lead_day(scores[scores["pollutant"] == p]) if not scores.empty else {} for p in pollutants}
    cube = composite_forecast(cubes, choice)
    for p in pollutants:
        if not scores.empty:
            cube = add_error_quantiles(cube, scores[scores["pollutant"] == p], p, choice[p])
    return cube, choice
