"""Quality control of hourly observations: flags, never deletions.

Every row carries ``qc_flag``, an integer bitmask of :class:`QCFlag`. Readers set the bits that
only the source knows (its own QC label, missing codes, a resolved duplicate stamp); :func:`apply_qc`
adds the bits computed from the values. :func:`passes_qc` is true when no *bad* bit
(:data:`BAD_FLAGS`) is set; the other bits are information.

The context tests (STUCK, SPIKE, AFTER_GAP) run on each station-pollutant series of one batch
(one file), sorted by time, with gaps counted as hours. They do not see rows of other files, so a
run split across two files is judged in each part separately.

Thresholds (all configurable through :class:`QCConfig`; µg/m³ unless stated)
-----------------------------------------------------------------------------
IMPOSSIBLE — above a physical maximum for an hourly mean in ambient air:
    pm25 2000 (the highest hourly PM2.5 reported in severe haze, Delhi and Beijing, are ~1000–1900),
    pm10 10000 (Beijing dust storm of 15 March 2021 reached ~8000–9000 hourly),
    no2 2000 (~1060 ppb; kerbside maxima are a few hundred µg/m³),
    so2 5000 (~1900 ppb; only near smelter plumes reach thousands),
    o3 800 (~400 ppb; above any hourly ozone measured since the 1970s Los Angeles episodes),
    co 60000 (~52 ppm).
    The Beijing file holds O3 = 1071 µg/m³ (Dongsi, August 2013, repeated for 12 h): flagged.
INSTRUMENT_CAP — the value equals the reporting cap of the monitor (Beijing PM2.5/PM10 = 999):
    the true value is at least this. *Information* only: the hour was still very polluted, and
    dropping it would bias every statistic of extremes low.
STUCK — the same non-NaN value for ≥ ``min_hours`` consecutive hours **and** above ``min_value``.
    Values at the low end repeat naturally at integer resolution (SO2 = 2 and O3 = 2 µg/m³ run
    for days in the Beijing files, CO comes in 100 µg/m³ steps), so runs at or below ``min_value``
    (about 10 reporting steps; 20 for CO) are not judged. Defaults: 6 h above 10 µg/m³ for
    pm25, pm10, no2, o3; 8 h above 10 for so2; 6 h above 2000 for co. On the Beijing multi-site
    development files (12 stations × 26,304 h) this flags 0.03 % of PM2.5, 0.03 % of PM10,
    0.04 % of NO2, 0.02 % of SO2, 0.06 % of CO and 1.1 % of O3 values; the flagged runs are
    mostly gap fills that start at the same hour at several stations at once (2013-09-18 04:00
    everywhere; O3 held for 20–29 h at ~107 µg/m³ in March 2013), i.e. true positives.
SPIKE — a value at least ``ratio`` × the centred rolling median of ``window_hours`` hours (itself
    included, ≥ 4 values present) **and** at least ``min_jump`` above it: an isolated one- or
    two-hour excursion, not a build-up (a sustained episode, e.g. New-Year fireworks, raises the
    median too). Defaults: ratio 4 with min_jump 150 (pm25), 250 (pm10), 150 (no2, so2, o3),
    3000 (co); window 7 h. On the Beijing development files this flags ≤ 0.03 % of any pollutant
    (e.g. PM2.5 3 → 463 → 25 µg/m³); the Spring-Festival fireworks nights of 2014–2016 are not
    flagged. At the US Consulate HCMC it catches the recurring single-hour 985 µg/m³ values
    (the Met One BAM-1020 error value), which the source already marks Invalid.
AFTER_GAP — first value after ≥ ``gap_hours`` (6) hours without one: monitors often report a
    settling value after maintenance. Information only.
Met range checks — outside the physical limits of :data:`MET_LIMITS` → IMPOSSIBLE; a wind
    direction while the wind speed is 0 m/s (calm) → CALM_DIRECTION.

References
----------
WMO (2017), Guide to Instruments and Methods of Observation (WMO-No. 8), plausibility limits of
surface variables. US EPA (2017), Quality Assurance Handbook for Air Pollution Measurement Systems,
Vol. II, §4 (data validation: stuck values, spikes, limits).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import IntFlag

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


class QCFlag(IntFlag):
    """Bits of ``qc_flag``. Names are stable: the archive status reports counts per name."""

    SOURCE_INVALID = 1
    """The source's own QC calls the value invalid (StateAir ``Invalid``)."""
    MISSING_CODE = 2
    """No value: a missing code (-999, NA, empty cell) or the source's ``Missing`` label; value is NaN."""
    SOURCE_SUSPECT = 4
    """The source's own QC calls the value suspect (StateAir ``Suspect``)."""
    NEGATIVE = 8
    """Concentration below zero (instrument noise at low levels)."""
    IMPOSSIBLE = 16
    """Above the physical maximum (pollutants) or outside physical limits (met)."""
    INSTRUMENT_CAP = 32
    """Equals the monitor's reporting cap; the true value is at least this (information)."""
    STUCK = 64
    """Same value for many consecutive hours (flat line / gap fill)."""
    SPIKE = 128
    """Isolated excursion far above the neighbouring hours."""
    DUPLICATE_RESOLVED = 256
    """The stamp was re-labelled to resolve a duplicate (StateAir fake-DST hour) (information)."""
    AFTER_GAP = 512
    """First value after a gap (information)."""
    CALM_DIRECTION = 1024
    """Wind direction while the wind speed is zero: direction undefined."""
    DERIVED = 2048
    """Computed from other source fields, e.g. hourly wind from a cumulated total (information)."""


