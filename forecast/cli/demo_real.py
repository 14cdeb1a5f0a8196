"""``vnaqi demo --real``: replay a real Hanoi episode from the sample shipped in ``forecast/demo_data``.

US Embassy Hanoi PM2.5 (shipped) and the Noi Bai observed met when it is at hand (it may not be
redistributed, so it is not shipped): cycles issued with observed met standing in for the NWP (perfect
prognosis) and verified against what happened.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from rich.panel import Panel
from rich.table import Table

from configs.settings import HomeLayout
from forecast.cli.baseline_job import forecast_table
from forecast.cli.common import console, fail, run_guarded, station_registry
from forecast.cli.demo import _fallback_lines, _print_model, _print_products, _run_cycles, _timed, train_and_promote
from forecast.cycles import cycle_id, parse_cycle
from met_inputs.observations.archive import ObservationArchive

DEMO_DATA = Path(__file__).resolve().parents[1] / "demo_data"
REAL_PM25_FILE = "hanoi_us_embassy_pm25_2016q4.csv"
REAL_STATION, REAL_MET_STATION = "us-embassy-hanoi", "vvnb-noibai"
REAL_SUBHOME = "real-replay"
REAL_PERIOD = (pd.Timestamp("2016-09-30T00:00Z"), pd.Timestamp("2017-01-01T00:00Z"))
REAL_TRAIN_TO, REAL_VALID_TO = "2016-11-30", "2016-12-14"
REAL_CYCLES = ("2016-12-17T00Z", "2016-12-17T12Z", "2016-12-18T00Z", "2016-12-18T12Z")
NOIBAI_FOLDER = "hanoi_weather_noibai"
PERFECT_PROG_SOURCE = "observed-met"
PERFECT_PROG_README = (
    "PERFECT PROGNOSIS, not a forecast: observed Noi Bai met (weather data provided by Visual Crossing) at the\n"
    "valid times, written as IFS-like GRIB2 by `vnaqi demo --real` so that the cycle reads it as its NWP.\n"
)


def noibai_folder(option: Path | None) -> Path | None:
    """The Noi Bai weather folder: ``--met-data``, else ``$VNAQI_SHARED_DATA/…``, else ``../shared/data/…``
    beside the checkout or the working directory; ``None`` when absent."""
    if option is not None:
        return option
    candidates = []
    if os.environ.get("VNAQI_SHARED_DATA"):
        candidates.append(Path(os.environ["VNAQI_SHARED_DATA"]) / NOIBAI_FOLDER)
    candidates += [
        Path(__file__).resolve().parents[2].parent / "shared" / "data" / NOIBAI_FOLDER,
        Path.cwd().parent / "shared" / "data" / NOIBAI_FOLDER,
    ]
    return next((c for c in candidates if c.is_dir()), None)


def cut_noibai(folder: Path, out: Path, start: pd.Timestamp, end: pd.Timestamp) -> Path | None:
    """Copy the Visual Crossing rows of ``[start, end]`` (UTC) from ``folder`` into one CSV (the archive's
    ``visualcrossing`` reader takes it); ``None`` when no row falls in the period."""
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise ValueError(f"{folder}: no Visual Crossing CSV files (hourly_weather_data_*.csv)")
    local = [t.tz_convert("Asia/Ho_Chi_Minh").tz_localize(None) for t in (start, end)]
    parts = []
    for path in files:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "datetime" not in table:
            raise ValueError(f"{path}: no 'datetime' column; not a Visual Crossing hourly file")
        stamp = pd.to_datetime(table["datetime"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
        parts.append(table[(stamp >= local[0]) & (stamp <= local[1])])
    rows = pd.concat(parts, ignore_index=True).fillna("")
    if rows.empty:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(out, index=False)
    return out


def _real_home(layout: HomeLayout) -> HomeLayout:
    """The replay's own home inside ``layout``: it never shares an archive, a champion or products/latest with
    the synthetic demo. Its sources.yaml reads the perfect-prognosis NWP; its cycle forecasts pm25 only."""
    sub = HomeLayout(layout.root / REAL_SUBHOME)
    sub.root.mkdir(parents=True, exist_ok=True)
    (sub.root / "cycle.yaml").write_text(
        "# Written by `vnaqi demo --real`: the US Embassy Hanoi monitor measures PM2.5 only.\npollutants: [pm25]\n",
        encoding="utf-8",
    )
    from configs.networks import registry_for_home

    aq = registry_for_home().get(REAL_STATION)
    station = (aq.latitude, aq.longitude)
    sources = {
        "sources": [
            {
                "name": PERFECT_PROG_SOURCE,
                "role": "nwp",
                "kind": "local",
                "path_pattern": str(sub.root / "inputs" / "%Y-%m-%dT%HZ" / PERFECT_PROG_SOURCE / "*.grib2"),
                "steps_h": list(range(0, 73)),
                "area": [station[0] + 1.0, station[1] - 1.0, station[0] - 1.0, station[1] + 1.0],
            }
        ]
    }
    (sub.root / "sources.yaml").write_text(
        "# Written by `vnaqi demo --real`: observed Noi Bai met at the valid times stands in for the NWP\n"
        "# (PERFECT PROGNOSIS); there is no CTM for 2016.\n" + yaml.safe_dump(sources, sort_keys=False),
        encoding="utf-8",
    )
    return sub


def _sample_file() -> Path:
    path = DEMO_DATA / REAL_PM25_FILE
    if not path.is_file():
        raise fail(f"the real sample {path} is missing from this installation (reinstall the package)")
    return path


def _met_frame(archive: ObservationArchive, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    from features.spec import MET_INPUT_VARIABLES

    met = archive.met_dataset([REAL_MET_STATION], start, end, list(MET_INPUT_VARIABLES))
    frame = met.sel(station=REAL_MET_STATION).to_dataframe()
    return frame[[v for v in MET_INPUT_VARIABLES if v in frame and frame[v].notna().any()]]


def _real_demo(layout: HomeLayout, met_option: Path | None, lang: str) -> None:
    from met_inputs.synthetic_grib import write_perfect_prognosis_nwp, write_readme

    start = time.perf_counter()
    sample = _sample_file()
    console.print(
        Panel.fit(
            "[bold]REAL DATA[/] — a replay of the December 2016 winter episodes in Hanoi.\n"
            "PM2.5: US Embassy Hanoi monitor, U.S. Department of State / AirNow (provisional, not fully validated), "
            "shipped in forecast/demo_data.\nWeather: Noi Bai airport (WMO 48820), weather data provided by Visual "
            "Crossing; read from your copy, never shipped.\n[bold]PERFECT PROGNOSIS[/]: observed met at the valid "
            "times stands in for the NWP forecast, so the skill shown is an upper bound.",
            title="vnaqi demo --real",
            border_style="green",
        )
    )
    sub = _real_home(layout)
    registry = run_guarded(station_registry, sub)
    archive = ObservationArchive(sub)
    folder = noibai_folder(met_option)
    met_csv = None
    if folder is not None and folder.is_dir():
        met_csv = run_guarded(cut_noibai, folder, sub.root / "real-inputs" / "noibai_visualcrossing_2016q4.csv",
                              *REAL_PERIOD)  # fmt: skip
    elif met_option is not None:
        raise fail(f"--met-data {met_option}: no such folder")
    files = [sample, *([met_csv] if met_csv else [])]
    report = _timed(
        f"Ingesting {sample.name}" + (f" and the Noi Bai weather from {folder}" if met_csv else ""),
        1, 4, lambda: run_guarded(archive.ingest, files, registry, replace=True),
    )  # fmt: skip
    console.print(f"      {report.rows} rows; QC flags: {report.flag_counts() or 'none'}", highlight=False)
    if met_csv is None:
        console.print(
            "[yellow]No observed met:[/] the Noi Bai weather (Visual Crossing) may not be redistributed, so it is "
            "not shipped; pass --met-data DIR (the hanoi_weather_noibai folder) to replay with met. Training "
            "without met (observations, calendar, climatology only).",
            highlight=False,
        )
    met_mode = "perfect" if met_csv else "none"
    model = _timed(
        f"Training a quick LightGBM pm25 corrector on Oct–Nov 2016 (validation to {REAL_VALID_TO}), met mode "
        f"{met_mode}" + (" = PERFECT PROGNOSIS (observed Noi Bai met at the valid time)" if met_csv else ""),
        2, 4,
        lambda: run_guarded(train_and_promote, sub.root, train_to=REAL_TRAIN_TO, valid_to=REAL_VALID_TO,
                            met_mode=met_mode, stations=[REAL_STATION],
                            why="vnaqi demo --real: retrained on the real sample"),
    )  # fmt: skip
    _print_model(model)
    cycles = [parse_cycle(c) for c in REAL_CYCLES]
    if met_csv:
        station = registry.get(REAL_STATION)
        for c in cycles:
            folder_c = sub.root / "inputs" / cycle_id(c)
            write_readme(folder_c, PERFECT_PROG_README)
            frame = _met_frame(archive, c - pd.Timedelta(hours=1), c + pd.Timedelta(hours=72))
            write_perfect_prognosis_nwp(folder_c / PERFECT_PROG_SOURCE, c, frame,
                                        center=(station.latitude, station.longitude))  # fmt: skip
    results = _timed(
        f"Running the cycles {', '.join(REAL_CYCLES)} from the real observations"
        + (" with the observed met as NWP (perfect prognosis)" if met_csv else " without met"),
        3, 4, lambda: run_guarded(_run_cycles, sub, registry, cycles, [REAL_STATION], False),
    )  # fmt: skip
    console.print("[bold][4/4][/] Forecast against what actually happened", highlight=False)
    console.print(forecast_table(results[-1].document, lang))
    console.print(verification_table(archive, results, met_mode))
    for line in _fallback_lines(results[-1].manifest):
        console.print(f"  [yellow]fallback[/] {line}", highlight=False)
    _print_products(sub)
    console.print(
        "[bold green]REAL DATA[/]: US Embassy Hanoi PM2.5 (U.S. Department of State / AirNow, provisional)"
        + (", Noi Bai weather (weather data provided by Visual Crossing); PERFECT PROGNOSIS: observed met "
           "stood in for the NWP, an upper bound on skill" if met_csv else "; no met")
        + f". Demo finished in {time.perf_counter() - start:.0f} s.",
        highlight=False,
    )  # fmt: skip


def _cell(aqi: float, category: float, conc: float) -> tuple[str, str]:
    from forecast.aqi.categories import category_by_index

    if not np.isfinite(aqi):
        return "–", "–"
    cat = category_by_index(int(category))
    return f"{conc:.0f}" if np.isfinite(conc) else "–", f"{int(aqi)} {cat.name_en}"


def verification_table(archive: ObservationArchive, results, met_mode: str) -> Table:
    """Per cycle and forecast day: daily PM2.5 and VN_AQI forecast next to the observed ones."""
    from forecast.aqi import daily_aqi

    first = min(pd.Timestamp(r.document["issue_time"]) for r in results) - pd.Timedelta(days=2)
    last = max(pd.Timestamp(r.document["issue_time"]) for r in results) + pd.Timedelta(days=5)
    observed = daily_aqi(archive.to_dataset([REAL_STATION], first, last, ["pm25"])).sel(station=REAL_STATION)
    dates = pd.DatetimeIndex(observed["date"].values).strftime("%Y-%m-%d")
    table = Table(
        title="Verification — REAL DATA, US Embassy Hanoi"
        + (", PERFECT PROGNOSIS met" if met_mode == "perfect" else ", no met"),
        title_justify="left",
    )
    for name in ("cycle", "day", "date", "forecast PM2.5", "forecast VN_AQI", "observed PM2.5", "observed VN_AQI",
                 "category"):  # fmt: skip
        table.add_column(name, justify="right" if "PM2.5" in name else "left")
    hits = total = 0
    for result in results:
        daily = result.aqi.daily.sel(station=REAL_STATION)
        for j, day in enumerate(daily["day"].values):
            date = str(daily["date"].values[j])
            f_conc, f_aqi = _cell(float(daily["aqi"].values[j]), float(daily["category"].values[j]),
                                  float(daily["conc_pm25"].values[j]))  # fmt: skip
            k = np.flatnonzero(dates == date)
            if len(k):
                o = observed.isel(date=int(k[0]))
                o_conc, o_aqi = _cell(float(o["aqi"]), float(o["category"]), float(o["conc_pm25"]))
            else:
                o_conc, o_aqi = "–", "–"
            verdict = "–"
            if f_aqi != "–" and o_aqi != "–":
                same = int(daily["category"].values[j]) == int(o["category"])
                hits, total = hits + same, total + 1
                verdict = "hit" if same else "miss"
            observed_hours = int(daily["observed_hours"].values[j])
            label = f"{day}" + (f" ({observed_hours} h obs)" if observed_hours else "")
            table.add_row(result.document["cycle"], label, date, f_conc, f_aqi, o_conc, o_aqi, verdict)
    table.caption = (
        f"Daily means of local days (01:00–00:00, UTC+7); VN_AQI from the same engine. Category hits {hits}/{total}. "
        "A D1 partly observed mixes observed and forecast hours."
    )
    return table
