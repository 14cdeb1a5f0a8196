"""Just enough of the GRIB 2 octet layout to identify a message without eccodes key look-ups.

Used by :mod:`met_inputs.fastgrib` to walk a file once: each message's parameter identity, reference
time, grid section, forecast step and pressure level are read straight from the octets (a few µs),
while eccodes still decodes the values and names each distinct parameter once. Anything outside the
plain cases — GRIB 1, multi-field messages, product templates other than 4.0, 4.1, 4.8 (with one time
range), 4.40 and 4.48 — gives ``None`` and the caller falls back to eccodes keys.

Octet positions follow WMO-No. 306, Manual on Codes, Vol. I.2, FM 92 GRIB edition 2: section 0
(indicator), 1 (identification: centre octets 6–7, reference time 13–19), 3 (grid definition),
4 (product definition: template 8–9, category 10, number 11, unit of time 18, forecast time 19–22,
first fixed surface type/scale/value 23/24/25–28; template 4.8 adds the end of the overall interval 35–41,
number of time ranges 42, unit 49 and length 50–53 of the time range), 6 (bitmap indicator octet 6).
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

TIME_UNIT_HOURS: Final[dict[int, float]] = {0: 1 / 60, 1: 1.0, 2: 24.0, 10: 3.0, 11: 6.0, 12: 12.0, 13: 1 / 3600}
"""Code table 4.4, indicator of unit of time range → hours."""
ISOBARIC_SURFACE: Final = 100
"""Code table 4.5: isobaric surface [Pa]."""
_MISSING_4: Final = 0xFFFFFFFF
_PLAIN_PACKING: Final = frozenset({0, 40, 41, 42})
"""Data representation templates without missing-value management (simple, JPEG, PNG, CCSDS)."""
_MANAGED_MISSING: Final = frozenset({2, 3})
"""Complex packing templates, whose octet 23 of section 5 tells whether values may be missing."""
_TEMPLATE_SHIFT: Final[dict[int, int]] = {0: 0, 1: 0, 8: 0, 40: 2, 48: 24}
"""Product templates read from octets, and how far their time/surface octets sit after those of 4.0:
4.40 (chemical constituent) inserts the constituent type (2 octets), 4.48 (aerosol) the aerosol type,
size and wavelength intervals (24 octets)."""


@dataclass(frozen=True)
class Grib2Header:
    """What :mod:`met_inputs.fastgrib` needs of one GRIB 2 message."""

    identity: bytes
    """Discipline, centre and section 4 with forecast time, isobaric level and interval end blanked."""
    reference_time: tuple[int, int]
    """(YYYYMMDD, HHMM) of the reference (initial) time."""
    grid: bytes
    """Section 3 as written (grid definition), compared for equality."""
    step_hours: float
    """End of the forecast interval (or the forecast time) [h after the reference time]."""
    level_hpa: float | None
    """Pressure [hPa] of an isobaric first fixed surface, else None."""
    bitmap: bool
    """True when section 6 carries a bitmap (missing points)."""
    start_hours: float = 0.0
    """Start of the forecast interval (the forecast time) [h after the reference time]."""
    context: bytes = b""
    """Section 1 with the reference time blanked, and section 2 (local use): what else names a parameter."""
    no_missing: bool = False
    """True when no value can be missing: no bitmap, and a packing without missing-value management."""


def split_messages(buffer: bytes | mmap.mmap) -> Iterator[tuple[int, int, int]]:
    """``(offset, length, edition)`` of each GRIB message in ``buffer`` (editions 1 and 2)."""
    position = 0
    while (position := buffer.find(b"GRIB", position)) >= 0:
        edition = buffer[position + 7]
        if edition == 2:
            length = int.from_bytes(buffer[position + 8 : position + 16], "big")
        elif edition == 1:
            length = int.from_bytes(buffer[position + 4 : position + 7], "big")
        else:
            position += 4
            continue
        yield position, length, edition
        position += length


def parse_grib2(buffer: bytes | mmap.mmap, offset: int = 0, length: int | None = None) -> Grib2Header | None:
    """The header of the GRIB 2 message at ``buffer[offset:offset + length]``, or ``None`` when it is not
    one of the plain cases. Only the small sections are copied out of ``buffer``."""
    length = len(buffer) - offset if length is None else length
    end = offset + length - 4  # section 8 is "7777"
    position = offset + 16
    sections: dict[int, bytes] = {}
    while position < end:
        size = int.from_bytes(buffer[position : position + 4], "big")
        number = buffer[position + 4]
        if number in sections or size < 5:  # repeated sections: a multi-field message
            return None
        if number == 7:
            if position + size != end:  # more fields follow the data section
                return None
            break
        sections[number] = buffer[position : position + (size if number != 6 else 6)]
        position += size
    if not {1, 3, 4, 5, 6} <= sections.keys():
        return None
    s1, s4 = sections[1], sections[4]
    template = int.from_bytes(s4[7:9], "big")
    shift = _TEMPLATE_SHIFT.get(template)
    if shift is None or len(s4) < 34 + shift or s4[17 + shift] not in TIME_UNIT_HOURS:
        return None
    step = int.from_bytes(s4[18 + shift : 22 + shift], "big") * TIME_UNIT_HOURS[s4[17 + shift]]
    start = step
    masked = bytearray(s4)
    masked[18 + shift : 22 + shift] = bytes(4)
    level = None
    if s4[22 + shift] == ISOBARIC_SURFACE:
        scale, value = s4[23 + shift], int.from_bytes(s4[24 + shift : 28 + shift], "big")
        if value == _MISSING_4:
            return None
        level = value * 10.0 ** (-(scale if scale < 128 else 128 - scale)) / 100.0
        masked[23 + shift : 28 + shift] = bytes(5)
    if template == 8:
        if len(s4) < 58 or s4[41] != 1 or s4[48] not in TIME_UNIT_HOURS:
            return None
        step += int.from_bytes(s4[49:53], "big") * TIME_UNIT_HOURS[s4[48]]
        masked[34:41] = bytes(7)
        masked[49:53] = bytes(4)
    year = int.from_bytes(s1[12:14], "big")
    s5 = sections[5]
    packing = int.from_bytes(s5[9:11], "big")
    plain = packing in _PLAIN_PACKING or (packing in _MANAGED_MISSING and len(s5) >= 23 and s5[22] == 0)
    return Grib2Header(
        identity=bytes([buffer[offset + 6]]) + s1[5:7] + bytes(masked),
        reference_time=(year * 10000 + s1[14] * 100 + s1[15], s1[16] * 100 + s1[17]),
        grid=sections[3][5:],
        step_hours=step,
        level_hpa=level,
        bitmap=sections[6][5] != 255,
        start_hours=start,
        context=s1[:12] + s1[19:] + sections.get(2, b""),
        no_missing=sections[6][5] == 255 and plain,
    )
