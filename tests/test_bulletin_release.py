"""Bulletin release end to end on a SYNTHETIC archive: products/<cycle> and products/latest as plain files,
"latest" only ever a released bulletin, the review policy (forecaster approval, unreviewed release at the
deadline), forecaster edits and yesterday's verification."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs.networks import registry_for_home
from configs.settings import HomeLayout
from forecast.aqi import daily_aqi
from forecast.catalogue import RunCatalogue
from forecast.cycle.publish import published_run, release_info
from met_inputs.observations.archive import ObservationArchive
from tests.cycle_helpers import run, trained_home

END = pd.Timestamp("2026-01-20T00:00Z")  # last observation
CYCLE = "2026-01-20T00Z"
PREVIOUS = "2026-01-18T12Z"  # its D1 is 19/01, the last complete local day before CYCLE


def _bulletin(folder: Path) -> dict:
    return json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = trained_home(tmp_path_factory.mktemp("release-home"), END, days=45, seed=5, train_to="2025-12-31",
                        valid_to="2026-01-12", lead_stride=6)  # fmt: skip
    (home / "cycle.yaml").write_text("pollutants: [pm25]\n")
    for cycle in (PREVIOUS, CYCLE):
        result = run(home, "run", "--cycle", cycle)
        assert result.exit_code == 0, result.output
    return home


def test_an_unattended_release_puts_the_run_and_its_bulletin_under_products(home):
    layout = HomeLayout(home)
    latest = layout.products / "latest"
    info = release_info(layout.products)
    assert info["run_id"] == f"{CYCLE}/forecast-v1" and info["reviewed"] is False
    assert info["released_by"].startswith("vnaqi run (unattended policy")
    run_dir = published_run(layout.products)
    assert run_dir == (home / "runs" / CYCLE / "forecast-v1").resolve()
    for name in ("forecast.json", "manifest.json", "bulletin.vi.html", "bulletin.en.txt", "card.01.vi.png"):
        assert (latest / name).is_file(), name
    assert os.path.samefile(latest / "forecast.json", run_dir / "forecast.json")  # a hard link, not a copy
    assert stat.S_IMODE(latest.resolve().stat().st_mode) & 0o055 == 0o055  # a web server can list and read it
    text = (latest / "bulletin.vi.txt").read_text(encoding="utf-8")
    assert "Bản tin chưa được dự báo viên duyệt." in text
    assert "Phương án dự phòng: no NWP" in text  # this home has no gridded inputs: the fallback is visible
    assert (layout.products / PREVIOUS / "bulletin.vi.html").is_file()  # each cycle keeps its own release


def test_yesterday_verification_scores_the_previous_day_ahead_forecast(home):
    bulletin = _bulletin(HomeLayout(home).products / "latest")
    assert bulletin["verification_date"] == "2026-01-19"
    assert bulletin["verification_run"] == f"{PREVIOUS}/forecast-v1"
    previous = json.loads((home / "runs" / PREVIOUS / "forecast-v1" / "forecast.json").read_text(encoding="utf-8"))
    d1 = {s["id"]: s["daily"][0] for s in previous["stations"]}
    assert {d["date"] for d in d1.values()} == {"2026-01-19"}
    registry = registry_for_home(home / "networks")
    obs = ObservationArchive(HomeLayout(home), registry).to_dataset(
        list(d1), pd.Timestamp("2026-01-18T09:00"), pd.Timestamp("2026-01-19T17:00")
    )
    daily = daily_aqi(obs, "Asia/Ho_Chi_Minh").sel(date=np.datetime64("2026-01-19"))
    scored = 0
    for region in bulletin["regions"]:
        for station in region["stations"]:
            verified = station["verified"]
            observed = float(daily["aqi"].sel(station=station["id"]))
            if not np.isfinite(observed):
                assert verified is None
                continue
            scored += 1
            assert verified["forecast_aqi"] == d1[station["id"]]["aqi"]
            assert verified["observed_aqi"] == int(round(observed))
        rows = [s["verified"] for s in region["stations"] if s["verified"]]
        if rows:
            errors = [r["forecast_aqi"] - r["observed_aqi"] for r in rows]
            assert region["verification"]["stations"] == len(rows)
            assert region["verification"]["mean_absolute_error"] == round(float(np.mean(np.abs(errors))), 1)
            exact = sum(r["forecast_category"] == r["observed_category"] for r in rows)
            assert region["verification"]["exact_category"] == exact
    assert scored > 0
    text = (HomeLayout(home).products / "latest" / "bulletin.vi.txt").read_text(encoding="utf-8")
    assert "Ngày 19/01: đúng mức ở" in text


def test_review_required_keeps_latest_on_the_last_released_bulletin_until_approval(home):
    layout = HomeLayout(home)
    (home / "cycle.yaml").write_text("pollutants: [pm25]\nreview:\n  required: true\n")
    before = release_info(layout.products)
    made = run(home, "run", "--cycle", CYCLE)
    assert made.exit_code == 0, made.output
    assert "Draft bulletin (not released)" in made.output
    run_id = f"{CYCLE}/forecast-v2"
    assert RunCatalogue(home_root=home).get(run_id).status == "complete"
    assert release_info(layout.products) == before  # never an unapproved "latest"
    draft = home / "bulletins" / CYCLE / "forecast-v2" / "bulletin-v1"
    assert _bulletin(draft)["released"] is False
    assert "BẢN NHÁP" in (draft / "bulletin.vi.html").read_text(encoding="utf-8")
    assert "forecast-v2" not in (home / "bulletins" / "feed.atom").read_text(encoding="utf-8")  # drafts stay out

    # The forecaster rewrites the Hà Nội headline and adds a note, then approves: released, reviewed.
    headline = "Hà Nội: sương mù và nghịch nhiệt, không khí Kém vào sáng mai."
    edited = run(home, "bulletin", "edit", run_id, "--by", "Nguyễn An", "--province", "Hà Nội",
                 "--headline-vi", headline, "--note-vi", "Theo dõi thêm trạm <Đống Đa>.")  # fmt: skip
    assert edited.exit_code == 0, edited.output
    assert (home / "bulletins" / CYCLE / "forecast-v2" / "bulletin-v2").is_dir()  # a new draft version
    approved = run(home, "runs", "approve", run_id, "--by", "Nguyễn An")
    assert approved.exit_code == 0, approved.output
    info = release_info(layout.products)
    assert info["run_id"] == run_id and info["reviewed"] is True and info["approved_by"] == "Nguyễn An"
    page = (layout.products / "latest" / "bulletin.vi.html").read_text(encoding="utf-8")
    assert headline in page and "duyệt bởi Nguyễn An" in page and "BẢN NHÁP" not in page
    assert "Theo dõi thêm trạm &lt;Đống Đa&gt;." in page  # the forecaster's text is escaped like any other
    assert "biên tập bởi Nguyễn An" in page
    assert "Bản tin chưa được dự báo viên duyệt." not in (layout.products / "latest" / "bulletin.vi.txt").read_text(
        encoding="utf-8"
    )
    released = _bulletin(layout.products / "latest")
    hanoi = next(r for r in released["regions"] if r["name"] == "Hà Nội")
    assert hanoi["headline"]["vi"] == headline and hanoi["headline_auto"]["vi"].startswith("Hà Nội: chất lượng")

    # An edit to the released bulletin is released at once; the earlier release stays for its readers.
    old = (layout.products / "latest").resolve()
    result = run(home, "bulletin", "edit", run_id, "--by", "Trần Bình", "--note-en", "Fog likely.")
    assert result.exit_code == 0, result.output
    new = (layout.products / "latest").resolve()
    assert new != old and old.is_dir() and (layout.products / CYCLE).resolve() == new
    assert "Fog likely." in (layout.products / "latest" / "bulletin.en.html").read_text(encoding="utf-8")

    # A forecaster overrides a station's D2 category with a reason: released again, shown beside the model's.
    station = hanoi["stations"][0]
    model_category = station["days"][1]["category"]
    new_category = 5 if model_category != 5 else 4
    too_short = run(home, "runs", "override", run_id, "--station", station["id"], "--day", "D2", "--category",
                    str(new_category), "--reason", "vì", "--by", "Nguyễn An")  # fmt: skip
    assert too_short.exit_code == 2 and "a reason of 10–1000 characters" in too_short.output
    unknown = run(home, "runs", "override", run_id, "--station", "nowhere", "--day", "D2", "--category", "5",
                  "--reason", "khói cháy rừng lan tới", "--by", "Nguyễn An")  # fmt: skip
    assert unknown.exit_code == 2 and "station 'nowhere' is not in" in unknown.output
    reason = "Khói cháy rừng <Sóc Sơn> lan tới"
    overridden = run(home, "runs", "override", run_id, "--station", station["id"], "--day", "D2", "--category",
                     str(new_category), "--reason", reason, "--by", "Nguyễn An")  # fmt: skip
    assert overridden.exit_code == 0, overridden.output
    released = _bulletin(layout.products / "latest")
    row = next(s for r in released["regions"] for s in r["stations"] if s["id"] == station["id"])
    assert row["days"][1]["category"] == new_category
    assert row["days"][1]["override"]["category_model"] == model_category
    assert row["days"][1]["aqi"] == station["days"][1]["aqi"]  # the model's number is kept
    page = (layout.products / "latest" / "bulletin.vi.html").read_text(encoding="utf-8")
    assert "Khói cháy rừng &lt;Sóc Sơn&gt; lan tới (Nguyễn An)" in page and "Điều chỉnh của dự báo viên" in page
    log = run(home, "audit", "--limit", "20")
    assert log.exit_code == 0
    for action in ("override", "bulletin.edit", "run.publish", "run.approve"):
        assert action in log.output, action


def test_bad_edits_are_refused_and_nothing_is_written(home):
    run_id = f"{PREVIOUS}/forecast-v1"
    edits_file = home / "bulletins" / PREVIOUS / "forecast-v1" / "edits.jsonl"
    versions = sorted(p.name for p in edits_file.parent.glob("bulletin-v*"))
    cases = [
        (["--province", "Atlantis", "--headline-vi", "x"], "province 'Atlantis' is not in this run"),
        (["--headline-vi", "x"], "a headline edit needs --province"),
        (["--note-vi", "y" * 601], "at most 600"),
        (["--note-en", "bell\x07"], "control character"),
        ([], "nothing to edit"),
    ]
    for args, message in cases:
        result = run(home, "bulletin", "edit", run_id, "--by", "An", *args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    blank_author = run(home, "bulletin", "edit", run_id, "--by", " ", "--note-vi", "ok")
    assert blank_author.exit_code == 2 and "forecaster's name" in blank_author.output
    unknown = run(home, "bulletin", "edit", "2026-01-20T00Z/forecast-v9", "--by", "An", "--note-vi", "ok")
    assert unknown.exit_code == 2 and "no run '2026-01-20T00Z/forecast-v9'" in unknown.output
    assert not edits_file.exists()
    assert sorted(p.name for p in edits_file.parent.glob("bulletin-v*")) == versions


def test_the_scheduler_releases_an_unapproved_run_at_the_bulletin_deadline(home):
    layout = HomeLayout(home)
    (home / "cycle.yaml").write_text("pollutants: [pm25]\nreview:\n  required: true\n")
    cycle = "2026-01-19T12Z"  # bulletin due 05:30 local on 20/01 = 22:30Z on 19/01
    made = run(home, "run", "--cycle", cycle)
    assert made.exit_code == 0, made.output
    assert published_run(layout.products, cycle) is None
    early = run(home, "schedule", "--now", "2026-01-19T22:00Z")
    assert early.exit_code == 0, early.output
    assert f"cycle {cycle}: review" in early.output and published_run(layout.products, cycle) is None
    late = run(home, "schedule", "--now", "2026-01-19T22:31Z")
    assert late.exit_code == 0, late.output
    assert f"cycle {cycle}: release" in late.output
    info = release_info(layout.products, cycle)
    assert info["reviewed"] is False and info["released_by"].startswith("vnaqi schedule (deadline passed")
    assert "Not reviewed by a forecaster." in (layout.products / cycle / "bulletin.en.txt").read_text(encoding="utf-8")
    assert release_info(layout.products)["cycle"] == CYCLE  # an older cycle never takes latest
