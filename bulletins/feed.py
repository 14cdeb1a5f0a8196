"""An Atom feed (RFC 4287) of the bulletins released in a home, newest first, so that portals and newsrooms can
follow them without the API. Drafts awaiting a forecaster are never in it."""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_FILE = "feed.atom"


def _bulletins(root: Path) -> list[tuple[Path, dict]]:
    found = []
    for path in root.glob("*/*/bulletin-v*/bulletin.json"):
        try:
            bulletin = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a bulletin being written or damaged is left out, never fatal for the feed
        if bulletin.get("released", True):
            found.append((path.parent, bulletin))
    return sorted(found, key=lambda item: (item[1].get("cycle", ""), item[0].stat().st_mtime), reverse=True)


def write_feed(home: Path, *, base_url: str = "", limit: int = 50, lang: str = "vi") -> Path:
    """Write ``HOME/bulletins/feed.atom`` (atomically) listing the newest ``limit`` released bulletin versions."""
    root = Path(home) / "bulletins"
    root.mkdir(parents=True, exist_ok=True)
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    ET.SubElement(feed, f"{{{ATOM_NS}}}id").text = "tag:vnaqi,2026:bulletins"
    ET.SubElement(feed, f"{{{ATOM_NS}}}title").text = (
        "Bản tin dự báo VN_AQI" if lang == "vi" else "VN_AQI forecast bulletins"
    )
    ET.SubElement(feed, f"{{{ATOM_NS}}}updated").text = datetime.now(UTC).isoformat(timespec="seconds")
    author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
    ET.SubElement(author, f"{{{ATOM_NS}}}name").text = "vnaqi"
    for folder, bulletin in _bulletins(root)[:limit]:
        relative = folder.relative_to(root).as_posix()
        entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        ET.SubElement(entry, f"{{{ATOM_NS}}}id").text = f"tag:vnaqi,2026:{relative}"
        headlines = [r["headline"][lang] for r in bulletin.get("regions", [])]
        flags = [c[lang] for c in bulletin.get("caveats", [])[:2]]
        title = f"{bulletin.get('cycle', '')}: " + (headlines[0] if headlines else "")
        ET.SubElement(entry, f"{{{ATOM_NS}}}title").text = title + (f" ({flags[0]})" if flags else "")
        stamp = datetime.fromtimestamp(folder.stat().st_mtime, UTC).isoformat(timespec="seconds")
        ET.SubElement(entry, f"{{{ATOM_NS}}}updated").text = stamp
        href = (
            f"{base_url.rstrip('/')}/{relative}/bulletin.{lang}.html"
            if base_url
            else f"{relative}/bulletin.{lang}.html"
        )
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", {"rel": "alternate", "type": "text/html", "href": href})
        ET.SubElement(entry, f"{{{ATOM_NS}}}summary").text = " ".join([*flags, *headlines])
    handle, tmp = tempfile.mkstemp(dir=root, prefix=f".{FEED_FILE}.", suffix=".tmp")
    with os.fdopen(handle, "wb") as stream:
        ET.ElementTree(feed).write(stream, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, root / FEED_FILE)
    return root / FEED_FILE
