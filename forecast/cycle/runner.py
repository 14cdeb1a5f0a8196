"""``run_cycle``: one operational cycle from the inputs on disk to a published run.

Stages (each timed into the manifest and the catalogue): inputs (station cube from NWP/CTM/emissions),
observations and input health, models, forecast (correctors, baseline for pollutants without one),
VN_AQI (hourly, daily, category probabilities), write (atomic run folder), publish (atomic links).
Every fallback taken is recorded in the manifest, the catalogue and the forecast document; a failure
marks the run failed in the catalogue and leaves the published run as it was.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from configs.cycle import CycleSettings
from configs.networks import Station, StationRegistry
from configs.schema import MAX_LEAD_HOURS, STATION, TIME
from configs.settings import HomeLayout
from configs.sources import load_sources
from forecast.aqi import hourly_aqi
from forecast.baselines import empty_cube
from forecast.catalogue import RunCatalogue
from forecast.cycle.baseline import baseline_cube
from forecast.cycle.drivers import daily_drivers
from forecast.cycle.health import alert_conditions, input_health
from forecast.cycle.inputs import borrow_neighbour_history, cycle_inputs, observations_before
from forecast.cycle.lock import cycle_lock
from forecast.cycle.models import load_cycle_models
from forecast.cycle.predict import corrector_cube
from forecast.cycle.probabilities import daily_category_probabilities
from forecast.cycle.publish import published_run
from forecast.cycle.release import Released, release_run
from forecast.cycles import cycle_id, parse_cycle
from forecast.forecast_aqi import ForecastAQI, forecast_vn_aqi
from forecast.forecast_document import forecast_document
from forecast.run_store import json_writer, write_run
from met_inputs.cf import cf_station_timeseries
from met_inputs.cube_builder import build_station_cube, source_files
from met_inputs.observations.archive import ObservationArchive

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class CycleResult:
    """What a cycle produced."""

    run_id: str
    run_dir: Path
    document: dict[str, Any]
    manifest: dict[str, Any]
    aqi: ForecastAQI
    alerts_opened: list[str] = field(default_factory=list)
    released: Released | None = None  # None: left for a forecaster (review.required) or --no-publish


def _stations(archive: ObservationArchive, registry: StationRegistry, ids: list[str] | None) -> list[Station]:
    if ids:
        return [registry.get(s) for s in ids]
    status = archive.status()
    present = sorted(set(status["station_id"])) if not status.empty else []
    if not present:
        raise ValueError(f"the archive in {archive.root} holds no observations; run `vnaqi ingest` first")
    return [registry.get(s) for s in present if s in registry]


class _Timer:
    def __init__(self, catalogue: RunCatalogue, run_id: str, progress: Progress | None) -> None:
        self.timings: dict[str, float] = {}
        self._catalogue, self._run_id, self._progress = catalogue, run_id, progress

    def stage(self, name: str):
        timer = self

        class _Stage:
            def __enter__(self) -> None:
                self.t0 = time.perf_counter()
                if timer._progress:
                    timer._progress(name)

            def __exit__(self, *exc) -> None:
                seconds = time.perf_counter() - self.t0
                timer.timings[name] = round(seconds, 3)
                timer._catalogue.record_stage(timer._run_id, name, seconds)

        return _Stage()


def run_cycle(
    layout: HomeLayout,
    registry: StationRegistry,
    cycle: pd.Timestamp,
    settings: CycleSettings,
    *,
    station_ids: list[str] | None = None,
    catalogue_url: str | None = None,
    tracking_uri: str | None = None,
    synthetic: bool = False,
    publish: bool = True,
    wait_s: float = 0.0,
    progress: Progress | None = None,
) -> CycleResult:
    """Run one cycle (see module docstring) and return what it wrote.

    Raises :class:`forecast.cycle.lock.CycleBusyError` when another cycle runs in the home, and
    ``ValueError`` for bad input (no observations, unknown stations); the run is then marked failed.
    """
    cycle = pd.Timestamp(cycle).tz_convert("UTC")
    cid = cycle_id(cycle)
    catalogue = RunCatalogue(catalogue_url, home_root=layout.root)
    with cycle_lock(layout.runs, cid, wait_s):
        _close_interrupted(catalogue, layout.root)
        _reconcile_published(catalogue, layout)
        run = catalogue.start_run(cid, config={"home": str(layout.root), **settings.model_dump()})
        try:
            return _run(layout, registry, cycle, cid, settings, catalogue, run.run_id, station_ids,
                        tracking_uri, synthetic, publish, progress, catalogue_url)  # fmt: skip
        except BaseException as exc:
            catalogue.finish(run.run_id, "failed", error=f"{type(exc).__name__}: {exc}"[:2000])
            raise


def _fallback(catalogue: RunCatalogue, run_id: str, fallbacks: list[dict[str, str]], step: str, detail: str) -> None:
    fallbacks.append({"step": step, "detail": detail})
    catalogue.add_fallback(run_id, step, detail)
    logger.info("fallback %s: %s", step, detail)


def _run(
    layout, registry, cycle, cid, settings, catalogue, run_id, station_ids, tracking_uri, synthetic, publish, progress,
    catalogue_url,
):  # noqa: PLR0913, PLR0915
    timer = _Timer(catalogue, run_id, progress)
    fallbacks: list[dict[str, str]] = []
    archive = ObservationArchive(layout, registry)
    stations = _stations(archive, registry, station_ids)
    ids = [s.id for s in stations]
    synthetic = synthetic or any("SYNTHETIC" in s.source.upper() for s in stations)

    with timer.stage("inputs"):
        try:
            sources = load_sources(home=layout.root)
            cube_in, report = build_station_cube(layout, cycle, stations, sources)
            input_report = {**report.as_dict(), "files": _used_files(layout, sources, report)}
            for note in report.fallbacks:
                _fallback(catalogue, run_id, fallbacks, "input", note)
            if report.used("nwp") is None:
                note = "no NWP for this cycle or the previous one: met-using models forecast with their no-met fallback"
                _fallback(catalogue, run_id, fallbacks, "nwp-missing", note)
            if report.used("ctm") is None:
                _fallback(catalogue, run_id, fallbacks, "ctm-missing", "no CTM: correctors without CTM features")
        except Exception as exc:  # degrade, don't die: the cycle goes on without gridded inputs
            cube_in, input_report = None, {"error": f"{type(exc).__name__}: {exc}"}
            _fallback(catalogue, run_id, fallbacks, "inputs-unreadable", f"{exc}; forecasting without NWP and CTM")

    with timer.stage("observations"):
        inputs = cycle_inputs(archive, registry, stations, cycle, cube_in, settings.history_days)
        obs = inputs.observations
        stored = archive.to_dataset(ids, cycle - pd.Timedelta(days=1), cycle, only_valid=False)
        stored = stored.reindex({STATION: ids, TIME: obs[TIME].values})
        met_obs = inputs.met.sel({TIME: slice(None, obs[TIME].values[-1])}) if inputs.met is not None else None
        health = input_health(obs, stored, met_obs, cycle)
        observed_hourly = hourly_aqi(obs)
        conditions = alert_conditions(health, observed_hourly, cycle, settings.alerts)
        model_obs, borrowed = borrow_neighbour_history(
            obs, stations, cycle, settings.recent_obs_hours, settings.neighbour_radius_km
        )
        inputs = replace(inputs, observations=model_obs)

    with timer.stage("alerts"):
        opened = []
        open_now = {(a.station_id, a.kind) for a in catalogue.open_alerts()}  # one query, not one per station
        for cond in conditions:
            if cond.active:
                _, new = catalogue.raise_alert(cond.station_id, cond.kind, cycle=cid,
                                               observed_at=(cond.observed_at or cycle).to_pydatetime(),
                                               detail=cond.detail, value=cond.value)  # fmt: skip
                if new:
                    opened.append(f"{cond.station_id} {cond.kind}: {cond.detail}")
            elif (cond.station_id, cond.kind) in open_now:
                catalogue.close_alerts(cond.station_id, cond.kind, cycle=cid, at=cycle.to_pydatetime())

    with timer.stage("models"):
        found = load_cycle_models(layout.root, settings.pollutants, settings.model_alias, tracking_uri)
        for fb in found.fallbacks:
            _fallback(catalogue, run_id, fallbacks, fb["step"], fb["detail"])
        catalogue.set_models(run_id, found.versions())

    with timer.stage("forecast"):
        model_notes: list[dict[str, str]] = []  # what the LSTM/blend champions did instead (forecast.cycle.predict)
        if found.models:
            stride = settings.drivers_lead_stride
            cube = corrector_cube(
                found.models, inputs, cycle, MAX_LEAD_HOURS, drivers_lead_stride=stride, fallbacks=model_notes
            )
        else:
            cube = empty_cube(ids, cycle, MAX_LEAD_HOURS, "baseline")
        for note in model_notes:
            _fallback(catalogue, run_id, fallbacks, note["step"], note["detail"])
        failed = [p for p in found.models if p not in cube]  # an LSTM or a blend that could not forecast
        for pollutant in failed:
            found.to_baseline(pollutant)
        if failed:
            catalogue.set_models(run_id, found.versions())
        baseline_choice = {}
        if found.without_model:
            long_obs = observations_before(archive, ids, cycle, settings.climatology_days)
            base, baseline_choice = baseline_cube(long_obs, cycle, found.without_model, settings.time_zone)
            cube = cube.merge(base.drop_vars([c for c in base.coords if c not in cube.coords]), compat="override")
        cube.attrs["method"] = _method(found)

    with timer.stage("vn_aqi"):
        result = forecast_vn_aqi(obs, cube, tz=settings.time_zone, min_hours_fraction=settings.daily_completeness)
        probabilities = daily_category_probabilities(obs, cube, settings.probability_levels, settings.time_zone,
                                                     settings.daily_completeness)  # fmt: skip
        drivers = daily_drivers(cube, cube_in, settings.time_zone)

    status = _station_status(cube, health, settings, borrowed)
    for sid, flags in status.items():
        if flags.get("no_recent_observations"):
            _fallback(catalogue, run_id, fallbacks, "station-no-recent-observations",
                      f"{sid}: {flags['note']}")  # fmt: skip
    manifest = {
        "run_id": run_id,
        "cycle": cid,
        "synthetic": synthetic,
        "stations": len(ids),
        "models": found.versions(),
        "model_uris": {p: i.uri for p, i in found.infos.items()},
        "baseline_choice": baseline_choice,
        "fallbacks": fallbacks,
        "inputs": input_report,
        "archive": _archive_fingerprint(layout),
        "input_health": _health_summary(health),
        "alerts_opened": opened,
        "settings": settings.model_dump(),
        "daily_completeness_fraction": settings.daily_completeness,
        "category_probabilities": "quantile-level scenarios through the VN_AQI engine (forecast.cycle.probabilities)",
        "reproduce": f"vnaqi run --cycle {cid}"
        + (f" --station {' --station '.join(station_ids)}" if station_ids else ""),
        "timings_s": timer.timings,
        "created": pd.Timestamp.now(tz="UTC").isoformat(),
    }
    with timer.stage("write"):
        document = forecast_document(
            cycle=cid, cube=cube, aqi=result, observed_hourly=observed_hourly,
            stations={s.id: s for s in stations}, tz=settings.time_zone, synthetic=synthetic,
            provenance={k: manifest[k] for k in ("run_id", "models", "fallbacks", "created")},
            station_status=status, category_probabilities=probabilities, drivers=drivers,
        )  # fmt: skip
        manifest["timings_s"] = timer.timings

        def write_cube(path: Path) -> None:
            flags = ["has_met", "no_met_leads", "has_recent_obs"]
            explanations = [v for v in cube.data_vars if str(v).startswith("driver_")]  # daily in forecast.json
            values = cube.drop_vars(flags + explanations, errors="ignore").merge(raw_ctm_on_leads(inputs.ctm, cube))
            by_id = {s.id: s for s in stations}
            cf_station_timeseries(values, by_id, cycle, title="VN_AQI service forecast cube").to_netcdf(path)

        run_dir = write_run(layout.runs, cid, "forecast", version=catalogue.get(run_id).version, files={
            "forecast.json": json_writer(document, compact=True),
            "health.csv": lambda p: health.to_csv(p, index=False),
            "forecast.nc": write_cube,
            "manifest.json": json_writer(manifest),  # last: its presence marks a complete run
        })  # fmt: skip
        catalogue.set_path(run_id, str(run_dir))
        catalogue.finish(run_id, "complete")

    released = None
    if publish and not settings.review.required:
        with timer.stage("publish"):
            released = release_run(layout, catalogue, run_id, by="vnaqi run (unattended policy: not reviewed)",
                                   catalogue_url=catalogue_url)  # fmt: skip
    elif publish:
        logger.info("%s awaits a forecaster's approval (review.required in cycle.yaml)", run_id)
    return CycleResult(run_id, run_dir, document, manifest, result, opened, released)


def raw_ctm_on_leads(ctm: xr.Dataset | None, cube: xr.Dataset) -> xr.Dataset:
    """The raw CTM concentrations ``<pollutant>_ctm`` [µg/m³] on the forecast's ``(station, lead)`` axes (NaN where
    the CTM has no value), kept in forecast.nc so a forecaster can compare the correctors with the CTM."""
    if ctm is None:
        return xr.Dataset()
    on_valid = ctm.reindex({STATION: cube[STATION].values, TIME: cube["valid_time"].values})
    out = xr.Dataset()
    for name in ctm.data_vars:
        pollutant = str(name).removeprefix("ctm_")
        values = on_valid[name].transpose(STATION, TIME).values.astype("float64")
        out[f"{pollutant}_ctm"] = xr.DataArray(values, dims=(STATION, "lead"), attrs={
            "units": "ug m-3", "long_name": f"{pollutant} from the chemistry-transport model (CAMS), uncorrected",
        })  # fmt: skip
    return out.assign_coords({STATION: cube[STATION].values, "lead": cube["lead"].values})


def _reconcile_published(catalogue: RunCatalogue, layout: HomeLayout) -> None:
    """A run whose links were swapped but whose catalogue row was not (killed in between) is published."""
    for record in catalogue.runs(status="complete", limit=1000):
        if record.path and published_run(layout.products, record.cycle) == Path(record.path).resolve():
            catalogue.publish(record.run_id, by="vnaqi run (publication found on disk at the next start)")


def _close_interrupted(catalogue: RunCatalogue, home: Path) -> None:
    """Runs of this home still marked running died with their process (we hold the home's lock)."""
    for record in catalogue.runs(status="running", limit=1000):
        if record.config.get("home") == str(home):
            catalogue.finish(record.run_id, "failed", error="interrupted: its process died before it finished")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _used_files(layout: HomeLayout, sources, report) -> list[dict[str, Any]]:
    """Path, size and SHA-256 of every gridded input file the cube was built from."""
    out = []
    for status in report.sources:
        if status.status != "used":
            continue
        source = next(s for s in sources.sources if s.name == status.name)
        for path in source_files(layout, sources, source, pd.Timestamp(parse_cycle(status.cycle))):
            out.append(
                {"source": status.name, "path": str(path), "bytes": path.stat().st_size, "sha256": _sha256(path)}
            )
    return out


def _archive_fingerprint(layout: HomeLayout) -> dict[str, Any]:
    """What the observation archive held: SHA-256 and entries of its ingest log (replayable with vnaqi ingest)."""
    log = layout.archive / "ingest_log.jsonl"
    if not log.is_file():
        return {"ingest_log": None}
    return {"ingest_log": str(log), "sha256": _sha256(log), "entries": sum(1 for _ in log.open())}


def _method(found) -> str:
    """``champion correctors: pm25 blend (lightgbm + lstm) vnaqi-pm25/3, pm10 LightGBM vnaqi-pm10/1; baseline: no2``."""
    if not found.models:
        return "baseline (no model)"
    families, names = found.families(), {p: f"{i.name}/{i.version}" for p, i in found.infos.items()}
    text = "champion correctors: " + ", ".join(f"{p} {families[p]} {names[p]}" for p in found.models)
    return text + (f"; baseline: {', '.join(found.without_model)}" if found.without_model else "")


def _station_status(
    cube: xr.Dataset, health: pd.DataFrame, settings: CycleSettings, borrowed: dict[str, tuple[str, float]]
) -> dict[str, dict[str, Any]]:
    """Per station: flags a reader must see (never presented as normal)."""
    out: dict[str, dict[str, Any]] = {}
    ages = health[health["input"] != "met"].groupby("station_id")["age_h"].min()
    for i, sid in enumerate(map(str, cube[STATION].values)):
        flags: dict[str, Any] = {}
        age = float(ages.get(sid, float("inf")))
        if age > settings.recent_obs_hours:
            flags["no_recent_observations"] = True
            since = "no observation in the window read" if age == float("inf") else f"last observation {age:.0f} h ago"
            if sid in borrowed:
                neighbour, km = borrowed[sid]
                flags["history_from"] = neighbour
                flags["note"] = f"{since}; forecast from the recent observations of {neighbour} ({km:.0f} km away)"
            else:
                flags["note"] = f"{since}; forecast from met, calendar and climatology"
        if "no_met_leads" in cube and int(cube["no_met_leads"].values[i]):
            flags["no_met_leads"] = int(cube["no_met_leads"].values[i])
        if flags:
            out[sid] = flags
    return out


def _health_summary(health: pd.DataFrame) -> dict[str, Any]:
    if health.empty:
        return {}
    return {
        row.input: {
            "stations": int(row.stations),
            "median_age_h": None if pd.isna(row.median_age_h) else float(row.median_age_h),
            "missing_24h": int(row.missing),
        }
        for row in health.replace(float("inf"), float("nan"))
        .groupby("input")
        .agg(stations=("station_id", "size"), median_age_h=("age_h", "median"), missing=("missing_24h", "sum"))
        .round(1)
        .reset_index()
        .itertuples()
    }
