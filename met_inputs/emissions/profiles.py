"""Hourly temporal emission factors per GNFR sector for Vietnam.

factor(sector, t) = month(m) × weekday(d) × hour(day type, h) × Tết × eve × (open burning), then divided
by its mean over the local calendar year, so that every sector's factors average exactly 1 over each
year: an annual inventory flux × factor keeps the annual total.

* ``m``, ``d``, ``h`` are the local month, weekday and hour of the start of the hour-ending interval (the
  value stamped 08:00 local covers 07:00–08:00: ``h = 7``, the files' column ``8``).
* Public holidays other than Tết: sectors in ``holidays.like_sunday_sectors`` use their Sunday
  day-of-week factor and Sunday hour-of-day profile.
* Tết block days: × ``holidays.tet.factors[sector]`` (normal weekday pattern otherwise).
* Giao thừa: from ``start_hour`` on the eve to ``end_hour`` on Tết day 1, × ``new_year_eve.factors``.
* Open burning, for a place in the burning region: the month factor of the burning sectors becomes
  ``(1 − share) × month(m) + share × I(m) / mean(I)`` with ``I`` the monthly intensity (0–1).

References
----------
Denier van der Gon, H. et al. (2011): TNO report, MACC deliverable D_D-EMIS_1.3 (base profiles).
Guevara, M. et al. (2019): CAMS-TEMPO, GMD preprint gmd-2019-328 (Copernicus profiles).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from configs import CONFIG_DIR
from configs.emissions import (
    TNO_ROAD_SUBSECTORS,
    EmissionProfilesConfig,
    canonical_sector,
    load_emission_config,
)
from configs.schema import TIME
from configs.sources import EmissionsConfig
from met_inputs.emissions.profile_files import SectorProfiles, apply_overrides, read_profile_set
from met_inputs.emissions.vn_calendar import HolidayCalendar, local_interval_start

logger = logging.getLogger(__name__)

SECTOR = "sector"
"""Emission-sector dimension."""


@dataclass(frozen=True, eq=False)
class TemporalModel:
    """A validated configuration with its profile files and holiday tables read: build once, use often."""

    config: EmissionProfilesConfig
    profiles: SectorProfiles
    calendar: HolidayCalendar

    @classmethod
    def from_config(cls, config: EmissionProfilesConfig | None = None) -> TemporalModel:
        """Read the profile files and holiday tables named by ``config`` (default: packaged ``emissions.yaml``)."""
        config = config if config is not None else load_emission_config()
        base = read_profile_set(config.resolve(config.profiles_dir) / config.profile_set, config.profile_set)
        profiles = apply_overrides(base, config.overrides, config.base_dir)
        return cls(config, profiles, HolidayCalendar.from_config(config.holidays, config.base_dir))

    def burning_intensity(self, months: np.ndarray) -> np.ndarray:
        """Open-burning intensity [0–1] for month numbers 1–12 (0 when burning is disabled)."""
        burning = self.config.open_burning
        table = np.zeros(13)
        if burning.enabled:
            for month, value in burning.monthly_intensity.items():
                table[month] = value
        return table[np.asarray(months, dtype=int)]


def temporal_model_for(emissions: EmissionsConfig, home: Path | None = None) -> TemporalModel:
    """The model named by ``sources.yaml``'s ``emissions.profiles``.

    A relative name is looked up in ``home`` first, then in the packaged ``configs/``.
    """
    path = Path(emissions.profiles)
    if not path.is_absolute():
        path = home / path if home is not None and (home / path).is_file() else CONFIG_DIR / path
    return TemporalModel.from_config(load_emission_config(path))


def _setting(mapping: Mapping[str, float] | Sequence[str], sector: str, default: float | bool) -> float | bool:
    """A per-sector setting; TNO road sub-sectors fall back to ``F_RoadTransport``."""
    key = canonical_sector(sector)
    lookup = {canonical_sector(k): (mapping[k] if isinstance(mapping, Mapping) else True) for k in mapping}
    if key in lookup:
        return lookup[key]
    if key in TNO_ROAD_SUBSECTORS.values() and "F_RoadTransport" in lookup:
        return lookup["F_RoadTransport"]
    return default


def _raw_factors(local: pd.DatetimeIndex, sectors: Sequence[str], model: TemporalModel, in_region: bool) -> np.ndarray:
    """Unnormalised factors, shape (sector, time), for local interval starts."""
    cfg = model.config
    days = local.tz_localize(None).normalize()
    flags = model.calendar.day_flags(days)
    month_idx = local.month.to_numpy() - 1
    weekday = local.dayofweek.to_numpy()
    hour = local.hour.to_numpy()
    day_type = np.where(weekday == 5, 1, np.where(weekday == 6, 2, 0))
    other_holiday = flags["is_holiday"].to_numpy() & ~flags["is_tet"].to_numpy()
    tet = flags["is_tet"].to_numpy()
    eve = cfg.holidays.new_year_eve
    spike = (flags["is_tet_eve"].to_numpy() & (hour >= eve.start_hour)) | (
        flags["is_tet_day1"].to_numpy() & (hour < eve.end_hour)
    )
    burning = cfg.open_burning
    intensity = model.burning_intensity(np.arange(1, 13))
    burn_month = intensity / intensity.mean() if intensity.any() else intensity
    out = np.empty((len(sectors), len(local)))
    for i, sector in enumerate(sectors):
        row = model.profiles.row(sector)
        like_sunday = other_holiday & bool(_setting(cfg.holidays.like_sunday_sectors, sector, False))
        month = model.profiles.month[row, month_idx]
        if in_region and intensity.any() and _setting(burning.sectors, sector, False):
            month = (1 - burning.share) * month + burning.share * burn_month[month_idx]
        factor = (
            month
            * model.profiles.weekday[row, np.where(like_sunday, 6, weekday)]
            * model.profiles.hour[row, np.where(like_sunday, 2, day_type), hour]
        )
        factor = factor * np.where(tet, _setting(cfg.holidays.tet.factors, sector, 1.0), 1.0)
        out[i] = factor * np.where(spike, _setting(eve.factors, sector, 1.0), 1.0)
    return out


def _year_means(years: np.ndarray, tz: str, sectors: Sequence[str], model: TemporalModel, in_region: bool) -> dict:
    """Mean raw factor per sector over each local calendar year."""
    means = {}
    for year in np.unique(years):
        start = pd.Timestamp(f"{year}-01-01", tz=tz)
        local = pd.date_range(start, pd.Timestamp(f"{year + 1}-01-01", tz=tz), freq="h", inclusive="left")
        means[int(year)] = _raw_factors(local, sectors, model, in_region).mean(axis=1)
    return means


def temporal_factors(
    valid_times_utc: pd.DatetimeIndex,
    tz: str,
    sectors: Sequence[str],
    config: EmissionProfilesConfig | TemporalModel | None = None,
    *,
    in_burning_region: bool = False,
) -> xr.DataArray:
    """Hourly emission factors [1] per sector, mean 1 over each local calendar year.

    Parameters
    ----------
    valid_times_utc : DatetimeIndex
        Hour-ending valid times, UTC (naive times are taken as UTC).
    tz : str
        IANA time zone of the place (the station's ``time_zone``), e.g. ``"Asia/Ho_Chi_Minh"``.
    sectors : sequence of str
        Sector names: GNFR keys, letter codes, TNO ``F1``–``F4`` or Copernicus names; kept as given.
    config : EmissionProfilesConfig or TemporalModel, optional
        Settings (default: the packaged ``emissions.yaml``). Pass a :class:`TemporalModel` to avoid
        re-reading the profile files on every call.
    in_burning_region : bool
        Whether the place lies in the open-burning region (see ``OpenBurningConfig.in_region``).

    Returns
    -------
    DataArray, dims (sector, time)
        Factors [1]; ``time`` is tz-naive datetime64 meaning UTC.

    Raises
    ------
    KeyError
        An unknown sector name.
    """
    model = config if isinstance(config, TemporalModel) else TemporalModel.from_config(config)
    sectors = list(sectors)
    local = local_interval_start(valid_times_utc, tz)
    raw = _raw_factors(local, sectors, model, in_burning_region)
    years = local.year.to_numpy()
    means = _year_means(years, tz, sectors, model, in_burning_region)
    norm = np.stack([means[int(y)] for y in years], axis=1) if len(years) else np.ones((len(sectors), 0))
    factors = raw / np.where(norm > 0, norm, 1.0)
    times = local.tz_convert("UTC").tz_localize(None) + pd.Timedelta(hours=1)
    return xr.DataArray(
        factors,
        dims=(SECTOR, TIME),
        coords={SECTOR: np.array(sectors, dtype=object), TIME: times.to_numpy(dtype="datetime64[ns]")},
        name="emission_temporal_factor",
        attrs={
            "units": "1",
            "long_name": "temporal emission factor (mean 1 over each local calendar year)",
            "time_zone": tz,
            "hour_convention": "hour-ending UTC stamps; profiles use the local start of the hour",
            "profiles": model.profiles.source,
            "in_burning_region": int(in_burning_region),
        },
    )
