"""CAP 1.2 emergency alerts: the 3-day VN_AQI ≥ 300 rule, Alert/Update/Cancel through the ledger, drills,
bad input (HTML, diacritics, unapproved runs), and validity against the OASIS CAP 1.2 XSD."""

from __future__ import annotations

import hashlib
import json
import logging
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import xmlschema
from typer.testing import CliRunner

from bulletins.cap import LOCAL_TZ, CapError, CapMessage, cap_time, check_token
from bulletins.cap_ledger import cap_folder, read_ledger
from bulletins.cap_rule import area_key, certainty, urgency
from bulletins.cap_text import DRILL_MARK, NOT_REVIEWED
from bulletins.emergency import emergency_messages
from forecast.catalogue import RunCatalogue
from forecast.cli import app

XSD = Path(__file__).parent / "data" / "cap" / "CAP-v1.2.xsd"
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
CAP_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _root_log_handlers():
    """The CLI's logging setup binds a handler to CliRunner's stream; drop it after each test."""
    before = list(logging.root.handlers)
    yield
    logging.root.handlers[:] = before


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(XSD)


def _station(sid: str, province: str, aqis, first: date, *, name_vi: str | None = None, p6=(0.8, 0.9, 0.85),
             lat: float = 21.02, lon: float = 105.82, status: dict | None = None) -> dict:  # fmt: skip
    days = []
    for i, aqi in enumerate(aqis):
        probs = None if p6 is None else {"1": 0, "2": 0, "3": 0, "4": 0, "5": round(1 - p6[i], 3), "6": p6[i]}
        category = None if aqi is None else (6 if aqi > 300 else 5 if aqi > 200 else 4)
        days.append({"day": f"D{i + 1}", "date": (first + timedelta(days=i)).isoformat(), "aqi": aqi,
                     "category": category, "dominant_pollutant": "pm25", "observed_hours": 7 if i == 0 else 0,
                     "forecast_hours": 17 if i == 0 else 24, "category_probabilities": probs})  # fmt: skip
    return {"id": sid, "name_vi": name_vi or f"Trạm {sid}", "name_en": f"Station {sid}", "province": province,
            "latitude": lat, "longitude": lon, "observed": None, "status": status or {}, "hourly": [],
            "daily": days}  # fmt: skip


