"""The API's writes over HTTP: only forecasters and admins change anything (API key, or session cookie + CSRF),
every change is audited, overrides and approvals reach the public bulletin and forecast bodies, and anonymous
or malformed requests change nothing. On a SYNTHETIC demo home of this module's own (it is written to)."""

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security.sessions import SESSION_COOKIE
from configs.api import ApiSettings, RateLimitSettings
from configs.settings import HomeLayout
from forecast.catalogue import RunCatalogue
from forecast.cycle.lock import cycle_lock
from forecast.cycle.publish import release_info
from tests.cycle_helpers import run

CYCLE = "2026-11-25T00Z"
RUN_ID = f"{CYCLE}/forecast-v1"
STATION = "demo-us-embassy-hanoi"
PROBLEM = "application/problem+json"
REASON = "Đốt rơm rạ ở ngoại thành, chưa có trong kiểm kê phát thải"
UNLIMITED = ApiSettings(rate_limit=RateLimitSettings(enabled=False))


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("api-write-home")
    made = run(root, "demo", "--cycle", CYCLE, "--no-serve")
    assert made.exit_code == 0, made.output
    with RunCatalogue(home_root=root) as cat:
        cat.add_user("lan", "forecaster", "mật-khẩu-dài-1", by="test")
        cat.add_user("admin", "admin", "another-long-pw", by="test")
        cat.add_user("gone", "forecaster", "a-third-password", by="test")
    return root


@pytest.fixture(scope="module")
def keys(home) -> dict[str, str]:
    with RunCatalogue(home_root=home) as cat:
        return {name: cat.create_api_key(name, by="test")[0] for name in ("lan", "admin", "gone")}


@pytest.fixture(scope="module")
def client(home):
    with TestClient(create_app(home, UNLIMITED)) as test_client:
        yield test_client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def audit_count(home: Path) -> int:
    with RunCatalogue(home_root=home) as cat:
        return len(cat.audit_log(limit=10_000))


