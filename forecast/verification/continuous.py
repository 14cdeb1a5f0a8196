"""Continuous scores of hourly forecasts by lead hour, lead window and local day D1–D3.

Pairs are pooled over stations and issues within each pollutant and group. With
``pairing="common"`` (the default) every method is scored on the same pairs: those where the
observation and all methods forecasting that pollutant are finite, which is the fair comparison.
With ``pairing="own"`` each method is scored on its own finite pairs; skill scores always use the
pairs where the method, the reference and the observation are finite (see
:mod:`forecast.verification.scoring`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from forecast.verification.hindcast import LEAD_H, OBSERVED, POLLUTANT, Hindcast, check_pairing
from forecast.verification.periods import LEAD_WINDOWS
from forecast.verification.scoring import SCORE_COLUMNS, Pairs, common_mask, score_pairs, skill_columns

logger = logging.getLogger(__name__)

GROUP_KINDS: Final[Mapping[str, str]] = {"lead": LEAD_H, "window": "window", "day": "day"}
"""Group kind -> column of the prepared hindcast frame it groups by."""


def hourly_pairs(hindcast: Hindcast, pairing: str) -> Pairs:
    """``method -> (forecast, observed)`` arrays over the hindcast rows for one pairing.

    ``common``: NaN outside :func:`~forecast.verification.scoring.common_mask`; ``own``: as in the table.
    """
    frame = hindcast.frame
    observed = frame[OBSERVED].to_numpy(dtype=np.float64)
    mask = common_mask(frame, hindcast.methods, OBSERVED, POLLUTANT) if pairing == "common" else None
    pairs = {}
    for method in hindcast.methods:
        f = frame[method].to_numpy(dtype=np.float64)
        if mask is None:
            pairs[method] = (f, observed)
        else:
            pairs[method] = (np.where(mask, f, np.nan), np.where(mask, observed, np.nan))
    return pairs


def table_columns(kind_columns: Sequence[str], references: Sequence[str]) -> list[str]:
    """Column order of a continuous score table."""
    return [
        "pollutant",
        "group_kind",
        "group",
        *kind_columns,
        "method",
        "pairing",
        *SCORE_COLUMNS,
        *skill_columns(references),
    ]


def continuous_scores(
    table: pd.DataFrame | Hindcast,
    by: str = "lead",
    *,
    methods: Sequence[str] | None = None,
    tz_by_station: Mapping[str, str] | str | None = None,
    pairing: str = "common",
    windows: Mapping[str, tuple[int, int]] = LEAD_WINDOWS,
) -> pd.DataFrame:
    """Hourly RMSE, MAE, bias, correlation and skill per pollutant and lead / window / local day.

    Parameters
    ----------
    table
        Hindcast table (:mod:`forecast.verification.hindcast`) or a prepared :class:`Hindcast`.
    by
        ``"lead"`` (lead hour 1 … 72), ``"window"`` (lead windows) or ``"day"`` (local D1 … D3).
    methods
        Forecast columns to score; default ``forecast`` + the reference columns present.
    tz_by_station
        ``station_id -> IANA zone`` for the local days (default ``Asia/Ho_Chi_Minh``).
    pairing
        ``"common"`` (default), ``"own"`` or ``"both"`` (:data:`~forecast.verification.hindcast.PAIRINGS`).
    windows
        Lead windows, label -> inclusive (first, last) lead hour.

    Returns
    -------
    pandas.DataFrame
        Columns ``pollutant, group_kind, group`` (text: ``"1"`` … ``"72"``, ``"1-24 h"``, ``"D1"``),
        ``lead_h`` (only for ``by="lead"``), ``method, pairing, n, mean_forecast, mean_observed,
        bias, mae, rmse`` [µg/m³], ``corr`` [1] and ``skill_vs_<ref>``, ``rmse_ratio_vs_<ref>`` [1] for
        each reference present (persistence, climatology, ctm).
    """
    if by not in GROUP_KINDS:
        raise ValueError(f"by must be one of {', '.join(GROUP_KINDS)}, got {by!r}")
    hindcast = Hindcast.from_table(table, methods, tz_by_station, windows)
    frame = hindcast.frame
    keys = pd.DataFrame({"pollutant": frame[POLLUTANT], "group": frame[GROUP_KINDS[by]]})
    kind_columns = [LEAD_H] if by == "lead" else []
    parts = []
    for mode in check_pairing(pairing):
        scores = score_pairs(keys, ["pollutant", "group"], hourly_pairs(hindcast, mode), hindcast.references)
        parts.append(scores.assign(pairing=mode, group_kind=by))
    result = pd.concat(parts, ignore_index=True)
    if by == "lead":
        result[LEAD_H] = result["group"].astype(np.int64)
    result["group"] = result["group"].astype(str)
    result["pollutant"] = result["pollutant"].astype(str)
    logger.debug("continuous scores by %s: %d rows", by, len(result))
    return result[table_columns(kind_columns, hindcast.references)]
