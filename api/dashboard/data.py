"""What the dashboard shows of a run, read from its folder and the catalogue: the forecast document with the
forecasters' overrides applied, the input-health table, and one station's series for the charts (72 h forecast
mean with its 10–90 % band and the raw CTM from ``forecast.nc``, the last three days of observations from the
home's archive).

Run folders never change once written, so what is parsed from them is cached by (path, modification time,
size), a few runs at most. Paths are built only from ids that passed :mod:`api.ids` and must resolve inside
``<home>/runs``.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from api.ids import inside
from bulletins.content import apply_overrides
from configs.cycle import load_cycle_settings
from configs.networks import StationRegistry
from configs.schema import POLLUTANTS
from configs.settings import HomeLayout
from forecast.catalogue import OverrideRecord, RunCatalogue, RunRecord, StatusEvent
from met_inputs.observations.archive import ObservationArchive

log = logging.getLogger(__name__)

LOCAL_ZONE = "Asia/Ho_Chi_Minh"
OBSERVED_HOURS = 72
"""Hours of observations shown before the issue time (the forecast's own 72 h follow)."""
CACHE_RUNS = 6
SERIES_SCHEMA = "vnaqi.dashboard.station-series/1"


class FileCache:
    """Parsed files by (path, mtime, size), least recently used dropped beyond ``size`` entries."""

    def __init__(self, size: int = CACHE_RUNS) -> None:
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, path: Path, parse: Callable[[Path], Any]) -> Any:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = parse(path)
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _read_cube(path: Path) -> xr.Dataset:
    with xr.open_dataset(path) as ds:
        return ds.load()


@dataclass
class HealthCell:
    last_time: str | None
    age_h: float | None
    missing_24h: int | None
    qc_failed_24h: int | None
    level: str  # "ok", "warn" or "bad"
    why: str


@dataclass
class HealthTable:
    """Input health of a run (``health.csv``): stations × inputs, problems flagged."""

    inputs: list[str]
    rows: list[tuple[str, dict[str, HealthCell]]]  # (station id, input → cell)
    thresholds: dict[str, float]
    problems: int = 0


@dataclass
class RunView:
    """A run as the run page shows it."""

    record: RunRecord
    history: list[StatusEvent]
    folder: Path | None
    overrides: list[OverrideRecord]
    document: dict[str, Any] | None = None  # forecast.json with the overrides applied
    manifest: dict[str, Any] | None = None
    health: HealthTable | None = None
    problems: list[str] = field(default_factory=list)  # files that could not be read

    @property
    def stations(self) -> list[dict[str, Any]]:
        return list((self.document or {}).get("stations") or [])

    def station(self, station_id: str) -> dict[str, Any] | None:
        return next((s for s in self.stations if s.get("id") == station_id), None)


def _number(text: str | None, kind: type) -> Any:
    if text is None or text.strip() == "" or text.strip().lower() == "nan":
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(round(value)) if kind is int else value


def _health_thresholds(layout: HomeLayout) -> dict[str, float]:
    try:
        settings = load_cycle_settings(home=layout.root)
    except Exception as exc:  # a broken cycle.yaml must not take the dashboard down; the defaults still apply
        log.warning("cycle.yaml unreadable, default health thresholds used: %s", exc)
        settings = load_cycle_settings()
    return {
        "silent_hours": float(settings.alerts.silent_hours),
        "recent_obs_hours": float(settings.recent_obs_hours),
        "missing_24h": round(24 * (1 - settings.daily_completeness)),
    }


