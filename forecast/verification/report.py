"""One entry point, :func:`verify`, and the :class:`VerificationReport` it returns.

>>> report = verify(hindcast_table)                                # doctest: +SKIP
>>> report.summary()          # pollutant × lead window: 24-h-mean RMSE per method, ratios, skill  # doctest: +SKIP
>>> report.save("verification/")                                  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.verification.categorical import categorical_columns, categorical_scores, contingency_table
from forecast.verification.continuous import continuous_scores
from forecast.verification.daily import DAILY_COLUMNS, daily_aqi_pairs
from forecast.verification.hindcast import FORECAST, Hindcast, check_pairing
from forecast.verification.periods import LEAD_WINDOWS
from forecast.verification.probabilistic import probabilistic_scores, reliability_table
from forecast.verification.window_means import window_mean_scores

logger = logging.getLogger(__name__)

SUMMARY_METRIC = "mean over each lead window (>= 75 % of its hours observed), pooled over stations and issues"


@dataclass(frozen=True)
class VerificationReport:
    """Tidy score tables of one hindcast (docs/verification.md lists every column).

    Attributes
    ----------
    by_lead, by_window, by_day
        Hourly continuous scores per pollutant and lead hour / lead window / local day D1–D3.
    window_means
        Scores of window means (lead windows and local days): the headline metric.
    daily_categories
        Daily VN_AQI categorical scores per pollutant (and ``all``), day D1–D3 and method.
    daily_aqi
        The daily VN_AQI pairs behind ``daily_categories`` (one row per issue, station, day, pollutant, method).
    probabilistic
        Interval coverage, width, pinball scores and approximate CRPS by lead window and lead hour.
    reliability
        Observed frequency of ``observed ≤ q_τ`` per nominal level τ.
    methods, references
        Methods scored and the references among them.
    pairing
        ``common``, ``own`` or ``both`` (every table has a ``pairing`` column where it applies).
    """

    by_lead: pd.DataFrame
    by_window: pd.DataFrame
    by_day: pd.DataFrame
    window_means: pd.DataFrame
    daily_categories: pd.DataFrame
    probabilistic: pd.DataFrame
    reliability: pd.DataFrame
    daily_aqi: pd.DataFrame = field(repr=False)
    methods: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    pairing: str = "common"

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table by name (the field names), in a fixed order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), pd.DataFrame)}

    @property
    def primary_method(self) -> str:
        """The method the summary's ratios and skill belong to: ``forecast`` if scored, else the first."""
        return FORECAST if FORECAST in self.methods else self.methods[0]

    def summary(self, method: str | None = None) -> pd.DataFrame:
        """The headline table: per pollutant and lead window, window-mean RMSE of every method.

        Parameters
        ----------
        method
            Method whose ``bias``, ``corr``, ``rmse_ratio_vs_<ref>`` and ``skill_vs_<ref>`` are shown
            (default :attr:`primary_method`).

        Returns
        -------
        pandas.DataFrame
            Columns ``pollutant, window, method, n`` (windows), ``rmse_<m>`` for every method [µg/m³],
            ``bias`` [µg/m³], ``corr``, ``rmse_ratio_vs_<ref>`` and ``skill_vs_<ref>`` [1]; common pairs
            when computed. E.g. the row (pm25, 1-24 h) holds "PM2.5 24 h mean, RMSE ratio to
            persistence for leads 1–24 h".
        """
        method = method or self.primary_method
        scores = self.window_means
        pairing = "common" if "common" in set(scores["pairing"]) else "own"
        scores = scores[(scores["group_kind"] == "window") & (scores["pairing"] == pairing)]
        refs = [r for r in self.references if f"skill_vs_{r}" in scores.columns]
        columns = [
            "pollutant",
            "window",
            "method",
            "n",
            *(f"rmse_{m}" for m in self.methods),
            "bias",
            "corr",
            *(f"rmse_ratio_vs_{r}" for r in refs),
            *(f"skill_vs_{r}" for r in refs),
        ]
        if scores.empty:
            return pd.DataFrame(columns=columns)
        keys = scores[["pollutant", "group"]].drop_duplicates()
        rmse = scores.pivot(index=["pollutant", "group"], columns="method", values="rmse")
        rmse = rmse.reindex(index=pd.MultiIndex.from_frame(keys), columns=list(self.methods))
        rmse.columns = [f"rmse_{m}" for m in rmse.columns]
        own = scores[scores["method"] == method].set_index(["pollutant", "group"])
        own = own[["n", "bias", "corr", *(f"rmse_ratio_vs_{r}" for r in refs), *(f"skill_vs_{r}" for r in refs)]]
        table = rmse.join(own).reset_index().rename(columns={"group": "window"}).assign(method=method)
        table["n"] = table["n"].astype("Int64")
        return table[columns]

    def contingency(self, pollutant: str = "all", day: str | None = None, method: str | None = None) -> pd.DataFrame:
        """6 × 6 observed × forecast category table (:func:`~forecast.verification.categorical.contingency_table`)."""
        return contingency_table(self.daily_aqi, pollutant, day, method or self.primary_method)

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write every table as ``<name>.csv`` and the summary as ``summary.csv`` and ``summary.json``.

        Returns
        -------
        dict
            File name stem -> path written.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = {}
        for name, frame in self.to_frames().items():
            written[name] = directory / f"{name}.csv"
            frame.to_csv(written[name], index=False)
        summary = self.summary()
        written["summary"] = directory / "summary.csv"
        summary.to_csv(written["summary"], index=False)
        rows = summary.astype(object).where(summary.notna(), None).to_dict(orient="records")
        document = {
            "metric": SUMMARY_METRIC,
            "units": "rmse and bias in ug m-3; ratios, skill and corr dimensionless",
            "method": self.primary_method,
            "methods": list(self.methods),
            "references": list(self.references),
            "pairing": self.pairing,
            "rows": [{k: _plain(v) for k, v in row.items()} for row in rows],
        }
        written["summary_json"] = directory / "summary.json"
        written["summary_json"].write_text(json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False))
        logger.info("verification tables written to %s", directory)
        return written


