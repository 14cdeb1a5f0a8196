"""Hindcast chunks on a local dask.distributed cluster give exactly the local result."""

from __future__ import annotations

import pandas as pd
import pytest

from features.climatology import fit_climatology
from features.spec import FeatureSpec
from features.table import build_feature_table
from tests.feature_helpers import synthetic_inputs
from training.hindcast import run_hindcast
from training.lightgbm import BoosterSettings, fit_corrector

distributed = pytest.importorskip("distributed")


def test_dask_hindcast_equals_the_local_one():
    inputs = synthetic_inputs(days=70, stations=2)
    inputs.climatology = fit_climatology(inputs.observations.sel(time=slice(None, "2016-02-10")))
    spec = FeatureSpec(met_mode="perfect", emission_factors=False)
    train = build_feature_table(inputs, pd.date_range("2016-01-10", "2016-02-10", freq="12h", tz="UTC"), spec)
    valid = build_feature_table(inputs, pd.date_range("2016-02-14", "2016-02-24", freq="12h", tz="UTC"), spec)
    settings = BoosterSettings(max_rounds=20, quantile_max_rounds=10, num_leaves=7, quantile_num_leaves=7,
                               min_data_in_leaf=20, num_threads=1)  # fmt: skip
    model, _ = fit_corrector(train, valid, "pm25", spec, settings=settings, climatology=inputs.climatology)
    issues = pd.date_range("2016-02-25", "2016-03-06", freq="12h", tz="UTC")
    local = run_hindcast({"pm25": model}, inputs, issues, chunk_days=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            done = []
            remote = run_hindcast({"pm25": model}, inputs, issues, chunk_days=3, client=client,
                                  progress=lambda d, t: done.append((d, t)))  # fmt: skip
    pd.testing.assert_frame_equal(local, remote)
    assert done[-1] == (4, 4) and len(local) == len(issues) * 2 * 72