def _run(home: Path, cycle: str, stations: list[dict], *, version: int = 1, synthetic: bool = False) -> Path:
    """A complete run folder written by hand (schema vnaqi.forecast/1, daily part only)."""
    run_dir = home / "runs" / cycle / f"forecast-v{version}"
    run_dir.mkdir(parents=True)
    run_id = f"{cycle}/forecast-v{version}"
    document = {"schema": "vnaqi.forecast/1", "synthetic": synthetic, "cycle": cycle, "time_zone": "Asia/Ho_Chi_Minh",
                "provenance": {"run_id": run_id}, "stations": stations}  # fmt: skip
    (run_dir / "forecast.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    manifest = {"run_id": run_id, "cycle": cycle, "synthetic": synthetic, "fallbacks": []}
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run_dir


def _hazardous(home: Path, cycle: str, first: date, aqis=(356, 372, 341), **kw) -> Path:
    return _run(home, cycle, [
        _station("hn-a", "Hà Nội", aqis, first, lat=21.0219, lon=105.8188),
        _station("hn-b", "Hà Nội", (330, 310, 305), first, lat=21.0490, lon=105.7410),
        _station("hn-c", "Hà Nội", (280, 320, 330), first),  # 2 of 3 days: not in the area
        _station("hcm-a", "TP. Hồ Chí Minh", (320, 330, 340), first, lat=10.7828, lon=106.7004),
    ], **kw)  # fmt: skip


def _parse(home: Path, message: CapMessage) -> ET.Element:
    return ET.fromstring((cap_folder(home) / message.filename).read_bytes())


def _texts(root: ET.Element, path: str) -> list[str]:
    return [e.text or "" for e in root.findall(path, NS)]


T0 = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 12:00 local, after the 00 UTC cycle


def test_three_days_at_or_above_300_give_one_valid_alert_per_province(home, schema):
    issued = emergency_messages(home, _hazardous(home, "2026-11-25T00Z", date(2026, 11, 25)), now=T0)
    assert sorted(m.infos[0].areas[0].desc.split(" (")[0] for m in issued) == ["Hà Nội", "TP. Hồ Chí Minh"]
    hanoi = next(m for m in issued if ".ha-noi." in m.identifier)
    root = _parse(home, hanoi)
    schema.validate(cap_folder(home) / hanoi.filename)
    assert hanoi.identifier.startswith("vn.vnaqi.2026-11-25T00Z.ha-noi.")
    assert _texts(root, "cap:status") == ["Actual"] and _texts(root, "cap:msgType") == ["Alert"]
    assert _texts(root, "cap:sender") == ["vnaqi@localhost"] and _texts(root, "cap:scope") == ["Public"]
    assert _texts(root, "cap:sent") == ["2026-11-25T12:00:00+07:00"]
    assert _texts(root, "cap:info/cap:language") == ["vi-VN", "en-US"]
    assert _texts(root, "cap:info/cap:category") == ["Env", "Env"]
    assert _texts(root, "cap:info/cap:onset") == ["2026-11-25T00:00:00+07:00"] * 2
    assert _texts(root, "cap:info/cap:expires") == ["2026-11-28T00:00:00+07:00"] * 2
    assert _texts(root, "cap:info/cap:urgency") == ["Immediate"] * 2
    assert _texts(root, "cap:info/cap:severity") == ["Severe"] * 2
    assert _texts(root, "cap:info/cap:certainty") == ["Likely"] * 2  # min P(cat 6) over the days: 0.8
    circles = _texts(root, "cap:info[1]/cap:area/cap:circle")
    assert circles == ["21.02190,105.81880 10", "21.04900,105.74100 10"]  # lat,lon radius_km; hn-c left out
    assert "Hà Nội" in _texts(root, "cap:info[1]/cap:area/cap:areaDesc")[0]
    assert "356" in _texts(root, "cap:info[1]/cap:description")[0]
    assert "Ở trong nhà" in _texts(root, "cap:info[1]/cap:instruction")[0]
    assert "Stay inside" in _texts(root, "cap:info[2]/cap:instruction")[0]
    assert _texts(root, "cap:info[1]/cap:web")[0] == f"http://localhost:8000/cap/{hanoi.identifier}.xml"
    ledger = read_ledger(cap_folder(home))
    assert [e.identifier for e in ledger.entries] == [m.identifier for m in issued]
    assert all(not e.drill and e.track == "actual" for e in ledger.entries)


def test_a_later_run_updates_then_cancels_referencing_earlier_messages(home, schema):
    first = emergency_messages(home, _hazardous(home, "2026-11-25T00Z", date(2026, 11, 25)), now=T0)
    alert = next(m for m in first if ".ha-noi." in m.identifier)
    later = T0 + timedelta(hours=9)  # 21:00 local, after the 12 UTC cycle
    second = emergency_messages(home, _hazardous(home, "2026-11-25T12Z", date(2026, 11, 26)), now=later)
    update = next(m for m in second if ".ha-noi." in m.identifier)
    assert update.msg_type == "Update" and update.references == (alert.reference,)
    assert update.incidents == alert.incidents
    root = _parse(home, update)
    schema.validate(cap_folder(home) / update.filename)
    assert _texts(root, "cap:references") == [f"vnaqi@localhost,{alert.identifier},2026-11-25T12:00:00+07:00"]
    assert _texts(root, "cap:info/cap:onset")[0] == "2026-11-26T00:00:00+07:00"
    assert _texts(root, "cap:info/cap:urgency")[0] == "Expected"  # D1 starts 3 h after sending

    clean = [
        _station("hn-a", "Hà Nội", (250, 180, 150), date(2026, 11, 26)),
        _station("hcm-a", "TP. Hồ Chí Minh", (320, 330, 340), date(2026, 11, 26), lat=10.78, lon=106.7),
    ]
    third = emergency_messages(home, _run(home, "2026-11-26T00Z", clean), now=later + timedelta(hours=12))
    kinds = [(m.msg_type, m.identifier.split(".")[3]) for m in third]
    assert kinds == [("Cancel", "ha-noi"), ("Update", "tp-ho-chi-minh")]
    cancel = third[0]
    assert cancel.references == (alert.reference, update.reference)
    schema.validate(cap_folder(home) / cancel.filename)
    assert _texts(_parse(home, cancel), "cap:info/cap:responseType") == ["AllClear", "AllClear"]

    again = emergency_messages(home, _hazardous(home, "2026-11-26T12Z", date(2026, 11, 27)), now=later + timedelta(1))
    new_alert = next(m for m in again if ".ha-noi." in m.identifier)
    assert new_alert.msg_type == "Alert" and not new_alert.references and new_alert.incidents != alert.incidents


def test_the_same_run_again_or_an_older_cycle_issues_nothing(home):
    run_dir = _hazardous(home, "2026-11-25T12Z", date(2026, 11, 26))
    assert len(emergency_messages(home, run_dir, now=T0)) == 2
    assert emergency_messages(home, run_dir, now=T0 + timedelta(hours=1)) == []
    rerun = _hazardous(home, "2026-11-25T12Z", date(2026, 11, 26), version=2)
    assert emergency_messages(home, rerun, now=T0 + timedelta(hours=2)) == []
    older = _run(home, "2026-11-25T00Z", [_station("hn-a", "Hà Nội", (100, 120, 90), date(2026, 11, 25))])
    assert emergency_messages(home, older, now=T0 + timedelta(hours=3)) == []
    assert len(read_ledger(cap_folder(home)).entries) == 2


def test_expired_alerts_stale_runs_and_runs_without_the_alerted_stations(home):
    emergency_messages(home, _hazardous(home, "2026-11-25T00Z", date(2026, 11, 25)), now=T0)
    other = [_station("hn-z", "Hà Nội", (100, 90, 80), date(2026, 11, 26))]  # a run for another station only
    assert emergency_messages(home, _run(home, "2026-11-25T12Z", other), now=T0 + timedelta(hours=9)) == []
    assert emergency_messages(home, _run(home, "2026-11-20T00Z", []), now=T0) == []  # nothing in it
    stale = _hazardous(home, "2026-11-25T00Z", date(2026, 11, 25), version=2, aqis=(400, 400, 400))
    assert emergency_messages(home, stale, now=T0 + timedelta(days=3)) == []  # its three days are over
    later = emergency_messages(home, _hazardous(home, "2026-11-29T00Z", date(2026, 11, 29)), now=T0 + timedelta(4))
    assert {m.msg_type for m in later} == {"Alert"}  # the first alerts expired on the 28th: new incidents


def test_concurrent_evaluations_of_one_run_issue_each_alert_once(home):
    run_dir = _hazardous(home, "2026-11-25T00Z", date(2026, 11, 25))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: emergency_messages(home, run_dir, now=T0), range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 2]
    assert [e.seq for e in read_ledger(cap_folder(home)).entries] == [1, 2]


