"""Window-mean scores: the mean forecast over a lead window or local day against the mean observation.

This is the headline metric of the service (e.g. "PM2.5 24 h mean, RMSE ratio to persistence for
leads 1–24 h"). Per issue, station, pollutant and window:

* the window's **hours** are those where the observation is finite and, with ``pairing="own"``, the
  method's forecast too, or with ``pairing="common"`` every method forecasting the pollutant;
* the window **counts** only when those hours reach ``min_fraction`` (75 %) of its nominal hours:
  18 of 24 for a lead window; for a local day, of the leads 1 … 72 falling in it (13 of the 17
  forecast hours of D1 of the 00 UTC run in Asia/Ho_Chi_Minh, 18 of 24 for D2);
* the forecast mean and the observed mean are taken over the same hours.

The window means are then scored like hourly pairs (:mod:`forecast.verification.scoring`), pooled
over stations and issues per pollutant and window.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from forecast.verification.continuous import hourly_pairs, table_columns
from forecast.verification.hindcast import ISSUE_TIME, POLLUTANT, STATION_ID, Hindcast, check_pairing
from forecast.verification.periods import LEAD_WINDOWS, required_hours, window_hours
from forecast.verification.scoring import Pairs, group_codes, score_pairs

logger = logging.getLogger(__name__)

WINDOW_KINDS = ("window", "day")
"""Kinds of window: lead windows and local forecast days."""
PAIR_COLUMNS = (
    ISSUE_TIME,
    STATION_ID,
    POLLUTANT,
    "group_kind",
    "group",
    "method",
    "pairing",
    "nominal_hours",
    "n_hours",
    "forecast_mean",
    "observed_mean",
)
"""Columns of :func:`window_mean_pairs`."""


def _nominal_hours(hindcast: Hindcast, kind: str) -> np.ndarray:
    """Nominal hours [h] of the window each row belongs to."""
    frame = hindcast.frame
    if kind == "day":
        return frame["day_hours"].to_numpy(dtype=np.int64)
    hours = np.array(list(window_hours(hindcast.windows).values()), dtype=np.int64)
    codes = frame["window"].cat.codes.to_numpy()
    return np.where(codes >= 0, hours[codes], 0)


def window_arrays(
    hindcast: Hindcast, kind: str, pairing: str, min_fraction: float
) -> tuple[pd.DataFrame, Pairs, dict[str, np.ndarray], np.ndarray]:
    """Window means of every method for one kind of window and one pairing.

    Returns
    -------
    tuple
        ``labels`` (one row per issue, station, pollutant and window: columns ``issue_time,
        station_id, pollutant, group``), ``pairs`` (``method -> (forecast_mean, observed_mean)``
        [µg/m³], NaN where the window does not count), ``n_hours`` (``method -> hours used``) and
        ``nominal`` (nominal hours of each window).
    """
    if kind not in WINDOW_KINDS:
        raise ValueError(f"kind must be one of {', '.join(WINDOW_KINDS)}, got {kind!r}")
    frame = hindcast.frame
    keys = pd.DataFrame(
        {
            ISSUE_TIME: frame[ISSUE_TIME],
            STATION_ID: frame[STATION_ID],
            POLLUTANT: frame[POLLUTANT],
            "group": frame[kind],
        }
    )
    codes, labels = group_codes(keys, [ISSUE_TIME, STATION_ID, POLLUTANT, "group"])
    n_groups = len(labels)
    inside = codes >= 0
    nominal = np.zeros(n_groups, dtype=np.int64)
    nominal[codes[inside]] = _nominal_hours(hindcast, kind)[inside]
    need = required_hours(nominal, min_fraction)
    pairs, counts = {}, {}
    for method, (f, o) in hourly_pairs(hindcast, pairing).items():
        used = inside & np.isfinite(f) & np.isfinite(o)
        c = codes[used]
        n_hours = np.bincount(c, minlength=n_groups)
        counts_ok = n_hours >= need
        with np.errstate(invalid="ignore", divide="ignore"):
            f_mean = np.bincount(c, weights=f[used], minlength=n_groups) / n_hours
            o_mean = np.bincount(c, weights=o[used], minlength=n_groups) / n_hours
        pairs[method] = (np.where(counts_ok, f_mean, np.nan), np.where(counts_ok, o_mean, np.nan))
        counts[method] = n_hours
    return labels, pairs, counts, nominal


def window_mean_pairs(
    table: pd.DataFrame | Hindcast,
    by: str = "window",
    *,
    methods: Sequence[str] | None = None,
    tz_by_station: Mapping[str, str] | str | None = None,
    pairing: str = "common",
    min_fraction: float = 0.75,
    windows: Mapping[str, tuple[int, int]] = LEAD_WINDOWS,
) -> pd.DataFrame:
    """The window means themselves, one row per issue, station, pollutant, window and method.

    Parameters
    ----------
    table
        Hindcast table or prepared :class:`~forecast.verification.hindcast.Hindcast`.
    by
        ``"window"`` (lead windows) or ``"day"`` (local days D1 … D3).
    methods, tz_by_station, pairing, windows
        As for :func:`~forecast.verification.continuous.continuous_scores`.
    min_fraction
        Fraction of the nominal hours that must have an observation (0.75 → 18 of 24).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PAIR_COLUMNS`: ``nominal_hours`` and ``n_hours`` [h], ``forecast_mean`` and
        ``observed_mean`` [µg/m³]; only windows that count.
    """
    hindcast = Hindcast.from_table(table, methods, tz_by_station, windows)
    parts = []
    for mode in check_pairing(pairing):
        labels, pairs, counts, nominal = window_arrays(hindcast, by, mode, min_fraction)
        for method, (f_mean, o_mean) in pairs.items():
            valid = np.isfinite(f_mean) & np.isfinite(o_mean)
            part = labels[valid].assign(
                group_kind=by,
                method=method,
                pairing=mode,
                nominal_hours=nominal[valid],
                n_hours=counts[method][valid],
                forecast_mean=f_mean[valid],
                observed_mean=o_mean[valid],
            )
            parts.append(part)
    result = pd.concat(parts, ignore_index=True)
    result["group"] = result["group"].astype(str)
    result[POLLUTANT] = result[POLLUTANT].astype(str)
    result[STATION_ID] = result[STATION_ID].astype(str)
    return result[list(PAIR_COLUMNS)]


def window_mean_scores(
    table: pd.DataFrame | Hindcast,
    by: Sequence[str] = WINDOW_KINDS,
    *,
    methods: Sequence[str] | None = None,
    tz_by_station: Mapping[str, str] | str | None = None,
    pairing: str = "common",
    min_fraction: float = 0.75,
    windows: Mapping[str, tuple[int, int]] = LEAD_WINDOWS,
) -> pd.DataFrame:
    """Scores of window means per pollutant and lead window and/or local day.

    Parameters
    ----------
    by
        Any of ``"window"`` and ``"day"``.
    table, methods, tz_by_station, pairing, min_fraction, windows
        As for :func:`window_mean_pairs`.

    Returns
    -------
    pandas.DataFrame
        Columns ``pollutant, group_kind`` (``window``/``day``), ``group`` (``"1-24 h"``, ``"D1"`` …),
        ``method, pairing, n`` (windows), ``mean_forecast, mean_observed, bias, mae, rmse`` [µg/m³],
        ``corr`` and ``skill_vs_<ref>``, ``rmse_ratio_vs_<ref>`` [1].
    """
    hindcast = Hindcast.from_table(table, methods, tz_by_station, windows)
    kinds = [by] if isinstance(by, str) else list(by)
    parts = []
    for kind in kinds:
        for mode in check_pairing(pairing):
            labels, pairs, _, _ = window_arrays(hindcast, kind, mode, min_fraction)
            scores = score_pairs(labels, [POLLUTANT, "group"], pairs, hindcast.references)
            parts.append(scores.assign(group_kind=kind, pairing=mode))
    result = pd.concat(parts, ignore_index=True)
    result["group"] = result["group"].astype(str)
    result[POLLUTANT] = result[POLLUTANT].astype(str)
    logger.debug("window-mean scores (%s): %d rows", ", ".join(kinds), len(result))
    return result[table_columns([], hindcast.references)]
