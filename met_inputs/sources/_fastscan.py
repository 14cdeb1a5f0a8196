"""Header scan of a GRIB file from its octets: each *distinct* GRIB 2 message described once by ecCodes.

ecCodes' concept keys (``paramId``, ``shortName``, ``typeOfLevel``, ``stepType`` …) cost 0.02–0.3 ms per
message and key, and creating a handle ~0.2 ms: a plain scan of a 2,000-message forecast takes ~3 s, five
times the decoding of its values. Yet the messages of one forecast repeat a few dozen parameters that differ
only in step, pressure level and reference time. Here each message is read with
:func:`met_inputs.grib2raw.parse_grib2`; the first message of every (parameter identity, context, grid,
kind of pressure level) is described by ecCodes (:func:`._scan._message`), the others are that
description with the step, level and reference time read from the octets. A description is only reused
after checking that the octet reading reproduces ecCodes' own on that first message.

Messages outside the plain cases (GRIB 1, other product templates, bitmaps or values that may be missing)
are described by ecCodes (those with possible missing values only get their ``numberOfMissing`` from it).
Anything unusual in the framing (truncation, a message ecCodes cannot open) gives ``None``: the caller
then scans with ecCodes alone, which reports the problem with its usual message.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Hashable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import eccodes
import numpy as np

from met_inputs.grib2raw import Grib2Header, parse_grib2, split_messages

if TYPE_CHECKING:
    from met_inputs.sources._scan import GribMessage

Describe = Callable[[int, int, int], "GribMessage"]
"""``(handle, index, offset) -> GribMessage``: the ecCodes description of one message."""
_PRESSURE_FACTORS = {"isobaricInhPa": 1.0, "isobaricInPa": 100.0}


def _level_kind(header: Grib2Header) -> str | None:
    """How the pressure level of a message is coded: ``none``, ``hpa`` (whole hPa ≥ 1), ``pa`` (whole Pa)."""
    hpa = header.level_hpa
    if hpa is None:
        return "none"
    if hpa >= 1 and hpa == round(hpa):
        return "hpa"
    return "pa" if hpa * 100 == round(hpa * 100) else None


def _cache_key(header: Grib2Header | None) -> Hashable | None:
    """What a message's description depends on, besides step, pressure level and reference time."""
    if header is None:
        return None
    minutes = (header.start_hours * 60, header.step_hours * 60)
    kind = _level_kind(header)
    if kind is None or any(abs(m - round(m)) > 1e-9 for m in minutes):
        return None
    return header.identity, header.context, header.grid, kind


def _like(template: GribMessage, header: Grib2Header, index: int, offset: int, n_missing: int) -> GribMessage | None:
    """``template`` moved to the step, level and reference time of ``header`` (None: cannot be done)."""
    level = template.level
    if header.level_hpa is not None:
        factor = _PRESSURE_FACTORS.get(template.type_of_level)
        if factor is None:
            return None
        level = int(round(header.level_hpa * factor))
    date, time = header.reference_time
    init = np.datetime64(
        f"{date // 10000:04d}-{date // 100 % 100:02d}-{date % 100:02d}T{time // 100:02d}:{time % 100:02d}"
    )
    return replace(
        template,
        index=index,
        offset=offset,
        level=level,
        start_minutes=int(round(header.start_hours * 60)),
        end_minutes=int(round(header.step_hours * 60)),
        init_time=init.astype("datetime64[ns]"),
        n_missing=n_missing,
    )


def _number_of_missing(handle: int) -> int:
    try:
        return int(eccodes.codes_get_long(handle, "numberOfMissing"))
    except eccodes.CodesInternalError:
        return 0


def _open(buffer: Any, start: int, length: int) -> int | None:
    try:
        return eccodes.codes_new_from_message(buffer[start : start + length])
    except eccodes.CodesInternalError:
        return None


def scan_octets(path: Path, describe: Describe) -> tuple[GribMessage, ...] | None:
    """Headers of every message of ``path`` (as ``describe`` gives them), or None: scan with ecCodes.

    Parameters
    ----------
    path : Path
        A GRIB file.
    describe : callable
        ``(handle, index, offset) -> GribMessage``, the ecCodes description (:func:`._scan._message`);
        ``offset`` is where the reading of the message starts (the end of the previous one).
    """
    with path.open("rb") as stream:
        if path.stat().st_size == 0:
            return None
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
            return _scan(buffer, describe)


def _scan(buffer: Any, describe: Describe) -> tuple[GribMessage, ...] | None:
    size = len(buffer)
    messages: list[GribMessage] = []
    known: dict[Hashable, GribMessage | None] = {}
    offset = 0
    for start, length, edition in split_messages(buffer):
        if length < 8 or start + length > size or buffer[start + length - 4 : start + length] != b"7777":
            return None
        header = parse_grib2(buffer, start, length) if edition == 2 else None
        key = _cache_key(header)
        template = known.get(key) if key is not None else None
        message = None
        if template is not None and header is not None:
            n_missing = 0
            if not header.no_missing:
                handle = _open(buffer, start, length)
                if handle is None:
                    return None
                n_missing = _number_of_missing(handle)
                eccodes.codes_release(handle)
            message = _like(template, header, len(messages), offset, n_missing)
        if message is None:
            handle = _open(buffer, start, length)
            if handle is None:
                return None
            try:
                message = describe(handle, len(messages), offset)
            finally:
                eccodes.codes_release(handle)
            if key is not None and header is not None and key not in known:
                trusted = not header.no_missing or message.n_missing == 0
                again = _like(message, header, message.index, message.offset, message.n_missing)
                known[key] = message if trusted and again == message else None
        messages.append(message)
        offset = start + length
    return tuple(messages) or None
