"""QC flags on crafted series: flags are set, nothing is deleted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from met_inputs.observations.qc import (
    BAD_FLAGS,
    QCConfig,
    QCFlag,
    StuckRule,
    apply_met_qc,
    apply_qc,
    flag_names,
    passes_qc,
)

T0 = pd.Timestamp("2024-01-01 01:00", tz="UTC")


def series(values, pollutant="pm25", station="s", start=T0, hours=None) -> pd.DataFrame:
    hours = range(len(values)) if hours is None else hours
    return pd.DataFrame(
        {
            "station_id": station,
            "time": [start + pd.Timedelta(hours=h) for h in hours],
            "pollutant": pollutant,
            "value": np.asarray(values, dtype=float),
            "unit_original": "ug/m3",
            "qc_flag": np.zeros(len(values), dtype=np.int32),
            "source_qc": None,
        }
    )


def flagged(frame: pd.DataFrame, flag: QCFlag) -> list[bool]:
    return [bool(f & flag) for f in frame.qc_flag]


def test_passes_qc_ignores_information_bits():
    assert passes_qc(0)
    assert passes_qc(QCFlag.INSTRUMENT_CAP | QCFlag.DUPLICATE_RESOLVED | QCFlag.AFTER_GAP | QCFlag.DERIVED)
    for bad in (
        QCFlag.SOURCE_INVALID,
        QCFlag.MISSING_CODE,
        QCFlag.NEGATIVE,
        QCFlag.IMPOSSIBLE,
        QCFlag.STUCK,
        QCFlag.SPIKE,
        QCFlag.SOURCE_SUSPECT,
        QCFlag.CALM_DIRECTION,
    ):
        assert not passes_qc(bad) and bad & BAD_FLAGS
    assert passes_qc(np.array([0, 64, 32])).tolist() == [True, False, True]
    assert flag_names(QCFlag.NEGATIVE | QCFlag.STUCK) == ["NEGATIVE", "STUCK"]


def test_qc_never_drops_or_reorders_rows():
    frame = series([5, -1, np.nan, 3000, 999]).iloc[::-1]
    out = apply_qc(frame)
    assert out.index.tolist() == frame.index.tolist() and out.value.equals(frame.value)


def test_value_checks():
    out = apply_qc(series([5, -0.5, np.nan, 2500, 999]))
    assert flagged(out, QCFlag.NEGATIVE) == [False, True, False, False, False]
    assert flagged(out, QCFlag.MISSING_CODE) == [False, False, True, False, False]
    assert flagged(out, QCFlag.IMPOSSIBLE) == [False, False, False, True, False]
    assert flagged(out, QCFlag.INSTRUMENT_CAP) == [False, False, False, False, True]
    assert passes_qc(out.qc_flag).tolist() == [True, False, False, False, True]


def test_reader_bits_are_kept():
    frame = series([5, 6])
    frame.loc[0, "qc_flag"] = int(QCFlag.SOURCE_INVALID)
    assert apply_qc(frame).qc_flag.tolist()[0] & QCFlag.SOURCE_INVALID


def test_o3_above_800_is_impossible_but_co_at_10000_is_not():
    assert flagged(apply_qc(series([1071.0], "o3")), QCFlag.IMPOSSIBLE) == [True]
    assert flagged(apply_qc(series([10000.0], "co")), QCFlag.IMPOSSIBLE) == [False]


def test_stuck_fires_from_the_sixth_equal_hour_above_the_floor():
    five = apply_qc(series([20, 30, 30, 30, 30, 30, 40]))
    assert not any(flagged(five, QCFlag.STUCK))
    six = apply_qc(series([20, 30, 30, 30, 30, 30, 30, 40]))
    assert flagged(six, QCFlag.STUCK) == [False] + [True] * 6 + [False]


def test_stuck_ignores_low_values_that_repeat_at_integer_resolution():
    out = apply_qc(series([3.0] * 48))  # PM2.5 3 µg/m³ for two days: detection-limit plateau
    assert not any(flagged(out, QCFlag.STUCK))
    assert not any(flagged(apply_qc(series([2.0] * 100, "so2")), QCFlag.STUCK))
    assert not any(flagged(apply_qc(series([300.0] * 30, "co")), QCFlag.STUCK))  # 100 µg/m³ steps
    assert all(flagged(apply_qc(series([3000.0] * 6, "co")), QCFlag.STUCK))


def test_a_gap_breaks_a_run_and_series_are_judged_separately():
    gap = series([30] * 6, hours=[0, 1, 2, 4, 5, 6])
    assert not any(flagged(apply_qc(gap), QCFlag.STUCK))
    two = pd.concat(
        [series([30] * 3, station="a"), series([30] * 3, station="b", start=T0 + pd.Timedelta(hours=3))]
    )
    assert not any(flagged(apply_qc(two), QCFlag.STUCK))


def test_stuck_threshold_is_configurable():
    config = QCConfig(stuck={"pm25": StuckRule(3, 10.0)})
    assert all(flagged(apply_qc(series([30, 30, 30]), config), QCFlag.STUCK))


def test_isolated_spike_is_flagged_but_a_sustained_episode_is_not():
    spike = apply_qc(series([40, 42, 38, 400, 41, 39, 40]))
    assert flagged(spike, QCFlag.SPIKE) == [False, False, False, True, False, False, False]
    # fireworks-like build-up: the neighbours rise too, so the median follows
    episode = apply_qc(series([80, 90, 150, 400, 600, 500, 450, 380, 300]))
    assert not any(flagged(episode, QCFlag.SPIKE))
    # a large ratio on a small base is not a spike (jump below 150 µg/m³)
    small = apply_qc(series([5, 6, 5, 60, 5, 6, 5]))
    assert not any(flagged(small, QCFlag.SPIKE))


def test_spike_uses_hours_not_rows():
    # the neighbours in rows are 10 h away on both sides: not enough hours within the 7 h window
    far = apply_qc(series([40, 400, 40], hours=[0, 10, 20]))
    assert not any(flagged(far, QCFlag.SPIKE))


def test_after_gap_marks_the_first_value_after_six_empty_hours():
    out = apply_qc(series([10, 11, 12, 13], hours=[0, 1, 8, 9]))
    assert flagged(out, QCFlag.AFTER_GAP) == [False, False, True, False]
    assert passes_qc(out.qc_flag).all()
    with_nan = apply_qc(series([10] + [np.nan] * 7 + [12]))
    assert flagged(with_nan, QCFlag.AFTER_GAP)[-1]


def test_met_limits_and_calm_direction():
    t = [T0, T0, T0, T0 + pd.Timedelta(hours=1), T0 + pd.Timedelta(hours=1)]
    met = pd.DataFrame(
        {
            "station_id": "w",
            "time": t,
            "variable": ["ws10", "wd10", "rh2m", "ws10", "wd10"],
            "value": [0.0, 120.0, 130.0, 2.0, 90.0],
            "qc_flag": 0,
        }
    )
    out = apply_met_qc(met)
    assert flagged(out, QCFlag.CALM_DIRECTION) == [False, True, False, False, False]
    assert flagged(out, QCFlag.IMPOSSIBLE) == [False, False, True, False, False]


@pytest.mark.parametrize("pollutant", ["pm25", "pm10", "no2", "o3", "so2", "co"])
def test_every_pollutant_has_a_rule_for_each_context_check(pollutant):
    config = QCConfig()
    assert pollutant in config.stuck and pollutant in config.spike and pollutant in config.max_value
