"""The two GRIB decoders of the readers, giving one intermediate: the step records of one hypercube.

A *block* is the data of one variable in one file for one (level type, step type[, level][, window start]):
an ``xarray.DataArray`` with dims ``(step, [level], latitude, longitude)`` (projected grids: ``y, x``), one
step record per (initial time, end step) present among its messages — ordered by initial time, then step —,
per-step coordinates :data:`~._fields.RECORD_INIT` and :data:`~._fields.RECORD_FILE`, ``level`` [hPa, int]
with levels below 1 hPa or not whole hPa dropped, latitude and longitude as the grid stores them, float32
values with NaN where missing. Everything after (checks, cropping, units, de-accumulation, contract) is
shared by both decoders.

* ``eccodes-direct`` (:func:`decode_block`): the messages picked from the header scan are decoded straight
  from the memory-mapped file (``codes_new_from_message`` + ``codes_get_values``), with the coordinates
  ecCodes gives the grid (``distinctLatitudes``/``distinctLongitudes``), exactly as cfgrib builds them.
  For files of plain GRIB 2 on one regular lat-lon grid (:func:`direct_problem`).
* ``cfgrib`` (in :mod:`._gribread`): one ``filter_by_keys`` open per block; any grid and edition.
"""

from __future__ import annotations

import logging
import mmap
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, Literal

import eccodes
import numpy as np
import xarray as xr

from configs.schema import LATITUDE, LEVEL, LONGITUDE, STEP
from met_inputs.sources._fields import RECORD_FILE, RECORD_INIT
from met_inputs.sources._scan import GribMessage

logger = logging.getLogger(__name__)

Decoder = Literal["eccodes-direct", "cfgrib"]
DIRECT: Final = "eccodes-direct"
CFGRIB: Final = "cfgrib"
DIRECT_TEMPLATES: Final = frozenset({0, 8, 40, 48})
"""Product definition templates read directly: analysis/forecast at a point in time (4.0), statistically
processed (4.8), chemical constituent (4.40), aerosol (4.48). Ensembles (4.1, 4.11) and others → cfgrib."""
DIRECT_SCANNING_MODES: Final = frozenset({0, 64})
"""Rows west → east, consecutive along a row; north → south (0) or south → north (64)."""
_MISSING: Final = float(np.finfo(np.float32).max)
"""What missing values decode to (as cfgrib sets ``missingValue``), NaN once in the float32 array."""


def direct_problem(messages: Sequence[GribMessage]) -> str | None:
    """Why the messages of one file cannot be decoded directly (→ cfgrib), or None when they can."""
    if any(m.edition != 2 for m in messages):
        return "GRIB 1"
    if any(m.grid_type != "regular_ll" for m in messages):
        return f"grid type {sorted({m.grid_type for m in messages} - {'regular_ll'})[0]}"
    if len({(m.grid, m.n_points) for m in messages}) > 1:
        return "several grids"
    if any(m.scanning_mode not in DIRECT_SCANNING_MODES for m in messages):
        return f"scanning mode {sorted({str(m.scanning_mode) for m in messages})}"
    if any(m.template not in DIRECT_TEMPLATES or m.ensemble_member != 0 for m in messages):
        return f"product template(s) {sorted({str(m.template) for m in messages})} or ensemble members"
    return None


DECODE_THREADS = 4
"""At most this many threads decode the messages of one block (fewer on fewer cores)."""
MESSAGES_PER_THREAD = 8
"""Blocks with fewer messages per thread than this are decoded on one thread."""


def choose_decoder(messages: Sequence[GribMessage], decoder: str, path: Path | None = None) -> Decoder:
    """The decoder of one file: ``cfgrib`` when forced or when :func:`direct_problem` finds a reason."""
    if decoder == CFGRIB:
        return CFGRIB
    problem = direct_problem(messages)
    if problem is not None:
        logger.debug("%s: decoded with cfgrib (%s)", path, problem)
        return CFGRIB
    return DIRECT


def decoder_label(decoders: Sequence[str]) -> str:
    """The ``decoder`` attribute of a file set: one decoder, or both joined by ``+``."""
    used = [d for d in (DIRECT, CFGRIB) if d in decoders]
    return "+".join(used) if used else "none"


