"""The archive: idempotent ingest, conflict policy, atomic partitions, queries, status."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs.networks import StationRegistry
from configs.settings import HomeLayout
from met_inputs.observations import ArchiveBusyError, ObservationArchive, QCFlag, storage
from met_inputs.observations.lock import archive_lock

T = "2024-01-05T{:02d}:00Z"


@pytest.fixture(scope="module")
def registry() -> StationRegistry:
    return StationRegistry.from_dir()


@pytest.fixture()
def archive(home: Path, registry) -> ObservationArchive:
    return ObservationArchive(HomeLayout(home), registry)


def long_csv(path: Path, rows: list[tuple]) -> Path:
    """rows of (station, hour, pollutant, value)."""
    lines = ["station_id,time,pollutant,value"]
    lines += [f"{s},{T.format(h)},{p},{'' if v is None else v}" for s, h, p, v in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def stored(archive: ObservationArchive, hour: int, station="us-embassy-hanoi", pollutant="pm25") -> pd.Series:
    frame = archive.load(only_valid=False).set_index(["station_id", "pollutant", "time"])
    return frame.loc[(station, pollutant, pd.Timestamp(T.format(hour)))]


def test_layout_is_hive_partitioned_by_station_and_utc_year(tmp_path, archive, home):
    path = tmp_path / "a.csv"
    path.write_text(
        "station_id,time,pollutant,value\nHanoi,2024-01-01T05:00+07:00,pm25,10\n"
        "Hanoi,2024-01-01T08:00+07:00,pm25,11\n"
    )
    archive.ingest([path])
    root = home / "archive"
    assert (root / "observations/station_id=us-embassy-hanoi/year=2023/part-0.parquet").is_file()
    assert (root / "observations/station_id=us-embassy-hanoi/year=2024/part-0.parquet").is_file()
    log = archive.ingest_log()
    assert log.loc[0, "sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert log.loc[0, "format"] == "generic-long" and log.loc[0, "rows"] == 2
    assert log.loc[0, "time_first"].startswith("2023-12-31T22:00")
    columns = pd.read_parquet(
        root / "observations/station_id=us-embassy-hanoi/year=2024/part-0.parquet"
    ).columns
    assert list(columns) == [
        "station_id",
        "time",
        "pollutant",
        "value",
        "qc_flag",
        "unit_original",
        "source_qc",
        "source_file",
        "source_sha256",
    ]


def test_ingesting_the_same_file_twice_changes_nothing(tmp_path, archive, home):
    path = long_csv(tmp_path / "a.csv", [("Hanoi", h, "pm25", 10 + h) for h in range(1, 6)])
    first = archive.ingest([path])
    assert first.total("new") == 5
    before = tree_hashes(home / "archive")
    again = archive.ingest([path])
    assert [f.status for f in again.files] == ["skipped"] and again.rows == 0
    copy = tmp_path / "copy-of-a.csv"
    copy.write_bytes(path.read_bytes())
    assert [f.status for f in archive.ingest([copy]).files] == ["skipped"]
    assert tree_hashes(home / "archive") == before


def test_rows_with_the_same_value_are_no_ops(tmp_path, archive, home):
    long_csv(tmp_path / "a.csv", [("Hanoi", h, "pm25", 10 + h) for h in range(1, 6)])
    archive.ingest([tmp_path / "a.csv"])
    partitions = {k: v for k, v in tree_hashes(home / "archive").items() if k.endswith(".parquet")}
    b = long_csv(tmp_path / "b.csv", [("us-embassy-hanoi", h, "pm25", 10 + h) for h in range(1, 6)])
    report = archive.ingest([b])
    assert report.files[0].counts["unchanged"] == 5 and report.partitions_written == 0
    assert {k: v for k, v in tree_hashes(home / "archive").items() if k.endswith(".parquet")} == partitions
    assert stored(archive, 1).source_file.endswith("a.csv")  # provenance of the first file kept


def test_conflicting_rows_keep_the_stored_value_unless_replace(tmp_path, archive):
    archive.ingest([long_csv(tmp_path / "a.csv", [("Hanoi", 1, "pm25", 10), ("Hanoi", 2, "pm25", 20)])])
    b = long_csv(
        tmp_path / "b.csv", [("Hanoi", 1, "pm25", 11), ("Hanoi", 2, "pm25", 20), ("Hanoi", 3, "pm25", 30)]
    )
    report = archive.ingest([b])
    counts = report.files[0].counts
    assert (counts["new"], counts["unchanged"], counts["conflict"]) == (1, 1, 1)
    assert report.n_conflicts == 1
    (conflict,) = report.conflicts
    assert (conflict.station_id, conflict.name, conflict.rows) == ("us-embassy-hanoi", "pm25", 1)
    assert conflict.first == conflict.last == pd.Timestamp(T.format(1))
    assert stored(archive, 1).value == 10  # old value kept
    assert stored(archive, 3).value == 30  # non-conflicting new row stored anyway

    replaced = archive.ingest([b], replace=True)  # replace re-reads a known file
    assert replaced.files[0].counts["replaced"] == 1 and replaced.files[0].counts["unchanged"] == 2
    row = stored(archive, 1)
    assert row.value == 11 and row.source_file.endswith("b.csv")


def test_a_value_fills_a_missing_one_and_a_missing_one_never_erases(tmp_path, archive):
    archive.ingest([long_csv(tmp_path / "a.csv", [("Hanoi", 1, "pm25", -999), ("Hanoi", 2, "pm25", 20)])])
    assert np.isnan(stored(archive, 1).value) and stored(archive, 1).qc_flag & QCFlag.MISSING_CODE
    report = archive.ingest(
        [long_csv(tmp_path / "b.csv", [("Hanoi", 1, "pm25", 12), ("Hanoi", 2, "pm25", None)])]
    )
    assert report.files[0].counts["filled"] == 1 and report.files[0].counts["unchanged"] == 1
    assert stored(archive, 1).value == 12 and stored(archive, 1).qc_flag == 0
    assert stored(archive, 2).value == 20


def test_files_of_one_call_are_applied_in_order(tmp_path, archive):
    a = long_csv(tmp_path / "a.csv", [("Hanoi", 1, "pm25", 10)])
    b = long_csv(tmp_path / "b.csv", [("Hanoi", 1, "pm25", 11)])
    report = archive.ingest([a, b])
    assert [f.counts["new"] for f in report.files] == [1, 0]
    assert report.files[1].counts["conflict"] == 1 and stored(archive, 1).value == 10


def test_a_crash_while_writing_leaves_the_old_partition(tmp_path, archive, home, monkeypatch):
    archive.ingest([long_csv(tmp_path / "a.csv", [("Hanoi", 1, "pm25", 10)])])
    before = tree_hashes(home / "archive")

    def crash(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(storage.pq, "write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        archive.ingest([long_csv(tmp_path / "b.csv", [("Hanoi", 2, "pm25", 20)])])
    assert tree_hashes(home / "archive") == before  # no temp file left, partition and log unchanged
    monkeypatch.undo()
    assert archive.ingest([tmp_path / "b.csv"]).total("new") == 1  # and the file was not marked ingested


def test_one_writer_at_a_time(tmp_path, archive, home):
    path = long_csv(tmp_path / "a.csv", [("Hanoi", 1, "pm25", 10)])
    with archive_lock(home / "archive"):
        with pytest.raises(ArchiveBusyError, match="another ingest"):
            archive.ingest([path])
    assert archive.ingest([path]).total("new") == 1


def test_load_filters_and_reads_only_the_partitions_it_needs(tmp_path, archive, home):
    archive.ingest(
        [
            long_csv(
                tmp_path / "a.csv",
                [("Hanoi", h, p, h) for h in range(1, 5) for p in ("pm25", "no2")]
                + [("Ho Chi Minh City", 1, "pm25", 5)],
            )
        ]
    )
    other = home / "archive/observations/station_id=us-consulate-hcmc/year=2024/part-0.parquet"
    other.write_bytes(b"not parquet any more")  # proves load() for Hanoi never opens it
    frame = archive.load(
        stations=["us-embassy-hanoi"],
        start="2024-01-05T02:00Z",
        end=pd.Timestamp(T.format(3)),
        pollutants=["no2"],
    )
    assert frame.time.tolist() == [pd.Timestamp(T.format(2)), pd.Timestamp(T.format(3))]
    assert set(frame.pollutant) == {"no2"} and str(frame.time.dt.tz) == "UTC"


def test_to_dataset_is_a_regular_hourly_station_time_cube(tmp_path, archive):
    archive.ingest(
        [
            long_csv(
                tmp_path / "a.csv",
                [
                    ("Hanoi", 1, "pm25", 10),
                    ("Hanoi", 2, "pm25", -2),
                    ("Hanoi", 5, "pm25", 50),
                    ("Hanoi", 1, "no2", 7),
                ],
            )
        ]
    )
    ds = archive.to_dataset(stations=["us-embassy-hanoi", "us-consulate-hcmc"])
    assert ds.pm25.dims == ("station", "time")
    assert ds.time.dtype == np.dtype("datetime64[ns]")
    assert pd.DatetimeIndex(ds.time.values).equals(
        pd.date_range("2024-01-05 01:00", "2024-01-05 05:00", freq="h")
    )
    assert ds.pm25.sel(station="us-embassy-hanoi").values.tolist()[0] == 10
    hanoi = ds.pm25.sel(station="us-embassy-hanoi").values
    assert np.isnan(hanoi[1]) and np.isnan(hanoi[2]) and hanoi[4] == 50  # negative fails QC; hour 3 absent
    assert np.isnan(ds.pm25.sel(station="us-consulate-hcmc").values).all()
    assert ds.pm25.attrs["units"] == "ug m-3" and list(ds.data_vars) == ["pm25", "no2"]
    raw = archive.to_dataset(only_valid=False, start="2024-01-05T00:00Z", end="2024-01-05T06:00Z")
    assert raw.sizes["time"] == 7 and raw.pm25.sel(station="us-embassy-hanoi").values[2] == -2


def test_status_numbers(tmp_path, archive):
    archive.ingest(
        [
            long_csv(
                tmp_path / "a.csv",
                [
                    ("Hanoi", 1, "pm25", 10),
                    ("Hanoi", 2, "pm25", -2),
                    ("Hanoi", 4, "pm25", 12),
                    ("Hanoi", 5, "pm25", None),
                ],
            )
        ]
    )
    archive.ingest([long_csv(tmp_path / "b.csv", [("Hanoi", 6, "pm25", 14)])])
    row = archive.status().set_index(["station_id", "pollutant"]).loc[("us-embassy-hanoi", "pm25")]
    assert row["first"] == pd.Timestamp(T.format(1)) and row["last"] == pd.Timestamp(T.format(6))
    assert row["rows"] == 5 and row["hours_present"] == 4 and row["expected_hours"] == 6
    assert row["completeness_pct"] == pytest.approx(100 * 4 / 6)
    assert row["valid_hours"] == 3 and row["valid_pct"] == pytest.approx(75.0)
    assert row["NEGATIVE"] == 1 and row["MISSING_CODE"] == 1 and row["STUCK"] == 0
    assert row["source_files"] == "a.csv;b.csv"


def test_met_is_archived_and_served_for_the_station_that_uses_it(tmp_path, archive, registry):
    path = tmp_path / "weather.csv"
    header = (
        "name,datetime,temp,feelslike,dew,humidity,precip,precipprob,preciptype,snow,snowdepth,windgust,"
        "windspeed,winddir,sealevelpressure,cloudcover,visibility,solarradiation,solarenergy,uvindex,severerisk,"
        "conditions,icon,stations"
    )
    rows = [
        f"Hanoi,2024-01-05 0{h}:00:00,{20 + h},20,15,70,{h * 0.5},0,,0,0,10,{7.2 * h},90,1015,50,10,0,0,0,,"
        f'Clear,clear-night,"48820099999,VVNB"'
        for h in range(3)
    ]
    path.write_text("\n".join([header, *rows]) + "\n")
    report = archive.ingest([path])
    assert report.files[0].format == "visualcrossing" and report.files[0].met_rows == 30
    met = archive.met_for_station("us-embassy-hanoi")
    assert met.attrs["met_station"] == "vvnb-noibai"
    first = pd.Timestamp("2024-01-04T17:00Z")
    assert met.loc[first, "t2m"] == 20 and met.loc[first + pd.Timedelta(hours=1), "ws10"] == pytest.approx(
        2.0
    )
    assert met.loc[first + pd.Timedelta(hours=1), "tp"] == 0.0  # precip of the hour after the 00:00 label
    assert np.isnan(met.loc[first, "wd10"])  # calm (0 km/h) direction fails QC
    ds = archive.met_dataset(stations=["vvnb-noibai"], variables=["t2m", "tp"])
    assert ds.t2m.dims == ("station", "time") and ds.t2m.attrs["units"] == "degC" and ds.sizes["time"] == 4
    assert set(archive.met_status().variable) == {
        "t2m",
        "d2m",
        "rh2m",
        "tp",
        "ws10",
        "wd10",
        "msl",
        "tcc",
        "ssrd",
        "vis",
    }


def test_duckdb_reads_the_archive_as_a_hive_dataset(tmp_path, archive, home):
    duckdb = pytest.importorskip("duckdb")
    archive.ingest([long_csv(tmp_path / "a.csv", [("Hanoi", h, "pm25", h) for h in range(1, 4)])])
    glob = str(home / "archive/observations/*/*/*.parquet")
    n, total = duckdb.sql(
        f"select count(*), sum(value) from read_parquet('{glob}', hive_partitioning=true) "
        "where year = 2024 and station_id = 'us-embassy-hanoi'"
    ).fetchall()[0]
    assert (n, total) == (3, 6.0)
