"""Benchmark of the VN_AQI engine on a synthetic network.

Usage::

    python benchmarks/bench_aqi.py [--stations 1000] [--days 365] [--repeat 3] [--seed 20191112]

Builds ``stations × days·24`` hourly values of the six pollutants (lognormal, seeded, ~3 % of hours
missing at random plus some multi-hour outages), then times (best of ``--repeat``):

* ``hourly_aqi`` and ``daily_aqi`` of :mod:`forecast.aqi` (the xarray engine), and
* a "bare numpy" hourly computation written plainly below (NowCast of PM by a loop over the 12 lags,
  ``np.interp`` per pollutant, maximum, PM rule, round half up), the floor any engine pays.

It checks that both hourly computations agree and prints times, the ratio ours / bare, and the
machine. Targets (1,000 station-years, 2 cores): hourly + daily < 5 s; hourly within 3 × bare numpy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecast.aqi import daily_aqi, hourly_aqi  # noqa: E402

# Typical median [µg/m³] and log-spread of each pollutant in a Vietnamese city.
SYNTHETIC = {
    "pm25": (35, 0.7),
    "pm10": (60, 0.6),
    "no2": (40, 0.6),
    "o3": (60, 0.7),
    "so2": (15, 0.8),
    "co": (1200, 0.5),
}

# Table 2 of Decision 1459/QĐ-TCMT, written out again here so the bare reference is independent.
BARE_INDEX = np.array([0, 50, 100, 150, 200, 300, 400, 500], dtype=float)
BARE_TABLE = {
    "pm25": [0, 25, 50, 80, 150, 250, 350, 500],
    "pm10": [0, 50, 150, 250, 350, 420, 500, 600],
    "no2": [0, 100, 200, 700, 1200, 2350, 3100, 3850],
    "o3": [0, 160, 200, 300, 400, 800, 1000, 1200],
    "so2": [0, 125, 350, 550, 800, 1600, 2100, 2630],
    "co": [0, 10000, 30000, 45000, 60000, 90000, 120000, 150000],
}


def synthetic_network(stations: int, days: int, seed: int) -> xr.Dataset:
    """Hourly, hour-ending, UTC; 7 h of history before the first local day; NaN = missing."""
    rng = np.random.default_rng(seed)
    hours = days * 24 + 7
    time_axis = pd.date_range("2025-01-01T10:00", periods=hours, freq="h").values  # 17:00 local
    data = {}
    for name, (median, sigma) in SYNTHETIC.items():
        values = rng.lognormal(np.log(median), sigma, size=(stations, hours))
        values[rng.random((stations, hours)) < 0.03] = np.nan
        starts = rng.integers(0, hours, size=stations)  # one outage of up to 2 days per station
        length = rng.integers(1, 48, size=stations)
        cols = np.arange(hours)
        values[(cols >= starts[:, None]) & (cols < (starts + length)[:, None])] = np.nan
        data[name] = (("station", "time"), values)
    return xr.Dataset(
        data, coords={"station": [f"bench-{i:04d}" for i in range(stations)], "time": time_axis}
    )


def bare_nowcast(x: np.ndarray) -> np.ndarray:
    """Normalised NowCast along the last axis, written plainly."""
    n = x.shape[1]
    present = ~np.isnan(x)
    values = np.where(present, x, 0.0)
    low, high = np.where(present, x, np.inf), np.where(present, x, -np.inf)
    cmin, cmax = low.copy(), high.copy()
    for lag in range(1, 12):
        cmin[:, lag:] = np.minimum(cmin[:, lag:], low[:, : n - lag])
        cmax[:, lag:] = np.maximum(cmax[:, lag:], high[:, : n - lag])
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.maximum(cmin / cmax, 0.5)
    num = values.copy()
    den = present.astype(float)
    power = np.ones_like(w)
    for lag in range(1, 12):
        power = power * w  # w ** lag
        num[:, lag:] += power[:, lag:] * values[:, : n - lag]
        den[:, lag:] += power[:, lag:] * present[:, : n - lag]
    recent = present.astype(int)
    recent[:, 1:] += present[:, :-1]
    recent[:, 2:] += present[:, :-2]
    with np.errstate(invalid="ignore", divide="ignore"):
        result = num / den
    result[cmax == 0] = 0.0
    result[recent < 2] = np.nan
    return result


def bare_hourly(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Hourly VN_AQI of (station, time) arrays: the plain numpy floor."""
    subs = {}
    for name, x in arrays.items():
        conc = bare_nowcast(x) if name in ("pm25", "pm10") else x
        subs[name] = np.interp(conc, BARE_TABLE[name], BARE_INDEX)
    aqi = subs["pm25"]
    for name in subs:
        aqi = np.fmax(aqi, subs[name])
    aqi[np.isnan(subs["pm25"]) & np.isnan(subs["pm10"])] = np.nan
    return np.floor(np.round(aqi, 9) + 0.5)


def best_of(repeat: int, func: Callable[[], object]) -> tuple[float, object]:
    """Best wall time [s] of ``repeat`` calls and the last result."""
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def machine() -> dict[str, str]:
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpu": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpu count": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "xarray": xr.__version__,
        "pandas": pd.__version__,
    }


def report(rows: list[tuple[str, str, str]], info: dict[str, str], title: str) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text fallback
        print(title)
        for row in rows:
            print(f"  {row[0]:<34} {row[1]:>10} {row[2]:>14}")
        for key, value in info.items():
            print(f"  {key:<10} {value}")
        return
    table = Table(title=title)
    for column in ("computation", "best time \\[s]", "ratio ours/bare"):
        table.add_column(column, justify="left" if column == "computation" else "right")
    for row in rows:
        table.add_row(*row)
    console = Console()
    console.print(table)
    for key, value in info.items():
        console.print(f"  [bold]{key}[/bold]: {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20191112)
    args = parser.parse_args(argv)

    obs = synthetic_network(args.stations, args.days, args.seed)
    arrays = {name: obs[name].values for name in obs.data_vars}
    t_hourly, hourly = best_of(args.repeat, lambda: hourly_aqi(obs))
    ours = hourly["aqi"].values.copy()
    del hourly
    t_daily, daily = best_of(args.repeat, lambda: daily_aqi(obs))
    n_days = int(daily["aqi"].notnull().sum())
    del daily
    t_bare, bare = best_of(args.repeat, lambda: bare_hourly(arrays))
    if not np.array_equal(ours, bare, equal_nan=True):
        print(
            f"MISMATCH: engine and bare numpy differ at {int((ours != bare).sum())} values", file=sys.stderr
        )
        return 1
    rows = [
        ("hourly_aqi (engine, xarray)", f"{t_hourly:.3f}", f"{t_hourly / t_bare:.2f}"),
        ("daily_aqi (engine, xarray)", f"{t_daily:.3f}", ""),
        ("hourly + daily (engine)", f"{t_hourly + t_daily:.3f}", ""),
        ("hourly, bare numpy", f"{t_bare:.3f}", "1.00"),
    ]
    hours = obs.sizes["time"]
    title = (
        f"VN_AQI engine: {args.stations} stations x {hours} hours x {len(arrays)} pollutants "
        f"(best of {args.repeat}; {n_days} station-days with a daily AQI)"
    )
    report(rows, machine(), title)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
