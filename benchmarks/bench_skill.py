"""Skill of the LightGBM corrector on real archives, next to persistence and climatology.

Trains on the start of each archive, hindcasts a held-out year issue by issue (only observations
before each issue) and prints, per pollutant and lead window, the RMSE of the 24 h means of
persistence (mean of the last 24 h observed), climatology and LightGBM, their ratios, and the daily
VN_AQI category scores — for the met modes asked for. ``perfect`` uses the observed met at the valid
time: perfect prognosis, an upper bound.

Cases (held-out years are the last year each archive has; the issue's own split trains to
2015-12-31 / 2018-09-30 and tests on data we do not have):

* beijing: 12 UCI stations, train 2013-03 … 2014-12-31, validate to 2015-02-28, test 2015-03-01 … 2016-02-26
* hanoi:   US Embassy Hanoi + Noi Bai weather, train … 2017-10-31, validate to 2017-12-31, test 2018
* hcmc:    US Consulate HCMC (no weather: ``none``), train … 2016-10-31, validate to 2016-12-31, test 2017

Usage::

    python benchmarks/bench_skill.py --case beijing --met perfect --met perturbed --met none --pollutant pm25
    python benchmarks/bench_skill.py --case hanoi --met perfect --met none

Needs ../shared/data beside the checkout. Results are appended to benchmarks/results/skill.jsonl.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from configs.networks import registry_for_home  # noqa: E402
from configs.settings import HomeLayout  # noqa: E402
from met_inputs.observations import ObservationArchive  # noqa: E402
from training.comparison import hindcast_models  # noqa: E402
from training.experiment import verify_hindcast  # noqa: E402
from training.hindcast import rolling_issue_times  # noqa: E402
from training.lightgbm import BoosterSettings  # noqa: E402
from training.pipeline import TrainingPlan, train  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Case:
    files: tuple[str, ...]
    stations: tuple[str, ...] | None
    network: str | None
    train_from: str
    train_to: str
    valid_to: str
    test_from: str
    test_to: str


CASES = {
    "beijing": Case(("beijing_multisite",), None, "beijing", "2013-03-10", "2014-12-31", "2015-02-28",
                    "2015-03-01", "2016-02-26"),
    "hanoi": Case(("vn_usembassy_pm25/hanoi_chuvanan", "vn_usembassy_pm25/hanoi_kikyou21", "hanoi_weather_noibai"),
                  ("us-embassy-hanoi",), None, "2015-12-20", "2017-10-31", "2017-12-31", "2018-01-01", "2018-12-28"),
    "hcmc": Case(("vn_usembassy_pm25/hcmc_RoesM",), ("us-consulate-hcmc",), None, "2016-02-20", "2016-10-31",
                 "2016-12-31", "2017-01-01", "2017-12-28"),
}  # fmt: skip
TARGETS = {  # (case, met): (D1 ratio, D3 ratio) upper bounds for PM2.5 24 h means vs persistence
    ("beijing", "perfect"): (0.50, 0.50),
    ("beijing", "perturbed"): (0.60, 0.65),
    ("beijing", "none"): (0.78, 0.75),
    ("hanoi", "perfect"): (0.65, 0.55),
    ("hanoi", "none"): (0.85, 0.78),
}


def ingest(home: Path, case: Case) -> list[str]:
    layout = HomeLayout(home)
    registry = registry_for_home(layout.networks)
    archive = ObservationArchive(layout, registry)
    archive.ingest([DATA / f for f in case.files], registry)
    status = archive.status()
    ids = sorted(set(status["station_id"]))
    if case.network:
        members = {s.id for s in registry.stations(case.network)}
        ids = [i for i in ids if i in members]
    if case.stations:
        ids = [i for i in ids if i in case.stations]
    return ids


def run_case(name: str, case: Case, met: str, pollutants: list[str], home: Path, stations, settings) -> dict:
    plan = TrainingPlan(
        pollutants=pollutants, stations=stations, met_mode=met,
        train_from=pd.Timestamp(case.train_from, tz="UTC"), train_to=pd.Timestamp(case.train_to, tz="UTC"),
        valid_to=pd.Timestamp(case.valid_to, tz="UTC"), issue_hours=(0, 12), lead_stride=3,
    )  # fmt: skip
    started = time.perf_counter()
    result = train(home, plan, settings=settings)
    train_s = time.perf_counter() - started
    issues = rolling_issue_times(case.test_from, case.test_to, (0,))
    started = time.perf_counter()
    table = hindcast_models(home, result.models, issues, stations)
    hindcast_s = time.perf_counter() - started
    report = verify_hindcast(table, home)
    summary = report.summary()
    cats = report.daily_categories
    by_lead = report.by_lead[(report.by_lead["pairing"] == "common")]
    rows = []
    for _, row in summary.iterrows():
        rows.append({k: (None if pd.isna(v) else v) for k, v in row.items()})
    lead_check = {}
    for p in pollutants:
        lead = by_lead[by_lead["pollutant"] == p].pivot(index="group", columns="method", values="rmse")
        if "climatology" in lead:
            lead_check[p] = float((lead["forecast"] - lead["climatology"]).max())
    categories = cats[(cats["method"] == "forecast")][
        ["pollutant", "day", "n", "accuracy", "accuracy_within_1", "pod_ge101", "far_ge101", "csi_ge101",
         "pod_ge151", "far_ge151", "csi_ge151"]
    ]  # fmt: skip
    coverage = report.probabilistic[report.probabilistic["group_kind"] == "window"][
        ["pollutant", "group", "coverage_10_90", "crps_quantile"]
    ]
    return {
        "case": name, "met": met, "pollutants": pollutants, "stations": len(stations),
        "train_s": round(train_s, 1), "hindcast_s": round(hindcast_s, 1),
        "best_iterations": {p: r.best_iterations for p, r in result.reports.items()},
        "blend_weights": {p: r.blend_weights for p, r in result.reports.items()},
        "summary": rows, "categories": categories.to_dict(orient="records"),
        "coverage": coverage.to_dict(orient="records"),
        "max_excess_rmse_vs_climatology_by_lead": lead_check,
    }  # fmt: skip


def print_result(res: dict) -> None:
    print(f"\n## {res['case']} — met {res['met']}" + (" (perfect prognosis: upper bound)" if res["met"] == "perfect"
          else "") + f" — train {res['train_s']} s, hindcast {res['hindcast_s']} s")  # fmt: skip
    print("| pollutant | window | n | persistence | climatology | LightGBM | ratio vs pers. | ratio vs clim. |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in res["summary"]:
        print(f"| {r['pollutant']} | {r['window']} | {r['n']} | {r['rmse_persistence']:.1f} | "
              f"{r['rmse_climatology']:.1f} | {r['rmse_forecast']:.1f} | {r['rmse_ratio_vs_persistence']:.3f} | "
              f"{r['rmse_ratio_vs_climatology']:.3f} |")  # fmt: skip
    print("| pollutant | day | n | exact | ±1 | POD≥101 | FAR≥101 | CSI≥101 | POD≥151 | CSI≥151 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in res["categories"]:
        f = lambda v: "-" if v is None or pd.isna(v) else f"{v:.2f}"  # noqa: E731
        print(f"| {c['pollutant']} | {c['day']} | {c['n']} | {f(c['accuracy'])} | {f(c['accuracy_within_1'])} | "
              f"{f(c['pod_ge101'])} | {f(c['far_ge101'])} | {f(c['csi_ge101'])} | {f(c['pod_ge151'])} | "
              f"{f(c['csi_ge151'])} |")  # fmt: skip
    cov = ", ".join(f"{c['pollutant']} {c['group']}: {c['coverage_10_90']:.2f}" for c in res["coverage"])
    print(f"10–90 % coverage: {cov}")
    print(f"max (LightGBM − climatology) hourly RMSE over leads: {res['max_excess_rmse_vs_climatology_by_lead']}")
    for (case, met), (d1, d3) in TARGETS.items():
        if case == res["case"] and met == res["met"]:
            pm = {r["window"]: r["rmse_ratio_vs_persistence"] for r in res["summary"] if r["pollutant"] == "pm25"}
            if pm:
                ok1, ok3 = pm["1-24 h"] <= d1, pm["49-72 h"] <= d3
                print(f"target PM2.5: D1 {pm['1-24 h']:.3f} ≤ {d1} {'met' if ok1 else 'MISSED'}; "
                      f"D3 {pm['49-72 h']:.3f} ≤ {d3} {'met' if ok3 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES), required=True)
    parser.add_argument("--met", action="append", choices=["perfect", "perturbed", "none"])
    parser.add_argument("--pollutant", action="append")
    parser.add_argument("--home", type=Path, help="reuse an ingested home (default: a fresh temporary one)")
    parser.add_argument("--mean-weight-power", type=int, default=None)
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE",
        help="override a BoosterSettings field, e.g. --set num_leaves=255 (repeatable)",
    )  # fmt: skip
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results" / "skill.jsonl")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"needs {DATA}")
    settings = BoosterSettings()
    if args.mean_weight_power is not None:
        settings.mean_weight_power = args.mean_weight_power
    overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        if not hasattr(settings, name):
            sys.exit(f"--set {item}: BoosterSettings has no field {name!r}")
        kind = type(getattr(settings, name))
        overrides[name] = (value.lower() in ("1", "true", "yes")) if kind is bool else kind(value)
        setattr(settings, name, overrides[name])
    machine = f"{platform.machine()}, {platform.python_version()}, {__import__('os').cpu_count()} cores"
    print(f"# skill benchmark — {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC — {machine}")
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.case:
            case = CASES[name]
            home = args.home or Path(scratch) / name
            stations = ingest(home, case)
            mets = args.met or (["none"] if name == "hcmc" else ["perfect", "none"])
            for met in mets:
                res = run_case(name, case, met, args.pollutant or ["pm25"], home, stations, settings)
                res["machine"], res["date"] = machine, f"{pd.Timestamp.now(tz='UTC'):%Y-%m-%d}"
                res["mean_weight_power"] = settings.mean_weight_power
                res["settings_overrides"] = overrides
                print_result(res)
                args.results.parent.mkdir(parents=True, exist_ok=True)
                plain = json.dumps(res, default=lambda o: o.item() if isinstance(o, np.generic) else str(o))
                with args.results.open("a") as fh:
                    fh.write(plain + "\n")


if __name__ == "__main__":
    main()
