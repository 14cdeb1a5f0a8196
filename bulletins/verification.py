"""“How yesterday's forecast did”: the day-ahead forecast of the last complete local day against what the
stations measured, for the bulletin.

Yesterday = the last complete local day before the run's issue time. Its forecast = the D1 of the most
recent *published* run (``products/<cycle>``) whose D1 is that day, so what is scored is what the public
was told the day before. Observed = the daily VN_AQI of the archived observations (QC-passed) with the
same engine, time zone and completeness rule as the forecast. Stations without both are left out and
counted.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from configs.networks import registry_for_home
from configs.settings import HomeLayout
from forecast.aqi import daily_aqi
from forecast.cycle.publish import published_run
from met_inputs.observations.archive import ObservationArchive

logger = logging.getLogger(__name__)

_CYCLE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}Z$")
SEARCH_DAYS = 3
"""How far back to look for the run that forecast yesterday as its D1."""


@dataclass
class StationScore:
    """One station's day-ahead forecast and observation of yesterday (daily VN_AQI and category)."""

    id: str
    forecast_aqi: int
    forecast_category: int
    observed_aqi: int
    observed_category: int

    @property
    def category_error(self) -> int:
        return self.forecast_category - self.observed_category


@dataclass
class Verification:
    """Yesterday's scores: per station, and a summary over the stations scored."""

    date: str
    forecast_run: str
    stations: list[StationScore] = field(default_factory=list)
    not_scored: int = 0

    def summary(self, ids: set[str] | None = None) -> dict[str, Any] | None:
        """Counts and errors over ``ids`` (default all); ``None`` when none of them was scored."""
        rows = [s for s in self.stations if ids is None or s.id in ids]
        if not rows:
            return None
        errors = np.array([s.forecast_aqi - s.observed_aqi for s in rows], float)
        return {
            "stations": len(rows),
            "exact_category": sum(s.category_error == 0 for s in rows),
            "within_one_category": sum(abs(s.category_error) <= 1 for s in rows),
            "mean_absolute_error": round(float(np.abs(errors).mean()), 1),
            "bias": round(float(errors.mean()), 1),
        }


def yesterday(issue_time: pd.Timestamp, tz: str) -> pd.Timestamp:
    """The last local day that is complete at ``issue_time`` (days are hours 01:00 … 00:00 local)."""
    local = pd.Timestamp(issue_time).tz_convert(tz)
    return local.normalize().tz_localize(None) - pd.Timedelta(days=1)


def _previous_forecast(products: Path, before_cycle: str, day: str) -> tuple[str, dict[str, dict]] | None:
    """(run id, station → its D1 entry) of the newest published run before ``before_cycle`` forecasting
    ``day`` as D1."""
    if not products.is_dir():
        return None
    cycles = sorted((p.name for p in products.iterdir() if _CYCLE_RE.match(p.name) and p.name < before_cycle),
                    reverse=True)[: 2 * SEARCH_DAYS * 4]  # fmt: skip
    for cycle in cycles:
        run_dir = published_run(products, cycle)
        if run_dir is None or not (run_dir / "forecast.json").is_file():
            continue
        try:
            document = json.loads((run_dir / "forecast.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning("cannot read %s for verification: %s", run_dir / "forecast.json", exc)
            continue
        d1 = {
            s["id"]: s["daily"][0]
            for s in document.get("stations", [])
            if s.get("daily") and s["daily"][0].get("date") == day and s["daily"][0].get("aqi") is not None
        }
        if d1:
            return f"{cycle}/{run_dir.name}", d1
    return None


def _observed_daily(home: Path, ids: list[str], day: pd.Timestamp, tz: str, fraction: float) -> dict[str, tuple]:
    """Station → (daily VN_AQI, category) observed on local ``day`` (complete days only)."""
    layout = HomeLayout(home)
    archive = ObservationArchive(layout, registry_for_home(layout.networks))
    start = (day - pd.Timedelta(hours=8)).tz_localize(tz).tz_convert("UTC").tz_localize(None)  # O3 8-h windows
    end = (day + pd.Timedelta(days=1)).tz_localize(tz).tz_convert("UTC").tz_localize(None)
    obs = archive.to_dataset(ids, start, end)
    if not obs.data_vars or obs.sizes.get("time", 0) == 0:
        return {}
    daily = daily_aqi(obs, tz, fraction)
    dates = [str(d)[:10] for d in daily["date"].values]
    want = day.strftime("%Y-%m-%d")
    if want not in dates:
        return {}
    k = dates.index(want)
    out = {}
    for i, sid in enumerate(map(str, daily["station"].values)):
        aqi, cat = daily["aqi"].values[i, k], daily["category"].values[i, k]
        if np.isfinite(aqi) and int(cat) > 0:
            out[sid] = (int(round(float(aqi))), int(cat))
    return out


def yesterday_verification(
    home: Path, document: dict[str, Any], tz: str, min_hours_fraction: float = 0.75
) -> Verification | None:
    """Scores of yesterday's day-ahead forecast at the stations of ``document`` (a run's forecast.json);
    ``None`` when no published run forecast yesterday or nothing was observed (a new service, a gap)."""
    day = yesterday(pd.Timestamp(document["issue_time"]), tz)
    previous = _previous_forecast(Path(home) / "products", document["cycle"], day.strftime("%Y-%m-%d"))
    if previous is None:
        return None
    run_id, d1 = previous
    ids = [s["id"] for s in document["stations"] if s["id"] in d1]
    try:
        observed = _observed_daily(Path(home), ids, day, tz, min_hours_fraction) if ids else {}
    except (OSError, ValueError, KeyError) as exc:  # an unreadable archive costs the section, not the bulletin
        logger.warning("verification of %s skipped: %s", day.date(), exc)
        return None
    result = Verification(day.strftime("%Y-%m-%d"), run_id)
    for sid in ids:
        if sid in observed:
            entry = d1[sid]
            result.stations.append(StationScore(sid, int(entry["aqi"]), int(entry["category"]), *observed[sid]))
        else:
            result.not_scored += 1
    return result if result.stations else None
