"""Readers on the real files of ../shared/data, checked against the facts in each SOURCE.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from configs.networks import StationRegistry
from met_inputs.observations import QCFlag, passes_qc, read_observation_file

pytestmark = pytest.mark.realdata

UTC = "UTC"


@pytest.fixture(scope="module")
def registry() -> StationRegistry:
    return StationRegistry.from_dir()


@pytest.fixture(scope="module")
def vn(shared_data):
    return shared_data / "vn_usembassy_pm25"


def has(flags: pd.Series, flag: QCFlag) -> pd.Series:
    return (flags.astype(int) & int(flag)) != 0


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


# --- StateAir / AirNow ------------------------------------------------------------------------
STATEAIR_FACTS = [
    # path, rows, Valid, Invalid, Missing, Suspect, first UTC (hour-ending), last UTC
    (
        "hanoi_kikyou21/Hanoi_PM2.5_2016_YTD.csv",
        8784,
        8322,
        60,
        402,
        0,
        "2015-12-31 18:00",
        "2016-12-31 17:00",
    ),
    (
        "hanoi_kikyou21/Hanoi_PM2.5_2017_YTD.csv",
        8760,
        8674,
        24,
        62,
        0,
        "2016-12-31 18:00",
        "2017-12-31 17:00",
    ),
    (
        "hanoi_kikyou21/Hanoi_PM2.5_2018_YTD.csv",
        8339,
        7998,
        196,
        145,
        0,
        "2017-12-31 18:00",
        "2018-12-31 17:00",
    ),
    ("hanoi_chuvanan/Hanoi_PM2.5_2015_12_MTD.csv", 531, 522, 8, 0, 1, "2015-12-08 22:00", "2015-12-31 00:00"),
    (
        "hanoi_chuvanan/Hanoi_PM2.5_2016_12_MTD.csv",
        720,
        688,
        0,
        32,
        0,
        "2016-11-30 18:00",
        "2016-12-30 17:00",
    ),
    (
        "hanoi_chuvanan/Hanoi_PM2.5_2016_YTD.csv",
        8040,
        7610,
        60,
        370,
        0,
        "2015-12-31 18:00",
        "2016-11-30 17:00",
    ),
    ("hanoi_chuvanan/Hanoi_PM2.5_2017_06_MTD.csv", 96, 90, 4, 2, 0, "2017-05-31 18:00", "2017-06-04 17:00"),
    (
        "hanoi_chuvanan/Hanoi_PM2.5_2017_YTD.csv",
        2880,
        2773,
        1,
        106,
        0,
        "2016-12-31 18:00",
        "2017-04-30 17:00",
    ),
    (
        "hcmc_RoesM/HoChiMinhCity_PM2.5_2016_YTD.csv",
        7043,
        6793,
        210,
        40,
        0,
        "2016-02-11 07:00",
        "2016-11-30 17:00",
    ),
    (
        "hcmc_RoesM/HoChiMinhCity_PM2.5_2017_YTD.csv",
        8760,
        8491,
        201,
        67,
        1,
        "2016-12-31 18:00",
        "2017-12-31 17:00",
    ),
]


@pytest.mark.parametrize(
    ("name", "rows", "valid", "invalid", "missing", "suspect", "first", "last"), STATEAIR_FACTS
)
def test_stateair_files_keep_every_row_with_source_qc_and_utc_hour_ending_times(
    vn, registry, name, rows, valid, invalid, missing, suspect, first, last
):
    batch = read_observation_file(vn / name, registry)
    obs = batch.obs
    assert batch.source_format == "stateair"
    assert batch.met.empty
    assert len(obs) == rows
    assert obs["source_qc"].value_counts().to_dict() == {
        k: v
        for k, v in {"Valid": valid, "Invalid": invalid, "Missing": missing, "Suspect": suspect}.items()
        if v
    }
    assert has(obs.qc_flag, QCFlag.SOURCE_INVALID).sum() == invalid
    assert has(obs.qc_flag, QCFlag.SOURCE_SUSPECT).sum() == suspect
    assert obs.time.iloc[0] == utc(first) and obs.time.iloc[-1] == utc(last)
    assert obs.time.is_monotonic_increasing and not obs.time.duplicated().any()
    assert set(obs.pollutant) == {"pm25"}
    assert set(obs.unit_original) == {"UG/M3"}
    expected_station = "us-consulate-hcmc" if "hcmc" in name else "us-embassy-hanoi"
    assert set(obs.station_id) == {expected_station}


def test_hanoi_first_stamp_is_converted_from_local_hour_ending_to_utc(vn, registry):
    obs = read_observation_file(vn / "hanoi_kikyou21/Hanoi_PM2.5_2016_YTD.csv", registry).obs
    first = obs.iloc[0]
    # "2016-01-01 01:00 AM" local (UTC+7), hour-ending → 2015-12-31T18:00Z
    assert first.time == utc("2015-12-31 18:00") and first.value == pytest.approx(94.7)
    assert str(obs.time.dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize(
    ("name", "day", "first_value", "second_value"),
    [
        ("hanoi_kikyou21/Hanoi_PM2.5_2016_YTD.csv", "2016-03-13", 1.2, 6.9),
        ("hanoi_kikyou21/Hanoi_PM2.5_2017_YTD.csv", "2017-03-12", 26.9, 25.2),
        ("hanoi_kikyou21/Hanoi_PM2.5_2018_YTD.csv", "2018-03-11", 43.0, 44.1),
        ("hcmc_RoesM/HoChiMinhCity_PM2.5_2016_YTD.csv", "2016-03-13", 22.0, 25.0),
    ],
)
def test_fake_dst_duplicate_first_0300_becomes_0200_and_is_flagged(
    vn, registry, name, day, first_value, second_value
):
    obs = read_observation_file(vn / name, registry).obs.set_index("time")
    two_local = pd.Timestamp(f"{day} 02:00", tz="Asia/Ho_Chi_Minh").tz_convert(UTC)
    three_local = two_local + pd.Timedelta(hours=1)
    assert obs.loc[two_local, "value"] == pytest.approx(first_value)
    assert obs.loc[three_local, "value"] == pytest.approx(second_value)
    assert has(pd.Series([obs.loc[two_local, "qc_flag"]]), QCFlag.DUPLICATE_RESOLVED).all()
    assert passes_qc(obs.loc[two_local, "qc_flag"])  # information only
    assert has(obs.qc_flag, QCFlag.DUPLICATE_RESOLVED).sum() == 1


def test_hanoi_2018_has_422_absent_local_stamps_and_421_absent_hours_after_the_dst_fix(vn, registry):
    path = vn / "hanoi_kikyou21/Hanoi_PM2.5_2018_YTD.csv"
    raw = pd.read_csv(path)
    stamps = pd.to_datetime(raw["Date (LT)"], format="%Y-%m-%d %I:%M %p")
    full_local = pd.date_range("2018-01-01 01:00", "2019-01-01 00:00", freq="h")
    assert len(full_local.difference(stamps)) == 422  # as SOURCE.md says (02:00 of 11 March included)

    obs = read_observation_file(path, registry).obs
    full_utc = pd.date_range(utc("2017-12-31 18:00"), utc("2018-12-31 17:00"), freq="h")
    absent = full_utc.difference(pd.DatetimeIndex(obs.time))
    assert len(absent) == 421
    gaps = pd.Series(absent).diff().ne(pd.Timedelta(hours=1)).cumsum()
    longest = pd.Series(absent).groupby(gaps.to_numpy()).agg(["first", "size"]).sort_values("size").iloc[-1]
    assert longest["size"] == 117
    assert longest["first"] == pd.Timestamp("2018-07-11 15:00", tz="Asia/Ho_Chi_Minh").tz_convert(UTC)


def test_rotated_snapshot_is_sorted(vn, registry):
    path = vn / "hanoi_chuvanan/Hanoi_PM2.5_2016_YTD.csv"
    assert pd.read_csv(path, nrows=1)["Date (LT)"].iloc[0] == "2016-08-09 01:00 AM"  # the file is rotated
    obs = read_observation_file(path, registry).obs
    assert obs.time.is_monotonic_increasing
    assert obs.time.iloc[0] == utc("2015-12-31 18:00")


def test_minus_999_flagged_valid_rows_become_missing(vn, registry):
    obs = read_observation_file(vn / "hanoi_chuvanan/Hanoi_PM2.5_2015_12_MTD.csv", registry).obs
    coded = obs[has(obs.qc_flag, QCFlag.MISSING_CODE)]
    assert len(coded) == 56
    assert (coded.source_qc == "Valid").all() and coded.value.isna().all()
    assert not passes_qc(coded.qc_flag).any()
    zeros = obs[(obs.value == 0) & (obs.source_qc == "Invalid")]
    assert len(zeros) == 8


@pytest.mark.parametrize(
    ("name", "negative", "negative_valid"),
    [
        ("hanoi_kikyou21/Hanoi_PM2.5_2016_YTD.csv", 18, None),
        ("hanoi_kikyou21/Hanoi_PM2.5_2017_YTD.csv", 24, None),
        ("hcmc_RoesM/HoChiMinhCity_PM2.5_2016_YTD.csv", 83, 9),
        ("hcmc_RoesM/HoChiMinhCity_PM2.5_2017_YTD.csv", 74, None),
    ],
)
def test_negative_raw_values_are_flagged_not_dropped(vn, registry, name, negative, negative_valid):
    obs = read_observation_file(vn / name, registry).obs
    neg = obs[has(obs.qc_flag, QCFlag.NEGATIVE)]
    assert len(neg) == negative and (neg.value < 0).all()
    if negative_valid is not None:
        assert (neg.source_qc == "Valid").sum() == negative_valid


def test_semicolon_file_with_unpadded_parts_reads_like_the_others(vn, registry):
    obs = read_observation_file(vn / "hcmc_RoesM/HoChiMinhCity_PM2.5_2016_YTD.csv", registry).obs
    first = obs.iloc[0]
    assert first.time == utc("2016-02-11 07:00") and first.value == 36.0  # 02:00 PM local


def test_stuck_catches_the_93_hour_flat_line_flagged_valid_in_hanoi_2016(vn, registry):
    obs = read_observation_file(vn / "hanoi_kikyou21/Hanoi_PM2.5_2016_YTD.csv", registry).obs
    stuck = obs[has(obs.qc_flag, QCFlag.STUCK)]
    flat = stuck[stuck.value == 59.0]
    assert len(flat) == 93 and (flat.source_qc == "Valid").all()


# --- Beijing ------------------------------------------------------------------------------------
def test_beijing_multisite_file(shared_data, registry):
    path = shared_data / "beijing_multisite/PRSA_Data_Aotizhongxin_20130301-20160229.csv"
    raw = pd.read_csv(path)
    batch = read_observation_file(path, registry)
    obs, met = batch.obs, batch.met
    assert batch.source_format == "beijing-multisite"
    assert len(raw) == 26_304
    assert len(obs) == 26_304 * 6 and len(met) == 26_304 * 6
    assert set(obs.station_id) == set(met.station_id) == {"bj-aotizhongxin"}
    assert set(met.variable) == {"t2m", "d2m", "sp", "tp", "ws10", "wd10"}
    # 2013-03-01 00 local, hour-beginning → ends 01:00+08 → 2013-02-28T17:00Z
    pm = obs[obs.pollutant == "pm25"].set_index("time")
    assert pm.index[0] == utc("2013-02-28 17:00") and pm.iloc[0].value == 4.0
    assert pm.index[-1] == utc("2016-02-29 16:00")
    for column, key in {"PM2.5": "pm25", "CO": "co", "O3": "o3"}.items():
        assert obs[obs.pollutant == key].value.isna().sum() == raw[column].isna().sum()
    wd = met[met.variable == "wd10"].set_index("time").value
    assert wd.iloc[0] == 337.5  # "NNW"
    co = obs[obs.pollutant == "co"].value
    assert co.max() > 1000  # CO already µg/m³, not converted


def test_stuck_and_spike_rarely_fire_on_ordinary_beijing_data(shared_data, registry):
    """Integer-resolution values repeat at low levels; the defaults must not flag ordinary hours."""
    path = shared_data / "beijing_multisite/PRSA_Data_Dongsi_20130301-20160229.csv"
    obs = read_observation_file(path, registry).obs
    present = obs[obs.value.notna()]
    for pollutant, limit in {
        "pm25": 0.005,
        "pm10": 0.005,
        "no2": 0.005,
        "so2": 0.005,
        "co": 0.01,
        "o3": 0.03,
    }.items():
        rows = present[present.pollutant == pollutant]
        rate = has(rows.qc_flag, QCFlag.STUCK | QCFlag.SPIKE).mean()
        assert rate < limit, (pollutant, rate)
    o3 = present[(present.pollutant == "o3") & (present.value > 800)]
    assert len(o3) and has(o3.qc_flag, QCFlag.IMPOSSIBLE).all()  # the 1071 µg/m3 run of August 2013


def test_beijing_us_embassy_file(shared_data, registry):
    path = shared_data / "beijing_usembassy_2010_2014/PRSA_data_2010.1.1-2014.12.31.csv"
    batch = read_observation_file(path, registry)
    obs, met = batch.obs, batch.met
    assert batch.source_format == "beijing-usembassy"
    assert len(obs) == 43_824 and set(obs.station_id) == {"us-embassy-beijing"}
    assert obs.value.isna().sum() == 2_067
    assert has(obs.qc_flag, QCFlag.MISSING_CODE).sum() == 2_067
    assert obs.time.iloc[0] == utc("2009-12-31 17:00")
    assert set(met.station_id) == {"zbaa-beijing-capital"}
    assert set(met.variable) == {"t2m", "d2m", "sp", "ws10"}
    ws = met[met.variable == "ws10"].set_index("time").value
    # Iws 1.79, 4.92, 6.71 (NW) … 43.82 then cv 0.89: hourly 1.79, 3.13, 1.79 … and 0.89 at the reset
    assert ws.iloc[:3].tolist() == pytest.approx([1.79, 3.13, 1.79])
    assert ws.iloc[15] == pytest.approx(0.89)
    assert (ws >= 0).all() and ws.max() < 25
    assert has(met[met.variable == "ws10"].qc_flag, QCFlag.DERIVED).all()


# --- Visual Crossing ----------------------------------------------------------------------------
def test_visual_crossing_2018_file_drops_the_stray_row_and_shifts_only_precipitation(shared_data, registry):
    path = shared_data / "hanoi_weather_noibai/hourly_weather_data_04_09_2018_to_31_12_2018.csv"
    batch = read_observation_file(path, registry)
    met = batch.met
    assert batch.source_format == "visualcrossing"
    assert set(met.station_id) == {"vvnb-noibai"}
    assert len(met) == 1_848 * 10
    assert any("empty datetime" in note for note in batch.notes)
    first = pd.Timestamp("2018-09-04 00:00", tz="Asia/Ho_Chi_Minh").tz_convert(UTC)
    at = met.set_index(["variable", "time"]).value
    assert first == utc("2018-09-03 17:00")
    assert at["t2m", first] == 25.5
    assert at["ws10", first] == pytest.approx(1.0)  # 3.6 km/h
    assert at["msl", first] == 1006.0
    assert ("tp", first) not in at.index and at["tp", first + pd.Timedelta(hours=1)] == 0.0
    assert np.isclose(at["wd10", first], 349.5)


def test_visual_crossing_calm_hours_flag_the_direction(shared_data, registry):
    path = shared_data / "hanoi_weather_noibai/hourly_weather_data_01_10_2015_to_13_07_2016.csv"
    met = read_observation_file(path, registry).met
    wide = met.pivot(index="time", columns="variable", values="value")
    calm_times = wide.index[wide.ws10 == 0]
    wd = met[(met.variable == "wd10") & met.time.isin(calm_times)]
    assert len(wd) and has(wd.qc_flag, QCFlag.CALM_DIRECTION).all()
