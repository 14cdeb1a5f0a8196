"""Sequence (LSTM) corrector: inference speed on SYNTHETIC inputs, and training time and skill on real data.

``--inference`` (default): one issue for N stations × 72 leads × 6 pollutants (one network forecasts all
six at once), SYNTHETIC station inputs (labelled so, from ``bench_inference.synthetic_inputs``) and a
network of the default size with **untrained** weights (the cost of inference does not depend on the
weights). Columns: building the encoder/decoder arrays (feature table included), the network in batches
under ``torch.no_grad``, the long output rows, and the total, at 1 and 2 torch threads; best of 3.
``--blend M Q`` also times the blend champion: LightGBM correctors (M mean, Q quantile trees, trained on
SYNTHETIC data) and the LSTM, each forecasting the six pollutants, combined per lead block.

``--skill beijing``: the real Beijing archive (12 stations, ``../shared/data/beijing_multisite``), the
periods of ``bench_skill.py`` (train 2013-03-10 … 2014-12-31, validate to 2015-02-28, hindcast
2015-03-01 … 2016-02-26 at 00 UTC, issue by issue): fit time, epochs, and the RMSE of the 24 h means of
leads 1–24 (D1), 25–48, 49–72 (D3) next to persistence and climatology, scored by the verification code.

Usage::

    python benchmarks/bench_lstm.py --stations 100 1000 [--blend 700 200]
    python benchmarks/bench_lstm.py --skill beijing --met perfect [--home H] [--issue-hours 0 6 12 18]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_inference import ISSUE, synthetic_inputs  # noqa: E402

from configs.schema import POLLUTANTS  # noqa: E402
from features.spec import FeatureSpec  # noqa: E402
from forecast.sequence.data import build_sequence_arrays  # noqa: E402
from forecast.sequence.model import torch_threads  # noqa: E402
from training.sequence import SequenceSettings, untrained_model  # noqa: E402

logger = logging.getLogger("bench_lstm")
DATA = ROOT.parent / "shared" / "data"


def best_of(func, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return min(times), result


def inference(stations: list[int], settings: SequenceSettings, blend_trees: tuple[int, int] | None = None) -> None:
    spec = FeatureSpec(met_mode="perfect")
    sample = synthetic_inputs(5, days=12, seed=1)
    arrays = build_sequence_arrays(sample, [ISSUE - pd.Timedelta(days=1)], spec, list(POLLUTANTS))
    model = untrained_model(arrays, spec, settings, sample.climatology)
    print(f"network: hidden {settings.hidden_size}, layers {settings.num_layers}, embedding {settings.embedding_dim}; "
          f"encoder {len(model.encoder_features)} + decoder {len(model.decoder_features)} channels (+ masks), "
          f"{len(POLLUTANTS)} pollutants × 4 outputs; UNTRAINED weights, SYNTHETIC inputs")  # fmt: skip
    print("| stations | threads | rows (× 6 pollutants) | arrays [s] | network [s] | rows [s] | total [s] |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in stations:
        inputs = synthetic_inputs(n)
        for threads in (1, 2):
            with torch_threads(threads):
                t_arrays, built = best_of(lambda inputs=inputs: model.arrays_for(inputs, [ISSUE]))
                t_network, predicted = best_of(lambda built=built: model.predict_arrays(built, warn=False))
                t_rows, rows = best_of(lambda built=built, predicted=predicted: model.rows_from(built, predicted))
                t_total, _ = best_of(lambda inputs=inputs: model.forecast_rows(inputs, [ISSUE]), repeat=1)
            print(f"| {n:,} | {threads} | {len(rows):,} | {t_arrays:.2f} | {t_network:.2f} | {t_rows:.2f} | "
                  f"**{t_total:.2f}** |")  # fmt: skip
    if blend_trees:
        blend_inference(stations, model, blend_trees)


def blend_inference(stations: list[int], lstm, trees: tuple[int, int]) -> None:
    """The champion as a blend: LightGBM (six pollutants, fixed tree counts) and the LSTM, combined per lead block."""
    from bench_inference import train_models

    from forecast.blend import CorrectorRows, ModelBlend

    lightgbm = CorrectorRows(train_models(*trees))
    half = [{"lightgbm": 0.5, "lstm": 0.5}] * 3
    blend = ModelBlend(("lightgbm", "lstm"), {p: half for p in POLLUTANTS}, forecasters={"lightgbm": lightgbm,
                       "lstm": lstm})  # fmt: skip
    print(f"\nblend: LightGBM ({trees[0]} mean + {trees[1]} quantile trees per booster, SYNTHETIC training) + the LSTM "
          "above, 2 torch threads")  # fmt: skip
    print("| stations | rows (× 6 pollutants) | LightGBM rows [s] | LSTM rows [s] | blend: both + combine [s] |")
    print("|---:|---:|---:|---:|---:|")
    for n in stations:
        inputs = synthetic_inputs(n)
        with torch_threads(2):
            t_lightgbm, _ = best_of(lambda inputs=inputs: lightgbm.forecast_rows(inputs, [ISSUE]))
            t_lstm, _ = best_of(lambda inputs=inputs: lstm.forecast_rows(inputs, [ISSUE]))
            t_blend, rows = best_of(lambda inputs=inputs: blend.forecast_rows(inputs, [ISSUE]))
        print(f"| {n:,} | {len(rows):,} | {t_lightgbm:.2f} | {t_lstm:.2f} | **{t_blend:.2f}** |")


def skill(args, settings: SequenceSettings) -> dict:
    """Train on the start of the Beijing archive, hindcast the last year, verify (real data)."""
    from bench_skill import CASES, ingest, print_summary

    from training.experiment import verify_hindcast
    from training.families import train_lstm
    from training.hindcast import ArchiveSource, rolling_issue_times
    from training.pipeline import TrainingPlan

    if not DATA.is_dir():
        sys.exit(f"needs {DATA}")
    case = CASES[args.skill]
    with tempfile.TemporaryDirectory() as scratch:
        home = args.home or Path(scratch) / args.skill
        started = time.perf_counter()
        stations = ingest(home, case)
        logger.info("ingested %d stations in %.0f s", len(stations), time.perf_counter() - started)
        plan = TrainingPlan(
            pollutants=args.pollutant, stations=stations, met_mode=args.met,
            train_from=pd.Timestamp(case.train_from, tz="UTC"), train_to=pd.Timestamp(case.train_to, tz="UTC"),
            valid_to=pd.Timestamp(case.valid_to, tz="UTC"), issue_hours=tuple(args.issue_hours),
        )  # fmt: skip
        family = train_lstm(home, plan, settings=settings)  # as `vnaqi train --model lstm` fits it
        model, report, train_s = family.model, family.fit_report, family.seconds
        source = ArchiveSource(Path(home), tuple(stations), None, model.spec.uses_met)
        issues = rolling_issue_times(case.test_from, case.test_to, (0,))
        started = time.perf_counter()
        table = model.forecast_rows(source.load(issues[0], issues[-1]), issues, with_references=True)
        hindcast_s = time.perf_counter() - started
        verification = verify_hindcast(table, home)
        summary = verification.summary()
        probabilistic = verification.probabilistic
        coverage = probabilistic[probabilistic["group_kind"] == "window"][["pollutant", "group", "coverage_10_90"]]
        if args.save:
            model.save(args.save)
            table.to_parquet(args.save / "hindcast.parquet")
    result = {
        "case": args.skill, "met": args.met, "pollutants": plan.pollutants, "stations": len(stations),
        "issue_hours": list(args.issue_hours), "settings": asdict(settings), "report": report,
        "train_s": round(train_s, 1), "hindcast_s": round(hindcast_s, 1),
        "summary": summary.to_dict(orient="records"), "coverage": coverage.to_dict(orient="records"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": f"{pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M}",
    }  # fmt: skip
    epochs, best, samples = report["epochs_run"], report["best_epoch"], report["samples_train"]
    print(f"\n## {args.skill} — met {args.met} (real data) — train {train_s:.0f} s ({epochs} epochs, best {best}, "
          f"{samples:,} samples), hindcast {hindcast_s:.0f} s")  # fmt: skip
    print_summary(result["summary"], "LSTM")
    cover = ", ".join(f"{c['pollutant']} {c['group']}: {c['coverage_10_90']:.2f}" for c in result["coverage"])
    print(f"10–90 % coverage: {cover}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--skill", choices=["beijing", "hanoi", "hcmc"])
    parser.add_argument("--met", default="perfect", choices=["perfect", "perturbed", "none"])
    parser.add_argument("--pollutant", action="append")
    parser.add_argument("--issue-hours", type=int, nargs="+", default=[0, 12])
    parser.add_argument("--home", type=Path, help="reuse an ingested home (default: a fresh temporary one)")
    parser.add_argument("--quick", action="store_true", help="SequenceSettings.quick()")
    parser.add_argument("--blend", type=int, nargs=2, metavar=("MEAN_TREES", "QUANTILE_TREES"),
                        help="also time the blend with LightGBM boosters of these sizes (e.g. 700 200)")
    parser.add_argument("--save", type=Path, help="save the model and its hindcast (parquet) in this new folder")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a setting")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results" / "lstm.jsonl")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = SequenceSettings.quick() if args.quick else SequenceSettings()
    for item in args.set:
        name, _, value = item.partition("=")
        if not hasattr(settings, name):
            sys.exit(f"--set {item}: SequenceSettings has no field {name!r}")
        settings = replace(settings, **{name: type(getattr(settings, name))(value)})
    print(f"# LSTM benchmark — {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC — {platform.machine()}, "
          f"{os.cpu_count()} cores, torch {torch.__version__}")  # fmt: skip
    if args.skill:
        args.pollutant = args.pollutant or ["pm25"]
        result = skill(args, settings)
        args.results.parent.mkdir(parents=True, exist_ok=True)
        with args.results.open("a") as fh:
            fh.write(json.dumps(result, default=str) + "\n")
    else:
        inference(args.stations, settings, tuple(args.blend) if args.blend else None)


if __name__ == "__main__":
    main()
