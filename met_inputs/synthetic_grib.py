"""SYNTHETIC gridded inputs and observed met for the demo: IFS-like NWP and CAMS-like CTM GRIB2, and a
weather-station CSV, all driven by the same seeded episode calendar as the synthetic observations.

Nothing here is real data. The demo's observations (:func:`met_inputs.synthetic.synthetic_observations`)
build Hanoi-like winter episodes from a seeded calendar of stagnant days
(:func:`met_inputs.synthetic.episode_calendar`). This module turns the same calendar into the weather
that goes with it, so that a corrector can learn from met and the cycle reads consistent inputs:

* **stagnant days**: weak wind, a large diurnal temperature range under clear, humid nights, a shallow
  boundary layer (about 120 m at night in Hanoi) under warmer air aloft, so the 1000 hPa level is
  warmer than the surface at night (a surface inversion), no rain, and high CTM PM over the city;
* **the day a spell ends** (a north-east monsoon surge in Hanoi): strong northerly wind, drizzle,
  overcast, pressure rising and the air turning cooler and drier for a day or two;
* **other days**: moderate north-easterly wind, a deeper boundary layer, no inversion.

Two city climates (Hanoi in the north, Ho Chi Minh City in the south) are blended by latitude, so the
fields are smooth over the grid. What is written:

* :func:`write_synthetic_nwp`: one IFS-like GRIB2 file per step (0 … 72 h every 3 h), centre ``ecmf``,
  ``productionStatusOfProcessedData`` = 2 (research products: GRIB2 has no "synthetic" code), file
  names starting ``SYNTHETIC_``: 2t, 2d, 10u, 10v, sp, msl, tp (run total), tcc, ssrd (run total), blh,
  and t, gh, u, v on 1000/925/850 hPa — what the IFS reader, the inversion and ventilation diagnostics use.
  The forecast is the calendar's weather plus a small error growing with lead (per-cycle seed).
* :func:`write_synthetic_ctm`: one CAMS-like GRIB2 file, ``pm2p5`` and ``pm10`` [kg m-3] (CAMS
  underestimates urban PM: the city plume carries 65 % of the observed level).
* :func:`write_synthetic_met_csv`: hourly observed met of one weather station in the Visual Crossing
  layout the archive ingests (``visualcrossing`` reader), name column ``SYNTHETIC …``.
* :func:`write_perfect_prognosis_nwp`: not synthetic — an IFS-like GRIB2 file holding *observed* station
  met at the valid times (perfect prognosis), used by ``vnaqi demo --real`` so that the operational
  cycle reads observed met through its normal NWP path. Files start ``PERFECT_PROGNOSIS_``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from configs.networks import Station
from met_inputs.gribwrite import FieldSpec, LatLonGrid, cams_field, ifs_field, write_grib2
from met_inputs.synthetic import CITY_CLIMATE, SYNTHETIC_LABEL, EpisodeCalendar, ar1_series

logger = logging.getLogger(__name__)

DEMO_GRID: Final = LatLonGrid(north=23.5, south=8.5, west=102.0, east=110.0, step=0.25)
"""Northern and southern Vietnam at 0.25° (61 × 33 points)."""
NWP_STEPS: Final = tuple(range(0, 73, 3))
PRESSURE_LEVELS: Final = (1000, 925, 850)
RESEARCH_PRODUCTS: Final = 2
"""GRIB2 code table 1.3 ``productionStatusOfProcessedData``: 2 = research products (the nearest to synthetic)."""
BITS_PER_VALUE: Final = 16
GRIB_LABEL: Final = {"productionStatusOfProcessedData": RESEARCH_PRODUCTS}
CITY_POINTS: Final = {"Hà Nội": (21.03, 105.85), "TP. Hồ Chí Minh": (10.78, 106.70)}
"""Centre of each city's plume [°N, °E]."""
NORTH, SOUTH = "Hà Nội", "TP. Hồ Chí Minh"
BLEND_LATITUDES: Final = (12.0, 19.0)
"""South of the first latitude the southern climate holds, north of the second the northern one."""
CTM_URBAN_FRACTION: Final = 0.65
"""Share of the observed urban PM level the CAMS-like plume carries (CAMS underestimates city PM)."""
G: Final = 9.80665
KELVIN: Final = 273.15


