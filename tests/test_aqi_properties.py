"""Properties of the VN_AQI engine, and the vectorised engine against brute-force references.

The references below are written hour by hour and day by day from VN_AQI.md, with their own copy of
Table 2, so they share no code with ``forecast.aqi``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from configs.schema import PM_POLLUTANTS, POLLUTANTS, STATION, TIME
from forecast.aqi import daily_aqi, hourly_aqi, nowcast, round_half_up

TZ = "Asia/Ho_Chi_Minh"
from vn_aqi_table2 import TABLE_2  # noqa: E402

FAST = settings(max_examples=80, deadline=None)

LEVELS = [0, 50, 100, 150, 200, 300, 400, 500]


# --- brute-force references ----------------------------------------------------------------------


def ref_sub_index(conc: float, pollutant: str, averaging: str = "1h") -> float:
    if math.isnan(conc):
        return math.nan
    bps, conc = TABLE_2[(pollutant, averaging)], max(conc, 0.0)
    if averaging == "8h" and conc > 400:
        return math.nan
    if conc >= bps[-1]:
        return float(LEVELS[len(bps) - 1])
    for i in range(len(bps) - 1):
        if bps[i] <= conc <= bps[i + 1]:
            return (LEVELS[i + 1] - LEVELS[i]) / (bps[i + 1] - bps[i]) * (conc - bps[i]) + LEVELS[i]
    raise AssertionError("unreachable")


def ref_nowcast(series: list[float], t: int) -> float:
    window = [max(series[t - k], 0.0) if t - k >= 0 else math.nan for k in range(12)]  # c1 … c12
    if sum(not math.isnan(c) for c in window[:3]) < 2:
        return math.nan
    present = [c for c in window if not math.isnan(c)]
    if max(present) == 0:
        return 0.0
    w = max(min(present) / max(present), 0.5)
    num = sum(w**k * c for k, c in enumerate(window) if not math.isnan(c))
    den = sum(w**k for k, c in enumerate(window) if not math.isnan(c))
    return num / den


def ref_round(x: float) -> float:
    return math.nan if math.isnan(x) else float(math.floor(round(x, 9) + 0.5))


def ref_station_aqi(subs: dict[str, float]) -> tuple[float, str]:
    if all(math.isnan(subs.get(p, math.nan)) for p in PM_POLLUTANTS):
        return math.nan, ""
    best, name = -math.inf, ""
    for pollutant in POLLUTANTS:
        if pollutant in subs and not math.isnan(subs[pollutant]) and subs[pollutant] > best:
            best, name = subs[pollutant], pollutant
    return ref_round(best), name


def ref_hourly(obs: xr.Dataset) -> dict[str, np.ndarray]:
    shape = (obs.sizes[STATION], obs.sizes[TIME])
    out = {name: np.full(shape, np.nan) for name in ["aqi", *(f"aqi_{p}" for p in obs.data_vars)]}
    out["dominant_pollutant"] = np.full(shape, "", dtype=object)
    for s in range(shape[0]):
        for t in range(shape[1]):
            subs = {}
            for p in obs.data_vars:
                series = obs[p].values[s].tolist()
                conc = ref_nowcast(series, t) if p in PM_POLLUTANTS else series[t]
                subs[p] = out[f"aqi_{p}"][s, t] = ref_sub_index(conc, p)
            out["aqi"][s, t], out["dominant_pollutant"][s, t] = ref_station_aqi(subs)
    return out


def ref_daily(obs: xr.Dataset, fraction: float) -> dict[str, np.ndarray]:
    stamps = pd.DatetimeIndex(obs[TIME].values).tz_localize("UTC")
    day_of = [(ts - pd.Timedelta(hours=1)).tz_convert(TZ).date() for ts in stamps]
    days = sorted(set(day_of))
    need_day, need_8h = max(1, math.ceil(fraction * 24 - 1e-9)), max(1, math.ceil(fraction * 8 - 1e-9))
    shape = (obs.sizes[STATION], len(days))
    out = {name: np.full(shape, np.nan) for name in ["aqi", *(f"aqi_{p}" for p in obs.data_vars)]}
    for s in range(shape[0]):
        for d, day in enumerate(days):
            hours = [i for i, x in enumerate(day_of) if x == day]
            subs = {}
            for p in obs.data_vars:
                series = [max(v, 0.0) for v in obs[p].values[s].tolist()]  # NaN stays NaN
                present = [series[i] for i in hours if not math.isnan(series[i])]
                ok = len(present) >= need_day
                if p in PM_POLLUTANTS:
                    subs[p] = ref_sub_index(sum(present) / len(present) if ok else math.nan, p)
                else:
                    subs[p] = ref_sub_index(max(present) if ok else math.nan, p)
                if p == "o3":
                    means = []
                    for i in hours:
                        window = [
                            series[j] for j in range(i - 7, i + 1) if j >= 0 and not math.isnan(series[j])
                        ]
                        if len(window) >= need_8h:
                            means.append(sum(window) / len(window))
                    sub_8h = ref_sub_index(max(means), p, "8h") if len(means) >= need_day else math.nan
                    subs[p] = float(np.fmax(subs[p], sub_8h))
                out[f"aqi_{p}"][s, d] = subs[p]
            out["aqi"][s, d] = ref_station_aqi(subs)[0]
    return out


# --- data ----------------------------------------------------------------------------------------


def random_obs(
    seed: int, n_station: int, n_hours: int, nan_fraction: float, pollutants: list[str]
) -> xr.Dataset:
    """Skewed-low values over the whole table, with exact breakpoints, zeros and NaNs mixed in."""
    rng = np.random.default_rng(seed)
    shape = (n_station, n_hours)
    data = {}
    for p in pollutants:
        bps = np.array(TABLE_2[(p, "1h")], dtype=float)
        values = rng.uniform(0.0, 1.15 * bps[-1], shape) * rng.random(shape) ** 3
        kind = rng.random(shape)
        values = np.where(kind < 0.08, rng.choice(bps, shape), values)
        values = np.where(kind > 1 - nan_fraction, np.nan, values)
        data[p] = ((STATION, TIME), values)
    start = pd.Timestamp("2026-03-01T00:00") + pd.Timedelta(hours=int(rng.integers(0, 24)))
    times = pd.date_range(start, periods=n_hours, freq="h").values
    return xr.Dataset(data, coords={STATION: [f"s{i}" for i in range(n_station)], TIME: times})


pollutant_sets = st.lists(st.sampled_from(POLLUTANTS), min_size=1, max_size=6, unique=True)
seeds = st.integers(0, 2**32 - 1)
nan_fractions = st.sampled_from([0.0, 0.1, 0.4])
any_pollutant = st.sampled_from(POLLUTANTS)
fractions = st.sampled_from([0.0, 0.75])
GASES = ["no2", "o3", "so2", "co"]


# --- vectorised == brute force -------------------------------------------------------------------


@FAST
@given(seed=seeds, n_hours=st.integers(1, 40), nan_fraction=nan_fractions, pollutants=pollutant_sets)
def test_hourly_engine_equals_brute_force(
    seed: int, n_hours: int, nan_fraction: float, pollutants: list[str]
) -> None:
    obs = random_obs(seed, 2, n_hours, nan_fraction, pollutants)
    ours, ref = hourly_aqi(obs), ref_hourly(obs)
    for p in pollutants:
        np.testing.assert_allclose(ours[f"aqi_{p}"].values, ref[f"aqi_{p}"], rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(ours["aqi"].values, ref["aqi"])
    # Compare the dominant pollutant where the top two sub-indices are clearly apart, or exactly tied
    # in both (ties go to the first in POLLUTANTS order); float noise may break near-ties either way.
    gap_ref = _top_gap(np.stack([ref[f"aqi_{p}"] for p in pollutants]))
    gap_ours = _top_gap(np.stack([ours[f"aqi_{p}"].values for p in pollutants]))
    comparable = (gap_ref > 1e-9) | ((gap_ref == 0) & (gap_ours == 0))
    np.testing.assert_array_equal(
        ours["dominant_pollutant"].values[comparable], ref["dominant_pollutant"][comparable]
    )


def _top_gap(subs: np.ndarray) -> np.ndarray:
    """Difference between the largest and second-largest sub-index (inf with a single one)."""
    ordered = np.sort(np.nan_to_num(subs, nan=-np.inf), axis=0)
    if ordered.shape[0] == 1:
        return np.full(ordered.shape[1:], np.inf)
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(ordered[-1] - ordered[-2], nan=np.inf)


@settings(max_examples=50, deadline=None)
@given(
    seed=seeds,
    n_hours=st.integers(20, 80),
    nan_fraction=nan_fractions,
    pollutants=pollutant_sets,
    fraction=st.sampled_from([0.0, 0.5, 0.75, 1.0]),
)
def test_daily_engine_equals_brute_force(
    seed: int, n_hours: int, nan_fraction: float, pollutants: list[str], fraction: float
) -> None:
    obs = random_obs(seed, 2, n_hours, nan_fraction / 4, pollutants)
    ours, ref = daily_aqi(obs, tz=TZ, min_hours_fraction=fraction), ref_daily(obs, fraction)
    for p in pollutants:
        np.testing.assert_allclose(ours[f"aqi_{p}"].values, ref[f"aqi_{p}"], rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(ours["aqi"].values, ref["aqi"])


@FAST
@given(seed=seeds, n_hours=st.integers(1, 50), nan_fraction=nan_fractions)
def test_nowcast_equals_brute_force_along_any_axis(seed: int, n_hours: int, nan_fraction: float) -> None:
    values = random_obs(seed, 3, n_hours, nan_fraction, ["pm25"])["pm25"].values
    ref = np.array([[ref_nowcast(row.tolist(), t) for t in range(n_hours)] for row in values])
    np.testing.assert_allclose(nowcast(values), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(nowcast(values.T, axis=0), ref.T, rtol=1e-12, atol=1e-12)


# --- properties ----------------------------------------------------------------------------------


@FAST
@given(seed=seeds, n_hours=st.integers(1, 60), nan_fraction=nan_fractions, pollutants=pollutant_sets)
def test_aqi_is_the_rounded_max_of_sub_indices_within_0_and_500(
    seed: int, n_hours: int, nan_fraction: float, pollutants: list[str]
) -> None:
    obs = random_obs(seed, 3, n_hours, nan_fraction, pollutants)
    for result in (hourly_aqi(obs), daily_aqi(obs, min_hours_fraction=0.0)):
        subs = np.stack([result[f"aqi_{p}"].values for p in pollutants])
        has_pm = np.zeros(result["aqi"].shape, bool)
        for p in set(pollutants) & set(PM_POLLUTANTS):
            has_pm |= result[f"aqi_{p}"].notnull().values
        expected = np.where(has_pm, round_half_up(np.fmax.reduce(subs, axis=0)), np.nan)
        aqi = result["aqi"].values
        np.testing.assert_array_equal(aqi, expected)
        defined = ~np.isnan(aqi)
        assert ((aqi[defined] >= 0) & (aqi[defined] <= 500)).all()
        assert (aqi[defined] == np.round(aqi[defined])).all()
        assert ((result["category"].values > 0) == defined).all()
        assert ((result["dominant_pollutant"].values != "") == defined).all()


@FAST
@given(
    seed=seeds,
    n_hours=st.integers(1, 40),
    pollutants=st.lists(st.sampled_from(GASES), min_size=1, unique=True),
)
def test_no_pm_means_no_aqi(seed: int, n_hours: int, pollutants: list[str]) -> None:
    obs = random_obs(seed, 2, n_hours, 0.0, pollutants)
    for result in (hourly_aqi(obs), daily_aqi(obs, min_hours_fraction=0.0)):
        assert result["aqi"].isnull().all()
        assert (result["category"] == 0).all() and (result["dominant_pollutant"] == "").all()


@FAST
@given(
    seed=seeds,
    n_hours=st.integers(1, 40),
    nan_fraction=nan_fractions,
    pollutant=any_pollutant,
    factor=st.floats(1, 4),
)
def test_hourly_aqi_never_decreases_when_a_pollutant_rises(
    seed: int, n_hours: int, nan_fraction: float, pollutant: str, factor: float
) -> None:
    """Scaling a whole series up (PM: the NowCast is homogeneous; it is not monotone in one past hour)."""
    obs = random_obs(seed, 2, n_hours, nan_fraction, list(POLLUTANTS))
    before = hourly_aqi(obs)["aqi"].values
    rng = np.random.default_rng(seed + 1)
    higher = obs.copy()
    higher[pollutant] = obs[pollutant] * factor
    if pollutant not in PM_POLLUTANTS:  # gases: any hour may rise on its own
        higher[pollutant] = higher[pollutant] + rng.exponential(100.0, obs[pollutant].shape)
    after = hourly_aqi(higher)["aqi"].values
    assert np.array_equal(np.isnan(before), np.isnan(after))
    assert (after[~np.isnan(before)] >= before[~np.isnan(before)]).all()


@FAST
@given(
    seed=seeds,
    n_hours=st.integers(24, 80),
    nan_fraction=nan_fractions,
    pollutant=any_pollutant,
    fraction=fractions,
)
def test_daily_aqi_never_decreases_when_a_pollutant_rises(
    seed: int, n_hours: int, nan_fraction: float, pollutant: str, fraction: float
) -> None:
    """Any present hour may rise. O3 stays ≤ 400 µg/m³: above it the decision drops the 8-h part
    (see test_daily_o3_drops_at_the_8h_limit_by_decision)."""
    obs = random_obs(seed, 2, n_hours, nan_fraction / 4, list(POLLUTANTS))
    obs["o3"] = obs["o3"].clip(max=400.0)
    rng = np.random.default_rng(seed + 1)
    higher = obs.copy()
    higher[pollutant] = obs[pollutant] + rng.exponential(50.0, obs[pollutant].shape) * (rng.random() < 0.9)
    if pollutant == "o3":
        higher["o3"] = higher["o3"].clip(max=400.0)
    before = daily_aqi(obs, min_hours_fraction=fraction)["aqi"].values
    after = daily_aqi(higher, min_hours_fraction=fraction)["aqi"].values
    assert np.array_equal(np.isnan(before), np.isnan(after))
    assert (after[~np.isnan(before)] >= before[~np.isnan(before)]).all()


def test_daily_o3_drops_at_the_8h_limit_by_decision() -> None:
    """A day-long 400 µg/m³ gives 300 (8-h row); 401 gives 200.25 (1-h row only): §2.2.2b."""
    times = pd.date_range("2026-03-01T10:00", periods=31, freq="h").values  # 17:00 local
    for level, expected in ((400.0, 300.0), (401.0, 200.25)):
        data = {"o3": ((STATION, TIME), np.full((1, 31), level)), "pm25": ((STATION, TIME), np.ones((1, 31)))}
        obs = xr.Dataset(data, coords={STATION: ["s"], TIME: times})
        assert daily_aqi(obs)["aqi_o3"].values[0, -1] == pytest.approx(expected)


@FAST
@given(value=st.floats(0.0, 2000.0), n_hours=st.integers(2, 40))
def test_nowcast_of_a_constant_series_is_the_constant(value: float, n_hours: int) -> None:
    result = nowcast(np.full(n_hours, value))
    assert np.isnan(result[0])
    np.testing.assert_allclose(result[1:], value, rtol=1e-12, atol=0)


@FAST
@given(seed=seeds, n_hours=st.integers(1, 60), nan_fraction=nan_fractions)
def test_nowcast_lies_between_the_window_min_and_max(seed: int, n_hours: int, nan_fraction: float) -> None:
    values = random_obs(seed, 1, n_hours, nan_fraction, ["pm10"])["pm10"].values[0]
    result = nowcast(values)
    for t in np.flatnonzero(~np.isnan(result)):
        window = values[max(0, t - 11) : t + 1]
        assert np.nanmin(window) * (1 - 1e-12) <= result[t] <= np.nanmax(window) * (1 + 1e-12)


@FAST
@given(seed=seeds, n_hours=st.integers(1, 30), pollutants=pollutant_sets)
def test_stations_are_independent(seed: int, n_hours: int, pollutants: list[str]) -> None:
    obs = random_obs(seed, 3, n_hours, 0.2, pollutants)
    together = hourly_aqi(obs)
    for station in obs[STATION].values:
        alone = hourly_aqi(obs.sel({STATION: [station]}))
        xr.testing.assert_identical(alone, together.sel({STATION: [station]}))
