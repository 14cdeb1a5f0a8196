"""The forecasters' dashboard over HTTP (TestClient), on copies of the SYNTHETIC demo home: login (wrong password
audited, no open redirect, the login form's own CSRF token), the runs list, a run page, the station chart's
numbers against forecast.nc and the archive, and the writes — override with a reason, approve, publish — with
their refusals (no CSRF token, a short reason, anonymous, a disabled user) changing nothing.

The shared demo home is only copied, never written: one copy serves the reads and the override of a published
run; another, with ``review: {required: true}`` and a new run of the cycle awaiting approval, the approval.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from fastapi.testclient import TestClient

from api.app import create_app
from api.dashboard import mount_static, router
from api.dashboard.session import safe_next
from configs.api import load_api_settings
from configs.networks import registry_for_home
from configs.settings import HomeLayout
from forecast.aqi.categories import CATEGORIES
from forecast.catalogue import URL_ENV, RunCatalogue
from met_inputs.observations.archive import ObservationArchive
from tests.api_helpers import CYCLE, EARLIER_RUN_ID, RUN_ID, VERIFIED_DATE, demo_home
from tests.cycle_helpers import run as cli_run

FORECASTER, PASSWORD = "lan.nguyen", "mật khẩu đủ dài cho ca trực"
ADMIN = "quan.tri"
STATION = "demo-us-embassy-hanoi"
REVIEW_RUN_ID = f"{CYCLE}/forecast-v2"
SCRIPT_NAME = "<script>alert(1)</script> Hà Nội – Nguyễn Văn Cừ"


# --- homes and clients -------------------------------------------------------------------------------------


def copy_home(source: Path, target: Path) -> Path:
    """A private copy of a home: files (symbolic links kept) and its SQLite catalogue, whose run folders are
    pointed at the copy's."""
    if os.environ.get(URL_ENV):
        pytest.skip(f"${URL_ENV} is set: copies of a home would share one catalogue")
    shutil.copytree(source, target, symlinks=True)
    with sqlite3.connect(target / "catalogue.sqlite") as db:
        db.execute("UPDATE runs SET path = replace(path, ?, ?)", (f"{source}/", f"{target}/"))
    return target


def add_users(home: Path) -> None:
    catalogue = RunCatalogue(home_root=home)
    catalogue.add_user(FORECASTER, "forecaster", PASSWORD, by="test")
    catalogue.add_user(ADMIN, "admin", PASSWORD, by="test")
    catalogue.close()


def review_home(source: Path, target: Path) -> Path:
    """A copy where forecasters must approve, with a new run of the cycle (forecast-v2) awaiting them."""
    copy_home(source, target)
    (target / "cycle.yaml").write_text("review:\n  required: true\n", encoding="utf-8")
    made = cli_run(target, "run", "--cycle", CYCLE)
    assert made.exit_code == 0, made.output
    assert RunCatalogue(home_root=target).get(REVIEW_RUN_ID).status == "complete"
    return target


def dashboard_app(home: Path):
    """The API app over ``home`` with the dashboard (added here while ``create_app`` does not add it itself)."""
    settings = load_api_settings(home=home).model_copy(update={"release_check_seconds": 0})
    app = create_app(home, settings)
    if not any(getattr(route, "path", None) == "/dashboard" for route in app.routes):  # until create_app has it
        app.include_router(router(app.state.context))
        mount_static(app)
    return app


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden {name} in the page"
    return html.unescape(found.group(1))


def log_in(client: TestClient, name: str = FORECASTER, password: str = PASSWORD, next_path: str = "/dashboard"):
    form = client.get("/dashboard/login")
    assert form.status_code == 200
    data = {"username": name, "password": password, "next": next_path, "csrf_token": hidden(form.text, "csrf_token")}
    return client.post("/dashboard/login", data=data, follow_redirects=False)


def session_csrf(client: TestClient) -> str:
    return hidden(client.get("/dashboard").text, "csrf_token")


