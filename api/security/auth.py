"""Who is asking: an API key (``Authorization: Bearer vnaqi_…``) or a signed session cookie, and whether they
may write. FastAPI dependencies; failures are ``HTTPException`` (401 with ``WWW-Authenticate``, 403) that the
app turns into ``application/problem+json``.

Every write re-reads the user from the catalogue, so disabling a user or revoking a key takes effect at once
even for a session cookie still in a browser. Cookie sessions must also send their CSRF token on unsafe
methods (``X-CSRF-Token`` header or a ``csrf_token`` form field); API keys need none (a browser never sends
them on its own).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request

from api.security.sessions import SESSION_COOKIE, Session, SessionCodec
from forecast.catalogue import ADMIN, FORECASTER, RunCatalogue, UserRecord

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITERS = (FORECASTER, ADMIN)
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Principal:
    """An authenticated user and how they proved it."""

    user: UserRecord
    via: str  # "key" or "session"
    session: Session | None = None


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": 'Bearer realm="vnaqi"'})


class Authenticator:
    """Resolves requests to principals with one catalogue (opened by ``catalogue``) and one session codec."""

    def __init__(self, catalogue: Callable[[], RunCatalogue], codec: SessionCodec) -> None:
        self._catalogue, self.codec = catalogue, codec

    def principal(self, request: Request) -> Principal | None:
        """The principal of the request, None when anonymous; 401 for a key that is not valid."""
        header = request.headers.get("authorization")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise _unauthorised("Authorization must be 'Bearer <API key>' (see `vnaqi users key`)")
            user = self._catalogue().user_for_key(token.strip())
            if user is None:
                raise _unauthorised("this API key is unknown, revoked or its user is disabled")
            return Principal(user, "key")
        session = self.codec.read(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return None
        user = self._catalogue().user(session.user)
        if user is None or not user.active:
            return None
        return Principal(user, "session", session)

    def require(self, *roles: str) -> Callable:
        """A dependency admitting only these roles (default: forecasters and admins), CSRF-checked for
        cookie sessions on unsafe methods."""
        allowed = roles or WRITERS

        async def dependency(request: Request) -> Principal:
            principal = self.principal(request)
            if principal is None:
                raise _unauthorised("log in as a forecaster or send 'Authorization: Bearer <API key>'")
            if principal.user.role not in allowed:
                raise HTTPException(
                    403, detail=f"{principal.user.role} may not do this; it needs: {', '.join(allowed)}"
                )
            if principal.via == "session" and request.method not in SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER)
                if sent is None and request.headers.get("content-type", "").startswith(
                    ("application/x-www-form-urlencoded", "multipart/form-data")
                ):
                    sent = str((await request.form()).get(CSRF_FIELD) or "")
                if not sent or not hmac.compare_digest(sent, principal.session.csrf):
                    raise HTTPException(403, detail="the CSRF token is missing or wrong; reload the page and try again")
            return principal

        return dependency
