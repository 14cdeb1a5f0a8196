"""Temporal emission profiles: the real TNO/Copernicus files, yearly normalisation, shapes, configuration errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configs import CONFIG_DIR
from configs.emissions import GNFR_SECTORS, EmissionsConfigError, load_emission_config
from configs.errors import InputFileError
from met_inputs.emissions.profile_files import (
    read_copernicus_profile,
    read_emiproc_yaml,
    read_profile_set,
    read_tno_profile,
)
from met_inputs.emissions.profiles import TemporalModel, temporal_factors

PACKAGED = CONFIG_DIR / "emission_profiles"
TZ = "Asia/Ho_Chi_Minh"


_MODEL = TemporalModel.from_config()


@pytest.fixture(scope="module")
def model() -> TemporalModel:
    return _MODEL


def _year_utc(year: int, tz: str = TZ) -> pd.DatetimeIndex:
    """Hour-ending stamps of one local calendar year (01:00 1 Jan … 00:00 1 Jan next), in UTC."""
    return pd.date_range(f"{year}-01-01 01:00", f"{year + 1}-01-01 00:00", freq="h", tz=tz).tz_convert("UTC")


# --- the files -----------------------------------------------------------------------------------------
def test_tno_values_read_match_the_file_text():
    hour = read_tno_profile(PACKAGED / "tno" / "timeprofiles-hour-in-day_GNFR.csv", "hour")
    # row "6;F1;F_RoadTransport_exhaust_gasoline;0.19;0.09;0.06;0.05;0.09;0.22;0.86;1.84;..."
    assert hour["F_RoadTransport_exhaust_gasoline"][[0, 2, 7]].tolist() == [0.19, 0.06, 1.84]
    assert hour["C_OtherStationaryComb"][23] == 0.42
    week = read_tno_profile(PACKAGED / "tno" / "timeprofiles-day-in-week_GNFR.csv", "weekday")
    assert week["A_PublicPower"].tolist() == [1.06] * 5 + [0.85, 0.85]
    month = read_tno_profile(PACKAGED / "tno" / "timeprofiles-month-in-year_GNFR.csv", "month")
    assert month["L_AgriOther"].tolist() == [0, 2, 4.75, 2.9, 0.5, 0.4, 0.2, 0.5, 0.75, 0, 0, 0]
    assert month["K_AgriLivestock"][8] == 1.3
    assert len(hour) == 15  # A-E, F1-F4, G-L


def test_copernicus_values_read_match_the_file_text():
    hour = read_copernicus_profile(PACKAGED / "copernicus" / "timeprofiles-hour_in_day.csv", "hour")
    assert hour["C_OtherStationaryComb"][0] == 0.38 and hour["F_RoadTransport"][17] == 2.08
    month = read_copernicus_profile(PACKAGED / "copernicus" / "timeprofiles-month_in_year.csv", "month")
    assert month["E_Solvents"][11] == 0.91
    week = read_copernicus_profile(PACKAGED / "copernicus" / "timeprofiles-day_in_week.csv", "weekday")
    assert week["F_RoadTransport"].tolist() == [1.02, 1.06, 1.08, 1.1, 1.14, 0.81, 0.79]


def test_tno_and_copernicus_sets_carry_the_same_values():
    tno, cams = read_profile_set(PACKAGED / "tno", "tno"), read_profile_set(PACKAGED / "copernicus", "copernicus")
    assert tno.sectors == cams.sectors
    np.testing.assert_array_equal(tno.month, cams.month)
    np.testing.assert_array_equal(tno.weekday, cams.weekday)
    np.testing.assert_array_equal(tno.hour, cams.hour)


def test_file_profiles_have_mean_one_and_flat_hours_where_documented():
    profiles = read_profile_set(PACKAGED / "tno", "tno")
    np.testing.assert_allclose(profiles.month.mean(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(profiles.weekday.mean(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(profiles.hour.mean(axis=2), 1.0, atol=1e-9)
    for sector in ("D_Fugitives", "G_Shipping", "H_Aviation", "I_OffRoad", "J_Waste", "K_AgriLivestock", "L_AgriOther"):
        assert (profiles.hour[profiles.row(sector)] == 1.0).all(), sector


@pytest.mark.realdata
def test_packaged_copies_are_identical_to_shared_data(shared_data: Path):
    source = shared_data / "emission_profiles"
    for folder in ("tno", "copernicus"):
        for path in sorted((PACKAGED / folder).iterdir()):
            assert path.read_bytes() == (source / folder / path.name).read_bytes(), path
    assert (PACKAGED / "LICENSE-emiproc.txt").read_bytes() == (source / "LICENSE.txt").read_bytes()


@pytest.mark.realdata
def test_emiproc_yaml_profiles_are_rescaled_to_mean_one(shared_data: Path):
    heavy = read_emiproc_yaml(shared_data / "emission_profiles" / "yamls" / "heavy.yaml")
    # "season: [0.08, 0.09, 0.10, ...]" sums to exactly 1, so January is 0.08 × 12
    assert heavy["month"][0] == pytest.approx(0.96)
    assert heavy["weekday"].mean() == pytest.approx(1.0)
    # "diurn_sunday: [0.0257, 0.0248, ...]" -> Sunday row, divided by its mean
    assert heavy["hour"].shape == (3, 24)
    assert heavy["hour"][2, 1] / heavy["hour"][2, 0] == pytest.approx(0.0248 / 0.0257)
    assert heavy["hour"][0, 7] > heavy["hour"][0, 2]  # weekday 07-08 rush above 02-03
    assert read_emiproc_yaml(shared_data / "emission_profiles" / "yamls" / "no_factor.yaml") == {}


# --- the factors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("in_region", [False, True])
def test_factors_average_one_over_a_local_year(model, in_region):
    f = temporal_factors(_year_utc(2024), TZ, list(GNFR_SECTORS) + ["F3"], model, in_burning_region=in_region)
    assert f.dims == ("sector", "time") and f.shape == (13, 8784)
    np.testing.assert_allclose(f.mean("time").values, 1.0, rtol=1e-12)
    assert (f.values >= 0).all()


def test_traffic_hour_factor_is_higher_at_8_than_at_3_local(model):
    # Wednesday 2024-03-06, stamps 08:00 and 03:00 local (hour-ending) = 01:00 and 2024-03-05 20:00 UTC
    times = pd.DatetimeIndex(["2024-03-06 01:00", "2024-03-05 20:00"], tz="UTC")
    f = temporal_factors(times, TZ, ["F_RoadTransport"], model).values[0]
    assert f[0] > f[1]
    assert f[0] / f[1] == pytest.approx(1.84 / 0.06)  # file columns 8 and 3


def test_weekday_shape_of_traffic(model):
    # Friday 2024-03-08 vs Sunday 2024-03-10, same local hour (10:00 stamp)
    times = pd.DatetimeIndex(["2024-03-08 03:00", "2024-03-10 03:00"], tz="UTC")
    f = temporal_factors(times, TZ, ["F"], model).values[0]
    assert f[0] / f[1] == pytest.approx(1.14 / 0.79)


def test_local_hour_follows_the_time_zone(model):
    # the same UTC stamp is 08 local in Hanoi and 01 local in London (winter): traffic differs
    times = pd.DatetimeIndex(["2024-03-06 01:00"], tz="UTC")
    hanoi = temporal_factors(times, TZ, ["F_RoadTransport"], model).values[0, 0]
    london = temporal_factors(times, "Europe/London", ["F_RoadTransport"], model).values[0, 0]
    assert hanoi / london == pytest.approx(1.84 / 0.19, rel=1e-6)


def test_naive_times_are_utc_and_output_time_is_naive_utc(model):
    naive = pd.date_range("2024-03-06", periods=5, freq="h")
    f1 = temporal_factors(naive, TZ, ["A"], model)
    f2 = temporal_factors(naive.tz_localize("UTC"), TZ, ["A"], model)
    np.testing.assert_array_equal(f1.values, f2.values)
    assert f1["time"].values[0] == np.datetime64("2024-03-06T00:00")
    assert list(f1["sector"].values) == ["A"]


def test_unknown_sector_is_named(model):
    with pytest.raises(KeyError, match="Z_Nothing"):
        temporal_factors(pd.date_range("2024-01-01", periods=2, freq="h", tz="UTC"), TZ, ["Z_Nothing"], model)


def test_overrides_replace_and_renormalise_a_profile(tmp_path: Path):
    text = (CONFIG_DIR / "emissions.yaml").read_text(encoding="utf-8")
    hours = [1.0] * 7 + [3.0] + [1.0] * 16
    text = text.replace(
        "overrides: {}", f"overrides:\n  F:\n    hour_of_day: {hours}\n    day_of_week: [2, 2, 2, 2, 2, 2, 2]"
    )
    path = tmp_path / "emissions.yaml"
    path.write_text(
        text.replace("file: emission_profiles", f"file: {PACKAGED}")
        .replace("profiles_dir: emission_profiles", f"profiles_dir: {PACKAGED}")
        .replace("lunar_dates_file: emission_profiles", f"lunar_dates_file: {PACKAGED}"),
        encoding="utf-8",
    )
    model = TemporalModel.from_config(load_emission_config(path))
    row = model.profiles.row("F_RoadTransport")
    assert model.profiles.hour[row, 0, 7] == pytest.approx(3 * 24 / 26)
    assert (model.profiles.weekday[row] == 1.0).all()
    assert model.profiles.hour[model.profiles.row("F2"), 1, 7] == pytest.approx(3 * 24 / 26)  # sub-sectors follow


# --- configuration errors --------------------------------------------------------------------------------
def _bad_config(tmp_path: Path, old: str, new: str) -> Path:
    text = (CONFIG_DIR / "emissions.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "emissions.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_month_13_in_the_burning_season_is_refused(tmp_path):
    path = _bad_config(tmp_path, "{9: 0.6,", "{13: 0.6,")
    with pytest.raises(EmissionsConfigError, match=r"month 13 is not in 1\.\.12") as err:
        load_emission_config(path)
    assert str(path) in str(err.value) and err.value.field == "open_burning.monthly_intensity"
    assert isinstance(err.value, InputFileError)


def test_negative_factor_is_refused(tmp_path):
    path = _bad_config(tmp_path, "F_RoadTransport: 0.5", "F_RoadTransport: -0.5")
    with pytest.raises(EmissionsConfigError, match="must be >= 0") as err:
        load_emission_config(path)
    assert err.value.field == "holidays.tet.factors" and str(path) in str(err.value)


def test_intensity_above_one_wrong_length_and_unknown_sector_are_refused(tmp_path):
    for old, new, field, reason in [
        ("10: 1.0,", "10: 1.5,", "open_burning.monthly_intensity", "not in 0..1"),
        ("overrides: {}", "overrides: {F: {day_of_week: [1, 1, 1]}}", "overrides.F", "needs 7 values"),
        (
            "like_sunday_sectors: [F_RoadTransport, B_Industry]",
            "like_sunday_sectors: [Trucks]",
            "holidays.like_sunday_sectors",
            "unknown sector",
        ),
        ("start_hour: 22", "start_hour: 24", "holidays.new_year_eve.start_hour", "less than or equal to 23"),
        ("profile_set: tno", "profile_set: edgar", "profile_set", "'tno' or 'copernicus'"),
        ("share: 0.8", "shares: 0.8", "open_burning.shares", "Extra inputs"),
    ]:
        with pytest.raises(EmissionsConfigError, match=reason) as err:
            load_emission_config(_bad_config(tmp_path, old, new))
        assert err.value.field == field


def test_missing_or_broken_files_are_named(tmp_path):
    with pytest.raises(EmissionsConfigError, match="not found"):
        load_emission_config(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("profile_set: [", encoding="utf-8")
    with pytest.raises(EmissionsConfigError, match="not valid YAML"):
        load_emission_config(tmp_path / "bad.yaml")
    broken = tmp_path / "hour.csv"
    broken.write_bytes(b"# c\r\n;h;n;1;2\r\n1;A;A_PublicPower;0.5;x\r\n")
    with pytest.raises(InputFileError, match=r"hour\.csv, line 3: expected 24 factors"):
        read_tno_profile(broken, "hour")


@settings(max_examples=25, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2010, 1, 1), max_value=dt.datetime(2030, 12, 25)),
    hours=st.integers(min_value=1, max_value=120),
    in_region=st.booleans(),
)
def test_a_window_gets_the_same_factors_as_its_whole_year(start, hours, in_region):
    model = _MODEL
    times = pd.date_range(pd.Timestamp(start).floor("h"), periods=hours, freq="h", tz="UTC")
    window = temporal_factors(times, TZ, ["F", "L", "E"], model, in_burning_region=in_region)
    assert (window.values >= 0).all() and np.isfinite(window.values).all()
    year = int((times[0] - pd.Timedelta(hours=1)).tz_convert(TZ).year)
    full = temporal_factors(_year_utc(year), TZ, ["F", "L", "E"], model, in_burning_region=in_region)
    common = np.intersect1d(window["time"].values, full["time"].values)
    np.testing.assert_allclose(window.sel(time=common).values, full.sel(time=common).values, rtol=1e-12)
