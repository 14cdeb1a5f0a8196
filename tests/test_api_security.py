"""Write protection of the API through HTTP: API keys, session cookies with CSRF, roles, and rate limiting.

A minimal app is composed here from the security pieces (the API's own routers use the same ones), so these
tests pin the rules themselves: anonymous requests never write, a revoked key or disabled user stops at once,
a cookie session needs its CSRF token, an over-eager client gets 429 problem+json with Retry-After.

No ``from __future__ import annotations`` here: FastAPI must see the local ``Annotated`` dependency aliases.
"""

import os
import stat
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Form
from fastapi.testclient import TestClient

from api.security.auth import Authenticator, Principal
from api.security.ratelimit import RateLimitMiddleware, TokenBuckets
from api.security.sessions import SESSION_COOKIE, SessionCodec, load_secret
from forecast.catalogue import RunCatalogue


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def world(tmp_path):
    catalogue = RunCatalogue(home_root=tmp_path)
    catalogue.add_user("Nguyễn An", "forecaster", "correct horse battery", by="root")
    catalogue.add_user("Quản trị", "admin", "another long password", by="root")
    key, _ = catalogue.create_api_key("Nguyễn An", by="root")
    clock = Clock()
    codec = SessionCodec(load_secret(tmp_path), max_age_s=3600, clock=clock)
    auth = Authenticator(lambda: catalogue, codec)
    app = FastAPI()
    Writer = Annotated[Principal, Depends(auth.require())]
    Admin = Annotated[Principal, Depends(auth.require("admin"))]

    @app.get("/v1/read")
    def read() -> dict:
        return {"ok": True}

    @app.post("/v1/write")
    def write(who: Writer) -> dict:
        return {"by": who.user.name, "via": who.via}

    @app.post("/v1/admin")
    def admin_only(who: Admin) -> dict:
        return {"by": who.user.name}

    @app.post("/v1/form")
    def form(note: Annotated[str, Form()], who: Writer) -> dict:
        return {"by": who.user.name, "note": note}

    @app.post("/login")
    def login(name: Annotated[str, Form()], password: Annotated[str, Form()]):
        from fastapi.responses import JSONResponse

        user = catalogue.authenticate(name, password)
        if user is None:
            return JSONResponse({"detail": "wrong name or password"}, status_code=401)
        cookie, session = codec.issue(user.name, user.role)
        response = JSONResponse({"csrf": session.csrf})
        response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="strict")
        return response

    yield TestClient(app), catalogue, key, clock, tmp_path
    catalogue.close()


def test_anonymous_requests_read_but_never_write(world):
    client, *_ = world
    assert client.get("/v1/read").status_code == 200
    for path in ("/v1/write", "/v1/admin"):
        response = client.post(path)
        assert response.status_code == 401 and response.headers["www-authenticate"] == 'Bearer realm="vnaqi"'
        assert "log in as a forecaster" in response.json()["detail"]


