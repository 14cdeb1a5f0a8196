"""Benchmark: decode a GRIB forecast and extract it at stations, against a bare eccodes decode.

Usage::

    python benchmarks/bench_extract.py [--stations 10 1000 10000] [--steps 73] [--repeat 3]
                                       [--cfgrib-repeat 1] [--seed 20261122] [--keep DIR]

Writes a **synthetic** GRIB 2 file with eccodes: a 0.1° grid over Vietnam (8–24 °N, 102–110 °E,
161 × 81 points), ``--steps`` hourly steps, 12 fields — t2m, d2m, u10, v10, sp, tp (accumulated), blh,
tcc, and t, u, v, gh on 1000/975/950/925/850 hPa — i.e. 28 messages per step (2,044 for 73 steps),
16-bit simple packing. Then, for each station count (random points inside the grid, seeded), times:

(a) bare decode: ``codes_grib_new_from_file`` + ``codes_get_values`` over every message, nothing else;
(b) ours via cfgrib: ``xarray.open_dataset(engine="cfgrib", indexpath="", filter_by_keys=…)`` per
    hypercube, brought to the gridded contract, then :func:`met_inputs.extract.extract_points`;
(c) ours via :func:`met_inputs.fastgrib.read_grib`, then ``extract_points``;
(p) **production path** — what users get: :func:`met_inputs.sources.open_source` (``convention="ifs"``:
    header scan, eccodes-direct decoding, units, de-accumulation, checks, contract) then
    :meth:`met_inputs.extract.Extractor.extract` (a new ``Extractor``, so weights are computed afresh);
(d) extraction alone (``extract_points`` on the decoded Dataset, weights computed afresh); the marginal
    cost per station is the extraction time difference to the previous row over the station difference.

Before timing, the script checks that (b) and (c) give the same station values.

Best of ``--repeat`` (cfgrib: ``--cfgrib-repeat``). Prints machine, date and a table. Targets: (p) ≤ 1.5 ×
(a) at 10,000 stations; extraction linear in stations. The synthetic ``tp`` is a non-decreasing run total
and ``tcc`` lies in [0, 1], so that the production reader accepts the file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import eccodes as ec
import numpy as np
import pandas as pd
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from met_inputs.extract import Extractor, extract_points  # noqa: E402
from met_inputs.fastgrib import read_grib  # noqa: E402
from met_inputs.sources import open_source  # noqa: E402

LAT_S, LAT_N, LON_W, LON_E, STEP_DEG = 8.0, 24.0, 102.0, 110.0, 0.1
LEVELS = (1000, 975, 950, 925, 850)
SINGLE = {  # shortName: (typeOfLevel, level, typical value, spread)
    "2t": ("heightAboveGround", 2, 295.0, 8.0),
    "2d": ("heightAboveGround", 2, 290.0, 6.0),
    "10u": ("heightAboveGround", 10, 0.0, 5.0),
    "10v": ("heightAboveGround", 10, 0.0, 5.0),
    "sp": ("surface", 0, 100000.0, 2000.0),
    "tp": ("surface", 0, 0.002, 0.002),
    "blh": ("surface", 0, 800.0, 400.0),
    "tcc": ("entireAtmosphere", 0, 0.5, 0.4),
}
ON_LEVELS = {"t": (285.0, 8.0), "u": (0.0, 8.0), "v": (0.0, 8.0), "gh": (800.0, 500.0)}
CFGRIB_FILTERS = (
    {"typeOfLevel": "heightAboveGround", "level": 2},
    {"typeOfLevel": "heightAboveGround", "level": 10},
    {"typeOfLevel": "surface", "stepType": "instant"},
    {"typeOfLevel": "surface", "stepType": "accum"},
    {"typeOfLevel": "entireAtmosphere"},
    {"typeOfLevel": "isobaricInhPa"},
)


def synthetic_values(nj: int, ni: int, steps: int, seed: int) -> Iterator[tuple[str, int | None, int, np.ndarray]]:
    """(shortName, level or None, step, values (nj, ni) north → south) of every message, smooth + noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.linspace(0, 3, nj), np.linspace(0, 2, ni), indexing="ij")
    pattern = np.sin(yy * 2.1) * np.cos(xx * 1.7)
    specs = [(name, None, mean, spread) for name, (_, _, mean, spread) in SINGLE.items()]
    specs += [(name, level, mean, spread) for name, (mean, spread) in ON_LEVELS.items() for level in LEVELS]
    for step in range(steps):
        for name, level, mean, spread in specs:
            noise = rng.standard_normal(pattern.shape) * 0.1
            values = mean + spread * (pattern * np.cos(step / 12) + noise)
            if name == "tp":  # a run total: never decreasing, so that the reader can de-accumulate it
                values = step * mean / 5 * (1.2 + pattern)
            elif name == "tcc":
                values = np.clip(values, 0.0, 1.0)
            yield name, level, step, values


