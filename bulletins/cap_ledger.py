"""The ledger of issued CAP messages: ``<home>/alerts/cap/`` with one XML file per message and ``ledger.json``.

``ledger.json`` is the index: a message exists once its entry is there. Files are written to a temporary
name and renamed, the XML before the index, so a reader never sees half a file and a process killed in
between leaves at most an XML file that was never issued (its identifier is reused by the next message).
Writers hold an ``fcntl`` lock on ``.ledger.lock`` while they decide and write, so two evaluations of the
same home cannot both issue an Alert for one province. See ``docs/cap.md``.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from bulletins.cap import CapMessage
from configs.locks import flock_within

SCHEMA: Final = "vnaqi.cap-ledger/1"
LEDGER_FILE: Final = "ledger.json"
LOCK_FILE: Final = ".ledger.lock"
LOCK_WAIT_S: Final = 60.0
# Message tracks: a Test (synthetic-data) track and the Exercise track never update or cancel Actual alerts.
ACTUAL, TEST, EXERCISE = "actual", "test", "exercise"


class CapLedgerError(RuntimeError):
    """The ledger cannot be read or locked (names the file and the reason)."""


def cap_folder(home: Path) -> Path:
    """Where a home keeps its CAP messages and ledger."""
    return Path(home) / "alerts" / "cap"


@dataclass(frozen=True)
class LedgerEntry:
    """One issued message as the ledger records it (times as CAP text, ``+07:00``)."""

    seq: int
    identifier: str
    sender: str
    sent: str
    status: str
    msg_type: str
    track: str
    area_key: str
    province: str
    incident: str
    file: str
    cycle: str | None = None
    run_id: str | None = None
    fingerprint: str | None = None
    onset: str | None = None
    expires: str | None = None
    references: list[str] = field(default_factory=list)
    stations: list[str] = field(default_factory=list)
    reviewed: bool = False
    catalogue_status: str | None = None
    approved_by: str | None = None
    drill: bool = False
    issued_at: str | None = None

    @property
    def reference(self) -> str:
        """``sender,identifier,sent`` of this message."""
        return f"{self.sender},{self.identifier},{self.sent}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LedgerEntry:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Ledger:
    """All messages of a home, oldest first, and the next sequence number."""

    folder: Path
    next_seq: int = 1
    entries: list[LedgerEntry] = field(default_factory=list)

    def last(self, track: str, area_key: str) -> LedgerEntry | None:
        """The latest message of ``track`` for ``area_key``, or ``None``."""
        found = [e for e in self.entries if e.track == track and e.area_key == area_key]
        return found[-1] if found else None

    def incident(self, incident: str) -> list[LedgerEntry]:
        """Every message of one incident (an Alert and its Updates/Cancel), oldest first."""
        return [e for e in self.entries if e.incident == incident]

    def area_keys(self, track: str) -> list[str]:
        """Area keys that have messages in ``track``, in order of first appearance."""
        return list(dict.fromkeys(e.area_key for e in self.entries if e.track == track))

    def take_seq(self) -> int:
        """A new sequence number (unique within this home's ledger)."""
        seq, self.next_seq = self.next_seq, self.next_seq + 1
        return seq


def read_ledger(folder: Path) -> Ledger:
    """The ledger in ``folder`` (empty when it does not exist yet); :class:`CapLedgerError` if unreadable."""
    path = folder / LEDGER_FILE
    if not path.exists():
        return Ledger(folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema") != SCHEMA:
            raise ValueError(f"field 'schema' is {data.get('schema')!r}, expected {SCHEMA!r}")
        entries = [LedgerEntry.from_dict(e) for e in data["messages"]]
        next_seq = int(data["next_seq"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CapLedgerError(f"{path}: cannot read the CAP ledger: {exc}") from exc
    next_seq = max([next_seq, *(e.seq + 1 for e in entries)])
    return Ledger(folder, next_seq, entries)


def _atomic_write(path: Path, data: bytes) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def commit(ledger: Ledger, issued: list[tuple[CapMessage, LedgerEntry]]) -> list[Path]:
    """Write each message's XML, then the index with their entries; return the XML paths."""
    paths = []
    for message, entry in issued:
        path = ledger.folder / entry.file
        _atomic_write(path, message.to_xml())
        paths.append(path)
    ledger.entries.extend(entry for _, entry in issued)
    document = {"schema": SCHEMA, "next_seq": ledger.next_seq, "messages": [asdict(e) for e in ledger.entries]}
    _atomic_write(ledger.folder / LEDGER_FILE, json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
    return paths


@contextmanager
def locked_ledger(home: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[Ledger]:
    """The home's ledger, read under its exclusive lock (held until the block ends)."""
    folder = cap_folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+") as handle:
        if not flock_within(handle, wait_s):
            message = f"{folder / LOCK_FILE}: still locked by another process after {wait_s:g} s"
            raise CapLedgerError(message)
        try:
            yield read_ledger(folder)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
