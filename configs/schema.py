"""The one place that names dimensions, variables, units and time conventions.

Conventions (see docs/conventions.md):

* Every internal time is UTC and timezone-aware.
* Hourly values are **hour-ending**: the value stamped 10:00 is the mean over 09:00–10:00.
* Local days (daily VN_AQI, bulletins) are ``Asia/Ho_Chi_Minh`` unless a station says otherwise,
  and a day is the hours stamped 01:00 … 00:00 (next day), as Decision 1459/QĐ-TCMT requires.
* Concentrations are µg/m³ for every pollutant, CO included. Readers convert at the edge.
"""

from __future__ import annotations

from typing import Final, Literal

# --- dimensions -------------------------------------------------------------------------------
STATION: Final = "station"
"""Station dimension; values are station ids (``bj-aotizhongxin``, ``us-embassy-hanoi``)."""
TIME: Final = "time"
"""Observation time dimension: hour-ending, UTC."""
LEAD: Final = "lead"
"""Forecast lead in whole hours after the issue time (1 … 72)."""
ISSUE_TIME: Final = "issue_time"
"""Forecast issue (cycle) time, UTC. Equals the NWP initialisation time."""
VALID_TIME: Final = "valid_time"
"""``issue_time + lead``: the hour-ending time the forecast value is for, UTC."""

# --- pollutants -------------------------------------------------------------------------------
Pollutant = Literal["pm25", "pm10", "no2", "o3", "so2", "co"]
POLLUTANTS: Final[tuple[str, ...]] = ("pm25", "pm10", "no2", "o3", "so2", "co")
"""Pollutant keys in the order VN_AQI tables list them (PM first)."""
PM_POLLUTANTS: Final[tuple[str, ...]] = ("pm25", "pm10")

POLLUTANT_LABELS: Final[dict[str, str]] = {
    "pm25": "PM2.5",
    "pm10": "PM10",
    "no2": "NO2",
    "o3": "O3",
    "so2": "SO2",
    "co": "CO",
}

POLLUTANT_ALIASES: Final[dict[str, str]] = {
    # lower-cased, with spaces, dots, underscores and hyphens removed -> our key
    "pm25": "pm25",
    "pm2p5": "pm25",
    "pm25principal": "pm25",
    "pm10": "pm10",
    "no2": "no2",
    "o3": "o3",
    "go3": "o3",
    "ozone": "o3",
    "so2": "so2",
    "co": "co",
}

MOLAR_MASS_G_PER_MOL: Final[dict[str, float]] = {
    "no2": 46.0055,
    "o3": 47.9982,
    "so2": 64.066,
    "co": 28.010,
}
"""Molar masses used to convert ppb/ppm to µg/m³ (gases only)."""

MOLAR_VOLUME_L_AT_25C: Final = 24.45
"""Molar volume of an ideal gas at 25 °C and 1013.25 hPa [L/mol], the usual reference condition."""

CONCENTRATION_UNITS: Final = "ug m-3"
"""CF/UDUNITS spelling of µg/m³, used in every Dataset attribute."""

CF_STANDARD_NAMES: Final[dict[str, str]] = {
    "pm25": "mass_concentration_of_pm2p5_ambient_aerosol_particles_in_air",
    "pm10": "mass_concentration_of_pm10_ambient_aerosol_particles_in_air",
    "no2": "mass_concentration_of_nitrogen_dioxide_in_air",
    "o3": "mass_concentration_of_ozone_in_air",
    "so2": "mass_concentration_of_sulfur_dioxide_in_air",
    "co": "mass_concentration_of_carbon_monoxide_in_air",
}

# --- observed meteorology ---------------------------------------------------------------------
MET_VARIABLES: Final[dict[str, str]] = {
    "t2m": "degC",  # 2 m air temperature
    "d2m": "degC",  # 2 m dew point
    "rh2m": "%",  # relative humidity
    "sp": "hPa",  # station (surface) pressure
    "msl": "hPa",  # mean sea-level pressure
    "tp": "mm",  # precipitation in the hour ending at the stamp
    "ws10": "m s-1",  # 10 m wind speed
    "wd10": "degree",  # 10 m wind direction, from (meteorological)
    "u10": "m s-1",
    "v10": "m s-1",
    "tcc": "%",  # total cloud cover
    "ssrd": "W m-2",  # global horizontal irradiance
    "vis": "km",  # visibility
}
"""Observed met keys (CF/ECMWF short names where one exists) and the unit the archive stores."""