def write_synthetic_grib(path: Path, steps: int, seed: int) -> tuple[int, str]:
    """Write the synthetic forecast with :mod:`met_inputs.gribwrite` (else plain eccodes).

    Returns the number of messages and the writer used.
    """
    try:
        from met_inputs.gribwrite import LatLonGrid, ifs_field, write_grib2
    except ImportError as exc:
        logging.warning("met_inputs.gribwrite unusable (%s): writing with eccodes directly", exc)
        return write_with_eccodes(path, steps, seed), "eccodes directly"
    grid = LatLonGrid(north=LAT_N, south=LAT_S, west=LON_W, east=LON_E, step=STEP_DEG)
    path.unlink(missing_ok=True)
    count, batch = 0, []
    for name, level, step, values in synthetic_values(*grid.shape, steps, seed):
        batch.append(ifs_field(name, values, grid, "2026-11-22T00", step, level=level, bits_per_value=16))
        if len(batch) == 28:  # one step at a time
            write_grib2(path, batch, append=True)
            count, batch = count + len(batch), []
    if batch:
        write_grib2(path, batch, append=True)
    return count + len(batch), "met_inputs.gribwrite"


def write_with_eccodes(path: Path, steps: int, seed: int) -> int:
    """Write the synthetic forecast with plain eccodes (``regular_ll_sfc_grib2`` sample, 16-bit packing)."""
    nj = round((LAT_N - LAT_S) / STEP_DEG) + 1
    ni = round((LON_E - LON_W) / STEP_DEG) + 1
    sample = ec.codes_grib_new_from_samples("regular_ll_sfc_grib2")
    grid = {
        "Ni": ni, "Nj": nj, "latitudeOfFirstGridPointInDegrees": LAT_N, "latitudeOfLastGridPointInDegrees": LAT_S,
        "longitudeOfFirstGridPointInDegrees": LON_W, "longitudeOfLastGridPointInDegrees": LON_E,
        "iDirectionIncrementInDegrees": STEP_DEG, "jDirectionIncrementInDegrees": STEP_DEG,
        "dataDate": 20261122, "dataTime": 0, "bitsPerValue": 16,
    }  # fmt: skip
    for key, value in grid.items():
        ec.codes_set(sample, key, value)
    count = 0
    with path.open("wb") as stream:
        for name, level, step, values in synthetic_values(nj, ni, steps, seed):
            handle = ec.codes_clone(sample)
            if name == "tp":  # accumulation from the start of the forecast (product template 4.8)
                ec.codes_set(handle, "productDefinitionTemplateNumber", 8)
                ec.codes_set(handle, "shortName", "tp")
                ec.codes_set(handle, "stepRange", f"0-{step}")
            else:
                level_type, level_value = ("isobaricInhPa", level) if level else SINGLE[name][:2]
                ec.codes_set(handle, "typeOfLevel", level_type)
                ec.codes_set(handle, "level", level_value)
                ec.codes_set(handle, "shortName", name)
                ec.codes_set(handle, "step", step)
            ec.codes_set_values(handle, values.ravel())
            ec.codes_write(handle, stream)
            ec.codes_release(handle)
            count += 1
    ec.codes_release(sample)
    return count


def bare_decode(path: Path) -> int:
    count = 0
    with path.open("rb") as stream:
        while (handle := ec.codes_grib_new_from_file(stream)) is not None:
            ec.codes_get_values(handle)
            ec.codes_release(handle)
            count += 1
    return count