BAD_FLAGS: QCFlag = (
    QCFlag.SOURCE_INVALID
    | QCFlag.MISSING_CODE
    | QCFlag.SOURCE_SUSPECT
    | QCFlag.NEGATIVE
    | QCFlag.IMPOSSIBLE
    | QCFlag.STUCK
    | QCFlag.SPIKE
    | QCFlag.CALM_DIRECTION
)
"""Bits that make a value unusable; the rest (cap, duplicate resolved, after gap, derived) inform."""


def passes_qc(flag):
    """True where no bad bit is set. Works on an int, a numpy array or a pandas Series."""
    if isinstance(flag, pd.Series):
        return (flag.astype("int64") & int(BAD_FLAGS)) == 0
    if isinstance(flag, np.ndarray):
        return (flag.astype(np.int64) & int(BAD_FLAGS)) == 0
    return (int(flag) & int(BAD_FLAGS)) == 0


def flag_names(flag: int) -> list[str]:
    """Names of the bits set in ``flag``, e.g. ``['SOURCE_INVALID', 'NEGATIVE']``."""
    return [member.name for member in QCFlag if int(flag) & int(member)]


@dataclass(frozen=True)
class StuckRule:
    """Flag runs of ≥ ``min_hours`` [h] equal values that are above ``min_value`` [µg/m³]."""

    min_hours: int
    min_value: float


@dataclass(frozen=True)
class SpikeRule:
    """Flag values ≥ ``ratio`` × the centred median of ``window_hours`` [h] and ≥ ``min_jump`` [µg/m³]
    above it."""

    ratio: float
    min_jump: float
    window_hours: int = 7


MET_LIMITS: dict[str, tuple[float, float]] = {
    "t2m": (-80.0, 60.0),
    "d2m": (-90.0, 40.0),
    "rh2m": (0.0, 100.5),
    "sp": (500.0, 1100.0),
    "msl": (870.0, 1090.0),
    "tp": (0.0, 300.0),
    "ws10": (0.0, 75.0),
    "wd10": (0.0, 360.0),
    "u10": (-75.0, 75.0),
    "v10": (-75.0, 75.0),
    "tcc": (0.0, 100.0),
    "ssrd": (0.0, 1400.0),
    "vis": (0.0, 100.0),
}
"""Physical limits of observed met [units of :data:`configs.schema.MET_VARIABLES`] (WMO-No. 8)."""


