"""A response body built once and served many times: its bytes, ETag, Last-Modified, Cache-Control and a
gzip copy, plus the conditional-request logic (``If-None-Match`` / ``If-Modified-Since`` → 304).

Per request the work is header checks and a list copy: the body, its hash and its compressed form are made
when the representation is built (gzip lazily, on the first client that accepts it).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

COMPRESSIBLE = ("application/json", "application/problem+json", "application/atom+xml", "application/cap+xml",
                "application/xml", "text/")  # fmt: skip
JSON = "application/json"


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON (µg/m³ and Vietnamese names as they are, not escaped)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def cache_control(max_age: int) -> str:
    """``public, max-age=N`` (``no-cache`` when 0: stored but revalidated every time)."""
    return f"public, max-age={max_age}" if max_age > 0 else "public, no-cache"


@dataclass
class Representation:
    """One immutable response body with its validators.

    ``last_modified`` is a POSIX time [s] (or None); ``vary_language`` adds ``Accept-Language`` to ``Vary``
    for bodies chosen by language; ``extra_headers`` (e.g. ``Link``) go out with every answer.
    """

    body: bytes
    media_type: str
    max_age: int
    last_modified: float | None = None
    vary_language: bool = False
    gzip_min_bytes: int = 1024
    extra_headers: tuple[tuple[str, str], ...] = ()
    etag: str = field(init=False)
    _gzip: bytes | None = field(default=None, init=False, repr=False)
    _headers: list[tuple[bytes, bytes]] = field(init=False, repr=False)
    _headers_cors: list[tuple[bytes, bytes]] = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.etag = '"' + hashlib.blake2b(self.body, digest_size=12).hexdigest() + '"'
        vary = "Accept-Encoding, Accept-Language" if self.vary_language else "Accept-Encoding"
        headers = [("etag", self.etag), ("cache-control", cache_control(self.max_age)), ("vary", vary)]
        if self.last_modified is not None:
            headers.append(("last-modified", formatdate(int(self.last_modified), usegmt=True)))
        headers.extend(self.extra_headers)
        self._headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        # As Starlette's CORS middleware leaves it (it appends Origin to Vary): for answers that bypass it.
        with_origin = (b"vary", (vary + ", Origin").encode("latin-1"))
        self._headers_cors = [with_origin if k == b"vary" else (k, v) for k, v in self._headers]
        content_type = self.media_type
        if content_type.startswith("text/") and "charset" not in content_type:
            content_type += "; charset=utf-8"
        self._content_type = (b"content-type", content_type.encode("latin-1"))

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gz"'

    @property
    def compressible(self) -> bool:
        return len(self.body) >= self.gzip_min_bytes and self.media_type.startswith(COMPRESSIBLE)

    def gzipped(self) -> bytes:
        """The body gzip-compressed (made once; deterministic: no file name, mtime 0)."""
        if self._gzip is None:
            with self._lock:
                if self._gzip is None:
                    self._gzip = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzip

    def not_modified(self, if_none_match: str | None, if_modified_since: str | None) -> bool:
        """True when the client's copy is current (RFC 9110 §13.1: If-None-Match wins over If-Modified-Since)."""
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return "*" in tags or self.etag in tags or self.gzip_etag in tags
        if if_modified_since is not None and self.last_modified is not None:
            try:
                since = parsedate_to_datetime(if_modified_since).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
            return int(self.last_modified) <= since
        return False

    def answer(
        self,
        accept_encoding: str | None,
        if_none_match: str | None,
        if_modified_since: str | None,
        *,
        cors: bool = False,
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """(status, raw headers, body): 200 (gzip when accepted and worth it) or 304 when the copy is current.

        ``cors``: the headers as the CORS middleware would leave them (``Origin`` added to ``Vary``).
        """
        use_gzip = self.compressible and accepts_gzip(accept_encoding)
        headers = list(self._headers_cors if cors else self._headers)
        if use_gzip:
            headers[0] = (b"etag", self.gzip_etag.encode("latin-1"))
        if self.not_modified(if_none_match, if_modified_since):
            return 304, headers, b""
        body = self.gzipped() if use_gzip else self.body
        headers.append(self._content_type)
        headers.append((b"content-length", str(len(body)).encode("latin-1")))
        if use_gzip:
            headers.append((b"content-encoding", b"gzip"))
        return 200, headers, body

    def respond(self, request: Request) -> Response:
        """The answer to ``request`` as a Starlette response."""
        get = request.headers.get
        status, headers, body = self.answer(get("accept-encoding"), get("if-none-match"), get("if-modified-since"))
        return PreparedResponse(status, body, headers)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when ``Accept-Encoding`` lists gzip (or ``*``) with a q-value above 0."""
    if not accept_encoding:
        return False
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().lower()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


class PreparedResponse(Response):
    """A Starlette response whose header list is ready-made (no per-request header encoding)."""

    def __init__(self, status_code: int, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = raw_headers