def open_with_cfgrib(path: Path) -> xr.Dataset:
    """Each hypercube with cfgrib, brought to the gridded contract (names, dims, ascending latitude)."""
    parts = []
    for keys in CFGRIB_FILTERS:
        part = xr.open_dataset(path, engine="cfgrib", backend_kwargs={"indexpath": "", "filter_by_keys": keys})
        part = part.rename(
            {"time": "init_time", **({"isobaricInhPa": "level"} if "isobaricInhPa" in part.dims else {})}
        )
        parts.append(part.drop_vars(["heightAboveGround", "surface", "entireAtmosphere"], errors="ignore").load())
    ds = xr.merge(parts, compat="override", join="exact")
    return ds.isel(latitude=slice(None, None, -1))


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def random_stations(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"bench-{i:05d}" for i in range(n)],
            "latitude": rng.uniform(LAT_S, LAT_N, n),
            "longitude": rng.uniform(LON_W, LON_E, n),
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--steps", type=int, default=73)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cfgrib-repeat", type=int, default=1, help="0 skips the (slow) cfgrib path")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--keep", type=Path, default=None, help="Write the GRIB file here and keep it.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    out = print  # a benchmark script reports on stdout

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="vnaqi-bench-extract-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "synthetic_vietnam_0p1.grib2"
    start = time.perf_counter()
    messages, writer = write_synthetic_grib(path, args.steps, args.seed)
    out(f"date      {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    out(f"machine   {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPU(s)")
    out(
        f"python    {platform.python_version()}, numpy {np.__version__}, xarray {xr.__version__}, "
        f"eccodes {ec.codes_get_api_version()}"
    )
    out(
        f"input     SYNTHETIC {path.name}: {messages} messages, {path.stat().st_size / 1e6:.1f} MB, "
        f"written by {writer} in {time.perf_counter() - start:.1f} s"
    )
    assert bare_decode(path) == messages
    decoded = read_grib(path)
    if args.cfgrib_repeat:  # both paths must give the same numbers before their speed means anything
        check = random_stations(50, args.seed)
        ours, theirs = extract_points(decoded, check), extract_points(open_with_cfgrib(path), check)
        worst = max(float(np.abs(ours[v] - theirs[v].transpose(*ours[v].dims)).max()) for v in ours.data_vars)
        out(f"check     fastgrib vs cfgrib, 50 stations, every variable: max |difference| = {worst:g}")
    production = open_source(path, convention="ifs")
    out(f"check     open_source decoder: {production.attrs['decoder']}")
    header = ["stations", "bare decode s", "cfgrib+extract s", "ratio", "fastgrib+extract s", "ratio",
              "open_source+extract s", "ratio", "extraction s", "µs/station", "marginal µs/station"]  # fmt: skip
    rows = []
    previous: tuple[int, float] | None = None
    for n in args.stations:
        stations = random_stations(n, args.seed + n)
        bare = best_of(args.repeat, lambda: bare_decode(path))
        fast = best_of(args.repeat, lambda st=stations: extract_points(read_grib(path), st))
        prod = best_of(args.repeat, lambda st=stations: Extractor().extract(open_source(path, convention="ifs"), st))
        extraction = best_of(args.repeat, lambda st=stations: extract_points(decoded, st))
        cfgrib = (
            best_of(args.cfgrib_repeat, lambda st=stations: extract_points(open_with_cfgrib(path), st))
            if args.cfgrib_repeat
            else float("nan")
        )
        marginal = "" if previous is None else f"{(extraction - previous[1]) / (n - previous[0]) * 1e6:.1f}"
        previous = (n, extraction)
        rows.append([f"{n:,}", f"{bare:.3f}", f"{cfgrib:.2f}", f"{cfgrib / bare:.1f}", f"{fast:.3f}",
                     f"{fast / bare:.2f}", f"{prod:.3f}", f"{prod / bare:.2f}", f"{extraction:.4f}",
                     f"{extraction / n * 1e6:.1f}", marginal])  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    out("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    out("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for row in rows:
        out("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |")
    if args.keep is None:
        path.unlink()
        workdir.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
