"""How well each baseline did over recent cycles: a quick hindcast of RMSE by lead day.

This is the yardstick every later model must beat. The full verification suite (skill scores,
categorical scores, CRPS) belongs to ``training``; this module only scores baselines on recent
issue times of the archive so that a run can pick the best one and say how good it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import LEAD, MAX_LEAD_HOURS, STATION, TIME, VALID_TIME
from forecast.baselines import BASELINES, fit_climatology

LEAD_DAYS = {"D1 (1-24 h)": (1, 24), "D2 (25-48 h)": (25, 48), "D3 (49-72 h)": (49, 72)}


def recent_issue_times(obs: xr.Dataset, issue_time: pd.Timestamp, n_days: int, hours=(0, 12)) -> list[pd.Timestamp]:
    """00 and 12 UTC issue times of the ``n_days`` before ``issue_time`` whose 72 h lie before it."""
    last = pd.Timestamp(issue_time).tz_convert("UTC") - pd.Timedelta(hours=MAX_LEAD_HOURS)
    start = last - pd.Timedelta(days=n_days)
    first_obs = pd.Timestamp(obs[TIME].values[0]).tz_localize("UTC")
    times = pd.date_range(start.ceil("D"), last, freq="h")
    return [t for t in times if t.hour in hours and t - pd.Timedelta(days=7) >= first_obs]


def hindcast_rmse(
    obs: xr.Dataset, issue_times: list[pd.Timestamp], pollutant: str = "pm25", tz: str = "Asia/Ho_Chi_Minh"
) -> pd.DataFrame:
    """RMSE [µg/m³] of every baseline by lead day over ``issue_times``, pooled over stations.

    Climatology is fitted once on the observations before the first issue time, so no hindcast sees
    its own verifying hours. Returns columns ``method``, ``lead_day``, ``rmse``, ``n`` (pairs).
    """
    if not issue_times:
        return pd.DataFrame(columns=["method", "lead_day", "rmse", "n"])
    obs = obs[[pollutant]]
    first = np.datetime64(pd.Timestamp(issue_times[0]).tz_convert("UTC").tz_localize(None))
    table = fit_climatology(obs.sel({TIME: slice(None, first)}), tz)
    rows = []
    for method, func in BASELINES.items():
        errors = {day: [] for day in LEAD_DAYS}
        for issue in issue_times:
            kwargs = {"climatology_table": table} if method == "climatology" else {}
            cube = func(obs, issue, **kwargs)
            truth = obs[pollutant].reindex({TIME: cube[VALID_TIME].values}).rename({TIME: LEAD})
            truth = truth.assign_coords({LEAD: cube[LEAD].values}).transpose(STATION, LEAD)
            diff = (cube[pollutant] - truth).values
            for day, (lo, hi) in LEAD_DAYS.items():
                block = diff[:, lo - 1 : hi]
                errors[day].append(block[~np.isnan(block)])
        for day, parts in errors.items():
            values = np.concatenate(parts) if parts else np.array([])
            rmse = float(np.sqrt(np.mean(values**2))) if values.size else float("nan")
            rows.append({"method": method, "lead_day": day, "rmse": rmse, "n": int(values.size)})
    return pd.DataFrame(rows)


def best_method(scores: pd.DataFrame) -> str | None:
    """The baseline with the lowest mean RMSE over the three lead days, or ``None`` without scores."""
    if scores.empty or scores["rmse"].isna().all():
        return None
    return str(scores.groupby("method")["rmse"].mean().idxmin())