def test_fallbacks_station_flags_and_drill_runs_are_visible(home, schema):
    flagged = _station("hn-a", "Hà Nội", (356, 372, 341), date(2026, 11, 25), p6=None,
                       status={"no_recent_observations": True, "note": "last observation 12 h ago"})  # fmt: skip
    run_dir = _run(home, "2026-11-25T00Z", [flagged])
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["fallbacks"] = [{"step": "nwp-missing", "detail": "no NWP"}] * 2
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    (exercise,) = emergency_messages(home, run_dir, now=T0, drill=True)
    assert exercise.status == "Exercise" and exercise.identifier.startswith("vn.vnaqi.drill.")
    vi, en = (i.description for i in exercise.infos)
    assert "fallbacks: nwp-missing" in vi and vi.count("nwp-missing") == 1 and "no recent observations" in en
    assert {i.certainty for i in exercise.infos} == {"Unknown"}  # no category probabilities in this run
    schema.validate(cap_folder(home) / exercise.filename)
    (real,) = emergency_messages(home, run_dir, now=T0)
    assert real.msg_type == "Alert" and real.status == "Actual" and not real.references


@pytest.mark.parametrize("aqis", [(356, 372, 299), (299, 372, 356), (356, None, 400), (400, 400)])
def test_fewer_than_three_days_at_or_above_300_issue_nothing(home, aqis):
    stations = [_station("hn-a", "Hà Nội", aqis, date(2026, 11, 25), p6=None)]
    assert emergency_messages(home, _run(home, "2026-11-25T00Z", stations), now=T0) == []
    assert not cap_folder(home).joinpath("ledger.json").exists()


def test_exactly_300_on_three_days_is_an_emergency_with_a_lower_bound_probability(home, schema):
    stations = [_station("hn-a", "Hà Nội", (300, 300, 300), date(2026, 11, 25), p6=(0.4, 0.3, 0.45))]
    (message,) = emergency_messages(home, _run(home, "2026-11-25T00Z", stations), now=T0)
    assert {i.certainty for i in message.infos} == {"Possible"}
    assert ("P_VN_AQI_ABOVE_300_ALL_DAYS", "0.30") in message.infos[0].parameters
    schema.validate(cap_folder(home) / message.filename)


