"""Strict patterns for every identifier a request may carry, and the one way a path is built from them.

No request parameter reaches the file system unchecked: an id must match its pattern (else 422), and the
path built from it must resolve inside the folder it belongs to (else 404) — so ``..``, ``%2F``, absolute
paths, NUL bytes and symbolic links pointing out of the home never open a file elsewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

STATION_ID = r"^[a-z0-9][a-z0-9-]{0,63}$"
CYCLE_ID = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}Z$"
RUN_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}-v[1-9][0-9]{0,5}$"
"""``<job name>-v<N>``: the second half of a run id (``forecast-v2``); no dots, so ``.json`` etc. split off."""
ALERT_ID = r"^vn\.vnaqi\.[A-Za-z0-9._:-]{1,200}$"
PROVINCE = r"^[^\x00-\x1f/\\]{1,80}$"

_STATION_RE = re.compile(STATION_ID)
_CYCLE_RE = re.compile(CYCLE_ID)
_RUN_RE = re.compile(RUN_NAME)
_ALERT_RE = re.compile(ALERT_ID)
_BULLETIN_VERSION_RE = re.compile(r"^bulletin-v([1-9][0-9]{0,5})$")


def is_station_id(text: str) -> bool:
    return bool(_STATION_RE.match(text))


def is_cycle(text: str) -> bool:
    return bool(_CYCLE_RE.match(text))


def is_run_name(text: str) -> bool:
    return bool(_RUN_RE.match(text))


def is_alert_id(text: str) -> bool:
    return bool(_ALERT_RE.match(text)) and ".." not in text


def bulletin_version(folder_name: str) -> int | None:
    """K of a ``bulletin-vK`` folder name, else None."""
    found = _BULLETIN_VERSION_RE.match(folder_name)
    return int(found.group(1)) if found else None


def inside(base: Path, *parts: str) -> Path | None:
    """``base/parts…`` resolved, if it stays inside ``base`` (also resolved) — else None.

    Each part must be a single plain path component (no separators, no ``.``/``..``, no NUL).
    """
    for part in parts:
        if not part or part in (".", "..") or "/" in part or "\\" in part or "\x00" in part:
            return None
    root = base.resolve()
    candidate = root.joinpath(*parts).resolve()
    if candidate != root and root not in candidate.parents:
        return None
    return candidate