@dataclass(frozen=True)
class QCConfig:
    """All QC thresholds; see the module docstring for their rationale."""

    max_value: dict[str, float] = field(
        default_factory=lambda: {
            "pm25": 2000.0,
            "pm10": 10000.0,
            "no2": 2000.0,
            "so2": 5000.0,
            "o3": 800.0,
            "co": 60000.0,
        }
    )
    instrument_caps: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: {"pm25": (999.0,), "pm10": (999.0,)}
    )
    stuck: dict[str, StuckRule] = field(
        default_factory=lambda: {
            "pm25": StuckRule(6, 10.0),
            "pm10": StuckRule(6, 10.0),
            "no2": StuckRule(6, 10.0),
            "o3": StuckRule(6, 10.0),
            "so2": StuckRule(8, 10.0),
            "co": StuckRule(6, 2000.0),
        }
    )
    spike: dict[str, SpikeRule] = field(
        default_factory=lambda: {
            "pm25": SpikeRule(4.0, 150.0),
            "pm10": SpikeRule(4.0, 250.0),
            "no2": SpikeRule(4.0, 150.0),
            "so2": SpikeRule(4.0, 150.0),
            "o3": SpikeRule(4.0, 150.0),
            "co": SpikeRule(4.0, 3000.0),
        }
    )
    gap_hours: int = 6
    met_limits: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(MET_LIMITS))


DEFAULT_QC = QCConfig()


def apply_qc(obs: pd.DataFrame, config: QCConfig = DEFAULT_QC) -> pd.DataFrame:
    """Add value-based QC bits to an ``obs`` table (see :mod:`met_inputs.observations.batch`).

    Parameters
    ----------
    obs : pandas.DataFrame
        Columns ``station_id, time, pollutant, value`` [µg/m³] and ``qc_flag`` (bits already set by
        the reader are kept).
    config : QCConfig
        Thresholds.

    Returns
    -------
    pandas.DataFrame
        A copy with ``qc_flag`` OR-ed with the new bits; same rows, same order.
    """
    out = obs.copy()
    if out.empty:
        return out
    value = out["value"].to_numpy(dtype="float64")
    pollutant = out["pollutant"]
    flags = out["qc_flag"].to_numpy(dtype=np.int64).copy()
    flags |= np.where(np.isnan(value), int(QCFlag.MISSING_CODE), 0)
    flags |= np.where(value < 0, int(QCFlag.NEGATIVE), 0)
    limit = pollutant.map(config.max_value).to_numpy(dtype="float64", na_value=np.inf)
    flags |= np.where(value > limit, int(QCFlag.IMPOSSIBLE), 0)
    for name, caps in config.instrument_caps.items():
        at_cap = (pollutant.to_numpy() == name) & np.isin(value, caps)
        flags |= np.where(at_cap, int(QCFlag.INSTRUMENT_CAP), 0)
    flags |= _context_flags(out, config)
    out["qc_flag"] = flags.astype(np.int32)
    return out


def _context_flags(obs: pd.DataFrame, config: QCConfig) -> np.ndarray:
    """STUCK, SPIKE and AFTER_GAP bits, aligned with ``obs`` rows."""
    ns = obs["time"].astype("int64").to_numpy()
    order = np.lexsort((ns, obs["pollutant"].to_numpy(), obs["station_id"].to_numpy()))
    frame = obs.iloc[order]
    hours = ns[order] // 3_600_000_000_000
    group = pd.factorize(frame["station_id"].astype(str) + "\x1f" + frame["pollutant"].astype(str))[0]
    value = frame["value"].to_numpy(dtype="float64")
    result = np.zeros(len(frame), dtype=np.int64)

    same_group = np.r_[False, group[1:] == group[:-1]]
    step = np.r_[0, np.diff(hours)]
    # STUCK: runs of equal values in consecutive hours (NaN never equals, so gaps break runs).
    continues = same_group & (step == 1) & np.r_[False, value[1:] == value[:-1]]
    run_id = np.cumsum(~continues)
    run_len = np.bincount(run_id)[run_id]
    pollutant = frame["pollutant"].to_numpy()
    for name, rule in config.stuck.items():
        hit = (pollutant == name) & (run_len >= rule.min_hours) & (value > rule.min_value)
        result |= np.where(hit, int(QCFlag.STUCK), 0)
    # AFTER_GAP: hours since the previous non-NaN value of the same series.
    present = ~np.isnan(value)
    idx = np.flatnonzero(present)
    if idx.size:
        prev_gap = np.r_[np.iinfo(np.int64).min, np.diff(hours[idx])]
        new_series = np.r_[True, group[idx][1:] != group[idx][:-1]]
        after_gap = ~new_series & (prev_gap > config.gap_hours)
        result[idx[after_gap]] |= int(QCFlag.AFTER_GAP)
    # SPIKE: per series on a regular hourly grid.
    result |= _spike_flags(frame, group, hours, value, config)
    back = np.empty_like(result)
    back[order] = result
    return back


