"""Released bulletin versions of a home (``HOME/bulletins/<cycle>/<run>/bulletin-vK/``), drafts never.

A version folder appears complete in one rename and never changes, so what is read from it (a summary of
``bulletin.json``, a file's bytes) is cached by path and modification time. Paths are built only from ids
that passed :mod:`api.ids` and must resolve inside ``HOME/bulletins``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.ids import bulletin_version, inside, is_cycle, is_run_name

log = logging.getLogger(__name__)

SUMMARY_CACHE_MAX = 4096


@dataclass(frozen=True)
class BulletinVersion:
    """One released version and what its ``bulletin.json`` says (the parts lists and summaries need)."""

    cycle: str
    run: str
    version: int
    folder: Path
    issue_time: str
    reviewed: bool
    approved_by: str | None
    synthetic: bool
    emergency: bool
    regions: list[str]
    caveats: list[dict[str, str]]
    verification_date: str | None
    verification_run: str | None
    headlines: dict[str, list[str]] = field(default_factory=dict)
    verification: list[dict[str, Any]] = field(default_factory=list)
    verified: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.cycle}/{self.run}"

    def cards(self) -> list[str]:
        """Card file names present, ``card.NN.{vi,en}.png`` in region order."""
        return sorted(p.name for p in self.folder.glob("card.*.png"))


class BulletinStore:
    """Reads ``HOME/bulletins`` for released versions."""

    def __init__(self, home: Path) -> None:
        self.root = Path(home) / "bulletins"
        self._summaries: dict[tuple[str, int], BulletinVersion | None] = {}
        self._lock = threading.Lock()

    def _summary(self, cycle: str, run: str, folder: Path) -> BulletinVersion | None:
        """The version in ``folder`` if it is released (cached by path and mtime), else None."""
        version = bulletin_version(folder.name)
        path = folder / "bulletin.json"
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return None
        key = (str(path), mtime)
        if key in self._summaries:
            return self._summaries[key]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("unreadable %s: %s", path, exc)
            return None
        found = None
        if data.get("released") is True and version is not None:
            found = version_from_json(cycle, run, version, folder, data)
        with self._lock:
            if len(self._summaries) >= SUMMARY_CACHE_MAX:
                self._summaries.clear()
            self._summaries[key] = found
        return found

    def _run_folder(self, cycle: str, run: str) -> Path | None:
        if not (is_cycle(cycle) and is_run_name(run)):
            return None
        folder = inside(self.root, cycle, run)
        return folder if folder is not None and folder.is_dir() else None

    def versions(self, cycle: str, run: str) -> list[BulletinVersion]:
        """Released versions of bulletin ``cycle/run``, newest first (empty when unknown)."""
        folder = self._run_folder(cycle, run)
        if folder is None:
            return []
        found = []
        for child in folder.iterdir():
            if bulletin_version(child.name) is not None and child.is_dir():
                summary = self._summary(cycle, run, child)
                if summary is not None:
                    found.append(summary)
        return sorted(found, key=lambda v: v.version, reverse=True)

    def released(self, cycle: str, run: str, version: int | None = None) -> BulletinVersion | None:
        """Version ``version`` (default: the newest released one) if released, else None."""
        for candidate in self.versions(cycle, run):
            if version is None or candidate.version == version:
                return candidate
        return None

    def newest_first(self) -> Iterator[BulletinVersion]:
        """Every released version of every bulletin: newest cycle first, then run, then version."""
        if not self.root.is_dir():
            return
        cycles = sorted((p.name for p in self.root.iterdir() if is_cycle(p.name)), reverse=True)
        for cycle in cycles:
            runs = [p.name for p in (self.root / cycle).iterdir() if is_run_name(p.name)]
            for run in sorted(runs, key=_run_order, reverse=True):
                yield from self.versions(cycle, run)

    def newest_versions(self) -> Iterator[BulletinVersion]:
        """The newest released version of each bulletin, newest cycle first."""
        seen: set[str] = set()
        for version in self.newest_first():
            if version.id not in seen:
                seen.add(version.id)
                yield version


def _run_order(run: str) -> tuple[str, int]:
    name, _, number = run.rpartition("-v")
    return name, int(number)


def version_from_json(cycle: str, run: str, version: int, folder: Path, data: dict[str, Any]) -> BulletinVersion:
    regions = data.get("regions") or []
    return BulletinVersion(
        cycle=cycle,
        run=run,
        version=version,
        folder=folder,
        issue_time=data.get("issue_time", ""),
        reviewed=bool(data.get("reviewed", False)),
        approved_by=data.get("approved_by"),
        synthetic=bool(data.get("synthetic", False)),
        emergency=bool(data.get("emergency", False)),
        regions=[r.get("name", "") for r in regions],
        caveats=list(data.get("caveats") or []),
        verification_date=data.get("verification_date"),
        verification_run=data.get("verification_run"),
        headlines={lang: [(r.get("headline") or {}).get(lang, "") for r in regions] for lang in ("vi", "en")},
        verification=[{"name": r.get("name"), "verification": r.get("verification")} for r in regions],
        verified=[
            {"id": s.get("id"), "region": r.get("name"), "verified": s.get("verified")}
            for r in regions
            for s in r.get("stations") or []
            if s.get("verified") is not None
        ],
    )
