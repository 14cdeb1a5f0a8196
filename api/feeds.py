"""Atom feeds (RFC 4287) the API serves: released bulletins, and the CAP messages for aggregators.

The CAP feed lists ``Actual`` messages only: drills (Exercise) and messages of synthetic runs (Test) are
left out of what aggregators poll, as docs/cap.md asks.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from api.bulletin_store import BulletinVersion
from bulletins.cap_ledger import LedgerEntry

ATOM_NS = "http://www.w3.org/2005/Atom"
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)  # a feed with no entry yet (fixed, so its ETag is stable)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _feed(feed_id: str, title: str, updated: datetime, self_link: str) -> ET.Element:
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _el(feed, "id", feed_id)
    _el(feed, "title", title)
    _el(feed, "updated", updated.isoformat(timespec="seconds"))
    _el(feed, "link", rel="self", href=self_link)
    _el(_el(feed, "author"), "name", "vnaqi")
    return feed


def _bytes(feed: ET.Element) -> bytes:
    ET.register_namespace("", ATOM_NS)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _mtime(version: BulletinVersion) -> datetime:
    return datetime.fromtimestamp(version.folder.stat().st_mtime, UTC)


def bulletin_feed(versions: Iterable[BulletinVersion], link: Callable[[str], str], lang: str) -> bytes:
    """Released bulletin versions, newest first, each linking to its HTML edition in ``lang``."""
    versions = list(versions)
    updated = max((_mtime(v) for v in versions), default=EMPTY_FEED_UPDATED)
    title = "Bản tin dự báo VN_AQI" if lang == "vi" else "VN_AQI forecast bulletins"
    feed = _feed("tag:vnaqi,2026:api/bulletins", title, updated, link(f"/v1/feed.atom?lang={lang}"))
    for v in versions:
        entry = _el(feed, "entry")
        _el(entry, "id", f"tag:vnaqi,2026:{v.id}/bulletin-v{v.version}")
        flags = [c.get(lang, "") for c in v.caveats[:2]]
        headline = (v.headlines.get(lang) or [""])[0]
        _el(entry, "title", f"{v.cycle}: {headline}" + (f" ({flags[0]})" if flags else ""))
        _el(entry, "updated", _mtime(v).isoformat(timespec="seconds"))
        href = link(f"/v1/bulletins/{v.id}.html?version={v.version}&lang={lang}")
        _el(entry, "link", rel="alternate", type="text/html", href=href)
        _el(entry, "summary", " ".join([*flags, *v.headlines.get(lang, [])]))
    return _bytes(feed)


def cap_feed(entries: Iterable[LedgerEntry], link: Callable[[str], str]) -> bytes:
    """``Actual`` CAP messages, newest first, each linking to its CAP XML."""
    actual = [e for e in entries if e.status == "Actual" and not e.drill]
    updated = max((datetime.fromisoformat(e.sent) for e in actual), default=EMPTY_FEED_UPDATED)
    feed = _feed("tag:vnaqi,2026:api/alerts", "VN_AQI CAP alerts", updated, link("/v1/alerts.atom"))
    for e in actual:
        entry = _el(feed, "entry")
        _el(entry, "id", f"tag:vnaqi,2026:cap/{e.identifier}")
        _el(entry, "title", f"{e.msg_type}: {e.province}")
        _el(entry, "updated", datetime.fromisoformat(e.sent).isoformat(timespec="seconds"))
        _el(entry, "link", rel="alternate", type="application/cap+xml", href=link(f"/v1/alerts/{e.identifier}"))
        _el(entry, "summary", f"{e.msg_type} {e.province} ({e.identifier})")
    return _bytes(feed)
