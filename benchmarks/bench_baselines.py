"""Skill of the baseline forecasters on the real archive: the bar every later model must clear.

Usage::

    python benchmarks/bench_baselines.py [--data ../shared/data] [--test-days 365]

Ingests the real PM2.5 archive (US Embassy Hanoi, US Consulate HCMC, the 12 Beijing multi-site
stations) into a temporary home, then for every 00 and 12 UTC issue time of the last ``--test-days``
of each network forecasts 72 h with persistence, diurnal persistence, climatology (station × month ×
local hour, fitted on the data before the test period) and "best" (for each lead day the baseline
with the lowest RMSE on the validation period: the ``--test-days`` before the test period). Prints
RMSE, MAE and bias [µg/m³] by lead day and the 10–90 % coverage of the hindcast-error range, with
the machine and date. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from configs.networks import StationRegistry  # noqa: E402
from configs.settings import HomeLayout  # noqa: E402
from forecast.baseline_skill import LEAD_DAYS, best_by_lead_day  # noqa: E402
from forecast.baselines import BASELINES, fit_climatology  # noqa: E402
from met_inputs.observations.archive import ObservationArchive  # noqa: E402

NETWORKS = {
    "Hanoi (US Embassy)": (["vn_usembassy_pm25/hanoi_kikyou21"], ["us-embassy-hanoi"]),
    "HCMC (US Consulate)": (
        ["vn_usembassy_pm25/hcmc_RoesM"],
        ["us-consulate-hcmc"],
    ),
    "Beijing (12 sites)": (["beijing_multisite"], None),
}


def issue_times(start: pd.Timestamp, end: pd.Timestamp) -> list[pd.Timestamp]:
    times = pd.date_range(start.ceil("D"), end - pd.Timedelta(hours=72), freq="12h")
    return list(times.tz_localize("UTC") if times.tz is None else times)


def errors_by_day(
    obs: xr.Dataset, issues: list[pd.Timestamp], table: xr.Dataset
) -> dict[str, dict[str, np.ndarray]]:
    """method → lead day → errors (observed − forecast) pooled over stations and issues."""
    out: dict[str, dict[str, list[np.ndarray]]] = {m: {d: [] for d in LEAD_DAYS} for m in BASELINES}
    for issue in issues:
        for method, func in BASELINES.items():
            kwargs = {"climatology_table": table} if method == "climatology" else {}
            cube = func(obs, issue, **kwargs)
            truth = obs["pm25"].reindex(time=cube["valid_time"].values).values
            err = truth - cube["pm25"].values
            for day, (lo, hi) in LEAD_DAYS.items():
                block = err[:, lo - 1 : hi]
                out[method][day].append(block[~np.isnan(block)])
    return {m: {d: np.concatenate(v) for d, v in days.items()} for m, days in out.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--test-days", type=int, default=365)
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"real data folder {args.data} not found")
        return 1
    registry = StationRegistry.from_dir()
    print(
        f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  platform: {platform.platform()}  cpus: {os.cpu_count()}"
    )
    header = f"{'network':<22} {'method':<20} " + " ".join(
        f"{d.split()[0] + ' RMSE':>9} {'MAE':>6} {'bias':>6} {'cov':>5}" for d in LEAD_DAYS
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        archive = ObservationArchive(HomeLayout(Path(tmp)))
        for network, (paths, stations) in NETWORKS.items():
            t0 = time.perf_counter()
            archive.ingest([args.data / p for p in paths], registry)
            if stations is None:
                stations = [s.id for s in registry.stations(network="beijing", kind="air_quality") if s.observes_met]
            obs = archive.to_dataset(stations=stations, pollutants=["pm25"]).dropna("time", how="all")
            end = pd.Timestamp(obs.time.values[-1]).tz_localize("UTC")
            test_start = end - pd.Timedelta(days=args.test_days)
            valid_start = test_start - pd.Timedelta(days=args.test_days)
            fit_end = np.datetime64(valid_start.tz_localize(None))
            # validation: choose per lead day; climatology fitted before the validation period
            table_valid = fit_climatology(obs.sel(time=slice(None, fit_end)))
            valid_err = errors_by_day(obs, issue_times(valid_start, test_start), table_valid)
            # test: climatology refitted on everything before the test period
            table_test = fit_climatology(
                obs.sel(time=slice(None, np.datetime64(test_start.tz_localize(None))))
            )
            test_err = errors_by_day(obs, issue_times(test_start, end), table_test)
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a method without validation errors scores NaN
                valid_rmse = {m: {d: float(np.sqrt(np.mean(e**2))) if e.size else np.nan for d, e in days.items()}
                              for m, days in valid_err.items()}
            valid_scores = pd.DataFrame(
                [{"method": m, "lead_day": d, "rmse": r} for m, days in valid_rmse.items() for d, r in days.items()]
            )
            choice = best_by_lead_day(valid_scores)
            test_err["best"] = {d: test_err[choice[d]][d] for d in LEAD_DAYS}
            for method, days in test_err.items():
                cells = []
                for day, e in days.items():
                    src = choice[day] if method == "best" else method
                    if not e.size:
                        cells.append(f"{'n/a':>9} {'':>6} {'':>6} {'':>5}")
                        continue
                    coverage = "  n/a"  # no validation errors to take a range from
                    if valid_err[src][day].size:
                        lo, hi = np.quantile(valid_err[src][day], [0.1, 0.9])
                        coverage = f"{np.mean((e >= lo) & (e <= hi)) * 100:>4.0f}%"
                    rmse, mae, bias = np.sqrt(np.mean(e**2)), np.mean(np.abs(e)), -np.mean(e)
                    cells.append(f"{rmse:>9.1f} {mae:>6.1f} {bias:>6.1f} {coverage}")
                print(f"{network:<22} {method:<20} " + " ".join(cells))
            print(
                f"{'':<22} best = "
                + ", ".join(f"{d.split()[0]} {m}" for d, m in choice.items())
                + f"; test {test_start:%Y-%m-%d}..{end:%Y-%m-%d}, {obs.sizes['station']} station(s), "
                + f"{time.perf_counter() - t0:.0f} s"
            )
    print(
        "bias = mean(forecast − observed); cov = share of test errors inside the validation 10–90 % error range"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
