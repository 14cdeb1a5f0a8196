"""Skill of the corrector families (LightGBM, LSTM, their blend) on real archives, next to persistence and climatology.

Trains on the start of each archive, hindcasts a held-out year issue by issue (only observations
before each issue) and prints, per pollutant and lead window, the RMSE of the 24 h means of
persistence (mean of the last 24 h observed), climatology and each corrector family, their ratios,
and the daily VN_AQI category scores — for the met modes asked for. ``perfect`` uses the observed met
at the valid time: perfect prognosis, an upper bound.

Families (``--model``, repeatable; default all three when ``import torch`` works, else LightGBM only):

* ``lightgbm``: :func:`training.pipeline.train` (its validation-block hindcast feeds the blend);
* ``lstm``: :func:`training.families.train_lstm` on the same plan, as ``vnaqi train --model lstm`` fits it (same
  training and validation issues, climatology fitted on the training period only, ``FeatureSpec(met_mode=met)``),
  ``SequenceSettings()`` (``--lstm-quick``: ``SequenceSettings.quick()``, a smoke run only);
* ``blend`` (implies both): :func:`training.families.train_blend`, as ``vnaqi train --model blend`` fits it —
  weights on the two validation hindcasts, the interval offset on those and both families' hindcasts of the
  months they held out of training (never the test year) — applied to the two test hindcasts with
  :meth:`forecast.blend.ModelBlend.combine`.

With more than one family the lead-window, coverage and category tables score every family on the
same rows (those all families forecast, observation and references from the LightGBM rows), and the
day table is :func:`training.blend.compare_on_test` (local days D1–D3, common pairs).

Cases (held-out years are the last year each archive has; the issue's own split trains to
2015-12-31 / 2018-09-30 and tests on data we do not have):

* beijing: 12 UCI stations, train 2013-03 … 2014-12-31, validate to 2015-02-28, test 2015-03-01 … 2016-02-26
* hanoi:   US Embassy Hanoi + Noi Bai weather, train … 2017-10-31, validate to 2017-12-31, test 2018
* hcmc:    US Consulate HCMC (no weather: ``none``), train … 2016-10-31, validate to 2016-12-31, test 2017

Usage::

    python benchmarks/bench_skill.py --case beijing --met perfect --met perturbed --met none --pollutant pm25
    python benchmarks/bench_skill.py --case hanoi --met perfect --met none
    python benchmarks/bench_skill.py --case beijing --met perfect --model lightgbm
    python benchmarks/bench_skill.py --case hcmc --lstm-quick --results /tmp/smoke.jsonl   # smoke run

Needs ../shared/data beside the checkout. Results are appended to benchmarks/results/skill.jsonl
(``--results`` for another file; smoke runs should not go to the real one).
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
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from configs.networks import registry_for_home  # noqa: E402
from configs.settings import HomeLayout  # noqa: E402
from forecast.blend import KEY_COLUMNS, VALUE_COLUMNS, align_rows  # noqa: E402
from met_inputs.observations import ObservationArchive  # noqa: E402
from training.blend import BLEND_METHOD, compare_on_test  # noqa: E402
from training.comparison import hindcast_models  # noqa: E402
from training.experiment import tz_by_station, verify_hindcast  # noqa: E402
from training.families import train_blend, train_lstm  # noqa: E402
from training.hindcast import ArchiveSource, rolling_issue_times  # noqa: E402
from training.lightgbm import BoosterSettings  # noqa: E402
from training.pipeline import TrainingPlan, train  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
MODELS = ("lightgbm", "lstm", "blend")
LABELS = {"lightgbm": "LightGBM", "lstm": "LSTM", "blend": "blend"}
BLEND_COVERAGE = (0.75, 0.85)
"""Target band of the blend's 10–90 % interval coverage on every lead window."""
REFERENCES = ("observed", "persistence", "climatology")


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
    archive.ingest([DATA / f for f in case.files], registry)  # files already ingested (same SHA-256) are skipped
    status = archive.status()
    ids = sorted(set(status["station_id"]))
    if case.network:
        members = {s.id for s in registry.stations(case.network)}
        ids = [i for i in ids if i in members]
    if case.stations:
        ids = [i for i in ids if i in case.stations]
    return ids


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except Exception:  # noqa: BLE001 — ImportError or a broken install: either way no LSTM
        return False
    return True


