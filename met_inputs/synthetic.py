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

from configs.networks import Network, Station, StationRegistry, haversine_km

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


def demo_network(registry: StationRegistry, source_network: str = "vietnam", with_weather: bool = False) -> Network:
    """A synthetic copy of the air-quality stations of ``source_network`` (ids ``demo-…``).

    With ``with_weather`` the network also holds synthetic twins of the network's weather stations in
    the same cities (``demo-vvnb-noibai`` …, which observe met), and each air-quality twin takes the
    nearest of them as its ``met_station``, so synthetic met never mixes with a real station's record.
    """
    weather = [
        s
        for s in registry.stations(network=source_network, kind="weather")
        if with_weather and s.province in CITY_CLIMATE
    ]

    def twin(s: Station, kind: str, **extra) -> Station:
        return Station(
            id=f"demo-{s.id}",
            name_vi=f"{s.name_vi} (mô phỏng)",
            name_en=f"{s.name_en} (synthetic)",
            latitude=s.latitude,
            longitude=s.longitude,
            elevation_m=s.elevation_m,
            province=s.province,
            kind=kind,
            station_type=s.station_type,
            time_zone=s.time_zone,
            source=SYNTHETIC_LABEL,
            coordinates_approximate=s.coordinates_approximate,
            notes=f"Synthetic twin of {s.id} for the demo.",
            **extra,
        )

    weather_twins = [twin(s, "weather", observes_met=True) for s in weather]

    def met_station(station: Station) -> str | None:
        if not weather_twins:
            return None
        return min(
            weather_twins,
            key=lambda w: haversine_km(station.latitude, station.longitude, w.latitude, w.longitude),
        ).id

    stations = [
        twin(s, "air_quality", sensor_type=s.sensor_type, met_station=met_station(s))
        for s in registry.stations(network=source_network, kind="air_quality")
        if s.province in CITY_CLIMATE
    ]
    return Network(
        name="demo",
        description=f"{SYNTHETIC_LABEL}: twins of the {source_network} network.",
        stations=[*stations, *weather_twins],
    )


def _local_hour(time_utc: pd.DatetimeIndex, tz: str) -> np.ndarray:
    return time_utc.tz_convert(tz).hour.to_numpy()


def _stagnation_days(n_days: int, climate: CityClimate, rng: np.random.Generator) -> np.ndarray:
    """Daily episode multiplier: grows while air stagnates, collapses when a front or rain clears it."""
    return _stagnation_chain(n_days, climate, rng)[0]


def _stagnation_chain(
    n_days: int, climate: CityClimate, rng: np.random.Generator, state: tuple[float, bool] = (1.0, False)
) -> tuple[np.ndarray, np.ndarray, tuple[float, bool]]:
    """The episode Markov chain: daily multiplier, daily stagnant flag, and the state to continue from."""
    level = np.empty(n_days)
    stagnant_days = np.zeros(n_days, dtype=bool)
    current, stagnant = state
    for day in range(n_days):
        stay = rng.random() < climate.stagnation_persistence
        stagnant = stagnant if stay else not stagnant
        current = min(current * climate.episode_growth_per_day, 6.0) if stagnant else max(current * 0.5, 0.7)
        level[day] = current
        stagnant_days[day] = stagnant
    return level, stagnant_days, (current, stagnant)


EXTRA_DAYS = 4
"""Days the episode calendar runs on after the last observation: the 72 h a forecast of that time covers."""
SMOOTHING_HOURS = 12
"""Episodes build and clear gradually: daily values are smoothed over 12 h when spread over the hours."""


@dataclass(frozen=True)
class EpisodeCalendar:
    """The seeded stagnation-episode calendar behind every synthetic input of one demo.

    Observations (:func:`synthetic_observations`), observed met, NWP and CTM files
    (:mod:`met_inputs.synthetic_grib`) all read it, so that calm air, low boundary layers, surface
    inversions, high CTM PM and high observed PM come on the same days. Day ``k`` is the 24 hours
    from ``start_utc + 24 k h`` (hour-ending, UTC); the first ``obs_hours`` hours are the observed
    period, the calendar runs :data:`EXTRA_DAYS` days beyond it (the forecast period).

    Attributes
    ----------
    start_utc : pandas.Timestamp
        First hour of the calendar (hour-ending, UTC).
    obs_hours : int
        Hours of synthetic observations (they end at ``start_utc + obs_hours − 1 h``).
    levels : dict
        Province → daily PM multiplier [1] (grows under stagnation, halves when air clears).
    stagnant : dict
        Province → daily flag, True on stagnant days (calm, dry, inversions).
    """

    start_utc: pd.Timestamp
    obs_hours: int
    levels: dict[str, np.ndarray]
    stagnant: dict[str, np.ndarray]

    @property
    def hours(self) -> int:
        """Hours covered by the calendar."""
        return len(next(iter(self.levels.values()))) * 24

    @property
    def times(self) -> pd.DatetimeIndex:
        """Every hour of the calendar (hour-ending, UTC)."""
        return pd.date_range(self.start_utc, periods=self.hours, freq="h")

    def hourly(self, daily: np.ndarray) -> np.ndarray:
        """A daily series spread over the hours and smoothed over :data:`SMOOTHING_HOURS`."""
        kernel = np.ones(SMOOTHING_HOURS) / SMOOTHING_HOURS
        return np.convolve(np.repeat(np.asarray(daily, dtype=float), 24), kernel, mode="same")

    def regime(self, province: str) -> np.ndarray:
        """Hourly PM multiplier of a province's city over the whole calendar."""
        return self.hourly(self.levels[province])

    def index(self, times) -> np.ndarray:
        """Hour index of ``times`` (UTC, on the hour) in the calendar; ``ValueError`` outside it."""
        stamps = pd.DatetimeIndex(pd.to_datetime(times))
        stamps = stamps.tz_localize("UTC") if stamps.tz is None else stamps.tz_convert("UTC")
        offset = (stamps - self.start_utc) / pd.Timedelta(hours=1)
        index = np.asarray(offset, dtype=float)
        if len(index) and (np.any(index < 0) or np.any(index >= self.hours) or np.any(index != np.round(index))):
            raise ValueError(
                f"times {stamps.min()} … {stamps.max()} lie outside the synthetic episode calendar "
                f"{self.times[0]} … {self.times[-1]} (or are not on the hour)"
            )
        return index.astype(int)


