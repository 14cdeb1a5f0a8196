"""Meteorological features at the valid time, and surface proxies of stability and ventilation.

The input is an hourly met series per station on the same hour-ending axis as the observations.
In the ``perfect`` and ``perturbed`` modes it is the observed met (perfect prognosis); in the
``forecast`` mode it is the observed met up to the issue time followed by the NWP forecast from
the station cube, so every mode shares this code. Units follow
:data:`configs.schema.MET_VARIABLES` (°C, hPa, %, mm in the hour, m s-1, degree from).

Inversion and ventilation need a vertical profile (``inversion_strength_k``, ``blh``,
``ventilation_coefficient_m2_s`` from :func:`met_inputs.derived.derive_all`); they are taken from
the station cube in the ``forecast`` mode and are NaN for archives of surface observations, where
two surface proxies stand in:

``nocturnal_stability_proxy`` [K s m-1]
    24 h temperature range over (12 h mean wind speed + 0.5 m s-1): clear calm nights cool fast and
    trap pollution under a surface inversion.
``stagnation_proxy`` [1]
    1 when the 12 h mean wind is under 2 m s-1 and the last 24 h were dry (< 1 mm).
"""

from __future__ import annotations

import numpy as np

from features.windows import trailing_mean, trailing_range, trailing_sum

PROFILE_COLUMNS: tuple[str, ...] = ("blh", "inversion_strength_k", "inversion_flag", "ventilation_coefficient_m2_s")
"""Valid-time features that only a forecast cube with pressure levels provides (NaN otherwise)."""

MET_COLUMNS: tuple[str, ...] = (
    "t2m",
    "d2m",
    "dewpoint_depression_k",
    "rh2m",
    "ws10",
    "wind_u10",
    "wind_v10",
    "pressure_hpa",
    "pressure_tendency_24h_hpa",
    "tp",
    "tp_sum_24h",
    "ws10_mean_12h",
    "t2m_range_24h",
    "tcc",
    "ssrd",
    "t2m_change_since_issue",
    "ws10_change_since_issue",
    "d2m_change_since_issue",
    "pressure_change_since_issue_hpa",
    "rh2m_change_since_issue",
    "wind_v10_change_since_issue",
    "d2m_mean_change_since_issue",
    "d2m_change_24h",
    "nocturnal_stability_proxy",
    "stagnation_proxy",
    "ws10_mean_24h",
    "wind_u10_mean_24h",
    "wind_v10_mean_24h",
    "rh2m_mean_24h",
    "ws10_mean_since_issue",
    "wind_u10_mean_since_issue",
    "wind_v10_mean_since_issue",
    "rh2m_mean_since_issue",
    "tp_sum_since_issue",
    "ws10_mean_24h_before_issue",
    "rh2m_mean_24h_before_issue",
    "ws10_max_since_issue",
    "wind_v10_min_since_issue",
    "d2m_min_change_since_issue",
    "calm_fraction_since_issue",
    "ws10_mean_next_6h",
    "wind_v10_mean_next_6h",
    "rh2m_mean_next_6h",
)
NEXT_HOURS = 6
"""Forward window: the forecast knows the hours just after the valid time too (up to the last lead)."""
SINCE_ISSUE = ("ws10", "wind_u10", "wind_v10", "rh2m", "tp")
"""Fields averaged (tp: summed) over the hours from the issue time to the valid time."""


def magnus_rh(t2m_c: np.ndarray, d2m_c: np.ndarray) -> np.ndarray:
    """Relative humidity [%] from temperature and dew point [°C] (Magnus, Alduchov & Eskridge 1996)."""
    a, b = 17.625, 243.04
    with np.errstate(invalid="ignore", over="ignore"):
        rh = 100.0 * np.exp(a * d2m_c / (b + d2m_c) - a * t2m_c / (b + t2m_c))
    return np.clip(rh, 0.0, 100.0)


def hourly_met_fields(met: dict[str, np.ndarray], window_hours: int = 12) -> dict[str, np.ndarray]:
    """Per-hour met fields (station, time) from the raw variables, windows ending at each hour.

    ``met`` maps archive met keys (t2m, d2m, rh2m, sp, msl, tp, ws10, wd10, tcc, ssrd) to
    (station, time) arrays; absent keys give NaN fields.
    """
    shape = next(iter(met.values())).shape
    nan = np.full(shape, np.nan)
    get = lambda key: met.get(key, nan)  # noqa: E731
    t2m, d2m = get("t2m"), get("d2m")
    rh = get("rh2m")
    rh = np.where(np.isfinite(rh), rh, magnus_rh(t2m, d2m))
    ws, wd = get("ws10"), get("wd10")
    radians = np.deg2rad(wd)
    pressure = np.where(np.isfinite(get("sp")), get("sp"), get("msl"))
    tendency = np.full(shape, np.nan)
    tendency[:, 24:] = pressure[:, 24:] - pressure[:, :-24]
    ws_mean = trailing_mean(ws, window_hours)
    t_range = trailing_range(t2m, 24)
    rain_24h = trailing_sum(get("tp"), 24)
    with np.errstate(invalid="ignore"):
        stagnant = np.where(np.isfinite(ws_mean) & np.isfinite(rain_24h), (ws_mean < 2.0) & (rain_24h < 1.0), np.nan)
        return {
            "t2m": t2m,
            "d2m": d2m,
            "dewpoint_depression_k": t2m - d2m,
            "rh2m": rh,
            "ws10": ws,
            "wind_u10": -ws * np.sin(radians),
            "wind_v10": -ws * np.cos(radians),
            "pressure_hpa": pressure,
            "pressure_tendency_24h_hpa": tendency,
            "tp": get("tp"),
            "tp_sum_24h": rain_24h,
            "ws10_mean_12h": ws_mean,
            "t2m_range_24h": t_range,
            "tcc": get("tcc"),
            "ssrd": get("ssrd"),
            "nocturnal_stability_proxy": t_range / (ws_mean + 0.5),
            "stagnation_proxy": stagnant.astype(float),
            "ws10_mean_24h": trailing_mean(ws, 24),
            "wind_u10_mean_24h": trailing_mean(-ws * np.sin(radians), 24),
            "wind_v10_mean_24h": trailing_mean(-ws * np.cos(radians), 24),
            "rh2m_mean_24h": trailing_mean(rh, 24),
            "d2m_change_24h": np.concatenate([np.full((shape[0], 24), np.nan), d2m[:, 24:] - d2m[:, :-24]], axis=1),
        }