def chosen_models(asked: list[str] | None, has_torch: bool) -> list[str]:
    """Families to run, in :data:`MODELS` order (``blend`` brings both components)."""
    if not asked:
        if has_torch:
            return list(MODELS)
        print("note: `import torch` fails here, so only LightGBM runs (the LSTM and the blend need torch)")
        return ["lightgbm"]
    wanted = set(asked) | ({"lightgbm", "lstm"} if "blend" in asked else set())
    if "lstm" in wanted and not has_torch:
        sys.exit("--model lstm/blend need torch, and `import torch` fails here")
    return [m for m in MODELS if m in wanted]


def finite_rows(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[np.isfinite(rows["forecast"].to_numpy(dtype=float))].reset_index(drop=True)


# --- the fits ------------------------------------------------------------------------------------
def fit_lstm(home: Path, plan: TrainingPlan, settings) -> dict:
    """The LSTM on ``plan`` as ``vnaqi train --model lstm`` fits it (:func:`training.families.train_lstm`:
    climatology fitted on the training period only) and its validation-block rows."""
    family = train_lstm(home, plan, settings=settings)
    source = ArchiveSource(Path(home), tuple(plan.stations), None, family.model.spec.uses_met)
    return {"model": family.model, "family": family, "source": source, "valid": family.valid_hindcast,
            "train_s": family.seconds, "valid_rows_s": 0.0}  # fmt: skip


# --- scoring -------------------------------------------------------------------------------------
def same_rows(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each family's rows restricted to the keys where every family has a finite forecast, with the
    observation and the references of the first family (so every verification scores the same pairs)."""
    if len(frames) == 1:
        return dict(frames)
    names = list(frames)
    aligned = align_rows(frames, names)
    keep = np.logical_and.reduce([np.isfinite(aligned.column(n, "forecast")) for n in names])
    keys = aligned.keys[keep].reset_index(drop=True)
    out = {}
    for name in names:
        table = keys.copy()
        for k, column in enumerate(VALUE_COLUMNS):
            table[column] = aligned.values[name][keep, k]
        for column, values in aligned.extra.items():
            table[column] = values[keep]
        out[name] = table
    return out


def reference_gaps(first: pd.DataFrame, second: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Where two families' rows share a key: the largest |difference| of observed / persistence /
    climatology, and how many rows have the value in one and NaN in the other (they should agree)."""
    keys = list(KEY_COLUMNS)
    a, b = (f[[*keys, *(c for c in REFERENCES if c in f)]].copy() for f in (first, second))
    for f in (a, b):
        f["issue_time"] = f["issue_time"].dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
        f["station_id"], f["pollutant"] = f["station_id"].astype(str), f["pollutant"].astype(str)
        f["lead_h"] = f["lead_h"].astype(np.int64)
    both = a.merge(b, on=keys, suffixes=("_a", "_b"))
    out = {}
    for column in REFERENCES:
        if f"{column}_a" not in both or f"{column}_b" not in both:
            continue
        x, y = both[f"{column}_a"].to_numpy(dtype=float), both[f"{column}_b"].to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        out[column] = {
            "rows": int(len(both)),
            "max_abs_diff": float(np.max(np.abs(x[ok] - y[ok]))) if ok.any() else float("nan"),
            "nan_in_one_only": int((np.isfinite(x) != np.isfinite(y)).sum()),
        }
    return out


def scores(table: pd.DataFrame, home: Path, pollutants: list[str]) -> dict:
    """Window-mean summary, daily categories, coverage by window and the by-lead check of one family's rows."""
    report = verify_hindcast(table, home)
    summary = report.summary()
    cats = report.daily_categories
    by_lead = report.by_lead[(report.by_lead["pairing"] == "common")]
    rows = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for _, row in summary.iterrows()]
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
        ["pollutant", "group", "n", "coverage_10_90", "mean_width", "crps_quantile"]
    ]
    return {
        "summary": rows, "categories": categories.to_dict(orient="records"),
        "coverage": coverage.to_dict(orient="records"), "max_excess_rmse_vs_climatology_by_lead": lead_check,
    }  # fmt: skip


