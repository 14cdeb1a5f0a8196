"""Small synthetic feature inputs shared by the feature, training and MLflow tests (labelled synthetic)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from configs.networks import Station
from features.table import FeatureInputs


def station(sid: str, lat: float = 21.02, lon: float = 105.82, tz: str = "Asia/Ho_Chi_Minh", **extra) -> Station:
    return Station(
        id=sid,
        name_vi=sid,
        name_en=sid,
        latitude=lat,
        longitude=lon,
        province="Hà Nội",
        source="synthetic test",
        time_zone=tz,
        **extra,
    )


def synthetic_inputs(
    days: int = 60, stations: int = 2, start: str = "2016-01-01T01:00", seed: int = 0, with_met: bool = True
) -> FeatureInputs:
    """SYNTHETIC hourly PM2.5/PM10 [µg/m³] and met for ``stations`` stations: a daily cycle, slow
    episodes driven by wind (calm → build-up), and noise. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    time = pd.date_range(start, periods=24 * days, freq="h")
    hours = np.arange(len(time))
    ws = 2.5 + 1.5 * np.sin(2 * np.pi * hours / (24 * 5.3)) + rng.normal(0, 0.3, len(time))
    ws = np.clip(ws, 0.2, None)
    level = np.empty(len(time))
    level[0] = 50.0
    for k in range(1, len(time)):  # calm wind accumulates, wind clears
        level[k] = max(5.0, level[k - 1] + (2.2 - ws[k]) * 2.0 + rng.normal(0, 1.0))
    diurnal = 10 * np.cos(2 * np.pi * ((time.hour + 7) % 24 - 20) / 24)
    ids = [f"syn-{k}" for k in range(stations)]
    pm25 = np.stack([level * (1 + 0.2 * k) + diurnal + rng.normal(0, 4, len(time)) for k in range(stations)])
    pm25 = np.clip(pm25, 1.0, None)
    obs = xr.Dataset(
        {"pm25": (("station", "time"), pm25), "pm10": (("station", "time"), pm25 * 1.6)},
        coords={"station": ids, "time": time.to_numpy()},
    )
    met = None
    if with_met:
        t2m = 20 + 5 * np.sin(2 * np.pi * (time.hour.to_numpy() - 3) / 24)
        met = xr.Dataset(
            {
                "t2m": (("station", "time"), np.tile(t2m, (stations, 1))),
                "d2m": (("station", "time"), np.tile(t2m - 4, (stations, 1))),
                "ws10": (("station", "time"), np.tile(ws, (stations, 1))),
                "wd10": (("station", "time"), np.full((stations, len(time)), 45.0)),
                "tp": (("station", "time"), np.zeros((stations, len(time)))),
                "sp": (("station", "time"), np.full((stations, len(time)), 1010.0)),
            },
            coords={"station": ids, "time": time.to_numpy()},
        )
    return FeatureInputs(
        observations=obs, stations=[station(sid, lat=21.0 + 0.05 * k) for k, sid in enumerate(ids)], met=met
    )
