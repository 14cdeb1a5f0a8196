"""A forecaster's edits to a run's bulletin: a province's headline rewritten, or a note of their own.

Edits are appended to ``<home>/bulletins/<cycle>/<run name>/edits.jsonl`` (one JSON object per line, never
rewritten), so the history of who changed what stays; the latest edit of each (kind, province, language)
wins and an empty text reverts to the automatic wording. The model's numbers are never edited: a
forecaster who disagrees with them withholds approval or reruns the cycle.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from configs.locks import flock_within

EDITS_FILE = "edits.jsonl"
KINDS = ("headline", "note")
LANGS = ("vi", "en")
MAX_TEXT = 600
"""Characters in one edit: a headline or a short forecaster's comment, not an essay."""


class EditError(ValueError):
    """An edit that cannot be accepted (unknown kind, language or province; empty author; text too long)."""


@dataclass(frozen=True)
class BulletinEdit:
    """One edit: ``kind`` headline (of ``province``) or note (``province`` None = the whole bulletin)."""

    at: str
    by: str
    kind: str
    lang: str
    text: str
    province: str | None = None


def edits_path(home: Path, run_id: str) -> Path:
    """Where the edits of run ``<cycle>/<run name>`` are kept."""
    return Path(home) / "bulletins" / run_id / EDITS_FILE


def _check_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text.strip())
    if len(text) > MAX_TEXT:
        raise EditError(f"edit text is {len(text)} characters; at most {MAX_TEXT}")
    bad = [c for c in text if unicodedata.category(c) in ("Cc", "Cf") and c != "\n"]
    if bad:
        raise EditError(f"edit text contains control character(s) {', '.join(repr(c) for c in bad[:3])}")
    return text


def check_edit(edit: BulletinEdit, provinces: list[str]) -> BulletinEdit:
    """``edit`` with its text normalised (NFC, stripped), or :class:`EditError` naming what is wrong."""
    if not edit.by.strip():
        raise EditError("an edit needs the forecaster's name (--by)")
    if edit.kind not in KINDS:
        raise EditError(f"unknown edit kind {edit.kind!r}; choose from {', '.join(KINDS)}")
    if edit.lang not in LANGS:
        raise EditError(f"unknown language {edit.lang!r}; choose from {', '.join(LANGS)}")
    if edit.kind == "headline" and edit.province is None:
        raise EditError("a headline edit needs --province (one of: " + ", ".join(provinces) + ")")
    if edit.province is not None and edit.province not in provinces:
        raise EditError(f"province {edit.province!r} is not in this run; its provinces: {', '.join(provinces)}")
    return BulletinEdit(edit.at, edit.by.strip(), edit.kind, edit.lang, _check_text(edit.text), edit.province)


def add_edits(home: Path, run_id: str, edits: list[BulletinEdit], provinces: list[str]) -> list[BulletinEdit]:
    """Check every edit first, then append them all (none is written if one is bad); return them."""
    checked = [check_edit(e, provinces) for e in edits]
    path = edits_path(home, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as stream:
        if not flock_within(stream, 30.0):
            raise EditError(f"{path} is locked by another editor; try again")
        for edit in checked:
            stream.write(json.dumps(asdict(edit), ensure_ascii=False) + "\n")
    return checked


def read_edits(home: Path, run_id: str) -> list[BulletinEdit]:
    """Every edit of a run, oldest first (a damaged line is skipped: the others still apply)."""
    path = edits_path(home, run_id)
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(BulletinEdit(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out


def effective_edits(edits: list[BulletinEdit]) -> dict[tuple[str, str | None, str], BulletinEdit]:
    """(kind, province, lang) → the latest edit with text (an empty text reverts to the automatic wording)."""
    latest: dict[tuple[str, str | None, str], BulletinEdit] = {}
    for edit in edits:
        latest[(edit.kind, edit.province, edit.lang)] = edit
    return {key: edit for key, edit in latest.items() if edit.text}


def now_utc() -> str:
    """The time stamp of an edit made now (ISO 8601, UTC)."""
    return datetime.now(UTC).isoformat(timespec="seconds")