def blend_targets(comparison: list[dict], coverage: list[dict]) -> dict:
    """PM2.5: does the blend beat the better single family on D2 and D3 (compare_on_test), and does its
    10–90 % interval cover within :data:`BLEND_COVERAGE` on every lead window?"""
    out: dict = {}
    days = {r["day"]: r for r in comparison if r["pollutant"] == "pm25"}
    if all(d in days for d in ("D2", "D3")):
        out["days"] = {}
        for d in ("D2", "D3"):
            r = days[d]
            best = min(r["lightgbm"], r["lstm"])
            out["days"][d] = {"blend": r[BLEND_METHOD], "better_single": best,
                              "better_single_is": "lightgbm" if r["lightgbm"] <= r["lstm"] else "lstm",
                              "met": bool(r[BLEND_METHOD] < best)}  # fmt: skip
        out["beats_better_single_d2_d3"] = all(v["met"] for v in out["days"].values())
    windows = {r["group"]: r["coverage_10_90"] for r in coverage if r["pollutant"] == "pm25"}
    if windows:
        lo, hi = BLEND_COVERAGE
        out["coverage"] = windows
        out["coverage_within_band"] = all(lo <= v <= hi for v in windows.values())
    return out


# --- one case ------------------------------------------------------------------------------------
def run_case(
    name: str, case: Case, met: str, pollutants: list[str], home: Path, stations, settings, models: list[str],
    lstm_settings,
) -> dict:  # fmt: skip
    plan = TrainingPlan(
        pollutants=pollutants, stations=stations, met_mode=met,
        train_from=pd.Timestamp(case.train_from, tz="UTC"), train_to=pd.Timestamp(case.train_to, tz="UTC"),
        valid_to=pd.Timestamp(case.valid_to, tz="UTC"), issue_hours=(0, 12), lead_stride=3,
    )  # fmt: skip
    issues = rolling_issue_times(case.test_from, case.test_to, (0,))
    load = [round(os.getloadavg()[0], 2)]
    timings: dict[str, float] = {}
    valid: dict[str, pd.DataFrame] = {}
    test: dict[str, pd.DataFrame] = {}
    res: dict = {"case": name, "met": met, "pollutants": pollutants, "stations": len(stations), "models": models}
    if "lightgbm" in models:
        started = time.perf_counter()
        result = train(home, plan, settings=settings)
        timings["lightgbm_train_s"] = time.perf_counter() - started
        valid["lightgbm"] = result.valid_hindcast
        started = time.perf_counter()
        test["lightgbm"] = hindcast_models(home, result.models, issues, stations)
        timings["lightgbm_hindcast_s"] = time.perf_counter() - started
        res.update(
            train_s=round(timings["lightgbm_train_s"], 1), hindcast_s=round(timings["lightgbm_hindcast_s"], 1),
            best_iterations={p: r.best_iterations for p, r in result.reports.items()},
            blend_weights={p: r.blend_weights for p, r in result.reports.items()},
        )  # fmt: skip
    if "lstm" in models:
        lstm = fit_lstm(home, plan, lstm_settings)
        timings["lstm_train_s"], timings["lstm_valid_rows_s"] = lstm["train_s"], lstm["valid_rows_s"]
        valid["lstm"] = lstm["valid"]
        started = time.perf_counter()
        inputs = lstm["source"].load(issues[0], issues[-1])
        test["lstm"] = finite_rows(lstm["model"].forecast_rows(inputs, issues, with_references=True))
        del inputs
        timings["lstm_hindcast_s"] = time.perf_counter() - started
        report = lstm["family"].fit_report
        res["lstm"] = {
            "settings": asdict(lstm_settings), "fit_report": report,
            "train_s": round(lstm["train_s"], 1), "hindcast_s": round(timings["lstm_hindcast_s"], 1),
        }  # fmt: skip
    if "blend" in models:
        started = time.perf_counter()
        blended = train_blend(result, lstm["family"], home=home)  # as `vnaqi train --model blend` does
        blend, fit_report = blended.model, blended.fit_table
        timings["blend_fit_s"] = time.perf_counter() - started
        started = time.perf_counter()
        test["blend"] = blend.combine({"lightgbm": test["lightgbm"], "lstm": test["lstm"]})
        timings["blend_hindcast_s"] = time.perf_counter() - started
        res["model_blend"] = {
            "fit_report": fit_report.to_dict(orient="records"), "fitted_on": blend.metadata.get("fitted_on"),
            "calibration": blend.metadata.get("calibration"),
            "fallbacks": test["blend"].attrs.get("fallbacks", []),
        }  # fmt: skip
    load.append(round(os.getloadavg()[0], 2))
    res["rows_valid"] = {m: len(f) for m, f in valid.items()}
    res["rows_test"] = {m: len(f) for m, f in test.items()}
    if "lightgbm" in test and "lstm" in test:
        res["reference_gaps_test"] = reference_gaps(test["lightgbm"], test["lstm"])
        res["reference_gaps_valid"] = reference_gaps(valid["lightgbm"], valid["lstm"])
    scored = same_rows(test)
    res["rows_scored"] = len(next(iter(scored.values())))
    started = time.perf_counter()
    res["families"] = {m: scores(scored[m], home, pollutants) for m in models}
    timings["verification_s"] = time.perf_counter() - started
    if "lightgbm" in models:  # the keys of the LightGBM-only lines, for comparison with older results
        res.update(res["families"]["lightgbm"])
    if "blend" in models:
        comparison = compare_on_test(
            {"lightgbm": test["lightgbm"], "lstm": test["lstm"]}, blend, tz_by_station=tz_by_station(home, stations)
        )
        res["compare_on_test"] = comparison.to_dict(orient="records")
        res["target_blend"] = blend_targets(res["compare_on_test"], res["families"]["blend"]["coverage"])
    res["timings_s"] = {k: round(v, 1) for k, v in timings.items()}
    res["load_avg_1min"] = load
    return res