@dataclass(frozen=True)
class CityWeather:
    """Typical winter weather of one city and how stagnation and the end of a spell change it."""

    t_mean_c: float  # annual mean 2 m temperature [°C]
    t_amplitude_k: float  # half the annual range [K]
    coldest_day_of_year: int
    dtr_clean_k: float  # diurnal temperature range [K]
    dtr_stagnant_k: float
    wind_m_s: tuple[float, float, float]  # clean, stagnant, end of spell [m s-1]
    wind_from_deg: tuple[float, float, float]  # direction the wind blows from [degree]
    msl_hpa: float
    surge_pressure_rise_hpa: float
    surge_cooling_k: float
    dewpoint_depression_k: float  # humid stagnant nights have less
    surge_drying_k: float
    blh_night_m: tuple[float, float]  # clean, stagnant [m]
    blh_day_m: tuple[float, float]
    warm_aloft_k: float  # warmer air above the stagnant boundary layer [K]
    cloud: tuple[float, float, float]  # clean, stagnant, end of spell [0-1]
    drizzle_mm_h: float  # at the end of a spell
    shower_mm_h: float  # afternoon showers on clean days
    shower_probability: float


CITY_WEATHER: Final = {
    NORTH: CityWeather(24.0, 6.8, 20, 5.0, 9.0, (3.0, 1.0, 6.5), (45.0, 120.0, 15.0), 1017.0, 6.0, -4.5, 2.5,
                       5.0, (450.0, 120.0), (1100.0, 550.0), 2.0, (0.55, 0.35, 0.95), 1.2, 0.0, 0.0),
    SOUTH: CityWeather(27.6, 1.4, 5, 7.0, 9.0, (3.0, 1.2, 4.5), (90.0, 160.0, 60.0), 1011.0, 2.0, -1.0, 4.0,
                       2.0, (500.0, 200.0), (1300.0, 800.0), 1.0, (0.45, 0.30, 0.80), 0.6, 4.0, 0.25),
}  # fmt: skip


def _solar_hour(times: pd.DatetimeIndex, lon: np.ndarray) -> np.ndarray:
    """Local solar hour (time, *space) of the hour-ending stamps."""
    utc = times.hour.to_numpy() + times.minute.to_numpy() / 60.0
    return np.mod(utc.reshape((-1,) + (1,) * lon.ndim) + lon[None] / 15.0, 24.0)


def _blend_weight(lat: np.ndarray) -> np.ndarray:
    """1 in the north, 0 in the south, smooth in between."""
    lo, hi = BLEND_LATITUDES
    x = np.clip((lat - lo) / (hi - lo), 0.0, 1.0)
    return x * x * (3 - 2 * x)