def test_html_and_control_characters_in_names_are_escaped_and_the_xml_parses(home, schema):
    name = "<script>alert(1)</script> Hà Nội & Đống Đa\x07"
    stations = [_station("hn-x", "Hà Nội <b>", (356, 372, 341), date(2026, 11, 25), name_vi=name)]
    (message,) = emergency_messages(home, _run(home, "2026-11-25T00Z", stations), now=T0)
    raw = (cap_folder(home) / message.filename).read_bytes()
    assert b"<script>" not in raw and b"&lt;script&gt;" in raw and b"\x07" not in raw
    schema.validate(cap_folder(home) / message.filename)
    root = ET.fromstring(raw)
    assert "<script>alert(1)</script> Hà Nội & Đống Đa" in _texts(root, "cap:info[1]/cap:description")[0]
    assert _texts(root, "cap:info[1]/cap:area/cap:areaDesc")[0].startswith("Hà Nội <b> (trạm: <script>")
    assert message.identifier.split(".")[3] == "ha-noi-b"


def test_unapproved_runs_carry_a_caveat_and_approval_later_updates_without_it(home, schema):
    run_dir = _hazardous(home, "2026-11-25T00Z", date(2026, 11, 25))
    with RunCatalogue(home_root=home) as catalogue:
        run = catalogue.start_run("2026-11-25T00Z")
        catalogue.finish(run.run_id, "complete")
    first = emergency_messages(home, run_dir, now=T0)
    for message in first:
        assert all(NOT_REVIEWED in i.description for i in message.infos)
        assert ("REVIEWED", "false") in message.infos[0].parameters
    assert {e.reviewed for e in read_ledger(cap_folder(home)).entries} == {False}
    with RunCatalogue(home_root=home) as catalogue:
        catalogue.approve(run.run_id, by="Lan")
    second = emergency_messages(home, run_dir, now=T0 + timedelta(minutes=30))
    assert [m.msg_type for m in second] == ["Update", "Update"]
    assert all(NOT_REVIEWED not in i.description for m in second for i in m.infos)
    entries = read_ledger(cap_folder(home)).entries
    assert entries[-1].reviewed and entries[-1].approved_by == "Lan" and entries[-1].catalogue_status == "approved"
    schema.validate(cap_folder(home) / second[0].filename)


def test_synthetic_runs_are_cap_test_messages_with_a_caveat(home, schema):
    run_dir = _hazardous(home, "2026-11-25T00Z", date(2026, 11, 25), synthetic=True)
    issued = emergency_messages(home, run_dir, now=T0)
    assert {m.status for m in issued} == {"Test"} and all(".test." in m.identifier for m in issued)
    assert all("SYNTHETIC DATA" in i.description for m in issued for i in m.infos)
    schema.validate(cap_folder(home) / issued[0].filename)


def test_drill_is_an_exercise_and_a_later_real_alert_is_not_its_update(home, schema):
    result = runner.invoke(app, ["alert", "drill", "--province", "ha noi", "--home", str(home),
                                 "--sender", "cem@monre.gov.vn", "--base-url", "https://aqi.example.vn"])  # fmt: skip
    assert result.exit_code == 0, result.output
    (entry,) = read_ledger(cap_folder(home)).entries
    assert entry.drill and entry.status == "Exercise" and entry.province == "Hà Nội"
    path = cap_folder(home) / entry.file
    assert str(path) in result.output.replace("\n", "")
    schema.validate(path)
    root = ET.fromstring(path.read_bytes())
    assert _texts(root, "cap:status") == ["Exercise"] and _texts(root, "cap:sender") == ["cem@monre.gov.vn"]
    words = _texts(root, "cap:info/cap:headline") + _texts(root, "cap:info/cap:description")
    assert len(words) == 4 and all(DRILL_MARK in t for t in words)
    assert DRILL_MARK in _texts(root, "cap:note")[0]
    assert _texts(root, "cap:info/cap:web")[0].startswith("https://aqi.example.vn/cap/vn.vnaqi.drill.")
    assert len(_texts(root, "cap:info[1]/cap:area/cap:circle")) >= 2  # every Hà Nội air-quality station

    real = emergency_messages(home, _hazardous(home, "2026-11-25T00Z", date(2026, 11, 25)), now=T0)
    hanoi = next(m for m in real if ".ha-noi." in m.identifier)
    assert hanoi.msg_type == "Alert" and hanoi.status == "Actual" and not hanoi.references


