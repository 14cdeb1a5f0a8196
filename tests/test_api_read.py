"""The public read-only API /v1 over HTTP (TestClient) on the SYNTHETIC demo home, a home with nothing in it,
and `vnaqi serve` on a real socket."""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ids import inside
from configs.api import ApiSettings
from forecast.cli.serve import uvicorn_options
from tests.api_helpers import CYCLE, EARLIER, EARLIER_RUN_ID, RUN_ID, VERIFIED_DATE, DemoHome, demo_home, empty_home

PROBLEM = "application/problem+json"
STATION = "demo-us-embassy-hanoi"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> DemoHome:
    return demo_home(tmp_path_factory)


@pytest.fixture(scope="module")
def document(home) -> dict:
    return json.loads((home.root / "products" / "latest" / "forecast.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def released_at(home) -> datetime:
    info = json.loads((home.root / "products" / "latest" / "release.json").read_text(encoding="utf-8"))
    return datetime.fromisoformat(info["released_at"])


@pytest.fixture(scope="module")
def client(home, released_at):
    app = create_app(home.root, clock=lambda: released_at + timedelta(hours=1))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def empty_client(tmp_path_factory):
    with TestClient(create_app(empty_home(tmp_path_factory))) as test_client:
        yield test_client


def station_of(document: dict, station_id: str) -> dict:
    return next(s for s in document["stations"] if s["id"] == station_id)


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["type"].startswith("tag:vnaqi,2026:problems/")
    assert body["title"] and body["instance"].startswith("/")
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


# --- stations and forecasts ---------------------------------------------------------------------------------


def test_station_list_is_the_latest_forecasts_stations_with_registry_details(client, document):
    response = client.get("/v1/stations", params={"lang": "en"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["run_id"] == RUN_ID and body["lang"] == "en"
    assert [s["id"] for s in body["items"]] == [s["id"] for s in document["stations"]]
    assert body["page"] == {"limit": 50, "offset": 0, "total": len(document["stations"]), "next": None}
    first = body["items"][0]
    assert first["name"] == first["name_en"] == station_of(document, first["id"])["name_en"]
    assert first["network"] == "demo" and first["links"]["forecast"] == f"/v1/stations/{first['id']}/forecast"
    hcm = client.get("/v1/stations", params={"province": "TP. Hồ Chí Minh"}).json()
    assert hcm["items"] and {s["province"] for s in hcm["items"]} == {"TP. Hồ Chí Minh"}


def test_station_list_pages_with_limit_and_offset(client, document):
    ids = [s["id"] for s in document["stations"]]
    page = client.get("/v1/stations?limit=5&offset=5")
    body = page.json()
    assert [s["id"] for s in body["items"]] == ids[5:10]
    assert body["page"]["next"] == "/v1/stations?limit=5&offset=10"
    assert page.headers["link"] == '</v1/stations?limit=5&offset=10>; rel="next"'
    last = client.get(f"/v1/stations?limit=5&offset={len(ids) - 2}").json()
    assert len(last["items"]) == 2 and last["page"]["next"] is None
    for bad in ("limit=0", "limit=100000", "limit=abc", "offset=-1", "offset=999999999"):
        assert_problem(client.get(f"/v1/stations?{bad}"), 422, "invalid request parameter")


def test_one_station(client, document):
    body = client.get(f"/v1/stations/{STATION}").json()
    raw = station_of(document, STATION)
    assert (body["latitude"], body["longitude"], body["province"]) == (raw["latitude"], raw["longitude"], "Hà Nội")
    assert body["name"] == raw["name_vi"]  # default language: Vietnamese
    assert body["observed"]["time"] == raw["observed"]["time"] and body["observed"]["hour_ending"] is True
    assert_problem(client.get("/v1/stations/hn-nowhere"), 404, "hn-nowhere")


def test_station_forecast_carries_the_run_values_units_and_uncertainty(client, document):
    response = client.get(f"/v1/stations/{STATION}/forecast")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    raw = station_of(document, STATION)
    assert body["api_version"] == "v1" and body["schema"] == "vnaqi.api.station-forecast/1"
    assert body["run_id"] == RUN_ID and body["version"] == 1 and body["issue_time"] == document["issue_time"]
    assert body["synthetic"] is True and any("MÔ PHỎNG" in n for n in body["notices"])
    assert body["units"]["concentration"] == "µg/m³" and "hour-ending" in body["time_convention"]
    assert [d["aqi"] for d in body["daily"]] == [d["aqi"] for d in raw["daily"]]  # D1–D3 as forecast.json
    d1 = body["daily"][0]
    assert d1["category_probabilities"] == raw["daily"][0]["category_probabilities"]
    assert d1["advice"] == raw["daily"][0]["advice"]["vi"] and d1["category_name"] == raw["daily"][0]["category_vi"]
    assert d1["period_start"] == f"{d1['date']}T00:00:00+07:00"
    p = d1["category_probabilities"][str(d1["category"])]
    assert d1["confidence_probability"] == p
    assert d1["confidence"] == ("high" if p >= 0.7 else "medium" if p >= 0.45 else "low") == body["confidence"]
    low, high = d1["category_range_10_90"]["low"], d1["category_range_10_90"]["high"]
    assert low <= d1["most_likely_category"] <= high
    assert len(body["hourly"]) == 72
    for mine, theirs in zip(body["hourly"], raw["hourly"], strict=True):
        assert mine["hour_ending"] is True and ISO_WITH_OFFSET.match(mine["valid_time"])
        assert mine["valid_time"] == theirs["valid_time"] and mine["aqi"] == theirs["aqi"]
        assert mine["concentration_unit"] == "µg/m³"
        pm25 = mine["concentrations"]["pm25"]
        assert pm25["value"] == theirs["concentrations"]["pm25"]
        assert (pm25["q10"], pm25["q50"], pm25["q90"]) == tuple(theirs["quantiles"]["pm25"].values())
        assert pm25["q10"] <= pm25["q50"] <= pm25["q90"]


def test_language_by_query_then_header_then_vietnamese(client, document):
    raw = station_of(document, STATION)["daily"][0]
    url = f"/v1/stations/{STATION}/forecast"
    assert client.get(url, params={"lang": "en"}).json()["daily"][0]["category_name"] == raw["category_en"]
    by_header = client.get(url, headers={"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"})
    assert by_header.json()["lang"] == "en" and by_header.json()["daily"][0]["advice"] == raw["advice"]["en"]
    assert "Accept-Language" in by_header.headers["vary"] and by_header.headers["content-language"] == "en"
    assert client.get(url, params={"lang": "vi"}, headers={"Accept-Language": "en"}).json()["lang"] == "vi"
    assert client.get(url, headers={"Accept-Language": "fr, de"}).json()["lang"] == "vi"
    assert_problem(client.get(url, params={"lang": "fr"}), 422, "lang")


def test_nearest_station_by_great_circle_distance(client, document):
    lat, lon = 21.0, 105.8
    expected = sorted(document["stations"], key=lambda s: haversine(lat, lon, s["latitude"], s["longitude"]))
    body = client.get("/v1/forecast", params={"lat": lat, "lon": lon, "n": 3}).json()
    assert body["distance_unit"] == "km" and (body["latitude"], body["longitude"]) == (lat, lon)
    assert [r["forecast"]["station"]["id"] for r in body["results"]] == [s["id"] for s in expected[:3]]
    distances = [r["distance_km"] for r in body["results"]]
    assert distances == sorted(distances)
    # By hand: 0.05° of latitude due north of Vân Đình is 6371 km × 0.05 × π/180 = 5.5597 km.
    van_dinh = station_of(document, "demo-hn-van-dinh")
    one = client.get("/v1/forecast", params={"lat": van_dinh["latitude"] + 0.05, "lon": van_dinh["longitude"]})
    result = one.json()["results"]
    assert len(result) == 1 and result[0]["forecast"]["station"]["id"] == "demo-hn-van-dinh"
    assert result[0]["distance_km"] == pytest.approx(5.5597, abs=0.001)
    assert result[0]["forecast"]["daily"][0]["aqi"] == van_dinh["daily"][0]["aqi"]


@pytest.mark.parametrize(
    "query", ["lat=91&lon=105", "lat=21&lon=181", "lat=abc&lon=105", "lon=105", "lat=nan&lon=105", "lat=21&lon=105&n=0"]
)
def test_bad_coordinates_are_refused(client, query):
    assert_problem(client.get(f"/v1/forecast?{query}"), 422, "invalid request parameter")


def test_unknown_station_forecast_is_a_problem(client):
    assert_problem(client.get("/v1/stations/hn-nowhere/forecast"), 404, "hn-nowhere", RUN_ID)
    assert_problem(client.get("/v1/stations/Not_An_Id/forecast"), 422, "station_id")


def test_a_new_release_is_served_at_once(home, tmp_path):
    """The cache is keyed by the release `products/latest` points at: swapping the link swaps the answers
    (here on the next request; by default within `release_check_seconds`, 1 s)."""
    products = tmp_path / "products"
    first = products / ".releases" / CYCLE / "a"
    shutil.copytree((home.root / "products" / "latest").resolve(), first)
    (products / "latest").symlink_to(os.path.relpath(first, products))
    app = create_app(tmp_path, ApiSettings(release_check_seconds=0))
    with TestClient(app) as test_client:
        url = f"/v1/stations/{STATION}/forecast"
        before = test_client.get(url).json()["daily"][0]["aqi"]
        assert test_client.get(url).json()["daily"][0]["aqi"] == before  # (second answer: the fast lane)
        second = products / ".releases" / CYCLE / "b"
        shutil.copytree(first, second)
        doc = json.loads((second / "forecast.json").read_text(encoding="utf-8"))
        doc["stations"][0]["daily"][0]["aqi"] = before + 1
        (second / "forecast.json").write_text(json.dumps(doc), encoding="utf-8")
        (products / ".latest.tmp").symlink_to(os.path.relpath(second, products))
        os.replace(products / ".latest.tmp", products / "latest")
        assert test_client.get(url).json()["daily"][0]["aqi"] == before + 1


def test_an_unreadable_release_is_not_served_and_health_says_why(home, tmp_path):
    products = tmp_path / "products"
    broken = products / ".releases" / CYCLE / "broken"
    shutil.copytree((home.root / "products" / "latest").resolve(), broken)
    (broken / "forecast.json").write_text("{not json", encoding="utf-8")
    (products / "latest").symlink_to(os.path.relpath(broken, products))
    with TestClient(create_app(tmp_path)) as test_client:
        assert_problem(test_client.get(f"/v1/stations/{STATION}/forecast"), 404, "no forecast has been published")
        health = test_client.get("/healthz")
    assert health.status_code == 503
    detail = health.json()["checks"]["products"]["detail"]
    assert detail == "latest release not served: cannot read forecast.json of broken"


# --- caching, compression, CORS -----------------------------------------------------------------------------

READS = [
    "/v1/stations", f"/v1/stations/{STATION}", f"/v1/stations/{STATION}/forecast", "/v1/forecast?lat=21&lon=105.8",
    "/v1/bulletins", "/v1/bulletins/latest", "/v1/bulletins/latest.json", "/v1/bulletins/latest.html",
    "/v1/bulletins/latest.txt?lang=en", "/v1/bulletins/latest.png", f"/v1/bulletins/{RUN_ID}",
    f"/v1/bulletins/{RUN_ID}.json", "/v1/feed.atom", "/v1/alerts", "/v1/alerts.atom", "/v1/runs",
    f"/v1/runs/{RUN_ID}", "/v1/verification", "/openapi.json", "/docs", "/v1",
]  # fmt: skip


@pytest.mark.parametrize("url", READS)
def test_every_read_has_validators_and_cache_control_and_revalidates(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("public")
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{24}(-gz)?"', etag)
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    if "last-modified" in response.headers:
        since = client.get(url, headers={"If-Modified-Since": response.headers["last-modified"]})
        assert since.status_code == 304
        long_ago = formatdate(0, usegmt=True)
        assert client.get(url, headers={"If-Modified-Since": long_ago}).status_code == 200


def test_forecast_last_modified_and_if_modified_since(client):
    url = f"/v1/stations/{STATION}/forecast"
    last_modified = client.get(url).headers["last-modified"]
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": "not a date"}).status_code == 200


def test_ops_endpoints_are_never_cached(client):
    assert client.get("/healthz").headers["cache-control"] == "no-store"
    assert client.get("/metrics").headers["cache-control"] == "no-store"
    assert client.get("/v1/stations/nowhere/forecast").headers["cache-control"] == "no-store"


def test_gzip_when_accepted(client):
    url = f"/v1/stations/{STATION}/forecast"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as zipped:
        raw = b"".join(zipped.iter_raw())
        assert zipped.headers["content-encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["vary"]
        assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gz"'
    assert gzip.decompress(raw) == plain.content and len(raw) < len(plain.content) / 3
    png = client.get("/v1/bulletins/latest.png", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in png.headers  # already compressed
    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_cors_preflight_and_simple_requests_for_a_configured_origin(home):
    origin = "https://app.example.vn"
    app = create_app(home.root, ApiSettings(cors_origins=[origin]))
    with TestClient(app) as test_client:
        preflight = test_client.options(
            f"/v1/stations/{STATION}/forecast",
            headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                     "Access-Control-Request-Headers": "If-None-Match"},
        )  # fmt: skip
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        assert "GET" in preflight.headers["access-control-allow-methods"]
        simple = test_client.get(f"/v1/stations/{STATION}/forecast", headers={"Origin": origin})
        assert simple.status_code == 200 and simple.headers["access-control-allow-origin"] == origin
        assert "ETag" in simple.headers["access-control-expose-headers"]
        refused = test_client.options(
            "/v1/stations", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
        assert_problem(refused, 400, "CORS")
        assert (
            "access-control-allow-origin"
            not in test_client.get("/v1/stations", headers={"Origin": "https://x.y"}).headers
        )


def test_the_fast_lane_answers_exactly_as_the_routes(client):
    """The second request of a body is answered from its cache before FastAPI; the answer is the same."""
    url = "/v1/stations/demo-hcm-care-centre/forecast?lang=en"
    first = client.get(url, headers={"Accept-Encoding": "identity"})
    second = client.get(url, headers={"Accept-Encoding": "identity"})
    with_origin = client.get(url, headers={"Accept-Encoding": "identity", "Origin": "https://a.example"})
    assert first.content == second.content == with_origin.content
    for name in ("etag", "last-modified", "cache-control", "vary", "content-type", "content-length"):
        assert first.headers[name] == second.headers[name] == with_origin.headers[name]
    assert second.headers["vary"] == "Accept-Encoding, Accept-Language, Origin"  # CORS on: caches key on Origin
    head = client.head(url, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == first.headers["etag"]
    assert head.headers["content-length"] == first.headers["content-length"]
    assert client.head("/v1/runs").status_code == 200 and client.head("/v1/runs").content == b""


# --- bulletins ----------------------------------------------------------------------------------------------


def test_latest_bulletin_in_every_format(client, home):
    latest = home.root / "products" / "latest"
    summary = client.get("/v1/bulletins/latest").json()
    assert summary["id"] == RUN_ID and summary["version"] == 1 and summary["released"] is True
    assert summary["reviewed"] is False and summary["synthetic"] is True and summary["released_at"]
    assert summary["links"]["html"]["en"] == "/v1/bulletins/latest.html?lang=en"
    as_json = client.get("/v1/bulletins/latest.json")
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.content == (latest / "bulletin.json").read_bytes()
    html = client.get("/v1/bulletins/latest.html", params={"lang": "en"})
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.text == (latest / "bulletin.en.html").read_text(encoding="utf-8")
    txt = client.get("/v1/bulletins/latest.txt", headers={"Accept-Language": "vi"})
    assert txt.headers["content-type"] == "text/plain; charset=utf-8"
    assert txt.text == (latest / "bulletin.vi.txt").read_text(encoding="utf-8")
    card = client.get("/v1/bulletins/latest.png", params={"region": 2, "lang": "en"})
    assert card.headers["content-type"] == "image/png" and card.content == (latest / "card.02.en.png").read_bytes()
    assert_problem(client.get("/v1/bulletins/latest.png?region=9"), 404, "region")
    assert_problem(client.get("/v1/bulletins/latest.pdf"), 422, "fmt")


def test_bulletin_by_id_serves_released_versions_and_never_drafts(client, home):
    run_dir = home.root / "bulletins" / CYCLE / "forecast-v1"
    draft = run_dir / f"bulletin-v{home.draft_version}"
    assert json.loads((draft / "bulletin.json").read_text(encoding="utf-8"))["released"] is False
    body = client.get(f"/v1/bulletins/{RUN_ID}").json()
    assert body["version"] == 1  # the newest *released* version, not the newer draft
    draft_url = f"/v1/bulletins/{RUN_ID}?version={home.draft_version}"
    assert_problem(client.get(draft_url), 404, "drafts are not public")
    for fmt in ("json", "html", "txt", "png"):
        assert_problem(client.get(f"/v1/bulletins/{RUN_ID}.{fmt}?version={home.draft_version}"), 404)
    served = client.get(f"/v1/bulletins/{RUN_ID}.txt", params={"version": 1, "lang": "en"})
    assert served.text == (run_dir / "bulletin-v1" / "bulletin.en.txt").read_text(encoding="utf-8")
    listed = client.get("/v1/bulletins").json()["items"]
    assert [(b["id"], b["version"]) for b in listed] == [(RUN_ID, 1), (EARLIER_RUN_ID, home.verified_version)]
    feed = ET.fromstring(client.get("/v1/feed.atom").content)
    ids = [e.findtext("{http://www.w3.org/2005/Atom}id") for e in feed.iter("{http://www.w3.org/2005/Atom}entry")]
    assert f"tag:vnaqi,2026:{RUN_ID}/bulletin-v1" in ids
    assert not any(i.endswith(f"{RUN_ID}/bulletin-v{home.draft_version}") for i in ids)
    assert_problem(client.get("/v1/bulletins/2026-11-25T00Z/forecast-v9"), 404, "no released bulletin")
    assert_problem(client.get("/v1/bulletins/2026-11-25/forecast-v1"), 422, "cycle")


def test_verification_lists_the_bulletins_that_scored_a_day(client):
    body = client.get("/v1/verification").json()
    assert len(body["items"]) == 1
    item = body["items"][0]
    assert item["bulletin_id"] == EARLIER_RUN_ID and item["verification_date"] == VERIFIED_DATE
    assert item["regions"][0]["verification"]["mean_absolute_error"] == 7.0
    assert item["stations"][0]["verified"]["observed_aqi"] == 102
    assert client.get("/v1/verification?limit=1&offset=1").json()["items"] == []
    assert_problem(client.get("/v1/verification?limit=-3"), 422)


# --- alerts, runs, health, metrics ----------------------------------------------------------------------------


def test_drills_are_listed_as_drills_never_as_real(client, home):
    body = client.get("/v1/alerts").json()
    drill = next(i for i in body["items"] if i["identifier"] == home.drill_identifier)
    assert drill["status"] == "Exercise" and drill["real"] is False and drill["drill"] is True
    assert "EXERCISE" in drill["label"] and drill["province"] == "Hà Nội"
    assert client.get("/v1/alerts", params={"status": "Actual"}).json()["items"] == []
    xml = client.get(drill["links"]["cap"])
    assert xml.status_code == 200 and xml.headers["content-type"] == "application/cap+xml"
    root = ET.fromstring(xml.content)
    assert root.findtext("{urn:oasis:names:tc:emergency:cap:1.2}status") == "Exercise"
    feed = ET.fromstring(client.get("/v1/alerts.atom").content)
    assert list(feed.iter("{http://www.w3.org/2005/Atom}entry")) == []  # drills stay out of the aggregators' feed
    assert_problem(client.get("/v1/alerts/vn.vnaqi.nothing.1"), 404, "no CAP message")
    assert_problem(client.get("/v1/alerts/ledger.json"), 422)


def test_runs_from_the_catalogue(client):
    body = client.get("/v1/runs").json()
    assert [(r["run_id"], r["status"]) for r in body["items"]] == [(RUN_ID, "published"), (EARLIER_RUN_ID, "published")]
    assert "path" not in body["items"][0] and "config" not in body["items"][0]
    first = client.get("/v1/runs?limit=1").json()
    assert first["page"]["next"] == "/v1/runs?limit=1&offset=1" and len(first["items"]) == 1
    assert client.get("/v1/runs", params={"cycle": EARLIER}).json()["items"][0]["run_id"] == EARLIER_RUN_ID
    detail = client.get(f"/v1/runs/{RUN_ID}").json()
    assert detail["history"][0]["status"] == "running" and detail["history"][-1]["status"] == "published"
    assert_problem(client.get("/v1/runs/2026-11-25T00Z/forecast-v7"), 404, "forecast-v7")
    assert_problem(client.get("/v1/runs?cycle=2026-13-45T99Z"), 422, "cycle")
    assert_problem(client.get("/v1/runs?status=lost"), 422, "status")


def test_health_ok_then_degraded_when_stale(home, client, released_at):
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json()["status"] == "ok"
    assert ok.json()["latest"]["run_id"] == RUN_ID and ok.json()["checks"]["catalogue"]["ok"] is True
    stale = create_app(home.root, clock=lambda: released_at + timedelta(hours=19))
    with TestClient(stale) as test_client:
        response = test_client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert "> 18 h" in response.json()["checks"]["products"]["detail"]


def test_metrics_in_prometheus_text_format(client):
    client.get(f"/v1/stations/{STATION}/forecast")
    client.get("/v1/stations/nowhere/forecast")
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    assert re.search(r'vnaqi_api_requests_total\{method="GET",route="/v1/stations/\{station_id\}/forecast",'
                     r'status="200"\} [1-9]', text)  # fmt: skip
    assert 'route="/v1/stations/{station_id}/forecast",status="404"' in text
    assert "vnaqi_api_request_duration_seconds_bucket" in text and "vnaqi_api_latest_release_age_seconds" in text


# --- errors, path traversal -----------------------------------------------------------------------------------

TRAVERSALS = [
    "/v1/stations/..%2F..%2F..%2Fetc%2Fpasswd/forecast",
    "/v1/stations/%2Fetc%2Fpasswd",
    "/v1/stations/demo%00/forecast",
    "/v1/bulletins/..%2F..%2Fproducts/forecast-v1",
    "/v1/bulletins/2026-11-25T00Z/..%2F..%2F..%2Fetc%2Fpasswd.json",
    "/v1/bulletins/%2Fetc/passwd.txt",
    "/v1/bulletins/2026-11-25T00Z/forecast-v1%00.json",
    "/v1/bulletins/latest.json%00.png",
    "/v1/alerts/..%2Fledger.json",
    "/v1/alerts/vn.vnaqi..%2F..%2F..%2Fetc%2Fpasswd",
    "/v1/alerts/vn.vnaqi.%2Fetc%2Fpasswd",
    "/v1/runs/..%2F..%2Fcatalogue.sqlite/forecast-v1",
    "/v1/stations/%2e%2e/forecast",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_attempts_never_reach_a_file(client, path):
    response = client.get(path)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == PROBLEM
    assert "root:" not in response.text and "SQLite" not in response.text


def test_paths_stay_inside_their_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "link").symlink_to("/etc")
    assert inside(tmp_path, "a") == (tmp_path / "a").resolve()
    for parts in (("..",), ("/etc",), ("a/../..",), ("a\x00",), ("link", "passwd"), ("",), (".",)):
        assert inside(tmp_path, *parts) is None, parts


def test_unknown_paths_and_methods_are_problems(client):
    assert_problem(client.get("/v2/stations"), 404, "/v2/stations")
    assert_problem(client.post("/v1/stations"), 405, "reads are GET")
    assert_problem(client.delete(f"/v1/stations/{STATION}/forecast"), 405)


DOCUMENTED = (
    "/v1/stations", "/v1/stations/{station_id}", "/v1/stations/{station_id}/forecast", "/v1/forecast",
    "/v1/bulletins/latest", "/v1/bulletins/latest.{fmt}", "/v1/bulletins/{cycle}/{run}", "/v1/feed.atom",
    "/v1/alerts", "/v1/runs", "/v1/runs/{cycle}/{run}", "/v1/verification", "/healthz", "/metrics",
)  # fmt: skip


def test_openapi_documents_every_read_with_schemas_and_examples(client):
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path in DOCUMENTED:
        assert "200" in paths[path]["get"]["responses"], path
    forecast = paths["/v1/stations/{station_id}/forecast"]["get"]
    assert forecast["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("StationForecast")
    assert forecast["responses"]["404"]["content"][PROBLEM]["schema"]["$ref"].endswith("Problem")
    assert "confidence" in forecast["description"].lower()
    schema = document["components"]["schemas"]["StationForecast"]
    assert schema["examples"][0]["daily"][0]["category_probabilities"]
    assert "hour_ending" in document["components"]["schemas"]["Hourly"]["properties"]


# --- a home with nothing published ------------------------------------------------------------------------------


def test_an_empty_home_answers_empty_lists_404s_and_is_down(empty_client):
    health = empty_client.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "down"
    assert "nothing published" in health.json()["checks"]["products"]["detail"]
    assert empty_client.get("/v1/stations").json()["items"] == []
    assert empty_client.get("/v1/runs").json()["items"] == []
    assert empty_client.get("/v1/alerts").json()["items"] == []
    assert empty_client.get("/v1/bulletins").json()["items"] == []
    assert_problem(empty_client.get(f"/v1/stations/{STATION}/forecast"), 404, "no forecast has been published")
    assert_problem(empty_client.get("/v1/forecast?lat=21&lon=105"), 404, "no forecast has been published")
    assert_problem(empty_client.get("/v1/bulletins/latest.json"), 404, "no bulletin")
    assert_problem(empty_client.get(f"/v1/runs/{RUN_ID}"), 404, "no run catalogue")


def test_the_api_writes_nothing_into_an_empty_home(tmp_path):
    with TestClient(create_app(tmp_path)) as test_client:
        for url in ("/healthz", "/v1/stations", "/v1/runs", "/v1/alerts", "/v1/bulletins", "/v1/feed.atom"):
            test_client.get(url)
    assert list(tmp_path.iterdir()) == []


# --- vnaqi serve ------------------------------------------------------------------------------------------------


def test_serve_options_start_factory_workers():
    options = uvicorn_options(Path("/srv/vnaqi"), host="0.0.0.0", port=8080, workers=2)
    assert options["app"] == "api.app:app_from_env" and options["factory"] is True
    assert (options["host"], options["port"], options["workers"]) == ("0.0.0.0", 8080, 2)
    assert options["access_log"] is False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_vnaqi_serve_starts_and_answers_healthz(home):
    port = _free_port()
    launcher = "from forecast.cli import app; app()"
    command = [sys.executable, "-c", launcher, "serve", "--home", str(home.root), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "vnaqi serve did not answer within 30 s"
                time.sleep(0.2)
        assert response.status_code in (200, 503) and response.json()["latest"]["run_id"] == RUN_ID
        forecast = httpx.get(f"http://127.0.0.1:{port}/v1/stations/{STATION}/forecast", timeout=5)
        assert forecast.status_code == 200 and forecast.json()["run_id"] == RUN_ID
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_health_time_is_the_clock_with_offset(client, released_at):
    body = client.get("/healthz").json()
    assert ISO_WITH_OFFSET.match(body["time"])
    assert datetime.fromisoformat(body["time"]) == released_at + timedelta(hours=1)
    assert body["latest"]["age_hours"] == 1.0
