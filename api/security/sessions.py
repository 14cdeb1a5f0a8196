"""Signed session cookies (HMAC-SHA256, stdlib) carrying the user, role, CSRF token and expiry.

The signing secret lives in ``<home>/secret.key`` (32 random bytes, mode 0600, created once, atomically), so
every worker of a server signs and checks with the same key and a restart keeps people logged in. Nothing
but the signature makes a cookie valid: a changed byte, an expired time or another home's key is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SESSION_COOKIE = "vnaqi_session"
SECRET_FILE = "secret.key"
DEFAULT_MAX_AGE_S = 8 * 3600  # a forecaster's shift


@dataclass(frozen=True)
class Session:
    """A logged-in user as the cookie says (re-checked against the catalogue on every write)."""

    user: str
    role: str
    csrf: str
    expires: int  # Unix time [s]


def load_secret(home: Path) -> bytes:
    """The home's signing secret, created (0600, exclusively) on first use."""
    path = Path(home) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_bytes()
        if len(secret) < 32:
            raise ValueError(f"{path} holds {len(secret)} bytes; delete it to make a new 32-byte secret") from None
        return secret
    with os.fdopen(fd, "wb") as stream:
        stream.write(secrets.token_bytes(32))
    return path.read_bytes()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedJson:
    """JSON values signed with HMAC-SHA256 as ``<payload>.<signature>`` (both URL-safe base64): what a cookie
    can carry and no one but the key's holder can make. ``purpose`` derives a separate key per use, so a value
    signed for one cookie is never valid in another."""

    def __init__(self, secret: bytes, purpose: bytes = b"") -> None:
        self._key = hmac.new(secret, purpose, hashlib.sha256).digest() if purpose else secret

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def dump(self, value: Any) -> str:
        payload = _b64(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
        return f"{payload}.{self._sign(payload)}"

    def load(self, text: str | None) -> Any | None:
        """The value of a genuine ``text``, else None (absent, malformed, or signed with another key)."""
        if not text or text.count(".") != 1:
            return None
        payload, signature = text.split(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            return json.loads(_unb64(payload))
        except ValueError:
            return None


class SessionCodec:
    """Issue and read session cookies signed with ``secret``."""

    def __init__(self, secret: bytes, max_age_s: int = DEFAULT_MAX_AGE_S, clock=time.time) -> None:
        self._signed, self.max_age_s, self._clock = SignedJson(secret), max_age_s, clock

    def issue(self, user: str, role: str) -> tuple[str, Session]:
        """(cookie value, session) for a user who just logged in; a fresh CSRF token each time."""
        session = Session(user, role, secrets.token_urlsafe(24), int(self._clock()) + self.max_age_s)
        body = {"u": session.user, "r": session.role, "c": session.csrf, "e": session.expires}
        return self._signed.dump(body), session

    def read(self, cookie: str | None) -> Session | None:
        """The session of a valid, unexpired cookie, else None."""
        body = self._signed.load(cookie)
        try:
            session = Session(str(body["u"]), str(body["r"]), str(body["c"]), int(body["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > self._clock() else None
