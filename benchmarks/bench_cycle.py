"""Full operational cycle (``vnaqi run``, inputs already on disk) for N stations × 72 h × 6 pollutants.

SYNTHETIC inputs (labelled so): N stations scattered over Vietnam, 4 days of hourly observations of the
six pollutants ingested into the archive, IFS-like NWP and CAMS-like CTM GRIB2 (0.25°, 3-hourly to 72 h)
in the cycle's inputs folder, and six registered champion correctors (one per pollutant, fixed realistic
tree counts, trained on synthetic data — their skill is meaningless, their size is not).

For each N the cycle runs as its own process under ``/usr/bin/time -v`` (wall time and peak memory);
the stage timings come from its manifest and catalogue. Target (issue 6): 1,000 stations in under 60 s
with peak memory under 4 GB, cost growing no worse than linearly.

Usage: ``python benchmarks/bench_cycle.py [--stations 100 1000 10000] [--work DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_inference import ISSUE, synthetic_inputs  # noqa: E402
from configs.schema import POLLUTANTS  # noqa: E402
from features.spec import FeatureSpec  # noqa: E402
from features.table import build_feature_table  # noqa: E402
from met_inputs.gribwrite import LatLonGrid, cams_field, ifs_field, write_grib2  # noqa: E402
from training.lightgbm import BoosterSettings, fit_corrector  # noqa: E402

CYCLE = ISSUE
GRID = LatLonGrid(north=24.0, south=8.0, west=102.0, east=110.0, step=0.25)
STEPS = list(range(0, 73, 3))
CAMS_NAMES = {"pm25": "pm2p5", "pm10": "pm10", "no2": "no2", "o3": "go3", "so2": "so2", "co": "co"}


def write_network(home: Path, n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    ids = [f"bench-{i:05d}" for i in range(n)]
    stations = [
        {"id": sid, "name_vi": f"{sid} (synthetic)", "name_en": f"{sid} (synthetic)",
         "latitude": float(rng.uniform(9, 23)), "longitude": float(rng.uniform(103, 109)), "province": "Hà Nội",
         "source": "SYNTHETIC benchmark station"}
        for sid in ids
    ]  # fmt: skip
    (home / "networks").mkdir(parents=True, exist_ok=True)
    network = {"name": "bench", "description": "SYNTHETIC benchmark network", "stations": stations}
    (home / "networks" / "bench.yaml").write_text(yaml.safe_dump(network, allow_unicode=True))
    return ids


def write_observations(home: Path, ids: list[str], days: int = 4, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    times = pd.date_range(CYCLE - pd.Timedelta(days=days) + pd.Timedelta(hours=1), CYCLE, freq="h")
    frames = []
    for k, pollutant in enumerate(POLLUTANTS):
        base = 30 * (1 + 0.3 * k) * (1 + 0.5 * np.sin(np.arange(len(times)) / 30.0))
        values = base[None, :] * rng.gamma(4.0, 0.25, (len(ids), len(times)))
        frames.append(pd.DataFrame({
            "station_id": np.repeat(ids, len(times)),
            "time": np.tile(times.strftime("%Y-%m-%dT%H:%M:%SZ"), len(ids)),
            "pollutant": pollutant, "value": values.reshape(-1).round(1), "unit": "ug/m3",
        }))  # fmt: skip
    path = home / "SYNTHETIC_observations.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def write_gridded_inputs(home: Path) -> None:
    lats = np.linspace(GRID.north, GRID.south, round((GRID.north - GRID.south) / GRID.step) + 1)
    lons = np.linspace(GRID.west, GRID.east, round((GRID.east - GRID.west) / GRID.step) + 1)
    lat, lon = np.meshgrid(lats, lons, indexing="ij")
    init = CYCLE.strftime("%Y-%m-%dT%H")
    cycle_dir = home / "inputs" / CYCLE.strftime("%Y-%m-%dT%HZ")
    (cycle_dir / "ifs").mkdir(parents=True, exist_ok=True)
    (cycle_dir / "cams").mkdir(parents=True, exist_ok=True)
    cams = []
    for step in STEPS:
        t2m = 295.0 - 0.6 * (lat - 16) + 4 * np.sin(2 * np.pi * (step + 7) / 24)
        fields = [
            ifs_field("2t", t2m, GRID, init, step), ifs_field("2d", t2m - 4, GRID, init, step),
            ifs_field("10u", np.full(lat.shape, -2.0), GRID, init, step),
            ifs_field("10v", np.full(lat.shape, 1.0), GRID, init, step),
            ifs_field("sp", np.full(lat.shape, 100800.0), GRID, init, step),
            ifs_field("msl", np.full(lat.shape, 101300.0), GRID, init, step),
            ifs_field("tcc", np.full(lat.shape, 0.5), GRID, init, step),
            ifs_field("blh", np.full(lat.shape, 600.0), GRID, init, step),
            ifs_field("tp", np.full(lat.shape, 0.0002 * step), GRID, init, step),
            ifs_field("t", t2m + 1.5, GRID, init, step, level=1000), ifs_field("gh", np.full(lat.shape, 110.0), GRID, init, step, level=1000),
            ifs_field("t", t2m - 6.0, GRID, init, step, level=850), ifs_field("gh", np.full(lat.shape, 1500.0), GRID, init, step, level=850),
        ]  # fmt: skip
        write_grib2(cycle_dir / "ifs" / f"SYNTHETIC_ifs_f{step:03d}.grib2", fields)
        cams += [cams_field(CAMS_NAMES["pm25"], np.full(lat.shape, 40e-9), GRID, init, step)]
    write_grib2(cycle_dir / "cams" / "SYNTHETIC_cams.grib2", cams)


def register_models(home: Path, mean_trees: int, quantile_trees: int) -> dict:
    """Six correctors of fixed size, registered and promoted to champion in the home's MLflow store."""
    from forecast.model_store import TrackingSettings, open_tracking
    from training.tracking import log_corrector_run

    inputs = synthetic_inputs(20, days=60, seed=1)
    spec = FeatureSpec(met_mode="perfect")
    issues = pd.date_range(ISSUE - pd.Timedelta(days=50), ISSUE - pd.Timedelta(days=8), freq="12h")
    table = build_feature_table(inputs, issues, spec)
    split = table["issue_time"] < ISSUE - pd.Timedelta(days=20)
    settings = BoosterSettings(max_rounds=mean_trees, quantile_max_rounds=quantile_trees, min_data_in_leaf=20, stopping_tolerance=0.0,
                               early_stopping_rounds=10 * max(mean_trees, quantile_trees), met_fallback=False,
                               refit_mean_on_all_rows=False, holdout_every_months=0)  # fmt: skip
    client = open_tracking(TrackingSettings().resolve(home), home)
    sizes = {}
    for p in POLLUTANTS:
        # Validated on its own training rows, so that every booster keeps (nearly) all its trees: the sizes
        # real data grow, not the synthetic data's early optimum.
        later = pd.Timedelta(days=60)  # the validation block must follow training: same rows, stamped later
        echo = table[split].assign(issue_time=table[split]["issue_time"] + later,
                                   valid_time=table[split]["valid_time"] + later)  # fmt: skip
        model = fit_corrector(table[split], echo, p, spec, settings=settings)[0]
        sizes[p] = {k: b.num_trees() for k, b in model.boosters.items()}
        name = f"vnaqi-{p}"
        _, version = log_corrector_run(
            client, home, model, params={"synthetic": True}, metrics={}, tables={}, figures={},
            feature_importance=pd.DataFrame({"feature": [], "gain": []}),
            data_period={"train_from": "2025-11-21", "train_to": "2025-12-20", "valid_to": "2026-01-01"},
            data_hash="synthetic", input_example=table[model.columns].head(3), registered_name=name,
        )  # fmt: skip
        client.set_registered_model_alias(name, "champion", version)
    return sizes