def _mean_between(
    field: np.ndarray, issue_index: np.ndarray, valid_index: np.ndarray, per_lead_start: bool = False
) -> np.ndarray:
    """Mean of ``field`` over indices start+1 … end → (issue, station, lead); NaN below half coverage.

    ``issue_index`` (issue,) is the start of every lead's window, or with ``per_lead_start`` an
    (issue, lead) array of starts; ``valid_index`` (issue, lead) the ends.
    """
    start = issue_index if per_lead_start else np.broadcast_to(issue_index[:, None], valid_index.shape)
    finite = np.isfinite(field)
    pad = np.zeros((field.shape[0], 1))
    total = np.concatenate([pad, np.cumsum(np.where(finite, field, 0.0), axis=1)], axis=1)
    count = np.concatenate([pad, np.cumsum(finite, axis=1)], axis=1)
    sums = total[:, valid_index + 1] - total[:, start + 1]  # (station, issue, lead)
    counts = count[:, valid_index + 1] - count[:, start + 1]
    hours = valid_index - start
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts >= np.ceil(hours / 2)[None], sums / np.maximum(counts, 1), np.nan)
    return mean.transpose(1, 0, 2)


def met_at_valid_times(
    fields: dict[str, np.ndarray], issue_index: np.ndarray, leads: np.ndarray
) -> dict[str, np.ndarray]:
    """Gather :func:`hourly_met_fields` at each issue's valid times → name → (issue, station, lead).

    Adds the change of temperature, wind speed, dew point and pressure since the issue time (a new air
    mass — a cold front clearing the smog — shows as a drop of dew point and a rise of pressure),
    means (rain: totals) of :data:`SINCE_ISSUE` fields over the hours after the issue up to the valid
    time, and the wind and humidity of the 24 h before the issue.
    """
    valid_index = issue_index[:, None] + leads[None, :]  # (issue, lead)
    out = {}
    for name, field in fields.items():
        out[name] = field[:, valid_index].transpose(1, 0, 2)
    changes = (
        ("t2m_change_since_issue", "t2m"),
        ("ws10_change_since_issue", "ws10"),
        ("d2m_change_since_issue", "d2m"),
        ("pressure_change_since_issue_hpa", "pressure_hpa"),
        ("rh2m_change_since_issue", "rh2m"),
        ("wind_v10_change_since_issue", "wind_v10"),
    )
    for name, key in changes:
        out[name] = out[key] - fields[key][:, issue_index].T[:, :, None]
    d2m_at_issue = fields["d2m"][:, issue_index].T[:, :, None]
    out["d2m_mean_change_since_issue"] = _mean_between(fields["d2m"], issue_index, valid_index) - d2m_at_issue
    for key in SINCE_ISSUE:
        mean = _mean_between(fields[key], issue_index, valid_index)
        if key == "tp":
            out["tp_sum_since_issue"] = mean * leads[None, None, :]
        else:
            out[f"{key}_mean_since_issue"] = mean
    # extremes since the issue: a burst of strong (northerly) wind or a dry air mass clears pollution
    out["ws10_max_since_issue"] = np.fmax.accumulate(out["ws10"], axis=2)
    out["wind_v10_min_since_issue"] = np.fmin.accumulate(out["wind_v10"], axis=2)
    out["d2m_min_change_since_issue"] = np.fmin.accumulate(out["d2m"], axis=2) - d2m_at_issue
    calm = np.where(np.isfinite(out["ws10"]), out["ws10"] < 2.0, np.nan)
    with np.errstate(invalid="ignore"):
        out["calm_fraction_since_issue"] = np.nancumsum(calm, axis=2) / np.cumsum(np.isfinite(calm), axis=2)
    last_index = issue_index[:, None] + leads.max()
    for key in ("ws10", "wind_v10", "rh2m"):
        out[f"{key}_mean_next_{NEXT_HOURS}h"] = _mean_between(
            fields[key], valid_index, np.minimum(valid_index + NEXT_HOURS, last_index), per_lead_start=True
        )
    for key in ("ws10", "rh2m"):
        out[f"{key}_mean_24h_before_issue"] = np.broadcast_to(
            fields[f"{key}_mean_24h"][:, issue_index].T[:, :, None], out[key].shape
        )
    return {name: out[name] for name in MET_COLUMNS}