class SyntheticWeather:
    """The weather of an episode calendar at any points and hours of it (the synthetic *truth*).

    Parameters
    ----------
    calendar : EpisodeCalendar
        From :func:`met_inputs.synthetic.episode_calendar` (same ``end_utc``, ``days`` and ``seed`` as the
        observations).
    seed : int
        Seed of the weather noise (wind gusts, showers).
    """

    def __init__(self, calendar: EpisodeCalendar, seed: int) -> None:
        self.calendar = calendar
        self.seed = seed
        self._drivers = {p: self._city_drivers(p, k) for k, p in enumerate(CITY_WEATHER)}

    def _city_drivers(self, province: str, k: int) -> dict[str, np.ndarray]:
        """Hourly drivers of one city over the calendar: stagnation, surge, post-surge air mass, noise."""
        cal = self.calendar
        stagnant = cal.stagnant[province]
        surge_day = np.r_[False, stagnant[:-1] & ~stagnant[1:]]  # the day a stagnant spell ends
        n = cal.hours
        hour = np.arange(n)
        surge = np.zeros(n)
        since = np.full(n, np.inf)
        for day in np.flatnonzero(surge_day):
            start = 24 * day + 2
            surge[start : start + 14] = 1.0
            after = hour >= start
            since[after] = np.minimum(since[after], hour[after] - start)
        kernel = np.ones(6) / 6
        rng = np.random.default_rng([self.seed, 2, k])
        daily_shower = rng.random(len(stagnant)) < CITY_WEATHER[province].shower_probability
        return {
            "stagnant": cal.hourly(stagnant.astype(float)),
            "surge": np.convolve(surge, kernel, mode="same"),
            "air_mass": np.exp(-since / 36.0),  # 1 just after a surge, fading over a day and a half
            "shower_day": np.repeat(daily_shower & ~stagnant, 24).astype(float),
            "wind_dir_noise": ar1_series(n, 0.9, 15.0, rng),
            "wind_speed_noise": ar1_series(n, 0.8, 0.12, rng),
        }

    def regime(self, province: str, times: pd.DatetimeIndex) -> np.ndarray:
        """The observations' PM multiplier of a city at ``times``."""
        return self.calendar.regime(province)[self.calendar.index(times)]

    def _city_fields(
        self, province: str, times: pd.DatetimeIndex, solar: np.ndarray, lat: np.ndarray
    ) -> dict[str, np.ndarray]:
        w = CITY_WEATHER[province]
        at = self.calendar.index(times)
        d = {k: v[at].reshape((-1,) + (1,) * lat.ndim) for k, v in self._drivers[province].items()}
        stag, surge, air = d["stagnant"], d["surge"], d["air_mass"]
        weights = ((1 - stag) * (1 - surge), stag * (1 - surge), surge)
        doy = times.dayofyear.to_numpy().reshape(stag.shape)
        t_mean = w.t_mean_c - w.t_amplitude_k * np.cos(2 * np.pi * (doy - w.coldest_day_of_year) / 365.25)
        t_mean = t_mean + w.surge_cooling_k * air + 0.8 * stag
        dtr = (w.dtr_clean_k + (w.dtr_stagnant_k - w.dtr_clean_k) * stag) * (1 - 0.6 * surge)
        diurnal = np.cos(2 * np.pi * (solar - 14.5) / 24)
        t2m = t_mean + 0.5 * dtr * diurnal
        depression = (w.dewpoint_depression_k + 1.5 * (1 - stag) + w.surge_drying_k * air) * (1 + 0.5 * diurnal)
        d2m = t2m - np.maximum(depression * (1 - 0.7 * surge), 0.3)
        speed = sum(wt * s for wt, s in zip(weights, w.wind_m_s, strict=True))
        speed = np.maximum(speed * (1 + 0.35 * np.clip(np.sin(np.pi * (solar - 9) / 10), 0, None)), 0.3)
        speed = speed * np.exp(d["wind_speed_noise"])
        east = sum(wt * np.sin(np.radians(a)) for wt, a in zip(weights, w.wind_from_deg, strict=True))
        north = sum(wt * np.cos(np.radians(a)) for wt, a in zip(weights, w.wind_from_deg, strict=True))
        direction = np.radians(np.degrees(np.arctan2(east, north)) + d["wind_dir_noise"])
        msl = w.msl_hpa + w.surge_pressure_rise_hpa * air - 2.0 * stag + 1.0 * np.cos(4 * np.pi * (solar - 10) / 24)
        cloud = np.clip(sum(wt * c for wt, c in zip(weights, w.cloud, strict=True)), 0.0, 1.0)
        rain = w.drizzle_mm_h * np.clip((surge - 0.35) / 0.65, 0.0, None)
        rain = rain + w.shower_mm_h * d["shower_day"] * ((solar >= 15) & (solar < 17))
        day_part = np.clip(np.sin(np.pi * (solar - 7) / 11), 0.0, None) * ((solar >= 7) & (solar <= 18))
        night = w.blh_night_m[0] * (1 - stag) + w.blh_night_m[1] * stag
        day = w.blh_day_m[0] * (1 - stag) + w.blh_day_m[1] * stag
        blh = np.maximum((night + (day - night) * day_part) * (1 + 0.5 * surge), 50.0)
        declination = np.radians(23.44) * np.sin(2 * np.pi * (284 + doy) / 365.0)
        phi = np.radians(lat)[None]
        cos_zenith = np.sin(phi) * np.sin(declination) + np.cos(phi) * np.cos(declination) * np.cos(
            np.radians(15.0 * (solar - 12.0))
        )
        ssrd = np.clip(1000.0 * cos_zenith, 0.0, None) * (1 - 0.65 * cloud**2) * (1 - 0.15 * stag)
        return {
            "t_mean": t_mean + 0.0 * solar, "t2m": t2m, "d2m": d2m, "speed": speed, "direction": direction,
            "msl": msl, "tcc": cloud, "rain": rain, "blh": blh, "ssrd": ssrd,
            "warm_aloft": w.warm_aloft_k * stag + 0.0 * solar,
        }  # fmt: skip

    def surface(self, lat, lon, times) -> dict[str, np.ndarray]:
        """Surface and profile weather at points ``(lat, lon)`` (any same shape) and hours ``times``.

        Returns arrays ``(time, *lat.shape)``: ``t2m d2m`` [°C], ``u10 v10 ws10`` [m s-1], ``wd10``
        [degree, from], ``msl sp`` [hPa], ``tcc`` [0-1], ``tp`` [mm in the hour ending at the stamp],
        ``ssrd`` [W m-2], ``blh`` [m], and per level L of :data:`PRESSURE_LEVELS` ``t<L>`` [K],
        ``gh<L>`` [m], ``u<L> v<L>`` [m s-1].
        """
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        times = pd.DatetimeIndex(times)
        solar = _solar_hour(times, lon)
        north = self._city_fields(NORTH, times, solar, lat)
        south = self._city_fields(SOUTH, times, solar, lat)
        w = _blend_weight(lat)[None]
        mixed = {k: w * north[k] + (1 - w) * south[k] for k in north if k != "direction"}
        east = w * north["speed"] * np.sin(north["direction"]) + (1 - w) * south["speed"] * np.sin(south["direction"])
        northward = w * north["speed"] * np.cos(north["direction"]) + (1 - w) * south["speed"] * np.cos(
            south["direction"]
        )
        u10, v10 = -east, -northward  # wind blowing from (east, north) towards the opposite
        out = {
            "t2m": mixed["t2m"], "d2m": mixed["d2m"], "u10": u10, "v10": v10, "ws10": np.hypot(u10, v10),
            "wd10": np.mod(np.degrees(np.arctan2(-u10, -v10)), 360.0), "msl": mixed["msl"], "sp": mixed["msl"] - 1.0,
            "tcc": mixed["tcc"], "tp": mixed["rain"], "ssrd": mixed["ssrd"], "blh": mixed["blh"],
        }  # fmt: skip
        out.update(self._levels(mixed, u10, v10))
        return out

    @staticmethod
    def _levels(mixed: dict[str, np.ndarray], u10: np.ndarray, v10: np.ndarray) -> dict[str, np.ndarray]:
        """Pressure-level temperature, height and wind: mixed layer below blh, free atmosphere above."""
        t2m_k = mixed["t2m"] + KELVIN
        out = {}
        height = (mixed["msl"] - 1000.0) * 8.4  # 1000 hPa above sea level [m]
        pressure = 1000
        wind_factor = {1000: 1.4, 925: 2.0, 850: 2.3}
        for level in PRESSURE_LEVELS:
            if level != 1000:
                layer_t = mixed["t_mean"] + KELVIN - 0.006 * (height + 400)
                height = height + 29.27 * layer_t * np.log(pressure / level)
            pressure = level
            free = mixed["t_mean"] + KELVIN + mixed["warm_aloft"] - 0.006 * height
            mixed_layer = t2m_k - 0.0098 * (height - 2.0)
            weight = 1.0 / (1.0 + np.exp(-(mixed["blh"] - height) / 60.0))
            out[f"t{level}"] = weight * mixed_layer + (1 - weight) * free
            out[f"gh{level}"] = height
            out[f"u{level}"] = u10 * wind_factor[level]
            out[f"v{level}"] = v10 * wind_factor[level]
        return out

    def pm_field(self, lat, lon, times, pollutant: str = "pm25") -> np.ndarray:
        """CAMS-like surface concentration [µg/m³] ``(time, *lat.shape)``: background + city plumes."""
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        times = pd.DatetimeIndex(times)
        hours = _solar_hour(times, lon)
        shape = 1 + 0.35 * np.cos(2 * np.pi * (hours - 22) / 24) + 0.15 * np.cos(4 * np.pi * (hours - 7) / 24)
        w = _blend_weight(lat)[None]
        regimes = {p: self.regime(p, times).reshape((-1,) + (1,) * lat.ndim) for p in CITY_POINTS}
        conc = 8.0 + 6.0 * (w * regimes[NORTH] + (1 - w) * regimes[SOUTH])
        for province, (clat, clon) in CITY_POINTS.items():
            distance2 = (lat - clat) ** 2 + ((lon - clon) * np.cos(np.radians(clat))) ** 2
            plume = np.exp(-distance2 / (2 * 0.5**2))[None]
            conc = conc + CTM_URBAN_FRACTION * CITY_CLIMATE[province].pm25_clean * regimes[province] * shape * plume
        return conc * 1.5 + 3.0 if pollutant == "pm10" else conc