FORECAST_ROW_KEYS: Final[tuple[str, ...]] = ("issue_time", "station_id", "pollutant", "lead_h")
"""Keys of a long forecast row: one per issue [UTC], station, pollutant and lead [h, 1 … 72]."""
FORECAST_ROW_VALUES: Final[tuple[str, ...]] = ("forecast", "q10", "q50", "q90")
"""Values of a long forecast row [µg/m³]: the mean and the 10/50/90 % quantiles."""
FORECAST_ROW_COLUMNS: Final[tuple[str, ...]] = (*FORECAST_ROW_KEYS, "valid_time", *FORECAST_ROW_VALUES)
"""Columns every corrector family's long rows have (LightGBM hindcasts, the LSTM, the blend)."""
REFERENCE_ROW_COLUMNS: Final[tuple[str, ...]] = ("observed", "persistence", "climatology")
"""What hindcast rows add [µg/m³]: the observation and the two reference forecasts."""

DEFAULT_LOCAL_TZ: Final = "Asia/Ho_Chi_Minh"
MAX_LEAD_HOURS: Final = 72

# --- gridded inputs (NWP, CTM) ----------------------------------------------------------------
INIT_TIME: Final = "init_time"
"""Scalar coordinate of a gridded forecast: its initialisation (cycle) time, UTC."""
STEP: Final = "step"
"""Forecast step dimension of gridded inputs (numpy timedelta64); ``valid_time = init_time + step``."""
LEVEL: Final = "level"
"""Pressure-level dimension of gridded inputs [hPa]."""
LATITUDE: Final = "latitude"
LONGITUDE: Final = "longitude"
PRESSURE_LEVELS_HPA: Final[tuple[int, ...]] = (1000, 975, 950, 925, 850)

NWP_VARIABLES: Final[dict[str, str]] = {
    # single level
    "t2m": "K",  # 2 m temperature
    "d2m": "K",  # 2 m dew point
    "u10": "m s-1",
    "v10": "m s-1",
    "sp": "Pa",  # surface pressure
    "msl": "Pa",  # mean sea-level pressure
    "tp": "mm",  # precipitation in the hour ending at valid_time (de-accumulated)
    "blh": "m",  # boundary-layer height
    "tcc": "1",  # total cloud cover, fraction 0-1
    "ssrd": "W m-2",  # surface solar radiation downwards, mean over the hour ending at valid_time
    "orog": "m",  # model surface height (from surface geopotential / g)
    # pressure levels (dim ``level``)
    "t": "K",
    "u": "m s-1",
    "v": "m s-1",
    "r": "%",  # relative humidity
    "gh": "m",  # geopotential height
}
"""Canonical names and units of gridded NWP fields after reading (CF/ECMWF short names)."""

CTM_VARIABLES: Final[dict[str, str]] = {p: CONCENTRATION_UNITS for p in POLLUTANTS}
"""Gridded CTM fields after reading: our pollutant keys, surface mass concentration [µg/m³]."""

NWP_CF_ATTRIBUTES: Final[dict[str, tuple[str | None, str]]] = {
    # our name: (CF standard_name or None, long_name)
    "t2m": ("air_temperature", "2 metre temperature"),
    "d2m": ("dew_point_temperature", "2 metre dew point temperature"),
    "u10": ("eastward_wind", "10 metre eastward wind component"),
    "v10": ("northward_wind", "10 metre northward wind component"),
    "sp": ("surface_air_pressure", "surface pressure"),
    "msl": ("air_pressure_at_mean_sea_level", "mean sea-level pressure"),
    "tp": ("lwe_thickness_of_precipitation_amount", "total precipitation in the step interval ending at valid_time"),
    "blh": ("atmosphere_boundary_layer_thickness", "boundary-layer height"),
    "tcc": ("cloud_area_fraction", "total cloud cover"),
    "ssrd": (
        "surface_downwelling_shortwave_flux_in_air",
        "surface solar radiation downwards, mean over the step interval ending at valid_time",
    ),
    "orog": ("surface_altitude", "model surface height"),
    "t": ("air_temperature", "temperature"),
    "u": ("eastward_wind", "eastward wind component"),
    "v": ("northward_wind", "northward wind component"),
    "r": ("relative_humidity", "relative humidity"),
    "gh": ("geopotential_height", "geopotential height"),
}
"""CF ``standard_name`` and ``long_name`` of each gridded NWP variable (readers set them as attributes)."""

NWP_PRESSURE_LEVEL_VARIABLES: Final[tuple[str, ...]] = ("t", "u", "v", "r", "gh")
"""NWP variables on pressure levels (dim :data:`LEVEL`); the others are single-level fields."""