def problem(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


def forecast_day(client: TestClient, day: str = "D1", station: str = STATION) -> dict:
    body = client.get(f"/v1/stations/{station}/forecast?lang=en").json()
    return next(d for d in body["daily"] if d["day"] == day)


WRITES = (
    ("post", f"/v1/runs/{RUN_ID}/approve", {}),
    ("post", f"/v1/runs/{RUN_ID}/publish", None),
    ("post", f"/v1/runs/{RUN_ID}/overrides", {"station_id": STATION, "day": "D1", "category": 4, "reason": REASON}),
    ("post", f"/v1/runs/{CYCLE}/rerun", None),
)


def test_anonymous_requests_cannot_write_anything(home, client):
    layout = HomeLayout(home)
    before = (release_info(layout.products), audit_count(home), sorted(p.name for p in (home / "runs").iterdir()))
    for method, path, body in WRITES:
        response = client.request(method.upper(), path, json=body)
        problem(response, 401, "log in")
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["cache-control"] == "no-store"
    problem(client.get("/v1/audit"), 401)
    problem(client.post(WRITES[2][1], json=WRITES[2][2], headers=bearer("vnaqi_00000000_forged")), 401, "unknown")
    problem(client.post(WRITES[2][1], json=WRITES[2][2], headers={"Authorization": "Basic bGFuOng="}), 401, "Bearer")
    # A session cookie that was not signed by this home is no session at all.
    client.cookies.set(SESSION_COOKIE, "eyJ1IjoibGFuIn0.forged")
    problem(client.post(WRITES[2][1], json=WRITES[2][2]), 401)
    client.cookies.clear()
    after = (release_info(layout.products), audit_count(home), sorted(p.name for p in (home / "runs").iterdir()))
    assert after == before
    with RunCatalogue(home_root=home) as cat:
        assert cat.overrides(RUN_ID) == [] and cat.get(RUN_ID).status == "published"
    assert not (home / "logs").exists()  # no rerun was started


def test_an_override_with_an_api_key_reaches_the_bulletin_the_api_and_the_audit_log(home, client, keys):
    model = forecast_day(client)
    assert model["forecaster_override"] is None
    wanted = 5 if model["category"] != 5 else 4
    response = client.post(f"/v1/runs/{RUN_ID}/overrides", headers=bearer(keys["lan"]),
                           json={"station_id": STATION, "day": "D1", "category": wanted, "reason": REASON})  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["released"] is True and body["status"] == "published" and body["by"] == "lan"

    day = forecast_day(client)  # the API follows products/latest, which the re-release moved
    assert day["category"] == wanted and day["aqi"] == model["aqi"]  # the number stays the model's
    assert day["category_name"] == ("Very bad" if wanted == 5 else "Bad")
    assert day["advice"] != model["advice"]  # advice follows the forecaster's category
    assert day["forecaster_override"] == {"category_model": model["category"], "reason": REASON, "by": "lan",
                                          "at": day["forecaster_override"]["at"]}  # fmt: skip
    bulletin = client.get("/v1/bulletins/latest.json").json()
    stations = [s for r in bulletin["regions"] for s in r["stations"] if s["id"] == STATION]
    d1 = stations[0]["days"][0]
    assert d1["category"] == wanted and d1["override"]["reason"] == REASON
    assert REASON in client.get("/v1/bulletins/latest.html").text

    listed = client.get(f"/v1/runs/{RUN_ID}/overrides").json()  # public, as in the bulletin
    assert [(o["station_id"], o["day"], o["category"], o["by"]) for o in listed] == [(STATION, "D1", wanted, "lan")]
    audit = client.get("/v1/audit", headers=bearer(keys["admin"]), params={"target": f"{RUN_ID}/{STATION}/D1"})
    assert [(e["actor"], e["action"], e["detail"]["category"]) for e in audit.json()] == [("lan", "override", wanted)]


def test_bad_overrides_are_refused_and_nothing_is_stored(home, client, keys):
    with RunCatalogue(home_root=home) as cat:
        before = cat.overrides(RUN_ID)
    url, auth = f"/v1/runs/{RUN_ID}/overrides", bearer(keys["lan"])
    good = {"station_id": STATION, "day": "D2", "category": 3, "reason": REASON}
    problem(client.post(url, headers=auth, json={**good, "reason": "smoke"}), 422, "reason")
    problem(client.post(url, headers=auth, json={**good, "reason": None}), 422, "reason")
    problem(client.post(url, headers=auth, json={**good, "category": 7}), 422, "category")
    problem(client.post(url, headers=auth, json={**good, "day": "D4"}), 422, "day")
    problem(client.post(url, headers=auth, json={**good, "station_id": "../../etc"}), 422, "station_id")
    problem(client.post(url, headers=auth, json={**good, "extra": 1}), 422, "extra")
    problem(client.post(url, headers=auth, json={**good, "station_id": "hn-nowhere"}), 409, "'hn-nowhere' is not in")
    problem(client.post(f"/v1/runs/{CYCLE}/forecast-v9/overrides", headers=auth, json=good), 404, "forecast-v9")
    superseded = f"{CYCLE.replace('25T00', '24T12')}/forecast-v1"  # the demo's first cycle: published, not latest
    with RunCatalogue(home_root=home) as cat:
        assert cat.get(superseded).status == "published"
        assert cat.overrides(RUN_ID) == before and cat.overrides(superseded) == []


def test_a_session_needs_its_csrf_token_and_logout_ends_it(home, keys):
    with TestClient(create_app(home, UNLIMITED)) as browser:
        problem(browser.post("/v1/session", json={"username": "lan", "password": "wrong password"}), 401, "wrong")
        logged = browser.post("/v1/session", json={"username": "lan", "password": "mật-khẩu-dài-1"})
        assert logged.status_code == 200, logged.text
        cookie = logged.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        csrf = logged.json()["csrf_token"]
        assert browser.get("/v1/session").json()["user"] == "lan"
        url = f"/v1/runs/{RUN_ID}/overrides"
        body = {"station_id": STATION, "day": "D3", "category": 2, "reason": REASON}
        problem(browser.post(url, json=body), 403, "CSRF")
        problem(browser.post(url, json=body, headers={"X-CSRF-Token": "not-the-token"}), 403, "CSRF")
        with RunCatalogue(home_root=home) as cat:
            assert all(o.day != "D3" for o in cat.overrides(RUN_ID))
        assert browser.post(url, json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
        assert browser.delete("/v1/session").status_code == 204
        problem(browser.post(url, json=body, headers={"X-CSRF-Token": csrf}), 401)
    with RunCatalogue(home_root=home) as cat:
        actions = [(e.actor, e.action) for e in cat.audit_log(limit=10)]
    assert ("lan", "session.login") in actions and ("lan", "session.login-failed") in actions


def test_a_disabled_forecaster_is_stopped_at_once(home, client, keys):
    url = f"/v1/runs/{RUN_ID}/overrides"
    body = {"station_id": STATION, "day": "D2", "category": 2, "reason": REASON}
    with RunCatalogue(home_root=home) as cat:
        cat.disable_user("gone", by="admin")
    problem(client.post(url, json=body, headers=bearer(keys["gone"])), 401, "disabled")


def test_approve_releases_a_run_awaiting_review_marked_reviewed(home, client, keys):
    (home / "cycle.yaml").write_text("review:\n  required: true\n")
    try:
        made = run(home, "run", "--cycle", CYCLE)
        assert made.exit_code == 0, made.output
    finally:
        (home / "cycle.yaml").unlink()
    waiting = f"{CYCLE}/forecast-v2"
    assert client.get("/v1/bulletins/latest.json").json()["id"] == RUN_ID  # never an unapproved latest
    problem(client.post(f"/v1/runs/{waiting}/publish", headers=bearer("vnaqi_00000000_x")), 401)
    done = client.post(f"/v1/runs/{waiting}/approve", headers=bearer(keys["admin"]), json={"note": "checked maps"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "published" and done.json()["released"] is True
    latest = client.get("/v1/bulletins/latest.json").json()
    assert latest["id"] == waiting and latest["reviewed"] is True and latest["approved_by"] == "admin"
    assert client.get(f"/v1/stations/{STATION}/forecast").json()["run_id"] == waiting
    again = client.post(f"/v1/runs/{waiting}/approve", headers=bearer(keys["admin"]))
    problem(again, 409, "published")  # approving twice is a conflict, not a second release
    with RunCatalogue(home_root=home) as cat:
        assert [e.action for e in cat.audit_log(limit=5, target=waiting)][:2] == ["run.publish", "run.approve"]
        assert cat.get(RUN_ID).status == "superseded"


def test_a_rerun_starts_a_new_version_in_the_background_and_is_refused_while_a_cycle_runs(home, client, keys):
    with cycle_lock(HomeLayout(home).runs, "test"):
        problem(client.post(f"/v1/runs/{CYCLE}/rerun", headers=bearer(keys["lan"])), 409, "another cycle")
    started = client.post(f"/v1/runs/{CYCLE}/rerun", headers=bearer(keys["lan"]))
    assert started.status_code == 202, started.text
    log = home / started.json()["log"]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        with RunCatalogue(home_root=home) as cat:
            newest = cat.runs(cycle=CYCLE, limit=1)[0]
        if newest.version >= 3 and newest.status not in ("running", "complete"):  # complete: being released
            break
        time.sleep(1)
    assert newest.version == 3 and newest.status == "published", log.read_text(encoding="utf-8")
    with RunCatalogue(home_root=home) as cat:
        assert ("lan", "run.rerun") in [(e.actor, e.action) for e in cat.audit_log(limit=20, target=CYCLE)]


def test_public_reads_are_rate_limited_per_client_fast_lane_included(home):
    limited = ApiSettings(rate_limit=RateLimitSettings(requests_per_second=0.01, burst=3))
    with TestClient(create_app(home, limited)) as capped:
        url = f"/v1/stations/{STATION}/forecast"
        assert [capped.get(url).status_code for _ in range(3)] == [200, 200, 200]  # the 2nd+ come from the fast lane
        refused = capped.get(url)
        body = problem(refused, 429, "retry after")
        assert int(refused.headers["retry-after"]) >= 1 and body["title"] == "Too Many Requests"
        assert capped.get("/healthz").status_code in (200, 503)  # health checks are never limited


def test_the_openapi_document_lists_the_writes_with_their_problems(client):
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path in ("/v1/session", "/v1/runs/{cycle}/{run}/approve", "/v1/runs/{cycle}/{run}/overrides",
                 "/v1/runs/{cycle}/{run}/publish", "/v1/runs/{cycle}/rerun", "/v1/audit"):  # fmt: skip
        assert path in paths, path
    override = paths["/v1/runs/{cycle}/{run}/overrides"]["post"]
    assert {"401", "403", "409", "422"} <= set(override["responses"])
    assert override["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/OverrideRequest")
    schema = document["components"]["schemas"]["OverrideRequest"]
    assert "reason" in schema["required"] and schema["properties"]["reason"]["minLength"] == 10
    assert schema["examples"][0]["reason"]  # an example for app and script writers
