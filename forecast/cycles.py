"""Cycle ids: the NWP initialisation time, written ``2026-11-22T00Z``."""

from __future__ import annotations

import re

import pandas as pd

_CYCLE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2})Z$")


def parse_cycle(text: str) -> pd.Timestamp:
    """UTC timestamp of a cycle id (``2026-11-22T00Z``) or of an ISO 8601 time with offset.

    Raises ``ValueError`` naming the text when it is neither, has no offset, or is not on the hour.
    """
    match = _CYCLE_RE.match(text.strip())
    if match:
        ts = pd.Timestamp(f"{match.group(1)}T{match.group(2)}:00", tz="UTC")
    else:
        try:
            ts = pd.Timestamp(text)
        except ValueError as exc:
            raise ValueError(
                f"cycle {text!r} is not a cycle id like 2026-11-22T00Z or an ISO 8601 time"
            ) from exc
        if ts.tzinfo is None:
            raise ValueError(f"cycle {text!r} has no time zone; write it like 2026-11-22T00Z (UTC)")
        ts = ts.tz_convert("UTC")
    if ts != ts.floor("h"):
        raise ValueError(f"cycle {text!r} is not on the hour")
    return ts


def cycle_id(ts: pd.Timestamp) -> str:
    """Cycle id of a UTC time, e.g. ``2026-11-22T00Z``."""
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%HZ")


def latest_cycle(now: pd.Timestamp, hours: tuple[int, ...] = (0, 12)) -> pd.Timestamp:
    """The most recent cycle time (default 00 and 12 UTC) at or before ``now``."""
    now = pd.Timestamp(now).tz_convert("UTC")
    day = now.floor("D")
    candidates = [day + pd.Timedelta(hours=h) for h in hours] + [
        day - pd.Timedelta(days=1) + pd.Timedelta(hours=max(hours))
    ]
    return max(c for c in candidates if c <= now)
