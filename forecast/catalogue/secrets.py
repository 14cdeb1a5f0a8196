"""Password and API-key hashing (stdlib only): scrypt for passwords, SHA-256 for random API keys.

A password hash reads ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` so its cost can be raised later without
breaking stored hashes. API keys are 32 random bytes (``vnaqi_<prefix>_<secret>``); a fast hash is enough for
them because they are not guessable, and it keeps every authenticated request cheap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_CHARS = 12
KEY_SCHEME = "vnaqi"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def check_password_strength(password: str) -> None:
    """``ValueError`` for a password too short to keep (the only rule: length beats composition rules)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters, this one has {len(password)}")


def hash_password(password: str) -> str:
    """The scrypt hash of ``password`` with a fresh salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored`` (constant-time); False for anything malformed."""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def new_api_key() -> tuple[str, str, str]:
    """(key to hand out once, its public prefix, the hash to store)."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_api_key(key)


def hash_api_key(key: str) -> str:
    """SHA-256 (hex) of an API key."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    parts = key.split("_", 2)
    return parts[1] if len(parts) == 3 and parts[0] == KEY_SCHEME and len(parts[1]) == 8 else None