def _health_cell(row: dict[str, str], limits: dict[str, float]) -> HealthCell:
    age = _number(row.get("age_h"), float)
    missing = _number(row.get("missing_24h"), int)
    qc = _number(row.get("qc_failed_24h"), int)
    last = (row.get("last_time") or "").strip() or None
    if last is not None and last.lower() in ("nat", "nan"):
        last = None
    reasons, level = [], "ok"
    if last is None or age is None:
        reasons.append("no data in the window / không có số liệu")
        level = "bad"
    elif age > limits["recent_obs_hours"]:
        reasons.append(f"last value {age:g} h before the cycle (> {limits['recent_obs_hours']:g} h)")
        level = "bad"
    elif age > limits["silent_hours"]:
        reasons.append(f"silent {age:g} h (> {limits['silent_hours']:g} h)")
        level = "warn"
    if missing is not None and missing > limits["missing_24h"]:
        reasons.append(f"{missing} of the last 24 h missing (> {limits['missing_24h']:g})")
        level = "bad" if level == "bad" else "warn"
    if qc:
        reasons.append(f"{qc} h failed QC")
        level = "bad" if level == "bad" else "warn"
    return HealthCell(last, age, missing, qc, level, "; ".join(reasons) or "ok")


def _read_health(path: Path, limits: dict[str, float]) -> HealthTable:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    inputs = [p for p in POLLUTANTS if any(r.get("input") == p for r in rows)]
    inputs += sorted({r.get("input", "") for r in rows} - set(inputs) - {""})
    by_station: dict[str, dict[str, HealthCell]] = {}
    for row in rows:
        sid, name = row.get("station_id") or "", row.get("input") or ""
        if sid and name:
            by_station.setdefault(sid, {})[name] = _health_cell(row, limits)
    problems = sum(c.level != "ok" for cells in by_station.values() for c in cells.values())
    return HealthTable(inputs, list(by_station.items()), limits, problems)


class RunFiles:
    """The files of run folders, parsed once per version of each file."""

    def __init__(self, layout: HomeLayout) -> None:
        self.layout = layout
        self._json = FileCache()
        self._cubes = FileCache()

    def folder(self, cycle: str, run: str) -> Path | None:
        """``<home>/runs/<cycle>/<run>`` when it is a folder inside the runs folder (ids checked by the caller)."""
        path = inside(self.layout.runs, cycle, run)
        return path if path is not None and path.is_dir() else None

    def view(self, catalogue: RunCatalogue, run_id: str, cycle: str, run: str) -> RunView:
        """The run (``UnknownRun`` when the catalogue has no such run) with what its folder holds."""
        record = catalogue.get(run_id)
        view = RunView(record, catalogue.history(run_id), self.folder(cycle, run), catalogue.overrides(run_id))
        if view.folder is None:
            return view
        for name, attr in (("forecast.json", "document"), ("manifest.json", "manifest")):
            path = view.folder / name
            if path.is_file():
                try:
                    setattr(view, attr, self._json.get(path, _read_json))
                except (OSError, ValueError) as exc:
                    log.error("%s unreadable: %s", path, exc)
                    view.problems.append(f"{name}: {exc}")
        if view.document is not None and view.overrides:
            view.document = apply_overrides(view.document, [o.to_dict() for o in view.overrides])
        path = view.folder / "health.csv"
        if path.is_file():
            try:  # small, and its flags follow cycle.yaml: read each time
                view.health = _read_health(path, _health_thresholds(self.layout))
            except (OSError, ValueError) as exc:
                log.error("%s unreadable: %s", path, exc)
                view.problems.append(f"health.csv: {exc}")
        return view

    def cube(self, folder: Path) -> xr.Dataset | None:
        path = folder / "forecast.nc"
        return self._cubes.get(path, _read_cube) if path.is_file() else None


# -- one station's series ------------------------------------------------------------------------------------


def _values(array: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(array, dtype=float).tolist()]


def _epochs(times: np.ndarray) -> list[int]:
    return [int(t) for t in np.asarray(times, dtype="datetime64[s]").astype("int64").tolist()]


def _local_iso(times: np.ndarray) -> list[str]:
    stamps = pd.DatetimeIndex(np.asarray(times, dtype="datetime64[ns]")).tz_localize("UTC").tz_convert(LOCAL_ZONE)
    return [t.isoformat() for t in stamps]


def _issue_time(cube: xr.Dataset, document: dict[str, Any] | None) -> pd.Timestamp:
    text = cube.attrs.get("issue_time") or (document or {}).get("issue_time")
    if text:
        return pd.Timestamp(text).tz_convert("UTC")
    return pd.Timestamp(cube["forecast_reference_time"].values).tz_localize("UTC")


