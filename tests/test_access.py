"""Users, API keys, the audit log and category overrides in the run catalogue, bad input included."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.catalogue import AccessError, RunCatalogue, UnknownRun
from forecast.catalogue.secrets import hash_password, key_prefix, verify_password


@pytest.fixture
def catalogue(tmp_path):
    with RunCatalogue(home_root=tmp_path) as cat:
        yield cat


def _complete_run(cat: RunCatalogue, cycle: str = "2026-11-22T00Z") -> str:
    run = cat.start_run(cycle)
    cat.set_path(run.run_id, "/nonexistent")
    cat.finish(run.run_id, "complete")
    return run.run_id


def test_users_are_checked_and_only_password_hashes_are_stored(catalogue, tmp_path):
    user = catalogue.add_user("Nguyễn Văn An", "forecaster", "một mật khẩu dài", by="admin")
    assert user.role == "forecaster" and user.active
    for name, role, password, message in [
        ("Nguyễn Văn An", "forecaster", "another long password", "already exists"),
        ("Bình", "owner", "another long password", "unknown role 'owner'"),
        ("Bình", "admin", "short", "at least 12 characters"),
        ("", "admin", "another long password", "user name ''"),
        ("a/b", "admin", "another long password", "user name 'a/b'"),
    ]:
        with pytest.raises(AccessError, match=message):
            catalogue.add_user(name, role, password, by="admin")
    assert [u.name for u in catalogue.users()] == ["Nguyễn Văn An"]  # nothing half-made
    rows = sqlite3.connect(tmp_path / "catalogue.sqlite").execute("select password_hash from users").fetchall()
    assert rows[0][0].startswith("scrypt$16384$8$1$") and "một mật khẩu dài" not in rows[0][0]
    assert catalogue.authenticate("Nguyễn Văn An", "một mật khẩu dài") == user
    assert catalogue.authenticate("Nguyễn Văn An", "một mật khẩu sai") is None
    assert catalogue.authenticate("nobody", "một mật khẩu dài") is None
    catalogue.add_user("robot", "forecaster", None, by="admin")
    assert catalogue.authenticate("robot", "") is None  # a key-only user cannot log in


def test_api_keys_work_until_revoked_and_are_stored_hashed(catalogue, tmp_path):
    catalogue.add_user("An", "admin", "correct horse battery", by="root")
    key, record = catalogue.create_api_key("An", label="dashboard", by="root")
    assert key_prefix(key) == record.prefix and key.startswith(f"vnaqi_{record.prefix}_")
    assert catalogue.user_for_key(key).name == "An"
    for bad in (key + "x", key[:-1], "vnaqi_00000000_" + key.split("_", 2)[2], "", "Bearer " + key, "vnaqi_x"):
        assert catalogue.user_for_key(bad) is None, bad
    stored = sqlite3.connect(tmp_path / "catalogue.sqlite").execute("select key_hash from api_keys").fetchall()
    assert key not in str(stored) and len(stored[0][0]) == 64
    with pytest.raises(AccessError, match="no user 'Bình'"):
        catalogue.create_api_key("Bình", by="root")
    catalogue.revoke_api_key(record.prefix, by="root")
    assert catalogue.user_for_key(key) is None
    with pytest.raises(AccessError, match="no API key with prefix 'ffffffff'"):
        catalogue.revoke_api_key("ffffffff", by="root")
    actions = [(a.actor, a.action, a.target) for a in catalogue.audit_log()]
    assert actions == [("root", "key.revoke", "An"), ("root", "key.create", "An"), ("root", "user.add", "An")]


def test_approvals_publications_and_overrides_are_audited(catalogue):
    run_id = _complete_run(catalogue)
    catalogue.approve(run_id, by="An", note="checked D1")
    catalogue.publish(run_id, by="An")
    override = catalogue.add_override(run_id, station_id="hn-1", day="D2", category=4,
                                      reason="Đốt rơm rạ ngoài mô hình", by="An")  # fmt: skip
    assert override.at.tzinfo is not None
    log = catalogue.audit_log()
    assert [a.action for a in log] == ["override", "run.publish", "run.approve"]
    assert log[0].target == f"{run_id}/hn-1/D2" and log[0].detail == {"category": 4,
                                                                      "reason": "Đốt rơm rạ ngoài mô hình"}  # fmt: skip
    assert catalogue.audit_log(target=run_id)[-1].detail == {"note": "checked D1"}


def test_overrides_need_a_reason_and_a_real_run_and_the_latest_wins(catalogue):
    run_id = _complete_run(catalogue)
    good = {"station_id": "hn-1", "day": "D1", "category": 3, "reason": "sương mù dày đặc", "by": "An"}
    for change, message in [
        ({"day": "D4"}, "day 'D4' must be one of D1, D2, D3"),
        ({"category": 7}, "category 7 must be a VN_AQI category"),
        ({"category": 0}, "category 0 must be"),
        ({"reason": "vì"}, "a reason of 10–1000 characters"),
        ({"reason": "   "}, "a reason of 10–1000"),
        ({"by": " "}, "needs who makes it"),
        ({"station_id": ""}, "station id ''"),
    ]:
        with pytest.raises(AccessError, match=message):
            catalogue.add_override(run_id, **{**good, **change})
    with pytest.raises(UnknownRun):
        catalogue.add_override("2026-11-22T00Z/forecast-v9", **good)
    failed = catalogue.start_run("2026-11-22T12Z")
    catalogue.finish(failed.run_id, "failed", error="boom")
    with pytest.raises(AccessError, match="is failed"):
        catalogue.add_override(failed.run_id, **good)
    assert catalogue.overrides(run_id) == [] and catalogue.audit_log() == []
    catalogue.add_override(run_id, **good)
    catalogue.add_override(run_id, **{**good, "category": 5, "reason": "khói cháy rừng lan tới"})
    catalogue.add_override(run_id, **{**good, "day": "D2"})
    latest = {(o.station_id, o.day): (o.category, o.reason) for o in catalogue.overrides(run_id)}
    assert latest == {("hn-1", "D1"): (5, "khói cháy rừng lan tới"), ("hn-1", "D2"): (3, "sương mù dày đặc")}


@settings(max_examples=8, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_a_password_verifies_against_its_own_hash_only(password):
    stored = hash_password(password)
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)
    assert stored != hash_password(password)  # salted


def test_malformed_stored_hashes_never_verify():
    for stored in (None, "", "md5$abc", "scrypt$x$8$1$AAAA$AAAA", "scrypt$16384$8$1$!!$AAAA"):
        assert not verify_password("anything", stored)


def test_catalogue_times_stay_utc(catalogue):
    catalogue.add_user("An", "admin", None, by="root")
    assert catalogue.users()[0].created_at.tzinfo == UTC
    assert catalogue.users()[0].created_at <= datetime.now(UTC)
