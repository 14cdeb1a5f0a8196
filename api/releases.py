"""The release ``products/latest`` points at, parsed once and holding every body built from it.

:meth:`ReleaseStore.current` looks where the link points (a ``readlink`` and a ``stat`` of ``release.json``) at
most once per ``check_every_s`` (``api.yaml`` ``release_check_seconds``, default 1 s): the cache key is (link
target, inode, mtime, size), so a new release (an atomic link swap) is served within that time and the old
one's bodies are dropped with it. ``forecast.json`` is parsed once per release, when it is first
seen (a release whose files cannot be read is not served: nothing published, logged); each body is built once
per key and kept (:meth:`Release.cached`).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from api.forecast_payload import ReleaseMeta
from api.ids import bulletin_version
from api.representation import Representation
from bulletins.content import apply_overrides

log = logging.getLogger(__name__)

LATEST = "latest"
RELEASE_FILE = "release.json"
FORECAST_FILE = "forecast.json"
VARYING_MAX = 2048
"""Bodies keyed by free query parameters (pages, points) kept per release before the oldest are dropped."""


def forecast_key(station_id: str, lang: str) -> tuple:
    """Cache key of a station's forecast body (shared by the route and the fast lane)."""
    return ("forecast", station_id, lang)


def file_key(name: str) -> tuple:
    """Cache key of a release file's body (e.g. ``bulletin.json``)."""
    return ("bulletin-file", name)


