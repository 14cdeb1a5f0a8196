"""The corrector on REAL data: three Beijing stations with their observed met (perfect prognosis).

A short, quick fit (2013-03 … 2014-06, validation to 2014-08) hindcast on autumn 2014, only
observations before each issue. The thresholds are loose floors: the benchmark
(benchmarks/bench_skill.py, BENCHMARKS.md) measures the real skill with the full settings.
"""

from __future__ import annotations

import numpy as np
import pytest

from configs.networks import registry_for_home
from configs.settings import HomeLayout
from met_inputs.observations import ObservationArchive
from training.comparison import hindcast_models
from training.experiment import verify_hindcast
from training.hindcast import rolling_issue_times
from training.lightgbm import BoosterSettings
from training.pipeline import plan_training, train

pytestmark = pytest.mark.realdata
STATIONS = ("Dongsi", "Changping", "Tiantan")


@pytest.fixture(scope="module")
def real_home(shared_data, tmp_path_factory):
    home = tmp_path_factory.mktemp("beijing-real")
    layout = HomeLayout(home)
    registry = registry_for_home(layout.networks)
    files = [next((shared_data / "beijing_multisite").glob(f"PRSA_Data_{s}_*.csv")) for s in STATIONS]
    ObservationArchive(layout, registry).ingest(files, registry)
    return home


@pytest.fixture(scope="module")
def hindcast(real_home):
    plan = plan_training(real_home, train_to="2014-06-30", valid_to="2014-08-31", pollutants=["pm25"], lead_stride=3)
    assert plan.met_mode == "perfect" and len(plan.stations) == 3
    result = train(real_home, plan, settings=BoosterSettings.quick())
    issues = rolling_issue_times("2014-09-01", "2014-11-30", (0,))
    return hindcast_models(real_home, result.models, issues)


def test_real_hindcast_rows_use_only_the_past_and_cover_every_lead(hindcast):
    assert sorted(hindcast["lead_h"].unique()) == list(range(1, 73))
    assert hindcast["issue_time"].dt.normalize().nunique() == 91
    assert ((hindcast["valid_time"] - hindcast["issue_time"]).dt.total_seconds() / 3600 == hindcast["lead_h"]).all()


def test_real_hindcast_beats_persistence_and_climatology(real_home, hindcast):
    summary = verify_hindcast(hindcast, real_home).summary().set_index("window")
    for window in ("1-24 h", "25-48 h", "49-72 h"):
        assert summary.loc[window, "rmse_ratio_vs_persistence"] < 0.8, summary
        assert summary.loc[window, "rmse_ratio_vs_climatology"] < 0.8, summary


def test_real_interval_coverage_is_honest(hindcast):
    known = hindcast["observed"].notna()
    inside = (hindcast["observed"] >= hindcast["q10"]) & (hindcast["observed"] <= hindcast["q90"])
    assert 0.6 <= inside[known].mean() <= 0.92
    assert np.all(hindcast["q10"] <= hindcast["q90"])
    assert str(hindcast["issue_time"].dt.tz) == "UTC"
