"""Settings of the operational cycle (``cycle.yaml``): what a run forecasts, its alerts and its schedule."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from configs.schema import DEFAULT_LOCAL_TZ, POLLUTANTS
from configs.yamlfile import load_model

CYCLE_FILE = Path(__file__).with_name("cycle.yaml")


class AlertSettings(BaseModel):
    """When a station raises an alert (national plan: limits exceeded or data stopped for > 2 h)."""

    model_config = ConfigDict(extra="forbid")

    silent_hours: float = Field(default=2.0, gt=0, description="no observation for longer than this [h]")
    exceedance_aqi: int = Field(default=151, ge=1, le=500, description="observed hourly VN_AQI at or above this")


class ScheduleSettings(BaseModel):
    """When ``vnaqi schedule`` runs each cycle (UTC data times; bulletins at local times)."""

    model_config = ConfigDict(extra="forbid")

    cycle_hours_utc: list[int] = Field(default_factory=lambda: [0, 12])
    first_try_after_minutes: int = Field(default=300, ge=0, description="first attempt after the cycle time")
    retry_every_minutes: int = Field(default=20, gt=0, description="retry while inputs are late")
    deadline_minutes: int = Field(
        default=540, gt=0, description="after this (from the cycle time) publish with whatever fallbacks it takes"
    )
    bulletin_local_times: dict[int, str] = Field(
        default_factory=lambda: {0: "16:30", 12: "05:30"},
        description="cycle hour → local time (HH:MM, Asia/Ho_Chi_Minh) its bulletin is due",
    )

    @field_validator("cycle_hours_utc")
    @classmethod
    def _hours(cls, hours: list[int]) -> list[int]:
        if not hours or any(not 0 <= h <= 23 for h in hours):
            raise ValueError(f"cycle hours must be whole UTC hours 0–23, got {hours}")
        return sorted(set(hours))

    @field_validator("bulletin_local_times")
    @classmethod
    def _clock_times(cls, times: dict[int, str]) -> dict[int, str]:
        for hour, text in times.items():
            hh, sep, mm = str(text).partition(":")
            if not (0 <= hour <= 23 and sep and hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
                raise ValueError(f"bulletin time for cycle hour {hour} must be HH:MM local, got {text!r}")
        return times


class ReviewSettings(BaseModel):
    """Who releases a run: a forecaster (``required``) or the service at once, marked "not reviewed"."""

    model_config = ConfigDict(extra="forbid")

    required: bool = Field(
        default=False,
        description="a run waits for `vnaqi runs approve` before its bulletin is released (staffed sites)",
    )
    publish_unreviewed_at_deadline: bool = Field(
        default=True,
        description="when required and nobody approved a run by its bulletin's due time "
        "(schedule.bulletin_local_times), the scheduler releases it marked 'not reviewed by a forecaster'",
    )


class CycleSettings(BaseModel):
    """One cycle: pollutants, models, observation history, local time zone, alerts and schedule."""

    model_config = ConfigDict(extra="forbid")

    pollutants: list[str] = Field(default_factory=lambda: list(POLLUTANTS))
    model_alias: str = Field(default="champion", description="registry alias each pollutant's model is loaded by")
    history_days: int = Field(default=14, ge=3, description="days of observations read before the cycle")
    climatology_days: int = Field(default=3 * 365, ge=30, description="days behind the baseline fallback")
    recent_obs_hours: int = Field(default=6, ge=1, description="a station with no observation this recent is flagged")
    neighbour_radius_km: float = Field(
        default=25.0,
        ge=0,
        description="a flagged station's model inputs borrow the history of a fresh station this near",
    )
    time_zone: str = DEFAULT_LOCAL_TZ
    daily_completeness: float = Field(default=0.75, ge=0, le=1)
    probability_levels: list[float] = Field(
        default_factory=lambda: [0.02, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.98],
        description="quantile levels of the scenarios behind the category probabilities",
    )
    drivers_lead_stride: int = Field(
        default=1,
        ge=1,
        le=6,
        description="split the pm25 forecast into feature-family contributions (the bulletin's 'why') on every "
        "n-th lead; 2 halves their cost for very large networks",
    )
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)

    @field_validator("pollutants")
    @classmethod
    def _known(cls, pollutants: list[str]) -> list[str]:
        unknown = [p for p in pollutants if p not in POLLUTANTS]
        if unknown or not pollutants:
            raise ValueError(f"unknown pollutant(s) {unknown}; choose from {', '.join(POLLUTANTS)}")
        return pollutants


class CycleConfigError(ValueError):
    """``cycle.yaml`` is missing or invalid."""


def load_cycle_settings(path: Path | None = None, home: Path | None = None) -> CycleSettings:
    """``path``, else ``<home>/cycle.yaml`` if it exists, else the packaged default."""
    if path is None:
        path = home / "cycle.yaml" if home is not None and (home / "cycle.yaml").is_file() else CYCLE_FILE
    return load_model(path, CycleSettings, CycleConfigError, "cycle")
