"""Who is looking at the dashboard, and the small signed cookies it uses besides the session.

* :func:`viewer` — the logged-in principal of a page request, or None (pages then redirect to the login).
* :func:`writer` — the principal of a form post, admitted only for forecasters and admins with the right CSRF
  token (the shared :class:`api.security.auth.Authenticator` decides); otherwise an HTTP status and why.
* :func:`safe_next` — where to go after logging in: a local ``/dashboard…`` path only (no open redirect).
* The login form's own CSRF token (double-submit cookie), so another site cannot log a browser in as
  someone else, and the one-shot confirmation ("Đã ghi / saved: …") carried across POST → 303 → GET.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from api.context import ApiContext
from api.security.auth import Principal
from api.security.sessions import SignedJson, load_secret
from forecast.catalogue import ADMIN, FORECASTER

PREFIX = "/dashboard"
WRITERS = (FORECASTER, ADMIN)
LOGIN_CSRF_COOKIE = "vnaqi_login_csrf"
FLASH_COOKIE = "vnaqi_flash"
FLASH_MAX_CHARS = 600
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def viewer(ctx: ApiContext, request: Request) -> Principal | None:
    """The active user behind the request's session cookie (or API key), else None; a malformed or unknown
    key counts as nobody here (the page asks to log in)."""
    try:
        return ctx.auth.principal(request)
    except HTTPException:
        return None


@dataclass(frozen=True)
class Refused:
    """A form post that may not proceed: the HTTP status and why (shown to the user)."""

    status: int
    detail: str


async def writer(ctx: ApiContext, request: Request) -> Principal | Refused:
    """The forecaster or admin posting a form (CSRF checked for cookie sessions), else why not."""
    try:
        return await ctx.auth.require(*WRITERS)(request)
    except HTTPException as exc:
        return Refused(exc.status_code, str(exc.detail))


def safe_next(value: str | None) -> str:
    """``value`` when it is a path of this dashboard (``/dashboard`` or below, no scheme, host or tricks),
    else ``/dashboard``."""
    if not value or len(value) > 500 or any(ch in value for ch in "\\\r\n\t\x00") or value.startswith("//"):
        return PREFIX
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not (parts.path == PREFIX or parts.path.startswith(PREFIX + "/")):
        return PREFIX
    if "/../" in parts.path + "/" or "/./" in parts.path + "/" or "%2e" in parts.path.lower():
        return PREFIX  # no way back out of /dashboard, not even percent-encoded
    return value


# -- the login form's CSRF token (double submit: cookie and hidden field must match) ------------------------


def login_token(request: Request) -> str:
    """The token already in the browser's login cookie, else a fresh one."""
    found = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return found if _TOKEN_RE.match(found) else secrets.token_urlsafe(24)


def set_login_token(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, path=f"{PREFIX}/login", httponly=True, samesite="strict", secure=secure
    )


def login_token_ok(request: Request, sent: str | None) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    return bool(cookie and sent) and hmac.compare_digest(str(cookie), str(sent))


# -- one-shot confirmations ---------------------------------------------------------------------------------


class Flash:
    """A short message signed with the home's secret, shown once on the page a form post redirects to."""

    def __init__(self, ctx: ApiContext) -> None:
        self._ctx = ctx
        self._signed: SignedJson | None = None

    def _signer(self) -> SignedJson:
        if self._signed is None:
            self._signed = SignedJson(load_secret(self._ctx.layout.root), b"vnaqi dashboard flash")
        return self._signed

    def set(self, response: Response, text: str) -> None:
        response.set_cookie(
            FLASH_COOKIE,
            self._signer().dump(text[:FLASH_MAX_CHARS]),
            max_age=120,
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=self._ctx.settings.session.secure_cookie,
        )

    def take(self, request: Request) -> str | None:
        """The message of the request's flash cookie if it is genuine (call :meth:`clear` on the response)."""
        text = self._signer().load(request.cookies.get(FLASH_COOKIE))
        return text if isinstance(text, str) else None

    def clear(self, response: Response) -> None:
        response.delete_cookie(
            FLASH_COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=self._ctx.settings.session.secure_cookie
        )
