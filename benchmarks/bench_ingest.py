"""Benchmark: ingest the whole real observation archive into a temporary home.

Run from the repository root::

    python benchmarks/bench_ingest.py [--data ../shared/data] [--keep DIR]

Prints machine info, then per source: files, rows, seconds, rows/s; then the time of the idempotent
re-ingest (every file skipped by its SHA-256), of ``status()`` and of a one-station ``to_dataset()``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from configs.networks import StationRegistry  # noqa: E402
from configs.settings import HomeLayout  # noqa: E402
from met_inputs.observations import ObservationArchive  # noqa: E402

SOURCES = {
    "beijing_multisite": "beijing_multisite",
    "beijing_usembassy": "beijing_usembassy_2010_2014",
    "vn_usembassy_pm25": "vn_usembassy_pm25",
    "hanoi_weather_noibai": "hanoi_weather_noibai",
}


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(
        c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--keep", type=Path, default=None, help="Use (and keep) this home instead of a temp one."
    )
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"real data folder {args.data} is absent; nothing to benchmark")
        return 0

    print(f"date      {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine   {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPU(s)")
    print(f"python    {platform.python_version()}")
    import pandas
    import pyarrow

    print(f"pandas    {pandas.__version__}, pyarrow {pyarrow.__version__}\n")

    registry = StationRegistry.from_dir()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        home = args.keep or Path(tmp) / "home"
        archive = ObservationArchive(HomeLayout(home), registry)
        widths = [22, 6, 10, 9, 10]
        print(_row(["source", "files", "rows", "seconds", "rows/s"], widths))
        total_rows, total_s, total_files = 0, 0.0, 0
        for label, folder in SOURCES.items():
            path = args.data / folder
            t0 = time.perf_counter()
            report = archive.ingest([path])
            seconds = time.perf_counter() - t0
            rows = report.rows
            total_rows, total_s, total_files = (
                total_rows + rows,
                total_s + seconds,
                total_files + len(report.files),
            )
            print(
                _row(
                    [label, str(len(report.files)), f"{rows:,}", f"{seconds:.2f}", f"{rows / seconds:,.0f}"],
                    widths,
                )
            )
        print(
            _row(
                [
                    "total",
                    str(total_files),
                    f"{total_rows:,}",
                    f"{total_s:.2f}",
                    f"{total_rows / total_s:,.0f}",
                ],
                widths,
            )
        )

        t0 = time.perf_counter()
        again = archive.ingest([args.data / folder for folder in SOURCES.values()])
        reingest = time.perf_counter() - t0
        skipped = len(again.skipped())
        print(
            f"\nre-ingest (idempotent): {reingest:.2f} s, {skipped}/{len(again.files)} files skipped, "
            f"{again.partitions_written} partitions written"
        )
        t0 = time.perf_counter()
        status = archive.status()
        print(
            f"status():               {time.perf_counter() - t0:.2f} s "
            f"({len(status)} station x pollutant rows)"
        )
        t0 = time.perf_counter()
        cube = archive.to_dataset(stations=["us-embassy-hanoi"])
        print(f"to_dataset(1 station):  {time.perf_counter() - t0:.2f} s ({cube.sizes['time']} hours)")
        t0 = time.perf_counter()
        cube = archive.to_dataset()
        print(
            f"to_dataset(all):        {time.perf_counter() - t0:.2f} s "
            f"({cube.sizes['station']} stations x {cube.sizes['time']} hours)"
        )
        size = sum(p.stat().st_size for p in (home / "archive").rglob("*") if p.is_file())
        print(f"archive size:           {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