def text_of(page: str) -> str:
    """The visible text of a page, tags dropped and entities decoded, whitespace collapsed."""
    page = re.sub(r"<script\b.*?</script>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_home(tmp_path_factory)


@pytest.fixture(scope="module")
def home(demo, tmp_path_factory) -> Path:
    target = copy_home(demo.root, tmp_path_factory.mktemp("dash") / "home")
    add_users(target)
    return target


@pytest.fixture(scope="module")
def app(home):
    app = dashboard_app(home)
    with TestClient(app):  # lifespan: parse the latest release once
        yield app


@pytest.fixture
def anonymous(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def forecaster(app):
    with TestClient(app) as client:
        assert log_in(client).status_code == 303
        yield client


@pytest.fixture(scope="module")
def catalogue(home):
    cat = RunCatalogue(home_root=home)
    yield cat
    cat.close()


def _document(home: Path, run_id: str) -> dict:
    return json.loads((home / "runs" / run_id / "forecast.json").read_text(encoding="utf-8"))


# --- logging in --------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(anonymous):
    for path in (
        "/dashboard",
        f"/dashboard/runs/{RUN_ID}",
        "/dashboard/audit",
        "/dashboard/verification",
        f"/dashboard/runs/{RUN_ID}/stations/{STATION}",
    ):
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/dashboard/login?next=%2Fdashboard"), path
        assert answer.headers["cache-control"] == "no-store"
    data = anonymous.get(f"/dashboard/runs/{RUN_ID}/stations/{STATION}.json")
    assert data.status_code == 401 and data.headers["cache-control"] == "no-store"
    login = anonymous.get("/dashboard/login?next=%2Fdashboard%2Faudit")
    assert login.status_code == 200 and login.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in login.headers["content-security-policy"]
    assert hidden(login.text, "next") == "/dashboard/audit"
    assert 'name="password" type="password"' in login.text


def test_a_wrong_password_is_401_audited_and_no_session(anonymous, catalogue):
    before = len(catalogue.audit_log(limit=1000))
    answer = log_in(anonymous, password="not the password at all")
    assert answer.status_code == 401
    assert "wrong user name or password" in answer.text
    assert f'value="{FORECASTER}"' in answer.text  # the name typed is kept
    assert "not the password at all" not in answer.text
    assert "vnaqi_session" not in answer.cookies
    failed = catalogue.audit_log(limit=5)[0]
    assert (failed.action, failed.target, failed.actor) == ("session.login-failed", f"user/{FORECASTER}", FORECASTER)
    assert len(catalogue.audit_log(limit=1000)) == before + 1
    assert anonymous.get("/dashboard", follow_redirects=False).status_code == 303  # still anonymous


def test_the_login_form_needs_its_own_token(anonymous, catalogue):
    before = len(catalogue.audit_log(limit=1000))
    answer = anonymous.post(
        "/dashboard/login", data={"username": FORECASTER, "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 403 and "expired" in answer.text
    assert "vnaqi_session" not in answer.cookies
    assert len(catalogue.audit_log(limit=1000)) == before  # the password was not even tried


def test_a_forecaster_logs_in_and_sees_the_runs_newest_first(anonymous, catalogue):
    answer = log_in(anonymous)
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
    assert catalogue.audit_log(limit=1)[0].action == "session.login"
    page = anonymous.get("/dashboard")
    assert page.status_code == 200
    assert (
        page.headers["cache-control"] == "no-store"
        and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    )
    text = text_of(page.text)
    assert "Xin chào / welcome, lan.nguyen" in text  # the one-shot confirmation of the login
    assert "Xin chào" not in text_of(anonymous.get("/dashboard").text)  # shown once
    runs = catalogue.runs(limit=10)
    links = re.findall(r'href="/dashboard/runs/([^"]+)"', page.text)
    assert links == [r.run_id for r in runs]  # newest cycle first, every run linked
    row = re.search(r'<tr class="is-latest">.*?</tr>', page.text, re.S).group(0)
    assert RUN_ID in row and "products/latest" in row  # the run the public sees is marked
    record = catalogue.get(RUN_ID)
    assert f"{len(record.fallbacks)}</span>" in row
    for fallback in record.fallbacks:
        assert fallback.detail in text_of(row)  # each fallback step expandable in full
    assert "pm25: vnaqi-pm25/1" in row and "baseline:" in row
    assert "đã phát hành / published" in row


def test_the_runs_list_is_paginated(forecaster, catalogue):
    first = forecaster.get("/dashboard?limit=1")
    assert re.findall(r'href="/dashboard/runs/([^"]+)"', first.text) == [catalogue.runs(limit=1)[0].run_id]
    more = re.search(r'href="([^"]+)" rel="next"', first.text).group(1)
    second = forecaster.get(html.unescape(more))
    assert re.findall(r'href="/dashboard/runs/([^"]+)"', second.text) == [catalogue.runs(limit=2)[1].run_id]
    assert 'rel="prev"' in second.text


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("https://evil.example", "/dashboard"),
        ("//evil.example/dashboard", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("https://evil.example/dashboard/audit", "/dashboard"),
        ("/dashboardx", "/dashboard"),
        ("/v1/stations", "/dashboard"),
        ("/dashboard/../v1/stations", "/dashboard"),
        ("/dashboard/%2e%2e/v1/stations", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("/dashboard/audit?offset=50", "/dashboard/audit?offset=50"),
        (f"/dashboard/runs/{RUN_ID}", f"/dashboard/runs/{RUN_ID}"),
    ],
)
def test_next_is_only_a_dashboard_path(sent, expected):
    assert safe_next(sent) == expected


def test_login_never_redirects_off_the_dashboard(app):
    for sent, expected in (("https://evil.example", "/dashboard"), ("/dashboard/audit", "/dashboard/audit")):
        with TestClient(app) as client:
            answer = log_in(client, next_path=sent)
            assert answer.status_code == 303 and answer.headers["location"] == expected


def test_logging_out_needs_the_token_and_ends_the_session(app, catalogue):
    with TestClient(app) as client:
        assert log_in(client).status_code == 303
        token = session_csrf(client)
        assert client.post("/dashboard/logout", follow_redirects=False).status_code == 403
        assert client.get("/dashboard", follow_redirects=False).status_code == 200  # still logged in
        answer = client.post("/dashboard/logout", data={"csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/login"
        assert catalogue.audit_log(limit=1)[0].action == "session.logout"
        assert client.get("/dashboard", follow_redirects=False).status_code == 303


# --- the run page ------------------------------------------------------------------------------------------


def test_the_run_page_shows_every_station_day_fallbacks_health_and_history(forecaster, home, catalogue):
    page = forecaster.get(f"/dashboard/runs/{RUN_ID}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = text_of(page.text)
    document = _document(home, RUN_ID)
    for station in document["stations"]:
        assert f'href="/dashboard/runs/{RUN_ID}/stations/{station["id"]}"' in page.text
        for day in station["daily"]:
            c = CATEGORIES[day["category"] - 1]
            assert f"{day['aqi']} · {c.name_vi} / {c.name_en}" in text, (station["id"], day["day"])
            assert f'class="cat cat-{day["category"]}"' in page.text
    for fallback in catalogue.get(RUN_ID).fallbacks:
        assert fallback.detail in text
    health = re.search(r'<table class="health-table">.*?</table>', page.text, re.S).group(0)
    rows = (home / "runs" / RUN_ID / "health.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert health.count("<tr>") == 1 + len({r.split(",")[0] for r in rows})  # header + one row per station
    for status in ("running", "complete", "published"):
        assert f"status-{status}" in page.text
    # a published run: the forecaster may override and publish nothing more; no approval form
    assert f'action="/dashboard/runs/{RUN_ID}/override"' in page.text
    assert f'action="/dashboard/runs/{RUN_ID}/approve"' not in page.text
    assert f'action="/dashboard/runs/{RUN_ID}/publish"' not in page.text
    assert 'minlength="10"' in page.text and "required" in page.text


def test_station_names_are_escaped(forecaster, home):
    path = home / "runs" / EARLIER_RUN_ID / "forecast.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["stations"][0]["name_vi"] = SCRIPT_NAME
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    station = document["stations"][0]["id"]
    for url in (f"/dashboard/runs/{EARLIER_RUN_ID}", f"/dashboard/runs/{EARLIER_RUN_ID}/stations/{station}"):
        page = forecaster.get(url)
        assert page.status_code == 200, url
        assert "<script>alert(1)" not in page.text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Hà Nội – Nguyễn Văn Cừ" in page.text, url
    embedded = re.search(r'<script type="application/json" id="series-data">(.*?)</script>', page.text, re.S)
    assert json.loads(embedded.group(1))["station"]["name_vi"] == SCRIPT_NAME  # intact as data, inert as markup


def test_input_health_problems_are_flagged_with_a_sign_not_only_a_colour(forecaster, home):
    path = home / "runs" / EARLIER_RUN_ID / "health.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    col = {name: i for i, name in enumerate(header)}
    rows[0][col["age_h"]] = "12.0"  # silent for 12 h: over recent_obs_hours (6)
    rows[1][col["qc_failed_24h"]] = "3"  # three hours failing QC
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    page = forecaster.get(f"/dashboard/runs/{EARLIER_RUN_ID}")
    table = re.search(r'<details class="health" open>.*?</details>', page.text, re.S)
    assert table, "the health table opens itself when something is wrong"
    bad = re.findall(r'<td class="h-bad" title="([^"]*)">✖ ([^<]*)</td>', table.group(0))
    warn = re.findall(r'<td class="h-warn" title="([^"]*)">⚠ ([^<]*)</td>', table.group(0))
    assert any("12 h before the cycle" in why and text.startswith("12 · ") for why, text in bad), bad
    assert any("3 h failed QC" in html.unescape(why) and text.endswith(" · 3") for why, text in warn), warn
    assert "problems</span>" in page.text


def test_ids_are_checked_before_anything_is_read(forecaster):
    for path in (
        "/dashboard/runs/..%2F..%2Fetc/passwd",
        "/dashboard/runs/2026-11-25T00Z/..",
        "/dashboard/runs/2026-11-25T00Z/forecast-v1/stations/..%2F..%2Fsecret.key",
        "/dashboard/runs/2026-11-25T00Z/forecast-v1/stations/Demo_Upper",
    ):
        answer = forecaster.get(path)
        assert answer.status_code == 404, path  # the dashboard's page, or the app's for a path no route takes
        assert "root:" not in answer.text
    assert forecaster.get("/dashboard/runs/2026-11-25T00Z/forecast-v9").status_code == 404
    assert "no run" in forecaster.get("/dashboard/runs/2026-11-25T00Z/forecast-v9").text
    bad = forecaster.get(f"/dashboard/runs/{RUN_ID}/stations/{STATION}?pollutant=../../x")
    assert bad.status_code == 422


# --- the station chart -------------------------------------------------------------------------------------


@pytest.mark.parametrize("pollutant", ["pm25", "pm10"])
def test_the_chart_data_are_the_forecast_cube_and_the_archive(forecaster, home, pollutant):
    answer = forecaster.get(f"/dashboard/runs/{RUN_ID}/stations/{STATION}.json?pollutant={pollutant}")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    data = answer.json()
    assert (data["run_id"], data["pollutant"], data["unit"], data["time_zone"]) == (
        RUN_ID,
        pollutant,
        "µg/m³",
        "Asia/Ho_Chi_Minh",
    )
    with xr.open_dataset(home / "runs" / RUN_ID / "forecast.nc") as cube:
        at = cube.sel(station=STATION).load()
        assert f"{pollutant}_ctm" in cube, "the demo's CTM is in the cube"
        valid = pd.DatetimeIndex(cube["valid_time"].values).tz_localize("UTC")
    f = data["forecast"]
    assert f["lead"] == list(range(1, 73))
    assert f["t"] == [int(t.timestamp()) for t in valid]
    assert f["valid_time"][0] == valid[0].tz_convert("Asia/Ho_Chi_Minh").isoformat()
    assert f["valid_time"][0].endswith("+07:00")
    for key, name in (
        ("mean", pollutant),
        ("q10", f"{pollutant}_q10"),
        ("q50", f"{pollutant}_q50"),
        ("q90", f"{pollutant}_q90"),
        ("ctm", f"{pollutant}_ctm"),
    ):
        expected = at[name].values
        got = np.array([np.nan if v is None else v for v in f[key]], float)
        np.testing.assert_array_equal(got, expected, err_msg=key)  # the cube's own numbers, not rounded
    lead = 24
    assert f["mean"][lead - 1] == float(at[pollutant].sel(lead=lead))
    assert f["q10"][lead - 1] <= f["q50"][lead - 1] <= f["q90"][lead - 1]

    observed = data["observed"]
    issue = pd.Timestamp(data["issue_time"])
    assert observed["t"], "three days of observations before the issue time"
    times = pd.to_datetime(observed["t"], unit="s", utc=True)
    assert times[0] == issue - pd.Timedelta(hours=71) and (np.diff(observed["t"]) == 3600).all()
    archive = ObservationArchive(HomeLayout(home), registry_for_home(home / "networks"))
    truth = archive.to_dataset([STATION], times[0], times[-1], pollutants=[pollutant])[pollutant].sel(station=STATION)
    assert pd.DatetimeIndex(truth["time"].values).tz_localize("UTC").equals(times)
    got = np.array([np.nan if v is None else v for v in observed["value"]], float)
    np.testing.assert_array_equal(got, truth.values)
    assert np.isfinite(got).sum() > 48
    assert all(t.endswith("+07:00") for t in observed["valid_time"])


def test_the_station_page_embeds_the_same_data_and_uses_only_local_scripts(forecaster):
    page = forecaster.get(f"/dashboard/runs/{RUN_ID}/stations/{STATION}")
    assert page.status_code == 200
    embedded = re.search(r'<script type="application/json" id="series-data">(.*?)</script>', page.text, re.S)
    data = forecaster.get(f"/dashboard/runs/{RUN_ID}/stations/{STATION}.json").json()
    assert json.loads(embedded.group(1)) == data
    sources = re.findall(r'<script[^>]* src="([^"]+)"', page.text)
    assert sources == ["/dashboard/static/vendor/uplot/uPlot.iife.min.js", "/dashboard/static/dashboard.js"]
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    assert all(s.startswith("/dashboard/") for s in styles)
    for asset in sources + styles:
        got = forecaster.get(asset)
        assert got.status_code == 200 and len(got.content) > 300, asset
    assert "giờ Việt Nam" in page.text and "UTC+7" in page.text
    assert 'option value="pm10"' in page.text


def test_the_category_colours_are_the_official_ones(anonymous):
    css = anonymous.get("/dashboard/categories.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for c in CATEGORIES:
        assert f".cat-{c.index} {{ background: {c.hex}; color: {'#FFFFFF' if c.index >= 5 else '#000000'}; }}" in (
            css.text
        )


# --- writes ------------------------------------------------------------------------------------------------


def _override_form(station: str, day: str, category: int, reason: str, csrf: str | None) -> dict:
    form = {"station_id": station, "day": day, "category": str(category), "reason": reason}
    return form if csrf is None else {**form, "csrf_token": csrf}


def _state(catalogue: RunCatalogue, run_id: str) -> tuple:
    return (catalogue.overrides(run_id), catalogue.get(run_id).status, len(catalogue.audit_log(limit=1000)))


def test_an_override_without_the_csrf_token_is_refused(forecaster, catalogue):
    before = _state(catalogue, RUN_ID)
    answer = forecaster.post(
        f"/dashboard/runs/{RUN_ID}/override", data=_override_form(STATION, "D1", 5, "Sương mù dày đặc buổi sáng", None)
    )
    assert answer.status_code == 403
    assert "CSRF" in answer.text and "Nothing was changed" in answer.text
    wrong = forecaster.post(
        f"/dashboard/runs/{RUN_ID}/override",
        data=_override_form(STATION, "D1", 5, "Sương mù dày đặc buổi sáng", "forged"),
    )
    assert wrong.status_code == 403
    assert _state(catalogue, RUN_ID) == before


def test_a_short_reason_is_refused_with_the_catalogues_message_and_the_form_kept(forecaster, catalogue):
    before = _state(catalogue, RUN_ID)
    answer = forecaster.post(
        f"/dashboard/runs/{RUN_ID}/override", data=_override_form(STATION, "D2", 4, "ngắn!", session_csrf(forecaster))
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "an override needs a reason of 10–1000 characters (got 5)" in html.unescape(answer.text)
    assert f'<option value="{STATION}" selected>' in answer.text
    assert '<option value="D2" selected>' in answer.text and '<option value="4" selected>' in answer.text
    assert ">ngắn!</textarea>" in answer.text
    assert _state(catalogue, RUN_ID) == before
    for field, value, message in (
        ("category", "7", "category must be"),
        ("day", "D4", "day must be"),
        ("station_id", "not-in-this-run", "not in"),
    ):
        form = {
            **_override_form(STATION, "D1", 3, "Lý do đủ dài để được ghi lại", session_csrf(forecaster)),
            field: value,
        }
        refused = forecaster.post(f"/dashboard/runs/{RUN_ID}/override", data=form)
        assert refused.status_code == 422 and message in html.unescape(refused.text), field
    assert _state(catalogue, RUN_ID) == before


def test_an_override_of_a_published_run_is_released_at_once(forecaster, home, catalogue):
    model = next(s for s in _document(home, RUN_ID)["stations"] if s["id"] == STATION)["daily"][0]["category"]
    category = model + 2 if model <= 4 else model - 2
    reason = "Đốt rơm rạ ngoại thành <chưa có> trong kiểm kê"
    answer = forecaster.post(
        f"/dashboard/runs/{RUN_ID}/override",
        data=_override_form(STATION, "D1", category, reason, session_csrf(forecaster)),
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/dashboard/runs/{RUN_ID}"
    page = forecaster.get(answer.headers["location"])
    text = text_of(page.text)
    assert f"Đã ghi / saved: {STATION} D1 → {category}" in text and "released again" in text
    stored = catalogue.overrides(RUN_ID)
    assert [(o.station_id, o.day, o.category, o.reason, o.by) for o in stored] == [
        (STATION, "D1", category, reason, FORECASTER)
    ]
    entry = catalogue.audit_log(limit=5, target=f"{RUN_ID}/{STATION}/D1")[0]
    assert (entry.actor, entry.action, entry.detail["category"]) == (FORECASTER, "override", category)
    # the run page marks it and keeps the model's category and the reason
    c, m = CATEGORIES[category - 1], CATEGORIES[model - 1]
    assert f"· {c.name_vi} / {c.name_en} ✎ mô hình / model: {m.name_vi} / {m.name_en} ({model})" in text
    assert html.escape(reason) in page.text
    assert "override" in text_of(re.search(r'id="h-audit".*', page.text, re.S).group(0))
    # the public products: bulletin.json of products/latest and the API
    bulletin = json.loads((home / "products" / "latest" / "bulletin.json").read_text(encoding="utf-8"))
    day = next(s for r in bulletin["regions"] for s in r["stations"] if s["id"] == STATION)["days"][0]
    assert day["category"] == category and day["override"]["reason"] == reason
    forecast = forecaster.get(f"/v1/stations/{STATION}/forecast?lang=en").json()
    d1 = forecast["daily"][0]
    assert d1["category"] == category and d1["category_name"] == c.name_en
    assert d1["forecaster_override"]["reason"] == reason


def test_anonymous_and_disabled_users_cannot_post(app, catalogue, home):
    before = {r: _state(catalogue, r) for r in (RUN_ID, EARLIER_RUN_ID)}
    with TestClient(app) as client:
        for action in ("override", "approve", "publish"):
            answer = client.post(
                f"/dashboard/runs/{RUN_ID}/{action}",
                data=_override_form(STATION, "D3", 6, "Không được phép ghi điều này", "x"),
            )
            assert answer.status_code == 401, action
            assert "log in first" in answer.text
    name = "tam.thoi"
    catalogue.add_user(name, "forecaster", PASSWORD, by="test")
    with TestClient(app) as client:
        assert log_in(client, name).status_code == 303
        token = session_csrf(client)
        catalogue.disable_user(name, by="test")
        answer = client.post(
            f"/dashboard/runs/{EARLIER_RUN_ID}/override",
            data=_override_form(STATION, "D3", 6, "Tài khoản đã bị khoá rồi mà", token),
        )
        assert answer.status_code == 401
        assert client.get("/dashboard", follow_redirects=False).status_code == 303  # the cookie is worth nothing
    after = {r: _state(catalogue, r) for r in (RUN_ID, EARLIER_RUN_ID)}
    assert {r: s[:2] for r, s in after.items()} == {r: s[:2] for r, s in before.items()}
    assert not any(e.action == "override" and e.actor == name for e in catalogue.audit_log(limit=100))


def test_approving_or_publishing_a_published_run_is_refused_and_changes_nothing(forecaster, catalogue):
    before = _state(catalogue, EARLIER_RUN_ID)
    answer = forecaster.post(
        f"/dashboard/runs/{EARLIER_RUN_ID}/approve", data={"csrf_token": session_csrf(forecaster), "note": "xem lại"}
    )
    assert answer.status_code == 409
    assert "cannot change status from 'published' to 'approved'" in html.unescape(answer.text)
    published = forecaster.post(
        f"/dashboard/runs/{EARLIER_RUN_ID}/publish", data={"csrf_token": session_csrf(forecaster)}
    )
    assert published.status_code == 422
    assert "only a complete or approved run can be published" in html.unescape(published.text)
    assert _state(catalogue, EARLIER_RUN_ID) == before


def test_the_audit_page_is_paginated_and_links_runs(forecaster, catalogue):
    page = forecaster.get("/dashboard/audit?limit=3")
    assert page.status_code == 200
    entries = catalogue.audit_log(limit=3)
    ids = [int(i) for i in re.findall(r'<td class="num">(\d+)</td>', page.text)]
    assert ids == [e.id for e in entries]
    assert 'rel="next"' in page.text
    target = f"{RUN_ID}/{STATION}/D1"
    filtered = forecaster.get(f"/dashboard/audit?target={target}")
    assert f'<a href="/dashboard/runs/{RUN_ID}">{target}</a>' in filtered.text
    shown = [int(i) for i in re.findall(r'<td class="num">(\d+)</td>', filtered.text)]
    assert shown == [e.id for e in catalogue.audit_log(target=target)] and shown


def test_the_verification_page_shows_the_verified_day(forecaster):
    page = forecaster.get("/dashboard/verification")
    assert page.status_code == 200
    text = text_of(page.text)
    assert VERIFIED_DATE in text and "7.0" in text and "-7.0" in text
    assert "95 · Trung bình / Moderate" in text and "102 · Kém / Poor" in text


# --- approval on a home where forecasters must approve ------------------------------------------------------


@pytest.fixture(scope="module")
def review(demo, tmp_path_factory) -> Path:
    target = review_home(demo.root, tmp_path_factory.mktemp("dash-review") / "home")
    add_users(target)
    return target


def test_approving_a_complete_run_publishes_it_reviewed(review):
    app = dashboard_app(review)
    catalogue = RunCatalogue(home_root=review)
    with TestClient(app) as client:
        before = client.get("/v1/bulletins/latest.json").json()
        assert before["id"] == RUN_ID  # the run awaiting approval is not public
        assert log_in(client, ADMIN).status_code == 303
        page = client.get(f"/dashboard/runs/{REVIEW_RUN_ID}")
        assert "chờ duyệt / complete" in page.text
        assert f'action="/dashboard/runs/{REVIEW_RUN_ID}/approve"' in page.text
        assert f'action="/dashboard/runs/{REVIEW_RUN_ID}/publish"' in page.text
        answer = client.post(
            f"/dashboard/runs/{REVIEW_RUN_ID}/approve",
            data={"csrf_token": hidden(page.text, "csrf_token"), "note": "Đã đối chiếu quan trắc"},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        shown = text_of(client.get(answer.headers["location"]).text)
        assert f"Đã duyệt / approved: {REVIEW_RUN_ID} by {ADMIN}" in shown
        record = catalogue.get(REVIEW_RUN_ID)
        assert (record.status, record.approved_by, record.approval_note) == (
            "published",
            ADMIN,
            "Đã đối chiếu quan trắc",
        )
        latest = client.get("/v1/bulletins/latest.json").json()
        assert latest["id"] == REVIEW_RUN_ID and latest["reviewed"] is True and latest["approved_by"] == ADMIN
        assert catalogue.get(RUN_ID).status == "superseded"
        actions = [(e.action, e.actor) for e in catalogue.audit_log(limit=10, target=REVIEW_RUN_ID)]
        assert ("run.approve", ADMIN) in actions and ("run.publish", ADMIN) in actions
        again = client.post(
            f"/dashboard/runs/{REVIEW_RUN_ID}/approve", data={"csrf_token": hidden(page.text, "csrf_token")}
        )
        assert again.status_code == 409  # approved once; a second click changes nothing
    catalogue.close()