def _plain(value: object) -> object:
    """JSON-friendly scalar (numpy numbers -> Python, NaN -> None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def verify(
    table: pd.DataFrame,
    tz_by_station: Mapping[str, str] | str | None = None,
    methods: Sequence[str] | None = None,
    *,
    pairing: str = "common",
    min_window_fraction: float = 0.75,
    min_hours_fraction: float = 0.75,
    windows: Mapping[str, tuple[int, int]] = LEAD_WINDOWS,
    daily: bool = True,
) -> VerificationReport:
    """Score a hindcast table: continuous, window-mean, daily VN_AQI categorical and probabilistic.

    Parameters
    ----------
    table
        Hindcast table (:mod:`forecast.verification.hindcast`): ``issue_time, station_id, pollutant,
        lead_h, valid_time, forecast, observed`` [µg/m³], optional ``q10 q50 q90`` and reference
        columns ``persistence``, ``climatology``, ``ctm``.
    tz_by_station
        ``station_id -> IANA zone`` (default ``Asia/Ho_Chi_Minh`` for every station), or one zone.
    methods
        Forecast columns to score (default ``forecast`` + the reference columns present).
    pairing
        ``"common"`` (default: every method on the pairs all methods and the observation share),
        ``"own"`` or ``"both"``.
    min_window_fraction
        Share of a window's hours that must be observed for its mean to count (0.75 → 18 of 24).
    min_hours_fraction
        Completeness rule of the daily VN_AQI engine (0.75 → 18 of 24 hours, 6 of 8 for O3 8-h).
    windows
        Lead windows, label -> inclusive (first, last) lead hour.
    daily
        Compute the daily VN_AQI tables (the slowest part); ``False`` leaves them empty.

    Returns
    -------
    VerificationReport

    Raises
    ------
    ValueError
        Naming missing columns, an empty table, a table without observations, or another defect of
        the table (see :meth:`~forecast.verification.hindcast.Hindcast.from_table`).
    """
    check_pairing(pairing)
    hindcast = Hindcast.from_table(table, methods, tz_by_station, windows)
    by = {kind: continuous_scores(hindcast, kind, pairing=pairing) for kind in ("lead", "window", "day")}
    means = window_mean_scores(hindcast, pairing=pairing, min_fraction=min_window_fraction)
    if daily:
        pairs = daily_aqi_pairs(hindcast, min_hours_fraction=min_hours_fraction)
        categories = categorical_scores(pairs, pairing=pairing)
    else:
        pairs, categories = pd.DataFrame(columns=list(DAILY_COLUMNS)), pd.DataFrame(columns=categorical_columns())
    report = VerificationReport(
        by_lead=by["lead"],
        by_window=by["window"],
        by_day=by["day"],
        window_means=means,
        daily_categories=categories,
        probabilistic=probabilistic_scores(hindcast),
        reliability=reliability_table(hindcast),
        daily_aqi=pairs,
        methods=hindcast.methods,
        references=hindcast.references,
        pairing=pairing,
    )
    logger.info(
        "verified %d rows: methods %s, references %s, pairing %s",
        len(hindcast.frame),
        list(hindcast.methods),
        list(hindcast.references),
        pairing,
    )
    return report