def _grid_points(grid: LatLonGrid) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(grid.latitudes, grid.longitudes, indexing="ij")


def _init_text(cycle: pd.Timestamp) -> str:
    return pd.Timestamp(cycle).tz_convert("UTC").strftime("%Y-%m-%dT%H")


def _stamp(cycle: pd.Timestamp) -> str:
    return pd.Timestamp(cycle).tz_convert("UTC").strftime("%Y%m%d%H")


def _nwp_error(cycle: pd.Timestamp, seed: int, hours: int) -> dict[str, np.ndarray]:
    """Forecast error along the lead [h 0 … hours], small at first, growing to day 3 (one draw per cycle)."""
    rng = np.random.default_rng([seed, 3, int(pd.Timestamp(cycle).timestamp() // 3600)])
    grow = 0.25 + 0.75 * np.arange(hours + 1) / 72.0
    return {
        "t": 1.2 * grow * ar1_series(hours + 1, 0.97, 1.0, rng),
        "wind": np.exp(0.2 * grow * ar1_series(hours + 1, 0.95, 1.0, rng)),
        "msl": 1.5 * grow * ar1_series(hours + 1, 0.98, 1.0, rng),
        "blh": np.exp(0.2 * grow * ar1_series(hours + 1, 0.95, 1.0, rng)),
    }


def write_synthetic_nwp(
    folder: Path,
    cycle: pd.Timestamp,
    weather: SyntheticWeather,
    *,
    grid: LatLonGrid = DEMO_GRID,
    steps: tuple[int, ...] = NWP_STEPS,
) -> list[Path]:
    """IFS-like GRIB2 files of one cycle, one per step (``SYNTHETIC_ifs_<YYYYMMDDHH>_f<step>.grib2``).

    The forecast is the calendar's weather at the valid time with a small lead-growing error; ``tp`` and
    ``ssrd`` are run totals since the initial time [m, J m-2], as the IFS writes them.
    """
    cycle = pd.Timestamp(cycle).tz_convert("UTC")
    lat, lon = _grid_points(grid)
    last = max(steps)
    hourly = weather.surface(lat, lon, pd.date_range(cycle + pd.Timedelta(hours=1), periods=last, freq="h"))
    tp_total = np.concatenate([np.zeros((1, *lat.shape)), np.cumsum(hourly["tp"], axis=0)]) / 1000.0  # m
    ssrd_total = np.concatenate([np.zeros((1, *lat.shape)), np.cumsum(hourly["ssrd"], axis=0)]) * 3600.0
    error = _nwp_error(cycle, weather.seed, last)
    init = _init_text(cycle)
    written = []
    for step in steps:
        f = weather.surface(lat, lon, [cycle + pd.Timedelta(hours=step)])
        f = {k: v[0] for k, v in f.items()}
        dt, wind, blh = error["t"][step], error["wind"][step], error["blh"][step]

        def field(name: str, values: np.ndarray, level: int | None = None, step: int = step) -> FieldSpec:
            return ifs_field(name, values, grid, init, step, level=level, bits_per_value=BITS_PER_VALUE,
                             extra=GRIB_LABEL)  # fmt: skip

        fields = [
            field("2t", f["t2m"] + dt + KELVIN),
            field("2d", f["d2m"] + dt + KELVIN),
            field("10u", f["u10"] * wind),
            field("10v", f["v10"] * wind),
            field("sp", (f["sp"] + error["msl"][step]) * 100.0),
            field("msl", (f["msl"] + error["msl"][step]) * 100.0),
            field("tp", tp_total[step]),
            field("tcc", f["tcc"]),
            field("ssrd", ssrd_total[step]),
            field("blh", f["blh"] * blh),
        ]
        for level in PRESSURE_LEVELS:
            fields += [
                field("t", f[f"t{level}"] + dt * (0.5 if level == 1000 else 0.3), level),
                field("gh", f[f"gh{level}"], level),
                field("u", f[f"u{level}"] * wind, level),
                field("v", f[f"v{level}"] * wind, level),
            ]
        written.append(write_grib2(Path(folder) / f"SYNTHETIC_ifs_{_stamp(cycle)}_f{step:03d}.grib2", fields))
    logger.info("wrote %d synthetic NWP files for %s in %s", len(written), init, folder)
    return written


def write_synthetic_ctm(
    folder: Path,
    cycle: pd.Timestamp,
    weather: SyntheticWeather,
    *,
    grid: LatLonGrid = DEMO_GRID,
    steps: tuple[int, ...] = NWP_STEPS,
) -> Path:
    """A CAMS-like GRIB2 file of one cycle: surface ``pm2p5`` and ``pm10`` [kg m-3] at every step."""
    cycle = pd.Timestamp(cycle).tz_convert("UTC")
    lat, lon = _grid_points(grid)
    times = [cycle + pd.Timedelta(hours=s) for s in steps]
    init = _init_text(cycle)
    fields = []
    for name, key in (("pm2p5", "pm25"), ("pm10", "pm10")):
        conc = weather.pm_field(lat, lon, times, key)
        fields += [
            cams_field(name, conc[k] * 1e-9, grid, init, step, bits_per_value=BITS_PER_VALUE, extra=GRIB_LABEL)
            for k, step in enumerate(steps)
        ]
    path = write_grib2(Path(folder) / f"SYNTHETIC_cams_{_stamp(cycle)}.grib2", fields)
    logger.info("wrote synthetic CTM %s", path)
    return path


VISUAL_CROSSING_COLUMNS: Final = (
    "name", "datetime", "temp", "feelslike", "dew", "humidity", "precip", "windspeed", "winddir",
    "sealevelpressure", "cloudcover", "visibility", "solarradiation", "stations",
)  # fmt: skip


def _rh(t: np.ndarray, d: np.ndarray) -> np.ndarray:
    a, b = 17.625, 243.04
    return np.clip(100.0 * np.exp(a * d / (b + d) - a * t / (b + t)), 0.0, 100.0)


def synthetic_met_observations(
    station: Station, weather: SyntheticWeather, times: pd.DatetimeIndex, seed: int
) -> pd.DataFrame:
    """Observed hourly met of one weather station in the Visual Crossing layout (metric units).

    The calendar's weather at the station plus instrument and representativeness noise. As in Visual
    Crossing files, ``datetime`` is local time labelling the *beginning* of the hour: instantaneous
    values hold at the label, ``precip`` is the amount of the hour after it.
    """
    times = pd.DatetimeIndex(times).tz_convert("UTC")
    lat, lon = np.array([station.latitude]), np.array([station.longitude])
    now = {k: v[:, 0] for k, v in weather.surface(lat, lon, times).items()}
    after = weather.surface(lat, lon, times + pd.Timedelta(hours=1))["tp"][:, 0]
    rng = np.random.default_rng([seed, 4, sum(map(ord, station.id))])
    n = len(times)
    t = now["t2m"] + ar1_series(n, 0.8, 0.3, rng)
    d = np.minimum(now["d2m"] + ar1_series(n, 0.8, 0.4, rng), t)
    speed = np.maximum(now["ws10"] * np.exp(ar1_series(n, 0.5, 0.1, rng)), 0.3)
    regime = weather.regime(NORTH if _blend_weight(lat)[0] >= 0.5 else SOUTH, times)  # haze lowers visibility
    local = times.tz_convert(station.time_zone).tz_localize(None)
    return pd.DataFrame(
        {
            "name": f"SYNTHETIC {station.name_en}",
            "datetime": local.strftime("%Y-%m-%d %H:%M:%S"),
            "temp": np.round(t, 1),
            "feelslike": np.round(t, 1),
            "dew": np.round(d, 1),
            "humidity": np.round(_rh(t, d), 1),
            "precip": np.round(after, 1),
            "windspeed": np.round(speed * 3.6, 1),
            "winddir": np.round(np.mod(now["wd10"] + ar1_series(n, 0.5, 8.0, rng), 360.0), 0),
            "sealevelpressure": np.round(now["msl"] + ar1_series(n, 0.9, 0.3, rng), 1),
            "cloudcover": np.round(np.clip(100 * now["tcc"] + ar1_series(n, 0.7, 8.0, rng), 0, 100), 0),
            "visibility": np.round(np.clip(14.0 / (0.8 + 0.6 * regime), 0.8, 10.0), 1),
            "solarradiation": np.round(now["ssrd"], 0),
            "stations": station.id,
        },
        columns=list(VISUAL_CROSSING_COLUMNS),
    )


def write_synthetic_met_csv(
    path: Path, station: Station, weather: SyntheticWeather, times: pd.DatetimeIndex, seed: int
) -> Path:
    """Write :func:`synthetic_met_observations` as CSV (ingested by the ``visualcrossing`` reader)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    synthetic_met_observations(station, weather, times, seed).to_csv(path, index=False)
    return path


def write_readme(folder: Path, text: str) -> Path:
    """A ``README.txt`` beside generated inputs saying what they are."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "README.txt"
    path.write_text(text, encoding="utf-8")
    return path


SYNTHETIC_GRIB_README: Final = f"""{SYNTHETIC_LABEL}.
SYNTHETIC GRIB2 written by `vnaqi demo` (met_inputs/synthetic_grib.py) in the layout of the real
provider's files so that the operational cycle reads them through its normal readers:
- ifs/SYNTHETIC_ifs_<YYYYMMDDHH>_f<step>.grib2: IFS-like (centre ecmf, paramId), steps 0-72 h every 3 h,
  0.25 deg over Vietnam; productionStatusOfProcessedData = 2 (research products).
- cams/SYNTHETIC_cams_<YYYYMMDDHH>.grib2: CAMS-like pm2p5 and pm10 [kg m-3].
The weather follows the same seeded stagnation-episode calendar as the synthetic observations:
calm air, a shallow boundary layer, night-time surface inversions and high PM on episode days.
"""


def write_perfect_prognosis_nwp(
    folder: Path,
    cycle: pd.Timestamp,
    met: pd.DataFrame,
    *,
    center: tuple[float, float],
    hours: int = 72,
    half_width_deg: float = 0.5,
    step_deg: float = 0.25,
) -> Path:
    """An IFS-like GRIB2 file of *observed* met at the valid times of one cycle (perfect prognosis).

    Parameters
    ----------
    folder : path
        Where to write ``PERFECT_PROGNOSIS_<YYYYMMDDHH>.grib2``.
    cycle : Timestamp
        Initial time (UTC).
    met : DataFrame
        Hourly observed met of the weather station, indexed by hour-ending UTC time, columns in the
        archive's keys and units (``t2m d2m`` °C, ``ws10`` m s-1, ``wd10`` degree, ``msl``/``sp`` hPa,
        ``tp`` mm in the hour, ``tcc`` %, ``ssrd`` W m-2); it must cover the cycle and the ``hours``
        after it. Gaps are filled linearly in time (ends held); a variable missing entirely is left out.
    center : (lat, lon)
        The weather station; the field is uniform over a small grid around it.

    Steps are hourly (0 … ``hours``), so the station cube reproduces the hourly observations.
    """
    cycle = pd.Timestamp(cycle).tz_convert("UTC")
    lat0, lon0 = (round(c / step_deg) * step_deg for c in center)
    grid = LatLonGrid(north=lat0 + half_width_deg, south=lat0 - half_width_deg, west=lon0 - half_width_deg,
                      east=lon0 + half_width_deg, step=step_deg)  # fmt: skip
    index = pd.date_range(cycle, periods=hours + 1, freq="h")
    frame = met.copy()
    frame.index = pd.DatetimeIndex(frame.index).tz_convert("UTC") if frame.index.tz else frame.index.tz_localize("UTC")
    frame = frame.reindex(index).astype(float)
    frame = frame.interpolate(limit_direction="both")
    frame = frame.dropna(axis=1, how="all")
    init = _init_text(cycle)
    ones = np.ones(grid.shape)

    def field(name: str, values: float, step: int) -> FieldSpec:
        return ifs_field(name, ones * values, grid, init, step, bits_per_value=BITS_PER_VALUE)

    tp_total = frame["tp"].fillna(0.0).to_numpy().copy() if "tp" in frame else None
    if tp_total is not None:
        tp_total[0] = 0.0
        tp_total = np.cumsum(tp_total) / 1000.0
    ssrd_total = frame["ssrd"].to_numpy().copy() if "ssrd" in frame else None
    if ssrd_total is not None:
        ssrd_total[0] = 0.0
        ssrd_total = np.cumsum(ssrd_total) * 3600.0
    fields: list[FieldSpec] = []
    for step in range(hours + 1):
        row = frame.iloc[step]
        if "t2m" in row:
            fields.append(field("2t", row["t2m"] + KELVIN, step))
        if "d2m" in row:
            fields.append(field("2d", row["d2m"] + KELVIN, step))
        if "ws10" in row and "wd10" in row:
            direction = np.radians(row["wd10"])
            fields += [field("10u", -row["ws10"] * np.sin(direction), step),
                       field("10v", -row["ws10"] * np.cos(direction), step)]  # fmt: skip
        for name in ("msl", "sp"):
            if name in row:
                fields.append(field(name, row[name] * 100.0, step))
        if "tcc" in row:
            fields.append(field("tcc", np.clip(row["tcc"] / 100.0, 0.0, 1.0), step))
        if tp_total is not None:
            fields.append(field("tp", tp_total[step], step))
        if ssrd_total is not None:
            fields.append(field("ssrd", ssrd_total[step], step))
    path = write_grib2(Path(folder) / f"PERFECT_PROGNOSIS_{_stamp(cycle)}.grib2", fields)
    logger.info("wrote perfect-prognosis NWP %s (%d messages)", path, len(fields))
    return path
