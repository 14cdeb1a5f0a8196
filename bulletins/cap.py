"""CAP 1.2 messages (OASIS Common Alerting Protocol, namespace ``urn:oasis:names:tc:emergency:cap:1.2``).

Plain frozen dataclasses for ``alert`` / ``info`` / ``area`` and their XML, written with the standard
library's ElementTree (text is escaped by the writer; characters XML 1.0 cannot carry are dropped).
Times follow CAP's pattern ``YYYY-MM-DDThh:mm:ss±hh:mm``: local time of ``Asia/Ho_Chi_Minh`` with
``+07:00``, no fractional seconds, never ``Z``. Coordinates are WGS84 ``lat,lon``. See ``docs/cap.md``.

References
----------
OASIS, *Common Alerting Protocol Version 1.2*, OASIS Standard, 1 July 2010 (CAP-v1.2-os).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

CAP_NS: Final = "urn:oasis:names:tc:emergency:cap:1.2"
LOCAL_TZ: Final = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_SENDER: Final = "vnaqi@localhost"
DEFAULT_BASE_URL: Final = "http://localhost:8000"

STATUSES: Final = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES: Final = ("Alert", "Update", "Cancel", "Ack", "Error")
URGENCIES: Final = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES: Final = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES: Final = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
RESPONSE_TYPES: Final = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None")

# CAP 1.2 §3.2.1: identifier and sender "MUST NOT include spaces, commas or restricted characters (< and &)".
_TOKEN_RE = re.compile(r"^[^\s,<&]+$")
# Characters XML 1.0 cannot carry (C0 controls other than tab, LF, CR; surrogates; U+FFFE/U+FFFF).
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class CapError(ValueError):
    """A CAP message that would break the standard (bad identifier, sender, time or enumeration)."""


def check_token(value: str, what: str) -> str:
    """``value`` if usable as a CAP identifier/sender (no spaces, commas, ``<`` or ``&``), else :class:`CapError`."""
    if not isinstance(value, str) or not _TOKEN_RE.match(value):
        raise CapError(f"CAP {what} {value!r} must be non-empty without spaces, commas, '<' or '&' (CAP 1.2 §3.2.1)")
    return value


def cap_time(value: datetime) -> str:
    """A timezone-aware time as CAP wants it: local ``+07:00``, whole seconds (``2026-11-25T09:30:00+07:00``)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise CapError(f"CAP times must be timezone-aware, got {value!r}")
    return value.astimezone(LOCAL_TZ).replace(microsecond=0).isoformat()


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can carry (``<``/``&`` are escaped by the writer; control characters dropped)."""
    return _NOT_XML_RE.sub("", str(value))


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise CapError(f"CAP {what} {value!r} is not one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class CapCircle:
    """A circle of ``radius_km`` [km] around a WGS84 point [degrees north / east]."""

    latitude: float
    longitude: float
    radius_km: float

    def __post_init__(self) -> None:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180 and self.radius_km >= 0):
            raise CapError(f"CAP circle out of range: lat {self.latitude}, lon {self.longitude}, r {self.radius_km}")

    def text(self) -> str:
        """CAP form ``lat,lon radius`` (latitude first)."""
        return f"{self.latitude:.5f},{self.longitude:.5f} {self.radius_km:g}"


@dataclass(frozen=True)
class CapArea:
    """One ``area``: a description (names, diacritics intact) and circles around the stations."""

    desc: str
    circles: tuple[CapCircle, ...] = ()


@dataclass(frozen=True)
class CapInfo:
    """One ``info`` block, in one language (``vi-VN`` or ``en-US``)."""

    language: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    areas: tuple[CapArea, ...]
    category: str = "Env"
    response_types: tuple[str, ...] = ()
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    web: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        _one_of(self.urgency, URGENCIES, "urgency")
        _one_of(self.severity, SEVERITIES, "severity")
        _one_of(self.certainty, CERTAINTIES, "certainty")
        for response in self.response_types:
            _one_of(response, RESPONSE_TYPES, "responseType")


@dataclass(frozen=True)
class CapMessage:
    """One CAP ``alert``. ``references`` are ``sender,identifier,sent`` triples of earlier messages."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    infos: tuple[CapInfo, ...]
    scope: str = "Public"
    references: tuple[str, ...] = ()
    incidents: tuple[str, ...] = ()
    note: str | None = None

    def __post_init__(self) -> None:
        check_token(self.identifier, "identifier")
        check_token(self.sender, "sender")
        cap_time(self.sent)
        _one_of(self.status, STATUSES, "status")
        _one_of(self.msg_type, MSG_TYPES, "msgType")
        if self.msg_type in ("Update", "Cancel") and not self.references:
            raise CapError(f"CAP {self.msg_type} {self.identifier} must reference the message(s) it replaces")
        for incident in self.incidents:
            check_token(incident, "incident")

    @property
    def reference(self) -> str:
        """How a later message refers to this one: ``sender,identifier,sent``."""
        return f"{self.sender},{self.identifier},{cap_time(self.sent)}"

    @property
    def filename(self) -> str:
        """The file name of this message in the ledger folder."""
        return f"{self.identifier}.xml"

    def to_element(self) -> ET.Element:
        """The ``alert`` element (namespace-qualified tags)."""
        alert = ET.Element(_tag("alert"))
        _sub(alert, "identifier", self.identifier)
        _sub(alert, "sender", self.sender)
        _sub(alert, "sent", cap_time(self.sent))
        _sub(alert, "status", self.status)
        _sub(alert, "msgType", self.msg_type)
        _sub(alert, "scope", self.scope)
        if self.note:
            _sub(alert, "note", self.note)
        if self.references:
            _sub(alert, "references", " ".join(self.references))
        if self.incidents:
            _sub(alert, "incidents", " ".join(self.incidents))
        for info in self.infos:
            alert.append(_info_element(info))
        return alert

    def to_xml(self) -> bytes:
        """UTF-8 XML document with declaration, indented, CAP 1.2 as the default namespace."""
        root = self.to_element()
        ET.indent(root, space="  ")
        body = ET.tostring(root, encoding="unicode", default_namespace=CAP_NS)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def _tag(name: str) -> str:
    return f"{{{CAP_NS}}}{name}"


