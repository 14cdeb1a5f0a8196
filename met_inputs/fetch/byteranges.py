"""Byte ranges of a remote file: joining them, reading ``Content-Range``, resuming a concatenation."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["ByteRange", "known_total", "locate", "merge_ranges", "parse_content_range"]

ByteRange = tuple[int, int | None]
"""First and last byte (inclusive) of a part of a remote file; last ``None`` = to the end of the file."""

_CONTENT_RANGE = re.compile(r"^bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)$")


def merge_ranges(ranges: Sequence[ByteRange]) -> list[ByteRange]:
    """Sort ranges, drop duplicates and join adjacent or overlapping ones (fewer requests, same bytes)."""
    merged: list[ByteRange] = []
    for start, end in sorted(set(ranges), key=lambda r: (r[0], -1 if r[1] is None else r[1])):
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None or start <= last_end + 1:
                merged[-1] = (last_start, None if last_end is None or end is None else max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def parse_content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    """(first, last, total) of a ``Content-Range: bytes first-last/total`` header; ``None`` where absent or ``*``."""
    match = _CONTENT_RANGE.match((value or "").strip())
    if not match:
        return None, None, None
    first, last, total = match.groups()
    return (
        None if first is None else int(first),
        None if last is None else int(last),
        None if total in (None, "*") else int(total),
    )


def known_total(segments: Sequence[ByteRange | None]) -> int | None:
    """Total bytes of the segments, or ``None`` when one is open-ended (or the whole file)."""
    total = 0
    for seg in segments:
        if seg is None or seg[1] is None:
            return None
        total += seg[1] - seg[0] + 1
    return total


def locate(segments: Sequence[ByteRange | None], done: int) -> tuple[int | None, int]:
    """Where a part file holding the first ``done`` bytes of the concatenated segments continues.

    Returns
    -------
    (int or None, int)
        Segment index and offset in it; ``(len(segments), 0)`` when complete; ``(None, 0)`` when the
        part file is longer than the segments (it holds something else).
    """
    for i, seg in enumerate(segments):
        if seg is None or seg[1] is None:
            return i, done
        length = seg[1] - seg[0] + 1
        if done < length:
            return i, done
        done -= length
    return (len(segments), 0) if done == 0 else (None, 0)
