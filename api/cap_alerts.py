"""CAP messages of the home's ledger (``HOME/alerts/cap/``) as the API lists them.

Every message keeps its CAP ``status``: only ``Actual`` is ``real``; drills (``Exercise``) and messages from
synthetic runs (``Test``) carry a label saying so and are never presented as real. The XML of a message is
served only for an identifier listed in the ledger, from the file the ledger names inside the folder.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from api.ids import inside, is_alert_id
from bulletins.cap_ledger import CapLedgerError, Ledger, LedgerEntry, cap_folder, read_ledger

log = logging.getLogger(__name__)

LABELS = {"Exercise": "DIỄN TẬP / EXERCISE", "Test": "THỬ NGHIỆM / TEST", "System": "HỆ THỐNG / SYSTEM",
          "Draft": "NHÁP / DRAFT"}  # fmt: skip


class AlertStore:
    """The ledger of one home, re-read when ``ledger.json`` changes."""

    def __init__(self, home: Path) -> None:
        self.folder = cap_folder(home)
        self._key: tuple | None = None
        self._ledger: Ledger | None = None
        self._lock = threading.Lock()

    def ledger(self) -> tuple[Ledger, float | None]:
        """The ledger and the time it last changed (an empty ledger and None when there is none)."""
        path = self.folder / "ledger.json"
        try:
            stat = os.stat(path)
        except OSError:
            return Ledger(self.folder), None
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if key != self._key:
            with self._lock:
                if key != self._key:
                    try:
                        self._ledger = read_ledger(self.folder)
                    except CapLedgerError as exc:
                        log.error("%s", exc)
                        self._ledger = Ledger(self.folder)
                    self._key = key
        assert self._ledger is not None
        return self._ledger, stat.st_mtime

    def xml_file(self, identifier: str) -> Path | None:
        """The CAP XML of a ledger message, or None (unknown id, or a file outside the folder)."""
        identifier = identifier.removesuffix(".xml")
        if not is_alert_id(identifier):
            return None
        ledger, _ = self.ledger()
        entry = next((e for e in ledger.entries if e.identifier == identifier), None)
        if entry is None:
            return None
        path = inside(self.folder, entry.file)
        return path if path is not None and path.is_file() else None


def alert_items(ledger: Ledger, now: datetime, link: Any) -> list[dict[str, Any]]:
    """Every message, newest first, as :class:`api.models_misc.AlertItem` fields."""
    latest_of_incident: dict[str, int] = {}
    for entry in ledger.entries:
        latest_of_incident[entry.incident] = entry.seq
    return [_item(e, latest_of_incident, now, link) for e in reversed(ledger.entries)]


def _active(entry: LedgerEntry, latest: dict[str, int], now: datetime) -> bool:
    if entry.msg_type == "Cancel" or latest.get(entry.incident) != entry.seq:
        return False
    if entry.expires:
        try:
            return datetime.fromisoformat(entry.expires) > now
        except ValueError:
            return False
    return True


def _item(entry: LedgerEntry, latest: dict[str, int], now: datetime, link: Any) -> dict[str, Any]:
    real = entry.status == "Actual" and not entry.drill
    label = LABELS.get(entry.status) or (LABELS["Exercise"] if entry.drill else None)
    return {
        "identifier": entry.identifier,
        "sender": entry.sender,
        "sent": entry.sent,
        "status": entry.status,
        "msg_type": entry.msg_type,
        "real": real,
        "drill": entry.drill or entry.status == "Exercise",
        "label": None if real else label,
        "province": entry.province,
        "incident": entry.incident,
        "cycle": entry.cycle,
        "run_id": entry.run_id,
        "onset": entry.onset,
        "expires": entry.expires,
        "active": _active(entry, latest, now),
        "references": list(entry.references),
        "stations": list(entry.stations),
        "reviewed": entry.reviewed,
        "links": {"cap": link(f"/v1/alerts/{entry.identifier}")},
    }
