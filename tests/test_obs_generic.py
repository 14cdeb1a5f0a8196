"""Generic long and wide tables (CSV and Parquet), unit conversion and time handling."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from configs.errors import InputFileError
from configs.networks import StationRegistry
from met_inputs.observations import QCFlag, detect_format, read_generic_table, read_observation_file
from met_inputs.observations.units import UnitError, conversion_factor, normalise_unit

NO2_PER_PPB = 46.0055 / 24.45  # 1.88162 µg/m³
CO_PER_PPM = 1000 * 28.010 / 24.45
O3_PER_PPB = 47.9982 / 24.45
SO2_PER_PPB = 64.066 / 24.45


@pytest.fixture(scope="module")
def registry() -> StationRegistry:
    return StationRegistry.from_dir()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- units ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "spelling", ["ug/m3", "µg/m³", "μg/m³", "ug m-3", "UG/M3", "ug/m^3", "µg m-3", "", None, "microgram/m3"]
)
def test_microgram_spellings_all_mean_ugm3(spelling):
    assert normalise_unit(spelling) == "ug/m3"
    assert conversion_factor("pm25", spelling) == 1.0


def test_hand_computed_conversions():
    assert conversion_factor("no2", "ppb") == pytest.approx(1.881615541922290)
    assert conversion_factor("no2", "ppb") == pytest.approx(NO2_PER_PPB)
    assert conversion_factor("co", "ppm") == pytest.approx(1145.6033, rel=1e-6)
    assert conversion_factor("co", "mg/m3") == 1000.0
    assert conversion_factor("o3", "PPB") == pytest.approx(1.963116564)
    assert conversion_factor("so2", "ppm") == pytest.approx(1000 * SO2_PER_PPB)
    assert conversion_factor("pm10", "mg m-3") == 1000.0


@pytest.mark.parametrize(
    ("pollutant", "unit", "message"),
    [
        ("pm25", "ppb", "does not apply to particulate"),
        ("pm10", "ppm", "does not apply to particulate"),
        ("no2", "furlongs", "unknown unit"),
    ],
)
def test_bad_units_are_refused(pollutant, unit, message):
    with pytest.raises(UnitError, match=message):
        conversion_factor(pollutant, unit)


# --- long ---------------------------------------------------------------------------------------
def test_long_csv_with_units_offsets_and_aliases(tmp_path):
    path = write(
        tmp_path,
        "long.csv",
        (
            "station_id,time,pollutant,value,unit\n"
            "s1,2024-01-05T10:00+07:00,PM2.5,35.5,µg/m³\n"
            "s1,2024-01-05T10:00+07:00,NO2,10,ppb\n"
            "s1,2024-01-05T10:00+07:00,co,1.2,mg/m3\n"
            "s1,2024-01-05T03:00Z,o3,20,ppb\n"
            "s2,2024-01-05 04:00+00:00,pm_10,,ug m-3\n"
            "s2,2024-01-05T04:00:00+00:00,so2,-999,ppb\n"
        ),
    )
    table = read_generic_table(path)
    assert list(table.columns) == ["station_id", "time", "pollutant", "value", "unit_original"]
    assert table.time.dt.tz is not None and str(table.time.dt.tz) == "UTC"
    row = table.set_index(["station_id", "pollutant"])
    assert row.loc[("s1", "pm25"), "time"] == pd.Timestamp("2024-01-05 03:00", tz="UTC")
    assert row.loc[("s1", "pm25"), "value"] == 35.5
    assert row.loc[("s1", "no2"), "value"] == pytest.approx(10 * NO2_PER_PPB)
    assert row.loc[("s1", "co"), "value"] == pytest.approx(1200.0)
    assert row.loc[("s1", "o3"), "value"] == pytest.approx(20 * O3_PER_PPB)
    assert pd.isna(row.loc[("s2", "pm10"), "value"]) and pd.isna(row.loc[("s2", "so2"), "value"])
    assert row.loc[("s1", "no2"), "unit_original"] == "ppb"


def test_naive_times_are_accepted_with_tz(tmp_path):
    path = write(tmp_path, "naive.csv", "station_id,time,pollutant,value\ns,2024-01-05 10:00,pm25,5\n")
    table = read_generic_table(path, tz="Asia/Ho_Chi_Minh")
    assert table.time.iloc[0] == pd.Timestamp("2024-01-05 03:00", tz="UTC")


def test_offsets_win_over_tz(tmp_path):
    path = write(
        tmp_path,
        "mixed.csv",
        "station_id,time,pollutant,value\ns,2024-01-05T10:00+07:00,pm25,5\ns,2024-01-05 12:00,pm25,6\n",
    )
    table = read_generic_table(path, tz="Asia/Shanghai")  # UTC+8 for the naive stamp only
    assert table.time.tolist() == [
        pd.Timestamp("2024-01-05 03:00", tz="UTC"),
        pd.Timestamp("2024-01-05 04:00", tz="UTC"),
    ]


def test_read_observation_file_maps_aliases_to_station_ids_and_flags(tmp_path, registry):
    path = write(
        tmp_path,
        "long.csv",
        (
            "station_id,time,pollutant,value,qc\n"
            "Hanoi,2024-01-05T01:00+07:00,pm25,35.5,valid\n"
            "openaq-7441,2024-01-05T02:00+07:00,pm25,-3,valid\n"
            "us-embassy-hanoi,2024-01-05T03:00+07:00,pm25,3000,invalid\n"
        ),
    )
    batch = read_observation_file(path, registry)
    assert batch.source_format == "generic-long"
    obs = batch.obs
    assert set(obs.station_id) == {"us-embassy-hanoi"}
    assert obs.qc_flag.tolist()[1] & QCFlag.NEGATIVE
    assert obs.qc_flag.tolist()[2] & QCFlag.IMPOSSIBLE and obs.qc_flag.tolist()[2] & QCFlag.SOURCE_INVALID
    assert obs.source_qc.tolist() == ["valid", "valid", "invalid"]
    assert len(batch.sha256) == 64


def test_identical_repeated_rows_are_kept_once(tmp_path, registry):
    path = write(
        tmp_path,
        "dup.csv",
        "station_id,time,pollutant,value\nHanoi,2024-01-05T01:00Z,pm25,3\nHanoi,2024-01-05T01:00Z,pm25,3\n",
    )
    assert len(read_observation_file(path, registry).obs) == 1


def test_differing_repeated_rows_are_an_error_naming_both_lines(tmp_path, registry):
    path = write(
        tmp_path,
        "dup.csv",
        "station_id,time,pollutant,value\nHanoi,2024-01-05T01:00Z,pm25,3\nHanoi,2024-01-05T01:00Z,pm25,4\n",
    )
    with pytest.raises(InputFileError, match="lines 2 and 3"):
        read_observation_file(path, registry)


# --- wide ---------------------------------------------------------------------------------------
def test_wide_csv_with_header_units(tmp_path):
    path = write(
        tmp_path,
        "wide.csv",
        (
            "station_id,time,PM2.5,pm10,NO2 [ppb],co (mg/m3)\n"
            "s1,2024-01-05T10:00+07:00,30,50,10,1.5\n"
            "s1,2024-01-05T11:00+07:00,NA,55,,2\n"
        ),
    )
    table = read_generic_table(path)
    assert len(table) == 8
    at = table.set_index(["time", "pollutant"]).value
    t0 = pd.Timestamp("2024-01-05 03:00", tz="UTC")
    assert at[t0, "pm25"] == 30 and at[t0, "no2"] == pytest.approx(10 * NO2_PER_PPB) and at[t0, "co"] == 1500
    assert pd.isna(at[t0 + pd.Timedelta(hours=1), "pm25"])


def test_wide_semicolon_file_is_detected_from_the_header(tmp_path):
    path = write(tmp_path, "data.txt", "station_id;time;pm25\ns;2024-01-05T10:00+07:00;12\n")
    fmt, sniffed = detect_format(path)
    assert fmt.name == "generic-wide" and sniffed.sep == ";"
    assert read_generic_table(path).value.tolist() == [12.0]


def test_parquet_long_and_wide_with_typed_columns(tmp_path, registry):
    times = pd.to_datetime(["2024-01-05 03:00", "2024-01-05 04:00"]).tz_localize("UTC")
    long = pd.DataFrame(
        {
            "station_id": ["Hanoi", "Hanoi"],
            "time": times,
            "pollutant": ["pm25", "no2"],
            "value": [10.0, 5.0],
            "unit": ["ug/m3", "ppb"],
        }
    )
    long.to_parquet(tmp_path / "long.parquet")
    wide = pd.DataFrame({"station_id": ["Hanoi"] * 2, "time": times.tz_localize(None), "pm25": [1.0, 2.0]})
    wide.to_parquet(tmp_path / "wide.bin")  # name does not matter, content does
    obs = read_observation_file(tmp_path / "long.parquet", registry).obs
    assert obs.value.tolist() == pytest.approx([10.0, 5 * NO2_PER_PPB])
    with pytest.raises(InputFileError, match="no UTC offset"):
        read_observation_file(tmp_path / "wide.bin", registry)
    obs = read_observation_file(tmp_path / "wide.bin", registry, tz="UTC").obs
    assert obs.time.tolist() == list(times)
    assert detect_format(tmp_path / "wide.bin")[0].name == "generic-wide"


def test_a_stateair_file_is_recognised_whatever_its_name(tmp_path, registry):
    path = write(
        tmp_path,
        "observations.csv",
        (
            "Site,Parameter,Date (LT),Year,Month,Day,Hour,Value,Unit,Duration,QC Name\n"
            "Hanoi,PM2.5 - Principal,2015-12-09 05:00 AM,2015,12,09,05,12.5,UG/M3,1 Hr,Valid\n"
        ),
    )
    batch = read_observation_file(path, registry)
    assert batch.source_format == "stateair"
    assert batch.obs.time.iloc[0] == pd.Timestamp("2015-12-08 22:00", tz="UTC")
