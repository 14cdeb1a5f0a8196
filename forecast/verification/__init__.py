"""Verification of hindcasts: continuous, window-mean, daily VN_AQI categorical and probabilistic scores.

Input is a long hindcast table (one row per issue, station, pollutant and lead; see
:mod:`forecast.verification.hindcast` and docs/verification.md); output is tidy pandas tables.

>>> from forecast.verification import verify  # doctest: +SKIP
>>> report = verify(table, tz_by_station={"bj-aotizhongxin": "Asia/Shanghai"})  # doctest: +SKIP
>>> report.summary()  # doctest: +SKIP

Modules, one job each: ``periods`` (lead windows, local days D1–D3), ``hindcast`` (validation),
``scoring`` (grouped RMSE/MAE/bias/corr/skill), ``continuous`` (hourly scores), ``window_means``
(24-h mean scores), ``daily`` (daily VN_AQI through :mod:`forecast.aqi`), ``categorical``
(accuracy, POD/FAR/CSI, contingency), ``probabilistic`` (coverage, CRPS, reliability), ``report``
(:func:`verify`), ``plots``.
"""

from forecast.verification.categorical import THRESHOLDS, categorical_scores, contingency_table
from forecast.verification.continuous import continuous_scores
from forecast.verification.daily import daily_aqi_pairs
from forecast.verification.hindcast import (
    PAIRINGS,
    QUANTILES,
    REFERENCE_METHODS,
    REQUIRED_COLUMNS,
    Hindcast,
    default_methods,
)
from forecast.verification.periods import (
    FORECAST_DAYS,
    LEAD_WINDOWS,
    first_forecast_day,
    forecast_day,
    forecast_day_number,
    lead_window,
    local_day,
)
from forecast.verification.probabilistic import crps_quantile, pinball_loss, probabilistic_scores, reliability_table
from forecast.verification.report import VerificationReport, verify
from forecast.verification.window_means import window_mean_pairs, window_mean_scores

__all__ = [
    "FORECAST_DAYS",
    "LEAD_WINDOWS",
    "PAIRINGS",
    "QUANTILES",
    "REFERENCE_METHODS",
    "REQUIRED_COLUMNS",
    "THRESHOLDS",
    "Hindcast",
    "VerificationReport",
    "categorical_scores",
    "contingency_table",
    "continuous_scores",
    "crps_quantile",
    "daily_aqi_pairs",
    "default_methods",
    "first_forecast_day",
    "forecast_day",
    "forecast_day_number",
    "lead_window",
    "local_day",
    "pinball_loss",
    "probabilistic_scores",
    "reliability_table",
    "verify",
    "window_mean_pairs",
    "window_mean_scores",
]