def test_drill_of_an_unknown_province_names_the_known_ones(home):
    result = runner.invoke(app, ["alert", "drill", "--province", "Atlantis", "--home", str(home)])
    assert result.exit_code == 2 and "Atlantis" in result.output and "Hà Nội" in result.output


def test_cli_evaluates_a_run_by_id_once_and_lists_the_ledger(home, schema):
    today = datetime.now(UTC).astimezone(LOCAL_TZ).date()  # the CLI sends at the wall-clock time
    cycle = f"{today:%Y-%m-%d}T00Z"
    _hazardous(home, cycle, today)
    args = ["alert", "emergency", "--run", f"{cycle}/forecast-v1", "--home", str(home)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Alert" in first.output and "Hà Nội" in first.output
    for path in cap_folder(home).glob("vn.vnaqi.*.xml"):
        schema.validate(path)
    second = runner.invoke(app, args)
    assert second.exit_code == 0 and "No CAP message issued" in second.output
    listed = runner.invoke(app, ["alert", "list", "--home", str(home)])
    assert listed.exit_code == 0 and "TP. Hồ Chí Minh" in listed.output


def test_cli_names_the_file_and_field_of_a_bad_forecast(home):
    run_dir = _run(home, "2026-11-25T00Z", [{"id": "hn-a", "province": "Hà Nội", "longitude": 105.8, "daily": []}])
    result = runner.invoke(app, ["alert", "emergency", "--run", str(run_dir), "--home", str(home)])
    assert result.exit_code == 2
    assert "forecast.json" in result.output and "latitude" in result.output
    missing = runner.invoke(app, ["alert", "emergency", "--run", "2026-01-01T00Z/forecast-v9", "--home", str(home)])
    assert missing.exit_code == 2 and "no run folder" in missing.output
    cap_folder(home).mkdir(parents=True)
    (cap_folder(home) / "ledger.json").write_text('{"schema": "something else"}')
    listed = runner.invoke(app, ["alert", "list", "--home", str(home)])
    assert listed.exit_code == 2 and "ledger.json" in listed.output and "'schema'" in listed.output
    assert (cap_folder(home) / "ledger.json").read_text() == '{"schema": "something else"}'  # left as it was


def test_cap_times_tokens_and_mappings():
    assert cap_time(datetime(2026, 11, 24, 23, 30, 5, 123456, tzinfo=UTC)) == "2026-11-25T06:30:05+07:00"
    with pytest.raises(CapError):
        cap_time(datetime(2026, 11, 25, 6, 30))
    for bad in ("a b", "a,b", "a<b", "a&b", ""):
        with pytest.raises(CapError):
            check_token(bad, "identifier")
    assert area_key("TP. Hồ Chí Minh") == "tp-ho-chi-minh" and area_key("Đà Nẵng") == "da-nang"
    assert area_key("<<>>").startswith("province-")
    sent = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert urgency(sent - timedelta(hours=1), sent) == "Immediate"
    assert urgency(sent + timedelta(hours=3), sent) == "Expected"
    assert urgency(sent + timedelta(days=2), sent) == "Future"
    assert [certainty(p) for p in (None, 0.0, 0.5, 0.51)] == ["Unknown", "Possible", "Possible", "Likely"]


def test_the_vendored_schema_is_the_documented_copy_and_rejects_broken_messages(home, schema):
    assert hashlib.sha256(XSD.read_bytes()).hexdigest().startswith("f6c6ed7537a46396")  # see tests/data/cap/README.md
    stations = [_station("hn-a", "Hà Nội", (356, 372, 341), date(2026, 11, 25))]
    (message,) = emergency_messages(home, _run(home, "2026-11-25T00Z", stations), now=T0)
    good = (cap_folder(home) / message.filename).read_text(encoding="utf-8")
    assert schema.is_valid(good)
    for old, new in [("+07:00</sent>", "Z</sent>"), (":00+07:00</sent>", ":00.5+07:00</sent>"),
                     ("<status>Actual", "<status>Real"), ("<category>Env", "<category>Pollution")]:  # fmt: skip
        assert not schema.is_valid(good.replace(old, new, 1)), new