def test_an_api_key_writes_until_revoked_and_roles_are_enforced(world):
    client, catalogue, key, *_ = world
    ok = client.post("/v1/write", headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200 and ok.json() == {"by": "Nguyễn An", "via": "key"}
    forbidden = client.post("/v1/admin", headers={"Authorization": f"Bearer {key}"})
    assert forbidden.status_code == 403 and "it needs: admin" in forbidden.json()["detail"]
    for header in (f"Bearer {key}x", "Bearer ", f"Basic {key}", key):
        bad = client.post("/v1/write", headers={"Authorization": header})
        assert bad.status_code == 401, header
    catalogue.revoke_api_key(key.split("_")[1], by="root")
    assert client.post("/v1/write", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_a_session_cookie_needs_its_csrf_token_on_writes(world):
    client, *_ = world
    assert client.post("/login", data={"name": "Nguyễn An", "password": "wrong password!!"}).status_code == 401
    login = client.post("/login", data={"name": "Nguyễn An", "password": "correct horse battery"})
    assert login.status_code == 200
    csrf = login.json()["csrf"]
    assert client.post("/v1/write").status_code == 403  # the cookie alone is not enough
    assert client.post("/v1/write", headers={"X-CSRF-Token": "guess"}).status_code == 403
    ok = client.post("/v1/write", headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json()["via"] == "session"
    assert client.post("/v1/form", data={"note": "ổn", "csrf_token": "guess"}).status_code == 403
    form = client.post("/v1/form", data={"note": "ổn", "csrf_token": csrf})
    assert form.status_code == 200 and form.json() == {"by": "Nguyễn An", "note": "ổn"}


def test_a_tampered_or_expired_cookie_is_anonymous(world):
    client, _, _, clock, home = world
    codec = SessionCodec(load_secret(home), max_age_s=3600, clock=clock)
    cookie, session = codec.issue("Nguyễn An", "forecaster")
    payload, signature = cookie.split(".")
    forged, _ = SessionCodec(b"x" * 32, clock=clock).issue("Quản trị", "admin")
    for value in (f"{payload}.{signature[:-2]}AA", forged, "garbage", f"{payload}x.{signature}"):
        client.cookies.set(SESSION_COOKIE, value)
        assert client.post("/v1/write", headers={"X-CSRF-Token": session.csrf}).status_code == 401, value
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.post("/v1/write", headers={"X-CSRF-Token": session.csrf}).status_code == 200
    clock.t += 3601
    assert client.post("/v1/write", headers={"X-CSRF-Token": session.csrf}).status_code == 401


def test_the_signing_secret_is_private_and_kept(tmp_path):
    first = load_secret(tmp_path)
    assert len(first) == 32 and load_secret(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret.key").st_mode) == 0o600
    (tmp_path / "secret.key").write_bytes(b"short")
    with pytest.raises(ValueError, match="holds 5 bytes"):
        load_secret(tmp_path)


def test_rate_limit_answers_429_problem_json_per_client_and_refills():
    clock = Clock(0.0)
    app = FastAPI()

    @app.get("/v1/stations")
    def stations() -> list:
        return []

    @app.get("/healthz")
    def health() -> dict:
        return {"status": "ok"}

    limited = RateLimitMiddleware(app, TokenBuckets(rate_per_s=2, burst=3, clock=clock), trust_forwarded=True)
    client = TestClient(limited)
    a, b = {"X-Forwarded-For": "203.0.113.1"}, {"X-Forwarded-For": "203.0.113.2"}
    assert [client.get("/v1/stations", headers=a).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/v1/stations", headers=a)
    assert refused.status_code == 429 and refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1" and refused.json()["status"] == 429
    assert client.get("/v1/stations", headers=b).status_code == 200  # another client has its own bucket
    assert all(client.get("/healthz", headers=a).status_code == 200 for _ in range(10))  # never limited
    clock.t += 0.5  # one token back at 2 per second
    assert client.get("/v1/stations", headers=a).status_code == 200
    assert client.get("/v1/stations", headers=a).status_code == 429
    with pytest.raises(ValueError, match="rate_per_s > 0"):
        TokenBuckets(0, 1)


def test_disabling_a_user_stops_their_key_and_session_at_once(world):
    client, catalogue, key, clock, home = world
    login = client.post("/login", data={"name": "Nguyễn An", "password": "correct horse battery"})
    csrf = login.json()["csrf"]
    assert client.post("/v1/write", headers={"X-CSRF-Token": csrf}).status_code == 200
    catalogue.disable_user("Nguyễn An", by="root")
    assert client.post("/v1/write", headers={"X-CSRF-Token": csrf}).status_code == 401
    client.cookies.clear()
    assert client.post("/v1/write", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert catalogue.authenticate("Nguyễn An", "correct horse battery") is None
    assert [a.action for a in catalogue.audit_log(limit=1)] == ["user.disable"]
