"""Inference speed: one cycle's features and 6 pollutant correctors for 1,000 stations × 72 leads.

SYNTHETIC inputs (labelled so): N stations with 10 days of hourly observations of the six pollutants
and observed met. The six models are trained once on synthetic data with a fixed number of trees
(``--mean-trees``, ``--quantile-trees``; defaults close to the sizes the real Beijing models reach),
so the timing reflects real model sizes, not real skill.

Side by side in one run:

* ``features``  — :func:`features.table.build_feature_table` for one issue (all stations × 72 leads);
* ``ours``      — ``CorrectorModel.predict`` of the six pollutants on that table (4 boosters each,
  ratio transform, climatology blend, quantile sorting);
* ``bare``      — LightGBM ``Booster.predict`` of the same 24 boosters on a prebuilt float64 matrix, the
  floor our wrapper adds to.

With ``--home H --model vnaqi-pm25/2`` a real registered model (e.g. the Beijing PM2.5 corrector
trained by ``vnaqi train``) is loaded and stands in for each of the six pollutants, so the timing reflects
the trees real data grow (synthetic training data stop growing trees early).

Usage: ``python benchmarks/bench_inference.py [--stations 100 1000 10000] [--home H --model vnaqi-pm25/2]``
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from configs.networks import Station  # noqa: E402
from configs.schema import POLLUTANTS  # noqa: E402
from features.climatology import fit_climatology  # noqa: E402
from features.spec import FeatureSpec  # noqa: E402
from features.table import FeatureInputs, build_feature_table  # noqa: E402
from training.lightgbm import BoosterSettings, fit_corrector  # noqa: E402

ISSUE = pd.Timestamp("2026-01-10T00:00Z")


def synthetic_inputs(n_stations: int, days: int = 10, seed: int = 0) -> FeatureInputs:
    """SYNTHETIC network of ``n_stations`` around Hanoi with hourly pollutants and met."""
    rng = np.random.default_rng(seed)
    time_axis = pd.date_range(ISSUE - pd.Timedelta(days=days), ISSUE + pd.Timedelta(hours=72), freq="h")
    n = len(time_axis)
    base = 40 + 30 * np.sin(np.arange(n) / 40.0)
    data = {}
    for k, p in enumerate(POLLUTANTS):
        noise = rng.gamma(2.0, 8.0, (n_stations, n))
        data[p] = (("station", "time"), (base[None, :] * (1 + 0.1 * k) + noise).astype(float))
    ids = [f"syn-{i:05d}" for i in range(n_stations)]
    obs = xr.Dataset(data, coords={"station": ids, "time": time_axis.tz_localize(None).to_numpy()})
    hours = time_axis.hour.to_numpy()
    met = xr.Dataset(
        {
            "t2m": (("station", "time"), np.tile(18 + 5 * np.sin(2 * np.pi * hours / 24), (n_stations, 1))),
            "d2m": (("station", "time"), np.tile(14 + 2 * np.sin(2 * np.pi * hours / 24), (n_stations, 1))),
            "ws10": (("station", "time"), rng.gamma(2.0, 1.2, (n_stations, n))),
            "wd10": (("station", "time"), rng.uniform(0, 360, (n_stations, n))),
            "tp": (("station", "time"), np.zeros((n_stations, n))),
            "sp": (("station", "time"), np.full((n_stations, n), 1012.0)),
        },
        coords=obs.coords,
    )
    stations = [
        Station(id=sid, name_vi=sid, name_en=sid, latitude=21.0 + 0.001 * i, longitude=105.8, province="Hà Nội",
                source="SYNTHETIC benchmark")  # fmt: skip
        for i, sid in enumerate(ids)
    ]
    return FeatureInputs(observations=obs, stations=stations, met=met, climatology=fit_climatology(obs))


def train_models(mean_trees: int, quantile_trees: int) -> dict:
    inputs = synthetic_inputs(20, days=60, seed=1)
    spec = FeatureSpec(met_mode="perfect")
    issues = pd.date_range(ISSUE - pd.Timedelta(days=50), ISSUE - pd.Timedelta(days=8), freq="12h")
    table = build_feature_table(inputs, issues, spec)
    split = table["issue_time"] < ISSUE - pd.Timedelta(days=20)
    patience = 10 * max(mean_trees, quantile_trees)  # no early stopping: fixed, realistic sizes
    settings = BoosterSettings(
        max_rounds=mean_trees, quantile_max_rounds=quantile_trees, early_stopping_rounds=patience, min_data_in_leaf=20
    )
    return {p: fit_corrector(table[split], table[~split], p, spec, settings=settings)[0] for p in POLLUTANTS}


def best_of(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--mean-trees", type=int, default=700)
    parser.add_argument("--quantile-trees", type=int, default=200)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--model", help="registered model reference, e.g. vnaqi-pm25/2 (with --home)")
    args = parser.parse_args()
    print(f"# inference benchmark (SYNTHETIC inputs) — {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC — "
          f"{platform.machine()}, {os.cpu_count()} cores")  # fmt: skip
    if args.model:
        from forecast.model_store import load_corrector

        real, info = load_corrector(None, args.home, args.model, "pm25")
        models = {p: real for p in POLLUTANTS}
        print(f"model: {info.name} version {info.version} (real, trained on {real.metadata.get('train_from')} … "
              f"{real.metadata.get('train_to')}), used for each of the six pollutants")  # fmt: skip
    else:
        models = train_models(args.mean_trees, args.quantile_trees)
    trees = {p: {k: b.num_trees() for k, b in m.boosters.items()} for p, m in models.items()}
    print(f"trees per pollutant: {trees['pm25']}")
    spec = models["pm25"].spec
    print("| stations | rows (×6 pollutants) | features [s] | ours: predict 6 pollutants [s] | bare LightGBM [s] | "
          "total [s] |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|")
    for n in args.stations:
        row = measure(synthetic_inputs(n), spec, models)
        print("| " + " | ".join([f"{n:,}", *row]) + " |")


def measure(inputs: FeatureInputs, spec: FeatureSpec, models: dict) -> list[str]:
    """Best-of-3 timings [s] of the feature table, our prediction and bare LightGBM."""
    t_features = best_of(lambda: build_feature_table(inputs, [ISSUE], spec, with_targets=False))
    table = build_feature_table(inputs, [ISSUE], spec, with_targets=False)
    t_ours = best_of(lambda: [m.predict(table.assign(**{f"{p}_climatology": table["pm25_climatology"]}))
                              for p, m in models.items()])  # fmt: skip
    matrices = {p: table[m.columns].to_numpy(dtype=np.float64) for p, m in models.items()}
    t_bare = best_of(lambda: [b.predict(matrices[p]) for p, m in models.items() for b in m.boosters.values()])
    return [f"{len(table):,}", f"{t_features:.2f}", f"{t_ours:.2f}", f"{t_bare:.2f}", f"{t_features + t_ours:.2f}"]


if __name__ == "__main__":
    main()