def _sub(parent: ET.Element, name: str, text: object) -> ET.Element:
    element = ET.SubElement(parent, _tag(name))
    element.text = xml_text(text)
    return element


def _info_element(info: CapInfo) -> ET.Element:
    # Element order is fixed by the CAP 1.2 schema (a sequence).
    element = ET.Element(_tag("info"))
    _sub(element, "language", info.language)
    _sub(element, "category", info.category)
    _sub(element, "event", info.event)
    for response in info.response_types:
        _sub(element, "responseType", response)
    _sub(element, "urgency", info.urgency)
    _sub(element, "severity", info.severity)
    _sub(element, "certainty", info.certainty)
    if info.onset is not None:
        _sub(element, "onset", cap_time(info.onset))
    if info.expires is not None:
        _sub(element, "expires", cap_time(info.expires))
    if info.sender_name:
        _sub(element, "senderName", info.sender_name)
    _sub(element, "headline", info.headline)
    _sub(element, "description", info.description)
    _sub(element, "instruction", info.instruction)
    if info.web:
        _sub(element, "web", info.web)
    for name, value in info.parameters:
        parameter = ET.SubElement(element, _tag("parameter"))
        _sub(parameter, "valueName", name)
        _sub(parameter, "value", value)
    for area in info.areas:
        area_element = ET.SubElement(element, _tag("area"))
        _sub(area_element, "areaDesc", area.desc)
        for circle in area.circles:
            _sub(area_element, "circle", circle.text())
    return element