def _spike_flags(frame, group, hours, value, config: QCConfig) -> np.ndarray:
    out = np.zeros(len(frame), dtype=np.int64)
    pollutant = frame["pollutant"].to_numpy()
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], len(frame)]
    for start, end in zip(starts, ends, strict=True):
        rule = config.spike.get(pollutant[start])
        if rule is None or end - start < 3:
            continue
        h = hours[start:end] - hours[start]
        grid = np.full(int(h.max()) + 1, np.nan)
        grid[h] = value[start:end]  # duplicate stamps: the last wins, for the median only
        median = (
            pd.Series(grid)
            .rolling(rule.window_hours, center=True, min_periods=(rule.window_hours + 1) // 2)
            .median()
            .to_numpy()[h]
        )
        x = value[start:end]
        with np.errstate(invalid="ignore"):
            hit = (x >= rule.ratio * median) & (x - median >= rule.min_jump)
        out[start:end] = np.where(hit, int(QCFlag.SPIKE), 0)
    return out


def apply_met_qc(met: pd.DataFrame, config: QCConfig = DEFAULT_QC) -> pd.DataFrame:
    """Add MISSING_CODE (NaN) and IMPOSSIBLE (outside :data:`MET_LIMITS`) bits to a ``met`` table."""
    out = met.copy()
    if out.empty:
        return out
    value = out["value"].to_numpy(dtype="float64")
    lo = (
        out["variable"]
        .map({k: v[0] for k, v in config.met_limits.items()})
        .to_numpy("float64", na_value=-np.inf)
    )
    hi = (
        out["variable"]
        .map({k: v[1] for k, v in config.met_limits.items()})
        .to_numpy("float64", na_value=np.inf)
    )
    flags = out["qc_flag"].to_numpy(dtype=np.int64).copy()
    flags |= np.where(np.isnan(value), int(QCFlag.MISSING_CODE), 0)
    with np.errstate(invalid="ignore"):
        flags |= np.where((value < lo) | (value > hi), int(QCFlag.IMPOSSIBLE), 0)
    flags |= _calm_direction(out)
    out["qc_flag"] = flags.astype(np.int32)
    return out


def _calm_direction(met: pd.DataFrame) -> np.ndarray:
    """CALM_DIRECTION on ``wd10`` rows whose ``ws10`` at the same station and time is 0 m/s."""
    is_ws = met["variable"].eq("ws10").to_numpy()
    is_wd = met["variable"].eq("wd10").to_numpy()
    result = np.zeros(len(met), dtype=np.int64)
    if not is_ws.any() or not is_wd.any():
        return result
    ws = met.loc[is_ws, ["station_id", "time", "value"]].drop_duplicates(["station_id", "time"])
    keys = pd.MultiIndex.from_frame(met.loc[is_wd, ["station_id", "time"]])
    ws_at = ws.set_index(["station_id", "time"])["value"].reindex(keys).to_numpy()
    result[np.flatnonzero(is_wd)[ws_at == 0]] = int(QCFlag.CALM_DIRECTION)
    return result