def _handle(buffer: Any, message: GribMessage) -> int:
    start = buffer.find(b"GRIB", message.offset)
    length = int.from_bytes(buffer[start + 8 : start + 16], "big")
    return eccodes.codes_new_from_message(buffer[start : start + length])


def _levels(messages: Sequence[GribMessage], label: str, path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(level values as coded, in cfgrib's decreasing order; kept as whole hPa ≥ 1), or None: none kept."""
    level_type = messages[0].type_of_level
    coded = np.array(sorted({m.level for m in messages}, reverse=True))
    hpa = coded / (100.0 if level_type == "isobaricInPa" else 1.0)
    keep = np.isclose(hpa, np.round(hpa)) & (hpa >= 1)
    if not keep.all():
        logger.info("%s: %s levels below 1 hPa or not whole hPa skipped: %s", path, label, hpa[~keep])
    if not keep.any():
        return None
    return coded[keep], np.round(hpa[keep]).astype("int64")


def decode_block(path: Path, messages: Sequence[GribMessage], label: str, pressure: bool) -> xr.DataArray | None:
    """The block of ``messages`` (one file, one variable, one level type and step type), decoded directly.

    Parameters
    ----------
    path : Path
        The file (GRIB 2, one regular lat-lon grid: :func:`direct_problem` is None).
    messages : sequence of GribMessage
        The messages of the block, from the header scan of ``path``.
    label : str
        The field as log messages name it.
    pressure : bool
        Pressure-level field: a ``level`` dim [hPa].

    Returns
    -------
    xarray.DataArray or None
        See the module docstring; None when no pressure level is kept.
    """
    records = sorted({(m.init_time, m.end_minutes) for m in messages})
    levels = _levels(messages, label, path) if pressure else None
    if pressure and levels is None:
        return None
    level_at = {int(v): i for i, v in enumerate(levels[0])} if levels is not None else {}
    record_at = {r: i for i, r in enumerate(records)}
    with path.open("rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
        first = _handle(buffer, messages[0])
        try:
            nj, ni = eccodes.codes_get_long(first, "Nj"), eccodes.codes_get_long(first, "Ni")
            latitude = np.array(eccodes.codes_get_array(first, "distinctLatitudes"), ndmin=1)
            longitude = np.array(eccodes.codes_get_array(first, "distinctLongitudes"), ndmin=1)
        finally:
            eccodes.codes_release(first)
        shape = (len(records), *((len(level_at),) if pressure else ()), nj, ni)
        values = np.full(shape, np.nan, dtype=np.float32)
        wanted = [m for m in messages if not pressure or m.level in level_at]

        def decode(chunk: Sequence[GribMessage]) -> None:
            for m in chunk:
                slot = (record_at[(m.init_time, m.end_minutes)], *((level_at[m.level],) if pressure else ()))
                handle = _handle(buffer, m)
                try:
                    if m.n_missing:
                        eccodes.codes_set_double(handle, "missingValue", _MISSING)
                    values[slot] = eccodes.codes_get_values(handle).reshape(nj, ni)
                finally:
                    eccodes.codes_release(handle)

        # ecCodes is built thread-safe (ECCODES_THREADS) and its calls release the GIL: decode the
        # messages of a block on the machine's cores; each message fills its own slot of ``values``.
        workers = min(DECODE_THREADS, os.cpu_count() or 1, max(1, len(wanted) // MESSAGES_PER_THREAD))
        if workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(decode, [wanted[i::workers] for i in range(workers)]))
        else:
            decode(wanted)
    if any(m.n_missing for m in messages):
        values[values == _MISSING] = np.nan
    coords: dict[str, Any] = {LATITUDE: latitude, LONGITUDE: longitude}
    if levels is not None:
        coords[LEVEL] = levels[1]
    coords.update(
        {
            STEP: np.array([np.timedelta64(end, "m") for _, end in records]).astype("timedelta64[ns]"),
            RECORD_INIT: (STEP, np.array([init for init, _ in records], dtype="datetime64[ns]")),
            RECORD_FILE: (STEP, np.full(len(records), str(path), dtype=object)),
        }
    )
    dims = (STEP, *((LEVEL,) if pressure else ()), LATITUDE, LONGITUDE)
    return xr.DataArray(values, dims=dims, coords=coords)
