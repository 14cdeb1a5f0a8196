import json

import pytest

from forecast.run_store import json_writer, latest_run, write_run


def test_reruns_make_new_versions_and_keep_old_ones(tmp_path):
    first = write_run(tmp_path, "2026-11-22T00Z", "baseline", {"forecast.json": json_writer({"n": 1})})
    second = write_run(tmp_path, "2026-11-22T00Z", "baseline", {"forecast.json": json_writer({"n": 2})})
    assert first.name == "baseline-v1" and second.name == "baseline-v2"
    assert json.loads((first / "forecast.json").read_text())["n"] == 1
    assert latest_run(tmp_path, "2026-11-22T00Z", "baseline") == second


def test_a_failing_writer_leaves_nothing_behind(tmp_path):
    def broken(path):
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_run(tmp_path, "2026-11-22T00Z", "baseline", {"a.json": json_writer({}), "b.json": broken})
    assert list((tmp_path / "2026-11-22T00Z").iterdir()) == []
    assert latest_run(tmp_path, "2026-11-22T00Z", "baseline") is None