def _calendar(
    rng: np.random.Generator, end_utc: pd.Timestamp, days: int, seed: int, extra_days: int
) -> EpisodeCalendar:
    """The calendar of :func:`synthetic_observations`, drawn from ``rng`` first (as it always has been);
    the days after the observations come from a second stream so that they never change the first."""
    end_utc = pd.Timestamp(end_utc).tz_convert("UTC")
    levels: dict[str, np.ndarray] = {}
    stagnant: dict[str, np.ndarray] = {}
    states: dict[str, tuple[float, bool]] = {}
    for province, climate in CITY_CLIMATE.items():
        levels[province], stagnant[province], states[province] = _stagnation_chain(days + 1, climate, rng)
    for k, (province, climate) in enumerate(CITY_CLIMATE.items()):
        more = max(extra_days - 1, 0)
        if more:
            level, flags, _ = _stagnation_chain(more, climate, np.random.default_rng([seed, 1, k]), states[province])
            levels[province] = np.r_[levels[province], level]
            stagnant[province] = np.r_[stagnant[province], flags]
    start = end_utc - pd.Timedelta(hours=days * 24 - 1)
    return EpisodeCalendar(start_utc=start, obs_hours=days * 24, levels=levels, stagnant=stagnant)


def episode_calendar(
    end_utc: pd.Timestamp, days: int = 45, seed: int = 20261122, extra_days: int = EXTRA_DAYS
) -> EpisodeCalendar:
    """The episode calendar :func:`synthetic_observations` uses for the same ``end_utc``, ``days`` and
    ``seed``, continued ``extra_days`` days beyond ``end_utc`` for the forecast period."""
    return _calendar(np.random.default_rng(seed), end_utc, days, seed, extra_days)


def synthetic_observations(
    network: Network, end_utc: pd.Timestamp, days: int = 45, seed: int = 20261122
) -> pd.DataFrame:
    """Hourly observations for every air-quality station of ``network`` up to ``end_utc`` (hour-ending, UTC).

    Returns the long layout the service ingests: ``station_id, time, pollutant, value, unit`` with
    times as ISO 8601 strings with offset. CO is written in mg/m³ (as many Vietnamese portals report
    it) so that ingest converts it. About 2 % of hours are missing at random and one station has a
    three-day outage, as real networks do.
    """
    rng = np.random.default_rng(seed)
    end_utc = pd.Timestamp(end_utc).tz_convert("UTC")
    calendar = _calendar(rng, end_utc, days, seed, EXTRA_DAYS)
    time = pd.date_range(end=end_utc, periods=days * 24, freq="h")
    n = len(time)
    hours_local = _local_hour(time, "Asia/Ho_Chi_Minh")
    # Night-time inversion shape: PM high late evening and early morning, low mid-afternoon.
    pm_diurnal = (
        1.0 + 0.35 * np.cos(2 * np.pi * (hours_local - 22) / 24) + 0.15 * np.cos(4 * np.pi * (hours_local - 7) / 24)
    )
    traffic = (
        0.6 + 0.6 * np.exp(-0.5 * ((hours_local - 8) / 1.5) ** 2) + 0.7 * np.exp(-0.5 * ((hours_local - 19) / 2) ** 2)
    )
    sun = np.clip(np.sin(np.pi * (hours_local - 6) / 12), 0, None)
    # hourly regime of each city, smoothed over 12 h so that episodes build and clear gradually
    city_regime = {province: (climate, calendar.regime(province)[:n]) for province, climate in CITY_CLIMATE.items()}
    frames = []
    for k, station in enumerate(s for s in network.stations if s.kind == "air_quality"):
        climate, regime = city_regime[station.province]
        station_factor = rng.uniform(0.8, 1.25)
        noise = np.exp(ar1_series(n, 0.9, 0.18, rng))
        pm25 = climate.pm25_clean * station_factor * regime * pm_diurnal * noise
        values = {
            "pm25": pm25,
            "pm10": pm25 * rng.uniform(1.45, 1.9) * np.exp(ar1_series(n, 0.7, 0.08, rng)),
            "no2": 28 * station_factor * traffic * regime**0.5 * np.exp(ar1_series(n, 0.8, 0.15, rng)),
            "o3": (20 + 95 * sun * rng.uniform(0.8, 1.2) / regime**0.2) * np.exp(ar1_series(n, 0.8, 0.12, rng)),
            "so2": 9 * station_factor * regime**0.4 * np.exp(ar1_series(n, 0.9, 0.2, rng)),
            "co": (700 + 14 * pm25) * traffic**0.5 * np.exp(ar1_series(n, 0.8, 0.1, rng)) / 1000.0,  # mg/m³
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


def ar1_series(n: int, phi: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) series of length ``n`` with lag-1 correlation ``phi`` and std ``sigma``."""
    shocks = rng.normal(0.0, sigma * np.sqrt(1 - phi**2), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sigma)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out
