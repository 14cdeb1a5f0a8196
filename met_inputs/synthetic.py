"""Synthetic, clearly labelled inputs for the demo and tests: a Vietnamese-like network and its observations.

Nothing here is real data. Stations take the names and public coordinates of the configured Vietnamese
network with ids prefixed ``demo-`` and names suffixed "(synthetic)", so synthetic values can never be
mistaken for a real station's record. The series imitate what forecasters know of Hanoi winters:
multi-day accumulation episodes under stagnant air and night-time inversions, broken by fronts or rain,
with traffic peaks for NO2 and CO and an afternoon photochemical peak for O3. Ho Chi Minh City is cleaner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from configs.networks import Network, Station, StationRegistry

SYNTHETIC_LABEL = "SYNTHETIC demo data, not observations"


@dataclass(frozen=True)
class CityClimate:
    """Typical levels of one city [µg/m³] and its episode behaviour."""

    pm25_clean: float
    episode_growth_per_day: float
    stagnation_persistence: float


CITY_CLIMATE = {
    "Hà Nội": CityClimate(pm25_clean=35.0, episode_growth_per_day=1.35, stagnation_persistence=0.8),
    "TP. Hồ Chí Minh": CityClimate(pm25_clean=22.0, episode_growth_per_day=1.12, stagnation_persistence=0.6),
}


def demo_network(registry: StationRegistry, source_network: str = "vietnam") -> Network:
    """A synthetic copy of the air-quality stations of ``source_network`` (ids ``demo-…``)."""
    stations = [
        Station(
            id=f"demo-{s.id}",
            name_vi=f"{s.name_vi} (mô phỏng)",
            name_en=f"{s.name_en} (synthetic)",
            latitude=s.latitude,
            longitude=s.longitude,
            elevation_m=s.elevation_m,
            province=s.province,
            kind="air_quality",
            station_type=s.station_type,
            sensor_type=s.sensor_type,
            time_zone=s.time_zone,
            source=SYNTHETIC_LABEL,
            coordinates_approximate=s.coordinates_approximate,
            notes=f"Synthetic twin of {s.id} for the demo.",
        )
        for s in registry.stations(network=source_network, kind="air_quality")
        if s.province in CITY_CLIMATE
    ]
    return Network(
        name="demo",
        description=f"{SYNTHETIC_LABEL}: twins of the {source_network} network.",
        stations=stations,
    )


def _local_hour(time_utc: pd.DatetimeIndex, tz: str) -> np.ndarray:
    return time_utc.tz_convert(tz).hour.to_numpy()


def _stagnation_days(n_days: int, climate: CityClimate, rng: np.random.Generator) -> np.ndarray:
    """Daily episode multiplier: grows while air stagnates, collapses when a front or rain clears it."""
    level = np.empty(n_days)
    current = 1.0
    stagnant = False
    for day in range(n_days):
        stay = rng.random() < climate.stagnation_persistence
        stagnant = stagnant if stay else not stagnant
        current = min(current * climate.episode_growth_per_day, 6.0) if stagnant else max(current * 0.5, 0.7)
        level[day] = current
    return level


def synthetic_observations(
    network: Network, end_utc: pd.Timestamp, days: int = 45, seed: int = 20261122
) -> pd.DataFrame:
    """Hourly observations for every station of ``network`` up to ``end_utc`` (hour-ending, UTC).

    Returns the long layout the service ingests: ``station_id, time, pollutant, value, unit`` with
    times as ISO 8601 strings with offset. CO is written in mg/m³ (as many Vietnamese portals report
    it) so that ingest converts it. About 2 % of hours are missing at random and one station has a
    three-day outage, as real networks do.
    """
    rng = np.random.default_rng(seed)
    end_utc = pd.Timestamp(end_utc).tz_convert("UTC")
    time = pd.date_range(end=end_utc, periods=days * 24, freq="h")
    n = len(time)
    hours_local = _local_hour(time, "Asia/Ho_Chi_Minh")
    # Night-time inversion shape: PM high late evening and early morning, low mid-afternoon.
    pm_diurnal = (
        1.0
        + 0.35 * np.cos(2 * np.pi * (hours_local - 22) / 24)
        + 0.15 * np.cos(4 * np.pi * (hours_local - 7) / 24)
    )
    traffic = (
        0.6
        + 0.6 * np.exp(-0.5 * ((hours_local - 8) / 1.5) ** 2)
        + 0.7 * np.exp(-0.5 * ((hours_local - 19) / 2) ** 2)
    )
    sun = np.clip(np.sin(np.pi * (hours_local - 6) / 12), 0, None)
    city_regime = {}
    for province, climate in CITY_CLIMATE.items():
        daily = _stagnation_days(days + 1, climate, rng)
        # hourly regime, smoothed over 12 h so that episodes build and clear gradually
        city_regime[province] = (
            climate,
            np.convolve(np.repeat(daily, 24), np.ones(12) / 12, mode="same")[:n],
        )
    frames = []
    for k, station in enumerate(network.stations):
        climate, regime = city_regime[station.province]
        station_factor = rng.uniform(0.8, 1.25)
        noise = np.exp(_ar1(n, 0.9, 0.18, rng))
        pm25 = climate.pm25_clean * station_factor * regime * pm_diurnal * noise
        values = {
            "pm25": pm25,
            "pm10": pm25 * rng.uniform(1.45, 1.9) * np.exp(_ar1(n, 0.7, 0.08, rng)),
            "no2": 28 * station_factor * traffic * regime**0.5 * np.exp(_ar1(n, 0.8, 0.15, rng)),
            "o3": (20 + 95 * sun * rng.uniform(0.8, 1.2) / regime**0.2) * np.exp(_ar1(n, 0.8, 0.12, rng)),
            "so2": 9 * station_factor * regime**0.4 * np.exp(_ar1(n, 0.9, 0.2, rng)),
            "co": (700 + 14 * pm25) * traffic**0.5 * np.exp(_ar1(n, 0.8, 0.1, rng)) / 1000.0,  # mg/m³
        }
        for pollutant, series in values.items():
            series = np.round(series, 3 if pollutant == "co" else 1)
            missing = rng.random(n) < 0.02
            if k == 1:
                missing[n // 2 : n // 2 + 72] = True  # a three-day outage
            frame = pd.DataFrame(
                {
                    "station_id": station.id,
                    "time": time[~missing],
                    "pollutant": pollutant,
                    "value": series[~missing],
                    "unit": "mg/m3" if pollutant == "co" else "ug/m3",
                }
            )
            frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["time"] = out["time"].dt.tz_convert("Asia/Ho_Chi_Minh").map(lambda t: t.isoformat())
    return out


def _ar1(n: int, phi: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) series of length ``n`` with lag-1 correlation ``phi`` and std ``sigma``."""
    shocks = rng.normal(0.0, sigma * np.sqrt(1 - phi**2), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sigma)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out