# --- printing ------------------------------------------------------------------------------------
def _f(v, digits: int = 2) -> str:
    return "-" if v is None or pd.isna(v) else f"{v:.{digits}f}"


def print_summary(summary: list[dict], label: str) -> None:
    """One model's 24 h-mean RMSE by lead window next to the references (``VerificationReport.summary`` rows)."""
    print(f"| pollutant | window | n | persistence | climatology | {label} | ratio vs pers. | ratio vs clim. |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in summary:
        print(f"| {r['pollutant']} | {r['window']} | {r['n']} | {r['rmse_persistence']:.1f} | "
              f"{r['rmse_climatology']:.1f} | {r['rmse_forecast']:.1f} | {r['rmse_ratio_vs_persistence']:.3f} | "
              f"{r['rmse_ratio_vs_climatology']:.3f} |")  # fmt: skip


def print_lightgbm_only(res: dict) -> None:
    """The LightGBM-only layout (as before the other families existed)."""
    print(f"\n## {res['case']} — met {res['met']}" + (" (perfect prognosis: upper bound)" if res["met"] == "perfect"
          else "") + f" — train {res['train_s']} s, hindcast {res['hindcast_s']} s")  # fmt: skip
    print_summary(res["summary"], "LightGBM")
    print("| pollutant | day | n | exact | ±1 | POD≥101 | FAR≥101 | CSI≥101 | POD≥151 | CSI≥151 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in res["categories"]:
        print(f"| {c['pollutant']} | {c['day']} | {c['n']} | {_f(c['accuracy'])} | {_f(c['accuracy_within_1'])} | "
              f"{_f(c['pod_ge101'])} | {_f(c['far_ge101'])} | {_f(c['csi_ge101'])} | {_f(c['pod_ge151'])} | "
              f"{_f(c['csi_ge151'])} |")  # fmt: skip
    cov = ", ".join(f"{c['pollutant']} {c['group']}: {c['coverage_10_90']:.2f}" for c in res["coverage"])
    print(f"10–90 % coverage: {cov}")
    print(f"max (LightGBM − climatology) hourly RMSE over leads: {res['max_excess_rmse_vs_climatology_by_lead']}")
    print_lightgbm_target(res)


def print_lightgbm_target(res: dict) -> None:
    for (case, met), (d1, d3) in TARGETS.items():
        if case == res["case"] and met == res["met"]:
            pm = {r["window"]: r["rmse_ratio_vs_persistence"] for r in res["summary"] if r["pollutant"] == "pm25"}
            if pm:
                ok1, ok3 = pm["1-24 h"] <= d1, pm["49-72 h"] <= d3
                print(f"target PM2.5: D1 {pm['1-24 h']:.3f} ≤ {d1} {'met' if ok1 else 'MISSED'}; "
                      f"D3 {pm['49-72 h']:.3f} ≤ {d3} {'met' if ok3 else 'MISSED'}")


def print_families(res: dict) -> None:
    """The side-by-side layout: (a) lead windows, (b) local days, (c) coverage, (d) blend weights,
    (e) daily categories, (f) targets, (g) timings."""
    models, fam = res["models"], res["families"]
    names = [LABELS[m] for m in models]
    notes = {"perfect": " (perfect prognosis: upper bound)", "perturbed": " (observed met + forecast-like noise)"}
    perfect = notes.get(res["met"], "")
    print(f"\n## {res['case']} — met {res['met']}{perfect} — {', '.join(names)}")
    rows = ", ".join(f"{LABELS[m]} {n:,}" for m, n in res["rows_test"].items())
    print(f"test rows (issues 00 UTC): {rows}; scored in (a), (c), (e): {res['rows_scored']:,} rows every family "
          "forecasts, observation and references from the first family's rows")  # fmt: skip
    for label in ("test", "valid"):
        gaps = res.get(f"reference_gaps_{label}")
        if gaps:
            text = "; ".join(f"{c} max |Δ| {_f(g['max_abs_diff'], 4)}, NaN in one only {g['nan_in_one_only']}"
                             for c, g in gaps.items())  # fmt: skip
            print(f"LightGBM vs LSTM {label} rows on shared keys: {text}")

    print(f"\n### (a) RMSE of 24 h means by lead window [µg/m³] — verify() common pairs on the same rows for "
          f"{', '.join(names)} (a window counts with ≥ 18 of 24 h observed)")  # fmt: skip
    print("| pollutant | window | n | persistence | climatology | " + " | ".join(names) + " | "
          + " | ".join(f"{n} / pers." for n in names) + " |")  # fmt: skip
    print("|---|---|---:|---:|---:|" + "---:|" * (2 * len(models)))
    first = fam[models[0]]["summary"]
    same = True
    for k, r in enumerate(first):
        others = [fam[m]["summary"][k] for m in models]
        same &= all(o["n"] == r["n"] and np.isclose(o["rmse_persistence"], r["rmse_persistence"]) for o in others)
        rmse = " | ".join(f"{o['rmse_forecast']:.1f}" for o in others)
        ratio = " | ".join(f"{o['rmse_ratio_vs_persistence']:.3f}" for o in others)
        print(f"| {r['pollutant']} | {r['window']} | {r['n']} | {r['rmse_persistence']:.1f} | "
              f"{r['rmse_climatology']:.1f} | {rmse} | {ratio} |")  # fmt: skip
    print(f"(same n and persistence RMSE in every family's table: {'yes' if same else 'NO — pairs differ'})")

    if "compare_on_test" in res:
        print("\n### (b) RMSE of 24 h means by local day [µg/m³] — training.blend.compare_on_test (local days in "
              "the station's zone, common pairs over lightgbm/lstm/blend/persistence)")  # fmt: skip
        print("| pollutant | day | n | LightGBM | LSTM | blend | persistence | best |")
        print("|---|---|---:|---:|---:|---:|---:|---|")
        for r in res["compare_on_test"]:
            methods = {m: r[m] for m in ("lightgbm", "lstm", BLEND_METHOD)}
            best = min(methods, key=lambda m: methods[m] if not pd.isna(methods[m]) else np.inf)
            print(f"| {r['pollutant']} | {r['day']} | {r['n']} | {_f(r['lightgbm'], 1)} | {_f(r['lstm'], 1)} | "
                  f"{_f(r[BLEND_METHOD], 1)} | {_f(r['persistence'], 1)} | {LABELS[best]} |")  # fmt: skip
    else:
        print("\n(b) compare_on_test needs the blend (--model blend); not run")

    print("\n### (c) 10–90 % interval coverage by lead window (target 0.80) — same rows as (a); "
          "mean width [µg/m³], CRPS (quantile approx.) [µg/m³]")  # fmt: skip
    print("| pollutant | window | n | " + " | ".join(f"{n} cov." for n in names) + " | "
          + " | ".join(f"{n} width" for n in names) + " | " + " | ".join(f"{n} CRPS" for n in names) + " |")
    print("|---|---|---:|" + "---:|" * (3 * len(models)))
    for k, c in enumerate(fam[models[0]]["coverage"]):
        others = [fam[m]["coverage"][k] for m in models]
        print(f"| {c['pollutant']} | {c['group']} | {c['n']} | "
              + " | ".join(_f(o["coverage_10_90"]) for o in others) + " | "
              + " | ".join(_f(o["mean_width"], 1) for o in others) + " | "
              + " | ".join(_f(o["crps_quantile"], 2) for o in others) + " |")  # fmt: skip

    if "model_blend" in res:
        on = res["model_blend"]["fitted_on"] or {}
        print(f"\n### (d) blend (training.families.train_blend; never the test year) — weights on the validation "
              f"block (issues {on.get('issue_first')} … {on.get('issue_last')}, {on.get('rows')} rows with both "
              f"forecasts and an observation); interval offset on the "
              f"{res['model_blend'].get('calibration') or 'validation block'} (coverage columns)")  # fmt: skip
        print("| pollutant | block | n | basis | w LightGBM | w LSTM | RMSE LightGBM | RMSE LSTM | RMSE blend | "
              "coverage before | coverage after | offset |")  # fmt: skip
        print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in res["model_blend"]["fit_report"]:
            rmse = " | ".join(_f(r[f"rmse_{m}"]) for m in ("lightgbm", "lstm", "blend"))
            print(f"| {r['pollutant']} | {r['block']} | {r['n']} | {r['basis']} | {r['weight_lightgbm']:.3f} | "
                  f"{r['weight_lstm']:.3f} | {rmse} | {_f(r['coverage_before'])} | {_f(r['coverage_after'])} | "
                  f"{_f(r['interval_offset'], 3)} |")  # fmt: skip
        if res["model_blend"]["fallbacks"]:
            print(f"blend fallbacks on the test rows: {res['model_blend']['fallbacks']}")

    print("\n### (e) daily VN_AQI categories — same rows as (a)")
    print("| model | pollutant | day | n | exact | ±1 | POD≥101 | FAR≥101 | CSI≥101 | POD≥151 | CSI≥151 |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in models:
        for c in fam[m]["categories"]:
            print(f"| {LABELS[m]} | {c['pollutant']} | {c['day']} | {c['n']} | {_f(c['accuracy'])} | "
                  f"{_f(c['accuracy_within_1'])} | {_f(c['pod_ge101'])} | {_f(c['far_ge101'])} | "
                  f"{_f(c['csi_ge101'])} | {_f(c['pod_ge151'])} | {_f(c['csi_ge151'])} |")  # fmt: skip
    excess = {LABELS[m]: {p: round(v, 2) for p, v in fam[m]["max_excess_rmse_vs_climatology_by_lead"].items()}
              for m in models}  # fmt: skip
    print(f"\nmax (family − climatology) hourly RMSE over leads [µg/m³]: {excess}")

    print("\n### (f) targets")
    if "lightgbm" in models:
        print_lightgbm_target(res)
    target = res.get("target_blend", {})
    if "days" in target:
        parts = [f"{d} blend {v['blend']:.2f} vs {LABELS[v['better_single_is']]} {v['better_single']:.2f}"
                 for d, v in target["days"].items()]  # fmt: skip
        print(f"TARGET PM2.5 blend beats the better single model on D2 and D3 RMSE: {'; '.join(parts)} → "
              f"{'met' if target['beats_better_single_d2_d3'] else 'MISSED'}")  # fmt: skip
    if "coverage" in target:
        lo, hi = BLEND_COVERAGE
        text = ", ".join(f"{w} {v:.4f}" for w, v in target["coverage"].items())
        print(f"TARGET PM2.5 blend 10–90 % coverage within {lo}–{hi} on each window: {text} → "
              f"{'met' if target['coverage_within_band'] else 'MISSED'}")  # fmt: skip

    t = res["timings_s"]
    parts = []
    if "lightgbm_train_s" in t:
        parts.append(f"LightGBM train {t['lightgbm_train_s']} s (incl. validation hindcast), "
                     f"test hindcast {t['lightgbm_hindcast_s']} s")  # fmt: skip
    if "lstm_train_s" in t:
        report = res["lstm"]["fit_report"]
        parts.append(f"LSTM train {t['lstm_train_s']} s ({report['epochs_run']} epochs, best {report['best_epoch']}, "
                     f"{report['samples_train']:,} samples) + validation rows {t['lstm_valid_rows_s']} s, "
                     f"test hindcast {t['lstm_hindcast_s']} s")  # fmt: skip
    if "blend_fit_s" in t:
        parts.append(f"blend fit {t['blend_fit_s']} s, blend of the test rows {t['blend_hindcast_s']} s")
    parts.append(f"verification {t['verification_s']} s")
    print(f"\n### (g) timings: {'; '.join(parts)}; 1-min load average {res['load_avg_1min'][0]} → "
          f"{res['load_avg_1min'][1]} on {os.cpu_count()} cores (shared machine: wall times are under load)")


def print_result(res: dict) -> None:
    if res["models"] == ["lightgbm"]:
        print_lightgbm_only(res)
    else:
        print_families(res)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES), required=True)
    parser.add_argument("--met", action="append", choices=["perfect", "perturbed", "none"])
    parser.add_argument("--pollutant", action="append")
    parser.add_argument(
        "--model", action="append", choices=list(MODELS),
        help="corrector family (repeatable; blend implies lightgbm and lstm); default all three when torch imports",
    )  # fmt: skip
    parser.add_argument("--lstm-quick", action="store_true", help="SequenceSettings.quick(): smoke runs only")
    parser.add_argument("--home", type=Path, help="reuse an ingested home (default: a fresh temporary one)")
    parser.add_argument("--mean-weight-power", type=int, default=None)
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE",
        help="override a BoosterSettings field, e.g. --set num_leaves=255 (repeatable)",
    )  # fmt: skip
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results" / "skill.jsonl")
    parser.add_argument("--verbose", action="store_true", help="INFO logs (training progress) on stderr")
    args = parser.parse_args()
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
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
    models = chosen_models(args.model, torch_available())
    lstm_settings = None
    if "lstm" in models:
        from training.sequence import SequenceSettings

        lstm_settings = SequenceSettings.quick() if args.lstm_quick else SequenceSettings()
    machine = f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores"
    print(f"# skill benchmark — {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC — {machine}")
    if models != ["lightgbm"]:
        print(f"families: {', '.join(LABELS[m] for m in models)}"
              + (f"; LSTM settings {'QUICK (smoke run)' if args.lstm_quick else 'default'}: "
                 f"{asdict(lstm_settings)}" if lstm_settings else ""))  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.case:
            case = CASES[name]
            home = args.home or Path(scratch) / name
            stations = ingest(home, case)
            mets = args.met or (["none"] if name == "hcmc" else ["perfect", "none"])
            for met in mets:
                res = run_case(name, case, met, args.pollutant or ["pm25"], home, stations, settings, models,
                               lstm_settings)  # fmt: skip
                res["machine"], res["date"] = machine, f"{pd.Timestamp.now(tz='UTC'):%Y-%m-%d}"
                res["mean_weight_power"] = settings.mean_weight_power
                res["settings_overrides"] = overrides
                res["lstm_quick"] = bool(args.lstm_quick) if "lstm" in models else None
                print_result(res)
                sys.stdout.flush()
                args.results.parent.mkdir(parents=True, exist_ok=True)
                plain = json.dumps(res, default=lambda o: o.item() if isinstance(o, np.generic) else str(o))
                with args.results.open("a") as fh:
                    fh.write(plain + "\n")


if __name__ == "__main__":
    main()