def cube_pollutants(cube: xr.Dataset) -> list[str]:
    return [p for p in POLLUTANTS if p in cube.data_vars]


def observed_series(
    layout: HomeLayout,
    registry: StationRegistry | None,
    station_id: str,
    pollutant: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """(hour-ending UTC times, QC-passed values [µg/m³], note) of the archive between ``start`` and ``end``."""
    if not layout.archive.is_dir():
        return np.array([], "datetime64[ns]"), np.array([]), "no observation archive in this home"
    try:
        ds = ObservationArchive(layout, registry).to_dataset([station_id], start, end, pollutants=[pollutant])
    except Exception as exc:  # the chart must still show the forecast when the archive cannot be read
        log.error("observations of %s unreadable: %s", station_id, exc)
        return np.array([], "datetime64[ns]"), np.array([]), "observations could not be read (see the server log)"
    if pollutant not in ds.data_vars or station_id not in ds["station"].values:
        return np.array([], "datetime64[ns]"), np.array([]), f"no {pollutant} observations archived for this station"
    values = ds[pollutant].sel(station=station_id).values.astype(float)
    times = ds["time"].values
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size == 0:
        return np.array([], "datetime64[ns]"), np.array([]), f"no {pollutant} observations in these days"
    keep = slice(0, finite[-1] + 1)  # no empty tail after the last value
    return times[keep], values[keep], None


def station_series(
    layout: HomeLayout,
    registry: StationRegistry | None,
    run_id: str,
    cube: xr.Dataset,
    document: dict[str, Any] | None,
    station_id: str,
    pollutant: str,
    now: datetime,
) -> dict[str, Any]:
    """The chart data of one station and pollutant (times UTC epoch seconds and ISO in Vietnam time)."""
    at = cube.sel(station=station_id)
    valid = cube["valid_time"].values
    issue = _issue_time(cube, document)
    extra = {q: at[f"{pollutant}_{q}"].values for q in ("q10", "q50", "q90") if f"{pollutant}_{q}" in cube}
    ctm_name = f"{pollutant}_ctm"
    forecast = {
        "lead": [int(v) for v in cube["lead"].values.tolist()],
        "valid_time": _local_iso(valid),
        "t": _epochs(valid),
        "mean": _values(at[pollutant].values),
        **{q: _values(v) for q, v in extra.items()},
        "ctm": _values(at[ctm_name].values) if ctm_name in cube else None,
    }
    last_valid = pd.Timestamp(valid.max()).tz_localize("UTC")
    now_hour = pd.Timestamp(now).tz_convert("UTC").floor("h")
    start = issue - pd.Timedelta(hours=OBSERVED_HOURS - 1)
    times, values, note = observed_series(layout, registry, station_id, pollutant, start, min(last_valid, now_hour))
    station = next((s for s in (document or {}).get("stations") or [] if s.get("id") == station_id), {})
    hourly = [h for h in station.get("hourly") or [] if h.get("valid_time")]
    return {
        "schema": SERIES_SCHEMA,
        "run_id": run_id,
        "station": {k: station.get(k) for k in ("id", "name_vi", "name_en", "province")} | {"id": station_id},
        "pollutant": pollutant,
        "pollutants": cube_pollutants(cube),
        "unit": "µg/m³",
        "time_zone": LOCAL_ZONE,
        "utc_offset": "+07:00",
        "time_convention": "hour-ending: the value at T is the mean over (T-1h, T]; t = Unix time [s] of T",
        "issue_time": issue.isoformat(),
        "forecast": forecast,
        "observed": {
            "source": "observation archive of the home, QC-passed values",
            "valid_time": _local_iso(times),
            "t": _epochs(times),
            "value": _values(values),
            "note": note,
        },
        "aqi": {
            "valid_time": [h.get("valid_time") for h in hourly],
            "t": [int(pd.Timestamp(h["valid_time"]).timestamp()) for h in hourly],
            "aqi": [h.get("aqi") for h in hourly],
            "category": [h.get("category") for h in hourly],
        },
    }