class Release:
    """One release folder: its ``release.json``, its parsed forecast and the bodies built from them."""

    def __init__(self, folder: Path, info: dict[str, Any], document: dict[str, Any], last_modified: float) -> None:
        self.folder = folder
        self.info = info
        self.last_modified = last_modified
        self._lock = threading.RLock()
        self._document = apply_overrides(document, list(info.get("overrides") or []))
        self._stations: dict[str, dict[str, Any]] | None = None
        self._meta: ReleaseMeta | None = None
        self._bodies: dict[tuple, Representation] = {}
        self._varying: dict[tuple, Representation] = {}
        self._memo: dict[tuple, Any] = {}

    @property
    def run_id(self) -> str:
        return self.meta.run_id

    def document(self) -> dict[str, Any]:
        """``forecast.json`` of the release, with the forecasters' category overrides applied (``release.json``)."""
        return self._document

    def stations(self) -> dict[str, dict[str, Any]]:
        """Forecast stations by id, in the document's order."""
        if self._stations is None:
            self._stations = {s["id"]: s for s in self.document().get("stations", [])}
        return self._stations

    @property
    def meta(self) -> ReleaseMeta:
        if self._meta is None:
            self._meta = _meta(self.folder, self.info, self.document())
        return self._meta

    def released_at(self) -> datetime | None:
        """When the release was made (``release.json``), else the folder's time."""
        text = self.info.get("released_at")
        if text:
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                pass
        return datetime.fromtimestamp(self.last_modified).astimezone()

    def cached(self, key: tuple, build: Callable[[], Representation], *, varying: bool = False) -> Representation:
        """The body under ``key``, built by ``build`` the first time (``varying``: from a bounded pool)."""
        pool = self._varying if varying else self._bodies
        found = pool.get(key)
        if found is not None:
            return found
        with self._lock:
            found = pool.get(key)
            if found is None:
                found = build()
                if varying and len(pool) >= VARYING_MAX:
                    for old in list(pool)[: VARYING_MAX // 2]:
                        pool.pop(old, None)
                pool[key] = found
        return found

    def peek(self, key: tuple) -> Representation | None:
        """The body under ``key`` if it has been built (never builds)."""
        return self._bodies.get(key)

    def memo(self, key: tuple, build: Callable[[], Any]) -> Any:
        """Any value derived from the release (e.g. station lists), computed once."""
        if key not in self._memo:
            with self._lock:
                if key not in self._memo:
                    self._memo[key] = build()
        return self._memo[key]

    def file(self, name: str) -> Path | None:
        """A file of the release folder (names come from fixed lists, never from requests), or None."""
        path = self.folder / name
        return path if path.is_file() else None


def _meta(folder: Path, info: dict[str, Any], document: dict[str, Any]) -> ReleaseMeta:
    run_id = info.get("run_id") or (document.get("provenance") or {}).get("run_id") or f"{document['cycle']}/run"
    name = run_id.rsplit("/", 1)[-1]
    version = int(name.rsplit("-v", 1)[-1]) if "-v" in name and name.rsplit("-v", 1)[-1].isdigit() else 1
    return ReleaseMeta(
        run_id=run_id,
        cycle=document.get("cycle") or info.get("cycle", ""),
        version=version,
        method=document.get("method"),
        issue_time=document["issue_time"],
        synthetic=bool(document.get("synthetic", False)),
        time_zone=document.get("time_zone") or "Asia/Ho_Chi_Minh",
        bulletin_id=info.get("bulletin_id"),
        bulletin_version=bulletin_version(info.get("bulletin_version") or ""),
        released_at=info.get("released_at"),
        reviewed=bool(info.get("reviewed", False)),
        approved_by=info.get("approved_by"),
    )


class ReleaseStore:
    """Follows ``products/latest`` of one home."""

    def __init__(self, products: Path, home: Path, check_every_s: float = 1.0) -> None:
        self.products = products
        self.check_every_s = check_every_s
        self._next_check = 0.0
        self.home = home.resolve()
        self._products = str(products)
        self._link = str(products / LATEST)
        self._key: tuple | None = None
        self._release: Release | None = None
        self._lock = threading.Lock()
        self.problem: str | None = None
        """Why the release ``products/latest`` points at is not served (for /healthz), else None."""

    def recheck(self) -> None:
        """Look where ``products/latest`` points on the next request (after this worker released something)."""
        self._next_check = 0.0

    def current(self) -> Release | None:
        """The latest release, or None when nothing is published (or the link is broken)."""
        now = time.monotonic()
        if now < self._next_check:
            return self._release
        self._next_check = now + self.check_every_s
        try:
            target = os.readlink(self._link)
            folder = os.path.join(self._products, target)
            try:
                stat = os.stat(folder + "/" + RELEASE_FILE)
                legacy = False
            except FileNotFoundError:  # a link straight to a run folder (homes published before release folders)
                stat = os.stat(folder + "/" + FORECAST_FILE)
                legacy = True
        except OSError:
            self._key, self._release = None, None
            return None
        key = (target, stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if key == self._key:
            return self._release
        with self._lock:
            if key != self._key:
                self.problem = None
                self._release = self._load(Path(folder), legacy, stat.st_mtime)
                self._key = key
        return self._release

    def _load(self, folder: Path, legacy: bool, mtime: float) -> Release | None:
        resolved = folder.resolve()
        if self.home not in resolved.parents:
            return self._refuse("products/latest points outside the home", str(resolved))
        info: dict[str, Any] = {}
        if not legacy:
            try:
                info = json.loads((resolved / RELEASE_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                return self._refuse(f"cannot read {RELEASE_FILE} of {resolved.name}", repr(exc))
        try:
            document = json.loads((resolved / FORECAST_FILE).read_text(encoding="utf-8"))
            if not isinstance(document, dict) or "issue_time" not in document:
                raise ValueError("not a forecast document (no issue_time)")
        except (OSError, ValueError) as exc:
            return self._refuse(f"cannot read {FORECAST_FILE} of {resolved.name}", repr(exc))
        # Long-lived and acyclic (freed by reference counting when the release goes): keep it out of the cyclic
        # collector's full passes, which otherwise walk it every few thousand requests (85 ms each for the
        # demo's 19 stations: the p99 tail under load).
        gc.freeze()
        log.info("serving release %s (%d stations)", resolved, len(document.get("stations") or []))
        return Release(resolved, info, document, mtime)

    def _refuse(self, problem: str, detail: str) -> None:
        """Log why the release is not served; keep the public part (no server paths) for /healthz."""
        log.error("latest release not served: %s (%s)", problem, detail)
        self.problem = problem
        return None
