"""Bulletin rendering for N stations: content (part-of-day outlook, why, advice), HTML and text in vi and en,
JSON and a PNG card per province, as ``write_bulletin`` does at every release.

SYNTHETIC forecast documents (labelled so): N stations in P provinces, 72 hourly VN_AQI values each with a
diurnal cycle and a multi-day episode, D1–D3, and daily drivers. Side by side in one run: the part-of-day
outlook as written (plain Python) against the same computation in pandas (its first version, kept here as
the baseline), then every stage of a whole bulletin.

Usage: ``python benchmarks/bench_bulletin.py [--stations 100 1000] [--provinces 63]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bulletins.card import region_card  # noqa: E402
from bulletins.content import bulletin_content  # noqa: E402
from bulletins.outlook import OUTLOOK_HOURS, part_outlook  # noqa: E402
from bulletins.render import render_html, render_text  # noqa: E402
from forecast.aqi.categories import category_of  # noqa: E402

ISSUE = pd.Timestamp("2026-11-22T12:00Z")
TZ = "Asia/Ho_Chi_Minh"
FAMILIES = ("inversion_stability", "wind_ventilation", "rain", "humidity", "recent_observations", "climatology")


def synthetic_document(n_station: int, n_province: int, seed: int = 1) -> dict:
    """A SYNTHETIC forecast document (forecast.json shape) of ``n_station`` stations."""
    rng = np.random.default_rng(seed)
    valid = [(ISSUE + pd.Timedelta(hours=k)).tz_convert(TZ) for k in range(1, 73)]
    dates = ["2026-11-23", "2026-11-24", "2026-11-25"]
    stations = []
    for i in range(n_station):
        level = rng.uniform(40, 220)
        hours = np.arange(1, 73)
        aqi = np.clip(level * (1 + 0.35 * np.sin(2 * np.pi * (hours + 6) / 24)) * (1 + hours / 100), 5, 500)
        cats = category_of(aqi)
        daily_aqi = [int(aqi[k * 24 : (k + 1) * 24].mean()) for k in range(3)]
        daily_cat = category_of(np.array(daily_aqi, float))
        stations.append({
            "id": f"syn-{i:05d}", "name_vi": f"Trạm mô phỏng {i}", "name_en": f"Synthetic station {i}",
            "province": f"Tỉnh {i % n_province:02d}", "latitude": 16.0, "longitude": 106.0, "observed": None,
            "status": {},
            "hourly": [{"lead": int(h), "valid_time": valid[h - 1].isoformat(), "aqi": int(a), "category": int(c)}
                       for h, a, c in zip(hours, aqi, cats, strict=True)],
            "daily": [{"day": f"D{k + 1}", "date": dates[k], "aqi": daily_aqi[k], "category": int(daily_cat[k]),
                       "dominant_pollutant": "pm25", "category_probabilities": None} for k in range(3)],
            "drivers": [{"day": f"D{k + 1}", "date": dates[k], "hours": 24, "pollutant": "pm25", "units": "µg/m³",
                         "contributions": {f: float(rng.normal(0, 8)) for f in FAMILIES},
                         "met": {"night_inversion_hours": int(rng.integers(0, 8)), "night_inversion_max_k": 2.5,
                                 "wind_mean_m_s": 1.5, "rain_total_mm": float(rng.choice([0.0, 4.0])),
                                 "ventilation_min_m2_s": 300.0, "ventilation_max_m2_s": 5000.0, "blh_min_m": 200.0,
                                 "stagnation_mean": 0.5, "rh_mean_pct": 82.0, "burning_season": True,
                                 "burning_intensity": 0.4, "met_hours": 24}} for k in range(3)],
        })  # fmt: skip
    return {"cycle": "2026-11-22T12Z", "issue_time": ISSUE.isoformat(), "synthetic": True, "stations": stations}


def part_outlook_pandas(hourly: list[dict], start: pd.Timestamp, hours: int = OUTLOOK_HOURS) -> list[tuple]:
    """Baseline: the part-of-day outlook with a DataFrame per station (the first implementation)."""
    table = pd.DataFrame({"end": pd.to_datetime([h["valid_time"] for h in hourly], utc=True),
                          "aqi": [h["aqi"] for h in hourly], "category": [h["category"] for h in hourly]})  # fmt: skip
    table["end"] = table["end"].dt.tz_convert(TZ)
    start = pd.Timestamp(start).tz_convert(TZ)
    table["part_start"] = (table["end"] - pd.Timedelta(hours=1)).dt.floor("6h")
    table = table[
        (table["part_start"] >= start.floor("6h")) & (table["part_start"] < start + pd.Timedelta(hours=hours))
    ]
    out = []
    for part_start, rows in table.groupby("part_start", sort=True):
        top = rows.loc[rows["aqi"].astype(float).idxmax()]
        out.append((part_start.isoformat(), int(top["aqi"]), int(top["category"])))
    return out


def _content(document: dict, start: pd.Timestamp):
    return bulletin_content(document, {}, reviewed=False, approved_by=None, outlook_from=start)


def _timed(fn, *args, repeat: int = 1):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--provinces", type=int, default=63)
    args = parser.parse_args()
    start = pd.Timestamp("2026-11-23T05:30+07:00")
    print(f"# bulletin benchmark — {platform.node()} {platform.processor() or platform.machine()}, "
          f"{pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC; SYNTHETIC documents")  # fmt: skip
    print("\n| stations | part-of-day outlook, pandas baseline [s] | ours [s] | speed-up | same result |")
    print("|---:|---:|---:|---:|---|")
    for n in args.stations:
        document = synthetic_document(n, args.provinces)
        hourly = [s["hourly"] for s in document["stations"]]
        base_s, base = _timed(lambda hourly=hourly: [part_outlook_pandas(h, start) for h in hourly])
        ours_s, ours = _timed(lambda hourly=hourly: [part_outlook(h, start) for h in hourly], repeat=3)
        same = all([(p.start, p.aqi, p.category) for p in o] == b for o, b in zip(ours, base, strict=True))
        print(f"| {n:,} | {base_s:.2f} | {ours_s:.3f} | {base_s / ours_s:.0f}× | {same} |")
    print("\n| stations | provinces | content [s] | HTML vi+en [s] | text vi+en [s] | JSON [s] | cards [s] "
          "| total [s] | HTML size [MB] |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.stations:
        document = synthetic_document(n, args.provinces)
        provinces = min(n, args.provinces)
        t_content, content = _timed(_content, document, start)
        t_html, pages = _timed(lambda c=content: [render_html(c, lang) for lang in ("vi", "en")])
        t_text, _ = _timed(lambda c=content: [render_text(c, lang) for lang in ("vi", "en")])
        t_json, _ = _timed(lambda c=content: json.dumps(dataclasses.asdict(c), ensure_ascii=False))
        t_cards, _ = _timed(lambda c=content: [region_card(c, r, lang) for r in c.regions for lang in ("vi", "en")])
        total = t_content + t_html + t_text + t_json + t_cards
        size = len(pages[0].encode()) / 1e6
        print(f"| {n:,} | {provinces} | {t_content:.2f} | {t_html:.2f} | {t_text:.2f} | {t_json:.2f} | "
              f"{t_cards:.2f} | **{total:.2f}** | {size:.1f} |")  # fmt: skip
        why = sum(bool(r.why.get("vi")) for r in content.regions)
        print(f"<!-- {n} stations: {why} of {len(content.regions)} provinces have a 'why' sentence -->")


if __name__ == "__main__":
    main()
