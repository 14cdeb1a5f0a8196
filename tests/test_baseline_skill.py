import numpy as np
import pandas as pd
import xarray as xr

from forecast.baseline_skill import best_method, hindcast_rmse, recent_issue_times


def test_hindcast_rmse_is_zero_for_a_perfectly_diurnal_series_and_picks_diurnal_persistence():
    time = pd.date_range("2026-01-01T01:00", periods=24 * 40, freq="h")
    values = 50 + 30 * np.sin(2 * np.pi * time.hour.to_numpy() / 24)  # the same every day
    ds = xr.Dataset({"pm25": (("station", "time"), values[None, :])}, coords={"station": ["s"], "time": time})
    issues = recent_issue_times(ds, pd.Timestamp("2026-02-09T00:00Z"), n_days=5)
    assert issues and all(t.hour in (0, 12) for t in issues)
    assert max(issues) + pd.Timedelta(hours=72) <= pd.Timestamp("2026-02-09T00:00Z")
    scores = hindcast_rmse(ds, issues)
    diurnal = scores[scores.method == "diurnal_persistence"]
    assert np.allclose(diurnal.rmse, 0.0)
    assert (diurnal.n == len(issues) * 24).all()
    persistence = scores[scores.method == "persistence"]
    assert (persistence.rmse > 10).all()
    assert best_method(scores) in {"diurnal_persistence", "climatology"}
    assert np.allclose(scores[scores.method == "climatology"].rmse, 0.0, atol=1e-9)
