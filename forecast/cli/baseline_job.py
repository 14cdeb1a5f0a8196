"""The baseline job: archive → observed VN_AQI → 72 h baseline forecast → VN_AQI → run folder.

Shared by ``vnaqi forecast`` and ``vnaqi demo``. Composes the stages; holds no science of its own.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr
from rich.table import Table

from configs.networks import StationRegistry
from configs.schema import (
    DEFAULT_LOCAL_TZ,
    MAX_LEAD_HOURS,
    POLLUTANT_LABELS,
    STATION,
    TIME,
)
from configs.settings import HomeLayout
from forecast.aqi import hourly_aqi
from forecast.aqi.categories import category_by_index
from forecast.baseline_skill import (
    LEAD_DAYS,
    add_error_quantiles,
    best_by_lead_day,
    composite_forecast,
    hindcast_scores,
    recent_issue_times,
)
from forecast.baselines import BASELINES, baseline_forecast
from forecast.cycles import cycle_id
from forecast.forecast_aqi import ForecastAQI, forecast_vn_aqi
from forecast.forecast_document import forecast_document
from forecast.run_store import json_writer, write_run
from met_inputs.cf import cf_station_timeseries
from met_inputs.observations.archive import ObservationArchive

logger = logging.getLogger(__name__)

METHOD_CHOICES = ("best", *BASELINES)


@dataclass
class BaselineRun:
    """What a baseline job produced."""

    run_dir: Path
    document: dict[str, Any]
    scores: pd.DataFrame
    choice: dict[str, dict[str, str]]
    """pollutant → lead day → baseline used."""
    forecast: ForecastAQI
    observed_hourly: xr.Dataset


def run_baseline_job(
    layout: HomeLayout,
    registry: StationRegistry,
    issue: pd.Timestamp,
    *,
    method: str = "best",
    station_ids: list[str] | None = None,
    history_days: int = 60,
    climatology_days: int = 3 * 365,
    skill_days: int = 14,
    synthetic: bool = False,
    tz: str = DEFAULT_LOCAL_TZ,
) -> BaselineRun:
    """Issue a 72 h baseline forecast for ``issue`` (UTC) from the archive and write it as a run.

    ``history_days`` of observations feed persistence, the observed VN_AQI and the forecast NowCast;
    ``climatology_days`` (default three years) feed the climatology and the recent-skill hindcasts
    (``skill_days`` of 00/12 UTC issue times, each scored against its own 72 h).
    """
    if method not in METHOD_CHOICES:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHOD_CHOICES)}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    archive = ObservationArchive(layout)
    start = issue - pd.Timedelta(days=history_days)
    long_obs = archive.to_dataset(
        stations=station_ids, start=issue - pd.Timedelta(days=max(climatology_days, history_days)), end=issue
    )
    obs = long_obs.sel({TIME: slice(start.tz_localize(None), None)})
    if obs.sizes.get(STATION, 0) == 0 or obs.sizes.get(TIME, 0) == 0 or not any(obs[v].notnull().any() for v in obs):
        raise ValueError(
            f"the archive in {layout.archive} has no valid observations between {start:%Y-%m-%d %H:%M}Z and "
            f"{issue:%Y-%m-%d %H:%M}Z{' for ' + ', '.join(station_ids) if station_ids else ''}; "
            "run `vnaqi ingest` first"
        )
    timings["load_observations_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    observed_hourly = hourly_aqi(obs)
    timings["observed_aqi_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    scores = hindcast_scores(long_obs, recent_issue_times(long_obs, issue, skill_days), tz)
    timings["baseline_skill_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    pollutants = list(obs.data_vars)
    if method == "best":
        cubes = {name: baseline_forecast(name, long_obs, issue, leads=MAX_LEAD_HOURS) for name in BASELINES}
        choice = {p: best_by_lead_day(scores[scores["pollutant"] == p]) for p in pollutants}
        cube = composite_forecast(cubes, choice)
    else:
        cube = baseline_forecast(method, long_obs, issue, leads=MAX_LEAD_HOURS)
        cube = cube[pollutants]
        choice = {p: dict.fromkeys(LEAD_DAYS, method) for p in pollutants}
    for p in pollutants:
        cube = add_error_quantiles(cube, scores[scores["pollutant"] == p], p, choice[p])
    result = forecast_vn_aqi(obs, cube, tz=tz)
    timings["forecast_s"] = time.perf_counter() - t0

    cycle = cycle_id(issue)
    stations = {s: registry.get(s) for s in map(str, obs[STATION].values)}
    provenance = {
        "method_requested": method,
        "method_by_pollutant_and_lead_day": choice,
        "uncertainty": "10/50/90 % = forecast + quantiles of the method's hindcast errors at the same lead day",
        "history_days": history_days,
        "climatology_days": climatology_days,
        "stations": len(stations),
        "observations": {
            "start": str(obs[TIME].values[0]),
            "end": str(obs[TIME].values[-1]),
            "source": "archive",
        },
        "daily_completeness_fraction": result.daily.attrs["min_hours_fraction"],
        "nowcast": "normalised form, exact w*, 2 of 3 most recent hours (VN_AQI.md §3, §9.1)",
        "baseline_hindcast_scores": scores.round(3).to_dict(orient="records"),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "created": pd.Timestamp.now(tz="UTC").isoformat(),
    }
    document = forecast_document(
        cycle=cycle,
        cube=cube,
        aqi=result,
        observed_hourly=observed_hourly,
        stations=stations,
        tz=tz,
        synthetic=synthetic,
        provenance=provenance,
    )

    def write_cube(path: Path) -> None:
        cf_station_timeseries(cube, stations, issue, title="VN_AQI service forecast cube").to_netcdf(path)

    run_dir = write_run(
        layout.runs,
        cycle,
        f"baseline-{method}",
        {
            "forecast.json": json_writer(document),
            "manifest.json": json_writer({"cycle": cycle, **provenance}),
            "forecast.nc": write_cube,
        },
    )
    logger.info("wrote %s", run_dir)
    return BaselineRun(run_dir, document, scores, choice, result, observed_hourly)


def _cell(aqi: int | None, category: int | None, name: str | None) -> str:
    if aqi is None or not category:
        return "–"
    cat = category_by_index(category)
    text_colour = "black" if category in (1, 2, 3) else "white"
    return f"[{text_colour} on {cat.hex}] {aqi} [/] {name}"


def forecast_table(document: dict[str, Any], lang: str = "vi") -> Table:
    """A terminal table: station, observed VN_AQI now, D1–D3 with category names (colour is not the only carrier)."""
    days = document["stations"][0]["daily"] if document["stations"] else []
    title = f"VN_AQI {'dự báo' if lang == 'vi' else 'forecast'} — cycle {document['cycle']} ({document['method']})"
    if document.get("synthetic"):
        title += " — SYNTHETIC DATA"
    table = Table(title=title)
    table.add_column("station")
    table.add_column("observed" if lang == "en" else "quan trắc")
    for day in days:
        table.add_column(f"{day['day']} {day['date']}")
    name_key = f"category_{lang}"
    for st in document["stations"]:
        obs = st["observed"] or {}
        row = [st[f"name_{lang}"], _cell(obs.get("aqi"), obs.get("category"), obs.get(name_key))]
        for day in st["daily"]:
            cell = _cell(day["aqi"], day["category"], day[name_key])
            if day["observed_hours"]:
                cell += f" ({day['observed_hours']}h obs)"
            row.append(cell)
        table.add_row(*row)
    return table


def skill_table(scores: pd.DataFrame, choice: dict[str, dict[str, str]], pollutant: str = "pm25") -> Table:
    """RMSE of each baseline by lead day for one pollutant; the baseline used for each day marked ◀."""
    scores = scores[scores["pollutant"] == pollutant]
    chosen = choice.get(pollutant, {})
    table = Table(
        title=f"Baseline {POLLUTANT_LABELS.get(pollutant, pollutant)} RMSE [µg/m³], "
        "hindcasts of recent cycles (◀ = used)"
    )
    days = list(LEAD_DAYS)
    table.add_column("method")
    for day in days:
        table.add_column(day, justify="right")
    table.add_column("pairs", justify="right")
    for method, group in scores.groupby("method", sort=False):
        cells = []
        for d in days:
            value = group.loc[group.lead_day == d, "rmse"]
            text = f"{value.iloc[0]:.1f}" if len(value) and pd.notna(value.iloc[0]) else "–"
            cells.append(f"{text} ◀" if chosen.get(d) == method else text)
        table.add_row(method, *cells, str(int(group["n"].sum())))
    return table