def run_cycle_process(home: Path) -> dict:
    env = {**os.environ, "VNAQI_HOME": str(home), "COLUMNS": "160"}
    command = ["/usr/bin/time", "-v", sys.executable, "-c", "from forecast.cli import app; app()", "run",
               "--cycle", CYCLE.strftime("%Y-%m-%dT%HZ")]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    hours, minutes, seconds = (float(x) if x else 0.0 for x in wall.groups())
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    manifest = json.loads((home / "products" / "latest" / "manifest.json").read_text())
    from forecast.catalogue import RunCatalogue

    stages = RunCatalogue(home_root=home).get(manifest["run_id"]).stages
    return {"wall_s": hours * 3600 + minutes * 60 + seconds, "peak_gb": rss_kb / 1024**2, "stages": stages,
            "fallbacks": [f["step"] for f in manifest["fallbacks"]]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--mean-trees", type=int, default=350)
    parser.add_argument("--quantile-trees", type=int, default=170)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-cycle-"))
    print(f"# cycle benchmark (SYNTHETIC inputs) — {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC — "
          f"{platform.machine()}, {os.cpu_count()} cores — work dir {work}")  # fmt: skip
    from configs.networks import registry_for_home
    from configs.settings import HomeLayout
    from met_inputs.observations import ObservationArchive

    rows = []
    for n in args.stations:
        home = work / f"n{n}"
        if not (home / "products" / "latest").exists():
            ids = write_network(home, n)
            csv = write_observations(home, ids)
            layout = HomeLayout(home)
            ObservationArchive(layout).ingest([csv], registry_for_home(layout.networks))
            csv.unlink()
            write_gridded_inputs(home)
            sizes = register_models(home, args.mean_trees, args.quantile_trees)
            print(f"n={n}: trees per pollutant {sizes['pm25']}", flush=True)
        result = run_cycle_process(home)
        rows.append((n, result))
        print(f"n={n}: {result}", flush=True)
    stage_names = list(rows[0][1]["stages"])
    print("| stations | wall [s] | peak RSS [GB] | " + " | ".join(f"{s} [s]" for s in stage_names) + " | s per 1,000 st. |")
    print("|---:|---:|---:|" + "---:|" * len(stage_names) + "---:|")
    for n, r in rows:
        cells = [f"{r['stages'].get(s, float('nan')):.1f}" for s in stage_names]
        print(f"| {n:,} | {r['wall_s']:.1f} | {r['peak_gb']:.2f} | " + " | ".join(cells) + f" | {r['wall_s'] / n * 1000:.1f} |")
    print(f"fallbacks taken: {sorted({f for _, r in rows for f in r['fallbacks']})}")


if __name__ == "__main__":
    main()
