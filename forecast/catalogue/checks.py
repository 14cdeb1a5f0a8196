"""Argument checks shared by the catalogue: aware UTC times, cycle ids, identifiers, JSON-able dicts.

Each raises ``ValueError`` naming the bad value, before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from forecast.cycles import cycle_id, parse_cycle

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def utc(value: datetime, what: str) -> datetime:
    """``value`` converted to UTC; naive datetimes are refused."""
    if hasattr(value, "to_pydatetime"):  # pandas.Timestamp
        value = value.to_pydatetime()
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (UTC), not {value!r}")
    return value.astimezone(UTC)


def cycle(text: str) -> str:
    """The cycle id (``2026-11-22T00Z``) of a cycle id or ISO 8601 time with offset."""
    return cycle_id(parse_cycle(text))


def identifier(value: str, what: str) -> str:
    """``value`` if it is a short name usable inside a run id (no ``/``)."""
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ValueError(f"{what} {value!r} must be 1-64 letters, digits, '_', '.' or '-'")
    return value


def jsonable(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON round-trip copy: paths, timestamps and the like become strings, NaN and infinities None.

    Provenance must never fail a run, and PostgreSQL's JSON refuses NaN.
    """
    if not value:
        return {}
    return json.loads(json.dumps(dict(value), default=str), parse_constant=lambda _: None)


def limit(value: int) -> int:
    """A positive row limit."""
    if int(value) < 1:
        raise ValueError(f"limit must be at least 1, not {value}")
    return int(value)
