"""The one feature specification shared by training, hindcasts and the operational cycle.

A :class:`FeatureSpec` says which observation windows, meteorology and calendar features a
corrector sees. It is saved with every model, so inference builds exactly the columns the model
was trained on (mlforecast's lesson: one spec, no drift between fit and predict).

Met modes
---------
``perfect``
    Observed met at the valid time stands in for the NWP forecast: **perfect prognosis**, an
    upper bound on skill (no forecast is that good). The default for archives with observed met
    and no archived forecasts.
``perturbed``
    The same observed met plus lead-dependent noise shared across features and stations per
    forecast day (:mod:`features.perturb`): a realistic forecast error.
``none``
    Observations, climatology and calendar only.
``forecast``
    Met and CTM from a station cube extracted from real NWP/CTM forecasts (:mod:`met_inputs`),
    the operational mode.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from configs.schema import MAX_LEAD_HOURS, POLLUTANTS

MetMode = Literal["perfect", "perturbed", "none", "forecast"]
MET_MODES: tuple[str, ...] = ("perfect", "perturbed", "none", "forecast")

MET_INPUT_VARIABLES: tuple[str, ...] = ("t2m", "d2m", "rh2m", "sp", "msl", "tp", "ws10", "wd10", "tcc", "ssrd")
"""Observed-met variables a feature table may use. Visibility (``vis``) is left out on purpose: haze
lowers it, so it is a consequence of the pollution being forecast, not a driver."""


class PerturbationConfig(BaseModel):
    """Lead-dependent noise of the ``perturbed`` met mode.

    The standard deviation of the error added to a variable at lead ``h`` [h] is
    ``sd_72h × (floor + (1 − floor) × h / 72)``: small at the first hours (an NWP analysis is
    close to the truth), reaching ``sd_72h`` at 72 h. Values are typical day-3 errors of global
    NWP over land in the tropics and mid-latitudes.
    """

    model_config = ConfigDict(extra="forbid")

    seed: int = 20161
    floor: float = Field(default=0.35, ge=0, le=1)
    t2m_sd_72h_k: float = 2.0
    d2m_sd_72h_k: float = 2.5
    ws10_sd_72h_relative: float = Field(default=0.35, description="multiplicative log-normal error of wind speed")
    wd10_sd_72h_degree: float = 35.0
    pressure_sd_72h_hpa: float = 2.0
    tcc_sd_72h_percent: float = 20.0
    ssrd_sd_72h_relative: float = 0.25
    tp_sd_72h_relative: float = Field(default=0.8, description="multiplicative log-normal error of precipitation")


class FeatureSpec(BaseModel):
    """Which features a corrector uses; saved with the model and reused for every prediction."""

    model_config = ConfigDict(extra="forbid")

    pollutants: list[str] = Field(
        default_factory=lambda: list(POLLUTANTS),
        description="Pollutants whose recent observations are features (all targets' histories help each other).",
    )
    max_lead_hours: int = MAX_LEAD_HOURS
    history_windows_h: list[int] = Field(default_factory=lambda: [3, 6, 24])
    min_window_fraction: float = Field(default=0.5, ge=0, le=1, description="share of a window that must be observed")
    max_last_value_age_h: int = Field(default=24, description="older last values count as missing [h]")
    met_mode: MetMode = "perfect"
    met_window_hours: int = Field(default=12, description="window of the 'recent wind/rain' features before valid time")
    perturbation: PerturbationConfig = Field(default_factory=PerturbationConfig)
    calendar: bool = True
    emission_factors: bool = True
    station_attributes: bool = True
    climatology: bool = True
    local_tz_default: str = "Asia/Ho_Chi_Minh"

    @property
    def uses_met(self) -> bool:
        return self.met_mode != "none"
