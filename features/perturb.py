"""Lead-dependent noise for the ``perturbed`` met mode: perfect prognosis made realistic.

For each issue and forecast day (leads 1–24, 25–48, 49–72 h) one error is drawn per variable,
shared by every station (forecast errors are spatially coherent at the scale of a city network)
and held for the day's 24 hours. Part of it is common to all variables (a day forecast "wrong" in
one way is often wrong in several), the rest is variable-specific. The noise grows with lead
(:class:`features.spec.PerturbationConfig`). Draws are seeded by the issue time, so training and
hindcasts are reproducible and a given issue gets the same error wherever it is built.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.met import magnus_rh
from features.spec import PerturbationConfig

SHARED_FRACTION = 0.5
"""Correlation of each variable's error with the common daily error."""

_VARIABLES = ("t2m", "d2m", "ws10", "wd10", "pressure", "tcc", "ssrd", "tp")


def daily_standard_normals(issue_times: pd.DatetimeIndex, n_days: int, seed: int) -> dict[str, np.ndarray]:
    """Standard-normal errors (issue, day) per variable, correlated through a common daily part."""
    hours = (issue_times.tz_convert("UTC").tz_localize(None).asi8 // 3_600_000_000_000).astype(np.int64)
    rows = []
    for hour in hours:
        rng = np.random.default_rng([seed, int(hour)])
        rows.append(rng.standard_normal((1 + len(_VARIABLES), n_days)))
    draws = np.stack(rows)  # (issue, 1 + variable, day)
    common = draws[:, 0, :]
    own = SHARED_FRACTION * common[:, None, :] + np.sqrt(1 - SHARED_FRACTION**2) * draws[:, 1:, :]
    return {name: own[:, k, :] for k, name in enumerate(_VARIABLES)}


def perturb_met(
    met: dict[str, np.ndarray], issue_times: pd.DatetimeIndex, leads: np.ndarray, config: PerturbationConfig
) -> dict[str, np.ndarray]:
    """Add the noise to valid-time met features ``name → (issue, station, lead)`` (returns new arrays)."""
    n_days = int(np.ceil(leads.max() / 24))
    z = daily_standard_normals(issue_times, n_days, config.seed)
    day = (leads - 1) // 24
    scale = config.floor + (1 - config.floor) * leads / 72.0  # (lead,)

    def error(name: str, sd: float) -> np.ndarray:
        return (z[name][:, day] * scale[None, :] * sd)[:, None, :]  # (issue, 1, lead)

    out = dict(met)
    e_t, e_d = error("t2m", config.t2m_sd_72h_k), error("d2m", config.d2m_sd_72h_k)
    out["t2m"] = met["t2m"] + e_t
    out["d2m"] = np.minimum(met["d2m"] + e_d, out["t2m"])
    out["dewpoint_depression_k"] = out["t2m"] - out["d2m"]
    out["rh2m"] = magnus_rh(out["t2m"], out["d2m"])
    rh_shift = out["rh2m"] - np.where(np.isfinite(met["rh2m"]), met["rh2m"], out["rh2m"])
    for name in ("rh2m_mean_24h", "rh2m_mean_since_issue"):
        out[name] = np.clip(met[name] + rh_shift, 0.0, 100.0)
    out["t2m_change_since_issue"] = met["t2m_change_since_issue"] + e_t
    out["t2m_range_24h"] = np.maximum(met["t2m_range_24h"] + 0.5 * np.abs(e_t), 0.0)
    wind_factor = np.exp(error("ws10", config.ws10_sd_72h_relative))
    out["ws10"] = met["ws10"] * wind_factor
    for name in ("ws10_mean_12h", "ws10_mean_24h", "ws10_mean_since_issue"):
        out[name] = met[name] * wind_factor
    out["ws10_change_since_issue"] = met["ws10_change_since_issue"] + met["ws10"] * (wind_factor - 1)
    turn = np.deg2rad(error("wd10", config.wd10_sd_72h_degree))
    for suffix in ("", "_mean_24h", "_mean_since_issue"):
        u, v = met[f"wind_u10{suffix}"] * wind_factor, met[f"wind_v10{suffix}"] * wind_factor
        out[f"wind_u10{suffix}"] = u * np.cos(turn) + v * np.sin(turn)
        out[f"wind_v10{suffix}"] = -u * np.sin(turn) + v * np.cos(turn)
    out["wind_v10_change_since_issue"] = met["wind_v10_change_since_issue"] + (out["wind_v10"] - met["wind_v10"])
    out["ws10_max_since_issue"] = met["ws10_max_since_issue"] * wind_factor
    out["wind_v10_min_since_issue"] = met["wind_v10_min_since_issue"] * wind_factor
    e_p = error("pressure", config.pressure_sd_72h_hpa)
    out["pressure_hpa"] = met["pressure_hpa"] + e_p
    out["pressure_tendency_24h_hpa"] = met["pressure_tendency_24h_hpa"] + e_p
    out["pressure_change_since_issue_hpa"] = met["pressure_change_since_issue_hpa"] + e_p
    dew_error = out["d2m"] - met["d2m"]
    for name in ("d2m_change_since_issue", "d2m_mean_change_since_issue", "d2m_change_24h"):
        out[name] = met[name] + dew_error
    out["d2m_min_change_since_issue"] = met["d2m_min_change_since_issue"] + dew_error
    out["rh2m_change_since_issue"] = met["rh2m_change_since_issue"] + rh_shift
    out["tcc"] = np.clip(met["tcc"] + error("tcc", config.tcc_sd_72h_percent), 0.0, 100.0)
    out["ssrd"] = met["ssrd"] * np.exp(error("ssrd", config.ssrd_sd_72h_relative))
    rain_factor = np.exp(error("tp", config.tp_sd_72h_relative))
    out["tp"] = met["tp"] * rain_factor
    out["tp_sum_24h"] = met["tp_sum_24h"] * rain_factor
    out["tp_sum_since_issue"] = met["tp_sum_since_issue"] * rain_factor
    with np.errstate(invalid="ignore"):
        out["nocturnal_stability_proxy"] = out["t2m_range_24h"] / (out["ws10_mean_12h"] + 0.5)
        stagnant = (out["ws10_mean_12h"] < 2.0) & (out["tp_sum_24h"] < 1.0)
    out["stagnation_proxy"] = np.where(np.isfinite(met["stagnation_proxy"]), stagnant, np.nan)
    return out
