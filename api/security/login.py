"""Logging a forecaster in and out of a browser session: check the password, audit it, set or clear the signed
cookie. Shared by the JSON endpoints (``/v1/session``) and the dashboard's login form."""

from __future__ import annotations

import logging

from starlette.responses import Response

from api.security.auth import Authenticator
from api.security.sessions import SESSION_COOKIE, Session
from configs.api import SessionSettings
from forecast.catalogue import RunCatalogue

log = logging.getLogger(__name__)
MAX_NAME_CHARS = 64
MAX_PASSWORD_CHARS = 1024


def log_in(catalogue: RunCatalogue, auth: Authenticator, name: str, password: str) -> tuple[str, Session] | None:
    """(cookie value, session) for a user whose password matches, else None; both outcomes are audited."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_CHARS or not password or len(password) > MAX_PASSWORD_CHARS:
        return None
    user = catalogue.authenticate(name, password)
    if user is None:
        catalogue.record_audit(name, "session.login-failed", f"user/{name}")
        log.warning("failed login for %r", name)
        return None
    cookie, session = auth.codec.issue(user.name, user.role)
    catalogue.record_audit(user.name, "session.login", f"user/{user.name}", {"role": user.role})
    return cookie, session


def set_session_cookie(response: Response, cookie: str, settings: SessionSettings) -> None:
    """The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure when
    configured, lasting the session's lifetime."""
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(settings.max_age_hours * 3600), path="/",
                        httponly=True, samesite="strict", secure=settings.secure_cookie)  # fmt: skip


def clear_session_cookie(response: Response, settings: SessionSettings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=settings.secure_cookie)
