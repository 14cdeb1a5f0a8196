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
ERROR_QUANTILES = ("err_q10", "err_q50", "err_q90")


def recent_issue_times(
    obs: xr.Dataset, issue_time: pd.Timestamp, n_days: int, hours=(0, 12)
) -> list[pd.Timestamp]:
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
    its own verifying hours. Returns columns ``method``, ``lead_day``, ``rmse``, ``n`` (pairs) and
    ``err_q10`` / ``err_q50`` / ``err_q90``: quantiles of the error *observed − forecast* [µg/m³],
    which :func:`add_error_quantiles` turns into a forecast range.
    """
    columns = ["method", "lead_day", "rmse", "n", *ERROR_QUANTILES]
    if not issue_times:
        return pd.DataFrame(columns=columns)
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
            diff = (truth - cube[pollutant]).values
            for day, (lo, hi) in LEAD_DAYS.items():
                block = diff[:, lo - 1 : hi]
                errors[day].append(block[~np.isnan(block)])
        for day, parts in errors.items():
            values = np.concatenate(parts) if parts else np.array([])
            rmse = float(np.sqrt(np.mean(values**2))) if values.size else float("nan")
            quantiles = np.quantile(values, [0.1, 0.5, 0.9]) if values.size else [float("nan")] * 3
            rows.append(
                {
                    "method": method,
                    "lead_day": day,
                    "rmse": rmse,
                    "n": int(values.size),
                    **{name: float(q) for name, q in zip(ERROR_QUANTILES, quantiles, strict=True)},
                }
            )
    return pd.DataFrame(rows, columns=columns)


def best_method(scores: pd.DataFrame) -> str | None:
    """The baseline with the lowest mean RMSE over the three lead days, or ``None`` without scores."""
    if scores.empty or scores["rmse"].isna().all():
        return None
    return str(scores.groupby("method")["rmse"].mean().idxmin())


def hindcast_scores(
    obs: xr.Dataset, issue_times: list[pd.Timestamp], tz: str = "Asia/Ho_Chi_Minh"
) -> pd.DataFrame:
    """:func:`hindcast_rmse` for every pollutant of ``obs``, with a ``pollutant`` column."""
    frames = [hindcast_rmse(obs, issue_times, p, tz).assign(pollutant=p) for p in obs.data_vars]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def best_by_lead_day(scores: pd.DataFrame) -> dict[str, str]:
    """Lead day → the baseline with the lowest RMSE for that day (empty without scores).

    ``scores`` holds one pollutant (filter a :func:`hindcast_scores` table first).
    """
    valid = scores.dropna(subset=["rmse"])
    return {
        str(day): str(group.loc[group["rmse"].idxmin(), "method"])
        for day, group in valid.groupby("lead_day", sort=False)
    }


def composite_forecast(cubes: dict[str, xr.Dataset], choice: dict[str, dict[str, str]]) -> xr.Dataset:
    """One cube taking each pollutant's lead days from the baseline ``choice[pollutant][lead_day]`` names.

    E.g. PM2.5 D1 from diurnal persistence and D2–D3 from climatology. Pollutants without a choice
    take the first cube's values.
    """
    first = next(iter(cubes.values()))
    out = xr.Dataset(coords=first.coords, attrs=first.attrs)
    lead = first[LEAD].values
    for name, by_day in choice.items():
        values = np.full(first[name].shape, np.nan)
        for day, (lo, hi) in LEAD_DAYS.items():
            block = (lead >= lo) & (lead <= hi)
            values[:, block] = cubes[by_day.get(day, next(iter(cubes)))][name].values[:, block]
        out[name] = first[name].dims, values, first[name].attrs
    out.attrs = {**first.attrs, "method": "best baseline per pollutant and lead day"}
    return out


def add_error_quantiles(
    cube: xr.Dataset, scores: pd.DataFrame, pollutant: str, method_by_day: dict[str, str]
) -> xr.Dataset:
    """Add ``<pollutant>_q10/_q50/_q90`` [µg/m³]: the forecast plus the hindcast error quantiles of its lead day.

    The range is empirical: the 10 and 90 % quantiles of past errors of the same method at the same lead
    day, so it is as wide as the baseline has recently been wrong. Clipped at 0 µg/m³.
    """
    out = cube.copy()
    lead = cube[LEAD].values
    for stat, err in zip(("q10", "q50", "q90"), ERROR_QUANTILES, strict=True):
        shift = np.full(lead.shape, np.nan)
        for day, (lo, hi) in LEAD_DAYS.items():
            row = scores[(scores["method"] == method_by_day.get(day)) & (scores["lead_day"] == day)]
            if not row.empty:
                shift[(lead >= lo) & (lead <= hi)] = row[err].iloc[0]
        values = np.clip(cube[pollutant].values + shift[None, :], 0.0, None)
        out[f"{pollutant}_{stat}"] = (
            cube[pollutant].dims,
            values,
            {**cube[pollutant].attrs, "comment": "forecast + hindcast error quantile"},
        )
    return out
