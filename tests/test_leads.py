"""Steps → hourly leads: linear for instantaneous fields, amounts split, means held, shifted older cycles."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from met_inputs.leads import to_hourly_leads


@pytest.fixture()
def three_hourly():
    steps = np.array([0, 3, 6], dtype="timedelta64[h]").astype("timedelta64[ns]")
    return xr.Dataset(
        {
            "t2m": (("station", "step"), [[280.0, 283.0, 289.0]]),
            "tp": (("station", "step"), [[np.nan, 3.0, 6.0]]),
            "ssrd": (("station", "step"), [[np.nan, 100.0, 200.0]]),
        },
        coords={"station": ["a"], "step": steps, "init_time": np.datetime64("2026-01-01T00", "ns")},
    )


def test_instantaneous_amounts_and_means(three_hourly):
    out = to_hourly_leads(three_hourly, pd.Timestamp("2026-01-01T00Z"), leads=8)
    assert out.t2m.values[0, :6].tolist() == [281.0, 282.0, 283.0, 285.0, 287.0, 289.0]
    assert out.tp.values[0, :6].tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]  # 3 mm and 6 mm over 3 h each
    assert out.tp.values[0, :6].sum() == pytest.approx(9.0)
    assert out.ssrd.values[0, :6].tolist() == [100.0, 100.0, 100.0, 200.0, 200.0, 200.0]
    assert np.isnan(out.t2m.values[0, 6:]).all()  # nothing extrapolated past the last step
    assert pd.Timestamp(out.valid_time.values[0]) == pd.Timestamp("2026-01-01T01:00")


def test_an_older_cycle_is_shifted_onto_the_new_leads(three_hourly):
    out = to_hourly_leads(three_hourly, pd.Timestamp("2026-01-01T03Z"), leads=4)
    assert out.t2m.values[0, :3].tolist() == [285.0, 287.0, 289.0]  # leads 1-3 = old steps 4-6
    assert out.attrs["lead_offset_h"] == 3.0
    assert np.isnan(out.t2m.values[0, 3])
